/* t/http: wishlists (issue 17, app/wishlist) against the real stack.
 *
 *   - the JSON API's contract: GET /api/wishlist's fields, POST
 *     /api/wishlist/items 201 then 200, 404 for an unknown SKU, 422 for no
 *     itemId, DELETE 204 then 404, PATCH the alerts switch;
 *   - a guest's list (in the session) joins the account's default list at
 *     sign-in and at registration; a SKU in both keeps the earlier save's
 *     price;
 *   - "Save for later" moves a cart line to the list with its quantity and
 *     "Move to cart" moves it back; the cart's totals follow;
 *   - named lists; another shopper's list is 404 to every verb;
 *   - a shared link shows the list read-only, without the owner, and stops
 *     working when sharing is turned off;
 *   - the price change since saved after the seller changes the price, and
 *     the stock;
 *   - the product page's Save form (plain without a session, "Saved" with
 *     one) and the list page's alerts switch.
 *
 * The SKUs are the demo catalog's, read only (lists reserve nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mysql.h>
#include "harness.h"

#define PW "correct horse battery"
#define NSKU 6

struct sku {
	long long id, price;
	char code[80];
};

static struct sku skus[NSKU];

static void load_skus(void)
{
	MYSQL *my = mysql_init(NULL);
	MYSQL_RES *res;
	MYSQL_ROW row;
	char sock[600];
	int n = 0;

	snprintf(sock, sizeof(sock), "%s/run/mysqld.sock", getenv("SHOP_HOME"));
	ck_assert_msg(mysql_real_connect(my, NULL, "root", "", getenv("SHOP_DB_NAME") ? getenv("SHOP_DB_NAME") : "shop",
					 0, sock, 0) != NULL, "MariaDB: %s", mysql_error(my));
	ck_assert_msg(mysql_query(my, "SELECT s.id, s.code, s.price FROM skus s JOIN products p ON p.id = s.product_id "
				  "JOIN (SELECT sku_id, SUM(available) AS avail FROM inventory GROUP BY sku_id) a "
				  "ON a.sku_id = s.id WHERE s.status = 'active' AND p.status = 'active' AND a.avail >= 20 "
				  "AND s.code NOT LIKE '%\\%%' AND s.code NOT LIKE '%&%' ORDER BY s.id LIMIT 6") == 0,
		      "SQL: %s", mysql_error(my));
	ck_assert_ptr_nonnull(res = mysql_store_result(my));
	while (n < NSKU && (row = mysql_fetch_row(res))) {
		skus[n].id = atoll(row[0]);
		snprintf(skus[n].code, sizeof(skus[n].code), "%s", row[1]);
		skus[n].price = atoll(row[2]);
		n++;
	}
	mysql_free_result(res);
	mysql_close(my);
	ck_assert_msg(n == NSKU, "only %d sellable SKUs in stock, the tests need %d", n, NSKU);
}

static void setup(void)
{
	clear_ip_throttles();
	load_skus();
}

static void teardown(void)
{
}

/* ---- helpers ---- */

static void guest(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_session(cl), 0);
}

static long long user(struct client *cl, char *email, size_t n, const char *tag)
{
	memset(cl, 0, sizeof(*cl));
	snprintf(email, n, "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, "Wanda List", email, PW), 0);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
}

/* A request with its expected status; the body as JSON (NULL when empty). */
static json_t *call(struct client *cl, const char *method, const char *path, const char *body, long status)
{
	struct hresp *r = client_req(cl, method, path, body, 1);
	json_t *j;

	ck_assert_msg(r->status == status, "%s %s: %ld, expected %ld: %.400s", method, path, r->status, status,
		      r->body ? r->body : "");
	j = r->len ? hresp_json(r) : NULL;
	hresp_free(r);
	return j;
}

static json_t *save(struct client *cl, const char *code, long status)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"itemId\":\"%s\"}", code);
	return call(cl, "POST", "/api/wishlist/items", body, status);
}

static json_t *get_list(struct client *cl)
{
	return call(cl, "GET", "/api/wishlist", NULL, 200);
}

static long long jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* The item of code in a list (NULL: not there); fails on a duplicate. */
static json_t *item_in(json_t *list, const char *code)
{
	json_t *it, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(list, "items"), i, it)
		if (!strcmp(jstr(it, "itemId"), code)) {
			ck_assert_msg(!found, "%s twice in the list", code);
			found = it;
		}
	return found;
}

/* A form post from the browser with the session's token; its answer. */
static struct hresp *form(struct client *cl, const char *path, const char *fields)
{
	char body[1024];

