/* The admin audit log's writer (audit.h). */
#include <stdlib.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "audit.h"

enum { Q_INSERT, Q_FINISH, NQ };

static struct db_sql sql[NQ] = {
	[Q_INSERT] = { "INSERT INTO audit_log (actor, action, target, before_json, after_json) VALUES (?, ?, ?, ?, ?)", 0 },
	/* issue 19: the outcome of an act begun with audit_begin */
	[Q_FINISH] = { "UPDATE audit_log SET after_json = ? WHERE id = ? AND after_json IS NULL", 0 },
};

void audit_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, NQ);
}

/* The JSON text of v in the arena, NULL for NULL. */
static const char *json_text(struct arena *a, const json_t *v)
{
	char *s, *copy;

	if (!v)
		return NULL;
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return NULL;
	copy = arena_strdup(a, s);
	free(s);
	return copy;
}

enum err audit_record(struct db *db, struct arena *a, const char *actor, const char *action, const char *target,
		      const json_t *before, const json_t *after)
{
	return db_exec(db, a, &sql[Q_INSERT], NULL, "sssss", actor, action, target ? target : "",
		       json_text(a, before), json_text(a, after));
}

/* ---- acts in other modules' transactions (audit.h) ---- */

struct begin_op {
	struct arena *a;
	const char *actor, *action, *target;
	const json_t *before;
	int64_t id;
};

static enum err begin_tx(struct db *db, void *ctx)
{
	struct begin_op *op = ctx;
	enum err e;

	if ((e = audit_record(db, op->a, op->actor, op->action, op->target, op->before, NULL)))
		return e;
	op->id = (int64_t)db_insert_id(db);
	return E_OK;
}

enum err audit_begin(struct db *db, struct arena *a, const char *actor, const char *action, const char *target,
		     const json_t *before, int64_t *id)
{
	struct begin_op op = { .a = a, .actor = actor, .action = action, .target = target, .before = before };
	enum err e = db_tx(db, begin_tx, &op);

	*id = op.id;
	return e;
}

enum err audit_finish(struct db *db, struct arena *a, int64_t id, const json_t *after)
{
	return db_exec(db, a, &sql[Q_FINISH], NULL, "si", json_text(a, after), id);
}
