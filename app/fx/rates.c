/* The fx module's domain: rates, price lists, a cart in a currency
 * (rates.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../cart/cart.h"
#include "rates.h"

enum {
	Q_RATE_NOW,
	Q_RATE_PUT,
	Q_SKU_PRICES,
	Q_SKU_PRICE_PUT,
	Q_SKU_PRICE_DEL,
	Q_SELLER_SKU,
	Q_PRODUCT_OVERRIDES,
	Q_LINE_OVERRIDE,
	Q_PRODUCT_SKUS,
	Q_N
};

static struct db_sql sql[Q_N] = {
	[Q_RATE_NOW] = { "SELECT rate, DATE_FORMAT(rate_date, '%Y-%m-%d') FROM fx_rates WHERE currency = ? "
			 "ORDER BY rate_date DESC LIMIT 1", 0 },
	[Q_RATE_PUT] = { "INSERT INTO fx_rates (currency, rate_date, rate, source) VALUES (?, ?, ?, ?) "
			 "ON DUPLICATE KEY UPDATE rate = VALUES(rate), source = VALUES(source), "
			 "loaded_at = CURRENT_TIMESTAMP(3)", 0 },
	[Q_SKU_PRICES] = { "SELECT currency, price FROM sku_prices WHERE sku_id = ? ORDER BY currency", 0 },
	[Q_SKU_PRICE_PUT] = { "INSERT INTO sku_prices (sku_id, currency, price) VALUES (?, ?, ?) "
			      "ON DUPLICATE KEY UPDATE price = VALUES(price)", 0 },
	[Q_SKU_PRICE_DEL] = { "DELETE FROM sku_prices WHERE sku_id = ? AND currency = ?", 0 },
	[Q_SELLER_SKU] = { "SELECT s.id, s.product_id FROM skus s JOIN products p ON p.id = s.product_id "
			   "WHERE s.code = ? AND p.seller_id = ?", 0 },
	[Q_PRODUCT_OVERRIDES] = { "SELECT s.code, sp.price FROM JSON_TABLE(?, '$[*]' COLUMNS "
				  "(code VARCHAR(64) PATH '$')) j JOIN skus s ON s.code = j.code "
				  "JOIN sku_prices sp ON sp.sku_id = s.id AND sp.currency = ?", 0 },
	[Q_LINE_OVERRIDE] = { "SELECT price FROM sku_prices WHERE sku_id = ? AND currency = ?", 0 },
	/* The active SKUs' prices (shop's, own in the currency or -1) of the
	 * products of the ids: index lookups from the ids (ix_skus_product,
	 * then sku_prices' primary key), never a scan of sku_prices. */
	[Q_PRODUCT_SKUS] = { "SELECT s.product_id, s.price, COALESCE(sp.price, -1) FROM JSON_TABLE(?, '$[*]' "
			     "COLUMNS (id BIGINT PATH '$')) j JOIN skus s ON s.product_id = j.id AND s.status = 'active' "
			     "LEFT JOIN sku_prices sp ON sp.sku_id = s.id AND sp.currency = ? ORDER BY s.product_id", 0 },
};

static char currencies[256] = FX_DEFAULT_CURRENCIES;

void fx_init(void)
{
	static int done;
	const char *env = getenv("SHOP_CURRENCIES");

	if (done)
		return;
	done = 1;
	db_register(sql, Q_N);
	if (env && *env) {
		/* Only well-formed codes are kept; the shop's own always is. */
		char out[sizeof(currencies)] = "", code[4];
		size_t len = 0;

		snprintf(out, sizeof(out), "%s", fx_shop_currency());
		len = strlen(out);
		for (const char *p = env; *p;) {
			size_t k = 0;

			while (*p == ' ' || *p == ',')
				p++;
			while (p[k] && p[k] != ',' && p[k] != ' ')
				k++;
			if (k == 3) {
				memcpy(code, p, 3);
				code[3] = '\0';
				if (fx_code_ok(code) && !fx_in_list(out, code) && len + 4 < sizeof(out)) {
					out[len++] = ',';
					memcpy(out + len, code, 4);
					len += 3;
				}
			} else if (k) {
				log_err("fx: SHOP_CURRENCIES: \"%.*s\" is not a currency code; left out", (int)k, p);
			}
			p += k;
		}
		memcpy(currencies, out, sizeof(out));
	}
}

const char *fx_currencies(void)
{
	return currencies;
}

int fx_enabled(const char *code)
{
	return fx_code_ok(code) && fx_in_list(currencies, code);
}

