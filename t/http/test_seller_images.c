/* t/http: product photos (issue 7): uploads through nginx and shopd, the
 * files nginx serves, the storefront's copy, the refusals, the seller pages
 * and API, isolation between sellers.
 *
 * The corpus is made at test time with libvips (JPEG, PNG, GIF, WebP) and
 * byte surgery on those files (polyglots, patched headers); nothing binary
 * is committed. */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <utime.h>
#include <unistd.h>
#include <jansson.h>
#include <vips/vips.h>
#include "harness.h"

#define PW "correct horse battery"
#define HAS(r, s) ck_assert_msg(strstr((r)->body, (s)) != NULL, "body lacks %s: %.300s", (s), (r)->body)

/* ---- the corpus ---- */

struct blob {
	unsigned char *p;
	size_t len;
};

static void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static struct blob blob_copy(const void *p, size_t len)
{
	struct blob b = { malloc(len + 1), len };

	ck_assert_ptr_nonnull(b.p);
	memcpy(b.p, p, len);
	return b;
}

/* b with extra bytes inserted at offset at. */
static struct blob blob_insert(const struct blob *b, size_t at, const void *extra, size_t n)
{
	struct blob o = { malloc(b->len + n + 1), b->len + n };

	ck_assert_ptr_nonnull(o.p);
	memcpy(o.p, b->p, at);
	memcpy(o.p + at, extra, n);
	memcpy(o.p + at + n, b->p + at, b->len - at);
	return o;
}

/* A w x h picture in the given format: a gradient tinted by shade, so two
 * shades are two different photos. */
static struct blob picture(const char *fmt, int w, int h, int shade)
{
	VipsImage *xy = NULL, *m = NULL, *u = NULL, *rgb = NULL;
	void *buf = NULL;
	size_t len = 0;
	int rc;
	struct blob b;

	ck_assert_int_eq(vips_xyz(&xy, w, h, NULL), 0);
	ck_assert_int_eq(vips_remainder_const1(xy, &m, 256, NULL), 0);
	ck_assert_int_eq(vips_cast_uchar(m, &u, NULL), 0);
	ck_assert_int_eq(vips_bandjoin_const1(u, &rgb, shade, NULL), 0);
	if (!strcmp(fmt, "jpeg"))
		rc = vips_jpegsave_buffer(rgb, &buf, &len, "Q", 85, NULL);
	else if (!strcmp(fmt, "png"))
		rc = vips_pngsave_buffer(rgb, &buf, &len, NULL);
	else if (!strcmp(fmt, "gif"))
		rc = vips_gifsave_buffer(rgb, &buf, &len, NULL);
	else
		rc = vips_webpsave_buffer(rgb, &buf, &len, NULL);
	ck_assert_msg(rc == 0, "cannot make a %s: %s", fmt, vips_error_buffer());
	b = blob_copy(buf, len);
	g_free(buf);
	g_object_unref(rgb);
	g_object_unref(u);
	g_object_unref(m);
	g_object_unref(xy);
	return b;
}

/* A one-band PNG of w x h zero pixels at 1 bit: tiny on disk, huge decoded. */
static struct blob bomb_png(int w, int h)
{
	VipsImage *z = NULL, *u = NULL;
	void *buf = NULL;
	size_t len = 0;
	struct blob b;

	ck_assert_int_eq(vips_black(&z, w, h, NULL), 0);
	ck_assert_int_eq(vips_cast_uchar(z, &u, NULL), 0);
	ck_assert_int_eq(vips_pngsave_buffer(u, &buf, &len, "bitdepth", 1, "compression", 9, NULL), 0);
	b = blob_copy(buf, len);
	g_free(buf);
	g_object_unref(u);
	g_object_unref(z);
	return b;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

/* Offset of a JPEG's SOF0 segment's marker (FF C0). */
static size_t jpeg_sof(const struct blob *b)
{
	size_t i = 2;

	while (i + 4 < b->len) {
		ck_assert_int_eq(b->p[i], 0xFF);
		if (b->p[i + 1] == 0xC0 || b->p[i + 1] == 0xC2)
			return i;
		i += 2 + be16(b->p + i + 2);
	}
	ck_abort_msg("no SOF in the JPEG");
	return 0;
}

/* ---- requests with binary bodies ---- */

struct sink {
	char *p;
	size_t len;
};

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	char *np = realloc(s->p, s->len + size * n + 1);

	if (!np)
		return 0;
	memcpy(np + s->len, p, size * n);
	s->len += size * n;
	np[s->len] = '\0';
	s->p = np;
	return size * n;
}

static size_t header_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;

	if (size * n >= 5 && !strncmp(p, "HTTP/", 5))
		s->len = 0;
	return sink_write(p, size, n, ud);
}

/* One request as the client (its cookie sent and kept), with a body of any
 * bytes. api adds Accept: application/json and the CSRF header; otherwise
 * the request is a browser's (Accept: text/html). */
static struct hresp *send_bytes(struct client *cl, const char *method, const char *path,
				const char *ctype, const void *body, size_t len, int api)
{
	struct hresp *r = calloc(1, sizeof(*r));
	struct sink b = { 0 }, h = { 0 };
	struct curl_slist *hl = NULL;
	char line[512], url[1024];
	CURL *c = curl_easy_init();
	const char *sc;

	snprintf(url, sizeof(url), "%s%s", base_url(), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hl = curl_slist_append(hl, line);
	}
	if (cl && cl->cookie[0]) {
		snprintf(line, sizeof(line), "Cookie: %s", cl->cookie);
		hl = curl_slist_append(hl, line);
	}
	if (api && cl) {
		snprintf(line, sizeof(line), "X-CSRF-Token: %s", cl->csrf);
		hl = curl_slist_append(hl, line);
	}
	hl = curl_slist_append(hl, api ? "Accept: application/json" : "Accept: text/html");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r->body = b.p ? b.p : strdup("");
	r->len = b.len;
	r->headers = h.p ? h.p : strdup("");
	if (cl && (sc = hresp_header(r, "Set-Cookie")) && !strncmp(sc, "sid=", 4)) {
		const char *semi = strchr(sc, ';');

		snprintf(cl->cookie, sizeof(cl->cookie), "%.*s", (int)(semi ? semi - sc : (long)strlen(sc)), sc);
	}
	return r;
}

