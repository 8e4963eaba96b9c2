/* Unit tests: declared JSON bodies (body_check), the card-number rule
 * (pan_like), and route_validate over the shop's own route table with the
 * bodies its API paths take. Table-driven; no servers. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "../../app/core/arena.h"
#include "../../app/http/req.h"
#include "../../app/http/router.h"
#include "../../app/http/valid.h"
#include "../../app/module.h"

static struct arena *A;

static void setup(void)
{
	A = arena_new(4096);
	routes_build();	/* the table shopd builds from the modules (idempotent) */
}
static void teardown(void) { arena_destroy(A); }

/* ---- the card-number rule ---- */

static const struct { const char *s; int pan; } pans[] = {
	/* Test card numbers, as people type them. */
	{ "4242424242424242", 1 },
	{ "4242 4242 4242 4242", 1 },
	{ "4242-4242-4242-4242", 1 },
	{ "4000056655665556", 1 },
	{ "378282246310005", 1 },		/* Amex, 15 digits */
	{ "3782 822463 10005", 1 },		/* Amex as printed: 4-6-5 */
	{ "6011111111111117", 1 },
	{ "4222222222222", 1 },			/* 13 digits */
	{ "4242424242424242424", 0 },		/* 19 digits, Luhn fails */
	{ "6304000000000000000", 1 },		/* 19 digits, Luhn passes */
	{ "1 Main St, card 4242 4242 4242 4242", 1 },
	{ "card:4242424242424242", 1 },
	{ "(4242424242424242)", 1 },
	{ "\"4242424242424242\"", 1 },
	/* The same digits, not standing alone. */
	{ "pm_4242424242424242", 0 },
	{ "ORD-4242424242424242", 0 },
	{ "x4242424242424242", 0 },
	{ "4242424242424242x", 0 },
	{ "4242424242424242.50", 0 },
	{ "+4242424242424242", 0 },
	{ "42,4242424242424242", 0 },
	/* Shapes a card is not printed in. */
	{ "4242 4242 4242-4242", 0 },		/* mixed separators */
	{ "42424 2424 2424 242", 0 },		/* first group not 4 */
	{ "4242 42 4242424242", 0 },		/* a group of 2 */
	{ "4242  4242 4242 4242", 0 },		/* double space: two runs */
	{ "4242424242424241", 0 },		/* Luhn fails */
	/* Legitimate values. */
	{ "", 0 },
	{ "12345", 0 },				/* a US ZIP */
	{ "12345-6789", 0 },			/* ZIP+4 */
	{ "+1 555-123-4567", 0 },		/* a phone */
	{ "+44 20 7946 0958", 0 },
	{ "020 7946 0958", 0 },
	{ "1234567890", 0 },			/* an id */
	{ "9223372036854775807", 0 },		/* the largest id: Luhn fails */
	{ "123456789012", 0 },			/* 12 digits */
	{ "12345678901234567890", 0 },		/* 20 digits */
	{ "checkout-12345-1804289383", 0 },	/* an idempotency key */
	{ "550e8400-e29b-41d4-a716-446655440000", 0 },
	{ "12345678-1234-1234-1234-123456789012", 0 },
	{ "1999.99", 0 },
	{ "JD014600006281230704", 0 },		/* a tracking number */
	{ "SKU-0001-RED", 0 },
	{ "9780306406157", 0 },			/* an ISBN-13 */
	{ "9000000000000001", 0 },		/* Luhn passes, no card network starts with 9 */
	{ "1000000000000008", 0 },
};

START_TEST(pan_rule)
{
	for (size_t i = 0; i < sizeof(pans) / sizeof(pans[0]); i++)
		ck_assert_msg(pan_like(pans[i].s, strlen(pans[i].s)) == pans[i].pan, "'%s': expected %d",
			      pans[i].s, pans[i].pan);
}
END_TEST

static const struct { const char *s; long at; } texts[] = {
	{ "sku,title,price\nA-1,Lamp,12.50\n", -1 },
	{ "sku,title,price\nA-1,Lamp,12.50\nA-2,4242424242424242,1\n", 35 },
	{ "sku,description\nA-1,\"pay with 4242 4242 4242 4242, thanks\"\n", 21 },
	{ "[{\"sku\":\"A-1\",\"description\":\"card 5555-5555-5555-4444\"}]", 29 },
	{ "[{\"sku\":\"A-1\",\"price\":\"12.50\",\"quantity\":4}]", -1 },
	{ "sku,ean\nA-1,9780306406157\n", -1 },
	{ "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", -1 },
};

