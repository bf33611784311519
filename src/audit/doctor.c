/* The playbook's decisions (doctor.h).  One watching window per run,
 * after listening, takes two snapshots of the daemon and the firewall's
 * counters for every peer at once; each peer's arrival, handshake and
 * tunnel are decided from what moved between them, so that healthy
 * tunnels end the window as soon as their keepalives show, and a broken
 * one is watched for the whole window.  The later steps probe one peer
 * at a time. */
#include "doctor.h"

#include "common/encoding.h"
#include "conf/config.h"
#include "firewall/counters.h"
#include "uapi/device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* One peer's run.  The snapshots of the window are the whole device's,
 * taken once for every peer of the run (doctor_run()): a peer's copy of
 * the state borrows them, and owns after only once the tunnel step has
 * taken a snapshot of its own (own_after). */
struct state {
	const struct doctor_target *t;
	const struct doctor_target *all; /* every peer of the run, for the window */
	size_t n_all;
	const struct doctor_ops *ops;
	struct uapi_device *before, *after;
	bool own_after;
	int watched;                     /* watch()'s return */
	struct error watch_err;
	const struct uapi_peer *pb, *pa; /* the peer in before, after; NULL if absent */
	struct firewall_counters fw_before, fw_after;
	bool fw_exists;
	unsigned waited_ms;
	struct netaddr host; /* the peer's one tunnel address, to ping */
	bool has_host;
};

/* The counters of a get reply that only a datagram from the network
 * moves: rampartd's count of every datagram read (datagrams_received),
 * the core's drops on receive, the daemon's receive path. */
static const char *const receive_counters[] = {
	"datagrams_received",
	"drop_invalid_message", "drop_no_identity", "drop_invalid_mac1",
	"drop_cookie_sent", "drop_cookie_ratelimited", "drop_ratelimited", "drop_handshake_decrypt",
	"drop_unknown_peer", "drop_low_order_point", "drop_replayed_initiation",
	"drop_initiation_flood", "drop_handshake_state", "drop_invalid_cookie",
	"drop_unknown_index", "drop_keypair_expired", "drop_data_decrypt",
	"drop_replayed_counter", "drop_invalid_inner_packet", "drop_source_not_allowed",
	"datagram_truncated", "handshake_queue_full",
};

const char *doctor_step_name(enum doctor_step s)
{
	static const char *const names[DOCTOR_STEPS] = {
		"listening", "arrival", "handshake", "tunnel", "routes", "nat", "dns", "mtu",
	};
	return (unsigned)s < DOCTOR_STEPS ? names[s] : "?";
}

const char *doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK: return "ok";
	case DOCTOR_FAIL: return "fail";
	case DOCTOR_SKIPPED: return "skipped";
	}
	return "?";
}

/* --- writing a result --------------------------------------------------------- */

static void vappend(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		vsnprintf(buf + len, size - len, fmt, ap);
}

/* Appends to r's evidence. */
static void saw(struct doctor_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void saw(struct doctor_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(r->evidence, sizeof(r->evidence), fmt, ap);
	va_end(ap);
}

/* Fails r with the next action. */
static void fail(struct doctor_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct doctor_result *r, const char *fmt, ...)
{
	va_list ap;

	r->status = DOCTOR_FAIL;
	r->next[0] = '\0';
	va_start(ap, fmt);
	vappend(r->next, sizeof(r->next), fmt, ap);
	va_end(ap);
}

static void skip(struct doctor_result *r, const char *why)
{
	r->status = DOCTOR_SKIPPED;
	saw(r, "%s", why);
}

/* --- reading the snapshots ------------------------------------------------------ */

static uint64_t dev_counter(const struct uapi_device *d, const char *name)
{
	for (size_t i = 0; d && i < d->n_counters; i++)
		if (!strcmp(d->counters[i].name, name))
			return d->counters[i].value;
	return 0;
}

static uint64_t delta(uint64_t before, uint64_t after)
{
	return after > before ? after - before : 0;
}

static uint64_t dev_delta(const struct state *s, const char *name)
{
	return delta(dev_counter(s->before, name), dev_counter(s->after, name));
}

static const struct uapi_peer *find_peer(const struct uapi_device *d, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; d && i < d->n_peers; i++)
		if (!memcmp(d->peers[i].public_key, key, KEY_LEN))
			return &d->peers[i];
	return NULL;
}

