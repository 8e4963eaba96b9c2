/* Product photos: upload, checks, re-encoding, storage, ordering, alt text.
 *
 * What an upload goes through, in order (the first refusal answers):
 *   1. size: empty is 400, over IMAGE_MAX_BYTES is 413;
 *   2. the client's file name (images_check_name): 400;
 *   3. the type, from the content only (libmagic; never the name or the
 *      declared Content-Type): JPEG, PNG, GIF or WebP, else 415;
 *   4. the container (images_inspect): well formed up to its end marker,
 *      nothing after it but zero padding, dimensions from the headers
 *      within IMAGE_MAX_SIDE and IMAGE_MAX_PIXELS: else 422, before a
 *      single pixel is decoded (decompression bombs stop here);
 *   5. no markup or script anywhere in the bytes (images_find_markup): 422;
 *   6. the item is the seller's (404) and has room (IMAGES_PER_ITEM: 409);
 *   7. a full decode with the loader of that one type (libvips, every other
 *      loader blocked), errors fatal: 422;
 *   8. re-encoded as WebP at three sizes, metadata stripped; the files are
 *      named by the SHA-256 of the full-size file and written atomically
 *      (temporary file, then link) into SHOP_MEDIA_DIR, then the row, the
 *      product's images/thumbnail and a ProductUpdated event are written in
 *      one transaction.
 * Nothing is written before step 8, so a refused upload leaves no file and
 * no row. The original bytes are never stored or served: what nginx serves
 * is only what libwebp wrote from decoded pixels.
 *
 * Files are shared by content: the same photo on two items is one set of
 * files. A MariaDB named lock per hash (GET_LOCK) covers "write the files,
 * then commit the row" and "delete the row, then remove files nobody names",
 * so a delete never removes files an upload of the same photo is about to
 * name.
 *
 * The pipeline is shared (issue 19): images_prepare runs steps 1-5 and 7
 * for any owner, images_store step 8 with the owner's own rows written by
 * its transaction function, in a place of its own (enum image_place: product
 * photos public under SHOP_MEDIA_DIR, return photos private under
 * SHOP_MEDIA_DIR/returns); the sweep walks every place and asks each
 * place's owner whether a row names a file.
 *
 * Every query names the seller (WHERE ... AND seller_id = ?): another
 * seller's item or photo is "not found" and nothing changes. Every change
 * locks the product row first (SELECT ... FOR UPDATE), which serializes the
 * changes to one item's photos (positions, the limit) without touching any
 * other item. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <magic.h>
#include <sodium.h>
#include <vips/vips.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../events/events.h"
#include "../catalog/pcache.h"
#include "images.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- the pure checks ---- */

const char *images_check_name(const char *name)
{
	if (!name || !*name)
		return NULL;
	if (strlen(name) > 255)
		return "The file name is too long (at most 255 bytes).";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "The file name is not a file name.";
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if (*s == '/' || *s == '\\')
			return "The file name must not contain / or \\ (send the file's own name, not a path).";
		if (*s < 0x20 || *s == 0x7f)
			return "The file name must not contain control characters.";
	}
	return NULL;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned le16(const unsigned char *p) { return (unsigned)p[1] << 8 | p[0]; }
static unsigned le24(const unsigned char *p) { return (unsigned)p[2] << 16 | le16(p); }
static uint32_t be32(const unsigned char *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const unsigned char *p) { return (uint32_t)le16(p + 2) << 16 | le16(p); }

static const char *const m_broken = "The file is not a well-formed image (its structure is damaged).";
static const char *const m_truncated = "The file ends before the image does (it is truncated).";

static const char *inspect_jpeg(const unsigned char *p, size_t n, struct image_info *o)
{
	size_t i = 2;
	int frames = 0, scans = 0;

	if (n < 4 || p[0] != 0xFF || p[1] != 0xD8)
		return m_broken;
	for (;;) {
		unsigned m;
		size_t len;

		if (i >= n)
			return m_truncated;
		if (p[i] != 0xFF)
			return m_broken;
		while (i < n && p[i] == 0xFF)
			i++;	/* fill bytes before a marker */
		if (i >= n)
			return m_truncated;
		m = p[i++];
		if (m == 0xD9) {	/* EOI */
			if (!scans)
				return m_broken;
			o->end = i;
			return NULL;
		}
		if (m == 0x00 || m == 0xD8)
			return m_broken;
		if ((m >= 0xD0 && m <= 0xD7) || m == 0x01)
			continue;	/* markers without a length */
		if (n - i < 2)
			return m_truncated;
		len = be16(p + i);
		if (len < 2)
			return m_broken;
		if (n - i < len)
			return m_truncated;
		/* SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC). */
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (frames++ || len < 8)
				return m_broken;	/* one frame per file */
			o->height = be16(p + i + 3);
			o->width = be16(p + i + 5);
		}
		i += len;
		if (m != 0xDA)
			continue;
		if (!frames)
			return m_broken;	/* a scan before its frame header */
		scans++;
		/* Entropy-coded data runs to the next marker that is neither
		 * stuffing (FF 00) nor a restart (FF D0..D7). */
		for (;;) {
			const unsigned char *ff = memchr(p + i, 0xFF, n - i);

			if (!ff || (size_t)(ff - p) + 1 >= n)
				return m_truncated;
			i = (size_t)(ff - p);
			if (p[i + 1] == 0x00 || (p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7))
				i += 2;
			else if (p[i + 1] == 0xFF)
				i++;
			else
				break;
		}
	}
}

static int chunk_name_ok(const unsigned char *t)
{
	for (int k = 0; k < 4; k++)
		if (!((t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= 'a' && t[k] <= 'z')))
			return 0;
	return 1;
}

