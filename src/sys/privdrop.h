/* Giving up root for good, for a process that serves the network (the
 * metrics exporter): the groups, the gid and the uid of an ordinary
 * user, no capability in any set, no_new_privs; then the drop is checked
 * rather than trusted (OpenBSD's daemons verify theirs the same way). */
#ifndef RAMPART_SYS_PRIVDROP_H
#define RAMPART_SYS_PRIVDROP_H

#include "common/compiler.h"

#include <stddef.h>
#include <sys/types.h>

struct error;

/* As root: empties the capability bounding set and the ambient set, sets
 * the supplementary groups to exactly groups (n of them, none if 0),
 * then the gid and the uid (real, effective and saved), and
 * PR_SET_NO_NEW_PRIVS.  Then checks: the ids are the ones asked for,
 * setuid(0) fails, and no capability is left in the effective,
 * permitted, inheritable, bounding or ambient set.  uid must not be 0.
 * 0, or -errno with the step that failed in err; the process must not
 * go on after a failure (it may hold part of its privileges). */
int privdrop_to(uid_t uid, gid_t gid, const gid_t *groups, size_t n, struct error *err) warn_unused;
/* The same for a process that is already an ordinary user (started so by
 * systemd's User=, with at most CAP_SETPCAP and what it used before):
 * keeps its ids and groups (dropping groups needs CAP_SETGID), empties
 * the bounding set (with CAP_SETPCAP), the ambient, inheritable,
 * permitted and effective sets, sets PR_SET_NO_NEW_PRIVS, then checks as
 * privdrop_to does.  -EPERM for a uid or gid of 0. */
int privdrop_caps(struct error *err) warn_unused;

#endif
