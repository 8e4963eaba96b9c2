/* The products index's columns (see schema.h). */
#include <stdio.h>
#include <string.h>
#include "../core/buf.h"
#include "schema.h"

const struct search_column search_columns[] = {
	/* Full text, weighted in search.c's ranking (field_weights). */
	{ "title", SK_FIELD, SV_TEXT, D_TITLE },
	{ "brand", SK_FIELD, SV_TEXT, D_BRAND },
	{ "category", SK_FIELD, SV_TEXT, D_CATEGORY },
	{ "description", SK_FIELD, SV_TEXT, D_DESC },
	{ "skus", SK_FIELD, SV_TEXT, D_SKUS },
	/* Stored copies for display, and numbers to filter, group and sort. */
	{ "title_s", SK_STRING, SV_TEXT, D_TITLE },
	{ "slug_s", SK_STRING, SV_TEXT, D_SLUG },
	{ "brand_s", SK_STRING, SV_TEXT, D_BRAND },
	{ "brand_id", SK_UINT, SV_BRAND_ID, D_BRAND },
	{ "fkey", SK_UINT, SV_FKEY, 0 },
	{ "cat_s", SK_STRING, SV_TEXT, D_CATSLUG },
	{ "cur_s", SK_STRING, SV_TEXT, D_CUR },
	{ "sku_s", SK_STRING, SV_TEXT, D_SKU },
	{ "desc_s", SK_STRING, SV_SNIPPET, D_DESC },
	{ "price", SK_BIGINT, SV_INT, D_PRICE },
	{ "rating", SK_UINT, SV_INT, D_RATING },
	{ "reviews", SK_UINT, SV_INT, D_REVIEWS },
	{ "stock", SK_UINT, SV_INT, D_STOCK },
	{ "sales", SK_UINT, SV_INT, D_SALES },
	{ "rank", SK_UINT, SV_INT, D_RANK },
	{ "created", SK_TIMESTAMP, SV_INT, D_CREATED },
	{ "updated", SK_BIGINT, SV_INT, D_UPDATED },
	{ "cats", SK_MULTI, SV_CATS, D_CAT },
};
const size_t search_ncolumns = sizeof(search_columns) / sizeof(search_columns[0]);

static const char *const kind_names[] = {
	[SK_FIELD] = "rt_field", [SK_STRING] = "rt_attr_string", [SK_UINT] = "rt_attr_uint",
	[SK_BIGINT] = "rt_attr_bigint", [SK_TIMESTAMP] = "rt_attr_timestamp", [SK_MULTI] = "rt_attr_multi",
};

const struct search_column *search_column(const char *name)
{
	for (size_t i = 0; i < search_ncolumns; i++)
		if (!strcmp(search_columns[i].name, name))
			return &search_columns[i];
	return NULL;
}

void search_schema_conf(struct buf *b)
{
	for (size_t i = 0; i < search_ncolumns; i++)
		buf_printf(b, "\t%s = %s\n", kind_names[search_columns[i].kind], search_columns[i].name);
}

int search_schema_check(const struct search_use *uses, const char **bad)
{
	for (size_t i = 0; uses[i].name; i++) {
		const struct search_column *col = search_column(uses[i].name);

		if (!col || (uses[i].kind >= 0 ? (int)col->kind != uses[i].kind : col->kind == SK_FIELD)) {
			*bad = uses[i].name;
			return -1;
		}
	}
	return 0;
}

int search_cmd_schema(int argc, char **argv)
{
	struct buf b;
	int rc;

	(void)argv;
	if (argc != 1)
		return 2;
	buf_init(&b, NULL, 1024);
	search_schema_conf(&b);
	rc = b.oom || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) ? 1 : 0;
	buf_free(&b);
	return rc;
}
