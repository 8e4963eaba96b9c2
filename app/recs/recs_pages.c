/* The recommendations on the shop's pages and in the JSON API (recs_pages.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../store/db.h"
#include "../account/session_store.h"
#include "../catalog/catalog.h"
#include "../catalog/pcache.h"
#include "recs.h"
#include "recs_pages.h"

#define SECTION 8	/* cards in a page's section */
#define LOW_STOCK 10	/* as the catalog's cards: "Only N left" at or below this */

/* The card the catalog's pages show (templates/partials/card.html); the
 * API adds why it is there. */
static json_t *card_json(struct ctx *c, const struct recs_card *k, int api)
{
	json_t *o = json_object();
	long r = (long)k->rating_x100;

	json_object_set_new(o, "id", json_integer(k->id));
	json_object_set_new(o, "title", json_string(k->title ? k->title : ""));
	json_object_set_new(o, "slug", json_string(k->slug ? k->slug : ""));
	json_object_set_new(o, "url", json_string(arena_printf(c->a, "/p/%s", k->slug ? k->slug : "")));
	json_object_set_new(o, "price", json_integer(k->price));
	json_object_set_new(o, "currency", json_string(k->currency ? k->currency : "USD"));
	json_object_set_new(o, "brand", k->brand ? json_string(k->brand) : json_null());
	json_object_set_new(o, "category", json_string(k->category ? k->category : ""));
	json_object_set_new(o, "stock", json_integer(k->stock));
	json_object_set_new(o, "stockStatus", json_string(k->stock <= 0 ? "out_of_stock" :
							   k->stock <= LOW_STOCK ? "low_stock" : "in_stock"));
	json_object_set_new(o, "stockLabel", json_string(k->stock <= 0 ? "Out of stock" : k->stock <= LOW_STOCK ?
							  arena_printf(c->a, "Only %lld left", (long long)k->stock) :
							  "In stock"));
	json_object_set_new(o, "rating", json_real(r / 100.0));
	json_object_set_new(o, "ratingText", json_string(arena_printf(c->a, "%ld.%ld", (r + 5) / 100,
									 ((r + 5) % 100) / 10)));
	json_object_set_new(o, "reviewCount", json_integer(k->reviews));
	json_object_set_new(o, "image", json_string(catalog_image_in(c->a, k->category, k->thumbnail)));
	if (api) {
		json_object_set_new(o, "reason", json_string(k->reason ? k->reason : ""));
		json_object_set_new(o, "score", json_real((double)(long long)(k->score * 10000 + 0.5) / 10000));
	}
	return o;
}

static json_t *cards_json(struct ctx *c, const struct recs_list *l, int api)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, card_json(c, &l->v[i], api));
	return a;
}

/* The visitor's recently-viewed list, when they have a session. */
static const char *viewer_of(struct ctx *c)
{
	if (!c->sess)
		return NULL;
	return recs_viewer(c->a, c->sess->uid, c->sess->key);
}

/* A section that fails is left out, never the page: it is a suggestion. */
static void note(const char *what, enum err e)
{
	if (e)
		log_warn("recs: %s left out: %s", what, err_str(e));
}

static void set_list(struct ctx *c, json_t *m, const char *name, const struct recs_list *l)
{
	if (l->n)
		json_object_set_new(m, name, cards_json(c, l, 0));
}

/* This worker's copies of the item lists (what others bought with a
 * product): the same for everyone, kept in a table of their own so that
 * they never push the catalog's listing pages out of its page cache. A copy
 * is good while no product has changed since it was made (the catalog's
 * pcache generation: every StockChanged and ProductUpdated moves it, and the
 * recs consumer bumps the products of each order it counts) and for at most
 * PCACHE_MAX_AGE seconds (a rebuild by shopctl). */
#define ITEM_SLOTS 1024
static struct item_copy {
	int64_t id;
	size_t k;
	int api;
	uint64_t gen;
	time_t at;
	json_t *arr;
} copies[ITEM_SLOTS];

static struct item_copy *slot_of(int64_t id, size_t k, int api)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL ^ (uint64_t)k * 31 ^ (uint64_t)api;

	return &copies[(h >> 20) % ITEM_SLOTS];
}

/* What others bought with product_id, k cards (api: with reason and score),
 * from this worker's copy when it is current. A new reference, or NULL on
 * an error (*err says which). */
