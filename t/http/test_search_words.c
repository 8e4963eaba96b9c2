/* t/http: search that understands the shopper's words, on the demo catalog:
 * synonyms (stemmed like the documents), several words that match nothing
 * together falling back to the most of them that match, autocomplete that
 * tolerates typos and never offers a query that finds nothing, the page of
 * a search that found nothing, facet choices that find nothing left out,
 * the header's search box keeping the words, and the cache of broad
 * searches' pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s", (s))
#define LACKS(r, s) ck_assert_msg(strstr((r)->body, (s)) == NULL, "body has %s", (s))

/* Answers are microcached for anonymous visitors: a session cookie shopd
 * does not know bypasses the cache (as in test_search.c). */
static struct hresp *sget(const char *path, int json)
{
	const char *h[] = { json ? "Accept: application/json" : "Accept: text/html",
			    "Cookie: sid=search-words-no-cache", NULL };

	return http("GET", path, NULL, h);
}

static json_t *get_json(const char *path)
{
	struct hresp *r = sget(path, 1);
	json_t *j = hresp_json(r);

	ck_assert_msg(r->status == 200, "%s: status %ld: %.300s", path, r->status, r->body);
	ck_assert_ptr_nonnull(j);
	hresp_free(r);
	return j;
}

/* Whether an item of the answer has this title (or, with cat, this
 * category name). */
static int has_item(json_t *j, const char *key, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(j, "items"), i, v)
		if (!strcmp(json_string_value(json_object_get(v, key)), value))
			return 1;
	return 0;
}

static void url_words(char *out, size_t n, const char *words)
{
	size_t o = 0;

	for (const char *p = words; *p && o + 4 < n; p++)
		o += (size_t)snprintf(out + o, n - o, *p == ' ' ? "%%20" : "%c", *p);
	out[o] = '\0';
}

/* Every demo smartphone is in "Smartphones", the TV in a title, the
 * perfumes in "Fragrances": before, the synonym targets were Sphinx
 * wordforms, never stemmed, and matched nothing ("television", "perfume":
 * no results; "phone": only the products whose text said "phone" or
 * "mobile"). */
START_TEST(synonyms_find_their_products)
{
	json_t *j = get_json("/api/items?term=phone&size=100");
	long long phones = sql_scalar("SELECT COUNT(*) FROM products p JOIN categories c ON c.id = p.category_id "
				      "WHERE p.status = 'active' AND c.slug = 'smartphones'");

	ck_assert_int_gt(phones, 0);
	ck_assert_int_ge(json_integer_value(json_object_get(j, "total")), phones);
	ck_assert_msg(has_item(j, "title", "iPhone X") && has_item(j, "title", "Samsung Galaxy S10"),
		      "phone does not find the smartphones");
	ck_assert(json_is_null(json_object_get(j, "correctedTerm")));
	json_decref(j);
	j = get_json("/api/items?term=phones&size=100");
	ck_assert(has_item(j, "title", "iPhone X"));
	json_decref(j);

	j = get_json("/api/items?term=television");
	ck_assert(has_item(j, "title", "TV Studio Camera Pedestal"));
	ck_assert(json_is_null(json_object_get(j, "correctedTerm")));
	json_decref(j);
	j = get_json("/api/items?term=televisions");
	ck_assert(has_item(j, "title", "TV Studio Camera Pedestal"));
	json_decref(j);
	j = get_json("/api/items?term=tv");
	ck_assert(has_item(j, "title", "TV Studio Camera Pedestal"));
	json_decref(j);

	j = get_json("/api/items?term=perfume&size=100");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")),
			 sql_scalar("SELECT COUNT(*) FROM products p JOIN categories c ON c.id = p.category_id "
				    "WHERE p.status = 'active' AND c.slug = 'fragrances'"));
	ck_assert(has_item(j, "title", "Dior J'adore"));
	json_decref(j);
	j = get_json("/api/items?term=fragrance&size=100");
	ck_assert(has_item(j, "title", "Dior J'adore"));
	json_decref(j);

	/* The synonym joins the words, it does not replace them: "phone
	 * case" still needs a case. */
	j = get_json("/api/items?term=phone%20case");
	ck_assert(has_item(j, "title", "iPhone 12 Silicone Case with MagSafe Plum"));
	ck_assert(!has_item(j, "title", "iPhone X"));
	json_decref(j);
}
END_TEST

/* No product matches all of "iphone charger cable": the charger matches
 * two of the three words and comes back, and the answer says so. */
