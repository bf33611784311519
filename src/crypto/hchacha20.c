/* HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): the one primitive written in
 * this tree, because OpenSSL 3 does not expose it.  It derives the
 * XChaCha20 subkey from a key and the first 16 bytes of the 24-byte nonce:
 * the ChaCha20 block function's 20 rounds over (constants, key, nonce),
 * without the final addition of the input, keeping state words 0-3 and
 * 12-15.  Checked against the draft's §2.2.1 vector in test_crypto. */
#include "hchacha20.h"

#include "common/compiler.h"

#include <stdint.h>

static inline uint32_t rotl(uint32_t v, int c)
{
	return (v << c) | (v >> (32 - c));
}

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* RFC 8439 §2.1 quarter round on four words of the state. */
#define QR(a, b, c, d)                                                     \
	do {                                                               \
		a += b; d ^= a; d = rotl(d, 16);                           \
		c += d; b ^= c; b = rotl(b, 12);                           \
		a += b; d ^= a; d = rotl(d, 8);                            \
		c += d; b ^= c; b = rotl(b, 7);                            \
	} while (0)

void crypto_hchacha20(uint8_t out[HCHACHA20_KEY_LEN], const uint8_t key[HCHACHA20_KEY_LEN],
		      const uint8_t nonce[HCHACHA20_NONCE_LEN])
{
	uint32_t x[16];
	int i;

	/* "expand 32-byte k" */
	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = load32(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = load32(nonce + 4 * i);

	for (i = 0; i < 10; i++) {
		/* column round */
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		/* diagonal round */
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}

	for (i = 0; i < 4; i++) {
		store32(out + 4 * i, x[i]);
		store32(out + 16 + 4 * i, x[12 + i]);
	}
	wipe(x, sizeof(x));
}
