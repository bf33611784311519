/* rampart strip CONFIG_FILE | INTERFACE: prints the part of a wg-quick
 * style file that wg(8) setconf accepts, like "wg-quick strip".  As there,
 * a bare interface name means /etc/wireguard/NAME.conf, the user's lines
 * are kept (comments too) minus those that set wg-quick or Rampart-only
 * keys, and the output ends with one blank line (wg-quick's echo adds
 * it).  The whole file is validated first: on an error nothing is printed
 * and the message names the file and line. */
#include "cli.h"

#include "common/fileio.h"

#include "conf/wgconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* wg-quick: [[ $CONFIG_FILE =~ ^[a-zA-Z0-9_=+.-]{1,15}$ ]]. */
static bool is_interface_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_=+.-", c)))
			return false;
	}
	return true;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s strip [ CONFIG_FILE | INTERFACE ]\n\n"
		   "  CONFIG_FILE is a configuration file; INTERFACE (a name of up\n"
		   "  to 15 of [a-zA-Z0-9_=+.-]) means /etc/wireguard/INTERFACE.conf.\n"
		   "  Prints the lines that wg(8) setconf accepts.\n", prog_name);
}

int strip_main(int argc, char *argv[])
{
	char path[4096], errbuf[sizeof(path) + ERROR_STRLEN];
	struct error err;
	char *text = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	struct stat st;
	int fd, ret = 1, r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 2) {
		usage(stderr);
		return 1;
	}
	if (is_interface_name(argv[1]))
		snprintf(path, sizeof(path), "/etc/wireguard/%s.conf", argv[1]);
	else if (snprintf(path, sizeof(path), "%s", argv[1]) >= (int)sizeof(path)) {
		fprintf(stderr, "%s strip: path too long\n", prog_name);
		return 1;
	}

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "%s strip: %s: %s\n", prog_name, path, strerror(errno));
		return 1;
	}
	/* As wg-quick does; the file normally holds a private key. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fprintf(stderr, "Warning: `%s' is world accessible\n", path);
	/* One byte more than the parser takes, so that it names the excess. */
	r = fileio_read_bounded(fd, WGCONF_FILE_MAX, &text, &len);
	close(fd);
	if (r) {
		fprintf(stderr, "%s strip: %s: %s\n", prog_name, path, strerror(-r));
		return 1;
	}

	r = wgconf_strip(text, len, path, &out, &out_len, &err);
	if (r) {
		error_format(&err, errbuf, sizeof(errbuf));
		fprintf(stderr, "%s strip: %s\n", prog_name, errbuf);
		goto out;
	}
	/* wg-quick's cmd_strip is echo "$WG_CONFIG": one more newline.
	 * write(2), not stdio, so that no unwiped buffer keeps the key. */
	r = fileio_write_all(STDOUT_FILENO, out, out_len);
	if (!r)
		r = fileio_write_all(STDOUT_FILENO, "\n", 1);
	if (r) {
		fprintf(stderr, "%s strip: writing output: %s\n", prog_name,
			strerror(-r));
		goto out;
	}
	ret = 0;
out:
	wgconf_text_free(out, out_len);
	wgconf_text_free(text, len);
	return ret;
}
