/* Applying nftables batches, safely.  The policy renderer (nftpolicy) and
 * the panic renderer below are pure functions from a model to text; this
 * module is the small edge that hands text to the kernel, through
 * libnftables (no shell, no nft(8) process, no temporary file).
 *
 * Rampart owns exactly one table per interface, `table inet rampart-IF`,
 * plus `table inet rampart-panic`; nothing here touches any other table.
 *
 * Safe apply (firewall_apply): the batch is checked (a dry run, what
 * `nft -c` does), the table as it is now is saved (a stateless listing,
 * or "absent"), the batch replaces the table in one transaction, and,
 * with a confirm window, a detached guard process restores the saved
 * table at the deadline unless someone confirms first, also when the
 * command that applied was killed with SIGKILL (with its process group)
 * or the SSH connection that ran it went down with it.
 *
 * State, per interface, in FIREWALL_STATE_DIR/IF.fw/ (0700, root's):
 *   lock          flock(2): every change of the table and of the files
 *                 below happens under it (apply, confirm, rollback,
 *                 flush, the guard's restore); removed only by
 *                 firewall_forget, with the directory, while held
 *   snapshot.nft  the table as it was before the last apply, as an nft
 *                 batch that restores it (`nft -f snapshot.nft` works by
 *                 hand too); kept after the apply so that rollback works
 *                 after a confirmed or windowless apply as well
 *   pending       an open confirm window: id, deadline, guard pid and the
 *                 batch that restores the table
 *   outcome       how the last window ended (kept, rolled back, flushed,
 *                 failed), for the command still waiting on it
 * Every file is written whole and renamed into place, so a reader without
 * the lock sees the old file or the new one.
 *
 * The guard leaves the caller's session and process group but not its
 * cgroup: run from a systemd service, stopping the unit stops the guard
 * too (and the window is then closed by the next command that looks).  Files and directories that
 * are not root's (the caller's euid), or are writable by anyone else, are
 * refused.
 *
 * Functions return 0 or -errno.  When they fail, err (common/error.h)
 * says why, with what nft said where nft refused.  Nothing here prints or reads a
 * terminal: firewall_apply speaks to the operator through the caller's
 * struct firewall_ui. */
#ifndef RAMPART_FIREWALL_FIREWALL_H
#define RAMPART_FIREWALL_FIREWALL_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct textbuf;

#define FIREWALL_STATE_DIR "/run/rampart"
#define FIREWALL_TABLE_PREFIX "rampart-"
#define FIREWALL_PANIC_TABLE "rampart-panic"

enum {
	/* "rampart-" + an interface name (15) + NUL */
	FIREWALL_TABLE_STRLEN = 8 + 15 + 1,
	/* The window when the caller asks for one without a length
	 * (the contract: 60 s when interactive). */
	FIREWALL_CONFIRM_DEFAULT_SECS = 60,
	FIREWALL_CONFIRM_MAX_SECS = 24 * 3600,
	/* How often a waiting apply looks at the terminal and the window. */
	FIREWALL_POLL_MS = 100,
	/* The waiting apply leaves the deadline to the guard, and does the
	 * guard's work itself only this long after it (the guard was
	 * killed).  Any apply, confirm or rollback that finds a window past
	 * its deadline rolls it back at once, under the lock. */
	FIREWALL_GUARD_GRACE_MS = 2000,
	/* The largest table listing or state file we read back. */
	FIREWALL_FILE_MAX = 64 << 20,
	/* panic on: at most this many --ssh-from prefixes. */
	FIREWALL_PANIC_MAX_FROM = 64,
	/* Rampart's per-interface tables hook at priority filter (0); the
	 * panic table's base chains run before them. */
	FIREWALL_PANIC_PRIORITY = -200,
	FIREWALL_SSH_PORT_DEFAULT = 22,
};

/* --- names (nft.c) ---------------------------------------------------------- */

/* An interface name Rampart can make a table for: wg-quick's
 * ^[a-zA-Z0-9_=+.-]{1,15}$ without '=' and '+' (nft 1.0.6 takes no quoted
 * table names, and these are not in its identifiers), and not "panic",
 * whose table would be the panic table. */
bool firewall_valid_ifname(const char *ifname) warn_unused;
/* "rampart-IF" into buf; -EINVAL if !firewall_valid_ifname(ifname). */
int firewall_table_name(char buf[FIREWALL_TABLE_STRLEN], const char *ifname) warn_unused;

/* --- talking to nftables (nft.c; the scope check: scope.c) ------------------ */

/* A dry run of the batch (nft -c): parsed, evaluated and sent to the
 * kernel, which checks it and commits nothing.  -EINVAL (or -EPERM when
 * the kernel said "Operation not permitted") with nft's messages in err,
 * each starting "line N:COLUMNS:" for the batch line it complained about. */
int firewall_check(const char *batch, struct error *err) warn_unused;
/* The batch as one transaction: all of it or, on error, nothing.  Errors
 * as for firewall_check. */
