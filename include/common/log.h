/* log.h -- operational messages for fronts and the CLI (never the core). */
#ifndef NATBOX_LOG_H
#define NATBOX_LOG_H

#include <stdbool.h>

/* verbosity: -1 warnings only, 0 + notices, 1 info, 2 debug. to_syslog:
 * daemon mode (syslog, facility daemon), else stderr. */
void log_init(int verbosity, bool to_syslog);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* + strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* shown unless quiet */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));	/* + strerror, exit 1 */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
