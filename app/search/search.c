/* Search over SphinxQL (Sphinx 2.2 real-time indexes; Manticore Search speaks
 * the same protocol, so a deployment can move to it without code changes).
 *
 * Indexes (conf/sphinx.conf; the products' columns are declared in schema.c):
 *   products_a, products_b  two copies of the product index. One is active
 *                           (search_meta), the other is where `shopctl
 *                           reindex` builds a new one before switching, so a
 *                           rebuild never takes search down. The indexer job
 *                           writes every change to both.
 *   suggest                 keywords of the catalog with their document
 *                           frequency, searchable by trigrams, and each
 *                           with its best-selling products: the typo
 *                           corrector, and autocomplete's completions and
 *                           products. The indexer adds new words.
 *   search_meta             one document: which copy is active and how far
 *                           the indexer has read the outbox.
 *
 * SphinxQL has no prepared statements, so queries are text: words reach
 * MATCH() only as runs of letters and digits, escaped the Sphinx way as well,
 * inside a quoted literal; other strings are quoted; numbers are formatted
 * from int64 only. MariaDB is read through the prepared statements below.
 *
 * Relevance (the "relevance" sort), documented in README.md:
 *   score = text + 200 * ln(1 + sales) + 2 * rating_x100 + (stock > 0 ? 500 : 0)
 *   text  = 1000 * sum over fields of (4 * lcs + 2 * [first word matched
 *           first] + 100 * [exact field match]) * field weight + bm25
 * with field weights title 10, skus 8, brand 5, category 3, description 1.
 * One matched title word is worth 40,000, more than every business signal
 * together (at most about 3,900), so the signals order equally good text
 * matches and an exact title or SKU code match always comes first. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mysql.h>
#include <errmsg.h>
#include <sodium.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../catalog/catalog.h"
#include "../catalog/pcache.h"	/* issue 19: the category tree's generation */
#include "../inventory/inventory.h"
#include "schema.h"
#include "../events/stream.h"
#include "search.h"

#define MAX_MATCHES SEARCH_MAX_MATCHES
#define BATCH 500		/* rows per REPLACE when (re)indexing */
#define META_TTL 1		/* seconds a process trusts its idea of the active index */
#define CAT_TTL 5
#define SNIPPET_BYTES 600	/* description kept in the index for snippets */
#define MARK_ON SEARCH_MARK_ON
#define MARK_OFF SEARCH_MARK_OFF
#define SORT_COUNT SEARCH_SORT_COUNT

const char *const search_sort_names[SORT_COUNT] = {
	"relevance", "price_asc", "price_desc", "rating", "newest", "bestselling"
};
static const char *const sort_sql[SORT_COUNT] = {
	"score DESC, id DESC", "price ASC, id ASC", "price DESC, id DESC",
	"rating DESC, id DESC", "created DESC, id DESC", "sales DESC, id DESC"
};

/* Price ranges of the facet, in cents: [0, 25), [25, 50), ... */
static const int64_t price_edges[] = { 2500, 5000, 10000, 25000, 50000, 100000 };
#define NEDGES (sizeof(price_edges) / sizeof(price_edges[0]))
_Static_assert(NEDGES + 1 == SEARCH_PRICE_RANGES, "search.h's SEARCH_PRICE_RANGES follows price_edges");

/* ---- MariaDB statements ---- */

/* One product as the index holds it: SEARCH_DOC_COLS and the D_* indexes
 * are in schema.h, beside the index's columns. */
#define DOC_COLS SEARCH_DOC_COLS
/* STRAIGHT_JOIN: products drive the plan by primary key. Left to itself the
 * optimizer started from the 31 categories and sorted every product (0.76 s
 * per batch of 500 on 200k products, against 12 ms this way). */
#define DOC_FROM " FROM products p STRAIGHT_JOIN categories c ON c.id = p.category_id " \
	"LEFT JOIN categories pc ON pc.id = c.parent_id "

/* The fallback: a plain MariaDB query (title or brand LIKE the words in
 * order), the same filters, no facets. */
#define FB_SELECT "SELECT p.id, p.title, p.slug, COALESCE(p.brand, ''), c.slug, p.currency, " \
	"COALESCE(JSON_VALUE(p.sku_digest, '$[0][0]'), ''), p.price, p.rating_x100, " \
	"p.review_count, GREATEST(p.stock_total, 0), LEFT(p.description, 160) "
#define FB_WHERE "FROM products p JOIN categories c ON c.id = p.category_id " \
	"WHERE p.status = 'active' AND (p.title LIKE ? OR p.brand LIKE ?) " \
	"AND (? = 0 OR c.id = ? OR c.parent_id = ?) AND (? IS NULL OR p.brand = ?) " \
	"AND p.price BETWEEN ? AND ? AND p.rating_x100 >= ? AND p.stock_total >= ? "
#define FB_PAGE " LIMIT ? OFFSET ?"

enum {
	Q_CATS, Q_DOCS_AFTER, Q_DOCS_IDS, Q_ACTIVE_COUNT, Q_RECON,
	Q_FB_COUNT, Q_FB_RELEVANCE, Q_FB_PRICE_ASC, Q_FB_PRICE_DESC, Q_FB_RATING, Q_FB_NEWEST,
	Q_FB_BESTSELLING, Q_GEN_CATS, Q_GEN_SELLER, Q_SUGGEST_PRODUCTS, Q_PHOTOS, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_CATS] = { "SELECT id, COALESCE(parent_id, 0), slug, name FROM categories "
		     "ORDER BY position, name", 0 },
	[Q_DOCS_AFTER] = { "SELECT " DOC_COLS DOC_FROM "WHERE p.status = 'active' AND p.id > ? "
			   "ORDER BY p.id LIMIT ?", 0 },
	[Q_DOCS_IDS] = { "SELECT " DOC_COLS DOC_FROM "WHERE p.status = 'active' AND p.id IN "
			 "(SELECT j.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j)", 0 },
	[Q_ACTIVE_COUNT] = { "SELECT COUNT(*) FROM products WHERE status = 'active'", 0 },
	[Q_RECON] = { "SELECT p.id, p.price, GREATEST(p.stock_total, 0), p.rating_x100, "
		      "FLOOR(UNIX_TIMESTAMP(p.updated_at) * 1000) FROM products p "
		      "WHERE p.status = 'active' AND p.id > ? ORDER BY p.id LIMIT ?", 0 },
	[Q_FB_COUNT] = { "SELECT COUNT(*) " FB_WHERE, 0 },
	[Q_FB_RELEVANCE] = { FB_SELECT FB_WHERE "ORDER BY p.rank_score DESC, p.id DESC" FB_PAGE, 0 },
	[Q_FB_PRICE_ASC] = { FB_SELECT FB_WHERE "ORDER BY p.price, p.id" FB_PAGE, 0 },
	[Q_FB_PRICE_DESC] = { FB_SELECT FB_WHERE "ORDER BY p.price DESC, p.id DESC" FB_PAGE, 0 },
	[Q_FB_RATING] = { FB_SELECT FB_WHERE "ORDER BY p.rating_x100 DESC, p.id DESC" FB_PAGE, 0 },
	[Q_FB_NEWEST] = { FB_SELECT FB_WHERE "ORDER BY p.created_at DESC, p.id DESC" FB_PAGE, 0 },
	[Q_FB_BESTSELLING] = { FB_SELECT FB_WHERE "ORDER BY p.sales_count DESC, p.id DESC" FB_PAGE, 0 },
	[Q_GEN_CATS] = { "SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY id", 0 },
	[Q_GEN_SELLER] = { "SELECT MIN(id) FROM sellers", 0 },
	/* Autocomplete: the products the completions index names, by
	 * primary key, so their titles and prices are MariaDB's own. */
	/* Sellers' photos of a page of results: the index does not carry
	 * them, and a change of photo should not need a reindex. */
	[Q_PHOTOS] = { "SELECT p.id, p.thumbnail FROM products p WHERE p.thumbnail LIKE '/media/%' "
		       "AND p.id IN (SELECT j.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED "
		       "PATH '$')) j)", 0 },
	[Q_SUGGEST_PRODUCTS] = { "SELECT p.id, p.title, p.slug, p.price, p.thumbnail FROM products p WHERE p.status = 'active' "
				 "AND p.id IN (SELECT j.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED "
				 "PATH '$')) j)", 0 },
};

/* Every column of the products index the statements of this file name,
 * with its kind: the page's SELECT (run_sphinx's cols), the snippet and the
 * score, the sorts, the filters and facets, the reconciler's SELECT and
 * the ranking's fields. search_init checks them against schema.c. */
static const struct search_use uses[] = {
	{ "title_s", SK_STRING }, { "slug_s", SK_STRING }, { "brand_s", SK_STRING },
	{ "cat_s", SK_STRING }, { "cur_s", SK_STRING }, { "sku_s", SK_STRING },
	{ "desc_s", SK_STRING }, { "price", SK_BIGINT }, { "rating", SK_UINT },
	{ "reviews", SK_UINT }, { "stock", SK_UINT }, { "sales", SK_UINT },
	{ "created", SK_TIMESTAMP }, { "updated", SK_BIGINT }, { "cats", SK_MULTI },
	{ "brand_id", SK_UINT }, { "fkey", SK_UINT },
	{ "title", SK_FIELD }, { "brand", SK_FIELD }, { "category", SK_FIELD },
	{ "description", SK_FIELD }, { "skus", SK_FIELD },
	{ NULL, 0 }
};

/* "REPLACE INTO %s (id, <the columns>) VALUES ", made by search_init. */
static char doc_insert[1024];

/* ---- synonyms (data/search/synonyms.txt), applied to the query ----
 *
 * A query word with synonyms becomes "(word | synonym ...)" inside MATCH(),
 * so searchd stems every alternative as it stemmed the documents: "phone"
 * finds the smartphones and "television" the TV. (Sphinx wordforms did this
 * in the index, but a wordform's target is never stemmed, so "phone >
 * smartphone" matched the unstemmed token "smartphone" that no document
 * has.) Words are compared without a plural "s", so "phones" finds what
 * "phone" finds. */
#define SYN_MAX 512
#define SYN_ALTS 4
static struct syn {
	char from[SEARCH_MAX_WORD + 1], to[SEARCH_MAX_WORD + 1];
} syns[SYN_MAX];
static size_t nsyns;

/* The word as synonyms compare it: without a plural "s" (not "ss"). */
static void syn_key(const char *w, char *out)
{
	size_t n = strlen(w);

	if (n > SEARCH_MAX_WORD)
		n = SEARCH_MAX_WORD;
	memcpy(out, w, n);
	out[n] = '\0';
	if (n > 3 && out[n - 1] == 's' && out[n - 2] != 's')
		out[n - 1] = '\0';
}

static void syn_add(const char *from, const char *to)
{
	char a[SEARCH_MAX_WORD + 1], b[SEARCH_MAX_WORD + 1];

	syn_key(from, a);
	syn_key(to, b);
	if (!strcmp(a, b) || nsyns >= SYN_MAX)
		return;
	for (size_t i = 0; i < nsyns; i++)
		if (!strcmp(syns[i].from, a) && !strcmp(syns[i].to, to))
			return;
	snprintf(syns[nsyns].from, sizeof(syns[nsyns].from), "%s", a);
	snprintf(syns[nsyns].to, sizeof(syns[nsyns].to), "%s", to);
	nsyns++;
}

size_t search_synonyms_load(const char *text)
{
	nsyns = 0;
	while (text && *text) {
		size_t len = strcspn(text, "\n");
		char line[512], store[512 + SEARCH_MAX_WORDS];
		char *words[SEARCH_MAX_WORDS];
		const char *op;
		size_t nl, nr;

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1), text);
		text += len + (text[len] == '\n');
		if (line[strspn(line, " \t")] == '#')
			continue;
		/* "a > b c": a finds b and c too; "a = b = c": each finds the others. */
		if ((op = strchr(line, '>'))) {
			char *right[SEARCH_MAX_WORDS], rstore[512 + SEARCH_MAX_WORDS];

			nl = search_words(line, (size_t)(op - line), store, words);
			nr = search_words(op + 1, strlen(op + 1), rstore, right);
			for (size_t i = 0; i < nl; i++)
				for (size_t k = 0; k < nr; k++)
					syn_add(words[i], right[k]);
		} else if (strchr(line, '=')) {
			nl = search_words(line, strlen(line), store, words);
			for (size_t i = 0; i < nl; i++)
				for (size_t k = 0; k < nl; k++)
					if (i != k)
						syn_add(words[i], words[k]);
		}
	}
	return nsyns;
}

size_t search_synonyms(const char *word, const char **out, size_t max)
{
	char k[SEARCH_MAX_WORD + 1];
	size_t n = 0;

	syn_key(word, k);
	for (size_t i = 0; i < nsyns && n < max; i++)
		if (!strcmp(syns[i].from, k))
			out[n++] = syns[i].to;
	return n;
}

static void synonyms_read(void)
{
	char path[4096];
	FILE *f;
	struct buf b;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/data/search/synonyms.txt", config.root ? config.root : ".");
	if (!(f = fopen(path, "r"))) {
		log_warn("search: no synonyms (%s: %s)", path, strerror(errno));
		return;
	}
	buf_init(&b, NULL, 4096);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	if (!b.oom && b.p)
		search_synonyms_load(b.p);
	buf_free(&b);
}

/* ---- configuration and the SphinxQL connection ---- */

static struct {
	const char *host;
	unsigned port;
} scfg;

/* ---- several searchd nodes (issue 20; docs/scaling.md "Search") ----
 *
 * SHOP_SEARCH_NODES names the agents holding the product index's parts,
 * "," between parts and "|" between a part's mirrors, each host:port of its
 * SphinxQL listener ("10.0.0.1:9306|10.0.0.2:9306,10.0.0.3:9306|...").
 * Searches still go to SHOP_SEARCH_HOST:PORT, the head, where products_a and
 * products_b are distributed indexes naming those agents (searchd merges
 * the parts and picks a live mirror of each); suggest and search_meta live
 * on the head. searchd does not take writes into a distributed index, so
 * every product write goes from here to the nodes: a document to both
 * mirrors of its part (id % parts), idempotently (REPLACE), a delete to
 * every node. The indexer and the reconciler count a write done when one
 * mirror of each part took it (the other, being down, is caught up by the
 * reconciler, which compares every node with MariaDB); a reindex wants
 * every node. Unset: one searchd, every statement on the one connection,
 * exactly as before. */
#define NODE_PARTS 8
#define NODE_MIRRORS 4

struct sconn {
	char host[256];
	unsigned port;
	MYSQL *my;
	time_t down_until;	/* not tried again before (1 s after a failure) */
	int down;		/* the last attempt failed (logged once) */
};

/* With nodes: the facets of the page's query are statements of their own,
 * not FACET clauses (search_build_sql). */
static int facets_apart;

static struct {
	int nparts;		/* 0: no nodes (one searchd) */
	int nmirrors[NODE_PARTS];
	struct sconn n[NODE_PARTS][NODE_MIRRORS];
} nodes;

int search_nodes_mirrors(int part)
{
	return part >= 0 && part < nodes.nparts ? nodes.nmirrors[part] : 0;
}

int search_nodes_parse(const char *v)
{
	int part = 0, mirror = 0;

	memset(&nodes, 0, sizeof(nodes));
	if (!v || !*v)
		return 0;
	if (strchr(",|", v[strlen(v) - 1]))
		goto bad;	/* a trailing "," or "|" */
	while (*v) {
		size_t len = strcspn(v, ",|");
		const char *colon = memchr(v, ':', len);
		struct sconn *c;
		int64_t port;
		char num[16];

		if (!colon || colon == v || (size_t)(colon - v) >= sizeof(c->host) || part >= NODE_PARTS ||
		    mirror >= NODE_MIRRORS || (size_t)(v + len - colon - 1) >= sizeof(num))
			goto bad;
		snprintf(num, sizeof(num), "%.*s", (int)(v + len - colon - 1), colon + 1);
		if (text_int64(num, 1, 65535, &port))
			goto bad;
		c = &nodes.n[part][mirror];
		snprintf(c->host, sizeof(c->host), "%.*s", (int)(colon - v), v);
		c->port = (unsigned)port;
		nodes.nmirrors[part] = ++mirror;
		v += len;
		if (*v == ',') {
			part++;
			mirror = 0;
		}
		if (*v)
			v++;
	}
	nodes.nparts = part + 1;
	return nodes.nparts;
bad:
	memset(&nodes, 0, sizeof(nodes));
	return -1;
}

