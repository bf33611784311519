/* rampartd: a userspace WireGuard implementation, a drop-in for
 * wireguard-go under wg(8) and wg-quick(8).
 *
 *   rampartd [-f|--foreground] [--stats-group GROUP] [--user USER] [--wait-engine] IFNAME
 *   rampartd --engine IFNAME
 *
 * Creates the TUN device IFNAME, the control socket
 * /var/run/wireguard/IFNAME.sock and the read-only statistics socket
 * /run/rampart-stats/IFNAME.stats (root:GROUP, mode 0660; GROUP from
 * --stats-group or RAMPART_STATS_GROUP, since wg-quick passes no options;
 * the daemon's own group, root's, without either, so only root may
 * connect), then (without -f) detaches, so that the command returns once
 * all three exist.  LOG_LEVEL=error|verbose|debug (as wireguard-go; also
 * silent, warn, info) sets the log level; when it is set, a detached
 * daemon keeps logging to the inherited stderr too.  The default is info,
 * not wireguard-go's error: the start, the stop and the event lines
 * (events.h) are what an operator reads in the journal, and wg-quick
 * starts the daemon with no LOG_LEVEL.  A detached daemon logs to syslog
 * (LOG_DAEMON, with its pid); stdin, stdout and (unless kept) stderr go
 * to /dev/null.  RAMPART_THREADS sets the number of data
 * threads (default: one per CPU, at most 8); RAMPART_OFFLOAD_OFF turns
 * offloads off (tun.h's enum offload; offloads_wanted).
 *
 * Started as root, the daemon splits in two once everything privileged
 * is open (privsep.h): a parent that keeps CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE and only answers typed requests, and the engine,
 * which runs the daemon as USER (--user; default "rampart" if that user
 * exists, else "nobody") in an empty root with no capability.  Started
 * as another user, it stays one process and keeps what it was given, as
 * before.  With --wait-engine the parent forks no engine: it waits for
 * `rampartd --engine IFNAME`, which systemd starts as the engine's user
 * (handover.h, contrib/systemd/rampartd-engine@.service), so that neither
 * unit needs the privileges of the other's part of the drop. */
#define _GNU_SOURCE
#include "daemon.h"
#include "handover.h"
#include "monitor.h"
#include "privsep.h"
#include "sandbox.h"

#include "common/error.h"
#include "common/log.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef RAMPART_VERSION
#define RAMPART_VERSION "0.1.0-dev"
#endif

enum { MAX_THREADS = 64, DEFAULT_MAX_THREADS = 8 };

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "Usage: %s [-f/--foreground] [--stats-group GROUP] [--user USER] "
		"[--wait-engine] INTERFACE-NAME\n"
		"       %s --engine INTERFACE-NAME\n", prog, prog);
}

/* The statistics socket's group: a name or a number, from where (the
 * option or the variable, for the message).  false if there is none such. */
static bool stats_group(const char *name, const char *where, gid_t *gid)
{
	struct group *gr = *name ? getgrnam(name) : NULL;
	char *end;
	unsigned long n;

	if (gr) {
		*gid = gr->gr_gid;
		return true;
	}
	errno = 0;
	n = *name ? strtoul(name, &end, 10) : 0;
	if (*name && !*end && !errno && n < (gid_t)-1 && name[0] != '-') {
		*gid = (gid_t)n;
		return true;
	}
	fprintf(stderr, "rampartd: %s %s: no such group\n", where, name);
	return false;
}