START_TEST(several_words_fall_back_to_the_most_that_match)
{
	json_t *j = get_json("/api/items?term=iphone%20charger%20cable");
	struct hresp *r;

	ck_assert_int_gt(json_integer_value(json_object_get(j, "total")), 0);
	ck_assert(json_is_true(json_object_get(j, "partialMatch")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "correctedTerm")), "iphone charger");
	ck_assert(has_item(j, "title", "Apple iPhone Charger"));
	json_decref(j);

	/* Typos and unknown words together. */
	j = get_json("/api/items?term=iphnoe%20charger%20zzxqv");
	ck_assert(json_is_true(json_object_get(j, "partialMatch")));
	ck_assert(has_item(j, "title", "Apple iPhone Charger"));
	json_decref(j);

	/* All the words match: no fallback. */
	j = get_json("/api/items?term=iphone%20charger");
	ck_assert(json_is_false(json_object_get(j, "partialMatch")));
	ck_assert(json_is_null(json_object_get(j, "correctedTerm")));
	json_decref(j);

	/* The page says which words it searched. */
	r = sget("/search?q=iphone+charger+cable", 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "No products match all of “iphone charger cable”");
	HAS(r, "Showing results for <strong>iphone charger</strong>");
	HAS(r, "Apple iPhone Charger");
	hresp_free(r);

	/* A filter the words cannot meet is not worked around: the shopper
	 * spelled them right. */
	j = get_json("/api/items?term=iphone%20charger&category=groceries");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
	ck_assert(json_is_false(json_object_get(j, "partialMatch")));
	json_decref(j);
}
END_TEST

static int completes_to(json_t *j, const char *want)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(j, "completions"), i, v)
		if (!strcmp(json_string_value(v), want))
			return 1;
	return 0;
}

/* Each completion of the answer finds products when searched. */
static void completions_find_something(json_t *j, const char *typed)
{
	size_t i;
	json_t *v;
	char path[512], w[300];

	json_array_foreach(json_object_get(j, "completions"), i, v) {
		json_t *s;

		url_words(w, sizeof(w), json_string_value(v));
		snprintf(path, sizeof(path), "/api/items?term=%s&size=1", w);
		s = get_json(path);
		ck_assert_msg(json_integer_value(json_object_get(s, "total")) > 0 &&
			      json_is_null(json_object_get(s, "correctedTerm")),
			      "%s: the completion \"%s\" finds nothing as typed", typed, json_string_value(v));
		json_decref(s);
	}
}

