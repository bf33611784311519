/* The configuration model: what a wg-quick style file says about one
 * interface and its peers, independent of how it was written down.
 * src/ops/wgconf.c fills it from text and prints it back; the daemon and
 * the control socket will fill it from their own inputs.
 *
 * Every optional scalar has a has_* flag, so "ListenPort = 0" and no
 * ListenPort at all stay distinguishable.  Every field and peer remembers
 * the line it came from (0 when it did not come from a file), for error
 * messages and the audit command; conf_equal() ignores those lines.
 *
 * Lists keep the order in which they were written.  Private and preshared
 * keys are wiped when a conf or a peer array is freed or moved. */
#ifndef RAMPART_CONF_CONFIG_H
#define RAMPART_CONF_CONFIG_H

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	/* The kernel's MAX_PEERS_PER_DEVICE. */
	CONF_PEERS_MAX = 1 << 20,
	/* Entries in any one list (addresses, DNS, hooks, a peer's
	 * AllowedIPs); a file of at most 16 MiB cannot come close. */
	CONF_LIST_MAX = 1 << 20,
	/* Longest routing table name accepted for Table. */
	CONF_TABLE_NAME_MAX = 63,
};

/* wg-quick's Table: "off" (no routes), "auto" (the default), a number or a
 * name from /etc/iproute2/rt_tables. */
enum conf_table_kind {
	CONF_TABLE_AUTO,
	CONF_TABLE_OFF,
	CONF_TABLE_ID,
	CONF_TABLE_NAME,
};

struct conf_table {
	enum conf_table_kind kind;
	uint32_t id;                           /* CONF_TABLE_ID */
	char name[CONF_TABLE_NAME_MAX + 1];    /* CONF_TABLE_NAME */
};

/* wg-quick sends entries that look like IP addresses to resolvconf as
 * name servers and everything else as search domains; both kinds stay in
 * one list so the written order survives a round trip. */
enum conf_dns_kind {
	CONF_DNS_SERVER,
	CONF_DNS_SEARCH,
};

struct conf_dns {
	enum conf_dns_kind kind;
	struct netaddr server;                  /* CONF_DNS_SERVER */
	char domain[NETADDR_HOST_MAX + 1];      /* CONF_DNS_SEARCH */
	unsigned line;
};

struct conf_prefix {
	struct netaddr_prefix prefix;
	unsigned line;
};

enum conf_hook_kind {
	CONF_HOOK_PRE_UP,
	CONF_HOOK_POST_UP,
	CONF_HOOK_PRE_DOWN,
	CONF_HOOK_POST_DOWN,
	CONF_HOOK_COUNT,
};

/* A shell command run by the operations layer; never by the parser. */
struct conf_hook {
	char *cmd; /* owned */
	unsigned line;
};

/* --- the hardening policy (Rampart-only keys) ------------------------------
 *
 * Read by src/ops/policy.c (defaults, role inference, checks) and rendered
 * into nftables by src/ops/nftpolicy.c; docs/firewall.md says what each
 * key does.  The parser only records what the file says: has_* flags stay
 * false for keys it does not set, so defaults live in one place
 * (policy.c). */

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

struct conf_peer {
	unsigned line; /* of the [Peer] header */

	uint8_t public_key[KEY_LEN];
	bool has_public_key;
	unsigned public_key_line;

	uint8_t preshared_key[KEY_LEN]; /* secret: wiped on free */
	bool has_preshared_key;
	unsigned preshared_key_line;

	struct conf_prefix *allowed_ips;
	size_t n_allowed_ips, cap_allowed_ips;

	struct netaddr_endpoint endpoint;
	bool has_endpoint;
	unsigned endpoint_line;

	uint16_t keepalive; /* seconds; 0 is off */
	bool has_keepalive;
	unsigned keepalive_line;

	/* Rampart's policy for this peer. */
	struct {
		struct conf_forward *v;
		size_t n, cap;
	} forwards;
	struct conf_flag egress;
};

