/* t/http: back-in-stock and price-drop alerts (issue 17) on the whole stack:
 * the consumer "alerts" in `shopd jobs` turns stock and price changes into
 * BackInStock and PriceDropped events, the notify consumer mails them, and
 * each mail is read back from the maildir. One mail per subscription and
 * episode: a back-in-stock alert mails once when stock returns and not
 * again until the item has sold out and returned again; a price drop once
 * per drop below the price when subscribed (or saved); a subscription made
 * while in stock waits for a sell-out and a return; unsubscribing, the
 * mail preference and the one-click link stop them; a wishlist item is
 * subscribed by default and its opt-out is honoured; a replay of the
 * consumer mails no one twice; the API's answers; the pages' forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

#define PW "correct horse battery"
/* On a failure, the page from its buy box (or its start). */
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.2500s", (s), \
				strstr((r)->body, "id=\"buy\"") ? strstr((r)->body, "id=\"buy\"") : (r)->body)

static struct client seller;
static int have_seller;

/* An item of its own for each test: one SKU, `price` cents, `qty` units. */
struct item {
	long long id, sku_id;
	char code[64], title[128], slug[200];
};

/* The items a test made, archived when it ends, so that the suites after
 * this one on the same stack (a category's pages, counts) see the demo
 * catalog as it was. The category is one no other suite looks at. */
static long long made[16];
static int nmade;

static void remember(long long id)
{
	if (nmade < (int)(sizeof(made) / sizeof(made[0])))
		made[nmade++] = id;
}

static void seller_once(void)
{
	if (have_seller)
		return;
	seller_new(&seller, "alseller", NULL);
	have_seller = 1;
}

static void item_new(struct item *it, long long price, int qty)
{
	static int k;
	char body[600];
	struct hresp *r;
	json_t *j;

	seller_once();
	memset(it, 0, sizeof(*it));
	snprintf(it->title, sizeof(it->title), "Alert lamp %d-%d", (int)getpid(), ++k);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"description\":\"A lamp to watch.\",\"price\":%lld,"
		 "\"quantity\":%d,\"category\":\"sports-accessories\"}", it->title, price, qty);
	r = client_req(&seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	j = hresp_json(r);
	it->id = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_gt(it->id, 0);
	remember(it->id);
	it->sku_id = sql_scalarf("SELECT id FROM skus WHERE product_id = %lld", it->id);
	/* The code and slug, through the API. */
	{
		char path[100];

		snprintf(path, sizeof(path), "/api/items/%lld", it->id);
		r = http_get_json(path);
		ck_assert_int_eq(r->status, 200);
		j = hresp_json(r);
		snprintf(it->code, sizeof(it->code), "%s", json_string_value(json_object_get(j, "sku")));
		snprintf(it->slug, sizeof(it->slug), "%s", json_string_value(json_object_get(j, "slug")) ?
			 json_string_value(json_object_get(j, "slug")) : "");
		json_decref(j);
		hresp_free(r);
	}
}

static void stock(const struct item *it, long long n)
{
	set_stock_only(it->sku_id, 1, n, "test_alerts");
}

static void price(const struct item *it, long long cents)
{
	char path[100], body[100];
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/items/%lld", it->id);
	snprintf(body, sizeof(body), "{\"price\":%lld}", cents);
	r = client_req(&seller, "PATCH", path, body, 1);
	ck_assert_msg(r->status == 200, "PATCH %s: %ld %s", path, r->status, r->body);
	hresp_free(r);
}

/* Every event so far handled by the alerts consumer, what it wrote handled
 * by notify, and every queued mail delivered. One statement, so that its
 * parts see one moment: asked one by one, an event relayed between the
 * first question and the second passed as handled (and the next change of
 * the test then raced the consumer). */
