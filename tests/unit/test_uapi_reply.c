/* The control socket's protocol layer, the replies: the get reply byte
 * for byte and errno replies; and randomized round trips through a naive
 * encoder (a device as get describes it sent back as a set, random plans
 * fed in pieces, mutated requests).  The parser's own cases are
 * test_uapi.c. */
#include "harness.h"
#include "uapi_check.h"
#include "wg_captures.h"

#include "common/encoding.h"
#include "common/netaddr.h"
#include "uapi/client.h"
#include "uapi/device.h"
#include "uapi/uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- get --------------------------------------------------------------- */

static void parse_prefixes(struct uapi_allowed_ip *out, const char *const *in, size_t n)
{
	const char *why;

	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		CHECK(netaddr_parse_prefix(&out[i].prefix, in[i], &why));
}

static void endpoint_from(struct uapi_endpoint *e, const char *text)
{
	const char *why;

	CHECK(uapi_endpoint_parse(e, text, &why) && e->literal);
}

static void check_reply_flags(const struct uapi_device *info, unsigned flags, const char *want)
{
	size_t len = 0;
	char *got = uapi_format_get(info, flags, &len);

	CHECK(got != NULL);
	if (!got)
		return;
	CHECK_STR(got, want);
	CHECK(len == strlen(want));
	uapi_text_free(got, len);
}

static void check_reply(const struct uapi_device *info, const char *want)
{
	check_reply_flags(info, 0, want);
}

static void test_get_ipv4(void)
{
	static const char *const aips[] = { "10.0.0.0/24", "10.0.1.5/32", "0.0.0.0/0" };
	struct uapi_allowed_ip prefixes[3];
	struct uapi_peer peer = { 0 };
	struct uapi_device info = { 0 };

	CHECK(encoding_key_from_hex(info.private_key, PRIV_HEX));
	info.flags = UAPI_DEVICE_HAS_PRIVATE_KEY | UAPI_DEVICE_HAS_LISTEN_PORT;
	info.listen_port = 51820;
	CHECK(encoding_key_from_hex(peer.public_key, PUB1_HEX));
	endpoint_from(&peer.endpoint, "192.0.2.1:51820");
	peer.flags = UAPI_PEER_HAS_ENDPOINT | UAPI_PEER_HAS_KEEPALIVE;
	peer.last_handshake_sec = 1700000000;
	peer.last_handshake_nsec = 123456789;
	peer.rx_bytes = 18446744073709551615ull;
	peer.tx_bytes = 1234;
	peer.keepalive = 25;
	parse_prefixes(prefixes, aips, 3);
	peer.allowed_ips = prefixes;
	peer.n_allowed_ips = 3;
	/* Rampart's own counters of the peer, after wg(8)'s keys. */
	struct uapi_counter own[] = { { "rx_packets", 10 }, { "endpoint_changes", 2 } };
	peer.counters = own;
	peer.n_counters = 2;
	info.peers = &peer;
	info.n_peers = 1;
	check_reply(&info,
		    "private_key=" PRIV_HEX "\n"
		    "listen_port=51820\n"
		    "public_key=" PUB1_HEX "\n"
		    "preshared_key=" ZERO_HEX "\n"
		    "protocol_version=1\n"
		    "endpoint=192.0.2.1:51820\n"
		    "last_handshake_time_sec=1700000000\n"
		    "last_handshake_time_nsec=123456789\n"
		    "tx_bytes=1234\n"
		    "rx_bytes=18446744073709551615\n"
		    "persistent_keepalive_interval=25\n"
		    "rampart_rx_packets=10\n"
		    "rampart_endpoint_changes=2\n"
		    "allowed_ip=10.0.0.0/24\n"
		    "allowed_ip=10.0.1.5/32\n"
		    "allowed_ip=0.0.0.0/0\n"
		    "errno=0\n"
		    "\n");
}

