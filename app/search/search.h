/* Search: a Sphinx (SphinxQL) real-time index of the active products, fed
 * from MariaDB (the source of truth) and always rebuildable from it. Results,
 * facets and the total come from the index in one round trip; when searchd
 * is unreachable they come from a simpler MariaDB query, marked degraded.
 *
 * This is the domain: the index, its queries, facets, suggestions, the
 * indexer and the reconciler. It takes a db, a kv and an arena and plain
 * structs (a struct search_query in, a struct search_result out); the page
 * and the API answers are built from those in search_pages.c. */
#ifndef SEARCH_SEARCH_H
#define SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct buf;
struct db;
struct kv;
struct arena;

/* Registers the module's statements and loads its configuration (call once
 * at start, before any connection). */
void search_init(void);

/* Jobs (app/jobs.c): one bounded batch each, with the jobs table's return
 * convention (>0 more to do, 0 idle, <0 a server is unavailable). */
struct event;
#define SEARCH_CONSUMER "search-index"	/* the indexer's name in the stream */
enum err search_index_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
enum err search_index_flush(struct db *db, struct kv *kv, struct arena *a);
int search_reconcile_batch(struct db *db, struct kv *kv, struct arena *a);

/* shopctl commands (argv[0] is the command name; exit status returned). */
int search_cmd_reindex(int argc, char **argv);
int search_cmd_gen_catalog(int argc, char **argv);

/* ---- pure parts, exported for unit tests ---- */

/* SHOP_SEARCH_NODES (issue 20): the searchd agents holding the product
 * index's parts, "host:port" each, "|" between a part's mirrors, ","
 * between parts. search_nodes_parse makes v the nodes every product write
 * goes to (search_init calls it) and returns the number of parts: 0 for
 * none (NULL or empty: one searchd), -1 (and no nodes) when malformed
 * (a missing port, an empty part or mirror, more than 8 parts or 4
 * mirrors). search_nodes_mirrors: how many mirrors part has. */
int search_nodes_parse(const char *v);
int search_nodes_mirrors(int part);

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

/* Synonyms (data/search/synonyms.txt, read by search_init), applied to the
 * query words: "a > b c" (a finds b and c too) and "a = b = c" (each finds
 * the others); '#' starts a comment line. search_synonyms_load replaces the
 * table with text's and returns its pairs; search_synonyms puts into out
 * (at most max) the words a word also finds, compared without a plural s. */
size_t search_synonyms_load(const char *text);
size_t search_synonyms(const char *word, const char **out, size_t max);

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

/* ---- running a search ---- */

#define SEARCH_PAGE_SIZE 24
#define SEARCH_MAX_MATCHES 1000	/* searchd's default: deeper pages are not offered */
#define SEARCH_MARK_ON "\x01"	/* highlight markers in snippets: never in indexed text */
#define SEARCH_MARK_OFF "\x02"

/* Sort orders, as v_search_sort numbers them. */
enum { SEARCH_SORT_RELEVANCE, SEARCH_SORT_PRICE_ASC, SEARCH_SORT_PRICE_DESC, SEARCH_SORT_RATING,
       SEARCH_SORT_NEWEST, SEARCH_SORT_BESTSELLING, SEARCH_SORT_COUNT };
extern const char *const search_sort_names[SEARCH_SORT_COUNT];

/* The categories, as search knows them (each process keeps them a few
 * seconds). search_categories_load: E_OK when a copy (maybe stale) is
 * there. The pointers stay valid until the next load. */
struct search_category {
	int64_t id, parent;
	char *slug, *name;
};
enum err search_categories_load(struct db *db, struct arena *a);
const struct search_category *search_category_by_slug(const char *slug);

/* One product of a result (strings arena-owned, or owned by a result set
 * the arena frees). */
struct search_item {
	int64_t id;
	const char *title, *slug, *brand, *category, *currency, *sku;
	int64_t price, rating, reviews, stock;
	const char *snippet;	/* the description around the words, each match
				 * between SEARCH_MARK_ON and SEARCH_MARK_OFF; NULL: none */
	const char *photo;	/* a seller's photo (/media/...); NULL: none */
};

/* The facets of a search: each counted with every filter but its own. */
#define SEARCH_PRICE_RANGES 7
struct search_facet_category {
	const struct search_category *cat;
	int64_t count;
	int selected;
};
struct search_facet_brand {
	const char *name;
	int64_t count;
	int selected;
};
struct search_facet_price {
	int64_t min, max;	/* cents; max is the last cent of the range */
	int has_max;		/* 0: the last range, "and up" */
	int64_t count;
};
struct search_facets {
	struct search_facet_category *category;	/* the most products first */
	size_t ncategory;
	struct search_facet_brand *brand;
	size_t nbrand;
	struct search_facet_price price[SEARCH_PRICE_RANGES];	/* non-empty ranges only */
	size_t nprice;
	int64_t rating4, rating3;	/* 4 stars & up, 3 stars & up */
	int64_t in_stock;
};

struct search_result {
	struct search_query q;	/* the query as run: its words corrected when
				 * corrected is set */
	struct search_item *items;
	size_t nitems;
	struct search_facets facets;	/* with q.facets, unless degraded */
	int64_t total;
	int64_t next_offset;	/* the next page's offset; 0: no next page */
	const char *corrected;	/* the words actually searched, when corrected
				 * or (partial) when only some of them match */
	int partial;		/* no product matches all the words: these are
				 * the best matches of the most of them */
	int64_t matched;	/* > 0: the words match with fewer filters; 0: they
				 * match nothing; -1: not known */
	int degraded;		/* answered by MariaDB: no facets, simpler ranking */
};

/* Runs q (q->offset and q->limit set; q->limit + q->offset at most
 * SEARCH_MAX_MATCHES): from searchd, with a spelling correction when the
 * words find nothing, then (several words still finding nothing) the
 * products matching the most of them; else from MariaDB (degraded). */
enum err search_run(struct db *db, struct kv *kv, struct arena *a, const struct search_query *q,
		    struct search_result *r);

/* Autocomplete of what the shopper is typing: catalog words completing the
 * last word (after the words before it), and a few products. */
#define SEARCH_SUGGEST_MAX 8
#define SEARCH_SUGGEST_PRODUCTS 5
struct search_suggest_product {
	int64_t id;
	const char *title, *slug;
	int64_t price;
	const char *thumbnail;	/* NULL: none known */
};
struct search_suggestions {
	const char *completions[SEARCH_SUGGEST_MAX];
	size_t ncompletions;
	struct search_suggest_product products[SEARCH_SUGGEST_PRODUCTS];
	size_t nproducts;
};
void search_suggest(struct db *db, struct kv *kv, struct arena *a, const char *text,
		    struct search_suggestions *out);

/* What a search that found nothing offers instead: the shopper's words
 * with one of them replaced by a close catalog word, each finding products
 * (the most first); how many products the words find without the filters
 * (0 when there are none or no filters were set). */
#define SEARCH_HELP_SPELLINGS 3
struct search_help {
	const char *spelling[SEARCH_HELP_SPELLINGS];
	int64_t spelling_count[SEARCH_HELP_SPELLINGS];
	size_t nspelling;
	int64_t unfiltered;
};
void search_help(struct db *db, struct kv *kv, struct arena *a, const struct search_query *q,
		 struct search_help *out);

#endif
