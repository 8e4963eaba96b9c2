/* The address book: validation rules (pure, see address.h) and storage.
 * The account page's forms and the /api/me/addresses API are in
 * address_pages.c.
 *
 * Every query names the owner (WHERE id = ? AND user_id = ?), so another
 * person's address is "not found", never filtered out after reading it.
 *
 * A person with any addresses has exactly one default: the first one added
 * becomes it, choosing another clears the old one, and deleting the default
 * promotes the most recent remaining address. Every change runs in one
 * transaction that first locks the person's users row, which serializes a
 * person's concurrent changes (two tabs adding a first address, or racing
 * the 50-address limit) without touching anyone else's. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../store/db.h"
#include "account.h"
#include "address.h"

/* ---- rules ---- */

/* ISO 3166-1 alpha-2, every officially assigned code (249), sorted for
 * bsearch. Source: Debian's iso-codes (iso_3166-1.json), which matches the
 * tz database's iso3166.tab. */
static const char countries[][3] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
	"BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
	"BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
	"CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
	"EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
	"GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
	"HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
	"JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
	"LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
	"ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
	"NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
	"PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
	"SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
	"ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
	"TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
	"VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

/* US states, DC and the inhabited territories (ISO 3166-2:US), plus the
 * USPS codes for military mail (AA, AE, AP), which are real shipping
 * destinations. Sorted. */
static const char us_regions[][3] = {
	"AA", "AE", "AK", "AL", "AP", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU",
	"HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP", "MS",
	"MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC",
	"SD", "TN", "TX", "UM", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
};

/* Canadian provinces and territories (ISO 3166-2:CA). Sorted. */
static const char ca_regions[][3] = {
	"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int code_cmp(const void *k, const void *e)
{
	return strcmp(k, e);
}

static int in_list(const char *code, const char (*list)[3], size_t n)
{
	return bsearch(code, list, n, sizeof(list[0]), code_cmp) != NULL;
}

/* ASCII only on purpose: codes and postal codes are ASCII, and locale
 * dependent <ctype.h> must not decide what a valid code is. */
static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static int is_upper(char ch) { return ch >= 'A' && ch <= 'Z'; }
static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; }
static char to_upper(char ch) { return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch; }

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* The trimmed span of s (NULL counts as empty). */
static const char *trim(const char *s, size_t *n)
{
	const char *e;

	if (!s) {
		*n = 0;
		return "";
	}
	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		e--;
	*n = (size_t)(e - s);
	return s;
}

/* Trimmed, uppercased copy of in into out. 0 when it does not fit. */
static int upper_copy(const char *in, char *out, size_t outlen, size_t *n)
{
	const char *s = trim(in, n);

	if (*n >= outlen)
		return 0;
	for (size_t i = 0; i < *n; i++)
		out[i] = to_upper(s[i]);
	out[*n] = '\0';
	return 1;
}

int address_country_known(const char *code)
{
	return code && strlen(code) == 2 && is_upper(code[0]) && is_upper(code[1]) &&
	       in_list(code, countries, NELEM(countries));
}

const char *address_check_country(const char *in, char *out, size_t outlen)
{
	char tmp[ADDRESS_POSTAL_MAX + 1];	/* any longer input is not a code */
	size_t n;

	if (!upper_copy(in, tmp, sizeof(tmp), &n) || n == 0 || outlen < 3)
		return n == 0 ? "is required" : "is not an ISO 3166-1 country code (two letters, such as US or DE)";
	if (!address_country_known(tmp))
		return "is not an ISO 3166-1 country code (two letters, such as US or DE)";
	memcpy(out, tmp, 3);
	return NULL;
}

/* Postal code matchers: s is trimmed and uppercased (n bytes); on a match
 * they write the stored form into out (at least ADDRESS_POSTAL_MAX + 1
 * bytes) and return 1. */

static int pc_us(const char *s, size_t n, char *out)
{
	if (!((n == 5 && all_digits(s, 5)) ||
	      (n == 10 && all_digits(s, 5) && s[5] == '-' && all_digits(s + 6, 4))))
		return 0;
	memcpy(out, s, n + 1);
	return 1;
}

