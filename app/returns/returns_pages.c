/* Returns: the shopper's form and API, the seller's list, page and API,
 * the admins' list of escalated returns, the order page's block, and the
 * carriers' scans of return labels (returns.h has the rules). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_pages.h"
#include "../order/order.h"
#include "../seller/images.h"
#include "../order/order_link.h"
#include "../console/console_pages.h"
#include "returns.h"
#include "returns_pages.h"

#define RT_LIST_SIZE 20

static int64_t path_id(struct ctx *c)
{
	int64_t id;
	const char *s = c->req->npathvar ? c->req->pathvar[0] : NULL;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

static const char *status_text(const char *st, int arrived)
{
	static const struct { const char *s, *t; } t[] = {
		{ "requested", "Waiting for the seller's answer" }, { "approved", "Approved: send the parcel back" },
		{ "rejected", "Rejected" }, { "in_transit", "On its way back" }, { "received", "Received: refund under way" },
		{ "refunded", "Refunded" }, { "cancelled", "Cancelled" },
		{ "refund_failed", "Received, but the payment service refused the refund: the shop's staff will settle it" },
	};

	if (arrived && st && !strcmp(st, "in_transit"))
		return "Delivered to the seller, who will inspect it";
	for (size_t i = 0; st && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].s, st))
			return t[i].t;
	return st ? st : "";
}

static const char *refund_text(const char *st)
{
	if (!st)
		return "";
	if (!strcmp(st, "succeeded"))
		return "Refunded to the card that paid";
	if (!strcmp(st, "pending"))
		return "Under way (the payment service will be asked again if it did not answer)";
	return "Refused by the payment service";
}

/* One return as JSON (row i of h; lines NULL: without them). */
static json_t *return_json(struct ctx *c, struct db_res *h, size_t i, struct db_res *l)
{
	const char *st = db_cell(h, i, RT_STATUS);
	int64_t id = db_int(h, i, RT_ID);
	json_t *o = json_pack("{sI, ss, ss, sI, ss, ss, ss, ss?, ss, sI, s{sI, ss}, ss?, ss?, ss?, ss?, ss?, ss?, ss?, "
			      "ss?, sb, ss, ss, ss, ss, ss?, sI}",
			      "id", (json_int_t)id, "status", st, "statusText",
			      status_text(st, db_cell(h, i, RT_ARRIVED) != NULL), "orderId",
			      (json_int_t)db_int(h, i, RT_ORDER), "reason", db_cell(h, i, RT_REASON),
			      "createdAt", db_cell(h, i, RT_CREATED), "updatedAt", db_cell(h, i, RT_UPDATED),
			      "windowEndsAt", db_cell(h, i, RT_WINDOW), "currency", db_cell(h, i, RT_CUR),
			      "amount", (json_int_t)db_int(h, i, RT_AMOUNT),
			      "seller", "id", (json_int_t)db_int(h, i, RT_SELLER), "name", db_cell(h, i, RT_SELLER_NAME),
			      "returnAddress", db_cell(h, i, RT_ADDRESS), "label", db_cell(h, i, RT_LABEL),
			      "carrier", db_cell(h, i, RT_CARRIER) && *db_cell(h, i, RT_CARRIER) ? db_cell(h, i, RT_CARRIER) : NULL,
			      "rejectReason", db_cell(h, i, RT_REJECT), "shippedAt", db_cell(h, i, RT_SHIPPED),
			      "arrivedAt", db_cell(h, i, RT_ARRIVED), "receivedAt", db_cell(h, i, RT_RECEIVED),
			      "escalatedAt", db_cell(h, i, RT_ESCALATED), "escalated", db_cell(h, i, RT_ESCALATED) != NULL,
			      "url", arena_printf(c->a, "/returns/%lld", (long long)id),
			      "sellerUrl", arena_printf(c->a, "/seller/returns/%lld", (long long)id),
			      "adminUrl", arena_printf(c->a, "/admin/returns/%lld", (long long)id),
			      "orderUrl", arena_printf(c->a, "/orders/%lld", (long long)db_int(h, i, RT_ORDER)),
			      "firstTitle", db_cell(h, i, RT_FIRST_TITLE), "units", (json_int_t)db_int(h, i, RT_UNITS));

	if (!o)
		return NULL;
	json_object_set_new(o, "unitsText", json_string(order_count_text(c->a, (long long)db_int(h, i, RT_UNITS), "unit")));
	json_object_set_new(o, "restock", db_cell(h, i, RT_RESTOCK) ? json_boolean(db_int(h, i, RT_RESTOCK)) : json_null());
	if (db_cell(h, i, RT_REFUND) && db_cell(h, i, RT_REFUND_STATUS))
		json_object_set_new(o, "refund", json_pack("{sI, ss, ss, sI, ss, ss?}",
			"id", (json_int_t)db_int(h, i, RT_REFUND), "status", db_cell(h, i, RT_REFUND_STATUS),
			"statusText", refund_text(db_cell(h, i, RT_REFUND_STATUS)),
			"amount", (json_int_t)db_int(h, i, RT_REFUND_AMOUNT), "currency", db_cell(h, i, RT_CUR),
			"error", db_cell(h, i, RT_REFUND_ERROR)));
	else
		json_object_set_new(o, "refund", json_null());
	if (l) {
		json_t *arr = json_array();

		for (size_t k = 0; k < l->nrows; k++)
			json_array_append_new(arr, json_pack("{sI, ss, ss, ss?, sI, sI, ss}",
				"line", (json_int_t)db_int(l, k, RL_NO), "title", db_cell(l, k, RL_TITLE),
				"itemId", db_cell(l, k, RL_CODE),
				"optionsText", order_options_text(c->a, db_cell(l, k, RL_OPTIONS)),
				"quantity", (json_int_t)db_int(l, k, RL_QTY), "amount", (json_int_t)db_int(l, k, RL_AMOUNT),
				"currency", db_cell(h, i, RT_CUR)));
		json_object_set_new(o, "lines", arr);
	}
	return o;
}

/* ---- photos ---- */

/* The types a return photo may be (the product pipeline also takes GIF). */
#define RT_PHOTO_TYPES (IMAGE_TYPE_BIT(IMAGE_JPEG) | IMAGE_TYPE_BIT(IMAGE_PNG) | IMAGE_TYPE_BIT(IMAGE_WEBP))

/* A stored thumbnail's side: the long edge at most IMAGE_THUMB, never
 * enlarged (as images.c makes it). */
static int64_t thumb_side(int64_t side, int64_t w, int64_t h)
{
	int64_t longest = w > h ? w : h;

	if (longest <= IMAGE_THUMB || longest <= 0)
		return side;
	side = (side * IMAGE_THUMB + longest / 2) / longest;
	return side > 0 ? side : 1;
}

/* Row i of returns_photos as the page and the API show it. The URLs are
 * shopd's, which check who asks (h_return_photo): never /media/. */
static json_t *photo_json(struct ctx *c, int64_t return_id, const struct db_res *r, size_t i)
{
	int64_t pid = db_int(r, i, RP_ID), w = db_int(r, i, RP_WIDTH), h = db_int(r, i, RP_HEIGHT);

	return json_pack("{sI, sI, ss, ss, ss, sI, sI, sI, sI}", "id", (json_int_t)pid,
			 "position", (json_int_t)db_int(r, i, RP_POS),
			 "alt", arena_printf(c->a, "Photo %lld of the return", (long long)db_int(r, i, RP_POS)),
			 "url", arena_printf(c->a, "/returns/%lld/photos/%lld/full", (long long)return_id, (long long)pid),
			 "thumbUrl", arena_printf(c->a, "/returns/%lld/photos/%lld/thumb", (long long)return_id, (long long)pid),
			 "width", (json_int_t)w, "height", (json_int_t)h,
			 "thumbWidth", (json_int_t)thumb_side(w, w, h), "thumbHeight", (json_int_t)thumb_side(h, w, h));
}

/* The return's photos; *count how many. */
static enum err photos_json(struct ctx *c, int64_t return_id, json_t **out, size_t *count)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	if ((e = returns_photos(c->db, c->a, return_id, &r)))
		return e;
	if (!(*out = json_array()))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(*out, photo_json(c, return_id, r, i));
	*count = r->nrows;
	return E_OK;
}

/* The non-empty file parts of the request named field (a form's file input
 * left empty sends a part with no name and no bytes), prepared through the
 * image pipeline, at most max of them. E_OK with *status and *why set when
 * one is refused (its number and name in the words) or there are too many. */
static enum err prepare_photos(struct ctx *c, const char *field, size_t max, struct image_ready *out, size_t *n,
			       int *status, const char **why)
{
	*n = 0;
	*status = 0;
	*why = NULL;
	for (size_t i = 0; i < c->req->nuploads; i++) {
		const struct upload *u = &c->req->uploads[i];
		struct image_upload in = { .types = RT_PHOTO_TYPES };
		enum err e;

		if (strcmp(u->field, field) || (!u->len && !*u->filename))
			continue;
		if (*n >= max) {
			*status = 422;
			*why = max ? arena_printf(c->a, "Send at most %zu photo%s.", max, max == 1 ? "" : "s")
				   : "This return has all the photos it can take.";
			return E_OK;
		}
		in.data = (const unsigned char *)u->data;
		in.len = u->len;
		in.filename = u->filename;
		if ((e = images_prepare(c->a, &in, &out[*n])))
			return e;
		if (in.status) {
			*status = in.status;
			*why = *u->filename && !images_check_name(u->filename)
				? arena_printf(c->a, "Photo %zu (%s): %s", *n + 1, u->filename, in.why)
				: arena_printf(c->a, "Photo %zu: %s", *n + 1, in.why);
			return E_OK;
		}
		(*n)++;
	}
	return E_OK;
}

