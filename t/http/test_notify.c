/* t/http: the mails of issue 16 on the whole stack: the notify consumer in
 * `shopd jobs` turns order, shipment, refund and stock events into mails,
 * the mail job writes them to the maildir, and each is read back there:
 * sent once for its event, multipart (plain text and HTML), with its text
 * and links checked. A replay of the consumer (`shopctl events replay
 * notify --from ID`) mails no one twice. The cart reminder, the account
 * page's preferences and the signed one-click unsubscribe. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)
/* The mails of this issue: not the account's welcome. */
#define NOT_WELCOME " AND subject <> 'Welcome to Shop'"
#define ADDR "\"shippingAddress\":{\"name\":\"Ann Buyer\",\"line1\":\"1 Main St\",\"city\":\"Austin\"," \
	     "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}"

static long long sku_a, sku_b, seller_a, seller_b;
static char code_a[64], code_b[64], title_a[256], title_b[256], email_sa[160], email_sb[160];
static struct client sel_a, sel_b;

/* ---- the maildir ---- */

/* The part of a multipart message with the given content type (from its
 * blank line to the next boundary), malloc'd. */
static char *part(const char *msg, const char *type)
{
	char hdr[100];
	const char *p, *end;

	snprintf(hdr, sizeof(hdr), "Content-Type: %s; charset=utf-8\n", type);
	p = strstr(msg, hdr);
	ck_assert_msg(p != NULL, "no %s part in: %.2000s", type, msg);
	p = strstr(p, "\n\n");
	ck_assert_ptr_nonnull(p);
	p += 2;
	end = strstr(p, "\n--=_shop-alt-");
	ck_assert_ptr_nonnull(end);
	return strndup(p, (size_t)(end - p));
}

/* A mail as it must be: multipart/alternative with a text and an HTML
 * part, the shop's name; the text part has no markup. */
static void check_shape(const char *m)
{
	char *t = part(m, "text/plain"), *h = part(m, "text/html");

	ck_assert_ptr_nonnull(strstr(m, "\nMIME-Version: 1.0\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nContent-Type: multipart/alternative; boundary=\"=_shop-alt-"));
	ck_assert_ptr_nonnull(strstr(h, "<!DOCTYPE html>"));
	ck_assert_ptr_null(strstr(t, "<p>"));
	ck_assert_ptr_null(strstr(t, "&amp;"));
	ck_assert_ptr_nonnull(strstr(t, base_url()));
	ck_assert_ptr_nonnull(strstr(h, base_url()));
	free(t);
	free(h);
}

/* Both parts of m have s. */
static void both_have(const char *m, const char *s)
{
	char *t = part(m, "text/plain"), *h = part(m, "text/html");

	ck_assert_msg(strstr(t, s) != NULL, "text part lacks %s:\n%s", s, t);
	ck_assert_msg(strstr(h, s) != NULL, "html part lacks %s:\n%s", s, h);
	free(t);
	free(h);
}

static void text_has(const char *m, const char *s)
{
	char *t = part(m, "text/plain");

	ck_assert_msg(strstr(t, s) != NULL, "text part lacks %s:\n%s", s, t);
	free(t);
}

/* Queued mails to `to` with this subject (mail_outbox): exactly once. */
static long long outbox_count(const char *to, const char *subject)
{
	return sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject = '%s'", to, subject);
}

/* Waits until the notify consumer has handled every event so far. */
static void notify_caught_up(void)
{
	for (int i = 0; i < 300; i++) {
		if (sql_scalar("SELECT COUNT(*) FROM event_consumers c WHERE c.name = 'notify' "
			       "AND c.position >= (SELECT seq FROM event_relay WHERE id = 1) "
			       "AND NOT EXISTS (SELECT 1 FROM outbox WHERE seq IS NULL)") == 1 &&
		    sql_scalar("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts < 15") == 0)
			return;
		usleep(100 * 1000);
	}
	ck_abort_msg("the notify consumer did not catch up in 30 s");
}

/* ---- people and orders ---- */

