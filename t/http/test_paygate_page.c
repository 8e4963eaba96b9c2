/* t/http: the sandbox gateway's card page as a shopper types into it
 * (issue 15): the expiry as people write it ("12/30", "1230", "12 / 30"),
 * a keypad with a slash (inputmode text), the name and expiry kept when
 * the form comes back with an error (never the number or CVC), and a "Back
 * to the shop" link to the return_url the gateway already has (nothing
 * else about the shop or the buyer is asked for or sent). The API contract
 * (paygate/README.md) is unchanged: the page's attempts end as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define JS(j, k) json_string_value(json_object_get((j), (k)))
#define JO(j, k) json_object_get((j), (k))
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.800s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				"status %ld, body must not have %s: %.600s", (r)->status, (s), (r)->body)

#define RETURN_URL "http://shop.example/checkout/return?order=7"

static char pg_base[64];

static void pg_base_init(void)
{
	char path[1100], port[32];

	snprintf(path, sizeof(path), "%s/run/paygate.port", getenv("SHOP_HOME"));
	file_trimmed(path, port, sizeof(port));
	snprintf(pg_base, sizeof(pg_base), "http://127.0.0.1:%s", port);
}

/* A new intent (with a return_url when back), parsed. */
static json_t *intent(int back)
{
	char body[300];
	struct hresp *r;
	json_t *j;

	snprintf(body, sizeof(body), "{\"amount\":4200,\"currency\":\"usd\"%s}",
		 back ? ",\"return_url\":\"" RETURN_URL "\"" : "");
	r = paygate_req("POST", "/v1/payment_intents", body, NULL);
	ck_assert_msg(r->status == 200, "create: %ld %s", r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

static const char *secret_of(json_t *pi)
{
	const char *s = strstr(JS(pi, "hosted_url"), "?s=");

	ck_assert_ptr_nonnull(s);
	return s + 3;
}

static struct hresp *page(json_t *pi)
{
	return http_url("GET", JS(pi, "hosted_url"), NULL, NULL, NULL);
}

/* Posts the card form as a browser encodes it (exp and name already
 * form-encoded). */
static struct hresp *pay(json_t *pi, const char *number, const char *exp, const char *cvc, const char *name)
{
	char form[600], url[200];
	const char *h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };

	snprintf(form, sizeof(form), "s=%s&number=%s&exp=%s&cvc=%s&name=%s", secret_of(pi), number, exp, cvc, name);
	snprintf(url, sizeof(url), "%s/pay/%s", pg_base, JS(pi, "id"));
	return http_url("POST", url, form, h, NULL);
}

static void status_is(json_t *pi, const char *want)
{
	char st[64];

	paygate_status(JS(pi, "id"), st, sizeof(st));
	ck_assert_msg(!strcmp(st, want), "intent %s: %s, want %s", JS(pi, "id"), st, want);
}

/* Every way of writing December 2030 pays. */
START_TEST(expiry_as_people_type_it)
{
	static const char *const ways[] = {
		"12%2F30", "1230", "12+%2F+30", "12%2F2030", "122030", "12+%2F30", "+12%2F30+", "12-30",
	};

	pg_base_init();
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		json_t *pi = intent(1);
		struct hresp *r = pay(pi, "4242424242424242", ways[i], "123", "Ann+Buyer");

		ck_assert_msg(r->status == 303, "exp=%s: %ld %.300s", ways[i], r->status, r->body);
		hresp_free(r);
		status_is(pi, "requires_capture");
		json_decref(pi);
	}
	/* Still refused: no month 13, no 5-digit runs, no letters. */
	{
		static const char *const bad[] = { "13%2F30", "12345", "1%2F3", "ab%2Fcd", "12%2F%2F30", "" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			json_t *pi = intent(1);
			struct hresp *r = pay(pi, "4242424242424242", bad[i], "123", "");

			ck_assert_msg(r->status == 400, "exp=%s: %ld", bad[i], r->status);
			HAS(r, "expiration date is invalid");
			hresp_free(r);
			status_is(pi, "requires_payment_method");
			json_decref(pi);
		}
	}
}
END_TEST

