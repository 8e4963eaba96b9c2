/* The seller's items, the domain side: checking and writing an item and its
 * SKUs (the pages and the API are items_pages.c's). Every query names the
 * seller (WHERE ... AND seller_id = ?), so another seller's item is "not
 * found"; every change is one transaction that also keeps the storefront's
 * read model (price, stock_total, sku_digest) and the events right. */
#ifndef SELLER_ITEMS_H
#define SELLER_ITEMS_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"
#include "listing.h"
#include "limits.h"

struct arena;
struct db;
struct db_res;

/* Registers the module's statements (call once at start). */
void items_init(void);

/* Parses a price typed as a decimal amount ("12", "12.3", "12.34") exactly,
 * without floating point, into minor units within 0..ITEM_PRICE_MAX:
 * money_parse(MONEY_DECIMAL) of app/core/text.h. Returns 0, or -1 for
 * anything else (a sign, spaces, three decimals, ...). */
int items_parse_price(const char *s, int64_t *cents);
/* 1 when s is a SKU code by the rules of app/seller/limits.h:
 * listing_code_ok() of app/seller/listing.h. */
int items_sku_code_ok(const char *s);

/* ---- one change to an item: its input, read from a form or a JSON body
 * by the pages ---- */

enum { ITEM_HAS_PRICE = 1, ITEM_HAS_WEIGHT = 2, ITEM_HAS_QTY = 4, ITEM_HAS_OPTS = 8 };

struct item_sku {
	int64_t id;		/* an existing SKU (0: new) */
	int row;		/* the form row or skus[] index it came from, -1: none */
	const char *code;
	json_t *opts;		/* {"Color": "Red"}; borrowed from the op's root */
	const char *ov[ITEM_OPTIONS_MAX];	/* the form's option values by slot */
	const char *price_s, *weight_s, *qty_s;	/* as typed (the form) */
	int64_t price, weight, qty, stock;
	unsigned has;
	int remove, inactive;
	int gen;		/* the API's one SKU: its code is made on insert */
};

struct item_in {
	const char *title, *description, *brand, *category, *status;	/* NULL: not given */
	json_t *attrs;		/* {"name": "value"} given, NULL: not given */
	const char *optname[ITEM_OPTIONS_MAX];	/* the form's option names */
	struct item_sku *sku;
	int nsku, has_skus;
	int has_price, has_qty;	/* the API's item-level price and quantity */
	int64_t price, qty;
};

struct item_attr_def {
	const char *name, *kind;
	json_t *choices;	/* array of strings, or NULL */
	int required;
};

struct item_change {
	int64_t seller_id;	/* the signed-in seller: every query names it */
	int64_t uid;		/* who, for the stock movements ("user:12") */
	int api, patch;
	int64_t id;		/* the product; set on create */
	struct item_in in;
	json_t *root;		/* owns what the op built (options objects) */
	struct listing_errors pre;	/* what reading the form found (kept across retries) */
	/* Out. */
	struct listing_errors errs;
	const char *why;	/* a refusal that is not about one field */
	int stock_set;
	const char *stored_status;
	struct arena *a;	/* the request's; items_save sets it too */
};

/* The form's variant rows into values (options by the option names above
 * the rows) and the typed values' own problems into op->errs: op->pre
 * before items_save. op->a must be set. */
void items_form_skus(struct item_change *op);

/* Checks the change against the listing rules (listing_check), the category
 * and the item's current SKUs, and writes it in one transaction with the
 * read model and the events (retried on deadlock). E_INVAL: op->errs (or
 * op->why) says why and nothing was written; E_NOTFOUND: not the seller's
 * item. op->id is the item's (set on create). */
enum err items_save(struct db *db, struct arena *a, struct item_change *op);

/* ---- what the pages read ---- */

/* The columns of items_row and items_list. */
enum { ITEM_C_ID, ITEM_C_SLUG, ITEM_C_TITLE, ITEM_C_DESC, ITEM_C_BRAND, ITEM_C_CAT, ITEM_C_STATUS, ITEM_C_PRICE,
       ITEM_C_CUR, ITEM_C_ATTRS, ITEM_C_IMAGES, ITEM_C_CREATED, ITEM_C_UPDATED, ITEM_C_STOCK, ITEM_C_THUMB,
       ITEM_C_CATNAME };
/* The columns of items_skus. */
enum { ITEM_K_ID, ITEM_K_CODE, ITEM_K_OPTS, ITEM_K_PRICE, ITEM_K_WEIGHT, ITEM_K_STATUS, ITEM_K_STOCK };

/* The seller's item id (no rows when it is another seller's). */
enum err items_row(struct db *db, struct arena *a, int64_t seller_id, int64_t id, struct db_res **p);
/* Its SKUs in order, with their available units. */
enum err items_skus(struct db *db, struct arena *a, int64_t seller_id, int64_t id, struct db_res **s);
/* The categories an item can be in (slug, name, department name). */
enum err items_leaves(struct db *db, struct arena *a, struct db_res **r);
/* *suspended = 1 when the seller is suspended. */
enum err items_seller_suspended(struct db *db, struct arena *a, int64_t seller_id, int *suspended);

/* A page of the seller's list, newest first; NULL: any. */
struct item_filter {
	const char *q;		/* in the title, or a SKU code's start */
	const char *status, *category;
	int64_t after;		/* ids below this */
	int64_t limit;
};
enum err items_list(struct db *db, struct arena *a, int64_t seller_id, const struct item_filter *f,
		    struct db_res **out);

/* A category's attribute definitions, at most ITEM_ATTR_DEFS_MAX. */
#define ITEM_ATTR_DEFS_MAX 40
enum err items_attr_defs(struct db *db, struct arena *a, const char *cat, struct item_attr_def *d, int *n);
/* A column holding a JSON object, parsed (an empty object on anything
 * else); the reference belongs to the arena. NULL when out of memory. */
json_t *items_json_col(struct arena *a, const char *s);
/* A trimmed arena copy; NULL stays NULL. */
const char *items_trim(struct arena *a, const char *s);

#endif
