/* The limits every writer of a seller's listing applies: listing_check()
 * (app/seller/listing.c) for the item forms and API, the bulk import and
 * the demo import, and the stock page. One place, so a row the form refuses
 * is refused by the import too. The database's column sizes and CHECKs back
 * them up. */
#ifndef SELLER_LIMITS_H
#define SELLER_LIMITS_H

#define ITEM_TITLE_MIN		3
#define ITEM_TITLE_MAX		200	/* products.title */
#define ITEM_DESC_MAX		10000	/* bytes of UTF-8 */
#define ITEM_BRAND_MAX		100	/* products.brand */
#define ITEM_ATTR_MAX		20	/* attributes per item */
#define ITEM_ATTR_NAME_MAX	40
#define ITEM_ATTR_VALUE_MAX	200
#define ITEM_SKUS_MAX		50	/* variants per item */
#define ITEM_OPTIONS_MAX	3	/* option names per item (Color, Size, ...) */
#define ITEM_OPTION_VALUE_MAX	40
/* A SKU code: 1..64 of [A-Za-z0-9._-], unique across the shop (skus.code),
 * starting with a letter or digit. */
#define SKU_CODE_MAX		64
/* Prices in minor units (cents): 0 is allowed (a free sample); the upper
 * bound keeps every sum of a 100-line cart far from int64 overflow. */
#define ITEM_PRICE_MAX		100000000LL	/* 1,000,000.00 */
#define ITEM_WEIGHT_MAX		1000000		/* grams */
/* The stock limits are the inventory module's (STOCK_QTY_MAX, ...). */
#include "../inventory/inventory.h"

#endif
