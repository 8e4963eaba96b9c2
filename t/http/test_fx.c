/* t/http: prices in the shopper's currency (issue 19, app/fx) on the real
 * stack and the sandbox gateway: `shopctl fx-load` of the ECB's file (and
 * its refusals), the chooser and the default from Accept-Language, pages
 * and nginx's cache never showing one shopper's currency to another, the
 * API's `currency` parameter, the same cart checked out in USD, EUR and JPY
 * charging at the gateway exactly what the quote said at the day's rate
 * (recorded on the order), a rate changing between quote and order, sellers'
 * price lists, and the invoice's totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/buf.h"
#include "../../app/fx/fx.h"
#include "../../app/view/escape.h"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.600s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s: %.600s", (s), (r)->body)

static char sku_a[64], sku_b[64];
static long long a_id, b_id;

/* A file of the ECB's format for day (YYYY-MM-DD) with EUR at usd_per_eur. */
static void ecb_file(const char *path, const char *day, const char *usd_per_eur)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "Date, USD, JPY, GBP, CHF, \n%s, %s, 162.56, 0.85960, 0.9407, \n", day, usd_per_eur);
	fclose(f);
}

static void today(char *out, size_t n, int plus_days)
{
	time_t t = time(NULL) + (time_t)plus_days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

/* The latest rate of cur, FX_SCALE fixed point (as the shop reads it). */
static long long rate_of(const char *cur)
{
	return sql_scalarf("SELECT ROUND(rate * 10000000000) FROM fx_rates WHERE currency = '%s' "
			   "ORDER BY rate_date DESC LIMIT 1", cur);
}

/* The first SKU (as the item's page and cart name it) of an active
 * product whose SKUs weigh a kilogram at most, with stock: five of them in
 * a cart ship standard. */
static long long light_sku(const char *prefix, char *code, size_t n)
{
	char path[100];
	long long pid = sql_scalarf("SELECT MIN(p.id) FROM products p WHERE p.status = 'active' AND EXISTS (SELECT 1 "
				    "FROM skus s WHERE s.product_id = p.id AND s.code LIKE '%s%%') AND NOT EXISTS "
				    "(SELECT 1 FROM skus s WHERE s.product_id = p.id AND (s.weight_grams > 1000 OR "
				    "s.status <> 'active'))", prefix);
	long long id;
	struct hresp *r;
	json_t *j;

	ck_assert_msg(pid > 0, "no light %s* product", prefix);
	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(code, n, "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
	id = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
	/* Enough units for the suite's orders (a stack runs it more than once). */
	if (sql_scalarf("SELECT COALESCE(SUM(available), 0) FROM inventory WHERE sku_id = %lld", id) < 20)
		set_stock_id(id, 1, 100, "test_fx: units for its orders");
	return id;
}

static void setup(void)
{
	char day[16];

	clear_ip_throttles();
	/* Today's rates, unless a later day is loaded already (the rate
	 * change test loads tomorrow's). */
	today(day, sizeof(day), 0);
	if (sql_scalarf("SELECT COUNT(*) FROM fx_rates WHERE rate_date >= '%s'", day) == 0) {
		ecb_file("/tmp/test_fx_today.csv", day, "1.0867");
		ck_assert_int_eq(shopctl_run(NULL, NULL, "fx-load /tmp/test_fx_today.csv"), 0);
	}
	a_id = light_sku("KIT-", sku_a, sizeof(sku_a));
	b_id = light_sku("GRO-", sku_b, sizeof(sku_b));
	/* Prices with cents that round differently in each currency (A's
	 * product all at one price, so its page shows it whatever the option),
	 * told to the caches as a seller's edit would. */
	if (sql_scalarf("SELECT COUNT(*) FROM skus WHERE (product_id = (SELECT product_id FROM skus WHERE id = %lld) "
			"AND price <> 1999) OR (id = %lld AND price <> 455)", a_id, b_id)) {
		sql_execf("UPDATE skus SET price = 1999 WHERE product_id = (SELECT product_id FROM skus WHERE id = %lld)", a_id);
		sql_execf("UPDATE skus SET price = 455 WHERE id = %lld", b_id);
		sql_execf("UPDATE products p SET price = (SELECT MIN(price) FROM skus s WHERE s.product_id = p.id) "
			  "WHERE p.id IN (SELECT product_id FROM skus WHERE id IN (%lld, %lld))", a_id, b_id);
		resync_read_model();
		sql_execf("INSERT INTO outbox (topic, aggregate_id, payload) SELECT 'ProductUpdated', product_id, "
			  "JSON_OBJECT('id', product_id) FROM skus WHERE id IN (%lld, %lld)", a_id, b_id);
	}
	sql_execf("DELETE FROM sku_prices WHERE sku_id IN (%lld, %lld)", a_id, b_id);
}

static void teardown(void)
{
	stock_invariants("after test_fx");
}

static const char *fresh_key(void)
{
	static char k[64];
	static int n;

	snprintf(k, sizeof(k), "fx-%d-%d-%ld", (int)getpid(), ++n, (long)time(NULL));
	return k;
}

static json_t *quote(struct client *cl, const char *cur, long status)
{
	char body[600];
	struct hresp *r;
	json_t *j;

	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\"%s%s%s}", cur ? ",\"currency\":\"" : "",
		 cur ? cur : "", cur ? "\"" : "");
	r = client_req(cl, "POST", "/api/checkout/quote", body, 1);
	ck_assert_msg(r->status == status, "quote %s: %ld %s", cur ? cur : "-", r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

static json_t *place(struct client *cl, const char *cur, long long amount, const char *fx_date, long status)
{
	char body[800];
	struct hresp *r;
	json_t *j;

	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"%s%s%s%s%s%s}", amount,
		 cur ? ",\"currency\":\"" : "", cur ? cur : "", cur ? "\"" : "",
		 fx_date ? ",\"fxDate\":\"" : "", fx_date ? fx_date : "", fx_date ? "\"" : "");
	r = post_idem(cl, "/api/checkout", body, fresh_key(), NULL);
	ck_assert_msg(r->status == status, "checkout %s: %ld %s", cur ? cur : "-", r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

/* The gateway's amount and currency of the order's intent. */
static void gateway(const json_t *order, long long *amount, char *cur, size_t n)
{
	const char *intent = json_string_value(json_object_get(json_object_get(order, "payment"), "id"));
	char path[200];
	struct hresp *r;
	json_t *j;

	ck_assert_ptr_nonnull(intent);
	snprintf(path, sizeof(path), "/v1/payment_intents/%s", intent);
	r = paygate_req("GET", path, NULL, NULL);
	ck_assert_msg(r->status == 200, "gateway: %ld %s", r->status, r->body);
	j = hresp_json(r);
	*amount = json_integer_value(json_object_get(j, "amount"));
	snprintf(cur, n, "%s", json_string_value(json_object_get(j, "currency")));
	json_decref(j);
	hresp_free(r);
}

/* One buyer, the suite's cart: 1 x A, 3 x B ($33.64: under the free-shipping threshold). */
static long long buyer_with_cart(struct client *cl)
{
	long long uid = buyer_new(cl, "fx", NULL, 0);

	cart_put(cl, sku_a, 1);
	cart_put(cl, sku_b, 3);
	return uid;
}

/* Checks an order placed in cur against the day's rate: every line's unit
 * price is the converted one, the lines add up, the gateway charged the
 * total in that currency, and the order keeps the rate. Returns the total. */
static long long check_order(const json_t *o, const char *cur, long long rate)
{
	long long sub = 0, gw_amount, id = json_integer_value(json_object_get(o, "id"));
	char gw_cur[8], lower[4];
	json_t *l;
	size_t i;

	ck_assert_str_eq(json_string_value(json_object_get(o, "currency")), cur);
	json_array_foreach(json_object_get(o, "lines"), i, l) {
		long long usd = !strcmp(json_string_value(json_object_get(l, "itemId")), sku_a) ? 1999 : 455;

		ck_assert_int_eq(json_integer_value(json_object_get(l, "unitPrice")), fx_convert(usd, cur, rate));
		sub += json_integer_value(json_object_get(l, "unitPrice")) * json_integer_value(json_object_get(l, "quantity"));
	}
	ck_assert_int_eq(json_integer_value(json_object_get(o, "subtotal")), sub);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "total")),
			 sub - json_integer_value(json_object_get(o, "discount")) +
			 json_integer_value(json_object_get(o, "tax")) + json_integer_value(json_object_get(o, "shipping")));
	gateway(o, &gw_amount, gw_cur, sizeof(gw_cur));
	for (int k = 0; k < 3; k++)
		lower[k] = (char)(cur[k] | 0x20);
	lower[3] = '\0';
	ck_assert_int_eq(gw_amount, json_integer_value(json_object_get(o, "total")));
	ck_assert_str_eq(gw_cur, lower);
	ck_assert_int_eq(sql_scalarf("SELECT ROUND(fx_rate * 10000000000) FROM orders WHERE id = %lld", id), rate);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND currency = '%s' AND "
				     "(fx_date IS NOT NULL) = %d", id, cur, strcmp(cur, "USD") != 0), 1);
	return json_integer_value(json_object_get(o, "total"));
}

