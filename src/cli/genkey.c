/* rampart genkey | genpsk [FILE]: a new private key (clamped X25519
 * scalar) or preshared key, base64 and a newline, exactly as wg(8) prints
 * it.  With FILE the key is written to a new file created 0600; on stdout,
 * a regular file readable by others gets wg's warning. */
#include "cli.h"

#include "common/encoding.h"
#include "common/fileio.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int generate(int argc, char *argv[], bool is_private)
{
	uint8_t key[KEY_LEN];
	char line[KEY_B64_LEN + 2];
	const char *path = NULL;
	struct stat st;
	int fd = STDOUT_FILENO, ret = 1, err;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1])) {
		fprintf(stderr, "Usage: %s %s [FILE]\n", prog_name, argv[0]);
		return 1;
	}
	if (argc == 2)
		path = argv[1];
	umask(077);
	if (crypto_init()) {
		fprintf(stderr, "%s: %s: cannot initialize the crypto library\n",
			prog_name, argv[0]);
		return 1;
	}
	if (path) {
		/* A new file only: never truncate or follow a link an attacker
		 * may have planted. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "%s: %s: cannot create `%s': %s\n", prog_name,
				argv[0], path, strerror(errno));
			goto out;
		}
	} else if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) &&
		   (st.st_mode & S_IRWXO)) {
		fputs("Warning: writing to world accessible file.\n"
		      "Consider setting the umask to 077 and trying again.\n", stderr);
	}
	if (is_private)
		err = crypto_x25519_keygen(key);
	else
		err = crypto_random(key, sizeof(key));
	if (err) {
		fprintf(stderr, "%s: %s: cannot read random bytes: %s\n", prog_name,
			argv[0], strerror(-err));
		goto out;
	}
	encoding_key_to_base64(line, key);
	line[KEY_B64_LEN] = '\n';
	line[KEY_B64_LEN + 1] = '\0';
	err = fileio_write_all(fd, line, KEY_B64_LEN + 1);
	if (!err && path && fsync(fd) < 0)
		err = -errno;
	if (err) {
		fprintf(stderr, "%s: %s: cannot write the key to %s: %s\n", prog_name,
			argv[0], path ? path : "stdout", strerror(-err));
		goto out;
	}
	ret = 0;
out:
	if (path && fd >= 0 && close(fd) < 0 && !ret) {
		fprintf(stderr, "%s: %s: cannot write `%s': %s\n", prog_name, argv[0],
			path, strerror(errno));
		ret = 1;
	}
	if (ret && path && fd >= 0)
		unlink(path);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(line, sizeof(line));
	crypto_uninit();
	return ret;
}

int genkey_main(int argc, char *argv[])
{
	return generate(argc, argv, true);
}

int genpsk_main(int argc, char *argv[])
{
	return generate(argc, argv, false);
}
