/* The money rules of checkout: shipping rates, tax and promo codes.
 *
 * Every amount is int64_t minor units (cents) of PRICING_CURRENCY; nothing
 * here ever uses a floating-point type. The arithmetic is in pure functions
 * (no database, no request: table-tested in t/unit/test_pricing.c); the
 * functions that take a struct db load the rate tables (cached per process
 * for PRICING_TTL seconds) and the promo rows, then call the pure ones.
 *
 * The rules, in the order a quote applies them:
 *
 * 1. Lines. subtotal = sum of unit_price x quantity. Each line needs
 *    quantity 1..PRICING_MAX_QTY, unit_price 0..PRICING_MAX_AMOUNT and
 *    weight_g >= 0; at most PRICING_MAX_LINES lines (E_INVAL otherwise). A
 *    line total or subtotal above PRICING_MAX_AMOUNT is refused (E_TOOBIG):
 *    that cap keeps every product below (amount x amount, amount x rate) well
 *    inside int64_t, and every multiplication and sum is checked as well.
 *
 * 2. Promo discount. A percent promo's value is in basis points (1000 =
 *    10%, 1..10000); its discount is subtotal x value / 10000 rounded half
 *    up. A fixed promo's value is cents. Either way the discount is capped at
 *    the subtotal, so it is 0..subtotal. A promo that does not apply (see
 *    pricing_promo_check) gives no discount and a message for the shopper;
 *    it is not an error of the quote.
 *
 * 3. Allocation. The discount is spread over the lines in proportion to
 *    their totals by the largest-remainder method: each line first gets
 *    floor(discount x line / subtotal); the cents left over (fewer than the
 *    number of lines) go one each to the lines with the largest remainders,
 *    ties to the larger line, then to the earlier line. Line discounts sum
 *    exactly to the discount and no line's discount exceeds its total.
 *
 * 4. Tax. Prices are tax-exclusive. The destination's rate (tax_rates: the
 *    row for the country and region, else the country's row with region '',
 *    else 0) is in parts per million (72500 = 7.25%), not basis points,
 *    because real rates have three decimals (Quebec's GST + QST is 14.975%).
 *    Tax is computed per line on (line total - line discount) and rounded
 *    half up to the cent; the order's tax is the sum of the line taxes, so a
 *    refunded line gives back exactly its own tax. All lines share the one
 *    destination rate (there are no product tax classes). Shipping is not
 *    taxed.
 *
 * 5. Shipping. The destination maps to a zone (pricing_zone). A method is
 *    offered to a zone when it has a lane there (shipping_lanes: delivery
 *    estimate in business days, optional free-shipping threshold) and rates
 *    (shipping_rates: price per weight band). Weight = sum of weight_g x
 *    quantity. The price is that of the smallest band whose max_grams is at
 *    or above the weight (a weight exactly on a band's limit is in that
 *    band); a weight above the largest band makes the method unavailable for
 *    this order (no per-kg surcharge), with a reason the page can show. The
 *    method ships free when the goods amount (subtotal - discount) is at or
 *    above the lane's free_over.
 *
 * 6. total = subtotal - discount + tax + shipping.
 *
 * Rounding: pricing_round_half_up rounds to the nearest integer and halves
 * away from zero (2.5 -> 3, -2.5 -> -3), so a credit mirrors the charge.
 *
 * Promo codes are 3..32 of A-Z, 0-9 and '-'; input is trimmed and
 * upper-cased before lookup (case-insensitive), and stored upper-case. */
#ifndef CHECKOUT_PRICING_H
#define CHECKOUT_PRICING_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

#define PRICING_CURRENCY	"USD"
#define PRICING_MAX_AMOUNT	INT64_C(1000000000)	/* cents: $10,000,000.00 */
#define PRICING_MAX_QTY		100000	/* units on one line */
#define PRICING_MAX_LINES	1000	/* lines in one quote */
#define PRICING_CODE_MIN	3	/* promo code length */
#define PRICING_CODE_MAX	32
#define PRICING_TTL		5	/* seconds a process trusts its rate tables */

/* Zones (shipping_lanes.zone). */
#define PRICING_ZONE_US		"US"		/* the 48 contiguous states and DC */
#define PRICING_ZONE_US_REMOTE	"US-REMOTE"	/* AK, HI, territories, military mail */
#define PRICING_ZONE_CA		"CA"
#define PRICING_ZONE_EU		"EU"		/* the 27 member states */
#define PRICING_ZONE_INTL	"INTL"		/* everywhere else */