static const char *inspect_png(const unsigned char *p, size_t n, struct image_info *o)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	size_t i = 8;
	int idat = 0;

	if (n < 8 || memcmp(p, sig, 8))
		return m_broken;
	for (;;) {
		const unsigned char *type;
		uint32_t len;

		if (n - i < 12)
			return m_truncated;
		len = be32(p + i);
		type = p + i + 4;
		if (len > 0x7FFFFFFFu || !chunk_name_ok(type))
			return m_broken;
		if (n - i - 12 < len)
			return m_truncated;
		if (i == 8) {
			uint32_t w, h;

			if (memcmp(type, "IHDR", 4) || len != 13)
				return m_broken;
			w = be32(p + i + 8);
			h = be32(p + i + 12);
			/* Anything over the limits is refused anyway; clamp so
			 * the caller's message can still show the size. */
			o->width = w > 0x7FFFFFFFu ? 0x7FFFFFFFu : w;
			o->height = h > 0x7FFFFFFFu ? 0x7FFFFFFFu : h;
		} else if (!memcmp(type, "IHDR", 4)) {
			return m_broken;
		}
		if (!memcmp(type, "IDAT", 4))
			idat = 1;
		i += 12 + (size_t)len;
		if (!memcmp(type, "IEND", 4)) {
			if (!idat)
				return m_broken;
			o->end = i;
			return NULL;
		}
	}
}

/* GIF data sub-blocks: sizes, then a zero. */
static const char *gif_blocks(const unsigned char *p, size_t n, size_t *i)
{
	for (;;) {
		size_t sz;

		if (*i >= n)
			return m_truncated;
		sz = p[(*i)++];
		if (!sz)
			return NULL;
		if (n - *i < sz)
			return m_truncated;
		*i += sz;
	}
}

static const char *inspect_gif(const unsigned char *p, size_t n, struct image_info *o)
{
	size_t i = 13;
	int frames = 0;
	const char *m;

	if (n < 13 || (memcmp(p, "GIF87a", 6) && memcmp(p, "GIF89a", 6)))
		return m_broken;
	o->width = le16(p + 6);
	o->height = le16(p + 8);
	if (p[10] & 0x80)
		i += 3u * (2u << (p[10] & 7));	/* global colour table */
	for (;;) {
		if (i >= n)
			return m_truncated;
		switch (p[i]) {
		case 0x3B:	/* trailer */
			if (!frames)
				return m_broken;
			o->end = i + 1;
			return NULL;
		case 0x21:	/* extension: label, then sub-blocks */
			i += 2;
			if ((m = gif_blocks(p, n, &i)))
				return m;
			break;
		case 0x2C: {	/* image descriptor */
			unsigned left, top, w, h;

			if (n - i < 10)
				return m_truncated;
			left = le16(p + i + 1);
			top = le16(p + i + 3);
			w = le16(p + i + 5);
			h = le16(p + i + 7);
			if (!w || !h)
				return m_broken;
			/* A frame may reach past the logical screen. */
			if (left + w > o->width)
				o->width = left + w;
			if (top + h > o->height)
				o->height = top + h;
			if (p[i + 9] & 0x80)
				i += 3u * (2u << (p[i + 9] & 7));	/* local colour table */
			i += 10 + 1;	/* the descriptor, the LZW code size */
			if (i > n)
				return m_truncated;
			if ((m = gif_blocks(p, n, &i)))
				return m;
			frames++;
			break;
		}
		default:
			return m_broken;
		}
	}
}

static const char *inspect_webp(const unsigned char *p, size_t n, struct image_info *o)
{
	unsigned cw = 0, ch = 0, fw = 0, fh = 0;
	size_t i = 12, end;
	uint32_t riff;
	int frame = 0;

	if (n < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WEBP", 4))
		return m_broken;
	riff = le32(p + 4);
	if (riff < 4 + 8)
		return m_broken;
	if (riff > n - 8)
		return m_truncated;
	end = 8 + (size_t)riff;
	while (i < end) {
		const unsigned char *d;
		uint32_t sz;

		if (end - i < 8)
			return m_broken;
		sz = le32(p + i + 4);
		d = p + i + 8;
		if (sz > end - i - 8)
			return m_broken;
		if (!memcmp(p + i, "VP8X", 4)) {
			if (sz < 10 || i != 12)
				return m_broken;
			cw = le24(d + 4) + 1;
			ch = le24(d + 7) + 1;
		} else if (!memcmp(p + i, "VP8 ", 4)) {
			if (sz < 10 || d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A)
				return m_broken;
			fw = le16(d + 6) & 0x3FFF;
			fh = le16(d + 8) & 0x3FFF;
			frame = 1;
		} else if (!memcmp(p + i, "VP8L", 4)) {
			uint32_t bits;

			if (sz < 5 || d[0] != 0x2F)
				return m_broken;
			bits = le32(d + 1);
			fw = (bits & 0x3FFF) + 1;
			fh = ((bits >> 14) & 0x3FFF) + 1;
			frame = 1;
		} else if (!memcmp(p + i, "ANMF", 4)) {
			if (sz < 16)
				return m_broken;
			if (le24(d + 6) + 1 > fw)
				fw = le24(d + 6) + 1;
			if (le24(d + 9) + 1 > fh)
				fh = le24(d + 9) + 1;
			frame = 1;
		}
		i += 8 + (size_t)sz + (sz & 1);	/* chunks are padded to even sizes */
	}
	if (!frame)
		return m_broken;
	if (i > end) {
		/* The last chunk's pad byte lies outside the RIFF size. */
		if (i > n)
			return m_truncated;
		end = i;
	}
	o->width = cw > fw ? cw : fw;
	o->height = ch > fh ? ch : fh;
	o->end = end;
	return NULL;
}

const char *images_inspect(const unsigned char *p, size_t n, enum image_type t,
			   struct image_info *out)
{
	const char *m;

	memset(out, 0, sizeof(*out));
	out->type = t;
	switch (t) {
	case IMAGE_JPEG: m = inspect_jpeg(p, n, out); break;
	case IMAGE_PNG: m = inspect_png(p, n, out); break;
	case IMAGE_GIF: m = inspect_gif(p, n, out); break;
	case IMAGE_WEBP: m = inspect_webp(p, n, out); break;
	default: return "Only JPEG, PNG, WebP and GIF images are accepted.";
	}
	if (m)
		return m;
	for (size_t i = out->end; i < n; i++)
		if (p[i])
			return "The file has data after the end of the image (it may be two files in one). "
			       "Save the photo again with an image editor and upload that.";
	if (!out->width || !out->height)
		return m_broken;
	if (out->width > IMAGE_MAX_SIDE || out->height > IMAGE_MAX_SIDE ||
	    (long long)out->width * out->height > IMAGE_MAX_PIXELS)
		return "The image is too large in pixels (at most " STR(IMAGE_MAX_SIDE) " on a side "
		       "and 40 megapixels in all).";
	return NULL;
}

static unsigned char fold(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
}

const char *images_find_markup(const unsigned char *p, size_t n)
{
	/* Lower case; "<svg" needs a delimiter after it to be a tag. */
	static const struct { const char *s; size_t len; int tag_end; } pats[] = {
		{ "<script", 7, 0 }, { "<html", 5, 0 }, { "<iframe", 7, 0 }, { "<object", 7, 0 },
		{ "<embed", 6, 0 }, { "<svg", 4, 1 }, { "<?php", 5, 0 }, { "<!doctype", 9, 0 },
		{ "<foreignobject", 14, 0 }, { "<?xml-stylesheet", 16, 0 }, { "javascript:", 11, 0 },
		{ "vbscript:", 9, 0 }, { "onerror=", 8, 0 }, { "onload=", 7, 0 },
	};

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = fold(p[i]);

		if (ch != '<' && ch != 'j' && ch != 'v' && ch != 'o')
			continue;
		for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
			size_t len = pats[k].len, j;

			if ((unsigned char)pats[k].s[0] != ch || n - i < len + (size_t)pats[k].tag_end)
				continue;
			for (j = 1; j < len && fold(p[i + j]) == (unsigned char)pats[k].s[j]; j++)
				;
			if (j < len)
				continue;
			if (pats[k].tag_end && !strchr(" \t\r\n/>", p[i + len]))
				continue;
			return "The file contains web page markup or script, which a photo never needs. "
			       "Save the photo again with an image editor and upload that.";
		}
	}
	return NULL;
}

