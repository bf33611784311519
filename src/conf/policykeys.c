#include "policykeys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *policykeys_role_name(enum conf_role role)
{
	switch (role) {
	case CONF_ROLE_HUB:
		return "hub";
	case CONF_ROLE_CLIENT:
		return "client";
	case CONF_ROLE_SITE:
		return "site";
	case CONF_ROLE_AUTO:
		break;
	}
	return "auto";
}

/* --- field parsers ---------------------------------------------------------- */

bool policykeys_parse_bool(bool *out, const char *s, const char **why)
{
	static const char *const yes[] = { "on", "true", "yes" };
	static const char *const no[] = { "off", "false", "no" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	*why = "neither on nor off";
	return false;
}

bool policykeys_parse_role(enum conf_role *out, const char *s, const char **why)
{
	static const enum conf_role roles[] = { CONF_ROLE_HUB, CONF_ROLE_CLIENT, CONF_ROLE_SITE };

	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		if (!strcasecmp(s, policykeys_role_name(roles[i]))) {
			*out = roles[i];
			return true;
		}
	}
	*why = "not hub, client or site";
	return false;
}

static const char *const rate_units[] = {
	[CONF_RATE_SECOND] = "second",
	[CONF_RATE_MINUTE] = "minute",
	[CONF_RATE_HOUR] = "hour",
	[CONF_RATE_DAY] = "day",
};

bool policykeys_parse_rate(struct conf_rate *out, const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	char num[16];
	uint32_t n;

	if (!strcasecmp(s, "off")) {
		out->count = 0;
		out->unit = CONF_RATE_SECOND;
		return true;
	}
	if (!slash || (size_t)(slash - s) >= sizeof(num)) {
		*why = "not COUNT/UNIT (such as 20/second) or off";
		return false;
	}
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (!netaddr_parse_u32(&n, num, POLICY_RATE_MAX, why))
		return false;
	if (!n) {
		*why = "a rate of 0: write off";
		return false;
	}
	for (size_t u = 0; u < ARRAY_SIZE(rate_units); u++) {
		if (!strcasecmp(slash + 1, rate_units[u])) {
			out->count = n;
			out->unit = (enum conf_rate_unit)u;
			return true;
		}
	}
	*why = "unit is not second, minute, hour or day";
	return false;
}

static bool parse_port(uint16_t *out, const char *s, const char **why)
{
	if (!netaddr_parse_port(out, s, why))
		return false;
	if (!*out) {
		*why = "port 0";
		return false;
	}
	return true;
}

bool policykeys_parse_ports(struct conf_ports *out, const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	size_t plen = slash ? (size_t)(slash - s) : strlen(s);
	struct conf_ports p = { 0 };
	char lo[8], *dash;

	if (plen == 3 && !strncasecmp(s, "tcp", 3))
		p.proto = IPPROTO_TCP;
	else if (plen == 3 && !strncasecmp(s, "udp", 3))
		p.proto = IPPROTO_UDP;
	else {
		*why = "protocol is not tcp or udp";
		return false;
	}
	if (slash) {
		if (strlen(slash + 1) >= sizeof(lo) * 2) {
			*why = "not PORT or PORT-PORT";
			return false;
		}
		snprintf(lo, sizeof(lo), "%.*s", (int)strcspn(slash + 1, "-"), slash + 1);
		dash = strchr(slash + 1, '-');
		if (strcspn(slash + 1, "-") >= sizeof(lo)) {
			*why = "not PORT or PORT-PORT";
			return false;
		}
		if (!parse_port(&p.lo, lo, why) ||
		    !parse_port(&p.hi, dash ? dash + 1 : lo, why))
			return false;
		if (p.hi < p.lo) {
			*why = "range ends before it starts";
			return false;
		}
	}
	*out = p;
	return true;
}

bool policykeys_parse_ifname(char out[16], const char *s, const char **why)
{
	size_t n = strlen(s);

	if (!n || n > 15) {
		*why = "not 1 to 15 characters";
		return false;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..") || strpbrk(s, "/: \t\n\v\f\r")) {
		*why = "not a valid interface name";
		return false;
	}
	memcpy(out, s, n + 1);
	return true;
}

void policykeys_format_rate(char *buf, size_t size, const struct conf_rate *r)
{
	if (!r->count)
		snprintf(buf, size, "off");
	else
		snprintf(buf, size, "%u/%s", r->count,
			 r->unit < ARRAY_SIZE(rate_units) ? rate_units[r->unit] : "?");
}

void policykeys_format_ports(char *buf, size_t size, const struct conf_ports *p)
{
	const char *proto = p->proto == IPPROTO_TCP ? "tcp" :
			    p->proto == IPPROTO_UDP ? "udp" : "";

	if (!p->proto || !p->lo)
		snprintf(buf, size, "%s", proto);
	else if (p->lo == p->hi)
		snprintf(buf, size, "%s/%u", proto, p->lo);
	else
		snprintf(buf, size, "%s/%u-%u", proto, p->lo, p->hi);
}

/* --- resolution --------------------------------------------------------------- */
