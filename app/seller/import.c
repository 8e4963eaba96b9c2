/* The demo catalog importer (`shopctl import FILE`).
 *
 * Input is the dummyjson product list (data/demo/products.json): an array of
 * records, one product with one SKU each. Every record is validated in full
 * before the database is touched, then written in its own transaction
 * (category if new, product, SKU, inventory, reviews, an outbox event), so a
 * bad record is reported and skipped whole while the rest go in.
 *
 * Re-importing a file is idempotent: products are matched by id and SKUs by
 * code and updated in place; reviews are deleted and inserted again; the two
 * inventory rows are *set* to the record's stock split. Setting stock is right
 * for a demo catalog loaded before the shop sells anything; it would clobber
 * sales if run against a live shop, which is why this is a shopctl command and
 * not a seller feature. Each import writes one ProductUpdated outbox event per
 * record, changed or not: consumers are idempotent (docs/design.md section 2).
 *
 * Records are numbered from 0 in messages, as JSON array indexes are. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/text.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../inventory/inventory.h"
#include "../catalog/catalog.h"
#include "listing.h"
#include "import.h"

#define SLUG_MAX	160	/* products.slug */
#define SLUG_BASE_MAX	150	/* room left for a "-ID" suffix */
#define NAME_MAX_CHARS	100	/* reviews.reviewer_name */
#define TEXT_MAX_BYTES	65535	/* TEXT columns */
#define ATTR_MAX	500	/* characters in one attribute value */
#define URL_MAX		500	/* products.thumbnail */
#define IMAGES_MAX	50
#define TAGS_MAX	50
#define REVIEWS_MAX	1000

/* The demo catalog belongs to this seller, seeded by schema.sql. */
#define DEMO_SELLER_SLUG "demo-store"
#define WAREHOUSE_EAST 1
#define WAREHOUSE_WEST 2

enum {
	Q_SELLER, Q_CAT_ID, Q_CAT_INSERT_TOP, Q_CAT_INSERT_LEAF, Q_SLUG_TAKEN,
	Q_PRODUCT_LOCK, Q_PRODUCT_INSERT, Q_PRODUCT_UPDATE, Q_SKU_LOCK,
	Q_SKU_INSERT, Q_SKU_UPDATE, Q_SKU_RETIRE,
	Q_REVIEWS_DELETE, Q_REVIEW_INSERT, Q_COUNT
};

static struct db_sql import_sql[Q_COUNT] = {
	[Q_SELLER] = { "SELECT id FROM sellers WHERE slug = ?", 0 },
	[Q_CAT_ID] = { "SELECT id FROM categories WHERE slug = ?", 0 },
	/* ON DUPLICATE KEY UPDATE id = id ignores a concurrent insert of the
	 * same slug and nothing else (INSERT IGNORE would also hide errors). */
	[Q_CAT_INSERT_TOP] = { "INSERT INTO categories (parent_id, slug, name, position) "
			       "VALUES (NULL, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id", 0 },
	[Q_CAT_INSERT_LEAF] = { "INSERT INTO categories (parent_id, slug, name, position) "
				"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id", 0 },
	[Q_SLUG_TAKEN] = { "SELECT id FROM products WHERE slug = ? AND id <> ? LIMIT 1", 0 },
	[Q_PRODUCT_LOCK] = { "SELECT seller_id FROM products WHERE id = ? FOR UPDATE", 0 },
	[Q_PRODUCT_INSERT] = { "INSERT INTO products (id, seller_id, category_id, slug, title, "
			       "description, brand, status, price, currency, rating_x100, "
			       "review_count, rank_score, stock_total, attributes, images, "
			       "thumbnail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, "
			       "'USD', ?, ?, ?, ?, ?, ?, ?, COALESCE(?, CURRENT_TIMESTAMP(3)))", 0 },
	/* status is left alone: re-importing does not bring back a product
	 * its seller has archived. */
	[Q_PRODUCT_UPDATE] = { "UPDATE products SET category_id = ?, slug = ?, title = ?, "
			       "description = ?, brand = ?, price = ?, currency = 'USD', "
			       "rating_x100 = ?, review_count = ?, rank_score = ?, stock_total = ?, "
			       "attributes = ?, images = ?, thumbnail = ?, "
			       "created_at = COALESCE(?, created_at) WHERE id = ?", 0 },
	[Q_SKU_LOCK] = { "SELECT id, product_id FROM skus WHERE code = ? FOR UPDATE", 0 },
	[Q_SKU_INSERT] = { "INSERT INTO skus (product_id, code, options, price, currency, "
			   "weight_grams, status, position) VALUES (?, ?, '{}', ?, 'USD', ?, 'active', 0)", 0 },
	[Q_SKU_UPDATE] = { "UPDATE skus SET price = ?, currency = 'USD', weight_grams = ?, "
			   "status = 'active', position = 0 WHERE id = ?", 0 },
	/* A record has exactly one SKU: one the product had under another
	 * code (the file changed) stops being sold and stops counting; its
	 * shelf is emptied through the inventory module (a movement each). */
	[Q_SKU_RETIRE] = { "UPDATE skus SET status = 'inactive' WHERE product_id = ? AND id <> ?", 0 },
	/* Only the file's own reviews: shoppers' (user_id set, issue 17) stay. */
	[Q_REVIEWS_DELETE] = { "DELETE FROM reviews WHERE product_id = ? AND user_id IS NULL", 0 },
	[Q_REVIEW_INSERT] = { "INSERT INTO reviews (product_id, rating, comment, reviewer_name, "
			      "created_at) VALUES (?, ?, ?, ?, COALESCE(?, CURRENT_TIMESTAMP(3)))", 0 },
};

