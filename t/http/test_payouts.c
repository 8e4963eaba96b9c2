/* t/http: seller payouts (issue 19) against the real stack and the sandbox
 * gateway: commission rates (seller, category, shop) through the admin API;
 * the ledger written by the "payouts" consumer from real shipments and
 * refunds balances against what the gateway captured and refunded and
 * against the orders' shipments and refunds; a replay of the stream writes
 * nothing twice; periods close into statements (SHOP_PAYOUT_PERIOD=1 on
 * test stacks) with a negative balance carried over; an admin marks one
 * paid (audited, once); statements as pages, JSON and CSV (every entry
 * names its order and line; formula cells guarded); a seller never sees
 * another's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "harness.h"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)

static struct client admin;
static char admin_email[128];

/* ---- helpers ---- */

static void admin_make(void)
{
	char args[300];

	if (admin.cookie[0])
		return;
	snprintf(admin_email, sizeof(admin_email), "%s", fresh_email("payadm"));
	ck_assert_int_eq(client_signup(&admin, "Ada Admin", admin_email, "correct horse battery"), 0);
	snprintf(args, sizeof(args), "grant %s admin", admin_email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(client_session(&admin), 0);
}

/* A new seller with an item of its own (50 units) in the category of the
 * demo's prefix* products (harness seller_item_like); its SKU code into
 * code. */
static long long seller_with(struct client *cl, const char *tag, const char *prefix, char *code, size_t n,
			     long long *sku_out)
{
	long long sid = seller_item_like(cl, tag, prefix, code, n, NULL);

	if (sku_out)
		*sku_out = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
	return sid;
}

/* A paid order of q units of code by a new shopper; its intent into intent. */
static long long paid_order(const char *code, int q, char *intent, size_t n)
{
	static int k;
	struct client buyer;
	char body[700], key[80];
	struct hresp *r;
	json_t *j;
	long long amount, oid;

	buyer_new(&buyer, "paybuyer", NULL, 0);
	cart_put(&buyer, code, q);
	amount = checkout_amount(&buyer);
	snprintf(body, sizeof(body), "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", amount);
	snprintf(key, sizeof(key), "po-%d-%d-%u", (int)getpid(), ++k, randombytes_random());
	r = post_idem(&buyer, "/api/checkout", body, key, NULL);
	ck_assert_msg(r->status == 201, "checkout %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	snprintf(intent, n, "%s", json_string_value(json_object_get(json_object_get(j, "payment"), "id")));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_gt(oid, 0);
	return oid;
}

static void ship(struct client *seller, long long oid)
{
	static int k;
	char path[100], body[200];
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	snprintf(body, sizeof(body), "{\"lines\":[1],\"carrier\":\"UPS\",\"tracking\":\"1ZPO%d%d%u\"}", (int)getpid(), ++k,
		 randombytes_random() % 100000);
	r = client_req(seller, "POST", path, body, 1);
	ck_assert_msg(r->status == 201, "ship %ld %s", r->status, r->body);
	hresp_free(r);
}

static void refund(struct client *seller, long long oid, int q)
{
	char path[100], body[100];
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid);
	snprintf(body, sizeof(body), "{\"lines\":[{\"line\":1,\"quantity\":%d}]}", q);
	r = client_req(seller, "POST", path, body, 1);
	ck_assert_msg(r->status == 201, "refund %ld %s", r->status, r->body);
	hresp_free(r);
}

/* Polls (20 ms) until sql answers want; up to 10 s. */
static void wait_for(long long want, const char *sql)
{
	for (int i = 0; i < 500; i++) {
		if (sql_scalar(sql) == want)
			return;
		usleep(20000);
	}
	ck_abort_msg("waited 10 s for %lld from %s (now %lld)", want, sql, sql_scalar(sql));
}

static void wait_entries(long long oid, long long n)
{
	char q[200];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM seller_ledger WHERE order_id = %lld", oid);
	wait_for(n, q);
}

/* Every entry of the seller is in a statement (the 1 s periods closed). */
static void wait_closed(long long sid)
{
	char q[200];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM seller_ledger WHERE seller_id = %lld AND statement_id IS NULL", sid);
	wait_for(0, q);
}

static long long intent_num(const char *intent, const char *field)
{
	char path[200];
	struct hresp *r;
	json_t *j;
	long long v;

	snprintf(path, sizeof(path), "/v1/payment_intents/%s", intent);
	r = paygate_req("GET", path, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	v = json_integer_value(json_object_get(j, field));
	json_decref(j);
	hresp_free(r);
	return v;
}

static json_t *get_json(struct client *cl, const char *path, long want)
{
	struct hresp *r = client_req(cl, "GET", path, NULL, 0);
	json_t *j;

	ck_assert_msg(r->status == want, "GET %s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

/* A user's email (test-made addresses: no quotes in them). */
static void get_email(long long uid, char *out, size_t n)
{
	char cmd[300];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mariadb -S %s/run/mysqld.sock -u root -N -B shop -e "
		 "\"SELECT email FROM users WHERE id = %lld\"", getenv("SHOP_HOME"), uid);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(out, (int)n, f));
	pclose(f);
	out[strcspn(out, "\n")] = 0;
}

static long rate_put(const char *body, char *out, size_t n)
{
	struct hresp *r = client_req(&admin, "PUT", "/api/admin/commission-rates", body, 1);
	long st = r->status;

	if (out)
		snprintf(out, n, "%s", r->body);
	hresp_free(r);
	return st;
}

static void setup(void)
{
	clear_ip_throttles();
	paygate_setenv();
	admin_make();
}

/* ---- the ledger against the gateway ---- */

START_TEST(ledger_balances_with_gateway)
{
	struct client sa;
	char code[64], intent[80], body[200], out[2000];
	long long sid = seller_with(&sa, "paysa", "MOT-", code, sizeof(code), NULL), oid, captured, refunded;

	/* The seller's own rate: 12.5 %. */
	snprintf(body, sizeof(body), "{\"scope\":\"seller\",\"id\":%lld,\"bps\":1250}", sid);
	ck_assert_int_eq(rate_put(body, out, sizeof(out)), 200);
	ck_assert_ptr_nonnull(strstr(out, "\"bps\":1250"));
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'commission.set' AND "
				     "target = 'commission:seller:%lld'", sid), 1);

	oid = paid_order(code, 3, intent, sizeof(intent));
	ship(&sa, oid);
	wait_entries(oid, 1);
	refund(&sa, oid, 1);
	wait_entries(oid, 2);
	refund(&sa, oid, 2);
	wait_entries(oid, 3);

	captured = intent_num(intent, "amount_received");
	refunded = intent_num(intent, "amount_refunded");
	ck_assert_int_gt(captured, 0);
	ck_assert_int_eq(refunded, captured);	/* all three units came back */
	/* The ledger against the gateway: credits are what it captured,
	 * debits what it refunded. */
	ck_assert_int_eq(sql_scalarf("SELECT SUM(gross) FROM seller_ledger WHERE order_id = %lld AND kind = 'sale'", oid),
			 captured);
	ck_assert_int_eq(sql_scalarf("SELECT -SUM(gross) FROM seller_ledger WHERE order_id = %lld AND kind = 'refund'", oid),
			 refunded);
	/* ... and against the order's shipments and refunds. */
	ck_assert_int_eq(sql_scalarf("SELECT SUM(amount) FROM shipments WHERE order_id = %lld AND status <> 'pending'", oid),
			 captured);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(amount) FROM refunds WHERE order_id = %lld AND status = 'succeeded'", oid),
			 refunded);
	/* Commission at the seller's rate, half up; a line refunded in two
	 * parts gives back exactly the commission it was charged. */
	ck_assert_int_eq(sql_scalarf("SELECT commission FROM seller_ledger WHERE order_id = %lld AND kind = 'sale'", oid),
			 (captured * 1250 + 5000) / 10000);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(commission) FROM seller_ledger WHERE order_id = %lld", oid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(net) FROM seller_ledger WHERE order_id = %lld", oid), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE order_id = %lld AND (bps <> 1250 OR "
				     "seller_id <> %lld OR net <> gross - commission)", oid, sid), 0);
	/* Every shipped and refunded order of the stack balances the same way
	 * once the consumer has passed it, in the order's own currency. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT s.order_id, SUM(s.amount) a FROM shipments s "
				    "WHERE s.status <> 'pending' AND s.order_id IN (SELECT order_id FROM seller_ledger) "
				    "GROUP BY s.order_id) x WHERE x.a <> (SELECT SUM(amount) FROM seller_ledger l "
				    "WHERE l.order_id = x.order_id AND l.kind = 'sale')"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT r.order_id, SUM(r.amount) a FROM refunds r "
				    "WHERE r.status = 'succeeded' AND r.order_id IN (SELECT order_id FROM seller_ledger) "
				    "GROUP BY r.order_id) x WHERE x.a <> (SELECT -SUM(amount) FROM seller_ledger l "
				    "WHERE l.order_id = x.order_id AND l.kind = 'refund')"), 0);

	/* The seller's rate removed: the shop's applies to later lines. */
	snprintf(body, sizeof(body), "{\"scope\":\"seller\",\"id\":%lld,\"bps\":null}", sid);
	ck_assert_int_eq(rate_put(body, NULL, 0), 200);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM commission_rates WHERE scope = 'seller' AND scope_id = %lld", sid), 0);
}
END_TEST

