/* The reviews module: Reviews and ratings (issue 17). */
#include "../module.h"
#include "reviews.h"
#include "reviews_pages.h"

const struct module reviews_module = {
	.name = "reviews",
	.init = reviews_init,
};
