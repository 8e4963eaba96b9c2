/* The seller bulk import's reading of an upload (app/seller/bulk.c):
 * bulk_csv_header() and bulk_csv_next() for CSV files, bulk_json_next()
 * for JSON arrays of rows, as bulk_create() splits a file into stored rows
 * before any database work. Input: first byte odd for JSON, even for CSV;
 * the file follows.
 *
 * Properties, CSV: the header maps each field to a distinct column and has
 * "sku"; every record advances the position, has 1..64 fields, and written
 * out again with every field quoted reads back to the same fields. JSON:
 * every row advances the position, is one line (rows are stored one per
 * line) and is valid JSON that prints to itself again. */
#include "fuzz.h"
#include "../../app/core/buf.h"
#include "../../app/seller/bulk.h"

static void csv(struct arena *a, const char *s, size_t n)
{
	int map[BULK_CSV_MAX_FIELDS];
	size_t nmap = 0, pos = 0;
	const char *why = NULL, *f[BULK_CSV_MAX_FIELDS], *g[BULK_CSV_MAX_FIELDS];

	if (bulk_csv_header(a, s, n, &pos, map, &nmap, &why)) {
		FUZZ_CHECK(why, "header refused without a reason");
		return;
	}
	FUZZ_CHECK(nmap >= 1 && nmap <= BULK_CSV_MAX_FIELDS && pos <= n, "header: %zu fields, pos %zu", nmap, pos);
	for (size_t i = 0; i < nmap; i++)
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(map[i] != map[j], "column %d mapped twice", map[i]);
	for (int rows = 0; rows < 100000; rows++) {
		size_t nf = 0, ng = 0, before = pos, p2 = 0;
		struct buf b;
		int r = bulk_csv_next(a, s, n, &pos, f, &nf, &why);

		if (r <= 0) {
			FUZZ_CHECK(r == 0 || why, "malformed record without a reason");
			return;
		}
		FUZZ_CHECK(pos > before && pos <= n, "position %zu -> %zu of %zu", before, pos, n);
		FUZZ_CHECK(nf >= 1 && nf <= BULK_CSV_MAX_FIELDS, "%zu fields", nf);
		buf_init(&b, a, 256);
		for (size_t i = 0; i < nf; i++) {
			buf_puts(&b, i ? ",\"" : "\"");
			for (const char *p = f[i]; *p; p++) {
				if (*p == '"')
					buf_putc(&b, '"');
				buf_putc(&b, *p);
			}
			buf_putc(&b, '"');
		}
		buf_puts(&b, "\r\n");
		FUZZ_CHECK(bulk_csv_next(a, b.p, b.len, &p2, g, &ng, &why) == 1, "rewritten record refused: %s", b.p);
		FUZZ_CHECK(ng == nf && p2 == b.len, "rewritten record: %zu fields, then %zu", nf, ng);
		for (size_t i = 0; i < nf; i++)
			FUZZ_CHECK(!strcmp(f[i], g[i]), "field %zu: '%s' then '%s'", i, f[i], g[i]);
	}
}

static void json(struct arena *a, const char *s, size_t n)
{
	size_t pos = 0;

	while (pos < n && strchr(" \t\r\n", s[pos]))
		pos++;
	if (pos >= n || s[pos] != '[')
		return;
	pos++;
	for (int rows = 0; rows < 100000; rows++) {
		size_t before = pos;
		char *row = NULL, *again;
		const char *why = NULL;
		int last = 0, r = bulk_json_next(a, s, n, &pos, rows == 0, &row, &last, &why);
		json_t *v;

		if (r < 0) {
			FUZZ_CHECK(!row, "row left on failure");
			return;
		}
		FUZZ_CHECK(pos > before && pos <= n, "position %zu -> %zu of %zu", before, pos, n);
		if (r == 0) {
			FUZZ_CHECK(rows == 0 && s[pos - 1] == ']', "end of a non-empty array");
			return;
		}
		FUZZ_CHECK(row && !strchr(row, '\n'), "row is not one line: %s", row ? row : "(null)");
		FUZZ_CHECK(s[pos - 1] == (last ? ']' : ','), "row not followed by , or ]");
		v = json_loads(row, JSON_DECODE_ANY, NULL);
		FUZZ_CHECK(v, "stored row is not JSON: %s", row);
		again = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		FUZZ_CHECK(again && !strcmp(again, row), "row '%s' prints as '%s'", row, again);
		free(again);
		json_decref(v);
		free(row);
		if (last)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();

	/* bulk_create refuses a file with NUL bytes before reading it. */
	if (size < 1 || memchr(data, '\0', size))
		return 0;
	if (data[0] & 1)
		json(a, (const char *)data + 1, size - 1);
	else
		csv(a, (const char *)data + 1, size - 1);
	arena_reset(a);
	return 0;
}
