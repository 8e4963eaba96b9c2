/* t/http: the address book (issue 3): the JSON API under /api/me/addresses
 * and the account page's forms, against the real stack. Every refusal is
 * checked in the database too: nothing stored, nothing changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.600s", (s), (r)->body)
/* Absent from an answer that came and is no server error (a 500 page lacks
 * everything). */
#define LACKS(r, s) ck_assert_msg((r)->status > 0 && (r)->status < 500 && strstr((r)->body, (s)) == NULL, \
				"status %ld, body must not have %s: %.600s", (r)->status, (s), (r)->body)

/* A complete, valid US address; country and region in lower case on
 * purpose (they are stored upper-cased). */
#define US_ADDR "{\"name\":\"Ann Example\",\"line1\":\"1 Main St\",\"city\":\"Springfield\"," \
		"\"region\":\"il\",\"postalCode\":\"62701\",\"country\":\"us\"}"
#define DE_ADDR "{\"name\":\"Bert Beispiel\",\"line1\":\"Unter den Linden 1\",\"line2\":\"Hinterhaus\"," \
		"\"city\":\"Berlin\",\"postalCode\":\"10117\",\"country\":\"DE\"}"

/* A new signed-in person; returns their users.id. */
static long long signup(struct client *cl, const char *name)
{
	char email[128], q[256];

	memset(cl, 0, sizeof(*cl));
	snprintf(email, sizeof(email), "%s", fresh_email("addr"));
	ck_assert_int_eq(client_signup(cl, name, email, PW), 0);
	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", email);
	return sql_scalar(q);
}

static long long count_for(long long uid, const char *where)
{
	char q[512];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM addresses WHERE user_id = %lld%s%s", uid,
		 where ? " AND " : "", where ? where : "");
	return sql_scalar(q);
}

/* 1 when address id satisfies the condition (a fixed SQL expression). */
static long long row_is(long long id, const char *cond)
{
	char q[512];

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM addresses WHERE id = %lld AND %s", id, cond);
	return sql_scalar(q);
}

/* A JSON API call; state-changing methods carry the CSRF header. */
static struct hresp *api(struct client *cl, const char *method, const char *path, const char *body)
{
	return client_req(cl, method, path, body, strcmp(method, "GET") != 0);
}

static struct hresp *api_id(struct client *cl, const char *method, long long id, const char *body)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/me/addresses/%lld", id);
	return api(cl, method, path, body);
}

/* Creates an address over the API and returns its id (201 required). */
static long long create(struct client *cl, const char *body)
{
	struct hresp *r = api(cl, "POST", "/api/me/addresses", body);
	json_t *j = hresp_json(r);
	long long id;

	ck_assert_msg(r->status == 201, "create: %ld %s", r->status, r->body);
	id = json_integer_value(json_object_get(j, "id"));
	ck_assert_int_gt(id, 0);
	json_decref(j);
	hresp_free(r);
	return id;
}

/* Expects a 400 whose message contains want. */
static void refused(struct client *cl, const char *method, const char *path, const char *body, const char *want)
{
	struct hresp *r = api(cl, method, path, body);
	json_t *j = hresp_json(r);
	const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	ck_assert_msg(r->status == 400, "%s %s %s: %ld %s", method, path, body, r->status, r->body);
	ck_assert_msg(msg && strstr(msg, want), "%s: message '%s' lacks '%s'", body, msg ? msg : "(none)", want);
	json_decref(j);
	hresp_free(r);
}

/* A browser request: no Accept: application/json, so pages answer HTML. A
 * form body gets the session's token as the hidden field would. */
static struct hresp *browser(struct client *cl, const char *method, const char *path, const char *form)
{
	char cookie[300], body[4096];
	const char *h[] = { "Content-Type: application/x-www-form-urlencoded", cookie, NULL };

	snprintf(cookie, sizeof(cookie), "Cookie: %s", cl->cookie);
	if (form)
		snprintf(body, sizeof(body), "%s%scsrf=%s", form, form[0] ? "&" : "", cl->csrf);
	return http(method, path, form ? body : NULL, h);
}

static long long default_id(long long uid)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT id FROM addresses WHERE user_id = %lld AND is_default = 1", uid);
	return sql_scalar(q);
}

