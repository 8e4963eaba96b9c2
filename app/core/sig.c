#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "sig.h"

int sig_verify(const char *secret, const char *header, const char *body, size_t len,
	       int64_t now, int64_t tolerance)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], ts[24];
	const char *t, *v;
	crypto_auth_hmacsha256_state st;
	long long when;
	size_t tl;

	if (!secret || !*secret || !header || !(t = strstr(header, "t=")) || !(v = strstr(header, "v1=")))
		return -1;
	t += 2;
	v += 3;
	tl = strspn(t, "0123456789");
	if (!tl || tl >= sizeof(ts))
		return -1;
	memcpy(ts, t, tl);
	ts[tl] = '\0';
	when = strtoll(ts, NULL, 10);
	if (when < now - tolerance || when > now + tolerance)
		return -1;
	if (strspn(v, "0123456789abcdef") < 2 * sizeof(mac))
		return -1;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, tl);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	return sodium_memcmp(hex, v, 2 * sizeof(mac)) == 0 ? 0 : -1;
}

void sig_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t n)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], ts[24];
	crypto_auth_hmacsha256_state st;
	int tl = snprintf(ts, sizeof(ts), "%lld", (long long)t);

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)tl);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, n, "t=%s,v1=%s", ts, hex);
}
