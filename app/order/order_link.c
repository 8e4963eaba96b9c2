/* Signed order links and guest order lookups: see order_link.h. The
 * confirmation mail that carries the link is app/notify's. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../store/db.h"
#include "order_link.h"

enum { Q_OWNER, Q_FIND, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	/* ARCHIVE: the order hot or archived (app/archive), by id in each. */
	[Q_OWNER] = { "SELECT o.user_id, u.status = 'guest', COALESCE(u.guest_email, u.email, ''), o.status "
		      "FROM (SELECT user_id, status FROM orders WHERE id = ? UNION ALL "
		      "SELECT user_id, status FROM orders_archive WHERE id = ?) o JOIN users u ON u.id = o.user_id", 0 },
	[Q_FIND] = { "SELECT 1 FROM (SELECT user_id FROM orders WHERE id = ? UNION ALL "
		     "SELECT user_id FROM orders_archive WHERE id = ?) o JOIN users u ON u.id = o.user_id "
		     "WHERE u.status = 'guest' AND u.guest_email = ?", 0 },
};

void order_link_init(void)
{
	db_register(sql, Q_COUNT);
}

/* The link's MAC: its own key, derived from the shop's secret, so no other
 * signed token of the shop (cursors) can stand for a link. */
static void link_mac(int64_t order_id, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	static const char label[] = "shop order link v1";
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "order:%lld", (long long)order_id);

	crypto_auth_hmacsha256(key, (const unsigned char *)label, sizeof(label) - 1, config.secret);
	crypto_auth_hmacsha256(out, (const unsigned char *)msg, (unsigned long long)n, key);
	sodium_memzero(key, sizeof(key));
}

const char *order_link_token(struct arena *a, int64_t order_id)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char out[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	link_mac(order_id, mac);
	sodium_bin2base64(out, sizeof(out), mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return arena_strdup(a, out);
}

int order_link_ok(int64_t order_id, const char *token)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;

	if (!token || order_id <= 0 || strlen(token) != 43 ||
	    sodium_base642bin(got, sizeof(got), token, 43, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) || n != sizeof(got))
		return 0;
	link_mac(order_id, mac);
	return sodium_memcmp(mac, got, sizeof(mac)) == 0;
}

const char *order_link_path(struct arena *a, int64_t order_id)
{
	const char *t = order_link_token(a, order_id);

	return t ? arena_printf(a, "/orders/%lld/view?t=%s", (long long)order_id, t) : NULL;
}

enum err order_owner(struct db *db, struct arena *a, int64_t order_id, int64_t *uid, int *is_guest,
		     const char **email, const char **status)
{
	struct db_res *r = NULL;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_OWNER], &r, "ii", order_id, order_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*uid = db_int(r, 0, 0);
	*is_guest = db_int(r, 0, 1) != 0;
	*email = db_cell(r, 0, 2);
	*status = db_cell(r, 0, 3);
	return E_OK;
}

enum err order_guest_find(struct db *db, struct arena *a, const char *email, int64_t order_id, int *found)
{
	struct db_res *r = NULL;
	enum err e;

	*found = 0;
	if (!email || order_id <= 0)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_FIND], &r, "iis", order_id, order_id, email)))
		return e;
	*found = r->nrows > 0;
	return E_OK;
}