static uint64_t fw_packets(const struct firewall_counters *c, const char *chain,
			   const char *purpose)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].chain, chain) && !strcmp(c->v[i].purpose, purpose))
			return c->v[i].packets;
	return 0;
}

static uint64_t wireguard_delta(const struct state *s)
{
	return delta(fw_packets(&s->fw_before, "input", "wireguard"),
		     fw_packets(&s->fw_after, "input", "wireguard"));
}

static uint64_t rx_delta(const struct state *s)
{
	return s->pb && s->pa ? delta(s->pb->rx_bytes, s->pa->rx_bytes) : 0;
}

static uint64_t peer_delta(const struct state *s, const char *name)
{
	return s->pb && s->pa ? delta(uapi_peer_counter(s->pb, name),
				      uapi_peer_counter(s->pa, name)) : 0;
}

static uint64_t receive_drops(const struct state *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(receive_counters) / sizeof(receive_counters[0]); i++)
		n += dev_delta(s, receive_counters[i]);
	return n;
}

/* The latest handshake is younger than REJECT_AFTER_TIME. */
static bool handshake_fresh(const struct state *s, const struct uapi_peer *p)
{
	if (!p || (!p->last_handshake_sec && !p->last_handshake_nsec))
		return false;
	return s->ops->wall_s(s->ops->arg) - p->last_handshake_sec < DOCTOR_HANDSHAKE_FRESH_S;
}

/* Handshakes refused in the window, of the kinds handshake_why() names. */
static uint64_t failures(const struct state *s)
{
	return dev_delta(s, "drop_invalid_mac1") + dev_delta(s, "drop_unknown_peer");
}

static bool arrived(const struct state *s)
{
	return wireguard_delta(s) || rx_delta(s) || receive_drops(s) ||
	       peer_delta(s, "handshakes_completed");
}

/* A new get into s->after; the old one goes.  0 or -errno. */
static int observe(struct state *s, struct error *err)
{
	struct uapi_device *d = NULL;
	bool exists = false;
	int ret = s->ops->device(s->ops->arg, s->t->ifname, &d, err);

	if (ret)
		return ret;
	if (s->own_after)
		uapi_device_free(s->after);
	s->after = d;
	s->own_after = true;
	s->pa = find_peer(d, s->t->peer->public_key);
	if (s->ops->counters(s->ops->arg, s->t->ifname, &s->fw_after, &exists, err) || !exists)
		memset(&s->fw_after, 0, sizeof(s->fw_after));
	return 0;
}

/* --- the steps ------------------------------------------------------------------ */

static void step_listening(struct state *s, struct doctor_result *r)
{
	struct error e = { 0 };
	char msg[ERROR_STRLEN];
	bool bound = false;
	uint16_t port;

	if (s->ops->device(s->ops->arg, s->t->ifname, &s->before, &e)) {
		saw(r, "the control socket of %s does not answer: %s", s->t->ifname,
		    error_format(&e, msg, sizeof(msg)));
		if (e.code == -EACCES || e.code == -EPERM)
			fail(r, "run doctor as root: the control socket is root's");
		else
			fail(r, "start the daemon: rampart up %s", s->t->ifname);
		return;
	}
	s->pb = find_peer(s->before, s->t->peer->public_key);
	port = (s->before->flags & UAPI_DEVICE_HAS_LISTEN_PORT) ? s->before->listen_port : 0;
	saw(r, "the control socket answers; listen port %u", port);
	if (!port) {
		fail(r, "set ListenPort in [Interface] of %s and rampart syncconf it", s->t->ifname);
		return;
	}
	if (s->t->conf->has_listen_port && s->t->conf->listen_port != port) {
		saw(r, ", but the config says ListenPort = %u", s->t->conf->listen_port);
		fail(r, "apply the config: rampart syncconf %s <(rampart strip %s)",
		     s->t->ifname, s->t->ifname);
		return;
	}
	if (s->ops->udp_bound(s->ops->arg, port, &bound, &e)) {
		saw(r, "; /proc/net/udp: %s", error_format(&e, msg, sizeof(msg)));
		fail(r, "run doctor as root on the host of %s", s->t->ifname);
		return;
	}
	if (!bound) {
		saw(r, "; no UDP socket bound on port %u in /proc/net/udp or udp6", port);
		fail(r, "restart the daemon: rampart down %s; rampart up %s", s->t->ifname,
		     s->t->ifname);
		return;
	}
	saw(r, "; udp/%u bound", port);
	r->status = DOCTOR_OK;
}

