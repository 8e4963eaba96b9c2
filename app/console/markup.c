/* The content pages' markup (markup.h). Pure code: no I/O, no allocation
 * but the output buffer's. Escaping is done here, character by character,
 * on every piece of text that reaches the output, so no rule can let a
 * typed '<' through. */
#include <string.h>
#include <strings.h>
#include "../core/buf.h"
#include "markup.h"

/* Text as HTML: the five characters that matter escaped, control
 * characters (but tab) dropped. Safe in element content and in a quoted
 * attribute value. */
static void text_out(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		case '\n': buf_putc(out, ' '); break;
		case '\t': buf_putc(out, ' '); break;
		default:
			if (c < 0x20 || c == 0x7f)
				break;
			buf_putc(out, (char)c);
		}
	}
}

static int has_prefix(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && !strncasecmp(s, p, k);
}

/* A link target the pages may carry: the shop's own paths, anchors, web
 * addresses, mail and phone. Never javascript:, data: or a
 * protocol-relative //host. No blanks, quotes or angle brackets. */
static int link_ok(const char *s, size_t n)
{
	if (n == 0 || n > 2000)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '`')
			return 0;
	}
	if (s[0] == '/')
		return n == 1 || s[1] != '/';
	if (s[0] == '#')
		return 1;
	return has_prefix(s, n, "https://") || has_prefix(s, n, "http://") || has_prefix(s, n, "mailto:") ||
	       has_prefix(s, n, "tel:");
}

/* The first occurrence of the n-byte string m in s[from..end), or -1. */
static long find(const char *s, size_t from, size_t end, const char *m, size_t n)
{
	for (size_t i = from; i + n <= end; i++)
		if (!memcmp(s + i, m, n))
			return (long)i;
	return -1;
}

/* Emphasis at s[i]: a marker, then text without a newline up to the
 * closing marker, neither inner side blank. The inner span into *a..*b and
 * the bytes used, 0 when it is not one. */
static size_t emphasis(const char *s, size_t n, size_t i, const char *mark, size_t *a, size_t *b)
{
	size_t k = strlen(mark);
	long j;

	if (i + k >= n || s[i + k] == ' ' || s[i + k] == '\n')
		return 0;
	j = find(s, i + k + 1, n, mark, k);
	if (j < 0 || s[j - 1] == ' ' || memchr(s + i + k, '\n', (size_t)j - i - k))
		return 0;
	*a = i + k;
	*b = (size_t)j;
	return (size_t)j + k - i;
}

/* [words](target) at s[i]: the words into *a..*b, the target into
 * *ta..*tb, and the bytes used; 0 when it is not a link or the target is
 * refused (then the brackets show as typed). */
static size_t link(const char *s, size_t n, size_t i, size_t *a, size_t *b, size_t *ta, size_t *tb)
{
	long close = find(s, i + 1, n, "](", 2), end;

	if (close < 0 || close == (long)i + 1 || memchr(s + i + 1, '[', (size_t)close - i - 1) ||
	    memchr(s + i + 1, '\n', (size_t)close - i - 1))
		return 0;
	end = find(s, (size_t)close + 2, n, ")", 1);
	if (end < 0 || !link_ok(s + close + 2, (size_t)(end - close - 2)))
		return 0;
	*a = i + 1;
	*b = (size_t)close;
	*ta = (size_t)close + 2;
	*tb = (size_t)end;
	return (size_t)end + 1 - i;
}

/* Inline text: runs of plain characters escaped, markers turned into
 * tags. depth bounds the nesting (bold in a link in italic...); links
 * never nest in links. */
