/* Roles and seller applications: a shopper applies to sell (/sell), an admin
 * approves or rejects (/admin), grants roles, and finds people by email.
 *
 * Role checks are the route table's flags (RF_USER, RF_SELLER, RF_ADMIN);
 * nothing here repeats them. A changed role reaches the person's browser by
 * itself: the session module sees the new flags on their next request and
 * issues a new session id (no privilege change keeps an old id).
 *
 * This file holds the rules and SQL; the pages are in admin_pages.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../mail/mail.h"
#include "../store/db.h"
#include "account.h"

#define SLUG_TRIES 50		/* "name", "name-2", ... before giving up */

enum {
	Q_LAST_APP, Q_PENDING_BY_USER, Q_SLUG_TAKEN, Q_APPLY, Q_PENDING, Q_SEARCH,
	Q_APP_LOCK, Q_SELLER_BY_USER, Q_NEW_SELLER, Q_SET_SELLER, Q_DECIDE,
	Q_USER_LOCK, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_LAST_APP] = { "SELECT display_name, slug, contact_email, status, "
			 "DATE_FORMAT(created_at, '%Y-%m-%d') FROM seller_applications "
			 "WHERE user_id = ? ORDER BY id DESC LIMIT 1", 0 },
	/* Locks this person's applications (ix_sellerapp_user), so a double
	 * submit makes one application, not two. */
	[Q_PENDING_BY_USER] = { "SELECT id, status FROM seller_applications WHERE user_id = ? FOR UPDATE", 0 },
	/* A slug is taken by a seller or by someone else's pending application.
	 * Two applications racing for one slug can both pass; the unique key
	 * on sellers.slug stops the second approval. */
	[Q_SLUG_TAKEN] = { "SELECT (SELECT COUNT(*) FROM sellers WHERE slug = ?) + "
			   "(SELECT COUNT(*) FROM seller_applications WHERE slug = ? AND status = 'pending' "
			   "AND user_id <> ?)", 0 },
	[Q_APPLY] = { "INSERT INTO seller_applications (user_id, display_name, slug, contact_email) "
		      "VALUES (?, ?, ?, ?)", 0 },
	[Q_PENDING] = { "SELECT a.id, a.display_name, a.slug, a.contact_email, "
			"DATE_FORMAT(a.created_at, '%Y-%m-%d %H:%i'), u.name, u.email "
			"FROM seller_applications a JOIN users u ON u.id = a.user_id "
			"WHERE a.status = 'pending' ORDER BY a.id LIMIT 100", 0 },	/* ADMIN_LIST_MAX */
	/* Prefix search on the unique email index; '!' escapes LIKE's
	 * wildcards in what the admin typed. */
	[Q_SEARCH] = { "SELECT name, email, is_seller, is_admin, status, "
		       "DATE_FORMAT(created_at, '%Y-%m-%d') FROM users "
		       "WHERE email LIKE CONCAT(?, '%') ESCAPE '!' ORDER BY email LIMIT 50", 0 },
	[Q_APP_LOCK] = { "SELECT a.user_id, a.display_name, a.slug, a.contact_email, a.status, "
			 "u.email, u.name FROM seller_applications a JOIN users u ON u.id = a.user_id "
			 "WHERE a.id = ? FOR UPDATE", 0 },
	[Q_SELLER_BY_USER] = { "SELECT id, slug, display_name, contact_email, status "
			       "FROM sellers WHERE user_id = ?", 0 },
	[Q_NEW_SELLER] = { "INSERT INTO sellers (slug, display_name, user_id, contact_email) "
			   "VALUES (?, ?, ?, ?)", 0 },
	[Q_SET_SELLER] = { "UPDATE users SET is_seller = 1 WHERE id = ?", 0 },
	[Q_DECIDE] = { "UPDATE seller_applications SET status = ?, decided_by = ?, "
		       "decided_at = NOW(3) WHERE id = ? AND status = 'pending'", 0 },
	/* Serializes grants to one person (two admins, or shopctl and a page). */
	[Q_USER_LOCK] = { "SELECT id, name FROM users WHERE email = ? FOR UPDATE", 0 },
};

void admin_init(void)
{
	db_register(sql, Q_COUNT);
}

/* ---- helpers ---- */

/* A seller slug from an email's local part: "Jane.Doe+shop@x" -> "jane-doe-shop".
 * Arena-owned; never shorter than 2 characters. */
static char *slug_from_email(struct arena *a, const char *email)
{
	const char *at = strchr(email, '@');
	size_t n = at ? (size_t)(at - email) : strlen(email), k = 0;
	char *s = arena_alloc(a, n + 8);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n && k < 56; i++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)email[i]);

		if (isalnum(ch) && ch < 0x80)
			s[k++] = (char)ch;
		else if (k && s[k - 1] != '-')
			s[k++] = '-';
	}
	while (k && s[k - 1] == '-')
		k--;
	s[k] = '\0';
	if (k < 2)
		strcpy(s, "seller");
	return s;
}

