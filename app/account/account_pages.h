/* The account module's pages and API (the handlers the route table names,
 * app/account/routes.inc). One header for the module's pages: it includes
 * each part's own. The domain is in account.h and address.h. */
#ifndef ACCOUNT_ACCOUNT_PAGES_H
#define ACCOUNT_ACCOUNT_PAGES_H

#include "../core/err.h"
#include "address_pages.h"
#include "admin_pages.h"
#include "reset_pages.h"
#include "sellers_admin_pages.h"

struct ctx;

/* app/account/account_pages.c */
enum err h_signin_form(struct ctx *c);
enum err h_signin(struct ctx *c);
enum err h_register_form(struct ctx *c);
enum err h_register(struct ctx *c);
enum err h_signout(struct ctx *c);
enum err h_account(struct ctx *c);
enum err h_account_mails(struct ctx *c);
enum err h_api_mails(struct ctx *c);
enum err h_api_mails_patch(struct ctx *c);
enum err h_password_form(struct ctx *c);
enum err h_password(struct ctx *c);
enum err h_api_register(struct ctx *c);
enum err h_api_session_get(struct ctx *c);
enum err h_api_session_post(struct ctx *c);
enum err h_api_session_delete(struct ctx *c);
enum err h_api_me(struct ctx *c);
enum err h_api_password(struct ctx *c);

#endif