	snprintf(body, sizeof(body), "csrf=%s&%s", cl->csrf, fields);
	return client_browse(cl, "POST", path, body);
}

static void form_303(struct client *cl, const char *path, const char *fields)
{
	struct hresp *r = form(cl, path, fields);

	ck_assert_msg(r->status == 303, "POST %s %s: %ld %.300s", path, fields, r->status, r->body ? r->body : "");
	hresp_free(r);
}

static int cart_qty(struct client *cl, const char *code, long long *subtotal)
{
	json_t *c = call(cl, "GET", "/api/cart", NULL, 200), *l;
	size_t i;
	int q = 0;

	json_array_foreach(json_object_get(c, "items"), i, l)
		if (!strcmp(jstr(l, "itemId"), code))
			q = (int)jint(l, "quantity");
	if (subtotal)
		*subtotal = jint(c, "subtotal");
	json_decref(c);
	return q;
}

/* ---- the API's contract ---- */

START_TEST(api_contract)
{
	struct client u;
	char email[128], path[256];
	json_t *j, *it;
	long long uid = user(&u, email, sizeof(email), "wlapi");

	/* Nothing saved yet: the default list, empty, not made yet. */
	j = get_list(&u);
	ck_assert(json_is_null(json_object_get(j, "id")));
	ck_assert_str_eq(jstr(j, "name"), "Saved items");
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);

	/* 201 with the item, then 200. */
	j = save(&u, skus[0].code, 201);
	ck_assert_str_eq(jstr(j, "itemId"), skus[0].code);
	ck_assert_int_eq(jint(j, "price"), skus[0].price);
	ck_assert_int_eq(jint(j, "savedPrice"), skus[0].price);
	ck_assert_int_eq(jint(j, "priceChange"), 0);
	ck_assert_int_gt(jint(j, "stock"), 0);
	ck_assert(json_is_true(json_object_get(j, "alerts")));
	ck_assert(strlen(jstr(j, "title")) > 0);
	ck_assert(!strncmp(jstr(j, "url"), "/p/", 3));
	ck_assert(strlen(jstr(j, "image")) > 0);
	ck_assert(strlen(jstr(j, "savedAt")) == 20);
	json_decref(j);
	json_decref(save(&u, skus[0].code, 200));
	json_decref(save(&u, skus[1].code, 201));
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlist_items WHERE user_id = %lld", uid), 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlists WHERE user_id = %lld AND is_default = 1", uid), 1);

	j = get_list(&u);
	ck_assert(json_is_integer(json_object_get(j, "id")));
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	ck_assert_ptr_nonnull(it = item_in(j, skus[1].code));
	ck_assert_int_eq(jint(it, "savedPrice"), skus[1].price);
	json_decref(j);

	/* Refusals. */
	json_decref(save(&u, "NO-SUCH-SKU-XYZ", 404));
	j = call(&u, "POST", "/api/wishlist/items", "{}", 422);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(json_object_get(j, "error"), "fields"), 0), "field"),
			 "itemId");
	json_decref(j);
	json_decref(call(&u, "POST", "/api/wishlist/items", "{\"itemId\":\"\"}", 422));
	{
		struct hresp *r = client_req(&u, "POST", "/api/wishlist/items", "{\"itemId\":\"X\"}", 0);

		ck_assert_int_eq(r->status, 403);	/* no CSRF token */
		hresp_free(r);
	}

	/* The alerts switch. */
	snprintf(path, sizeof(path), "/api/wishlist/items/%s", skus[0].code);
	j = call(&u, "PATCH", path, "{\"alerts\":false}", 200);
	ck_assert(json_is_false(json_object_get(j, "alerts")));
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT alerts FROM wishlist_items WHERE user_id = %lld AND sku_id = %lld",
				     uid, skus[0].id), 0);
	json_decref(call(&u, "PATCH", path, "{\"alerts\":true}", 200));
	ck_assert_int_eq(sql_scalarf("SELECT alerts FROM wishlist_items WHERE user_id = %lld AND sku_id = %lld",
				     uid, skus[0].id), 1);

	/* DELETE 204, then 404. */
	call(&u, "DELETE", path, NULL, 204);
	json_decref(call(&u, "DELETE", path, NULL, 404));
	json_decref(call(&u, "PATCH", path, "{\"alerts\":false}", 404));
	j = get_list(&u);
	ck_assert_ptr_null(item_in(j, skus[0].code));
	json_decref(j);
}
END_TEST

