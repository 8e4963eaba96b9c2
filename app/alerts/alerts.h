/* Back-in-stock and price-drop alerts (issue 17). Domain code: no request, no template. */
#ifndef ALERTS_ALERTS_H
#define ALERTS_ALERTS_H

/* Statements and settings; idempotent. */
void alerts_init(void);

#endif
