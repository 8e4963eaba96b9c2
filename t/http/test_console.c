/* The admin console (issue 19) on a real stack: promo codes made by an
 * admin apply in checkout at once, with their limits (maxUses,
 * perCustomer, pause, scope); categories created, renamed, moved and
 * retired (refused while products are left, allowed after they move),
 * the storefront following at once; content pages rendered safely
 * whatever is typed; any order refunded, cancelled and its mails sent
 * again by an admin; every act in the audit log, searchable; and nobody
 * but an admin gets in. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "harness.h"

#define ADMIN_PW "admin password 12345"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "missing %s in %.600s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "unexpected %s in %.600s", (s), (r)->body)

static struct client adm;
static char adm_email[128];
static long long adm_uid;
static char sku_a[64], sku_b[64];
static long long sku_a_id, sku_b_id;

static void admin_once(void)
{
	char env[200], args[200];

	if (adm_uid)
		return;
	snprintf(adm_email, sizeof(adm_email), "%s", fresh_email("cadmin"));
	snprintf(env, sizeof(env), "SHOP_ADMIN_PASSWORD='%s' SHOP_ADMIN_NAME='Con Sole'", ADMIN_PW);
	snprintf(args, sizeof(args), "create-admin %s", adm_email);
	ck_assert_int_eq(shopctl_run(env, NULL, args), 0);
	memset(&adm, 0, sizeof(adm));
	ck_assert_int_eq(client_signin(&adm, adm_email, ADMIN_PW), 0);
	adm_uid = sql_scalarf("SELECT id FROM users WHERE email = '%s'", adm_email);
	sku_a_id = sku_pick("GRO-", 30, sku_a, sizeof(sku_a));
	sku_b_id = sku_pick("MEN-", 30, sku_b, sizeof(sku_b));
}

static struct timespec t0;

static void setup(void)
{
	clear_ip_throttles();
	admin_once();
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static void teardown(void)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("CONSOLE_TIMES"))
		fprintf(stderr, "test took %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* A JSON request as the admin; the caller frees. */
static struct hresp *api(const char *method, const char *path, const char *body)
{
	return client_req(&adm, method, path, body, 1);
}

static json_t *api_json(const char *method, const char *path, const char *body, long want)
{
	struct hresp *r = api(method, path, body);
	json_t *j;

	ck_assert_msg(r->status == want, "%s %s: %ld %s", method, path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	ck_assert_ptr_nonnull(j);
	return j;
}

static long long audit_count(const char *action, const char *target)
{
	return sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = '%s' AND target = '%s' AND actor = 'user:%lld'",
			   action, target, adm_uid);
}

/* A unique promo code for this run. */
static const char *code_for(const char *tag)
{
	static char code[40];

	snprintf(code, sizeof(code), "T%s%d%u", tag, (int)getpid() % 100000, (unsigned)time(NULL) % 100000);
	return code;
}

/* The quote of cl's cart with promo code (422 when refused: *status). */
static long long quote_discount(struct client *cl, const char *code, long *status, char *msg, size_t n)
{
	char body[600];
	struct hresp *r;
	json_t *j;
	long long d = -1;

	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"promoCode\":\"%s\"}", code);
	r = client_req(cl, "POST", "/api/checkout/quote", body, 1);
	*status = r->status;
	j = hresp_json(r);
	if (r->status == 200)
		d = json_integer_value(json_object_get(j, "discount"));
	if (msg)
		snprintf(msg, n, "%s", r->body);
	json_decref(j);
	hresp_free(r);
	return d;
}

/* Places cl's cart with promo code; the status (201 placed). */
static long checkout_with(struct client *cl, const char *code)
{
	static int k;
	char body[700], key[80];
	long long amount;
	long status;
	struct hresp *r;

	char qb[600];
	json_t *j;

	snprintf(qb, sizeof(qb), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"promoCode\":\"%s\"}", code);
	r = client_req(cl, "POST", "/api/checkout/quote", qb, 1);
	if (r->status != 200) {
		status = r->status;
		hresp_free(r);
		return status;
	}
	j = hresp_json(r);
	amount = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\",\"promoCode\":\"%s\"}", amount, code);
	snprintf(key, sizeof(key), "con-%d-%d-%ld", (int)getpid(), ++k, (long)time(NULL));
	r = post_idem(cl, "/api/checkout", body, key, NULL);
	status = r->status;
	ck_assert_msg(status == 201 || status == 422, "checkout: %ld %s", r->status, r->body);
	hresp_free(r);
	return status;
}

/* ---- who gets in ---- */

