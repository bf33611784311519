/* What the client's unit tests share (test_uapi_client.c, test_wgctl.c,
 * test_setargs.c, test_show.c, test_socket.c): the keys, a get reply in
 * wireguard-go's order, a configuration file and the requests wg(8) sends
 * for it, a scratch directory, and small checks. */
#ifndef RAMPART_TESTS_CLIENT_FIXTURE_H
#define RAMPART_TESTS_CLIENT_FIXTURE_H

#include "harness.h"
#include "wg_captures.h"

#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "uapi/client.h"
#include "uapi/device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static __attribute__((unused)) void make_tmpdir(void)
{
	if (tmpdir[0])
		return;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rampart-wgctl.XXXXXX");
	if (!mkdtemp(tmpdir))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
}

static __attribute__((unused)) void tmp_path(char *buf, size_t size, const char *name)
{
	make_tmpdir();
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static __attribute__((unused)) const char *write_file(const char *name, const char *text, mode_t mode)
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
static __attribute__((unused)) struct uapi_device *parse_ok(const char *text)
{
	struct uapi_device *dev = NULL;
	struct error err = { 0 };
	int ret = uapi_reply_parse_get(text, strlen(text), &dev, &err);

	CHECK_MSG(ret == 0, "parse_get: %d %s", ret, err.msg);
	CHECK(ret != 0 || dev != NULL);
	return dev;
}

static __attribute__((unused)) void key_is(const uint8_t key[KEY_LEN], const char *b64)
{
	char got[KEY_B64_LEN + 1];

	encoding_key_to_base64(got, key);
	CHECK_STR(got, b64);
}

static __attribute__((unused)) void prefix_is(const struct uapi_allowed_ip *p, const char *text)
{
	char buf[NETADDR_PREFIX_STRLEN];

	CHECK_STR(netaddr_format_prefix(buf, &p->prefix), text);
}

static __attribute__((unused)) struct conf *conf_from(const char *text)
{
	struct conf *conf = NULL;
	struct error e;

	CHECK(wgconf_parse(text, strlen(text), "t.conf", &conf, &e) == 0);
	return conf;
}

/* Formats change c and compares with want. */
static __attribute__((unused)) void request_is(const struct uapi_device *c, const char *want)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };
	int ret = uapi_format_set(&o, c, &err);

	CHECK_MSG(ret == 0, "format_set: %s", err.msg);
	CHECK_STR(o.buf, want);
	textbuf_wipe(&o);
}

/* Removes the files a test left in the scratch directory, then the
 * directory. */
static __attribute__((unused)) void remove_tmpdir(const char *const *names)
{
	char path[128];

	for (; *names; names++) {
		tmp_path(path, sizeof(path), *names);
		unlink(path);
	}
	CHECK_MSG(rmdir(tmpdir) == 0, "rmdir %s: %s", tmpdir, strerror(errno));
}

#endif