/* ---- a replay of the stream writes nothing twice ---- */

START_TEST(replay_does_not_double)
{
	struct client sa;
	char code[64], intent[80], args[200];
	long long oid, first, last_seq, before_rows, before_sum;

	seller_with(&sa, "paysr", "SUN-", code, sizeof(code), NULL);
	oid = paid_order(code, 2, intent, sizeof(intent));
	ship(&sa, oid);
	refund(&sa, oid, 1);
	wait_entries(oid, 2);
	before_rows = sql_scalar("SELECT COUNT(*) FROM seller_ledger");
	before_sum = sql_scalar("SELECT COALESCE(SUM(gross), 0) FROM seller_ledger");
	first = sql_scalarf("SELECT MIN(id) FROM outbox WHERE topic = 'ShipmentShipped' AND aggregate_id = %lld", oid);
	ck_assert_int_gt(first, 0);
	last_seq = sql_scalar("SELECT MAX(seq) FROM outbox");
	snprintf(args, sizeof(args), "events replay payouts --from %lld", first);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	/* Delivered again up to where it was, and nothing new written. */
	{
		char q[200];

		snprintf(q, sizeof(q), "SELECT position >= %lld FROM event_consumers WHERE name = 'payouts'", last_seq);
		wait_for(1, q);
	}
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM seller_ledger"), before_rows);
	ck_assert_int_eq(sql_scalar("SELECT COALESCE(SUM(gross), 0) FROM seller_ledger"), before_sum);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE order_id = %lld", oid), 2);
}
END_TEST

