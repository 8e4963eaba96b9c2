/* The catalog's pages and API (catalog_pages.h): the home page, category
 * listings, product pages, the sitemap and placeholder images, and their
 * JSON twins. Listing cursors carry the last row's sort key and id, signed
 * so they cannot be forged. The rows come from the domain (catalog.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../http/cursor.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../http/valid.h"
#include "../store/db.h"
#include "../view/escape.h"
#include "../pricing/pricing.h"
#include "catalog.h"
#include "catalog_pages.h"
#include "pcache.h"
#include "../sales/sales_pages.h"
#include "../recs/recs_pages.h"
#include "../reviews/reviews_pages.h"
#include "../questions/questions_pages.h"
#include "../wishlist/wishlist_pages.h"
#include "../alerts/alerts_pages.h"
#include "../reports/reports_pages.h"	/* issue 19: the funnel's counters */
#include "../fx/rates.h"	/* issue 19: price filters in the shopper's currency */
#include "../fx/fx_pages.h"

#define LOW_STOCK 10		/* "Only N left" at or below this */
#define DEFAULT_PAGE 24
#define SITEMAP_MAX 50000	/* URLs per sitemap file (the protocol's limit) */

/* Sort orders, in the order v_sort numbers them. */
#define S_RELEVANCE CATALOG_SORT_RELEVANCE
#define S_COUNT CATALOG_SORT_COUNT
static const char *const sort_names[S_COUNT] = {
	"relevance", "price_asc", "price_desc", "rating", "newest"
};
static const char *const sort_labels[S_COUNT] = {
	"Featured", "Price: low to high", "Price: high to low", "Customer rating", "Newest"
};

/* ---- categories ---- */

/* The department tree as JSON, built on first use after each load of the
 * categories (catalog_categories' gen) and shared by every page. */
static struct {
	json_t *nav;
	unsigned gen;
} navc;

static enum err cats_load(struct ctx *c)
{
	return catalog_categories_load(c->db, c->a);
}

static json_t *cat_json(struct ctx *c, const struct catalog_cat *k, int children)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)k->id,
			      "slug", k->slug, "name", k->name,
			      "url", arena_printf(c->a, "/c/%s", k->slug),
			      "productCount", (json_int_t)k->total);
	const struct catalog_cat *p = k->parent ? catalog_category_by_id(k->parent) : NULL;

	if (!o)
		return NULL;
	json_object_set_new(o, "parent", p ? json_string(p->slug) : json_null());
	if (children) {
		const struct catalog_categories *cats = catalog_categories();
		json_t *a = json_array();

		for (size_t i = 0; i < cats->n; i++)
			if (cats->v[i].parent == k->id)
				json_array_append_new(a, cat_json(c, &cats->v[i], 0));
		json_object_set_new(o, "children", a);
	}
	return o;
}

json_t *catalog_nav(struct ctx *c)
{
	const struct catalog_categories *cats;

	if (cats_load(c))
		return NULL;
	/* Every page shows it: built once per category load and shared,
	 * read-only, by the models that include it. */
	cats = catalog_categories();
	if (!navc.nav || navc.gen != cats->gen) {
		json_decref(navc.nav);
		navc.nav = json_array();
		navc.gen = cats->gen;
		for (size_t i = 0; i < cats->n; i++)
			if (!cats->v[i].parent)
				json_array_append_new(navc.nav, cat_json(c, &cats->v[i], 1));
	}
	return json_incref(navc.nav);
}

/* ---- product JSON ---- */

static const char *stock_status(long n)
{
	return n <= 0 ? "out_of_stock" : n <= LOW_STOCK ? "low_stock" : "in_stock";
}

static const char *stock_label(struct ctx *c, long n)
{
	return n <= 0 ? "Out of stock" : n <= LOW_STOCK ? arena_printf(c->a, "Only %ld left", n) : "In stock";
}

/* Shared fields of a product row (card or full). */
static json_t *product_json(struct ctx *c, const struct db_res *r, size_t i)
{
	long stock = (long)db_int(r, i, PC_STOCK);
	long rating = (long)db_int(r, i, PC_RATING);
	const char *title = db_cell(r, i, PC_TITLE);
	const char *brand = db_cell(r, i, PC_BRAND);
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(db_int(r, i, PC_ID)));
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "slug", json_string(db_cell(r, i, PC_SLUG)));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/p/%s", db_cell(r, i, PC_SLUG))));
	json_object_set_new(o, "price", json_integer(db_int(r, i, PC_PRICE)));
	json_object_set_new(o, "currency", json_string(db_cell(r, i, PC_CUR)));
	json_object_set_new(o, "brand", brand ? json_string(brand) : json_null());
	json_object_set_new(o, "category", json_string(db_cell(r, i, PC_CAT)));
	json_object_set_new(o, "stock", json_integer(stock));
	json_object_set_new(o, "stockStatus", json_string(stock_status(stock)));
	json_object_set_new(o, "stockLabel", json_string(stock_label(c, stock)));
	json_object_set_new(o, "rating", json_real(rating / 100.0));
	json_object_set_new(o, "ratingText", json_string(arena_printf(c->a, "%ld.%ld", (rating + 5) / 100, ((rating + 5) % 100) / 10)));
	json_object_set_new(o, "reviewCount", json_integer(db_int(r, i, PC_REVIEWS)));
	json_object_set_new(o, "image", json_string(catalog_image_in(c->a, db_cell(r, i, PC_CAT), NULL)));
	return o;
}

static json_t *card_json(struct ctx *c, const struct db_res *r, size_t i)
{
	json_t *o = product_json(c, r, i);
	const char *sku = db_cell(r, i, PC_SKU);

	json_object_set_new(o, "sku", sku ? json_string(sku) : json_null());
	json_object_set_new(o, "image", json_string(catalog_image_in(c->a, db_cell(r, i, PC_CAT),
								     db_cell(r, i, PC_THUMB))));
	return o;
}

static json_t *cards_from(struct ctx *c, const struct db_res *r, size_t from, size_t limit)
{
	json_t *a = json_array();

	for (size_t i = from; i < r->nrows && i < from + limit; i++)
		json_array_append_new(a, card_json(c, r, i));
	return a;
}

static json_t *cards(struct ctx *c, const struct db_res *r, size_t limit)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nrows && i < limit; i++)
		json_array_append_new(a, card_json(c, r, i));
	return a;
}

/* ---- listings ---- */

struct listing {
	const struct catalog_cat *cat;
	int sort;
	const char *brand;
	int has_min, has_max;
	/* The price filter (issue 19): the bounds as the shopper gave them,
	 * in fx's currency (what the page's links, fields and labels say),
	 * and the shop's amounts the query compares (fx_filter_bounds). */
	struct fx_quote_rate fx;
	int64_t cur_min, cur_max;
	int64_t min_price, max_price;
	int64_t size;
	const char *cursor;
	/* READ REPLICAS (issue 20): where the listing reads (db_for_read) */
	struct db *db;
	/* The page's number (1: the first), carried in the cursor; 0 when it
	 * is not known (a cursor made before pages were counted). Without a
	 * cursor, page N > 1 is read from the start (the "Previous page" link:
	 * keyset cursors only go forward), at most PAGE_WALK pages deep. */
	int64_t page;
	/* out */
	json_t *items;
	const char *next;
};

