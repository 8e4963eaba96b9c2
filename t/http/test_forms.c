/* t/http: plain forms of the shop as a browser sends them (issue 15, bugs 1
 * and 7).
 *
 * Bug 1: a new visitor adds to the cart from a product page, goes Back and
 * adds again (or reopens the product while the browser still has the
 * anonymous page cached): the page carries no token, and the visitor now has
 * a session. A browser says where its post comes from (Sec-Fetch-Site,
 * Origin), so the post is accepted when it proves it is our own page; it is
 * still refused when it says it comes from elsewhere. When nothing proves
 * it, the answer is a page that asks again with a fresh token, never the
 * bare "Error 403 You cannot do that".
 *
 * Bug 7: the category price filter takes "$100", "1,000", " 25.50 "; a
 * price that is not one, or a minimum above the maximum, is said in words
 * on the listing page (not a full-page 400); and 422 answers have a title
 * for their cause, not one title for all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "harness.h"

#define SKU_A "BEA-ESS-ESS-001"
#define PRODUCT "/p/essence-mascara-lash-princess"
#define PW "correct horse battery"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.600s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s: %.600s", (s), (r)->body)

/* How the browser labels a post. */
enum from { F_NOTHING, F_SAME_ORIGIN, F_ORIGIN_ONLY, F_CROSS_SITE, F_SAME_SITE, F_EVIL_ORIGIN, F_NULL_ORIGIN };

/* A form post as a browser sends it: the cookie (when cl has one, kept from
 * Set-Cookie), Accept: text/html, and the headers `from` says. */
static struct hresp *post_form(struct client *cl, const char *path, const char *form, enum from from)
{
	char cookie[300], origin[300];
	const char *h[8];
	int n = 0;
	struct hresp *r;
	const char *sc;

	h[n++] = "Content-Type: application/x-www-form-urlencoded";
	h[n++] = "Accept: text/html,application/xhtml+xml";
	if (cl->cookie[0]) {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
		h[n++] = cookie;
	}
	snprintf(origin, sizeof(origin), "Origin: %s", base_url());
	switch (from) {
	case F_SAME_ORIGIN:
		h[n++] = "Sec-Fetch-Site: same-origin";
		h[n++] = origin;
		break;
	case F_ORIGIN_ONLY:
		h[n++] = origin;
		break;
	case F_CROSS_SITE:
		h[n++] = "Sec-Fetch-Site: cross-site";
		break;
	case F_SAME_SITE:
		h[n++] = "Sec-Fetch-Site: same-site";
		break;
	case F_EVIL_ORIGIN:
		h[n++] = "Origin: https://evil.example";
		break;
	case F_NULL_ORIGIN:
		h[n++] = "Origin: null";
		break;
	case F_NOTHING:
		break;
	}
	h[n] = NULL;
	r = http("POST", path, form, h);
	if ((sc = hresp_header(r, "Set-Cookie")) && !strncmp(sc, "sid=", 4)) {
		size_t k = strcspn(sc, ";");

		snprintf(cl->cookie, sizeof(cl->cookie), "%.*s", (int)k, sc);
	}
	return r;
}

static long long qty_of(struct client *cl, const char *sku)
{
	struct hresp *r = client_req(cl, "GET", "/api/cart", NULL, 0);
	json_t *j = hresp_json(r), *l;
	long long q = 0;
	size_t i;

	ck_assert_msg(r->status == 200, "GET /api/cart: %ld %s", r->status, r->body);
	json_array_foreach(json_object_get(j, "items"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "itemId")), sku))
			q = json_integer_value(json_object_get(l, "quantity"));
	json_decref(j);
	hresp_free(r);
	return q;
}

/* The value of the hidden input `name` in an HTML body, into out ("" when absent). */
static void hidden_value(const struct hresp *r, const char *name, char *out, size_t n)
{
	char pat[128];
	const char *p;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	if (!(p = strstr(r->body, pat)))
		return;
	p += strlen(pat);
	snprintf(out, n, "%.*s", (int)strcspn(p, "\""), p);
}

