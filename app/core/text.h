/* Text and numbers as people type them: the rules every reader of a form,
 * an API body or an uploaded file applies, in one place. Pure functions:
 * no allocation, no locale. */
#ifndef CORE_TEXT_H
#define CORE_TEXT_H

#include <stdint.h>

/* What text_chars lets through besides printable text. */
enum {
	TEXT_LINE = 0,		/* one line: no control character at all */
	TEXT_TAB = 1,		/* tabs */
	TEXT_LINES = 2,		/* newlines and carriage returns */
	TEXT_MULTILINE = TEXT_TAB | TEXT_LINES,
	TEXT_CONTROLS = 4,	/* every control character (only counting) */
};

/* The number of characters (code points) of s when it is well-formed UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF) without a
 * control character (C0 or DEL) that allow does not name; -1 otherwise or
 * when s is NULL. */
long text_chars(const char *s, unsigned allow);

/* The syntaxes of an amount of money. */
enum money_syntax {
	/* What a person types: digits, optionally a point and one or two
	 * decimals ("12", "12.3", "007.50"). No sign, exponent or blanks. */
	MONEY_DECIMAL,
	/* A JSON number's text ("9.99", "1.5e1", "1.500"): no leading zeros,
	 * exponents allowed, any number of decimals as long as those past the
	 * second are zeros. No sign. */
	MONEY_JSON,
};

/* Parses s exactly (no floating point) into minor units (cents) within
 * 0..max. Returns 0, or -1 for anything else (NULL, "", a sign, a third
 * nonzero decimal, more than max, ...). */
int money_parse(const char *s, enum money_syntax syntax, int64_t max, int64_t *cents);

/* A whole number in decimal (an optional sign, then 1 to 19 digits) within
 * min..max into *out. Returns 0, or -1 (NULL, blanks, out of range, ...). */
int text_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* The same over the n bytes at s (not NUL-terminated: a query's value). */
int text_int64n(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* The language tags of an Accept-Language header (RFC 9110), lowercased,
 * in the order of preference: the highest q first, the earlier tag on ties;
 * q=0 and empty tags left out; a tag past 15 characters cut there. At most
 * max of them into tags; returns how many. */
#define TEXT_LANG_TAG 16
size_t text_languages(const char *accept_language, char tags[][TEXT_LANG_TAG], size_t max);

#endif
