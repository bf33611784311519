#include "socket.h"

#include "uapi/client.h"
#include "uapi/device.h"

#include "common/error.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char socket_dir[sizeof(((struct sockaddr_un *)0)->sun_path)] = "/var/run/wireguard";
static char stats_dir[sizeof(((struct sockaddr_un *)0)->sun_path)] = UAPI_STATS_DIR;
static unsigned timeout_override;

void wgctl_set_socket_dir(const char *dir)
{
	snprintf(socket_dir, sizeof(socket_dir), "%s", dir ? dir : "/var/run/wireguard");
}

void wgctl_set_stats_dir(const char *dir)
{
	snprintf(stats_dir, sizeof(stats_dir), "%s", dir ? dir : UAPI_STATS_DIR);
}

void wgctl_set_timeout(unsigned ms)
{
	timeout_override = ms;
}

static int timeout_ms(void)
{
	const char *s = getenv("RAMPART_WGCTL_TIMEOUT_MS"), *why;
	uint32_t v;

	if (timeout_override)
		return (int)timeout_override;
	if (s && netaddr_parse_u32(&v, s, INT_MAX, &why) && v)
		return (int)v;
	return WGCTL_TIMEOUT_MS;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	return n && n <= UAPI_IFNAME_MAX && !strchr(s, '/') && strcmp(s, ".") &&
	       strcmp(s, "..");
}

static int socket_path_in(struct sockaddr_un *addr, const char *dir, const char *ifname,
			  const char *suffix, struct error *err)
{
	char name[UAPI_QUOTED_STRLEN];

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (!valid_ifname(ifname))
		return error_fail(err, -EINVAL,
			    "Invalid argument (`%s' is not an interface name: 1 to 15 bytes, no '/')",
			    uapi_client_quote(name, sizeof(name), ifname, false));
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s%s", dir, ifname,
			     suffix) >= sizeof(addr->sun_path))
		return error_fail(err, -ENAMETOOLONG, "%s (socket path under %s)",
			    strerror(ENAMETOOLONG), dir);
	return 0;
}

static int socket_path(struct sockaddr_un *addr, const char *ifname, struct error *err)
{
	return socket_path_in(addr, socket_dir, ifname, ".sock", err);
}

int wgctl_stats_path(const char *ifname, char *path, size_t size, struct error *err)
{
	struct sockaddr_un addr;
	int ret = socket_path_in(&addr, stats_dir, ifname, UAPI_STATS_SUFFIX, err);

	if (ret)
		return ret;
	if ((size_t)snprintf(path, size, "%s", addr.sun_path) >= size)
		return error_fail(err, -ENAMETOOLONG, "%s (%s)", strerror(ENAMETOOLONG),
				  addr.sun_path);
	return 0;
}

/* Connects without blocking past the timeout: a listener whose backlog
 * is full (a stopped daemon) makes connect() fail with EAGAIN. */
static int connect_path(int fd, const struct sockaddr_un *addr, int64_t deadline)
{
	for (;;) {
		if (!connect(fd, (const struct sockaddr *)addr, sizeof(*addr)))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - now_ms();
			socklen_t len = sizeof(int);
			int soerr = 0;

			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				return -ETIMEDOUT;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				return -errno;
			return -soerr;
		}
		if (errno != EAGAIN)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
}

