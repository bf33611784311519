/* The host's small files, read into text: rt_tables, resolvconf's
 * interface-order, a state file, a child's output (kernel settings are
 * sys/sysctl's).  Bounded, because none of them is ours to trust with
 * our memory. */
#ifndef RAMPART_SYS_HOSTFILE_H
#define RAMPART_SYS_HOSTFILE_H

#include "common/compiler.h"

#include <stddef.h>

struct textbuf;

/* Appends what fd holds, up to its end, to out: at most max bytes, and
 * -EFBIG (nothing appended) for more.  out->buf is a text afterwards even
 * when nothing was read ("" for an empty file).  0 or -errno. */
int hostfile_read_fd(int fd, size_t max, struct textbuf *out) warn_unused;

/* The same for path, opened read-only; -ENOENT if it is not there. */
int hostfile_read(const char *path, size_t max, struct textbuf *out) warn_unused;

#endif
