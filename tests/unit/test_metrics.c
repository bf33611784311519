/* src/monitor/metrics.c: the exposition text of hand-built devices, byte
 * for byte against tests/golden/metrics/ (which tests/cli/metrics.sh
 * feeds to promtool), the escaping of label values, and no handshake
 * sample before the first handshake; the host's facts (conntrack, firewall
 * counters) after them. */
#include "harness.h"

#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "monitor/metrics.h"
#include "uapi/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_A "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define KEY_B "//////////////////////////////////////////8="

static struct uapi_peer *add_peer(struct uapi_device *dev, const char *b64)
{
	uint8_t key[KEY_LEN];

	CHECK(encoding_key_from_base64(key, b64));
	return uapi_device_add_peer(dev, key);
}

static void add_prefix(struct uapi_peer *p, const char *s)
{
	struct netaddr_prefix prefix;
	const char *why;

	CHECK(netaddr_parse_prefix(&prefix, s, &why));
	CHECK(!uapi_peer_add_allowed_ip(p, &prefix, UAPI_ALLOWED_IP_ADD));
}

static void add_counter(struct uapi_device *dev, const char *name, uint64_t value)
{
	CHECK(!uapi_device_add_counter(dev, name, value));
}

/* Renders (with the host's facts after, if any) and compares with a
 * golden file (relative to $RAMPART_TOP). */
static void check_golden(const struct metrics_interface *ifs, size_t n,
			 const struct metrics_host *host, const char *golden)
{
	struct textbuf o = { 0 };
	size_t len;
	char *want = harness_slurp(golden, &len);

	metrics_render(&o, ifs, n);
	if (host)
		metrics_render_host(&o, host);
	CHECK(!o.err);
	if (getenv("RAMPART_UPDATE_GOLDEN")) { /* after a change meant to show */
		FILE *f = fopen(golden, "w");

		CHECK(f && o.buf && fwrite(o.buf, 1, o.len, f) == o.len);
		if (f)
			fclose(f);
	} else if (want)
		CHECK_STR(o.buf ? o.buf : "", want);
	free(want);
	textbuf_wipe(&o);
}

/* wg0: a peer that handshook and one that never did, drops and other
 * counters; wg1 did not answer; wg2: no peers and counters of which
 * one wg0 also has, one without a known meaning and one ("drops") that
 * would clash with rampart_drops_total. */
static void test_devices(void)
{
	struct uapi_device *wg0 = uapi_device_alloc(), *wg2 = uapi_device_alloc();
	struct conf *file = NULL;
	struct conf_peer *fp;
	struct uapi_peer *p;
	const char *why;

	CHECK(wg0 && wg2);
	if (!wg0 || !wg2)
		goto out;
	p = add_peer(wg0, KEY_A);
	CHECK(uapi_endpoint_parse(&p->endpoint, "192.0.2.1:51820", &why));
	p->flags |= UAPI_PEER_HAS_ENDPOINT;
	add_prefix(p, "10.0.0.2/32");
	add_prefix(p, "fd00::/64");
	p->last_handshake_sec = 1700000000;
	p->last_handshake_nsec = 500000000;
	p->rx_bytes = 1372;
	p->tx_bytes = 1428;
	/* The peer's own counters; the other peer has none: 0 samples. */
	CHECK(!uapi_peer_add_counter(p, "rx_packets", 3));
	CHECK(!uapi_peer_add_counter(p, "endpoint_changes", 1));
	add_peer(wg0, KEY_B);
	add_counter(wg0, "drop_invalid_mac1", 3);
	add_counter(wg0, "allowed_ips_moved", 1);
	add_counter(wg0, "drop_no_route", 7);
	add_counter(wg0, "tun_write_failed", 2);
	add_counter(wg2, "tun_write_failed", 5);
	add_counter(wg2, "datagram_truncated", 9);
	add_counter(wg2, "future_event", 4);
	add_counter(wg2, "drops", 1);
	/* The gauge and the time in ns: their own families; wg2 has
	 * neither (a daemon that does not send them). */
	add_counter(wg0, "sessions", 1);
	add_counter(wg0, "under_load_ns", 2500000001ULL);
	add_counter(wg0, "events_suppressed", 1997);

	/* wg0's config file names the first peer only. */
	file = conf_alloc();
	fp = file ? conf_add_peer(file, 1) : NULL;
	CHECK(fp != NULL);
	if (!fp)
		goto out;
	fp->has_public_key = true;
	memcpy(fp->public_key, wg0->peers[0].public_key, KEY_LEN);
	snprintf(fp->name, sizeof(fp->name), "alice's laptop");

	const struct metrics_interface ifs[] = {
		{ "wg0", wg0, file }, { "wg1", NULL, NULL }, { "wg2", wg2, NULL },
	};
	check_golden(ifs, ARRAY_SIZE(ifs), NULL, "tests/golden/metrics/devices.prom");
out:
	conf_free(file);
	uapi_device_free(wg0);
	uapi_device_free(wg2);
}

/* Backslash, double quote and newline in an interface name and in an
 * endpoint's host name (a reply always has numeric endpoints, but the
 * model allows a name). */
