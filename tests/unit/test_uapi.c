/* The control socket's protocol layer, the parser: the exact requests
 * wg(8) writes, every key's valid and invalid values with their one exact
 * error, the ordering rules, the framing limits, incremental feeding and a
 * whole configuration.  The replies and the randomized round trips are
 * test_uapi_reply.c. */
#include "harness.h"
#include "uapi_check.h"
#include "wg_captures.h"

#include "common/encoding.h"
#include "common/netaddr.h"
#include "uapi/uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* --- helpers ----------------------------------------------------------- */

static void key_is(const uint8_t key[KEY_LEN], const char *hex)
{
	char got[KEY_HEX_LEN + 1];

	encoding_key_to_hex(got, key);
	CHECK_STR(got, hex);
}

static void step_is(const struct uapi_peer *peer, size_t i, enum uapi_allowed_ip_action action,
		    const char *prefix)
{
	char buf[NETADDR_PREFIX_STRLEN];
	const struct uapi_allowed_ip *a;

	CHECK_MSG(i < peer->n_allowed_ips, "step %zu of %zu", i, peer->n_allowed_ips);
	if (i >= peer->n_allowed_ips)
		return;
	a = &peer->allowed_ips[i];
	CHECK_MSG(a->action == action, "step %zu: action %u, want %u", i, a->action, action);
	if (prefix)
		CHECK_STR(netaddr_format_prefix(buf, &a->prefix), prefix);
}

static void endpoint_is(const struct uapi_endpoint *e, const char *text)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	CHECK(e->literal && !e->host);
	CHECK_STR(uapi_endpoint_format(buf, e), text);
}

/* Where the steps of peer would start if every entry's steps were laid
 * end to end, and how many there are in all. */
static size_t first_step(const struct uapi_device *set, const struct uapi_peer *peer)
{
	size_t n = 0;

	for (const struct uapi_peer *q = set->peers; q < peer; q++)
		n += q->n_allowed_ips;
	return n;
}

static size_t total_steps(const struct uapi_device *set)
{
	return first_step(set, set->peers + set->n_peers);
}

struct bad_case {
	const char *text; /* a whole operation */
	int err;
	unsigned line;
	const char *key, *value, *msg;
};

static void check_error(const struct error *e, const struct bad_case *c)
{
	CHECK_MSG(e->line == c->line, "line %u, want %u (%s)", e->line, c->line, c->text);
	CHECK_STR(e->key, c->key);
	CHECK_STR(e->value, c->value);
	CHECK_STR(e->msg, c->msg);
}

static void expect_bad(const struct bad_case *c, size_t len)
{
	struct uapi_request req;

	parse_req(c->text, len, &req);
	CHECK_MSG(req.err == c->err, "err %d, want %d for %s", req.err, c->err, c->text);
	CHECK(req.set == NULL);
	check_error(&req.error, c);
	uapi_device_free(req.set);
}


/* --- what wg(8) sends -------------------------------------------------- */

static void test_wg_set(void)
{
	struct uapi_device *s = parse_ok(wg_set);
	const struct uapi_peer *p;

	if (!s)
		return;
	CHECK((s->flags & UAPI_DEVICE_HAS_PRIVATE_KEY));
	key_is(s->private_key, PRIV_HEX);
	CHECK((s->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && s->listen_port == 51820);
	CHECK((s->flags & UAPI_DEVICE_HAS_FWMARK) && s->fwmark == 0x20);
	CHECK(!(s->flags & UAPI_DEVICE_REPLACE_PEERS));
	CHECK(s->n_peers == 2 && total_steps(s) == 3);
	if (s->n_peers != 2)
		goto out;
	p = &s->peers[0];
	key_is(p->public_key, PUB1_HEX);
	CHECK(p->line == 5 && !(p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_UPDATE_ONLY)));
	CHECK((p->flags & UAPI_PEER_HAS_PRESHARED_KEY));
	key_is(p->preshared_key, PSK_HEX);
	CHECK((p->flags & UAPI_PEER_HAS_ENDPOINT));
	endpoint_is(&p->endpoint, "192.0.2.1:51820");
	CHECK((p->flags & UAPI_PEER_HAS_KEEPALIVE) && p->keepalive == 25);
	CHECK(first_step(s, p) == 0 && p->n_allowed_ips == 3);
	step_is(p, 0, UAPI_ALLOWED_IP_REPLACE, NULL);
	step_is(p, 1, UAPI_ALLOWED_IP_ADD, "10.0.0.0/24");
	step_is(p, 2, UAPI_ALLOWED_IP_ADD, "fd00::/64");
	p = &s->peers[1];
	key_is(p->public_key, PUB2_HEX);
	CHECK(p->line == 12 && (p->flags & UAPI_PEER_REMOVE) &&
	      !(p->flags & UAPI_PEER_UPDATE_ONLY));
	CHECK(!(p->flags & (UAPI_PEER_HAS_PRESHARED_KEY | UAPI_PEER_HAS_ENDPOINT |
			    UAPI_PEER_HAS_KEEPALIVE)));
	CHECK(first_step(s, p) == 3 && p->n_allowed_ips == 0);
out:
	uapi_device_free(s);
}

