/* t/http: the search reconciler (search_reconcile_batch, `shopd jobs`
 * "search-reconcile", every 200 ms) repairs the Sphinx index when it drifted
 * from MariaDB the ways it does in real life, with no outbox event to tell
 * the indexer:
 *   - a writer changed a product (price, title, a SKU code) and forgot its
 *     outbox row;
 *   - the index holds stale values (stock, rating), as after a reindex that
 *     raced an update;
 *   - a product left the storefront (archived, suspended, back to draft,
 *     deleted) and its document stayed;
 *   - a product's document is missing (a lost index).
 * Each drift is made, proven made (the SphinxQL statement's affected rows, or
 * no outbox row for the product), then GET /api/items is polled (30 s
 * deadline, no timing asserted) until it agrees with MariaDB; the repair also
 * shows as a "search: reconcile repaired" line in shopd.log. Once in sync,
 * the reconciler goes quiet (it does not rewrite documents forever).
 *
 * The products are the test's own, made through the seller API; the demo
 * catalog is not touched. They end archived and out of the index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mysql.h>
#include "harness.h"

#define DEADLINE 30		/* seconds to wait for a repair */
#define PRODUCT_TOPICS "('ProductUpdated', 'StockChanged')"

/* ---- searchd over SphinxQL ---- */

static MYSQL *sx;

static void sx_open(void)
{
	char path[600], port[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/run/search.port", getenv("SHOP_HOME"));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(port, sizeof(port), f));
	fclose(f);
	sx = mysql_init(NULL);
	ck_assert_msg(mysql_real_connect(sx, "127.0.0.1", "", "", NULL, (unsigned)atoi(port), NULL, 0) != NULL,
		      "SphinxQL on port %s: %s", port, mysql_error(sx));
}

/* Runs a SphinxQL statement; its affected rows. Fails the test on an error. */
static long long sx_exec(const char *q)
{
	MYSQL_RES *r;

	ck_assert_msg(mysql_query(sx, q) == 0, "SphinxQL %s: %s", q, mysql_error(sx));
	if ((r = mysql_store_result(sx)))
		mysql_free_result(r);
	return (long long)mysql_affected_rows(sx);
}

/* The first column of the first row as an integer (-1: no row). */
static long long sx_scalar(const char *q)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	long long v = -1;

	ck_assert_msg(mysql_query(sx, q) == 0, "SphinxQL %s: %s", q, mysql_error(sx));
	ck_assert_ptr_nonnull(r = mysql_store_result(sx));
	if ((row = mysql_fetch_row(r)) && row[0])
		v = atoll(row[0]);
	mysql_free_result(r);
	return v;
}

/* The copy of the product index searches read (search_meta's pointer). */
static const char *active_index(void)
{
	return sx_scalar("SELECT active FROM search_meta WHERE id = 1") == 1 ? "products_b" : "products_a";
}

/* ---- the shop ---- */

/* Search answers bypass nginx's microcache (a cookie shopd does not know). */
static json_t *search(const char *query)
{
	const char *h[] = { "Accept: application/json", "Cookie: sid=reconcile-test-no-cache", NULL };
	char path[512];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/items?%s", query);
	r = http("GET", path, NULL, h);
	ck_assert_msg(r->status == 200, "%s: %ld %.300s", path, r->status, r->body);
	ck_assert_ptr_nonnull(j = hresp_json(r));
	hresp_free(r);
	ck_assert_msg(!json_is_true(json_object_get(j, "degraded")), "%s: degraded (searchd away)", path);
	return j;
}

/* The card of product id in the answer to query (new reference), or NULL. */
static json_t *card_of(const char *query, long long id)
{
	json_t *j = search(query), *it, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(j, "items"), i, it)
		if (json_integer_value(json_object_get(it, "id")) == id)
			found = json_incref(it);
	json_decref(j);
	return found;
}

