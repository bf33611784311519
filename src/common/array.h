/* Growing arrays whose elements may hold secrets. */
#ifndef RAMPART_COMMON_ARRAY_H
#define RAMPART_COMMON_ARRAY_H

#include "compiler.h"

#include <stddef.h>

/* Makes room in *arr (holding n elements of size bytes, room for *cap)
 * for one more, doubling up to max elements.  The old array is wiped
 * and freed rather than realloc()ed, which could leave a copy of secrets
 * in freed memory.  0, -E2BIG at max, or -ENOMEM (nothing changed). */
int array_grow(void **arr, size_t *cap, size_t n, size_t size, size_t max) warn_unused;

#endif
