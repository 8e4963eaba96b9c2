/* The t/http harness: requests over real HTTP (libcurl) to the stack that
 * scripts/run-tests started in a temporary directory, and a MariaDB
 * connection to the same stack for assertions on rows. */
#ifndef T_HTTP_HARNESS_H
#define T_HTTP_HARNESS_H

#include <stddef.h>
#include <jansson.h>

struct hresp {
	long status;
	char *body;
	size_t len;
	char *headers;		/* raw header block of the final response */
};

/* Reads SHOP_TEST_BASE and SHOP_HOME; aborts with a message when absent. */
void harness_init(void);
const char *base_url(void);

/* One request. extra_headers is NULL-terminated ("Name: value"), may be NULL.
 * The result is malloc'd; free with hresp_free. */
struct hresp *http(const char *method, const char *path, const char *body,
		   const char *const *extra_headers);
/* The same to any URL (another server of the stack, such as the payment
 * sandbox); *curl_code (may be NULL) gets libcurl's result. */
struct hresp *http_url(const char *method, const char *url, const char *body,
		       const char *const *extra_headers, int *curl_code);
struct hresp *http_get(const char *path);
struct hresp *http_get_json(const char *path);
void hresp_free(struct hresp *r);
/* A header value (case-insensitive name) copied into a static buffer, or NULL. */
const char *hresp_header(const struct hresp *r, const char *name);
/* The body parsed as JSON (new reference) or NULL. */
json_t *hresp_json(const struct hresp *r);
/* Sends raw bytes on a fresh TCP connection and returns the status code of
 * the answer (for requests libcurl refuses to make). */
long raw_request(const char *bytes);

/* Test-only SQL on the stack's database (fixed strings written in tests).
 * An SQL error (or no connection) fails the test at once: a query that
 * cannot run proves nothing, and "before == after" must not pass as
 * error == error. sql_scalar: the first column of the first row, -1 when
 * there is no row or the value is NULL. sql_exec: 0 (it does not return on
 * an error). */
long long sql_scalar(const char *sql);
int sql_exec(const char *sql);
/* The first column of the first row as text into out; 0 when there is no
 * row or it is NULL. */
int sql_text(const char *sql, char *out, size_t n);
/* For statements that are meant to fail: runs sql and returns the MariaDB
 * error number (0 when it succeeded), e.g. 4025 (ER_CONSTRAINT_FAILED) for a
 * CHECK constraint, 1062 for a duplicate key, 1452 for a foreign key. */
unsigned sql_errno(const char *sql);
#define ER_CONSTRAINT_FAILED 4025

/* Tests that change products or skus with SQL bring the catalog's read model
 * (products.stock_total and sku_digest) back in line, as the shop's own
 * writers do in their transactions. Fails the test when it cannot. */
void resync_read_model(void);

/* Sets inventory.available of SKU `sku` (its code) in warehouse `warehouse`
 * (warehouses.id) to n through the shop's own inventory code
 * (inventory_change(): the row lock, the stock_movements row with `reason`
 * and actor "test", the read model and the StockChanged event, in one
 * transaction), so that per (sku, warehouse) the movements still add up to
 * the stock. Tests never write `inventory` with raw SQL. Fails the test when
 * the change is refused. */
void set_stock(const char *sku, int warehouse, long long n, const char *reason);
/* The same by skus.id. */
void set_stock_id(long long sku_id, int warehouse, long long n, const char *reason);
/* n units in `warehouse` and none in any other warehouse that has a row for
 * the SKU (reserved and committed units stay as they are). */
void set_stock_only(long long sku_id, int warehouse, long long n, const char *reason);
/* Waits (up to 15 s) until the search indexer has handled every event
 * written so far: a search then shows the stock and prices just set. */
void search_settled(void);

/* Runs `scripts/stack CMD` for the test stack; returns its exit status. */
int stack_cmd(const char *cmd);
/* Polls GET path until it answers `status` or seconds pass; 1 on success. */
int wait_status(const char *path, long status, int seconds);

