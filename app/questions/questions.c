/* Product questions and answers (questions.h). */
#include "questions.h"

void questions_init(void)
{
}