static void settled(void)
{
	for (int i = 0; i < 300; i++) {
		if (sql_scalar("SELECT (SELECT COUNT(*) FROM event_consumers c WHERE c.name IN ('alerts', 'notify') "
			       "AND c.position >= (SELECT seq FROM event_relay WHERE id = 1)) = 2 "
			       "AND NOT EXISTS (SELECT 1 FROM outbox WHERE seq IS NULL) "
			       "AND NOT EXISTS (SELECT 1 FROM mail_outbox WHERE sent_at IS NULL AND attempts < 15)") == 1)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("the alerts and notify consumers did not catch up in 15 s");
}

static int mails(const char *to, const char *subject_prefix, const struct item *it)
{
	char needle[300];

	snprintf(needle, sizeof(needle), "Subject: %s%s", subject_prefix, it->title);
	return maildir_count(to, needle, NULL);
}

/* Waits for the n-th such mail; returns the last (caller frees). */
static char *mail_n(const char *to, const char *subject_prefix, const struct item *it, int n)
{
	char needle[300], *last = NULL;

	snprintf(needle, sizeof(needle), "Subject: %s%s", subject_prefix, it->title);
	for (int i = 0; i < 200; i++) {
		free(last);
		last = NULL;
		if (maildir_count(to, needle, &last) >= n)
			return last;
		usleep(50 * 1000);
	}
	ck_abort_msg("no mail #%d \"%s\" to %s in 10 s", n, needle, to);
	return NULL;
}

/* POST /api/items/{id}/alerts as cl; the answer's status, the alert's id
 * into *id (may be NULL). */
static long subscribe(struct client *cl, const struct item *it, const char *body, long long *id)
{
	char path[100];
	struct hresp *r;
	long st;

	snprintf(path, sizeof(path), "/api/items/%lld/alerts", it->id);
	r = client_req(cl, "POST", path, body, 1);
	st = r->status;
	if (id) {
		json_t *j = hresp_json(r);

		*id = (long long)json_integer_value(json_object_get(j, "id"));
		json_decref(j);
	}
	hresp_free(r);
	return st;
}

static void setup(void)
{
	clear_ip_throttles();
	nmade = 0;
}

static void teardown(void)
{
	char path[100];

	for (int i = 0; i < nmade; i++) {
		struct hresp *r;

		snprintf(path, sizeof(path), "/api/items/%lld", made[i]);
		r = client_req(&seller, "PATCH", path, "{\"status\":\"archived\"}", 1);
		ck_assert_msg(r->status == 200, "archiving %s: %ld %s", path, r->status, r->body);
		hresp_free(r);
	}
	nmade = 0;
}

/* ---- back in stock ---- */

START_TEST(back_in_stock_once_per_episode)
{
	struct client b;
	char email[160], want[300], *m;
	struct item it;
	long long id;

	item_new(&it, 1999, 3);
	buyer_new(&b, "albis", email, sizeof(email));
	stock(&it, 0);
	ck_assert_int_eq(subscribe(&b, &it, "{\"kind\":\"back-in-stock\"}", &id), 201);
	ck_assert_int_eq(sql_scalarf("SELECT armed FROM product_alerts WHERE id = %lld", id), 1);

	stock(&it, 5);
	m = mail_n(email, "Back in stock: ", &it, 1);
	ck_assert_ptr_nonnull(strstr(m, "\nList-Unsubscribe: <"));
	ck_assert_ptr_nonnull(strstr(m, "k=back_in_stock"));
	snprintf(want, sizeof(want), "%s/p/%s", base_url(), it.slug);
	ck_assert_msg(strstr(m, want) != NULL, "no link %s in %s", want, m);
	ck_assert_ptr_nonnull(strstr(m, "$19.99"));
	free(m);

	/* More stock is no new episode. */
	stock(&it, 7);
	settled();
	ck_assert_int_eq(mails(email, "Back in stock: ", &it), 1);

	/* Sold out, then back: the second mail. */
	stock(&it, 0);
	settled();
	stock(&it, 3);
	m = mail_n(email, "Back in stock: ", &it, 2);
	free(m);
	settled();
	ck_assert_int_eq(mails(email, "Back in stock: ", &it), 2);
	ck_assert_int_eq(sql_scalarf("SELECT episodes FROM product_alerts WHERE id = %lld", id), 2);

	/* A replay of both consumers from the first return: nothing new. */
	{
		char args[200];
		/* From the first sell-out: every event of both episodes again. */
		long long ev = sql_scalarf("SELECT MIN(id) FROM outbox WHERE topic = 'StockChanged' "
					   "AND aggregate_id = %lld AND payload LIKE '%%test_alerts%%'", it.id);

		ck_assert_int_gt(ev, 0);
		snprintf(args, sizeof(args), "events replay alerts --from %lld", ev);
		ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
		snprintf(args, sizeof(args), "events replay notify --from %lld", ev);
		ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
		settled();
		ck_assert_int_eq(mails(email, "Back in stock: ", &it), 2);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'BackInStock' "
					     "AND aggregate_id = %lld", it.id), 2);
	}
}
END_TEST

