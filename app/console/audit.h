/* The admin audit log (issue 19): every action an admin takes (and each
 * change a command like `shopctl fx-load` makes to shared settings) is one
 * row: who, when, what, on what, and the thing before and after as JSON.
 * Pages: /admin/audit (app/console). Writing it is the caller's duty, in the
 * same transaction as the change, so a change and its record commit
 * together or not at all. */
#ifndef CONSOLE_AUDIT_H
#define CONSOLE_AUDIT_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

/* Statements (once, at start; idempotent). */
void audit_init(void);

/* One row. actor "user:12" (or "shopctl"), action "promo.create" (noun.verb,
 * [a-z_.]), target "promo:7" ("" when none); before/after: JSON objects or
 * NULL, references borrowed. Inside the caller's transaction. */
enum err audit_record(struct db *db, struct arena *a, const char *actor, const char *action, const char *target,
		      const json_t *before, const json_t *after);

/* For an act whose change runs in other modules' transactions (an order's
 * refund through app/fulfillment, with the gateway call between them):
 * the row is written first, in a transaction of its own, with the thing
 * before and what was asked (after NULL: "under way"), and its id into
 * *id; audit_finish then sets its after. A crash between the two leaves
 * the row saying who asked for what, with no outcome: the order's own
 * timeline has it. */
enum err audit_begin(struct db *db, struct arena *a, const char *actor, const char *action, const char *target,
		     const json_t *before, int64_t *id);
enum err audit_finish(struct db *db, struct arena *a, int64_t id, const json_t *after);

#endif