void search_init(void)
{
	const char *h = getenv("SHOP_SEARCH_HOST"), *p = getenv("SHOP_SEARCH_PORT");
	const char *nv = getenv("SHOP_SEARCH_NODES");
	int64_t port = 9306;

	const char *bad = NULL;
	struct buf b;

	db_register(sql, Q_COUNT);
	/* The statements below name the index's columns in their text:
	 * every one of them must be in the table (schema.c), of its kind. */
	if (search_schema_check(uses, &bad)) {
		log_err("search: the products index has no column %s of the kind the queries need (app/search/schema.c)",
			bad);
		abort();	/* at start only: a programming error */
	}
	buf_init(&b, NULL, sizeof(doc_insert));
	buf_puts(&b, "REPLACE INTO %s (id");
	for (size_t i = 0; i < search_ncolumns; i++)
		buf_printf(&b, ", %s", search_columns[i].name);
	buf_puts(&b, ") VALUES ");
	if (b.oom || b.len >= sizeof(doc_insert))
		abort();	/* at start only */
	memcpy(doc_insert, b.p, b.len + 1);
	buf_free(&b);
	scfg.host = h && *h ? h : "127.0.0.1";
	if (p && *p && text_int64(p, 1, 65535, &port))
		log_warn("search: SHOP_SEARCH_PORT=%s is not a port; using 9306", p);
	scfg.port = (unsigned)port;
	if (search_nodes_parse(nv) > 0)
		facets_apart = 1;
	else if (nv && *nv)
		log_warn("search: SHOP_SEARCH_NODES=%s is not host:port|host:port,...; writing to the one searchd", nv);
	synonyms_read();
}

/* One connection per process, made on first use (after fork). down_until
 * keeps a process from trying to connect on every request while searchd is
 * away: it tries again once a second. */
static struct {
	MYSQL *my;
	time_t down_until;
	int active;		/* 0 = products_a, 1 = products_b */
	time_t meta_at;
	int partial;		/* with nodes: an answer lacked a part (searchd's
				 * warning: the head met a dead mirror) */
} sx;

static void sx_close(void)
{
	if (sx.my)
		mysql_close(sx.my);
	sx.my = NULL;
	sx.meta_at = 0;
}

/* A new SphinxQL connection (1 s to connect, 5 s to read or write), NULL
 * when searchd cannot be reached. */
static MYSQL *sx_open_at(const char *host, unsigned port, unsigned long flags)
{
	unsigned timeout = 1, rw = 5;
	MYSQL *my = mysql_init(NULL);

	if (!my)
		return NULL;
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &rw);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &rw);
	if (!mysql_real_connect(my, host, "", "", NULL, port, NULL, flags)) {
		mysql_close(my);
		return NULL;
	}
	return my;
}

static MYSQL *sx_open(unsigned long flags)
{
	return sx_open_at(scfg.host, scfg.port, flags);
}

static enum err sx_connect(void)
{
	time_t now = time(NULL);

	if (sx.my)
		return E_OK;
	if (now < sx.down_until)
		return E_UNAVAIL;
	if (!(sx.my = sx_open(CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS))) {
		sx_close();
		sx.down_until = now + 1;
		return E_UNAVAIL;
	}
	return E_OK;
}

static void free_result(void *p)
{
	mysql_free_result(p);
}

/* Drains any result sets a failed batch left behind, so the connection can
 * take the next statement. */
static void sx_drain(void)
{
	MYSQL_RES *r;

	if (!sx.my)
		return;
	while (mysql_next_result(sx.my) == 0)
		if ((r = mysql_store_result(sx.my)))
			mysql_free_result(r);
}

/* Sends one statement (or batch); reconnects and retries once when the
 * connection was lost (searchd restarted). E_UNAVAIL when searchd cannot be
 * reached, E_DB when it refused the statement. */
static enum err sx_query(const char *q, size_t n)
{
	enum err e;

	for (int attempt = 0; attempt < 2; attempt++) {
		unsigned no;

		if ((e = sx_connect()))
			return e;
		if (!mysql_real_query(sx.my, q, (unsigned long)n))
			return E_OK;
		no = mysql_errno(sx.my);
		if (no != CR_SERVER_GONE_ERROR && no != CR_SERVER_LOST && no != CR_CONNECTION_ERROR) {
			log_warn("search: %s (%.200s)", mysql_error(sx.my), q);
			sx_drain();
			return E_DB;
		}
		sx_close();
	}
	sx.down_until = time(NULL) + 1;
	return E_UNAVAIL;
}

/* Runs a statement that returns no rows. */
static enum err sx_exec(const char *q, size_t n)
{
	MYSQL_RES *r;
	enum err e = sx_query(q, n);

	if (e)
		return e;
	if ((r = mysql_store_result(sx.my)))
		mysql_free_result(r);
	sx_drain();
	return E_OK;
}

/* ---- the nodes' connections (SHOP_SEARCH_NODES), for writes ---- */

static void node_close(struct sconn *c)
{
	if (c->my)
		mysql_close(c->my);
	c->my = NULL;
}

/* Runs q (one statement) on node c; with res, its first result set is put
 * there (the caller frees it). Reconnects and retries once when the
 * connection was lost (the node restarted). E_UNAVAIL when the node cannot
 * be reached (then not tried for a second, so a dead node costs a batch
 * nothing), E_DB when it refused q. */
static enum err node_run(struct sconn *c, const char *q, size_t n, MYSQL_RES **res)
{
	time_t now = time(NULL);
	MYSQL_RES *r;

	if (res)
		*res = NULL;
	if (now < c->down_until)
		return E_UNAVAIL;
	for (int attempt = 0; attempt < 2; attempt++) {
		unsigned no;

		if (!c->my && !(c->my = sx_open_at(c->host, c->port, CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)))
			break;
		if (!mysql_real_query(c->my, q, (unsigned long)n)) {
			r = mysql_store_result(c->my);
			if (res)
				*res = r;
			else if (r)
				mysql_free_result(r);
			while (mysql_next_result(c->my) == 0)
				if ((r = mysql_store_result(c->my)))
					mysql_free_result(r);
			if (c->down) {
				c->down = 0;
				log_info("search: node %s:%u answers again", c->host, c->port);
			}
			return E_OK;
		}
		no = mysql_errno(c->my);
		if (no != CR_SERVER_GONE_ERROR && no != CR_SERVER_LOST && no != CR_CONNECTION_ERROR) {
			log_warn("search: node %s:%u: %s (%.200s)", c->host, c->port, mysql_error(c->my), q);
			while (mysql_next_result(c->my) == 0)
				if ((r = mysql_store_result(c->my)))
					mysql_free_result(r);
			return E_DB;
		}
		node_close(c);
	}
	c->down_until = now + 1;
	if (!c->down) {
		c->down = 1;
		log_warn("search: node %s:%u is down: its part's other mirror takes the writes; "
			 "the reconciler catches it up when it is back", c->host, c->port);
	}
	return E_UNAVAIL;
}

/* A statement without rows on node c, or on the one searchd (c NULL). */
static enum err cx_exec(struct sconn *c, const char *q, size_t n)
{
	return c ? node_run(c, q, n, NULL) : sx_exec(q, n);
}

/* The next result set of the current batch, registered with the arena (or
 * freed by the caller when a is NULL). NULL when there is none. */
static MYSQL_RES *sx_result(struct arena *a, int first)
{
	MYSQL_RES *r;

	if (!first && mysql_next_result(sx.my) != 0)
		return NULL;
	if (!(r = mysql_store_result(sx.my)))
		return NULL;
	if (nodes.nparts && mysql_warning_count(sx.my))
		sx.partial = 1;
	if (a && arena_on_reset(a, free_result, r))
		return NULL;
	return r;
}

/* The first result set of q on node c, or on the one searchd (c NULL);
 * the caller frees it. */
static enum err cx_select(struct sconn *c, const char *q, size_t n, MYSQL_RES **res)
{
	enum err e;

	if (c)
		return (e = node_run(c, q, n, res)) ? e : *res ? E_OK : E_DB;
	if ((e = sx_query(q, n)))
		return e;
	*res = sx_result(NULL, 1);
	sx_drain();
	return *res ? E_OK : E_DB;
}

static int col_of(MYSQL_RES *r, const char *name)
{
	unsigned n = mysql_num_fields(r);
	MYSQL_FIELD *f = mysql_fetch_fields(r);

	for (unsigned i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return (int)i;
	return -1;
}

static int64_t num(const char *s)
{
	int64_t v = 0;

	if (s)
		text_int64(s, INT64_MIN, INT64_MAX, &v);
	return v;
}

static const char *const index_names[2] = { "products_a", "products_b" };

/* Reads search_meta (active copy, outbox position). */
static enum err meta_read(int *active, int64_t *outbox)
{
	static const char q[] = "SELECT active, outbox FROM search_meta WHERE id = 1";
	MYSQL_RES *r;
	MYSQL_ROW row;
	enum err e;

	if ((e = sx_query(q, sizeof(q) - 1)))
		return e;
	*active = 0;
	*outbox = -1;	/* never written: the indexer starts from a reindex */
	if ((r = sx_result(NULL, 1))) {
		if ((row = mysql_fetch_row(r))) {
			*active = num(row[0]) == 1;
			*outbox = num(row[1]);
		}
		mysql_free_result(r);
	}
	sx_drain();
	return E_OK;
}

static enum err meta_write(int active, int64_t outbox)
{
	char q[128];
	int n = snprintf(q, sizeof(q), "REPLACE INTO search_meta (id, active, outbox) VALUES (1, %d, %lld)",
			 active, (long long)outbox);

	return sx_exec(q, (size_t)n);
}

/* The index searches go to, known for META_TTL seconds. */
static enum err active_index(const char **name)
{
	time_t now = time(NULL);
	int64_t ob;
	enum err e;

	if (!sx.my || now - sx.meta_at >= META_TTL) {
		if ((e = meta_read(&sx.active, &ob)))
			return e;
		sx.meta_at = now;
	}
	*name = index_names[sx.active];
	return E_OK;
}

/* ---- pure helpers ---- */

size_t search_words(const char *s, size_t n, char *store, char **words)
{
	size_t nw = 0, i = 0, o = 0;

	while (i < n && nw < SEARCH_MAX_WORDS) {
		size_t len = 0;

		while (i < n && !(isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80))
			i++;
		if (i >= n)
			break;
		words[nw] = store + o;
		while (i < n && (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)) {
			/* A word is cut at the limit, never inside a UTF-8 sequence. */
			if (len < SEARCH_MAX_WORD || ((unsigned char)s[i] & 0xC0) == 0x80) {
				if (len < SEARCH_MAX_WORD + 4) {
					store[o++] = (char)tolower((unsigned char)s[i]);
					len++;
				}
			}
			i++;
		}
		store[o++] = '\0';
		nw++;
	}
	return nw;
}

void search_escape_match(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\()|-!@~\"&/^$=<*", s[i]) && s[i])
			buf_putc(b, '\\');
		buf_putc(b, s[i]);
	}
}

void search_quote(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\'' || ch == '\\')
			buf_putc(b, '\\');
		buf_putc(b, ch < 0x20 || ch == 0x7f ? ' ' : (char)ch);
	}
	buf_putc(b, '\'');
}

/* Whether a brand filter also goes into MATCH() (see put_match): the name
 * must have a letter or digit Sphinx keeps as a word. */
static int brand_in_match(const char *brand)
{
	for (const char *p = brand; p && *p; p++)
		if (isalnum((unsigned char)*p))
			return 1;
	return 0;
}

/* The MATCH() text escaped the Sphinx way, then quoted as a literal: the two
 * levels of escaping compose (the literal's own escaping doubles the
 * backslashes Sphinx's needs).
 *
 * With a brand, its whole name as a phrase filling the brand field: a
 * brand's products are a few percent of the words' matches, and the text
 * index finds them by reading word lists, where the brand attribute filter
 * alone looked up every match's attributes (about 0.1 us each: 14 ms for a
 * word in 114,000 products). Searchd cuts the name into words as it cut the
 * field, so the phrase matches every product of the brand; the attribute
 * filter stays and keeps the answer exact. Every result then matches the
 * phrase, so the ranking moves them all alike. */
static void put_match(struct buf *b, const struct search_query *q, const char *fields, const char *brand)
{
	struct buf t;
	size_t nwords = q->nwords;

	buf_init(&t, NULL, 128);
	if (fields)
		buf_puts(&t, fields);
	for (size_t i = 0; i < nwords; i++) {
		const char *w = q->words[i];

		if (i)
			buf_putc(&t, ' ');
		if (i + 1 == nwords && q->nalts) {
			/* The last word's completions, any of them. */
			buf_putc(&t, '(');
			for (size_t k = 0; k < q->nalts; k++) {
				if (k)
					buf_puts(&t, " | ");
				search_escape_match(&t, q->alts[k], strlen(q->alts[k]));
			}
			buf_putc(&t, ')');
			continue;
		}
		if (q->prefix && i + 1 == nwords) {
			search_escape_match(&t, w, strlen(w));
			if (strlen(w) >= 2)
				buf_putc(&t, '*');
			continue;
		}
		{
			const char *alt[SYN_ALTS];
			size_t na = search_synonyms(w, alt, SYN_ALTS);

			if (na)
				buf_putc(&t, '(');
			search_escape_match(&t, w, strlen(w));
			for (size_t k = 0; k < na; k++) {
				buf_puts(&t, " | ");
				search_escape_match(&t, alt[k], strlen(alt[k]));
			}
			if (na)
				buf_putc(&t, ')');
		}
	}
	if (brand_in_match(brand)) {
		buf_puts(&t, nwords ? " @brand \"^" : "@brand \"^");
		search_escape_match(&t, brand, strlen(brand));
		buf_puts(&t, "$\"");
	}
	search_quote(b, t.p ? t.p : "", t.len);
	buf_free(&t);
}

int search_edit_distance(const char *a, const char *b, int max)
{
	size_t n = strlen(a), m = strlen(b);
	int d[SEARCH_MAX_WORD + 8][SEARCH_MAX_WORD + 8];

	if (n > SEARCH_MAX_WORD + 4 || m > SEARCH_MAX_WORD + 4)
		return max + 1;
	if ((n > m ? n - m : m - n) > (size_t)max)
		return max + 1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		int rowmin = max + 1;

		for (size_t j = 1; j <= m; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > max)
			return max + 1;
	}
	return d[n][m] > max ? max + 1 : d[n][m];
}

void search_trigrams(struct buf *b, const char *word)
{
	char w[SEARCH_MAX_WORD + 16];
	size_t n = strlen(word);

	if (n > SEARCH_MAX_WORD)
		n = SEARCH_MAX_WORD;
	snprintf(w, sizeof(w), "__%.*s__", (int)n, word);
	for (size_t i = 0; i + 3 <= n + 4; i++) {
		if (i)
			buf_putc(b, ' ');
		buf_put(b, w + i, 3);
	}
}

/* A brand's number in the index (32-bit FNV-1a of the name): filtering and
 * grouping on an integer is much cheaper than on the string. Two brands
 * with one number would share a facet entry; the filter also compares the
 * name, so results stay exact. */
