/* Template compiler and renderer.
 *
 * Compiling turns each template into a flat array of ops: literal text,
 * variables (with their filter), sections, inverted sections and partial
 * references. A section op records where its body ends, so rendering is a
 * loop over the array with recursion only for section bodies and partials.
 * Text and name segments point into the template's own copy of its source,
 * with their lengths computed once, so rendering never measures or copies
 * template text and never allocates except through the output buffer. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../core/buf.h"
#include "escape.h"
#include "tmpl.h"

/* A page may include a partial that includes a partial ... at most this many
 * levels deep. The limit also turns a partial that includes itself into a
 * start-up error instead of a stack overflow. */
#define TMPL_MAX_PARTIAL_DEPTH 8
/* Sections open at once while compiling, and context frames while rendering
 * (sections across all partial levels). Real templates use a handful. */
#define TMPL_MAX_OPEN 32
#define TMPL_MAX_STACK 64
/* Parts of a dotted name (a.b.c); kept small so an op stays small. */
#define TMPL_MAX_SEGS 16
/* Bytes of a tag quoted back in an error message. */
#define TMPL_QUOTE_MAX 60
/* Template files are small; anything larger is a mistake, not a template. */
#define TMPL_MAX_FILE (4u << 20)

enum tmpl_kind { OP_TEXT, OP_VAR, OP_SECTION, OP_INVERTED, OP_PARTIAL };
enum tmpl_filter { F_HTML, F_ATTR, F_URL, F_JSON, F_MONEY, F_RAW, F_DATE, F_DATETIME };

static const struct {
	const char *name;
	size_t len;
	enum tmpl_filter f;
} tmpl_filters[] = {
	{ "attr", 4, F_ATTR }, { "url", 3, F_URL }, { "json", 4, F_JSON },
	{ "money", 5, F_MONEY }, { "raw", 3, F_RAW }, { "date", 4, F_DATE },
	{ "datetime", 8, F_DATETIME },
};

/* One part of a dotted name. index >= 0 when the part is all digits, so it
 * can also pick an element of an array ({{#items.0}} tests for a first item). */
struct tmpl_seg {
	const char *s;
	uint32_t n;
	int32_t index;
};

struct tmpl_op {
	uint8_t kind;		/* enum tmpl_kind */
	uint8_t filter;		/* enum tmpl_filter, for OP_VAR */
	uint16_t nseg;		/* 0 means "." (the current value) */
	uint32_t line;		/* for error messages */
	uint32_t seg;		/* first part in tmpl.segs */
	uint32_t end;		/* sections: index of the first op after the body */
	int32_t partial;	/* OP_PARTIAL: index in the set once linked */
	const char *text;	/* OP_TEXT: bytes; sections and partials: the name */
	size_t len;
};

struct tmpl {
	char *name;		/* "product", "partials/card" */
	char *file;		/* what error messages call it */
	char *src;		/* owned source; ops and segments point into it */
	struct tmpl_op *ops;
	size_t nops, capops;
	struct tmpl_seg *segs;
	size_t nsegs, capsegs;
	int state;		/* partial depth check: 0 new, 1 on the path, 2 done */
	int height;		/* deepest chain of partials below this template */
	int used;		/* partials: included by some page (tmpl_check_pages) */
};

struct tmpl_set {
	char **vocab;		/* owned copies */
	size_t *vocab_len;
	size_t nvocab;
	int any_name;		/* no vocabulary: names are checked per page */
	const struct tmpl_page *pages;	/* the caller's, after tmpl_check_pages */
	size_t npages;
	const char *const *layout;	/* the "layout" page's names */
	struct tmpl **t;
	size_t n, cap;
};

/* Writes "file:line: message" into errbuf and returns E_TEMPLATE. */
static enum err tmpl_fail(char *errbuf, size_t errlen, const char *file, unsigned line,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum err tmpl_fail(char *errbuf, size_t errlen, const char *file, unsigned line,
			  const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errbuf || !errlen)
		return E_TEMPLATE;
	n = snprintf(errbuf, errlen, "%s:%u: ", file, line);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return E_TEMPLATE;
}

/* ---- the set ---- */

struct tmpl_set *tmpl_set_new(const char *const *vocab)
{
	struct tmpl_set *set = calloc(1, sizeof(*set));
	size_t i, n = 0;

	if (!set)
		return NULL;
	set->any_name = !vocab;
	while (vocab && vocab[n])
		n++;
	/* The vocabulary is copied so the set does not depend on the lifetime of
	 * the caller's array. */
	set->vocab = calloc(n + 1, sizeof(*set->vocab));
	set->vocab_len = calloc(n + 1, sizeof(*set->vocab_len));
	if (!set->vocab || !set->vocab_len)
		goto fail;
	for (i = 0; i < n; i++) {
		set->vocab_len[i] = strlen(vocab[i]);
		if (!(set->vocab[i] = strdup(vocab[i])))
			goto fail;
		set->nvocab++;
	}
	return set;
fail:
	tmpl_free(set);
	return NULL;
}

static void tmpl_free_one(struct tmpl *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->file);
	free(t->src);
	free(t->ops);
	free(t->segs);
	free(t);
}

void tmpl_free(struct tmpl_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free_one(set->t[i]);
	for (i = 0; i < set->nvocab; i++)
		free(set->vocab[i]);
	free(set->vocab);
	free(set->vocab_len);
	free(set->t);
	free(set);
}

static int tmpl_find(const struct tmpl_set *set, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strncmp(set->t[i]->name, name, len) && !set->t[i]->name[len])
			return (int)i;
	return -1;
}

int tmpl_exists(const struct tmpl_set *set, const char *name)
{
	return set && name && tmpl_find(set, name, strlen(name)) >= 0;
}

