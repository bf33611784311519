/* src/daemon/apply.c on bare devices (tests/bare_device.h): what wg(8)'s
 * requests leave on a device as its get=1 reply shows it, the events of
 * a set, the keys a set ignores, the room reserved before anything
 * changes, prefixes moved between peers, IPv6 scopes, and the fixed point
 * set -> get -> set that fuzz_uapi_roundtrip explores. */
#include "bare_device.h"
#include "harness.h"
#include "client_fixture.h"

#include "common/log.h"
#include "common/textbuf.h"
#include "uapi/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A peer with nothing but its key, and the statistics of a fresh one,
 * as get shows it (its counters and allowed IPs follow). */
#define BARE_PEER(key)                                                     \
	"public_key=" key "\n"                                             \
	"preshared_key=" ZERO_HEX "\n"                                     \
	"protocol_version=1\n"                                             \
	"last_handshake_time_sec=0\n"                                      \
	"last_handshake_time_nsec=0\n"                                     \
	"tx_bytes=0\n"                                                     \
	"rx_bytes=0\n"                                                     \
	"persistent_keepalive_interval=0\n"

static struct bare *fresh(void)
{
	struct bare *b = bare_alloc();

	CHECK(b != NULL);
	return b;
}

/* text through the daemon's parser and onto b: bare_set()'s result. */
static int set_text(struct bare *b, const char *text)
{
	struct uapi_device *plan;
	int err;

	plan = bare_parse_set(text, strlen(text), &err);
	CHECK_MSG(plan != NULL, "%d for %s", err, text);
	if (!plan)
		return err;
	err = bare_set(b, plan);
	uapi_device_free(plan);
	return err;
}

static void get_is(struct bare *b, const char *want)
{
	size_t len = 0;
	int err = 0;
	char *got = bare_get(b, &len, &err);

	CHECK(got != NULL && !err);
	if (!got)
		return;
	CHECK_STR(got, want);
	CHECK(len == strlen(want));
	uapi_text_free(got, len);
}

/* wg(8)'s set: PUB1 is PRIV's own public key, so its entry is ignored
 * and PUB2, removed, was never there: a device with its key, port and
 * mark, and not a peer. */
static void test_wg_set(void)
{
	struct bare *b = fresh();

	if (!b)
		return;
	CHECK(set_text(b, wg_set) == 0);
	get_is(b, "private_key=" PRIV_HEX "\n"
		  "listen_port=51820\n"
		  "fwmark=32\n"
		  "rampart_sessions=0\n"
		  "errno=0\n\n");
	CHECK(!b->events[EVENT_PEER_ADDED] && !b->events[EVENT_PEER_REMOVED] && !b->sent);
	bare_free(b);
}

/* A peer with an endpoint and a keepalive, under a private key: the
 * keepalive (0 -> 25) starts a handshake at once, which the get counts. */
static void test_peer_and_keepalive(void)
{
	static const char set[] = "set=1\n"
				  "private_key=" PRIV_HEX "\n"
				  "public_key=" PUB2_HEX "\n"
				  "preshared_key=" PSK_HEX "\n"
				  "endpoint=192.0.2.1:51820\n"
				  "persistent_keepalive_interval=25\n"
				  "allowed_ip=10.0.0.0/24\n"
				  "allowed_ip=fd00::1/64\n"
				  "\n";
	struct bare *b = fresh();

	if (!b)
		return;
	CHECK(set_text(b, set) == 0);
	get_is(b, "private_key=" PRIV_HEX "\n"
		  "rampart_sessions=0\n"
		  "public_key=" PUB2_HEX "\n"
		  "preshared_key=" PSK_HEX "\n"
		  "protocol_version=1\n"
		  "endpoint=192.0.2.1:51820\n"
		  "last_handshake_time_sec=0\n"
		  "last_handshake_time_nsec=0\n"
		  "tx_bytes=148\n"
		  "rx_bytes=0\n"
		  "persistent_keepalive_interval=25\n"
		  "rampart_handshakes_initiated=1\n"
		  "allowed_ip=10.0.0.0/24\n"
		  "allowed_ip=fd00::/64\n"
		  "errno=0\n\n");
	CHECK(b->events[EVENT_PEER_ADDED] == 1 && b->sent == 1);
	/* The same again (syncconf): no change, no event, no handshake. */
	CHECK(set_text(b, set) == 0);
	CHECK(b->events[EVENT_PEER_ADDED] == 1 && !b->events[EVENT_PEER_CHANGED]);
	CHECK(b->sent == 1);
	/* A new keepalive and prefix: one change event with both. */
	CHECK(set_text(b, "set=1\npublic_key=" PUB2_HEX "\npersistent_keepalive_interval=5\n"
			  "allowed_ip=10.1.0.0/16\n\n") == 0);
	CHECK(b->events[EVENT_PEER_CHANGED] == 1);
	CHECK(b->changes == (EVENT_CHANGED_KEEPALIVE | EVENT_CHANGED_ALLOWED_IPS));
	bare_free(b);
}

