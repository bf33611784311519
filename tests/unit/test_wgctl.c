/* The control-socket client: get replies (good, refused by the daemon,
 * malformed, fed in pieces, oversized), set requests for setconf, addconf
 * and syncconf and for the `set` argv grammar (exact bytes, those of
 * wireguard-tools where test_uapi.c has captures), key files, the
 * wg-quick key check, wg(8)'s wording for times and sizes, the show and
 * showconf formatters, and the socket layer against in-process fake
 * daemons (replies, refusals, silence, stale and missing sockets). */
#include "harness.h"
#include "wg_captures.h"

#include "conf/config.h"
#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "conf/wgconf.h"
#include "ctl/setargs.h"
#include "ctl/show.h"
#include "ctl/socket.h"
#include "ctl/wgctl.h"
#include "uapi/client.h"
#include "uapi/device.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The keys of test_config.c (hex forms in wg_captures.h): PRIV's public key is PUB1. */
#define PRIV "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="
#define PUB1 "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8="
#define PUB2 "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s="
#define PSK "rTjivBzmWAxXveTJtk8QXLM1RCnyWtna91Vdrf5+BGI="
#define PUB3 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define PUB4 "//////////////////////////////////////////8="
#define PUB3_HEX "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
#define PUB4_HEX "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* A fixed wall clock for the formatters. */
#define NOW 1700000000
#define STR_(x) #x
#define STR(x) STR_(x)

/* Terminal codes of wireguard-tools' terminal.h. */
#define RESET "\x1b[0m"
#define BOLD "\x1b[1m"
#define RED "\x1b[31m"
#define GREEN "\x1b[32m"
#define YELLOW "\x1b[33m"
#define CYAN "\x1b[36m"

/* A reply in wireguard-go's key order, with Rampart's drop counters and
 * keys wg(8) ignores.  PUB1 shook hands 65 s before NOW, PUB3 3700 s
 * before, PUB2 never; the formatters sort them in that order. */
static const char reply[] =
	"private_key=" PRIV_HEX "\n"
	"listen_port=51820\n"
	"fwmark=32\n"
	"rampart_drop_invalid_mac1=3\n"
	"rampart_drop_replay=0\n"
	"some_future_key=whatever\n"
	"public_key=" PUB2_HEX "\n"
	"preshared_key=" ZERO_HEX "\n"
	"protocol_version=1\n"
	"endpoint=[fe80::1%lo]:51820\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"public_key=" PUB1_HEX "\n"
	"preshared_key=" PSK_HEX "\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.1:51820\n"
	"last_handshake_time_sec=1699999935\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=1424\n"
	"rx_bytes=1500\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.0.0.0/24\n"
	"allowed_ip=fd00::/64\n"
	"public_key=" PUB3_HEX "\n"
	"preshared_key=" ZERO_HEX "\n"
	"last_handshake_time_sec=1699996300\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=2097152\n"
	"persistent_keepalive_interval=3661\n"
	"allowed_ip=192.168.1.0/24\n"
	"errno=0\n"
	"\n";

/* The file whose `wg setconf` request test_uapi.c captured. */
static const char conf_text[] =
	"[Interface]\n"
	"PrivateKey = " PRIV "\n"
	"ListenPort = 51821\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " PUB1 "\n"
	"Endpoint = [2001:db8::1]:51820\n"
	"AllowedIPs = 10.0.0.2/32, fd00::2/128\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " PUB2 "\n"
	"AllowedIPs = 0.0.0.0/0\n"
	"PersistentKeepalive = 0\n";

/* wg addconf: only what the file sets, no replace_peers. */
static const char wg_addconf[] =
	"set=1\n"
	"private_key=" PRIV_HEX "\n"
	"listen_port=51821\n"
	SETCONF_PEERS
	"\n";

/* wg syncconf against a device running PUB1, PUB3 and PUB4: no
 * replace_peers; PUB3 and PUB4 removed, the largest key first. */
static const char wg_syncconf[] =
	"set=1\n"
	"private_key=" PRIV_HEX "\n"
	"listen_port=51821\n"
	"fwmark=0\n"
	"public_key=" PUB4_HEX "\n"
	"remove=true\n"
	"public_key=" PUB3_HEX "\n"
	"remove=true\n"
	SETCONF_PEERS
	"\n";

/* --- helpers ----------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	if (tmpdir[0])
		return;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rampart-wgctl.XXXXXX");
	if (!mkdtemp(tmpdir))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	make_tmpdir();
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	tmp_path(path, sizeof(path), name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	if (fd < 0)
		return path;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
	return path;
}

static void set_sun_path(struct sockaddr_un *addr, const char *path)
{
	size_t n = strlen(path);

	CHECK(n < sizeof(addr->sun_path));
	if (n >= sizeof(addr->sun_path))
		n = sizeof(addr->sun_path) - 1;
	memcpy(addr->sun_path, path, n);
	addr->sun_path[n] = '\0';
}

static struct uapi_device *parse_ok(const char *text)
{
	struct uapi_device *dev = NULL;
	char err[WGCTL_ERROR_STRLEN] = "";
	int ret = uapi_reply_parse_get(text, strlen(text), &dev, err, sizeof(err));

	CHECK_MSG(ret == 0, "parse_get: %d %s", ret, err);
	CHECK(ret != 0 || dev != NULL);
	return dev;
}

static void key_is(const uint8_t key[KEY_LEN], const char *b64)
{
	char got[KEY_B64_LEN + 1];

	encoding_key_to_base64(got, key);
	CHECK_STR(got, b64);
}

static void prefix_is(const struct uapi_allowed_ip *p, const char *text)
{
	char buf[NETADDR_PREFIX_STRLEN];

	CHECK_STR(netaddr_format_prefix(buf, &p->prefix), text);
}

/* Two get replies read alike: configuration, statistics and counters
 * (endpoints compared as text, for the padding of their struct). */
static bool device_equal(const struct uapi_device *a, const struct uapi_device *b)
{
	char ea[NETADDR_ENDPOINT_STRLEN], eb[NETADDR_ENDPOINT_STRLEN];

	if (a->flags != b->flags || memcmp(a->private_key, b->private_key, KEY_LEN) ||
	    a->listen_port != b->listen_port || a->fwmark != b->fwmark ||
	    a->n_peers != b->n_peers || a->n_counters != b->n_counters)
		return false;
	for (size_t i = 0; i < a->n_counters; i++)
		if (strcmp(a->counters[i].name, b->counters[i].name) ||
		    a->counters[i].value != b->counters[i].value)
			return false;
	for (size_t i = 0; i < a->n_peers; i++) {
		const struct uapi_peer *p = &a->peers[i], *q = &b->peers[i];

		if (p->flags != q->flags || memcmp(p->public_key, q->public_key, KEY_LEN) ||
		    memcmp(p->preshared_key, q->preshared_key, KEY_LEN) ||
		    p->keepalive != q->keepalive || p->rx_bytes != q->rx_bytes ||
		    p->tx_bytes != q->tx_bytes || p->last_handshake_sec != q->last_handshake_sec ||
		    p->last_handshake_nsec != q->last_handshake_nsec ||
		    p->n_allowed_ips != q->n_allowed_ips)
			return false;
		if ((p->flags & UAPI_PEER_HAS_ENDPOINT) &&
		    strcmp(netaddr_format_endpoint(ea, &p->endpoint),
			   netaddr_format_endpoint(eb, &q->endpoint)))
			return false;
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			if (p->allowed_ips[j].action != q->allowed_ips[j].action ||
			    p->allowed_ips[j].prefix.cidr != q->allowed_ips[j].prefix.cidr ||
			    !netaddr_equal(&p->allowed_ips[j].prefix.addr,
					   &q->allowed_ips[j].prefix.addr))
				return false;
	}
	return true;
}

/* The sample device as the show command sees it: named wg0, with the
 * public key the CLI derives from PRIV. */
static struct uapi_device *sample_device(void)
{
	struct uapi_device *dev = parse_ok(reply);

	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "wg0");
	CHECK(encoding_key_from_base64(dev->public_key, PUB1));
	dev->flags |= UAPI_DEVICE_HAS_PUBLIC_KEY;
	return dev;
}

static struct conf *conf_from(const char *text)
{
	struct conf *conf = NULL;
	struct wgconf_error e;

	CHECK(wgconf_parse(text, strlen(text), "t.conf", &conf, &e) == 0);
	return conf;
}

/* Formats change c and compares with want. */
static void request_is(const struct uapi_device *c, const char *want)
{
	struct textbuf o = { 0 };
	char err[WGCTL_ERROR_STRLEN] = "";
	int ret = uapi_format_set(&o, c, err, sizeof(err));

	CHECK_MSG(ret == 0, "format_set: %s", err);
	CHECK_STR(o.buf, want);
	textbuf_wipe(&o);
}

/* --- get replies ------------------------------------------------------- */

