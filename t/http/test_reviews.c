/* t/http: reviews and ratings (app/reviews) on the real stack.
 *
 * The stack runs with SHOP_REVIEWS_AUTHOR_RATE=3 and
 * SHOP_REVIEWS_PRODUCT_BURST=4 (scripts/run-tests), so a fourth review in an
 * hour by one author, or a fifth in ten minutes on one product, is held.
 * Each test makes products of its own (pick()), sold by a seller of its
 * own, so that no test's reviews count in another's pace or rating. A
 * verified buyer is made through checkout and shipping (buyer_shipped);
 * other authors are non-buyers, with the admin's setting on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "harness.h"

#define PW "correct horse battery"

static struct client admin;
static char admin_email[160];

static struct hresp *api(struct client *cl, const char *method, const char *path, const char *body)
{
	return client_req(cl, method, path, body, 1);
}

static void make_admin(void)
{
	char args[256];

	clear_ip_throttles();
	buyer_new(&admin, "rvadmin", admin_email, sizeof(admin_email));
	snprintf(args, sizeof(args), "grant %s admin", admin_email);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(client_session(&admin), 0);
}

static void non_buyers(int on)
{
	struct hresp *r = api(&admin, "PUT", "/api/admin/reviews/settings", on ? "{\"acceptNonBuyers\":true}"
									       : "{\"acceptNonBuyers\":false}");

	ck_assert_msg(r->status == 200, "settings: %ld %s", r->status, r->body);
	hresp_free(r);
}

/* A new product of the seller (signed in), made through the item API:
 * one SKU in stock, a name with a word of its own (for the search). Its
 * id; its SKU code and slug into code and slug (may be NULL). */
static long long pick(struct client *seller, char *code, char *slug)
{
	static int k;
	char name[80], word[24], body[400];
	unsigned long long v = (unsigned long long)getpid() * 1000 + (unsigned long long)++k;
	size_t n = 0;
	struct hresp *r;
	json_t *j;
	long long pid;
	const char *url;

	while (v && n < sizeof(word) - 1) {
		word[n++] = (char)('a' + v % 26);
		v /= 26;
	}
	word[n] = '\0';
	snprintf(name, sizeof(name), "Revtest %s kettle", word);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"description\":\"A kettle for the reviews tests.\","
		 "\"price\":1999,\"quantity\":50}", name);
	r = client_req(seller, "POST", "/api/items", body, 1);
	ck_assert_msg(r->status == 201, "item: %ld %s", r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	pid = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_gt(pid, 0);
	if (code)
		snprintf(code, 80, "%s", json_string_value(json_object_get(json_array_get(json_object_get(j, "skus"), 0),
									 "code")));
	url = json_string_value(json_object_get(j, "url"));
	if (slug)
		snprintf(slug, 200, "%s", url && !strncmp(url, "/p/", 3) ? url + 3 : "");
	json_decref(j);
	return pid;
}

/* A new seller (seller_new) signed in as cl; cl. */
static struct client *seller_of(struct client *cl, const char *tag, long long *uid)
{
	seller_new(cl, tag, uid);
	return cl;
}

/* POST /api/items/{pid}/reviews as cl; the status; the answer's JSON into *out (may be NULL). */
static long post_review(struct client *cl, long long pid, const char *body, json_t **out)
{
	char path[80], text[2000];
	const char *at;
	struct hresp *r;
	long st;

	/* "@@" in the text is this run's number: a suite run again on the
	 * same stack is no duplicate of the last run. */
	if ((at = strstr(body, "@@")))
		snprintf(text, sizeof(text), "%.*s%d%s", (int)(at - body), body, (int)getpid(), at + 2);
	else
		snprintf(text, sizeof(text), "%s", body);
	snprintf(path, sizeof(path), "/api/items/%lld/reviews", pid);
	r = api(cl, "POST", path, text);
	st = r->status;
	if (out)
		*out = hresp_json(r);
	hresp_free(r);
	return st;
}

/* A new non-buyer's review of pid (the setting must be on): its JSON. */
static json_t *review_by_new(struct client *cl, const char *tag, long long pid, const char *body, long expect)
{
	json_t *j = NULL;
	long st;

	buyer_new(cl, tag, NULL, 0);
	st = post_review(cl, pid, body, &j);
	ck_assert_msg(st == expect, "review by %s: %ld %s", tag, st, j ? json_dumps(j, 0) : "");
	return j;
}

