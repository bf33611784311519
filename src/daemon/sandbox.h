/* rampartd's system-call allow-list (libseccomp), installed once the TUN
 * device, the UDP sockets and the control and statistics sockets exist
 * and the capabilities are dropped (privsep.h): anything not on the list
 * kills the whole process with SIGSYS (SCMP_ACT_KILL_PROCESS).  The
 * engine may read and write the descriptors it holds, make threads,
 * memory (never executable), timers and wake-ups, and (without a parent:
 * SANDBOX_ENGINE says which) UDP sockets for a listen-port change; it may not execute, open or create a file, fork,
 * trace, mount or load anything.  sandbox.c gives each call its reason;
 * docs/design.md the whole.
 *
 * The filter is inherited by every thread and child made after it and
 * cannot be removed.  It is installed with SCMP_FLTATR_CTL_TSYNC, so a
 * thread that already exists gets it too (rampartd has none yet: its
 * threads start in daemon_run). */
#ifndef RAMPART_DAEMON_SANDBOX_H
#define RAMPART_DAEMON_SANDBOX_H

#include "common/compiler.h"

enum sandbox_flags {
	/* Debug (sanitizer) builds only: what ASan, UBSan and LeakSanitizer
	 * need to write a report and check for leaks at exit (read-only
	 * opens of /proc files and the binary, the leak checker's tracer
	 * process and its ptrace).  -EINVAL in a release build. */
	SANDBOX_SANITIZER = 1 << 0,
	/* An engine with a privileged parent (privsep.h): no UDP socket,
	 * bind() or socket option of its own (the parent binds and marks),
	 * and no unlink() (the parent removes the socket files). */
	SANDBOX_ENGINE = 1 << 1,
};

/* The flags rampartd installs with: the sanitizer's extras in debug
 * builds (-DRAMPART_DEBUG, the tests' build/san/rampartd), none in a
 * release build. */
#ifdef RAMPART_DEBUG
#define SANDBOX_BUILD_FLAGS SANDBOX_SANITIZER
#else
#define SANDBOX_BUILD_FLAGS 0
#endif

/* Installs the filter on the calling process (every thread).  0, or
 * -errno: -EINVAL for an unknown flag, -ENOMEM, or libseccomp's error
 * (-EACCES, -EFAULT, ...) when the kernel refuses the filter.  Sets
 * no_new_privs (which the kernel requires of a process without
 * CAP_SYS_ADMIN).  Call it single-threaded or with every thread able to
 * take the filter. */
int sandbox_apply(unsigned flags) warn_unused;
/* The privileged parent's own, narrower list, installed after its drop
 * (main.c): its request loop, a new UDP set and SO_MARK for the engine,
 * the engine's end and its own; no execve, open, fork, ptrace, mount
 * either.  flags: SANDBOX_SANITIZER only.  0 or -errno as above. */
int sandbox_apply_parent(unsigned flags) warn_unused;

#endif
