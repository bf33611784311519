/* Key encodings: base64 (wg's config and CLI format) and lowercase hex (the
 * control socket's format).  Both directions run in constant time with
 * respect to the key bytes, so that encoding a private key leaks nothing
 * through timing; only the validity of the input may be inferred. */
#ifndef RAMPART_COMMON_ENCODING_H
#define RAMPART_COMMON_ENCODING_H

#include "compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	KEY_LEN = 32,
	KEY_B64_LEN = 44, /* ((32 + 2) / 3) * 4, ends in one '=' */
	KEY_HEX_LEN = 64,
};

/* out receives 44 characters and a NUL. */
void encoding_key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN]);
/* Accepts exactly 44 characters of standard base64 ending in '=' whose
 * unused low bits are zero, as wg(8) does; key is untouched on failure. */
bool encoding_key_from_base64(uint8_t key[KEY_LEN], const char *b64) warn_unused;
/* out receives 64 lowercase hex digits and a NUL. */
void encoding_key_to_hex(char out[KEY_HEX_LEN + 1], const uint8_t key[KEY_LEN]);
/* Accepts exactly 64 hex digits (either case); key untouched on failure. */
bool encoding_key_from_hex(uint8_t key[KEY_LEN], const char *hex) warn_unused;
/* Constant-time test for the all-zero key ("no key" on the wire). */
bool encoding_key_is_zero(const uint8_t key[KEY_LEN]) warn_unused;

#endif
