/* Micro-benchmark of the crypto facade beside raw OpenSSL, in one run.
 *
 * ChaCha20-Poly1305 seal and open of 64-byte and 1420-byte packets through
 * crypto_aead_seal/open (a keyed context reused per packet, the counter
 * nonce built inside) and through the same EVP calls written inline; the
 * difference is what the facade costs.  Rounds of each alternate and the
 * best round counts, which removes most scheduling noise.  Then X25519 and
 * the BLAKE2s functions the handshake uses.
 *
 * usage: bench_crypto [seconds-per-round]   (default 0.2; 5 rounds) */
#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static double round_secs = 0.2;
enum { ROUNDS = 5 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint8_t sink;

/* --- the raw OpenSSL reference ----------------------------------------- */

static EVP_CIPHER_CTX *raw_ctx;

static void raw_setup(const uint8_t key[32])
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);

	raw_ctx = EVP_CIPHER_CTX_new();
	if (!c || !raw_ctx || !EVP_CipherInit_ex2(raw_ctx, c, key, NULL, 1, NULL))
		abort();
	EVP_CIPHER_free(c);
}

static void raw_nonce(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 4);
	memcpy(nonce + 4, &counter, 8); /* little-endian host */
}

static int raw_seal(uint8_t *dst, const uint8_t *src, size_t len, uint64_t counter)
{
	uint8_t nonce[12];
	int outl;

	raw_nonce(nonce, counter);
	if (!EVP_CipherInit_ex2(raw_ctx, NULL, NULL, nonce, 1, NULL) ||
	    !EVP_CipherUpdate(raw_ctx, dst, &outl, src, (int)len) ||
	    !EVP_CipherFinal_ex(raw_ctx, dst + len, &outl) ||
	    !EVP_CIPHER_CTX_ctrl(raw_ctx, EVP_CTRL_AEAD_GET_TAG, 16, dst + len))
		return 0;
	return 1;
}

static int raw_open(uint8_t *dst, const uint8_t *src, size_t len, uint64_t counter)
{
	uint8_t nonce[12];
	int outl;

	raw_nonce(nonce, counter);
	if (!EVP_CipherInit_ex2(raw_ctx, NULL, NULL, nonce, 0, NULL) ||
	    !EVP_CipherUpdate(raw_ctx, dst, &outl, src, (int)len - 16) ||
	    !EVP_CIPHER_CTX_ctrl(raw_ctx, EVP_CTRL_AEAD_SET_TAG, 16,
				 (void *)(src + len - 16)) ||
	    EVP_CipherFinal_ex(raw_ctx, dst + len - 16, &outl) != 1)
		return 0;
	return 1;
}

/* --- the measured loops -------------------------------------------------- */

enum impl { FACADE, RAW };
enum op { SEAL, OPEN };

static struct crypto_aead *facade;
static uint8_t plain[2048], sealed[2048 + 16], out[2048 + 16];

/* Runs one round; returns operations per second. */
static double run(enum impl impl, enum op op, size_t len)
{
	uint64_t n = 0, batch = len < 256 ? 4096 : 1024;
	double start = now(), elapsed;

	do {
		for (uint64_t i = 0; i < batch; i++) {
			bool ok;
			if (op == SEAL)
				ok = impl == FACADE
					     ? crypto_aead_seal(facade, out, plain, len, NULL, 0, n + i)
					     : raw_seal(out, plain, len, n + i);
			else
				ok = impl == FACADE
					     ? crypto_aead_open(facade, out, sealed, len + 16, NULL, 0, 7)
					     : raw_open(out, sealed, len + 16, 7);
			if (!ok)
				abort();
		}
		n += batch;
		elapsed = now() - start;
	} while (elapsed < round_secs);
	sink = out[0];
	return (double)n / elapsed;
}