static long long signup(struct client *cl, const char *tag, char *email_out, size_t n)
{
	char email[160];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, "Pat Person", email, PW), 0);
	if (email_out)
		snprintf(email_out, n, "%s", email);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
}

static long long make_seller(struct client *cl, const char *tag, long long sku, char *email, size_t n)
{
	long long uid = signup(cl, tag, email, n), sid;

	sql_execf("INSERT INTO sellers (slug, display_name, user_id) VALUES ('%s-%lld', 'Seller %s', %lld)", tag, uid, tag, uid);
	sql_execf("UPDATE users SET is_seller = 1 WHERE id = %lld", uid);
	sid = sql_scalarf("SELECT id FROM sellers WHERE user_id = %lld", uid);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = (SELECT product_id FROM skus WHERE id = %lld)", sid, sku);
	/* The role change gives a new session. */
	memset(cl, 0, sizeof(*cl));
	ck_assert_int_eq(client_signin(cl, email, PW), 0);
	return sid;
}

/* POST /api/checkout as shopper with pm; the answer's JSON (caller frees). */
static json_t *checkout(struct client *shopper, const char *pm, long *status)
{
	struct hresp *r;
	json_t *j;
	long long amount;
	char body[600], key[80], cookie[300], token[200], idem[200];
	const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, token, idem, NULL };
	static int k;

	r = client_req(shopper, "POST", "/api/checkout/quote", "{" ADDR ",\"shippingMethod\":\"standard\"}", 1);
	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	j = hresp_json(r);
	amount = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	snprintf(body, sizeof(body), "{" ADDR ",\"shippingMethod\":\"standard\",\"amount\":%lld,"
		 "\"paymentMethod\":\"%s\"}", amount, pm);
	snprintf(key, sizeof(key), "nt-%d-%d-%u", (int)getpid(), ++k, randombytes_random());
	snprintf(cookie, sizeof(cookie), "Cookie: %s", shopper->cookie);
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", shopper->csrf);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	r = http("POST", "/api/checkout", body, h);
	*status = r->status;
	j = hresp_json(r);
	ck_assert_msg(j != NULL, "checkout: %ld %s", r->status, r->body);
	hresp_free(r);
	return j;
}

static long long paid_order(struct client *shopper, char *email, size_t n, int qa, int qb)
{
	json_t *j;
	long st;
	long long oid;

	signup(shopper, "nbuyer", email, n);
	if (qa)
		cart_put(shopper, code_a, qa);
	if (qb)
		cart_put(shopper, code_b, qb);
	j = checkout(shopper, "pm_card_visa", &st);
	ck_assert_int_eq(st, 201);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "confirmed");
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	return oid;
}

static struct hresp *api(struct client *cl, const char *method, const char *path, const char *body)
{
	return client_req(cl, method, path, body, 1);
}

static void setup(void)
{
	char q[300];

	clear_ip_throttles();
	sku_a = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'GRO-%'");
	sku_b = sql_scalar("SELECT MIN(id) FROM skus WHERE code LIKE 'KIT-%'");
	ck_assert_int_gt(sku_a, 0);
	ck_assert_int_gt(sku_b, 0);
	seller_a = make_seller(&sel_a, "nsella", sku_a, email_sa, sizeof(email_sa));
	seller_b = make_seller(&sel_b, "nsellb", sku_b, email_sb, sizeof(email_sb));
	set_stock_only(sku_a, 1, 40, "test_notify: stock for the test");
	set_stock_only(sku_b, 1, 40, "test_notify: stock for the test");
	resync_read_model();
	{
		long long ids[2] = { sku_a, sku_b };
		char *codes[2] = { code_a, code_b }, *titles[2] = { title_a, title_b };

		for (int i = 0; i < 2; i++) {
			struct hresp *r;
			json_t *j;

			snprintf(q, sizeof(q), "/api/items/%lld", sql_scalarf("SELECT product_id FROM skus WHERE id = %lld", ids[i]));
			r = http_get_json(q);
			j = hresp_json(r);
			snprintf(codes[i], 64, "%s", json_string_value(json_object_get(j, "sku")));
			snprintf(titles[i], 256, "%s", json_string_value(json_object_get(j, "title")));
			json_decref(j);
			hresp_free(r);
		}
	}
	notify_caught_up();
}

