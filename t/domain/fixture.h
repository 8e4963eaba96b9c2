/* The t/domain fixture: the shop's domain code (app/inventory, app/order,
 * app/checkout/pricing, app/fulfillment) against MariaDB alone, no nginx,
 * shopd or Redis. t/domain/run starts a database of its own with
 * `SHOP_ONLY=db scripts/stack start` (schema and migrations loaded, no demo
 * catalog) and points SHOP_DB_SOCKET at it.
 *
 * Each test builds the rows it needs (a shopper, products with SKUs, stock
 * set through inventory_change so that the movements account for it) and
 * asserts on rows with plain SQL through a second connection. */
#ifndef T_DOMAIN_FIXTURE_H
#define T_DOMAIN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include "../../app/core/arena.h"
#include "../../app/core/err.h"
#include "../../app/store/db.h"

/* The connection the domain code uses, and an arena reset per test. */
extern struct db *D;
extern struct arena *A;

/* Config, module statements, both connections. Aborts when MariaDB cannot
 * be reached. Call from a Check fixture (each test runs in its own
 * process). */
void dom_setup(void);
void dom_teardown(void);

/* SQL for assertions, printf-formatted (tests format only integers and
 * fixed words). dq: the first column of the first row as a number, -1 for
 * no row or NULL; a failing statement fails the test. dx: runs it. ds: the
 * first column of the first row as text (static buffer), "" for none. */
long long dq(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ds(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A shopper (users row); its id. */
int64_t mk_user(void);
/* A seller of its own (sellers row); its id. */
int64_t mk_seller(void);
/* An active product of seller with n SKUs priced price cents each; the SKU
 * ids go to skus[0..n-1]; the product id is returned. */
int64_t mk_product(int64_t seller, int n, int64_t price, int64_t *skus);
/* available of (sku, warehouse) set to n through inventory_change (with its
 * movement), in a transaction of its own. */
void set_stock(int64_t seller, int64_t product, int64_t sku, int64_t warehouse, int64_t n);

/* A pending order of user for the given lines (sku, product, quantity,
 * unit price, seller), created with order_create and held with
 * inventory_hold in one transaction. Returns the order id, or 0 when the
 * hold was refused (nothing written). */
struct dline {
	int64_t sku, product, seller, qty, price;
};
int64_t mk_order(int64_t user, const struct dline *lines, size_t n);

/* Runs fn in db_tx: the shape every domain write takes. */
enum err in_tx(enum err (*fn)(struct db *, void *), void *arg);

/* Conservation (the reconciler's rule): the number of (sku, warehouse)
 * rows where SUM(movements.delta) != available + reserved + committed +
 * units of shipped holds, or where reserved/committed disagree with the
 * held/committed holds. 0 when the ledgers agree. */
long long unconserved(void);

/* inventory row of (sku, warehouse): a, r, c (-1 when there is no row). */
long long avail(int64_t sku, int64_t wh);
long long reserved(int64_t sku, int64_t wh);
long long committed(int64_t sku, int64_t wh);

#define WH_EAST 1
#define WH_WEST 2

#endif