/* ---- the guest's list at sign-in and registration ---- */

START_TEST(guest_list_merges_at_signin)
{
	struct client u, g;
	char email[128], body[512];
	json_t *j, *it;
	long long uid = user(&u, email, sizeof(email), "wlmerge");

	/* The account saved A long ago at another price, and B after the
	 * guest will have (a later save). */
	json_decref(save(&u, skus[0].code, 201));
	json_decref(save(&u, skus[1].code, 201));
	sql_execf("UPDATE wishlist_items SET saved_price = 12345, created_at = NOW(3) - INTERVAL 1 DAY "
		  "WHERE user_id = %lld AND sku_id = %lld", uid, skus[0].id);
	sql_execf("UPDATE wishlist_items SET saved_price = 777, created_at = NOW(3) + INTERVAL 1 HOUR "
		  "WHERE user_id = %lld AND sku_id = %lld", uid, skus[1].id);

	/* A guest saves A, B and C: the session's list, id null. */
	guest(&g);
	json_decref(save(&g, skus[0].code, 201));
	json_decref(save(&g, skus[1].code, 201));
	json_decref(save(&g, skus[2].code, 201));
	json_decref(save(&g, skus[2].code, 200));
	j = get_list(&g);
	ck_assert(json_is_null(json_object_get(j, "id")));
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 3);
	ck_assert_ptr_nonnull(it = item_in(j, skus[2].code));
	ck_assert_int_eq(jint(it, "savedPrice"), skus[2].price);
	json_decref(j);

	/* Sign in: one list, each SKU once, the earlier save's price. */
	ck_assert_int_eq(client_signin(&g, email, PW), 0);
	j = get_list(&g);
	ck_assert(json_is_integer(json_object_get(j, "id")));
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 3);
	ck_assert_int_eq(jint(item_in(j, skus[0].code), "savedPrice"), 12345);
	ck_assert_int_eq(jint(item_in(j, skus[1].code), "savedPrice"), skus[1].price);
	ck_assert_int_eq(jint(item_in(j, skus[2].code), "savedPrice"), skus[2].price);
	ck_assert_int_eq(jint(item_in(j, skus[0].code), "priceChange"), skus[0].price - 12345);
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlists WHERE user_id = %lld", uid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlist_items WHERE user_id = %lld", uid), 3);

	/* Registration by the form signs in, and merges too. */
	guest(&g);
	json_decref(save(&g, skus[3].code, 201));
	snprintf(email, sizeof(email), "%s", fresh_email("wlreg"));
	snprintf(body, sizeof(body), "name=Rita+Reg&email=%s&password=correct+horse+battery", email);
	{
		struct hresp *r = form(&g, "/register", body);

		ck_assert_msg(r->status == 303, "register: %ld %.300s", r->status, r->body);
		hresp_free(r);
	}
	uid = sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
	ck_assert_int_gt(uid, 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlist_items WHERE user_id = %lld AND sku_id = %lld",
				     uid, skus[3].id), 1);
	ck_assert_int_eq(sql_scalarf("SELECT saved_price FROM wishlist_items WHERE user_id = %lld AND sku_id = %lld",
				     uid, skus[3].id), skus[3].price);
}
END_TEST

/* ---- Save for later and Move to cart ---- */

static void save_for_later_round_trip(struct client *cl)
{
	char fields[256];
	long long subtotal;
	json_t *j, *it;
	struct hresp *r;

	snprintf(fields, sizeof(fields), "{\"itemId\":\"%s\",\"quantity\":3}", skus[4].code);
	json_decref(call(cl, "PATCH", "/api/cart", fields, 200));
	snprintf(fields, sizeof(fields), "{\"itemId\":\"%s\",\"quantity\":1}", skus[5].code);
	json_decref(call(cl, "PATCH", "/api/cart", fields, 200));
	ck_assert_int_eq(cart_qty(cl, skus[4].code, &subtotal), 3);
	ck_assert_int_eq(subtotal, 3 * skus[4].price + skus[5].price);

	snprintf(fields, sizeof(fields), "itemId=%s", skus[4].code);
	form_303(cl, "/cart/save-for-later", fields);
	ck_assert_int_eq(cart_qty(cl, skus[4].code, &subtotal), 0);
	ck_assert_int_eq(subtotal, skus[5].price);
	j = get_list(cl);
	ck_assert_ptr_nonnull(it = item_in(j, skus[4].code));
	ck_assert_int_eq(jint(it, "quantity"), 3);
	json_decref(j);

	/* The cart page shows it, with Move to cart. */
	r = client_browse(cl, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "Saved for later") && strstr(r->body, "/wishlist/to-cart"), "%.300s", r->body);
	hresp_free(r);

	snprintf(fields, sizeof(fields), "itemId=%s&from=cart", skus[4].code);
	r = form(cl, "/wishlist/to-cart", fields);
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/cart");
	hresp_free(r);
	ck_assert_int_eq(cart_qty(cl, skus[4].code, &subtotal), 3);
	ck_assert_int_eq(subtotal, 3 * skus[4].price + skus[5].price);
	j = get_list(cl);
	ck_assert_ptr_null(item_in(j, skus[4].code));
	json_decref(j);
}