size_t images_webp_strip(unsigned char *p, size_t n)
{
	size_t i = 12, o = 12;

	if (n < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WEBP", 4) || le32(p + 4) != n - 8)
		return 0;
	while (i < n) {
		size_t sz, whole;

		if (n - i < 8)
			return 0;
		sz = le32(p + i + 4);
		if (sz > n - i - 8)
			return 0;
		whole = 8 + sz + (sz & 1);
		if (whole > n - i)
			whole = n - i;	/* a missing final pad byte */
		if (!memcmp(p + i, "VP8X", 4) || !memcmp(p + i, "VP8 ", 4) ||
		    !memcmp(p + i, "VP8L", 4) || !memcmp(p + i, "ALPH", 4)) {
			if (!memcmp(p + i, "VP8X", 4)) {
				if (sz < 10)
					return 0;
				p[i + 8] &= 0x10;	/* keep "has alpha"; no ICC, EXIF, XMP, animation */
			}
			memmove(p + o, p + i, whole);
			o += whole;
		}
		i += whole;
	}
	p[4] = (unsigned char)((o - 8) & 0xFF);
	p[5] = (unsigned char)(((o - 8) >> 8) & 0xFF);
	p[6] = (unsigned char)(((o - 8) >> 16) & 0xFF);
	p[7] = (unsigned char)(((o - 8) >> 24) & 0xFF);
	return o;
}

/* ---- libvips and libmagic, once per worker ---- */

static magic_t magic_db;
static int vips_ready;

/* Called on a worker's first upload, so after the fork: libvips starts
 * threads and keeps caches, which must never be shared across a fork. One
 * thread of work (the machine's cores serve many workers), no operation
 * cache (every upload is new), and every loader blocked except the four
 * this module calls by name, so no SVG, PDF, ImageMagick or other decoder
 * can ever run on an upload. */
static enum err media_setup(void)
{
	static const char *const loaders[] = {
		"jpegload_buffer", "pngload_buffer", "gifload_buffer", "webpload_buffer"
	};

	if (!vips_ready) {
		if (VIPS_INIT("shopd")) {
			log_err("images: libvips: %s", vips_error_buffer());
			vips_error_clear();
			return E_INTERNAL;
		}
		vips_concurrency_set(1);
		vips_cache_set_max(0);
		vips_cache_set_max_mem(0);
		vips_cache_set_max_files(0);
		vips_block_untrusted_set(TRUE);
		vips_operation_block_set("VipsForeignLoad", TRUE);
		for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++) {
			GType t = vips_type_find("VipsOperation", loaders[i]);

			if (!t) {
				log_err("images: libvips has no %s", loaders[i]);
				return E_INTERNAL;
			}
			vips_operation_block_set(g_type_name(t), FALSE);
		}
		vips_ready = 1;
	}
	if (!magic_db) {
		magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
				       MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_CDF);

		if (!m || magic_load(m, NULL)) {
			log_err("images: libmagic: %s", m ? magic_error(m) : "out of memory");
			if (m)
				magic_close(m);
			return E_INTERNAL;
		}
		magic_db = m;
	}
	return E_OK;
}

static enum image_type type_of(const char *mime)
{
	if (!mime)
		return IMAGE_NONE;
	if (!strcmp(mime, "image/jpeg"))
		return IMAGE_JPEG;
	if (!strcmp(mime, "image/png"))
		return IMAGE_PNG;
	if (!strcmp(mime, "image/gif"))
		return IMAGE_GIF;
	if (!strcmp(mime, "image/webp"))
		return IMAGE_WEBP;
	return IMAGE_NONE;
}

/* ---- decoding and re-encoding ---- */

enum { SZ_FULL, SZ_CARD, SZ_THUMB, SZ_COUNT };
static const struct { const char *name; int edge; } sizes[SZ_COUNT] = {
	{ "full", IMAGE_FULL }, { "card", IMAGE_CARD }, { "thumb", IMAGE_THUMB },
};

struct encoded {
	void *buf[SZ_COUNT];	/* g_malloc'd by libvips; freed with the arena */
	size_t len[SZ_COUNT];
	int width, height;	/* of the full size */
	char hash[crypto_hash_sha256_BYTES * 2 + 1];
};

static void release_gfree(void *p)
{
	g_free(p);
}

/* Loads with the one loader for the type; the header is read, no pixels
 * yet. JPEG and WebP decode at a reduced scale when the image is far larger
 * than the largest size kept, which bounds memory for big photos. */
