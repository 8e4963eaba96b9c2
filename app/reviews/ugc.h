/* What shoppers write (reviews, questions, answers: issue 17): the pieces
 * the reviews and questions modules share. Domain code: no request, no
 * template.
 *
 * Text is plain text. ugc_clean() is applied to everything before it is
 * stored: bidirectional overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069) and other control characters but newline are dropped, runs
 * of blank lines squeezed, ends trimmed; markup stays as typed and is
 * escaped when shown (the templates' default), so it renders inert.
 *
 * The automatic checks (ugc_check_text) hold a text for a moderator; they
 * never refuse it. The database checks (a duplicate of another text, an
 * author or a product receiving texts at an unusual rate) belong to each
 * module's table and add UGC_DUPLICATE and UGC_RATE. */
#ifndef REVIEWS_UGC_H
#define REVIEWS_UGC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

/* Why a text waits for a moderator: bits, in this order in reasons. */
enum ugc_flag {
	UGC_LINK = 1 << 0,	/* a URL or a bare domain name (links are not allowed) */
	UGC_CONTACT = 1 << 1,	/* an e-mail address or a phone number */
	UGC_WORDS = 1 << 2,	/* a word of the list (built in, and SHOP_UGC_WORDS) */
	UGC_SHOUTING = 1 << 3,	/* mostly capital letters */
	UGC_DUPLICATE = 1 << 4,	/* the same text as another (ugc_fingerprint) */
	UGC_RATE = 1 << 5,	/* its author or its product at an unusual rate */
	UGC_NFLAGS = 6
};

/* Reads SHOP_UGC_WORDS (a file: one word or phrase per line, '#' starts a
 * comment) once; idempotent. Called by the modules' inits. */
void ugc_init(void);

/* The cleaned copy of s (see above), in a. NULL on no memory. */
char *ugc_clean(struct arena *a, const char *s);

/* The flags of ugc_check_text's kind for title and body (either may be
 * NULL): UGC_LINK, UGC_CONTACT, UGC_WORDS, UGC_SHOUTING. */
unsigned ugc_check_text(const char *title, const char *body);

/* The reasons as stored and shown: "link,contact" (comma-separated codes:
 * link, contact, words, shouting, duplicate, rate); "" for 0. */
const char *ugc_reasons(struct arena *a, unsigned flags);
/* The same as a JSON array of the codes; a new reference. */
json_t *ugc_reasons_json(unsigned flags);
/* The flags of a stored reasons string (unknown codes ignored). */
unsigned ugc_reasons_parse(const char *s);
/* A person's words for a code: "contains a link", ... */
const char *ugc_reason_text(const char *code);

/* 64 hex characters: a hash of the text's letters and digits, lower-cased,
 * everything else dropped, so that "Great product!!" and "great product"
 * match. For the duplicate checks: equal fingerprints, equal texts. */
const char *ugc_fingerprint(struct arena *a, const char *title, const char *body);

/* How an author is shown: the first word of their name and the initial
 * of the last ("Ada L."); "A shopper" for an empty name. */
const char *ugc_display_name(struct arena *a, const char *name);

/* *yes = 1 when user uid has a line of product_id shipped or delivered
 * (a verified purchase). Statements are registered by ugc_init. */
enum err ugc_bought(struct db *db, struct arena *a, int64_t uid, int64_t product_id, int *yes);

#endif
