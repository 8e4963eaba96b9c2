/* t/http: input declared before the handler. JSON bodies are checked
 * against their route's declaration: an unknown member, at the top or
 * nested, is 400 naming its path; a value of the wrong type is 400; a card
 * number anywhere (JSON at any depth, a form field, the query, an uploaded
 * CSV or JSON file) is 400, is
 * stored nowhere and written to none of the stack's logs; and the bodies
 * the shop takes today still pass. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "harness.h"

/* The card numbers of these tests, as a shopper might type them. The
 * query test uses its own (nginx's access log keeps the request line). */
#define PAN_A "4242424242424242"
#define PAN_B "5555 5555 5555 4444"
#define PAN_C "3782-822463-10005"
#define PAN_Q "6011111111111117"

static char sku_code[64];

static void setup(void)
{
	clear_ip_throttles();
	sku_pick("SPO-", 5, sku_code, sizeof(sku_code));
}

static const char *fresh_key(void)
{
	static char k[64];
	static int n;

	snprintf(k, sizeof(k), "input-%d-%d-%u", (int)getpid(), ++n, randombytes_random());
	return k;
}

/* A 400 in the API's error shape whose message contains want. */
static void refused(struct hresp *r, const char *want, const char *what)
{
	json_t *j = hresp_json(r), *e = json_object_get(j, "error");
	const char *m = json_string_value(json_object_get(e, "message"));

	ck_assert_msg(r->status == 400, "%s: %ld %s", what, r->status, r->body);
	ck_assert_msg(json_integer_value(json_object_get(e, "status")) == 400 &&
		      json_is_string(json_object_get(e, "title")), "%s: not the error shape: %s", what, r->body);
	ck_assert_msg(m && strstr(m, want), "%s: message lacks '%s': %s", what, want, r->body);
	json_decref(j);
	hresp_free(r);
}

static void no_digits_of(const struct hresp *r, const char *what)
{
	ck_assert_msg(!strstr(r->body, "4242") && !strstr(r->body, "5555") && !strstr(r->body, "822463"),
		      "%s: the number is in the answer: %s", what, r->body);
}

START_TEST(unknown_fields_named)
{
	struct client cl;
	char body[600];

	buyer_new(&cl, "inputunknown", NULL, 0);
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1,\"colour\":\"red\"}", sku_code);
	refused(client_req(&cl, "PATCH", "/api/cart", body, 1), "colour: unknown field", "top level");
	refused(post_idem(&cl, "/api/checkout", "{\"amount\":100," TEST_ADDR ",\"paymentInfo\":{\"card\":\"x\"}}",
			  fresh_key(), NULL), "paymentInfo: unknown field", "/api/checkout paymentInfo");
	refused(post_idem(&cl, "/api/checkout", "{\"amount\":100,\"shippingAddress\":{\"name\":\"A\",\"line1\":\"1 Main\","
			  "\"city\":\"Austin\",\"country\":\"US\",\"phone\":\"555\"}}", fresh_key(), NULL),
		"shippingAddress.phone: unknown field", "nested");
	refused(post_idem(&cl, "/checkout", "{\"cartId\":1,\"paymentInfo\":{\"paymentType\":\"CARD\","
			  "\"paymentMethod\":\"pm_card_visa\",\"card\":\"x\"}}", fresh_key(), NULL),
		"paymentInfo.card: unknown field", "/checkout paymentInfo.card");
	refused(client_req(&cl, "POST", "/api/me/addresses", "{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\","
			   "\"postalCode\":\"10117\",\"country\":\"DE\",\"extra\":{\"a\":1}}", 1), "extra: unknown field",
		"address");
	/* Nothing was stored by any of them. */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses a JOIN users u ON u.id = a.user_id "
				     "WHERE u.email LIKE 'inputunknown%%'"), 0);

	/* In an array, with its index: a seller's SKUs. */
	{
		struct client s;

		seller_new(&s, "inputseller", NULL);
		refused(client_req(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,"
				   "\"skus\":[{\"code\":\"IN-1\",\"price\":100},{\"code\":\"IN-2\",\"colour\":\"red\"}]}", 1),
			"skus[1].colour: unknown field", "skus");
	}
}
END_TEST

