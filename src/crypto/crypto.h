/* The one crypto facade.  Every primitive Rampart uses comes through here,
 * backed by OpenSSL 3 (libcrypto); the only primitive written in this tree
 * is HChaCha20 (hchacha20.c), for the XChaCha20-Poly1305 cookie reply.
 *
 * Threads: crypto_init() runs once before any other call.  A struct
 * crypto_aead is used by one thread at a time.  The one-shot functions
 * (hash, MACs, KDF, XAEAD, X25519) use per-thread scratch contexts that are
 * allocated on a thread's first call and reused afterwards, so the packet
 * and handshake paths do not allocate once warm; crypto_thread_uninit()
 * releases a thread's scratch. */
#ifndef RAMPART_CRYPTO_CRYPTO_H
#define RAMPART_CRYPTO_CRYPTO_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CRYPTO_KEY_LEN = 32,         /* ChaCha20 and X25519 keys */
	CRYPTO_AEAD_TAG_LEN = 16,    /* Poly1305 */
	CRYPTO_AEAD_NONCE_LEN = 12,  /* RFC 8439 */
	CRYPTO_XAEAD_NONCE_LEN = 24, /* draft-irtf-cfrg-xchacha */
	CRYPTO_HASH_LEN = 32,        /* BLAKE2s-256 */
	CRYPTO_BLAKE2S_BLOCK_LEN = 64,
	CRYPTO_MAC_LEN = 16,         /* WireGuard's keyed BLAKE2s MAC */
	CRYPTO_AEAD_MAX_LEN = 1 << 20, /* far above any datagram */
};

/* Fetches the algorithms from OpenSSL's default provider; 0 or -errno. */
int crypto_init(void) warn_unused;
void crypto_uninit(void);
void crypto_thread_uninit(void);

/* --- ChaCha20-Poly1305 (RFC 8439) ------------------------------------ */

/* A keyed AEAD context, reused for every packet of one key: no allocation
 * per packet. */
struct crypto_aead;

/* Returns a context or NULL with errno set. */
struct crypto_aead *crypto_aead_alloc(void);
void crypto_aead_free(struct crypto_aead *aead);
/* Sets (or replaces) the key; 0 or -errno. */
int crypto_aead_set_key(struct crypto_aead *aead, const uint8_t key[CRYPTO_KEY_LEN]) warn_unused;
/* Forgets the key (wiped). */
void crypto_aead_clear_key(struct crypto_aead *aead);

/* Seals len bytes of src into dst (len + 16 bytes: ciphertext then tag).
 * dst may equal src.  The nonce is given in full. */
bool crypto_aead_seal_nonce(struct crypto_aead *aead, uint8_t *dst,
			    const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t ad_len,
			    const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN]) warn_unused;
/* Opens len bytes of src (ciphertext then tag, len >= 16) into dst
 * (len - 16 bytes).  False, with dst wiped, if the tag does not verify. */
bool crypto_aead_open_nonce(struct crypto_aead *aead, uint8_t *dst,
			    const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t ad_len,
			    const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN]) warn_unused;
/* WireGuard's nonce: 32 zero bits then the 64-bit counter, little endian. */
bool crypto_aead_seal(struct crypto_aead *aead, uint8_t *dst,
		      const uint8_t *src, size_t len, const uint8_t *ad,
		      size_t ad_len, uint64_t counter) warn_unused;
bool crypto_aead_open(struct crypto_aead *aead, uint8_t *dst,
		      const uint8_t *src, size_t len, const uint8_t *ad,
		      size_t ad_len, uint64_t counter) warn_unused;

/* One-shot forms for keys used once (the handshake), on the calling
 * thread's scratch context. */
bool crypto_aead_seal_key(uint8_t *dst, const uint8_t *src, size_t len,
			  const uint8_t *ad, size_t ad_len, uint64_t counter,
			  const uint8_t key[CRYPTO_KEY_LEN]) warn_unused;
bool crypto_aead_open_key(uint8_t *dst, const uint8_t *src, size_t len,
			  const uint8_t *ad, size_t ad_len, uint64_t counter,
			  const uint8_t key[CRYPTO_KEY_LEN]) warn_unused;

/* --- XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) --------------------- */

bool crypto_xaead_seal(uint8_t *dst, const uint8_t *src, size_t len,
		       const uint8_t *ad, size_t ad_len,
		       const uint8_t nonce[CRYPTO_XAEAD_NONCE_LEN],
		       const uint8_t key[CRYPTO_KEY_LEN]) warn_unused;
bool crypto_xaead_open(uint8_t *dst, const uint8_t *src, size_t len,
		       const uint8_t *ad, size_t ad_len,
		       const uint8_t nonce[CRYPTO_XAEAD_NONCE_LEN],
		       const uint8_t key[CRYPTO_KEY_LEN]) warn_unused;