#define PAGE_WALK 40

/* Runs one page of a category listing. E_INVAL for a cursor that was not
 * made by us for this listing. */
static enum err list_page(struct ctx *c, struct listing *l)
{
	struct catalog_listing q = { .cat = l->cat, .sort = l->sort, .brand = l->brand,
				     .min_price = l->min_price, .max_price = l->max_price, .size = l->size };
	struct db_res *r = NULL;
	enum err e;

	size_t skip = 0;

	catalog_listing_first(&q);
	if (!l->cursor && l->page > 1 && l->page <= PAGE_WALK) {
		/* Page N from the start: its rows are the last of N pages. */
		skip = (size_t)((l->page - 1) * l->size);
		q.size = l->page * l->size;
	} else if (!l->cursor) {
		l->page = 1;
	}
	if (l->cursor) {
		char *payload, *save = NULL, *f[6];
		int nf = 0;

		if (cursor_decode(c->a, l->cursor, &payload))
			return E_INVAL;
		for (char *t = strtok_r(payload, "|", &save); t && nf < 6; t = strtok_r(NULL, "|", &save))
			f[nf++] = t;
		int64_t sort, cat;

		l->page = 0;
		/* The MAC proves we made it; these prove it is for this listing. */
		if (nf < 5 || strcmp(f[0], "c1") ||
		    (nf == 6 && parse_int64(f[5], strlen(f[5]), 0, INT64_MAX, &l->page)) ||
		    parse_int64(f[1], strlen(f[1]), 0, S_COUNT - 1, &sort) || sort != l->sort ||
		    parse_int64(f[2], strlen(f[2]), 1, INT64_MAX, &cat) || cat != l->cat->id ||
		    parse_int64(f[4], strlen(f[4]), 0, INT64_MAX, &q.after_id))
			return E_INVAL;
		if (l->sort == CATALOG_SORT_NEWEST)
			q.skey = f[3];
		else if (parse_int64(f[3], strlen(f[3]), INT64_MIN, INT64_MAX, &q.ikey))
			return E_INVAL;
	}
	if (!l->db)
		l->db = db_for_read(c->db);	/* READ REPLICAS (issue 20) */
	if ((e = catalog_list(l->db, c->a, &q, &r)))
		return e;
	l->items = cards_from(c, r, skip, (size_t)l->size);
	l->next = NULL;
	if (r->nrows > skip + (size_t)l->size) {
		size_t last = skip + (size_t)l->size - 1;

		l->next = cursor_encode(c->a, arena_printf(c->a, "c1|%d|%ld|%s|%s|%lld", l->sort, l->cat->id,
			db_cell(r, last, catalog_sort_column(l->sort)), db_cell(r, last, PC_ID),
			(long long)(l->page ? l->page + 1 : 0)));
		if (!l->next)
			return E_NOMEM;
	}
	return E_OK;
}

static enum err find_category(struct ctx *c, const struct catalog_cat **out)
{
	enum err e = cats_load(c);

	if (e)
		return e;
	*out = catalog_category_by_slug(c->req->pathvar[0]);
	return *out ? E_OK : E_NOTFOUND;
}

static void set_listing_params(struct ctx *c, struct listing *l)
{
	l->sort = (int)ctx_int(c, "sort", S_RELEVANCE);
	l->brand = ctx_str(c, "brand");
	l->has_min = ctx_has(c, "minPrice");
	l->has_max = ctx_has(c, "maxPrice");
	l->cur_min = ctx_int(c, "minPrice", 0);
	l->cur_max = ctx_int(c, "maxPrice", INT64_MAX);
	l->size = ctx_int(c, "size", DEFAULT_PAGE);
	l->cursor = ctx_str(c, "cursor");
	l->page = ctx_int(c, "page", 1);
}

/* The bounds in the shopper's currency into the shop's for the query: the
 * request's currency and rate only when there is a bound (no query else). */
static void listing_bounds(struct ctx *c, struct listing *l)
{
	if (l->has_min || l->has_max)
		fx_request_rate(c, &l->fx);
	else
		fx_rate_now(c->db, c->a, NULL, &l->fx);	/* the shop's own: no query */
	fx_filter_bounds(&l->fx, l->has_min, l->cur_min, l->has_max, l->cur_max, &l->min_price, &l->max_price);
}

/* An amount of the listing's currency as typed ("25.50"; "1500" in JPY). */
static const char *amount(struct ctx *c, const struct listing *l, int64_t minor)
{
	char b[32];

	return arena_strdup(c->a, fx_amount_text(minor, l->fx.currency, b, sizeof(b)));
}

/* The URL of a category page showing listing l (prices in the page's
 * decimal form). Callers copy the current listing and change one thing. */
