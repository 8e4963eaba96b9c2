/* Returns (RMA, issue 19): a shopper asks to send back lines of a
 * delivered order within the return window; the seller approves (return
 * address, carrier label) or rejects (reason); the carrier's scans of the
 * label follow the parcel back (in_transit; "delivered" leaves it for the
 * seller to inspect); the seller receives it: the units are restocked
 * through app/inventory (a movement naming "return:<id>") or written off,
 * and the refund saga of app/fulfillment runs (a refunds row tied to the
 * return, gateway key "return-<id>", retried by the fulfillment job), the
 * lines and the order moving to returned / refunded as fulfillment settles
 * them. Every step is an order_events row (order_note) and an event
 * (EV_RETURN_*) in the same transaction; a request the seller leaves
 * unanswered for SHOP_RETURN_ESCALATE_DAYS (3) escalates to the admins.
 *
 * Money: a returned unit gives back what it was charged, by fulfillment.h's
 * per-line rule: its goods less its share of the promo discount, its tax,
 * and its share of shipping. So shipping comes back in proportion, and a
 * whole order returned is refunded in full.
 *
 * One return is for one seller's lines (a request naming lines of two
 * sellers is refused, 422 on "lines"). A line can be returned up to its
 * quantity less what was refunded and what open returns (requested,
 * approved, in_transit) already claim. */
#ifndef RETURNS_RETURNS_H
#define RETURNS_RETURNS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
struct kv;

#define RT_MAX_LINES	100
#define RT_MAX_PHOTOS	4	/* photos of one return */

struct image_ready;

/* Statements; SHOP_RETURN_WINDOW_DAYS (30), SHOP_RETURN_ESCALATE_DAYS (3)
 * or SHOP_RETURN_ESCALATE_SECONDS (tests). Registers fulfillment's hook. */
void returns_init(void);

struct rt_line {
	int64_t line_no, quantity;
};

/* What an operation answers: status 0 done, else an HTTP status (404 not
 * yours, 409 not in a state that allows it, 422 a bad field named by field)
 * with words; return_id the return made or acted on. */
struct rt_outcome {
	int status;
	const char *field, *msg;
	int64_t return_id, refund_id;
};

/* The shopper uid asks to return lines of their order (one transaction). */
enum err returns_request(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char *reason,
			 const struct rt_line *lines, size_t n, struct rt_outcome *o);
/* The same with np photos (images_prepare'd, np <= RT_MAX_PHOTOS): the
 * files are stored through app/seller/images.h (a private place) and the
 * return, its lines and its photos are one transaction; a refusal (o)
 * leaves no row and no file. */
enum err returns_request_photos(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char *reason,
				const struct rt_line *lines, size_t n, const struct image_ready *photos, size_t np,
				struct rt_outcome *o);
/* May the shopper uid add k photos to the return now? o->status 404 (not
 * theirs), 409 (decided: only a requested return takes photos; or no room
 * for k more). A read without locks, to refuse before decoding anything;
 * returns_add_photos checks again under the return's lock. */
enum err returns_photo_room(struct db *db, struct arena *a, int64_t return_id, int64_t uid, size_t k,
			    struct rt_outcome *o);
/* Adds np prepared photos to uid's requested return (one transaction with
 * an order_events note); *first_id the first new photo's id. Refusals as
 * returns_photo_room's, leaving no row and no file. */
enum err returns_add_photos(struct db *db, struct arena *a, int64_t return_id, int64_t uid,
			    const struct image_ready *photos, size_t np, int64_t *first_id, struct rt_outcome *o);
/* The seller's decisions (actor "seller:7"). address NULL: the one the
 * seller approved with last. Saying the same twice changes nothing. */
enum err returns_approve(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, const char *actor,
			 const char *address, const char *label, const char *carrier, struct rt_outcome *o);
enum err returns_reject(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, const char *actor,
			const char *reason, struct rt_outcome *o);
/* The shopper uid withdraws their return while it is requested or
 * approved (nothing has moved yet): cancelled, the units free again. */
