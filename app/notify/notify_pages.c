/* The notify module's presentation: mails rendered from templates/mail/
 * (HTML, and plain text from templates/mail/text/NAME.txt), the consumer and
 * the cart-reminder job that render and queue them, and the unsubscribe
 * page a mail links to (it works without signing in: the link is signed). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../view/tmpl.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../events/stream.h"
#include "notify.h"
#include "notify_pages.h"

/* Every name a mail template may print: the models notify.c builds plus
 * what notify_render adds. */
static const char *const mail_names[] = {
	"shopName", "baseUrl", "subject", "content", "unsubscribeUrl", "prefsUrl", "name", "orderId",
	"orderUrl", "currency", "total", "isGuest", "lookupUrl", "lines", "title", "options", "quantity",
	"amount", "shippingMethod", "sellerOrderUrl", "shipMethod", "shipTo", "city", "country", "reason",
	"canRetry", "carrier", "tracking", "trackingUrl", "productTitle", "productId", "skus", "code",
	"available", "threshold", "stockUrl", "items", "price", "cartUrl",
	/* questions and answers (notify_questions.c) */
	"productUrl", "question", "author", "answerUrl", "answer", "bySeller",
	/* the alerts (issue 17): back in stock, price drop */
	"oldPrice", "alertsUrl", "sku", "fromWishlist",
	/* review_rejected (notify_reviews.c) */
	"reviewTitle", "myReviewsUrl",
	/* returns (issue 19; notify_returns.c) */
	"returnId", "returnUrl", "returnAddress", "label", "isRequested", "isApproved", "isRejected",
	"sellerName", "adminUrl", "refundFailed", "refundError", "photoCount",
	/* seller payouts (issue 19, notify_payouts.c) */
	"statementId", "periodStart", "periodEnd", "payout", "net", "carry", "statementUrl", "csvUrl",
	"payoutsUrl", "reference", NULL
};

static struct tmpl_set *html_set, *text_set;

static int is_txt(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && !strcmp(d->d_name + n - 4, ".txt");
}

/* templates/mail/text/NAME.txt compiled as NAME, the layout first. */
static enum err load_text(const char *dir, char *err, size_t errlen)
{
	struct dirent **list = NULL;
	struct tmpl_set *set = tmpl_set_new(mail_names);
	enum err e = E_OK;
	int n, i;

	if (!set)
		return E_NOMEM;
	if ((n = scandir(dir, &list, is_txt, alphasort)) < 0) {
		snprintf(err, errlen, "%.200s: cannot read", dir);
		tmpl_free(set);
		return E_IO;
	}
	for (i = 0; i < n && !e; i++) {
		char path[4400], name[256], *src = NULL;
		FILE *f;
		long len;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(list[i]->d_name) - 4), list[i]->d_name);
		if (!(f = fopen(path, "rb"))) {
			snprintf(err, errlen, "%.200s: cannot open", path);
			e = E_IO;
			break;
		}
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		if (len < 0 || !(src = calloc(1, (size_t)len + 1)) || fread(src, 1, (size_t)len, f) != (size_t)len) {
			snprintf(err, errlen, "%.200s: cannot read", path);
			e = E_IO;
		}
		fclose(f);
		if (!e)
			e = tmpl_compile_string(set, name, src, err, errlen);
		free(src);
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (e) {
		tmpl_free(set);
		return e;
	}
	text_set = set;
	return E_OK;
}

/* Both sets, once per process (the jobs process renders; workers never). */
static enum err mail_templates(void)
{
	char dir[4096], err[512] = "";
	enum err e;

	if (html_set && text_set)
		return E_OK;
	snprintf(dir, sizeof(dir), "%s/mail", config.templates);
	if (!html_set && (e = tmpl_load_dir(dir, mail_names, &html_set, err, sizeof(err)))) {
		log_err("notify: mail templates: %s", err);
		return e;
	}
	snprintf(dir, sizeof(dir), "%s/mail/text", config.templates);
	if (!text_set && (e = load_text(dir, err, sizeof(err)))) {
		log_err("notify: mail templates: %s", err);
		return e;
	}
	return E_OK;
}

/* The text part is rendered with the same engine, which escapes for HTML:
 * the entities it writes are turned back into their characters. */
static void unescape(char *s)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
	};
	char *w = s;

	while (*s) {
		size_t i;

		if (*s == '&')
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
				size_t n = strlen(ents[i].ent);

				if (!strncmp(s, ents[i].ent, n)) {
					*w++ = ents[i].c;
					s += n;
					goto next;
				}
			}
		*w++ = *s++;
next:;
	}
	*w = '\0';
}

/* Sections leave blank lines behind: at most one blank line in a row, one
 * line end at the end. */
static void squeeze(char *s)
{
	char *w = s, *r = s;
	int nl = 0;

	while (*r) {
		nl = *r == '\n' ? nl + 1 : 0;
		if (nl <= 2)
			*w++ = *r;
		r++;
	}
	while (w > s && (w[-1] == '\n' || w[-1] == ' '))
		w--;
	*w++ = '\n';
	*w = '\0';
}

enum err notify_render(struct arena *a, const struct notify_mail *m, const char *unsubscribe,
		       const char **text, const char **html)
{
	const char *kind = notify_kind_name(m->kind);
	struct buf h, t;
	enum err e;

	if ((e = mail_templates()))
		return e;
	json_object_set_new(m->model, "shopName", json_string(config.shop_name));
	json_object_set_new(m->model, "baseUrl", json_string(config.base_url));
	json_object_set_new(m->model, "subject", json_string(m->subject));
	json_object_set_new(m->model, "prefsUrl", json_string(arena_printf(a, "%s/account#notifications",
									   config.base_url)));
	if (unsubscribe)
		json_object_set_new(m->model, "unsubscribeUrl", json_string(unsubscribe));
	buf_init(&h, a, 8192);
	buf_init(&t, a, 4096);
	if ((e = tmpl_render_page(html_set, kind, m->model, &h)))
		return e;
	json_object_del(m->model, "content");
	if ((e = tmpl_render_page(text_set, kind, m->model, &t)))
		return e;
	if (h.oom || t.oom)
		return E_NOMEM;
	unescape(t.p);
	squeeze(t.p);
	*html = h.p;
	*text = t.p;
	return E_OK;
}

