/* src/monitor/exporter.c: the --listen parser's forms and refusals (each
 * message quoting the value), and the HTTP server on a loopback port
 * against a fake scrape: /metrics, /, 404, HEAD, 405, a 500 when the text
 * cannot be built, scrapes run once per GET of /metrics, and connections
 * past EXPORTER_MAX_CONNECTIONS wait until one closes. */
#include "harness.h"

#include "common/error.h"
#include "common/textbuf.h"
#include "monitor/exporter.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_parse_forms(void)
{
	struct exporter_addr a;
	struct error err = { 0 };
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a.ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.ss;

	CHECK(exporter_parse_listen(":9586", &a, &err) == 0);
	CHECK(a.any && a.ss.ss_family == AF_INET6 && ntohs(s6->sin6_port) == 9586);
	CHECK(!memcmp(&s6->sin6_addr, &in6addr_any, sizeof(in6addr_any)));
	CHECK(a.len == sizeof(struct sockaddr_in6));

	CHECK(exporter_parse_listen("127.0.0.1:80", &a, &err) == 0);
	CHECK(!a.any && a.ss.ss_family == AF_INET && ntohs(s4->sin_port) == 80);
	CHECK(s4->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && a.len == sizeof(*s4));

	CHECK(exporter_parse_listen("[::1]:65535", &a, &err) == 0);
	CHECK(!a.any && a.ss.ss_family == AF_INET6 && ntohs(s6->sin6_port) == 65535);
	CHECK(!memcmp(&s6->sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)));
	CHECK_STR(a.text, "[::1]:65535");
}

static void test_parse_refusals(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "", "\"\": empty endpoint (use ADDR:PORT, [ADDR6]:PORT or :PORT)" },
		{ ":", "\":\": port: " },
		{ ":0", "\":0\": port 0: give a port from 1 to 65535" },
		{ ":65536", "\":65536\": port: " },
		{ "127.0.0.1:99999", "\"127.0.0.1:99999\": " },
		{ "127.0.0.1", "\"127.0.0.1\": missing :port" },
		{ "localhost:9586", "\"localhost:9586\": not an IP address (no host names)" },
		{ "[fe80::1%eth0]:9586", "\"[fe80::1%eth0]:9586\": an IPv6 scope is not supported" },
		{ "[::1:9586", "\"[::1:9586\": no closing ']'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct exporter_addr a;
		struct error err = { 0 };

		CHECK_MSG(exporter_parse_listen(bad[i].text, &a, &err) == -EINVAL, "%s", bad[i].text);
		CHECK_MSG(!strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)), "%s: got '%s'",
			  bad[i].text, err.msg);
	}
}

/* The fake scrape: a counter, and a failure on demand. */
struct fake {
	unsigned scrapes;
	bool fail;
};

static int fake_scrape(void *arg, struct textbuf *o)
{
	struct fake *f = arg;

	f->scrapes++;
	if (f->fail)
		return -ENOMEM;
	textbuf_printf(o, "# TYPE rampart_up gauge\nrampart_up{interface=\"wg0\"} 1\n");
	return 0;
}

/* One request on a new connection; the whole response into buf. */
static size_t http(uint16_t port, const char *req, char *buf, size_t size)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	buf[0] = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	if (fd < 0)
		return 0;
	CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			break;
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	buf[len] = 0;
	close(fd);
	return len;
}