static void test_get_ipv6_and_omissions(void)
{
	static const char *const aips[] = { "fd00::/64", "2001:db8::1/128", "::/0" };
	struct uapi_allowed_ip prefixes[3];
	struct uapi_peer peers[3];
	struct uapi_device info = { 0 };

	/* Nothing at all. */
	check_reply(&info, "errno=0\n\n");
	/* A private key of zeros is no private key. */
	info.flags = UAPI_DEVICE_HAS_PRIVATE_KEY;
	check_reply(&info, "errno=0\n\n");

	memset(peers, 0, sizeof(peers));
	info.flags = UAPI_DEVICE_HAS_FWMARK;
	info.fwmark = 0xffffffff;
	CHECK(encoding_key_from_hex(peers[0].public_key, PUB1_HEX));
	CHECK(encoding_key_from_hex(peers[0].preshared_key, PSK_HEX));
	endpoint_from(&peers[0].endpoint, "[2001:db8::1]:51820");
	peers[0].flags = UAPI_PEER_HAS_PRESHARED_KEY | UAPI_PEER_HAS_ENDPOINT;
	peers[0].last_handshake_sec = 1;
	peers[0].rx_bytes = 2;
	parse_prefixes(prefixes, aips, 3);
	peers[0].allowed_ips = prefixes;
	peers[0].n_allowed_ips = 3;
	/* Never seen: no endpoint line, zeros everywhere, no allowed IPs. */
	CHECK(encoding_key_from_hex(peers[1].public_key, PUB2_HEX));
	/* A link-local endpoint with its scope. */
	CHECK(encoding_key_from_hex(peers[2].public_key, ZERO_HEX));
	endpoint_from(&peers[2].endpoint, "[fe80::1%eth0]:1");
	peers[2].flags = UAPI_PEER_HAS_ENDPOINT | UAPI_PEER_HAS_KEEPALIVE;
	peers[2].keepalive = 65535;
	info.peers = peers;
	info.n_peers = 3;
	check_reply(&info,
		    "fwmark=4294967295\n"
		    "public_key=" PUB1_HEX "\n"
		    "preshared_key=" PSK_HEX "\n"
		    "protocol_version=1\n"
		    "endpoint=[2001:db8::1]:51820\n"
		    "last_handshake_time_sec=1\n"
		    "last_handshake_time_nsec=0\n"
		    "tx_bytes=0\n"
		    "rx_bytes=2\n"
		    "persistent_keepalive_interval=0\n"
		    "allowed_ip=fd00::/64\n"
		    "allowed_ip=2001:db8::1/128\n"
		    "allowed_ip=::/0\n"
		    "public_key=" PUB2_HEX "\n"
		    "preshared_key=" ZERO_HEX "\n"
		    "protocol_version=1\n"
		    "last_handshake_time_sec=0\n"
		    "last_handshake_time_nsec=0\n"
		    "tx_bytes=0\n"
		    "rx_bytes=0\n"
		    "persistent_keepalive_interval=0\n"
		    "public_key=" ZERO_HEX "\n"
		    "preshared_key=" ZERO_HEX "\n"
		    "protocol_version=1\n"
		    "endpoint=[fe80::1%eth0]:1\n"
		    "last_handshake_time_sec=0\n"
		    "last_handshake_time_nsec=0\n"
		    "tx_bytes=0\n"
		    "rx_bytes=0\n"
		    "persistent_keepalive_interval=65535\n"
		    "errno=0\n"
		    "\n");
}

/* The get formatter writes a field only with its has-flag, and of the
 * allowed-IP entries only the ADD ones. */
static void test_format_reads_flags(void)
{
	struct uapi_allowed_ip steps[3] = { 0 };
	struct uapi_peer peer = { 0 };
	struct uapi_device dev = { 0 };
	const char *why;

	dev.peers = &peer;
	dev.n_peers = 1;
	peer.allowed_ips = steps;
	peer.n_allowed_ips = 3;
	dev.listen_port = 51820; /* no HAS_LISTEN_PORT */
	dev.fwmark = 7;          /* no HAS_FWMARK */
	CHECK(encoding_key_from_hex(dev.private_key, PRIV_HEX)); /* no HAS_PRIVATE_KEY */
	CHECK(encoding_key_from_hex(peer.public_key, PUB1_HEX));
	CHECK(encoding_key_from_hex(peer.preshared_key, PSK_HEX)); /* no HAS_PRESHARED_KEY */
	CHECK(uapi_endpoint_parse(&peer.endpoint, "192.0.2.1:1", &why)); /* no HAS_ENDPOINT */
	peer.keepalive = 25; /* no HAS_KEEPALIVE */
	peer.last_handshake_sec = 5;
	peer.tx_bytes = 3;
	steps[0].action = UAPI_ALLOWED_IP_REPLACE;
	CHECK(netaddr_parse_prefix(&steps[1].prefix, "10.0.0.0/8", &why));
	steps[1].action = UAPI_ALLOWED_IP_REMOVE;
	CHECK(netaddr_parse_prefix(&steps[2].prefix, "fd00::/8", &why));
	steps[2].action = UAPI_ALLOWED_IP_ADD;
	check_reply(&dev,
		    "public_key=" PUB1_HEX "\n"
		    "preshared_key=" ZERO_HEX "\n"
		    "protocol_version=1\n"
		    "last_handshake_time_sec=5\n"
		    "last_handshake_time_nsec=0\n"
		    "tx_bytes=3\n"
		    "rx_bytes=0\n"
		    "persistent_keepalive_interval=0\n"
		    "allowed_ip=fd00::/8\n"
		    "errno=0\n"
		    "\n");
}

