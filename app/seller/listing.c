/* The listing validator (listing.h). Rules first, words second: every rule
 * below is written once; `say` picks the field name and the wording of the
 * dialect that asked. */
#include <string.h>
#include <strings.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "import.h"
#include "listing.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int listing_code_ok(const char *s)
{
	size_t n = 0;

	if (!s || !is_alnum(s[0]))
		return 0;
	for (; s[n]; n++)
		if (!is_alnum(s[n]) && s[n] != '.' && s[n] != '_' && s[n] != '-')
			return 0;
	return n <= SKU_CODE_MAX;
}

void listing_add(struct listing_errors *errs, const char *field, const char *label, const char *message)
{
	if (errs->n < LISTING_ERRORS_MAX)
		errs->v[errs->n++] = (struct listing_error){ field ? field : "", label ? label : "",
							     message ? message : "is not valid" };
}

const char *listing_error_for(const struct listing_errors *errs, const char *field)
{
	for (int i = 0; errs && i < errs->n; i++)
		if (!strcmp(errs->v[i].field, field))
			return errs->v[i].message;
	return NULL;
}

/* ---- words ---- */

/* Each rule's message in the four dialects: form, API, bulk, demo. */
enum rule {
	M_REQUIRED,
	M_TITLE_LEN, M_TITLE_TEXT,
	M_DESC_LEN, M_DESC_TEXT,
	M_BRAND_LEN, M_BRAND_TEXT,
	M_CATEGORY,
	M_STATUS, M_STATUS_SUSPENDED,
	M_ATTRS_MANY, M_ATTR,
	M_CODE, M_CODE_DUP,
	M_PRICE, M_WEIGHT, M_QTY,
	M_OPTS_MANY, M_OPT_NAME, M_OPT_VALUE, M_OPT_HALF, M_OPT_TWICE, M_OPTS_SAME, M_OPTS_NEEDED,
	M_SKUS_MANY, M_SKUS_NEEDED,
	M_COUNT
};

