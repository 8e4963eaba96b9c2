/* The product read cache: each worker keeps the product rows it has read
 * (the product page's single query), and a shared page of version counters
 * tells it when one is stale, so a cached product costs no round trip at
 * all. The counters live in memory the shopd master maps before it forks;
 * the jobs process bumps a product's counter when the outbox says the
 * product changed (ProductUpdated, StockChanged, and the questions' and
 * answers' events, since the product page shows them from here too), which
 * every writer of products, SKUs, stock, reviews and questions records in
 * its transaction.
 *
 * Entries also expire after PCACHE_MAX_AGE seconds, a bound for changes made
 * behind the shop's back (an operator's SQL). Without pcache_init() (shopctl,
 * tests, `shopd jobs` alone, SHOP_PAGE_CACHE=0) nothing is cached. */
#ifndef CATALOG_PCACHE_H
#define CATALOG_PCACHE_H

#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db_res;

#define PCACHE_MAX_AGE 60	/* seconds */

/* In the master, before forking: maps the shared counters. */
void pcache_init(void);
int pcache_enabled(void);

/* Writers' side (the jobs process): product_id changed; everything changed
 * (a jobs process starting may have missed events). */
void pcache_bump(int64_t product_id);
void pcache_bump_all(void);
/* issue 19: the category tree changed (CategoryChanged); its generation,
 * which the workers' category copies compare with (0 without the cache). */
void pcache_cats_bump(void);
uint64_t pcache_cats_gen(void);

/* Readers' side. A cached row for key ("s:<slug>", "i:<id>"), or NULL. The
 * result is owned by the cache and valid until the next pcache call of
 * this process. */
const struct db_res *pcache_get(const char *key);
/* Something the caller built from a cached row (e.g. the page's view
 * model), kept beside it and dropped with it through free_fn. NULL when
 * the key is not cached or nothing was set. */
void *pcache_user(const char *key);
void pcache_set_user(const char *key, void *user, void (*free_fn)(void *));

/* READ REPLICAS (issue 20): 1 when nothing was bumped for the last ms
 * milliseconds. A row or page read on a replica may miss a change committed
 * up to the replica's lag before the read; it is kept only when no change
 * landed in that window (db_replica_stale_ms), since the bump that dropped
 * the previous copy may be older than what the replica has applied. */
int pcache_quiet_for(int64_t ms);

/* Before the query: a token; after it, pcache_put stores a copy of r for
 * key (product id pid) unless something changed in between. */
uint64_t pcache_begin(void);
void pcache_put(const char *key, int64_t pid, const struct db_res *r, uint64_t token);

/* Whole view models of pages that depend on the URL only (listings, the
 * home page): valid while no product at all has changed since they were
 * built (and for at most PCACHE_MAX_AGE). get returns the stored object or
 * NULL; put takes ownership of user (freed through free_fn) unless a change
 * landed after token was taken, in which case it is freed at once. */
void *pcache_page_get(const char *key);
void pcache_page_put(const char *key, void *user, void (*free_fn)(void *), uint64_t token);

/* The event stream's "pcache" consumer (`shopd jobs`, catalog/module.c):
 * each ProductUpdated and StockChanged bumps its product; start bumps all,
 * for what went by while no one followed. */
struct db;
struct kv;
struct event;
enum err pcache_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
enum err pcache_follow_start(struct db *db, struct kv *kv, struct arena *a);

#endif