/* Renders and queues one mail; a mail the outbox refuses (a malformed
 * address) is logged and skipped, never retried. */
static enum err render_send(struct db *db, struct arena *a, int64_t event_id, int64_t cart_version,
			    const struct notify_mail *m, int *sent)
{
	const char *unsub = NULL, *text, *html;
	enum err e;

	*sent = 0;
	if ((m->kind == NK_LOW_STOCK || m->kind == NK_CART_REMINDER || m->kind == NK_BACK_IN_STOCK ||
	     m->kind == NK_PRICE_DROP) && m->user_id > 0 &&	/* the alerts' kinds: issue 17 */
	    !(unsub = notify_unsub_url(a, m->user_id, m->kind)))
		return E_NOMEM;
	if ((e = notify_render(a, m, unsub, &text, &html)))
		return e;
	if (m->kind == NK_CART_REMINDER)
		e = notify_cart_send(db, a, m, cart_version, text, html, unsub, sent);
	else
		e = notify_send(db, a, event_id, m, text, html, unsub, sent);
	if (e == E_INVAL) {
		log_warn("notify: %s mail to %s refused by the outbox; skipped", notify_kind_name(m->kind), m->to);
		return E_OK;
	}
	return e;
}

enum err notify_start(struct db *db, struct kv *kv, struct arena *a)
{
	(void)db;
	(void)kv;
	(void)a;
	return mail_templates();
}

enum err notify_handle(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	struct notify_mail *ms = NULL;
	size_t n = 0, i;
	enum err e;

	(void)kv;
	if ((e = notify_collect(db, a, ev, &ms, &n)))
		return e;
	for (i = 0; i < n && !e; i++) {
		int sent;

		e = render_send(db, a, ev->id, 0, &ms[i], &sent);
		if (!e && sent)
			log_info("notify: event %lld: %s mail to %s queued", (long long)ev->id,
				 notify_kind_name(ms[i].kind), ms[i].to);
	}
	for (i = 0; i < n; i++)
		json_decref(ms[i].model);
	return e;
}

int notify_cart_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct notify_mail *ms = NULL;
	int64_t *versions = NULL;
	size_t n = 0, i;
	int done = 0;
	enum err e;

	(void)kv;
	if ((e = notify_cart_due(db, a, 20, &ms, &versions, &n)))
		return -1;
	for (i = 0; i < n; i++) {
		int sent;

		if ((e = render_send(db, a, 0, versions[i], &ms[i], &sent))) {
			log_warn("notify: cart reminder to %s: %s", ms[i].to, err_str(e));
			break;
		}
		done += sent;
	}
	for (i = 0; i < n; i++)
		json_decref(ms[i].model);
	if (done)
		log_info("notify: %d cart reminder(s) queued", done);
	if (e == E_UNAVAIL || e == E_DB)
		return -1;
	return n == 20 && !e ? 1 : 0;
}

/* ---- unsubscribing ---- */

static const char *kind_words(int k)
{
	if (k == NK_BACK_IN_STOCK)	/* the alerts: issue 17 */
		return "back-in-stock alerts";
	if (k == NK_PRICE_DROP)
		return "price-drop alerts";
	return k == NK_LOW_STOCK ? "low-stock alerts for your listings" : "reminders about items left in your cart";
}

/* The link's kind, or -1 when the link is not one the shop signed. */
static int link_kind(struct ctx *c)
{
	int k = notify_kind_find(ctx_str(c, "k"), 1);

	return k >= 0 && notify_unsub_ok(ctx_int(c, "u", 0), (enum notify_kind)k, ctx_str(c, "t")) ? k : -1;
}

static enum err invalid(struct ctx *c)
{
	json_t *m = reply_model(c, "unsubscribe", "Link not valid");

	if (!m)
		return E_NOMEM;
	c->resp->status = 400;
	json_object_set_new(m, "invalid", json_true());
	return E_OK;
}

enum err h_unsubscribe_form(struct ctx *c)
{
	int k = link_kind(c);
	json_t *m;

	if (k < 0)
		return invalid(c);
	if (!(m = reply_model(c, "unsubscribe", "Unsubscribe")))
		return E_NOMEM;
	json_object_set_new(m, "what", json_string(kind_words(k)));
	json_object_set_new(m, "u", json_integer(ctx_int(c, "u", 0)));
	json_object_set_new(m, "k", json_string(ctx_str(c, "k")));
	json_object_set_new(m, "t", json_string(ctx_str(c, "t")));
	return E_OK;
}

/* The page's button and a mail client's one-click POST (RFC 8058: the
 * body is List-Unsubscribe=One-Click, the link's query says who). */
enum err h_unsubscribe(struct ctx *c)
{
	int k = link_kind(c);
	json_t *m;
	enum err e;

	if (k < 0)
		return invalid(c);
	if ((e = notify_prefs_off(c->db, c->a, ctx_int(c, "u", 0), (enum notify_kind)k)))
		return e;
	if (!(m = reply_model(c, "unsubscribe", "Unsubscribed")))
		return E_NOMEM;
	json_object_set_new(m, "what", json_string(kind_words(k)));
	json_object_set_new(m, "done", json_true());
	return E_OK;
}
