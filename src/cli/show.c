/* rampart show [ all | IFNAME | interfaces ] [FIELD] and rampart showconf
 * IFNAME: wg(8)'s show and showconf over the userspace control socket,
 * with the same argv, output (byte for byte), colours and exit codes.
 * Rampart adds one field, `drops`: rampartd's drop counters, one
 * "<reason>\t<count>" line each.
 *
 * Output is built per interface in a wiping buffer and written with
 * write(2): private-key, dump and showconf print the private key, and no
 * stdio buffer should keep a copy. */
#include "cli.h"

#include "common/fileio.h"
#include "common/textbuf.h"
#include "ctl/show.h"
#include "ctl/socket.h"
#include "ctl/wgctl.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void show_usage(const char *cmd)
{
	fprintf(stderr, "Usage: %s %s { <interface> | all | interfaces } [public-key | "
		"private-key | listen-port | fwmark | peers | preshared-keys | endpoints | "
		"allowed-ips | latest-handshakes | transfer | persistent-keepalive | dump | "
		"drops]\n", prog_name, cmd);
}

/* WG_COLOR_MODE=always|never, else colour on a terminal, as wg(8). */
static bool color_mode(void)
{
	const char *var = getenv("WG_COLOR_MODE");

	if (var && !strcmp(var, "always"))
		return true;
	if (var && !strcmp(var, "never"))
		return false;
	return isatty(STDOUT_FILENO);
}

static int get_device(const char *ifname, struct uapi_device **dev, struct error *err)
{
	int ret = wgctl_get_device(ifname, dev, err);

	if (ret)
		return ret;
	ret = wgctl_derive_public_key(*dev);
	if (ret) {
		error_fail(err, ret, "%s (cannot derive the public key)", strerror(-ret));
		uapi_device_free(*dev);
		*dev = NULL;
	}
	return ret;
}

/* Writes and wipes o; false if stdout failed. */
static bool flush(struct textbuf *o)
{
	int ret = o->err;

	if (!ret && o->len)
		ret = fileio_write_all(STDOUT_FILENO, o->buf, o->len);
	textbuf_wipe(o);
	o->err = 0;
	if (ret) {
		fprintf(stderr, "%s: writing output: %s\n", prog_name, strerror(-ret));
		return false;
	}
	return true;
}

static unsigned show_flags(void)
{
	const char *hide = getenv("WG_HIDE_KEYS");
	unsigned flags = 0;

	if (color_mode())
		flags |= WGCTL_SHOW_COLOR;
	if (hide && !strcmp(hide, "never"))
		flags |= WGCTL_SHOW_KEYS;
	return flags;
}

static int show_all(int argc, char *argv[])
{
	struct error err = { 0 };
	char **names;
	struct textbuf o = { 0 };
	size_t n;
	int ret;

	if (wgctl_list_interfaces(&names, &n, &err)) {
		fprintf(stderr, "Unable to list interfaces: %s\n", err.msg);
		return 1;
	}
	/* wg(8): 1 if no interface could be shown; 0 for none at all. */
	ret = n ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		struct uapi_device *dev = NULL;

		if (get_device(names[i], &dev, &err)) {
			fprintf(stderr, "Unable to access interface %s: %s\n", names[i], err.msg);
			continue;
		}
		if (argc == 3) {
			if (wgctl_format_field(&o, dev, argv[2], true)) {
				fprintf(stderr, "Invalid parameter: `%s'\n", argv[2]);
				show_usage(argv[0]);
				uapi_device_free(dev);
				ret = 1;
				break;
			}
		} else {
			wgctl_format_pretty(&o, dev, (int64_t)time(NULL), show_flags());
			if (i + 1 < n)
				textbuf_printf(&o, "\n");
		}
		uapi_device_free(dev);
		if (!flush(&o)) {
			ret = 1;
			break;
		}
		ret = 0;
	}
	textbuf_wipe(&o);
	wgctl_list_free(names);
	return ret;
}

static int show_interfaces(void)
{
	struct error err = { 0 };
	char **names;
	struct textbuf o = { 0 };
	size_t n;

	if (wgctl_list_interfaces(&names, &n, &err)) {
		fprintf(stderr, "Unable to list interfaces: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		textbuf_printf(&o, "%s%c", names[i], i + 1 < n ? ' ' : '\n');
	wgctl_list_free(names);
	return flush(&o) ? 0 : 1;
}

int show_main(int argc, char *argv[])
{
	struct error err = { 0 };
	struct uapi_device *dev = NULL;
	struct textbuf o = { 0 };
	int ret = 0;

	if (argc > 3) {
		show_usage(argv[0]);
		return 1;
	}
	if (argc == 1 || !strcmp(argv[1], "all"))
		return show_all(argc, argv);
	if (!strcmp(argv[1], "interfaces")) {
		if (argc > 2) {
			show_usage(argv[0]);
			return 1;
		}
		return show_interfaces();
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "help"))) {
		show_usage(argv[0]);
		return 0;
	}
	if (get_device(argv[1], &dev, &err)) {
		fprintf(stderr, "Unable to access interface: %s\n", err.msg);
		return 1;
	}
	if (argc == 3) {
		if (wgctl_format_field(&o, dev, argv[2], false)) {
			fprintf(stderr, "Invalid parameter: `%s'\n", argv[2]);
			show_usage(argv[0]);
			ret = 1;
		}
	} else {
		wgctl_format_pretty(&o, dev, (int64_t)time(NULL), show_flags());
	}
	uapi_device_free(dev);
	if (!flush(&o))
		ret = 1;
	return ret;
}

int showconf_main(int argc, char *argv[])
{
	struct error err = { 0 };
	struct uapi_device *dev = NULL;
	struct textbuf o = { 0 };

	if (argc != 2) {
		fprintf(stderr, "Usage: %s %s <interface>\n", prog_name, argv[0]);
		return 1;
	}
	if (wgctl_get_device(argv[1], &dev, &err)) {
		fprintf(stderr, "Unable to access interface: %s\n", err.msg);
		return 1;
	}
	wgctl_format_showconf(&o, dev);
	uapi_device_free(dev);
	return flush(&o) ? 0 : 1;
}