START_TEST(subscribed_in_stock_waits_for_a_sell_out)
{
	struct client b;
	char email[160], *m;
	struct item it;
	long long id;

	item_new(&it, 1500, 5);
	buyer_new(&b, "alwait", email, sizeof(email));
	ck_assert_int_eq(subscribe(&b, &it, "{\"kind\":\"back-in-stock\"}", &id), 201);
	ck_assert_int_eq(sql_scalarf("SELECT armed FROM product_alerts WHERE id = %lld", id), 0);
	stock(&it, 8);
	settled();
	ck_assert_int_eq(mails(email, "Back in stock: ", &it), 0);
	stock(&it, 0);
	settled();
	stock(&it, 2);
	m = mail_n(email, "Back in stock: ", &it, 1);
	free(m);
}
END_TEST

/* ---- price drop ---- */

START_TEST(price_drop_once_per_episode)
{
	struct client b;
	char email[160], *m;
	struct item it;
	long long id;

	item_new(&it, 2000, 4);
	buyer_new(&b, "aldrop", email, sizeof(email));
	ck_assert_int_eq(subscribe(&b, &it, "{\"kind\":\"price-drop\"}", &id), 201);
	ck_assert_int_eq(sql_scalarf("SELECT ref_price FROM product_alerts WHERE id = %lld", id), 2000);

	price(&it, 1500);
	m = mail_n(email, "Price drop: ", &it, 1);
	ck_assert_ptr_nonnull(strstr(m, "$15.00"));
	ck_assert_ptr_nonnull(strstr(m, "$20.00"));
	ck_assert_ptr_nonnull(strstr(m, "k=price_drop"));
	free(m);
	/* Lower still, same episode: no second mail. */
	price(&it, 1400);
	settled();
	ck_assert_int_eq(mails(email, "Price drop: ", &it), 1);
	/* Back up to the reference, then below: the second. */
	price(&it, 2100);
	settled();
	price(&it, 1800);
	m = mail_n(email, "Price drop: ", &it, 2);
	free(m);
	settled();
	ck_assert_int_eq(mails(email, "Price drop: ", &it), 2);
}
END_TEST

/* ---- stopping them ---- */