static int tmpl_in_vocab(const struct tmpl_set *set, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < set->nvocab; i++)
		if (set->vocab_len[i] == n && !memcmp(set->vocab[i], s, n))
			return 1;
	return 0;
}

/* ---- compiling ---- */

struct tmpl_parser {
	struct tmpl_set *set;
	struct tmpl *t;
	char *errbuf;
	size_t errlen;
	unsigned line;
	uint32_t open[TMPL_MAX_OPEN];	/* ops of the sections not yet closed */
	int nopen;
};

static enum err tmpl_add_op(struct tmpl_parser *ps, struct tmpl_op **op)
{
	struct tmpl *t = ps->t;

	if (t->nops == t->capops) {
		size_t cap = t->capops ? t->capops * 2 : 32;
		struct tmpl_op *p = realloc(t->ops, cap * sizeof(*p));

		if (!p)
			return E_NOMEM;
		t->ops = p;
		t->capops = cap;
	}
	*op = &t->ops[t->nops++];
	memset(*op, 0, sizeof(**op));
	(*op)->line = ps->line;
	(*op)->partial = -1;
	return E_OK;
}

static enum err tmpl_add_seg(struct tmpl_parser *ps, const char *s, size_t n, int32_t index)
{
	struct tmpl *t = ps->t;

	if (t->nsegs == t->capsegs) {
		size_t cap = t->capsegs ? t->capsegs * 2 : 32;
		struct tmpl_seg *p = realloc(t->segs, cap * sizeof(*p));

		if (!p)
			return E_NOMEM;
		t->segs = p;
		t->capsegs = cap;
	}
	t->segs[t->nsegs].s = s;
	t->segs[t->nsegs].n = (uint32_t)n;
	t->segs[t->nsegs].index = index;
	t->nsegs++;
	return E_OK;
}

static int tmpl_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int tmpl_count_lines(const char *s, size_t n)
{
	int k = 0;
	const char *e = s + n;

	while ((s = memchr(s, '\n', (size_t)(e - s)))) {
		k++;
		s++;
	}
	return k;
}

/* Parses a variable or section name into op's segments, checking each part
 * against the vocabulary (all-digit parts after the first are indexes). */
static enum err tmpl_parse_name(struct tmpl_parser *ps, struct tmpl_op *op, const char *name, size_t n)
{
	const char *p = name, *end = name + n;
	enum err e;
	int nseg = 0;

	op->seg = (uint32_t)ps->t->nsegs;
	if (n == 1 && name[0] == '.') {
		op->nseg = 0;
		return E_OK;
	}
	if (!n)
		return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line, "empty name in tag");
	while (p <= end) {
		const char *q = p;
		int32_t index = -1;
		int digits = 1;

		while (q < end && *q != '.') {
			if (!tmpl_name_char(*q))
				return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
						 "bad character in name '%.*s'", (int)(n > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : n), name);
			if (*q < '0' || *q > '9')
				digits = 0;
			q++;
		}
		if (q == p)
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "empty part in name '%.*s'", (int)(n > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : n), name);
		if (++nseg > TMPL_MAX_SEGS)
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "name '%.*s' has more than %d parts", (int)(n > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : n), name, TMPL_MAX_SEGS);
		if (digits && nseg > 1 && q - p <= 9) {
			index = (int32_t)strtol(p, NULL, 10);
		} else if (!ps->set->any_name && !tmpl_in_vocab(ps->set, p, (size_t)(q - p))) {
			if (nseg == 1 && q == end)
				return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
						 "unknown name '%.*s'", (int)(q - p), p);
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "unknown name '%.*s' in '%.*s'", (int)(q - p), p,
					 (int)(n > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : n), name);
		}
		if ((e = tmpl_add_seg(ps, p, (size_t)(q - p), index)))
			return e;
		p = q + 1;
	}
	op->nseg = (uint16_t)nseg;
	return E_OK;
}

/* Compiles one tag (the bytes between {{ and }}, already trimmed). */
static enum err tmpl_parse_tag(struct tmpl_parser *ps, const char *s, size_t n)
{
	struct tmpl_op *op;
	const char *name;
	size_t i, len;
	char sigil = n ? s[0] : 0;
	enum err e;

	if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>') {
		name = s + 1;
		len = n - 1;
		while (len && (*name == ' ' || *name == '\t')) {
			name++;
			len--;
		}
	} else {
		name = s;
		len = n;
		sigil = 0;
	}
	if (!len)
		return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line, "empty tag");

	switch (sigil) {
	case '#':
	case '^':
		if (memchr(name, ':', len))
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "a section takes a name, not a filter: {{%c%.*s}}", sigil,
					 (int)(len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : len), name);
		if (ps->nopen == TMPL_MAX_OPEN)
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "sections nested more than %d deep", TMPL_MAX_OPEN);
		if ((e = tmpl_add_op(ps, &op)))
			return e;
		op->kind = sigil == '#' ? OP_SECTION : OP_INVERTED;
		op->text = name;
		op->len = len;
		if ((e = tmpl_parse_name(ps, op, name, len)))
			return e;
		ps->open[ps->nopen++] = (uint32_t)(ps->t->nops - 1);
		return E_OK;

	case '/': {
		struct tmpl_op *sec;

		if (!ps->nopen)
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "{{/%.*s}} closes no open section",
					 (int)(len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : len), name);
		sec = &ps->t->ops[ps->open[ps->nopen - 1]];
		if (sec->len != len || memcmp(sec->text, name, len))
			return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
					 "{{/%.*s}} does not match {{%c%.*s}} opened at line %u",
					 (int)(len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : len), name,
					 sec->kind == OP_SECTION ? '#' : '^',
					 (int)(sec->len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : sec->len), sec->text,
					 sec->line);
		sec->end = (uint32_t)ps->t->nops;
		ps->nopen--;
		return E_OK;
	}

	case '>':
		for (i = 0; i < len; i++)
			if (!tmpl_name_char(name[i]))
				return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
						 "bad partial name '%.*s'",
						 (int)(len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : len), name);
		if ((e = tmpl_add_op(ps, &op)))
			return e;
		op->kind = OP_PARTIAL;
		op->text = name;
		op->len = len;
		return E_OK;

	default: {
		const char *colon = memchr(name, ':', len);

		if ((e = tmpl_add_op(ps, &op)))
			return e;
		op->kind = OP_VAR;
		op->filter = F_HTML;
		if (colon) {
			size_t flen = (size_t)(colon - name);

			for (i = 0; i < sizeof(tmpl_filters) / sizeof(tmpl_filters[0]); i++)
				if (tmpl_filters[i].len == flen && !memcmp(tmpl_filters[i].name, name, flen))
					break;
			if (i == sizeof(tmpl_filters) / sizeof(tmpl_filters[0]))
				return tmpl_fail(ps->errbuf, ps->errlen, ps->t->file, ps->line,
						 "unknown filter '%.*s'",
						 (int)(flen > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : flen), name);
			op->filter = (uint8_t)tmpl_filters[i].f;
			len -= flen + 1;
			name = colon + 1;
			while (len && (*name == ' ' || *name == '\t')) {
				name++;
				len--;
			}
		}
		return tmpl_parse_name(ps, op, name, len);
	}
	}
}

