/* The content pages' little markup (issue 19): plain text an admin types,
 * turned into HTML that is safe whatever was typed. The rules:
 *
 *   blocks are separated by blank lines;
 *   "## Title" / "### Title"      a heading (h2 / h3; "# " is h2 too: the
 *                                 page's title is its h1);
 *   lines starting "* " or "- "  a bulleted list, one item per line;
 *   lines starting "1. " (any number and a dot)  a numbered list;
 *   anything else                 a paragraph (its line breaks are spaces);
 *   inside text: **bold**, *italic* or _italic_, [words](link), where the
 *   link is /path (not //), #anchor, https://, http://, mailto: or tel:
 *   (anything else is shown as the text typed).
 *
 * Every character of the input reaches the output escaped (& < > " ' as
 * entities); the only tags are the ones the rules above make. Control
 * characters other than newline and tab are dropped; \r is ignored. */
#ifndef CONSOLE_MARKUP_H
#define CONSOLE_MARKUP_H

#include <stddef.h>

struct buf;

/* Appends the HTML of text (n bytes) to out. */
void markup_render(struct buf *out, const char *text, size_t n);

#endif
