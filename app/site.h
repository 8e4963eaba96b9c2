/* Site-wide pieces: the layout's data, health and robots endpoints, the
 * fingerprinted asset URLs. */
#ifndef SITE_H
#define SITE_H

#include <jansson.h>
#include "core/err.h"

struct ctx;

/* The pipeline's decorate hook: what the layout needs on a page's model. */
void site_decorate(struct ctx *c, json_t *model);

enum err h_healthz(struct ctx *c);
enum err h_robots(struct ctx *c);

/* The URL of a file under static/ with its content hash in the name
 * ("/static/app.3f2a9c81d0e4.css"); the file's plain URL if it cannot be read.
 * Computed once per worker; the string lives as long as the worker. */
const char *site_asset(const char *name);

#endif
