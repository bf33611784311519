/* Who is asking for a change: the SSH session's addresses, from
 * SSH_CONNECTION (whether to open a confirm window at all is the CLI's
 * question: it knows its terminal). */
#include "firewall.h"

#include "common/netaddr.h"

#include <netinet/in.h>
#include <string.h>

/* An address as SSH_CONNECTION writes it: zone dropped, v4-mapped made v4. */
static bool parse_ssh_ip(struct netaddr *out, const char *s, size_t n)
{
	char buf[NETADDR_IP_STRLEN + NETADDR_ZONE_MAX + 2];
	const char *why;
	struct netaddr a;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strchr(buf, ':') && strchr(buf, '%'))
		*strchr(buf, '%') = '\0';
	if (!netaddr_parse_ip(&a, buf, &why))
		return false;
	if (a.family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.in6)) {
		struct in_addr v4;

		memcpy(&v4, &a.in6.s6_addr[12], 4);
		a.family = AF_INET;
		a.in4 = v4;
	}
	*out = a;
	return true;
}

static bool parse_ssh_port(uint16_t *out, const char *s, size_t n)
{
	char buf[8];
	const char *why;
	uint16_t port;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!netaddr_parse_port(&port, buf, &why) || !port)
		return false;
	*out = port;
	return true;
}

bool firewall_parse_ssh_connection(const char *s, struct netaddr *client, uint16_t *server_port)
{
	const char *f[4];
	size_t len[4], n = 0;
	struct netaddr c, server;
	uint16_t cport, sport;

	if (!s)
		return false;
	for (const char *p = s; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (n == 4)
			return false;
		f[n] = p;
		len[n] = strcspn(p, " ");
		p += len[n++];
	}
	if (n != 4 || !parse_ssh_ip(&c, f[0], len[0]) || !parse_ssh_port(&cport, f[1], len[1]) ||
	    !parse_ssh_ip(&server, f[2], len[2]) || !parse_ssh_port(&sport, f[3], len[3]))
		return false;
	*client = c;
	*server_port = sport;
	return true;
}
