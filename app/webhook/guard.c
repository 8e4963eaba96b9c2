/* The webhooks' SSRF guard (guard.h). */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <curl/curl.h>
#include "../core/arena.h"
#include "guard.h"

static int v4_blocked(uint32_t x)
{
	return (x >> 24) == 0 ||			/* 0.0.0.0/8 "this network", unspecified */
	       (x >> 24) == 10 ||			/* 10/8 private */
	       (x & 0xFFC00000u) == 0x64400000u ||	/* 100.64/10 CGNAT */
	       (x >> 24) == 127 ||			/* loopback */
	       (x & 0xFFFF0000u) == 0xA9FE0000u ||	/* 169.254/16 link-local (cloud metadata) */
	       (x & 0xFFF00000u) == 0xAC100000u ||	/* 172.16/12 private */
	       (x & 0xFFFFFF00u) == 0xC0000000u ||	/* 192.0.0/24 protocol assignments */
	       (x & 0xFFFF0000u) == 0xC0A80000u ||	/* 192.168/16 private */
	       (x & 0xFFFE0000u) == 0xC6120000u ||	/* 198.18/15 benchmarking */
	       x >= 0xE0000000u;			/* 224/4 multicast, 240/4 reserved, broadcast */
}

static uint32_t v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int v6_blocked(const unsigned char *b)
{
	static const unsigned char zero[12], mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (!memcmp(b, zero, 12))		/* ::, ::1, IPv4-compatible ::a.b.c.d */
		return 1;
	if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12))	/* ::ffff:a.b.c.d, 64:ff9b::a.b.c.d */
		return v4_blocked(v4_at(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02)	/* 2002::/16 6to4 carries an IPv4 address */
		return v4_blocked(v4_at(b + 2));
	if ((b[0] & 0xfe) == 0xfc)		/* fc00::/7 unique local */
		return 1;
	if (b[0] == 0xfe && (b[1] & 0x80))	/* fe80::/10 link-local, fec0::/10 site-local */
		return 1;
	if (b[0] == 0xff)			/* multicast */
		return 1;
	if (b[0] == 0x01 && b[1] == 0 && !memcmp(b + 2, zero, 6))	/* 100::/64 discard */
		return 1;
	return 0;
}

int webhook_addr_blocked(const struct sockaddr *sa)
{
	if (!sa)
		return 1;
	if (sa->sa_family == AF_INET)
		return v4_blocked(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return v6_blocked(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
	return 1;
}

/* The URL's parts through libcurl's own parser (the one that will make the
 * request, so the guard and the connection read the same host). */
static const char *parse(struct arena *a, const char *url, struct webhook_target *t)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL;
	const char *why = NULL;
	size_t n;

	if (!url || !*url)
		return "url: must not be empty";
	if (strlen(url) > WEBHOOK_URL_MAX)
		return "url: must be at most 2048 characters";
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "url: must not contain spaces or control characters";
	if (!(u = curl_url()))
		return "url: could not be read";
	if (curl_url_set(u, CURLUPART_URL, url, 0)) {
		why = "url: is not a valid absolute URL (like https://example.com/hooks)";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || !scheme ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		why = "url: must start with http:// or https://";
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	if (user || pass) {
		why = "url: must not carry a user name or password";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !host || !*host) {
		why = "url: must name a host";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) || !port) {
		why = "url: has no usable port";
		goto out;
	}
	n = strlen(host);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		char *h = arena_strdup(a, host + 1);

		h[n - 2] = '\0';
		if (strchr(h, '%'))
			h[strcspn(h, "%")] = '\0';	/* a zone id: only link-local has one */
		t->host = h;
		t->literal = 1;
	} else {
		struct in_addr v4;

		t->host = arena_strdup(a, host);
		t->literal = inet_pton(AF_INET, host, &v4) == 1;
	}
	t->port = atoi(port);
	if (t->port <= 0 || t->port > 65535)
		why = "url: has no usable port";
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return why;
}

const char *webhook_url_shape(struct arena *a, const char *url)
{
	struct webhook_target t;

	memset(&t, 0, sizeof(t));
	return parse(a, url, &t);
}

enum err webhook_target_resolve(struct arena *a, const char *url, int allow_private,
				struct webhook_target *t, const char **why)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc;

	memset(t, 0, sizeof(*t));
	if ((*why = parse(a, url, t)))
		return E_INVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = t->literal ? AI_NUMERICHOST : 0;
	snprintf(port, sizeof(port), "%d", t->port);
	rc = getaddrinfo(t->host, port, &hints, &res);
	if (rc == EAI_AGAIN || rc == EAI_SYSTEM || rc == EAI_MEMORY) {
		*why = arena_printf(a, "url: the host %s could not be resolved now", t->host);
		return E_UNAVAIL;
	}
	if (rc || !res) {
		*why = arena_printf(a, "url: the host %s does not resolve", t->host);
		return E_INVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (!allow_private && webhook_addr_blocked(ai->ai_addr)) {
			*why = "url: points at a private, loopback or otherwise reserved address, "
			       "where webhooks are not sent";
			freeaddrinfo(res);
			return E_INVAL;
		}
	}
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && ai->ai_addrlen <= sizeof(t->sa))
			break;
	if (!ai) {
		freeaddrinfo(res);
		*why = arena_printf(a, "url: the host %s has no IP address", t->host);
		return E_INVAL;
	}
	memcpy(&t->sa, ai->ai_addr, ai->ai_addrlen);
	t->salen = ai->ai_addrlen;
	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, t->addr, sizeof(t->addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, t->addr, sizeof(t->addr));
	freeaddrinfo(res);
	return E_OK;
}