/* One line of an order. The caller fills the first four fields; the
 * allocation and tax functions fill discount and tax. */
struct pricing_line {
	int64_t sku_id;
	int64_t unit_price;	/* cents, tax-exclusive */
	int quantity;
	int weight_g;		/* of one unit */
	int64_t discount;	/* this line's share of the promo discount */
	int64_t tax;		/* on (unit_price x quantity - discount) */
};

/* A destination in the stored forms address_check produces: country an
 * ISO 3166-1 alpha-2 code, region the state or province code for US and CA
 * (free text or "" elsewhere; NULL is taken as ""). */
struct pricing_dest {
	const char *country;
	const char *region;
};

/* A shipping method as offered for one order and destination. Strings are
 * arena-owned (or static). */
struct pricing_method {
	const char *code, *name;
	int days_min, days_max;	/* business days; 0 when unavailable */
	int64_t price;		/* cents; 0 when free or unavailable */
	int free;		/* 1 when the free-shipping threshold was reached */
	int available;
	const char *why_unavailable;	/* NULL when available */
};

/* The totals of an order. Strings and the methods array are arena-owned (or
 * static). */
struct pricing_quote {
	const char *currency;	/* PRICING_CURRENCY */
	int64_t subtotal;	/* sum of line totals */
	int64_t discount;	/* 0..subtotal */
	int64_t shipping;
	int64_t tax;		/* sum of line taxes */
	int64_t total;		/* subtotal - discount + tax + shipping */
	int64_t weight_g;
	const char *zone;
	int tax_rate_ppm;
	const char *tax_name;	/* "CA sales tax", "VAT", ... or "" */
	/* The chosen method (NULL/0 when none could be chosen). */
	const char *method, *method_name;
	int days_min, days_max;
	const char *method_error;	/* why the method was refused, or NULL */
	/* Every active method with its price for this order, in display order,
	 * so the checkout page shows the choice with the totals. */
	struct pricing_method *methods;
	size_t nmethods;
	/* The promo applied (promo_id 0 when none). promo_code is the
	 * normalised code as entered, also when it was refused; promo_error is a
	 * sentence for the shopper, NULL when the code applied or none was
	 * given. */
	int64_t promo_id;
	const char *promo_code;
	const char *promo_error;
};

/* ---- rate tables (pure representation; loaded from MariaDB) ---- */

struct pricing_band {
	int64_t max_grams;	/* this band holds weights up to and including */
	int64_t price;		/* cents */
};

/* A method's service to one zone. */
struct pricing_lane {
	const char *method;		/* shipping_methods.code */
	const char *zone;
	int days_min, days_max;
	int64_t free_over;		/* goods at or above ship free; -1 = never */
	const struct pricing_band *bands;	/* ascending max_grams */
	size_t nbands;
};

struct pricing_method_def {
	const char *code, *name;
};

struct pricing_tax {
	const char *country, *region;	/* region "" = the whole country */
	int rate_ppm;			/* parts per million: 72500 = 7.25% */
	const char *name;
};

struct pricing_tables {
	const struct pricing_method_def *methods;	/* active, display order */
	size_t nmethods;
	const struct pricing_lane *lanes;
	size_t nlanes;
	const struct pricing_tax *taxes;
	size_t ntaxes;
};

/* ---- promo codes (pure representation of a promo_codes row) ---- */

enum pricing_promo_kind {
	PRICING_PERCENT,	/* value in basis points, 1..10000 */
	PRICING_FIXED		/* value in cents, > 0 */
};

struct pricing_promo {
	int64_t id;
	const char *code;
	enum pricing_promo_kind kind;
	int64_t value;
	int64_t min_subtotal;	/* cents; 0 = none */
	int64_t starts_at;	/* unix seconds; usable from this moment; 0 = open */
	int64_t ends_at;	/* unix seconds; unusable from this moment; 0 = open */
	int64_t usage_limit;	/* total uses; -1 = unlimited */
	int64_t used_count;
	int once_per_customer;
	int active;
	/* The admin console (issue 19): uses per shopper (-1 = no limit; 1 is
	 * once_per_customer), whether the promo is limited to categories or
	 * sellers, and then which of the quote's lines it applies to (1 per
	 * line; NULL: all of them). */
	int64_t per_customer;
	int scoped;
	const unsigned char *eligible;
};

/* ---- pure functions ---- */

/* num / den rounded to the nearest integer, halves away from zero. den must
 * be positive (0 is returned otherwise, never a division by zero). Never
 * overflows. */
