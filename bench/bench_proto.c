/* Benchmark of the protocol core, in one run:
 *
 *  - handshakes per second, split into the initiator's work (create the
 *    initiation, consume the response, derive the session) and the
 *    responder's (consume the initiation, create the response, derive the
 *    session), with mac1 added and checked as on the wire;
 *  - the data path of the core on 1420-byte packets: packet_seal on the
 *    sender's keypair, then packet_open and the replay check on the
 *    receiver's, beside the same seal+open done with raw OpenSSL EVP calls.
 *
 * usage: bench_proto [seconds-per-round]   (default 0.3; best of 3 rounds) */
#include "crypto/crypto.h"
#include "proto/cookie.h"
#include "proto/noise.h"
#include "proto/packet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static double round_secs = 0.3;
enum { ROUNDS = 3, PLAIN = 1420 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct side {
	struct noise_local local;
	struct noise_remote remote;
	struct cookie_checker checker;
	struct cookie_maker maker;
	uint8_t priv[32], pub[32];
	uint32_t next_index;
};

static struct noise_remote *remote_get(void *arg, const uint8_t pub[32])
{
	struct side *s = arg;
	return !memcmp(pub, s->remote.remote_static, 32) ? &s->remote : NULL;
}

static uint32_t index_set(void *arg, struct noise_remote *r)
{
	(void)r;
	return ++((struct side *)arg)->next_index;
}

static void index_drop(void *arg, uint32_t index)
{
	(void)arg;
	(void)index;
}

static void side_init(struct side *s, struct side *other)
{
	struct noise_upcall up = { s, remote_get, index_set, index_drop };

	noise_local_init(&s->local, &up);
	noise_local_set_private(&s->local, s->priv);
	noise_remote_init(&s->remote, &s->local, other->pub, NULL);
	cookie_checker_init(&s->checker);
	cookie_checker_precompute(&s->checker, s->pub);
	cookie_maker_init(&s->maker, other->pub);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_proto: %s failed\n", what);
	exit(1);
}

static void bench_handshakes(void)
{
	struct side a = { 0 }, b = { 0 };
	struct message_handshake_initiation init;
	struct message_handshake_response resp;
	struct cookie_source src = { .family = 2, .port = 1 };
	uint8_t ts[12];
	uint64_t vclock = 0, wall = 1700000000;
	enum noise_error err;
	double best_i = 0, best_r = 0, best_total = 0;

	if (crypto_x25519_keygen(a.priv) || !crypto_x25519_public(a.pub, a.priv) ||
	    crypto_x25519_keygen(b.priv) || !crypto_x25519_public(b.pub, b.priv))
		die("keygen");
	side_init(&a, &b);
	side_init(&b, &a);
	for (int r = 0; r < ROUNDS; r++) {
		double ti = 0, tr = 0, start = now_s(), t;
		unsigned n = 0;
		while (now_s() - start < round_secs) {
			/* Virtual time: 20 ms apart keeps clear of the
			 * per-peer flood limit (50/s), which a real hub with
			 * many peers would not hit either. */
			vclock += 20 * NSEC_PER_MSEC;
			noise_tai64n(ts, wall++, 0);
			t = now_s();
			if (!noise_create_initiation(&a.remote, &init, ts) ||
			    !cookie_add_mac_to_packet(&a.maker, &init, sizeof(init), vclock))
				die("create_initiation");
			ti += now_s() - t;
			t = now_s();
			if (cookie_validate_packet(&b.checker, &init, sizeof(init), &src, false,
						   vclock) != VALID_MAC_BUT_NO_COOKIE ||
			    !noise_consume_initiation(&b.local, &init, vclock, &err) ||
			    !noise_create_response(&b.remote, &resp) ||
			    !cookie_add_mac_to_packet(&b.maker, &resp, sizeof(resp), vclock) ||
			    noise_begin_session(&b.remote, vclock))
				die("responder");
			tr += now_s() - t;
			t = now_s();
			if (cookie_validate_packet(&a.checker, &resp, sizeof(resp), &src, false,
						   vclock) != VALID_MAC_BUT_NO_COOKIE ||
			    noise_consume_response(&a.remote, &resp) ||
			    noise_begin_session(&a.remote, vclock))
				die("initiator finish");
			ti += now_s() - t;
			n++;
		}
		if (n / ti > best_i)
			best_i = n / ti;
		if (n / tr > best_r)
			best_r = n / tr;
		if (n / (ti + tr) > best_total)
			best_total = n / (ti + tr);
	}
	printf("handshake initiator work  %8.0f handshakes/s  (%.1f us each)\n", best_i, 1e6 / best_i);
	printf("handshake responder work  %8.0f handshakes/s  (%.1f us each)\n", best_r, 1e6 / best_r);
	printf("handshake both sides      %8.0f handshakes/s on one core\n", best_total);
	noise_remote_uninit(&a.remote);
	noise_remote_uninit(&b.remote);
}

/* --- data path ------------------------------------------------------------ */

static uint8_t buf[PACKET_HEADROOM + PLAIN + PACKET_TAILROOM + 64];

static double core_round(struct packet_crypto *c, struct noise_keypair *tx,
			 struct noise_keypair *rx, uint64_t *counter)
{
	struct packet p = { .head = buf, .cap = sizeof(buf) };
	double start = now_s(), elapsed;
	uint64_t n = 0;