/* Every peer of the run shows a fresh handshake and received bytes. */
static bool all_lively(const struct state *s)
{
	for (size_t i = 0; i < s->n_all; i++) {
		const uint8_t *key = s->all[i].peer->public_key;
		const struct uapi_peer *pb = find_peer(s->before, key), *pa = find_peer(s->after, key);

		if (!pb || !pa || pa->rx_bytes <= pb->rx_bytes || !handshake_fresh(s, pa))
			return false;
	}
	return true;
}

/* Watches until every peer shows a fresh handshake and received bytes,
 * or the window ends.  0 or -errno (the daemon went away). */
static int watch(struct state *s, struct error *err)
{
	const struct doctor_ops *o = s->ops;
	unsigned wait = s->t->wait_ms ? s->t->wait_ms : DOCTOR_WAIT_MS_DEFAULT;
	uint64_t start = o->now_ms(o->arg);
	int ret;

	s->fw_exists = false;
	if (o->counters(o->arg, s->t->ifname, &s->fw_before, &s->fw_exists, err) || !s->fw_exists)
		memset(&s->fw_before, 0, sizeof(s->fw_before));
	do {
		o->sleep_ms(o->arg, DOCTOR_POLL_MS);
		ret = observe(s, err);
		if (ret)
			return ret;
	} while (!all_lively(s) && o->now_ms(o->arg) - start < wait);
	s->waited_ms = (unsigned)(o->now_ms(o->arg) - start);
	return 0;
}

static void drops_seen(const struct state *s, struct doctor_result *r)
{
	bool any = false;

	for (size_t i = 0; i < sizeof(receive_counters) / sizeof(receive_counters[0]); i++) {
		uint64_t d = dev_delta(s, receive_counters[i]);

		if (d) {
			saw(r, "%s %s +%" PRIu64, any ? "," : "; daemon:", receive_counters[i], d);
			any = true;
		}
	}
}

static void step_arrival(struct state *s, struct doctor_result *r)
{
	char msg[ERROR_STRLEN];
	uint16_t port = s->before->listen_port;

	if (s->watched) {
		saw(r, "the daemon stopped answering: %s",
		    error_format(&s->watch_err, msg, sizeof(msg)));
		fail(r, "see why rampartd for %s exited (its log), then rampart up %s",
		     s->t->ifname, s->t->ifname);
		return;
	}
	saw(r, "in %u.%u s: ", s->waited_ms / 1000, s->waited_ms % 1000 / 100);
	if (s->fw_exists)
		saw(r, "nft counter input_wireguard +%" PRIu64, wireguard_delta(s));
	else
		saw(r, "no table inet rampart-%s", s->t->ifname);
	saw(r, "; peer received +%" PRIu64 " bytes", rx_delta(s));
	drops_seen(s, r);
	if (!arrived(s)) {
		saw(r, "; nothing arrived on udp/%u", port);
		fail(r, "an upstream firewall or NAT drops udp/%u before this host: open it "
		     "(router, cloud security group); check that the peer's Endpoint is this "
		     "host's public address and port %u, and that the peer sends "
		     "(PersistentKeepalive)", port, port);
		return;
	}
	r->status = DOCTOR_OK;
}

