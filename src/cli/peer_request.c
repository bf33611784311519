/* rampart peer request NAME [--key-file FILE] [--out FILE], run on the
 * client's machine: a new key pair made here, the private key written to
 * a new file (FILE, by default ./NAME.key) created 0600, and the request
 * for the operator, exactly
 *
 *   Name = NAME
 *   PublicKey = BASE64
 *
 * (inv_request_format) on stdout or in a new file (--out), which
 * `rampart peer add NAME --request FILE` reads on the hub.  The private key never leaves this
 * machine and is in nothing that is printed (docs/inventory-config.md). */
#include "cli.h"

#include "common/encoding.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "crypto/crypto.h"
#include "inventory/intake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] = "Usage: %s peer request NAME [--key-file FILE] [--out FILE]\n";

struct request_args {
	const char *name, *key_file, *out;
	char key_default[INV_NAME_MAX + 5]; /* NAME.key */
};

static int parse(int argc, char *argv[], struct request_args *a)
{
	const char *why;

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf(usage_text, prog_name);
			return 0;
		} else if (!strcmp(argv[i], "--key-file") && i + 1 < argc) {
			a->key_file = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			a->out = argv[++i];
		} else if (argv[i][0] != '-' && !a->name) {
			a->name = argv[i];
		} else {
			fprintf(stderr, usage_text, prog_name);
			return -1;
		}
	}
	if (!a->name) {
		fprintf(stderr, usage_text, prog_name);
		return -1;
	}
	if (!inv_valid_name(a->name, &why)) {
		fprintf(stderr, "%s peer request: invalid name \"%s\": %s\n", prog_name, a->name, why);
		return -1;
	}
	if (!a->key_file) {
		snprintf(a->key_default, sizeof(a->key_default), "%s.key", a->name);
		a->key_file = a->key_default;
	}
	return 1;
}

/* A new file only: never truncate a key nor write through a link. */
static int create(const char *path, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		fprintf(stderr, "%s peer request: cannot create `%s': %s\n", prog_name, path,
			strerror(errno));
	return fd;
}

/* Writes and closes fd (synced: the key must survive a crash once the
 * request is out); false after saying why. */
static bool finish(int fd, const char *path, const char *text, size_t len)
{
	int err = fileio_write_all(fd, text, len);

	if (!err && fd != STDOUT_FILENO && fsync(fd) < 0)
		err = -errno;
	if (fd != STDOUT_FILENO && close(fd) < 0 && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "%s peer request: cannot write %s: %s\n", prog_name,
			path ? path : "stdout", strerror(-err));
	return !err;
}

int peer_request_main(int argc, char *argv[])
{
	struct request_args a;
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char b64[KEY_B64_LEN + 2];
	struct inv_request request = { .name = "" };
	struct textbuf req = { 0 };
	bool made_key = false, made_out = false;
	int key_fd = -1, out_fd = STDOUT_FILENO, ret = 1, r;

	r = parse(argc, argv, &a);
	if (r <= 0)
		return r < 0;
	if (crypto_init()) {
		fprintf(stderr, "%s peer request: cannot initialize the crypto library\n", prog_name);
		return 1;
	}
	/* Both files first, so that a refusal leaves nothing behind. */
	key_fd = create(a.key_file, 0600);
	if (key_fd < 0)
		goto out;
	made_key = true;
	if (a.out) {
		out_fd = create(a.out, 0644); /* nothing secret in it */
		if (out_fd < 0)
			goto out;
		made_out = true;
	}
	if (crypto_x25519_keygen(priv) || !crypto_x25519_public(pub, priv)) {
		fprintf(stderr, "%s peer request: cannot make a key pair\n", prog_name);
		goto out;
	}
	encoding_key_to_base64(b64, priv);
	b64[KEY_B64_LEN] = '\n';
	b64[KEY_B64_LEN + 1] = '\0';
	r = finish(key_fd, a.key_file, b64, KEY_B64_LEN + 1);
	key_fd = -1;
	if (!r)
		goto out;
	snprintf(request.name, sizeof(request.name), "%s", a.name);
	memcpy(request.public_key, pub, KEY_LEN);
	r = !inv_request_format(&req, &request) && finish(out_fd, a.out, req.buf, req.len);
	out_fd = STDOUT_FILENO;
	if (!r)
		goto out;
	fprintf(stderr, "%s peer request: the private key is in %s; give the request to the operator "
		"(rampart peer add %s --request FILE)\n", prog_name, a.key_file, a.name);
	ret = 0;
out:
	if (key_fd >= 0)
		close(key_fd);
	if (out_fd != STDOUT_FILENO)
		close(out_fd);
	/* Nothing half made stays: a key without its request only blocks
	 * the next try. */
	if (ret && made_key)
		unlink(a.key_file);
	if (ret && made_out)
		unlink(a.out);
	crypto_wipe(priv, sizeof(priv));
	crypto_wipe(b64, sizeof(b64));
	textbuf_wipe(&req);
	crypto_uninit();
	return ret;
}
