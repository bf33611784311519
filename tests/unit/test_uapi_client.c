/* The client's half of the control protocol (uapi/client.h): get replies
 * (good, refused by the daemon, malformed, fed in pieces, oversized), set
 * replies, and set requests built from a device by hand. */
#include "client_fixture.h"

#include <inttypes.h>

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
		    strcmp(uapi_endpoint_format(ea, &p->endpoint),
			   uapi_endpoint_format(eb, &q->endpoint)))
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
	CHECK_STR(uapi_endpoint_format(buf, &c->peers[0].endpoint), "[fe80::1%lo]:51820");
	/* persistent_keepalive_interval=0: sent, and off. */
	CHECK((c->peers[0].flags & UAPI_PEER_HAS_KEEPALIVE) && !c->peers[0].keepalive);
	CHECK(c->peers[0].n_allowed_ips == 0);
	CHECK(dev->peers[0].last_handshake_sec == 0 && dev->peers[0].rx_bytes == 0);

	key_is(c->peers[1].public_key, PUB1);
	CHECK(c->peers[1].flags & UAPI_PEER_HAS_PRESHARED_KEY);
	key_is(c->peers[1].preshared_key, PSK);
	CHECK_STR(uapi_endpoint_format(buf, &c->peers[1].endpoint), "192.0.2.1:51820");
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

	/* A repeated key counts the last time: a preshared key of zeros
	 * after a real one is none (fuzz_uapi_reply found the flag kept
	 * with the key zeroed, which a set built from it sent as a key). */
	dev = parse_ok("public_key=" PUB1_HEX "\npreshared_key=" PSK_HEX "\n"
		       "preshared_key=" ZERO_HEX "\n"
		       "public_key=" PUB2_HEX "\npreshared_key=" ZERO_HEX "\n"
		       "preshared_key=" PSK_HEX "\nerrno=0\n\n");
	if (dev) {
		CHECK(dev->n_peers == 2);
		CHECK(!(dev->peers[0].flags & UAPI_PEER_HAS_PRESHARED_KEY));
		CHECK(encoding_key_is_zero(dev->peers[0].preshared_key));
		CHECK(dev->peers[1].flags & UAPI_PEER_HAS_PRESHARED_KEY);
		CHECK(!encoding_key_is_zero(dev->peers[1].preshared_key));
		uapi_device_free(dev);
	}

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
		struct error err = { 0 };
		int ret = uapi_reply_parse_get(cases[i].text, strlen(cases[i].text), &dev, &err);

		CHECK_MSG(ret == cases[i].ret, "%zu: %d", i, ret);
		CHECK(dev == NULL);
		if (cases[i].msg)
			CHECK_STR(err.msg, cases[i].msg);
		else
			CHECK_STR(err.msg, strerror(-cases[i].ret));
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
		struct error err = { 0 };
		int ret = uapi_reply_parse_get(cases[i].text, strlen(cases[i].text), &dev, &err);

		CHECK_MSG(ret == -EPROTO, "case %zu (%s): %d", i, cases[i].msg, ret);
		CHECK(dev == NULL);
		CHECK_STR(err.msg, cases[i].msg);
		CHECK(!strstr(err.msg, PRIV_HEX) && !strstr(err.msg, PSK));
	}
}

