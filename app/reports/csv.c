/* CSV cells (csv.h). */
#include <string.h>
#include "../core/buf.h"
#include "csv.h"

void csv_cell(struct buf *b, const char *s)
{
	int quote, formula;

	if (!s)
		return;
	formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
	quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_putc(b, '"');
	if (formula)
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	if (quote)
		buf_putc(b, '"');
}

void csv_int(struct buf *b, int64_t v)
{
	buf_printf(b, "%lld", (long long)v);
}

void csv_money(struct buf *b, int64_t minor, int exponent)
{
	unsigned long long u = minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
	unsigned long long scale = 1;

	for (int i = 0; i < exponent; i++)
		scale *= 10;
	if (minor < 0)
		buf_putc(b, '-');
	if (exponent <= 0)
		buf_printf(b, "%llu", u);
	else
		buf_printf(b, "%llu.%0*llu", u / scale, exponent, u % scale);
}
