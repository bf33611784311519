/* The peers checks of seed 000 and seed 002's checklists: AllowedIPs
 * least privilege (no two peers claiming the same addresses, no full
 * tunnel route for a peer of a hub), a preshared key per peer and
 * keepalive only where it is needed. */
#include "audit.h"

#include "common/encoding.h"
#include "conf/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SEED_OVERLAP "seed 002: /32 per client, one owner per route"
#define SEED_WIDE "seed 000: AllowedIPs least privilege"
#define SEED_PSK "seed 000: a preshared key per peer"
#define SEED_KEEPALIVE "seed 000: keepalive where needed"

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

/* Two prefixes share an address when the shorter contains the longer;
 * host bits written in the config do not count, as the kernel masks them. */
static bool overlap(const struct netaddr_prefix *a, const struct netaddr_prefix *b)
{
	struct netaddr_prefix x = *a, y = *b;

	netaddr_prefix_mask(&x);
	netaddr_prefix_mask(&y);
	return netaddr_prefix_contains(&x, &y) || netaddr_prefix_contains(&y, &x);
}

static int overlap_pair(const struct audit_iface *ifc, const struct conf_peer *p,
			const struct conf_peer *q, struct audit_list *out,
			struct error *err)
{
	char la[KEY_B64_LEN + 1], lb[KEY_B64_LEN + 1];
	char pa[NETADDR_PREFIX_STRLEN], pb[NETADDR_PREFIX_STRLEN];

	for (size_t i = 0; i < p->n_allowed_ips; i++) {
		for (size_t j = 0; j < q->n_allowed_ips; j++) {
			const struct conf_prefix *x = &p->allowed_ips[i], *y = &q->allowed_ips[j];
			struct audit_finding *a;

			if (!overlap(&x->prefix, &y->prefix))
				continue;
			a = audit_add(out, "peers.allowed_ips_overlap", AUDIT_WARNING, SEED_OVERLAP);
			if (!a)
				return nomem(err);
			netaddr_format_prefix(pa, &x->prefix);
			netaddr_format_prefix(pb, &y->prefix);
			snprintf(a->message, sizeof(a->message),
				 "%s: peers %s and %s claim overlapping AllowedIPs (%s, %s)",
				 ifc->name, audit_peer_label(p, la), audit_peer_label(q, lb), pa, pb);
			snprintf(a->evidence, sizeof(a->evidence), "%s:%u AllowedIPs %s; %s:%u AllowedIPs %s",
				 ifc->path, x->line, pa, ifc->path, y->line, pb);
			snprintf(a->fix, sizeof(a->fix),
				 "give each peer its own addresses: remove %s from one of the two in %s",
				 pb, ifc->path);
			/* One finding per pair of peers is enough to act on. */
			return 0;
		}
	}
	return 0;
}

int audit_peers_allowed_ips_overlap(struct audit_facts *f, const struct audit_iface *ifs,
				    size_t n, struct audit_list *out, struct error *err)
{
	(void)f;
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && i < c->n_peers; i++) {
			for (size_t j = i + 1; j < c->n_peers; j++) {
				int ret = overlap_pair(&ifs[k], &c->peers[i], &c->peers[j], out, err);

				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

int audit_peers_no_psk(struct audit_facts *f, const struct audit_iface *ifs,
		       size_t n, struct audit_list *out, struct error *err)
{
	char l[KEY_B64_LEN + 1];

	(void)f;
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && i < c->n_peers; i++) {
			const struct conf_peer *p = &c->peers[i];
			struct audit_finding *a;

			if (p->has_preshared_key)
				continue;
			a = audit_add(out, "peers.no_psk", AUDIT_INFO, SEED_PSK);
			if (!a)
				return nomem(err);
			snprintf(a->message, sizeof(a->message), "%s: peer %s has no PresharedKey",
				 ifs[k].name, audit_peer_label(p, l));
			snprintf(a->evidence, sizeof(a->evidence), "%s:%u [Peer] without PresharedKey",
				 ifs[k].path, p->line);
			snprintf(a->fix, sizeof(a->fix),
				 "PresharedKey = $(rampart genpsk), in this peer's section on both ends");
		}
	}
	return 0;
}

int audit_peers_wide_route_on_hub(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err)
{
	char l[KEY_B64_LEN + 1], pfx[NETADDR_PREFIX_STRLEN];

	(void)f;
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && audit_is_hub(c) && i < c->n_peers; i++) {
			const struct conf_peer *p = &c->peers[i];

			for (size_t j = 0; j < p->n_allowed_ips; j++) {
				const struct conf_prefix *x = &p->allowed_ips[j];
				struct audit_finding *a;

				if (x->prefix.cidr != 0)
					continue;
				a = audit_add(out, "peers.wide_route_on_hub", AUDIT_WARNING, SEED_WIDE);
				if (!a)
					return nomem(err);
				netaddr_format_prefix(pfx, &x->prefix);
				snprintf(a->message, sizeof(a->message),
					 "%s: hub peer %s routes %s: every address it does not know goes to it",
					 ifs[k].name, audit_peer_label(p, l), pfx);
				snprintf(a->evidence, sizeof(a->evidence),
					 "%s:%u AllowedIPs %s on a hub (ListenPort, %zu peers)",
					 ifs[k].path, x->line, pfx, c->n_peers);
				snprintf(a->fix, sizeof(a->fix),
					 "AllowedIPs = the peer's tunnel address/32 (and /128) in %s",
					 ifs[k].path);
			}
		}
	}
	return 0;
}

/* seed 000: keepalive where needed: behind NAT, on the side that initiates.
 * A hub does not know where a road warrior is (no Endpoint), so a
 * keepalive it sets keeps no mapping open that the client's would not. */
int audit_peers_keepalive_on_hub(struct audit_facts *f, const struct audit_iface *ifs,
				 size_t n, struct audit_list *out, struct error *err)
{
	char l[KEY_B64_LEN + 1];

	(void)f;
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && audit_is_hub(c) && i < c->n_peers; i++) {
			const struct conf_peer *p = &c->peers[i];
			struct audit_finding *a;

			if (!p->keepalive || p->has_endpoint)
				continue;
			a = audit_add(out, "peers.keepalive_on_hub", AUDIT_INFO, SEED_KEEPALIVE);
			if (!a)
				return nomem(err);
			snprintf(a->message, sizeof(a->message),
				 "%s: hub peer %s without an Endpoint has PersistentKeepalive = %u",
				 ifs[k].name, audit_peer_label(p, l), (unsigned)p->keepalive);
			snprintf(a->evidence, sizeof(a->evidence),
				 "%s:%u PersistentKeepalive = %u, no Endpoint, on a hub (ListenPort, %zu peers)",
				 ifs[k].path, p->keepalive_line, (unsigned)p->keepalive, c->n_peers);
			snprintf(a->fix, sizeof(a->fix),
				 "remove PersistentKeepalive from this peer in %s; set it on the client behind NAT",
				 ifs[k].path);
		}
	}
	return 0;
}
