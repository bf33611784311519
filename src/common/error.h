/* The one error shape of the code under the CLI.  A function that can fail
 * for a reason a user must read takes a `struct error *` (NULL: the caller
 * wants only the return value), fills it and returns its -errno; library
 * code never prints it.  The CLI prints every error the same way, as text
 * or as JSON (cli_error()).
 *
 * file, line, key and value locate the fault in the user's input (a config
 * file, an argument, a control-socket reply) when there is one; msg says
 * what is wrong in a sentence without them. */
#ifndef RAMPART_COMMON_ERROR_H
#define RAMPART_COMMON_ERROR_H

#include <stddef.h>

enum {
	ERROR_KEY_MAX = 32,
	ERROR_VALUE_MAX = 96,
	ERROR_MSG_MAX = 1024,
	/* error_format()'s output: "FILE:LINE: KEY: MSG" with a path. */
	ERROR_STRLEN = 4096 + 16 + ERROR_KEY_MAX + ERROR_MSG_MAX,
};

struct error {
	int code;          /* -errno; 0 while nothing failed */
	const char *file;  /* the input at fault, or NULL; not copied */
	unsigned line;     /* 1-based line in file; 0 if none */
	char key[ERROR_KEY_MAX];     /* the key at fault ("PublicKey"), or "" */
	/* The offending token, quoted and escaped, shortened if long;
	 * "(hidden)" for secrets; "" if no single token is at fault. */
	char value[ERROR_VALUE_MAX];
	char msg[ERROR_MSG_MAX];
};

/* Clears e (NULL: nothing) and sets code and the message; returns code, so
 * that callers write `return error_set(err, -EINVAL, "...", ...)`. */
int error_set(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As error_set(), with the place in the input. */
int error_at(struct error *e, int code, const char *file, unsigned line, const char *key,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Puts "WHAT: " in front of the message (what the caller was doing) and
 * returns e->code; NULL: nothing. */
int error_prefix(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: KEY: MSG", leaving out the parts that are not set, into
 * buf[size]; returns buf. */
char *error_format(const struct error *e, char *buf, size_t size);

#endif
