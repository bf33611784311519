/* The facts the audit reads, through one interface with a root prefix:
 * every path is absolute as on the host ("/etc/wireguard/wg0.conf") and
 * resolved under the root given at open ("/" on a host, a fixture tree in
 * the tests), so that every check runs unchanged against a temp dir.
 * Never prints; failures fill the caller's struct error. */
#ifndef RAMPART_AUDIT_FACTS_H
#define RAMPART_AUDIT_FACTS_H

#include "common/compiler.h"
#include "common/error.h"

#include <stddef.h>
#include <sys/stat.h>

/* Largest file the audit reads: a config of at most 16 MiB, as conf's. */
enum { AUDIT_READ_MAX = 16 << 20 };

struct audit_facts;

/* root NULL or "" is "/".  NULL with err filled in when root is not a
 * directory we can open. */
struct audit_facts *audit_facts_open(const char *root, struct error *err);
void audit_facts_close(struct audit_facts *f);

/* The file itself, not what a symbolic link points to: a link would let a
 * fixture (or a host) lead the audit outside the root. */
int audit_stat(struct audit_facts *f, const char *path, struct stat *st,
	       struct error *err) warn_unused;
/* The whole file, NUL-terminated; release with textbuf_free_text(*buf,
 * *len), as it may hold a private key. */
int audit_read(struct audit_facts *f, const char *path, char **buf, size_t *len,
	       struct error *err) warn_unused;
/* The names in a directory but "." and "..", sorted; release with
 * audit_names_free(). */
int audit_list_dir(struct audit_facts *f, const char *path, char ***names,
		   size_t *n, struct error *err) warn_unused;
void audit_names_free(char **names, size_t n);

#endif
