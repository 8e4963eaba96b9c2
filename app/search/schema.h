/* The products index (products_a, products_b): its full-text fields and
 * attributes, declared once, here. The same table
 *   - gives conf/sphinx.conf its field lines (`shopctl search-schema`,
 *     substituted by scripts/stack at every start of searchd),
 *   - builds the indexer's REPLACE (column list and values, search.c),
 *   - is what the queries' column names are checked against at start
 *     (search_init), and
 *   - sets the index layout: scripts/stack puts a checksum of the field
 *     lines into the index paths, so a changed table gets new, empty
 *     indexes that the next start rebuilds (shopctl reindex).
 * Adding a column: a line in search_columns (schema.c), its value (a
 * document query column below, or a computed one in search.c's
 * put_doc_values), and its uses in the queries. */
#ifndef SEARCH_SCHEMA_H
#define SEARCH_SCHEMA_H

#include <stddef.h>

struct buf;

enum search_kind {
	SK_FIELD,		/* rt_field: full-text, not stored */
	SK_STRING,		/* rt_attr_string */
	SK_UINT,		/* rt_attr_uint */
	SK_BIGINT,		/* rt_attr_bigint */
	SK_TIMESTAMP,		/* rt_attr_timestamp */
	SK_MULTI		/* rt_attr_multi */
};

/* What the indexer writes into a column, from a row of the document query. */
enum search_value {
	SV_TEXT,		/* the column's text */
	SV_INT,			/* the column's integer */
	SV_SNIPPET,		/* the column's text cut to the snippet's length */
	SV_BRAND_ID,		/* the brand's number (of the column's text) */
	SV_FKEY,		/* the facet key (category, price, rating, stock) */
	SV_CATS			/* the leaf category and its department */
};

/* One product as the index holds it, read from MariaDB; the D_* indexes
 * follow this order. */
#define SEARCH_DOC_COLS \
	"p.id, p.title, COALESCE(p.brand, ''), CONCAT(c.name, ' ', COALESCE(pc.name, '')), " \
	"p.description, COALESCE((SELECT GROUP_CONCAT(s.code SEPARATOR ' ') FROM skus s " \
	"WHERE s.product_id = p.id AND s.status = 'active'), ''), p.slug, c.slug, p.currency, " \
	"COALESCE(JSON_VALUE(p.sku_digest, '$[0][0]'), ''), p.price, p.rating_x100, p.review_count, " \
	"GREATEST(p.stock_total, 0), p.sales_count, GREATEST(p.rank_score, 0), " \
	"UNIX_TIMESTAMP(p.created_at), FLOOR(UNIX_TIMESTAMP(p.updated_at) * 1000), c.id, " \
	"COALESCE(c.parent_id, 0)"
enum { D_ID, D_TITLE, D_BRAND, D_CATEGORY, D_DESC, D_SKUS, D_SLUG, D_CATSLUG, D_CUR, D_SKU,
       D_PRICE, D_RATING, D_REVIEWS, D_STOCK, D_SALES, D_RANK, D_CREATED, D_UPDATED,
       D_CAT, D_PARENT, D_NCOLS };

struct search_column {
	const char *name;
	enum search_kind kind;
	enum search_value value;
	int doc;		/* the D_* column the value comes from */
};

/* In the order of the configuration (and of the REPLACE's values); the
 * document id is implicit. */
extern const struct search_column search_columns[];
extern const size_t search_ncolumns;

/* The column called name, or NULL. */
const struct search_column *search_column(const char *name);

/* The configuration lines of the columns ("\trt_field = title\n", ...). */
void search_schema_conf(struct buf *b);

/* A column the code names in its statements, and the kind it must be
 * (-1: any attribute, not a field). */
struct search_use {
	const char *name;
	int kind;
};

/* 0 when every use (up to one with a NULL name) is a column of its kind;
 * else -1, and *bad names the first that is not. */
int search_schema_check(const struct search_use *uses, const char **bad);

/* `shopctl search-schema`: prints search_schema_conf's lines. */
int search_cmd_schema(int argc, char **argv);

#endif
