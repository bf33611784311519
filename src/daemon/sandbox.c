/* The engine's system-call allow-list (sandbox.h), with libseccomp.
 *
 * The list was found by running rampartd's namespace suites with the
 * filter's default action at SCMP_ACT_LOG and reading the kernel's log
 * (type=1326 records) and under strace -ff, completed by reading the
 * paths the suites do not reach (a lost link event), then proven with
 * SCMP_ACT_KILL_PROCESS.  Argument
 * filters compare registers only, never memory: a path or a socket
 * address cannot be checked, so what takes one is either left out or
 * documented below. */
#define _GNU_SOURCE
#include "sandbox.h"

#include "common/compiler.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Allowed whatever their arguments. */
static const int plain[] = {
	/* The data path and the control socket, on the descriptors the
	 * engine holds: TUN queues (read, write; writev for a packet behind
	 * its virtio-net header and for merged segments), UDP sockets (recvmmsg,
	 * sendmmsg, sendmsg for a single datagram), the control and
	 * statistics sockets and their clients (accept4, read, write), the
	 * eventfds, timerfd and signalfd (read, write), netlink (recvmsg),
	 * inotify (read); sendto is syslog()'s send on its socket. */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(recvmmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(sendto),
	SCMP_SYS(accept4), SCMP_SYS(close), SCMP_SYS(getsockname),
	/* Waiting: epoll (epoll_pwait is arm64's epoll_wait), locks and
	 * condition variables, the device's timer.  The clocks are read in
	 * the vDSO, which falls back to the system call when the clock
	 * source cannot be read from user space (some virtual machines). */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(futex),
	SCMP_SYS(timerfd_settime), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	/* daemon_run's set-up, after the filter: the control loop's and
	 * each data thread's epoll set, the timerfd, the eventfds and the
	 * signalfd.  (The link monitor's netlink socket and inotify watch
	 * exist before the filter, in every mode: daemon_init.) */
	SCMP_SYS(epoll_create1), SCMP_SYS(timerfd_create), SCMP_SYS(eventfd2),
	SCMP_SYS(signalfd4),
	/* The crypto's randomness. */
	SCMP_SYS(getrandom),
	/* Memory (mmap and mprotect below): malloc's heap, arenas and large
	 * blocks (mremap: realloc of one). */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap),
	/* Signals: the mask every thread inherits, SIGPIPE ignored, returns
	 * from handlers. */
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),
	/* Threads: glibc's start and end of one (clone below). */
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* glibc's malloc sizes its arenas by the CPUs it may run on, when a
	 * thread first allocates. */
	SCMP_SYS(sched_getaffinity),
	/* The control socket's presence is checked with stat()
	 * (newfstatat) when its directory changes; in the engine's empty
	 * root the path never resolves. */
	SCMP_SYS(newfstatat),
};

/* Only a daemon without a parent (not started as root): it removes its
 * socket files with unlink() when it stops, which can remove any file
 * its user could; with a parent, the parent removes them, and the
 * engine's stat() of them fails in its empty root before any unlink(). */
static const int single_plain[] = { SCMP_SYS(unlink) };

/* The options the UDP sockets are made with (udp.c): on the listen-port
 * change's new sockets, and SO_MARK for an fwmark change. */
static const struct { int level, name; } sockopts[] = {
	{ SOL_SOCKET, SO_RCVBUFFORCE }, { SOL_SOCKET, SO_RCVBUF },
	{ SOL_SOCKET, SO_SNDBUFFORCE }, { SOL_SOCKET, SO_SNDBUF },
	{ SOL_SOCKET, SO_REUSEPORT },   { SOL_SOCKET, SO_MARK },
	{ IPPROTO_IP, IP_PKTINFO },     { IPPROTO_IPV6, IPV6_V6ONLY },
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO }, { SOL_UDP, UDP_GRO },
};

static int allow(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

/* Interface names and numbers: when the link monitor lost events
 * (ENOBUFS) the control thread looks for its interface itself
 * (if_nametoindex, tun_mtu), and a link-local endpoint's zone goes from a
 * name to an index in a set and back in a get (control.c).  glibc and
 * tun_mtu() ask the kernel on a plain AF_INET datagram socket (glibc
 * tries AF_UNIX first, which fails below), with read-only ioctls.  A
 * link moved to another namespace cannot be asked for by name:
 * tun_present() reads TUNGETIFF (name and flags, read-only) on a TUN
 * queue the engine holds. */
static int add_ifqueries(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp query[] = {
		SCMP_A0(SCMP_CMP_EQ, AF_INET),
		SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(SOCK_DGRAM | SOCK_CLOEXEC)),
		SCMP_A2(SCMP_CMP_EQ, 0),
	};
	const unsigned long requests[] = { SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFMTU, TUNGETIFF };
	int err = allow(ctx, SCMP_SYS(socket), 3, query);

	for (unsigned i = 0; !err && i < sizeof(requests) / sizeof(requests[0]); i++) {
		struct scmp_arg_cmp req = SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)requests[i]);
		err = allow(ctx, SCMP_SYS(ioctl), 1, &req);
	}
	return err;
}

