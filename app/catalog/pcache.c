/* The product read cache (see pcache.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "../core/log.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../events/stream.h"
#include "pcache.h"

#define SLOTS	65536		/* shared counters; products hash onto them */
#define ENTRIES	4096		/* cached rows per worker (a power of two) */
#define PROBES	8

struct shared {
	uint64_t gen;		/* bumped with every change: a query's token */
	uint64_t all;		/* bumped by pcache_bump_all */
	uint64_t cats;		/* issue 19: bumped when a category changes */
	int64_t bumped_ms;	/* issue 20: CLOCK_MONOTONIC ms of the last bump (pcache_quiet_for) */
	uint32_t ver[SLOTS];
};

struct entry {
	void *block;		/* one allocation: cells, lens, key, strings */
	char *key;		/* NULL: empty */
	int64_t pid;
	uint32_t ver;
	uint64_t all;
	time_t at;
	void *user;
	void (*user_free)(void *);
	struct db_res res;	/* cells and lens point into the same block */
};

static struct shared *sh;
static struct entry *tab;

/* The page models: a smaller table, checked against the global count. */
#define PAGES 1024
struct page {
	char *key;
	void *user;
	void (*user_free)(void *);
	uint64_t gen;
	time_t at;
};
static struct page *pages;

void pcache_init(void)
{
	const char *off = getenv("SHOP_PAGE_CACHE");
	void *p;

	if (off && !strcmp(off, "0"))
		return;
	p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("pcache: no shared memory; product rows are not cached");
		return;
	}
	sh = p;
}

int pcache_enabled(void)
{
	return sh != NULL;
}

static uint32_t slot_of(int64_t pid)
{
	return (uint32_t)((uint64_t)pid * 0x9E3779B97F4A7C15ULL >> 48) % SLOTS;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pcache_quiet_for(int64_t ms)
{
	return sh && mono_ms() - __atomic_load_n(&sh->bumped_ms, __ATOMIC_SEQ_CST) >= ms;
}

void pcache_bump(int64_t product_id)
{
	if (!sh)
		return;
	__atomic_store_n(&sh->bumped_ms, mono_ms(), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->ver[slot_of(product_id)], 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->gen, 1, __ATOMIC_SEQ_CST);
}

void pcache_bump_all(void)
{
	if (!sh)
		return;
	__atomic_store_n(&sh->bumped_ms, mono_ms(), __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->all, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->gen, 1, __ATOMIC_SEQ_CST);
}

/* issue 19 (admin console): the category tree changed; workers reload
 * their copies (catalog's and search's) on their next look. */
void pcache_cats_bump(void)
{
	if (!sh)
		return;
	__atomic_add_fetch(&sh->cats, 1, __ATOMIC_SEQ_CST);
}

uint64_t pcache_cats_gen(void)
{
	return sh ? __atomic_load_n(&sh->cats, __ATOMIC_SEQ_CST) : 0;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void drop(struct entry *e)
{
	if (e->user && e->user_free)
		e->user_free(e->user);
	free(e->block);
	memset(e, 0, sizeof(*e));
}

const struct db_res *pcache_get(const char *key)
{
	uint64_t h;
	time_t now;

	if (!sh || !tab)
		return NULL;
	h = hash(key);
	now = time(NULL);
	for (int i = 0; i < PROBES; i++) {
		struct entry *e = &tab[(h + (uint64_t)i) & (ENTRIES - 1)];

		if (!e->key || strcmp(e->key, key))
			continue;
		if (e->all != __atomic_load_n(&sh->all, __ATOMIC_SEQ_CST) ||
		    e->ver != __atomic_load_n(&sh->ver[slot_of(e->pid)], __ATOMIC_SEQ_CST) ||
		    now - e->at > PCACHE_MAX_AGE) {
			drop(e);
			return NULL;
		}
		return &e->res;
	}
	return NULL;
}

static struct entry *find(const char *key)
{
	uint64_t h;

	if (!tab)
		return NULL;
	h = hash(key);
	for (int i = 0; i < PROBES; i++) {
		struct entry *e = &tab[(h + (uint64_t)i) & (ENTRIES - 1)];

		if (e->key && !strcmp(e->key, key))
			return e;
	}
	return NULL;
}

void *pcache_user(const char *key)
{
	struct entry *e = find(key);

	return e ? e->user : NULL;
}

void pcache_set_user(const char *key, void *user, void (*free_fn)(void *))
{
	struct entry *e = find(key);

	if (!e) {
		if (user && free_fn)
			free_fn(user);
		return;
	}
	if (e->user && e->user_free)
		e->user_free(e->user);
	e->user = user;
	e->user_free = free_fn;
}

uint64_t pcache_begin(void)
{
	return sh ? __atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST) : 0;
}

void pcache_put(const char *key, int64_t pid, const struct db_res *r, uint64_t token)
{
	size_t ncells, klen, bytes;
	struct entry *e = NULL;
	uint64_t h;
	char *block, *p;

	if (!sh || r->nrows != 1)
		return;
	/* A change landed while we were reading: what we read may be older
	 * than it, so it is not kept. */
	if (__atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST) != token)
		return;
	if (!tab && !(tab = calloc(ENTRIES, sizeof(*tab))))
		return;
	ncells = r->nrows * r->ncols;
	klen = strlen(key) + 1;
	bytes = klen + ncells * (sizeof(char *) + sizeof(unsigned long));
	for (size_t i = 0; i < ncells; i++)
		bytes += r->cells[i] ? r->lens[i] + 1 : 0;
	bytes += 16;
	if (!(block = malloc(bytes)))
		return;
	h = hash(key);
	for (int i = 0; i < PROBES && !e; i++) {
		struct entry *c = &tab[(h + (uint64_t)i) & (ENTRIES - 1)];

		if (!c->key || !strcmp(c->key, key))
			e = c;
	}
	if (!e)
		e = &tab[h & (ENTRIES - 1)];	/* full here: replace the first */
	if (e->key)
		drop(e);
	/* Layout: cells[], lens[], key, cell strings. */
	e->res.cells = (char **)(void *)block;
	e->res.lens = (unsigned long *)(void *)(block + ncells * sizeof(char *));
	p = block + ncells * (sizeof(char *) + sizeof(unsigned long));
	memcpy(p, key, klen);
	e->block = block;
	e->key = p;
	p += klen;
	for (size_t i = 0; i < ncells; i++) {
		e->res.lens[i] = r->lens[i];
		if (!r->cells[i]) {
			e->res.cells[i] = NULL;
			continue;
		}
		memcpy(p, r->cells[i], r->lens[i]);
		p[r->lens[i]] = '\0';
		e->res.cells[i] = p;
		p += r->lens[i] + 1;
	}
	e->res.nrows = r->nrows;
	e->res.ncols = r->ncols;
	e->pid = pid;
	e->ver = __atomic_load_n(&sh->ver[slot_of(pid)], __ATOMIC_SEQ_CST);
	e->all = __atomic_load_n(&sh->all, __ATOMIC_SEQ_CST);
	e->at = time(NULL);
}

