/* One validator for a seller's listing: a product (title, brand, category,
 * description, status, attributes) and its SKUs (code, price, weight,
 * quantity, options), whoever writes it: the item form and the item API
 * (app/seller/items.c), the bulk CSV/JSON import (app/seller/bulk.c) and the
 * demo catalog import (app/seller/import.c).
 *
 * listing_check() is pure: no database, no I/O. It applies every rule that
 * needs nothing but the listing itself (lengths in UTF-8 characters, text
 * without control characters, SKU codes, exact money, ranges, options that
 * tell variants apart); the callers then check what needs the database (the
 * category exists, a code is free shop-wide, ...). The limits are
 * app/seller/limits.h's.
 *
 * The four writers name fields and word messages the way their clients have
 * always read them (a form shows "Title is required" beside the title, the
 * API answers {"field": "skus[1].code", ...}, the bulk report names a CSV
 * column, the demo import prints "sku: ..."), so the dialect names the
 * writer and picks the field names and the words; the rules are the same
 * for all four. */
#ifndef CATALOG_LISTING_H
#define CATALOG_LISTING_H

#include <stdint.h>
#include "limits.h"

struct arena;

/* Who is checking: decides field names and wording, never the rules. */
enum listing_dialect {
	LISTING_FORM,	/* /seller/items forms: title, v3.price, attr.Material */
	LISTING_API,	/* /api/items: name, skus[3].price, attributes.Material */
	LISTING_BULK,	/* the bulk import's columns: sku, price, option1_name */
	LISTING_DEMO,	/* the dummyjson record's keys: title, sku, stock */
};

struct listing_option {
	const char *name;
	const char *value;	/* NULL: given, but not as text */
};

/* Which of a SKU's numbers were given. */
enum { LISTING_PRICE = 1, LISTING_WEIGHT = 2, LISTING_QTY = 4 };

struct listing_sku {
	int row;		/* its index in the input (skus[row], v<row>.,
				 * option<row+1>_ for one bulk row); -1: the
				 * API's item-level price and quantity */
	const char *code;	/* NULL or "": not given */
	int existing;		/* stored already: its code is not checked again */
	int generated;		/* its code is made when it is written */
	int skip;		/* removed or inactive: only its code counts */
	unsigned has;		/* LISTING_PRICE | LISTING_WEIGHT | LISTING_QTY */
	/* The numbers, as typed (parsed here, the results written back to
	 * price, weight, quantity) or, when the text is NULL, as given. */
	const char *price_text, *weight_text, *qty_text;
	int64_t price;		/* cents */
	int64_t weight;		/* grams */
	int64_t quantity;	/* units: the opening (or set) quantity */
	const struct listing_option *options;
	int noptions;
};

struct listing {
	/* NULL: not given. Text is checked as given (callers trim it). */
	const char *title, *description, *brand, *category;
	const char *status;		/* asked for; NULL: not given */
	const char *status_now;		/* what is stored, when updating */
	const struct listing_option *attributes;	/* given as name/value */
	int nattributes;
	struct listing_sku *skus;
	int nskus;
	int whole;	/* the skus are all the item's: count them, an active
			 * item needs one (the forms and the API); 0 for one
			 * row of a file */
};

#define LISTING_ERRORS_MAX 96

struct listing_error {
	const char *field;	/* "skus[1].code", "v0.price", "option2_value" */
	const char *label;	/* the form's words for the field: "SKU code" */
	const char *message;	/* "is required" */
};

struct listing_errors {
	int n;
	struct listing_error v[LISTING_ERRORS_MAX];
};

/* Checks l in dialect d and appends one error per problem to errs (field
 * names and words are the dialect's; strings are arena-owned or static).
 * Writes the parsed price, weight and quantity of every SKU that gave them
 * as text. Returns the number of errors it added (0: valid). */
int listing_check(struct arena *a, enum listing_dialect d, struct listing *l, struct listing_errors *errs);

/* Appends one error (a caller's own, such as "is already used by another
 * item in the shop"); dropped past LISTING_ERRORS_MAX. */
void listing_add(struct listing_errors *errs, const char *field, const char *label, const char *message);
/* The message of the first error about field, or NULL. */
const char *listing_error_for(const struct listing_errors *errs, const char *field);

/* 1 when s is a SKU code (or a bulk item key): 1 to SKU_CODE_MAX of
 * [A-Za-z0-9._-], starting with a letter or digit. */
int listing_code_ok(const char *s);

/* The field name of a SKU's part in dialect d ("skus[2].price", "v2.price",
 * "price"), for the callers' own errors about a SKU. */
const char *listing_sku_field(struct arena *a, enum listing_dialect d, const struct listing_sku *s,
			      const char *what);

#endif