START_TEST(upload_texts)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t n = strlen(texts[i].s);

		if (i == sizeof(texts) / sizeof(texts[0]) - 1)
			n = 16;	/* the PNG header with its NULs */
		ck_assert_msg(text_find_pan(texts[i].s, n) == texts[i].at, "'%s': %ld, expected %ld", texts[i].s,
			      text_find_pan(texts[i].s, n), texts[i].at);
	}
}
END_TEST

/* ---- body_check over a declaration ---- */

static const struct key t_keys[] = {
	{ "amount", v_int, 0, 1000, 0 },
	{ "note", v_string, 0, 100, 0 },
	{ "gift", v_bool, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0 }
};
static const struct field t_addr[] = {
	{ .name = "line1", .types = J_STR, .min = 1, .max = 10 },
	{ .name = "zip", .types = J_STR },
	{ NULL }
};
static const struct field t_pay[] = {
	{ .name = "type", .types = J_STR, .flags = F_REQUIRED, .oneof = "CARD|WALLET" },
	{ .name = "method", .types = J_STR, .flags = F_REQUIRED },
	{ NULL }
};
static const struct field t_str[] = { { .name = "", .types = J_STR }, { NULL } };
static const struct field t_line[] = {
	{ .name = "code", .types = J_STR, .flags = F_REQUIRED },
	{ .name = "qty", .types = J_INT, .min = 1, .max = 99 },
	{ .name = "options", .types = J_MAP, .max = 3, .sub = t_str },
	{ NULL }
};
static const struct field t_lines[] = { { .name = "", .types = J_OBJ, .sub = t_line }, { NULL } };
static const struct field t_decl[] = {
	{ .name = "address", .types = J_OBJ, .sub = t_addr },
	{ .name = "pay", .types = J_OBJ, .sub = t_pay },
	{ .name = "lines", .types = J_ARR, .max = 2, .sub = t_lines },
	{ .name = "count", .types = J_INT },
	{ NULL }
};
static const struct field t_open[] = {
	{ .name = "id", .types = J_STR },
	{ .name = "*", .types = J_ANY },
	{ NULL }
};

static const struct {
	const struct field *decl;
	const char *body;
	const char *why;	/* NULL: accepted */
} bodies[] = {
	{ t_decl, "{}", NULL },
	{ t_decl, "{\"amount\":5,\"note\":\"hi\",\"gift\":true}", NULL },
	{ t_decl, "{\"amount\":\"5\",\"gift\":\"on\"}", NULL },	/* numerals, as forms send */
	{ t_decl, "{\"amount\":null,\"address\":null}", NULL },	/* null: absent */
	{ t_decl, "{\"address\":{\"line1\":\"1 Main\",\"zip\":\"12345\"}}", NULL },
	{ t_decl, "{\"pay\":{\"type\":\"CARD\",\"method\":\"pm_1\"}}", NULL },
	{ t_decl, "{\"lines\":[{\"code\":\"A\",\"qty\":2,\"options\":{\"Color\":\"Red\"}}]}", NULL },
	{ t_decl, "{\"junk\":1}", "junk: unknown field" },
	{ t_decl, "{\"address\":{\"line1\":\"x\",\"card\":\"1\"}}", "address.card: unknown field" },
	{ t_decl, "{\"pay\":{\"type\":\"CARD\",\"method\":\"pm\",\"card\":{}}}", "pay.card: unknown field" },
	{ t_decl, "{\"lines\":[{\"code\":\"A\"},{\"code\":\"B\",\"x\":1}]}", "lines[1].x: unknown field" },
	{ t_decl, "{\"amount\":1.5}", "amount: must be a whole number" },
	{ t_decl, "{\"amount\":{}}", "amount: must be a whole number" },
	{ t_decl, "{\"note\":5}", "note: must be text" },
	{ t_decl, "{\"gift\":[]}", "gift: must be true or false" },
	{ t_decl, "{\"count\":\"5\"}", "count: must be a whole number" },
	{ t_decl, "{\"address\":\"1 Main\"}", "address: must be an object" },
	{ t_decl, "{\"address\":{\"line1\":\"\"}}", "address.line1: must be from 1 to 10 characters long" },
	{ t_decl, "{\"address\":{\"line1\":\"12345678901\"}}", "address.line1: must be from 1 to 10 characters long" },
	{ t_decl, "{\"pay\":{\"method\":\"pm\"}}", "pay.type: is required" },
	{ t_decl, "{\"pay\":{\"type\":null,\"method\":\"pm\"}}", "pay.type: is required" },
	{ t_decl, "{\"pay\":{\"type\":\"CASH\",\"method\":\"pm\"}}", "pay.type: must be one of CARD|WALLET" },
	{ t_decl, "{\"lines\":{}}", "lines: must be an array" },
	{ t_decl, "{\"lines\":[1]}", "lines[0]: must be an object" },
	{ t_decl, "{\"lines\":[{}]}", "lines[0].code: is required" },
	{ t_decl, "{\"lines\":[{\"code\":\"A\",\"qty\":0}]}", "lines[0].qty: must be a whole number from 1 to 99" },
	{ t_decl, "{\"lines\":[{\"code\":\"A\"},{\"code\":\"B\"},{\"code\":\"C\"}]}", "lines: must have from 0 to 2 elements" },
	{ t_decl, "{\"lines\":[{\"code\":\"A\",\"options\":{\"Color\":1}}]}", "lines[0].options.Color: must be text" },
	{ t_decl, "{\"lines\":[{\"code\":\"A\",\"options\":[]}]}", "lines[0].options: must be an object" },
	{ t_open, "{\"id\":\"evt_1\",\"data\":{\"object\":{\"x\":1}}}", NULL },
	{ t_open, "{\"id\":1}", "id: must be text" },
	{ NULL, "{\"amount\":1}", NULL },
	{ NULL, "{\"pay\":{}}", "pay: unknown field" },
};