START_TEST(only_admins)
{
	static const char *const gets[] = { "/api/admin/promos", "/api/admin/categories", "/api/admin/pages/about",
		"/api/admin/orders?q=1", "/api/admin/audit", NULL };
	static const char *const pages[] = { "/admin/promos", "/admin/categories", "/admin/pages", "/admin/orders",
		"/admin/audit", NULL };
	struct client buyer;
	struct hresp *r;

	memset(&buyer, 0, sizeof(buyer));
	ck_assert_int_gt(buyer_new(&buyer, "connot", NULL, 0), 0);
	for (int i = 0; gets[i]; i++) {
		r = client_req(&buyer, "GET", gets[i], NULL, 1);
		ck_assert_msg(r->status == 403, "%s: %ld", gets[i], r->status);
		hresp_free(r);
		r = http_get_json(gets[i]);
		ck_assert_msg(r->status == 401, "%s anonymous: %ld", gets[i], r->status);
		hresp_free(r);
	}
	for (int i = 0; pages[i]; i++) {
		r = client_browse(&buyer, "GET", pages[i], NULL);
		ck_assert_msg(r->status == 403, "%s: %ld", pages[i], r->status);
		hresp_free(r);
	}
	r = client_req(&buyer, "POST", "/api/admin/promos", "{\"code\":\"NOPE-1\",\"kind\":\"fixed\",\"value\":100}", 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&buyer, "PUT", "/api/admin/pages/about", "{\"title\":\"x\",\"body\":\"y\"}", 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	/* and an admin without the CSRF token is refused too */
	r = client_req(&adm, "POST", "/api/admin/promos", "{\"code\":\"NOPE-2\",\"kind\":\"fixed\",\"value\":100}", 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM promo_codes WHERE code IN ('NOPE-1', 'NOPE-2')"), 0);
}
END_TEST

/* ---- promo codes ---- */

START_TEST(promo_applies_at_once_with_limits)
{
	char code[40], body[600], path[100], msg[600];
	struct client b1, b2, b3;
	long long id, d, sub;
	long st;
	json_t *j, *f;

	snprintf(code, sizeof(code), "%s", code_for("P"));
	/* bad fields: 422 naming each */
	j = api_json("POST", "/api/admin/promos", "{\"code\":\"x\",\"kind\":\"half\",\"value\":0,\"maxUses\":0}", 422);
	f = json_object_get(json_object_get(j, "error"), "fields");
	ck_assert_int_ge(json_array_size(f), 2);
	json_decref(j);

	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"kind\":\"percent\",\"value\":10,\"minOrder\":0,"
		 "\"startsAt\":null,\"endsAt\":null,\"maxUses\":3,\"perCustomer\":2,\"description\":\"Test 10%%\"}", code);
	j = api_json("POST", "/api/admin/promos", body, 201);
	id = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(json_string_value(json_object_get(j, "code")), code);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "value")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "perCustomer")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "uses"), "live")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "active");
	json_decref(j);
	snprintf(path, sizeof(path), "promo:%lld", id);
	ck_assert_int_eq(audit_count("promo.create", path), 1);
	/* the same code again: 422 */
	j = api_json("POST", "/api/admin/promos", body, 422);
	json_decref(j);

	/* at once: the very next quote takes it (10% of the subtotal) */
	memset(&b1, 0, sizeof(b1));
	buyer_new(&b1, "conp1", NULL, 0);
	cart_put(&b1, sku_a, 1);
	sub = sql_scalarf("SELECT price FROM skus WHERE id = %lld", sku_a_id);
	d = quote_discount(&b1, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 200, "%s", msg);
	ck_assert_int_eq(d, (sub * 1000 + 5000) / 10000);
	/* perCustomer 2: two orders, not a third */
	ck_assert_int_eq(checkout_with(&b1, code), 201);
	cart_put(&b1, sku_a, 1);
	ck_assert_int_eq(checkout_with(&b1, code), 201);
	cart_put(&b1, sku_a, 1);
	d = quote_discount(&b1, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 422 && strstr(msg, "as many times"), "%ld %s", st, msg);
	/* maxUses 3: one more shopper, then used up */
	memset(&b2, 0, sizeof(b2));
	buyer_new(&b2, "conp2", NULL, 0);
	cart_put(&b2, sku_a, 1);
	ck_assert_int_eq(checkout_with(&b2, code), 201);
	ck_assert_int_eq(sql_scalarf("SELECT used_count FROM promo_codes WHERE id = %lld", id), 3);
	memset(&b3, 0, sizeof(b3));
	buyer_new(&b3, "conp3", NULL, 0);
	cart_put(&b3, sku_a, 1);
	d = quote_discount(&b3, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 422 && strstr(msg, "used up"), "%ld %s", st, msg);
	snprintf(path, sizeof(path), "/api/admin/promos/%lld", id);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "uses"), "live")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "uses"), "customers")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "used up");
	json_decref(j);
	/* maxUses cannot go below the uses so far; raised, it applies at once */
	j = api_json("PATCH", path, "{\"maxUses\":2}", 422);
	json_decref(j);
	j = api_json("PATCH", path, "{\"maxUses\":10,\"value\":20}", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "value")), 20);
	json_decref(j);
	d = quote_discount(&b3, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 200, "%s", msg);
	ck_assert_int_eq(d, (sub * 2000 + 5000) / 10000);
	/* paused: refused at once; resumed: taken again */
	snprintf(path, sizeof(path), "/api/admin/promos/%lld/pause", id);
	j = api_json("POST", path, NULL, 200);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "paused");
	json_decref(j);
	d = quote_discount(&b3, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 422 && strstr(msg, "no longer available"), "%ld %s", st, msg);
	ck_assert_int_eq(checkout_with(&b3, code), 422);
	snprintf(path, sizeof(path), "/api/admin/promos/%lld/resume", id);
	json_decref(api_json("POST", path, NULL, 200));
	d = quote_discount(&b3, code, &st, msg, sizeof(msg));
	ck_assert_int_eq(st, 200);
	snprintf(path, sizeof(path), "promo:%lld", id);
	ck_assert_int_eq(audit_count("promo.update", path), 1);
	ck_assert_int_eq(audit_count("promo.pause", path), 1);
	ck_assert_int_eq(audit_count("promo.resume", path), 1);
	/* the promo is in the list, and its pages render */
	j = api_json("GET", "/api/admin/promos", NULL, 200);
	ck_assert_int_ge(json_array_size(json_object_get(j, "promos")), 1);
	json_decref(j);
	{
		struct hresp *r = client_browse(&adm, "GET", "/admin/promos", NULL);

		ck_assert_int_eq(r->status, 200);
		HAS(r, code);
		tidy_ok(r, "/admin/promos");
		hresp_free(r);
		snprintf(path, sizeof(path), "/admin/promos/%lld", id);
		r = client_browse(&adm, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "Used by 3 orders");
		tidy_ok(r, "/admin/promos/{id}");
		hresp_free(r);
	}
	stock_invariants("after the promo orders");
}
END_TEST

