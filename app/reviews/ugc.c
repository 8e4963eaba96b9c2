/* What shoppers write: cleaning, the automatic checks, fingerprints and
 * the verified-purchase question (ugc.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../store/db.h"
#include "ugc.h"

enum { Q_BOUGHT, NQ };

static struct db_sql sql[NQ] = {
	/* ARCHIVE: a purchase long ago (app/archive) still counts. */
	[Q_BOUGHT] = { "SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.user_id = ? "
		       "AND l.product_id = ? AND l.state IN ('shipped', 'delivered') UNION ALL "
		       "SELECT 1 FROM orders_archive o JOIN order_lines_archive l ON l.order_id = o.id WHERE o.user_id = ? "
		       "AND l.product_id = ? AND l.state IN ('shipped', 'delivered') LIMIT 1", 0 },
};

static const char *const codes[UGC_NFLAGS] = { "link", "contact", "words", "shouting", "duplicate", "rate" };
static const char *const texts[UGC_NFLAGS] = {
	"contains a link", "contains contact details", "contains a word on the moderation list",
	"written mostly in capitals", "repeats another text word for word",
	"its author or product received texts at an unusual rate"
};

/* The built-in list: spam and abuse that never belong in a review. Lower
 * case; matched as whole words. SHOP_UGC_WORDS adds to it. */
static const char *const builtin_words[] = {
	"viagra", "cialis", "casino", "crypto giveaway", "bitcoin doubler", "escort", "porn",
	"whatsapp me", "telegram me", "dm me", "fuck", "shit", "cunt", "nigger", "faggot", "retard",
	"kill yourself", "kys", NULL
};

static char **words;
static size_t nwords;

static void add_word(const char *w, size_t n)
{
	char **nw;
	char *s;

	while (n && isspace((unsigned char)*w))
		w++, n--;
	while (n && isspace((unsigned char)w[n - 1]))
		n--;
	if (!n || n > 100 || !(s = malloc(n + 1)) || !(nw = realloc(words, (nwords + 1) * sizeof(*nw)))) {
		if (n && n <= 100)
			log_warn("ugc: out of memory reading the word list");
		return;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)w[i]);
	s[n] = '\0';
	words = nw;
	words[nwords++] = s;
}

void ugc_init(void)
{
	static int done;
	const char *path;
	FILE *f;
	char line[256];

	if (done++)
		return;
	db_register(sql, NQ);
	for (size_t i = 0; builtin_words[i]; i++)
		add_word(builtin_words[i], strlen(builtin_words[i]));
	if (!(path = getenv("SHOP_UGC_WORDS")) || !*path)
		return;
	if (!(f = fopen(path, "r"))) {
		log_warn("ugc: SHOP_UGC_WORDS=%s: cannot read; the built-in list only", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *h = strchr(line, '#');

		if (h)
			*h = '\0';
		add_word(line, strlen(line));
	}
	fclose(f);
}

/* ---- cleaning ---- */

/* Length of the UTF-8 sequence at s that is a character to drop: C0 and
 * C1 controls but '\n' and '\t', DEL, bidi overrides and isolates, the
 * byte-order mark and zero-width characters that hide text; 0 to keep. */
static size_t drop_len(const unsigned char *s)
{
	if (*s < 0x20)
		return *s == '\n' || *s == '\t' ? 0 : 1;
	if (*s == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0xaa && s[2] <= 0xae) || (s[2] >= 0x8b && s[2] <= 0x8f)))
		return 3;	/* LRE..RLO, zero width space..RLM */
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 3;	/* LRI, RLI, FSI, PDI */
	if (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return 3;	/* BOM */
	return 0;
}

char *ugc_clean(struct arena *a, const char *s)
{
	size_t n = s ? strlen(s) : 0, nl = 0;
	char *out = arena_alloc(a, n + 1), *w = out;
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	if (!out)
		return NULL;
	while (*p) {
		size_t d;

		if (*p == '\r' || *p == '\n') {	/* CRLF and CR are newlines too */
			p += *p == '\r' && p[1] == '\n' ? 2 : 1;
			if (w > out && ++nl <= 2)	/* at most one blank line */
				*w++ = '\n';
			continue;
		}
		if ((d = drop_len(p))) {
			p += d;
			continue;
		}
		nl = 0;
		*w++ = *p == '\t' ? ' ' : (char)*p;
		p++;
	}
	while (w > out && (w[-1] == '\n' || w[-1] == ' '))
		w--;
	*w = '\0';
	while (*out == ' ')
		out++;
	return out;
}

/* ---- the checks ---- */

static int is_word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* A URL scheme, "www.", or a word.tld with a top-level domain people
 * use for links (letters after the dot, so "4.5" and "e.g." are not). */
static int has_link(const char *s)
{
	static const char *const tlds[] = {
		"com", "net", "org", "io", "co", "ru", "info", "biz", "xyz", "shop", "store", "link", "ly",
		"me", "app", "dev", "site", "online", "top", "cn", "uk", "de", "us", "tk", "gl", "gg", NULL
	};
	const char *p;

	for (p = s; *p; p++) {
		if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8) || !strncasecmp(p, "www.", 4) ||
		    !strncasecmp(p, "ftp://", 6))
			return 1;
		if (*p == '.' && p > s && isalnum((unsigned char)p[-1])) {
			for (size_t i = 0; tlds[i]; i++) {
				size_t n = strlen(tlds[i]);

				if (!strncasecmp(p + 1, tlds[i], n) && !is_word_char((unsigned char)p[1 + n]) &&
				    p[1 + n] != '@')
					return 1;
			}
		}
	}
	return 0;
}