/* Parses t->src into t->ops. Partial references are resolved later, once
 * every template of the set is known. */
static enum err tmpl_parse(struct tmpl_set *set, struct tmpl *t, char *errbuf, size_t errlen)
{
	struct tmpl_parser ps = { .set = set, .t = t, .errbuf = errbuf, .errlen = errlen, .line = 1 };
	const char *p = t->src, *q, *s, *e;
	struct tmpl_op *op;
	enum err err;

	while (*p) {
		q = strstr(p, "{{");
		e = q ? q : p + strlen(p);
		if (e > p) {
			if ((err = tmpl_add_op(&ps, &op)))
				return err;
			op->kind = OP_TEXT;
			op->text = p;
			op->len = (size_t)(e - p);
			ps.line += (unsigned)tmpl_count_lines(p, op->len);
		}
		if (!q)
			break;
		s = q + 2;
		switch (*s) {
		case '{':
			return tmpl_fail(errbuf, errlen, t->file, ps.line,
					 "triple mustache {{{...}}} is not supported; use {{raw:name}}");
		case '&':
			return tmpl_fail(errbuf, errlen, t->file, ps.line,
					 "{{&...}} is not supported; use {{raw:name}}");
		case '=':
			return tmpl_fail(errbuf, errlen, t->file, ps.line,
					 "changing delimiters is not supported");
		case '!':
			/* Comments may span lines. */
			if (!(e = strstr(s, "}}")))
				return tmpl_fail(errbuf, errlen, t->file, ps.line, "unterminated comment");
			ps.line += (unsigned)tmpl_count_lines(s, (size_t)(e - s));
			p = e + 2;
			continue;
		default:
			break;
		}
		/* Other tags end on their own line, so a missing "}}" is reported where
		 * it happened rather than as a strange name further down. */
		for (e = s; *e && *e != '\n' && !(e[0] == '}' && e[1] == '}'); e++)
			;
		if (*e != '}')
			return tmpl_fail(errbuf, errlen, t->file, ps.line, "unterminated tag");
		p = e + 2;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((err = tmpl_parse_tag(&ps, s, (size_t)(e - s))))
			return err;
	}
	if (ps.nopen) {
		const struct tmpl_op *sec = &t->ops[ps.open[ps.nopen - 1]];

		return tmpl_fail(errbuf, errlen, t->file, sec->line, "unclosed section {{%c%.*s}}",
				 sec->kind == OP_SECTION ? '#' : '^',
				 (int)(sec->len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : sec->len), sec->text);
	}
	return E_OK;
}

/* Rejects bytes that are not UTF-8, reporting the line. The rendered page is
 * turned into a JSON string for the layout, and a JSON string must be valid
 * UTF-8; checking here makes that step unable to fail later. */
