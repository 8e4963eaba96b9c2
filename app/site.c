/* The site module: the layout's data (the pipeline's decorate hook), the
 * site-wide endpoints, the error page. */
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
#include "account/session_pages.h"
#include "cart/cart_pages.h"
#include "catalog/catalog_pages.h"
#include "console/console_pages.h"	/* issue 19: the footer pages from content_pages */
#include "module.h"
#include "site.h"

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
	/* The title first: a handler's title may point into the catalog's
	 * category tree (a category page's name), which catalog_nav reloads
	 * when the tree has changed since (an admin's edit, a new "Other"):
	 * the old strings are freed then. */
	json_t *title = json_string(c->resp->title ? c->resp->title : config.shop_name);
	json_t *site = json_object(), *nav = catalog_nav(c);

	json_object_set_new(site, "nav", nav ? nav : json_array());
	json_object_set_new(site, "css", json_string(site_asset("app.css")));
	json_object_set_new(site, "js", json_string(site_asset("app.js")));
	json_object_set_new(site, "year", json_integer(2026));
	json_object_set_new(site, "name", json_string(config.shop_name));
	json_object_set_new(model, "site", site);
	json_object_set_new(model, "pageTitle", title);
	if (c->notice)
		json_object_set_new(model, "notice", json_string(c->notice));
	/* The header's account links. A page view never creates a session: only
	 * a visitor who already has one gets a token for the sign-out form. */
	if (c->sess && c->sess->uid && !json_object_get(model, "user"))
		json_object_set_new(model, "user", json_pack("{s:s,s:b}", "name", c->sess->name,
							     "isSeller", c->sess->is_seller));
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

/* The footer's pages: what a shopper looks for before buying (how to reach
 * the shop, shipping, returns, privacy). Plain text in templates/info_*.html,
 * the same for everyone, so nginx may cache them. */
static enum err info_page(struct ctx *c, const char *view, const char *title)
{
	json_t *m = reply_model(c, view, title);

	if (!m)
		return E_NOMEM;
	json_object_set_new(m, "canonical", json_string(arena_printf(c->a, "%s%s", config.base_url, c->req->path)));
	return E_OK;
}

/* issue 19 (admin console): the pages' text is the content_pages table's,
 * which admins edit; the templates are the fallback while a page has no
 * row (a database not migrated yet). */
static enum err content_or(struct ctx *c, const char *slug, const char *view, const char *title)
{
	enum err e = console_content_reply(c, slug);

	return e == E_NOTFOUND ? info_page(c, view, title) : e;
}

static enum err h_contact(struct ctx *c)
{
	return content_or(c, "contact", "info_contact", "Contact us");
}

static enum err h_shipping(struct ctx *c)
{
	return content_or(c, "shipping", "info_shipping", "Shipping");
}

static enum err h_returns(struct ctx *c)
{
	return content_or(c, "returns", "info_returns", "Returns and refunds");
}

static enum err h_privacy(struct ctx *c)
{
	return content_or(c, "privacy", "info_privacy", "Privacy");
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

/* What site_decorate adds to every page, and what the layout prints of a
 * page's own (canonical, metaDescription): allowed in every page. The
 * navigation's entries are catalog_nav's categories. */
static const char *const layout_names[] = {
	"site", "nav", "css", "js", "year", "pageTitle", "notice", "user", "name", "csrf", "isSeller",
	"cartCount", "content", "canonical", "metaDescription",
	/* a live flash sale's shared page: the header's account part by SSI
	 * (app/sales, issue 18) */
	"saleShared", "account",
	/* the header's search box keeps the words on search pages (h_search) */
	"searchQuery",
	/* CURRENCIES (issue 19, app/fx): the header's currency chooser */
	"currencyChooser", "currencies", "code", "selected", "back",
	/* site.nav[]: a category with its children */
	"id", "slug", "url", "productCount", "parent", "children",
	NULL
};

/* reply_error's model (app/http/server.c). */
static const char *const error_names[] = {
	"error", "status", "title", "message", NULL
};

static const char *const info_names[] = { NULL };

static const struct tmpl_page site_pages[] = {
	{ "layout", layout_names },
	{ "error", error_names },
	{ "info_contact", info_names },
	{ "info_shipping", info_names },
	{ "info_returns", info_names },
	{ "info_privacy", info_names },
};

static const struct route site_routes[] = {
	ROUTE(M_GET, "/robots.txt", h_robots, RF_RAW | RF_CACHE, NULL),
	ROUTE(M_GET, "/contact", h_contact, RF_CACHE, NULL),
	ROUTE(M_GET, "/shipping", h_shipping, RF_CACHE, NULL),
	ROUTE(M_GET, "/returns", h_returns, RF_CACHE, NULL),
	ROUTE(M_GET, "/privacy", h_privacy, RF_CACHE, NULL),
	ROUTE(M_GET, "/healthz", h_healthz, RF_RAW, NULL),
};

/* READ REPLICAS (issue 20): `shopctl db-reads`, where this run directory's
 * reads went (db.h's counters): one line "total NAME=N ..." and one per
 * process "pid PID NAME=N ...". */
static void print_reads(void *arg, long pid, const uint64_t *c)
{
	(void)arg;
	if (pid)
		printf("pid %ld", pid);
	else
		printf("total");
	for (int i = 0; i < DB_READ_COUNTERS; i++)
		printf(" %s=%llu", db_read_counter_name(i), (unsigned long long)c[i]);
	printf("\n");
}

static int db_reads_cmd(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return MODULE_EXIT_USAGE;
	if (db_read_stats(print_reads, NULL)) {
		/* nothing counted yet (no replicas, or no read since): zeros */
		uint64_t zero[DB_READ_COUNTERS] = { 0 };

		print_reads(NULL, 0, zero);
	}
	return 0;
}

static const struct module_command site_commands[] = {
	{ "db-reads", db_reads_cmd, "db-reads",
	  "where reads went: replica, or primary and why (SHOP_DB_REPLICAS; counters of this run directory)" },
};

const struct module site_module = {
	.name = "site",
	.commands = site_commands,
	.ncommands = sizeof(site_commands) / sizeof(site_commands[0]),
	.routes = site_routes,
	.nroutes = sizeof(site_routes) / sizeof(site_routes[0]),
	.templates = site_pages,
	.ntemplates = sizeof(site_pages) / sizeof(site_pages[0]),
	.decorate = site_decorate,
};
