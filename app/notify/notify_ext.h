/* The notify module's mails about what shoppers write and watch (issue
 * 17), each kind in a file of its own so that the module's core
 * (notify.c) stays about orders: notify_collect() hands these events here.
 * Each says who gets which mail, as notify_collect does (*out in a, *n
 * its length; models owned by the caller). */
#ifndef NOTIFY_NOTIFY_EXT_H
#define NOTIFY_NOTIFY_EXT_H

#include <stddef.h>
#include "../core/err.h"
#include "notify.h"

struct arena;
struct db;
struct event;

/* ReviewRejected: the author, with the moderator's reason
 * (notify_reviews.c). */
enum err notify_reviews_collect(struct db *db, struct arena *a, const struct event *ev,
				struct notify_mail **out, size_t *n);
/* QuestionPublished: the product's seller; AnswerPublished: the asker
 * (notify_questions.c). */
enum err notify_questions_collect(struct db *db, struct arena *a, const struct event *ev,
				  struct notify_mail **out, size_t *n);
/* BackInStock, PriceDropped: the subscriber (notify_alerts.c). */
enum err notify_alerts_collect(struct db *db, struct arena *a, const struct event *ev,
			       struct notify_mail **out, size_t *n);

/* RETURNS (issue 19): ReturnRequested: the shopper and the seller;
 * ReturnApproved, ReturnRejected: the shopper; ReturnEscalated: the
 * active admins (notify_returns.c). */
enum err notify_returns_collect(struct db *db, struct arena *a, const struct event *ev,
				struct notify_mail **out, size_t *n);

/* PayoutClosed, PayoutPaid: the seller (notify_payouts.c, issue 19). */
enum err notify_payouts_collect(struct db *db, struct arena *a, const struct event *ev,
				struct notify_mail **out, size_t *n);

#endif