/* ---- the order's life, each mail once ---- */

START_TEST(order_life_mails_once)
{
	struct client shopper;
	char email[160], subj[200], path[200], want[300], *m;
	long long oid = paid_order(&shopper, email, sizeof(email), 2, 1), sid_a, first_event;
	struct hresp *r;
	json_t *j;

	first_event = sql_scalarf("SELECT MIN(id) FROM outbox WHERE topic = 'OrderConfirmed' AND aggregate_id = %lld", oid);

	/* Confirmed: the shopper's mail with the lines, total and the link. */
	snprintf(subj, sizeof(subj), "Your order %lld is confirmed", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	snprintf(want, sizeof(want), "%s/orders/%lld", base_url(), oid);
	both_have(m, want);
	both_have(m, title_a);
	both_have(m, title_b);
	text_has(m, "We will tell you when it ships.");
	text_has(m, "Total: $");
	ck_assert_ptr_null(strstr(m, "List-Unsubscribe"));	/* transactional */
	free(m);

	/* Each seller: a new order to ship, their own lines only. */
	snprintf(subj, sizeof(subj), "New order %lld to ship", oid);
	m = maildir_wait(email_sa, subj, 20);
	check_shape(m);
	both_have(m, title_a);
	ck_assert_ptr_null(strstr(m, title_b));
	snprintf(want, sizeof(want), "%s/seller/orders/%lld", base_url(), oid);
	both_have(m, want);
	text_has(m, "Ship to Ann Buyer, Austin, US");
	free(m);
	m = maildir_wait(email_sb, subj, 20);
	both_have(m, title_b);
	ck_assert_ptr_null(strstr(m, title_a));
	free(m);

	/* Shipped: carrier, tracking, the carrier's tracking page, which items. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[1],\"carrier\":\"UPS\",\"tracking\":\"1ZNOTIFY0001\"}");
	ck_assert_msg(r->status == 201, "ship: %ld %s", r->status, r->body);
	j = hresp_json(r);
	sid_a = json_integer_value(json_object_get(json_object_get(j, "shipment"), "id"));
	json_decref(j);
	hresp_free(r);
	snprintf(subj, sizeof(subj), "Your order %lld has shipped", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	both_have(m, "UPS");
	both_have(m, "1ZNOTIFY0001");
	text_has(m, "Track the parcel: https://www.ups.com/");
	both_have(m, title_a);
	ck_assert_ptr_null(strstr(m, title_b));	/* seller B's line is not in this parcel */
	free(m);

	/* Delivered (the seller says so). */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/shipments/%lld/delivered", oid, sid_a);
	r = api(&sel_a, "POST", path, NULL);
	ck_assert_msg(r->status == 200, "delivered: %ld %s", r->status, r->body);
	hresp_free(r);
	snprintf(subj, sizeof(subj), "Your order %lld was delivered", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	both_have(m, "1ZNOTIFY0001");
	both_have(m, title_a);
	free(m);

	/* Refunded: one unit of the delivered line comes back. */
	snprintf(path, sizeof(path), "/api/seller/orders/%lld/refunds", oid);
	r = api(&sel_a, "POST", path, "{\"lines\":[{\"line\":1,\"quantity\":1}]}");
	ck_assert_msg(r->status == 201, "refund: %ld %s", r->status, r->body);
	hresp_free(r);
	snprintf(subj, sizeof(subj), "Your refund for order %lld", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	text_has(m, "we refunded $");
	both_have(m, title_a);
	free(m);

	/* Seller B cancels its unshipped line: the order is not cancelled
	 * (a line shipped), so no cancellation mail. Each mail above once. */
	notify_caught_up();
	snprintf(subj, sizeof(subj), "Your order %lld is confirmed", oid);
	ck_assert_int_eq(outbox_count(email, subj), 1);
	ck_assert_int_eq(maildir_count(email, subj, NULL), 1);
	snprintf(subj, sizeof(subj), "New order %lld to ship", oid);
	ck_assert_int_eq(outbox_count(email_sa, subj), 1);
	ck_assert_int_eq(outbox_count(email_sb, subj), 1);
	snprintf(subj, sizeof(subj), "Your order %lld has shipped", oid);
	ck_assert_int_eq(outbox_count(email, subj), 1);
	snprintf(subj, sizeof(subj), "Your order %lld was delivered", oid);
	ck_assert_int_eq(outbox_count(email, subj), 1);
	snprintf(subj, sizeof(subj), "Your refund for order %lld", oid);
	ck_assert_int_eq(outbox_count(email, subj), 1);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'" NOT_WELCOME, email), 4);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM notify_sent WHERE recipient = '%s'", email), 4);

	/* The consumer replayed from the order's first event: every event is
	 * delivered again, and no one gets a second mail. */
	{
		char args[100];
		long long before = sql_scalar("SELECT delivered FROM event_consumers WHERE name = 'notify'");

		snprintf(args, sizeof(args), "events replay notify --from %lld", first_event);
		ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
		notify_caught_up();
		/* Delivered again (the consumer may already be past them by
		 * the time a query could look at its position). */
		ck_assert_int_gt(sql_scalar("SELECT delivered FROM event_consumers WHERE name = 'notify'"), before);
	}
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'" NOT_WELCOME, email), 4);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr IN ('%s', '%s') AND subject LIKE "
				     "'New order %lld to ship'", email_sa, email_sb, oid), 2);
	snprintf(subj, sizeof(subj), "Your order %lld is confirmed", oid);
	ck_assert_int_eq(maildir_count(email, subj, NULL), 1);

	/* The whole stream again, from the start: still no mail twice, to
	 * anyone (the other suites' orders on this stack too: the mails that
	 * come once per order; parcels and refunds may be several). */
	ck_assert_int_eq(shopctl_run(NULL, NULL, "events replay notify --from 0"), 0);
	notify_caught_up();
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT to_addr, subject FROM mail_outbox WHERE "
				    "subject LIKE 'Your order % is confirmed' OR subject LIKE 'New order % to ship' "
				    "OR subject LIKE 'Your order % was cancelled' OR subject LIKE 'The payment for %' "
				    "GROUP BY to_addr, subject HAVING COUNT(*) > 1) d"), 0);
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM (SELECT mail_id FROM notify_sent WHERE mail_id IS NOT NULL "
				    "GROUP BY mail_id HAVING COUNT(*) > 1) d"), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'" NOT_WELCOME, email), 4);

	/* A consumer killed between its mail's commit and its saved position
	 * is the same as a replay: forget the position entirely (as a crash
	 * would leave it before the batch) and nothing is mailed again. */
	sql_execf("UPDATE event_consumers SET position = (SELECT seq FROM outbox WHERE id = %lld) - 1 "
		  "WHERE name = 'notify'", first_event);
	notify_caught_up();
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'" NOT_WELCOME, email), 4);
}
END_TEST

