/* t/http: the seller's items (issue 7): create and edit through the forms
 * and the API, every validation rule with nothing written, variants added
 * and removed, nothing half-saved, PATCH, keyset pagination of the list,
 * seller isolation, the suspended seller's items, and the storefront and
 * search showing a change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.400s", (s), (r)->body)
/* Absent from an answer that came and is no server error (a 500 page lacks
 * everything). */
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				"status %ld, body must not have %s: %.600s", (r)->status, (s), (r)->body)

/* Runs bin/shopctl (or $SHOP_BIN/shopctl) against the test stack. */
struct seller {
	struct client cl;
	char email[128];
	long long uid, sid;
};

/* A new account made a seller with `shopctl grant`, signed in afresh. */
static void make_seller(struct seller *s, const char *tag)
{
	char args[256], q[512];

	memset(s, 0, sizeof(*s));
	snprintf(s->email, sizeof(s->email), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(&s->cl, "Sam Seller", s->email, PW), 0);
	snprintf(args, sizeof(args), "grant %s seller", s->email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	memset(&s->cl, 0, sizeof(s->cl));
	ck_assert_int_eq(client_signin(&s->cl, s->email, PW), 0);
	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", s->email);
	s->uid = sql_scalar(q);
	snprintf(q, sizeof(q), "SELECT id FROM sellers WHERE user_id = %lld", s->uid);
	s->sid = sql_scalar(q);
	ck_assert_int_gt(s->sid, 0);
}

static long long count_products(const struct seller *s)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM products WHERE seller_id = %lld", s->sid);
	return sql_scalar(q);
}

static long long rows_for(const char *fmt, long long id)
{
	char q[1024];

	snprintf(q, sizeof(q), fmt, id);
	return sql_scalar(q);
}

/* A form post with the session's token. */
static struct hresp *post_form(struct client *cl, const char *path, const char *fields)
{
	char form[8192];

	snprintf(form, sizeof(form), "csrf=%s&%s", cl->csrf, fields);
	return client_browse(cl, "POST", path, form);
}

/* Anonymous GETs past nginx's microcache: a cookie shopd does not know. */
static struct hresp *fresh_get(const char *path, int json)
{
	const char *h[] = { json ? "Accept: application/json" : "Accept: text/html",
			    "Cookie: sid=items-test-no-cache", NULL };

	return http("GET", path, NULL, h);
}

/* Polls until GET path answers `status` with (or, want == 0, without) text
 * in its body; 1 when it does within `seconds`. */
