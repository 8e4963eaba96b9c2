/* The admin's webhooks pages and API (app/webhook/webhook_pages.c). */
#ifndef WEBHOOK_WEBHOOK_PAGES_H
#define WEBHOOK_WEBHOOK_PAGES_H

#include "../core/err.h"

struct ctx;

enum err h_admin_webhooks(struct ctx *c);
enum err h_admin_webhooks_create(struct ctx *c);
enum err h_admin_webhook_log(struct ctx *c);
enum err h_admin_webhook_delete(struct ctx *c);
enum err h_admin_webhook_enable(struct ctx *c);
enum err h_api_webhooks_create(struct ctx *c);
enum err h_api_webhooks_list(struct ctx *c);
enum err h_api_webhooks_get(struct ctx *c);
enum err h_api_webhooks_delete(struct ctx *c);

#endif
