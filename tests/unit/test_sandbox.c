/* src/daemon/sandbox.c, in forked children (a filter cannot be removed):
 * without the filter each child's act succeeds (the negative control);
 * with it, execve, open, openat, creat, fork, ptrace, unshare, connect, a
 * TCP socket and executable memory die by SIGSYS, while what the engine
 * does (random bytes, a UDP socket bound and named, memory, a thread, the
 * control thread's look at its interface, a TUN queue asked whether its
 * device exists) goes on and the child exits 0.
 * With SANDBOX_ENGINE (an engine with a parent) a UDP socket and unlink()
 * die too, and the rest of what that engine does goes on.
 * The sanitizer's extras (debug builds) open files read-only only, still
 * refuse execve, and let a leak check at exit and an ASan report run to
 * their end. */
#define _GNU_SOURCE
#include "harness.h"

#include "daemon/sandbox.h"
#include "daemon/tun.h"
#include "sys/netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NO_FILTER = -1, PARENT_FILTER = -2, APPLY_FAILED = 100, ACT_FAILED = 101 };

/* Forks a child that installs the filter with flags (NO_FILTER: none),
 * runs act and exits with its result (0 = the act succeeded).  Returns
 * the wait status, or -1 if the child could not be made. */
static int in_child(int flags, int (*act)(void), int out_fd)
{
	const struct rlimit nocore = { 0, 0 };
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* A SIGSYS dumps core by default: not into the test's tree. */
		setrlimit(RLIMIT_CORE, &nocore);
		if (out_fd >= 0)
			dup2(out_fd, STDERR_FILENO);
		if (flags == PARENT_FILTER ? sandbox_apply_parent(0) != 0
					   : flags != NO_FILTER && sandbox_apply((unsigned)flags))
			_exit(APPLY_FAILED);
		_exit(act() ? ACT_FAILED : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool killed_by_sigsys(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static bool exited_0(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The acts: 0 when the call did what was asked. */
static int act_execve(void)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL };
	pid_t pid = fork();
	int status;

	/* execve replaces the process: run it in a grandchild when there is
	 * no filter, so the act reports /bin/true's exit status. */
	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(ACT_FAILED);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			       !WEXITSTATUS(status) ? 0 : -1;
}

static int act_execve_direct(void)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL };

	execve("/bin/true", argv, envp);
	return -1;
}

static int act_open(void)
{
	int fd = open("/etc/hostname", O_RDONLY);
	return fd >= 0 ? close(fd) : -1;
}

static int act_sys_open(void)
{
	int fd = (int)syscall(SYS_open, "/etc/hostname", O_RDONLY);
	return fd >= 0 ? close(fd) : -1;
}

static int act_openat(void)
{
	int fd = openat(AT_FDCWD, "/etc/hostname", O_RDONLY);
	return fd >= 0 ? close(fd) : -1;
}

static char scratch[64];
static bool is_root;

static int act_creat(void)
{
	int fd = creat(scratch, 0600);
	return fd >= 0 ? close(fd) : -1;
}

static int act_sys_creat(void)
{
	int fd = (int)syscall(SYS_creat, scratch, 0600);
	return fd >= 0 ? close(fd) : -1;
}

static int act_open_write(void)
{
	int fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	return fd >= 0 ? close(fd) : -1;
}

static int act_fork(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(0);
	return pid > 0 && waitpid(pid, &status, 0) == pid ? 0 : -1;
}

static int act_ptrace(void)
{
	/* Asks to be traced by the parent: harmless, and allowed unfiltered. */
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL) ? -1 : 0;
}

static int act_unshare(void)
{
	/* The child's own mount namespace: harmless without the filter. */
	return unshare(CLONE_NEWNS);
}

/* A UDP socket as the engine makes them, then connect(): not allowed. */
static int act_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	return close(fd);
}

static int act_tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 ? close(fd) : -1;
}

static int act_exec_memory(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED ? munmap(p, 4096) : -1;
}

/* What the engine does: random bytes, a UDP socket of each family as
 * udp.c makes them, bound to a random port and named, memory, a thread. */