/* ---- periods, statements, CSV, paying, carrying a negative balance ---- */

START_TEST(statements_close_pay_and_carry)
{
	struct client sb;
	char code[64], intent[80], intent2[80], path[200];
	long long sid = seller_with(&sb, "paysb", "VEH-", code, sizeof(code), NULL), oid, oid2, st1, st2, st3, gross;
	struct hresp *r;
	json_t *j, *s, *e;

	oid = paid_order(code, 2, intent, sizeof(intent));
	ship(&sb, oid);
	wait_entries(oid, 1);
	wait_closed(sid);
	gross = intent_num(intent, "amount_received");
	st1 = sql_scalarf("SELECT statement_id FROM seller_ledger WHERE order_id = %lld", oid);
	ck_assert_int_gt(st1, 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payout_statements WHERE id = %lld AND status = 'pending' AND "
				     "gross = %lld AND payout = net AND opening = 0 AND carry = 0", st1, gross), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'PayoutClosed' AND aggregate_id = %lld AND "
				     "JSON_VALUE(payload, '$.statementId') = %lld", sid, st1), 1);
	/* The seller hears of it (their account's address: no contact one). */
	{
		char email[200], subject[100], *mail;

		get_email(sql_scalarf("SELECT user_id FROM sellers WHERE id = %lld", sid), email, sizeof(email));
		snprintf(subject, sizeof(subject), "Your payout statement %lld", st1);
		mail = maildir_wait(email, subject, 10);
		ck_assert_msg(mail != NULL, "no statement mail to %s", email);
		free(mail);
	}

	/* The seller's API and pages. */
	j = get_json(&sb, "/api/seller/payouts", 200);
	s = json_array_get(json_object_get(j, "statements"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(s, "id")), st1);
	ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "pending");
	json_decref(j);
	snprintf(path, sizeof(path), "/api/seller/payouts/%lld", st1);
	j = get_json(&sb, path, 200);
	s = json_object_get(j, "statement");
	e = json_array_get(json_object_get(s, "entries"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "orderId")), oid);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "line")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "quantity")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "gross")), gross);
	ck_assert_str_eq(json_string_value(json_object_get(e, "sku")), code);
	json_decref(j);
	r = client_browse(&sb, "GET", "/seller/payouts", NULL);
	ck_assert_int_eq(r->status, 200);
	snprintf(path, sizeof(path), "/seller/payouts/%lld/csv", st1);
	HAS(r, path);
	tidy_ok(r, "/seller/payouts");
	hresp_free(r);
	snprintf(path, sizeof(path), "/seller/payouts/%lld", st1);
	r = client_browse(&sb, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	tidy_ok(r, "a statement page");
	hresp_free(r);

	/* The CSV: one row per entry naming order and line; a title that a
	 * spreadsheet would run as a formula is written as text. */
	sql_execf("UPDATE order_lines SET title = '=HYPERLINK(\"http://evil\",\"x\")' WHERE order_id = %lld", oid);
	snprintf(path, sizeof(path), "/seller/payouts/%lld/csv", st1);
	r = client_req(&sb, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Type"), "text/csv"));
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Content-Disposition"), "attachment"));
	HAS(r, "statement,entry,date,kind,order,line,sku");
	{
		char row[200];

		snprintf(row, sizeof(row), ",sale,%lld,1,%s,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",2,USD,", oid, code);
		HAS(r, row);
	}
	hresp_free(r);

	/* An admin marks it paid: once, audited, PayoutPaid. */
	snprintf(path, sizeof(path), "/api/admin/payouts/%lld/paid", st1);
	r = client_req(&admin, "POST", path, "{\"reference\":\"TR-1\"}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"status\":\"paid\"");
	hresp_free(r);
	r = client_req(&admin, "POST", path, "{\"reference\":\"TR-2\"}", 1);
	ck_assert_int_eq(r->status, 409);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM audit_log WHERE action = 'payout.pay' AND target = 'payout:%lld' "
				     "AND actor LIKE 'user:%%'", st1), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'PayoutPaid' AND "
				     "JSON_VALUE(payload, '$.statementId') = %lld", st1), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payout_statements WHERE id = %lld AND reference = 'TR-1'", st1), 1);
	{
		char email[200], subject[100], *mail;

		get_email(sql_scalarf("SELECT user_id FROM sellers WHERE id = %lld", sid), email, sizeof(email));
		snprintf(subject, sizeof(subject), "Payout statement %lld is paid", st1);
		mail = maildir_wait(email, subject, 10);
		ck_assert_msg(mail != NULL, "no paid mail to %s", email);
		ck_assert_ptr_nonnull(strstr(mail, "TR-1"));
		free(mail);
	}

	/* Everything refunded after it was paid: the next statement is
	 * negative, pays nothing and carries the balance over ... */
	refund(&sb, oid, 2);
	wait_entries(oid, 2);
	wait_closed(sid);
	st2 = sql_scalarf("SELECT MAX(id) FROM payout_statements WHERE seller_id = %lld", sid);
	ck_assert_int_gt(st2, st1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payout_statements WHERE id = %lld AND net < 0 AND payout = 0 "
				     "AND carry = closing AND closing = net AND status = 'paid'", st2), 1);
	/* ... into the one after: opening = the carry. */
	oid2 = paid_order(code, 3, intent2, sizeof(intent2));
	ship(&sb, oid2);
	wait_entries(oid2, 1);
	wait_closed(sid);
	st3 = sql_scalarf("SELECT MAX(id) FROM payout_statements WHERE seller_id = %lld", sid);
	ck_assert_int_gt(st3, st2);
	ck_assert_int_eq(sql_scalarf("SELECT opening FROM payout_statements WHERE id = %lld", st3),
			 sql_scalarf("SELECT carry FROM payout_statements WHERE id = %lld", st2));
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payout_statements WHERE id = %lld AND closing = opening + net "
				     "AND payout = GREATEST(closing, 0)", st3), 1);
	/* Over all statements of the seller: what was paid and what is owed
	 * (or carried) is the ledger's net. */
	ck_assert_int_eq(sql_scalarf("SELECT SUM(net) FROM payout_statements WHERE seller_id = %lld", sid),
			 sql_scalarf("SELECT SUM(net) FROM seller_ledger WHERE seller_id = %lld", sid));
	ck_assert_int_eq(sql_scalarf("SELECT SUM(payout) FROM payout_statements WHERE seller_id = %lld", sid) +
			 sql_scalarf("SELECT carry FROM payout_statements WHERE id = %lld", st3),
			 sql_scalarf("SELECT SUM(net) FROM seller_ledger WHERE seller_id = %lld", sid));
	/* shopctl pays the pending one. */
	{
		char args[100];

		snprintf(args, sizeof(args), "payouts pay %lld BANK-7", st3);
		ck_assert_int_gt(sql_scalarf("SELECT payout FROM payout_statements WHERE id = %lld", st3), 0);
		ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payout_statements WHERE id = %lld AND status = 'paid' "
					     "AND reference = 'BANK-7' AND paid_by = 'shopctl'", st3), 1);
		ck_assert_int_eq(shopctl_run(NULL, NULL, args), 1);	/* once */
	}
}
END_TEST

