/* rampartd's privilege separation (docs/design.md, "Processes"), in the
 * manner of OpenBSD's ntpd and bgpd.
 *
 * Started as root, rampartd opens everything privileged first (the TUN
 * queues, the UDP sockets, the control and statistics sockets, the link
 * and socket monitor), then splits in two over a SOCK_SEQPACKET
 * socketpair:
 *
 *   the parent  keeps CAP_NET_ADMIN and CAP_NET_BIND_SERVICE
 *               (privsep_drop) and the same open descriptions of the TUN
 *               queues and the UDP sockets; it answers the engine's typed
 *               requests (privreq.h) and nothing else; on SIGTERM, SIGINT
 *               or SIGHUP it stops the engine by shutting its end of the
 *               socket (kill(2) to another user needs CAP_KILL); when the
 *               engine ends it removes the sockets and closes the TUN, so
 *               the interface disappears;
 *   the engine  inherits every descriptor at fork, chroots to an empty
 *               directory, becomes an ordinary user with no capability in
 *               any set and no_new_privs (privsep_engine_drop), and runs
 *               the daemon; it asks the parent for a new listen port and
 *               for SO_MARK (privsep_bind_udp and the rest).
 *
 * Not started as root there is nothing to separate: one process, as
 * before (main.c). */
#ifndef RAMPART_DAEMON_PRIVSEP_H
#define RAMPART_DAEMON_PRIVSEP_H

#include "common/compiler.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct daemon;
struct udp_set;

/* The engine's empty root: made 0555 root:root if absent, and refused
 * unless it is a directory, owned by root, writable by nobody else and
 * empty. */
#define PRIVSEP_EMPTY_DIR "/run/rampart-empty"

/* The parent's drop: every capability goes but CAP_NET_ADMIN (SO_MARK,
 * socket buffers past rmem_max) and CAP_NET_BIND_SERVICE (a listen port
 * below 1024); the bounding set loses the rest and no_new_privs is set.
 * 0 or -errno.  Without privileges to drop (not root), 0. */
int privsep_drop(void) warn_unused;

/* The engine's user: name, or "rampart" if that user exists, else
 * "nobody".  0, or -ENOENT (no such user) or -EPERM (uid 0); *used
 * names the user looked up. */
int privsep_user_lookup(const char *name, uid_t *uid, gid_t *gid, const char **used) warn_unused;

/* In the engine, as root, once it holds every descriptor it needs:
 * chroot to PRIVSEP_EMPTY_DIR and chdir there, setgroups(0), setresgid,
 * setresuid, every capability set emptied (the bounding set before the
 * uid change), no_new_privs; then checks that setuid(0) fails and that no
 * capability is left, and that parent is still its parent (the engine
 * learns of the parent's end by its socket, in daemon_run).  Each step
 * is checked; 0, or -errno with
 * the step that failed logged.  The process must not go on after a
 * failure. */
int privsep_engine_drop(uid_t uid, gid_t gid, pid_t parent) warn_unused;

/* As root, for an engine that is not forked: PRIVSEP_EMPTY_DIR made and
 * checked as privsep_engine_drop does, which that engine's user cannot.
 * 0 or -errno, logged. */
int privsep_prepare_root(void) warn_unused;
/* The engine's drop when it was started as an ordinary user by systemd
 * (handover.h) with CAP_SYS_CHROOT and CAP_SETPCAP: the same empty root,
 * then every capability set emptied and no_new_privs (privdrop_caps),
 * checked.  0, or -errno with the step logged; fatal as the other. */
int privsep_engine_drop_self(void) warn_unused;

/* The parent's loop: serves requests on fd until the engine closes it or
 * exits; a signal of mask (blocked by the caller before the fork, read
 * here from a signalfd) stops the engine by the end of the socket.  Returns the engine's exit status
 * (1 if it was killed by a signal).  The engine is reaped.  engine -1:
 * an engine that is not our child (handover.h); 0 after a stop by
 * signal or one the engine made itself (its link deleted, its control
 * socket removed), else 1. */
int privsep_parent(struct daemon *d, int fd, pid_t engine, const sigset_t *mask);

/* The most descriptors privsep_send_fds sends: a handover's
 * (handover.h), more than a BIND_UDP answer's. */
#define PRIVSEP_MAX_SEND_FDS 200
/* One message of len bytes on fd with fds (n of them, at most
 * PRIVSEP_MAX_SEND_FDS) by SCM_RIGHTS.  0, -errno, or -EPROTO when it
 * went short. */
int privsep_send_fds(int fd, const void *buf, size_t len, const int *fds, unsigned n) warn_unused;
/* recvmsg on fd into mh (its iov and control buffer the caller's),
 * retried on EINTR, with the SCM_RIGHTS descriptors that came into fds
 * (up to max; *n_fds of them, the rest closed).  The message's length
 * or -errno; the caller checks the length and mh->msg_flags. */
ssize_t privsep_recv_fds(int fd, struct msghdr *mh, int *fds, unsigned max, unsigned *n_fds);

/* ---- the engine's requests, over fd; each waits for the parent's answer */

/* A new set of n_pairs pairs bound on port (1-65535) with fwmark, into
 * *out.  0, or the parent's -errno (-EADDRINUSE: the port is taken), or
 * -EPROTO when the answer is malformed. */
int privsep_bind_udp(int fd, uint16_t port, uint32_t fwmark, unsigned n_pairs,
		     struct udp_set *out) warn_unused;
/* The set of the last bind is now in use (use) or dropped. */
int privsep_commit_udp(int fd, bool use) warn_unused;
/* SO_MARK on the sockets in use; 0 or the parent's -errno. */
int privsep_set_fwmark(int fd, uint32_t fwmark) warn_unused;

#endif
