/* The nftables renderer of the hardening policy: a pure function from a
 * config, its resolved policy (policy.h) and a few facts about the host
 * to the text of one nftables batch.
 *
 * The batch replaces `table inet rampart-IFNAME` as a whole ("add" an
 * empty table, "delete" it, create it again: one transaction, and nft
 * 1.0.6 has no "destroy") and touches nothing else: no flush ruleset, no
 * other table.  Every rule is written for IPv4 and IPv6 alike.
 * docs/firewall.md explains each rule and the checklist item behind it;
 * tests/golden/policy/ holds the fixtures and their renderings.
 *
 * No I/O: the caller (src/firewall/fwapply.c) gathers the facts, and
 * firewall.c applies the text. */
#ifndef RAMPART_FIREWALL_NFTPOLICY_H
#define RAMPART_FIREWALL_NFTPOLICY_H

#include "common/compiler.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct policy;
struct textbuf;

enum {
	/* "rampart-" + IFNAMSIZ - 1 + NUL. */
	NFTPOLICY_TABLE_MAX = 8 + 15 + 1,
	/* When the facts do not know the tunnel's MTU: wg-quick's default. */
	NFTPOLICY_MTU_DEFAULT = 1420,
	/* TCP and IP headers below the MSS: 20 + 20 for IPv4, 20 + 40 for IPv6. */
	NFTPOLICY_MSS_OVERHEAD4 = 40,
	NFTPOLICY_MSS_OVERHEAD6 = 60,
};

/* The table's named counters (docs/firewall.md, "Counters"): one for each
 * rule purpose an operator watches, named CHAIN_PURPOSE (chains have no
 * '_'), so that `list counters table inet rampart-IF` gives the packets
 * and bytes of each purpose without parsing rules; `rampart metrics`
 * exports them.  One counter serves both families' rules of a purpose,
 * and a table declares only the counters its rules use. */
#define NFTPOLICY_COUNTER_ANTI_SPOOF "prerouting_anti_spoof"
#define NFTPOLICY_COUNTER_INPUT_INVALID "input_invalid"
#define NFTPOLICY_COUNTER_HANDSHAKE_FLOOD "input_handshake_flood"
#define NFTPOLICY_COUNTER_WIREGUARD "input_wireguard"
#define NFTPOLICY_COUNTER_SSH_FLOOD "input_ssh_flood"
#define NFTPOLICY_COUNTER_INPUT_DROP "input_default_drop"
#define NFTPOLICY_COUNTER_FORWARD_INVALID "forward_invalid"
#define NFTPOLICY_COUNTER_FORWARD_DROP "forward_default_drop"
#define NFTPOLICY_COUNTER_KILL_SWITCH "output_kill_switch"

/* A peer's endpoint, resolved: the only destination a kill switch lets
 * out of the physical interfaces. */
struct nftpolicy_endpoint {
	struct netaddr addr;
	uint16_t port;
};

/* What only the running host knows. */
struct nftpolicy_facts {
	const char *ifname;
	/* The WAN interface (Egress and NAT); "" or NULL: none known, and no
	 * peer may have Egress (the caller checks that). */
	const char *wan;
	/* The WireGuard UDP port; 0 when the interface has none (a client
	 * without ListenPort only answers on its connections' state). */
	uint16_t listen_port;
	/* The SSH session the command runs in (SSH_CONNECTION): its client
	 * may reach the server port, whatever SSHFrom says. */
	bool has_ssh_session;
	struct netaddr ssh_client;
	uint16_t ssh_server_port;
	const struct nftpolicy_endpoint *endpoints;
	size_t n_endpoints;
	uint32_t mtu; /* the tunnel's MTU; 0: NFTPOLICY_MTU_DEFAULT */
};

/* "rampart-IFNAME". */
void nftpolicy_table_name(char *buf, size_t size, const char *ifname);

/* Appends the batch for conf under pol (whose enabled flag is ignored:
 * the caller renders the delete for Policy = off).  Errors are recorded
 * in out->err (-ENOMEM). */
void nftpolicy_render(struct textbuf *out, const struct conf *conf, const struct policy *pol,
		      const struct nftpolicy_facts *facts);

/* For an interface in a tenant namespace (`rampart up --netns`), the
 * part of the policy that stays in the namespace of the UDP sockets: a
 * table of the same name with the WireGuard port's rules alone (the
 * handshake meter, the accept and their counters) in an input chain that
 * accepts by default; the caller renders the rest (nftpolicy_render with
 * listen_port 0) into the tenant, and renders this one only for a port. */
void nftpolicy_render_uplink(struct textbuf *out, const struct policy *pol,
			     const struct nftpolicy_facts *facts);

/* Appends a batch that deletes the table and succeeds if it is absent. */
void nftpolicy_render_delete(struct textbuf *out, const char *ifname);

#endif
