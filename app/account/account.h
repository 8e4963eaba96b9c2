/* Accounts: registration, sign-in checks, passwords, roles, seller
 * applications, password resets and the admin's seller list (the domain:
 * database, arena and plain values in, enum err out). The pages and the
 * API are declared in account_pages.h. */
#ifndef ACCOUNT_ACCOUNT_H
#define ACCOUNT_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "../core/err.h"

struct db;
struct arena;

/* Passwords: Argon2id (libsodium), 19 MiB, t=2, p=1 (OWASP's minimum). */
#define PW_MIN 12
#define PW_MAX 256		/* bytes; bounds the work an attacker can ask for */
#define PW_OPSLIMIT 2
#define PW_MEMLIMIT (19u * 1024 * 1024)

/* out gets a "$argon2id$..." string. E_NOMEM when the memory for hashing
 * cannot be had. */
enum err pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES]);
/* 1 when pw matches hash. Runs the full Argon2 cost even for a NULL hash
 * (unknown account), so timing does not reveal which emails exist. */
int pw_verify(const char *hash, const char *pw);
int pw_needs_rehash(const char *hash);
/* Prepares the constant-time path of pw_verify; call once at start. */
void pw_init(void);
/* NULL when acceptable, else the message for the form/JSON answer. */
const char *pw_policy(const char *pw);

/* Normalises an email for storage and lookup (trimmed, lower-cased); NULL
 * when it is not a plausible address. Arena-owned. */
const char *account_email(struct arena *a, const char *in);

/* Register each part's statements (the account module's init calls them at start). */
void account_init(void);
void address_init(void);
void reset_init(void);
void admin_init(void);
void sellers_admin_init(void);

/* Creates a user or returns E_CONFLICT if the email is taken; *uid set.
 * Used by registration and `shopctl create-admin`. */
enum err account_create(struct db *db, struct arena *a, const char *name,
			const char *email, const char *password, int64_t *uid);
/* Gives a role ("seller" or "admin") to the user with this email. */
enum err account_grant(struct db *db, struct arena *a, const char *email, const char *role);
/* The same in one transaction, plus, for a seller, the sellers row if there
 * is none (app/account/admin.c); used by /admin/grant and shopctl. */
enum err admin_grant(struct db *db, struct arena *a, const char *email, const char *role);

/* Registration: checks the email (normalised here) and the password policy
 * (E_INVAL with *why, the field-named message), then creates the account
 * and mails a welcome, or, when the email is taken, mails its owner
 * instead. *created: the new account's id, 0 when the email was taken. */
enum err account_register(struct db *db, struct arena *a, const char *name, const char *email,
			  const char *password, const char **why, int64_t *created);
/* Sign-in check: E_OK with *uid and *hash (the stored hash, for
 * account_rehash) when email (normalised, or NULL) names an active account
 * whose password is pw; E_INVAL otherwise, after the same Argon2 work. */
enum err account_password_ok(struct db *db, struct arena *a, const char *email, const char *pw,
			     int64_t *uid, const char **hash);
/* Stores pw hashed with today's parameters when hash was made with older
 * ones (best effort). */
void account_rehash(struct db *db, struct arena *a, int64_t uid, const char *pw, const char *hash);
/* Checks cur, applies the policy to pw (E_INVAL with *why for either) and
 * stores it; the session epoch moves on, ending every session of uid. */
enum err account_change_password(struct db *db, struct arena *a, int64_t uid, const char *cur,
				 const char *pw, const char **why);

/* ---- password resets (app/account/reset.c) ---- */

/* For an active account with this (normalised) email and fewer than 3
 * links in the last hour: stores a new one-hour token's hash and mails the
 * link, in one transaction. Does the same work either way and says nothing
 * about which way it went. */
enum err reset_request(struct db *db, struct arena *a, const char *email);
/* *ok 1 when the token is unused, unexpired and its account active. */
enum err reset_token_ok(struct db *db, struct arena *a, const char *token, int *ok);
/* Sets pw through the token: E_NOTFOUND for a bad token, E_INVAL with *why
 * for a password the policy refuses. Ends every session of the person,
 * retires their other tokens and mails them, in one transaction. */
enum err reset_password(struct db *db, struct arena *a, const char *token, const char *pw,
			const char **why);

/* ---- seller applications and roles (app/account/admin.c) ---- */

struct seller_brief {
	int64_t id;
	const char *slug, *display_name, *contact_email, *status;
};

struct seller_application {
	const char *display_name, *slug, *contact_email, *status, *date;
};

struct pending_application {
	int64_t id;
	const char *id_text;	/* the id as the database wrote it */
	const char *display_name, *slug, *contact_email, *date, *applicant_name, *applicant_email;
};

struct user_brief {
	const char *name, *email, *status, *date;
	int is_seller, is_admin;
};

/* The seller uid runs (*found 0 when none). */
enum err admin_seller_of(struct db *db, struct arena *a, int64_t uid, struct seller_brief *out, int *found);
/* uid's latest application to sell (*found 0 when none). */
enum err admin_last_application(struct db *db, struct arena *a, int64_t uid,
				struct seller_application *out, int *found);
/* Applies to sell; E_CONFLICT with *why when one is pending already or the
 * slug is taken. */
enum err admin_apply(struct db *db, struct arena *a, int64_t uid, const char *name, const char *slug,
		     const char *contact, const char **why);
/* The pending applications, oldest first (at most 100). */
enum err admin_pending(struct db *db, struct arena *a, struct pending_application **out, size_t *n);
/* People whose email starts with q (case-insensitive, at most 50). */
enum err admin_find_users(struct db *db, struct arena *a, const char *q, struct user_brief **out, size_t *n);
/* Approves (making the seller, the role and a mail) or rejects (a mail)
 * application id as admin_uid. E_NOTFOUND; E_CONFLICT with *why when it is
 * decided already or its slug is taken. */
enum err admin_decide(struct db *db, struct arena *a, int64_t id, int64_t admin_uid, int approve,
		      const char **why);

/* ---- the admin's list of sellers, suspension (app/account/sellers_admin.c) ---- */

struct seller_row {
	int64_t id;
	const char *id_text;
	const char *slug, *display_name, *status, *email, *date;
	int64_t items, listed;
};

/* Sellers whose slug or name starts with q (NULL: all), at most 200. */
enum err sellers_admin_list(struct db *db, struct arena *a, const char *q,
			    struct seller_row **out, size_t *n);
/* Suspends (or reinstates) a seller and moves its listings with one
 * ProductUpdated event each, in one transaction. *moved: listings moved;
 * *name: the seller's display name. E_NOTFOUND for no such seller. */
enum err sellers_admin_set_status(struct db *db, struct arena *a, int64_t seller_id, int suspend,
				  uint64_t *moved, const char **name);

#endif