enum err fx_rate_now(struct db *db, struct arena *a, const char *currency, struct fx_quote_rate *out)
{
	struct db_res *r = NULL;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (!currency || !strcmp(currency, fx_shop_currency())) {
		out->currency = fx_shop_currency();
		out->rate = FX_SCALE;
		out->rate_text = "1.0000000000";
		return E_OK;
	}
	if (!fx_enabled(currency))
		return E_INVAL;
	if ((e = db_exec(db, a, &sql[Q_RATE_NOW], &r, "s", currency)))
		return e;
	if (!r->nrows || fx_rate_parse(db_cell(r, 0, 0), &out->rate))
		return E_NOTFOUND;
	out->currency = arena_strdup(a, currency);
	out->rate_text = db_cell(r, 0, 0);
	out->date = db_cell(r, 0, 1);
	return out->currency ? E_OK : E_NOMEM;
}

struct store_rates {
	struct arena *a;
	const struct fx_ecb_rate *r;
	size_t n;
	const char *source;
};

static enum err tx_store(struct db *db, void *arg)
{
	struct store_rates *s = arg;
	char rt[32];
	enum err e;

	for (size_t i = 0; i < s->n; i++)
		if ((e = db_exec(db, s->a, &sql[Q_RATE_PUT], NULL, "ssss", s->r[i].currency, s->r[i].date,
				 fx_rate_text(s->r[i].rate, rt, sizeof(rt)), s->source)))
			return e;
	return E_OK;
}

enum err fx_store_rates(struct db *db, struct arena *a, const struct fx_ecb_rate *r, size_t n,
			const char *source, size_t *days, const char **latest)
{
	struct store_rates s = { a, r, n, source ? source : "" };
	const char *best = NULL;
	enum err e;

	*days = 0;
	*latest = NULL;
	if ((e = db_tx(db, tx_store, &s)))
		return e;
	for (size_t i = 0; i < n; i++) {
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(r[j].date, r[i].date);
		if (!seen)
			(*days)++;
		if (!best || strcmp(r[i].date, best) > 0)
			best = r[i].date;
	}
	*latest = best ? arena_strdup(a, best) : NULL;
	return E_OK;
}

enum err fx_cart_prices(struct db *db, struct arena *a, struct cart *cart, const struct fx_quote_rate *rate)
{
	struct db_res *r = NULL;
	enum err e;

	if (!rate || !rate->currency || !strcmp(rate->currency, fx_shop_currency()))
		return E_OK;
	for (size_t i = 0; i < cart->n; i++) {
		struct cart_line *l = &cart->lines[i];
		int64_t own = -1;

		if (!l->on_sale) {
			if ((e = db_exec(db, a, &sql[Q_LINE_OVERRIDE], &r, "is", l->sku_id, rate->currency)))
				return e;
			if (r->nrows)
				own = db_int(r, 0, 0);
		}
		if (own >= 0) {
			/* The seller's own price: the line's price when added
			 * follows it unless the shop's price moved since. */
			l->added_price = l->added_price == l->price ? own :
					 fx_convert(l->added_price, rate->currency, rate->rate);
			l->price = own;
			l->regular_price = own;
		} else {
			l->added_price = fx_convert(l->added_price, rate->currency, rate->rate);
			l->regular_price = fx_convert(l->regular_price, rate->currency, rate->rate);
			l->price = fx_convert(l->price, rate->currency, rate->rate);
		}
		l->currency = rate->currency;
	}
	return E_OK;
}

enum err fx_sku_prices_get(struct db *db, struct arena *a, int64_t sku_id, struct fx_sku_price **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_SKU_PRICES], &r, "i", sku_id)))
		return e;
	if (!r->nrows)
		return E_OK;
	if (!(*out = arena_calloc(a, r->nrows, sizeof(**out))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		(*out)[i].currency = db_cell(r, i, 0);
		(*out)[i].price = db_int(r, i, 1);
	}
	*n = r->nrows;
	return E_OK;
}

enum err fx_sku_price_set(struct db *db, struct arena *a, int64_t sku_id, const char *currency, int64_t price)
{
	if (!fx_enabled(currency) || !strcmp(currency, fx_shop_currency()))
		return E_INVAL;
	if (price < 0)
		return db_exec(db, a, &sql[Q_SKU_PRICE_DEL], NULL, "is", sku_id, currency);
	return db_exec(db, a, &sql[Q_SKU_PRICE_PUT], NULL, "isi", sku_id, currency, price);
}

