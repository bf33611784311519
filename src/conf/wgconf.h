/* The wg-quick configuration format: parser, printers and the "strip"
 * filter.
 *
 * Reading follows wg(8) (src/config.c) for the keys it owns and wg-quick's
 * parse_options for the rest: keys and section names are case-insensitive;
 * '#' starts a comment that runs to the end of the line; whitespace around
 * keys and values is ignored; a key before any section, an unknown key and
 * an unknown section are errors; AllowedIPs, Address and DNS take comma
 * separated lists and accumulate when repeated, hooks accumulate in order,
 * and every other repeated key is overwritten by its last occurrence.
 * Where Rampart is stricter or looser than the reference tools, the
 * comment at the key's setter in wgconf.c says so.
 *
 * Sections and keys live in two tables in wgconf.c; each entry says who
 * owns it (wg(8), wg-quick or Rampart alone) and how to set and print it.
 * Adding a Rampart-only section or key is one entry there (plus its setter
 * and printer); strip output and the strip printer leave out everything
 * that wg(8) would reject. */
#ifndef RAMPART_CONF_WGCONF_H
#define RAMPART_CONF_WGCONF_H

#include "common/compiler.h"

#include <stddef.h>
#include <stdio.h>

struct conf;

enum {
	/* Larger inputs are refused before anything is parsed. */
	WGCONF_FILE_MAX = 16 << 20,
	/* Longest line, without its newline.  Long AllowedIPs lists can be
	 * split over repeated AllowedIPs lines, as wg(8) allows. */
	WGCONF_LINE_MAX = 16384,
	/* Enough for any wgconf_error_format() output with a file name of
	 * up to 1024 bytes. */
	WGCONF_ERROR_STRLEN = 1536,
};

/* Where and why parsing stopped. */
struct wgconf_error {
	const char *file; /* the name given to the parser; not copied */
	unsigned line;    /* 1-based; 0 if the error is about the whole file */
	char key[32];     /* canonical spelling ("PublicKey"), or "" */
	/* The offending token, quoted and escaped ("\"abc\""), shortened if
	 * long; "(hidden)" for secrets; "" if no single token is at fault. */
	char value[96];
	/* The whole message after "FILE:LINE: KEY: ", e.g.
	 * "invalid key \"abc\": not 44 characters of base64". */
	char msg[256];
};

enum wgconf_mode {
	WGCONF_FULL,  /* every setting Rampart knows, wg-quick syntax */
	WGCONF_STRIP, /* only what "wg setconf" accepts */
};

/* Parses a whole file held in buf (which need not be NUL-terminated;
 * filename is only used in messages).  Returns 0 and a new conf in *out,
 * or -EINVAL with *err filled in, or -ENOMEM.  Never prints. */
int wgconf_parse(const char *buf, size_t len, const char *filename,
		 struct conf **out, struct wgconf_error *err) warn_unused;

/* Validates buf exactly as wgconf_parse() does, then returns in *out a
 * copy of it without the lines that wg(8) would not accept: those that
 * set wg-quick or Rampart-only keys, and Rampart-only sections.  Like
 * "wg-quick strip", every other line (comments and blank lines too) is
 * kept, trimmed of leading and trailing spaces and tabs, and ends with a
 * newline.  Also drops an empty "AllowedIPs =" line, which wg(8) rejects.
 * *out is NUL-terminated, *out_len excludes the NUL; it may hold the
 * private key, so release it with wgconf_text_free(). */
int wgconf_strip(const char *buf, size_t len, const char *filename,
		 char **out, size_t *out_len, struct wgconf_error *err) warn_unused;

/* "FILE:LINE: KEY: MSG", leaving out the parts that are absent.  Returns
 * what snprintf() returns. */
int wgconf_error_format(char *buf, size_t size, const struct wgconf_error *err);

/* Renders conf in canonical form: [Interface] then each [Peer], keys in
 * the order of the key table, lists comma-joined on one line, hooks one
 * per line, keys in base64.  Returns a NUL-terminated string to release
 * with wgconf_text_free(), or NULL with errno (ENOMEM, or EINVAL for a
 * value that cannot be written, such as a hook containing '#'). */
char *wgconf_format(const struct conf *conf, enum wgconf_mode mode, size_t *len);
/* wgconf_format() to a stream: 0 or -errno.  The stream's own buffer is
 * not wiped; write secrets with write(2) where that matters. */
int wgconf_print(FILE *f, const struct conf *conf, enum wgconf_mode mode) warn_unused;
/* Wipes and frees text from wgconf_format() or wgconf_strip(). */
void wgconf_text_free(char *text, size_t len);

#endif