void catalog_import_init(void)
{
	db_register(import_sql, Q_COUNT);
}

/* ---- pure helpers ---- */

enum err catalog_parse_price(const char *s, int64_t *cents)
{
	return money_parse(s, MONEY_JSON, CATALOG_PRICE_MAX_CENTS, cents) ? E_INVAL : E_OK;
}

size_t catalog_number_text(double d, char *out, size_t n)
{
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return strlen(out);
}

enum err catalog_price_from_double(double d, int64_t *cents)
{
	char text[40];

	if (!isfinite(d) || d < 0)
		return E_INVAL;
	if (d == 0) {
		*cents = 0;
		return E_OK;
	}
	catalog_number_text(d, text, sizeof(text));
	return catalog_parse_price(text, cents);
}

size_t catalog_slugify(const char *title, char *out, size_t max)
{
	size_t n = 0;
	int sep = 0;

	for (; *title; title++) {
		unsigned char c = (unsigned char)*title;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			sep = 1;
			continue;
		}
		if (sep && n > 0) {
			if (n + 2 > max)
				break;
			out[n++] = '-';
		}
		sep = 0;
		if (n + 1 > max)
			break;
		out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out[n] = '\0';
	return n;
}

void catalog_stock_split(int64_t stock, int64_t *east, int64_t *west)
{
	/* ceil(stock * 3 / 5) in integers: no float, exact for every stock. */
	*east = (stock * 3 + 4) / 5;
	*west = stock - *east;
}

/* The popularity behind the "relevance" (Featured) sort of category pages:
 * mostly the rating (up to 2000 points for 5 stars), then how much it is
 * reviewed (10 points a review, up to 50 reviews), then a little for being in
 * stock (up to 100 points), so well-rated, much-reviewed, available products
 * come first. Ties are broken by id in the listing query. */
int64_t catalog_rank_score(int64_t rating_x100, int64_t review_count, int64_t stock)
{
	return rating_x100 * 4 + (review_count < 50 ? review_count : 50) * 10 +
	       (stock < 100 ? stock : 100);
}

static const struct {
	const char *slug, *name;
} parents[] = {
	{ "beauty-personal-care", "Beauty & Personal Care" },
	{ "fashion", "Fashion" },
	{ "electronics", "Electronics" },
	{ "home-kitchen", "Home & Kitchen" },
	{ "food-drink", "Food & Drink" },
	{ "vehicles", "Vehicles" },
	{ "sports-outdoors", "Sports & Outdoors" },
	{ "other", "Other" },		/* last: where unknown categories go */
};
#define PARENT_OTHER (sizeof(parents) / sizeof(parents[0]) - 1)

/* In display order within each parent. */
static const struct {
	const char *slug, *name;
	unsigned parent;
} leaves[] = {
	{ "beauty", "Beauty", 0 },
	{ "fragrances", "Fragrances", 0 },
	{ "skin-care", "Skin Care", 0 },
	{ "mens-shirts", "Men's Shirts", 1 },
	{ "mens-shoes", "Men's Shoes", 1 },
	{ "mens-watches", "Men's Watches", 1 },
	{ "tops", "Tops", 1 },
	{ "womens-dresses", "Women's Dresses", 1 },
	{ "womens-shoes", "Women's Shoes", 1 },
	{ "womens-watches", "Women's Watches", 1 },
	{ "womens-bags", "Women's Bags", 1 },
	{ "womens-jewellery", "Women's Jewellery", 1 },
	{ "sunglasses", "Sunglasses", 1 },
	{ "smartphones", "Smartphones", 2 },
	{ "laptops", "Laptops", 2 },
	{ "tablets", "Tablets", 2 },
	{ "mobile-accessories", "Mobile Accessories", 2 },
	{ "furniture", "Furniture", 3 },
	{ "home-decoration", "Home Decoration", 3 },
	{ "kitchen-accessories", "Kitchen Accessories", 3 },
	{ "groceries", "Groceries", 4 },
	{ "motorcycle", "Motorcycles", 5 },
	{ "vehicle", "Cars", 5 },
	{ "sports-accessories", "Sports Accessories", 6 },
};

int catalog_slug_valid(const char *s)
{
	size_t n = 0;
	int prev_dash = 1;	/* no '-' first */

	for (; *s; s++, n++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			prev_dash = 0;
		else if (*s == '-' && !prev_dash)
			prev_dash = 1;
		else
			return 0;
	}
	return n >= 1 && n <= 64 && !prev_dash;
}

int catalog_sku_valid(const char *s)
{
	return listing_code_ok(s);
}

enum err catalog_category_map(const char *slug, struct catalog_category *out)
{
	size_t i, pos = 0, n = 0;
	int up = 1;