/* Why no handshake happened, from what the daemon counted in the window. */
static void handshake_why(const struct state *s, struct doctor_result *r)
{
	uint64_t mac1 = dev_delta(s, "drop_invalid_mac1"), unknown = dev_delta(s, "drop_unknown_peer");
	uint64_t load = dev_delta(s, "drop_cookie_sent") + dev_delta(s, "drop_cookie_ratelimited") +
			dev_delta(s, "drop_ratelimited");

	if (mac1) {
		saw(r, "; drop_invalid_mac1 +%" PRIu64 ": bad mac1, initiations made for "
		    "another public key", mac1);
		fail(r, "the client has the wrong server public key: set PublicKey in its [Peer] "
		     "to this host's (rampart show %s public-key)", s->t->ifname);
	} else if (unknown) {
		saw(r, "; drop_unknown_peer +%" PRIu64 ": unknown static, initiations from a key "
		    "this host does not have", unknown);
		fail(r, "the peer is not configured on this host (or with another key): add its "
		     "public key as a [Peer] of %s and rampart syncconf it", s->t->ifname);
	} else if (load) {
		saw(r, "; drop_cookie_sent/drop_cookie_ratelimited/drop_ratelimited +%" PRIu64
		    ": the daemon is under load", load);
		fail(r, "find the source of the initiation flood (rampart events %s)", s->t->ifname);
	} else {
		saw(r, "; no failed handshake counted: what arrives completes no handshake "
		    "with this peer");
		fail(r, "the peer's initiations do not arrive, or this host's answers do not reach "
		     "it: check firewalls and NAT both ways for udp/%u and the peer's Endpoint; "
		     "make it send (PersistentKeepalive = 25)", s->before->listen_port);
	}
}

static void step_handshake(struct state *s, struct doctor_result *r)
{
	char key[KEY_B64_LEN + 1];
	const struct uapi_peer *p = s->pa;

	encoding_key_to_base64(key, s->t->peer->public_key);
	if (!p) {
		saw(r, "peer %s is not configured in the running daemon", key);
		fail(r, "apply the config: rampart syncconf %s <(rampart strip %s)",
		     s->t->ifname, s->t->ifname);
		return;
	}
	if (handshake_fresh(s, p)) {
		saw(r, "latest handshake %" PRId64 " s ago; handshakes_completed +%" PRIu64,
		    s->ops->wall_s(s->ops->arg) - p->last_handshake_sec,
		    peer_delta(s, "handshakes_completed"));
		/* A session younger than 180 s outlives a broken handshake:
		 * with nothing received meanwhile and handshakes failing, the
		 * peer has moved on to a key or a config that no longer works. */
		if (rx_delta(s) || !failures(s)) {
			r->status = DOCTOR_OK;
			return;
		}
		saw(r, ", but nothing received from the peer since");
		handshake_why(s, r);
		return;
	}
	if (p->last_handshake_sec)
		saw(r, "latest handshake %" PRId64 " s ago (older than %d s)",
		    s->ops->wall_s(s->ops->arg) - p->last_handshake_sec, DOCTOR_HANDSHAKE_FRESH_S);
	else
		saw(r, "no handshake with the peer yet");
	handshake_why(s, r);
}

/* The peer's one tunnel address: the first host prefix (/32, /128) of
 * its AllowedIPs, as a hub gives every client. */
static void find_host(struct state *s)
{
	const struct conf_peer *p = s->t->peer;

	for (size_t i = 0; i < p->n_allowed_ips && !s->has_host; i++) {
		const struct netaddr_prefix *a = &p->allowed_ips[i].prefix;

		if (a->cidr == (a->addr.family == AF_INET ? 32 : 128)) {
			s->host = a->addr;
			s->has_host = true;
		}
	}
}

static void tunnel_counters(const struct state *s, struct doctor_result *r)
{
	saw(r, "; transfer: received +%" PRIu64 " bytes, sent +%" PRIu64 " bytes",
	    rx_delta(s), s->pb && s->pa ? delta(s->pb->tx_bytes, s->pa->tx_bytes) : 0);
}