static const char *str(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s ? s : "";
}

static long long num(json_t *j, const char *k)
{
	return json_integer_value(json_object_get(j, k));
}

static int has_reason(long long id, const char *code)
{
	return sql_scalarf("SELECT FIND_IN_SET('%s', reasons) > 0 FROM reviews WHERE id = %lld", code, id) == 1;
}

/* Waits for the ratings consumer: the product's rating_x100 and
 * review_count equal the published reviews' (rounded half up). */
static long long wait_rating(long long pid)
{
	for (int i = 0; i < 100; i++) {
		long long want = sql_scalarf("SELECT IF(COUNT(*) = 0, 0, (SUM(rating) * 100 + COUNT(*) DIV 2) DIV COUNT(*)) "
					     "FROM reviews WHERE product_id = %lld AND status = 'published'", pid);
		long long n = sql_scalarf("SELECT COUNT(*) FROM reviews WHERE product_id = %lld AND status = 'published'", pid);

		if (sql_scalarf("SELECT rating_x100 = %lld AND review_count = %lld FROM products WHERE id = %lld",
				want, n, pid) == 1 &&
		    sql_scalarf("SELECT COUNT(*) FROM outbox WHERE seq IS NULL") == 0 &&
		    sql_scalarf("SELECT COUNT(*) FROM outbox o WHERE o.topic LIKE 'Review%%' AND o.aggregate_id = %lld AND "
				"o.seq > (SELECT position FROM event_consumers WHERE name = 'ratings')", pid) == 0)
			return want;
		usleep(100 * 1000);
	}
	ck_abort_msg("the ratings consumer did not catch up for product %lld", pid);
	return -1;
}

/* Once, in the runner before the tests fork: the admin they share. */
static void setup_once(void)
{
	make_admin();
}

static void setup(void)
{
	clear_ip_throttles();
}

/* A non-buyer is refused unless the admin allows it; a buyer's review is
 * verified and a second one edits the first; field errors are 422. */
START_TEST(t_who_may_review)
{
	struct client seller, buyer, other;
	char code[80], slug[200], email[160];
	long long pid = pick(seller_of(&seller, "rvsell1", NULL), code, slug), id;
	json_t *j = NULL;
	long st;

	non_buyers(0);
	buyer_new(&other, "rvnon", NULL, 0);
	st = post_review(&other, pid, "{\"rating\":5,\"title\":\"Nice\",\"body\":\"Works well @@.\"}", &j);
	ck_assert_msg(st == 403, "non-buyer: %ld", st);
	json_decref(j);

	buyer_shipped(&buyer, &seller, code, "rvbuy", email, sizeof(email));
	st = post_review(&buyer, pid, "{\"rating\":4,\"title\":\"Good\",\"body\":\"Does the job well @@.\"}", &j);
	ck_assert_msg(st == 201, "buyer: %ld %s", st, json_dumps(j, 0));
	id = num(j, "id");
	ck_assert_str_eq(str(j, "status"), "published");
	ck_assert(json_is_true(json_object_get(j, "verifiedPurchase")));
	ck_assert_int_eq(num(j, "rating"), 4);
	ck_assert_str_eq(str(j, "title"), "Good");
	ck_assert_int_eq(strncmp(str(j, "body"), "Does the job well ", 18), 0);
	ck_assert_str_eq(str(j, "author"), "Ann B.");
	ck_assert(*str(j, "createdAt"));
	json_decref(j);
	/* The second review edits the first. */
	st = post_review(&buyer, pid, "{\"rating\":2,\"title\":\"Changed my mind\",\"body\":\"It broke after a week @@.\"}", &j);
	ck_assert_msg(st == 200, "second: %ld", st);
	ck_assert_int_eq(num(j, "id"), id);
	ck_assert_int_eq(num(j, "rating"), 2);
	json_decref(j);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM reviews WHERE product_id = %lld AND user_id IS NOT NULL", pid), 1);
	/* 422 with the fields. */
	st = post_review(&buyer, pid, "{\"rating\":7,\"title\":\"x\",\"body\":\"\"}", &j);
	ck_assert_int_eq(st, 422);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "error"), "fields")), 2);
	ck_assert_str_eq(str(json_array_get(json_object_get(json_object_get(j, "error"), "fields"), 0), "field"), "rating");
	json_decref(j);
	{
		char body[400];

		snprintf(body, sizeof(body), "{\"rating\":3,\"title\":\"%0121d\",\"body\":\"ok\"}", 0);
		st = post_review(&buyer, pid, body, &j);
		ck_assert_int_eq(st, 422);
		ck_assert_str_eq(str(json_array_get(json_object_get(json_object_get(j, "error"), "fields"), 0), "field"), "title");
		json_decref(j);
	}
	/* Turned on: the non-buyer's review, without the badge. */
	non_buyers(1);
	st = post_review(&other, pid, "{\"rating\":5,\"title\":\"Nice\",\"body\":\"Works well @@.\"}", &j);
	ck_assert_msg(st == 201, "non-buyer allowed: %ld", st);
	ck_assert(json_is_false(json_object_get(j, "verifiedPurchase")));
	json_decref(j);
	/* The seller never reviews their own item. */
	st = post_review(&seller, pid, "{\"rating\":5,\"title\":\"Mine\",\"body\":\"The best.\"}", NULL);
	ck_assert_int_eq(st, 403);
}
END_TEST