START_TEST(create_list_get_patch_delete)
{
	struct client cl;
	long long uid = signup(&cl, "Ann"), id;
	struct hresp *r;
	json_t *j, *items, *a;
	char loc[128];

	r = api(&cl, "POST", "/api/me/addresses", US_ADDR);
	ck_assert_int_eq(r->status, 201);
	j = hresp_json(r);
	id = json_integer_value(json_object_get(j, "id"));
	snprintf(loc, sizeof(loc), "/api/me/addresses/%lld", id);
	ck_assert_str_eq(hresp_header(r, "Location"), loc);
	ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "Ann Example");
	ck_assert_str_eq(json_string_value(json_object_get(j, "line1")), "1 Main St");
	ck_assert_str_eq(json_string_value(json_object_get(j, "line2")), "");
	ck_assert_str_eq(json_string_value(json_object_get(j, "city")), "Springfield");
	ck_assert_str_eq(json_string_value(json_object_get(j, "region")), "IL");
	ck_assert_str_eq(json_string_value(json_object_get(j, "postalCode")), "62701");
	ck_assert_str_eq(json_string_value(json_object_get(j, "country")), "US");
	ck_assert(json_is_true(json_object_get(j, "isDefault")));	/* the first one */
	ck_assert_uint_eq(json_object_size(j), 9);
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, "user_id > 0"), 1);

	r = api(&cl, "GET", "/api/me/addresses", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	j = hresp_json(r);
	items = json_object_get(j, "items");
	ck_assert_uint_eq(json_array_size(items), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 0), "id")), id);
	ck_assert(json_is_null(json_object_get(j, "nextCursor")));
	json_decref(j);
	hresp_free(r);

	r = api_id(&cl, "GET", id, NULL);
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "postalCode")), "62701");
	json_decref(j);
	hresp_free(r);

	/* PATCH changes what it names and keeps the rest. */
	r = api_id(&cl, "PATCH", id, "{\"city\":\"Chicago\",\"postalCode\":\"60601-1234\",\"line2\":\"Suite 5\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "city")), "Chicago");
	ck_assert_str_eq(json_string_value(json_object_get(j, "postalCode")), "60601-1234");
	ck_assert_str_eq(json_string_value(json_object_get(j, "line2")), "Suite 5");
	ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "Ann Example");
	ck_assert_str_eq(json_string_value(json_object_get(j, "region")), "IL");
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(row_is(id, "city = 'Chicago' AND postal_code = '60601-1234' AND name = 'Ann Example'"), 1);

	/* An empty optional field in a PATCH clears it. */
	r = api_id(&cl, "PATCH", id, "{\"line2\":\"\"}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	ck_assert_int_eq(row_is(id, "line2 = ''"), 1);

	/* Moving country means the postal code and region must fit the new one. */
	r = api_id(&cl, "PATCH", id, "{\"country\":\"de\",\"region\":null,\"postalCode\":\"10117\",\"city\":\"Berlin\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	a = json_object_get(j, "country");
	ck_assert_str_eq(json_string_value(a), "DE");
	ck_assert_str_eq(json_string_value(json_object_get(j, "region")), "");
	json_decref(j);
	hresp_free(r);

	r = api_id(&cl, "DELETE", id, NULL);
	ck_assert_int_eq(r->status, 204);
	ck_assert_uint_eq(r->len, 0);
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 0);
	r = api_id(&cl, "GET", id, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api_id(&cl, "DELETE", id, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api(&cl, "GET", "/api/me/addresses/abc", NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
}
END_TEST

START_TEST(invalid_input_stores_nothing)
{
	struct client cl;
	long long uid = signup(&cl, "Val"), id;
	struct hresp *r;
	json_t *j, *fields;
	char body[1024], big[256];

	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\",\"postalCode\":\"12345\",\"country\":\"XX\"}",
		"country: is not an ISO 3166-1 country code");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\",\"postalCode\":\"12345\",\"country\":\"USA\"}",
		"country: must be from 2 to 2 characters long");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\",\"region\":\"NY\",\"postalCode\":\"1234\",\"country\":\"US\"}",
		"postalCode: is not a valid US ZIP code");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\",\"postalCode\":\"12345\",\"country\":\"US\"}",
		"region: is required for US addresses");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\",\"region\":\"ZZ\",\"postalCode\":\"12345\",\"country\":\"US\"}",
		"region: is not a US state or territory code");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"city\":\"X\",\"region\":\"ON\",\"postalCode\":\"K1A 0B\",\"country\":\"CA\"}",
		"postalCode: is not a valid Canadian postal code");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"   \",\"line1\":\"1 Main St\",\"city\":\"X\",\"postalCode\":\"10117\",\"country\":\"DE\"}",
		"name: is required");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"line1\":\"1 Main St\",\"city\":\"X\",\"postalCode\":\"10117\",\"country\":\"DE\"}",
		"name: is required");
	refused(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1 Main St\",\"line2\":[1],\"city\":\"X\",\"postalCode\":\"10117\",\"country\":\"DE\"}",
		"line2: must be text");
	/* Too long: 101 characters of name, 201 of line1. */
	memset(big, 'n', 101);
	big[101] = '\0';
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"line1\":\"1\",\"city\":\"X\",\"postalCode\":\"10117\",\"country\":\"DE\"}", big);
	refused(&cl, "POST", "/api/me/addresses", body, "name: must be from 1 to 100 characters long");
	memset(big, 'l', 201);
	big[201] = '\0';
	snprintf(body, sizeof(body), "{\"name\":\"A\",\"line1\":\"%s\",\"city\":\"X\",\"postalCode\":\"10117\",\"country\":\"DE\"}", big);
	refused(&cl, "POST", "/api/me/addresses", body, "line1: must be from 1 to 200 characters long");
	ck_assert_int_eq(count_for(uid, NULL), 0);

	/* Several problems at once: all of them, also as fields. */
	r = api(&cl, "POST", "/api/me/addresses",
		"{\"name\":\"A\",\"line1\":\"1\",\"city\":\"X\",\"region\":\"QQ\",\"postalCode\":\"ABC\",\"country\":\"US\"}");
	ck_assert_int_eq(r->status, 400);
	j = hresp_json(r);
	fields = json_object_get(json_object_get(j, "error"), "fields");
	ck_assert_uint_eq(json_array_size(fields), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fields, 0), "field")), "region");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fields, 1), "field")), "postalCode");
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 0);

	/* PATCH: the merged result is checked, and a refusal changes nothing. */
	id = create(&cl, US_ADDR);
	snprintf(body, sizeof(body), "/api/me/addresses/%lld", id);
	refused(&cl, "PATCH", body, "{\"country\":\"CA\"}", "postalCode: is not a valid Canadian postal code");
	refused(&cl, "PATCH", body, "{\"country\":\"CA\"}", "region: is not a Canadian province or territory code");
	refused(&cl, "PATCH", body, "{\"postalCode\":\"99\"}", "postalCode: is not a valid US ZIP code");
	refused(&cl, "PATCH", body, "{\"region\":\"\"}", "region: is required for US addresses");
	refused(&cl, "PATCH", body, "{\"name\":\"\"}", "name: must not be empty");
	refused(&cl, "PATCH", body, "{\"city\":null}", "city: must not be empty");
	refused(&cl, "PATCH", body, "{\"country\":\"ZZ\",\"city\":\"Nowhere\"}", "country: is not an ISO 3166-1");
	ck_assert_int_eq(row_is(id, "name = 'Ann Example' AND city = 'Springfield' AND region = 'IL' "
			 "AND postal_code = '62701' AND country = 'US'"), 1);
}
END_TEST

