/* The search page, /api/items and /api/suggest (see search_pages.h): the
 * route's keys into a struct search_query, the domain's answer (search.c)
 * into the page's view model or the API's JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../store/db.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../view/escape.h"
#include "../catalog/catalog.h"
#include "search.h"
#include "search_pages.h"
#include "../reports/reports_pages.h"	/* issue 19: top searches */
#include "../fx/rates.h"	/* issue 19: price ranges in the shopper's currency */
#include "../fx/fx_pages.h"

#define PAGE_SIZE SEARCH_PAGE_SIZE
#define MAX_MATCHES SEARCH_MAX_MATCHES
#define LOW_STOCK 10
#define MARK_ON SEARCH_MARK_ON
#define MARK_OFF SEARCH_MARK_OFF
#define SORT_RELEVANCE SEARCH_SORT_RELEVANCE
#define SORT_COUNT SEARCH_SORT_COUNT
#define sort_names search_sort_names

static const char *const sort_labels[SORT_COUNT] = {
	"Relevance", "Price: low to high", "Price: high to low", "Customer rating", "Newest",
	"Best-selling"
};

const char *v_search_sort(const struct key *k, const char *v, size_t n, int64_t *out)
{
	(void)k;
	for (int i = 0; i < SORT_COUNT; i++)
		if (strlen(sort_names[i]) == n && !memcmp(v, sort_names[i], n)) {
			*out = i;
			return NULL;
		}
	return "must be one of relevance, price_asc, price_desc, rating, newest, bestselling";
}

/* A search as the page and the API see it: the shopper's query as parsed,
 * and the answer in JSON. */
struct search {
	struct search_query q;
	char store[1100];
	const char *text;	/* the shopper's words, as typed (trimmed) */
	const struct search_category *cat;
	const char *cursor;
	/* The price range (issue 19) as the shopper gave it, in fx's currency
	 * (links, fields, labels, the API's facets); q has the shop's amounts
	 * the search compares (fx_filter_bounds). */
	struct fx_quote_rate fx;
	int64_t cur_min, cur_max;
	/* out */
	json_t *items, *facets;
	int64_t total;
	const char *next;
	const char *corrected;	/* the query actually run, when corrected */
	int partial;		/* corrected: only some of the words match */
	int degraded;
};

static const char *stock_status(int64_t n)
{
	return n <= 0 ? "out_of_stock" : n <= LOW_STOCK ? "low_stock" : "in_stock";
}

static const char *stock_label(struct arena *a, int64_t n)
{
	return n <= 0 ? "Out of stock" : n <= LOW_STOCK ? arena_printf(a, "Only %lld left", (long long)n) : "In stock";
}

/* A product card in the catalog's shape (app/catalog/catalog_pages.c), plus
 * the highlighted snippet. */
