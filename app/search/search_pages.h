/* The search page, /api/items and /api/suggest: the shopper's parameters
 * into a struct search_query, the domain's struct search_result into the
 * page's view model or the API's JSON (see app/search/routes.inc). */
#ifndef SEARCH_SEARCH_PAGES_H
#define SEARCH_SEARCH_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct ctx;
struct key;

enum err h_search(struct ctx *c);
enum err h_api_search_items(struct ctx *c);
enum err h_api_suggest(struct ctx *c);

/* Sort orders of search results: relevance, price_asc, price_desc, rating,
 * newest, bestselling. */
const char *v_search_sort(const struct key *k, const char *v, size_t n, int64_t *out);

#endif