START_TEST(body_declarations)
{
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		json_t *j = json_loads(bodies[i].body, 0, NULL);
		const char *why;

		ck_assert_msg(j != NULL, "%s: not JSON", bodies[i].body);
		why = body_check(A, t_keys, bodies[i].decl, j);
		if (!bodies[i].why)
			ck_assert_msg(why == NULL, "%s: refused (%s)", bodies[i].body, why);
		else
			ck_assert_msg(why && !strcmp(why, bodies[i].why), "%s: '%s', expected '%s'", bodies[i].body,
				      why ? why : "(accepted)", bodies[i].why);
		json_decref(j);
	}
}
END_TEST

/* ---- route_validate over the shop's route table ---- */

static const struct {
	enum method m;
	const char *path, *query, *body;	/* body: JSON, or a form when it does not start with '{' */
	const char *why;	/* NULL: accepted; else a part of the message */
} inputs[] = {
	/* The /api paths keep taking what they took. */
	{ M_POST, "/api/checkout", NULL, "{\"amount\":100,\"paymentMethod\":\"pm_card_visa\","
	  "\"shippingAddress\":{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"Austin\",\"region\":\"TX\","
	  "\"postalCode\":\"78701\",\"country\":\"US\"}}", NULL },
	{ M_POST, "/api/checkout", NULL, "{\"amount\":100,\"shippingAddressId\":3}", NULL },
	{ M_POST, "/api/checkout", NULL, "{\"amount\":100,\"line1\":\"1 Main\",\"country\":\"US\"}", NULL },
	{ M_POST, "/api/checkout", NULL, "{\"amount\":100,\"paymentInfo\":{\"card\":\"x\"}}", "paymentInfo: unknown field" },
	{ M_POST, "/api/checkout", NULL, "{\"shippingAddress\":{\"line1\":\"1\",\"card\":\"x\"}}",
	  "shippingAddress.card: unknown field" },
	{ M_POST, "/api/checkout", NULL, "{\"shippingAddress\":{\"line1\":7}}", "shippingAddress.line1: must be text" },
	{ M_POST, "/api/checkout", NULL, "{\"amount\":\"lots\"}", "amount: must be a whole number" },
	{ M_POST, "/api/checkout", NULL, "{\"paymentInfo\":{\"card\":\"4242 4242 4242 4242\"}}",
	  "paymentInfo.card: looks like a card number" },
	{ M_POST, "/api/checkout", NULL, "{\"shippingAddress\":{\"line2\":\"4242424242424242\"}}",
	  "shippingAddress.line2: looks like a card number" },
	{ M_POST, "/api/checkout", NULL, "{\"idempotencyKey\":\"4242424242424242\"}", NULL },	/* opaque */
	{ M_POST, "/api/checkout", "x=4242424242424242", "{}", "x: looks like a card number" },
	{ M_POST, "/checkout/place", NULL, "line1=4242+4242+4242+4242&amount=1", "line1: looks like a card number" },
	{ M_POST, "/checkout/place", NULL, "line1=1+Main+St&amount=1&idempotencyKey=4242424242424242", NULL },
	{ M_POST, "/api/session", NULL, "{\"email\":\"a@b.c\",\"password\":\"4242424242424242\"}", NULL },
	{ M_PATCH, "/api/cart", NULL, "{\"itemId\":\"ABC-1\",\"quantity\":2}", NULL },
	{ M_PATCH, "/api/cart", NULL, "{\"itemId\":\"ABC-1\",\"quantity\":2,\"note\":\"x\"}", "note: unknown field" },
	{ M_POST, "/api/me/addresses", NULL, "{\"name\":\"A\",\"line1\":\"1\",\"line2\":null,\"isDefault\":true}", NULL },
	{ M_POST, "/api/me/addresses", NULL, "{\"name\":\"A\",\"line1\":\"4242-4242-4242-4242\"}",
	  "line1: looks like a card number" },
	{ M_POST, "/api/me/addresses", NULL, "{\"name\":\"A\",\"phone\":\"+1 555 123 4567\"}", "phone: unknown field" },
	{ M_POST, "/api/items", NULL, "{\"name\":\"Lamp\",\"price\":100,\"attributes\":{\"Material\":\"Oak\"},"
	  "\"skus\":[{\"code\":\"L-1\",\"price\":100,\"weightGrams\":5,\"quantity\":3,\"options\":{\"Color\":\"Red\"}}]}", NULL },
	{ M_POST, "/api/items", NULL, "{\"name\":\"Lamp\",\"skus\":[{\"code\":\"L-1\",\"colour\":\"Red\"}]}",
	  "skus[0].colour: unknown field" },
	{ M_POST, "/api/items", NULL, "{\"name\":\"Lamp\",\"skus\":[{\"code\":\"L-1\",\"price\":\"1\"}]}",
	  "skus[0].price: must be a whole number" },
	/* A PATCH leaves the top-level types to the handler (404 first). */
	{ M_PATCH, "/api/items/1", NULL, "{\"name\":[1]}", NULL },
	{ M_PATCH, "/api/items/1", NULL, "{\"colour\":\"red\"}", "colour: unknown field" },
	{ M_PATCH, "/api/items/1", NULL, "{\"skus\":[{\"code\":\"A\",\"colour\":\"red\"}]}",
	  "skus[0].colour: unknown field" },
	{ M_POST, "/api/seller/orders/1/shipments", NULL, "{\"lines\":[1,{\"line\":2,\"quantity\":1}],"
	  "\"carrier\":\"UPS\",\"tracking\":\"4000056655665556\"}", NULL },
	{ M_POST, "/api/seller/orders/1/shipments", NULL, "{\"lines\":[\"1\"],\"carrier\":\"UPS\",\"tracking\":\"X\"}",
	  "lines[0]: must be a whole number or an object" },
	{ M_POST, "/api/webhooks/paygate", NULL, "{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\","
	  "\"data\":{\"object\":{\"id\":\"pi_1\",\"amount\":100}}}", NULL },
	/* The brief's paths. */
	{ M_GET, "/items", "term=lamp&size=10", NULL, NULL },
	{ M_PATCH, "/cart", NULL, "{\"itemId\":\"ABC-1\",\"quantity\":1}", NULL },
	{ M_POST, "/items", NULL, "{\"name\":\"Lamp\",\"price\":100}", NULL },
	{ M_POST, "/checkout", NULL, "{\"cartId\":7,\"amount\":100,\"shippingAddressId\":3,"
	  "\"paymentInfo\":{\"paymentType\":\"CARD\",\"paymentMethod\":\"pm_card_visa\"}}", NULL },
	{ M_POST, "/checkout", NULL, "{\"amount\":100,\"paymentInfo\":{\"paymentType\":\"CARD\",\"paymentMethod\":\"pm_1\"}}",
	  "cartId: is required" },
	{ M_POST, "/checkout", NULL, "{\"cartId\":7,\"amount\":100}", "paymentInfo: is required" },
	{ M_POST, "/checkout", NULL, "{\"cartId\":7,\"paymentInfo\":{\"paymentType\":\"PAYPAL\",\"paymentMethod\":\"pm_1\"}}",
	  "paymentInfo.paymentType: must be one of CARD" },
	{ M_POST, "/checkout", NULL, "{\"cartId\":7,\"paymentInfo\":{\"paymentType\":\"CARD\",\"paymentMethod\":\"pm_1\","
	  "\"card\":\"x\"}}", "paymentInfo.card: unknown field" },
	{ M_POST, "/checkout", NULL, "{\"cartId\":7,\"paymentInfo\":{\"paymentType\":\"CARD\","
	  "\"paymentMethod\":\"4242424242424242\"}}", "paymentInfo.paymentMethod: looks like a card number" },
	{ M_POST, "/checkout", NULL, "{\"cartId\":\"7\",\"paymentInfo\":{\"paymentType\":\"CARD\",\"paymentMethod\":\"pm_1\"}}",
	  "cartId: must be a whole number" },
};