/* Canada Post: letters D, F, I, O, Q and U never appear; W and Z never
 * lead. */
static int ca_letter(char ch, int first)
{
	return is_upper(ch) && !strchr("DFIOQU", ch) && (!first || (ch != 'W' && ch != 'Z'));
}

static int pc_ca(const char *s, size_t n, char *out)
{
	char c[6];

	if (n == 7 && s[3] == ' ') {
		memcpy(c, s, 3);
		memcpy(c + 3, s + 4, 3);
	} else if (n == 6) {
		memcpy(c, s, 6);
	} else {
		return 0;
	}
	if (!ca_letter(c[0], 1) || !is_digit(c[1]) || !ca_letter(c[2], 0) ||
	    !is_digit(c[3]) || !ca_letter(c[4], 0) || !is_digit(c[5]))
		return 0;
	snprintf(out, ADDRESS_POSTAL_MAX + 1, "%.3s %.3s", c, c + 3);
	return 1;
}

/* UK: an outward code (A9, A9A, A99, AA9, AA9A, AA99), an optional space,
 * an inward code (9AA, whose letters are never C, I, K, M, O or V); plus
 * the Girobank's GIR 0AA. Stored with one space. */
static int pc_gb(const char *s, size_t n, char *out)
{
	char c[8];
	size_t m = 0, o, i;

	if (n > 8)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == ' ') {
			if (i != n - 4)		/* only between the two parts */
				return 0;
			continue;
		}
		c[m++] = s[i];
	}
	if (m < 5 || m > 7)
		return 0;
	o = m - 3;	/* length of the outward code */
	if (!is_digit(c[o]) || !is_upper(c[o + 1]) || !is_upper(c[o + 2]) ||
	    strchr("CIKMOV", c[o + 1]) || strchr("CIKMOV", c[o + 2]))
		return 0;
	if (!(o == 3 && !memcmp(c, "GIR", 3) && !memcmp(c + 3, "0AA", 3))) {
		size_t k = 0;

		/* One or two letters (never Q, V or X first), then a digit, then an
		 * optional letter or digit. */
		if (!is_upper(c[0]) || strchr("QVX", c[0]))
			return 0;
		k = is_upper(c[1]) ? 2 : 1;
		if (k == 2 && strchr("IJZ", c[1]))
			return 0;
		if (k >= o || !is_digit(c[k]))
			return 0;
		k++;
		if (k < o && (is_upper(c[k]) || is_digit(c[k])))
			k++;
		if (k != o)
			return 0;
	}
	snprintf(out, ADDRESS_POSTAL_MAX + 1, "%.*s %.3s", (int)o, c, c + o);
	return 1;
}

static int pc_5digits(const char *s, size_t n, char *out)
{
	if (n != 5 || !all_digits(s, 5))
		return 0;
	memcpy(out, s, 6);
	return 1;
}

/* Netherlands: 1234 AB; the number never starts with 0. */
static int pc_nl(const char *s, size_t n, char *out)
{
	size_t l = n == 7 && s[4] == ' ' ? 5 : 4;

	if (!(n == 6 || (n == 7 && s[4] == ' ')) || !all_digits(s, 4) || s[0] == '0' ||
	    !is_upper(s[l]) || !is_upper(s[l + 1]))
		return 0;
	snprintf(out, ADDRESS_POSTAL_MAX + 1, "%.4s %.2s", s, s + l);
	return 1;
}

static int pc_au(const char *s, size_t n, char *out)
{
	if (n != 4 || !all_digits(s, 4))
		return 0;
	memcpy(out, s, 5);
	return 1;
}

/* Japan: 123-4567, also accepted without the hyphen. */
static int pc_jp(const char *s, size_t n, char *out)
{
	if (n == 8 && all_digits(s, 3) && s[3] == '-' && all_digits(s + 4, 4))
		memcpy(out, s, 9);
	else if (n == 7 && all_digits(s, 7))
		snprintf(out, ADDRESS_POSTAL_MAX + 1, "%.3s-%.4s", s, s + 3);
	else
		return 0;
	return 1;
}