static int vips_load(const unsigned char *data, size_t len, const struct image_info *info,
		     VipsImage **in)
{
	unsigned longest = info->width > info->height ? info->width : info->height;
	void *d = (void *)data;

	switch (info->type) {
	case IMAGE_JPEG: {
		int shrink = 1;

		while (shrink < 8 && longest / (unsigned)(shrink * 2) >= IMAGE_FULL)
			shrink *= 2;
		return vips_jpegload_buffer(d, len, in, "shrink", shrink, "fail_on", VIPS_FAIL_ON_ERROR,
					    "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	}
	case IMAGE_PNG:
		return vips_pngload_buffer(d, len, in, "fail_on", VIPS_FAIL_ON_ERROR,
					   "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	case IMAGE_GIF:
		return vips_gifload_buffer(d, len, in, "n", 1, "page", 0, "fail_on", VIPS_FAIL_ON_ERROR,
					   "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	case IMAGE_WEBP:
		return vips_webpload_buffer(d, len, in, "n", 1, "page", 0,
					    "scale", longest > 2 * IMAGE_FULL ? 2.0 * IMAGE_FULL / longest : 1.0,
					    "fail_on", VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	case IMAGE_NONE:
		break;
	}
	return -1;
}

/* A new image holding only img's pixels, as 8-bit sRGB (with alpha when
 * img has it): no EXIF, XMP, ICC profile, comment or any other field can
 * reach the saved file, whatever the saver's own "strip" does (libvips
 * 8.14's webpsave writes EXIF even with strip set). NULL on failure. */
static VipsImage *pixels_only(VipsImage *img)
{
	VipsImage *rgb = NULL, *u = NULL, *bare = NULL, *out = NULL;
	void *px = NULL;
	size_t size = 0;

	if (vips_colourspace(img, &rgb, VIPS_INTERPRETATION_sRGB, NULL) ||
	    vips_cast_uchar(rgb, &u, NULL) ||
	    !(px = vips_image_write_to_memory(u, &size)) ||
	    !(bare = vips_image_new_from_memory_copy(px, size, u->Xsize, u->Ysize, u->Bands, VIPS_FORMAT_UCHAR)) ||
	    vips_copy(bare, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
		out = NULL;
	g_free(px);
	if (bare)
		g_object_unref(bare);
	if (u)
		g_object_unref(u);
	if (rgb)
		g_object_unref(rgb);
	return out;
}

/* Decodes and re-encodes. A file libvips cannot decode is a refusal (*why
 * set, E_INVAL); anything else failing is E_INTERNAL. */
static enum err encode(struct arena *a, const unsigned char *data, size_t len,
		       const struct image_info *info, struct encoded *out, const char **why)
{
	VipsImage *in = NULL, *full = NULL, *mem = NULL, *small[SZ_COUNT] = { NULL };
	unsigned char h[crypto_hash_sha256_BYTES];
	enum err e = E_OK;

	memset(out, 0, sizeof(*out));
	if (vips_load(data, len, info, &in)) {
		e = E_INVAL;
		goto out;
	}
	/* Defence in depth: libvips's own reading of the header obeys the
	 * limits too (the checks before used this module's reading). */
	if (in->Xsize <= 0 || in->Ysize <= 0 || in->Xsize > IMAGE_MAX_SIDE || in->Ysize > IMAGE_MAX_SIDE ||
	    (long long)in->Xsize * in->Ysize > IMAGE_MAX_PIXELS) {
		e = E_INVAL;
		goto out;
	}
	/* The decode happens here, streaming through the shrink: every error
	 * is fatal (fail_on), so a damaged file is refused, not half grey. */
	if (vips_thumbnail_image(in, &full, IMAGE_FULL, "height", IMAGE_FULL, "size", VIPS_SIZE_DOWN, NULL) ||
	    !(mem = pixels_only(full))) {
		e = E_INVAL;
		goto out;
	}
	out->width = mem->Xsize;
	out->height = mem->Ysize;
	for (int k = 0; k < SZ_COUNT; k++) {
		VipsImage *src = mem;

		if (k != SZ_FULL) {
			if (vips_thumbnail_image(mem, &small[k], sizes[k].edge, "height", sizes[k].edge,
						 "size", VIPS_SIZE_DOWN, "no_rotate", TRUE, NULL)) {
				e = E_INTERNAL;
				goto out;
			}
			src = small[k];
		}
		if (vips_webpsave_buffer(src, &out->buf[k], &out->len[k], "Q", 80, "strip", TRUE, NULL)) {
			e = E_INTERNAL;
			goto out;
		}
		if (arena_on_reset(a, release_gfree, out->buf[k])) {
			out->buf[k] = NULL;
			e = E_NOMEM;
			goto out;
		}
		if (!(out->len[k] = images_webp_strip(out->buf[k], out->len[k]))) {
			vips_error("images", "libwebp wrote a file this module cannot parse");
			e = E_INTERNAL;
			goto out;
		}
	}
	crypto_hash_sha256(h, out->buf[SZ_FULL], out->len[SZ_FULL]);
	sodium_bin2hex(out->hash, sizeof(out->hash), h, sizeof(h));
out:
	if (e == E_INVAL) {
		log_info("images: refused an undecodable upload: %s", vips_error_buffer());
		*why = "The file could not be read as an image (it may be damaged or truncated).";
	} else if (e) {
		log_err("images: re-encoding failed: %s", vips_error_buffer());
	}
	vips_error_clear();
	for (int k = 0; k < SZ_COUNT; k++)
		if (small[k])
			g_object_unref(small[k]);
	if (mem)
		g_object_unref(mem);
	if (full)
		g_object_unref(full);
	if (in)
		g_object_unref(in);
	return e;
}

/* ---- files ---- */

static const char *media_url(struct arena *a, const char *hash, int size)
{
	return arena_printf(a, "/media/%.2s/%s-%s.webp", hash, hash, sizes[size].name);
}

/* Each place's directory under SHOP_MEDIA_DIR (NULL: the directory
 * itself, whose ab/<hash>-<size>.webp names nginx serves at /media/;
 * "returns": a directory nginx never serves, its /media/ pattern cannot
 * name it) and what says whether rows still name a hash there. */
static enum err products_used(struct db *db, struct arena *a, const char *hash, int64_t *count);
static struct {
	const char *sub;
	image_used_fn used;
} places[IMAGE_PLACES] = {
	[IMAGE_PLACE_PRODUCTS] = { NULL, products_used },
	[IMAGE_PLACE_RETURNS] = { "returns", NULL },
};

void images_place_owner(enum image_place place, image_used_fn used)
{
	if (place < IMAGE_PLACES && place != IMAGE_PLACE_PRODUCTS)
		places[place].used = used;
}

static char *place_root(struct arena *a, enum image_place place)
{
	return places[place].sub ? arena_printf(a, "%s/%s", config.media_dir, places[place].sub)
				 : arena_strdup(a, config.media_dir);
}

static char *media_path(struct arena *a, enum image_place place, const char *hash, int size)
{
	return arena_printf(a, "%s%s%s/%.2s/%s-%s.webp", config.media_dir, places[place].sub ? "/" : "",
			    places[place].sub ? places[place].sub : "", hash, hash, sizes[size].name);
}

const char *images_file(struct arena *a, enum image_place place, const char *hash, enum image_size size)
{
	if (place >= IMAGE_PLACES || (int)size < 0 || size >= IMAGE_SIZE_COUNT || !hash || strlen(hash) != 64 ||
	    strspn(hash, "0123456789abcdef") != 64 || !config.media_dir)
		return NULL;
	return media_path(a, place, hash, (int)size);
}

static enum err ensure_dir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		log_err("images: mkdir %s: %s", path, strerror(errno));
		return E_IO;
	}
	return E_OK;
}

/* Writes buf to path so that readers see the whole file or none: a
 * temporary file in the same directory, synced, then linked to its name
 * (link, unlike rename, says whether the name was taken: *created is 1
 * when this call made the file, 0 when the same content was there). */
static enum err write_atomic(struct arena *a, const char *dir, const char *path,
			     const void *buf, size_t len, int *created)
{
	char *tmp = arena_printf(a, "%s/.tmp-XXXXXX", dir);
	const char *p = buf;
	enum err e = E_IO;
	int fd;

	*created = 0;
	if (!tmp)
		return E_NOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		log_err("images: create %s: %s", tmp, strerror(errno));
		return E_IO;
	}
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		p += w;
		len -= (size_t)w;
	}
	/* nginx's workers may run as another user. */
	if (fchmod(fd, 0644) || fsync(fd))
		goto out;
	if (link(tmp, path) == 0)
		*created = 1;
	else if (errno != EEXIST)
		goto out;
	e = E_OK;
out:
	if (e)
		log_err("images: write %s: %s", path, strerror(errno));
	close(fd);
	unlink(tmp);
	return e;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* ---- statements ---- */

#define IMG_COLS "id, hash, width, height, alt, position"
enum { I_ID = IMAGES_C_ID, I_HASH = IMAGES_C_HASH, I_WIDTH = IMAGES_C_WIDTH, I_HEIGHT = IMAGES_C_HEIGHT,
       I_ALT = IMAGES_C_ALT, I_POS = IMAGES_C_POS };

/* The storefront's view of the photos: products.images holds the full-size
 * URLs in order, products.thumbnail the card-size URL of the first. */
#define URL_OF(size) "CONCAT('/media/', LEFT(i.hash, 2), '/', i.hash, '-" size ".webp')"

enum {
	Q_PRODUCT, Q_PRODUCT_LOCK, Q_STATS, Q_STATS_LOCK, Q_LIST, Q_LIST_LOCK, Q_GET_LOCK, Q_OWNED,
	Q_INSERT, Q_SET_ALT, Q_SET_POS, Q_DELETE, Q_REFRESH, Q_NAMED_LOCK,
	Q_NAMED_UNLOCK, Q_HASH_USED, Q_COUNT
};

static struct db_sql sql[Q_COUNT] = {
	[Q_PRODUCT] = { "SELECT id, title, slug, status FROM products WHERE id = ? AND seller_id = ?", 0 },
	/* Every change starts here: the product row is the lock that
	 * serializes changes to its photos. */
	[Q_PRODUCT_LOCK] = { "SELECT id FROM products WHERE id = ? AND seller_id = ? FOR UPDATE", 0 },
	[Q_STATS] = { "SELECT COUNT(*), COALESCE(MAX(position), 0) FROM product_images "
		      "WHERE product_id = ? AND seller_id = ?", 0 },
	/* Locking reads count what is committed now, not the snapshot. */
	[Q_STATS_LOCK] = { "SELECT COUNT(*), COALESCE(MAX(position), 0) FROM product_images "
			   "WHERE product_id = ? AND seller_id = ? FOR UPDATE", 0 },
	[Q_LIST] = { "SELECT " IMG_COLS " FROM product_images WHERE product_id = ? AND seller_id = ? "
		     "ORDER BY position, id LIMIT " STR(IMAGES_PER_ITEM), 0 },
	[Q_LIST_LOCK] = { "SELECT " IMG_COLS " FROM product_images WHERE product_id = ? AND seller_id = ? "
			  "ORDER BY position, id FOR UPDATE", 0 },
	/* Whose photo it is, before anything about the request is judged:
	 * another seller's photo is a 404 whatever the body says. */
	[Q_OWNED] = { "SELECT id FROM product_images WHERE id = ? AND product_id = ? AND seller_id = ?", 0 },
	[Q_GET_LOCK] = { "SELECT " IMG_COLS " FROM product_images "
			 "WHERE id = ? AND product_id = ? AND seller_id = ? FOR UPDATE", 0 },
	[Q_INSERT] = { "INSERT INTO product_images (product_id, seller_id, hash, width, height, alt, position) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?)", 0 },
	[Q_SET_ALT] = { "UPDATE product_images SET alt = ? WHERE id = ? AND product_id = ? AND seller_id = ?", 0 },
	[Q_SET_POS] = { "UPDATE product_images SET position = ? WHERE id = ? AND product_id = ? AND seller_id = ?", 0 },
	[Q_DELETE] = { "DELETE FROM product_images WHERE id = ? AND product_id = ? AND seller_id = ?", 0 },
	[Q_REFRESH] = { "UPDATE products p SET "
			"p.images = COALESCE((SELECT JSON_ARRAYAGG(" URL_OF("full") " ORDER BY i.position, i.id) "
			"FROM product_images i WHERE i.product_id = p.id), JSON_ARRAY()), "
			"p.thumbnail = (SELECT " URL_OF("card") " FROM product_images i WHERE i.product_id = p.id "
			"ORDER BY i.position, i.id LIMIT 1) "
			"WHERE p.id = ? AND p.seller_id = ?", 0 },
	/* Lock names are at most 64 characters: 40 hex digits of the hash
	 * are plenty to tell photos apart. */
	[Q_NAMED_LOCK] = { "SELECT GET_LOCK(CONCAT('shop:media:', LEFT(?, 40)), 10)", 0 },
	[Q_NAMED_UNLOCK] = { "SELECT RELEASE_LOCK(CONCAT('shop:media:', LEFT(?, 40)))", 0 },
	[Q_HASH_USED] = { "SELECT COUNT(*) FROM product_images WHERE hash = ?", 0 },
};

void images_init(void)
{
	db_register(sql, Q_COUNT);
}

static enum err lock_hash(struct db *db, struct arena *a, const char *hash)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_NAMED_LOCK], &r, "s", hash);

	if (e)
		return e;
	/* 0: timed out (another upload of the same photo is stuck). */
	return r->nrows && db_int(r, 0, 0) == 1 ? E_OK : E_UNAVAIL;
}

static void unlock_hash(struct db *db, struct arena *a, const char *hash)
{
	struct db_res *r = NULL;

	db_exec(db, a, &sql[Q_NAMED_UNLOCK], &r, "s", hash);
}

static enum err products_used(struct db *db, struct arena *a, const char *hash, int64_t *count)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_HASH_USED], &r, "s", hash);

	if (!e)
		*count = r->nrows ? db_int(r, 0, 0) : 0;
	return e;
}

