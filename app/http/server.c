/* The request pipeline. Dispatch order follows docs/design.md: path (404), method
 * (405), session/role (403), CSRF (403), declared keys (400), handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/fault.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "../view/tmpl.h"
#include "router.h"
#include "server.h"

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Status";
}

static const char *error_title(int status)
{
	switch (status) {
	case 400: return "That request did not make sense";
	case 403: return "You cannot do that";
	case 404: return "We could not find that page";
	case 405: return "That method is not allowed here";
	case 413: return "That was too much to send";
	case 415: return "That kind of file is not accepted";
	/* 422: understood but cannot be done (an empty cart, a quantity over
	 * the limit, an unknown SKU, an Idempotency-Key reused for another
	 * order, a photo that cannot be used); reply_error says "file" on
	 * upload routes, where it is always about the file. */
	case 422: return "That could not be done";
	case 503: return "The shop is catching its breath";
	}
	return status >= 500 ? "Something went wrong on our side" : "That did not work";
}

static const char *error_default(int status)
{
	switch (status) {
	case 404: return "The page may have moved, or the address may be mistyped.";
	case 405: return "This address does not accept that kind of request.";
	case 413: return "The request body is larger than the shop accepts.";
	case 503: return "A part of the shop is briefly unavailable. Please try again in a moment.";
	}
	return status >= 500 ? "We have logged the problem. Please try again." : "Please check what you sent and try again.";
}

static void release_json(void *p)
{
	json_decref(p);
}

enum err reply_error(struct ctx *c, int status, const char *message)
{
	return reply_error_titled(c, status, NULL, message);
}

enum err reply_error_titled(struct ctx *c, int status, const char *title, const char *message)
{
	json_t *m = json_object();

	if (!m)
		return E_NOMEM;
	if (!title || !*title)
		title = error_title(status);
	if (status == 422 && title == error_title(422) && c->route && (c->route->flags & RF_UPLOAD))
		title = "That file could not be used";
	arena_on_reset(c->a, release_json, m);
	c->resp->status = status;
	buf_reset(&c->resp->body);
	json_object_set_new(m, "error", json_pack("{s:i, s:s, s:s}", "status", status,
		"title", title, "message", message ? message : error_default(status)));
	c->resp->model = m;
	c->resp->view = "error";
	c->resp->title = title;
	return E_OK;
}

json_t *reply_model(struct ctx *c, const char *view, const char *title)
{
	json_t *m = json_object();

	if (!m)
		return NULL;
	arena_on_reset(c->a, release_json, m);
	c->resp->model = m;
	c->resp->view = view;
	c->resp->title = title;
	return m;
}

enum err reply_redirect(struct ctx *c, int status, const char *location)
{
	c->resp->status = status;
	resp_header(c->resp, arena_printf(c->a, "Location: %s", location));
	c->resp->model = NULL;
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, "Redirecting\n");
	c->resp->content_type = "text/plain; charset=utf-8";
	return E_OK;
}

void resp_header(struct resp *rs, const char *line)
{
	if (line && rs->nheaders < RESP_MAX_HEADERS)
		rs->headers[rs->nheaders++] = line;
}

static const char *param(FCGX_Request *fr, const char *name)
{
	return FCGX_GetParam(name, fr->envp);
}

/* Reads the body into the arena. E_TOOBIG over limit bytes, E_INVAL when the
 * connection ends early. */
static enum err read_body(struct req *r, FCGX_Request *fr, int64_t limit)
{
	const char *cl = param(fr, "CONTENT_LENGTH");
	int64_t n = 0;
	char *p;
	int got;

	if (!cl || !*cl)
		return E_OK;
	if (parse_int64(cl, strlen(cl), 0, INT64_MAX, &n))
		return E_INVAL;
	if (n > limit)
		return E_TOOBIG;
	if (n == 0)
		return E_OK;
	p = arena_alloc(r->a, (size_t)n + 1);
	if (!p)
		return E_NOMEM;
	got = FCGX_GetStr(p, (int)n, fr->in);
	if (got != n)
		return E_INVAL;
	p[n] = '\0';
	r->body = p;
	r->body_len = (size_t)n;
	return E_OK;
}

static int accepts_json(const char *accept)
{
	const char *j, *h;

	if (!accept)
		return 0;
	j = strstr(accept, "application/json");
	h = strstr(accept, "text/html");
	return j && (!h || j < h);
}

