/* The money rules of checkout (see pricing.h for the rules themselves).
 *
 * The arithmetic is in pure functions at the top of this file; below them
 * the rate tables are read from MariaDB (shipping_methods, shipping_lanes,
 * shipping_rates, tax_rates) and kept per process for PRICING_TTL seconds,
 * like the catalog's categories: they are read on every checkout page and
 * change rarely. Promo rows are never cached: a quote shows the use count of
 * now, and redemption re-reads the row under a lock anyway. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../account/address.h"
#include "pricing.h"
#include "../fx/fx.h"	/* CURRENCIES (issue 19) */

#define BP_DEN		10000		/* basis points in a whole */
#define PPM_DEN		1000000		/* parts per million in a whole */

/* Columns of a promo row, in the order promo_from_row reads them. */
#define PROMO_COLS \
	"id, code, kind, value, min_subtotal, UNIX_TIMESTAMP(starts_at), " \
	"UNIX_TIMESTAMP(ends_at), usage_limit, used_count, once_per_customer, active, " \
	/* issue 19 (admin console): the limit per shopper and the scope */ \
	"per_customer, EXISTS (SELECT 1 FROM promo_categories pc WHERE pc.promo_id = promo_codes.id) OR " \
	"EXISTS (SELECT 1 FROM promo_sellers ps WHERE ps.promo_id = promo_codes.id)"

enum {
	Q_METHODS, Q_LANES, Q_RATES, Q_TAXES, Q_PROMO_BY_CODE, Q_PROMO_USES, Q_PROMO_LOCK,
	Q_ORDER_REDEMPTION, Q_ORDER_REDEMPTION_SHARE, Q_ORDER_REDEMPTION_LOCK,
	Q_REDEEM, Q_TAKE_USE, Q_RELEASE, Q_GIVE_BACK,
	Q_PROMO_USES_LOCK, Q_LINE_ELIGIBLE,	/* issue 19: per-customer limits, scopes */
	Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_METHODS] = { "SELECT code, name FROM shipping_methods WHERE active = 1 "
			"ORDER BY position, code", 0 },
	[Q_LANES] = { "SELECT l.method, l.zone, l.days_min, l.days_max, l.free_over "
		      "FROM shipping_lanes l JOIN shipping_methods m ON m.code = l.method "
		      "WHERE m.active = 1 ORDER BY l.method, l.zone", 0 },
	[Q_RATES] = { "SELECT method, zone, max_grams, price FROM shipping_rates "
		      "ORDER BY method, zone, max_grams", 0 },
	[Q_TAXES] = { "SELECT country, region, rate_ppm, name FROM tax_rates "
		      "ORDER BY country, region", 0 },
	[Q_PROMO_BY_CODE] = { "SELECT " PROMO_COLS " FROM promo_codes WHERE code = ?", 0 },
	[Q_PROMO_USES] = { "SELECT COUNT(*) FROM promo_redemptions "
			   "WHERE promo_id = ? AND user_id = ? AND released_at IS NULL", 0 },
	/* The row lock every redemption and release of a promo goes through. */
	[Q_PROMO_LOCK] = { "SELECT " PROMO_COLS " FROM promo_codes WHERE id = ? FOR UPDATE", 0 },
	[Q_ORDER_REDEMPTION] = { "SELECT promo_id, released_at IS NOT NULL FROM promo_redemptions "
				 "WHERE order_id = ?", 0 },
	[Q_ORDER_REDEMPTION_SHARE] = { "SELECT promo_id, released_at IS NOT NULL FROM promo_redemptions "
				       "WHERE order_id = ? LOCK IN SHARE MODE", 0 },
	[Q_ORDER_REDEMPTION_LOCK] = { "SELECT promo_id, released_at IS NOT NULL FROM promo_redemptions "
				      "WHERE order_id = ? FOR UPDATE", 0 },
	/* once_user_id is the user for a once-per-customer promo and NULL
	 * otherwise; its unique key with promo_id is what finally keeps a
	 * shopper to one live use (0 binds as NULL for both user columns). */
	[Q_REDEEM] = { "INSERT INTO promo_redemptions (promo_id, user_id, order_id, once_user_id) "
		       "VALUES (?, NULLIF(?, 0), ?, NULLIF(?, 0))", 0 },
	[Q_TAKE_USE] = { "UPDATE promo_codes SET used_count = used_count + 1 "
			 "WHERE id = ? AND (usage_limit IS NULL OR used_count < usage_limit)", 0 },
	[Q_RELEASE] = { "UPDATE promo_redemptions SET released_at = NOW(3), once_user_id = NULL "
			"WHERE order_id = ? AND released_at IS NULL", 0 },
	[Q_GIVE_BACK] = { "UPDATE promo_codes SET used_count = used_count - 1 "
			  "WHERE id = ? AND used_count > 0", 0 },
	/* issue 19 (admin console). A limit above one use per shopper is
	 * counted under the promo row's lock (every redemption of the promo
	 * waits on it), with a locking read: the latest rows, not the
	 * snapshot. */
	[Q_PROMO_USES_LOCK] = { "SELECT COUNT(*) FROM promo_redemptions "
				"WHERE promo_id = ? AND user_id = ? AND released_at IS NULL LOCK IN SHARE MODE", 0 },
	/* A line's SKU is in the promo's scope: sold by one of its sellers,
	 * or in one of its categories or below one (three levels: the
	 * catalog's tree is two deep). */
	[Q_LINE_ELIGIBLE] = { "SELECT 1 FROM skus s JOIN products p ON p.id = s.product_id "
			      "LEFT JOIN categories c1 ON c1.id = p.category_id "
			      "LEFT JOIN categories c2 ON c2.id = c1.parent_id "
			      "WHERE s.id = ? AND (EXISTS (SELECT 1 FROM promo_sellers x "
			      "WHERE x.promo_id = ? AND x.seller_id = p.seller_id) "
			      "OR EXISTS (SELECT 1 FROM promo_categories x WHERE x.promo_id = ? "
			      "AND x.category_id IN (p.category_id, c1.parent_id, c2.parent_id)))", 0 },
};

