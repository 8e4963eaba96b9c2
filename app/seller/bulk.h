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
struct ctx;
struct db;
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

/* Pages and API (app/seller/bulk_routes.inc). */
enum err h_seller_import(struct ctx *c);
enum err h_seller_import_post(struct ctx *c);
enum err h_seller_import_show(struct ctx *c);
enum err h_seller_import_errors_csv(struct ctx *c);
enum err h_api_import_create(struct ctx *c);
enum err h_api_import(struct ctx *c);
enum err h_api_import_errors(struct ctx *c);

#endif
