/* The pure readers of doctor_host.c's observations (doctor.h): a line of
 * /proc/net/udp, a line of nft's listing. */
#include "doctor.h"

#include "common/netaddr.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

bool doctor_udp_line_has(const char *line, uint16_t port)
{
	const char *colon = strchr(line, ':');
	unsigned p;

	/* "   0: 00000000:CA6C 00000000:0000 07 ...": the first colon ends
	 * the slot number, the second the local address. */
	colon = colon ? strchr(colon + 1, ':') : NULL;
	return colon && sscanf(colon + 1, "%4x", &p) == 1 && p == port;
}

/* Whether the saddr match after s ("10.8.0.0/24" or "{ a, b }") covers
 * src. */
static bool saddr_covers(const char *s, const struct netaddr_prefix *src)
{
	bool set = *s == '{';
	char tok[NETADDR_PREFIX_STRLEN];

	if (set)
		s++;
	for (;;) {
		struct netaddr_prefix p;
		size_t n;

		s += strspn(s, " ,");
		n = strcspn(s, " ,}\n");
		if (!n || n + sizeof("/128") > sizeof(tok))
			return false;
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (!strchr(tok, '/'))
			strcat(tok, src->addr.family == AF_INET ? "/32" : "/128");
		if (netaddr_parse_prefix(&p, tok, NULL) && netaddr_prefix_contains(&p, src))
			return true;
		s += n;
		if (!set || *s == '}' || !*s)
			return false;
	}
}

bool doctor_nat_covers(const char *line, const struct netaddr_prefix *src)
{
	const char *saddr = strstr(line, "saddr ");
	bool v6 = strstr(line, "ip6 saddr") != NULL;

	if (!strstr(line, "masquerade") && !strstr(line, "snat to"))
		return false;
	if (!saddr)
		return true;
	if (v6 != (src->addr.family == AF_INET6))
		return false;
	saddr += strlen("saddr ");
	if (!strncmp(saddr, "!= ", 3))
		return !saddr_covers(saddr + 3, src);
	return saddr_covers(saddr, src);
}

