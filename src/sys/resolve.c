#include "resolve.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char *reason(int gai)
{
	return gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
}

int resolve_each(const char *host, uint16_t port,
		 int (*add)(void *arg, const struct netaddr *addr), void *arg,
		 struct error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL, *ai;
	char service[8];
	int ret = 0, g;

	snprintf(service, sizeof(service), "%u", port);
	g = getaddrinfo(host, service, &hints, &res);
	if (g)
		return error_fail(err, -EHOSTUNREACH, "%s", reason(g));
	for (ai = res; ai && !ret; ai = ai->ai_next) {
		struct netaddr a = { .family = ai->ai_family };

		if (ai->ai_family == AF_INET)
			a.in4 = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a.in6 = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		ret = add(arg, &a);
	}
	freeaddrinfo(res);
	return ret;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Permanent failures, as glibc documents them. */
static bool permanent(int gai)
{
	return gai == EAI_NONAME || gai == EAI_FAIL
#ifdef EAI_NODATA
	       || gai == EAI_NODATA
#endif
		;
}

int resolve_first(const struct netaddr_endpoint *ep, int retries, resolve_wait_fn *wait,
		  void *arg, const char *shown, struct netaddr_endpoint *out,
		  struct error *err)
{
	char host[NETADDR_HOST_MAX + NETADDR_ZONE_MAX + 2], port[8];
	char nhost[NI_MAXHOST], nserv[NI_MAXSERV], text[NI_MAXHOST + NI_MAXSERV + 4];
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
	}, *res = NULL;
	unsigned long timeout = 1000000; /* microseconds */
	const char *why;
	int ret;

	if (ep->literal) {
		char ip[NETADDR_IP_STRLEN];

		snprintf(host, sizeof(host), "%s%s%s", netaddr_format_ip(ip, &ep->addr),
			 ep->zone[0] ? "%" : "", ep->zone);
		hints.ai_flags = AI_NUMERICHOST;
	} else {
		snprintf(host, sizeof(host), "%s", ep->host);
	}
	snprintf(port, sizeof(port), "%u", ep->port);
	hints.ai_flags |= AI_NUMERICSERV;
	for (;;) {
		ret = getaddrinfo(host, port, &hints, &res);
		if (!ret)
			break;
		if (permanent(ret) || ep->literal || (retries >= 0 && !retries--))
			return error_fail(err, -EHOSTUNREACH, "%s: `%s'", reason(ret), shown);
		if (wait)
			wait(arg, reason(ret), (double)timeout / 1000000.0);
		sleep_us(timeout);
		timeout = timeout * 6 / 5 > 20000000 ? 20000000 : timeout * 6 / 5;
	}
	if (!((res->ai_family == AF_INET && res->ai_addrlen == sizeof(struct sockaddr_in)) ||
	      (res->ai_family == AF_INET6 && res->ai_addrlen == sizeof(struct sockaddr_in6)))) {
		freeaddrinfo(res);
		return error_fail(err, -EAFNOSUPPORT, "Neither IPv4 nor IPv6 address found: `%s'",
				  shown);
	}
	ret = getnameinfo(res->ai_addr, res->ai_addrlen, nhost, sizeof(nhost), nserv,
			  sizeof(nserv), NI_DGRAM | NI_NUMERICSERV | NI_NUMERICHOST);
	freeaddrinfo(res);
	if (ret)
		return error_fail(err, -EHOSTUNREACH, "%s: `%s'", gai_strerror(ret), shown);
	snprintf(text, sizeof(text), strchr(nhost, ':') ? "[%s]:%s" : "%s:%s", nhost, nserv);
	if (!netaddr_parse_endpoint(out, text, &why) || !out->literal)
		return error_fail(err, -EHOSTUNREACH, "Unusable address `%s' for `%s'", text,
				  shown);
	return 0;
}
