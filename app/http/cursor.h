/* Opaque, tamper-evident tokens for keyset pagination: the payload (plain
 * text such as "3|1299|42") travels base64url-encoded with a truncated
 * HMAC-SHA256 under the shop's secret. A client cannot forge or alter one; an
 * altered one is refused (400), never trusted. */
#ifndef HTTP_CURSOR_H
#define HTTP_CURSOR_H

#include "../core/err.h"

struct arena;

/* Returns an arena-owned token, or NULL when out of memory. */
char *cursor_encode(struct arena *a, const char *payload);
/* Verifies and decodes; *payload is arena-owned. E_INVAL for anything forged,
 * truncated or malformed. */
enum err cursor_decode(struct arena *a, const char *token, char **payload);

#endif