static enum err tmpl_check_utf8(const struct tmpl *t, size_t n, char *errbuf, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)t->src;
	unsigned line = 1;
	size_t i = 0, k, more;

	while (i < n) {
		unsigned c = s[i];
		uint32_t cp;

		if (c < 0x80) {
			if (!c)
				return tmpl_fail(errbuf, errlen, t->file, line, "NUL byte in template");
			line += c == '\n';
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			more = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			more = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			more = 3;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		for (k = 1; k <= more; k++) {
			if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += more + 1;
	}
	return E_OK;
bad:
	return tmpl_fail(errbuf, errlen, t->file, line, "invalid UTF-8");
}

/* Resolves t's partial references to templates of the set. */
static enum err tmpl_link(struct tmpl_set *set, struct tmpl *t, char *errbuf, size_t errlen)
{
	char name[256];
	size_t i;

	for (i = 0; i < t->nops; i++) {
		struct tmpl_op *op = &t->ops[i];
		int n;

		if (op->kind != OP_PARTIAL)
			continue;
		n = snprintf(name, sizeof(name), "partials/%.*s", (int)op->len, op->text);
		if (n < 0 || (size_t)n >= sizeof(name) || (op->partial = tmpl_find(set, name, (size_t)n)) < 0)
			return tmpl_fail(errbuf, errlen, t->file, op->line, "unknown partial '%.*s'",
					 (int)(op->len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : op->len), op->text);
	}
	return E_OK;
}

/* Depth-first walk over partial references computing how deep each chain
 * goes; a chain longer than the limit (including any cycle) is an error at
 * the tag that makes it too long. */
static enum err tmpl_check_depth(struct tmpl_set *set, struct tmpl *t, char *errbuf, size_t errlen)
{
	size_t i;
	enum err e;

	if (t->state == 2)
		return E_OK;
	t->state = 1;
	for (i = 0; i < t->nops; i++) {
		const struct tmpl_op *op = &t->ops[i];
		struct tmpl *p;

		if (op->kind != OP_PARTIAL)
			continue;
		p = set->t[op->partial];
		if (p->state == 1)
			return tmpl_fail(errbuf, errlen, t->file, op->line,
					 "partial '%.*s' is recursive: partials nested deeper than %d",
					 (int)(op->len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : op->len), op->text,
					 TMPL_MAX_PARTIAL_DEPTH);
		if ((e = tmpl_check_depth(set, p, errbuf, errlen)))
			return e;
		if (p->height + 1 > TMPL_MAX_PARTIAL_DEPTH)
			return tmpl_fail(errbuf, errlen, t->file, op->line,
					 "partials nested deeper than %d at {{>%.*s}}", TMPL_MAX_PARTIAL_DEPTH,
					 (int)(op->len > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : op->len), op->text);
		if (p->height + 1 > t->height)
			t->height = p->height + 1;
	}
	t->state = 2;
	return E_OK;
}

static enum err tmpl_check_all_depths(struct tmpl_set *set, char *errbuf, size_t errlen)
{
	size_t i;
	enum err e;

	for (i = 0; i < set->n; i++) {
		set->t[i]->state = 0;
		set->t[i]->height = 0;
	}
	for (i = 0; i < set->n; i++)
		if ((e = tmpl_check_depth(set, set->t[i], errbuf, errlen)))
			return e;
	return E_OK;
}

/* Takes ownership of src (n bytes, NUL-terminated), compiles it and adds it to
 * the set. Partials are not resolved here. */
static enum err tmpl_add(struct tmpl_set *set, const char *name, const char *file, char *src,
			 size_t n, char *errbuf, size_t errlen)
{
	struct tmpl *t = NULL;
	enum err e;

	if (!(t = calloc(1, sizeof(*t)))) {
		free(src);
		e = E_NOMEM;
		goto out;
	}
	t->src = src;
	if (!(t->name = strdup(name)) || !(t->file = strdup(file))) {
		e = E_NOMEM;
		goto out;
	}
	if (tmpl_find(set, name, strlen(name)) >= 0) {
		e = tmpl_fail(errbuf, errlen, file, 1, "template '%s' is already defined", name);
		goto out;
	}
	if ((e = tmpl_check_utf8(t, n, errbuf, errlen)) || (e = tmpl_parse(set, t, errbuf, errlen)))
		goto out;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct tmpl **p = realloc(set->t, cap * sizeof(*p));

		if (!p) {
			e = E_NOMEM;
			goto out;
		}
		set->t = p;
		set->cap = cap;
	}
	set->t[set->n++] = t;
	t = NULL;
out:
	tmpl_free_one(t);
	return e;
}

enum err tmpl_compile_string(struct tmpl_set *set, const char *name, const char *src,
			     char *errbuf, size_t errlen)
{
	char *copy;
	size_t n;
	enum err e;

	if (!set || !name || !src)
		return E_INVAL;
	n = strlen(src);
	if (!(copy = malloc(n + 1)))
		return E_NOMEM;
	memcpy(copy, src, n + 1);
	if ((e = tmpl_add(set, name, name, copy, n, errbuf, errlen)))
		return e;
	/* The new template is linked now, so it may name itself (an error the
	 * depth check reports) or any partial compiled before it. */
	if ((e = tmpl_link(set, set->t[set->n - 1], errbuf, errlen)) ||
	    (e = tmpl_check_all_depths(set, errbuf, errlen))) {
		tmpl_free_one(set->t[--set->n]);
		return e;
	}
	return E_OK;
}

/* Reads a whole file into a new NUL-terminated buffer owned by the caller. */
static enum err tmpl_read_file(const char *path, char **out, size_t *len, char *errbuf, size_t errlen)
{
	struct stat st;
	char *p = NULL;
	size_t n = 0;
	FILE *f;
	enum err e = E_OK;

	if (!(f = fopen(path, "rb")) || fstat(fileno(f), &st)) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		e = E_IO;
		goto out;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > TMPL_MAX_FILE) {
		e = tmpl_fail(errbuf, errlen, path, 1, "template larger than %u bytes", TMPL_MAX_FILE);
		goto out;
	}
	if (!(p = malloc((size_t)st.st_size + 1))) {
		e = E_NOMEM;
		goto out;
	}
	n = fread(p, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		snprintf(errbuf, errlen, "%s: read error", path);
		e = E_IO;
		goto out;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	p = NULL;
out:
	free(p);
	if (f)
		fclose(f);
	return e;
}

static int tmpl_is_html(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".html");
}

/* Loads every dir/NAME.html as prefix + basename. A missing directory is only an
 * error when required (the partials directory is optional). */