START_TEST(same_cart_usd_eur_jpy)
{
	struct client u;
	long long usd_total, eur_total, jpy_total, usd_ship, eur = rate_of("EUR"), jpy = rate_of("JPY");
	json_t *q, *o;

	ck_assert_int_gt(eur, 0);
	/* USD: as before, rate 1, no rate day. */
	buyer_with_cart(&u);
	q = quote(&u, NULL, 200);
	ck_assert_str_eq(json_string_value(json_object_get(q, "currency")), "USD");
	o = place(&u, NULL, json_integer_value(json_object_get(q, "amount")), NULL, 201);
	usd_total = check_order(o, "USD", FX_SCALE);
	usd_ship = json_integer_value(json_object_get(o, "shipping"));
	json_decref(q);
	json_decref(o);

	/* EUR (the same shopper, the same cart again): the quote says the rate
	 * and its day, the order is charged that. */
	cart_put(&u, sku_a, 1);
	cart_put(&u, sku_b, 3);
	q = quote(&u, "EUR", 200);
	ck_assert_str_eq(json_string_value(json_object_get(q, "currency")), "EUR");
	ck_assert_int_eq(sql_scalarf("SELECT ROUND(%s * 10000000000)", json_string_value(json_object_get(q, "fxRate"))), eur);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(q, "fxDate")));
	o = place(&u, "EUR", json_integer_value(json_object_get(q, "amount")), NULL, 201);
	eur_total = check_order(o, "EUR", eur);
	/* Shipping: the same weight band's price at the same rate. */
	ck_assert_int_gt(usd_ship, 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "shipping")), fx_convert(usd_ship, "EUR", eur));
	/* The same goods at the day's rate, within the per-line rounding (five
	 * lines' units, a tax per line, shipping). */
	ck_assert_msg(llabs(eur_total - fx_convert(usd_total, "EUR", eur)) <= 8, "EUR %lld vs USD %lld at %lld",
		      eur_total, usd_total, eur);
	json_decref(q);
	json_decref(o);

	/* JPY: no minor unit; whole yen everywhere. */
	cart_put(&u, sku_a, 1);
	cart_put(&u, sku_b, 3);
	q = quote(&u, "JPY", 200);
	o = place(&u, "JPY", json_integer_value(json_object_get(q, "amount")), NULL, 201);
	jpy_total = check_order(o, "JPY", jpy);
	ck_assert_msg(llabs(jpy_total - fx_convert(usd_total, "JPY", jpy)) <= 8, "JPY %lld vs USD %lld", jpy_total,
		      usd_total);
	json_decref(q);
	json_decref(o);

	/* A currency the shop does not sell in: 422 naming the field. */
	{
		cart_put(&u, sku_a, 1);
		q = quote(&u, "CHF", 422);
		ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(q,
			"error"), "fields"), 0), "field")), "currency");
		json_decref(q);
	}
}
END_TEST