START_TEST(autocomplete_tolerates_typos)
{
	static const char *const cases[][2] = {
		{ "iphn", "iphone" }, { "iphnoe", "iphone" }, { "msacara", "mascara" },
		{ "mascr", "mascara" }, { "laptpo", "laptop" }, { "samsng%20gal", "samsung galaxy" },
		{ "iphnoe%20cha", "iphone charger" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char path[128];
		json_t *j;

		snprintf(path, sizeof(path), "/api/suggest?q=%s", cases[k][0]);
		j = get_json(path);
		ck_assert_msg(completes_to(j, cases[k][1]), "%s does not complete to %s", cases[k][0], cases[k][1]);
		ck_assert_int_gt(json_array_size(json_object_get(j, "products")), 0);
		completions_find_something(j, cases[k][0]);
		json_decref(j);
	}
}
END_TEST

START_TEST(autocomplete_never_offers_a_search_that_finds_nothing)
{
	static const char *const typed[] = { "ipho", "lap", "ma", "apple%20ipho", "samsung%20gal",
					     "iphone%20charger", "red%20li" };
	json_t *j;
	int gone = 0;

	for (size_t k = 0; k < sizeof(typed) / sizeof(typed[0]); k++) {
		char path[128];

		snprintf(path, sizeof(path), "/api/suggest?q=%s", typed[k]);
		j = get_json(path);
		completions_find_something(j, typed[k]);
		json_decref(j);
	}
	/* Two catalog words that are never together: nothing to offer
	 * (before: "iphone headphones", which found nothing). */
	j = get_json("/api/suggest?q=iphone%20hea");
	ck_assert_int_eq(json_array_size(json_object_get(j, "completions")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(j, "products")), 0);
	json_decref(j);

	/* A word whose only product was archived: the suggestion index keeps
	 * it until the next reindex, the completions leave it out. */
	ck_assert_int_eq(sql_exec("INSERT INTO products (seller_id, category_id, slug, title, description, brand, "
				  "price, rating_x100, review_count, sales_count, rank_score, stock_total) SELECT "
				  "(SELECT MIN(id) FROM sellers), id, 'wombatwidget-one', 'Wombatwidget One', "
				  "'A widget for wombats.', 'Marsupia', 2345, 450, 0, 3, 3, 3 FROM categories "
				  "WHERE slug = 'smartphones'"), 0);
	ck_assert_int_eq(sql_exec("INSERT INTO outbox (topic, aggregate_id, payload) SELECT 'ProductUpdated', id, "
				  "JSON_OBJECT('id', id) FROM products WHERE slug = 'wombatwidget-one'"), 0);
	for (int k = 0; k < 100 && !gone; k++) {
		j = get_json("/api/suggest?q=wombatw");
		gone = completes_to(j, "wombatwidget");
		json_decref(j);
		if (!gone)
			usleep(100 * 1000);
	}
	ck_assert_msg(gone, "wombatwidget was never offered");
	ck_assert_int_eq(sql_exec("UPDATE products SET status = 'archived' WHERE slug = 'wombatwidget-one'"), 0);
	ck_assert_int_eq(sql_exec("INSERT INTO outbox (topic, aggregate_id, payload) SELECT 'ProductUpdated', id, "
				  "JSON_OBJECT('id', id) FROM products WHERE slug = 'wombatwidget-one'"), 0);
	gone = 0;
	for (int k = 0; k < 100 && !gone; k++) {
		j = get_json("/api/items?term=wombatwidget");
		gone = json_integer_value(json_object_get(j, "total")) == 0;
		json_decref(j);
		if (!gone)
			usleep(100 * 1000);
	}
	ck_assert_msg(gone, "the archived product is still found");
	j = get_json("/api/suggest?q=wombatw");
	ck_assert_msg(!completes_to(j, "wombatwidget"), "an archived product's word is still offered");
	ck_assert_int_eq(json_array_size(json_object_get(j, "products")), 0);
	json_decref(j);
}
END_TEST

/* A search that finds nothing says so and offers a way on: other
 * spellings that find products, the words without the filters,
 * departments, top-rated products. */
START_TEST(no_results_page_offers_a_way_on)
{
	struct hresp *r = sget("/search?q=xqzzvq", 0);

	ck_assert_int_eq(r->status, 200);
	HAS(r, "No products match “xqzzvq”");
	HAS(r, "<h2>Departments</h2>");
	HAS(r, "href=\"/c/electronics\"");
	HAS(r, "<h2>Top-rated products</h2>");
	HAS(r, "class=\"grid popular\"");
	HAS(r, "href=\"/p/");
	HAS(r, "0 products");
	/* No facet headings over empty lists. */
	LACKS(r, ">Rating</h2>");
	LACKS(r, ">Availability</h2>");
	hresp_free(r);

	/* The words match, the filter leaves nothing: one click away. */
	r = sget("/search?q=iphone&category=groceries", 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "No products match “iphone” with these filters");
	HAS(r, "Search “iphone” without the filters</a>");
	HAS(r, "href=\"/search?q&#61;iphone\"");
	hresp_free(r);

	/* Other spellings, each with what it finds. */
	r = sget("/search?q=cas&category=electronics", 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "<h2>Did you mean</h2>");
	HAS(r, "q&#61;case&amp;category&#61;electronics\">case</a>");
	HAS(r, "product");
	hresp_free(r);
}
END_TEST

/* Facet choices that would find nothing are left out of the page (the
 * API keeps its shape: every rating entry, counts of 0 included). */
START_TEST(facets_without_products_are_hidden)
{
	json_t *j = get_json("/api/items?term=grater");
	json_t *rating = json_object_get(json_object_get(j, "facets"), "rating");
	struct hresp *r;

	/* The demo grater is rated 2.33 (its reviews' average). */
	ck_assert_int_eq(json_array_size(rating), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rating, 0), "count")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rating, 1), "count")), 0);
	json_decref(j);
	r = sget("/search?q=grater", 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Grater Black");
	LACKS(r, "stars &amp; up");
	LACKS(r, ">Rating</h2>");
	LACKS(r, "<span class=\"muted\">(0)</span>");
	HAS(r, "In stock only");
	hresp_free(r);
	/* A chosen filter stays listed, so it can be taken back. */
	r = sget("/search?q=grater&minRating=4", 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "4 stars &amp; up");
	hresp_free(r);
}
END_TEST

/* The header's box shows what was searched; the facets sit behind a
 * "Filters" disclosure. */
START_TEST(header_box_keeps_the_words)
{
	struct hresp *r = sget("/search?q=red+lipstick", 0);

	ck_assert_int_eq(r->status, 200);
	HAS(r, "id=\"search-q\" name=\"q\" type=\"search\"");
	HAS(r, "data-suggest=\"/api/suggest\" value=\"red lipstick\"");
	HAS(r, "<details class=\"filters\">");
	HAS(r, "<summary>Filters</summary>");
	hresp_free(r);
	/* Escaped as an attribute. */
	r = sget("/search?q=%22%3E%3Cb%3E", 0);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "value=\"&quot;&gt;&lt;b&gt;\"");
	LACKS(r, "\"><b>");
	hresp_free(r);
	/* Other pages: an empty box. */
	r = sget("/", 0);
	HAS(r, "data-suggest=\"/api/suggest\" value=\"\"");
	hresp_free(r);
	/* A set filter is counted on the disclosure. */
	r = sget("/search?q=iphone&inStock=1", 0);
	HAS(r, "<summary>Filters <span class=\"filter-count\">(1 set)</span></summary>");
	hresp_free(r);
}
END_TEST