/* India: a six-digit PIN that never starts with 0. */
static int pc_in(const char *s, size_t n, char *out)
{
	if (n != 6 || !all_digits(s, 6) || s[0] == '0')
		return 0;
	memcpy(out, s, 7);
	return 1;
}

/* Everywhere else: a loose shape that still keeps junk out. */
static int pc_other(const char *s, size_t n, char *out)
{
	if (n < 2 || n > 10)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_upper(s[i]) && !is_digit(s[i]) && s[i] != ' ' && s[i] != '-')
			return 0;
	memcpy(out, s, n + 1);
	return 1;
}

static const struct {
	char country[3];
	int (*match)(const char *s, size_t n, char *out);
	const char *message;
} postal_rules[] = {
	{ "US", pc_us, "is not a valid US ZIP code (12345 or 12345-6789)" },
	{ "CA", pc_ca, "is not a valid Canadian postal code (A1A 1A1)" },
	{ "GB", pc_gb, "is not a valid UK postcode (such as SW1A 1AA)" },
	{ "DE", pc_5digits, "is not a valid German postal code (5 digits)" },
	{ "FR", pc_5digits, "is not a valid French postal code (5 digits)" },
	{ "IT", pc_5digits, "is not a valid Italian postal code (5 digits)" },
	{ "ES", pc_5digits, "is not a valid Spanish postal code (5 digits)" },
	{ "NL", pc_nl, "is not a valid Dutch postal code (1234 AB)" },
	{ "AU", pc_au, "is not a valid Australian postcode (4 digits)" },
	{ "JP", pc_jp, "is not a valid Japanese postal code (123-4567)" },
	{ "IN", pc_in, "is not a valid Indian PIN code (6 digits)" },
};

const char *address_check_postal(const char *country, const char *in, char *out, size_t outlen)
{
	char tmp[ADDRESS_POSTAL_MAX + 1], res[ADDRESS_POSTAL_MAX + 1];
	int (*match)(const char *, size_t, char *) = pc_other;
	const char *message = "must be 2 to 10 letters, digits, spaces or hyphens";
	size_t n, i;
	int fits = upper_copy(in, tmp, sizeof(tmp), &n);

	if (fits && n == 0)
		return "is required";
	for (i = 0; country && i < NELEM(postal_rules); i++)
		if (!strcmp(country, postal_rules[i].country)) {
			match = postal_rules[i].match;
			message = postal_rules[i].message;
			break;
		}
	if (!fits || !match(tmp, n, res) || strlen(res) >= outlen)
		return message;
	memcpy(out, res, strlen(res) + 1);
	return NULL;
}

const char *address_check_region(const char *country, const char *in, char *out, size_t outlen)
{
	int us = country && !strcmp(country, "US"), ca = country && !strcmp(country, "CA");
	char tmp[ADDRESS_REGION_MAX + 1];
	size_t n;
	const char *s;

	if (us || ca) {
		if (upper_copy(in, tmp, sizeof(tmp), &n) && n == 0)
			return us ? "is required for US addresses (the two-letter state code, such as NY)" :
				    "is required for Canadian addresses (the two-letter province code, such as ON)";
		if (n != 2 || outlen < 3 || !(us ? in_list(tmp, us_regions, NELEM(us_regions)) :
						   in_list(tmp, ca_regions, NELEM(ca_regions)))) {
			const char *code = address_region_by_name(country, in);

			if (code && outlen >= 3) {
				memcpy(out, code, 3);
				return NULL;
			}
			return us ? "is not a US state or territory code (two letters, such as NY)" :
				    "is not a Canadian province or territory code (two letters, such as ON)";
		}
		memcpy(out, tmp, 3);
		return NULL;
	}
	s = trim(in, &n);
	if (n > ADDRESS_REGION_MAX || n >= outlen)
		return "must be at most 100 characters long";
	memcpy(out, s, n);
	out[n] = '\0';
	return NULL;
}

