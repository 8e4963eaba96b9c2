/* SphinxQL escaping (app/search/search.c): search_escape_match(),
 * search_quote(), search_words() and the statements search_build_sql()
 * builds from what a shopper typed. Input: a flags byte, the search text, a
 * newline, a brand filter (absent without the newline).
 *
 * Properties:
 * - escape_match: removing one backslash before each escaped character gives
 *   the input back, and no query operator (\ ( ) | - ! @ ~ " & / ^ $ = < *)
 *   is left unescaped;
 * - quote: one literal from the first byte to the last, no quote or
 *   backslash inside unescaped, no control character; unquoting gives the
 *   input with control characters as spaces; the same for quote(escape(s));
 * - words: at most SEARCH_MAX_WORDS non-empty words of at most
 *   SEARCH_MAX_WORD + 4 bytes, lowercase letters, digits and bytes >= 0x80;
 * - build_sql: every literal is closed, and the statement outside its
 *   literals (digits aside) is the same as for plain words "w" and brand
 *   "b": nothing typed can change the statement's structure. */
#include <ctype.h>
#include "fuzz.h"
#include "../../app/core/buf.h"
#include "../../app/search/search.h"

static const char ops[] = "\\()|-!@~\"&/^$=<*";

/* Checks one SphinxQL literal at s[0..n) and returns its unescaped text. */
static char *unquote(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;

	FUZZ_CHECK(n >= 2 && s[0] == '\'' && s[n - 1] == '\'', "not a literal");
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f, "control character 0x%02x in a literal", c);
		FUZZ_CHECK(c != '\'', "unescaped quote at %zu", i);
		if (c == '\\') {
			FUZZ_CHECK(i + 1 < n - 1, "backslash escapes the closing quote");
			c = (unsigned char)s[++i];
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static void escape_props(struct arena *a, const char *s, size_t n)
{
	struct buf b, q;
	size_t o = 0, ul;
	char *u;

	buf_init(&b, a, n * 2 + 1);
	search_escape_match(&b, s, n);
	for (size_t i = 0; i < b.len; i++) {
		char c = b.p[i];

		if (c == '\\') {
			FUZZ_CHECK(i + 1 < b.len && b.p[i + 1] && strchr(ops, b.p[i + 1]), "lone backslash at %zu", i);
			c = b.p[++i];
		} else {
			FUZZ_CHECK(!c || !strchr(ops, c), "unescaped operator '%c' at %zu", c, i);
		}
		FUZZ_CHECK(o < n && s[o] == c, "escape_match changed byte %zu", o);
		o++;
	}
	FUZZ_CHECK(o == n, "escape_match lost bytes");

	buf_init(&q, a, n * 2 + 3);
	search_quote(&q, s, n);
	u = unquote(a, q.p, q.len, &ul);
	FUZZ_CHECK(ul == n, "quote changed the length");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_CHECK((unsigned char)u[i] == (c < 0x20 || c == 0x7f ? ' ' : c), "quote changed byte %zu", i);
	}
	buf_init(&q, a, b.len * 2 + 3);
	search_quote(&q, b.p, b.len);
	u = unquote(a, q.p, q.len, &ul);
	FUZZ_CHECK(ul == b.len, "quote(escape) length");
}

/* The statement with literals as '' and digit runs as 0. */
static char *skeleton(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'') {
			size_t j = i + 1;

			while (j < n && s[j] != '\'')
				j += s[j] == '\\' ? 2 : 1;
			FUZZ_CHECK(j < n, "literal at %zu not closed:\n%s", i, s);
			out[o++] = '\'';
			out[o++] = '\'';
			i = j;
		} else if (isdigit((unsigned char)s[i])) {
			while (i + 1 < n && isdigit((unsigned char)s[i + 1]))
				i++;
			out[o++] = '0';
		} else {
			FUZZ_CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f, "byte 0x%02x outside literals",
				   (unsigned char)s[i]);
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	const uint8_t *rest;
	size_t n, restlen;
	char *text, *brand = NULL, *store;
	struct search_query q, plain;
	struct buf b1, b2;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	escape_props(a, (const char *)data + 1, size - 1);
	fuzz_split(data + 1, size - 1, '\n', &text, &rest, &restlen);
	if (memchr(data + 1, '\n', size - 1))
		brand = fuzz_str(rest, restlen);
	n = strlen(text);

	memset(&q, 0, sizeof(q));
	/* Exactly the documented size, from malloc so ASan sees its end. */
	store = malloc(n + SEARCH_MAX_WORDS);
	if (!store)
		abort();
	q.nwords = search_words(text, n, store, q.words);
	FUZZ_CHECK(q.nwords <= SEARCH_MAX_WORDS, "%zu words", q.nwords);
	for (size_t i = 0; i < q.nwords; i++) {
		size_t l = strlen(q.words[i]);

		FUZZ_CHECK(l >= 1 && l <= SEARCH_MAX_WORD + 4, "word %zu of %zu bytes", i, l);
		for (const char *p = q.words[i]; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x80 || islower((unsigned char)*p) || isdigit((unsigned char)*p),
				   "word '%s' has 0x%02x", q.words[i], (unsigned char)*p);
	}
	q.brand = brand;
	q.prefix = flags & 1;
	q.facets = !!(flags & 2);
	q.snippet = !!(flags & 4);
	q.lean = !!(flags & 8);
	q.in_stock = !!(flags & 16);
	q.multipass = !!(flags & 32);
	q.sort = (flags >> 6) & 3;
	q.category = flags & 64 ? 12 : 0;
	q.limit = 24;

	plain = q;
	for (size_t i = 0; i < q.nwords; i++)
		plain.words[i] = "w";
	if (brand) {
		int alnum = 0;

		for (const char *p = brand; *p && !alnum; p++)
			alnum = isalnum((unsigned char)*p);
		plain.brand = alnum ? "b" : "-";
	}
	buf_init(&b1, a, 1024);
	buf_init(&b2, a, 1024);
	search_build_sql(&b1, &q, "products");
	search_build_sql(&b2, &plain, "products");
	{
		char *s1 = skeleton(a, b1.p, b1.len), *s2 = skeleton(a, b2.p, b2.len);

		FUZZ_CHECK(!strcmp(s1, s2), "what was typed changed the statement:\n%s\nversus\n%s", b1.p, b2.p);
	}
	if (search_facets_keyed(&q))
		for (int part = 0; part < 2; part++) {
			buf_reset(&b1);
			buf_reset(&b2);
			search_build_facet_sql(&b1, &q, "products", part);
			search_build_facet_sql(&b2, &plain, "products", part);
			FUZZ_CHECK(!strcmp(skeleton(a, b1.p, b1.len), skeleton(a, b2.p, b2.len)),
				   "facet part %d changed:\n%s\nversus\n%s", part, b1.p, b2.p);
		}
	free(text);
	free(brand);
	free(store);
	arena_reset(a);
	return 0;
}
