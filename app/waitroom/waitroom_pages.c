/* The waiting room's pages and JSON API, the admission check the cart and
 * checkout ask, and the pipeline's throttle hook (waitroom_pages.h). The
 * queue, tokens and buckets themselves are waitroom.c's. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/kv.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../account/session_pages.h"
#include "waitroom.h"
#include "waitroom_pages.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || parse_int64(s, strlen(s), 1, INT64_MAX, &id))
		return 0;
	return id;
}

/* Who holds a ticket: the signed-in user, else the guest session (a hash
 * of its Redis key, itself a hash of the cookie: never the cookie). */
static const char *holder_of(struct ctx *c)
{
	const char *k;

	if (!c->sess)
		return NULL;
	if (c->sess->uid > 0)
		return arena_printf(c->a, "u%lld", (long long)c->sess->uid);
	k = c->sess->key;
	if (!strncmp(k, "s:", 2))
		k += 2;
	return arena_printf(c->a, "g%.16s", k);
}

static const char *iso(struct ctx *c, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char b[32];

	gmtime_r(&tt, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return arena_strdup(c->a, b);
}

const char *waitroom_url(struct ctx *c, int64_t sale_id)
{
	return arena_printf(c->a, "/sales/%lld/wait", (long long)sale_id);
}

/* The admission of an admitted ticket: its token, and the cookie `adm`. */
static const char *admit(struct ctx *c, const struct wr_sale *s, const char *holder, const struct wr_ticket *t)
{
	char tok[WR_TOKEN_MAX];
	long age = (long)(t->expires - time(NULL));

	waitroom_token(s->id, holder, t->expires, tok, sizeof(tok));
	if (age < 1)
		age = 1;
	resp_header(c->resp, arena_printf(c->a, "Set-Cookie: adm=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
					  tok, age, c->req->https ? "; Secure" : ""));
	return arena_strdup(c->a, tok);
}

static enum err unavailable(struct ctx *c)
{
	resp_header(c->resp, "Retry-After: 2");
	return reply_error_titled(c, 503, "The waiting room is unavailable",
				  "The waiting room cannot be reached just now: please try again in a moment.");
}

/* How often a waiting shopper should look again: often enough to move with
 * the line and to hear "sold out" at once, never a storm. A shopper
 * further back than twice the units left (plus a batch's slack) looks
 * every 10 s: the units will most likely be gone before their turn, and
 * their asking is what queued the admitted shoppers' checkouts (the flash
 * bench: 10,000 buyers for 500 units). "Sold out" still reaches them on
 * their next look. */
static int poll_s(const struct wr_ticket *t, const struct wr_sale *s)
{
	int p = t->wait_s / 2;

	if (s && s->left >= 0 && t->place > 2 * s->left + 50)
		return 10;
	return p < 2 ? 2 : p > 10 ? 10 : p;
}

static void ticket_json(struct ctx *c, json_t *m, const struct wr_sale *s, const char *holder,
			const struct wr_ticket *t)
{
	json_object_set_new(m, "ticket", json_string(arena_printf(c->a, "%lld-%lld", (long long)s->id,
								  (long long)t->number)));
	json_object_set_new(m, "status", json_string(wr_status_name(t->status)));
	json_object_set_new(m, "place", json_integer(t->place));
	json_object_set_new(m, "waitSeconds", json_integer(t->wait_s));
	if (t->status == WR_WAITING || t->status == WR_UPCOMING)
		json_object_set_new(m, "pollSeconds", json_integer(poll_s(t, s)));
	json_object_set_new(m, "waitUrl", json_string(waitroom_url(c, s->id)));
	json_object_set_new(m, "unitsLeft", json_integer(s->left));
	if (t->status == WR_ADMITTED) {
		json_object_set_new(m, "admission", json_string(admit(c, s, holder, t)));
		json_object_set_new(m, "expiresAt", json_string(iso(c, t->expires)));
	} else {
		json_object_set_new(m, "admission", json_null());
		json_object_set_new(m, "expiresAt", json_null());
	}
}

/* The sale of the path and the holder (NULL without a session): E_OK, else
 * E_NOTFOUND (no such sale) or E_UNAVAIL (no session could be made). */
static enum err sale_and_holder(struct ctx *c, struct wr_sale *s, const char **holder, int need_session)
{
	int64_t id = path_id(c);
	enum err e;

	if (!id)
		return E_NOTFOUND;
	if ((e = waitroom_sale(c->db, c->a, id, time(NULL), s)))
		return e;
	if (s->state == SALE_NONE)
		return E_NOTFOUND;
	if (need_session && !c->sess && !session_csrf(c))
		return E_UNAVAIL;
	*holder = holder_of(c);
	return E_OK;
}

/* POST /api/sales/{id}/tickets */
enum err h_api_ticket_new(struct ctx *c)
{
	struct wr_sale s;
	struct wr_ticket t;
	const char *holder = NULL;
	json_t *m;
	enum err e;

	if ((e = sale_and_holder(c, &s, &holder, 1)))
		return e == E_UNAVAIL ? unavailable(c) : e;
	if ((e = waitroom_join_ticket(c->kv, c->a, &s, holder, now_ms(), &t)))
		return unavailable(c);
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	ticket_json(c, m, &s, holder, &t);
	c->resp->status = t.created ? 201 : 200;
	return E_OK;
}

/* GET /api/sales/{id}/tickets/mine */
enum err h_api_ticket_mine(struct ctx *c)
{
	struct wr_sale s;
	struct wr_ticket t;
	const char *holder = NULL;
	json_t *m;
	enum err e;

	if ((e = sale_and_holder(c, &s, &holder, 0)))
		return e;
	if (!holder)
		return reply_error_titled(c, 404, "You have no ticket", "You have no ticket for this sale: join the queue.");
	if ((e = waitroom_look(c->kv, c->a, &s, holder, now_ms(), &t)))
		return unavailable(c);
	if (t.status == WR_NONE)
		return reply_error_titled(c, 404, "You have no ticket",
					  "You have no ticket for this sale (the queue may have been reset): join the queue.");
	if (!(m = reply_model(c, NULL, NULL)))
		return E_NOMEM;
	ticket_json(c, m, &s, holder, &t);
	return E_OK;
}

/* POST /sales/{id}/queue (the sale's and the product page's form) */
enum err h_queue(struct ctx *c)
{
	struct wr_sale s;
	struct wr_ticket t;
	const char *holder = NULL;
	enum err e;

	if ((e = sale_and_holder(c, &s, &holder, 1)))
		return e == E_UNAVAIL ? unavailable(c) : e;
	if (waitroom_join_ticket(c->kv, c->a, &s, holder, now_ms(), &t))
		return unavailable(c);
	return reply_redirect(c, 303, waitroom_url(c, s.id));
}

/* "about 3 min", "about 40 s" */
static const char *wait_text(struct ctx *c, int s)
{
	if (s < 60)
		return arena_printf(c->a, "less than a minute");
	if (s < 3600)
		return arena_printf(c->a, "about %d min", (s + 59) / 60);
	return arena_printf(c->a, "about %d h %d min", s / 3600, (s % 3600 + 59) / 60);
}

/* GET /sales/{id}/wait: the waiting page. Reloads itself (meta refresh)
 * while the shopper waits; no script. */
enum err h_wait(struct ctx *c)
{
	struct wr_sale s;
	struct wr_ticket t;
	const char *holder = NULL;
	struct wr_item *items = NULL;
	size_t nitems = 0;
	json_t *m, *arr;
	int refresh = 0;
	enum err e;

	if ((e = sale_and_holder(c, &s, &holder, 0)))
		return e;
	memset(&t, 0, sizeof(t));
	if (holder && waitroom_look(c->kv, c->a, &s, holder, now_ms(), &t))
		return unavailable(c);
	if (!(m = session_form_page(c, "sale_wait", arena_printf(c->a, "Waiting room: %s", s.name), 200)))
		return E_NOMEM;
	json_object_set_new(m, "saleId", json_integer(s.id));
	json_object_set_new(m, "saleName", json_string(s.name));
	json_object_set_new(m, "status", json_string(wr_status_name(t.status)));
	json_object_set_new(m, "queueAction", json_string(arena_printf(c->a, "/sales/%lld/queue", (long long)s.id)));
	json_object_set_new(m, "unitsLeft", json_integer(s.left));
	/* Sold out or over says so at once, whoever asks. */
	if (s.state == SALE_OVER)
		t.status = WR_ENDED;
	else if (s.state == SALE_LIVE && s.left <= 0 && t.status != WR_ADMITTED)
		t.status = WR_SOLDOUT;
	switch (t.status) {
	case WR_WAITING:
	case WR_UPCOMING:
		json_object_set_new(m, t.status == WR_WAITING ? "waiting" : "upcoming", json_true());
		json_object_set_new(m, "place", json_integer(t.place));
		json_object_set_new(m, "waitSeconds", json_integer(t.wait_s));
		json_object_set_new(m, "waitText", json_string(wait_text(c, t.wait_s)));
		refresh = poll_s(&t, &s);
		break;
	case WR_ADMITTED:
		json_object_set_new(m, "admitted", json_true());
		admit(c, &s, holder, &t);
		json_object_set_new(m, "expiresAt", json_string(iso(c, t.expires)));
		if ((e = waitroom_items(c->db, c->a, s.id, &items, &nitems)))
			return e;
		arr = json_array();
		for (size_t i = 0; i < nitems; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I}", "sku", items[i].sku ? items[i].sku : "",
							     "title", items[i].title ? items[i].title : "",
							     "url", arena_printf(c->a, "/p/%s", items[i].slug ? items[i].slug : ""),
							     "price", (json_int_t)items[i].price));
		json_object_set_new(m, "items", arr);
		break;
	case WR_SOLDOUT:
		json_object_set_new(m, "soldout", json_true());
		break;
	case WR_ENDED:
		json_object_set_new(m, "ended", json_true());
		break;
	default:
		json_object_set_new(m, "noTicket", json_true());
		break;
	}
	if (refresh) {
		json_object_set_new(m, "refresh", json_integer(refresh));
		resp_header(c->resp, arena_printf(c->a, "Refresh: %d", refresh));
	}
	return E_OK;
}

