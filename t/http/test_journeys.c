/* t/http: the shopper journeys of issue 15 that broke (bugs 3, 4, 5, 8 and
 * 9), each written to fail before its fix:
 *   3  checkout form errors keep what was typed, say it in words beside the
 *      field, never select the saved address silently; a state typed as its
 *      name ("California") is taken, in the form and over the API; checkout
 *      errors carry `title`; the new address is saved to the address book;
 *   4  two tabs on Review, Place order in both: one order, the second tab
 *      lands on the first's order (also after paying);
 *   5  /signin?next=/checkout ▶ Create an account keeps next, signs in and
 *      lands on the checkout;
 *   8  Review is a GET after a redirect (Back after paying re-posts
 *      nothing); /cart/add over the stock left redirects with a message;
 *   9  failed registrations do not lock out an address shared by many. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.1500s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s: %.1500s", (s), (r)->body)

static char sku[64], few[64];
static long long sku_id, few_id;

/* Another active SKU with stock, the first of its item (the one its page names). */
static long long pick_other(long long not_id, char *code, size_t n)
{
	long long pid = sql_scalarf("SELECT MAX(p.id) FROM products p JOIN skus s ON s.product_id = p.id "
				    "WHERE p.status = 'active' AND s.status = 'active' AND s.id <> %lld AND "
				    "(SELECT SUM(i.available) FROM inventory i WHERE i.sku_id = s.id) >= 10", not_id);
	char path[64];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(code, n, "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
	return sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
}

static void setup(void)
{
	clear_ip_throttles();
	if (!sku_id) {
		sku_id = sku_pick("", 20, sku, sizeof(sku));
		few_id = pick_other(sku_id, few, sizeof(few));
		ck_assert_int_ne(sku_id, few_id);
	}
}

static void teardown(void)
{
}

static long long shopper(struct client *cl, char *email, size_t n)
{
	clear_ip_throttles();
	return buyer_new(cl, "jy", email, n);
}

/* The place-order form of a Review page, as a browser would send it. */
static void place_form(const char *body, char *out, size_t n)
{
	const char *p = strstr(body, "action=\"/checkout/place\"");
	size_t len = 0;

	ck_assert_ptr_nonnull(p);
	out[0] = 0;
	while ((p = strstr(p, "<input type=\"hidden\" name=\"")) && !strncmp(p, "<input", 6)) {
		const char *nm = p + strlen("<input type=\"hidden\" name=\""), *v;
		char *esc;
		int nl = (int)strcspn(nm, "\"");

		v = strstr(nm, "value=\"");
		ck_assert_ptr_nonnull(v);
		v += 7;
		esc = curl_easy_escape(NULL, v, (int)strcspn(v, "\""));
		len += (size_t)snprintf(out + len, n - len, "%s%.*s=%s", len ? "&" : "", nl, nm, esc);
		curl_free(esc);
		ck_assert_uint_lt(len, n);
		p = nm;
		if (strstr(p, "</form>") && strstr(p, "</form>") < strstr(p, "<input"))
			break;
	}
}

/* Follows a 303 of the shop (one hop) and returns the page it names. */
static struct hresp *follow(struct client *cl, struct hresp *r)
{
	const char *l = hresp_header(r, "Location");
	char loc[600];

	ck_assert_msg(r->status == 303 && l, "expected a redirect: %ld %.600s", r->status, r->body);
	snprintf(loc, sizeof(loc), "%s", strncmp(l, "http", 4) ? l : strchr(strstr(l, "//") + 2, '/'));
	hresp_free(r);
	return client_browse(cl, "GET", loc, NULL);
}

/* Review after POST /checkout/review: the page (a redirect to it is followed). */
static struct hresp *review(struct client *cl, const char *fields)
{
	char form[1500];
	struct hresp *r;

	snprintf(form, sizeof(form), "csrf=%s&%s", cl->csrf, fields);
	r = client_browse(cl, "POST", "/checkout/review", form);
	if (r->status == 303)
		r = follow(cl, r);
	return r;
}

#define NEW_ADDR "shippingAddressId=0&name=Ann+Buyer&line1=1+Main+St&line2=Flat+2&city=Los+Angeles" \
		 "&postalCode=90001&country=US&shippingMethod=standard"

/* ---- bug 3: the checkout form ---- */

START_TEST(form_errors_keep_input)
{
	struct client cl;
	struct hresp *r;
	char form[1500];
	long long uid = shopper(&cl, NULL, 0);

	cart_put(&cl, sku, 1);
	/* A saved address (the one the old page fell back to silently). */
	r = client_req(&cl, "POST", "/api/me/addresses", "{\"name\":\"Old Home\",\"line1\":\"9 Elm St\",\"city\":\"Austin\","
		       "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}", 1);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	hresp_free(r);

	/* Countries and US states as named choices. */
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<select");
	HAS(r, ">California</option>");
	HAS(r, ">United States</option>");
	HAS(r, ">Germany</option>");
	hresp_free(r);

	/* A wrong ZIP code with a new address: everything typed stays, the
	 * error is in words beside its field, the saved address is not chosen. */
	snprintf(form, sizeof(form), "csrf=%s&shippingAddressId=0&name=Ann+Buyer&line1=1+Main+St&line2=Flat+2"
		 "&city=Los+Angeles&region=CA&postalCode=9000&country=US&shippingMethod=standard&promoCode=", cl.csrf);
	r = client_browse(&cl, "POST", "/checkout/review", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "value=\"Ann Buyer\"");
	HAS(r, "value=\"1 Main St\"");
	HAS(r, "value=\"Flat 2\"");
	HAS(r, "value=\"Los Angeles\"");
	HAS(r, "value=\"9000\"");
	HAS(r, "value=\"CA\" selected");
	HAS(r, "value=\"US\" selected");
	HAS(r, "value=\"0\" checked");
	LACKS(r, "checked> <span>Old Home");
	HAS(r, "id=\"co-postalCode-error\"");
	HAS(r, "aria-invalid=\"true\"");
	HAS(r, "ZIP code");
	LACKS(r, "shippingAddress:");
	LACKS(r, "postalCode:");
	hresp_free(r);

	/* The saved address chosen and a new one typed: the form asks (the new
	 * one chosen, as typed), never ships to the saved one in silence. */
	snprintf(form, sizeof(form), "csrf=%s&shippingAddressId=%lld&name=Ann+Buyer&line1=1+Main+St&city=Los+Angeles"
		 "&region=CA&postalCode=90001&country=US&shippingMethod=standard",
		 cl.csrf, sql_scalarf("SELECT MIN(id) FROM addresses WHERE user_id = %lld", uid));
	r = client_browse(&cl, "POST", "/checkout/review", form);
	ck_assert_int_eq(r->status, 400);
	HAS(r, "value=\"0\" checked");
	HAS(r, "value=\"1 Main St\"");
	LACKS(r, "checked> <span>Old Home");
	hresp_free(r);

	/* A state typed as its name is taken (bug 3's "California"); the
	 * "save" box is ticked, as the form has it. */
	snprintf(form, sizeof(form), "csrf=%s&shippingAddressId=0&name=Ann+Buyer&line1=1+Main+St&city=Los+Angeles"
		 "&region=California&postalCode=90001&country=US&shippingMethod=standard&saveAddress=1", cl.csrf);
	r = client_browse(&cl, "POST", "/checkout/review", form);
	if (r->status == 303)
		r = follow(&cl, r);
	ck_assert_msg(r->status == 200, "%ld %.800s", r->status, r->body);
	HAS(r, "Place order and pay");
	HAS(r, "Los Angeles, CA 90001");
	hresp_free(r);

	/* The new address went to the address book (the box is ticked by default). */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld AND line1 = '1 Main St' "
				     "AND region = 'CA'", uid), 1);
	/* The same again is not saved twice. */
	r = review(&cl, "shippingAddressId=0&name=Ann+Buyer&line1=1+Main+St&city=Los+Angeles&region=CA"
		   "&postalCode=90001&country=US&shippingMethod=standard&saveAddress=1");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld AND line1 = '1 Main St'", uid), 1);
}
END_TEST