static void test_wg_setconf(void)
{
	struct uapi_device *s = parse_ok(wg_setconf);
	const struct uapi_peer *p;

	if (!s)
		return;
	key_is(s->private_key, PRIV_HEX);
	CHECK((s->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && s->listen_port == 51821);
	CHECK((s->flags & UAPI_DEVICE_HAS_FWMARK) && s->fwmark == 0);
	CHECK((s->flags & UAPI_DEVICE_REPLACE_PEERS));
	CHECK(s->n_peers == 2 && total_steps(s) == 5);
	if (s->n_peers != 2)
		goto out;
	p = &s->peers[0];
	key_is(p->public_key, PUB1_HEX);
	CHECK(!(p->flags & (UAPI_PEER_HAS_PRESHARED_KEY | UAPI_PEER_HAS_KEEPALIVE)) &&
	      (p->flags & UAPI_PEER_HAS_ENDPOINT));
	endpoint_is(&p->endpoint, "[2001:db8::1]:51820");
	CHECK(p->endpoint.addr.family == AF_INET6 && p->endpoint.port == 51820);
	step_is(p, 0, UAPI_ALLOWED_IP_REPLACE, NULL);
	step_is(p, 1, UAPI_ALLOWED_IP_ADD, "10.0.0.2/32");
	step_is(p, 2, UAPI_ALLOWED_IP_ADD, "fd00::2/128");
	p = &s->peers[1];
	key_is(p->public_key, PUB2_HEX);
	CHECK((p->flags & UAPI_PEER_HAS_KEEPALIVE) && p->keepalive == 0 &&
	      !(p->flags & UAPI_PEER_HAS_ENDPOINT));
	CHECK(first_step(s, p) == 3 && p->n_allowed_ips == 2);
	step_is(p, 0, UAPI_ALLOWED_IP_REPLACE, NULL);
	step_is(p, 1, UAPI_ALLOWED_IP_ADD, "0.0.0.0/0");
out:
	uapi_device_free(s);
}

static void test_wg_set_scoped(void)
{
	struct uapi_device *s = parse_ok(wg_set_scoped);

	if (!s)
		return;
	CHECK(!(s->flags & (UAPI_DEVICE_HAS_PRIVATE_KEY | UAPI_DEVICE_HAS_LISTEN_PORT |
			    UAPI_DEVICE_HAS_FWMARK)));
	CHECK(s->n_peers == 1 && total_steps(s) == 1);
	if (s->n_peers == 1) {
		CHECK_STR(s->peers[0].endpoint.zone, "lo");
		CHECK(s->peers[0].endpoint.port == 1);
		endpoint_is(&s->peers[0].endpoint, "[fe80::1%lo]:1");
		step_is(&s->peers[0], 0, UAPI_ALLOWED_IP_REPLACE, NULL);
	}
	uapi_device_free(s);
}

/* --- keys and values --------------------------------------------------- */

#define DEV "set=1\n"
#define PEER "set=1\npublic_key=" PUB1_HEX "\n"

static void test_device_values(void)
{
	struct uapi_device *s;

	s = parse_ok(DEV "private_key=" ZERO_HEX "\n\n");
	if (s) {
		CHECK((s->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) &&
		      encoding_key_is_zero(s->private_key));
		uapi_device_free(s);
	}
	/* wireguard-go's hex.DecodeString takes either case. */
	s = parse_ok(DEV "private_key=F0C817105BDBAA96E7923F68746FE7D2F1263CC875782AFB26FED02ED0C85079\n\n");
	if (s) {
		key_is(s->private_key, PRIV_HEX);
		uapi_device_free(s);
	}
	s = parse_ok(DEV "listen_port=0\n\n");
	if (s) {
		CHECK((s->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && s->listen_port == 0);
		uapi_device_free(s);
	}
	s = parse_ok(DEV "listen_port=65535\nlisten_port=00080\n\n");
	if (s) {
		CHECK(s->listen_port == 80); /* the last one counts */
		uapi_device_free(s);
	}
	s = parse_ok(DEV "fwmark=4294967295\n\n");
	if (s) {
		CHECK((s->flags & UAPI_DEVICE_HAS_FWMARK) && s->fwmark == UINT32_MAX);
		uapi_device_free(s);
	}
	s = parse_ok(DEV "replace_peers=true\nfwmark=0\n\n");
	if (s) {
		CHECK((s->flags & UAPI_DEVICE_REPLACE_PEERS) &&
		      (s->flags & UAPI_DEVICE_HAS_FWMARK) && !s->fwmark && !s->n_peers);
		uapi_device_free(s);
	}
	s = parse_ok(DEV "\n"); /* an empty set is a valid no-op */
	if (s) {
		CHECK(!(s->flags & (UAPI_DEVICE_HAS_PRIVATE_KEY | UAPI_DEVICE_HAS_LISTEN_PORT |
				    UAPI_DEVICE_HAS_FWMARK | UAPI_DEVICE_REPLACE_PEERS)) &&
		      !s->n_peers);
		uapi_device_free(s);
	}
}

static void test_peer_values(void)
{
	static const struct {
		const char *value, *text, *zone;
		int family;
	} endpoints[] = {
		{ "192.0.2.1:1", "192.0.2.1:1", "", AF_INET },
		{ "[2001:db8::1]:65535", "[2001:db8::1]:65535", "", AF_INET6 },
		{ "[fe80::1%eth0]:51820", "[fe80::1%eth0]:51820", "eth0", AF_INET6 },
		{ "[fe80::1%7]:51820", "[fe80::1%7]:51820", "7", AF_INET6 },
		{ "[::ffff:192.0.2.1]:51820", "[::ffff:192.0.2.1]:51820", "", AF_INET6 },
		{ "0.0.0.0:9", "0.0.0.0:9", "", AF_INET },
	};
	struct uapi_device *s;
	char text[256];

	for (size_t i = 0; i < ARRAY_SIZE(endpoints); i++) {
		snprintf(text, sizeof(text), PEER "endpoint=%s\n\n", endpoints[i].value);
		s = parse_ok(text);
		if (!s)
			continue;
		CHECK((s->peers[0].flags & UAPI_PEER_HAS_ENDPOINT));
		CHECK(s->peers[0].endpoint.addr.family == endpoints[i].family);
		CHECK_STR(s->peers[0].endpoint.zone, endpoints[i].zone);
		endpoint_is(&s->peers[0].endpoint, endpoints[i].text);
		uapi_device_free(s);
	}
	s = parse_ok(PEER "preshared_key=" ZERO_HEX "\npersistent_keepalive_interval=65535\n"
		     "protocol_version=1\nupdate_only=true\n\n");
	if (s) {
		const struct uapi_peer *p = &s->peers[0];

		CHECK((p->flags & UAPI_PEER_HAS_PRESHARED_KEY) &&
		      encoding_key_is_zero(p->preshared_key));
		CHECK((p->flags & UAPI_PEER_HAS_KEEPALIVE) && p->keepalive == 65535);
		CHECK((p->flags & UAPI_PEER_UPDATE_ONLY) &&
		      !(p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_HAS_ENDPOINT)));
		uapi_device_free(s);
	}
	/* Host bits are kept as written; the routing table masks them. */
	s = parse_ok(PEER "allowed_ip=10.1.2.3/8\nallowed_ip=::/0\nallowed_ip=0.0.0.0/0\n"
		     "allowed_ip=::ffff:10.0.0.1/128\nallowed_ip=192.0.2.1/032\n\n");
	if (s) {
		const struct uapi_peer *p = &s->peers[0];

		step_is(p, 0, UAPI_ALLOWED_IP_ADD, "10.1.2.3/8");
		step_is(p, 1, UAPI_ALLOWED_IP_ADD, "::/0");
		step_is(p, 2, UAPI_ALLOWED_IP_ADD, "0.0.0.0/0");
		step_is(p, 3, UAPI_ALLOWED_IP_ADD, "::ffff:10.0.0.1/128");
		step_is(p, 4, UAPI_ALLOWED_IP_ADD, "192.0.2.1/32");
		uapi_device_free(s);
	}
}

static const struct bad_case bad_cases[] = {
	/* device keys */
	{ DEV "private_key=abc\n\n", -EINVAL, 2, "\"private_key\"", "(hidden)", "not 64 hex digits" },
	{ DEV "private_key=" PRIV_HEX "0\n\n", -EINVAL, 2, "\"private_key\"", "(hidden)", "not 64 hex digits" },
	{ DEV "private_key=g0c817105bdbaa96e7923f68746fe7d2f1263cc875782afb26fed02ed0c85079\n\n",
	  -EINVAL, 2, "\"private_key\"", "(hidden)", "not a hex digit in the key" },
	{ DEV "private_key=\n\n", -EINVAL, 2, "\"private_key\"", "(hidden)", "not 64 hex digits" },
	{ DEV "listen_port=65536\n\n", -EINVAL, 2, "\"listen_port\"", "\"65536\"", "exceeds 65535" },
	{ DEV "listen_port=-1\n\n", -EINVAL, 2, "\"listen_port\"", "\"-1\"", "not a decimal number" },
	{ DEV "listen_port=\n\n", -EINVAL, 2, "\"listen_port\"", "\"\"", "not a decimal number" },
	{ DEV "listen_port= 1\n\n", -EINVAL, 2, "\"listen_port\"", "\" 1\"", "not a decimal number" },
	{ DEV "listen_port=1\r\n\n", -EINVAL, 2, "\"listen_port\"", "\"1\\x0d\"", "not a decimal number" },
	{ DEV "fwmark=0x20\n\n", -EINVAL, 2, "\"fwmark\"", "\"0x20\"", "not a decimal number" },
	{ DEV "fwmark=off\n\n", -EINVAL, 2, "\"fwmark\"", "\"off\"", "not a decimal number" },
	{ DEV "fwmark=4294967296\n\n", -EINVAL, 2, "\"fwmark\"", "\"4294967296\"", "number too large" },
	{ DEV "replace_peers=false\n\n", -EINVAL, 2, "\"replace_peers\"", "\"false\"", "the only value is true" },
	{ DEV "replace_peers=TRUE\n\n", -EINVAL, 2, "\"replace_peers\"", "\"TRUE\"", "the only value is true" },
	/* public_key */
	{ DEV "public_key=zz\n\n", -EINVAL, 2, "\"public_key\"", "\"zz\"", "not 64 hex digits" },
	/* Most of a key is still a key: not shown, though this one is public
	 * (fuzz_uapi_server found it quoted, 35 of its hex digits). */
	{ DEV "public_key=4519-1a6880ef0e4e3f44f14bebaf7db6eb26490181fad795bc11959192dfb3f\n\n",
	  -EINVAL, 2, "\"public_key\"", "(hidden)", "not a hex digit in the key" },
	{ DEV "public_key=4519-1a68\n\n", -EINVAL, 2, "\"public_key\"", "\"4519-1a68\"",
	  "not 64 hex digits" },
	/* peer keys */
	{ PEER "remove=false\n\n", -EINVAL, 3, "\"remove\"", "\"false\"", "the only value is true" },
	{ PEER "remove=\n\n", -EINVAL, 3, "\"remove\"", "\"\"", "the only value is true" },
	{ PEER "update_only=yes\n\n", -EINVAL, 3, "\"update_only\"", "\"yes\"", "the only value is true" },
	{ PEER "preshared_key=xyz\n\n", -EINVAL, 3, "\"preshared_key\"", "(hidden)", "not 64 hex digits" },
	{ PEER "endpoint=example.com:51820\n\n", -EINVAL, 3, "\"endpoint\"", "\"example.com:51820\"",
	  "not a numeric address (wg resolves names)" },
	{ PEER "endpoint=192.0.2.1\n\n", -EINVAL, 3, "\"endpoint\"", "\"192.0.2.1\"", "missing :port" },
	{ PEER "endpoint=192.0.2.1:0\n\n", -EINVAL, 3, "\"endpoint\"", "\"192.0.2.1:0\"",
	  "port 0 cannot be a destination" },
	{ PEER "endpoint=192.0.2.1:65536\n\n", -EINVAL, 3, "\"endpoint\"", "\"192.0.2.1:65536\"",
	  "port exceeds 65535" },
	{ PEER "endpoint=::1:51820\n\n", -EINVAL, 3, "\"endpoint\"", "\"::1:51820\"",
	  "IPv6 endpoint without [brackets]" },
	{ PEER "endpoint=[192.0.2.1]:51820\n\n", -EINVAL, 3, "\"endpoint\"", "\"[192.0.2.1]:51820\"",
	  "[brackets] around an IPv4 address" },
	{ PEER "endpoint=[::1]51820\n\n", -EINVAL, 3, "\"endpoint\"", "\"[::1]51820\"",
	  "missing :port after ']'" },
	{ PEER "endpoint=256.0.0.1:1\n\n", -EINVAL, 3, "\"endpoint\"", "\"256.0.0.1:1\"",
	  "not an IPv4 address" },
	{ PEER "endpoint=\n\n", -EINVAL, 3, "\"endpoint\"", "\"\"", "empty endpoint" },
	{ PEER "persistent_keepalive_interval=65536\n\n", -EINVAL, 3,
	  "\"persistent_keepalive_interval\"", "\"65536\"", "number too large" },
	{ PEER "persistent_keepalive_interval=off\n\n", -EINVAL, 3,
	  "\"persistent_keepalive_interval\"", "\"off\"", "not a decimal number" },
	{ PEER "replace_allowed_ips=1\n\n", -EINVAL, 3, "\"replace_allowed_ips\"", "\"1\"",
	  "the only value is true" },
	{ PEER "allowed_ip=10.0.0.0\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"10.0.0.0\"", "no /length" },
	{ PEER "allowed_ip=10.0.0.0/33\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"10.0.0.0/33\"",
	  "prefix length exceeds 32" },
	{ PEER "allowed_ip=fd00::/129\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"fd00::/129\"",
	  "prefix length exceeds 128" },
	{ PEER "allowed_ip=10.0.0.0/\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"10.0.0.0/\"",
	  "prefix length is not a decimal number" },
	{ PEER "allowed_ip=-/8\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"-/8\"", "empty address" },
	{ PEER "allowed_ip=--10.0.0.0/8\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"--10.0.0.0/8\"",
	  "not an IPv4 address" },
	{ PEER "allowed_ip=fe80::1%eth0/64\n\n", -EINVAL, 3, "\"allowed_ip\"",
	  "\"fe80::1%eth0/64\"", "not an IPv6 address" },
	{ PEER "allowed_ip=10.0.0.0/8,10.1.0.0/16\n\n", -EINVAL, 3, "\"allowed_ip\"",
	  "\"10.0.0.0/8,10.1.0.0/16\"", "prefix length is not a decimal number" },
	{ PEER "allowed_ip=010.0.0.0/8\n\n", -EINVAL, 3, "\"allowed_ip\"", "\"010.0.0.0/8\"",
	  "not an IPv4 address" },
	{ PEER "protocol_version=2\n\n", -EINVAL, 3, "\"protocol_version\"", "\"2\"",
	  "the only protocol version is 1" },
	{ PEER "protocol_version=01\n\n", -EINVAL, 3, "\"protocol_version\"", "\"01\"",
	  "the only protocol version is 1" },
	/* rampart_takeover (docs/rotation.md) */
	{ PEER "rampart_takeover=abc\n\n", -EINVAL, 3, "\"rampart_takeover\"", "\"abc\"",
	  "not 64 hex digits" },
	{ PEER "rampart_takeover=" PUB1_HEX "\n\n", -EINVAL, 3, "\"rampart_takeover\"", "(hidden)",
	  "a peer cannot take over from itself" },
	{ PEER "rampart_takeover=0000000000000000000000000000000000000000000000000000000000000000\n\n",
	  -EINVAL, 3, "\"rampart_takeover\"", "(hidden)", "the all-zero key is no peer" },
	{ DEV "rampart_takeover=" PUB2_HEX "\n\n", -EINVAL, 2, "\"rampart_takeover\"", "(hidden)",
	  "peer key before any public_key" },
	/* keys nobody knows, lines that are not key=value */
	{ DEV "foo=bar\n\n", -EINVAL, 2, "\"foo\"", "\"bar\"", "unknown key" },
	{ DEV "Listen_Port=1\n\n", -EINVAL, 2, "\"Listen_Port\"", "\"1\"", "unknown key" },
	{ DEV "listen_port =1\n\n", -EINVAL, 2, "\"listen_port \"", "\"1\"", "unknown key" },
	{ DEV "=1\n\n", -EINVAL, 2, "\"\"", "\"1\"", "unknown key" },
	{ DEV "get=1\n\n", -EINVAL, 2, "\"get\"", "\"1\"", "unknown key" },
	{ PEER "last_handshake_time_sec=0\n\n", -EINVAL, 3, "\"last_handshake_time_sec\"", "\"0\"",
	  "unknown key" },
	{ DEV "privatekey=" PRIV_HEX "\n\n", -EINVAL, 2, "\"privatekey\"", "(hidden)", "unknown key" },
	{ DEV "PrivateKey=8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk=\n\n", -EINVAL, 2,
	  "\"PrivateKey\"", "(hidden)", "unknown key" },
	{ DEV "listen_port\n\n", -EPROTO, 2, "\"listen_port\"", "", "no '=' in the line" },
	{ DEV PRIV_HEX "\n\n", -EPROTO, 2, "(hidden)", "", "no '=' in the line" },
	{ DEV "\t\n\n", -EPROTO, 2, "\"\\x09\"", "", "no '=' in the line" },
	/* where keys may appear */
	{ PEER "listen_port=1\n\n", -EINVAL, 3, "\"listen_port\"", "\"1\"",
	  "device key after the first public_key" },
	{ PEER "private_key=" PRIV_HEX "\n\n", -EINVAL, 3, "\"private_key\"", "(hidden)",
	  "device key after the first public_key" },
	{ PEER "replace_peers=true\n\n", -EINVAL, 3, "\"replace_peers\"", "\"true\"",
	  "device key after the first public_key" },
	{ DEV "allowed_ip=10.0.0.0/8\n\n", -EINVAL, 2, "\"allowed_ip\"", "\"10.0.0.0/8\"",
	  "peer key before any public_key" },
	{ DEV "listen_port=1\nremove=true\n\n", -EINVAL, 3, "\"remove\"", "\"true\"",
	  "peer key before any public_key" },
	{ DEV "preshared_key=" PSK_HEX "\n\n", -EINVAL, 2, "\"preshared_key\"", "(hidden)",
	  "peer key before any public_key" },
	/* only the first error counts; the rest of the operation is read */
	{ PEER "endpoint=x\nfoo\nlisten_port=1\nallowed_ip=10.0.0.0/8\n\n", -EINVAL, 3,
	  "\"endpoint\"", "\"x\"", "missing :port" },
	{ PEER "allowed_ip=10.0.0.0/8\nallowed_ip=10.0.0.0/8\nbad\nfoo=1\n\n", -EPROTO, 5,
	  "\"bad\"", "", "no '=' in the line" },
	/* get takes nothing but its empty line */
	{ "get=1\nlisten_port=1\n\n", -EINVAL, 2, "\"listen_port\"", "\"1\"", "get=1 takes no keys" },
	{ "get=1\nprivate_key=" PRIV_HEX "\n\n", -EINVAL, 2, "\"private_key\"", "(hidden)",
	  "get=1 takes no keys" },
	{ "get=1\nx\n\n", -EPROTO, 2, "\"x\"", "", "no '=' in the line" },
};

/* Rampart's own peer key: the old peer, for this entry alone. */
static void test_takeover(void)
{
	struct uapi_device *s = parse_ok("set=1\npublic_key=" PUB2_HEX "\n"
					 "rampart_takeover=" PUB1_HEX "\n"
					 "persistent_keepalive_interval=25\n"
					 "public_key=" PUB1_HEX "\n\n");

	if (!s)
		return;
	CHECK(s->n_peers == 2);
	if (s->n_peers == 2) {
		CHECK(s->peers[0].flags == (UAPI_PEER_HAS_TAKEOVER | UAPI_PEER_HAS_KEEPALIVE));
		key_is(s->peers[0].takeover_key, PUB1_HEX);
		CHECK(s->peers[0].n_allowed_ips == 0);
		CHECK(!(s->peers[1].flags & UAPI_PEER_HAS_TAKEOVER));
	}
	uapi_device_free(s);
}

static void test_bad_values(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++)
		expect_bad(&bad_cases[i], strlen(bad_cases[i].text));
}