/* A page of a search with many matches comes from Redis when repeated,
 * and never outlives a change of the index: 5,100 products share a word
 * (the cache keeps searches of 5,000 matches or more), the first page is
 * asked twice, then its first product's price changes through the outbox
 * and the next answer has the new price. */
START_TEST(broad_results_cached_and_fresh)
{
	json_t *j = NULL, *k;
	long long total = 0, id;
	int fresh = 0;
	char cmd[1024];

	ck_assert_int_eq(sql_exec("INSERT INTO products (seller_id, category_id, slug, title, description, brand, "
				  "price, rating_x100, review_count, sales_count, rank_score, stock_total) SELECT "
				  "(SELECT MIN(id) FROM sellers), (SELECT id FROM categories WHERE slug = 'groceries'), "
				  "CONCAT('zebrafoo-', seq), CONCAT('Zebrafoo snack ', seq), 'A snack for zebras.', "
				  "'Savanna', 1000 + seq, 400, 0, seq, seq, 5 FROM seq_1_to_5100"), 0);
	ck_assert_int_eq(sql_exec("INSERT INTO outbox (topic, aggregate_id, payload) SELECT 'ProductUpdated', id, "
				  "JSON_OBJECT('id', id) FROM products WHERE slug LIKE 'zebrafoo-%'"), 0);
	for (int i = 0; i < 300 && total != 5100; i++) {
		j = get_json("/api/items?term=zebrafoo&size=1");
		total = json_integer_value(json_object_get(j, "total"));
		json_decref(j);
		if (total != 5100)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(total, 5100);
	j = get_json("/api/items?term=zebrafoo");
	k = get_json("/api/items?term=zebrafoo");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "title")),
			 "Zebrafoo snack 5100");	/* the best seller */
	ck_assert(json_equal(json_object_get(j, "items"), json_object_get(k, "items")));
	ck_assert_int_eq(json_integer_value(json_object_get(k, "total")), 5100);
	json_decref(j);
	json_decref(k);
	snprintf(cmd, sizeof(cmd), "redis-cli -s '%s/run/redis.sock' --scan --pattern 'sres:*' | grep -q .",
		 getenv("SHOP_HOME"));
	ck_assert_msg(system(cmd) == 0, "no page of the search was kept in Redis");

	/* A change reaches the page as soon as it reaches the index. */
	id = sql_scalar("SELECT id FROM products WHERE slug = 'zebrafoo-5100'");
	sql_execf("UPDATE products SET price = 777 WHERE id = %lld", id);
	sql_execf("INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('ProductUpdated', %lld, "
		  "JSON_OBJECT('id', %lld))", id, id);
	for (int i = 0; i < 50 && !fresh; i++) {
		j = get_json("/api/items?term=zebrafoo");
		fresh = json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "price")) == 777;
		json_decref(j);
		if (!fresh)
			usleep(100 * 1000);
	}
	ck_assert_msg(fresh, "the cached page outlived a price change");

	/* Gone again, for the suites that share the stack. */
	ck_assert_int_eq(sql_exec("UPDATE products SET status = 'archived' WHERE slug LIKE 'zebrafoo-%'"), 0);
	ck_assert_int_eq(sql_exec("INSERT INTO outbox (topic, aggregate_id, payload) SELECT 'ProductUpdated', id, "
				  "JSON_OBJECT('id', id) FROM products WHERE slug LIKE 'zebrafoo-%'"), 0);
	for (int i = 0; i < 300 && total; i++) {
		j = get_json("/api/items?term=zebrafoo&size=1");
		total = json_integer_value(json_object_get(j, "total"));
		json_decref(j);
		if (total)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(total, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-search-words");
	TCase *tc = tcase_create("search-words");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, synonyms_find_their_products);
	tcase_add_test(tc, several_words_fall_back_to_the_most_that_match);
	tcase_add_test(tc, autocomplete_tolerates_typos);
	tcase_add_test(tc, autocomplete_never_offers_a_search_that_finds_nothing);
	tcase_add_test(tc, no_results_page_offers_a_way_on);
	tcase_add_test(tc, facets_without_products_are_hidden);
	tcase_add_test(tc, header_box_keeps_the_words);
	tcase_add_test(tc, broad_results_cached_and_fresh);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