static int udp_bound(int family)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int one = 1, fd, ret = -1;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return errno == EAFNOSUPPORT ? 0 : -1;
	/* SO_MARK needs CAP_NET_ADMIN: root only (known before the filter,
	 * which has no geteuid). */
	if (!setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) &&
	    (!is_root || !setsockopt(fd, SOL_SOCKET, SO_MARK, &one, sizeof(one))) &&
	    !bind(fd, (struct sockaddr *)&ss, sl) && !getsockname(fd, (struct sockaddr *)&ss, &sl))
		ret = 0;
	close(fd);
	return ret;
}

static void *thread_main(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

static int act_engine(void)
{
	uint8_t buf[32];
	pthread_t t;
	int seen = 0;
	void *p;

	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return -1;
	if (udp_bound(AF_INET) || udp_bound(AF_INET6))
		return -1;
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 4096, PROT_NONE) || munmap(p, 1 << 20))
		return -1;
	free(malloc(1 << 20));
	if (pthread_create(&t, NULL, thread_main, &seen) || pthread_join(t, NULL))
		return -1;
	return seen == 42 ? 0 : -1;
}

/* The control thread's own look at its interface after lost link events
 * (daemon.c: if_nametoindex, tun_mtu), and a zone's name from its index,
 * on the loopback. */
static int act_ifquery(void)
{
	struct tun lo = { .name = "lo" };
	char name[IF_NAMESIZE];

	lo.ifindex = if_nametoindex("lo");
	if (!lo.ifindex || tun_mtu(&lo) <= 0)
		return -1;
	/* A link-local endpoint's zone in a get (control.c). */
	return if_indextoname(lo.ifindex, name) && !strcmp(name, "lo") ? 0 : -1;
}

/* An AF_UNIX socket (syslog's reconnection) fails with EACCES, no kill. */
static int act_unix_refused(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd < 0 && errno == EACCES ? 0 : -1;
}

static void test_control(void)
{
	int (*const acts[])(void) = { act_execve, act_open, act_sys_open, act_openat, act_creat,
				      act_sys_creat, act_fork, act_unshare, act_connect, act_tcp,
				      act_exec_memory, act_engine, act_ifquery };

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		int st;

		if (acts[i] == act_unshare && !is_root) {
			printf("# test_control: not root: no mount namespace to unshare\n");
			continue;
		}
		st = in_child(NO_FILTER, acts[i], -1);
		CHECK_MSG(exited_0(st), "act %zu without the filter: status %#x", i, st);
	}
	unlink(scratch);
	/* PTRACE_TRACEME has no tracer to wait for: it only has to succeed. */
	CHECK(exited_0(in_child(NO_FILTER, act_ptrace, -1)));
}

static void test_kills(void)
{
	int (*const acts[])(void) = { act_execve_direct, act_open, act_sys_open, act_openat,
				      act_creat, act_sys_creat, act_fork, act_ptrace, act_unshare,
				      act_connect, act_tcp, act_exec_memory };

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		int st = in_child(0, acts[i], -1);
		CHECK_MSG(killed_by_sigsys(st), "act %zu with the filter: status %#x", i, st);
	}
	CHECK(access(scratch, F_OK) == -1 && errno == ENOENT);
}

static void test_allows(void)
{
	CHECK(exited_0(in_child(0, act_engine, -1)));
	CHECK(exited_0(in_child(0, act_unix_refused, -1)));
	CHECK(exited_0(in_child(0, act_ifquery, -1)));
}

/* The engine with a parent (SANDBOX_ENGINE) makes no UDP socket, and
 * unlinks nothing. */
static int act_udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	return fd >= 0 ? close(fd) : -1;
}

static int act_unlink(void)
{
	return unlink(scratch) && errno != ENOENT ? -1 : 0;
}

/* What that engine does: random bytes, memory, a thread, the interface
 * queries; the single-process act_engine less its UDP sockets. */
static int act_engine_separated(void)
{
	uint8_t buf[32];
	pthread_t t;
	int seen = 0;

	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) || act_ifquery())
		return -1;
	free(malloc(1 << 20));
	if (pthread_create(&t, NULL, thread_main, &seen) || pthread_join(t, NULL))
		return -1;
	return seen == 42 ? 0 : -1;
}

