/* Test cards and the checks a card form makes before it authorizes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "card.h"

/* The documented test cards. The API takes the token, the hosted page the
 * number; both give the same card. */
static const struct test_card {
	const char *number, *token, *brand;
	enum card_outcome outcome;
} test_cards[] = {
	{ "4242424242424242", "pm_card_visa", "visa", CARD_APPROVED },
	{ "5555555555554444", "pm_card_mastercard", "mastercard", CARD_APPROVED },
	{ "378282246310005", "pm_card_amex", "amex", CARD_APPROVED },
	{ "4000000000000002", "pm_card_chargeDeclined", "visa", CARD_DECLINED },
	{ "4000000000009995", "pm_card_chargeDeclinedInsufficientFunds", "visa", CARD_INSUFFICIENT_FUNDS },
	{ "4000000000000069", "pm_card_chargeDeclinedExpiredCard", "visa", CARD_EXPIRED },
	{ "4000000000000119", "pm_card_chargeDeclinedProcessingError", "visa", CARD_PROCESSING_ERROR },
};

#define N_TEST_CARDS (sizeof(test_cards) / sizeof(test_cards[0]))

static void fill(struct card *c, const char *brand, const char *number, enum card_outcome o)
{
	size_t n = strlen(number);

	snprintf(c->brand, sizeof(c->brand), "%s", brand);
	snprintf(c->last4, sizeof(c->last4), "%s", number + (n > 4 ? n - 4 : 0));
	c->outcome = o;
}

enum pg_err card_from_token(const char *token, struct card *c)
{
	for (size_t i = 0; i < N_TEST_CARDS; i++) {
		if (!strcmp(token, test_cards[i].token)) {
			fill(c, test_cards[i].brand, test_cards[i].number, test_cards[i].outcome);
			return PG_OK;
		}
	}
	return PG_NOTFOUND;
}

static int luhn_ok(const char *digits, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';

		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

static const char *brand_of(const char *digits)
{
	if (digits[0] == '4')
		return "visa";
	if (digits[0] == '5' && digits[1] >= '1' && digits[1] <= '5')
		return "mastercard";
	if (digits[0] == '3' && (digits[1] == '4' || digits[1] == '7'))
		return "amex";
	return "unknown";
}

/* The expiry as people type it: "12/30", "12 / 30", "12/2030", "1/30",
 * "12-30", or the digits alone, "1230", "122030" (and "130" for 1/30);
 * blanks around it. 0 when it is none of these; else 1, with *past set
 * when the month is over. */
static int parse_expiry(const char *s, int *past)
{
	int month = 0, year = 0, n1 = 0, n2 = 0, sep = 0;
	char d[8];
	time_t now = time(NULL);
	struct tm tm;

	while (*s == ' ')
		s++;
	for (; isdigit((unsigned char)*s); s++) {
		if (n1 >= 6)
			return 0;
		d[n1++] = *s;
	}
	while (*s == ' ')
		s++;
	if (*s == '/' || *s == '-') {
		sep = 1;
		s++;
		while (*s == ' ')
			s++;
		for (; isdigit((unsigned char)*s); s++) {
			if (n2 >= 4)
				return 0;
			year = year * 10 + (*s - '0');
			n2++;
		}
		while (*s == ' ')
			s++;
	}
	if (*s)
		return 0;
	if (sep) {
		if (n1 < 1 || n1 > 2 || (n2 != 2 && n2 != 4))
			return 0;
		for (int i = 0; i < n1; i++)
			month = month * 10 + (d[i] - '0');
	} else {
		/* Digits alone: the year is the last two (or four, of six). */
		int ny = n1 == 6 ? 4 : 2, nm = n1 - ny;

		if (n1 < 3 || n1 > 6 || nm < 1 || nm > 2)
			return 0;
		for (int i = 0; i < nm; i++)
			month = month * 10 + (d[i] - '0');
		for (int i = nm; i < n1; i++)
			year = year * 10 + (d[i] - '0');
		n2 = ny;
	}
	if (month < 1 || month > 12)
		return 0;
	if (n2 == 2)
		year += 2000;
	gmtime_r(&now, &tm);
	/* A card is good through the last day of its expiry month. */
	*past = year < tm.tm_year + 1900 || (year == tm.tm_year + 1900 && month < tm.tm_mon + 1);
	return 1;
}

enum card_input_err card_from_input(const char *number, const char *expiry, const char *cvc,
				    struct card *c)
{
	char digits[24];
	size_t n = 0, cl = strlen(cvc);
	enum card_input_err rc = CARD_INPUT_NUMBER;
	int past = 0;

	for (const char *p = number; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (!isdigit((unsigned char)*p) || n >= 19)
			goto out;
		digits[n++] = *p;
	}
	digits[n] = '\0';
	if (n < 12 || !luhn_ok(digits, n))
		goto out;
	rc = CARD_INPUT_EXPIRY;
	if (!parse_expiry(expiry, &past))
		goto out;
	fill(c, brand_of(digits), digits, CARD_APPROVED);
	for (size_t i = 0; i < N_TEST_CARDS; i++)
		if (!strcmp(digits, test_cards[i].number))
			c->outcome = test_cards[i].outcome;
	rc = CARD_INPUT_CVC;
	if (cl != (strcmp(c->brand, "amex") ? 3u : 4u) || strspn(cvc, "0123456789") != cl)
		goto out;
	/* An expired card is a decline, not a typing error: the issuer is
	 * asked and says no, as a real gateway reports it. */
	if (past)
		c->outcome = CARD_EXPIRED;
	rc = CARD_INPUT_OK;
out:
	sodium_memzero(digits, sizeof(digits));
	return rc;
}

const char *card_error_code(enum card_outcome o)
{
	switch (o) {
	case CARD_DECLINED:
	case CARD_INSUFFICIENT_FUNDS: return "card_declined";
	case CARD_EXPIRED: return "expired_card";
	case CARD_PROCESSING_ERROR: return "processing_error";
	case CARD_APPROVED: break;
	}
	return NULL;
}

const char *card_decline_code(enum card_outcome o)
{
	switch (o) {
	case CARD_DECLINED: return "generic_decline";
	case CARD_INSUFFICIENT_FUNDS: return "insufficient_funds";
	default: return NULL;
	}
}

const char *card_message(enum card_outcome o)
{
	switch (o) {
	case CARD_APPROVED: return "The payment was authorized.";
	case CARD_DECLINED: return "Your card was declined.";
	case CARD_INSUFFICIENT_FUNDS: return "Your card has insufficient funds.";
	case CARD_EXPIRED: return "Your card has expired.";
	case CARD_PROCESSING_ERROR: return "An error occurred while processing your card. Try again in a little bit.";
	}
	return "";
}
