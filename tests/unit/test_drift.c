/* Drift (src/audit/drift.h) on built models: a conf parsed from text and
 * a running device parsed from a get reply, for every kind where it fires
 * and where it does not; the inventory's peers through its apply plan;
 * the comparison of two nft listings; the sysctl report. */
#include "harness.h"

#include "audit/drift.h"
#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "crypto/crypto.h"
#include "inventory/model.h"
#include "uapi/client.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Key i: bytes that are a valid private key after clamping. */
static void key(uint8_t k[KEY_LEN], unsigned i)
{
	memset(k, (int)(0x10 + i), KEY_LEN);
	k[0] = (uint8_t)(i + 1);
}

/* Key i in base64 or hex, in one of a few rotating buffers. */
static const char *encoded(unsigned i, bool as_hex)
{
	static char buf[8][KEY_HEX_LEN + 1];
	static unsigned slot;
	uint8_t k[KEY_LEN];

	key(k, i);
	slot = (slot + 1) % 8;
	if (as_hex)
		encoding_key_to_hex(buf[slot], k);
	else
		encoding_key_to_base64(buf[slot], k);
	return buf[slot];
}

static const char *b64(unsigned i) { return encoded(i, false); }
static const char *hex(unsigned i) { return encoded(i, true); }

static struct conf *parse_conf(const char *text)
{
	struct conf *c = NULL;
	struct error err = { 0 };

	CHECK_MSG(!wgconf_parse(text, strlen(text), "wg0.conf", &c, &err), "conf: %s", err.msg);
	return c;
}

static struct uapi_device *parse_get(const char *text)
{
	struct uapi_device *d = NULL;
	struct error err = { 0 };

	CHECK_MSG(!uapi_reply_parse_get(text, strlen(text), &d, &err), "get: %s", err.msg);
	return d;
}

/* The hub of most cases: key 1, port 51820, peer key 2 with two
 * prefixes and keepalive 25, and the lines given; the running side the
 * same, unless told. */
static struct conf *hub_conf(const char *extra_if, const char *extra_peer)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[Interface]\nPrivateKey = %s\nListenPort = 51820\n%s"
		 "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32, fd00::2/128\n"
		 "PersistentKeepalive = 25\n%s", b64(1), extra_if, b64(2), extra_peer);
	return parse_conf(text);
}

static struct uapi_device *running(unsigned priv, uint16_t port, const char *peers)
{
	char text[4096];

	snprintf(text, sizeof(text), "private_key=%s\nlisten_port=%u\n%serrno=0\n\n", hex(priv),
		 port, peers);
	return parse_get(text);
}

/* Peer key k with the lines given (allowed_ip=..., endpoint=...). */
static const char *peer(unsigned k, const char *lines)
{
	static char buf[4][1024];
	static unsigned slot;

	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "public_key=%s\n%sprotocol_version=1\n", hex(k),
		 lines);
	return buf[slot];
}

static struct drift_list compare(const struct conf *c, const struct uapi_device *dev,
				 uint32_t auto_fwmark)
{
	struct drift_declared d = { .conf = c, .filename = "/etc/wireguard/wg0.conf",
				    .auto_fwmark = auto_fwmark };
	struct drift_list l = { 0 };
	struct error err = { 0 };

	CHECK_MSG(!drift_compare_device("wg0", &d, dev, NULL, &l, &err), "compare: %s", err.msg);
	return l;
}

static size_t count(const struct drift_list *l, enum drift_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].kind == k;
	return n;
}

static const struct drift *find(const struct drift_list *l, enum drift_kind k)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == k)
			return &l->v[i];
	return NULL;
}

/* No string of any difference holds the key's base64 or hex. */
static bool leaks(const struct drift_list *l, unsigned k)
{
	const char *a = b64(k), *h = hex(k);

	for (size_t i = 0; i < l->n; i++) {
		const struct drift *d = &l->v[i];
		const char *f[] = { d->peer, d->what, d->declared, d->running, d->fix };

		for (size_t j = 0; j < sizeof(f) / sizeof(f[0]); j++)
			if (strstr(f[j], a) || strstr(f[j], h))
				return true;
	}
	return false;
}

