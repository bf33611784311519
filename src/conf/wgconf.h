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
 * Sections and keys live in tables: wg(8)'s and wg-quick's in wgconf.c,
 * Rampart's own in the room that owns them, which registers them with
 * wgconf_register() (the firewall registers [Policy], [Interface] Policy
 * and [Peer] Forward and Egress: firewall/policykeys.c) and keeps what
 * they say in its own block of the conf (conf_register_ext()).  Each
 * entry says who owns it and how to set and print it; strip output and
 * the strip printer leave out everything that wg(8) would reject. */
#ifndef RAMPART_CONF_WGCONF_H
#define RAMPART_CONF_WGCONF_H

#include "common/compiler.h"
#include "common/error.h"

#include <stddef.h>
#include <stdio.h>

struct conf;
struct conf_peer;
struct conf_prefix;
struct textbuf;

enum {
	/* Larger inputs are refused before anything is parsed. */
	WGCONF_FILE_MAX = 16 << 20,
	/* Longest line, without its newline.  Long AllowedIPs lists can be
	 * split over repeated AllowedIPs lines, as wg(8) allows. */
	WGCONF_LINE_MAX = 16384,
};

enum wgconf_mode {
	WGCONF_FULL,  /* every setting Rampart knows, wg-quick syntax */
	WGCONF_STRIP, /* only what "wg setconf" accepts */
};

/* Parses a whole file held in buf (which need not be NUL-terminated;
 * filename is only used in messages).  Returns 0 and a new conf in *out,
 * or -EINVAL with *err filled in, or -ENOMEM.  Never prints.  An error
 * names the file ("(input)" for NULL), the line (0 when it is about the
 * whole file), the key in its canonical spelling and the offending token
 * in err->value (quoted, "(hidden)" for secrets; "" when no one token is
 * at fault), with the message after "FILE:LINE: KEY: " in err->msg, e.g.
 * "invalid key \"abc\": not 44 characters of base64". */
int wgconf_parse(const char *buf, size_t len, const char *filename,
		 struct conf **out, struct error *err) warn_unused;

/* Validates buf exactly as wgconf_parse() does, then returns in *out a
 * copy of it without the lines that wg(8) would not accept: those that
 * set wg-quick or Rampart-only keys, and Rampart-only sections.  Like
 * "wg-quick strip", every other line (comments and blank lines too) is
 * kept, trimmed of leading and trailing spaces and tabs, and ends with a
 * newline.  Also drops an empty "AllowedIPs =" line, which wg(8) rejects.
 * *out is NUL-terminated, *out_len excludes the NUL; it may hold the
 * private key, so release it with wgconf_text_free(). */
int wgconf_strip(const char *buf, size_t len, const char *filename,
		 char **out, size_t *out_len, struct error *err) warn_unused;

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

/* --- keys and sections of higher rooms ------------------------------------- */

/* Who reads a section or key.  Strip output keeps only WGCONF_OWNER_WG. */
enum wgconf_owner {
	WGCONF_OWNER_WG,      /* wg(8) setconf */
	WGCONF_OWNER_WGQUICK, /* wg-quick's own keys */
	WGCONF_OWNER_RAMPART, /* Rampart alone; wg and wg-quick reject it */
};

enum wgconf_key_flags {
	/* "Key =" is meaningful.  Every other key needs a value, as in wg(8),
	 * whose key matcher never matches "Key=" alone. */
	WGCONF_KEY_EMPTY_OK = 1 << 0,
};

/* The parser at the line being read; opaque to setters. */
struct wgconf_ctx;

struct wgconf_key {
	const char *section; /* canonical name: "Interface", "Peer", "Policy" */
	const char *name;    /* canonical spelling, matched case-insensitively */
	enum wgconf_owner owner;
	unsigned flags;      /* enum wgconf_key_flags */
	int arg;             /* for setters and printers shared by several keys */
	/* value is trimmed, NUL-terminated and may be modified; 0 or an
	 * error from one of the wgconf_fail_*() below. */
	int (*set)(struct wgconf_ctx *ctx, const struct wgconf_key *k, char *value);
	/* Writes zero or more "Key = value" lines for instance idx of the
	 * section (the peer's index for [Peer] keys). */
	void (*print)(struct textbuf *o, const struct wgconf_key *k,
		      const struct conf *conf, size_t idx);
};

struct wgconf_section {
	const char *name;
	enum wgconf_owner owner;
	/* Called at the header; may create the instance.  May be NULL. */
	int (*begin)(struct wgconf_ctx *ctx);
	/* Called at the next header or at the end of the file.  May be NULL. */
	int (*end)(struct wgconf_ctx *ctx);
	/* How many instances the printer writes. */
	size_t (*instances)(const struct conf *conf);
};

/* What a room registers: its own sections, printed after [Peer] in this
 * order, and its keys, printed after the built-in keys of their section. */
struct wgconf_ext {
	const struct wgconf_section *sections;
	size_t n_sections;
	const struct wgconf_key *keys;
	size_t n_keys;
};

/* Makes the parser and printer take ext's sections and keys, from now on
 * (registering the same ext again changes nothing).  Only Rampart's own
 * keys and sections may be registered (-EINVAL otherwise); -ENOSPC past
 * CONF_EXT_MAX registrations, 16 sections or 128 keys in all.  Not thread-safe: do it at start-up. */
int wgconf_register(const struct wgconf_ext *ext) warn_unused;

/* For setters: the conf being filled, the [Peer] being read (NULL before
 * the first), and the line being read. */
struct conf *wgconf_ctx_conf(const struct wgconf_ctx *ctx);
struct conf_peer *wgconf_ctx_peer(const struct wgconf_ctx *ctx);
unsigned wgconf_ctx_line(const struct wgconf_ctx *ctx);
/* The setter's errors, with the file, line and key filled in: "invalid
 * WHAT "VALUE": WHY" (VALUE quoted, hidden if it looks like a key), and
 * an appender's -E2BIG or -ENOMEM.  Each returns what the setter returns. */
int wgconf_fail_value(struct wgconf_ctx *ctx, const char *what, const char *value,
		      const char *why);
int wgconf_fail_errno(struct wgconf_ctx *ctx, int ret);
/* Splits a list in place as wg-quick splits Address and DNS (commas and
 * whitespace both separate, empty items vanish): the next item, or NULL
 * at the end. */
char *wgconf_next_word(char **cursor);
/* s without leading and trailing whitespace, in place. */
char *wgconf_trim(char *s);
/* "NAME = P1, P2\n" for n prefixes; nothing when n is 0. */
void wgconf_print_prefixes(struct textbuf *o, const char *name, const struct conf_prefix *v,
			   size_t n);

#endif
