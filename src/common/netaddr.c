#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

enum dec_result { DEC_OK, DEC_NOT_NUMBER, DEC_TOO_BIG };

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Digits only, in the given base; no sign, no space, no prefix.  Stops
 * accumulating once past max so that no length of input overflows. */
static enum dec_result parse_digits(const char *s, unsigned base, uint32_t max,
				    uint32_t *out)
{
	uint64_t v = 0;
	bool big = false;

	if (!*s)
		return DEC_NOT_NUMBER;
	for (; *s; s++) {
		int d = base == 16 ? hex_digit(*s) : (is_digit(*s) ? *s - '0' : -1);

		if (d < 0)
			return DEC_NOT_NUMBER;
		if (!big) {
			v = v * base + (unsigned)d;
			big = v > max;
		}
	}
	if (big)
		return DEC_TOO_BIG;
	*out = (uint32_t)v;
	return DEC_OK;
}

bool netaddr_parse_u32(uint32_t *out, const char *s, uint32_t max, const char **why)
{
	switch (parse_digits(s, 10, max, out)) {
	case DEC_OK:
		return true;
	case DEC_NOT_NUMBER:
		*why = "not a decimal number";
		return false;
	default:
		*why = "number too large";
		return false;
	}
}

bool netaddr_parse_ip(struct netaddr *out, const char *s, const char **why)
{
	struct netaddr a = { 0 };

	if (!*s) {
		*why = "empty address";
		return false;
	}
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, &a.in6) != 1) {
			*why = "not an IPv6 address";
			return false;
		}
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, &a.in4) != 1) {
			*why = "not an IPv4 address";
			return false;
		}
		a.family = AF_INET;
	}
	*out = a;
	return true;
}

bool netaddr_parse_prefix(struct netaddr_prefix *out, const char *s, const char **why)
{
	char ip[NETADDR_IP_STRLEN];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
	struct netaddr_prefix p;
	uint32_t cidr;

	if (iplen >= sizeof(ip)) {
		*why = strchr(s, ':') ? "not an IPv6 address" : "not an IPv4 address";
		return false;
	}
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (!netaddr_parse_ip(&p.addr, ip, why))
		return false;
	if (!slash) {
		p.cidr = p.addr.family == AF_INET ? 32 : 128;
	} else {
		uint32_t max = p.addr.family == AF_INET ? 32 : 128;

		switch (parse_digits(slash + 1, 10, max, &cidr)) {
		case DEC_OK:
			break;
		case DEC_NOT_NUMBER:
			*why = "prefix length is not a decimal number";
			return false;
		default:
			*why = max == 32 ? "prefix length exceeds 32" :
					   "prefix length exceeds 128";
			return false;
		}
		p.cidr = (uint8_t)cidr;
	}
	*out = p;
	return true;
}

static bool valid_label_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-';
}

bool netaddr_valid_hostname(const char *s, const char **why)
{
	size_t len = strlen(s), i, label = 0;
	bool all_digits = true;
	struct in_addr dummy;

	if (!len) {
		*why = "empty host name";
		return false;
	}
	if (len > NETADDR_HOST_MAX || (len == NETADDR_HOST_MAX && s[len - 1] != '.')) {
		*why = "host name longer than 253 characters";
		return false;
	}
	if (s[len - 1] == '.' && len > 1)
		len--; /* a fully qualified name ends in the root label */
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!label) {
				*why = "empty label in host name";
				return false;
			}
			if (s[i - 1] == '-' || s[i - label] == '-') {
				*why = "host name label starts or ends with '-'";
				return false;
			}
			if (i < len) {
				label = 0;
				all_digits = true;
			}
			continue;
		}
		if (!valid_label_char(s[i])) {
			*why = "character not allowed in a host name";
			return false;
		}
		if (++label > NETADDR_LABEL_MAX) {
			*why = "host name label longer than 63 characters";
			return false;
		}
		all_digits &= is_digit(s[i]);
	}
	/* RFC 1123 2.1: the top-level label is alphabetic, so "10.0.0.256"
	 * is a bad address rather than a name. */
	if (all_digits) {
		*why = "not an IPv4 address";
		return false;
	}
	/* getaddrinfo() would take "0x7f" or "127.1" for inet_aton() forms of
	 * an address; refuse the ambiguity instead of guessing. */
	if (inet_aton(s, &dummy)) {
		*why = "legacy IPv4 notation; write a dotted quad";
		return false;
	}
	return true;
}