static void test_serve(void)
{
	struct exporter_addr a;
	struct error err = { 0 };
	struct fake f = { 0 };
	const struct exporter_ops ops = { .arg = &f, .scrape = fake_scrape };
	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	struct exporter *e;
	char buf[4096];
	uint16_t port;
	int fd;

	/* Port 0 is refused on the command line; a test wants any free one. */
	CHECK(exporter_parse_listen("127.0.0.1:1", &a, &err) == 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;
	CHECK(exporter_listen(&a, &fd, &err) == 0);
	if (fd < 0)
		return;
	CHECK(getsockname(fd, (struct sockaddr *)&bound, &blen) == 0);
	port = ntohs(bound.sin_port);
	e = exporter_start(fd, &ops, &err);
	CHECK(e != NULL);
	if (!e)
		return;

	http(port, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.0 200", 12) || !strncmp(buf, "HTTP/1.1 200", 12));
	CHECK(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
	CHECK(strstr(buf, "\r\n\r\n# TYPE rampart_up gauge\nrampart_up{interface=\"wg0\"} 1\n") != NULL);
	CHECK(f.scrapes == 1);

	http(port, "HEAD /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strstr(buf, " 200 ") != NULL && !strstr(buf, "rampart_up"));

	http(port, "GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strstr(buf, " 200 ") != NULL && strstr(buf, "href=\"/metrics\"") != NULL);

	http(port, "GET /metrics/x HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strstr(buf, " 404 ") != NULL);
	http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nx=1", buf, sizeof(buf));
	CHECK(strstr(buf, " 405 ") != NULL && strstr(buf, "Allow: GET, HEAD\r\n") != NULL);
	CHECK(f.scrapes == 2); /* the HEAD only */

	f.fail = true;
	http(port, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strstr(buf, " 500 ") != NULL && !strstr(buf, "rampart_up"));
	exporter_stop(e);

	/* The port is free again once stopped: the socket was closed. */
	((struct sockaddr_in *)&a.ss)->sin_port = htons(port);
	CHECK(exporter_listen(&a, &fd, &err) == 0);
	if (fd >= 0)
		close(fd);
}

/* The descriptors open in this process (the exporter's thread shares
 * them): how the test sees that the exporter has accepted. */
static unsigned open_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A connection with half a request: the exporter holds it, waiting for
 * the rest. */
static int half_request(uint16_t port)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n";
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
			send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Polls for up to ms until the fd count reaches want. */
static bool fds_reach(unsigned want, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		if (open_fds() >= want)
			return true;
		poll(NULL, 0, 10);
	}
	return false;
}

/* EXPORTER_MAX_CONNECTIONS held open by clients that never finish their
 * request: one more gets no answer while they stay; once one of them
 * goes, it is served. */
static void test_connection_limit(void)
{
	struct exporter_addr a;
	struct error err = { 0 };
	struct fake f = { 0 };
	const struct exporter_ops ops = { .arg = &f, .scrape = fake_scrape };
	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	int held[EXPORTER_MAX_CONNECTIONS], fd, extra;
	struct exporter *e;
	struct pollfd p;
	unsigned base;
	char buf[256];
	uint16_t port;

	CHECK(exporter_parse_listen("127.0.0.1:1", &a, &err) == 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;
	CHECK(exporter_listen(&a, &fd, &err) == 0);
	if (fd < 0)
		return;
	CHECK(getsockname(fd, (struct sockaddr *)&bound, &blen) == 0);
	port = ntohs(bound.sin_port);
	e = exporter_start(fd, &ops, &err);
	CHECK(e != NULL);
	if (!e)
		return;
	base = open_fds();
	for (int i = 0; i < EXPORTER_MAX_CONNECTIONS; i++)
		CHECK((held[i] = half_request(port)) >= 0);
	/* Each held connection is two descriptors here: ours and the
	 * exporter's accepted one. */
	CHECK(fds_reach(base + 2 * EXPORTER_MAX_CONNECTIONS, 5000));
	extra = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
		static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK(connect(extra, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		CHECK(send(extra, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof(req) - 1));
	}
	/* It is not accepted: no descriptor more, no scrape, no answer. */
	CHECK(!fds_reach(base + 2 * EXPORTER_MAX_CONNECTIONS + 2, 200));
	p = (struct pollfd){ .fd = extra, .events = POLLIN };
	CHECK(poll(&p, 1, 0) == 0 && f.scrapes == 0);
	close(held[0]);
	p = (struct pollfd){ .fd = extra, .events = POLLIN };
	{
		int pr = poll(&p, 1, 5000);
		ssize_t n = read(extra, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		CHECK_MSG(pr == 1 && n > 12 && strstr(buf, " 200 ") == buf + 8, "poll %d, read %zd: '%s'",
			  pr, n, buf);
	}
	CHECK(f.scrapes == 1);
	close(extra);
	for (int i = 1; i < EXPORTER_MAX_CONNECTIONS; i++)
		if (held[i] >= 0)
			close(held[i]);
	exporter_stop(e);
}

static void test_port_in_use(void)
{
	struct exporter_addr a;
	struct error err = { 0 };
	struct sockaddr_in bound;
	socklen_t blen = sizeof(bound);
	char want[EXPORTER_ADDR_STRLEN + 64];
	int fd, fd2;

	CHECK(exporter_parse_listen("127.0.0.1:1", &a, &err) == 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;
	CHECK(exporter_listen(&a, &fd, &err) == 0);
	if (fd < 0)
		return;
	CHECK(getsockname(fd, (struct sockaddr *)&bound, &blen) == 0);
	((struct sockaddr_in *)&a.ss)->sin_port = bound.sin_port;
	CHECK(exporter_listen(&a, &fd2, &err) == -EADDRINUSE && fd2 == -1);
	snprintf(want, sizeof(want), "%s: %s", a.text, strerror(EADDRINUSE));
	CHECK_STR(err.msg, want);
	close(fd);
}

static const struct harness_case cases[] = {
	{ "--listen: :PORT, IPv4, [IPv6]", test_parse_forms },
	{ "--listen: refusals quote the value", test_parse_refusals },
	{ "HTTP: /metrics, HEAD, /, 404, 405, 500", test_serve },
	{ "HTTP: at most EXPORTER_MAX_CONNECTIONS at once", test_connection_limit },
	{ "listen: a port in use is -EADDRINUSE naming the address", test_port_in_use },
};

HARNESS_MAIN(cases)