static const char *const words[M_COUNT][4] = {
	[M_REQUIRED] = { "is required", "is required", "is required", "is required" },
	[M_TITLE_LEN] = {
		"must be from " STR(ITEM_TITLE_MIN) " to " STR(ITEM_TITLE_MAX) " characters long",
		"must be from " STR(ITEM_TITLE_MIN) " to " STR(ITEM_TITLE_MAX) " characters long",
		"must be from " STR(ITEM_TITLE_MIN) " to " STR(ITEM_TITLE_MAX) " characters long",
		"must be " STR(ITEM_TITLE_MIN) " to " STR(ITEM_TITLE_MAX) " characters" },
	[M_TITLE_TEXT] = { "must be text on one line", "must be text on one line",
			   "must be text without control characters", "must not contain control characters" },
	[M_DESC_LEN] = { "must be at most " STR(ITEM_DESC_MAX) " bytes long", "must be at most " STR(ITEM_DESC_MAX) " bytes long",
			 "must be at most " STR(ITEM_DESC_MAX) " bytes long", "must be at most " STR(ITEM_DESC_MAX) " bytes" },
	[M_DESC_TEXT] = { "must be valid text", "must be valid text", "must be valid UTF-8 text", "must be valid text" },
	[M_BRAND_LEN] = { "must be at most " STR(ITEM_BRAND_MAX) " characters on one line",
			  "must be at most " STR(ITEM_BRAND_MAX) " characters on one line",
			  "must be at most " STR(ITEM_BRAND_MAX) " characters long",
			  "must be 1 to " STR(ITEM_BRAND_MAX) " characters" },
	[M_BRAND_TEXT] = { "must be at most " STR(ITEM_BRAND_MAX) " characters on one line",
			   "must be at most " STR(ITEM_BRAND_MAX) " characters on one line",
			   "must be text without control characters", "must not contain control characters" },
	[M_CATEGORY] = { "must be one of the shop's categories (a subcategory such as smartphones)",
			 "must be one of the shop's categories (a subcategory such as smartphones)",
			 "is not a category you can list in: use the slug of a subcategory, such as smartphones",
			 "must be a slug: lowercase letters, digits and single dashes" },
	[M_STATUS] = { "must be draft, active or archived", "must be draft, active or archived",
		       "must be active, draft or archived", "must be draft, active or archived" },
	[M_STATUS_SUSPENDED] = { "cannot be set to suspended: only the shop suspends items",
				 "cannot be set to suspended: only the shop suspends items",
				 "must be active, draft or archived",
				 "cannot be set to suspended: only the shop suspends items" },
	[M_ATTRS_MANY] = { "are too many: at most " STR(ITEM_ATTR_MAX), "are too many: at most " STR(ITEM_ATTR_MAX),
			   "at most " STR(ITEM_ATTR_MAX) " attributes", "at most " STR(ITEM_ATTR_MAX) " attributes" },
	[M_ATTR] = { "must be at most " STR(ITEM_ATTR_VALUE_MAX) " characters on one line",
		     "must be at most " STR(ITEM_ATTR_VALUE_MAX) " characters on one line",
		     "each name must be 1 to " STR(ITEM_ATTR_NAME_MAX) " characters and each value text of at most "
		     STR(ITEM_ATTR_VALUE_MAX) " characters",
		     "each name must be 1 to " STR(ITEM_ATTR_NAME_MAX) " characters and each value text of at most "
		     STR(ITEM_ATTR_VALUE_MAX) " characters" },
	[M_CODE] = { "must be 1 to " STR(SKU_CODE_MAX) " letters, digits, dots, dashes or underscores, starting with a "
		     "letter or digit",
		     "must be 1 to " STR(SKU_CODE_MAX) " letters, digits, dots, dashes or underscores, starting with a "
		     "letter or digit",
		     "must be 1 to " STR(SKU_CODE_MAX) " letters, digits, '.', '_' or '-', starting with a letter or digit",
		     "must be 1 to " STR(SKU_CODE_MAX) " letters, digits, '.', '_' or '-', starting with a letter or digit" },
	[M_CODE_DUP] = { "is used by another variant of this item", "is used by another variant of this item",
			 "is used by another variant of this item", "is used by another variant of this item" },
	[M_PRICE] = { "must be an amount such as 12.34, from 0.00 to 1000000.00",
		      /* (sic) the API has always spelled the maximum so */
		      "must be a whole number of cents from 0 to " STR(ITEM_PRICE_MAX),
		      "must be an amount such as 12.34, from 0 to 1000000.00",
		      "must be a number >= 0 with at most 2 decimals, at most 1000000" },
	[M_WEIGHT] = { "must be a whole number of grams from 0 to " STR(ITEM_WEIGHT_MAX),
		       "must be a whole number of grams from 0 to " STR(ITEM_WEIGHT_MAX),
		       "must be a whole number from 0 to " STR(ITEM_WEIGHT_MAX),
		       "must be a number of kilograms from 0 to 1000" },
	[M_QTY] = { "must be a whole number from 0 to " STR(STOCK_QTY_MAX), "must be a whole number from 0 to " STR(STOCK_QTY_MAX),
		    "must be a whole number from 0 to " STR(STOCK_QTY_MAX), "must be a whole number from 0 to " STR(STOCK_QTY_MAX) },
	[M_OPTS_MANY] = { "may use at most " STR(ITEM_OPTIONS_MAX) " option names over the whole item",
			  "may use at most " STR(ITEM_OPTIONS_MAX) " option names over the whole item",
			  "may use at most " STR(ITEM_OPTIONS_MAX) " option names over the whole item",
			  "may use at most " STR(ITEM_OPTIONS_MAX) " option names over the whole item" },
	[M_OPT_NAME] = { "must be 1 to " STR(ITEM_ATTR_NAME_MAX) " characters of text",
			 "must be 1 to " STR(ITEM_ATTR_NAME_MAX) " characters of text",
			 "must be at most " STR(ITEM_ATTR_NAME_MAX) " characters long",
			 "must be at most " STR(ITEM_ATTR_NAME_MAX) " characters long" },
	/* The form's and the API's start with the option's name (below). */
	[M_OPT_VALUE] = { " must be 1 to " STR(ITEM_OPTION_VALUE_MAX) " characters of text",
			  " must be 1 to " STR(ITEM_OPTION_VALUE_MAX) " characters of text",
			  "must be at most " STR(ITEM_OPTION_VALUE_MAX) " characters long",
			  "must be at most " STR(ITEM_OPTION_VALUE_MAX) " characters long" },
	[M_OPT_HALF] = { "is required when the other half of the option is given",
			 "is required when the other half of the option is given",
			 "is required when the other half of the option is given",
			 "is required when the other half of the option is given" },
	[M_OPT_TWICE] = { "names an option twice", "names an option twice", "names an option twice",
			  "names an option twice" },
	[M_OPTS_SAME] = { "are the same as another variant's", "are the same as another variant's",
			  "are the same as another variant's", "are the same as another variant's" },
	[M_OPTS_NEEDED] = { "are needed: with several variants, give each an option (such as a color)",
			    "are needed: with several variants, give each an option (such as a color)",
			    "are needed: with several variants, give each an option (such as a color)",
			    "are needed: with several variants, give each an option (such as a color)" },
	[M_SKUS_MANY] = { "are too many: an item has at most " STR(ITEM_SKUS_MAX),
			  "are too many: an item has at most " STR(ITEM_SKUS_MAX),
			  "are too many: an item has at most " STR(ITEM_SKUS_MAX),
			  "are too many: an item has at most " STR(ITEM_SKUS_MAX) },
	[M_SKUS_NEEDED] = { "are needed: an active item has at least one active variant",
			    "are needed: an active item has at least one active variant",
			    "are needed: an active item has at least one active variant",
			    "are needed: an active item has at least one active variant" },
};