static json_t *card(struct arena *a, const struct search_item *it)
{
	json_t *o = json_object();
	const char *title = it->title, *slug = it->slug, *brand = it->brand, *cat = it->category;
	const char *cur = it->currency, *sku = it->sku, *snippet = it->snippet;
	int64_t rating = it->rating, stock = it->stock;

	json_object_set_new(o, "id", json_integer(it->id));
	json_object_set_new(o, "title", json_string(title ? title : ""));
	json_object_set_new(o, "slug", json_string(slug ? slug : ""));
	json_object_set_new(o, "url", json_string(arena_printf(a, "/p/%s", slug ? slug : "")));
	json_object_set_new(o, "price", json_integer(it->price));
	json_object_set_new(o, "currency", json_string(cur && *cur ? cur : "USD"));
	json_object_set_new(o, "brand", brand && *brand ? json_string(brand) : json_null());
	json_object_set_new(o, "category", json_string(cat ? cat : ""));
	json_object_set_new(o, "stock", json_integer(stock));
	json_object_set_new(o, "stockStatus", json_string(stock_status(stock)));
	json_object_set_new(o, "stockLabel", json_string(stock_label(a, stock)));
	json_object_set_new(o, "rating", json_real((double)rating / 100.0));
	json_object_set_new(o, "ratingText", json_string(arena_printf(a, "%lld.%lld",
		(long long)(rating + 5) / 100, (long long)((rating + 5) % 100) / 10)));
	json_object_set_new(o, "reviewCount", json_integer(it->reviews));
	/* A seller's photo (search_run found it) or the placeholder. */
	json_object_set_new(o, "image", json_string(catalog_image_in(a, cat ? cat : "", it->photo)));
	json_object_set_new(o, "sku", sku && *sku ? json_string(sku) : json_null());
	if (snippet && *snippet) {
		/* The snippet is HTML-escaped here, then the markers become
		 * <mark>: the only markup in it is ours. */
		struct buf h, plain;

		buf_init(&h, a, 256);
		buf_init(&plain, a, 256);
		for (const char *s = snippet; *s; ) {
			size_t n = strcspn(s, MARK_ON MARK_OFF);

			esc_html(&h, s, n);
			buf_put(&plain, s, n);
			s += n;
			if (*s == MARK_ON[0])
				buf_puts(&h, "<mark>");
			else if (*s == MARK_OFF[0])
				buf_puts(&h, "</mark>");
			if (*s)
				s++;
		}
		/* JSON clients get the HTML as a string; the page wraps it
		 * as safe HTML (h_search). */
		json_object_set_new(o, "snippet", json_string(h.p));
		json_object_set_new(o, "snippetText", json_string(plain.p));
	}
	return o;
}

/* A fingerprint of everything but the page, so a cursor is only good for
 * the search it came from. The price range counts as the shopper typed it,
 * not as the shop's amounts the search compares: a new day's rate between
 * two pages moves those, and the next page of the same search must still
 * answer (it did not: 400). The currency is left out: a shopper who picks
 * another one on page 3 gets page 3 in it, not an error. */
static unsigned long long fingerprint(const struct search_query *q, const struct search *s)
{
	unsigned long long h = 1469598103934665603ULL;
	char tail[160];

	for (size_t i = 0; i < q->nwords; i++)
		for (const char *p = q->words[i]; ; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			if (!*p)
				break;
		}
	snprintf(tail, sizeof(tail), "|%lld|%d|%lld|%d|%lld|%lld|%d|", (long long)q->category,
		 q->has_min, (long long)s->cur_min, q->has_max, (long long)s->cur_max,
		 (long long)q->min_rating, q->in_stock * 10 + q->sort);
	for (const char *p = tail; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (const char *p = q->brand ? q->brand : "\x01"; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static enum err decode_cursor(struct ctx *c, struct search *s)
{
	char *payload, fp[32];
	int64_t off;
	char *bar1, *bar2;

	s->q.offset = 0;
	if (!s->cursor)
		return E_OK;
	if (cursor_decode(c->a, s->cursor, &payload))
		return E_INVAL;
	bar1 = strchr(payload, '|');
	bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
	if (!bar1 || !bar2 || strncmp(payload, "s1", 2) || bar1 != payload + 2)
		return E_INVAL;
	if (parse_int64(bar1 + 1, (size_t)(bar2 - bar1 - 1), 1, MAX_MATCHES, &off))
		return E_INVAL;
	snprintf(fp, sizeof(fp), "%016llx", fingerprint(&s->q, s));
	if (strcmp(bar2 + 1, fp))
		return E_INVAL;
	s->q.offset = off;
	return E_OK;
}

/* The facets in the API's shape: {category: [{value, name, count, parent,
 * selected}], brand: [{value, count, selected}], price: [{min, count, max}],
 * rating: [{min, count}], inStock}; all empty when the answer is degraded. */
static json_t *facets_json(const struct search_result *r, const struct fx_quote_rate *fx)
{
	const struct search_facets *f = &r->facets;
	json_t *o, *arr;

	if (r->degraded)
		return json_pack("{s:[], s:[], s:[], s:[], s:I}", "category", "brand", "price", "rating",
				 "inStock", (json_int_t)0);
	o = json_object();
	arr = json_array();
	for (size_t i = 0; i < f->ncategory; i++) {
		const struct search_category *k = f->category[i].cat;

		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:b}", "value", k->slug,
			"name", k->name, "count", (json_int_t)f->category[i].count, "parent", (json_int_t)k->parent,
			"selected", f->category[i].selected));
	}
	json_object_set_new(o, "category", arr);
	arr = json_array();
	for (size_t i = 0; i < f->nbrand; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:b}", "value", f->brand[i].name,
			"count", (json_int_t)f->brand[i].count, "selected", f->brand[i].selected));
	json_object_set_new(o, "brand", arr);
	arr = json_array();
	for (size_t i = 0; i < f->nprice; i++) {
		/* The shop's bands in the shopper's currency (issue 19): from the
		 * band's least price converted to just below the next band's
		 * (the same bands, their bounds as the shopper reads prices). */
		json_t *p = json_pack("{s:I, s:I}", "min",
				      (json_int_t)fx_convert(f->price[i].min, fx->currency, fx->rate),
				      "count", (json_int_t)f->price[i].count);

		json_object_set_new(p, "max", f->price[i].has_max ?
			json_integer(fx_convert(f->price[i].max + 1, fx->currency, fx->rate) - 1) : json_null());
		json_array_append_new(arr, p);
	}
	json_object_set_new(o, "price", arr);
	json_object_set_new(o, "rating", json_pack("[{s:i, s:I}, {s:i, s:I}]", "min", 4, "count",
		(json_int_t)f->rating4, "min", 3, "count", (json_int_t)f->rating3));
	json_object_set_new(o, "inStock", json_integer(f->in_stock));
	return o;
}