/* NUL bytes fail the operation, and the stream goes on. */
static void test_nul_bytes(void)
{
	static const char t1[] = DEV "listen_port=1\0\n\n";
	static const char t2[] = PEER "allowed_ip=10.0.0.0/8\nendpoint=\0" "192.0.2.1:1\n\n";
	static const char t3[] = "get=1\n\0\n\n";
	static const struct bad_case c1 = { t1, -EPROTO, 2, "\"listen_port=1\\x00\"", "",
					    "NUL byte in the line" };
	static const struct bad_case c2 = { t2, -EPROTO, 4, "\"endpoint=\\x00192.0.2.1:1\"", "",
					    "NUL byte in the line" };
	static const struct bad_case c3 = { t3, -EPROTO, 2, "\"\\x00\"", "", "NUL byte in the line" };
	static const char t4[] = "get=1\0\n\n";
	struct uapi_request req;
	struct uapi_parser p;
	size_t used;

	expect_bad(&c1, sizeof(t1) - 1);
	expect_bad(&c2, sizeof(t2) - 1);
	expect_bad(&c3, sizeof(t3) - 1);
	/* In the operation line, a NUL is a framing error. */
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, t4, sizeof(t4) - 1, &used, &req) == UAPI_FATAL);
	CHECK(req.err == -EPROTO && req.op == UAPI_OP_NONE && !req.set);
	uapi_parser_uninit(&p);
}

