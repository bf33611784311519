/* rampart status [IFNAME] [--max-handshake-age S] [--config FILE] [--json]: wg show's
 * facts per interface (all with a live socket when none is named) and,
 * per peer, the handshake age and health ok / stale / never against S
 * (HEALTH_DEFAULT_MAX_AGE, 180 s, unless given), monitor/health.h.
 *
 * Peers come in reply order (stable, unlike wg show's handshake order).
 * Peer names come from the "# Name = ..." comments of the interface's
 * config file (FILE, or /etc/wireguard/IFNAME.conf when it exists): the
 * running device does not carry them.
 *
 * Exit status: 0, or 1 for bad arguments or an interface that could not
 * be read (said on stderr; --json then leaves that interface out). */
#include "cli.h"

#include "conf/config.h"

#include "common/encoding.h"
#include "common/fileio.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "ctl/show.h"
#include "ctl/socket.h"
#include "monitor/health.h"
#include "uapi/device.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_json_string(struct textbuf *o, const char *s)
{
	textbuf_append(o, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			textbuf_printf(o, "\\%c", ch);
		else if (ch < 0x20)
			textbuf_printf(o, "\\u%04x", ch);
		else
			textbuf_append(o, s, 1);
	}
	textbuf_append(o, "\"", 1);
}

bool cli_write_out(struct textbuf *o)
{
	int ret = o->err ? o->err : fileio_write_all(STDOUT_FILENO, o->buf, o->len);

	textbuf_wipe(o);
	if (ret)
		fprintf(stderr, "%s: writing output: %s\n", prog_name, strerror(-ret));
	return !ret;
}

int cli_parse_max_age(const char *s, int64_t *out)
{
	const char *why = NULL;
	uint32_t v;

	if (!s || !netaddr_parse_u32(&v, s, HEALTH_AGE_MAX, &why)) {
		fprintf(stderr, "%s: --max-handshake-age: `%s': %s\n", prog_name, s ? s : "",
			s ? why : "a number of seconds is needed");
		return -1;
	}
	*out = v;
	return 0;
}

static void status_usage(FILE *f, const char *cmd)
{
	fprintf(f, "Usage: %s %s [<interface>] [--max-handshake-age <seconds>] [--config <file>]"
		" [--json]\n", prog_name, cmd);
	if (f == stdout)
		fprintf(f, "\n  Peer names come from the \"# Name = ...\" comments of the interface's\n"
			   "  config file: <file>, or /etc/wireguard/<interface>.conf.\n");
}

static bool color_on(void)
{
	const char *var = getenv("WG_COLOR_MODE");

	if (var && (!strcmp(var, "always") || !strcmp(var, "never")))
		return !strcmp(var, "always");
	return isatty(STDOUT_FILENO);
}

static void json_key(struct textbuf *o, const char *name, const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	encoding_key_to_base64(b64, key);
	textbuf_printf(o, "\"%s\":\"%s\"", name, b64);
}

/* The peer's name in the interface's config file, or NULL. */
static const char *name_of(const struct conf *names, const struct uapi_peer *p)
{
	const struct conf_peer *cp = names ? conf_find_peer(names, p->public_key) : NULL;

	return cp && cp->name[0] ? cp->name : NULL;
}

