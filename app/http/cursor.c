#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "cursor.h"

#define MAC_LEN 12	/* 96 bits: forging one takes ~2^96 tries */
#define MAX_PAYLOAD 256

static void mac(const char *payload, size_t n, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256(out, (const unsigned char *)payload, n, config.secret);
}

char *cursor_encode(struct arena *a, const char *payload)
{
	unsigned char raw[MAX_PAYLOAD + MAC_LEN], full[crypto_auth_hmacsha256_BYTES];
	size_t n = strlen(payload), olen;
	char *out;

	if (n > MAX_PAYLOAD)
		return NULL;
	memcpy(raw, payload, n);
	mac(payload, n, full);
	memcpy(raw + n, full, MAC_LEN);
	olen = sodium_base64_encoded_len(n + MAC_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = arena_alloc(a, olen);
	if (!out)
		return NULL;
	return sodium_bin2base64(out, olen, raw, n + MAC_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum err cursor_decode(struct arena *a, const char *token, char **payload)
{
	unsigned char raw[MAX_PAYLOAD + MAC_LEN], full[crypto_auth_hmacsha256_BYTES];
	size_t n = 0, tlen = strlen(token);
	const char *end = NULL;

	if (tlen == 0 || tlen > ((MAX_PAYLOAD + MAC_LEN) * 4 + 2) / 3)
		return E_INVAL;
	if (sodium_base642bin(raw, sizeof(raw), token, tlen, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) || end != token + tlen ||
	    n <= MAC_LEN)
		return E_INVAL;
	n -= MAC_LEN;
	mac((const char *)raw, n, full);
	if (sodium_memcmp(full, raw + n, MAC_LEN))
		return E_INVAL;
	if (memchr(raw, '\0', n))
		return E_INVAL;
	*payload = arena_strndup(a, (const char *)raw, n);
	return *payload ? E_OK : E_NOMEM;
}
