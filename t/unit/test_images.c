/* Unit tests: the pure checks of product photos (app/seller/images.c):
 * container walks for JPEG, PNG, GIF and WebP, file names, markup, the
 * WebP metadata strip. Table-driven, over byte strings made by hand. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../app/seller/images.h"

#define B(lit) (const unsigned char *)(lit), sizeof(lit) - 1

/* JPEG: SOI, SOF0 (height 16, width 32, one component), SOS, entropy data
 * with stuffing and a restart marker, EOI. */
#define J_SOI "\xff\xd8"
#define J_SOF(h, w) "\xff\xc0\x00\x0b\x08" h w "\x01\x01\x11\x00"
#define J_SOS "\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
#define J_DATA "\x12\x34\xff\x00\x56\xff\xd0\x78"
#define J_EOI "\xff\xd9"
#define JPEG J_SOI "\xff\xfe\x00\x04hi" J_SOF("\x00\x10", "\x00\x20") J_SOS J_DATA J_EOI

/* PNG: signature, IHDR, an empty IDAT, IEND (CRCs are the decoder's job). */
#define P_SIG "\x89PNG\r\n\x1a\n"
#define P_IHDR(w, h) "\x00\x00\x00\x0dIHDR" w h "\x08\x02\x00\x00\x00" "CRC!"
#define P_IDAT "\x00\x00\x00\x00IDAT" "CRC!"
#define P_IEND "\x00\x00\x00\x00IEND" "CRC!"
#define PNG P_SIG P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") P_IDAT P_IEND

/* GIF: screen 10 x 8 with a 2-colour table, a comment extension, one
 * frame, the trailer. */
#define G_HEAD "GIF89a\x0a\x00\x08\x00\x80\x00\x00" "\x00\x00\x00\xff\xff\xff"
#define G_COMMENT "\x21\xfe\x03hey\x00"
#define G_FRAME(w, h) "\x2c\x00\x00\x00\x00" w h "\x00" "\x02\x02\x4c\x01\x00"
#define GIF G_HEAD G_COMMENT G_FRAME("\x0a\x00", "\x08\x00") "\x3b"

/* WebP (lossless): RIFF size 18 = "WEBP" + the VP8L chunk (8 + 6). Width
 * 20 and height 10: bits (w-1) | (h-1) << 14 = 0x24013. */
#define WEBP "RIFF\x12\x00\x00\x00WEBP" "VP8L\x05\x00\x00\x00\x2f\x13\x40\x02\x00" "\x00"