static const char *listing_url(struct ctx *c, const struct listing *l)
{
	const char *keys[] = { "sort", "brand", "minPrice", "maxPrice", "cursor", "page" };
	const char *vals[6];
	struct buf b;
	int first = 1;

	vals[0] = l->sort != S_RELEVANCE ? sort_names[l->sort] : NULL;
	vals[1] = l->brand;
	vals[2] = l->has_min ? amount(c, l, l->cur_min) : NULL;
	vals[3] = l->has_max ? amount(c, l, l->cur_max) : NULL;
	vals[4] = l->cursor;
	vals[5] = !l->cursor && l->page > 1 ? arena_printf(c->a, "%lld", (long long)l->page) : NULL;
	buf_init(&b, c->a, 128);
	buf_printf(&b, "/c/%s", l->cat->slug);
	for (int i = 0; i < 6; i++) {
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

enum err h_api_category_items(struct ctx *c)
{
	struct listing l = {0};
	json_t *m;
	enum err e;

	if ((e = find_category(c, &l.cat)))
		return e;
	set_listing_params(c, &l);
	listing_bounds(c, &l);	/* minPrice, maxPrice: minor units of the `currency` parameter's */
	if ((e = list_page(c, &l)))
		return e == E_INVAL ? reply_error(c, 400, "cursor: invalid or from another listing") : e;
	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "items", l.items);
	json_object_set_new(m, "nextCursor", l.next ? json_string(l.next) : json_null());
	return E_OK;
}

static void release_page(void *p)
{
	json_decref(p);
}

#ifndef MONEY_MAX
#define MONEY_MAX 100000000000LL	/* as in routes.inc: beyond any price */
#endif

/* What a price filter's text means (see k_category): the page's bounds,
 * read as people type prices ("$100", "1,000", " 25.50 "). A bound that is
 * not a price is left out; a minimum above the maximum is read the other
 * way round. What was wrong goes in *why (NULL when nothing was), said on
 * the page beside the filter, with the fields in error in *bad (1: from,
 * 2: to). */
static void page_prices(struct ctx *c, struct listing *l, const char **why, int *bad)
{
	const char *lo = ctx_str(c, "minPrice"), *hi = ctx_str(c, "maxPrice");
	const char *msg[2] = { NULL, NULL };
	int64_t v;

	const char *cur;

	*why = NULL;
	*bad = 0;
	l->has_min = l->has_max = 0;
	l->cur_min = 0;
	l->cur_max = INT64_MAX;
	/* Typed in the shopper's currency (issue 19): the request's (the
	 * form's legend names it). */
	fx_request_rate(c, &l->fx);
	cur = l->fx.currency;
	if (lo && !money_typed(lo, strlen(lo), &v) && v <= MONEY_MAX) {
		l->has_min = 1;
		l->cur_min = fx_typed_minor(v, cur);
	} else if (lo) {
		*bad |= 1;
		msg[0] = arena_printf(c->a, "“%s” is not a price", lo);
	}
	if (hi && !money_typed(hi, strlen(hi), &v) && v <= MONEY_MAX) {
		l->has_max = 1;
		l->cur_max = fx_typed_minor(v, cur);
	} else if (hi) {
		*bad |= 2;
		msg[1] = arena_printf(c->a, "“%s” is not a price", hi);
	}
	if (msg[0] || msg[1]) {
		*why = arena_printf(c->a, "%s%s%s. Type an amount such as 25 or 25.50; "
				    "we left it out of the filter.", msg[0] ? msg[0] : "",
				    msg[0] && msg[1] ? ", and " : "", msg[1] ? msg[1] : "");
	} else if (l->has_min && l->has_max && l->cur_min > l->cur_max) {
		struct buf b;
		int64_t t = l->cur_min;

		l->cur_min = l->cur_max;
		l->cur_max = t;
		buf_init(&b, c->a, 160);
		buf_puts(&b, "The From price (");
		esc_money(&b, l->cur_max, cur);
		buf_puts(&b, ") is higher than the To price (");
		esc_money(&b, l->cur_min, cur);
		buf_puts(&b, "), so we show prices from ");
		esc_money(&b, l->cur_min, cur);
		buf_puts(&b, " to ");
		esc_money(&b, l->cur_max, cur);
		buf_puts(&b, ".");
		*why = b.p;
	}
	fx_filter_bounds(&l->fx, l->has_min, l->cur_min, l->has_max, l->cur_max, &l->min_price, &l->max_price);
}

/* The model's words about the price filter (never cached: they are about
 * what this visitor typed, while the cached model is the listing's). */
static void price_words(struct ctx *c, json_t *m, const char *why, int bad)
{
	const char *lo = ctx_str(c, "minPrice"), *hi = ctx_str(c, "maxPrice");

	if (!why)
		return;
	json_object_set_new(m, "priceError", json_string(why));
	/* What was typed stays in the field, to be corrected. */
	if (bad & 1) {
		json_object_set_new(m, "minPriceValue", json_string(lo));
		json_object_set_new(m, "minPriceInvalid", json_true());
	}
	if (bad & 2) {
		json_object_set_new(m, "maxPriceValue", json_string(hi));
		json_object_set_new(m, "maxPriceInvalid", json_true());
	}
}

enum err h_category(struct ctx *c)
{
	const char *price_why;
	int price_bad;
	struct listing l = {0}, u;
	struct db_res *r = NULL;
	const struct catalog_cat *parent;
	json_t *m, *crumbs, *subs, *brands, *sorts, *filters, *hit;
	const char *key;
	uint64_t token;
	enum err e;

	if ((e = find_category(c, &l.cat)))
		return e;
	set_listing_params(c, &l);
	page_prices(c, &l, &price_why, &price_bad);
	/* The model depends on the URL alone: built once while no product
	 * changes (pcache.h). */
	/* A price filter's bounds are in the shopper's currency: its copy is
	 * that currency's at that rate (the rest of the model is the shop's,
	 * converted per request by fx_localize). */
	key = l.has_min || l.has_max ? arena_printf(c->a, "L:%s@%lld:%s", l.fx.currency, (long long)l.fx.rate,
						     listing_url(c, &l)) :
				       arena_printf(c->a, "L:%s", listing_url(c, &l));
	if ((hit = pcache_page_get(key))) {
		if (!(m = reply_model(c, "category", l.cat->name)))
			return E_NOMEM;
		json_object_update(m, hit);
		price_words(c, m, price_why, price_bad);
		json_object_set_new(m, "priceCurrency", json_string(l.fx.currency));
		return E_OK;
	}
	token = pcache_begin();
	if ((e = list_page(c, &l)))
		return e == E_INVAL ? reply_error(c, 400, "That page link is no longer valid. Start again from the first page.") : e;
	m = reply_model(c, "category", l.cat->name);
	json_object_set_new(m, "category", cat_json(c, l.cat, 1));
	json_object_set_new(m, "items", l.items);
	json_object_set_new(m, "nextCursor", l.next ? json_string(l.next) : json_null());
	u = l;
	u.cursor = l.next;
	if (l.next)
		json_object_set_new(m, "nextUrl", json_string(listing_url(c, &u)));
	u.cursor = NULL;
	u.page = 1;
	if ((l.cursor || l.page > 1) && l.page != 2)
		json_object_set_new(m, "firstUrl", json_string(listing_url(c, &u)));
	/* Previous: page N-1 read from the start (near enough to walk), else
	 * only First page. */
	if (l.page > 1 && l.page - 1 <= PAGE_WALK) {
		u.page = l.page - 1;
		json_object_set_new(m, "prevUrl", json_string(listing_url(c, &u)));
	}
	json_object_set_new(m, "metaDescription", json_string(arena_printf(c->a,
		"Shop %s: %ld product%s with prices, ratings and stock.", l.cat->name, l.cat->total,
		l.cat->total == 1 ? "" : "s")));
	json_object_set_new(m, "productCountText", json_string(arena_printf(c->a, "%ld product%s",
		l.cat->total, l.cat->total == 1 ? "" : "s")));
	json_object_set_new(m, "canonical", json_string(arena_printf(c->a, "%s/c/%s", config.base_url, l.cat->slug)));

	crumbs = json_array();
	parent = l.cat->parent ? catalog_category_by_id(l.cat->parent) : NULL;
	if (parent)
		json_array_append_new(crumbs, json_pack("{s:s, s:s}", "name", parent->name,
			"url", arena_printf(c->a, "/c/%s", parent->slug)));
	json_object_set_new(m, "breadcrumb", crumbs);
	subs = json_object_get(json_object_get(m, "category"), "children");
	if (subs && json_array_size(subs))
		json_object_set(m, "subcategories", subs);

	/* Brand filter choices with counts; every link starts a new first page. */
	if ((e = catalog_brands(l.db, c->a, l.cat->id, &r)))
		return e;
	brands = json_array();
	for (size_t i = 0; i < r->nrows; i++) {
		const char *b = db_cell(r, i, 0);
		int selected = l.brand && !strcmp(l.brand, b);

		u = l;
		u.cursor = NULL;
		u.brand = selected ? NULL : b;
		json_array_append_new(brands, json_pack("{s:s, s:I, s:b, s:s}", "name", b,
			"count", (json_int_t)db_int(r, i, 1), "selected", selected,
			"url", listing_url(c, &u)));
	}
	json_object_set_new(m, "brands", brands);
	sorts = json_array();
	for (int i = 0; i < S_COUNT; i++)
		json_array_append_new(sorts, json_pack("{s:s, s:s, s:b}", "value", sort_names[i],
			"label", sort_labels[i], "selected", i == l.sort));
	json_object_set_new(m, "sorts", sorts);

	/* Active filters, each with a link that removes it. */
	filters = json_array();
	if (l.brand) {
		u = l;
		u.cursor = NULL;
		u.brand = NULL;
		json_array_append_new(filters, json_pack("{s:s, s:s}", "label",
			arena_printf(c->a, "Brand: %s", l.brand), "url", listing_url(c, &u)));
	}
	if (l.has_min || l.has_max) {
		struct buf b;

		buf_init(&b, c->a, 64);
		buf_puts(&b, "Price: ");
		if (l.has_min)
			esc_money(&b, l.cur_min, l.fx.currency);
		buf_puts(&b, l.has_min && l.has_max ? " to " : l.has_min ? " and up" : "up to ");
		if (l.has_max)
			esc_money(&b, l.cur_max, l.fx.currency);
		u = l;
		u.cursor = NULL;
		u.has_min = u.has_max = 0;
		json_array_append_new(filters, json_pack("{s:s, s:s}", "label", b.p, "url", listing_url(c, &u)));
	}
	if (json_array_size(filters))
		json_object_set_new(m, "filters", filters);
	else
		json_decref(filters);
	json_object_set_new(m, "brandValue", l.brand ? json_string(l.brand) : json_null());
	if (l.has_min)
		json_object_set_new(m, "minPriceValue", json_string(amount(c, &l, l.cur_min)));
	if (l.has_max)
		json_object_set_new(m, "maxPriceValue", json_string(amount(c, &l, l.cur_max)));
	/* What a replica read may predate the change that made the cache
	 * drop the last copy: kept only when no change landed within the
	 * replica's lag bound (READ REPLICAS, issue 20; pcache.h). */
	if (pcache_enabled() && (!db_is_replica(l.db) || pcache_quiet_for(db_replica_stale_ms())))
		pcache_page_put(key, json_deep_copy(m), release_page, token);
	price_words(c, m, price_why, price_bad);
	json_object_set_new(m, "priceCurrency", json_string(l.fx.currency));
	return E_OK;
}

enum err h_api_categories(struct ctx *c)
{
	json_t *m, *nav = catalog_nav(c);

	if (!nav)
		return E_UNAVAIL;
	m = reply_model(c, NULL, NULL);
	json_object_set_new(m, "items", nav);
	json_object_set_new(m, "nextCursor", json_null());
	return E_OK;
}

enum err h_home(struct ctx *c)
{
	struct db_res *top = NULL, *fresh = NULL;
	struct db *rd;
	json_t *m, *nav, *hit;
	uint64_t token;
	enum err e;

	if ((hit = pcache_page_get("H:"))) {
		if (!(m = reply_model(c, "home", "Everything in stock, on time")))
			return E_NOMEM;
		json_object_update(m, hit);
		recs_home_sections(c, m);	/* per visitor: never in the shared copy */
		return E_OK;
	}
	token = pcache_begin();
	rd = db_for_read(c->db);	/* READ REPLICAS (issue 20) */
	if ((e = catalog_top_rated(rd, c->a, 8, &top)) ||
	    (e = catalog_newest(rd, c->a, 8, &fresh)))
		return e;
	if (!(nav = catalog_nav(c)))
		return E_UNAVAIL;
	m = reply_model(c, "home", "Everything in stock, on time");
	json_object_set_new(m, "categories", nav);
	json_object_set_new(m, "topRated", cards(c, top, top->nrows));
	json_object_set_new(m, "newest", cards(c, fresh, fresh->nrows));
	json_object_set_new(m, "metaDescription", json_string(
		"Shop electronics, fashion, beauty, home and groceries: fast pages, honest stock, real reviews."));
	json_object_set_new(m, "canonical", json_string(arena_printf(c->a, "%s/", config.base_url)));
	if (pcache_enabled())
		if (!db_is_replica(rd) || pcache_quiet_for(db_replica_stale_ms()))
			pcache_page_put("H:", json_deep_copy(m), release_page, token);
	recs_home_sections(c, m);	/* after the shared copy was taken */
	return E_OK;
}

/* Money as a decimal string for schema.org ("9.99"). */
static const char *decimal(struct ctx *c, int64_t minor)
{
	return arena_printf(c->a, "%s%lld.%02lld", minor < 0 ? "-" : "",
			    (long long)(minor < 0 ? -minor : minor) / 100,
			    (long long)(minor < 0 ? -minor : minor) % 100);
}

static void release_json(void *p)
{
	json_decref(p);
}

/* Parses a JSON column; an invalid value (the schema's CHECK makes that
 * impossible) gives an empty container rather than a failed page. */
static json_t *column_json(struct ctx *c, const char *s, int want_array)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;

	if (!v || (want_array ? !json_is_array(v) : !json_is_object(v))) {
		json_decref(v);
		v = want_array ? json_array() : json_object();
	}
	return v;
}

