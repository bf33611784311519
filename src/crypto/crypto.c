/* The crypto facade over OpenSSL 3.  See crypto.h for the contract.
 *
 * Algorithms are fetched once (crypto_init) so that no call pays for a
 * provider lookup.  Contexts are created once and re-keyed: an
 * EVP_CIPHER_CTX keeps its ChaCha20 key and takes a new nonce per packet;
 * the per-thread scratch contexts serve the one-shot calls. */
#include "crypto.h"
#include "hchacha20.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static EVP_CIPHER *alg_chacha;  /* "ChaCha20-Poly1305" */
static EVP_MD *alg_blake2s;     /* "BLAKE2S-256" */
static EVP_MAC *alg_hmac;       /* "HMAC" */
static EVP_MAC *alg_blake2smac; /* "BLAKE2SMAC" */

/* One thread's contexts for the one-shot functions.  Owned by that thread
 * only (no lock); freed by crypto_thread_uninit() or at thread exit. */
struct scratch {
	EVP_CIPHER_CTX *cipher; /* keyed per call */
	EVP_MD_CTX *md;
	EVP_MAC_CTX *hmac;      /* digest fixed to BLAKE2s-256 */
	EVP_MAC_CTX *b2mac;
};

static __thread struct scratch *tls_scratch;
static pthread_key_t scratch_key;
static bool scratch_key_made;

static void (*random_fn)(void *arg, uint8_t *buf, size_t len);
static void *random_arg;

static void scratch_free(void *p)
{
	struct scratch *s = p;

	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->cipher);
	EVP_MD_CTX_free(s->md);
	EVP_MAC_CTX_free(s->hmac);
	EVP_MAC_CTX_free(s->b2mac);
	free(s);
}

static struct scratch *scratch_get(void)
{
	struct scratch *s = tls_scratch;
	OSSL_PARAM params[2];

	if (likely(s))
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cipher = EVP_CIPHER_CTX_new();
	s->md = EVP_MD_CTX_new();
	s->hmac = EVP_MAC_CTX_new(alg_hmac);
	s->b2mac = EVP_MAC_CTX_new(alg_blake2smac);
	if (!s->cipher || !s->md || !s->hmac || !s->b2mac)
		goto err_free;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"BLAKE2S-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(s->hmac, params))
		goto err_free;
	if (!EVP_CipherInit_ex2(s->cipher, alg_chacha, NULL, NULL, 1, NULL))
		goto err_free;
	tls_scratch = s;
	if (scratch_key_made)
		pthread_setspecific(scratch_key, s);
	return s;

err_free:
	scratch_free(s);
	return NULL;
}

void crypto_thread_uninit(void)
{
	if (scratch_key_made)
		pthread_setspecific(scratch_key, NULL);
	scratch_free(tls_scratch);
	tls_scratch = NULL;
}

int crypto_init(void)
{
	if (alg_chacha)
		return 0;
	alg_chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	alg_blake2s = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	alg_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	alg_blake2smac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	if (!alg_chacha || !alg_blake2s || !alg_hmac || !alg_blake2smac) {
		crypto_uninit();
		return -ENOSYS;
	}
	if (!scratch_key_made && pthread_key_create(&scratch_key, scratch_free) == 0)
		scratch_key_made = true;
	return 0;
}

void crypto_uninit(void)
{
	crypto_thread_uninit();
	if (scratch_key_made) {
		pthread_key_delete(scratch_key);
		scratch_key_made = false;
	}
	EVP_CIPHER_free(alg_chacha);
	EVP_MD_free(alg_blake2s);
	EVP_MAC_free(alg_hmac);
	EVP_MAC_free(alg_blake2smac);
	alg_chacha = NULL;
	alg_blake2s = NULL;
	alg_hmac = NULL;
	alg_blake2smac = NULL;
}

/* --- ChaCha20-Poly1305 -------------------------------------------------- */

struct crypto_aead {
	EVP_CIPHER_CTX *ctx; /* holds the key between packets */
	bool keyed;
};

struct crypto_aead *crypto_aead_alloc(void)
{
	struct crypto_aead *aead = calloc(1, sizeof(*aead));

	if (!aead)
		return NULL;
	aead->ctx = EVP_CIPHER_CTX_new();
	if (!aead->ctx) {
		free(aead);
		errno = ENOMEM;
		return NULL;
	}
	return aead;
}

