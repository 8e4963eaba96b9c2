/* The questions module: Product questions and answers (issue 17). */
#include "../module.h"
#include "questions.h"
#include "questions_pages.h"

const struct module questions_module = {
	.name = "questions",
	.init = questions_init,
};