#define BOUNDARY "----shopTestBoundary7MA4YWxkTrZu0gW"

/* A multipart/form-data body: the CSRF field (unless csrf is NULL), the file
 * part "image" (unless data is NULL) and an alt field (unless NULL). */
static struct blob multipart(const char *csrf, const char *filename, const char *ctype,
			     const struct blob *data, const char *alt)
{
	struct blob b = { NULL, 0 };
	char head[1024];
	FILE *f;
	size_t cap = 0;
	char *p = NULL;

	f = open_memstream(&p, &cap);
	ck_assert_ptr_nonnull(f);
	if (csrf)
		fprintf(f, "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n", BOUNDARY, csrf);
	if (data) {
		snprintf(head, sizeof(head), "--%s\r\nContent-Disposition: form-data; name=\"image\"; "
			 "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n", BOUNDARY, filename, ctype);
		fwrite(head, 1, strlen(head), f);
		fwrite(data->p, 1, data->len, f);
		fputs("\r\n", f);
	}
	if (alt)
		fprintf(f, "--%s\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n%s\r\n", BOUNDARY, alt);
	fprintf(f, "--%s--\r\n", BOUNDARY);
	fclose(f);
	b.p = (unsigned char *)p;
	b.len = cap;
	return b;
}

#define MP_TYPE "multipart/form-data; boundary=" BOUNDARY

/* POST /api/items/{pid}/images with one file part. */
static struct hresp *api_upload(struct client *cl, long long pid, const char *filename,
				const struct blob *data, const char *alt)
{
	char path[128];
	struct blob body = multipart(NULL, filename, "image/jpeg", data, alt);
	struct hresp *r;

	snprintf(path, sizeof(path), "/api/items/%lld/images", pid);
	r = send_bytes(cl, "POST", path, MP_TYPE, body.p, body.len, 1);
	blob_free(&body);
	return r;
}

/* The page's upload form, as a browser posts it. */
static struct hresp *form_upload(struct client *cl, long long pid, const char *filename,
				 const struct blob *data, const char *alt)
{
	char path[128];
	struct blob body = multipart(cl->csrf, filename, "image/jpeg", data, alt);
	struct hresp *r;

	snprintf(path, sizeof(path), "/seller/items/%lld/images", pid);
	r = send_bytes(cl, "POST", path, MP_TYPE, body.p, body.len, 0);
	blob_free(&body);
	return r;
}

static struct hresp *form_post(struct client *cl, const char *path, const char *fields)
{
	char form[2048];

	snprintf(form, sizeof(form), "csrf=%s%s%s", cl->csrf, fields ? "&" : "", fields ? fields : "");
	return send_bytes(cl, "POST", path, "application/x-www-form-urlencoded", form, strlen(form), 0);
}

static struct hresp *api_json(struct client *cl, const char *method, const char *path, const char *json)
{
	return send_bytes(cl, method, path, json ? "application/json" : NULL, json, json ? strlen(json) : 0, 1);
}

/* ---- sellers and items ---- */

static char last_slug[64];

/* An active item of the seller, made with SQL (the item forms are another
 * module's); last_slug gets its slug. */
static long long make_item(long long seller)
{
	static int seq;
	char q[1024];

	snprintf(last_slug, sizeof(last_slug), "photo-test-%d-%d", (int)getpid(), ++seq);
	snprintf(q, sizeof(q), "INSERT INTO products (seller_id, category_id, slug, title, description, price) "
		 "SELECT %lld, MIN(id), '%s', 'Photo test mug %d', 'A mug to photograph.', 1299 FROM categories",
		 seller, last_slug, seq);
	ck_assert_int_eq(sql_exec(q), 0);
	snprintf(q, sizeof(q), "SELECT id FROM products WHERE slug = '%s'", last_slug);
	return sql_scalar(q);
}

/* ---- the media directory and the rows ---- */

static const char *media_dir(void)
{
	static char d[1024];

	snprintf(d, sizeof(d), "%s/media", getenv("SHOP_HOME"));
	return d;
}

static void count_files(const char *dir, long *n, long *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	/* No media directory yet is no file; any other failure would make
	 * "before == after" pass on nothing counted. */
	if (!d && errno == ENOENT && !strcmp(dir, media_dir()))
		return;
	ck_assert_msg(d != NULL, "cannot list %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char path[2048];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			count_files(path, n, tmp);
		else if (!strncmp(e->d_name, ".tmp-", 5))
			(*tmp)++;
		else
			(*n)++;
	}
	closedir(d);
}

/* What an upload may leave behind: files, rows, events. */
struct traces {
	long files, tmp;
	long long rows, events, images_json;
};

static struct traces traces(long long pid)
{
	struct traces t = { 0 };
	char q[512];

	count_files(media_dir(), &t.files, &t.tmp);
	t.rows = sql_scalar("SELECT COUNT(*) FROM product_images");
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM outbox WHERE topic = 'ProductUpdated' AND aggregate_id = %lld", pid);
	t.events = sql_scalar(q);
	snprintf(q, sizeof(q), "SELECT JSON_LENGTH(images) FROM products WHERE id = %lld", pid);
	t.images_json = sql_scalar(q);
	return t;
}

