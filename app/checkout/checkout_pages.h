/* The checkout's pages and API (app/checkout/routes.inc). */
#ifndef CHECKOUT_CHECKOUT_PAGES_H
#define CHECKOUT_CHECKOUT_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_checkout(struct ctx *c);
enum err h_checkout_review(struct ctx *c);
enum err h_checkout_review_page(struct ctx *c);
enum err checkout_form_again(struct ctx *c, int status, const char *error);
enum err h_checkout_place(struct ctx *c);
enum err h_checkout_return(struct ctx *c);
enum err h_api_checkout(struct ctx *c);
enum err h_api_checkout_quote(struct ctx *c);
enum err h_api_paygate_webhook(struct ctx *c);

#endif
