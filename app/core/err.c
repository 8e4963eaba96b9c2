#include "err.h"

const char *err_str(enum err e)
{
	switch (e) {
	case E_OK: return "ok";
	case E_NOMEM: return "out of memory";
	case E_INVAL: return "invalid input";
	case E_NOTFOUND: return "not found";
	case E_CONFLICT: return "conflict";
	case E_TOOBIG: return "too large";
	case E_UNAVAIL: return "service unavailable";
	case E_DB: return "database error";
	case E_KV: return "redis error";
	case E_IO: return "i/o error";
	case E_TEMPLATE: return "template error";
	case E_INTERNAL: return "internal error";
	case E_BUSY: return "in progress";
	}
	return "unknown error";
}
