/* Route matching and key validation. The table itself lives in app/routes.c. */
#include <string.h>
#include <strings.h>
#include "../core/arena.h"
#include "router.h"

int route_match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;
	int n = 0;

	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}'), *se = s;

			if (!pe)
				return 0;
			while (*se && *se != '/')
				se++;
			if (se == s || n >= (int)(sizeof(r->pathvar) / sizeof(r->pathvar[0])))
				return 0;
			if (r)
				r->pathvar[n] = arena_strndup(r->a, s, (size_t)(se - s));
			n++;
			p = pe + 1;
			s = se;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*p || *s)
		return 0;
	if (r)
		r->npathvar = n;
	return 1;
}

const struct route *route_find(const struct route *tab, size_t n, struct req *r,
			       int *status, unsigned *allow)
{
	unsigned m = r->method == M_HEAD ? (M_GET | M_HEAD) : r->method;
	const struct route *hit = NULL;
	size_t i;

	*allow = 0;
	for (i = 0; i < n; i++) {
		if (!route_match(tab[i].pattern, r->path, r))
			continue;
		*allow |= tab[i].methods;
		if (tab[i].methods & m) {
			hit = &tab[i];
			break;
		}
	}
	if (hit) {
		*status = 200;
		/* An API route answers JSON whatever its path (the brief's
		 * /items, /cart, /checkout beside the /api ones): handlers
		 * that shape their answer by wants_json see it too. */
		if (hit->flags & RF_JSON)
			r->wants_json = 1;
		return hit;
	}
	*status = *allow ? 405 : 404;
	return NULL;
}

static const struct key *key_named(const struct key *k, const char *name)
{
	for (size_t i = 0; k && k[i].name; i++)
		if (!strcmp(k[i].name, name))
			return &k[i];
	return NULL;
}

/* A parameter's name as a message may repeat it: short printable ASCII,
 * else "a parameter" (names come from the client, undecoded as UTF-8). */
static const char *shown_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return "a parameter";
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return "a parameter";
	return name;
}

/* The first query or form parameter that carries a card number: its name
 * (or "a parameter name"), else NULL. JSON members are looked at in the
 * body itself (json_find_pan), with their paths. */
static const char *param_pan(const struct req *r, const struct key *keys)
{
	for (size_t i = 0; i < r->nparams; i++) {
		const struct kvpair *p = &r->params[i];
		const struct key *k;

		if (r->json && i >= r->json_from)
			break;	/* from the JSON body: checked there */
		if (pan_like(p->key, strlen(p->key)))
			return "a parameter name";
		k = key_named(keys, p->key);
		if (k && (k->fn == v_opaque || k->fn == v_secret))
			continue;
		if (pan_like(p->val, p->vlen))
			return shown_name(p->key);
	}
	return NULL;
}

static long line_of(const char *s, long at)
{
	long line = 1;

	for (long i = 0; i < at; i++)
		line += s[i] == '\n';
	return line;
}

/* An uploaded file (RF_UPLOAD routes) that carries a card number: "the
 * file, line N" or "<field> line N", else NULL. Text files are read: a raw
 * body sent as text/... or application/json (a CSV, JSON rows), and every
 * multipart file part but photos (image/...: their bytes are not text). */
static const char *upload_pan(struct ctx *c)
{
	const struct req *r = c->req;
	const char *ct = r->content_type ? r->content_type : "";
	long at;

	for (size_t i = 0; i < r->nuploads; i++) {
		const struct upload *u = &r->uploads[i];

		if (!strncasecmp(u->content_type ? u->content_type : "", "image/", 6))
			continue;
		if ((at = text_find_pan(u->data, u->len)) >= 0)
			return arena_printf(c->a, "%s line %ld", shown_name(u->field), line_of(u->data, at));
	}
	if (!r->nuploads && !r->json && r->body_len &&
	    (!strncasecmp(ct, "text/", 5) || !strncasecmp(ct, "application/json", 16)) &&
	    (at = text_find_pan(r->body, r->body_len)) >= 0)
		return arena_printf(c->a, "the file, line %ld", line_of(r->body, at));
	return NULL;
}

/* Adds the members declared with a flat key (f->key) to r->params, at any
 * depth of objects (not inside arrays). */