void pricing_init(void)
{
	db_register(sql, Q_COUNT);
	pricing_promo_guest_init();
}

/* ---- arithmetic ---- */

int64_t pricing_round_half_up(int64_t num, int64_t den)
{
	int64_t q, r;

	if (den <= 0)
		return 0;
	q = num / den;
	r = num % den;		/* |r| < den, the sign of num */
	/* |r| >= den - |r| is 2|r| >= den without the overflow. */
	if (r > 0 && r >= den - r)
		q++;
	else if (r < 0 && -r >= den + r)
		q--;
	return q;
}

enum err pricing_sum_lines(const struct pricing_line *lines, size_t n,
			   int64_t *subtotal, int64_t *weight_g)
{
	int64_t sum = 0, weight = 0, t, w;

	if (!lines || n < 1 || n > PRICING_MAX_LINES)
		return E_INVAL;
	for (size_t i = 0; i < n; i++) {
		const struct pricing_line *l = &lines[i];

		if (l->quantity < 1 || l->quantity > PRICING_MAX_QTY || l->unit_price < 0 ||
		    l->weight_g < 0)
			return E_INVAL;
		if (__builtin_mul_overflow(l->unit_price, (int64_t)l->quantity, &t) ||
		    t > PRICING_MAX_AMOUNT || __builtin_add_overflow(sum, t, &sum) ||
		    sum > PRICING_MAX_AMOUNT)
			return E_TOOBIG;
		if (__builtin_mul_overflow((int64_t)l->weight_g, (int64_t)l->quantity, &w) ||
		    __builtin_add_overflow(weight, w, &weight))
			return E_TOOBIG;
	}
	if (subtotal)
		*subtotal = sum;
	if (weight_g)
		*weight_g = weight;
	return E_OK;
}

static int64_t line_total(const struct pricing_line *l)
{
	/* Only after pricing_sum_lines accepted the lines: cannot overflow. */
	return l->unit_price * l->quantity;
}

/* Whether line i comes before line j when the leftover cents are handed out:
 * larger remainder, then larger line total, then earlier line. */
static int ranks_before(const struct pricing_line *lines, int64_t d, int64_t s, size_t i, size_t j)
{
	int64_t ti = line_total(&lines[i]), tj = line_total(&lines[j]);
	int64_t ri = d * ti % s, rj = d * tj % s;

	if (ri != rj)
		return ri > rj;
	if (ti != tj)
		return ti > tj;
	return i < j;
}

enum err pricing_allocate_discount(struct pricing_line *lines, size_t n, int64_t discount,
				   int64_t *allocated)
{
	int64_t s, d, left, share;
	size_t i, k, prev = 0;
	enum err e;

	if ((e = pricing_sum_lines(lines, n, &s, NULL)))
		return e;
	d = discount < 0 ? 0 : discount > s ? s : discount;
	left = d;
	for (i = 0; i < n; i++) {
		/* d, the line total and s are at most PRICING_MAX_AMOUNT (1e9),
		 * so d x total fits (1e18 < 9.2e18); checked all the same. */
		if (s == 0) {
			lines[i].discount = 0;
			continue;
		}
		if (__builtin_mul_overflow(d, line_total(&lines[i]), &share))
			return E_TOOBIG;
		lines[i].discount = share / s;
		left -= lines[i].discount;
	}
	/* Fewer than n cents are left (each line lost less than one), and the
	 * lines that get one have a non-zero remainder: a line's discount
	 * never passes its total. Selection by rank, without sorting or
	 * allocating: pick the best line ranked after the previous pick. */
	for (k = 0; k < (size_t)left; k++) {
		size_t best = n;

		for (i = 0; i < n; i++)
			if ((k == 0 || ranks_before(lines, d, s, prev, i)) &&
			    (best == n || ranks_before(lines, d, s, i, best)))
				best = i;
		if (best == n)
			return E_INTERNAL;	/* cannot happen: see above */
		lines[best].discount++;
		prev = best;
	}
	if (allocated)
		*allocated = d;
	return E_OK;
}

enum err pricing_tax_lines(struct pricing_line *lines, size_t n, int rate_ppm, int64_t *tax)
{
	int64_t sum = 0, base, prod;
	enum err e;

	if (rate_ppm < 0 || rate_ppm > PPM_DEN)
		return E_INVAL;
	if ((e = pricing_sum_lines(lines, n, NULL, NULL)))
		return e;
	for (size_t i = 0; i < n; i++) {
		base = line_total(&lines[i]) - lines[i].discount;
		if (lines[i].discount < 0 || base < 0)
			return E_INVAL;
		if (__builtin_mul_overflow(base, (int64_t)rate_ppm, &prod))
			return E_TOOBIG;
		lines[i].tax = pricing_round_half_up(prod, PPM_DEN);
		if (__builtin_add_overflow(sum, lines[i].tax, &sum))
			return E_TOOBIG;
	}
	if (tax)
		*tax = sum;
	return E_OK;
}