/* Parses what comes before the body: method, address, query, headers,
 * cookies (the route is found from these before the body is read, since the
 * route decides how large a body may be). Returns the status to answer with
 * when the request is malformed (and sets *why), or 0. */
static int parse_head(struct req *r, FCGX_Request *fr, const char **why)
{
	const char *uri = param(fr, "REQUEST_URI");
	const char *q;
	char *path;
	enum err e;

	r->method_str = param(fr, "REQUEST_METHOD");
	r->method = method_from_str(r->method_str);
	r->content_type = param(fr, "CONTENT_TYPE");
	r->accept = param(fr, "HTTP_ACCEPT");
	r->accept_language = param(fr, "HTTP_ACCEPT_LANGUAGE");	/* CURRENCIES */
	r->origin = param(fr, "HTTP_ORIGIN");
	r->sec_fetch_site = param(fr, "HTTP_SEC_FETCH_SITE");
	r->host = param(fr, "HTTP_HOST");
	r->referer = param(fr, "HTTP_REFERER");
	r->remote_addr = param(fr, "REMOTE_ADDR");
	r->csrf_header = param(fr, "HTTP_X_CSRF_TOKEN");
	r->if_match = param(fr, "HTTP_IF_MATCH");
	r->signature = param(fr, "HTTP_PAYGATE_SIGNATURE");
	r->carrier_signature = param(fr, "HTTP_CARRIER_SIGNATURE");
	r->idem_key = param(fr, "HTTP_IDEMPOTENCY_KEY");
	r->admission = param(fr, "HTTP_SHOP_ADMISSION");
	r->https = param(fr, "HTTPS") && !strcmp(param(fr, "HTTPS"), "on");
	r->query = "";
	r->path = "/";
	if (!uri || uri[0] != '/') {
		*why = "The request address is missing or malformed.";
		return 400;
	}
	q = strchr(uri, '?');
	if (url_decode(r->a, uri, q ? (size_t)(q - uri) : strlen(uri), 0, &path, NULL)) {
		*why = "The address contains a malformed percent-encoding.";
		return 400;
	}
	r->path = path;
	r->wants_json = !strncmp(path, "/api/", 5) || accepts_json(r->accept);
	if (q) {
		r->query = q + 1;
		if ((e = req_parse_urlencoded(r, r->query, strlen(r->query)))) {
			*why = e == E_INVAL ? "The query string is malformed or has too many parameters." : NULL;
			return e == E_INVAL ? 400 : 500;
		}
	}
	req_parse_cookies(r, param(fr, "HTTP_COOKIE"));
	return 0;
}

/* Reads and parses the body for route rt (NULL when no route matched: the
 * body is still read and checked as any route's would be, so a bad body is
 * answered the same whatever the address). RF_UPLOAD routes take bodies up
 * to REQ_MAX_UPLOAD, parse multipart/form-data (and, on a page's route, a
 * urlencoded form) and keep a body of any other type raw in r->body (a CSV
 * or an image posted as is); every other route
 * takes up to REQ_MAX_BODY of a form or JSON. Returns the status to answer
 * with (and sets *why), or 0. */