static enum err tmpl_load_files(struct tmpl_set *set, const char *dir, const char *prefix,
				int required, char *errbuf, size_t errlen)
{
	struct dirent **list = NULL;
	char path[4096], name[512];
	int i, n;
	enum err e = E_OK;

	n = scandir(dir, &list, tmpl_is_html, alphasort);
	if (n < 0) {
		if (!required && errno == ENOENT)
			return E_OK;
		snprintf(errbuf, errlen, "%s: %s", dir, strerror(errno));
		return E_IO;
	}
	for (i = 0; i < n; i++) {
		const char *fn = list[i]->d_name;
		struct stat st;
		char *src = NULL;
		size_t len = 0;
		int k;

		k = snprintf(path, sizeof(path), "%s/%s", dir, fn);
		if (k < 0 || (size_t)k >= sizeof(path)) {
			e = tmpl_fail(errbuf, errlen, fn, 1, "path too long");
			goto out;
		}
		/* Directories or sockets that happen to end in .html are not templates. */
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		k = snprintf(name, sizeof(name), "%s%.*s", prefix, (int)(strlen(fn) - 5), fn);
		if (k < 0 || (size_t)k >= sizeof(name)) {
			e = tmpl_fail(errbuf, errlen, path, 1, "file name too long");
			goto out;
		}
		if ((e = tmpl_read_file(path, &src, &len, errbuf, errlen)) ||
		    (e = tmpl_add(set, name, path, src, len, errbuf, errlen)))
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return e;
}

enum err tmpl_load_dir(const char *dir, const char *const *vocab,
		       struct tmpl_set **out, char *errbuf, size_t errlen)
{
	struct tmpl_set *set = NULL;
	char sub[4096];
	size_t i;
	enum err e;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!(set = tmpl_set_new(vocab)))
		return E_NOMEM;
	if ((size_t)snprintf(sub, sizeof(sub), "%s/partials", dir) >= sizeof(sub)) {
		snprintf(errbuf, errlen, "%s: path too long", dir);
		e = E_IO;
		goto out;
	}
	if ((e = tmpl_load_files(set, dir, "", 1, errbuf, errlen)) ||
	    (e = tmpl_load_files(set, sub, "partials/", 0, errbuf, errlen)))
		goto out;
	/* Partials are resolved only now, so a page may use a partial whatever
	 * order the files were read in. */
	for (i = 0; i < set->n; i++)
		if ((e = tmpl_link(set, set->t[i], errbuf, errlen)))
			goto out;
	if ((e = tmpl_check_all_depths(set, errbuf, errlen)))
		goto out;
	*out = set;
	set = NULL;
out:
	tmpl_free(set);
	return e;
}

/* ---- the names each page may print ---- */

/* 1 when names has s (n bytes), as "s" or as "s.*"; 2 for "s.*": the keys
 * inside s's value are data (attribute names, form fields), not names. */
static int tmpl_names_have(const char *const *names, const char *s, size_t n)
{
	for (; names && *names; names++)
		if (!strncmp(*names, s, n) && (!(*names)[n] || !strcmp(*names + n, ".*")))
			return (*names)[n] ? 2 : 1;
	return 0;
}

/* Checks every name t prints (and, through its partials, they print) against
 * page pg's names and the layout's; marks the partials as used. */
static enum err tmpl_check_names(const struct tmpl_set *set, struct tmpl *t, const struct tmpl_page *pg,
				 char *errbuf, size_t errlen)
{
	size_t i, k;
	enum err e;

	for (i = 0; i < t->nops; i++) {
		const struct tmpl_op *op = &t->ops[i];

		if (op->kind == OP_PARTIAL) {
			struct tmpl *p = set->t[op->partial];

			p->used = 1;
			if ((e = tmpl_check_names(set, p, pg, errbuf, errlen)))
				return e;
			continue;
		}
		if (op->kind != OP_VAR && op->kind != OP_SECTION && op->kind != OP_INVERTED)
			continue;
		for (k = 0; k < op->nseg; k++) {
			const struct tmpl_seg *sg = &t->segs[op->seg + k];

			if (sg->index >= 0 || tmpl_names_have(pg->names, sg->s, sg->n) ||
			    tmpl_names_have(set->layout, sg->s, sg->n))
				continue;
			if (!strncmp(t->name, "partials/", 9))
				return tmpl_fail(errbuf, errlen, t->file, op->line,
						 "'%.*s' is not a name the model of page '%s' (which includes %s) sets",
						 (int)(sg->n > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : sg->n), sg->s,
						 pg->name, t->name + 9);
			return tmpl_fail(errbuf, errlen, t->file, op->line,
					 "'%.*s' is not a name the model of page '%s' sets",
					 (int)(sg->n > TMPL_QUOTE_MAX ? TMPL_QUOTE_MAX : sg->n), sg->s, pg->name);
		}
	}
	return E_OK;
}

enum err tmpl_check_pages(struct tmpl_set *set, const struct tmpl_page *pages, size_t npages,
			  char *errbuf, size_t errlen)
{
	size_t i, j;
	enum err e;
	int k;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!set)
		return E_INVAL;
	set->layout = NULL;
	for (i = 0; i < npages; i++) {
		if (!pages[i].name || !strncmp(pages[i].name, "partials/", 9)) {
			snprintf(errbuf, errlen, "%s: a page is a template outside partials/",
				 pages[i].name ? pages[i].name : "(null)");
			return E_TEMPLATE;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(pages[i].name, pages[j].name)) {
				snprintf(errbuf, errlen, "%s: the page is declared twice", pages[i].name);
				return E_TEMPLATE;
			}
		if (tmpl_find(set, pages[i].name, strlen(pages[i].name)) < 0) {
			snprintf(errbuf, errlen, "%s.html: no such template, yet a module declares the page",
				 pages[i].name);
			return E_TEMPLATE;
		}
		if (!strcmp(pages[i].name, "layout"))
			set->layout = pages[i].names;
	}
	for (i = 0; i < set->n; i++) {
		struct tmpl *t = set->t[i];

		t->used = 0;
		if (!strncmp(t->name, "partials/", 9))
			continue;
		for (j = 0; j < npages && strcmp(pages[j].name, t->name); j++)
			;
		if (j == npages)
			return tmpl_fail(errbuf, errlen, t->file, 1,
					 "no module declares the page '%s' (its template names and the names its model sets)",
					 t->name);
	}
	for (i = 0; i < npages; i++) {
		k = tmpl_find(set, pages[i].name, strlen(pages[i].name));
		if ((e = tmpl_check_names(set, set->t[k], &pages[i], errbuf, errlen)))
			return e;
	}
	for (i = 0; i < set->n; i++)
		if (!strncmp(set->t[i]->name, "partials/", 9) && !set->t[i]->used)
			return tmpl_fail(errbuf, errlen, set->t[i]->file, 1,
					 "partial '%s' is included by no page", set->t[i]->name + 9);
	set->pages = pages;
	set->npages = npages;
	return E_OK;
}