START_TEST(wrong_types_refused)
{
	struct client cl;
	char body[600];

	buyer_new(&cl, "inputtypes", NULL, 0);
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":[1]}", sku_code);
	refused(client_req(&cl, "PATCH", "/api/cart", body, 1), "quantity: must be a whole number", "array for int");
	snprintf(body, sizeof(body), "{\"itemId\":\"%s\",\"quantity\":1.5}", sku_code);
	refused(client_req(&cl, "PATCH", "/api/cart", body, 1), "quantity: must be a whole number", "real for int");
	refused(client_req(&cl, "PATCH", "/api/cart", "{\"itemId\":{\"code\":\"x\"},\"quantity\":1}", 1),
		"itemId: must be text", "object for text");
	refused(post_idem(&cl, "/api/checkout", "{\"amount\":100,\"shippingAddress\":\"1 Main St\"}", fresh_key(), NULL),
		"shippingAddress: must be an object", "text for object");
	refused(post_idem(&cl, "/api/checkout", "{\"amount\":100,\"shippingAddress\":{\"line1\":1}}", fresh_key(), NULL),
		"shippingAddress.line1: must be text", "nested number for text");
	refused(client_req(&cl, "POST", "/api/me/addresses", "{\"name\":\"A\",\"line1\":\"1\",\"isDefault\":{}}", 1),
		"isDefault: must be true or false", "object for bool");
	{
		struct client s;

		seller_new(&s, "inputtypes", NULL);
		refused(client_req(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,"
				   "\"skus\":[{\"code\":\"IN-1\",\"price\":\"100\"}]}", 1),
			"skus[0].price: must be a whole number", "sku price as text");
		refused(client_req(&s, "POST", "/api/items", "{\"name\":\"Good name\",\"price\":100,"
				   "\"skus\":[{\"code\":\"IN-1\",\"options\":{\"Color\":[\"Red\"]}}]}", 1),
			"skus[0].options.Color: must be", "option value as array");
	}
}
END_TEST

/* Every file under SHOP_HOME/log holds none of the strings. */
static void logs_clean(const char *const *needles, size_t n)
{
	char dir[600], path[1200], *buf;
	struct dirent *de;
	DIR *d;

	sleep(2);	/* nginx flushes its access log every second */
	snprintf(dir, sizeof(dir), "%s/log", getenv("SHOP_HOME"));
	d = opendir(dir);
	ck_assert_msg(d != NULL, "no log directory %s", dir);
	while ((de = readdir(d))) {
		FILE *f;
		long len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!(f = fopen(path, "rb")))
			continue;	/* a directory or a socket */
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		if (len <= 0) {
			fclose(f);
			continue;
		}
		buf = malloc((size_t)len + 1);
		ck_assert_ptr_nonnull(buf);
		len = (long)fread(buf, 1, (size_t)len, f);
		buf[len] = '\0';
		fclose(f);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(!memmem(buf, (size_t)len, needles[i], strlen(needles[i])),
				      "%s holds the card number %s", path, needles[i]);
		free(buf);
	}
	closedir(d);
}

