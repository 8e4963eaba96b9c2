/* The demo catalog importer: reads a product file in the dummyjson format
 * (data/demo/products.json) into categories, products, skus, inventory,
 * reviews and outbox. Used by `shopctl import`. The pure helpers below are
 * exposed for the unit tests (t/unit/test_import.c). */
#ifndef CATALOG_IMPORT_H
#define CATALOG_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../core/err.h"

struct db;

struct import_stats {
	size_t records;		/* records seen in the file */
	size_t imported;	/* committed */
	size_t failed;		/* rejected or rolled back (reported) */
};

/* Registers the importer's statements; call once before db_open(). */
void catalog_import_init(void);

/* Imports every record of the JSON file at path, each in its own transaction:
 * a bad record is reported to report (may be NULL) as "record N (id X):
 * field: problem" (N counts from 0, like a JSON array index) and skipped
 * whole, and the rest continue. *st is filled
 * either way. Returns E_OK when the file was read (even if some records
 * failed: see st->failed), E_IO/E_INVAL when it cannot be read or is not a
 * product list, E_UNAVAIL when the database went away mid-way (the import
 * stops; records committed so far stay). Re-importing a file is idempotent. */
enum err catalog_import_file(struct db *db, const char *path, FILE *report,
			     struct import_stats *st);

/* ---- pure helpers ---- */

/* Largest accepted price: 999,999,999.99 in major units. */
#define CATALOG_PRICE_MAX_CENTS INT64_C(99999999999)

/* Parses a JSON number's text (e.g. "9.99", "10", "1.5e1") exactly, without
 * going through a double, into minor units: money_parse(MONEY_JSON) of
 * app/core/text.h. Rejects a sign, more than two significant decimals,
 * anything over CATALOG_PRICE_MAX_CENTS and anything that is not a JSON
 * number. Returns E_OK or E_INVAL. (A record's price is checked against the
 * listing's own maximum, ITEM_PRICE_MAX, by listing_check.) */
enum err catalog_parse_price(const char *text, int64_t *cents);

/* The same for the double jansson hands us: the double is printed as the
 * shortest text that reads back as the same double (which is the text that
 * was in the file, for any price with at most 15 significant digits), and that
 * text is parsed by catalog_parse_price(). NaN, infinities and negatives are
 * rejected. */
enum err catalog_price_from_double(double d, int64_t *cents);

/* Writes the shortest decimal text of d that reads back as d (as %g would,
 * e.g. "15.14", "4", "1e+20") into out; returns its length. */
size_t catalog_number_text(double d, char *out, size_t n);

/* Writes the URL slug of a title to out (at most max bytes plus a NUL; out
 * must hold max + 1): ASCII letters and digits lowercased, every run of
 * anything else (spaces, punctuation, non-ASCII bytes) becomes one '-', no
 * '-' at either end. Returns the length; 0 when the title has no letters or
 * digits at all. */
size_t catalog_slugify(const char *title, char *out, size_t max);

/* Splits a record's stock between the two warehouses: east gets
 * ceil(stock * 0.6), west the rest, so east + west == stock. stock >= 0. */
void catalog_stock_split(int64_t stock, int64_t *east, int64_t *west);

/* Popularity used by the "relevance" (Featured) sort on category pages. */
int64_t catalog_rank_score(int64_t rating_x100, int64_t review_count, int64_t stock);

/* Where a data category goes in the two-level category tree. */
struct catalog_category {
	const char *parent_slug;	/* e.g. "fashion"; "other" when unknown */
	const char *parent_name;	/* e.g. "Fashion" */
	int parent_position;		/* order among departments */
	int position;			/* order among the parent's children */
	int known;			/* 0 for a category the importer has no entry for */
	char name[101];			/* display name, e.g. "Men's Shirts" */
};

/* Maps a data category slug to its department and display name; an unknown
 * (but valid) slug goes under "other" with a name made from the slug
 * ("garden-tools" -> "Garden Tools"). Returns E_INVAL for an invalid slug. */
enum err catalog_category_map(const char *slug, struct catalog_category *out);

/* 1 when s is a slug: 1..64 of [a-z0-9], single '-' between runs. */
int catalog_slug_valid(const char *s);
/* 1 when s is a SKU code: listing_code_ok() (app/seller/listing.h). */
int catalog_sku_valid(const char *s);

/* Parses an ISO 8601 time ("2025-04-30T09:41:02.053Z", offsets and a space
 * instead of the T accepted, fraction optional) into the UTC DATETIME(3) text
 * "2025-04-30 09:41:02.053" in out (at least 24 bytes). E_OK or E_INVAL. */
enum err catalog_parse_time(const char *iso, char out[24]);

/* Checks one record of a product file (any JSON value) as the import does
 * before it opens a transaction, without the database. Returns the number of
 * problems; *errs gets their "field: problem" lines (arena-owned, "" when
 * none). */
struct arena;
struct json_t;
int catalog_check_json(struct arena *a, struct json_t *o, const char **errs);

#endif
