/* CSV for the exports (reports, payout statements): RFC 4180 cells, and
 * the guard against CSV (formula) injection: a spreadsheet runs a cell
 * that starts with = + - @ (or a tab or carriage return, which some strip
 * first) as a formula, so such a text cell is written with a leading
 * apostrophe, which spreadsheets show as text. Numbers the shop writes
 * itself (csv_int, csv_money) are not text and keep their sign. */
#ifndef REPORTS_CSV_H
#define REPORTS_CSV_H

#include <stdint.h>

struct buf;

/* One text cell: quoted when it holds a comma, quote, CR or LF (quotes
 * doubled), prefixed with ' when it starts with = + - @ TAB or CR. NULL is
 * an empty cell. */
void csv_cell(struct buf *b, const char *s);
/* A whole number. */
void csv_int(struct buf *b, int64_t v);
/* Minor units as a decimal amount with `exponent` decimals: -1234, 2 ->
 * "-12.34"; 5, 0 -> "5". */
void csv_money(struct buf *b, int64_t minor, int exponent);

#endif
