/* The product read cache (see pcache.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "../core/log.h"
#include "../store/db.h"
#include "pcache.h"

#define SLOTS	65536		/* shared counters; products hash onto them */
#define ENTRIES	4096		/* cached rows per worker (a power of two) */
#define PROBES	8

struct shared {
	uint64_t gen;		/* bumped with every change: a query's token */
	uint64_t all;		/* bumped by pcache_bump_all */
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
static struct db_sql sql[3];

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
	db_register(sql, 3);	/* the jobs process's outbox reads */
}

int pcache_enabled(void)
{
	return sh != NULL;
}

static uint32_t slot_of(int64_t pid)
{
	return (uint32_t)((uint64_t)pid * 0x9E3779B97F4A7C15ULL >> 48) % SLOTS;
}

void pcache_bump(int64_t product_id)
{
	if (!sh)
		return;
	__atomic_add_fetch(&sh->ver[slot_of(product_id)], 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->gen, 1, __ATOMIC_SEQ_CST);
}

void pcache_bump_all(void)
{
	if (!sh)
		return;
	__atomic_add_fetch(&sh->all, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->gen, 1, __ATOMIC_SEQ_CST);
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

/* ---- following the outbox (the jobs process) ---- */

#define LATE_WINDOW 5000	/* ids below the cursor that may still appear */
#define SEEN_CAP 16384		/* a power of two, above LATE_WINDOW */

static struct db_sql sql[3] = {
	{ "SELECT COALESCE(MAX(id), 0) FROM outbox", 0 },
	{ "SELECT id, aggregate_id FROM outbox WHERE id > ? AND topic IN ('ProductUpdated', 'StockChanged') "
	  "ORDER BY id LIMIT 1000", 0 },
	/* Ids are handed out at insert and become visible at commit, so a
	 * lower id can appear after a higher one was read: the last seconds
	 * below the cursor are looked at again, and what is new there is
	 * bumped once (the seen set), not at every poll. */
	{ "SELECT id, aggregate_id FROM outbox WHERE id > ? AND id <= ? AND created_at > NOW(3) - INTERVAL 3 SECOND "
	  "AND topic IN ('ProductUpdated', 'StockChanged')", 0 },
};

static int64_t cursor = -1;
static int64_t seen[SEEN_CAP];	/* open addressing; 0 = empty */
static size_t nseen;

static int seen_add(int64_t id)	/* 1 when id is new */
{
	size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL >> 40) & (SEEN_CAP - 1);

	while (seen[i]) {
		if (seen[i] == id)
			return 0;
		i = (i + 1) & (SEEN_CAP - 1);
	}
	seen[i] = id;
	nseen++;
	return 1;
}

/* Keeps the ids the late query can still return. */
static void seen_prune(void)
{
	static int64_t keep[SEEN_CAP];
	size_t n = 0;

	for (size_t i = 0; i < SEEN_CAP; i++)
		if (seen[i] && seen[i] > cursor - LATE_WINDOW)
			keep[n++] = seen[i];
	memset(seen, 0, sizeof(seen));
	nseen = 0;
	for (size_t i = 0; i < n; i++)
		seen_add(keep[i]);
}

int pcache_follow_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *r = NULL, *late = NULL;

	(void)kv;
	if (!sh)
		return 0;
	if (cursor < 0) {
		/* Starting (or restarted): events may have been missed. */
		if (db_exec(db, a, &sql[0], &r, ""))
			return -1;
		cursor = db_int(r, 0, 0);
		pcache_bump_all();
		return 0;
	}
	if (db_exec(db, a, &sql[1], &r, "i", cursor) ||
	    db_exec(db, a, &sql[2], &late, "ii", cursor - LATE_WINDOW, cursor))
		return -1;
	for (size_t i = 0; i < late->nrows; i++)
		if (seen_add(db_int(late, i, 0)))
			pcache_bump(db_int(late, i, 1));
	for (size_t i = 0; i < r->nrows; i++) {
		if (nseen > SEEN_CAP * 3 / 4)
			seen_prune();
		seen_add(db_int(r, i, 0));
		pcache_bump(db_int(r, i, 1));
		cursor = db_int(r, i, 0);
	}
	if (nseen > SEEN_CAP * 3 / 4)
		seen_prune();
	return r->nrows == 1000 ? 1 : 0;	/* a full batch: more may be waiting */
}