/* --- ordering, flags and allowed-IP steps ------------------------------ */

static void test_entries_in_order(void)
{
	static const char text[] =
		"set=1\n"
		"public_key=" PUB1_HEX "\n"
		"allowed_ip=10.0.0.0/8\n"
		"allowed_ip=-10.1.0.0/16\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=-fd00::/64\n"
		"allowed_ip=192.0.2.0/24\n"
		"replace_allowed_ips=true\n"
		"public_key=" PUB2_HEX "\n"
		"update_only=true\n"
		"allowed_ip=-0.0.0.0/0\n"
		"public_key=" PUB1_HEX "\n"
		"allowed_ip=::/0\n"
		"remove=true\n"
		"public_key=" PUB2_HEX "\n"
		"\n";
	struct uapi_device *s = parse_ok(text);
	const struct uapi_peer *p;

	if (!s)
		return;
	CHECK(s->n_peers == 4 && total_steps(s) == 8);
	if (s->n_peers != 4)
		goto out;
	p = &s->peers[0];
	key_is(p->public_key, PUB1_HEX);
	CHECK(p->line == 2 && !(p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_UPDATE_ONLY)) &&
	      p->n_allowed_ips == 6);
	step_is(p, 0, UAPI_ALLOWED_IP_ADD, "10.0.0.0/8");
	step_is(p, 1, UAPI_ALLOWED_IP_REMOVE, "10.1.0.0/16");
	step_is(p, 2, UAPI_ALLOWED_IP_REPLACE, NULL);
	step_is(p, 3, UAPI_ALLOWED_IP_REMOVE, "fd00::/64");
	step_is(p, 4, UAPI_ALLOWED_IP_ADD, "192.0.2.0/24");
	step_is(p, 5, UAPI_ALLOWED_IP_REPLACE, NULL);
	p = &s->peers[1];
	key_is(p->public_key, PUB2_HEX);
	CHECK(p->line == 9 && (p->flags & UAPI_PEER_UPDATE_ONLY) && !(p->flags & UAPI_PEER_REMOVE));
	CHECK(first_step(s, p) == 6 && p->n_allowed_ips == 1);
	step_is(p, 0, UAPI_ALLOWED_IP_REMOVE, "0.0.0.0/0");
	p = &s->peers[2];
	key_is(p->public_key, PUB1_HEX);
	/* remove after a key counts */
	CHECK(p->line == 12 && (p->flags & UAPI_PEER_REMOVE) &&
	      !(p->flags & UAPI_PEER_UPDATE_ONLY));
	CHECK(first_step(s, p) == 7 && p->n_allowed_ips == 1);
	step_is(p, 0, UAPI_ALLOWED_IP_ADD, "::/0");
	p = &s->peers[3];
	CHECK(p->line == 15 &&
	      !(p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_UPDATE_ONLY | UAPI_PEER_HAS_ENDPOINT)));
	CHECK(first_step(s, p) == 8 && p->n_allowed_ips == 0);
