/* Key encodings, checked against OpenSSL's base64 as an independent
 * oracle, and every invalid character at every position. */
#include "harness.h"

#include "common/encoding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void test_base64_matches_openssl(void)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char ours[KEY_B64_LEN + 1], theirs[KEY_B64_LEN + 1 + 4];

	for (int i = 0; i < 5000; i++) {
		if (i < 256)
			memset(key, i, sizeof(key)); /* every byte value */
		else
			CHECK(RAND_bytes(key, sizeof(key)) == 1);
		encoding_key_to_base64(ours, key);
		CHECK(EVP_EncodeBlock((unsigned char *)theirs, key, KEY_LEN) == KEY_B64_LEN);
		CHECK_STR(ours, theirs);
		memset(back, 0, sizeof(back));
		CHECK(encoding_key_from_base64(back, ours));
		CHECK_MEM(back, key, KEY_LEN);
	}
}

static void test_base64_rejects(void)
{
	uint8_t key[KEY_LEN], untouched[KEY_LEN];
	char s[KEY_B64_LEN + 2];

	memset(key, 0x3c, sizeof(key));
	encoding_key_to_base64(s, key);
	memset(untouched, 0x77, sizeof(untouched));
	/* Every byte value that is not in the alphabet, at every position. */
	for (int pos = 0; pos < 43; pos++) {
		for (int c = 1; c < 256; c++) {
			if (memchr(alphabet, c, 64))
				continue;
			char saved = s[pos];
			s[pos] = (char)c;
			memcpy(key, untouched, KEY_LEN);
			CHECK_MSG(!encoding_key_from_base64(key, s), "accepted 0x%02x at %d", c, pos);
			CHECK_MEM(key, untouched, KEY_LEN);
			s[pos] = saved;
		}
	}
	/* The last character carries 2 unused bits: only canonical ones. */
	for (int v = 0; v < 64; v++) {
		s[42] = alphabet[v];
		CHECK_MSG(encoding_key_from_base64(key, s) == ((v & 3) == 0),
			  "last char %c", alphabet[v]);
	}
	s[42] = 'A';
	CHECK(encoding_key_from_base64(key, s));
	s[43] = 'A';
	CHECK(!encoding_key_from_base64(key, s)); /* no '=' */
	s[43] = '=';
	s[44] = '=';
	s[45] = '\0';
	CHECK(!encoding_key_from_base64(key, s)); /* 45 chars */
	s[43] = '\0';
	CHECK(!encoding_key_from_base64(key, s)); /* 43 chars */
	CHECK(!encoding_key_from_base64(key, ""));
}

static void test_hex(void)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char hex[KEY_HEX_LEN + 1], want[KEY_HEX_LEN + 1];

	for (int i = 0; i < 1000; i++) {
		CHECK(RAND_bytes(key, sizeof(key)) == 1);
		encoding_key_to_hex(hex, key);
		for (int j = 0; j < KEY_LEN; j++)
			snprintf(want + 2 * j, 3, "%02x", key[j]);
		CHECK_STR(hex, want);
		CHECK(encoding_key_from_hex(back, hex));
		CHECK_MEM(back, key, KEY_LEN);
		for (int j = 0; j < KEY_HEX_LEN; j++)
			if (hex[j] >= 'a')
				hex[j] = (char)(hex[j] - 'a' + 'A');
		CHECK(encoding_key_from_hex(back, hex));
		CHECK_MEM(back, key, KEY_LEN);
	}
	encoding_key_to_hex(hex, key);
	for (int c = 1; c < 256; c++) {
		if (strchr("0123456789abcdefABCDEF", c))
			continue;
		char saved = hex[17];
		hex[17] = (char)c;
		CHECK_MSG(!encoding_key_from_hex(back, hex), "accepted 0x%02x", c);
		hex[17] = saved;
	}
	hex[63] = '\0';
	CHECK(!encoding_key_from_hex(back, hex));
}

static void test_is_zero(void)
{
	uint8_t key[KEY_LEN] = { 0 };

	CHECK(encoding_key_is_zero(key));
	for (int i = 0; i < KEY_LEN; i++) {
		for (int bit = 0; bit < 8; bit++) {
			key[i] = (uint8_t)(1 << bit);
			CHECK(!encoding_key_is_zero(key));
		}
		key[i] = 0;
	}
}

static const struct harness_case cases[] = {
	{ "encoding/base64_matches_openssl", test_base64_matches_openssl },
	{ "encoding/base64_rejects", test_base64_rejects },
	{ "encoding/hex", test_hex },
	{ "encoding/is_zero", test_is_zero },
};

HARNESS_MAIN(cases)