/* Runs s (search_run) and puts the answer into it as JSON. The next page's
 * cursor names the query as run (corrected words included). */
static enum err run_search(struct ctx *c, struct search *s)
{
	struct search_result r;
	enum err e = search_run(c->db, c->kv, c->a, &s->q, &r);

	if (e)
		return e;
	s->items = json_array();
	for (size_t i = 0; i < r.nitems; i++)
		json_array_append_new(s->items, card(c->a, &r.items[i]));
	s->facets = r.q.facets ? facets_json(&r, &s->fx) : NULL;
	s->total = r.total;
	/* Issue 19, reports: a search's first page counts once. */
	if (!s->q.offset && !r.degraded)
		reports_hook_search(c, s->q.words, s->q.nwords, r.total == 0);
	s->corrected = r.corrected;
	s->partial = r.partial;
	s->degraded = r.degraded;
	s->next = NULL;
	if (r.next_offset)
		s->next = cursor_encode(c->a, arena_printf(c->a, "s1|%lld|%016llx", (long long)r.next_offset,
							   fingerprint(&r.q, s)));
	return E_OK;
}

/* Reads the route's keys into s; page and API name the text differently. */
static enum err parse_search(struct ctx *c, struct search *s, int api)
{
	const char *text = ctx_str(c, api ? "term" : "q"), *slug = ctx_str(c, "category");
	size_t n;
	enum err e;

	memset(s, 0, sizeof(*s));
	if ((e = search_categories_load(c->db, c->a)) && e != E_UNAVAIL)
		return e;
	if (!text)
		text = "";
	n = strlen(text);
	if (n > 1000)
		n = 1000;
	s->text = text;
	s->q.nwords = search_words(text, n, s->store, s->q.words);
	if (slug && !(s->cat = search_category_by_slug(slug)))
		return E_NOTFOUND;
	s->q.category = s->cat ? s->cat->id : 0;
	s->q.brand = ctx_str(c, "brand");
	s->q.has_min = ctx_has(c, "minPrice");
	s->q.has_max = ctx_has(c, "maxPrice");
	/* The bounds are in the shopper's currency (issue 19): the API's in
	 * its minor units, the page's typed with decimals (v_money). */
	fx_request_rate(c, &s->fx);
	s->cur_min = ctx_int(c, "minPrice", 0);
	s->cur_max = ctx_int(c, "maxPrice", INT64_MAX);
	if (!api) {
		s->cur_min = fx_typed_minor(s->cur_min, s->fx.currency);
		if (s->q.has_max)
			s->cur_max = fx_typed_minor(s->cur_max, s->fx.currency);
	}
	fx_filter_bounds(&s->fx, s->q.has_min, s->cur_min, s->q.has_max, s->cur_max, &s->q.min_price,
			 &s->q.max_price);
	s->q.min_rating = ctx_int(c, "minRating", 0);
	s->q.in_stock = (int)ctx_int(c, "inStock", 0);
	s->q.sort = (int)ctx_int(c, "sort", SORT_RELEVANCE);
	s->q.limit = ctx_int(c, "size", PAGE_SIZE);
	s->q.facets = 1;
	s->q.snippet = 1;
	s->cursor = ctx_str(c, "cursor");
	if (decode_cursor(c, s))
		return E_INVAL;
	if (s->q.offset + s->q.limit > MAX_MATCHES)
		s->q.limit = MAX_MATCHES - s->q.offset;
	return E_OK;
}

