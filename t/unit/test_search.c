/* Unit tests of the search module's pure parts: word splitting, Sphinx
 * escaping, literal quoting, edit distance, trigrams and query building. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/core/buf.h"
#include "../../app/search/search.h"
#include "../../app/search/schema.h"

static const char *escape(const char *s)
{
	static char out[512];
	struct buf b;

	buf_init(&b, NULL, 64);
	search_escape_match(&b, s, strlen(s));
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	buf_free(&b);
	return out;
}

static const char *quote(const char *s)
{
	static char out[512];
	struct buf b;

	buf_init(&b, NULL, 64);
	search_quote(&b, s, strlen(s));
	snprintf(out, sizeof(out), "%s", b.p);
	buf_free(&b);
	return out;
}

static const struct { const char *in, *out; } match_cases[] = {
	{ "iphone", "iphone" },
	{ "a\"b", "a\\\"b" },
	{ "x|y", "x\\|y" },
	{ "-z", "\\-z" },
	{ "@title", "\\@title" },
	{ "back\\slash", "back\\\\slash" },
	{ "(a)!~&/^$=<*", "\\(a\\)\\!\\~\\&\\/\\^\\$\\=\\<\\*" },
	{ "", "" },
};

START_TEST(escape_match_table)
{
	ck_assert_str_eq(escape(match_cases[_i].in), match_cases[_i].out);
}
END_TEST

static const struct { const char *in, *out; } quote_cases[] = {
	{ "Apple", "'Apple'" },
	{ "O'Reilly", "'O\\'Reilly'" },
	{ "a\\b", "'a\\\\b'" },
	{ "line\nbreak\x01", "'line break '" },
	{ "'; DROP TABLE x; --", "'\\'; DROP TABLE x; --'" },
};

START_TEST(quote_table)
{
	ck_assert_str_eq(quote(quote_cases[_i].in), quote_cases[_i].out);
}
END_TEST

START_TEST(words_split_and_lowercase)
{
	char store[256], *w[SEARCH_MAX_WORDS];
	const char *s = "  iPhone-X \"@title\" | \\ Café 12 ";
	size_t n = search_words(s, strlen(s), store, w);

	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(w[0], "iphone");
	ck_assert_str_eq(w[1], "x");
	ck_assert_str_eq(w[2], "title");
	ck_assert_str_eq(w[3], "café");
	ck_assert_str_eq(w[4], "12");
	ck_assert_uint_eq(search_words("!!! ---", 7, store, w), 0);
	ck_assert_uint_eq(search_words("", 0, store, w), 0);
}
END_TEST

START_TEST(words_are_bounded)
{
	char in[2000], store[2100], *w[SEARCH_MAX_WORDS];
	size_t n;

	memset(in, 'a', sizeof(in));
	for (size_t i = 50; i < sizeof(in); i += 50)
		in[i] = ' ';
	n = search_words(in, sizeof(in), store, w);
	ck_assert_uint_eq(n, SEARCH_MAX_WORDS);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_le(strlen(w[i]), SEARCH_MAX_WORD);
}
END_TEST

static const struct { const char *a, *b; int max, d; } dist_cases[] = {
	{ "iphone", "iphone", 2, 0 },
	{ "iphnoe", "iphone", 2, 1 },	/* one transposition */
	{ "mascra", "mascara", 2, 1 },
	{ "labtop", "laptop", 2, 1 },
	{ "kitten", "sitting", 3, 3 },
	{ "abc", "xyzuvw", 2, 3 },	/* gave up: max + 1 */
	{ "", "abc", 5, 3 },
};

START_TEST(edit_distance_table)
{
	ck_assert_int_eq(search_edit_distance(dist_cases[_i].a, dist_cases[_i].b, dist_cases[_i].max),
			 dist_cases[_i].d);
}
END_TEST