/* A form post of a new promo through the page, and a scoped promo: only
 * the lines in its category get the discount. */
START_TEST(promo_form_and_scope)
{
	char code[40], form[900], msg[600];
	long long cat = sql_scalarf("SELECT category_id FROM products WHERE id = (SELECT product_id FROM skus WHERE id = %lld)",
				    sku_a_id);
	long long pa = sql_scalarf("SELECT price FROM skus WHERE id = %lld", sku_a_id);
	long long id, d;
	struct client b;
	struct hresp *r;
	long st;

	snprintf(code, sizeof(code), "%s", code_for("S"));
	client_session(&adm);
	/* a refused form keeps what was typed and says why */
	snprintf(form, sizeof(form), "csrf=%s&code=%s&kind=percent&value=abc&minOrder=&startsAt=&endsAt=&maxUses="
		 "&perCustomer=&description=&categories=%lld&sellers=", adm.csrf, code, cat);
	r = client_browse(&adm, "POST", "/admin/promos", form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "A percentage such as 10");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&code=%s&kind=percent&value=50&minOrder=&startsAt=&endsAt=&maxUses="
		 "&perCustomer=&description=Half+off+one+category&categories=%lld&sellers=", adm.csrf, code, cat);
	r = client_browse(&adm, "POST", "/admin/promos", form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	hresp_free(r);
	id = sql_scalarf("SELECT id FROM promo_codes WHERE code = '%s'", code);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM promo_categories WHERE promo_id = %lld AND category_id = %lld",
				     id, cat), 1);
	memset(&b, 0, sizeof(b));
	buyer_new(&b, "cons", NULL, 0);
	/* only an item outside the scope: refused */
	cart_put(&b, sku_b, 1);
	d = quote_discount(&b, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 422 && strstr(msg, "does not apply"), "%ld %s", st, msg);
	/* both: half of the item in scope, nothing off the other */
	cart_put(&b, sku_a, 1);
	d = quote_discount(&b, code, &st, msg, sizeof(msg));
	ck_assert_msg(st == 200, "%s", msg);
	ck_assert_int_eq(d, (pa * 5000 + 5000) / 10000);
}
END_TEST

/* The scope is picked from names (a <select multiple>: one value per
 * option chosen), and the list filters by code and state, pages by id, and
 * says how often each code was used. */