static void step_tunnel(struct state *s, struct doctor_result *r)
{
	char ip[NETADDR_IP_STRLEN], msg[ERROR_STRLEN];
	struct error e = { 0 };
	bool answered = false;
	uint64_t spoofed;
	int ret = 0;

	find_host(s);
	if (s->has_host) {
		netaddr_format_ip(ip, &s->host);
		ret = s->ops->ping(s->ops->arg, s->t->ifname, &s->host, DOCTOR_PING_SIZE, false,
				   &answered, &e);
		if (ret)
			saw(r, "ping %s: %s", ip, error_format(&e, msg, sizeof(msg)));
		else
			saw(r, "ping %s: %s", ip, answered ? "answered" : "no answer");
		/* The ping's own packets are evidence too. */
		(void)observe(s, &e);
	} else {
		saw(r, "no single tunnel address in the peer's AllowedIPs to ping");
		answered = rx_delta(s) > 0;
	}
	tunnel_counters(s, r);
	spoofed = dev_delta(s, "drop_source_not_allowed");
	if (spoofed)
		saw(r, "; drop_source_not_allowed +%" PRIu64 ": packets from a source outside "
		    "AllowedIPs", spoofed);
	if (answered) {
		r->status = DOCTOR_OK;
		return;
	}
	if (ret == -EPERM || ret == -EACCES)
		fail(r, "run doctor as root: the probes need a raw ICMP socket");
	else if (spoofed)
		fail(r, "the peer sends from an address outside its AllowedIPs on this host: set "
		     "its Address inside them, or widen AllowedIPs of its [Peer] in %s",
		     s->t->ifname);
	else
		fail(r, "the handshake works but no traffic comes back: check the peer's Address "
		     "is its AllowedIPs here, and its firewall for ICMP on its tunnel interface");
}

/* Where to ask the route of a prefix: its own address, but for a /0 a
 * documentation address (RFC 5737, 3849), as 0.0.0.0 itself is local. */
static void route_probe(const struct netaddr_prefix *p, struct netaddr *dst)
{
	*dst = p->addr;
	if (p->cidr)
		return;
	if (p->addr.family == AF_INET) {
		dst->in4.s_addr = htonl(0xc6336401); /* 198.51.100.1 */
	} else {
		static const uint8_t doc6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

		memcpy(dst->in6.s6_addr, doc6, 16); /* 2001:db8::1 */
	}
}

static void step_routes(struct state *s, struct doctor_result *r)
{
	const struct conf_peer *p = s->t->peer;
	char ip[NETADDR_PREFIX_STRLEN], msg[ERROR_STRLEN], oif[16];
	struct error e = { 0 };

	r->status = DOCTOR_OK;
	if (!p->n_allowed_ips) {
		skip(r, "the peer has no AllowedIPs");
		return;
	}
	for (size_t i = 0; i < p->n_allowed_ips; i++) {
		const struct netaddr_prefix *a = &p->allowed_ips[i].prefix;
		struct netaddr dst;

		route_probe(a, &dst);
		netaddr_format_prefix(ip, a);
		oif[0] = '\0';
		if (s->ops->route(s->ops->arg, &dst, oif, &e)) {
			saw(r, "%s%s: %s", i ? "; " : "", ip, error_format(&e, msg, sizeof(msg)));
		} else {
			saw(r, "%s%s: dev %s", i ? "; " : "", ip, oif[0] ? oif : "(none)");
			if (!strcmp(oif, s->t->ifname))
				continue;
		}
		if (r->status == DOCTOR_FAIL)
			continue;
		if (!a->cidr)
			fail(r, "the full tunnel's policy rules are missing (wg-quick's fwmark rule "
			     "and table): rampart down %s; rampart up %s", s->t->ifname, s->t->ifname);
		else
			fail(r, "ip route add %s dev %s (rampart up adds it unless Table = off, or "
			     "another route owns the prefix)", ip, s->t->ifname);
	}
}

static int check_forwarding(struct state *s, struct doctor_result *r, int family)
{
	const char *key = family == AF_INET ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding";
	char value[64] = "", msg[ERROR_STRLEN];
	struct error e = { 0 };

	if (s->ops->sysctl(s->ops->arg, key, value, sizeof(value), &e)) {
		saw(r, "%s: %s; ", key, error_format(&e, msg, sizeof(msg)));
		fail(r, "sysctl -w %s=1", key);
		return -1;
	}
	saw(r, "%s = %s; ", key, value);
	if (strcmp(value, "1")) {
		fail(r, "turn forwarding on: sysctl -w %s=1 (rampart up %s sets it for a hub "
		     "with a [Policy])", key, s->t->ifname);
		return -1;
	}
	return 0;
}

