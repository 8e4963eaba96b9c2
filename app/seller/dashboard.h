/* The seller's dashboard page (/seller/). */
#ifndef SELLER_DASHBOARD_H
#define SELLER_DASHBOARD_H

#include "../core/err.h"

struct ctx;

void dashboard_init(void);
enum err h_seller_home(struct ctx *c);

#endif