/* c against d is no drift; d is freed. */
static void no_drift_at(const struct conf *c, struct uapi_device *d, int line)
{
	struct drift_list l = compare(c, d, 0);

	CHECK_MSG(l.n == 0, "line %d: %zu differences, first %s", line, l.n,
		  l.n ? drift_kind_name(l.v[0].kind) : "");
	drift_list_free(&l);
	uapi_device_free(d);
}
#define no_drift(c, d) no_drift_at((c), (d), __LINE__)

#define PEER2 "allowed_ip=10.0.0.2/32\nallowed_ip=fd00::2/128\npersistent_keepalive_interval=25\n"

static void test_clean(void)
{
	struct conf *c = hub_conf("", "");
	/* The running side lists the prefixes in another order. */
	struct uapi_device *d = running(1, 51820, peer(2, "allowed_ip=fd00::2/128\n"
							  "allowed_ip=10.0.0.2/32\n"
							  "persistent_keepalive_interval=25\n"));
	struct drift_list l = compare(c, d, 0);

	CHECK_MSG(l.n == 0, "%zu differences, first %s", l.n, l.n ? l.v[0].what : "");
	drift_list_free(&l);
	conf_free(c);
	uapi_device_free(d);
}

static void test_host_bits_and_order(void)
{
	char text[1024];
	struct conf *c;
	struct uapi_device *d;
	struct drift_list l;

	snprintf(text, sizeof(text), "[Interface]\nPrivateKey = %s\n[Peer]\nPublicKey = %s\n"
		 "AllowedIPs = fd00::2/128, 10.1.0.7/24\n", b64(1), b64(2));
	c = parse_conf(text);
	d = running(1, 40000, peer(2, "allowed_ip=10.1.0.0/24\nallowed_ip=fd00::2/128\n"));
	l = compare(c, d, 0);
	CHECK_MSG(l.n == 0, "%zu differences: %s", l.n, l.n ? l.v[0].what : "");
	drift_list_free(&l);
	uapi_device_free(d);
	/* The same prefixes less one: it fires. */
	d = running(1, 40000, peer(2, "allowed_ip=10.1.0.0/24\n"));
	l = compare(c, d, 0);
	CHECK(l.n == 1 && count(&l, DRIFT_ALLOWED_IP_MISSING) == 1);
	drift_list_free(&l);
	uapi_device_free(d);
	conf_free(c);
}

static void test_peers(void)
{
	struct conf *c = hub_conf("", "");
	struct uapi_device *d = running(1, 51820, peer(3, PEER2));
	struct drift_list l = compare(c, d, 0);
	const struct drift *m = find(&l, DRIFT_PEER_MISSING), *x = find(&l, DRIFT_PEER_EXTRA);
	char fix[256];

	CHECK(l.n == 2);
	CHECK(m && !strcmp(m->peer, b64(2)) && !strcmp(m->running, "(absent)"));
	CHECK(m && !strcmp(m->fix, "rampart syncconf wg0 <(rampart strip wg0)"));
	snprintf(fix, sizeof(fix), "wg set wg0 peer %s remove", b64(3));
	CHECK(x && !strcmp(x->peer, b64(3)) && !strcmp(x->fix, fix));
	drift_list_free(&l);
	uapi_device_free(d);
	conf_free(c);
}

static void test_allowed_ips(void)
{
	struct conf *c = hub_conf("", "");
	struct uapi_device *d = running(1, 51820, peer(2, "allowed_ip=10.0.0.2/32\n"
						       "allowed_ip=10.0.0.3/32\n"
						       "persistent_keepalive_interval=25\n"));
	struct drift_list l = compare(c, d, 0);
	const struct drift *m = find(&l, DRIFT_ALLOWED_IP_MISSING), *x = find(&l, DRIFT_ALLOWED_IP_EXTRA);
	char fix[256];

	CHECK(l.n == 2);
	CHECK(m && !strcmp(m->declared, "fd00::2/128") && !strcmp(m->running, "(absent)"));
	CHECK(x && !strcmp(x->declared, "(absent)") && !strcmp(x->running, "10.0.0.3/32"));
	snprintf(fix, sizeof(fix), "wg set wg0 peer %s allowed-ips 10.0.0.2/32,fd00::2/128", b64(2));
	CHECK(m && !strcmp(m->fix, fix));
	CHECK(x && !strcmp(x->fix, fix));
	drift_list_free(&l);
	uapi_device_free(d);
	conf_free(c);
}

