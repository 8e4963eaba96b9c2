/* t/http: the guest cart (Redis) merging into the signed-in cart (MariaDB)
 * at sign-in when the two together hold more than CART_MAX_LINES different
 * SKUs, against the real stack.
 *
 * What app/cart/cart.c (tx_merge) does, and what these tests hold it to:
 *   - every line of the saved cart stays;
 *   - a SKU in both carts keeps the larger of the two quantities (never the
 *     sum), so it stays within 1..CART_MAX_QTY; no line appears twice;
 *   - guest-only lines are added while the cart has fewer than
 *     CART_MAX_LINES lines; the rest are dropped, and the sign-in answer
 *     (cartMessage; the flash on the next page for the form) says how many
 *     "did not fit";
 *   - the guest session, and the cart in it, is gone from Redis after it;
 *   - signing in again (an empty guest cart, or from the signed-in session
 *     itself) changes nothing: same lines, same quantities, same version.
 *
 * The SKUs are the demo catalog's, read only (carts reserve nothing), chosen
 * with SQL by their stock at the time of the run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>
#include <sodium.h>
#include "harness.h"
#include "../../app/cart/cart.h"

#define PW "correct horse battery"
#define NSKU 130		/* distinct in-stock SKUs the tests need */
#define BIG 4			/* of them, with at least BIG_STOCK units */
#define BIG_STOCK 70

struct sku {
	long long id, avail;
	char code[80];
};

/* SKUs sellable now with stock: the BIG best-stocked first, then the others
 * by id. */
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
	ck_assert_msg(mysql_query(my, "SELECT s.id, s.code, a.avail FROM skus s JOIN products p ON p.id = s.product_id "
				  "JOIN (SELECT sku_id, SUM(available) AS avail FROM inventory GROUP BY sku_id) a "
				  "ON a.sku_id = s.id WHERE s.status = 'active' AND p.status = 'active' AND a.avail >= 10 "
				  "ORDER BY a.avail >= 99 DESC, a.avail >= 70 DESC, s.id") == 0,
		      "SQL: %s", mysql_error(my));
	ck_assert_ptr_nonnull(res = mysql_store_result(my));
	while (n < NSKU && (row = mysql_fetch_row(res))) {
		skus[n].id = atoll(row[0]);
		snprintf(skus[n].code, sizeof(skus[n].code), "%s", row[1]);
		skus[n].avail = atoll(row[2]);
		n++;
	}
	mysql_free_result(res);
	mysql_close(my);
	ck_assert_msg(n == NSKU, "only %d sellable SKUs in stock, the tests need %d", n, NSKU);
	for (int i = 0; i < BIG; i++)
		ck_assert_msg(skus[i].avail >= BIG_STOCK, "SKU %s has %lld units, the test needs %d",
			      skus[i].code, skus[i].avail, BIG_STOCK);
}

static void setup(void)
{
	clear_ip_throttles();
	load_skus();
}

static void teardown(void)
{
}

/* ---- clients and carts ---- */

static void guest(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_session(cl), 0);
}

static long long user(struct client *cl, char *email, size_t n)
{
	memset(cl, 0, sizeof(*cl));
	snprintf(email, n, "%s", fresh_email("merge"));
	ck_assert_int_eq(client_signup(cl, "Max Merge", email, PW), 0);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
}

static void set_qty(struct client *cl, const struct sku *s, int qty)
{
	char body[200];
	struct hresp *r;

	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":%d}", s->code, qty);
	r = client_req(cl, "PATCH", "/api/cart", body, 1);
	ck_assert_msg(r->status == 200, "PATCH %s %d: %ld %s", s->code, qty, r->status, r->body);
	hresp_free(r);
}

static json_t *get_cart(struct client *cl)
{
	struct hresp *r = client_req(cl, "GET", "/api/cart", NULL, 0);
	json_t *j;

	ck_assert_msg(r->status == 200, "GET /api/cart: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(j = hresp_json(r));
	hresp_free(r);
	return j;
}

static long long field(json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

/* The quantity of code's line in cart (0: no line); fails on a duplicate. */
static int qty_in(json_t *cart, const char *code)
{
	size_t i;
	json_t *l;
	int q = 0, seen = 0;

	json_array_foreach(json_object_get(cart, "items"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "itemId")), code)) {
			seen++;
			q = (int)field(l, "quantity");
		}
	ck_assert_msg(seen <= 1, "%s appears %d times in the cart", code, seen);
	return q;
}

