/* A read-only view of the file system for a helper that stays uid 0: in
 * a mount namespace of its own, every mount read-only, nosuid and nodev,
 * but one directory writable.  Without CAP_DAC_OVERRIDE uid 0 is still
 * the owner of nearly every file on the host (/etc/shadow, the programs in /usr/bin),
 * so dropping capabilities alone would leave it free to rewrite them;
 * this takes that away.  Descriptors opened before the call still refer
 * to the old mounts: the caller opens again what it keeps. */
#ifndef RAMPART_SYS_CONFINE_H
#define RAMPART_SYS_CONFINE_H

#include "common/compiler.h"

struct error;

/* As root (CAP_SYS_ADMIN): unshare(CLONE_NEWNS), every mount a slave of
 * its original (mounts and unmounts on the host still reach us; nothing
 * of ours goes back), writable (an absolute path to a directory) bind
 * mounted on itself, every mount read-only, nosuid and nodev but that
 * one (nosuid, nodev), then checked: writing under / fails with EROFS.
 * 0, or -errno with the step in err; after a failure the process must
 * not go on. */
int confine_mounts(const char *writable, struct error *err) warn_unused;

#endif