START_TEST(rate_changes_between_quote_and_order)
{
	struct client cl;
	char day[16];
	json_t *q, *o, *err;
	long long old_amount, uid;
	const char *old_day;

	uid = buyer_with_cart(&cl);
	q = quote(&cl, "EUR", 200);
	old_amount = json_integer_value(json_object_get(q, "amount"));
	old_day = json_string_value(json_object_get(q, "fxDate"));
	/* A later day's file: the euro is worth more. */
	today(day, sizeof(day), 1 + (int)sql_scalar("SELECT GREATEST(0, DATEDIFF(MAX(rate_date), UTC_DATE())) FROM fx_rates"));
	{	/* another rate than any day's before (a stack may run this twice) */
		char usd[16];

		snprintf(usd, sizeof(usd), "%.4f", 1.2 + 0.0137 * (double)sql_scalar("SELECT COUNT(DISTINCT rate_date) FROM fx_rates"));
		ecb_file("/tmp/test_fx_later.csv", day, usd);
	}
	ck_assert_int_eq(shopctl_run(NULL, NULL, "fx-load /tmp/test_fx_later.csv"), 0);
	/* Placing what was quoted: 409 with the new quote, nothing held. */
	o = place(&cl, "EUR", old_amount, old_day, 409);
	err = json_object_get(o, "error");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(err, "quote"), "fxDate")), day);
	ck_assert_int_ne(json_integer_value(json_object_get(err, "amount")), old_amount);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 0);
	/* The new amount at the new day's rate: placed, at that rate. */
	{
		long long amount = json_integer_value(json_object_get(err, "amount"));

		json_decref(o);
		o = place(&cl, "EUR", amount, day, 201);
		check_order(o, "EUR", rate_of("EUR"));
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld AND fx_date = '%s'",
					     (long long)json_integer_value(json_object_get(o, "id")), day), 1);
	}
	json_decref(o);
	json_decref(q);
}
END_TEST

/* A filtered search in euros read a page at a time: a new day's rate
 * between two pages moves the dollar amounts the filter compares, not the
 * search the shopper asked for, so the next page still answers. */
START_TEST(search_cursor_survives_new_rate)
{
	char day[16], usd[16], path[600], first[40];
	struct hresp *r;
	json_t *j;
	const char *next;

	search_settled();
	r = http_get_json("/api/items?currency=EUR&minPrice=100&size=2");
	ck_assert_msg(r->status == 200, "page 1: %ld %s", r->status, r->body);
	j = hresp_json(r);
	next = json_string_value(json_object_get(j, "nextCursor"));
	ck_assert_ptr_nonnull(next);
	snprintf(path, sizeof(path), "/api/items?currency=EUR&minPrice=100&size=2&cursor=%s", next);
	snprintf(first, sizeof(first), "%lld", (long long)json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "items"), 0), "id")));
	json_decref(j);
	hresp_free(r);

	today(day, sizeof(day), 1 + (int)sql_scalar("SELECT GREATEST(0, DATEDIFF(MAX(rate_date), UTC_DATE())) FROM fx_rates"));
	snprintf(usd, sizeof(usd), "%.4f", 1.3 + 0.0113 * (double)sql_scalar("SELECT COUNT(DISTINCT rate_date) FROM fx_rates"));
	ecb_file("/tmp/test_fx_cursor.csv", day, usd);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "fx-load /tmp/test_fx_cursor.csv"), 0);

	r = http_get_json(path);
	ck_assert_msg(r->status == 200, "page 2 after a new rate: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	ck_assert_str_ne(first, "0");
	{
		char id[40];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(
			json_array_get(json_object_get(j, "items"), 0), "id")));
		ck_assert_str_ne(id, first);	/* the second page, not the first again */
	}
	json_decref(j);
	hresp_free(r);
}
END_TEST

