/* src/inventory/clientconf.c: client configs for split and full tunnels,
 * with and without a preshared key and a private key, IPv4 only and dual
 * stack, byte for byte against tests/golden/inventory/ (regenerate with
 * RAMPART_UPDATE_GOLDEN=1 after a change meant to show); each read back
 * by the project's own wg-quick parser to the records it came from; and
 * what is missing refused with nothing written. */
#include "harness.h"

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "inventory/clientconf.h"
#include "inventory/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HUB_KEY "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define PSK "//////////////////////////////////////////8="
#define PRIV "YEocP4Ew8YNhRDIudpi4p4gPbdyxJxrHdEFFHwv0gWs="

static void prefix(struct netaddr_prefix *out, const char *s)
{
	const char *why;

	CHECK_MSG(netaddr_parse_prefix(out, s, &why), "%s: %s", s, why);
}

static void ip(struct netaddr *out, const char *s)
{
	const char *why;

	CHECK_MSG(netaddr_parse_ip(out, s, &why), "%s: %s", s, why);
}

/* The hub: wg0 at vpn.example.com:51820 with an IPv4 pool, or with an
 * IPv6 one too (and a second DNS server). */
static void hub(struct inv_interface *ifc, bool dual)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "wg0");
	snprintf(ifc->endpoint, sizeof(ifc->endpoint), "vpn.example.com:51820");
	ifc->has_public_key = true;
	CHECK(encoding_key_from_base64(ifc->public_key, HUB_KEY));
	prefix(&ifc->pools[ifc->n_pools++], "10.8.0.0/24");
	ip(&ifc->dns[ifc->n_dns++], "10.8.0.1");
	if (dual) {
		prefix(&ifc->pools[ifc->n_pools++], "fd42:42::/64");
		ip(&ifc->dns[ifc->n_dns++], "fd42:42::1");
	}
}

static void client(struct inv_peer *p, bool dual, bool psk, bool full)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->iface, sizeof(p->iface), "wg0");
	snprintf(p->name, sizeof(p->name), "alice-laptop");
	prefix(&p->addrs[p->n_addrs++], "10.8.0.2/32");
	if (dual)
		prefix(&p->addrs[p->n_addrs++], "fd42:42::2/128");
	if (psk) {
		p->has_psk = true;
		CHECK(encoding_key_from_base64(p->psk, PSK));
	}
	p->full_tunnel = full;
	p->keepalive = INV_CLIENT_KEEPALIVE_DEFAULT;
	p->state = INV_ACTIVE;
}

/* Renders, compares with the golden file, and reads it back. */
static void check_golden(const struct inv_interface *ifc, const struct inv_peer *p,
			 const char *priv, const char *golden)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };
	size_t len;
	char *want = harness_slurp(golden, &len);

	CHECK_MSG(!inv_client_config(&o, ifc, p, priv, &err), "%s", err.msg);
	CHECK(!o.err && o.buf);
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

/* Each variant: the hub and the client as hub() and client() make them,
 * the private key given, the golden file. */
static const struct variant {
	bool dual, psk, full;
	uint16_t keepalive;
	const char *priv;
	const char *golden;
} variants[] = {
	{ false, false, false, INV_CLIENT_KEEPALIVE_DEFAULT, NULL, "split-ipv4.conf" },
	{ false, false, false, 0, NULL, "split-ipv4-nokeepalive.conf" },
	{ true, true, false, INV_CLIENT_KEEPALIVE_DEFAULT, NULL, "split-dual-psk.conf" },
	{ false, false, true, INV_CLIENT_KEEPALIVE_DEFAULT, NULL, "full-ipv4.conf" },
	/* As `add --generate` prints it: with the client's private key. */
	{ true, true, true, INV_CLIENT_KEEPALIVE_DEFAULT, PRIV, "full-dual-psk-key.conf" },
};

static void test_golden(void)
{
	struct inv_interface ifc;
	struct inv_peer p;
	char path[128];

	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct variant *v = &variants[i];

		hub(&ifc, v->dual);
		client(&p, v->dual, v->psk, v->full);
		p.keepalive = v->keepalive;
		snprintf(path, sizeof(path), "tests/golden/inventory/%s", v->golden);
		check_golden(&ifc, &p, v->priv, path);
	}
}

/* A pool written with host bits routes its network. */
static void test_pool_masked(void)
{
	struct inv_interface ifc;
	struct inv_peer p;
	struct textbuf o = { 0 };
	struct error err = { 0 };

	hub(&ifc, false);
	prefix(&ifc.pools[0], "10.8.0.1/24");
	client(&p, false, false, false);
	CHECK(!inv_client_config(&o, &ifc, &p, NULL, &err));
	CHECK(o.buf && strstr(o.buf, "\nAllowedIPs = 10.8.0.0/24\n"));
	textbuf_wipe(&o);
}

/* Renders and expects -EINVAL with a message containing what, and o
 * left untouched. */
static void refused(const struct inv_interface *ifc, const struct inv_peer *p, const char *priv,
		    const char *what)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };

	textbuf_printf(&o, "before\n");
	CHECK(inv_client_config(&o, ifc, p, priv, &err) == -EINVAL);
	CHECK(err.code == -EINVAL);
	CHECK_MSG(strstr(err.msg, what), "\"%s\" not in \"%s\"", what, err.msg);
	CHECK_STR(o.buf, "before\n");
	textbuf_wipe(&o);
}

