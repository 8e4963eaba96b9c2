/* The checkout saga (app/checkout/checkout.c) over a plain request, against
 * MariaDB alone: refusals are stored as the key's answer and replayed,
 * a key reused for another request is refused, a sold-out line holds
 * nothing, and a placed order waits for the gateway (which does not run
 * here: the saga keeps the order and its holds, and says so). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include "../../app/cart/cart.h"
#include "../../app/checkout/checkout.h"
#include "../../app/inventory/inventory.h"
#include "fixture.h"

static int64_t seller, product, sku[2], user;
static struct cart_line lines[2];
static struct cart cart;
static int serial;

static void setup(void)
{
	dom_setup();
	seller = mk_seller();
	user = mk_user();
	product = mk_product(seller, 2, 2000, sku);
	set_stock(seller, product, sku[0], WH_EAST, 3);
	set_stock(seller, product, sku[1], WH_WEST, 1);
	for (int i = 0; i < 2; i++) {
		memset(&lines[i], 0, sizeof(lines[i]));
		lines[i].sku_id = sku[i];
		lines[i].product_id = product;
		lines[i].code = i ? "SKU-B" : "SKU-A";
		lines[i].title = "Domain product";
		lines[i].currency = "USD";
		lines[i].options = "{}";
		lines[i].quantity = 1;
		lines[i].added_price = lines[i].price = 2000;
		lines[i].available = i ? 1 : 3;
		lines[i].weight_g = 500;
		lines[i].sellable = 1;
	}
	cart.lines = lines;
	cart.n = 2;
	cart.user_id = user;
}

/* A request for the cart to New York, standard shipping. */
static struct checkout_req req(const char *hash)
{
	struct checkout_req rq;
	char *key = arena_printf(A, "key-%d-%d", (int)getpid(), ++serial);

	memset(&rq, 0, sizeof(rq));
	rq.user_id = user;
	rq.idem_key = key;
	rq.request_hash = hash;
	rq.payment_method = "pm_card_visa";
	rq.method = "standard";
	rq.addr.name = "Ada Lovelace";
	rq.addr.line1 = "1 Main St";
	rq.addr.city = "New York";
	rq.addr.region = "NY";
	rq.addr.postal_code = "10001";
	rq.addr.country = "US";
	rq.cart = &cart;
	return rq;
}

static long long orders_of_user(void)
{
	return dq("SELECT COUNT(*) FROM orders WHERE user_id = %lld", (long long)user);
}

START_TEST(wrong_amount_is_refused_stored_and_replayed)
{
	struct checkout_req rq = req("h1");
	struct checkout_answer ans;
	char *first;

	rq.has_amount = 1;
	rq.amount = 1;
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_ANSWER);
	ck_assert_int_eq(ans.status, 409);
	ck_assert_ptr_nonnull(strstr(ans.body, "\"amount\":"));
	ck_assert_int_eq(orders_of_user(), 0);
	ck_assert_str_eq(ds("SELECT state FROM checkouts WHERE user_id = %lld AND idem_key = '%s'", (long long)user,
			    rq.idem_key), "failed");
	first = strdup(ans.body);
	/* The same key and request: the stored answer, word for word. */
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_ANSWER);
	ck_assert_int_eq(ans.status, 409);
	ck_assert_str_eq(ans.body, first);
	/* The same key with another request: refused, nothing done. */
	rq.request_hash = "h2";
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_KEY_REUSED);
	free(first);
}
END_TEST

START_TEST(bad_input_and_empty_cart)
{
	struct checkout_req rq = req("h1");
	struct checkout_answer ans;
	struct cart empty = { NULL, 0, 0, user };

	rq.bad_input = "shippingAddress: city: is required";
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_ANSWER);
	ck_assert_int_eq(ans.status, 400);
	ck_assert_ptr_nonnull(strstr(ans.body, "city: is required"));
	rq = req("h1");
	rq.cart = &empty;
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.status, 422);
	ck_assert_int_eq(orders_of_user(), 0);
}
END_TEST

START_TEST(sold_out_meanwhile_holds_nothing)
{
	struct checkout_req rq = req("h1");
	struct checkout_plan p;
	struct checkout_answer ans;
	struct stock_change ch = { 0 };

	ck_assert_int_eq(checkout_plan(D, A, &rq, &p), E_OK);
	ck_assert_int_eq(p.status, 0);
	rq.has_amount = 1;
	rq.amount = p.q.total;
	/* The last unit of sku[1] goes after the cart was read. */
	ch.seller_id = seller;
	ch.product_id = product;
	ch.sku_id = sku[1];
	ch.warehouse_id = WH_WEST;
	ch.is_set = 1;
	ch.value = 0;
	ch.reason = "damaged";
	ch.actor = "test";
	ck_assert_int_eq(inventory_change(D, A, &ch), E_OK);
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_ANSWER);
	ck_assert_int_eq(ans.status, 409);
	ck_assert_ptr_nonnull(strstr(ans.body, "SKU-B"));
	ck_assert_int_eq(orders_of_user(), 0);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 0);
	ck_assert_int_eq(avail(sku[0], WH_EAST), 3);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

START_TEST(placed_order_waits_for_the_gateway)
{
	struct checkout_req rq = req("h1");
	struct checkout_plan p;
	struct checkout_answer ans;
	int64_t order;

	ck_assert_int_eq(checkout_plan(D, A, &rq, &p), E_OK);
	ck_assert_int_eq(p.status, 0);
	ck_assert_int_eq(p.q.subtotal, 4000);
	rq.has_amount = 1;
	rq.amount = p.q.total;
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_UNAVAILABLE);
	/* The order is placed and holds its units; the saga waits. */
	ck_assert_int_eq(orders_of_user(), 1);
	order = dq("SELECT id FROM orders WHERE user_id = %lld", (long long)user);
	ck_assert_str_eq(ds("SELECT status FROM orders WHERE id = %lld", (long long)order), "pending_payment");
	ck_assert_int_eq(dq("SELECT total FROM orders WHERE id = %lld", (long long)order), p.q.total);
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM order_lines WHERE order_id = %lld", (long long)order), 2);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 1);
	ck_assert_int_eq(reserved(sku[1], WH_WEST), 1);
	ck_assert_str_eq(ds("SELECT state FROM checkouts WHERE order_id = %lld", (long long)order), "authorizing");
	ck_assert_int_eq(dq("SELECT COUNT(*) FROM outbox WHERE topic = 'OrderPlaced' AND aggregate_id = %lld",
			    (long long)order), 1);
	/* A replay resumes the same order (no second one). */
	ck_assert_int_eq(checkout_place(D, A, NULL, &rq, &ans), E_OK);
	ck_assert_int_eq(ans.kind, CHECKOUT_UNAVAILABLE);
	ck_assert_int_eq(orders_of_user(), 1);
	ck_assert_int_eq(reserved(sku[0], WH_EAST), 1);
	ck_assert_int_eq(unconserved(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("saga");
	TCase *tc = tcase_create("saga");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, dom_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, wrong_amount_is_refused_stored_and_replayed);
	tcase_add_test(tc, bad_input_and_empty_cart);
	tcase_add_test(tc, sold_out_meanwhile_holds_nothing);
	tcase_add_test(tc, placed_order_waits_for_the_gateway);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