/* Who is looking: 1 the shopper, 2 the seller, 3 an admin; 0 no one who
 * may (answered 404, as for no such return). */
static int viewer(const struct ctx *c, struct db_res *h)
{
	if (!c->sess)
		return 0;
	if (c->sess->uid > 0 && db_int(h, 0, RT_USER) == c->sess->uid)
		return 1;
	if (c->sess->seller_id > 0 && db_int(h, 0, RT_SELLER) == c->sess->seller_id)
		return 2;
	return c->sess->is_admin ? 3 : 0;
}

/* 422 naming the field (error.fields), as POST /api/sales answers. */
static enum err reply_field(struct ctx *c, const char *title, const char *field, const char *msg)
{
	json_t *err;
	enum err e = reply_error_titled(c, 422, title, msg);

	err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;
	if (!e && err && field)
		json_object_set_new(err, "fields", json_pack("[{ss, ss}]", "field", field, "message", msg));
	return e;
}

/* Whose page: any who may see it, the seller's (/seller/returns/{id}),
 * the admins' (/admin/returns/{id}, with the seller's forms). */
enum { AS_ANY, AS_SELLER, AS_ADMIN, AS_GUEST };

/* Is this an admin's route (/admin/..., /api/admin/...)? */
static int admin_route(const struct ctx *c)
{
	const char *p = c->req->path;

	return p && (!strncmp(p, "/admin/", 7) || !strncmp(p, "/api/admin/", 11));
}

/* The return page (or its JSON) with status, and an error above the forms. */
static enum err show(struct ctx *c, int64_t id, int as_seller, int status, const char *error)
{
	struct db_res *h = NULL, *l = NULL;
	enum err e = returns_get(c->db, c->a, id, &h, &l);
	json_t *o, *m, *photos;
	size_t nphotos = 0;
	int who = 0;
	const char *st;

	if (e && e != E_NOTFOUND)
		return e;
	if (!e && as_seller == AS_ADMIN) {
		who = c->sess && c->sess->is_admin ? 3 : 0;
	} else if (!e && as_seller == AS_GUEST) {
		const char *t = ctx_str(c, "t");

		who = t && order_link_ok(db_int(h, 0, RT_ORDER), t) ? 4 : 0;
	} else if (!e)
		who = viewer(c, h);
	if (e || !who || (as_seller == AS_SELLER && who != 2))
		return reply_error(c, 404, "There is no such return.");
	if (!(o = return_json(c, h, 0, l)))
		return E_NOMEM;
	if ((e = photos_json(c, id, &photos, &nphotos))) {
		json_decref(o);
		return e;
	}
	json_object_set_new(o, "photos", photos);
	if (who == 4) {
		/* The guest's link: its pages and photos carry the token. */
		const char *t = ctx_str(c, "t");
		size_t k;
		json_t *ph;

		json_object_set_new(o, "url", json_string(arena_printf(c->a, "/returns/%lld/view?t=%s", (long long)id, t)));
		json_object_set_new(o, "orderUrl", json_string(order_link_path(c->a, db_int(h, 0, RT_ORDER))));
		json_array_foreach(photos, k, ph) {
			long long pid = (long long)json_integer_value(json_object_get(ph, "id"));

			json_object_set_new(ph, "url", json_string(arena_printf(c->a, "/returns/%lld/view/photos/%lld/full?t=%s",
										(long long)id, pid, t)));
			json_object_set_new(ph, "thumbUrl", json_string(arena_printf(c->a,
				"/returns/%lld/view/photos/%lld/thumb?t=%s", (long long)id, pid, t)));
		}
	}
	if (c->req->wants_json && status >= 400) {
		e = reply_error(c, status, error);
		json_object_set_new(c->resp->model, "return", o);
		return e;
	}
	if (!(m = reply_model(c, c->req->wants_json ? NULL : "return", arena_printf(c->a, "Return %lld", (long long)id)))) {
		json_decref(o);
		return E_NOMEM;
	}
	if (status)
		c->resp->status = status;
	if (c->req->wants_json) {
		json_object_update(m, o);
		json_decref(o);
		return E_OK;
	}
	st = db_cell(h, 0, RT_STATUS);
	if (who == 2 || (who == 3 && as_seller == AS_ADMIN)) {
		const char *addr = NULL;

		if (who == 2)
			json_object_set_new(o, "isSeller", json_true());
		else
			json_object_set_new(o, "isAdmin", json_true());
		json_object_set_new(o, "actionBase", json_string(arena_printf(c->a, who == 2 ? "/seller/returns/%lld" :
									      "/admin/returns/%lld", (long long)id)));
		json_object_set_new(o, "canRetry", json_boolean(who == 3 && !strcmp(st, "refund_failed")));
		json_object_set_new(o, "canDecide", json_boolean(!strcmp(st, "requested")));
		json_object_set_new(o, "canReceive", json_boolean(!strcmp(st, "approved") || !strcmp(st, "in_transit")));
		if (!strcmp(st, "requested") && !returns_seller_address(c->db, c->a, db_int(h, 0, RT_SELLER), &addr) && addr)
			json_object_set_new(o, "defaultAddress", json_string(addr));
	}
	if (who == 1 || who == 4) {
		/* The shopper's own controls; the guest link's forms post to
		 * its own routes with the token (guestToken, a hidden field). */
		const char *base = who == 4 ? arena_printf(c->a, "/returns/%lld/view", (long long)id) :
					      arena_printf(c->a, "/returns/%lld", (long long)id);

		if (who == 4) {
			json_object_set_new(o, "guestToken", json_string(ctx_str(c, "t")));
			/* The emailed link opened in a fresh browser: a session
			 * now, so the page's forms carry a token the post will
			 * match (else the first post meets the confirm step).
			 * Without Redis there is none to start: the page is still
			 * shown (reading a return needs no session), only its
			 * forms wait for one. */
			if (!c->sess)
				(void)session_csrf(c);
		}
		json_object_set_new(o, "canCancel", json_boolean(!strcmp(st, "requested") || !strcmp(st, "approved")));
		json_object_set_new(o, "cancelUrl", json_string(arena_printf(c->a, "%s/cancel", base)));
		if (!strcmp(st, "requested")) {
			size_t k;
			json_t *ph;

			json_array_foreach(json_object_get(o, "photos"), k, ph)
				json_object_set_new(ph, "deleteUrl", json_string(arena_printf(c->a, "%s/photos/%lld/delete",
					base, (long long)json_integer_value(json_object_get(ph, "id")))));
		}
		if (!strcmp(st, "requested") && nphotos < RT_MAX_PHOTOS) {
			json_object_set_new(o, "canAddPhotos", json_true());
			json_object_set_new(o, "photosLeft", json_integer((json_int_t)(RT_MAX_PHOTOS - nphotos)));
			json_object_set_new(o, "photosUrl", json_string(arena_printf(c->a, "%s/photos", base)));
		}
	}
	if (error)
		json_object_set_new(o, "formError", json_string(error));
	json_object_set_new(m, "ret", o);
	return E_OK;
}

/* ---- the shopper ---- */

/* Who asks for a return: the signed-in shopper, or a guest whose order
 * link's token (t) names the order; uid is then the order's owner (the
 * guest row). */
struct shopper {
	int64_t uid;
	const char *token;
};

static struct shopper me(const struct ctx *c)
{
	return (struct shopper){ c->sess->uid, NULL };
}

static enum err form_with(struct ctx *c, const struct shopper *sh, int64_t order_id, int status, const char *error,
			  const char *reason, const struct rt_line *sel, size_t nsel);

/* A form or API refusal of returns_request, or the new return (201). */
static enum err answer_request(struct ctx *c, const struct shopper *sh, int64_t order_id, const struct rt_outcome *o,
			       const char *reason)
{
	if (o->status == 404)
		return reply_error(c, 404, "There is no such order in your account.");
	if (o->status) {
		if (c->req->wants_json)
			return reply_field(c, "That return cannot be asked for", o->field, o->msg);
		return form_with(c, sh, order_id, 422, o->msg, reason, NULL, 0);
	}
	if (c->req->wants_json)
		return show(c, o->return_id, sh->token ? AS_GUEST : AS_ANY, 201, NULL);
	session_flash(c, "Your return request is sent to the seller.");
	if (sh->token)
		return reply_redirect(c, 303, arena_printf(c->a, "/returns/%lld/view?t=%s", (long long)o->return_id,
							   sh->token));
	return reply_redirect(c, 303, arena_printf(c->a, "/returns/%lld", (long long)o->return_id));
}

/* The reason as given: 1 to 500 characters, any lines. NULL when bad. */
static const char *good_reason(const char *s)
{
	long n;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	n = text_chars(s, TEXT_MULTILINE);
	return n >= 1 && n <= 500 ? s : NULL;
}

static enum err api_return_new(struct ctx *c, const struct shopper *sh)
{
	json_t *body = c->req->json, *lines = json_object_get(body, "lines"), *v;
	const char *reason = good_reason(json_string_value(json_object_get(body, "reason")));
	struct rt_line *s;
	struct rt_outcome o;
	int64_t order_id = path_id(c);
	size_t i, n;
	enum err e;

