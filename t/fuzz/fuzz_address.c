/* What a shopper types into an address and a promo code field:
 * address_check() (app/account/address.c) and, read-only here,
 * pricing_promo_normalise() and pricing_zone() (app/pricing/pricing.c).
 * Input: name, line1, line2, city, region, postal code, country and promo
 * code separated by NUL bytes.
 *
 * Properties: at most ADDRESS_MAX_ERRORS problems, each with a field and a
 * message, and a non-empty errors text; a valid address has a known
 * country, a region and postal code within their limits, and checked again
 * is still valid and unchanged (the stored forms are fixed points). A
 * normalised promo code is 3..32 of [A-Z0-9-] and normalises to itself;
 * every destination has a zone. */
#include "fuzz.h"
#include "../../app/account/address.h"
#include "../../app/pricing/pricing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *f[8];
	struct address ad, again;
	struct address_errors errs;
	char code[64], code2[64];
	int n;

	for (int i = 0; i < 8; i++)
		f[i] = fuzz_field(data, size, '\0', i);
	ad = (struct address){ f[0], f[1], f[2], f[3], f[4], f[5], f[6] };
	n = address_check(a, &ad, &errs);
	FUZZ_CHECK(n == errs.n && n >= 0 && n <= ADDRESS_MAX_ERRORS, "%d problems, errs.n %d", n, errs.n);
	for (int i = 0; i < errs.n; i++)
		FUZZ_CHECK(errs.v[i].field && errs.v[i].message && *errs.v[i].message, "problem %d", i);
	if (n) {
		const char *t = address_errors_text(a, &errs);

		FUZZ_CHECK(t && *t, "no errors text");
	} else {
		FUZZ_CHECK(ad.country && address_country_known(ad.country), "country '%s'", ad.country);
		FUZZ_CHECK(ad.postal_code && strlen(ad.postal_code) <= ADDRESS_POSTAL_MAX, "postal code");
		FUZZ_CHECK(ad.region && strlen(ad.region) <= ADDRESS_REGION_MAX, "region");
		FUZZ_CHECK(pricing_zone(ad.country, ad.region) != NULL, "no zone");
		again = ad;
		n = address_check(a, &again, &errs);
		FUZZ_CHECK(n == 0, "stored form refused: %s: %s", errs.v[0].field, errs.v[0].message);
#define SAME(x) FUZZ_CHECK(!strcmp(ad.x ? ad.x : "", again.x ? again.x : ""), #x ": '%s' then '%s'", \
			   ad.x ? ad.x : "(null)", again.x ? again.x : "(null)")
		SAME(name);
		SAME(line1);
		SAME(line2);
		SAME(city);
		SAME(region);
		SAME(postal_code);
		SAME(country);
#undef SAME
	}
	FUZZ_CHECK(pricing_zone(f[6], f[4]) != NULL, "no zone for raw input");
	if (pricing_promo_normalise(f[7], code, sizeof(code)) == 0) {
		size_t l = strlen(code);

		FUZZ_CHECK(l >= 3 && l <= 32 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == l,
			   "promo '%s' -> '%s'", f[7], code);
		FUZZ_CHECK(pricing_promo_normalise(code, code2, sizeof(code2)) == 0 && !strcmp(code, code2),
			   "promo '%s' is not a fixed point", code);
	} else {
		FUZZ_CHECK(code[0] == '\0', "refused promo left '%s'", code);
	}
	for (int i = 0; i < 8; i++)
		free(f[i]);
	arena_reset(a);
	return 0;
}