static int wait_body(const char *path, long status, const char *text, int want, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		struct hresp *r = fresh_get(path, strncmp(path, "/api/", 5) == 0);
		int ok = r->status == status && (!text || (strstr(r->body, text) != NULL) == want);

		hresp_free(r);
		if (ok)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

/* POST /api/items; returns the answer's JSON (new reference), asserting the
 * status. */
static json_t *api(struct seller *s, const char *method, const char *path, const char *body, long status)
{
	struct hresp *r = client_req(&s->cl, method, path, body, 1);
	json_t *j = hresp_json(r);

	ck_assert_msg(r->status == status, "%s %s: %ld, wanted %ld: %.500s", method, path, r->status, status, r->body);
	ck_assert_ptr_nonnull(j);
	hresp_free(r);
	return j;
}

static long long jint(json_t *j, const char *k)
{
	return (long long)json_integer_value(json_object_get(j, k));
}

static const char *jstr(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

/* ---- tests ---- */

START_TEST(api_create_shows_in_shop_and_search)
{
	struct seller s;
	char body[1024], word[64], path[512], q[512];
	struct hresp *r;
	json_t *j, *sku;
	long long id;

	make_seller(&s, "apiseller");
	snprintf(word, sizeof(word), "quokkalamp%d", (int)getpid());
	snprintf(body, sizeof(body), "{\"name\":\"Brass %s\",\"description\":\"A warm lamp for the desk.\","
		 "\"price\":1999,\"quantity\":7,\"brand\":\"Lumen\",\"category\":\"home-decoration\","
		 "\"attributes\":{\"Warranty\":\"2 years\"}}", word);
	r = client_req(&s.cl, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(hresp_header(r, "Location"));
	j = hresp_json(r);
	hresp_free(r);
	id = jint(j, "id");
	ck_assert_int_gt(id, 0);
	snprintf(path, sizeof(path), "/api/seller/items/%lld", id);
	ck_assert_int_eq(jint(j, "price"), 1999);
	ck_assert_str_eq(jstr(j, "currency"), "USD");
	ck_assert_str_eq(jstr(j, "status"), "active");
	ck_assert_str_eq(jstr(j, "category"), "home-decoration");
	ck_assert_str_eq(jstr(j, "brand"), "Lumen");
	ck_assert_str_eq(jstr(json_object_get(j, "attributes"), "Warranty"), "2 years");
	ck_assert(json_is_array(json_object_get(j, "images")));
	ck_assert(json_is_string(json_object_get(j, "createdAt")));
	ck_assert(json_is_string(json_object_get(j, "updatedAt")));
	sku = json_array_get(json_object_get(j, "skus"), 0);
	ck_assert_ptr_nonnull(sku);
	ck_assert_int_eq(jint(sku, "stock"), 7);
	ck_assert_int_eq(jint(sku, "price"), 1999);
	snprintf(q, sizeof(q), "P%lld", id);
	ck_assert_str_eq(jstr(sku, "code"), q);

	/* Rows: inventory in every warehouse, the movement, the read model,
	 * the events. */
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM inventory i JOIN skus s ON s.id = i.sku_id "
				  "WHERE s.product_id = %lld", id), sql_scalar("SELECT COUNT(*) FROM warehouses"));
	ck_assert_int_eq(rows_for("SELECT i.available FROM inventory i JOIN skus s ON s.id = i.sku_id "
				  "WHERE s.product_id = %lld AND i.warehouse_id = 1", id), 7);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM stock_movements m JOIN skus s ON s.id = m.sku_id "
		 "WHERE s.product_id = %lld AND m.delta = 7 AND m.available_after = 7 AND m.warehouse_id = 1 "
		 "AND m.reason = 'initial stock' AND m.actor = 'user:%lld' AND m.seller_id = %lld", id, s.uid, s.sid);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(rows_for("SELECT stock_total FROM products WHERE id = %lld", id), 7);
	ck_assert_int_eq(rows_for("SELECT JSON_LENGTH(sku_digest) FROM products WHERE id = %lld", id), 1);
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM outbox WHERE aggregate_id = %lld AND topic = 'ProductUpdated'", id), 1);
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM outbox WHERE aggregate_id = %lld AND topic = 'StockChanged'", id), 1);

	/* The storefront: product page at once, category page and search
	 * as soon as the outbox is followed. */
	r = fresh_get(jstr(j, "url"), 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, word);
	HAS(r, "2 years");
	hresp_free(r);
	ck_assert_msg(wait_body("/c/home-decoration?sort=newest", 200, word, 1, 10), "not on the category page");
	snprintf(q, sizeof(q), "/api/items?term=%s", word);
	ck_assert_msg(wait_body(q, 200, jstr(j, "url") + 3, 1, 15), "not found by search");

	/* GET of the seller's own item; the public API still answers. */
	json_decref(api(&s, "GET", path, NULL, 200));
	r = fresh_get("/api/items?term=phone", 1);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	json_decref(j);
}
END_TEST

/* One refused API body: 400, the field named, nothing written. */
static void refused(struct seller *s, const char *method, const char *path, const char *body, const char *field)
{
	struct hresp *r = client_req(&s->cl, method, path, body, 1);

	ck_assert_msg(r->status == 400, "%s: %ld %.300s", body, r->status, r->body);
	ck_assert_msg(strstr(r->body, "\"error\"") && strstr(r->body, field), "%s: no %s in %.300s", body, field, r->body);
	hresp_free(r);
}