void crypto_aead_free(struct crypto_aead *aead)
{
	if (!aead)
		return;
	EVP_CIPHER_CTX_free(aead->ctx); /* cleanses the key schedule */
	free(aead);
}

static bool cipher_set_key(EVP_CIPHER_CTX *ctx, const uint8_t key[CRYPTO_KEY_LEN])
{
	return EVP_CipherInit_ex2(ctx, alg_chacha, key, NULL, 1, NULL) == 1;
}

int crypto_aead_set_key(struct crypto_aead *aead, const uint8_t key[CRYPTO_KEY_LEN])
{
	aead->keyed = cipher_set_key(aead->ctx, key);
	return aead->keyed ? 0 : -EINVAL;
}

void crypto_aead_clear_key(struct crypto_aead *aead)
{
	static const uint8_t zero[CRYPTO_KEY_LEN];

	if (aead->keyed)
		(void)cipher_set_key(aead->ctx, zero);
	aead->keyed = false;
}

/* The per-packet work: a new nonce on a keyed context, AD, data, tag. */
static bool cipher_seal(EVP_CIPHER_CTX *ctx, uint8_t *dst, const uint8_t *src,
			size_t len, const uint8_t *ad, size_t ad_len,
			const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN])
{
	int outl;

	if (unlikely(len > CRYPTO_AEAD_MAX_LEN || ad_len > CRYPTO_AEAD_MAX_LEN))
		return false;
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 1, NULL))
		return false;
	if (ad_len && !EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)ad_len))
		return false;
	if (len && !EVP_CipherUpdate(ctx, dst, &outl, src, (int)len))
		return false;
	if (!EVP_CipherFinal_ex(ctx, dst + len, &outl))
		return false;
	return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CRYPTO_AEAD_TAG_LEN,
				   dst + len) == 1;
}

static bool cipher_open(EVP_CIPHER_CTX *ctx, uint8_t *dst, const uint8_t *src,
			size_t len, const uint8_t *ad, size_t ad_len,
			const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN])
{
	uint8_t tag[CRYPTO_AEAD_TAG_LEN], none;
	uint8_t *end;
	size_t plain;
	int outl;

	if (unlikely(len < CRYPTO_AEAD_TAG_LEN || len > CRYPTO_AEAD_MAX_LEN ||
		     ad_len > CRYPTO_AEAD_MAX_LEN))
		return false;
	plain = len - CRYPTO_AEAD_TAG_LEN;
	/* An empty plaintext may come without a buffer (the handshake
	 * response's, dst NULL), and NULL + 0 is undefined: Final, which
	 * writes no byte of a stream cipher, gets an address of its own. */
	end = plain ? dst + plain : &none;
	/* Copy the tag first: dst may overlap src. */
	memcpy(tag, src + plain, sizeof(tag));
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 0, NULL))
		goto fail;
	if (ad_len && !EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)ad_len))
		goto fail;
	if (plain && !EVP_CipherUpdate(ctx, dst, &outl, src, (int)plain))
		goto fail;
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, sizeof(tag), tag))
		goto fail;
	if (EVP_CipherFinal_ex(ctx, end, &outl) != 1)
		goto fail;
	return true;
fail:
	/* Never hand out unauthenticated plaintext. */
	if (plain)
		crypto_wipe(dst, plain);
	return false;
}

static void wg_nonce(uint8_t nonce[CRYPTO_AEAD_NONCE_LEN], uint64_t counter)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

bool crypto_aead_seal_nonce(struct crypto_aead *aead, uint8_t *dst,
			    const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t ad_len, const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN])
{
	return aead->keyed && cipher_seal(aead->ctx, dst, src, len, ad, ad_len, nonce);
}

bool crypto_aead_open_nonce(struct crypto_aead *aead, uint8_t *dst,
			    const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t ad_len, const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN])
{
	return aead->keyed && cipher_open(aead->ctx, dst, src, len, ad, ad_len, nonce);
}

bool crypto_aead_seal(struct crypto_aead *aead, uint8_t *dst, const uint8_t *src,
		      size_t len, const uint8_t *ad, size_t ad_len, uint64_t counter)
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return crypto_aead_seal_nonce(aead, dst, src, len, ad, ad_len, nonce);
}

