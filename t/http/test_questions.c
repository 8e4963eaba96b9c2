/* t/http: product questions and answers (issue 17) on the whole stack.
 * A shopper asks and sees the question; the seller hears of it by mail and
 * answers (marked "seller"), and the asker gets the answer by mail; a
 * buyer (an order line really shipped: checkout, then the seller's
 * shipment) answers (marked "buyer"), anyone else is refused 403; each
 * automatic rule (link, contact, word list, shouting, duplicate, author
 * rate, product burst) sends a question to the admin's queue with its
 * reason; rejected texts are never shown; an admin who sells the product
 * cannot moderate it (404); helpful votes order the answers; hostile text
 * renders inert; the pages work as plain forms.
 *
 * The test stacks set SHOP_QUESTIONS_AUTHOR_RATE=3 and
 * SHOP_QUESTIONS_PRODUCT_BURST=5 (scripts/run-tests): each test uses
 * products of its own and fresh accounts, so only the rate tests reach
 * them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.2000s", (s), (r)->body)
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				  "status %ld, body must not have %s: %.2000s", (r)->status, (s), (r)->body)

/* ---- people ---- */

static long long signup(struct client *cl, const char *tag, const char *name, char *email_out, size_t n)
{
	char email[160];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email(tag));
	ck_assert_int_eq(client_signup(cl, name, email, PW), 0);
	if (email_out)
		snprintf(email_out, n, "%s", email);
	return sql_scalarf("SELECT id FROM users WHERE email = '%s'", email);
}

/* An account given a role the operator's way (shopctl grant), its session
 * refreshed (a role change gives a new session id). */
static void grant(struct client *cl, const char *email, const char *role)
{
	char args[300];

	snprintf(args, sizeof(args), "grant %s %s", email, role);
	ck_assert_int_eq(shopctl_run(NULL, NULL, args), 0);
	ck_assert_int_eq(client_session(cl), 0);
}

/* A seller who sells product pid; its sellers.id. */
static long long seller_of(struct client *cl, const char *tag, long long pid, char *email, size_t n)
{
	long long uid = signup(cl, tag, "Sam Seller", email, n), sid;

	grant(cl, email, "seller");
	sid = sql_scalarf("SELECT id FROM sellers WHERE user_id = %lld", uid);
	ck_assert_int_gt(sid, 0);
	sql_execf("UPDATE sellers SET display_name = 'Shop %s' WHERE id = %lld", tag, sid);
	sql_execf("UPDATE products SET seller_id = %lld WHERE id = %lld", sid, pid);
	return sid;
}

static long long admin_new(struct client *cl, const char *tag)
{
	char email[160];
	long long uid = signup(cl, tag, "Ada Admin", email, sizeof(email));

	grant(cl, email, "admin");
	return uid;
}

/* The k-th demo product from the end that has an active SKU: each test
 * takes products of its own, so the product burst rule never mixes
 * tests. */
static long long product_at(int k)
{
	long long id = sql_scalarf("SELECT p.id FROM products p WHERE p.id <= 194 AND p.status = 'active' AND EXISTS "
				   "(SELECT 1 FROM skus s WHERE s.product_id = p.id AND s.status = 'active') "
				   "ORDER BY p.id DESC LIMIT 1 OFFSET %d", k);

	ck_assert_int_gt(id, 0);
	return id;
}

static void slug_of(long long pid, char *out, size_t n)
{
	char path[100];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(out, n, "%s", json_string_value(json_object_get(j, "slug")));
	json_decref(j);
	hresp_free(r);
}

/* A verified buyer of product pid (its default SKU, a unit in stock):
 * the harness's real checkout and shipment by the product's seller. */
static void q_buyer_shipped(struct client *buyer, struct client *seller, long long pid)
{
	char path[120], code[80];
	long long sku;
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/items/%lld", pid);
	r = http_get_json(path);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	snprintf(code, sizeof(code), "%s", json_string_value(json_object_get(j, "sku")));
	json_decref(j);
	hresp_free(r);
	sku = sql_scalarf("SELECT id FROM skus WHERE code = '%s'", code);
	ck_assert_int_gt(sku, 0);
	set_stock_only(sku, 1, 30, "test_questions: a unit to buy");
	buyer_shipped(buyer, seller, code, "qbuyer", NULL, 0);
}

/* ---- requests ---- */