/* Each automatic rule holds a review for the queue, with its reason. */
START_TEST(t_rules_queue)
{
	static const struct {
		const char *body, *code;
	} rules[] = {
		{ "{\"rating\":5,\"title\":\"See\",\"body\":\"Cheaper at www.example.com today\"}", "link" },
		{ "{\"rating\":5,\"title\":\"Call\",\"body\":\"Call me on 555 123 4567 for more\"}", "contact" },
		{ "{\"rating\":5,\"title\":\"Deal\",\"body\":\"Best casino bonus ever\"}", "words" },
		{ "{\"rating\":1,\"title\":\"AWFUL\",\"body\":\"THIS IS THE WORST THING I EVER BOUGHT\"}", "shouting" },
	};
	struct client seller, cl;
	long long id;
	json_t *j, *q;
	struct hresp *r;
	char tag[32];

	seller_new(&seller, "rvsell2", NULL);
	non_buyers(1);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		long long pid = pick(&seller, NULL, NULL);

		snprintf(tag, sizeof(tag), "rvrule%zu", i);
		j = review_by_new(&cl, tag, pid, rules[i].body, 201);
		ck_assert_msg(!strcmp(str(j, "status"), "pending"), "%s: %s", rules[i].code, str(j, "status"));
		ck_assert_msg(has_reason(num(j, "id"), rules[i].code), "%s not among the reasons", rules[i].code);
		/* The author sees why. */
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "reasons"), 0)), rules[i].code);
		json_decref(j);
	}
	/* A duplicate of another review. */
	{
		long long p1 = pick(&seller, NULL, NULL), p2 = pick(&seller, NULL, NULL);
		char b[300];

		snprintf(b, sizeof(b), "{\"rating\":4,\"title\":\"Solid kettle %d\",\"body\":\"Boils fast, quiet, easy to clean.\"}", (int)getpid());
		j = review_by_new(&cl, "rvdup1", p1, b, 201);
		ck_assert_str_eq(str(j, "status"), "published");
		json_decref(j);
		snprintf(b, sizeof(b), "{\"rating\":4,\"title\":\"solid KETTLE! %d\",\"body\":\"Boils fast - quiet; easy to clean\"}", (int)getpid());
		j = review_by_new(&cl, "rvdup2", p2, b, 201);
		ck_assert_str_eq(str(j, "status"), "pending");
		ck_assert(has_reason(num(j, "id"), "duplicate"));
		json_decref(j);
	}
	/* An author's fourth review in the hour (rate 3). */
	{
		json_t *last = NULL;

		buyer_new(&cl, "rvrate", NULL, 0);
		for (int i = 0; i < 4; i++) {
			char body[200];
			long st;

			snprintf(body, sizeof(body), "{\"rating\":4,\"title\":\"Fine %d\",\"body\":\"Item number %d is fine @@.\"}", i, i);
			json_decref(last);
			st = post_review(&cl, pick(&seller, NULL, NULL), body, &last);
			ck_assert_int_eq(st, 201);
			ck_assert_str_eq(str(last, "status"), i < 3 ? "published" : "pending");
		}
		ck_assert(has_reason(num(last, "id"), "rate"));
		json_decref(last);
	}
	/* A product's fifth review in ten minutes (burst 4). */
	{
		long long pid = pick(&seller, NULL, NULL);

		for (int i = 0; i < 5; i++) {
			char body[200];

			snprintf(tag, sizeof(tag), "rvburst%d", i);
			snprintf(body, sizeof(body), "{\"rating\":1,\"title\":\"Bad %d\",\"body\":\"Review number %d says no @@.\"}", i, i);
			j = review_by_new(&cl, tag, pid, body, 201);
			ck_assert_str_eq(str(j, "status"), i < 4 ? "published" : "pending");
			id = num(j, "id");
			json_decref(j);
		}
		ck_assert(has_reason(id, "rate"));
	}
	/* The queue lists them with their reasons. */
	r = api(&admin, "GET", "/api/admin/reviews?status=pending", NULL);
	ck_assert_int_eq(r->status, 200);
	q = hresp_json(r);
	hresp_free(r);
	{
		size_t i;
		json_t *it;
		int found = 0;

		json_array_foreach(json_object_get(q, "items"), i, it)
			if (num(it, "id") == id) {
				found = 1;
				ck_assert_str_eq(json_string_value(json_array_get(json_object_get(it, "reasons"), 0)), "rate");
				ck_assert_str_eq(str(it, "status"), "pending");
			}
		ck_assert(found);
	}
	json_decref(q);
}
END_TEST