START_TEST(promo_pickers_filters_and_pages)
{
	char prefix[40], code[3][48], form[900], path[300], name[200];
	long long cat1 = sql_scalarf("SELECT category_id FROM products WHERE id = (SELECT product_id FROM skus WHERE id = %lld)",
				     sku_a_id);
	long long cat2 = sql_scalarf("SELECT category_id FROM products WHERE id = (SELECT product_id FROM skus WHERE id = %lld)",
				     sku_b_id);
	long long sid = sql_scalarf("SELECT p.seller_id FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = %lld",
				    sku_a_id), id, idb = 0;
	struct hresp *r;
	json_t *j, *list;
	const char *next;

	snprintf(prefix, sizeof(prefix), "%s", code_for("F"));
	for (int i = 0; i < 3; i++)
		snprintf(code[i], sizeof(code[i]), "%s-%c", prefix, 'A' + i);
	client_session(&adm);
	/* the new-promo form offers the categories and sellers by name */
	r = client_browse(&adm, "GET", "/admin/promos", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "<option value=\"%lld\">", cat1);
	HAS(r, path);
	{
		char name_q[120];

		snprintf(name_q, sizeof(name_q), "SELECT name FROM categories WHERE id = %lld", cat1);
		name[0] = 0;
		sql_text(name_q, name, sizeof(name));
	}
	if (!strpbrk(name, "&<>\"'"))
		HAS(r, name);
	hresp_free(r);
	/* two categories and a seller picked: one value per option */
	snprintf(form, sizeof(form), "csrf=%s&code=%s&kind=percent&value=5&minOrder=&startsAt=&endsAt=&maxUses="
		 "&perCustomer=&description=Picked&categories=%lld&categories=%lld&sellers=%lld", adm.csrf, code[0], cat1,
		 cat2, sid);
	r = client_browse(&adm, "POST", "/admin/promos", form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	hresp_free(r);
	id = sql_scalarf("SELECT id FROM promo_codes WHERE code = '%s'", code[0]);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM promo_categories WHERE promo_id = %lld AND category_id IN "
				     "(%lld, %lld)", id, cat1, cat2), cat1 == cat2 ? 1 : 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM promo_sellers WHERE promo_id = %lld AND seller_id = %lld",
				     id, sid), 1);
	/* its page shows them chosen */
	snprintf(path, sizeof(path), "/admin/promos/%lld", id);
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "<option value=\"%lld\" selected>", cat1);
	HAS(r, path);
	snprintf(path, sizeof(path), "<option value=\"%lld\" selected>", sid);
	HAS(r, path);
	tidy_ok(r, "/admin/promos/{id} with pickers");
	hresp_free(r);
	/* an edit that picks nothing: everything again */
	snprintf(form, sizeof(form), "csrf=%s&code=%s&kind=percent&value=5&minOrder=&startsAt=&endsAt=&maxUses="
		 "&perCustomer=&description=Picked", adm.csrf, code[0]);
	snprintf(path, sizeof(path), "/admin/promos/%lld", id);
	r = client_browse(&adm, "POST", path, form);
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM promo_categories WHERE promo_id = %lld", id), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM promo_sellers WHERE promo_id = %lld", id), 0);

	/* two more, the middle one paused */
	for (int i = 1; i < 3; i++) {
		char body[300];

		snprintf(body, sizeof(body), "{\"code\":\"%s\",\"kind\":\"fixed\",\"value\":100}", code[i]);
		j = api_json("POST", "/api/admin/promos", body, 201);
		if (i == 1)
			idb = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
	}
	snprintf(path, sizeof(path), "/api/admin/promos/%lld/pause", idb);
	json_decref(api_json("POST", path, "{}", 200));

	/* filters: by the start of the code (any case), by state */
	snprintf(path, sizeof(path), "/api/admin/promos?code=%s", prefix);
	for (char *q = path; *q; q++)
		if (*q >= 'A' && *q <= 'Z' && q > strchr(path, '='))
			*q = (char)(*q - 'A' + 'a');
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "promos")), 3);
	ck_assert(json_is_null(json_object_get(j, "next")));
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/promos?code=%s&state=paused", prefix);
	j = api_json("GET", path, NULL, 200);
	list = json_object_get(j, "promos");
	ck_assert_int_eq(json_array_size(list), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "code")), code[1]);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "status")), "paused");
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/promos?code=%s&state=active", prefix);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "promos")), 2);
	json_decref(j);
	/* pages, newest first, with usage counts */
	snprintf(path, sizeof(path), "/api/admin/promos?code=%s&limit=2", prefix);
	j = api_json("GET", path, NULL, 200);
	list = json_object_get(j, "promos");
	ck_assert_int_eq(json_array_size(list), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "code")), code[2]);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "code")), code[1]);
	ck_assert(json_is_integer(json_object_get(json_object_get(json_array_get(list, 0), "uses"), "live")));
	next = json_string_value(json_object_get(j, "next"));
	ck_assert_ptr_nonnull(next);
	snprintf(path, sizeof(path), "%s", next);
	json_decref(j);
	j = api_json("GET", path, NULL, 200);
	list = json_object_get(j, "promos");
	ck_assert_int_eq(json_array_size(list), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "code")), code[0]);
	ck_assert(json_is_null(json_object_get(j, "next")));
	json_decref(j);
	/* a state that is none: 422 naming it */
	j = api_json("GET", "/api/admin/promos?state=sideways", NULL, 422);
	{
		char *e = json_dumps(json_object_get(j, "error"), 0);

		ck_assert_ptr_nonnull(e && strstr(e, "state") ? e : NULL);
		free(e);
	}
	json_decref(j);
	/* the page: the same filters, a link to the next page */
	snprintf(path, sizeof(path), "/admin/promos?code=%s&state=paused", prefix);
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, code[1]);
	LACKS(r, code[0]);
	HAS(r, "<option value=\"paused\" selected>");
	tidy_ok(r, "/admin/promos filtered");
	hresp_free(r);
	snprintf(path, sizeof(path), "/admin/promos?code=%s&limit=1", prefix);
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, code[2]);
	LACKS(r, code[1]);
	HAS(r, "rel=\"next\"");
	HAS(r, "(0 customers)");
	hresp_free(r);
}
END_TEST

/* ---- categories ---- */

/* A category's slug (static buffer). */
static const char *sql_slug(long long id)
{
	static char slug[80];
	char q[120];
	struct hresp *r;
	json_t *j;

	snprintf(q, sizeof(q), "/api/admin/categories/%lld", id);
	r = api("GET", q, NULL);
	j = hresp_json(r);
	snprintf(slug, sizeof(slug), "%s", json_string_value(json_object_get(j, "slug")));
	json_decref(j);
	hresp_free(r);
	return slug;
}

