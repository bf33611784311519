#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void error_clear(struct error *e)
{
	memset(e, 0, sizeof(*e));
}

static int fail_v(struct error *e, int code, const char *file, unsigned line, const char *key,
		  const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	/* file may be e->file itself: then it stays as it is. */
	if (file != e->file)
		snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = file ? line : 0;
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int error_fail(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_v(e, code, NULL, 0, NULL, fmt, ap);
	va_end(ap);
	if (e)
		e->value[0] = '\0';
	return code;
}

int error_fail_at(struct error *e, int code, const char *file, unsigned line, const char *key,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_v(e, code, file, line, key, fmt, ap);
	va_end(ap);
	return code;
}

void error_prefix(struct error *e, const char *fmt, ...)
{
	char what[ERROR_MSG_MAX], rest[ERROR_MSG_MAX];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	memcpy(rest, e->msg, sizeof(rest));
	/* A message cut at ERROR_MSG_MAX is still one line. */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", what, rest) < 0)
		e->msg[0] = '\0';
}

const char *error_format(const struct error *e, char *buf, size_t size)
{
	char line[16] = "";

	if (!e->file[0]) {
		snprintf(buf, size, "%s", e->msg);
		return buf;
	}
	if (e->line)
		snprintf(line, sizeof(line), ":%u", e->line);
	snprintf(buf, size, "%s%s: %s%s%s", e->file, line, e->key, e->key[0] ? ": " : "",
		 e->msg);
	return buf;
}
