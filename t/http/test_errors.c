/* t/http: the titles of error answers. A 422 means "understood, but it
 * cannot be done" for many reasons (an Idempotency-Key reused with another
 * order, an empty cart, a quantity over the limit, an unknown SKU): its
 * title must suit all of them. Only the upload routes, where a 422 is
 * always about the file sent, keep "That file could not be used". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"

static char *title_of(const struct hresp *r)
{
	static char t[256];
	json_t *j = hresp_json(r);
	const char *s = json_string_value(json_object_get(json_object_get(j, "error"), "title"));

	snprintf(t, sizeof(t), "%s", s ? s : "");
	json_decref(j);
	return t;
}

static const char *message_of(const struct hresp *r)
{
	static char m[512];
	json_t *j = hresp_json(r);
	const char *s = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	snprintf(m, sizeof(m), "%s", s ? s : "");
	json_decref(j);
	return m;
}

static int mentions_file(const char *s)
{
	return strcasestr(s, "file") != NULL;
}

/* POST /api/checkout as cl with an Idempotency-Key. */
static struct hresp *api_checkout(struct client *cl, const char *key, const char *body)
{
	char cookie[300], token[200], idem[300];
	const char *h[] = { "Content-Type: application/json", "Accept: application/json", cookie, token, idem, NULL };

	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
	snprintf(token, sizeof(token), "X-CSRF-Token: %s", cl->csrf);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	return http("POST", "/api/checkout", body, h);
}

START_TEST(idempotency_key_reused_with_another_body)
{
	struct client u = {0};
	char key[64];
	struct hresp *r;

	ck_assert_int_eq(client_signup(&u, "Ida Key", fresh_email("errors"), PW), 0);
	snprintf(key, sizeof(key), "errors-%d-%ld", (int)getpid(), (long)random());
	/* The first request with the key (refused for its own reasons: the
	 * cart is empty) fixes the request the key stands for. */
	r = api_checkout(&u, key, "{\"amount\":100}");
	ck_assert_msg(r->status >= 400 && r->status != 403, "first: %ld %s", r->status, r->body);
	hresp_free(r);
	r = api_checkout(&u, key, "{\"amount\":200}");
	ck_assert_msg(r->status == 422, "reused key: %ld %s", r->status, r->body);
	ck_assert_msg(strstr(message_of(r), "Idempotency-Key"), "message: %s", message_of(r));
	ck_assert_msg(title_of(r)[0], "no title: %s", r->body);
	ck_assert_msg(!mentions_file(title_of(r)), "a reused key titled '%s'", title_of(r));
	hresp_free(r);
}
END_TEST

/* The cart's 422s (a quantity over the limit) get the same general title,
 * in JSON and on the HTML page. */
START_TEST(cart_refusal_title)
{
	struct client g = {0};
	struct hresp *r;
	char form[300];

	ck_assert_int_eq(client_session(&g), 0);
	r = client_req(&g, "PATCH", "/api/cart", "{\"itemId\":\"NO-SUCH-SKU-ERRORS\",\"quantity\":1}", 1);
	ck_assert_msg(r->status == 422, "unknown SKU: %ld %s", r->status, r->body);
	ck_assert_msg(!mentions_file(title_of(r)), "an unknown SKU titled '%s'", title_of(r));
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&itemId=NO-SUCH-SKU-ERRORS&quantity=1", g.csrf);
	r = client_browse(&g, "POST", "/cart/update", form);
	if (r->status == 422)
		ck_assert_msg(!strstr(r->body, "file could not"), "HTML page: %.600s", r->body);
	hresp_free(r);
}
END_TEST

/* A photo that cannot be used keeps the file wording. */
START_TEST(upload_422_keeps_file_title)
{
	static const unsigned char gif[] = {
		0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff,
		0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b
	};
	const char *tail = "<script>alert(1)</script> and more bytes after the end";
	struct client s;
	long long seller = seller_new(&s, "errimg", NULL), pid;
	char dir[] = "/tmp/shop-errors.XXXXXX", cmd[4096], path[600], q[600];
	struct hresp r = {0};
	FILE *f;
	long code = 0;
	size_t n;
	char buf[4096];

	snprintf(q, sizeof(q), "INSERT INTO products (seller_id, category_id, slug, title, description, price) "
		 "SELECT %lld, MIN(id), 'errors-photo-%d', 'Errors photo mug', 'A mug.', 1299 FROM categories",
		 seller, (int)getpid());
	ck_assert_int_eq(sql_exec(q), 0);
	pid = sql_scalarf("SELECT id FROM products WHERE slug = 'errors-photo-%d'", (int)getpid());
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/bad.gif", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(gif, 1, sizeof(gif), f);
	fputs(tail, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "curl -s -o %s/out -w '%%{http_code}' -H 'Cookie: %s' -H 'X-CSRF-Token: %s' "
		 "-H 'Accept: application/json' -F 'image=@%s;type=image/gif' '%s/api/items/%lld/images' > %s/code",
		 dir, s.cookie, s.csrf, path, base_url(), pid, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/code", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld", &code), 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/out", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	r.body = buf;
	r.len = n;
	ck_assert_msg(code == 422, "bad photo: %ld %s", code, buf);
	ck_assert_msg(mentions_file(title_of(&r)), "a bad photo titled '%s'", title_of(&r));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-errors");
	TCase *tc = tcase_create("errors");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, idempotency_key_reused_with_another_body);
	tcase_add_test(tc, cart_refusal_title);
	tcase_add_test(tc, upload_422_keeps_file_title);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