/* A private key whose public key is a peer's: that peer goes, as the
 * kernel removes it (PUB1 is PRIV's public key). */
static void test_own_key_later(void)
{
	struct bare *b = fresh();

	if (!b)
		return;
	CHECK(set_text(b, "set=1\npublic_key=" PUB1_HEX "\nallowed_ip=10.0.0.0/8\n"
			  "public_key=" PUB2_HEX "\n\n") == 0);
	CHECK(set_text(b, "set=1\nprivate_key=" PRIV_HEX "\n\n") == 0);
	get_is(b, "private_key=" PRIV_HEX "\n"
		  "rampart_sessions=0\n"
		  BARE_PEER(PUB2_HEX)
		  "errno=0\n\n");
	/* And the key removed again (zeros): no peer comes back. */
	CHECK(set_text(b, "set=1\nprivate_key=" ZERO_HEX "\n\n") == 0);
	get_is(b, "rampart_sessions=0\n"
		  BARE_PEER(PUB2_HEX)
		  "errno=0\n\n");
	bare_free(b);
}

/* update_only does not create, remove of a peer not there does nothing,
 * replace_peers removes every peer with an event each. */
static void test_peer_flags(void)
{
	struct bare *b = fresh();

	if (!b)
		return;
	CHECK(set_text(b, "set=1\npublic_key=" PUB3_HEX "\nupdate_only=true\n"
			  "allowed_ip=10.0.0.0/8\npublic_key=" PUB4_HEX "\nremove=true\n\n") == 0);
	get_is(b, "rampart_sessions=0\nerrno=0\n\n");
	CHECK(set_text(b, "set=1\npublic_key=" PUB3_HEX "\npublic_key=" PUB4_HEX "\n\n") == 0);
	CHECK(b->events[EVENT_PEER_ADDED] == 2);
	CHECK(set_text(b, "set=1\nreplace_peers=true\npublic_key=" PUB2_HEX "\n\n") == 0);
	CHECK(b->events[EVENT_PEER_REMOVED] == 2 && b->events[EVENT_PEER_ADDED] == 3);
	get_is(b, "rampart_sessions=0\n"
		  BARE_PEER(PUB2_HEX)
		  "errno=0\n\n");
	bare_free(b);
}

/* A prefix taken from another peer moves, and both counters say so. */
static void test_prefix_moved(void)
{
	struct bare *b = fresh();

	if (!b)
		return;
	CHECK(set_text(b, "set=1\npublic_key=" PUB3_HEX "\nallowed_ip=10.0.0.0/8\n"
			  "public_key=" PUB4_HEX "\nallowed_ip=10.0.0.0/8\n\n") == 0);
	get_is(b, "rampart_allowed_ips_moved=1\n"
		  "rampart_sessions=0\n"
		  BARE_PEER(PUB3_HEX)
		  "rampart_allowed_ips_lost=1\n"
		  BARE_PEER(PUB4_HEX)
		  "allowed_ip=10.0.0.0/8\n"
		  "errno=0\n\n");
	bare_free(b);
}