static void same_traces(const struct traces *a, const struct traces *b, const char *what)
{
	ck_assert_msg(a->files == b->files, "%s: files %ld -> %ld", what, a->files, b->files);
	ck_assert_msg(b->tmp == 0, "%s: %ld temporary files left", what, b->tmp);
	ck_assert_msg(a->rows == b->rows, "%s: rows %lld -> %lld", what, a->rows, b->rows);
	ck_assert_msg(a->events == b->events, "%s: events %lld -> %lld", what, a->events, b->events);
	ck_assert_msg(a->images_json == b->images_json, "%s: products.images changed", what);
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

/* A served photo: headers nginx must add, the decoded size within bounds. */
static void check_served(const char *url, int edge, int *w, int *h)
{
	struct hresp *r = http_get(url);
	VipsImage *img = NULL;
	const char *v;

	ck_assert_msg(r->status == 200, "%s: %ld", url, r->status);
	ck_assert_str_eq(hresp_header(r, "Content-Type"), "image/webp");
	v = hresp_header(r, "Cache-Control");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "public, max-age=31536000, immutable");
	ck_assert_str_eq(hresp_header(r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(hresp_header(r, "Content-Security-Policy"), "default-src 'none'; sandbox");
	ck_assert(r->len > 12 && !memcmp(r->body, "RIFF", 4) && !memcmp(r->body + 8, "WEBP", 4));
	/* Metadata stripped: no EXIF, XMP or ICC chunk. */
	ck_assert_ptr_null(memmem(r->body, r->len, "EXIF", 4));
	ck_assert_ptr_null(memmem(r->body, r->len, "XMP ", 4));
	ck_assert_ptr_null(memmem(r->body, r->len, "ICCP", 4));
	ck_assert_ptr_null(memmem(r->body, r->len, "secret-comment", 14));
	ck_assert_int_eq(vips_webpload_buffer(r->body, r->len, &img, NULL), 0);
	ck_assert_int_le(img->Xsize, edge);
	ck_assert_int_le(img->Ysize, edge);
	*w = img->Xsize;
	*h = img->Ysize;
	g_object_unref(img);
	hresp_free(r);
}

/* Polls the product page until it shows (or no longer shows) s: the
 * microcache keeps an anonymous page for a second. */
static int page_has(const char *slug, const char *s)
{
	char path[128];

	snprintf(path, sizeof(path), "/p/%s", slug);
	for (int i = 0; i < 50; i++) {
		struct hresp *r = http_get(path);
		int hit = r->status == 200 && strstr(r->body, s) != NULL;

		hresp_free(r);
		if (hit)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

/* ---- tests ---- */

START_TEST(formats_are_reencoded_and_served)
{
	static const struct { const char *fmt, *name; int w, h; } in[] = {
		{ "jpeg", "big.jpg", 2400, 1800 },	/* longer than the full size */
		{ "png", "small.png", 300, 200 },	/* never enlarged */
		{ "gif", "anim.gif", 120, 90 },
		{ "webp", "tall.webp", 700, 2100 },
	};
	struct client s;
	long long seller = seller_new(&s, "img.formats", NULL), pid = make_item(seller);
	char slug[64], q[512], first_full[256] = "", first_card[256] = "";
	struct traces t0 = traces(pid), t1;

	snprintf(slug, sizeof(slug), "%s", last_slug);
	for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
		struct blob b = picture(in[k].fmt, in[k].w, in[k].h, 40 + (int)k);
		struct hresp *r = api_upload(&s, pid, in[k].name, &b, "A gradient");
		json_t *j = hresp_json(r);
		const char *u;
		int w, h;

		ck_assert_msg(r->status == 201, "%s: %ld %s", in[k].fmt, r->status, r->body);
		ck_assert_ptr_nonnull(j);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "position")), (json_int_t)k + 1);
		ck_assert_str_eq(str_at(j, "alt", NULL), "A gradient");
		ck_assert_ptr_nonnull(hresp_header(r, "Location"));
		check_served(str_at(j, "urls", "full"), 1600, &w, &h);
		/* Bounded, never enlarged, aspect ratio kept. */
		if (in[k].w <= 1600 && in[k].h <= 1600) {
			ck_assert_int_eq(w, in[k].w);
			ck_assert_int_eq(h, in[k].h);
		} else {
			ck_assert_int_eq(w > h ? w : h, 1600);
			ck_assert_int_le(abs(w * in[k].h - h * in[k].w), in[k].w + in[k].h);
		}
		ck_assert_int_eq(json_integer_value(json_object_get(j, "width")), w);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "height")), h);
		check_served(str_at(j, "urls", "card"), 480, &w, &h);
		check_served(str_at(j, "urls", "thumb"), 160, &w, &h);
		/* Named by content: /media/ab/<64 hex>-<size>.webp. */
		u = str_at(j, "urls", "full");
		ck_assert_int_eq(strlen(u), strlen("/media/ab/") + 64 + strlen("-full.webp"));
		if (!k) {
			snprintf(first_full, sizeof(first_full), "%s", u);
			snprintf(first_card, sizeof(first_card), "%s", str_at(j, "urls", "card"));
		}
		json_decref(j);
		hresp_free(r);
		blob_free(&b);
	}
	t1 = traces(pid);
	ck_assert_int_eq(t1.files - t0.files, 12);
	ck_assert_int_eq(t1.tmp, 0);
	ck_assert_int_eq(t1.rows - t0.rows, 4);
	ck_assert_int_eq(t1.events - t0.events, 4);
	ck_assert_int_eq(t1.images_json, 4);
	/* The storefront's copy: full URLs in order, the card of the first. */
	snprintf(q, sizeof(q), "SELECT JSON_UNQUOTE(JSON_EXTRACT(images, '$[0]')) = '%s' AND thumbnail = '%s' "
		 "FROM products WHERE id = %lld", first_full, first_card, pid);
	ck_assert_int_eq(sql_scalar(q), 1);
	ck_assert_msg(page_has(slug, first_full), "the product page does not show %s", first_full);
	/* Category cards show the card-size photo instead of the placeholder
	 * (the item moved to a known category for the look-up). */
	{
		int seen = 0;

		snprintf(q, sizeof(q), "UPDATE products SET category_id = (SELECT id FROM categories "
			 "WHERE slug = 'smartphones') WHERE id = %lld", pid);
		ck_assert_int_eq(sql_exec(q), 0);
		snprintf(q, sizeof(q), "INSERT INTO outbox (topic, aggregate_id, payload) "
			 "VALUES ('ProductUpdated', %lld, JSON_OBJECT('id', %lld))", pid, pid);
		ck_assert_int_eq(sql_exec(q), 0);
		for (int i = 0; i < 100 && !seen; i++) {
			struct hresp *r = http_get_json("/api/categories/smartphones/items?sort=newest");

			seen = r->status == 200 && strstr(r->body, first_card) != NULL;
			hresp_free(r);
			if (!seen)
				usleep(100 * 1000);
		}
		ck_assert_msg(seen, "the category listing does not show %s", first_card);
		/* And search results. */
		seen = 0;
		for (int i = 0; i < 100 && !seen; i++) {
			struct hresp *r = http_get_json("/api/items?term=photo+test+mug&size=50");

			seen = r->status == 200 && strstr(r->body, first_card) != NULL;
			hresp_free(r);
			if (!seen)
				usleep(100 * 1000);
		}
		ck_assert_msg(seen, "search results do not show %s", first_card);
	}

	/* Only generated names are served from /media/. */
	{
		struct hresp *r;
		char bad[300];

		snprintf(bad, sizeof(bad), "%.*s.html", (int)(strlen(first_full) - 5), first_full);
		r = http_get(bad);
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
		r = http_get("/media/");
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
	}
}
END_TEST