/* A keypad that has the slash. */
START_TEST(expiry_keypad)
{
	json_t *pi;
	struct hresp *r;

	pg_base_init();
	pi = intent(1);
	r = page(pi);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"exp\" autocomplete=\"cc-exp\" inputmode=\"text\"");
	HAS(r, "name=\"number\" autocomplete=\"cc-number\" inputmode=\"numeric\"");
	hresp_free(r);
	json_decref(pi);
}
END_TEST

/* After a typing error or a decline the name and expiry are still there;
 * the number and CVC never are. */
START_TEST(kept_on_error)
{
	json_t *pi;
	struct hresp *r;

	pg_base_init();
	pi = intent(1);
	r = pay(pi, "4242424242424241", "12+%2F+30", "123", "Ann+O%27Buyer");
	ck_assert_int_eq(r->status, 400);
	HAS(r, "Your card number is incorrect.");
	HAS(r, "id=\"exp\"");
	HAS(r, "value=\"12 / 30\"");
	HAS(r, "value=\"Ann O&#39;Buyer\"");
	LACKS(r, "4242424242424241");
	hresp_free(r);
	r = pay(pi, "4242424242424242", "1230", "12", "Ann+Buyer");
	ck_assert_int_eq(r->status, 400);
	HAS(r, "security code");
	HAS(r, "value=\"1230\"");
	HAS(r, "value=\"Ann Buyer\"");
	LACKS(r, "4242424242424242");
	hresp_free(r);
	status_is(pi, "requires_payment_method");
	json_decref(pi);

	/* A decline on an intent without a return_url: the form again. */
	pi = intent(0);
	r = pay(pi, "4000000000000002", "12%2F30", "123", "Ann+Buyer");
	ck_assert_int_eq(r->status, 402);
	HAS(r, "Your card was declined.");
	HAS(r, "value=\"12/30\"");
	HAS(r, "value=\"Ann Buyer\"");
	hresp_free(r);
	json_decref(pi);
}
END_TEST

/* "Back to the shop": the return_url with the intent's id, as after an
 * attempt; never the page's secret. None when there is no return_url. */
START_TEST(back_to_the_shop)
{
	json_t *pi;
	struct hresp *r;
	char want[300];
	const char *a;

	pg_base_init();
	pi = intent(1);
	r = page(pi);
	ck_assert_int_eq(r->status, 200);
	HAS(r, ">Back to the shop</a>");
	snprintf(want, sizeof(want), "href=\"http://shop.example/checkout/return?order=7&amp;payment_intent=%s\"",
		 JS(pi, "id"));
	HAS(r, want);
	a = strstr(r->body, "Back to the shop");
	ck_assert_ptr_nonnull(a);
	{
		const char *href = strstr(r->body, want);

		ck_assert_ptr_nonnull(href);
		ck_assert_msg(!memmem(href, (size_t)(a - href), secret_of(pi), strlen(secret_of(pi))),
			      "the back link carries the secret");
	}
	ck_assert_str_eq(hresp_header(r, "Referrer-Policy"), "no-referrer");
	hresp_free(r);
	/* Also on the form that comes back with an error. */
	r = pay(pi, "4242424242424241", "12%2F30", "123", "");
	HAS(r, ">Back to the shop</a>");
	hresp_free(r);
	status_is(pi, "requires_payment_method");
	json_decref(pi);

	pi = intent(0);
	r = page(pi);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "Back to the shop");
	hresp_free(r);
	json_decref(pi);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paygate_page");
	TCase *t = tcase_create("paygate_page");

	harness_init();
	tcase_set_timeout(t, 60);
	tcase_add_test(t, expiry_as_people_type_it);
	tcase_add_test(t, expiry_keypad);
	tcase_add_test(t, kept_on_error);
	tcase_add_test(t, back_to_the_shop);
	suite_add_tcase(s, t);
	return run_suite(s);
}