	memset(out, 0, sizeof(*out));
	if (!slug || !catalog_slug_valid(slug))
		return E_INVAL;
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		if (strcmp(leaves[i].slug, slug) == 0) {
			out->parent_slug = parents[leaves[i].parent].slug;
			out->parent_name = parents[leaves[i].parent].name;
			out->parent_position = (int)leaves[i].parent + 1;
			out->position = (int)pos + 1;
			out->known = 1;
			snprintf(out->name, sizeof(out->name), "%s", leaves[i].name);
			return E_OK;
		}
		if (i + 1 < sizeof(leaves) / sizeof(leaves[0]) &&
		    leaves[i + 1].parent == leaves[i].parent)
			pos++;
		else
			pos = 0;
	}
	/* Unknown: "garden-tools" becomes "Garden Tools" under Other; the
	 * operator can rename and move it later. */
	out->parent_slug = parents[PARENT_OTHER].slug;
	out->parent_name = parents[PARENT_OTHER].name;
	out->parent_position = (int)PARENT_OTHER + 1;
	out->position = 0;
	for (; *slug && n + 1 < sizeof(out->name); slug++) {
		if (*slug == '-') {
			out->name[n++] = ' ';
			up = 1;
		} else {
			out->name[n++] = (char)(up && *slug >= 'a' && *slug <= 'z' ? *slug - ('a' - 'A') : *slug);
			up = 0;
		}
	}
	out->name[n] = '\0';
	return E_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back; used to apply UTC offsets without timegm(). */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits. */
static int fixed_digits(const char **p, int n, long *out)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

enum err catalog_parse_time(const char *s, char out[24])
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, oh = 0, om = 0, mins, days;
	int sign = 0, leap;

	if (!s || fixed_digits(&s, 4, &y) || *s++ != '-' || fixed_digits(&s, 2, &mo) ||
	    *s++ != '-' || fixed_digits(&s, 2, &d))
		return E_INVAL;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (fixed_digits(&s, 2, &h) || *s++ != ':' || fixed_digits(&s, 2, &mi))
			return E_INVAL;
		if (*s == ':') {
			s++;
			if (fixed_digits(&s, 2, &sec))
				return E_INVAL;
			if (*s == '.') {
				int nf = 0;

				s++;
				if (!isdigit((unsigned char)*s))
					return E_INVAL;
				/* Milliseconds, as DATETIME(3) keeps; further
				 * digits are dropped. */
				for (; isdigit((unsigned char)*s); s++, nf++)
					if (nf < 3)
						ms = ms * 10 + (*s - '0');
				for (; nf < 3; nf++)
					ms *= 10;
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (fixed_digits(&s, 2, &oh))
				return E_INVAL;
			if (*s == ':')
				s++;
			if (*s && fixed_digits(&s, 2, &om))
				return E_INVAL;
			if (oh > 23 || om > 59)
				return E_INVAL;
		}
	}
	if (*s)
		return E_INVAL;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) ||
	    h > 23 || mi > 59 || sec > 59)
		return E_INVAL;
	/* To UTC. */
	days = days_from_civil(y, mo, d);
	mins = days * 1440 + h * 60 + mi - sign * (oh * 60 + om);
	days = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
	mins -= days * 1440;
	civil_from_days(days, &y, &mo, &d);
	if (y < 1000 || y > 9999)
		return E_INVAL;		/* outside DATETIME */
	{
		/* The ranges are checked above; the compiler cannot see that. */
		char tmp[128];

		snprintf(tmp, sizeof(tmp), "%04ld-%02ld-%02ld %02ld:%02ld:%02ld.%03ld",
			 y, mo, d, mins / 60, mins % 60, sec, ms);
		memcpy(out, tmp, 23);
		out[23] = '\0';
	}
	return E_OK;
}

/* ---- one record ---- */

struct review {
	int64_t rating;
	const char *comment, *name;
	char created_at[24];
	int has_time;
};

struct rec {
	int64_t id;			/* 0 until known valid */
	const char *title, *description, *category, *brand, *sku, *thumbnail;
	int64_t price, rating_x100, stock, weight_grams, east, west, rank;
	char created_at[24];
	int has_time;
	int weight_ok;			/* a weight was given, and is valid */
	char *attributes, *images;	/* JSON text, in the arena */
	struct review *reviews;
	size_t nreviews;
	char slug[SLUG_BASE_MAX + 1];
	struct catalog_category cat;
};

/* Collects a record's problems, one "field: problem" line each. */
struct check {
	struct buf errs;
	int n;
};

