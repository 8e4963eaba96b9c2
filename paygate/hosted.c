/* The hosted payment page.
 *
 * Plain HTML forms, no JavaScript and nothing loaded from elsewhere; every
 * value from the intent is escaped. The ?s= secret (also a hidden field of
 * the form) stands in for a session: without it the page does not exist,
 * so an intent id alone reveals nothing and a forged form cannot pay.
 * After an attempt the buyer goes back to the intent's return_url with
 * payment_intent=<id> appended; the shop then asks the API how it went. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "card.h"
#include "hosted.h"
#include "intent.h"
#include "store.h"
#include "webhook.h"

#define NAME_CHARS 100

/* The typed form; number is wiped before the answer is sent. */
struct card_form {
	char s[64], number[64], exp[16], cvc[16], name[4 * NAME_CHARS + 1];
};

/* --- form decoding ------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The decoded value of name in an application/x-www-form-urlencoded body.
 * A value that does not fit, or holds a NUL, comes back as "" with 0. */
static int form_value(const char *body, size_t len, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), i = 0;

	out[0] = '\0';
	while (i < len) {
		size_t end = i;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > nlen && !memcmp(body + i, name, nlen) && body[i + nlen] == '=') {
			size_t o = 0;

			for (size_t k = i + nlen + 1; k < end; k++) {
				int c = (unsigned char)body[k];

				if (c == '+') {
					c = ' ';
				} else if (c == '%' && k + 2 < end && hexval(body[k + 1]) >= 0 &&
					   hexval(body[k + 2]) >= 0) {
					c = hexval(body[k + 1]) * 16 + hexval(body[k + 2]);
					k += 2;
				}
				if (c == 0 || o + 1 >= size) {
					sodium_memzero(out, size);
					return 0;
				}
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

/* --- rendering ------------------------------------------------------------ */

/* Digits after the decimal point (ISO 4217 minor units); zero-decimal and
 * three-decimal currencies as card gateways list them. */
static int minor_digits(const char *cur)
{
	static const char *const zero[] = { "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "mga",
					     "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf", NULL };
	static const char *const three[] = { "bhd", "jod", "kwd", "omr", "tnd", NULL };

	if (pg_one_of(cur, zero))
		return 0;
	if (pg_one_of(cur, three))
		return 3;
	return 2;
}

/* "USD 1,234.56". */
static void put_amount(struct pbuf *b, int64_t amount, const char *currency)
{
	int digits = minor_digits(currency);
	int64_t div = digits == 0 ? 1 : digits == 3 ? 1000 : 100;
	char whole[32], grouped[48];
	size_t n, g = 0;

	for (const char *p = currency; *p; p++)
		pbuf_printf(b, "%c", toupper((unsigned char)*p));
	snprintf(whole, sizeof(whole), "%" PRId64, amount / div);
	n = strlen(whole);
	for (size_t i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = whole[i];
	}
	grouped[g] = '\0';
	pbuf_printf(b, " %s", grouped);
	if (digits)
		pbuf_printf(b, ".%0*" PRId64, digits, amount % div);
}

static void page_begin(struct pbuf *b, const char *title, const struct intent *pi)
{
	pbuf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	pbuf_html(b, title);
	if (pi) {
		pbuf_puts(b, ": ");
		put_amount(b, pi->amount, pi->currency);
	}
	pbuf_puts(b, " - Paygate sandbox</title><style>"
		  "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1a1a1a}"
		  "main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;"
		  "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
		  ".sandbox{background:#fff4ce;padding:.25rem .5rem;font-size:.875rem}"
		  ".amount{font-size:1.75rem;font-weight:600;margin:.25rem 0}"
		  "label{display:block;margin-top:.75rem;font-weight:600}"
		  "input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #767676;"
		  "border-radius:4px}"
		  ".row{display:flex;gap:1rem}.row div{flex:1}"
		  "button{margin-top:1.25rem;width:100%;padding:.75rem;font-size:1rem;font-weight:600;color:#fff;"
		  "background:#0a58ca;border:0;border-radius:4px;cursor:pointer}"
		  ".error{color:#a4000f;background:#fde8ea;padding:.5rem;border-radius:4px}"
		  ".ok{color:#0f5132;background:#d1e7dd;padding:.5rem;border-radius:4px}"
		  ".back{margin:1rem 0 0;text-align:center}.back a{color:#0a58ca;display:inline-block;padding:.25rem}"
		  "code{font-size:.875rem}"
		  "</style></head><body><main>"
		  "<p class=\"sandbox\">Sandbox gateway: test cards only, no real money moves.</p>");
}

static void page_end(struct pbuf *b)
{
	pbuf_puts(b, "</main></body></html>\n");
}

static void put_summary(struct pbuf *b, const struct intent *pi)
{
	pbuf_puts(b, "<p class=\"amount\">");
	put_amount(b, pi->amount, pi->currency);
	pbuf_puts(b, "</p>");
	if (pi->description) {
		pbuf_puts(b, "<p class=\"description\">");
		pbuf_html(b, pi->description);
		pbuf_puts(b, "</p>");
	}
}

/* return_url with payment_intent=<id> added to its query (before any
 * fragment), into loc. 0 when out of memory. */
static int return_link(struct pbuf *loc, const struct intent *pi)
{
	const char *url = pi->return_url, *frag = strchr(url, '#');
	size_t base = frag ? (size_t)(frag - url) : strlen(url);
	const char *q = memchr(url, '?', base);
	const char *sep = !q ? "?" : (url[base - 1] == '?' || url[base - 1] == '&') ? "" : "&";

	pbuf_put(loc, url, base);
	pbuf_printf(loc, "%spayment_intent=%s%s", sep, pi->id, frag ? frag : "");
	return !loc->oom;
}

/* The card form; error (may be NULL) is shown above it and tied to the
 * field it is about. The number and CVC are never written back. */
static void put_form(struct pbuf *b, const struct intent *pi, const struct card_form *f,
		     const char *error, const char *error_field)
{
	static const char *const fields[][6] = {
		/* name, label, autocomplete, inputmode, maxlength, placeholder */
		{ "number", "Card number", "cc-number", "numeric", "23", "1234 1234 1234 1234" },
		/* text: a phone's numeric keypad has no slash */
		{ "exp", "Expiry (MM/YY)", "cc-exp", "text", "9", "MM/YY" },
		{ "cvc", "CVC", "cc-csc", "numeric", "4", "123" },
		{ "name", "Name on card", "cc-name", "text", "100", "" },
	};

	if (error) {
		pbuf_puts(b, "<p class=\"error\" id=\"form-error\" role=\"alert\">");
		pbuf_html(b, error);
		pbuf_puts(b, "</p>");
	}
	pbuf_printf(b, "<form method=\"post\" action=\"/pay/%s\" autocomplete=\"on\">", pi->id);
	pbuf_puts(b, "<input type=\"hidden\" name=\"s\" value=\"");
	pbuf_html(b, pi->secret);
	pbuf_puts(b, "\">");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *name = fields[i][0];
		const char *value = !strcmp(name, "exp") ? f->exp : !strcmp(name, "name") ? f->name : "";
		int bad = error_field && !strcmp(error_field, name);

		if (i == 1)
			pbuf_puts(b, "<div class=\"row\"><div>");
		else if (i == 2)
			pbuf_puts(b, "</div><div>");
		pbuf_printf(b, "<label for=\"%s\">%s</label><input id=\"%s\" name=\"%s\" autocomplete=\"%s\" "
			    "inputmode=\"%s\" maxlength=\"%s\"", name, fields[i][1], name, name, fields[i][2],
			    fields[i][3], fields[i][4]);
		if (fields[i][5][0])
			pbuf_printf(b, " placeholder=\"%s\"", fields[i][5]);
		if (strcmp(name, "name"))
			pbuf_puts(b, " required");
		if (bad)
			pbuf_puts(b, " aria-invalid=\"true\" aria-describedby=\"form-error\"");
		if (*value) {
			pbuf_puts(b, " value=\"");
			pbuf_html(b, value);
			pbuf_puts(b, "\"");
		}
		pbuf_puts(b, ">");
		if (i == 2)
			pbuf_puts(b, "</div></div>");
	}
	pbuf_puts(b, "<button type=\"submit\">Pay ");
	put_amount(b, pi->amount, pi->currency);
	pbuf_puts(b, "</button></form>");
	/* Back to the shop without paying: the same address an attempt goes
	 * back to (the shop asks the API how the intent stands; nothing more
	 * is told to either side). */
	if (pi->return_url) {
		struct pbuf loc = {0};

		if (return_link(&loc, pi)) {
			pbuf_puts(b, "<p class=\"back\"><a href=\"");
			pbuf_html(b, loc.p);
			pbuf_puts(b, "\">Back to the shop</a></p>");
		}
		pbuf_free(&loc);
	}
	pbuf_puts(b, ""
		  "<details><summary>Test cards</summary><ul>"
		  "<li><code>4242 4242 4242 4242</code> Visa, succeeds</li>"
		  "<li><code>5555 5555 5555 4444</code> Mastercard, succeeds</li>"
		  "<li><code>4000 0000 0000 0002</code> declined</li>"
		  "<li><code>4000 0000 0000 9995</code> declined: insufficient funds</li>"
		  "<li><code>4000 0000 0000 0069</code> declined: expired card</li>"
		  "<li><code>4000 0000 0000 0119</code> processing error</li>"
		  "</ul><p>Any future expiry date and any three-digit CVC (four for American Express).</p>"
		  "</details>");
}

static void html_reply(struct reply *rp, int status)
{
	rp->status = status;
	rp->ctype = "text/html; charset=utf-8";
	rp->html = 1;
}

static void reply_not_found(struct reply *rp)
{
	rp->body.len = 0;
	page_begin(&rp->body, "Payment page not found", NULL);
	pbuf_puts(&rp->body, "<h1>Payment page not found</h1><p>This payment link is not valid. "
		  "Go back to the shop and start the payment again.</p>");
	page_end(&rp->body);
	html_reply(rp, 404);
}

static void reply_form(struct reply *rp, int status, const struct intent *pi, const struct card_form *f,
		       const char *error, const char *error_field)
{
	page_begin(&rp->body, "Pay", pi);
	pbuf_puts(&rp->body, "<h1>Pay</h1>");
	put_summary(&rp->body, pi);
	put_form(&rp->body, pi, f, error, error_field);
	page_end(&rp->body);
	html_reply(rp, status);
}

/* A page about an intent that takes no more cards. */
static void reply_closed(struct reply *rp, int status, const struct intent *pi, const char *heading,
			 const char *text, int ok)
{
	page_begin(&rp->body, heading, pi);
	pbuf_puts(&rp->body, "<h1>");
	pbuf_html(&rp->body, heading);
	pbuf_puts(&rp->body, "</h1>");
	put_summary(&rp->body, pi);
	pbuf_printf(&rp->body, "<p class=\"%s\" role=\"status\">", ok ? "ok" : "error");
	pbuf_html(&rp->body, text);
	pbuf_puts(&rp->body, "</p>");
	if (pi->return_url) {
		pbuf_puts(&rp->body, "<p><a href=\"");
		pbuf_html(&rp->body, pi->return_url);
		pbuf_puts(&rp->body, "\">Return to the shop</a></p>");
	}
	page_end(&rp->body);
	html_reply(rp, status);
}

static void reply_not_payable(struct reply *rp, int status, const struct intent *pi)
{
	const char *text;

	switch (pi->status) {
	case PI_REQUIRES_CAPTURE:
		text = "This payment is already authorized; it cannot be paid again.";
		break;
	case PI_SUCCEEDED:
		text = "This payment is already complete; it cannot be paid again.";
		break;
	default:
		text = "This payment was canceled; it can no longer be paid.";
		break;
	}
	reply_closed(rp, status, pi, "Payment no longer payable", text, pi->status != PI_CANCELED);
}

/* 303 to return_url with payment_intent=<id> added to its query (before
 * any fragment). 0 when out of memory. */
static int redirect_back(struct reply *rp, const struct intent *pi)
{
	struct pbuf loc = {0};

	if (!return_link(&loc, pi)) {
		pbuf_free(&loc);
		return 0;
	}
	free(rp->location);
	rp->location = loc.p;
	rp->status = 303;
	rp->ctype = "text/html; charset=utf-8";
	rp->html = 1;
	rp->body.len = 0;
	pbuf_puts(&rp->body, "<!doctype html><title>See Other</title><p>Continue to <a href=\"");
	pbuf_html(&rp->body, loc.p);
	pbuf_puts(&rp->body, "\">the shop</a>.</p>\n");
	return 1;
}

static void reply_internal_page(struct reply *rp)
{
	rp->body.len = 0;
	page_begin(&rp->body, "Something went wrong", NULL);
	pbuf_puts(&rp->body, "<h1>Something went wrong</h1><p>The payment could not be processed. "
		  "Nothing was charged; please try again.</p>");
	page_end(&rp->body);
	html_reply(rp, 500);
}

/* Loads the intent the page is about and checks the secret; 0 with the
 * 404 page set when either is wrong (the same page for both, so that ids
 * cannot be probed). */
static int intent_or_reply(const char *id, const char *secret, struct intent *pi, struct reply *rp)
{
	enum pg_err rc = store_intent_get(id, pi);

	if (rc == PG_OK && secret && pg_secret_eq(secret, pi->secret))
		return 1;
	if (rc == PG_OK)
		intent_row_free(pi);
	if (rc == PG_OK || rc == PG_NOTFOUND)
		reply_not_found(rp);
	else
		reply_internal_page(rp);
	return 0;
}

static void show(const struct request *rq, struct reply *rp, const char *id)
{
	struct intent pi;
	struct card_form f = {0};

	store_lock();
	if (intent_or_reply(id, req_arg(rq, "s"), &pi, rp)) {
		if (intent_payable(&pi))
			reply_form(rp, 200, &pi, &f, NULL, NULL);
		else
			reply_not_payable(rp, 200, &pi);
		intent_row_free(&pi);
	}
	store_unlock();
}

/* The attempt itself, inside the caller's transaction. */
static void pay(struct reply *rp, struct intent *pi, struct card_form *f)
{
	struct card card;
	int approved;

	if (!intent_payable(pi)) {
		if (!pi->return_url || !redirect_back(rp, pi))
			reply_not_payable(rp, 409, pi);
		return;
	}
	switch (card_from_input(f->number, f->exp, f->cvc, &card)) {
	case CARD_INPUT_NUMBER:
		reply_form(rp, 400, pi, f, "Your card number is incorrect.", "number");
		return;
	case CARD_INPUT_EXPIRY:
		reply_form(rp, 400, pi, f, "Your card's expiration date is invalid: enter it as MM/YY.", "exp");
		return;
	case CARD_INPUT_CVC:
		reply_form(rp, 400, pi, f, "Your card's security code is invalid.", "cvc");
		return;
	case CARD_INPUT_OK:
		break;
	}
	if (strlen(f->name) > 4 * NAME_CHARS) {
		reply_form(rp, 400, pi, f, "The name on the card is too long.", "name");
		return;
	}
	if (intent_attempt(pi, &card, &approved) != PG_OK) {
		reply_internal_page(rp);
		return;
	}
	if (pi->return_url) {
		if (!redirect_back(rp, pi))
			reply_internal_page(rp);
	} else if (approved) {
		reply_closed(rp, 200, pi, pi->status == PI_SUCCEEDED ? "Payment complete" : "Payment authorized",
			     pi->status == PI_SUCCEEDED ? "Your payment succeeded. You may close this page."
			     : "Your card was authorized. You may close this page.", 1);
	} else {
		reply_form(rp, 402, pi, f, card_message(card.outcome), NULL);
	}
}

static void submit(const struct request *rq, struct reply *rp, const char *id)
{
	struct intent pi;
	struct card_form f;

	memset(&f, 0, sizeof(f));
	form_value(rq->body, rq->body_len, "s", f.s, sizeof(f.s));
	form_value(rq->body, rq->body_len, "number", f.number, sizeof(f.number));
	form_value(rq->body, rq->body_len, "exp", f.exp, sizeof(f.exp));
	form_value(rq->body, rq->body_len, "cvc", f.cvc, sizeof(f.cvc));
	form_value(rq->body, rq->body_len, "name", f.name, sizeof(f.name));
	store_lock();
	if (store_begin() != PG_OK) {
		reply_internal_page(rp);
	} else if (intent_or_reply(id, f.s, &pi, rp)) {
		pay(rp, &pi, &f);
		intent_row_free(&pi);
	}
	if (rp->status < 500 && !rp->body.oom && store_commit() == PG_OK) {
		store_unlock();
		webhook_wake();
	} else {
		store_rollback();
		store_unlock();
		reply_internal_page(rp);
	}
	sodium_memzero(&f, sizeof(f));
}

void hosted_handle(const struct request *rq, struct reply *rp)
{
	const char *id = rq->path + 5;

	if (!*id || strchr(id, '/') || strlen(id) > 40) {
		reply_not_found(rp);
		return;
	}
	if (!strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD")) {
		show(rq, rp, id);
	} else if (!strcmp(rq->method, "POST")) {
		submit(rq, rp, id);
	} else {
		rp->allow = "GET, POST";
		rp->body.len = 0;
		pbuf_puts(&rp->body, "Method not allowed\n");
		rp->status = 405;
		rp->ctype = "text/plain; charset=utf-8";
	}
}
