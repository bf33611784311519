/* wg-quick's decisions without its side effects: which file and interface
 * an argument names, which routes a configuration asks for and into which
 * table, the automatic MTU, hook expansion, the resolvconf input, the
 * nftables batch of a full tunnel, what SaveConfig writes back, and the
 * state file in which `rampart up` records what it did so that `rampart
 * down` undoes exactly that.
 *
 * Everything here is a function of its arguments: no I/O, no processes,
 * no netlink.  updown.h (up.c, down.c, undo.c, state.c) runs the plan
 * and keeps the state.  The behaviour follows wireguard-tools' wg-quick
 * (linux.bash) as of 1.0.20210914; where Rampart differs on purpose, the
 * function's comment says so. */
#ifndef RAMPART_QUICK_QUICK_H
#define RAMPART_QUICK_QUICK_H

#include "conf/config.h"
#include "sys/netlink.h"

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct textbuf;

enum {
	/* wg-quick's first routing table (and fwmark) for a full tunnel. */
	QUICK_TABLE_FIRST = 51820,
	/* IPv6 (40) + UDP (8) + WireGuard (32) headers: wg-quick subtracts
	 * this from the path MTU. */
	QUICK_MTU_OVERHEAD = 80,
	/* wg-quick's path MTU when no route says otherwise. */
	QUICK_MTU_FALLBACK = 1500,
	/* Two rules for each address family. */
	QUICK_RULES_MAX = 4,
	/* resolvconf interface names: prefix, '.', interface. */
	QUICK_DNS_IFACE_MAX = 64,
	/* A state file lists at most one route per allowed IP of a config
	 * of at most WGCONF_FILE_MAX (16 MiB) bytes, each in about twice the
	 * bytes; anything larger is not ours. */
	QUICK_STATE_FILE_MAX = 64 << 20,
	QUICK_STATE_VERSION = 1,
};

/* --- routes --------------------------------------------------------------- */

enum quick_route_kind {
	/* Table unset or auto: into main, unless a route through the
	 * interface in main already covers the prefix. */
	QUICK_ROUTE_MAIN,
	/* An explicit Table (a number, or a name resolved by the caller):
	 * into that table, /0 included. */
	QUICK_ROUTE_TABLE,
	/* A /0 with Table unset or auto: wg-quick's add_default (route in
	 * the fwmark table, two rules, nftables, src_valid_mark). */
	QUICK_ROUTE_DEFAULT,
};

struct quick_route {
	struct netaddr_prefix prefix; /* host bits cleared */
	enum quick_route_kind kind;
};

/* The routes that wg-quick adds for the allowed IPs of running's peers
 * (the daemon's configuration, as wg-quick reads `wg show allowed-ips`),
 * each prefix once, in wg-quick's order (`sort -nr -k 2 -t /`: longest
 * prefix first), as file's Table says (the daemon knows nothing of
 * tables): none for Table = off.  *out is malloc()ed (NULL when *n is 0).
 * 0 or -ENOMEM. */
int quick_plan_routes(const struct conf *running, const struct conf *file,
		      struct quick_route **out, size_t *n) warn_unused;


/* The first table at or after QUICK_TABLE_FIRST that holds no route, given
 * the tables that do (any order, repeats allowed). */
uint32_t quick_first_free_table(const uint32_t *used, size_t n) warn_unused;

/* The two rules of a full tunnel in one family, as wg-quick adds them:
 * "not fwmark TABLE table TABLE" and "table main suppress_prefixlength 0",
 * with priority 0 (the kernel chooses).  Returns 2. */
size_t quick_default_rules(int family, uint32_t table, struct netlink_rule out[2]);

/* Same rule ignoring priority, and r has no selector wg-quick does not
 * write: how `rampart down` recognises a rule of wg-quick's making when
 * it has no state file. */
bool quick_rule_matches(const struct netlink_rule *r, const struct netlink_rule *tmpl) warn_unused;

/* Table by name as ip(8) reads it: "main", "local", "default" and
 * "unspec", else "ID NAME" lines of rt_tables text (NULL: none).  false
 * if unknown. */
bool quick_rt_table_lookup(const char *rt_tables, const char *name,
			   uint32_t *id) warn_unused;

/* --- MTU ------------------------------------------------------------------ */

/* wg-quick's automatic MTU: the largest MTU of the routes to the peers'
 * endpoints (0 entries are ignored), else that of the default route
 * (0: none), else 1500; minus 80. */
uint32_t quick_mtu_auto(const uint32_t *endpoint_mtus, size_t n,
			uint32_t default_route_mtu) warn_unused;

/* --- hooks and DNS -------------------------------------------------------- */

/* cmd with every "%i" replaced by ifname; NULL with errno ENOMEM. */
char *quick_hook_expand(const char *cmd, const char *ifname);

/* The interface name prefix that resolvconf's interface-order asks for:
 * the first line of the form "NAME*" gives "NAME."; "" otherwise (also
 * for NULL text). */
void quick_resolvconf_prefix(const char *interface_order, char *out, size_t size);