START_TEST(fx_load_parses_and_refuses)
{
	static const char *const bad[] = {
		"<html>Not Found</html>\n",
		"Date, JPY\n04 December 2026, 162.56\n",
		"Date, USD, JPY\n04 December 2026, 1.08, -5\n",
		"Date, USD, JPY\n31 Foo 2026, 1.08, 162\n",
		"Date, USD, JPY\n",
	};
	long long rows = sql_scalar("SELECT COUNT(*) FROM fx_rates");
	char path[] = "/tmp/test_fx_bad.csv";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");

		fputs(bad[i], f);
		fclose(f);
		ck_assert_msg(shopctl_run(NULL, NULL, "fx-load /tmp/test_fx_bad.csv") != 0, "file %zu loaded", i);
	}
	ck_assert_int_ne(shopctl_run(NULL, NULL, "fx-load /tmp/no-such-file.csv"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM fx_rates"), rows);
	/* The shop's sample: EUR per USD is 1 / the USD column, JPY divided. */
	ck_assert_int_eq(shopctl_run(NULL, NULL, "fx-load data/fx/eurofxref.csv"), 0);
	ck_assert_int_eq(sql_scalar("SELECT ROUND(rate * 10000000000) FROM fx_rates WHERE currency = 'EUR' AND "
				    "rate_date = '2026-12-04'"), 9202171713);
	ck_assert_int_eq(sql_scalar("SELECT ROUND(rate * 10000000000) FROM fx_rates WHERE currency = 'JPY' AND "
				    "rate_date = '2026-12-04'"), 1495905033588);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM fx_rates WHERE rate_date = '2026-12-04'"), 29);
}
END_TEST

START_TEST(chooser_language_and_caches)
{
	const char *de[] = { "Accept-Language: de-DE,de;q=0.9", "Accept: text/html", NULL };
	const char *gb[] = { "Accept-Language: en-GB", "Accept: text/html", NULL };
	const char *ja[] = { "Accept-Language: ja", "Accept: text/html", NULL };
	const char *none[] = { "Accept: text/html", NULL };
	const char *cookie_jpy[] = { "Accept-Language: de", "Cookie: cur=JPY", "Accept: text/html", NULL };
	char path[200], want[64];
	long long eur = rate_of("EUR"), jpy = rate_of("JPY");
	struct hresp *r;
	struct arena *a = arena_new(4096);
	struct buf b;

	snprintf(path, sizeof(path), "/api/items/%lld", sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", a_id));
	/* The API: the currency parameter, prices carry it. */
	r = http(  "GET", arena_printf(a, "%s?currency=EUR", path), NULL, (const char *[]){ "Accept: application/json", NULL });
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	snprintf(want, sizeof(want), "\"price\":%lld,\"currency\":\"EUR\"", (long long)fx_convert(1999, "EUR", eur));
	HAS(r, want);
	LACKS(r, "\"currency\":\"USD\"");
	hresp_free(r);
	r = http("GET", arena_printf(a, "%s?currency=XYZ", path), NULL, (const char *[]){ "Accept: application/json", NULL });
	ck_assert_int_eq(r->status, 422);
	HAS(r, "\"field\":\"currency\"");
	hresp_free(r);

	/* Pages: the product page by its slug, in each visitor's currency,
	 * one after the other within nginx's cache second. */
	{
		char *slug = NULL;
		json_t *j;

		r = http_get_json(path);
		j = hresp_json(r);
		slug = strdup(json_string_value(json_object_get(j, "slug")));
		json_decref(j);
		hresp_free(r);
		snprintf(path, sizeof(path), "/p/%s", slug);
		free(slug);
	}
	/* The product's cached copies have caught up with setup's price. */
	for (int i = 0; i < 100; i++) {
		r = http("GET", path, NULL, none);
		if (strstr(r->body, "$19.99"))
			break;
		hresp_free(r);
		r = NULL;
		usleep(100 * 1000);
	}
	ck_assert_msg(r != NULL, "the product page never showed $19.99");
	hresp_free(r);
	r = http("GET", path, NULL, de);
	buf_init(&b, a, 64);
	esc_money(&b, fx_convert(1999, "EUR", eur), "EUR");
	buf_putc(&b, '\0');
	HAS(r, b.p);
	HAS(r, "<option value=\"EUR\" selected>");
	hresp_free(r);
	r = http("GET", path, NULL, none);
	HAS(r, "$19.99");
	LACKS(r, "\xE2\x82\xAC");
	hresp_free(r);
	r = http("GET", path, NULL, gb);
	HAS(r, "\xC2\xA3");
	LACKS(r, "$19.99");
	hresp_free(r);
	r = http("GET", path, NULL, ja);
	buf_init(&b, a, 64);
	esc_money(&b, fx_convert(1999, "JPY", jpy), "JPY");
	buf_putc(&b, '\0');
	HAS(r, b.p);
	ck_assert_ptr_null(strchr(b.p, '.'));	/* no minor unit */
	hresp_free(r);
	/* The chooser's cookie beats the language. */
	r = http("GET", path, NULL, cookie_jpy);
	HAS(r, "\xC2\xA5");
	LACKS(r, "\xE2\x82\xAC");
	tidy_ok(r, "product page in JPY");
	hresp_free(r);
	/* Preferences by q-value, then the first language alone, within the
	 * same cache second: each gets its own currency. */
	r = http("GET", path, NULL, (const char *[]){ "Accept-Language: ja;q=0.1, de", "Accept: text/html", NULL });
	HAS(r, "\xE2\x82\xAC");
	hresp_free(r);
	r = http("GET", path, NULL, ja);
	HAS(r, "\xC2\xA5");
	LACKS(r, "\xE2\x82\xAC");
	hresp_free(r);
	/* A cookie naming a currency the shop does not enable: dollars, for
	 * every language (nginx keys that copy by the cookie alone). */
	r = http("GET", path, NULL, (const char *[]){ "Cookie: cur=CHF", "Accept-Language: de", "Accept: text/html", NULL });
	HAS(r, "$19.99");
	hresp_free(r);
	r = http("GET", path, NULL, (const char *[]){ "Cookie: cur=CHF", "Accept-Language: ja", "Accept: text/html", NULL });
	HAS(r, "$19.99");
	hresp_free(r);

	/* The chooser: a cookie and back where the shopper was. */
	r = http("GET", "/currency?c=EUR&back=%2Fc%2Fbeauty", NULL, NULL);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/c/beauty");
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Set-Cookie"), "cur=EUR; Path=/"));
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Set-Cookie"), "SameSite=Lax"));
	hresp_free(r);
	r = http("GET", "/currency?c=GBP&back=%2F%2Fevil.example%2F", NULL, NULL);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/");
	hresp_free(r);
	r = http("GET", "/currency?c=XYZ", NULL, NULL);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	arena_destroy(a);
}
END_TEST

START_TEST(cart_in_currency)
{
	struct client cl;
	struct hresp *r;
	json_t *j, *l;
	size_t i;
	long long eur = rate_of("EUR"), sub = 0;

	buyer_with_cart(&cl);
	r = client_req(&cl, "GET", "/api/cart?currency=EUR", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "currency")), "EUR");
	json_array_foreach(json_object_get(j, "items"), i, l) {
		long long usd = !strcmp(json_string_value(json_object_get(l, "itemId")), sku_a) ? 1999 : 455;

		ck_assert_str_eq(json_string_value(json_object_get(l, "currency")), "EUR");
		ck_assert_int_eq(json_integer_value(json_object_get(l, "unitPrice")), fx_convert(usd, "EUR", eur));
		ck_assert_int_eq(json_integer_value(json_object_get(l, "lineTotal")),
				 fx_convert(usd, "EUR", eur) * json_integer_value(json_object_get(l, "quantity")));
		ck_assert(!json_is_true(json_object_get(l, "priceChanged")));
		sub += json_integer_value(json_object_get(l, "lineTotal"));
	}
	ck_assert_int_eq(json_integer_value(json_object_get(j, "subtotal")), sub);
	json_decref(j);
	hresp_free(r);
	/* Without the parameter: the shop's currency. */
	r = client_req(&cl, "GET", "/api/cart", NULL, 0);
	HAS(r, "\"subtotal\":3364");	/* 19.99 + 3 x 4.55 */
	HAS(r, "\"currency\":\"USD\"");
	hresp_free(r);
}
END_TEST

