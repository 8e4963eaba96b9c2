/* The audit log's reader (issue 19): /admin/audit and GET /api/admin/audit
 * search it by actor (a "user:12" or an account's email), action (a prefix:
 * "promo." is every promo action), target ("order:12", exact), and a date
 * range (from and to, inclusive days, UTC), newest first, in pages. */
#ifndef CONSOLE_AUDIT_SEARCH_H
#define CONSOLE_AUDIT_SEARCH_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

void audit_search_init(void);

struct audit_query {
	const char *actor, *action, *target, *from, *to;	/* "" or NULL: any */
	int64_t before;		/* rows with an id below this (0: from the newest) */
	int64_t limit;		/* 1..200 */
};

/* Rows as JSON objects (id, actor, actorEmail, action, target, before,
 * after (parsed JSON or null), at) into *rows; *next: the cursor of the
 * next page (0: none). E_INVAL with *why for a bad date. */
enum err audit_search(struct db *db, struct arena *a, const struct audit_query *q, json_t **rows, int64_t *next,
		      const char **why);

#endif
