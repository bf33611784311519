/* The exporter's HTTP server over libmicrohttpd (exporter.h). */
#define _GNU_SOURCE
#include "exporter.h"

#include "common/error.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXPORTER_BACKLOG = 64 };

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

static const char index_page[] =
	"<html><head><title>Rampart exporter</title></head>\n"
	"<body><h1>Rampart exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
static const char not_found[] = "Not found: try /metrics\n";
static const char not_allowed[] = "Only GET and HEAD\n";
static const char failed[] = "The metrics could not be built\n";

struct exporter {
	struct MHD_Daemon *mhd;
	struct exporter_ops ops;
};

int exporter_parse_listen(const char *text, struct exporter_addr *a, struct error *err)
{
	struct netaddr_endpoint ep;
	const char *why = NULL;
	uint16_t port = 0;

	memset(a, 0, sizeof(*a));
	if (strlen(text) >= sizeof(a->text))
		return error_fail(err, -EINVAL, "\"%.20s...\": too long for an address and port", text);
	snprintf(a->text, sizeof(a->text), "%s", text);
	if (text[0] == ':') {
		if (!netaddr_parse_port(&port, text + 1, &why))
			return error_fail(err, -EINVAL, "\"%s\": port: %s", text, why);
		a->any = true;
	} else {
		if (!netaddr_parse_endpoint(&ep, text, &why))
			return error_fail(err, -EINVAL, "\"%s\": %s (use ADDR:PORT, [ADDR6]:PORT or :PORT)",
					  text, why);
		if (!ep.literal)
			return error_fail(err, -EINVAL, "\"%s\": not an IP address (no host names)", text);
		if (ep.zone[0])
			return error_fail(err, -EINVAL, "\"%s\": an IPv6 scope is not supported", text);
		port = ep.port;
	}
	if (!port)
		return error_fail(err, -EINVAL, "\"%s\": port 0: give a port from 1 to 65535", text);
	if (a->any || ep.addr.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = a->any ? in6addr_any : ep.addr.in6;
		a->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr = ep.addr.in4;
		a->len = sizeof(*s4);
	}
	return 0;
}

int exporter_listen(const struct exporter_addr *a, int *fdp, struct error *err)
{
	int one = 1, zero = 0, fd, ret;

	*fdp = -1;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_fail(err, -errno, "%s: socket: %s", a->text, strerror(errno));
	/* A restarted exporter binds while the old connections linger. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	/* ":PORT" means both families on one socket, whatever the
	 * net.ipv6.bindv6only default says. */
	if (a->any && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, EXPORTER_BACKLOG))
		goto fail;
	*fdp = fd;
	return 0;
fail:
	ret = -errno;
	close(fd);
	return error_fail(err, ret, "%s: %s", a->text, strerror(-ret));
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const void *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_metrics(struct exporter *e, struct MHD_Connection *conn)
{
	struct textbuf o = { 0 };
	enum MHD_Result ret;
	int err = e->ops.scrape(e->ops.arg, &o);

	if (!err && o.err)
		err = o.err;
	if (err)
		ret = reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			    sizeof(failed) - 1);
	else
		ret = reply(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, o.buf ? o.buf : "", o.len);
	textbuf_wipe(&o);
	return ret;
}

/* libmicrohttpd's access handler: called once a request's headers are in
 * (GET and HEAD have no body to wait for). */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct exporter *e = cls;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0; /* whatever it sends is not read */
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     sizeof(not_allowed) - 1);
	}
	if (!strcmp(url, "/metrics"))
		return serve_metrics(e, conn);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			     sizeof(index_page) - 1);
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
}

struct exporter *exporter_start(int listen_fd, const struct exporter_ops *ops, struct error *err)
{
	struct exporter *e = calloc(1, sizeof(*e));

	if (!e) {
		close(listen_fd);
		error_fail(err, -ENOMEM, "out of memory");
		return NULL;
	}
	e->ops = *ops;
	/* No MHD_USE_ERROR_LOG: the library prints nothing. */
	e->mhd = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD, 0, NULL, NULL, handle, e,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)EXPORTER_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EXPORTER_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!e->mhd) {
		close(listen_fd);
		free(e);
		error_fail(err, -EIO, "libmicrohttpd could not start serving");
		return NULL;
	}
	return e;
}

void exporter_stop(struct exporter *e)
{
	if (!e)
		return;
	/* MHD_stop_daemon closes the listening socket it was given. */
	MHD_stop_daemon(e->mhd);
	free(e);
}