static void test_refused(void)
{
	struct inv_interface ifc;
	struct inv_peer p;

	hub(&ifc, false);
	client(&p, false, false, false);
	ifc.endpoint[0] = '\0';
	refused(&ifc, &p, NULL, "no endpoint");
	snprintf(ifc.endpoint, sizeof(ifc.endpoint), "vpn.example.com");
	refused(&ifc, &p, NULL, "invalid endpoint");
	snprintf(ifc.endpoint, sizeof(ifc.endpoint), "vpn.example.com:51820\nPostUp = x");
	refused(&ifc, &p, NULL, "(unprintable)");

	hub(&ifc, false);
	ifc.has_public_key = false;
	refused(&ifc, &p, NULL, "no public key of the hub");

	hub(&ifc, false);
	p.n_addrs = 0;
	refused(&ifc, &p, NULL, "has no address");

	client(&p, false, false, false);
	ifc.n_pools = 0;
	refused(&ifc, &p, NULL, "no address pools");
	p.full_tunnel = true; /* needs none */
	{
		struct textbuf o = { 0 };
		struct error err = { 0 };

		CHECK(!inv_client_config(&o, &ifc, &p, NULL, &err));
		textbuf_wipe(&o);
	}

	hub(&ifc, false);
	client(&p, false, false, false);
	snprintf(p.name, sizeof(p.name), "a\nb");
	refused(&ifc, &p, NULL, "printable name");

	client(&p, false, false, false);
	{
		struct textbuf o = { 0 };
		struct error err = { 0 };

		CHECK(inv_client_config(&o, &ifc, &p, "not a key", &err) == -EINVAL);
		CHECK_STR(err.value, "(hidden)");
		CHECK(!strstr(err.msg, "not a key"));
		CHECK(!o.buf || !o.len);
		textbuf_wipe(&o);
	}
}

static bool has_prefix(const struct conf_prefix *v, size_t n, const struct netaddr_prefix *want)
{
	for (size_t i = 0; i < n; i++) {
		if (netaddr_prefix_equal(&v[i].prefix, want))
			return true;
	}
	return false;
}

/* Parses what the renderer wrote and finds the records in it. */
static void round_trip(bool dual, bool psk, bool full, const char *priv)
{
	struct inv_interface ifc;
	struct inv_peer p;
	struct textbuf o = { 0 };
	struct error err = { 0 };
	struct conf *c = NULL;
	struct netaddr_prefix any4, any6;
	uint8_t key[KEY_LEN];

	hub(&ifc, dual);
	client(&p, dual, psk, full);
	CHECK(!inv_client_config(&o, &ifc, &p, priv, &err));
	CHECK_MSG(!wgconf_parse(o.buf, o.len, "client.conf", &c, &err), "%s", err.msg);
	textbuf_wipe(&o);
	if (!c)
		return;
	CHECK(c->has_private_key == !!priv);
	if (priv) {
		CHECK(encoding_key_from_base64(key, priv));
		CHECK_MEM(c->private_key, key, KEY_LEN);
	}
	CHECK(c->n_addresses == p.n_addrs);
	for (size_t i = 0; i < p.n_addrs; i++)
		CHECK(has_prefix(c->addresses, c->n_addresses, &p.addrs[i]));
	CHECK(c->n_dns == ifc.n_dns);
	for (size_t i = 0; i < c->n_dns && i < ifc.n_dns; i++)
		CHECK(c->dns[i].kind == CONF_DNS_SERVER && netaddr_equal(&c->dns[i].server, &ifc.dns[i]));
	CHECK(c->n_peers == 1);
	if (c->n_peers != 1)
		goto out;
	CHECK(c->peers[0].has_public_key);
	CHECK_MEM(c->peers[0].public_key, ifc.public_key, KEY_LEN);
	CHECK(c->peers[0].has_preshared_key == psk);
	if (psk)
		CHECK_MEM(c->peers[0].preshared_key, p.psk, KEY_LEN);
	CHECK(c->peers[0].has_endpoint && !c->peers[0].endpoint.literal);
	CHECK_STR(c->peers[0].endpoint.host, "vpn.example.com");
	CHECK(c->peers[0].endpoint.port == 51820);
	CHECK(c->peers[0].has_keepalive && c->peers[0].keepalive == INV_CLIENT_KEEPALIVE_DEFAULT);
	if (full) {
		prefix(&any4, "0.0.0.0/0");
		prefix(&any6, "::/0");
		CHECK(c->peers[0].n_allowed_ips == 2);
		CHECK(has_prefix(c->peers[0].allowed_ips, c->peers[0].n_allowed_ips, &any4));
		CHECK(has_prefix(c->peers[0].allowed_ips, c->peers[0].n_allowed_ips, &any6));
	} else {
		CHECK(c->peers[0].n_allowed_ips == ifc.n_pools);
		for (size_t i = 0; i < ifc.n_pools; i++)
			CHECK(has_prefix(c->peers[0].allowed_ips, c->peers[0].n_allowed_ips,
					 &ifc.pools[i]));
	}
out:
	conf_free(c);
}

static void test_round_trip(void)
{
	for (unsigned m = 0; m < 16; m++)
		round_trip(m & 1, m & 2, m & 4, m & 8 ? PRIV : NULL);
}

static const struct harness_case cases[] = {
	{ "split and full tunnel, IPv4 and dual stack, keys or not: golden", test_golden },
	{ "a pool with host bits routes its network", test_pool_masked },
	{ "what is missing is refused and nothing written", test_refused },
	{ "every variant parses back to its records (wgconf)", test_round_trip },
};

HARNESS_MAIN(cases)
