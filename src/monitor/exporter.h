/* The HTTP side of `rampart metrics serve`: /metrics over libmicrohttpd,
 * in a process that has given up root (sys/privdrop.h) before it answers
 * anyone.  The exporter knows nothing of the daemon: each GET of /metrics
 * asks the caller's scrape callback for the text.
 *
 * What is served: GET or HEAD of /metrics (the exposition text, 200, or
 * 500 when the text cannot be built), of / (a page linking /metrics), of
 * anything else 404; any other method 405 with Allow.  At most
 * EXPORTER_MAX_CONNECTIONS connections at once (more wait in the listen
 * backlog until one closes), each closed after EXPORTER_TIMEOUT_S idle
 * seconds, so clients that never finish a request hold a slot for that
 * long at most.  One
 * thread, libmicrohttpd's, serves every connection in turn, so scrape
 * callbacks never run concurrently; the caller's thread only starts and
 * stops it.  Nothing is printed: errors come back in a struct error. */
#ifndef RAMPART_MONITOR_EXPORTER_H
#define RAMPART_MONITOR_EXPORTER_H

#include "common/compiler.h"

#include <stdbool.h>
#include <sys/socket.h>

struct error;
struct textbuf;

enum {
	EXPORTER_DEFAULT_PORT = 9586,
	EXPORTER_MAX_CONNECTIONS = 16,
	EXPORTER_TIMEOUT_S = 10,
	/* "[v6]:65535" and a NUL, for messages. */
	EXPORTER_ADDR_STRLEN = 64,
};

/* Where to listen: ":PORT" is every address, IPv4 and IPv6 (one [::]
 * socket with IPV6_V6ONLY off); "A.B.C.D:PORT" one IPv4 address;
 * "[IPv6]:PORT" one IPv6 address (no scope).  No host names: the
 * exporter binds to what it is told and resolves nothing.  The port is
 * 1..65535. */
struct exporter_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool any;
	char text[EXPORTER_ADDR_STRLEN]; /* as written, for messages */
};

/* Parses text into a; 0, or -EINVAL with the value quoted in err. */
int exporter_parse_listen(const char *text, struct exporter_addr *a, struct error *err) warn_unused;
/* A bound, listening, non-blocking TCP socket on a: 0 and *fd, or -errno
 * (-EADDRINUSE: the port is taken) with the address in err. */
int exporter_listen(const struct exporter_addr *a, int *fd, struct error *err) warn_unused;

struct exporter_ops {
	void *arg;
	/* Appends the body of /metrics to o; 0, or -errno (answered 500).
	 * Runs on the exporter's thread, one scrape at a time. */
	int (*scrape)(void *arg, struct textbuf *o);
};

struct exporter;

/* Serves on listen_fd (which the exporter then owns) from its own
 * thread.  Block the signals you wait for before calling: the thread
 * inherits the mask.  NULL with err set on failure (fd closed). */
struct exporter *exporter_start(int listen_fd, const struct exporter_ops *ops,
				struct error *err) warn_unused;
/* Stops the thread, closes every connection and the socket. */
void exporter_stop(struct exporter *e);

#endif
