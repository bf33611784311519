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

enum conf_role {
	CONF_ROLE_AUTO,   /* not written: inferred from the peers */
	CONF_ROLE_HUB,    /* road-warrior server */
	CONF_ROLE_CLIENT, /* road warrior */
	CONF_ROLE_SITE,   /* site-to-site gateway */
};

enum conf_rate_unit {
	CONF_RATE_SECOND,
	CONF_RATE_MINUTE,
	CONF_RATE_HOUR,
	CONF_RATE_DAY,
};

/* "20/second"; count 0 is "off". */
struct conf_rate {
	uint32_t count;
	enum conf_rate_unit unit;
};

/* A protocol and a port range: "tcp/22", "udp/8000-8100", "tcp" (every
 * TCP port).  proto 0 means every protocol (Forward without a protocol);
 * lo = hi = 0 means every port of proto. */
struct conf_ports {
	uint8_t proto; /* 0, IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lo, hi;
};

struct conf_service {
	struct conf_ports ports;
	unsigned line;
};

/* Forward = PREFIX [PROTO[/PORTS]]: where a peer may go through this host. */
struct conf_forward {
	struct netaddr_prefix dst;
	struct conf_ports ports;
	unsigned line;
};

struct conf_prefix_list {
	struct conf_prefix *v;
	size_t n, cap;
};

/* One optional on/off, number, rate or name setting. */
struct conf_flag {
	bool set, on;
	unsigned line;
};

struct conf_number {
	bool set;
	uint32_t value;
	unsigned line;
};

struct conf_rate_setting {
	bool set;
	struct conf_rate rate;
	unsigned line;
};

/* What the file says about the policy: the [Policy] section and
 * [Interface] Policy.  The block of the firewall's slot in every conf
 * (policykeys_of()). */
struct conf_policy {
	unsigned line;            /* of the first [Policy] header; 0 if none */
	struct conf_flag enabled; /* [Interface] Policy = on|off */

	enum conf_role role;      /* CONF_ROLE_AUTO unless Role is written */
	unsigned role_line;

	struct conf_number ssh_port;
	/* SSHFrom: "tunnel", "any", prefixes, or "none" (set, nothing else). */
	bool has_ssh_from, ssh_from_tunnel, ssh_from_any;
	unsigned ssh_from_line;
	struct conf_prefix_list ssh_from;
	struct conf_rate_setting ssh_limit;

	struct {
		struct conf_service *v;
		size_t n, cap;
	} services;
	struct conf_flag isolation;
	/* WANInterface: set with name "" means "auto". */
	bool has_wan;
	char wan[16];             /* IFNAMSIZ */
	unsigned wan_line;
	struct conf_rate_setting handshake_limit;
	struct conf_number handshake_burst;
	struct conf_flag log_drops;
	struct conf_rate_setting log_rate;
	struct conf_flag kill_switch;
	struct conf_prefix_list kill_switch_allow;
	struct conf_prefix_list local_networks;
	struct conf_flag mss_clamp;
};

/* What the file says about one peer: [Peer] Forward and Egress.  The
 * block of the firewall's slot in every peer (policykeys_peer()). */
struct conf_peer_policy {
	struct {
		struct conf_forward *v;
		size_t n, cap;
	} forwards;
	struct conf_flag egress;
};

/* Registers the keys with conf and wgconf (once; later calls do nothing).
 * Call it before the first conf is allocated: every program that reads
 * a config file with policy keys does, at start-up.  0 or -ENOSPC. */
int policykeys_register(void) warn_unused;

/* The policy of conf, or of one of its peers.  A conf allocated before
 * policykeys_register() has none: these then return a zeroed model
 * (nothing set). */
const struct conf_policy *policykeys_of(const struct conf *conf) warn_unused;
const struct conf_peer_policy *policykeys_peer(const struct conf_peer *peer) warn_unused;
/* The same, to change (tests and code building a conf): NULL for a conf
 * allocated before policykeys_register(). */
struct conf_policy *policykeys_of_mut(struct conf *conf) warn_unused;
struct conf_peer_policy *policykeys_peer_mut(struct conf_peer *peer) warn_unused;

/* Appenders: 0, -ENOMEM, or -E2BIG past CONF_LIST_MAX. */
int policykeys_prefix_list_add(struct conf_prefix_list *l, const struct netaddr_prefix *p,
			       unsigned line) warn_unused;
int policykeys_add_service(struct conf_policy *pol, const struct conf_ports *ports,
			   unsigned line) warn_unused;
int policykeys_add_forward(struct conf_peer_policy *pp, const struct netaddr_prefix *dst,
			   const struct conf_ports *ports, unsigned line) warn_unused;

/* "hub", "client", "site"; "auto" for CONF_ROLE_AUTO. */
const char *policykeys_role_name(enum conf_role role);

/* --- field parsers (config files and argv) ---------------------------------- */

/* "on"/"off" (also "true"/"false", "yes"/"no"), any case. */
bool policykeys_parse_bool(bool *out, const char *s, const char **why) warn_unused;
/* "hub", "client", "site", any case. */
bool policykeys_parse_role(enum conf_role *out, const char *s, const char **why) warn_unused;
/* "N/second", "N/minute", "N/hour", "N/day" with N in 1..POLICY_RATE_MAX,
 * or "off" (count 0). */
bool policykeys_parse_rate(struct conf_rate *out, const char *s, const char **why) warn_unused;
/* "tcp/22", "udp/8000-8100" or "tcp" (every port).  Port 0 and reversed
 * ranges are refused. */
bool policykeys_parse_ports(struct conf_ports *out, const char *s, const char **why) warn_unused;
/* An interface name as the kernel takes it: 1..15 bytes, no '/', no
 * whitespace, not "." or "..". */
bool policykeys_parse_ifname(char out[16], const char *s, const char **why) warn_unused;

/* Canonical text, the inverse of the parsers: "20/second", "off",
 * "tcp/53", "udp/8000-8100", "tcp"; "" for proto 0. */
void policykeys_format_rate(char *buf, size_t size, const struct conf_rate *r);
void policykeys_format_ports(char *buf, size_t size, const struct conf_ports *p);

#endif
