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

#endif
