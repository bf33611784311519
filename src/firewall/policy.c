#include "policy.h"

#include "conf/wgconf.h"

#include "common/netaddr.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static bool is_default_route(const struct netaddr_prefix *p)
{
	return p->cidr == 0;
}

static bool is_host_route(const struct netaddr_prefix *p)
{
	return p->cidr == (p->addr.family == AF_INET ? 32 : 128);
}

enum policy_role policy_infer_role(const struct conf *conf, const char **reason)
{
	bool wide = false;

	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct conf_peer *peer = &conf->peers[i];

		for (size_t j = 0; j < peer->n_allowed_ips; j++) {
			if (is_default_route(&peer->allowed_ips[j].prefix)) {
				*reason = "a peer's AllowedIPs is a default route";
				return POLICY_ROLE_CLIENT;
			}
			if (!is_host_route(&peer->allowed_ips[j].prefix))
				wide = true;
		}
	}
	if (!conf->has_listen_port || !conf->listen_port) {
		*reason = "no ListenPort: it only connects out";
		return POLICY_ROLE_CLIENT;
	}
	if (wide) {
		*reason = "a ListenPort, and peers that route whole networks";
		return POLICY_ROLE_SITE;
	}
	*reason = "a ListenPort, and peers with single addresses";
	return POLICY_ROLE_HUB;
}

static int __attribute__((format(printf, 5, 6)))
refuse(struct error *err, unsigned line, const char *key, const char *value,
       const char *fmt, ...)
{
	va_list ap;

	err->code = -EINVAL;
	err->line = line;
	snprintf(err->key, sizeof(err->key), "%s", key);
	snprintf(err->value, sizeof(err->value), "\"%s\"", value);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Settings that only make sense for some roles. */
static int check_role(const struct conf *conf, const struct policy *pol,
		      struct error *err)
{
	const struct policy_keys *cp = policykeys_of(conf);
	const char *role = policykeys_role_name(pol->role);
	const char *how = pol->role_inferred ? " (inferred: set Role to change it)" : "";

	if (pol->kill_switch && pol->role != POLICY_ROLE_CLIENT)
		return refuse(err, cp->kill_switch.line, "KillSwitch", "on",
			      "invalid \"on\": a kill switch is for clients, and this is a %s%s",
			      role, how);
	if (pol->role == POLICY_ROLE_CLIENT) {
		if (cp->local_networks.n)
			return refuse(err, cp->local_networks.v[0].line, "LocalNetworks", "",
				      "a client does not route for other hosts%s", how);
		for (size_t i = 0; i < conf->n_peers; i++) {
			const struct policy_peer_keys *peer = policykeys_peer(&conf->peers[i]);

			if (peer->egress.set && peer->egress.on)
				return refuse(err, peer->egress.line, "Egress", "on",
					      "invalid \"on\": a client does not route for its peers%s",
					      how);
			if (peer->forwards.n)
				return refuse(err, peer->forwards.v[0].line, "Forward", "",
					      "a client does not route for its peers%s", how);
		}
	}
	if (pol->role != POLICY_ROLE_CLIENT && cp->kill_switch_allow.n)
		return refuse(err, cp->kill_switch_allow.v[0].line, "KillSwitchAllow", "",
			      "only a client has a kill switch, and this is a %s%s", role, how);
	return 0;
}

int policy_resolve(const struct conf *conf, const char *filename, struct policy *out,
		   struct error *err)
{
	const struct policy_keys *cp = policykeys_of(conf);
	struct policy *p = out;

	error_clear(err);
	snprintf(err->file, sizeof(err->file), "%s", filename ? filename : "(input)");
	memset(p, 0, sizeof(*p));

	p->enabled = !cp->enabled.set || cp->enabled.on;
	if (cp->role != POLICY_ROLE_AUTO) {
		p->role = cp->role;
		p->role_reason = "Role in [Policy]";
	} else {
		p->role = policy_infer_role(conf, &p->role_reason);
		p->role_inferred = true;
	}

	p->ssh_port = cp->ssh_port.set ? (uint16_t)cp->ssh_port.value : POLICY_SSH_PORT_DEFAULT;
	if (cp->has_ssh_from) {
		p->ssh_tunnel = cp->ssh_from_tunnel;
		p->ssh_any = cp->ssh_from_any;
		p->ssh_from = cp->ssh_from.v;
		p->n_ssh_from = cp->ssh_from.n;
	} else {
		/* Seed 002: "restrict SSH to the VPN subnet (or to a bastion)". */
		p->ssh_tunnel = true;
	}
	if (cp->ssh_limit.set)
		p->ssh_limit = cp->ssh_limit.rate;
	else
		p->ssh_limit = (struct policy_rate){ POLICY_SSH_LIMIT_DEFAULT, POLICY_RATE_MINUTE };

	p->services = cp->services.v;
	p->n_services = cp->services.n;
	p->isolation = !cp->isolation.set || cp->isolation.on;
	if (cp->has_wan)
		memcpy(p->wan, cp->wan, sizeof(p->wan));
	if (cp->handshake_limit.set)
		p->handshake_limit = cp->handshake_limit.rate;
	else
		p->handshake_limit = (struct policy_rate){ POLICY_HANDSHAKE_LIMIT_DEFAULT,
							 POLICY_RATE_SECOND };
	p->handshake_burst = cp->handshake_burst.set ? cp->handshake_burst.value :
						       POLICY_HANDSHAKE_BURST_DEFAULT;
	p->log_drops = !cp->log_drops.set || cp->log_drops.on;
	if (cp->log_rate.set && cp->log_rate.rate.count)
		p->log_rate = cp->log_rate.rate;
	else
		p->log_rate = (struct policy_rate){ POLICY_LOG_RATE_DEFAULT, POLICY_RATE_MINUTE };
	if (cp->log_rate.set && !cp->log_rate.rate.count)
		p->log_drops = false;
	p->forwards = p->role != POLICY_ROLE_CLIENT;

	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct conf_peer *peer = &conf->peers[i];

		if (policykeys_peer(peer)->egress.set && policykeys_peer(peer)->egress.on)
			p->any_egress = true;
		for (size_t j = 0; j < peer->n_allowed_ips; j++)
			if (is_default_route(&peer->allowed_ips[j].prefix))
				p->full_tunnel = true;
	}
	/* On by default for a client that sends everything through the
	 * tunnel: that is what it must not leak.  A split-tunnel client
	 * reaches the rest of the world directly, by design. */
	p->kill_switch = cp->kill_switch.set ? cp->kill_switch.on :
					       p->role == POLICY_ROLE_CLIENT && p->full_tunnel;
	p->kill_switch_allow = cp->kill_switch_allow.v;
	p->n_kill_switch_allow = cp->kill_switch_allow.n;
	p->local_networks = cp->local_networks.v;
	p->n_local_networks = cp->local_networks.n;
	p->mss_clamp = !cp->mss_clamp.set || cp->mss_clamp.on;
	return check_role(conf, p, err);
}