static void bad(struct check *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(struct check *c, const char *field, const char *fmt, ...)
{
	va_list ap;

	buf_printf(&c->errs, "%s: ", field);
	va_start(ap, fmt);
	buf_vprintf(&c->errs, fmt, ap);
	va_end(ap);
	buf_putc(&c->errs, '\n');
	c->n++;
}

/* Characters, counting UTF-8 sequences as one (jansson has already checked
 * that strings are valid UTF-8 without NUL). */
static size_t utf8_chars(const char *s)
{
	long n = text_chars(s, TEXT_CONTROLS);

	return n < 0 ? SIZE_MAX : (size_t)n;
}

static int has_control(const char *s)
{
	return text_chars(s, TEXT_LINE) < 0;
}

enum { OPTIONAL = 0, REQUIRED = 1 };

/* A string member of o; NULL when absent or null (reported if required), or
 * when invalid (reported). Single-line strings may not hold control
 * characters. An empty optional string counts as absent. */
static const char *str_field(struct check *c, json_t *o, const char *key,
			     const char *field, int required, size_t min_chars,
			     size_t max_chars, int single_line)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!v || json_is_null(v)) {
		if (required)
			bad(c, field, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		bad(c, field, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	if (!*s && !required)
		return NULL;
	n = max_chars ? utf8_chars(s) : strlen(s);
	if (n < min_chars || (max_chars && n > max_chars)) {
		bad(c, field, "must be %zu to %zu characters", min_chars, max_chars);
		return NULL;
	}
	if (!max_chars && strlen(s) > TEXT_MAX_BYTES) {
		bad(c, field, "must be at most %d bytes", TEXT_MAX_BYTES);
		return NULL;
	}
	if (single_line && has_control(s)) {
		bad(c, field, "must not contain control characters");
		return NULL;
	}
	return s;
}

/* Pictures are shown from their URLs (never fetched by the shop), so only
 * absolute http(s) URLs are accepted: a javascript: or data: URL in an img
 * src is never what a catalog means. Characters a URL never holds unencoded
 * are refused too; an apostrophe is legal in a URL (and in the demo data) and
 * is escaped on output like everything else. */
static int url_ok(const char *s)
{
	return (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
	       utf8_chars(s) <= URL_MAX && !has_control(s) && !strpbrk(s, " \"<>\\`");
}

#define URL_RULE "must be an http(s) URL of at most 500 characters without spaces, double quotes or <>"

static int number(json_t *v, double *out)
{
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return isfinite(*out);
}

/* Adds "label": value to the attributes object. */
static void attr_set(json_t *attrs, const char *label, const char *value)
{
	json_object_set_new(attrs, label, json_string(value));
}

static void attr_field(struct check *c, json_t *o, json_t *attrs, const char *key,
		       const char *label)
{
	const char *s = str_field(c, o, key, key, OPTIONAL, 1, ATTR_MAX, 1);

	if (s)
		attr_set(attrs, label, s);
}

/* Keeps the jansson-made text alive as long as the arena. */
static char *dump_into(struct arena *a, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (!s)
		return NULL;
	if (arena_on_reset(a, free, s))
		return NULL;
	return s;
}

static void check_reviews(struct check *c, struct arena *a, json_t *o, struct rec *r)
{
	json_t *arr = json_object_get(o, "reviews"), *rv;
	size_t i;

	if (!arr || json_is_null(arr))
		return;
	if (!json_is_array(arr) || json_array_size(arr) > REVIEWS_MAX) {
		bad(c, "reviews", "must be an array of at most %d reviews", REVIEWS_MAX);
		return;
	}
	r->reviews = arena_calloc(a, json_array_size(arr) + 1, sizeof(*r->reviews));
	if (!r->reviews) {
		bad(c, "reviews", "out of memory");
		return;
	}
	json_array_foreach(arr, i, rv) {
		struct review *w = &r->reviews[r->nreviews];
		char field[64];
		const char *date;
		json_t *rating;

		if (!json_is_object(rv)) {
			snprintf(field, sizeof(field), "reviews[%zu]", i);
			bad(c, field, "must be an object");
			continue;
		}
		rating = json_object_get(rv, "rating");
		snprintf(field, sizeof(field), "reviews[%zu].rating", i);
		if (!json_is_integer(rating) || json_integer_value(rating) < 1 ||
		    json_integer_value(rating) > 5)
			bad(c, field, "must be a whole number from 1 to 5");
		else
			w->rating = json_integer_value(rating);
		snprintf(field, sizeof(field), "reviews[%zu].comment", i);
		w->comment = str_field(c, rv, "comment", field, REQUIRED, 0, 0, 0);
		snprintf(field, sizeof(field), "reviews[%zu].reviewerName", i);
		w->name = str_field(c, rv, "reviewerName", field, REQUIRED, 1, NAME_MAX_CHARS, 1);
		snprintf(field, sizeof(field), "reviews[%zu].date", i);
		date = str_field(c, rv, "date", field, OPTIONAL, 1, 64, 1);
		if (date) {
			if (catalog_parse_time(date, w->created_at))
				bad(c, field, "must be an ISO 8601 time like 2025-04-30T09:41:02.053Z");
			else
				w->has_time = 1;
		}
		r->nreviews++;
	}
}

/* A text member for the listing: NULL when absent, null or not a string
 * (reported here, and *wrong set so the listing's "is required" is not
 * said twice). */
static const char *text_member(struct check *c, json_t *o, const char *key, int *wrong)
{
	json_t *v = json_object_get(o, key);

	*wrong = 0;
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		bad(c, key, "must be a string");
		*wrong = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* A JSON number as the listing reads it: its text (a price), "" for
 * anything else (refused by the listing's rule). */
static const char *number_text(struct arena *a, json_t *v)
{
	char text[40];

	if (json_is_integer(v))
		return arena_printf(a, "%lld", (long long)json_integer_value(v));
	if (!json_is_real(v) || !isfinite(json_real_value(v)))
		return "";
	if (json_real_value(v) == 0)
		return "0";	/* -0.0 too */
	catalog_number_text(json_real_value(v), text, sizeof(text));
	return arena_strdup(a, text);
}

/* The record's listing (title, description, category, brand, price, sku,
 * stock, weight) through listing_check(), the rules every writer of a
 * listing applies. Returns -1 when out of memory. */
static int check_listing(struct check *c, struct arena *a, json_t *o, struct rec *r)
{
	struct listing l;
	struct listing_sku sku;
	struct listing_errors *le = arena_calloc(a, 1, sizeof(*le));
	static const char *const keys[] = { "title", "description", "category", "brand", "sku" };
	const char *text[5], *wrong_fields[5];
	int nwrong = 0, wrong;
	json_t *v;
	double d;

	if (!le) {
		bad(c, "record", "out of memory");
		return -1;
	}
	memset(&l, 0, sizeof(l));
	memset(&sku, 0, sizeof(sku));

	for (size_t k = 0; k < 5; k++) {
		text[k] = text_member(c, o, keys[k], &wrong);
		if (wrong)
			wrong_fields[nwrong++] = keys[k];
	}
	l.title = text[0];
	l.description = text[1];
	l.category = text[2];
	l.brand = text[3];
	sku.code = text[4];
	sku.row = 0;
	v = json_object_get(o, "price");
	if (v && !json_is_null(v)) {
		sku.has |= LISTING_PRICE;
		sku.price_text = number_text(a, v);
	}
	v = json_object_get(o, "stock");
	if (v && !json_is_null(v)) {
		sku.has |= LISTING_QTY;
		sku.qty_text = json_is_integer(v) ? arena_printf(a, "%lld", (long long)json_integer_value(v)) : "";
	}
	v = json_object_get(o, "weight");
	if (v && !json_is_null(v)) {
		sku.has |= LISTING_WEIGHT;
		/* Kilograms in the file, grams in the shop. */
		if (!number(v, &d) || d < 0)
			sku.weight = -1;
		else
			sku.weight = d * 1000 + 0.5 > ITEM_WEIGHT_MAX ? ITEM_WEIGHT_MAX + 1 : (int64_t)(d * 1000 + 0.5);
	}
	l.skus = &sku;
	l.nskus = 1;
	listing_check(a, LISTING_DEMO, &l, le);
	for (int i = 0; i < le->n; i++) {
		int skip = 0;

		for (int k = 0; k < nwrong && !skip; k++)
			skip = !strcmp(wrong_fields[k], le->v[i].field);
		if (!skip)
			bad(c, le->v[i].field, "%s", le->v[i].message);
	}
	r->title = l.title;
	if (r->title && !catalog_slugify(r->title, r->slug, SLUG_BASE_MAX))
		snprintf(r->slug, sizeof(r->slug), "product");
	r->description = l.description;
	r->category = l.category;
	if (r->category && catalog_category_map(r->category, &r->cat))
		r->category = NULL;	/* said by the listing */
	r->brand = l.brand && *l.brand ? l.brand : NULL;
	r->sku = sku.code;
	r->price = sku.price;
	r->stock = sku.quantity;
	r->weight_grams = sku.weight;
	r->weight_ok = (sku.has & LISTING_WEIGHT) && sku.weight >= 0 && sku.weight <= ITEM_WEIGHT_MAX;
	catalog_stock_split(r->stock, &r->east, &r->west);
	return 0;
}

/* Validates a record in full and fills *r; every problem is reported, not
 * just the first. Returns the number of problems. */
static int check_record(struct check *c, struct arena *a, json_t *o, struct rec *r)
{
	json_t *v, *attrs = NULL, *images = NULL, *meta;
	double d = 0;
	char num[3][40];

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o)) {
		bad(c, "record", "must be a JSON object");
		return c->n;
	}
	v = json_object_get(o, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		bad(c, "id", "must be a positive whole number");
	else
		r->id = json_integer_value(v);

	if (check_listing(c, a, o, r))
		goto out;
	check_reviews(c, a, o, r);
	v = json_object_get(o, "rating");
	if (v && !json_is_null(v) && (!number(v, &d) || d < 0 || d > 5))
		bad(c, "rating", "must be a number from 0 to 5");
	else if (v && !json_is_null(v) && !r->nreviews)
		r->rating_x100 = (int64_t)(d * 100 + 0.5);	/* d >= 0: no libm needed */
	if (r->nreviews) {
		/* The reviews' average, whatever overall rating the file gives:
		 * the product page lists these reviews under the rating, and the
		 * two must agree (issue 15). */
		int64_t sum = 0;

		for (size_t i = 0; i < r->nreviews; i++)
			sum += r->reviews[i].rating;
		r->rating_x100 = (sum * 100 + (int64_t)r->nreviews / 2) / (int64_t)r->nreviews;
	}
	r->rank = catalog_rank_score(r->rating_x100, (int64_t)r->nreviews, r->stock);

	/* The specification table, in the order a shopper reads it. */
	attrs = json_object();
	images = json_array();
	if (!attrs || !images) {
		bad(c, "record", "out of memory");
		goto out;
	}
	attr_field(c, o, attrs, "warrantyInformation", "Warranty");
	attr_field(c, o, attrs, "shippingInformation", "Shipping");
	attr_field(c, o, attrs, "returnPolicy", "Return policy");
	v = json_object_get(o, "dimensions");
	if (v && !json_is_null(v)) {
		double w, h, dp;

		if (!json_is_object(v) || !number(json_object_get(v, "width"), &w) ||
		    !number(json_object_get(v, "height"), &h) ||
		    !number(json_object_get(v, "depth"), &dp) || w < 0 || h < 0 || dp < 0 ||
		    w > 1e6 || h > 1e6 || dp > 1e6) {
			bad(c, "dimensions", "must be an object with numeric width, height and depth >= 0");
		} else {
			char text[160];

			catalog_number_text(w, num[0], sizeof(num[0]));
			catalog_number_text(h, num[1], sizeof(num[1]));
			catalog_number_text(dp, num[2], sizeof(num[2]));
			snprintf(text, sizeof(text), "%s \xC3\x97 %s \xC3\x97 %s cm",
				 num[0], num[1], num[2]);
			attr_set(attrs, "Dimensions", text);
		}
	}
	v = json_object_get(o, "weight");
	if (v && !json_is_null(v) && r->weight_ok) {
		number(v, &d);
		{
			char text[64];

			catalog_number_text(d, num[0], sizeof(num[0]));
			snprintf(text, sizeof(text), "%s kg", num[0]);
			attr_set(attrs, "Weight", text);
		}
	}
	meta = json_object_get(o, "meta");
	if (meta && !json_is_null(meta) && !json_is_object(meta)) {
		bad(c, "meta", "must be an object");
	} else if (meta) {
		const char *t = str_field(c, meta, "barcode", "meta.barcode", OPTIONAL, 1, 64, 1);

		if (t)
			attr_set(attrs, "Barcode", t);
		t = str_field(c, meta, "createdAt", "meta.createdAt", OPTIONAL, 1, 64, 1);
		if (t) {
			if (catalog_parse_time(t, r->created_at))
				bad(c, "meta.createdAt", "must be an ISO 8601 time like 2025-04-30T09:41:02.053Z");
			else
				r->has_time = 1;
		}
	}
	v = json_object_get(o, "tags");
	if (v && !json_is_null(v)) {
		struct buf tags;
		json_t *t;
		size_t i;

		buf_init(&tags, a, 128);
		if (!json_is_array(v) || json_array_size(v) > TAGS_MAX) {
			bad(c, "tags", "must be an array of at most %d strings", TAGS_MAX);
		} else {
			json_array_foreach(v, i, t) {
				if (!json_is_string(t) || !*json_string_value(t) ||
				    utf8_chars(json_string_value(t)) > 64 ||
				    has_control(json_string_value(t))) {
					bad(c, "tags", "must be strings of 1 to 64 characters");
					break;
				}
				if (tags.len)
					buf_puts(&tags, ", ");
				buf_puts(&tags, json_string_value(t));
			}
		}
		if (tags.len)
			attr_set(attrs, "Tags", tags.p);
	}
	v = json_object_get(o, "images");
	if (v && !json_is_null(v)) {
		json_t *u;
		size_t i;

		if (!json_is_array(v) || json_array_size(v) > IMAGES_MAX)
			bad(c, "images", "must be an array of at most %d URLs", IMAGES_MAX);
		else
			json_array_foreach(v, i, u) {
				if (!json_is_string(u) || !url_ok(json_string_value(u))) {
					char field[32];

					snprintf(field, sizeof(field), "images[%zu]", i);
					bad(c, field, URL_RULE);
					continue;
				}
				json_array_append(images, u);
			}
	}
	r->thumbnail = str_field(c, o, "thumbnail", "thumbnail", OPTIONAL, 1, URL_MAX, 1);
	if (r->thumbnail && !url_ok(r->thumbnail)) {
		bad(c, "thumbnail", URL_RULE);
		r->thumbnail = NULL;
	}
	if (c->n == 0) {
		r->attributes = dump_into(a, attrs);
		r->images = dump_into(a, images);
		if (!r->attributes || !r->images)
			bad(c, "record", "out of memory");
	}
out:
	json_decref(attrs);
	json_decref(images);
	return c->n;
}

int catalog_check_json(struct arena *a, json_t *o, const char **errs)
{
	struct check c;
	struct rec r;

	memset(&c, 0, sizeof(c));
	buf_init(&c.errs, a, 256);
	check_record(&c, a, o, &r);
	*errs = c.errs.len && !c.errs.oom ? c.errs.p : "";
	return c.n;
}

/* ---- the transaction ---- */

struct tx {
	struct rec *r;
	struct arena *a;
	int64_t seller_id;
	char msg[600];		/* why the transaction gave up, for the report */
};

static enum err fail(struct tx *t, enum err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum err fail(struct tx *t, enum err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	return e;
}

/* Runs a statement; on failure records which step failed. */
#define EXEC(step, res, ...) do { \
		enum err e_ = db_exec(db, t->a, &import_sql[step], res, __VA_ARGS__); \
		if (e_) \
			return fail(t, e_, "database: %s", db_error(db)); \
	} while (0)

/* The category's id, creating its department and itself when missing. */
static enum err category_id(struct db *db, struct tx *t, int64_t *id)
{
	const struct catalog_category *k = &t->r->cat;
	struct db_res *res;
	int64_t parent;

	EXEC(Q_CAT_ID, &res, "s", t->r->category);
	if (res && res->nrows) {
		*id = db_int(res, 0, 0);
		return E_OK;
	}
	EXEC(Q_CAT_INSERT_TOP, NULL, "ssi", k->parent_slug, k->parent_name,
	     (int64_t)k->parent_position);
	EXEC(Q_CAT_ID, &res, "s", k->parent_slug);
	if (!res || !res->nrows)
		return fail(t, E_DB, "category: cannot create %s", k->parent_slug);
	parent = db_int(res, 0, 0);
	EXEC(Q_CAT_INSERT_LEAF, NULL, "issi", parent, t->r->category, k->name,
	     (int64_t)k->position);
	EXEC(Q_CAT_ID, &res, "s", t->r->category);
	if (!res || !res->nrows)
		return fail(t, E_DB, "category: cannot create %s", t->r->category);
	*id = db_int(res, 0, 0);
	return E_OK;
}

/* The product's slug: the title's, or with "-ID" when another product has
 * it already. Both the base and the suffixed slug are stable across
 * re-imports because a product's own row is never counted as taken. */
static enum err product_slug(struct db *db, struct tx *t, char *slug, size_t n)
{
	struct rec *r = t->r;
	struct db_res *res;
	char suffix[24];
	size_t len;

	EXEC(Q_SLUG_TAKEN, &res, "si", r->slug, r->id);
	if (!res || !res->nrows) {
		snprintf(slug, n, "%s", r->slug);
		return E_OK;
	}
	len = (size_t)snprintf(suffix, sizeof(suffix), "-%lld", (long long)r->id);
	snprintf(slug, n, "%.*s%s", (int)(SLUG_MAX - len), r->slug, suffix);
	EXEC(Q_SLUG_TAKEN, &res, "si", slug, r->id);
	if (res && res->nrows)
		return fail(t, E_CONFLICT, "slug: %s and %s are both used by other products",
			    r->slug, slug);
	return E_OK;
}

/* The file's quantity becomes the SKU's available units in a warehouse,
 * through the inventory module, so that every unit the import brings or
 * takes away is a stock movement (held and sold units stay theirs). The
 * read model is refreshed by the import itself. */
static enum err import_stock(struct db *db, struct tx *t, int64_t sku_id, int64_t warehouse, int64_t qty,
			     const char *reason)
{
	struct stock_change ch;
	enum err e;

	memset(&ch, 0, sizeof(ch));
	ch.seller_id = t->seller_id;
	ch.product_id = t->r->id;
	ch.sku_id = sku_id;
	ch.warehouse_id = warehouse;
	ch.is_set = 1;
	ch.value = qty;
	ch.reason = reason;
	ch.actor = "import";
	ch.defer_read_model = 1;
	e = inventory_change_in_tx(db, t->a, &ch);
	if (e == E_CONFLICT || e == E_INVAL)
		return fail(t, e, "stock: %lld units cannot be set", (long long)qty);
	if (e)
		return fail(t, e, "database: %s", db_error(db));
	return E_OK;
}

static enum err import_tx(struct db *db, void *ctx)
{
	struct tx *t = ctx;
	struct rec *r = t->r;
	struct db_res *res;
	char slug[SLUG_MAX + 1];
	int64_t cat = 0, sku_id;
	enum err e;
	size_t i;

	t->msg[0] = '\0';
	if ((e = category_id(db, t, &cat)) || (e = product_slug(db, t, slug, sizeof(slug))))
		return e;

	/* The product row is locked first, then its SKU, then inventory in
	 * warehouse order, as every stock-changing transaction does. */
	EXEC(Q_PRODUCT_LOCK, &res, "i", r->id);
	if (res && res->nrows) {
		if (db_int(res, 0, 0) != t->seller_id)
			return fail(t, E_CONFLICT, "id: product %lld belongs to another seller",
				    (long long)r->id);
		EXEC(Q_PRODUCT_UPDATE, NULL, "issssiiiiissssi", cat, slug, r->title,
		     r->description, r->brand, r->price, r->rating_x100,
		     (int64_t)r->nreviews, r->rank, r->stock, r->attributes, r->images,
		     r->thumbnail, r->has_time ? r->created_at : NULL, r->id);
	} else {
		e = db_exec(db, t->a, &import_sql[Q_PRODUCT_INSERT], NULL, "iiissssiiiiissss",
			    r->id, t->seller_id, cat, slug, r->title, r->description, r->brand,
			    r->price, r->rating_x100, (int64_t)r->nreviews, r->rank, r->stock,
			    r->attributes, r->images, r->thumbnail,
			    r->has_time ? r->created_at : NULL);
		if (e == E_CONFLICT)
			return fail(t, e, "slug: %s is already used by another product", slug);
		if (e)
			return fail(t, e, "database: %s", db_error(db));
	}

	EXEC(Q_SKU_LOCK, &res, "s", r->sku);
	if (res && res->nrows) {
		if (db_int(res, 0, 1) != r->id)
			return fail(t, E_CONFLICT, "sku: %s is already used by product %s",
				    r->sku, db_cell(res, 0, 1));
		sku_id = db_int(res, 0, 0);
		EXEC(Q_SKU_UPDATE, NULL, "iii", r->price, r->weight_grams, sku_id);
	} else {
		EXEC(Q_SKU_INSERT, NULL, "isii", r->id, r->sku, r->price, r->weight_grams);
		sku_id = (int64_t)db_insert_id(db);
	}
	if ((e = inventory_empty_other_skus(db, t->a, t->seller_id, r->id, sku_id, "import: SKU no longer in the file",
					   "import")))
		return e == E_CONFLICT || e == E_INVAL ? fail(t, e, "stock: 0 units cannot be set") :
			fail(t, e, "database: %s", db_error(db));
	EXEC(Q_SKU_RETIRE, NULL, "ii", r->id, sku_id);
	if ((e = import_stock(db, t, sku_id, WAREHOUSE_EAST, r->east, "catalog import")) ||
	    (e = import_stock(db, t, sku_id, WAREHOUSE_WEST, r->west, "catalog import")))
		return e;

	EXEC(Q_REVIEWS_DELETE, NULL, "i", r->id);
	for (i = 0; i < r->nreviews; i++) {
		struct review *w = &r->reviews[i];

		EXEC(Q_REVIEW_INSERT, NULL, "iisss", r->id, w->rating, w->comment, w->name,
		     w->has_time ? w->created_at : NULL);
	}
	{
		enum err e_ = catalog_refresh_digest(db, t->a, r->id);

		if (e_)
			return fail(t, e_, "database: %s", db_error(db));
	}
	if ((e = event_emit(db, t->a, EV_PRODUCT_UPDATED, r->id, json_pack("{sI}", "id", (json_int_t)r->id))))
		return fail(t, e, "database: %s", db_error(db));
	return E_OK;
}

#undef EXEC

/* Prints each collected problem as its own report line. */
static void report_lines(FILE *report, size_t idx, const struct rec *r, const char *lines)
{
	const char *nl;

	if (!report)
		return;
	for (; *lines; lines = nl + 1) {
		nl = strchr(lines, '\n');
		if (!nl)
			nl = lines + strlen(lines);
		if (r->id)
			fprintf(report, "record %zu (id %lld): %.*s\n", idx, (long long)r->id,
				(int)(nl - lines), lines);
		else
			fprintf(report, "record %zu: %.*s\n", idx, (int)(nl - lines), lines);
		if (!*nl)
			break;
	}
}

enum err catalog_import_file(struct db *db, const char *path, FILE *report,
			     struct import_stats *st)
{
	struct arena *a = NULL;
	struct db_res *res;
	json_error_t jerr;
	json_t *root, *list, *o;
	struct tx t;
	enum err e = E_OK;
	size_t i;

	memset(st, 0, sizeof(*st));
	root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (report)
			fprintf(report, "%s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
		return E_IO;
	}
	/* The bare array, or the {"products": [...]} an API page answers. */
	list = json_is_object(root) ? json_object_get(root, "products") : root;
	if (!json_is_array(list)) {
		if (report)
			fprintf(report, "%s: expected an array of products\n", path);
		e = E_INVAL;
		goto out;
	}
	if (!(a = arena_new(64 * 1024))) {
		e = E_NOMEM;
		goto out;
	}
	memset(&t, 0, sizeof(t));
	t.a = a;
	if ((e = db_exec(db, a, &import_sql[Q_SELLER], &res, "s", DEMO_SELLER_SLUG)))
		goto dberr;
	if (!res || !res->nrows) {
		if (report)
			fprintf(report, "seller %s is missing: run `shopctl migrate` first\n",
				DEMO_SELLER_SLUG);
		e = E_NOTFOUND;
		goto out;
	}
	t.seller_id = db_int(res, 0, 0);

	json_array_foreach(list, i, o) {
		struct check c;
		struct rec r;

		arena_reset(a);
		st->records++;
		memset(&c, 0, sizeof(c));
		buf_init(&c.errs, a, 256);
		if (check_record(&c, a, o, &r)) {
			report_lines(report, i, &r, c.errs.p);
			st->failed++;
			continue;
		}
		t.r = &r;
		e = db_tx(db, import_tx, &t);
		if (e == E_UNAVAIL) {
			st->failed++;
			goto dberr;
		}
		if (e) {
			report_lines(report, i, &r, t.msg[0] ? t.msg : err_str(e));
			st->failed++;
			e = E_OK;
			continue;
		}
		st->imported++;
	}
	goto out;
dberr:
	if (report)
		fprintf(report, "database %s, import stopped: %s\n",
			e == E_UNAVAIL ? "unavailable" : "error", db_error(db));
out:
	if (a)
		arena_destroy(a);
	json_decref(root);
	return e;
}
