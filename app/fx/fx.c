/* Currencies: the shared part (fx.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fx.h"

const char *fx_shop_currency(void)
{
	return "USD";
}

int fx_exponent(const char *currency)
{
	/* ISO 4217 currencies whose minor unit has no digits. */
	static const char *const none[] = {
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
		"XAF", "XOF", "XPF", NULL
	};

	for (size_t i = 0; currency && none[i]; i++)
		if (!strcmp(currency, none[i]))
			return 0;
	return 2;
}

int64_t fx_to_shop(int64_t minor, const char *currency, const char *rate)
{
	long double r, v;
	int from, to;

	if (!currency || !strcmp(currency, fx_shop_currency()))
		return minor;
	r = rate ? strtold(rate, NULL) : 0;
	if (!(r > 0))
		return minor;
	from = fx_exponent(currency);
	to = fx_exponent(fx_shop_currency());
	v = (long double)minor / r;
	for (; from < to; from++)
		v *= 10;
	for (; from > to; from--)
		v /= 10;
	return (int64_t)llroundl(v);
}