static void test_endpoint(void)
{
	struct conf *c = hub_conf("", "Endpoint = 192.0.2.1:51820\n");
	struct uapi_device *d;
	struct drift_list l;

	/* Set by hand: never talked, another address. */
	d = running(1, 51820, peer(2, "endpoint=192.0.2.9:51820\n" PEER2));
	l = compare(c, d, 0);
	CHECK(l.n == 1 && count(&l, DRIFT_ENDPOINT) == 1);
	CHECK(l.n == 1 && !strcmp(l.v[0].declared, "192.0.2.1:51820") &&
	      !strcmp(l.v[0].running, "192.0.2.9:51820"));
	drift_list_free(&l);
	uapi_device_free(d);
	/* The same address: none. */
	d = running(1, 51820, peer(2, "endpoint=192.0.2.1:51820\n" PEER2));
	no_drift(c, d);
	/* Roamed: the peer has talked, its packets moved the endpoint. */
	d = running(1, 51820, peer(2, "endpoint=198.51.100.4:40000\nlast_handshake_time_sec=1700000000\n"
				   "rx_bytes=92\n" PEER2));
	no_drift(c, d);
	conf_free(c);
	/* Learned, not configured: none. */
	c = hub_conf("", "");
	d = running(1, 51820, peer(2, "endpoint=198.51.100.4:40000\n" PEER2));
	no_drift(c, d);
	conf_free(c);
}

static struct drift_list with_events(const struct conf *c, const struct uapi_device *dev,
				     const char *const *texts, size_t n)
{
	struct drift_declared d = { .conf = c, .filename = "/etc/wireguard/wg0.conf" };
	struct uapi_event ev[8];
	struct uapi_events events = { .ev = ev, .n = n, .cap = 8 };
	struct drift_list l = { 0 };
	struct error err = { 0 };

	memset(ev, 0, sizeof(ev));
	for (size_t i = 0; i < n && i < 8; i++) {
		ev[i].seq = i + 1;
		ev[i].text = (char *)texts[i];
	}
	CHECK_MSG(!drift_compare_device("wg0", &d, dev, &events, &l, &err), "%s", err.msg);
	return l;
}

/* The event ring tells roaming from a set, also once the peer talked. */
static void test_endpoint_events(void)
{
	struct conf *c = hub_conf("", "Endpoint = 192.0.2.1:51820\n");
	struct uapi_device *d = running(1, 51820, peer(2, "endpoint=192.0.2.9:51820\n"
						       "last_handshake_time_sec=1700000000\n"
						       "rx_bytes=92\n" PEER2));
	char added[128], roamed[160], set[160], other[160], keep[160];
	struct drift_list l;

	snprintf(added, sizeof(added), "event=peer_added peer=%s", b64(2));
	snprintf(roamed, sizeof(roamed), "event=endpoint_changed peer=%s old=192.0.2.1:51820 "
		 "new=192.0.2.9:51820", b64(2));
	snprintf(set, sizeof(set), "event=peer_changed peer=%s changed=allowed_ips,endpoint", b64(2));
	snprintf(keep, sizeof(keep), "event=peer_changed peer=%s changed=persistent_keepalive",
		 b64(2));
	snprintf(other, sizeof(other), "event=peer_changed peer=%s changed=endpoint", b64(3));
	{
		/* Added, then roamed: none, though a set came later for
		 * another peer and for this one's keepalive. */
		const char *t[] = { added, roamed, other, keep };
		l = with_events(c, d, t, 4);
		CHECK_MSG(l.n == 0, "%zu", l.n);
		drift_list_free(&l);
	}
	{
		/* Roamed, then set by hand: drift, though the peer talked. */
		const char *t[] = { added, roamed, set };
		l = with_events(c, d, t, 3);
		CHECK(l.n == 1 && count(&l, DRIFT_ENDPOINT) == 1);
		drift_list_free(&l);
	}
	{
		/* Added with that endpoint and never roamed: drift. */
		const char *t[] = { added, other };
		l = with_events(c, d, t, 2);
		CHECK(l.n == 1 && count(&l, DRIFT_ENDPOINT) == 1);
		drift_list_free(&l);
	}
	{
		/* Nothing about the peer in the ring: its traffic decides. */
		const char *t[] = { other };
		l = with_events(c, d, t, 1);
		CHECK(l.n == 0);
		drift_list_free(&l);
	}
	uapi_device_free(d);
	conf_free(c);
}

