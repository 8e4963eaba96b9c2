/* The list of modules, in dependency order: lower layers first, each module
 * after those it uses, where the code allows (the catalog's demo import
 * writes stock through inventory, which refreshes the catalog's read model;
 * orders use checkout's pricing). The order is that of the inits (which only
 * register statements and read settings, so none needs another's first), of
 * the jobs in a pass of the jobs loop, and of the commands in `shopctl help`;
 * the route table's cross-module order changes nothing (app/routes.c). A new
 * module is one app/<name>/module.c and one line here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "core/fault.h"
#include "core/log.h"
#include "store/db.h"
#include "http/server.h"
#include "events/stream.h"
#include "module.h"

extern const struct module events_module;
extern const struct module mail_module;
extern const struct module catalog_module;
extern const struct module inventory_module;
extern const struct module account_module;
extern const struct module sales_module;
extern const struct module waitroom_module;
extern const struct module cart_module;
extern const struct module payment_module;
extern const struct module pricing_module;
extern const struct module order_module;
extern const struct module fulfillment_module;
extern const struct module checkout_module;
extern const struct module search_module;
extern const struct module seller_module;
extern const struct module reconcile_module;
extern const struct module reviews_module;
extern const struct module questions_module;
extern const struct module wishlist_module;
extern const struct module alerts_module;
extern const struct module webhook_module;
extern const struct module notify_module;
extern const struct module recs_module;
extern const struct module returns_module;
extern const struct module archive_module;
extern const struct module payouts_module;
extern const struct module reports_module;
extern const struct module console_module;
extern const struct module fx_module;
extern const struct module site_module;

const struct module *const modules[] = {
	&events_module,		/* the outbox */
	&mail_module,
	&catalog_module,	/* products, categories, the read model */
	&inventory_module,	/* stock */
	&account_module,	/* users, sessions, addresses, roles */
	&fx_module,		/* currencies: rates, price lists, the shopper's choice */
	&sales_module,		/* flash sales: prices, units, schedules */
	&waitroom_module,	/* the sales' waiting room, admissions, token buckets */
	&cart_module,
	&payment_module,	/* the gateway's client */
	&pricing_module,	/* quotes and promo codes */
	&order_module,
	&fulfillment_module,
	&returns_module,	/* returns: requests, approval, receipt, the refund */
	&archive_module,	/* closed orders moved out of the hot tables, read from both */
	&payouts_module,	/* commissions, the sellers' ledger, payout statements */
	&checkout_module,	/* the checkout saga, the shopper's order pages */
	&search_module,
	&seller_module,		/* listings: dashboard, items, photos, bulk and demo import */
	&reconcile_module,
	&reviews_module,	/* reviews, ratings, moderation of what shoppers write */
	&questions_module,	/* product questions and answers */
	&alerts_module,		/* back-in-stock and price-drop alerts */
	&wishlist_module,	/* saved items, lists, sharing (a saved item's alerts: app/alerts) */
	&webhook_module,	/* endpoints, the "webhooks" consumer, deliveries */
	&notify_module,		/* mails from events, cart reminders, unsubscribe */
	&recs_module,		/* recommendations, recently viewed */
	&reports_module,	/* sales, funnel and search reports, CSV exports */
	&console_module,	/* the admin console: promos, categories, content, audit log */
	&site_module,		/* the layout, health, robots */
	NULL
};

static struct tmpl_page *pages;
static size_t npages;

static void pages_build(void);

const struct tmpl_page *modules_pages(size_t *n)
{
	if (!pages)
		pages_build();
	*n = npages;
	return pages;
}

/* Every module's page templates in one list; a page two modules claim stops
 * the start (tmpl_check_pages reports pages claimed by none). */
static void pages_build(void)
{
	size_t m, i, j, k = 0, n = 0;

	for (m = 0; modules[m]; m++)
		n += modules[m]->ntemplates;
	if (!(pages = calloc(n ? n : 1, sizeof(*pages))))
		abort();	/* at start only */
	for (m = 0; modules[m]; m++)
		for (i = 0; i < modules[m]->ntemplates; i++) {
			for (j = 0; j < k; j++)
				if (!strcmp(pages[j].name, modules[m]->templates[i].name)) {
					fprintf(stderr, "modules: %s claims the page %s, which another module has\n",
						modules[m]->name, pages[j].name);
					exit(1);
				}
			pages[k++] = modules[m]->templates[i];
		}
	npages = k;
}

/* Every module's event consumers, handed to the stream (a name two
 * modules use stops the start). */
static void consumers_build(void)
{
	static const struct event_consumer **list;
	size_t m, i, j, n = 0;

	if (list)
		return;
	for (m = 0; modules[m]; m++)
		n += modules[m]->nconsumers;
	if (!(list = calloc(n + 1, sizeof(*list))))
		abort();	/* at start only */
	n = 0;
	for (m = 0; modules[m]; m++)
		for (i = 0; i < modules[m]->nconsumers; i++) {
			for (j = 0; j < n; j++)
				if (!strcmp(list[j]->name, modules[m]->consumers[i].name)) {
					fprintf(stderr, "modules: two event consumers are named %s\n", list[j]->name);
					exit(1);
				}
			list[n++] = &modules[m]->consumers[i];
		}
	if (fault_enabled())
		list[n++] = &event_probe;	/* test stacks only */
	stream_set_consumers(list, n);
}

void modules_init(void)
{
	size_t m;

	for (m = 0; modules[m]; m++)
		if (modules[m]->init)
			modules[m]->init();
	consumers_build();
	routes_build();
	if (!pages)
		pages_build();
}

void modules_http_hooks(struct http_hooks *h)
{
	size_t m;

	modules_init();
	memset(h, 0, sizeof(*h));
	h->routes = routes;
	h->nroutes = nroutes;
	h->pages = pages;
	h->npages = npages;
	for (m = 0; modules[m]; m++) {
		if (modules[m]->auth)
			h->auth = modules[m]->auth;
		if (modules[m]->decorate)
			h->decorate = modules[m]->decorate;
		if (modules[m]->throttle)
			h->throttle = modules[m]->throttle;
		if (modules[m]->localize)	/* CURRENCIES (issue 19) */
			h->localize = modules[m]->localize;
		if (modules[m]->wrote)		/* READ REPLICAS (issue 20) */
			h->wrote = modules[m]->wrote;
	}
}

enum err module_open_db(struct db **db)
{
	enum err e = db_open(db);

	if (e)
		fprintf(stderr, "shopctl: cannot connect to MariaDB at %s (database %s): %s\n",
			config.db_host ? config.db_host : config.db_socket, config.db_name,
			*db ? db_error(*db) : err_str(e));
	return e;
}