/* socket(): AF_UNIX fails with EACCES instead of killing: glibc's
 * syslog() reconnects to /dev/log when a send fails, and a lost log line
 * is better than a dead tunnel.  The log socket itself is opened before
 * the filter (LOG_NDELAY, main.c's detach), and connect() is not allowed
 * at all.  The interface queries' socket (add_ifqueries). */
static int add_sockets(scmp_filter_ctx ctx)
{
	int err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
				   SCMP_A0(SCMP_CMP_EQ, AF_UNIX));

	return err ? err : add_ifqueries(ctx);
}

/* Only a daemon without a parent: UDP sockets of both families exactly as
 * udp.c makes them, bound and given their options, for a listen-port or
 * fwmark change, which the privileged parent makes for an engine. */
static int add_udp(scmp_filter_ctx ctx)
{
	const int type = SOCK_NONBLOCK | SOCK_CLOEXEC;
	const int families[] = { AF_INET, AF_INET6 };
	int err;

	for (unsigned i = 0; i < 2; i++) {
		struct scmp_arg_cmp udp[] = {
			SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]),
			SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(SOCK_DGRAM | type)),
			SCMP_A2(SCMP_CMP_EQ, IPPROTO_UDP),
		};
		err = allow(ctx, SCMP_SYS(socket), 3, udp);
		if (err)
			return err;
	}
	/* bind() takes a pointer: the family was fixed by socket(). */
	err = allow(ctx, SCMP_SYS(bind), 0, NULL);
	for (unsigned i = 0; !err && i < sizeof(sockopts) / sizeof(sockopts[0]); i++) {
		struct scmp_arg_cmp opt[] = {
			SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)sockopts[i].level),
			SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)sockopts[i].name),
		};
		err = allow(ctx, SCMP_SYS(setsockopt), 2, opt);
	}
	return err;
}

/* Memory and threads. */
static int add_process(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp noexec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	/* A thread shares everything; clone()'s flags are its first
	 * argument on x86-64 and arm64 (not on s390). */
	struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	/* abort() (an assertion, glibc's checks) signals the process itself. */
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	int err;

	/* Never executable memory: no new code in the process. */
	err = allow(ctx, SCMP_SYS(mmap), 1, &noexec);
	if (!err)
		err = allow(ctx, SCMP_SYS(mprotect), 1, &noexec);
	if (!err)
		err = allow(ctx, SCMP_SYS(clone), 1, &thread);
	/* clone3() passes its flags in memory, which a filter cannot read:
	 * ENOSYS makes glibc fall back to clone(). */
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, self);
	return err;
}

#ifdef RAMPART_DEBUG
/* The sanitizers' runtime, debug builds only.  A report (ASan, UBSan)
 * reads /proc/self/maps and the binary's debug information (readlink of
 * /proc/self/exe, lseek) to symbolize its stack trace, and aborts with
 * abort_on_error (tgkill of itself, as in release builds);
 * LeakSanitizer's check at exit starts a tracer (clone without
 * CLONE_THREAD, sharing the memory: prctl for its death signal and
 * dumpability, getppid), which lists /proc/self/task (getdents), attaches
 * to every thread with ptrace and reads their registers, while the
 * process waits for it (wait4, sched_yield, fcntl).  Files are opened
 * read-only: no write, create or truncate.  Found by removing calls until
 * tests/unit/test_sandbox.c's report and leak cases failed. */
static const int sanitizer_plain[] = {
	SCMP_SYS(readlink), SCMP_SYS(lseek), SCMP_SYS(getdents), SCMP_SYS(ptrace),
	SCMP_SYS(wait4), SCMP_SYS(prctl), SCMP_SYS(getppid), SCMP_SYS(fcntl),
	SCMP_SYS(sched_yield),
};