/* Inside a transaction: makes sure user uid runs a seller, creating one with
 * slug (or, when want_slug is NULL, one derived from email and made unique).
 * E_CONFLICT when the wanted slug is taken. */
static enum err ensure_seller(struct db *db, struct arena *a, int64_t uid, const char *want_slug,
			      const char *display_name, const char *contact)
{
	struct db_res *r = NULL;
	const char *base;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_SELLER_BY_USER], &r, "i", uid)))
		return e;
	if (r->nrows)
		return E_OK;	/* already runs one: keep it */
	if (want_slug)
		return db_exec(db, a, &sql[Q_NEW_SELLER], NULL, "ssis", want_slug, display_name, uid, contact);
	if (!(base = slug_from_email(a, contact)))
		return E_NOMEM;
	for (int i = 1; i <= SLUG_TRIES; i++) {
		const char *slug = i == 1 ? base : arena_printf(a, "%s-%d", base, i);
		struct db_res *t = NULL;

		if ((e = db_exec(db, a, &sql[Q_SLUG_TAKEN], &t, "ssi", slug, slug, uid)))
			return e;
		if (db_int(t, 0, 0))
			continue;
		/* A duplicate key fails only this statement, not the
		 * transaction: try the next name. */
		e = db_exec(db, a, &sql[Q_NEW_SELLER], NULL, "ssis", slug, display_name, uid, contact);
		if (e != E_CONFLICT)
			return e;
	}
	return E_CONFLICT;
}

/* ---- granting roles (admin page and shopctl) ---- */

struct grant_tx {
	struct arena *a;
	const char *email, *role;
};

static enum err grant_tx(struct db *db, void *p)
{
	struct grant_tx *g = p;
	struct db_res *u = NULL;
	enum err e;

	if ((e = db_exec(db, g->a, &sql[Q_USER_LOCK], &u, "s", g->email)))
		return e;
	if (!u->nrows)
		return E_NOTFOUND;
	if ((e = account_grant(db, g->a, g->email, g->role)))
		return e;
	if (strcmp(g->role, "seller"))
		return E_OK;
	return ensure_seller(db, g->a, db_int(u, 0, 0), NULL, db_cell(u, 0, 1), g->email);
}

enum err admin_grant(struct db *db, struct arena *a, const char *email, const char *role)
{
	struct grant_tx g = { a, email, role };

	if (strcmp(role, "seller") && strcmp(role, "admin"))
		return E_INVAL;
	return db_tx(db, grant_tx, &g);
}

/* ---- applying to sell ---- */

struct apply_tx {
	struct arena *a;
	int64_t uid;
	const char *name, *slug, *contact;
	const char *why;	/* for E_CONFLICT */
};

static enum err apply_tx(struct db *db, void *p)
{
	struct apply_tx *t = p;
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, t->a, &sql[Q_PENDING_BY_USER], &r, "i", t->uid)))
		return e;
	for (size_t i = 0; i < r->nrows; i++)
		if (!strcmp(db_cell(r, i, 1), "pending")) {
			t->why = "You already have an application waiting for review.";
			return E_CONFLICT;
		}
	if ((e = db_exec(db, t->a, &sql[Q_SLUG_TAKEN], &r, "ssi", t->slug, t->slug, t->uid)))
		return e;
	if (db_int(r, 0, 0)) {
		t->why = "That shop address is taken. Please choose another.";
		return E_CONFLICT;
	}
	return db_exec(db, t->a, &sql[Q_APPLY], NULL, "isss", t->uid, t->name, t->slug, t->contact);
}

struct decide_tx {
	struct arena *a;
	int64_t id, admin;
	int approve;
	const char *why;	/* for E_CONFLICT */
};

static enum err decide_tx(struct db *db, void *p)
{
	struct decide_tx *t = p;
	struct db_res *r = NULL;
	const char *name, *slug, *email, *person;
	int64_t uid;
	enum err e;

