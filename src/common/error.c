#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vset(struct error *e, int code, const char *fmt, va_list ap)
{
	if (e) {
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		e->code = code;
	}
	return code;
}

int error_set(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	memset(e, 0, sizeof(*e));
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int error_at(struct error *e, int code, const char *file, unsigned line, const char *key,
	     const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	memset(e, 0, sizeof(*e));
	e->file = file;
	e->line = line;
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int error_prefix(struct error *e, const char *fmt, ...)
{
	char head[ERROR_MSG_MAX];
	size_t h;
	va_list ap;

	if (!e)
		return 0;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* "HEAD: " then as much of the old message as still fits. */
	h = strlen(head);
	if (h > sizeof(e->msg) - 3)
		h = sizeof(e->msg) - 3;
	memmove(e->msg + h + 2, e->msg, sizeof(e->msg) - h - 3);
	e->msg[sizeof(e->msg) - 1] = '\0';
	memcpy(e->msg, head, h);
	e->msg[h] = ':';
	e->msg[h + 1] = ' ';
	return e->code;
}

char *error_format(const struct error *e, char *buf, size_t size)
{
	size_t n = 0;
	int r;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (e->file) {
		r = e->line ? snprintf(buf, size, "%s:%u: ", e->file, e->line)
			    : snprintf(buf, size, "%s: ", e->file);
		n = r < 0 ? 0 : (size_t)r < size ? (size_t)r : size - 1;
	}
	if (e->key[0] && n < size) {
		r = snprintf(buf + n, size - n, "%s: ", e->key);
		n += r < 0 ? 0 : (size_t)r < size - n ? (size_t)r : size - n - 1;
	}
	if (n < size)
		snprintf(buf + n, size - n, "%s", e->msg);
	return buf;
}
