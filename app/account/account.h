/* Accounts: registration, sign-in, passwords, addresses, roles, seller
 * applications and the admin pages. */
#ifndef ACCOUNT_ACCOUNT_H
#define ACCOUNT_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;
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

/* Register each part's statements (site_init calls them at start). */
void account_init(void);
void address_init(void);
void reset_init(void);
void admin_init(void);

/* Creates a user or returns E_CONFLICT if the email is taken; *uid set.
 * Used by registration and `shopctl create-admin`. */
enum err account_create(struct db *db, struct arena *a, const char *name,
			const char *email, const char *password, int64_t *uid);
/* Gives a role ("seller" or "admin") to the user with this email. */
enum err account_grant(struct db *db, struct arena *a, const char *email, const char *role);
/* The same in one transaction, plus, for a seller, the sellers row if there
 * is none (app/account/admin.c); used by /admin/grant and shopctl. */
enum err admin_grant(struct db *db, struct arena *a, const char *email, const char *role);

/* Handlers: app/account/account.c */
enum err h_signin_form(struct ctx *c);
enum err h_signin(struct ctx *c);
enum err h_register_form(struct ctx *c);
enum err h_register(struct ctx *c);
enum err h_signout(struct ctx *c);
enum err h_account(struct ctx *c);
enum err h_password_form(struct ctx *c);
enum err h_password(struct ctx *c);
enum err h_api_register(struct ctx *c);
enum err h_api_session_get(struct ctx *c);
enum err h_api_session_post(struct ctx *c);
enum err h_api_session_delete(struct ctx *c);
enum err h_api_me(struct ctx *c);
enum err h_api_password(struct ctx *c);

/* Handlers: app/account/address.c */
enum err h_address_new(struct ctx *c);
enum err h_address_edit_form(struct ctx *c);
enum err h_address_edit(struct ctx *c);
enum err h_address_delete(struct ctx *c);
enum err h_address_default(struct ctx *c);
enum err h_api_addresses(struct ctx *c);
enum err h_api_address_create(struct ctx *c);
enum err h_api_address_get(struct ctx *c);
enum err h_api_address_update(struct ctx *c);
enum err h_api_address_delete(struct ctx *c);
/* The person's addresses as a JSON array (new reference), for pages. */
enum err address_list(struct ctx *c, int64_t uid, json_t **out);

/* Handlers: app/account/reset.c (forgot password) */
enum err h_forgot_form(struct ctx *c);
enum err h_forgot(struct ctx *c);
enum err h_reset_form(struct ctx *c);
enum err h_reset(struct ctx *c);
enum err h_api_forgot(struct ctx *c);
enum err h_api_reset(struct ctx *c);

/* Handlers: app/account/admin.c (roles, seller applications) */
enum err h_sell_form(struct ctx *c);
enum err h_sell(struct ctx *c);
enum err h_admin(struct ctx *c);
enum err h_admin_grant(struct ctx *c);
enum err h_admin_application(struct ctx *c);

/* app/account/sellers_admin.c: the admin's list of sellers, suspension */
void sellers_admin_init(void);
enum err h_admin_sellers(struct ctx *c);
enum err h_admin_seller_status(struct ctx *c);

#endif
