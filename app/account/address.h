/* The address book: its rules (which countries, postal codes and regions an
 * address may have: pure functions, no database, no request, so they are
 * table-tested in t/unit/test_address.c and reused by checkout) and its
 * storage (address.c). The pages and the API are in address_pages.c. */
#ifndef ACCOUNT_ADDRESS_H
#define ACCOUNT_ADDRESS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

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
 * region:  required for US and CA: the two-letter code or the state's or
 *          province's name ("California"), stored as the code; elsewhere
 *          optional free text (trimmed). */
const char *address_check_country(const char *in, char *out, size_t outlen);
const char *address_check_postal(const char *country, const char *in, char *out, size_t outlen);
const char *address_check_region(const char *country, const char *in, char *out, size_t outlen);

/* Choices with names, for forms (address_names.c): countries sorted by
 * name, the US states (then DC, territories and military mail), the
 * Canadian provinces. Static; *n gets the count. */
struct address_choice {
	const char *code, *name;
};
const struct address_choice *address_countries(size_t *n);
/* The country of the browser's language, for a new address's default:
 * the first tag of Accept-Language, by preference, whose region subtag is
 * a country of address_countries ("de-DE" Germany, "en-GB" the United
 * Kingdom, "zh-Hant-TW" Taiwan); NULL when none names one ("de", "es-419",
 * no header). The code is the list's (static). */
const char *address_country_from_language(const char *accept_language);
const struct address_choice *address_us_states(size_t *n);
const struct address_choice *address_ca_provinces(size_t *n);
/* The code of a region typed as its name ("california", "New York.") in
 * country ("US" or "CA"), else NULL; the same for a country's name. */
const char *address_region_by_name(const char *country, const char *in);
const char *address_country_by_name(const char *in);
/* The name of a country code, or NULL. */
const char *address_country_name(const char *code);

/* Checks a whole address (required fields, lengths, country, postal code,
 * region) and rewrites ad's strings to their stored forms (copies in arena
 * a). Returns the number of problems found (0 = valid); errs lists them in
 * field order. Postal code and region are checked only when the country is
 * known, since their rules depend on it. */
int address_check(struct arena *a, struct address *ad, struct address_errors *errs);

/* "field: message; field: message" for an API answer (arena-owned). */
const char *address_errors_text(struct arena *a, const struct address_errors *errs);

/* ---- storage: every query names the owner (another person's address is
 * "not found"). A person with any addresses has exactly one default. ---- */

/* One stored address. Strings are arena-owned (NULL for an SQL NULL). */
struct address_row {
	int64_t id;
	struct address ad;
	int is_default;
};

/* uid's addresses, the default first (at most ADDRESS_PER_USER). */
enum err address_book(struct db *db, struct arena *a, int64_t uid, struct address_row **out, size_t *n);
/* One of uid's addresses; E_NOTFOUND when it is not there or not uid's. */
enum err address_get(struct db *db, struct arena *a, int64_t uid, int64_t id, struct address_row *out);

enum address_op { ADDRESS_CREATE, ADDRESS_UPDATE, ADDRESS_DELETE, ADDRESS_DEFAULT };

/* One change of uid's address book. */
struct address_change {
	enum address_op kind;
	int64_t uid;
	int64_t id;		/* the address; set by ADDRESS_CREATE */
	struct address in;	/* CREATE: checked values; UPDATE: as given, NULL = not given */
	int replace;		/* UPDATE: a field not given becomes "" (a form), not kept (PATCH) */
	int set_default;	/* make this address the default */
	int unset_default;	/* PATCH asked for isDefault: false */
	/* Out. */
	struct address_errors errs;
	const char *why;	/* a refusal that is not about one field */
	int was_default;
};

/* Applies op in one transaction that first locks the person's users row
 * (serializing their concurrent changes). E_INVAL with op->errs or op->why
 * for a refusal, E_NOTFOUND for an address that is not theirs. */
enum err address_apply(struct db *db, struct arena *a, struct address_change *op);

#endif