START_TEST(one_default_at_a_time)
{
	struct client cl;
	long long uid = signup(&cl, "Def"), a, b, c;
	struct hresp *r;
	json_t *j;
	char path[128];

	a = create(&cl, US_ADDR);
	b = create(&cl, DE_ADDR);
	ck_assert_int_eq(default_id(uid), a);	/* the first stays default */
	ck_assert_int_eq(count_for(uid, "is_default = 1"), 1);

	r = api_id(&cl, "PATCH", b, "{\"isDefault\":true}");
	ck_assert_int_eq(r->status, 200);
	j = hresp_json(r);
	ck_assert(json_is_true(json_object_get(j, "isDefault")));
	json_decref(j);
	hresp_free(r);
	ck_assert_int_eq(default_id(uid), b);
	ck_assert_int_eq(count_for(uid, "is_default = 1"), 1);

	/* Created as the default: the old one is cleared. */
	c = create(&cl, "{\"name\":\"C\",\"line1\":\"1 Rue\",\"city\":\"Paris\",\"postalCode\":\"75001\","
		   "\"country\":\"FR\",\"isDefault\":true}");
	ck_assert_int_eq(default_id(uid), c);
	ck_assert_int_eq(count_for(uid, "is_default = 1"), 1);

	/* The list leads with the default. */
	r = api(&cl, "GET", "/api/me/addresses", NULL);
	j = hresp_json(r);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "items")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id")), c);
	json_decref(j);
	hresp_free(r);

	/* There is always one: the default cannot be switched off by itself. */
	snprintf(path, sizeof(path), "/api/me/addresses/%lld", c);
	refused(&cl, "PATCH", path, "{\"isDefault\":false}", "isDefault:");
	ck_assert_int_eq(default_id(uid), c);
	r = api_id(&cl, "PATCH", a, "{\"isDefault\":false}");	/* already not: fine */
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);

	/* Deleting the default promotes the most recent remaining address. */
	r = api_id(&cl, "DELETE", c, NULL);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	ck_assert_int_eq(default_id(uid), b);
	/* Deleting a non-default leaves the default alone. */
	r = api_id(&cl, "DELETE", a, NULL);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	ck_assert_int_eq(default_id(uid), b);
	r = api_id(&cl, "DELETE", b, NULL);
	ck_assert_int_eq(r->status, 204);
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 0);
	/* An empty book starts over: the next address is the default. */
	a = create(&cl, DE_ADDR);
	ck_assert_int_eq(default_id(uid), a);
}
END_TEST