/* Field names: the item's own fields. */
enum part { F_TITLE, F_DESC, F_BRAND, F_CATEGORY, F_STATUS, F_ATTRS, F_SKUS, F_NPARTS };

static const char *const top_names[F_NPARTS][4] = {
	[F_TITLE] = { "title", "name", "title", "title" },
	[F_DESC] = { "description", "description", "description", "description" },
	[F_BRAND] = { "brand", "brand", "brand", "brand" },
	[F_CATEGORY] = { "category", "category", "category", "category" },
	[F_STATUS] = { "status", "status", "status", "status" },
	[F_ATTRS] = { "attrs", "attributes", "attributes", "attributes" },
	[F_SKUS] = { "variants", "skus", "sku", "sku" },
};

/* A SKU's parts. */
enum spart { S_CODE, S_PRICE, S_WEIGHT, S_QTY, S_OPTIONS, S_NPARTS };

static const char *const sku_names[S_NPARTS][4] = {
	[S_CODE] = { "code", "code", "sku", "sku" },
	[S_PRICE] = { "price", "price", "price", "price" },
	[S_WEIGHT] = { "weight", "weightGrams", "weight_grams", "weight" },
	[S_QTY] = { "qty", "quantity", "quantity", "stock" },
	[S_OPTIONS] = { "options", "options", "options", "options" },
};

static const char *const sku_labels[S_NPARTS] = {
	[S_CODE] = "SKU code", [S_PRICE] = "Price", [S_WEIGHT] = "Weight", [S_QTY] = "Initial quantity",
	[S_OPTIONS] = "Options",
};

struct run {
	struct arena *a;
	enum listing_dialect d;
	struct listing_errors *errs;
	int added;
};

static void say(struct run *r, const char *field, const char *label, const char *msg)
{
	listing_add(r->errs, field, label, msg);
	r->added++;
}

static void say_top(struct run *r, enum part f, const char *label, enum rule m)
{
	say(r, top_names[f][r->d], label, words[m][r->d]);
}