static void add_error(struct address_errors *errs, const char *field, const char *message)
{
	if (errs->n < ADDRESS_MAX_ERRORS) {
		errs->v[errs->n].field = field;
		errs->v[errs->n].message = message;
		errs->n++;
	}
}

/* A text field: trimmed copy into *val, or a message. Control characters
 * are refused here too, for callers that did not come through the route
 * keys (which already refuse them). */
static const char *check_text(struct arena *a, const char **val, size_t max, int required)
{
	size_t n;
	const char *s = trim(*val, &n);
	char *copy;

	if (n == 0 && required)
		return "is required";
	if (n > max)
		return arena_printf(a, "must be at most %zu characters long", max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "must not contain control characters";
	if (!(copy = arena_strndup(a, s, n)))
		return "could not be stored";
	*val = copy;
	return NULL;
}

int address_check(struct arena *a, struct address *ad, struct address_errors *errs)
{
	char country[3] = "", postal[ADDRESS_POSTAL_MAX + 1], region[ADDRESS_REGION_MAX + 1];
	const char *m;
	int country_ok;

	errs->n = 0;
	if ((m = check_text(a, &ad->name, ADDRESS_NAME_MAX, 1)))
		add_error(errs, "name", m);
	if ((m = check_text(a, &ad->line1, ADDRESS_LINE_MAX, 1)))
		add_error(errs, "line1", m);
	if ((m = check_text(a, &ad->line2, ADDRESS_LINE_MAX, 0)))
		add_error(errs, "line2", m);
	if ((m = check_text(a, &ad->city, ADDRESS_CITY_MAX, 1)))
		add_error(errs, "city", m);
	country_ok = !(m = address_check_country(ad->country, country, sizeof(country)));
	/* Region and postal code rules depend on the country; with an unknown
	 * country only their presence can be judged. */
	if (country_ok) {
		if ((m = address_check_region(country, ad->region, region, sizeof(region))))
			add_error(errs, "region", m);
		if ((m = address_check_postal(country, ad->postal_code, postal, sizeof(postal))))
			add_error(errs, "postalCode", m);
		if (!errs->n) {
			ad->region = arena_strdup(a, region);
			ad->postal_code = arena_strdup(a, postal);
			ad->country = arena_strdup(a, country);
			if (!ad->region || !ad->postal_code || !ad->country)
				add_error(errs, "country", "could not be stored");	/* out of memory */
		}
	} else {
		const char *cm = m;
		size_t n;

		if ((m = check_text(a, &ad->region, ADDRESS_REGION_MAX, 0)))
			add_error(errs, "region", m);
		trim(ad->postal_code, &n);
		if (n == 0)
			add_error(errs, "postalCode", "is required");
		add_error(errs, "country", cm);
	}
	return errs->n;
}

const char *address_errors_text(struct arena *a, const struct address_errors *errs)
{
	struct buf b;

	buf_init(&b, a, 128);
	for (int i = 0; i < errs->n; i++)
		buf_printf(&b, "%s%s: %s", i ? "; " : "", errs->v[i].field, errs->v[i].message);
	return b.oom ? "The address is not valid." : b.p;
}

/* ---- storage ---- */

#define STR_(x) #x
#define STR(x) STR_(x)

#define ADDR_COLS "id, name, line1, line2, city, region, postal_code, country, is_default"
enum { A_ID, A_NAME, A_LINE1, A_LINE2, A_CITY, A_REGION, A_POSTAL, A_COUNTRY, A_DEFAULT };

enum {
	Q_LOCK_USER, Q_STATS, Q_LIST, Q_GET, Q_GET_LOCK, Q_INSERT, Q_UPDATE,
	Q_CLEAR_DEFAULT, Q_SET_DEFAULT, Q_DELETE, Q_PROMOTE, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	/* Every change starts here: the person's row is the lock that
	 * serializes their address changes. */
	[Q_LOCK_USER] = { "SELECT id FROM users WHERE id = ? FOR UPDATE", 0 },
	/* A locking read, so it counts what is committed now, not what the
	 * transaction's snapshot saw. */
	[Q_STATS] = { "SELECT COUNT(*), COALESCE(SUM(is_default), 0) FROM addresses "
		      "WHERE user_id = ? FOR UPDATE", 0 },
	[Q_LIST] = { "SELECT " ADDR_COLS " FROM addresses WHERE user_id = ? "
		     "ORDER BY is_default DESC, id LIMIT " STR(ADDRESS_PER_USER), 0 },
	[Q_GET] = { "SELECT " ADDR_COLS " FROM addresses WHERE id = ? AND user_id = ?", 0 },
	[Q_GET_LOCK] = { "SELECT " ADDR_COLS " FROM addresses WHERE id = ? AND user_id = ? FOR UPDATE", 0 },
	[Q_INSERT] = { "INSERT INTO addresses (user_id, name, line1, line2, city, region, postal_code, "
		       "country, is_default) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_UPDATE] = { "UPDATE addresses SET name = ?, line1 = ?, line2 = ?, city = ?, region = ?, "
		       "postal_code = ?, country = ? WHERE id = ? AND user_id = ?", 0 },
	[Q_CLEAR_DEFAULT] = { "UPDATE addresses SET is_default = 0 "
			      "WHERE user_id = ? AND id <> ? AND is_default = 1", 0 },
	[Q_SET_DEFAULT] = { "UPDATE addresses SET is_default = 1 WHERE id = ? AND user_id = ?", 0 },
	[Q_DELETE] = { "DELETE FROM addresses WHERE id = ? AND user_id = ?", 0 },
	/* After the default is deleted: the most recent remaining address. */
	[Q_PROMOTE] = { "UPDATE addresses SET is_default = 1 WHERE user_id = ? "
			"ORDER BY created_at DESC, id DESC LIMIT 1", 0 },
};

void address_init(void)
{
	db_register(sql, Q_COUNT);
}

/* Where each field lives in struct address and in a row. */
static const size_t field_off[] = {
	offsetof(struct address, name), offsetof(struct address, line1), offsetof(struct address, line2),
	offsetof(struct address, city), offsetof(struct address, region),
	offsetof(struct address, postal_code), offsetof(struct address, country),
};
static const int field_col[] = { A_NAME, A_LINE1, A_LINE2, A_CITY, A_REGION, A_POSTAL, A_COUNTRY };

static const char **field_ptr(struct address *ad, size_t k)
{
	return (const char **)(void *)((char *)ad + field_off[k]);
}

static void fill_row(const struct db_res *r, size_t i, struct address_row *out)
{
	memset(out, 0, sizeof(*out));
	out->id = db_int(r, i, A_ID);
	for (size_t k = 0; k < NELEM(field_off); k++)
		*field_ptr(&out->ad, k) = db_cell(r, i, field_col[k]);
	out->is_default = db_int(r, i, A_DEFAULT) != 0;
}

enum err address_book(struct db *db, struct arena *a, int64_t uid, struct address_row **out, size_t *n)
{
	struct db_res *r = NULL;
	struct address_row *v;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_LIST], &r, "i", uid)))
		return e;
	if (!(v = arena_calloc(a, r->nrows + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		fill_row(r, i, &v[i]);
	*out = v;
	*n = r->nrows;
	return E_OK;
}

enum err address_get(struct db *db, struct arena *a, int64_t uid, int64_t id, struct address_row *out)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_GET], &r, "ii", id, uid)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	fill_row(r, 0, out);
	return E_OK;
}

