/* The Rampart-only keys of a wg-quick file, which the firewall owns:
 * [Interface] Policy, the [Policy] section, [Peer] Forward and Egress.
 * policykeys_register() hangs their model on every conf (conf's
 * extension slots) and their setters and printers on the parser
 * (wgconf_register), so that conf knows nothing of the policy;
 * firewall/policy.c resolves what they say and docs/firewall.md says
 * what each key does.  The setters only record what the file says:
 * has_* and set flags stay false for keys it does not set, so defaults
 * live in one place (policy.c).  Pure: no I/O. */
#ifndef RAMPART_FIREWALL_POLICYKEYS_H
#define RAMPART_FIREWALL_POLICYKEYS_H

#include "common/compiler.h"
#include "common/netaddr.h"
#include "conf/config.h"

#include <stdbool.h>
#include <stddef.h>

enum {
	/* Rates above this are typos: nft's limit takes a 32-bit count. */
	POLICY_RATE_MAX = 1000000,
	/* HandshakeBurst above this is a typo, as for rates. */
	POLICY_HANDSHAKE_BURST_MAX = 1000000,
};

enum policy_role {
	POLICY_ROLE_AUTO,   /* not written: inferred from the peers */
	POLICY_ROLE_HUB,    /* road-warrior server */
	POLICY_ROLE_CLIENT, /* road warrior */
	POLICY_ROLE_SITE,   /* site-to-site gateway */
};

enum policy_rate_unit {
	POLICY_RATE_SECOND,
	POLICY_RATE_MINUTE,
	POLICY_RATE_HOUR,
	POLICY_RATE_DAY,
};

/* "20/second"; count 0 is "off". */
struct policy_rate {
	uint32_t count;
	enum policy_rate_unit unit;
};

/* A protocol and a port range: "tcp/22", "udp/8000-8100", "tcp" (every
 * TCP port).  proto 0 means every protocol (Forward without a protocol);
 * lo = hi = 0 means every port of proto. */
struct policy_ports {
	uint8_t proto; /* 0, IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lo, hi;
};

struct policy_service {
	struct policy_ports ports;
	unsigned line;
};

/* Forward = PREFIX [PROTO[/PORTS]]: where a peer may go through this host. */
struct policy_forward {
	struct netaddr_prefix dst;
	struct policy_ports ports;
	unsigned line;
};

struct policy_prefix_list {
	struct conf_prefix *v;
	size_t n, cap;
};

/* One optional on/off, number, rate or name setting. */
struct policy_flag {
	bool set, on;
	unsigned line;
};

struct policy_number {
	bool set;
	uint32_t value;
	unsigned line;
};

struct policy_rate_setting {
	bool set;
	struct policy_rate rate;
	unsigned line;
};

/* What the file says about the policy: the [Policy] section and
 * [Interface] Policy.  The block of the firewall's slot in every conf
 * (policykeys_of()). */
struct policy_keys {
	unsigned line;            /* of the first [Policy] header; 0 if none */
	struct policy_flag enabled; /* [Interface] Policy = on|off */

	enum policy_role role;      /* POLICY_ROLE_AUTO unless Role is written */
	unsigned role_line;

	struct policy_number ssh_port;
	/* SSHFrom: "tunnel", "any", prefixes, or "none" (set, nothing else). */
	bool has_ssh_from, ssh_from_tunnel, ssh_from_any;
	unsigned ssh_from_line;
	struct policy_prefix_list ssh_from;
	struct policy_rate_setting ssh_limit;

	struct {
		struct policy_service *v;
		size_t n, cap;
	} services;
	struct policy_flag isolation;
	/* WANInterface: set with name "" means "auto". */
	bool has_wan;
	char wan[16];             /* IFNAMSIZ */
	unsigned wan_line;
	struct policy_rate_setting handshake_limit;
	struct policy_number handshake_burst;
	struct policy_flag log_drops;
	struct policy_rate_setting log_rate;
	struct policy_flag kill_switch;
	struct policy_prefix_list kill_switch_allow;
	struct policy_prefix_list local_networks;
	struct policy_flag mss_clamp;
};

/* What the file says about one peer: [Peer] Forward and Egress.  The
 * block of the firewall's slot in every peer (policykeys_peer()). */
struct policy_peer_keys {
	struct {
		struct policy_forward *v;
		size_t n, cap;
	} forwards;
	struct policy_flag egress;
};

/* Registers the keys with conf and wgconf (once; later calls do nothing).
 * Call it before the first conf is allocated: every program that reads
 * a config file with policy keys does, at start-up.  0 or -ENOSPC. */
int policykeys_register(void) warn_unused;

/* The policy of conf, or of one of its peers.  A conf allocated before
 * policykeys_register() has none: these then return a zeroed model
 * (nothing set). */
const struct policy_keys *policykeys_of(const struct conf *conf) warn_unused;
const struct policy_peer_keys *policykeys_peer(const struct conf_peer *peer) warn_unused;
/* The same, to change (tests and code building a conf): NULL for a conf
 * allocated before policykeys_register(). */
struct policy_keys *policykeys_of_mut(struct conf *conf) warn_unused;
struct policy_peer_keys *policykeys_peer_mut(struct conf_peer *peer) warn_unused;

/* Appenders: 0, -ENOMEM, or -E2BIG past CONF_LIST_MAX. */
int policykeys_prefix_list_add(struct policy_prefix_list *l, const struct netaddr_prefix *p,
			       unsigned line) warn_unused;
int policykeys_add_service(struct policy_keys *pol, const struct policy_ports *ports,
			   unsigned line) warn_unused;
int policykeys_add_forward(struct policy_peer_keys *pp, const struct netaddr_prefix *dst,
			   const struct policy_ports *ports, unsigned line) warn_unused;

/* "hub", "client", "site"; "auto" for POLICY_ROLE_AUTO. */
const char *policykeys_role_name(enum policy_role role);

/* --- field parsers (config files and argv) ---------------------------------- */

/* "on"/"off" (also "true"/"false", "yes"/"no"), any case. */
bool policykeys_parse_bool(bool *out, const char *s, const char **why) warn_unused;
/* "hub", "client", "site", any case. */
bool policykeys_parse_role(enum policy_role *out, const char *s, const char **why) warn_unused;
/* "N/second", "N/minute", "N/hour", "N/day" with N in 1..POLICY_RATE_MAX,
 * or "off" (count 0). */
bool policykeys_parse_rate(struct policy_rate *out, const char *s, const char **why) warn_unused;
/* "tcp/22", "udp/8000-8100" or "tcp" (every port).  Port 0 and reversed
 * ranges are refused. */
bool policykeys_parse_ports(struct policy_ports *out, const char *s, const char **why) warn_unused;
/* An interface name as the kernel takes it: 1..15 bytes, no '/', no
 * whitespace, not "." or "..". */
bool policykeys_parse_ifname(char out[16], const char *s, const char **why) warn_unused;

/* Canonical text, the inverse of the parsers: "20/second", "off",
 * "tcp/53", "udp/8000-8100", "tcp"; "" for proto 0. */
void policykeys_format_rate(char *buf, size_t size, const struct policy_rate *r);
void policykeys_format_ports(char *buf, size_t size, const struct policy_ports *p);

#endif
