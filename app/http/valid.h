/* Per-route key validators, in the manner of kcgi's kvalid: pure functions,
 * explicit ranges, embedded NUL rejected (the decoder already refuses %00),
 * undeclared parameters dropped before the handler sees them. */
#ifndef HTTP_VALID_H
#define HTTP_VALID_H

#include <stddef.h>
#include <stdint.h>

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
/* Sort orders allowed on listing pages: relevance, price_asc, price_desc, rating, newest. */
const char *v_sort(const struct key *k, const char *v, size_t n, int64_t *out);
/* Money in minor units or a decimal amount such as 12.50 (stored as 1250). */
const char *v_money(const struct key *k, const char *v, size_t n, int64_t *out);

/* Parses a whole decimal int64 with bounds; -1 on any junk. */
int parse_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

#endif