static const char *sku_field(struct arena *a, enum listing_dialect d, const struct listing_sku *s, int idx,
			     enum spart p)
{
	switch (d) {
	case LISTING_FORM:
		return arena_printf(a, "v%d.%s", s->row >= 0 ? s->row : idx, sku_names[p][d]);
	case LISTING_API:
		if (s->row >= 0)
			return arena_printf(a, "skus[%d].%s", s->row, sku_names[p][d]);
		return p == S_QTY ? "quantity" : "price";
	default:
		return sku_names[p][d];
	}
}

const char *listing_sku_field(struct arena *a, enum listing_dialect d, const struct listing_sku *s,
			      const char *what)
{
	for (int p = 0; p < S_NPARTS; p++)
		for (int k = 0; k < 4; k++)
			if (!strcmp(sku_names[p][k], what))
				return sku_field(a, d, s, s->row, (enum spart)p);
	return sku_field(a, d, s, s->row, S_CODE);
}

static void say_sku(struct run *r, const struct listing_sku *s, int idx, enum spart p, enum rule m)
{
	say(r, sku_field(r->a, r->d, s, idx, p), sku_labels[p], words[m][r->d]);
}

/* ---- rules ---- */

static int given(const char *s)
{
	return s && *s;
}

static int is_status(const char *s)
{
	return !strcmp(s, "draft") || !strcmp(s, "active") || !strcmp(s, "archived");
}

static void check_product(struct run *r, const struct listing *l)
{
	enum listing_dialect d = r->d;
	long n;

	/* Title: one line of ITEM_TITLE_MIN..MAX characters. */
	if (!given(l->title)) {
		if (d != LISTING_BULK)
			say_top(r, F_TITLE, "Title", M_REQUIRED);
	} else if ((n = text_chars(l->title, TEXT_LINE)) < 0) {
		say_top(r, F_TITLE, "Title", M_TITLE_TEXT);
	} else if (n < ITEM_TITLE_MIN || n > ITEM_TITLE_MAX) {
		say_top(r, F_TITLE, "Title", M_TITLE_LEN);
	}
	/* Description: text of lines, at most ITEM_DESC_MAX bytes. */
	if (!l->description) {
		if (d == LISTING_DEMO)
			say_top(r, F_DESC, "Description", M_REQUIRED);
	} else if (strlen(l->description) > ITEM_DESC_MAX) {
		say_top(r, F_DESC, "Description", M_DESC_LEN);
	} else if (text_chars(l->description, TEXT_MULTILINE) < 0) {
		say_top(r, F_DESC, "Description", M_DESC_TEXT);
	}
	/* Brand: optional, one line of at most ITEM_BRAND_MAX characters. */
	if (given(l->brand)) {
		if ((n = text_chars(l->brand, TEXT_LINE)) < 0)
			say_top(r, F_BRAND, "Brand", M_BRAND_TEXT);
		else if (n > ITEM_BRAND_MAX)
			say_top(r, F_BRAND, "Brand", M_BRAND_LEN);
	}
	/* Category: the slug of one (the caller asks the database which). */
	if (!given(l->category)) {
		if (d != LISTING_BULK)
			say_top(r, F_CATEGORY, "Category", M_REQUIRED);
	} else if (!catalog_slug_valid(l->category)) {
		say_top(r, F_CATEGORY, "Category", M_CATEGORY);
	}
	/* Status: what a seller may ask for; 'suspended' is the shop's, kept
	 * only by an item that has it. */
	if (given(l->status)) {
		if (!strcmp(l->status, "suspended")) {
			if (!l->status_now || strcmp(l->status_now, "suspended"))
				say_top(r, F_STATUS, "Status", M_STATUS_SUSPENDED);
		} else if (!is_status(l->status)) {
			say_top(r, F_STATUS, "Status", M_STATUS);
		}
	}
	/* Attributes: names and values of one line. */
	if (l->nattributes > ITEM_ATTR_MAX) {
		say_top(r, F_ATTRS, "Attributes", M_ATTRS_MANY);
		return;
	}
	for (int i = 0; i < l->nattributes; i++) {
		const struct listing_option *x = &l->attributes[i];
		long kn = text_chars(x->name, TEXT_LINE), vn = text_chars(x->value, TEXT_LINE);

		if (kn >= 1 && kn <= ITEM_ATTR_NAME_MAX && vn >= 0 && vn <= ITEM_ATTR_VALUE_MAX)
			continue;
		if (d == LISTING_FORM || d == LISTING_API) {
			say(r, arena_printf(r->a, d == LISTING_API ? "attributes.%s" : "attr.%s", x->name ? x->name : ""),
			    x->name, words[M_ATTR][d]);
		} else {
			say_top(r, F_ATTRS, NULL, M_ATTR);
			break;	/* one message for the column */
		}
	}
}