/* The statistics socket's reply: the same lines as get's minus every
 * secret, and the client's reader takes it (a device without a private
 * key, peers without preshared keys). */
static void test_get_no_secrets(void)
{
	static const char want[] =
		"listen_port=51820\n"
		"rampart_drop_no_peer=4\n"
		"public_key=" PUB1_HEX "\n"
		"protocol_version=1\n"
		"endpoint=192.0.2.1:51820\n"
		"last_handshake_time_sec=1700000000\n"
		"last_handshake_time_nsec=5\n"
		"tx_bytes=1234\n"
		"rx_bytes=99\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.0.0.0/24\n"
		"errno=0\n"
		"\n";
	static const char *const aips[] = { "10.0.0.0/24" };
	struct uapi_counter counters[] = { { "drop_no_peer", 4 } };
	struct uapi_allowed_ip prefixes[1];
	struct uapi_peer peer = { 0 };
	struct uapi_device info = { 0 }, *back = NULL;
	struct error err = { 0 };

	CHECK(encoding_key_from_hex(info.private_key, PRIV_HEX));
	info.flags = UAPI_DEVICE_HAS_PRIVATE_KEY | UAPI_DEVICE_HAS_LISTEN_PORT;
	info.listen_port = 51820;
	info.counters = counters;
	info.n_counters = 1;
	CHECK(encoding_key_from_hex(peer.public_key, PUB1_HEX));
	CHECK(encoding_key_from_hex(peer.preshared_key, PSK_HEX));
	endpoint_from(&peer.endpoint, "192.0.2.1:51820");
	peer.flags = UAPI_PEER_HAS_PRESHARED_KEY | UAPI_PEER_HAS_ENDPOINT | UAPI_PEER_HAS_KEEPALIVE;
	peer.last_handshake_sec = 1700000000;
	peer.last_handshake_nsec = 5;
	peer.tx_bytes = 1234;
	peer.rx_bytes = 99;
	peer.keepalive = 25;
	parse_prefixes(prefixes, aips, 1);
	peer.allowed_ips = prefixes;
	peer.n_allowed_ips = 1;
	info.peers = &peer;
	info.n_peers = 1;
	check_reply_flags(&info, UAPI_GET_NO_SECRETS, want);
	/* Negative control: the same device with secrets has both keys. */
	{
		size_t len = 0;
		char *full = uapi_format_get(&info, 0, &len);

		CHECK(full && strstr(full, "private_key=" PRIV_HEX "\n"));
		CHECK(full && strstr(full, "preshared_key=" PSK_HEX "\n"));
		uapi_text_free(full, len);
	}
	CHECK(uapi_reply_parse_get(want, sizeof(want) - 1, &back, &err) == 0);
	if (!back)
		return;
	CHECK(!(back->flags & UAPI_DEVICE_HAS_PRIVATE_KEY));
	CHECK(encoding_key_is_zero(back->private_key));
	CHECK(back->listen_port == 51820 && back->n_peers == 1);
	CHECK(back->n_peers == 1 && !(back->peers[0].flags & UAPI_PEER_HAS_PRESHARED_KEY));
	CHECK(back->n_peers == 1 && back->peers[0].rx_bytes == 99 &&
	      back->peers[0].n_allowed_ips == 1);
	uapi_device_free(back);
}

