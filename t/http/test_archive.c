/* The order archive (app/archive; docs/design.md section 11): closed
 * orders moved to the twin tables show identically on the shopper's pages
 * and API, a changed order is never moved, a batch that fails at any
 * statement leaves every order whole in one place, the stock still adds up
 * with shipped holds archived, and the payments reconciler still finds the
 * order behind an archived payment.
 *
 * Orders are made the shop's way (checkout, ship, deliver), then made
 * "old" by setting their updated_at back 200 days, the one thing SQL does
 * here; the archive's batches run in-process (as the job runs them) with
 * the stack's own job paused, so that only these batches move them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include <sodium.h>
#include "harness.h"
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/core/fault.h"
#include "../../app/store/db.h"
#include "../../app/archive/archive.h"
#include "../../app/order/order_link.h"
#include "../../app/reconcile/reconcile.h"
#include "../../app/module.h"

static struct db *db;
static struct arena *ar;
static struct client seller, seller2;
static char code[80];

/* ---- helpers ---- */

static json_t *api_json(struct client *cl, const char *path, long expect)
{
	struct hresp *r = client_req(cl, "GET", path, NULL, 0);
	json_t *j;

	ck_assert_msg(r->status == expect, "%s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

/* A new item of the seller's with plenty of units: its SKU code. */
static void item_new(struct client *cl, char *out, size_t n)
{
	char body[400];
	struct hresp *r;
	json_t *j;

	snprintf(body, sizeof(body), "{\"name\":\"Archive test lamp %d\",\"description\":\"A lamp for the archive "
		 "tests.\",\"price\":2599,\"quantity\":200}", (int)getpid());
	r = client_req(cl, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "item: %ld %s", r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	snprintf(out, n, "%s", json_string_value(json_object_get(json_array_get(json_object_get(j, "skus"), 0), "code")));
	json_decref(j);
}

/* A delivered order of a new buyer (signed in as buyer): its id. */
static long long delivered(struct client *buyer, const char *tag)
{
	char path[160];
	long long oid = buyer_shipped(buyer, &seller, code, tag, NULL, 0), sid;
	json_t *j;
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/seller/orders/%lld", oid);
	j = api_json(&seller, path, 200);
	sid = json_integer_value(json_object_get(json_array_get(json_object_get(j, "shipments"), 0), "id"));
	json_decref(j);
	ck_assert_int_gt(sid, 0);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments/%lld/delivered", oid, sid);
	r = client_req(&seller, "POST", path, "{}", 1);
	ck_assert_msg(r->status == 200, "delivered: %ld %s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'delivered' FROM orders WHERE id = %lld", oid), 1);
	return oid;
}

/* Closed for 200 days, as far as the archive can tell. */
/* Closed long ago: its last change and its delivery (past every return
 * window, which would keep it hot) 200 days back. */
static void age(long long oid)
{
	sql_execf("UPDATE shipments SET delivered_at = delivered_at - INTERVAL 200 DAY WHERE order_id = %lld "
		  "AND delivered_at IS NOT NULL", oid);
	sql_execf("UPDATE orders SET updated_at = NOW(3) - INTERVAL 200 DAY WHERE id = %lld", oid);
}

static int hot(long long oid)
{
	return (int)sql_scalarf("SELECT COUNT(*) FROM orders WHERE id = %lld", oid);
}

static int archived(long long oid)
{
	return (int)sql_scalarf("SELECT COUNT(*) FROM orders_archive WHERE id = %lld", oid);
}

/* Every row of the order, hot and archived: lines, events, holds,
 * shipments, refunds (each table's count in its own decimal place, so a
 * row lost or doubled anywhere changes the number). */
static long long rows_of(long long oid)
{
	return sql_scalarf(
		"SELECT (SELECT COUNT(*) FROM order_lines WHERE order_id = %lld) + (SELECT COUNT(*) FROM "
		"order_lines_archive WHERE order_id = %lld) + 10 * ((SELECT COUNT(*) FROM order_events WHERE order_id = %lld) "
		"+ (SELECT COUNT(*) FROM order_events_archive WHERE order_id = %lld)) + 1000 * ((SELECT COUNT(*) FROM holds "
		"WHERE order_id = %lld) + (SELECT COUNT(*) FROM holds_archive WHERE order_id = %lld)) + 100000 * ((SELECT "
		"COUNT(*) FROM shipments WHERE order_id = %lld) + (SELECT COUNT(*) FROM shipments_archive WHERE order_id = %lld)) "
		"+ 10000000 * ((SELECT COUNT(*) FROM orders WHERE id = %lld) + (SELECT COUNT(*) FROM orders_archive "
		"WHERE id = %lld))", oid, oid, oid, oid, oid, oid, oid, oid, oid, oid);
}

/* One batch in-process, as the job runs it; the result. */
static struct archive_result batch(void (*between)(void *), void *arg)
{
	struct archive_opts o = { -1, 50, "test", between, arg, 0 };
	struct archive_result r;

	ck_assert_int_eq(archive_batch(db, ar, &o, &r), E_OK);
	arena_reset(ar);
	return r;
}

/* ---- fixtures ---- */

static void setup(void)
{
	clear_ip_throttles();
	/* The stack's own archive job stays out of the way. */
	redis_cmd("SET test:jobs:pause archive");
	ck_assert_int_eq(config_load(&config), E_OK);
	paygate_setenv();
	modules_init();
	ar = arena_new(1 << 20);
	ck_assert_ptr_nonnull(ar);
	ck_assert_int_eq(db_open(&db), E_OK);
	if (!*code) {
		seller_new(&seller, "arsell", NULL);
		seller_new(&seller2, "arsell2", NULL);
		item_new(&seller, code, sizeof(code));
	}
}

static void teardown(void)
{
	fault_disarm();
	redis_cmd("DEL test:jobs:pause");
	db_close(db);
	arena_destroy(ar);
}

/* ---- tests ---- */

/* What a shopper and a seller see of an order, as text: the order page,
 * the API's order and the lists (page and API). */
struct seen {
	char *page, *api, *list_page, *list_api, *seller_api, *link;
};

static char *body_of(struct client *cl, const char *path, int html)
{
	struct hresp *r = html ? client_browse(cl, "GET", path, NULL) : client_req(cl, "GET", path, NULL, 0);
	char *s;

	ck_assert_msg(r->status == 200, "%s: %ld", path, r->status);
	s = strdup(r->body);
	hresp_free(r);
	return s;
}

static void look(struct client *buyer, long long oid, struct seen *s)
{
	char path[100];
	json_t *j;

	snprintf(path, sizeof(path), "/orders/%lld", oid);
	s->page = body_of(buyer, path, 1);
	snprintf(path, sizeof(path), "/api/orders/%lld", oid);
	s->api = body_of(buyer, path, 0);
	s->list_page = body_of(buyer, "/orders", 1);
	s->list_api = body_of(buyer, "/api/orders?size=1", 0);
	/* The signed link of the confirmation mail (guests), no session. */
	{
		struct hresp *r = http_get_json(order_link_path(ar, oid));

		ck_assert_msg(r->status == 200, "signed link: %ld", r->status);
		s->link = strdup(r->body);
		hresp_free(r);
	}
	/* The seller's view: the same apart from what an archived order no
	 * longer offers (it is read-only). */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld", oid);
	j = api_json(&seller, path, 200);
	json_object_del(j, "archived");
	{
		json_t *l;
		size_t i;

		json_array_foreach(json_object_get(j, "lines"), i, l) {
			json_object_del(l, "canRefund");
			json_object_del(l, "refundable");
		}
		json_array_foreach(json_object_get(j, "shipments"), i, l)
			json_object_del(l, "canDeliver");
	}
	s->seller_api = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
}

/* a and b the same text; else a failure that shows where they part (the
 * whole pages would be too long for Check's message). */
static void same_text(const char *what, const char *a, const char *b)
{
	size_t i = 0, from;
	const char *ma = strstr(a, "<main"), *mb = strstr(b, "<main");

	/* A page is compared from its <main> on: the header's navigation is
	 * the catalog's (another suite's new department may appear in it
	 * between the two looks), not the order's. */
	if (ma && mb) {
		a = ma;
		b = mb;
	}

	while (a[i] && a[i] == b[i])
		i++;
	if (!a[i] && !b[i])
		return;
	from = i > 40 ? i - 40 : 0;
	ck_assert_msg(0, "%s differs at byte %zu:\nbefore: ...%.300s\nafter:  ...%.300s", what, i, a + from, b + from);
}

START_TEST(archived_order_shows_identically)
{
	struct client buyer, other;
	struct seen before, after;
	long long older, oid;
	struct archive_result r;
	json_t *j;
	char path[100];

	older = delivered(&buyer, "arbuy");
	/* A second order of the same shopper, still hot: the list merges. */
	cart_put(&buyer, code, 2);
	{
		char body[400], key[64];
		struct hresp *h;

		snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
			 "\"paymentMethod\":\"pm_card_visa\"}", checkout_amount(&buyer));
		snprintf(key, sizeof(key), "ar-%d-%u", (int)getpid(), randombytes_random());
		h = post_idem(&buyer, "/api/checkout", body, key, NULL);
		ck_assert_msg(h->status == 201, "second order: %ld %s", h->status, h->body);
		j = hresp_json(h);
		oid = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		hresp_free(h);
	}
	ck_assert_int_gt(oid, older);
	age(older);
	look(&buyer, older, &before);
	r = batch(NULL, NULL);
	ck_assert_int_ge(r.moved, 1);
	ck_assert_int_eq(hot(older), 0);
	ck_assert_int_eq(archived(older), 1);
	ck_assert_int_eq(hot(oid), 1);	/* confirmed: not closed */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM holds_archive WHERE order_id = %lld AND state = 'shipped'",
				     older), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM shipments_archive WHERE order_id = %lld", older), 1);
	look(&buyer, older, &after);
	same_text("the order page", before.page, after.page);
	same_text("the API's order", before.api, after.api);
	same_text("the order list", before.list_page, after.list_page);
	same_text("the seller's API order", before.seller_api, after.seller_api);
	same_text("the signed link's page", before.link, after.link);
	/* The list: newest first across both places, the cursor too. */
	j = api_json(&buyer, "/api/orders?size=1", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")), oid);
	{
		char next[600];

		snprintf(next, sizeof(next), "/api/orders?size=1&cursor=%s",
			 json_string_value(json_object_get(j, "nextCursor")));
		json_decref(j);
		j = api_json(&buyer, next, 200);
		ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")),
				 older);
		json_decref(j);
	}
	/* The seller's list finds it too; the page says nothing to do. */
	j = api_json(&seller, "/api/seller/orders?size=50", 200);
	{
		json_t *o;
		size_t i;
		int found = 0;

		json_array_foreach(json_object_get(j, "items"), i, o)
			found |= json_integer_value(json_object_get(o, "id")) == older;
		ck_assert_msg(found, "the seller's list lost the archived order");
	}
	json_decref(j);
	/* The seller's page says so, offers nothing, and is valid HTML. */
	snprintf(path, sizeof(path), "/seller/orders/%lld", older);
	{
		struct hresp *h = client_browse(&seller, "GET", path, NULL);

		ck_assert_int_eq(h->status, 200);
		ck_assert_ptr_nonnull(strstr(h->body, "This order is archived"));
		ck_assert_ptr_null(strstr(h->body, "/refund\""));
		tidy_ok(h, "the seller's archived order");
		hresp_free(h);
	}
	snprintf(path, sizeof(path), "/api/seller/orders/%lld", older);
	j = api_json(&seller, path, 200);
	ck_assert(json_is_true(json_object_get(j, "archived")));
	ck_assert(json_is_false(json_object_get(json_array_get(json_object_get(j, "lines"), 0), "canRefund")));
	json_decref(j);
	/* Someone else's archived order is no order at all. */
	buyer_new(&other, "arother", NULL, 0);
	snprintf(path, sizeof(path), "/api/orders/%lld", older);
	json_decref(api_json(&other, path, 404));
	snprintf(path, sizeof(path), "/orders/%lld", older);
	{
		struct hresp *h = client_browse(&other, "GET", path, NULL);

		ck_assert_int_eq(h->status, 404);
		hresp_free(h);
	}
	snprintf(path, sizeof(path), "/api/seller/orders/%lld", older);
	json_decref(api_json(&seller2, path, 404));
	/* Read-only: cancelling answers as for any delivered order. */
	snprintf(path, sizeof(path), "/api/orders/%lld/cancel", older);
	{
		struct hresp *h = client_req(&buyer, "POST", path, "{}", 1);

		ck_assert_msg(h->status == 409, "cancel archived: %ld %s", h->status, h->body);
		hresp_free(h);
	}
	/* The seller may not refund it any more: archived, read-only. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", older);
	{
		struct hresp *h = client_req(&seller, "POST", path, "{\"lines\":[{\"line\":1,\"quantity\":1}]}", 1);

		ck_assert_msg(h->status == 409 && strstr(h->body, "archived"), "refund archived: %ld %s", h->status, h->body);
		hresp_free(h);
	}
	{
		struct hresp *h = client_req(&seller2, "POST", path, "{\"lines\":[{\"line\":1,\"quantity\":1}]}", 1);

		ck_assert_msg(h->status == 404, "another seller's refund: %ld %s", h->status, h->body);
		hresp_free(h);
	}
	ck_assert_int_eq(archived(older), 1);
	stock_invariants("after archiving");
	free(before.page), free(before.api), free(before.list_page), free(before.list_api), free(before.seller_api);
	free(after.page), free(after.api), free(after.list_page), free(after.list_api), free(after.seller_api);
	free(before.link), free(after.link);
}
END_TEST

/* The hook between reading the candidates and locking them: another
 * writer changes one order (any UPDATE moves updated_at). */
static void touch(void *arg)
{
	sql_execf("UPDATE orders SET payment_status = 'succeeded', updated_at = NOW(3) WHERE id = %lld", *(long long *)arg);
}

START_TEST(changed_order_never_moves)
{
	struct client b1, b2, b3;
	long long o1 = delivered(&b1, "archg1"), o2 = delivered(&b2, "archg2"), o3 = delivered(&b3, "archg3");
	struct archive_result r;

	age(o1);
	age(o2);
	age(o3);
	/* o3 has an open return: it stays while the return is open. */
	sql_execf("INSERT INTO returns (order_id, user_id, seller_id, status, reason) SELECT id, user_id, "
		  "(SELECT seller_id FROM order_lines WHERE order_id = %lld LIMIT 1), 'requested', 'archive test' "
		  "FROM orders WHERE id = %lld", o3, o3);
	sql_execf("INSERT INTO return_lines (return_id, line_no, quantity) SELECT id, 1, 1 FROM returns "
		  "WHERE order_id = %lld", o3);
	r = batch(touch, &o1);
	ck_assert_int_eq(hot(o1), 1);		/* changed meanwhile */
	ck_assert_int_eq(archived(o1), 0);
	ck_assert_int_eq(archived(o2), 1);
	ck_assert_int_eq(hot(o3), 1);		/* open return */
	ck_assert_int_ge(r.skipped, 1);
	/* Its change is recent now: not a candidate any more. */
	r = batch(NULL, NULL);
	ck_assert_int_eq(hot(o1), 1);
	/* The return closed: the order may go. */
	sql_execf("UPDATE returns SET status = 'rejected' WHERE order_id = %lld", o3);
	batch(NULL, NULL);
	ck_assert_int_eq(archived(o3), 1);
	ck_assert_int_eq(hot(o3), 0);
	/* Its closed return still shows what it was for: the lines come from
	 * the archived order. */
	{
		char path[80];
		json_t *j, *l;

		snprintf(path, sizeof(path), "/api/returns/%lld",
			 sql_scalarf("SELECT id FROM returns WHERE order_id = %lld", o3));
		j = api_json(&b3, path, 200);
		l = json_array_get(json_object_get(j, "lines"), 0);
		ck_assert_msg(l && json_string_length(json_object_get(l, "title")) > 0,
			      "the archived order's return lost its line");
		json_decref(j);
	}
	stock_invariants("after the batches");
}
END_TEST

/* A batch whose every statement in turn fails (an error, or the
 * connection lost) leaves the orders whole and hot; the run after it
 * moves them whole. */
START_TEST(failed_batch_rolls_back_whole)
{
	struct client b1, b2;
	long long o1 = delivered(&b1, "arflt1"), o2 = delivered(&b2, "arflt2");
	long long rows1 = rows_of(o1), rows2 = rows_of(o2);
	int n, done = 0;

	age(o1);
	age(o2);
	for (n = 1; n < 200 && !done; n++) {
		struct archive_opts o = { -1, 50, "test", NULL, NULL, 0 };
		struct archive_result r;
		char spec[40];
		enum err e;

		snprintf(spec, sizeof(spec), "db:%d:%s", n, n % 2 ? "error" : "lost");
		ck_assert_int_eq(fault_arm(spec), 0);
		e = archive_batch(db, ar, &o, &r);
		done = !fault_fired();
		fault_disarm();
		arena_reset(ar);
		/* All or nothing, each order in exactly one place, no row lost
		 * or doubled. */
		ck_assert_int_eq(hot(o1) + archived(o1), 1);
		ck_assert_int_eq(hot(o2) + archived(o2), 1);
		ck_assert_int_eq(archived(o1), archived(o2));
		ck_assert_int_eq(rows_of(o1), rows1);
		ck_assert_int_eq(rows_of(o2), rows2);
		if (done) {
			ck_assert_int_eq(e, E_OK);
			ck_assert_int_eq(archived(o1), 1);
		} else if (archived(o1)) {
			/* Only a fault after the commit can have moved them. */
			done = 1;
		}
	}
	ck_assert_msg(done, "the batch never ran through");
	ck_assert_int_gt(n, 10);	/* many statements failed in turn */
	ck_assert_int_eq(archived(o1) + archived(o2), 2);
	stock_invariants("after the failed batches");
}
END_TEST

/* The stock still adds up (the reconciler's ledger counts archived
 * shipped holds), and the payments reconciler finds the order behind an
 * archived capture instead of calling it unowned. */
START_TEST(reconcilers_see_the_archive)
{
	struct client b;
	long long oid = delivered(&b, "arrec");
	char intent[80];
	struct recon rc;
	json_t *f;
	size_t i;

	age(oid);
	batch(NULL, NULL);
	ck_assert_int_eq(archived(oid), 1);
	{
		struct hresp *h;
		char path[80];
		json_t *j;

		snprintf(path, sizeof(path), "/api/orders/%lld", oid);
		h = client_req(&b, "GET", path, NULL, 0);
		ck_assert_int_eq(h->status, 200);
		j = hresp_json(h);
		snprintf(intent, sizeof(intent), "%s",
			 json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
		json_decref(j);
		hresp_free(h);
	}
	ck_assert_int_gt(strlen(intent), 0);
	memset(&rc, 0, sizeof(rc));
	rc.log = json_array();
	ck_assert_int_eq(reconcile_stock(db, ar, &rc), E_OK);
	json_array_foreach(rc.log, i, f)
		ck_assert_msg(0, "stock finding: %s", json_string_value(json_object_get(f, "finding")));
	json_decref(rc.log);
	arena_reset(ar);
	/* Report only, over the intents of the last ten minutes. */
	memset(&rc, 0, sizeof(rc));
	rc.log = json_array();
	rc.horizon_s = 600;
	ck_assert_int_eq(reconcile_payments(db, ar, &rc), E_OK);
	ck_assert_int_gt(rc.checked, 0);
	json_array_foreach(rc.log, i, f)
		ck_assert_msg(strcmp(json_string_value(json_object_get(f, "subject")), intent),
			      "the archived order's payment: %s", json_string_value(json_object_get(f, "finding")));
	json_decref(rc.log);
	arena_reset(ar);
}
END_TEST

/* shopctl archive status and run, as an operator uses them. */
START_TEST(shopctl_archive)
{
	struct client b;
	long long oid = delivered(&b, "arctl");
	char args[80];

	ck_assert_int_eq(shopctl_run(NULL, NULL, "archive status"), 0);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "archive status --json"), 0);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "archive sideways"), MODULE_EXIT_USAGE);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "archive run --limit x"), MODULE_EXIT_USAGE);
	age(oid);
	snprintf(args, sizeof(args), "archive run --limit 1000");
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(archived(oid), 1);
	ck_assert_int_ge(sql_scalar("SELECT moved FROM archive_batches WHERE actor = 'shopctl' ORDER BY id DESC LIMIT 1"), 1);
	/* The status reads the last batch and the counts. */
	{
		json_t *j = NULL;

		ck_assert_int_eq(archive_status(db, ar, &j), E_OK);
		ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(j, "archived"), "delivered")), 1);
		ck_assert(json_is_object(json_object_get(j, "lastBatch")));
		json_decref(j);
		arena_reset(ar);
	}
}
END_TEST

