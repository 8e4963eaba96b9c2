/* The t/domain fixture (fixture.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>
#include <mysql.h>
#include "../../app/core/config.h"
#include "../../app/events/events.h"
#include "../../app/inventory/inventory.h"
#include "../../app/order/order.h"
#include "../../app/pricing/pricing.h"
#include "../../app/fulfillment/fulfillment.h"
#include "../../app/module.h"
#include "fixture.h"

struct db *D;
struct arena *A;
static MYSQL *my;
static int serial;

void dom_setup(void)
{
	static int loaded;

	if (!loaded) {
		if (config_load(&config)) {
			fprintf(stderr, "fixture: configuration\n");
			abort();
		}
		modules_init();	/* every module's statements, as shopd registers them */
		loaded = 1;
	}
	if (db_open(&D)) {
		fprintf(stderr, "fixture: no MariaDB at %s (run through t/domain/run)\n", config.db_socket);
		abort();
	}
	A = arena_new(64 * 1024);
	my = mysql_init(NULL);
	if (!mysql_real_connect(my, config.db_host, config.db_user, config.db_password, config.db_name,
				(unsigned)config.db_port, config.db_host ? NULL : config.db_socket, 0)) {
		fprintf(stderr, "fixture: %s\n", mysql_error(my));
		abort();
	}
}

void dom_teardown(void)
{
	db_close(D);
	arena_destroy(A);
	mysql_close(my);
	D = NULL;
	A = NULL;
	my = NULL;
}

static MYSQL_RES *run(const char *fmt, va_list ap)
{
	char q[4096];

	vsnprintf(q, sizeof(q), fmt, ap);
	if (mysql_query(my, q))
		ck_abort_msg("SQL failed: %s: %s", q, mysql_error(my));
	return mysql_store_result(my);
}

long long dq(const char *fmt, ...)
{
	va_list ap;
	MYSQL_RES *r;
	MYSQL_ROW row;
	long long v = -1;

	va_start(ap, fmt);
	r = run(fmt, ap);
	va_end(ap);
	if (r && (row = mysql_fetch_row(r)) && row[0])
		v = atoll(row[0]);
	if (r)
		mysql_free_result(r);
	return v;
}

const char *ds(const char *fmt, ...)
{
	static char buf[1024];
	va_list ap;
	MYSQL_RES *r;
	MYSQL_ROW row;

	va_start(ap, fmt);
	r = run(fmt, ap);
	va_end(ap);
	buf[0] = 0;
	if (r && (row = mysql_fetch_row(r)) && row[0])
		snprintf(buf, sizeof(buf), "%s", row[0]);
	if (r)
		mysql_free_result(r);
	return buf;
}

void dx(const char *fmt, ...)
{
	va_list ap;
	MYSQL_RES *r;

	va_start(ap, fmt);
	r = run(fmt, ap);
	va_end(ap);
	if (r)
		mysql_free_result(r);
}

/* Names nobody else uses: the process id and a counter. */
static int next_serial(void)
{
	return ++serial;
}

int64_t mk_user(void)
{
	dx("INSERT INTO users (email, name, password_hash) VALUES ('d%d.%d@example.com', 'Domain Tester', 'x')",
	   (int)getpid(), next_serial());
	return (int64_t)mysql_insert_id(my);
}

int64_t mk_seller(void)
{
	dx("INSERT INTO sellers (slug, display_name) VALUES ('dom-%d-%d', 'Domain Seller')", (int)getpid(),
	   next_serial());
	return (int64_t)mysql_insert_id(my);
}

int64_t mk_product(int64_t seller, int n, int64_t price, int64_t *skus)
{
	int64_t cat, pid;
	int s = next_serial();

	dx("INSERT IGNORE INTO categories (slug, name) VALUES ('domain-tests', 'Domain tests')");
	cat = dq("SELECT id FROM categories WHERE slug = 'domain-tests'");
	dx("INSERT INTO products (seller_id, category_id, slug, title, description, price) "
	   "VALUES (%lld, %lld, 'dom-%d-%d', 'Domain product %d', '', %lld)", (long long)seller, (long long)cat,
	   (int)getpid(), s, s, (long long)price);
	pid = (int64_t)mysql_insert_id(my);
	for (int i = 0; i < n; i++) {
		dx("INSERT INTO skus (product_id, code, price, position, weight_grams) "
		   "VALUES (%lld, 'D%d-%d-%d', %lld, %d, 500)", (long long)pid, (int)getpid(), s, i, (long long)price, i);
		skus[i] = (int64_t)mysql_insert_id(my);
	}
	return pid;
}

void set_stock(int64_t seller, int64_t product, int64_t sku, int64_t warehouse, int64_t n)
{
	struct stock_change ch;
	enum err e;

	memset(&ch, 0, sizeof(ch));
	ch.seller_id = seller;
	ch.product_id = product;
	ch.sku_id = sku;
	ch.warehouse_id = warehouse;
	ch.is_set = 1;
	ch.value = n;
	ch.reason = "fixture";
	ch.actor = "test:domain";
	e = inventory_change(D, A, &ch);
	ck_assert_msg(e == E_OK, "set_stock: %s", err_str(e));
}