/* Waits (up to 3 s) until /api/categories does (want 1) or does not (0)
 * mention s. The query string makes each look its own URL: what shopd
 * answers, not nginx's one-second microcache of anonymous pages. */
static void storefront_shows(const char *s, int want)
{
	static int k;

	for (int i = 0; i < 60; i++) {
		char path[64];
		struct hresp *r;

		snprintf(path, sizeof(path), "/api/categories?look=%d", ++k);
		r = http_get_json(path);
		int has = r->status == 200 && strstr(r->body, s) != NULL;

		hresp_free(r);
		if (has == want)
			return;
		usleep(50000);
	}
	ck_abort_msg("the storefront %s %s", want ? "does not show" : "still shows", s);
}

START_TEST(categories_follow_at_once)
{
	char body[300], path[120], name[64], renamed[64], target[64];
	long long top, child, pid = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_b_id);
	long long home = sql_scalarf("SELECT category_id FROM products WHERE id = %lld", pid);
	long long ev0 = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox");
	struct hresp *r;
	json_t *j;

	snprintf(name, sizeof(name), "Console Cat %d", (int)getpid());
	snprintf(renamed, sizeof(renamed), "Renamed Cat %d", (int)getpid());
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	j = api_json("POST", "/api/admin/categories", body, 201);
	top = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	storefront_shows(name, 1);
	snprintf(body, sizeof(body), "{\"name\":\"%s child\",\"parentId\":%lld}", name, top);
	j = api_json("POST", "/api/admin/categories", body, 201);
	child = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "parentId")), top);
	json_decref(j);
	/* three levels are refused: 422 naming parentId */
	snprintf(body, sizeof(body), "{\"name\":\"Too deep\",\"parentId\":%lld}", child);
	j = api_json("POST", "/api/admin/categories", body, 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "error"),
		"fields"), 0), "field")), "parentId");
	json_decref(j);
	/* rename: the storefront shows the new name at once */
	snprintf(path, sizeof(path), "/api/admin/categories/%lld", top);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"position\":0}", renamed);
	json_decref(api_json("PATCH", path, body, 200));
	storefront_shows(renamed, 1);
	{
		char quoted[80];

		snprintf(quoted, sizeof(quoted), "\"%s\"", name);
		storefront_shows(quoted, 0);
	}
	ck_assert_int_gt(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE id > %lld AND topic = 'CategoryChanged' "
				     "AND aggregate_id = %lld", ev0, top), 0);
	/* a product in the child: retiring it is refused, the product stays */
	sql_execf("UPDATE products SET category_id = %lld WHERE id = %lld", child, pid);
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/retire", child);
	r = api("POST", path, "{}");
	ck_assert_msg(r->status == 422 || r->status == 409, "%ld %s", r->status, r->body);
	HAS(r, "still has 1 products");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT category_id FROM products WHERE id = %lld", pid), child);
	/* the parent with a live child cannot be retired either */
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/retire", top);
	r = api("POST", path, "{}");
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	/* with the products moved first (home again): retired; the product
	 * is announced for the search index */
	ev0 = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox");
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/retire", child);
	snprintf(body, sizeof(body), "{\"moveTo\":%lld}", home);
	j = api_json("POST", path, body, 200);
	ck_assert(json_is_true(json_object_get(j, "retired")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "productsMoved")), 1);
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT category_id FROM products WHERE id = %lld", pid), home);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE id > %lld AND topic = 'ProductUpdated' "
				     "AND aggregate_id = %lld", ev0, pid), 1);
	/* a seller can no longer list an item in the retired one */
	{
		struct client seller;
		char item[300];

		memset(&seller, 0, sizeof(seller));
		ck_assert_int_gt(seller_new(&seller, "conretired", NULL), 0);
		snprintf(item, sizeof(item), "{\"name\":\"Good name\",\"price\":100,\"category\":\"%s\"}",
			 (char *)sql_slug(child));
		r = client_req(&seller, "POST", "/api/items", item, 1);
		ck_assert_msg(r->status == 400 && strstr(r->body, "category"), "%ld %s", r->status, r->body);
		hresp_free(r);
	}
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/retire", top);
	json_decref(api_json("POST", path, "{}", 200));
	storefront_shows(renamed, 0);
	snprintf(target, sizeof(target), "category:%lld", top);
	ck_assert_int_eq(audit_count("category.create", target), 1);
	ck_assert_int_eq(audit_count("category.update", target), 1);
	ck_assert_int_eq(audit_count("category.retire", target), 1);
	snprintf(target, sizeof(target), "category:%lld", child);
	ck_assert_int_eq(audit_count("category.retire", target), 1);
	/* the page renders, with the retired ones marked */
	r = client_browse(&adm, "GET", "/admin/categories", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, renamed);
	tidy_ok(r, "/admin/categories");
	hresp_free(r);
}
END_TEST