	static const char *title = "That return cannot be asked for";

	if (!json_is_array(lines) || !(n = json_array_size(lines)) || n > RT_MAX_LINES)
		return reply_field(c, title, "lines", "Name 1 to 100 lines: [{\"line\": 1, \"quantity\": 1}].");
	if (!(s = arena_alloc(c->a, sizeof(*s) * n)))
		return E_NOMEM;
	json_array_foreach(lines, i, v) {
		json_t *ln = json_object_get(v, "line"), *q = json_object_get(v, "quantity");

		if (!json_is_integer(ln) || json_integer_value(ln) < 1 || json_integer_value(ln) > 65535)
			return reply_field(c, title, arena_printf(c->a, "lines[%zu].line", i), "A line number is required.");
		if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 1000000)
			return reply_field(c, title, arena_printf(c->a, "lines[%zu].quantity", i),
					   "A quantity of 1 or more is required.");
		s[i].line_no = json_integer_value(ln);
		s[i].quantity = json_integer_value(q);
		for (size_t k = 0; k < i; k++)
			if (s[k].line_no == s[i].line_no)
				return reply_field(c, title, arena_printf(c->a, "lines[%zu].line", i),
						   "This line is named twice.");
	}
	if (!reason)
		return reply_field(c, title, "reason", "Say why (1 to 500 characters).");
	if ((e = returns_request(c->db, c->a, order_id, sh->uid, reason, s, n, &o)))
		return e;
	return answer_request(c, sh, order_id, &o, reason);
}

enum err h_api_return_new(struct ctx *c)
{
	struct shopper sh = me(c);

	return api_return_new(c, &sh);
}

enum err h_return_form_with(struct ctx *c, int64_t order_id, int status, const char *error, const char *reason)
{
	struct shopper sh = me(c);

	return form_with(c, &sh, order_id, status, error, reason, NULL, 0);
}

/* The form, with the quantities chosen (sel, n) when it comes back with
 * an error; a guest's posts to the link's own address with its token. */
static enum err form_with(struct ctx *c, const struct shopper *sh, int64_t order_id, int status, const char *error,
			  const char *reason, const struct rt_line *sel, size_t nsel)
{
	struct db_res *l = NULL;
	const char *st, *cur;
	json_t *m, *lines = json_array();
	int any = 0;
	enum err e = returns_order_lines(c->db, c->a, order_id, sh->uid, &st, &cur, &l);

	if (e == E_NOTFOUND) {
		json_decref(lines);
		return reply_error(c, 404, "There is no such order in your account.");
	}
	if (e) {
		json_decref(lines);
		return e;
	}
	for (size_t i = 0; i < l->nrows; i++) {
		int64_t k = returns_returnable(l, i);
		const char *why = NULL, *state = db_cell(l, i, RO_STATE);
		json_t *choices = json_array(), *line;

		if (!strcmp(state, "returned"))
			why = "Returned";
		else if (!strcmp(state, "cancelled"))
			why = "Cancelled";
		else if (strcmp(state, "delivered") || !db_int(l, i, RO_DELIVERED))
			why = "Not delivered yet";
		else if (!db_int(l, i, RO_OPEN))
			why = "The return window has closed";
		else if (!k)
			why = "In a return already";
		int64_t chosen = 0;

		for (size_t x = 0; x < nsel; x++)
			if (sel[x].line_no == db_int(l, i, RO_NO))
				chosen = sel[x].quantity;
		for (int64_t q = 0; q <= k; q++)
			json_array_append_new(choices, json_pack("{sI, sb}", "value", (json_int_t)q, "selected", q == chosen));
		line = json_pack("{sI, ss, ss?, ss?, ss?, sb, sI, ss?, so, ss?}",
				 "lineNo", (json_int_t)db_int(l, i, RO_NO), "title", db_cell(l, i, RO_TITLE),
				 "optionsText", order_options_text(c->a, db_cell(l, i, RO_OPTIONS)),
				 "sellerName", db_cell(l, i, RO_SELLER_NAME), "policy", db_cell(l, i, RO_POLICY),
				 "canReturnLine", k > 0, "returnable", (json_int_t)k,
				 "windowEndsAt", db_int(l, i, RO_DELIVERED) ? db_cell(l, i, RO_WINDOW_ISO) : NULL,
				 "choices", choices, "whyNot", why);
		if (line)
			json_object_set_new(line, "windowDays", json_integer(db_int(l, i, RO_DAYS)));
		json_array_append_new(lines, line);
		any |= k > 0;
	}
	if (!(m = reply_model(c, "return_form", arena_printf(c->a, "Return items from order %lld", (long long)order_id)))) {
		json_decref(lines);
		return E_NOMEM;
	}
	if (status)
		c->resp->status = status;
	json_object_set_new(m, "orderId", json_integer(order_id));
	json_object_set_new(m, "lines", lines);
	json_object_set_new(m, "canReturn", json_boolean(any));
	if (error)
		json_object_set_new(m, "formError", json_string(error));
	if (reason)
		json_object_set_new(m, "reason", json_string(reason));
	json_object_set_new(m, "maxPhotos", json_integer(RT_MAX_PHOTOS));
	if (sh->token) {
		json_object_set_new(m, "formAction", json_string(arena_printf(c->a, "/orders/%lld/view/return",
									      (long long)order_id)));
		json_object_set_new(m, "token", json_string(sh->token));
		json_object_set_new(m, "orderUrl", json_string(order_link_path(c->a, order_id)));
	} else {
		json_object_set_new(m, "formAction", json_string(arena_printf(c->a, "/orders/%lld/return", (long long)order_id)));
		json_object_set_new(m, "orderUrl", json_string(arena_printf(c->a, "/orders/%lld", (long long)order_id)));
	}
	return E_OK;
}

enum err h_return_form(struct ctx *c)
{
	return h_return_form_with(c, path_id(c), 0, NULL, NULL);
}

/* The form (multipart, so that it can carry photos; a urlencoded post
 * without photos is taken too): q<line>=N for each line (0: keep it), the
 * reason and up to RT_MAX_PHOTOS files in "photos". Every photo is checked
 * and re-encoded before anything is written: a refused one answers the
 * form again (422, naming it), with no return made. */
static enum err return_post(struct ctx *c, const struct shopper *sh)
{
	int64_t order_id = path_id(c);
	const char *reason = good_reason(ctx_str(c, "reason")), *why;
	struct rt_line *s = arena_alloc(c->a, sizeof(*s) * RT_MAX_LINES);
	struct image_ready *photos = arena_alloc(c->a, sizeof(*photos) * RT_MAX_PHOTOS);
	struct rt_outcome o;
	size_t n = 0, np = 0;
	int status;
	enum err e;

	if (!s || !photos)
		return E_NOMEM;
	for (size_t i = 0; i < c->req->nparams; i++) {
		const struct kvpair *p = &c->req->params[i];
		int64_t line, q;

		if (i < c->req->nquery || p->key[0] != 'q' || parse_int64(p->key + 1, strlen(p->key + 1), 1, 65535, &line))
			continue;
		if (parse_int64(p->val, p->vlen, 0, 1000000, &q))
			return form_with(c, sh, order_id, 422, "Choose how many units of each item to return.", reason, s, n);
		if (!q)
			continue;
		if (n >= RT_MAX_LINES)
			break;
		s[n].line_no = line;
		s[n].quantity = q;
		n++;
	}
	if (!n)
		return form_with(c, sh, order_id, 422, "Choose at least one item to return.", reason, s, n);
	if (!reason)
		return form_with(c, sh, order_id, 422, "Tell the seller why you return the items (up to 500 characters).",
				 NULL, s, n);
	/* The order is the shopper's before any photo is decoded. */
	{
		struct db_res *l = NULL;
		const char *st, *cur;

		if ((e = returns_order_lines(c->db, c->a, order_id, sh->uid, &st, &cur, &l)) == E_NOTFOUND)
			return reply_error(c, 404, "There is no such order in your account.");
		if (e)
			return e;
	}
	if ((e = prepare_photos(c, "photos", RT_MAX_PHOTOS, photos, &np, &status, &why)))
		return e;
	if (status)
		return form_with(c, sh, order_id, 422, arena_printf(c->a, "%s Nothing was sent; choose the photos again.", why),
				 reason, s, n);
	if ((e = returns_request_photos(c->db, c->a, order_id, sh->uid, reason, s, n, photos, np, &o)))
		return e;
	if (o.status && o.status != 404)
		return form_with(c, sh, order_id, 422, o.msg, reason, s, n);
	return answer_request(c, sh, order_id, &o, reason);
}

enum err h_return_post(struct ctx *c)
{
	struct shopper sh = me(c);

	return return_post(c, &sh);
}

/* ---- a guest's return, by the order link's token (t) ---- */

/* The guest (or whoever holds the link) of order_id: sh filled, 0; else
 * the 404 answered, 1 (a bad token tells nothing about the order). */
