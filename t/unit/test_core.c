/* Unit tests: arena, buffer, request parsers, validators, router, cursors. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "../../app/core/arena.h"
#include "../../app/core/buf.h"
#include "../../app/core/config.h"
#include "../../app/core/sig.h"
#include "../../app/http/cursor.h"
#include "../../app/http/req.h"
#include "../../app/http/router.h"
#include "../../app/http/valid.h"

static struct arena *A;

static void setup(void) { A = arena_new(4096); }
static void teardown(void) { arena_destroy(A); }

/* ---- arena ---- */

static int cleaned;
static void count_cleanup(void *p) { cleaned += *(int *)p; }

START_TEST(arena_alloc_aligned_and_big)
{
	for (int i = 0; i < 1000; i++) {
		void *p = arena_alloc(A, (size_t)(i % 97) + 1);

		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % _Alignof(max_align_t), 0);
	}
	char *big = arena_alloc(A, 1 << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 1 << 20);
	ck_assert_str_eq(arena_printf(A, "%s-%d", "a", 42), "a-42");
	char *long_s = arena_printf(A, "%0600d", 7);
	ck_assert_uint_eq(strlen(long_s), 600);
	arena_reset(A);
	/* Big blocks go back to the system; a few standard ones are kept. */
	ck_assert_uint_lt(arena_footprint(A), 1 << 20);
	ck_assert_uint_le(arena_footprint(A), 4096 * 17);
}
END_TEST

START_TEST(arena_cleanups_run_once_in_reverse)
{
	static int one = 1, ten = 10;

	cleaned = 0;
	arena_on_reset(A, count_cleanup, &one);
	arena_on_reset(A, count_cleanup, &ten);
	arena_reset(A);
	ck_assert_int_eq(cleaned, 11);
	arena_reset(A);
	ck_assert_int_eq(cleaned, 11);
}
END_TEST

/* ---- buf ---- */

START_TEST(buf_grows_in_arena_and_heap)
{
	struct buf b, h;

	buf_init(&b, A, 4);
	buf_init(&h, NULL, 4);
	for (int i = 0; i < 1000; i++) {
		buf_printf(&b, "%d,", i);
		buf_printf(&h, "%d,", i);
	}
	ck_assert_uint_eq(b.len, h.len);
	ck_assert_str_eq(b.p, h.p);
	ck_assert(!strncmp(b.p, "0,1,2,", 6));
	buf_putc(&h, 'z');
	ck_assert_int_eq(h.p[h.len], '\0');
	buf_free(&h);
}
END_TEST

/* ---- url_decode (table-driven) ---- */

static const struct { const char *in; int plus; const char *out; int ok; } decode_cases[] = {
	{ "abc", 1, "abc", 1 },
	{ "a+b", 1, "a b", 1 },
	{ "a+b", 0, "a+b", 1 },
	{ "%41%62%63", 1, "Abc", 1 },
	{ "%e2%82%ac", 1, "\xe2\x82\xac", 1 },
	{ "100%", 1, NULL, 0 },
	{ "%4", 1, NULL, 0 },
	{ "%zz", 1, NULL, 0 },
	{ "%00", 1, NULL, 0 },
	{ "a%2Fb", 0, "a/b", 1 },
	{ "", 1, "", 1 },
};

START_TEST(url_decode_table)
{
	const char *in = decode_cases[_i].in;
	char *out = NULL;
	size_t n;
	enum err e = url_decode(A, in, strlen(in), decode_cases[_i].plus, &out, &n);

	if (decode_cases[_i].ok) {
		ck_assert_int_eq(e, E_OK);
		ck_assert_str_eq(out, decode_cases[_i].out);
		ck_assert_uint_eq(n, strlen(decode_cases[_i].out));
	} else {
		ck_assert_int_eq(e, E_INVAL);
	}
}
END_TEST

