#include "textbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void textbuf_fail(struct textbuf *t, int err)
{
	if (!t->err)
		t->err = err;
}

bool textbuf_reserve(struct textbuf *t, size_t extra)
{
	size_t ncap;
	char *nbuf;

	if (t->err)
		return false;
	if (t->len + extra + 1 <= t->cap)
		return true;
	if (extra > SIZE_MAX / 4 - t->len) {
		textbuf_fail(t, -ENOMEM);
		return false;
	}
	ncap = t->cap ? t->cap : 1024;
	while (ncap < t->len + extra + 1)
		ncap *= 2;
	/* Never realloc: it could leave a copy of secrets behind. */
	nbuf = malloc(ncap);
	if (!nbuf) {
		textbuf_fail(t, -ENOMEM);
		return false;
	}
	if (t->buf) {
		memcpy(nbuf, t->buf, t->len + 1);
		explicit_bzero(t->buf, t->cap);
		free(t->buf);
	} else {
		nbuf[0] = '\0';
	}
	t->buf = nbuf;
	t->cap = ncap;
	return true;
}

void textbuf_append(struct textbuf *t, const char *s, size_t n)
{
	if (!textbuf_reserve(t, n))
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		textbuf_fail(t, -EINVAL);
		return;
	}
	if (!textbuf_reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void textbuf_wipe(struct textbuf *t)
{
	if (t->buf) {
		explicit_bzero(t->buf, t->cap);
		free(t->buf);
	}
	t->buf = NULL;
	t->len = t->cap = 0;
}

void textbuf_free_text(char *text, size_t len)
{
	if (!text)
		return;
	explicit_bzero(text, len);
	free(text);
}