/* The twins keep the shape of their hot tables (a move is SELECT *): a
 * migration that adds a column to one and not the other fails here. */
START_TEST(twins_have_the_same_columns)
{
	static const char *const t[] = { "orders", "order_lines", "order_events", "holds", "shipments", "refunds",
					  "refund_lines" };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(sql_scalarf("SELECT COUNT(*) FROM information_schema.columns h LEFT JOIN "
					  "information_schema.columns a ON a.table_schema = h.table_schema "
					  "AND a.table_name = '%s_archive' AND a.column_name = h.column_name "
					  "AND a.ordinal_position = h.ordinal_position AND a.column_type = h.column_type "
					  "WHERE h.table_schema = DATABASE() AND h.table_name = '%s' AND a.column_name IS NULL",
					  t[i], t[i]) == 0 &&
			      sql_scalarf("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() "
					  "AND table_name = '%s_archive'", t[i]) ==
			      sql_scalarf("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() "
					  "AND table_name = '%s'", t[i]),
			      "%s_archive differs from %s", t[i], t[i]);
}
END_TEST


/* ---- the job and shopctl take turns: one cursor, one lock ---- */

struct turns {
	pid_t child;
	int busy;	/* what a job's batch found meanwhile */
};

/* Inside a batch that holds the cursor: `shopctl archive run` starts (and
 * waits for the lock: seen waiting in the process list, up to 10 s), and a
 * batch as the job runs it, on a connection of its own, finds the cursor
 * held and does nothing. */