int firewall_run(const char *batch, struct error *err) warn_unused;
/* `nft [-s] list table inet NAME` appended to out.  stateless (-s) leaves
 * out counter values, quota usage and the like: the form the snapshot
 * uses.  A table that does not exist is no error: *exists false, nothing
 * appended. */
int firewall_list_table(const char *name, bool stateless, struct textbuf *out,
			bool *exists, struct error *err) warn_unused;
/* `nft list ruleset` appended to out. */
int firewall_list_ruleset(struct textbuf *out, struct error *err) warn_unused;

/* Pure: 0 if every top-level statement of batch (ended by a newline or
 * ';' outside braces; strings and comments skipped) stays in table inet
 * `table` ("define" and friends allowed); else -EINVAL with the first
 * offending line, quoted, in err.  What firewall_apply checks first. */
int firewall_check_scope(const char *batch, const char *table, struct error *err) warn_unused;

/* --- safe apply (firewall.c; its state: fwdir.c, snapshot.c, window.c) ------ */

/* What a message to the operator is; the caller decides how each looks
 * (the CLI: as wg-quick and `rampart up` have always printed them). */
enum firewall_ui_kind {
	/* Why the command fails: "WHO: LINE". */
	FIREWALL_UI_ERROR,
	/* Something went wrong that does not stop it: "WHO: warning: LINE". */
	FIREWALL_UI_WARNING,
	/* Something the operator should know, no fault of the command's (a
	 * rollback begins, an interface was already gone): "[!] LINE". */
	FIREWALL_UI_NOTICE,
	/* A warning wg-quick gives too, in wg-quick's words, which scripts
	 * look for: "Warning: LINE". */
	FIREWALL_UI_QUICK_WARNING,
};

/* The operator's side of a confirm window, of fwapply's progress and of
 * `rampart up` and `down` (quick/updown.h): the libraries never print
 * nor read a terminal themselves, the caller (the CLI) does it through
 * these.  Every member may be NULL; without a ui at all nothing is said,
 * and the window ends only by firewall_confirm/firewall_rollback from
 * another command, a signal, or the deadline.  All are called from the
 * applying thread, never from the guard. */
struct firewall_ui {
	/* The change on ifname is applied and its window of secs seconds
	 * runs: say how to confirm it. */
	void (*window_open)(void *arg, const char *ifname, unsigned secs);
	/* Polled while the window is open: waits up to wait_ms for the
	 * operator (it must not return sooner unless interrupted by a
	 * signal), true once they confirmed. */
	bool (*confirmed)(void *arg, unsigned wait_ms);
	/* One line of progress (fwapply.h: "nft: table inet ...", "sysctl
	 * -w KEY=VALUE"; updown.h: "ip link add wg0 type wireguard"),
	 * without its "[#] " and newline. */
	void (*progress)(void *arg, const char *line);
	/* An error, warning or notice, without the decoration its kind
	 * stands for and without a newline (it may hold several lines, as
	 * nft's messages do). */
	void (*message)(void *arg, enum firewall_ui_kind kind, const char *line);
	void *arg;
};

struct firewall_apply_opts {
	/* 0: apply at once, no window.  Otherwise the change is rolled
	 * back unless confirmed within this many seconds
	 * (1..FIREWALL_CONFIRM_MAX_SECS). */
	unsigned confirm_secs;
	/* How the operator hears of the window and confirms it; NULL:
	 * nobody is asked. */
	const struct firewall_ui *ui;
};

/* Replaces table inet rampart-IF with what batch describes, in one
 * transaction ("add table" + "delete table" are put in front, so the
 * batch describes the whole new table; a batch that has them already is
 * fine).  The batch may name no other table: every top-level command must
 * be confined to table inet rampart-IF ("define" is allowed, "include"
 * and "flush ruleset" are not); else -EINVAL and nothing is done.
 *
 * In order: a live confirm window on IF is refused (-EBUSY); an expired
 * one whose guard is gone is rolled back first; the batch is checked;
 * the table is snapshotted, and the snapshot is checked to re-load (if
 * elements of dynamic sets keep it from re-loading they are left out:
 * they are rate-limiter state, refilled by traffic); then:
 *
 * Without a window (confirm_secs 0): the batch is applied, snapshot.nft
 * replaced, *kept true.
 *
 * With a window: the pending record is written, the guard is started
 * (fork, setsid, fork: outside the caller's session and process group,
 * stdio on /dev/null) and reports that it runs, and only then is the
 * batch applied.  The guard sleeps until the deadline (CLOCK_BOOTTIME,
 * so time suspended counts) and, unless the window was closed, restores
 * the snapshot in one transaction (our table deleted and re-created, or
 * just deleted if it was absent) and says so to syslog.  Meanwhile this
 * function waits, looking every FIREWALL_POLL_MS: it tells opts->ui
 * that the window is open and asks it each time whether the operator
 * confirmed (the CLI prints how to, and takes an Enter on its terminal);
 * SIGINT, SIGTERM or SIGHUP roll back at once
 * (the handlers are installed only for the wait, then the previous ones
 * come back).  firewall_confirm / firewall_rollback / firewall_flush from
 * another command end the window too.  *kept says how it ended; when
 * false, err says why ("not confirmed within 60 s", ...), and the return
 * value is still 0.
 *
 * -errno when nothing was applied (check failed: err holds nft's
 * messages; snapshot or state files failed), or when a rollback that had
 * to happen failed (-EIO; the pending record stays so the next command
 * tries again). */
