/* Keeping a few capabilities for good while staying uid 0, for a
 * long-lived helper that still needs them (the confirm window's guard
 * keeps CAP_NET_ADMIN to write its nftables table): every other
 * capability leaves every set, exec can never give any back, and the
 * result is checked rather than trusted.  privdrop.h is the other way,
 * for a process that needs no capability at all and leaves uid 0. */
#ifndef RAMPART_SYS_CAPS_H
#define RAMPART_SYS_CAPS_H

#include "common/compiler.h"

#include <stdint.h>

struct error;

/* A set as a bit mask: bit N is capability N (linux/capability.h). */
#define CAPS_BIT(cap) (UINT64_C(1) << (cap))

/* As uid 0 with CAP_SETPCAP: drops every capability outside keep from
 * the bounding set, clears the ambient set, locks the securebits so that
 * uid 0 gains nothing at exec or setuid (SECBIT_NOROOT,
 * SECBIT_NO_SETUID_FIXUP, SECBIT_NO_CAP_AMBIENT_RAISE, each _LOCKED),
 * sets permitted = effective = keep and inheritable empty, and sets
 * PR_SET_NO_NEW_PRIVS; then caps_check.  0, or -errno with the step that
 * failed in err; after a failure the process holds an unknown part of
 * its privileges and must not go on. */
int caps_keep(uint64_t keep, struct error *err) warn_unused;

/* Whether the calling thread holds exactly keep: effective = permitted =
 * bounding = keep, inheritable and ambient empty, no_new_privs set.  0,
 * or -EPERM naming the first set that differs (-errno if it cannot be
 * read). */
int caps_check(uint64_t keep, struct error *err) warn_unused;

#endif
