/* Product photos: sellers upload them (pages and API), the shop decides what
 * they are from their content, decodes and re-encodes them as WebP at three
 * bounded sizes under content-hash names in SHOP_MEDIA_DIR, and nginx serves
 * those files at /media/. See the "Seller: images" section of README.md. */
#ifndef SELLER_IMAGES_H
#define SELLER_IMAGES_H

#include <stddef.h>
#include "../core/err.h"

struct arena;
struct ctx;
struct db;
struct kv;

#define IMAGES_PER_ITEM		12
#define IMAGE_MAX_BYTES		(10 * 1024 * 1024)	/* an upload: more is 413 */
#define IMAGE_MAX_SIDE		10000			/* pixels, either side */
#define IMAGE_MAX_PIXELS	40000000LL		/* width * height */
#define IMAGE_ALT_MAX		250			/* bytes of alt text */
#define IMAGE_FULL		1600	/* long edge of each stored size, at most */
#define IMAGE_CARD		480
#define IMAGE_THUMB		160
/* Files no row names are removed once they are this old (seconds): an
 * upload writes its files, then commits its row within seconds. */
#define MEDIA_ORPHAN_AGE	3600

/* Removes photo files that no row names and are at least min_age seconds
 * old, and temporary files as old; the number of photos removed, or -1 when
 * the database is away. images_sweep_batch is the shopd jobs entry. */
int images_sweep(struct db *db, struct arena *a, long min_age);
int images_sweep_batch(struct db *db, struct kv *kv, struct arena *a);

enum image_type { IMAGE_NONE, IMAGE_JPEG, IMAGE_PNG, IMAGE_GIF, IMAGE_WEBP };

/* What the container says, before any pixel is decoded. */
struct image_info {
	enum image_type type;
	unsigned width, height;	/* largest of the canvas and any frame */
	size_t end;		/* bytes up to the format's end marker */
};

/* The pure checks (unit-tested), each returning NULL when the input passes
 * or a sentence for the seller:
 *
 * images_check_name: the client's file name, which is never used as a path
 * but is refused when it holds '/', '\', a control character or is "." or
 * "..", since no browser sends such a name for a file it read from disk.
 * NULL or "" passes (a raw API body has none).
 *
 * images_inspect: walks the container of type t (as libmagic decided) from
 * its signature to its end marker (JPEG EOI, PNG IEND, GIF trailer, the
 * RIFF length of WebP), reading the dimensions from the headers. Refused:
 * a broken or truncated structure, a zero or oversized dimension, and any
 * byte after the end marker other than zero padding (where polyglots keep
 * their second file).
 *
 * images_find_markup: looks through all the bytes (metadata, comments and
 * pixel data alike: PNG's stored deflate blocks can carry text verbatim) for
 * markup and script a browser could act on (<script, <html, <svg, <iframe,
 * javascript:, onerror= ...). A photo has no reason to carry them. The
 * patterns are 5 or more case-folded bytes, so random compressed data of
 * the largest upload (10 MB) matches one by chance less than once in a
 * thousand uploads; XMP metadata (<x:xmpmeta, <rdf:RDF) never matches. */
const char *images_check_name(const char *name);
const char *images_inspect(const unsigned char *p, size_t n, enum image_type t,
			   struct image_info *out);
const char *images_find_markup(const unsigned char *p, size_t n);
/* Removes every chunk of a WebP file but the image data itself (VP8X with
 * only its alpha flag, VP8, VP8L, ALPH), in place: libvips 8.14 writes an
 * EXIF chunk even when told to strip metadata. Returns the new length, or
 * 0 when p[0..n) is not a well-formed WebP file. */
size_t images_webp_strip(unsigned char *p, size_t n);

/* Registers the module's statements (call once at start, before forking).
 * libvips and libmagic are set up in each worker on its first upload. */
void images_init(void);

/* Page and API handlers (app/seller/images_routes.inc). */
enum err h_seller_images(struct ctx *c);
enum err h_seller_image_upload(struct ctx *c);
enum err h_seller_image_alt(struct ctx *c);
enum err h_seller_image_move(struct ctx *c);
enum err h_seller_image_delete(struct ctx *c);
enum err h_api_images(struct ctx *c);
enum err h_api_image_create(struct ctx *c);
enum err h_api_image_update(struct ctx *c);
enum err h_api_image_delete(struct ctx *c);

#endif