static void page_drop(struct page *pg)
{
	if (pg->user && pg->user_free)
		pg->user_free(pg->user);
	free(pg->key);
	memset(pg, 0, sizeof(*pg));
}

void *pcache_page_get(const char *key)
{
	uint64_t h;

	if (!sh || !pages)
		return NULL;
	h = hash(key);
	for (int i = 0; i < PROBES; i++) {
		struct page *pg = &pages[(h + (uint64_t)i) & (PAGES - 1)];

		if (!pg->key || strcmp(pg->key, key))
			continue;
		if (pg->gen != __atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST) || time(NULL) - pg->at > PCACHE_MAX_AGE) {
			page_drop(pg);
			return NULL;
		}
		return pg->user;
	}
	return NULL;
}

void pcache_page_put(const char *key, void *user, void (*free_fn)(void *), uint64_t token)
{
	struct page *pg = NULL;
	uint64_t h;

	if (!sh || __atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST) != token ||
	    (!pages && !(pages = calloc(PAGES, sizeof(*pages))))) {
		if (user && free_fn)
			free_fn(user);
		return;
	}
	h = hash(key);
	for (int i = 0; i < PROBES && !pg; i++) {
		struct page *c = &pages[(h + (uint64_t)i) & (PAGES - 1)];

		if (!c->key || !strcmp(c->key, key))
			pg = c;
	}
	if (!pg)
		pg = &pages[h & (PAGES - 1)];
	if (pg->key)
		page_drop(pg);
	if (!(pg->key = strdup(key))) {
		if (user && free_fn)
			free_fn(user);
		return;
	}
	pg->user = user;
	pg->user_free = free_fn;
	pg->gen = token;
	pg->at = time(NULL);
}

/* ---- the stream's "pcache" consumer (the jobs process) ---- */

enum err pcache_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	(void)db;
	(void)kv;
	(void)a;
	if (ev->type == EV_CATEGORY_CHANGED) {
		/* issue 19: the tree is in every page's navigation */
		pcache_cats_bump();
		pcache_bump_all();
		return E_OK;
	}
	pcache_bump(ev->aggregate);	/* every other topic it follows names the product */
	return E_OK;
}

enum err pcache_follow_start(struct db *db, struct kv *kv, struct arena *a)
{
	(void)db;
	(void)kv;
	(void)a;
	/* While no one followed (a first start, a jobs process started after
	 * the workers), changes may have gone by unseen. */
	pcache_bump_all();
	return E_OK;
}