static long long ival(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* What a poll waits for. */
enum want { PRESENT, ABSENT };

/* Polls until product id is (or is not) found by query and, when present,
 * its card has price (>= 0 to check), stock (>= 0) and title (non-NULL).
 * Fails the test after DEADLINE seconds with what was seen last. */
static void wait_for(const char *query, long long id, enum want w, long long price, long long stock,
		     const char *title)
{
	time_t end = time(NULL) + DEADLINE;
	char seen[512] = "nothing";

	for (;;) {
		json_t *c = card_of(query, id);
		int ok;

		if (!c) {
			ok = w == ABSENT;
			snprintf(seen, sizeof(seen), "not found");
		} else {
			ok = w == PRESENT && (price < 0 || ival(c, "price") == price) &&
			     (stock < 0 || ival(c, "stock") == stock) &&
			     (!title || !strcmp(json_string_value(json_object_get(c, "title")), title));
			snprintf(seen, sizeof(seen), "found: price %lld, stock %lld, title %s", ival(c, "price"),
				 ival(c, "stock"), json_string_value(json_object_get(c, "title")));
			json_decref(c);
		}
		if (ok)
			return;
		ck_assert_msg(time(NULL) < end, "product %lld, /api/items?%s: wanted %s (price %lld, stock %lld, "
			      "title %s) within %d s, last seen %s", id, query, w == PRESENT ? "present" : "absent",
			      price, stock, title ? title : "-", DEADLINE, seen);
		usleep(100 * 1000);
	}
}

/* "search: reconcile repaired" lines in shopd.log (the jobs process logs
 * there). */
static long long repairs_logged(void)
{
	char path[600], line[1024];
	long long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/log/shopd.log", getenv("SHOP_HOME"));
	ck_assert_msg((f = fopen(path, "r")) != NULL, "cannot read %s", path);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "search: reconcile repaired ") != NULL;
	fclose(f);
	return n;
}

/* Waits until the log shows more repairs than before (the document was
 * rewritten by the reconciler, not by luck). */
static void wait_repair_logged(long long before)
{
	time_t end = time(NULL) + DEADLINE;

	while (repairs_logged() <= before) {
		ck_assert_msg(time(NULL) < end, "no \"search: reconcile repaired\" line in shopd.log within %d s",
			      DEADLINE);
		usleep(100 * 1000);
	}
}

static struct client seller;
static char word[64];		/* a word only this run's products have */

static void setup(void)
{
	clear_ip_throttles();
	sx_open();
	seller_new(&seller, "reconcile", NULL);
	snprintf(word, sizeof(word), "recon%dq%ld", (int)getpid(), (long)time(NULL) % 100000);
}

static void teardown(void)
{
	if (sx)
		mysql_close(sx);
	sx = NULL;
}

/* A product of the test's seller, found by search (through the indexer);
 * its id. Title "Gadget <word> <tag>", price cents, stock units. */
static long long product_new(const char *tag, long long price, int stock)
{
	char body[512], title[200], q[200];
	struct hresp *r;
	json_t *j;
	long long id;

	snprintf(title, sizeof(title), "Gadget %s %s", word, tag);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"price\":%lld,\"quantity\":%d,\"brand\":\"Reconcilia\","
		 "\"category\":\"home-decoration\"}", title, price, stock);
	r = client_req(&seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "POST /api/items: %ld %s", r->status, r->body);
	ck_assert_ptr_nonnull(j = hresp_json(r));
	id = ival(j, "id");
	json_decref(j);
	hresp_free(r);
	ck_assert_int_gt(id, 0);
	snprintf(q, sizeof(q), "term=%s%%20%s&size=100", word, tag);
	wait_for(q, id, PRESENT, price, stock, title);
	/* Every event of the new item handled: a later batch of the indexer
	 * would otherwise mend a drift a test makes (silently), before the
	 * reconciliation job could find it (a full make test saw it). */
	search_settled();
	return id;
}

/* Archives the product with its event, as a writer does: it leaves the
 * index through the indexer. */
static void product_retire(long long id)
{
	sql_execf("UPDATE products SET status = 'archived' WHERE id = %lld", id);
	sql_execf("INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('ProductUpdated', %lld, "
		  "JSON_OBJECT('id', %lld))", id, id);
}

/* No event of a product topic for id after outbox position pos. */
static void no_event_since(long long pos, long long id)
{
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE id > %lld AND aggregate_id = %lld AND "
				     "topic IN " PRODUCT_TOPICS, pos, id), 0);
}

/* ---- the tests ---- */