static enum err feed_keys(struct req *r, const struct field *decl, json_t *obj)
{
	enum err e;

	for (size_t i = 0; decl && decl[i].name; i++) {
		json_t *v = json_object_get(obj, decl[i].name);

		if (!v)
			continue;
		if (decl[i].key && (e = req_add_json_param(r, decl[i].key, v)))
			return e;
		if (json_is_object(v) && (decl[i].types & J_OBJ) && (e = feed_keys(r, decl[i].sub, v)))
			return e;
	}
	return E_OK;
}

#define PAN_REFUSED "looks like a card number. The shop never takes card numbers: pay with a " \
		    "payment method from the payment service (paymentMethod, pm_...)"

enum err route_validate(struct ctx *c, const char **why)
{
	const struct key *k = c->route->keys;
	struct req *r = c->req;
	const char *bad;
	size_t i, j;

	if ((bad = param_pan(r, k)) || ((c->route->flags & RF_UPLOAD) && (bad = upload_pan(c)))) {
		*why = arena_printf(c->a, "%s: %s", bad, PAN_REFUSED);
		return E_INVAL;
	}
	if (r->json) {
		if ((bad = json_find_pan(c->a, r->json, k, c->route->body))) {
			*why = arena_printf(c->a, "%s: %s", *bad ? bad : "the body", PAN_REFUSED);
			return E_INVAL;
		}
		if ((bad = body_check(c->a, k, c->route->body, r->json))) {
			*why = bad;
			return E_INVAL;
		}
		if (feed_keys(r, c->route->body, r->json)) {
			*why = "too many fields";
			return E_INVAL;
		}
	}

	for (i = 0; k && k[i].name; i++) {
		const struct kvpair *hit = NULL;
		const char *msg;

		if (i >= CTX_MAX_KEYS) {
			*why = "route declares too many keys";
			return E_INTERNAL;
		}
		for (j = 0; j < r->nparams; j++) {
			if (strcmp(r->params[j].key, k[i].name))
				continue;
			if (hit && k[i].fn == v_id_list) {
				/* A list a form gives one value at a time: joined. */
				struct kvpair *both = arena_alloc(c->a, sizeof(*both));
				char *v = arena_printf(c->a, "%.*s,%.*s", (int)hit->vlen, hit->val,
						       (int)r->params[j].vlen, r->params[j].val);

				if (!both || !v)
					return E_NOMEM;
				both->key = hit->key;
				both->val = v;
				both->vlen = strlen(v);
				hit = both;
				continue;
			}
			if (hit) {
				*why = arena_printf(c->a, "%s: given more than once", k[i].name);
				return E_INVAL;
			}
			hit = &r->params[j];
		}
		/* An empty optional field (a blank form input) counts as absent. */
		if (!hit || (hit->vlen == 0 && !k[i].required)) {
			if (k[i].required) {
				*why = arena_printf(c->a, "%s: is required", k[i].name);
				return E_INVAL;
			}
			continue;
		}
		msg = k[i].fn(&k[i], hit->val, hit->vlen, &c->kint[i]);
		if (msg) {
			*why = arena_printf(c->a, "%s: %s", k[i].name, msg);
			return E_INVAL;
		}
		c->kval[i] = hit->val;
		c->klen[i] = hit->vlen;
		c->kset[i] = 1;
	}
	return E_OK;
}

static int key_index(const struct ctx *c, const char *name)
{
	const struct key *k = c->route ? c->route->keys : NULL;

	for (int i = 0; k && k[i].name && i < CTX_MAX_KEYS; i++)
		if (!strcmp(k[i].name, name))
			return i;
	return -1;
}

const char *ctx_str(const struct ctx *c, const char *name)
{
	int i = key_index(c, name);

	return i >= 0 && c->kset[i] ? c->kval[i] : NULL;
}

int64_t ctx_int(const struct ctx *c, const char *name, int64_t def)
{
	int i = key_index(c, name);

	return i >= 0 && c->kset[i] ? c->kint[i] : def;
}

int ctx_has(const struct ctx *c, const char *name)
{
	int i = key_index(c, name);

	return i >= 0 && c->kset[i];
}
