/* rampart pubkey: reads a base64 private key on stdin and prints its public
 * key, byte for byte as `wg pubkey` does.  Whitespace around the key is
 * allowed; anything else is an error naming what was wrong. */
#include "cli.h"

#include "common/encoding.h"
#include "crypto/crypto.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Longest input worth reading: a key plus generous whitespace.  Longer
 * input is an error, not a reason to buffer without bound. */
enum { PUBKEY_INPUT_MAX = 4096 };

int pubkey_main(int argc, char *argv[])
{
	char in[PUBKEY_INPUT_MAX + 1], b64[KEY_B64_LEN + 1];
	uint8_t key[KEY_LEN], pub[KEY_LEN];
	size_t len, start, end;
	int ret = 1;

	if (argc != 1) {
		fprintf(stderr, "Usage: %s %s\n", prog_name, argv[0]);
		return 1;
	}
	len = fread(in, 1, sizeof(in), stdin);
	if (ferror(stdin)) {
		fprintf(stderr, "%s: pubkey: cannot read stdin\n", prog_name);
		goto out;
	}
	if (len > PUBKEY_INPUT_MAX) {
		fprintf(stderr, "%s: pubkey: input is too long for a key "
			"(more than %d bytes)\n", prog_name, PUBKEY_INPUT_MAX);
		goto out;
	}
	in[len] = '\0';
	if (memchr(in, '\0', len)) {
		fprintf(stderr, "%s: pubkey: input contains a NUL byte\n", prog_name);
		goto out;
	}
	for (start = 0; start < len && isspace((unsigned char)in[start]); start++)
		;
	for (end = len; end > start && isspace((unsigned char)in[end - 1]); end--)
		;
	for (size_t i = start; i < end; i++) {
		if (isspace((unsigned char)in[i])) {
			fprintf(stderr, "%s: pubkey: trailing characters found after "
				"the key (offset %zu)\n", prog_name, i);
			goto out;
		}
	}
	if (end - start != KEY_B64_LEN) {
		fprintf(stderr, "%s: pubkey: a private key is %d base64 characters "
			"ending in '=', got %zu characters\n", prog_name,
			KEY_B64_LEN, end - start);
		goto out;
	}
	memcpy(b64, in + start, KEY_B64_LEN);
	b64[KEY_B64_LEN] = '\0';
	if (!encoding_key_from_base64(key, b64)) {
		fprintf(stderr, "%s: pubkey: the key is not valid base64 "
			"(bad character or non-canonical ending)\n", prog_name);
		goto out;
	}
	if (crypto_init()) {
		fprintf(stderr, "%s: pubkey: cannot initialize the crypto library\n",
			prog_name);
		goto out;
	}
	if (!crypto_x25519_public(pub, key)) {
		fprintf(stderr, "%s: pubkey: cannot derive the public key\n", prog_name);
		goto out;
	}
	encoding_key_to_base64(b64, pub);
	if (printf("%s\n", b64) < 0 || fflush(stdout)) {
		fprintf(stderr, "%s: pubkey: cannot write stdout\n", prog_name);
		goto out;
	}
	ret = 0;
out:
	crypto_wipe(in, sizeof(in));
	crypto_wipe(b64, sizeof(b64));
	crypto_wipe(key, sizeof(key));
	crypto_uninit();
	return ret;
}
