/* Seller bulk import (see bulk.h and README "Seller: stock and bulk import").
 *
 * An upload is read once, when it arrives, only far enough to split it into
 * rows: CSV records (RFC 4180: commas, double quotes, "" inside quotes,
 * CRLF or LF) or the elements of a JSON array. The rows are stored in chunks
 * of BULK_CHUNK_ROWS with the import row (state 'queued'), in one
 * transaction, and the request answers at once. `shopd jobs` then claims the
 * oldest unfinished import (SELECT ... FOR UPDATE SKIP LOCKED, so several
 * jobs processes never take the same one) and applies its next chunk in one
 * transaction: every row is validated by listing_check() (the rules every
 * writer of a listing applies), good rows are upserted (SKUs by code within the
 * seller, products by the seller's item key), bad ones go to import_errors,
 * the read model of every changed product (price, stock_total, sku_digest)
 * is brought up to date and ProductUpdated / StockChanged events are written
 * (event_emit_many, one statement per type),
 * and the import's counters advance, all in that one commit. A chunk is
 * therefore applied exactly once, even across a crash.
 *
 * Re-importing a file changes nothing: updates that set the same values
 * touch no row, quantities are *set* through inventory_change_in_tx(), which
 * records a movement only when the value changes, and events are written
 * only for products that changed.
 *
 * Rows are numbered from 1: the first record after the CSV header, or the
 * first element of the JSON array. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../catalog/catalog.h"
#include "import.h"
#include "listing.h"
#include "../inventory/inventory.h"
#include "limits.h"
#include "bulk.h"

#define CSV_MAX_FIELDS	BULK_CSV_MAX_FIELDS
#define SLUG_BASE_MAX	140	/* products.slug is 160: room for "-<id>" */

/* ---- columns ---- */

enum {
	C_SKU, C_ITEM, C_TITLE, C_DESC, C_BRAND, C_CATEGORY, C_PRICE, C_WEIGHT, C_QTY,
	C_WAREHOUSE, C_STATUS, C_O1N, C_O1V, C_O2N, C_O2V, C_O3N, C_O3V, C_ATTR, NCOL
};

static const char *const colname[NCOL] = {
	"sku", "item", "title", "description", "brand", "category", "price", "weight_grams",
	"quantity", "warehouse", "status", "option1_name", "option1_value", "option2_name",
	"option2_value", "option3_name", "option3_value", "attributes"
};

static int column_of(const char *name)
{
	for (int i = 0; i < NCOL; i++)
		if (!strcmp(colname[i], name))
			return i;
	return -1;
}

/* ---- statements ---- */

enum {
	Q_IMPORT_INS, Q_TOTALS, Q_CHUNK_INS, Q_CLAIM, Q_CHUNK, Q_CHUNK_DEL, Q_PROGRESS, Q_FAIL, Q_ERR_INS,
	Q_SKU_FIND, Q_ITEM_FIND, Q_SET_ITEM_KEY, Q_PRODUCT_LOCK, Q_SLUG_TAKEN, Q_PRODUCT_INS,
	Q_SLUG_FIX, Q_PRODUCT_UPD, Q_SKU_COUNT, Q_SKU_INS, Q_SKU_UPD,
	Q_CATEGORY, Q_READ_MODEL, Q_SAVEPOINT, Q_ROLLBACK_SP, Q_RELEASE_SP, Q_IMPORT_GET, Q_IMPORT_LIST,
	Q_ERRORS, NQ
};

#define IMPORT_COLS "id, format, filename, state, rows_total, rows_done, rows_failed, rows_changed, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(finished_at, '%Y-%m-%dT%H:%i:%sZ'), message"

