/* The content pages (content.h). */
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/text.h"
#include "../store/db.h"
#include "audit.h"
#include "content.h"
#include "markup.h"

#define BODY_MAX 60000	/* bytes: a long page is a few thousand */

enum { Q_ONE, Q_LOCK, Q_ALL, Q_SAVE, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	[Q_ONE] = { "SELECT slug, title, body, DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ'), updated_by "
		    "FROM content_pages WHERE slug = ?", 0 },
	[Q_LOCK] = { "SELECT slug, title, body, DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ'), updated_by "
		     "FROM content_pages WHERE slug = ? FOR UPDATE", 0 },
	[Q_ALL] = { "SELECT slug, title, body, DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ'), updated_by "
		    "FROM content_pages ORDER BY FIELD(slug, 'about', 'contact', 'shipping', 'returns', 'privacy')", 0 },
	[Q_SAVE] = { "INSERT INTO content_pages (slug, title, body, updated_by) VALUES (?, ?, ?, ?) "
		     "ON DUPLICATE KEY UPDATE title = VALUES(title), body = VALUES(body), "
		     "updated_by = VALUES(updated_by), updated_at = NOW(3)", 0 },
};

static const char *const slugs[] = { "about", "contact", "shipping", "returns", "privacy", NULL };

void content_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, Q_COUNT);
}

int content_slug_ok(const char *slug)
{
	for (int i = 0; slug && slugs[i]; i++)
		if (!strcmp(slugs[i], slug))
			return 1;
	return 0;
}

static void from_row(const struct db_res *r, size_t i, struct content_page *p)
{
	p->slug = db_cell(r, i, 0);
	p->title = db_cell(r, i, 1);
	p->body = db_cell(r, i, 2);
	p->updated_at = db_cell(r, i, 3);
	p->updated_by = db_cell(r, i, 4);
}

enum err content_get(struct db *db, struct arena *a, const char *slug, struct content_page *p)
{
	struct db_res *r = NULL;
	enum err e;

	memset(p, 0, sizeof(*p));
	if (!content_slug_ok(slug))
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_ONE], &r, "s", slug)))
		return e;
	if (!r || !r->nrows)
		return E_NOTFOUND;
	from_row(r, 0, p);
	return E_OK;
}

enum err content_list(struct db *db, struct arena *a, struct content_page **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_ALL], &r, "")))
		return e;
	if (!r || !r->nrows)
		return E_OK;
	if (!(*out = arena_calloc(a, r->nrows, sizeof(**out))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++)
		from_row(r, i, &(*out)[i]);
	*n = r->nrows;
	return E_OK;
}

const char *content_html(struct arena *a, const char *body)
{
	struct buf b;

	buf_init(&b, a, 4096);
	markup_render(&b, body, strlen(body));
	buf_putc(&b, '\0');
	return b.oom ? "" : b.p;
}

struct save_op {
	struct arena *a;
	const char *actor, *slug, *title, *body;
};

static json_t *page_json(const char *title, const char *body)
{
	return json_pack("{s:s, s:s}", "title", title, "body", body);
}

static enum err save_tx(struct db *db, void *ctx)
{
	struct save_op *op = ctx;
	struct db_res *r = NULL;
	json_t *before = NULL, *after = NULL;
	enum err e;

	if ((e = db_exec(db, op->a, &sql[Q_LOCK], &r, "s", op->slug)))
		return e;
	if (r && r->nrows) {
		if (!strcmp(db_cell(r, 0, 1), op->title) && !strcmp(db_cell(r, 0, 2), op->body))
			return E_OK;	/* nothing changed: nothing to record */
		before = page_json(db_cell(r, 0, 1), db_cell(r, 0, 2));
	}
	after = page_json(op->title, op->body);
	if (!(e = db_exec(db, op->a, &sql[Q_SAVE], NULL, "ssss", op->slug, op->title, op->body, op->actor)))
		e = audit_record(db, op->a, op->actor, "content.update", arena_printf(op->a, "page:%s", op->slug),
				 before, after);
	json_decref(before);
	json_decref(after);
	return e;
}

enum err content_save(struct db *db, struct arena *a, const char *actor, const char *slug, const char *title,
		      const char *body, const char **field, const char **why)
{
	struct save_op op = { .a = a, .actor = actor, .slug = slug, .title = title, .body = body };
	long tn;

	*field = *why = NULL;
	if (!content_slug_ok(slug))
		return E_NOTFOUND;
	tn = title ? text_chars(title, TEXT_LINE) : -1;
	if (tn < 1 || tn > 100 || !title[strspn(title, " ")]) {
		*field = "title";
		*why = "A title is 1 to 100 characters on one line.";
		return E_INVAL;
	}
	if (!body || strlen(body) > BODY_MAX || text_chars(body, TEXT_MULTILINE) < 0) {
		*field = "body";
		*why = "The text is at most 60,000 characters of plain text (no control characters).";
		return E_INVAL;
	}
	return db_tx(db, save_tx, &op);
}