/* ---- who sees what ---- */

START_TEST(sellers_see_only_their_own)
{
	struct client sa, sb, shopper;
	char code_a[64], code_b[64], intent[80], path[200], body[200], out[2000];
	long long sid_a = seller_with(&sa, "paysx", "TOP-", code_a, sizeof(code_a), NULL), oid, st, cat;
	struct hresp *r;
	json_t *j;

	seller_with(&sb, "paysy", "FRA-", code_b, sizeof(code_b), NULL);
	/* A category's rate applies to a seller without their own. */
	cat = sql_scalarf("SELECT p.category_id FROM skus s JOIN products p ON p.id = s.product_id WHERE s.code = '%s'",
			  code_a);
	snprintf(body, sizeof(body), "{\"scope\":\"category\",\"id\":%lld,\"bps\":700}", cat);
	ck_assert_int_eq(rate_put(body, NULL, 0), 200);
	oid = paid_order(code_a, 1, intent, sizeof(intent));
	ship(&sa, oid);
	wait_entries(oid, 1);
	ck_assert_int_eq(sql_scalarf("SELECT bps FROM seller_ledger WHERE order_id = %lld", oid), 700);
	snprintf(body, sizeof(body), "{\"scope\":\"category\",\"id\":%lld,\"bps\":null}", cat);
	ck_assert_int_eq(rate_put(body, NULL, 0), 200);
	wait_closed(sid_a);
	st = sql_scalarf("SELECT statement_id FROM seller_ledger WHERE order_id = %lld", oid);

	/* Seller B: a plain 404 for A's statement, page, API and CSV. */
	snprintf(path, sizeof(path), "/api/seller/payouts/%lld", st);
	r = client_req(&sb, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/seller/payouts/%lld", st);
	r = client_browse(&sb, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/seller/payouts/%lld/csv", st);
	r = client_req(&sb, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	j = get_json(&sb, "/api/seller/payouts", 200);
	{
		char *text = json_dumps(j, 0);

		ck_assert_ptr_null(strstr(text, code_a));
		free(text);
	}
	json_decref(j);
	/* Sellers and shoppers: no admin pages; shoppers: no seller pages. */
	r = client_req(&sb, "GET", "/api/admin/payouts", NULL, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&sb, "PUT", "/api/admin/commission-rates", "{\"scope\":\"shop\",\"bps\":0}", 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	buyer_new(&shopper, "paysh", NULL, 0);
	r = client_req(&shopper, "GET", "/api/seller/payouts", NULL, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	/* The admin sees every statement, as page, JSON and CSV. */
	snprintf(path, sizeof(path), "/api/admin/payouts/%lld", st);
	j = get_json(&admin, path, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "statement"), "sellerId")), sid_a);
	json_decref(j);
	r = client_browse(&admin, "GET", "/admin/payouts?status=pending", NULL);
	ck_assert_int_eq(r->status, 200);
	tidy_ok(r, "/admin/payouts");
	hresp_free(r);
	snprintf(path, sizeof(path), "/admin/payouts/%lld", st);
	r = client_browse(&admin, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Mark paid");
	hresp_free(r);
	/* The page's form: paid with its reference, once. */
	{
		char form[300];

		snprintf(path, sizeof(path), "/admin/payouts/%lld/paid", st);
		snprintf(form, sizeof(form), "csrf=%s&reference=FORM-1", admin.csrf);
		r = client_browse(&admin, "POST", path, form);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM payout_statements WHERE id = %lld AND status = 'paid' "
					     "AND reference = 'FORM-1'", st), 1);
		r = client_browse(&admin, "POST", path, form);
		ck_assert_int_eq(r->status, 409);
		hresp_free(r);
		snprintf(form, sizeof(form), "reference=NO-TOKEN");
		r = client_browse(&admin, "POST", path, form);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
	}

	/* Bad rates: 422 naming the field. */
	ck_assert_int_eq(rate_put("{\"scope\":\"planet\",\"bps\":10}", out, sizeof(out)), 422);
	ck_assert_ptr_nonnull(strstr(out, "\"field\":\"scope\""));
	ck_assert_int_eq(rate_put("{\"scope\":\"shop\",\"bps\":10001}", out, sizeof(out)), 422);
	ck_assert_ptr_nonnull(strstr(out, "\"field\":\"bps\""));
	ck_assert_int_eq(rate_put("{\"scope\":\"category\",\"id\":999999,\"bps\":10}", out, sizeof(out)), 422);
	ck_assert_ptr_nonnull(strstr(out, "\"field\":\"id\""));
	ck_assert_int_eq(rate_put("{\"scope\":\"shop\",\"bps\":null}", out, sizeof(out)), 422);
}
END_TEST

/* ---- an order in another currency ---- */

/* The ledger is in the shop's currency: a line of an order charged in JPY
 * (no minor unit) at 150.5 yen to the dollar is credited with its yen
 * converted at the order's own rate, half away from zero, and keeps the
 * yen and the rate beside it. (The order's currency is set in SQL: this
 * branch has no currency chooser; the gateway sees the same amount.) */
START_TEST(foreign_currency_converted)
{
	struct client sa;
	char code[64], intent[80];
	long long oid, captured;

	seller_with(&sa, "paysj", "HOM-", code, sizeof(code), NULL);
	oid = paid_order(code, 1, intent, sizeof(intent));
	sql_execf("UPDATE orders SET currency = 'JPY', fx_rate = 150.5 WHERE id = %lld", oid);
	ship(&sa, oid);
	wait_entries(oid, 1);
	/* Back as the gateway knows it, before the reconciler looks. */
	sql_execf("UPDATE orders SET currency = 'USD', fx_rate = 1 WHERE id = %lld", oid);
	captured = intent_num(intent, "amount_received");
	ck_assert_int_eq(sql_scalarf("SELECT amount FROM seller_ledger WHERE order_id = %lld", oid), captured);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE order_id = %lld AND currency = 'JPY' "
				     "AND fx_rate = 150.5", oid), 1);
	ck_assert_int_eq(sql_scalarf("SELECT gross FROM seller_ledger WHERE order_id = %lld", oid),
			 sql_scalarf("SELECT ROUND(%lld * 100 / 150.5)", captured));
}
END_TEST