START_TEST(raw_body_and_metadata)
{
	struct client s;
	long long seller = seller_new(&s, "img.raw", NULL), pid = make_item(seller);
	struct blob b = picture("png", 64, 48, 7), j = picture("jpeg", 80, 60, 8), tagged;
	/* A comment and an EXIF block (APP1) after SOI: both must be gone. */
	static const unsigned char extra[] = {
		0xFF, 0xFE, 0x00, 0x10, 's', 'e', 'c', 'r', 'e', 't', '-', 'c', 'o', 'm', 'm', 'e', 'n', 't',
		/* APP1: "Exif\0\0", a TIFF header, an empty IFD0. */
		0xFF, 0xE1, 0x00, 0x16, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
		0, 0, 0, 0, 0, 0,
	};
	char path[128];
	struct hresp *r;
	json_t *o;
	int w, h;

	snprintf(path, sizeof(path), "/api/items/%lld/images?alt=Raw%%20upload", pid);
	r = send_bytes(&s, "POST", path, "image/png", b.p, b.len, 1);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	o = hresp_json(r);
	ck_assert_str_eq(str_at(o, "alt", NULL), "Raw upload");
	json_decref(o);
	hresp_free(r);
	/* The declared type does not matter: a PNG sent as image/jpeg is a PNG. */
	snprintf(path, sizeof(path), "/api/items/%lld/images", pid);
	r = send_bytes(&s, "POST", path, "application/octet-stream", b.p, b.len, 1);
	ck_assert_int_eq(r->status, 201);
	hresp_free(r);

	tagged = blob_insert(&j, 2, extra, sizeof(extra));
	r = api_upload(&s, pid, "tagged.jpg", &tagged, NULL);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	o = hresp_json(r);
	check_served(str_at(o, "urls", "full"), 1600, &w, &h);
	ck_assert_int_eq(w, 80);
	json_decref(o);
	hresp_free(r);
	blob_free(&tagged);
	blob_free(&j);
	blob_free(&b);
}
END_TEST