static void json_peer(struct textbuf *o, const struct uapi_peer *p, int64_t now, int64_t max_age,
		      const struct conf *names)
{
	char buf[NETADDR_ENDPOINT_STRLEN];
	int64_t age = health_handshake_age(p, now);
	const char *name = name_of(names, p);

	textbuf_printf(o, "{");
	json_key(o, "public_key", p->public_key);
	textbuf_printf(o, ",\"name\":");
	if (name)
		cli_json_string(o, name);
	else
		textbuf_printf(o, "null");
	textbuf_printf(o, ",\"endpoint\":");
	if (p->flags & UAPI_PEER_HAS_ENDPOINT)
		cli_json_string(o, uapi_endpoint_format(buf, &p->endpoint));
	else
		textbuf_printf(o, "null");
	textbuf_printf(o, ",\"allowed_ips\":[");
	for (size_t j = 0; j < p->n_allowed_ips; j++)
		textbuf_printf(o, "%s\"%s\"", j ? "," : "",
			       netaddr_format_prefix(buf, &p->allowed_ips[j].prefix));
	textbuf_printf(o, "]");
	if (age < 0)
		textbuf_printf(o, ",\"latest_handshake\":null,\"handshake_age\":null");
	else
		textbuf_printf(o, ",\"latest_handshake\":%lld,\"handshake_age\":%lld",
			       (long long)p->last_handshake_sec, (long long)age);
	textbuf_printf(o, ",\"rx_bytes\":%llu,\"tx_bytes\":%llu", (unsigned long long)p->rx_bytes,
		       (unsigned long long)p->tx_bytes);
	textbuf_printf(o, ",\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64
		       ",\"handshakes\":%" PRIu64 ",\"endpoint_changes\":%" PRIu64,
		       uapi_peer_counter(p, "rx_packets"), uapi_peer_counter(p, "tx_packets"),
		       uapi_peer_counter(p, "handshakes_completed"),
		       uapi_peer_counter(p, "endpoint_changes"));
	textbuf_printf(o, ",\"persistent_keepalive\":");
	if (p->keepalive)
		textbuf_printf(o, "%u", p->keepalive);
	else
		textbuf_printf(o, "null");
	textbuf_printf(o, ",\"health\":\"%s\"}",
		       health_state_name(health_peer_state(p, now, max_age)));
}

static void json_device(struct textbuf *o, const struct uapi_device *dev, int64_t now,
			int64_t max_age, const struct conf *names)
{
	textbuf_printf(o, "{\"interface\":");
	cli_json_string(o, dev->name);
	if (dev->flags & UAPI_DEVICE_HAS_PUBLIC_KEY) {
		textbuf_printf(o, ",");
		json_key(o, "public_key", dev->public_key);
	} else {
		textbuf_printf(o, ",\"public_key\":null");
	}
	textbuf_printf(o, ",\"listen_port\":%u,\"fwmark\":%u,\"peers\":[", dev->listen_port,
		       dev->fwmark);
	for (size_t i = 0; i < dev->n_peers; i++) {
		if (i)
			textbuf_printf(o, ",");
		json_peer(o, &dev->peers[i], now, max_age, names);
	}
	textbuf_printf(o, "]}");
}

static const char *state_color(enum health_state s)
{
	return s == HEALTH_OK ? "\x1b[32m" : s == HEALTH_STALE ? "\x1b[31m" : "\x1b[33m";
}

static void human_peer(struct textbuf *o, const struct uapi_peer *p, int64_t now,
		       int64_t max_age, bool color, const struct conf *names)
{
	char buf[1024], b64[KEY_B64_LEN + 1];
	enum health_state s = health_peer_state(p, now, max_age);
	const char *name = name_of(names, p);

	encoding_key_to_base64(b64, p->public_key);
	textbuf_printf(o, "\npeer: %s\n", b64);
	if (name)
		textbuf_printf(o, "  name: %s\n", name);
	if (p->flags & UAPI_PEER_HAS_ENDPOINT)
		textbuf_printf(o, "  endpoint: %s\n", uapi_endpoint_format(buf, &p->endpoint));
	textbuf_printf(o, "  allowed ips: %s", p->n_allowed_ips ? "" : "(none)");
	for (size_t j = 0; j < p->n_allowed_ips; j++)
		textbuf_printf(o, "%s%s", j ? ", " : "",
			       netaddr_format_prefix(buf, &p->allowed_ips[j].prefix));
	if (s == HEALTH_NEVER) {
		textbuf_printf(o, "\n  latest handshake: (never)\n");
	} else {
		wgctl_format_ago(buf, sizeof(buf), p->last_handshake_sec, now, false);
		textbuf_printf(o, "\n  latest handshake: %s (%lld s)\n", buf,
			       (long long)health_handshake_age(p, now));
	}
	wgctl_format_bytes(buf, sizeof(buf), p->rx_bytes, false);
	textbuf_printf(o, "  transfer: %s received, ", buf);
	wgctl_format_bytes(buf, sizeof(buf), p->tx_bytes, false);
	textbuf_printf(o, "%s sent\n", buf);
	textbuf_printf(o, "  packets: %" PRIu64 " received, %" PRIu64 " sent; handshakes: %" PRIu64
		       "; endpoint changes: %" PRIu64 "\n",
		       uapi_peer_counter(p, "rx_packets"), uapi_peer_counter(p, "tx_packets"),
		       uapi_peer_counter(p, "handshakes_completed"),
		       uapi_peer_counter(p, "endpoint_changes"));
	textbuf_printf(o, "  health: %s%s%s\n", color ? state_color(s) : "", health_state_name(s),
		       color ? "\x1b[0m" : "");
}