/* Builds the full item: the card fields plus description, SKUs with their
 * stock, attributes and image URLs. */
static enum err item_json(struct ctx *c, struct db_res *p, json_t **out)
{
	json_t *o, *skus, *attrs, *imgs, *rows, *row;
	const char *k;
	json_t *v;
	size_t i;

	o = product_json(c, p, 0);
	json_object_set_new(o, "description", json_string(db_cell(p, 0, PP_DESC)));
	rows = column_json(c, db_cell(p, 0, PP_SKUS), 1);
	skus = json_array();
	json_array_foreach(rows, i, row) {
		/* [code, price, currency, weight_grams, stock, options] */
		const char *code = json_string_value(json_array_get(row, 0));
		const char *cur = json_string_value(json_array_get(row, 2));
		json_int_t stock = json_integer_value(json_array_get(row, 4));
		json_t *opts = json_array_get(row, 5);
		struct buf label;

		if (!code)
			continue;
		/* "Color: Red, Size: M", or "Standard" for a product without options. */
		buf_init(&label, c->a, 64);
		json_object_foreach(opts, k, v)
			if (json_is_string(v))
				buf_printf(&label, "%s%s: %s", label.len ? ", " : "", k, json_string_value(v));
		json_array_append_new(skus, json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:o, s:s, s:b}",
			"sku", code, "price", json_integer_value(json_array_get(row, 1)),
			"currency", cur ? cur : "USD", "weightGrams", json_integer_value(json_array_get(row, 3)),
			"stock", stock, "stockStatus", stock_status((long)stock),
			"options", json_is_object(opts) ? json_incref(opts) : json_object(),
			"label", label.len ? label.p : "Standard", "first", i == 0));
	}
	json_decref(rows);
	json_object_set_new(o, "sku", json_array_size(skus) ?
		json_incref(json_object_get(json_array_get(skus, 0), "sku")) : json_null());
	json_object_set_new(o, "skus", skus);
	attrs = column_json(c, db_cell(p, 0, PP_ATTRS), 0);
	{
		json_t *list = json_array();

		json_object_foreach(attrs, k, v) {
			char *txt = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);

			json_array_append_new(list, json_pack("{s:s, s:s}", "name", k,
				"value", txt ? txt : json_string_value(v)));
			free(txt);
		}
		json_object_set_new(o, "attributes", attrs);
		json_object_set_new(o, "attributeList", list);
	}
	imgs = column_json(c, db_cell(p, 0, PP_IMAGES), 1);
	json_object_set_new(o, "images", imgs);
	/* A seller's own photos are served from /media/ (app/seller/images.c);
	 * the first one replaces the placeholder. Remote URLs (the demo data)
	 * cannot be shown: the page's CSP allows same-origin images only. */
	{
		const char *first = json_string_value(json_array_get(imgs, 0));

		if (first && !strncmp(first, "/media/", 7))
			json_object_set_new(o, "image", json_string(first));
	}
	json_object_set_new(o, "thumbnail", db_cell(p, 0, PP_THUMB) ? json_string(db_cell(p, 0, PP_THUMB)) : json_null());
	*out = o;
	return E_OK;
}

