/* Small file-descriptor helpers shared by the programs. */
#ifndef RAMPART_COMMON_FILEIO_H
#define RAMPART_COMMON_FILEIO_H

#include "compiler.h"

#include <stddef.h>

/* Writes all len bytes, retrying short writes and EINTR; 0 or -errno.
 * write(2) directly, so no stdio buffer keeps a copy of secrets. */
int fileio_write_all(int fd, const void *buf, size_t len) warn_unused;

#endif