/* An address (x@y.z) or a phone number: nine or more digits in a run
 * that only spaces, dots, dashes, parentheses and a leading + break. */
static int has_contact(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '@' && p > s && is_word_char((unsigned char)p[-1])) {
			const char *q = p + 1;

			while (is_word_char((unsigned char)*q) || *q == '-')
				q++;
			if (*q == '.' && isalpha((unsigned char)q[1]))
				return 1;
		}
	}
	for (const char *p = s; *p;) {
		int digits = 0, gap = 0;

		if (!isdigit((unsigned char)*p) && *p != '+') {
			p++;
			continue;
		}
		for (; *p; p++) {
			if (isdigit((unsigned char)*p)) {
				digits++;
				gap = 0;
			} else if ((*p == ' ' || *p == '.' || *p == '-' || *p == '(' || *p == ')' || *p == '+') &&
				   ++gap <= 2) {
				continue;
			} else {
				break;
			}
		}
		if (digits >= 9)
			return 1;
	}
	return 0;
}

static int has_word(const char *s)
{
	size_t n = strlen(s);

	for (size_t k = 0; k < nwords; k++) {
		size_t wl = strlen(words[k]);

		for (size_t i = 0; i + wl <= n; i++) {
			if (strncasecmp(s + i, words[k], wl))
				continue;
			if ((i == 0 || !is_word_char((unsigned char)s[i - 1])) && !is_word_char((unsigned char)s[i + wl]))
				return 1;
		}
	}
	return 0;
}

/* At least 12 cased letters, 70% or more of them capitals. */
static void count_case(const char *s, int *upper, int *cased)
{
	for (; s && *s; s++) {
		if (isupper((unsigned char)*s))
			++*upper, ++*cased;
		else if (islower((unsigned char)*s))
			++*cased;
	}
}

unsigned ugc_check_text(const char *title, const char *body)
{
	const char *t[2] = { title ? title : "", body ? body : "" };
	unsigned f = 0;
	int upper = 0, cased = 0;

	for (int i = 0; i < 2; i++) {
		if (has_link(t[i]))
			f |= UGC_LINK;
		if (has_contact(t[i]))
			f |= UGC_CONTACT;
		if (has_word(t[i]))
			f |= UGC_WORDS;
		count_case(t[i], &upper, &cased);
	}
	if (cased >= 12 && upper * 10 >= cased * 7)
		f |= UGC_SHOUTING;
	return f;
}

const char *ugc_reasons(struct arena *a, unsigned flags)
{
	char buf[128];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < UGC_NFLAGS; i++)
		if (flags & (1u << i))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", codes[i]);
	return arena_strdup(a, buf);
}

json_t *ugc_reasons_json(unsigned flags)
{
	json_t *v = json_array();

	for (int i = 0; v && i < UGC_NFLAGS; i++)
		if (flags & (1u << i))
			json_array_append_new(v, json_string(codes[i]));
	return v;
}

unsigned ugc_reasons_parse(const char *s)
{
	unsigned f = 0;

	while (s && *s) {
		size_t n = strcspn(s, ",");

		for (int i = 0; i < UGC_NFLAGS; i++)
			if (strlen(codes[i]) == n && !strncmp(s, codes[i], n))
				f |= 1u << i;
		s += n;
		if (*s == ',')
			s++;
	}
	return f;
}

const char *ugc_reason_text(const char *code)
{
	for (int i = 0; code && i < UGC_NFLAGS; i++)
		if (!strcmp(code, codes[i]))
			return texts[i];
	return code ? code : "";
}

const char *ugc_fingerprint(struct arena *a, const char *title, const char *body)
{
	crypto_generichash_state st;
	unsigned char h[32];
	char *hex = arena_alloc(a, 65);
	const char *t[2] = { title ? title : "", body ? body : "" };

	if (!hex)
		return NULL;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (int i = 0; i < 2; i++) {
		for (const unsigned char *p = (const unsigned char *)t[i]; *p; p++) {
			unsigned char c = (unsigned char)tolower(*p);

			if (isalnum(c) || c >= 0x80)
				crypto_generichash_update(&st, &c, 1);
		}
		crypto_generichash_update(&st, (const unsigned char *)"|", 1);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, 65, h, sizeof(h));
	return hex;
}

const char *ugc_display_name(struct arena *a, const char *name)
{
	const char *p = name ? name : "", *first, *last = NULL;
	size_t fn;

	while (*p == ' ')
		p++;
	if (!*p)
		return "A shopper";
	first = p;
	fn = strcspn(first, " ");
	for (p = first + fn; *p; p++)
		if (p[-1] == ' ' && *p != ' ')
			last = p;
	if (!last)
		return arena_printf(a, "%.*s", (int)fn, first);
	/* The initial is the last word's first character, whole in UTF-8. */
	{
		size_t l = 1;

		while (((unsigned char)last[l] & 0xc0) == 0x80)
			l++;
		return arena_printf(a, "%.*s %.*s.", (int)fn, first, (int)l, last);
	}
}

enum err ugc_bought(struct db *db, struct arena *a, int64_t uid, int64_t product_id, int *yes)
{
	struct db_res *r = NULL;
	enum err e;

	*yes = 0;
	if (uid <= 0 || product_id <= 0)
		return E_OK;
	if ((e = db_exec(db, a, &sql[Q_BOUGHT], &r, "iiii", uid, product_id, uid, product_id)))
		return e;
	*yes = r->nrows > 0;
	return E_OK;
}