enum err fx_seller_sku(struct db *db, struct arena *a, int64_t seller_id, const char *code, int64_t *sku_id,
		       int64_t *product_id)
{
	struct db_res *r = NULL;
	enum err e;

	*sku_id = *product_id = 0;
	if ((e = db_exec(db, a, &sql[Q_SELLER_SKU], &r, "si", code, seller_id)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	*sku_id = db_int(r, 0, 0);
	*product_id = db_int(r, 0, 1);
	return E_OK;
}

enum err fx_sku_overrides(struct db *db, struct arena *a, const char *codes_json, const char *currency,
			  const char ***codes, int64_t **prices, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*codes = NULL;
	*prices = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_PRODUCT_OVERRIDES], &r, "ss", codes_json, currency)))
		return e;
	if (!r->nrows)
		return E_OK;
	*codes = arena_calloc(a, r->nrows, sizeof(**codes));
	*prices = arena_calloc(a, r->nrows, sizeof(**prices));
	if (!*codes || !*prices)
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		(*codes)[i] = db_cell(r, i, 0);
		(*prices)[i] = db_int(r, i, 1);
	}
	*n = r->nrows;
	return E_OK;
}

enum err fx_from_prices(struct db *db, struct arena *a, const char *ids_json, const struct fx_quote_rate *rate,
			int64_t **ids, int64_t **prices, size_t *n)
{
	struct db_res *r = NULL;
	int64_t *shop, *own;
	size_t from = 0;
	enum err e;

	*ids = NULL;
	*prices = NULL;
	*n = 0;
	if (!rate || !rate->currency || !strcmp(rate->currency, fx_shop_currency()))
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_PRODUCT_SKUS], &r, "ss", ids_json, rate->currency)))
		return e;
	if (!r->nrows)
		return E_OK;
	*ids = arena_calloc(a, r->nrows, sizeof(**ids));
	*prices = arena_calloc(a, r->nrows, sizeof(**prices));
	shop = arena_calloc(a, r->nrows, sizeof(*shop));
	own = arena_calloc(a, r->nrows, sizeof(*own));
	if (!*ids || !*prices || !shop || !own)
		return E_NOMEM;
	for (size_t i = 0, owned = 0; i < r->nrows; i++) {
		shop[i] = db_int(r, i, 1);
		own[i] = db_int(r, i, 2);
		owned |= own[i] >= 0;
		/* the last row of a product: its SKUs are from..i; listed only
		 * when one has an own price */
		if (i + 1 == r->nrows || db_int(r, i + 1, 0) != db_int(r, i, 0)) {
			if (owned) {
				(*ids)[*n] = db_int(r, i, 0);
				(*prices)[*n] = fx_from_price(shop + from, own + from, i + 1 - from, rate->currency,
							      rate->rate);
				(*n)++;
			}
			from = i + 1;
			owned = 0;
		}
	}
	return E_OK;
}

#define FX_FILE_MAX (4 << 20)
#define FX_RATES_MAX 100000

int fx_load_cmd(int argc, char **argv)
{
	struct arena *a = NULL;
	struct db *db = NULL;
	struct fx_ecb_rate *r = NULL;
	char *text = NULL, err[160];
	size_t len = 0, n = 0, days = 0;
	const char *latest = NULL;
	FILE *f = NULL;
	enum err e;
	int rc = 1;

	if (argc != 2)
		return 2;
	if (!(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "fx-load: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!(text = malloc(FX_FILE_MAX + 1)) || !(r = calloc(FX_RATES_MAX, sizeof(*r))))
		goto out;
	len = fread(text, 1, FX_FILE_MAX + 1, f);
	if (len > FX_FILE_MAX) {
		fprintf(stderr, "fx-load: %s: larger than %d bytes: not an ECB rates file\n", argv[1], FX_FILE_MAX);
		goto out;
	}
	if (memchr(text, '\0', len) || fx_ecb_parse(text, len, r, FX_RATES_MAX, &n, err, sizeof(err))) {
		fprintf(stderr, "fx-load: %s: %s; nothing loaded\n", argv[1],
			memchr(text, '\0', len) ? "binary data, not an ECB rates file" : err);
		goto out;
	}
	fx_init();
	if (!(a = arena_new(1 << 16)))
		goto out;
	if ((e = db_open(&db))) {
		fprintf(stderr, "fx-load: cannot connect to MariaDB: %s\n", err_str(e));
		goto out;
	}
	if ((e = fx_store_rates(db, a, r, n, argv[1], &days, &latest))) {
		fprintf(stderr, "fx-load: %s (%s); nothing loaded\n", err_str(e), db_error(db));
		goto out;
	}
	printf("fx-load: %zu rate%s of %zu day%s loaded (latest %s, per %s)\n", n, n == 1 ? "" : "s", days,
	       days == 1 ? "" : "s", latest ? latest : "-", fx_shop_currency());
	for (size_t i = 0; i < n; i++)
		if (latest && !strcmp(r[i].date, latest) && fx_enabled(r[i].currency)) {
			char rt[32];

			printf("  %s %s\n", r[i].currency, fx_rate_text(r[i].rate, rt, sizeof(rt)));
		}
	rc = 0;
out:
	if (f)
		fclose(f);
	free(text);
	free(r);
	if (db)
		db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}