enum err h_api_item(struct ctx *c)
{
	struct db_res *p = NULL;
	int64_t id;
	json_t *item;
	enum err e;

	if (parse_int64(c->req->pathvar[0], strlen(c->req->pathvar[0]), 1, INT64_MAX, &id))
		return E_NOTFOUND;
	if ((e = catalog_product_by_id(db_for_read(c->db), c->a, id, &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if ((e = item_json(c, p, &item)))
		return e;
	c->resp->model = item;
	arena_on_reset(c->a, release_json, item);
	return E_OK;
}

/* ratingValue and reviewCount are those of the reviews the page lists
 * (review_digest's distribution, see product_parts), with the value
 * rounded to two decimals: the template prints reals as 2.51, never
 * 2.5099999999999998. */
static json_t *jsonld(struct ctx *c, json_t *item, long rating_x100, long reviews)
{
	json_t *offers, *ld, *sku;
	const char *brand = json_string_value(json_object_get(item, "brand"));
	long stock = (long)json_integer_value(json_object_get(item, "stock"));
	json_int_t lo = -1, hi = -1;
	size_t i;

	json_array_foreach(json_object_get(item, "skus"), i, sku) {
		json_int_t p = json_integer_value(json_object_get(sku, "price"));

		if (lo < 0 || p < lo)
			lo = p;
		if (p > hi)
			hi = p;
	}
	offers = json_pack("{s:s, s:s, s:s, s:s, s:s}", "@type", "Offer",
		"price", decimal(c, json_integer_value(json_object_get(item, "price"))),
		"priceCurrency", json_string_value(json_object_get(item, "currency")),
		"availability", stock > 0 ? "https://schema.org/InStock" : "https://schema.org/OutOfStock",
		"url", arena_printf(c->a, "%s%s", config.base_url, json_string_value(json_object_get(item, "url"))));
	if (lo >= 0 && hi > lo) {
		/* Options at different prices: the range, as schema.org has it. */
		json_object_set_new(offers, "@type", json_string("AggregateOffer"));
		json_object_del(offers, "price");
		json_object_set_new(offers, "lowPrice", json_string(decimal(c, lo)));
		json_object_set_new(offers, "highPrice", json_string(decimal(c, hi)));
		json_object_set_new(offers, "offerCount", json_integer((json_int_t)json_array_size(json_object_get(item, "skus"))));
	}
	ld = json_pack("{s:s, s:s, s:O, s:O, s:O, s:o}", "@context", "https://schema.org",
		"@type", "Product", "name", json_object_get(item, "title"),
		"description", json_object_get(item, "description"),
		"image", json_object_get(item, "images"), "offers", offers);
	if (json_object_get(item, "sku") && json_is_string(json_object_get(item, "sku")))
		json_object_set(ld, "sku", json_object_get(item, "sku"));
	if (brand)
		json_object_set_new(ld, "brand", json_pack("{s:s, s:s}", "@type", "Brand", "name", brand));
	if (reviews > 0)
		json_object_set_new(ld, "aggregateRating", json_pack("{s:s, s:f, s:I, s:i, s:i}",
			"@type", "AggregateRating", "ratingValue", rating_x100 / 100.0,
			"reviewCount", (json_int_t)reviews, "bestRating", 5, "worstRating", 1));
	return ld;
}

static void release_parts(void *p)
{
	json_decref(p);
}

/* Everything of the product page that depends on the product alone (not on
 * the visitor): built once per cached row and shared by later requests,
 * which only read it. */
static json_t *product_parts(struct ctx *c, struct db_res *p)
{
	const struct catalog_cat *leaf, *parent;
	json_t *parts, *item, *crumbs, *bars, *digest;
	long counts[6] = {0}, total = 0, rating_x100 = 0;
	const char *desc;

	if (item_json(c, p, &item))
		return NULL;
	parts = json_object();
	json_object_set_new(parts, "title", json_string(db_cell(p, 0, PC_TITLE)));
	json_object_set_new(item, "purchasable", json_boolean(json_integer_value(json_object_get(item, "stock")) > 0));
	json_object_set_new(parts, "product", item);
	/* The reviews themselves are the reviews module's part
	 * (reviews_product_sections): the most helpful few, read per request
	 * since votes move them; the distribution of the published ones is
	 * the read model's (the "ratings" consumer keeps it). */
	digest = column_json(c, db_cell(p, 0, PP_REVIEWS), 0);
	for (int star = 1; star <= 5; star++) {
		counts[star] = (long)json_integer_value(json_array_get(json_object_get(digest, "dist"), (size_t)star - 1));
		total += counts[star];
	}
	json_decref(digest);
	bars = json_array();
	for (int star = 5; star >= 1 && total; star--)
		json_array_append_new(bars, json_pack("{s:i, s:I, s:I, s:s}", "star", star,
			"count", (json_int_t)counts[star], "percent", (json_int_t)(counts[star] * 100 / total),
			"url", arena_printf(c->a, "/p/%s/reviews?stars=%d", db_cell(p, 0, PC_SLUG), star)));
	json_object_set_new(parts, "ratingBars", bars);
	/* The rating shown is that of the reviews the page lists (their
	 * distribution above, over every published review of the product), not the
	 * number a catalog file once carried: the two disagreed. Rounded half
	 * up to hundredths in integers, so 2.51 is 251 and prints as 2.51. */
	{
		long sum = 0, x100;

		for (int star = 1; star <= 5; star++)
			sum += star * counts[star];
		x100 = total ? (sum * 100 + total / 2) / total : 0;
		rating_x100 = x100;
		json_object_set_new(parts, "ratingSummary", total ? json_pack("{s:s, s:I, s:s, s:s}",
			"text", arena_printf(c->a, "%ld.%ld", (x100 + 5) / 100, ((x100 + 5) % 100) / 10),
			"count", (json_int_t)total,
			"countText", arena_printf(c->a, "%ld review%s", total, total == 1 ? "" : "s"),
			"stars", arena_printf(c->a, "%ld.%02ld out of 5 stars", x100 / 100, x100 % 100)) : json_null());
	}
	/* The seller's own photos (same-origin /media/ URLs; the page's CSP
	 * allows no other): a gallery when there are several. */
	{
		json_t *gallery = json_array(), *im;
		const char *title = json_string_value(json_object_get(item, "title"));
		size_t k;

		json_array_foreach(json_object_get(item, "images"), k, im) {
			const char *u = json_string_value(im);

			if (u && !strncmp(u, "/media/", 7))
				json_array_append_new(gallery, json_pack("{s:s, s:s, s:I}", "src", u,
					"alt", arena_printf(c->a, "%s, photo %zu", title, json_array_size(gallery) + 1),
					"n", (json_int_t)json_array_size(gallery) + 1));
		}
		json_object_set_new(parts, "gallery", json_array_size(gallery) > 1 ? gallery : json_null());
		if (json_array_size(gallery) <= 1)
			json_decref(gallery);
	}

	cats_load(c);
	crumbs = json_array();
	leaf = catalog_category_by_id((long)db_int(p, 0, PP_CATID));
	parent = leaf && leaf->parent ? catalog_category_by_id(leaf->parent) : NULL;
	if (parent)
		json_array_append_new(crumbs, json_pack("{s:s, s:s}", "name", parent->name,
			"url", arena_printf(c->a, "/c/%s", parent->slug)));
	if (leaf)
		json_array_append_new(crumbs, json_pack("{s:s, s:s}", "name", leaf->name,
			"url", arena_printf(c->a, "/c/%s", leaf->slug)));
	json_object_set_new(parts, "breadcrumb", crumbs);
	json_object_set_new(parts, "jsonld", jsonld(c, item, rating_x100, total));
	desc = db_cell(p, 0, PP_DESC);
	json_object_set_new(parts, "metaDescription", json_string(arena_printf(c->a, "%.155s", desc)));
	json_object_set_new(parts, "canonical", json_string(arena_printf(c->a, "%s/p/%s", config.base_url, db_cell(p, 0, PC_SLUG))));
	return parts;
}

/* 1 when SKU a's options equal b's except (maybe) under key `but`. */
static int options_match_but(const json_t *a, const json_t *b, const char *but)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)a, k, v)
		if (strcmp(k, but) && !json_equal(v, json_object_get(b, k)))
			return 0;
	json_object_foreach((json_t *)b, k, v)
		if (strcmp(k, but) && !json_object_get(a, k))
			return 0;
	return 1;
}