START_TEST(hostile_uploads_leave_nothing)
{
	struct client s;
	long long seller = seller_new(&s, "img.hostile", NULL), pid = make_item(seller);
	struct blob jpg = picture("jpeg", 200, 150, 90), png = picture("png", 50, 40, 91),
		    gif = picture("gif", 30, 20, 92), webp = picture("webp", 40, 30, 93);
	static const char html[] = "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n";
	static const char svg[] = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
				  "height=\"10\"><rect width=\"10\" height=\"10\" fill=\"red\"/></svg>\n";
	static const char svg_js[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\">"
				     "<script>alert(2)</script></svg>";
	static const char tail_html[] = "<html><script>alert(1)</script></html>";
	static const unsigned char com_script[] = {
		0xFF, 0xFE, 0x00, 0x1B, '<', 's', 'c', 'r', 'i', 'p', 't', '>', 'a', 'l', 'e', 'r', 't',
		'(', '1', ')', '<', '/', 's', 'c', 'r', 'i', 'p', 't', '>',
	};
	struct blob html_jpg = blob_copy(html, strlen(html)), svg_b = blob_copy(svg, strlen(svg)),
		    svgjs_b = blob_copy(svg_js, strlen(svg_js)),
		    jpg_tail = blob_insert(&jpg, jpg.len, tail_html, strlen(tail_html)),
		    png_tail = blob_insert(&png, png.len, "PK\x03\x04zipzipzip", 13),
		    gif_tail = blob_insert(&gif, gif.len, "trailing", 8),
		    webp_tail = blob_insert(&webp, webp.len, "<html>", 6),
		    jpg_com = blob_insert(&jpg, 2, com_script, sizeof(com_script)),
		    jpg_cut = blob_copy(jpg.p, jpg.len / 2),
		    empty = { NULL, 0 },
		    wide = bomb_png(12000, 10), bomb = bomb_png(7000, 7000),
		    hdr_bomb = blob_copy(png.p, png.len), jpg_bomb = blob_copy(jpg.p, jpg.len),
		    big = { calloc(1, 10 * 1024 * 1024 + 1), 10 * 1024 * 1024 + 1 };
	struct {
		const char *what, *name;
		struct blob *b;
		long status;
		const char *says;
	} cases[] = {
		{ "HTML named .jpg", "photo.jpg", &html_jpg, 415, "text/html" },
		{ "SVG", "logo.svg.png", &svg_b, 415, "accepted" },
		{ "SVG with script", "x.gif", &svgjs_b, 415, "accepted" },
		{ "JPEG + HTML appended", "poly.jpg", &jpg_tail, 422, "after the end" },
		{ "PNG + zip appended", "poly.png", &png_tail, 422, "after the end" },
		{ "GIF + bytes appended", "poly.gif", &gif_tail, 422, "after the end" },
		{ "WebP + markup appended", "poly.webp", &webp_tail, 422, "after the end" },
		{ "JPEG with a script comment", "com.jpg", &jpg_com, 422, "markup" },
		{ "truncated JPEG", "cut.jpg", &jpg_cut, 422, "truncated" },
		{ "empty file", "empty.jpg", &empty, 400, "empty" },
		{ "a side over 10000", "wide.png", &wide, 422, "too large in pixels" },
		{ "49 megapixels", "bomb.png", &bomb, 422, "too large in pixels" },
		{ "PNG header says 100000 x 100000", "hdr.png", &hdr_bomb, 422, "too large in pixels" },
		{ "JPEG header says 60000 x 60000", "hdr.jpg", &jpg_bomb, 422, "too large in pixels" },
		{ "over 10 MB", "big.jpg", &big, 413, "10 MB" },
		{ "path in the name", "../../etc/passwd.jpg", &jpg, 400, "file name" },
		{ "slash in the name", "a/b.jpg", &jpg, 400, "file name" },
		{ "backslash in the name", "C:\\\\x\\\\evil.jpg", &jpg, 400, "file name" },
	};
	struct traces before = traces(pid), after;
	size_t sof;

	ck_assert_ptr_nonnull(big.p);
	/* IHDR width and height at bytes 16..23 (decoding never starts). */
	memcpy(hdr_bomb.p + 16, "\x00\x01\x86\xa0\x00\x01\x86\xa0", 8);
	sof = jpeg_sof(&jpg_bomb);
	memcpy(jpg_bomb.p + sof + 5, "\xea\x60\xea\x60", 4);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct hresp *r = api_upload(&s, pid, cases[k].name, cases[k].b, "x");
		json_t *j = hresp_json(r);
		const char *msg = str_at(json_object_get(j, "error"), "message", NULL);

		ck_assert_msg(r->status == cases[k].status, "%s: %ld, wanted %ld: %s", cases[k].what,
			      r->status, cases[k].status, r->body);
		ck_assert_msg(msg && strcasestr(msg, cases[k].says), "%s: message %s", cases[k].what, r->body);
		json_decref(j);
		hresp_free(r);
		after = traces(pid);
		same_traces(&before, &after, cases[k].what);
	}
	/* The page refuses the same way, in words beside the field. */
	{
		struct hresp *r = form_upload(&s, pid, "photo.jpg", &html_jpg, "alt kept");

		ck_assert_int_eq(r->status, 415);
		HAS(r, "field-error");
		HAS(r, "text/html");
		HAS(r, "value=\"alt kept\"");
		hresp_free(r);
	}
	/* A NUL in the file name breaks the multipart body itself. */
	{
		static const char nul_body[] = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"image\"; "
					       "filename=\"a.jpg\0.html\"\r\n\r\nabc\r\n--" BOUNDARY "--\r\n";
		char path[128];
		struct hresp *r;

		snprintf(path, sizeof(path), "/api/items/%lld/images", pid);
		r = send_bytes(&s, "POST", path, MP_TYPE, nul_body, sizeof(nul_body) - 1, 1);
		ck_assert_int_eq(r->status, 400);
		hresp_free(r);
		/* Truncated multipart: no final boundary. */
		r = send_bytes(&s, "POST", path, MP_TYPE, nul_body, 60, 1);
		ck_assert_int_eq(r->status, 400);
		hresp_free(r);
		/* No photo at all. */
		r = send_bytes(&s, "POST", path, "application/x-www-form-urlencoded", "alt=x", 5, 1);
		ck_assert_int_eq(r->status, 400);
		hresp_free(r);
	}
	after = traces(pid);
	same_traces(&before, &after, "the rest");
	ck_assert_int_eq(after.images_json, 0);

	blob_free(&html_jpg); blob_free(&svg_b); blob_free(&svgjs_b); blob_free(&jpg_tail);
	blob_free(&png_tail); blob_free(&gif_tail); blob_free(&webp_tail); blob_free(&jpg_com);
	blob_free(&jpg_cut); blob_free(&wide); blob_free(&bomb); blob_free(&hdr_bomb);
	blob_free(&jpg_bomb); blob_free(&big); blob_free(&jpg); blob_free(&png); blob_free(&gif);
	blob_free(&webp);
}
END_TEST

START_TEST(uploads_only_where_declared)
{
	struct client s;
	struct blob b = picture("png", 20, 20, 1), body;
	struct hresp *r;

	seller_new(&s, "img.routes", NULL);
	/* Multipart on a route that takes no uploads: 415, as any other type. */
	body = multipart(s.csrf, "a.png", "image/png", &b, NULL);
	r = send_bytes(&s, "POST", "/api/me/addresses", MP_TYPE, body.p, body.len, 1);
	ck_assert_int_eq(r->status, 415);
	hresp_free(r);
	blob_free(&body);
	/* Bodies over 1 MB elsewhere: 413 (shopd's page up to nginx's limit). */
	body.len = 1024 * 1024 + 10;
	body.p = calloc(1, body.len);
	memset(body.p, 'a', body.len);
	r = send_bytes(&s, "POST", "/api/me/addresses", "application/x-www-form-urlencoded", body.p, body.len, 1);
	ck_assert_int_eq(r->status, 413);
	hresp_free(r);
	blob_free(&body);
	blob_free(&b);
}
END_TEST

/* The ids of the item's photos in order, as "id,id,id". */
static void order_of(long long pid, char *out, size_t n)
{
	char q[512];
	long long cnt;

	out[0] = '\0';
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM product_images WHERE product_id = %lld", pid);
	cnt = sql_scalar(q);
	for (long long k = 1; k <= cnt; k++) {
		size_t len = strlen(out);

		snprintf(q, sizeof(q), "SELECT id FROM product_images WHERE product_id = %lld AND position = %lld", pid, k);
		snprintf(out + len, n - len, "%s%lld", k > 1 ? "," : "", sql_scalar(q));
	}
}

static long long upload_id(struct client *s, long long pid, int shade)
{
	struct blob b = picture("png", 40, 30, shade);
	struct hresp *r = api_upload(s, pid, "p.png", &b, NULL);
	json_t *j = hresp_json(r);
	long long id;

	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	hresp_free(r);
	blob_free(&b);
	return id;
}