enum err h_api_search_items(struct ctx *c)
{
	struct search s;
	json_t *m;
	enum err e = parse_search(c, &s, 1);

	if (e == E_INVAL)
		return reply_error(c, 400, "cursor: invalid or from another search");
	if (e == E_NOTFOUND)
		return reply_error(c, 400, "category: no such category");
	if (e || (e = run_search(c, &s)))
		return e;
	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "items", s.items);
	json_object_set_new(m, "facets", s.facets);
	json_object_set_new(m, "total", json_integer(s.total));
	json_object_set_new(m, "nextCursor", s.next ? json_string(s.next) : json_null());
	json_object_set_new(m, "correctedTerm", s.corrected ? json_string(s.corrected) : json_null());
	json_object_set_new(m, "partialMatch", json_boolean(s.partial));
	json_object_set_new(m, "degraded", json_boolean(s.degraded));
	return E_OK;
}

/* ---- the page ---- */

/* An amount of the search's currency as typed ("25.50"; "1500" in JPY). */
static const char *amount(struct arena *a, const struct search *s, int64_t minor)
{
	char b[32];

	return arena_strdup(a, fx_amount_text(minor, s->fx.currency, b, sizeof(b)));
}

/* The URL of the search page for s (with what the caller changed). */
static const char *search_url(struct ctx *c, const struct search *s, const char *text)
{
	const char *keys[] = { "q", "category", "brand", "minPrice", "maxPrice", "minRating",
			       "inStock", "sort", "cursor" };
	const char *vals[9];
	struct buf b;
	int first = 1;

	vals[0] = text && *text ? text : NULL;
	vals[1] = s->cat ? s->cat->slug : NULL;
	vals[2] = s->q.brand;
	vals[3] = s->q.has_min ? amount(c->a, s, s->cur_min) : NULL;
	vals[4] = s->q.has_max ? amount(c->a, s, s->cur_max) : NULL;
	vals[5] = s->q.min_rating ? arena_printf(c->a, "%lld", (long long)s->q.min_rating) : NULL;
	vals[6] = s->q.in_stock ? "1" : NULL;
	vals[7] = s->q.sort != SORT_RELEVANCE ? sort_names[s->q.sort] : NULL;
	vals[8] = s->cursor;
	buf_init(&b, c->a, 128);
	buf_puts(&b, "/search");
	for (int i = 0; i < 9; i++) {
		if (!vals[i])
			continue;
		buf_putc(&b, first ? '?' : '&');
		first = 0;
		buf_puts(&b, keys[i]);
		buf_putc(&b, '=');
		esc_url(&b, vals[i], strlen(vals[i]));
	}
	return b.p;
}

/* Adds url (and keeps selected) to each facet entry: clicking one sets that
 * filter on a new first page; clicking a selected one removes it. */