static void test_get_nul_and_lines(void)
{
	static const char nul[] = "listen_port=1\nfoo=a\0b\nerrno=0\n\n";
	char *big = malloc(UAPI_REPLY_LINE_MAX + 64);
	struct uapi_device *dev = NULL;
	struct error err = { 0 };
	size_t n;

	CHECK(uapi_reply_parse_get(nul, sizeof(nul) - 1, &dev, &err) == -EPROTO);
	CHECK_STR(err.msg, "reply line 2: NUL byte");
	if (!big)
		return;
	/* A line of exactly UAPI_REPLY_LINE_MAX bytes is fine (and ignored)... */
	memset(big, 'a', UAPI_REPLY_LINE_MAX);
	big[0] = 'k';
	big[1] = '=';
	n = UAPI_REPLY_LINE_MAX;
	memcpy(big + n, "\nerrno=0\n\n", 10);
	CHECK(uapi_reply_parse_get(big, n + 10, &dev, &err) == 0);
	uapi_device_free(dev);
	dev = NULL;
	/* ...one more byte is not. */
	memset(big, 'a', UAPI_REPLY_LINE_MAX + 1);
	big[0] = 'k';
	big[1] = '=';
	n = UAPI_REPLY_LINE_MAX + 1;
	memcpy(big + n, "\nerrno=0\n\n", 10);
	CHECK(uapi_reply_parse_get(big, n + 10, &dev, &err) == -EPROTO);
	CHECK_STR(err.msg, "reply line 1 longer than 4096 bytes");
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
		CHECK_MSG(ret == 1, "split %zu: %d %s", split, ret, r.error.msg);
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
	CHECK_STR(r.error.msg, "reply larger than 256 MiB");
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
		struct error e1;
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
		ra = uapi_reply_parse_get(buf, n, &a, &e1);
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
		CHECK_MSG(ra == rb, "iteration %d: %d vs %d (%s / %s)", iter, ra, rb, e1.msg, r.error.msg);
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
	struct error err = { 0 };

	CHECK(uapi_reply_parse_set("errno=0\n\n", 9, &err) == 0);
	CHECK(uapi_reply_parse_set("errno=-22\n\n", 11, &err) == -EINVAL);
	CHECK_STR(err.msg, "Invalid argument");
	/* wg(8) reads only errno= from a set reply. */
	CHECK(uapi_reply_parse_set("private_key=zz\nerrno=0\n\n", 24, &err) == 0);
	CHECK(uapi_reply_parse_set("\n", 1, &err) == -EPROTO);
	CHECK_STR(err.msg, "reply line 1: the reply ended without errno=");
	CHECK(uapi_reply_parse_set("errno=0\n", 8, &err) == -EPROTO);
	CHECK(uapi_reply_parse_set("nothing", 7, &err) == -EPROTO);
}


/* Drop counters are named "drop_<reason>": a reason fits 58 characters.
 * Every other rampart_<name> line is a counter too, of the device or,
 * after a public_key, of that peer; a value that is not a number is a
 * protocol error, as for the keys wg(8) knows. */
static void test_get_drop_names(void)
{
	char text[512], reason[64];
	struct error err;
	struct uapi_device *dev = NULL;

	memset(reason, 'a', 58);
	reason[58] = '\0';
	snprintf(text, sizeof(text),
		 "rampart_drop_%s=4\nrampart_tun_write_failed=2\npublic_key=" PUB1_HEX "\n"
		 "rampart_rx_packets=10\nrampart_rx_packets=11\nerrno=0\n\n", reason);
	dev = parse_ok(text);
	CHECK(dev && dev->n_counters == 2);
	if (dev && dev->n_counters == 2) {
		CHECK(!strncmp(dev->counters[0].name, "drop_", 5));
		CHECK_STR(dev->counters[0].name + 5, reason);
		CHECK(dev->counters[0].value == 4);
		CHECK_STR(dev->counters[1].name, "tun_write_failed");
		CHECK(dev->n_peers == 1 && dev->peers[0].n_counters == 1);
		if (dev->n_peers == 1 && dev->peers[0].n_counters == 1) {
			CHECK_STR(dev->peers[0].counters[0].name, "rx_packets");
			CHECK(dev->peers[0].counters[0].value == 11); /* the last one counts */
		}
	}
	uapi_device_free(dev);
	dev = NULL;
	snprintf(text, sizeof(text), "rampart_other=x\nerrno=0\n\n");
	CHECK(uapi_reply_parse_get(text, strlen(text), &dev, &err) == -EPROTO);
	CHECK(strstr(err.msg, "reply line 1: invalid rampart_other \"x\": not a decimal number"));
	strcat(reason, "b");
	snprintf(text, sizeof(text), "rampart_drop_%s=4\nerrno=0\n\n", reason);
	CHECK(uapi_reply_parse_get(text, strlen(text), &dev, &err) == -EPROTO);
	CHECK(dev == NULL);
	CHECK(strstr(err.msg, "reply line 1: invalid drop reason") &&
	      strstr(err.msg, "longer than 58 characters"));
}