static void test_get_good(void)
{
	struct uapi_device *dev = parse_ok(reply);
	const struct uapi_device *c;
	char buf[NETADDR_ENDPOINT_STRLEN];

	if (!dev)
		return;
	c = dev;
	CHECK(c->flags & UAPI_DEVICE_HAS_PRIVATE_KEY);
	key_is(c->private_key, PRIV);
	CHECK((c->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && c->listen_port == 51820);
	CHECK((c->flags & UAPI_DEVICE_HAS_FWMARK) && c->fwmark == 32);
	CHECK(!(dev->flags & UAPI_DEVICE_HAS_PUBLIC_KEY)); /* the caller's job */
	/* The drop counters, named as the daemon names them. */
	CHECK(dev->n_counters == 2);
	if (dev->n_counters == 2) {
		CHECK_STR(dev->counters[0].name, "drop_" "invalid_mac1");
		CHECK(dev->counters[0].value == 3);
		CHECK_STR(dev->counters[1].name, "drop_" "replay");
		CHECK(dev->counters[1].value == 0);
	}
	CHECK(c->n_peers == 3);
	if (c->n_peers != 3)
		goto out;
	/* Reply order is kept. */
	key_is(c->peers[0].public_key, PUB2);
	CHECK(!(c->peers[0].flags & UAPI_PEER_HAS_PRESHARED_KEY)); /* all zeros = none */
	CHECK(c->peers[0].flags & UAPI_PEER_HAS_ENDPOINT);
	CHECK_STR(netaddr_format_endpoint(buf, &c->peers[0].endpoint), "[fe80::1%lo]:51820");
	/* persistent_keepalive_interval=0: sent, and off. */
	CHECK((c->peers[0].flags & UAPI_PEER_HAS_KEEPALIVE) && !c->peers[0].keepalive);
	CHECK(c->peers[0].n_allowed_ips == 0);
	CHECK(dev->peers[0].last_handshake_sec == 0 && dev->peers[0].rx_bytes == 0);

	key_is(c->peers[1].public_key, PUB1);
	CHECK(c->peers[1].flags & UAPI_PEER_HAS_PRESHARED_KEY);
	key_is(c->peers[1].preshared_key, PSK);
	CHECK_STR(netaddr_format_endpoint(buf, &c->peers[1].endpoint), "192.0.2.1:51820");
	CHECK((c->peers[1].flags & UAPI_PEER_HAS_KEEPALIVE) && c->peers[1].keepalive == 25);
	CHECK(c->peers[1].n_allowed_ips == 2);
	if (c->peers[1].n_allowed_ips == 2) {
		prefix_is(&c->peers[1].allowed_ips[0], "10.0.0.0/24");
		prefix_is(&c->peers[1].allowed_ips[1], "fd00::/64");
	}
	CHECK(dev->peers[1].last_handshake_sec == 1699999935);
	CHECK(dev->peers[1].last_handshake_nsec == 5);
	CHECK(dev->peers[1].tx_bytes == 1424 && dev->peers[1].rx_bytes == 1500);

	key_is(c->peers[2].public_key, PUB3);
	CHECK(!(c->peers[2].flags & UAPI_PEER_HAS_ENDPOINT));
	CHECK(c->peers[2].keepalive == 3661);
	CHECK(dev->peers[2].rx_bytes == 2097152);
out:
	uapi_device_free(dev);
}

static void test_get_minimal(void)
{
	struct uapi_device *dev = parse_ok("errno=0\n\n");

	if (!dev)
		return;
	CHECK(!dev->flags && !dev->listen_port && !dev->fwmark);
	CHECK(dev->n_peers == 0 && dev->n_counters == 0);
	uapi_device_free(dev);

	/* wireguard-go with nothing set but its port. */
	dev = parse_ok("listen_port=46020\nerrno=0\n\n");
	if (dev) {
		CHECK(dev->listen_port == 46020 && !(dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY));
		uapi_device_free(dev);
	}
	/* Extremes of every number. */
	dev = parse_ok("listen_port=0\nfwmark=4294967295\npublic_key=" PUB1_HEX "\n"
		       "rx_bytes=18446744073709551615\ntx_bytes=000\n"
		       "last_handshake_time_sec=9223372036854775807\n"
		       "last_handshake_time_nsec=999999999\n"
		       "persistent_keepalive_interval=65535\nallowed_ip=::/0\nerrno=-0\n\n");
	if (dev) {
		/* listen_port=0: sent, and no port. */
		CHECK((dev->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && !dev->listen_port);
		CHECK(dev->fwmark == UINT32_MAX);
		CHECK(dev->peers[0].rx_bytes == UINT64_MAX && dev->peers[0].tx_bytes == 0);
		CHECK(dev->peers[0].last_handshake_sec == INT64_MAX);
		CHECK(dev->peers[0].last_handshake_nsec == 999999999);
		CHECK(dev->peers[0].keepalive == 65535);
		uapi_device_free(dev);
	}
}

/* What wg(8) ignores is ignored: unknown keys anywhere, device keys after
 * the first peer, peer keys before it, protocol_version, and drop
 * counters out of place. */
static void test_get_ignored(void)
{
	struct uapi_device *dev = parse_ok(
		"endpoint=192.0.2.9:9\n"
		"allowed_ip=10.9.9.9/32\n"
		"x=\n"
		"=y\n"
		"unknown key with spaces=a b c\n"
		"listen_port=1\n"
		"public_key=" PUB1_HEX "\n"
		"listen_port=2\n"
		"private_key=garbage\n"
		"fwmark=nonsense\n"
		"protocol_version=7\n"
		"rampart_drop_late=5\n"
		"errno=0\n\n");

	if (!dev)
		return;
	CHECK(dev->listen_port == 1 && !(dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) &&
	      !dev->fwmark);
	CHECK(dev->n_peers == 1 && !(dev->peers[0].flags & UAPI_PEER_HAS_ENDPOINT));
	CHECK(dev->peers[0].n_allowed_ips == 0 && dev->n_counters == 0);
	uapi_device_free(dev);

	/* A repeated counter keeps its last value and its first place. */
	dev = parse_ok("rampart_drop_a=1\nrampart_drop_b=2\nrampart_drop_a=7\nerrno=0\n\n");
	if (dev) {
		CHECK(dev->n_counters == 2 && dev->counters[0].value == 7 &&
		      dev->counters[1].value == 2);
		uapi_device_free(dev);
	}
}

static void test_get_refused(void)
{
	static const struct {
		const char *text;
		int ret;
		const char *msg;
	} cases[] = {
		{ "errno=-22\n\n", -EINVAL, "Invalid argument" },
		{ "errno=-98\n\n", -EADDRINUSE, "Address already in use" },
		{ "listen_port=1\nerrno=-5\n\n", -EIO, "Input/output error" },
		/* Positive values break the contract, but name an error. */
		{ "errno=22\n\n", -EINVAL, "Invalid argument" },
		{ "errno=4095\n\n", -4095, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct uapi_device *dev = (void *)1;
		char err[WGCTL_ERROR_STRLEN] = "";
		int ret = uapi_reply_parse_get(cases[i].text, strlen(cases[i].text), &dev, err,
					  sizeof(err));

		CHECK_MSG(ret == cases[i].ret, "%zu: %d", i, ret);
		CHECK(dev == NULL);
		if (cases[i].msg)
			CHECK_STR(err, cases[i].msg);
		else
			CHECK_STR(err, strerror(-cases[i].ret));
	}
}

static void test_get_malformed(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "", "the daemon closed the connection without a reply" },
		{ "listen_port=1\n", "the reply was cut short after 14 bytes" },
		{ "errno=0\n", "the reply was cut short after 8 bytes" },
		{ "errno=0", "the reply was cut short after 7 bytes" },
		{ "\n", "reply line 1: the reply ended without errno=" },
		{ "listen_port=1\n\n", "reply line 2: the reply ended without errno=" },
		{ "errno=0\nlisten_port=1\n\n", "reply line 2: \"listen_port=1\" after errno=" },
		{ "errno=0\nerrno=0\n\n", "reply line 2: \"errno=0\" after errno=" },
		{ "errno=\n\n", "reply line 1: invalid errno \"\": not a decimal number" },
		{ "errno=-\n\n", "reply line 1: invalid errno \"-\": not a decimal number" },
		{ "errno=abc\n\n", "reply line 1: invalid errno \"abc\": not a decimal number" },
		{ "errno=+1\n\n", "reply line 1: invalid errno \"+1\": not a decimal number" },
		{ "errno=--1\n\n", "reply line 1: invalid errno \"--1\": not a decimal number" },
		{ "errno=-4096\n\n", "reply line 1: invalid errno \"-4096\": number too large" },
		{ "errno=0 \n\n", "reply line 1: invalid errno \"0 \": not a decimal number" },
		{ "garbage\nerrno=0\n\n", "reply line 1: \"garbage\" is not key=value" },
		{ "\x1b[31mred\n", "reply line 1: \"\\x1b[31mred\" is not key=value" },
		{ "listen_port=65536\nerrno=0\n\n",
		  "reply line 1: invalid listen_port \"65536\": number too large" },
		{ "listen_port=-1\nerrno=0\n\n",
		  "reply line 1: invalid listen_port \"-1\": not a decimal number" },
		{ "listen_port=\nerrno=0\n\n",
		  "reply line 1: invalid listen_port \"\": not a decimal number" },
		{ "fwmark=4294967296\nerrno=0\n\n",
		  "reply line 1: invalid fwmark \"4294967296\": number too large" },
		{ "fwmark=0x20\nerrno=0\n\n",
		  "reply line 1: invalid fwmark \"0x20\": not a decimal number" },
		{ "private_key=" PRIV_HEX "0\nerrno=0\n\n",
		  "reply line 1: invalid private_key (hidden): not 64 hex digits" },
		{ "public_key=xyz\nerrno=0\n\n",
		  "reply line 1: invalid public_key \"xyz\": not 64 hex digits" },
		{ "public_key=" PUB1_HEX "\npreshared_key=" PSK "\nerrno=0\n\n",
		  "reply line 2: invalid preshared_key (hidden): not 64 hex digits" },
		{ "public_key=" PUB1_HEX "\nendpoint=example.com:1\nerrno=0\n\n",
		  "reply line 2: invalid endpoint \"example.com:1\": not a numeric address" },
		{ "public_key=" PUB1_HEX "\nendpoint=192.0.2.1\nerrno=0\n\n",
		  "reply line 2: invalid endpoint \"192.0.2.1\": missing :port" },
		{ "public_key=" PUB1_HEX "\nendpoint=\nerrno=0\n\n",
		  "reply line 2: invalid endpoint \"\": empty endpoint" },
		{ "public_key=" PUB1_HEX "\nallowed_ip=10.0.0.1\nerrno=0\n\n",
		  "reply line 2: invalid allowed_ip \"10.0.0.1\": no prefix length" },
		{ "public_key=" PUB1_HEX "\nallowed_ip=10.0.0.1/33\nerrno=0\n\n",
		  "reply line 2: invalid allowed_ip \"10.0.0.1/33\": prefix length exceeds 32" },
		{ "public_key=" PUB1_HEX "\nallowed_ip=-10.0.0.1/32\nerrno=0\n\n",
		  "reply line 2: invalid allowed_ip \"-10.0.0.1/32\": not an IPv4 address" },
		{ "public_key=" PUB1_HEX "\npersistent_keepalive_interval=65536\nerrno=0\n\n",
		  "reply line 2: invalid persistent_keepalive_interval \"65536\": number too large" },
		{ "public_key=" PUB1_HEX "\nlast_handshake_time_sec=9223372036854775808\nerrno=0\n\n",
		  "reply line 2: invalid last_handshake_time_sec \"9223372036854775808\": number too large" },
		{ "public_key=" PUB1_HEX "\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
		  "reply line 2: invalid last_handshake_time_nsec \"1000000000\": number too large" },
		{ "public_key=" PUB1_HEX "\nrx_bytes=18446744073709551616\nerrno=0\n\n",
		  "reply line 2: invalid rx_bytes \"18446744073709551616\": number too large" },
		{ "public_key=" PUB1_HEX "\ntx_bytes=1e3\nerrno=0\n\n",
		  "reply line 2: invalid tx_bytes \"1e3\": not a decimal number" },
		{ "rampart_drop_Bad=1\nerrno=0\n\n",
		  "reply line 1: invalid drop reason \"Bad\": not 1 to 63 of [a-z0-9_]" },
		{ "rampart_drop_=1\nerrno=0\n\n",
		  "reply line 1: invalid drop reason \"\": not 1 to 63 of [a-z0-9_]" },
		{ "rampart_drop_x=-1\nerrno=0\n\n",
		  "reply line 1: invalid rampart_drop_x \"-1\": not a decimal number" },
		/* A key pasted where no key belongs is still not echoed. */
		{ PRIV_HEX "\nerrno=0\n\n", "reply line 1: \"(hidden)\" is not key=value" },
		{ "errno=0\n\nextra", "5 bytes after the end of the reply" },
		{ "errno=0\n\n\n", "1 bytes after the end of the reply" },
		{ "errno=0\r\n\r\n", "reply line 1: invalid errno \"0\\x0d\": not a decimal number" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct uapi_device *dev = (void *)1;
		char err[WGCTL_ERROR_STRLEN] = "";
		int ret = uapi_reply_parse_get(cases[i].text, strlen(cases[i].text), &dev, err,
					  sizeof(err));

		CHECK_MSG(ret == -EPROTO, "case %zu (%s): %d", i, cases[i].msg, ret);
		CHECK(dev == NULL);
		CHECK_STR(err, cases[i].msg);
		CHECK(!strstr(err, PRIV_HEX) && !strstr(err, PSK));
	}
}

static void test_get_nul_and_lines(void)
{
	static const char nul[] = "listen_port=1\nfoo=a\0b\nerrno=0\n\n";
	char *big = malloc(UAPI_REPLY_LINE_MAX + 64);
	struct uapi_device *dev = NULL;
	char err[WGCTL_ERROR_STRLEN];
	size_t n;

	CHECK(uapi_reply_parse_get(nul, sizeof(nul) - 1, &dev, err, sizeof(err)) == -EPROTO);
	CHECK_STR(err, "reply line 2: NUL byte");
	if (!big)
		return;
	/* A line of exactly UAPI_REPLY_LINE_MAX bytes is fine (and ignored)... */
	memset(big, 'a', UAPI_REPLY_LINE_MAX);
	big[0] = 'k';
	big[1] = '=';
	n = UAPI_REPLY_LINE_MAX;
	memcpy(big + n, "\nerrno=0\n\n", 10);
	CHECK(uapi_reply_parse_get(big, n + 10, &dev, err, sizeof(err)) == 0);
	uapi_device_free(dev);
	dev = NULL;
	/* ...one more byte is not. */
	memset(big, 'a', UAPI_REPLY_LINE_MAX + 1);
	big[0] = 'k';
	big[1] = '=';
	n = UAPI_REPLY_LINE_MAX + 1;
	memcpy(big + n, "\nerrno=0\n\n", 10);
	CHECK(uapi_reply_parse_get(big, n + 10, &dev, err, sizeof(err)) == -EPROTO);
	CHECK_STR(err, "reply line 1 longer than 4096 bytes");
	CHECK(dev == NULL);
	free(big);
}

/* Byte by byte, and in every split into two pieces, the reader builds the
 * same device as from one buffer. */
static void test_get_incremental(void)
{
	size_t len = strlen(reply);
	struct uapi_device *whole = parse_ok(reply);

	if (!whole)
		return;
	for (size_t split = 0; split <= len; split += (split < 40 ? 1 : 97)) {
		struct uapi_reply_reader r;
		struct uapi_device *dev = NULL;
		size_t used, at = 0;
		int ret = 0;

		uapi_reply_init(&r, UAPI_REPLY_GET);
		if (split == 0) {
			for (at = 0; at < len && ret == 0; at++) {
				ret = uapi_reply_feed(&r, reply + at, 1, &used);
				CHECK(used == 1);
			}
		} else {
			ret = uapi_reply_feed(&r, reply, split, &used);
			CHECK(ret == (split == len) && used == split);
			if (!ret)
				ret = uapi_reply_feed(&r, reply + split, len - split, &used);
		}
		CHECK_MSG(ret == 1, "split %zu: %d %s", split, ret, r.msg);
		CHECK(uapi_reply_finish(&r) == 0);
		CHECK(uapi_reply_take(&r, &dev) == 0);
		CHECK(dev && device_equal(dev, whole));
		CHECK(dev && dev->n_counters == whole->n_counters);
		uapi_device_free(dev);
		uapi_reply_uninit(&r);
	}
	uapi_device_free(whole);

	/* Bytes after the reply are left alone by the reader. */
	{
		static const char two[] = "errno=0\n\nnext";
		struct uapi_reply_reader r;
		size_t used;

		uapi_reply_init(&r, UAPI_REPLY_SET);
		CHECK(uapi_reply_feed(&r, two, sizeof(two) - 1, &used) == 1);
		CHECK(used == 9);
		CHECK(uapi_reply_take(&r, NULL) == 0);
		uapi_reply_uninit(&r);
	}
}

/* 256 MiB of reply is the limit, counted over every byte. */
static void test_get_size_limit(void)
{
	enum { CHUNK = 1 << 20 };
	char *chunk = malloc(CHUNK);
	struct uapi_reply_reader r;
	size_t used, fed = 0;
	int ret = 0;

	if (!chunk)
		return;
	/* Lines of 4095 bytes plus newline: 256 per MiB. */
	for (size_t i = 0; i < CHUNK; i += 4096) {
		memset(chunk + i, 'x', 4095);
		chunk[i] = 'k';
		chunk[i + 1] = '=';
		chunk[i + 4095] = '\n';
	}
	uapi_reply_init(&r, UAPI_REPLY_GET);
	while (!ret && fed < (size_t)UAPI_REPLY_MAX + CHUNK) {
		ret = uapi_reply_feed(&r, chunk, CHUNK, &used);
		fed += used;
	}
	CHECK(ret == -EPROTO);
	CHECK(fed == (size_t)UAPI_REPLY_MAX);
	CHECK_STR(r.msg, "reply larger than 256 MiB");
	/* It stays failed. */
	CHECK(uapi_reply_feed(&r, "errno=0\n\n", 9, &used) == -EPROTO && used == 0);
	CHECK(uapi_reply_finish(&r) == -EPROTO);
	uapi_reply_uninit(&r);
	free(chunk);
}

/* Random bytes and mutated replies: an error or a device, never a crash
 * (ASan and UBSan watch), and the same answer in pieces as whole. */
static void test_get_garbage(void)
{
	size_t len = strlen(reply);
	char *buf = malloc(len + 1);
	unsigned seed = 12345;

	if (!buf)
		return;
	for (int iter = 0; iter < 3000; iter++) {
		struct uapi_device *a = NULL, *b = NULL;
		char e1[WGCTL_ERROR_STRLEN];
		struct uapi_reply_reader r;
		size_t n = len, used, at = 0;
		int ra, rb = 0;

		memcpy(buf, reply, len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = (char)(seed >> 20);
		}
		if (iter % 7 == 0)
			n = (seed >> 4) % len;
		ra = uapi_reply_parse_get(buf, n, &a, e1, sizeof(e1));
		uapi_reply_init(&r, UAPI_REPLY_GET);
		while (at < n && rb == 0) {
			size_t step = 1 + (at * 7) % 13;

			if (step > n - at)
				step = n - at;
			rb = uapi_reply_feed(&r, buf + at, step, &used);
			at += used;
		}
		if (rb == 0)
			rb = uapi_reply_finish(&r);
		if (rb == 1)
			rb = at == n ? uapi_reply_take(&r, &b) : -EPROTO;
		CHECK_MSG(ra == rb, "iteration %d: %d vs %d (%s / %s)", iter, ra, rb, e1, r.msg);
		CHECK((ra == 0) == (a != NULL));
		if (a && b)
			CHECK(device_equal(a, b));
		uapi_device_free(a);
		uapi_device_free(b);
		uapi_reply_uninit(&r);
	}
	free(buf);
}

static void test_set_reply(void)
{
	char err[WGCTL_ERROR_STRLEN];

	CHECK(uapi_reply_parse_set("errno=0\n\n", 9, err, sizeof(err)) == 0);
	CHECK(uapi_reply_parse_set("errno=-22\n\n", 11, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "Invalid argument");
	/* wg(8) reads only errno= from a set reply. */
	CHECK(uapi_reply_parse_set("private_key=zz\nerrno=0\n\n", 24, err, sizeof(err)) == 0);
	CHECK(uapi_reply_parse_set("\n", 1, err, sizeof(err)) == -EPROTO);
	CHECK_STR(err, "reply line 1: the reply ended without errno=");
	CHECK(uapi_reply_parse_set("errno=0\n", 8, err, sizeof(err)) == -EPROTO);
	CHECK(uapi_reply_parse_set("nothing", 7, err, sizeof(err)) == -EPROTO);
}

/* --- requests ---------------------------------------------------------- */

static void test_request_setconf_addconf(void)
{
	struct conf *conf = conf_from(conf_text);
	struct uapi_device *c = NULL;

	if (!conf)
		return;
	CHECK(wgctl_change_from_conf(conf, WGCTL_SETCONF, &c) == 0);
	if (c)
		request_is(c, wg_setconf);
	uapi_device_free(c);
	CHECK(wgctl_change_from_conf(conf, WGCTL_ADDCONF, &c) == 0);
	if (c)
		request_is(c, wg_addconf);
	uapi_device_free(c);
	conf_free(conf);

	/* An empty file: setconf states an empty device... */
	conf = conf_from("");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SETCONF, &c) == 0);
	if (c)
		request_is(c, "set=1\nprivate_key=" ZERO_HEX "\nlisten_port=0\nfwmark=0\n"
			      "replace_peers=true\n\n");
	uapi_device_free(c);
	/* ...addconf changes nothing. */
	CHECK(wgctl_change_from_conf(conf, WGCTL_ADDCONF, &c) == 0);
	if (c)
		request_is(c, "set=1\n\n");
	uapi_device_free(c);
	conf_free(conf);

	/* FwMark, PresharedKey, no AllowedIPs, and the wg-quick keys that
	 * this request leaves out. */
	conf = conf_from("[Interface]\nFwMark = 0x20\nAddress = 10.0.0.1/24\nMTU = 1380\n"
			 "PostUp = true\n[Peer]\nPublicKey = " PUB2 "\nPresharedKey = " PSK "\n"
			 "PersistentKeepalive = 25\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_ADDCONF, &c) == 0);
	if (c)
		request_is(c, "set=1\nfwmark=32\npublic_key=" PUB2_HEX "\npreshared_key=" PSK_HEX
			      "\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\n\n");
	uapi_device_free(c);
	conf_free(conf);
}

static void test_request_syncconf(void)
{
	struct conf *conf = conf_from(conf_text);
	struct uapi_device *running;
	struct uapi_device *c = NULL;

	if (!conf)
		return;
	running = parse_ok("listen_port=51821\n"
			   "public_key=" PUB4_HEX "\n"
			   "public_key=" PUB1_HEX "\nallowed_ip=10.0.0.2/32\n"
			   "public_key=" PUB3_HEX "\n"
			   "errno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, wg_syncconf);
	}
	uapi_device_free(c);
	uapi_device_free(running);

	/* A device without peers: wg(8) keeps replace_peers. */
	running = parse_ok("errno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, wg_setconf);
	}
	uapi_device_free(c);
	uapi_device_free(running);

	/* Every running peer in the file: nothing removed. */
	running = parse_ok("public_key=" PUB2_HEX "\npublic_key=" PUB1_HEX "\nerrno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, "set=1\nprivate_key=" PRIV_HEX "\nlisten_port=51821\nfwmark=0\n"
			      SETCONF_PEERS "\n");
	}
	uapi_device_free(c);
	uapi_device_free(running);
	conf_free(conf);

	/* A file without peers: replace_peers, whatever runs. */
	conf = conf_from("[Interface]\nListenPort = 1\n");
	running = parse_ok("public_key=" PUB2_HEX "\nerrno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, "set=1\nprivate_key=" ZERO_HEX "\nlisten_port=1\nfwmark=0\n"
			      "replace_peers=true\n\n");
	}
	uapi_device_free(c);
	uapi_device_free(running);
	conf_free(conf);
}