static void facet_links(struct ctx *c, const struct search *s, json_t *m)
{
	json_t *f = s->facets, *v, *arr;
	size_t i;
	struct search u;
	const char *text = s->corrected ? s->corrected : s->text;

	json_array_foreach(json_object_get(f, "category"), i, v) {
		u = *s;
		u.cursor = NULL;
		u.cat = json_is_true(json_object_get(v, "selected")) ? NULL :
			search_category_by_slug(json_string_value(json_object_get(v, "value")));
		json_object_set_new(v, "url", json_string(search_url(c, &u, text)));
		/* Departments first, their leaves indented under them by CSS. */
		json_object_set_new(v, "label", json_string(json_integer_value(json_object_get(v, "parent")) ?
			"leaf" : "dept"));
	}
	json_object_set(m, "categoryFacet", json_object_get(f, "category"));
	json_array_foreach(json_object_get(f, "brand"), i, v) {
		u = *s;
		u.cursor = NULL;
		u.q.brand = json_is_true(json_object_get(v, "selected")) ? NULL :
			json_string_value(json_object_get(v, "value"));
		json_object_set_new(v, "url", json_string(search_url(c, &u, text)));
	}
	json_object_set(m, "brandFacet", json_object_get(f, "brand"));
	arr = json_array();
	json_array_foreach(json_object_get(f, "price"), i, v) {
		json_t *mx = json_object_get(v, "max");
		struct buf l;

		u = *s;
		u.cursor = NULL;
		/* (in the shopper's currency: facets_json) */
		u.q.has_min = 1;
		u.cur_min = json_integer_value(json_object_get(v, "min"));
		u.q.has_max = !json_is_null(mx);
		u.cur_max = json_integer_value(mx);
		buf_init(&l, c->a, 32);
		esc_money(&l, u.cur_min, s->fx.currency);
		if (u.q.has_max) {
			buf_puts(&l, " to ");
			esc_money(&l, u.cur_max + 1, s->fx.currency);
		} else
			buf_puts(&l, " and up");
		json_array_append_new(arr, json_pack("{s:s, s:O, s:s}", "label", l.p,
			"count", json_object_get(v, "count"), "url", search_url(c, &u, text)));
	}
	json_object_set_new(m, "priceFacet", arr);
	arr = json_array();
	json_array_foreach(json_object_get(f, "rating"), i, v) {
		int64_t min = json_integer_value(json_object_get(v, "min"));

		u = *s;
		u.cursor = NULL;
		u.q.min_rating = s->q.min_rating == min ? 0 : min;
		/* A choice that finds nothing is not offered (a chosen one
		 * stays, so it can be taken back). */
		if (json_integer_value(json_object_get(v, "count")) <= 0 && s->q.min_rating != min)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:O, s:s, s:b}", "label",
			arena_printf(c->a, "%lld stars & up", (long long)min), "count",
			json_object_get(v, "count"), "url", search_url(c, &u, text),
			"selected", s->q.min_rating == min));
	}
	json_object_set_new(m, "ratingFacet", arr);
	u = *s;
	u.cursor = NULL;
	u.q.in_stock = !s->q.in_stock;
	if (json_integer_value(json_object_get(f, "inStock")) > 0 || s->q.in_stock)
		json_object_set_new(m, "stockFacet", json_pack("{s:O, s:s, s:b}", "count",
			json_object_get(f, "inStock"), "url", search_url(c, &u, text), "selected", s->q.in_stock));
}

/* "1 product", "2 products". */
static const char *products_text(struct arena *a, int64_t n)
{
	return arena_printf(a, "%lld product%s", (long long)n, n == 1 ? "" : "s");
}

/* A search that found nothing: other spellings that find products, the
 * words without the filters, the departments and the top-rated products. */