int64_t pricing_promo_discount(const struct pricing_promo *p, int64_t subtotal)
{
	int64_t d;

	if (!p || subtotal <= 0)
		return 0;
	switch (p->kind) {
	case PRICING_PERCENT:
		if (p->value < 1 || p->value > BP_DEN)
			return 0;
		/* subtotal = a x 10000 + b, so subtotal x v / 10000 is
		 * a x v + b x v / 10000 and only the second part has a
		 * fraction: exact, and no product exceeds subtotal or 1e8. */
		d = subtotal / BP_DEN * p->value +
		    pricing_round_half_up(subtotal % BP_DEN * p->value, BP_DEN);
		break;
	case PRICING_FIXED:
		if (p->value < 1)
			return 0;
		d = p->value;
		break;
	default:
		return 0;
	}
	return d > subtotal ? subtotal : d;
}

/* ---- formatting ---- */

char *pricing_format_money(int64_t cents, char *buf, size_t buflen)
{
	/* The magnitude as unsigned, so INT64_MIN has one too. */
	uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	uint64_t dollars = mag / 100;
	char digits[32], grouped[40];
	int nd, ng = 0;

	nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)dollars);
	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			grouped[ng++] = ',';
		grouped[ng++] = digits[i];
	}
	grouped[ng] = '\0';
	snprintf(buf, buflen, "%s$%s.%02u", cents < 0 ? "-" : "", grouped, (unsigned)(mag % 100));
	return buf;
}

/* "0.5 kg", "7.25 kg", "30 kg": for the reasons shown to shoppers. */
static const char *format_kg(struct arena *a, int64_t grams)
{
	char frac[8];
	int len;

	if (grams % 1000 == 0)
		return arena_printf(a, "%lld kg", (long long)(grams / 1000));
	len = snprintf(frac, sizeof(frac), "%03d", (int)(grams % 1000));
	while (len > 0 && frac[len - 1] == '0')
		frac[--len] = '\0';
	return arena_printf(a, "%lld.%s kg", (long long)(grams / 1000), frac);
}

/* ---- promo codes ---- */

int pricing_promo_normalise(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen)
		out[0] = '\0';
	if (!in || outlen < PRICING_CODE_MAX + 1)
		return -1;
	while (*in == ' ' || *in == '\t')
		in++;
	for (; *in; in++) {
		char c = *in;

		if (c == ' ' || c == '\t') {
			/* Trailing blanks only. */
			while (*in == ' ' || *in == '\t')
				in++;
			if (*in)
				goto bad;
			break;
		}
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') ||
		    n >= PRICING_CODE_MAX)
			goto bad;
		out[n++] = c;
	}
	if (n < PRICING_CODE_MIN)
		goto bad;
	out[n] = '\0';
	return 0;
bad:
	out[0] = '\0';
	return -1;
}

/* Everything pricing_promo_check checks except the minimum subtotal, which
 * redemption does not check again. */
static const char *promo_state_error(const struct pricing_promo *p, int64_t now,
				     int64_t user_id, int64_t user_uses)
{
	if (!p->active)
		return "This promo code is no longer available.";
	if (p->starts_at && now < p->starts_at)
		return "This promo code is not valid yet.";
	if (p->ends_at && now >= p->ends_at)
		return "This promo code has expired.";
	if (p->usage_limit >= 0 && p->used_count >= p->usage_limit)
		return "This promo code has been used up.";
	if (p->once_per_customer) {
		if (user_id <= 0)
			return "Sign in to use this promo code: it can be used once per customer.";
		if (user_uses > 0)
			return "You have already used this promo code.";
	}
	/* issue 19: a limit of several uses per shopper */
	if (p->per_customer > 1) {
		if (user_id <= 0)
			return "Sign in to use this promo code: each customer may use it a limited number of times.";
		if (user_uses >= p->per_customer)
			return "You have used this promo code as many times as it allows.";
	}
	return NULL;
}

const char *pricing_promo_check(const struct pricing_promo *p, int64_t subtotal, int64_t now,
				int64_t user_id, int64_t user_uses, char *buf, size_t buflen)
{
	const char *m = promo_state_error(p, now, user_id, user_uses);
	char more[32], need[32];

	if (m)
		return m;
	if (subtotal < p->min_subtotal) {
		if (!buf || buflen < 2)
			return "Your subtotal is below this promo code's minimum.";
		snprintf(buf, buflen, "Add %s more to use this promo code (it needs a subtotal of %s).",
			 pricing_format_money(p->min_subtotal - subtotal, more, sizeof(more)),
			 pricing_format_money(p->min_subtotal, need, sizeof(need)));
		return buf;
	}
	return NULL;
}

/* ---- zones, tax, shipping ---- */

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* A two-letter code upper-cased into out (ASCII only, whatever the locale);
 * -1 when s is not two letters. */
static int upper2(const char *s, char out[3])
{
	if (!s || !s[0] || !s[1] || s[2])
		return -1;
	out[0] = ascii_upper(s[0]);
	out[1] = ascii_upper(s[1]);
	out[2] = '\0';
	return out[0] >= 'A' && out[0] <= 'Z' && out[1] >= 'A' && out[1] <= 'Z' ? 0 : -1;
}

/* In: a list of two-letter codes separated by spaces. */
static int in_list(const char *list, const char code[3])
{
	for (const char *p = list; *p; p += p[2] ? 3 : 2)
		if (p[0] == code[0] && p[1] == code[1])
			return 1;
	return 0;
}

static const char eu_members[] =
	"AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK";
/* Alaska, Hawaii, the territories, the freely associated states and the
 * military post offices: US mail reaches them, at other rates and times. */
static const char us_remote_regions[] = "AK HI PR VI GU AS MP UM FM MH PW AA AE AP";
static const char us_territories[] = "PR VI GU AS MP UM";

