/* HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2), the XChaCha20 subkey
 * derivation.  A leaf: plain arithmetic on bytes and a wipe of its state,
 * needing nothing of the crypto facade; crypto.c builds the
 * XChaCha20-Poly1305 cookie reply AEAD on it. */
#ifndef RAMPART_CRYPTO_HCHACHA20_H
#define RAMPART_CRYPTO_HCHACHA20_H

#include <stdint.h>

enum {
	HCHACHA20_KEY_LEN = 32,   /* key in, subkey out */
	HCHACHA20_NONCE_LEN = 16, /* the first 16 bytes of an XChaCha20 nonce */
};

void crypto_hchacha20(uint8_t out[HCHACHA20_KEY_LEN], const uint8_t key[HCHACHA20_KEY_LEN],
		      const uint8_t nonce[HCHACHA20_NONCE_LEN]);

#endif
