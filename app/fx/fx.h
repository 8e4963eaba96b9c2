/* Prices in the shopper's currency (issue 19). The shop's own currency
 * (USD) is the one every stored price, ledger and payout is in; a shopper
 * may choose among the currencies the shop enables, prices are converted at
 * the day's rate (loaded by `shopctl fx-load`, ECB CSV) or taken from a
 * seller's price list, and an order records the currency charged and the
 * rate used (orders.currency, orders.fx_rate, orders.fx_date).
 *
 * The shared part, which other modules may call: the minor units of a
 * currency and the way back from an order's currency to the shop's. */
#ifndef FX_FX_H
#define FX_FX_H

#include <stdint.h>

/* The shop's currency ("USD"). */
const char *fx_shop_currency(void);

/* Digits of a currency's minor unit: 0 for JPY (and the other ISO 4217
 * currencies without one), 2 for the rest. */
int fx_exponent(const char *currency);

/* An amount of an order (minor units of currency) in the shop's currency's
 * minor units, at the order's rate (rate: orders.fx_rate as text, units of
 * currency per unit of the shop's currency), rounded to the nearest minor
 * unit (halves away from zero). The shop's own currency comes back as is. */
int64_t fx_to_shop(int64_t minor, const char *currency, const char *rate);

/* ---- the fx module's own (issue 19, X) ----
 *
 * Rates are fixed-point: a rate is an int64_t of units of the currency per
 * unit of the shop's currency times FX_SCALE (10 decimals, as
 * orders.fx_rate and fx_rates.rate keep them). No floating point anywhere
 * on the way from a price to a charge.
 *
 * Rounding rule: a converted amount is rounded to the currency's own minor
 * unit (the unit shown: cents, pence, whole yen), the nearest one, halves
 * away from zero. No charm pricing (no .99 endings made up). A line's total
 * is the converted unit price times the quantity, so what a shopper reads
 * on the product page, in the cart, at checkout, on the order, in the mail
 * and on the invoice add up to the same amount the gateway charges. */
#define FX_SCALE INT64_C(10000000000)	/* 1e10 */
#define FX_MAX_RATE (INT64_C(100000000) * FX_SCALE)	/* 1e8 units per USD */

/* 1 when s is three capital letters. */
int fx_code_ok(const char *s);

/* Parses a positive decimal ("1.0867", "161.87", "0.85") into *rate
 * (FX_SCALE fixed point); more than 10 decimals are rounded half away from
 * zero. -1 for anything else (sign, exponent, garbage, zero, too large). */
int fx_rate_parse(const char *s, int64_t *rate);

/* The rate as decimal text with 10 decimals ("1.0867000000") into buf
 * (buflen >= 32); returns buf. */
char *fx_rate_text(int64_t rate, char *buf, size_t buflen);

/* An amount in the shop's currency's minor units converted to currency at
 * rate (FX_SCALE), in currency's minor units, rounded as above. The shop's
 * currency, or a rate <= 0, gives the amount back unchanged. */
int64_t fx_convert(int64_t shop_minor, const char *currency, int64_t rate);

/* The currency a browser's Accept-Language asks for among enabled (a
 * comma-separated list of codes): language tags by preference (q-values,
 * then order), de, fr, es, it, nl (any region) to EUR, en-GB to GBP, ja to
 * JPY, any other to the shop's currency; the first tag whose currency is
 * enabled wins. The shop's currency when nothing matches. Static string. */
const char *fx_from_language(const char *accept_language, const char *enabled);

/* ---- amounts a shopper types in their currency (issue 19, X) ----
 *
 * A price filter's bounds are typed in the shopper's currency and the query
 * runs on the shop's prices. A bound becomes the shop's amount that keeps
 * exactly the prices the shopper sees inside it: for a lower bound the
 * smallest shop amount whose converted price (fx_convert) is at least
 * minor, for an upper bound the largest whose converted price is at most
 * minor (fx_convert never decreases with the amount, so the shop prices in
 * [lower, upper] are exactly those shown in [min, max]). The shop's
 * currency, or a rate <= 0, gives minor back. Results are capped at
 * FX_BOUND_CAP. */
#define FX_BOUND_CAP (INT64_C(1) << 55)
int64_t fx_bound_to_shop(int64_t minor, const char *currency, int64_t rate, int upper);

/* A typed amount read with two decimals (money_typed, v_money: "25.50" is
 * 2550) in currency's minor units: the same for two-digit currencies,
 * whole units (rounded half away from zero) for JPY. */
int64_t fx_typed_minor(int64_t cents, const char *currency);

/* An amount in currency's minor units as a shopper types it back ("25.50",
 * "1500" for JPY) into buf (buflen >= 32); returns buf. */
char *fx_amount_text(int64_t minor, const char *currency, char *buf, size_t buflen);

/* A product's "from" price in currency: the least, over its n SKUs, of the
 * seller's own price in currency where one is set (own[i] >= 0) and the
 * SKU's shop price (shop[i]) converted at rate otherwise. -1 when n is 0. */
int64_t fx_from_price(const int64_t *shop, const int64_t *own, size_t n, const char *currency, int64_t rate);

/* 1 when code is in the comma-separated list (spaces allowed). */
int fx_in_list(const char *list, const char *code);

/* One rate of an ECB file, per unit of the shop's currency. */
struct fx_ecb_rate {
	char date[11];		/* YYYY-MM-DD */
	char currency[4];
	int64_t rate;		/* FX_SCALE */
};

/* Parses the ECB's CSV (eurofxref.csv: a header "Date, USD, JPY, ..." and
 * one row per day, "05 December 2026, 1.0867, 161.87, ..."; dates in that
 * form or YYYY-MM-DD; "N/A" cells skipped; a trailing comma allowed) and
 * turns its rates per EUR into rates per USD (the USD column divides; EUR
 * itself becomes 1 / USD). Up to max rates into out, *n of them. -1 with a
 * sentence in err (errlen >= 160) for a file that is not that: no Date
 * header, a column that is not a currency code or twice, no USD column, no
 * day, a bad date, a rate that is not a positive number, a row longer than
 * the header, more than max rates. */
int fx_ecb_parse(const char *text, size_t len, struct fx_ecb_rate *out, size_t max, size_t *n,
		 char *err, size_t errlen);

#endif
