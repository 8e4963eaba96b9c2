/* Unit tests: every notification mail renders from templates/mail/ as HTML
 * and plain text, with the shop's name, absolute links and, only for the
 * mails a person may stop, the unsubscribe link; the plain text carries no
 * HTML entities; unsubscribe tokens are bound to one account and one kind. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../../app/core/arena.h"
#include "../../app/core/config.h"
#include "../../app/notify/notify.h"
#include "../../app/notify/notify_pages.h"

static struct arena *A;

static void setup(void)
{
	A = arena_new(1 << 16);
	config.templates = "templates";
	config.shop_name = "Bob & Sons";
	config.base_url = "https://shop.example";
	memset(config.secret, 7, sizeof(config.secret));
}

static void teardown(void)
{
	arena_destroy(A);
}

struct mail_case {
	enum notify_kind kind;
	const char *model;
	const char *want[4];	/* in both parts */
};

static const struct mail_case cases[] = {
	{ NK_ORDER_CONFIRMED, "{\"orderId\":42,\"name\":\"Ann\",\"orderUrl\":\"https://shop.example/orders/42/view?t=abc\","
	  "\"currency\":\"USD\",\"total\":2599,\"isGuest\":true,\"lookupUrl\":\"https://shop.example/orders/lookup\","
	  "\"lines\":[{\"title\":\"Lamp <Deluxe>\",\"quantity\":2,\"amount\":2599,\"options\":\"Color: Red\"}]}",
	  { "Hello Ann,", "/orders/42/view?t=abc", "/orders/lookup", "$25.99" } },
	{ NK_PAYMENT_FAILED, "{\"orderId\":43,\"name\":\"Ann\",\"orderUrl\":\"https://shop.example/orders/43\","
	  "\"currency\":\"USD\",\"total\":100,\"reason\":\"card declined\",\"canRetry\":true}",
	  { "card declined", "https://shop.example/orders/43", "another card", NULL } },
	{ NK_SHIPPED, "{\"orderId\":44,\"name\":\"Ann\",\"orderUrl\":\"u\",\"carrier\":\"UPS\",\"tracking\":\"1Z999\","
	  "\"trackingUrl\":\"https://www.ups.com/track?tracknum=1Z999\",\"lines\":[{\"title\":\"Lamp\",\"quantity\":1}]}",
	  { "UPS", "1Z999", "https://www.ups.com/track?tracknum=1Z999", "Lamp" } },
	{ NK_DELIVERED, "{\"orderId\":45,\"name\":\"Ann\",\"orderUrl\":\"u\",\"carrier\":\"UPS\",\"tracking\":\"1Z9\","
	  "\"lines\":[{\"title\":\"Lamp\",\"quantity\":1}]}", { "delivered", "1Z9", "Lamp", NULL } },
	{ NK_CANCELLED, "{\"orderId\":46,\"name\":\"Ann\",\"orderUrl\":\"u\",\"lines\":[]}", { "cancelled", "46", NULL, NULL } },
	{ NK_REFUNDED, "{\"orderId\":47,\"name\":\"Ann\",\"orderUrl\":\"u\",\"currency\":\"USD\",\"amount\":1250,"
	  "\"lines\":[{\"title\":\"Lamp\",\"quantity\":1}]}", { "$12.50", "47", "Lamp", NULL } },
	{ NK_SELLER_ORDER, "{\"orderId\":48,\"name\":\"Lamp Co\",\"currency\":\"USD\",\"sellerOrderUrl\":"
	  "\"https://shop.example/seller/orders/48\",\"shipTo\":{\"name\":\"Ann\",\"city\":\"Paris\",\"country\":\"FR\"},"
	  "\"lines\":[{\"title\":\"Lamp\",\"quantity\":3,\"amount\":900}]}",
	  { "Hello Lamp Co,", "/seller/orders/48", "Paris", "$9.00" } },
	{ NK_LOW_STOCK, "{\"name\":\"Lamp Co\",\"productTitle\":\"Lamp\",\"productId\":9,\"threshold\":5,"
	  "\"skus\":[{\"code\":\"LAMP-R\",\"available\":2}],\"stockUrl\":\"https://shop.example/seller/items/9/stock\"}",
	  { "LAMP-R: 2 left", "/seller/items/9/stock", "fewer than 5", NULL } },
	{ NK_CART_REMINDER, "{\"name\":\"Ann\",\"currency\":\"USD\",\"cartUrl\":\"https://shop.example/cart\","
	  "\"items\":[{\"title\":\"Lamp\",\"quantity\":1,\"price\":500}]}",
	  { "your cart still holds", "https://shop.example/cart", "$5.00", NULL } },
};