/* Markup, script, a very long word and an RTL override render inert. */
START_TEST(t_hostile_inert)
{
	struct client seller, cl;
	char code[80], slug[200], path[300];
	long long pid = pick(seller_of(&seller, "rvsell3", NULL), code, slug);
	char body[1200], word[401];
	json_t *j;
	struct hresp *r;

	non_buyers(1);
	memset(word, 'w', 400);
	word[400] = '\0';
	snprintf(body, sizeof(body), "{\"rating\":4,\"title\":\"<b>bold</b> \\u202egnp.exe\","
		 "\"body\":\"<script>alert(1)</script> <img src=x onerror=alert(2)> %s end @@\"}", word);
	j = review_by_new(&cl, "rvhost", pid, body, 201);
	ck_assert_str_eq(str(j, "status"), "published");
	ck_assert_ptr_null(strstr(str(j, "title"), "\xe2\x80\xae"));	/* the override is dropped */
	ck_assert_str_eq(str(j, "title"), "<b>bold</b> gnp.exe");
	json_decref(j);
	snprintf(path, sizeof(path), "/p/%s/reviews?sort=newest", slug);
	r = http_get(path);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_null(strstr(r->body, "<script>alert(1)"));
	ck_assert_ptr_null(strstr(r->body, "<img src=x"));
	ck_assert_ptr_null(strstr(r->body, "<b>bold"));
	ck_assert_ptr_nonnull(strstr(r->body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(r->body, "&lt;b&gt;bold&lt;/b&gt;"));
	ck_assert_ptr_nonnull(strstr(r->body, word));
	ck_assert_ptr_null(strstr(r->body, "\xe2\x80\xae"));
	hresp_free(r);
	/* The product page too, and the stylesheet wraps long words. */
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = http_get(path);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_null(strstr(r->body, "<script>alert(1)"));
	ck_assert_ptr_nonnull(strstr(r->body, "&lt;script&gt;alert(1)"));
	hresp_free(r);
	ck_assert_int_eq(system("grep -q 'overflow-wrap: anywhere' \"$SHOP_ROOT/static/app.css\""), 0);
}
END_TEST

/* A rejected review is never shown and its author gets the reason; a
 * published one from the queue is shown. */
START_TEST(t_reject_and_publish)
{
	struct client seller, cl, cl2;
	char code[80], slug[200], path[300], email[160];
	long long pid = pick(seller_of(&seller, "rvsell4", NULL), code, slug), id, id2;
	json_t *j;
	struct hresp *r;
	char *m;

	non_buyers(1);
	buyer_new(&cl, "rvrej", email, sizeof(email));
	ck_assert_int_eq(post_review(&cl, pid, "{\"rating\":1,\"title\":\"Spam\",\"body\":\"Zebracorn deals at www.zebracorn.io\"}", &j), 201);
	id = num(j, "id");
	ck_assert_str_eq(str(j, "status"), "pending");
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/reviews/%lld/reject", id);
	r = api(&admin, "POST", path, "{\"reason\":\"\"}");
	ck_assert_int_eq(r->status, 422);
	hresp_free(r);
	r = api(&admin, "POST", path, "{\"reason\":\"Links to other shops are not allowed\"}");
	ck_assert_msg(r->status == 200, "reject: %ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_str_eq(str(j, "status"), "rejected");
	json_decref(j);
	hresp_free(r);
	m = maildir_wait(email, "Links to other shops are not allowed", 20);
	ck_assert_msg(m != NULL, "no mail with the reason");
	free(m);
	/* Never shown: API, list page, product page. */
	snprintf(path, sizeof(path), "/api/items/%lld/reviews?sort=newest", pid);
	r = http_get_json(path);
	ck_assert_ptr_null(strstr(r->body, "Zebracorn"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/p/%s/reviews?sort=newest", slug);
	r = http_get(path);
	ck_assert_ptr_null(strstr(r->body, "Zebracorn"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = http_get(path);
	ck_assert_ptr_null(strstr(r->body, "Zebracorn"));
	hresp_free(r);
	/* The author sees the reason on My reviews. */
	r = client_browse(&cl, "GET", "/account/reviews", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "Links to other shops are not allowed"));
	hresp_free(r);
	/* Publishing from the queue shows it. */
	buyer_new(&cl2, "rvpub", NULL, 0);
	ck_assert_int_eq(post_review(&cl2, pid, "{\"rating\":5,\"title\":\"Ok\",\"body\":\"Quokkaberry mail me at a@b.com\"}", &j), 201);
	id2 = num(j, "id");
	ck_assert_str_eq(str(j, "status"), "pending");
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/reviews/%lld/publish", id2);
	r = api(&admin, "POST", path, "{}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	/* (nginx may hold the list a second: ask a new URL) */
	snprintf(path, sizeof(path), "/api/items/%lld/reviews?sort=newest&stars=5", pid);
	r = http_get_json(path);
	ck_assert_ptr_nonnull(strstr(r->body, "Quokkaberry"));
	hresp_free(r);
}
END_TEST

/* The rating equals the average of the published reviews in the page, the
 * API, the search facet and JSON-LD. */
START_TEST(t_rating_everywhere)
{
	struct client seller, cl;
	char code[80], slug[200], path[400], want[64], term[200];
	long long pid = pick(seller_of(&seller, "rvsell5", NULL), code, slug), x100;
	json_t *j, *it;
	struct hresp *r;
	size_t i;
	int found;

	non_buyers(1);
	j = review_by_new(&cl, "rvavg1", pid, "{\"rating\":1,\"title\":\"No\",\"body\":\"Did not like it at all @@.\"}", 201);
	json_decref(j);
	j = review_by_new(&cl, "rvavg2", pid, "{\"rating\":2,\"title\":\"Meh\",\"body\":\"Not great, not terrible @@.\"}", 201);
	json_decref(j);
	/* A pending one is not counted. */
	j = review_by_new(&cl, "rvavg3", pid, "{\"rating\":5,\"title\":\"Yes\",\"body\":\"Buy it at www.elsewhere.com\"}", 201);
	ck_assert_str_eq(str(j, "status"), "pending");
	json_decref(j);
	x100 = wait_rating(pid);
	ck_assert_int_gt(x100, 0);
	ck_assert_int_lt(x100, 400);

	/* The API. */
	snprintf(path, sizeof(path), "/api/items/%lld/reviews", pid);
	r = http_get_json(path);
	j = hresp_json(r);
	ck_assert_int_eq((long long)(json_real_value(json_object_get(j, "average")) * 100 + 0.5), x100);
	ck_assert_int_eq(num(j, "count"), sql_scalarf("SELECT review_count FROM products WHERE id = %lld", pid));
	json_decref(j);
	hresp_free(r);
	/* The item (once the page cache heard the ProductUpdated). */
	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	found = 0;
	for (int k = 0; k < 50 && !found; k++) {
		r = http_get_json(path);
		j = hresp_json(r);
		found = (long long)(json_real_value(json_object_get(j, "rating")) * 100 + 0.5) == x100;
		json_decref(j);
		hresp_free(r);
		if (!found)
			usleep(100 * 1000);
	}
	ck_assert_msg(found, "GET /api/items/%lld never showed the rating %lld", pid, x100);

	/* The page (after the page cache heard ProductUpdated) and its JSON-LD. */
	snprintf(want, sizeof(want), "%lld.%lld out of 5", (x100 + 5) / 100, ((x100 + 5) % 100) / 10);
	snprintf(path, sizeof(path), "/p/%s", slug);
	for (int k = 0; k < 50; k++) {
		r = http_get(path);
		if (strstr(r->body, want))
			break;
		hresp_free(r);
		r = NULL;
		usleep(100 * 1000);
	}
	ck_assert_msg(r != NULL, "the page never showed %s", want);
	snprintf(want, sizeof(want), "\"ratingValue\":%lld.%02lld", x100 / 100, x100 % 100);
	{
		/* JSON-LD prints 1.5 for 1.50: compare as numbers. */
		const char *p = strstr(r->body, "\"ratingValue\":");

		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq((long long)(strtod(p + 14, NULL) * 100 + 0.5), x100);
	}
	hresp_free(r);

	/* The search: the item's rating, and the "4★ & up" facet leaves it out. */
	snprintf(term, sizeof(term), "%s", slug);
	for (char *p = term; *p; p++)
		if (*p == '-')
			*p = '+';
	found = 0;
	for (int k = 0; k < 50 && !found; k++) {
		snprintf(path, sizeof(path), "/api/items?term=%s&size=100", term);
		r = http_get_json(path);
		j = hresp_json(r);
		json_array_foreach(json_object_get(j, "items"), i, it)
			if (num(it, "id") == pid &&
			    (long long)(json_real_value(json_object_get(it, "rating")) * 100 + 0.5) == x100)
				found = 1;
		json_decref(j);
		hresp_free(r);
		if (!found)
			usleep(100 * 1000);
	}
	ck_assert_msg(found, "search never showed the rating %lld", x100);
	snprintf(path, sizeof(path), "/api/items?term=%s&size=100&minRating=4", term);
	r = http_get_json(path);
	j = hresp_json(r);
	json_array_foreach(json_object_get(j, "items"), i, it)
		ck_assert_int_ne(num(it, "id"), pid);
	json_decref(j);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/items?term=%s&size=100&minRating=1", term);
	r = http_get_json(path);
	j = hresp_json(r);
	found = 0;
	json_array_foreach(json_object_get(j, "items"), i, it)
		found |= num(it, "id") == pid;
	ck_assert(found);
	json_decref(j);
	hresp_free(r);

	/* shopctl reviews-recount puts back a rating someone overwrote. */
	sql_execf("UPDATE products SET rating_x100 = 500, review_count = 0 WHERE id = %lld", pid);
	{
		char args[64];

		snprintf(args, sizeof(args), "reviews-recount %lld", pid);
		ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	}
	ck_assert_int_eq(sql_scalarf("SELECT rating_x100 FROM products WHERE id = %lld", pid), x100);
}
END_TEST

/* An admin who sells the product cannot moderate its reviews (404). */
START_TEST(t_seller_cannot_moderate)
{
	struct client seller, cl;
	char args[256], path[200];
	long long uid, pid = pick(seller_of(&seller, "rvsell6", &uid), NULL, NULL), id;
	char email[160];
	json_t *j;
	struct hresp *r;

	non_buyers(1);
	snprintf(email, sizeof(email), "%s", "");
	(void)email;
	snprintf(args, sizeof(args), "UPDATE users SET is_admin = 1 WHERE id = %lld", uid);
	sql_exec(args);
	ck_assert_int_eq(client_session(&seller), 0);
	j = review_by_new(&cl, "rvmod", pid, "{\"rating\":1,\"title\":\"Bad\",\"body\":\"Go to www.other.com\"}", 201);
	id = num(j, "id");
	json_decref(j);
	snprintf(path, sizeof(path), "/api/admin/reviews/%lld/reject", id);
	r = api(&seller, "POST", path, "{\"reason\":\"I do not like it\"}");
	ck_assert_msg(r->status == 404, "seller rejects: %ld %s", r->status, r->body);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/admin/reviews/%lld/publish", id);
	r = api(&seller, "POST", path, "{}");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'pending' FROM reviews WHERE id = %lld", id), 1);
	/* Another admin may. */
	r = api(&admin, "POST", path, "{}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
}
END_TEST

/* Helpful votes: one per shopper, never one's own; the seller's one reply;
 * the author edits and deletes, others get 404. */
START_TEST(t_votes_reply_edit)
{
	struct client seller, seller2, a, b;
	char path[200];
	long long pid = pick(seller_of(&seller, "rvsell7", NULL), NULL, NULL), id;
	json_t *j;
	struct hresp *r;

	seller_new(&seller2, "rvsell8", NULL);
	non_buyers(1);
	j = review_by_new(&a, "rvvotea", pid, "{\"rating\":4,\"title\":\"Good\",\"body\":\"Nice and sturdy @@\"}", 201);
	id = num(j, "id");
	json_decref(j);
	buyer_new(&b, "rvvoteb", NULL, 0);
	snprintf(path, sizeof(path), "/api/reviews/%lld/votes", id);
	for (int i = 0; i < 2; i++) {
		r = api(&b, "POST", path, "{}");
		ck_assert_int_eq(r->status, 200);
		j = hresp_json(r);
		ck_assert_int_eq(num(j, "helpful"), 1);
		json_decref(j);
		hresp_free(r);
	}
	r = api(&a, "POST", path, "{}");
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT helpful FROM reviews WHERE id = %lld", id), 1);
	r = api(&b, "POST", "/api/reviews/999999999/votes", "{}");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);

	/* The reply: the product's seller only, once (a second replaces it). */
	snprintf(path, sizeof(path), "/api/reviews/%lld/reply", id);
	r = api(&seller2, "POST", path, "{\"body\":\"Not my product\"}");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api(&b, "POST", path, "{\"body\":\"I am no seller\"}");
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = api(&seller, "POST", path, "{\"body\":\"Thank you!\"}");
	ck_assert_msg(r->status == 200, "reply: %ld %s", r->status, r->body);
	hresp_free(r);
	r = api(&seller, "POST", path, "{\"body\":\"Thank you very much!\"}");
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_str_eq(str(json_object_get(j, "reply"), "body"), "Thank you very much!");
	json_decref(j);
	hresp_free(r);

	/* Edit and delete: the author only. */
	snprintf(path, sizeof(path), "/api/reviews/%lld", id);
	r = api(&b, "PATCH", path, "{\"rating\":1}");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api(&a, "PATCH", path, "{\"rating\":5}");
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_int_eq(num(j, "rating"), 5);
	ck_assert_int_eq(strncmp(str(j, "body"), "Nice and sturdy ", 16), 0);
	json_decref(j);
	hresp_free(r);
	r = api(&b, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api(&a, "DELETE", path, NULL);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM reviews WHERE id = %lld", id), 0);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'ReviewRemoved' AND "
				     "JSON_VALUE(payload, '$.reviewId') = %lld", id), 1);
}
END_TEST

/* A form post as cl with its token; the status; the Location into loc (may be NULL). */
static long form_post(struct client *cl, const char *path, const char *fields, char *loc, size_t n)
{
	char body[2000];
	struct hresp *r;
	long st;

	snprintf(body, sizeof(body), "csrf=%s%s%s", cl->csrf, *fields ? "&" : "", fields);
	r = client_browse(cl, "POST", path, body);
	st = r->status;
	if (loc) {
		const char *l = hresp_header(r, "Location");

		snprintf(loc, n, "%s", l ? l : "");
	}
	hresp_free(r);
	return st;
}

/* Every page without JavaScript: write (and a refused form), the list
 * with its filter, the helpful form, the seller's reply form, My reviews,
 * the admin's queue, reject form and setting. */
START_TEST(t_pages)
{
	struct client seller, a, b;
	char code[80], slug[200], path[300], loc[300], fields[200];
	long long pid = pick(seller_of(&seller, "rvsell9", NULL), code, slug), id, id2;
	struct hresp *r;

	non_buyers(1);
	buyer_new(&a, "rvpagea", NULL, 0);
	snprintf(path, sizeof(path), "/p/%s/review", slug);
	r = client_browse(&a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "name=\"csrf\""));
	ck_assert_ptr_nonnull(strstr(r->body, "name=\"rating\""));
	hresp_free(r);
	ck_assert_int_eq(form_post(&a, path, "rating=5&title=&body=", NULL, 0), 422);
	snprintf(fields, sizeof(fields), "rating=5&title=Lovely+thing&body=Pelicanberry+quality+%lld", pid);
	ck_assert_int_eq(form_post(&a, path, fields, loc, sizeof(loc)), 303);
	ck_assert_msg(strstr(loc, "#reviews") != NULL, "redirected to %s", loc);
	id = sql_scalarf("SELECT id FROM reviews WHERE product_id = %lld AND comment LIKE 'Pelicanberry quality%%'", pid);
	ck_assert_int_gt(id, 0);
	/* The list, filtered by stars. */
	snprintf(path, sizeof(path), "/p/%s/reviews?stars=5", slug);
	r = client_browse(&a, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "Pelicanberry"));
	/* Its author is offered to edit it, not to write another. */
	ck_assert_ptr_nonnull(strstr(r->body, "Edit your review"));
	ck_assert_ptr_nonnull(strstr(r->body, "Edit or delete your review"));
	ck_assert_ptr_null(strstr(r->body, ">Write a review<"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/p/%s/reviews?stars=1", slug);
	r = client_browse(&a, "GET", path, NULL);
	ck_assert_ptr_null(strstr(r->body, "Pelicanberry"));
	hresp_free(r);
	/* The product page: the author's link to edit. */
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = client_browse(&a, "GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "Edit your review"));
	hresp_free(r);
	/* Helpful, as a form. */
	buyer_new(&b, "rvpageb", NULL, 0);
	snprintf(path, sizeof(path), "/reviews/%lld/helpful", id);
	ck_assert_int_eq(form_post(&b, path, "back=list", loc, sizeof(loc)), 303);
	ck_assert_msg(strstr(loc, "/reviews") && !strstr(loc, "#"), "back to the list: %s", loc);
	ck_assert_int_eq(sql_scalarf("SELECT helpful FROM reviews WHERE id = %lld", id), 1);
	/* The seller's reply form. */
	snprintf(path, sizeof(path), "/reviews/%lld/reply", id);
	r = client_browse(&seller, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(form_post(&seller, path, "body=Glad+you+like+it", NULL, 0), 303);
	snprintf(path, sizeof(path), "/p/%s/reviews?sort=newest", slug);
	r = client_browse(&a, "GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "Glad you like it"));
	hresp_free(r);
	/* A held review: My reviews says why; the admin rejects it with a form. */
	ck_assert_int_eq(form_post(&b, "/p/x/review", "rating=1&body=y", NULL, 0), 404);
	snprintf(path, sizeof(path), "/p/%s/review", slug);
	ck_assert_int_eq(form_post(&b, path, "rating=1&title=Hm&body=Visit+www.shoutbox.com", loc, sizeof(loc)), 303);
	ck_assert_str_eq(loc, "/account/reviews");
	r = client_browse(&b, "GET", "/account/reviews", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "contains a link"));
	hresp_free(r);
	id2 = sql_scalarf("SELECT id FROM reviews WHERE product_id = %lld AND status = 'pending'", pid);
	r = client_browse(&admin, "GET", "/admin/reviews", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "shoutbox"));
	ck_assert_ptr_nonnull(strstr(r->body, "contains a link"));
	hresp_free(r);
	snprintf(path, sizeof(path), "/admin/reviews/%lld/reject", id2);
	ck_assert_int_eq(form_post(&admin, path, "reason=No+links+please", NULL, 0), 303);
	ck_assert_int_eq(sql_scalarf("SELECT status = 'rejected' FROM reviews WHERE id = %lld", id2), 1);
	ck_assert_int_eq(form_post(&admin, "/admin/reviews/settings", "", NULL, 0), 303);
	ck_assert_int_eq(sql_scalar("SELECT value = '0' FROM review_settings WHERE name = 'accept_non_buyers'"), 1);
	r = client_browse(&admin, "GET", "/admin/reviews?status=rejected", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "No links please"));
	hresp_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reviews");
	TCase *tc = tcase_create("reviews");

	harness_init();
	tcase_add_unchecked_fixture(tc, setup_once, NULL);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_who_may_review);
	tcase_add_test(tc, t_rules_queue);
	tcase_add_test(tc, t_hostile_inert);
	tcase_add_test(tc, t_reject_and_publish);
	tcase_add_test(tc, t_rating_everywhere);
	tcase_add_test(tc, t_seller_cannot_moderate);
	tcase_add_test(tc, t_votes_reply_edit);
	tcase_add_test(tc, t_pages);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