/* The page a refused form gets: a page that asks again, not the bare error. */
static void asks_again(const struct hresp *r, int resend)
{
	ck_assert_msg(r->status == 403, "status %ld: %.400s", r->status, r->body);
	LACKS(r, "You cannot do that");
	LACKS(r, "Error 403");
	HAS(r, "Please confirm");
	if (resend) {
		HAS(r, "name=\"csrf\" value=\"");
		HAS(r, "Yes, continue");
	} else {
		LACKS(r, "Yes, continue");
	}
}

/* The anonymous product page: a form without a token, which browsers may
 * keep (public, max-age) and show again on Back. */
static void anonymous_page(void)
{
	struct hresp *r = http_get(PRODUCT);

	ck_assert_int_eq(r->status, 200);
	HAS(r, "action=\"/cart/add\"");
	LACKS(r, "name=\"csrf\"");
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Cache-Control"), "public"));
	/* Kept, but never shown again without asking: a copy kept for
	 * seconds showed a visitor who had just signed in as signed out. */
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Cache-Control"), "no-cache"));
	ck_assert_ptr_null(strstr(hresp_header(r, "Cache-Control"), "max-age"));
	hresp_free(r);
}

/* Add, Back, Add: the second post comes from the cached page, without a
 * token, from a visitor who now has a session. */
START_TEST(back_then_add_again)
{
	struct client v = {0};
	struct hresp *r;

	anonymous_page();
	r = post_form(&v, "/cart/add", "itemId=" SKU_A "&quantity=1", F_SAME_ORIGIN);
	ck_assert_msg(r->status == 303, "first add: %ld %.300s", r->status, r->body);
	ck_assert_str_eq(hresp_header(r, "Location"), "/cart");
	hresp_free(r);
	ck_assert_msg(v.cookie[0], "the first add starts a session");
	ck_assert_int_eq(qty_of(&v, SKU_A), 1);

	/* Back, Add to cart again: the same form, now with the cookie. */
	r = post_form(&v, "/cart/add", "itemId=" SKU_A "&quantity=1", F_SAME_ORIGIN);
	ck_assert_msg(r->status == 303, "add after Back: %ld %.300s", r->status, r->body);
	LACKS(r, "You cannot do that");
	hresp_free(r);
	ck_assert_int_eq(qty_of(&v, SKU_A), 2);

	/* Reopening the product within the cache time: the same cached page;
	 * a browser that sends only Origin (no Sec-Fetch-Site) is proven too. */
	anonymous_page();
	r = post_form(&v, "/cart/add", "itemId=" SKU_A "&quantity=3", F_ORIGIN_ONLY);
	ck_assert_msg(r->status == 303, "add from a reopened cached page: %ld %.300s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&v, SKU_A), 5);
}
END_TEST

/* Every post form on a page the cache may serve to a visitor without a
 * session (home, a category, a product, search) is accepted from a
 * visitor who has one, without a token, when the browser proves it is
 * ours: it is refused for its fields (400) or done, never 403. A new form
 * on such a page to a route without RF_CSRF_OPEN fails here. */
START_TEST(every_cached_form_is_open)
{
	static const char *const pages[] = { "/", "/c/smartphones", PRODUCT, "/search?q=phone" };
	struct client v = {0};
	int forms = 0;

	ck_assert_int_eq(client_session(&v), 0);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct hresp *r = http_get(pages[i]);
		const char *p = r->body;

		ck_assert_msg(r->status == 200, "%s: %ld", pages[i], r->status);
		ck_assert_msg(strstr(hresp_header(r, "Cache-Control"), "public"), "%s is not cacheable", pages[i]);
		while ((p = strstr(p, "<form method=\"post\" action=\""))) {
			char action[200];
			struct hresp *a;

			p += strlen("<form method=\"post\" action=\"");
			snprintf(action, sizeof(action), "%.*s", (int)strcspn(p, "\""), p);
			a = post_form(&v, action, "", F_SAME_ORIGIN);
			ck_assert_msg(a->status != 403, "%s: the form to %s is refused: %ld", pages[i], action, a->status);
			hresp_free(a);
			forms++;
		}
		hresp_free(r);
	}
	ck_assert_int_ge(forms, 1);	/* at least the product page's */
}
END_TEST