/* The cart is well formed: lines == items, no SKU twice, every quantity in
 * 1..CART_MAX_QTY, no more than CART_MAX_LINES lines, and the same in
 * MariaDB for uid (0: skip). Returns the number of lines. */
static long long check_shape(json_t *cart, long long uid)
{
	json_t *items = json_object_get(cart, "items"), *l;
	size_t i, n = json_array_size(items);

	ck_assert_int_eq(field(cart, "lines"), (long long)n);
	ck_assert_int_le(n, CART_MAX_LINES);
	ck_assert_int_eq(field(cart, "maxLines"), CART_MAX_LINES);
	ck_assert_int_eq(field(cart, "maxQuantity"), CART_MAX_QTY);
	json_array_foreach(items, i, l) {
		long long q = field(l, "quantity");

		ck_assert_msg(q >= 1 && q <= CART_MAX_QTY, "%s: quantity %lld",
			      json_string_value(json_object_get(l, "itemId")), q);
		qty_in(cart, json_string_value(json_object_get(l, "itemId")));
	}
	if (uid) {
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld", uid), (long long)n);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(DISTINCT sku_id) FROM cart_items WHERE user_id = %lld", uid),
				 (long long)n);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld AND "
					     "quantity NOT BETWEEN 1 AND %d", uid, CART_MAX_QTY), 0);
	}
	return (long long)n;
}

/* ---- Redis ---- */

/* The Redis key of a session cookie ("sid=..."), as app/account/session.c
 * derives it: "s:" and the hex of a 16-byte BLAKE2b of the id. */
static void session_key(const char *cookie, char key[40])
{
	const char *id = strchr(cookie, '=');
	unsigned char h[16];
	char hex[33];

	ck_assert_ptr_nonnull(id);
	id++;
	crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(key, 40, "s:%s", hex);
}

/* A redis-cli command's integer answer on the test stack's Redis. */
static long long redis_int(const char *cmd)
{
	char line[512], out[64] = "";
	FILE *f;

	snprintf(line, sizeof(line), "redis-cli -s '%s/run/redis.sock' %s", getenv("SHOP_HOME"), cmd);
	ck_assert_ptr_nonnull(f = popen(line, "r"));
	ck_assert_ptr_nonnull(fgets(out, sizeof(out), f));
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(out[0] >= '0' && out[0] <= '9', "redis-cli %s: %s", cmd, out);
	return atoll(out);
}

/* The number of cart lines ("i:<sku id>" fields) in the session hash. */
static long long guest_lines_in_redis(const char *key)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "EVAL \"local n = 0 for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do "
		 "if string.sub(f, 1, 2) == 'i:' then n = n + 1 end end return n\" 1 %s", key);
	return redis_int(cmd);
}

/* Signs cl in over the API; the answer's cartMessage into msg ("" when none). */
static void signin(struct client *cl, const char *email, char *msg, size_t n)
{
	char body[400];
	struct hresp *r;
	json_t *j;
	const char *m;

	if (!cl->csrf[0])
		ck_assert_int_eq(client_session(cl), 0);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, PW);
	r = client_req(cl, "POST", "/api/session", body, 1);
	ck_assert_msg(r->status == 200, "sign-in: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(j = hresp_json(r));
	m = json_string_value(json_object_get(j, "cartMessage"));
	snprintf(msg, n, "%s", m ? m : "");
	snprintf(cl->csrf, sizeof(cl->csrf), "%s", json_string_value(json_object_get(j, "csrfToken")));
	json_decref(j);
	hresp_free(r);
}

#define SAYS(msg, s) ck_assert_msg(strstr((msg), (s)) != NULL, "the message lacks \"%s\": %s", (s), (msg))
#define SAYS_NOT(msg, s) ck_assert_msg(strstr((msg), (s)) == NULL, "the message has \"%s\": %s", (s), (msg))

/* A snapshot of a cart to compare after a second sign-in. */
struct snap {
	long long version, lines, count;
	int qty[NSKU];
};

static struct snap snap_of(json_t *cart)
{
	struct snap s = { field(cart, "version"), field(cart, "lines"), field(cart, "count"), { 0 } };

	for (int i = 0; i < NSKU; i++)
		s.qty[i] = qty_in(cart, skus[i].code);
	return s;
}

