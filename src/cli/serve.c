/* rampart metrics serve --listen ADDR:PORT [--user USER] [--config FILE]
 * [IFNAME...]: rampart metrics over HTTP (monitor/exporter.h), in the
 * foreground until SIGTERM or SIGINT (exit 0).
 *
 * The process as root: it binds the listening socket, reads the peers'
 * names from the config files (which hold private keys and are root's
 * alone) once and wipes every key out of what it keeps, learns the
 * groups of the interfaces' statistics sockets, then drops to USER
 * (default nobody) with exactly those groups as its supplementary groups
 * and no capability (sys/privdrop.h, which checks the drop).  From then
 * on it reads statistics only through the statistics sockets, whose
 * replies carry no key: it cannot obtain a private key, and it has no
 * control socket to ask.  Started by another user it does no drop and
 * refuses --user.
 *
 * The interfaces are fixed at start: the IFNAMEs, or every interface
 * with a live control socket then.  A statistics socket in root's group
 * is refused (the daemon was started without --stats-group or
 * RAMPART_STATS_GROUP, and nobody but root may read it).  Each scrape
 * makes one get per interface; one that does not answer is rampart_up 0,
 * said by the scrape, not on stderr.
 *
 * Exit status 2 for a usage error (a bad --listen value, an unknown
 * user), 1 for a failure (the port in use, a missing statistics socket,
 * the drop), each one line on stderr naming the value. */
#define _GNU_SOURCE
#include "cli.h"

#include "common/error.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "ctl/socket.h"
#include "monitor/exporter.h"
#include "monitor/metrics.h"
#include "sys/privdrop.h"
#include "uapi/device.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	/* Each step of a get on a statistics socket, so that a stopped
	 * daemon costs a scrape seconds, not wgctl's default 15. */
	SERVE_GET_TIMEOUT_MS = 3000,
	SERVE_EXIT_USAGE = 2,
};

struct serve {
	char **names;     /* from wgctl_list_interfaces, or NULL */
	const char **ifnames;
	struct conf **confs; /* the peers' names; every key wiped */
	size_t n;
	gid_t groups[16]; /* the statistics sockets' groups */
	size_t n_groups;
};

static void usage(void)
{
	printf("Usage: %s metrics serve --listen <addr>:<port> [--user <user>] "
	       "[--config <file>] [<interface>...]\n"
	       "\n  Serves /metrics over HTTP (a suggested port: %d).\n"
	       "  <addr>:<port> is A.B.C.D:PORT, [IPV6]:PORT, or :PORT for every\n"
	       "  address.  As root it reads the peers' names, then runs as <user>\n"
	       "  (default nobody) and reads each interface's statistics socket\n"
	       "  (start rampartd with --stats-group GROUP or RAMPART_STATS_GROUP).\n",
	       prog_name, EXPORTER_DEFAULT_PORT);
}

/* Nothing secret is kept past the drop: the names only need the keys'
 * public halves. */
static void wipe_secrets(struct conf *c)
{
	if (!c)
		return;
	explicit_bzero(c->private_key, sizeof(c->private_key));
	c->has_private_key = false;
	for (size_t i = 0; i < c->n_peers; i++) {
		explicit_bzero(c->peers[i].preshared_key, sizeof(c->peers[i].preshared_key));
		c->peers[i].has_preshared_key = false;
	}
}

/* The group of ifname's statistics socket, added to s->groups. */
static int add_group(struct serve *s, const char *ifname)
{
	char path[128];
	struct error err = { 0 };
	struct stat st;

	if (wgctl_stats_path(ifname, path, sizeof(path), &err)) {
		fprintf(stderr, "%s metrics serve: %s: %s\n", prog_name, ifname, err.msg);
		return -1;
	}
	if (stat(path, &st)) {
		fprintf(stderr, "%s metrics serve: %s: no statistics socket %s: %s\n", prog_name,
			ifname, path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "%s metrics serve: %s: %s is not a socket\n", prog_name, ifname, path);
		return -1;
	}
	if (!st.st_gid) {
		fprintf(stderr, "%s metrics serve: %s: %s is root's alone (group root): start "
			"rampartd with --stats-group GROUP or RAMPART_STATS_GROUP\n", prog_name, ifname,
			path);
		return -1;
	}
	for (size_t i = 0; i < s->n_groups; i++)
		if (s->groups[i] == st.st_gid)
			return 0;
	if (s->n_groups == sizeof(s->groups) / sizeof(s->groups[0])) {
		fprintf(stderr, "%s metrics serve: %s: more than %zu statistics groups\n", prog_name,
			ifname, s->n_groups);
		return -1;
	}
	s->groups[s->n_groups++] = st.st_gid;
	return 0;
}