START_TEST(unsubscribe_and_opt_out_stop_mails)
{
	struct client b, other = {0};
	char email[160], path[400], url[400], *m;
	struct item it, it2;
	long long id, uid = buyer_new(&b, "alstop", email, sizeof(email));
	struct hresp *r;
	const char *p;

	/* Dropped over the API: nothing when it comes back. */
	item_new(&it, 1000, 2);
	stock(&it, 0);
	ck_assert_int_eq(subscribe(&b, &it, "{\"kind\":\"back-in-stock\"}", &id), 201);
	snprintf(path, sizeof(path), "/api/alerts/%lld", id);
	r = client_req(&b, "DELETE", path, NULL, 1);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	stock(&it, 4);
	settled();
	ck_assert_int_eq(mails(email, "Back in stock: ", &it), 0);

	/* The preference off: the alert fires, no mail. */
	item_new(&it2, 3000, 2);
	ck_assert_int_eq(subscribe(&b, &it2, "{\"kind\":\"price-drop\"}", &id), 201);
	r = client_req(&b, "PATCH", "/api/me/mail-preferences", "{\"priceDrop\": false}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"priceDrop\":false");
	HAS(r, "\"backInStock\":true");
	hresp_free(r);
	price(&it2, 2500);
	settled();
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'PriceDropped' AND aggregate_id = %lld",
				     it2.id), 1);
	ck_assert_int_eq(mails(email, "Price drop: ", &it2), 0);

	/* The mail's one-click link turns back-in-stock mails off. */
	ck_assert_int_eq(subscribe(&b, &it, "{\"kind\":\"back-in-stock\"}", &id), 201);	/* made again */
	stock(&it, 0);
	settled();
	stock(&it, 6);
	m = mail_n(email, "Back in stock: ", &it, 1);
	p = strstr(m, "\nUnsubscribe: ");
	ck_assert_ptr_nonnull(p);
	p += strlen("\nUnsubscribe: ");
	snprintf(url, sizeof(url), "%.*s", (int)strcspn(p, "\n"), p);
	free(m);
	ck_assert_int_eq(strncmp(url, base_url(), strlen(base_url())), 0);
	snprintf(path, sizeof(path), "%s", url + strlen(base_url()));
	r = client_browse(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "back-in-stock alerts");
	hresp_free(r);
	r = client_browse(&other, "POST", path, "List-Unsubscribe=One-Click");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT back_in_stock FROM notify_prefs WHERE user_id = %lld", uid), 0);
	stock(&it, 0);
	settled();
	stock(&it, 2);
	settled();
	ck_assert_int_eq(mails(email, "Back in stock: ", &it), 1);

	/* The account page shows both boxes; the form turns them on again. */
	r = client_browse(&b, "GET", "/account", NULL);
	HAS(r, "name=\"backInStock\" value=\"1\">");
	HAS(r, "name=\"priceDrop\" value=\"1\">");
	HAS(r, "href=\"/account/alerts\"");
	hresp_free(r);
	{
		char form[300];

		snprintf(form, sizeof(form), "csrf=%s&cartReminders=1&backInStock=1&priceDrop=1", b.csrf);
		r = client_browse(&b, "POST", "/account/mails", form);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
	}
	ck_assert_int_eq(sql_scalarf("SELECT back_in_stock + price_drop FROM notify_prefs WHERE user_id = %lld", uid), 2);
}
END_TEST

/* ---- wishlists ---- */

/* The shopper saves the item to their wishlist (POST /api/wishlist/items):
 * its alerts are on by default; alerts 0 turns them off at once (PATCH). */
static void save_item(struct client *cl, const struct item *it, int alerts)
{
	char path[200], body[200];
	struct hresp *r;

	snprintf(body, sizeof(body), "{\"itemId\":\"%s\"}", it->code);
	r = client_req(cl, "POST", "/api/wishlist/items", body, 1);
	ck_assert_msg(r->status == 201, "save: %ld %s", r->status, r->body);
	hresp_free(r);
	if (alerts)
		return;
	snprintf(path, sizeof(path), "/api/wishlist/items/%s", it->code);
	r = client_req(cl, "PATCH", path, "{\"alerts\":false}", 1);
	ck_assert_msg(r->status == 200, "alerts off: %ld %s", r->status, r->body);
	hresp_free(r);
}

/* Saved while out of stock, with the hook: its return is mailed. */
START_TEST(wishlist_saved_while_out_of_stock)
{
	struct client a;
	char ea[160], *m;
	long long ua = buyer_new(&a, "alwlo", ea, sizeof(ea));
	struct item it;

	item_new(&it, 4000, 2);
	stock(&it, 0);
	settled();
	save_item(&a, &it, 1);	/* its subscriptions made now, back in stock armed */
	ck_assert_int_eq(sql_scalarf("SELECT armed FROM product_alerts WHERE user_id = %lld AND kind = 'back-in-stock'",
				     ua), 1);
	stock(&it, 2);
	m = mail_n(ea, "Back in stock: ", &it, 1);
	free(m);
	settled();
	ck_assert_int_eq(mails(ea, "Back in stock: ", &it), 1);
	ck_assert_int_eq(mails(ea, "Price drop: ", &it), 0);
}
END_TEST