/* A writer changes price and title in MariaDB and forgets the outbox row. */
START_TEST(lost_event_price_and_title)
{
	long long id = product_new("lamp", 2500, 7), pos, logged;
	char q[200], title[200];

	pos = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox");
	logged = repairs_logged();
	snprintf(title, sizeof(title), "Gadget %s lamp %sglow", word, word);
	sql_execf("UPDATE skus SET price = 3975 WHERE product_id = %lld", id);
	sql_execf("UPDATE products SET price = 3975, title = '%s' WHERE id = %lld", title, id);
	resync_read_model();
	no_event_since(pos, id);

	/* The new word finds it, with the new price and title. */
	snprintf(q, sizeof(q), "term=%sglow", word);
	wait_for(q, id, PRESENT, 3975, 7, title);
	snprintf(q, sizeof(q), "term=%s%%20lamp&size=100", word);
	wait_for(q, id, PRESENT, 3975, 7, title);
	/* Price filters see the new price: in the index's attributes, not
	 * only in the stored copy. */
	snprintf(q, sizeof(q), "term=%s%%20lamp&minPrice=3975&maxPrice=3975", word);
	wait_for(q, id, PRESENT, 3975, -1, NULL);
	snprintf(q, sizeof(q), "term=%s%%20lamp&maxPrice=2500", word);
	wait_for(q, id, ABSENT, -1, -1, NULL);
	no_event_since(pos, id);
	wait_repair_logged(logged);

	/* A SKU code changed (the read model refreshed, as every writer of
	 * skus does) with no event: the new code finds the product. */
	logged = repairs_logged();
	sql_execf("UPDATE skus SET code = 'RCX%s' WHERE product_id = %lld", word, id);
	resync_read_model();
	no_event_since(pos, id);
	snprintf(q, sizeof(q), "term=RCX%s", word);
	wait_for(q, id, PRESENT, 3975, 7, title);
	wait_repair_logged(logged);
	product_retire(id);
}
END_TEST

/* The index holds stale attributes (a reindex that raced an update): stock
 * 0 where MariaDB has 6, a rating MariaDB does not have, an old price. */
START_TEST(stale_index_attributes)
{
	long long id = product_new("kettle", 1999, 6), logged;
	char q[300], stmt[300];

	logged = repairs_logged();
	snprintf(stmt, sizeof(stmt), "UPDATE %s SET stock = 0, rating = 480, price = 99 WHERE id = %lld",
		 active_index(), id);
	ck_assert_int_eq(sx_exec(stmt), 1);
	/* In stock again, at its price, with no rating. */
	snprintf(q, sizeof(q), "term=%s%%20kettle&inStock=1", word);
	wait_for(q, id, PRESENT, 1999, 6, NULL);
	snprintf(q, sizeof(q), "term=%s%%20kettle&minRating=4", word);
	wait_for(q, id, ABSENT, -1, -1, NULL);
	snprintf(q, sizeof(q), "term=%s%%20kettle&maxPrice=100", word);
	wait_for(q, id, ABSENT, -1, -1, NULL);
	{
		json_t *c;

		snprintf(q, sizeof(q), "term=%s%%20kettle", word);
		ck_assert_ptr_nonnull(c = card_of(q, id));
		ck_assert_int_eq(ival(c, "price"), 1999);
		ck_assert_int_eq(ival(c, "stock"), 6);
		ck_assert(json_real_value(json_object_get(c, "rating")) == 0.0);
		json_decref(c);
	}
	snprintf(stmt, sizeof(stmt), "SELECT stock FROM %s WHERE id = %lld", active_index(), id);
	ck_assert_int_eq(sx_scalar(stmt), 6);
	wait_repair_logged(logged);
	product_retire(id);
}
END_TEST

/* Products that left the storefront in MariaDB with no event: archived,
 * suspended (as when the shop suspends a seller), back to draft, deleted.
 * Their documents go. */
