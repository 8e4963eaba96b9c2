/* Reports: the admins' page, API and CSV exports, and the counting hooks
 * (reports.h) that other modules' handlers call: the product page (a
 * view), adding to the cart (an add), a search's first page. */
#ifndef REPORTS_REPORTS_PAGES_H
#define REPORTS_REPORTS_PAGES_H

#include <stddef.h>
#include "../core/err.h"

struct ctx;

enum err h_admin_reports(struct ctx *c);
enum err h_api_admin_reports(struct ctx *c);
enum err h_admin_reports_export(struct ctx *c);

void reports_hook_view(struct ctx *c);
void reports_hook_cart(struct ctx *c);
void reports_hook_search(struct ctx *c, char *const *words, size_t n, int found_nothing);

#endif