START_TEST(limit_per_person)
{
	struct client cl;
	long long uid = signup(&cl, "Many");

	for (int i = 0; i < 50; i++)
		create(&cl, DE_ADDR);
	refused(&cl, "POST", "/api/me/addresses", DE_ADDR, "up to 50 addresses");
	ck_assert_int_eq(count_for(uid, NULL), 50);
	ck_assert_int_eq(count_for(uid, "is_default = 1"), 1);
}
END_TEST

START_TEST(another_persons_address_is_not_found)
{
	struct client owner, other;
	long long uid = signup(&owner, "Owner"), id;
	char path[128], edit[160];
	struct hresp *r;

	signup(&other, "Other");
	id = create(&owner, US_ADDR);
	r = api_id(&other, "GET", id, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api_id(&other, "PATCH", id, "{\"city\":\"Stolen\"}");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api_id(&other, "PATCH", id, "{\"isDefault\":true}");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api_id(&other, "DELETE", id, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = api(&other, "GET", "/api/me/addresses", NULL);
	ck_assert_int_eq(r->status, 200);
	LACKS(r, "Ann Example");
	hresp_free(r);

	/* The same through the pages. */
	snprintf(path, sizeof(path), "/account/addresses/%lld", id);
	r = browser(&other, "GET", path, NULL);
	ck_assert_int_eq(r->status, 404);
	LACKS(r, "Ann Example");
	hresp_free(r);
	r = browser(&other, "POST", path, "name=X&line1=Y&city=Z&region=NY&postalCode=10001&country=US");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(edit, sizeof(edit), "%s/default", path);
	r = browser(&other, "POST", edit, "");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	snprintf(edit, sizeof(edit), "%s/delete", path);
	r = browser(&other, "POST", edit, "");
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);

	ck_assert_int_eq(row_is(id, "name = 'Ann Example' AND city = 'Springfield' AND is_default = 1"), 1);
	ck_assert_int_eq(count_for(uid, NULL), 1);
}
END_TEST

START_TEST(csrf_and_sign_in_required)
{
	struct client cl, guest = {0};
	long long uid = signup(&cl, "Csrf"), id;
	char saved[128];
	struct hresp *r;

	/* No token: 403 and nothing stored or changed. */
	r = client_req(&cl, "POST", "/api/me/addresses", US_ADDR, 0);
	ck_assert_int_eq(r->status, 403);
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 0);
	id = create(&cl, US_ADDR);
	{
		char path[128];

		snprintf(path, sizeof(path), "/api/me/addresses/%lld", id);
		r = client_req(&cl, "PATCH", path, "{\"city\":\"Changed\"}", 0);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		r = client_req(&cl, "DELETE", path, NULL, 0);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		/* A wrong token is no better. */
		strcpy(saved, cl.csrf);
		strcpy(cl.csrf, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		r = client_req(&cl, "PATCH", path, "{\"city\":\"Changed\"}", 1);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		r = browser(&cl, "POST", "/account/addresses",
			    "name=X&line1=Y&city=Z&region=NY&postalCode=10001&country=US");
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		strcpy(cl.csrf, saved);
	}
	ck_assert_int_eq(row_is(id, "city = 'Springfield'"), 1);
	ck_assert_int_eq(count_for(uid, NULL), 1);

	/* Guests: 401 from the API (token or not), sign-in from the pages. */
	ck_assert_int_eq(client_session(&guest), 0);
	r = api(&guest, "GET", "/api/me/addresses", NULL);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = api(&guest, "POST", "/api/me/addresses", US_ADDR);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = api_id(&guest, "GET", id, NULL);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = api_id(&guest, "DELETE", id, NULL);
	ck_assert_int_eq(r->status, 401);
	hresp_free(r);
	r = http_get("/account/addresses/1");
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/signin?next=%2Faccount%2Faddresses%2F1");
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 1);
}
END_TEST