START_TEST(seller_price_list)
{
	struct client seller, other, buyer;
	long long sid = seller_new(&seller, "fxsell", NULL), pid;
	struct hresp *r;
	char path[200], body[200];
	json_t *o, *q;

	seller_new(&other, "fxother", NULL);
	pid = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", a_id);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = %lld", sid, pid);
	snprintf(path, sizeof(path), "/api/seller/prices/%s", sku_a);
	/* Another seller's SKU: 404, nothing set. */
	r = client_req(&other, "PUT", path, "{\"currency\":\"EUR\",\"price\":1500}", 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	/* Refused: the shop's own currency, one not enabled, a negative price. */
	r = client_req(&seller, "PUT", path, "{\"currency\":\"USD\",\"price\":1500}", 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "\"field\":\"currency\"");
	hresp_free(r);
	r = client_req(&seller, "PUT", path, "{\"currency\":\"CHF\",\"price\":1500}", 1);
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	r = client_req(&seller, "PUT", path, "{\"currency\":\"EUR\",\"price\":-1}", 1);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "\"field\":\"price\"");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM sku_prices WHERE sku_id = %lld", a_id), 0);
	/* Set: the EUR price is the seller's, everywhere. */
	r = client_req(&seller, "PUT", path, "{\"currency\":\"EUR\",\"price\":1500}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "{\"currency\":\"EUR\",\"price\":1500}");
	hresp_free(r);
	/* (nginx may answer from its one-second copy first, as for any price
	 * change.) */
	snprintf(path, sizeof(path), "/api/items/%lld?currency=EUR", pid);
	snprintf(body, sizeof(body), "\"sku\":\"%s\",\"price\":1500,\"currency\":\"EUR\"", sku_a);
	for (int i = 0; i < 30; i++) {
		r = http("GET", path, NULL, (const char *[]){ "Accept: application/json", NULL });
		if (strstr(r->body, body))
			break;
		hresp_free(r);
		r = NULL;
		usleep(100 * 1000);
	}
	ck_assert_msg(r != NULL, "the item never showed the seller's EUR price");
	HAS(r, "\"price\":1500,\"currency\":\"EUR\",\"brand\"");	/* the headline price too */
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/seller/prices/%s", sku_a);
	buyer_with_cart(&buyer);
	r = client_req(&buyer, "GET", "/api/cart?currency=EUR", NULL, 0);
	HAS(r, "\"unitPrice\":1500");
	hresp_free(r);
	q = quote(&buyer, "EUR", 200);
	o = place(&buyer, "EUR", json_integer_value(json_object_get(q, "amount")), NULL, 201);
	ck_assert_int_eq(sql_scalarf("SELECT unit_price FROM order_lines WHERE order_id = %lld AND sku_id = %lld",
				     (long long)json_integer_value(json_object_get(o, "id")), a_id), 1500);
	json_decref(q);
	json_decref(o);
	/* The page lists it; null removes it. */
	snprintf(path, sizeof(path), "/seller/prices/%s", sku_a);
	r = client_browse(&seller, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "value=\"1500\"");
	tidy_ok(r, "seller prices page");
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/seller/prices/%s", sku_a);
	r = client_req(&seller, "PUT", path, "{\"currency\":\"EUR\",\"price\":null}", 1);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "\"prices\":[]");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM sku_prices WHERE sku_id = %lld", a_id), 0);
}
END_TEST

START_TEST(invoice_totals)
{
	struct client cl, other;
	json_t *q, *o;
	struct hresp *r;
	char path[100];
	long long id;
	struct arena *a = arena_new(4096);
	static const char *const keys[] = { "subtotal", "tax", "shipping", "total" };

	buyer_with_cart(&cl);
	q = quote(&cl, "EUR", 200);
	o = place(&cl, "EUR", json_integer_value(json_object_get(q, "amount")), NULL, 201);
	id = json_integer_value(json_object_get(o, "id"));
	snprintf(path, sizeof(path), "/orders/%lld/invoice", id);
	r = client_browse(&cl, "GET", path, NULL);
	ck_assert_msg(r->status == 200, "%ld %.300s", r->status, r->body);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		struct buf b;

		buf_init(&b, a, 64);
		esc_money(&b, json_integer_value(json_object_get(o, keys[k])), "EUR");
		buf_putc(&b, '\0');
		HAS(r, b.p);
	}
	HAS(r, "Total (EUR)");
	HAS(r, "Prices converted from USD at 1 USD = 0.");
	HAS(r, arena_printf(a, "INV-%08lld", id));
	tidy_ok(r, "invoice");
	hresp_free(r);
	/* The order page links it. */
	snprintf(path, sizeof(path), "/orders/%lld", id);
	r = client_browse(&cl, "GET", path, NULL);
	HAS(r, arena_printf(a, "/orders/%lld/invoice", id));
	hresp_free(r);
	/* Nobody else's: another shopper, no session, a bad link. */
	snprintf(path, sizeof(path), "/orders/%lld/invoice", id);
	buyer_new(&other, "fxother", NULL, 0);
	r = client_browse(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/orders/%lld/invoice?t=deadbeef", id);
	r = http_get(path);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	json_decref(q);
	json_decref(o);
	arena_destroy(a);
}
END_TEST


/* ---- issue 19, the rest (X) ---- */

/* The JSON of an anonymous GET (nginx's one-second copy may answer first:
 * tries until want(j) holds, up to 5 s), or fails. */
static json_t *get_until(const char *path, int (*want)(const json_t *, const void *), const void *arg)
{
	json_t *j = NULL;

	for (int i = 0; i < 50; i++) {
		struct hresp *r = http("GET", path, NULL, (const char *[]){ "Accept: application/json", NULL });

		ck_assert_msg(r->status == 200, "%s: %ld %.300s", path, r->status, r->body);
		json_decref(j);
		j = hresp_json(r);
		hresp_free(r);
		if (!want || want(j, arg))
			return j;
		usleep(100 * 1000);
	}
	ck_abort_msg("%s never answered as expected", path);
	return j;
}