/* A declined card: the mail with a link to try again; a cancel by the shopper. */
START_TEST(payment_failed_and_cancelled)
{
	struct client shopper;
	char email[160], subj[200], want[300], path[200], *m;
	json_t *j;
	long st;
	long long oid;

	signup(&shopper, "ndecl", email, sizeof(email));
	cart_put(&shopper, code_a, 1);
	j = checkout(&shopper, "pm_card_chargeDeclined", &st);
	ck_assert_msg(st == 402 || st == 201 || st == 409, "declined checkout: %ld", st);
	oid = sql_scalarf("SELECT MAX(o.id) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = '%s'", email);
	json_decref(j);
	ck_assert_int_gt(oid, 0);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'payment_failed' FROM orders WHERE id = %lld", oid), 1);

	snprintf(subj, sizeof(subj), "The payment for your order %lld did not go through", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	snprintf(want, sizeof(want), "%s/orders/%lld", base_url(), oid);
	both_have(m, want);
	both_have(m, "Try again");
	text_has(m, "declined");
	free(m);

	/* The shopper cancels it. */
	snprintf(path, sizeof(path), "/api/orders/%lld/cancel", oid);
	{
		struct hresp *r = client_req(&shopper, "POST", path, NULL, 1);

		ck_assert_msg(r->status == 200, "cancel: %ld %s", r->status, r->body);
		hresp_free(r);
	}
	snprintf(subj, sizeof(subj), "Your order %lld was cancelled", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	both_have(m, title_a);
	both_have(m, want);
	free(m);
	notify_caught_up();
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s'" NOT_WELCOME, email), 2);
	/* No confirmation, no seller mail for an order never paid. */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE subject = 'New order %lld to ship'", oid), 0);
}
END_TEST

/* A guest's confirmation carries the signed order link and the lookup. */
START_TEST(guest_confirmation_has_signed_link)
{
	struct client cl = {0};
	struct hresp *r;
	json_t *j;
	char email[160], body[700], subj[200], *m;
	long long amount, oid;

	snprintf(email, sizeof(email), "%s", fresh_email("nguest"));
	ck_assert_int_eq(client_session(&cl), 0);
	cart_put(&cl, code_a, 1);
	snprintf(body, sizeof(body), "{" ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\"}", email);
	r = client_req(&cl, "POST", "/api/checkout/quote", body, 1);
	ck_assert_msg(r->status == 200, "quote: %ld %s", r->status, r->body);
	j = hresp_json(r);
	amount = json_integer_value(json_object_get(j, "amount"));
	json_decref(j);
	hresp_free(r);
	snprintf(body, sizeof(body), "{" ADDR ",\"shippingMethod\":\"standard\",\"email\":\"%s\",\"amount\":%lld,"
		 "\"paymentMethod\":\"pm_card_visa\"}", email, amount);
	{
		char cookie[300], token[200], idem[200];
		const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, token, idem, NULL };

		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl.cookie);
		snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl.csrf);
		snprintf(idem, sizeof(idem), "Idempotency-Key: nt-guest-%d-%u", (int)getpid(), randombytes_random());
		r = http("POST", "/api/checkout", body, h);
	}
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	j = hresp_json(r);
	oid = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);

	snprintf(subj, sizeof(subj), "Your order %lld is confirmed", oid);
	m = maildir_wait(email, subj, 20);
	check_shape(m);
	snprintf(body, sizeof(body), "%s/orders/%lld/view?t=", base_url(), oid);
	text_has(m, body);
	text_has(m, "/orders/lookup");
	text_has(m, "keep it to yourself");
	/* The link in the mail opens the order without signing in. */
	{
		char *p = strstr(m, body), link[300];
		struct hresp *page;

		p += strlen(base_url());
		snprintf(link, sizeof(link), "%.*s", (int)strcspn(p, "\n \""), p);
		page = http_get(link);
		ck_assert_int_eq(page->status, 200);
		hresp_free(page);
	}
	free(m);
}
END_TEST