static unsigned thread_count(void)
{
	const char *s = getenv("RAMPART_THREADS");
	long n;

	if (s && *s) {
		char *end;
		n = strtol(s, &end, 10);
		if (*end || n < 1 || n > MAX_THREADS) {
			fprintf(stderr, "rampartd: RAMPART_THREADS=%s: not a number from 1 to %d\n", s,
				MAX_THREADS);
			exit(1);
		}
		return (unsigned)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return (unsigned)(n > DEFAULT_MAX_THREADS ? DEFAULT_MAX_THREADS : n);
}

/* The offloads to try: all but those RAMPART_OFFLOAD_OFF names (a comma
 * list of tso, uso, gso, gro, or all; tso off takes uso with it, since
 * both need the TUN's virtio-net header). */
static unsigned offloads_wanted(void)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = {
		{ "tso", OFFLOAD_TSO | OFFLOAD_USO }, { "uso", OFFLOAD_USO }, { "gso", OFFLOAD_GSO },
		{ "gro", OFFLOAD_GRO }, { "all", OFFLOAD_ALL },
	};
	const char *s = getenv("RAMPART_OFFLOAD_OFF");
	unsigned want = OFFLOAD_ALL;

	while (s && *s) {
		size_t len = strcspn(s, ",");
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncmp(s, names[i].name, len))
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "rampartd: RAMPART_OFFLOAD_OFF=%s: unknown offload '%.*s' "
				"(tso, uso, gso, gro or all)\n", getenv("RAMPART_OFFLOAD_OFF"), (int)len, s);
			exit(1);
		}
		want &= ~names[i].bits;
		s += len;
		s += *s == ',';
	}
	return want;
}

/* Detaches; returns in the child only.  The parent exits 0: the TUN
 * device and the socket already exist. */
static void detach(bool keep_stderr)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_open_syslog(keep_stderr);
}

/* The engine after its drop: the filter, then the daemon. */
static int engine_run(struct daemon *d, int fd)
{
	/* The filter last, once the engine has nothing left to give up, and
	 * before daemon_run starts the threads, which inherit it. */
	int ret = sandbox_apply(SANDBOX_BUILD_FLAGS | SANDBOX_ENGINE);

	if (ret) {
		log_error("cannot install the system-call filter: %s", strerror(-ret));
		daemon_uninit(d);
		close(fd);
		return 1;
	}
	ret = daemon_run(d);
	daemon_uninit(d);
	close(fd);
	return ret;
}

/* The engine's life after the fork (privsep.h): the drop, then the
 * daemon.  Nothing from the network or a client has been read yet, and
 * from the drop on nothing privileged is left to take. */
static int engine_main(struct daemon *d, int fd, uid_t uid, gid_t gid, pid_t parent)
{
	d->priv_fd = fd;
	if (privsep_engine_drop(uid, gid, parent)) {
		daemon_uninit(d);
		close(fd);
		return 1;
	}
	return engine_run(d, fd);
}

/* rampartd --engine IFNAME: the engine started by systemd as its user
 * (handover.h), which takes everything from IFNAME's parent. */
static int engine_external(struct daemon *d, const char *ifname)
{
	struct error err = { 0 };
	int fd;

	if (!geteuid()) {
		log_error("--engine runs as the engine's user (rampartd-engine@.service's User=), "
			  "not as root");
		return 1;
	}
	fd = handover_connect(ifname, HANDOVER_WAIT_MS, &err);
	if (fd < 0) {
		log_error("engine: cannot reach the parent of %s: %s", ifname, err.msg);
		return 1;
	}
	if (handover_adopt(d, fd, &err) || privsep_engine_drop_self()) {
		if (err.msg[0])
			log_error("engine: %s", err.msg);
		daemon_uninit(d);
		close(fd);
		return 1;
	}
	log_info("engine for %s: running as uid %u", ifname, (unsigned)getuid());
	return engine_run(d, fd);
}

static void block_stops(sigset_t *mask, sigset_t *old)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, mask, old);
}

/* The parent's system-call filter, once it has dropped; on failure the
 * engine is stopped by the end of its socket (fd).  0 or -errno. */
static int parent_filter(int fd)
{
	int err = sandbox_apply_parent(SANDBOX_BUILD_FLAGS);

	if (err) {
		log_error("cannot install the parent's system-call filter: %s: stopping",
			  strerror(-err));
		shutdown(fd, SHUT_WR);
	}
	return err;
}

/* rampartd --wait-engine IFNAME, as root: the parent of an engine that
 * systemd starts (handover.h).  It drops its own privileges first, waits
 * for the engine's user to connect, hands everything over and serves the
 * requests, as the forked parent does. */