bool crypto_aead_open(struct crypto_aead *aead, uint8_t *dst, const uint8_t *src,
		      size_t len, const uint8_t *ad, size_t ad_len, uint64_t counter)
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return crypto_aead_open_nonce(aead, dst, src, len, ad, ad_len, nonce);
}

/* One-shot AEAD with a full nonce on the thread's scratch context. */
static bool scratch_aead(bool seal, uint8_t *dst, const uint8_t *src, size_t len,
			 const uint8_t *ad, size_t ad_len,
			 const uint8_t nonce[CRYPTO_AEAD_NONCE_LEN],
			 const uint8_t key[CRYPTO_KEY_LEN])
{
	struct scratch *s = scratch_get();
	static const uint8_t zero[CRYPTO_KEY_LEN];
	bool ok;

	if (!s || !cipher_set_key(s->cipher, key))
		return false;
	ok = seal ? cipher_seal(s->cipher, dst, src, len, ad, ad_len, nonce)
		  : cipher_open(s->cipher, dst, src, len, ad, ad_len, nonce);
	/* Do not leave the key in the scratch context. */
	(void)cipher_set_key(s->cipher, zero);
	return ok;
}

bool crypto_aead_seal_key(uint8_t *dst, const uint8_t *src, size_t len,
			  const uint8_t *ad, size_t ad_len, uint64_t counter,
			  const uint8_t key[CRYPTO_KEY_LEN])
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return scratch_aead(true, dst, src, len, ad, ad_len, nonce, key);
}

bool crypto_aead_open_key(uint8_t *dst, const uint8_t *src, size_t len,
			  const uint8_t *ad, size_t ad_len, uint64_t counter,
			  const uint8_t key[CRYPTO_KEY_LEN])
{
	uint8_t nonce[CRYPTO_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return scratch_aead(false, dst, src, len, ad, ad_len, nonce, key);
}

/* --- XChaCha20-Poly1305 ------------------------------------------------- */

/* draft-irtf-cfrg-xchacha §2.3: subkey = HChaCha20(key, nonce[0..15]);
 * then ChaCha20-Poly1305 with the nonce 0^32 || nonce[16..23]. */
static bool xaead(bool seal, uint8_t *dst, const uint8_t *src, size_t len,
		  const uint8_t *ad, size_t ad_len,
		  const uint8_t nonce[CRYPTO_XAEAD_NONCE_LEN],
		  const uint8_t key[CRYPTO_KEY_LEN])
{
	uint8_t subkey[CRYPTO_KEY_LEN], n12[CRYPTO_AEAD_NONCE_LEN];
	bool ok;

	_Static_assert((int)HCHACHA20_KEY_LEN == (int)CRYPTO_KEY_LEN, "one key size");
	crypto_hchacha20(subkey, key, nonce);
	memset(n12, 0, 4);
	memcpy(n12 + 4, nonce + 16, 8);
	ok = scratch_aead(seal, dst, src, len, ad, ad_len, n12, subkey);
	crypto_wipe(subkey, sizeof(subkey));
	return ok;
}

bool crypto_xaead_seal(uint8_t *dst, const uint8_t *src, size_t len,
		       const uint8_t *ad, size_t ad_len,
		       const uint8_t nonce[CRYPTO_XAEAD_NONCE_LEN],
		       const uint8_t key[CRYPTO_KEY_LEN])
{
	return xaead(true, dst, src, len, ad, ad_len, nonce, key);
}

bool crypto_xaead_open(uint8_t *dst, const uint8_t *src, size_t len,
		       const uint8_t *ad, size_t ad_len,
		       const uint8_t nonce[CRYPTO_XAEAD_NONCE_LEN],
		       const uint8_t key[CRYPTO_KEY_LEN])
{
	return xaead(false, dst, src, len, ad, ad_len, nonce, key);
}

/* --- X25519 ------------------------------------------------------------- */

void crypto_x25519_clamp(uint8_t key[CRYPTO_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
}

int crypto_x25519_keygen(uint8_t priv[CRYPTO_KEY_LEN])
{
	int ret = crypto_random(priv, CRYPTO_KEY_LEN);

	if (ret)
		return ret;
	crypto_x25519_clamp(priv);
	return 0;
}

bool crypto_x25519_public(uint8_t pub[CRYPTO_KEY_LEN], const uint8_t priv[CRYPTO_KEY_LEN])
{
	EVP_PKEY *key;
	size_t len = CRYPTO_KEY_LEN;
	bool ok;

	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, CRYPTO_KEY_LEN);
	if (!key)
		return false;
	ok = EVP_PKEY_get_raw_public_key(key, pub, &len) == 1 && len == CRYPTO_KEY_LEN;
	EVP_PKEY_free(key); /* cleanses the private key copy */
	return ok;
}

/* The shared secret of a private EVP_PKEY and a raw public key. */
static bool derive(uint8_t out[CRYPTO_KEY_LEN], EVP_PKEY *key, const uint8_t pub[CRYPTO_KEY_LEN])
{
	static const uint8_t zero[CRYPTO_KEY_LEN];
	EVP_PKEY *peer;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = CRYPTO_KEY_LEN;
	bool ok = false;

	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, CRYPTO_KEY_LEN);
	if (!peer)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1)
		goto out;
	/* OpenSSL also refuses an all-zero result; checking here keeps the
	 * rule independent of the library. */
	ok = EVP_PKEY_derive(ctx, out, &len) == 1 && len == CRYPTO_KEY_LEN &&
	     !crypto_equal(out, zero, CRYPTO_KEY_LEN);