enum err tmpl_load_pages(const char *dir, const struct tmpl_page *pages, size_t npages,
			 struct tmpl_set **out, char *errbuf, size_t errlen)
{
	enum err e = tmpl_load_dir(dir, NULL, out, errbuf, errlen);

	if (!e && (e = tmpl_check_pages(*out, pages, npages, errbuf, errlen))) {
		tmpl_free(*out);
		*out = NULL;
	}
	return e;
}

/* The first key in v, at any depth, that neither list has. */
static const char *tmpl_first_undeclared(const json_t *v, const char *const *names, const char *const *layout)
{
	const char *key, *bad;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if ((bad = tmpl_first_undeclared(x, names, layout)))
				return bad;
		return NULL;
	}
	if (!json_is_object(v) || view_is_safe(v))
		return NULL;
	json_object_foreach((json_t *)v, key, x) {
		int has = tmpl_names_have(names, key, strlen(key));

		if (!has && !(has = tmpl_names_have(layout, key, strlen(key))))
			return key;
		if (has == 1 && (bad = tmpl_first_undeclared(x, names, layout)))
			return bad;
	}
	return NULL;
}

int tmpl_model_undeclared(const struct tmpl_set *set, const char *page, const json_t *model,
			  const char **key)
{
	size_t i;

	*key = NULL;
	if (!set || !page)
		return 0;
	for (i = 0; i < set->npages; i++)
		if (!strcmp(set->pages[i].name, page))
			return (*key = tmpl_first_undeclared(model, set->pages[i].names, set->layout)) != NULL;
	return 0;
}

/* ---- rendering ---- */

struct tmpl_rctx {
	const struct tmpl_set *set;
	struct buf *out;
	int sp;			/* frames in use */
	int depth;		/* partial nesting */
	const json_t *stack[TMPL_MAX_STACK];
};

/* Resolves op's name: the first part through the context stack, innermost
 * first, then each further part inside the value found. *parent is the object
 * or array the value came from (the money filter looks there for a currency). */
static const json_t *tmpl_lookup(const struct tmpl_rctx *rc, const struct tmpl *t,
				 const struct tmpl_op *op, const json_t **parent)
{
	const struct tmpl_seg *sg;
	const json_t *v = NULL, *up = NULL;
	int i, k;

	if (op->nseg == 0) {
		*parent = NULL;
		return rc->sp ? rc->stack[rc->sp - 1] : NULL;
	}
	/* Only now: a template whose only tags are {{.}} has no segments at
	 * all (t->segs is NULL), and NULL + 0 is undefined behaviour. */
	sg = t->segs + op->seg;
	for (i = rc->sp - 1; i >= 0; i--) {
		if (json_is_object(rc->stack[i]) &&
		    (v = json_object_getn(rc->stack[i], sg[0].s, sg[0].n))) {
			up = rc->stack[i];
			break;
		}
	}
	for (k = 1; v && k < op->nseg; k++) {
		up = v;
		if (json_is_object(v))
			v = json_object_getn(v, sg[k].s, sg[k].n);
		else if (json_is_array(v) && sg[k].index >= 0)
			v = json_array_get(v, (size_t)sg[k].index);
		else
			v = NULL;
	}
	*parent = up;
	return v;
}

static int tmpl_truthy(const json_t *v)
{
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_STRING:
		return json_string_length(v) != 0;
	case JSON_ARRAY:
		return json_array_size(v) != 0;
	default:
		return 1;
	}
}

/* The text of a scalar: strings as they are, integers in decimal, reals with
 * %g, true as "true"; false, null, arrays and objects print nothing. Safe
 * HTML prints its text (escaped like any other text unless raw: is used). */
static size_t tmpl_scalar(const json_t *v, const char **s, char tmp[32])
{
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		*s = json_string_value(v);
		return json_string_length(v);
	case JSON_INTEGER: {
		json_int_t x = json_integer_value(v);
		unsigned long long m = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
		char *p = tmp + 32;

		do {
			*--p = (char)('0' + m % 10);
			m /= 10;
		} while (m);
		if (x < 0)
			*--p = '-';
		*s = p;
		return (size_t)(tmp + 32 - p);
	}
	case JSON_REAL: {
		int n = snprintf(tmp, 32, "%g", json_real_value(v));

		*s = tmp;
		return n > 0 && n < 32 ? (size_t)n : 0;
	}
	case JSON_TRUE:
		*s = "true";
		return 4;
	case JSON_OBJECT:
		if ((*s = view_is_safe(v)))
			return strlen(*s);
		return 0;
	default:
		return 0;
	}
}

/* json_dump_callback sink that makes the JSON text safe inside <script>:
 * <, > and & become \u003c, \u003e, \u0026 (they can only occur inside string
 * literals, where those escapes mean the same), and U+2028/U+2029 become
 * \u2028/\u2029. A U+2028 may arrive split across calls, so up to two of its
 * bytes are held back between calls. */
struct tmpl_json_sink {
	struct buf *out;
	int held;		/* 0, 1 (E2 held) or 2 (E2 80 held) */
};