/* Two option lists that name the same values. */
static int same_options(const struct listing_sku *a, const struct listing_sku *b)
{
	if (a->noptions != b->noptions)
		return 0;
	for (int i = 0; i < a->noptions; i++) {
		int hit = 0;

		for (int j = 0; j < b->noptions && !hit; j++)
			hit = a->options[i].name && b->options[j].name && !strcmp(a->options[i].name, b->options[j].name) &&
			      a->options[i].value && b->options[j].value &&
			      !strcmp(a->options[i].value, b->options[j].value);
		if (!hit)
			return 0;
	}
	return 1;
}

/* A bulk row's options: option<k>_name / option<k>_value columns, both
 * halves or neither. */
static void check_row_options(struct run *r, const struct listing_sku *s)
{
	for (int k = 0; k < s->noptions; k++) {
		const struct listing_option *o = &s->options[k];
		const char *cn = arena_printf(r->a, "option%d_name", k + 1), *cv = arena_printf(r->a, "option%d_value", k + 1);
		long n;
		int twice = 0;

		if (!o->name && !o->value)
			continue;
		if (!o->name || !o->value) {
			say(r, o->name ? cv : cn, NULL, words[M_OPT_HALF][r->d]);
			continue;
		}
		for (int j = 0; j < k && !twice; j++)
			twice = s->options[j].name && s->options[j].value && !strcmp(s->options[j].name, o->name);
		if ((n = text_chars(o->name, TEXT_LINE)) < 1 || n > ITEM_ATTR_NAME_MAX)
			say(r, cn, NULL, words[M_OPT_NAME][r->d]);
		else if ((n = text_chars(o->value, TEXT_LINE)) < 1 || n > ITEM_OPTION_VALUE_MAX)
			say(r, cv, NULL, words[M_OPT_VALUE][r->d]);
		else if (twice)
			say(r, cn, NULL, words[M_OPT_TWICE][r->d]);
	}
}

/* The form's and the API's options: {"Color": "Red"}, at most
 * ITEM_OPTIONS_MAX names over the whole item. */
static void check_item_options(struct run *r, const struct listing_sku *s, int idx, const char **names, int *nnames)
{
	const char *f = sku_field(r->a, r->d, s, idx, S_OPTIONS);

	for (int k = 0; k < s->noptions; k++) {
		const struct listing_option *o = &s->options[k];
		int found = 0;
		long n;

		if (!o->name)
			continue;
		for (int j = 0; j < *nnames && !found; j++)
			found = !strcmp(names[j], o->name);
		if (!found) {
			if (*nnames == ITEM_OPTIONS_MAX) {
				say(r, f, "Options", words[M_OPTS_MANY][r->d]);
				break;
			}
			names[(*nnames)++] = o->name;
		}
		if ((n = text_chars(o->name, TEXT_LINE)) < 1 || n > ITEM_ATTR_NAME_MAX)
			say(r, f, "Option name", words[M_OPT_NAME][r->d]);
		else if ((n = text_chars(o->value, TEXT_LINE)) < 1 || n > ITEM_OPTION_VALUE_MAX)
			say(r, f, "Option value", arena_printf(r->a, "for %s%s", o->name, words[M_OPT_VALUE][r->d]));
	}
}

