/* The response being built for one request. Handlers set status, headers and
 * either a body directly or a view model to be rendered. */
#ifndef HTTP_RESP_H
#define HTTP_RESP_H

#include <jansson.h>
#include "../core/buf.h"

#define RESP_MAX_HEADERS 16

struct resp {
	int status;
	const char *content_type;	/* default text/html; charset=utf-8 */
	const char *headers[RESP_MAX_HEADERS];	/* "Name: value" lines */
	int nheaders;
	struct buf body;

	/* Content negotiation: when model is set and body is empty, the pipeline
	 * renders template `view` (inside the layout) for browsers or model as
	 * JSON for API clients. The model is arena-owned. */
	json_t *model;
	const char *view;
	const char *title;	/* page <title> */
};

void resp_header(struct resp *rs, const char *line);	/* line is kept, not copied */

#endif
