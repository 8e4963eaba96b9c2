/* The admin audit log's writer (audit.h). */
#include <stdlib.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "audit.h"

enum { Q_INSERT, NQ };

static struct db_sql sql[NQ] = {
	[Q_INSERT] = { "INSERT INTO audit_log (actor, action, target, before_json, after_json) VALUES (?, ?, ?, ?, ?)" },
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