START_TEST(form_offers_save_box_and_summary)
{
	struct client cl;
	struct hresp *r;

	shopper(&cl, NULL, 0);
	cart_put(&cl, sku, 2);
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"saveAddress\" value=\"1\" checked");
	/* The order summary beside the form: the items and their total. */
	HAS(r, "class=\"summary\"");
	HAS(r, "Order summary");
	hresp_free(r);
}
END_TEST

START_TEST(api_state_name_and_titles)
{
	struct client cl;
	struct hresp *r;
	json_t *j;

	shopper(&cl, NULL, 0);
	cart_put(&cl, sku, 1);
	r = client_req(&cl, "POST", "/api/checkout/quote", "{\"shippingAddress\":{\"name\":\"Ann\",\"line1\":\"1 Main St\","
		       "\"city\":\"Los Angeles\",\"region\":\"California\",\"postalCode\":\"90001\",\"country\":\"US\"},"
		       "\"shippingMethod\":\"standard\"}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	hresp_free(r);

	/* A checkout error carries a title beside its status and message. */
	r = post_idem(&cl, "/api/checkout", "{\"shippingAddress\":{\"name\":\"Ann\",\"line1\":\"1 Main St\","
		      "\"city\":\"Los Angeles\",\"region\":\"ZZ\",\"postalCode\":\"90001\",\"country\":\"US\"},"
		      "\"shippingMethod\":\"standard\",\"amount\":1}", "jy-title-1", NULL);
	ck_assert_int_eq(r->status, 400);
	j = hresp_json(r);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(j, "error"), "title")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(j, "error"), "message")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "status")), 400);
	/* ... and the field it is about. */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(j, "error"),
			 "fields"), 0), "field")), "shippingAddress.region");
	json_decref(j);
	hresp_free(r);
	/* The amount no longer matching (409): titled too. */
	r = post_idem(&cl, "/api/checkout", "{" TEST_ADDR ",\"shippingMethod\":\"standard\",\"amount\":1}", "jy-title-2", NULL);
	ck_assert_int_eq(r->status, 409);
	j = hresp_json(r);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(j, "error"), "title")));
	json_decref(j);
	hresp_free(r);
}
END_TEST