/* Runs a Check suite and returns the process exit code. Before running it
 * prints "harness: N test cases" (every case added to a TCase is counted,
 * loop tests once per iteration), and a TAP line ("ok N - ..." or
 * "not ok N - ...") is flushed as each case ends, so that scripts/run-tests
 * counts every case that never reported (the binary crashed or hung) as a
 * failure. Check's CK_* variables from the environment are ignored. */
#include <check.h>
int run_suite(Suite *s);
void harness_add_test(TCase *tc, const TTest *tt, int sig, int allowed_exit, int start, int end);
#define _tcase_add_test(tc, tt, sig, allowed_exit, start, end) \
	harness_add_test((tc), (tt), (sig), (allowed_exit), (start), (end))

#endif

/* A browser-like client: keeps the session cookie from Set-Cookie and the
 * CSRF token from GET /api/session or a sign-in answer. */
struct client {
	char cookie[256];	/* "sid=..." or "" */
	char csrf[128];
};
/* Sends a request as this client. Bodies that start with '{' go as JSON,
 * others as a form. with_csrf adds the X-CSRF-Token header. */
struct hresp *client_req(struct client *cl, const char *method, const char *path,
			 const char *body, int with_csrf);
/* GET /api/session: refreshes the cookie and token. 0 on success. */
int client_session(struct client *cl);
/* Registers (POST /api/users) and signs in (POST /api/session); 0 on success. */
int client_signup(struct client *cl, const char *name, const char *email, const char *password);
int client_signin(struct client *cl, const char *email, const char *password);
/* A browser request: Accept: text/html, a form body when form is non-NULL,
 * the session cookie sent and kept. */
struct hresp *client_browse(struct client *cl, const char *method, const char *path, const char *form);

/* An email no earlier test (in this run or on this stack) has used:
 * tag + pid + counter. Static buffer: copy it to keep it. */
const char *fresh_email(const char *tag);
/* Runs a redis-cli command on the test stack's Redis; fails the test if it
 * cannot. */
void redis_cmd(const char *cmd);
/* Every test signs up and in from 127.0.0.1; a fixture that resets the
 * per-IP throttles lets each test start from a clean count (the throttle
 * tests themselves fill them on purpose). */
void clear_ip_throttles(void);

/* The stack's maildir ($SHOP_HOME/mail/new, where shopd jobs delivers
 * when no SMTP server is set): how many messages to `to` (their To: header)
 * have `needle` in their text, and the last one read (malloc'd; NULL when
 * none) in *last when last is not NULL. */
int maildir_count(const char *to, const char *needle, char **last);
/* Waits up to seconds for such a message; returns it (malloc'd) or NULL. */
char *maildir_wait(const char *to, const char *needle, int seconds);

/* printf-style sql_scalar, and sql_exec that fails the test when the
 * statement does (test-only SQL, at most 4 KB). */
long long sql_scalarf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sql_execf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs bin/shopctl (or $SHOP_BIN/shopctl) against the test stack with env
 * assignments in front (may be NULL) and input as its one line of stdin
 * (none when NULL); its exit status. */
int shopctl_run(const char *env, const char *input, const char *args);
/* A new account made a seller the way an operator does (`shopctl grant`),
 * its session refreshed (the role change gives it a new id), password
 * "correct horse battery"; returns the sellers.id (and the user's id). */
long long seller_new(struct client *cl, const char *tag, long long *uid_out);
/* A new seller (seller_new) with an item of its own made over the API: 50
 * units at $49.99 in the category of the demo's first product whose SKU
 * codes start with prefix, so a suite gets a category without taking a
 * demo product away from the suites that use it. Its SKU code into code,
 * its product id into *pid_out (may be NULL); returns the sellers.id. */
long long seller_item_like(struct client *cl, const char *tag, const char *prefix, char *code, size_t n,
			   long long *pid_out);
/* A webhook signature header as the payment sandbox and carriers send it:
 * "<name>: t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>" into out. */