/* ---- sellers: low stock once per crossing, opt-out ---- */

static long long low_mails(void)
{
	return sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject = 'Low stock: %s'",
			   email_sa, title_a);
}

START_TEST(low_stock_once_per_crossing)
{
	char *m;
	struct hresp *r;
	char form[300];

	/* Every other SKU of the product well stocked, so only this one is low. */
	sql_execf("DELETE FROM notify_low_stock WHERE sku_id IN (SELECT id FROM skus WHERE product_id = "
		  "(SELECT product_id FROM skus WHERE id = %lld))", sku_a);
	notify_caught_up();
	ck_assert_int_eq(low_mails(), 0);

	set_stock_only(sku_a, 1, 3, "test_notify: running low");
	m = maildir_wait(email_sa, "Subject: Low stock: ", 20);
	check_shape(m);
	both_have(m, code_a);
	text_has(m, ": 3 left");
	text_has(m, "/seller/items/");
	text_has(m, "Unsubscribe: ");	/* alerts may be turned off */
	ck_assert_ptr_nonnull(strstr(m, "\nList-Unsubscribe: <"));
	ck_assert_ptr_nonnull(strstr(m, "\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n"));
	free(m);
	notify_caught_up();
	ck_assert_int_eq(low_mails(), 1);

	/* Lower still: the same crossing, no second mail. */
	set_stock_only(sku_a, 1, 2, "test_notify: lower");
	notify_caught_up();
	ck_assert_int_eq(low_mails(), 1);

	/* Back up, then down again: a new crossing, a new mail. */
	set_stock_only(sku_a, 1, 30, "test_notify: restocked");
	notify_caught_up();
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM notify_low_stock WHERE sku_id = %lld", sku_a), 0);
	set_stock_only(sku_a, 1, 1, "test_notify: low again");
	notify_caught_up();
	ck_assert_int_eq(low_mails(), 2);

	/* The seller turns the alerts off on the account page: the next
	 * crossing mails no one. */
	r = client_browse(&sel_a, "GET", "/account", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"lowStock\"");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&cartReminders=1", sel_a.csrf);
	r = client_browse(&sel_a, "POST", "/account/mails", form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT low_stock FROM notify_prefs np JOIN sellers s ON s.user_id = np.user_id "
				     "WHERE s.id = %lld", seller_a), 0);
	set_stock_only(sku_a, 1, 30, "test_notify: restocked");
	set_stock_only(sku_a, 1, 2, "test_notify: low, alerts off");
	notify_caught_up();
	ck_assert_int_eq(low_mails(), 2);
	set_stock_only(sku_a, 1, 40, "test_notify: back to the start");
}
END_TEST