/* A category's attributes: listed, renamed in its products (and back). */
START_TEST(category_attributes)
{
	char body[300], path[160], name[64], target[64];
	long long cat, pid = sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", sku_b_id);
	long long home = sql_scalarf("SELECT category_id FROM products WHERE id = %lld", pid);
	char *value;
	long long ev0;
	struct hresp *r;
	json_t *j, *a;

	ck_assert_int_eq(sql_scalarf("SELECT JSON_CONTAINS_PATH(attributes, 'one', '$.Warranty') FROM products "
				     "WHERE id = %lld", pid), 1);
	snprintf(name, sizeof(name), "Attr Cat %d", (int)getpid());
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	j = api_json("POST", "/api/admin/categories", body, 201);
	cat = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	sql_execf("UPDATE products SET category_id = %lld WHERE id = %lld", cat, pid);
	/* a new category has no fields; add some (the seller's form offers them) */
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/attributes", cat);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "attributes")), 0);
	json_decref(j);
	j = api_json("POST", path, "{\"name\":\"Warranty\"}", 201);
	a = json_object_get(j, "attributes");
	ck_assert_int_eq(json_array_size(a), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(a, 0), "products")), 1);
	json_decref(j);
	j = api_json("POST", path, "{\"name\":\"Size\",\"kind\":\"choice\",\"choices\":[\"S\",\"M\"],\"required\":true}", 201);
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT required FROM category_attributes WHERE category_slug = "
				     "(SELECT slug FROM categories WHERE id = %lld) AND name = 'Size'", cat), 1);
	j = api_json("POST", path, "{\"name\":\"Warranty\"}", 409);
	json_decref(j);
	j = api_json("POST", path, "{\"name\":\"Odd\",\"kind\":\"choice\"}", 422);
	json_decref(j);
	j = api_json("POST", path, "{\"name\":\"bad \\\"quote\"}", 422);
	json_decref(j);
	/* rename: the product's key follows, its value kept, the product announced */
	value = NULL;
	{
		char v[200];
		struct hresp *q = http_get_json("/api/categories");

		hresp_free(q);
		snprintf(v, sizeof(v), "%lld", sql_scalarf("SELECT CRC32(JSON_VALUE(attributes, '$.Warranty')) FROM products "
							   "WHERE id = %lld", pid));
		value = strdup(v);
	}
	ev0 = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox");
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/attributes/rename", cat);
	j = api_json("POST", path, "{\"from\":\"Warranty\",\"to\":\"Guarantee\"}", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "productsRenamed")), 1);
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT JSON_CONTAINS_PATH(attributes, 'one', '$.Warranty') FROM products "
				     "WHERE id = %lld", pid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT CRC32(JSON_VALUE(attributes, '$.Guarantee')) FROM products WHERE id = %lld",
				     pid), atoll(value));
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE id > %lld AND topic = 'ProductUpdated' "
				     "AND aggregate_id = %lld", ev0, pid), 1);
	snprintf(target, sizeof(target), "category:%lld", cat);
	ck_assert_int_eq(audit_count("category.attribute_rename", target), 1);
	/* the page lists it */
	snprintf(path, sizeof(path), "/admin/categories/%lld", cat);
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Guarantee");
	tidy_ok(r, "/admin/categories/{id}");
	hresp_free(r);
	/* back as it was, through the page's form */
	client_session(&adm);
	snprintf(path, sizeof(path), "/admin/categories/%lld/attributes/rename", cat);
	snprintf(body, sizeof(body), "csrf=%s&from=Guarantee&to=Warranty", adm.csrf);
	r = client_browse(&adm, "POST", path, body);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT CRC32(JSON_VALUE(attributes, '$.Warranty')) FROM products WHERE id = %lld",
				     pid), atoll(value));
	free(value);
	snprintf(path, sizeof(path), "/api/admin/categories/%lld/retire", cat);
	snprintf(body, sizeof(body), "{\"moveTo\":%lld}", home);
	json_decref(api_json("POST", path, body, 200));
}
END_TEST

/* ---- content pages ---- */