int pricing_eu_member(const char *country)
{
	char cc[3];

	return upper2(country, cc) == 0 && in_list(eu_members, cc);
}

const char *pricing_zone(const char *country, const char *region)
{
	char cc[3], rr[3];

	if (upper2(country, cc))
		return PRICING_ZONE_INTL;
	if (!strcmp(cc, "US"))
		return upper2(region, rr) == 0 && in_list(us_remote_regions, rr) ?
		       PRICING_ZONE_US_REMOTE : PRICING_ZONE_US;
	if (in_list(us_territories, cc))
		return PRICING_ZONE_US_REMOTE;
	if (!strcmp(cc, "CA"))
		return PRICING_ZONE_CA;
	if (in_list(eu_members, cc))
		return PRICING_ZONE_EU;
	return PRICING_ZONE_INTL;
}

const struct pricing_tax *pricing_tax_find(const struct pricing_tax *tab, size_t n,
					   const char *country, const char *region)
{
	const struct pricing_tax *whole = NULL;

	if (!country)
		return NULL;
	if (!region)
		region = "";
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(tab[i].country, country))
			continue;
		if (!tab[i].region[0])
			whole = &tab[i];
		else if (region[0] && !strcasecmp(tab[i].region, region))
			return &tab[i];
	}
	return whole;
}

/* The band for a weight: the smallest max_grams at or above it (the bands
 * need not be sorted); NULL when the weight is above them all. */
static const struct pricing_band *band_for(const struct pricing_lane *l, int64_t weight_g)
{
	const struct pricing_band *best = NULL;

	for (size_t i = 0; i < l->nbands; i++)
		if (l->bands[i].max_grams >= weight_g &&
		    (!best || l->bands[i].max_grams < best->max_grams))
			best = &l->bands[i];
	return best;
}

static int64_t max_grams(const struct pricing_lane *l)
{
	int64_t m = 0;

	for (size_t i = 0; i < l->nbands; i++)
		if (l->bands[i].max_grams > m)
			m = l->bands[i].max_grams;
	return m;
}

enum err pricing_lane_price(const struct pricing_lane *l, int64_t weight_g, int64_t goods,
			    int64_t *price)
{
	const struct pricing_band *b;

	if (weight_g < 0)
		return E_INVAL;
	if (!(b = band_for(l, weight_g)))
		return E_TOOBIG;
	*price = l->free_over >= 0 && goods >= l->free_over ? 0 : b->price;
	return E_OK;
}

static const struct pricing_lane *lane_for(const struct pricing_tables *t, const char *method,
					   const char *zone)
{
	for (size_t i = 0; i < t->nlanes; i++)
		if (!strcmp(t->lanes[i].method, method) && !strcmp(t->lanes[i].zone, zone))
			return &t->lanes[i];
	return NULL;
}

enum err pricing_methods_for(const struct pricing_tables *t, struct arena *a,
			     const struct pricing_dest *dest, int64_t weight_g, int64_t goods,
			     struct pricing_method **out, size_t *nout)
{
	const char *zone = pricing_zone(dest ? dest->country : NULL, dest ? dest->region : NULL);
	struct pricing_method *v;

	*out = NULL;
	*nout = 0;
	if (!(v = arena_calloc(a, t->nmethods + 1, sizeof(*v))))
		return E_NOMEM;
	for (size_t i = 0; i < t->nmethods; i++) {
		const struct pricing_lane *l = lane_for(t, t->methods[i].code, zone);
		struct pricing_method *m = &v[i];
		enum err e;

		m->code = arena_strdup(a, t->methods[i].code);
		m->name = arena_strdup(a, t->methods[i].name);
		if (!m->code || !m->name)
			return E_NOMEM;
		if (!l) {
			m->why_unavailable = arena_printf(a, "%s is not available for this address.", m->name);
		} else if ((e = pricing_lane_price(l, weight_g, goods, &m->price)) == E_TOOBIG) {
			m->why_unavailable = arena_printf(a, "%s takes parcels up to %s; this order weighs %s.",
							  m->name, format_kg(a, max_grams(l)),
							  format_kg(a, weight_g));
		} else if (e) {
			return e;
		} else {
			m->available = 1;
			m->free = m->price == 0 && l->free_over >= 0 && goods >= l->free_over;
			m->days_min = l->days_min;
			m->days_max = l->days_max;
		}
		if (!m->available && !m->why_unavailable)
			return E_NOMEM;
	}
	*out = v;
	*nout = t->nmethods;
	return E_OK;
}

/* A known ISO 3166-1 code, in any case (zones and tax ignore case too). */
static int country_ok(const struct pricing_dest *dest)
{
	char cc[3];

	return dest && upper2(dest->country, cc) == 0 && address_country_known(cc);
}

/* issue 19: the discount of a scoped promo, computed on the eligible
 * lines' subtotal and allocated over them (the others get 0). */
static enum err allocate_eligible(struct arena *a, struct pricing_line *lines, size_t n,
				  const struct pricing_promo *promo, int64_t *discount)
{
	struct pricing_line *sub;
	size_t k = 0, j = 0;
	int64_t s;
	enum err e;

	if (!(sub = arena_calloc(a, n ? n : 1, sizeof(*sub))))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		lines[i].discount = 0;
		if (promo->eligible[i])
			sub[k++] = lines[i];
	}
	if ((e = pricing_sum_lines(sub, k, &s, NULL)) ||
	    (e = pricing_allocate_discount(sub, k, pricing_promo_discount(promo, s), discount)))
		return e;
	for (size_t i = 0; i < n; i++)
		if (promo->eligible[i])
			lines[i].discount = sub[j++].discount;
	return E_OK;
}

