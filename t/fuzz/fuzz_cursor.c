/* Signed pagination cursors: cursor_decode() and cursor_encode()
 * (app/http/cursor.c), under a fixed secret.
 *
 * Properties: the input as a token: when it decodes, the payload has no NUL,
 * is at most 256 bytes, and encoding it gives back exactly the token (one
 * encoding per payload, so no second token for the same cursor). The input
 * as a payload: encode then decode returns it (an empty one is refused); the token with any one
 * character changed, one character cut off or one added is refused. */
#include "fuzz.h"
#include "../../app/core/config.h"
#include "../../app/http/cursor.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *in = fuzz_str(data, size), *payload = NULL, *tok, *t2;
	size_t tl;

	memset(config.secret, 0x5a, sizeof(config.secret));
	if (cursor_decode(a, in, &payload) == E_OK) {
		FUZZ_CHECK(payload && strlen(payload) <= 256, "payload");
		tok = cursor_encode(a, payload);
		FUZZ_CHECK(tok && !strcmp(tok, in), "token '%s' decodes to a payload that encodes as '%s'", in,
			   tok ? tok : "(null)");
	}

	if (strlen(in) > 256)
		in[256] = '\0';
	tok = cursor_encode(a, in);
	FUZZ_CHECK(tok, "encode failed");
	FUZZ_CHECK(strspn(tok, b64) == strlen(tok), "token '%s' is not base64url", tok);
	if (*in) {
		FUZZ_CHECK(cursor_decode(a, tok, &payload) == E_OK && !strcmp(payload, in),
			   "round trip of '%s'", in);
	} else {
		/* cursor_decode wants at least one payload byte: no cursor
		 * is empty, so a token for "" is refused (never misread). */
		FUZZ_CHECK(cursor_decode(a, tok, &payload) != E_OK, "empty payload accepted");
	}
	tl = strlen(tok);
	t2 = arena_strdup(a, tok);
	{
		size_t i = size ? data[0] % tl : 0;
		char c = b64[(size > 1 ? data[1] : 1) % 64];

		if (c == t2[i])
			c = b64[(strchr(b64, c) - b64 + 1) % 64];
		t2[i] = c;
		FUZZ_CHECK(cursor_decode(a, t2, &payload) != E_OK, "'%s' (from '%s') accepted", t2, tok);
	}
	t2 = arena_strndup(a, tok, tl - 1);
	FUZZ_CHECK(cursor_decode(a, t2, &payload) != E_OK, "truncated token accepted");
	t2 = arena_printf(a, "%sA", tok);
	FUZZ_CHECK(cursor_decode(a, t2, &payload) != E_OK, "lengthened token accepted");
	free(in);
	arena_reset(a);
	return 0;
}