static void step_nat(struct state *s, struct doctor_result *r)
{
	const struct conf_peer *p = s->t->peer;
	char ip[NETADDR_PREFIX_STRLEN], rule[256], msg[ERROR_STRLEN];
	bool v4 = false, v6 = false;
	struct error e = { 0 };

	if (!s->t->egress) {
		skip(r, "the peer has no Egress = on: nothing to forward or masquerade");
		return;
	}
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		*(p->allowed_ips[i].prefix.addr.family == AF_INET ? &v4 : &v6) = true;
	if ((v4 && check_forwarding(s, r, AF_INET)) || (v6 && check_forwarding(s, r, AF_INET6)))
		return;
	r->status = DOCTOR_OK;
	for (size_t i = 0; i < p->n_allowed_ips; i++) {
		bool present = false;

		netaddr_format_prefix(ip, &p->allowed_ips[i].prefix);
		rule[0] = '\0';
		if (s->ops->nat(s->ops->arg, &p->allowed_ips[i].prefix, &present, rule, sizeof(rule),
				&e)) {
			saw(r, "%s: %s; ", ip, error_format(&e, msg, sizeof(msg)));
			fail(r, "run doctor as root, to read the ruleset");
			return;
		}
		if (present) {
			saw(r, "%s: %s; ", ip, rule);
			continue;
		}
		saw(r, "no masquerade or snat rule covers %s in the live ruleset", ip);
		fail(r, "NAT the peer out of the WAN: rampart up %s renders it for Egress peers "
		     "(docs/firewall.md, postrouting), or nft add rule inet rampart-%s postrouting "
		     "ip saddr %s masquerade", s->t->ifname, s->t->ifname, ip);
		return;
	}
}

static void step_dns(struct state *s, struct doctor_result *r)
{
	const struct conf *c = s->t->conf;
	char ip[NETADDR_IP_STRLEN], msg[ERROR_STRLEN];
	struct error e = { 0 };
	bool any = false;

	for (size_t i = 0; i < c->n_dns; i++) {
		bool answered = false;

		if (c->dns[i].kind != CONF_DNS_SERVER)
			continue;
		any = true;
		netaddr_format_ip(ip, &c->dns[i].server);
		if (s->ops->dns(s->ops->arg, s->t->ifname, &c->dns[i].server, &answered, &e))
			saw(r, "query to %s: %s", ip, error_format(&e, msg, sizeof(msg)));
		else
			saw(r, "query to %s through %s: %s", ip, s->t->ifname,
			    answered ? "answered" : "no answer");
		if (!answered) {
			fail(r, "make the resolver %s answer from the tunnel: it must listen on its "
			     "tunnel address, and its firewall allow udp/53 (Services = udp/53)", ip);
			return;
		}
		r->status = DOCTOR_OK;
		return;
	}
	if (!any)
		skip(r, "the config names no DNS server");
}