static unsigned brand_id(const char *brand)
{
	unsigned h = 2166136261u;

	for (const char *p = brand ? brand : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* The filters a shopper can set. A facet counts with every filter but its
 * own (multi-select: choosing brand A still shows the other brands with
 * their counts), so each set filter needs its facet from a query without
 * it. */
enum { F_CAT = 1, F_BRAND = 2, F_PRICE = 4, F_RATING = 8, F_STOCK = 16 };
#define F_PRS (F_PRICE | F_RATING | F_STOCK)
/* Whether the price, rating and stock facets need a FACET of the main
 * query: not when their filters are all set, nor when the stock filter is
 * (the grouping without it serves them all, one pass fewer). */
#define PRS_ON_MAIN(set) (((set) & F_PRS) != F_PRS && !((set) & F_STOCK))

static unsigned filters_set(const struct search_query *q)
{
	return (q->category > 0 ? F_CAT : 0) | (q->brand ? F_BRAND : 0) |
	       (q->has_min || q->has_max ? F_PRICE : 0) | (q->min_rating > 0 ? F_RATING : 0) |
	       (q->in_stock ? F_STOCK : 0);
}

unsigned search_facet_key(int64_t category, int64_t price, int64_t rating_x100, int64_t stock)
{
	unsigned band = 0;
	int64_t stars = rating_x100 / 100;

	if (category <= 0 || category >= (int64_t)1 << 25)
		return 0;
	while (band < NEDGES && price >= price_edges[band])
		band++;
	stars = stars < 0 ? 0 : stars > 5 ? 5 : stars;
	return (unsigned)category << 7 | band << 4 | (unsigned)stars << 1 | (stock > 0);
}

/* The price range a bound falls on: 0..NEDGES, or -1 when it is not an edge
 * of the facet's ranges (min: the range's first cent; max: its last). */
static int price_band_of(int64_t v, int is_max)
{
	if (!is_max && v <= 0)
		return 0;
	for (size_t i = 0; i < NEDGES; i++)
		if (v == price_edges[i] - (is_max ? 1 : 0))
			return (int)i + !is_max;
	return -1;
}

int search_facets_keyed(const struct search_query *q)
{
	return !q->multipass && (!q->has_min || price_band_of(q->min_price, 0) >= 0) &&
	       (!q->has_max || price_band_of(q->max_price, 1) >= 0);
}

/* WHERE: the words and every set filter but those in skip. */
static void put_where(struct buf *b, const struct search_query *q, unsigned skip)
{
	const char *brand = q->brand && !(skip & F_BRAND) ? q->brand : NULL;

	buf_puts(b, " WHERE id > 0");
	if (q->nwords || brand_in_match(brand)) {
		buf_puts(b, " AND MATCH(");
		put_match(b, q, q->lean ? "@(title,brand) " : NULL, brand);
		buf_putc(b, ')');
	}
	if (q->category > 0 && !(skip & F_CAT))
		buf_printf(b, " AND cats = %lld", (long long)q->category);
	if (q->brand && !(skip & F_BRAND)) {
		/* The number first: comparing strings for every match costs
		 * twice the whole search; the string then settles a collision. */
		buf_printf(b, " AND brand_id = %u AND brand_s = ", brand_id(q->brand));
		search_quote(b, q->brand, strlen(q->brand));
	}
	if (!(skip & F_PRICE)) {
		if (q->has_min)
			buf_printf(b, " AND price >= %lld", (long long)q->min_price);
		if (q->has_max)
			buf_printf(b, " AND price <= %lld", (long long)q->max_price);
	}
	if (q->min_rating > 0 && !(skip & F_RATING))
		buf_printf(b, " AND rating >= %lld", (long long)q->min_rating * 100);
	if (q->in_stock && !(skip & F_STOCK))
		buf_puts(b, " AND stock > 0");
}

/* The grouping key of the price, rating and stock facets: price range * 100
 * + rating band * 10 + in stock (at most 42 groups), split up in
 * facets_set. One key, because each FACET costs another pass over the
 * matches. */
static void put_prs_key(struct buf *b)
{
	buf_puts(b, "INTERVAL(price");
	for (size_t i = 0; i < NEDGES; i++)
		buf_printf(b, ", %lld", (long long)price_edges[i]);
	buf_puts(b, ") * 100 + INTERVAL(rating, 300, 400) * 10 + INTERVAL(stock, 1)");
}

/* Matches an autocomplete search of several words looks at: 500 kept the
 * answers of two common words at a million products to p50 2.2 ms, p95
 * 4.4 ms through nginx (15.7 ms p95 sorting every match by sales). */
#define LEAN_CUTOFF 500

/* The most facet key groups (leaf category x price range x stars x stock)
 * one grouping reads; a search with more (words over thousands of
 * categories) gets its facets from one query per filter instead. */
#define FKEY_GROUPS 4096

void search_build_facet_sql(struct buf *b, const struct search_query *q, const char *index, int part)
{
	if (part == 0) {
		/* The words and the brand filter, grouped by facet key: the
		 * other filters are applied in facet_counts_keyed. */
		buf_puts(b, "SELECT fkey, COUNT(*) AS n FROM ");
		buf_puts(b, index);
		put_where(b, q, F_CAT | F_PRS);
		buf_printf(b, " GROUP BY fkey LIMIT %d OPTION max_matches = %d, ranker = none", FKEY_GROUPS,
			   FKEY_GROUPS);
		return;
	}
	/* The brands, with every filter but the brand. */
	buf_puts(b, "SELECT brand_s AS g, COUNT(*) AS n FROM ");
	buf_puts(b, index);
	put_where(b, q, F_BRAND);
	buf_puts(b, " GROUP BY brand_id ORDER BY n DESC LIMIT 30 OPTION ranker = none");
}

void search_build_sql(struct buf *b, const struct search_query *q, const char *index)
{
	unsigned set = q->facets ? filters_set(q) : 0;

	buf_puts(b, "SELECT id, title_s, slug_s, brand_s, cat_s, cur_s, sku_s, price, rating, "
		    "reviews, stock, ");
	if (q->nwords && q->snippet) {
		buf_puts(b, "SNIPPET(desc_s, ");
		put_match(b, q, NULL, NULL);
		buf_puts(b, ", 'before_match=" MARK_ON "', 'after_match=" MARK_OFF "', 'limit=200') AS snippet, ");
	}
	if (q->lean)
		/* Autocomplete: the best-selling matches; no text ranking,
		 * which would cost a pass of the expression ranker over
		 * every match. */
		buf_puts(b, "sales AS score FROM ");
	else
		buf_puts(b, "WEIGHT() + 200 * LN(1 + sales) + 2 * rating + IF(stock > 0, 500, 0) AS score FROM ");
	buf_puts(b, index);
	put_where(b, q, 0);
	/* One row more than the page: it says whether there is a next one. */
	buf_printf(b, " ORDER BY %s LIMIT %lld, %lld", sort_sql[q->sort >= 0 && q->sort < SORT_COUNT ? q->sort : 0],
		   (long long)q->offset, (long long)q->limit + 1);
	if (q->lean)
		/* Autocomplete of several words: the best sellers among the
		 * first LEAN_CUTOFF matches, not all of them. Two common words
		 * match a hundred thousand products at a million; sorting them
		 * all by sales made the tail of these answers 15 ms. */
		buf_printf(b, " OPTION max_matches = %lld, ranker = none, cutoff = %d", (long long)q->limit + 1,
			   LEAN_CUTOFF);
	else
		buf_printf(b, " OPTION max_matches = %d, ranker = expr('sum((4 * lcs + 2 * (min_hit_pos == 1) + "
			   "100 * exact_hit) * user_weight) * 1000 + bm25'), field_weights = (title = 10, skus = 8, "
			   "brand = 5, category = 3, description = 1)", MAX_MATCHES + 1);
	if (q->facets && search_facets_keyed(q)) {
		buf_puts(b, "; SHOW META; ");
		search_build_facet_sql(b, q, index, 0);
		buf_puts(b, "; ");
		search_build_facet_sql(b, q, index, 1);
		return;
	}
	if (q->facets && !facets_apart) {
		/* The facets whose own filter is not set count what the
		 * page shows: FACETs of the main query. */
		if (!(set & F_CAT))
			buf_puts(b, " FACET cats ORDER BY COUNT(*) DESC LIMIT 200");
		if (!(set & F_BRAND))
			buf_puts(b, " FACET brand_s BY brand_id ORDER BY COUNT(*) DESC LIMIT 30");
		if (PRS_ON_MAIN(set)) {
			buf_puts(b, " FACET ");
			put_prs_key(b);
			buf_puts(b, " LIMIT 100");
		}
	}
	buf_puts(b, "; SHOW META");
	if (q->facets && facets_apart) {
		/* The same counts as the FACETs would give, each a statement
		 * of its own after SHOW META (searchd 2.2.11 fails a FACET
		 * on a distributed index when the SELECT has an expression,
		 * as the page's score is). */
		if (!(set & F_CAT)) {
			buf_printf(b, "; SELECT GROUPBY() AS g, COUNT(*) AS n FROM %s", index);
			put_where(b, q, 0);
			buf_puts(b, " GROUP BY cats ORDER BY n DESC LIMIT 200 OPTION ranker = none");
		}
		if (!(set & F_BRAND)) {
			buf_printf(b, "; SELECT brand_s AS g, COUNT(*) AS n FROM %s", index);
			put_where(b, q, 0);
			buf_puts(b, " GROUP BY brand_id ORDER BY n DESC LIMIT 30 OPTION ranker = none");
		}
		if (PRS_ON_MAIN(set)) {
			buf_puts(b, "; SELECT ");
			put_prs_key(b);
			buf_printf(b, " AS g, COUNT(*) AS n FROM %s", index);
			put_where(b, q, 0);
			buf_puts(b, " GROUP BY g LIMIT 100 OPTION ranker = none");
		}
	}
	/* Then one grouping query per set filter, without that filter and
	 * without ranking, in the order of the F_* bits (run_sphinx reads
	 * them in that order). */
	for (unsigned f = F_CAT; f <= F_STOCK; f <<= 1) {
		if (!(set & f))
			continue;
		buf_puts(b, "; SELECT ");
		if (f & F_PRS)
			put_prs_key(b);
		else
			buf_puts(b, f == F_CAT ? "GROUPBY()" : "brand_s");
		buf_puts(b, " AS g, COUNT(*) AS n FROM ");
		buf_puts(b, index);
		put_where(b, q, f);
		buf_printf(b, " GROUP BY %s ORDER BY n DESC LIMIT %d OPTION ranker = none",
			   f == F_CAT ? "cats" : f == F_BRAND ? "brand_id" : "g",
			   f == F_CAT ? 200 : f == F_BRAND ? 30 : 100);
	}
}

/* ---- categories (worker cache) ---- */

static struct {
	struct search_category *v;
	size_t n;
	time_t loaded;
	uint64_t tree;		/* issue 19: pcache_cats_gen() at the load */
} cats;

enum err search_categories_load(struct db *db, struct arena *a)
{
	struct db_res *r = NULL;
	struct search_category *v;
	time_t now = time(NULL);
	enum err e;

	/* issue 19: an admin's rename shows in the facets at once */
	if (cats.v && now - cats.loaded < CAT_TTL && cats.tree == pcache_cats_gen())
		return E_OK;
	cats.tree = pcache_cats_gen();
	if ((e = db_exec(db, a, &sql[Q_CATS], &r, "")))
		return cats.v ? E_OK : e;
	if (!(v = calloc(r->nrows + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		v[i].id = db_int(r, i, 0);
		v[i].parent = db_int(r, i, 1);
		v[i].slug = strdup(db_cell(r, i, 2));
		v[i].name = strdup(db_cell(r, i, 3));
	}
	for (size_t i = 0; i < cats.n; i++) {
		free(cats.v[i].slug);
		free(cats.v[i].name);
	}
	free(cats.v);
	cats.v = v;
	cats.n = r->nrows;
	cats.loaded = now;
	return E_OK;
}

static const struct search_category *cat_by_id(int64_t id)
{
	for (size_t i = 0; i < cats.n; i++)
		if (cats.v[i].id == id)
			return &cats.v[i];
	return NULL;
}

const struct search_category *search_category_by_slug(const char *slug)
{
	for (size_t i = 0; slug && i < cats.n; i++)
		if (!strcmp(cats.v[i].slug, slug))
			return &cats.v[i];
	return NULL;
}

/* ---- one search ---- */

/* A product of the page from its columns (a row of searchd or of the
 * fallback query). */
static void item_set(struct search_item *it, int64_t id, const char *title, const char *slug,
		     const char *brand, const char *cat, const char *cur, const char *sku,
		     int64_t price, int64_t rating, int64_t reviews, int64_t stock, const char *snippet)
{
	*it = (struct search_item){ id, title, slug, brand, cat, cur, sku, price, rating, reviews, stock,
				    snippet, NULL };
}

/* Whether there is a page after this one: got is the rows the SELECT
 * returned (one more than the page when there is). */
static void set_next(struct search_result *s, size_t got)
{
	int64_t next = s->q.offset + s->q.limit;

	s->next_offset = 0;
	if ((int64_t)got > s->q.limit && next < MAX_MATCHES)
		s->next_offset = next;
}

/* Facet counts on their way to the result, from either way of counting. */
struct fbrand {
	const char *name;
	int64_t n;
};

struct fcounts {
	int64_t *cat;		/* by place in cats.v */
	struct fbrand *brand;
	size_t nbrand, brand_cap;
	int64_t price[NEDGES + 1], r3, r4, instock;
};

static int fcounts_init(struct arena *a, struct fcounts *fc, size_t brand_cap)
{
	memset(fc, 0, sizeof(*fc));
	fc->cat = arena_alloc(a, (cats.n + 1) * sizeof(*fc->cat));
	fc->brand = arena_alloc(a, (brand_cap + 1) * sizeof(*fc->brand));
	if (!fc->cat || !fc->brand)
		return -1;
	memset(fc->cat, 0, (cats.n + 1) * sizeof(*fc->cat));
	fc->brand_cap = brand_cap;
	return 0;
}

static void cat_add(struct fcounts *fc, const struct search_category *k, int64_t n)
{
	if (k)
		fc->cat[k - cats.v] += n;
}

/* Facet values in a stable order: the most products first, then categories
 * by their place in the menu and brands by name. */
static int by_count(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[1] != y[1] ? (x[1] < y[1] ? 1 : -1) : (x[0] > y[0]) - (x[0] < y[0]);
}

static int brand_by_count(const void *a, const void *b)
{
	const struct fbrand *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->name, y->name);
}

/* The facets of the result from the counts: the most products first, at
 * most 200 categories and 30 brands, the price ranges that have products. */
static int facets_set(struct arena *a, struct search_result *s, struct fcounts *fc)
{
	struct search_facets *f = &s->facets;
	int64_t (*order)[2] = arena_alloc(a, (cats.n + 1) * sizeof(*order));
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	f->category = arena_alloc(a, (cats.n < 200 ? cats.n : 200) * sizeof(*f->category) + 1);
	f->brand = arena_alloc(a, (fc->nbrand < 30 ? fc->nbrand : 30) * sizeof(*f->brand) + 1);
	if (!order || !f->category || !f->brand)
		return -1;
	for (size_t i = 0; i < cats.n; i++)
		if (fc->cat[i] > 0) {
			order[n][0] = (int64_t)i;
			order[n++][1] = fc->cat[i];
		}
	if (n)
		qsort(order, n, sizeof(*order), by_count);
	for (size_t i = 0; i < n && i < 200; i++) {
		const struct search_category *k = &cats.v[order[i][0]];

		f->category[f->ncategory++] = (struct search_facet_category){ k, order[i][1],
									      s->q.category == k->id };
	}
	if (fc->nbrand)
		qsort(fc->brand, fc->nbrand, sizeof(*fc->brand), brand_by_count);
	for (size_t i = 0; i < fc->nbrand && f->nbrand < 30; i++)
		if (*fc->brand[i].name && fc->brand[i].n > 0)
			f->brand[f->nbrand++] = (struct search_facet_brand){ fc->brand[i].name, fc->brand[i].n,
				s->q.brand && !strcmp(s->q.brand, fc->brand[i].name) };
	for (size_t i = 0; i <= NEDGES; i++) {
		if (!fc->price[i])
			continue;
		f->price[f->nprice++] = (struct search_facet_price){ i ? price_edges[i - 1] : 0,
			i < NEDGES ? price_edges[i] - 1 : 0, i < NEDGES, fc->price[i] };
	}
	f->rating4 = fc->r4;
	f->rating3 = fc->r3;
	f->in_stock = fc->instock;
	return 0;
}

/* Facet counts from the FACETs and per-filter groupings (search_build_sql
 * without the facet key): fr[0] categories, fr[1] brands, fr[2..4] the price,
 * rating and stock parts, each from the result without its own filter
 * (often one result for all three). With the stock filter set, the price
 * and rating parts whose own filter is not set come from the grouping
 * without the stock filter, which applies here exactly: stock is a digit of
 * the key. */
static int facet_counts_passes(struct arena *a, const struct search_result *s, MYSQL_RES **fr, unsigned set,
			       struct fcounts *fc)
{
	MYSQL_ROW row;

	if (fcounts_init(a, fc, fr[1] ? mysql_num_rows(fr[1]) : 0))
		return -1;
	if (fr[0])
		while ((row = mysql_fetch_row(fr[0])))
			cat_add(fc, cat_by_id(num(row[0])), num(row[1]));
	if (fr[1])
		while ((row = mysql_fetch_row(fr[1])))
			if (fc->nbrand < fc->brand_cap)
				fc->brand[fc->nbrand++] = (struct fbrand){ row[0] ? row[0] : "", num(row[1]) };
	for (int part = 0; part < 3; part++) {
		int stock_here = part < 2 && (set & F_STOCK) && !(set & (F_PRICE << part));

		if (!fr[2 + part])
			continue;
		mysql_data_seek(fr[2 + part], 0);
		while ((row = mysql_fetch_row(fr[2 + part]))) {
			int64_t key = num(row[0]), n = num(row[1]), b = key / 100, band = key / 10 % 10;

			if (stock_here && key % 10 != 1)
				continue;
			if (part == 0 && b >= 0 && b <= (int64_t)NEDGES)
				fc->price[b] += n;
			if (part == 1 && band >= 1)
				fc->r3 += n;
			if (part == 1 && band == 2)
				fc->r4 += n;
			if (part == 2 && key % 10 == 1)
				fc->instock += n;
		}
	}
	return 0;
}

/* The answers of search_build_facet_sql's two statements: the facet key
 * groups of the words with the brand filter, and the brands with every
 * other filter. */
struct kgroup {
	int64_t key, n;
};

struct bgroup {
	const char *name;
	int64_t n;
};

struct fgroups {
	struct kgroup *k;
	struct bgroup *b;
	size_t nk, nb;
};

static int fgroups_alloc(struct arena *a, struct fgroups *g, size_t nk, size_t nb)
{
	g->nk = g->nb = 0;
	g->k = arena_alloc(a, (nk + 1) * sizeof(*g->k));
	g->b = arena_alloc(a, (nb + 1) * sizeof(*g->b));
	return g->k && g->b ? 0 : -1;
}

/* -1 when a statement gave no answer, or more key groups than it asked for. */
static int fgroups_read(struct arena *a, MYSQL_RES *rk, MYSQL_RES *rb, struct fgroups *g)
{
	MYSQL_ROW row;

	if (!rk || !rb || mysql_num_rows(rk) >= FKEY_GROUPS ||
	    fgroups_alloc(a, g, mysql_num_rows(rk), mysql_num_rows(rb)))
		return -1;
	while ((row = mysql_fetch_row(rk)))
		g->k[g->nk++] = (struct kgroup){ num(row[0]), num(row[1]) };
	while ((row = mysql_fetch_row(rb)))
		g->b[g->nb++] = (struct bgroup){ row[0] ? arena_strdup(a, row[0]) : "", num(row[1]) };
	return 0;
}

/* Facet counts from the groups: the key groups give the category, price,
 * rating and stock facets, each counted here with every filter but its own;
 * the brand groups give the brands. *matched: how many products the words
 * match with at most the brand filter (0: none at all). -1 when the groups
 * cannot serve (a product without a key, a category this process does not
 * know yet): the caller asks again with one query per filter. */
static int facet_counts_keyed(struct arena *a, const struct search_result *s, const struct fgroups *g,
			      struct fcounts *fc, int64_t *matched)
{
	const struct search_query *q = &s->q;
	int lo = q->has_min ? price_band_of(q->min_price, 0) : 0;
	int hi = q->has_max ? price_band_of(q->max_price, 1) : (int)NEDGES;
	const struct search_category *leaf = NULL, *dept = NULL;

	if (lo < 0 || hi < 0 || fcounts_init(a, fc, g->nb))
		return -1;
	*matched = 0;
	for (size_t i = 0; i < g->nk; i++) {
		int64_t key = g->k[i].key, n = g->k[i].n, cat = key >> 7;
		int band = (int)(key >> 4 & 7), stars = (int)(key >> 1 & 7), stock = (int)(key & 1);
		int pc, pp, pr, ps;

		if (key <= 0)
			return -1;
		/* Groups come in key order, so most share the last leaf. */
		if (!leaf || leaf->id != cat) {
			if (!(leaf = cat_by_id(cat)))
				return -1;
			dept = leaf->parent ? cat_by_id(leaf->parent) : NULL;
		}
		pc = !q->category || leaf->id == q->category || leaf->parent == q->category;
		pp = band >= lo && band <= hi;
		pr = stars >= q->min_rating;
		ps = !q->in_stock || stock;
		*matched += n;
		if (pp && pr && ps) {
			cat_add(fc, leaf, n);
			cat_add(fc, dept, n);
		}
		if (pc && pr && ps)
			fc->price[band] += n;
		if (pc && pp && ps) {
			fc->r3 += stars >= 3 ? n : 0;
			fc->r4 += stars >= 4 ? n : 0;
		}
		if (pc && pp && pr && stock)
			fc->instock += n;
	}
	for (size_t i = 0; i < g->nb; i++) {
		fc->brand[fc->nbrand++] = (struct fbrand){ g->b[i].name, g->b[i].n };
		*matched += g->b[i].n;
	}
	return 0;
}

/* What a search runs with: the caller's connections and arena. */
struct senv {
	struct db *db;
	struct kv *kv;
	struct arena *a;
};

/* ---- the facet cache (Redis) ----
 *
 * The groups of a search's facet statements, kept in Redis under a digest of
 * the two statements (which name the index copy) and the index generation:
 * a counter every writer of the index (the indexer, the reconciler, a
 * reindex) increments after its change, so an entry is only ever read while
 * the index holds what it was computed from, and a price or stock change
 * reaches the facets as fast as it reaches the results. Sorting and paging
 * a search, or choosing one of its filters, reuses them; the passes over
 * the words' matches are most of a faceted page's cost. Redis down: no
 * cache. The stack's Redis keeps nothing across a restart; one that
 * restores a snapshot could bring back entries of a generation the index
 * has since moved past, read until the next change or for FACET_TTL. */
#define FACET_GEN_KEY "search:gen"
#define FACET_TTL 600

static void facet_gen_bump(struct kv *kv, struct arena *a)
{
	if (kv)
		kv_cmd(kv, a, NULL, "INCR " FACET_GEN_KEY);
}

/* The cache key of the two statements at the current generation; NULL when
 * Redis cannot say the generation. */
static const char *facet_cache_key(struct senv *c, const char *const *stmt)
{
	redisReply *r = NULL;
	crypto_generichash_state st;
	unsigned char h[16];
	char hex[sizeof(h) * 2 + 1];

	if (!c->kv || kv_cmd(c->kv, c->a, &r, "GET " FACET_GEN_KEY) || !r)
		return NULL;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (int i = 0; i < 2; i++)
		crypto_generichash_update(&st, (const unsigned char *)stmt[i], strlen(stmt[i]) + 1);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return arena_printf(c->a, "sfacet:%s:%s", r->type == REDIS_REPLY_STRING ? r->str : "0", hex);
}

/* The cached groups: [[key, n], ...] then [[brand, n], ...]. 0 on a hit. */
static int facet_cache_get(struct senv *c, const char *key, struct fgroups *g)
{
	redisReply *r = NULL;
	json_t *j, *k, *b, *v;
	json_error_t err;
	size_t i;
	int rc = -1;

	if (kv_cmd(c->kv, c->a, &r, "GET %s", key) || !r || r->type != REDIS_REPLY_STRING)
		return -1;
	if (!(j = json_loadb(r->str, r->len, 0, &err)))
		return -1;
	k = json_array_get(j, 0);
	b = json_array_get(j, 1);
	if (json_is_array(k) && json_is_array(b) && !fgroups_alloc(c->a, g, json_array_size(k), json_array_size(b))) {
		json_array_foreach(k, i, v)
			g->k[g->nk++] = (struct kgroup){ json_integer_value(json_array_get(v, 0)),
							 json_integer_value(json_array_get(v, 1)) };
		json_array_foreach(b, i, v)
			g->b[g->nb++] = (struct bgroup){ arena_strdup(c->a, json_string_value(json_array_get(v, 0)) ?
				json_string_value(json_array_get(v, 0)) : ""), json_integer_value(json_array_get(v, 1)) };
		rc = 0;
	}
	json_decref(j);
	return rc;
}

static void facet_cache_put(struct senv *c, const char *key, const struct fgroups *g)
{
	json_t *j, *k, *b;
	char *text;

	if (sx.partial)
		return;		/* counted without a part (a dead agent): never kept */
	j = json_pack("[[], []]");
	k = json_array_get(j, 0);
	b = json_array_get(j, 1);

	for (size_t i = 0; i < g->nk; i++)
		json_array_append_new(k, json_pack("[I, I]", (json_int_t)g->k[i].key, (json_int_t)g->k[i].n));
	for (size_t i = 0; i < g->nb; i++)
		json_array_append_new(b, json_pack("[s, I]", g->b[i].name, (json_int_t)g->b[i].n));
	if ((text = json_dumps(j, JSON_COMPACT))) {
		kv_cmd(c->kv, c->a, NULL, "SET %s %s EX %d", key, text, FACET_TTL);
		free(text);
	}
	json_decref(j);
}

/* ---- the results cache (Redis) ----
 *
 * A page of a search with many matches (RESULTS_CACHE_MIN or more), kept
 * like the facets: under a digest of its statement (words, filters, sort,
 * page, index copy) and the index generation, so it is only read while the
 * index holds what it was computed from. Broad words are the most asked
 * and the dearest searches (every match is ranked: tens of thousands at a
 * million products); repeated, they cost one Redis GET. Under constant
 * catalog changes the generation moves and every page is computed, as
 * before. Redis down: no cache. */
#define RESULTS_CACHE_MIN 5000
#define RESULTS_KEY_PREFIX "sres:"

static const char *results_cache_key(struct senv *c, const char *stmt)
{
	const char *two[2] = { stmt, RESULTS_KEY_PREFIX };
	const char *k = facet_cache_key(c, two);

	return k ? arena_printf(c->a, RESULTS_KEY_PREFIX "%s", k + strlen("sfacet:")) : NULL;
}

/* [total, got, [[id, title, slug, brand, cat, cur, sku, price, rating,
 * reviews, stock, snippet], ...]]. 0 on a hit. */
static int results_cache_get(struct senv *c, const char *key, struct search_result *s, size_t *got)
{
	redisReply *r = NULL;
	json_t *j, *items, *v;
	json_error_t err;
	size_t i;
	int rc = -1;

	if (!key || kv_cmd(c->kv, c->a, &r, "GET %s", key) || !r || r->type != REDIS_REPLY_STRING)
		return -1;
	if (!(j = json_loadb(r->str, r->len, 0, &err)))
		return -1;
	items = json_array_get(j, 2);
	if (json_is_array(items) &&
	    (s->items = arena_alloc(c->a, (json_array_size(items) + 1) * sizeof(*s->items)))) {
#define STR(k) (json_is_string(json_array_get(v, k)) ? arena_strdup(c->a, json_string_value(json_array_get(v, k))) : NULL)
#define INT(k) ((int64_t)json_integer_value(json_array_get(v, k)))
		s->nitems = 0;
		json_array_foreach(items, i, v)
			item_set(&s->items[s->nitems++], INT(0), STR(1), STR(2), STR(3), STR(4), STR(5), STR(6),
				 INT(7), INT(8), INT(9), INT(10), STR(11));
#undef STR
#undef INT
		s->total = json_integer_value(json_array_get(j, 0));
		*got = (size_t)json_integer_value(json_array_get(j, 1));
		rc = 0;
	}
	json_decref(j);
	return rc;
}

static void results_cache_put(struct senv *c, const char *key, const struct search_result *s, size_t got)
{
	json_t *j, *items;
	char *text;

	if (!key || s->total < RESULTS_CACHE_MIN || sx.partial)
		return;
	j = json_pack("[I, I, []]", (json_int_t)s->total, (json_int_t)got);
	items = json_array_get(j, 2);
	for (size_t i = 0; i < s->nitems; i++) {
		const struct search_item *it = &s->items[i];
		json_t *v = json_pack("[I, s?, s?, s?, s?, s?, s?, I, I, I, I, s?]", (json_int_t)it->id, it->title,
				      it->slug, it->brand, it->category, it->currency, it->sku, (json_int_t)it->price,
				      (json_int_t)it->rating, (json_int_t)it->reviews, (json_int_t)it->stock, it->snippet);

		if (v)
			json_array_append_new(items, v);
	}
	if ((text = json_dumps(j, JSON_COMPACT))) {
		kv_cmd(c->kv, c->a, NULL, "SET %s %s EX %d", key, text, FACET_TTL);
		free(text);
	}
	json_decref(j);
}

/* The two facet statements of a search go to searchd on connections of
 * their own, sent before the main query and read after it: searchd runs the
 * three at once on its threads, so a page waits for the longest, not for
 * their sum (each is a pass over the words' matches). A statement whose
 * connection fails follows the main query on the first. */
static MYSQL *fx[2];

static void fx_close(int i)
{
	if (fx[i])
		mysql_close(fx[i]);
	fx[i] = NULL;
}

/* Sends q on facet connection i (connecting first); 0 when sent. */
static int fx_send(int i, const char *q, size_t n)
{
	time_t now = time(NULL);

	if (now < sx.down_until)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!fx[i] && !(fx[i] = sx_open(0))) {
			/* Away: the page's query is not tried either. */
			sx.down_until = now + 1;
			return -1;
		}
		if (!mysql_send_query(fx[i], q, (unsigned long)n))
			return 0;
		fx_close(i);	/* searchd restarted since: once more */
	}
	return -1;
}

/* The result of the statement fx_send sent on connection i, registered with
 * the arena; NULL (and the connection closed) when it did not come. */
static MYSQL_RES *fx_read(int i, struct arena *a)
{
	MYSQL_RES *r = NULL;

	if (!fx[i])
		return NULL;
	if (mysql_read_query_result(fx[i]) || !(r = mysql_store_result(fx[i])) || arena_on_reset(a, free_result, r)) {
		if (r)
			mysql_free_result(r);
		fx_close(i);
		return NULL;
	}
	if (nodes.nparts && mysql_warning_count(fx[i]))
		sx.partial = 1;
	return r;
}

/* Reads and drops what the facet connections in sent were asked. */
static void fx_finish(struct arena *a, int sent)
{
	for (int i = 0; i < 2; i++)
		if (sent & (1 << i))
			fx_read(i, a);
}

/* The facets counted beside the page's results (those whose own filter
 * is not set), into fr as run_sphinx keeps them. */
static void main_facets(struct arena *a, unsigned set, MYSQL_RES **fr)
{
	MYSQL_RES *prs = NULL;

	if (!(set & F_CAT))
		fr[0] = sx_result(a, 0);
	if (!(set & F_BRAND))
		fr[1] = sx_result(a, 0);
	if (PRS_ON_MAIN(set))
		prs = sx_result(a, 0);
	for (int i = 0; i < 3; i++)
		if (!(set & (F_PRICE << i)))
			fr[2 + i] = prs;
}

/* Runs s against searchd. E_UNAVAIL when it cannot be reached. */
static enum err run_sphinx(struct senv *c, struct search_result *s)
{
	struct buf b, fb[2];
	const char *index, *stmt[2], *ckey = NULL, *rkey = NULL;
	MYSQL_RES *r, *fr[5] = {0}, *rk = NULL, *rb = NULL;
	unsigned set = s->q.facets ? filters_set(&s->q) : 0;
	int keyed = s->q.facets && search_facets_keyed(&s->q), sent = 0, cached = 0, rhit = 0;
	struct fgroups g = {0};
	struct search_query mq = s->q;
	struct fcounts fc;
	MYSQL_ROW row;
	size_t got = 0;
	int ci[12];
	static const char *const cols[12] = { "id", "title_s", "slug_s", "brand_s", "cat_s", "cur_s",
		"sku_s", "price", "rating", "reviews", "stock", "snippet" };
	enum err e;

	if ((e = active_index(&index)))
		return e;
	s->matched = -1;
	buf_init(&b, c->a, 1024);
	if (keyed) {
		/* The facets from the cache, or on connections of their own
		 * beside the page on this one (a statement not sent follows
		 * the page here). */
		mq.facets = 0;
		search_build_sql(&b, &mq, index);
		if (!b.oom) {
			rkey = results_cache_key(c, b.p);
			rhit = !results_cache_get(c, rkey, s, &got);
		}
		for (int i = 0; i < 2; i++) {
			buf_init(&fb[i], c->a, 512);
			search_build_facet_sql(&fb[i], &s->q, index, i);
			if (fb[i].oom)
				return E_NOMEM;
			stmt[i] = fb[i].p;
		}
		ckey = facet_cache_key(c, stmt);
		cached = ckey && !facet_cache_get(c, ckey, &g);
		for (int i = 0; i < 2 && !cached; i++) {
			if (!fx_send(i, fb[i].p, fb[i].len))
				sent |= 1 << i;
			else {
				buf_printf(&b, "; %s", fb[i].p);
				rhit = 0;	/* the batch must run for the facets */
			}
		}
	} else
		search_build_sql(&b, &s->q, index);
	if (b.oom) {
		fx_finish(c->a, sent);	/* a connection must not keep an unread answer */
		return E_NOMEM;
	}
	if (rhit)
		goto keyed_facets;	/* the page from the cache: searchd only for facets not cached */
	if ((e = sx_query(b.p, b.len))) {
		fx_finish(c->a, sent);
		return e;
	}
	if (!(r = sx_result(c->a, 1))) {
		sx_drain();
		fx_finish(c->a, sent);
		return E_DB;
	}
	for (int i = 0; i < 12; i++)
		ci[i] = col_of(r, cols[i]);
	s->nitems = 0;
	s->items = arena_alloc(c->a, ((size_t)mysql_num_rows(r) + 1) * sizeof(*s->items));
	if (!s->items) {
		sx_drain();
		fx_finish(c->a, sent);
		return E_NOMEM;
	}
	while ((row = mysql_fetch_row(r))) {
		if ((int64_t)got++ >= s->q.limit)
			continue;
		item_set(&s->items[s->nitems++], num(row[ci[0]]), row[ci[1]], row[ci[2]],
			row[ci[3]], row[ci[4]], row[ci[5]], row[ci[6]], num(row[ci[7]]), num(row[ci[8]]),
			num(row[ci[9]]), num(row[ci[10]]), ci[11] >= 0 ? row[ci[11]] : NULL);
	}
	/* The result sets in the order search_build_sql asks for them: the
	 * main query's FACETs, SHOW META, then a grouping per set filter (or
	 * the facet batch). With nodes the FACETs' counts come after SHOW
	 * META, as statements of their own. */
	if (s->q.facets && !keyed && !facets_apart)
		main_facets(c->a, set, fr);
	s->total = 0;
	if ((r = sx_result(c->a, 0)))
		while ((row = mysql_fetch_row(r)))
			if (row[0] && !strcmp(row[0], "total_found"))
				s->total = num(row[1]);
	if (s->q.facets && !keyed && facets_apart)
		main_facets(c->a, set, fr);
	if (keyed)
		results_cache_put(c, rkey, s, got);
keyed_facets:
	if (keyed) {
		int bad = 0;

		if (!cached) {
			/* In the order search_build_facet_sql numbers them:
			 * those not sent came after SHOW META here (none when
			 * the page came from the cache). */
			rk = sent & 1 ? NULL : rhit ? NULL : sx_result(c->a, 0);
			rb = sent & 2 ? NULL : rhit ? NULL : sx_result(c->a, 0);
			if (!rhit)
				sx_drain();
			if (sent & 1)
				rk = fx_read(0, c->a);
			if (sent & 2)
				rb = fx_read(1, c->a);
			bad = fgroups_read(c->a, rk, rb, &g);
			if (!bad && ckey)
				facet_cache_put(c, ckey, &g);
		} else if (!rhit)
			sx_drain();
		if (bad || facet_counts_keyed(c->a, s, &g, &fc, &s->matched)) {
			/* Once more, with one query per filter. */
			s->items = NULL;
			s->nitems = 0;
			s->q.multipass = 1;
			e = run_sphinx(c, s);
			s->q.multipass = 0;
			return e;
		}
		if (facets_set(c->a, s, &fc))
			return E_NOMEM;
		set_next(s, got);
		return E_OK;
	}
	for (int i = 0; i < 5; i++)
		if (set & (F_CAT << i))
			fr[i] = sx_result(c->a, 0);
	/* With the stock filter set, its grouping serves the price and
	 * rating parts too (facet_counts_passes applies the filter). */
	for (int i = 0; i < 2; i++)
		if ((set & F_STOCK) && !(set & (F_PRICE << i)))
			fr[2 + i] = fr[4];
	sx_drain();
	if (s->q.facets) {
		if (facet_counts_passes(c->a, s, fr, set, &fc))
			return E_NOMEM;
		if (facets_set(c->a, s, &fc))
			return E_NOMEM;
	}
	set_next(s, got);
	return E_OK;
}

/* The same search in MariaDB, without facets, for when searchd is away. */
static enum err run_fallback(struct senv *c, struct search_result *s)
{
	struct db_res *r = NULL, *n = NULL;
	struct buf pat;
	const struct db_sql *q = &sql[Q_FB_RELEVANCE + (s->q.sort >= 0 && s->q.sort < SORT_COUNT ? s->q.sort : 0)];
	int64_t cat = s->q.category, minr = s->q.min_rating * 100, mins = s->q.in_stock ? 1 : INT32_MIN;
	int64_t lo = s->q.has_min ? s->q.min_price : 0, hi = s->q.has_max ? s->q.max_price : INT64_MAX;
	enum err e;

	/* "%word%word%": the words in order, LIKE's own wildcards escaped. */
	buf_init(&pat, c->a, 128);
	buf_putc(&pat, '%');
	for (size_t i = 0; i < s->q.nwords; i++) {
		for (const char *p = s->q.words[i]; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				buf_putc(&pat, '\\');
			buf_putc(&pat, *p);
		}
		buf_putc(&pat, '%');
	}
	if ((e = db_exec(c->db, c->a, &sql[Q_FB_COUNT], &n, "ssiiissiiii", pat.p, pat.p, cat, cat, cat,
			 s->q.brand, s->q.brand, lo, hi, minr, mins)) ||
	    (e = db_exec(c->db, c->a, q, &r, "ssiiissiiiiii", pat.p, pat.p, cat, cat, cat,
			 s->q.brand, s->q.brand, lo, hi, minr, mins, s->q.limit + 1, s->q.offset)))
		return e;
	s->total = n->nrows ? db_int(n, 0, 0) : 0;
	s->nitems = 0;
	if (!(s->items = arena_alloc(c->a, (r->nrows + 1) * sizeof(*s->items))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows && (int64_t)i < s->q.limit; i++)
		item_set(&s->items[s->nitems++], db_int(r, i, 0), db_cell(r, i, 1),
			db_cell(r, i, 2), db_cell(r, i, 3), db_cell(r, i, 4), db_cell(r, i, 5),
			db_cell(r, i, 6), db_int(r, i, 7), db_int(r, i, 8), db_int(r, i, 9),
			db_int(r, i, 10), NULL);
	/* No facets: the page says so (degraded). */
	memset(&s->facets, 0, sizeof(s->facets));
	s->degraded = 1;
	set_next(s, r->nrows);
	return E_OK;
}

/* Best correction of one word from the suggestion index: the candidates
 * sharing trigrams with it, ranked by edit distance, then frequency. NULL
 * when the word is known or nothing is close. */
static const char *correct_word(struct arena *a, const char *w)
{
	struct buf b, t;
	MYSQL_RES *r;
	MYSQL_ROW row;
	size_t n = strlen(w);
	int maxd = n <= 4 ? 1 : 2, best_d = maxd + 1;
	int64_t best_f = -1;
	const char *best = NULL;

	if (n < 3 || n > SEARCH_MAX_WORD)
		return NULL;
	for (const char *p = w; *p; p++)
		if ((unsigned char)*p >= 0x80 || isdigit((unsigned char)*p))
			return NULL;	/* model numbers and other scripts stay as typed */
	buf_init(&t, a, 128);
	search_trigrams(&t, w);
	buf_init(&b, a, 512);
	buf_puts(&b, "SELECT keyword, freq FROM suggest WHERE MATCH(");
	{
		struct buf m;

		buf_init(&m, a, 160);
		buf_putc(&m, '"');
		search_escape_match(&m, t.p, t.len);
		buf_printf(&m, "\"/%d", n >= 6 ? 2 : 1);
		search_quote(&b, m.p, m.len);
	}
	buf_printf(&b, ") AND len >= %lld AND len <= %lld ORDER BY WEIGHT() DESC, freq DESC LIMIT 40 "
		   "OPTION ranker = wordcount", (long long)n - 2, (long long)n + 2);
	if (sx_query(b.p, b.len) || !(r = sx_result(a, 1))) {
		sx_drain();
		return NULL;
	}
	while ((row = mysql_fetch_row(r))) {
		int d;
		int64_t f = num(row[1]);

		if (!row[0])
			continue;
		if (!strcmp(row[0], w)) {
			best = NULL;	/* a real word of the catalog */
			best_d = -1;
			break;
		}
		d = search_edit_distance(w, row[0], maxd);
		if (d < best_d || (d == best_d && f > best_f)) {
			best_d = d;
			best_f = f;
			best = arena_strdup(a, row[0]);
		}
	}
	sx_drain();
	return best_d >= 0 && best_d <= maxd ? best : NULL;
}

/* Cards of products with a seller's photo show it instead of the
 * placeholder (one query for the page; a failure keeps the placeholders). */
static void add_photos(struct senv *c, struct search_item *items, size_t nitems)
{
	struct db_res *r = NULL;
	struct buf ids;

	if (!nitems)
		return;
	buf_init(&ids, c->a, 256);
	buf_putc(&ids, '[');
	for (size_t i = 0; i < nitems; i++)
		buf_printf(&ids, "%s%lld", i ? "," : "", (long long)items[i].id);
	buf_putc(&ids, ']');
	if (db_exec(c->db, c->a, &sql[Q_PHOTOS], &r, "s", ids.p))
		return;
	for (size_t k = 0; k < r->nrows; k++)
		for (size_t i = 0; i < nitems; i++)
			if (items[i].id == db_int(r, k, 0))
				items[i].photo = db_cell(r, k, 1);
}

/* How many products each of the n queries finds (words and filters), in
 * one batch, no ranking. counts[k] is -1 when searchd gave no answer. */
#define PARTIAL_BATCH 16
static enum err count_queries(struct senv *c, const struct search_query *qs, size_t n, int64_t *counts)
{
	const char *index;
	struct buf b;
	enum err e;

	for (size_t k = 0; k < n; k++)
		counts[k] = -1;
	if ((e = active_index(&index)))
		return e;
	buf_init(&b, c->a, 256 * n);
	for (size_t k = 0; k < n; k++) {
		buf_printf(&b, "%sSELECT COUNT(*) AS n FROM %s", k ? "; " : "", index);
		put_where(&b, &qs[k], 0);
		buf_puts(&b, " OPTION ranker = none");
	}
	if (b.oom)
		return E_NOMEM;
	if ((e = sx_query(b.p, b.len)))
		return e;
	for (size_t k = 0; k < n; k++) {
		MYSQL_RES *r = sx_result(c->a, k == 0);
		MYSQL_ROW row;

		if (!r)
			break;
		counts[k] = (row = mysql_fetch_row(r)) && row[0] ? num(row[0]) : 0;
	}
	sx_drain();
	return E_OK;
}

/* q with only the words in mask (bit i: q->words[i]). */
static struct search_query words_of(const struct search_query *q, unsigned mask)
{
	struct search_query t = *q;

	t.nwords = 0;
	t.nalts = 0;
	t.prefix = 0;
	t.lean = 0;
	for (size_t i = 0; i < q->nwords; i++)
		if (mask & 1u << i)
			t.words[t.nwords++] = q->words[i];
	return t;
}

/* How many products the words of q in each mask match with q's filters. */
static enum err count_word_sets(struct senv *c, const struct search_query *q, const unsigned *masks, size_t n,
				int64_t *counts)
{
	struct search_query qs[PARTIAL_BATCH];

	for (size_t k = 0; k < n && k < PARTIAL_BATCH; k++)
		qs[k] = words_of(q, masks[k]);
	return count_queries(c, qs, n < PARTIAL_BATCH ? n : PARTIAL_BATCH, counts);
}

/* Several words that match nothing together: the largest set of them that
 * matches something (with the shopper's filters), the one matching the
 * most products among sets of that size. Words matching nothing alone go
 * first; at most PARTIAL_BATCH sets of one size are tried (a batch, one
 * round trip each size). 0 when no set matches. */
static unsigned partial_words(struct senv *c, const struct search_query *q)
{
	unsigned masks[PARTIAL_BATCH], keep = 0, best = 0;
	int64_t counts[PARTIAL_BATCH], best_n = 0;
	size_t n = q->nwords, k;

	if (n < 2 || n > SEARCH_MAX_WORDS)
		return 0;
	for (k = 0; k < n; k++)
		masks[k] = 1u << k;
	if (count_word_sets(c, q, masks, n, counts))
		return 0;
	for (k = 0; k < n; k++)
		if (counts[k] > 0) {
			keep |= 1u << k;
			if (counts[k] > best_n) {
				best_n = counts[k];
				best = 1u << k;
			}
		}
	for (int size = __builtin_popcount(keep) - (keep == (1u << n) - 1); size >= 2; size--) {
		size_t m = 0;

		for (unsigned mask = 1; mask < 1u << n && m < PARTIAL_BATCH; mask++)
			if ((mask & keep) == mask && __builtin_popcount(mask) == size)
				masks[m++] = mask;
		if (count_word_sets(c, q, masks, m, counts))
			return 0;
		best_n = 0;
		for (k = 0; k < m; k++)
			if (counts[k] > best_n) {
				best_n = counts[k];
				best = masks[k];
			}
		if (best_n > 0)
			return best;
	}
	return best;
}

static enum err run_search(struct senv *c, struct search_result *s)
{
	enum err e = run_sphinx(c, s);

	if (e == E_OK && s->total == 0 && s->q.nwords && s->matched <= 0) {
		/* Nothing found: try the closest catalog words. Not when the
		 * words match and only the filters leave nothing: the shopper
		 * spelled them right. */
		struct search_result t = *s;
		int changed = 0;

		for (size_t i = 0; i < s->q.nwords; i++) {
			const char *w = correct_word(c->a, s->q.words[i]);

			if (w) {
				t.q.words[i] = (char *)w;
				changed = 1;
			}
		}
		t.items = NULL;
		t.nitems = 0;
		if (changed && run_sphinx(c, &t) == E_OK && t.total > 0) {
			struct buf b;

			buf_init(&b, c->a, 64);
			for (size_t i = 0; i < t.q.nwords; i++)
				buf_printf(&b, "%s%s", i ? " " : "", t.q.words[i]);
			t.corrected = b.p;
			*s = t;
		} else if (s->q.nwords >= 2) {
			/* Still nothing: the products matching the most of the
			 * words (each corrected where it could be), and the page
			 * says which words those are. */
			unsigned mask = partial_words(c, &t.q);

			if (mask) {
				struct buf b;
				size_t nw = 0;

				buf_init(&b, c->a, 64);
				for (size_t i = 0; i < t.q.nwords; i++)
					if (mask & 1u << i) {
						buf_printf(&b, "%s%s", nw ? " " : "", t.q.words[i]);
						t.q.words[nw++] = t.q.words[i];
					}
				t.q.nwords = nw;
				t.items = NULL;
				t.nitems = 0;
				if (run_sphinx(c, &t) == E_OK && t.total > 0) {
					t.corrected = b.p;
					t.partial = 1;
					*s = t;
				}
			}
		}
	}
	if (e == E_UNAVAIL || e == E_DB) {
		static time_t warned;

		/* One line a minute per process is enough during an outage. */
		if (time(NULL) - warned >= 60) {
			warned = time(NULL);
			log_warn("search: searchd unavailable; answering from MariaDB");
		}
		c->db = db_for_read(c->db);	/* READ REPLICAS (issue 20) */
		e = run_fallback(c, s);
	}
	if (e == E_OK)
		add_photos(c, s->items, s->nitems);
	return e;
}

enum err search_run(struct db *db, struct kv *kv, struct arena *a, const struct search_query *q,
		    struct search_result *r)
{
	struct senv c = { db, kv, a };
	static time_t part_gone_until;
	int tries = time(NULL) < part_gone_until ? 1 : 5;
	enum err e;

	/* With nodes, the head answers without a part while it still takes a
	 * freshly killed agent for alive (a warning, not an error: the first
	 * few queries, 0.1-0.3 s here); its nodeads strategy then sends the
	 * part to the other mirror. Such an answer is never kept in a cache
	 * and is asked again, a few times over 0.4 s at most. When no mirror
	 * of a part answers (every answer lacks it), the search is answered
	 * from MariaDB, complete but degraded, as when searchd is away; for
	 * the next second without asking the head again first. */
	for (int attempt = 0;; attempt++) {
		sx.partial = 0;
		memset(r, 0, sizeof(*r));
		r->q = *q;
		e = run_search(&c, r);
		if (!sx.partial || e != E_OK || attempt + 1 >= tries)
			break;
		log_info("search: an answer lacked a part of the index (a dead agent); asking again");
		{
			struct timespec ts = { 0, (25L << attempt) * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (sx.partial && e == E_OK) {
		static time_t warned;

		part_gone_until = time(NULL) + 1;
		if (time(NULL) - warned >= 60) {
			warned = time(NULL);
			log_warn("search: no mirror of a part of the index answers; answering from MariaDB");
		}
		memset(r, 0, sizeof(*r));
		r->q = *q;
		if ((e = run_fallback(&c, r)) == E_OK)
			add_photos(&c, r->items, r->nitems);
	}
	return e;
}

/* Each keyword carries its best-selling products (the completions index of
 * autocomplete): "id:sales" pairs, best first. Searching 1M products for a
 * prefix and sorting every match by sales cost 10-20 ms; reading these
 * lists from the small keyword index costs well under one. */
#define TOPN 5
struct top {
	int64_t id[TOPN], sales[TOPN];
	int n;
};

/* Puts product id with sales into t (best first; ties: the higher id, the
 * newer product). Returns whether t changed. */
static int top_put(struct top *t, int64_t id, int64_t sales)
{
	int i, at;

	for (i = 0; i < t->n && t->id[i] != id; i++)
		;
	if (i < t->n) {
		if (t->sales[i] == sales)
			return 0;
		memmove(&t->id[i], &t->id[i + 1], (size_t)(t->n - i - 1) * sizeof(t->id[0]));
		memmove(&t->sales[i], &t->sales[i + 1], (size_t)(t->n - i - 1) * sizeof(t->sales[0]));
		t->n--;
	}
	for (at = 0; at < t->n && (t->sales[at] > sales || (t->sales[at] == sales && t->id[at] > id)); at++)
		;
	if (at >= TOPN)
		return 0;	/* not in the list, and the list is full of better */
	if (t->n == TOPN)
		t->n--;
	memmove(&t->id[at + 1], &t->id[at], (size_t)(t->n - at) * sizeof(t->id[0]));
	memmove(&t->sales[at + 1], &t->sales[at], (size_t)(t->n - at) * sizeof(t->sales[0]));
	t->id[at] = id;
	t->sales[at] = sales;
	t->n++;
	return 1;
}

static void top_parse(struct top *t, const char *s)
{
	long long id, sales;
	int used;

	t->n = 0;
	while (s && t->n < TOPN && sscanf(s, " %lld:%lld%n", &id, &sales, &used) == 2) {
		t->id[t->n] = id;
		t->sales[t->n++] = sales;
		s += used;
	}
}

static void top_print(struct buf *b, const struct top *t)
{
	buf_putc(b, '\'');
	for (int i = 0; i < t->n; i++)
		buf_printf(b, "%s%lld:%lld", i ? " " : "", (long long)t->id[i], (long long)t->sales[i]);
	buf_putc(b, '\'');
}

/* ---- autocomplete ---- */

/* The products of one word being typed: the best-sellers lists of the
 * completions (read with them from the suggestion index), merged by sales,
 * then read from MariaDB by primary key. */
static void suggest_top_products(struct senv *c, struct top *lists, size_t nlists, struct search_suggestions *out)
{
	int64_t id[TOPN * 8], sales[TOPN * 8];
	size_t n = 0, picked = 0;
	struct buf ids;
	struct db_res *r = NULL;
	int64_t order[TOPN];

	for (size_t l = 0; l < nlists; l++)
		for (int k = 0; k < lists[l].n && n < TOPN * 8; k++) {
			size_t j;

			for (j = 0; j < n && id[j] != lists[l].id[k]; j++)
				;
			if (j == n) {
				id[n] = lists[l].id[k];
				sales[n++] = lists[l].sales[k];
			}
		}
	buf_init(&ids, c->a, 128);
	buf_putc(&ids, '[');
	while (picked < TOPN && n) {
		size_t best = 0;

		for (size_t j = 1; j < n; j++)
			if (sales[j] > sales[best] || (sales[j] == sales[best] && id[j] > id[best]))
				best = j;
		order[picked] = id[best];
		buf_printf(&ids, "%s%lld", picked++ ? "," : "", (long long)id[best]);
		id[best] = id[--n];
		sales[best] = sales[n];
	}
	buf_putc(&ids, ']');
	if (!picked || db_exec(c->db, c->a, &sql[Q_SUGGEST_PRODUCTS], &r, "s", ids.p))
		return;
	for (size_t k = 0; k < picked; k++)
		for (size_t i = 0; i < r->nrows && out->nproducts < SEARCH_SUGGEST_PRODUCTS; i++) {
			if (db_int(r, i, 0) != order[k])
				continue;
			out->products[out->nproducts++] = (struct search_suggest_product){ order[k],
				db_cell(r, i, 1), db_cell(r, i, 2), db_int(r, i, 3), db_cell(r, i, 4) };
		}
}

_Static_assert(TOPN == SEARCH_SUGGEST_PRODUCTS, "a completion's products fill the suggestions");

/* A keyword completing what is typed, with its best-selling products. */
#define SUGGEST_CANDS SEARCH_SUGGEST_MAX
struct cand {
	const char *word;
	int64_t freq;
	int dist;
	struct top top;
};

static int cand_order(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->dist != y->dist ? x->dist - y->dist : (x->freq < y->freq) - (x->freq > y->freq);
}

/* The keywords of the suggestion index completing the word being typed:
 * those starting with it, the most frequent first; or, fuzzy, those whose
 * start is within an edit or two of it (from 4 letters typed: 1 up to 5,
 * else 2; only the closest are kept),
 * found by the trigrams of its start and ranked by that distance, then by
 * frequency ("iphn" and "headphnes" complete to "iphone" and
 * "headphones"). */
static size_t suggest_candidates(struct senv *c, const char *last, struct cand *out, int fuzzy)
{
	struct buf b, k;
	MYSQL_RES *r;
	MYSQL_ROW row;
	size_t n = strlen(last), nc = 0;
	struct cand all[64];
	size_t nall = 0;
	int maxd = n <= 5 ? 1 : 2;

	if (n < 2 || (fuzzy && (n < 4 || n > SEARCH_MAX_WORD)))
		return 0;
	buf_init(&b, c->a, 256);
	buf_init(&k, c->a, 128);
	buf_puts(&b, "SELECT keyword, top, freq FROM suggest WHERE MATCH(");
	if (!fuzzy) {
		buf_puts(&k, "@keyword_f ");
		search_escape_match(&k, last, n);
		buf_putc(&k, '*');
		search_quote(&b, k.p, k.len);
		buf_printf(&b, ") ORDER BY freq DESC LIMIT %d", SUGGEST_CANDS);
	} else {
		struct buf t;

		for (const char *p = last; *p; p++)
			if ((unsigned char)*p >= 0x80 || isdigit((unsigned char)*p))
				return 0;	/* model numbers and other scripts: as typed */
		/* The trigrams of the start: "__i _ip iph phn" for "iphn". */
		buf_init(&t, c->a, 128);
		search_trigrams(&t, last);
		t.len = n * 4 - 1;
		t.p[t.len] = '\0';
		buf_putc(&k, '"');
		search_escape_match(&k, t.p, t.len);
		buf_printf(&k, "\"/%d", n >= 7 ? 3 : n >= 5 ? 2 : 1);
		search_quote(&b, k.p, k.len);
		buf_printf(&b, ") AND len >= %lld ORDER BY WEIGHT() DESC, freq DESC LIMIT 64 "
			   "OPTION ranker = wordcount", (long long)n - maxd);
	}
	if (sx_query(b.p, b.len) || !(r = sx_result(c->a, 1))) {
		sx_drain();
		return 0;
	}
	while ((row = mysql_fetch_row(r)) && nall < 64) {
		struct cand *x = &all[nall];
		int d = 0;

		if (!row[0])
			continue;
		if (fuzzy) {
			/* The distance from what is typed to the keyword's
			 * start of about its length. */
			size_t kl = strlen(row[0]);
			char pre[SEARCH_MAX_WORD + 8];

			d = maxd + 1;
			for (size_t l = n > (size_t)maxd ? n - (size_t)maxd : 1; l <= n + (size_t)maxd && l <= kl &&
			     l < sizeof(pre); l++) {
				int dl;

				memcpy(pre, row[0], l);
				pre[l] = '\0';
				if ((dl = search_edit_distance(last, pre, maxd)) < d)
					d = dl;
			}
			if (d > maxd)
				continue;
		}
		x->word = arena_strdup(c->a, row[0]);
		x->freq = num(row[2]);
		x->dist = d;
		top_parse(&x->top, row[1]);
		nall++;
	}
	sx_drain();
	if (fuzzy && nall)
		qsort(all, nall, sizeof(all[0]), cand_order);
	/* Fuzzy: only the closest ("mascr" is mascara, not master). */
	for (size_t i = 0; i < nall && nc < SUGGEST_CANDS && all[i].dist == all[0].dist; i++)
		out[nc++] = all[i];
	return nc;
}

/* Keeps in cs only the completions whose search (the words before, then
 * the completion) finds a product: a keyword can outlive its products (the
 * suggestion index keeps words until the next reindex), and two words can
 * each be in the catalog but never together. One batch, each statement
 * stopping at its first match. -1 when searchd did not answer (cs kept as
 * it was: an outage is not "no results"). */
static int completions_check(struct senv *c, char **words, size_t nw, struct cand *cs, size_t *nc)
{
	const char *index;
	struct buf b;
	size_t kept = 0;
	int ok[SUGGEST_CANDS] = {0};

	if (!*nc)
		return 0;
	if (active_index(&index))
		return -1;
	buf_init(&b, c->a, 256 * *nc);
	for (size_t k = 0; k < *nc; k++) {
		struct search_query q = {0};

		for (size_t i = 0; i + 1 < nw; i++)
			q.words[q.nwords++] = words[i];
		q.words[q.nwords++] = (char *)cs[k].word;
		buf_printf(&b, "%sSELECT id FROM %s", k ? "; " : "", index);
		put_where(&b, &q, 0);
		buf_puts(&b, " LIMIT 1 OPTION ranker = none, cutoff = 1");
	}
	if (b.oom || sx_query(b.p, b.len))
		return -1;
	for (size_t k = 0; k < *nc; k++) {
		MYSQL_RES *r = sx_result(c->a, k == 0);

		if (!r) {
			sx_drain();
			return -1;
		}
		ok[k] = mysql_num_rows(r) > 0;
	}
	sx_drain();
	for (size_t k = 0; k < *nc; k++)
		if (ok[k])
			cs[kept++] = cs[k];
	*nc = kept;
	return 0;
}

void search_suggest(struct db *db, struct kv *kv, struct arena *a, const char *text,
		    struct search_suggestions *out)
{
	struct senv env = { db, kv, a }, *c = &env;
	char store[1100];
	char *words[SEARCH_MAX_WORDS];
	size_t nw = text ? search_words(text, strlen(text) > 1000 ? 1000 : strlen(text), store, words) : 0;
	struct top lists[8];
	char *alts[8];
	size_t nlists = 0;
	struct search_result s;

	memset(out, 0, sizeof(*out));
	if (!nw)
		return;
	/* Completions: catalog keywords starting with the last word, by
	 * frequency (else, a typo in it, the keywords whose start is close to
	 * it), put after the words before it, each kept only when the search
	 * it leads to finds something; with each, its best-selling products. */
	{
		struct cand cs[SUGGEST_CANDS];
		size_t nc = suggest_candidates(c, words[nw - 1], cs, 0);
		int tries = 0;

		if (!completions_check(c, words, nw, cs, &nc) && !nc && strlen(words[nw - 1]) >= 4) {
			nc = suggest_candidates(c, words[nw - 1], cs, 1);
			tries = 1;
			completions_check(c, words, nw, cs, &nc);
		}
		if (!nc && nw > 1) {
			/* The earlier words may hold the typo: corrected,
			 * then the last word's completions once more. */
			int changed = 0;

			for (size_t i = 0; i + 1 < nw; i++) {
				const char *w = correct_word(c->a, words[i]);

				if (w) {
					words[i] = (char *)w;
					changed = 1;
				}
			}
			if (changed) {
				nc = suggest_candidates(c, words[nw - 1], cs, 0);
				completions_check(c, words, nw, cs, &nc);
				if (!nc && !tries && strlen(words[nw - 1]) >= 4) {
					nc = suggest_candidates(c, words[nw - 1], cs, 1);
					completions_check(c, words, nw, cs, &nc);
				}
			}
		}
		for (size_t k = 0; k < nc && nlists < 8; k++) {
			struct buf pre;

			buf_init(&pre, c->a, 64);
			for (size_t i = 0; i + 1 < nw; i++)
				buf_printf(&pre, "%s ", words[i]);
			buf_puts(&pre, cs[k].word);
			out->completions[out->ncompletions++] = pre.p;
			alts[nlists] = (char *)cs[k].word;
			lists[nlists++] = cs[k].top;
		}
	}
	if (!nlists)
		return;	/* nothing the shopper types can be found: no products either */
	if (nw == 1) {
		/* One word: the completions index answers; no search of the
		 * products at all. */
		suggest_top_products(c, lists, nlists, out);
		return;
	}
	/* Several words: the earlier ones narrow the products, so a search,
	 * a lean one (titles and brands, best-selling first, no ranking). */
	memset(&s, 0, sizeof(s));
	memcpy(s.q.words, words, sizeof(words));
	s.q.nwords = nw;
	s.q.prefix = 1;
	s.q.lean = 1;
	s.q.limit = SEARCH_SUGGEST_PRODUCTS;
	/* The last word as the completions above, not as a prefix: searchd
	 * expands a prefix to every word of the catalog it begins, words of
	 * descriptions too, and checking each match of those for a title or
	 * brand hit made "smart bac" 12 ms at a million products against
	 * 0.8 ms for "smart (backpack)". The completions are the title, brand
	 * and category words the prefix begins, the most frequent first. */
	for (size_t i = 0; i < nlists && alts[i]; i++)
		s.q.alts[s.q.nalts++] = alts[i];
	if (run_sphinx(c, &s) == E_OK)
		for (size_t i = 0; i < s.nitems && out->nproducts < SEARCH_SUGGEST_PRODUCTS; i++)
			out->products[out->nproducts++] = (struct search_suggest_product){ s.items[i].id,
				s.items[i].title ? s.items[i].title : "", s.items[i].slug ? s.items[i].slug : "",
				s.items[i].price, NULL };
}

/* ---- a search that found nothing ---- */

/* Catalog words close to w (trigrams, then edit distance: 1 for words of 3
 * or 4 letters, else 2), the closest and most frequent first, w itself
 * left out. */
static size_t word_candidates(struct arena *a, const char *w, const char **out, size_t max)
{
	struct buf b, t, m;
	MYSQL_RES *r;
	MYSQL_ROW row;
	size_t n = strlen(w), nall = 0, nc = 0;
	int maxd = n <= 4 ? 1 : 2;
	struct cand all[40];

	if (n < 3 || n > SEARCH_MAX_WORD)
		return 0;
	for (const char *p = w; *p; p++)
		if ((unsigned char)*p >= 0x80 || isdigit((unsigned char)*p))
			return 0;
	buf_init(&t, a, 128);
	search_trigrams(&t, w);
	buf_init(&m, a, 160);
	buf_putc(&m, '"');
	search_escape_match(&m, t.p, t.len);
	buf_printf(&m, "\"/%d", n >= 6 ? 2 : 1);
	buf_init(&b, a, 512);
	buf_puts(&b, "SELECT keyword, freq FROM suggest WHERE MATCH(");
	search_quote(&b, m.p, m.len);
	buf_printf(&b, ") AND len >= %lld AND len <= %lld ORDER BY WEIGHT() DESC, freq DESC LIMIT 40 "
		   "OPTION ranker = wordcount", (long long)n - maxd, (long long)n + maxd);
	if (sx_query(b.p, b.len) || !(r = sx_result(a, 1))) {
		sx_drain();
		return 0;
	}
	while ((row = mysql_fetch_row(r)) && nall < 40) {
		int d;

		if (!row[0] || !strcmp(row[0], w) || (d = search_edit_distance(w, row[0], maxd)) > maxd)
			continue;
		all[nall++] = (struct cand){ arena_strdup(a, row[0]), num(row[1]), d, { {0}, {0}, 0 } };
	}
	sx_drain();
	if (nall)
		qsort(all, nall, sizeof(all[0]), cand_order);
	for (size_t i = 0; i < nall && nc < max; i++)
		out[nc++] = all[i].word;
	return nc;
}

void search_help(struct db *db, struct kv *kv, struct arena *a, const struct search_query *q,
		 struct search_help *out)
{
	struct senv env = { db, kv, a }, *c = &env;
	struct search_query qs[PARTIAL_BATCH];
	const char *texts[PARTIAL_BATCH];
	int64_t counts[PARTIAL_BATCH];
	size_t n = 0, unf = PARTIAL_BATCH;

	memset(out, 0, sizeof(*out));
	/* Spellings: each word replaced by a close catalog word, kept when
	 * the search then finds something. */
	for (size_t i = 0; i < q->nwords && n + 1 < PARTIAL_BATCH; i++) {
		const char *alt[3];
		size_t na = word_candidates(a, q->words[i], alt, 3);

		for (size_t k = 0; k < na && n + 1 < PARTIAL_BATCH; k++) {
			struct buf b;

			qs[n] = words_of(q, ~0u);
			qs[n].words[i] = (char *)alt[k];
			buf_init(&b, a, 64);
			for (size_t j = 0; j < qs[n].nwords; j++)
				buf_printf(&b, "%s%s", j ? " " : "", qs[n].words[j]);
			texts[n++] = b.p;
		}
	}
	/* The words without the filters. */
	if (q->nwords && (q->category > 0 || q->brand || q->has_min || q->has_max || q->min_rating || q->in_stock)) {
		qs[n] = words_of(q, ~0u);
		qs[n].category = 0;
		qs[n].brand = NULL;
		qs[n].has_min = qs[n].has_max = 0;
		qs[n].min_rating = 0;
		qs[n].in_stock = 0;
		unf = n++;
	}
	if (n && !count_queries(c, qs, n, counts)) {
		for (size_t k = 0; k < n; k++) {
			size_t at;

			if (k == unf) {
				out->unfiltered = counts[k] > 0 ? counts[k] : 0;
				continue;
			}
			if (counts[k] <= 0)
				continue;
			/* The most products first. */
			for (at = out->nspelling; at > 0 && out->spelling_count[at - 1] < counts[k]; at--)
				;
			if (at >= SEARCH_HELP_SPELLINGS)
				continue;
			for (size_t j = out->nspelling < SEARCH_HELP_SPELLINGS ? out->nspelling :
			     SEARCH_HELP_SPELLINGS - 1; j > at; j--) {
				out->spelling[j] = out->spelling[j - 1];
				out->spelling_count[j] = out->spelling_count[j - 1];
			}
			out->spelling[at] = texts[k];
			out->spelling_count[at] = counts[k];
			if (out->nspelling < SEARCH_HELP_SPELLINGS)
				out->nspelling++;
		}
	}
}

/* ---- writing the index ---- */

/* The values of row i of r for the REPLACE: the document id, then each
 * column of the index (schema.c) in its order. */
static void put_doc_values(struct buf *b, const struct db_res *r, size_t i)
{
	buf_printf(b, "(%lld", (long long)db_int(r, i, D_ID));
	for (size_t k = 0; k < search_ncolumns; k++) {
		const struct search_column *col = &search_columns[k];
		const char *v = db_cell(r, i, col->doc);
		size_t n;

		buf_puts(b, ", ");
		switch (col->value) {
		case SV_TEXT:
			search_quote(b, v ? v : "", v ? strlen(v) : 0);
			break;
		case SV_SNIPPET:
			/* The snippet copy is cut at a character boundary. */
			n = v ? strlen(v) : 0;
			if (n > SNIPPET_BYTES) {
				n = SNIPPET_BYTES;
				while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
					n--;
			}
			search_quote(b, v ? v : "", n);
			break;
		case SV_INT:
			buf_printf(b, "%lld", (long long)db_int(r, i, col->doc));
			break;
		case SV_BRAND_ID:
			buf_printf(b, "%u", brand_id(v));
			break;
		case SV_FKEY:
			buf_printf(b, "%lld", (long long)search_facet_key(db_int(r, i, D_CAT), db_int(r, i, D_PRICE),
									  db_int(r, i, D_RATING), db_int(r, i, D_STOCK)));
			break;
		case SV_CATS:
			buf_printf(b, "(%lld", (long long)db_int(r, i, D_CAT));
			if (db_int(r, i, D_PARENT))
				buf_printf(b, ", %lld", (long long)db_int(r, i, D_PARENT));
			buf_putc(b, ')');
			break;
		}
	}
	buf_putc(b, ')');
}

/* REPLACEs the rows of r whose id % nparts is part (all of them when
 * nparts is 1) into index on node c (NULL: the one searchd). */
static enum err write_docs(struct sconn *c, const char *index, const struct db_res *r, int nparts, int part)
{
	struct buf b;
	size_t k = 0;
	enum err e;

	if (!r->nrows)
		return E_OK;
	buf_init(&b, NULL, 64 * 1024);
	buf_printf(&b, doc_insert, index);
	for (size_t i = 0; i < r->nrows; i++) {
		if (nparts > 1 && db_int(r, i, D_ID) % nparts != part)
			continue;
		if (k++)
			buf_puts(&b, ", ");
		put_doc_values(&b, r, i);
	}
	e = !k ? E_OK : b.oom ? E_NOMEM : cx_exec(c, b.p, b.len);
	buf_free(&b);
	return e;
}

/* Writes r's documents into index where they belong: the one searchd, or
 * (SHOP_SEARCH_NODES) every mirror of each document's part. strict (a
 * reindex): every mirror must take them; otherwise one of each part is
 * enough, the other being caught up later by the reconciler. */
static enum err index_put(const char *index, const struct db_res *r, int strict)
{
	if (!nodes.nparts)
		return write_docs(NULL, index, r, 1, 0);
	for (int p = 0; p < nodes.nparts; p++) {
		enum err e = E_UNAVAIL, f;
		int ok = 0;

		for (int m = 0; m < nodes.nmirrors[p]; m++) {
			if (!(f = write_docs(&nodes.n[p][m], index, r, nodes.nparts, p)))
				ok++;
			else if (strict)
				return f;
			else
				e = f;
		}
		if (!ok)
			return e;
	}
	return E_OK;
}

/* Runs a write about the product index (DELETE, TRUNCATE) on the one
 * searchd, or on every node; strict as in index_put. */
static enum err index_every(const char *q, size_t n, int strict)
{
	if (!nodes.nparts)
		return sx_exec(q, n);
	for (int p = 0; p < nodes.nparts; p++) {
		enum err e = E_UNAVAIL, f;
		int ok = 0;

		for (int m = 0; m < nodes.nmirrors[p]; m++) {
			if (!(f = node_run(&nodes.n[p][m], q, n, NULL)))
				ok++;
			else if (strict)
				return f;
			else
				e = f;
		}
		if (!ok)
			return e;
	}
	return E_OK;
}

/* ---- the suggestion index (built with every reindex) ---- */

struct vocab {
	char **w;
	int64_t *f;
	struct top *t;
	size_t cap, n;
};

static size_t vhash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Counts w once more and offers it product id with sales. */
static void vocab_add(struct vocab *v, const char *w, int64_t id, int64_t sales)
{
	size_t i;

	if (v->n * 2 >= v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		struct vocab g = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(int64_t)),
				   calloc(cap, sizeof(struct top)), cap, 0 };

		if (!g.w || !g.f || !g.t) {
			free(g.w);
			free(g.f);
			free(g.t);
			return;
		}
		for (size_t k = 0; k < v->cap; k++) {
			if (!v->w[k])
				continue;
			for (i = vhash(v->w[k]) & (g.cap - 1); g.w[i]; i = (i + 1) & (g.cap - 1))
				;
			g.w[i] = v->w[k];
			g.f[i] = v->f[k];
			g.t[i] = v->t[k];
			g.n++;
		}
		free(v->w);
		free(v->f);
		free(v->t);
		*v = g;
	}
	for (i = vhash(w) & (v->cap - 1); v->w[i]; i = (i + 1) & (v->cap - 1))
		if (!strcmp(v->w[i], w)) {
			v->f[i]++;
			top_put(&v->t[i], id, sales);
			return;
		}
	if ((v->w[i] = strdup(w))) {
		v->f[i] = 1;
		top_put(&v->t[i], id, sales);
		v->n++;
	}
}

/* Counts the words of a product's title, brand and category (each once per
 * product): what shoppers type. */
static void vocab_doc(struct vocab *v, const struct db_res *r, size_t row)
{
	char store[4096], *words[SEARCH_MAX_WORDS], seen[3 * SEARCH_MAX_WORDS][SEARCH_MAX_WORD + 8];
	size_t ns = 0;
	const int cols[] = { D_TITLE, D_BRAND, D_CATEGORY };

	for (size_t k = 0; k < 3; k++) {
		const char *t = db_cell(r, row, cols[k]);
		size_t n = strlen(t), nw;

		if (n > 1000)
			n = 1000;
		nw = search_words(t, n, store, words);
		for (size_t i = 0; i < nw; i++) {
			size_t j, len = strlen(words[i]);
			int ok = len >= 2 && len <= SEARCH_MAX_WORD, letters = 0;

			/* Words with a letter only: numbers (model numbers, sizes)
			 * are never corrected and would swamp the vocabulary. */
			for (const char *p = words[i]; *p && ok; p++) {
				ok = isalnum((unsigned char)*p);
				letters |= isalpha((unsigned char)*p);
			}
			ok = ok && letters;
			for (j = 0; ok && j < ns; j++)
				if (!strcmp(seen[j], words[i]))
					ok = 0;
			if (!ok)
				continue;
			snprintf(seen[ns++], sizeof(seen[0]), "%s", words[i]);
			vocab_add(v, words[i], db_int(r, row, D_ID), db_int(r, row, D_SALES));
		}
	}
}

/* A keyword's document id in the suggestion index: a hash of the word
 * (63-bit FNV-1a, never 0), so the indexer can ask whether a word is there
 * by id. A collision would only keep one of two words out of the index. */
static unsigned long long word_id(const char *w)
{
	unsigned long long h = 1469598103934665603ULL;

	for (; *w; w++)
		h = (h ^ (unsigned char)*w) * 1099511628211ULL;
	h &= 0x7fffffffffffffffULL;
	return h ? h : 1;
}

#define SUGGEST_INSERT "REPLACE INTO suggest (id, trigrams, keyword_f, keyword, freq, len, top) VALUES "

/* One row of the suggestion index's REPLACE. */
static void suggest_row(struct buf *b, const char *w, int64_t freq, const struct top *t)
{
	buf_printf(b, "(%llu, '", word_id(w));
	search_trigrams(b, w);
	buf_puts(b, "', ");
	search_quote(b, w, strlen(w));
	buf_puts(b, ", ");
	search_quote(b, w, strlen(w));
	buf_printf(b, ", %lld, %zu, ", (long long)freq, strlen(w));
	top_print(b, t);
	buf_putc(b, ')');
}

static enum err suggest_write(struct vocab *v)
{
	struct buf b;
	size_t inrow = 0;
	enum err e = E_OK;
	static const char trunc[] = "TRUNCATE RTINDEX suggest";

	if ((e = sx_exec(trunc, sizeof(trunc) - 1)))
		return e;
	buf_init(&b, NULL, 64 * 1024);
	for (size_t i = 0; i < v->cap && !e; i++) {
		if (!v->w[i])
			continue;
		if (!inrow)
			buf_puts(&b, SUGGEST_INSERT);
		else
			buf_puts(&b, ", ");
		suggest_row(&b, v->w[i], v->f[i], &v->t[i]);
		if (++inrow == 1000) {
			e = b.oom ? E_NOMEM : sx_exec(b.p, b.len);
			buf_reset(&b);
			inrow = 0;
		}
	}
	if (!e && inrow)
		e = b.oom ? E_NOMEM : sx_exec(b.p, b.len);
	buf_free(&b);
	return e;
}

static void vocab_free(struct vocab *v)
{
	for (size_t i = 0; i < v->cap; i++)
		free(v->w[i]);
	free(v->w);
	free(v->f);
	free(v->t);
}

/* Keeps the suggestion index current between reindexes, from the products
 * the indexer just wrote: words it lacks are added (their frequency is their
 * count in this batch; the next reindex counts them exactly), so a new
 * product's unusual word can be typo-corrected and completed at once; and
 * each word's best-sellers list takes these products in by their sales.
 * Frequencies of words already there are kept. A product that left a word
 * (archived, renamed) stays in its list until the next reindex; the
 * autocomplete reads only active products, so it never shows one. */
static enum err suggest_refresh(struct arena *a, const struct db_res *docs)
{
	struct vocab v = {0};
	struct buf q, ins;
	MYSQL_RES *r;
	MYSQL_ROW row;
	size_t written = 0;
	char *seen;
	enum err e = E_OK;

	for (size_t i = 0; i < docs->nrows; i++)
		vocab_doc(&v, docs, i);
	if (!v.n)
		goto out;
	if (!(seen = arena_alloc(a, v.cap))) {
		e = E_NOMEM;
		goto out;
	}
	memset(seen, 0, v.cap);
	buf_init(&q, a, 4096);
	buf_puts(&q, "SELECT keyword, freq, top FROM suggest WHERE id IN (");
	for (size_t i = 0, k = 0; i < v.cap; i++)
		if (v.w[i])
			buf_printf(&q, "%s%llu", k++ ? ", " : "", word_id(v.w[i]));
	buf_printf(&q, ") LIMIT %zu OPTION max_matches = %zu", v.n, v.n);
	if ((e = q.oom ? E_NOMEM : sx_query(q.p, q.len)))
		goto out;
	buf_init(&ins, a, 4096);
	buf_puts(&ins, SUGGEST_INSERT);
	if ((r = sx_result(a, 1)))
		while ((row = mysql_fetch_row(r))) {
			size_t i;
			struct top t;
			int changed = 0;

			if (!row[0])
				continue;
			for (i = vhash(row[0]) & (v.cap - 1); v.w[i] && strcmp(v.w[i], row[0]); i = (i + 1) & (v.cap - 1))
				;
			if (!v.w[i])
				continue;
			seen[i] = 1;
			top_parse(&t, row[2]);
			for (int k = 0; k < v.t[i].n; k++)
				changed |= top_put(&t, v.t[i].id[k], v.t[i].sales[k]);
			if (!changed)
				continue;
			if (written++)
				buf_puts(&ins, ", ");
			suggest_row(&ins, v.w[i], num(row[1]), &t);
		}
	sx_drain();
	for (size_t i = 0; i < v.cap; i++) {
		if (!v.w[i] || seen[i])
			continue;
		if (written++)
			buf_puts(&ins, ", ");
		suggest_row(&ins, v.w[i], v.f[i], &v.t[i]);
	}
	if (written)
		e = ins.oom ? E_NOMEM : sx_exec(ins.p, ins.len);
out:
	vocab_free(&v);
	return e;
}

/* ---- shopctl reindex ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The disk chunks of an RT index (SHOW INDEX ... STATUS) on node c (NULL:
 * the one searchd), -1 on error. */
static int64_t disk_chunks(struct sconn *c, const char *index)
{
	char q[128];
	int n = snprintf(q, sizeof(q), "SHOW INDEX %s STATUS", index);
	int64_t chunks = -1;
	MYSQL_RES *r;
	MYSQL_ROW row;

	if (cx_select(c, q, (size_t)n, &r))
		return -1;
	while ((row = mysql_fetch_row(r)))
		if (row[0] && !strcmp(row[0], "disk_chunks"))
			chunks = num(row[1]);
	mysql_free_result(r);
	return chunks;
}

/* Leaves a freshly built index as one disk chunk before it serves: written
 * 500 documents at a time, 1M products end up in a RAM chunk of many
 * segments beside several disk chunks, and every search walks each of them
 * (measured at 1M: 35 ms for a word with 33,000 matches, against 5-13 ms
 * once compacted). FLUSH RAMCHUNK turns the RAM chunk into a disk chunk;
 * OPTIMIZE merges the disk chunks in the background, so this waits for it
 * (about 30 s at 1M). Searches and the indexer go on meanwhile. */
static enum err compact(struct sconn *c, const char *index, double t0)
{
	char q[128];
	int n = snprintf(q, sizeof(q), "FLUSH RAMCHUNK %s", index);
	int64_t chunks;
	enum err e;

	if ((e = cx_exec(c, q, (size_t)n)))
		return e;
	if ((chunks = disk_chunks(c, index)) <= 1)
		return chunks < 0 ? E_DB : E_OK;
	fprintf(stderr, "reindex: merging %lld disk chunks %.1fs\n", (long long)chunks, now_s() - t0);
	n = snprintf(q, sizeof(q), "OPTIMIZE INDEX %s", index);
	if ((e = cx_exec(c, q, (size_t)n)))
		return e;
	for (int i = 0; i < 20 * 60 * 10; i++) {	/* at most 20 minutes */
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if ((chunks = disk_chunks(c, index)) < 0)
			return E_DB;
		if (chunks <= 1)
			break;
	}
	fprintf(stderr, "reindex: merged %.1fs\n", now_s() - t0);
	return E_OK;
}

int search_cmd_reindex(int argc, char **argv)
{
	struct db *db = NULL;
	struct arena *a = arena_new(1 << 20);
	struct db_res *r = NULL;
	struct vocab v = {0};
	int active = 0, target, rc = 1;
	int64_t outbox = 0, start_seq = 0, total = 0, done = 0, after = 0;
	double t0 = now_s();
	char q[128];
	int n;
	enum err e;

	(void)argv;
	if (argc != 1)
		return 2;
	if (!a || db_open(&db)) {
		fprintf(stderr, "shopctl: cannot reach MariaDB\n");
		goto out;
	}
	if (meta_read(&active, &outbox)) {
		fprintf(stderr, "shopctl: cannot reach searchd at %s:%u\n", scfg.host, scfg.port);
		goto out;
	}
	/* Changes from here on are in the stream after this seq: the indexer
	 * is moved back to it after the switch, so nothing made during the
	 * build is lost (one committed but not yet sequenced gets a later seq). */
	if ((e = event_head(db, a, &start_seq)))
		goto out;
	if ((e = db_exec(db, a, &sql[Q_ACTIVE_COUNT], &r, "")))
		goto out;
	total = db_int(r, 0, 0);
	target = outbox < 0 ? active : !active;	/* a first build goes straight to the active copy */
	n = snprintf(q, sizeof(q), "TRUNCATE RTINDEX %s", index_names[target]);
	/* With nodes, every one of them: a copy that switches in must be
	 * whole on every mirror. */
	if (index_every(q, (size_t)n, 1)) {
		if (nodes.nparts)
			fprintf(stderr, "shopctl: a search node is down or refused (see above); nothing switched\n");
		goto out;
	}
	fprintf(stderr, "reindex: building %s from %lld products\n", index_names[target], (long long)total);
	for (;;) {
		if ((e = db_exec(db, a, &sql[Q_DOCS_AFTER], &r, "ii", after, (int64_t)BATCH))) {
			fprintf(stderr, "shopctl: reading products: %s\n", db_error(db));
			goto out;
		}
		if (!r->nrows)
			break;
		if ((e = index_put(index_names[target], r, 1))) {
			fprintf(stderr, "shopctl: writing to searchd failed (%s)\n",
				nodes.nparts ? "a node: see above" : sx.my ? mysql_error(sx.my) : "down");
			goto out;
		}
		for (size_t i = 0; i < r->nrows; i++)
			vocab_doc(&v, r, i);
		done += (int64_t)r->nrows;
		after = db_int(r, r->nrows - 1, D_ID);
		arena_reset(a);
		if (done % 20000 < BATCH || done == total)
			fprintf(stderr, "reindex: %lld/%lld (%lld%%) %.1fs\n", (long long)done, (long long)total,
				(long long)(total ? done * 100 / total : 100), now_s() - t0);
	}
	if (!nodes.nparts) {
		if (compact(NULL, index_names[target], t0))
			goto out;
	} else
		for (int p = 0; p < nodes.nparts; p++)
			for (int m = 0; m < nodes.nmirrors[p]; m++)
				if (compact(&nodes.n[p][m], index_names[target], t0))
					goto out;
	if (suggest_write(&v)) {
		fprintf(stderr, "shopctl: writing the suggestion index failed\n");
		goto out;
	}
	/* The switch: one write; workers see it within META_TTL. */
	if (meta_write(target, 0))
		goto out;
	{
		int64_t pos = -1;

		if (event_consumer_position(db, a, SEARCH_CONSUMER, &pos) ||
		    ((pos < 0 || pos > start_seq) && event_consumer_set_position(db, a, SEARCH_CONSUMER, start_seq))) {
			fprintf(stderr, "shopctl: moving the indexer back to the build's start: %s\n", db_error(db));
			goto out;
		}
	}
	{
		/* Cached facets were counted on the copy before. */
		struct kv *kv = NULL;

		kv_open(&kv);
		facet_gen_bump(kv, a);
		kv_close(kv);
	}
	printf("reindexed %lld products into %s (%zu keywords) in %.1fs\n", (long long)done,
	       index_names[target], v.n, now_s() - t0);
	rc = 0;
out:
	vocab_free(&v);
	db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}

/* ---- jobs ---- */

/* The indexer, the stream's "search-index" consumer: each event names a
 * product (search_index_event gathers them); search_index_flush re-reads
 * the batch's products from MariaDB and replaces (or deletes) them in both
 * copies. Writes are whole documents read after the events, so a replay is
 * harmless. */
#define INDEX_IDS 1000
static int64_t pending_ids[INDEX_IDS];
static char pending_stock[INDEX_IDS];	/* a StockChanged event named it */
static size_t npending;

enum err search_index_event(struct db *db, struct kv *kv, struct arena *a, const struct event *ev)
{
	int stock = ev->type == EV_STOCK_CHANGED;
	size_t i;

	(void)db;
	(void)kv;
	(void)a;
	for (i = 0; i < npending && pending_ids[i] != ev->aggregate; i++)
		;
	if (i == INDEX_IDS)
		return E_UNAVAIL;	/* cannot happen: the batch is smaller */
	if (i == npending) {
		pending_ids[npending] = ev->aggregate;
		pending_stock[npending++] = 0;
	}
	pending_stock[i] |= stock;
	return E_OK;
}

static enum err index_flush(struct db *db, struct kv *kv, struct arena *a)
{
	struct db_res *docs = NULL;
	struct buf ids, del;
	int active;
	int64_t built;
	enum err e;

	if (!npending)
		return E_OK;
	buf_init(&ids, a, 4096);
	buf_putc(&ids, '[');
	for (size_t i = 0; i < npending; i++)
		buf_printf(&ids, "%s%lld", i ? "," : "", (long long)pending_ids[i]);
	buf_putc(&ids, ']');
	/* The stock read model of the products whose units moved, first
	 * (stock_total is in the documents): a checkout's hold leaves it to
	 * this follower. It is written even when searchd is away (a retried
	 * batch writes it again, from the rows as they are then). */
	{
		struct buf st;

		buf_init(&st, a, 1024);
		for (size_t i = 0; i < npending; i++)
			if (pending_stock[i])
				buf_printf(&st, "%s%lld", st.len ? "," : "[", (long long)pending_ids[i]);
		if (st.len) {
			buf_putc(&st, ']');
			if ((e = catalog_refresh_stock_many(db, a, st.p)))
				return e;
		}
	}
	if (meta_read(&active, &built))
		return E_UNAVAIL;
	/* No meta document: a new or lost index. Mark it; the reconciliation
	 * job fills in everything older (`shopctl reindex` does it faster). */
	if (built < 0 && meta_write(active, 0))
		return E_UNAVAIL;
	if ((e = db_exec(db, a, &sql[Q_DOCS_IDS], &docs, "s", ids.p)))
		return e;
	/* Products no longer active leave the index. */
	buf_init(&del, a, 4096);
	for (size_t i = 0; i < npending; i++) {
		int found = 0;

		for (size_t j = 0; j < docs->nrows && !found; j++)
			found = db_int(docs, j, D_ID) == pending_ids[i];
		if (!found)
			buf_printf(&del, "%s%lld", del.len ? ", " : "", (long long)pending_ids[i]);
	}
	for (int k = 0; k < 2; k++) {
		if (index_put(index_names[k], docs, 0))
			return E_UNAVAIL;
		if (del.len) {
			char *q = arena_printf(a, "DELETE FROM %s WHERE id IN (%s)", index_names[k], del.p);

			if (!q || index_every(q, strlen(q), 0))
				return E_UNAVAIL;
		}
	}
	/* Cached facets were counted before these documents. */
	facet_gen_bump(kv, a);
	/* The products come first: a suggestion index that refuses the
	 * words (an old schema) must not hold up their freshness. */
	if (docs->nrows && suggest_refresh(a, docs)) {
		static time_t warned;

		if (time(NULL) - warned >= 60) {
			warned = time(NULL);
			log_warn("search: the suggestion index did not take new words (see searchd's log)");
		}
	}
	return E_OK;
}

enum err search_index_flush(struct db *db, struct kv *kv, struct arena *a)
{
	enum err e = index_flush(db, kv, a);

	npending = 0;	/* done, or the batch comes again */
	return e;
}

/* Reconciliation: walks the catalog in id order, a chunk per call, and
 * compares price, stock, rating and updated_at with the active copy;
 * anything different or missing is rewritten, anything in the index but not
 * active in MariaDB is deleted. The position lives in the process: a
 * restarted job starts over, which is only more work. With nodes
 * (SHOP_SEARCH_NODES) every node is compared on its own with the products
 * of its part, so a mirror that was down (and missed writes the other
 * took) is caught up, whatever the head would have shown. */

/* One node's (c; NULL: the one searchd) share of a chunk: the active
 * products r (ids in (after, hi]) whose id % nparts is part, against what
 * index holds there. 0 done (*fixed counts the repairs), -1 a server is
 * unavailable. */
static int reconcile_on(struct sconn *c, struct db *db, struct kv *kv, struct arena *a, const char *index,
			const struct db_res *r, int64_t after, int64_t hi, int nparts, int part, int64_t *fixed)
{
	struct db_res *docs = NULL;
	struct buf q, ids, del;
	MYSQL_RES *res;
	MYSQL_ROW row;
	enum err e;

	(void)kv;
	buf_init(&q, a, 256);
	buf_printf(&q, "SELECT id, price, stock, rating, updated FROM %s WHERE id > %lld AND id <= %lld "
		   "ORDER BY id ASC LIMIT %d OPTION max_matches = %d", index, (long long)after,
		   (long long)hi, BATCH * 2, BATCH * 2);
	if (q.oom || cx_select(c, q.p, q.len, &res))
		return -1;
	if (arena_on_reset(a, free_result, res)) {
		mysql_free_result(res);
		return -1;
	}
	buf_init(&ids, a, 4096);
	buf_init(&del, a, 1024);
	{
		size_t i = 0;

		/* A merge of two id-ordered lists. */
		row = mysql_fetch_row(res);
		while (i < r->nrows || row) {
			int64_t dbid = i < r->nrows ? db_int(r, i, 0) : INT64_MAX;
			int64_t ixid = row ? num(row[0]) : INT64_MAX;

			if (dbid != INT64_MAX && nparts > 1 && dbid % nparts != part) {
				i++;	/* another part's product */
				continue;
			}
			if (ixid < dbid) {
				buf_printf(&del, "%s%lld", del.len ? ", " : "", (long long)ixid);
				row = mysql_fetch_row(res);
				continue;
			}
			if (dbid < ixid || num(row[1]) != db_int(r, i, 1) || num(row[2]) != db_int(r, i, 2) ||
			    num(row[3]) != db_int(r, i, 3) || num(row[4]) != db_int(r, i, 4)) {
				buf_printf(&ids, "%s%lld", ids.len ? "," : "[", (long long)dbid);
				(*fixed)++;
			}
			if (dbid == ixid)
				row = mysql_fetch_row(res);
			i++;
		}
	}
	if (ids.len) {
		buf_putc(&ids, ']');
		if ((e = db_exec(db, a, &sql[Q_DOCS_IDS], &docs, "s", ids.p)))
			return e == E_UNAVAIL ? -1 : 0;
		if (write_docs(c, index, docs, nparts, part))
			return -1;
	}
	if (del.len) {
		char *d = arena_printf(a, "DELETE FROM %s WHERE id IN (%s)", index, del.p);

		if (!d || cx_exec(c, d, strlen(d)))
			return -1;
		(*fixed)++;
	}
	return 0;
}

int search_reconcile_batch(struct db *db, struct kv *kv, struct arena *a)
{
	static int64_t after;
	struct db_res *r = NULL;
	int active, reached = 0;
	int64_t pos, hi, fixed = 0;
	const char *index;
	enum err e;

	if (meta_read(&active, &pos))
		return -1;
	index = index_names[active];
	if ((e = db_exec(db, a, &sql[Q_RECON], &r, "ii", after, (int64_t)BATCH)))
		return e == E_UNAVAIL ? -1 : 0;
	hi = r->nrows == BATCH ? db_int(r, r->nrows - 1, 0) : INT64_MAX;
	if (!nodes.nparts) {
		if (reconcile_on(NULL, db, kv, a, index, r, after, hi, 1, 0, &fixed))
			return -1;
	} else {
		/* A node that is down is skipped: it is compared again on the
		 * next pass after it is back. */
		for (int p = 0; p < nodes.nparts; p++)
			for (int m = 0; m < nodes.nmirrors[p]; m++) {
				int64_t f = 0;

				if (reconcile_on(&nodes.n[p][m], db, kv, a, index, r, after, hi, nodes.nparts, p, &f))
					continue;
				reached++;
				if (f)
					log_info("search: reconcile repaired %lld documents after id %lld on node %s:%u",
						 (long long)f, (long long)after, nodes.n[p][m].host, nodes.n[p][m].port);
				fixed += f;
			}
		if (!reached)
			return -1;
	}
	if (fixed) {
		facet_gen_bump(kv, a);
		if (!nodes.nparts)
			log_info("search: reconcile repaired %lld documents after id %lld", (long long)fixed,
				 (long long)after);
	}
	after = hi == INT64_MAX ? 0 : hi;
	/* One chunk per interval: a pass over the catalog is spread out, so
	 * the job never competes with the indexer or the shoppers. */
	return 0;
}

/* ---- shopctl gen-catalog N: a synthetic catalog for tests and benchmarks ---- */

/* Deterministic words (no quotes in any of them: the generated statements
 * are text). Popularity follows a Zipf-like law: product k of a run sells
 * about 100000 / k units, so a few products dominate, as in real shops. */
static const char *const gen_brands[] = {
	"Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
	"Hooli", "Vandelay", "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Wonka", "Gringotts",
	"Oscorp", "Massive", "Dunder", "Pied Piper"
};
static const char *const gen_nouns[] = {
	"headphones", "speaker", "keyboard", "monitor", "lamp", "backpack", "jacket", "sneakers",
	"watch", "camera", "blender", "kettle", "mug", "notebook", "charger", "router", "drone",
	"tablet", "mascara", "lipstick", "shampoo", "perfume", "sofa", "pillow", "blanket",
	"coffee", "tea", "chocolate", "sunglasses", "wallet"
};
static const char *const gen_adjs[] = {
	"wireless", "compact", "premium", "classic", "portable", "smart", "ergonomic", "vintage",
	"waterproof", "organic", "ultra", "slim", "rugged", "deluxe", "eco", "silent"
};
static const char *const gen_colors[] = {
	"black", "white", "red", "blue", "green", "silver", "gold", "grey"
};
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

int search_cmd_gen_catalog(int argc, char **argv)
{
	struct db *db = NULL;
	struct arena *a = arena_new(1 << 16);
	struct db_res *cr = NULL, *sr = NULL;
	struct buf b;
	int64_t n, seller, done = 0;
	unsigned long long rnd = 88172645463325252ULL;
	long tag = (long)time(NULL);
	int rc = 1;

	buf_init(&b, NULL, 1 << 20);
	if (argc != 2 || text_int64(argv[1], 1, 10000000, &n)) {
		rc = 2;
		goto out;
	}
	if (!a || db_open(&db) || db_exec(db, a, &sql[Q_GEN_CATS], &cr, "") ||
	    db_exec(db, a, &sql[Q_GEN_SELLER], &sr, "") || !cr->nrows || !sr->nrows || !db_cell(sr, 0, 0)) {
		fprintf(stderr, "shopctl: gen-catalog needs the database with its categories and a seller "
			"(import the demo catalog first)\n");
		goto out;
	}
	seller = db_int(sr, 0, 0);
	while (done < n) {
		int64_t k, chunk = n - done > 1000 ? 1000 : n - done;

		buf_reset(&b);
		buf_puts(&b, "INSERT INTO products (seller_id, category_id, slug, title, description, brand, "
			    "price, rating_x100, review_count, sales_count, rank_score, stock_total) VALUES ");
		for (k = 0; k < chunk; k++) {
			int64_t i = done + k + 1, price, sales;
			const char *brand, *noun, *adj, *color;

			rnd ^= rnd << 13; rnd ^= rnd >> 7; rnd ^= rnd << 17;
			brand = gen_brands[rnd % NELEM(gen_brands)];
			noun = gen_nouns[(rnd >> 8) % NELEM(gen_nouns)];
			adj = gen_adjs[(rnd >> 16) % NELEM(gen_adjs)];
			color = gen_colors[(rnd >> 24) % NELEM(gen_colors)];
			price = 199 + (int64_t)((rnd >> 32) % 200000);
			sales = 100000 / i;
			buf_printf(&b, "%s(%lld, %lld, 'gen-%ld-%lld', '%s %s %s %s %lld', "
				   "'A %s %s %s from %s, model %lld. Built to last, easy to use, backed by a "
				   "two year warranty.', '%s', %lld, %lld, %lld, %lld, %lld, %lld)",
				   k ? ", " : "", (long long)seller,
				   (long long)db_int(cr, (size_t)((rnd >> 40) % cr->nrows), 0), tag, (long long)i,
				   brand, adj, color, noun, (long long)i, adj, color, noun, brand, (long long)i, brand,
				   (long long)price, (long long)(100 + (rnd >> 20) % 401), (long long)((rnd >> 12) % 500),
				   (long long)sales, (long long)sales, (long long)((rnd >> 4) % 60));
		}
		if (b.oom || db_run_script(db, b.p)) {
			fprintf(stderr, "shopctl: insert failed: %s\n", db_error(db));
			goto out;
		}
		done += chunk;
		if (done % 50000 == 0 || done == n)
			fprintf(stderr, "gen-catalog: %lld/%lld\n", (long long)done, (long long)n);
	}
	/* One SKU per product, its stock (inventory's), and the read model. */
	buf_reset(&b);
	buf_printf(&b, "INSERT INTO skus (product_id, code, price) SELECT id, CONCAT('GEN-%ld-', id), price "
		   "FROM products WHERE slug LIKE 'gen-%ld-%%'", tag, tag);
	if (db_run_script(db, b.p) || inventory_stock_generated(db, tag)) {
		fprintf(stderr, "shopctl: SKUs failed: %s\n", db_error(db));
		goto out;
	}
	buf_reset(&b);
	buf_printf(&b, "UPDATE products SET sku_digest = JSON_ARRAY(JSON_ARRAY(CONCAT('GEN-%ld-', id), price, "
		   "currency, 0, stock_total, JSON_OBJECT())) WHERE slug LIKE 'gen-%ld-%%'", tag, tag);
	if (db_run_script(db, b.p)) {
		fprintf(stderr, "shopctl: SKUs failed: %s\n", db_error(db));
		goto out;
	}
	printf("generated %lld products (slugs gen-%ld-*); run `shopctl reindex` to search them\n",
	       (long long)n, tag);
	if (catalog_refresh_counts(db, a))
		fprintf(stderr, "shopctl: could not recount the categories (shopd jobs will)\n");
	rc = 0;
out:
	buf_free(&b);
	db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}