/* Removes the files of hash in place when no row names them any more; 1
 * when it did. Under the hash's named lock, which an upload holds from
 * writing the files to committing its row. A place nobody owns (its
 * module not started) is never collected. */
static int collect_hash(struct db *db, struct arena *a, enum image_place place, const char *hash)
{
	int64_t count = 1;
	int gone = 0;

	if (!places[place].used || lock_hash(db, a, hash))
		return 0;
	if (!places[place].used(db, a, hash, &count) && count == 0) {
		gone = 1;
		for (int k = 0; k < SZ_COUNT; k++) {
			char *path = media_path(a, place, hash, k);

			if (path && unlink(path) && errno != ENOENT)
				log_err("images: unlink %s: %s", path, strerror(errno));
		}
	}
	unlock_hash(db, a, hash);
	return gone;
}

/* One place's orphans (see images_sweep); -1 when the database is away. */
static int sweep_place(struct db *db, struct arena *a, enum image_place place, long min_age)
{
	time_t now = time(NULL);
	char *root = place_root(a, place);
	int gone = 0;
	DIR *top;
	struct dirent *d;

	if (!root || !places[place].used || !(top = opendir(root)))
		return 0;
	while ((d = readdir(top))) {
		char *sub;
		DIR *dir;
		struct dirent *f;

		if (strlen(d->d_name) != 2 || !isxdigit((unsigned char)d->d_name[0]) ||
		    !isxdigit((unsigned char)d->d_name[1]))
			continue;
		sub = arena_printf(a, "%s/%s", root, d->d_name);
		if (!sub || !(dir = opendir(sub)))
			continue;
		while ((f = readdir(dir))) {
			char *path = arena_printf(a, "%s/%s", sub, f->d_name), hash[65];
			size_t n = strlen(f->d_name);
			struct stat st;

			if (!path || stat(path, &st) || now - st.st_mtime < min_age)
				continue;
			if (!strncmp(f->d_name, ".tmp-", 5)) {
				unlink(path);
				continue;
			}
			if (n != 64 + strlen("-full.webp") || strcmp(f->d_name + 64, "-full.webp") ||
			    strspn(f->d_name, "0123456789abcdef") != 64)
				continue;
			memcpy(hash, f->d_name, 64);
			hash[64] = '\0';
			gone += collect_hash(db, a, place, hash);
		}
		closedir(dir);
		if (db_ping(db)) {
			closedir(top);
			return -1;
		}
	}
	closedir(top);
	return gone;
}

