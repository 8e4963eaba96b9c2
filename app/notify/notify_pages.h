/* The notify module's presentation layer (notify_pages.c). */
#ifndef NOTIFY_NOTIFY_PAGES_H
#define NOTIFY_NOTIFY_PAGES_H

#include "../core/err.h"

struct arena;
struct ctx;
struct db;
struct event;
struct kv;
struct notify_mail;

/* m's text and HTML from templates/mail/<kind>.html and
 * templates/mail/text/<kind>.txt, each inside its layout, with the shop's
 * name, base URL, the preferences link and unsubscribe (may be NULL) added
 * to m's model. In a. */
enum err notify_render(struct arena *a, const struct notify_mail *m, const char *unsubscribe,
		       const char **text, const char **html);

/* The consumer "notify": its start compiles the mail templates, so a
 * broken one is logged when the jobs process starts, not at the first
 * mail; handle: one event's mails, each once. */
enum err notify_start(struct db *db, struct kv *kv, struct arena *a);
enum err notify_handle(struct db *db, struct kv *kv, struct arena *a, const struct event *ev);
/* The job "cart-reminders": one batch of due reminders. */
int notify_cart_batch(struct db *db, struct kv *kv, struct arena *a);

/* GET and POST /unsubscribe?u=&k=&t= */
enum err h_unsubscribe_form(struct ctx *c);
enum err h_unsubscribe(struct ctx *c);

#endif