START_TEST(html_forms)
{
	struct client cl;
	long long uid = signup(&cl, "Forms"), id, second;
	char path[128], action[128], q[256];
	struct hresp *r;

	/* Add from the account page's form. */
	r = browser(&cl, "POST", "/account/addresses",
		    "name=Ann+Form&line1=1+Main+St&line2=&city=Albany&region=ny&postalCode=12207&country=us");
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	ck_assert_str_eq(hresp_header(r, "Location"), "/account#addresses");
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT id FROM addresses WHERE user_id = %lld", uid);
	id = sql_scalar(q);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(row_is(id, "name = 'Ann Form' AND region = 'NY' AND country = 'US' AND is_default = 1"), 1);

	/* The account page lists it, with edit, delete and the add form. */
	r = browser(&cl, "GET", "/account", NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "Ann Form");
	HAS(r, "Albany, NY 12207");
	snprintf(path, sizeof(path), "href=\"/account/addresses/%lld\"", id);
	HAS(r, path);
	snprintf(path, sizeof(path), "action=\"/account/addresses/%lld/delete\"", id);
	HAS(r, path);
	HAS(r, "action=\"/account/addresses\"");
	hresp_free(r);

	/* A bad form comes back with the values and the field's message. */
	r = browser(&cl, "POST", "/account/addresses",
		    "name=Bad+Zip&line1=2+Main+St&city=Albany&region=NY&postalCode=1220&country=US");
	ck_assert_int_eq(r->status, 400);
	HAS(r, "<h1>Add an address</h1>");
	HAS(r, "<a href=\"#ad-postalCode\">Postal code is not a valid US ZIP code");
	HAS(r, "id=\"ad-postalCode-err\">Postal code is not a valid US ZIP code");
	HAS(r, "value=\"Bad Zip\"");
	HAS(r, "value=\"1220\" aria-invalid=\"true\"");
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 1);

	/* The edit page is prefilled. */
	snprintf(path, sizeof(path), "/account/addresses/%lld", id);
	r = browser(&cl, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	HAS(r, "<h1>Edit address</h1>");
	snprintf(action, sizeof(action), "action=\"/account/addresses/%lld\"", id);
	HAS(r, action);
	HAS(r, "value=\"Ann Form\"");
	HAS(r, "value=\"12207\"");
	HAS(r, "This is your default address.");
	hresp_free(r);

	/* A bad edit changes nothing and shows what was typed. */
	r = browser(&cl, "POST", path, "name=Ann+Form&line1=1+Main+St&city=Albany&region=&postalCode=12207&country=US");
	ck_assert_int_eq(r->status, 400);
	HAS(r, "State, province or region is required for US addresses");
	HAS(r, action);
	hresp_free(r);
	ck_assert_int_eq(row_is(id, "region = 'NY'"), 1);

	/* A good edit saves and goes back to the account page. */
	r = browser(&cl, "POST", path, "name=Ann+Form&line1=9+Elm+St&line2=Apt+4&city=Albany&region=NY&postalCode=12207-1234&country=US");
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/account#addresses");
	hresp_free(r);
	ck_assert_int_eq(row_is(id, "line1 = '9 Elm St' AND line2 = 'Apt 4' AND postal_code = '12207-1234'"), 1);

	/* A second address, then make it the default from its button. */
	r = browser(&cl, "POST", "/account/addresses",
		    "name=Zweit&line1=Hauptstr.+1&city=Berlin&postalCode=10115&country=DE");
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT MAX(id) FROM addresses WHERE user_id = %lld", uid);
	second = sql_scalar(q);
	ck_assert_int_eq(default_id(uid), id);
	snprintf(action, sizeof(action), "/account/addresses/%lld/default", second);
	r = browser(&cl, "POST", action, "");
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	ck_assert_int_eq(default_id(uid), second);

	/* Delete from its button. */
	snprintf(action, sizeof(action), "/account/addresses/%lld/delete", second);
	r = browser(&cl, "POST", action, "");
	ck_assert_int_eq(r->status, 303);
	ck_assert_str_eq(hresp_header(r, "Location"), "/account#addresses");
	hresp_free(r);
	ck_assert_int_eq(count_for(uid, NULL), 1);
	ck_assert_int_eq(default_id(uid), id);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-addresses");
	TCase *tc = tcase_create("addresses");

	harness_init();
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, create_list_get_patch_delete);
	tcase_add_test(tc, invalid_input_stores_nothing);
	tcase_add_test(tc, one_default_at_a_time);
	tcase_add_test(tc, limit_per_person);
	tcase_add_test(tc, another_persons_address_is_not_found);
	tcase_add_test(tc, csrf_and_sign_in_required);
	tcase_add_test(tc, html_forms);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