static void inline_out(struct buf *out, const char *s, size_t n, int depth, int in_link)
{
	size_t i = 0, plain = 0, used, a, b, ta, tb;
	const char *tag;

	while (i < n) {
		used = 0;
		tag = NULL;
		if (depth < 4) {
			if (s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
				if ((used = emphasis(s, n, i, "**", &a, &b)))
					tag = "strong";
			} else if (s[i] == '*' || s[i] == '_') {
				/* _ inside a word (snake_case) is a letter */
				if ((s[i] == '*' || i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n' || s[i - 1] == '(') &&
				    (used = emphasis(s, n, i, s[i] == '*' ? "*" : "_", &a, &b)))
					tag = "em";
			} else if (s[i] == '[' && !in_link) {
				used = link(s, n, i, &a, &b, &ta, &tb);
			}
		}
		if (!used) {
			i++;
			continue;
		}
		text_out(out, s + plain, i - plain);
		if (tag) {
			buf_printf(out, "<%s>", tag);
			inline_out(out, s + a, b - a, depth + 1, in_link);
			buf_printf(out, "</%s>", tag);
		} else {
			buf_puts(out, "<a href=\"");
			text_out(out, s + ta, tb - ta);
			buf_puts(out, "\">");
			inline_out(out, s + a, b - a, depth + 1, 1);
			buf_puts(out, "</a>");
		}
		i += used;
		plain = i;
	}
	text_out(out, s + plain, n - plain);
}

/* ---- blocks ---- */

/* The end of the line starting at i (the index of its '\n' or n). */
static size_t line_end(const char *s, size_t n, size_t i)
{
	const char *nl = memchr(s + i, '\n', n - i);

	return nl ? (size_t)(nl - s) : n;
}

static int blank(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* A list item's marker at s[a..b): the bytes of marker and blank after it,
 * 0 when the line is not an item. *ordered: 1 for "12. ". */
static size_t item_marker(const char *s, size_t a, size_t b, int *ordered)
{
	size_t i = a;

	if (b - a >= 2 && (s[a] == '*' || s[a] == '-') && s[a + 1] == ' ') {
		*ordered = 0;
		return 2;
	}
	while (i < b && i - a < 9 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i > a && i + 1 < b && s[i] == '.' && s[i + 1] == ' ') {
		*ordered = 1;
		return i + 2 - a;
	}
	return 0;
}

void markup_render(struct buf *out, const char *text, size_t n)
{
	const char *s = text;
	size_t i = 0;

	if (!s)
		return;
	while (i < n) {
		size_t e = line_end(s, n, i), m, k;
		int ordered, o2;

		/* \r before \n: the line's content ends before it */
		size_t ce = e > i && s[e - 1] == '\r' ? e - 1 : e;

		if (blank(s, i, e)) {
			i = e + 1;
			continue;
		}
		if (s[i] == '#') {
			for (k = i; k < ce && k - i < 3 && s[k] == '#'; k++)
				;
			if (k < ce && s[k] == ' ') {
				const char *h = k - i == 3 ? "h3" : "h2";

				buf_printf(out, "<%s>", h);
				inline_out(out, s + k + 1, ce - k - 1, 0, 0);
				buf_printf(out, "</%s>\n", h);
				i = e + 1;
				continue;
			}
		}
		if ((m = item_marker(s, i, ce, &ordered))) {
			buf_puts(out, ordered ? "<ol>\n" : "<ul>\n");
			for (;;) {
				buf_puts(out, "<li>");
				inline_out(out, s + i + m, ce - i - m, 0, 0);
				buf_puts(out, "</li>\n");
				i = e + 1;
				if (i >= n)
					break;
				e = line_end(s, n, i);
				ce = e > i && s[e - 1] == '\r' ? e - 1 : e;
				if (blank(s, i, e) || !(m = item_marker(s, i, ce, &o2)) || o2 != ordered)
					break;
			}
			buf_puts(out, ordered ? "</ol>\n" : "</ul>\n");
			continue;
		}
		/* A paragraph: up to a blank line, a heading or a list. */
		k = i;
		for (;;) {
			size_t e2;

			k = e + 1;
			if (k >= n)
				break;
			e2 = line_end(s, n, k);
			if (blank(s, k, e2) || s[k] == '#' || item_marker(s, k, e2, &o2))
				break;
			e = e2;
		}
		buf_puts(out, "<p>");
		inline_out(out, s + i, (e < n ? e : n) - i, 0, 0);
		buf_puts(out, "</p>\n");
		i = e + 1;
	}
}
