/* The seller bulk import's pages and API (app/seller/bulk_routes.inc). */
#ifndef SELLER_BULK_PAGES_H
#define SELLER_BULK_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_seller_import(struct ctx *c);
enum err h_seller_import_post(struct ctx *c);
enum err h_seller_import_show(struct ctx *c);
enum err h_seller_import_errors_csv(struct ctx *c);
enum err h_api_import_create(struct ctx *c);
enum err h_api_import(struct ctx *c);
enum err h_api_import_errors(struct ctx *c);

#endif