static struct uapi_device *set_args(const char *const *args, size_t n, char *err,
				     size_t errlen, struct textbuf *warn, int *ret)
{
	struct uapi_device *c = NULL;

	*ret = wgctl_parse_set_args((int)n, (char *const *)args, &c, warn, err, errlen);
	CHECK((*ret == 0) == (c != NULL));
	return c;
}

static void test_set_args(void)
{
	char priv_path[128], psk_path[128], err[WGCTL_ERROR_STRLEN] = "";
	struct textbuf warn = { 0 };
	struct uapi_device *c;
	int ret;

	snprintf(priv_path, sizeof(priv_path), "%s", write_file("priv", PRIV "\n", 0600));
	snprintf(psk_path, sizeof(psk_path), "%s", write_file("psk", PSK "\n", 0600));
	{
		const char *args[] = { "private-key", priv_path, "listen-port", "51820",
				       "fwmark", "0x20", "peer", PUB1, "preshared-key",
				       psk_path, "endpoint", "192.0.2.1:51820",
				       "persistent-keepalive", "25", "allowed-ips",
				       "10.0.0.0/24,fd00::/64", "peer", PUB2, "remove" };

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		CHECK_MSG(ret == 0, "%s", err);
		if (c) {
			CHECK(wgctl_change_resolve(c, err, sizeof(err)) == 0);
			request_is(c, wg_set);
		}
		CHECK(warn.len == 0);
		uapi_device_free(c);
	}
	{
		const char *args[] = { "peer", PUB1, "endpoint", "[fe80::1%lo]:1",
				       "allowed-ips", "" };

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		if (c) {
			CHECK(wgctl_change_resolve(c, err, sizeof(err)) == 0);
			request_is(c, wg_set_scoped);
		}
		uapi_device_free(c);
	}
	{
		/* A name: refused until resolved, then numeric. */
		const char *args[] = { "peer", PUB1, "endpoint", "localhost:51820" };
		struct textbuf o = { 0 };

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		if (c) {
			CHECK(uapi_format_set(&o, c, err, sizeof(err)) == -EINVAL);
			CHECK_STR(err, "endpoint `localhost:51820' is not resolved");
			textbuf_wipe(&o);
			CHECK_MSG(wgctl_change_resolve(c, err, sizeof(err)) == 0, "%s", err);
			CHECK(uapi_format_set(&o, c, err, sizeof(err)) == 0);
			CHECK(o.buf && (strstr(o.buf, "\nendpoint=127.0.0.1:51820\n") ||
					strstr(o.buf, "\nendpoint=[::1]:51820\n")));
			textbuf_wipe(&o);
		}
		uapi_device_free(c);
	}
	{
		/* Permanent resolution failures are reported at once. */
		const char *args[] = { "peer", PUB1, "endpoint", "no-such-host.invalid:1" };

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		if (c) {
			CHECK(wgctl_change_resolve(c, err, sizeof(err)) == -EHOSTUNREACH);
			CHECK(strstr(err, ": `no-such-host.invalid:1'") != NULL);
		}
		uapi_device_free(c);
	}
	{
		/* Spaces anywhere in the list vanish, as in wg(8); "+" and "-"
		 * (newer wg) keep the peer's other prefixes; keepalive off. */
		const char *args[] = { "peer", PUB1, "allowed-ips", " 10.0.0.1/32 , -10.0.0.2/32",
				       "allowed-ips", "+fd00::1", "persistent-keepalive", "off",
				       "preshared-key", "/dev/null" };

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		if (c)
			request_is(c, "set=1\npublic_key=" PUB1_HEX "\npreshared_key=" ZERO_HEX
				      "\npersistent_keepalive_interval=0\nallowed_ip=10.0.0.1/32\n"
				      "allowed_ip=-10.0.0.2/32\nallowed_ip=fd00::1/128\n\n");
		uapi_device_free(c);
	}
	{
		/* Removing the private key; a repeated peer is two entries. */
		const char *args[] = { "private-key", "/dev/null", "listen-port", "0",
				       "fwmark", "off", "peer", PUB1, "peer", PUB1 };

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		if (c)
			request_is(c, "set=1\nprivate_key=" ZERO_HEX "\nlisten_port=0\nfwmark=0\n"
				      "public_key=" PUB1_HEX "\npublic_key=" PUB1_HEX "\n\n");
		uapi_device_free(c);
	}
	{
		/* Host bits: allowed, with wg(8)'s warning; so is a key file
		 * that others can read. */
		const char *exposed = write_file("exposed", PRIV "\n", 0644);
		const char *args[] = { "private-key", exposed, "peer", PUB1, "allowed-ips",
				       "10.0.0.1/24" };
		char want[256];

		c = set_args(args, ARRAY_SIZE(args), err, sizeof(err), &warn, &ret);
		CHECK(c != NULL);
		snprintf(want, sizeof(want),
			 "Warning: key file `%s' is readable by group or others\n"
			 "Warning: AllowedIP has nonzero host part: 10.0.0.1/24\n", exposed);
		CHECK_STR(warn.buf, want);
		uapi_device_free(c);
		textbuf_wipe(&warn);
	}
	unlink(priv_path);
	unlink(psk_path);
}