/* Splits "addr%zone" for IPv6 literals (RFC 4007 section 11). */
static bool parse_ip6_zone(struct netaddr_endpoint *e, const char *host,
			   const char **why)
{
	char ip[NETADDR_IP_STRLEN];
	const char *pct = strchr(host, '%');
	size_t iplen = pct ? (size_t)(pct - host) : strlen(host);

	if (iplen >= sizeof(ip)) {
		*why = "not an IPv6 address";
		return false;
	}
	memcpy(ip, host, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET6, ip, &e->addr.in6) != 1) {
		*why = "not an IPv6 address";
		return false;
	}
	e->addr.family = AF_INET6;
	if (pct) {
		const char *z = pct + 1;
		size_t zlen = strlen(z);

		if (!zlen || zlen > NETADDR_ZONE_MAX || strpbrk(z, "/%[]: \t")) {
			*why = "invalid IPv6 zone (interface name)";
			return false;
		}
		memcpy(e->zone, z, zlen + 1);
	}
	return true;
}

bool netaddr_parse_endpoint(struct netaddr_endpoint *out, const char *s,
			    const char **why)
{
	struct netaddr_endpoint e = { 0 };
	char host[NETADDR_HOST_MAX + 1];
	const char *hbeg, *hend, *port;
	uint32_t p;
	size_t hlen;

	if (!*s) {
		*why = "empty endpoint";
		return false;
	}
	if (s[0] == '[') {
		hbeg = s + 1;
		hend = strchr(hbeg, ']');
		if (!hend) {
			*why = "no closing ']'";
			return false;
		}
		if (hend[1] != ':' || !hend[2]) {
			*why = "missing :port after ']'";
			return false;
		}
		port = hend + 2;
	} else {
		hbeg = s;
		hend = strrchr(s, ':');
		if (!hend || !hend[1]) {
			*why = "missing :port";
			return false;
		}
		port = hend + 1;
	}
	hlen = (size_t)(hend - hbeg);
	if (!hlen) {
		*why = "empty host";
		return false;
	}
	if (hlen >= sizeof(host)) {
		*why = "host name longer than 253 characters";
		return false;
	}
	memcpy(host, hbeg, hlen);
	host[hlen] = '\0';

	switch (parse_digits(port, 10, 65535, &p)) {
	case DEC_OK:
		break;
	case DEC_NOT_NUMBER:
		*why = "port is not a decimal number";
		return false;
	default:
		*why = "port exceeds 65535";
		return false;
	}
	if (!p) {
		*why = "port 0 cannot be a destination";
		return false;
	}
	e.port = (uint16_t)p;

	if (strchr(host, ':')) {
		if (!parse_ip6_zone(&e, host, why)) {
			if (s[0] != '[')
				*why = "not an IPv6 address (write an IPv6 endpoint as [address]:port)";
			return false;
		}
		e.literal = true;
	} else if (s[0] == '[') {
		/* wg(8) accepts "[192.0.2.1]:51820" through getaddrinfo(). */
		if (inet_pton(AF_INET, host, &e.addr.in4) != 1) {
			*why = "brackets hold neither an IPv6 nor an IPv4 address";
			return false;
		}
		e.addr.family = AF_INET;
		e.literal = true;
	} else if (inet_pton(AF_INET, host, &e.addr.in4) == 1) {
		e.addr.family = AF_INET;
		e.literal = true;
	} else {
		if (!netaddr_valid_hostname(host, why))
			return false;
		memcpy(e.host, host, hlen + 1);
	}
	*out = e;
	return true;
}

bool netaddr_parse_port(uint16_t *out, const char *s, const char **why)
{
	uint32_t v;

	switch (parse_digits(s, 10, 65535, &v)) {
	case DEC_OK:
		*out = (uint16_t)v;
		return true;
	case DEC_NOT_NUMBER:
		*why = "not a decimal number";
		return false;
	default:
		*why = "exceeds 65535";
		return false;
	}
}

bool netaddr_parse_fwmark(uint32_t *out, const char *s, const char **why)
{
	enum dec_result r;

	if (!strcasecmp(s, "off")) {
		*out = 0;
		return true;
	}
	/* wg(8): hex only after a lowercase "0x"; everything else decimal. */
	if (s[0] == '0' && s[1] == 'x' && s[2])
		r = parse_digits(s + 2, 16, UINT32_MAX, out);
	else
		r = parse_digits(s, 10, UINT32_MAX, out);
	switch (r) {
	case DEC_OK:
		return true;
	case DEC_NOT_NUMBER:
		*why = "neither off nor a decimal or 0x hex number";
		return false;
	default:
		*why = "exceeds 0xffffffff";
		return false;
	}
}

