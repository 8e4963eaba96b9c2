/* t/http: the layout every page shares (issue 15, H1): the header's links
 * for a visitor, a shopper and a seller; the footer's help pages; the
 * category listing's "Previous page"; the shop's name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.300s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s", (s))

/* The part of the page from the header's start to its end. */
static char *header_of(const struct hresp *r)
{
	const char *a = strstr(r->body, "<header"), *b = a ? strstr(a, "</header>") : NULL;

	ck_assert_ptr_nonnull(b);
	return strndup(a, (size_t)(b - a));
}

START_TEST(visitor_header_and_footer)
{
	struct hresp *r = http_get("/");
	char *h;

	ck_assert_int_eq(r->status, 200);
	h = header_of(r);
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/signin\">Sign in</a>"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/register\">Register</a>"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/cart\" class=\"cart-link\">Cart"));
	/* The departments are a menu that opens without JavaScript. */
	ck_assert_ptr_nonnull(strstr(h, "<details class=\"menu\">\n<summary>Departments</summary>"));
	ck_assert_ptr_null(strstr(h, "href=\"/orders\""));
	ck_assert_ptr_null(strstr(h, "Seller dashboard"));
	free(h);
	HAS(r, "<title>Everything in stock, on time · Shop</title>");
	HAS(r, "<a class=\"logo\" href=\"/\">Shop</a>");
	HAS(r, "<a href=\"/contact\">Contact us</a>");
	HAS(r, "<a href=\"/shipping\">Shipping</a>");
	HAS(r, "<a href=\"/returns\">Returns and refunds</a>");
	HAS(r, "<a href=\"/privacy\">Privacy</a>");
	hresp_free(r);
}
END_TEST

START_TEST(shopper_and_seller_header)
{
	struct client cl = {0}, sc = {0};
	struct hresp *r;
	char *h;

	ck_assert_int_eq(client_signup(&cl, "Hana Header", fresh_email("hdr"), "correct horse battery"), 0);
	r = client_browse(&cl, "GET", "/c/smartphones", NULL);
	ck_assert_int_eq(r->status, 200);
	h = header_of(r);
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/orders\">Orders</a>"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/account\" class=\"account-link\"><span class=\"hello\">Hello, Hana Header</span> <span>Account</span></a>"));
	ck_assert_ptr_nonnull(strstr(h, "Sign out"));
	ck_assert_ptr_null(strstr(h, "Seller dashboard"));
	ck_assert_ptr_null(strstr(h, "href=\"/signin\""));
	free(h);
	hresp_free(r);

	seller_new(&sc, "hdrseller", NULL);
	r = client_browse(&sc, "GET", "/", NULL);
	h = header_of(r);
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/seller/\">Seller dashboard</a>"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"/orders\">Orders</a>"));
	free(h);
	hresp_free(r);
}
END_TEST

START_TEST(help_pages)
{
	const char *pages[][2] = {
		{ "/contact", "<h1>Contact us</h1>" },
		{ "/shipping", "<h1>Shipping</h1>" },
		{ "/returns", "<h1>Returns and refunds</h1>" },
		{ "/privacy", "<h1>Privacy</h1>" },
	};

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct hresp *r = http_get(pages[i][0]);

		ck_assert_int_eq(r->status, 200);
		HAS(r, pages[i][1]);
		HAS(r, "<link rel=\"canonical\"");
		hresp_free(r);
	}
	{
		struct hresp *r = http_get("/shipping");

		HAS(r, "3–5 business days");	/* schema.sql's standard lane to the US */
		HAS(r, "free on orders of $50 or more");
		hresp_free(r);
		r = http_get("/returns");
		HAS(r, "30 days");
		hresp_free(r);
	}
}
END_TEST

/* The product links of a listing page, in order, into out. */
static void product_links(const struct hresp *r, char *out, size_t n)
{
	const char *p = r->body;
	size_t used = 0;

	out[0] = '\0';
	while ((p = strstr(p, "class=\"card-link\" href=\"")) && used + 200 < n) {
		const char *q;

		p += strlen("class=\"card-link\" href=\"");
		q = strchr(p, '"');
		used += (size_t)snprintf(out + used, n - used, "%.*s ", (int)(q - p), p);
	}
}

/* The href of the link with rel=REL in the pager, unescaped (&amp; &#61;). */
static int pager_link(const struct hresp *r, const char *rel, char *out, size_t n)
{
	char pat[64];
	const char *p, *q;
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\" rel=\"%s\"", rel);
	if (!(q = strstr(r->body, pat)))
		return 0;
	for (p = q; p > r->body && p[-1] != '"'; p--)
		;
	for (; p < q && o + 1 < n; p++) {
		if (!strncmp(p, "&amp;", 5)) {
			out[o++] = '&';
			p += 4;
		} else if (!strncmp(p, "&#61;", 5)) {
			out[o++] = '=';
			p += 4;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return 1;
}

START_TEST(category_previous_page)
{
	struct hresp *one = http_get("/c/fashion?sort=price_asc"), *two, *back, *three;
	char next[1024], prev[1024], l1[8192], l2[8192], lb[8192];

	ck_assert_int_eq(one->status, 200);
	LACKS(one, "rel=\"prev\"");
	ck_assert_int_eq(pager_link(one, "next", next, sizeof(next)), 1);
	two = http_get(next);
	ck_assert_int_eq(two->status, 200);
	/* Page 2's Previous is the first page itself. */
	ck_assert_int_eq(pager_link(two, "prev", prev, sizeof(prev)), 1);
	ck_assert_str_eq(prev, "/c/fashion?sort=price_asc");
	LACKS(two, "« First page");
	product_links(one, l1, sizeof(l1));
	back = http_get(prev);
	product_links(back, lb, sizeof(lb));
	ck_assert_str_eq(l1, lb);
	hresp_free(back);

	/* Page 3 (the demo's fashion has more than 48 products) goes back to
	 * page 2 read from the start: the same products as page 2 reached by
	 * the cursor. */
	ck_assert_int_eq(pager_link(two, "next", next, sizeof(next)), 1);
	{
		three = http_get(next);
		ck_assert_int_eq(pager_link(three, "prev", prev, sizeof(prev)), 1);
		ck_assert_str_eq(prev, "/c/fashion?sort=price_asc&page=2");
		HAS(three, "« First page");
		back = http_get(prev);
		ck_assert_int_eq(back->status, 200);
		product_links(two, l2, sizeof(l2));
		product_links(back, lb, sizeof(lb));
		ck_assert_str_eq(l2, lb);
		HAS(back, "rel=\"next\"");
		hresp_free(back);
		hresp_free(three);
	}
	hresp_free(two);
	hresp_free(one);
	/* Deeper than the walk allows: refused like any value out of range. */
	one = http_get("/c/fashion?page=41");
	ck_assert_int_eq(one->status, 400);
	hresp_free(one);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-layout");
	TCase *tc = tcase_create("layout");

	harness_init();
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, visitor_header_and_footer);
	tcase_add_test(tc, shopper_and_seller_header);
	tcase_add_test(tc, help_pages);
	tcase_add_test(tc, category_previous_page);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