static void check_skus(struct run *r, struct listing *l)
{
	enum listing_dialect d = r->d;
	enum money_syntax syntax = d == LISTING_DEMO ? MONEY_JSON : MONEY_DECIMAL;
	const char *names[ITEM_OPTIONS_MAX];
	int nnames = 0, active = 0;

	for (int i = 0; i < l->nskus; i++) {
		struct listing_sku *s = &l->skus[i];

		if (s->skip)
			continue;
		active++;
		/* The code of a new SKU. */
		if (!s->existing && !s->generated) {
			if (!given(s->code)) {
				say_sku(r, s, i, S_CODE, M_REQUIRED);
			} else if (!listing_code_ok(s->code)) {
				say_sku(r, s, i, S_CODE, M_CODE);
			} else {
				int dup = 0;

				for (int j = 0; j < l->nskus && !dup; j++)
					dup = j != i && l->skus[j].code && !strcasecmp(l->skus[j].code, s->code) &&
					      (j < i || l->skus[j].existing);
				if (dup)
					say_sku(r, s, i, S_CODE, M_CODE_DUP);
			}
		}
		/* Price: required of a new SKU; exact cents, 0..ITEM_PRICE_MAX. */
		if (!(s->has & LISTING_PRICE)) {
			if (!s->existing)
				say_sku(r, s, i, S_PRICE, M_REQUIRED);
		} else if (s->price_text ? money_parse(s->price_text, syntax, ITEM_PRICE_MAX, &s->price) :
			   s->price < 0 || s->price > ITEM_PRICE_MAX) {
			say_sku(r, s, i, S_PRICE, M_PRICE);
		}
		/* Weight in grams, 0..ITEM_WEIGHT_MAX; blank is 0. */
		if (s->has & LISTING_WEIGHT) {
			if (s->weight_text && !*s->weight_text)
				s->weight = 0;
			else if (s->weight_text ? text_int64(s->weight_text, 0, ITEM_WEIGHT_MAX, &s->weight) :
				 s->weight < 0 || s->weight > ITEM_WEIGHT_MAX)
				say_sku(r, s, i, S_WEIGHT, M_WEIGHT);
		}
		/* The quantity a new SKU opens with (or a file sets). */
		if (!(s->has & LISTING_QTY)) {
			if (d == LISTING_DEMO)
				say_sku(r, s, i, S_QTY, M_REQUIRED);
		} else if (!s->existing && (s->qty_text ? text_int64(s->qty_text, 0, STOCK_QTY_MAX, &s->quantity) :
					    s->quantity < 0 || s->quantity > STOCK_QTY_MAX)) {
			say_sku(r, s, i, S_QTY, M_QTY);
		}
		if (d == LISTING_BULK) {
			check_row_options(r, s);
			continue;
		}
		check_item_options(r, s, i, names, &nnames);
		/* Two variants that cannot be told apart. */
		for (int j = 0; j < i; j++) {
			const struct listing_sku *o = &l->skus[j];

			if (!o->skip && same_options(o, s)) {
				say_sku(r, s, i, S_OPTIONS, s->noptions ? M_OPTS_SAME : M_OPTS_NEEDED);
				break;
			}
		}
	}
	if (!l->whole)
		return;
	if (active > ITEM_SKUS_MAX)
		say_top(r, F_SKUS, "Variants", M_SKUS_MANY);
	/* An item shoppers can buy has something to buy. */
	if (!active && given(l->status) && (!strcmp(l->status, "active") || !strcmp(l->status, "suspended")))
		say_top(r, F_SKUS, "Variants", M_SKUS_NEEDED);
}

int listing_check(struct arena *a, enum listing_dialect d, struct listing *l, struct listing_errors *errs)
{
	struct run r = { a, d, errs, 0 };

	if ((unsigned)d > LISTING_DEMO)
		d = r.d = LISTING_API;
	check_product(&r, l);
	check_skus(&r, l);
	return r.added;
}