int firewall_apply(const char *ifname, const char *batch,
		   const struct firewall_apply_opts *opts, bool *kept,
		   struct error *err) warn_unused;

/* Keeps the change of the open window on IF: the guard exits, the
 * waiting apply returns kept.  -ENOENT if no window is open (err says
 * whether the last one was rolled back), -ETIME if its deadline has
 * passed (it is then rolled back here, if the guard has not done so). */
int firewall_confirm(const char *ifname, struct error *err) warn_unused;
/* Restores table inet rampart-IF as it was before the last apply: an open
 * window is closed (the waiting apply returns not kept) and its snapshot
 * restored; otherwise snapshot.nft.  -ENOENT if nothing was ever applied
 * (since boot: /run is a tmpfs).  *had_window (may be NULL) says whether
 * a window was open. */
int firewall_rollback(const char *ifname, bool *had_window, struct error *err) warn_unused;
/* Deletes table inet rampart-IF; no error if it is absent.  An open
 * window is closed (the waiting apply returns not kept, its guard exits)
 * so that nothing brings the table back.  snapshot.nft stays. */
int firewall_flush(const char *ifname, bool *had_window, struct error *err) warn_unused;

/* Removes IF's state directory (snapshot, outcome, lock): what `rampart
 * down` does after deleting the table, so that nothing of the interface
 * is left.  -EBUSY while a confirm window is open; a directory that does
 * not exist is no error. */
int firewall_forget(const char *ifname, struct error *err) warn_unused;

/* For `rampart firewall show`: read without the lock, never changed. */
struct firewall_state {
	bool pending;            /* a confirm window is open */
	long long ms_left;       /* pending: to the deadline (< 0: overdue) */
	unsigned window_secs;    /* pending: its length */
	pid_t guard;             /* pending: the guard's pid, 0 if not yet known */
	bool guard_alive;        /* pending: a process of that pid exists */
	bool snapshot;           /* snapshot.nft exists */
	bool snapshot_absent;    /* it restores "no table" */
	time_t snapshot_time;    /* CLOCK_REALTIME: when it was taken */
	char snapshot_path[80];
	/* How the last window ended: "kept (confirmed)", "rolled back (not
	 * confirmed within 60 s)", ...; "" if none since boot. */
	char last_window[300];
};
int firewall_get_state(const char *ifname, struct firewall_state *st, struct error *err) warn_unused;

/* --- who is asking (session.c) ------------------------------------------------ */

/* SSH_CONNECTION as sshd sets it: "CLIENT_IP CLIENT_PORT SERVER_IP
 * SERVER_PORT", single spaces.  A zone on a link-local client ("%eth0")
 * is dropped and an IPv4-mapped IPv6 client becomes IPv4, since packets
 * carry neither.  false (outputs untouched) if s does not have that form. */
bool firewall_parse_ssh_connection(const char *s, struct netaddr *client,
				   uint16_t *server_port) warn_unused;

/* --- panic (panic.c) ----------------------------------------------------------- */

struct firewall_panic {
	/* Prefixes SSH may come from (host bits are ignored). */
	const struct netaddr_prefix *ssh_from;
	size_t n_ssh_from;
	uint16_t ssh_port;       /* the SSH server's port for ssh_from */
	/* The SSH session that runs the command (SSH_CONNECTION): its
	 * client may reach session_port, stateless, so the session survives
	 * whatever conntrack knows or does not know about it. */
	bool session;
	struct netaddr session_client;
	uint16_t session_port;
};

/* Pure: the batch that replaces table inet rampart-panic with base chains
 * input, forward and output at priority FIREWALL_PANIC_PRIORITY (before
 * Rampart's interface tables), policy drop, accepting only: loopback;
 * tcp to ssh_port from ssh_from, and the replies (tcp from ssh_port, on
 * established connections); the session's client to and from
 * session_port; IPv6 neighbour discovery (hop limit 255), without which
 * an IPv6 SSH path dies once the neighbour cache expires.  Nothing else:
 * no DNS, no DHCP, no forwarding. */
void firewall_panic_render(struct textbuf *out, const struct firewall_panic *p);
/* Renders and applies it in one transaction (replacing an earlier panic
 * table); immediate, no window.  The interface tables are left alone. */
int firewall_panic_on(const struct firewall_panic *p, struct error *err) warn_unused;
/* Deletes table inet rampart-panic; no error if absent.  *was_on (may be
 * NULL) says whether it existed. */
int firewall_panic_off(bool *was_on, struct error *err) warn_unused;
int firewall_panic_active(bool *on, struct error *err) warn_unused;

#endif
