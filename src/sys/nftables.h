/* The one way Rampart talks to nftables: libnftables, in-process.  The
 * firewall policy and wg-quick's full-tunnel table both go through here;
 * no code spawns nft(8). */
#ifndef RAMPART_SYS_NFTABLES_H
#define RAMPART_SYS_NFTABLES_H

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

struct textbuf;

/* NFTABLES_OUTPUT_STATELESS: leave counters and set elements' state out of
 * listings (libnftables' NFT_CTX_OUTPUT_STATELESS).  NFTABLES_OUTPUT_JSON:
 * listings as nft -j prints them (libnftables-json(5)). */
enum { NFTABLES_OUTPUT_STATELESS = 1u << 0, NFTABLES_OUTPUT_JSON = 1u << 1 };

/* Runs a batch of nft commands: a dry run (dry: parsed and checked by the
 * kernel, nothing changes) or for real.  flags: NFTABLES_OUTPUT_*.  nft's
 * output is appended to out (NULL: dropped).  offset: how many lines the
 * caller put in front of its own batch; error messages name batch lines
 * without them.  0, -EPERM (not allowed), -EINVAL (nft refused the batch:
 * its messages, with line numbers, in err->msg) or -ENOMEM. */
int nftables_exec(const char *text, bool dry, unsigned flags, struct textbuf *out,
		  unsigned offset, struct error *err) warn_unused;

#endif
