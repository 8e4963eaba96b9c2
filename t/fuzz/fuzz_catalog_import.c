/* The demo catalog import's record checker and its pure helpers
 * (app/seller/import.c): catalog_check_json() on any JSON value (each
 * element when it is an array, as catalog_import_file() reads a file), and
 * the input as text through catalog_parse_price, catalog_parse_time,
 * catalog_slugify, catalog_category_map, catalog_slug_valid and
 * catalog_sku_valid.
 *
 * Properties: the checker's problem count equals its report's lines, each
 * "field: problem"; a price parses to 0..CATALOG_PRICE_MAX_CENTS and its
 * cents written as "N.NN" parse back to the same cents; a double's text
 * (catalog_number_text) parses back to the same double; a parsed time is
 * "YYYY-MM-DD HH:MM:SS.mmm" and parses again to itself; a slug from
 * slugify is empty or valid; a category's parent is a valid slug and its
 * name non-empty; stock split adds up. */
#include <math.h>
#include "fuzz.h"
#include "../../app/seller/import.h"

static void check_record(struct arena *a, json_t *o)
{
	const char *errs = NULL;
	int n = catalog_check_json(a, o, &errs), lines = 0;

	FUZZ_CHECK(errs && n >= 0, "no report");
	for (const char *p = errs; *p; p++)
		lines += *p == '\n';
	FUZZ_CHECK(lines == n, "%d problems, %d report lines:\n%s", n, lines, errs);
	for (const char *p = errs; *p; p = strchr(p, '\n') + 1)
		FUZZ_CHECK(strstr(p, ": ") && strstr(p, ": ") < strchr(p, '\n'), "line without 'field: ': %s", p);
}

static void check_text(const char *s)
{
	int64_t cents, again;
	char out[24], out2[24], slug[65], txt[64];
	struct catalog_category cat;
	size_t n;

	if (catalog_parse_price(s, &cents) == E_OK) {
		FUZZ_CHECK(cents >= 0 && cents <= CATALOG_PRICE_MAX_CENTS, "price '%s' -> %lld", s, (long long)cents);
		snprintf(txt, sizeof(txt), "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
		FUZZ_CHECK(catalog_parse_price(txt, &again) == E_OK && again == cents, "'%s' -> %lld, '%s' -> %lld",
			   s, (long long)cents, txt, (long long)again);
	}
	{
		char *end;
		double d = strtod(s, &end);

		if (end != s && isfinite(d)) {
			catalog_number_text(d, txt, sizeof(txt));
			FUZZ_CHECK(strtod(txt, NULL) == d, "number text '%s' of %.17g", txt, d);
			if (catalog_price_from_double(d, &cents) == E_OK)
				FUZZ_CHECK(cents >= 0 && cents <= CATALOG_PRICE_MAX_CENTS, "%.17g -> %lld", d,
					   (long long)cents);
		}
	}
	if (catalog_parse_time(s, out) == E_OK) {
		FUZZ_CHECK(strlen(out) == 23 && out[4] == '-' && out[7] == '-' && out[10] == ' ' && out[13] == ':' &&
			   out[16] == ':' && out[19] == '.', "time '%s' -> '%s'", s, out);
		FUZZ_CHECK(catalog_parse_time(out, out2) == E_OK && !strcmp(out, out2), "'%s' does not parse to itself",
			   out);
	}
	n = catalog_slugify(s, slug, 64);
	FUZZ_CHECK(n == strlen(slug) && n <= 64, "slug length");
	FUZZ_CHECK(n == 0 || catalog_slug_valid(slug), "slugify('%s') = '%s' is not a slug", s, slug);
	if (catalog_category_map(s, &cat) == E_OK) {
		FUZZ_CHECK(catalog_slug_valid(s), "category '%s' mapped but invalid", s);
		FUZZ_CHECK(cat.parent_slug && catalog_slug_valid(cat.parent_slug) && cat.name[0] && cat.parent_name,
			   "category '%s' mapped badly", s);
	} else {
		FUZZ_CHECK(!catalog_slug_valid(s), "valid slug '%s' refused as a category", s);
	}
	if (catalog_sku_valid(s))
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 64, "sku length");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	char *s;

	if (root) {
		if (json_is_array(root)) {
			size_t i;
			json_t *o;

			json_array_foreach(root, i, o) {
				check_record(a, o);
				arena_reset(a);
			}
		} else {
			check_record(a, root);
		}
		json_decref(root);
	}
	s = fuzz_str(data, size < 200 ? size : 200);
	check_text(s);
	{
		int64_t stock = 0, east, west;

		for (size_t i = 0; i < size && i < 7; i++)
			stock = stock * 10 + data[i] % 10;
		catalog_stock_split(stock, &east, &west);
		FUZZ_CHECK(east + west == stock && east >= 0 && west >= 0 && east >= west,
			   "split %lld -> %lld + %lld", (long long)stock, (long long)east, (long long)west);
	}
	free(s);
	arena_reset(a);
	return 0;
}