out:
	uapi_device_free(s);
}

/* Device keys may come in any order and repeat; a repeat counts once. */
static void test_device_keys_repeat(void)
{
	struct uapi_device *s = parse_ok(DEV "fwmark=1\nreplace_peers=true\nprivate_key=" ZERO_HEX
				      "\nlisten_port=2\nreplace_peers=true\nprivate_key=" PRIV_HEX
				      "\nfwmark=3\n\n");

	if (!s)
		return;
	CHECK(s->fwmark == 3 && s->listen_port == 2 && (s->flags & UAPI_DEVICE_REPLACE_PEERS));
	key_is(s->private_key, PRIV_HEX);
	uapi_device_free(s);
}

/* --- framing ----------------------------------------------------------- */

static void test_get(void)
{
	struct uapi_request req;

	parse_req("get=1\n\n", 7, &req);
	CHECK(req.op == UAPI_OP_GET && req.err == 0 && !req.set);
	CHECK(req.error.line == 0 && !req.error.msg[0]);
}

static void test_bad_operation_lines(void)
{
	static const char *const lines[] = {
		"GET=1\n", "get=2\n", "get\n", "\n", "set=1 \n", "set=1\r\n", "get=1\0\n",
		"set=true\n", "public_key=" PUB1_HEX "\n",
		/* The whole line, NULs included (fuzz_uapi_server: this one
		 * was taken for rampart_events=1). */
		"rampart_events=1\0x\n", "rampart_events=1\0\n",
	};
	static const size_t lens[] = { 6, 6, 4, 1, 7, 7, 7, 9, 76, 19, 18 };

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct uapi_request req;
		struct uapi_parser p;
		size_t used = 99;

		uapi_parser_init(&p);
		CHECK_MSG(uapi_parser_feed(&p, lines[i], lens[i], &used, &req) == UAPI_FATAL,
			  "%zu", i);
		CHECK(req.op == UAPI_OP_NONE && req.err == -EPROTO && !req.set);
		CHECK(req.error.line == 1);
		CHECK_STR(req.error.msg, "expected get=1 or set=1");
		/* Dead: nothing more is read. */
		CHECK(uapi_parser_feed(&p, "get=1\n\n", 7, &used, &req) == UAPI_FATAL);
		CHECK(used == 0 && req.err == -EPROTO);
		CHECK(uapi_parser_finish(&p) == 0);
		uapi_parser_uninit(&p);
	}
}