/* Photos whose files were written but whose row never committed (a worker
 * killed between the two) are found here: in every place, every
 * *-full.webp older than MEDIA_ORPHAN_AGE that no row of the place's owner
 * names goes, with its other sizes, and so do temporary files that old.
 * Returns how many photos went, or -1 when the database is away. shopd
 * jobs runs it hourly; `shopctl media-sweep` now. */
int images_sweep(struct db *db, struct arena *a, long min_age)
{
	int gone = 0;

	if (!config.media_dir)
		return 0;
	for (int p = 0; p < IMAGE_PLACES; p++) {
		int n = sweep_place(db, a, (enum image_place)p, min_age);

		if (n < 0)
			return -1;
		gone += n;
	}
	if (gone)
		log_info("images: swept %d orphan photo%s", gone, gone == 1 ? "" : "s");
	return gone;
}

int images_sweep_batch(struct db *db, struct kv *kv, struct arena *a)
{
	(void)kv;
	return images_sweep(db, a, MEDIA_ORPHAN_AGE) < 0 ? -1 : 0;
}

/* ---- changes (one transaction each; may run again on a deadlock) ---- */

#define img_op image_op

static enum err lock_product(struct db *db, struct img_op *op)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, op->a, &sql[Q_PRODUCT_LOCK], &r, "ii", op->pid, op->seller);

	if (!e && !r->nrows)
		e = E_NOTFOUND;	/* no such item, or another seller's */
	return e;
}

/* The storefront's copy and the event, after any change. */
static enum err publish(struct db *db, struct img_op *op)
{
	enum err e = db_exec(db, op->a, &sql[Q_REFRESH], NULL, "ii", op->pid, op->seller);

	if (!e)
		e = event_emit(db, op->a, EV_PRODUCT_UPDATED, op->pid,
			       json_pack("{sI ss}", "id", (json_int_t)op->pid, "change", "images"));
	return e;
}

static const char *full_msg = "An item has at most " STR(IMAGES_PER_ITEM) " photos. Delete one to add another.";

static enum err tx_add(struct db *db, void *p)
{
	struct img_op *op = p;
	struct db_res *r = NULL;
	enum err e;

