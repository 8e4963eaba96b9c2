/* Test cards: the numbers a buyer types on the hosted page and the pm_card_*
 * tokens the API accepts, with the outcome each one produces. Nothing here
 * keeps a card number: callers get brand and last four digits only. */
#ifndef PAYGATE_CARD_H
#define PAYGATE_CARD_H

#include "pg.h"

enum card_outcome {
	CARD_APPROVED,
	CARD_DECLINED,			/* card_declined / generic_decline */
	CARD_INSUFFICIENT_FUNDS,	/* card_declined / insufficient_funds */
	CARD_EXPIRED,			/* expired_card */
	CARD_PROCESSING_ERROR		/* processing_error (retryable) */
};

/* What an attempt knows about the card: never the number. */
struct card {
	char brand[16];		/* visa, mastercard, amex, unknown */
	char last4[5];
	enum card_outcome outcome;
};

/* A pm_card_* test token. PG_NOTFOUND for anything else. */
enum pg_err card_from_token(const char *token, struct card *c);

/* Why a typed card is refused before any authorization attempt. */
enum card_input_err {
	CARD_INPUT_OK = 0,
	CARD_INPUT_NUMBER,	/* incorrect_number: not 12-19 digits or fails Luhn */
	CARD_INPUT_EXPIRY,	/* invalid_expiry: not MM/YY, MM/YYYY, MMYY, MMYYYY (card.c), or month out of 1-12 */
	CARD_INPUT_CVC		/* invalid_cvc: not 3 digits (4 for amex) */
};

/* Checks what the buyer typed on the hosted page and fills c (brand, last4,
 * outcome; an expiry month already past gives CARD_EXPIRED). number may
 * contain spaces and dashes. The caller wipes its copy of the number. */
enum card_input_err card_from_input(const char *number, const char *expiry, const char *cvc,
				    struct card *c);

/* The error code, decline code (or NULL) and buyer-facing message of a
 * declining outcome. */
const char *card_error_code(enum card_outcome o);
const char *card_decline_code(enum card_outcome o);
const char *card_message(enum card_outcome o);

#endif