static int open_socket(const struct sockaddr_un *a, int *fdp, struct error *err)
{
	const struct sockaddr_un addr = *a;
	struct stat st;
	int fd, ret;

	*fdp = -1;
	if (stat(addr.sun_path, &st) < 0) {
		if (errno == ENOENT)
			return error_fail(err, -ENODEV, "%s (%s: %s)", strerror(ENODEV),
				    addr.sun_path, strerror(ENOENT));
		return error_fail(err, -errno, "%s (%s)", strerror(errno), addr.sun_path);
	}
	if (!S_ISSOCK(st.st_mode))
		return error_fail(err, -ENOTSOCK, "%s (%s is not a socket)",
			    strerror(ENOTSOCK), addr.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_fail(err, -errno, "%s", strerror(errno));
	ret = connect_path(fd, &addr, now_ms() + timeout_ms());
	if (ret) {
		close(fd);
		if (ret == -ECONNREFUSED)
			return error_fail(err, ret, "%s (%s: no daemon is listening)",
				    strerror(-ret), addr.sun_path);
		if (ret == -ETIMEDOUT)
			return error_fail(err, ret, "%s (%s: the daemon accepts no connection)",
				    strerror(-ret), addr.sun_path);
		return error_fail(err, ret, "%s (%s)", strerror(-ret), addr.sun_path);
	}
	*fdp = fd;
	return 0;
}

/* Sends the request and reads the reply at the same time, so that a daemon
 * that answers an error before reading everything (wireguard-go stops at
 * the first bad line) is heard rather than met with EPIPE. */
static int transact(const struct sockaddr_un *addr, const char *ifname, const char *req,
		    size_t req_len, struct uapi_reply_reader *r, struct error *err)
{
	char buf[16384];
	size_t sent = 0, used;
	int fd, ret, wait = timeout_ms(), write_err = 0;

	ret = open_socket(addr, &fd, err);
	if (ret)
		return ret;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (sent < req_len)
			pfd.events |= POLLOUT;
		n = poll(&pfd, 1, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = error_fail(err, -errno, "%s", strerror(errno));
			break;
		}
		if (!n) {
			ret = error_fail(err, -ETIMEDOUT,
				   "%s (%s: no answer from the daemon in %d ms)",
				   strerror(ETIMEDOUT), ifname, wait);
			break;
		}
		if (sent < req_len && (pfd.revents & POLLOUT)) {
			n = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
			if (n >= 0) {
				sent += (size_t)n;
			} else if (errno == EPIPE || errno == ECONNRESET) {
				write_err = errno; /* its reply may still be there */
				sent = req_len;
			} else if (errno != EAGAIN && errno != EINTR) {
				ret = error_fail(err, -errno, "%s", strerror(errno));
				break;
			}
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (n < 0 && errno != ECONNRESET) {
				ret = error_fail(err, -errno, "%s", strerror(errno));
				break;
			}
			ret = uapi_reply_finish(r);
			if (ret && write_err)
				ret = error_fail(err, -write_err,
					   "%s (%s: the daemon closed the connection during the request)",
					   strerror(write_err), ifname);
			else if (ret)
				ret = error_fail(err, ret, "%s (%s)", strerror(-ret), uapi_reply_error(r)->msg);
			break;
		}
		ret = uapi_reply_feed(r, buf, (size_t)n, &used);
		explicit_bzero(buf, (size_t)n);
		if (ret < 0) {
			ret = error_fail(err, ret, "%s (%s)", strerror(-ret), uapi_reply_error(r)->msg);
			break;
		}
		if (ret == 1) {
			ret = 0;
			break;
		}
	}
	close(fd);
	return ret;
}

/* One get=1 over the socket at addr. */
static int get_at(const struct sockaddr_un *addr, const char *ifname, struct uapi_device **out,
		  struct error *err)
{
	static const char req[] = "get=1\n\n";
	struct uapi_reply_reader r;
	int ret;

	*out = NULL;
	uapi_reply_init(&r, UAPI_REPLY_GET);
	ret = transact(addr, ifname, req, sizeof(req) - 1, &r, err);
	if (!ret) {
		ret = uapi_reply_take(&r, out);
		if (ret)
			error_fail(err, ret, "%s", uapi_reply_error(&r)->msg);
		else
			snprintf((*out)->name, sizeof((*out)->name), "%s", ifname);
	}
	uapi_reply_uninit(&r);
	return ret;
}

int wgctl_get_device(const char *ifname, struct uapi_device **out, struct error *err)
{
	struct sockaddr_un addr;
	int ret;

	*out = NULL;
	ret = socket_path(&addr, ifname, err);
	return ret ? ret : get_at(&addr, ifname, out, err);
}

int wgctl_get_stats(const char *ifname, struct uapi_device **out, struct error *err)
{
	struct sockaddr_un addr;
	int ret;

	*out = NULL;
	ret = socket_path_in(&addr, stats_dir, ifname, UAPI_STATS_SUFFIX, err);
	return ret ? ret : get_at(&addr, ifname, out, err);
}

int wgctl_get_events(const char *ifname, uint64_t since, struct uapi_events **out,
		     struct error *err)
{
	struct uapi_reply_reader r;
	struct sockaddr_un addr;
	char req[64];
	int ret, n;

