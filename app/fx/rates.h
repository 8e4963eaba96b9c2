/* The fx module's domain (issue 19, X): the enabled currencies, the day's
 * rates (fx_rates) and their loading from an ECB file, sellers' price lists
 * (sku_prices), and a cart's prices in a currency. No request here: the
 * pages (fx_pages.c), the checkout and shopctl call it. */
#ifndef FX_RATES_H
#define FX_RATES_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"
#include "fx.h"

struct arena;
struct db;
struct cart;

#define FX_DEFAULT_CURRENCIES "USD,EUR,GBP,JPY"

/* Statements and SHOP_CURRENCIES (a comma-separated list of codes; the
 * shop's own is always enabled). */
void fx_init(void);

/* The enabled list as configured ("USD,EUR,GBP,JPY"), and whether code is
 * one of it. */
const char *fx_currencies(void);
int fx_enabled(const char *code);

/* A currency as quoted: its code, its rate (FX_SCALE; FX_SCALE for the
 * shop's own) and that rate's text and day (NULL for the shop's own). */
struct fx_quote_rate {
	const char *currency;
	int64_t rate;
	const char *rate_text;	/* "0.9202171740" */
	const char *date;	/* "2026-12-04" */
};

/* The latest rate loaded for currency (an enabled one): E_NOTFOUND when
 * there is none (the shop cannot show or charge in it), E_INVAL when the
 * currency is not enabled. */
enum err fx_rate_now(struct db *db, struct arena *a, const char *currency, struct fx_quote_rate *out);

/* Stores parsed rates (one transaction; a day loaded again is replaced).
 * *days gets the number of days, *latest the newest (arena-owned). */
enum err fx_store_rates(struct db *db, struct arena *a, const struct fx_ecb_rate *r, size_t n,
			const char *source, size_t *days, const char **latest);

/* The cart's prices in rate's currency, in place: a line's unit price (and
 * its price when added, and its regular price) is the seller's own price
 * for the SKU in that currency when one is set (not for a line priced by a
 * flash sale), else the converted price. The lines' currency becomes
 * rate->currency. Nothing changes for the shop's own currency. */
enum err fx_cart_prices(struct db *db, struct arena *a, struct cart *cart, const struct fx_quote_rate *rate);

/* A seller's price list of one SKU. */
struct fx_sku_price {
	const char *currency;
	int64_t price;
};

/* The price list of SKU sku_id: *out arena-owned, *n entries by currency. */
enum err fx_sku_prices_get(struct db *db, struct arena *a, int64_t sku_id, struct fx_sku_price **out, size_t *n);
/* Sets (price >= 0) or removes (price < 0) the SKU's price in currency (an
 * enabled currency other than the shop's: E_INVAL otherwise). The caller
 * checked that the SKU is the seller's. */
enum err fx_sku_price_set(struct db *db, struct arena *a, int64_t sku_id, const char *currency, int64_t price);
/* The SKU id of code when seller_id sells it (E_NOTFOUND otherwise), and its
 * product id. */
enum err fx_seller_sku(struct db *db, struct arena *a, int64_t seller_id, const char *code, int64_t *sku_id,
		       int64_t *product_id);
/* The sellers' own prices in currency of the SKUs whose codes are in
 * codes_json (a JSON array of strings): codes[i] ▶ prices[i]. */
enum err fx_sku_overrides(struct db *db, struct arena *a, const char *codes_json, const char *currency,
			  const char ***codes, int64_t **prices, size_t *n);

/* Products' "from" prices in rate's currency when their sellers set own
 * prices for some SKUs (issue 19): for each product of ids_json (a JSON
 * array of product ids) with an own price in the currency on any active
 * SKU, the least of its active SKUs' prices, each the own one where set
 * and the converted one otherwise (fx_from_price): ids[i] ▶ prices[i]. The
 * other products are not listed: their least price converted is it. */
enum err fx_from_prices(struct db *db, struct arena *a, const char *ids_json, const struct fx_quote_rate *rate,
			int64_t **ids, int64_t **prices, size_t *n);

/* `shopctl fx-load FILE` */
int fx_load_cmd(int argc, char **argv);

#endif
