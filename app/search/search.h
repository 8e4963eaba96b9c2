/* Search: a Sphinx (SphinxQL) real-time index of the active products, fed
 * from MariaDB (the source of truth) and always rebuildable from it. Pages
 * and API answers come from the index in one round trip (results, facets and
 * the total in one batch); when searchd is unreachable they come from a
 * simpler MariaDB query with a notice instead. */
#ifndef SEARCH_SEARCH_H
#define SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct buf;
struct ctx;
struct db;
struct kv;
struct arena;
struct key;

/* Registers the module's statements and loads its configuration (call once
 * at start, before any connection). */
void search_init(void);

/* Page and API handlers (see app/search/routes.inc). */
enum err h_search(struct ctx *c);
enum err h_api_search_items(struct ctx *c);
enum err h_api_suggest(struct ctx *c);

/* Sort orders of search results: relevance, price_asc, price_desc, rating,
 * newest, bestselling. */
const char *v_search_sort(const struct key *k, const char *v, size_t n, int64_t *out);

/* Jobs (app/jobs.c): one bounded batch each, with the jobs table's return
 * convention (>0 more to do, 0 idle, <0 a server is unavailable). */
int search_index_batch(struct db *db, struct kv *kv, struct arena *a);
int search_reconcile_batch(struct db *db, struct kv *kv, struct arena *a);

/* shopctl commands (argv[0] is the command name; exit status returned). */
int search_cmd_reindex(int argc, char **argv);
int search_cmd_gen_catalog(int argc, char **argv);

/* ---- pure parts, exported for unit tests ---- */

#define SEARCH_MAX_WORDS 8
#define SEARCH_MAX_WORD 40

/* Splits a shopper's text into at most SEARCH_MAX_WORDS lowercase words of
 * letters and digits (bytes >= 0x80 are kept as parts of words, so UTF-8
 * letters survive); everything else separates words, so no query operator
 * can reach Sphinx. words[i] points into store (at least n + SEARCH_MAX_WORDS
 * bytes). Returns the number of words. */
size_t search_words(const char *s, size_t n, char *store, char **words);

/* Sphinx's own escaping for text inside MATCH(): a backslash before each of
 * the query syntax characters \ ( ) | - ! @ ~ " & / ^ $ = < * . */
void search_escape_match(struct buf *b, const char *s, size_t n);
/* A SphinxQL string literal: quotes around s, backslash before ' and \,
 * control characters turned into spaces. */
void search_quote(struct buf *b, const char *s, size_t n);

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions, so "iphnoe" is one edit from "iphone"), on bytes; gives up
 * above max and returns max + 1. */
int search_edit_distance(const char *a, const char *b, int max);

/* The trigrams of a keyword for the suggestion index: "__w", "_wo", ...,
 * "d__" separated by spaces, into b. */
void search_trigrams(struct buf *b, const char *word);

/* A filter set and sort as the query builder needs them. */
struct search_query {
	char *words[SEARCH_MAX_WORDS];
	size_t nwords;
	int prefix;		/* the last word is a prefix (autocomplete) */
	int64_t category;	/* 0 = any */
	const char *brand;	/* NULL = any */
	int has_min, has_max;
	int64_t min_price, max_price;
	int64_t min_rating;	/* stars, 0 = any */
	int in_stock;
	int sort;		/* as v_search_sort numbers them */
	int64_t offset, limit;
	int facets;
	int snippet;		/* highlight the description (pages, not autocomplete) */
	int lean;		/* autocomplete: titles and brands only, best-selling
				 * first, no text ranking */
	char *alts[8];		/* when nalts: the last word is any of these (the
				 * completions autocomplete found for it) */
	size_t nalts;
	int multipass;		/* facets from a query per set filter even when
				 * the facet key could serve them */
};

/* The facet key of a product, an attribute of the index: its leaf category
 * (bits 7-31), price range (4-6; 0 below the first edge of the price
 * facet), whole stars (1-3, at most 5) and whether it is in stock (bit 0).
 * One GROUP BY over it counts the category, price, rating and stock facets
 * of a search; 0 when the category id does not fit (the facets then come
 * from one query per filter). */
unsigned search_facet_key(int64_t category, int64_t price, int64_t rating_x100, int64_t stock);

/* Whether q's facets can come from the facet key (search_build_facet_sql):
 * its price filter falls on the facet's range edges (a rating filter is
 * whole stars, so it always does) and q->multipass is not set. */
int search_facets_keyed(const struct search_query *q);

/* The facets of q, two statements: part 0, the words with the brand filter
 * grouped by facet key (every facet but the brand's, each filter applied
 * by the caller); part 1, the brands with every filter but the brand. */
void search_build_facet_sql(struct buf *b, const struct search_query *q, const char *index, int part);

/* The SphinxQL batch for q against index: the SELECT of q->limit + 1 rows
 * (the extra one says whether there is a next page), then SHOW META. With
 * q->facets and search_facets_keyed(q), then search_build_facet_sql's two
 * statements. Otherwise, with q->facets, the SELECT has FACETs (cats, brand_s, then
 * price range * 100 + rating band * 10 + in stock) for the facets whose own
 * filter is not set and, after SHOW META, each set filter (category, brand,
 * price, rating, stock, in that order) has a GROUP BY query with every other
 * filter. Every value is escaped or formatted from an integer. */
void search_build_sql(struct buf *b, const struct search_query *q, const char *index);

#endif