/* --- set requests ------------------------------------------------------ */

/* A request built by hand: every flag, allowed-IP steps in their order
 * (a REPLACE where it stands, removals with '-'), statistics and counters
 * ignored, and an unresolved endpoint refused. */
static void test_format_set(void)
{
	struct uapi_device *dev = uapi_device_alloc();
	struct uapi_peer *p;
	struct netaddr_prefix a, b;
	struct error err = { 0 };
	struct textbuf o = { 0 };
	uint8_t key[KEY_LEN];
	const char *why;

	if (!dev)
		return;
	CHECK(netaddr_parse_prefix(&a, "10.0.0.1/32", &why));
	CHECK(netaddr_parse_prefix(&b, "fd00::/64", &why));
	dev->flags = UAPI_DEVICE_HAS_PRIVATE_KEY | UAPI_DEVICE_HAS_LISTEN_PORT |
		     UAPI_DEVICE_HAS_FWMARK | UAPI_DEVICE_REPLACE_PEERS;
	CHECK(encoding_key_from_base64(dev->private_key, PRIV));
	dev->fwmark = 7;
	CHECK(uapi_device_add_counter(dev, "drop_replay", 3) == 0);
	CHECK(encoding_key_from_base64(key, PUB1));
	p = uapi_device_add_peer(dev, key);
	if (p) {
		/* Everything but remove=true is left out of a removal. */
		p->flags = UAPI_PEER_REMOVE | UAPI_PEER_HAS_KEEPALIVE;
		p->keepalive = 25;
		CHECK(uapi_peer_add_allowed_ip(p, &a, UAPI_ALLOWED_IP_ADD) == 0);
	}
	CHECK(encoding_key_from_base64(key, PUB2));
	p = uapi_device_add_peer(dev, key);
	if (p) {
		p->flags = UAPI_PEER_UPDATE_ONLY | UAPI_PEER_HAS_PRESHARED_KEY |
			   UAPI_PEER_HAS_ENDPOINT | UAPI_PEER_HAS_KEEPALIVE;
		CHECK(uapi_endpoint_parse(&p->endpoint, "[2001:db8::1]:51820", &why));
		p->rx_bytes = 99;
		CHECK(uapi_peer_add_allowed_ip(p, &a, UAPI_ALLOWED_IP_ADD) == 0);
		CHECK(uapi_peer_add_allowed_ip(p, NULL, UAPI_ALLOWED_IP_REPLACE) == 0);
		CHECK(uapi_peer_add_allowed_ip(p, &b, UAPI_ALLOWED_IP_REMOVE) == 0);
	}
	/* Rampart's takeover key, before the allowed IPs. */
	if (p) {
		p->flags |= UAPI_PEER_HAS_TAKEOVER;
		CHECK(encoding_key_from_base64(p->takeover_key, PUB1));
	}
	request_is(dev, "set=1\nprivate_key=" PRIV_HEX "\nlisten_port=0\nfwmark=7\n"
			"replace_peers=true\n"
			"public_key=" PUB1_HEX "\nremove=true\n"
			"public_key=" PUB2_HEX "\nupdate_only=true\npreshared_key=" ZERO_HEX "\n"
			"endpoint=[2001:db8::1]:51820\npersistent_keepalive_interval=0\n"
			"rampart_takeover=" PUB1_HEX "\n"
			"allowed_ip=10.0.0.1/32\nreplace_allowed_ips=true\nallowed_ip=-fd00::/64\n\n");
	/* A host name must be resolved first. */
	if (p) {
		CHECK(uapi_endpoint_parse(&p->endpoint, "example.com:1", &why));
		CHECK(uapi_format_set(&o, dev, &err) == -EINVAL);
		CHECK_STR(err.msg, "endpoint `example.com:1' is not resolved");
	}
	textbuf_wipe(&o);
	uapi_device_free(dev);
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
	{ "get reply: drop counters are named drop_<reason>", test_get_drop_names },
	{ "set reply", test_set_reply },
	{ "set request: flags and allowed-IP steps in order", test_format_set },
};

HARNESS_MAIN(cases)
