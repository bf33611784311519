/* The host's observations for doctor (doctor.h): the daemon over its
 * control socket, the bound ports in /proc/net/udp{,6}, Rampart's nft
 * counters, routes and links over netlink, sysctls under /proc/sys, the
 * live ruleset's NAT rules, and probes from in-process sockets: ICMP echo
 * over a raw socket bound to the interface (IP_PMTUDISC_DO for the DF
 * probes, so that neither this host nor a router may fragment them), and
 * one UDP DNS query.  Raw sockets need CAP_NET_RAW: doctor runs as root. */
#include "doctor.h"

#include "common/textbuf.h"
#include "ctl/socket.h"
#include "firewall/counters.h"
#include "sys/netlink.h"
#include "sys/nftables.h"
#include "sys/sysctl.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	/* A DNS server across a tunnel may be slower than an echo. */
	DNS_WAIT_MS = 2000,
	PROBE_MAX = 65535,
};

static int host_device(void *arg, const char *ifname, struct uapi_device **out,
		       struct error *err)
{
	(void)arg;
	return wgctl_get_device(ifname, out, err);
}

/* Whether one of path's lines (/proc/net/udp or udp6) has port. */
static int udp_file_has(const char *path, uint16_t port, bool *bound, struct error *err)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0; /* no IPv6 */
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f))
		if (doctor_udp_line_has(line, port))
			*bound = true;
	fclose(f);
	return 0;
}

static int host_udp_bound(void *arg, uint16_t port, bool *bound, struct error *err)
{
	(void)arg;
	*bound = false;
	return udp_file_has("/proc/net/udp", port, bound, err) ?:
	       udp_file_has("/proc/net/udp6", port, bound, err);
}

static int host_counters(void *arg, const char *ifname, struct firewall_counters *out,
			 bool *exists, struct error *err)
{
	(void)arg;
	return firewall_counters_read(ifname, out, exists, err);
}

static int host_route(void *arg, const struct netaddr *dst, char oif[16], struct error *err)
{
	struct netlink *nl = netlink_open();
	struct netlink_route r;
	int ret;

	(void)arg;
	if (!nl)
		return error_fail(err, -errno, "netlink: %s", strerror(errno));
	ret = netlink_route_get(nl, dst, &r);
	if (ret)
		*err = *netlink_error(nl);
	else if (!r.oif || !if_indextoname(r.oif, oif))
		oif[0] = '\0';
	netlink_close(nl);
	return ret;
}

static int host_sysctl(void *arg, const char *key, char *value, size_t size, struct error *err)
{
	char v[SYSCTL_VALUE_MAX];
	int ret = sysctl_read("/proc/sys", key, v, err);

	(void)arg;
	if (!ret)
		snprintf(value, size, "%s", v);
	return ret;
}

/* The run's state: the live ruleset, listed once for every peer's NAT
 * question (a hub with a thousand Egress peers would list it a thousand
 * times otherwise). */
struct doctor_host {
	struct textbuf ruleset;
	bool listed;
	struct error list_err; /* code 0 when the listing worked */
};

struct doctor_host *doctor_host_open(void)
{
	return calloc(1, sizeof(struct doctor_host));
}

void doctor_host_close(struct doctor_host *h)
{
	if (!h)
		return;
	free(h->ruleset.buf);
	free(h);
}

static int host_nat(void *arg, const struct netaddr_prefix *src, bool *present, char *rule,
		    size_t size, struct error *err)
{
	struct doctor_host *h = arg;

	*present = false;
	if (!h->listed) {
		h->listed = true;
		if (!nftables_exec("list ruleset\n", false, NFTABLES_OUTPUT_STATELESS, &h->ruleset, 0,
				   &h->list_err) && h->ruleset.err)
			error_fail(&h->list_err, h->ruleset.err, "the ruleset: %s",
				   strerror(-h->ruleset.err));
	}
	if (h->list_err.code) {
		*err = h->list_err;
		return h->list_err.code;
	}
	for (const char *line = h->ruleset.buf; line && *line && !*present;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];

		/* Longer lines are sets of elements, not rules. */
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (doctor_nat_covers(buf, src)) {
				*present = true;
				snprintf(rule, size, "%s", buf + strspn(buf, " \t"));
			}
		}
		line = end ? end + 1 : NULL;
	}
	return 0;
}

static uint16_t icmp_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A socket of type and protocol bound to ifname; -errno. */
static int bound_socket(int family, int type, int proto, const char *ifname, struct error *err)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return error_fail(err, -errno, "socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname))) {
		int e = -errno;

		close(fd);
		return error_fail(err, e, "SO_BINDTODEVICE %s: %s", ifname, strerror(-e));
	}
	return fd;
}

/* Whether buf (as a raw socket gives it) is the echo reply id/seq. */
static bool is_reply(int family, const uint8_t *buf, size_t len, uint16_t id, uint16_t seq)
{
	size_t off = 0;

	if (family == AF_INET) {
		if (len < sizeof(struct ip))
			return false;
		off = (size_t)(buf[0] & 0x0f) * 4;
	}
	if (len < off + 8)
		return false;
	if (buf[off] != (family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return false;
	return !memcmp(buf + off + 4, &id, 2) && !memcmp(buf + off + 6, &seq, 2);
}

/* Waits up to ms for a datagram on fd that match() accepts. */
static bool await(int fd, unsigned ms, bool (*match)(const uint8_t *, size_t, void *), void *arg)
{
	uint64_t end = mono_ms() + ms;
	static uint8_t buf[PROBE_MAX];

	for (uint64_t now = mono_ms(); now < end; now = mono_ms()) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 && match(buf, (size_t)n, arg))
			return true;
	}
	return false;
}