static void test_errno(void)
{
	char buf[UAPI_ERRNO_STRLEN];

	CHECK(uapi_format_errno(buf, 0) == 9);
	CHECK_STR(buf, "errno=0\n\n");
	CHECK(uapi_format_errno(buf, -EINVAL) == 11);
	CHECK_STR(buf, "errno=-22\n\n");
	uapi_format_errno(buf, EINVAL);
	CHECK_STR(buf, "errno=-22\n\n");
	uapi_format_errno(buf, -EMSGSIZE);
	CHECK_STR(buf, "errno=-90\n\n");
	uapi_format_errno(buf, -EADDRINUSE);
	CHECK_STR(buf, "errno=-98\n\n");
	CHECK(uapi_format_errno(buf, INT_MIN) == 19);
	CHECK_STR(buf, "errno=-2147483648\n\n");
	uapi_format_errno(buf, INT_MAX);
	CHECK_STR(buf, "errno=-2147483647\n\n");
}

/* --- differential round trip ------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static void rnd_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

static void rnd_addr(struct netaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (rnd() & 1) {
		a->family = AF_INET;
		rnd_bytes(&a->in4, 4);
	} else {
		a->family = AF_INET6;
		rnd_bytes(&a->in6, 16);
		if (rnd() & 1) /* runs of zeros exercise "::" */
			memset(&a->in6.s6_addr[rnd() % 8], 0, 8);
	}
}

static void rnd_prefix(struct netaddr_prefix *p)
{
	memset(p, 0, sizeof(*p));
	rnd_addr(&p->addr);
	p->cidr = (uint8_t)(rnd() % (p->addr.family == AF_INET ? 33 : 129));
}

static void rnd_endpoint(struct uapi_endpoint *e)
{
	static const char *const zones[] = { "", "eth0", "7", "wg-lan_1" };

	memset(e, 0, sizeof(*e));
	e->literal = true;
	rnd_addr(&e->addr);
	e->port = (uint16_t)(1 + rnd() % 65535);
	if (e->addr.family == AF_INET6)
		snprintf(e->zone, sizeof(e->zone), "%s", zones[rnd() % ARRAY_SIZE(zones)]);
}

/* A naive encoder: one line at a time into a growing string. */
struct text {
	char *s;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	while (t->len + (size_t)n + 1 > t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static void put_key(struct text *t, const char *name, const uint8_t key[KEY_LEN])
{
	char hex[KEY_HEX_LEN + 1];

	encoding_key_to_hex(hex, key);
	put(t, "%s=%s\n", name, hex);
}

static void put_endpoint(struct text *t, const struct uapi_endpoint *e)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(e->addr.family, &e->addr.in6, ip, sizeof(ip));
	if (e->addr.family == AF_INET)
		put(t, "endpoint=%s:%u\n", ip, e->port);
	else
		put(t, "endpoint=[%s%s%s]:%u\n", ip, e->zone[0] ? "%" : "", e->zone, e->port);
}

static void put_prefix(struct text *t, const char *sign, const struct netaddr_prefix *p)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->addr.family, &p->addr.in6, ip, sizeof(ip));
	put(t, "allowed_ip=%s%s/%u\n", sign, ip, p->cidr);
}

/* A random device as get would describe it: up to 8 peers in peers[],
 * the allowed IPs of peers[i] in prefixes[i][0..12). */
static void rnd_info(struct uapi_device *info, struct uapi_peer peers[8],
		     struct uapi_allowed_ip prefixes[8][12])
{
	memset(info, 0, sizeof(*info));
	memset(peers, 0, 8 * sizeof(*peers));
	memset(prefixes, 0, 8 * sizeof(*prefixes));
	if (rnd() & 1) {
		info->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		rnd_bytes(info->private_key, KEY_LEN);
	}
	info->flags |= UAPI_DEVICE_HAS_LISTEN_PORT | UAPI_DEVICE_HAS_FWMARK;
	info->listen_port = (uint16_t)rnd();
	info->fwmark = rnd() & 1 ? rnd() : 0;
	info->n_peers = rnd() % 9;
	info->peers = peers;
	for (size_t i = 0; i < info->n_peers; i++) {
		struct uapi_peer *q = &peers[i];

		rnd_bytes(q->public_key, KEY_LEN);
		if (rnd() & 1) {
			q->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
			rnd_bytes(q->preshared_key, KEY_LEN);
		}
		if (rnd() & 1) {
			q->flags |= UAPI_PEER_HAS_ENDPOINT;
			rnd_endpoint(&q->endpoint);
		}
		q->flags |= UAPI_PEER_HAS_KEEPALIVE;
		q->keepalive = (uint16_t)(rnd() & 1 ? rnd() : 0);
		q->n_allowed_ips = rnd() % 13;
		for (size_t j = 0; j < q->n_allowed_ips; j++)
			rnd_prefix(&prefixes[i][j].prefix);
		q->allowed_ips = prefixes[i];
	}
}