START_TEST(content_pages_render_safely)
{
	const char *hostile = "{\"title\":\"About <b>us</b>\",\"body\":\"Hello **world** <script>alert(1)</script>\\n\\n"
			      "* [safe](/shipping)\\n* [bad](javascript:alert(1))\\n\\n<img src=x onerror=alert(2)>\"}";
	char *saved_title, *saved_body;
	struct hresp *r;
	json_t *j, *restore;

	j = api_json("GET", "/api/admin/pages/about", NULL, 200);
	saved_title = strdup(json_string_value(json_object_get(j, "title")));
	saved_body = strdup(json_string_value(json_object_get(j, "body")));
	json_decref(j);
	j = api_json("PUT", "/api/admin/pages/about", hostile, 200);
	{
		char who[40];

		snprintf(who, sizeof(who), "user:%lld", adm_uid);
		ck_assert_str_eq(json_string_value(json_object_get(j, "updatedBy")), who);
	}
	json_decref(j);
	/* the public page: every tag typed is text; the markup's are tags */
	for (int i = 0; i < 40; i++) {
		r = http_get("/about");
		if (strstr(r->body, "Hello"))
			break;
		hresp_free(r);
		r = NULL;
		usleep(50000);
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<h1>About &lt;b&gt;us&lt;/b&gt;</h1>");
	HAS(r, "<strong>world</strong> &lt;script&gt;alert(1)&lt;/script&gt;");
	HAS(r, "<a href=\"/shipping\">safe</a>");
	HAS(r, "[bad](javascript:alert(1))");
	HAS(r, "&lt;img src=x onerror=alert(2)&gt;");
	LACKS(r, "<script>alert");
	LACKS(r, "href=\"javascript");
	tidy_ok(r, "/about");
	hresp_free(r);
	ck_assert_int_eq(audit_count("content.update", "page:about"), 1);
	/* bad input: 422 naming the field; unknown page: 404 */
	j = api_json("PUT", "/api/admin/pages/about", "{\"title\":\"\",\"body\":\"x\"}", 422);
	json_decref(j);
	j = api_json("PUT", "/api/admin/pages/terms", "{\"title\":\"T\",\"body\":\"x\"}", 404);
	json_decref(j);
	/* the editor renders with its preview */
	r = client_browse(&adm, "GET", "/admin/pages/about", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "&lt;script&gt;");
	tidy_ok(r, "/admin/pages/about");
	hresp_free(r);
	/* the footer pages come from the table too */
	r = http_get("/shipping");
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<h2>Within the United States</h2>");
	hresp_free(r);
	restore = json_pack("{s:s, s:s}", "title", saved_title, "body", saved_body);
	{
		char *s = json_dumps(restore, JSON_COMPACT);

		json_decref(api_json("PUT", "/api/admin/pages/about", s, 200));
		free(s);
	}
	json_decref(restore);
	free(saved_title);
	free(saved_body);
}
END_TEST

/* ---- any order ---- */

START_TEST(admin_refund_cancel_resend_audited)
{
	struct client buyer;
	char email[128], path[300], target[64], form[300];
	long long oid, oid2, amount;
	struct hresp *r;
	json_t *j;
	int mails;

	memset(&buyer, 0, sizeof(buyer));
	buyer_new(&buyer, "conord", email, sizeof(email));
	cart_put(&buyer, sku_a, 2);
	ck_assert_int_eq(checkout_with(&buyer, ""), 201);
	oid = sql_scalarf("SELECT MAX(id) FROM orders WHERE user_id = (SELECT id FROM users WHERE email = '%s')", email);
	amount = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid);
	/* found by id and by email */
	snprintf(path, sizeof(path), "/api/admin/orders?q=%lld", oid);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "orders")), 1);
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/orders?q=%s", email);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "orders"), 0), "id")), oid);
	json_decref(j);
	/* resend the confirmation: one more mail to the shopper */
	{
		char needle[64], *m;

		snprintf(needle, sizeof(needle), "Your order %lld is confirmed", oid);
		m = maildir_wait(email, needle, 10);
		ck_assert_ptr_nonnull(m);
		free(m);
		mails = maildir_count(email, needle, NULL);
		ck_assert_int_eq(mails, 1);
	}
	snprintf(path, sizeof(path), "/api/admin/orders/%lld/resend", oid);
	json_decref(api_json("POST", path, "{\"mail\":\"confirmation\"}", 200));
	{
		char needle[64];

		snprintf(needle, sizeof(needle), "Your order %lld is confirmed", oid);
		for (int i = 0; i < 100 && maildir_count(email, needle, NULL) <= mails; i++)
			usleep(100000);
		ck_assert_int_eq(maildir_count(email, needle, NULL), mails + 1);
		ck_assert_int_eq(maildir_count(email, "(sent again)", NULL), 1);
	}
	j = api_json("POST", path, "{\"mail\":\"shipment\"}", 409);
	json_decref(j);
	snprintf(target, sizeof(target), "order:%lld", oid);
	ck_assert_int_eq(audit_count("order.resend_mail", target), 1);
	/* a refund of one unit of line 1 (not shipped: cancelled, nothing
	 * charged for it): audited with the order before and after */
	snprintf(path, sizeof(path), "/api/admin/orders/%lld/refund", oid);
	j = api_json("POST", path, "{\"lines\":[{\"line\":9}],\"reason\":\"wrong line\"}", 422);
	json_decref(j);
	j = api_json("POST", path, "{\"lines\":[{\"line\":1}],\"reason\":\"shopper asked\"}", 200);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "lines"), 0), "state")),
			 "cancelled");
	json_decref(j);
	ck_assert_int_eq(audit_count("order.refund", target), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE target = '%s' AND action = 'order.refund' "
				     "AND before_json LIKE '%%\"open\"%%' AND after_json LIKE '%%shopper asked%%'", target), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM order_events WHERE order_id = %lld AND actor = 'admin:%lld'",
				     oid, adm_uid) > 0, 1);
	/* nothing left: refused, nothing changes */
	j = api_json("POST", path, "{}", 409);
	json_decref(j);
	(void)amount;

	/* a shipped order: the refund goes to the gateway, exactly the line's amount */
	{
		struct client seller, b2;
		long long sid, line_amt;

		memset(&seller, 0, sizeof(seller));
		memset(&b2, 0, sizeof(b2));
		sid = seller_new(&seller, "conseller", NULL);
		sql_execf("UPDATE products SET seller_id = %lld WHERE id = (SELECT product_id FROM skus WHERE id = %lld)",
			  sid, sku_b_id);
		oid2 = buyer_shipped(&b2, &seller, sku_b, "conship", NULL, 0);
		/* its only line: the whole order comes back, shipping too
		 * (fulfillment's rule), exactly what was captured */
		line_amt = sql_scalarf("SELECT total FROM orders WHERE id = %lld", oid2);
		/* cancel is refused once something shipped */
		snprintf(path, sizeof(path), "/api/admin/orders/%lld/cancel", oid2);
		r = api("POST", path, "{\"reason\":\"too late\"}");
		ck_assert_int_eq(r->status, 409);
		HAS(r, "refund them instead");
		hresp_free(r);
		/* through the page's form */
		client_session(&adm);
		snprintf(path, sizeof(path), "/admin/orders/%lld/refund", oid2);
		snprintf(form, sizeof(form), "csrf=%s&q1=1&reason=damaged", adm.csrf);
		r = client_browse(&adm, "POST", path, form);
		ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE order_id = %lld AND "
					     "status = 'succeeded'", oid2), line_amt);
		snprintf(target, sizeof(target), "order:%lld", oid2);
		ck_assert_int_eq(audit_count("order.refund", target), 1);
		snprintf(path, sizeof(path), "/admin/orders/%lld", oid2);
		r = client_browse(&adm, "GET", path, NULL);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "succeeded");
		tidy_ok(r, "/admin/orders/{id}");
		hresp_free(r);
	}
	/* an unpaid order is cancelled (released) */
	{
		struct client b3;
		char body[600], key[80];
		long long oid3;

		memset(&b3, 0, sizeof(b3));
		buyer_new(&b3, "conpend", email, sizeof(email));
		cart_put(&b3, sku_a, 1);
		amount = checkout_amount(&b3);
		snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
			 "\"paymentMethod\":\"pm_card_visa\"}", amount);
		snprintf(key, sizeof(key), "conpend-%d-%ld", (int)getpid(), (long)time(NULL));
		r = post_idem(&b3, "/api/checkout", body, key, NULL);
		ck_assert_int_eq(r->status, 201);
		hresp_free(r);
		oid3 = sql_scalarf("SELECT MAX(id) FROM orders WHERE user_id = (SELECT id FROM users WHERE email = '%s')", email);
		/* paid already (the sandbox confirms at once): cancelling it cancels its open lines */
		snprintf(path, sizeof(path), "/api/admin/orders/%lld/cancel", oid3);
		j = api_json("POST", path, "{\"reason\":\"fraud check\"}", 200);
		ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "cancelled");
		json_decref(j);
		snprintf(target, sizeof(target), "order:%lld", oid3);
		ck_assert_int_ge(audit_count("order.refund", target) + audit_count("order.cancel", target), 1);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM refunds WHERE order_id = %lld", oid3), 0);
	}
	snprintf(path, sizeof(path), "/admin/orders?q=%lld", oid);
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "href=\"/admin/orders/%lld\"", oid);
	HAS(r, path);
	tidy_ok(r, "/admin/orders");
	hresp_free(r);
	stock_invariants("after the admin's refunds");
}
END_TEST