bool netaddr_parse_keepalive(uint16_t *out, const char *s, const char **why)
{
	uint32_t v;

	if (!strcasecmp(s, "off")) {
		*out = 0;
		return true;
	}
	switch (parse_digits(s, 10, 65535, &v)) {
	case DEC_OK:
		*out = (uint16_t)v;
		return true;
	case DEC_NOT_NUMBER:
		*why = "neither off nor a number of seconds";
		return false;
	default:
		*why = "exceeds 65535 seconds";
		return false;
	}
}

bool netaddr_parse_mtu(uint32_t *out, const char *s, const char **why)
{
	uint32_t v;

	switch (parse_digits(s, 10, NETADDR_MTU_MAX, &v)) {
	case DEC_OK:
		if (v < NETADDR_MTU_MIN)
			break;
		*out = v;
		return true;
	case DEC_NOT_NUMBER:
		*why = "not a decimal number";
		return false;
	default:
		break;
	}
	*why = "outside 68..65535";
	return false;
}

char *netaddr_format_ip(char buf[NETADDR_IP_STRLEN], const struct netaddr *a)
{
	if (!inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->in4 :
							 (const void *)&a->in6,
		       buf, NETADDR_IP_STRLEN))
		snprintf(buf, NETADDR_IP_STRLEN, "(invalid)");
	return buf;
}

char *netaddr_format_prefix(char buf[NETADDR_PREFIX_STRLEN],
			    const struct netaddr_prefix *p)
{
	char ip[NETADDR_IP_STRLEN];

	snprintf(buf, NETADDR_PREFIX_STRLEN, "%s/%u", netaddr_format_ip(ip, &p->addr),
		 p->cidr);
	return buf;
}

char *netaddr_format_endpoint(char buf[NETADDR_ENDPOINT_STRLEN],
			      const struct netaddr_endpoint *e)
{
	char ip[NETADDR_IP_STRLEN];

	if (!e->literal)
		snprintf(buf, NETADDR_ENDPOINT_STRLEN, "%s:%u", e->host, e->port);
	else if (e->addr.family == AF_INET6)
		snprintf(buf, NETADDR_ENDPOINT_STRLEN, "[%s%s%s]:%u",
			 netaddr_format_ip(ip, &e->addr), e->zone[0] ? "%" : "",
			 e->zone, e->port);
	else
		snprintf(buf, NETADDR_ENDPOINT_STRLEN, "%s:%u",
			 netaddr_format_ip(ip, &e->addr), e->port);
	return buf;
}

bool netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->in4.s_addr == b->in4.s_addr;
	if (a->family == AF_INET6)
		return !memcmp(&a->in6, &b->in6, sizeof(a->in6));
	return true;
}

bool netaddr_prefix_equal(const struct netaddr_prefix *a,
			  const struct netaddr_prefix *b)
{
	return a->cidr == b->cidr && netaddr_equal(&a->addr, &b->addr);
}

bool netaddr_endpoint_equal(const struct netaddr_endpoint *a,
			    const struct netaddr_endpoint *b)
{
	if (a->literal != b->literal || a->port != b->port)
		return false;
	if (!a->literal)
		return !strcasecmp(a->host, b->host);
	return netaddr_equal(&a->addr, &b->addr) && !strcmp(a->zone, b->zone);
}

/* --- prefix arithmetic ---------------------------------------------------- */

static size_t addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static uint8_t *addr_ptr(struct netaddr *a)
{
	return a->family == AF_INET ? (uint8_t *)&a->in4 : (uint8_t *)&a->in6;
}

static const uint8_t *addr_cptr(const struct netaddr *a)
{
	return a->family == AF_INET ? (const uint8_t *)&a->in4 : (const uint8_t *)&a->in6;
}

static void mask_bytes(uint8_t *b, size_t len, unsigned cidr)
{
	for (size_t i = 0; i < len; i++) {
		unsigned bits = cidr > i * 8 ? cidr - (unsigned)i * 8 : 0;

		if (bits < 8)
			b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

void netaddr_prefix_mask(struct netaddr_prefix *p)
{
	mask_bytes(addr_ptr(&p->addr), addr_bytes(p->addr.family), p->cidr);
}

bool netaddr_prefix_contains(const struct netaddr_prefix *outer,
			   const struct netaddr_prefix *inner)
{
	struct netaddr_prefix a = *outer, b = *inner;

	if (a.addr.family != b.addr.family || a.cidr > b.cidr)
		return false;
	b.cidr = a.cidr;
	netaddr_prefix_mask(&a);
	netaddr_prefix_mask(&b);
	return !memcmp(addr_cptr(&a.addr), addr_cptr(&b.addr), addr_bytes(a.addr.family));
}