enum err pricing_quote_for(const struct pricing_tables *t, struct arena *a,
			   struct pricing_line *lines, size_t n, const struct pricing_dest *dest,
			   const char *method, const struct pricing_promo *promo,
			   struct pricing_quote *q)
{
	const struct pricing_tax *tx;
	const struct pricing_method *m = NULL;
	int64_t goods;
	enum err e;

	memset(q, 0, sizeof(*q));
	q->currency = PRICING_CURRENCY;
	q->tax_name = "";
	if (!country_ok(dest)) {
		q->method_error = "The address's country is not a known country code.";
		return E_INVAL;
	}
	if ((e = pricing_sum_lines(lines, n, &q->subtotal, &q->weight_g)))
		return e;
	if (promo) {
		q->promo_id = promo->id;
		if (promo->code && !(q->promo_code = arena_strdup(a, promo->code)))
			return E_NOMEM;
	}
	if (promo && promo->eligible) {
		/* issue 19: a scoped promo's discount is on its lines alone,
		 * spread over them by the same rule */
		if ((e = allocate_eligible(a, lines, n, promo, &q->discount)))
			return e;
	} else if ((e = pricing_allocate_discount(lines, n, pricing_promo_discount(promo, q->subtotal),
						  &q->discount))) {
		return e;
	}
	q->zone = pricing_zone(dest->country, dest->region);
	if ((tx = pricing_tax_find(t->taxes, t->ntaxes, dest->country, dest->region))) {
		q->tax_rate_ppm = tx->rate_ppm;
		if (!(q->tax_name = arena_strdup(a, tx->name)))
			return E_NOMEM;
	}
	if ((e = pricing_tax_lines(lines, n, q->tax_rate_ppm, &q->tax)))
		return e;
	goods = q->subtotal - q->discount;
	if ((e = pricing_methods_for(t, a, dest, q->weight_g, goods, &q->methods, &q->nmethods)))
		return e;
	/* Without a shipping price the total is what is known so far. */
	q->total = goods + q->tax;

	if (method && *method) {
		for (size_t i = 0; i < q->nmethods && !m; i++)
			if (!strcmp(q->methods[i].code, method))
				m = &q->methods[i];
		if (!m) {
			q->method_error = "There is no such shipping method.";
			return E_INVAL;
		}
		if (!m->available) {
			q->method_error = m->why_unavailable;
			return E_INVAL;
		}
	} else {
		for (size_t i = 0; i < q->nmethods && !m; i++)
			if (q->methods[i].available)
				m = &q->methods[i];
		if (!m) {
			q->method_error = "No shipping method can take this order to this address.";
			return E_INVAL;
		}
	}
	q->method = m->code;
	q->method_name = m->name;
	q->days_min = m->days_min;
	q->days_max = m->days_max;
	q->shipping = m->price;
	if (__builtin_add_overflow(q->total, q->shipping, &q->total))
		return E_TOOBIG;
	return E_OK;
}

/* ---- rate tables from MariaDB (process cache) ---- */

static struct {
	struct arena *mem;	/* owns every table and string below */
	struct pricing_tables t;
	struct timespec loaded;	/* CLOCK_MONOTONIC: immune to clock changes */
} cache;

void pricing_cache_clear(void)
{
	arena_destroy(cache.mem);
	memset(&cache, 0, sizeof(cache));
}

static int cache_fresh(const struct timespec *now)
{
	return cache.mem && now->tv_sec - cache.loaded.tv_sec < PRICING_TTL;
}

static int64_t cell_int(const struct db_res *r, size_t row, size_t col, int64_t if_null)
{
	return db_cell(r, row, col) ? db_int(r, row, col) : if_null;
}

/* Reads the four tables into a new arena *memp (the caller's on success). */
static enum err tables_read(struct db *db, struct arena *a, struct arena **memp,
			    struct pricing_tables *t)
{
	struct db_res *rm = NULL, *rl = NULL, *rr = NULL, *rt = NULL;
	struct pricing_method_def *methods;
	struct pricing_lane *lanes;
	struct pricing_band *bands;
	struct pricing_tax *taxes;
	struct arena *mem = NULL;
	size_t i, j, nb = 0;
	enum err e;