START_TEST(pages_reorder_alt_delete)
{
	struct client s;
	long long seller = seller_new(&s, "img.pages", NULL), pid = make_item(seller), a, b, c;
	char path[256], want[128], got[128], q[512], slug[64];
	struct hresp *r;
	struct traces t0, t1;
	struct blob pic = picture("jpeg", 300, 300, 120);

	snprintf(slug, sizeof(slug), "%s", last_slug);
	snprintf(path, sizeof(path), "/seller/items/%lld/images", pid);
	r = client_browse(&s, "GET", path, NULL);
	ck_assert_int_eq(r->status, 200);
	HAS(r, "seller-nav");
	HAS(r, "no photos yet");
	HAS(r, "enctype=\"multipart/form-data\"");
	ck_assert_str_eq(hresp_header(r, "Cache-Control"), "no-store");
	hresp_free(r);

	/* The form: 303 back to the page, which says so. */
	r = form_upload(&s, pid, "mug.jpg", &pic, "Front of the mug");
	ck_assert_msg(r->status == 303, "%ld %s", r->status, r->body);
	hresp_free(r);
	/* Without the CSRF field: 403, nothing stored. */
	t0 = traces(pid);
	{
		struct blob body = multipart(NULL, "mug.jpg", "image/jpeg", &pic, NULL);

		r = send_bytes(&s, "POST", path, MP_TYPE, body.p, body.len, 0);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
		blob_free(&body);
	}
	t1 = traces(pid);
	same_traces(&t0, &t1, "no CSRF token");
	snprintf(q, sizeof(q), "SELECT id FROM product_images WHERE product_id = %lld", pid);
	a = sql_scalar(q);
	b = upload_id(&s, pid, 121);
	c = upload_id(&s, pid, 122);
	r = client_browse(&s, "GET", path, NULL);
	HAS(r, "Front of the mug");
	HAS(r, "3 of 12 photos");
	hresp_free(r);

	/* Move the last up, then the first down. */
	snprintf(path, sizeof(path), "/seller/items/%lld/images/%lld/move", pid, c);
	r = form_post(&s, path, "direction=up");
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	snprintf(want, sizeof(want), "%lld,%lld,%lld", a, c, b);
	order_of(pid, got, sizeof(got));
	ck_assert_str_eq(got, want);
	snprintf(path, sizeof(path), "/seller/items/%lld/images/%lld/move", pid, a);
	r = form_post(&s, path, "direction=down");
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	snprintf(want, sizeof(want), "%lld,%lld,%lld", c, a, b);
	order_of(pid, got, sizeof(got));
	ck_assert_str_eq(got, want);
	r = form_post(&s, path, "direction=sideways");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	/* The storefront follows: the first photo is c's. */
	snprintf(q, sizeof(q), "SELECT thumbnail = (SELECT CONCAT('/media/', LEFT(hash, 2), '/', hash, '-card.webp') "
		 "FROM product_images WHERE id = %lld) AND JSON_UNQUOTE(JSON_EXTRACT(images, '$[0]')) = "
		 "(SELECT CONCAT('/media/', LEFT(hash, 2), '/', hash, '-full.webp') FROM product_images WHERE id = %lld) "
		 "FROM products WHERE id = %lld", c, c, pid);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT CONCAT('/media/', LEFT(hash, 2), '/', hash, '-full.webp') FROM product_images WHERE id = %lld", c);
	{
		/* sql_scalar reads numbers; find c's hash through the API. */
		char api[128];
		json_t *j, *first;

		snprintf(api, sizeof(api), "/api/items/%lld/images", pid);
		r = api_json(&s, "GET", api, NULL);
		ck_assert_int_eq(r->status, 200);
		j = hresp_json(r);
		first = json_array_get(json_object_get(j, "items"), 0);
		ck_assert_int_eq(json_integer_value(json_object_get(first, "id")), c);
		ck_assert_msg(page_has(slug, str_at(first, "urls", "full")), "the page does not show the new first photo");
		json_decref(j);
		hresp_free(r);
	}

	/* Alt text: saved; too long is refused beside the field, nothing saved. */
	snprintf(path, sizeof(path), "/seller/items/%lld/images/%lld", pid, b);
	r = form_post(&s, path, "alt=Handle%20on%20the%20left");
	ck_assert_int_eq(r->status, 303);
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT alt = 'Handle on the left' FROM product_images WHERE id = %lld", b);
	ck_assert_int_eq(sql_scalar(q), 1);
	{
		char form[600];

		snprintf(form, sizeof(form), "alt=");
		memset(form + 4, 'x', 260);
		form[264] = '\0';
		t0 = traces(pid);
		r = form_post(&s, path, form);
		ck_assert_int_eq(r->status, 400);
		HAS(r, "at most 250");
		HAS(r, "aria-invalid");
		hresp_free(r);
		t1 = traces(pid);
		same_traces(&t0, &t1, "long alt");
		ck_assert_int_eq(sql_scalar(q), 1);
	}

	/* Delete the middle one: positions close up, its files go. */
	{
		long before_files = 0, tmp = 0, after_files = 0;

		count_files(media_dir(), &before_files, &tmp);
		snprintf(path, sizeof(path), "/seller/items/%lld/images/%lld/delete", pid, a);
		r = form_post(&s, path, NULL);
		ck_assert_int_eq(r->status, 303);
		hresp_free(r);
		count_files(media_dir(), &after_files, &tmp);
		ck_assert_int_eq(before_files - after_files, 3);
		snprintf(want, sizeof(want), "%lld,%lld", c, b);
		order_of(pid, got, sizeof(got));
		ck_assert_str_eq(got, want);
		snprintf(q, sizeof(q), "SELECT JSON_LENGTH(images) FROM products WHERE id = %lld", pid);
		ck_assert_int_eq(sql_scalar(q), 2);
		r = form_post(&s, path, NULL);	/* again: gone */
		ck_assert_int_eq(r->status, 404);
		hresp_free(r);
	}
	blob_free(&pic);
}
END_TEST

