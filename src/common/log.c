#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level current = LOG_LEVEL_WARN;
static const char *prefix = "rampart";

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

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "warning", "info", "debug" };
	va_list ap;

	if (level > current || level == LOG_LEVEL_SILENT)
		return;
	fprintf(stderr, "%s: %s: ", prefix, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