	if ((e = db_exec(db, a, &sql[Q_METHODS], &rm, "")) ||
	    (e = db_exec(db, a, &sql[Q_LANES], &rl, "")) ||
	    (e = db_exec(db, a, &sql[Q_RATES], &rr, "")) ||
	    (e = db_exec(db, a, &sql[Q_TAXES], &rt, "")))
		goto out;
	e = E_NOMEM;
	if (!rm || !rl || !rr || !rt || !(mem = arena_new(16 * 1024)))
		goto out;
	methods = arena_calloc(mem, rm->nrows + 1, sizeof(*methods));
	lanes = arena_calloc(mem, rl->nrows + 1, sizeof(*lanes));
	bands = arena_calloc(mem, rr->nrows + 1, sizeof(*bands));
	taxes = arena_calloc(mem, rt->nrows + 1, sizeof(*taxes));
	if (!methods || !lanes || !bands || !taxes)
		goto out;
	for (i = 0; i < rm->nrows; i++) {
		methods[i].code = arena_strdup(mem, db_cell(rm, i, 0));
		methods[i].name = arena_strdup(mem, db_cell(rm, i, 1));
		if (!methods[i].code || !methods[i].name)
			goto out;
	}
	for (i = 0; i < rl->nrows; i++) {
		struct pricing_lane *l = &lanes[i];

		l->method = arena_strdup(mem, db_cell(rl, i, 0));
		l->zone = arena_strdup(mem, db_cell(rl, i, 1));
		if (!l->method || !l->zone)
			goto out;
		l->days_min = (int)db_int(rl, i, 2);
		l->days_max = (int)db_int(rl, i, 3);
		l->free_over = cell_int(rl, i, 4, -1);
		/* Rates come sorted by method, zone, weight: a lane's bands
		 * are the matching rows, in order. */
		l->bands = &bands[nb];
		for (j = 0; j < rr->nrows; j++) {
			if (strcmp(db_cell(rr, j, 0), l->method) || strcmp(db_cell(rr, j, 1), l->zone))
				continue;
			bands[nb].max_grams = db_int(rr, j, 2);
			bands[nb].price = db_int(rr, j, 3);
			nb++;
			l->nbands++;
		}
	}
	for (i = 0; i < rt->nrows; i++) {
		taxes[i].country = arena_strdup(mem, db_cell(rt, i, 0));
		taxes[i].region = arena_strdup(mem, db_cell(rt, i, 1));
		taxes[i].rate_ppm = (int)db_int(rt, i, 2);
		taxes[i].name = arena_strdup(mem, db_cell(rt, i, 3));
		if (!taxes[i].country || !taxes[i].region || !taxes[i].name)
			goto out;
	}
	t->methods = methods;
	t->nmethods = rm->nrows;
	t->lanes = lanes;
	t->nlanes = rl->nrows;
	t->taxes = taxes;
	t->ntaxes = rt->nrows;
	*memp = mem;
	mem = NULL;
	e = E_OK;
out:
	arena_destroy(mem);
	return e;
}

/* The rate tables, from the cache when it is fresh. The result is valid
 * until the next call (a reload frees the old tables). */
static enum err tables_get(struct db *db, struct arena *a, const struct pricing_tables **out)
{
	struct pricing_tables t;
	struct arena *mem = NULL;
	struct timespec now;
	enum err e;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!cache_fresh(&now)) {
		memset(&t, 0, sizeof(t));
		if ((e = tables_read(db, a, &mem, &t))) {
			if (!cache.mem)
				return e;
			/* Stale rates beat no checkout during an outage. */
			log_err("pricing: cannot reload rate tables (%s); using the cached ones",
				err_str(e));
		} else {
			arena_destroy(cache.mem);
			cache.mem = mem;
			cache.t = t;
			cache.loaded = now;
		}
	}
	*out = &cache.t;
	return E_OK;
}

const char *pricing_days_text(struct arena *a, int days_min, int days_max)
{
	if (days_min <= 0)
		return "";
	if (days_max <= days_min)
		return arena_printf(a, "%d business day%s", days_min, days_min == 1 ? "" : "s");
	return arena_printf(a, "%d\u2013%d business days", days_min, days_max);
}

enum err pricing_methods(struct db *db, struct arena *a, const struct pricing_line *lines, size_t n,
			 const struct pricing_dest *dest, int64_t discount,
			 struct pricing_method **out, size_t *nout)
{
	const struct pricing_tables *t;
	int64_t subtotal, weight;
	enum err e;

	*out = NULL;
	*nout = 0;
	if (!country_ok(dest))
		return E_INVAL;
	if ((e = pricing_sum_lines(lines, n, &subtotal, &weight)))
		return e;
	if (discount < 0)
		discount = 0;
	if (discount > subtotal)
		discount = subtotal;
	if ((e = tables_get(db, a, &t)))
		return e;
	return pricing_methods_for(t, a, dest, weight, subtotal - discount, out, nout);
}

/* ---- promo rows ---- */

static void promo_from_row(const struct db_res *r, struct pricing_promo *p)
{
	memset(p, 0, sizeof(*p));
	p->id = db_int(r, 0, 0);
	p->code = db_cell(r, 0, 1);
	p->kind = !strcmp(db_cell(r, 0, 2), "percent") ? PRICING_PERCENT : PRICING_FIXED;
	p->value = db_int(r, 0, 3);
	p->min_subtotal = db_int(r, 0, 4);
	p->starts_at = cell_int(r, 0, 5, 0);
	/* A date before 1970 comes back as 0, which would read as "open":
	 * for an end that means long ago. */
	p->ends_at = cell_int(r, 0, 6, 0);
	if (db_cell(r, 0, 6) && p->ends_at <= 0)
		p->ends_at = 1;
	if (p->starts_at < 0)
		p->starts_at = 0;
	p->usage_limit = cell_int(r, 0, 7, -1);
	p->used_count = db_int(r, 0, 8);
	p->once_per_customer = db_int(r, 0, 9) != 0;
	p->active = db_int(r, 0, 10) != 0;
	/* issue 19 */
	p->per_customer = cell_int(r, 0, 11, -1);
	if (p->once_per_customer)
		p->per_customer = 1;
	p->scoped = db_int(r, 0, 12) != 0;
}

/* issue 19 (admin console): which lines a scoped promo applies to (one
 * query per line: a cart has a few), into p->eligible; the eligible
 * subtotal into *sub. */
static enum err promo_scope(struct db *db, struct arena *a, struct pricing_promo *p,
			    const struct pricing_line *lines, size_t n, int64_t *sub)
{
	unsigned char *el;
	struct db_res *r = NULL;
	enum err e;

	*sub = 0;
	if (!(el = arena_calloc(a, n ? n : 1, 1)))
		return E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((e = db_exec(db, a, &sql[Q_LINE_ELIGIBLE], &r, "iii", lines[i].sku_id, p->id, p->id)))
			return e;
		el[i] = r && r->nrows > 0;
		if (el[i])
			*sub += lines[i].unit_price * lines[i].quantity;
	}
	p->eligible = el;
	return E_OK;
}

