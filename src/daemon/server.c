/* The control and statistics sockets' server (server.h). */
#define _GNU_SOURCE
#include "server.h"

#include "common/log.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum {
	/* Reads per server_client_io() call before other clients get a turn. */
	SERVER_READS_PER_TURN = 64,
};

/* Is something listening at path?  1 yes, 0 no (refused or absent),
 * -errno if it cannot tell. */
static int probe(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		ret = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

int server_listen(struct server *s, const char *ifname, const struct server_params *p,
		  const struct server_ops *ops)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int n, err;

	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
	s->ops = *ops;
	s->what = p->what;
	s->stats = p->stats;
	n = snprintf(s->path, sizeof(s->path), "%s/%s%s", p->dir, ifname, p->suffix);
	if (n < 0 || (size_t)n >= sizeof(s->path))
		return -ENAMETOOLONG;
	if (mkdir(p->dir, 0755) && errno != EEXIST)
		return -errno;
	if (stat(p->dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;

	if (!lstat(s->path, &st)) {
		/* Never remove what is not a socket, nor a live socket. */
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		err = probe(s->path);
		if (err < 0)
			return err;
		if (err > 0)
			return -EADDRINUSE;
		log_info("removing stale socket %s", s->path);
		if (unlink(s->path) && errno != ENOENT)
			return -errno;
	}

	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return -errno;
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	/* Nobody may connect before the group and mode are right. */
	old = umask(0077);
	err = bind(s->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	if (!err && chown(s->path, (uid_t)-1, p->gid))
		err = -errno;
	if (!err && chmod(s->path, p->mode))
		err = -errno;
	if (!err && listen(s->listen_fd, SOMAXCONN))
		err = -errno;
	if (!err && stat(s->path, &st))
		err = -errno;
	if (err) {
		if (!lstat(s->path, &st) && S_ISSOCK(st.st_mode))
			unlink(s->path);
		close(s->listen_fd);
		s->listen_fd = -1;
		return err;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

bool server_socket_present(const struct server *s)
{
	struct stat st;

	return !stat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino;
}

static void free_out(struct server_client *c)
{
	if (c->out && c->out_secret)
		uapi_text_free(c->out, c->out_len);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->out_secret = false;
}

void server_drop(struct server *s, struct server_client *c)
{
	for (unsigned i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (s->clients[i] == c)
			s->clients[i] = NULL;
	free_out(c);
	uapi_parser_uninit(&c->parser);
	explicit_bzero(c->in, sizeof(c->in));
	close(c->fd);
	free(c);
}

void server_close(struct server *s)
{
	for (unsigned i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (s->clients[i])
			server_drop(s, s->clients[i]);
	if (s->listen_fd >= 0) {
		if (server_socket_present(s))
			unlink(s->path);
		close(s->listen_fd);
		s->listen_fd = -1;
	}
}

void server_accept(struct server *s, uint64_t now,
		   bool (*add)(void *arg, struct server_client *c), void *arg)
{
	for (;;) {
		struct server_client *c;
		unsigned slot;
		int fd;

		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("%s: accept: %s", s->what, strerror(errno));
			return;
		}
		for (slot = 0; slot < SERVER_MAX_CLIENTS && s->clients[slot]; slot++)
			;
		if (slot == SERVER_MAX_CLIENTS) {
			/* Full: the client quiet for the longest goes, so that
			 * clients holding slots can never lock wg(8) out. */
			slot = 0;
			for (unsigned i = 1; i < SERVER_MAX_CLIENTS; i++)
				if (s->clients[i]->last_active < s->clients[slot]->last_active)
					slot = i;
			s->evicted++;
			log_info("%s: %u clients connected; closing the one idle longest",
				 s->what, SERVER_MAX_CLIENTS);
			server_drop(s, s->clients[slot]);
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			log_warn("%s: out of memory for a client", s->what);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->last_active = now;
		uapi_parser_init(&c->parser);
		s->clients[slot] = c;
		if (!add(arg, c))
			server_drop(s, c);
	}
}

static void reply_errno(struct server_client *c, int err)
{
	free_out(c);
	c->out_len = uapi_format_errno(c->errbuf, err);
	c->out = c->errbuf;
}

/* A reply built on the heap, or err when there is none.  Every heap
 * reply is wiped and freed when done (free_out()): get's holds the
 * private key; events' holds nothing secret but takes the same way out. */
static void reply_text(struct server_client *c, char *text, size_t len, int err)
{
	if (!text) {
		reply_errno(c, err);
		return;
	}
	free_out(c);
	c->out = text;
	c->out_len = len;
	c->out_secret = true;
}

static void run(struct server *s, struct server_client *c, struct uapi_request *req)
{
	char msg[ERROR_STRLEN];

	if (req->err) {
		uapi_error_format(msg, sizeof(msg), &req->error);
		log_info("%s: %s request refused: %s", s->what,
			 req->op == UAPI_OP_SET ? "set" : req->op == UAPI_OP_EVENTS ? "events" : "get",
			 msg);
		reply_errno(c, req->err);
	} else if (req->op == UAPI_OP_GET) {
		int err = -EIO;
		size_t len = 0;
		char *text = s->ops.get(s->ops.arg, s->stats ? UAPI_GET_NO_SECRETS : 0, &len, &err);

		reply_text(c, text, len, err);
	} else if (req->op == UAPI_OP_EVENTS) {
		int err = -EIO;
		size_t len = 0;
		char *text = s->ops.events(s->ops.arg, req->since, &len, &err);

		reply_text(c, text, len, err);
	} else if (s->stats) {
		/* Read-only: the plan was parsed (within the protocol's
		 * bounds) and is dropped unapplied. */
		log_info("%s: set request refused: the statistics socket is read-only", s->what);
		reply_errno(c, -EPERM);
	} else {
		int err = s->ops.set(s->ops.arg, req->set);
		reply_errno(c, err);
	}
	/* A set's plan can be tens of MB (a 16 MiB request); glibc keeps
	 * what it freed in the heap unless asked to give it back, and an
	 * idle daemon would carry the largest set it ever parsed. */
	if (req->set) {
		uapi_device_free(req->set);
		malloc_trim(0);
	}
	req->set = NULL;
}

uint32_t server_client_io(struct server *s, struct server_client *c, uint64_t now)
{
	for (unsigned reads = 0;;) {
		/* A reply goes out before anything else is read. */
		while (c->out) {
			ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return EPOLLOUT;
				return 0;
			}
			c->last_active = now;
			c->out_off += (size_t)n;
			if (c->out_off == c->out_len) {
				free_out(c);
				if (c->closing)
					return 0;
			}
		}
		while (c->in_off < c->in_len) {
			struct uapi_request req;
			size_t used = 0;
			enum uapi_status st;

			memset(&req, 0, sizeof(req));
			st = uapi_parser_feed(&c->parser, c->in + c->in_off, c->in_len - c->in_off,
					      &used, &req);
			c->in_off += used;
			if (st == UAPI_MORE)
				continue;
			if (st == UAPI_FATAL) {
				char msg[ERROR_STRLEN];
				uapi_error_format(msg, sizeof(msg), &req.error);
				log_info("%s: closing a client: %s", s->what, msg);
				reply_errno(c, req.err);
				c->closing = true;
			} else {
				run(s, c, &req);
			}
			break; /* send the reply first */
		}
		if (c->out)
			continue;
		if (reads++ >= SERVER_READS_PER_TURN)
			return EPOLLIN;
		ssize_t n = read(c->fd, c->in, sizeof(c->in));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return EPOLLIN;
			return 0;
		}
		if (n == 0) {
			/* An operation cut off by the close is discarded. */
			if (uapi_parser_finish(&c->parser))
				log_info("%s: a client left in the middle of an operation; "
					 "nothing of it was applied", s->what);
			return 0;
		}
		c->in_len = (size_t)n;
		c->in_off = 0;
		c->last_active = now;
	}
}

uint64_t server_expire(struct server *s, uint64_t now)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < SERVER_MAX_CLIENTS; i++) {
		struct server_client *c = s->clients[i];
		if (!c)
			continue;
		if (now - c->last_active >= SERVER_IDLE_NS) {
			log_debug("%s: closing an idle client", s->what);
			server_drop(s, c);
			continue;
		}
		if (!next || c->last_active + SERVER_IDLE_NS < next)
			next = c->last_active + SERVER_IDLE_NS;
	}
	return next;
}
