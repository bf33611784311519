/* src/ctl/socket.c and the operations over it: get, set, apply and
 * get_conf against in-process fake daemons (replies, refusals, silence,
 * stale and missing sockets), and listing interfaces. */
#include "client_fixture.h"

#include "ctl/socket.h"
#include "ctl/wgctl.h"

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

static void set_sun_path(struct sockaddr_un *addr, const char *path)
{
	size_t n = strlen(path);

	CHECK(n < sizeof(addr->sun_path));
	if (n >= sizeof(addr->sun_path))
		n = sizeof(addr->sun_path) - 1;
	memcpy(addr->sun_path, path, n);
	addr->sun_path[n] = '\0';
}

/* --- the socket, against fake daemons ---------------------------------- */

enum fake_mode {
	FAKE_REPLY,   /* read each request, answer from the list */
	FAKE_CLOSE,   /* accept and close at once */
	FAKE_STALL,   /* accept, read, never answer */
	FAKE_EARLY,   /* answer errno=-22 after the first line, then close */
};

struct fake {
	char path[128];
	int fd;
	enum fake_mode mode;
	const char *replies[4];   /* one per connection */
	char requests[4][4096];   /* what each connection sent */
	size_t n_conns;
	pthread_t thread;
};

static void *fake_run(void *arg)
{
	struct fake *f = arg;

	for (size_t c = 0; c < ARRAY_SIZE(f->replies) && (f->replies[c] || c == 0); c++) {
		size_t len = 0;
		int cfd = accept(f->fd, NULL, NULL);

		if (cfd < 0)
			break;
		f->n_conns++;
		if (f->mode == FAKE_CLOSE) {
			close(cfd);
			continue;
		}
		/* Read up to the empty line that ends the operation. */
		while (len + 1 < sizeof(f->requests[c])) {
			ssize_t n = read(cfd, f->requests[c] + len, 1);

			if (n <= 0)
				break;
			len++;
			if (f->mode == FAKE_EARLY && f->requests[c][len - 1] == '\n')
				break;
			if (len >= 2 && !memcmp(f->requests[c] + len - 2, "\n\n", 2))
				break;
		}
		f->requests[c][len] = '\0';
		if (f->mode == FAKE_STALL) {
			struct pollfd pfd = { .fd = cfd, .events = POLLIN };

			poll(&pfd, 1, 2000); /* until the client gives up */
		} else if (f->mode == FAKE_EARLY) {
			if (write(cfd, "errno=-22\n\n", 11) != 11)
				break;
		} else if (f->replies[c]) {
			if (write(cfd, f->replies[c], strlen(f->replies[c])) < 0)
				break;
		}
		close(cfd);
	}
	return NULL;
}

static bool fake_start(struct fake *f, const char *ifname, enum fake_mode mode)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	f->mode = mode;
	tmp_path(f->path, sizeof(f->path), ifname);
	snprintf(f->path + strlen(f->path), sizeof(f->path) - strlen(f->path), ".sock");
	set_sun_path(&addr, f->path);
	unlink(f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(f->fd, 4)) {
		harness_fail(__FILE__, __LINE__, "fake daemon: %s", strerror(errno));
		return false;
	}
	wgctl_set_socket_dir(tmpdir);
	if (pthread_create(&f->thread, NULL, fake_run, f)) {
		harness_fail(__FILE__, __LINE__, "pthread_create failed");
		return false;
	}
	return true;
}

static void fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(f->thread, NULL);
	close(f->fd);
	unlink(f->path);
}