START_TEST(route_inputs)
{
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct req r = { .a = A, .method = inputs[i].m, .path = inputs[i].path };
		struct ctx c = { .a = A, .req = &r };
		const char *why = NULL, *jwhy = NULL;
		unsigned allow;
		int status;
		enum err e;

		c.route = route_find(routes, nroutes, &r, &status, &allow);
		ck_assert_msg(c.route != NULL, "%s: no route", inputs[i].path);
		if (inputs[i].query)
			ck_assert_int_eq(req_parse_urlencoded(&r, inputs[i].query, strlen(inputs[i].query)), E_OK);
		if (inputs[i].body && inputs[i].body[0] == '{')
			ck_assert_int_eq(req_parse_json(&r, inputs[i].body, strlen(inputs[i].body), &jwhy), E_OK);
		else if (inputs[i].body)
			ck_assert_int_eq(req_parse_urlencoded(&r, inputs[i].body, strlen(inputs[i].body)), E_OK);
		e = route_validate(&c, &why);
		if (!inputs[i].why) {
			ck_assert_msg(e == E_OK, "%s %s: refused (%s)", inputs[i].path, inputs[i].body, why);
		} else {
			ck_assert_msg(e == E_INVAL && why && strstr(why, inputs[i].why), "%s %s: '%s', expected '%s'",
				      inputs[i].path, inputs[i].body, why ? why : "(accepted)", inputs[i].why);
			/* The message names the field, never the value. */
			ck_assert_msg(!strstr(why, "4242"), "%s: the value is in '%s'", inputs[i].path, why);
		}
	}
}
END_TEST

