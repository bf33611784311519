/* The one error shape of the operations code.  A function that fails
 * fills the caller's struct error and returns its negative errno; the
 * CLI alone prints it (error_format), so library code never writes to a
 * terminal.  Where the fault lies in a file (a config line, a key, its
 * value) the error says so in fields of their own, so that a caller can
 * show them, and a later --json can carry them, without parsing text.
 *
 * Secrets: value holds the offending token quoted, or "(hidden)" when it
 * is or looks like a key; no message may carry a private key. */
#ifndef RAMPART_COMMON_ERROR_H
#define RAMPART_COMMON_ERROR_H

#include <stddef.h>

enum {
	ERROR_FILE_MAX = 1024,
	ERROR_KEY_MAX = 64,
	ERROR_VALUE_MAX = 96,
	/* nft's messages for a refused batch run to a few KiB. */
	ERROR_MSG_MAX = 4096,
	/* Enough for any error_format() output. */
	ERROR_STRLEN = ERROR_FILE_MAX + 16 + ERROR_KEY_MAX + ERROR_MSG_MAX,
};

struct error {
	int code;                   /* negative errno; 0 while there is none */
	char file[ERROR_FILE_MAX];  /* the file at fault, shortened; "" if none */
	unsigned line;              /* 1-based line in file; 0 if none */
	char key[ERROR_KEY_MAX];    /* the key at fault ("PublicKey"), or "" */
	char value[ERROR_VALUE_MAX];/* the offending token, quoted, or "" */
	char msg[ERROR_MSG_MAX];    /* why, or the whole message if no file */
};

/* Clears every field. */
void error_clear(struct error *e);

/* Sets code and the message (fields of a location are cleared) and
 * returns code, so that callers write `return error_fail(err, -EINVAL,
 * "...", ...)`.  err may be NULL: nothing is recorded. */
int error_fail(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same for a fault in file (which may be e->file) at line (0: the
 * whole file) and key (NULL or "": none); value is left as the caller
 * set it. */
int error_fail_at(struct error *e, int code, const char *file, unsigned line, const char *key,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Puts "WHAT: " in front of the message (what may hold a file name), for
 * a caller that adds where it was: "wg0.conf: ..." stays one line. */
void error_prefix(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: KEY: MSG", leaving out what is absent ("FILE: MSG" without
 * a line, "MSG" without a file).  Returns buf. */
const char *error_format(const struct error *e, char *buf, size_t size);

#endif