static json_t *item_cards(struct ctx *c, int64_t product_id, size_t k, int api, enum err *err)
{
	struct item_copy *cp = slot_of(product_id, k, api);
	uint64_t token = pcache_begin();
	struct recs_list l;
	json_t *arr;

	*err = E_OK;
	if (pcache_enabled() && cp->arr && cp->id == product_id && cp->k == k && cp->api == api &&
	    cp->gen == token && time(NULL) - cp->at <= PCACHE_MAX_AGE)
		return json_incref(cp->arr);
	if ((*err = recs_for_item(c->db, c->a, product_id, k, &l)))
		return NULL;
	arr = cards_json(c, &l, api);
	/* Kept only when nothing changed while it was read. */
	if (arr && pcache_enabled() && pcache_begin() == token) {
		json_decref(cp->arr);
		*cp = (struct item_copy){ product_id, k, api, token, time(NULL), json_incref(arr) };
	}
	return arr;
}

void recs_product_sections(struct ctx *c, json_t *m, int64_t product_id)
{
	const char *viewer = viewer_of(c);
	struct recs_list l;
	json_t *also;
	enum err e;

	if ((also = item_cards(c, product_id, SECTION, 0, &e)) && json_array_size(also))
		json_object_set(m, "alsoBought", also);
	json_decref(also);
	note("also bought", e);
	if (!viewer)
		return;
	if ((e = recs_viewed(c->db, c->kv, c->a, viewer, product_id, SECTION, &l)) == E_OK)
		set_list(c, m, "recentlyViewed", &l);
	note("recently viewed", e);
	if (c->req->method == M_GET)
		note("recording a view", recs_viewed_add(c->kv, c->a, viewer, product_id));
}

void recs_cart_sections(struct ctx *c, json_t *m, const int64_t *product_ids, size_t n)
{
	const char *viewer = viewer_of(c);
	struct recs_list l;
	enum err e;

	if (n) {
		if ((e = recs_for_basket(c->db, c->a, product_ids, n, SECTION / 2, &l)) == E_OK)
			set_list(c, m, "boughtTogether", &l);
		note("bought together", e);
	}
	if (viewer) {
		if ((e = recs_viewed(c->db, c->kv, c->a, viewer, 0, SECTION, &l)) == E_OK)
			set_list(c, m, "recentlyViewed", &l);
		note("recently viewed", e);
	}
}

void recs_home_sections(struct ctx *c, json_t *m)
{
	const char *viewer = viewer_of(c);
	struct recs_list l, v;
	enum err e;

	if (!viewer)
		return;
	if (c->sess->uid > 0) {
		if ((e = recs_personal(c->db, c->kv, c->a, c->sess->uid, viewer, SECTION, SECTION, &v, &l)) == E_OK) {
			set_list(c, m, "forYou", &l);
			set_list(c, m, "recentlyViewed", &v);
		}
		note("recommended for you", e);
		return;
	}
	if ((e = recs_viewed(c->db, c->kv, c->a, viewer, 0, SECTION, &v)) == E_OK)
		set_list(c, m, "recentlyViewed", &v);
	note("recently viewed", e);
}

/* ---- the API ---- */

static void release_json(void *p)
{
	json_decref(p);
}

static enum err reply(struct ctx *c, json_t *o)
{
	if (!o)
		return E_NOMEM;
	c->resp->model = o;
	arena_on_reset(c->a, release_json, o);
	return E_OK;
}

static int parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || *s < '1' || *s > '9' || strlen(s) > 18)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* GET /api/items/{id}/recommendations: {"itemId", "items": [card...]}. */
enum err h_api_item_recs(struct ctx *c)
{
	struct db_res *p = NULL;
	json_t *items;
	int64_t id;
	enum err e;

	if (parse_id(c->req->pathvar[0], &id))
		return E_NOTFOUND;
	if ((e = catalog_product_by_id(c->db, c->a, id, &p)))
		return e;
	if (!p->nrows)
		return E_NOTFOUND;
	if (!(items = item_cards(c, id, (size_t)ctx_int(c, "limit", 10), 1, &e)))
		return e ? e : E_NOMEM;
	return reply(c, json_pack("{s:I, s:s, s:o}", "itemId", (json_int_t)id, "kind", "alsoBought", "items", items));
}

/* GET /api/recommendations: the visitor's "Recommended for you" and
 * recently viewed: {"items": [card...], "recentlyViewed": [card...]}. */
enum err h_api_recs(struct ctx *c)
{
	const char *viewer = viewer_of(c);
	size_t k = (size_t)ctx_int(c, "limit", 10);
	struct recs_list l, v;
	enum err e;

	if ((e = recs_personal(c->db, c->kv, c->a, c->sess ? c->sess->uid : 0, viewer, k, k, &v, &l)))
		return e;
	return reply(c, json_pack("{s:b, s:o, s:o}", "signedIn", c->sess && c->sess->uid > 0,
				  "items", cards_json(c, &l, 1), "recentlyViewed", cards_json(c, &v, 1)));
}