/* What wg-quick pipes into `resolvconf -a`: one "nameserver ADDR" line
 * per server, then one "search A B" line if there are search domains.
 * false if conf has no name server: like wg-quick, search domains alone
 * do not touch resolvconf. */
bool quick_dns_input(const struct conf *conf, struct textbuf *out) warn_unused;

/* --- nftables ------------------------------------------------------------- */

/* "wg-quick-IFNAME": the table wg-quick (and Rampart) own. */
void quick_nft_table_name(char *buf, size_t size, const char *ifname);

/* The batch wg-quick's add_default sends for one family: a table with
 * three chains, one rule per address of the interface in that family
 * dropping packets for it that arrive elsewhere from non-local sources,
 * and the two rules that carry the fwmark through conntrack so that
 * replies to the tunnel's own UDP packets skip the tunnel.  Rampart
 * writes "create table" where wg-quick writes "add table": a table of that
 * name that already exists is refused rather than merged into, so `down`
 * never deletes rules that `up` did not write. */
void quick_nft_render(struct textbuf *out, int family, const char *ifname,
		      uint32_t table, const struct netaddr *addrs, size_t n);
/* Deletes the table if it exists and succeeds if it does not ("add" then
 * "delete" in one transaction: nft 1.0.6 has no "destroy"). */
void quick_nft_render_delete(struct textbuf *out, int family, const char *ifname);
/* Finds "table FAMILY wg-quick-IFNAME" lines in `nft list tables` output
 * and sets found[0] for ip, found[1] for ip6. */
void quick_nft_parse_tables(const char *list, const char *ifname, bool found[2]);

/* --- SaveConfig ----------------------------------------------------------- */

/* Turns the running configuration into what SaveConfig writes: wg-quick
 * keeps the file's wg-quick keys (DNS, Table, hooks, SaveConfig) and takes
 * the interface's current addresses and, when the file set one, its
 * current MTU.  Rampart also keeps the search domains (wg-quick drops
 * them), leaves out IPv6 link-local addresses the kernel made up (those
 * not in the file), and leaves out the fwmark that up chose by itself for
 * a full tunnel (auto_fwmark, 0 if none), which wg-quick writes back as
 * FwMark.  Rampart keeps what only the file says: its [Policy] and other
 * Rampart-only keys, and each peer's name ("# Name = ...") and own keys
 * for the peers still there.  0 or -ENOMEM; running may be half changed
 * on failure. */
int quick_save_merge(struct conf *running, const struct conf *file,
		     const struct netaddr_prefix *addrs, size_t n_addrs,
		     uint32_t link_mtu, uint32_t auto_fwmark) warn_unused;

/* --- state ---------------------------------------------------------------- */

struct quick_state_route {
	struct netaddr_prefix prefix;
	uint32_t table;
};

/* What `rampart up` did, in the order it did it.  Addresses and routes
 * are kept for the record: they go with the interface. */
struct quick_state {
	char ifname[CONF_IFNAME_MAX + 1];
	unsigned ifindex;          /* the interface up created; 0: none */
	char config[CONF_PATH_MAX];
	uint32_t fwmark;           /* the fwmark up chose for a full tunnel; 0: none */
	struct netaddr_prefix *addresses;
	size_t n_addresses;
	struct quick_state_route *routes;
	size_t n_routes;
	struct netlink_rule rules[QUICK_RULES_MAX]; /* priorities included */
	size_t n_rules;
	bool nft[2];               /* table wg-quick-IFNAME in ip, ip6 */
	char dns[QUICK_DNS_IFACE_MAX]; /* resolvconf interface; "" if none */
	/* A tenant namespace (`up --netns`): recorded before the link is
	 * moved there; moved once it is, and from then on ifindex is its
	 * index in the tenant, where the rules, the wg-quick tables and the
	 * policy's table are too. */
	char netns[CONF_NETNS_MAX + 1];
	bool moved;
	bool uplink;               /* the policy's port table where the daemon runs */
};

/* Frees the lists; the struct is zeroed. */
void quick_state_uninit(struct quick_state *s);
/* Nothing left to undo (no interface, rule, table or DNS entry). */
bool quick_state_empty(const struct quick_state *s) warn_unused;
int quick_state_add_address(struct quick_state *s, const struct netaddr_prefix *p) warn_unused;
int quick_state_add_route(struct quick_state *s, const struct netaddr_prefix *p,
			  uint32_t table) warn_unused;
/* -E2BIG past QUICK_RULES_MAX. */
int quick_state_add_rule(struct quick_state *s, const struct netlink_rule *r) warn_unused;
/* Drops rule i. */
void quick_state_del_rule(struct quick_state *s, size_t i);

/* The text of a state file; NULL with errno (ENOMEM). */
char *quick_state_format(const struct quick_state *s, size_t *len);
/* Parses a state file into *s (initialized here).  0, or -EINVAL with a
 * message "line N: ..." in err; -ENOMEM.  Unknown versions are refused. */
int quick_state_parse(const char *buf, size_t len, struct quick_state *s,
		      struct error *err) warn_unused;

#endif