START_TEST(card_numbers_refused_and_never_logged)
{
	struct client cl;
	long long uid, keys0, addrs0;
	char body[800], form[600];
	struct hresp *r;

	uid = buyer_new(&cl, "inputpan", NULL, 0);
	cart_put(&cl, sku_code, 1);
	keys0 = sql_scalar("SELECT COUNT(*) FROM checkouts");
	addrs0 = sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld", uid);

	/* In paymentInfo, on both checkout paths. */
	r = post_idem(&cl, "/api/checkout", "{\"amount\":100," TEST_ADDR ",\"paymentInfo\":{\"card\":\"" PAN_A "\"}}",
		      fresh_key(), NULL);
	no_digits_of(r, "paymentInfo.card");
	refused(r, "paymentInfo.card: looks like a card number", "paymentInfo.card");
	snprintf(body, sizeof(body), "{\"cartId\":%lld,\"amount\":100," TEST_ADDR ",\"paymentInfo\":{\"paymentType\":"
		 "\"CARD\",\"paymentMethod\":\"" PAN_B "\"}}", uid);
	r = post_idem(&cl, "/checkout", body, fresh_key(), NULL);
	no_digits_of(r, "paymentInfo.paymentMethod");
	refused(r, "paymentInfo.paymentMethod: looks like a card number", "paymentInfo.paymentMethod");
	/* In an address line: the checkout's and the address book's. */
	r = post_idem(&cl, "/api/checkout", "{\"amount\":100,\"shippingAddress\":{\"name\":\"A\",\"line1\":\"1 Main St\","
		      "\"line2\":\"card " PAN_C "\",\"city\":\"Austin\",\"region\":\"TX\",\"postalCode\":\"78701\","
		      "\"country\":\"US\"}}", fresh_key(), NULL);
	no_digits_of(r, "shippingAddress.line2");
	refused(r, "shippingAddress.line2: looks like a card number", "shippingAddress.line2");
	r = client_req(&cl, "POST", "/api/me/addresses", "{\"name\":\"A\",\"line1\":\"" PAN_A "\",\"city\":\"X\","
		       "\"postalCode\":\"10117\",\"country\":\"DE\"}", 1);
	no_digits_of(r, "address line1");
	refused(r, "line1: looks like a card number", "address line1");
	/* In a form field: the address book's form and the checkout form. */
	snprintf(form, sizeof(form), "csrf=%s&name=A&line1=4242+4242+4242+4242&city=X&postalCode=10117&country=DE",
		 cl.csrf);
	r = client_browse(&cl, "POST", "/account/addresses", form);
	ck_assert_msg(r->status == 400, "form: %ld", r->status);
	no_digits_of(r, "form");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&idempotencyKey=%s&amount=100&name=A&line1=1+Main&line2=" PAN_A
		 "&city=Austin&region=TX&postalCode=78701&country=US", cl.csrf, fresh_key());
	r = client_browse(&cl, "POST", "/checkout/place", form);
	ck_assert_msg(r->status == 400, "checkout form: %ld", r->status);
	no_digits_of(r, "checkout form");
	hresp_free(r);
	/* In the query. */
	r = client_req(&cl, "GET", "/api/items?term=" PAN_Q, NULL, 0);
	ck_assert_int_eq(r->status, 400);
	ck_assert_msg(!strstr(r->body, PAN_Q), "query: the number is in the answer");
	hresp_free(r);

	/* In an uploaded file: a CSV and JSON rows of a seller's bulk import. */
	{
		struct client sl;
		long long imports0 = sql_scalar("SELECT COUNT(*) FROM imports");
		char cookie[300], token[200];
		const char *csv[] = { "Content-Type: text/csv", "Accept: application/json", cookie, token, NULL };
		const char *js[] = { "Content-Type: application/json", "Accept: application/json", cookie, token, NULL };

		seller_new(&sl, "inputpanseller", NULL);
		snprintf(cookie, sizeof(cookie), "Cookie: %s", sl.cookie);
		snprintf(token, sizeof(token), "X-CSRF-Token: %s", sl.csrf);
		r = http("POST", "/api/imports", "sku,title,category,price,quantity\nPANX-1,Lamp,smartphones,7.50,4\n"
			 "PANX-2," PAN_A ",smartphones,7.50,4\n", csv);
		no_digits_of(r, "CSV");
		refused(r, "the file, line 3: looks like a card number", "CSV upload");
		r = http("POST", "/api/imports", "[{\"sku\":\"PANX-1\",\"title\":\"Lamp\",\"price\":\"7.50\","
			 "\"description\":\"paid with " PAN_B "\"}]", js);
		no_digits_of(r, "JSON rows");
		refused(r, "the file, line 1: looks like a card number", "JSON rows upload");
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM imports"), imports0);
	}

	/* Nothing stored: no checkout attempt, no address. */
	ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM checkouts"), keys0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE user_id = %lld", uid), addrs0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM addresses WHERE line1 LIKE '%%4242%%' OR line2 LIKE '%%4242%%'"), 0);
	{
		const char *needles[] = { PAN_A, "4242 4242 4242 4242", "4242+4242+4242+4242", PAN_B, "5555+5555",
					  "5555%205555", PAN_C, "822463" };

		logs_clean(needles, sizeof(needles) / sizeof(needles[0]));
	}
}
END_TEST

