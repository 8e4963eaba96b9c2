/* t/http: `shopctl import` against the test stack's database: per-record
 * errors, nothing partial left by a bad record, idempotent re-import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static const char *bad_file =
	"[\n"
	" {\"id\": 9001, \"title\": \"Import Test Lipstick\", \"description\": \"A good record.\",\n"
	"  \"category\": \"beauty\", \"price\": 12.5, \"stock\": 7, \"sku\": \"T-IMP-9001\",\n"
	"  \"reviews\": [{\"rating\": 5, \"comment\": \"Lovely\", \"date\": \"2025-04-30T09:41:02.053Z\",\n"
	"               \"reviewerName\": \"Ann\", \"reviewerEmail\": \"ann@x.example\"}]},\n"
	" {\"id\": 9002, \"title\": \"Bad Price\", \"description\": \"x\", \"category\": \"beauty\",\n"
	"  \"price\": -3, \"stock\": 1, \"sku\": \"T-IMP-9002\"},\n"
	" {\"id\": 9003, \"title\": \"Stolen SKU\", \"description\": \"x\", \"category\": \"beauty\",\n"
	"  \"price\": 1, \"stock\": 1, \"sku\": \"BEA-ESS-ESS-001\"},\n"
	" {\"id\": 9004, \"description\": \"no title\", \"category\": \"beauty\", \"price\": 1,\n"
	"  \"stock\": 1, \"sku\": \"T-IMP-9004\"}\n"
	"]\n";

/* Runs shopctl import on the file; returns its exit status, report in out. */
static int import(const char *file, char *out, size_t n)
{
	char cmd[4096];
	FILE *p;
	size_t got;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s/bin/shopctl import %s 2>&1",
		 getenv("SHOP_ROOT") ? getenv("SHOP_ROOT") : ".", file);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	got = fread(out, 1, n - 1, p);
	out[got] = '\0';
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

START_TEST(bad_records_are_reported_and_leave_nothing)
{
	char file[] = "/tmp/shop-import-XXXXXX", out[8192];
	int fd = mkstemp(file);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bad_file, strlen(bad_file)), (ssize_t)strlen(bad_file));
	close(fd);
	for (int round = 0; round < 2; round++) {	/* the second run must change nothing */
		ck_assert_int_eq(import(file, out, sizeof(out)), 1);
		ck_assert_msg(strstr(out, "record 1 (id 9002): price") != NULL, "%s", out);
		ck_assert_msg(strstr(out, "record 2 (id 9003): sku") != NULL, "%s", out);
		ck_assert_msg(strstr(out, "record 3") && strstr(out, "title"), "%s", out);
		ck_assert_msg(strstr(out, "imported 1 products, 3 failed") != NULL, "%s", out);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM products WHERE id = 9001"), 1);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM products WHERE id IN (9002, 9003, 9004)"), 0);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM skus WHERE code IN ('T-IMP-9002', 'T-IMP-9004')"), 0);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM skus WHERE code = 'T-IMP-9001'"), 1);
		ck_assert_int_eq(sql_scalar("SELECT SUM(available) FROM inventory i JOIN skus s ON s.id = i.sku_id WHERE s.code = 'T-IMP-9001'"), 7);
		ck_assert_int_eq(sql_scalar("SELECT COUNT(*) FROM reviews WHERE product_id = 9001"), 1);
		/* The SKU another product owns is untouched. */
		ck_assert_int_eq(sql_scalar("SELECT product_id FROM skus WHERE code = 'BEA-ESS-ESS-001'"), 1);
	}
	{
		struct hresp *r = http_get("/api/items/9001");
		json_t *j = hresp_json(r);

		ck_assert_int_eq(r->status, 200);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "price")), 1250);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "stock")), 7);
		json_decref(j);
		hresp_free(r);
	}
	unlink(file);
	/* Leave the demo catalog as other suites expect it. */
	ck_assert_int_eq(sql_exec("DELETE FROM products WHERE id = 9001"), 0);
}
END_TEST

START_TEST(unreadable_input)
{
	char out[4096];

	ck_assert_int_eq(import("/nonexistent/file.json", out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "/nonexistent/file.json"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-import");
	TCase *tc = tcase_create("import");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bad_records_are_reported_and_leave_nothing);
	tcase_add_test(tc, unreadable_input);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