static int parse_body(struct req *r, FCGX_Request *fr, const struct route *rt,
		      const char **why)
{
	int upload = rt && (rt->flags & RF_UPLOAD), form = 0;
	size_t from_query = r->nparams;
	const char *ct;
	enum err e;

	r->nquery = from_query;
	if ((e = read_body(r, fr, upload ? REQ_MAX_UPLOAD : REQ_MAX_BODY))) {
		*why = e == E_TOOBIG ? "The request body is larger than the shop accepts." :
					"The request body was incomplete.";
		return e == E_TOOBIG ? 413 : e == E_INVAL ? 400 : 500;
	}
	if (!r->body_len)
		return 0;
	ct = r->content_type ? r->content_type : "";
	/* A page's form that takes files (not an API route) is still a form
	 * when it is posted urlencoded (no file chosen, or a client that sends
	 * none: the return form, issue 19); only API upload routes take raw
	 * bodies. */
	if (upload && strncasecmp(ct, "multipart/form-data", 19) &&
	    ((rt->flags & RF_JSON) || strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
		/* A raw body (a CSV, a JSON array of rows, an image): the handler
		 * decides what it may be; a JSON file is data, not parameters. */
	} else if (!strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
		if (req_parse_urlencoded(r, r->body, r->body_len)) {
			*why = "The form data is malformed.";
			return 400;
		}
		form = 1;
	} else if (!strncasecmp(ct, "application/json", 16)) {
		if (req_parse_json(r, r->body, r->body_len, why))
			return 400;
	} else if (upload && !strncasecmp(ct, "multipart/form-data", 19)) {
		if ((e = req_parse_multipart(r, ct, r->body, r->body_len))) {
			*why = e == E_INVAL ? "The multipart form data is malformed, truncated or has too many parts." : NULL;
			return e == E_INVAL ? 400 : 500;
		}
		form = 1;
	} else if (r->method != M_GET && r->method != M_HEAD) {
		*why = "Send the body as a form or as JSON.";
		return 415;
	}
	/* The CSRF token: the X-CSRF-Token header, else a browser form's
	 * hidden "csrf" field, taken from the form body only (the params
	 * after the query's). Never from the query string, which lands in
	 * access logs, history and Referer headers; nor from a JSON body
	 * (API clients send the header). session_csrf_ok reads only this. */
	if (!r->csrf_header && form)
		for (size_t i = from_query; i < r->nparams; i++)
			if (!strcmp(r->params[i].key, "csrf")) {
				r->csrf_header = r->params[i].val;
				break;
			}
	return 0;
}

static int status_for(enum err e)
{
	switch (e) {
	case E_OK: return 200;
	case E_INVAL: return 400;
	case E_NOTFOUND: return 404;
	case E_CONFLICT: return 409;
	case E_BUSY: return 409;
	case E_TOOBIG: return 413;
	case E_UNAVAIL: return 503;
	default: return 500;
	}
}

static void allow_header(struct ctx *c, unsigned allow)
{
	static const struct { unsigned m; const char *s; } t[] = {
		{M_GET, "GET, HEAD"}, {M_POST, "POST"}, {M_PUT, "PUT"},
		{M_PATCH, "PATCH"}, {M_DELETE, "DELETE"},
	};
	struct buf b;
	size_t i;

	buf_init(&b, c->a, 64);
	buf_puts(&b, "Allow: ");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!(allow & t[i].m))
			continue;
		if (b.len > 7)
			buf_puts(&b, ", ");
		buf_puts(&b, t[i].s);
	}
	resp_header(c->resp, b.p);
}

/* Renders the model into the body: JSON for API clients, HTML otherwise. */
static enum err render(struct worker *w, struct ctx *c)
{
	struct resp *rs = c->resp;
	enum err e;

	if (!rs->model || rs->body.len)
		return E_OK;
	if (w->hooks->localize)	/* CURRENCIES (issue 19) */
		w->hooks->localize(c, rs->model);
	if (c->req->wants_json || (c->route && (c->route->flags & RF_JSON))) {
		char *s = json_dumps(rs->model, JSON_COMPACT | JSON_REAL_PRECISION(10));

		if (!s)
			return E_NOMEM;
		buf_puts(&rs->body, s);
		buf_putc(&rs->body, '\n');
		free(s);
		rs->content_type = "application/json";
		return E_OK;
	}
	if (w->hooks->decorate)
		w->hooks->decorate(c, rs->model);
	/* Test stacks: a key the page does not declare is logged, so the names
	 * the templates were checked against cannot drift from the models
	 * (scripts/run-tests fails the suite that made such a line). */
	if (fault_enabled()) {
		const char *key = NULL;

		if (tmpl_model_undeclared(w->tmpl, rs->view ? rs->view : "error", rs->model, &key))
			log_err("view model: page '%s' sets '%s', which its declared names lack",
				rs->view ? rs->view : "error", key);
	}
	e = tmpl_render_page(w->tmpl, rs->view ? rs->view : "error", rs->model, &rs->body);
	if (e)
		log_err("render %s: %s", rs->view ? rs->view : "error", err_str(e));
	return e;
}