struct conf {
	unsigned interface_line; /* of the first [Interface] header, or 0 */

	/* Read by wg(8). */
	uint8_t private_key[KEY_LEN]; /* secret: wiped on free */
	bool has_private_key;
	unsigned private_key_line;

	uint16_t listen_port;
	bool has_listen_port;
	unsigned listen_port_line;

	uint32_t fwmark; /* 0 is off */
	bool has_fwmark;
	unsigned fwmark_line;

	/* Read by wg-quick. */
	struct conf_prefix *addresses;
	size_t n_addresses, cap_addresses;

	struct conf_dns *dns;
	size_t n_dns, cap_dns;

	uint32_t mtu;
	bool has_mtu;
	unsigned mtu_line;

	struct conf_table table;
	bool has_table;
	unsigned table_line;

	struct {
		struct conf_hook *v;
		size_t n, cap;
	} hooks[CONF_HOOK_COUNT];

	bool save_config;
	bool has_save_config;
	unsigned save_config_line;

	struct conf_peer *peers;
	size_t n_peers, cap_peers;

	/* Read by Rampart alone. */
	struct conf_policy policy;
};

/* A zeroed conf with nothing set; NULL with errno on failure. */
struct conf *conf_alloc(void);
/* Wipes the keys and frees everything; conf_free(NULL) is a no-op. */
void conf_free(struct conf *conf);

/* Appenders: 0, -ENOMEM, or -E2BIG past the CONF_*_MAX bounds. */
int conf_add_address(struct conf *conf, const struct netaddr_prefix *p,
		     unsigned line) warn_unused;
int conf_add_dns(struct conf *conf, const struct conf_dns *dns) warn_unused;
/* Copies cmd. */
int conf_add_hook(struct conf *conf, enum conf_hook_kind kind, const char *cmd,
		  unsigned line) warn_unused;
int conf_peer_add_allowed_ip(struct conf_peer *peer, const struct netaddr_prefix *p,
			     unsigned line) warn_unused;
int conf_prefix_list_add(struct conf_prefix_list *l, const struct netaddr_prefix *p,
			 unsigned line) warn_unused;
int conf_add_service(struct conf *conf, const struct conf_ports *ports,
		     unsigned line) warn_unused;
int conf_peer_add_forward(struct conf_peer *peer, const struct netaddr_prefix *dst,
			  const struct conf_ports *ports, unsigned line) warn_unused;
/* Appends a zeroed peer and returns it, or NULL with errno (ENOMEM,
 * E2BIG).  The pointer is valid until the next conf_add_peer(): the
 * array may move. */
struct conf_peer *conf_add_peer(struct conf *conf, unsigned line);

/* Same settings, ignoring source lines and list capacities; keys are
 * compared in constant time. */
bool conf_equal(const struct conf *a, const struct conf *b) warn_unused;

enum {
	CONF_IFNAME_MAX = 15, /* IFNAMSIZ - 1 */
	CONF_PATH_MAX = 4096,
};

/* --- interface names and config paths --------------------------------------------------------------- */

/* A character wg-quick allows in an interface name: [a-zA-Z0-9_=+.-]. */
bool conf_ifname_char(char c) warn_unused;

/* wg-quick: ^[a-zA-Z0-9_=+.-]{1,15}$ */
bool conf_valid_ifname(const char *s) warn_unused;

/* The file an argument of `up`/`down` names: a valid interface name means
 * /etc/wireguard/NAME.conf, anything else is a path.  As in wg-quick,
 * "wg0.conf" is itself a valid name and so means
 * /etc/wireguard/wg0.conf.conf; write ./wg0.conf for a file in the
 * current directory.  0, or -ENAMETOOLONG. */
int conf_config_path(const char *arg, char *path, size_t size) warn_unused;

/* The interface a config path stands for: its last component must be
 * NAME.conf with NAME a valid interface name.  false otherwise. */
bool conf_ifname_from_path(const char *path, char ifname[CONF_IFNAME_MAX + 1]) warn_unused;

#endif
