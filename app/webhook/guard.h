/* The webhooks' SSRF guard: where the shop may POST an event. Only http and
 * https URLs with a host, no user info; and never to an address of a
 * private, local or special range (loopback, RFC 1918, link-local, CGNAT,
 * multicast, unspecified, reserved; IPv6 loopback, ULA, link-local,
 * site-local, multicast, and IPv4 addresses carried in IPv6) unless the
 * operator allows it (SHOP_WEBHOOK_ALLOW_PRIVATE=1: tests, closed
 * networks). Checked when an endpoint is registered and again at every
 * delivery, after DNS resolution, on the address the connection is pinned
 * to (a name that resolved to a public address at registration may point
 * inward later). */
#ifndef WEBHOOK_GUARD_H
#define WEBHOOK_GUARD_H

#include <stdint.h>
#include <sys/socket.h>
#include "../core/err.h"

struct arena;

#define WEBHOOK_URL_MAX 2048

struct webhook_target {
	const char *host;	/* as in the URL, without IPv6 brackets */
	int port;		/* explicit or the scheme's */
	int literal;		/* the host is an IP address */
	/* The address to connect to: the first the host resolved to (all of
	 * them passed the check), as text, and its sockaddr. */
	char addr[64];
	struct sockaddr_storage sa;
	socklen_t salen;
};

/* 1 when a connection to sa's address is refused (the ranges above), 0
 * when it may go. Only AF_INET and AF_INET6; any other family is refused. */
int webhook_addr_blocked(const struct sockaddr *sa);

/* Checks url's shape only (scheme, host, user info, length): NULL when it
 * is acceptable, else why not (a sentence for a 422). */
const char *webhook_url_shape(struct arena *a, const char *url);

/* Checks url, resolves its host and checks every address it resolves to
 * (all must pass, so a name answering both a public and a private address
 * is refused). E_OK with t filled; E_INVAL with *why (the URL is refused);
 * E_UNAVAIL with *why when the name could not be resolved now. */
enum err webhook_target_resolve(struct arena *a, const char *url, int allow_private,
				struct webhook_target *t, const char **why);

#endif