/* HChaCha20 itself, the subkey derivation, is in hchacha20.h. */

/* --- X25519 (RFC 7748) ------------------------------------------------ */

/* Clamps a scalar as RFC 7748 §5 decodes it. */
void crypto_x25519_clamp(uint8_t key[CRYPTO_KEY_LEN]);
/* A new clamped private key from the CSPRNG; 0 or -errno. */
int crypto_x25519_keygen(uint8_t priv[CRYPTO_KEY_LEN]) warn_unused;
/* pub = X25519(priv, 9). */
bool crypto_x25519_public(uint8_t pub[CRYPTO_KEY_LEN],
			  const uint8_t priv[CRYPTO_KEY_LEN]) warn_unused;
/* out = X25519(priv, pub).  False (out wiped) when the result is all zeros
 * (a low-order or twist point: WireGuard rejects it in every DH) or the
 * library fails. */
bool crypto_x25519(uint8_t out[CRYPTO_KEY_LEN], const uint8_t priv[CRYPTO_KEY_LEN],
		   const uint8_t pub[CRYPTO_KEY_LEN]) warn_unused;

/* A private key prepared for repeated DH.  OpenSSL derives the public key
 * whenever a raw private key is imported, so a DH from raw bytes costs two
 * scalar multiplications; a prepared key costs one per DH.  The handshake
 * keeps the static key and each ephemeral prepared. */
struct crypto_x25519_key;

/* Imports priv (clamped on use); pub receives its public key when not
 * NULL.  NULL on failure. */
struct crypto_x25519_key *crypto_x25519_key_import(const uint8_t priv[CRYPTO_KEY_LEN],
						   uint8_t *pub);
/* A new key from the CSPRNG (so tests fix it with the random override);
 * priv and pub receive it.  NULL on failure. */
struct crypto_x25519_key *crypto_x25519_key_generate(uint8_t priv[CRYPTO_KEY_LEN],
						     uint8_t pub[CRYPTO_KEY_LEN]);
void crypto_x25519_key_free(struct crypto_x25519_key *key);
/* As crypto_x25519 with a prepared key. */
bool crypto_x25519_key_dh(uint8_t out[CRYPTO_KEY_LEN], const struct crypto_x25519_key *key,
			  const uint8_t pub[CRYPTO_KEY_LEN]) warn_unused;

/* --- BLAKE2s (RFC 7693) and what WireGuard builds on it --------------- */

/* HASH(in) */
bool crypto_hash(uint8_t out[CRYPTO_HASH_LEN], const uint8_t *in, size_t len) warn_unused;
/* HASH(a || b): the Noise MixHash step without a copy. */
bool crypto_hash2(uint8_t out[CRYPTO_HASH_LEN], const uint8_t *a, size_t a_len,
		  const uint8_t *b, size_t b_len) warn_unused;
/* Keyed BLAKE2s with an out_len-byte digest (1..32), key 1..32 bytes. */
bool crypto_blake2s_mac(uint8_t *out, size_t out_len, const uint8_t *key,
			size_t key_len, const uint8_t *in, size_t len) warn_unused;
/* WireGuard's MAC(key, in): keyed BLAKE2s with a 16-byte output. */
bool crypto_mac(uint8_t out[CRYPTO_MAC_LEN], const uint8_t *key, size_t key_len,
		const uint8_t *in, size_t len) warn_unused;
/* HMAC (RFC 2104) over BLAKE2s-256, block size 64. */
bool crypto_hmac(uint8_t out[CRYPTO_HASH_LEN], const uint8_t *key, size_t key_len,
		 const uint8_t *in, size_t len) warn_unused;
/* WireGuard's KDF1/2/3: t1 always, t2 and t3 when not NULL (t3 requires
 * t2).  key is the 32-byte chaining key. */
bool crypto_kdf(uint8_t t1[CRYPTO_HASH_LEN], uint8_t *t2, uint8_t *t3,
		const uint8_t key[CRYPTO_HASH_LEN], const uint8_t *in,
		size_t len) warn_unused;

/* --- randomness, comparison, wiping ------------------------------------ */

/* Fills buf from getrandom(2) (or the test override); 0 or -errno. */
int crypto_random(void *buf, size_t len) warn_unused;
/* Tests only: replaces the CSPRNG (NULL restores it), for deterministic
 * handshakes and jitter.  Not thread-safe against concurrent crypto_random. */
void crypto_random_override(void (*fn)(void *arg, uint8_t *buf, size_t len), void *arg);
/* A uniformly random integer in [0, bound), bound > 0. */
int crypto_random_uniform(uint32_t bound, uint32_t *out) warn_unused;

/* Constant-time equality of n bytes. */
bool crypto_equal(const void *a, const void *b, size_t n) warn_unused;
/* Wipes memory in a way the compiler keeps. */
void crypto_wipe(void *p, size_t n);

#endif
