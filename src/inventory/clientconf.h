/* The client's side of an inventory peer: the wg-quick configuration a
 * client (a laptop with wg-quick, a phone's WireGuard app) brings up to
 * reach the hub.  A pure renderer from the records to text, tested with
 * golden files and read back by the project's own parser
 * (docs/inventory-config.md). */
#ifndef RAMPART_INVENTORY_CLIENTCONF_H
#define RAMPART_INVENTORY_CLIENTCONF_H

#include "common/compiler.h"

struct error;
struct inv_interface;
struct inv_peer;
struct textbuf;

enum {
	/* The keepalive `peer add` should record for a client unless told
	 * otherwise: a client behind NAT must send something more often
	 * than its NAT forgets the mapping (30 s and up on common routers;
	 * wg(8)'s manual suggests 25), or the hub cannot reach it. */
	INV_CLIENT_KEEPALIVE_DEFAULT = 25,
};

/* Appends p's client config for interface ifc to o:
 *
 *   [Interface]
 *   PrivateKey = private_key_b64      (or, when it is NULL, the comment
 *                                      "# PrivateKey = (your own key: rampart
 *                                      peer request kept it in NAME.key)")
 *   Address = p's addresses
 *   DNS = ifc's DNS servers           (when it has some)
 *   [Peer]
 *   PublicKey = the hub's
 *   PresharedKey = p's                (when it has one)
 *   Endpoint = ifc's endpoint
 *   AllowedIPs = ifc's pools (split tunnel: the hub's networks and
 *                nothing else), or 0.0.0.0/0, ::/0 when p->full_tunnel
 *   PersistentKeepalive = p's         (when it is not 0)
 *
 * Returns 0, or -EINVAL with err naming what is missing or wrong (no
 * endpoint or hub public key recorded by `peer init`, a peer without an
 * address, a split tunnel without pools, a private key that is not one:
 * shown "(hidden)"), or o's error (-ENOMEM).  o holds the private key:
 * textbuf_wipe() it.  No I/O. */
int inv_client_config(struct textbuf *o, const struct inv_interface *ifc, const struct inv_peer *p,
		      const char *private_key_b64, struct error *err) warn_unused;

#endif
