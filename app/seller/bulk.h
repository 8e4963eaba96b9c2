/* Seller bulk import: a CSV or JSON file of listing rows (one per SKU) is
 * stored as chunks when uploaded and applied by `shopd jobs`, one chunk per
 * transaction, with a per-row error report. See README "Seller: stock and
 * bulk import" for the columns and rules. */
#ifndef SELLER_BULK_H
#define SELLER_BULK_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
struct kv;

#define BULK_CHUNK_ROWS	1000	/* rows per chunk, i.e. per transaction */
#define BULK_MAX_ROWS	200000	/* rows per file */

/* Statements of the module (once, at start; idempotent). */
void bulk_init(void);

/* `shopd jobs`: applies the next chunk of the oldest unfinished import.
 * Returns 1 when it did a chunk, 0 when idle, -1 when MariaDB is away. */
int bulk_import_batch(struct db *db, struct kv *kv, struct arena *a);

/* Stores an upload as a new import of seller_id (queued for the jobs
 * process). format is "csv" or "json". E_INVAL with a message in *why
 * (arena-owned) when the file cannot be read as rows (no header, unknown
 * column, not a JSON array, too many rows, ...); nothing is stored then.
 * *id gets the import's id. */
enum err bulk_create(struct db *db, struct arena *a, int64_t seller_id, int64_t uid,
		     const char *format, const char *filename, const char *data, size_t len,
		     int64_t *id, const char **why);

/* ---- reading an upload (pure: no database; the fuzz targets in t/fuzz
 * call them too) ---- */

#define BULK_CSV_MAX_FIELDS 64

/* Reads one CSV record (RFC 4180) from s[*pos..n) into f (at most
 * BULK_CSV_MAX_FIELDS fields, arena copies, NUL-terminated). Blank lines are
 * skipped. Returns 1 with a record, 0 at the end, -1 when malformed (*why
 * says how). */
int bulk_csv_next(struct arena *a, const char *s, size_t n, size_t *pos, const char **f, size_t *nf,
		  const char **why);
/* Reads the header record: map[i] gets the column of field i. E_INVAL with
 * *why for an empty file, an unknown or repeated column, or no "sku". */
enum err bulk_csv_header(struct arena *a, const char *s, size_t n, size_t *pos, int *map, size_t *nmap,
			 const char **why);
/* One element of a JSON array of rows, s[*pos..n) starting just after the
 * '[' (first) or a ','. 1 with the element as one line of compact JSON in
 * *row (malloc'ed; the caller frees it) and *pos past the ',' or ']' after
 * it (*last set for ']'); 0 for the ']' of an empty array (first only); -1
 * with *why (NULL when out of memory). */
int bulk_json_next(struct arena *a, const char *s, size_t n, size_t *pos, int first, char **row,
		   int *last, const char **why);

/* ---- what the pages read ---- */

/* The columns of an import row (bulk_import_get, bulk_import_list). */
enum { BULK_I_ID, BULK_I_FORMAT, BULK_I_FILENAME, BULK_I_STATE, BULK_I_TOTAL, BULK_I_DONE, BULK_I_FAILED,
       BULK_I_CHANGED, BULK_I_CREATED, BULK_I_FINISHED, BULK_I_MESSAGE };

/* The import id of seller_id (one row); E_NOTFOUND when there is none. */
enum err bulk_import_get(struct db *db, struct arena *a, int64_t seller_id, int64_t id, struct db_res **r);
/* The seller's 20 latest imports, newest first. */
enum err bulk_import_list(struct db *db, struct arena *a, int64_t seller_id, struct db_res **r);
/* At most limit errors of an import (row_no, column_name, message), by row.
 * The caller has checked that the import is the seller's. */
enum err bulk_import_errors(struct db *db, struct arena *a, int64_t import_id, int64_t limit, struct db_res **r);

#endif