static void test_engine_flag(void)
{
	int eng = SANDBOX_ENGINE;

	/* The controls: both are allowed without the flag. */
	CHECK(exited_0(in_child(0, act_udp_socket, -1)));
	CHECK(exited_0(in_child(0, act_unlink, -1)));
	CHECK(killed_by_sigsys(in_child(eng, act_udp_socket, -1)));
	CHECK(killed_by_sigsys(in_child(eng, act_unlink, -1)));
	CHECK(killed_by_sigsys(in_child(eng, act_engine, -1)));
	CHECK(exited_0(in_child(eng, act_engine_separated, -1)));
	CHECK(exited_0(in_child(eng, act_unix_refused, -1)));
	CHECK(killed_by_sigsys(in_child(eng, act_execve_direct, -1)));
	CHECK(killed_by_sigsys(in_child(eng, act_open, -1)));
}

/* The parent's list: a UDP socket with its options bound, as for a
 * BIND_UDP; nothing of the engine's data path nor a file. */
static int act_parent(void)
{
	return udp_bound(AF_INET) || udp_bound(AF_INET6) ? -1 : 0;
}

static int act_epoll(void)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);
	return fd >= 0 ? close(fd) : -1;
}

static void test_parent(void)
{
	int (*const killed[])(void) = { act_execve_direct, act_open, act_openat, act_creat,
					act_fork, act_ptrace, act_connect, act_tcp,
					act_exec_memory, act_epoll };

	CHECK(exited_0(in_child(PARENT_FILTER, act_parent, -1)));
	CHECK(exited_0(in_child(PARENT_FILTER, act_unlink, -1)));
	CHECK(exited_0(in_child(NO_FILTER, act_epoll, -1)));
	for (size_t i = 0; i < sizeof(killed) / sizeof(killed[0]); i++) {
		int st = in_child(PARENT_FILTER, killed[i], -1);
		CHECK_MSG(killed_by_sigsys(st), "act %zu with the parent's filter: status %#x", i, st);
	}
}

/* A link moved to another namespace after lost link events (daemon.c's
 * relook): TUNGETIFF on a TUN queue, which the filter allows, says
 * whether the device exists; EBADFD once it is deleted.  In a network
 * namespace of the child's own, so nothing here sees the TUN. */
static struct tun tun_fixture;

static int act_tun_present(void)
{
	return tun_present(&tun_fixture) ? 0 : -1;
}

static int act_tun_gone(void)
{
	return tun_present(&tun_fixture) ? -1 : 0;
}

static int act_tun_lifetime(void)
{
	struct netlink *nl;
	int ret;

	if (unshare(CLONE_NEWNET) || tun_open(&tun_fixture, "tnsbx0", 1, 0))
		return -1;
	ret = exited_0(in_child(0, act_tun_present, -1)) ? 0 : -1;
	nl = netlink_open();
	if (!ret && (!nl || netlink_link_del(nl, tun_fixture.ifindex)))
		ret = -1;
	if (!ret && !exited_0(in_child(0, act_tun_gone, -1)))
		ret = -1;
	netlink_close(nl);
	tun_close(&tun_fixture);
	return ret;
}

static void test_tun_present(void)
{
	if (!is_root) {
		printf("# test_tun_present: not root: no TUN device to make\n");
		return;
	}
	CHECK(exited_0(in_child(NO_FILTER, act_tun_lifetime, -1)));
}

static void test_bad_flags(void)
{
	/* Refused before anything is installed: this process stays free. */
	CHECK(sandbox_apply(1u << 7) == -EINVAL);
	CHECK(sandbox_apply_parent(SANDBOX_ENGINE) == -EINVAL);
#ifndef RAMPART_DEBUG
	CHECK(sandbox_apply(SANDBOX_SANITIZER) == -EINVAL);
#endif
	CHECK(exited_0(in_child(NO_FILTER, act_open, -1)));
}