/* ---- the backfill: what predates the ledger ---- */

/* A checksum of the seller's entries as the consumer writes them (not ids,
 * events, statements or times). */
static long long ledger_sum(long long sid)
{
	return sql_scalarf("SELECT COALESCE(SUM(CRC32(CONCAT_WS(',', source, kind, order_id, line_no, ref_id, quantity, "
			   "currency, amount, fx_rate, gross, commission, net, bps))), 0) FROM seller_ledger "
			   "WHERE seller_id = %lld", sid);
}

/* Shipments and refunds made before the ledger existed (its rows and
 * statements deleted, as if the consumer had never seen their events: the
 * outbox is pruned): `shopctl payouts backfill` writes exactly what the
 * consumer wrote, a second run writes nothing, and the ledger balances
 * against the gateway and against every shipment and refund of the stack. */
/* Delivered long ago and moved to the archive (`shopctl archive run`). */
static void deliver_and_archive(struct client *seller, long long oid)
{
	char path[160];
	json_t *j;
	struct hresp *r;
	long long shid;

	snprintf(path, sizeof(path), "/api/seller/orders/%lld", oid);
	j = get_json(seller, path, 200);
	shid = json_integer_value(json_object_get(json_array_get(json_object_get(j, "shipments"), 0), "id"));
	json_decref(j);
	ck_assert_int_gt(shid, 0);
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments/%lld/delivered", oid, shid);
	r = client_req(seller, "POST", path, "{}", 1);
	ck_assert_msg(r->status == 200, "delivered: %ld %s", r->status, r->body);
	hresp_free(r);
	sql_execf("UPDATE shipments SET delivered_at = delivered_at - INTERVAL 400 DAY WHERE order_id = %lld", oid);
	sql_execf("UPDATE orders SET updated_at = NOW(3) - INTERVAL 400 DAY WHERE id = %lld", oid);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "archive run --after-seconds 0"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders_archive WHERE id = %lld", oid), 1);
}