/* Several operations on one stream, each handed over before the next is
 * read, errors and all. */
static void test_back_to_back(void)
{
	char *stream;
	size_t len, off = 0, used;
	struct uapi_request req;
	struct uapi_parser p;
	struct uapi_device *s;

	len = strlen(wg_set) + 7 + strlen(wg_setconf) + strlen("set=1\nfoo=1\n\n") +
	      strlen(wg_set_scoped);
	stream = malloc(len + 1);
	if (!stream)
		abort();
	snprintf(stream, len + 1, "%sget=1\n\n%sset=1\nfoo=1\n\n%s", wg_set, wg_setconf,
		 wg_set_scoped);
	uapi_parser_init(&p);

	CHECK(uapi_parser_feed(&p, stream, len, &used, &req) == UAPI_READY);
	CHECK(used == strlen(wg_set) && req.op == UAPI_OP_SET && !req.err);
	s = parse_ok(wg_set);
	CHECK(set_equal(req.set, s));
	uapi_device_free(s);
	uapi_device_free(req.set);
	off += used;

	CHECK(uapi_parser_feed(&p, stream + off, len - off, &used, &req) == UAPI_READY);
	CHECK(used == 7 && req.op == UAPI_OP_GET && !req.err && !req.set);
	off += used;

	CHECK(uapi_parser_feed(&p, stream + off, len - off, &used, &req) == UAPI_READY);
	CHECK(used == strlen(wg_setconf) && req.op == UAPI_OP_SET && !req.err);
	s = parse_ok(wg_setconf);
	CHECK(set_equal(req.set, s));
	uapi_device_free(s);
	uapi_device_free(req.set);
	off += used;

	CHECK(uapi_parser_feed(&p, stream + off, len - off, &used, &req) == UAPI_READY);
	CHECK(used == 13 && req.op == UAPI_OP_SET && req.err == -EINVAL && !req.set);
	CHECK(req.error.line == 2); /* lines count from each operation's first */
	off += used;

	CHECK(uapi_parser_feed(&p, stream + off, len - off, &used, &req) == UAPI_READY);
	CHECK(used == strlen(wg_set_scoped) && !req.err && req.set && req.set->n_peers == 1);
	uapi_device_free(req.set);
	off += used;
	CHECK(off == len);
	CHECK(uapi_parser_feed(&p, stream, 0, &used, &req) == UAPI_MORE && used == 0);
	CHECK(uapi_parser_finish(&p) == 0);
	uapi_parser_uninit(&p);
	free(stream);
}


static void test_incremental(void)
{
	enum { MAX = 16 };
	static const char tail[] =
		"get=1\n\n"
		"set=1\nlisten_port=70000\nx\n\n"
		"get=1\nfoo=bar\n\n"
		"set=1\npublic_key=" PUB2_HEX "\nallowed_ip=-10.0.0.0/8\nremove=true\n\n"
		"set=1\nlisten_port=1\0\n\n"
		"set=1\nlisten_port=2\n"; /* cut off */
	size_t (*const sizes[])(size_t) = { size_whole, size_one, size_odd };
	struct uapi_request want[MAX], got[MAX];
	size_t len, nwant, ngot;
	int fatal_want, fatal_got;
	char *stream;

	len = strlen(wg_set) + strlen(wg_setconf) + strlen(wg_set_scoped) + sizeof(tail) - 1;
	stream = malloc(len);
	if (!stream)
		abort();
	memcpy(stream, wg_set, strlen(wg_set));
	memcpy(stream + strlen(wg_set), wg_setconf, strlen(wg_setconf));
	memcpy(stream + strlen(wg_set) + strlen(wg_setconf), wg_set_scoped, strlen(wg_set_scoped));
	memcpy(stream + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);

	nwant = collect(stream, len, size_whole, want, MAX, &fatal_want);
	CHECK(nwant == 8 && !fatal_want);
	if (nwant == 8) {
		CHECK(want[0].set && want[1].set && want[2].set && want[6].set);
		CHECK(want[3].op == UAPI_OP_GET && !want[3].err);
		CHECK(want[4].err == -EINVAL && want[4].error.line == 2);
		CHECK(want[5].err == -EINVAL && want[5].op == UAPI_OP_GET);
		CHECK((want[6].set->peers[0].flags & UAPI_PEER_REMOVE));
		CHECK(want[7].err == -EPROTO);
	}
	for (size_t i = 1; i < ARRAY_SIZE(sizes); i++) {
		ngot = collect(stream, len, sizes[i], got, MAX, &fatal_got);
		CHECK_MSG(ngot == nwant && fatal_got == fatal_want, "sizes %zu", i);
		for (size_t j = 0; j < ngot && j < nwant; j++)
			CHECK_MSG(req_equal(&got[j], &want[j]), "sizes %zu request %zu", i, j);
		for (size_t j = 0; j < ngot; j++)
			uapi_device_free(got[j].set);
	}
	for (size_t j = 0; j < nwant; j++)
		uapi_device_free(want[j].set);
	free(stream);
}

/* A line of exactly UAPI_LINE_MAX bytes is fine; one byte more is fatal,
 * and the parser stops reading at that byte whatever follows. */