/* ---- the audit log ---- */

START_TEST(audit_log_searchable)
{
	char path[400], code[40], body[300];
	long long id;
	struct hresp *r;
	json_t *j, *e;

	snprintf(code, sizeof(code), "%s", code_for("A"));
	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"kind\":\"fixed\",\"value\":150}", code);
	j = api_json("POST", "/api/admin/promos", body, 201);
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	/* by target, by actor (email), by action prefix, by dates */
	snprintf(path, sizeof(path), "/api/admin/audit?target=promo:%lld", id);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "entries")), 1);
	e = json_array_get(json_object_get(j, "entries"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "action")), "promo.create");
	ck_assert_str_eq(json_string_value(json_object_get(e, "actorEmail")), adm_email);
	ck_assert(json_is_null(json_object_get(e, "before")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "after"), "code")), code);
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/audit?actor=%s&action=promo.&limit=1", adm_email);
	j = api_json("GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "entries")), 1);
	ck_assert(json_is_integer(json_object_get(j, "next")) || json_is_null(json_object_get(j, "next")));
	json_decref(j);
	j = api_json("GET", "/api/admin/audit?from=2000-01-01&to=2000-01-02", NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "entries")), 0);
	json_decref(j);
	j = api_json("GET", "/api/admin/audit?from=yesterday", NULL, 422);
	json_decref(j);
	/* the page: a search, paged */
	snprintf(path, sizeof(path), "/admin/audit?action=promo.&limit=1");
	r = client_browse(&adm, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "promo.");
	HAS(r, "Older entries");
	tidy_ok(r, "/admin/audit");
	hresp_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *t = tcase_create("console");

	harness_init();
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, only_admins);
	tcase_add_test(t, promo_applies_at_once_with_limits);
	tcase_add_test(t, promo_form_and_scope);
	tcase_add_test(t, promo_pickers_filters_and_pages);
	tcase_add_test(t, categories_follow_at_once);
	tcase_add_test(t, category_attributes);
	tcase_add_test(t, content_pages_render_safely);
	tcase_add_test(t, admin_refund_cancel_resend_audited);
	tcase_add_test(t, audit_log_searchable);
	suite_add_tcase(s, t);
	return run_suite(s);
}