START_TEST(api_validation_writes_nothing)
{
	struct seller s;
	char body[1024], mine[64];
	long long skus0 = sql_scalar("SELECT COUNT(*) FROM skus"), movements0;

	make_seller(&s, "badapi");
	movements0 = sql_scalar("SELECT COUNT(*) FROM stock_movements");
	refused(&s, "POST", "/api/items", "{\"price\":100}", "name");
	refused(&s, "POST", "/api/items", "{\"name\":\"ab\",\"price\":100}", "name");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\"}", "price");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":-1}", "price");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":12.5}", "price");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100000001}", "price");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"quantity\":-5}", "quantity");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"quantity\":1000001}", "quantity");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"category\":\"no-such-thing\"}", "category");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"category\":\"electronics\"}", "category");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"status\":\"suspended\"}", "status");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"status\":\"bogus\"}", "status");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"status\":\"active\","
		"\"category\":\"laptops\",\"skus\":[]}", "skus");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"category\":\"laptops\","
		"\"skus\":[{\"code\":\"-bad\",\"price\":100}]}", "skus[0].code");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"category\":\"laptops\","
		"\"skus\":[{\"code\":\"OK-1\"}]}", "skus[0].price");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"category\":\"laptops\","
		"\"skus\":[{\"code\":\"OK-1\",\"price\":100,\"weightGrams\":2000000}]}", "skus[0].weightGrams");
	snprintf(mine, sizeof(mine), "DUPE-%d", (int)getpid());
	snprintf(body, sizeof(body), "{\"name\":\"Good name\",\"category\":\"laptops\",\"skus\":["
		 "{\"code\":\"%s\",\"price\":100,\"options\":{\"Color\":\"Red\"}},"
		 "{\"code\":\"%s\",\"price\":100,\"options\":{\"Color\":\"Blue\"}}]}", mine, mine);
	refused(&s, "POST", "/api/items", body, "skus[1].code");
	snprintf(body, sizeof(body), "{\"name\":\"Good name\",\"category\":\"laptops\",\"skus\":["
		 "{\"code\":\"%s-A\",\"price\":100,\"options\":{\"Color\":\"Red\"}},"
		 "{\"code\":\"%s-B\",\"price\":100,\"options\":{\"Color\":\"Red\"}}]}", mine, mine);
	refused(&s, "POST", "/api/items", body, "skus[1].options");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"category\":\"laptops\","
		"\"attributes\":{\"Horsepower\":\"9\"}}", "attributes.Horsepower");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"category\":\"laptops\","
		"\"attributes\":{\"Storage\":\"3 TB\"}}", "attributes.Storage");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"category\":\"laptops\","
		"\"attributes\":{\"Screen size (in)\":\"big\"}}", "attributes.Screen size (in)");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"category\":\"mens-shirts\"}",
		"attributes.Material");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"attributes\":[1]}", "attributes");
	refused(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,\"skus\":{}}", "skus");
	refused(&s, "POST", "/api/items", "{\"name\":[\"x\"],\"price\":100}", "name");
	/* Nothing half-saved: the first SKU is fine, the second's code is a
	 * demo product's. */
	snprintf(body, sizeof(body), "{\"name\":\"Good name\",\"category\":\"laptops\",\"skus\":["
		 "{\"code\":\"%s-OK\",\"price\":100,\"quantity\":3,\"options\":{\"Color\":\"Red\"}},"
		 "{\"code\":\"%s\",\"price\":100,\"options\":{\"Color\":\"Blue\"}}]}", mine,
		 "__DEMO__");
	{
		char demo[128], q[256], *p;
		struct hresp *r = client_req(&s.cl, "GET", "/api/categories/laptops/items?size=1", NULL, 0);
		json_t *j = hresp_json(r);
		const char *c = jstr(json_array_get(json_object_get(j, "items"), 0), "sku");

		ck_assert_int_eq(r->status, 200);
		ck_assert(*c);
		snprintf(demo, sizeof(demo), "%s", c);
		p = strstr(body, "__DEMO__");
		ck_assert_ptr_nonnull(p);
		memmove(p + strlen(demo), p + 8, strlen(p + 8) + 1);
		memcpy(p, demo, strlen(demo));
		json_decref(j);
		hresp_free(r);
		refused(&s, "POST", "/api/items", body, "skus[1].code");
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM skus WHERE code = '%s-OK'", mine);
		ck_assert_int_eq(sql_scalar(q), 0);
	}
	ck_assert_int_eq(count_products(&s), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM skus"), skus0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM stock_movements"), movements0);
}
END_TEST

