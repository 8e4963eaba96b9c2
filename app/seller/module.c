/* The seller module: everything that writes listings (the dashboard, the
 * item form and API, photos, the bulk import, the demo import and the one
 * listing validator they share) and the sweep of photo files no product
 * names (a job, and shopctl media-sweep). */
#include <stdio.h>
#include <string.h>
#include "../module.h"
#include "bulk_pages.h"
#include "dashboard_pages.h"
#include "images_pages.h"
#include "items_pages.h"
#include "../core/arena.h"
#include "../store/db.h"
#include "../http/valid.h"
#include "bulk.h"
#include "dashboard.h"
#include "images.h"
#include "items.h"
#include "import.h"
#include "../catalog/catalog.h"
#include "limits.h"
#include "dashboard_routes.inc"
#include "routes.inc"
#include "images_routes.inc"
#include "bulk_routes.inc"

static void seller_module_init(void)
{
	catalog_import_init();
	dashboard_init();
	items_init();
	images_init();
	bulk_init();
}

static const struct route seller_routes[] = {
	SELLER_DASHBOARD_ROUTES,
	SELLER_ITEMS_ROUTES,
	SELLER_IMAGES_ROUTES,
	SELLER_BULK_ROUTES,
};

/* seller_home.html: the model h_seller_home (dashboard_pages.c) builds. */
static const char *const seller_home_names[] = {
	"seller", "displayName", "slug", "contactEmail", "isActive", "status", "noProfile", "today",
	"orders", "revenue", "week", "toShipCount", "toShip", "url", "id", "date", "shipTo",
	"units", "counts", "active", "drafts", "low", "lowLimit", "out", "lowStock", "title",
	"stock", "outOfStock", "csrf", NULL
};

/* seller_items.html: the model h_seller_items (items_pages.c) builds. */
static const char *const seller_items_names[] = {
	"q", "statuses", "value", "selected", "label", "categories", "dept", "name", "filtered",
	"hasItems", "items", "thumbnail", "editUrl", "title", "categoryName", "statusLabel",
	"price", "stock", "updated", "firstUrl", "nextUrl", "currency", "id", "status", NULL
};

/* seller_items_edit.html: the model form_page (items_pages.c) builds. */
static const char *const seller_items_edit_names[] = {
	"isNew", "saved", "item", "id", "url", "stockUrl", "imagesUrl", "error", "message",
	"errors", "anchor", "sellerSuspended", "csrf", "rows", "fieldErrors.*", "title",
	"description", "brand", "category", "categories", "value", "selected", "dept", "name",
	"suspended", "status", "statuses", "label", "attrs", "i", "required", "isChoice", "field",
	"choices", "isNumber", "variants", "options", "n", "isExisting", "code", "rowNo",
	"codeError", "o", "price", "priceError", "weight", "weightError", "stock", "qty",
	"qtyError", "remove", "optionError", "canAdd", "statusLabel", NULL
};

/* seller_images.html: the model page (images_pages.c) builds. */
static const char *const seller_images_names[] = {
	"product", "title", "url", "error", "message", "count", "max", "images", "urls", "thumb",
	"alt", "id", "csrf", "position", "altError", "first", "last", "canAdd", "fieldErrors",
	"image", "altValue", "card", "full", "height", "status", "width", NULL
};

/* seller_import.html: the model list_page (bulk_pages.c) builds. */
static const char *const seller_import_names[] = {
	"formError", "csrf", "imports", "url", "id", "filename", "format", "createdAt", "state",
	"rowsDone", "rowsTotal", "rowsFailed", "errorsUrl", "finishedAt", "message", "percent",
	"rowsChanged", "running", NULL
};

/* seller_import_show.html: the model h_seller_import_show (bulk_pages.c) builds. */
static const char *const seller_import_show_names[] = {
	"import", "id", "filename", "format", "createdAt", "state", "rowsDone", "rowsTotal",
	"percent", "rowsChanged", "rowsFailed", "running", "follow", "pageUrl", "followUrl",
	"message", "errorsUrl", "errors", "row", "column", "moreErrors", "finishedAt", "url", NULL
};

static const struct tmpl_page seller_pages[] = {
	{ "seller_home", seller_home_names },
	{ "seller_items", seller_items_names },
	{ "seller_items_edit", seller_items_edit_names },
	{ "seller_images", seller_images_names },
	{ "seller_import", seller_import_names },
	{ "seller_import_show", seller_import_show_names },
};

static const struct module_job seller_jobs[] = {
	{ "media-sweep", images_sweep_batch, 3600000 },	/* photo files no row names */
	{ "bulk-import", bulk_import_batch, 500 },	/* sellers' uploads, one chunk per call */
};

/* The same sweep shopd jobs runs hourly, now (an operator after a crash,
 * and the tests). */
static int cmd_media_sweep(int argc, char **argv)
{
	struct arena *a;
	struct db *db = NULL;
	int64_t age = MEDIA_ORPHAN_AGE;
	int n;

	if (argc > 2 || (argc == 2 && parse_int64(argv[1], strlen(argv[1]), 0, INT64_MAX, &age)))
		return MODULE_EXIT_USAGE;
	if (module_open_db(&db)) {
		db_close(db);
		return 1;
	}
	if (!(a = arena_new(64 * 1024))) {
		db_close(db);
		return 1;
	}
	n = images_sweep(db, a, (long)age);
	arena_destroy(a);
	db_close(db);
	if (n < 0)
		return 1;
	printf("removed %d photo%s no row names\n", n, n == 1 ? "" : "s");
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	struct import_stats st;
	struct db *db = NULL;
	enum err e;

	if (argc != 2)
		return MODULE_EXIT_USAGE;
	if (module_open_db(&db)) {
		db_close(db);
		return 1;
	}
	e = catalog_import_file(db, argv[1], stderr, &st);
	if (!e) {
		struct arena *a = arena_new(64 * 1024);

		/* The navigation's counts now, not at the next jobs run. */
		if (!a || catalog_refresh_counts(db, a))
			fprintf(stderr, "shopctl: could not recount the categories (shopd jobs will)\n");
		if (a)
			arena_destroy(a);
	}
	db_close(db);
	printf("imported %zu products, %zu failed\n", st.imported, st.failed);
	return e || st.failed ? 1 : 0;
}

static const struct module_command seller_commands[] = {
	{ "import", cmd_import, "import FILE",
	  "import a product list in the dummyjson format (e.g. data/demo/products.json)" },
	{ "media-sweep", cmd_media_sweep, "media-sweep [MIN_AGE]",
	  "remove photo files no product names, older than MIN_AGE seconds (default 3600)" },
};

const struct module seller_module = {
	.name = "seller",
	.init = seller_module_init,
	.routes = seller_routes,
	.nroutes = sizeof(seller_routes) / sizeof(seller_routes[0]),
	.templates = seller_pages,
	.ntemplates = sizeof(seller_pages) / sizeof(seller_pages[0]),
	.jobs = seller_jobs,
	.njobs = sizeof(seller_jobs) / sizeof(seller_jobs[0]),
	.commands = seller_commands,
	.ncommands = sizeof(seller_commands) / sizeof(seller_commands[0]),
};
