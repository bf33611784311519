/* Drift: what is declared (the config file, and the peer inventory when
 * it holds the interface) against what runs (the daemon's get, Rampart's
 * nft table, the kernel settings), for `rampart diff` and the audit's
 * firewall.table_drift check.  docs/diff.md says what each kind means and
 * where the comparison stops.
 *
 * Each difference is named: its kind, the peer it applies to, what
 * exactly differs, the declared and the running value, and the command
 * that puts it back.  No value is ever a secret: keys are compared in
 * constant time and shown as the public key of a private key, or as
 * "(hidden)" for a preshared key.
 *
 * The comparisons are pure (drift_compare_device, drift_compare_listings,
 * drift_parse_sysctl_report), so the unit tests build every kind without
 * a daemon; drift_nft_table and drift_sysctls read the host.  Nothing
 * here prints: failures fill the caller's struct error. */
#ifndef RAMPART_AUDIT_DRIFT_H
#define RAMPART_AUDIT_DRIFT_H

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct inv_peer;
struct uapi_device;

enum drift_kind {
	DRIFT_PEER_MISSING,       /* declared, not running */
	DRIFT_PEER_EXTRA,         /* running, not declared */
	DRIFT_ALLOWED_IP_MISSING, /* a declared prefix the running peer lacks */
	DRIFT_ALLOWED_IP_EXTRA,   /* a running prefix not declared */
	DRIFT_ENDPOINT,           /* a configured Endpoint, not the running one */
	DRIFT_LISTEN_PORT,
	DRIFT_FWMARK,
	DRIFT_PRIVATE_KEY,        /* shown as the two public keys */
	DRIFT_PRESHARED_KEY,      /* shown as set, none or another: never the key */
	DRIFT_KEEPALIVE,
	DRIFT_NFT_TABLE,          /* a line of table inet rampart-IF */
	DRIFT_SYSCTL,
	DRIFT_KIND_COUNT,
};

/* "peer_missing", "allowed_ip_extra", ... as --json writes them. */
const char *drift_kind_name(enum drift_kind k);

enum {
	DRIFT_NAME_MAX = 128,
	DRIFT_WHAT_MAX = 160,
	DRIFT_VALUE_MAX = 640, /* an nft rule line */
	DRIFT_FIX_MAX = 640,
};

struct drift {
	enum drift_kind kind;
	char peer[KEY_B64_LEN + 1];   /* the peer's public key, "" when none */
	char peer_name[DRIFT_NAME_MAX]; /* its # Name or inventory name, "" if none */
	char what[DRIFT_WHAT_MAX];    /* "allowed IP 10.0.0.2/32", "chain input", a sysctl key */
	char declared[DRIFT_VALUE_MAX];
	char running[DRIFT_VALUE_MAX];
	char fix[DRIFT_FIX_MAX];      /* a command; "" when none exists */
};

struct drift_list {
	struct drift *v;
	size_t n, cap;
};

void drift_list_free(struct drift_list *l);

/* What is declared for the running device.  The file decides the
 * interface (private key, listen port, fwmark) and, without an inventory,
 * the peers.  When the inventory holds the interface (inventory true),
 * its peers decide the peer set instead, as `rampart up` makes it so
 * (the file's peers, then `rampart peer apply`, which removes every key
 * the inventory does not hold), through inv_plan() (inventory/plan.h). */
struct drift_declared {
	const struct conf *conf;
	const char *filename;  /* the config's path: fixes name it */
	bool inventory;
	const struct inv_peer *inv_peers;
	size_t n_inv;
	/* The fwmark `rampart up` chose for a full tunnel when the file has
	 * none (its state file); 0: none. */
	uint32_t auto_fwmark;
};

/* Appends the differences between d and running (a get=1 reply of
 * ifname: its private key, peers and preshared keys included).  events,
 * the daemon's event ring (rampart_events=1; NULL when it cannot be
 * asked), tells a configured endpoint that roamed from one set by hand:
 * the peer's latest endpoint event decides (endpoint_changed: roamed;
 * peer_added, or peer_changed with endpoint: set); without one, an
 * endpoint is taken as set only while the peer has sent nothing (no
 * handshake, no byte received), since the daemon cannot have learned
 * it then.  Pure.  0, or -ENOMEM / -EINVAL (the inventory's plan
 * refused: two peers with one key) in err. */
struct uapi_events;
int drift_compare_device(const char *ifname, const struct drift_declared *d,
			 const struct uapi_device *running, const struct uapi_events *events,
			 struct drift_list *out, struct error *err) warn_unused;

/* Compares two stateless listings of table inet rampart-IF as nft prints
 * them (`nft -s list table`), line by line in order (a longest common
 * subsequence; rule order matters; past a few thousand differing lines,
 * as multisets): one DRIFT_NFT_TABLE per line only in one of them, named
 * by its chain or set.  Elements of dynamic sets are
 * state, not drift, and are left out.  *_exists false: that side has no
 * table (one difference for the whole table).  fix goes into each
 * difference.  Pure.  0 or -ENOMEM. */
int drift_compare_listings(const char *declared, bool declared_exists, const char *running,
			   bool running_exists, const char *fix, struct drift_list *out,
			   struct error *err) warn_unused;

/* Renders conf's policy for ifname (fwapply_render, with this host's
 * facts), has nft itself canonicalise it (applied in a forked child in a
 * fresh network namespace, then listed there stateless: the host's
 * ruleset is never touched), lists the live table stateless and compares
 * the two (drift_compare_listings).  Root only: without CAP_SYS_ADMIN
 * unshare(CLONE_NEWNET) fails, and so does this (-EIO, err quoting
 * unshare's error).  0 or -errno with err naming what failed. */
int drift_nft_table(const char *ifname, const struct conf *conf, const char *filename,
		    struct drift_list *out, struct error *err) warn_unused;

/* The role's sysctls as `rampart firewall show` reports them
 * (fwapply_report_sysctls: "  KEY want V is A STATUS" lines), one
 * DRIFT_SYSCTL per key that differs or is missing (fixes name the
 * config as ifname and filename say).  Pure.  0, -ENOMEM,
 * or -EINVAL for a line of that shape that does not parse. */
int drift_parse_sysctl_report(const char *report, const char *ifname, const char *filename,
			      struct drift_list *out, struct error *err) warn_unused;

/* fwapply_report_sysctls() for conf on ifname, then the above. */
int drift_sysctls(const char *ifname, const struct conf *conf, const char *filename,
		  struct drift_list *out, struct error *err) warn_unused;

#endif
