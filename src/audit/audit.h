/* rampart audit: the guides' checklists as checks.  A check reads facts
 * (facts.h, under a root) and the interfaces' parsed configs and appends
 * findings; each finding has a stable id, a severity, what it saw, the
 * checklist item it implements and the fix.  Library code never prints:
 * the CLI turns the list into text or JSON. */
#ifndef RAMPART_AUDIT_AUDIT_H
#define RAMPART_AUDIT_AUDIT_H

#include "audit/facts.h"
#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct conf_peer;

/* Ordered: the worst of a list decides the exit status. */
enum audit_severity { AUDIT_INFO, AUDIT_WARNING, AUDIT_CRITICAL };

/* Where the configs live on a host (under the facts' root). */
#define AUDIT_WG_DIR "/etc/wireguard"

enum {
	AUDIT_MESSAGE_MAX = 640,
	AUDIT_EVIDENCE_MAX = 640,
	AUDIT_FIX_MAX = 512,
};

struct audit_finding {
	const char *id;          /* stable: "keys.config_mode" */
	enum audit_severity severity;
	char message[AUDIT_MESSAGE_MAX];
	char evidence[AUDIT_EVIDENCE_MAX];
	const char *seed_item;   /* "seed 000: keys 0600" */
	char fix[AUDIT_FIX_MAX]; /* a command or a config line */
};

struct audit_list {
	struct audit_finding *v;
	size_t n, cap;
};

/* One interface under audit: its name, its config's path under the root
 * ("/etc/wireguard/wg0.conf") and the parsed config. */
struct audit_iface {
	char name[32];
	char path[sizeof(AUDIT_WG_DIR) + 40];
	struct conf *conf;
};

/* A check sees every interface at once (some compare two configs). */
typedef int (*audit_check_fn)(struct audit_facts *f, const struct audit_iface *ifs,
			      size_t n, struct audit_list *out, struct error *err);

/* A new zeroed finding at the end of the list, or NULL when out of memory. */
struct audit_finding *audit_add(struct audit_list *l, const char *id,
				enum audit_severity sev, const char *seed_item);
void audit_list_free(struct audit_list *l);
/* The worst severity in the list; -1 when it is empty. */
int audit_worst(const struct audit_list *l);
const char *audit_severity_name(enum audit_severity s);

/* Reads and parses AUDIT_WG_DIR/NAME.conf for each name; with no names,
 * every *.conf there.  *ifs is freed with audit_ifaces_free(). */
int audit_load(struct audit_facts *f, char *const *names, size_t n_names,
	       struct audit_iface **ifs, size_t *n, struct error *err) warn_unused;
void audit_ifaces_free(struct audit_iface *ifs, size_t n);

/* Every check, in a fixed order. */
int audit_run(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
	      struct audit_list *out, struct error *err) warn_unused;

/* The checks (keys.c, peers.c), one per id family. */
int audit_keys_config_mode(struct audit_facts *f, const struct audit_iface *ifs,
			   size_t n, struct audit_list *out, struct error *err);
int audit_keys_config_owner(struct audit_facts *f, const struct audit_iface *ifs,
			    size_t n, struct audit_list *out, struct error *err);
int audit_keys_dir_mode(struct audit_facts *f, const struct audit_iface *ifs,
			size_t n, struct audit_list *out, struct error *err);
int audit_keys_backup_copy(struct audit_facts *f, const struct audit_iface *ifs,
			   size_t n, struct audit_list *out, struct error *err);
int audit_keys_shared_private_key(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err);
/* Any other file in AUDIT_WG_DIR with a private key ("PrivateKey =", or
 * a bare key in *.key or *priv*) open to group or others. */
int audit_keys_key_file_mode(struct audit_facts *f, const struct audit_iface *ifs,
			     size_t n, struct audit_list *out, struct error *err);
/* A file in AUDIT_WG_DIR holding the private key of a peer of an audited
 * config ("PrivateKey = KEY" or a bare key line). */
int audit_keys_client_key_on_hub(struct audit_facts *f, const struct audit_iface *ifs,
				 size_t n, struct audit_list *out, struct error *err);
int audit_peers_allowed_ips_overlap(struct audit_facts *f, const struct audit_iface *ifs,
				    size_t n, struct audit_list *out, struct error *err);
/* A hub's peer without an Endpoint (a road warrior) with a keepalive. */
int audit_peers_keepalive_on_hub(struct audit_facts *f, const struct audit_iface *ifs,
				 size_t n, struct audit_list *out, struct error *err);