/* A member declared with a key reaches the handler as that flat key; the
 * brief's paths answer JSON like their twins. */
START_TEST(route_feeds_keys)
{
	const char *body = "{\"cartId\":7,\"amount\":100,\"paymentInfo\":{\"paymentType\":\"CARD\","
			   "\"paymentMethod\":\"pm_card_visa\"}}";
	struct req r = { .a = A, .method = M_POST, .path = "/checkout" };
	struct ctx c = { .a = A, .req = &r };
	const char *why = NULL;
	unsigned allow;
	int status;

	c.route = route_find(routes, nroutes, &r, &status, &allow);
	ck_assert_ptr_nonnull(c.route);
	ck_assert_int_eq(r.wants_json, 1);
	ck_assert_int_eq(req_parse_json(&r, body, strlen(body), &why), E_OK);
	ck_assert_int_eq(route_validate(&c, &why), E_OK);
	ck_assert_str_eq(ctx_str(&c, "paymentMethod"), "pm_card_visa");
	ck_assert_int_eq(ctx_int(&c, "cartId", 0), 7);
	ck_assert_int_eq(ctx_int(&c, "amount", 0), 100);

	/* GET /checkout stays the page. */
	memset(&r, 0, sizeof(r));
	r.a = A;
	r.method = M_GET;
	r.path = "/checkout";
	c.route = route_find(routes, nroutes, &r, &status, &allow);
	ck_assert_ptr_nonnull(c.route);
	ck_assert_int_eq(c.route->flags & RF_JSON, 0);
	ck_assert_int_eq(r.wants_json, 0);

	/* Both: refused as given twice. */
	body = "{\"cartId\":7,\"paymentMethod\":\"pm_a\",\"paymentInfo\":{\"paymentType\":\"CARD\",\"paymentMethod\":\"pm_b\"}}";
	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.a = c.a = A;
	c.req = &r;
	r.method = M_POST;
	r.path = "/checkout";
	c.route = route_find(routes, nroutes, &r, &status, &allow);
	ck_assert_int_eq(req_parse_json(&r, body, strlen(body), &why), E_OK);
	ck_assert_int_eq(route_validate(&c, &why), E_INVAL);
	ck_assert_str_eq(why, "paymentMethod: given more than once");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("body");
	TCase *tc = tcase_create("body");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pan_rule);
	tcase_add_test(tc, upload_texts);
	tcase_add_test(tc, body_declarations);
	tcase_add_test(tc, route_inputs);
	tcase_add_test(tc, route_feeds_keys);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