/* The card of product pid in an answer's items (NULL: not there). */
static json_t *card_of(const json_t *j, long long pid)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(j, "items"), i, it)
		if (json_integer_value(json_object_get(it, "id")) == pid)
			return it;
	return NULL;
}

static int has_card(const json_t *j, const void *pid)
{
	return card_of(j, *(const long long *)pid) != NULL;
}

static char *url_encoded(struct arena *a, const char *s)
{
	struct buf b;

	buf_init(&b, a, 128);
	esc_url(&b, s, strlen(s));
	buf_putc(&b, '\0');
	return b.p;
}

static const char *money_text(struct arena *a, long long minor, const char *cur)
{
	struct buf b;

	buf_init(&b, a, 64);
	esc_money(&b, minor, cur);
	buf_putc(&b, '\0');
	return b.p;
}

/* The bounds of a category's and a search's price filter are in the
 * shopper's currency (the API's `currency`, a page's chosen one), and the
 * price facets' ranges are shown in it. A's product is $19.99: e euros. */
START_TEST(price_filter_in_currency)
{
	long long eur = rate_of("EUR"), jpy = rate_of("JPY"), e = fx_convert(1999, "EUR", eur);
	long long y = fx_convert(1999, "JPY", jpy);
	long long pid = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", a_id);
	char cat[80], slug[200], title[300], q[300];
	struct arena *a = arena_new(8192);
	struct hresp *r;
	json_t *j, *usd, *it;
	size_t i;
	const char *cookie_eur[] = { "Cookie: cur=EUR", "Accept: text/html", NULL };
	const char *cookie_jpy[] = { "Cookie: cur=JPY", "Accept: text/html", NULL };

	snprintf(q, sizeof(q), "SELECT c.slug FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = %lld", pid);
	ck_assert(sql_text(q, cat, sizeof(cat)));
	snprintf(q, sizeof(q), "SELECT slug FROM products WHERE id = %lld", pid);
	ck_assert(sql_text(q, slug, sizeof(slug)));
	snprintf(q, sizeof(q), "SELECT title FROM products WHERE id = %lld", pid);
	ck_assert(sql_text(q, title, sizeof(title)));

	/* The category's API: minPrice and maxPrice in cents of EUR. */
	j = get_until(arena_printf(a, "/api/categories/%s/items?currency=EUR&size=100&minPrice=%lld&maxPrice=%lld",
				   cat, e, e), has_card, &pid);
	ck_assert_int_eq(json_integer_value(json_object_get(card_of(j, pid), "price")), e);
	json_array_foreach(json_object_get(j, "items"), i, it)
		ck_assert_str_eq(json_string_value(json_object_get(it, "currency")), "EUR");
	json_decref(j);
	j = get_until(arena_printf(a, "/api/categories/%s/items?currency=EUR&size=100&minPrice=%lld", cat, e + 1), NULL, NULL);
	ck_assert_ptr_null(card_of(j, pid));
	json_decref(j);
	j = get_until(arena_printf(a, "/api/categories/%s/items?currency=EUR&size=100&maxPrice=%lld", cat, e - 1), NULL, NULL);
	ck_assert_ptr_null(card_of(j, pid));
	json_decref(j);
	/* The same numbers without a currency are dollars: $19.99 is not in. */
	j = get_until(arena_printf(a, "/api/categories/%s/items?size=100&minPrice=%lld&maxPrice=%lld", cat, e, e), NULL, NULL);
	ck_assert_ptr_null(card_of(j, pid));
	json_decref(j);
	/* Yen: whole units. */
	j = get_until(arena_printf(a, "/api/categories/%s/items?currency=JPY&size=100&minPrice=%lld&maxPrice=%lld",
				   cat, y, y), has_card, &pid);
	json_decref(j);

	/* The category page: typed in the chosen currency, said in it. */
	r = http("GET", arena_printf(a, "/c/%s?minPrice=%lld.%02lld&maxPrice=%lld.%02lld", cat, e / 100, e % 100,
				     e / 100, e % 100), NULL, cookie_eur);
	ck_assert_int_eq(r->status, 200);
	HAS(r, arena_printf(a, "href=\"/p/%s\"", slug));
	HAS(r, "Price (EUR)");
	HAS(r, arena_printf(a, "value=\"%lld.%02lld\"", e / 100, e % 100));
	HAS(r, arena_printf(a, "Price: %s to %s", money_text(a, e, "EUR"), money_text(a, e, "EUR")));
	tidy_ok(r, "category page filtered in EUR");
	hresp_free(r);
	r = http("GET", arena_printf(a, "/c/%s?minPrice=%lld&maxPrice=%lld", cat, y, y), NULL, cookie_jpy);
	HAS(r, arena_printf(a, "href=\"/p/%s\"", slug));
	HAS(r, "Price (JPY)");
	HAS(r, arena_printf(a, "value=\"%lld\"", y));
	hresp_free(r);
	/* In dollars the same numbers leave it out. */
	r = http("GET", arena_printf(a, "/c/%s?minPrice=%lld.%02lld&maxPrice=%lld.%02lld", cat, e / 100, e % 100,
				     e / 100, e % 100), NULL, (const char *[]){ "Accept: text/html", NULL });
	LACKS(r, arena_printf(a, "href=\"/p/%s\"", slug));
	HAS(r, "Price (USD)");
	hresp_free(r);
	/* Typed with the currency's sign. */
	r = http("GET", arena_printf(a, "/c/%s?minPrice=%%E2%%82%%AC%lld.%02lld&maxPrice=%%E2%%82%%AC%%20%lld.%02lld", cat,
				     e / 100, e % 100, e / 100, e % 100), NULL, cookie_eur);
	ck_assert_int_eq(r->status, 200);
	HAS(r, arena_printf(a, "href=\"/p/%s\"", slug));
	LACKS(r, "is not a price");
	hresp_free(r);
	/* From above To: read the other way round, said in euros. */
	r = http("GET", arena_printf(a, "/c/%s?minPrice=%lld.%02lld&maxPrice=1", cat, e / 100, e % 100), NULL, cookie_eur);
	HAS(r, arena_printf(a, "The From price (%s)", money_text(a, e, "EUR")));
	HAS(r, arena_printf(a, "href=\"/p/%s\"", slug));
	hresp_free(r);

	/* Search: the API's bounds in the currency (the index may still be
	 * catching up with setup's price). */
	j = get_until(arena_printf(a, "/api/items?term=%s&currency=EUR&minPrice=%lld&maxPrice=%lld",
				   url_encoded(a, title), e, e), has_card, &pid);
	ck_assert_int_eq(json_integer_value(json_object_get(card_of(j, pid), "price")), e);
	json_decref(j);
	j = get_until(arena_printf(a, "/api/items?term=%s&currency=EUR&minPrice=%lld", url_encoded(a, title), e + 1),
		      NULL, NULL);
	ck_assert_ptr_null(card_of(j, pid));
	json_decref(j);
	/* The price facets: the shop's bands, their bounds in euros. */
	usd = get_until(arena_printf(a, "/api/items?term=%s", url_encoded(a, title)), has_card, &pid);
	j = get_until(arena_printf(a, "/api/items?term=%s&currency=EUR", url_encoded(a, title)), has_card, &pid);
	ck_assert_int_gt(json_array_size(json_object_get(json_object_get(usd, "facets"), "price")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "facets"), "price")),
			 json_array_size(json_object_get(json_object_get(usd, "facets"), "price")));
	json_array_foreach(json_object_get(json_object_get(usd, "facets"), "price"), i, it) {
		json_t *x = json_array_get(json_object_get(json_object_get(j, "facets"), "price"), i);
		json_t *mx = json_object_get(it, "max");

		ck_assert_int_eq(json_integer_value(json_object_get(x, "min")),
				 fx_convert(json_integer_value(json_object_get(it, "min")), "EUR", eur));
		ck_assert_int_eq(json_integer_value(json_object_get(x, "count")),
				 json_integer_value(json_object_get(it, "count")));
		if (json_is_null(mx))
			ck_assert(json_is_null(json_object_get(x, "max")));
		else
			ck_assert_int_eq(json_integer_value(json_object_get(x, "max")),
					 fx_convert(json_integer_value(mx) + 1, "EUR", eur) - 1);
	}
	/* The page: the facets' labels and links in euros; a band's link
	 * finds what the band counted. */
	r = http("GET", arena_printf(a, "/search?q=%s", url_encoded(a, title)), NULL, cookie_eur);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Price (EUR)");
	{
		json_t *b0 = json_array_get(json_object_get(json_object_get(j, "facets"), "price"), 0);
		long long lo = json_integer_value(json_object_get(b0, "min"));

		HAS(r, money_text(a, lo, "EUR"));
		HAS(r, arena_printf(a, "minPrice&#61;%lld.%02lld", lo / 100, lo % 100));	/* (attr escapes =) */
	}
	tidy_ok(r, "search page in EUR");
	hresp_free(r);
	r = http("GET", arena_printf(a, "/search?q=%s&minPrice=%lld.%02lld&maxPrice=%lld.%02lld", url_encoded(a, title),
				     e / 100, e % 100, e / 100, e % 100), NULL, cookie_eur);
	HAS(r, arena_printf(a, "href=\"/p/%s\"", slug));
	HAS(r, arena_printf(a, "Price: %s to %s", money_text(a, e, "EUR"), money_text(a, e, "EUR")));
	hresp_free(r);
	json_decref(j);
	json_decref(usd);
	arena_destroy(a);
}
END_TEST

