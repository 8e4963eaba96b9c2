/* Error codes shared by every module. 0 is success; functions return enum err
 * and clean up at one out: label. */
#ifndef CORE_ERR_H
#define CORE_ERR_H

enum err {
	E_OK = 0,
	E_NOMEM,	/* allocation failed */
	E_INVAL,	/* bad input: answered 400 */
	E_NOTFOUND,	/* no such thing: answered 404 */
	E_CONFLICT,	/* state conflict: answered 409 */
	E_TOOBIG,	/* over a size limit: answered 413 */
	E_UNAVAIL,	/* MariaDB or Redis unreachable: answered 503 */
	E_DB,		/* a database error that is not an outage */
	E_KV,		/* a Redis error that is not an outage */
	E_IO,		/* file or socket error */
	E_TEMPLATE,	/* template compile or render error */
	E_INTERNAL,	/* a bug: answered 500 */
	E_BUSY		/* another attempt of the same request is still running
			 * (e.g. the gateway's 409 idempotency_key_in_use):
			 * never a refusal; answered 409, retry later */
};

const char *err_str(enum err e);

#endif