static void test_set_args_errors(void)
{
	static const struct {
		const char *args[6];
		int ret;
		const char *msg;
	} cases[] = {
		{ { "listen-port", "70000" }, -EINVAL, "Invalid listen port: `70000' (exceeds 65535)" },
		{ { "listen-port", "http" }, -EINVAL, "Invalid listen port: `http' (not a decimal number)" },
		{ { "listen-port" }, -EINVAL, "Invalid argument: listen-port" },
		{ { "fwmark", "0xfffffffff" }, -EINVAL, "Fwmark is neither 0/off nor 0-0xffffffff: `0xfffffffff'" },
		{ { "fwmark", "-1" }, -EINVAL, "Fwmark is neither 0/off nor 0-0xffffffff: `-1'" },
		{ { "peer", "notakey" }, -EINVAL, "Key is not the correct length or format: `notakey'" },
		{ { "peer", PUB1_HEX }, -EINVAL, "Key is not the correct length or format: `" PUB1_HEX "'" },
		{ { "peer" }, -EINVAL, "Invalid argument: peer" },
		{ { "remove" }, -EINVAL, "Invalid argument: remove" },
		{ { "endpoint", "192.0.2.1:1" }, -EINVAL, "Invalid argument: endpoint" },
		{ { "peer", PUB1, "listen-port", "1" }, -EINVAL, "Invalid argument: listen-port" },
		{ { "peer", PUB1, "private-key", "/dev/null" }, -EINVAL, "Invalid argument: private-key" },
		{ { "peer", PUB1, "endpoint", "192.0.2.1" }, -EINVAL,
		  "Unable to parse endpoint: `192.0.2.1' (missing :port)" },
		{ { "peer", PUB1, "endpoint", "[::1:1" }, -EINVAL,
		  "Unable to parse endpoint: `[::1:1' (no closing ']')" },
		{ { "peer", PUB1, "endpoint", "192.0.2.1:0" }, -EINVAL,
		  "Unable to parse endpoint: `192.0.2.1:0' (port 0 cannot be a destination)" },
		{ { "peer", PUB1, "persistent-keepalive", "65536" }, -EINVAL,
		  "Persistent keepalive interval is neither 0/off nor 1-65535: `65536'" },
		{ { "peer", PUB1, "allowed-ips", "10.0.0.1/33" }, -EINVAL,
		  "AllowedIP is not in the correct format: `10.0.0.1/33' (prefix length exceeds 32)" },
		{ { "peer", PUB1, "allowed-ips", "10.0.0.256/32" }, -EINVAL,
		  "Unable to parse IP address: `10.0.0.256/32' (not an IPv4 address)" },
		{ { "peer", PUB1, "allowed-ips", "10.0.0.1/32," }, -EINVAL,
		  "Unable to parse IP address: `' (empty address)" },
		{ { "peer", PUB1, "preshared-key", "/nonexistent/psk" }, -ENOENT,
		  "Unable to open key file `/nonexistent/psk': No such file or directory" },
		{ { "peer", PUB1, "bogus" }, -EINVAL, "Invalid argument: bogus" },
		{ { "peer", PUB1, "\x1b[2J" }, -EINVAL, "Invalid argument: \\x1b[2J" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char err[WGCTL_ERROR_STRLEN] = "";
		size_t n = 0;
		int ret;

		while (n < ARRAY_SIZE(cases[i].args) && cases[i].args[n])
			n++;
		uapi_device_free(set_args(cases[i].args, n, err, sizeof(err), NULL, &ret));
		CHECK_MSG(ret == cases[i].ret, "case %zu: %d", i, ret);
		CHECK_STR(err, cases[i].msg);
	}
}

static void test_key_files(void)
{
	static const struct {
		const char *text;
		int ret;
		const char *msg; /* after the path */
	} cases[] = {
		{ PRIV, 0, NULL },
		{ PRIV "\n", 0, NULL },
		{ PRIV " \t\r\n\v\f\n", 0, NULL },
		{ "", 0, NULL }, /* zeros */
		{ "abc", -EINVAL, "Invalid length key in key file `%s'" },
		{ " " PRIV, -EINVAL, "Found trailing characters after the key in key file `%s'" },
		{ " " PRIV_HEX, -EINVAL, "Found trailing characters after the key in key file `%s'" },
		{ "\t8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk", -EINVAL,
		  "Key in key file `%s' is not the correct length or format" },
		{ PRIV "x", -EINVAL, "Found trailing characters after the key in key file `%s'" },
		{ PRIV "\n" PRIV "\n", -EINVAL,
		  "Found trailing characters after the key in key file `%s'" },
		{ "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHl=", -EINVAL,
		  "Key in key file `%s' is not the correct length or format" },
	};
	char err[WGCTL_ERROR_STRLEN], want[256];
	uint8_t key[KEY_LEN];
	bool exposed;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *path = write_file("key", cases[i].text, 0600);
		int ret;

		memset(key, 0xaa, sizeof(key));
		ret = wgctl_read_key_file(path, key, &exposed, err, sizeof(err));
		CHECK_MSG(ret == cases[i].ret, "case %zu: %d", i, ret);
		CHECK(!exposed);
		if (cases[i].msg) {
			const char *at = strstr(cases[i].msg, "%s");

			snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - cases[i].msg),
				 cases[i].msg, path, at + 2);
			CHECK_STR(err, want);
			CHECK(!strstr(err, "8MgX"));
		} else if (cases[i].text[0]) {
			key_is(key, PRIV);
		} else {
			CHECK(encoding_key_is_zero(key));
		}
	}
	/* 4 KiB of trailing whitespace is the most a key file may carry. */
	{
		char *big = malloc(8192);
		const char *path;

		memcpy(big, PRIV, KEY_B64_LEN);
		memset(big + KEY_B64_LEN, ' ', 4096 - KEY_B64_LEN);
		big[4096] = '\0';
		path = write_file("key", big, 0600);
		CHECK(wgctl_read_key_file(path, key, &exposed, err, sizeof(err)) == 0);
		big[4096] = ' ';
		big[4097] = '\0';
		path = write_file("key", big, 0600);
		CHECK(wgctl_read_key_file(path, key, &exposed, err, sizeof(err)) == -EINVAL);
		snprintf(want, sizeof(want), "Key file `%s' is longer than 4096 bytes", path);
		CHECK_STR(err, want);
		free(big);
	}
	CHECK(wgctl_read_key_file("/dev/null", key, &exposed, err, sizeof(err)) == 0);
	CHECK(encoding_key_is_zero(key) && !exposed);
	CHECK(wgctl_read_key_file(write_file("key", PRIV, 0640), key, &exposed, err,
				  sizeof(err)) == 0);
	CHECK(exposed);
	CHECK(wgctl_read_key_file(tmpdir, key, &exposed, err, sizeof(err)) == -EISDIR);
	unlink(write_file("key", "", 0600));
}