static int tmpl_json_cb(const char *b, size_t n, void *data)
{
	struct tmpl_json_sink *js = data;
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];
		const char *rep = NULL;

		if (js->held) {
			if (js->held == 1 && c == 0x80) {
				js->held = 2;
				run = i + 1;
				continue;
			}
			if (js->held == 2 && (c == 0xA8 || c == 0xA9)) {
				buf_put(js->out, c == 0xA8 ? "\\u2028" : "\\u2029", 6);
				js->held = 0;
				run = i + 1;
				continue;
			}
			buf_put(js->out, "\xE2\x80", (size_t)js->held);
			js->held = 0;
			run = i;
		}
		if (c == '<')
			rep = "\\u003c";
		else if (c == '>')
			rep = "\\u003e";
		else if (c == '&')
			rep = "\\u0026";
		else if (c != 0xE2)
			continue;
		if (i > run)
			buf_put(js->out, b + run, i - run);
		if (rep)
			buf_put(js->out, rep, 6);
		else
			js->held = 1;
		run = i + 1;
	}
	if (n > run)
		buf_put(js->out, b + run, n - run);
	return 0;
}

static enum err tmpl_render_json(struct buf *out, const json_t *v)
{
	struct tmpl_json_sink js = { .out = out, .held = 0 };
	const char *safe;

	if (!v) {
		buf_put(out, "null", 4);
		return E_OK;
	}
	if ((safe = view_is_safe(v))) {
		/* Safe HTML is printed as the string it holds, not as its wrapper. */
		esc_json_str(out, safe, strlen(safe));
		return E_OK;
	}
	/* Reals with 10 significant digits, as the API prints them: 2.51, not
	 * 2.5099999999999998 (JSON-LD ratingValue). */
	if (json_dump_callback(v, tmpl_json_cb, &js, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10)))
		return E_TEMPLATE;
	if (js.held)
		buf_put(out, "\xE2\x80", (size_t)js.held);
	return E_OK;
}

/* CURRENCIES (issue 19): the money filter's currency when no object on the
 * stack names one (tmpl.h). */
const char *tmpl_money_default = "USD";

/* The currency for the money filter: a "currency" string in the object the
 * amount came from, else the nearest one on the context stack. */
static const char *tmpl_currency(const struct tmpl_rctx *rc, const json_t *parent)
{
	const json_t *c;
	int i;

	if (json_is_object(parent) && json_is_string(c = json_object_getn(parent, "currency", 8)))
		return json_string_value(c);
	for (i = rc->sp - 1; i >= 0; i--)
		if (json_is_object(rc->stack[i]) &&
		    json_is_string(c = json_object_getn(rc->stack[i], "currency", 8)))
			return json_string_value(c);
	return tmpl_money_default ? tmpl_money_default : "USD";
}

/* The value of k decimal digits at s, or -1. */
static int tmpl_digits(const char *s, int k)
{
	int x = 0;

	for (int i = 0; i < k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	return x;
}

/* The fields of a timestamp written the ways the shop writes them:
 * "2026-12-05", "2026-12-05T14:05:09Z", "2026-12-05 14:05:09.123" (MariaDB),
 * or an integer of Unix seconds (UTC). 0 when v is none of these. */
static int tmpl_parse_when(const json_t *v, int *y, int *mo, int *d, int *h, int *mi, int *has_time)
{
	const char *s;
	size_t n;

	*h = *mi = 0;
	*has_time = 0;
	if (json_is_integer(v)) {
		long long t = json_integer_value(v), days, secs, era, doe, yoe, doy, mp;

		/* Beyond year 9999 either way it is not a time: printed as text
		 * (and -t cannot overflow). */
		if (t < -62167219200LL || t > 253402300799LL)
			return 0;

		/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm),
		 * so no time zone of the process can change the text. */
		days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
		secs = t - days * 86400;
		days += 719468;
		era = (days >= 0 ? days : days - 146096) / 146097;
		doe = days - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		*d = (int)(doy - (153 * mp + 2) / 5 + 1);
		*mo = (int)(mp < 10 ? mp + 3 : mp - 9);
		*y = (int)(yoe + era * 400 + (*mo <= 2));
		*h = (int)(secs / 3600);
		*mi = (int)(secs % 3600 / 60);
		*has_time = 1;
		return 1;
	}
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
#define TMPL_DIGITS(p, k) tmpl_digits(s + (p), (k))
	if (n < 10 || s[4] != '-' || s[7] != '-' || TMPL_DIGITS(0, 4) < 0 || TMPL_DIGITS(5, 2) < 1 ||
	    TMPL_DIGITS(5, 2) > 12 || TMPL_DIGITS(8, 2) < 1 || TMPL_DIGITS(8, 2) > 31)
		return 0;
	*y = TMPL_DIGITS(0, 4);
	*mo = TMPL_DIGITS(5, 2);
	*d = TMPL_DIGITS(8, 2);
	if (n >= 16 && (s[10] == 'T' || s[10] == ' ') && s[13] == ':' && TMPL_DIGITS(11, 2) >= 0 &&
	    TMPL_DIGITS(11, 2) < 24 && TMPL_DIGITS(14, 2) >= 0 && TMPL_DIGITS(14, 2) < 60) {
		*h = TMPL_DIGITS(11, 2);
		*mi = TMPL_DIGITS(14, 2);
		*has_time = 1;
	}
#undef TMPL_DIGITS
	return 1;
}

/* date: "5 Dec 2026"; datetime: "5 Dec 2026, 14:05 UTC" (a date alone
 * prints as a date). Anything that is not a timestamp prints as text. */
static void tmpl_render_when(struct buf *out, const json_t *v, int with_time)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, mo, d, h, mi, has_time;
	const char *s = NULL;
	char tmp[32];
	size_t n;

	if (!tmpl_parse_when(v, &y, &mo, &d, &h, &mi, &has_time)) {
		if ((n = tmpl_scalar(v, &s, tmp)))
			esc_html(out, s, n);
		return;
	}
	buf_printf(out, "%d %s %d", d, months[mo - 1], y);
	if (with_time && has_time)
		buf_printf(out, ", %02d:%02d UTC", h, mi);
}

static enum err tmpl_render_var(struct tmpl_rctx *rc, const struct tmpl *t, const struct tmpl_op *op)
{
	const json_t *parent, *v = tmpl_lookup(rc, t, op, &parent);
	const char *s = NULL;
	char tmp[32];
	size_t n;