START_TEST(urlencoded_params)
{
	struct req r = { .a = A };
	const char *q = "a=1&b=hello+world&c&&d=%3D&a=2";

	ck_assert_int_eq(req_parse_urlencoded(&r, q, strlen(q)), E_OK);
	ck_assert_uint_eq(r.nparams, 5);
	ck_assert_str_eq(req_param(&r, "a"), "1");
	ck_assert_str_eq(req_param(&r, "b"), "hello world");
	ck_assert_str_eq(req_param(&r, "c"), "");
	ck_assert_str_eq(req_param(&r, "d"), "=");
	ck_assert_ptr_null(req_param(&r, "zz"));
}
END_TEST

START_TEST(urlencoded_rejects_bad_and_too_many)
{
	struct req r = { .a = A };
	struct buf b;

	ck_assert_int_eq(req_parse_urlencoded(&r, "a=%G1", 5), E_INVAL);
	buf_init(&b, A, 64);
	for (int i = 0; i < REQ_MAX_PARAMS + 1; i++)
		buf_printf(&b, "k%d=v&", i);
	memset(&r, 0, sizeof(r));
	r.a = A;
	ck_assert_int_eq(req_parse_urlencoded(&r, b.p, b.len), E_INVAL);
}
END_TEST

START_TEST(cookies)
{
	struct req r = { .a = A };

	req_parse_cookies(&r, "sid=abc123; theme=\"dark\";bad; =x; empty=; last = v ");
	ck_assert_str_eq(req_cookie(&r, "sid"), "abc123");
	ck_assert_str_eq(req_cookie(&r, "theme"), "dark");
	ck_assert_str_eq(req_cookie(&r, "empty"), "");
	ck_assert_str_eq(req_cookie(&r, "last"), "v");
	ck_assert_ptr_null(req_cookie(&r, "bad"));
}
END_TEST

START_TEST(json_body)
{
	struct req r = { .a = A };
	const char *why = NULL;
	const char *ok = "{\"name\":\"Ann\",\"qty\":3,\"price\":1.5,\"on\":true,\"nested\":{\"x\":1}}";

	ck_assert_int_eq(req_parse_json(&r, ok, strlen(ok), &why), E_OK);
	ck_assert_str_eq(req_param(&r, "name"), "Ann");
	ck_assert_str_eq(req_param(&r, "qty"), "3");
	ck_assert_str_eq(req_param(&r, "on"), "true");
	ck_assert_ptr_null(req_param(&r, "nested"));
	ck_assert_ptr_nonnull(json_object_get(r.json, "nested"));

	memset(&r, 0, sizeof(r));
	r.a = A;
	ck_assert_int_eq(req_parse_json(&r, "{\"a\":", 5, &why), E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "malformed JSON"));
	ck_assert_int_eq(req_parse_json(&r, "[1,2]", 5, &why), E_INVAL);
	ck_assert_int_eq(req_parse_json(&r, "{\"a\":1,\"a\":2}", 13, &why), E_INVAL);
	ck_assert_int_eq(req_parse_json(&r, "{\"a\":\"x\\u0000y\"}", 16, &why), E_INVAL);
}
END_TEST

/* ---- multipart/form-data (table-driven) ---- */

#define B(lit) lit, sizeof(lit) - 1
#define CT "multipart/form-data; boundary=XyZ"
#define CTQ "multipart/form-data; charset=utf-8; boundary=\"a'b(c)+_,-./:=? d\""