static void test_conf_check(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1 "\n", NULL },
		{ "[Interface]\nListenPort = 1\nAddress = 10.0.0.1/24\n", "t.conf:3: Address" },
		{ "[Interface]\nDNS = 1.1.1.1\nAddress = 10.0.0.1/24\n", "t.conf:2: DNS" },
		{ "[Interface]\nMTU =\n", "t.conf:2: MTU" },
		{ "[Interface]\nMTU = 1280\n", "t.conf:2: MTU" },
		{ "[Interface]\n\nTable = off\n", "t.conf:3: Table" },
		{ "[Interface]\nPostDown = x\nPreUp = y\n", "t.conf:2: PostDown" },
		{ "[Interface]\nSaveConfig = false\n", "t.conf:2: SaveConfig" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct conf *conf = conf_from(cases[i].text);
		char err[WGCTL_ERROR_STRLEN] = "", want[256];
		int ret;

		if (!conf)
			continue;
		ret = wgctl_conf_check_wg_only(conf, "t.conf", err, sizeof(err));
		if (!cases[i].msg) {
			CHECK(ret == 0);
		} else {
			CHECK(ret == -EINVAL);
			snprintf(want, sizeof(want), "%s: a wg-quick key, which setconf does not "
				 "take (`rampart strip' prints the part it takes)", cases[i].msg);
			CHECK_STR(err, want);
		}
		conf_free(conf);
	}
}

static void test_load_conf(void)
{
	char err[WGCTL_ERROR_STRLEN], want[256];
	struct conf *conf = NULL;
	const char *path = write_file("c.conf", conf_text, 0600);

	CHECK(wgctl_load_conf(path, &conf, err, sizeof(err)) == 0);
	CHECK(conf && conf->n_peers == 2);
	conf_free(conf);
	path = write_file("c.conf", "[Interface]\nListenPort = 70000\n", 0600);
	CHECK(wgctl_load_conf(path, &conf, err, sizeof(err)) == -EINVAL && !conf);
	snprintf(want, sizeof(want), "%s:2: ListenPort: invalid port \"70000\": exceeds 65535",
		 path);
	CHECK_STR(err, want);
	CHECK(wgctl_load_conf("/nonexistent.conf", &conf, err, sizeof(err)) == -ENOENT);
	CHECK_STR(err, "Unable to open `/nonexistent.conf': No such file or directory");
	CHECK(wgctl_load_conf("/dev/null", &conf, err, sizeof(err)) == 0);
	CHECK(conf && conf->n_peers == 0);
	conf_free(conf);
	unlink(path);
}

/* --- wording ----------------------------------------------------------- */

static void test_durations(void)
{
	static const struct {
		uint64_t secs;
		const char *text;
	} cases[] = {
		{ 0, "" },
		{ 1, "1 second" },
		{ 2, "2 seconds" },
		{ 59, "59 seconds" },
		{ 60, "1 minute" },
		{ 61, "1 minute, 1 second" },
		{ 65, "1 minute, 5 seconds" },
		{ 120, "2 minutes" },
		{ 3600, "1 hour" },
		{ 3661, "1 hour, 1 minute, 1 second" },
		{ 7322, "2 hours, 2 minutes, 2 seconds" },
		{ 86400, "1 day" },
		{ 86401, "1 day, 1 second" },
		{ 172800 + 7200, "2 days, 2 hours" },
		{ 31536000, "1 year" },
		{ 31536000 + 86400, "1 year, 1 day" },
		{ 2 * 31536000ULL + 3 * 86400 + 4 * 3600 + 5 * 60 + 6,
		  "2 years, 3 days, 4 hours, 5 minutes, 6 seconds" },
		{ 65535, "18 hours, 12 minutes, 15 seconds" },
		{ UINT64_MAX, "584942417355 years, 26 days, 7 hours, 15 seconds" },
	};
	char buf[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = wgctl_format_duration(buf, sizeof(buf), cases[i].secs, false);

		CHECK_STR(buf, cases[i].text);
		CHECK(n == strlen(cases[i].text));
	}
	wgctl_format_duration(buf, sizeof(buf), 61, true);
	CHECK_STR(buf, "1 " CYAN "minute" RESET ", 1 " CYAN "second" RESET);
	/* A short buffer is cut, never overrun. */
	CHECK(wgctl_format_duration(buf, 8, 3661, false) == 7);
	CHECK_STR(buf, "1 hour,");

	wgctl_format_ago(buf, sizeof(buf), NOW, NOW, false);
	CHECK_STR(buf, "Now");
	wgctl_format_ago(buf, sizeof(buf), NOW - 1, NOW, false);
	CHECK_STR(buf, "1 second ago");
	wgctl_format_ago(buf, sizeof(buf), NOW - 65, NOW, false);
	CHECK_STR(buf, "1 minute, 5 seconds ago");
	wgctl_format_ago(buf, sizeof(buf), 1, NOW, false);
	CHECK_STR(buf, "53 years, 330 days, 22 hours, 13 minutes, 19 seconds ago");
	wgctl_format_ago(buf, sizeof(buf), NOW + 1, NOW, false);
	CHECK_STR(buf, "(System clock wound backward; connection problems may ensue.)");
	wgctl_format_ago(buf, sizeof(buf), NOW + 1, NOW, true);
	CHECK_STR(buf, "(" RED "System clock wound backward; connection problems may ensue." RESET ")");
	wgctl_format_ago(buf, sizeof(buf), NOW - 2, NOW, true);
	CHECK_STR(buf, "2 " CYAN "seconds" RESET " ago");
}

