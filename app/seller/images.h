/* Product photos: sellers upload them (pages and API), the shop decides what
 * they are from their content, decodes and re-encodes them as WebP at three
 * bounded sizes under content-hash names in SHOP_MEDIA_DIR, and nginx serves
 * those files at /media/. See the "Seller: images" section of README.md. */
#ifndef SELLER_IMAGES_H
#define SELLER_IMAGES_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;
struct db_res;
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
 * old, and temporary files as old, in every place (enum image_place) whose
 * owner has said which rows name a file; the number of photos removed, or
 * -1 when the database is away. images_sweep_batch is the shopd jobs entry. */
int images_sweep(struct db *db, struct arena *a, long min_age);
int images_sweep_batch(struct db *db, struct kv *kv, struct arena *a);

enum image_type { IMAGE_NONE, IMAGE_JPEG, IMAGE_PNG, IMAGE_GIF, IMAGE_WEBP };
#define IMAGE_TYPE_BIT(t)	(1u << (t))

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

/* ---- changes and reads (the pages are images_pages.c's) ---- */

/* An upload. */
struct image_upload {
	const unsigned char *data;
	size_t len;
	const char *filename;	/* the client's name; NULL for a raw body */
	const char *alt;
	unsigned types;		/* IMAGE_TYPE_BITs accepted; 0: all four */
	/* out */
	int status;		/* 0, or the refusal's HTTP status (400, 409, 413, 415, 422, 404) */
	const char *why;	/* the refusal in words */
	int64_t iid;		/* the new photo */
};

/* Checks, decodes, re-encodes and stores a photo of seller_id's item pid,
 * then commits its row (ProductUpdated). E_OK with in->status set when the
 * photo is refused; an error only when something failed. */
enum err images_add(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, struct image_upload *in);

/* A change to one photo of a seller's item. */
struct image_op {
	int64_t seller, pid, iid;
	const char *hash;	/* (images_add's) */
	int width, height;
	const char *alt;	/* with set_alt */
	int set_alt;
	int64_t to_pos;		/* 1-based target, 0: keep */
	int move;		/* -1 up, +1 down, 0: none */
	/* out */
	const char *why;	/* a refusal in words (E_INVAL, E_CONFLICT) */
	const char *old_hash;	/* what was deleted */
	struct arena *a;	/* set by the functions */
};

/* Alt text and position, in one transaction. E_NOTFOUND: not the seller's
 * photo; E_INVAL with op->why: a position out of range. */
enum err images_update(struct db *db, struct arena *a, struct image_op *op);
/* Deletes the photo, then its files when no other row names them. */
enum err images_delete(struct db *db, struct arena *a, struct image_op *op);
/* E_OK when iid is a photo of seller_id's item pid, else E_NOTFOUND. */
enum err images_owned(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, int64_t iid);
/* The seller's item (id, title, slug, status), or E_NOTFOUND. */
enum err images_product(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, struct db_res **out);
/* The item's photos in order, with the columns below. */
enum { IMAGES_C_ID, IMAGES_C_HASH, IMAGES_C_WIDTH, IMAGES_C_HEIGHT, IMAGES_C_ALT, IMAGES_C_POS };
enum err images_list(struct db *db, struct arena *a, int64_t seller_id, int64_t pid, struct db_res **out);

/* The URL nginx serves a stored size of the product photo hash at. */
enum image_size { IMAGE_SIZE_FULL, IMAGE_SIZE_CARD, IMAGE_SIZE_THUMB, IMAGE_SIZE_COUNT };
const char *images_url(struct arena *a, const char *hash, enum image_size size);

/* ---- the shared pipeline: any owner's photos (issue 19) ----
 *
 * An owner other than products (return photos, app/returns) uses the same
 * checks, decoding and storage: images_prepare, then images_store with its
 * own transaction writing its own rows. */

/* Where an owner's files are kept. Products: SHOP_MEDIA_DIR/ab/<hash>-
 * <size>.webp, public (nginx serves them at /media/). Returns:
 * SHOP_MEDIA_DIR/returns/ab/..., private: nginx never serves that
 * directory, shopd does after checking who asks. */
enum image_place { IMAGE_PLACE_PRODUCTS, IMAGE_PLACE_RETURNS, IMAGE_PLACES };

/* How many of the owner's rows name hash (*count). */
typedef enum err (*image_used_fn)(struct db *db, struct arena *a, const char *hash, int64_t *count);
/* The owner of a place says it at start (its module's init); the sweep
 * never touches a place nobody owns. Products are this module's own. */
void images_place_owner(enum image_place place, image_used_fn used);

/* A photo checked, decoded and re-encoded in memory: nothing stored yet. */
struct image_ready {
	const void *buf[IMAGE_SIZE_COUNT];	/* freed with the arena */
	size_t len[IMAGE_SIZE_COUNT];
	int width, height;			/* of the full size */
	char hash[65];				/* SHA-256 of the full size, hex */
};

/* Steps 1-5 and 7 of images.c's list for one upload (in->types limits the
 * types): E_OK with in->status and in->why set when the file is refused
 * (400 empty or a bad name, 413 too large, 415 not an accepted type, 422
 * damaged, oversized in pixels, markup inside, undecodable). */
enum err images_prepare(struct arena *a, struct image_upload *in, struct image_ready *out);

/* Step 8 for n prepared photos: holds each hash's named lock, writes the
 * files into place, then runs commit in one transaction (db_tx: it may run
 * again on a deadlock), which writes the owner's rows naming img[i].hash.
 * When commit answers anything but E_OK (a refusal or a failure, the
 * transaction rolled back) the files this call made are removed again;
 * that answer is returned. */
enum err images_store(struct db *db, struct arena *a, enum image_place place, const struct image_ready *img,
		      size_t n, enum err (*commit)(struct db *db, void *arg), void *arg);

/* The file of a stored size of hash in place (to serve it), or NULL when
 * hash is not one. */
const char *images_file(struct arena *a, enum image_place place, const char *hash, enum image_size size);

#endif