/* Posts that say they come from elsewhere are refused, session or not,
 * token or not; and nothing changes. */
START_TEST(cross_site_still_refused)
{
	struct client v = {0};
	static const enum from bad[] = { F_CROSS_SITE, F_SAME_SITE, F_EVIL_ORIGIN, F_NULL_ORIGIN };
	char form[300];
	struct hresp *r;

	/* Without a session. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct client none = {0};

		r = post_form(&none, "/cart/add", "itemId=" SKU_A "&quantity=1", bad[i]);
		ck_assert_msg(r->status == 403, "from %d without a session: %ld", (int)bad[i], r->status);
		hresp_free(r);
	}
	/* With a session and a cart. */
	r = post_form(&v, "/cart/add", "itemId=" SKU_A "&quantity=1", F_SAME_ORIGIN);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(client_session(&v), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = post_form(&v, "/cart/add", "itemId=" SKU_A "&quantity=1", bad[i]);
		ck_assert_msg(r->status == 403, "from %d with a session: %ld", (int)bad[i], r->status);
		LACKS(r, "Yes, continue");	/* a cross-site post is not asked again */
		hresp_free(r);
		/* Even with the right token. */
		snprintf(form, sizeof(form), "csrf=%s&itemId=" SKU_A "&quantity=1", v.csrf);
		r = post_form(&v, "/cart/add", form, bad[i]);
		ck_assert_msg(r->status == 403, "from %d with the token: %ld", (int)bad[i], r->status);
		hresp_free(r);
		/* And on a form no cached page serves. */
		r = post_form(&v, "/cart/clear", "", bad[i]);
		ck_assert_msg(r->status == 403, "/cart/clear from %d: %ld", (int)bad[i], r->status);
		hresp_free(r);
	}
	ck_assert_int_eq(qty_of(&v, SKU_A), 1);
	/* The JSON API keeps its contract: a token or 403. */
	r = client_req(&v, "POST", "/api/cart/items", "{\"itemId\":\"" SKU_A "\",\"quantity\":1}", 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&v, SKU_A), 1);
}
END_TEST

/* Nothing proves the post is ours (an old browser, a stale token): the
 * answer asks again, with a fresh token and what was sent; one click
 * finishes it. */