struct echo_match {
	int family;
	uint16_t id, seq;
};

static bool echo_matches(const uint8_t *buf, size_t len, void *arg)
{
	const struct echo_match *m = arg;

	return is_reply(m->family, buf, len, m->id, m->seq);
}

static int send_to(int fd, const struct netaddr *dst, uint16_t port, const void *buf,
		   size_t len)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	const struct sockaddr *sa = (const struct sockaddr *)&s4;
	socklen_t sl = sizeof(s4);

	if (dst->family == AF_INET6) {
		s6.sin6_addr = dst->in6;
		sa = (const struct sockaddr *)&s6;
		sl = sizeof(s6);
	} else {
		s4.sin_addr = dst->in4;
	}
	return sendto(fd, buf, len, 0, sa, sl) < 0 ? -errno : 0;
}

static int host_ping(void *arg, const char *ifname, const struct netaddr *dst, unsigned size,
		     bool df, bool *answered, struct error *err)
{
	static uint16_t seq;
	bool v4 = dst->family == AF_INET;
	size_t head = v4 ? 20 : 40, len = size > head + 8 ? size - head : 8;
	struct echo_match m = { dst->family, htons((uint16_t)getpid()), htons(++seq) };
	int pmtu = df ? (v4 ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO) :
			(v4 ? IP_PMTUDISC_DONT : IPV6_PMTUDISC_DONT);
	uint8_t *pkt;
	int fd, ret;

	(void)arg;
	*answered = false;
	if (size > PROBE_MAX)
		return error_fail(err, -EINVAL, "probe size %u over %d", size, PROBE_MAX);
	fd = bound_socket(dst->family, SOCK_RAW, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, ifname, err);
	if (fd < 0)
		return fd;
	if (setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER,
		       &pmtu, sizeof(pmtu))) {
		ret = error_fail(err, -errno, "IP_MTU_DISCOVER: %s", strerror(errno));
		goto close;
	}
	pkt = calloc(1, len);
	if (!pkt) {
		ret = error_fail(err, -ENOMEM, "out of memory");
		goto close;
	}
	pkt[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	memcpy(pkt + 4, &m.id, 2);
	memcpy(pkt + 6, &m.seq, 2);
	if (v4) {
		/* The kernel fills ICMPv6's checksum on a raw socket, not ICMP's. */
		uint16_t sum = icmp_sum(pkt, len);

		memcpy(pkt + 2, &sum, 2);
	}
	ret = send_to(fd, dst, 0, pkt, len);
	free(pkt);
	if (ret == -EMSGSIZE)
		goto close;
	if (ret) {
		error_fail(err, ret, "sendto: %s", strerror(-ret));
		goto close;
	}
	*answered = await(fd, DOCTOR_PROBE_MS, echo_matches, &m);
close:
	close(fd);
	return ret;
}

static bool dns_matches(const uint8_t *buf, size_t len, void *arg)
{
	const uint8_t *id = arg;

	/* Any answer with our id and the QR bit: even a refusal is a
	 * resolver that answered through the tunnel. */
	return len >= 12 && buf[0] == id[0] && buf[1] == id[1] && (buf[2] & 0x80);
}

static int host_dns(void *arg, const char *ifname, const struct netaddr *server,
		    bool *answered, struct error *err)
{
	/* id, RD, one question: ". IN NS". */
	uint8_t q[17] = { 0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1 };
	uint16_t id = (uint16_t)(getpid() ^ mono_ms());
	int fd, ret;

	(void)arg;
	*answered = false;
	memcpy(q, &id, 2);
	fd = bound_socket(server->family, SOCK_DGRAM, IPPROTO_UDP, ifname, err);
	if (fd < 0)
		return fd;
	ret = send_to(fd, server, 53, q, sizeof(q));
	if (ret)
		error_fail(err, ret, "sendto: %s", strerror(-ret));
	else
		*answered = await(fd, DNS_WAIT_MS, dns_matches, q);
	close(fd);
	return ret;
}

static int host_mtu(void *arg, const char *ifname, unsigned *mtu, struct error *err)
{
	struct netlink *nl = netlink_open();
	struct netlink_link l;
	int ret;

	(void)arg;
	if (!nl)
		return error_fail(err, -errno, "netlink: %s", strerror(errno));
	ret = netlink_link_get(nl, ifname, 0, &l);
	if (ret)
		*err = *netlink_error(nl);
	else
		*mtu = l.mtu;
	netlink_close(nl);
	return ret;
}

static uint64_t host_now_ms(void *arg)
{
	(void)arg;
	return mono_ms();
}

static void host_sleep_ms(void *arg, unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	(void)arg;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int64_t host_wall_s(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

void doctor_host_ops(struct doctor_host *h, struct doctor_ops *ops)
{
	static const struct doctor_ops host = {
		host_device, host_udp_bound, host_counters, host_route, host_sysctl, host_nat,
		host_ping, host_dns, host_mtu, host_now_ms, host_sleep_ms, host_wall_s, NULL,
	};
	*ops = host;
	ops->arg = h;
}