/* CURRENCIES (issue 19): the currency pricing_quote_in asks for while it
 * calls pricing_quote (a worker is one thread: set and cleared around the
 * one call), and the tables and promo in it. */
static struct {
	const char *currency;
	int64_t rate;
} quote_in;

static enum err tables_in_currency(struct arena *a, const struct pricing_tables **t)
{
	struct pricing_tables *c = arena_alloc(a, sizeof(*c));
	struct pricing_lane *lanes;

	if (!c || !(lanes = arena_calloc(a, (*t)->nlanes + 1, sizeof(*lanes))))
		return E_NOMEM;
	*c = **t;
	for (size_t i = 0; i < c->nlanes; i++) {
		struct pricing_band *bands = arena_calloc(a, (*t)->lanes[i].nbands + 1, sizeof(*bands));

		if (!bands)
			return E_NOMEM;
		lanes[i] = (*t)->lanes[i];
		if (lanes[i].free_over >= 0)
			lanes[i].free_over = fx_convert(lanes[i].free_over, quote_in.currency, quote_in.rate);
		for (size_t j = 0; j < lanes[i].nbands; j++) {
			bands[j] = (*t)->lanes[i].bands[j];
			bands[j].price = fx_convert(bands[j].price, quote_in.currency, quote_in.rate);
		}
		lanes[i].bands = bands;
	}
	c->lanes = lanes;
	*t = c;
	return E_OK;
}

enum err pricing_quote_in(struct db *db, struct arena *a, struct pricing_line *lines, size_t n,
			  const struct pricing_dest *dest, const char *method, const char *promo_code,
			  int64_t user_id, int64_t now, const char *currency, int64_t rate,
			  struct pricing_quote *q)
{
	enum err e;

	if (!currency || !strcmp(currency, PRICING_CURRENCY) || rate <= 0)
		return pricing_quote(db, a, lines, n, dest, method, promo_code, user_id, now, q);
	quote_in.currency = currency;
	quote_in.rate = rate;
	e = pricing_quote(db, a, lines, n, dest, method, promo_code, user_id, now, q);
	quote_in.currency = NULL;
	quote_in.rate = 0;
	q->currency = currency;
	return e;
}

enum err pricing_quote(struct db *db, struct arena *a, struct pricing_line *lines, size_t n,
		       const struct pricing_dest *dest, const char *method, const char *promo_code,
		       int64_t user_id, int64_t now, struct pricing_quote *q)
{
	const struct pricing_tables *t;
	struct pricing_promo promo, *pp = NULL;
	const char *perr = NULL, *pcode = NULL;
	char code[PRICING_CODE_MAX + 1], msg[160];
	struct db_res *r = NULL;
	int64_t subtotal, uses = 0;
	enum err e;

	memset(q, 0, sizeof(*q));
	q->currency = PRICING_CURRENCY;
	q->tax_name = "";
	if ((e = tables_get(db, a, &t)))
		return e;
	if (quote_in.currency && (e = tables_in_currency(a, &t)))	/* CURRENCIES */
		return e;
	if (promo_code && promo_code[strspn(promo_code, " \t")]) {
		if (pricing_promo_normalise(promo_code, code, sizeof(code))) {
			perr = "That is not a promo code: codes are 3 to 32 letters, digits or hyphens.";
		} else if (!(pcode = arena_strdup(a, code))) {
			return E_NOMEM;
		} else if ((e = pricing_sum_lines(lines, n, &subtotal, NULL))) {
			return e;
		} else if ((e = db_exec(db, a, &sql[Q_PROMO_BY_CODE], &r, "s", code))) {
			return e;
		} else if (!r || r->nrows == 0) {
			perr = arena_printf(a, "There is no promo code %s.", code);
		} else {
			promo_from_row(r, &promo);
			if (quote_in.currency) {	/* CURRENCIES: amounts in the quote's currency */
				if (promo.kind == PRICING_FIXED)
					promo.value = fx_convert(promo.value, quote_in.currency, quote_in.rate);
				promo.min_subtotal = fx_convert(promo.min_subtotal, quote_in.currency, quote_in.rate);
			}
			if (promo.per_customer > 0 && user_id > 0) {
				if ((e = db_exec(db, a, &sql[Q_PROMO_USES], &r, "ii", promo.id, user_id)))
					return e;
				uses = r && r->nrows ? db_int(r, 0, 0) : 0;
			}
			/* CURRENCIES: the amounts of "Add $X more" are in dollars:
			 * in another currency, the sentence without them */
			perr = pricing_promo_check(&promo, subtotal, now, user_id, uses, quote_in.currency ? NULL : msg,
						   sizeof(msg));
			if (perr == msg)
				perr = arena_strdup(a, msg);
			/* issue 19: a promo for some categories or sellers */
			if (!perr && promo.scoped) {
				int64_t sub;

				if ((e = promo_scope(db, a, &promo, lines, n, &sub)))
					return e;
				if (sub <= 0)
					perr = "This promo code does not apply to the items in your cart.";
			}
			if (!perr)
				pp = &promo;
		}
		if (!perr && !pp)
			return E_NOMEM;
	}
	e = pricing_quote_for(t, a, lines, n, dest, method, pp, q);
	q->promo_code = pcode;
	q->promo_error = perr;
	return e;
}

/* ---- redemption (inside the caller's transaction) ---- */

