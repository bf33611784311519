/* rampart doctor: seed 002's diagnosis playbook for the peers of one
 * interface (one, or all of them at once), on the host of the interface.  The layers in order --
 * listening, arrival, handshake, tunnel, routes, nat, dns, mtu -- each
 * decided from observations, stopping at the first broken one, which the
 * report names with what was seen and what to do next.
 *
 * Every observation (the daemon's get, the firewall's named counters, the
 * bound UDP ports, routes, sysctls, pings, a DNS query, the clock) comes
 * through struct doctor_ops, so that the decisions are pure code that the
 * unit tests run on fake observations; doctor_host.c has the host's.
 * Never prints: what an observation fails with is evidence of its step. */
#ifndef RAMPART_AUDIT_DOCTOR_H
#define RAMPART_AUDIT_DOCTOR_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct conf_peer;
struct firewall_counters;
struct uapi_device;

enum doctor_step {
	DOCTOR_LISTENING,
	DOCTOR_ARRIVAL,
	DOCTOR_HANDSHAKE,
	DOCTOR_TUNNEL,
	DOCTOR_ROUTES,
	DOCTOR_NAT,
	DOCTOR_DNS,
	DOCTOR_MTU,
	DOCTOR_STEPS,
};

enum doctor_status { DOCTOR_OK, DOCTOR_FAIL, DOCTOR_SKIPPED };

enum {
	DOCTOR_EVIDENCE_MAX = 640,
	DOCTOR_NEXT_MAX = 384,
	/* The watching window when the caller gives none, and its poll: a
	 * peer whose handshake fails retries every REKEY_TIMEOUT (5 s, plus
	 * up to 333 ms of jitter), so a window of 6 s sees at least one of
	 * its initiations.  A healthy peer ends it at its first keepalive. */
	DOCTOR_WAIT_MS_DEFAULT = 6000,
	DOCTOR_POLL_MS = 200,
	/* One probe's wait for its answer, and the size of the tunnel's
	 * echo: ping(8)'s default, 56 bytes of data. */
	DOCTOR_PROBE_MS = 700,
	DOCTOR_PING_SIZE = 84,
	/* REJECT_AFTER_TIME: a handshake older than this carries nothing. */
	DOCTOR_HANDSHAKE_FRESH_S = 180,
	/* The smallest DF probe: IPv4's minimum datagram every host takes
	 * (RFC 791), IPv6's minimum link MTU (RFC 8200). */
	DOCTOR_MTU_MIN4 = 576,
	DOCTOR_MTU_MIN6 = 1280,
	DOCTOR_MTU_DEFAULT = 1420, /* wg-quick's, for a link it cannot read */
};

struct doctor_result {
	enum doctor_step step;
	enum doctor_status status;
	char evidence[DOCTOR_EVIDENCE_MAX];
	char next[DOCTOR_NEXT_MAX]; /* "" when ok */
};

struct doctor_report {
	struct doctor_result steps[DOCTOR_STEPS]; /* in order, all eight */
	int failed; /* the first failed step, or -1 */
};

/* What doctor observes.  Each returns 0 or -errno with err filled; an
 * error is evidence of the step that asked (a daemon that does not
 * answer fails listening), never the end of the run. */
struct doctor_ops {
	/* The daemon's get=1 for ifname (ctl/socket.h), the caller's. */
	int (*device)(void *arg, const char *ifname, struct uapi_device **out,
		      struct error *err);
	/* Whether a UDP socket of any family is bound on port. */
	int (*udp_bound)(void *arg, uint16_t port, bool *bound, struct error *err);
	/* The named counters of table inet rampart-IFNAME (firewall/counters.h);
	 * *exists false when there is no such table. */
	int (*counters)(void *arg, const char *ifname, struct firewall_counters *out,
			bool *exists, struct error *err);
	/* "ip route get DST": the name of the interface it leaves by, "" for
	 * a route without one (unreachable, blackhole). */
	int (*route)(void *arg, const struct netaddr *dst, char oif[16], struct error *err);
	/* A sysctl ("net.ipv4.ip_forward"), trailing space removed. */
	int (*sysctl)(void *arg, const char *key, char *value, size_t size, struct error *err);
	/* Whether a masquerade or snat rule of the live ruleset covers src
	 * leaving by any interface; *rule receives it (or ""). */
	int (*nat)(void *arg, const struct netaddr_prefix *src, bool *present, char *rule,
		   size_t size, struct error *err);
	/* One ICMP echo of size bytes (IP header included) to dst out of
	 * ifname, with DF when df; *answered within DOCTOR_PROBE_MS.
	 * -EMSGSIZE: the kernel refused it as over the path MTU it knows. */
	int (*ping)(void *arg, const char *ifname, const struct netaddr *dst, unsigned size,
		    bool df, bool *answered, struct error *err);
	/* One DNS query to server:53 out of ifname; *answered on any reply. */
	int (*dns)(void *arg, const char *ifname, const struct netaddr *server,
		   bool *answered, struct error *err);
	/* The interface's MTU. */
	int (*mtu)(void *arg, const char *ifname, unsigned *mtu, struct error *err);
	/* The monotonic clock in ms, and a wait of ms (a fake in the tests). */
	uint64_t (*now_ms)(void *arg);
	void (*sleep_ms)(void *arg, unsigned ms);
	/* The wall clock in seconds, for the age of a handshake. */
	int64_t (*wall_s)(void *arg);
	void *arg;
};

struct doctor_target {
	const char *ifname;
	const struct conf *conf;      /* the interface's config */
	const struct conf_peer *peer; /* one of conf's peers */
	bool egress;                  /* the peer's Egress = on */
	unsigned wait_ms;             /* the watching window; 0: the default */
};

/* Runs the steps in order for each of the n peers t (of one interface:
 * the same ifname, conf and wait_ms) into reps[0..n-1]: the daemon is
 * asked and watched once for all of them, the window ending when every
 * one shows a fresh handshake and received bytes; every step after a
 * peer's first failure is DOCTOR_SKIPPED with that said.  Whatever an
 * observation fails with is evidence of its step (memory included), so
 * this cannot fail. */
void doctor_run(const struct doctor_target *t, size_t n, const struct doctor_ops *ops,
		struct doctor_report *reps);

/* The peer of conf named by arg: its "# Name", or its public key in
 * base64.  NULL when none is. */
const struct conf_peer *doctor_find_peer(const struct conf *conf, const char *arg);

/* Pure readers for the host's observations (doctor_parse.c).  Whether a
 * line of /proc/net/udp or udp6 is a socket bound on port.  Whether a
 * line of nft's listing is a masquerade or snat rule that covers src: one
 * without a source match covers every source; a "saddr" match (a
 * prefix, an address or a set of them) covers src when one of them
 * holds all of src. */
bool doctor_udp_line_has(const char *line, uint16_t port) warn_unused;
bool doctor_nat_covers(const char *line, const struct netaddr_prefix *src) warn_unused;

/* "listening", ...; "ok", "fail", "skipped". */
const char *doctor_step_name(enum doctor_step s);
const char *doctor_status_name(enum doctor_status s);

/* The host's observations: the control socket, /proc, netlink, the live
 * ruleset and raw ICMP sockets (doctor_host.c).  A doctor_host holds what
 * a run reads once (the ruleset); open one per run, NULL with errno, and
 * close it after.  ops->arg is h. */
struct doctor_host;
struct doctor_host *doctor_host_open(void);
void doctor_host_close(struct doctor_host *h);
void doctor_host_ops(struct doctor_host *h, struct doctor_ops *ops);

#endif
