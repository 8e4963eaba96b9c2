/* The admin's sellers page (app/account/sellers_admin_pages.c). */
#ifndef ACCOUNT_SELLERS_ADMIN_PAGES_H
#define ACCOUNT_SELLERS_ADMIN_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_admin_sellers(struct ctx *c);
enum err h_admin_seller_status(struct ctx *c);

#endif