static void test_port_and_fwmark(void)
{
	struct conf *c = hub_conf("", "");
	struct conf *noport;
	struct uapi_device *d = running(1, 51821, peer(2, PEER2));
	char text[512];
	struct drift_list l = compare(c, d, 0);
	const struct drift *p = find(&l, DRIFT_LISTEN_PORT);

	CHECK(l.n == 1 && p && !strcmp(p->declared, "51820") && !strcmp(p->running, "51821"));
	CHECK(p && !strcmp(p->fix, "wg set wg0 listen-port 51820"));
	drift_list_free(&l);
	uapi_device_free(d);
	/* No ListenPort: any port is as declared. */
	snprintf(text, sizeof(text), "[Interface]\n[Peer]\nPublicKey = %s\n", b64(0));
	noport = parse_conf(text);
	d = running(1, 43210, peer(0, ""));
	l = compare(noport, d, 0);
	CHECK(l.n == 0);
	drift_list_free(&l);
	uapi_device_free(d);
	/* fwmark: the one up chose for a full tunnel is declared; another
	 * is not. */
	snprintf(text, sizeof(text), "listen_port=1\nfwmark=51820\n%serrno=0\n\n", peer(0, ""));
	d = parse_get(text);
	l = compare(noport, d, 51820);
	CHECK(l.n == 0);
	drift_list_free(&l);
	l = compare(noport, d, 0);
	p = find(&l, DRIFT_FWMARK);
	CHECK(l.n == 1 && p && !strcmp(p->declared, "off") && !strcmp(p->running, "51820"));
	CHECK(p && !strcmp(p->fix, "wg set wg0 fwmark off"));
	drift_list_free(&l);
	uapi_device_free(d);
	conf_free(noport);
	conf_free(c);
}

static void test_private_key(void)
{
	struct conf *c = hub_conf("", "");
	struct uapi_device *d = running(5, 51820, peer(2, PEER2));
	struct drift_list l = compare(c, d, 0);
	const struct drift *k = find(&l, DRIFT_PRIVATE_KEY);
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char want[KEY_B64_LEN + 1];

	CHECK(!crypto_init());
	key(priv, 1);
	CHECK(crypto_x25519_public(pub, priv));
	encoding_key_to_base64(want, pub);
	CHECK(l.n == 1 && k && !strcmp(k->declared, want));
	CHECK(k && strlen(k->running) == KEY_B64_LEN && strcmp(k->running, want));
	CHECK(!leaks(&l, 1) && !leaks(&l, 5));
	drift_list_free(&l);
	uapi_device_free(d);
	/* The same key: none. */
	d = running(1, 51820, peer(2, PEER2));
	no_drift(c, d);
	conf_free(c);
}

static void test_preshared_key(void)
{
	char psk[512];
	struct conf *c;
	struct uapi_device *d;
	struct drift_list l;
	const struct drift *k;

	snprintf(psk, sizeof(psk), "PresharedKey = %s\n", b64(7));
	c = hub_conf("", psk);
	snprintf(psk, sizeof(psk), "preshared_key=%s\n" PEER2, hex(8));
	d = running(1, 51820, peer(2, psk));
	l = compare(c, d, 0);
	k = find(&l, DRIFT_PRESHARED_KEY);
	CHECK(l.n == 1 && k && !strcmp(k->declared, "set (hidden)") &&
	      !strcmp(k->running, "another key (hidden)"));
	CHECK(!leaks(&l, 7) && !leaks(&l, 8));
	drift_list_free(&l);
	uapi_device_free(d);
	/* None running. */
	d = running(1, 51820, peer(2, PEER2));
	l = compare(c, d, 0);
	k = find(&l, DRIFT_PRESHARED_KEY);
	CHECK(l.n == 1 && k && !strcmp(k->running, "none"));
	drift_list_free(&l);
	uapi_device_free(d);
	/* The same: none. */
	snprintf(psk, sizeof(psk), "preshared_key=%s\n" PEER2, hex(7));
	d = running(1, 51820, peer(2, psk));
	no_drift(c, d);
	conf_free(c);
}

