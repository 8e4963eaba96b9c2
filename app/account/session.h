/* Sessions, as pages use them: what session_pages.h declares (the cookie,
 * c->sess, CSRF, throttles, form pages) and, through it, the store's
 * struct session (session_store.h). Kept under this name for the pages of
 * other modules that include it; domain code includes session_store.h. */
#ifndef ACCOUNT_SESSION_H
#define ACCOUNT_SESSION_H

#include "session_pages.h"

#endif