START_TEST(renders_each_kind)
{
	const struct mail_case *c = &cases[_i];
	struct notify_mail m;
	const char *text = NULL, *html = NULL, *unsub = NULL;
	int optout = c->kind == NK_LOW_STOCK || c->kind == NK_CART_REMINDER;

	memset(&m, 0, sizeof(m));
	m.kind = c->kind;
	m.to = "ann@example.com";
	m.subject = "A subject";
	m.model = json_loads(c->model, 0, NULL);
	ck_assert_ptr_nonnull(m.model);
	if (optout)
		unsub = notify_unsub_url(A, 5, c->kind);
	ck_assert_int_eq(notify_render(A, &m, unsub, &text, &html), E_OK);
	for (int i = 0; i < 4 && c->want[i]; i++) {
		ck_assert_msg(strstr(text, c->want[i]) != NULL, "%s text lacks %s:\n%s", notify_kind_name(c->kind),
			      c->want[i], text);
		ck_assert_msg(strstr(html, c->want[i]) != NULL || c->want[i][0] == '$' || strpbrk(c->want[i], "&="),
			      "%s html lacks %s:\n%s", notify_kind_name(c->kind), c->want[i], html);
	}
	/* The shop's name, escaped in HTML, plain in the text. */
	ck_assert_ptr_nonnull(strstr(html, "Bob &amp; Sons"));
	ck_assert_ptr_nonnull(strstr(text, "Bob & Sons"));
	ck_assert_ptr_null(strstr(text, "&amp;"));
	ck_assert_ptr_null(strstr(text, "<p>"));
	ck_assert_ptr_nonnull(strstr(html, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(strstr(html, "https://shop.example/"));
	if (optout) {
		ck_assert_ptr_nonnull(strstr(text, "Unsubscribe: https://shop.example/unsubscribe?u=5&k="));
		ck_assert_ptr_nonnull(strstr(html, "https://shop.example/unsubscribe?u&#61;5&amp;k&#61;"));
	} else {
		ck_assert_ptr_null(strstr(text, "unsubscribe"));
		ck_assert_ptr_null(strstr(html, "unsubscribe?"));
	}
	json_decref(m.model);
}
END_TEST

START_TEST(escapes_what_shoppers_typed)
{
	struct notify_mail m;
	const char *text, *html;

	memset(&m, 0, sizeof(m));
	m.kind = NK_CANCELLED;
	m.to = "ann@example.com";
	m.subject = "s";
	m.model = json_pack("{sIssssso}", "orderId", (json_int_t)1, "name", "<script>x</script>", "orderUrl", "u",
			    "lines", json_array());
	ck_assert_int_eq(notify_render(A, &m, NULL, &text, &html), E_OK);
	ck_assert_ptr_null(strstr(html, "<script>"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(text, "Hello <script>x</script>,"));
	json_decref(m.model);
}
END_TEST

START_TEST(tokens)
{
	const char *t = notify_unsub_token(A, 5, NK_CART_REMINDER);

	ck_assert_uint_eq(strlen(t), 43);
	ck_assert_int_eq(notify_unsub_ok(5, NK_CART_REMINDER, t), 1);
	ck_assert_int_eq(notify_unsub_ok(6, NK_CART_REMINDER, t), 0);
	ck_assert_int_eq(notify_unsub_ok(5, NK_LOW_STOCK, t), 0);
	ck_assert_int_eq(notify_unsub_ok(5, NK_CART_REMINDER, "x"), 0);
	ck_assert_int_eq(notify_unsub_ok(5, NK_CART_REMINDER, NULL), 0);
	ck_assert_int_eq(notify_kind_find("cart_reminder", 1), NK_CART_REMINDER);
	ck_assert_int_eq(notify_kind_find("order_confirmed", 1), -1);
	ck_assert_int_eq(notify_kind_find("order_confirmed", 0), NK_ORDER_CONFIRMED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify_mail");
	TCase *t = tcase_create("notify_mail");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_loop_test(t, renders_each_kind, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(t, escapes_what_shoppers_typed);
	tcase_add_test(t, tokens);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