START_TEST(api_patch_delete_shared_and_limit)
{
	struct client s;
	long long seller = seller_new(&s, "img.api", NULL), pid = make_item(seller), other = make_item(seller);
	long long a, b, c, shared;
	char path[256], want[128], got[128], q[512];
	struct hresp *r;
	json_t *j;
	struct traces t0, t1;
	struct blob same = picture("gif", 50, 50, 200);

	a = upload_id(&s, pid, 201);
	b = upload_id(&s, pid, 202);
	c = upload_id(&s, pid, 203);
	snprintf(path, sizeof(path), "/api/items/%lld/images/%lld", pid, c);
	r = api_json(&s, "PATCH", path, "{\"position\": 1, \"alt\": \"Side view\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	j = hresp_json(r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "position")), 1);
	ck_assert_str_eq(str_at(j, "alt", NULL), "Side view");
	json_decref(j);
	hresp_free(r);
	snprintf(want, sizeof(want), "%lld,%lld,%lld", c, a, b);
	order_of(pid, got, sizeof(got));
	ck_assert_str_eq(got, want);
	/* "" clears the alt text. */
	r = api_json(&s, "PATCH", path, "{\"alt\": \"\"}");
	ck_assert_int_eq(r->status, 200);
	hresp_free(r);
	snprintf(q, sizeof(q), "SELECT alt = '' FROM product_images WHERE id = %lld", c);
	ck_assert_int_eq(sql_scalar(q), 1);
	/* Refusals change nothing. */
	t0 = traces(pid);
	r = api_json(&s, "PATCH", path, "{\"position\": 4}");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = api_json(&s, "PATCH", path, "{\"position\": 0}");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = api_json(&s, "PATCH", path, "{\"alt\": 5}");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	r = api_json(&s, "PATCH", path, "{}");
	ck_assert_int_eq(r->status, 400);
	hresp_free(r);
	t1 = traces(pid);
	same_traces(&t0, &t1, "PATCH refusals");
	order_of(pid, got, sizeof(got));
	ck_assert_str_eq(got, want);

	/* The same photo on two items is one set of files, kept while used. */
	{
		long f0 = 0, f1 = 0, f2 = 0, f3 = 0, tmp = 0;
		struct hresp *r2;

		count_files(media_dir(), &f0, &tmp);
		r = api_upload(&s, pid, "same.gif", &same, NULL);
		ck_assert_int_eq(r->status, 201);
		j = hresp_json(r);
		shared = json_integer_value(json_object_get(j, "id"));
		json_decref(j);
		hresp_free(r);
		r2 = api_upload(&s, other, "same.gif", &same, NULL);
		ck_assert_int_eq(r2->status, 201);
		hresp_free(r2);
		count_files(media_dir(), &f1, &tmp);
		ck_assert_int_eq(f1 - f0, 3);
		snprintf(path, sizeof(path), "/api/items/%lld/images/%lld", pid, shared);
		r = api_json(&s, "DELETE", path, NULL);
		ck_assert_int_eq(r->status, 204);
		ck_assert_uint_eq(r->len, 0);
		hresp_free(r);
		count_files(media_dir(), &f2, &tmp);
		ck_assert_int_eq(f2, f1);	/* still on the other item */
		snprintf(q, sizeof(q), "SELECT id FROM product_images WHERE product_id = %lld", other);
		snprintf(path, sizeof(path), "/api/items/%lld/images/%lld", other, sql_scalar(q));
		r = api_json(&s, "DELETE", path, NULL);
		ck_assert_int_eq(r->status, 204);
		hresp_free(r);
		count_files(media_dir(), &f3, &tmp);
		ck_assert_int_eq(f1 - f3, 3);
	}

	/* Twelve at most: fill up with rows, then one more is 409. */
	snprintf(q, sizeof(q), "INSERT INTO product_images (product_id, seller_id, hash, width, height, position) "
		 "SELECT %lld, %lld, REPEAT('0', 64), 1, 1, seq FROM seq_4_to_12", pid, seller);
	ck_assert_int_eq(sql_exec(q), 0);
	t0 = traces(pid);
	r = api_upload(&s, pid, "13.gif", &same, NULL);
	ck_assert_int_eq(r->status, 409);
	HAS(r, "at most 12");
	hresp_free(r);
	t1 = traces(pid);
	same_traces(&t0, &t1, "the 13th photo");
	snprintf(path, sizeof(path), "/seller/items/%lld/images", pid);
	r = client_browse(&s, "GET", path, NULL);
	HAS(r, "the most photos it can have");
	hresp_free(r);
	blob_free(&same);
}
END_TEST

START_TEST(sellers_are_isolated)
{
	struct client s, t, guest = { 0 };
	long long sa = seller_new(&s, "img.owner", NULL), pa = make_item(sa);
	long long sb = seller_new(&t, "img.other", NULL), pb = make_item(sb);
	long long ia = upload_id(&s, pa, 77), ib = upload_id(&t, pb, 78);
	struct blob pic = picture("png", 30, 30, 79);
	struct traces t0, t1;
	char path[256], q[512];
	struct hresp *r;
	struct {
		const char *method, *fmt, *body;
		int api;
	} probes[] = {
		{ "GET", "/seller/items/%lld/images", NULL, 0 },
		{ "POST", "/seller/items/%lld/images/%lld", "alt=mine", 0 },
		{ "POST", "/seller/items/%lld/images/%lld/move", "direction=up", 0 },
		{ "POST", "/seller/items/%lld/images/%lld/delete", NULL, 0 },
		{ "GET", "/api/items/%lld/images", NULL, 1 },
		{ "PATCH", "/api/items/%lld/images/%lld", "{\"alt\":\"mine\",\"position\":1}", 1 },
		{ "DELETE", "/api/items/%lld/images/%lld", NULL, 1 },
	};

	t0 = traces(pa);
	for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
		/* B on A's item and photo, and B's own item with A's photo. */
		long long items[2] = { pa, pb };

		for (int w = 0; w < 2; w++) {
			snprintf(path, sizeof(path), probes[k].fmt, items[w], ia);
			if (w == 1 && !strstr(probes[k].fmt, "images/"))
				continue;	/* B's own list is B's business */
			if (probes[k].api)
				r = api_json(&t, probes[k].method, path, probes[k].body);
			else if (probes[k].body || !strcmp(probes[k].method, "POST"))
				r = form_post(&t, path, probes[k].body);
			else
				r = client_browse(&t, probes[k].method, path, NULL);
			ck_assert_msg(r->status == 404, "%s %s: %ld", probes[k].method, path, r->status);
			hresp_free(r);
		}
	}
	/* Uploads to A's item from B: 404, nothing stored. */
	r = api_upload(&t, pa, "x.png", &pic, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	r = form_upload(&t, pa, "x.png", &pic, NULL);
	ck_assert_int_eq(r->status, 404);
	hresp_free(r);
	t1 = traces(pa);
	same_traces(&t0, &t1, "another seller");
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM product_images WHERE id = %lld AND product_id = %lld "
		 "AND alt = '' AND position = 1", ia, pa);
	ck_assert_int_eq(sql_scalar(q), 1);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM product_images WHERE id = %lld AND product_id = %lld", ib, pb);
	ck_assert_int_eq(sql_scalar(q), 1);

	/* Not a seller, or not signed in: refused before anything is read. */
	snprintf(path, sizeof(path), "/api/items/%lld/images", pa);
	r = api_json(&guest, "GET", path, NULL);
	ck_assert(r->status == 401 || r->status == 403);
	hresp_free(r);
	r = api_upload(&guest, pa, "x.png", &pic, NULL);
	ck_assert(r->status == 401 || r->status == 403);
	hresp_free(r);
	{
		struct client shopper = { 0 };

		ck_assert_int_eq(client_signup(&shopper, "Sue Shopper", fresh_email("img.shopper"), PW), 0);
		snprintf(path, sizeof(path), "/seller/items/%lld/images", pa);
		r = client_browse(&shopper, "GET", path, NULL);
		ck_assert_int_eq(r->status, 403);
		hresp_free(r);
	}
	t1 = traces(pa);
	same_traces(&t0, &t1, "guests");
	blob_free(&pic);
}
END_TEST