START_TEST(unproven_post_asks_again)
{
	struct client v = {0};
	char token[128], item[128], qty[16], form[400];
	struct hresp *r;

	/* No session, no token, no header: the cached form from an old browser. */
	r = post_form(&v, "/cart/add", "itemId=" SKU_A "&quantity=2", F_NOTHING);
	asks_again(r, 1);
	hidden_value(r, "csrf", token, sizeof(token));
	hidden_value(r, "itemId", item, sizeof(item));
	hidden_value(r, "quantity", qty, sizeof(qty));
	HAS(r, "action=\"/cart/add\"");
	hresp_free(r);
	ck_assert_str_eq(item, SKU_A);
	ck_assert_str_eq(qty, "2");
	ck_assert_msg(v.cookie[0] && token[0], "the page starts a session for its token");
	ck_assert_int_eq(qty_of(&v, SKU_A), 0);	/* nothing changed yet */
	snprintf(form, sizeof(form), "csrf=%s&itemId=%s&quantity=%s", token, item, qty);
	r = post_form(&v, "/cart/add", form, F_NOTHING);
	ck_assert_msg(r->status == 303, "continue: %ld %.300s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&v, SKU_A), 2);

	/* A stale token on a form of the cart page (signed in elsewhere, an old
	 * tab): asked again, even when the browser proves same-origin (the
	 * token stays required where the page carries one). */
	r = post_form(&v, "/cart/update", "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&itemId=" SKU_A "&quantity=5",
		      F_SAME_ORIGIN);
	asks_again(r, 1);
	hidden_value(r, "csrf", token, sizeof(token));
	LACKS(r, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");	/* the old token is not sent again */
	hresp_free(r);
	ck_assert_int_eq(qty_of(&v, SKU_A), 2);
	snprintf(form, sizeof(form), "csrf=%s&itemId=" SKU_A "&quantity=5", token);
	r = post_form(&v, "/cart/update", form, F_SAME_ORIGIN);
	ck_assert_msg(r->status == 303, "continue: %ld %.300s", r->status, r->body);
	hresp_free(r);
	ck_assert_int_eq(qty_of(&v, SKU_A), 5);
}
END_TEST

/* A form with a password is never written back into a page: the visitor is
 * sent back to the form instead. */
START_TEST(password_forms_not_echoed)
{
	struct client v = {0};
	char ref[300];
	const char *h[6];
	struct hresp *r;

	ck_assert_int_eq(client_session(&v), 0);
	{
		char cookie[300];

		snprintf(cookie, sizeof(cookie), "Cookie: %s", v.cookie);
		snprintf(ref, sizeof(ref), "Referer: %s/signin?next=/checkout", base_url());
		h[0] = "Content-Type: application/x-www-form-urlencoded";
		h[1] = "Accept: text/html";
		h[2] = cookie;
		h[3] = ref;
		h[4] = NULL;
		r = http("POST", "/signin", "csrf=stale&email=a%40example.com&password=hunter2hunter2", h);
	}
	asks_again(r, 0);
	LACKS(r, "hunter2hunter2");
	HAS(r, "href=\"/signin?next&#61;/checkout\"");	/* back to the form */
	hresp_free(r);
}
END_TEST

/* A form of a signed-in page sent after the session ended (signed out in
 * another tab): nothing is done, and the shopper is sent to sign in, then
 * back to the page the form was on; not a 403. */
START_TEST(signed_out_form_goes_to_sign_in)
{
	char ref[300];
	const char *h[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: text/html",
			    "Sec-Fetch-Site: same-origin", ref, NULL };
	struct hresp *r;

	snprintf(ref, sizeof(ref), "Referer: %s/account/addresses/new", base_url());
	r = http("POST", "/account/addresses", "csrf=x&name=Ann&line1=1+Main+St&city=Austin&region=TX"
		 "&postalCode=78701&country=US", h);
	ck_assert_msg(r->status == 303, "signed out: %ld %.300s", r->status, r->body);
	ck_assert_str_eq(hresp_header(r, "Location"), "/signin?next=%2Faccount%2Faddresses%2Fnew");
	hresp_free(r);
	/* The API keeps its answer. */
	r = http("POST", "/api/me/addresses", "{\"name\":\"Ann\"}",
		 (const char *const[]){ "Content-Type: application/json", NULL });
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
}
END_TEST

/* ---- bug 7: the category price filter ---- */

static struct hresp *listing(const char *query)
{
	char path[300];

	snprintf(path, sizeof(path), "/c/smartphones?%s", query);
	return http_get(path);
}

START_TEST(price_filter_words)
{
	struct hresp *r;

	/* "$200" and "300": as 200 to 300. */
	r = listing("minPrice=%24200&maxPrice=300");
	ck_assert_msg(r->status == 200, "$200: %ld", r->status);
	HAS(r, "Price: $200.00 to $300.00");
	HAS(r, "iPhone 6");
	LACKS(r, "iPhone X");
	hresp_free(r);
	/* "1,000" and "$ 1,299.99". */
	r = listing("maxPrice=1%2C000");
	ck_assert_msg(r->status == 200, "1,000: %ld", r->status);
	HAS(r, "Price: up to $1,000.00");
	hresp_free(r);
	r = listing("minPrice=%24%201%2C299.99");
	ck_assert_msg(r->status == 200, "$ 1,299.99: %ld", r->status);
	HAS(r, "Price: $1,299.99 and up");
	hresp_free(r);
	/* Spaces around. */
	r = listing("minPrice=%2025.50%20");
	ck_assert_msg(r->status == 200, "\" 25.50 \": %ld", r->status);
	HAS(r, "Price: $25.50 and up");
	hresp_free(r);

	/* Not a price: a message on the page, the listing without that bound. */
	r = listing("minPrice=abc&maxPrice=300");
	ck_assert_msg(r->status == 200, "abc: %ld %.300s", r->status, r->body);
	HAS(r, "“abc” is not a price");
	HAS(r, "Price: up to $300.00");
	HAS(r, "iPhone 6");
	HAS(r, "aria-invalid=\"true\"");
	LACKS(r, "That request did not make sense");
	hresp_free(r);

	/* The minimum above the maximum: said in words, the two read the
	 * other way round. */
	r = listing("minPrice=300&maxPrice=200");
	ck_assert_msg(r->status == 200, "min above max: %ld", r->status);
	HAS(r, "higher than");
	HAS(r, "Price: $200.00 to $300.00");
	HAS(r, "iPhone 6");
	hresp_free(r);
}
END_TEST

/* ---- bug 7: a title for each cause of a 422 ---- */

static char *title_of(const struct hresp *r)
{
	static char t[4][256];
	static int k;
	json_t *j = hresp_json(r);
	const char *s = json_string_value(json_object_get(json_object_get(j, "error"), "title"));
	char *out = t[k++ % 4];

	snprintf(out, 256, "%s", s ? s : "");
	json_decref(j);
	return out;
}

START_TEST(titles_per_cause)
{
	struct client g = {0}, u = {0};
	const char *titles[3];
	char email[128], code[64], body[160];
	struct hresp *r;

	ck_assert_int_eq(client_session(&g), 0);
	/* An unknown SKU. */
	r = client_req(&g, "POST", "/api/cart/items", "{\"itemId\":\"NOPE-NOPE-404\",\"quantity\":1}", 1);
	ck_assert_msg(r->status == 422, "unknown SKU: %ld %s", r->status, r->body);
	titles[0] = title_of(r);
	hresp_free(r);
	/* Over the per-line maximum (a SKU with stock to spare, whatever the
	 * suites before this one bought). */
	snprintf(code, sizeof(code), "%s", SKU_A);
	set_stock(code, 1, 150, "test_forms: room for a full cart line");
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":99}", code);
	r = client_req(&g, "PATCH", "/api/cart", body, 1);
	ck_assert_msg(r->status == 200, "99: %ld %s", r->status, r->body);
	hresp_free(r);
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1}", code);
	r = client_req(&g, "POST", "/api/cart/items", body, 1);
	ck_assert_msg(r->status == 422, "100: %ld %s", r->status, r->body);
	titles[1] = title_of(r);
	hresp_free(r);
	/* Checking out an empty cart. */
	snprintf(email, sizeof(email), "%s", fresh_email("forms"));
	clear_ip_throttles();
	ck_assert_int_eq(client_signup(&u, "Fern Forms", email, PW), 0);
	r = client_req(&u, "POST", "/api/checkout/quote", "{" TEST_ADDR ",\"shippingMethod\":\"standard\"}", 1);
	ck_assert_msg(r->status == 422, "empty cart: %ld %s", r->status, r->body);
	titles[2] = title_of(r);
	hresp_free(r);

	for (int i = 0; i < 3; i++) {
		ck_assert_msg(titles[i][0], "cause %d has no title", i);
		ck_assert_msg(strcmp(titles[i], "That file could not be used"), "cause %d: %s", i, titles[i]);
		ck_assert_msg(strcmp(titles[i], "That could not be done"), "cause %d still has the one title for all", i);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(titles[i], titles[j]), "causes %d and %d share \"%s\"", j, i, titles[i]);
	}
	ck_assert_str_eq(titles[0], "We could not find that item");
	ck_assert_str_eq(titles[1], "That is more than a cart can hold");
	ck_assert_str_eq(titles[2], "Your cart is empty");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forms");
	TCase *t = tcase_create("forms");

	harness_init();
	tcase_set_timeout(t, 120);
	tcase_add_test(t, back_then_add_again);
	tcase_add_test(t, every_cached_form_is_open);
	tcase_add_test(t, cross_site_still_refused);
	tcase_add_test(t, unproven_post_asks_again);
	tcase_add_test(t, password_forms_not_echoed);
	tcase_add_test(t, signed_out_form_goes_to_sign_in);
	tcase_add_test(t, price_filter_words);
	tcase_add_test(t, titles_per_cause);
	suite_add_tcase(s, t);
	return run_suite(s);
}
