/* The hardening policy of one interface: the field parsers of the
 * Rampart-only keys ([Interface] Policy, the [Policy] section, [Peer]
 * Forward and Egress), and policy_resolve(), which turns what a config
 * file says into the complete policy: every default filled in, the role
 * inferred when the file does not name it, and the combinations that make
 * no sense refused with the file's line and value.
 *
 * Pure: no I/O.  The facts that only the running host knows (the WAN
 * interface, the SSH session, the peers' resolved endpoints) are gathered
 * by the caller and handed to the renderer (nftpolicy.h) separately.
 * docs/firewall.md describes every key and every rule. */
#ifndef RAMPART_FIREWALL_POLICY_H
#define RAMPART_FIREWALL_POLICY_H

#include "common/compiler.h"
#include "common/error.h"
#include "conf/config.h"
#include "policykeys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct error;

enum {
	POLICY_SSH_PORT_DEFAULT = 22,
	/* New SSH connections per source and minute before the brute-force
	 * limit drops them (seed 001's "recent --hitcount 10 --seconds 60"). */
	POLICY_SSH_LIMIT_DEFAULT = 10,
	/* Handshake initiations per source and second.  A peer sends one
	 * every REKEY_TIMEOUT (5 s) while it waits, and a roaming fleet
	 * behind one NAT shares a source: 20/s with a burst of 40 leaves room
	 * for both and still cuts a flood to a trickle. */
	POLICY_HANDSHAKE_LIMIT_DEFAULT = 20,
	POLICY_HANDSHAKE_BURST_DEFAULT = 40,
	/* Drop log lines per minute (seed 001: "--limit 5/min"). */
	POLICY_LOG_RATE_DEFAULT = 5,
};

/* --- the resolved policy -------------------------------------------------- */

/* A peer's part of the policy: its own addresses (AllowedIPs, the sources
 * it may use) and what it may reach. */
struct policy_peer {
	const struct conf_peer *peer; /* in the conf given to policy_resolve() */
	bool egress;
};

/* Every setting with its default applied.  Pointers point into the conf
 * given to policy_resolve(), which must outlive it. */
struct policy {
	bool enabled;                 /* false: Policy = off */
	enum policy_role role;          /* never POLICY_ROLE_AUTO */
	bool role_inferred;
	const char *role_reason;      /* why this role: static text */

	uint16_t ssh_port;
	bool ssh_tunnel, ssh_any;
	const struct conf_prefix *ssh_from;
	size_t n_ssh_from;
	struct policy_rate ssh_limit;   /* count 0: no brute-force limit */

	const struct policy_service *services;
	size_t n_services;
	bool isolation;
	char wan[16];                 /* "": detect from the default route */
	struct policy_rate handshake_limit; /* count 0: no meter */
	uint32_t handshake_burst;
	bool log_drops;
	struct policy_rate log_rate;
	bool kill_switch;             /* default: a full-tunnel client */
	const struct conf_prefix *kill_switch_allow;
	size_t n_kill_switch_allow;
	const struct conf_prefix *local_networks;
	size_t n_local_networks;
	bool mss_clamp;

	bool full_tunnel;             /* some peer routes 0.0.0.0/0 or ::/0 */
	bool any_egress;              /* some peer has Egress = on */
	bool forwards;                /* the host routes: hub or site */
};

/* The role a config implies when it does not say (see the rule):
 * a peer with a /0 in AllowedIPs makes a client; a ListenPort with only
 * host routes (/32, /128) makes a hub; a ListenPort with wider prefixes a
 * site gateway; no ListenPort a client.  *reason: static text. */
enum policy_role policy_infer_role(const struct conf *conf, const char **reason);

/* Fills *out from conf.  0, or -EINVAL with err naming the line, key and
 * value of a setting that contradicts the role or another setting (a kill
 * switch on a hub, Egress on a client, ...).  err->file is set to
 * filename. */
int policy_resolve(const struct conf *conf, const char *filename, struct policy *out,
		   struct error *err) warn_unused;

#endif
