/* The kernel network settings of the hardening policy (issue 5, point 3):
 * forwarding only where the host routes, reverse-path filtering, no ICMP
 * redirects, no source routing, SYN cookies and martian logging.
 *
 * Two halves.  sysctls_plan() and sysctls_render() are pure: from the
 * role and a few facts about the interface they decide which keys get
 * which values, and why.  The rest acts on the plan through the files of
 * sys/sysctl.h, under a root directory that the caller passes
 * ("/proc/sys", SYSCTL_PROC_ROOT, in production; a temporary tree in the
 * tests): apply a plan recording what was there before, restore exactly
 * what was changed, report expected against actual, and persist a plan
 * to /etc/sysctl.d/90-rampart-IFNAME.conf when asked.
 *
 * Every key here exists once per network namespace, so a tunnel in a
 * namespace hardens that namespace only.  Functions return 0 or -errno
 * and, on failure, write a message naming the key and path into err;
 * nothing here prints. */
#ifndef RAMPART_FIREWALL_SYSCTLS_H
#define RAMPART_FIREWALL_SYSCTLS_H

#include "common/compiler.h"
#include "common/error.h"
#include "sys/sysctl.h"

#include <stdbool.h>
#include <stddef.h>

struct textbuf;

enum {
	/* 25 settings at most today (see sysctls.c). */
	SYSCTLS_PLAN_MAX = 32,
};

/* The roles that matter to the kernel settings; the policy's role maps
 * onto these one to one. */
enum sysctls_role {
	SYSCTLS_ROLE_HUB,    /* relays between peers: forwards */
	SYSCTLS_ROLE_CLIENT, /* an end host: does not forward for the tunnel */
	SYSCTLS_ROLE_SITE,   /* gateway between the tunnel and local networks */
};

/* "hub", "client", "site". */
const char *sysctls_role_name(enum sysctls_role role);

/* --- the plan (pure) -------------------------------------------------------- */

struct sysctls_input {
	enum sysctls_role role;
	bool ipv4, ipv6;   /* the interface carries IPv4 / IPv6 traffic */
	/* Default routes through the tunnel with wg-quick's fwmark policy
	 * routing (a peer with 0.0.0.0/0 or ::/0, Table not off). */
	bool full_tunnel;
	const char *ifname; /* the tunnel interface */
	const char *wan;    /* the WAN interface; "" or NULL if unknown */
};

/* One key and the value the policy wants for it. */
struct sysctls_setting {
	/* sysctl(8)'s spelling: components separated by '.', a '.' inside
	 * an interface name written as '/' (net.ipv4.conf.eth0/100.rp_filter
	 * is /proc/sys/net/ipv4/conf/eth0.100/rp_filter). */
	char key[SYSCTL_KEY_MAX];
	char value[SYSCTL_VALUE_MAX];
	/* The key may be absent without that being an error: IPv6 keys when
	 * the interface carries no IPv6 (the host may run without IPv6). */
	bool optional;
	const char *reason; /* why: short static text */
	const char *source; /* the seed guide's checklist item (or the issue) */
};

struct sysctls_plan {
	enum sysctls_role role;
	char ifname[SYSCTL_IFNAME_MAX + 1];
	size_t n;
	struct sysctls_setting s[SYSCTLS_PLAN_MAX]; /* in the order applied */
};

/* The settings for in, in the order in which they are applied.  0, or
 * -EINVAL (an unknown role, a missing or invalid interface name) with a
 * message in err. */
int sysctls_plan(const struct sysctls_input *in, struct sysctls_plan *out,
		 struct error *err) warn_unused;

/* --- applying (side effects) ------------------------------------------------ */

/* What became of a change when it was taken back. */
enum sysctls_undo {
	SYSCTLS_UNDO_NONE,     /* not taken back (yet) */
	SYSCTLS_UNDO_RESTORED, /* the previous value is back */
	SYSCTLS_UNDO_KEPT,     /* changed by someone else since: left alone */
	SYSCTLS_UNDO_GONE,     /* the key no longer exists (interface deleted) */
	SYSCTLS_UNDO_FAILED,   /* writing the previous value failed */
};

/* One value that apply changed. */
struct sysctls_change {
	char key[SYSCTL_KEY_MAX];
	char prev[SYSCTL_VALUE_MAX]; /* before apply */
	char set[SYSCTL_VALUE_MAX];  /* what apply wrote */
	enum sysctls_undo undo;
};

/* The changes of one apply, in the order they were made.  Keys that
 * already had the wanted value are not in it: they are not ours to
 * restore. */