static char *jbody(const char *key, const char *text)
{
	json_t *o = json_pack("{ss}", key, text);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

/* POST {"body": text} to path as cl; the answer's JSON (caller frees). */
static json_t *post_text(struct client *cl, const char *path, const char *text, long expect)
{
	char *b = jbody("body", text);
	struct hresp *r = client_req(cl, "POST", path, b, 1);
	json_t *j;

	free(b);
	ck_assert_msg(r->status == expect, "POST %s: %ld (want %ld) %s", path, r->status, expect, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

/* Asks; checks the answer's status; the question's id. */
static long long ask(struct client *cl, long long pid, const char *text, const char *status)
{
	char path[100];
	json_t *j;
	long long id;

	snprintf(path, sizeof(path), "/api/items/%lld/questions", pid);
	j = post_text(cl, path, text, 201);
	ck_assert_msg(!strcmp(json_string_value(json_object_get(j, "status")), status), "asked %s: status %s",
		      text, json_string_value(json_object_get(j, "status")));
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	return id;
}

static long long answer(struct client *cl, long long qid, const char *text, const char *by, const char *status)
{
	char path[100];
	json_t *j;
	long long id;

	snprintf(path, sizeof(path), "/api/questions/%lld/answers", qid);
	j = post_text(cl, path, text, 201);
	ck_assert_str_eq(json_string_value(json_object_get(j, "by")), by);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), status);
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	return id;
}

/* GET /api/items/{pid}/questions as cl (with a session: never nginx's
 * microcache copy). */
static json_t *listing(struct client *cl, long long pid)
{
	char path[100];
	struct hresp *r;
	json_t *j;

	snprintf(path, sizeof(path), "/api/items/%lld/questions", pid);
	r = client_req(cl, "GET", path, NULL, 0);
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	return j;
}

/* The question id of the listing, or NULL (borrowed from j). */
static json_t *listed(json_t *j, long long id)
{
	size_t i;
	json_t *q;

	json_array_foreach(json_object_get(j, "questions"), i, q)
		if (json_integer_value(json_object_get(q, "id")) == id)
			return q;
	return NULL;
}

/* The queue's entry (questions or answers) with id, with its reasons as
 * "a,b" into reasons; 0 when absent. */
static int queued(struct client *admin, const char *status, const char *kind, long long id, char *reasons, size_t n)
{
	char path[100];
	struct hresp *r;
	json_t *j, *o, *c;
	size_t i, k;
	int found = 0;

	snprintf(path, sizeof(path), "/api/admin/questions?status=%s", status);
	r = client_req(admin, "GET", path, NULL, 0);
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	j = hresp_json(r);
	hresp_free(r);
	if (reasons)
		*reasons = '\0';
	json_array_foreach(json_object_get(j, kind), i, o) {
		if (json_integer_value(json_object_get(o, "id")) != id)
			continue;
		found = 1;
		json_array_foreach(json_object_get(o, "reasons"), k, c)
			if (reasons)
				snprintf(reasons + strlen(reasons), n - strlen(reasons), "%s%s", k ? "," : "",
					 json_string_value(c));
	}
	json_decref(j);
	return found;
}

static void setup(void)
{
	clear_ip_throttles();
}

/* ---- the tests ---- */

START_TEST(ask_and_see)
{
	struct client shopper, other, anon;
	long long pid = product_at(0), qid;
	char slug[200], path[300], text[120], *big;
	struct hresp *r;
	json_t *j, *q;

	slug_of(pid, slug, sizeof(slug));
	signup(&shopper, "qask", "Pat Person", NULL, 0);
	signup(&other, "qother", "Olga Other", NULL, 0);
	snprintf(text, sizeof(text), "Does it come with a carry case? (%d)", (int)getpid());
	qid = ask(&shopper, pid, text, "published");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'QuestionPublished' AND "
				     "JSON_VALUE(payload, '$.questionId') = %lld AND aggregate_id = %lld", qid, pid), 1);

	/* Everyone sees it: the API, the product's questions page. */
	j = listing(&other, pid);
	q = listed(j, qid);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(json_string_value(json_object_get(q, "body")), text);
	ck_assert_str_eq(json_string_value(json_object_get(q, "author")), "Pat P.");
	ck_assert_int_eq(json_array_size(json_object_get(q, "answers")), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/p/%s/questions", slug);
	r = client_browse(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, text);
	HAS(r, "Pat P.");
	hresp_free(r);
	/* The product page counts it (unanswered questions are on their page). */
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = client_browse(&other, "GET", path, NULL);
	HAS(r, "id=\"questions\"");
	HAS(r, "See all 1 question");
	HAS(r, "name=\"body\"");		/* signed in: the form */
	hresp_free(r);
	/* A visitor without a session: the shared page, no form, no token. */
	memset(&anon, 0, sizeof(anon));
	r = client_browse(&anon, "GET", path, NULL);
	HAS(r, "Sign in to ask a question");
	LACKS(r, "id=\"qa-body\"");
	hresp_free(r);

	/* Refusals: not signed in, no token, bad input, unknown product. */
	snprintf(path, sizeof(path), "/api/items/%lld/questions", pid);
	r = client_req(&anon, "POST", path, "{\"body\":\"Hello there?\"}", 0);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = client_req(&shopper, "POST", path, "{\"body\":\"Hello there?\"}", 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	j = post_text(&shopper, path, "  \n\u202e ", 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(
		json_object_get(j, "error"), "fields"), 0), "field")), "body");
	json_decref(j);
	big = malloc(2002);
	memset(big, 'a', 2001);
	big[2001] = '\0';
	j = post_text(&shopper, path, big, 422);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
				     "at most 2000"));
	json_decref(j);
	big[2000] = '\0';	/* exactly 2000: fine (another product, the rates stay low) */
	snprintf(path, sizeof(path), "/api/items/%lld/questions", product_at(1));
	json_decref(post_text(&shopper, path, big, 201));
	free(big);
	snprintf(path, sizeof(path), "/api/items/%lld/questions", pid);
	r = client_req(&shopper, "POST", path, "{\"body\":\"Hi?\",\"rating\":5}", 1);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = client_req(&shopper, "POST", "/api/items/999999999/questions", "{\"body\":\"Anyone?\"}", 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
}
END_TEST

