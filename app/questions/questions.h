/* Product questions and answers (issue 17). Domain code: no request, no template.
 *
 * A signed-in shopper asks a question on an active product; the product's
 * seller (answering as "seller") and shoppers who bought it (an order line
 * shipped or delivered, ugc_bought: "buyer") answer. What they write goes
 * through the same moderation as reviews (app/reviews/ugc.h): cleaned
 * (ugc_clean), 1 to QUESTIONS_MAX_CHARS characters, then held for a
 * moderator (status pending, with the reasons) when ugc_check_text flags
 * it, when it repeats another question or answer (the same ugc_fingerprint,
 * for texts of at least QUESTIONS_DUP_MIN letters and digits: "Yes." is
 * never a duplicate), or when its author wrote more than
 * SHOP_QUESTIONS_AUTHOR_RATE texts in the last hour or its product received
 * more than SHOP_QUESTIONS_PRODUCT_BURST in the last 10 minutes. Otherwise
 * it is published at once. Admins publish or reject the held ones (with a
 * reason its author sees); an admin who is the product's seller cannot
 * moderate it (E_NOTFOUND). Every change to what is shown emits its event
 * (QuestionPublished, QuestionRejected, AnswerPublished, AnswerRejected;
 * aggregate: the product id) in the change's transaction. Helpful votes: one
 * per shopper and answer, never on one's own. */
#ifndef QUESTIONS_QUESTIONS_H
#define QUESTIONS_QUESTIONS_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"

struct arena;
struct db;

#define QUESTIONS_MAX_CHARS 2000	/* a question's or an answer's body */
#define QUESTIONS_REASON_MAX 500	/* a moderator's reason */
#define QUESTIONS_DUP_MIN 20		/* letters and digits for the duplicate check */
#define QUESTIONS_PAGE_MAX 20		/* questions read at once */

/* Statements and settings; idempotent. */
void questions_init(void);

/* An active product as this module needs it. */
struct q_product {
	int64_t id, seller_id, seller_uid;	/* seller_uid: the account that runs the seller, 0 if none */
	const char *slug, *title;
};
/* E_NOTFOUND unless the product exists and is active. */
enum err questions_product(struct db *db, struct arena *a, int64_t id, struct q_product *p);
enum err questions_product_by_slug(struct db *db, struct arena *a, const char *slug, struct q_product *p);

/* A question or an answer as read. */
struct q_text {
	int64_t id, question_id, product_id, user_id, helpful;
	const char *body, *status, *reasons, *reject_reason, *created_at;
	const char *by;		/* answers: "seller" or "buyer"; questions: NULL */
	const char *author;	/* as shown: "Ada L.", or the seller's name */
	const char *product_title, *product_slug;	/* where read with them */
	const char *question_body;	/* answers in the admin's queue */
};

/* A published question with its published answers, most helpful first. */
struct q_item {
	struct q_text q;
	struct q_text *answers;
	size_t nanswers;
};
struct q_list {
	struct q_item *v;
	size_t n;
	int64_t next;		/* the cursor for the next page (a question id), 0 when none */
};

/* Published questions of product_id, newest first, from before id `before`
 * (0: from the newest), at most limit (<= QUESTIONS_PAGE_MAX), each with
 * its published answers. */
enum err questions_list(struct db *db, struct arena *a, int64_t product_id, int64_t before, size_t limit,
			struct q_list *out);
/* The product page's: answered questions only, the one with the most
 * helpful answer first, at most limit; *total: every published question. */
enum err questions_top(struct db *db, struct arena *a, int64_t product_id, size_t limit, struct q_list *out,
		       int64_t *total);
/* Published questions on seller_id's products, newest first (unanswered
 * only when asked), paged as questions_list. */
enum err questions_for_seller(struct db *db, struct arena *a, int64_t seller_id, int unanswered, int64_t before,
			      size_t limit, struct q_list *out);
/* What uid wrote on product_id that is not published (pending, rejected):
 * questions and answers, newest first, at most 20 of each. */
enum err questions_mine(struct db *db, struct arena *a, int64_t uid, int64_t product_id, struct q_text **qs,
			size_t *nq, struct q_text **as, size_t *na);

/* Asking and answering. In: who writes (uid, and the sellers.id they run
 * or 0), on what (a product id to ask, a question id to answer), the body
 * as sent. Out: status 0 with the text stored (published or pending, with
 * its reasons), or the refusal: 404 (no such active product or published
 * question), 403 (may not answer: neither the product's seller nor a
 * buyer), 422 with why (the body empty after cleaning, or too long). */
struct q_write {
	int64_t uid, seller_id, target;
	const char *body;
	int status;
	const char *why;
	struct q_text t;
	unsigned flags;		/* ugc_flag bits that held it */
};
enum err questions_ask(struct db *db, struct arena *a, struct q_write *w);
enum err questions_answer(struct db *db, struct arena *a, struct q_write *w);
/* How uid may answer questions on product p: "seller", "buyer" or NULL. */
enum err questions_answer_as(struct db *db, struct arena *a, int64_t uid, int64_t seller_id,
			     const struct q_product *p, const char **by);

/* Helpful votes. *status 0 (voted; *added 0 when uid had voted already),
 * 404 (no such published answer) or 403 (uid's own answer); *helpful the
 * answer's count after. */
enum err questions_vote(struct db *db, struct arena *a, int64_t uid, int64_t answer_id, int *status,
			int *added, int64_t *helpful);

/* ---- moderation ---- */

enum q_kind { QK_QUESTION, QK_ANSWER };

/* The queue: questions and answers with this status ("pending",
 * "rejected", "published"), oldest first, at most 100 of each, with their
 * reasons and products; never those on products admin_uid sells. */
enum err questions_queue(struct db *db, struct arena *a, const char *status, int64_t admin_uid,
			 struct q_text **qs, size_t *nq, struct q_text **as, size_t *na);
/* Publishes (reason NULL) or rejects (reason: 1..QUESTIONS_REASON_MAX
 * characters, E_INVAL otherwise) the question or answer id, emitting its
 * event when its state changes; *out the text after. E_NOTFOUND when
 * there is none, or admin_uid runs the product's seller. */
enum err questions_moderate(struct db *db, struct arena *a, enum q_kind kind, int64_t id, int publish,
			    const char *reason, int64_t admin_uid, struct q_text *out);
/* One text by id, any status (for the API's answers). */
enum err questions_get(struct db *db, struct arena *a, enum q_kind kind, int64_t id, struct q_text *out);

/* ---- for the mails (app/notify/notify_questions.c) ---- */

struct q_mail {
	int64_t to_uid;
	const char *to, *to_name;		/* the address and the person's name */
	const char *product_title, *product_slug;
	int64_t product_id, question_id, answer_id;
	const char *question, *answer, *by, *author;
};
/* The seller's mail for a published question (E_NOTFOUND when it is no
 * longer published, the seller has no address, or the seller asked it). */
enum err questions_mail_question(struct db *db, struct arena *a, int64_t question_id, struct q_mail *m);
/* The asker's mail for a published answer (E_NOTFOUND when either is no
 * longer published, or the asker answered their own question). */
enum err questions_mail_answer(struct db *db, struct arena *a, int64_t answer_id, struct q_mail *m);

#endif