struct sysctls_applied {
	size_t n;
	struct sysctls_change c[SYSCTLS_PLAN_MAX];
};

/* Applies plan under root, all or nothing: each key is read and, if its
 * value differs, written and recorded in *done.  An optional key that
 * does not exist is skipped.  On failure (a required key missing, a write
 * refused) the changes made so far are taken back at once, as
 * sysctls_restore() does, and the error names the key that failed; the
 * undo field of each entry in *done then says how taking it back went
 * (SYSCTLS_UNDO_FAILED: still changed). */
int sysctls_apply(const char *root, const struct sysctls_plan *plan,
		  struct sysctls_applied *done, struct error *err) warn_unused;
/* The same, write-ahead: record(done, arg, err), if not NULL, is called
 * with each change in *done before the key is written, so that a caller
 * can keep a durable record that a kill between the two cannot lose (a
 * key recorded but not written is found still at its previous value,
 * and restore leaves it alone).  A failing record stops the apply as a
 * failed write does, its error kept. */
int sysctls_apply_recorded(const char *root, const struct sysctls_plan *plan,
			   struct sysctls_applied *done,
			   int (*record)(const struct sysctls_applied *done, void *arg, struct error *err),
			   void *arg, struct error *err) warn_unused;

/* Takes back the changes in *done, last first (forwarding last: turning
 * IPv4 forwarding off also turns all.accept_redirects back on, and that
 * must come after the redirect keys have been restored).  A key is
 * restored only if it still holds the value apply set; a key changed
 * since is left alone, and a key that no longer exists (the tunnel's own
 * keys after its deletion) is skipped; the undo field of each entry says
 * which.  0, or the first write error (every other entry is still tried)
 * with its key in err. */
int sysctls_restore(const char *root, struct sysctls_applied *done,
		    struct error *err) warn_unused;

/* The record of an apply as text for a state file: one line per change,
 * "KEY<TAB>PREV<TAB>SET\n"; the empty string for no changes. */
void sysctls_applied_format(struct textbuf *t, const struct sysctls_applied *done);
/* The inverse.  0, or -EINVAL with "line N: ..." in err (a malformed
 * line, an invalid key, more than SYSCTLS_PLAN_MAX lines). */
int sysctls_applied_parse(const char *buf, size_t len, struct sysctls_applied *out,
			  struct error *err) warn_unused;

/* --- reporting (`rampart firewall show`) ------------------------------------ */

enum sysctls_status {
	SYSCTLS_OK,      /* the value is the expected one */
	SYSCTLS_DIFFERS, /* the value is another one */
	SYSCTLS_MISSING, /* a required key does not exist */
	SYSCTLS_ABSENT,  /* an optional key does not exist: nothing to do */
};

/* "ok", "differs", "missing", "absent". */
const char *sysctls_status_name(enum sysctls_status status);

struct sysctls_check {
	const struct sysctls_setting *setting; /* in the plan given */
	char actual[SYSCTL_VALUE_MAX];        /* "" when the key does not exist */
	enum sysctls_status status;
};

struct sysctls_report {
	size_t n;
	struct sysctls_check c[SYSCTLS_PLAN_MAX]; /* in the plan's order */
};

/* Reads every key of plan under root.  0, or the -errno of a read that
 * failed for another reason than the key's absence, naming the key.  The
 * report points into plan, which must outlive it. */
int sysctls_report(const char *root, const struct sysctls_plan *plan,
		   struct sysctls_report *out, struct error *err) warn_unused;
/* Every key OK or ABSENT. */
bool sysctls_report_ok(const struct sysctls_report *r) warn_unused;

/* --- persisting (--persist-sysctls) ----------------------------------------- */

/* The text of the sysctl.d file for plan: a header comment, then per
 * setting a comment with its reason and a "key = value" line.  Keys that
 * may be absent at boot (the tunnel's own, which appear with the
 * interface, and optional ones) start with '-', which systemd-sysctl and
 * procps' sysctl read as "ignore a failure".  -EINVAL if a key cannot be
 * written in that format (an interface name with '='); errors are also
 * recorded in t->err. */
int sysctls_render(struct textbuf *t, const struct sysctls_plan *plan) warn_unused;

/* Writes sysctls_render()'s text to dir/90-rampart-IFNAME.conf
 * (sysctl_persist; sysctl_unpersist removes it). */
int sysctls_persist(const char *dir, const struct sysctls_plan *plan,
		    struct error *err) warn_unused;

#endif