START_TEST(wishlist_items_are_watched_unless_opted_out)
{
	struct client a, b;
	char ea[160], eb[160], *m;
	long long ua = buyer_new(&a, "alwla", ea, sizeof(ea));
	struct item it;

	buyer_new(&b, "alwlb", eb, sizeof(eb));
	item_new(&it, 3000, 2);
	save_item(&a, &it, 1);
	save_item(&b, &it, 0);	/* opted out */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM product_alerts WHERE user_id = %lld AND product_id = %lld "
				     "AND source = 'wishlist'", ua, it.id), 2);
	/* Sold out, then back: A hears, B does not. */
	stock(&it, 0);
	settled();
	stock(&it, 3);
	m = mail_n(ea, "Back in stock: ", &it, 1);
	free(m);
	/* Below the saved price: A's price drop. */
	price(&it, 2600);
	m = mail_n(ea, "Price drop: ", &it, 1);
	ck_assert_ptr_nonnull(strstr(m, "$30.00, its price when you saved it"));
	ck_assert_ptr_nonnull(strstr(m, "It is on your wishlist"));
	free(m);
	settled();
	ck_assert_int_eq(mails(eb, "Back in stock: ", &it), 0);
	ck_assert_int_eq(mails(eb, "Price drop: ", &it), 0);

	/* A turns the saved item's alerts off (the list's switch): nothing more. */
	{
		char path[200];
		struct hresp *r;

		snprintf(path, sizeof(path), "/api/wishlist/items/%s", it.code);
		r = client_req(&a, "PATCH", path, "{\"alerts\":false}", 1);
		ck_assert_msg(r->status == 200, "alerts off: %ld %s", r->status, r->body);
		hresp_free(r);
	}
	price(&it, 3100);
	settled();
	price(&it, 2000);
	stock(&it, 0);
	settled();
	stock(&it, 1);
	settled();
	ck_assert_int_eq(mails(ea, "Price drop: ", &it), 1);
	ck_assert_int_eq(mails(ea, "Back in stock: ", &it), 1);
}
END_TEST

/* ---- a SKU's own alert ---- */