static int guest_of(struct ctx *c, int64_t order_id, struct shopper *sh, enum err *e)
{
	const char *t = ctx_str(c, "t"), *email = NULL, *st = NULL;
	int64_t owner = 0;
	int is_guest = 0;

	*e = E_OK;
	if (!order_id || !t || !order_link_ok(order_id, t) ||
	    order_owner(c->db, c->a, order_id, &owner, &is_guest, &email, &st)) {
		*e = reply_error(c, 404, "This link to an order is not valid. Find your order with your email address "
				 "and order number at /orders/lookup.");
		return 1;
	}
	sh->uid = owner;
	sh->token = t;
	return 0;
}

enum err h_guest_return_form(struct ctx *c)
{
	struct shopper sh;
	enum err e;

	if (guest_of(c, path_id(c), &sh, &e))
		return e;
	if (!c->sess)
		(void)session_csrf(c);	/* a fresh browser: see show() */
	return form_with(c, &sh, path_id(c), 0, NULL, NULL, NULL, 0);
}

enum err h_guest_return_post(struct ctx *c)
{
	struct shopper sh;
	enum err e;

	if (guest_of(c, path_id(c), &sh, &e))
		return e;
	return c->req->json ? api_return_new(c, &sh) : return_post(c, &sh);
}

/* The return's page for this shopper: their own, or the guest link's. */
static const char *return_url(struct ctx *c, int64_t id, const struct shopper *sh)
{
	return sh->token ? arena_printf(c->a, "/returns/%lld/view?t=%s", (long long)id, sh->token) :
			   arena_printf(c->a, "/returns/%lld", (long long)id);
}

/* The holder of the guest link of the return's order: sh filled (the
 * order's owner, the guest row), 0; else the 404 answered, 1. */
static int guest_of_return(struct ctx *c, int64_t return_id, struct shopper *sh, enum err *e)
{
	struct db_res *h = NULL;

	*e = returns_get(c->db, c->a, return_id, &h, NULL);
	if (*e == E_NOTFOUND) {
		*e = reply_error(c, 404, "There is no such return.");
		return 1;
	}
	if (*e)
		return 1;
	return guest_of(c, db_int(h, 0, RT_ORDER), sh, e);
}

/* A shopper's act on a return (withdraw, add or remove photos), run as
 * the signed-in owner (as_me) or as the holder of the guest link (as_guest:
 * 404 unless the token is the return's order's). */
typedef enum err (*shopper_act)(struct ctx *c, const struct shopper *sh);

static enum err as_me(struct ctx *c, shopper_act act)
{
	struct shopper sh = me(c);

	return act(c, &sh);
}

static enum err as_guest(struct ctx *c, shopper_act act)
{
	struct shopper sh;
	enum err e;

	if (guest_of_return(c, path_id(c), &sh, &e))
		return e;
	return act(c, &sh);
}

/* Photos added to a requested return: the return page's form ("photos",
 * one or more files) and POST /api/returns/{id}/photos (one file,
 * "photo"). Who may: the shopper whose return it is (anyone else 404),
 * while it is requested (409 once decided) and has room (409). */
static enum err add_photos(struct ctx *c, const struct shopper *sh)
{
	int64_t id = path_id(c), first = 0;
	int as = sh->token ? AS_GUEST : AS_ANY;
	int api = c->req->wants_json, status;
	struct image_ready *photos = arena_alloc(c->a, sizeof(*photos) * RT_MAX_PHOTOS);
	struct rt_outcome o;
	const char *why;
	size_t np = 0, files = 0;
	enum err e;

	if (!photos)
		return E_NOMEM;
	for (size_t i = 0; i < c->req->nuploads; i++)
		if (!strcmp(c->req->uploads[i].field, api ? "photo" : "photos") &&
		    (c->req->uploads[i].len || *c->req->uploads[i].filename))
			files++;
	if ((e = returns_photo_room(c->db, c->a, id, sh->uid, files ? files : 1, &o)))
		return e;
	if (o.status == 404)
		return reply_error(c, 404, "There is no such return.");
	if (o.status) {
		if (api)
			return reply_error_titled(c, o.status, "No photo can be added to this return", o.msg);
		return show(c, id, as, o.status, o.msg);
	}
	if (!files || (api && files > 1)) {
		const char *m = api ? "Send one photo as the multipart/form-data file field \"photo\"."
				    : "Choose a photo to add.";

		if (api)
			return reply_error(c, 400, m);
		return show(c, id, as, 400, m);
	}
	if ((e = prepare_photos(c, api ? "photo" : "photos", RT_MAX_PHOTOS, photos, &np, &status, &why)))
		return e;
	if (status) {
		if (api)
			return reply_error_titled(c, status, "That image file could not be used", why);
		return show(c, id, as, 422, arena_printf(c->a, "%s No photo was added.", why));
	}
	if ((e = returns_add_photos(c->db, c->a, id, sh->uid, photos, np, &first, &o)))
		return e;
	if (o.status == 404)
		return reply_error(c, 404, "There is no such return.");
	if (o.status) {
		if (api)
			return reply_error_titled(c, o.status, "No photo can be added to this return", o.msg);
		return show(c, id, as, o.status, o.msg);
	}
	if (api) {
		json_t *m, *list;
		size_t count = 0, i;
		json_t *v;

		if ((e = photos_json(c, id, &list, &count)))
			return e;
		if (!(m = reply_model(c, NULL, NULL))) {
			json_decref(list);
			return E_NOMEM;
		}
		json_array_foreach(list, i, v)
			if (json_integer_value(json_object_get(v, "id")) == first)
				json_object_update(m, v);
		json_decref(list);
		resp_header(c->resp, sh->token ?
			    arena_printf(c->a, "Location: /returns/%lld/view/photos/%lld/full?t=%s", (long long)id,
					 (long long)first, sh->token) :
			    arena_printf(c->a, "Location: /returns/%lld/photos/%lld/full", (long long)id, (long long)first));
		c->resp->status = 201;
		return E_OK;
	}
	session_flash(c, np == 1 ? "The photo was added to your return." : "The photos were added to your return.");
	return reply_redirect(c, 303, return_url(c, id, sh));
}

enum err h_return_photos_add(struct ctx *c)
{
	return as_me(c, add_photos);
}

/* The same through the guest's link (form and API, with ?t= or the
 * form's t). */
enum err h_guest_return_photos_add(struct ctx *c)
{
	return as_guest(c, add_photos);
}

/* GET /returns/{id}/photos/{photo}/{full|thumb}: the photo's file, to
 * those who may see the return (the shopper, its seller, admins) and to
 * no one else (404, as for the return). The files are in a place nginx
 * never serves (images.h, IMAGE_PLACE_RETURNS): a URL alone, guessed or
 * passed on, shows nothing without the session. */
enum err h_return_photo(struct ctx *c)
{
	int64_t id = path_id(c), pid;
	const char *ps = c->req->npathvar > 1 ? c->req->pathvar[1] : NULL,
		   *size = c->req->npathvar > 2 ? c->req->pathvar[2] : NULL, *hash = NULL, *file;
	struct db_res *h = NULL, *r = NULL;
	enum image_size sz;
	struct stat st;
	enum err e;
	int fd;

	if (!ps || parse_int64(ps, strlen(ps), 1, INT64_MAX, &pid) || !size)
		return E_NOTFOUND;
	if (!strcmp(size, "full"))
		sz = IMAGE_SIZE_FULL;
	else if (!strcmp(size, "thumb"))
		sz = IMAGE_SIZE_THUMB;
	else
		return E_NOTFOUND;
	if ((e = returns_get(c->db, c->a, id, &h, NULL)) == E_NOTFOUND ||
	    (!e && !viewer(c, h) && !(ctx_str(c, "t") && order_link_ok(db_int(h, 0, RT_ORDER), ctx_str(c, "t")))))
		return reply_error(c, 404, "There is no such photo.");
	if (e || (e = returns_photos(c->db, c->a, id, &r)))
		return e;
	for (size_t i = 0; i < r->nrows && !hash; i++)
		if (db_int(r, i, RP_ID) == pid)
			hash = db_cell(r, i, RP_HASH);
	if (!hash || !(file = images_file(c->a, IMAGE_PLACE_RETURNS, hash, sz)))
		return reply_error(c, 404, "There is no such photo.");
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("returns: photo %lld of return %lld: %s: %s", (long long)pid, (long long)id, file, strerror(errno));
		return errno == ENOENT ? E_NOTFOUND : E_IO;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > 16 * 1024 * 1024) {
		close(fd);
		return E_IO;
	}
	for (;;) {
		char chunk[65536];
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			close(fd);
			return E_IO;
		}
		if (!got)
			break;
		buf_put(&c->resp->body, chunk, (size_t)got);
	}
	close(fd);
	if (c->resp->body.oom)
		return E_NOMEM;
	c->resp->content_type = "image/webp";
	/* The content of a photo's URL never changes; only the people who may
	 * see the return get it, and no shared cache keeps it. */
	resp_header(c->resp, "Cache-Control: private, max-age=86400");
	resp_header(c->resp, "Content-Security-Policy: default-src 'none'; sandbox");
	return E_OK;
}

/* The shopper withdraws the return (form and API): the signed-in owner,
 * or a guest through the order's link. */
static enum err cancel_as(struct ctx *c, const struct shopper *sh)
{
	int64_t id = path_id(c);
	int as = sh->token ? AS_GUEST : AS_ANY;
	struct rt_outcome o;
	enum err e;

