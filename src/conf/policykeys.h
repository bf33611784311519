/* The field parsers and printers of the Rampart-only keys of a wg-quick
 * file ([Interface] Policy, the [Policy] section, [Peer] Forward and
 * Egress): the parser (wgconf) reads them into the conf model with these,
 * the printer writes them back, and firewall/policy.c resolves what they
 * say.  Pure: no I/O. */
#ifndef RAMPART_CONF_POLICYKEYS_H
#define RAMPART_CONF_POLICYKEYS_H

#include "config.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>

enum {
	/* Rates above this are typos: nft's limit takes a 32-bit count. */
	POLICY_RATE_MAX = 1000000,
	/* HandshakeBurst above this is a typo, as for rates. */
	POLICY_HANDSHAKE_BURST_MAX = 1000000,
};

/* "hub", "client", "site"; "auto" for CONF_ROLE_AUTO. */
const char *policykeys_role_name(enum conf_role role);

/* --- field parsers (config files and argv) ---------------------------------- */

/* "on"/"off" (also "true"/"false", "yes"/"no"), any case. */
bool policykeys_parse_bool(bool *out, const char *s, const char **why) warn_unused;
/* "hub", "client", "site", any case. */
bool policykeys_parse_role(enum conf_role *out, const char *s, const char **why) warn_unused;
/* "N/second", "N/minute", "N/hour", "N/day" with N in 1..POLICY_RATE_MAX,
 * or "off" (count 0). */
bool policykeys_parse_rate(struct conf_rate *out, const char *s, const char **why) warn_unused;
/* "tcp/22", "udp/8000-8100" or "tcp" (every port).  Port 0 and reversed
 * ranges are refused. */
bool policykeys_parse_ports(struct conf_ports *out, const char *s, const char **why) warn_unused;
/* An interface name as the kernel takes it: 1..15 bytes, no '/', no
 * whitespace, not "." or "..". */
bool policykeys_parse_ifname(char out[16], const char *s, const char **why) warn_unused;

/* Canonical text, the inverse of the parsers: "20/second", "off",
 * "tcp/53", "udp/8000-8100", "tcp"; "" for proto 0. */
void policykeys_format_rate(char *buf, size_t size, const struct conf_rate *r);
void policykeys_format_ports(char *buf, size_t size, const struct conf_ports *p);

#endif
