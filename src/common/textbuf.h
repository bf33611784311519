/* A growing text buffer that wipes what it leaves behind: printed
 * configurations and control-socket replies hold private keys.  The first
 * error is kept and later output is dropped, so callers check once at the
 * end.  The text is always NUL-terminated. */
#ifndef RAMPART_COMMON_TEXTBUF_H
#define RAMPART_COMMON_TEXTBUF_H

#include "compiler.h"

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *buf;
	size_t len, cap;
	int err; /* first error (-errno); further output is dropped */
};

/* Room for extra more bytes (and the NUL); false once in error. */
bool textbuf_reserve(struct textbuf *t, size_t extra);
void textbuf_append(struct textbuf *t, const char *s, size_t n);
void textbuf_printf(struct textbuf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Records an error (the first one wins). */
void textbuf_fail(struct textbuf *t, int err);
/* Wipes and frees the buffer; the struct is empty again. */
void textbuf_wipe(struct textbuf *t);
/* Wipes and frees text handed out from a textbuf (NULL is a no-op). */
void textbuf_free_text(char *text, size_t len);

#endif
