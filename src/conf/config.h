/* The configuration model: what a wg-quick style file says about one
 * interface and its peers, independent of how it was written down.
 * conf/wgconf.c fills it from text and prints it back; ctl fills it from
 * a running device for showconf and SaveConfig.
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
	/* Longest network namespace name accepted for Namespace (ip-netns(8)
	 * takes file names; 63 is plenty and keeps the state file small). */
	CONF_NETNS_MAX = 63,
	/* Longest routing table name accepted for Table. */
	CONF_TABLE_NAME_MAX = 63,
	/* Longest peer name ("# Name = ..."), in bytes. */
	CONF_PEER_NAME_MAX = 127,
	/* Rooms above conf that may hang their own data on a conf. */
	CONF_EXT_MAX = 4,
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

struct conf_peer {
	unsigned line; /* of the [Peer] header */

	/* A "# Name = ..." comment line in the section: what the operator
	 * calls the peer (status, metrics).  wg(8) and wg-quick see a
	 * comment.  "" if none. */
	char name[CONF_PEER_NAME_MAX + 1];
	unsigned name_line;

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

	/* What the keys of a higher room's registration say about this
	 * peer (conf_peer_ext()). */
	void *ext[CONF_EXT_MAX];
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

	/* Rampart's: the network namespace (under /run/netns) the interface
	 * is moved into while its UDP sockets stay where the daemon runs;
	 * "" for none.  An [Interface] key because, like Table, it says where
	 * wg-quick's part lives (the link, its addresses and routes), and
	 * Policy = off must not change it. */
	char netns[CONF_NETNS_MAX + 1];
	unsigned netns_line;

	struct conf_peer *peers;
	size_t n_peers, cap_peers;

	/* Read by Rampart alone: the data of the keys higher rooms
	 * registered (conf_ext()). */
	void *ext[CONF_EXT_MAX];
};

/* A name ip-netns(8) could make and the state file can hold: 1 to
 * CONF_NETNS_MAX printable characters, no blank or '/', not "." or "..". */
bool conf_valid_netns(const char *name) warn_unused;

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
/* Appends a zeroed peer and returns it, or NULL with errno (ENOMEM,
 * E2BIG).  The pointer is valid until the next conf_add_peer(): the
 * array may move. */
struct conf_peer *conf_add_peer(struct conf *conf, unsigned line);
/* Frees every peer (their keys wiped) and leaves conf with none. */
void conf_clear_peers(struct conf *conf);

/* --- data of keys owned by higher rooms -------------------------------------
 *
 * The file carries keys that rooms above conf own (the firewall's
 * [Policy] section, [Interface] Policy, [Peer] Forward and Egress).  Such
 * a room registers its data once, before any conf is allocated, and gets a
 * slot: every conf allocated afterwards carries a zeroed block of
 * ops->size bytes in that slot, every peer one of ops->peer_size bytes,
 * freed, compared and wiped with the conf.  conf itself never looks
 * inside.  Registration is not thread-safe: do it at start-up. */
struct conf_ext_ops {
	size_t size;      /* of the block per conf; 0: none */
	size_t peer_size; /* of the block per peer; 0: none */
	/* Free what a block points to (not the block itself); may be NULL. */
	void (*uninit)(void *data);
	void (*peer_uninit)(void *data);
	/* Same settings, ignoring source lines; may be NULL (always equal). */
	bool (*equal)(const void *a, const void *b);
	bool (*peer_equal)(const void *a, const void *b);
	/* Make dst, a zeroed block, a deep copy of src: 0, or -ENOMEM with
	 * dst holding only what uninit frees.  May be NULL: bytes copied. */
	int (*copy)(void *dst, const void *src);
	int (*peer_copy)(void *dst, const void *src);
};

/* The slot (0..CONF_EXT_MAX-1) for ops; the same ops registered again get
 * the same slot.  -ENOSPC when every slot is taken. */
int conf_register_ext(const struct conf_ext_ops *ops) warn_unused;
/* The slot's block, or NULL for a conf allocated before the slot was
 * registered (or slot < 0). */
void *conf_ext(const struct conf *conf, int slot) warn_unused;
void *conf_peer_ext(const struct conf_peer *peer, int slot) warn_unused;
/* Replaces dst's blocks with copies of src's, for the slots both have:
 * what SaveConfig keeps of the file that the running interface does not
 * know.  0 or -ENOMEM. */
int conf_copy_ext(struct conf *dst, const struct conf *src) warn_unused;
int conf_peer_copy_ext(struct conf_peer *dst, const struct conf_peer *src) warn_unused;

/* The peer with this public key, or NULL. */
const struct conf_peer *conf_find_peer(const struct conf *conf, const uint8_t key[KEY_LEN]);

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