static void send_response(struct ctx *c, FCGX_Request *fr)
{
	struct resp *rs = c->resp;
	struct buf h;
	int i, cc = 0;

	buf_init(&h, c->a, 512);
	buf_printf(&h, "Status: %d %s\r\nContent-Type: %s\r\n", rs->status, reason(rs->status),
		   rs->content_type ? rs->content_type : "text/html; charset=utf-8");
	for (i = 0; i < rs->nheaders; i++) {
		buf_printf(&h, "%s\r\n", rs->headers[i]);
		if (!strncasecmp(rs->headers[i], "Cache-Control:", 14))
			cc = 1;
	}
	/* Anonymous catalog pages may be cached by nginx for a second
	 * (X-Accel-Expires, the microcache; it goes first, so nginx ignores
	 * the Cache-Control meant for browsers). Browsers may keep them
	 * (public: Back shows the page) but ask again before showing one
	 * (no-cache): a page kept for seconds would show a visitor who just
	 * signed in or added to the cart as signed out, with an empty cart
	 * and no sections of their own. Anything else is revalidated, errors
	 * are never stored (except a catalog page's 404, below). */
	if (!cc) {
		if (c->route && (c->route->flags & RF_NOSTORE))
			buf_puts(&h, "Cache-Control: no-store\r\n");
		else if (rs->status == 200 && c->route && (c->route->flags & RF_CACHE) && !c->sess)
			buf_puts(&h, "X-Accel-Expires: 1\r\nCache-Control: public, no-cache\r\n");
		/* A page that is gone (archived, suspended) replaces the
		 * microcache's copy for a second too: an uncacheable 404
		 * would leave the stale 200 in place, served to every
		 * anonymous visitor by the background update, for ever.
		 * X-Accel-Expires goes first: nginx then ignores the
		 * no-store meant for browsers. */
		else if (rs->status == 404 && c->route && (c->route->flags & RF_CACHE) && !c->sess)
			buf_puts(&h, "X-Accel-Expires: 1\r\nCache-Control: no-store\r\n");
		else if (rs->status >= 400)
			buf_puts(&h, "Cache-Control: no-store\r\n");
		else
			buf_puts(&h, "Cache-Control: private, no-cache\r\n");
	}
	/* Pages answer HTML or JSON by Accept: caches must keep them apart. */
	if (c->route && !(c->route->flags & (RF_JSON | RF_RAW)))
		buf_puts(&h, "Vary: Accept\r\n");
	/* HEAD gets the length the GET body would have, without the body. */
	buf_printf(&h, "Content-Length: %zu\r\n\r\n", rs->body.len);
	FCGX_PutStr(h.p, (int)h.len, fr->out);
	if (c->req->method != M_HEAD && rs->body.len)
		FCGX_PutStr(rs->body.p, (int)rs->body.len, fr->out);
}