static void bench_aead(size_t len)
{
	static const char *const names[] = { "seal", "open" };

	for (int op = SEAL; op <= OPEN; op++) {
		double best[2] = { 0, 0 };
		for (int r = 0; r < ROUNDS; r++) {
			for (int impl = FACADE; impl <= RAW; impl++) {
				double v = run((enum impl)impl, (enum op)op, len);
				if (v > best[impl])
					best[impl] = v;
			}
		}
		double overhead = (best[RAW] / best[FACADE] - 1.0) * 100.0;
		printf("chacha20poly1305 %-4s %5zu B  facade %10.0f ops/s %8.1f MB/s   "
		       "raw openssl %10.0f ops/s %8.1f MB/s   facade cost %+5.1f%%\n",
		       names[op], len, best[FACADE], best[FACADE] * (double)len / 1e6,
		       best[RAW], best[RAW] * (double)len / 1e6, overhead);
	}
}

static void bench_x25519(void)
{
	uint8_t priv[32], pub[32], peer[32], shared[32];
	uint64_t n;
	double start, elapsed, best_dh = 0, best_pub = 0;

	if (crypto_x25519_keygen(priv) || crypto_x25519_keygen(peer) ||
	    !crypto_x25519_public(peer, peer))
		abort();
	for (int r = 0; r < ROUNDS; r++) {
		for (n = 0, start = now(); (elapsed = now() - start) < round_secs; n++)
			if (!crypto_x25519(shared, priv, peer))
				abort();
		if (n / elapsed > best_dh)
			best_dh = (double)n / elapsed;
		for (n = 0, start = now(); (elapsed = now() - start) < round_secs; n++)
			if (!crypto_x25519_public(pub, priv))
				abort();
		if (n / elapsed > best_pub)
			best_pub = (double)n / elapsed;
	}
	printf("x25519 shared secret     %10.0f ops/s\n", best_dh);
	printf("x25519 public from priv  %10.0f ops/s\n", best_pub);
}

static void bench_blake2s(void)
{
	uint8_t buf[148], h[32], key[32] = { 1 }, t1[32], t2[32], t3[32];
	uint64_t n;
	double start, elapsed, best[3] = { 0, 0, 0 };

	memset(buf, 0x42, sizeof(buf));
	for (int r = 0; r < ROUNDS; r++) {
		for (n = 0, start = now(); (elapsed = now() - start) < round_secs; n++)
			if (!crypto_hash2(h, h, 32, buf, 32))
				abort();
		if (n / elapsed > best[0])
			best[0] = (double)n / elapsed;
		for (n = 0, start = now(); (elapsed = now() - start) < round_secs; n++)
			if (!crypto_mac(h, key, 32, buf, 116))
				abort();
		if (n / elapsed > best[1])
			best[1] = (double)n / elapsed;
		for (n = 0, start = now(); (elapsed = now() - start) < round_secs; n++)
			if (!crypto_kdf(t1, t2, t3, key, buf, 32))
				abort();
		if (n / elapsed > best[2])
			best[2] = (double)n / elapsed;
	}
	printf("blake2s mix-hash (32+32) %10.0f ops/s\n", best[0]);
	printf("mac1 (116 B)             %10.0f ops/s\n", best[1]);
	printf("kdf3 (32 B)              %10.0f ops/s\n", best[2]);
}

int main(int argc, char *argv[])
{
	uint8_t key[32];

	if (argc > 1)
		round_secs = atof(argv[1]);
	if (round_secs <= 0)
		round_secs = 0.2;
	if (crypto_init() || crypto_random(key, sizeof(key)) ||
	    crypto_random(plain, sizeof(plain)))
		return 1;
	facade = crypto_aead_alloc();
	if (!facade || crypto_aead_set_key(facade, key))
		return 1;
	raw_setup(key);
	printf("# %s, %d rounds of %.2f s, best round shown\n", OpenSSL_version(0),
	       ROUNDS, round_secs);
	for (size_t i = 0; i < 2; i++) {
		size_t len = i ? 1420 : 64;
		if (!crypto_aead_seal(facade, sealed, plain, len, NULL, 0, 7))
			return 1;
		bench_aead(len);
	}
	bench_x25519();
	bench_blake2s();
	crypto_aead_free(facade);
	EVP_CIPHER_CTX_free(raw_ctx);
	crypto_uninit();
	return 0;
}
