/* A small logic-less template language, compiled when a worker starts.
 *
 *   {{name}}           value escaped for HTML text (dotted paths: {{item.title}})
 *   {{attr:name}}      escaped for a quoted attribute value
 *   {{url:name}}       percent-encoded as a URL component
 *   {{json:name}}      any value as JSON, safe inside a <script> block
 *   {{money:name}}     integer minor units shown as money, currency from the
 *                      nearest "currency" in scope (default USD)
 *   {{raw:name}}       only a value made by view_safe_html(); anything else is
 *                      a render error, so raw output cannot happen by accident
 *   {{#name}}..{{/name}}  section: loops over an array, enters an object,
 *                      renders once for any other truthy value
 *   {{^name}}..{{/name}}  inverted section: renders when name is missing,
 *                      false, null, 0, "" or an empty array
 *   {{>partial}}       includes templates/partials/partial.html
 *   {{! comment }}
 *   {{.}}              the current value (inside a loop over scalars)
 *
 * Names resolve through the context stack (innermost first), like Mustache.
 * Every name segment must be in the vocabulary passed to tmpl_load_dir(), so a
 * misspelt variable stops the worker at start with file:line, never in front of
 * a shopper. Pages are rendered inside templates/layout.html, which places the
 * page with {{raw:content}}. */
#ifndef VIEW_TMPL_H
#define VIEW_TMPL_H

#include <stddef.h>
#include <jansson.h>
#include "../core/err.h"

struct buf;
struct tmpl_set;

/* Compiles every *.html under dir (pages at the top, partials/ beside them).
 * vocab is a NULL-terminated list of allowed names. On error returns
 * E_TEMPLATE and writes "file:line: message" into errbuf. The set is owned by
 * the caller (tmpl_free). */
enum err tmpl_load_dir(const char *dir, const char *const *vocab,
		       struct tmpl_set **out, char *errbuf, size_t errlen);
/* The same for one template given as a string (tests). name is used in
 * messages and as the template's name. Partials resolve within the same set. */
enum err tmpl_compile_string(struct tmpl_set *set, const char *name,
			     const char *src, char *errbuf, size_t errlen);
struct tmpl_set *tmpl_set_new(const char *const *vocab);
void tmpl_free(struct tmpl_set *set);
int tmpl_exists(const struct tmpl_set *set, const char *name);

/* Renders template `name` (e.g. "product" for product.html) with model into out.
 * Returns E_NOTFOUND for an unknown template, E_TEMPLATE for a render error
 * (e.g. raw: on an unsafe value). */
enum err tmpl_render(const struct tmpl_set *set, const char *name,
		     const json_t *model, struct buf *out);
/* Renders `page` and then "layout" with the same model plus "content" set to the
 * rendered page. */
enum err tmpl_render_page(const struct tmpl_set *set, const char *page,
			  json_t *model, struct buf *out);

#endif
