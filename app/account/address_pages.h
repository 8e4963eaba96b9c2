/* The address book's pages and API (app/account/address_pages.c). */
#ifndef ACCOUNT_ADDRESS_PAGES_H
#define ACCOUNT_ADDRESS_PAGES_H

#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"

struct ctx;

enum err h_address_new(struct ctx *c);
enum err h_address_edit_form(struct ctx *c);
enum err h_address_edit(struct ctx *c);
enum err h_address_delete(struct ctx *c);
enum err h_address_default(struct ctx *c);
enum err h_api_addresses(struct ctx *c);
enum err h_api_address_create(struct ctx *c);
enum err h_api_address_get(struct ctx *c);
enum err h_api_address_update(struct ctx *c);
enum err h_api_address_delete(struct ctx *c);
/* The person's addresses as a JSON array in the API's shape (new
 * reference), for pages (the account page, checkout). */
enum err address_list(struct ctx *c, int64_t uid, json_t **out);

#endif
