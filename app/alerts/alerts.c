/* Back-in-stock and price-drop alerts (alerts.h). */
#include "alerts.h"

void alerts_init(void)
{
}
