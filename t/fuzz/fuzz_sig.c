/* Webhook signatures: sig_verify() (app/core/sig.c), the check of the
 * Paygate-Signature and Carrier-Signature headers.
 * Input: the header, a newline, the body (any bytes).
 *
 * Properties: the fuzzed header is accepted only when it carries, after its
 * first "t=", a stamp within the tolerance and, after its first "v1=", the
 * lowercase hex HMAC-SHA256 of "<stamp>.<body>" (the test recomputes it);
 * for the same body a header made the right way is accepted, and refused
 * with another secret, a stale or a future stamp, or one hex digit changed. */
#include <sodium.h>
#include "fuzz.h"
#include "../../app/core/sig.h"

#define SECRET "whsec_fuzz_0123456789"
#define NOW 1700000000
#define TOL 300

static void sign(const char *secret, long long t, const uint8_t *body, size_t n, char hex[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char ts[32];
	int tl = snprintf(ts, sizeof(ts), "%lld", t);

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)tl);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, body, n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	size_t n;
	char *header, hex[65], good[160];

	fuzz_split(data, size, '\n', &header, &body, &n);
	if (sig_verify(SECRET, header, (const char *)body, n, NOW, TOL) == 0) {
		const char *t = strstr(header, "t="), *v = strstr(header, "v1=");
		long long when;

		FUZZ_CHECK(t && v, "accepted without t= and v1=: %s", header);
		when = strtoll(t + 2, NULL, 10);
		FUZZ_CHECK(when >= NOW - TOL && when <= NOW + TOL, "stamp %lld accepted", when);
		sign(SECRET, when, body, n, hex);
		FUZZ_CHECK(!strncmp(v + 3, hex, 64), "accepted with a wrong MAC: %s", header);
	}
	FUZZ_CHECK(sig_verify(NULL, header, (const char *)body, n, NOW, TOL) == -1, "no secret");
	FUZZ_CHECK(sig_verify("", header, (const char *)body, n, NOW, TOL) == -1, "empty secret");

	{
		long long t = NOW - TOL + (size ? data[0] * 2 : 0) % (2 * TOL + 1);

		sign(SECRET, t, body, n, hex);
		snprintf(good, sizeof(good), "t=%lld,v1=%s", t, hex);
		FUZZ_CHECK(sig_verify(SECRET, good, (const char *)body, n, NOW, TOL) == 0, "good header refused");
		FUZZ_CHECK(sig_verify("another secret", good, (const char *)body, n, NOW, TOL) == -1,
			   "wrong secret accepted");
		FUZZ_CHECK(sig_verify(SECRET, good, (const char *)body, n, NOW + 2 * TOL + 1, TOL) == -1,
			   "stale stamp accepted");
		FUZZ_CHECK(sig_verify(SECRET, good, (const char *)body, n, NOW - 2 * TOL - 1, TOL) == -1,
			   "future stamp accepted");
		{
			char *d = strstr(good, "v1=") + 3 + (size > 1 ? data[1] % 64 : 0);

			*d = *d == '0' ? '1' : '0';
			FUZZ_CHECK(sig_verify(SECRET, good, (const char *)body, n, NOW, TOL) == -1,
				   "changed MAC accepted");
		}
	}
	free(header);
	return 0;
}