	do {
		for (int i = 0; i < 512; i++) {
			p.off = PACKET_HEADROOM;
			p.len = PLAIN;
			if (!packet_seal(c, &p, &tx->send, rx->local_index, *counter,
					 packet_padded_len(PLAIN, 1420)) ||
			    !packet_open(c, &p, &rx->recv) || !replay_check(&rx->replay, *counter))
				die("core seal/open");
			++*counter;
		}
		n += 512;
		elapsed = now_s() - start;
	} while (elapsed < round_secs);
	return (double)n / elapsed;
}

static double raw_round(EVP_CIPHER_CTX *enc, EVP_CIPHER_CTX *dec)
{
	uint8_t nonce[12] = { 0 }, tag[16];
	uint8_t *d = buf + PACKET_HEADROOM;
	double start = now_s(), elapsed;
	uint64_t n = 0;
	int outl;

	do {
		for (int i = 0; i < 512; i++) {
			uint64_t c = n + (uint64_t)i;
			memcpy(nonce + 4, &c, 8);
			if (!EVP_CipherInit_ex2(enc, NULL, NULL, nonce, 1, NULL) ||
			    !EVP_CipherUpdate(enc, d, &outl, d, PLAIN) ||
			    !EVP_CipherFinal_ex(enc, d + PLAIN, &outl) ||
			    !EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_AEAD_GET_TAG, 16, tag) ||
			    !EVP_CipherInit_ex2(dec, NULL, NULL, nonce, 0, NULL) ||
			    !EVP_CipherUpdate(dec, d, &outl, d, PLAIN) ||
			    !EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_AEAD_SET_TAG, 16, tag) ||
			    EVP_CipherFinal_ex(dec, d + PLAIN, &outl) != 1)
				die("raw seal/open");
		}
		n += 512;
		elapsed = now_s() - start;
	} while (elapsed < round_secs);
	return (double)n / elapsed;
}

static void bench_data_path(void)
{
	struct side a = { 0 }, b = { 0 };
	struct message_handshake_initiation init;
	struct message_handshake_response resp;
	uint8_t ts[12], key[32];
	enum noise_error err;
	uint64_t counter = 0;
	double best_core = 0, best_raw = 0;
	struct packet_crypto pc;

	if (crypto_x25519_keygen(a.priv) || !crypto_x25519_public(a.pub, a.priv) ||
	    crypto_x25519_keygen(b.priv) || !crypto_x25519_public(b.pub, b.priv))
		die("keygen");
	side_init(&a, &b);
	side_init(&b, &a);
	noise_tai64n(ts, 1700000000, 0);
	if (!noise_create_initiation(&a.remote, &init, ts) ||
	    !noise_consume_initiation(&b.local, &init, 1, &err) ||
	    !noise_create_response(&b.remote, &resp) || noise_begin_session(&b.remote, 1) ||
	    noise_consume_response(&a.remote, &resp) || noise_begin_session(&a.remote, 1))
		die("handshake");

	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	EVP_CIPHER_CTX *enc = EVP_CIPHER_CTX_new(), *dec = EVP_CIPHER_CTX_new();
	if (crypto_random(key, sizeof(key)) || !c || !enc || !dec ||
	    !EVP_CipherInit_ex2(enc, c, key, NULL, 1, NULL) ||
	    !EVP_CipherInit_ex2(dec, c, key, NULL, 0, NULL))
		die("evp setup");
	if (packet_crypto_init(&pc))
		die("packet_crypto_init");
	for (int r = 0; r < ROUNDS; r++) {
		double v = core_round(&pc, a.remote.current, b.remote.next, &counter);
		if (v > best_core)
			best_core = v;
		v = raw_round(enc, dec);
		if (v > best_raw)
			best_raw = v;
	}
	printf("data path 1420 B seal+open: core %8.0f pkt/s %7.1f MB/s   raw openssl %8.0f pkt/s %7.1f MB/s   core/raw %.2f\n",
	       best_core, best_core * PLAIN / 1e6, best_raw, best_raw * PLAIN / 1e6,
	       best_core / best_raw);
	packet_crypto_uninit(&pc);
	EVP_CIPHER_CTX_free(enc);
	EVP_CIPHER_CTX_free(dec);
	EVP_CIPHER_free(c);
	noise_remote_uninit(&a.remote);
	noise_remote_uninit(&b.remote);
}

int main(int argc, char *argv[])
{
	if (argc > 1)
		round_secs = atof(argv[1]);
	if (round_secs <= 0)
		round_secs = 0.3;
	if (crypto_init())
		return 1;
	printf("# %s, best of %d rounds of %.2f s, one core\n", OpenSSL_version(0), ROUNDS, round_secs);
	bench_handshakes();
	bench_data_path();
	crypto_uninit();
	return 0;
}