	op->why = NULL;
	if ((e = lock_product(db, op)) ||
	    (e = db_exec(db, op->a, &sql[Q_STATS_LOCK], &r, "ii", op->pid, op->seller)))
		return e;
	if (db_int(r, 0, 0) >= IMAGES_PER_ITEM) {
		op->why = full_msg;
		return E_CONFLICT;
	}
	if ((e = db_exec(db, op->a, &sql[Q_INSERT], NULL, "iisiisi", op->pid, op->seller, op->hash,
			 (int64_t)op->width, (int64_t)op->height, op->alt ? op->alt : "",
			 db_int(r, 0, 1) + 1)))
		return e;
	op->iid = (int64_t)db_insert_id(db);
	return publish(db, op);
}

/* Writes positions 1..n in the order of ids (only the rows that move). */
static enum err renumber(struct db *db, struct img_op *op, const struct db_res *r,
			 const size_t *order, size_t n)
{
	enum err e;

	for (size_t k = 0; k < n; k++) {
		size_t row = order[k];

		if (db_int(r, row, I_POS) == (int64_t)k + 1)
			continue;
		if ((e = db_exec(db, op->a, &sql[Q_SET_POS], NULL, "iiii", (int64_t)k + 1,
				 db_int(r, row, I_ID), op->pid, op->seller)))
			return e;
	}
	return E_OK;
}

static enum err tx_update(struct db *db, void *p)
{
	struct img_op *op = p;
	struct db_res *r = NULL;
	size_t order[IMAGES_PER_ITEM + 1], n, at = SIZE_MAX, to;
	enum err e;

	op->why = NULL;
	if ((e = lock_product(db, op)) ||
	    (e = db_exec(db, op->a, &sql[Q_LIST_LOCK], &r, "ii", op->pid, op->seller)))
		return e;
	n = r->nrows < IMAGES_PER_ITEM ? r->nrows : IMAGES_PER_ITEM;
	for (size_t k = 0; k < n; k++) {
		order[k] = k;
		if (db_int(r, k, I_ID) == op->iid)
			at = k;
	}
	if (at == SIZE_MAX)
		return E_NOTFOUND;
	if (op->set_alt &&
	    (e = db_exec(db, op->a, &sql[Q_SET_ALT], NULL, "siii", op->alt, op->iid, op->pid, op->seller)))
		return e;
	to = at;
	if (op->to_pos) {
		if (op->to_pos > (int64_t)n) {
			op->why = arena_printf(op->a, "position: must be from 1 to %zu (the item has %zu photo%s)",
					       n, n, n == 1 ? "" : "s");
			return E_INVAL;
		}
		to = (size_t)op->to_pos - 1;
	} else if (op->move < 0 && at > 0) {
		to = at - 1;
	} else if (op->move > 0 && at + 1 < n) {
		to = at + 1;
	}
	/* Take the photo out and put it back at its new place. */
	if (to < at)
		memmove(order + to + 1, order + to, (at - to) * sizeof(order[0]));
	else if (to > at)
		memmove(order + at, order + at + 1, (to - at) * sizeof(order[0]));
	order[to] = at;
	if ((e = renumber(db, op, r, order, n)))
		return e;
	return publish(db, op);
}

static enum err tx_delete(struct db *db, void *p)
{
	struct img_op *op = p;
	struct db_res *r = NULL;
	size_t order[IMAGES_PER_ITEM], n;
	enum err e;

	if ((e = lock_product(db, op)) ||
	    (e = db_exec(db, op->a, &sql[Q_GET_LOCK], &r, "iii", op->iid, op->pid, op->seller)))
		return e;
	if (!r->nrows)
		return E_NOTFOUND;
	op->old_hash = arena_strdup(op->a, db_cell(r, 0, I_HASH));
	if (!op->old_hash)
		return E_NOMEM;
	if ((e = db_exec(db, op->a, &sql[Q_DELETE], NULL, "iii", op->iid, op->pid, op->seller)) ||
	    (e = db_exec(db, op->a, &sql[Q_LIST_LOCK], &r, "ii", op->pid, op->seller)))
		return e;
	n = r->nrows < IMAGES_PER_ITEM ? r->nrows : IMAGES_PER_ITEM;
	for (size_t k = 0; k < n; k++)
		order[k] = k;
	if ((e = renumber(db, op, r, order, n)))
		return e;
	return publish(db, op);
}

/* ---- an upload, from bytes to a committed row ---- */

static int type_accepted(unsigned types, enum image_type t)
{
	return t != IMAGE_NONE && (!types || (types & IMAGE_TYPE_BIT(t)));
}

/* The types as words: "JPEG, PNG, WebP and GIF". */
static const char *types_words(struct arena *a, unsigned types)
{
	static const struct { enum image_type t; const char *w; } names[] = {
		{ IMAGE_JPEG, "JPEG" }, { IMAGE_PNG, "PNG" }, { IMAGE_WEBP, "WebP" }, { IMAGE_GIF, "GIF" },
	};
	const char *out = "";
	int n = 0, total = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		total += type_accepted(types, names[i].t);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!type_accepted(types, names[i].t))
			continue;
		n++;
		out = arena_printf(a, "%s%s%s", out, n == 1 ? "" : n == total ? " and " : ", ", names[i].w);
		if (!out)
			return "image";
	}
	return out;
}

/* Steps 1 to 5: what the bytes are, before any pixel is decoded. E_OK
 * with in->status set when the file is refused. */
static enum err check_upload(struct arena *a, struct image_upload *in, struct image_info *info)
{
	const char *mime, *m;
	enum image_type t;
	enum err e;

	in->status = 0;
	in->why = NULL;
	if (!in->len) {
		in->status = 400;
		in->why = "The file is empty.";
		return E_OK;
	}
	if (in->len > IMAGE_MAX_BYTES) {
		in->status = 413;
		in->why = "The photo is larger than 10 MB. Please send a smaller file.";
		return E_OK;
	}
	if ((m = images_check_name(in->filename))) {
		in->status = 400;
		in->why = m;
		return E_OK;
	}
	if ((e = media_setup()))
		return e;
	mime = magic_buffer(magic_db, in->data, in->len);
	if (!type_accepted(in->types, t = type_of(mime))) {
		in->status = 415;
		in->why = arena_printf(a, "Only %s photos are accepted; this file is %s.", types_words(a, in->types),
				       mime ? mime : "of an unknown type");
		return E_OK;
	}
	if ((m = images_inspect(in->data, in->len, t, info)) ||
	    (m = images_find_markup(in->data, in->len))) {
		in->status = 422;
		in->why = m;
		return E_OK;
	}
	return E_OK;
}

