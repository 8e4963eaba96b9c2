/* Context-aware escaping. Output is escaped by default: templates call these
 * through the renderer, handlers almost never call them directly. */
#ifndef VIEW_ESCAPE_H
#define VIEW_ESCAPE_H

#include <stddef.h>
#include <jansson.h>

struct buf;

/* HTML text: & < > " ' escaped. */
void esc_html(struct buf *out, const char *s, size_t n);
/* Attribute values (always quoted by templates): same set as esc_html plus `=`
 * and backtick, so an unquoted attribute cannot be broken either. */
void esc_attr(struct buf *out, const char *s, size_t n);
/* URL component: everything except unreserved characters (RFC 3986) is
 * percent-encoded. */
void esc_url(struct buf *out, const char *s, size_t n);
/* A JSON string literal safe inside <script type="application/ld+json">:
 * quotes, backslash, control characters, <, >, & and U+2028/9 escaped. */
void esc_json_str(struct buf *out, const char *s, size_t n);
/* Money: minor units and ISO currency to display text, e.g. 999,"USD" -> "$9.99". */
void esc_money(struct buf *out, long long minor, const char *currency);

/* Safe HTML is the only thing the renderer prints without escaping. Only this
 * module can make it: the returned value (a new reference, owned by the
 * caller) is recognised by view_is_safe(). */
json_t *view_safe_html(const char *html);
/* Returns the HTML inside a value made by view_safe_html(), or NULL. */
const char *view_is_safe(const json_t *v);

#endif