static const struct {
	const char *what, *ct, *body;
	size_t len;
	int ok;
	size_t nuploads, nparams;
} mp_cases[] = {
	{ "field and file", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"alt\"\r\n\r\nA red mug\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"m.jpg\"\r\n"
		"Content-Type: image/jpeg\r\n\r\n\xff\xd8\x00\r\n--X\r\n--XyZ--\r\n"), 1, 1, 1 },
	{ "quoted boundary, other params, case", CTQ, B("--a'b(c)+_,-./:=? d\r\n"
		"content-disposition: Form-Data ; NAME=x\r\n\r\n1\r\n--a'b(c)+_,-./:=? d--"), 1, 0, 1 },
	{ "preamble, padding, epilogue", CT, B("ignored\r\n--XyZ  \t\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--XyZ--\r\nepilogue"), 1, 0, 1 },
	{ "empty file input", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"image\"; filename=\"\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--"), 1, 1, 0 },
	{ "other headers ignored", CT, B("--XyZ\r\nX-Thing: 1\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: binary\r\n"
		"\r\nv\r\n--XyZ--"), 1, 0, 1 },
	{ "no boundary parameter", "multipart/form-data", B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "empty boundary", "multipart/form-data; boundary=\"\"", B("--\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n----"), 0, 0, 0 },
	{ "boundary of 71", "multipart/form-data; boundary="
		"12345678901234567890123456789012345678901234567890123456789012345678901",
		B("--12345678901234567890123456789012345678901234567890123456789012345678901\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
		"--12345678901234567890123456789012345678901234567890123456789012345678901--"), 0, 0, 0 },
	{ "boundary with a bad char", "multipart/form-data; boundary=a<b", B("--a<b\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--a<b--"), 0, 0, 0 },
	{ "not form-data", "multipart/mixed; boundary=XyZ", B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "two boundaries", "multipart/form-data; boundary=XyZ; boundary=Q", B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "no close delimiter", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ\r\n"), 0, 0, 0 },
	{ "truncated data", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\x89PNG"), 0, 0, 0 },
	{ "truncated headers", CT, B("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"), 0, 0, 0 },
	{ "no delimiter at all", CT, B("just some bytes"), 0, 0, 0 },
	{ "empty body", CT, B(""), 0, 0, 0 },
	{ "delimiter followed by junk", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZjunk\r\n--XyZ--"), 0, 0, 0 },
	{ "part without headers", CT, B("--XyZ\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "no Content-Disposition", CT, B("--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "attachment", CT, B("--XyZ\r\n"
		"Content-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "no name", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; filename=\"a.jpg\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "empty name", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "two names", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "two Content-Dispositions", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n"
		"Content-Disposition: form-data; name=\"b\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "NUL in a name", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\0b\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "NUL in a filename", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"f\"; filename=\"a.jpg\0.php\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "encoded NUL in a name", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a%00b\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "NUL in a field value", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\n\r\nx\0y\r\n--XyZ--"), 0, 0, 0 },
	{ "bare LF line ends", CT, B("--XyZ\n"
		"Content-Disposition: form-data; name=\"a\"\n\nv\n--XyZ--"), 0, 0, 0 },
	{ "folded header", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "unterminated quote", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "junk after a value", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"b\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
	{ "header line without colon", CT, B("--XyZ\r\n"
		"Content-Disposition: form-data; name=\"a\"\r\nbogus\r\n\r\nv\r\n--XyZ--"), 0, 0, 0 },
};

START_TEST(multipart_table)
{
	struct req r = { .a = A };
	enum err e = req_parse_multipart(&r, mp_cases[_i].ct, mp_cases[_i].body, mp_cases[_i].len);

	if (mp_cases[_i].ok) {
		ck_assert_msg(e == E_OK, "%s: refused (%d)", mp_cases[_i].what, e);
		ck_assert_uint_eq(r.nuploads, mp_cases[_i].nuploads);
		ck_assert_uint_eq(r.nparams, mp_cases[_i].nparams);
	} else {
		ck_assert_msg(e == E_INVAL, "%s: accepted or %d", mp_cases[_i].what, e);
	}
}
END_TEST

START_TEST(multipart_values_binary_safe)
{
	struct req r = { .a = A };
	const char body[] = "--XyZ\r\n"
		"Content-Disposition: form-data; name=\"alt\"\r\n\r\nA \"red\" mug\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"C:\\pics\\m.jpg\"\r\n"
		"Content-Type: image/jpeg\r\n\r\n\xff\xd8\x00\r\n--X\r\n--XyZ\r\n"
		"Content-Disposition: form-data; name=\"image\"; filename=\"2.png\"\r\n\r\n"
		"\r\n--XyZ--";
	const struct upload *u;

	ck_assert_int_eq(req_parse_multipart(&r, CT, body, sizeof(body) - 1), E_OK);
	ck_assert_str_eq(req_param(&r, "alt"), "A \"red\" mug");
	u = req_upload(&r, "image");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->filename, "C:\\pics\\m.jpg");
	ck_assert_str_eq(u->content_type, "image/jpeg");
	ck_assert_uint_eq(u->len, 8);	/* the CRLF before the delimiter is not data */
	ck_assert(!memcmp(u->data, "\xff\xd8\x00\r\n--X", 8));
	ck_assert_uint_eq(r.nuploads, 2);
	ck_assert_str_eq(r.uploads[1].filename, "2.png");
	ck_assert_str_eq(r.uploads[1].content_type, "");
	ck_assert_uint_eq(r.uploads[1].len, 0);
	ck_assert_ptr_null(req_upload(&r, "alt"));
	/* Fields join the query's parameters, so validators see both. */
	memset(&r, 0, sizeof(r));
	r.a = A;
	req_parse_urlencoded(&r, "q=1", 3);
	ck_assert_int_eq(req_parse_multipart(&r, CT, body, sizeof(body) - 1), E_OK);
	ck_assert_uint_eq(r.nparams, 2);
	ck_assert_ptr_null(req_param(&r, "image"));
}
END_TEST

START_TEST(multipart_limits)
{
	struct req r = { .a = A };
	struct buf b;

	buf_init(&b, A, 4096);
	for (int i = 0; i < REQ_MAX_UPLOADS; i++)
		buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%d\"\r\n\r\nx\r\n", i);
	buf_puts(&b, "--XyZ--");
	ck_assert_int_eq(req_parse_multipart(&r, CT, b.p, b.len), E_OK);
	ck_assert_uint_eq(r.nuploads, REQ_MAX_UPLOADS);

	memset(&r, 0, sizeof(r));
	r.a = A;
	b.len -= 7;
	buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nx\r\n--XyZ--");
	ck_assert_int_eq(req_parse_multipart(&r, CT, b.p, b.len), E_INVAL);

	memset(&r, 0, sizeof(r));
	r.a = A;
	buf_init(&b, A, 4096);
	for (int i = 0; i < REQ_MAX_PARAMS + 1; i++)
		buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"k%d\"\r\n\r\nv\r\n", i);
	buf_puts(&b, "--XyZ--");
	ck_assert_int_eq(req_parse_multipart(&r, CT, b.p, b.len), E_INVAL);

	/* Headers of a part are bounded. */
	memset(&r, 0, sizeof(r));
	r.a = A;
	buf_init(&b, A, 8192);
	buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ");
	for (int i = 0; i < 5000; i++)
		buf_putc(&b, 'p');
	buf_puts(&b, "\r\n\r\nv\r\n--XyZ--");
	ck_assert_int_eq(req_parse_multipart(&r, CT, b.p, b.len), E_INVAL);
}
END_TEST

/* ---- validators (table-driven) ---- */

static const struct key k_int = { "n", v_int, 1, 100, 0 };
static const struct key k_str = { "s", v_string, 1, 10, 0 };
static const struct key k_slug = { "slug", v_slug, 0, 0, 0 };
static const struct key k_money = { "m", v_money, 0, 100000, 0 };

static const struct { const struct key *k; const char *v; int ok; int64_t out; } valid_cases[] = {
	{ &k_int, "1", 1, 1 }, { &k_int, "100", 1, 100 }, { &k_int, "0", 0, 0 },
	{ &k_int, "101", 0, 0 }, { &k_int, "-5", 0, 0 }, { &k_int, "5x", 0, 0 },
	{ &k_int, "", 0, 0 }, { &k_int, " 5", 0, 0 }, { &k_int, "99999999999999999999999", 0, 0 },
	{ &k_int, "0x10", 0, 0 }, { &k_int, "+7", 1, 7 },
	{ &k_str, "hello", 1, 0 }, { &k_str, "", 0, 0 }, { &k_str, "12345678901", 0, 0 },
	{ &k_str, "tab\there", 0, 0 }, { &k_str, "\xc3\xa9t\xc3\xa9", 1, 0 },
	{ &k_str, "\xc0\xaf", 0, 0 }, { &k_str, "\xed\xa0\x80", 0, 0 }, { &k_str, "\xff", 0, 0 },
	{ &k_slug, "smart-phones2", 1, 0 }, { &k_slug, "Bad", 0, 0 }, { &k_slug, "a/b", 0, 0 },
	{ &k_slug, "", 0, 0 },
	{ &k_money, "12", 1, 1200 }, { &k_money, "12.5", 1, 1250 }, { &k_money, "12.05", 1, 1205 },
	{ &k_money, "0.99", 1, 99 }, { &k_money, "12.", 0, 0 }, { &k_money, ".5", 0, 0 },
	{ &k_money, "1.234", 0, 0 }, { &k_money, "-1", 0, 0 }, { &k_money, "1e3", 0, 0 },
	{ &k_money, "1001", 0, 0 }, { &k_money, "1.-5", 0, 0 },
	/* as people type prices (issue 15, bug 7) */
	{ &k_money, "$100", 1, 10000 }, { &k_money, "1,000", 1, 100000 }, { &k_money, " 25.50 ", 1, 2550 },
	{ &k_money, "$ 999.5", 1, 99950 }, { &k_money, "1,00", 0, 0 }, { &k_money, ",100", 0, 0 },
	{ &k_money, "1,0000", 0, 0 }, { &k_money, "$", 0, 0 }, { &k_money, "12 34", 0, 0 },
	{ &k_money, "$-5", 0, 0 }, { &k_money, "1,000,", 0, 0 },
	/* typed in the shopper's currency (issue 19) */
	{ &k_money, "\xE2\x82\xAC" "25.50", 1, 2550 }, { &k_money, "\xC2\xA3 10", 1, 1000 },
	{ &k_money, "\xC2\xA5" "150", 1, 15000 }, { &k_money, "\xE2\x82\xAC", 0, 0 },
	{ &k_money, "\xE2\x82" "5", 0, 0 }, { &k_money, "$\xE2\x82\xAC" "5", 0, 0 },
};

START_TEST(validators_table)
{
	const struct key *k = valid_cases[_i].k;
	const char *v = valid_cases[_i].v;
	int64_t out = -1;
	const char *msg = k->fn(k, v, strlen(v), &out);

	if (valid_cases[_i].ok) {
		ck_assert_msg(msg == NULL, "case %d (%s) rejected: %s", _i, v, msg);
		if (k->fn == v_int || k->fn == v_money)
			ck_assert_int_eq(out, valid_cases[_i].out);
	} else {
		ck_assert_msg(msg != NULL, "case %d (%s) accepted", _i, v);
	}
}
END_TEST

START_TEST(sort_and_bool)
{
	struct key k = { "sort", v_sort, 0, 0, 0 };
	int64_t out;

	ck_assert_ptr_null(v_sort(&k, "price_desc", 10, &out));
	ck_assert_int_eq(out, 2);
	ck_assert_ptr_nonnull(v_sort(&k, "price", 5, &out));
	ck_assert_ptr_null(v_bool(&k, "true", 4, &out));
	ck_assert_int_eq(out, 1);
	ck_assert_ptr_null(v_bool(&k, "0", 1, &out));
	ck_assert_int_eq(out, 0);
	ck_assert_ptr_nonnull(v_bool(&k, "maybe", 5, &out));
}
END_TEST

/* ---- router ---- */

static enum err h_dummy(struct ctx *c) { (void)c; return E_OK; }

static const struct key test_keys[] = {
	{ "size", v_int, 1, 100, 0 },
	{ "q", v_string, 1, 50, 1 },
	{ NULL, NULL, 0, 0, 0 }
};

static const struct route test_routes[] = {
	ROUTE(M_GET, "/", h_dummy, 0, NULL),
	ROUTE(M_GET, "/p/{slug}", h_dummy, 0, NULL),
	ROUTE(M_GET, "/api/categories/{slug}/items", h_dummy, 0, test_keys),
	ROUTE(M_POST | M_DELETE, "/api/cart", h_dummy, 0, NULL),
};

START_TEST(router_match_and_status)
{
	struct req r = { .a = A, .method = M_GET, .path = "/p/iphone-9" };
	const struct route *rt;
	unsigned allow;
	int status;

	rt = route_find(test_routes, 4, &r, &status, &allow);
	ck_assert_ptr_eq(rt, &test_routes[1]);
	ck_assert_str_eq(r.pathvar[0], "iphone-9");

	r.path = "/api/categories/phones/items";
	rt = route_find(test_routes, 4, &r, &status, &allow);
	ck_assert_ptr_eq(rt, &test_routes[2]);
	ck_assert_str_eq(r.pathvar[0], "phones");

	r.method = M_HEAD;
	r.path = "/";
	ck_assert_ptr_eq(route_find(test_routes, 4, &r, &status, &allow), &test_routes[0]);

	r.method = M_GET;
	r.path = "/p/";
	ck_assert_ptr_null(route_find(test_routes, 4, &r, &status, &allow));
	ck_assert_int_eq(status, 404);
	r.path = "/p/a/b";
	ck_assert_ptr_null(route_find(test_routes, 4, &r, &status, &allow));
	ck_assert_int_eq(status, 404);
	r.path = "/api/cart";
	ck_assert_ptr_null(route_find(test_routes, 4, &r, &status, &allow));
	ck_assert_int_eq(status, 405);
	ck_assert_uint_eq(allow, M_POST | M_DELETE);
}
END_TEST

START_TEST(router_validate_keys)
{
	struct req r = { .a = A, .method = M_GET };
	struct ctx c = { .a = A, .req = &r, .route = &test_routes[2] };
	const char *why = NULL;
	const char *q = "size=10&q=shoes&junk=1";

	req_parse_urlencoded(&r, q, strlen(q));
	ck_assert_int_eq(route_validate(&c, &why), E_OK);
	ck_assert_int_eq(ctx_int(&c, "size", 0), 10);
	ck_assert_str_eq(ctx_str(&c, "q"), "shoes");
	ck_assert_ptr_null(ctx_str(&c, "junk"));	/* undeclared: dropped */

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.a = c.a = A;
	c.req = &r;
	c.route = &test_routes[2];
	req_parse_urlencoded(&r, "size=0&q=x", 10);
	ck_assert_int_eq(route_validate(&c, &why), E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "size"));

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.a = c.a = A;
	c.req = &r;
	c.route = &test_routes[2];
	req_parse_urlencoded(&r, "size=5", 6);
	ck_assert_int_eq(route_validate(&c, &why), E_INVAL);
	ck_assert_str_eq(why, "q: is required");

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.a = c.a = A;
	c.req = &r;
	c.route = &test_routes[2];
	req_parse_urlencoded(&r, "q=a&q=b", 7);
	ck_assert_int_eq(route_validate(&c, &why), E_INVAL);
}
END_TEST

