/* The safe apply's state, per interface, in FIREWALL_STATE_DIR/IF.fw/
 * (firewall.h says what each file holds and when it changes): the
 * directory and its lock, the pending record of an open confirm window,
 * and the outcome of the last window.  Internal to src/firewall.
 *
 * Functions return 0 or -errno (with a message in err where they take
 * one); every change happens under the lock. */
#ifndef RAMPART_FIREWALL_FWDIR_H
#define RAMPART_FIREWALL_FWDIR_H

#include "firewall.h"
#include "conf/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;

#define FW_LOCK "lock"
#define FW_SNAPSHOT "snapshot.nft"
#define FW_PENDING "pending"
#define FW_OUTCOME "outcome"

enum {
	NS_PER_SEC = 1000000000,
	NS_PER_MS = 1000000,
	FWDIR_ID_STRLEN = 48,
	FWDIR_REASON_STRLEN = 256,
};

struct fwdir {
	int dirfd;
	int lockfd;
	char ifname[CONF_IFNAME_MAX + 1];
	char table[FIREWALL_TABLE_STRLEN];
	char path[64]; /* FIREWALL_STATE_DIR/IF.fw */
};

/* CLOCK_BOOTTIME, ns: the clock of every deadline. */
uint64_t fwdir_boottime_ns(void);

void fwdir_init(struct fwdir *d);
/* Closes the lock (releasing it) and the directory; fwdir_init'ed is fine. */
void fwdir_close(struct fwdir *d);
/* Opens FIREWALL_STATE_DIR/IF.fw, creating it (0700) if create; -ENOENT
 * (err untouched) if it is not there and !create. */
int fwdir_open(struct fwdir *d, const char *ifname, bool create, struct error *err) warn_unused;
/* Takes the lock; -ESTALE if the directory was removed meanwhile. */
int fwdir_lock(struct fwdir *d, struct error *err) warn_unused;
void fwdir_unlock(struct fwdir *d);
/* fwdir_open and fwdir_lock: 1 locked, 0 there is none (!create), -errno. */
int fwdir_open_locked(struct fwdir *d, const char *ifname, bool create, struct error *err) warn_unused;
/* A whole state file: -ENOENT if absent, -EPERM if not ours or writable
 * by others.  Free *text with textbuf_free_text(*text, *len). */
int fwdir_read_file(int dirfd, const char *name, char **text, size_t *len) warn_unused;

/* --- the pending record ---------------------------------------------------------- */

struct fwdir_pending {
	char id[FWDIR_ID_STRLEN];
	uint64_t deadline;        /* CLOCK_BOOTTIME, ns */
	unsigned secs;            /* the window's length */
	long long applied;        /* CLOCK_REALTIME, s */
	long guard;               /* the guard's pid, 0 before it runs */
	const char *restore;      /* points into text */
	char *text;               /* the file, owned */
	size_t len;
};

void fwdir_pending_free(struct fwdir_pending *p);
/* The record as bytes: the magic line, then "id ID", "deadline N",
 * "window N", "applied N" and "guard N" lines, then "restore:" and the
 * batch to its end.  Appends p's record (p->restore and p->text unused)
 * with restore to t; 0 or t's -errno. */
int fwdir_pending_format(struct textbuf *t, const struct fwdir_pending *p,
			 const char *restore) warn_unused;
/* Reads len bytes of a record into *p, which owns a copy of them (free
 * with fwdir_pending_free).  Header lines in any order, a repeated one
 * counting the last time; applied and guard may be absent; numbers are
 * plain decimal (applied may be negative), deadline up to 2^64-1, window
 * 2^32-1, guard a pid (INT_MAX); an id is 1 to FWDIR_ID_STRLEN-1 bytes.
 * 0, -ENOMEM, or -EBADMSG (*p zeroed): no magic, no restore mark, an
 * unknown or bad line, a missing one, a NUL byte anywhere. */
int fwdir_pending_parse(const char *buf, size_t len, struct fwdir_pending *p) warn_unused;
int fwdir_pending_write(struct fwdir *d, const struct fwdir_pending *p,
			const char *restore) warn_unused;
/* 0 and *p (free with fwdir_pending_free), -ENOENT, or -errno (-EBADMSG:
 * not a pending record). */
int fwdir_pending_read(int dirfd, struct fwdir_pending *p) warn_unused;
/* Whether the pending record is there and is window id (no lock: the
 * file is replaced whole). */
bool fwdir_pending_is(int dirfd, const char *id) warn_unused;

/* --- the outcome ------------------------------------------------------------------ */

enum fwdir_outcome { FWDIR_KEPT, FWDIR_ROLLED_BACK, FWDIR_FLUSHED, FWDIR_FAILED };
/* As written in the file: "kept", "rolled-back", ... */
extern const char *const fwdir_outcome_words[];

struct fwdir_outcome_record {
	char id[FWDIR_ID_STRLEN];
	enum fwdir_outcome outcome;
	char reason[FWDIR_REASON_STRLEN];
};

/* The outcome as bytes: "id ID", "result WORD" and "reason TEXT" lines.
 * Appends the record to t, reason made one line (newlines become
 * spaces) and cut to FWDIR_REASON_STRLEN-1 bytes; 0 or t's -errno. */
int fwdir_outcome_format(struct textbuf *t, const char *id, enum fwdir_outcome o,
			 const char *reason) warn_unused;
/* Reads len bytes of an outcome into *r: lines in any order, the last of
 * each kind counting, others ignored; the reason cut as the writer cuts
 * it.  0, or -EBADMSG (*r zeroed): no id of 1 to FWDIR_ID_STRLEN-1 bytes,
 * no known result, a NUL byte. */
int fwdir_outcome_parse(const char *buf, size_t len, struct fwdir_outcome_record *r) warn_unused;
/* Best effort: the outcome only informs a waiting command. */
void fwdir_outcome_write(struct fwdir *d, const char *id, enum fwdir_outcome o,
			 const char *reason);
/* The outcome of window id (NULL: of the last window): 0 and *o,
 * *reason; -ENOENT if the file is absent or about another window. */
int fwdir_outcome_read(int dirfd, const char *id, enum fwdir_outcome *o, char *reason,
		       size_t rlen) warn_unused;

#endif