static void test_bytes(void)
{
	static const struct {
		uint64_t b;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.00 KiB" },
		{ 1424, "1.39 KiB" },
		{ 1500, "1.46 KiB" },
		{ 1048575, "1024.00 KiB" },
		{ 1048576, "1.00 MiB" },
		{ 1572864, "1.50 MiB" },
		{ 1073741823, "1024.00 MiB" },
		{ 1073741824, "1.00 GiB" },
		{ 1099511627775ULL, "1024.00 GiB" },
		{ 1099511627776ULL, "1.00 TiB" },
		{ 1125899906842624ULL, "1024.00 TiB" },
		{ UINT64_MAX, "16777216.00 TiB" },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		wgctl_format_bytes(buf, sizeof(buf), cases[i].b, false);
		CHECK_STR(buf, cases[i].text);
	}
	wgctl_format_bytes(buf, sizeof(buf), 5, true);
	CHECK_STR(buf, "5 " CYAN "B" RESET);
	wgctl_format_bytes(buf, sizeof(buf), 1500, true);
	CHECK_STR(buf, "1.46 " CYAN "KiB" RESET);
}

/* --- show and showconf ------------------------------------------------- */

static const char pretty[] =
	"interface: wg0\n"
	"  public key: " PUB1 "\n"
	"  private key: (hidden)\n"
	"  listening port: 51820\n"
	"  fwmark: 0x20\n"
	"\n"
	"peer: " PUB1 "\n"
	"  preshared key: (hidden)\n"
	"  endpoint: 192.0.2.1:51820\n"
	"  allowed ips: 10.0.0.0/24, fd00::/64\n"
	"  latest handshake: 1 minute, 5 seconds ago\n"
	"  transfer: 1.46 KiB received, 1.39 KiB sent\n"
	"  persistent keepalive: every 25 seconds\n"
	"\n"
	"peer: " PUB3 "\n"
	"  allowed ips: 192.168.1.0/24\n"
	"  latest handshake: 1 hour, 1 minute, 40 seconds ago\n"
	"  transfer: 2.00 MiB received, 0 B sent\n"
	"  persistent keepalive: every 1 hour, 1 minute, 1 second\n"
	"\n"
	"peer: " PUB2 "\n"
	"  endpoint: [fe80::1%lo]:51820\n"
	"  allowed ips: (none)\n";

/* The same with wg(8)'s colours, escape by escape. */
static const char pretty_color[] =
	RESET GREEN BOLD "interface" RESET ": " GREEN "wg0" RESET "\n"
	"  " BOLD "public key" RESET ": " PUB1 "\n"
	"  " BOLD "private key" RESET ": (hidden)\n"
	"  " BOLD "listening port" RESET ": 51820\n"
	"  " BOLD "fwmark" RESET ": 0x20\n"
	"\n"
	YELLOW BOLD "peer" RESET ": " YELLOW PUB1 RESET "\n"
	"  " BOLD "preshared key" RESET ": (hidden)\n"
	"  " BOLD "endpoint" RESET ": 192.0.2.1:51820\n"
	"  " BOLD "allowed ips" RESET ": 10.0.0.0" CYAN "/" RESET "24, fd00::" CYAN "/" RESET "64\n"
	"  " BOLD "latest handshake" RESET ": 1 " CYAN "minute" RESET ", 5 " CYAN "seconds" RESET " ago\n"
	"  " BOLD "transfer" RESET ": 1.46 " CYAN "KiB" RESET " received, 1.39 " CYAN "KiB" RESET " sent\n"
	"  " BOLD "persistent keepalive" RESET ": every 25 " CYAN "seconds" RESET "\n"
	"\n"
	YELLOW BOLD "peer" RESET ": " YELLOW PUB3 RESET "\n"
	"  " BOLD "allowed ips" RESET ": 192.168.1.0" CYAN "/" RESET "24\n"
	"  " BOLD "latest handshake" RESET ": 1 " CYAN "hour" RESET ", 1 " CYAN "minute" RESET
	", 40 " CYAN "seconds" RESET " ago\n"
	"  " BOLD "transfer" RESET ": 2.00 " CYAN "MiB" RESET " received, 0 " CYAN "B" RESET " sent\n"
	"  " BOLD "persistent keepalive" RESET ": every 1 " CYAN "hour" RESET ", 1 " CYAN "minute"
	RESET ", 1 " CYAN "second" RESET "\n"
	"\n"
	YELLOW BOLD "peer" RESET ": " YELLOW PUB2 RESET "\n"
	"  " BOLD "endpoint" RESET ": [fe80::1%lo]:51820\n"
	"  " BOLD "allowed ips" RESET ": (none)\n";

static void test_pretty(void)
{
	struct uapi_device *dev = sample_device();
	struct textbuf o = { 0 };

	if (!dev)
		return;
	wgctl_format_pretty(&o, dev, NOW, 0);
	CHECK_STR(o.buf, pretty);
	textbuf_wipe(&o);
	wgctl_format_pretty(&o, dev, NOW, WGCTL_SHOW_COLOR);
	CHECK_STR(o.buf, pretty_color);
	textbuf_wipe(&o);
	/* WG_HIDE_KEYS=never */
	wgctl_format_pretty(&o, dev, NOW, WGCTL_SHOW_KEYS);
	CHECK(o.buf && strstr(o.buf, "  private key: " PRIV "\n"));
	CHECK(o.buf && strstr(o.buf, "  preshared key: " PSK "\n"));
	textbuf_wipe(&o);
	uapi_device_free(dev);

	/* Ties keep reply order; a handshake "now"; no peers, no blank line;
	 * an nsec-only handshake counts for sorting but is not printed. */
	dev = parse_ok("public_key=" PUB2_HEX "\nlast_handshake_time_sec=" STR(NOW) "\n"
		       "public_key=" PUB4_HEX "\nlast_handshake_time_nsec=1\n"
		       "public_key=" PUB3_HEX "\nlast_handshake_time_sec=" STR(NOW) "\n"
		       "public_key=" PUB1_HEX "\n"
		       "errno=0\n\n");
	if (dev) {
		snprintf(dev->name, sizeof(dev->name), "x");
		wgctl_format_pretty(&o, dev, NOW, 0);
		CHECK_STR(o.buf, "interface: x\n\n"
				 "peer: " PUB2 "\n  allowed ips: (none)\n  latest handshake: Now\n\n"
				 "peer: " PUB3 "\n  allowed ips: (none)\n  latest handshake: Now\n\n"
				 "peer: " PUB4 "\n  allowed ips: (none)\n\n"
				 "peer: " PUB1 "\n  allowed ips: (none)\n");
		textbuf_wipe(&o);
		uapi_device_free(dev);
	}
	dev = parse_ok("listen_port=5\nerrno=0\n\n");
	if (dev) {
		snprintf(dev->name, sizeof(dev->name), "wg9");
		wgctl_format_pretty(&o, dev, NOW, 0);
		CHECK_STR(o.buf, "interface: wg9\n  listening port: 5\n");
		textbuf_wipe(&o);
		uapi_device_free(dev);
	}
}

static void field_is(const struct uapi_device *dev, const char *field, bool with_ifname,
		     const char *want)
{
	struct textbuf o = { 0 };

	textbuf_append(&o, "", 0);
	CHECK(wgctl_format_field(&o, dev, field, with_ifname) == 0);
	CHECK_STR(o.buf, want);
	textbuf_wipe(&o);
}

