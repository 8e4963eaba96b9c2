/* The audit log's reader (audit_search.h). */
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../store/db.h"
#include "audit_search.h"

enum { Q_SEARCH, Q_USER, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	/* One statement for every combination: an empty filter matches all.
	 * Newest first by id (the primary key walked backwards). */
	[Q_SEARCH] = { "SELECT l.id, l.actor, COALESCE(u.email, ''), l.action, l.target, l.before_json, "
		       "l.after_json, DATE_FORMAT(l.created_at, '%Y-%m-%dT%H:%i:%sZ') FROM audit_log l "
		       "LEFT JOIN users u ON l.actor LIKE 'user:%' AND u.id = CAST(SUBSTRING(l.actor, 6) AS UNSIGNED) "
		       "WHERE (? = '' OR l.actor = ?) AND (? = '' OR l.action LIKE CONCAT(?, '%') ESCAPE '!') "
		       "AND (? = '' OR l.target = ?) AND (? = '' OR l.created_at >= ?) "
		       "AND (? = '' OR l.created_at < DATE(?) + INTERVAL 1 DAY) AND (? = 0 OR l.id < ?) "
		       "ORDER BY l.id DESC LIMIT ?", 0 },
	[Q_USER] = { "SELECT id FROM users WHERE email = ?", 0 },
};

void audit_search_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	db_register(sql, Q_COUNT);
}

/* YYYY-MM-DD, or "". */
static int day_ok(const char *s)
{
	int y, m, d, n = 0;

	if (!*s)
		return 1;
	return sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 && !s[10] && y >= 2000 && y <= 2200 &&
	       m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static json_t *parsed(const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	v = json_loads(s, 0, NULL);
	return v ? v : json_string(s);
}

enum err audit_search(struct db *db, struct arena *a, const struct audit_query *q, json_t **rows, int64_t *next,
		      const char **why)
{
	const char *actor = q->actor ? q->actor : "", *action = q->action ? q->action : "";
	const char *target = q->target ? q->target : "", *from = q->from ? q->from : "", *to = q->to ? q->to : "";
	int64_t limit = q->limit < 1 ? 50 : q->limit > 200 ? 200 : q->limit;
	struct db_res *r = NULL;
	enum err e;

	*rows = NULL;
	*next = 0;
	*why = NULL;
	if (!day_ok(from) || !day_ok(to)) {
		*why = "Dates are written YYYY-MM-DD.";
		return E_INVAL;
	}
	if (strchr(actor, '@')) {
		/* an account's email: its "user:<id>" */
		if ((e = db_exec(db, a, &sql[Q_USER], &r, "s", actor)))
			return e;
		actor = r && r->nrows ? arena_printf(a, "user:%lld", (long long)db_int(r, 0, 0)) : "user:0";
	}
	if ((e = db_exec(db, a, &sql[Q_SEARCH], &r, "ssssssssssiii", actor, actor, action, db_like_escape(a, action),
			 target, target, from, from, to, to, q->before, q->before, limit + 1)))
		return e;
	*rows = json_array();
	for (size_t i = 0; i < r->nrows && (int64_t)i < limit; i++)
		json_array_append_new(*rows, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:s}",
			"id", (json_int_t)db_int(r, i, 0), "actor", db_cell(r, i, 1), "actorEmail", db_cell(r, i, 2),
			"action", db_cell(r, i, 3), "target", db_cell(r, i, 4), "before", parsed(db_cell(r, i, 5)),
			"after", parsed(db_cell(r, i, 6)), "at", db_cell(r, i, 7)));
	if ((int64_t)r->nrows > limit)
		*next = db_int(r, (size_t)limit - 1, 0);
	return E_OK;
}
