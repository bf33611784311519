/* Field parsers and formatters shared by configuration files, argv and the
 * control socket: IP addresses, prefixes, endpoints, ports, fwmarks,
 * keepalive intervals and MTUs.
 *
 * Every parser takes one NUL-terminated token that its caller has already
 * cut out and trimmed; none of them skips whitespace, prints or allocates.
 * On failure a parser leaves its output untouched and points *why at a
 * static reason ("prefix length exceeds 32") that the caller combines with
 * the token and its position into a message. */
#ifndef RAMPART_COMMON_NETADDR_H
#define RAMPART_COMMON_NETADDR_H

#include "compiler.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	/* RFC 1035 section 2.3.4: 253 characters of name, one more for the
	 * trailing dot of a fully qualified name. */
	NETADDR_HOST_MAX = 254,
	NETADDR_LABEL_MAX = 63,
	NETADDR_ZONE_MAX = 15, /* IFNAMSIZ - 1: an IPv6 scope is an ifname */
	NETADDR_IP_STRLEN = 46, /* INET6_ADDRSTRLEN, NUL included */
	NETADDR_PREFIX_STRLEN = NETADDR_IP_STRLEN + 4, /* "/128" */
	/* "[" host-or-ip6 "%" zone "]:" "65535" NUL */
	NETADDR_ENDPOINT_STRLEN = 1 + NETADDR_HOST_MAX + 1 + NETADDR_ZONE_MAX + 2 + 5 + 1,
	NETADDR_MTU_MIN = 68,   /* RFC 791: every IPv4 link carries 68 bytes */
	NETADDR_MTU_MAX = 65535,
};

struct netaddr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr in4;
		struct in6_addr in6;
	};
};

/* An address with a prefix length, kept exactly as written: host bits
 * are neither rejected nor masked (wg(8) warns and the kernel masks). */
struct netaddr_prefix {
	struct netaddr addr;
	uint8_t cidr;
};

/* "host:port", "[v6]:port" or "[v6%zone]:port".  A literal address is
 * parsed into addr; a hostname is kept as text and resolved elsewhere. */
struct netaddr_endpoint {
	bool literal;
	struct netaddr addr;                 /* literal only */
	char zone[NETADDR_ZONE_MAX + 1];     /* literal IPv6 only; "" if none */
	char host[NETADDR_HOST_MAX + 1];     /* hostname only, as written */
	uint16_t port;
};

/* Dotted-quad IPv4 (inet_pton: no leading zeros, no short forms) or any
 * inet_pton IPv6 form; a token containing ':' is read as IPv6. */
bool netaddr_parse_ip(struct netaddr *out, const char *s, const char **why) warn_unused;
/* "addr" or "addr/len"; a missing length means the full 32 or 128. */
bool netaddr_parse_prefix(struct netaddr_prefix *out, const char *s,
			  const char **why) warn_unused;
/* wg(8)'s rules: a leading '[' needs "]:port"; otherwise the token is
 * split at its last ':', so "::1:51820" is host "::1", port 51820.  The
 * port is 1..65535: port 0 cannot be a destination. */
bool netaddr_parse_endpoint(struct netaddr_endpoint *out, const char *s,
			    const char **why) warn_unused;
/* RFC 1123 host name: dot-separated labels of 1..63 letters, digits and
 * hyphens, no hyphen first or last, at most 253 characters plus an
 * optional final dot; the last label may not be all digits (RFC 1123
 * section 2.1), so a mistyped IPv4 address is never taken for a name. */
bool netaddr_valid_hostname(const char *s, const char **why) warn_unused;
/* Decimal 0..65535. */
bool netaddr_parse_port(uint16_t *out, const char *s, const char **why) warn_unused;
/* "off" (any case) or 0..0xffffffff, decimal or with a "0x" prefix hex,
 * exactly as wg(8) reads it ("010" is ten, not eight). */
bool netaddr_parse_fwmark(uint32_t *out, const char *s, const char **why) warn_unused;
/* "off" (any case) or decimal 0..65535 seconds; 0 and "off" both disable. */
bool netaddr_parse_keepalive(uint16_t *out, const char *s, const char **why) warn_unused;
/* Decimal NETADDR_MTU_MIN..NETADDR_MTU_MAX. */
bool netaddr_parse_mtu(uint32_t *out, const char *s, const char **why) warn_unused;
/* Decimal 0..max, digits only (no sign, no space; leading zeros are
 * fine): the building block of the above, for other numeric fields. */
bool netaddr_parse_u32(uint32_t *out, const char *s, uint32_t max,
		       const char **why) warn_unused;

/* Canonical text: inet_ntop for addresses, "addr/len" for prefixes (the
 * length is always written), brackets around IPv6 endpoints.  Each
 * returns buf. */
char *netaddr_format_ip(char buf[NETADDR_IP_STRLEN], const struct netaddr *a);
char *netaddr_format_prefix(char buf[NETADDR_PREFIX_STRLEN],
			    const struct netaddr_prefix *p);
char *netaddr_format_endpoint(char buf[NETADDR_ENDPOINT_STRLEN],
			      const struct netaddr_endpoint *e);

bool netaddr_equal(const struct netaddr *a, const struct netaddr *b) warn_unused;
bool netaddr_prefix_equal(const struct netaddr_prefix *a,
			  const struct netaddr_prefix *b) warn_unused;
/* Hostnames compare case-insensitively (RFC 4343). */
bool netaddr_endpoint_equal(const struct netaddr_endpoint *a,
			    const struct netaddr_endpoint *b) warn_unused;

/* Host bits cleared. */
void netaddr_prefix_mask(struct netaddr_prefix *p);
/* outer contains inner (same family, outer no longer, same network):
 * what `ip route show match INNER` selects. */
bool netaddr_prefix_contains(const struct netaddr_prefix *outer,
			   const struct netaddr_prefix *inner) warn_unused;

#endif