static void test_fields(void)
{
	struct uapi_device *dev = sample_device(), *empty;
	struct textbuf o = { 0 };

	if (!dev)
		return;
	field_is(dev, "public-key", false, PUB1 "\n");
	field_is(dev, "public-key", true, "wg0\t" PUB1 "\n");
	field_is(dev, "private-key", false, PRIV "\n");
	field_is(dev, "listen-port", true, "wg0\t51820\n");
	field_is(dev, "fwmark", false, "0x20\n");
	field_is(dev, "peers", true, "wg0\t" PUB2 "\nwg0\t" PUB1 "\nwg0\t" PUB3 "\n");
	field_is(dev, "preshared-keys", false,
		 PUB2 "\t(none)\n" PUB1 "\t" PSK "\n" PUB3 "\t(none)\n");
	field_is(dev, "endpoints", false,
		 PUB2 "\t[fe80::1%lo]:51820\n" PUB1 "\t192.0.2.1:51820\n" PUB3 "\t(none)\n");
	field_is(dev, "endpoints", true,
		 "wg0\t" PUB2 "\t[fe80::1%lo]:51820\nwg0\t" PUB1 "\t192.0.2.1:51820\n"
		 "wg0\t" PUB3 "\t(none)\n");
	field_is(dev, "allowed-ips", false,
		 PUB2 "\t(none)\n" PUB1 "\t10.0.0.0/24 fd00::/64\n" PUB3 "\t192.168.1.0/24\n");
	field_is(dev, "latest-handshakes", false,
		 PUB2 "\t0\n" PUB1 "\t1699999935\n" PUB3 "\t1699996300\n");
	field_is(dev, "transfer", true,
		 "wg0\t" PUB2 "\t0\t0\nwg0\t" PUB1 "\t1500\t1424\nwg0\t" PUB3 "\t2097152\t0\n");
	field_is(dev, "persistent-keepalive", false,
		 PUB2 "\toff\n" PUB1 "\t25\n" PUB3 "\t3661\n");
	field_is(dev, "dump", false,
		 PRIV "\t" PUB1 "\t51820\t0x20\n"
		 PUB2 "\t(none)\t[fe80::1%lo]:51820\t(none)\t0\t0\t0\toff\n"
		 PUB1 "\t" PSK "\t192.0.2.1:51820\t10.0.0.0/24,fd00::/64\t1699999935\t1500\t1424\t25\n"
		 PUB3 "\t(none)\t(none)\t192.168.1.0/24\t1699996300\t2097152\t0\t3661\n");
	field_is(dev, "dump", true,
		 "wg0\t" PRIV "\t" PUB1 "\t51820\t0x20\n"
		 "wg0\t" PUB2 "\t(none)\t[fe80::1%lo]:51820\t(none)\t0\t0\t0\toff\n"
		 "wg0\t" PUB1 "\t" PSK "\t192.0.2.1:51820\t10.0.0.0/24,fd00::/64\t1699999935\t1500\t1424\t25\n"
		 "wg0\t" PUB3 "\t(none)\t(none)\t192.168.1.0/24\t1699996300\t2097152\t0\t3661\n");
	field_is(dev, "drops", false, "invalid_mac1\t3\nreplay\t0\n");
	field_is(dev, "drops", true, "wg0\tinvalid_mac1\t3\nwg0\treplay\t0\n");
	CHECK(wgctl_format_field(&o, dev, "bogus", false) == -EINVAL);
	CHECK(wgctl_format_field(&o, dev, "", true) == -EINVAL);
	CHECK(wgctl_format_field(&o, dev, "Dump", true) == -EINVAL);
	CHECK(o.len == 0);
	CHECK(wgctl_valid_field("drops") && !wgctl_valid_field("interfaces"));
	textbuf_wipe(&o);
	uapi_device_free(dev);

	empty = parse_ok("errno=0\n\n");
	if (empty) {
		snprintf(empty->name, sizeof(empty->name), "e");
		field_is(empty, "public-key", false, "(none)\n");
		field_is(empty, "private-key", true, "e\t(none)\n");
		field_is(empty, "listen-port", false, "0\n");
		field_is(empty, "fwmark", false, "off\n");
		field_is(empty, "peers", false, "");
		field_is(empty, "endpoints", true, "");
		field_is(empty, "drops", false, "");
		field_is(empty, "dump", true, "e\t(none)\t(none)\t0\toff\n");
		uapi_device_free(empty);
	}
}

static void test_showconf(void)
{
	struct uapi_device *dev = sample_device();
	struct textbuf o = { 0 };

	if (!dev)
		return;
	wgctl_format_showconf(&o, dev);
	CHECK_STR(o.buf, "[Interface]\n"
			 "ListenPort = 51820\n"
			 "FwMark = 0x20\n"
			 "PrivateKey = " PRIV "\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = " PUB2 "\n"
			 "Endpoint = [fe80::1%lo]:51820\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = " PUB1 "\n"
			 "PresharedKey = " PSK "\n"
			 "AllowedIPs = 10.0.0.0/24, fd00::/64\n"
			 "Endpoint = 192.0.2.1:51820\n"
			 "PersistentKeepalive = 25\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = " PUB3 "\n"
			 "AllowedIPs = 192.168.1.0/24\n"
			 "PersistentKeepalive = 3661\n");
	textbuf_wipe(&o);
	uapi_device_free(dev);
	dev = parse_ok("errno=0\n\n");
	if (dev) {
		wgctl_format_showconf(&o, dev);
		CHECK_STR(o.buf, "[Interface]\n\n");
		textbuf_wipe(&o);
		uapi_device_free(dev);
	}
}

/* --- the socket, against fake daemons ---------------------------------- */

enum fake_mode {
	FAKE_REPLY,   /* read each request, answer from the list */
	FAKE_CLOSE,   /* accept and close at once */
	FAKE_STALL,   /* accept, read, never answer */
	FAKE_EARLY,   /* answer errno=-22 after the first line, then close */
};

struct fake {
	char path[128];
	int fd;
	enum fake_mode mode;
	const char *replies[4];   /* one per connection */
	char requests[4][4096];   /* what each connection sent */
	size_t n_conns;
	pthread_t thread;
};

static void *fake_run(void *arg)
{
	struct fake *f = arg;

	for (size_t c = 0; c < ARRAY_SIZE(f->replies) && (f->replies[c] || c == 0); c++) {
		size_t len = 0;
		int cfd = accept(f->fd, NULL, NULL);

		if (cfd < 0)
			break;
		f->n_conns++;
		if (f->mode == FAKE_CLOSE) {
			close(cfd);
			continue;
		}
		/* Read up to the empty line that ends the operation. */
		while (len + 1 < sizeof(f->requests[c])) {
			ssize_t n = read(cfd, f->requests[c] + len, 1);

			if (n <= 0)
				break;
			len++;
			if (f->mode == FAKE_EARLY && f->requests[c][len - 1] == '\n')
				break;
			if (len >= 2 && !memcmp(f->requests[c] + len - 2, "\n\n", 2))
				break;
		}
		f->requests[c][len] = '\0';
		if (f->mode == FAKE_STALL) {
			struct pollfd pfd = { .fd = cfd, .events = POLLIN };

			poll(&pfd, 1, 2000); /* until the client gives up */
		} else if (f->mode == FAKE_EARLY) {
			if (write(cfd, "errno=-22\n\n", 11) != 11)
				break;
		} else if (f->replies[c]) {
			if (write(cfd, f->replies[c], strlen(f->replies[c])) < 0)
				break;
		}
		close(cfd);
	}
	return NULL;
}

static bool fake_start(struct fake *f, const char *ifname, enum fake_mode mode)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	f->mode = mode;
	tmp_path(f->path, sizeof(f->path), ifname);
	snprintf(f->path + strlen(f->path), sizeof(f->path) - strlen(f->path), ".sock");
	set_sun_path(&addr, f->path);
	unlink(f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(f->fd, 4)) {
		harness_fail(__FILE__, __LINE__, "fake daemon: %s", strerror(errno));
		return false;
	}
	wgctl_set_socket_dir(tmpdir);
	if (pthread_create(&f->thread, NULL, fake_run, f)) {
		harness_fail(__FILE__, __LINE__, "pthread_create failed");
		return false;
	}
	return true;
}

static void fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(f->thread, NULL);
	close(f->fd);
	unlink(f->path);
}