/* Allowed-IP steps in order: -P/L leaves a prefix another peer holds,
 * P/L takes it (host bits cleared), replace drops what the peer holds
 * at that point, and a prefix back with its first peer comes last in
 * that peer's order. */
static void test_steps(void)
{
	struct bare *b = fresh();

	if (!b)
		return;
	CHECK(set_text(b, "set=1\n"
			  "public_key=" PUB3_HEX "\n"
			  "allowed_ip=10.1.0.0/16\n"
			  "allowed_ip=10.0.0.0/8\n"
			  "public_key=" PUB4_HEX "\n"
			  "allowed_ip=-10.0.0.0/8\n"
			  "allowed_ip=10.1.2.3/16\n"
			  "allowed_ip=192.0.2.7/24\n"
			  "replace_allowed_ips=true\n"
			  "allowed_ip=fd00::1/64\n"
			  "allowed_ip=-fd00::/64\n"
			  "allowed_ip=::/0\n"
			  "public_key=" PUB3_HEX "\n"
			  "allowed_ip=10.1.0.0/16\n"
			  "\n") == 0);
	/* One move: PUB4's replace had dropped 10.1/16 before PUB3 took it
	 * back. */
	get_is(b, "rampart_allowed_ips_moved=1\n"
		  "rampart_sessions=0\n"
		  BARE_PEER(PUB3_HEX)
		  "rampart_allowed_ips_lost=1\n"
		  "allowed_ip=10.0.0.0/8\n"
		  "allowed_ip=10.1.0.0/16\n"
		  BARE_PEER(PUB4_HEX)
		  "allowed_ip=::/0\n"
		  "errno=0\n\n");
	bare_free(b);
}

/* More takeovers than TAKEOVER_MAX: refused before anything changes,
 * the port included. */
static void test_reserve(void)
{
	struct uapi_device *plan = uapi_device_alloc();
	struct bare *b = fresh();
	uint8_t key[KEY_LEN] = { 0 };

	CHECK(plan != NULL);
	if (!b || !plan)
		goto out;
	plan->flags = UAPI_DEVICE_HAS_LISTEN_PORT;
	plan->listen_port = 1;
	for (unsigned i = 0; i <= TAKEOVER_MAX; i++) {
		struct uapi_peer *p;

		memcpy(key, &i, sizeof(i));
		key[31] = 1;
		p = uapi_device_add_peer(plan, key);
		CHECK(p != NULL);
		if (!p)
			goto out;
		p->flags = UAPI_PEER_HAS_TAKEOVER;
		p->takeover_key[0] = 0xff;
	}
	CHECK(bare_set(b, plan) == -ENOSPC);
	get_is(b, "rampart_sessions=0\nerrno=0\n\n");
	CHECK(!b->events[EVENT_PEER_ADDED]);
	/* One fewer fits. */
	plan->n_peers--;
	CHECK(bare_set(b, plan) == 0);
	CHECK(b->events[EVENT_PEER_ADDED] == TAKEOVER_MAX && b->port == 1);
	plan->n_peers++;
out:
	uapi_device_free(plan);
	bare_free(b);
}

/* An IPv6 scope by name or index maps to the interface, and back to its
 * name; one that names no interface is no scope.  Digits past 32 bits
 * are no index: %4294967297 was cut to 1, lo. */
static void test_scopes(void)
{
	static const struct {
		const char *set, *get;
	} cases[] = {
		{ "[fe80::1%lo]:1", "[fe80::1%lo]:1" },
		{ "[fe80::1%1]:1", "[fe80::1%lo]:1" },
		{ "[fe80::1%4294967297]:1", "[fe80::1]:1" },
		{ "[fe80::1%99999999999999]:1", "[fe80::1]:1" },
		{ "[fe80::1%-1]:1", "[fe80::1]:1" },
		{ "[fe80::1%nosuchif0]:1", "[fe80::1]:1" },
		/* Only a link-local address has a scope. */
		{ "[2001:db8::1%lo]:1", "[2001:db8::1]:1" },
	};
	char set[256], get[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bare *b = fresh();

		if (!b)
			return;
		snprintf(set, sizeof(set), "set=1\npublic_key=" PUB2_HEX "\nendpoint=%s\n\n",
			 cases[i].set);
		snprintf(get, sizeof(get),
			 "rampart_sessions=0\npublic_key=" PUB2_HEX "\npreshared_key=" ZERO_HEX "\n"
			 "protocol_version=1\nendpoint=%s\nlast_handshake_time_sec=0\n"
			 "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
			 "persistent_keepalive_interval=0\nerrno=0\n\n", cases[i].get);
		CHECK(set_text(b, set) == 0);
		get_is(b, get);
		bare_free(b);
	}
}