void http_serve(struct worker *w, FCGX_Request *fr)
{
	struct req req;
	struct resp resp;
	struct ctx c;
	const char *why = NULL;
	unsigned allow = 0;
	int status, body_status;
	enum err e;

	arena_reset(w->a);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	memset(&c, 0, sizeof(c));
	req.a = c.a = w->a;
	c.req = &req;
	c.resp = &resp;
	c.db = w->db;
	c.kv = w->kv;
	db_request_begin(w->db);	/* READ REPLICAS (issue 20): no GTID of another request's */
	resp.status = 200;
	buf_init(&resp.body, w->a, 16384);

	status = parse_head(&req, fr, &why);
	if (status) {
		reply_error(&c, status, why);
		goto render;
	}
	c.route = route_find(w->hooks->routes, w->hooks->nroutes, &req, &status, &allow);
	/* A malformed body is answered before 404/405, as it always was. */
	if ((body_status = parse_body(&req, fr, c.route, &why))) {
		c.route = NULL;
		reply_error(&c, body_status, why);
		goto render;
	}
	if (!c.route) {
		if (status == 405)
			allow_header(&c, allow);
		reply_error(&c, status, NULL);
		goto render;
	}
	status = w->hooks->auth ? w->hooks->auth(&c, &why) : 0;
	/* The hook may answer a refusal with its own page (a form asked again
	 * with a fresh token); otherwise the error page. */
	if (status >= 400 && !resp.model)
		reply_error(&c, status, why);
	if (status)
		goto render;	/* refused, or redirected to sign in */
	if ((c.route->flags & RF_BUCKET) && w->hooks->throttle) {
		int wait = w->hooks->throttle(&c);

		if (wait > 0) {
			resp_header(&resp, arena_printf(c.a, "Retry-After: %d", wait));
			reply_error(&c, 429, "Too many requests: please wait a moment and try again.");
			goto render;
		}
	}
	if ((e = route_validate(&c, &why))) {
		reply_error(&c, status_for(e), why);
		goto render;
	}
	{
		/* Test stacks only: a fault for this request's handler (see
		 * core/fault.h), and what it counted, for the test to see. */
		const char *spec = fault_enabled() ? param(fr, "HTTP_X_TEST_FAULT") : NULL;

		if (spec && fault_arm(spec)) {
			reply_error(&c, 400, "X-Test-Fault: not a fault specification");
			goto render;
		}
		e = c.route->handler(&c);
		if (spec) {
			resp_header(&resp, arena_printf(c.a, "X-Test-Fault-Calls: db=%ld kv=%ld pay=%ld fired=%d",
				    fault_calls(FAULT_DB), fault_calls(FAULT_KV), fault_calls(FAULT_PAY), fault_fired()));
			fault_disarm();
		}
		if (db_settle(c.db))
			log_err("%s %s: left a transaction open (rolled back)", req.method_str, req.path);
		/* READ REPLICAS (issue 20): the shopper's reads from now on see
		 * this request's writes (NULL without replicas configured). */
		if (w->hooks->wrote && db_wrote_gtid(c.db))
			w->hooks->wrote(&c, db_wrote_gtid(c.db));
	}
	if (e) {
		status = status_for(e);
		if (e == E_DB && db_gave_up_on_locks(c.db)) {
			/* Rolled back after db_tx's retries on deadlocks or lock
			 * waits (a hot row; on Galera a certification conflict):
			 * nothing changed and the same request may succeed in a
			 * moment, so it is an outage of the moment, not a bug. */
			status = 503;
			resp_header(&resp, "Retry-After: 1");
			log_err("%s %s: gave up on a lock conflict (%u) after retries", req.method_str, req.path,
				db_errno(c.db));
			reply_error(&c, status, "The shop is very busy with this item right now: please try again in a moment.");
		} else {
			if (status >= 500 && e != E_UNAVAIL)
				log_err("%s %s: %s", req.method_str, req.path, err_str(e));
			reply_error(&c, status, NULL);
		}
	}
render:
	if (render(w, &c)) {
		/* The error page itself failed: answer plainly rather than not at all. */
		resp.status = 500;
		resp.content_type = "text/plain; charset=utf-8";
		buf_reset(&resp.body);
		buf_puts(&resp.body, "Something went wrong on our side. Please try again.\n");
	}
	if (resp.body.oom) {
		resp.status = 500;
		resp.content_type = "text/plain; charset=utf-8";
		resp.body.oom = 0;
		buf_reset(&resp.body);
		buf_puts(&resp.body, "Out of memory.\n");
	}
	send_response(&c, fr);
}

enum err http_templates(const struct http_hooks *hooks, const char *dir, struct tmpl_set **out,
			char *errbuf, size_t errlen)
{
	return tmpl_load_pages(dir, hooks->pages, hooks->npages, out, errbuf, errlen);
}

enum err worker_init(struct worker *w, const struct http_hooks *hooks, char *errbuf, size_t errlen)
{
	enum err e;

	memset(w, 0, sizeof(*w));
	w->hooks = hooks;
	if (!hooks->auth) {	/* fail closed: no route goes unchecked */
		snprintf(errbuf, errlen, "no module gives the auth hook");
		return E_INVAL;
	}
	w->a = arena_new(64 * 1024);
	if (!w->a)
		return E_NOMEM;
	e = http_templates(hooks, config.templates, &w->tmpl, errbuf, errlen);
	if (e)
		return e;
	/* Servers that are down at start are not fatal: the worker answers 503
	 * and reconnects on a later request. A statement that does not prepare
	 * against a live server is a bug, and stops the start. */
	e = db_open(&w->db);
	if (e == E_OK && (e = db_prepare_all(w->db)) != E_OK && e != E_UNAVAIL) {
		snprintf(errbuf, errlen, "database: %s", db_error(w->db));
		return e;
	}
	if (e)
		log_warn("worker: MariaDB unavailable at start (%s); will retry", db_error(w->db));
	if (kv_open(&w->kv) == E_UNAVAIL)
		log_warn("worker: Redis unavailable at start; will retry");
	return w->db && w->kv ? E_OK : E_NOMEM;
}

void worker_fini(struct worker *w)
{
	db_close(w->db);
	kv_close(w->kv);
	tmpl_free(w->tmpl);
	arena_destroy(w->a);
}