	if ((e = returns_cancel(c->db, c->a, id, sh->uid, &o)))
		return e;
	if (o.status == 404)
		return reply_error(c, 404, "There is no such return.");
	if (o.status)
		return show(c, id, as, o.status, o.msg);
	if (c->req->wants_json)
		return show(c, id, as, 200, NULL);
	session_flash(c, "Your return is withdrawn.");
	return reply_redirect(c, 303, return_url(c, id, sh));
}

enum err h_return_cancel(struct ctx *c)
{
	return as_me(c, cancel_as);
}

enum err h_guest_return_cancel(struct ctx *c)
{
	return as_guest(c, cancel_as);
}

/* The shopper removes a photo (form: POST /returns/{id}/photos/{photo}/delete;
 * API: DELETE /api/returns/{id}/photos/{photo}, 200 with the return; a
 * guest the same under /returns/{id}/view/ with the link's token). */
static enum err photo_delete_as(struct ctx *c, const struct shopper *sh)
{
	int64_t id = path_id(c), pid;
	int as = sh->token ? AS_GUEST : AS_ANY;
	const char *ps = c->req->npathvar > 1 ? c->req->pathvar[1] : NULL;
	struct rt_outcome o;
	enum err e;

	if (!ps || parse_int64(ps, strlen(ps), 1, INT64_MAX, &pid))
		return reply_error(c, 404, "There is no such photo.");
	if ((e = returns_delete_photo(c->db, c->a, id, sh->uid, pid, &o)))
		return e;
	if (o.status == 404)
		return reply_error(c, 404, "There is no such photo.");
	if (o.status) {
		if (c->req->wants_json)
			return reply_error_titled(c, o.status, "This photo cannot be removed", o.msg);
		return show(c, id, as, o.status, o.msg);
	}
	if (c->req->wants_json)
		return show(c, id, as, 200, NULL);
	session_flash(c, "The photo was removed from your return.");
	return reply_redirect(c, 303, return_url(c, id, sh));
}

enum err h_return_photo_delete(struct ctx *c)
{
	return as_me(c, photo_delete_as);
}

enum err h_guest_return_photo_delete(struct ctx *c)
{
	return as_guest(c, photo_delete_as);
}

enum err h_api_return_photos(struct ctx *c)
{
	return as_me(c, add_photos);
}

enum err h_api_return(struct ctx *c)
{
	return show(c, path_id(c), 0, 0, NULL);
}

enum err h_return_page(struct ctx *c)
{
	return show(c, path_id(c), 0, 0, NULL);
}

/* GET /returns/{id}/view?t=: the guest follows the return (page or JSON). */
enum err h_guest_return_page(struct ctx *c)
{
	return show(c, path_id(c), AS_GUEST, 0, NULL);
}

void returns_guest_block(struct db *db, struct arena *a, int64_t order_id, int64_t uid, const char *token, json_t *order)
{
	json_t *arr, *x;
	size_t i;

	returns_order_block(db, a, order_id, uid, order);
	if (json_object_get(order, "returnUrl"))
		json_object_set_new(order, "returnUrl", json_string(arena_printf(a, "/orders/%lld/view/return?t=%s",
									       (long long)order_id, token)));
	arr = json_object_get(order, "returns");
	json_array_foreach(arr, i, x)
		json_object_set_new(x, "url", json_string(arena_printf(a, "/returns/%lld/view?t=%s",
			(long long)json_integer_value(json_object_get(x, "id")), token)));
}

/* The order page's block (signed-in shopper, whose order the caller has
 * read): a "Return items" link when some line can be returned, and the
 * order's returns. An archived order (its lines no longer hot, so
 * returns_order_lines finds none) has nothing left to return but keeps
 * its returns: the block is the same as before it moved. */
void returns_order_block(struct db *db, struct arena *a, int64_t order_id, int64_t uid, json_t *order)
{
	struct db_res *l = NULL, *r = NULL;
	const char *st, *cur;
	json_t *arr;
	int any = 0;
	enum err e;

	if (returns_of_order(db, a, order_id, &r))
		return;
	e = returns_order_lines(db, a, order_id, uid, &st, &cur, &l);
	if (e && e != E_NOTFOUND)
		return;
	for (size_t i = 0; !e && i < l->nrows && !any; i++)
		any = returns_returnable(l, i) > 0;
	if (any)
		json_object_set_new(order, "returnUrl", json_string(arena_printf(a, "/orders/%lld/return", (long long)order_id)));
	arr = json_array();
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(arr, json_pack("{sI, ss, ss, ss}", "id", (json_int_t)db_int(r, i, RT_ID),
			"status", db_cell(r, i, RT_STATUS),
			"statusText", status_text(db_cell(r, i, RT_STATUS), db_cell(r, i, RT_ARRIVED) != NULL),
			"url", arena_printf(a, "/returns/%lld", (long long)db_int(r, i, RT_ID))));
	json_object_set_new(order, "returns", arr);
}

/* ---- the seller ---- */

/* Who acts: the seller ("seller:7"), or an admin on /admin/returns
 * ("admin:12", any seller's return: seller 0 for returns.h). */
static const char *actor_of(struct ctx *c)
{
	if (admin_route(c))
		return arena_printf(c->a, "admin:%lld", (long long)c->sess->uid);
	return arena_printf(c->a, "seller:%lld", (long long)c->sess->seller_id);
}

static int64_t acting_seller(struct ctx *c)
{
	return admin_route(c) ? 0 : c->sess->seller_id;
}

static enum err seller_list(struct ctx *c, int api)
{
	const char *status = ctx_str(c, "status");
	int64_t before = ctx_int(c, "before", INT64_MAX);
	struct db_res *r = NULL;
	json_t *m, *items;
	enum err e;

	if (status && strcmp(status, "requested") && strcmp(status, "approved") && strcmp(status, "rejected") &&
	    strcmp(status, "in_transit") && strcmp(status, "received") && strcmp(status, "refunded") &&
	    strcmp(status, "refund_failed"))
		return reply_error(c, 400, "status: must be requested, approved, rejected, in_transit, received, refunded "
				   "or refund_failed");
	if ((e = returns_of_seller(c->db, c->a, c->sess->seller_id, status, before, RT_LIST_SIZE + 1, &r)))
		return e;
	if (!(m = reply_model(c, api ? NULL : "seller_returns", "Returns")))
		return E_NOMEM;
	items = json_array();
	for (size_t i = 0; i < r->nrows && i < RT_LIST_SIZE; i++)
		json_array_append_new(items, return_json(c, r, i, NULL));
	json_object_set_new(m, api ? "items" : "returns", items);
	if (!api)
		json_object_set_new(m, "filter", json_string(status ? status : ""));
	if (r->nrows > RT_LIST_SIZE) {
		int64_t last = db_int(r, RT_LIST_SIZE - 1, RT_ID);

		json_object_set_new(m, "nextUrl", json_string(arena_printf(c->a, "/%sseller/returns?before=%lld%s%s",
			api ? "api/" : "", (long long)last, status ? "&status=" : "", status ? status : "")));
	} else if (api) {
		json_object_set_new(m, "nextUrl", json_null());
	}
	return E_OK;
}

enum err h_seller_returns(struct ctx *c)
{
	return seller_list(c, 0);
}

enum err h_api_seller_returns(struct ctx *c)
{
	return seller_list(c, 1);
}

enum err h_seller_return(struct ctx *c)
{
	return show(c, path_id(c), 1, 0, NULL);
}

/* The end of a seller's POST: the page with the refusal, or a redirect
 * with a notice; the API answers the return (or the refusal). */
static enum err finish(struct ctx *c, int64_t id, const struct rt_outcome *o, const char *notice, int ok_status)
{
	if (o->status == 404)
		return reply_error(c, 404, "There is no such return.");
	if (o->status == 422 && c->req->wants_json)
		return reply_field(c, "That cannot be done to this return", o->field, o->msg);
	if (o->status)
		return show(c, id, admin_route(c) ? AS_ADMIN : AS_SELLER, o->status, o->msg);
	if (c->req->wants_json)
		return show(c, id, admin_route(c) ? AS_ADMIN : AS_SELLER, ok_status, NULL);
	session_flash(c, notice);
	return reply_redirect(c, 303, arena_printf(c->a, admin_route(c) ? "/admin/returns/%lld" : "/seller/returns/%lld",
						   (long long)id));
}

/* A string member or form field: NULL when absent or empty; *bad when it
 * is there but not text of at most max characters. */
static const char *text_in(struct ctx *c, const char *name, long max, int *bad)
{
	const char *s;
	long n;

	*bad = 0;
	if (c->req->json) {
		json_t *v = json_object_get(c->req->json, name);

		if (!v || json_is_null(v))
			return NULL;
		if (!json_is_string(v)) {
			*bad = 1;
			return NULL;
		}
		s = json_string_value(v);
	} else {
		s = ctx_str(c, name);
	}
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	n = text_chars(s, TEXT_MULTILINE);
	if (n < 1 || n > max)
		*bad = 1;
	return *bad ? NULL : s;
}

/* 1 when return id is the signed-in seller's. A seller action asks this
 * before it looks at what was sent, so that another seller's return
 * answers 404 whatever the body (a 422 would tell that it exists). */
static int seller_owns(struct ctx *c, int64_t id)
{
	struct db_res *h = NULL;

	if (admin_route(c))	/* an admin (RF_ADMIN): any return there is */
		return id && c->sess && c->sess->is_admin && !returns_get(c->db, c->a, id, &h, NULL);
	if (!id || !c->sess || !c->sess->seller_id || returns_get(c->db, c->a, id, &h, NULL))
		return 0;
	return db_int(h, 0, RT_SELLER) == c->sess->seller_id;
}

