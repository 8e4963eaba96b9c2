/* What the console's pages files share (console_pages.h). */
#include <string.h>
#include "../core/arena.h"
#include "../core/text.h"
#include "../http/router.h"
#include "../http/server.h"
#include "../account/session_store.h"
#include "console_pages.h"

int64_t console_path_id(const struct ctx *c)
{
	const char *s = c->req->pathvar[0];
	int64_t id;

	if (!s || text_int64(s, 1, INT64_MAX, &id))
		return 0;
	return id;
}

const char *console_actor(const struct ctx *c)
{
	return arena_printf(c->a, "user:%lld", (long long)(c->sess ? c->sess->uid : 0));
}

enum err console_reply_fields(struct ctx *c, const char *title, int n, const char *const *field,
			      const char *const *message)
{
	json_t *fields = json_array(), *err;
	const char *msg = n ? arena_printf(c->a, "%s: %s", field[0], message[0]) : "Please check the form.";
	enum err e;

	e = reply_error_titled(c, 422, title, msg);
	for (int i = 0; i < n; i++)
		json_array_append_new(fields, json_pack("{s:s, s:s}", "field", field[i], "message", message[i]));
	err = c->resp->model ? json_object_get(c->resp->model, "error") : NULL;
	if (!e && err)
		json_object_set_new(err, "fields", fields);
	else
		json_decref(fields);
	return e;
}