START_TEST(form_create_edit_variants)
{
	struct seller s;
	char form[4096], path[128], q[512], word[64], loc[256];
	struct hresp *r;
	long long id, before, sku_l;

	make_seller(&s, "formseller");
	snprintf(word, sizeof(word), "wombatshirt%d", (int)getpid());

	r = client_browse(&s.cl, "GET", "/seller/items/new?category=mens-shirts", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "class=\"seller-nav\"");
	HAS(r, "Add an item");
	HAS(r, "name=\"attr.Material\"");
	HAS(r, "Add a variant");
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	tidy_ok(r, "/seller/items/new");
	hresp_free(r);

	/* Choosing another category and asking for its attributes re-renders
	 * the form with them, saving nothing. */
	r = post_form(&s.cl, "/seller/items", "title=Thing&category=laptops&rows=1&action=refresh");
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"attr.Storage\"");
	HAS(r, "<option value=\"512 GB\">");
	HAS(r, "name=\"attr.Screen size (in)\"");
	LACKS(r, "name=\"attr.Material\"");
	HAS(r, "value=\"Thing\"");
	hresp_free(r);

	/* "Add a variant" re-renders with one more row and saves nothing. */
	snprintf(form, sizeof(form), "title=Linen+%s&category=mens-shirts&status=active&opt1=Size"
		 "&rows=1&v0.code=WS-%d-M&v0.o1=M&v0.price=12.34&action=add-variant", word, (int)getpid());
	r = post_form(&s.cl, "/seller/items", form);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"rows\" value=\"2\"");
	HAS(r, "name=\"v1.code\"");
	HAS(r, "value=\"12.34\"");
	hresp_free(r);
	ck_assert_int_eq(count_products(&s), 0);

	/* Bad input: field messages, the form re-filled, nothing written. */
	snprintf(form, sizeof(form), "title=&category=mens-shirts&status=active&opt1=Size&rows=2"
		 "&v0.code=WS-%d-M&v0.o1=M&v0.price=12.345&v0.weight=abc&v0.qty=-1"
		 "&v1.code=WS-%d-M&v1.o1=L&v1.price=1", (int)getpid(), (int)getpid());
	r = post_form(&s.cl, "/seller/items", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "Title is required");
	HAS(r, "Material is required");
	HAS(r, "Price must be an amount such as 12.34");
	HAS(r, "Weight must be a whole number of grams");
	HAS(r, "Initial quantity must be a whole number");
	HAS(r, "is used by another variant of this item");
	HAS(r, "value=\"12.345\"");	/* re-filled */
	HAS(r, "aria-invalid=\"true\"");
	HAS(r, "href=\"#f-title\"");
	HAS(r, "href=\"#f-a0\"");	/* Material, the first attribute */
	HAS(r, "Variant 1: Price must be");
	tidy_ok(r, "the refused form");
	hresp_free(r);
	snprintf(form, sizeof(form), "title=Linen+%s&category=mens-shirts&attr.Material=Linen&status=suspended"
		 "&rows=1&v0.code=WS-%d-Z&v0.price=1", word, (int)getpid());
	r = post_form(&s.cl, "/seller/items", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "only the shop suspends items");
	hresp_free(r);
	snprintf(form, sizeof(form), "title=Linen+%s&category=mens-shirts&attr.Material=Linen&status=active"
		 "&opt1=Size&rows=1&v0.code=WS-%d-Z&v0.price=1", word, (int)getpid());
	r = post_form(&s.cl, "/seller/items", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "need a value for Size");
	hresp_free(r);
	ck_assert_int_eq(count_products(&s), 0);

	/* Good: two variants. */
	snprintf(form, sizeof(form), "title=Linen+%s&description=Cool+in+summer.&brand=Weaver"
		 "&category=mens-shirts&attr.Material=Linen&attr.Warranty=&status=active&opt1=Size&rows=3"
		 "&v0.code=WS-%d-M&v0.o1=M&v0.price=12.34&v0.weight=200&v0.qty=5"
		 "&v1.code=WS-%d-L&v1.o1=L&v1.price=13&v1.weight=210&v1.qty=2&action=save",
		 word, (int)getpid(), (int)getpid());
	r = post_form(&s.cl, "/seller/items", form);
	ck_assert_msg(r->status == 303, "%ld %.600s", r->status, r->body);
	snprintf(loc, sizeof(loc), "%s", hresp_header(r, "Location"));
	hresp_free(r);
	ck_assert(!strncmp(loc, "/seller/items/", 14));
	id = atoll(loc + 14);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(rows_for("SELECT price FROM products WHERE id = %lld", id), 1234);
	ck_assert_int_eq(rows_for("SELECT stock_total FROM products WHERE id = %lld", id), 7);
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM skus WHERE product_id = %lld AND status = 'active'", id), 2);
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM products WHERE id = %lld AND status = 'active' "
				  "AND JSON_VALUE(attributes, '$.Material') = 'Linen' AND brand = 'Weaver'", id), 1);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM skus WHERE code = 'WS-%d-L' AND price = 1300 "
		 "AND weight_grams = 210 AND JSON_VALUE(options, '$.Size') = 'L'", (int)getpid());
	ck_assert_int_eq(sql_scalar(q), 1);

	r = client_browse(&s.cl, "GET", loc, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Saved.");
	snprintf(path, sizeof(path), "/seller/items/%lld/stock", id);
	HAS(r, path);
	snprintf(path, sizeof(path), "/seller/items/%lld/images", id);
	HAS(r, path);
	HAS(r, "name=\"v0.id\"");
	HAS(r, "value=\"12.34\"");
	tidy_ok(r, "the edit page");
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT slug FROM products WHERE id = %lld", id);
	{
		/* The product page shows it, with its attribute. */
		char slug_q[256];

		snprintf(slug_q, sizeof(slug_q), "SELECT COUNT(*) FROM products WHERE id = %lld AND slug LIKE 'linen-%s%%'", id, word);
		ck_assert_int_eq(sql_scalar(slug_q), 1);
		snprintf(path, sizeof(path), "/p/linen-%s", word);
		r = fresh_get(path, 0);
		ck_assert_int_eq(r->status, 200);
		HAS(r, word);
		HAS(r, "Linen");
		hresp_free(r);
	}
	ck_assert_msg(wait_body("/c/mens-shirts?sort=newest", 200, word, 1, 10), "not on the category page");
	snprintf(q, sizeof(q), "/api/items?term=%s", word);
	ck_assert_msg(wait_body(q, 200, word, 1, 15), "not found by search");

	/* Nothing half-saved on edit: a new title and a third variant whose
	 * code is the second's. */
	snprintf(q, sizeof(q), "SELECT id FROM skus WHERE code = 'WS-%d-M'", (int)getpid());
	{
		long long sku_m = sql_scalar(q);

		snprintf(q, sizeof(q), "SELECT id FROM skus WHERE code = 'WS-%d-L'", (int)getpid());
		sku_l = sql_scalar(q);
		snprintf(path, sizeof(path), "/seller/items/%lld", id);
		before = sql_scalar("SELECT COUNT(*) FROM skus");
		snprintf(form, sizeof(form), "title=Renamed+%s&category=mens-shirts&attr.Material=Linen&status=active"
			 "&opt1=Size&rows=3&v0.id=%lld&v0.o1=M&v0.price=12.34&v1.id=%lld&v1.o1=L&v1.price=13.00"
			 "&v2.code=ws-%d-l&v2.o1=XL&v2.price=14", word, sku_m, sku_l, (int)getpid());
		r = post_form(&s.cl, path, form);
		ck_assert_int_eq(r->status, 400);
		HAS(r, "is used by another variant of this item");
		hresp_free(r);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM skus"), before);
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM products WHERE id = %lld AND title LIKE 'Linen %%'", id);
		ck_assert_int_eq(sql_scalar(q), 1);

		/* Add a variant for real; remove L (never ordered: deleted). */
		snprintf(form, sizeof(form), "title=Renamed+%s&category=mens-shirts&attr.Material=Linen&status=active"
			 "&opt1=Size&rows=3&v0.id=%lld&v0.o1=M&v0.price=11.00&v1.id=%lld&v1.o1=L&v1.price=13.00"
			 "&v1.remove=1&v2.code=WS-%d-XL&v2.o1=XL&v2.price=14&v2.qty=4", word, sku_m, sku_l, (int)getpid());
		r = post_form(&s.cl, path, form);
		ck_assert_msg(r->status == 303, "%ld %.600s", r->status, r->body);
		hresp_free(r);
		ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM skus WHERE id = %lld", sku_l), 0);
		ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM skus WHERE product_id = %lld AND status = 'active'", id), 2);
		ck_assert_int_eq(rows_for("SELECT price FROM products WHERE id = %lld", id), 1100);
		ck_assert_int_eq(rows_for("SELECT stock_total FROM products WHERE id = %lld", id), 9);
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM products WHERE id = %lld AND title LIKE 'Renamed %%'", id);
		ck_assert_int_eq(sql_scalar(q), 1);

		/* A variant with order history is kept, inactive. */
		snprintf(q, sizeof(q), "INSERT INTO orders (user_id, subtotal, shipping, tax, total, shipping_method, "
			 "ship_name, ship_line1, ship_city, ship_country, status) VALUES (%lld, 1100, 0, 0, 1100, "
			 "'standard', 'T', 'L1', 'C', 'US', 'delivered')", s.uid);
		ck_assert_int_eq(sql_exec(q), 0);
		snprintf(q, sizeof(q), "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, code, "
			 "title, unit_price, quantity) SELECT MAX(id), 1, %lld, %lld, %lld, 'x', 'x', 1100, 1 FROM orders "
			 "WHERE user_id = %lld", sku_m, id, s.sid, s.uid);
		ck_assert_int_eq(sql_exec(q), 0);
		snprintf(q, sizeof(q), "SELECT id FROM skus WHERE code = 'WS-%d-XL'", (int)getpid());
		snprintf(form, sizeof(form), "title=Renamed+%s&category=mens-shirts&attr.Material=Linen&status=active"
			 "&opt1=Size&rows=2&v0.id=%lld&v0.o1=M&v0.price=11.00&v0.remove=1&v1.id=%lld&v1.o1=XL&v1.price=14",
			 word, sku_m, sql_scalar(q));
		r = post_form(&s.cl, path, form);
		ck_assert_msg(r->status == 303, "%ld %.600s", r->status, r->body);
		hresp_free(r);
		ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM skus WHERE id = %lld AND status = 'inactive'", sku_m), 1);
		ck_assert_int_eq(rows_for("SELECT price FROM products WHERE id = %lld", id), 1400);
		ck_assert_int_eq(rows_for("SELECT stock_total FROM products WHERE id = %lld", id), 4);
		ck_assert_int_eq(rows_for("SELECT JSON_LENGTH(sku_digest) FROM products WHERE id = %lld", id), 1);
	}
}
END_TEST

