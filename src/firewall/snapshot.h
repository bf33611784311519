/* The snapshot the safe apply restores (firewall.h): a batch that puts
 * table inet `table` back as it is now ("add table" + "delete table" in
 * front, then nft's stateless listing, or nothing when the table is
 * absent), with a comment header saying when it was taken and whether
 * the table was there.  Internal to src/firewall. */
#ifndef RAMPART_FIREWALL_SNAPSHOT_H
#define RAMPART_FIREWALL_SNAPSHOT_H

#include "common/compiler.h"
#include "common/error.h"

#include <stddef.h>

struct textbuf;

/* Appends the snapshot of table inet `table` to s, checked to re-load
 * (dynamic sets' elements are left out if they keep it from
 * re-loading).  0, or -errno with a message in err. */
int snapshot_take(const char *table, struct textbuf *s, struct error *err) warn_unused;

#endif