/* POST /checkout (the brief's path) takes "currency" as /api/checkout
 * does: the quote's amount in EUR, charged at the day's rate, recorded. */
START_TEST(brief_checkout_in_currency)
{
	struct client u;
	long long uid = buyer_with_cart(&u), eur = rate_of("EUR"), amount, orders0;
	char body[1024];
	struct hresp *r;
	json_t *q, *o;

	q = quote(&u, "EUR", 200);
	amount = json_integer_value(json_object_get(q, "amount"));
	snprintf(body, sizeof(body), "{\"cartId\":%lld,\"amount\":%lld," TEST_ADDR ",\"shippingMethod\":\"standard\","
		 "\"currency\":\"EUR\",\"fxDate\":\"%s\",\"paymentInfo\":{\"paymentType\":\"CARD\","
		 "\"paymentMethod\":\"pm_card_visa\"}}", uid, amount, json_string_value(json_object_get(q, "fxDate")));
	r = post_idem(&u, "/checkout", body, fresh_key(), NULL);
	ck_assert_msg(r->status == 201, "POST /checkout in EUR: %ld %s", r->status, r->body);
	o = hresp_json(r);
	hresp_free(r);
	ck_assert_int_eq(check_order(o, "EUR", eur), amount);
	json_decref(o);
	json_decref(q);
	/* A currency the shop does not sell in: 422 naming it, nothing placed. */
	cart_put(&u, sku_a, 1);
	orders0 = sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid);
	snprintf(body, sizeof(body), "{\"cartId\":%lld," TEST_ADDR ",\"shippingMethod\":\"standard\","
		 "\"currency\":\"CHF\",\"paymentInfo\":{\"paymentType\":\"CARD\",\"paymentMethod\":\"pm_card_visa\"}}", uid);
	r = post_idem(&u, "/checkout", body, fresh_key(), NULL);
	ck_assert_msg(r->status == 422, "POST /checkout in CHF: %ld %s", r->status, r->body);
	HAS(r, "\"field\":\"currency\"");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), orders0);
}
END_TEST

static int card_price_is(const json_t *j, const void *arg)
{
	const long long *w = arg;	/* pid, price */
	json_t *c = card_of(j, w[0]);

	if (!c && json_integer_value(json_object_get(j, "id")) == w[0])
		c = (json_t *)j;	/* an item's own answer */
	return c && json_integer_value(json_object_get(c, "price")) == w[1] &&
	       !strcmp(json_string_value(json_object_get(c, "currency")), "EUR");
}