static void test_keepalive(void)
{
	struct conf *c = hub_conf("", "");
	struct uapi_device *d = running(1, 51820, peer(2, "allowed_ip=10.0.0.2/32\n"
						       "allowed_ip=fd00::2/128\n"));
	struct drift_list l = compare(c, d, 0);
	const struct drift *k = find(&l, DRIFT_KEEPALIVE);
	char fix[256];

	snprintf(fix, sizeof(fix), "wg set wg0 peer %s persistent-keepalive 25", b64(2));
	CHECK(l.n == 1 && k && !strcmp(k->declared, "25") && !strcmp(k->running, "off"));
	CHECK(k && !strcmp(k->fix, fix));
	drift_list_free(&l);
	uapi_device_free(d);
	conf_free(c);
}

static struct inv_peer inv(unsigned k, enum inv_state st, const char *name, unsigned host)
{
	struct inv_peer p;

	memset(&p, 0, sizeof(p));
	key(p.public_key, k);
	p.state = st;
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.iface, sizeof(p.iface), "wg0");
	p.addrs[0].addr.family = AF_INET;
	p.addrs[0].addr.in4.s_addr = htonl(0x0a000000u | host);
	p.addrs[0].cidr = 32;
	p.n_addrs = 1;
	return p;
}

static void test_inventory(void)
{
	/* The file's peer (key 2) is not what runs: the inventory is. */
	struct conf *c = hub_conf("", "");
	struct inv_peer peers[3] = {
		inv(3, INV_ACTIVE, "alice", 3),
		inv(4, INV_DISABLED, "bob", 4),
		inv(6, INV_ACTIVE, "carol", 6),
	};
	struct drift_declared dd = { .conf = c, .filename = "/etc/wireguard/wg0.conf",
				     .inventory = true, .inv_peers = peers, .n_inv = 3 };
	char text[4096];
	struct uapi_device *d;
	struct drift_list l = { 0 };
	struct error err = { 0 };
	const struct drift *x, *m;

	snprintf(text, sizeof(text), "%s%s", peer(3, "allowed_ip=10.0.0.3/32\n"),
		 peer(4, "allowed_ip=10.0.0.4/32\n"));
	d = running(1, 51820, text);
	CHECK(!drift_compare_device("wg0", &dd, d, NULL, &l, &err));
	x = find(&l, DRIFT_PEER_EXTRA);
	m = find(&l, DRIFT_PEER_MISSING);
	CHECK_MSG(l.n == 2, "%zu differences", l.n);
	CHECK(x && !strcmp(x->peer_name, "bob") && !strcmp(x->fix, "rampart peer apply -i wg0"));
	CHECK(m && !strcmp(m->peer_name, "carol") && !strcmp(m->peer, b64(6)));
	drift_list_free(&l);
	uapi_device_free(d);
	/* alice right, carol there, with an extra prefix: one difference. */
	snprintf(text, sizeof(text), "%s%s", peer(3, "allowed_ip=10.0.0.3/32\n"),
		 peer(6, "allowed_ip=10.0.0.6/32\nallowed_ip=10.0.0.66/32\n"));
	d = running(1, 51820, text);
	CHECK(!drift_compare_device("wg0", &dd, d, NULL, &l, &err));
	x = find(&l, DRIFT_ALLOWED_IP_EXTRA);
	CHECK_MSG(l.n == 1, "%zu differences", l.n);
	CHECK(x && !strcmp(x->running, "10.0.0.66/32") && !strcmp(x->peer_name, "carol") &&
	      !strcmp(x->fix, "rampart peer apply -i wg0"));
	drift_list_free(&l);
	/* carol's keepalive in the inventory. */
	peers[2].keepalive = 25;
	CHECK(!drift_compare_device("wg0", &dd, d, NULL, &l, &err));
	CHECK(l.n == 2 && count(&l, DRIFT_KEEPALIVE) == 1);
	drift_list_free(&l);
	uapi_device_free(d);
	conf_free(c);
}

/* ---- listings ------------------------------------------------------------ */

