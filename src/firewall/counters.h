/* The packet counters of Rampart's firewall rules: the named counters of
 * table inet rampart-IFNAME (nftpolicy.h, docs/firewall.md "Counters"),
 * each split into the chain and the purpose its name CHAIN_PURPOSE gives.
 * What `rampart metrics` exports; reading them needs CAP_NET_ADMIN, as
 * every nftables listing does. */
#ifndef RAMPART_FIREWALL_COUNTERS_H
#define RAMPART_FIREWALL_COUNTERS_H

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	/* The table declares nine; room for a few an operator added. */
	FIREWALL_COUNTERS_MAX = 32,
	FIREWALL_CHAIN_MAX = 16,   /* "prerouting" and NUL, with room */
	FIREWALL_PURPOSE_MAX = 32, /* "handshake_flood" and NUL, with room */
};

struct firewall_counter {
	char chain[FIREWALL_CHAIN_MAX];
	char purpose[FIREWALL_PURPOSE_MAX];
	uint64_t packets, bytes;
};

struct firewall_counters {
	struct firewall_counter v[FIREWALL_COUNTERS_MAX];
	size_t n;
};

/* Pure: the counters of text, nft's `list counters table ...` output
 * (one "counter NAME {" block per counter, "packets N bytes N" inside),
 * in their order, into out.  A counter whose name is not CHAIN_PURPOSE
 * (no '_', or a part too long) is not Rampart's and is skipped.  0, or
 * -EINVAL for a counter without its packets line or with a malformed one,
 * -E2BIG for more than FIREWALL_COUNTERS_MAX; err says which line. */
int firewall_counters_parse(const char *text, struct firewall_counters *out,
			    struct error *err) warn_unused;

/* The counters of table inet rampart-IFNAME.  No table is no error:
 * *exists false and out empty.  -EPERM without CAP_NET_ADMIN, -EINVAL
 * for an interface name that has no table name, or the errors above. */
int firewall_counters_read(const char *ifname, struct firewall_counters *out, bool *exists,
			   struct error *err) warn_unused;

#endif