START_TEST(save_for_later_and_back)
{
	struct client u, g;
	char email[128];

	user(&u, email, sizeof(email), "wllater");
	save_for_later_round_trip(&u);
	guest(&g);
	save_for_later_round_trip(&g);
}
END_TEST

/* ---- named lists; another shopper's ---- */

START_TEST(named_lists_and_others_404)
{
	struct client u, o;
	char email[128], email2[128], path[256], ipath[300];
	json_t *j;
	long long id, uid = user(&u, email, sizeof(email), "wlnamed");

	user(&o, email2, sizeof(email2), "wlother");
	j = call(&u, "POST", "/api/wishlists", "{\"name\":\"Birthday\"}", 201);
	id = jint(j, "id");
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(jstr(j, "name"), "Birthday");
	json_decref(j);
	json_decref(call(&u, "POST", "/api/wishlists", "{\"name\":\"Birthday\"}", 409));
	json_decref(call(&u, "POST", "/api/wishlists", "{\"name\":\"  \"}", 422));
	/* The default list was made with it. */
	j = call(&u, "GET", "/api/wishlists", NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "lists")), 2);
	ck_assert(json_is_true(json_object_get(json_array_get(json_object_get(j, "lists"), 0), "isDefault")));
	json_decref(j);

	snprintf(path, sizeof(path), "/api/wishlists/%lld", id);
	snprintf(ipath, sizeof(ipath), "%s/items", path);
	j = call(&u, "POST", ipath, "{\"itemId\":\"" "\"}", 422);
	json_decref(j);
	{
		char body[600];

		snprintf(body, sizeof(body), "{\"itemId\":\"%s\"}", skus[2].code);
		json_decref(call(&u, "POST", ipath, body, 201));
		json_decref(call(&u, "POST", ipath, body, 200));
		/* Someone else's list: 404 to everything. */
		json_decref(call(&o, "GET", path, NULL, 404));
		json_decref(call(&o, "PATCH", path, "{\"name\":\"Mine\"}", 404));
		json_decref(call(&o, "DELETE", path, NULL, 404));
		json_decref(call(&o, "POST", ipath, body, 404));
		snprintf(body, sizeof(body), "%s/%s", ipath, skus[2].code);
		json_decref(call(&o, "DELETE", body, NULL, 404));
		snprintf(body, sizeof(body), "%s/share", path);
		json_decref(call(&o, "POST", body, NULL, 404));
		json_decref(call(&o, "GET", "/api/wishlists/999999999", NULL, 404));
	}
	j = call(&u, "GET", path, NULL, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	/* The default list is untouched by the named one. */
	j = get_list(&u);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);

	j = call(&u, "PATCH", path, "{\"name\":\"Birthday 2027\"}", 200);
	ck_assert_str_eq(jstr(j, "name"), "Birthday 2027");
	json_decref(j);

	/* The page of the named list, and moving an item to the default one. */
	{
		struct hresp *r;
		char fields[256];
		long long def = sql_scalarf("SELECT id FROM wishlists WHERE user_id = %lld AND is_default = 1", uid);

		snprintf(fields, sizeof(fields), "/wishlist/%lld", id);
		r = client_browse(&u, "GET", fields, NULL);
		ck_assert_int_eq(r->status, 200);
		ck_assert_msg(strstr(r->body, "Birthday 2027") != NULL, "%.300s", r->body);
		hresp_free(r);
		r = client_browse(&o, "GET", fields, NULL);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		snprintf(fields, sizeof(fields), "itemId=%s&listId=%lld&to=%lld", skus[2].code, id, def);
		form_303(&u, "/wishlist/move", fields);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlist_items WHERE wishlist_id = %lld", def), 1);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlist_items WHERE wishlist_id = %lld", id), 0);
		snprintf(fields, sizeof(fields), "/api/wishlists/%lld", def);
		json_decref(call(&u, "DELETE", fields, NULL, 422));
	}
	call(&u, "DELETE", path, NULL, 204);
	json_decref(call(&u, "GET", path, NULL, 404));
}
END_TEST

