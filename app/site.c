/* The layout's data and the site-wide endpoints. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "http/router.h"
#include "http/server.h"
#include "store/db.h"
#include "store/kv.h"
#include "catalog/catalog.h"
#include "catalog/catalog_pages.h"
#include "account/account.h"
#include "account/session.h"
#include "cart/cart_pages.h"
#include "checkout/checkout.h"
#include "mail/mail.h"
#include "search/search.h"
#include "seller/dashboard.h"
#include "seller/items.h"
#include "seller/images.h"
#include "inventory/inventory.h"
#include "reconcile/reconcile.h"
#include "seller/bulk.h"
#include "site.h"

/* Every name a template may use. The template compiler refuses any other, so
 * a misspelt variable stops a worker at start rather than rendering blank.
 * Each module lists the names of its view models; this joins them. */
static const char *const site_vocab[] = {
	/* layout */
	"site", "nav", "css", "js", "pageTitle", "content", "notice", "canonical",
	"metaDescription", "year", "user", "csrf", "next", "cartCount",
	/* errors */
	"error", "status", "title", "message",
	NULL
};

extern const char *const catalog_vocab[];

extern const char *const account_vocab[];
extern const char *const address_vocab[];
extern const char *const reset_vocab[];
extern const char *const admin_vocab[];
extern const char *const sellers_admin_vocab[];
extern const char *const dashboard_vocab[];
extern const char *const cart_vocab[];
extern const char *const checkout_vocab[];
extern const char *const order_vocab[];
extern const char *const search_vocab[];
extern const char *const items_vocab[];
extern const char *const fulfillment_vocab[];
extern const char *const images_vocab[];
extern const char *const inventory_vocab[];
extern const char *const bulk_vocab[];

const char *const *view_vocab(void)
{
	static const char *const *const lists[] = {
		site_vocab, catalog_vocab, account_vocab, address_vocab, reset_vocab, admin_vocab,
		cart_vocab, checkout_vocab, order_vocab, search_vocab,
		/* one per line below, so modules added side by side merge cleanly */
		sellers_admin_vocab,
		dashboard_vocab,
		items_vocab,
		fulfillment_vocab,
		images_vocab,
		inventory_vocab,
		bulk_vocab,
	};
	static const char **all;
	size_t n = 0, k = 0;

	if (all)
		return all;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		for (size_t j = 0; lists[i][j]; j++)
			n++;
	all = calloc(n + 1, sizeof(*all));
	if (!all)
		abort();	/* at start only */
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		for (size_t j = 0; lists[i][j]; j++)
			all[k++] = lists[i][j];
	return all;
}

struct asset {
	const char *name;
	char *url;
};

static struct asset assets[] = { { "app.css", NULL }, { "app.js", NULL } };

/* Fingerprint = first 12 hex digits of the BLAKE2b hash of the contents, so a
 * changed file gets a new URL and the old one can be cached forever. */
static char *fingerprint(const char *name)
{
	char path[4096], hex[crypto_generichash_BYTES * 2 + 1], *url = NULL;
	unsigned char h[crypto_generichash_BYTES], chunk[65536];
	crypto_generichash_state st;
	const char *dot = strrchr(name, '.');
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", config.static_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !dot)
		goto plain;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		crypto_generichash_update(&st, chunk, (size_t)n);
	close(fd);
	if (n < 0)
		goto plain;
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (asprintf(&url, "/static/%.*s.%.12s%s", (int)(dot - name), name, hex, dot) < 0)
		url = NULL;
	return url;
plain:
	if (fd >= 0)
		close(fd);
	if (asprintf(&url, "/static/%s", name) < 0)
		url = NULL;
	return url;
}

const char *site_asset(const char *name)
{
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		if (strcmp(assets[i].name, name))
			continue;
		if (!assets[i].url)
			assets[i].url = fingerprint(name);
		return assets[i].url;
	}
	return NULL;
}

void site_decorate(struct ctx *c, json_t *model)
{
	json_t *site = json_object(), *nav = catalog_nav(c);

	json_object_set_new(site, "nav", nav ? nav : json_array());
	json_object_set_new(site, "css", json_string(site_asset("app.css")));
	json_object_set_new(site, "js", json_string(site_asset("app.js")));
	json_object_set_new(site, "year", json_integer(2026));
	json_object_set_new(model, "site", site);
	json_object_set_new(model, "pageTitle", json_string(c->resp->title ? c->resp->title : "Shop"));
	if (c->notice)
		json_object_set_new(model, "notice", json_string(c->notice));
	/* The header's account links. A page view never creates a session: only
	 * a visitor who already has one gets a token for the sign-out form. */
	if (c->sess && c->sess->uid && !json_object_get(model, "user"))
		json_object_set_new(model, "user", json_pack("{s:s}", "name", c->sess->name));
	if (c->sess && !json_object_get(model, "csrf"))
		json_object_set_new(model, "csrf", json_string(c->sess->csrf));
	/* The header's mini-cart: free for guests (the cart is in the session
	 * hash already read), one indexed SUM for signed-in shoppers. */
	if (c->sess && !json_object_get(model, "cartCount"))
		json_object_set_new(model, "cartCount", json_integer(cart_count(c)));
}

enum err h_healthz(struct ctx *c)
{
	enum err dbe = db_ping(c->db), kve = kv_ping(c->kv);

	c->resp->content_type = "text/plain; charset=utf-8";
	resp_header(c->resp, "Cache-Control: no-store");
	if (dbe || kve) {
		c->resp->status = 503;
		buf_printf(&c->resp->body, "unavailable: mariadb %s, redis %s\n",
			   dbe ? "down" : "ok", kve ? "down" : "ok");
		return E_OK;
	}
	buf_puts(&c->resp->body, "ok\n");
	return E_OK;
}

enum err h_robots(struct ctx *c)
{
	c->resp->content_type = "text/plain; charset=utf-8";
	buf_printf(&c->resp->body,
		   "User-agent: *\n"
		   "Disallow: /api/\n"
		   "Disallow: /account\n"
		   "Disallow: /cart\n"
		   "Disallow: /checkout\n"
		   "Disallow: /seller/\n"
		   "Sitemap: %s/sitemap.xml\n", config.base_url);
	return E_OK;
}

void site_init(void)
{
	catalog_init();
	session_init();
	account_init();
	address_init();
	reset_init();
	admin_init();
	dashboard_init();
	mail_init();
	cart_init();
	checkout_init();
	search_init();
	items_init();
	images_init();
	inventory_init();
	reconcile_init();
	bulk_init();
}