START_TEST(inactive_products_leave_the_index)
{
	static const char *const how[] = { "archived", "suspended", "draft", "deleted" };
	long long ids[4], keep, pos, logged;
	char q[200];

	for (int i = 0; i < 4; i++)
		ids[i] = product_new(how[i], 1500 + i, 3);
	keep = product_new("stays", 1600, 3);
	pos = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox");
	logged = repairs_logged();
	for (int i = 0; i < 3; i++)
		sql_execf("UPDATE products SET status = '%s' WHERE id = %lld", how[i], ids[i]);
	sql_execf("DELETE FROM products WHERE id = %lld", ids[3]);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM products WHERE id = %lld", ids[3]), 0);
	for (int i = 0; i < 4; i++) {
		no_event_since(pos, ids[i]);
		snprintf(q, sizeof(q), "term=%s&size=100", word);
		wait_for(q, ids[i], ABSENT, -1, -1, NULL);
		snprintf(q, sizeof(q), "term=%s%%20%s", word, how[i]);
		wait_for(q, ids[i], ABSENT, -1, -1, NULL);
	}
	/* The document is gone from the index itself, not just hidden. */
	for (int i = 0; i < 4; i++) {
		char stmt[200];

		snprintf(stmt, sizeof(stmt), "SELECT COUNT(*) FROM %s WHERE id = %lld", active_index(), ids[i]);
		ck_assert_int_eq(sx_scalar(stmt), 0);
	}
	/* The active one beside them stays. */
	snprintf(q, sizeof(q), "term=%s&size=100", word);
	wait_for(q, keep, PRESENT, 1600, 3, NULL);
	wait_repair_logged(logged);
	for (int i = 0; i < 3; i++)
		no_event_since(pos, ids[i]);
	product_retire(keep);
}
END_TEST

/* Documents missing from the index (a lost index, or one that was never
 * written): each comes back whole. */
START_TEST(missing_documents_come_back)
{
	long long a = product_new("sofa", 45000, 2), b = product_new("pillow", 1250, 40), logged;
	char q[200], stmt[300], title[200];

	logged = repairs_logged();
	snprintf(stmt, sizeof(stmt), "DELETE FROM %s WHERE id IN (%lld, %lld)", active_index(), a, b);
	ck_assert_int_eq(sx_exec(stmt), 2);
	snprintf(title, sizeof(title), "Gadget %s sofa", word);
	snprintf(q, sizeof(q), "term=%s%%20sofa", word);
	wait_for(q, a, PRESENT, 45000, 2, title);
	snprintf(title, sizeof(title), "Gadget %s pillow", word);
	snprintf(q, sizeof(q), "term=%s%%20pillow&inStock=1&brand=Reconcilia", word);
	wait_for(q, b, PRESENT, 1250, 40, title);
	snprintf(stmt, sizeof(stmt), "SELECT COUNT(*) FROM %s WHERE id IN (%lld, %lld)", active_index(), a, b);
	ck_assert_int_eq(sx_scalar(stmt), 2);
	wait_repair_logged(logged);
	product_retire(a);
	product_retire(b);
}
END_TEST

/* In sync, the reconciler has nothing to repair: within the deadline comes
 * a stretch of 2 s (10 passes over this catalog) with no repair logged. A
 * reconciler that rewrote documents on every pass (a comparison that never
 * agrees) never goes quiet. */
START_TEST(quiet_when_in_sync)
{
	time_t end = time(NULL) + DEADLINE;
	long long last = repairs_logged();
	int quiet = 0;

	while (quiet < 20) {
		long long now;

		ck_assert_msg(time(NULL) < end, "the reconciler repaired something every 2 s for %d s "
			      "(\"search: reconcile repaired\" in shopd.log)", DEADLINE);
		usleep(100 * 1000);
		now = repairs_logged();
		quiet = now == last ? quiet + 1 : 0;
		last = now;
	}
	/* In sync: every active product is in the index, and nothing else. */
	{
		char stmt[200];

		snprintf(stmt, sizeof(stmt), "SELECT COUNT(*) FROM %s", active_index());
		ck_assert_int_eq(sx_scalar(stmt), sql_scalar("SELECT COUNT(*) FROM products WHERE status = 'active'"));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-search-reconcile");
	TCase *tc = tcase_create("search-reconcile");

	harness_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, lost_event_price_and_title);
	tcase_add_test(tc, stale_index_attributes);
	tcase_add_test(tc, inactive_products_leave_the_index);
	tcase_add_test(tc, missing_documents_come_back);
	tcase_add_test(tc, quiet_when_in_sync);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