static void human_device(struct textbuf *o, const struct uapi_device *dev, int64_t now,
			 int64_t max_age, bool color, const struct conf *names)
{
	char b64[KEY_B64_LEN + 1];
	size_t n[3] = { 0 };

	textbuf_printf(o, "interface: %s\n", dev->name);
	if (dev->flags & UAPI_DEVICE_HAS_PUBLIC_KEY) {
		encoding_key_to_base64(b64, dev->public_key);
		textbuf_printf(o, "  public key: %s\n", b64);
	}
	if (dev->listen_port)
		textbuf_printf(o, "  listening port: %u\n", dev->listen_port);
	for (size_t i = 0; i < dev->n_peers; i++)
		n[health_peer_state(&dev->peers[i], now, max_age)]++;
	textbuf_printf(o, "  peers: %zu (%zu ok, %zu stale, %zu never; max handshake age %lld s)\n",
		       dev->n_peers, n[HEALTH_OK], n[HEALTH_STALE], n[HEALTH_NEVER],
		       (long long)max_age);
	for (size_t i = 0; i < dev->n_peers; i++)
		human_peer(o, &dev->peers[i], now, max_age, color, names);
}

/* A device with its public key derived (show.h), or NULL after saying why. */
static struct uapi_device *status_get(const char *ifname)
{
	struct error err = { 0 };
	struct uapi_device *dev = NULL;
	int ret = wgctl_get_device(ifname, &dev, &err);

	if (!ret && (ret = wgctl_derive_public_key(dev)))
		error_fail(&err, ret, "cannot derive the public key");
	if (!ret)
		return dev;
	fprintf(stderr, "%s: unable to access interface %s: %s\n", prog_name, ifname, err.msg);
	uapi_device_free(dev);
	return NULL;
}

int status_main(int argc, char *argv[])
{
	struct error err = { 0 };
	struct textbuf o = { 0 };
	int64_t max_age = HEALTH_DEFAULT_MAX_AGE, now;
	const char *ifname = NULL, *config = NULL;
	bool json = false, color = color_on();
	char **names = NULL, *one[2] = { NULL, NULL };
	size_t n = 0, shown = 0;
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--max-handshake-age")) {
			if (cli_parse_max_age(++i < argc ? argv[i] : NULL, &max_age))
				return 1;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "help")) {
			status_usage(stdout, argv[0]);
			return 0;
		} else if (argv[i][0] == '-' || ifname) {
			fprintf(stderr, "%s: %s: unexpected `%s'\n", prog_name, argv[0], argv[i]);
			status_usage(stderr, argv[0]);
			return 1;
		} else {
			ifname = argv[i];
		}
	}
	if (config && !ifname) {
		fprintf(stderr, "%s: %s: --config needs an interface\n", prog_name, argv[0]);
		return 1;
	}
	if (ifname) {
		one[0] = (char *)ifname;
		n = 1;
	} else if (wgctl_list_interfaces(&names, &n, &err)) {
		fprintf(stderr, "%s: unable to list interfaces: %s\n", prog_name, err.msg);
		return 1;
	}
	now = (int64_t)time(NULL);
	if (json)
		textbuf_printf(&o, "{\"max_handshake_age\":%lld,\"interfaces\":[", (long long)max_age);
	for (size_t i = 0; i < n; i++) {
		const char *name = names ? names[i] : one[i];
		struct uapi_device *dev = status_get(name);
		struct conf *peer_names;

		if (!dev) {
			ret = 1;
			continue;
		}
		peer_names = cli_peer_names(argv[0], name, config);
		if (json) {
			textbuf_printf(&o, "%s", shown ? "," : "");
			json_device(&o, dev, now, max_age, peer_names);
		} else {
			textbuf_printf(&o, "%s", shown ? "\n" : "");
			human_device(&o, dev, now, max_age, color, peer_names);
		}
		shown++;
		conf_free(peer_names);
		uapi_device_free(dev);
	}
	if (json)
		textbuf_printf(&o, "]}\n");
	wgctl_list_free(names);
	if (!cli_write_out(&o))
		ret = 1;
	return ret;
}