enum err returns_cancel(struct db *db, struct arena *a, int64_t return_id, int64_t uid, struct rt_outcome *o);
/* The parcel is in: restocked (1) or written off (0), the refund row made,
 * in one transaction (o->refund_id; 0 when nothing was paid). Said again:
 * nothing changes (o->refund_id the same). The caller then runs
 * returns_refund. */
enum err returns_receive(struct db *db, struct arena *a, int64_t return_id, int64_t seller_id, const char *actor,
			 int restock, struct rt_outcome *o);
/* One gateway attempt for the return's refund (if still pending); *done 1
 * when the return is refunded, 0 while the refund waits for a next attempt
 * (the fulfillment job's), -1 when the gateway refused it for good (the
 * units stay as received; the return stays received). */
enum err returns_refund(struct db *db, struct arena *a, int64_t return_id, const char *actor, int *done);
/* A carrier's authenticated event for a return's label: *found 0 when no
 * approved or travelling return has it; *duplicate on a replay. */
enum err returns_carrier_event(struct db *db, struct arena *a, const char *id, const char *type, const char *carrier,
			       const char *tracking, int *found, int *duplicate);
/* `shopd jobs`: requests left unanswered too long escalate (one batch). */
int returns_escalate_batch(struct db *db, struct kv *kv, struct arena *a);

/* Admins act as the seller would (seller_id 0 in returns_approve,
 * returns_reject and returns_receive: any seller's return; actor
 * "admin:<uid>"), each act audit_record'ed in its transaction. An admin's
 * approval does not become the seller's remembered address. */

/* A return whose refund the gateway refused for good is refund_failed
 * (escalated: listed for admins, who are mailed). An admin tries again:
 * the refund row pending again, its units reserved again, the next
 * gateway key of the return (refund_tries + 1), then returns_refund runs
 * it. Said again while that try runs: nothing more (o->refund_id). 409
 * when the return is not refund_failed. Audited. */
enum err returns_retry_refund(struct db *db, struct arena *a, int64_t return_id, const char *actor, struct rt_outcome *o);

/* The shopper uid removes photo photo_id of their return while it is
 * requested (404 not theirs or no such photo, 409 decided). The files are
 * left to the media sweep. */
enum err returns_delete_photo(struct db *db, struct arena *a, int64_t return_id, int64_t uid, int64_t photo_id,
			      struct rt_outcome *o);

/* A seller's return settings: their own windows (category_id 0: every
 * category) and their default return address. */
struct rt_window {
	int64_t category_id, days;
};
#define RT_MAX_WINDOWS 200
#define RT_WINDOW_MAX_DAYS 365
/* Rows (category_id, days, category name) of the seller's windows. */
enum err returns_seller_windows(struct db *db, struct arena *a, int64_t seller_id, struct db_res **out);
/* Live categories (id, name, the shop's days, parent_id). */
enum err returns_categories(struct db *db, struct arena *a, struct db_res **out);
/* Replaces the seller's windows with w (checked by the caller) and the
 * address (NULL: none remembered), in one transaction. */
enum err returns_set_settings(struct db *db, struct arena *a, int64_t seller_id, const struct rt_window *w, size_t n,
			      const char *address);

/* The shop's own return windows (return_windows, issue 19's admin page
 * /admin/returns/windows): days per category, and category 0 for the
 * shop's default (every category without its own or its parent's; when
 * not set, SHOP_RETURN_WINDOW_DAYS). A seller's own windows override them. */
/* Rows (category_id, days, category name or NULL, retired 0/1), by id. */
enum err returns_shop_windows(struct db *db, struct arena *a, struct db_res **out);
/* The shop's default in days: return_windows' category 0, else
 * SHOP_RETURN_WINDOW_DAYS. */
enum err returns_shop_default(struct db *db, struct arena *a, int64_t *days);
/* Rows (category_id, number of sellers with their own days there). */
enum err returns_seller_overrides(struct db *db, struct arena *a, struct db_res **out);
#define RT_KEEP (-2)	/* leave as it is */
struct rt_shop_windows {
	int64_t default_days;	/* 0..365, -1 none (SHOP_RETURN_WINDOW_DAYS), RT_KEEP */
	int keep_windows;	/* 1: the categories' stay as they are; 0: replaced by w */
	const struct rt_window *w;	/* category_id > 0, each once (checked by the caller) */
	size_t n;
};
/* Sets them in one transaction (the table's rows locked first) with its
 * audit row ("return_windows.update", before and after as {defaultDays,
 * windows: [{categoryId, days}]}); nothing written nor recorded when
 * nothing changes (*changed 0). */