static void same_cart(struct client *cl, const struct snap *before, long long uid)
{
	json_t *c = get_cart(cl);
	struct snap now = snap_of(c);

	check_shape(c, uid);
	ck_assert_int_eq(now.version, before->version);
	ck_assert_int_eq(now.lines, before->lines);
	ck_assert_int_eq(now.count, before->count);
	for (int i = 0; i < NSKU; i++)
		ck_assert_msg(now.qty[i] == before->qty[i], "%s: quantity %d, was %d", skus[i].code, now.qty[i],
			      before->qty[i]);
	json_decref(c);
}

/* ---- the tests ---- */

/* Saved cart: skus[0..69] (70 lines). Guest cart: skus[50..109] (60
 * lines), of which skus[50..69] are in both and skus[70..109] (40) only in
 * the guest's. Together 110 different SKUs: 30 of the guest-only lines fit,
 * 10 do not. The shared lines' quantities add up to more than 99 for the
 * first BIG of them (the merge keeps the larger, not the sum). */
#define SAVED_FROM 0
#define SAVED_TO 70		/* exclusive */
#define GUEST_FROM 50
#define GUEST_TO 110
#define BOTH_FROM GUEST_FROM	/* skus[BOTH_FROM..SAVED_TO) are in both */

/* Quantities: in the saved cart and in the guest cart. skus[] puts the
 * best-stocked first, so the shared ones with big quantities are moved to
 * the front of the shared range by index below. */
static int saved_qty(int i)
{
	static const int big[BIG] = { 60, 70, 45, 69 };

	if (i >= BOTH_FROM && i < BOTH_FROM + BIG)
		return big[i - BOTH_FROM];
	return i >= BOTH_FROM ? 5 : 1 + i % 3;
}

static int guest_qty(int i)
{
	static const int big[BIG] = { 70, 60, 55, 69 };

	if (i >= BOTH_FROM && i < BOTH_FROM + BIG)
		return big[i - BOTH_FROM];
	return i >= BOTH_FROM && i < SAVED_TO ? (i % 2 ? 2 : 9) : 1 + i % 4;
}

/* skus[0..BIG) are the best-stocked; the shared range starts at BOTH_FROM:
 * swap them there so the big shared quantities have the stock. */
static void big_ones_shared(void)
{
	for (int i = 0; i < BIG; i++) {
		struct sku t = skus[i];

		skus[i] = skus[BOTH_FROM + i];
		skus[BOTH_FROM + i] = t;
	}
}

/* The two carts of the overflow case: a new user's saved cart and a guest
 * cart (in g), the user's email into email; the user's id. */
static long long build_overflow(struct client *u, struct client *g, char *email, size_t n)
{
	long long uid;
	json_t *c;

	big_ones_shared();
	uid = user(u, email, n);
	for (int i = SAVED_FROM; i < SAVED_TO; i++)
		set_qty(u, &skus[i], saved_qty(i));
	c = get_cart(u);
	ck_assert_int_eq(check_shape(c, uid), SAVED_TO - SAVED_FROM);
	json_decref(c);

	guest(g);
	for (int i = GUEST_FROM; i < GUEST_TO; i++)
		set_qty(g, &skus[i], guest_qty(i));
	c = get_cart(g);
	ck_assert_int_eq(check_shape(c, 0), GUEST_TO - GUEST_FROM);
	json_decref(c);
	return uid;
}

/* The merged cart of the overflow case: every saved line, the larger
 * quantity of each shared one, 30 of the 40 guest-only lines with their
 * quantities and nothing else. */
static void check_overflow_merged(json_t *c, long long uid)
{
	long long dropped = 0, kept_guest_only = 0;

	ck_assert_int_eq(check_shape(c, uid), CART_MAX_LINES);
	for (int i = 0; i < GUEST_TO; i++) {
		int q = qty_in(c, skus[i].code);
		int in_saved = i >= SAVED_FROM && i < SAVED_TO, in_guest = i >= GUEST_FROM && i < GUEST_TO;

		if (in_saved && in_guest) {
			int want = saved_qty(i) > guest_qty(i) ? saved_qty(i) : guest_qty(i);

			ck_assert_msg(q == want, "%s in both carts (%d saved, %d guest): %d, wanted %d", skus[i].code,
				      saved_qty(i), guest_qty(i), q, want);
		} else if (in_saved) {
			ck_assert_msg(q == saved_qty(i), "saved %s: %d, wanted %d", skus[i].code, q, saved_qty(i));
		} else if (q) {
			ck_assert_msg(q == guest_qty(i), "guest %s: %d, wanted %d", skus[i].code, q, guest_qty(i));
			kept_guest_only++;
		} else {
			dropped++;
		}
	}
	/* Nothing else came in. */
	for (int i = GUEST_TO; i < NSKU; i++)
		ck_assert_int_eq(qty_in(c, skus[i].code), 0);
	ck_assert_int_eq(kept_guest_only, 30);
	ck_assert_int_eq(dropped, 10);
	/* Shared lines whose two quantities add up to more than 99 hold the
	 * larger one (60 + 70 and 70 + 60: 70; 69 + 69: 69). */
	ck_assert_int_eq(qty_in(c, skus[BOTH_FROM].code), 70);
	ck_assert_int_eq(qty_in(c, skus[BOTH_FROM + 1].code), 70);
	ck_assert_int_eq(qty_in(c, skus[BOTH_FROM + 3].code), 69);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM cart_items WHERE user_id = %lld AND quantity > %d",
				     uid, CART_MAX_QTY), 0);
}