/* ---- what the cart and the checkout ask ---- */

int waitroom_admitted(struct ctx *c, int64_t sale_id)
{
	const char *holder = holder_of(c), *tok = c->req->admission;
	struct wr_sale s;

	if (!tok || !*tok)
		tok = req_cookie(c->req, "adm");
	if (holder && tok && waitroom_token_ok(tok, sale_id, holder, time(NULL)))
		return 1;
	if (waitroom_sale(c->db, c->a, sale_id, time(NULL), &s))
		return 0;
	if (s.state != SALE_LIVE)
		return 1;	/* not the sale's price then: nothing to hold back */
	if (s.left <= 0)
		return 0;	/* the waiting page says sold out */
	return !waitroom_holding(c->kv, c->a, &s, now_ms());
}

int waitroom_join(struct ctx *c, int64_t sale_id)
{
	struct wr_sale s;
	struct wr_ticket t;
	const char *holder;

	if (!c->sess && !session_csrf(c))
		return -1;
	if (!(holder = holder_of(c)) || waitroom_sale(c->db, c->a, sale_id, time(NULL), &s) || s.state == SALE_NONE)
		return -1;
	return waitroom_join_ticket(c->kv, c->a, &s, holder, now_ms(), &t) ? -1 : 0;
}

enum err waitroom_reply_wait(struct ctx *c, int64_t sale_id)
{
	const char *url = waitroom_url(c, sale_id);
	json_t *err;
	enum err e;

