/* The seller's dashboard page (/seller/; app/seller/dashboard_routes.inc). */
#ifndef SELLER_DASHBOARD_PAGES_H
#define SELLER_DASHBOARD_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_seller_home(struct ctx *c);

#endif