START_TEST(overflow_keeps_saved_lines_drops_the_rest_with_a_notice)
{
	struct client u, g, again;
	char email[128], msg[2048], key[40];
	long long uid;
	json_t *c;
	struct snap after;

	uid = build_overflow(&u, &g, email, sizeof(email));
	session_key(g.cookie, key);
	ck_assert_int_eq(guest_lines_in_redis(key), GUEST_TO - GUEST_FROM);

	signin(&g, email, msg, sizeof(msg));

	/* The shopper is told: how many did not fit, the saved lines, the
	 * larger quantity of a shared line. */
	SAYS(msg, "10 items did not fit: a cart holds at most 100 different items.");
	SAYS(msg, "50 items from your earlier visit were added to your cart.");
	SAYS(msg, "we kept the larger quantity, 70.");

	c = get_cart(&g);
	check_overflow_merged(c, uid);
	after = snap_of(c);
	json_decref(c);

	/* The guest session, with its cart, is gone from Redis; its cookie
	 * is a stranger's now (see old_guest_cookie_has_no_cart_after_merge). */
	ck_assert_int_eq(redis_int((snprintf(msg, sizeof(msg), "EXISTS %s", key), msg)), 0);
	session_key(g.cookie, key);	/* the new, signed-in session: no guest lines */
	ck_assert_int_eq(guest_lines_in_redis(key), 0);

	/* The other browser of the same person sees the same cart. */
	same_cart(&u, &after, uid);

	/* Signing in again from a fresh guest session (empty cart): nothing
	 * changes, nothing to say. */
	guest(&again);
	signin(&again, email, msg, sizeof(msg));
	ck_assert_msg(msg[0] == '\0', "second sign-in said: %s", msg);
	same_cart(&again, &after, uid);

	/* And from the signed-in session itself. */
	signin(&g, email, msg, sizeof(msg));
	ck_assert_msg(msg[0] == '\0', "sign-in while signed in said: %s", msg);
	same_cart(&g, &after, uid);
}
END_TEST

/* The same guest cart signed in from several requests at once (a double
 * click, two tabs): the merge happens as if once, quantities are never
 * added up, no line twice, still at most 100 lines. */
#define RACERS 4
struct racer {
	struct client cl;
	const char *body;
	long status;
};

static void *race(void *p)
{
	struct racer *r = p;
	struct hresp *h = client_req(&r->cl, "POST", "/api/session", r->body, 1);

	r->status = h->status;
	hresp_free(h);
	return NULL;
}