/* A random device as get would describe it, sent back the way "wg
 * syncconf"/"setconf" would send it: the plan must say the same. */
static void test_round_trip_info(void)
{
	for (int iter = 0; iter < 300; iter++) {
		struct uapi_device info;
		struct uapi_peer peers[8];
		struct uapi_allowed_ip prefixes[8][12];
		struct text t = { 0 };
		struct uapi_device *s;
		bool has_private_key;

		rnd_info(&info, peers, prefixes);
		has_private_key = info.flags & UAPI_DEVICE_HAS_PRIVATE_KEY;
		put(&t, "set=1\n");
		if (has_private_key)
			put_key(&t, "private_key", info.private_key);
		put(&t, "listen_port=%u\nfwmark=%u\nreplace_peers=true\n", info.listen_port,
		    info.fwmark);
		for (size_t i = 0; i < info.n_peers; i++) {
			put_key(&t, "public_key", peers[i].public_key);
			put_key(&t, "preshared_key", peers[i].preshared_key);
			if (peers[i].flags & UAPI_PEER_HAS_ENDPOINT)
				put_endpoint(&t, &peers[i].endpoint);
			put(&t, "persistent_keepalive_interval=%u\nreplace_allowed_ips=true\n",
			    peers[i].keepalive);
			for (size_t j = 0; j < peers[i].n_allowed_ips; j++)
				put_prefix(&t, "", &peers[i].allowed_ips[j].prefix);
		}
		put(&t, "\n");

		s = parse_ok(t.s);
		if (!s) {
			free(t.s);
			continue;
		}
		CHECK(!!(s->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) == has_private_key);
		CHECK(!has_private_key || !memcmp(s->private_key, info.private_key, KEY_LEN));
		CHECK((s->flags & UAPI_DEVICE_HAS_LISTEN_PORT) &&
		      s->listen_port == info.listen_port);
		CHECK((s->flags & UAPI_DEVICE_HAS_FWMARK) && s->fwmark == info.fwmark &&
		      (s->flags & UAPI_DEVICE_REPLACE_PEERS));
		CHECK(s->n_peers == info.n_peers);
		for (size_t i = 0; i < info.n_peers && i < s->n_peers; i++) {
			const struct uapi_peer *p = &s->peers[i];
			const struct uapi_peer *q = &peers[i];
			bool same = true;

			CHECK(!memcmp(p->public_key, q->public_key, KEY_LEN));
			CHECK((p->flags & UAPI_PEER_HAS_PRESHARED_KEY) &&
			      !memcmp(p->preshared_key, q->preshared_key, KEY_LEN));
			CHECK((p->flags & UAPI_PEER_HAS_ENDPOINT) ==
			      (q->flags & UAPI_PEER_HAS_ENDPOINT));
			CHECK(!(q->flags & UAPI_PEER_HAS_ENDPOINT) ||
			      endpoint_equal(&p->endpoint, &q->endpoint));
			CHECK((p->flags & UAPI_PEER_HAS_KEEPALIVE) && p->keepalive == q->keepalive);
			CHECK(!(p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_UPDATE_ONLY)));
			CHECK(p->n_allowed_ips == q->n_allowed_ips + 1);
			if (p->n_allowed_ips != q->n_allowed_ips + 1)
				continue;
			same &= p->allowed_ips[0].action == UAPI_ALLOWED_IP_REPLACE;
			for (size_t j = 0; j < q->n_allowed_ips; j++) {
				const struct uapi_allowed_ip *a = &p->allowed_ips[1 + j];

				same &= a->action == UAPI_ALLOWED_IP_ADD &&
					netaddr_prefix_equal(&a->prefix, &q->allowed_ips[j].prefix);
			}
			CHECK_MSG(same, "iteration %d peer %zu", iter, i);
		}
		uapi_device_free(s);
		free(t.s);
	}
}