/* ---- sharing ---- */

START_TEST(share_link_read_only_and_revoked)
{
	struct client u, v;
	char email[128], path[256], share[256], url[256], token[64];
	json_t *j;
	struct hresp *r;
	long long id;

	user(&u, email, sizeof(email), "wlshare");
	json_decref(save(&u, skus[1].code, 201));
	j = get_list(&u);
	id = jint(j, "id");
	json_decref(j);
	snprintf(path, sizeof(path), "/api/wishlists/%lld/share", id);
	j = call(&u, "POST", path, NULL, 200);
	snprintf(url, sizeof(url), "%s", jstr(j, "url"));
	json_decref(j);
	ck_assert_ptr_nonnull(strstr(url, "/lists/"));
	snprintf(token, sizeof(token), "%s", strstr(url, "/lists/") + 7);
	ck_assert_int_eq(strlen(token), 43);
	j = call(&u, "POST", path, NULL, 200);	/* on again: the same link */
	ck_assert_str_eq(jstr(j, "url"), url);
	json_decref(j);
	j = get_list(&u);
	ck_assert(json_is_true(json_object_get(j, "shared")));
	ck_assert_str_eq(jstr(j, "shareUrl"), url);
	json_decref(j);

	/* Anyone with the link: the page, read-only, no owner, noindex. */
	snprintf(share, sizeof(share), "/lists/%s", token);
	r = http_get(share);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "Saved items") != NULL, "%.300s", r->body);
	ck_assert(strstr(r->body, email) == NULL);
	ck_assert(strstr(r->body, "Wanda") == NULL);
	ck_assert(strstr(r->body, "/wishlist/remove") == NULL);
	ck_assert(strstr(r->body, "/wishlist/alerts") == NULL);
	ck_assert_ptr_nonnull(hresp_header(r, "X-Robots-Tag"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/lists/%s", token);
	r = http_get(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_ptr_nonnull(item_in(j, skus[1].code));
	ck_assert_ptr_null(json_object_get(j, "id"));
	ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(j, "items"), 0), "alerts"));
	json_decref(j);
	hresp_free(r);

	/* Off: the link stops working (asked with a session: no page cache). */
	snprintf(path, sizeof(path), "/api/wishlists/%lld/share", id);
	call(&u, "DELETE", path, NULL, 204);
	guest(&v);
	r = client_browse(&v, "GET", share, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlists WHERE id = %lld AND share_token IS NULL", id), 1);
	/* Anonymous visitors too, once the page cache's second is over. */
	ck_assert_msg(wait_status(share, 404, 5), "the shared page is still shown after sharing stopped");
	/* A guessed token is 404 too. */
	r = client_browse(&v, "GET", "/lists/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
}
END_TEST

/* ---- price change since saved, stock ---- */

START_TEST(price_change_and_stock)
{
	struct client u;
	char email[128], body[512], code[64], path[128];
	long long sid, suid, id;
	json_t *j, *it;
	struct client sc;

	memset(&sc, 0, sizeof(sc));
	sid = seller_new(&sc, "wlseller", &suid);
	ck_assert_int_gt(sid, 0);
	snprintf(body, sizeof(body), "{\"name\":\"Wish lamp %d\",\"description\":\"A lamp to wish for.\","
		 "\"price\":1999,\"quantity\":7,\"category\":\"home-decoration\"}", (int)getpid());
	j = call(&sc, "POST", "/api/items", body, 201);
	id = jint(j, "id");
	json_decref(j);
	snprintf(code, sizeof(code), "P%lld", id);

	user(&u, email, sizeof(email), "wlprice");
	j = save(&u, code, 201);
	ck_assert_int_eq(jint(j, "savedPrice"), 1999);
	ck_assert_int_eq(jint(j, "stock"), 7);
	json_decref(j);

	snprintf(path, sizeof(path), "/api/items/%lld", id);
	json_decref(call(&sc, "PATCH", path, "{\"price\":1500}", 200));
	j = get_list(&u);
	ck_assert_ptr_nonnull(it = item_in(j, code));
	ck_assert_int_eq(jint(it, "price"), 1500);
	ck_assert_int_eq(jint(it, "savedPrice"), 1999);
	ck_assert_int_eq(jint(it, "priceChange"), -499);
	ck_assert_int_eq(jint(it, "stock"), 7);
	ck_assert_str_eq(jstr(it, "stockStatus"), "low_stock");
	json_decref(j);

	/* Sold out: the list says so. */
	set_stock_only(sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code), 1, 0, "test");
	j = get_list(&u);
	ck_assert_int_eq(jint(item_in(j, code), "stock"), 0);
	ck_assert_str_eq(jstr(item_in(j, code), "stockStatus"), "out_of_stock");
	json_decref(j);

	/* The page shows the drop and the stock. */
	{
		struct hresp *r = client_browse(&u, "GET", "/wishlist", NULL);

		ck_assert_int_eq(r->status, 200);
		ck_assert_msg(strstr(r->body, "less than when you saved it") && strstr(r->body, "Out of stock"),
			      "%.600s", r->body);
		hresp_free(r);
	}
}
END_TEST

