/* The snapshot the safe apply restores (firewall.h): a batch that puts
 * table inet `table` back as it is now ("add table" + "delete table" in
 * front, then nft's stateless listing, or nothing when the table is
 * absent), with a comment header saying when it was taken and whether
 * the table was there.  Internal to src/firewall. */
#ifndef RAMPART_FIREWALL_SNAPSHOT_H
#define RAMPART_FIREWALL_SNAPSHOT_H

#include "firewall.h"
#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

struct textbuf;

/* What the header of a snapshot says. */
struct snapshot_header {
	char table[FIREWALL_TABLE_STRLEN];
	long long taken; /* CLOCK_REALTIME, s */
	bool absent;     /* it restores "no table" */
	size_t body;     /* where the listing starts */
};

/* Appends the snapshot of table to s: the header lines, "add table" and
 * "delete table", then listing if the table exists.  0 or s's -errno. */
int snapshot_format(struct textbuf *s, const char *table, const char *listing, bool exists,
		    long long taken) warn_unused;
/* The header of len bytes of a snapshot, exactly as snapshot_format
 * writes it, its table named three times alike, and no NUL byte in the
 * whole text; 0, or -EBADMSG (*h zeroed).  The listing after it is
 * nft's to read. */
int snapshot_parse_header(const char *buf, size_t len, struct snapshot_header *h) warn_unused;

/* Appends the snapshot of table inet `table` to s, checked to re-load
 * (dynamic sets' elements are left out if they keep it from
 * re-loading).  0, or -errno with a message in err. */
int snapshot_take(const char *table, struct textbuf *s, struct error *err) warn_unused;

#endif