static void no_results(struct ctx *c, const struct search *s, json_t *m)
{
	struct search_help h;
	struct search u;
	struct db_res *top = NULL;
	json_t *arr;
	const struct catalog_categories *cs;

	search_help(c->db, c->kv, c->a, &s->q, &h);
	json_object_set_new(m, "noResults", json_true());
	arr = json_array();
	for (size_t i = 0; i < h.nspelling; i++) {
		u = *s;
		u.cursor = NULL;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:s}", "text", h.spelling[i], "url",
			search_url(c, &u, h.spelling[i]), "count", (json_int_t)h.spelling_count[i], "countText",
			products_text(c->a, h.spelling_count[i])));
	}
	json_object_set_new(m, "spellings", arr);
	if (h.unfiltered > 0) {
		u = *s;
		u.cursor = NULL;
		u.cat = NULL;
		u.q.category = 0;
		u.q.brand = NULL;
		u.q.has_min = u.q.has_max = 0;
		u.q.min_rating = 0;
		u.q.in_stock = 0;
		json_object_set_new(m, "unfiltered", json_pack("{s:I, s:s, s:s}", "count", (json_int_t)h.unfiltered,
			"url", search_url(c, &u, s->text), "countText", products_text(c->a, h.unfiltered)));
	}
	arr = json_array();
	if (!catalog_categories_load(c->db, c->a) && (cs = catalog_categories()))
		for (size_t i = 0; i < cs->n; i++)
			if (!cs->v[i].parent && cs->v[i].total > 0)
				json_array_append_new(arr, json_pack("{s:s, s:s}", "name", cs->v[i].name, "url",
					arena_printf(c->a, "/c/%s", cs->v[i].slug)));
	json_object_set_new(m, "departments", arr);
	/* The best-rated products (one indexed query): every catalog has
	 * ratings, while sales can all be zero in a new shop. */
	arr = json_array();
	if (!catalog_top_rated(c->db, c->a, 4, &top))
		for (size_t i = 0; i < top->nrows; i++) {
			const char *title = db_cell(top, i, PC_TITLE);

			json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:s}", "title", title, "url",
				arena_printf(c->a, "/p/%s", db_cell(top, i, PC_SLUG)), "price",
				(json_int_t)db_int(top, i, PC_PRICE), "image",
				catalog_image_in(c->a, db_cell(top, i, PC_CAT), db_cell(top, i, PC_THUMB))));
		}
	json_object_set_new(m, "popular", arr);
}

static void active_filters(struct ctx *c, const struct search *s, json_t *m)
{
	json_t *arr = json_array();
	struct search u;
	const char *text = s->corrected ? s->corrected : s->text;

#define REMOVE(label, change) do { u = *s; u.cursor = NULL; change; \
	json_array_append_new(arr, json_pack("{s:s, s:s}", "label", label, "url", search_url(c, &u, text))); } while (0)
	if (s->cat)
		REMOVE(arena_printf(c->a, "Category: %s", s->cat->name), u.cat = NULL; u.q.category = 0);
	if (s->q.brand)
		REMOVE(arena_printf(c->a, "Brand: %s", s->q.brand), u.q.brand = NULL);
	if (s->q.has_min || s->q.has_max) {
		struct buf b;

		buf_init(&b, c->a, 64);
		buf_puts(&b, "Price: ");
		if (s->q.has_min)
			esc_money(&b, s->cur_min, s->fx.currency);
		buf_puts(&b, s->q.has_min && s->q.has_max ? " to " : s->q.has_min ? " and up" : "up to ");
		if (s->q.has_max)
			esc_money(&b, s->cur_max, s->fx.currency);
		REMOVE(b.p, u.q.has_min = u.q.has_max = 0);
	}
	if (s->q.min_rating)
		REMOVE(arena_printf(c->a, "Rating: %lld stars & up", (long long)s->q.min_rating), u.q.min_rating = 0);
	if (s->q.in_stock)
		REMOVE("In stock only", u.q.in_stock = 0);
#undef REMOVE
	if (json_array_size(arr))
		json_object_set_new(m, "filters", arr);
	else
		json_decref(arr);
}

enum err h_search(struct ctx *c)
{
	struct search s;
	struct search u;
	json_t *m, *sorts;
	const char *text;
	enum err e = parse_search(c, &s, 0);

