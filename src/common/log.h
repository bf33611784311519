/* Logging for every layer.  Messages go to stderr (or syslog once the
 * daemon has detached); the level is set once at start-up.  Anything a
 * remote party can trigger must use log_debug_ratelimited(). */
#ifndef RAMPART_COMMON_LOG_H
#define RAMPART_COMMON_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_SILENT = 0,
	LOG_LEVEL_ERROR = 1,
	LOG_LEVEL_WARN = 2,
	LOG_LEVEL_INFO = 3,
	LOG_LEVEL_DEBUG = 4,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info"/"verbose", "debug" or "silent"
 * (wireguard-go's LOG_LEVEL words); false if unknown. */
bool log_parse_level(const char *word, enum log_level *level);
/* Prefix for every line, e.g. the program name; not copied. */
void log_set_prefix(const char *prefix);
/* Once the daemon has detached: every line goes to syslog(3) under the
 * prefix as ident, with the pid, facility LOG_DAEMON (the journal reads
 * syslog), and to stderr as well only if keep_stderr.  Opens the
 * connection at once (LOG_NDELAY), before any sandbox.  Call it before
 * other threads log. */
void log_open_syslog(bool keep_stderr);
/* For tests: receives each syslog line (priority, text) in place of
 * syslog(3); NULL restores syslog(3). */
void log_set_syslog_hook(void (*hook)(int priority, const char *line));

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* At most LOG_RATELIMIT_BURST messages, then LOG_RATELIMIT_PER_SEC a
 * second, across every thread; what is held back is counted and reported
 * with the next message that passes.  For what a remote party triggers. */
enum { LOG_RATELIMIT_BURST = 10, LOG_RATELIMIT_PER_SEC = 5 };
void log_msg_ratelimited(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug_ratelimited(...) log_msg_ratelimited(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