static const struct {
	const char *what;
	enum image_type t;
	const unsigned char *p;
	size_t n;
	int ok;
	unsigned w, h;
	const char *says;	/* a word of the refusal */
} inspect_cases[] = {
	{ "jpeg", IMAGE_JPEG, B(JPEG), 1, 32, 16, NULL },
	{ "jpeg + zero padding", IMAGE_JPEG, B(JPEG "\0\0\0"), 1, 32, 16, NULL },
	{ "jpeg + html", IMAGE_JPEG, B(JPEG "<html>"), 0, 0, 0, "after the end" },
	{ "jpeg + one byte", IMAGE_JPEG, B(JPEG "x"), 0, 0, 0, "after the end" },
	{ "jpeg without EOI", IMAGE_JPEG, B(J_SOI J_SOF("\x00\x10", "\x00\x20") J_SOS J_DATA), 0, 0, 0, "truncated" },
	{ "jpeg cut in a segment", IMAGE_JPEG, B(J_SOI "\xff\xc0\x00\x0b\x08"), 0, 0, 0, "truncated" },
	{ "jpeg scan before frame", IMAGE_JPEG, B(J_SOI J_SOS J_DATA J_EOI), 0, 0, 0, "structure" },
	{ "jpeg two frames", IMAGE_JPEG, B(J_SOI J_SOF("\x00\x10", "\x00\x20") J_SOF("\x00\x10", "\x00\x20") J_SOS J_EOI), 0, 0, 0, "structure" },
	{ "jpeg without scan", IMAGE_JPEG, B(J_SOI J_SOF("\x00\x10", "\x00\x20") J_EOI), 0, 0, 0, "structure" },
	{ "jpeg without SOI", IMAGE_JPEG, B("\xff\xe0" J_SOF("\x00\x10", "\x00\x20") J_SOS J_EOI), 0, 0, 0, "structure" },
	{ "jpeg segment length 1", IMAGE_JPEG, B(J_SOI "\xff\xe0\x00\x01" J_EOI), 0, 0, 0, "structure" },
	{ "jpeg height 0", IMAGE_JPEG, B(J_SOI J_SOF("\x00\x00", "\x00\x20") J_SOS J_EOI), 0, 0, 0, "structure" },
	{ "jpeg 60000 wide", IMAGE_JPEG, B(J_SOI J_SOF("\x00\x10", "\xea\x60") J_SOS J_EOI), 0, 0, 0, "pixels" },
	{ "jpeg 7000 x 7000", IMAGE_JPEG, B(J_SOI J_SOF("\x1b\x58", "\x1b\x58") J_SOS J_EOI), 0, 0, 0, "pixels" },
	{ "jpeg 10000 x 4000", IMAGE_JPEG, B(J_SOI J_SOF("\x0f\xa0", "\x27\x10") J_SOS J_EOI), 1, 10000, 4000, NULL },

	{ "png", IMAGE_PNG, B(PNG), 1, 64, 48, NULL },
	{ "png + zip", IMAGE_PNG, B(PNG "PK\x03\x04"), 0, 0, 0, "after the end" },
	{ "png without IDAT", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") P_IEND), 0, 0, 0, "structure" },
	{ "png IDAT first", IMAGE_PNG, B(P_SIG P_IDAT P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") P_IEND), 0, 0, 0, "structure" },
	{ "png two IHDR", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") P_IDAT P_IEND), 0, 0, 0, "structure" },
	{ "png without IEND", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") P_IDAT), 0, 0, 0, "truncated" },
	{ "png chunk past the end", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") "\x00\x01\x00\x00IDATxx"), 0, 0, 0, "truncated" },
	{ "png bad chunk name", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x40", "\x00\x00\x00\x30") "\x00\x00\x00\x00ID\x01T" "CRC!" P_IEND), 0, 0, 0, "structure" },
	{ "png 10001 wide", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x27\x11", "\x00\x00\x00\x01") P_IDAT P_IEND), 0, 0, 0, "pixels" },
	{ "png 2^31 high", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x01", "\xff\xff\xff\xff") P_IDAT P_IEND), 0, 0, 0, "pixels" },
	{ "png width 0", IMAGE_PNG, B(P_SIG P_IHDR("\x00\x00\x00\x00", "\x00\x00\x00\x01") P_IDAT P_IEND), 0, 0, 0, "structure" },

	{ "gif", IMAGE_GIF, B(GIF), 1, 10, 8, NULL },
	{ "gif + bytes", IMAGE_GIF, B(GIF "<script>"), 0, 0, 0, "after the end" },
	{ "gif without trailer", IMAGE_GIF, B(G_HEAD G_FRAME("\x0a\x00", "\x08\x00")), 0, 0, 0, "truncated" },
	{ "gif without frame", IMAGE_GIF, B(G_HEAD G_COMMENT "\x3b"), 0, 0, 0, "structure" },
	{ "gif unknown block", IMAGE_GIF, B(G_HEAD "\x99" "\x3b"), 0, 0, 0, "structure" },
	{ "gif frame past screen", IMAGE_GIF, B(G_HEAD G_FRAME("\x20\x00", "\x08\x00") "\x3b"), 1, 32, 8, NULL },
	{ "gif frame 20000 wide", IMAGE_GIF, B(G_HEAD G_FRAME("\x20\x4e", "\x01\x00") "\x3b"), 0, 0, 0, "pixels" },
	{ "gif sub-block past the end", IMAGE_GIF, B(G_HEAD "\x21\xfe\x09hey"), 0, 0, 0, "truncated" },

	{ "webp", IMAGE_WEBP, B(WEBP), 1, 20, 10, NULL },
	{ "webp + markup", IMAGE_WEBP, B(WEBP "<svg/onload=x>"), 0, 0, 0, "after the end" },
	{ "webp RIFF longer than file", IMAGE_WEBP, B("RIFF\x40\x00\x00\x00WEBP" "VP8L\x05\x00\x00\x00\x2f\x13\x40\x02\x00" "\x00"), 0, 0, 0, "truncated" },
	{ "webp chunk past RIFF", IMAGE_WEBP, B("RIFF\x12\x00\x00\x00WEBP" "VP8L\x09\x00\x00\x00\x2f\x13\x40\x02\x00" "\x00"), 0, 0, 0, "structure" },
	{ "webp no image chunk", IMAGE_WEBP, B("RIFF\x12\x00\x00\x00WEBP" "EXIF\x06\x00\x00\x00" "abcdef"), 0, 0, 0, "structure" },
	{ "webp lossy bad start code", IMAGE_WEBP, B("RIFF\x16\x00\x00\x00WEBP" "VP8 \x0a\x00\x00\x00" "\x00\x00\x00\x9d\x01\x2b\x10\x00\x10\x00"), 0, 0, 0, "structure" },
	{ "webp lossy", IMAGE_WEBP, B("RIFF\x16\x00\x00\x00WEBP" "VP8 \x0a\x00\x00\x00" "\x00\x00\x00\x9d\x01\x2a\x10\x00\x0c\x00"), 1, 16, 12, NULL },
	{ "webp canvas 16384", IMAGE_WEBP, B("RIFF\x2e\x00\x00\x00WEBP" "VP8X\x0a\x00\x00\x00" "\x00\x00\x00\x00\xff\x3f\x00\x00\x00\x00"
		"VP8L\x05\x00\x00\x00\x2f\x13\x40\x02\x00" "\x00" "ALPH\x02\x00\x00\x00xx"), 0, 0, 0, "pixels" },

	{ "not a type we take", IMAGE_NONE, B(PNG), 0, 0, 0, "accepted" },
};

START_TEST(inspect_table)
{
	struct image_info info;
	const char *m = images_inspect(inspect_cases[_i].p, inspect_cases[_i].n, inspect_cases[_i].t, &info);

	if (inspect_cases[_i].ok) {
		ck_assert_msg(m == NULL, "%s: refused: %s", inspect_cases[_i].what, m);
		ck_assert_uint_eq(info.width, inspect_cases[_i].w);
		ck_assert_uint_eq(info.height, inspect_cases[_i].h);
		ck_assert_uint_le(info.end, inspect_cases[_i].n);
	} else {
		ck_assert_msg(m != NULL, "%s: accepted", inspect_cases[_i].what);
		ck_assert_msg(strstr(m, inspect_cases[_i].says) != NULL, "%s: says %s", inspect_cases[_i].what, m);
	}
}
END_TEST

/* Every prefix of a valid file is refused, never read past its end. */
START_TEST(inspect_every_truncation)
{
	static const struct { enum image_type t; const unsigned char *p; size_t n; } files[] = {
		{ IMAGE_JPEG, B(JPEG) }, { IMAGE_PNG, B(PNG) }, { IMAGE_GIF, B(GIF) }, { IMAGE_WEBP, B(WEBP) },
	};

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		for (size_t n = 0; n < files[f].n; n++) {
			unsigned char *copy = malloc(n ? n : 1);
			struct image_info info;

			memcpy(copy, files[f].p, n);
			ck_assert_msg(images_inspect(copy, n, files[f].t, &info) != NULL,
				      "type %d accepted at %zu of %zu bytes", files[f].t, n, files[f].n);
			free(copy);
		}
	}
}
END_TEST

static const struct { const char *name; int ok; } name_cases[] = {
	{ NULL, 1 }, { "", 1 }, { "mug.jpg", 1 }, { "Mug (front) 2.JPEG", 1 }, { "caf\xc3\xa9.png", 1 },
	{ "..jpg", 1 }, { "a..b.png", 1 },
	{ "../evil.jpg", 0 }, { "../../etc/passwd", 0 }, { "a/b.jpg", 0 }, { "/etc/passwd", 0 },
	{ "C:\\photos\\mug.jpg", 0 }, { "..\\evil.jpg", 0 }, { "..", 0 }, { ".", 0 },
	{ "a\nb.jpg", 0 }, { "a\rb.jpg", 0 }, { "tab\t.jpg", 0 }, { "del\x7f.jpg", 0 },
};

START_TEST(name_table)
{
	const char *m = images_check_name(name_cases[_i].name);

	if (name_cases[_i].ok)
		ck_assert_msg(m == NULL, "%s refused: %s", name_cases[_i].name, m);
	else
		ck_assert_msg(m != NULL, "%s accepted", name_cases[_i].name);
}
END_TEST

START_TEST(name_too_long)
{
	char name[300];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_ptr_nonnull(images_check_name(name));
	name[255] = '\0';
	ck_assert_ptr_null(images_check_name(name));
}
END_TEST

static const struct { const char *what; const unsigned char *p; size_t n; int found; } markup_cases[] = {
	{ "binary", B("\xff\xd8\x00\x01<\x02<s<sc>"), 0 },
	{ "script", B("\x00\x01<script>alert(1)</script>"), 1 },
	{ "SCRIPT", B("\x00<SCRIPT src=x>"), 1 },
	{ "html", B("\x89PNG..<HtMl>"), 1 },
	{ "svg tag", B("..<svg xmlns='...'>"), 1 },
	{ "svg onload", B("..<svg/onload=alert(1)>"), 1 },
	{ "svg at the end", B("..<svg"), 0 },
	{ "svgz is not svg", B("..<svgz"), 0 },
	{ "iframe", B("<iframe src=//x>"), 1 },
	{ "php", B("GIF89a<?php system($_GET['c']); ?>"), 1 },
	{ "doctype", B("<!DOCTYPE html>"), 1 },
	{ "javascript url", B("href=JavaScript:alert(1)"), 1 },
	{ "onerror", B("<img src=x onerror=alert(1)>"), 1 },
	{ "onerror with space", B("onerror =x"), 0 },
	{ "xmp packet", B("<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'>"
			  "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'></rdf:RDF></x:xmpmeta>"), 0 },
	{ "empty", B(""), 0 },
};

START_TEST(markup_table)
{
	const char *m = images_find_markup(markup_cases[_i].p, markup_cases[_i].n);

	ck_assert_msg((m != NULL) == markup_cases[_i].found, "%s: %s", markup_cases[_i].what, m ? m : "clean");
}
END_TEST

START_TEST(webp_strip)
{
	/* VP8X (alpha + EXIF + XMP + ICC flags), ICCP, VP8L, EXIF (odd size,
	 * padded), XMP. */
	static const unsigned char in[] =
		"RIFF\x4a\x00\x00\x00WEBP"
		"VP8X\x0a\x00\x00\x00" "\x3c\x00\x00\x00\x13\x00\x00\x09\x00\x00"
		"ICCP\x04\x00\x00\x00" "icc!"
		"VP8L\x05\x00\x00\x00\x2f\x13\x40\x02\x00" "\x00"
		"EXIF\x05\x00\x00\x00" "GPS!!" "\x00"
		"XMP \x04\x00\x00\x00" "<x/>";
	unsigned char buf[sizeof(in)];
	struct image_info info;
	size_t n;

	memcpy(buf, in, sizeof(in) - 1);
	ck_assert_ptr_null(images_inspect(buf, sizeof(in) - 1, IMAGE_WEBP, &info));
	n = images_webp_strip(buf, sizeof(in) - 1);
	ck_assert_uint_eq(n, 12 + 18 + 14);
	ck_assert(!memcmp(buf + 12, "VP8X", 4));
	ck_assert_uint_eq(buf[20], 0x10);	/* alpha only */
	ck_assert(!memcmp(buf + 30, "VP8L", 4));
	ck_assert_ptr_null(memmem(buf, n, "GPS", 3));
	ck_assert_ptr_null(memmem(buf, n, "icc!", 4));
	ck_assert_ptr_null(memmem(buf, n, "<x/>", 4));
	ck_assert_uint_eq(buf[4] | buf[5] << 8, n - 8);
	ck_assert_ptr_null(images_inspect(buf, n, IMAGE_WEBP, &info));
	ck_assert_uint_eq(info.width, 20);

	/* Malformed input: 0, and nothing read past the end. */
	memcpy(buf, in, sizeof(in) - 1);
	ck_assert_uint_eq(images_webp_strip(buf, sizeof(in) - 2), 0);	/* RIFF size disagrees */
	ck_assert_uint_eq(images_webp_strip((unsigned char *)"RIFF", 4), 0);
	memcpy(buf, "RIFF\x0c\x00\x00\x00WEBPVP8L\xff\x00\x00\x00", 20);
	ck_assert_uint_eq(images_webp_strip(buf, 20), 0);	/* a chunk past the end */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("images");
	TCase *tc = tcase_create("all");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, inspect_table, 0, sizeof(inspect_cases) / sizeof(inspect_cases[0]));
	tcase_add_test(tc, inspect_every_truncation);
	tcase_add_loop_test(tc, name_table, 0, sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, name_too_long);
	tcase_add_loop_test(tc, markup_table, 0, sizeof(markup_cases) / sizeof(markup_cases[0]));
	tcase_add_test(tc, webp_strip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
