/* Returns: pages and JSON API (routes.inc), the order page's block and the
 * carriers' scans of return labels, built on returns.h. */
#ifndef RETURNS_RETURNS_PAGES_H
#define RETURNS_RETURNS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;

/* The shopper. */
enum err h_return_form(struct ctx *c);
enum err h_return_post(struct ctx *c);
enum err h_api_return_new(struct ctx *c);
enum err h_api_return(struct ctx *c);
enum err h_return_page(struct ctx *c);
enum err h_return_cancel(struct ctx *c);
/* Photos: added to a requested return (page form, API), and served to
 * those who may see the return. */
enum err h_return_photos_add(struct ctx *c);
enum err h_api_return_photos(struct ctx *c);
enum err h_return_photo(struct ctx *c);
/* The return form of order_id with status, an error and the reason typed. */
enum err h_return_form_with(struct ctx *c, int64_t order_id, int status, const char *error, const char *reason);
/* The seller. */
enum err h_seller_returns(struct ctx *c);
enum err h_seller_return(struct ctx *c);
enum err h_seller_return_approve(struct ctx *c);
enum err h_seller_return_reject(struct ctx *c);
enum err h_seller_return_received(struct ctx *c);
enum err h_api_seller_returns(struct ctx *c);
enum err h_api_seller_return_approve(struct ctx *c);
enum err h_api_seller_return_reject(struct ctx *c);
enum err h_api_seller_return_received(struct ctx *c);
/* Admins: escalated (and refund_failed) returns; acting on one as its
 * seller would, and trying a refused refund again. */
enum err h_admin_returns(struct ctx *c);
/* /admin/returns/windows and /api/admin/returns/windows: the shop's own
 * return windows (its default and per category). */
enum err h_admin_return_windows(struct ctx *c);
enum err h_admin_return_windows_post(struct ctx *c);
enum err h_admin_return(struct ctx *c);
enum err h_admin_return_approve(struct ctx *c);
enum err h_admin_return_reject(struct ctx *c);
enum err h_admin_return_received(struct ctx *c);
enum err h_admin_return_retry(struct ctx *c);
/* The shopper removes a photo of a requested return. */
enum err h_return_photo_delete(struct ctx *c);
/* Guests, by the order link's token t (app/order/order_link.h): the
 * form and its post (form or JSON), the return's page and photos. */
enum err h_guest_return_form(struct ctx *c);
enum err h_guest_return_post(struct ctx *c);
enum err h_guest_return_page(struct ctx *c);
/* A guest's withdrawal and photos, through the order link's token
 * (/returns/{id}/view/cancel, .../photos, .../photos/{photo}/delete and
 * their /api/ forms). */
enum err h_guest_return_cancel(struct ctx *c);
enum err h_guest_return_photos_add(struct ctx *c);
enum err h_guest_return_photo_delete(struct ctx *c);
/* The seller's return settings (windows per category, default address). */
enum err h_seller_return_settings(struct ctx *c);
enum err h_seller_return_settings_post(struct ctx *c);

/* The order page of a signed-in shopper (uid): "returnUrl" when a line can
 * be returned, "returns" [{"id", "status", "statusText", "url"}]. */
void returns_order_block(struct db *db, struct arena *a, int64_t order_id, int64_t uid, json_t *order);

/* The same for a guest's order page (the signed link): its URLs are the
 * guest's (/orders/{id}/view/return?t=, /returns/{id}/view?t=). uid: the
 * order's owner. */
void returns_guest_block(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char *token, json_t *order);

/* POST /api/carrier/events for a label no shipment has: *found 0 when no
 * return has it either (nothing answered); else the answer is made
 * ({"received": true[, "duplicate": true]}). */
enum err returns_carrier_scan(struct ctx *c, const char *id, const char *type, const char *carrier,
			      const char *tracking, int *found);

#endif