START_TEST(parallel_signins_merge_once)
{
	struct client u, g;
	char email[128], body[400];
	struct racer rs[RACERS];
	pthread_t t[RACERS];
	long long uid;
	int ok = 0;
	json_t *c;

	uid = build_overflow(&u, &g, email, sizeof(email));
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, PW);
	for (int i = 0; i < RACERS; i++) {
		rs[i] = (struct racer){ g, body, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	/* Each either signed in, or found the guest session already gone
	 * (then its CSRF token is no one's: 403). */
	for (int i = 0; i < RACERS; i++) {
		ck_assert_msg(rs[i].status == 200 || rs[i].status == 403, "sign-in %d: %ld", i, rs[i].status);
		ok += rs[i].status == 200;
	}
	ck_assert_int_gt(ok, 0);
	c = get_cart(&u);
	check_overflow_merged(c, uid);
	json_decref(c);
}
END_TEST

/* The old guest cookie, after the merge, is a guest with an empty cart. */
START_TEST(old_guest_cookie_has_no_cart_after_merge)
{
	struct client u, g, old;
	char email[128], msg[1024];

	user(&u, email, sizeof(email));
	set_qty(&u, &skus[0], 1);
	guest(&g);
	set_qty(&g, &skus[1], 2);
	old = g;
	signin(&g, email, msg, sizeof(msg));
	{
		json_t *c = get_cart(&old);

		ck_assert_int_eq(field(c, "lines"), 0);
		json_decref(c);
	}
	{
		json_t *c = get_cart(&g);

		ck_assert_int_eq(check_shape(c, 0), 2);
		ck_assert_int_eq(qty_in(c, skus[1].code), 2);
		json_decref(c);
	}
}
END_TEST

/* Exactly CART_MAX_LINES together: everything fits, nothing is said about
 * items that did not. */
START_TEST(exactly_the_limit_fits)
{
	struct client u, g;
	char email[128], msg[2048];
	long long uid;
	json_t *c;

	uid = user(&u, email, sizeof(email));
	for (int i = 0; i < 60; i++)
		set_qty(&u, &skus[i], 1);
	guest(&g);
	for (int i = 40; i < 100; i++)
		set_qty(&g, &skus[i], 2);
	signin(&g, email, msg, sizeof(msg));
	SAYS_NOT(msg, "did not fit");
	SAYS(msg, "40 items from your earlier visit were added to your cart.");
	c = get_cart(&g);
	ck_assert_int_eq(check_shape(c, uid), CART_MAX_LINES);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(qty_in(c, skus[i].code), i < 40 ? 1 : 2);
	json_decref(c);
}
END_TEST

/* A full saved cart: a guest line already in it still takes the larger
 * quantity, a new one is dropped with the notice; the form sign-in shows
 * the notice on the next page (once). */
START_TEST(full_saved_cart_form_signin)
{
	struct client u, b;
	char email[128], body[512], key[40];
	long long uid;
	struct hresp *r;
	json_t *c;

	uid = user(&u, email, sizeof(email));
	for (int i = 0; i < CART_MAX_LINES; i++)
		set_qty(&u, &skus[i], 1);
	memset(&b, 0, sizeof(b));
	r = client_browse(&b, "GET", "/signin", NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(client_session(&b), 0);
	set_qty(&b, &skus[CART_MAX_LINES], 1);		/* new: does not fit */
	set_qty(&b, &skus[CART_MAX_LINES + 1], 3);	/* new: does not fit */
	set_qty(&b, &skus[7], 2);			/* shared: 2 > 1 wins */
	session_key(b.cookie, key);
	ck_assert_int_eq(guest_lines_in_redis(key), 3);
	snprintf(body, sizeof(body), "csrf=%s&email=%s&password=correct+horse+battery", b.csrf, email);
	r = client_browse(&b, "POST", "/signin", body);
	ck_assert_msg(r->status == 303, "form sign-in: %ld %.300s", r->status, r->body);
	hresp_free(r);
	r = client_browse(&b, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strstr(r->body, "2 items did not fit: a cart holds at most 100 different items.") != NULL,
		      "/cart lacks the notice: %.600s", r->body);
	hresp_free(r);
	r = client_browse(&b, "GET", "/cart", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(strstr(r->body, "did not fit") == NULL);
	hresp_free(r);
	ck_assert_int_eq(redis_int((snprintf(body, sizeof(body), "EXISTS %s", key), body)), 0);
	c = get_cart(&u);
	ck_assert_int_eq(check_shape(c, uid), CART_MAX_LINES);
	ck_assert_int_eq(qty_in(c, skus[7].code), 2);
	ck_assert_int_eq(qty_in(c, skus[CART_MAX_LINES].code), 0);
	ck_assert_int_eq(qty_in(c, skus[CART_MAX_LINES + 1].code), 0);
	json_decref(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cart-merge");
	TCase *t = tcase_create("cart-merge");

	harness_init();
	if (sodium_init() < 0)
		return 2;
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, overflow_keeps_saved_lines_drops_the_rest_with_a_notice);
	tcase_add_test(t, parallel_signins_merge_once);
	tcase_add_test(t, old_guest_cookie_has_no_cart_after_merge);
	tcase_add_test(t, exactly_the_limit_fits);
	tcase_add_test(t, full_saved_cart_form_signin);
	suite_add_tcase(s, t);
	return run_suite(s);
}