/* Files a crash left without a row go at the sweep (shopd jobs hourly,
 * `shopctl media-sweep` now); files a row names, and young ones, stay. */
static void touch_old(const char *path, const char *content, int hours)
{
	FILE *f = fopen(path, "w");
	struct utimbuf t;

	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	t.actime = t.modtime = time(NULL) - hours * 3600;
	ck_assert_int_eq(utime(path, &t), 0);
}

START_TEST(orphan_files_are_swept)
{
	const char *sizes[] = { "full", "card", "thumb" };
	char orphan[65], young[65], used[65] = "", dir[1200], path[1400];
	DIR *top;
	struct dirent *d;
	struct stat st;

	/* A photo some row names: any full-size file the earlier tests left. */
	ck_assert_ptr_nonnull(top = opendir(media_dir()));
	while (!used[0] && (d = readdir(top))) {
		DIR *sub;
		struct dirent *f;

		if (strlen(d->d_name) != 2)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", media_dir(), d->d_name);
		if (!(sub = opendir(dir)))
			continue;
		while ((f = readdir(sub)))
			if (strlen(f->d_name) == 74 && !strcmp(f->d_name + 64, "-full.webp") &&
			    sql_scalarf("SELECT COUNT(*) FROM product_images WHERE hash = '%.64s'", f->d_name) > 0) {
				snprintf(used, sizeof(used), "%.64s", f->d_name);
				break;
			}
		closedir(sub);
	}
	closedir(top);
	ck_assert_msg(used[0], "no stored photo to keep");
	snprintf(path, sizeof(path), "%s/%.2s/%s-full.webp", media_dir(), used, used);
	{
		struct utimbuf t = { time(NULL) - 7200, time(NULL) - 7200 };

		ck_assert_int_eq(utime(path, &t), 0);
	}
	snprintf(orphan, sizeof(orphan), "%064d", 0);
	memcpy(orphan, "deadbeef", 8);
	snprintf(young, sizeof(young), "%064d", 1);
	memcpy(young, "cafebabe", 8);
	snprintf(dir, sizeof(dir), "%s/de", media_dir());
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/ca", media_dir());
	mkdir(dir, 0755);
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/de/%s-%s.webp", media_dir(), orphan, sizes[k]);
		touch_old(path, "RIFF", 2);
		snprintf(path, sizeof(path), "%s/ca/%s-%s.webp", media_dir(), young, sizes[k]);
		touch_old(path, "RIFF", 0);
	}
	snprintf(path, sizeof(path), "%s/de/.tmp-abc123", media_dir());
	touch_old(path, "half", 2);

	ck_assert_int_eq(shopctl_run(NULL, NULL, "media-sweep"), 0);
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/de/%s-%s.webp", media_dir(), orphan, sizes[k]);
		ck_assert_msg(stat(path, &st) != 0, "orphan %s kept", path);
		snprintf(path, sizeof(path), "%s/ca/%s-%s.webp", media_dir(), young, sizes[k]);
		ck_assert_msg(stat(path, &st) == 0, "young %s removed", path);
		snprintf(path, sizeof(path), "%s/%.2s/%s-%s.webp", media_dir(), used, used, sizes[k]);
		ck_assert_msg(stat(path, &st) == 0, "used %s removed", path);
	}
	snprintf(path, sizeof(path), "%s/de/.tmp-abc123", media_dir());
	ck_assert_int_ne(stat(path, &st), 0);
	/* The young one goes once it is old enough. */
	ck_assert_int_eq(shopctl_run(NULL, NULL, "media-sweep 0"), 0);
	snprintf(path, sizeof(path), "%s/ca/%s-full.webp", media_dir(), young);
	ck_assert_int_ne(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/%.2s/%s-full.webp", media_dir(), used, used);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(shopctl_run(NULL, NULL, "media-sweep -1"), 2);	/* usage */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http-seller-images");
	TCase *tc = tcase_create("images");

	harness_init();
	if (VIPS_INIT("test_seller_images"))
		return 2;
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, clear_ip_throttles, NULL);
	tcase_add_test(tc, formats_are_reencoded_and_served);
	tcase_add_test(tc, raw_body_and_metadata);
	tcase_add_test(tc, hostile_uploads_leave_nothing);
	tcase_add_test(tc, uploads_only_where_declared);
	tcase_add_test(tc, pages_reorder_alt_delete);
	tcase_add_test(tc, api_patch_delete_shared_and_limit);
	tcase_add_test(tc, sellers_are_isolated);
	tcase_add_test(tc, orphan_files_are_swept);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
