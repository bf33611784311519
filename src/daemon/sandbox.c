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

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Allowed whatever their arguments. */
static const int plain[] = {
	/* The data path and the control socket, on the descriptors the
	 * engine holds: TUN queues (read, write), UDP sockets (recvmmsg,
	 * sendmmsg, sendmsg for a single datagram), the control and
	 * statistics sockets and their clients (accept4, read, write), the
	 * eventfds, timerfd and signalfd (read, write), netlink (recvmsg),
	 * inotify (read); sendto is syslog()'s send on its socket. */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(sendto), SCMP_SYS(accept4),
	SCMP_SYS(close), SCMP_SYS(getsockname),
	/* Waiting: epoll (epoll_pwait is arm64's epoll_wait), locks and
	 * condition variables, the device's timer.  The clocks are read in
	 * the vDSO, which falls back to the system call when the clock
	 * source cannot be read from user space (some virtual machines). */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(futex),
	SCMP_SYS(timerfd_settime), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	/* daemon_run's set-up, after the filter today: the control loop's
	 * epoll set, timerfd, eventfds and signalfd, the link monitor's
	 * netlink socket (socket() below) and its inotify watch on the
	 * control socket's directory.  A watch takes a path: it can tell
	 * that a file changes, never read it. */
	SCMP_SYS(epoll_create1), SCMP_SYS(timerfd_create), SCMP_SYS(eventfd2),
	SCMP_SYS(signalfd4), SCMP_SYS(inotify_init1), SCMP_SYS(inotify_add_watch),
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
	/* The single-process daemon's own sockets: the control socket's
	 * presence is checked with stat() (newfstatat) when its directory
	 * changes, and both socket files are removed with unlink() when the
	 * daemon stops.  Neither opens anything; unlink() can remove a file
	 * the daemon's user could remove, which is why these go to the
	 * privileged parent with the process split. */
	SCMP_SYS(newfstatat), SCMP_SYS(unlink),
};

/* The options the UDP sockets are made with (udp.c): on the listen-port
 * change's new sockets, and SO_MARK for an fwmark change. */
static const struct { int level, name; } sockopts[] = {
	{ SOL_SOCKET, SO_RCVBUFFORCE }, { SOL_SOCKET, SO_RCVBUF },
	{ SOL_SOCKET, SO_SNDBUFFORCE }, { SOL_SOCKET, SO_SNDBUF },
	{ SOL_SOCKET, SO_REUSEPORT },   { SOL_SOCKET, SO_MARK },
	{ IPPROTO_IP, IP_PKTINFO },     { IPPROTO_IPV6, IPV6_V6ONLY },
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO },
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

/* socket(): UDP of both families exactly as udp.c makes them, for a
 * listen-port change (the privileged parent binds with the split); the
 * link monitor's NETLINK_ROUTE socket (daemon_run's set-up).  AF_UNIX
 * fails with EACCES instead of killing: glibc's syslog() reconnects to
 * /dev/log when a send fails, and a lost log line is better than a dead
 * tunnel.  The log socket itself is opened before the filter (LOG_NDELAY,
 * main.c's detach), and connect() is not allowed at all. */
static int add_sockets(scmp_filter_ctx ctx)
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
	{
		struct scmp_arg_cmp nl[] = {
			SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
			SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(SOCK_RAW | type)),
			SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE),
		};
		err = allow(ctx, SCMP_SYS(socket), 3, nl);
		if (err)
			return err;
	}
	err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (!err)
		err = add_ifqueries(ctx);
	if (err)
		return err;
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

int sandbox_apply(unsigned flags)
{
	scmp_filter_ctx ctx;
	int err = 0;

#ifdef RAMPART_DEBUG
	if (flags & ~(unsigned)SANDBOX_SANITIZER)
		return -EINVAL;
#else
	if (flags)
		return -EINVAL;
#endif
	/* syslog() stamps its lines with localtime(), which reads the zone
	 * file once: read it now, while files may still be opened. */
	tzset();
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	/* SYSRAWRC: the kernel's own errno when it refuses the filter. */
	err = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (!err)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (unsigned i = 0; !err && i < sizeof(plain) / sizeof(plain[0]); i++)
		err = allow(ctx, plain[i], 0, NULL);
	if (!err)
		err = add_sockets(ctx);
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