START_TEST(backfill_predating_ledger)
{
	struct client sa;
	char code[64], intent[80], intent2[80];
	long long sid = seller_with(&sa, "paysk", "MOT-", code, sizeof(code), NULL), oid, oid2, rows, sum;

	oid = paid_order(code, 3, intent, sizeof(intent));
	ship(&sa, oid);
	wait_entries(oid, 1);
	refund(&sa, oid, 1);
	wait_entries(oid, 2);
	refund(&sa, oid, 1);
	wait_entries(oid, 3);
	/* and one archived since: shipped, partly refunded, delivered */
	oid2 = paid_order(code, 2, intent2, sizeof(intent2));
	ship(&sa, oid2);
	wait_entries(oid2, 1);
	refund(&sa, oid2, 1);
	wait_entries(oid2, 2);
	deliver_and_archive(&sa, oid2);
	wait_closed(sid);
	rows = sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE seller_id = %lld", sid);
	sum = ledger_sum(sid);
	ck_assert_int_eq(rows, 5);

	sql_execf("DELETE FROM seller_ledger WHERE seller_id = %lld", sid);
	sql_execf("DELETE FROM payout_statements WHERE seller_id = %lld", sid);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "payouts backfill"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE seller_id = %lld", sid), rows);
	ck_assert_int_eq(ledger_sum(sid), sum);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE seller_id = %lld AND event_id = 0", sid),
			 rows);
	/* Twice: the same ledger. */
	ck_assert_int_eq(shopctl_run(NULL, NULL, "payouts backfill"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM seller_ledger WHERE seller_id = %lld", sid), rows);
	ck_assert_int_eq(ledger_sum(sid), sum);

	/* The balance: the gateway's capture and refunds, the order's. */
	ck_assert_int_eq(sql_scalarf("SELECT SUM(gross) FROM seller_ledger WHERE order_id = %lld AND kind = 'sale'", oid),
			 intent_num(intent, "amount_received"));
	ck_assert_int_eq(sql_scalarf("SELECT -SUM(gross) FROM seller_ledger WHERE order_id = %lld AND kind = 'refund'",
				     oid), intent_num(intent, "amount_refunded"));
	ck_assert_int_eq(sql_scalarf("SELECT SUM(gross) FROM seller_ledger WHERE order_id = %lld AND kind = 'sale'", oid2),
			 intent_num(intent2, "amount_received"));
	ck_assert_int_eq(sql_scalarf("SELECT -SUM(gross) FROM seller_ledger WHERE order_id = %lld AND kind = 'refund'",
				     oid2), intent_num(intent2, "amount_refunded"));
	/* Every shipped line and refunded line of the stack has its entry, and
	 * each order's entries add up to its shipments and refunds. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM order_lines l JOIN shipments s ON s.id = l.shipment_id "
				    "WHERE s.status <> 'pending' AND NOT EXISTS (SELECT 1 FROM seller_ledger e "
				    "WHERE e.source = CONCAT('shipment:', s.id, ':', l.line_no))"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id "
				    "WHERE r.status = 'succeeded' AND NOT EXISTS (SELECT 1 FROM seller_ledger e "
				    "WHERE e.source = CONCAT('refund:', r.id, ':', rl.line_no))"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT s.order_id, SUM(s.amount) a FROM shipments s "
				    "WHERE s.status <> 'pending' GROUP BY s.order_id) x WHERE x.a <> (SELECT SUM(amount) "
				    "FROM seller_ledger l WHERE l.order_id = x.order_id AND l.kind = 'sale')"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT r.order_id, SUM(r.amount) a FROM refunds r "
				    "WHERE r.status = 'succeeded' GROUP BY r.order_id) x WHERE x.a <> (SELECT -SUM(amount) "
				    "FROM seller_ledger l WHERE l.order_id = x.order_id AND l.kind = 'refund')"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT SUM(net) FROM seller_ledger WHERE order_id = %lld", oid),
			 sql_scalarf("SELECT SUM(gross) - SUM(commission) FROM seller_ledger WHERE order_id = %lld", oid));
	/* The entries are picked by the next period like any other. */
	wait_closed(sid);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("payouts");
	TCase *t = tcase_create("payouts");

	harness_init();
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, ledger_balances_with_gateway);
	tcase_add_test(t, replay_does_not_double);
	tcase_add_test(t, statements_close_pay_and_carry);
	tcase_add_test(t, sellers_see_only_their_own);
	tcase_add_test(t, foreign_currency_converted);
	tcase_add_test(t, backfill_predating_ledger);
	suite_add_tcase(s, t);
	return run_suite(s);
}