START_TEST(api_patch)
{
	struct seller s;
	char body[1024], path[128], word[64], q[256];
	json_t *j;
	long long id;
	const char *url;
	char urlbuf[256];

	make_seller(&s, "patcher");
	snprintf(word, sizeof(word), "platypusmug%d", (int)getpid());
	snprintf(body, sizeof(body), "{\"name\":\"Tin %s\",\"description\":\"A mug.\",\"price\":900,"
		 "\"quantity\":3,\"category\":\"kitchen-accessories\"}", word);
	j = api(&s, "POST", "/api/items", body, 201);
	id = jint(j, "id");
	snprintf(urlbuf, sizeof(urlbuf), "%s", jstr(j, "url"));
	url = urlbuf;
	json_decref(j);
	snprintf(path, sizeof(path), "/api/items/%lld", id);

	/* The item-level price of a one-SKU item. */
	j = api(&s, "PATCH", path, "{\"name\":\"Enamel mug\",\"price\":2500}", 200);
	ck_assert_str_eq(jstr(j, "name"), "Enamel mug");
	ck_assert_int_eq(jint(j, "price"), 2500);
	ck_assert_str_eq(jstr(j, "description"), "A mug.");
	json_decref(j);
	/* The product page follows (its cache is invalidated by the event). */
	ck_assert(wait_body(url, 200, "Enamel mug", 1, 10));
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM outbox WHERE aggregate_id = %lld AND topic = 'ProductUpdated'", id), 2);

	/* SKUs by code: update one, add one. */
	snprintf(body, sizeof(body), "{\"skus\":[{\"code\":\"P%lld\",\"price\":2400,\"options\":{\"Color\":\"White\"}},"
		 "{\"code\":\"MUG-%d-B\",\"price\":2300,\"quantity\":6,\"weightGrams\":350,"
		 "\"options\":{\"Color\":\"Blue\"}}]}", id, (int)getpid());
	j = api(&s, "PATCH", path, body, 200);
	ck_assert_int_eq(jint(j, "price"), 2300);
	ck_assert_int_eq(json_array_size(json_object_get(j, "skus")), 2);
	json_decref(j);
	ck_assert_int_eq(rows_for("SELECT stock_total FROM products WHERE id = %lld", id), 9);

	/* Refusals change nothing. */
	refused(&s, "PATCH", path, "{\"price\":100}", "price");		/* two SKUs now */
	refused(&s, "PATCH", path, "{\"name\":\"\"}", "name");
	refused(&s, "PATCH", path, "{\"status\":\"suspended\"}", "status");
	snprintf(body, sizeof(body), "{\"skus\":[{\"code\":\"P%lld\",\"quantity\":50}]}", id);
	refused(&s, "PATCH", path, body, "skus[0].quantity");
	ck_assert_int_eq(rows_for("SELECT price FROM products WHERE id = %lld", id), 2300);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM products WHERE id = %lld AND title = 'Enamel mug'", id);
	ck_assert_int_eq(sql_scalar(q), 1);

	/* Archived: gone from the storefront and from search. */
	ck_assert(wait_body(url, 200, NULL, 1, 5));
	j = api(&s, "PATCH", path, "{\"status\":\"archived\"}", 200);
	ck_assert_str_eq(jstr(j, "status"), "archived");
	json_decref(j);
	ck_assert_msg(wait_body(url, 404, NULL, 1, 10), "archived item still shown");
	snprintf(q, sizeof(q), "/api/items?term=%s", word);
	ck_assert_msg(wait_body(q, 200, url + 3, 0, 15), "archived item still found by search");
}
END_TEST