out:
	if (!ok)
		crypto_wipe(out, CRYPTO_KEY_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return ok;
}

bool crypto_x25519(uint8_t out[CRYPTO_KEY_LEN], const uint8_t priv[CRYPTO_KEY_LEN],
		   const uint8_t pub[CRYPTO_KEY_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, CRYPTO_KEY_LEN);
	bool ok = key && derive(out, key, pub);

	if (!key)
		crypto_wipe(out, CRYPTO_KEY_LEN);
	EVP_PKEY_free(key);
	return ok;
}

struct crypto_x25519_key *crypto_x25519_key_import(const uint8_t priv[CRYPTO_KEY_LEN],
						   uint8_t *pub)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, CRYPTO_KEY_LEN);
	size_t len = CRYPTO_KEY_LEN;

	if (key && pub && (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 ||
			   len != CRYPTO_KEY_LEN)) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return (struct crypto_x25519_key *)key;
}

struct crypto_x25519_key *crypto_x25519_key_generate(uint8_t priv[CRYPTO_KEY_LEN],
						     uint8_t pub[CRYPTO_KEY_LEN])
{
	struct crypto_x25519_key *key;

	if (crypto_x25519_keygen(priv))
		return NULL;
	key = crypto_x25519_key_import(priv, pub);
	if (!key)
		crypto_wipe(priv, CRYPTO_KEY_LEN);
	return key;
}

void crypto_x25519_key_free(struct crypto_x25519_key *key)
{
	EVP_PKEY_free((EVP_PKEY *)key); /* cleanses the private key */
}

bool crypto_x25519_key_dh(uint8_t out[CRYPTO_KEY_LEN], const struct crypto_x25519_key *key,
			  const uint8_t pub[CRYPTO_KEY_LEN])
{
	if (!key) {
		crypto_wipe(out, CRYPTO_KEY_LEN);
		return false;
	}
	return derive(out, (EVP_PKEY *)key, pub);
}

/* --- BLAKE2s ------------------------------------------------------------ */

bool crypto_hash2(uint8_t out[CRYPTO_HASH_LEN], const uint8_t *a, size_t a_len,
		  const uint8_t *b, size_t b_len)
{
	struct scratch *s = scratch_get();
	unsigned int len = CRYPTO_HASH_LEN;

	return s && EVP_DigestInit_ex2(s->md, alg_blake2s, NULL) == 1 &&
	       (!a_len || EVP_DigestUpdate(s->md, a, a_len) == 1) &&
	       (!b_len || EVP_DigestUpdate(s->md, b, b_len) == 1) &&
	       EVP_DigestFinal_ex(s->md, out, &len) == 1 && len == CRYPTO_HASH_LEN;
}

bool crypto_hash(uint8_t out[CRYPTO_HASH_LEN], const uint8_t *in, size_t len)
{
	return crypto_hash2(out, in, len, NULL, 0);
}

