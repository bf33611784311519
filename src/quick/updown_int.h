/* Inside `rampart up` and `rampart down` (updown.h is the interface): the
 * context both carry and the helpers their files share.  The work is
 * split by what it is for, so that each file reads on its own:
 *   updown.c  messages (to the caller's ui), the config file, hooks,
 *             signals, the entry points
 *   state.c   /run/rampart/IFNAME.state and its lock
 *   up.c      up, step by step, each step recorded in the state
 *   undo.c    undoing what a state records (down, rollback, stale state)
 *   down.c    down, and what to undo when there is no state file
 * Those that can fail say why themselves (as wg-quick does), through
 * updown_fail() to the caller's ui, and return -errno, which their
 * callers only pass on. */
#ifndef RAMPART_QUICK_UPDOWN_INT_H
#define RAMPART_QUICK_UPDOWN_INT_H

#include "quick.h"
#include "updown.h"

#include "firewall/firewall.h"
#include "conf/config.h"
#include "common/compiler.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct fwapply_opts;
struct netlink;

#define STATE_DIR "/run/rampart"
#define SOCKET_DIR "/var/run/wireguard"
#define RESOLVCONF_ORDER "/etc/resolvconf/interface-order"

enum {
	/* How often up and down look again for the daemon's socket. */
	POLL_STEP_MS = 20,
	SMALL_FILE_MAX = 1 << 20, /* resolvconf order, rt_tables */
};

struct updown_ctx {
	char ifname[CONF_IFNAME_MAX + 1];
	char given[CONF_PATH_MAX];  /* the path as named, for messages */
	char path[PATH_MAX];         /* the same, links resolved: SaveConfig writes here */
	struct conf *conf;           /* the file */
	struct netlink *nl;
	int dirfd;                   /* STATE_DIR; -1 if not open */
	int lockfd;                  /* STATE_DIR/IFNAME.lock, held; -1 if not */
	struct quick_state st;       /* what up did (or what down found) */
	uint32_t table;              /* Table as a number (explicit tables) */
	uint32_t default_table;      /* the full tunnel's table, once chosen */
	char daemon[PATH_MAX];       /* the program up starts */
	/* up: how to apply the policy; both: fw->ui hears every progress
	 * line and message (NULL, or no ui: nobody does). */
	const struct fwapply_opts *fw;
	/* The signal mask children start with: ours before up or down
	 * blocked SIGINT, SIGTERM and SIGHUP. */
	sigset_t child_mask;
	bool signals_blocked;
	/* A tenant namespace (tenant.c): --netns, the file's Namespace or,
	 * for down, the state's; "" for none.  While the link is there, nl
	 * is a socket opened in it and home_nl the daemon's namespace's. */
	char netns[CONF_NETNS_MAX + 1];
	int netns_fd, home_fd;       /* the tenant, where rampart runs; -1 if not open */
	struct netlink *tenant_nl;   /* opened in the tenant, before the move */
	struct netlink *home_nl;     /* NULL unless nl is the tenant's */
	bool in_tenant;              /* the thread is in the tenant now */
	bool tenant_gone;            /* down: the state's namespace no longer exists */
};

/* --- updown.c ------------------------------------------------------------- */

/* The ui's progress: the command that would make the change ("[#] WHAT"
 * on the CLI's stderr). */
