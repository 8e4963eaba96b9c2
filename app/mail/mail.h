/* The shop's one mail path: an outbox table written in the caller's
 * transaction, delivered by `shopd jobs`.
 *
 * Delivery is at least once: a message is marked sent after the transport
 * accepted it, so a crash between the two sends it again (with the same
 * Message-ID, which lets mail software drop the copy). */
#ifndef MAIL_MAIL_H
#define MAIL_MAIL_H

#include <stdint.h>
#include "../core/err.h"

struct db;
struct arena;

/* Registers the module's statements. Idempotent, so every module that needs
 * mail (and the jobs process) may call it at start. */
void mail_init(void);

/* Queues a message; call it inside the transaction of the event it
 * announces, so the mail exists if and only if the event does. E_INVAL when
 * to or subject could smuggle headers (CR/LF) or to is not one plain address.
 * Bodies are plain UTF-8 text; they must never carry a password. */
enum err mail_enqueue(struct db *db, struct arena *a, const char *to,
		      const char *subject, const char *body);

/* A mail with an HTML part beside the plain text (multipart/alternative;
 * html NULL: plain text only, as mail_enqueue) and, for a mail the
 * recipient may stop, the absolute URL of its one-click unsubscribe
 * (List-Unsubscribe and List-Unsubscribe-Post headers; NULL: none). The
 * rules of mail_enqueue apply; unsubscribe must be an http(s) URL without
 * CR, LF, spaces or angle brackets. *id (may be NULL): the outbox row. */
enum err mail_enqueue_alt(struct db *db, struct arena *a, const char *to, const char *subject,
			  const char *text, const char *html, const char *unsubscribe, int64_t *id);

/* Delivers due messages (SMTP when SHOP_SMTP_URL is set, else the maildir
 * under $SHOP_HOME/mail). A failed message is retried later with exponential
 * backoff. Returns how many were delivered, -1 when the database could not be
 * used (the caller backs off). Memory comes from a; the caller resets it. */
int mail_deliver_batch(struct db *db, struct arena *a);

#endif