#ifdef RAMPART_DEBUG
/* Runs act in a filtered child with stderr in a pipe; returns the wait
 * status and leaves what it wrote in out. */
static int in_child_output(int flags, int (*act)(void), char *out, size_t cap)
{
	int p[2], st;
	size_t len = 0;
	ssize_t n;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return -1;
	st = in_child(flags, act, p[1]);
	close(p[1]);
	while (len + 1 < cap && (n = read(p[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	return st;
}

static bool leak_check_on(void)
{
	const char *o = getenv("ASAN_OPTIONS");
	return !o || !strstr(o, "detect_leaks=0");
}

static void *volatile leaked;

static int act_exit(void)
{
	exit(0); /* runs LeakSanitizer's check */
}

static int act_leak(void)
{
	leaked = malloc(48);
	leaked = NULL;
	exit(0);
}

static volatile size_t past_end = 16;

static int act_overflow(void)
{
	/* Through a volatile pointer, which hides the object's size from
	 * UBSan: ASan's report, not UBSan's. */
	char *volatile p = malloc(16);
	volatile char c = p ? p[past_end] : 0;

	(void)c;
	free(p);
	return -1;
}

static void test_sanitizer_extras(void)
{
	static char out[16384];
	int st;

	CHECK(killed_by_sigsys(in_child(SANDBOX_SANITIZER, act_execve_direct, -1)));
	CHECK(exited_0(in_child(SANDBOX_SANITIZER, act_open, -1)));
	CHECK(killed_by_sigsys(in_child(SANDBOX_SANITIZER, act_open_write, -1)));
	CHECK(killed_by_sigsys(in_child(SANDBOX_SANITIZER, act_creat, -1)));
	CHECK(killed_by_sigsys(in_child(SANDBOX_SANITIZER, act_fork, -1)));
	CHECK(access(scratch, F_OK) == -1 && errno == ENOENT);
	/* An ASan report is written whole, symbolized, instead of a SIGSYS. */
	st = in_child_output(SANDBOX_SANITIZER, act_overflow, out, sizeof(out));
	CHECK_MSG(st != -1 && !killed_by_sigsys(st) && !exited_0(st), "status %#x", st);
	CHECK_MSG(strstr(out, "heap-buffer-overflow") && strstr(out, "test_sandbox.c"), "status %#x: %s", st, out);
	if (!leak_check_on()) {
		printf("# test_sanitizer_extras: detect_leaks=0: no leak check to run\n");
		return;
	}
	/* The leak check at exit: killed by the engine's filter (the
	 * negative control), run to its end with the extras. */
	CHECK(killed_by_sigsys(in_child(0, act_exit, -1)));
	CHECK(exited_0(in_child(SANDBOX_SANITIZER, act_exit, -1)));
	st = in_child_output(SANDBOX_SANITIZER, act_leak, out, sizeof(out));
	CHECK_MSG(st != -1 && !killed_by_sigsys(st) && !exited_0(st), "status %#x", st);
	CHECK_MSG(strstr(out, "ERROR: LeakSanitizer: detected memory leaks"), "%s", out);
}
#endif

static const struct harness_case cases[] = {
	{ "without the filter every act succeeds (the control)", test_control },
	{ "with it execve, open, openat, creat, fork, ptrace, unshare, connect, TCP, PROT_EXEC die by SIGSYS",
	  test_kills },
	{ "with it the engine's calls go on; AF_UNIX fails with EACCES", test_allows },
	{ "the engine's flag: no UDP socket nor unlink, what it does goes on", test_engine_flag },
	{ "the parent's filter: a UDP set bound, no exec, open, fork, epoll or TCP", test_parent },
	{ "with it a TUN queue says whether its device exists (TUNGETIFF)", test_tun_present },
	{ "an unknown flag is refused", test_bad_flags },
#ifdef RAMPART_DEBUG
	{ "the sanitizer's extras: read-only opens, reports and the leak check", test_sanitizer_extras },
#endif
};

static void set_scratch(void) __attribute__((constructor));
static void set_scratch(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/rampart-test-sandbox.%d", (int)getpid());
	is_root = geteuid() == 0;
}

HARNESS_MAIN(cases)
