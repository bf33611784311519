/* The client config renderer.  Every check comes before the first byte
 * is written, so that on an error o is as it was. */
#include "clientconf.h"

#include "model.h"

#include "common/encoding.h"
#include "common/error.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* True when s is one line of printable text: written into the file, a
 * newline would start a key of its own. */
static bool one_line(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

static int check(const struct inv_interface *ifc, const struct inv_peer *p,
		 const char *private_key_b64, struct error *err)
{
	struct netaddr_endpoint ep;
	uint8_t key[KEY_LEN];
	const char *why;
	bool ok;

	if (!ifc->endpoint[0])
		return error_fail(err, -EINVAL, "%s: no endpoint (rampart peer init --endpoint HOST:PORT sets it)",
				  ifc->name);
	if (!netaddr_parse_endpoint(&ep, ifc->endpoint, &why))
		return error_fail(err, -EINVAL, "%s: invalid endpoint \"%s\": %s", ifc->name,
				  one_line(ifc->endpoint) ? ifc->endpoint : "(unprintable)", why);
	if (!ifc->has_public_key)
		return error_fail(err, -EINVAL, "%s: no public key of the hub recorded", ifc->name);
	if (!one_line(p->name) || !p->name[0])
		return error_fail(err, -EINVAL, "%s: a peer without a printable name", ifc->name);
	if (!p->n_addrs || p->n_addrs > INV_ADDRS_MAX)
		return error_fail(err, -EINVAL, "%s: peer %s has no address", ifc->name, p->name);
	if (!p->full_tunnel && (!ifc->n_pools || ifc->n_pools > INV_POOLS_MAX))
		return error_fail(err, -EINVAL,
				  "%s: no address pools for peer %s's split tunnel (rampart peer init --pool CIDR)",
				  ifc->name, p->name);
	if (ifc->n_dns > INV_DNS_MAX)
		return error_fail(err, -EINVAL, "%s: too many DNS servers", ifc->name);
	if (private_key_b64) {
		ok = strlen(private_key_b64) == KEY_B64_LEN &&
		     encoding_key_from_base64(key, private_key_b64);
		crypto_wipe(key, sizeof(key));
		if (!ok) {
			error_fail(err, -EINVAL, "invalid private key: not 44 characters of base64");
			if (err)
				snprintf(err->value, sizeof(err->value), "(hidden)");
			return -EINVAL;
		}
	}
	return 0;
}

static void prefixes(struct textbuf *o, const char *key, const struct netaddr_prefix *v, size_t n,
		     bool mask)
{
	char buf[NETADDR_PREFIX_STRLEN];
	struct netaddr_prefix p;

	textbuf_printf(o, "%s = ", key);
	for (size_t i = 0; i < n; i++) {
		p = v[i];
		/* A pool written with host bits (10.0.0.1/24) is the network
		 * 10.0.0.0/24 to the client's routes. */
		if (mask)
			netaddr_prefix_mask(&p);
		textbuf_printf(o, "%s%s", i ? ", " : "", netaddr_format_prefix(buf, &p));
	}
	textbuf_printf(o, "\n");
}

static void interface(struct textbuf *o, const struct inv_interface *ifc,
		      const struct inv_peer *p, const char *private_key_b64)
{
	char ip[NETADDR_IP_STRLEN];

	textbuf_printf(o, "[Interface]\n");
	if (private_key_b64)
		textbuf_printf(o, "PrivateKey = %s\n", private_key_b64);
	else
		textbuf_printf(o, "# PrivateKey = (your own key: rampart peer request kept it in %s.key)\n",
			       p->name);
	prefixes(o, "Address", p->addrs, p->n_addrs, false);
	if (ifc->n_dns) {
		textbuf_printf(o, "DNS = ");
		for (size_t i = 0; i < ifc->n_dns; i++)
			textbuf_printf(o, "%s%s", i ? ", " : "", netaddr_format_ip(ip, &ifc->dns[i]));
		textbuf_printf(o, "\n");
	}
}

static void hub(struct textbuf *o, const struct inv_interface *ifc, const struct inv_peer *p)
{
	char b64[KEY_B64_LEN + 1];

	textbuf_printf(o, "\n[Peer]\n");
	encoding_key_to_base64(b64, ifc->public_key);
	textbuf_printf(o, "PublicKey = %s\n", b64);
	if (p->has_psk) {
		encoding_key_to_base64(b64, p->psk);
		textbuf_printf(o, "PresharedKey = %s\n", b64);
	}
	crypto_wipe(b64, sizeof(b64));
	textbuf_printf(o, "Endpoint = %s\n", ifc->endpoint);
	if (p->full_tunnel)
		textbuf_printf(o, "AllowedIPs = 0.0.0.0/0, ::/0\n");
	else
		prefixes(o, "AllowedIPs", ifc->pools, ifc->n_pools, true);
	if (p->keepalive)
		textbuf_printf(o, "PersistentKeepalive = %u\n", (unsigned)p->keepalive);
}

int inv_client_config(struct textbuf *o, const struct inv_interface *ifc, const struct inv_peer *p,
		      const char *private_key_b64, struct error *err)
{
	int ret = check(ifc, p, private_key_b64, err);

	if (ret)
		return ret;
	interface(o, ifc, p, private_key_b64);
	hub(o, ifc, p);
	if (o->err)
		return error_fail(err, o->err, "cannot render the client config: %s", strerror(-o->err));
	return 0;
}