/* ---- bug 4: two tabs, one order ---- */

static void pay_on_gateway(const char *pay_url, const char *card, char *back, size_t n)
{
	struct hresp *r = http_url("GET", pay_url, NULL, NULL, NULL);
	const char *s, *h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	char secret[128], form[400], action[400];
	const char *l;

	ck_assert_int_eq(r->status, 200);
	s = strstr(r->body, "name=\"s\" value=\"");
	ck_assert_ptr_nonnull(s);
	s += strlen("name=\"s\" value=\"");
	snprintf(secret, sizeof(secret), "%.*s", (int)strcspn(s, "\""), s);
	hresp_free(r);
	snprintf(action, sizeof(action), "%.*s", (int)strcspn(pay_url, "?"), pay_url);
	snprintf(form, sizeof(form), "s=%s&number=%s&exp=12%%2F34&cvc=123&name=Ann+Buyer", secret, card);
	r = http_url("POST", action, form, h, NULL);
	ck_assert_msg(r->status == 303, "gateway POST answered %ld", r->status);
	l = hresp_header(r, "Location");
	snprintf(back, n, "%s", l ? l : "");
	hresp_free(r);
}

START_TEST(two_tabs_one_order)
{
	struct client cl;
	struct hresp *r;
	char tab1[2000], tab2[2000], tab3[2000], loc1[600], back[600], path[64];
	long long uid = shopper(&cl, NULL, 0), oid;

	cart_put(&cl, sku, 1);
	/* Review opened in three tabs. */
	r = review(&cl, NEW_ADDR "&region=CA");
	ck_assert_msg(r->status == 200, "%ld %.600s", r->status, r->body);
	place_form(r->body, tab1, sizeof(tab1));
	hresp_free(r);
	r = review(&cl, NEW_ADDR "&region=CA");
	ck_assert_int_eq(r->status, 200);
	place_form(r->body, tab2, sizeof(tab2));
	hresp_free(r);
	r = review(&cl, NEW_ADDR "&region=CA");
	place_form(r->body, tab3, sizeof(tab3));
	hresp_free(r);

	r = client_browse(&cl, "POST", "/checkout/place", tab1);
	ck_assert_msg(r->status == 303, "%ld %.600s", r->status, r->body);
	snprintf(loc1, sizeof(loc1), "%s", hresp_header(r, "Location"));
	ck_assert_ptr_nonnull(strstr(loc1, "/pay/pi_"));
	hresp_free(r);
	oid = sql_scalarf("SELECT MAX(id) FROM orders WHERE user_id = %lld", uid);
	snprintf(path, sizeof(path), "/orders/%lld", oid);

	/* The second tab: no second order; it lands on the first's. */
	r = client_browse(&cl, "POST", "/checkout/place", tab2);
	ck_assert_msg(r->status == 303, "%ld %.600s", r->status, r->body);
	ck_assert_msg(strstr(hresp_header(r, "Location"), path) || !strcmp(hresp_header(r, "Location"), loc1),
		      "second tab went to %s", hresp_header(r, "Location"));
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 1);

	/* Paid in the first; the third tab still lands on that order. */
	pay_on_gateway(loc1, "4242424242424242", back, sizeof(back));
	r = client_browse(&cl, "GET", strstr(back, "/checkout/return"), NULL);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'confirmed' FROM orders WHERE id = %lld", oid), 1);
	r = client_browse(&cl, "POST", "/checkout/place", tab3);
	ck_assert_msg(r->status == 303, "%ld %.600s", r->status, r->body);
	ck_assert_msg(strstr(hresp_header(r, "Location"), path) != NULL, "third tab went to %s", hresp_header(r, "Location"));
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 1);
}
END_TEST

