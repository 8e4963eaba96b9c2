/* Reviews and ratings (reviews.h). */
#include "reviews.h"
#include "ugc.h"

void reviews_init(void)
{
	ugc_init();
}