void sign_header(char *out, size_t n, const char *name, const char *secret, long long t, const char *body);

/* The text of a small file (a port, a key) without its trailing newline
 * into out; fails the test when it cannot be read. */
void file_trimmed(const char *path, char *out, size_t n);

/* The payment sandbox of the test stack, over its own API (the key and port
 * that scripts/stack keeps under SHOP_HOME). idem (may be NULL) is sent as
 * the Idempotency-Key. */
struct hresp *paygate_req(const char *method, const char *path, const char *body, const char *idem);
/* POST /v1/test/faults with json; fails the test unless it answers 200. */
void paygate_faults(const char *json);
/* The intent's status at the gateway into out ("" when unknown). */
void paygate_status(const char *intent, char *out, size_t n);
/* An authorized intent of amount cents made at the gateway directly, with
 * metadata order_id (0: none), its id into out. */
void paygate_authorize(long long amount, long long order_id, char *out, size_t n);
/* The environment shopctl needs to reach the gateway ("SHOP_PAYGATE_URL=...
 * SHOP_PAYGATE_KEY_FILE=..."), for shopctl_run; static buffer. */
const char *paygate_env(void);
/* The same into this process's environment, for shop code a test runs
 * in-process (payment_init reads it). */
void paygate_setenv(void);

/* ---- buying (the suites about money and stock) ---- */

/* The shipping address the buying suites use, as JSON members. */
#define TEST_ADDR "\"shippingAddress\":{\"name\":\"Ann Buyer\",\"line1\":\"1 Main St\",\"city\":\"Austin\"," \
		  "\"region\":\"TX\",\"postalCode\":\"78701\",\"country\":\"US\"}"
/* A new shopper, signed in (password "correct horse battery"); its user id.
 * The email into email (may be NULL). */
long long buyer_new(struct client *cl, const char *tag, char *email, size_t n);
/* PATCH /api/cart: q units of the SKU code; fails the test unless 200. */
void cart_put(struct client *cl, const char *code, int q);
/* POST /api/checkout/quote to TEST_ADDR, standard shipping: the amount. */
long long checkout_amount(struct client *cl);
/* A JSON POST as cl with an Idempotency-Key (NULL: none) and one extra
 * header line (NULL: none); the caller frees the answer. */
struct hresp *post_idem(struct client *cl, const char *path, const char *body, const char *key,
			const char *extra_header);
/* An active SKU of the demo catalog whose code starts with prefix, with at
 * least min_available units: its id, and its code into code. */
long long sku_pick(const char *prefix, int min_available, char *code, size_t n);
/* The stock rules, over every SKU (when names the moment in a failure):
 * reserved and committed equal the holds; movements add up to the units
 * (available + reserved + committed + shipped); no unit held for an order
 * that does not wait or committed to one that is not paid; a waiting order
 * holds all its units and a confirmed one has them and a payment. */
void stock_invariants(const char *when);
/* A verified buyer of SKU `sku_code` (its code), through the shop's real
 * flow: a new shopper signed in as buyer (buyer_new, tag), one unit in the
 * cart, POST /api/checkout paid with pm_card_visa (201, confirmed), then
 * `seller` (signed in as the seller of the SKU's product: move the product
 * to them first) ships the order's line 1 over POST
 * /api/seller/orders/{id}/shipments (201): the line is `shipped`, which
 * is what the reviews' Verified purchase asks. The SKU needs a unit in
 * stock. Returns the order id; the buyer's email into email (may be NULL). */
long long buyer_shipped(struct client *buyer, struct client *seller, const char *sku_code, const char *tag,
			char *email, size_t n);
/* POST /api/webhooks/paygate with body, signed as the gateway signs it at
 * time t (0: now); its status. */
long shop_webhook(const char *body, long long t);
/* Fails the test when tidy (HTML Tidy, in the install step) finds an error
 * (warnings are allowed) in the answer's body; what names the page. */
void tidy_ok(const struct hresp *r, const char *what);