/* ---- bug 8: POST, redirect, GET ---- */

START_TEST(review_is_a_get_after_paying)
{
	struct client cl;
	struct hresp *r;
	char form[1500], tab[2000], loc[600], back[600];
	long long uid = shopper(&cl, NULL, 0), oid;

	cart_put(&cl, sku, 1);
	snprintf(form, sizeof(form), "csrf=%s&" NEW_ADDR "&region=CA", cl.csrf);
	r = client_browse(&cl, "POST", "/checkout/review", form);
	/* The Review page is reached by a redirect: Back re-posts nothing. */
	ck_assert_msg(r->status == 303, "POST /checkout/review answered %ld", r->status);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), "/checkout/review"));
	r = follow(&cl, r);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Place order and pay");
	place_form(r->body, tab, sizeof(tab));
	hresp_free(r);
	r = client_browse(&cl, "POST", "/checkout/place", tab);
	ck_assert_int_eq(r->status, 303);
	snprintf(loc, sizeof(loc), "%s", hresp_header(r, "Location"));
	hresp_free(r);
	pay_on_gateway(loc, "4242424242424242", back, sizeof(back));
	r = client_browse(&cl, "GET", strstr(back, "/checkout/return"), NULL);
	hresp_free(r);
	oid = sql_scalarf("SELECT MAX(id) FROM orders WHERE user_id = %lld", uid);
	/* Back to the Review page after paying: a GET that says where the order is. */
	r = client_browse(&cl, "GET", "/checkout/review", NULL);
	ck_assert_msg(r->status == 303, "GET /checkout/review after paying: %ld %.400s", r->status, r->body);
	snprintf(form, sizeof(form), "/orders/%lld", oid);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), form));
	hresp_free(r);
}
END_TEST

/* A "Place order" refused for a total that changed goes back to Review (a
 * GET, priced afresh) with the reason, not to an error page. */
START_TEST(changed_total_reviews_again)
{
	struct client cl;
	struct hresp *r;
	char tab[2000], *a;
	long long uid = shopper(&cl, NULL, 0);

	cart_put(&cl, sku, 1);
	r = review(&cl, NEW_ADDR "&region=CA");
	ck_assert_int_eq(r->status, 200);
	place_form(r->body, tab, sizeof(tab));
	hresp_free(r);
	a = strstr(tab, "amount=");
	ck_assert_ptr_nonnull(a);
	memmove(a + 8, a + 7 + strcspn(a + 7, "&"), strlen(a + 7 + strcspn(a + 7, "&")) + 1);
	a[7] = '1';	/* amount=1: not the total */
	r = client_browse(&cl, "POST", "/checkout/place", tab);
	ck_assert_msg(r->status == 303, "%ld %.400s", r->status, r->body);
	ck_assert_str_eq(hresp_header(r, "Location"), "/checkout/review");
	r = follow(&cl, r);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "The total is now");
	HAS(r, "Place order and pay");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM orders WHERE user_id = %lld", uid), 0);
}
END_TEST