static const char listing[] =
	"table inet rampart-wg0 {\n"
	"\tset handshake4 {\n\t\ttype ipv4_addr\n\t\tsize 65536\n\t\tflags dynamic,timeout\n"
	"\t\ttimeout 1m\n\t}\n\n"
	"\tset peers4 {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.2 }\n\t}\n\n"
	"\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\tiif \"lo\" accept\n\t\tudp dport 51820 accept\n\t\tcounter comment \"dropped\"\n\t}\n\n"
	"\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
	"\t\tct state established,related accept\n\t}\n}\n";

static char *edit(const char *from, const char *to)
{
	const char *at = strstr(listing, from);
	size_t n = strlen(listing) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	CHECK(at != NULL);
	if (!s || !at)
		return NULL;
	snprintf(s, n, "%.*s%s%s", (int)(at - listing), listing, to, at + strlen(from));
	return s;
}

static struct drift_list listings(const char *a, bool ae, const char *b, bool be)
{
	struct drift_list l = { 0 };
	struct error err = { 0 };

	CHECK(!drift_compare_listings(a, ae, b, be, "rampart firewall apply wg0", &l, &err));
	return l;
}

static void test_listings(void)
{
	char *extra = edit("\t\tcounter comment", "\t\ttcp dport 8080 accept\n\t\tcounter comment");
	char *dyn = edit("\t\ttimeout 1m\n", "\t\ttimeout 1m\n\t\telements = { 192.0.2.7 limit rate over 20/second,\n"
			 "\t\t\t     192.0.2.8 limit rate over 20/second }\n");
	char *stat = edit("elements = { 10.0.0.2 }", "elements = { 10.0.0.2, 10.0.0.9 }");
	char *order = edit("\t\tiif \"lo\" accept\n\t\tudp dport 51820 accept\n",
			   "\t\tudp dport 51820 accept\n\t\tiif \"lo\" accept\n");
	char *other = edit("\t\tct state established", "\t\tudp dport 51820 accept\n\t\tct state established");
	struct drift_list l;

	l = listings(listing, true, listing, true);
	CHECK(l.n == 0);
	drift_list_free(&l);
	l = listings(listing, true, extra, true);
	CHECK(l.n == 1 && !strcmp(l.v[0].what, "chain input") &&
	      !strcmp(l.v[0].declared, "(absent)") && !strcmp(l.v[0].running, "tcp dport 8080 accept") &&
	      !strcmp(l.v[0].fix, "rampart firewall apply wg0"));
	drift_list_free(&l);
	/* A meter's elements are state. */
	l = listings(listing, true, dyn, true);
	CHECK_MSG(l.n == 0, "%zu: %s", l.n, l.n ? l.v[0].running : "");
	drift_list_free(&l);
	/* A static set's elements are declared. */
	l = listings(listing, true, stat, true);
	CHECK(l.n == 2 && !strcmp(l.v[0].what, "set peers4"));
	drift_list_free(&l);
	/* Order matters in a chain. */
	l = listings(listing, true, order, true);
	CHECK(l.n == 2);
	drift_list_free(&l);
	/* The same rule in another chain is named by that chain. */
	l = listings(listing, true, other, true);
	CHECK(l.n == 1 && !strcmp(l.v[0].what, "chain forward"));
	drift_list_free(&l);
	/* Whole tables. */
	l = listings(listing, true, "", false);
	CHECK(l.n == 1 && !strcmp(l.v[0].declared, "present") && !strcmp(l.v[0].running, "(absent)"));
	drift_list_free(&l);
	l = listings("", false, listing, true);
	CHECK(l.n == 1 && !strcmp(l.v[0].declared, "(absent)"));
	drift_list_free(&l);
	l = listings("", false, "", false);
	CHECK(l.n == 0);
	drift_list_free(&l);
	free(extra);
	free(dyn);
	free(stat);
	free(order);
	free(other);
}

/* Too many differing lines for the ordered comparison's table: the
 * lines are compared as multisets, and every one is still reported. */