START_TEST(seller_answers_asker_mailed)
{
	struct client seller, shopper, other;
	char semail[160], aemail[160], slug[200], path[300], text[160], reply[200], *m;
	long long pid = product_at(2), qid, aid;
	struct hresp *r;
	json_t *j, *q;

	seller_of(&seller, "qsell", pid, semail, sizeof(semail));
	slug_of(pid, slug, sizeof(slug));
	signup(&shopper, "qasker", "Pat Person", aemail, sizeof(aemail));
	signup(&other, "qother", "Olga Other", NULL, 0);
	snprintf(text, sizeof(text), "Is the strap adjustable for small wrists? %d", (int)getpid());
	qid = ask(&shopper, pid, text, "published");

	/* The seller hears of it, with a link to answer. */
	m = maildir_wait(semail, "New question about", 20);
	ck_assert_msg(m != NULL, "no new-question mail to the seller");
	ck_assert_ptr_nonnull(strstr(m, text));
	snprintf(path, sizeof(path), "/seller/questions#q-%lld", qid);
	ck_assert_ptr_nonnull(strstr(m, path));
	free(m);
	/* ... and finds it on their pages, with the form. */
	r = client_browse(&seller, "GET", "/seller/questions", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, text);
	snprintf(path, sizeof(path), "action=\"/questions/%lld/answers\"", qid);
	HAS(r, path);
	hresp_free(r);

	snprintf(reply, sizeof(reply), "Yes: the strap has nine holes and fits wrists from 13 cm. %d", (int)getpid());
	aid = answer(&seller, qid, reply, "seller", "published");
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'AnswerPublished' AND "
				     "JSON_VALUE(payload, '$.answerId') = %lld AND JSON_VALUE(payload, '$.by') = 'seller'",
				     aid), 1);
	/* The asker gets the answer by mail, with the link. */
	m = maildir_wait(aemail, "was answered", 20);
	ck_assert_msg(m != NULL, "no answer mail to the asker");
	ck_assert_ptr_nonnull(strstr(m, reply));
	ck_assert_ptr_nonnull(strstr(m, "The seller, Shop qsell, answered"));
	snprintf(path, sizeof(path), "/p/%s/questions#q-%lld", slug, qid);
	ck_assert_ptr_nonnull(strstr(m, path));
	free(m);

	/* Shown with the seller's mark: the API, the product page. */
	j = listing(&other, pid);
	q = listed(j, qid);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(q, "answers"), 0), "by")),
			 "seller");
	json_decref(j);
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = client_browse(&other, "GET", path, NULL);
	HAS(r, text);
	HAS(r, reply);
	HAS(r, "qa-seller\">Seller</span>");
	hresp_free(r);
	/* Answered: no longer waiting on the seller's list. */
	r = client_browse(&seller, "GET", "/seller/questions", NULL);
	LACKS(r, text);
	hresp_free(r);
	r = client_browse(&seller, "GET", "/seller/questions?filter=all", NULL);
	HAS(r, text);
	hresp_free(r);
}
END_TEST

