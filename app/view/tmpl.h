/* A small logic-less template language, compiled when a worker starts.
 *
 *   {{name}}           value escaped for HTML text (dotted paths: {{item.title}})
 *   {{attr:name}}      escaped for a quoted attribute value
 *   {{url:name}}       percent-encoded as a URL component
 *   {{json:name}}      any value as JSON, safe inside a <script> block
 *   {{money:name}}     integer minor units shown as money, currency from the
 *                      nearest "currency" in scope (default USD)
 *   {{date:name}}      a timestamp ("2026-12-05", "2026-12-05T14:05:00Z",
 *                      "2026-12-05 14:05:00", or Unix seconds) as "5 Dec 2026";
 *                      anything else is printed as text
 *   {{datetime:name}}  the same with the time: "5 Dec 2026, 14:05 UTC"
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
 * Each page template is checked at start against the names its own view model
 * sets (struct tmpl_page, declared by the module that renders the page), plus
 * the layout's, with the partials it includes checked as part of it: a page
 * that prints a name its model never sets, or a misspelt one, stops the worker
 * at start with file:line, never renders blank in front of a shopper. (A set
 * may instead be given one vocabulary for all its templates: tests, fuzzing.)
 * Pages are rendered inside templates/layout.html, which places the page with
 * {{raw:content}}. */
#ifndef VIEW_TMPL_H
#define VIEW_TMPL_H

#include <stddef.h>
#include <jansson.h>
#include "../core/err.h"

struct buf;
struct tmpl_set;

/* A page template and every name its view model sets: the keys of the
 * model at any depth (those of objects inside it, and of the objects of its
 * arrays), NULL-terminated. "key.*" declares key and says the keys inside
 * its value are data, not names (a product's attributes by attribute name, a
 * form's errors by field): they are not checked. The page named "layout"
 * declares what the
 * layout's model adds to every page (app/site.c's decoration); its names are
 * allowed in every page. Kept by pointer: static storage. */
struct tmpl_page {
	const char *name;		/* "product" for templates/product.html */
	const char *const *names;
};

/* Compiles every *.html under dir (pages at the top, partials/ beside them).
 * vocab is a NULL-terminated list of allowed names, or NULL for none (the
 * names are then checked by tmpl_check_pages). On error returns E_TEMPLATE
 * and writes "file:line: message" into errbuf. The set is owned by the caller
 * (tmpl_free). */
enum err tmpl_load_dir(const char *dir, const char *const *vocab,
		       struct tmpl_set **out, char *errbuf, size_t errlen);
/* tmpl_load_dir without a vocabulary, then tmpl_check_pages. */
enum err tmpl_load_pages(const char *dir, const struct tmpl_page *pages, size_t npages,
			 struct tmpl_set **out, char *errbuf, size_t errlen);
/* Checks the set against the pages (kept by pointer for
 * tmpl_model_undeclared): every template outside partials/ is one of the
 * pages, every page has its template, every partial is included by some page,
 * and every name a page prints (in its own text or in the partials it
 * includes, at any depth) is one its model sets or the layout's. E_TEMPLATE
 * with "file:line: message" in errbuf otherwise. */
enum err tmpl_check_pages(struct tmpl_set *set, const struct tmpl_page *pages, size_t npages,
			  char *errbuf, size_t errlen);
/* 1 when model (at any depth) sets a key that neither page's declared names
 * nor the layout's have; *key is the first such key. 0 when it sets none, or
 * when the set has no declarations for page. For tests (it walks the whole
 * model). */
int tmpl_model_undeclared(const struct tmpl_set *set, const char *page, const json_t *model,
			  const char **key);
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

/* CURRENCIES (issue 19): the currency the money filter prints an amount in
 * when no object on the context stack has a "currency" member: "USD"; the
 * fx module's localize hook sets it per request for the catalog's pages
 * (a worker renders one page at a time). */
extern const char *tmpl_money_default;

#endif