/* ---- cursors ---- */

START_TEST(cursor_roundtrip_and_tamper)
{
	char *tok = cursor_encode(A, "c1|2|5|1299|42"), *out = NULL;

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(cursor_decode(A, tok, &out), E_OK);
	ck_assert_str_eq(out, "c1|2|5|1299|42");
	for (size_t i = 0; i < strlen(tok); i++) {
		char *t = arena_strdup(A, tok);

		t[i] = t[i] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(cursor_decode(A, t, &out), E_INVAL);
	}
	ck_assert_int_eq(cursor_decode(A, "", &out), E_INVAL);
	ck_assert_int_eq(cursor_decode(A, "abc", &out), E_INVAL);
	ck_assert_int_eq(cursor_decode(A, "!!!!", &out), E_INVAL);
}
END_TEST

/* ---- signed webhooks ---- */

/* "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>" into out. */
static void sign(char *out, size_t n, const char *secret, long long t, const char *body)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], msg[512];
	int len = snprintf(msg, sizeof(msg), "%lld.%s", t, body);

	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, (unsigned long long)len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, n, "t=%lld,v1=%s", t, hex);
}

START_TEST(signed_webhooks)
{
	const char *body = "{\"id\":\"evt_1\"}", *key = "a webhook secret";
	const long long now = 1800000000;
	char h[300], bad[300];

	sign(h, sizeof(h), key, now, body);
	ck_assert_int_eq(sig_verify(key, h, body, strlen(body), now, 300), 0);
	ck_assert_int_eq(sig_verify(key, h, body, strlen(body), now + 300, 300), 0);	/* at the edge */
	ck_assert_int_eq(sig_verify(key, h, body, strlen(body), now + 301, 300), -1);	/* stale */
	ck_assert_int_eq(sig_verify(key, h, body, strlen(body), now - 301, 300), -1);	/* from the future */
	ck_assert_int_eq(sig_verify("another secret", h, body, strlen(body), now, 300), -1);
	ck_assert_int_eq(sig_verify(key, h, "{\"id\":\"evt_2\"}", strlen(body), now, 300), -1);
	ck_assert_int_eq(sig_verify(key, h, body, strlen(body) - 1, now, 300), -1);	/* body cut */
	ck_assert_int_eq(sig_verify(NULL, h, body, strlen(body), now, 300), -1);
	ck_assert_int_eq(sig_verify("", h, body, strlen(body), now, 300), -1);
	ck_assert_int_eq(sig_verify(key, NULL, body, strlen(body), now, 300), -1);
	ck_assert_int_eq(sig_verify(key, "", body, strlen(body), now, 300), -1);
	ck_assert_int_eq(sig_verify(key, "v1=00", body, strlen(body), now, 300), -1);
	snprintf(bad, sizeof(bad), "t=%lld", now);
	ck_assert_int_eq(sig_verify(key, bad, body, strlen(body), now, 300), -1);
	/* A MAC cut short, or in capitals, is not the MAC. */
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(h) - 2, h);
	ck_assert_int_eq(sig_verify(key, bad, body, strlen(body), now, 300), -1);
	snprintf(bad, sizeof(bad), "%s", h);
	for (char *p = strstr(bad, "v1=") + 3; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	ck_assert_int_eq(sig_verify(key, bad, body, strlen(body), now, 300), strcmp(bad, h) ? -1 : 0);
	/* A stamp too long to be a time. */
	snprintf(bad, sizeof(bad), "t=123456789012345678901234567890,%s", strstr(h, "v1="));
	ck_assert_int_eq(sig_verify(key, bad, body, strlen(body), now, 300), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core+http");
	TCase *tc = tcase_create("all");
	SRunner *sr;
	int failed;

	setenv("SHOP_SECRET", "unit-test-secret", 1);
	setenv("SHOP_HOME", "/tmp", 1);
	if (config_load(&config))
		return 1;
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, arena_alloc_aligned_and_big);
	tcase_add_test(tc, arena_cleanups_run_once_in_reverse);
	tcase_add_test(tc, buf_grows_in_arena_and_heap);
	tcase_add_loop_test(tc, url_decode_table, 0, sizeof(decode_cases) / sizeof(decode_cases[0]));
	tcase_add_test(tc, urlencoded_params);
	tcase_add_test(tc, urlencoded_rejects_bad_and_too_many);
	tcase_add_test(tc, cookies);
	tcase_add_test(tc, json_body);
	tcase_add_loop_test(tc, multipart_table, 0, sizeof(mp_cases) / sizeof(mp_cases[0]));
	tcase_add_test(tc, multipart_values_binary_safe);
	tcase_add_test(tc, multipart_limits);
	tcase_add_loop_test(tc, validators_table, 0, sizeof(valid_cases) / sizeof(valid_cases[0]));
	tcase_add_test(tc, sort_and_bool);
	tcase_add_test(tc, router_match_and_status);
	tcase_add_test(tc, router_validate_keys);
	tcase_add_test(tc, cursor_roundtrip_and_tamper);
	tcase_add_test(tc, signed_webhooks);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