/* The delivery estimates of the shipping methods for one unit of the SKU
 * to the US (the shop's home zone; the shopper's own address is not known
 * before checkout): [{name, daysText, price, free}]. */
static json_t *delivery_json(struct ctx *c, const json_t *sku)
{
	struct pricing_line line = {
		.sku_id = 1, .unit_price = json_integer_value(json_object_get(sku, "price")), .quantity = 1,
		.weight_g = (int)json_integer_value(json_object_get(sku, "weightGrams")),
	};
	struct pricing_dest dest = { "US", "" };
	struct pricing_method *pm = NULL;
	size_t n = 0;
	json_t *a = json_array();

	if (pricing_methods(c->db, c->a, &line, 1, &dest, 0, &pm, &n))
		return a;	/* no estimate rather than no page */
	for (size_t i = 0; i < n; i++)
		if (pm[i].available)
			json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:b}", "name", pm[i].name,
				"daysText", pricing_days_text(c->a, pm[i].days_min, pm[i].days_max),
				"price", (json_int_t)pm[i].price, "free", pm[i].free || !pm[i].price));
	return a;
}

/* What depends on the chosen option (?sku=CODE): the headline price ("from
 * $X" until an option is chosen, when the options' prices differ), the
 * stock, the SKU Add to cart adds, the options as named choices (Size,
 * Color), each a link to the page with the SKU it leads to, so choosing
 * works without JavaScript (static/app.js only swaps the buy box in place),
 * and the delivery estimate. Per request: the shared parts stay read-only. */
static json_t *choice_json(struct ctx *c, const json_t *item)
{
	const json_t *skus = json_object_get(item, "skus"), *sel = NULL, *s, *opts;
	const char *want = ctx_str(c, "sku"), *slug = json_string_value(json_object_get(item, "slug"));
	json_int_t lo = -1, hi = -1;
	json_t *o, *groups, *names;
	size_t i, k, nskus = json_array_size(skus);
	int chosen = 0;

	json_array_foreach(skus, i, s) {
		json_int_t p = json_integer_value(json_object_get(s, "price"));

		if (lo < 0 || p < lo)
			lo = p;
		if (p > hi)
			hi = p;
		if (want && !strcmp(want, json_string_value(json_object_get(s, "sku"))))
			sel = s, chosen = 1;
	}
	/* By default the cheapest option in stock, so "from $X" is its price. */
	json_array_foreach(skus, i, s)
		if (!sel || (json_integer_value(json_object_get(s, "stock")) > 0 &&
			     (json_integer_value(json_object_get(sel, "stock")) <= 0 ||
			      json_integer_value(json_object_get(s, "price")) < json_integer_value(json_object_get(sel, "price")))))
			if (!chosen)
				sel = s;
	o = json_object();
	if (!sel)
		return o;
	{
		long stock = (long)json_integer_value(json_object_get(sel, "stock"));

		json_object_set_new(o, "sku", json_incref(json_object_get(sel, "sku")));
		json_object_set_new(o, "price", json_incref(json_object_get(sel, "price")));
		json_object_set_new(o, "currency", json_incref(json_object_get(sel, "currency")));
		json_object_set_new(o, "priceFrom", json_boolean(!chosen && hi > lo));
		json_object_set_new(o, "stockStatus", json_string(stock_status(stock)));
		json_object_set_new(o, "stockLabel", json_string(stock_label(c, stock)));
		json_object_set_new(o, "available", json_integer(stock));
		json_object_set_new(o, "purchasable", json_boolean(stock > 0));
		json_object_set_new(o, "chosen", json_boolean(chosen));
	}
	/* The option names in the order the SKUs give them; each name's values
	 * in order of first appearance. */
	names = json_array();
	json_array_foreach(skus, i, s) {
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(s, "options"), key, v) {
			int seen = 0;

			for (k = 0; k < json_array_size(names); k++)
				seen |= !strcmp(json_string_value(json_array_get(names, k)), key);
			if (!seen && json_is_string(v))
				json_array_append_new(names, json_string(key));
		}
	}
	groups = json_array();
	opts = json_object_get(sel, "options");
	for (k = 0; k < json_array_size(names) && nskus > 1; k++) {
		const char *name = json_string_value(json_array_get(names, k));
		json_t *choices = json_array(), *values = json_array();

		json_array_foreach(skus, i, s) {
			json_t *v = json_object_get(json_object_get(s, "options"), name), *x;
			const json_t *to = NULL, *t;
			size_t j, seen = 0;

			if (!json_is_string(v))
				continue;
			json_array_foreach(values, j, x)
				seen |= json_equal(x, v);
			if (seen)
				continue;
			json_array_append(values, v);
			/* The SKU this value leads to: the chosen one's other options
			 * kept when such a SKU exists, else the first with the value. */
			json_array_foreach(skus, j, t) {
				const json_t *to_opts = json_object_get(t, "options");

				if (!json_equal(json_object_get(to_opts, name), v))
					continue;
				if (options_match_but(to_opts, opts, name)) {
					to = t;
					break;
				}
				if (!to)
					to = t;
			}
			json_array_append_new(choices, json_pack("{s:O, s:s, s:s, s:b, s:b, s:O}",
				"value", v, "sku", json_string_value(json_object_get(to, "sku")),
				"url", arena_printf(c->a, "/p/%s?sku=%s", slug, json_string_value(json_object_get(to, "sku"))),
				"selected", json_equal(json_object_get(opts, name), v),
				"available", json_integer_value(json_object_get(to, "stock")) > 0 &&
					     options_match_but(json_object_get(to, "options"), opts, name),
				"price", json_object_get(to, "price")));
		}
		json_decref(values);
		json_array_append_new(groups, json_pack("{s:s, s:o, s:O}", "name", name, "choices", choices,
			"selectedValue", json_object_get(opts, name) ? json_object_get(opts, name) : json_null()));
	}
	/* Several SKUs without named options: one choice per SKU, by its label. */
	if (!json_array_size(groups) && nskus > 1) {
		json_t *choices = json_array();

		json_array_foreach(skus, i, s)
			json_array_append_new(choices, json_pack("{s:s, s:O, s:s, s:b, s:b, s:O}",
				"value", arena_printf(c->a, "Option %zu", i + 1), "sku", json_object_get(s, "sku"),
				"url", arena_printf(c->a, "/p/%s?sku=%s", slug, json_string_value(json_object_get(s, "sku"))),
				"selected", s == sel, "available", json_integer_value(json_object_get(s, "stock")) > 0,
				"price", json_object_get(s, "price")));
		json_array_append_new(groups, json_pack("{s:s, s:o, s:n}", "name", "Option", "choices", choices,
							"selectedValue"));
	}
	json_decref(names);
	json_object_set_new(o, "groups", json_array_size(groups) ? groups : json_null());
	if (!json_array_size(groups))
		json_decref(groups);
	json_object_set_new(o, "delivery", delivery_json(c, sel));
	return o;
}