static void test_socket_get_set(void)
{
	struct fake f = { .replies = { reply } };
	struct uapi_device *dev = NULL;
	struct uapi_device *c = NULL;
	struct error err = { 0 };
	struct conf *conf;

	make_tmpdir();
	wgctl_set_timeout(2000);
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	CHECK_MSG(wgctl_get_device("fk0", &dev, &err) == 0, "%s", err.msg);
	fake_stop(&f);
	CHECK_STR(f.requests[0], "get=1\n\n");
	if (dev) {
		CHECK_STR(dev->name, "fk0");
		CHECK(dev->n_peers == 3 && dev->n_counters == 2);
	}
	uapi_device_free(dev);

	/* set: the exact request, and the daemon's refusal as wg(8) says it. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "errno=0\n\n";
	f.replies[1] = "errno=-98\n\n";
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	conf = conf_from(conf_text);
	CHECK(conf && wgctl_change_from_conf(conf, WGCTL_SETCONF, &c) == 0);
	CHECK(c && wgctl_set_device("fk0", c, &err) == 0);
	CHECK(c && wgctl_set_device("fk0", c, &err) == -EADDRINUSE);
	CHECK_STR(err.msg, "Address already in use");
	fake_stop(&f);
	CHECK_STR(f.requests[0], wg_setconf);
	CHECK_STR(f.requests[1], wg_setconf);
	uapi_device_free(c);

	/* wgctl_apply_conf(SYNCCONF): a get, then the sync request. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "public_key=" PUB3_HEX "\npublic_key=" PUB1_HEX "\npublic_key=" PUB4_HEX
		       "\nerrno=0\n\n";
	f.replies[1] = "errno=0\n\n";
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	CHECK_MSG(wgctl_apply_conf("fk0", conf, WGCTL_SYNCCONF, &err) == 0, "%s", err.msg);
	fake_stop(&f);
	CHECK_STR(f.requests[0], "get=1\n\n");
	CHECK_STR(f.requests[1], wg_syncconf);

	/* SETCONF and ADDCONF: one set each. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "errno=0\n\n";
	f.replies[1] = "errno=0\n\n";
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	CHECK(wgctl_apply_conf("fk0", conf, WGCTL_SETCONF, &err) == 0);
	CHECK(wgctl_apply_conf("fk0", conf, WGCTL_ADDCONF, &err) == 0);
	fake_stop(&f);
	CHECK_STR(f.requests[0], wg_setconf);
	CHECK_STR(f.requests[1], wg_addconf);
	conf_free(conf);

	/* wgctl_get_conf: the running configuration as a conf. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = reply;
	if (!fake_start(&f, "fk0", FAKE_REPLY))
		return;
	conf = NULL;
	CHECK(wgctl_get_conf("fk0", &conf, &err) == 0);
	fake_stop(&f);
	if (conf) {
		char *text = wgconf_format(conf, WGCONF_STRIP, NULL);

		CHECK_STR(text, "[Interface]\nPrivateKey = " PRIV "\nListenPort = 51820\n"
				"FwMark = 0x20\n\n"
				"[Peer]\nPublicKey = " PUB2 "\nEndpoint = [fe80::1%lo]:51820\n\n"
				"[Peer]\nPublicKey = " PUB1 "\nPresharedKey = " PSK "\n"
				"AllowedIPs = 10.0.0.0/24, fd00::/64\nEndpoint = 192.0.2.1:51820\n"
				"PersistentKeepalive = 25\n\n"
				"[Peer]\nPublicKey = " PUB3 "\nAllowedIPs = 192.168.1.0/24\n"
				"PersistentKeepalive = 3661\n");
		wgconf_text_free(text, text ? strlen(text) : 0);
	}
	conf_free(conf);
	wgctl_set_socket_dir(NULL);
	wgctl_set_timeout(0);
}

static void test_socket_failures(void)
{
	struct uapi_device *dev = (void *)1;
	struct fake f = { 0 };
	struct error err = { 0 };
	char want[256], path[128];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct uapi_device *c = uapi_device_alloc();
	int fd;

	make_tmpdir();
	wgctl_set_socket_dir(tmpdir);
	wgctl_set_timeout(300);

	/* No socket at all. */
	CHECK(wgctl_get_device("nope0", &dev, &err) == -ENODEV);
	CHECK(dev == NULL);
	snprintf(want, sizeof(want), "No such device (%s/nope0.sock: No such file or directory)",
		 tmpdir);
	CHECK_STR(err.msg, want);
	CHECK(c && wgctl_set_device("nope0", c, &err) == -ENODEV);

	/* Bad interface names never reach the file system. */
	CHECK(wgctl_get_device("a/b", &dev, &err) == -EINVAL);
	CHECK_STR(err.msg, "Invalid argument (`a/b' is not an interface name: 1 to 15 bytes, no '/')");
	CHECK(wgctl_get_device("0123456789abcdef", &dev, &err) == -EINVAL);
	CHECK(wgctl_get_device("", &dev, &err) == -EINVAL);
	CHECK(wgctl_get_device("..", &dev, &err) == -EINVAL);

	/* A regular file where the socket should be. */
	write_file("file0.sock", "", 0600);
	CHECK(wgctl_get_device("file0", &dev, &err) == -ENOTSOCK);
	snprintf(want, sizeof(want), "%s (%s/file0.sock is not a socket)", strerror(ENOTSOCK),
		 tmpdir);
	CHECK_STR(err.msg, want);

	/* A stale socket: bound, nobody listening. */
	tmp_path(path, sizeof(path), "stale0.sock");
	set_sun_path(&addr, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(wgctl_get_device("stale0", &dev, &err) == -ECONNREFUSED);
	snprintf(want, sizeof(want), "Connection refused (%s: no daemon is listening)", path);
	CHECK_STR(err.msg, want);
	close(fd);
	unlink(path);

	/* A daemon that never answers: the timeout, not a hang. */
	tmp_path(path, sizeof(path), "mute0.sock");
	set_sun_path(&addr, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(fd, 1) == 0);
	CHECK(wgctl_get_device("mute0", &dev, &err) == -ETIMEDOUT);
	CHECK_STR(err.msg, "Connection timed out (mute0: no answer from the daemon in 300 ms)");
	close(fd);
	unlink(path);

	/* One that reads and stalls. */
	if (fake_start(&f, "stall0", FAKE_STALL)) {
		CHECK(c && wgctl_set_device("stall0", c, &err) == -ETIMEDOUT);
		fake_stop(&f);
		CHECK_STR(f.requests[0], "set=1\n\n");
	}

	/* One that hangs up without a word. */
	memset(&f, 0, sizeof(f));
	if (fake_start(&f, "close0", FAKE_CLOSE)) {
		CHECK(wgctl_get_device("close0", &dev, &err) == -EPROTO);
		CHECK_STR(err.msg, "Protocol error (the daemon closed the connection without a reply)");
		fake_stop(&f);
	}

	/* One that refuses after the first line, as wireguard-go does on a
	 * bad line: its answer is heard although the request was not read. */
	memset(&f, 0, sizeof(f));
	if (fake_start(&f, "early0", FAKE_EARLY)) {
		struct uapi_peer *p;
		uint8_t key[KEY_LEN] = { 1 };
		struct netaddr_prefix pfx;
		const char *why;
		int ret = 0;

		/* A request of some megabytes. */
		p = uapi_device_add_peer(c, key);
		CHECK(p && netaddr_parse_prefix(&pfx, "10.0.0.0/8", &why));
		for (int i = 0; p && i < 200000 && !ret; i++)
			ret = uapi_peer_add_allowed_ip(p, &pfx, UAPI_ALLOWED_IP_ADD);
		ret = wgctl_set_device("early0", c, &err);
		CHECK_MSG(ret == -EINVAL || ret == -EPIPE, "%d %s", ret, err.msg);
		fake_stop(&f);
	}

	/* A daemon whose reply breaks the protocol. */
	memset(&f, 0, sizeof(f));
	f.replies[0] = "listen_port=x\nerrno=0\n\n";
	if (fake_start(&f, "bad0", FAKE_REPLY)) {
		CHECK(wgctl_get_device("bad0", &dev, &err) == -EPROTO);
		CHECK_STR(err.msg, "Protocol error (reply line 1: invalid listen_port \"x\": not a decimal number)");
		fake_stop(&f);
	}
	uapi_device_free(c);
	wgctl_set_socket_dir(NULL);
	wgctl_set_timeout(0);
}

static void test_list_interfaces(void)
{
	struct fake a = { 0 }, b = { 0 };
	struct error err = { 0 };
	char **names = NULL, path[128], want[256] = "", got[256] = "";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct dirent *ent;
	size_t n;
	DIR *dir;
	int fd;

	make_tmpdir();
	/* A directory that does not exist is an empty list. */
	wgctl_set_socket_dir("/nonexistent-rampart-dir");
	CHECK(wgctl_list_interfaces(&names, &n, &err) == 0);
	CHECK(n == 0 && names && !names[0]);
	wgctl_list_free(names);

	a.replies[0] = b.replies[0] = NULL;
	if (!fake_start(&a, "wga", FAKE_CLOSE) || !fake_start(&b, "wgb", FAKE_CLOSE))
		return;
	write_file("notsock.sock", "", 0600);
	write_file("wgc.txt", "", 0600);
	write_file(".sock", "", 0600);
	tmp_path(path, sizeof(path), "stale1.sock");
	set_sun_path(&addr, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);

	/* Live sockets only, in readdir order. */
	dir = opendir(tmpdir);
	while (dir && (ent = readdir(dir))) {
		if (!strcmp(ent->d_name, "wga.sock") || !strcmp(ent->d_name, "wgb.sock")) {
			strncat(want, ent->d_name, strlen(ent->d_name) - 5);
			strcat(want, " ");
		}
	}
	if (dir)
		closedir(dir);
	wgctl_set_socket_dir(tmpdir);
	CHECK(wgctl_list_interfaces(&names, &n, &err) == 0);
	CHECK(n == 2);
	for (size_t i = 0; names && names[i]; i++) {
		strcat(got, names[i]);
		strcat(got, " ");
	}
	CHECK_STR(got, want);
	wgctl_list_free(names);
	/* The stale socket is left in place. */
	CHECK(access(path, F_OK) == 0);
	close(fd);
	unlink(path);
	/* The connections counted each liveness probe. */
	fake_stop(&a);
	fake_stop(&b);
	CHECK(a.n_conns == 1 && b.n_conns == 1);
	tmp_path(path, sizeof(path), "notsock.sock");
	unlink(path);
	tmp_path(path, sizeof(path), "wgc.txt");
	unlink(path);
	tmp_path(path, sizeof(path), ".sock");
	unlink(path);
	wgctl_set_socket_dir(NULL);
}


static void test_cleanup(void)
{
	/* Whatever the cases left behind, then the directory. */
	remove_tmpdir((const char *const[]){ "c.conf", "file0.sock", NULL });
}

static const struct harness_case cases[] = {
	{ "socket: get, set, apply and get_conf", test_socket_get_set },
	{ "socket: missing, stale, mute and broken daemons", test_socket_failures },
	{ "socket: listing interfaces", test_list_interfaces },
	{ "cleanup", test_cleanup },
};

HARNESS_MAIN(cases)
