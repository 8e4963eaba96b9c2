/* The footer's content pages (issue 19): about, contact, shipping,
 * returns, privacy. Stored in content_pages as plain text in the little
 * markup of markup.h, rendered on every view (they are small, and the
 * microcache in front keeps them a second). Edits are audited. */
#ifndef CONSOLE_CONTENT_H
#define CONSOLE_CONTENT_H

#include "../core/err.h"

struct arena;
struct db;

void content_init(void);

struct content_page {
	const char *slug, *title, *body, *updated_at, *updated_by;
};

/* 1 for the slugs that have a page. */
int content_slug_ok(const char *slug);
/* The page; E_NOTFOUND when it has no row (not seeded). */
enum err content_get(struct db *db, struct arena *a, const char *slug, struct content_page *p);
/* Every page, in the footer's order (*out in a). */
enum err content_list(struct db *db, struct arena *a, struct content_page **out, size_t *n);
/* The body as HTML (markup_render), arena-owned. */
const char *content_html(struct arena *a, const char *body);
/* Saves title and body as actor, with its audit row (content.update). *why
 * names the problem on E_INVAL. */
enum err content_save(struct db *db, struct arena *a, const char *actor, const char *slug, const char *title,
		      const char *body, const char **field, const char **why);

#endif