	if ((e = db_exec(db, t->a, &sql[Q_APP_LOCK], &r, "i", t->id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	if (strcmp(db_cell(r, 0, 4), "pending")) {
		t->why = "This application has been decided already.";
		return E_CONFLICT;
	}
	uid = db_int(r, 0, 0);
	name = db_cell(r, 0, 1);
	slug = db_cell(r, 0, 2);
	email = db_cell(r, 0, 5);
	person = db_cell(r, 0, 6);
	if (!t->approve) {
		if ((e = db_exec(db, t->a, &sql[Q_DECIDE], NULL, "sii", "rejected", t->admin, t->id)))
			return e;
		return mail_enqueue(db, t->a, email, "About your application to sell on Shop",
			arena_printf(t->a,
				"Hello %s,\n\n"
				"we are sorry: your application to sell on Shop as \"%s\" was not approved.\n"
				"You are welcome to apply again at %s/sell\n",
				person, name, config.base_url));
	}
	e = ensure_seller(db, t->a, uid, slug, name, db_cell(r, 0, 3));
	if (e == E_CONFLICT) {
		t->why = arena_printf(t->a, "The shop address \"%s\" is taken by another seller. "
				      "Reject this application and ask for another address.", slug);
		return e;
	}
	if (e || (e = db_exec(db, t->a, &sql[Q_SET_SELLER], NULL, "i", uid)) ||
	    (e = db_exec(db, t->a, &sql[Q_DECIDE], NULL, "sii", "approved", t->admin, t->id)))
		return e;
	return mail_enqueue(db, t->a, email, "You can now sell on Shop",
		arena_printf(t->a,
			"Hello %s,\n\n"
			"your application to sell on Shop as \"%s\" has been approved.\n"
			"Your seller pages are at %s/seller/\n",
			person, name, config.base_url));
}

enum err admin_decide(struct db *db, struct arena *a, int64_t id, int64_t admin_uid, int approve,
		      const char **why)
{
	struct decide_tx t = { a, id, admin_uid, approve, NULL };
	enum err e = db_tx(db, decide_tx, &t);

	*why = t.why;
	return e;
}

/* ---- what the pages show ---- */

enum err admin_seller_of(struct db *db, struct arena *a, int64_t uid, struct seller_brief *out, int *found)
{
	struct db_res *r = NULL;
	enum err e;

	*found = 0;
	if ((e = db_exec(db, a, &sql[Q_SELLER_BY_USER], &r, "i", uid)))
		return e;
	if (!r->nrows)
		return E_OK;
	*found = 1;
	out->id = db_int(r, 0, 0);
	out->slug = db_cell(r, 0, 1);
	out->display_name = db_cell(r, 0, 2);
	out->contact_email = db_cell(r, 0, 3);
	out->status = db_cell(r, 0, 4);
	return E_OK;
}

enum err admin_last_application(struct db *db, struct arena *a, int64_t uid,
				struct seller_application *out, int *found)
{
	struct db_res *r = NULL;
	enum err e;

	*found = 0;
	if ((e = db_exec(db, a, &sql[Q_LAST_APP], &r, "i", uid)))
		return e;
	if (!r->nrows)
		return E_OK;
	*found = 1;
	out->display_name = db_cell(r, 0, 0);
	out->slug = db_cell(r, 0, 1);
	out->contact_email = db_cell(r, 0, 2);
	out->status = db_cell(r, 0, 3);
	out->date = db_cell(r, 0, 4);
	return E_OK;
}

enum err admin_apply(struct db *db, struct arena *a, int64_t uid, const char *name, const char *slug,
		     const char *contact, const char **why)
{
	struct apply_tx t = { a, uid, name, slug, contact, NULL };
	enum err e = db_tx(db, apply_tx, &t);

	*why = t.why;
	return e;
}

enum err admin_pending(struct db *db, struct arena *a, struct pending_application **out, size_t *n)
{
	struct db_res *r = NULL;
	struct pending_application *v;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_PENDING], &r, "")))
		return e;
	if (!(v = arena_calloc(a, r->nrows + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		v[i].id = db_int(r, i, 0);
		v[i].id_text = db_cell(r, i, 0);
		v[i].display_name = db_cell(r, i, 1);
		v[i].slug = db_cell(r, i, 2);
		v[i].contact_email = db_cell(r, i, 3);
		v[i].date = db_cell(r, i, 4);
		v[i].applicant_name = db_cell(r, i, 5);
		v[i].applicant_email = db_cell(r, i, 6);
	}
	*out = v;
	*n = r->nrows;
	return E_OK;
}

/* What the admin typed, with LIKE's wildcards escaped by '!'. */
static const char *like_prefix(struct arena *a, const char *q)
{
	char *s = arena_strdup(a, q);

	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return db_like_escape(a, s);
}

enum err admin_find_users(struct db *db, struct arena *a, const char *q, struct user_brief **out, size_t *n)
{
	struct db_res *r = NULL;
	struct user_brief *v;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_SEARCH], &r, "s", like_prefix(a, q))))
		return e;
	if (!(v = arena_calloc(a, r->nrows + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		v[i].name = db_cell(r, i, 0);
		v[i].email = db_cell(r, i, 1);
		v[i].is_seller = db_int(r, i, 2) != 0;
		v[i].is_admin = db_int(r, i, 3) != 0;
		v[i].status = db_cell(r, i, 4);
		v[i].date = db_cell(r, i, 5);
	}
	*out = v;
	*n = r->nrows;
	return E_OK;
}
