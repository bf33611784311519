/* Small file-descriptor helpers shared by the programs. */
#ifndef RAMPART_COMMON_FILEIO_H
#define RAMPART_COMMON_FILEIO_H

#include "compiler.h"

#include <stddef.h>

/* Writes all len bytes, retrying short writes and EINTR; 0 or -errno.
 * write(2) directly, so no stdio buffer keeps a copy of secrets. */
int fileio_write_all(int fd, const void *buf, size_t len) warn_unused;

/* Reads fd to its end, but at most max + 1 bytes, so that the caller can
 * refuse a larger file by name (*len > max).  The text is NUL-terminated
 * and every copy left behind while growing is wiped: configuration and
 * key files hold secrets.  0 with a new buffer in *out (free it with
 * textbuf_free_text(*out, *len)), or -errno. */
int fileio_read_bounded(int fd, size_t max, char **out, size_t *len) warn_unused;

/* Replaces dirfd/name with text, atomically: a temporary file in the same
 * directory (created exclusively, mode set exactly, synced) is renamed
 * over name, then the directory is synced, so a reader or a crash sees
 * the old file or the new one.  0 or -errno. */
int fileio_write_atomic(int dirfd, const char *name, const void *text, size_t len,
			unsigned mode) warn_unused;

/* Removes the temporaries fileio_write_atomic() makes for name
 * (".NAME.PID.N.tmp"), or for any name if name is NULL, in dirfd: what a
 * writer killed before its rename leaves.  Only for a caller that holds
 * whatever lock its writers hold, so that none of them is live.  The
 * number removed, or -errno if the directory cannot be read. */
int fileio_remove_temporaries(int dirfd, const char *name);

#endif