	if ((c->route->flags & RF_JSON) || c->req->wants_json) {
		e = reply_error_titled(c, 403, "Please wait for your turn",
				       "This item is in a flash sale with a waiting room: take a ticket and add it "
				       "when your turn comes.");
		err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;
		if (!e && err)
			json_object_set_new(err, "waitUrl", json_string(url));
		return e;
	}
	if (waitroom_join(c, sale_id))
		return unavailable(c);
	return reply_redirect(c, 303, url);
}

void waitroom_used(struct ctx *c, int64_t sale_id)
{
	const char *holder = holder_of(c);

	if (holder)
		waitroom_spent(c->kv, c->a, sale_id, holder);
}

/* ---- the throttle hook ---- */

static int loopback(const char *ip)
{
	return ip && (!strncmp(ip, "127.", 4) || !strcmp(ip, "::1"));
}

int waitroom_throttle(struct ctx *c)
{
	const char *ip = c->req->remote_addr, *who = holder_of(c), *pat = c->route->pattern;
	int order = strstr(pat, "checkout") || strstr(pat, "/orders/");
	int64_t now = now_ms();
	int w1 = 0, w2 = 0;

	if (loopback(ip) && !wr_set.limit_loopback)
		return 0;	/* make bench measures the shop, not the buckets */
	if (who)
		w1 = order ? waitroom_bucket(c->kv, c->a, arena_printf(c->a, "o:%s", who), wr_set.order_user_pm,
					     wr_set.order_user_burst, now)
			   : waitroom_bucket(c->kv, c->a, arena_printf(c->a, "c:%s", who), wr_set.cart_user_pm,
					     wr_set.cart_user_burst, now);
	if (ip && *ip)
		w2 = order ? waitroom_bucket(c->kv, c->a, arena_printf(c->a, "oi:%s", ip), wr_set.order_ip_pm,
					     wr_set.order_ip_burst, now)
			   : waitroom_bucket(c->kv, c->a, arena_printf(c->a, "ci:%s", ip), wr_set.cart_ip_pm,
					     wr_set.cart_ip_burst, now);
	return w1 > w2 ? w1 : w2;
}