/* The largest size in [lo, hi) that a DF probe passes, lo when none. */
static unsigned mtu_search(struct state *s, unsigned lo, unsigned hi)
{
	struct error e = { 0 };

	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;
		bool answered = false;

		if (!s->ops->ping(s->ops->arg, s->t->ifname, &s->host, mid, true, &answered, &e) &&
		    answered)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void step_mtu(struct state *s, struct doctor_result *r)
{
	unsigned mtu = DOCTOR_MTU_DEFAULT, min, best;
	char ip[NETADDR_IP_STRLEN], msg[ERROR_STRLEN];
	struct error e = { 0 };
	bool answered = false;
	int ret;

	if (!s->has_host) {
		skip(r, "no single tunnel address in the peer's AllowedIPs to probe");
		return;
	}
	netaddr_format_ip(ip, &s->host);
	if (s->ops->mtu(s->ops->arg, s->t->ifname, &mtu, &e))
		saw(r, "MTU of %s: %s, taking %u; ", s->t->ifname,
		    error_format(&e, msg, sizeof(msg)), mtu);
	else
		saw(r, "MTU of %s: %u; ", s->t->ifname, mtu);
	ret = s->ops->ping(s->ops->arg, s->t->ifname, &s->host, mtu, true, &answered, &e);
	if (!ret && answered) {
		saw(r, "a DF probe of %u bytes to %s answers", mtu, ip);
		r->status = DOCTOR_OK;
		return;
	}
	saw(r, "a DF probe of %u bytes to %s: %s", mtu, ip,
	    ret == -EMSGSIZE ? "refused by the kernel as over the path MTU" : "no answer");
	min = s->host.family == AF_INET ? DOCTOR_MTU_MIN4 : DOCTOR_MTU_MIN6;
	if (min >= mtu) {
		fail(r, "the interface MTU %u is at the protocol's minimum; find what drops its "
		     "probes", mtu);
		return;
	}
	best = mtu_search(s, min, mtu);
	if (best == min) {
		answered = false;
		if (s->ops->ping(s->ops->arg, s->t->ifname, &s->host, min, true, &answered, &e) ||
		    !answered) {
			saw(r, "; no DF probe answers, down to %u bytes", min);
			fail(r, "the path drops every DF packet: look for a firewall dropping "
			     "fragments or ICMP on the path");
			return;
		}
	}
	saw(r, "; the largest DF probe that answers: %u bytes: an MTU black hole (ICMP "
	    "fragmentation-needed lost on the path)", best);
	fail(r, "set MTU = %u in [Interface] of %s and of the peer (or let ICMP "
	     "fragmentation-needed through, and clamp TCP MSS)", best, s->t->ifname);
}

/* --- the run ---------------------------------------------------------------------- */

const struct conf_peer *doctor_find_peer(const struct conf *conf, const char *arg)
{
	uint8_t key[KEY_LEN];
	bool is_key = encoding_key_from_base64(key, arg);

	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct conf_peer *p = &conf->peers[i];

		if ((p->name[0] && !strcmp(p->name, arg)) ||
		    (is_key && p->has_public_key && !memcmp(p->public_key, key, KEY_LEN)))
			return p;
	}
	return NULL;
}

/* The steps after listening, which the run has decided once for all. */
static void run_steps(struct state *s, const struct doctor_result *listening,
		      struct doctor_report *rep)
{
	static void (*const steps[DOCTOR_STEPS])(struct state *, struct doctor_result *) = {
		NULL, step_arrival, step_handshake, step_tunnel,
		step_routes, step_nat, step_dns, step_mtu,
	};

	memset(rep, 0, sizeof(*rep));
	rep->steps[0] = *listening;
	rep->failed = listening->status == DOCTOR_FAIL ? 0 : -1;
	for (int i = 1; i < DOCTOR_STEPS; i++) {
		struct doctor_result *r = &rep->steps[i];

		r->step = (enum doctor_step)i;
		if (rep->failed >= 0) {
			r->status = DOCTOR_SKIPPED;
			snprintf(r->evidence, sizeof(r->evidence), "not run: the %s layer is broken",
				 doctor_step_name((enum doctor_step)rep->failed));
			continue;
		}
		steps[i](s, r);
		if (r->status == DOCTOR_FAIL)
			rep->failed = i;
	}
}

void doctor_run(const struct doctor_target *t, size_t n, const struct doctor_ops *ops,
		struct doctor_report *reps)
{
	struct state shared = { .t = t, .all = t, .n_all = n, .ops = ops, .own_after = true };
	struct doctor_result listening = { .step = DOCTOR_LISTENING };

	if (!n)
		return;
	step_listening(&shared, &listening);
	if (listening.status == DOCTOR_OK)
		shared.watched = watch(&shared, &shared.watch_err);
	for (size_t i = 0; i < n; i++) {
		struct state s = shared;

		s.t = &t[i];
		s.own_after = false;
		s.pb = find_peer(s.before, t[i].peer->public_key);
		s.pa = find_peer(s.after, t[i].peer->public_key);
		run_steps(&s, &listening, &reps[i]);
		if (s.own_after)
			uapi_device_free(s.after);
	}
	uapi_device_free(shared.before);
	uapi_device_free(shared.after);
}