/* ---- the product page's Save form; the list page's alerts switch ---- */

START_TEST(product_save_form_and_alerts_switch)
{
	struct client u;
	char email[128], url[256], fields[256];
	long long uid = user(&u, email, sizeof(email), "wlpage");
	struct hresp *r;
	json_t *j;

	/* The product's URL, from a save and removal through the API. */
	j = save(&u, skus[3].code, 201);
	snprintf(url, sizeof(url), "%s", jstr(j, "url"));
	json_decref(j);
	snprintf(fields, sizeof(fields), "/api/wishlist/items/%s", skus[3].code);
	call(&u, "DELETE", fields, NULL, 204);

	/* Without a session: the plain form (the page may be cached). */
	r = http_get(url);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "action=\"/wishlist/add\"") != NULL, "no Save form");
	ck_assert(strstr(r->body, "Saved ·") == NULL);
	hresp_free(r);

	/* Saved by the form: the page says so. */
	snprintf(fields, sizeof(fields), "itemId=%s", skus[3].code);
	form_303(&u, "/wishlist/add", fields);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlist_items WHERE user_id = %lld AND sku_id = %lld",
				     uid, skus[3].id), 1);
	r = client_browse(&u, "GET", url, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "Saved ·") != NULL, "no Saved state");
	hresp_free(r);

	/* The list page, and its alerts switch (on by default). */
	r = client_browse(&u, "GET", "/wishlist", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(strstr(r->body, "alerts: on") != NULL);
	ck_assert(strstr(r->body, "Share this list by link") != NULL);
	ck_assert_ptr_nonnull(hresp_header(r, "Cache-Control"));
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Cache-Control"), "no-store"));
	hresp_free(r);
	snprintf(fields, sizeof(fields), "itemId=%s&alerts=0", skus[3].code);
	form_303(&u, "/wishlist/alerts", fields);
	ck_assert_int_eq(sql_scalarf("SELECT alerts FROM wishlist_items WHERE user_id = %lld AND sku_id = %lld",
				     uid, skus[3].id), 0);
	r = client_browse(&u, "GET", "/wishlist", NULL);
	ck_assert(strstr(r->body, "alerts: off") != NULL);
	hresp_free(r);
	/* Without the token: refused, nothing changed. */
	r = client_browse(&u, "POST", "/wishlist/alerts", fields);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);

	/* The header links to the list. */
	r = client_browse(&u, "GET", "/", NULL);
	ck_assert(strstr(r->body, "href=\"/wishlist\"") != NULL);
	hresp_free(r);

	/* Shared on and off from the page. */
	form_303(&u, "/wishlist/share", "on=1");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlists WHERE user_id = %lld AND share_token IS NOT NULL",
				     uid), 1);
	r = client_browse(&u, "GET", "/wishlist", NULL);
	ck_assert(strstr(r->body, "/lists/") != NULL && strstr(r->body, "Stop sharing") != NULL);
	hresp_free(r);
	form_303(&u, "/wishlist/share", "on=0");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM wishlists WHERE user_id = %lld AND share_token IS NOT NULL",
				     uid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wishlist");
	TCase *t = tcase_create("wishlist");

	harness_init();
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, api_contract);
	tcase_add_test(t, guest_list_merges_at_signin);
	tcase_add_test(t, save_for_later_and_back);
	tcase_add_test(t, named_lists_and_others_404);
	tcase_add_test(t, share_link_read_only_and_revoked);
	tcase_add_test(t, price_change_and_stock);
	tcase_add_test(t, product_save_form_and_alerts_switch);
	suite_add_tcase(s, t);
	return run_suite(s);
}
