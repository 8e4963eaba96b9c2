/* shopctl gen-orders and recs-eval (recs.h). */
#include <stdio.h>
#include "recs.h"

int recs_gen_orders_cmd(int argc, char **argv)
{
	(void)argc; (void)argv;
	return 1;
}

int recs_eval_cmd(int argc, char **argv)
{
	(void)argc; (void)argv;
	return 1;
}