/* What the shop takes today still passes: numbers that are not cards. */
START_TEST(legitimate_bodies_pass)
{
	struct client cl;
	long long uid, amount;
	char body[800];
	struct hresp *r;

	uid = buyer_new(&cl, "inputok", NULL, 0);
	/* A phone-like line, a ZIP+4, a long house number. */
	r = client_req(&cl, "POST", "/api/me/addresses", "{\"name\":\"Ann Buyer\",\"line1\":\"12345 Main St\","
		       "\"line2\":\"c/o +1 555-123-4567\",\"city\":\"Austin\",\"region\":\"TX\",\"postalCode\":\"78701-1234\","
		       "\"country\":\"US\",\"isDefault\":true}", 1);
	ck_assert_msg(r->status == 201, "address: %ld %s", r->status, r->body);
	hresp_free(r);
	r = client_req(&cl, "PATCH", "/api/me/addresses/0", "{\"line2\":null}", 1);
	ck_assert_msg(r->status == 404, "patch of no address: %ld %s", r->status, r->body);
	hresp_free(r);
	cart_put(&cl, sku_code, 1);
	amount = checkout_amount(&cl);
	/* A numeric Idempotency-Key of 16 digits that passes Luhn (a header,
	 * never looked at) and an order body with every member it may have. */
	snprintf(body, sizeof(body), "{\"amount\":%lld," TEST_ADDR ",\"shippingMethod\":\"standard\","
		 "\"paymentMethod\":\"pm_card_visa\",\"promoCode\":null}", amount);
	{
		char key[40];

		snprintf(key, sizeof(key), "%s", "4000056655665556");
		sql_execf("DELETE FROM checkouts WHERE idem_key = '%s' AND user_id = %lld", key, uid);
		r = post_idem(&cl, "/api/checkout", body, key, NULL);
	}
	ck_assert_msg(r->status == 201, "checkout: %ld %s", r->status, r->body);
	hresp_free(r);
	/* A seller's full item body. */
	{
		struct client s;

		seller_new(&s, "inputok", NULL);
		snprintf(body, sizeof(body), "{\"name\":\"Input lamp %d\",\"description\":\"Order 1234567890123 ships fast.\","
			 "\"brand\":null,\"category\":\"home-decoration\",\"status\":\"active\","
			 "\"attributes\":{\"Warranty\":\"2 years\"},\"skus\":[{\"code\":\"INL%d-A\",\"price\":1999,"
			 "\"weightGrams\":500,\"quantity\":4}]}", (int)getpid(), (int)getpid());
		r = client_req(&s, "POST", "/api/items", body, 1);
		ck_assert_msg(r->status == 201, "item: %ld %s", r->status, r->body);
		hresp_free(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-input");
	TCase *tc = tcase_create("input");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, unknown_fields_named);
	tcase_add_test(tc, wrong_types_refused);
	tcase_add_test(tc, card_numbers_refused_and_never_logged);
	tcase_add_test(tc, legitimate_bodies_pass);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
