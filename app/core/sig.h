/* Signed webhooks: the sender puts "t=<unix time>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">" in a header (the payment gateway's Paygate-Signature, the
 * carriers' Carrier-Signature). One check for every receiver, so they all
 * refuse the same forgeries and replays the same way. */
#ifndef CORE_SIG_H
#define CORE_SIG_H

#include <stddef.h>
#include <stdint.h>

/* 0 when header carries a signature of body made with secret, stamped at
 * most tolerance seconds away from now; -1 otherwise (no secret, no or a
 * malformed header, a stale or future stamp, a wrong MAC). Compares in
 * constant time. */
int sig_verify(const char *secret, const char *header, const char *body, size_t len,
	       int64_t now, int64_t tolerance);

/* The sender's side (the shop's own webhooks, app/webhook): the header
 * value "t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">" into out, which has
 * room for SIG_HEADER_MAX bytes. */
#define SIG_HEADER_MAX 128
void sig_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t n);

#endif