static int wait_engine(struct daemon *d, uid_t uid)
{
	struct error err = { 0 };
	sigset_t mask, old;
	unsigned refused = 0;
	int lfd, sfd, fd, ret;

	block_stops(&mask, &old);
	if (privsep_prepare_root()) {
		daemon_uninit(d);
		return 1;
	}
	lfd = handover_listen(d->tun.name, &err);
	ret = lfd < 0 ? lfd : privsep_drop();
	if (ret) {
		if (lfd < 0)
			log_error("%s", err.msg);
		else
			log_error("cannot drop the parent's privileges: %s", strerror(-ret));
		if (lfd >= 0)
			handover_unlisten(lfd, d->tun.name);
		daemon_uninit(d);
		return 1;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	log_info("waiting for the engine (uid %u) on %s", (unsigned)uid, HANDOVER_DIR);
	fd = handover_accept(lfd, d->tun.name, uid, sfd, HANDOVER_WAIT_MS, &refused, &err);
	if (sfd >= 0)
		close(sfd);
	if (refused)
		log_warn("refused %u connection(s) from other users than the engine's", refused);
	if (fd < 0) {
		if (fd != -EINTR) /* a stop while waiting is no failure */
			log_error("%s", err.msg);
		daemon_uninit(d);
		return fd == -EINTR ? 0 : 1;
	}
	ret = handover_send(fd, d);
	if (ret) {
		log_error("handing over to the engine: %s", strerror(-ret));
		close(fd);
		daemon_uninit(d);
		return 1;
	}
	/* The engine has the monitor's descriptors; the parent reads
	 * neither the link nor the socket file. */
	monitor_close(d->monitor);
	d->monitor = NULL;
	ret = parent_filter(fd);
	ret = privsep_parent(d, fd, -1, &mask) || ret ? 1 : 0;
	daemon_uninit(d);
	return ret;
}

/* As root: the split.  The parent returns the engine's exit status once
 * the engine has ended, with the sockets removed and the TUN closed. */
static int split(struct daemon *d, uid_t uid, gid_t gid)
{
	sigset_t mask, old;
	pid_t parent = getpid(), pid;
	int sv[2], err, ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		log_error("socketpair: %s", strerror(errno));
		daemon_uninit(d);
		return 1;
	}
	/* Blocked before the fork, so that no stop is lost: the parent
	 * reads them from a signalfd and stops the engine; the engine
	 * blocks them again in daemon_run. */
	block_stops(&mask, &old);
	pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		daemon_uninit(d);
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return engine_main(d, sv[1], uid, gid, parent);
	}
	close(sv[1]);
	/* The parent reads neither the link nor the socket file. */
	monitor_close(d->monitor);
	d->monitor = NULL;
	err = privsep_drop();
	if (err) {
		log_error("cannot drop the parent's privileges: %s: stopping", strerror(-err));
		shutdown(sv[0], SHUT_WR); /* the engine stops on the end of its socket */
	} else {
		err = parent_filter(sv[0]);
	}
	ret = privsep_parent(d, sv[0], pid, &mask);
	daemon_uninit(d);
	return err ? 1 : ret;
}

/* One malloc arena for every thread.  glibc gives each thread that
 * contends an arena of its own, and shrinking such an arena's heap reads
 * /proc/sys/vm/overcommit_memory once (openat), which the engine's
 * filter kills: a data thread freeing packet buffers after an MTU change
 * did.  The main arena shrinks with brk() and madvise(), which the filter
 * allows; the data path allocates rarely (the pool keeps its buffers), so
 * sharing it costs nothing measurable. */
static void one_arena(void)
{
	(void)mallopt(M_ARENA_MAX, 1);
}