/* set -> get -> the client's set -> a fresh device: the same get; the
 * set built from that is the one built from the first (what
 * fuzz_uapi_roundtrip checks of every input). */
static void roundtrip(const char *set)
{
	struct bare *b1 = fresh(), *b2 = fresh();
	struct textbuf s1 = { 0 }, s2 = { 0 };
	struct uapi_device *d1 = NULL, *d2 = NULL;
	char *g1 = NULL, *g2 = NULL;
	size_t l1 = 0, l2 = 0;
	struct error err;
	int r;

	if (!b1 || !b2)
		goto out;
	CHECK(set_text(b1, set) == 0);
	g1 = bare_get(b1, &l1, &r);
	CHECK(g1 && uapi_reply_parse_get(g1, l1, &d1, &err) == 0);
	CHECK(d1 && uapi_format_set(&s1, d1, &err) == 0);
	if (!d1 || s1.err)
		goto out;
	CHECK(set_text(b2, s1.buf) == 0);
	g2 = bare_get(b2, &l2, &r);
	CHECK(g2 != NULL);
	if (g1 && g2)
		CHECK_STR(g2, g1);
	CHECK(g2 && uapi_reply_parse_get(g2, l2, &d2, &err) == 0);
	CHECK(d2 && uapi_format_set(&s2, d2, &err) == 0);
	if (s1.buf && s2.buf)
		CHECK_STR(s2.buf, s1.buf);
out:
	uapi_device_free(d1);
	uapi_device_free(d2);
	uapi_text_free(g1, l1);
	uapi_text_free(g2, l2);
	textbuf_wipe(&s1);
	textbuf_wipe(&s2);
	bare_free(b1);
	bare_free(b2);
}

static void test_roundtrip(void)
{
	roundtrip(wg_set);
	roundtrip(wg_setconf);
	roundtrip(wg_set_scoped);
	roundtrip("set=1\nprivate_key=" PRIV_HEX "\nlisten_port=51820\nfwmark=7\n"
		  "public_key=" PUB2_HEX "\npreshared_key=" PSK_HEX "\n"
		  "endpoint=[2001:db8::1]:51820\npersistent_keepalive_interval=25\n"
		  "allowed_ip=10.0.0.0/24\nallowed_ip=fd00::/64\n"
		  "public_key=" PUB3_HEX "\nendpoint=192.0.2.3:3\nallowed_ip=0.0.0.0/0\n"
		  "allowed_ip=::/0\npublic_key=" PUB4_HEX "\nrampart_takeover=" PUB3_HEX "\n\n");
}

static const struct harness_case cases[] = {
	{ "wg set: the own key's entry ignored", test_wg_set },
	{ "a peer, its keepalive's handshake, events of a repeated set", test_peer_and_keepalive },
	{ "a new private key removes the peer with its public key", test_own_key_later },
	{ "update_only, remove, replace_peers", test_peer_flags },
	{ "a prefix moved between peers is counted", test_prefix_moved },
	{ "allowed-IP steps in order", test_steps },
	{ "room reserved before anything changes", test_reserve },
	{ "IPv6 scopes by name and index", test_scopes },
	{ "set -> get -> set is a fixed point", test_roundtrip },
};

int main(int argc, char *argv[])
{
	int ret;

	log_set_level(LOG_LEVEL_SILENT);
	if (crypto_init()) {
		fprintf(stderr, "crypto_init failed\n");
		return 1;
	}
	ret = harness_main(cases, ARRAY_SIZE(cases), argc, argv);
	crypto_uninit();
	return ret;
}
