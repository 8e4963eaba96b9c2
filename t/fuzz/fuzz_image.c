/* Image container checks done before libvips sees a byte
 * (app/seller/images.c): images_inspect() for each of JPEG, PNG, GIF and
 * WebP, images_find_markup() and images_webp_strip().
 *
 * Properties: an accepted image has both sides in 1..IMAGE_MAX_SIDE, at most
 * IMAGE_MAX_PIXELS, its end within the input and only zero bytes after it;
 * the markup scan finds "<script" appended to any input; stripping a WebP
 * never grows it, a stripped file is a WebP that inspects to the same size
 * and stripping it again changes nothing. */
#include "fuzz.h"
#include "../../app/seller/images.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum image_type types[] = { IMAGE_JPEG, IMAGE_PNG, IMAGE_GIF, IMAGE_WEBP };
	struct image_info info[4];
	const char *ok[4];
	unsigned char *copy;
	size_t m;

	for (int i = 0; i < 4; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		ok[i] = images_inspect(data, size, types[i], &info[i]);
		if (ok[i])
			continue;
		FUZZ_CHECK(info[i].width >= 1 && info[i].width <= IMAGE_MAX_SIDE && info[i].height >= 1 &&
			   info[i].height <= IMAGE_MAX_SIDE, "type %d: %ux%u", types[i], info[i].width, info[i].height);
		FUZZ_CHECK((long long)info[i].width * info[i].height <= IMAGE_MAX_PIXELS, "too many pixels");
		FUZZ_CHECK(info[i].end <= size, "end %zu past %zu", info[i].end, size);
		for (size_t k = info[i].end; k < size; k++)
			FUZZ_CHECK(data[k] == 0, "type %d: byte 0x%02x after the end at %zu", types[i], data[k], k);
	}
	(void)images_find_markup(data, size);
	copy = malloc(size + 8);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	memcpy(copy + size, "<script", 7);
	FUZZ_CHECK(images_find_markup(copy, size + 7) != NULL, "appended <script not found");

	memcpy(copy, data, size);
	m = images_webp_strip(copy, size);
	FUZZ_CHECK(m <= size, "strip grew %zu to %zu", size, m);
	if (m) {
		struct image_info si;
		size_t m2;

		if (!ok[3]) {
			const char *why = images_inspect(copy, m, IMAGE_WEBP, &si);

			FUZZ_CHECK(!why, "stripped WebP refused: %s", why);
			FUZZ_CHECK(si.width == info[3].width && si.height == info[3].height, "size changed by strip");
		}
		m2 = images_webp_strip(copy, m);
		FUZZ_CHECK(m2 == m, "strip not idempotent: %zu then %zu", m, m2);
	}
	free(copy);
	return 0;
}