	switch ((enum tmpl_filter)op->filter) {
	case F_RAW:
		/* Anything but safe HTML (missing values included) is an error, so
		 * a handler that forgot to build safe HTML is caught, not printed. */
		if (!(s = view_is_safe(v)))
			return E_TEMPLATE;
		buf_puts(rc->out, s);
		return E_OK;
	case F_JSON:
		return tmpl_render_json(rc->out, v);
	case F_DATE:
	case F_DATETIME:
		tmpl_render_when(rc->out, v, op->filter == F_DATETIME);
		return E_OK;
	case F_MONEY:
		if (!v || json_is_null(v))
			return E_OK;
		if (!json_is_integer(v))
			return E_TEMPLATE;
		esc_money(rc->out, (long long)json_integer_value(v), tmpl_currency(rc, parent));
		return E_OK;
	case F_ATTR:
		if ((n = tmpl_scalar(v, &s, tmp)))
			esc_attr(rc->out, s, n);
		return E_OK;
	case F_URL:
		if ((n = tmpl_scalar(v, &s, tmp)))
			esc_url(rc->out, s, n);
		return E_OK;
	case F_HTML:
	default:
		if ((n = tmpl_scalar(v, &s, tmp)))
			esc_html(rc->out, s, n);
		return E_OK;
	}
}

static enum err tmpl_render_ops(struct tmpl_rctx *rc, const struct tmpl *t, size_t from, size_t to)
{
	const json_t *parent, *v;
	size_t i, k, n;
	enum err e;

	for (i = from; i < to; i++) {
		const struct tmpl_op *op = &t->ops[i];

		switch ((enum tmpl_kind)op->kind) {
		case OP_TEXT:
			buf_put(rc->out, op->text, op->len);
			break;
		case OP_VAR:
			if ((e = tmpl_render_var(rc, t, op)))
				return e;
			break;
		case OP_SECTION:
			v = tmpl_lookup(rc, t, op, &parent);
			if (tmpl_truthy(v)) {
				if (rc->sp == TMPL_MAX_STACK)
					return E_TEMPLATE;
				if (json_is_array(v)) {
					n = json_array_size(v);
					for (k = 0; k < n; k++) {
						rc->stack[rc->sp++] = json_array_get(v, k);
						e = tmpl_render_ops(rc, t, i + 1, op->end);
						rc->sp--;
						if (e)
							return e;
					}
				} else {
					rc->stack[rc->sp++] = v;
					e = tmpl_render_ops(rc, t, i + 1, op->end);
					rc->sp--;
					if (e)
						return e;
				}
			}
			i = op->end - 1;
			break;
		case OP_INVERTED:
			v = tmpl_lookup(rc, t, op, &parent);
			if (!tmpl_truthy(v) && (e = tmpl_render_ops(rc, t, i + 1, op->end)))
				return e;
			i = op->end - 1;
			break;
		case OP_PARTIAL: {
			const struct tmpl *p = rc->set->t[op->partial];

			/* Checked at compile time; kept as a guard for sets changed since. */
			if (rc->depth >= TMPL_MAX_PARTIAL_DEPTH)
				return E_TEMPLATE;
			rc->depth++;
			e = tmpl_render_ops(rc, p, 0, p->nops);
			rc->depth--;
			if (e)
				return e;
			break;
		}
		}
	}
	return E_OK;
}

enum err tmpl_render(const struct tmpl_set *set, const char *name,
		     const json_t *model, struct buf *out)
{
	struct tmpl_rctx rc;
	const struct tmpl *t;
	size_t mark = out->len;
	enum err e;
	int i;

	if (!set || !name || (i = tmpl_find(set, name, strlen(name))) < 0)
		return E_NOTFOUND;
	t = set->t[i];
	rc.set = set;
	rc.out = out;
	rc.depth = 0;
	rc.sp = 0;
	if (model)
		rc.stack[rc.sp++] = model;
	e = tmpl_render_ops(&rc, t, 0, t->nops);
	if (!e && out->oom)
		e = E_NOMEM;
	/* A failed render leaves the buffer as it was, so the caller can send
	 * an error page instead of half a page. */
	if (e && out->p && !out->oom) {
		out->len = mark;
		out->p[mark] = '\0';
	}
	return e;
}

enum err tmpl_render_page(const struct tmpl_set *set, const char *page,
			  json_t *model, struct buf *out)
{
	struct buf body;
	json_t *own = NULL, *old = NULL, *safe;
	int content_set = 0;
	enum err e;

	/* The page is rendered into its own buffer (in the caller's arena when
	 * there is one) because the layout prints it in the middle. */
	buf_init(&body, out->a, 16384);
	if (!model && !(model = own = json_object())) {
		e = E_NOMEM;
		goto out;
	}
	if (!json_is_object(model)) {
		e = E_INVAL;
		goto out;
	}
	if ((e = tmpl_render(set, page, model, &body)))
		goto out;
	if (!tmpl_exists(set, "layout")) {
		e = E_NOTFOUND;
		goto out;
	}
	if (!(safe = view_safe_html(body.p))) {
		e = E_NOMEM;
		goto out;
	}
	/* "content" is put on the caller's model only for the layout's render;
	 * any value it had before is put back afterwards. */
	old = json_incref(json_object_get(model, "content"));
	if (json_object_set_new(model, "content", safe)) {
		e = E_NOMEM;
		goto out;
	}
	content_set = 1;
	e = tmpl_render(set, "layout", model, out);
out:
	if (content_set) {
		if (old)
			json_object_set(model, "content", old);
		else
			json_object_del(model, "content");
	}
	json_decref(old);
	json_decref(own);
	if (!body.a)
		buf_free(&body);
	return e;
}