	*out = NULL;
	ret = socket_path(&addr, ifname, err);
	if (ret)
		return ret;
	n = snprintf(req, sizeof(req), "rampart_events=1\nsince=%" PRIu64 "\n\n", since);
	uapi_reply_init(&r, UAPI_REPLY_EVENTS);
	ret = transact(&addr, ifname, req, (size_t)n, &r, err);
	if (ret == -EACCES) {
		/* Not root: the statistics socket gives the same events to
		 * its group (docs/events.md). */
		struct error err2 = { 0 };

		if (!socket_path_in(&addr, stats_dir, ifname, UAPI_STATS_SUFFIX, &err2)) {
			uapi_reply_uninit(&r);
			uapi_reply_init(&r, UAPI_REPLY_EVENTS);
			if (!transact(&addr, ifname, req, (size_t)n, &r, &err2)) {
				ret = 0;
				error_clear(err);
			}
		}
	}
	if (ret == -EPROTO && !r.bytes)
		ret = error_fail(err, -EOPNOTSUPP, "%s: the daemon hung up on rampart_events=1: "
				 "it does not report events (not rampartd?)", ifname);
	if (!ret) {
		ret = uapi_reply_take_events(&r, out);
		if (ret)
			error_fail(err, ret, "%s", uapi_reply_error(&r)->msg);
	}
	uapi_reply_uninit(&r);
	return ret;
}

int wgctl_set_device(const char *ifname, const struct uapi_device *c, struct error *err)
{
	struct textbuf req = { 0 };
	struct uapi_reply_reader r;
	struct sockaddr_un addr;
	int ret;

	ret = uapi_format_set(&req, c, err);
	if (ret)
		goto out;
	ret = socket_path(&addr, ifname, err);
	if (ret)
		goto out;
	uapi_reply_init(&r, UAPI_REPLY_SET);
	ret = transact(&addr, ifname, req.buf, req.len, &r, err);
	if (!ret) {
		ret = uapi_reply_take(&r, NULL);
		if (ret)
			error_fail(err, ret, "%s", uapi_reply_error(&r)->msg);
	}
	uapi_reply_uninit(&r);
out:
	textbuf_wipe(&req);
	return ret;
}

/* wg(8)'s userspace_has_wireguard_interface(), without its unlink() of a
 * socket that refuses: a daemon that has bound but not yet listened
 * refuses too, and its socket must not vanish under it. */
static bool live_socket(const char *ifname)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd, ret;

	if (socket_path(&addr, ifname, NULL))
		return false;
	if (stat(addr.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	ret = connect(fd, (const struct sockaddr *)&addr, sizeof(addr));
	if (ret < 0 && (errno == EAGAIN || errno == EINPROGRESS))
		ret = 0; /* alive, only busy */
	close(fd);
	return ret == 0;
}

void wgctl_list_free(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

int wgctl_list_interfaces(char ***out, size_t *n_out, struct error *err)
{
	char **list = NULL, name[UAPI_IFNAME_MAX + 1];
	size_t n = 0, cap = 0;
	struct dirent *ent;
	DIR *dir;
	int ret = 0;

	*out = NULL;
	*n_out = 0;
	dir = opendir(socket_dir);
	if (!dir) {
		if (errno != ENOENT)
			return error_fail(err, -errno, "%s (%s)", strerror(errno), socket_dir);
	} else {
		while ((ent = readdir(dir))) {
			size_t len = strlen(ent->d_name);

			if (len <= 5 || strcmp(ent->d_name + len - 5, ".sock") ||
			    len - 5 > UAPI_IFNAME_MAX)
				continue;
			memcpy(name, ent->d_name, len - 5);
			name[len - 5] = '\0';
			if (!live_socket(name))
				continue;
			if (n + 1 >= cap) {
				size_t ncap = cap ? cap * 2 : 8;
				char **nl = realloc(list, ncap * sizeof(*list));

				if (!nl) {
					ret = -ENOMEM;
					break;
				}
				list = nl;
				cap = ncap;
			}
			list[n] = strdup(name);
			if (!list[n]) {
				ret = -ENOMEM;
				break;
			}
			list[++n] = NULL;
		}
		closedir(dir);
	}
	if (!ret && !list) {
		list = calloc(1, sizeof(*list));
		if (!list)
			ret = -ENOMEM;
	}
	if (ret) {
		if (list)
			list[n] = NULL;
		wgctl_list_free(list);
		return error_fail(err, ret, "%s", strerror(-ret));
	}
	*out = list;
	*n_out = n;
	return 0;
}
