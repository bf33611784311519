/* rampart check IFNAME [--peer KEY|NAME] [--config FILE] --max-handshake-age S [--json]: a
 * Nagios/Icinga plugin.  One line on stdout ("RAMPART OK - ... | perfdata")
 * and the exit code of the verdict, monitor/health.h says which:
 *   0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN;
 * UNKNOWN also for bad arguments and a daemon that cannot be asked (no
 * socket, no answer in time).  --json prints one object instead, with the
 * same facts and the line as "output"; the exit code is the same.
 *
 * --peer takes a base64 public key, or a peer's name: the "# Name = ..."
 * comment of its section in the interface's config file (FILE, or
 * /etc/wireguard/IFNAME.conf). */
#include "cli.h"

#include "common/encoding.h"
#include "conf/config.h"
#include "common/textbuf.h"
#include "ctl/socket.h"
#include "monitor/health.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The key of the peer the config file names so: 0, or -ENOENT. */
static int peer_by_name(struct health_check *c, const char *ifname, const char *name,
			const char *config)
{
	struct conf *names = cli_peer_names("check", ifname, config);
	int ret = -ENOENT;

	for (size_t i = 0; names && i < names->n_peers; i++)
		if (names->peers[i].has_public_key && !strcmp(names->peers[i].name, name)) {
			memcpy(c->key, names->peers[i].public_key, KEY_LEN);
			ret = 0;
			break;
		}
	conf_free(names);
	return ret;
}

static void check_usage(FILE *f, const char *cmd)
{
	fprintf(f, "Usage: %s %s <interface> [--peer <public key>|<name>] [--config <file>] "
		"--max-handshake-age <seconds> [--json]\n", prog_name, cmd);
}

/* The line of a verdict the check could not reach (UNKNOWN), in either
 * form, and its exit code. */
static int unknown(const char *ifname, bool json, const char *why)
{
	struct textbuf line = { 0 }, o = { 0 };

	textbuf_printf(&line, "RAMPART UNKNOWN - %s%s%s", ifname ? ifname : "",
		       ifname ? ": " : "", why);
	if (json) {
		textbuf_printf(&o, "{\"interface\":");
		if (ifname)
			cli_json_string(&o, ifname);
		else
			textbuf_printf(&o, "null");
		textbuf_printf(&o, ",\"verdict\":\"UNKNOWN\",\"exit\":%d,\"output\":",
			       HEALTH_VERDICT_UNKNOWN);
		cli_json_string(&o, line.err ? "" : line.buf);
		textbuf_printf(&o, "}\n");
	} else {
		textbuf_printf(&o, "%s\n", line.err ? "RAMPART UNKNOWN" : line.buf);
	}
	textbuf_wipe(&line);
	cli_write_out(&o);
	return HEALTH_VERDICT_UNKNOWN;
}

static void json_check(struct textbuf *o, const struct health_check *c, const char *line)
{
	char key[KEY_B64_LEN + 1];

	textbuf_printf(o, "{\"interface\":");
	cli_json_string(o, c->ifname);
	if (c->flags & HEALTH_CHECK_PEER) {
		encoding_key_to_base64(key, c->key);
		textbuf_printf(o, ",\"peer\":\"%s\",\"found\":%s", key, c->found ? "true" : "false");
	} else {
		textbuf_printf(o, ",\"peer\":null");
	}
	textbuf_printf(o, ",\"max_handshake_age\":%lld,\"verdict\":\"%s\",\"exit\":%d",
		       (long long)c->max_age, health_verdict_name(c->verdict), c->verdict);
	textbuf_printf(o, ",\"peers\":%zu,\"fresh\":%zu,\"stale\":%zu,\"never\":%zu", c->n_peers,
		       c->n_fresh, c->n_stale, c->n_never);
	if (c->oldest_age < 0)
		textbuf_printf(o, ",\"oldest_handshake_age\":null");
	else
		textbuf_printf(o, ",\"oldest_handshake_age\":%lld", (long long)c->oldest_age);
	textbuf_printf(o, ",\"output\":");
	cli_json_string(o, line);
	textbuf_printf(o, "}\n");
}

int check_main(int argc, char *argv[])
{
	struct health_check c = { .max_age = -1 };
	struct error err = { 0 };
	struct uapi_device *dev = NULL;
	struct textbuf line = { 0 }, o = { 0 };
	const char *ifname = NULL, *peer = NULL, *config = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--max-handshake-age")) {
			if (cli_parse_max_age(++i < argc ? argv[i] : NULL, &c.max_age))
				return unknown(ifname, json, "bad --max-handshake-age");
		} else if (!strcmp(argv[i], "--peer")) {
			if (++i >= argc)
				return unknown(ifname, json, "--peer needs a public key");
			peer = argv[i];
		} else if (!strcmp(argv[i], "--config")) {
			if (++i >= argc)
				return unknown(ifname, json, "--config needs a file");
			config = argv[i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "help")) {
			check_usage(stdout, argv[0]);
			return 0;
		} else if (argv[i][0] == '-' || ifname) {
			check_usage(stderr, argv[0]);
			return unknown(ifname, json, "unexpected argument");
		} else {
			ifname = argv[i];
		}
	}
	if (!ifname || c.max_age < 0) {
		check_usage(stderr, argv[0]);
		return unknown(ifname, json, ifname ? "--max-handshake-age is needed" :
							"an interface is needed");
	}
	if (peer && !encoding_key_from_base64(c.key, peer) && peer_by_name(&c, ifname, peer, config))
		return unknown(ifname, json, "--peer: not a base64 public key nor a peer's name");
	if (peer)
		c.flags |= HEALTH_CHECK_PEER;
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	if (wgctl_get_device(ifname, &dev, &err)) {
		char why[sizeof(err.msg) + 32];

		snprintf(why, sizeof(why), "cannot ask the daemon: %s", err.msg);
		return unknown(ifname, json, why);
	}
	health_check_device(&c, dev, (int64_t)time(NULL));
	uapi_device_free(dev);
	health_format_check(&line, &c);
	if (line.err)
		return unknown(ifname, json, "out of memory");
	if (json) {
		line.buf[line.len - 1] = '\0'; /* the newline */
		json_check(&o, &c, line.buf);
	} else {
		textbuf_append(&o, line.buf, line.len);
	}
	textbuf_wipe(&line);
	cli_write_out(&o);
	return c.verdict;
}