/* ---- changes (one transaction each) ---- */

static const char *limit_msg =
	"You can keep up to " STR(ADDRESS_PER_USER) " addresses. Delete one before adding another.";
static const char *keep_default_msg =
	"isDefault: there is always one default address; make another address the default instead";

static enum err make_default(struct db *db, struct arena *a, struct address_change *op)
{
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_CLEAR_DEFAULT], NULL, "ii", op->uid, op->id)))
		return e;
	return db_exec(db, a, &sql[Q_SET_DEFAULT], NULL, "ii", op->id, op->uid);
}

static enum err addr_create(struct db *db, struct arena *a, struct address_change *op)
{
	const struct address *ad = &op->in;
	struct db_res *r = NULL;
	int64_t count, defaults;
	int is_default;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_STATS], &r, "i", op->uid)))
		return e;
	count = db_int(r, 0, 0);
	defaults = db_int(r, 0, 1);
	if (count >= ADDRESS_PER_USER) {
		op->why = limit_msg;
		return E_INVAL;
	}
	/* The first address is the default; so is any address added to a book
	 * that somehow has none. */
	is_default = op->set_default || defaults == 0;
	if ((e = db_exec(db, a, &sql[Q_INSERT], NULL, "isssssssi", op->uid, ad->name,
			 ad->line1, ad->line2, ad->city, ad->region, ad->postal_code, ad->country,
			 (int64_t)is_default)))
		return e;
	op->id = (int64_t)db_insert_id(db);
	if (is_default && count > 0)
		e = db_exec(db, a, &sql[Q_CLEAR_DEFAULT], NULL, "ii", op->uid, op->id);
	return e;
}

