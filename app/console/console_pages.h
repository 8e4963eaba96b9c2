/* The admin console's pages and API (issue 19): promos_pages.c,
 * category_pages.c, content_pages.c, orders_pages.c, audit_pages.c. Role
 * and CSRF checks are the route table's (routes.inc). */
#ifndef CONSOLE_CONSOLE_PAGES_H
#define CONSOLE_CONSOLE_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

/* ---- shared by the pages files ---- */

/* The {id} of the path, 0 when it is not a positive number. */
int64_t console_path_id(const struct ctx *c);
/* "user:<uid>": the audit's actor for the admin signed in. */
const char *console_actor(const struct ctx *c);
/* A 422 titled title whose error carries fields[] ({field, message}). */
enum err console_reply_fields(struct ctx *c, const char *title, int n, const char *const *field,
			      const char *const *message);

/* ---- handlers ---- */

enum err h_api_admin_promo_create(struct ctx *c);
enum err h_api_admin_promo_list(struct ctx *c);
enum err h_api_admin_promo_get(struct ctx *c);
enum err h_api_admin_promo_edit(struct ctx *c);
enum err h_api_admin_promo_pause(struct ctx *c);
enum err h_api_admin_promo_resume(struct ctx *c);
enum err h_admin_promos(struct ctx *c);
enum err h_admin_promo_create(struct ctx *c);
enum err h_admin_promo_form(struct ctx *c);
enum err h_admin_promo_save(struct ctx *c);
enum err h_admin_promo_pause(struct ctx *c);
enum err h_admin_promo_resume(struct ctx *c);

enum err h_api_admin_categories(struct ctx *c);
enum err h_api_admin_category_create(struct ctx *c);
enum err h_api_admin_category_get(struct ctx *c);
enum err h_api_admin_category_edit(struct ctx *c);
enum err h_api_admin_category_move_products(struct ctx *c);
enum err h_api_admin_category_retire(struct ctx *c);
enum err h_admin_categories(struct ctx *c);
enum err h_admin_category_create(struct ctx *c);
enum err h_admin_category_save(struct ctx *c);
enum err h_admin_category_up(struct ctx *c);
enum err h_admin_category_down(struct ctx *c);
enum err h_admin_category_retire(struct ctx *c);
enum err h_api_admin_category_attrs(struct ctx *c);
enum err h_api_admin_category_attr_add(struct ctx *c);
enum err h_api_admin_category_attr_rename(struct ctx *c);
enum err h_api_admin_category_attr_remove(struct ctx *c);
enum err h_admin_category_attrs(struct ctx *c);
enum err h_admin_category_attr_add(struct ctx *c);
enum err h_admin_category_attr_rename(struct ctx *c);
enum err h_admin_category_attr_remove(struct ctx *c);

enum err h_api_admin_page_get(struct ctx *c);
enum err h_api_admin_page_put(struct ctx *c);
enum err h_admin_pages(struct ctx *c);
enum err h_admin_page_form(struct ctx *c);
enum err h_admin_page_save(struct ctx *c);
enum err h_about(struct ctx *c);
/* The public page of a content slug in the layout (site.c's footer pages
 * call it); E_NOTFOUND when the page has no row, for the caller's
 * fallback. */
enum err console_content_reply(struct ctx *c, const char *slug);

enum err h_api_admin_orders_search(struct ctx *c);
enum err h_api_admin_order_get(struct ctx *c);
enum err h_api_admin_order_refund(struct ctx *c);
enum err h_api_admin_order_cancel(struct ctx *c);
enum err h_api_admin_order_resend(struct ctx *c);
enum err h_admin_orders(struct ctx *c);
enum err h_admin_order(struct ctx *c);
enum err h_admin_order_refund(struct ctx *c);
enum err h_admin_order_cancel(struct ctx *c);
enum err h_admin_order_resend(struct ctx *c);

enum err h_api_admin_audit(struct ctx *c);
enum err h_admin_audit(struct ctx *c);

#endif
