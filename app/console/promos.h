/* Promo codes as the admin console edits them (issue 19). The shopper's
 * side (quotes, redemption, release) is app/pricing; this file writes the
 * rows it reads: promo_codes, promo_categories, promo_sellers. Every write
 * is one transaction with its audit row (audit.h). */
#ifndef CONSOLE_PROMOS_H
#define CONSOLE_PROMOS_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct arena;
struct db;

void promos_init(void);

/* A promo as given: members absent from a PATCH are "keep" (has_* 0). */
struct promo_in {
	int has_code, has_kind, has_value, has_min, has_starts, has_ends, has_max, has_per, has_desc, has_active,
	    has_cats, has_sellers;
	const char *code, *kind, *description;
	int64_t value;		/* percent: basis points (1000 = 10%); fixed: cents */
	int64_t min_order;	/* cents */
	int64_t starts_at, ends_at;	/* unix seconds; 0 = open */
	int64_t max_uses, per_customer;	/* 0 = no limit */
	int active;
	const int64_t *cats, *sellers;
	size_t ncats, nsellers;
};

/* Problems with the fields, for a 422 with error.fields. */
#define PROMO_MAX_PROBLEMS 12
struct promo_problems {
	int n;
	const char *field[PROMO_MAX_PROBLEMS], *message[PROMO_MAX_PROBLEMS];
};
void promo_problem(struct promo_problems *p, const char *field, const char *message);

/* The API's view of one (id, code, description, kind, value, minOrder,
 * startsAt, endsAt, maxUses, perCustomer, active, status, uses: {live,
 * customers, released}, categories, sellers, createdAt, updatedAt). */
enum err promo_get(struct db *db, struct arena *a, int64_t id, json_t **out);
/* All of them, newest first. */
enum err promo_list(struct db *db, struct arena *a, json_t **out);

/* A page of the list (issue 19): newest first, ids below before (0: from
 * the newest), codes starting with code (normalised; NULL or "": any),
 * in state (one of promo_states; NULL or "": any), at most limit (<= 0:
 * 50). *next: the before of the next page, 0 when this is the last. */
struct promo_filter {
	const char *code, *state;
	int64_t before, limit;
};
extern const char *const promo_states[];	/* "active", "scheduled", "ended", "used-up", "paused", NULL */
enum err promo_page(struct db *db, struct arena *a, const struct promo_filter *f, json_t **out, int64_t *next);
/* The scope pickers: [{id, name}] of the live categories ("Top › Child"),
 * in the tree's order, and of the sellers by name (new references). */
enum err promo_scope_names(struct db *db, struct arena *a, json_t **categories, json_t **sellers);

/* Creates (id 0) or edits promo id as actor; E_INVAL with *bad filled;
 * E_NOTFOUND for a missing id. *id_out: the promo's id. */
enum err promo_save(struct db *db, struct arena *a, const char *actor, int64_t id, const struct promo_in *in,
		    struct promo_problems *bad, int64_t *id_out);
/* Pause (active 0) or resume (1); audited as promo.pause / promo.resume. */
enum err promo_set_active(struct db *db, struct arena *a, const char *actor, int64_t id, int active);

#endif