void updown_say(const struct updown_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The ui's message of that kind (firewall.h). */
void updown_tell(const struct updown_ctx *c, enum firewall_ui_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* updown_tell() an error (why up or down fails); returns ret, or -EINVAL
 * if ret is not negative. */
int updown_fail(const struct updown_ctx *c, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* updown_tell() a warning: something went wrong that does not stop us. */
void updown_warn(const struct updown_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* updown_fail() with netlink's message. */
int updown_nl_fail(const struct updown_ctx *c, int ret);
/* "-4" or "-6", as ip(8) is told the family. */
const char *updown_ipv(int family);

/* SOCKET_DIR/IFNAME.sock exists and is a socket. */
bool updown_is_socket(const char *ifname);
void updown_sleep_ms(unsigned ms);
/* The directory of a path: "/etc/wireguard", "/", or ".". */
void updown_dir_of(const char *path, char *out, size_t size);
/* The prefix resolvconf's interface-order asks for ("" without one). */
void updown_resolvconf_prefix(char *prefix, size_t size);

/* Runs the hooks of one kind; a failing one stops the rest. */
int updown_run_hooks(const struct updown_ctx *c, enum conf_hook_kind kind) warn_unused;
/* The daemon's configuration (wgctl), *out to conf_free(). */
int updown_get_running(const struct updown_ctx *c, struct conf **out) warn_unused;
/* Names, checks, reads and parses the config file arg names. */
int updown_load_config(struct updown_ctx *c, const char *arg) warn_unused;
/* What up and down do first: refuse anyone but root, load the config,
 * open netlink. */
int updown_begin(struct updown_ctx *c, const char *arg) warn_unused;

/* SIGINT, SIGTERM and SIGHUP are held while up or down change things, and
 * looked at between steps, so that an interruption rolls back instead of
 * leaving half a tunnel. */
void updown_block_signals(struct updown_ctx *c);
bool updown_interrupted(void) warn_unused;
void updown_unblock_signals(struct updown_ctx *c);

/* --- state.c -------------------------------------------------------------- */

/* Opens STATE_DIR (made if missing, refused unless it is ours alone)
 * and takes the interface's lock, held until updown_unlock(). */
int updown_lock(struct updown_ctx *c) warn_unused;
void updown_unlock(struct updown_ctx *c);
/* 1 and *st filled in if there is a state file, 0 if there is none. */
int updown_state_load(struct updown_ctx *c, struct quick_state *st) warn_unused;
int updown_state_save(struct updown_ctx *c) warn_unused;
void updown_state_remove(struct updown_ctx *c);

/* --- undo.c --------------------------------------------------------------- */

int updown_undo(struct updown_ctx *c);
int updown_clean_stale(struct updown_ctx *c, struct quick_state *old) warn_unused;

/* --- tenant.c -------------------------------------------------------------- */

/* The namespace of the UDP sockets' netlink: home_nl, else nl. */
struct netlink *updown_home_nl(const struct updown_ctx *c);
/* up's preflight for c->netns: a valid name of an existing network
 * namespace, no DNS; nothing opened or changed. */
int updown_tenant_check(struct updown_ctx *c) warn_unused;
/* up: the link an earlier up (old) moved into its tenant is still there
 * under its name and index: that interface is up, not stale. */
bool updown_tenant_link_alive(struct updown_ctx *c, const struct quick_state *old) warn_unused;
/* Opens the tenant and a netlink socket there, and checks that the
 * interface's name is free in it. */
int updown_tenant_prepare(struct updown_ctx *c) warn_unused;
/* Moves the daemon's link into the tenant (recorded), then makes nl the
 * tenant's and enters it. */
int updown_tenant_move(struct updown_ctx *c) warn_unused;
/* down: the state's namespace opened and, if the link was moved there,
 * entered; 1, or 0 when the namespace is gone (its link, rules and tables
 * dropped from the state, tenant_gone set), or -errno having said why. */
int updown_tenant_resume(struct updown_ctx *c) warn_unused;
/* Back where rampart runs, everything of the tenant closed. */
void updown_tenant_leave(struct updown_ctx *c);
/* The thread into the daemon's namespace, or back into the tenant if
 * the link was moved; 0 or -errno having said why. */
int updown_enter_home(struct updown_ctx *c) warn_unused;
int updown_enter_tenant(struct updown_ctx *c) warn_unused;
/* The policy's WireGuard port table where the daemon runs
 * (fwapply_apply_uplink), recorded; its removal. */
int updown_apply_uplink(struct updown_ctx *c) warn_unused;
int updown_undo_uplink(struct updown_ctx *c) warn_unused;

/* --- up.c, down.c --------------------------------------------------------- */

int updown_run_up(struct updown_ctx *c, const char *arg) warn_unused;
int updown_run_down(struct updown_ctx *c, const char *arg) warn_unused;

#endif