static void test_listings_large(void)
{
	enum { N = 2100 };
	struct textbuf a = { 0 }, b = { 0 };
	struct drift_list l;
	size_t absent = 0;

	textbuf_printf(&a, "table inet rampart-wg0 {\n\tchain input {\n");
	textbuf_printf(&b, "table inet rampart-wg0 {\n\tchain input {\n");
	for (int i = 0; i < N; i++) {
		textbuf_printf(&a, "\t\ttcp dport %d accept\n", 1000 + i);
		textbuf_printf(&b, "\t\tudp dport %d accept\n", 1000 + i);
	}
	/* One line both have, which must not be reported. */
	textbuf_printf(&a, "\t\tiif \"lo\" accept\n\t}\n}\n");
	textbuf_printf(&b, "\t\tiif \"lo\" accept\n\t}\n}\n");
	CHECK(!a.err && !b.err);
	l = listings(a.buf, true, b.buf, true);
	for (size_t i = 0; i < l.n; i++)
		absent += !strcmp(l.v[i].running, "(absent)");
	CHECK_MSG(l.n == 2 * N, "%zu", l.n);
	CHECK(absent == N);
	for (size_t i = 0; i < l.n; i++)
		CHECK(strcmp(l.v[i].declared, "iif \"lo\" accept") && strcmp(l.v[i].running, "iif \"lo\" accept"));
	drift_list_free(&l);
	textbuf_wipe(&a);
	textbuf_wipe(&b);
}

static void test_sysctl_report(void)
{
	const char report[] =
		"sysctls (role hub):\n"
		"  net.ipv4.ip_forward                           want 1   is 1   ok\n"
		"  net.ipv4.conf.all.send_redirects              want 0   is 1   differs\n"
		"  net.ipv4.conf.wg0.rp_filter                   want 1   is -   missing\n"
		"  net.ipv6.conf.all.forwarding                  want 1   is -   absent\n";
	struct drift_list l = { 0 };
	struct error err = { 0 };

	CHECK(!drift_parse_sysctl_report(report, "wg0", "/etc/wireguard/wg0.conf", &l, &err));
	CHECK(l.n == 2);
	CHECK(l.n == 2 && !strcmp(l.v[0].what, "net.ipv4.conf.all.send_redirects") &&
	      !strcmp(l.v[0].declared, "0") && !strcmp(l.v[0].running, "1") &&
	      !strcmp(l.v[0].fix, "sysctl -w net.ipv4.conf.all.send_redirects=0"));
	CHECK(l.n == 2 && !strcmp(l.v[1].running, "(absent)") &&
	      !strcmp(l.v[1].fix, "rampart firewall apply wg0"));
	drift_list_free(&l);
	CHECK(!drift_parse_sysctl_report("sysctls: none (Policy = off)\n", "wg0", NULL, &l, &err));
	CHECK(l.n == 0);
	CHECK(drift_parse_sysctl_report("  net.ipv4.ip_forward want\n", "wg0", NULL, &l, &err) ==
	      -EINVAL);
	CHECK(strstr(err.msg, "line 1") != NULL);
	drift_list_free(&l);
}

static void test_kind_names(void)
{
	CHECK_STR(drift_kind_name(DRIFT_PEER_MISSING), "peer_missing");
	CHECK_STR(drift_kind_name(DRIFT_ALLOWED_IP_EXTRA), "allowed_ip_extra");
	CHECK_STR(drift_kind_name(DRIFT_NFT_TABLE), "nft_table");
	CHECK_STR(drift_kind_name(DRIFT_SYSCTL), "sysctl");
	CHECK_STR(drift_kind_name(DRIFT_KIND_COUNT), "unknown");
}

static const struct harness_case cases[] = {
	{ "clean: the same device is no drift", test_clean },
	{ "allowed IPs: host bits and order are no drift", test_host_bits_and_order },
	{ "peers: missing and extra", test_peers },
	{ "allowed IPs: missing and extra", test_allowed_ips },
	{ "endpoint: set by hand, not roamed, not learned", test_endpoint },
	{ "endpoint: the event ring tells roaming from a set", test_endpoint_events },
	{ "listen port and fwmark", test_port_and_fwmark },
	{ "private key: shown as public keys", test_private_key },
	{ "preshared key: never shown", test_preshared_key },
	{ "keepalive", test_keepalive },
	{ "inventory: the plan's peers", test_inventory },
	{ "nft listings", test_listings },
	{ "nft listings past the ordered comparison's bound", test_listings_large },
	{ "sysctl report", test_sysctl_report },
	{ "kind names", test_kind_names },
};

HARNESS_MAIN(cases)
