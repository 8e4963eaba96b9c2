/* Product questions and answers (issue 17). Domain code: no request, no template. */
#ifndef QUESTIONS_QUESTIONS_H
#define QUESTIONS_QUESTIONS_H

/* Statements and settings; idempotent. */
void questions_init(void);

#endif