int64_t pricing_round_half_up(int64_t num, int64_t den);

/* Checks the lines (rule 1) and adds them up: *subtotal in cents, *weight_g
 * in grams (either pointer may be NULL). E_INVAL for a bad line or n outside
 * 1..PRICING_MAX_LINES, E_TOOBIG above PRICING_MAX_AMOUNT. */
enum err pricing_sum_lines(const struct pricing_line *lines, size_t n,
			   int64_t *subtotal, int64_t *weight_g);

/* Sets every line's discount (rule 3). A discount above the subtotal is
 * capped at it, and a negative one taken as 0; *allocated (may be NULL)
 * gets the amount spread. Errors as pricing_sum_lines. */
enum err pricing_allocate_discount(struct pricing_line *lines, size_t n, int64_t discount,
				   int64_t *allocated);

/* Sets every line's tax from its total and discount at rate_ppm
 * (0..1000000) and puts their sum in *tax (may be NULL). E_INVAL for a rate
 * outside that range; otherwise errors as pricing_sum_lines. */
enum err pricing_tax_lines(struct pricing_line *lines, size_t n, int rate_ppm, int64_t *tax);

/* The discount promo p gives on subtotal (rule 2), 0..subtotal; 0 for a
 * non-positive subtotal or a value out of range. Does not check whether the
 * promo applies (pricing_promo_check does). */
int64_t pricing_promo_discount(const struct pricing_promo *p, int64_t subtotal);

/* Whether promo p applies, checked in this order: active, started, not
 * ended, uses left, this shopper (user_id 0 = a guest; user_uses = the live
 * redemptions of p by user_id), minimum subtotal. Returns NULL when it
 * applies, else a sentence for the shopper: static, or written into buf
 * (buflen >= 128 is enough) for "Add $X.YZ more ...". */
const char *pricing_promo_check(const struct pricing_promo *p, int64_t subtotal, int64_t now,
				int64_t user_id, int64_t user_uses, char *buf, size_t buflen);

/* Writes the stored form of a promo code (trimmed, upper-cased) into out
 * (outlen >= PRICING_CODE_MAX + 1) and returns 0; -1 when in is not 3..32 of
 * letters, digits and '-' (out is then ""). */
int pricing_promo_normalise(const char *in, char *out, size_t outlen);

/* The zone of a destination: US-REMOTE for US regions AK, HI, PR, VI, GU,
 * AS, MP, UM, FM, MH, PW, AA, AE, AP and for the countries PR, VI, GU, AS,
 * MP, UM; US for the other US regions; CA; EU for the 27 member states
 * (GR for Greece; not GB, CH, NO, ...); INTL for everything else, an
 * unknown or NULL country included. Case-insensitive. Static strings. */
const char *pricing_zone(const char *country, const char *region);

/* 1 when country (two letters, case-insensitive) is an EU member state. */
int pricing_eu_member(const char *country);

/* The tax row for a destination: (country, region), else (country, ""),
 * else NULL (rate 0). Case-insensitive. Points into tab. */
const struct pricing_tax *pricing_tax_find(const struct pricing_tax *tab, size_t n,
					   const char *country, const char *region);

/* The price of lane l for an order of weight_g grams and goods cents (after
 * discount), into *price: E_OK, or E_TOOBIG when the weight is above the
 * largest band (or the lane has none), E_INVAL for a negative weight. */
enum err pricing_lane_price(const struct pricing_lane *l, int64_t weight_g, int64_t goods,
			    int64_t *price);

/* A delivery estimate in words: "1 business day", "1–2 business days"
 * (en dash), "" when min is 0 (unavailable). In a. */
const char *pricing_days_text(struct arena *a, int days_min, int days_max);

/* "$1,234.56" ("-$5.00" for negatives) into buf; returns buf. buflen >= 32
 * always suffices. */
char *pricing_format_money(int64_t cents, char *buf, size_t buflen);

/* Every active method of t for this destination, weight and goods amount,
 * with price or reason, in t's order: *out arena-owned, *nout entries. */
enum err pricing_methods_for(const struct pricing_tables *t, struct arena *a,
			     const struct pricing_dest *dest, int64_t weight_g, int64_t goods,
			     struct pricing_method **out, size_t *nout);

/* A whole quote from tables t (rules 1..6) with an already-checked promo
 * (NULL = none; pricing_quote checks it). method NULL or "" chooses the
 * first available method. Fills lines' discount and tax and *q. Returns
 * E_INVAL for an unknown country, an unknown method or one unavailable for
 * this order (q->method_error says why; the rest of q is filled, shipping 0),
 * else as pricing_sum_lines. */