START_TEST(buyer_answers_others_refused)
{
	struct client seller, shopper, buyer, stranger;
	char semail[160], text[160];
	long long pid = product_at(3), qid, pending;
	json_t *j;

	seller_of(&seller, "qsellb", pid, semail, sizeof(semail));
	signup(&shopper, "qaskb", "Pat Person", NULL, 0);
	q_buyer_shipped(&buyer, &seller, pid);
	signup(&stranger, "qstr", "Stan Stranger", NULL, 0);
	snprintf(text, sizeof(text), "How long does the battery last in daily use? %d", (int)getpid());
	qid = ask(&shopper, pid, text, "published");

	answer(&buyer, qid, "About two weeks for me, charging on Sundays.", "buyer", "published");
	j = post_text(&stranger, "/api/questions/0/answers", "Nope.", 404);
	json_decref(j);
	{
		char path[100];

		snprintf(path, sizeof(path), "/api/questions/%lld/answers", qid);
		j = post_text(&stranger, path, "I think it lasts a month.", 403);
		json_decref(j);
		/* The asker bought nothing either. */
		j = post_text(&shopper, path, "Answering myself.", 403);
		json_decref(j);
		/* A pending question cannot be answered. */
		pending = ask(&shopper, product_at(4), "Where do I find it: www.example.com?", "pending");
		snprintf(path, sizeof(path), "/api/questions/%lld/answers", pending);
		j = post_text(&seller, path, "Here.", 404);
		json_decref(j);
	}
	j = listing(&stranger, pid);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(listed(j, qid), "answers"), 0),
							   "by")), "buyer");
	json_decref(j);
	{
		char slug[200], path[300];
		struct hresp *r;

		slug_of(pid, slug, sizeof(slug));
		snprintf(path, sizeof(path), "/p/%s/questions", slug);
		r = client_browse(&stranger, "GET", path, NULL);
		HAS(r, "qa-buyer\">Verified buyer</span>");
		LACKS(r, "Answer this question");	/* not allowed: no form */
		hresp_free(r);
		r = client_browse(&buyer, "GET", path, NULL);
		HAS(r, "Answer this question");
		HAS(r, "You answer as a verified buyer.");
		hresp_free(r);
	}
}
END_TEST

START_TEST(each_rule_holds_a_question)
{
	struct client admin, u[8], burst;
	long long pa = product_at(5), pb = product_at(6), pc = product_at(7), pd = product_at(8), id, uid;
	char reasons[200], dup[200];
	static const struct { const char *text, *code; } rules[] = {
		{ "Is it on sale at https://cheap.example.com cheaper?", "link" },
		{ "Could the seller write me at pat.person@example.org?", "contact" },
		{ "Does it work as a casino chip holder?", "words" },
		{ "WHY DOES NOBODY ANSWER ABOUT THE SIZE OF THIS THING", "shouting" },
	};

	admin_new(&admin, "qadm");
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		signup(&u[i], "qrule", "Rita Rule", NULL, 0);
		id = ask(&u[i], pa, rules[i].text, "pending");
		ck_assert(queued(&admin, "pending", "questions", id, reasons, sizeof(reasons)));
		ck_assert_msg(strstr(reasons, rules[i].code) != NULL, "%s: reasons %s", rules[i].text, reasons);
		ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'QuestionPublished' AND "
					     "JSON_VALUE(payload, '$.questionId') = %lld", id), 0);
	}
	/* A duplicate of another question (by another shopper, another
	 * product); a short one ("Yes?") never counts. */
	snprintf(dup, sizeof(dup), "Will this fit in the overhead bin of a small plane? %d", (int)getpid());
	signup(&u[4], "qdup", "Dora Dup", NULL, 0);
	signup(&u[5], "qdup", "Dan Dup", NULL, 0);
	ask(&u[4], pb, dup, "published");
	id = ask(&u[5], pc, dup, "pending");
	ck_assert(queued(&admin, "pending", "questions", id, reasons, sizeof(reasons)));
	ck_assert_str_eq(reasons, "duplicate");
	ask(&u[4], pb, "Why?", "published");
	ask(&u[5], pc, "Why?", "published");
	/* An author above 3 an hour: the fourth waits. */
	signup(&u[6], "qrate", "Rob Rate", NULL, 0);
	ask(&u[6], pd, "Is the lid dishwasher safe?", "published");
	ask(&u[6], pd, "Does the handle get hot?", "published");
	ask(&u[6], product_at(9), "Is there a warranty card?", "published");
	id = ask(&u[6], product_at(9), "Can I buy a spare seal?", "pending");
	ck_assert(queued(&admin, "pending", "questions", id, reasons, sizeof(reasons)));
	ck_assert_str_eq(reasons, "rate");
	/* A product above 5 in 10 minutes (a burst): the sixth waits. Five
	 * questions of a moment ago, then one more. */
	uid = signup(&burst, "qburst", "Bo Burst", NULL, 0);
	for (int i = 0; i < 5; i++)
		sql_execf("INSERT INTO questions (product_id, user_id, body, status, fingerprint) VALUES "
			  "(%lld, %lld, 'Burst %d', 'published', SHA2('burst%d-%d', 256))", product_at(10),
			  sql_scalarf("SELECT id FROM users WHERE id <> %lld ORDER BY id DESC LIMIT 1", uid), i, i,
			  (int)getpid());
	id = ask(&burst, product_at(10), "Is it loud when it runs?", "pending");
	ck_assert(queued(&admin, "pending", "questions", id, reasons, sizeof(reasons)));
	ck_assert_str_eq(reasons, "rate");

	/* None of them is shown; the admin's page lists them with the words. */
	{
		struct hresp *r = client_browse(&admin, "GET", "/admin/questions", NULL);

		ck_assert_int_eq(r->status, 200);
		HAS(r, "contains a link");
		HAS(r, "contains contact details");
		HAS(r, "written mostly in capitals");
		HAS(r, "repeats another text word for word");
		HAS(r, "at an unusual rate");
		hresp_free(r);
	}
	{
		json_t *j = listing(&burst, pa);

		ck_assert_int_eq(json_array_size(json_object_get(j, "questions")), 0);
		json_decref(j);
	}
}
END_TEST

