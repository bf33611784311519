/* src/daemon/server.c without a daemon: a server in a scratch directory
 * with fake operations, driven by hand (accept, one round of I/O).  The
 * control socket's get asks for secrets and its set reaches the
 * operations; the statistics socket's get asks for none, its set is
 * answered errno=-1 and never reaches them; each socket file has the
 * mode and group it was given and is removed on close. */
#define _GNU_SOURCE
#include "harness.h"

#include "daemon/server.h"
#include "uapi/uapi.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct fake {
	unsigned gets, sets;
	unsigned last_flags;
};

static char *fake_get(void *arg, unsigned flags, size_t *len, int *err)
{
	static const char reply[] = "listen_port=1\nerrno=0\n\n";
	struct fake *f = arg;
	char *text = strdup(reply);

	f->gets++;
	f->last_flags = flags;
	if (!text) {
		*err = -ENOMEM;
		return NULL;
	}
	*len = sizeof(reply) - 1;
	return text;
}

static int fake_set(void *arg, const struct uapi_device *set)
{
	struct fake *f = arg;

	(void)set;
	f->sets++;
	return 0;
}

static struct server_client *accepted;

static bool take(void *arg, struct server_client *c)
{
	(void)arg;
	accepted = c;
	return true;
}

/* One request on a new connection to s, served by hand; the reply in
 * buf. */
static void exchange(struct server *s, const char *req, char *buf, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct pollfd p;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	buf[0] = 0;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	accepted = NULL;
	server_accept(s, 1, take, NULL);
	CHECK(accepted != NULL);
	if (accepted && !server_client_io(s, accepted, 2)) {
		server_drop(s, accepted);
		accepted = NULL;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&p, 1, 5000) == 1);
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	if (accepted)
		server_drop(s, accepted);
}

static const char set_req[] = "set=1\nlisten_port=4242\n\n";

static void run_case(bool stats, mode_t mode, gid_t gid)
{
	char dir[] = "/tmp/rampart-server.XXXXXX", buf[256];
	struct fake f = { 0 };
	const struct server_ops ops = { .arg = &f, .get = fake_get, .set = fake_set };
	const struct server_params p = {
		.what = stats ? "statistics socket" : "control socket", .dir = dir,
		.suffix = stats ? ".stats" : ".sock", .mode = mode, .gid = gid, .stats = stats,
	};
	struct server s;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(server_listen(&s, "wg0", &p, &ops) == 0);
	CHECK(stat(s.path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK((st.st_mode & 07777) == mode);
	CHECK(gid == (gid_t)-1 ? st.st_gid == getegid() : st.st_gid == gid);

	exchange(&s, "get=1\n\n", buf, sizeof(buf));
	CHECK_STR(buf, "listen_port=1\nerrno=0\n\n");
	CHECK(f.gets == 1 && f.last_flags == (stats ? UAPI_GET_NO_SECRETS : 0u));

	exchange(&s, set_req, buf, sizeof(buf));
	CHECK_STR(buf, stats ? "errno=-1\n\n" : "errno=0\n\n");
	CHECK(f.sets == (stats ? 0u : 1u));

	server_close(&s);
	CHECK(stat(s.path, &st) == -1 && errno == ENOENT);
	CHECK(rmdir(dir) == 0);
}

static void test_control(void)
{
	run_case(false, 0600, (gid_t)-1);
}

static void test_stats(void)
{
	/* A group other than ours needs root (chown); a numeric one needs
	 * no entry in /etc/group. */
	run_case(true, 0660, geteuid() ? (gid_t)-1 : 4711);
}

static const struct harness_case cases[] = {
	{ "control socket: 0600, get with secrets, set applied", test_control },
	{ "statistics socket: 0660 in its group, get without secrets, set refused", test_stats },
};

HARNESS_MAIN(cases)
