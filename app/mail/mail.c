/* The mail outbox and its deliverer.
 *
 * Producers call mail_enqueue() inside their own transaction. The jobs
 * process calls mail_deliver_batch() a few times a second: each message is
 * claimed in its own short transaction with SELECT ... FOR UPDATE SKIP LOCKED,
 * so several jobs processes (one per host) can run side by side without
 * sending a message twice or waiting on each other, and a crash repeats at
 * most the one message that was in flight.
 *
 * Transports: SMTP through libcurl when SHOP_SMTP_URL is set (smtp:// or
 * smtps://, optional SHOP_SMTP_USER / SHOP_SMTP_PASSWORD, sender from
 * SHOP_SMTP_FROM); otherwise a Maildir under $SHOP_HOME/mail that a developer
 * reads with any mail client (mutt -f var/mail) or plain cat. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "mail.h"

#define MAIL_BATCH 20		/* messages per call: keeps one call short */
#define MAIL_MAX_ATTEMPTS 15	/* then the row stays, unsent, with its last_error */
#define MAIL_BACKOFF_BASE 30	/* seconds before the first retry; doubles each time */
#define MAIL_BACKOFF_MAX (6 * 3600)
#define DEFAULT_FROM "Shop <no-reply@shop.local>"

enum { Q_INSERT, Q_CLAIM, Q_SENT, Q_RETRY, Q_GIVE_UP, Q_COUNT };

static struct db_sql sql[Q_COUNT] = {
	[Q_INSERT] = { "INSERT INTO mail_outbox (to_addr, subject, body, html, unsubscribe_url) VALUES (?, ?, ?, ?, ?)", 0 },
	/* One due message, skipping any another deliverer holds. The order
	 * follows ix_mail_pending (sent_at, next_attempt_at, id). */
	[Q_CLAIM] = { "SELECT id, to_addr, subject, body, attempts, "
		      "DATE_FORMAT(created_at, '%Y%m%d%H%i%s%f'), html, unsubscribe_url FROM mail_outbox "
		      "WHERE sent_at IS NULL AND next_attempt_at <= NOW(3) AND attempts < ? "
		      "ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", 0 },
	[Q_SENT] = { "UPDATE mail_outbox SET sent_at = NOW(3), attempts = attempts + 1, "
		     "last_error = NULL WHERE id = ?", 0 },
	[Q_RETRY] = { "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, "
		      "next_attempt_at = NOW(3) + INTERVAL ? SECOND WHERE id = ?", 0 },
	/* A permanent refusal (5xx) is not retried: attempts jumps to the cap. */
	[Q_GIVE_UP] = { "UPDATE mail_outbox SET attempts = ?, last_error = ? WHERE id = ?", 0 },
};

void mail_init(void)
{
	db_register(sql, Q_COUNT);
}

/* One plain addr-spec: no spaces, controls, angle brackets, quotes or commas
 * (which would add recipients or headers), exactly one '@'. */
static int plain_address(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n < 3 || n > 254 || !at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f || strchr("<>\",;()[]\\", *s))
			return 0;
	return 1;
}

enum err mail_enqueue(struct db *db, struct arena *a, const char *to,
		      const char *subject, const char *body)
{
	if (!to || !subject || !body || !plain_address(to) || strpbrk(subject, "\r\n") ||
	    strlen(subject) > 200)
		return E_INVAL;
	return db_exec(db, a, &sql[Q_INSERT], NULL, "sssss", to, subject, body, NULL, NULL);
}

/* An unsubscribe URL fit for a header: http(s), printable, no '<', '>',
 * spaces or commas (which would end or split the header's list). */
static int header_url(const char *s)
{
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return 0;
	if (strlen(s) > 500)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || strchr("<>,\"", *s))
			return 0;
	return 1;
}

enum err mail_enqueue_alt(struct db *db, struct arena *a, const char *to, const char *subject,
			  const char *text, const char *html, const char *unsubscribe, int64_t *id)
{
	enum err e;

	if (!to || !subject || !text || !plain_address(to) || strpbrk(subject, "\r\n") ||
	    strlen(subject) > 200 || (unsubscribe && !header_url(unsubscribe)))
		return E_INVAL;
	if ((e = db_exec(db, a, &sql[Q_INSERT], NULL, "sssss", to, subject, text, html, unsubscribe)))
		return e;
	if (id)
		*id = (int64_t)db_insert_id(db);
	return E_OK;
}

/* ---- building the message ---- */