static int scrape(void *arg, struct textbuf *o)
{
	struct serve *s = arg;
	struct metrics_interface *ifs = calloc(s->n ? s->n : 1, sizeof(*ifs));
	struct uapi_device **devs = calloc(s->n ? s->n : 1, sizeof(*devs));
	struct error err = { 0 };

	if (!ifs || !devs) {
		free(ifs);
		free(devs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		ifs[i].name = s->ifnames[i];
		if (wgctl_get_stats(s->ifnames[i], &devs[i], &err))
			devs[i] = NULL;
		ifs[i].dev = devs[i];
		ifs[i].conf = s->confs[i];
	}
	metrics_render(o, ifs, s->n);
	{
		/* The firewall's counters need CAP_NET_ADMIN, which this
		 * process gave up: they are `rampart metrics`' (the textfile
		 * collector, as root). */
		struct metrics_host host = { 0 };

		cli_conntrack("metrics serve", &host);
		metrics_render_host(o, &host);
	}
	for (size_t i = 0; i < s->n; i++)
		uapi_device_free(devs[i]);
	free(devs);
	free(ifs);
	return 0;
}

/* Blocks until SIGTERM or SIGINT (blocked by the caller). */
static void wait_for_stop(const sigset_t *mask)
{
	for (;;) {
		int sig = sigwaitinfo(mask, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

static void serve_free(struct serve *s)
{
	for (size_t i = 0; s->confs && i < s->n; i++)
		conf_free(s->confs[i]);
	free(s->confs);
	free(s->ifnames);
	wgctl_list_free(s->names);
}

/* The interfaces, their names (wiped of keys) and, as root, the groups. */
static int gather(struct serve *s, char **argv, int n, const char *config, bool root)
{
	struct error err = { 0 };

	if (n) {
		s->n = (size_t)n;
	} else if (wgctl_list_interfaces(&s->names, &s->n, &err)) {
		fprintf(stderr, "%s metrics serve: cannot list interfaces: %s\n", prog_name, err.msg);
		return 1;
	}
	s->ifnames = calloc(s->n ? s->n : 1, sizeof(*s->ifnames));
	s->confs = calloc(s->n ? s->n : 1, sizeof(*s->confs));
	if (!s->ifnames || !s->confs) {
		fprintf(stderr, "%s metrics serve: out of memory\n", prog_name);
		return 1;
	}
	for (size_t i = 0; i < s->n; i++) {
		s->ifnames[i] = n ? argv[i] : s->names[i];
		s->confs[i] = cli_peer_names("metrics serve", s->ifnames[i], config);
		wipe_secrets(s->confs[i]);
		if (root && add_group(s, s->ifnames[i]))
			return 1;
	}
	return 0;
}

/* Parses argv into its parts; 0, or the exit status after saying why. */
static int parse(int argc, char *argv[], const char **listen, const char **user,
		 const char **config, int *first)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char **dst = !strcmp(argv[i], "--listen") ? listen
				 : !strcmp(argv[i], "--user")   ? user
				 : !strcmp(argv[i], "--config") ? config : NULL;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return -1;
		}
		if (!dst) {
			fprintf(stderr, "%s metrics serve: unknown option %s (see --help)\n", prog_name,
				argv[i]);
			return SERVE_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s metrics serve: %s needs a value\n", prog_name, argv[i]);
			return SERVE_EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	*first = i;
	if (!*listen) {
		fprintf(stderr, "%s metrics serve: --listen <addr>:<port> is required (see --help)\n",
			prog_name);
		return SERVE_EXIT_USAGE;
	}
	if (*config && argc - i != 1) {
		fprintf(stderr, "%s metrics serve: --config %s needs exactly one interface\n",
			prog_name, *config);
		return SERVE_EXIT_USAGE;
	}
	return 0;
}

int metrics_serve_main(int argc, char *argv[])
{
	const char *listen_arg = NULL, *user = NULL, *config = NULL;
	struct serve s = { 0 };
	const struct exporter_ops ops = { .arg = &s, .scrape = scrape };
	struct exporter_addr addr;
	struct error err = { 0 };
	uid_t uid = 0;
	gid_t gid = 0;
	struct exporter *e;
	bool root = !geteuid();
	sigset_t mask;
	int first, fd, ret;

	ret = parse(argc, argv, &listen_arg, &user, &config, &first);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (exporter_parse_listen(listen_arg, &addr, &err)) {
		fprintf(stderr, "%s metrics serve: --listen %s\n", prog_name, err.msg);
		return SERVE_EXIT_USAGE;
	}
	if (user && !root) {
		fprintf(stderr, "%s metrics serve: --user %s: only root can change user (running as "
			"uid %u)\n", prog_name, user, (unsigned)geteuid());
		return 1;
	}
	if (root) {
		struct passwd *pw;

		if (!user)
			user = "nobody";
		pw = getpwnam(user);
		if (!pw || !pw->pw_uid) {
			fprintf(stderr, "%s metrics serve: --user %s: %s\n", prog_name, user,
				pw ? "the exporter does not run as root" : "no such user");
			return SERVE_EXIT_USAGE;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	/* Blocked from here on, so that a stop during the start waits for
	 * it and still ends with status 0; the exporter's thread inherits
	 * the mask, so the signals come to sigwaitinfo() here only. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = gather(&s, argv + first, argc - first, config, root);
	if (ret)
		goto out;
	ret = 1;
	if (exporter_listen(&addr, &fd, &err)) {
		fprintf(stderr, "%s metrics serve: --listen %s\n", prog_name, err.msg);
		goto out;
	}
	if (root && privdrop_to(uid, gid, s.groups, s.n_groups, &err)) {
		fprintf(stderr, "%s metrics serve: cannot become %s: %s\n", prog_name, user, err.msg);
		close(fd);
		goto out;
	}
	wgctl_set_timeout(SERVE_GET_TIMEOUT_MS);
	e = exporter_start(fd, &ops, &err);
	if (!e) {
		fprintf(stderr, "%s metrics serve: %s\n", prog_name, err.msg);
		goto out;
	}
	fprintf(stderr, "%s metrics serve: serving %zu interface(s) on %s%s%s\n", prog_name, s.n,
		addr.text, root ? " as " : "", root ? user : "");
	wait_for_stop(&mask);
	exporter_stop(e);
	ret = 0;
out:
	serve_free(&s);
	return ret;
}