static int add_sanitizer(scmp_filter_ctx ctx)
{
	const scmp_datum_t write_bits = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
	struct scmp_arg_cmp rdonly = SCMP_A2(SCMP_CMP_MASKED_EQ, write_bits, 0);
	struct scmp_arg_cmp tracer =
		SCMP_A0(SCMP_CMP_EQ, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED);
	struct scmp_arg_cmp rdonly_open = SCMP_A1(SCMP_CMP_MASKED_EQ, write_bits, 0);
	/* A report asks whether stderr is a terminal, for colours. */
	struct scmp_arg_cmp tty = SCMP_A1(SCMP_CMP_EQ, TCGETS);
	/* The sanitizers' own open() is the open system call on x86-64. */
	int err = allow(ctx, SCMP_SYS(open), 1, &rdonly_open);

	if (!err)
		err = allow(ctx, SCMP_SYS(openat), 1, &rdonly);
	if (!err)
		err = allow(ctx, SCMP_SYS(ioctl), 1, &tty);
	if (!err)
		err = allow(ctx, SCMP_SYS(clone), 1, &tracer);
	for (unsigned i = 0; !err && i < sizeof(sanitizer_plain) / sizeof(sanitizer_plain[0]); i++)
		err = allow(ctx, sanitizer_plain[i], 0, NULL);
	return err;
}
#endif

/* The privileged parent's calls after its drop (privsep.c's loop, the
 * actions of its requests, the end of the daemon), found as the engine's
 * were (strace -ff over tests/netns/privsep.sh and handover.sh): its
 * requests socket and signalfd (made at the loop's start; poll, recv,
 * sendmsg, read), a new UDP set
 * (socket, setsockopt, bind, getsockname, close: add_udp), the end of
 * the engine (shutdown, wait4, the grace period's sleeps), and its own
 * end: the socket files removed (newfstatat, unlink), the link looked for
 * by name (add_ifqueries), the descriptors closed. */
static const int parent_plain[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(sendto),
	SCMP_SYS(getsockname), SCMP_SYS(shutdown), SCMP_SYS(wait4), SCMP_SYS(newfstatat),
	SCMP_SYS(unlink), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(restart_syscall), SCMP_SYS(futex), SCMP_SYS(brk),
	SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(getrandom), SCMP_SYS(signalfd4),
};

/* The filter's frame: kill by default, the kernel's errno, every thread. */
static scmp_filter_ctx filter_new(int *err)
{
	scmp_filter_ctx ctx;

	/* syslog() stamps its lines with localtime(), which reads the zone
	 * file once: read it now, while files may still be opened. */
	tzset();
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	/* SYSRAWRC: the kernel's own errno when it refuses the filter. */
	*err = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (!*err)
		*err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	return ctx;
}

/* The parts every filter has: memory without PROT_EXEC, abort(), and
 * the sanitizers' extras when asked for; then loaded. */
static int filter_finish(scmp_filter_ctx ctx, unsigned flags, int err)
{
	(void)flags;
	if (!err)
		err = add_process(ctx);
#ifdef RAMPART_DEBUG
	if (!err && (flags & SANDBOX_SANITIZER))
		err = add_sanitizer(ctx);
#endif
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

int sandbox_apply_parent(unsigned flags)
{
	scmp_filter_ctx ctx;
	int err;

#ifdef RAMPART_DEBUG
	if (flags & ~(unsigned)SANDBOX_SANITIZER)
		return -EINVAL;
#else
	if (flags)
		return -EINVAL;
#endif
	ctx = filter_new(&err);
	if (!ctx)
		return err;
	for (unsigned i = 0; !err && i < ARRAY_SIZE(parent_plain); i++)
		err = allow(ctx, parent_plain[i], 0, NULL);
	if (!err)
		err = add_sockets(ctx);
	if (!err)
		err = add_udp(ctx);
	return filter_finish(ctx, flags, err);
}

int sandbox_apply(unsigned flags)
{
	scmp_filter_ctx ctx;
	int err = 0;

#ifdef RAMPART_DEBUG
	if (flags & ~(unsigned)(SANDBOX_SANITIZER | SANDBOX_ENGINE))
		return -EINVAL;
#else
	if (flags & ~(unsigned)SANDBOX_ENGINE)
		return -EINVAL;
#endif
	ctx = filter_new(&err);
	if (!ctx)
		return err;
	for (unsigned i = 0; !err && i < ARRAY_SIZE(plain); i++)
		err = allow(ctx, plain[i], 0, NULL);
	if (!err)
		err = add_sockets(ctx);
	if (!err && !(flags & SANDBOX_ENGINE))
		err = add_udp(ctx);
	for (unsigned i = 0; !err && !(flags & SANDBOX_ENGINE) && i < ARRAY_SIZE(single_plain); i++)
		err = allow(ctx, single_plain[i], 0, NULL);
	return filter_finish(ctx, flags, err);
}
