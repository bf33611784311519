/* The daemon's UNIX-socket servers, speaking the userspace API (uapi.h):
 * the control socket /var/run/wireguard/IFNAME.sock, mode 0600 in a 0755
 * directory, for wg(8), wg-quick and rampart; and the read-only statistics
 * socket UAPI_STATS_DIR/IFNAME.stats (uapi/device.h), mode 0660 in the group the
 * operator names, for the metrics exporter: its get=1 reply carries no
 * secret (no private_key, no preshared_key) and its set=1 is refused
 * with EPERM before anything is applied.  Each is one struct server with
 * its own clients, so statistics clients never take the control socket's
 * slots.  Every client is non-blocking with its own parser and output
 * buffer, so a slow or hostile client holds only its own slot: at most
 * SERVER_MAX_CLIENTS at once (a new client takes the slot of the one idle
 * longest), each closed after SERVER_IDLE_NS without a byte, each reading
 * nothing more until its reply has gone out.  The
 * protocol's own bounds (a 4 KiB line, a 16 MiB operation) cap what one
 * client can make the daemon hold. */
#ifndef RAMPART_DAEMON_SERVER_H
#define RAMPART_DAEMON_SERVER_H

#include "uapi/uapi.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	SERVER_MAX_CLIENTS = 16,
	SERVER_SOCK_PATH_MAX = 108, /* sun_path */
};
#define SERVER_DIR "/var/run/wireguard"
#define SERVER_SUFFIX ".sock"
#define SERVER_IDLE_NS (30ULL * 1000000000ULL)

struct server_ops {
	void *arg;
	/* The whole get=1 reply formatted with flags (UAPI_GET_*), to free
	 * with uapi_text_free(); or NULL with a negative errno in *err. */
	char *(*get)(void *arg, unsigned flags, size_t *len, int *err);
	/* Applies a validated plan; 0 or a negative errno. */
	int (*set)(void *arg, const struct uapi_device *set);
	/* The whole reply to rampart_events=1 after seq since (no secret
	 * in it), to free(); or NULL with a negative errno in *err. */
	char *(*events)(void *arg, uint64_t since, size_t *len, int *err);
};

struct server_client {
	int kind; /* the control loop's tag for epoll; set by server_accept */
	int fd;
	struct uapi_parser parser;
	char *out;          /* reply being written */
	size_t out_len, out_off;
	bool out_secret;    /* from ops->get: wipe when done */
	bool closing;       /* close once out is written */
	uint64_t last_active; /* monotonic ns */
	char errbuf[UAPI_ERRNO_STRLEN];
	uint8_t in[4096];   /* bytes read and not yet fed */
	size_t in_len, in_off;
};

/* Where and how a server listens. */
struct server_params {
	const char *what;   /* for the log: "control socket" */
	const char *dir;    /* made 0755 if absent */
	const char *suffix; /* the file is DIR/IFNAME SUFFIX */
	mode_t mode;        /* of the socket file; connecting needs write */
	gid_t gid;          /* its group, (gid_t)-1 the daemon's; the owner is the daemon's */
	bool stats;         /* read-only: get without secrets, set refused */
};

struct server {
	int listen_fd;
	const char *what;
	bool stats;
	char path[SERVER_SOCK_PATH_MAX];
	dev_t dev;          /* of the socket file we made, to notice removal */
	ino_t ino;
	struct server_ops ops;
	struct server_client *clients[SERVER_MAX_CLIENTS];
	unsigned long long evicted; /* clients closed to make room */
};

/* Creates the socket for ifname as p says: makes the directory, replaces
 * a stale socket (connect refused), refuses a live one (-EADDRINUSE).
 * 0 or -errno. */
int server_listen(struct server *s, const char *ifname, const struct server_params *p,
		  const struct server_ops *ops) warn_unused;
/* Closes every client and the socket, and removes the file if it is
 * still the one we made. */
void server_close(struct server *s);
/* True while our socket file is in place. */
bool server_socket_present(const struct server *s);

/* Accepts what is waiting; returns new clients through add(arg, client)
 * so that the loop can watch them.  add returns false to refuse. */
void server_accept(struct server *s, uint64_t now,
		   bool (*add)(void *arg, struct server_client *c), void *arg);
/* Reads, runs complete operations, writes.  Returns the epoll events the
 * client now waits for (EPOLLIN and/or EPOLLOUT), or 0 when it is to be
 * closed (call server_drop). */
uint32_t server_client_io(struct server *s, struct server_client *c, uint64_t now);
void server_drop(struct server *s, struct server_client *c);
/* Closes clients idle since before now - SERVER_IDLE_NS; returns the
 * earliest time another may become idle (0 if no client). */
uint64_t server_expire(struct server *s, uint64_t now);

#endif