enum err returns_set_shop_windows(struct db *db, struct arena *a, const char *actor, const struct rt_shop_windows *in,
				  int *changed);

/* ---- reads ---- */

/* Columns of a return's head. */
enum { RT_ID, RT_ORDER, RT_USER, RT_SELLER, RT_STATUS, RT_REASON, RT_CREATED, RT_UPDATED, RT_WINDOW, RT_CUR,
       RT_AMOUNT, RT_ADDRESS, RT_LABEL, RT_CARRIER, RT_REJECT, RT_RESTOCK, RT_REFUND, RT_SHIPPED, RT_ARRIVED,
       RT_RECEIVED, RT_ESCALATED, RT_SELLER_NAME, RT_REFUND_STATUS, RT_REFUND_AMOUNT, RT_REFUND_ERROR,
       RT_USER_EMAIL, RT_USER_NAME, RT_FIRST_TITLE, RT_UNITS, RT_SELLER_EMAIL, RT_SELLER_USER,
       RT_USER_GUEST /* 1: the shopper checked out as a guest (RT_USER_EMAIL: the address given) */ };
/* Columns of its lines. */
enum { RL_NO, RL_QTY, RL_AMOUNT, RL_TITLE, RL_CODE, RL_OPTIONS };

/* One return (head and lines); E_NOTFOUND when there is none. Who may see
 * it is the caller's check (shopper, seller, admin). */
enum err returns_get(struct db *db, struct arena *a, int64_t return_id, struct db_res **head, struct db_res **lines);
/* The return's photos in order (RP_*). */
enum { RP_ID, RP_POS, RP_HASH, RP_WIDTH, RP_HEIGHT };
enum err returns_photos(struct db *db, struct arena *a, int64_t return_id, struct db_res **out);
/* Heads (RT_*): a seller's returns below id `before` (status NULL: all),
 * an order's, the escalated and overdue open ones (admins). */
enum err returns_of_seller(struct db *db, struct arena *a, int64_t seller_id, const char *status, int64_t before,
			   int64_t limit, struct db_res **out);
enum err returns_of_order(struct db *db, struct arena *a, int64_t order_id, struct db_res **out);
enum err returns_escalated(struct db *db, struct arena *a, int64_t limit, struct db_res **out);
/* Active admins (email, id), for the escalation's mail. */
enum err returns_admins(struct db *db, struct arena *a, struct db_res **out);
/* The seller's remembered return address, or NULL. */
enum err returns_seller_address(struct db *db, struct arena *a, int64_t seller_id, const char **address);

/* Columns of an order's lines as a return sees them. */
enum { RO_NO, RO_SELLER, RO_STATE, RO_QTY, RO_REFQTY, RO_TITLE, RO_PENDING, RO_POLICY, RO_DELIVERED, RO_DAYS,
       RO_WINDOW_SQL, RO_WINDOW_ISO, RO_OPEN, RO_SELLER_NAME, RO_OPTIONS };
/* uid's order's lines (RO_*) with the returnable facts; E_NOTFOUND when
 * the order is not uid's. status: the order's. */
enum err returns_order_lines(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char **status,
			     const char **currency, struct db_res **out);
/* Units of row i of returns_order_lines that may still be returned (0 when
 * not delivered or its window closed). */
int64_t returns_returnable(const struct db_res *r, size_t i);

/* For the order archive (app/archive): 1 in *open when some line of the
 * order may still be returned (delivered, inside its window, units left),
 * so the order must stay where a return can be asked of it. */
enum err returns_window_open(struct db *db, struct arena *a, int64_t order_id, int *open);
/* The configured default return window in days (SHOP_RETURN_WINDOW_DAYS),
 * which the shop's default set by an admin (returns_shop_default) replaces;
 * the categories' and sellers' own are in return_windows and
 * seller_return_windows. */
int64_t returns_window_days(void);

#endif