bool crypto_blake2s_mac(uint8_t *out, size_t out_len, const uint8_t *key,
			size_t key_len, const uint8_t *in, size_t len)
{
	struct scratch *s = scratch_get();
	OSSL_PARAM params[2];
	size_t got = 0;

	if (!s || out_len < 1 || out_len > CRYPTO_HASH_LEN || key_len < 1 ||
	    key_len > CRYPTO_KEY_LEN)
		return false;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &out_len);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_MAC_init(s->b2mac, key, key_len, params) == 1 &&
	       (!len || EVP_MAC_update(s->b2mac, in, len) == 1) &&
	       EVP_MAC_final(s->b2mac, out, &got, out_len) == 1 && got == out_len;
}

bool crypto_mac(uint8_t out[CRYPTO_MAC_LEN], const uint8_t *key, size_t key_len,
		const uint8_t *in, size_t len)
{
	return crypto_blake2s_mac(out, CRYPTO_MAC_LEN, key, key_len, in, len);
}

bool crypto_hmac(uint8_t out[CRYPTO_HASH_LEN], const uint8_t *key, size_t key_len,
		 const uint8_t *in, size_t len)
{
	static const uint8_t empty[1];
	struct scratch *s = scratch_get();
	size_t got = 0;

	/* A NULL key would make OpenSSL reuse the previous one: pass a real
	 * pointer even for the empty key. */
	if (!s || EVP_MAC_init(s->hmac, key_len ? key : empty, key_len, NULL) != 1)
		return false;
	return (!len || EVP_MAC_update(s->hmac, in, len) == 1) &&
	       EVP_MAC_final(s->hmac, out, &got, CRYPTO_HASH_LEN) == 1 &&
	       got == CRYPTO_HASH_LEN;
}

bool crypto_kdf(uint8_t t1[CRYPTO_HASH_LEN], uint8_t *t2, uint8_t *t3,
		const uint8_t key[CRYPTO_HASH_LEN], const uint8_t *in, size_t len)
{
	uint8_t t0[CRYPTO_HASH_LEN], buf[CRYPTO_HASH_LEN + 1];
	bool ok = false;

	/* t0 = HMAC(key, in); t1 = HMAC(t0, 0x1); ti = HMAC(t0, t(i-1) || i) */
	if (!crypto_hmac(t0, key, CRYPTO_HASH_LEN, in, len))
		goto out;
	buf[0] = 1;
	if (!crypto_hmac(buf, t0, sizeof(t0), buf, 1))
		goto out;
	memcpy(t1, buf, CRYPTO_HASH_LEN);
	if (t2) {
		buf[CRYPTO_HASH_LEN] = 2;
		if (!crypto_hmac(buf, t0, sizeof(t0), buf, sizeof(buf)))
			goto out;
		memcpy(t2, buf, CRYPTO_HASH_LEN);
	}
	if (t2 && t3) {
		buf[CRYPTO_HASH_LEN] = 3;
		if (!crypto_hmac(buf, t0, sizeof(t0), buf, sizeof(buf)))
			goto out;
		memcpy(t3, buf, CRYPTO_HASH_LEN);
	}
	ok = true;
out:
	crypto_wipe(t0, sizeof(t0));
	crypto_wipe(buf, sizeof(buf));
	return ok;
}

/* --- randomness, comparison, wiping ------------------------------------- */

void crypto_random_override(void (*fn)(void *arg, uint8_t *buf, size_t len), void *arg)
{
	random_fn = fn;
	random_arg = arg;
}

int crypto_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	if (random_fn) {
		random_fn(random_arg, p, len);
		return 0;
	}
	while (len) {
		ssize_t r = getrandom(p, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int crypto_random_uniform(uint32_t bound, uint32_t *out)
{
	/* Rejection sampling: accept only values below the largest multiple
	 * of bound, so every residue is equally likely. */
	uint32_t limit, v;
	int ret;

	if (bound == 0)
		return -EINVAL;
	limit = UINT32_MAX - (UINT32_MAX % bound);
	do {
		ret = crypto_random(&v, sizeof(v));
		if (ret)
			return ret;
	} while (v >= limit);
	*out = v % bound;
	return 0;
}

bool crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void crypto_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