struct mk {
	int64_t user;
	const struct dline *l;
	size_t n;
	int64_t order_id;
};

static enum err tx_mk(struct db *db, void *p)
{
	struct mk *m = p;
	struct order_line_new *ol = arena_calloc(A, m->n, sizeof(*ol));
	struct hold_req *h = arena_calloc(A, m->n, sizeof(*h));
	struct order_new on;
	int64_t sub = 0;
	size_t short_line;
	enum err e;

	memset(&on, 0, sizeof(on));
	for (size_t i = 0; i < m->n; i++) {
		ol[i].sku_id = h[i].sku_id = m->l[i].sku;
		ol[i].product_id = h[i].product_id = m->l[i].product;
		ol[i].seller_id = m->l[i].seller;
		ol[i].code = "code";
		ol[i].title = "title";
		ol[i].unit_price = m->l[i].price;
		ol[i].quantity = m->l[i].qty;
		h[i].quantity = (int)m->l[i].qty;
		sub += m->l[i].price * m->l[i].qty;
	}
	on.user_id = m->user;
	on.subtotal = on.total = sub;
	on.method = "standard";
	on.ship.name = "Ada Lovelace";
	on.ship.line1 = "1 Main St";
	on.ship.city = "Springfield";
	on.ship.country = "US";
	on.hold_expires = (int64_t)time(NULL) + 900;
	on.lines = ol;
	on.n = m->n;
	if ((e = order_create(db, A, &on, &m->order_id)))
		return e;
	return inventory_hold(db, A, m->order_id, h, m->n, on.hold_expires, &short_line);
}

int64_t mk_order(int64_t user, const struct dline *lines, size_t n)
{
	struct mk m = { user, lines, n, 0 };
	enum err e = db_tx(D, tx_mk, &m);

	if (e == E_CONFLICT)
		return 0;
	ck_assert_msg(e == E_OK, "mk_order: %s", err_str(e));
	return m.order_id;
}

enum err in_tx(enum err (*fn)(struct db *, void *), void *arg)
{
	return db_tx(D, fn, arg);
}

long long unconserved(void)
{
	/* Hot-SKU stock: a SKU's sale shards count with its inventory row
	 * (same warehouse), and hold its sales' holds. */
	return dq("SELECT COUNT(*) FROM inventory i LEFT JOIN (SELECT sku_id, warehouse_id, "
		  "SUM(available) AS a, SUM(reserved) AS r, SUM(committed) AS c FROM stock_shards "
		  "GROUP BY sku_id, warehouse_id) ss ON ss.sku_id = i.sku_id AND ss.warehouse_id = i.warehouse_id WHERE "
		  "COALESCE((SELECT SUM(m.delta) FROM stock_movements m WHERE m.sku_id = i.sku_id "
		  "AND m.warehouse_id = i.warehouse_id), 0) <> i.available + i.reserved + i.committed + "
		  "COALESCE(ss.a, 0) + COALESCE(ss.r, 0) + COALESCE(ss.c, 0) + "
		  "COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		  "AND h.warehouse_id = i.warehouse_id AND h.state = 'shipped'), 0) + "
		  /* ARCHIVE: shipped holds of archived orders (app/archive). */
		  "COALESCE((SELECT SUM(h.quantity) FROM holds_archive h WHERE h.sku_id = i.sku_id "
		  "AND h.warehouse_id = i.warehouse_id AND h.state = 'shipped'), 0) "
		  "OR i.reserved <> COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		  "AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NULL), 0) "
		  "OR i.committed <> COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		  "AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NULL), 0) "
		  "OR COALESCE(ss.r, 0) <> COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		  "AND h.warehouse_id = i.warehouse_id AND h.state = 'held' AND h.sale_id IS NOT NULL), 0) "
		  "OR COALESCE(ss.c, 0) <> COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.sku_id = i.sku_id "
		  "AND h.warehouse_id = i.warehouse_id AND h.state = 'committed' AND h.sale_id IS NOT NULL), 0)");
}

long long avail(int64_t sku, int64_t wh)
{
	return dq("SELECT available FROM inventory WHERE sku_id = %lld AND warehouse_id = %lld", (long long)sku,
		  (long long)wh);
}

long long reserved(int64_t sku, int64_t wh)
{
	return dq("SELECT reserved FROM inventory WHERE sku_id = %lld AND warehouse_id = %lld", (long long)sku,
		  (long long)wh);
}

long long committed(int64_t sku, int64_t wh)
{
	return dq("SELECT committed FROM inventory WHERE sku_id = %lld AND warehouse_id = %lld", (long long)sku,
		  (long long)wh);
}
