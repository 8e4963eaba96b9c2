/* The "forgot password" pages and API (app/account/reset_pages.c). */
#ifndef ACCOUNT_RESET_PAGES_H
#define ACCOUNT_RESET_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_forgot_form(struct ctx *c);
enum err h_forgot(struct ctx *c);
enum err h_reset_form(struct ctx *c);
enum err h_reset(struct ctx *c);
enum err h_api_forgot(struct ctx *c);
enum err h_api_reset(struct ctx *c);

#endif