START_TEST(moderation_publish_reject)
{
	struct client admin, seller, shopper, buyer, other;
	char semail[160], slug[200], path[300], form[300], text[160], reasons[100];
	long long pid = product_at(11), held, held2, qid, aid;
	struct hresp *r;
	json_t *j;

	admin_new(&admin, "qadm2");
	seller_of(&seller, "qsellm", pid, semail, sizeof(semail));
	slug_of(pid, slug, sizeof(slug));
	signup(&shopper, "qaskm", "Pat Person", NULL, 0);
	signup(&other, "qotherm", "Olga Other", NULL, 0);

	/* Published from the queue: shown, the event, the seller's mail. */
	snprintf(text, sizeof(text), "Can I reach you at www.example.com for bulk orders? %d", (int)getpid());
	held = ask(&shopper, pid, text, "pending");
	snprintf(path, sizeof(path), "/api/admin/questions/%lld/publish", held);
	r = client_req(&admin, "POST", path, "{}", 0);
	ck_assert_int_eq(r->status, 403);	/* no token */
	hresp_free(r);
	r = client_req(&admin, "POST", path, "{}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"status\":\"published\"");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'QuestionPublished' AND "
				     "JSON_VALUE(payload, '$.questionId') = %lld", held), 1);
	j = listing(&other, pid);
	ck_assert_ptr_nonnull(listed(j, held));
	json_decref(j);
	{
		char *m = maildir_wait(semail, "New question about", 20);

		ck_assert_msg(m != NULL, "no new-question mail to the seller");
		free(m);
	}

	/* Rejected with a reason: never shown; its author sees why. */
	held2 = ask(&shopper, pid, "SHOUTING IS HOW I ASK ABOUT THE COLOURS OF IT", "pending");
	snprintf(path, sizeof(path), "/api/admin/questions/%lld/reject", held2);
	r = client_req(&admin, "POST", path, "{\"reason\":\"\"}", 1);
	ck_assert_int_eq(r->status, 422);	/* a reason is needed */
	HAS(r, "\"field\":\"reason\"");
	hresp_free(r);
	r = client_req(&admin, "POST", path, "{\"reason\":\"Please ask without capitals.\"}", 1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	HAS(r, "\"status\":\"rejected\"");
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'QuestionRejected' AND "
				     "JSON_VALUE(payload, '$.questionId') = %lld AND "
				     "JSON_VALUE(payload, '$.reason') = 'Please ask without capitals.'", held2), 1);
	ck_assert(queued(&admin, "rejected", "questions", held2, reasons, sizeof(reasons)));
	j = listing(&other, pid);
	ck_assert_ptr_null(listed(j, held2));
	json_decref(j);
	snprintf(path, sizeof(path), "/p/%s/questions", slug);
	r = client_browse(&other, "GET", path, NULL);
	LACKS(r, "SHOUTING IS HOW");
	hresp_free(r);
	r = client_browse(&shopper, "GET", path, NULL);
	HAS(r, "SHOUTING IS HOW");		/* the author's own, marked */
	HAS(r, "Not published");
	HAS(r, "Please ask without capitals.");
	hresp_free(r);
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = client_browse(&other, "GET", path, NULL);
	LACKS(r, "SHOUTING IS HOW");
	hresp_free(r);

	/* A published answer taken down (the form of /admin/questions). */
	q_buyer_shipped(&buyer, &seller, pid);
	qid = held;
	aid = answer(&buyer, qid, "It came in a plain box, no logo at all.", "buyer", "published");
	snprintf(path, sizeof(path), "/admin/answers/%lld", aid);
	snprintf(form, sizeof(form), "csrf=%s&decision=reject&reason=", admin.csrf);
	r = client_browse(&admin, "POST", path, form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "give a reason");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&decision=reject&reason=Off+topic", admin.csrf);
	r = client_browse(&admin, "POST", path, form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM outbox WHERE topic = 'AnswerRejected' AND "
				     "JSON_VALUE(payload, '$.answerId') = %lld AND JSON_VALUE(payload, '$.by') = 'buyer'",
				     aid), 1);
	j = listing(&other, pid);
	ck_assert_int_eq(json_array_size(json_object_get(listed(j, qid), "answers")), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/p/%s/questions", slug);
	r = client_browse(&other, "GET", path, NULL);
	LACKS(r, "plain box");
	hresp_free(r);
	/* Not an admin: 403; an unknown text: 404. */
	r = client_req(&other, "POST", "/api/admin/questions/1/publish", "{}", 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&admin, "POST", "/api/admin/questions/999999999/publish", "{}", 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
}
END_TEST

START_TEST(admin_selling_the_product_gets_404)
{
	struct client boss, admin, shopper;
	char bemail[160], path[120], reasons[100];
	long long pid = product_at(12), held, aid;
	struct hresp *r;

	/* An admin who is also the product's seller. */
	seller_of(&boss, "qboss", pid, bemail, sizeof(bemail));
	grant(&boss, bemail, "admin");
	admin_new(&admin, "qadm3");
	signup(&shopper, "qaskx", "Pat Person", NULL, 0);
	held = ask(&shopper, pid, "Contact me on +1 555 123 4567 about the price?", "pending");

	ck_assert(!queued(&boss, "pending", "questions", held, reasons, sizeof(reasons)));
	ck_assert(queued(&admin, "pending", "questions", held, reasons, sizeof(reasons)));
	snprintf(path, sizeof(path), "/api/admin/questions/%lld/publish", held);
	r = client_req(&boss, "POST", path, "{}", 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/admin/questions/%lld/reject", held);
	r = client_req(&boss, "POST", path, "{\"reason\":\"I do not like it\"}", 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(path, sizeof(path), "/admin/questions/%lld", held);
	{
		char form[300];

		snprintf(form, sizeof(form), "csrf=%s&decision=publish", boss.csrf);
		r = client_browse(&boss, "POST", path, form);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
	}
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM questions WHERE id = %lld AND status = 'pending'", held), 1);
	/* Another admin can. */
	snprintf(path, sizeof(path), "/api/admin/questions/%lld/publish", held);
	r = client_req(&admin, "POST", path, "{}", 1);
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	/* The same for the answers: the boss's own (a seller's answer with a
	 * link waits) is not theirs to publish. */
	{
		char body[100];
		json_t *j;

		snprintf(path, sizeof(path), "/api/questions/%lld/answers", held);
		j = post_text(&boss, path, "See www.example.com/size-chart for sizes.", 201);
		ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "pending");
		aid = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		snprintf(path, sizeof(path), "/api/admin/answers/%lld/publish", aid);
		r = client_req(&boss, "POST", path, "{}", 1);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		ck_assert(queued(&admin, "pending", "answers", aid, reasons, sizeof(reasons)));
		ck_assert_str_eq(reasons, "link");
		snprintf(body, sizeof(body), "{}");
		r = client_req(&admin, "POST", path, body, 1);
		ck_assert_int_eq(r->status, 200);
		HAS(r, "\"by\":\"seller\"");
		hresp_free(r);
	}
}
END_TEST

START_TEST(votes_order_answers)
{
	struct client seller, shopper, buyer, v1, v2;
	char semail[160], slug[200], path[300], text[160];
	long long pid = product_at(13), qid, a_seller, a_buyer;
	struct hresp *r;
	json_t *j, *ans;

	seller_of(&seller, "qsellv", pid, semail, sizeof(semail));
	slug_of(pid, slug, sizeof(slug));
	signup(&shopper, "qaskv", "Pat Person", NULL, 0);
	q_buyer_shipped(&buyer, &seller, pid);
	signup(&v1, "qv1", "Vic Voter", NULL, 0);
	signup(&v2, "qv2", "Val Voter", NULL, 0);
	snprintf(text, sizeof(text), "Is the colour true to the photos? %d", (int)getpid());
	qid = ask(&shopper, pid, text, "published");
	a_seller = answer(&seller, qid, "Yes, the photos are taken in daylight.", "seller", "published");
	a_buyer = answer(&buyer, qid, "Mine is a little darker than the photo shows.", "buyer", "published");

	/* Two helpful votes for the buyer's answer; repeats and one's own do
	 * not count. */
	snprintf(path, sizeof(path), "/api/answers/%lld/votes", a_buyer);
	r = client_req(&v1, "POST", path, NULL, 1);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	HAS(r, "\"helpful\":1");
	hresp_free(r);
	r = client_req(&v1, "POST", path, NULL, 1);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "\"helpful\":1");
	hresp_free(r);
	r = client_req(&buyer, "POST", path, NULL, 1);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_req(&v2, "POST", path, NULL, 0);
	ck_assert_int_eq(r->status, 403);	/* no token */
	hresp_free(r);
	/* The page's button. */
	{
		char form[200];

		snprintf(path, sizeof(path), "/answers/%lld/votes", a_buyer);
		snprintf(form, sizeof(form), "csrf=%s", v2.csrf);
		r = client_browse(&v2, "POST", path, form);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
	}
	r = client_req(&v2, "POST", "/api/answers/999999999/votes", NULL, 1);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT helpful FROM answers WHERE id = %lld", a_buyer), 2);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM answer_votes WHERE answer_id = %lld", a_buyer), 2);

	/* The most helpful first: the API, the questions page, the product page. */
	j = listing(&v1, pid);
	ans = json_object_get(listed(j, qid), "answers");
	ck_assert_int_eq(json_array_size(ans), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ans, 0), "id")), a_buyer);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ans, 0), "helpful")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ans, 1), "id")), a_seller);
	json_decref(j);
	snprintf(path, sizeof(path), "/p/%s/questions", slug);
	r = client_browse(&v1, "GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "a little darker"));
	ck_assert(strstr(r->body, "a little darker") < strstr(r->body, "taken in daylight"));
	HAS(r, "2 found this helpful");
	hresp_free(r);
	snprintf(path, sizeof(path), "/p/%s", slug);
	r = client_browse(&v1, "GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, "a little darker"));
	ck_assert(strstr(r->body, "a little darker") < strstr(r->body, "taken in daylight"));
	hresp_free(r);
	(void)a_seller;
}
END_TEST

START_TEST(hostile_text_inert)
{
	struct client shopper, other, admin;
	char slug[200], path[300], body[3000], word[301];
	long long pid = product_at(14), qid;
	struct hresp *r;
	json_t *j;

	admin_new(&admin, "qadm4");
	slug_of(pid, slug, sizeof(slug));
	signup(&shopper, "qhostile", "<b>Mal</b> Doer", NULL, 0);
	signup(&other, "qotherh", "Olga Other", NULL, 0);
	word[300] = '\0';
	for (int i = 0; i < 300; i++)
		word[i] = "abcdefghij"[i % 10];
	snprintf(body, sizeof(body), "<script>alert(1)</script> <img src=x onerror=alert(2)> "
		 "\xe2\x80\xae" "reversed\xe2\x80\xac text %s \"quoted\" & done?", word);
	qid = ask(&shopper, pid, body, "published");
	/* Stored cleaned: no bidirectional override. */
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM questions WHERE id = %lld AND body LIKE '%%reversed%%' AND "
				     "INSTR(body, UNHEX('E280AE')) = 0", qid), 1);
	snprintf(path, sizeof(path), "/p/%s/questions", slug);
	r = client_browse(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "&lt;script&gt;alert(1)&lt;/script&gt;");
	HAS(r, "&lt;img src");
	LACKS(r, "<script>alert(1)");
	LACKS(r, "<img src=x");
	LACKS(r, "\xe2\x80\xae");
	HAS(r, "class=\"ugc\"");		/* wraps anywhere (static/app.css) */
	HAS(r, "&lt;b&gt;Mal&lt;/b&gt;");
	hresp_free(r);
	/* The JSON keeps the text as text. */
	j = listing(&other, pid);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(listed(j, qid), "body")), "<script>"));
	json_decref(j);
	/* The admin's queue too: a held one with markup. */
	{
		long long held = ask(&shopper, product_at(15), "<script>x()</script> mail me at a@b.example.org", "pending");
		char reasons[100];

		ck_assert(queued(&admin, "pending", "questions", held, reasons, sizeof(reasons)));
		r = client_browse(&admin, "GET", "/admin/questions", NULL);
		HAS(r, "&lt;script&gt;x()&lt;/script&gt;");
		LACKS(r, "<script>x()");
		hresp_free(r);
	}
}
END_TEST