	if (e == E_INVAL)
		return reply_error(c, 400, "That page link is no longer valid. Start again from the first page.");
	if (e == E_NOTFOUND)
		return reply_error(c, 400, "There is no such category.");
	if (e || (e = run_search(c, &s)))
		return e;
	text = s.corrected ? s.corrected : s.text;
	m = reply_model(c, "search", *s.text ? arena_printf(c->a, "Search: %s", s.text) : "Search");
	if (s.degraded)
		c->notice = "Search is running in a simpler mode for a moment: results may be less relevant "
			    "and filters show no counts.";
	json_object_set_new(m, "query", json_string(s.text));
	/* The header's search box keeps the words (layout.html). */
	json_object_set_new(m, "searchQuery", json_string(s.text));
	json_object_set_new(m, "partial", json_boolean(s.partial));
	json_object_set_new(m, "term", json_string(text));
	json_object_set_new(m, "total", json_integer(s.total));
	json_object_set_new(m, "totalText", json_string(products_text(c->a, s.total)));
	{
		size_t i;
		json_t *it, *sn;

		/* The snippet was escaped by card(): its only markup is <mark>. */
		json_array_foreach(s.items, i, it)
			if ((sn = json_object_get(it, "snippet")))
				json_object_set_new(it, "snippet", view_safe_html(json_string_value(sn)));
	}
	json_object_set_new(m, "items", s.items);
	json_object_set_new(m, "nextCursor", s.next ? json_string(s.next) : json_null());
	json_object_set_new(m, "correctedTerm", s.corrected ? json_string(s.corrected) : json_null());
	json_object_set_new(m, "degraded", json_boolean(s.degraded));
	if (s.corrected) {
		u = s;
		u.cursor = NULL;
		json_object_set_new(m, "originalUrl", json_string(search_url(c, &u, s.text)));
	}
	u = s;
	u.cursor = s.next;
	if (s.next)
		json_object_set_new(m, "nextUrl", json_string(search_url(c, &u, text)));
	u.cursor = NULL;
	if (s.cursor)
		json_object_set_new(m, "firstUrl", json_string(search_url(c, &u, text)));
	facet_links(c, &s, m);
	json_object_set_new(m, "hasFacets", json_boolean(!s.degraded &&
		(json_array_size(json_object_get(m, "categoryFacet")) || json_array_size(json_object_get(m, "brandFacet")) ||
		 json_array_size(json_object_get(m, "priceFacet")) || json_array_size(json_object_get(m, "ratingFacet")) ||
		 json_object_get(m, "stockFacet"))));
	json_object_set_new(m, "facets", s.facets);
	active_filters(c, &s, m);
	json_object_set_new(m, "filterCount", json_integer(json_array_size(json_object_get(m, "filters"))));
	if (!s.total && !s.degraded)
		no_results(c, &s, m);
	sorts = json_array();
	for (int i = 0; i < SORT_COUNT; i++)
		json_array_append_new(sorts, json_pack("{s:s, s:s, s:b}", "value", sort_names[i],
			"label", sort_labels[i], "selected", i == s.q.sort));
	json_object_set_new(m, "sorts", sorts);
	json_object_set_new(m, "category", s.cat ? json_pack("{s:s, s:s}", "slug", s.cat->slug, "name", s.cat->name) : json_null());
	json_object_set_new(m, "brandValue", s.q.brand ? json_string(s.q.brand) : json_null());
	if (s.q.has_min)
		json_object_set_new(m, "minPriceValue", json_string(amount(c->a, &s, s.cur_min)));
	if (s.q.has_max)
		json_object_set_new(m, "maxPriceValue", json_string(amount(c->a, &s, s.cur_max)));
	json_object_set_new(m, "priceCurrency", json_string(s.fx.currency));
	resp_header(c->resp, "X-Robots-Tag: noindex");
	return E_OK;
}

enum err h_api_suggest(struct ctx *c)
{
	struct search_suggestions sg;
	json_t *m, *comp = json_array(), *prods = json_array();

	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "completions", comp);
	json_object_set_new(m, "products", prods);
	search_suggest(c->db, c->kv, c->a, ctx_str(c, "q"), &sg);
	for (size_t i = 0; i < sg.ncompletions; i++)
		json_array_append_new(comp, json_string(sg.completions[i]));
	for (size_t i = 0; i < sg.nproducts; i++) {
		const struct search_suggest_product *p = &sg.products[i];

		json_array_append_new(prods, json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)p->id,
			"title", p->title, "url", arena_printf(c->a, "/p/%s", p->slug), "price",
			(json_int_t)p->price, "image", catalog_image(c->a, p->title, p->thumbnail)));
	}
	return E_OK;
}