/* A random peer entry of a plan, its steps in steps[0..10). */
static void rnd_entry(struct uapi_peer *p, const struct uapi_peer *prev,
		      struct uapi_allowed_ip *steps)
{
	rnd_bytes(p->public_key, KEY_LEN);
	if (prev && rnd() % 4 == 0) /* the same key again */
		memcpy(p->public_key, prev->public_key, KEY_LEN);
	if (rnd() % 5 == 0)
		p->flags |= UAPI_PEER_REMOVE;
	if (rnd() % 5 == 0)
		p->flags |= UAPI_PEER_UPDATE_ONLY;
	if (rnd() & 1) {
		p->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
		if (rnd() & 1)
			rnd_bytes(p->preshared_key, KEY_LEN);
	}
	if (rnd() & 1) {
		p->flags |= UAPI_PEER_HAS_ENDPOINT;
		rnd_endpoint(&p->endpoint);
	}
	if (rnd() & 1) {
		p->flags |= UAPI_PEER_HAS_KEEPALIVE;
		p->keepalive = (uint16_t)rnd();
	}
	p->allowed_ips = steps;
	p->n_allowed_ips = rnd() % 11;
	for (size_t j = 0; j < p->n_allowed_ips; j++) {
		struct uapi_allowed_ip *a = &steps[j];

		a->action = (uint8_t)(rnd() % 3);
		if (a->action != UAPI_ALLOWED_IP_REPLACE)
			rnd_prefix(&a->prefix);
	}
}

/* Device keys in a random order, some twice. */
static void put_device_keys(struct text *t, const struct uapi_device *want)
{
	for (int k = 0, first = (int)(rnd() % 4); k < 4 + 2; k++) {
		switch ((first + k) % 4) {
		case 0:
			if (want->flags & UAPI_DEVICE_HAS_PRIVATE_KEY)
				put_key(t, "private_key", want->private_key);
			break;
		case 1:
			if (want->flags & UAPI_DEVICE_HAS_LISTEN_PORT)
				put(t, "listen_port=%u\n", want->listen_port);
			break;
		case 2:
			if (want->flags & UAPI_DEVICE_HAS_FWMARK)
				put(t, "fwmark=%u\n", want->fwmark);
			break;
		default:
			if (want->flags & UAPI_DEVICE_REPLACE_PEERS)
				put(t, "replace_peers=true\n");
		}
	}
}

static void put_entry(struct text *t, const struct uapi_peer *p)
{
	bool flags_first = rnd() & 1;

	put_key(t, "public_key", p->public_key);
	if (rnd() & 1)
		put(t, "protocol_version=1\n");
	if (flags_first && (p->flags & UAPI_PEER_REMOVE))
		put(t, "remove=true\n");
	if (flags_first && (p->flags & UAPI_PEER_UPDATE_ONLY))
		put(t, "update_only=true\n");
	if (p->flags & UAPI_PEER_HAS_PRESHARED_KEY)
		put_key(t, "preshared_key", p->preshared_key);
	if (p->flags & UAPI_PEER_HAS_ENDPOINT)
		put_endpoint(t, &p->endpoint);
	if (p->flags & UAPI_PEER_HAS_KEEPALIVE)
		put(t, "persistent_keepalive_interval=%u\n", p->keepalive);
	for (size_t j = 0; j < p->n_allowed_ips; j++) {
		const struct uapi_allowed_ip *a = &p->allowed_ips[j];

		if (a->action == UAPI_ALLOWED_IP_REPLACE)
			put(t, "replace_allowed_ips=true\n");
		else
			put_prefix(t, a->action == UAPI_ALLOWED_IP_REMOVE ? "-" : "", &a->prefix);
	}
	if (!flags_first && (p->flags & UAPI_PEER_REMOVE))
		put(t, "remove=true\n");
	if (!flags_first && (p->flags & UAPI_PEER_UPDATE_ONLY))
		put(t, "update_only=true\n");
}

/* A random plan, every feature included, through the naive encoder and
 * back.  Also fed in random pieces. */