int main(int argc, char *argv[])
{
	static struct daemon d;
	const char *ifname = NULL, *level_env = getenv("LOG_LEVEL");
	const char *fg_env = getenv("WG_PROCESS_FOREGROUND");
	bool foreground = fg_env && !strcmp(fg_env, "1");
	const char *group_env = getenv("RAMPART_STATS_GROUP"), *group = NULL;
	const char *user = NULL, *user_used = NULL;
	bool separate = geteuid() == 0;
	enum { MODE_FORK, MODE_WAIT_ENGINE, MODE_ENGINE } mode = MODE_FORK;
	uid_t uid = 0;
	enum log_level level = LOG_LEVEL_INFO;
	/* Without a group, the socket keeps the daemon's own: root's when
	 * started as root (wg-quick, rampart up), so only root may connect;
	 * and a daemon with only CAP_NET_ADMIN still starts. */
	gid_t gid = (gid_t)-1, engine_gid = 0;
	int ret, err;

	one_arena();
	log_set_prefix("rampartd");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--foreground")) {
			foreground = true;
		} else if (!strcmp(argv[i], "--stats-group") && i + 1 < argc) {
			group = argv[++i];
		} else if (!strncmp(argv[i], "--stats-group=", 14)) {
			group = argv[i] + 14;
		} else if (!strcmp(argv[i], "--user") && i + 1 < argc) {
			user = argv[++i];
		} else if (!strncmp(argv[i], "--user=", 7)) {
			user = argv[i] + 7;
		} else if (!strcmp(argv[i], "--wait-engine")) {
			mode = MODE_WAIT_ENGINE;
		} else if (!strcmp(argv[i], "--engine")) {
			mode = MODE_ENGINE;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			printf("rampartd v%s\n", RAMPART_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, argv[0]);
			return 0;
		} else if (argv[i][0] == '-' || ifname) {
			usage(stderr, argv[0]);
			return 1;
		} else {
			ifname = argv[i];
		}
	}
	if (!ifname) {
		usage(stderr, argv[0]);
		return 1;
	}
	if (level_env && *level_env && !log_parse_level(level_env, &level)) {
		fprintf(stderr, "rampartd: LOG_LEVEL=%s: use error, verbose or debug\n", level_env);
		return 1;
	}
	if (mode == MODE_ENGINE) {
		log_set_level(level);
		if (crypto_init()) {
			log_error("Failed to initialise OpenSSL");
			return 1;
		}
		return engine_external(&d, ifname);
	}
	if (mode == MODE_WAIT_ENGINE && !separate) {
		fprintf(stderr, "rampartd: --wait-engine: the privileged parent runs as root\n");
		return 1;
	}
	if (group && !stats_group(group, "--stats-group", &gid))
		return 1;
	if (!group && group_env && *group_env &&
	    !stats_group(group_env, "RAMPART_STATS_GROUP", &gid))
		return 1;
	/* Before anything is opened: the user database is a file, which the
	 * engine's empty root will not have. */
	if (separate && (err = privsep_user_lookup(user, &uid, &engine_gid, &user_used))) {
		fprintf(stderr, "rampartd: the engine's user %s: %s\n", user_used,
			err == -EPERM ? "has uid or gid 0" : "no such user");
		return 1;
	}
	if (!separate && user)
		fprintf(stderr, "rampartd: --user %s: not root, so one process, this user's\n", user);
	log_set_level(level);
	if (crypto_init()) {
		log_error("Failed to initialise OpenSSL");
		return 1;
	}
	err = daemon_init(&d, ifname, thread_count(), offloads_wanted());
	if (!err)
		err = daemon_listen_stats(&d, gid);
	if (err) {
		daemon_uninit(&d);
		return 1;
	}
	if (!foreground)
		detach(level_env && *level_env);
	if (chdir("/"))
		log_warn("chdir /: %s", strerror(errno));
	if (mode == MODE_WAIT_ENGINE)
		return wait_engine(&d, uid);
	if (separate)
		return split(&d, uid, engine_gid);
	/* Not root: nothing to separate; drop what capabilities there are
	 * (a daemon given CAP_NET_ADMIN keeps it and CAP_NET_BIND_SERVICE). */
	err = privsep_drop();
	if (err) {
		log_error("cannot drop privileges: %s", strerror(-err));
		daemon_uninit(&d);
		return 1;
	}
	/* Before daemon_run starts the threads, which inherit it. */
	err = sandbox_apply(SANDBOX_BUILD_FLAGS);
	if (err) {
		log_error("cannot install the system-call filter: %s", strerror(-err));
		daemon_uninit(&d);
		return 1;
	}
	ret = daemon_run(&d);
	daemon_uninit(&d);
	return ret;
}