static void test_socket_get_set(void)
{
	struct fake f = { .replies = { reply } };
	struct uapi_device *dev = NULL;
	struct uapi_device *c = NULL;
	char err[WGCTL_ERROR_STRLEN] = "";
	struct conf *conf;

	make_tmpdir();
	wgctl_set_timeout(2000);
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	CHECK_MSG(wgctl_get_device("fk0", &dev, err, sizeof(err)) == 0, "%s", err);
	fake_stop(&f);
	CHECK_STR(f.requests[0], "get=1\n\n");
	if (dev) {
		CHECK_STR(dev->name, "fk0");
		CHECK(dev->n_peers == 3 && dev->n_counters == 2);
	}
	uapi_device_free(dev);

	/* set: the exact request, and the daemon's refusal as wg(8) says it. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "errno=0\n\n";
	f.replies[1] = "errno=-98\n\n";
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	conf = conf_from(conf_text);
	CHECK(conf && wgctl_change_from_conf(conf, WGCTL_SETCONF, &c) == 0);
	CHECK(c && wgctl_set_device("fk0", c, err, sizeof(err)) == 0);
	CHECK(c && wgctl_set_device("fk0", c, err, sizeof(err)) == -EADDRINUSE);
	CHECK_STR(err, "Address already in use");
	fake_stop(&f);
	CHECK_STR(f.requests[0], wg_setconf);
	CHECK_STR(f.requests[1], wg_setconf);
	uapi_device_free(c);

	/* wgctl_apply_conf(SYNCCONF): a get, then the sync request. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "public_key=" PUB3_HEX "\npublic_key=" PUB1_HEX "\npublic_key=" PUB4_HEX
		       "\nerrno=0\n\n";
	f.replies[1] = "errno=0\n\n";
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	CHECK_MSG(wgctl_apply_conf("fk0", conf, WGCTL_SYNCCONF, err, sizeof(err)) == 0, "%s", err);
	fake_stop(&f);
	CHECK_STR(f.requests[0], "get=1\n\n");
	CHECK_STR(f.requests[1], wg_syncconf);

	/* SETCONF and ADDCONF: one set each. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "errno=0\n\n";
	f.replies[1] = "errno=0\n\n";
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	CHECK(wgctl_apply_conf("fk0", conf, WGCTL_SETCONF, err, sizeof(err)) == 0);
	CHECK(wgctl_apply_conf("fk0", conf, WGCTL_ADDCONF, err, sizeof(err)) == 0);
	fake_stop(&f);
	CHECK_STR(f.requests[0], wg_setconf);
	CHECK_STR(f.requests[1], wg_addconf);
	conf_free(conf);

	/* wgctl_get_conf: the running configuration as a conf. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = reply;
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	conf = NULL;
	CHECK(wgctl_get_conf("fk0", &conf, err, sizeof(err)) == 0);
	fake_stop(&f);
	if (conf) {
		char *text = wgconf_format(conf, WGCONF_STRIP, NULL);

		CHECK_STR(text, "[Interface]\nPrivateKey = " PRIV "\nListenPort = 51820\n"
				"FwMark = 0x20\n\n"
				"[Peer]\nPublicKey = " PUB2 "\nEndpoint = [fe80::1%lo]:51820\n\n"
				"[Peer]\nPublicKey = " PUB1 "\nPresharedKey = " PSK "\n"
				"AllowedIPs = 10.0.0.0/24, fd00::/64\nEndpoint = 192.0.2.1:51820\n"
				"PersistentKeepalive = 25\n\n"
				"[Peer]\nPublicKey = " PUB3 "\nAllowedIPs = 192.168.1.0/24\n"
				"PersistentKeepalive = 3661\n");
		wgconf_text_free(text, text ? strlen(text) : 0);
	}
	conf_free(conf);
	wgctl_set_socket_dir(NULL);
	wgctl_set_timeout(0);
}

static void test_socket_failures(void)
{
	struct uapi_device *dev = (void *)1;
	struct fake f = { 0 };
	char err[WGCTL_ERROR_STRLEN], want[256], path[128];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct uapi_device *c = uapi_device_alloc();
	int fd;

	make_tmpdir();
	wgctl_set_socket_dir(tmpdir);
	wgctl_set_timeout(300);

	/* No socket at all. */
	CHECK(wgctl_get_device("nope0", &dev, err, sizeof(err)) == -ENODEV);
	CHECK(dev == NULL);
	snprintf(want, sizeof(want), "No such device (%s/nope0.sock: No such file or directory)",
		 tmpdir);
	CHECK_STR(err, want);
	CHECK(c && wgctl_set_device("nope0", c, err, sizeof(err)) == -ENODEV);

	/* Bad interface names never reach the file system. */
	CHECK(wgctl_get_device("a/b", &dev, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "Invalid argument (`a/b' is not an interface name: 1 to 15 bytes, no '/')");
	CHECK(wgctl_get_device("0123456789abcdef", &dev, err, sizeof(err)) == -EINVAL);
	CHECK(wgctl_get_device("", &dev, err, sizeof(err)) == -EINVAL);
	CHECK(wgctl_get_device("..", &dev, err, sizeof(err)) == -EINVAL);

	/* A regular file where the socket should be. */
	write_file("file0.sock", "", 0600);
	CHECK(wgctl_get_device("file0", &dev, err, sizeof(err)) == -ENOTSOCK);
	snprintf(want, sizeof(want), "%s (%s/file0.sock is not a socket)", strerror(ENOTSOCK),
		 tmpdir);
	CHECK_STR(err, want);

	/* A stale socket: bound, nobody listening. */
	tmp_path(path, sizeof(path), "stale0.sock");
	set_sun_path(&addr, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(wgctl_get_device("stale0", &dev, err, sizeof(err)) == -ECONNREFUSED);
	snprintf(want, sizeof(want), "Connection refused (%s: no daemon is listening)", path);
	CHECK_STR(err, want);
	close(fd);
	unlink(path);

	/* A daemon that never answers: the timeout, not a hang. */
	tmp_path(path, sizeof(path), "mute0.sock");
	set_sun_path(&addr, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(fd, 1) == 0);
	CHECK(wgctl_get_device("mute0", &dev, err, sizeof(err)) == -ETIMEDOUT);
	CHECK_STR(err, "Connection timed out (mute0: no answer from the daemon in 300 ms)");
	close(fd);
	unlink(path);

	/* One that reads and stalls. */
	if (fake_start(&f, "stall0", FAKE_STALL)) {
		CHECK(c && wgctl_set_device("stall0", c, err, sizeof(err)) == -ETIMEDOUT);
		fake_stop(&f);
		CHECK_STR(f.requests[0], "set=1\n\n");
	}

	/* One that hangs up without a word. */
	memset(&f, 0, sizeof(f));
	if (fake_start(&f, "close0", FAKE_CLOSE)) {
		CHECK(wgctl_get_device("close0", &dev, err, sizeof(err)) == -EPROTO);
		CHECK_STR(err, "Protocol error (the daemon closed the connection without a reply)");
		fake_stop(&f);
	}

	/* One that refuses after the first line, as wireguard-go does on a
	 * bad line: its answer is heard although the request was not read. */
	memset(&f, 0, sizeof(f));
	if (fake_start(&f, "early0", FAKE_EARLY)) {
		struct uapi_peer *p;
		uint8_t key[KEY_LEN] = { 1 };
		struct netaddr_prefix pfx;
		const char *why;
		int ret = 0;

		/* A request of some megabytes. */
		p = uapi_device_add_peer(c, key);
		CHECK(p && netaddr_parse_prefix(&pfx, "10.0.0.0/8", &why));
		for (int i = 0; p && i < 200000 && !ret; i++)
			ret = uapi_peer_add_allowed_ip(p, &pfx, UAPI_ALLOWED_IP_ADD);
		ret = wgctl_set_device("early0", c, err, sizeof(err));
		CHECK_MSG(ret == -EINVAL || ret == -EPIPE, "%d %s", ret, err);
		fake_stop(&f);
	}

	/* A daemon whose reply breaks the protocol. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "listen_port=x\nerrno=0\n\n";
	if (fake_start(&f, "bad0", FAKE_REPLY)) {
		CHECK(wgctl_get_device("bad0", &dev, err, sizeof(err)) == -EPROTO);
		CHECK_STR(err, "Protocol error (reply line 1: invalid listen_port \"x\": not a decimal number)");
		fake_stop(&f);
	}
	uapi_device_free(c);
	wgctl_set_socket_dir(NULL);
	wgctl_set_timeout(0);
}

static void test_list_interfaces(void)
{
	struct fake a = { 0 }, b = { 0 };
	char err[WGCTL_ERROR_STRLEN], **names = NULL, path[128], want[256] = "", got[256] = "";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct dirent *ent;
	size_t n;
	DIR *dir;
	int fd;

	make_tmpdir();
	/* A directory that does not exist is an empty list. */
	wgctl_set_socket_dir("/nonexistent-rampart-dir");
	CHECK(wgctl_list_interfaces(&names, &n, err, sizeof(err)) == 0);
	CHECK(n == 0 && names && !names[0]);
	wgctl_list_free(names);

	a.replies[0] = b.replies[0] = NULL;
	if (!fake_start(&a, "wga", FAKE_CLOSE) || !fake_start(&b, "wgb", FAKE_CLOSE))
		return;
	write_file("notsock.sock", "", 0600);
	write_file("wgc.txt", "", 0600);
	write_file(".sock", "", 0600);
	tmp_path(path, sizeof(path), "stale1.sock");
	set_sun_path(&addr, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);

	/* Live sockets only, in readdir order. */
	dir = opendir(tmpdir);
	while (dir && (ent = readdir(dir))) {
		if (!strcmp(ent->d_name, "wga.sock") || !strcmp(ent->d_name, "wgb.sock")) {
			strncat(want, ent->d_name, strlen(ent->d_name) - 5);
			strcat(want, " ");
		}
	}
	if (dir)
		closedir(dir);
	wgctl_set_socket_dir(tmpdir);
	CHECK(wgctl_list_interfaces(&names, &n, err, sizeof(err)) == 0);
	CHECK(n == 2);
	for (size_t i = 0; names && names[i]; i++) {
		strcat(got, names[i]);
		strcat(got, " ");
	}
	CHECK_STR(got, want);
	wgctl_list_free(names);
	/* The stale socket is left in place. */
	CHECK(access(path, F_OK) == 0);
	close(fd);
	unlink(path);
	/* The connections counted each liveness probe. */
	fake_stop(&a);
	fake_stop(&b);
	CHECK(a.n_conns == 1 && b.n_conns == 1);
	tmp_path(path, sizeof(path), "notsock.sock");
	unlink(path);
	tmp_path(path, sizeof(path), "wgc.txt");
	unlink(path);
	tmp_path(path, sizeof(path), ".sock");
	unlink(path);
	wgctl_set_socket_dir(NULL);
}

static void test_cleanup(void)
{
	char path[128];

	/* Whatever the cases left behind, then the directory. */
	for (const char *const *n = (const char *const[]){ "priv", "psk", "exposed", "key",
							    "c.conf", "file0.sock", NULL };
	     *n; n++) {
		tmp_path(path, sizeof(path), *n);
		unlink(path);
	}
	CHECK_MSG(rmdir(tmpdir) == 0, "rmdir %s: %s", tmpdir, strerror(errno));
}

static const struct harness_case cases[] = {
	{ "get reply: every key, wireguard-go order", test_get_good },
	{ "get reply: minimal replies and extreme numbers", test_get_minimal },
	{ "get reply: what wg(8) ignores", test_get_ignored },
	{ "get reply: errno=-N is the daemon's refusal", test_get_refused },
	{ "get reply: malformed replies, exact messages", test_get_malformed },
	{ "get reply: NUL bytes and the line limit", test_get_nul_and_lines },
	{ "get reply: fed in pieces as in one buffer", test_get_incremental },
	{ "get reply: 256 MiB limit", test_get_size_limit },
	{ "get reply: mutated replies", test_get_garbage },
	{ "set reply", test_set_reply },
	{ "requests: setconf and addconf, exact bytes", test_request_setconf_addconf },
	{ "requests: syncconf removes what the file lacks", test_request_syncconf },
	{ "set argv: grammar and exact requests", test_set_args },
	{ "set argv: errors name the bad value", test_set_args_errors },
	{ "key files as wg(8) reads them", test_key_files },
	{ "setconf refuses wg-quick keys by line", test_conf_check },
	{ "configuration files", test_load_conf },
	{ "durations and ago: wg(8)'s wording", test_durations },
	{ "transfer units and boundaries", test_bytes },
	{ "show: pretty, sorted, coloured", test_pretty },
	{ "show: every field, dump, drops", test_fields },
	{ "showconf", test_showconf },
	{ "socket: get, set, apply and get_conf", test_socket_get_set },
	{ "socket: missing, stale, mute and broken daemons", test_socket_failures },
	{ "socket: listing interfaces", test_list_interfaces },
	{ "cleanup", test_cleanup },
};

HARNESS_MAIN(cases)