START_TEST(trigrams_of_a_word)
{
	struct buf b;

	buf_init(&b, NULL, 64);
	search_trigrams(&b, "tv");
	ck_assert_str_eq(b.p, "__t _tv tv_ v__");
	buf_reset(&b);
	search_trigrams(&b, "phone");
	ck_assert_str_eq(b.p, "__p _ph pho hon one ne_ e__");
	buf_free(&b);
}
END_TEST

static int count_of(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

START_TEST(build_sql_escapes_everything)
{
	struct search_query q;
	char store[256];
	const char *text = "iphone\" | @title -x";
	struct buf b;

	memset(&q, 0, sizeof(q));
	q.nwords = search_words(text, strlen(text), store, q.words);
	q.brand = "O'Brien \\";
	q.category = 13;
	q.has_min = 1;
	q.min_price = 1000;
	q.min_rating = 4;
	q.in_stock = 1;
	q.sort = 1;
	q.limit = 24;
	q.offset = 48;
	q.facets = 1;
	q.snippet = 1;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	/* The brand filter is also a phrase filling the brand field, escaped
	 * for Sphinx, then for the literal. */
	ck_assert_msg(strstr(b.p, "MATCH('iphone title x @brand \"^O\\'Brien \\\\\\\\$\"')") != NULL, "%s", b.p);
	ck_assert_ptr_nonnull(strstr(b.p, "brand_s = 'O\\'Brien \\\\'"));
	ck_assert_ptr_nonnull(strstr(b.p, "brand_id = "));
	ck_assert_ptr_nonnull(strstr(b.p, "cats = 13"));
	ck_assert_ptr_nonnull(strstr(b.p, "price >= 1000"));
	ck_assert_ptr_nonnull(strstr(b.p, "rating >= 400"));
	ck_assert_ptr_nonnull(strstr(b.p, "stock > 0"));
	ck_assert_ptr_nonnull(strstr(b.p, "ORDER BY price ASC, id ASC LIMIT 48, 25"));
	/* Every filter is set: no facet comes from the main query; each
	 * comes from a query without its own filter, after SHOW META. */
	ck_assert_ptr_null(strstr(b.p, "FACET"));
	ck_assert_ptr_nonnull(strstr(b.p, "; SHOW META; SELECT GROUPBY() AS g"));
	{
		const char *cat = strstr(b.p, "GROUP BY cats"), *brand = strstr(b.p, "GROUP BY brand_id");
		const char *q2 = strstr(b.p, "; SELECT GROUPBY()"), *q3;

		ck_assert_ptr_nonnull(cat);
		ck_assert_ptr_nonnull(brand);
		ck_assert_ptr_nonnull(q2);
		q3 = strstr(q2 + 1, "; SELECT");
		ck_assert_ptr_nonnull(q3);
		/* The category facet's query has the brand but not the category. */
		ck_assert(strstr(q2, "brand_s = ") < q3);
		ck_assert(!strstr(q2, "cats = 13") || strstr(q2, "cats = 13") > q3);
		/* And the brand facet's query the category but not the brand. */
		ck_assert(strstr(q3, "cats = 13") < brand);
		ck_assert(!strstr(q3, "brand_s = ") || strstr(q3, "brand_s = ") > brand);
	}
	ck_assert_int_eq(count_of(b.p, "GROUP BY g"), 3);	/* price, rating, stock */
	ck_assert_int_eq(count_of(b.p, "ranker = none"), 5);
	ck_assert_ptr_null(strstr(b.p, "@title"));
	ck_assert_ptr_nonnull(strstr(b.p, "SNIPPET(desc_s, 'iphone title x'"));
	buf_free(&b);

	/* Facets by key: a page's own filters (price on the facet's edges, whole
	 * stars) leave the main query without FACETs, and one grouping by
	 * facet key with the words and no filter counts every facet. */
	memset(&q, 0, sizeof(q));
	q.nwords = search_words("tv", 2, store, q.words);
	q.brand = "Acme";
	q.has_min = 1;
	q.min_price = 2500;
	q.has_max = 1;
	q.max_price = 9999;
	q.min_rating = 4;
	q.in_stock = 1;
	q.limit = 24;
	q.facets = 1;
	ck_assert(search_facets_keyed(&q));
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	ck_assert_ptr_null(strstr(b.p, "FACET"));
	ck_assert_ptr_nonnull(strstr(b.p, "price >= 2500 AND price <= 9999 AND rating >= 400 AND stock > 0 ORDER BY"));
	/* The facet key grouping: the words and the brand filter only. */
	ck_assert_ptr_nonnull(strstr(b.p, "; SHOW META; SELECT fkey, COUNT(*) AS n FROM products_a WHERE id > 0 AND "
				      "MATCH('tv @brand \"^Acme$\"') AND brand_id = "));
	ck_assert_ptr_nonnull(strstr(b.p, "brand_s = 'Acme' GROUP BY fkey LIMIT 4096 OPTION max_matches = 4096, "
				      "ranker = none; "));
	/* The brands: every filter but the brand. */
	ck_assert_ptr_nonnull(strstr(b.p, "; SELECT brand_s AS g, COUNT(*) AS n FROM products_a WHERE id > 0 AND "
				      "MATCH('tv') AND price >= 2500 AND price <= 9999 AND rating >= 400 AND stock > 0 "
				      "GROUP BY brand_id"));
	ck_assert_int_eq(count_of(b.p, "SELECT"), 3);
	buf_free(&b);
	/* A price bound off the edges needs the facets one filter at a time. */
	q.max_price = 9998;
	ck_assert(!search_facets_keyed(&q));
	q.max_price = 9999;
	q.min_price = 0;
	ck_assert(search_facets_keyed(&q));
	q.min_price = 2499;
	ck_assert(!search_facets_keyed(&q));

	/* Only the brand set, one query per filter: the other facets come
	 * from the main query. */
	memset(&q, 0, sizeof(q));
	q.nwords = search_words("tv", 2, store, q.words);
	q.brand = "Acme";
	q.limit = 24;
	q.facets = 1;
	q.multipass = 1;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	ck_assert_ptr_nonnull(strstr(b.p, "FACET cats"));
	ck_assert_ptr_null(strstr(b.p, "FACET brand_s"));
	ck_assert_ptr_nonnull(strstr(b.p, "FACET INTERVAL(price"));
	ck_assert_ptr_nonnull(strstr(b.p, "; SHOW META; SELECT brand_s AS g, COUNT(*) AS n FROM products_a "
				      "WHERE id > 0 AND MATCH('tv') GROUP BY brand_id"));
	buf_free(&b);

	/* The stock filter set: its grouping serves the price and rating
	 * facets too, so the main query has no FACET for them. */
	q.brand = NULL;
	q.in_stock = 1;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	ck_assert_ptr_nonnull(strstr(b.p, "FACET brand_s"));
	ck_assert_ptr_null(strstr(b.p, "FACET INTERVAL(price"));
	ck_assert_int_eq(count_of(b.p, "GROUP BY g"), 1);
	buf_free(&b);

	/* No words: no MATCH at all, and no snippet. */
	memset(&q, 0, sizeof(q));
	q.limit = 5;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_b");
	ck_assert_ptr_null(strstr(b.p, "MATCH("));
	ck_assert_ptr_null(strstr(b.p, "FACET"));
	ck_assert_ptr_nonnull(strstr(b.p, "FROM products_b"));
	buf_free(&b);
	/* A brand alone is a phrase to match; one without a letter or
	 * digit only the attribute filter. */
	q.brand = "Acme Labs";
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_b");
	ck_assert_ptr_nonnull(strstr(b.p, "MATCH('@brand \"^Acme Labs$\"') AND brand_id = "));
	buf_free(&b);
	q.brand = "&!";
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_b");
	ck_assert_ptr_null(strstr(b.p, "MATCH("));
	ck_assert_ptr_nonnull(strstr(b.p, "brand_s = '&!'"));
	buf_free(&b);

	/* Autocomplete: the last word is a prefix. */
	memset(&q, 0, sizeof(q));
	q.nwords = search_words("red ipho", 8, store, q.words);
	q.prefix = 1;
	q.limit = 5;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	ck_assert_ptr_nonnull(strstr(b.p, "MATCH('red ipho*')"));
	buf_free(&b);
	/* Lean (autocomplete): titles and brands, best-selling first, no ranker. */
	q.lean = 1;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	ck_assert_ptr_nonnull(strstr(b.p, "MATCH('@(title,brand) red ipho*')"));
	ck_assert_ptr_nonnull(strstr(b.p, "sales AS score"));
	ck_assert_ptr_nonnull(strstr(b.p, "ranker = none"));
	buf_free(&b);
	/* The last word as any of its completions, not as a prefix. */
	q.alts[0] = "iphone";
	q.alts[1] = "iphon\"e|";
	q.nalts = 2;
	buf_init(&b, NULL, 1024);
	search_build_sql(&b, &q, "products_a");
	ck_assert_msg(strstr(b.p, "MATCH('@(title,brand) red (iphone | iphon\\\\\"e\\\\|)')") != NULL, "%s", b.p);
	buf_free(&b);
}
END_TEST

START_TEST(facet_key_packs_every_facet)
{
	unsigned k = search_facet_key(13, 4999, 459, 3);

	ck_assert_uint_eq(k >> 7, 13);
	ck_assert_uint_eq(k >> 4 & 7, 1);	/* [25, 50) */
	ck_assert_uint_eq(k >> 1 & 7, 4);
	ck_assert_uint_eq(k & 1, 1);
	k = search_facet_key(13, 0, 0, 0);
	ck_assert_uint_eq(k >> 4 & 7, 0);
	ck_assert_uint_eq(k & 1, 0);
	ck_assert_uint_eq(search_facet_key(13, 2500, 500, -2) >> 4 & 7, 1);
	ck_assert_uint_eq(search_facet_key(13, 100000, 500, 0) >> 4 & 7, 6);
	ck_assert_uint_eq(search_facet_key(13, 100000, 500, 0) >> 1 & 7, 5);
	/* The largest category that fits, and one that does not. */
	ck_assert_uint_eq(search_facet_key(((int64_t)1 << 25) - 1, INT64_MAX, 999, 1) >> 7, (1u << 25) - 1);
	ck_assert_uint_eq(search_facet_key((int64_t)1 << 25, 0, 0, 0), 0);
}
END_TEST

/* The products index's table: the configuration lines conf/sphinx.conf
 * gets, one per column in the table's order, and the start-up check that
 * the queries' names are columns of the right kind. */
START_TEST(schema_lines_and_check)
{
	struct buf b;
	size_t lines = 0;
	const char *bad = NULL, *last = "\trt_attr_multi = cats\n";
	static const struct search_use ok[] = {
		{ "title", SK_FIELD }, { "price", SK_BIGINT }, { "cats", SK_MULTI }, { "fkey", -1 }, { NULL, 0 }
	};
	static const struct search_use unknown[] = { { "price", SK_BIGINT }, { "colour", SK_UINT }, { NULL, 0 } };
	static const struct search_use wrong_kind[] = { { "price", SK_UINT }, { NULL, 0 } };
	static const struct search_use field_as_attr[] = { { "title", -1 }, { NULL, 0 } };

	buf_init(&b, NULL, 256);
	search_schema_conf(&b);
	ck_assert(!b.oom);
	ck_assert(!strncmp(b.p, "\trt_field = title\n", 18));
	ck_assert_ptr_nonnull(strstr(b.p, "\trt_attr_uint = fkey\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\trt_attr_timestamp = created\n"));
	ck_assert_uint_ge(b.len, strlen(last));
	ck_assert_str_eq(b.p + b.len - strlen(last), last);
	for (size_t i = 0; i < b.len; i++)
		lines += b.p[i] == '\n';
	ck_assert_uint_eq(lines, search_ncolumns);
	buf_free(&b);
	/* Every column has a distinct name. */
	for (size_t i = 0; i < search_ncolumns; i++)
		ck_assert_ptr_eq(search_column(search_columns[i].name), &search_columns[i]);
	ck_assert_int_eq(search_schema_check(ok, &bad), 0);
	ck_assert_int_eq(search_schema_check(unknown, &bad), -1);
	ck_assert_str_eq(bad, "colour");
	ck_assert_int_eq(search_schema_check(wrong_kind, &bad), -1);
	ck_assert_str_eq(bad, "price");
	ck_assert_int_eq(search_schema_check(field_as_attr, &bad), -1);
	ck_assert_str_eq(bad, "title");
}
END_TEST

/* SHOP_SEARCH_NODES: parts and mirrors, and what is refused. */
START_TEST(nodes_syntax)
{
	ck_assert_int_eq(search_nodes_parse(NULL), 0);
	ck_assert_int_eq(search_nodes_parse(""), 0);
	ck_assert_int_eq(search_nodes_parse("127.0.0.1:9306"), 1);
	ck_assert_int_eq(search_nodes_mirrors(0), 1);
	ck_assert_int_eq(search_nodes_parse("10.0.0.1:9306|10.0.0.2:9306,10.0.0.3:9306|10.0.0.4:9306|h:1"), 2);
	ck_assert_int_eq(search_nodes_mirrors(0), 2);
	ck_assert_int_eq(search_nodes_mirrors(1), 3);
	ck_assert_int_eq(search_nodes_mirrors(2), 0);
	ck_assert_int_eq(search_nodes_parse("a:1,b:2,c:3"), 3);
	ck_assert_int_eq(search_nodes_parse("a:1,"), -1);
	ck_assert_int_eq(search_nodes_mirrors(0), 0);	/* nothing kept */
	ck_assert_int_eq(search_nodes_parse("a:1|"), -1);
	ck_assert_int_eq(search_nodes_parse("a:1||b:2"), -1);
	ck_assert_int_eq(search_nodes_parse("a"), -1);
	ck_assert_int_eq(search_nodes_parse(":9306"), -1);
	ck_assert_int_eq(search_nodes_parse("a:0"), -1);
	ck_assert_int_eq(search_nodes_parse("a:65536"), -1);
	ck_assert_int_eq(search_nodes_parse("a:12x"), -1);
	ck_assert_int_eq(search_nodes_parse("a:1|b:1|c:1|d:1"), 1);
	ck_assert_int_eq(search_nodes_parse("a:1|b:1|c:1|d:1|e:1"), -1);
	ck_assert_int_eq(search_nodes_parse("a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1"), 8);
	ck_assert_int_eq(search_nodes_parse("a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1"), -1);
	ck_assert_int_eq(search_nodes_parse(NULL), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("search");
	TCase *tc = tcase_create("pure");
	SRunner *sr;
	int failed;

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))
	tcase_add_loop_test(tc, escape_match_table, 0, N(match_cases));
	tcase_add_loop_test(tc, quote_table, 0, N(quote_cases));
	tcase_add_test(tc, words_split_and_lowercase);
	tcase_add_test(tc, words_are_bounded);
	tcase_add_loop_test(tc, edit_distance_table, 0, N(dist_cases));
	tcase_add_test(tc, trigrams_of_a_word);
	tcase_add_test(tc, build_sql_escapes_everything);
	tcase_add_test(tc, facet_key_packs_every_facet);
	tcase_add_test(tc, schema_lines_and_check);
	tcase_add_test(tc, nodes_syntax);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