START_TEST(sku_alerts_follow_their_sku)
{
	struct client a, b;
	char ea[160], eb[160], body[900], red[64], blue[64], path[300], *m;
	long long pid, rid, bid;
	struct item it;
	struct hresp *r;
	json_t *j;

	seller_once();
	memset(&it, 0, sizeof(it));
	snprintf(it.title, sizeof(it.title), "Alert scarf %d", (int)getpid());
	snprintf(red, sizeof(red), "ALS%d-R", (int)getpid());
	snprintf(blue, sizeof(blue), "ALS%d-B", (int)getpid());
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"description\":\"A scarf.\",\"category\":\"sports-accessories\","
		 "\"skus\":[{\"code\":\"%s\",\"price\":1000,\"quantity\":1,\"options\":{\"Color\":\"Red\"}},"
		 "{\"code\":\"%s\",\"price\":1200,\"quantity\":5,\"options\":{\"Color\":\"Blue\"}}]}",
		 it.title, red, blue);
	r = client_req(&seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	j = hresp_json(r);
	pid = it.id = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	remember(pid);
	rid = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", red);
	bid = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", blue);
	set_stock_only(rid, 1, 0, "test_alerts");
	buyer_new(&a, "alskua", ea, sizeof(ea));
	buyer_new(&b, "alskub", eb, sizeof(eb));

	/* A: the red one, out of stock (armed); B: any colour, in stock
	 * (blue has 5: disarmed). */
	snprintf(body, sizeof(body), "{\"kind\":\"back-in-stock\",\"sku\":\"%s\"}", red);
	ck_assert_int_eq(subscribe(&a, &it, body, NULL), 201);
	ck_assert_int_eq(subscribe(&b, &it, "{\"kind\":\"back-in-stock\"}", NULL), 201);
	ck_assert_int_eq(sql_scalarf("SELECT armed FROM product_alerts WHERE product_id = %lld AND sku_id = %lld", pid, rid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT armed FROM product_alerts WHERE product_id = %lld AND sku_id = 0", pid), 0);

	/* The red one's page offers A's alert for that colour. */
	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	j = hresp_json(r);
	snprintf(it.slug, sizeof(it.slug), "%s", json_string_value(json_object_get(j, "slug")));
	json_decref(j);
	hresp_free(r);
	snprintf(path, sizeof(path), "/p/%s?sku=%s", it.slug, red);
	r = client_browse(&a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "We will email you when it is back.");
	hresp_free(r);

	/* Blue sells out: the product is out (B armed); red returns: both hear. */
	set_stock_only(bid, 1, 0, "test_alerts");
	settled();
	set_stock_only(rid, 1, 4, "test_alerts");
	m = mail_n(ea, "Back in stock: ", &it, 1);
	ck_assert_msg(strstr(m, red) != NULL, "the mail does not name %s: %s", red, m);
	free(m);
	m = mail_n(eb, "Back in stock: ", &it, 1);
	free(m);
	/* Blue back too: no new episode for either. */
	set_stock_only(bid, 1, 2, "test_alerts");
	settled();
	ck_assert_int_eq(mails(ea, "Back in stock: ", &it), 1);
	ck_assert_int_eq(mails(eb, "Back in stock: ", &it), 1);
	/* Both options with the same units: test_catalog, later on the same
	 * stack, compares every SKU's units with its product's first SKU's in
	 * the read model (its OR reaches past the demo products). */
	set_stock_only(bid, 1, 4, "test_alerts");
}
END_TEST

/* ---- the API and the pages ---- */

START_TEST(api_contract)
{
	struct client a, o, guest = {0};
	char path[200], body[200];
	struct item it;
	long long id, id2;
	struct hresp *r;
	json_t *j;

	item_new(&it, 1200, 3);
	buyer_new(&a, "alapi", NULL, 0);
	buyer_new(&o, "alapo", NULL, 0);

	/* Guests: sign in first. */
	snprintf(path, sizeof(path), "/api/items/%lld/alerts", it.id);
	r = client_req(&guest, "POST", path, "{\"kind\":\"price-drop\"}", 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	/* Unknown item, bad kind, unknown SKU. */
	ck_assert_int_eq(subscribe(&a, &(struct item){ .id = 999999999 }, "{\"kind\":\"price-drop\"}", NULL), 404);
	r = client_req(&a, "POST", path, "{\"kind\":\"someday\"}", 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "\"field\":\"kind\"");
	hresp_free(r);
	ck_assert_int_eq(subscribe(&a, &it, "{}", NULL), 422);
	ck_assert_int_eq(subscribe(&a, &it, "{\"kind\":\"price-drop\",\"sku\":\"NO-SUCH-SKU\"}", NULL), 422);

	/* 201, then 200 for the same; the alert's fields. */
	r = client_req(&a, "POST", path, "{\"kind\":\"back-in-stock\"}", 1);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	id = (long long)json_integer_value(json_object_get(j, "id"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "back-in-stock");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "itemId")), it.id);
	ck_assert(json_is_null(json_object_get(j, "sku")));
	ck_assert(json_is_true(json_object_get(j, "active")));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(subscribe(&a, &it, "{\"kind\":\"back-in-stock\"}", &id2), 200);
	ck_assert_int_eq(id2, id);
	snprintf(body, sizeof(body), "{\"kind\":\"price-drop\",\"sku\":\"%s\"}", it.code);
	r = client_req(&a, "POST", path, body, 1);
	ck_assert_int_eq(r->status, 201);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "sku")), it.code);
	id2 = (long long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);

	/* Mine: both; the other shopper's list: none. */
	r = client_req(&a, "GET", "/api/alerts", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	json_decref(j);
	hresp_free(r);
	r = client_req(&o, "GET", "/api/alerts", NULL, 0);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	hresp_free(r);

	/* Someone else's: 404; mine: 204, then 404. */
	snprintf(path, sizeof(path), "/api/alerts/%lld", id);
	r = client_req(&o, "DELETE", path, NULL, 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = client_req(&a, "DELETE", path, NULL, 1);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	r = client_req(&a, "DELETE", path, NULL, 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	/* Made again after removing: 201. */
	ck_assert_int_eq(subscribe(&a, &it, "{\"kind\":\"back-in-stock\"}", &id2), 201);
	ck_assert_int_eq(id2, id);

	/* At most 200 at once: the next is refused, one already held is not. */
	{
		long long ua = sql_scalarf("SELECT user_id FROM product_alerts WHERE id = %lld", id);

		sql_execf("INSERT INTO product_alerts (user_id, product_id, kind) SELECT %lld, id, 'back-in-stock' "
			  "FROM products WHERE id <> %lld ORDER BY id LIMIT 198", ua, it.id);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM product_alerts WHERE user_id = %lld AND active = 1", ua), 200);
		snprintf(path, sizeof(path), "/api/items/%lld/alerts", it.id);
		r = client_req(&a, "POST", path, "{\"kind\":\"price-drop\"}", 1);
		ck_assert_int_eq(r->status, 422);
		HAS(r, "You watch too many items");
		hresp_free(r);
		ck_assert_int_eq(subscribe(&a, &it, "{\"kind\":\"back-in-stock\"}", NULL), 200);
		sql_execf("DELETE FROM product_alerts WHERE user_id = %lld AND product_id <> %lld", ua, it.id);
	}
}
END_TEST

START_TEST(pages_without_javascript)
{
	struct client a, guest = {0};
	char path[300], form[400];
	struct item it;
	struct hresp *r;

	item_new(&it, 900, 2);
	buyer_new(&a, "alpage", NULL, 0);
	snprintf(path, sizeof(path), "/p/%s", it.slug);

	/* In stock: the price-drop form, for a visitor too. */
	r = client_browse(&guest, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "action=\"/alerts\"");
	HAS(r, "Email me if the price drops");
	hresp_free(r);
	/* A guest's post: to sign in, back to the page afterwards. */
	snprintf(form, sizeof(form), "itemId=%lld&kind=price-drop", it.id);
	r = client_browse(&guest, "POST", "/alerts", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), "/signin"));
	hresp_free(r);

	/* Out of stock: "Email me when it's back"; subscribing shows it. */
	stock(&it, 0);
	for (int i = 0; i < 100; i++) {	/* the workers' page cache follows the event */
		r = client_browse(&a, "GET", path, NULL);
		if (strstr(r->body, "value=\"back-in-stock\""))
			break;
		hresp_free(r);
		r = NULL;
		usleep(50 * 1000);
	}
	ck_assert_ptr_nonnull(r);
	HAS(r, "Email me when it");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&itemId=%lld&kind=back-in-stock", a.csrf, it.id);
	r = client_browse(&a, "POST", "/alerts", form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), it.slug));
	hresp_free(r);
	/* (A worker's copy of the page's shared part may lag the stock a
	 * moment, as above.) */
	for (int i = 0; i < 100; i++) {
		r = client_browse(&a, "GET", path, NULL);
		if (strstr(r->body, "We will email you when it is back."))
			break;
		hresp_free(r);
		r = NULL;
		usleep(50 * 1000);
	}
	ck_assert_msg(r != NULL, "never shown as subscribed; stock_total %lld, alert rows %lld",
		      sql_scalarf("SELECT stock_total FROM products WHERE id = %lld", it.id),
		      sql_scalarf("SELECT COUNT(*) FROM product_alerts WHERE product_id = %lld AND active = 1", it.id));
	HAS(r, "Stop alerts");
	tidy_ok(r, "the product page, subscribed");
	hresp_free(r);

	/* My alerts, with a remove button that works. */
	r = client_browse(&a, "GET", "/account/alerts", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, it.title);
	HAS(r, "Back-in-stock alert");
	HAS(r, "Out of stock");
	tidy_ok(r, "/account/alerts");
	hresp_free(r);
	{
		long long id = sql_scalarf("SELECT id FROM product_alerts WHERE product_id = %lld", it.id);

		snprintf(path, sizeof(path), "/alerts/%lld/delete", id);
		snprintf(form, sizeof(form), "csrf=%s&back=/account/alerts?removed=1", a.csrf);
		r = client_browse(&a, "POST", path, form);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT active FROM product_alerts WHERE id = %lld", id), 0);
	}
	r = client_browse(&a, "GET", "/account/alerts?removed=1", NULL);
	HAS(r, "The alert is removed.");
	HAS(r, "You watch no items.");
	hresp_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alerts");
	TCase *t = tcase_create("alerts");

	harness_init();
	tcase_set_timeout(t, 120);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, back_in_stock_once_per_episode);
	tcase_add_test(t, subscribed_in_stock_waits_for_a_sell_out);
	tcase_add_test(t, price_drop_once_per_episode);
	tcase_add_test(t, unsubscribe_and_opt_out_stop_mails);
	tcase_add_test(t, wishlist_items_are_watched_unless_opted_out);
	tcase_add_test(t, wishlist_saved_while_out_of_stock);
	tcase_add_test(t, sku_alerts_follow_their_sku);
	tcase_add_test(t, api_contract);
	tcase_add_test(t, pages_without_javascript);
	suite_add_tcase(s, t);
	return run_suite(s);
}