/* Merges what was given over the stored row and checks the result as a
 * whole: a new country must come with a postal code and region that fit it. */
static enum err addr_update(struct db *db, struct arena *a, struct address_change *op, const struct db_res *cur)
{
	struct address ad;
	enum err e;

	for (size_t k = 0; k < NELEM(field_off); k++) {
		const char *given = *field_ptr(&op->in, k);

		*field_ptr(&ad, k) = given ? given : op->replace ? "" : db_cell(cur, 0, field_col[k]);
	}
	if (address_check(a, &ad, &op->errs))
		return E_INVAL;
	if (op->unset_default && op->was_default) {
		op->why = keep_default_msg;
		return E_INVAL;
	}
	if ((e = db_exec(db, a, &sql[Q_UPDATE], NULL, "sssssssii", ad.name, ad.line1,
			 ad.line2, ad.city, ad.region, ad.postal_code, ad.country, op->id, op->uid)))
		return e;
	if (op->set_default && !op->was_default)
		e = make_default(db, a, op);
	return e;
}

/* Runs inside db_tx, so it may run more than once (deadlock retry): it
 * starts from scratch each time. */
struct addr_tx {
	struct arena *a;
	struct address_change *op;
};

static enum err addr_tx(struct db *db, void *p)
{
	struct arena *a = ((struct addr_tx *)p)->a;
	struct address_change *op = ((struct addr_tx *)p)->op;
	struct db_res *r = NULL;
	enum err e;

	op->errs.n = 0;
	op->why = NULL;
	op->was_default = 0;
	if ((e = db_exec(db, a, &sql[Q_LOCK_USER], &r, "i", op->uid)))
		goto out;
	if (!r->nrows) {
		e = E_NOTFOUND;
		goto out;
	}
	if (op->kind == ADDRESS_CREATE) {
		e = addr_create(db, a, op);
		goto out;
	}
	if ((e = db_exec(db, a, &sql[Q_GET_LOCK], &r, "ii", op->id, op->uid)))
		goto out;
	if (!r->nrows) {
		e = E_NOTFOUND;		/* not there, or someone else's */
		goto out;
	}
	op->was_default = db_int(r, 0, A_DEFAULT) != 0;
	switch (op->kind) {
	case ADDRESS_UPDATE:
		e = addr_update(db, a, op, r);
		break;
	case ADDRESS_DELETE:
		if ((e = db_exec(db, a, &sql[Q_DELETE], NULL, "ii", op->id, op->uid)))
			break;
		if (op->was_default)
			e = db_exec(db, a, &sql[Q_PROMOTE], NULL, "i", op->uid);
		break;
	case ADDRESS_DEFAULT:
		if (!op->was_default)
			e = make_default(db, a, op);
		break;
	case ADDRESS_CREATE:
		break;
	}
out:
	return e;
}

enum err address_apply(struct db *db, struct arena *a, struct address_change *op)
{
	struct addr_tx t = { a, op };

	return db_tx(db, addr_tx, &t);
}