static struct db_sql sql[NQ] = {
	[Q_IMPORT_INS] = { "INSERT INTO imports (seller_id, user_id, format, filename, header, rows_total, "
			   "chunks_total) VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_TOTALS] = { "UPDATE imports SET rows_total = ?, chunks_total = ? WHERE id = ?", 0 },
	[Q_CHUNK_INS] = { "INSERT INTO import_chunks (import_id, chunk_no, first_row, nrows, body) "
			  "VALUES (?, ?, ?, ?, ?)", 0 },
	[Q_CLAIM] = { "SELECT id, seller_id, format, header, chunks_done, chunks_total FROM imports "
		      "WHERE state IN ('queued', 'running') ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", 0 },
	[Q_CHUNK] = { "SELECT first_row, nrows, body FROM import_chunks WHERE import_id = ? AND chunk_no = ?", 0 },
	[Q_CHUNK_DEL] = { "DELETE FROM import_chunks WHERE import_id = ? AND chunk_no = ?", 0 },
	/* MariaDB assigns left to right, so chunks_done is the old value until
	 * its own assignment, last. */
	[Q_PROGRESS] = { "UPDATE imports SET state = IF(chunks_done + 1 >= chunks_total, 'done', 'running'), "
			 "started_at = COALESCE(started_at, NOW(3)), "
			 "finished_at = IF(chunks_done + 1 >= chunks_total, NOW(3), NULL), "
			 "rows_done = rows_done + ?, rows_failed = rows_failed + ?, rows_changed = rows_changed + ?, "
			 "chunks_done = chunks_done + 1 WHERE id = ?", 0 },
	[Q_FAIL] = { "UPDATE imports SET state = ?, message = ?, started_at = COALESCE(started_at, NOW(3)), "
		     "finished_at = NOW(3) WHERE id = ?", 0 },
	[Q_ERR_INS] = { "INSERT INTO import_errors (import_id, row_no, column_name, message) VALUES (?, ?, ?, ?)", 0 },
	/* Ownership of a code is read, not locked: a SKU never changes seller. */
	[Q_SKU_FIND] = { "SELECT s.id, s.product_id, p.seller_id, p.item_key FROM skus s "
			 "JOIN products p ON p.id = s.product_id WHERE s.code = ?", 0 },
	[Q_ITEM_FIND] = { "SELECT id FROM products WHERE seller_id = ? AND item_key = ? FOR UPDATE", 0 },
	[Q_SET_ITEM_KEY] = { "UPDATE products SET item_key = ? WHERE id = ? AND seller_id = ? AND item_key IS NULL", 0 },
	[Q_PRODUCT_LOCK] = { "SELECT item_key FROM products WHERE id = ? AND seller_id = ? FOR UPDATE", 0 },
	[Q_SLUG_TAKEN] = { "SELECT 1 FROM products WHERE slug = ? LIMIT 1", 0 },
	[Q_PRODUCT_INS] = { "INSERT INTO products (seller_id, category_id, slug, title, description, brand, status, "
			    "price, currency, attributes, item_key) VALUES (?, ?, ?, ?, COALESCE(?, ''), ?, "
			    "COALESCE(?, 'active'), ?, 'USD', COALESCE(?, '{}'), ?)", 0 },
	[Q_SLUG_FIX] = { "UPDATE products SET slug = ? WHERE id = ?", 0 },
	/* Absent columns (NULL) keep what the product has; a suspended
	 * product stays suspended (only an admin lifts that). */
	[Q_PRODUCT_UPD] = { "UPDATE products SET title = COALESCE(?, title), description = COALESCE(?, description), "
			    "brand = COALESCE(?, brand), category_id = COALESCE(?, category_id), "
			    "status = IF(status = 'suspended', status, COALESCE(?, status)), "
			    "attributes = COALESCE(?, attributes) WHERE id = ? AND seller_id = ?", 0 },
	[Q_SKU_COUNT] = { "SELECT COUNT(*) FROM skus WHERE product_id = ?", 0 },
	[Q_SKU_INS] = { "INSERT INTO skus (product_id, code, options, price, currency, weight_grams, status, position) "
			"VALUES (?, ?, COALESCE(?, '{}'), ?, 'USD', COALESCE(?, 0), 'active', ?)", 0 },
	[Q_SKU_UPD] = { "UPDATE skus SET price = ?, weight_grams = COALESCE(?, weight_grams), "
			"options = COALESCE(?, options), status = 'active' WHERE id = ?", 0 },
	/* Products hang off leaves: categories with a parent. */
	/* issue 19: not one an admin retired */
	[Q_CATEGORY] = { "SELECT id FROM categories WHERE slug = ? AND parent_id IS NOT NULL AND retired_at IS NULL", 0 },
	/* The read model and the events of every product a chunk changed, in
	 * one statement each (the ids as a JSON array); the page digest is
	 * catalog_refresh_digest()'s, per product. */
	[Q_READ_MODEL] = { "UPDATE products p JOIN JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) t "
			   "ON t.id = p.id SET p.price = COALESCE((SELECT MIN(s.price) FROM skus s "
			   "WHERE s.product_id = p.id AND s.status = 'active'), p.price) "
			   "WHERE p.seller_id = ?", 0 },	/* stock_total: catalog_refresh_digest() */
	[Q_SAVEPOINT] = { "SAVEPOINT bulk_row", 0 },
	[Q_ROLLBACK_SP] = { "ROLLBACK TO SAVEPOINT bulk_row", 0 },
	[Q_RELEASE_SP] = { "RELEASE SAVEPOINT bulk_row", 0 },
	[Q_IMPORT_GET] = { "SELECT " IMPORT_COLS " FROM imports WHERE id = ? AND seller_id = ?", 0 },
	[Q_IMPORT_LIST] = { "SELECT " IMPORT_COLS " FROM imports WHERE seller_id = ? ORDER BY id DESC LIMIT 20", 0 },
	[Q_ERRORS] = { "SELECT row_no, column_name, message FROM import_errors WHERE import_id = ? "
		       "ORDER BY row_no, id LIMIT ?", 0 },
};

void bulk_init(void)
{
	db_register(sql, NQ);
}

/* ---- CSV ---- */

/* Reads one record from s[*pos..n) into f (at most CSV_MAX_FIELDS fields,
 * arena copies, NUL-terminated). Blank lines are skipped. Returns 1 with a
 * record, 0 at the end, -1 when malformed (*why says how). */
int bulk_csv_next(struct arena *a, const char *s, size_t n, size_t *pos, const char **f, size_t *nf,
		  const char **why)
{
	size_t i = *pos;

	while (i < n && (s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i >= n) {
		*pos = i;
		return 0;
	}
	*nf = 0;
	for (;;) {
		char *out;
		size_t k = 0;

		if (*nf >= CSV_MAX_FIELDS) {
			*why = "too many fields in a record";
			return -1;
		}
		if (i < n && s[i] == '"') {
			size_t j = i + 1;

			for (;;) {
				if (j >= n) {
					*why = "a quoted field is not closed";
					return -1;
				}
				if (s[j] == '"') {
					if (j + 1 < n && s[j + 1] == '"') {
						j += 2;
						continue;
					}
					break;
				}
				j++;
			}
			if (!(out = arena_alloc(a, j - i)))
				return -1;
			for (size_t p = i + 1; p < j; p++) {
				out[k++] = s[p];
				if (s[p] == '"')
					p++;	/* "" is one quote */
			}
			out[k] = '\0';
			i = j + 1;
			if (i < n && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
				*why = "text after a closing quote (quotes inside a field are written \"\")";
				return -1;
			}
		} else {
			size_t j = i;

			while (j < n && s[j] != ',' && s[j] != '\n' && s[j] != '\r')
				j++;
			if (!(out = arena_strndup(a, s + i, j - i)))
				return -1;
			i = j;
		}
		f[(*nf)++] = out;
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i < n && s[i] == '\r')
			i++;
		if (i < n && s[i] == '\n')
			i++;
		break;
	}
	*pos = i;
	return 1;
}

/* The header: which column each field is. */
enum err bulk_csv_header(struct arena *a, const char *s, size_t n, size_t *pos, int *map, size_t *nmap,
			 const char **why)
{
	const char *f[CSV_MAX_FIELDS];
	int seen[NCOL] = { 0 };
	int r = bulk_csv_next(a, s, n, pos, f, nmap, why);

	if (r == 0)
		*why = "the file is empty: the first line must name the columns (sku, title, price, ...)";
	if (r <= 0)
		return E_INVAL;
	for (size_t i = 0; i < *nmap; i++) {
		char name[64];
		size_t k = 0;
		const char *p = f[i];

		while (*p == ' ' || *p == '\t')
			p++;
		for (; *p && k < sizeof(name) - 1; p++)
			name[k++] = (char)tolower((unsigned char)*p);
		while (k && (name[k - 1] == ' ' || name[k - 1] == '\t'))
			k--;
		name[k] = '\0';
		if ((map[i] = column_of(name)) < 0) {
			*why = arena_printf(a, "unknown column \"%s\" in the first line; the columns are sku, item, title, "
					    "description, brand, category, price, weight_grams, quantity, warehouse, status, "
					    "option1_name .. option3_value, attributes", name);
			return E_INVAL;
		}
		if (seen[map[i]]++) {
			*why = arena_printf(a, "the column \"%s\" appears twice in the first line", name);
			return E_INVAL;
		}
	}
	if (!seen[C_SKU]) {
		*why = "the first line has no \"sku\" column";
		return E_INVAL;
	}
	return E_OK;
}

/* ---- storing an upload ---- */

struct splitter {
	struct db *db;
	struct arena *a;
	int64_t import_id;
	struct buf chunk;
	int64_t chunk_no, first_row, nrows, rows;
};

static enum err flush_chunk(struct splitter *sp)
{
	enum err e;

