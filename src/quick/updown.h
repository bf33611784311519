/* `rampart up` and `rampart down`: wg-quick's up and down for Rampart's
 * userspace daemon, with netlink instead of ip(8), one state file that
 * records what up did so that down undoes exactly that, and rollback of
 * everything done so far when up fails or is interrupted.
 *
 * The decisions come from quick.c; this module (updown.c with up.c,
 * down.c, undo.c and state.c, see updown_int.h) carries them out: it
 * starts the daemon, talks to it (wgctl), changes links, addresses,
 * routes and rules (sys/netlink.h), loads and deletes wg-quick's nftables
 * tables through libnftables (sys/nftables.h), runs resolvconf and the
 * hooks (sys/spawn.h), and keeps /run/rampart/IFNAME.state.  Nothing
 * here prints: progress and messages go to the caller's struct
 * firewall_ui (firewall.h), which the CLI prints on stderr as wg-quick
 * does.  Progress is each change as the command that would make it
 * ("ip -4 route add 10.0.0.0/24 dev wg0", "nft -f -" for a batch that
 * libnftables loads; "[#] " in front on the terminal), so that operators
 * can see and repeat what happened.
 *
 * Hooks run as `/bin/bash -e -o pipefail -c HOOK`, which is what
 * wg-quick's `(eval "$hook")` under its own `set -e -o pipefail` amounts
 * to; a failing PreUp or PostUp rolls up back, a failing PreDown stops
 * down before anything is removed (as in wg-quick).
 *
 * The state file is trusted only if it and /run/rampart belong to the
 * caller and nobody else can write them.  Each change is recorded as
 * soon as it is made, so a crash in the middle leaves a file that down
 * can use.
 *
 * The daemon is $RAMPARTD if set, else the rampartd next to the running
 * program (/proc/self/exe), else rampartd from PATH.
 * WG_QUICK_USERSPACE_IMPLEMENTATION is deliberately not read: it tells
 * wg-quick which implementation to use, and a global setting meant for
 * wg-quick should not silently swap the daemon under rampart. */
#ifndef RAMPART_QUICK_UPDOWN_H
#define RAMPART_QUICK_UPDOWN_H

#include "common/compiler.h"

struct fwapply_opts;

enum {
	/* How long up waits for the daemon's socket to appear after the
	 * daemon returns, and down for it to go after the link is deleted. */
	UPDOWN_DAEMON_WAIT_MS = 5000,
};

/* arg is an interface name (/etc/wireguard/NAME.conf) or a path whose
 * last component is NAME.conf.  netns: the tenant network namespace to
 * put the interface in (tenant.c); NULL or "": the file's Namespace, if
 * any; down finds it in the state.  up applies the hardening policy
 * (fwapply.h) after the routes, as fw says (a confirm window or not;
 * NULL: none), and down removes it.  Both report to fw->ui: progress
 * lines, warnings, notices and, when they fail, why (FIREWALL_UI_ERROR,
 * possibly more than one); fw or fw->ui NULL: to nobody.  0 on success,
 * or -errno after having said why. */
int updown_up(const char *arg, const char *netns, const struct fwapply_opts *fw) warn_unused;
int updown_down(const char *arg, const struct fwapply_opts *fw) warn_unused;

#endif