/* What an existing redemption of the order means for redeeming promo_id. */
static enum err existing_redemption(const struct db_res *r, int64_t promo_id, const char **why)
{
	if (db_int(r, 0, 0) != promo_id) {
		*why = "This order already uses another promo code.";
		return E_CONFLICT;
	}
	if (db_int(r, 0, 1)) {
		*why = "This order's promo code was given back when the order was cancelled.";
		return E_CONFLICT;
	}
	return E_OK;	/* redeemed already: a retried step */
}

enum err pricing_promo_redeem(struct db *db, struct arena *a, int64_t promo_id, int64_t user_id,
			      int64_t order_id, int64_t now, const char **why)
{
	struct pricing_promo p;
	struct db_res *r = NULL;
	const char *dummy;
	int64_t uses = 0;
	enum err e;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (promo_id <= 0 || order_id <= 0 || user_id < 0)
		return E_INVAL;
	/* A retried step finds its own redemption. A plain read suffices: a
	 * redemption committed before this transaction began is visible, and
	 * one being made concurrently for the same order is caught by the
	 * order's unique key below. (A locking read of a missing key would
	 * take a gap lock, and two such gap locks deadlock the inserts of
	 * two orders redeeming different promos.) */
	if ((e = db_exec(db, a, &sql[Q_ORDER_REDEMPTION], &r, "i", order_id)))
		return e;
	if (r && r->nrows)
		return existing_redemption(r, promo_id, why);

	/* The lock: every redemption of this promo waits here for the one
	 * before it to commit or roll back, and then reads the row as it is
	 * (a locking read sees the latest version, not the snapshot). */
	if ((e = db_exec(db, a, &sql[Q_PROMO_LOCK], &r, "i", promo_id)))
		return e;
	if (!r || r->nrows == 0)
		return E_NOTFOUND;
	promo_from_row(r, &p);
	if (p.once_per_customer && user_id > 0) {
		/* Possibly stale (a snapshot read), so only for the message; the
		 * unique key (promo_id, once_user_id) is the guarantee. */
		if ((e = db_exec(db, a, &sql[Q_PROMO_USES], &r, "ii", promo_id, user_id)))
			return e;
		uses = r && r->nrows ? db_int(r, 0, 0) : 0;
	} else if (p.per_customer > 1 && user_id > 0) {
		/* issue 19: counted under the promo's lock, so exact */
		if ((e = db_exec(db, a, &sql[Q_PROMO_USES_LOCK], &r, "ii", promo_id, user_id)))
			return e;
		uses = r && r->nrows ? db_int(r, 0, 0) : 0;
	}
	if ((*why = promo_state_error(&p, now, user_id, uses)))
		return E_CONFLICT;

	e = db_exec(db, a, &sql[Q_REDEEM], NULL, "iiii", promo_id, user_id, order_id,
		    p.once_per_customer ? user_id : (int64_t)0);
	if (e == E_CONFLICT) {
		/* Either the order's key (a concurrent redemption of the same
		 * order committed first) or this shopper's live use. The row,
		 * if it is the order's, exists now: this locks it alone. */
		if ((e = db_exec(db, a, &sql[Q_ORDER_REDEMPTION_SHARE], &r, "i", order_id)))
			return e;
		if (r && r->nrows)
			return existing_redemption(r, promo_id, why);
		*why = "You have already used this promo code.";
		return E_CONFLICT;
	}
	if (e)
		return e;
	/* Guarded as well as locked, and backed by a CHECK: a use is never
	 * counted past the limit. */
	if ((e = db_exec(db, a, &sql[Q_TAKE_USE], NULL, "i", promo_id)))
		return e;
	if (db_affected(db) != 1) {
		*why = "This promo code has been used up.";
		return E_CONFLICT;
	}
	return E_OK;
}

enum err pricing_promo_release(struct db *db, struct arena *a, int64_t order_id)
{
	struct db_res *r = NULL;
	int64_t promo_id = 0;
	enum err e;

	if (order_id <= 0)
		return E_INVAL;
	/* Locks in the order redemption takes them, promo row first, so a
	 * release and a redemption of one promo cannot deadlock: the plain
	 * read learns which promo (an order's promo never changes). */
	if ((e = db_exec(db, a, &sql[Q_ORDER_REDEMPTION], &r, "i", order_id)))
		return e;
	if (r && r->nrows) {
		promo_id = db_int(r, 0, 0);
		if ((e = db_exec(db, a, &sql[Q_PROMO_LOCK], &r, "i", promo_id)))
			return e;
	}
	if ((e = db_exec(db, a, &sql[Q_ORDER_REDEMPTION_LOCK], &r, "i", order_id)))
		return e;
	if (!r || r->nrows == 0)
		return E_OK;	/* the order never redeemed a promo */
	if (db_int(r, 0, 0) != promo_id) {
		/* Not in this transaction's snapshot: committed since it
		 * began. Lock the promo now. */
		promo_id = db_int(r, 0, 0);
		if ((e = db_exec(db, a, &sql[Q_PROMO_LOCK], &r, "i", promo_id)))
			return e;
	} else if (db_int(r, 0, 1)) {
		return E_OK;	/* released already */
	}
	if ((e = db_exec(db, a, &sql[Q_RELEASE], NULL, "i", order_id)))
		return e;
	if (db_affected(db) == 0)
		return E_OK;	/* released already */
	if ((e = db_exec(db, a, &sql[Q_GIVE_BACK], NULL, "i", promo_id)))
		return e;
	if (db_affected(db) != 1)
		log_err("pricing: promo %lld had no use to give back for order %lld",
			(long long)promo_id, (long long)order_id);
	return E_OK;
}