START_TEST(cart_add_over_stock_redirects)
{
	struct client g = { 0 };
	struct hresp *r;
	char form[300];

	ck_assert_int_eq(client_session(&g), 0);
	set_stock_only(few_id, 1, 5, "test_journeys: few left");
	snprintf(form, sizeof(form), "csrf=%s&itemId=%s&quantity=50", g.csrf, few);
	r = client_browse(&g, "POST", "/cart/add", form);
	/* Not the cart page as the answer to the POST (a refresh re-posts):
	 * a redirect, and the reason on the page it leads to. */
	ck_assert_msg(r->status == 303, "POST /cart/add over the stock answered %ld", r->status);
	r = follow(&g, r);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "only 5 of");
	hresp_free(r);
}
END_TEST

/* ---- bug 5: register during checkout ---- */

START_TEST(register_during_checkout)
{
	struct client cl = { 0 };
	struct hresp *r;
	char form[600], email[128];
	const char *l;

	ck_assert_int_eq(client_session(&cl), 0);
	snprintf(form, sizeof(form), "csrf=%s&itemId=%s&quantity=1", cl.csrf, sku);
	r = client_browse(&cl, "POST", "/cart/add", form);
	hresp_free(r);
	r = client_browse(&cl, "GET", "/signin?next=/checkout", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "href=\"/register?next=%2Fcheckout\"");
	hresp_free(r);
	r = client_browse(&cl, "GET", "/register?next=%2Fcheckout", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "name=\"next\" value=\"/checkout\"");
	hresp_free(r);
	snprintf(email, sizeof(email), "%s", fresh_email("jyreg"));
	{
		char *e = curl_easy_escape(NULL, email, 0);

		snprintf(form, sizeof(form), "csrf=%s&name=Reg+Ister&email=%s&password=correct+horse+battery"
			 "&next=%%2Fcheckout", cl.csrf, e);
		curl_free(e);
	}
	r = client_browse(&cl, "POST", "/register", form);
	ck_assert_int_eq(r->status, 303);
	l = hresp_header(r, "Location");
	ck_assert_msg(l && !strcmp(l, "/checkout"), "registered, then sent to %s", l ? l : "(none)");
	hresp_free(r);
	/* Signed in, the guest cart with them: the checkout opens. */
	r = client_browse(&cl, "GET", "/checkout", NULL);
	ck_assert_msg(r->status == 200, "%ld %.300s", r->status, r->body);
	HAS(r, "Shipping address");
	hresp_free(r);
}
END_TEST

/* ---- bug 9: registration limits ---- */

START_TEST(failed_registrations_do_not_lock_out)
{
	struct client cl = { 0 };
	struct hresp *r;
	char body[400];

	ck_assert_int_eq(client_session(&cl), 0);
	/* Twelve people behind one address get the password wrong first. */
	for (int i = 0; i < 12; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"N\",\"email\":\"%s\",\"password\":\"short\"}", fresh_email("jybad"));
		r = client_req(&cl, "POST", "/api/users", body, 1);
		ck_assert_msg(r->status == 400, "attempt %d: %ld %s", i, r->status, r->body);
		hresp_free(r);
	}
	/* ... and then all of them register. */
	for (int i = 0; i < 12; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"N\",\"email\":\"%s\",\"password\":\"" PW "\"}", fresh_email("jyok"));
		r = client_req(&cl, "POST", "/api/users", body, 1);
		ck_assert_msg(r->status == 201, "registration %d: %ld %s", i, r->status, r->body);
		hresp_free(r);
	}
	/* Abuse of one address (mail to its owner each time) is still limited. */
	{
		const char *victim = fresh_email("jyvictim");
		long last = 0;

		for (int i = 0; i < 12 && last != 429; i++) {
			snprintf(body, sizeof(body), "{\"name\":\"N\",\"email\":\"%s\",\"password\":\"" PW "\"}", victim);
			r = client_req(&cl, "POST", "/api/users", body, 1);
			last = r->status;
			hresp_free(r);
		}
		ck_assert_int_eq(last, 429);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("journeys");
	TCase *t = tcase_create("journeys");

	harness_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, form_errors_keep_input);
	tcase_add_test(t, form_offers_save_box_and_summary);
	tcase_add_test(t, api_state_name_and_titles);
	tcase_add_test(t, two_tabs_one_order);
	tcase_add_test(t, review_is_a_get_after_paying);
	tcase_add_test(t, changed_total_reviews_again);
	tcase_add_test(t, cart_add_over_stock_redirects);
	tcase_add_test(t, register_during_checkout);
	tcase_add_test(t, failed_registrations_do_not_lock_out);
	suite_add_tcase(s, t);
	return run_suite(s);
}