static void test_round_trip_plan(void)
{
	for (int iter = 0; iter < 300; iter++) {
		struct uapi_device want = { 0 };
		struct uapi_peer peers[6];
		struct uapi_allowed_ip steps[6][10];
		struct uapi_request got[1];
		struct text t = { 0 };
		int fatal;

		if (rnd() & 1) {
			want.flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
			rnd_bytes(want.private_key, KEY_LEN);
		}
		if (rnd() & 1) {
			want.flags |= UAPI_DEVICE_HAS_LISTEN_PORT;
			want.listen_port = (uint16_t)rnd();
		}
		if (rnd() & 1) {
			want.flags |= UAPI_DEVICE_HAS_FWMARK;
			want.fwmark = rnd();
		}
		if (rnd() & 1)
			want.flags |= UAPI_DEVICE_REPLACE_PEERS;
		want.peers = peers;
		want.n_peers = rnd() % 7;
		memset(peers, 0, sizeof(peers));
		memset(steps, 0, sizeof(steps));
		for (size_t i = 0; i < want.n_peers; i++)
			rnd_entry(&peers[i], i ? &peers[i - 1] : NULL, steps[i]);

		put(&t, "set=1\n");
		put_device_keys(&t, &want);
		for (size_t i = 0; i < want.n_peers; i++)
			put_entry(&t, &peers[i]);
		put(&t, "\n");

		CHECK(collect(t.s, t.len, size_odd, got, 1, &fatal) == 1 && !fatal);
		CHECK_MSG(!got[0].err && set_equal(got[0].set, &want), "iteration %d: %s", iter,
			  got[0].error.msg);
		uapi_device_free(got[0].set);
		free(t.s);
	}
}

/* Requests with bytes changed at random, from the set that matters to
 * the grammar: whatever each one means, feeding it in pieces must give
 * what feeding it whole gives. */
static void test_mutations(void)
{
	static const char alphabet[] = "=\n\n\0-:[]/%.x0f9 \r";
	enum { MAX = 8 };
	size_t len = strlen(wg_set) + strlen(wg_setconf), nwhole, nodd, none;
	struct uapi_request whole[MAX], odd[MAX], one[MAX];
	int fw, fo, f1;
	char *buf = malloc(len);

	if (!buf)
		abort();
	for (int iter = 0; iter < 2000; iter++) {
		memcpy(buf, wg_set, strlen(wg_set));
		memcpy(buf + strlen(wg_set), wg_setconf, strlen(wg_setconf));
		for (unsigned k = 1 + rnd() % 4; k; k--)
			buf[rnd() % len] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		nwhole = collect(buf, len, size_whole, whole, MAX, &fw);
		nodd = collect(buf, len, size_odd, odd, MAX, &fo);
		none = iter % 10 ? nodd : collect(buf, len, size_one, one, MAX, &f1);
		CHECK_MSG(nwhole == nodd && fw == fo, "iteration %d", iter);
		for (size_t j = 0; j < nwhole && j < nodd; j++)
			CHECK_MSG(req_equal(&whole[j], &odd[j]), "iteration %d request %zu", iter, j);
		if (!(iter % 10)) {
			CHECK(none == nwhole && f1 == fw);
			for (size_t j = 0; j < none && j < nwhole; j++)
				CHECK(req_equal(&whole[j], &one[j]));
			for (size_t j = 0; j < none; j++)
				uapi_device_free(one[j].set);
		}
		for (size_t j = 0; j < nwhole; j++)
			uapi_device_free(whole[j].set);
		for (size_t j = 0; j < nodd; j++)
			uapi_device_free(odd[j].set);
	}
	free(buf);
}

static const struct harness_case cases[] = {
	{ "get reply: IPv4", test_get_ipv4 },
	{ "get reply: IPv6, scope, omitted fields", test_get_ipv6_and_omissions },
	{ "get reply: fields only with their flags, ADD entries only", test_format_reads_flags },
	{ "get reply without secrets, and the reader takes it", test_get_no_secrets },
	{ "errno replies are negative", test_errno },
	{ "round trip: device info as a set", test_round_trip_info },
	{ "round trip: random plans, fed in pieces", test_round_trip_plan },
	{ "mutated requests: pieces agree with whole", test_mutations },
};

HARNESS_MAIN(cases)