static void test_line_limit(void)
{
	char *buf = malloc(UAPI_LINE_MAX + 64);
	struct uapi_request req;
	struct uapi_parser p;
	size_t used, n, total;
	struct uapi_device *s;

	if (!buf)
		abort();
	/* "listen_port=000...0443": leading zeros are digits. */
	n = (size_t)snprintf(buf, 64, "set=1\nlisten_port=");
	memset(buf + n, '0', UAPI_LINE_MAX - 12 - 3);
	n += UAPI_LINE_MAX - 12 - 3;
	memcpy(buf + n, "443\n\n", 6);
	CHECK(strlen(buf) == 6 + UAPI_LINE_MAX + 2);
	s = parse_ok(buf);
	CHECK(s && s->listen_port == 443);
	uapi_device_free(s);

	/* One more zero. */
	memmove(buf + 19, buf + 18, strlen(buf + 18) + 1);
	total = strlen(buf);
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, buf, total, &used, &req) == UAPI_FATAL);
	CHECK(req.err == -EMSGSIZE && req.op == UAPI_OP_SET && !req.set);
	CHECK(req.error.line == 2 && used == 6);
	CHECK_STR(req.error.msg, "line longer than 4096 bytes");
	uapi_parser_uninit(&p);

	/* Byte by byte: exactly UAPI_LINE_MAX bytes of the line are taken. */
	uapi_parser_init(&p);
	n = 0;
	for (size_t i = 0; i < total; i++) {
		enum uapi_status st = uapi_parser_feed(&p, buf + i, 1, &used, &req);

		n += used;
		if (st == UAPI_FATAL)
			break;
	}
	CHECK(n == 6 + UAPI_LINE_MAX && req.err == -EMSGSIZE);
	uapi_parser_uninit(&p);

	/* An endless operation line. */
	memset(buf, 'g', UAPI_LINE_MAX + 64);
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, buf, UAPI_LINE_MAX, &used, &req) == UAPI_MORE);
	CHECK(used == UAPI_LINE_MAX);
	CHECK(uapi_parser_feed(&p, buf, 64, &used, &req) == UAPI_FATAL);
	CHECK(used == 0 && req.err == -EMSGSIZE && req.error.line == 1);
	uapi_parser_uninit(&p);
	free(buf);
}

/* Builds "set=1\n" + padding + "\n" of exactly total bytes: after an
 * unknown key the rest is only read, so the padding is cheap to skip. */
static char *padded_request(size_t total)
{
	static const char head[] = "set=1\nfoo=1\n";
	char *buf = malloc(total);
	size_t off = sizeof(head) - 1;

	if (!buf)
		abort();
	memcpy(buf, head, off);
	while (off < total - 1) {
		size_t line = total - 1 - off; /* with its "\n" */

		if (line > UAPI_LINE_MAX + 1)
			line = line - (UAPI_LINE_MAX + 1) >= 2 ? UAPI_LINE_MAX + 1 : UAPI_LINE_MAX;
		memset(buf + off, 'x', line - 1);
		buf[off + line - 1] = '\n';
		off += line;
	}
	buf[total - 1] = '\n';
	return buf;
}

static void test_request_limit(void)
{
	static const char line[] = "allowed_ip=10.0.0.1/32\n";
	enum { CHUNK = 64 * 1024 / (sizeof(line) - 1) * (sizeof(line) - 1) };
	struct uapi_request req;
	struct uapi_parser p;
	size_t used, fed = 0;
	enum uapi_status st;
	char *buf;

	buf = padded_request(UAPI_REQUEST_MAX);
	parse_req(buf, UAPI_REQUEST_MAX, &req);
	CHECK(req.err == -EINVAL && req.error.line == 2);
	free(buf);

	buf = padded_request(UAPI_REQUEST_MAX + 1);
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, buf, UAPI_REQUEST_MAX + 1, &used, &req) == UAPI_FATAL);
	CHECK(req.err == -EMSGSIZE && used == UAPI_REQUEST_MAX);
	CHECK_STR(req.error.msg, "operation larger than 16 MiB");
	uapi_parser_uninit(&p);
	free(buf);

	/* A stream of valid lines with no end: the parser stops at the
	 * limit, and the plan it had built is freed (ASan checks). */
	buf = malloc(CHUNK);
	if (!buf)
		abort();
	for (size_t i = 0; i < CHUNK; i += sizeof(line) - 1)
		memcpy(buf + i, line, sizeof(line) - 1);
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, PEER, strlen(PEER), &used, &req) == UAPI_MORE);
	fed = used;
	do {
		st = uapi_parser_feed(&p, buf, CHUNK, &used, &req);
		fed += used;
	} while (st == UAPI_MORE && fed < 4 * (size_t)UAPI_REQUEST_MAX);
	CHECK(st == UAPI_FATAL && req.err == -EMSGSIZE);
	CHECK(fed <= UAPI_REQUEST_MAX && fed > UAPI_REQUEST_MAX - sizeof(line));
	uapi_parser_uninit(&p);
	free(buf);
}

/* EOF halfway through an operation discards it. */
static void test_finish(void)
{
	struct uapi_request req;
	struct uapi_parser p;
	size_t used;

	uapi_parser_init(&p);
	CHECK(uapi_parser_finish(&p) == 0);
	CHECK(uapi_parser_feed(&p, "get=1\n\nse", 9, &used, &req) == UAPI_READY && used == 7);
	CHECK(uapi_parser_feed(&p, "se", 2, &used, &req) == UAPI_MORE);
	CHECK(uapi_parser_finish(&p) == -EPIPE);
	CHECK(uapi_parser_feed(&p, wg_set, strlen(wg_set) - 1, &used, &req) == UAPI_MORE);
	CHECK(uapi_parser_finish(&p) == -EPIPE); /* the plan so far is freed */
	CHECK(uapi_parser_feed(&p, "get=1\n", 6, &used, &req) == UAPI_MORE);
	CHECK(uapi_parser_finish(&p) == -EPIPE);
	/* Still usable. */
	CHECK(uapi_parser_feed(&p, "get=1\n\n", 7, &used, &req) == UAPI_READY);
	CHECK(req.op == UAPI_OP_GET && !req.err);
	CHECK(uapi_parser_finish(&p) == 0);
	uapi_parser_uninit(&p);
}