static void turns_hook(void *arg)
{
	struct turns *t = arg;
	struct archive_opts o = { -1, 50, "job", NULL, NULL, 1 };
	struct archive_result r;
	struct db *db2 = NULL;
	struct arena *a2 = arena_new(1 << 16);

	t->child = fork();
	if (t->child == 0)
		_exit(shopctl_run(NULL, NULL, "archive run") == 0 ? 0 : 1);
	for (int i = 0; i < 500 && sql_scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
					      "'%FROM archive_cursor%FOR UPDATE' AND INFO NOT LIKE '%PROCESSLIST%'") == 0;
	     i++)
		usleep(20000);
	ck_assert_int_eq(db_open(&db2), E_OK);
	ck_assert_int_eq(archive_batch(db2, a2, &o, &r), E_OK);
	t->busy = r.busy && r.moved == 0 && r.candidates == 0;
	db_close(db2);
	arena_destroy(a2);
}

START_TEST(job_and_shopctl_take_turns)
{
	struct client b1, b2, b3;
	long long o1 = delivered(&b1, "artrn1"), o2 = delivered(&b2, "artrn2"), o3 = delivered(&b3, "artrn3");
	long long last = sql_scalar("SELECT COALESCE(MAX(id), 0) FROM archive_batches");
	struct archive_opts o = { -1, 1, "test", turns_hook, NULL, 0 };
	struct archive_result r;
	struct turns t = { 0, 0 };
	int st = -1;

	age(o1);
	age(o2);
	age(o3);
	o.between_arg = &t;
	ck_assert_int_eq(archive_batch(db, ar, &o, &r), E_OK);
	arena_reset(ar);
	ck_assert_int_eq(r.candidates, 1);	/* a batch of one ... */
	ck_assert_int_eq(r.moved, 1);
	ck_assert_int_eq(r.skipped, 0);
	ck_assert_msg(t.busy, "the job's batch did not see the cursor held");
	ck_assert_int_gt(t.child, 0);
	ck_assert_int_eq(waitpid(t.child, &st, 0), t.child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "shopctl archive run failed");
	/* ... and shopctl, which waited for it, moved the rest: nobody
	 * skipped an order because the other held it. */
	ck_assert_int_eq(archived(o1) + archived(o2) + archived(o3), 3);
	ck_assert_int_eq(hot(o1) + hot(o2) + hot(o3), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COALESCE(SUM(skipped), 0) FROM archive_batches WHERE id > %lld", last), 0);
	ck_assert_int_ge(sql_scalarf("SELECT COALESCE(SUM(moved), 0) FROM archive_batches WHERE id > %lld AND "
				     "actor = 'shopctl'", last), 2);
	/* The walk reached its end: the next batch starts again. */
	ck_assert_int_eq(sql_scalar("SELECT status_no = 0 AND after_id = 0 FROM archive_cursor WHERE name = 'orders'"), 1);
	ck_assert_int_ge(sql_scalar("SELECT passes FROM archive_cursor WHERE name = 'orders'"), 1);
	stock_invariants("after the turns");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("archive");
	TCase *t = tcase_create("archive");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, twins_have_the_same_columns);
	tcase_add_test(t, archived_order_shows_identically);
	tcase_add_test(t, changed_order_never_moves);
	tcase_add_test(t, failed_batch_rolls_back_whole);
	tcase_add_test(t, reconcilers_see_the_archive);
	tcase_add_test(t, shopctl_archive);
	tcase_add_test(t, job_and_shopctl_take_turns);
	suite_add_tcase(s, t);
	return run_suite(s);
}