	if (!sp->nrows)
		return E_OK;
	if (sp->chunk.oom)
		return E_NOMEM;
	e = db_exec(sp->db, sp->a, &sql[Q_CHUNK_INS], NULL, "iiiib", sp->import_id, sp->chunk_no, sp->first_row,
		    sp->nrows, sp->chunk.p, sp->chunk.len);
	sp->chunk_no++;
	sp->first_row += sp->nrows;
	sp->nrows = 0;
	buf_reset(&sp->chunk);
	return e;
}

static enum err add_row(struct splitter *sp, const char *p, size_t n)
{
	buf_put(&sp->chunk, p, n);
	if (!n || p[n - 1] != '\n')
		buf_putc(&sp->chunk, '\n');
	sp->rows++;
	if (++sp->nrows >= BULK_CHUNK_ROWS)
		return flush_chunk(sp);
	return E_OK;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* One element of a JSON array of rows; s[*pos..n) starts just after the
 * array's '[' (first) or after a ','. Returns 1 with the element as one line
 * of compact JSON in *row (malloc'ed: the caller frees it) and *pos past the
 * ',' or ']' that follows it (*last set for ']'); 0 for the ']' of an empty
 * array (first only), *pos past it; -1 with the reason in *why (arena-owned;
 * NULL when out of memory). */
int bulk_json_next(struct arena *a, const char *s, size_t n, size_t *pos, int first, char **row,
		   int *last, const char **why)
{
	json_error_t jerr;
	json_t *v;
	size_t i = skip_ws(s, n, *pos);

	*row = NULL;
	*last = 0;
	*why = NULL;
	if (first && i < n && s[i] == ']') {
		*pos = i + 1;
		return 0;
	}
	v = json_loadb(s + i, n - i, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		*why = arena_printf(a, "malformed JSON: %s", jerr.text);
		return -1;
	}
	*row = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!*row)
		return -1;
	i = skip_ws(s, n, i + jerr.position);
	if (i < n && (s[i] == ',' || s[i] == ']')) {
		*last = s[i] == ']';
		*pos = i + 1;
		return 1;
	}
	free(*row);
	*row = NULL;
	*why = "expected , or ] after the row";
	return -1;
}

struct create_args {
	int64_t seller_id, uid, id;
	const char *format, *filename, *data, *why;
	size_t len;
	struct arena *a;
};

static enum err tx_create(struct db *db, void *p)
{
	struct create_args *ca = p;
	struct splitter sp = { db, ca->a, 0, { 0 }, 0, 1, 0, 0 };
	const char *s = ca->data, *header = NULL;
	size_t n = ca->len, pos = 0;
	int json = !strcmp(ca->format, "json");
	enum err e;

	if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3, n -= 3;	/* a UTF-8 byte order mark, as spreadsheets write */
	if (memchr(s, '\0', n)) {
		ca->why = "the file contains NUL bytes: send a CSV or JSON text file";
		return E_INVAL;
	}
	if (!json) {
		int map[CSV_MAX_FIELDS];
		size_t nmap;

		if ((e = bulk_csv_header(ca->a, s, n, &pos, map, &nmap, &ca->why)))
			return e;
		header = arena_strndup(ca->a, s, pos);
	} else {
		pos = skip_ws(s, n, 0);
		if (pos >= n || s[pos] != '[') {
			ca->why = "the JSON file must be an array of rows: [{\"sku\": ...}, ...]";
			return E_INVAL;
		}
		pos++;
	}
	if ((e = db_exec(db, ca->a, &sql[Q_IMPORT_INS], NULL, "iisssii", ca->seller_id, ca->uid, ca->format,
			 ca->filename ? ca->filename : "", header, (int64_t)0, (int64_t)0)))
		return e;
	sp.import_id = ca->id = (int64_t)db_insert_id(db);
	buf_init(&sp.chunk, ca->a, 64 * 1024);
	for (;;) {
		if (sp.rows >= BULK_MAX_ROWS) {
			ca->why = arena_printf(ca->a, "the file has more than %d rows; split it into smaller files",
					       BULK_MAX_ROWS);
			return E_INVAL;
		}
		if (!json) {
			const char *f[CSV_MAX_FIELDS];
			size_t nf, start = pos;
			struct arena *tmp = ca->a;
			int r = bulk_csv_next(tmp, s, n, &pos, f, &nf, &ca->why);

			if (r < 0) {
				ca->why = arena_printf(ca->a, "row %lld: %s", (long long)sp.rows + 1,
						       ca->why ? ca->why : "out of memory");
				return E_INVAL;
			}
			if (r == 0)
				break;
			while (start < n && (s[start] == '\n' || s[start] == '\r'))
				start++;
			if ((e = add_row(&sp, s + start, pos - start)))
				return e;
		} else {
			char *line;
			int last = 0, r = bulk_json_next(ca->a, s, n, &pos, sp.rows == 0, &line, &last, &ca->why);

			if (r < 0) {
				if (!ca->why)
					return E_NOMEM;
				ca->why = arena_printf(ca->a, "row %lld: %s", (long long)sp.rows + 1, ca->why);
				return E_INVAL;
			}
			if (r == 0)
				break;
			e = add_row(&sp, line, strlen(line));
			free(line);
			if (e)
				return e;
			if (last)
				break;
		}
	}
	if (json && skip_ws(s, n, pos) != n) {
		ca->why = "text after the end of the JSON array";
		return E_INVAL;
	}
	if (!sp.rows) {
		ca->why = "the file has no rows";
		return E_INVAL;
	}
	if ((e = flush_chunk(&sp)))
		return e;
	/* The totals, now that they are known (the row was inserted first to
	 * get the id the chunks point at). */
	return db_exec(db, ca->a, &sql[Q_TOTALS], NULL, "iii", sp.rows, sp.chunk_no, sp.import_id);
}

enum err bulk_create(struct db *db, struct arena *a, int64_t seller_id, int64_t uid,
		     const char *format, const char *filename, const char *data, size_t len,
		     int64_t *id, const char **why)
{
	struct create_args ca = { seller_id, uid, 0, format, filename, data, NULL, len, a };
	enum err e = db_tx(db, tx_create, &ca);

	*id = ca.id;
	*why = ca.why;
	return e;
}

/* ---- validation of one row ---- */

struct rowerr {
	int64_t row;
	const char *col, *msg;
};

/* What a valid row means, ready for the statements (NULL: column absent). */
struct row {
	int64_t no;
	const char *v[NCOL];
	const char *item, *options, *attrs, *category_id, *weight;
	int64_t price, qty, wh;		/* qty -1: absent */
};

struct batch {
	struct arena *a;
	struct db *db;
	int64_t import_id, seller_id;
	int safe;		/* one savepoint per row */
	int json;
	int map[CSV_MAX_FIELDS];
	size_t nmap;
	struct rowerr *errs;
	size_t nerrs, caperrs;
	int64_t done, failed, changed;
	struct { int64_t id; int changed; } *prods;
	size_t nprods, capprods;
	struct { const char *key; int64_t id; } cache[32];
	size_t ncache;
};

static void row_error(struct batch *b, int64_t row, const char *col, const char *msg)
{
	if (b->nerrs == b->caperrs) {
		size_t cap = b->caperrs ? 2 * b->caperrs : 64;
		struct rowerr *p = arena_alloc(b->a, cap * sizeof(*p));

		if (!p)
			return;
		if (b->nerrs)
			memcpy(p, b->errs, b->nerrs * sizeof(*p));
		b->errs = p;
		b->caperrs = cap;
	}
	b->errs[b->nerrs++] = (struct rowerr){ row, col, msg };
}

static int64_t cached(struct batch *b, const char *kind, const char *key, int64_t (*look)(struct batch *, const char *))
{
	const char *k = arena_printf(b->a, "%s:%s", kind, key);
	int64_t id;

	for (size_t i = 0; i < b->ncache; i++)
		if (!strcmp(b->cache[i].key, k))
			return b->cache[i].id;
	id = look(b, key);
	if (id >= 0 && b->ncache < sizeof(b->cache) / sizeof(b->cache[0])) {
		b->cache[b->ncache].key = k;
		b->cache[b->ncache++].id = id;
	}
	return id;
}

static int64_t look_category(struct batch *b, const char *slug)
{
	struct db_res *r = NULL;

	if (db_exec(b->db, b->a, &sql[Q_CATEGORY], &r, "s", slug))
		return -1;
	return r->nrows ? db_int(r, 0, 0) : 0;
}

static int64_t look_warehouse(struct batch *b, const char *code)
{
	return inventory_warehouse_id(b->db, b->a, code);
}

static int has_error(const struct listing_errors *le, const char *field)
{
	for (int i = 0; i < le->n; i++)
		if (!strcmp(le->v[i].field, field))
			return 1;
	return 0;
}

/* Checks every column of the row: the listing's rules (listing_check, as
 * one row of a file), then what the database knows (category, warehouse).
 * Returns the number of problems found (each recorded with row_error).
 * Fills the parsed values. */
static size_t row_check(struct batch *b, struct row *r)
{
	size_t before = b->nerrs;
	const char **v = r->v;
	struct listing l;
	struct listing_sku sku;
	struct listing_option opts[ITEM_OPTIONS_MAX], attrs[ITEM_ATTR_MAX + 1];
	struct listing_errors le;
	json_t *ao = NULL;
	int nattrs = 0, bad_attrs = 0;

	r->qty = -1;
	memset(&l, 0, sizeof(l));
	memset(&sku, 0, sizeof(sku));
	le.n = 0;
	sku.code = v[C_SKU];
	sku.price_text = v[C_PRICE];
	sku.weight_text = v[C_WEIGHT];
	sku.qty_text = v[C_QTY];
	sku.has = (v[C_PRICE] ? LISTING_PRICE : 0) | (v[C_WEIGHT] ? LISTING_WEIGHT : 0) | (v[C_QTY] ? LISTING_QTY : 0);
	for (int k = 0; k < ITEM_OPTIONS_MAX; k++)
		opts[k] = (struct listing_option){ v[C_O1N + 2 * k], v[C_O1V + 2 * k] };
	sku.options = opts;
	sku.noptions = ITEM_OPTIONS_MAX;
	if (v[C_ATTR]) {
		const char *k;
		json_t *val;

		ao = json_loads(v[C_ATTR], JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(ao)) {
			row_error(b, r->no, "attributes", "must be a JSON object such as {\"Material\": \"Cotton\"}");
			bad_attrs = 1;
		} else {
			json_object_foreach(ao, k, val) {
				if (nattrs > ITEM_ATTR_MAX)
					break;	/* one over is enough to refuse them */
				attrs[nattrs++] = (struct listing_option){ k, json_is_string(val) ? json_string_value(val) : NULL };
			}
		}
	}
	l.title = v[C_TITLE];
	l.description = v[C_DESC];
	l.brand = v[C_BRAND];
	l.category = v[C_CATEGORY];
	l.status = v[C_STATUS];
	l.attributes = attrs;
	l.nattributes = nattrs;
	l.skus = &sku;
	l.nskus = 1;
	listing_check(b->a, LISTING_BULK, &l, &le);
	for (int i = 0; i < le.n; i++)
		row_error(b, r->no, le.v[i].field, le.v[i].message);

	r->item = v[C_ITEM] ? v[C_ITEM] : v[C_SKU];
	if (v[C_ITEM] && !listing_code_ok(v[C_ITEM]))
		row_error(b, r->no, "item", arena_printf(b->a, "must be 1 to %d letters, digits, '.', '_' or '-', "
			  "starting with a letter or digit", SKU_CODE_MAX));
	if (v[C_CATEGORY] && !has_error(&le, "category")) {
		int64_t id = cached(b, "c", v[C_CATEGORY], look_category);

		if (id < 0)
			row_error(b, r->no, "category", "could not be checked (database unavailable)");
		else if (!id)
			row_error(b, r->no, "category", "is not a category you can list in: use the slug of a "
				  "subcategory, such as smartphones");
		else
			r->category_id = arena_printf(b->a, "%lld", (long long)id);
	}
	r->price = sku.price;
	if (v[C_WEIGHT] && !has_error(&le, "weight_grams"))
		r->weight = arena_printf(b->a, "%lld", (long long)sku.weight);
	if (v[C_QTY] && !has_error(&le, "quantity"))
		r->qty = sku.quantity;
	r->wh = 0;
	if (v[C_WAREHOUSE] && (r->wh = cached(b, "w", v[C_WAREHOUSE], look_warehouse)) <= 0)
		row_error(b, r->no, "warehouse", "is not a warehouse of the shop (east or west)");
	if (!r->wh && !v[C_WAREHOUSE])
		r->wh = cached(b, "w", "east", look_warehouse);
	if (b->nerrs == before) {
		/* Valid: the options and attributes as the columns store them. */
		json_t *o = json_object();
		char *t;

		for (int k = 0; k < ITEM_OPTIONS_MAX && o; k++)
			if (opts[k].name && opts[k].value)
				json_object_set_new(o, opts[k].name, json_string(opts[k].value));
		if (o && json_object_size(o)) {
			t = json_dumps(o, JSON_COMPACT);
			r->options = t ? arena_strdup(b->a, t) : NULL;
			free(t);
		}
		json_decref(o);
		if (ao && !bad_attrs) {
			t = json_dumps(ao, JSON_COMPACT);
			r->attrs = t ? arena_strdup(b->a, t) : NULL;
			free(t);
		}
	}
	json_decref(ao);
	return b->nerrs - before;
}

/* ---- applying one row ---- */

static void touch(struct batch *b, int64_t pid, int changed)
{
	for (size_t i = 0; i < b->nprods; i++)
		if (b->prods[i].id == pid) {
			b->prods[i].changed |= changed;
			return;
		}
	if (b->nprods == b->capprods) {
		size_t cap = b->capprods ? 2 * b->capprods : 256;
		void *p = arena_alloc(b->a, cap * sizeof(*b->prods));

		if (!p)
			return;
		if (b->nprods)
			memcpy(p, b->prods, b->nprods * sizeof(*b->prods));
		b->prods = p;
		b->capprods = cap;
	}
	b->prods[b->nprods].id = pid;
	b->prods[b->nprods++].changed = changed;
}

/* Every lookup first, then the writes, so a row refused here has changed
 * nothing. Returns E_OK (applied, or refused with row errors: *refused
 * set) or a database error. */
static enum err row_apply(struct batch *b, struct row *r, int *refused, int *changed)
{
	struct db_res *s = NULL, *p = NULL;
	struct db *db = b->db;
	struct arena *a = b->a;
	int64_t sku_id = 0, pid = 0, pos = 0;
	const char **v = r->v;
	enum err e;

	*refused = *changed = 0;
	if ((e = db_exec(db, a, &sql[Q_SKU_FIND], &s, "s", v[C_SKU])))
		return e;
	if (s->nrows && db_int(s, 0, 2) != b->seller_id) {
		row_error(b, r->no, "sku", "is already used by another seller; SKU codes are unique across the shop");
		*refused = 1;
		return E_OK;
	}
	if ((e = db_exec(db, a, &sql[Q_ITEM_FIND], &p, "is", b->seller_id, r->item)))
		return e;
	if (p->nrows)
		pid = db_int(p, 0, 0);
	if (s->nrows) {
		int64_t spid = db_int(s, 0, 1);
		const char *key = db_cell(s, 0, 3);

		sku_id = db_int(s, 0, 0);
		if ((pid && pid != spid) || (!pid && key && strcmp(key, r->item))) {
			row_error(b, r->no, "item", arena_printf(a, "the SKU %s belongs to another item (%s); a SKU "
				  "cannot move between items", v[C_SKU], key ? key : "made in the item form"));
			*refused = 1;
			return E_OK;
		}
		if (!pid) {
			pid = spid;
			if ((e = db_exec(db, a, &sql[Q_PRODUCT_LOCK], &p, "ii", pid, b->seller_id)))
				return e;
		}
	} else if (pid) {
		struct db_res *cnt = NULL;

		if ((e = db_exec(db, a, &sql[Q_SKU_COUNT], &cnt, "i", pid)))
			return e;
		pos = db_int(cnt, 0, 0);
		if (pos >= ITEM_SKUS_MAX) {
			row_error(b, r->no, "sku", arena_printf(a, "the item %s already has %d variants, the most an "
				  "item can have", r->item, ITEM_SKUS_MAX));
			*refused = 1;
			return E_OK;
		}
	}
	if (!pid && (!v[C_TITLE] || !r->category_id)) {
		if (!v[C_TITLE])
			row_error(b, r->no, "title", "is required for a new item");
		if (!r->category_id)
			row_error(b, r->no, "category", "is required for a new item");
		*refused = 1;
		return E_OK;
	}

	/* Writes. */
	if (!pid) {
		char base[SLUG_BASE_MAX + 1];
		struct db_res *t = NULL;
		const char *slug;
		int taken;

		if (!catalog_slugify(v[C_TITLE], base, SLUG_BASE_MAX))
			snprintf(base, sizeof(base), "item");
		if ((e = db_exec(db, a, &sql[Q_SLUG_TAKEN], &t, "s", base)))
			return e;
		taken = t->nrows > 0;
		/* A taken slug gets the product's id appended once it has one;
		 * until then a placeholder unique to this row. */
		slug = taken ? arena_printf(a, "import-%lld-%lld-%s", (long long)b->import_id, (long long)r->no,
					     v[C_SKU]) : base;
		if ((e = db_exec(db, a, &sql[Q_PRODUCT_INS], NULL, "issssssiss", b->seller_id, r->category_id, slug,
				 v[C_TITLE], v[C_DESC], v[C_BRAND], v[C_STATUS], r->price, r->attrs, r->item)))
			return e;
		pid = (int64_t)db_insert_id(db);
		if (taken && (e = db_exec(db, a, &sql[Q_SLUG_FIX], NULL, "si",
					  arena_printf(a, "%s-%lld", base, (long long)pid), pid)))
			return e;
		*changed = 1;
	} else {
		if ((e = db_exec(db, a, &sql[Q_SET_ITEM_KEY], NULL, "sii", r->item, pid, b->seller_id)))
			return e;
		if ((e = db_exec(db, a, &sql[Q_PRODUCT_UPD], NULL, "ssssssii", v[C_TITLE], v[C_DESC], v[C_BRAND],
				 r->category_id, v[C_STATUS], r->attrs, pid, b->seller_id)))
			return e;
		*changed |= db_affected(db) > 0;
	}
	if (sku_id) {
		if ((e = db_exec(db, a, &sql[Q_SKU_UPD], NULL, "issi", r->price, r->weight, r->options, sku_id)))
			return e;
		*changed |= db_affected(db) > 0;
	} else {
		if ((e = db_exec(db, a, &sql[Q_SKU_INS], NULL, "issisi", pid, v[C_SKU], r->options, r->price,
				 r->weight, pos)))
			return e;
		sku_id = (int64_t)db_insert_id(db);
		*changed = 1;
	}
	if (r->qty >= 0) {
		struct stock_change ch;

		memset(&ch, 0, sizeof(ch));
		ch.seller_id = b->seller_id;
		ch.product_id = pid;
		ch.sku = v[C_SKU];
		ch.sku_id = sku_id;
		ch.warehouse_id = r->wh;
		ch.is_set = 1;
		ch.value = r->qty;
		ch.reason = arena_printf(a, "bulk import %lld", (long long)b->import_id);
		ch.actor = arena_printf(a, "import:%lld", (long long)b->import_id);
		ch.defer_read_model = 1;
		if ((e = inventory_change_in_tx(db, a, &ch)))
			return e == E_NOTFOUND || e == E_CONFLICT || e == E_INVAL ? E_INTERNAL : e;
		*changed |= ch.delta != 0;
	}
	touch(b, pid, *changed);
	return E_OK;
}

/* ---- one chunk ---- */

/* Splits a stored row (a CSV record or a JSON line) into columns. Returns
 * the number of problems found (recorded). */
static size_t row_parse(struct batch *b, struct row *r, const char *s, size_t n, size_t *pos)
{
	size_t before = b->nerrs;

	memset(r->v, 0, sizeof(r->v));
	if (!b->json) {
		const char *f[CSV_MAX_FIELDS], *why = NULL;
		size_t nf = 0;

		if (bulk_csv_next(b->a, s, n, pos, f, &nf, &why) <= 0) {
			row_error(b, r->no, "", why ? why : "malformed record");
			*pos = n;
			return 1;
		}
		if (nf > b->nmap) {
			row_error(b, r->no, "", arena_printf(b->a, "has %zu fields; the first line names %zu columns",
				  nf, b->nmap));
			return 1;
		}
		for (size_t i = 0; i < nf; i++)
			r->v[b->map[i]] = f[i];
	} else {
		const char *nl = memchr(s + *pos, '\n', n - *pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		json_t *o = json_loadb(s + *pos, end - *pos, JSON_DECODE_ANY, NULL), *val;
		const char *k;

		*pos = nl ? end + 1 : n;
		if (!json_is_object(o)) {
			json_decref(o);
			row_error(b, r->no, "", "must be an object of columns, such as {\"sku\": \"A-1\", \"price\": \"9.99\"}");
			return 1;
		}
		json_object_foreach(o, k, val) {
			int c = column_of(k);
			const char *t = NULL;

			if (c < 0) {
				row_error(b, r->no, arena_strdup(b->a, k), "is not a column of the import");
				continue;
			}
			if (json_is_string(val))
				t = arena_strdup(b->a, json_string_value(val));
			else if (json_is_integer(val))
				t = arena_printf(b->a, "%lld", (long long)json_integer_value(val));
			else if (json_is_real(val)) {
				char num[64];

				catalog_number_text(json_real_value(val), num, sizeof(num));
				t = arena_strdup(b->a, num);
			} else if (json_is_object(val) && c == C_ATTR) {
				char *d = json_dumps(val, JSON_COMPACT);

				t = d ? arena_strdup(b->a, d) : NULL;
				free(d);
			} else if (!json_is_null(val)) {
				row_error(b, r->no, colname[c], "must be text or a number");
			}
			r->v[c] = t;
		}
		json_decref(o);
	}
	/* Surrounding blanks are not part of a value; an empty value is an
	 * absent one. The description keeps its text as written. */
	for (int c = 0; c < NCOL; c++) {
		char *t = (char *)r->v[c];
		size_t len;

		if (!t)
			continue;
		if (c != C_DESC) {
			while (*t == ' ' || *t == '\t')
				t++;
			len = strlen(t);
			while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
				t[--len] = '\0';
		}
		r->v[c] = *t ? t : NULL;
	}
	return b->nerrs - before;
}

struct job {
	struct arena *a;
	int safe, idle;
	int64_t import_id;
	const char *fail;	/* a reason to stop the import */
};

/* One event of type for every product the chunk changed, in one statement. */
static enum err chunk_events(struct db *db, struct arena *a, const struct batch *b, enum event_type type)
{
	int64_t *ids = arena_alloc(a, (b->nprods + 1) * sizeof(*ids));
	json_t **payloads = arena_alloc(a, (b->nprods + 1) * sizeof(*payloads));
	size_t n = 0;

	if (!ids || !payloads)
		return E_NOMEM;
	for (size_t i = 0; i < b->nprods; i++) {
		if (!b->prods[i].changed)
			continue;
		ids[n] = b->prods[i].id;
		payloads[n] = json_pack("{sI sI sI ss}", "id", (json_int_t)ids[n], "productId",
					(json_int_t)ids[n], "importId", (json_int_t)b->import_id, "reason", "import");
		n++;
	}
	return event_emit_many(db, a, type, n, ids, payloads);
}

static enum err tx_chunk(struct db *db, void *p)
{
	struct job *j = p;
	struct batch *b = arena_calloc(j->a, 1, sizeof(*b));
	struct db_res *imp = NULL, *ch = NULL;
	int64_t chunk_no;
	size_t pos = 0, len;
	const char *body;
	enum err e;

	if (!b)
		return E_NOMEM;
	j->idle = 0;
	j->fail = NULL;
	if ((e = db_exec(db, j->a, &sql[Q_CLAIM], &imp, "")))
		return e;
	if (!imp->nrows) {
		j->idle = 1;
		return E_OK;
	}
	b->a = j->a;
	b->db = db;
	b->safe = j->safe;
	b->import_id = j->import_id = db_int(imp, 0, 0);
	b->seller_id = db_int(imp, 0, 1);
	b->json = !strcmp(db_cell(imp, 0, 2), "json");
	chunk_no = db_int(imp, 0, 4);
	if (chunk_no >= db_int(imp, 0, 5)) {
		j->fail = "";	/* nothing left: done */
		return E_OK;
	}
	if (!b->json) {
		const char *h = db_cell(imp, 0, 3), *why = NULL;
		size_t hp = 0;

		if (!h || bulk_csv_header(j->a, h, strlen(h), &hp, b->map, &b->nmap, &why)) {
			j->fail = "the stored header cannot be read";
			return E_OK;
		}
	}
	if ((e = db_exec(db, j->a, &sql[Q_CHUNK], &ch, "ii", b->import_id, chunk_no)))
		return e;
	if (!ch->nrows) {
		j->fail = "a part of the file is missing";
		return E_OK;
	}
	body = db_cell(ch, 0, 2);
	len = ch->lens[2];
	for (int64_t i = 0; i < db_int(ch, 0, 1); i++) {
		struct row r;
		int refused = 0, changed = 0;

		memset(&r, 0, sizeof(r));
		r.no = db_int(ch, 0, 0) + i;
		b->done++;
		if (row_parse(b, &r, body, len, &pos) || row_check(b, &r)) {
			b->failed++;
			continue;
		}
		if (b->safe && (e = db_exec(db, j->a, &sql[Q_SAVEPOINT], NULL, "")))
			return e;
		e = row_apply(b, &r, &refused, &changed);
		if (e && b->safe && e != E_UNAVAIL && db_errno(db) != 1213 && db_errno(db) != 1205) {
			/* One row the database refused (a code taken by another
			 * seller a moment ago, ...): only that row is undone. */
			row_error(b, r.no, "", arena_printf(j->a, "could not be saved: %s", db_error(db)));
			if ((e = db_exec(db, j->a, &sql[Q_ROLLBACK_SP], NULL, "")))
				return e;
			refused = 1;
		} else if (e) {
			return e;
		} else if (b->safe && (e = db_exec(db, j->a, &sql[Q_RELEASE_SP], NULL, ""))) {
			return e;
		}
		b->failed += refused;
		b->changed += changed;
	}
	/* The read model of every product this chunk changed. */
	{
		struct buf ids;
		int any = 0;

		buf_init(&ids, j->a, 16 * 1024);
		buf_putc(&ids, '[');
		for (size_t i = 0; i < b->nprods; i++) {
			if (!b->prods[i].changed)
				continue;
			buf_printf(&ids, "%s%lld", any ? "," : "", (long long)b->prods[i].id);
			any = 1;
			if ((e = catalog_refresh_digest(db, j->a, b->prods[i].id)))
				return e;
		}
		buf_putc(&ids, ']');
		if (ids.oom)
			return E_NOMEM;
		if (any && ((e = db_exec(db, j->a, &sql[Q_READ_MODEL], NULL, "si", ids.p, b->seller_id)) ||
			    (e = chunk_events(db, j->a, b, EV_PRODUCT_UPDATED)) ||
			    (e = chunk_events(db, j->a, b, EV_STOCK_CHANGED))))
			return e;
	}
	for (size_t i = 0; i < b->nerrs; i++) {
		char msg[501];

		snprintf(msg, sizeof(msg), "%s", b->errs[i].msg);
		if ((e = db_exec(db, j->a, &sql[Q_ERR_INS], NULL, "iiss", b->import_id, b->errs[i].row,
				 b->errs[i].col, msg)))
			return e;
	}
	if ((e = db_exec(db, j->a, &sql[Q_CHUNK_DEL], NULL, "ii", b->import_id, chunk_no)))
		return e;
	return db_exec(db, j->a, &sql[Q_PROGRESS], NULL, "iiii", b->done, b->failed, b->changed, b->import_id);
}

int bulk_import_batch(struct db *db, struct kv *kv, struct arena *a)
{
	struct job j = { a, 0, 0, 0, NULL };
	enum err e;

	(void)kv;
	e = db_tx(db, tx_chunk, &j);
	if (e && e != E_UNAVAIL && j.import_id) {
		/* A row the database refused spoiled the chunk: again, each row
		 * behind a savepoint, so only the bad rows stay out. */
		log_warn("bulk import %lld: chunk failed (%s); retrying row by row", (long long)j.import_id,
			 db_error(db));
		j.safe = 1;
		e = db_tx(db, tx_chunk, &j);
	}
	if (e == E_UNAVAIL || (e && !j.import_id))
		return -1;	/* nothing claimed: wait, as in an outage */
	if (e) {
		log_err("bulk import %lld: %s (%s)", (long long)j.import_id, err_str(e), db_error(db));
		if (j.import_id)
			db_exec(db, a, &sql[Q_FAIL], NULL, "ssi", "failed", "the import stopped on an internal error",
				j.import_id);
		return 1;
	}
	if (j.idle)
		return 0;
	if (j.fail) {
		db_exec(db, a, &sql[Q_FAIL], NULL, "ssi", *j.fail ? "failed" : "done", *j.fail ? j.fail : NULL,
			j.import_id);
	}
	return 1;
}

/* ---- what the pages read ---- */

enum err bulk_import_get(struct db *db, struct arena *a, int64_t seller_id, int64_t id, struct db_res **r)
{
	enum err e;

	if (id <= 0)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_IMPORT_GET], r, "ii", id, seller_id)))
		return e;
	return (*r)->nrows ? E_OK : E_NOTFOUND;
}

enum err bulk_import_list(struct db *db, struct arena *a, int64_t seller_id, struct db_res **r)
{
	return db_exec(db, a, &sql[Q_IMPORT_LIST], r, "i", seller_id);
}

enum err bulk_import_errors(struct db *db, struct arena *a, int64_t import_id, int64_t limit, struct db_res **r)
{
	return db_exec(db, a, &sql[Q_ERRORS], r, "ii", import_id, limit);
}