static enum err approve(struct ctx *c)
{
	int64_t id = path_id(c);
	int bad_a, bad_l, bad_c;
	const char *address = text_in(c, "address", 500, &bad_a), *label = text_in(c, "label", 64, &bad_l),
		   *carrier = text_in(c, "carrier", 32, &bad_c);
	struct rt_outcome o;
	enum err e;

	if (!seller_owns(c, id))
		return E_NOTFOUND;

	memset(&o, 0, sizeof(o));
	if (bad_a || bad_l || bad_c) {
		o.status = 422;
		o.field = bad_a ? "address" : bad_l ? "label" : "carrier";
		o.msg = bad_a ? "The address is text of at most 500 characters." :
			bad_l ? "The label reference is at most 64 characters." : "The carrier is at most 32 characters.";
	} else if (label && (strchr(label, '\n') || strchr(label, ' '))) {
		o.status = 422;
		o.field = "label";
		o.msg = "The label reference is one word (the tracking number printed on it).";
	} else if ((e = returns_approve(c->db, c->a, id, acting_seller(c), actor_of(c), address, label, carrier, &o))) {
		return e;
	}
	return finish(c, id, &o, "Approved: the shopper has the return address and the label.", 200);
}

enum err h_seller_return_approve(struct ctx *c)
{
	return approve(c);
}

enum err h_api_seller_return_approve(struct ctx *c)
{
	return approve(c);
}

static enum err reject(struct ctx *c)
{
	int64_t id = path_id(c);
	int bad;
	const char *reason = text_in(c, "reason", 500, &bad);
	struct rt_outcome o;
	enum err e;

	if (!seller_owns(c, id))
		return E_NOTFOUND;

	memset(&o, 0, sizeof(o));
	if (bad) {
		o.status = 422;
		o.field = "reason";
		o.msg = "The reason is text of at most 500 characters.";
	} else if ((e = returns_reject(c->db, c->a, id, acting_seller(c), actor_of(c), reason, &o))) {
		return e;
	}
	return finish(c, id, &o, "Rejected: the shopper is told why.", 200);
}

enum err h_seller_return_reject(struct ctx *c)
{
	return reject(c);
}

enum err h_api_seller_return_reject(struct ctx *c)
{
	return reject(c);
}

/* A test hook, active only when shopd runs with SHOP_TEST_HOOKS=1: while
 * the Redis key "test:pause" says "return-refund" (at most 30 s), the
 * worker waits between the receipt's commit and the refund's gateway
 * call, so a test can kill it exactly there. */
static void test_pause(struct ctx *c)
{
	const char *h = getenv("SHOP_TEST_HOOKS");

	for (int i = 0; h && !strcmp(h, "1") && i < 300; i++) {
		redisReply *r = NULL;

		if (kv_cmd(c->kv, c->a, &r, "GET test:pause") || !r || r->type != REDIS_REPLY_STRING ||
		    strcmp(r->str, "return-refund"))
			return;
		usleep(100 * 1000);
	}
}

static enum err received(struct ctx *c)
{
	int64_t id = path_id(c);
	struct rt_outcome o;
	int restock, done = 0;
	enum err e;

	if (!seller_owns(c, id))
		return E_NOTFOUND;

	memset(&o, 0, sizeof(o));
	if (c->req->json) {
		json_t *v = json_object_get(c->req->json, "restock");

		if (!json_is_boolean(v)) {
			o.status = 422;
			o.field = "restock";
			o.msg = "Say whether the units go back on sale: \"restock\": true, or false to write them off.";
			return finish(c, id, &o, NULL, 200);
		}
		restock = json_is_true(v);
	} else {
		if (!ctx_has(c, "restock")) {
			o.status = 422;
			o.msg = "Choose: back on sale, or written off.";
			return finish(c, id, &o, NULL, 200);
		}
		restock = ctx_int(c, "restock", 0) != 0;
	}
	if ((e = returns_receive(c->db, c->a, id, acting_seller(c), actor_of(c), restock, &o)))
		return e;
	if (o.status)
		return finish(c, id, &o, NULL, 200);
	test_pause(c);
	/* The refund's first attempt; without an answer the fulfillment job
	 * tries again with the same key (202: under way). */
	if ((e = returns_refund(c->db, c->a, id, actor_of(c), &done)) && e != E_UNAVAIL)
		return e;
	if (done < 0) {
		o.status = 502;
		o.msg = "The payment service refused the refund. The units are received; the return is refund_failed "
			"and the shop's staff are told: they try the refund again or settle it another way.";
		return finish(c, id, &o, NULL, 200);
	}
	return finish(c, id, &o, done ? "Received: the refund is done." :
			  "Received: the refund is under way and will be tried again if the payment service does not answer.",
		      done ? 200 : 202);
}

enum err h_seller_return_received(struct ctx *c)
{
	return received(c);
}

enum err h_api_seller_return_received(struct ctx *c)
{
	return received(c);
}

/* ---- admins ---- */

enum err h_admin_return(struct ctx *c)
{
	return show(c, path_id(c), AS_ADMIN, 0, NULL);
}

/* An admin acts on any return as its seller would (same bodies, same
 * answers), audited (returns.h). */
enum err h_admin_return_approve(struct ctx *c)
{
	return approve(c);
}

enum err h_admin_return_reject(struct ctx *c)
{
	return reject(c);
}

enum err h_admin_return_received(struct ctx *c)
{
	return received(c);
}

/* Try a refused refund again: 200 refunded, 202 under way (the
 * fulfillment job tries again), 502 refused again (still refund_failed),
 * 409 not refund_failed. */
enum err h_admin_return_retry(struct ctx *c)
{
	int64_t id = path_id(c);
	struct rt_outcome o;
	int done = 0;
	enum err e;

	if (!seller_owns(c, id))
		return E_NOTFOUND;
	if ((e = returns_retry_refund(c->db, c->a, id, actor_of(c), &o)))
		return e;
	if (o.status)
		return finish(c, id, &o, NULL, 200);
	if ((e = returns_refund(c->db, c->a, id, actor_of(c), &done)) && e != E_UNAVAIL)
		return e;
	if (done < 0) {
		o.status = 502;
		o.msg = "The payment service refused the refund again. Nothing was paid; the return stays refund_failed.";
		return finish(c, id, &o, NULL, 200);
	}
	return finish(c, id, &o, done ? "The refund is done." :
			  "The refund is under way and will be tried again if the payment service does not answer.",
		      done ? 200 : 202);
}

enum err h_admin_returns(struct ctx *c)
{
	struct db_res *r = NULL;
	json_t *m, *items;
	enum err e;

	if ((e = returns_escalated(c->db, c->a, 200, &r)))
		return e;
	if (!(m = reply_model(c, c->req->wants_json ? NULL : "admin_returns", "Returns for the shop's staff")))
		return E_NOMEM;
	items = json_array();
	for (size_t i = 0; i < r->nrows; i++) {
		json_t *o = return_json(c, r, i, NULL);

		if (o)
			json_object_set_new(o, "shopperEmail", json_string(db_cell(r, i, RT_USER_EMAIL) ?
									   db_cell(r, i, RT_USER_EMAIL) : ""));
		json_array_append_new(items, o);
	}
	json_object_set_new(m, "returns", items);
	return E_OK;
}

/* ---- the carriers' scans of return labels ---- */

enum err returns_carrier_scan(struct ctx *c, const char *id, const char *type, const char *carrier,
			      const char *tracking, int *found)
{
	int duplicate = 0;
	json_t *m;
	enum err e;

	if ((e = returns_carrier_event(c->db, c->a, id, type, carrier, tracking, found, &duplicate)) || !*found)
		return e;
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	json_object_set_new(m, "received", json_true());
	if (duplicate)
		json_object_set_new(m, "duplicate", json_true());
	return E_OK;
}

/* ---- the seller's return settings ---- */

/* The settings as the page and the API show them (status, error). */
static enum err settings_show(struct ctx *c, int status, const char *error)
{
	struct db_res *w = NULL, *cats = NULL;
	const char *addr = NULL;
	json_t *m, *wins, *list;
	int64_t all = -1, shop_days = 0;
	int api = c->req->wants_json;
	enum err e;

