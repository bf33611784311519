/* The error buffers of the operations layer: a function that fails fills
 * the caller's err[errlen] with a message and returns its -errno. */
#ifndef RAMPART_COMMON_ERRBUF_H
#define RAMPART_COMMON_ERRBUF_H

#include <stddef.h>

/* Formats the message into err (NULL or errlen 0: no message) and returns
 * ret, so that callers write `return errbuf_fail(err, errlen, -EINVAL,
 * "...", ...)`. */
int errbuf_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
