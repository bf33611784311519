/* Compiler attributes and small helpers used by every layer. */
#ifndef RAMPART_COMMON_COMPILER_H
#define RAMPART_COMMON_COMPILER_H

#define warn_unused __attribute__((warn_unused_result))
#define unused_fn __attribute__((unused))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include <stddef.h>
#include <string.h>

/* Wipes a secret: explicit_bzero is never optimized away as a dead
 * store.  For leaves that need nothing else (crypto/hchacha20.c); the
 * crypto facade has crypto_wipe. */
static inline void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

#ifdef RAMPART_DEBUG
#include <assert.h>
/* "Must hold" preconditions: checked in debug (test) builds only. */
#define debug_assert(x) assert(x)
#else
#define debug_assert(x) ((void)0)
#endif

#endif