enum err h_product(struct ctx *c)
{
	/* The product cache's key of the row (catalog_product_by_slug). */
	const char *key = arena_printf(c->a, "s:%s", c->req->pathvar[0]);
	struct db_res *p = NULL;
	json_t *m, *parts;
	enum err e;

	if ((e = catalog_product_by_slug(db_for_read(c->db), c->a, c->req->pathvar[0], &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	reports_hook_view(c);	/* issue 19, reports: the funnel's views */
	parts = pcache_user(key);
	if (parts) {
		json_incref(parts);
	} else {
		int whole;

		if (!(parts = product_parts(c, p)))
			return E_NOMEM;
		/* The reviews' and questions' parts that are the same for
		 * everyone (issue 17) are kept with the product's: their
		 * changes bump the product (docs/design.md section 9). A part
		 * that could not be read is left out of this page only. */
		whole = !reviews_product_parts(c, parts, db_int(p, 0, PC_ID));
		whole &= !questions_product_parts(c, parts, db_int(p, 0, PC_ID));
		if (whole) {
			json_incref(parts);
			pcache_set_user(key, parts, release_parts);	/* drops it when not cached */
		}
	}
	m = reply_model(c, "product", arena_strdup(c->a, json_string_value(json_object_get(parts, "title"))));
	if (!m) {
		json_decref(parts);
		return E_NOMEM;
	}
	/* Shared values, read only from here on; "title" is not a template name. */
	json_object_update(m, parts);
	json_object_del(m, "title");
	json_object_set_new(m, "choice", choice_json(c, json_object_get(parts, "product")));
	json_decref(parts);
	/* Flash sales (issue 18): the chosen SKU's sale, per request. A live
	 * sale's page is nginx's shared copy for everyone (conf/nginx.conf,
	 * "flash sales"): a visitor with a session is sent there. */
	sales_product_sections(c, m);
	if (sales_page_shared(c, m)) {	/* before the visitor's own sections */
		c->resp->model = NULL;
		resp_header(c->resp, arena_printf(c->a, "X-Accel-Redirect: /_sale_page%s%s%s", c->req->path,
						  *c->req->query ? "?" : "", c->req->query));
		resp_header(c->resp, "Cache-Control: private, no-cache");
		c->resp->content_type = "text/plain; charset=utf-8";
		buf_puts(&c->resp->body, "\n");
		return E_OK;
	}
	/* "Customers who bought this also bought" (shared), recently viewed
	 * (only with a session, so never in nginx's shared cache). */
	recs_product_sections(c, m, db_int(p, 0, PC_ID));
	/* What shoppers say and save (issue 17): each module's part for this
	 * visitor (the shared ones came with the parts). */
	reviews_product_sections(c, m, db_int(p, 0, PC_ID));
	questions_product_sections(c, m, db_int(p, 0, PC_ID));
	wishlist_product_sections(c, m, db_int(p, 0, PC_ID));
	alerts_product_sections(c, m, db_int(p, 0, PC_ID));
	return E_OK;
}

enum err h_sitemap(struct ctx *c)
{
	struct db_res *r = NULL;
	struct buf *b = &c->resp->body;
	const struct catalog_categories *cats;
	enum err e;

	if ((e = cats_load(c)))
		return e;
	cats = catalog_categories();
	if ((e = catalog_sitemap(c->db, c->a, (int64_t)SITEMAP_MAX - (int64_t)cats->n - 1, &r)))
		return e;
	c->resp->content_type = "application/xml; charset=utf-8";
	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	buf_printf(b, "<url><loc>%s/</loc></url>\n", config.base_url);
	for (size_t i = 0; i < cats->n; i++) {
		buf_printf(b, "<url><loc>%s/c/", config.base_url);
		esc_html(b, cats->v[i].slug, strlen(cats->v[i].slug));
		buf_puts(b, "</loc></url>\n");
	}
	for (size_t i = 0; i < r->nrows; i++) {
		buf_printf(b, "<url><loc>%s/p/", config.base_url);
		esc_html(b, db_cell(r, i, 0), r->lens[i * r->ncols]);
		buf_printf(b, "</loc><lastmod>%s</lastmod></url>\n", db_cell(r, i, 1));
	}
	buf_puts(b, "</urlset>\n");
	return E_OK;
}

/* A light placeholder image: the product's initials on a colour derived from
 * them. Product photos are remote URLs kept as data, which cannot be fetched
 * offline; this keeps pages looking finished. */
/* The placeholder pictures' icons: line drawings on a 24-unit grid (stroke,
 * no fill), chosen by a word of the category's slug, the first that
 * matches; the camera for anything else. */
static const struct ph_icon {
	const char *words;	/* space-separated parts of slugs */
	const char *svg;
} ph_icons[] = {
	{ "sunglasses glasses", "<circle cx='6.5' cy='14' r='3.5'/><circle cx='17.5' cy='14' r='3.5'/>"
	  "<path d='M10 14h4M3 14 1.5 8M21 14l1.5-6'/>" },
	{ "watch watches", "<circle cx='12' cy='12' r='5.5'/><path d='M9 7.5 10 2h4l1 5.5M9 16.5 10 22h4l1-5.5M12 9.5V12l1.8 1.2'/>" },
	{ "mobile accessories headphones", "<path d='M4 15v-3a8 8 0 0 1 16 0v3'/><rect x='3' y='14' width='4' height='7' rx='1.5'/>"
	  "<rect x='17' y='14' width='4' height='7' rx='1.5'/>" },
	{ "smartphones phone phones electronics", "<rect x='7' y='2' width='10' height='20' rx='2'/><path d='M11 18.5h2'/>" },
	{ "laptops laptop computers", "<rect x='4' y='5' width='16' height='11' rx='1'/><path d='M2 19.5h20'/>" },
	{ "tablets tablet", "<rect x='4.5' y='2.5' width='15' height='19' rx='2'/><circle cx='12' cy='18.5' r='.6'/>" },
	{ "shoes shoe sneakers", "<path d='M2.5 17.5V10l5.5-1 3 3.5 8.5 2.3c1.3.4 2 1.3 2 2.7H2.5ZM2.5 20.5h19'/>" },
	{ "dresses dress", "<path d='M9 2h6l-1 6 4.5 14h-13L10 8Z'/><path d='M10 8h4'/>" },
	{ "bags bag handbags", "<rect x='4' y='8' width='16' height='13' rx='2'/><path d='M8.5 8V6a3.5 3.5 0 0 1 7 0v2'/>" },
	{ "jewellery jewelry rings", "<circle cx='12' cy='15' r='6'/><path d='m9.5 6 2.5-3.5L14.5 6 12 9Z'/>" },
	{ "shirts shirt tops fashion clothing", "<path d='M8 3 3.5 6l2 4.5L8 9.5V21h8V9.5l2.5 1 2-4.5L16 3c-1 2-7 2-8 0Z'/>" },
	{ "fragrances fragrance perfume", "<rect x='6' y='9' width='12' height='13' rx='2.5'/><path d='M10 9V5.5h4V9M12 5.5V3h3'/>" },
	{ "skin care beauty personal cosmetics", "<rect x='7.5' y='9' width='9' height='13' rx='2'/><rect x='9.5' y='3' width='5' height='6' rx='1'/><path d='M10 15h4'/>" },
	{ "furniture sofa", "<path d='M4.5 11V7.5a2 2 0 0 1 2-2h11a2 2 0 0 1 2 2V11'/><rect x='2' y='11' width='20' height='6' rx='2'/><path d='M5 17v3M19 17v3'/>" },
	{ "kitchen cookware", "<path d='M4 9h12v5a5 5 0 0 1-5 5h-2a5 5 0 0 1-5-5Z'/><path d='M16 10.5h1.5a2.2 2.2 0 0 1 0 4.4H16M8 3v3M12 3v3'/>" },
	{ "groceries grocery food drink", "<path d='M12 7.5c-2-1.8-7-1.2-7 4.8 0 4.8 3 8.7 5 8.7 1 0 1.4-.5 2-.5s1 .5 2 .5c2 0 5-3.9 5-8.7 0-6-5-6.6-7-4.8Z'/>"
	  "<path d='M12 7.5c0-2 1-4 3-5'/>" },
	{ "home decoration lighting", "<path d='M8 3h8l3.5 8h-15Z'/><path d='M12 11v8M8 21h8'/>" },
	{ "motorcycle motorcycles", "<circle cx='5' cy='17' r='3'/><circle cx='19' cy='17' r='3'/><path d='m5 17 4-7h5l5 7M14 10l-2-4H9'/>" },
	{ "vehicle vehicles cars car", "<path d='M3 16.5V12l2.2-5h13.6L21 12v4.5Z'/><circle cx='7' cy='17' r='2'/><circle cx='17' cy='17' r='2'/><path d='M3 12h18'/>" },
	{ "sports outdoors ball", "<circle cx='12' cy='12' r='9'/><path d='M3 12h18M12 3a13 13 0 0 1 0 18M12 3a13 13 0 0 0 0 18'/>" },
	{ NULL, "<path d='M3 8a2 2 0 0 1 2-2h2.5L9 4h6l1.5 2H19a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2Z'/><circle cx='12' cy='13' r='3.5'/>" },
};

/* Whether a part of the slug (between dashes) is one of the words. */
static int ph_matches(const char *slug, const char *words)
{
	for (const char *p = slug; *p; ) {
		size_t n = strcspn(p, "-");

		for (const char *w = words; *w; ) {
			size_t m = strcspn(w, " ");

			if (m == n && !strncmp(w, p, n))
				return 1;
			w += m;
			w += *w == ' ';
		}
		p += n;
		p += *p == '-';
	}
	return 0;
}

/* GET /img/ph/{file}: the offline placeholder picture, "No photo yet" under
 * an icon of the product's category on a quiet grey (c-<slug>.svg), or of a
 * camera (the older form: up to two initials, which no longer show). */
enum err h_placeholder(struct ctx *c)
{
	const char *name = c->req->pathvar[0];
	size_t n = strlen(name), i;
	const struct ph_icon *icon = NULL;

	if (n < 5 || strcmp(name + n - 4, ".svg"))
		return E_NOTFOUND;
	n -= 4;
	if (n > 2 && !strncmp(name, "c-", 2)) {
		char slug[64];

		if (n - 2 >= sizeof(slug) || strspn(name + 2, "abcdefghijklmnopqrstuvwxyz0123456789-") != n - 2)
			return E_NOTFOUND;
		memcpy(slug, name + 2, n - 2);
		slug[n - 2] = '\0';
		for (i = 0; ph_icons[i].words && !icon; i++)
			if (ph_matches(slug, ph_icons[i].words))
				icon = &ph_icons[i];
	} else {
		if (n > 2)
			return E_NOTFOUND;
		for (i = 0; i < n; i++)
			if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9')))
				return E_NOTFOUND;
	}
	if (!icon)
		icon = &ph_icons[sizeof(ph_icons) / sizeof(ph_icons[0]) - 1];
	c->resp->content_type = "image/svg+xml";
	resp_header(c->resp, "Cache-Control: public, max-age=86400");
	buf_printf(&c->resp->body,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 200\" role=\"img\" aria-label=\"No photo yet\">"
		"<rect width=\"200\" height=\"200\" fill=\"#f1f3f5\"/>"
		"<g transform=\"translate(64 44) scale(3)\" fill=\"none\" stroke=\"#8c959f\" stroke-width=\"1.3\" "
		"stroke-linecap=\"round\" stroke-linejoin=\"round\">%s</g>"
		"<text x=\"100\" y=\"158\" text-anchor=\"middle\" font-family=\"system-ui,sans-serif\" "
		"font-size=\"15\" fill=\"#59636e\">No photo yet</text></svg>\n", icon->svg);
	return E_OK;
}