	if ((e = returns_seller_windows(c->db, c->a, c->sess->seller_id, &w)) ||
	    (e = returns_shop_default(c->db, c->a, &shop_days)) ||
	    (e = returns_seller_address(c->db, c->a, c->sess->seller_id, &addr)) ||
	    (!api && (e = returns_categories(c->db, c->a, &cats))))
		return e;
	if (api && status >= 400)
		return reply_error(c, status, error);
	if (!(m = reply_model(c, api ? NULL : "seller_return_settings", "Return settings")))
		return E_NOMEM;
	if (status)
		c->resp->status = status;
	wins = json_array();
	for (size_t i = 0; i < w->nrows; i++) {
		if (!db_int(w, i, 0)) {
			all = db_int(w, i, 1);
			continue;
		}
		json_array_append_new(wins, json_pack("{sI, ss?, sI}", "categoryId", (json_int_t)db_int(w, i, 0),
						      "name", db_cell(w, i, 2), "days", (json_int_t)db_int(w, i, 1)));
	}
	json_object_set_new(m, "address", addr ? json_string(addr) : json_null());
	json_object_set_new(m, "shopDays", json_integer(shop_days));
	json_object_set_new(m, "maxDays", json_integer(RT_WINDOW_MAX_DAYS));
	if (api) {
		json_object_set_new(m, "defaultDays", all >= 0 ? json_integer(all) : json_null());
		json_object_set_new(m, "windows", wins);
		return E_OK;
	}
	json_object_set_new(m, "defaultDays", all >= 0 ? json_string(arena_printf(c->a, "%lld", (long long)all)) :
				json_string(""));
	list = json_array();
	for (size_t i = 0; i < cats->nrows; i++) {
		int64_t id = db_int(cats, i, 0), days = -1;
		size_t k;
		json_t *x;

		json_array_foreach(wins, k, x)
			if (json_integer_value(json_object_get(x, "categoryId")) == id)
				days = json_integer_value(json_object_get(x, "days"));
		json_array_append_new(list, json_pack("{sI, ss, ss, sI}", "categoryId", (json_int_t)id,
			"name", db_cell(cats, i, 1) ? db_cell(cats, i, 1) : "",
			"days", days >= 0 ? arena_printf(c->a, "%lld", (long long)days) : "",
			"shopCategoryDays", (json_int_t)db_int(cats, i, 2)));
	}
	json_decref(wins);
	json_object_set_new(m, "categories", list);
	if (error)
		json_object_set_new(m, "formError", json_string(error));
	return E_OK;
}

enum err h_seller_return_settings(struct ctx *c)
{
	return settings_show(c, 0, NULL);
}

/* Days as typed in the form: -1 blank (the shop's), -2 not 0 to 365. */
static int64_t form_days(const char *s, size_t n)
{
	int64_t d;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return -1;
	if (parse_int64(s, n, 0, RT_WINDOW_MAX_DAYS, &d))
		return -2;
	return d;
}

/* 1 when id is a live category (returns_categories' rows). */
static const char *category_name(const struct db_res *cats, int64_t id)
{
	for (size_t i = 0; i < cats->nrows; i++)
		if (db_int(cats, i, 0) == id)
			return db_cell(cats, i, 1) ? db_cell(cats, i, 1) : "";
	return NULL;
}

static enum err settings_refuse(struct ctx *c, const char *field, const char *msg)
{
	if (c->req->wants_json)
		return reply_field(c, "Those return settings cannot be saved", field, msg);
	return settings_show(c, 422, msg);
}

/* POST /seller/returns/settings (address, all, d<category>=days; blank:
 * the shop's) and PUT /api/seller/returns/settings ({"address",
 * "defaultDays", "windows": [{"categoryId", "days"}]}; a member left out
 * keeps what is set, null clears it). Days 0 to 365. */
enum err h_seller_return_settings_post(struct ctx *c)
{
	struct rt_window *w = arena_alloc(c->a, sizeof(*w) * (RT_MAX_WINDOWS + 1));
	struct db_res *cats = NULL, *cur = NULL;
	const char *address = NULL;
	int64_t all = -1;
	size_t n = 0;
	int bad = 0;
	enum err e;

	if (!w)
		return E_NOMEM;
	if ((e = returns_categories(c->db, c->a, &cats)) ||
	    (e = returns_seller_windows(c->db, c->a, c->sess->seller_id, &cur)))
		return e;
	if (c->req->json) {
		json_t *b = c->req->json, *v, *x;
		size_t i;

		if (!(v = json_object_get(b, "address"))) {
			if ((e = returns_seller_address(c->db, c->a, c->sess->seller_id, &address)))
				return e;
		} else if (!json_is_null(v)) {
			address = text_in(c, "address", 500, &bad);
			if (bad || !json_is_string(v))
				return settings_refuse(c, "address", "The address is text of at most 500 characters.");
		}
		if (!(v = json_object_get(b, "defaultDays"))) {
			for (size_t k = 0; k < cur->nrows; k++)
				if (!db_int(cur, k, 0))
					all = db_int(cur, k, 1);
		} else if (!json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > RT_WINDOW_MAX_DAYS)
				return settings_refuse(c, "defaultDays", "Days are a whole number from 0 to 365, or null for the shop's.");
			all = json_integer_value(v);
		}
		if (!(v = json_object_get(b, "windows"))) {
			for (size_t k = 0; k < cur->nrows && n < RT_MAX_WINDOWS; k++)
				if (db_int(cur, k, 0) && category_name(cats, db_int(cur, k, 0)))
					w[n++] = (struct rt_window){ db_int(cur, k, 0), db_int(cur, k, 1) };
		} else if (!json_is_null(v)) {
			if (!json_is_array(v) || json_array_size(v) > RT_MAX_WINDOWS)
				return settings_refuse(c, "windows", "Give at most 200 windows: [{\"categoryId\": 3, \"days\": 14}].");
			json_array_foreach(v, i, x) {
				json_t *ci = json_object_get(x, "categoryId"), *d = json_object_get(x, "days");

				if (!json_is_integer(ci) || !category_name(cats, json_integer_value(ci)))
					return settings_refuse(c, arena_printf(c->a, "windows[%zu].categoryId", i),
							       "There is no such category.");
				if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > RT_WINDOW_MAX_DAYS)
					return settings_refuse(c, arena_printf(c->a, "windows[%zu].days", i),
							       "Days are a whole number from 0 to 365.");
				for (size_t k = 0; k < n; k++)
					if (w[k].category_id == json_integer_value(ci))
						return settings_refuse(c, arena_printf(c->a, "windows[%zu].categoryId", i),
								       "This category is named twice.");
				w[n++] = (struct rt_window){ json_integer_value(ci), json_integer_value(d) };
			}
		}
	} else {
		address = text_in(c, "address", 500, &bad);
		if (bad)
			return settings_refuse(c, "address", "The address is text of at most 500 characters.");
		if (ctx_str(c, "all") && (all = form_days(ctx_str(c, "all"), strlen(ctx_str(c, "all")))) == -2)
			return settings_refuse(c, "all", "Every category: days are a whole number from 0 to 365, or blank "
					       "for the shop's.");
		for (size_t i = c->req->nquery; i < c->req->nparams; i++) {
			const struct kvpair *p = &c->req->params[i];
			int64_t id, d;
			const char *name;

			if (p->key[0] != 'd' || parse_int64(p->key + 1, strlen(p->key + 1), 1, INT64_MAX, &id))
				continue;
			if (!(name = category_name(cats, id)))
				return settings_refuse(c, "categories", "There is no such category.");
			if ((d = form_days(p->val, p->vlen)) == -2)
				return settings_refuse(c, "categories", arena_printf(c->a, "%s: days are a whole number from "
						       "0 to 365, or blank for the shop's.", name));
			if (d < 0 || n >= RT_MAX_WINDOWS)
				continue;
			for (size_t k = 0; k < n; k++)
				if (w[k].category_id == id)
					return settings_refuse(c, "categories", arena_printf(c->a, "%s is named twice.", name));
			w[n++] = (struct rt_window){ id, d };
		}
	}
	if (all >= 0)
		w[n++] = (struct rt_window){ 0, all };
	if ((e = returns_set_settings(c->db, c->a, c->sess->seller_id, w, n, address)))
		return e;
	if (c->req->wants_json)
		return settings_show(c, 200, NULL);
	session_flash(c, "Your return settings are saved.");
	return reply_redirect(c, 303, "/seller/returns/settings");
}

/* ---- the shop's own return windows (admins) ---- */

/* A form sent back with mistakes: what was typed and what is wrong, per
 * row of returns_categories (NULL: as saved). */
struct win_form {
	const char *def, *def_bad;
	const char **typed, **bad;
	const char *extra;	/* a mistake of no row's */
};

static int64_t row_days(const struct db_res *w, int64_t category_id)
{
	for (size_t i = 0; w && i < w->nrows; i++)
		if (db_int(w, i, 0) == category_id)
			return db_int(w, i, 1);
	return -1;
}

static int64_t override_count(const struct db_res *o, int64_t category_id)
{
	return row_days(o, category_id) < 0 ? 0 : row_days(o, category_id);
}

static const char *sellers_text(struct arena *a, int64_t n)
{
	return n ? arena_printf(a, "%lld seller%s", (long long)n, n == 1 ? "" : "s") : "none";
}

/* The page and GET /api/admin/returns/windows (status: the page's, f: a
 * form to show again). */
static enum err windows_show(struct ctx *c, int status, const struct win_form *f)
{
	struct db_res *w = NULL, *cats = NULL, *ov = NULL;
	int64_t shop_days = 0, own_default;
	int api = c->req->wants_json;
	json_t *m, *list;
	enum err e;

