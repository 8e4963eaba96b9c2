/* Per-route key validators, in the manner of kcgi's kvalid: pure functions,
 * explicit ranges, embedded NUL rejected (the decoder already refuses %00),
 * undeclared parameters dropped before the handler sees them. */
#ifndef HTTP_VALID_H
#define HTTP_VALID_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct arena;
struct key;

/* A validator checks one value; on success it may store a parsed form into
 * *out (e.g. an int64 for v_int). Returns NULL when valid, or a short message
 * for the 400 answer ("must be a whole number from 1 to 100"). */
typedef const char *(*validator_fn)(const struct key *k, const char *v, size_t n,
				    int64_t *out);

struct key {
	const char *name;
	validator_fn fn;
	int64_t min, max;	/* bounds: value range for ints, length for strings */
	int required;
};

/* Validators. */
const char *v_int(const struct key *k, const char *v, size_t n, int64_t *out);
const char *v_string(const struct key *k, const char *v, size_t n, int64_t *out);	/* UTF-8, length in bytes */
const char *v_slug(const struct key *k, const char *v, size_t n, int64_t *out);	/* [a-z0-9-] */
const char *v_token(const struct key *k, const char *v, size_t n, int64_t *out);	/* [A-Za-z0-9_-] */
const char *v_bool(const struct key *k, const char *v, size_t n, int64_t *out);	/* 1/0/true/false/on */
/* Ids separated by commas (spaces allowed): "4", "1, 4,7". The one key a
 * form may give more than once (a <select multiple>, checkboxes): the
 * router joins the values with commas before this runs (issue 19, the
 * console's pickers). */
const char *v_id_list(const struct key *k, const char *v, size_t n, int64_t *out);
/* Sort orders allowed on listing pages: relevance, price_asc, price_desc, rating, newest. */
const char *v_sort(const struct key *k, const char *v, size_t n, int64_t *out);
/* A decimal amount such as 12.50 (stored as 1250), as money_typed reads it. */
const char *v_money(const struct key *k, const char *v, size_t n, int64_t *out);
/* An amount as people type it into minor units: blanks around it, a "$"
 * (or "€", "£", "¥") in front (and blanks after it), commas between groups of three digits
 * ("1,000", not "1,00"), at most two decimals: "$100", "1,000", " 25.50 ",
 * "$ 1,299.99". 0, or -1 when it is not such an amount (a sign, other
 * characters, more than about 92 trillion). */
int money_typed(const char *v, size_t n, int64_t *out);

/* v_token for opaque identifiers whose digits are not a card number: an
 * idempotency key, a tracking number (see pan_like). */
const char *v_opaque(const struct key *k, const char *v, size_t n, int64_t *out);

/* v_string for a secret (a password): hashed, never logged or shown back,
 * and so not looked at for card numbers (a password made of 16 digits
 * stays a password the shopper can sign in with). */
const char *v_secret(const struct key *k, const char *v, size_t n, int64_t *out);

/* Parses a whole decimal int64 with bounds; -1 on any junk. */
int parse_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* ---- JSON bodies, declared per route (struct route's body) ----
 *
 * A route's JSON body is the members its key table names (top-level
 * scalars, typed by their validator: see key_json_types) plus the members
 * of its body table, which may nest: an object's members (J_OBJ, sub), an
 * object of free names (J_MAP, sub[0] for every value), an array (J_ARR,
 * sub[0] for every element). Anything else is refused before the handler
 * runs: an undeclared member ("paymentInfo.card: unknown field"), a value
 * of another type, a string or array out of bounds, an int out of range.
 * null stands for an absent member and is taken wherever the member is not
 * required. A member named "*" admits any other member (the signed bodies
 * of webhooks, whose shape is the sender's). */
enum {
	J_STR = 1, J_INT = 2, J_REAL = 4, J_BOOL = 8,
	J_OBJ = 16, J_MAP = 32, J_ARR = 64, J_NULL = 128,
	J_NUM = J_INT | J_REAL,
	J_ANY = 255
};
enum {
	F_REQUIRED = 1,	/* the member must be there (and not null) */
	F_OPAQUE = 2	/* an identifier whose digits are not a card number */
};

struct field {
	const char *name;	/* NULL ends a table; ignored for sub[0] of J_ARR/J_MAP */
	unsigned types;		/* J_* the value may have */
	int64_t min, max;	/* J_STR: bytes; J_INT: range; J_ARR/J_MAP: members.
				 * Both 0: unbounded. */
	unsigned flags;		/* F_* */
	const struct field *sub;	/* members (J_OBJ) or the element (J_ARR, J_MAP) */
	const char *oneof;	/* J_STR: the allowed values, "|"-separated */
	const char *key;	/* also given to the route's keys as this flat
				 * parameter (a nested member of an object, not
				 * of an array) */
};

/* The JSON types a value of key k may have in a body: a number or a
 * numeral for v_int and v_money, a boolean (or 0/1, "true"...) for v_bool,
 * text for the rest; and null. */
unsigned key_json_types(const struct key *k);

/* Checks object obj against the key table keys (may be NULL) and the body
 * table decl (may be NULL). Returns NULL, or "path: problem" (arena-owned,
 * e.g. "skus[2].code: must be text"). The message names the member, never
 * its value. */
const char *body_check(struct arena *a, const struct key *keys, const struct field *decl,
		       json_t *obj);

/* Card numbers. The shop never accepts a primary account number (PAN):
 * pan_like(s, n) is 1 when text s holds one. The rule, chosen so that it
 * cannot take ids, amounts, postal codes, phone numbers, SKU codes, cursors
 * or idempotency keys for a card:
 *   - a candidate is a run of digits, single spaces and single dashes that
 *     stands alone: nothing before or after it but the start or end of the
 *     text or a character other than a letter, a digit, '_', '.', '/',
 *     '+', ',' or '-' (so "pm_4242...", "ORD-4242...", "12.50", "+49 ..."
 *     and the digits inside a token or a decimal are not candidates);
 *   - it has 13 to 19 digits: written together, or in groups split by one
 *     kind of separator (all spaces or all dashes), the first group of 4
 *     digits and every group of 3 to 6, as cards are printed (4-4-4-4,
 *     4-6-5, 4-4-4-4-3);
 *   - the first digit is one of the card networks' (2 to 6: Mastercard,
 *     Amex, JCB, Diners, Visa, Discover, UnionPay, Maestro), so that a
 *     book's ISBN (978...) or most barcodes typed into the search box are
 *     not taken for one;
 *   - the digits pass the Luhn check.
 * Numbers sent as JSON numbers are never candidates (a card number is text
 * to every client that sends one), nor are path segments ({id}); values of
 * members declared F_OPAQUE or of keys with
 * v_opaque or v_secret (idempotency keys, tracking numbers, passwords)
 * are not looked at. */
int pan_like(const char *s, size_t n);
/* An uploaded file's text (a CSV, JSON rows): the offset of the first
 * field that pan_like, or -1. Fields are what lies between commas,
 * semicolons, tabs, line ends and double quotes, so a card number is found
 * as a CSV field or a JSON string of its own, or in the words of one (a
 * JSON file is read as text: its numbers too). */
long text_find_pan(const char *s, size_t n);
/* The path of the first JSON string at any depth of v that pan_like, or
 * NULL ("" for v itself). decl/keys mark F_OPAQUE members to skip; either
 * may be NULL. */
const char *json_find_pan(struct arena *a, json_t *v, const struct key *keys,
			  const struct field *decl);

#endif
