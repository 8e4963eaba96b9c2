/* Logging to stderr (the embedded stack sends it to var/log/shopd.log):
 * one line per event with time, pid and level. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

void log_msg(char level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg('I', __VA_ARGS__)
#define log_warn(...) log_msg('W', __VA_ARGS__)
#define log_err(...)  log_msg('E', __VA_ARGS__)

#endif
