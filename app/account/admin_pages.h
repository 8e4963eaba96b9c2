/* The seller application page and the admin page (app/account/admin_pages.c). */
#ifndef ACCOUNT_ADMIN_PAGES_H
#define ACCOUNT_ADMIN_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_sell_form(struct ctx *c);
enum err h_sell(struct ctx *c);
enum err h_admin(struct ctx *c);
enum err h_admin_grant(struct ctx *c);
enum err h_admin_application(struct ctx *c);

#endif