/* The secret never reaches an error and the line buffer is wiped. */
static void test_secrets(void)
{
	static const char *const texts[] = {
		DEV "private_key=" PRIV_HEX "x\n\n",
		PEER "preshared_key=" PSK_HEX "x\n\n",
		"get=1\nprivate_key=" PRIV_HEX "\n\n",
		DEV "private-key=" PRIV_HEX "\n\n",
		DEV PSK_HEX "\n\n",
		DEV "listen_port=-" PRIV_HEX "\n\n",
		/* A key with a stray byte, under a key that is not secret or
		 * not a key at all (fuzz_uapi_server: 40 bytes of it were
		 * quoted). */
		DEV "privatekey=" PRIV_HEX "\r\n\n",
		DEV "listen_port=" PRIV_HEX "x\n\n",
		PEER "endpoint=[" PSK_HEX "]:1\n\n",
		PEER "allowed_ip=-x" PSK_HEX "\n\n",
		DEV "f0c817105bdbaa96e7923f68746fe7d2f1263cc875782afb26fed02ed0c85079\r\n\n",
		DEV "private_key=8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk=\r\n\n",
		DEV "privatekey=8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk=\r\n\n",
	};
	static const uint8_t zero[UAPI_LINE_MAX + 1];
	char msg[ERROR_STRLEN];
	struct uapi_request req;
	struct uapi_parser p;
	size_t used;

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		uapi_parser_init(&p);
		CHECK(uapi_parser_feed(&p, texts[i], strlen(texts[i]), &used, &req) == UAPI_READY);
		CHECK(req.err != 0);
		uapi_error_format(msg, sizeof(msg), &req.error);
		CHECK_MSG(!strstr(msg, "f0c817") && !strstr(msg, "ad38e2") && !strstr(msg, "8MgXEF"),
			  "%s", msg);
		CHECK_MSG(strstr(msg, "(hidden)") != NULL, "%s", msg);
		CHECK(!memcmp(p.line_buf, zero, sizeof(zero)));
		uapi_parser_uninit(&p);
	}
	/* Also after a good line, and before the operation ends. */
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, DEV "private_key=" PRIV_HEX "\n", 6 + 77, &used, &req) ==
	      UAPI_MORE);
	CHECK(!memcmp(p.line_buf, zero, sizeof(zero)));
	uapi_parser_uninit(&p);
}

static void test_error_format(void)
{
	struct error e = { .code = -EINVAL, .line = 3, .key = "\"listen_port\"", .value = "\"x\"",
			   .msg = "not a decimal number" };
	char buf[ERROR_STRLEN];

	uapi_error_format(buf, sizeof(buf), &e);
	CHECK_STR(buf, "line 3, key \"listen_port\", value \"x\": not a decimal number");
	e.value[0] = '\0';
	uapi_error_format(buf, sizeof(buf), &e);
	CHECK_STR(buf, "line 3, key \"listen_port\": not a decimal number");
	e.key[0] = '\0';
	uapi_error_format(buf, sizeof(buf), &e);
	CHECK_STR(buf, "line 3: not a decimal number");
	e.line = 0;
	uapi_error_format(buf, sizeof(buf), &e);
	CHECK_STR(buf, "not a decimal number");

	/* Long and unprintable values are shortened and escaped. */
	{
		static const struct bad_case c = {
			DEV "foo\"\\\x01\xff=0123456789-abcdefghijklmnopqrstuvwxyz-0123456789\n\n",
			-EINVAL, 2, "\"foo\\\"\\\\\\x01\\xff\"",
			"\"0123456789-abcdefghijklmnopqrstuvwxyz-01...\"", "unknown key"
		};

		expect_bad(&c, strlen(c.text));
	}
}

/* --- a whole configuration --------------------------------------------- */

static void test_large_request(void)
{
	enum { N = 130561 };
	static const char head[] = "set=1\nprivate_key=" PRIV_HEX "\nlisten_port=51820\n"
				   "replace_peers=true\npublic_key=" PUB1_HEX "\n"
				   "replace_allowed_ips=true\n";
	size_t cap = sizeof(head) + (size_t)N * 32, len, used;
	struct timespec t0, t1;
	struct uapi_request req;
	struct uapi_parser p;
	char *buf = malloc(cap);
	double ms;
	bool ok = true;

	if (!buf)
		abort();
	len = (size_t)snprintf(buf, cap, "%s", head);
	for (unsigned i = 0; i < N; i++)
		len += (size_t)snprintf(buf + len, cap - len, "allowed_ip=10.%u.%u.%u/32\n",
					i >> 16, (i >> 8) & 255, i & 255);
	buf[len++] = '\n';
	CHECK(len < UAPI_REQUEST_MAX);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, buf, len, &used, &req) == UAPI_READY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# %d allowed IPs, %zu bytes, parsed in %.0f ms\n", N, len, ms);
	CHECK(used == len && !req.err && req.set);
	if (req.set) {
		const struct uapi_device *s = req.set;
		const struct uapi_peer *peer = s->peers;

		CHECK(s->n_peers == 1 && total_steps(s) == N + 1);
		/* Growth by doubling: at most twice what is used. */
		CHECK(peer->cap_allowed_ips < 2 * peer->n_allowed_ips);
		for (unsigned i = 0; i < N && total_steps(s) == N + 1; i++) {
			const struct uapi_allowed_ip *a = &peer->allowed_ips[i + 1];

			ok &= a->action == UAPI_ALLOWED_IP_ADD && a->prefix.cidr == 32 &&
			      a->prefix.addr.family == AF_INET &&
			      ntohl(a->prefix.addr.in4.s_addr) == (10u << 24 | i);
		}
		CHECK(ok);
	}
	/* Generous for a loaded machine under ASan; typically well under
	 * a second. */
	CHECK_MSG(ms < 5000, "%.0f ms", ms);
	uapi_device_free(req.set);
	uapi_parser_uninit(&p);
	free(buf);
}

static const struct harness_case cases[] = {
	{ "wg set: keys, peer, remove", test_wg_set },
	{ "wg setconf: replace_peers, IPv6 endpoint", test_wg_setconf },
	{ "wg set: scoped endpoint, empty allowed-ips", test_wg_set_scoped },
	{ "device keys: valid values", test_device_values },
	{ "peer keys: valid values", test_peer_values },
	{ "rampart_takeover: the old peer of one entry", test_takeover },
	{ "bad values, keys and order: exact errors", test_bad_values },
	{ "NUL bytes", test_nul_bytes },
	{ "peer entries and allowed-IP steps in order", test_entries_in_order },
	{ "device keys in any order, repeated", test_device_keys_repeat },
	{ "get=1", test_get },
	{ "bad operation lines are fatal", test_bad_operation_lines },
	{ "operations back to back", test_back_to_back },
	{ "byte by byte and in pieces as in one buffer", test_incremental },
	{ "line limit", test_line_limit },
	{ "operation size limit", test_request_limit },
	{ "EOF inside an operation", test_finish },
	{ "secrets stay out of errors and buffers", test_secrets },
	{ "error format and quoting", test_error_format },
	{ "130,561 allowed IPs in one set", test_large_request },
};

HARNESS_MAIN(cases)
