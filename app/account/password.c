/* Password hashing with Argon2id through libsodium. */
#include <string.h>
#include "account.h"

enum err pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13))
		return E_NOMEM;
	return E_OK;
}

/* A hash of a random password, made once per process: verifying against it
 * costs what verifying a real account costs, so "no such account" and
 * "wrong password" take the same time. */
static const char *dummy_hash(void)
{
	static char h[crypto_pwhash_STRBYTES];

	if (!h[0]) {
		char pw[33];

		randombytes_buf(pw, 32);
		for (int i = 0; i < 32; i++)
			pw[i] = (char)('a' + ((unsigned char)pw[i] % 26));
		pw[32] = '\0';
		if (pw_hash(pw, h))
			h[0] = '\0';
	}
	return h;
}

void pw_init(void)
{
	/* Made before workers fork, so no shopper pays for it (which would also
	 * make the first unknown-email sign-in measurably slower). */
	dummy_hash();
}

int pw_verify(const char *hash, const char *pw)
{
	if (!hash || strncmp(hash, "$argon2", 7)) {
		const char *d = dummy_hash();

		/* The result is always "no"; only the time spent matters. */
		if (d[0] && crypto_pwhash_str_verify(d, pw, strlen(pw)) == 0)
			return 0;
		return 0;
	}
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

int pw_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, PW_OPSLIMIT, PW_MEMLIMIT) != 0;
}

const char *pw_policy(const char *pw)
{
	size_t n = strlen(pw);

	if (n < PW_MIN)
		return "password: must be at least 12 characters long";
	if (n > PW_MAX)
		return "password: must be at most 256 characters long";
	return NULL;
}
