#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum log_level current = LOG_LEVEL_WARN;
static const char *prefix = "rampart";
static bool to_syslog, to_stderr = true;
static void (*syslog_hook)(int priority, const char *line);

void log_set_level(enum log_level level) { current = level; }
enum log_level log_get_level(void) { return current; }
void log_set_prefix(const char *p) { prefix = p; }

bool log_parse_level(const char *w, enum log_level *level)
{
	static const struct { const char *word; enum log_level level; } words[] = {
		{ "silent", LOG_LEVEL_SILENT }, { "error", LOG_LEVEL_ERROR },
		{ "warn", LOG_LEVEL_WARN },     { "info", LOG_LEVEL_INFO },
		{ "verbose", LOG_LEVEL_INFO },  { "debug", LOG_LEVEL_DEBUG },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcmp(w, words[i].word)) {
			*level = words[i].level;
			return true;
		}
	}
	return false;
}

void log_open_syslog(bool keep_stderr)
{
	if (!syslog_hook)
		openlog(prefix, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
	to_stderr = keep_stderr;
}

void log_set_syslog_hook(void (*hook)(int priority, const char *line))
{
	syslog_hook = hook;
}

static const char *const names[] = { "", "error", "warning", "info", "debug" };
static const int priorities[] = { LOG_ERR, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* One syslog record per line; a longer message is cut, not split. */
static void vlog_syslog(enum log_level level, unsigned long suppressed, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n >= 0 && suppressed && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n,
			 " (%lu similar messages suppressed)", suppressed);
	if (syslog_hook)
		syslog_hook(priorities[level], line);
	else
		syslog(priorities[level], "%s", line);
}

static void vlog(enum log_level level, unsigned long suppressed, const char *fmt, va_list ap)
{
	if (to_syslog) {
		va_list copy;

		va_copy(copy, ap);
		vlog_syslog(level, suppressed, fmt, copy);
		va_end(copy);
	}
	if (!to_stderr)
		return;
	/* One locked stream for the whole line: threads never interleave. */
	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", prefix, names[level]);
	vfprintf(stderr, fmt, ap);
	if (suppressed)
		fprintf(stderr, " (%lu similar messages suppressed)", suppressed);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current || level == LOG_LEVEL_SILENT)
		return;
	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void log_msg_ratelimited(enum log_level level, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	/* A token bucket in nanoseconds of CLOCK_MONOTONIC. */
	static uint64_t tokens = LOG_RATELIMIT_BURST * (1000000000ULL / LOG_RATELIMIT_PER_SEC);
	static uint64_t last;
	static unsigned long held_back;
	const uint64_t cost = 1000000000ULL / LOG_RATELIMIT_PER_SEC;
	const uint64_t max = LOG_RATELIMIT_BURST * cost;
	unsigned long suppressed = 0;
	struct timespec ts;
	bool pass = false;
	uint64_t now;
	va_list ap;

	if (level > current || level == LOG_LEVEL_SILENT)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&lock);
	if (last)
		tokens += now - last;
	if (tokens > max)
		tokens = max;
	last = now;
	if (tokens >= cost) {
		tokens -= cost;
		pass = true;
		suppressed = held_back;
		held_back = 0;
	} else {
		held_back++;
	}
	pthread_mutex_unlock(&lock);
	if (!pass)
		return;
	va_start(ap, fmt);
	vlog(level, suppressed, fmt, ap);
	va_end(ap);
}
