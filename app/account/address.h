/* The address book's rules: which countries, postal codes and regions an
 * address may have. Pure functions (no database, no request), so they are
 * table-tested in t/unit/test_address.c and can be reused by checkout. The
 * handlers and SQL live in address.c; their prototypes are in account.h. */
#ifndef ACCOUNT_ADDRESS_H
#define ACCOUNT_ADDRESS_H

#include <stddef.h>

struct arena;

/* Field limits in bytes; they match the addresses table and the route keys
 * (app/account/routes.inc). */
#define ADDRESS_NAME_MAX	100
#define ADDRESS_LINE_MAX	200
#define ADDRESS_CITY_MAX	100
#define ADDRESS_REGION_MAX	100
#define ADDRESS_POSTAL_MAX	20
#define ADDRESS_PER_USER	50	/* addresses one person may keep */

/* One address as entered or stored. Strings are never NULL after
 * address_check ("" for an empty line2 or region). */
struct address {
	const char *name, *line1, *line2, *city, *region, *postal_code, *country;
};

#define ADDRESS_MAX_ERRORS 8

/* Field-level problems: field is the API name ("postalCode"), message the
 * text after it ("is not a valid US ZIP code"). Both static or arena-owned. */
struct address_errors {
	int n;
	struct {
		const char *field;
		const char *message;
	} v[ADDRESS_MAX_ERRORS];
};

/* 1 when code is an ISO 3166-1 alpha-2 code (exactly two uppercase letters). */
int address_country_known(const char *code);

/* Each checker takes the raw input and, when it is acceptable, writes the
 * stored form into out (outlen bytes, NUL-terminated) and returns NULL; else
 * returns a static message for the field (without the field name).
 *
 * country: trimmed and uppercased, then looked up.
 * postal:  by country (uppercased country code); US 12345 or 12345-6789,
 *          CA "A1A 1A1" (space optional, stored with it), GB the UK pattern
 *          (stored with its single space), DE/FR/IT/ES five digits, NL "1234 AB",
 *          AU four digits, JP 123-4567 (hyphen optional, stored with it), IN six
 *          digits; elsewhere 2 to 10 of letters, digits, spaces and hyphens.
 * region:  required two-letter code for US and CA (stored uppercased);
 *          elsewhere optional free text (trimmed). */
const char *address_check_country(const char *in, char *out, size_t outlen);
const char *address_check_postal(const char *country, const char *in, char *out, size_t outlen);
const char *address_check_region(const char *country, const char *in, char *out, size_t outlen);

/* Checks a whole address (required fields, lengths, country, postal code,
 * region) and rewrites ad's strings to their stored forms (copies in arena
 * a). Returns the number of problems found (0 = valid); errs lists them in
 * field order. Postal code and region are checked only when the country is
 * known, since their rules depend on it. */
int address_check(struct arena *a, struct address *ad, struct address_errors *errs);

/* "field: message; field: message" for an API answer (arena-owned). */
const char *address_errors_text(struct arena *a, const struct address_errors *errs);

#endif