START_TEST(list_keyset_pagination)
{
	struct seller s;
	char body[512], path[1024], cursor[512] = "";
	long long ids[64];
	int n = 0, pages = 0;
	struct hresp *r;

	make_seller(&s, "lister");
	for (int i = 0; i < 27; i++) {
		json_t *j;

		snprintf(body, sizeof(body), "{\"name\":\"Page item %02d\",\"price\":%d,\"status\":\"%s\","
			 "\"category\":\"groceries\"}", i, 100 + i, i % 3 ? "active" : "draft");
		j = api(&s, "POST", "/api/items", body, 201);
		json_decref(j);
	}
	for (;;) {
		json_t *j, *it;
		size_t k;

		snprintf(path, sizeof(path), "/api/seller/items?size=5%s%s", cursor[0] ? "&cursor=" : "", cursor);
		j = api(&s, "GET", path, NULL, 200);
		pages++;
		json_array_foreach(json_object_get(j, "items"), k, it) {
			ck_assert_int_lt(n, 64);
			ids[n++] = jint(it, "id");
		}
		if (!json_is_string(json_object_get(j, "nextCursor"))) {
			json_decref(j);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", jstr(j, "nextCursor"));
		json_decref(j);
		ck_assert_int_lt(pages, 10);
	}
	ck_assert_int_eq(n, 27);
	ck_assert_int_eq(pages, 6);
	for (int i = 1; i < n; i++)
		ck_assert_int_lt(ids[i], ids[i - 1]);	/* newest first, no repeats */
	ck_assert_int_eq(count_products(&s), 27);

	/* Filters. */
	{
		json_t *j = api(&s, "GET", "/api/seller/items?status=draft&size=100", NULL, 200);

		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 9);
		json_decref(j);
		j = api(&s, "GET", "/api/seller/items?q=item+07&size=100", NULL, 200);
		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
		json_decref(j);
		j = api(&s, "GET", "/api/seller/items?category=laptops", NULL, 200);
		ck_assert(json_is_array(json_object_get(j, "items")));	/* an empty list, not none */
		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
		json_decref(j);
	}
	/* A tampered cursor is refused. */
	json_decref(api(&s, "GET", "/api/seller/items?cursor=AAAAAAAAAAAAAAAAAAAAAAAA", NULL, 400));

	/* The page: 25 a page, the link to older ones. */
	r = client_browse(&s.cl, "GET", "/seller/items", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "class=\"seller-nav\"");
	HAS(r, "Page item 26");
	HAS(r, "Page item 02");
	LACKS(r, "Page item 01");
	HAS(r, "href=\"/seller/items/new\"");
	HAS(r, "rel=\"next\"");
	tidy_ok(r, "/seller/items");
	{
		/* The link as a browser reads it: attribute escapes undone. */
		const char *h = strstr(r->body, "href=\"/seller/items?after&#61;"), *e;
		size_t k = 0;

		ck_assert_ptr_nonnull(h);
		h += 6;
		e = strchr(h, '"');
		ck_assert_ptr_nonnull(e);
		while (h < e && k + 1 < sizeof(path)) {
			if (!strncmp(h, "&#61;", 5)) {
				path[k++] = '=';
				h += 5;
			} else if (!strncmp(h, "&amp;", 5)) {
				path[k++] = '&';
				h += 5;
			} else {
				path[k++] = *h++;
			}
		}
		path[k] = '\0';
	}
	hresp_free(r);
	r = client_browse(&s.cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Page item 01");
	HAS(r, "Page item 00");
	LACKS(r, "Page item 02");
	LACKS(r, "rel=\"next\"");
	HAS(r, "First page");
	hresp_free(r);
	r = client_browse(&s.cl, "GET", "/seller/items?q=item+1&status=active", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Page item 10");
	LACKS(r, "Page item 12");	/* a draft */
	LACKS(r, "Page item 05");
	hresp_free(r);
	r = client_browse(&s.cl, "GET", "/seller/items?status=bogus", NULL);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
}
END_TEST

START_TEST(sellers_are_isolated)
{
	struct seller a, b;
	char path[128], form[512], q[256];
	json_t *j;
	long long id;
	struct hresp *r;

	make_seller(&a, "sellera");
	make_seller(&b, "sellerb");
	j = api(&a, "POST", "/api/items", "{\"name\":\"Seller A lamp\",\"price\":5000,\"quantity\":2,"
		"\"category\":\"furniture\"}", 201);
	id = jint(j, "id");
	json_decref(j);

	snprintf(path, sizeof(path), "/api/seller/items/%lld", id);
	json_decref(api(&b, "GET", path, NULL, 404));
	snprintf(path, sizeof(path), "/api/items/%lld", id);
	json_decref(api(&b, "PATCH", path, "{\"name\":\"Stolen\",\"price\":1}", 404));
	json_decref(api(&b, "PATCH", path, "{\"name\":[1]}", 404));	/* whatever the body */
	snprintf(path, sizeof(path), "/seller/items/%lld", id);
	r = client_browse(&b.cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(form, sizeof(form), "title=Stolen&category=furniture&status=draft&rows=0");
	r = post_form(&b.cl, path, form);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = client_browse(&b.cl, "GET", "/seller/items", NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "Seller A lamp");
	hresp_free(r);
	j = api(&b, "GET", "/api/seller/items", NULL, 200);
	ck_assert(json_is_array(json_object_get(j, "items")));	/* an empty list, not none */
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM products WHERE id = %lld AND title = 'Seller A lamp' "
		 "AND price = 5000 AND status = 'active' AND seller_id = %lld", id, a.sid);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_int_eq(rows_for("SELECT COUNT(*) FROM outbox WHERE aggregate_id = %lld AND topic = 'ProductUpdated'", id), 1);
}
END_TEST

START_TEST(non_sellers_are_refused)
{
	struct client cl = {0};
	struct hresp *r;

	ck_assert_int_eq(client_signup(&cl, "Pat Shopper", fresh_email("shopper"), PW), 0);
	r = client_browse(&cl, "GET", "/seller/items", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_browse(&cl, "GET", "/seller/items/new", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&cl, "POST", "/api/items", "{\"name\":\"Nope item\",\"price\":100}", 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&cl, "GET", "/api/seller/items", NULL, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&cl, "PATCH", "/api/items/1", "{\"name\":\"Nope item\"}", 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM products WHERE title = 'Nope item'"), 0);
	/* The public item API is untouched. */
	r = fresh_get("/api/items/1", 1);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
}
END_TEST

START_TEST(suspended_seller_items_wait)
{
	struct seller s;
	char q[256];
	json_t *j;
	long long id;

	make_seller(&s, "suspended");
	snprintf(q, sizeof(q), "UPDATE sellers SET status = 'suspended' WHERE id = %lld", s.sid);
	ck_assert_int_eq(sql_exec(q), 0);
	j = api(&s, "POST", "/api/items", "{\"name\":\"Waiting item\",\"price\":700,\"status\":\"draft\","
		"\"category\":\"groceries\"}", 201);
	ck_assert_str_eq(jstr(j, "status"), "draft");
	id = jint(j, "id");
	json_decref(j);
	j = api(&s, "PATCH", "/api/items/0", "{\"status\":\"active\"}", 404);
	json_decref(j);
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/items/%lld", id);
		j = api(&s, "PATCH", path, "{\"status\":\"active\"}", 200);
		ck_assert_str_eq(jstr(j, "status"), "suspended");
		json_decref(j);
		refused(&s, "PATCH", path, "{\"status\":\"bogus\"}", "status");
		/* The form shows it read-only. */
		snprintf(path, sizeof(path), "/seller/items/%lld", id);
		{
			struct hresp *r = client_browse(&s.cl, "GET", path, NULL);

			ck_assert_int_eq(r->status, 200);
			HAS(r, "Suspended by the shop");
			HAS(r, "Your seller account is suspended");
			LACKS(r, "<option value=\"suspended\"");
			hresp_free(r);
		}
	}
	snprintf(q, sizeof(q), "UPDATE sellers SET status = 'active' WHERE id = %lld", s.sid);
	ck_assert_int_eq(sql_exec(q), 0);
}
END_TEST

/* Every test's items leave the storefront afterwards (the http suites
 * share one stack): archived, with the event that tells the caches and the
 * search index, as the shop's own writers do. */
static void archive_test_items(void)
{
	char q[1024];

	snprintf(q, sizeof(q), "UPDATE products p JOIN sellers s ON s.id = p.seller_id "
		 "JOIN users u ON u.id = s.user_id SET p.status = 'archived' "
		 "WHERE u.email LIKE '%%%d.%%@example.com'", (int)getpid());
	sql_exec(q);
	snprintf(q, sizeof(q), "INSERT INTO outbox (topic, aggregate_id, payload) "
		 "SELECT 'ProductUpdated', p.id, JSON_OBJECT('id', p.id) FROM products p "
		 "JOIN sellers s ON s.id = p.seller_id JOIN users u ON u.id = s.user_id "
		 "WHERE u.email LIKE '%%%d.%%@example.com'", (int)getpid());
	sql_exec(q);
}

int main(void)
{
	Suite *s = suite_create("http-seller-items");
	TCase *tc = tcase_create("items");

	harness_init();
	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, clear_ip_throttles, archive_test_items);
	tcase_add_test(tc, api_create_shows_in_shop_and_search);
	tcase_add_test(tc, api_validation_writes_nothing);
	tcase_add_test(tc, form_create_edit_variants);
	tcase_add_test(tc, api_patch);
	tcase_add_test(tc, list_keyset_pagination);
	tcase_add_test(tc, sellers_are_isolated);
	tcase_add_test(tc, non_sellers_are_refused);
	tcase_add_test(tc, suspended_seller_items_wait);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