struct transport {
	const char *smtp_url;	/* NULL: maildir */
	const char *from;	/* header value, e.g. "Shop <no-reply@shop.local>" */
	char envelope[300];	/* "<no-reply@shop.local>" */
	const char *domain;	/* for Message-ID */
};

static void transport_load(struct transport *t)
{
	const char *lt, *gt, *at;
	size_t n;

	t->smtp_url = getenv("SHOP_SMTP_URL");
	if (t->smtp_url && !*t->smtp_url)
		t->smtp_url = NULL;
	t->from = getenv("SHOP_SMTP_FROM");
	if (!t->from || !*t->from || strpbrk(t->from, "\r\n")) {
		/* The shop's name as the sender's, when it fits a header as it
		 * is (plain ASCII, no character a display name must quote). */
		static char named[160];
		const char *sn = config.shop_name;
		int plain = sn && *sn && strlen(sn) < 100;

		for (const char *p = sn; plain && *p; p++)
			if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f || strchr("\"<>,;:\\()[]@.", *p))
				plain = 0;
		if (plain) {
			snprintf(named, sizeof(named), "%s <no-reply@shop.local>", sn);
			t->from = named;
		} else {
			t->from = DEFAULT_FROM;
		}
	}
	lt = strchr(t->from, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		snprintf(t->envelope, sizeof(t->envelope), "%.*s", (int)(gt - lt + 1), lt);
	else
		snprintf(t->envelope, sizeof(t->envelope), "<%s>", t->from);
	at = strrchr(t->envelope, '@');
	t->domain = "shop.local";
	if (at && (n = strlen(at + 1)) > 1) {
		static char dom[256];

		snprintf(dom, sizeof(dom), "%.*s", (int)(n - 1), at + 1);	/* drop '>' */
		t->domain = dom;
	}
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Subject as RFC 2047 encoded words when it is not plain ASCII; each word
 * stays under 76 characters and never splits a UTF-8 sequence. */
static void put_subject(struct buf *b, const char *s, const char *eol)
{
	size_t n = strlen(s), i = 0;

	if (is_ascii(s)) {
		buf_puts(b, s);
		return;
	}
	while (i < n) {
		size_t take = n - i > 45 ? 45 : n - i;
		char enc[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];

		while (i + take < n && take > 1 && ((unsigned char)s[i + take] & 0xC0) == 0x80)
			take--;
		sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)s + i, take,
				  sodium_base64_VARIANT_ORIGINAL);
		if (i)
			buf_printf(b, "%s ", eol);
		buf_printf(b, "=?UTF-8?B?%s?=", enc);
		i += take;
	}
}

/* The whole message with the given line ending: CRLF on the wire (SMTP),
 * LF in the maildir, as local mail software expects. */
/* body's text with every line end made eol, ending with one. */
static void put_body(struct buf *b, const char *body, const char *eol)
{
	for (const char *p = body; *p; p++) {
		if (*p == '\r')
			continue;	/* every line end becomes eol */
		if (*p == '\n')
			buf_puts(b, eol);
		else
			buf_putc(b, *p);
	}
	if (!body[0] || body[strlen(body) - 1] != '\n')
		buf_puts(b, eol);
}

static char *build_message(struct arena *a, const struct transport *t, const char *id,
			   const char *created, const char *to, const char *subject,
			   const char *body, const char *html, const char *unsub, const char *eol)
{
	struct buf b;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_init(&b, a, strlen(body) + (html ? strlen(html) : 0) + 1024);
	buf_printf(&b, "From: %s%s", t->from, eol);
	buf_printf(&b, "To: %s%s", to, eol);
	buf_puts(&b, "Subject: ");
	put_subject(&b, subject, eol);
	buf_puts(&b, eol);
	buf_printf(&b, "Date: %s%s", date, eol);
	/* Stable per outbox row, so a repeated delivery is recognisable. */
	buf_printf(&b, "Message-ID: <outbox-%s.%s@%s>%s", id, created ? created : "0", t->domain, eol);
	buf_printf(&b, "MIME-Version: 1.0%s", eol);
	if (unsub && *unsub) {
		/* RFC 2369 and RFC 8058: the mail client's own unsubscribe
		 * button POSTs List-Unsubscribe=One-Click to this URL. */
		buf_printf(&b, "List-Unsubscribe: <%s>%s", unsub, eol);
		buf_printf(&b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click%s", eol);
	}
	buf_printf(&b, "Auto-Submitted: auto-generated%s", eol);
	if (!html || !*html) {
		buf_printf(&b, "Content-Type: text/plain; charset=utf-8%s", eol);
		buf_printf(&b, "Content-Transfer-Encoding: 8bit%s", eol);
		buf_puts(&b, eol);
		put_body(&b, body, eol);
		return b.oom ? NULL : b.p;
	}
	/* multipart/alternative: the plain text first, the HTML last (the
	 * part a reader prefers when it can show it). The boundary is made
	 * of the outbox id and characters no rendered part starts a line
	 * with ("=_" cannot begin a line of our templates' output). */
	{
		char boundary[96];

		snprintf(boundary, sizeof(boundary), "=_shop-alt-%s-%s", id, created ? created : "0");
		buf_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"%s", boundary, eol);
		buf_puts(&b, eol);
		buf_printf(&b, "This is a message in two parts: plain text and HTML.%s", eol);
		buf_printf(&b, "--%s%s", boundary, eol);
		buf_printf(&b, "Content-Type: text/plain; charset=utf-8%s", eol);
		buf_printf(&b, "Content-Transfer-Encoding: 8bit%s", eol);
		buf_puts(&b, eol);
		put_body(&b, body, eol);
		buf_printf(&b, "--%s%s", boundary, eol);
		buf_printf(&b, "Content-Type: text/html; charset=utf-8%s", eol);
		buf_printf(&b, "Content-Transfer-Encoding: 8bit%s", eol);
		buf_puts(&b, eol);
		put_body(&b, html, eol);
		buf_printf(&b, "--%s--%s", boundary, eol);
	}
	return b.oom ? NULL : b.p;
}