START_TEST(pages_as_forms)
{
	struct client shopper, seller;
	char semail[160], slug[200], path[300], form[600], text[100];
	long long pid = product_at(16), qid;
	struct hresp *r;

	seller_of(&seller, "qsellf", pid, semail, sizeof(semail));
	slug_of(pid, slug, sizeof(slug));
	signup(&shopper, "qform", "Pat Person", NULL, 0);
	snprintf(path, sizeof(path), "/p/%s/questions", slug);

	/* An empty question: the page again, 422, the problem by the field. */
	snprintf(form, sizeof(form), "csrf=%s&body=+++", shopper.csrf);
	r = client_browse(&shopper, "POST", path, form);
	ck_assert_int_eq(r->status, 422);
	HAS(r, "Your question must not be empty.");
	HAS(r, "aria-invalid=\"true\"");
	hresp_free(r);
	/* Without the token: refused. */
	r = client_browse(&shopper, "POST", path, "body=Hello");
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	/* Asked: back to the page, with the thanks. */
	snprintf(text, sizeof(text), "Does it fold flat for storage %d?", (int)getpid());
	snprintf(form, sizeof(form), "csrf=%s&body=%s", shopper.csrf, text);
	for (char *p = form; *p; p++)
		if (*p == ' ')
			*p = '+';
	r = client_browse(&shopper, "POST", path, form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	qid = sql_scalarf("SELECT MAX(id) FROM questions WHERE product_id = %lld", pid);
	r = client_browse(&shopper, "GET", path, NULL);
	HAS(r, text);
	HAS(r, "Your question is published");
	hresp_free(r);
	/* The seller answers from /seller/questions; an empty answer is said. */
	snprintf(path, sizeof(path), "/questions/%lld/answers", qid);
	snprintf(form, sizeof(form), "csrf=%s&from=seller&body=", seller.csrf);
	r = client_browse(&seller, "POST", path, form);
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	r = client_browse(&seller, "GET", "/seller/questions", NULL);
	HAS(r, "Your answer must not be empty.");
	hresp_free(r);
	snprintf(form, sizeof(form), "csrf=%s&from=seller&body=Yes,+flat+to+4+cm.", seller.csrf);
	r = client_browse(&seller, "POST", path, form);
	ck_assert_int_eq(r->status, 303);
	ck_assert_ptr_nonnull(strstr(hresp_header(r, "Location"), "/seller/questions"));
	hresp_free(r);
	ck_assert_int_eq(sql_scalarf("SELECT COUNT(*) FROM answers WHERE question_id = %lld AND author_kind = 'seller' "
				     "AND status = 'published'", qid), 1);
	/* Signed out, the form posts lead to sign in. */
	{
		struct client anon;

		memset(&anon, 0, sizeof(anon));
		r = client_browse(&anon, "POST", path, "body=x");
		ck_assert_int_ne(r->status, 201);
		ck_assert_int_lt(r->status, 500);
		hresp_free(r);
	}
	/* The admin page is for admins. */
	r = client_browse(&shopper, "GET", "/admin/questions", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	r = client_browse(&shopper, "GET", "/seller/questions", NULL);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
}
END_TEST

START_TEST(paging_by_cursor)
{
	struct client shopper;
	long long pid = product_at(17), ids[3];
	char path[700], cur[500];
	struct hresp *r;
	json_t *j, *qs;

	signup(&shopper, "qpage", "Pat Person", NULL, 0);
	ids[0] = ask(&shopper, pid, "Is it machine washable?", "published");
	ids[1] = ask(&shopper, pid, "Does the colour fade in the sun?", "published");
	ids[2] = ask(&shopper, pid, "Is there a matching belt?", "published");
	/* Newest first, two a page, then the rest. */
	snprintf(path, sizeof(path), "/api/items/%lld/questions?size=2", pid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	hresp_free(r);
	qs = json_object_get(j, "questions");
	ck_assert_int_eq(json_array_size(qs), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(qs, 0), "id")), ids[2]);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(qs, 1), "id")), ids[1]);
	ck_assert(json_is_string(json_object_get(j, "nextCursor")));
	snprintf(cur, sizeof(cur), "%s", json_string_value(json_object_get(j, "nextCursor")));
	json_decref(j);
	snprintf(path, sizeof(path), "/api/items/%lld/questions?size=2&cursor=%s", pid, cur);
	r = client_req(&shopper, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	hresp_free(r);
	qs = json_object_get(j, "questions");
	ck_assert_int_eq(json_array_size(qs), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(qs, 0), "id")), ids[0]);
	ck_assert(json_is_null(json_object_get(j, "nextCursor")));
	json_decref(j);
	/* A cursor the shop did not sign, a size out of bounds: 400. */
	snprintf(path, sizeof(path), "/api/items/%lld/questions?cursor=abc", pid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	snprintf(path, sizeof(path), "/api/items/%lld/questions?size=50", pid);
	r = client_req(&shopper, "GET", path, NULL, 0);
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("questions");
	TCase *t = tcase_create("questions");

	harness_init();
	tcase_set_timeout(t, 120);
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, ask_and_see);
	tcase_add_test(t, seller_answers_asker_mailed);
	tcase_add_test(t, buyer_answers_others_refused);
	tcase_add_test(t, each_rule_holds_a_question);
	tcase_add_test(t, moderation_publish_reject);
	tcase_add_test(t, admin_selling_the_product_gets_404);
	tcase_add_test(t, votes_order_answers);
	tcase_add_test(t, hostile_text_inert);
	tcase_add_test(t, pages_as_forms);
	tcase_add_test(t, paging_by_cursor);
	suite_add_tcase(s, t);
	return run_suite(s);
}