static void test_escaping(void)
{
	struct uapi_device *dev = uapi_device_alloc();
	struct uapi_peer *p;

	CHECK(dev);
	if (!dev)
		return;
	p = add_peer(dev, KEY_A);
	p->endpoint.host = strdup("odd\"host\\name\n");
	p->endpoint.port = 1;
	p->flags |= UAPI_PEER_HAS_ENDPOINT;
	add_counter(dev, "drop_x", 1);

	const struct metrics_interface ifs[] = { { "a\"b\\c\nd", dev, NULL } };
	check_golden(ifs, ARRAY_SIZE(ifs), NULL, "tests/golden/metrics/escaping.prom");
	uapi_device_free(dev);
}

/* Before the first handshake: the family's # HELP and # TYPE, no sample;
 * after it, one. */
static void test_no_handshake(void)
{
	static const char family[] = "rampart_peer_last_handshake_timestamp_seconds";
	struct uapi_device *dev = uapi_device_alloc();
	struct textbuf o = { 0 };
	struct uapi_peer *p;

	CHECK(dev);
	if (!dev)
		return;
	p = add_peer(dev, KEY_B);
	p->rx_bytes = 148;

	const struct metrics_interface ifs[] = { { "wg0", dev, NULL } };
	metrics_render(&o, ifs, 1);
	CHECK(!o.err && o.buf);
	CHECK(strstr(o.buf, "# TYPE rampart_peer_last_handshake_timestamp_seconds gauge\n"));
	CHECK(!strstr(o.buf, "rampart_peer_last_handshake_timestamp_seconds{"));
	CHECK(strstr(o.buf, "rampart_peer_receive_bytes_total{interface=\"wg0\",public_key=\""
		  KEY_B "\"} 148\n"));
	textbuf_wipe(&o);

	p->last_handshake_sec = 1700000001;
	metrics_render(&o, ifs, 1);
	CHECK(!o.err && o.buf);
	CHECK(strstr(o.buf, "rampart_peer_last_handshake_timestamp_seconds{interface=\"wg0\","
		  "public_key=\"" KEY_B "\"} 1700000001.000000000\n"));
	CHECK(strstr(o.buf, family) && strstr(strstr(o.buf, family) + 1, family));
	textbuf_wipe(&o);
	uapi_device_free(dev);
}

/* No interface at all (no daemon running): the families' headers only. */
static void test_no_interfaces(void)
{
	struct textbuf o = { 0 };

	metrics_render(&o, NULL, 0);
	CHECK(!o.err && o.buf);
	CHECK(o.buf && !strstr(o.buf, "{"));
	CHECK(o.buf && strstr(o.buf, "# TYPE rampart_up gauge\n"));
	textbuf_wipe(&o);
}

/* The host's facts after two interfaces' (wg1's daemon did not answer,
 * and its kill switch still counts): conntrack, and the firewall counters
 * of both, an escaped interface name among them. */
static void test_host(void)
{
	static const struct metrics_firewall_counter fw[] = {
		{ "wg0", "input", "default_drop", 3, 180 },
		{ "wg0", "input", "handshake_flood", 0, 0 },
		{ "wg0", "forward", "default_drop", 18446744073709551615ull, 1 },
		{ "wg1", "output", "kill_switch", 10, 840 },
		{ "a\"b", "input", "default_drop", 1, 60 },
	};
	const struct metrics_host host = {
		.has_conntrack = true, .conntrack_entries = 17, .conntrack_limit = 262144,
		.fw = fw, .n_fw = ARRAY_SIZE(fw),
	};
	struct uapi_device *dev = uapi_device_alloc();

	CHECK(dev);
	if (!dev)
		return;
	const struct metrics_interface ifs[] = { { "wg0", dev, NULL }, { "wg1", NULL, NULL } };
	check_golden(ifs, ARRAY_SIZE(ifs), &host, "tests/golden/metrics/host.prom");
	uapi_device_free(dev);
}

/* Nothing known about the host (no conntrack, no table): the four
 * families' headers and no sample. */
static void test_host_nothing(void)
{
	const struct metrics_host host = { 0 };
	struct textbuf o = { 0 };

	metrics_render_host(&o, &host);
	CHECK(!o.err && o.buf);
	CHECK_STR(o.buf ? o.buf : "",
		  "# HELP rampart_conntrack_entries Connections in the conntrack table of the "
		  "network namespace (nf_conntrack_count).\n"
		  "# TYPE rampart_conntrack_entries gauge\n"
		  "# HELP rampart_conntrack_entries_limit Size of the conntrack table "
		  "(nf_conntrack_max); a full table drops new connections.\n"
		  "# TYPE rampart_conntrack_entries_limit gauge\n"
		  "# HELP rampart_firewall_packets_total Packets counted by the interface's "
		  "firewall rules, by chain and rule purpose.\n"
		  "# TYPE rampart_firewall_packets_total counter\n"
		  "# HELP rampart_firewall_bytes_total Bytes counted by the interface's "
		  "firewall rules, by chain and rule purpose.\n"
		  "# TYPE rampart_firewall_bytes_total counter\n");
	textbuf_wipe(&o);
}

static const struct harness_case cases[] = {
	{ "devices: exact text", test_devices },
	{ "escaping of label values", test_escaping },
	{ "no handshake sample before the first handshake", test_no_handshake },
	{ "no interfaces: headers only", test_no_interfaces },
	{ "host facts: exact text", test_host },
	{ "host facts unknown: headers only", test_host_nothing },
};

HARNESS_MAIN(cases)