/* ---- the cart reminder, preferences, unsubscribe ---- */

/* The cart as if untouched for 25 hours. */
static void age_cart(long long uid)
{
	sql_execf("UPDATE carts SET updated_at = NOW(3) - INTERVAL 25 HOUR WHERE user_id = %lld", uid);
}

static long long reminders(const char *email)
{
	return sql_scalarf("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = '%s' AND subject = "
			   "'You left something in your cart'", email);
}

/* Waits up to 40 s (the job runs every 15 s) for n reminders to email. */
static void wait_reminders(const char *email, long long n)
{
	for (int i = 0; i < 400 && reminders(email) < n; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(reminders(email), n);
}

START_TEST(cart_reminder_once_and_unsubscribe)
{
	struct client shopper, other = {0};
	char email[160], *m, url[400], path[400], form[500];
	long long uid = signup(&shopper, "ncart", email, sizeof(email));
	struct hresp *r;
	const char *p;

	cart_put(&shopper, code_b, 2);
	age_cart(uid);
	wait_reminders(email, 1);
	m = maildir_wait(email, "Subject: You left something in your cart", 20);
	check_shape(m);
	both_have(m, title_b);
	snprintf(url, sizeof(url), "%s/cart", base_url());
	both_have(m, url);
	ck_assert_ptr_nonnull(strstr(m, "\nList-Unsubscribe: <"));
	/* The unsubscribe link of the text part. */
	p = strstr(m, "\nUnsubscribe: ");
	ck_assert_ptr_nonnull(p);
	p += strlen("\nUnsubscribe: ");
	snprintf(url, sizeof(url), "%.*s", (int)strcspn(p, "\n"), p);
	ck_assert_int_eq(strncmp(url, base_url(), strlen(base_url())), 0);
	snprintf(path, sizeof(path), "%s", url + strlen(base_url()));
	free(m);

	/* Once per state of the cart: the same cart, still old, no second. */
	sleep(4);	/* more than a pass of the cart-reminders job (3 s) */
	ck_assert_int_eq(reminders(email), 1);

	/* A tampered link: refused, nothing changes. */
	{
		char bad[400];

		snprintf(bad, sizeof(bad), "%s", path);
		bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
		r = client_browse(&other, "GET", bad, NULL);
		ck_assert_int_eq(r->status, 400);
		HAS(r, "This link does not work");
		hresp_free(r);
	}
	/* The link: a page that asks (no sign-in), then the POST. */
	r = client_browse(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Stop reminders about items left in your cart?");
	HAS(r, "action=\"/unsubscribe\"");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM notify_prefs WHERE user_id = %lld AND cart_reminders = 0", uid), 0);
	{
		const char *q = strchr(path, '?') + 1;
		char u[32], k[40], t[64];

		ck_assert_int_eq(sscanf(q, "u=%31[0-9]&k=%39[a-z_]&t=%63[A-Za-z0-9_-]", u, k, t), 3);
		snprintf(form, sizeof(form), "u=%s&k=%s&t=%s", u, k, t);
	}
	r = client_browse(&other, "POST", "/unsubscribe", form);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "You are unsubscribed");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT cart_reminders FROM notify_prefs WHERE user_id = %lld", uid), 0);

	/* A changed cart, left again: no reminder now. */
	cart_put(&shopper, code_a, 1);
	age_cart(uid);
	sleep(4);	/* more than a pass of the cart-reminders job (3 s) */
	ck_assert_int_eq(reminders(email), 1);

	/* The account page shows the box unticked; ticking it turns the
	 * reminders back on (a plain form with the session's CSRF token). */
	r = client_browse(&shopper, "GET", "/account", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "id=\"notifications\"");
	HAS(r, "name=\"cartReminders\" value=\"1\">");
	ck_assert_ptr_null(strstr(r->body, "name=\"lowStock\""));	/* not a seller */
	hresp_free(r);
	r = client_browse(&shopper, "POST", "/account/mails", "cartReminders=1");
	ck_assert_int_ne(r->status, 303);	/* no token: not saved */
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT cart_reminders FROM notify_prefs WHERE user_id = %lld", uid), 0);
	snprintf(form, sizeof(form), "csrf=%s&cartReminders=1", shopper.csrf);
	r = client_browse(&shopper, "POST", "/account/mails", form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT cart_reminders FROM notify_prefs WHERE user_id = %lld", uid), 1);
	r = client_browse(&shopper, "GET", "/account?mails=1", NULL);
	HAS(r, "Your mail preferences are saved.");
	HAS(r, "name=\"cartReminders\" value=\"1\" checked>");
	hresp_free(r);
	/* The cart state left while reminders were off is reminded of now. */
	wait_reminders(email, 2);

	/* The same over the API. */
	r = client_req(&shopper, "GET", "/api/me/mail-preferences", NULL, 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "\"cartReminders\":true");
	hresp_free(r);
	r = client_req(&shopper, "PATCH", "/api/me/mail-preferences", "{\"cartReminders\": false}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"cartReminders\":false");
	HAS(r, "\"lowStock\":true");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT cart_reminders FROM notify_prefs WHERE user_id = %lld", uid), 0);
	r = client_req(&shopper, "PATCH", "/api/me/mail-preferences", "{\"cartReminders\": true}", 0);
	ck_assert_int_eq(r->status, 403);	/* no CSRF token */
	hresp_free(r);
	r = client_req(&shopper, "PATCH", "/api/me/mail-preferences", "{\"cartReminders\": true}", 1);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);

	/* One-click from a mail client (RFC 8058): a POST to the link itself. */
	r = client_browse(&other, "POST", path, "List-Unsubscribe=One-Click");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT cart_reminders FROM notify_prefs WHERE user_id = %lld", uid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *t = tcase_create("notify");

	harness_init();
	tcase_set_timeout(t, 240);
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, order_life_mails_once);
	tcase_add_test(t, payment_failed_and_cancelled);
	tcase_add_test(t, guest_confirmation_has_signed_link);
	tcase_add_test(t, low_stock_once_per_crossing);
	tcase_add_test(t, cart_reminder_once_and_unsubscribe);
	suite_add_tcase(s, t);
	return run_suite(s);
}