	if ((e = returns_shop_windows(c->db, c->a, &w)) || (e = returns_categories(c->db, c->a, &cats)) ||
	    (e = returns_seller_overrides(c->db, c->a, &ov)) || (e = returns_shop_default(c->db, c->a, &shop_days)))
		return e;
	if (!(m = reply_model(c, api ? NULL : "admin_return_windows", "Return windows")))
		return E_NOMEM;
	if (status)
		c->resp->status = status;
	own_default = row_days(w, 0);
	json_object_set_new(m, "shopDays", json_integer(shop_days));
	json_object_set_new(m, "configDays", json_integer(returns_window_days()));
	json_object_set_new(m, "maxDays", json_integer(RT_WINDOW_MAX_DAYS));
	json_object_set_new(m, "sellerOverrides", json_integer(override_count(ov, 0)));
	list = json_array();
	if (api) {
		json_object_set_new(m, "defaultDays", own_default >= 0 ? json_integer(own_default) : json_null());
		for (size_t i = 0; i < cats->nrows; i++) {
			int64_t id = db_int(cats, i, 0), days = row_days(w, id);

			if (days >= 0)
				json_array_append_new(list, json_pack("{sI, ss, sI, sI}", "categoryId", (json_int_t)id,
					"name", db_cell(cats, i, 1) ? db_cell(cats, i, 1) : "", "days", (json_int_t)days,
					"sellerOverrides", (json_int_t)override_count(ov, id)));
		}
		json_object_set_new(m, "windows", list);
		return E_OK;
	}
	json_object_set_new(m, "defaultDays", json_string(f && f->def ? f->def : own_default >= 0 ?
							  arena_printf(c->a, "%lld", (long long)own_default) : ""));
	if (override_count(ov, 0))
		json_object_set_new(m, "sellersAllText", json_string(arena_printf(c->a, "%s set%s",
			sellers_text(c->a, override_count(ov, 0)), override_count(ov, 0) == 1 ? "s" : "")));
	if (f && f->def_bad)
		json_object_set_new(m, "defaultError", json_string(f->def_bad));
	for (size_t i = 0; i < cats->nrows; i++) {
		int64_t id = db_int(cats, i, 0), days = row_days(w, id), parent = db_int(cats, i, 3), from = -1;
		const char *pname = NULL, *typed = f && f->typed ? f->typed[i] : NULL;
		json_t *x;

		for (size_t k = 0; parent && k < cats->nrows; k++)
			if (db_int(cats, k, 0) == parent) {
				pname = db_cell(cats, k, 1);
				from = row_days(w, parent);
			}
		x = json_pack("{sI, ss, ss, sb, ss, ss}", "categoryId", (json_int_t)id,
			      "name", db_cell(cats, i, 1) ? db_cell(cats, i, 1) : "",
			      "days", typed ? typed : days >= 0 ? arena_printf(c->a, "%lld", (long long)days) : "",
			      "isChild", parent != 0,
			      "inherits", from >= 0 ? arena_printf(c->a, "%lld days, from %s", (long long)from,
								   pname ? pname : "its department") :
					  arena_printf(c->a, "%lld days, the shop's default", (long long)shop_days),
			      "overridesText", sellers_text(c->a, override_count(ov, id)));
		if (x && f && f->bad && f->bad[i])
			json_object_set_new(x, "error", json_string(f->bad[i]));
		json_array_append_new(list, x);
	}
	json_object_set_new(m, "categories", list);
	if (f)
		json_object_set_new(m, "formError", json_string(f->extra ? f->extra : "The return windows were not "
								 "saved: please correct the days marked below."));
	return E_OK;
}

enum err h_admin_return_windows(struct ctx *c)
{
	return windows_show(c, 0, NULL);
}

#define WIN_DAYS_MSG "Days are a whole number from 0 to 365."
#define WIN_MAX_ERRORS 20

/* POST /admin/returns/windows (defaultDays, d<category>=days; blank: the
 * configured default, resp. the category's department's or the shop's
 * default; no d<...> field at all: the categories' stay) and PUT
 * /api/admin/returns/windows ({"defaultDays", "windows": [{"categoryId",
 * "days"}]}; a member left out keeps what is set, null clears it). Days 0
 * to 365, live categories, each once; 422 naming every bad field. */
enum err h_admin_return_windows_post(struct ctx *c)
{
	struct rt_window *w;
	struct rt_shop_windows in = { RT_KEEP, 1, NULL, 0 };
	const char *field[WIN_MAX_ERRORS], *msg[WIN_MAX_ERRORS];
	struct db_res *cats = NULL;
	int nbad = 0, changed = 0;
	enum err e;

	/* Each live category at most once: room for them all. */
	if ((e = returns_categories(c->db, c->a, &cats)))
		return e;
	if (!(w = arena_alloc(c->a, sizeof(*w) * (cats->nrows + 1))))
		return E_NOMEM;
	in.w = w;
#define BAD(f, m) do { if (nbad < WIN_MAX_ERRORS) { field[nbad] = (f); msg[nbad] = (m); nbad++; } } while (0)
	if (c->req->json) {
		json_t *b = c->req->json, *v, *x;
		size_t i;

		if ((v = json_object_get(b, "defaultDays"))) {
			if (json_is_null(v))
				in.default_days = -1;
			else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
				 json_integer_value(v) > RT_WINDOW_MAX_DAYS)
				BAD("defaultDays", "Days are a whole number from 0 to 365, or null for SHOP_RETURN_WINDOW_DAYS.");
			else
				in.default_days = json_integer_value(v);
		}
		if ((v = json_object_get(b, "windows"))) {
			in.keep_windows = 0;
			if (!json_is_null(v) && !json_is_array(v))
				BAD("windows", "Give a list of windows: [{\"categoryId\": 3, \"days\": 14}].");
			else if (!json_is_null(v))
				json_array_foreach(v, i, x) {
					json_t *ci = json_object_get(x, "categoryId"), *d = json_object_get(x, "days");
					int ok = 1;

					if (!json_is_integer(ci) || !category_name(cats, json_integer_value(ci))) {
						BAD(arena_printf(c->a, "windows[%zu].categoryId", i), "There is no such category.");
						ok = 0;
					} else {
						for (size_t k = 0; k < in.n; k++)
							if (w[k].category_id == json_integer_value(ci)) {
								BAD(arena_printf(c->a, "windows[%zu].categoryId", i),
								    "This category is named twice.");
								ok = 0;
							}
					}
					if (!json_is_integer(d) || json_integer_value(d) < 0 ||
					    json_integer_value(d) > RT_WINDOW_MAX_DAYS) {
						BAD(arena_printf(c->a, "windows[%zu].days", i), WIN_DAYS_MSG);
						ok = 0;
					}
					if (ok)
						w[in.n++] = (struct rt_window){ json_integer_value(ci), json_integer_value(d) };
				}
		}
		if (nbad)
			return console_reply_fields(c, "Those return windows cannot be saved", nbad, field, msg);
	} else {
		struct win_form f = { NULL, NULL, NULL, NULL, NULL };
		const char *def = NULL;

		/* Blank (the configured default) is not absent (kept) here:
		 * the form's own field, as sent, not the key's value. */
		for (size_t i = c->req->nquery; i < c->req->nparams; i++)
			if (!strcmp(c->req->params[i].key, "defaultDays"))
				def = arena_strndup(c->a, c->req->params[i].val, c->req->params[i].vlen);
		if (!(f.typed = arena_alloc(c->a, sizeof(char *) * (cats->nrows + 1))) ||
		    !(f.bad = arena_alloc(c->a, sizeof(char *) * (cats->nrows + 1))))
			return E_NOMEM;
		memset(f.typed, 0, sizeof(char *) * (cats->nrows + 1));
		memset(f.bad, 0, sizeof(char *) * (cats->nrows + 1));
		if (def) {
			f.def = def;
			if ((in.default_days = form_days(def, strlen(def))) == -2) {
				f.def_bad = "The shop's default: days are a whole number from 0 to 365, or blank for "
					    "SHOP_RETURN_WINDOW_DAYS.";
				BAD("defaultDays", f.def_bad);
			}
		}
		for (size_t i = c->req->nquery; i < c->req->nparams; i++) {
			const struct kvpair *p = &c->req->params[i];
			int64_t id, d;
			size_t row = 0;

			if (p->key[0] != 'd' || parse_int64(p->key + 1, strlen(p->key + 1), 1, INT64_MAX, &id))
				continue;
			in.keep_windows = 0;
			while (row < cats->nrows && db_int(cats, row, 0) != id)
				row++;
			if (row == cats->nrows) {
				f.extra = "There is no such category (it may have been retired meanwhile): reload the page.";
				BAD("categories", f.extra);
				continue;
			}
			f.typed[row] = arena_strndup(c->a, p->val, p->vlen);
			if ((d = form_days(p->val, p->vlen)) == -2) {
				f.bad[row] = arena_printf(c->a, "%s: days are a whole number from 0 to 365, or blank.",
							  db_cell(cats, row, 1) ? db_cell(cats, row, 1) : "");
				BAD(arena_printf(c->a, "d%lld", (long long)id), f.bad[row]);
				continue;
			}
			if (d < 0)
				continue;
			for (size_t k = 0; k < in.n; k++)
				if (w[k].category_id == id) {
					f.bad[row] = arena_printf(c->a, "%s is named twice.", db_cell(cats, row, 1));
					BAD(arena_printf(c->a, "d%lld", (long long)id), f.bad[row]);
					d = -1;
				}
			if (d >= 0 && in.n < cats->nrows)
				w[in.n++] = (struct rt_window){ id, d };
		}
		if (nbad)
			return windows_show(c, 422, &f);
	}
#undef BAD
	if ((e = returns_set_shop_windows(c->db, c->a, console_actor(c), &in, &changed)))
		return e;
	if (c->req->wants_json)
		return windows_show(c, 200, NULL);
	session_flash(c, changed ? "The return windows are saved." : "Nothing changed: the return windows are as they were.");
	return reply_redirect(c, 303, "/admin/returns/windows");
}