enum err pricing_quote_for(const struct pricing_tables *t, struct arena *a,
			   struct pricing_line *lines, size_t n, const struct pricing_dest *dest,
			   const char *method, const struct pricing_promo *promo,
			   struct pricing_quote *q);

/* ---- with the database ---- */

/* Registers the module's statements (once, at start: the checkout module's
 * init calls it through modules_init). */
void pricing_init(void);

/* Forgets the cached rate tables, so the next call reads them again. The
 * cache is per process and not locked (shopd workers are processes, each
 * with one thread), like the catalog's category cache. */
void pricing_cache_clear(void);

/* The shipping choices for these lines, destination and promo discount
 * (which counts toward free-shipping thresholds; 0 for none): *out is
 * arena-owned, *nout its length. Errors as pricing_sum_lines, E_INVAL for an
 * unknown country, E_UNAVAIL/E_DB when the tables cannot be read and none
 * are cached. */
enum err pricing_methods(struct db *db, struct arena *a, const struct pricing_line *lines, size_t n,
			 const struct pricing_dest *dest, int64_t discount,
			 struct pricing_method **out, size_t *nout);

/* The totals of an order at time now (unix seconds). promo_code may be NULL
 * or "": otherwise it is looked up and checked for user_id (0 = a guest); a
 * code that does not apply leaves the discount 0 and sets q->promo_error,
 * and is not an error. Fills lines' discount and tax and *q (arena-owned
 * strings). Errors as pricing_quote_for, plus database errors. */
enum err pricing_quote(struct db *db, struct arena *a, struct pricing_line *lines, size_t n,
		       const struct pricing_dest *dest, const char *method, const char *promo_code,
		       int64_t user_id, int64_t now, struct pricing_quote *q);

/* CURRENCIES (issue 19, app/fx): the same quote in another currency.
 * The lines' unit prices must be in that currency already (the caller
 * converted them, or took a seller's own price: fx_cart_prices); the rate
 * tables' shipping prices and free-shipping thresholds and a fixed promo's
 * value and minimum order are converted here at rate (FX_SCALE fixed point,
 * app/fx/fx.h fx_convert: rounded at the currency's minor unit), and tax is
 * then computed per line in that currency, so every amount of the quote is
 * what is charged. currency NULL or the shop's: as pricing_quote. */
enum err pricing_quote_in(struct db *db, struct arena *a, struct pricing_line *lines, size_t n,
			  const struct pricing_dest *dest, const char *method, const char *promo_code,
			  int64_t user_id, int64_t now, const char *currency, int64_t rate,
			  struct pricing_quote *q);

/* Redeems promo promo_id for order_id, INSIDE the caller's transaction
 * (db_begin/db_tx): locks the promo row (SELECT ... FOR UPDATE), checks
 * again that it is active, within its window at now, has a use left and, for
 * a once-per-customer code, that user_id (0 = guest, refused for such codes)
 * has no live redemption; then counts the use and records the redemption.
 * The minimum subtotal is not checked again: the order's amounts were
 * quoted by pricing_quote. Of two buyers racing for the last use, the second
 * waits for the first's commit and gets E_CONFLICT.
 *
 * Idempotent per order: a second call for the same order and promo returns
 * E_OK and counts nothing. Returns E_NOTFOUND for no such promo, E_CONFLICT
 * with *why (static, may be NULL) when it may not be used (or the order
 * already redeemed another promo, or released this one), database errors
 * otherwise (a deadlock or lock timeout: roll back and retry, as db_tx
 * does). */
enum err pricing_promo_redeem(struct db *db, struct arena *a, int64_t promo_id, int64_t user_id,
			      int64_t order_id, int64_t now, const char **why);

/* Gives back the promo use of order_id (a cancelled, expired or failed
 * order), INSIDE the caller's transaction: the redemption is marked released
 * (kept for the record) and the promo's used_count goes down by one. An
 * order without a redemption, or one already released, changes nothing and
 * returns E_OK. */
enum err pricing_promo_release(struct db *db, struct arena *a, int64_t order_id);

/* Guest checkout (promo_guest.c): *once set when code names a promo that
 * may be used once per customer; such codes are for accounts, as a guest
 * is a new record per email. 0 for an unknown code (the quote says so). */
void pricing_promo_guest_init(void);
enum err pricing_promo_per_customer(struct db *db, struct arena *a, const char *code, int *once);

#endif