/* ---- maildir ---- */

static int mkdir_p(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* dir + "/" + name into out; -1 when it does not fit. */
static int path_join(char *out, size_t n, const char *dir, const char *name)
{
	int k = snprintf(out, n, "%s/%s", dir, name);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* Maildir delivery: write tmp/NAME completely, fsync, then rename into new/,
 * so a reader never sees half a message. NAME is unique per host and process
 * (time, microseconds, pid, counter, host), as the Maildir spec asks. */
static int deliver_maildir(const char *msg, char *why, size_t whylen)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	static unsigned long seq;
	char dir[4096], sub[4200], tmp[4600], dst[4600], host[128] = "localhost", name[300];
	struct timeval tv;
	size_t len = strlen(msg), off = 0;
	int fd;

	if (path_join(dir, sizeof(dir), config.home, "mail") || mkdir_p(dir)) {
		snprintf(why, whylen, "maildir %.150s/mail: %s", config.home, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 3; i++)
		if (path_join(sub, sizeof(sub), dir, subdirs[i]) || mkdir_p(sub)) {
			snprintf(why, whylen, "maildir %.150s/%s: %s", dir, subdirs[i], strerror(errno));
			return -1;
		}
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	gettimeofday(&tv, NULL);
	snprintf(name, sizeof(name), "%lld.M%ldP%dQ%lu.%s", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (int)getpid(), ++seq, host);
	if (path_join(sub, sizeof(sub), dir, "tmp") || path_join(tmp, sizeof(tmp), sub, name) ||
	    path_join(sub, sizeof(sub), dir, "new") || path_join(dst, sizeof(dst), sub, name)) {
		snprintf(why, whylen, "maildir: path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "maildir open %.150s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, msg + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < len || fsync(fd)) {
		snprintf(why, whylen, "maildir write: %s", strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd)) {
		snprintf(why, whylen, "maildir close: %s", strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, dst)) {
		snprintf(why, whylen, "maildir rename: %s", strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- SMTP ---- */

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* 0 sent; -1 try again later; 1 refused for good (a 5xx answer). */
static int deliver_smtp(CURL *cu, const struct transport *t, const char *to,
			const char *msg, char *why, size_t whylen)
{
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, strlen(msg) };
	char rcpt_addr[300];
	long code = 0;
	CURLcode rc;

	snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
	rcpt = curl_slist_append(NULL, rcpt_addr);
	curl_easy_setopt(cu, CURLOPT_URL, t->smtp_url);
	curl_easy_setopt(cu, CURLOPT_MAIL_FROM, t->envelope);
	curl_easy_setopt(cu, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(cu, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(cu, CURLOPT_READDATA, &u);
	curl_easy_setopt(cu, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	/* STARTTLS when the server offers it; smtps:// is TLS from the start. */
	curl_easy_setopt(cu, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (getenv("SHOP_SMTP_USER")) {
		curl_easy_setopt(cu, CURLOPT_USERNAME, getenv("SHOP_SMTP_USER"));
		curl_easy_setopt(cu, CURLOPT_PASSWORD, getenv("SHOP_SMTP_PASSWORD") ? getenv("SHOP_SMTP_PASSWORD") : "");
	}
	rc = curl_easy_perform(cu);
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return 0;
	snprintf(why, whylen, "smtp: %s (code %ld)", curl_easy_strerror(rc), code);
	return code >= 500 && code < 600 ? 1 : -1;
}

/* ---- the deliverer ---- */

static long backoff(long attempts)
{
	long s = MAIL_BACKOFF_BASE;

	while (attempts-- > 0 && s < MAIL_BACKOFF_MAX)
		s *= 2;
	return s < MAIL_BACKOFF_MAX ? s : MAIL_BACKOFF_MAX;
}

/* Claims, delivers and marks one message in one transaction. Returns 1 when
 * one was delivered, 0 when none is due or it failed (and was rescheduled),
 * -1 when the database failed. */
static int deliver_one(struct db *db, struct arena *a, const struct transport *t, CURL **cu)
{
	struct db_res *r = NULL;
	const char *id, *to, *msg;
	char why[256] = "";
	int64_t nid;
	long attempts;
	int rc;

	if (db_begin(db))
		return -1;
	if (db_exec(db, a, &sql[Q_CLAIM], &r, "i", (int64_t)MAIL_MAX_ATTEMPTS))
		goto db_fail;
	if (!r || !r->nrows) {
		db_rollback(db);
		return 0;
	}
	id = db_cell(r, 0, 0);
	nid = db_int(r, 0, 0);
	to = db_cell(r, 0, 1);
	attempts = (long)db_int(r, 0, 4);
	if (!plain_address(to) || strpbrk(db_cell(r, 0, 2), "\r\n")) {
		/* Written by hand into the table, past mail_enqueue's checks. */
		snprintf(why, sizeof(why), "refused: malformed recipient or subject");
		rc = 1;
	} else if (t->smtp_url) {
		msg = build_message(a, t, id, db_cell(r, 0, 5), to, db_cell(r, 0, 2),
				    db_cell(r, 0, 3), db_cell(r, 0, 6), db_cell(r, 0, 7), "\r\n");
		if (!*cu && !(*cu = curl_easy_init())) {
			snprintf(why, sizeof(why), "smtp: cannot initialise libcurl");
			rc = -1;
		} else {
			rc = msg ? deliver_smtp(*cu, t, to, msg, why, sizeof(why)) : -1;
		}
	} else {
		msg = build_message(a, t, id, db_cell(r, 0, 5), to, db_cell(r, 0, 2),
				    db_cell(r, 0, 3), db_cell(r, 0, 6), db_cell(r, 0, 7), "\n");
		rc = msg ? deliver_maildir(msg, why, sizeof(why)) : -1;
	}
	if (rc && !why[0])
		snprintf(why, sizeof(why), "out of memory");
	if (rc == 0) {
		if (db_exec(db, a, &sql[Q_SENT], NULL, "i", nid))
			goto db_fail;
	} else if (rc == 1) {
		log_warn("mail %s: giving up: %s", id, why);
		if (db_exec(db, a, &sql[Q_GIVE_UP], NULL, "isi", (int64_t)MAIL_MAX_ATTEMPTS, why, nid))
			goto db_fail;
	} else {
		log_warn("mail %s: attempt %ld failed, retrying in %lds: %s", id, attempts + 1,
			 backoff(attempts), why);
		if (db_exec(db, a, &sql[Q_RETRY], NULL, "sii", why, (int64_t)backoff(attempts), nid))
			goto db_fail;
	}
	if (db_commit(db))
		return -1;
	if (rc == 0)
		log_info("mail %s: delivered (%s)", id, t->smtp_url ? "smtp" : "maildir");
	return rc == 0;
db_fail:
	db_rollback(db);
	return -1;
}

int mail_deliver_batch(struct db *db, struct arena *a)
{
	static int curl_ready;
	struct transport t;
	CURL *cu = NULL;
	int sent = 0, i;

	transport_load(&t);
	if (t.smtp_url && !curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return -1;
		curl_ready = 1;
	}
	for (i = 0; i < MAIL_BATCH; i++) {
		int r = deliver_one(db, a, &t, &cu);

		if (r < 0) {
			sent = sent ? sent : -1;
			break;
		}
		if (r == 0) {
			/* Either nothing is due or this one failed: a failed
			 * message is rescheduled, so going on is safe, but a dead
			 * SMTP server would make every one fail; stop here. */
			break;
		}
		sent++;
	}
	if (cu)
		curl_easy_cleanup(cu);
	return sent;
}
