/* Reviews and ratings (issue 17). Domain code: no request, no template. */
#ifndef REVIEWS_REVIEWS_H
#define REVIEWS_REVIEWS_H

/* Statements and settings; idempotent. */
void reviews_init(void);

#endif