/* Step 7, the decode and the re-encoding. */
static enum err encode_upload(struct arena *a, struct image_upload *in, const struct image_info *info,
			      struct image_ready *out)
{
	struct encoded enc;
	enum err e = encode(a, in->data, in->len, info, &enc, &in->why);

	if (e == E_INVAL) {
		in->status = 422;
		return E_OK;
	}
	if (e)
		return e;
	for (int k = 0; k < SZ_COUNT; k++) {
		out->buf[k] = enc.buf[k];
		out->len[k] = enc.len[k];
	}
	out->width = enc.width;
	out->height = enc.height;
	memcpy(out->hash, enc.hash, sizeof(out->hash));
	return E_OK;
}

enum err images_prepare(struct arena *a, struct image_upload *in, struct image_ready *out)
{
	struct image_info info;
	enum err e;

	memset(out, 0, sizeof(*out));
	if ((e = check_upload(a, in, &info)) || in->status)
		return e;
	return encode_upload(a, in, &info, out);
}

static int hash_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

enum err images_store(struct db *db, struct arena *a, enum image_place place, const struct image_ready *img,
		      size_t n, enum err (*commit)(struct db *db, void *arg), void *arg)
{
	const char **locked = arena_alloc(a, sizeof(*locked) * (n + 1));
	int *created = arena_alloc(a, sizeof(*created) * (n * SZ_COUNT + 1));
	char *root;
	size_t nlocked = 0;
	enum err e = E_OK;

	if (!locked || !created || !(root = place_root(a, place)))
		return E_NOMEM;
	memset(created, 0, sizeof(*created) * (n * SZ_COUNT + 1));
	/* Each hash's named lock once, in one order: two uploads sharing
	 * photos never wait on each other in a circle. */
	for (size_t i = 0; i < n; i++)
		locked[i] = img[i].hash;
	qsort(locked, n, sizeof(*locked), hash_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(locked[i], locked[nlocked - 1]))
			continue;
		if ((e = lock_hash(db, a, locked[i])))
			goto out;
		locked[nlocked++] = locked[i];
	}
	if ((e = ensure_dir(config.media_dir)) || (e = ensure_dir(root)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		char *dir = arena_printf(a, "%s/%.2s", root, img[i].hash);

		if (!dir) {
			e = E_NOMEM;
			goto out;
		}
		if ((e = ensure_dir(dir)))
			goto out;
		for (int k = 0; k < SZ_COUNT; k++) {
			char *path = media_path(a, place, img[i].hash, k);

			if (!path) {
				e = E_NOMEM;
				goto out;
			}
			if ((e = write_atomic(a, dir, path, img[i].buf[k], img[i].len[k], &created[i * SZ_COUNT + k])))
				goto out;
		}
		sync_dir(dir);
	}
	e = db_tx(db, commit, arg);
out:
	/* Refused or failed after writing: take back the files this call
	 * made (under the locks, nobody else can have named them since). */
	if (e)
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < SZ_COUNT; k++)
				if (created[i * SZ_COUNT + k])
					unlink(media_path(a, place, img[i].hash, k));
	for (size_t i = 0; i < nlocked; i++)
		unlock_hash(db, a, locked[i]);
	return e;
}

enum err images_add(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, struct image_upload *in)
{
	struct img_op op = { .seller = seller_id, .pid = pid, .alt = in->alt, .a = a };
	struct image_info info;
	struct image_ready ready;
	struct db_res *r = NULL;
	enum err e;

	if ((e = check_upload(a, in, &info)) || in->status)
		return e;
	/* The item and its room, before the costly part (checked again, under
	 * the lock, in the transaction). */
	if ((e = db_exec(db, a, &sql[Q_STATS], &r, "ii", pid, op.seller)))
		return e;
	if (db_int(r, 0, 0) >= IMAGES_PER_ITEM) {
		in->status = 409;
		in->why = full_msg;
		return E_OK;
	}
	if ((e = encode_upload(a, in, &info, &ready)) || in->status)
		return e;
	op.hash = ready.hash;
	op.width = ready.width;
	op.height = ready.height;
	e = images_store(db, a, IMAGE_PLACE_PRODUCTS, &ready, 1, tx_add, &op);
	if (e == E_CONFLICT || e == E_NOTFOUND) {
		in->status = e == E_CONFLICT ? 409 : 404;
		in->why = op.why;
		return E_OK;
	}
	if (e)
		return e;
	in->iid = op.iid;
	pcache_bump(pid);
	return E_OK;
}

/* ---- the other changes, and what the pages read ---- */

enum err images_update(struct db *db, struct arena *a, struct image_op *op)
{
	op->a = a;
	return db_tx(db, tx_update, op);
}

enum err images_delete(struct db *db, struct arena *a, struct image_op *op)
{
	enum err e;

	op->a = a;
	if (!op->pid || !op->iid)
		return E_NOTFOUND;
	if ((e = db_tx(db, tx_delete, op)))
		return e;
	pcache_bump(op->pid);
	collect_hash(db, a, IMAGE_PLACE_PRODUCTS, op->old_hash);
	return E_OK;
}

enum err images_owned(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, int64_t iid)
{
	struct db_res *r = NULL;
	enum err e = db_exec(db, a, &sql[Q_OWNED], &r, "iii", iid, pid, seller_id);

	return e ? e : r->nrows ? E_OK : E_NOTFOUND;
}

enum err images_product(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, struct db_res **out)
{
	enum err e;

	if (!pid)
		return E_NOTFOUND;
	if ((e = db_exec(db, a, &sql[Q_PRODUCT], out, "ii", pid, seller_id)))
		return e;
	return (*out)->nrows ? E_OK : E_NOTFOUND;
}

enum err images_list(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, struct db_res **out)
{
	return db_exec(db, a, &sql[Q_LIST], out, "ii", pid, seller_id);
}

const char *images_url(struct arena *a, const char *hash, enum image_size size)
{
	return media_url(a, hash, (int)size);
}