/* A card's "from" price with a price list for some SKUs only: the least of
 * the own prices where set and the converted prices otherwise, on the
 * category's and the search's cards and the item's headline. */
START_TEST(from_price_partial_price_list)
{
	struct client seller;
	long long sid = seller_new(&seller, "fxfrom", NULL), pid, eur = rate_of("EUR"), want[2];
	long long e_lo = fx_convert(1000, "EUR", eur), e_hi = fx_convert(2000, "EUR", eur);
	char cat[80], code[64], body[1600], q[400], attrs[1024], title[120];
	struct arena *a = arena_new(8192);
	struct hresp *r;
	json_t *j;

	(void)sid;
	/* The category of A's product and its required attributes (as
	 * seller_item_like makes an item). */
	snprintf(q, sizeof(q), "SELECT c.slug FROM skus s JOIN products p ON p.id = s.product_id JOIN categories c "
		 "ON c.id = p.category_id WHERE s.id = %lld", a_id);
	ck_assert(sql_text(q, cat, sizeof(cat)));
	snprintf(q, sizeof(q), "SELECT JSON_OBJECTAGG(name, JSON_EXTRACT(CASE kind WHEN 'choice' THEN "
		 "JSON_EXTRACT(choices, '$[0]') WHEN 'number' THEN '1' ELSE '\"Test\"' END, '$')) "
		 "FROM category_attributes WHERE category_slug = '%s' AND required = 1", cat);
	if (!sql_text(q, attrs, sizeof(attrs)))
		snprintf(attrs, sizeof(attrs), "{}");
	snprintf(code, sizeof(code), "FXF-%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	snprintf(title, sizeof(title), "Fromprice %s", code);
	/* Two options: $20 (first) and $10. */
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"description\":\"Two options at two prices.\","
		 "\"category\":\"%s\",\"attributes\":%s,\"skus\":["
		 "{\"code\":\"%s-A\",\"price\":2000,\"quantity\":5,\"options\":{\"Color\":\"Red\"}},"
		 "{\"code\":\"%s-B\",\"price\":1000,\"quantity\":5,\"options\":{\"Color\":\"Blue\"}}]}",
		 title, cat, attrs, code, code);
	r = client_req(&seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "item: %ld %s", r->status, r->body);
	j = hresp_json(r);
	pid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	want[0] = pid;

	/* No price list: the least price converted. */
	want[1] = e_lo;
	json_decref(get_until(arena_printf(a, "/api/items/%lld?currency=EUR", pid), card_price_is, want));
	/* The $20 option's own price is dearer than the $10's converted: the
	 * $10's converted (not the first option's own). */
	r = client_req(&seller, "PUT", arena_printf(a, "/api/seller/prices/%s-A?currency=EUR", code),
		       arena_printf(a, "{\"price\":%lld}", e_lo + 300), 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	want[1] = e_lo;
	json_decref(get_until(arena_printf(a, "/api/items/%lld?currency=EUR", pid), card_price_is, want));
	/* The $10 option's own is dearer than the $20's converted: the $20's
	 * converted, though neither is the product's least dollar price. */
	r = client_req(&seller, "PUT", arena_printf(a, "/api/seller/prices/%s-A?currency=EUR", code), "{\"price\":null}", 1);
	hresp_free(r);
	r = client_req(&seller, "PUT", arena_printf(a, "/api/seller/prices/%s-B?currency=EUR", code),
		       arena_printf(a, "{\"price\":%lld}", e_hi + 500), 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);
	want[1] = e_hi;
	json_decref(get_until(arena_printf(a, "/api/items/%lld?currency=EUR", pid), card_price_is, want));
	json_decref(get_until(arena_printf(a, "/api/categories/%s/items?currency=EUR&size=100&minPrice=%lld&maxPrice=%lld",
					   cat, e_lo, e_lo), card_price_is, want));
	json_decref(get_until(arena_printf(a, "/api/items?term=%s&currency=EUR", url_encoded(a, title)),
			      card_price_is, want));
	/* The $20 option's own is the least of all: it. */
	r = client_req(&seller, "PUT", arena_printf(a, "/api/seller/prices/%s-A?currency=EUR", code),
		       arena_printf(a, "{\"price\":%lld}", e_lo - 100), 1);
	hresp_free(r);
	want[1] = e_lo - 100;
	json_decref(get_until(arena_printf(a, "/api/categories/%s/items?currency=EUR&size=100&minPrice=%lld&maxPrice=%lld",
					   cat, e_lo, e_lo), card_price_is, want));
	/* The category page's card says it in euros. */
	r = http("GET", arena_printf(a, "/c/%s?minPrice=%lld.%02lld&maxPrice=%lld.%02lld", cat, e_lo / 100, e_lo % 100,
				     e_lo / 100, e_lo % 100), NULL, (const char *[]){ "Cookie: cur=EUR", "Accept: text/html", NULL });
	HAS(r, money_text(a, e_lo - 100, "EUR"));
	hresp_free(r);
	/* Dollars: as before. */
	r = http_get_json(arena_printf(a, "/api/items/%lld", pid));
	HAS(r, "\"price\":1000,\"currency\":\"USD\"");
	hresp_free(r);
	sql_execf("DELETE sp FROM sku_prices sp JOIN skus s ON s.id = sp.sku_id WHERE s.product_id = %lld", pid);
	arena_destroy(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fx");
	TCase *t = tcase_create("fx");

	harness_init();
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, fx_load_parses_and_refuses);
	tcase_add_test(t, same_cart_usd_eur_jpy);
	tcase_add_test(t, cart_in_currency);
	tcase_add_test(t, chooser_language_and_caches);
	tcase_add_test(t, seller_price_list);
	tcase_add_test(t, invoice_totals);
	tcase_add_test(t, price_filter_in_currency);
	tcase_add_test(t, brief_checkout_in_currency);
	tcase_add_test(t, from_price_partial_price_list);
	tcase_add_test(t, rate_changes_between_quote_and_order);
	tcase_add_test(t, search_cursor_survives_new_rate);
	suite_add_tcase(s, t);
	return run_suite(s);
}
