/* What the control-socket fuzz targets check of every error message they
 * see: no key in it (uapi.h, client.h).  A key, hex or base64, is a run
 * of 32 or more characters of their alphabets; the check is written
 * again here, naively, rather than taken from uapi_looks_like_key(). */
#ifndef RAMPART_TESTS_FUZZ_KEYRUN_H
#define RAMPART_TESTS_FUZZ_KEYRUN_H

#include <stdbool.h>
#include <stddef.h>

/* A run of 32 characters of the hex and base64 alphabets in s, as
 * quoted for an error: an escape (\x11, \") stands for a byte outside
 * them. */
static inline bool has_key_run(const char *s)
{
	size_t run = 0;

	for (; *s; s++) {
		char c = *s;

		if (c == '\\') {
			run = 0;
			if (s[1] == 'x' && s[2] && s[3])
				s += 3;
			else if (s[1])
				s++;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=') {
			if (++run >= 32)
				return true;
		} else {
			run = 0;
		}
	}
	return false;
}

#endif