int audit_peers_no_psk(struct audit_facts *f, const struct audit_iface *ifs,
		       size_t n, struct audit_list *out, struct error *err);
int audit_peers_wide_route_on_hub(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err);

/* The peer as the operator knows it: its "# Name", else its public key
 * in base64, written into buf (KEY_B64_LEN + 1 bytes, common/encoding.h). */
const char *audit_peer_label(const struct conf_peer *p, char *buf);
/* A hub, for the peers checks: the config listens for peers and has more
 * than one (the firewall checks go by the policy's role instead). */
bool audit_is_hub(const struct conf *c);

/* The routing and firewall checks (fwchecks.c), from the live ruleset
 * when the facts have one, else from the config where docs/audit.md
 * says so.  Forwarding on with a forward hook that lets a new packet
 * through from any source WAN to WAN, or from a peer that is not an
 * Egress peer out to the WAN. */
int audit_firewall_forward_open(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err);
/* A masquerade or snat in a nat postrouting chain that covers a hub
 * peer without Egress = on. */
int audit_firewall_nat_split_tunnel(struct audit_facts *f, const struct audit_iface *ifs,
				    size_t n, struct audit_list *out, struct error *err);
int audit_firewall_no_mss_clamp(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err);
int audit_firewall_no_handshake_limit(struct audit_facts *f, const struct audit_iface *ifs,
				      size_t n, struct audit_list *out, struct error *err);
int audit_firewall_no_kill_switch(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err);
/* One finding per key of the role's sysctl plan whose value differs. */
int audit_firewall_sysctls(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			   struct audit_list *out, struct error *err);
/* IPv6 addresses or forwarding, and an input hook that drops an IPv4
 * probe but accepts the same probe over IPv6. */
int audit_firewall_ipv6_unfiltered(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err);
/* The exposure checks (exposure.c): listening sockets (audit/sockets.h)
 * against the live ruleset's verdict for a new packet from any source on
 * the WAN interface, and the effective sshd config. */
int audit_exposure_wan_listener(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err);
int audit_exposure_ssh_any_source(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err);
int audit_exposure_sshd_password_auth(struct audit_facts *f, const struct audit_iface *ifs,
				      size_t n, struct audit_list *out, struct error *err);
int audit_exposure_sshd_root_login(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err);
int audit_exposure_metrics_public(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err);

/* The peers checks that read more than the config (peers_live.c): the
 * host's routes and addresses under /proc/net, the running daemon, the
 * inventory (docs/audit.md says what each one reads). */
/* A hub's peer with a network inside the hub's own Address networks,
 * wider than a host route. */
int audit_peers_subnet_for_host(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err);
/* The Address networks overlapping another interface's route
 * (/proc/net/route, /proc/net/ipv6_route). */
int audit_peers_subnet_collides_lan(struct audit_facts *f, const struct audit_iface *ifs,
				    size_t n, struct audit_list *out, struct error *err);
/* A peer with a public IPv4 Endpoint and no keepalive on a host whose
 * IPv4 addresses are all private (/proc/net/fib_trie). */
int audit_peers_keepalive_missing_nat(struct audit_facts *f, const struct audit_iface *ifs,
				      size_t n, struct audit_list *out, struct error *err);
/* The running daemon's peers without a handshake for audit_options()'s
 * stale_days (a warning), or never (an info). */
int audit_peers_no_handshake(struct audit_facts *f, const struct audit_iface *ifs,
			     size_t n, struct audit_list *out, struct error *err);
/* Inventory peers that are not active (or have expired) whose key is
 * still in the config or the running daemon. */
int audit_peers_inventory_inactive(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err);

/* The host checks (host.c). */
/* unattended-upgrades installed and APT::Periodic::Unattended-Upgrade on. */
int audit_host_unattended_upgrades(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err);
/* A running rampartd with more than its two capabilities or without
 * no_new_privs; a wireguard-go with every capability as root (info). */
int audit_host_daemon_privileges(struct audit_facts *f, const struct audit_iface *ifs,
				 size_t n, struct audit_list *out, struct error *err);
/* Rampart's and wg-quick's installed systemd units without the
 * hardening directives. */
int audit_host_unit_hardening(struct audit_facts *f, const struct audit_iface *ifs,
			      size_t n, struct audit_list *out, struct error *err);

/* tabledrift.c: a running interface's table inet rampart-IF differing
 * from what its config renders (the facts' table_drift source). */
int audit_firewall_table_drift(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			       struct audit_list *out, struct error *err);

#endif
