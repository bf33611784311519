/* Running other programs: PATH lookup, fork and exec, feeding stdin,
 * collecting stdout and waiting.  wg-quick's hooks and resolvconf go
 * through here; nftables does not (sys/nftables.h drives libnftables in
 * process), and neither does the daemon's own detach.
 *
 * Nothing here prints but the child's one line when exec fails: callers
 * turn the results into their own messages. */
#ifndef RAMPART_SYS_SPAWN_H
#define RAMPART_SYS_SPAWN_H

#include "common/compiler.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct textbuf;

enum {
	/* The most a child's collected stdout may hold (-EFBIG past it). */
	SPAWN_OUTPUT_MAX = 16 << 20,
	/* The exit status of a child that could not exec its program, as
	 * the shell reports a command not found. */
	SPAWN_EXEC_FAILED = 127,
};

/* Looks name up as execvp() would (a name with a '/' is taken as it is;
 * an unset or empty PATH is the usual default), so that a caller can say
 * "not found" before it forks.  The executable's path in out[size]. */
bool spawn_find(const char *name, char *out, size_t size) warn_unused;

/* The executable name in the directory of the running program
 * (/proc/self/exe), in out[size]: how a tool finds its companion program
 * in a build tree or an install prefix without PATH. */
bool spawn_find_beside_self(const char *name, char *out, size_t size) warn_unused;

/* Runs argv[0] (PATH searched) with argv and waits for it.
 *  mask: the signal mask the child starts with (NULL: the caller's), so
 *        that a caller blocking SIGINT for itself does not pass that on;
 *  in:   its stdin, in_len bytes, through a memfd that is wiped before it
 *        is closed (NULL: the caller's stdin); a memfd rather than a pipe,
 *        so that a large input never blocks against unread output;
 *  out:  its stdout, appended, at most SPAWN_OUTPUT_MAX bytes (NULL: the
 *        caller's stdout).  Its stderr is always the caller's.
 * 0 with the exit status in *status (128 + N for signal N; a child that
 * could not exec says why on stderr and exits SPAWN_EXEC_FAILED), or
 * -errno if it could not be started or its output not be read
 * (-EFBIG: too much of it). */
int spawn_run(char *const argv[], const sigset_t *mask, const char *in, size_t in_len,
	      struct textbuf *out, int *status) warn_unused;

#endif
