/* src/audit/doctor.c: every step's ok, fail and skipped decision, with
 * its evidence and next action, on fake observations: a fake daemon whose
 * counters move by a fixed amount per get, a fake clock that sleeping
 * advances (no real waits), fake routes, sysctls, NAT rules and probes;
 * and the run stopping at the first broken layer. */
#include "harness.h"

#include "audit/doctor.h"
#include "common/encoding.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "firewall/counters.h"
#include "firewall/policykeys.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define K1 "KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18="
#define P1 "YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs="
#define P2 "CHkEaSbCMOGUchInGyGSv2Ra1WJQJ+j2sKKvqe80vFI="
#define IFACE "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
#define LAPTOP "[Peer]\n# Name = laptop\nPublicKey = " P1 "\n"
#define HUB IFACE LAPTOP "AllowedIPs = 10.9.0.2/32\n"
#define WALL 1000000

/* The world the fake observations come from. */
struct fake {
	uint64_t now_ms;
	int device_err;           /* the control socket's error, or 0 */
	uint16_t listen_port;
	bool bound, peer_absent;
	unsigned gets;            /* gets so far: counters = per_get * gets */
	uint64_t rx_per_get, mac1_per_get, unknown_per_get, spoof_per_get, datagrams_per_get;
	bool fw_table;
	uint64_t fw_per_get;
	int64_t handshake_age;    /* seconds; -1: never */
	char oif[16];
	char forward[8];
	bool nat;
	bool ping_answers;
	unsigned path_mtu;        /* DF probes up to this size answer */
	unsigned pings, dns_queries;
	int ping_err;
	bool dns_answers;
	unsigned mtu;
};

static struct fake w;

static void world(void)
{
	memset(&w, 0, sizeof(w));
	w.listen_port = 51820;
	w.bound = true;
	w.rx_per_get = 32;
	w.handshake_age = 5;
	snprintf(w.oif, sizeof(w.oif), "wg0");
	snprintf(w.forward, sizeof(w.forward), "1");
	w.nat = true;
	w.ping_answers = true;
	w.path_mtu = 1500;
	w.dns_answers = true;
	w.mtu = 1420;
}

static int f_device(void *arg, const char *ifname, struct uapi_device **out, struct error *err)
{
	struct uapi_device *d;
	uint8_t key[KEY_LEN];
	uint64_t n;

	(void)arg;
	if (w.device_err)
		return error_fail(err, w.device_err, "connect: %s", strerror(-w.device_err));
	n = w.gets++;
	d = uapi_device_alloc();
	if (!d)
		return -ENOMEM;
	snprintf(d->name, sizeof(d->name), "%s", ifname);
	d->flags = UAPI_DEVICE_HAS_LISTEN_PORT;
	d->listen_port = w.listen_port;
	if ((w.datagrams_per_get &&
	     uapi_device_add_counter(d, "datagrams_received", n * w.datagrams_per_get)) ||
	    (w.mac1_per_get && uapi_device_add_counter(d, "drop_invalid_mac1", n * w.mac1_per_get)) ||
	    (w.unknown_per_get && uapi_device_add_counter(d, "drop_unknown_peer", n * w.unknown_per_get)) ||
	    (w.spoof_per_get &&
	     uapi_device_add_counter(d, "drop_source_not_allowed", n * w.spoof_per_get)))
		goto fail;
	if (!w.peer_absent) {
		struct uapi_peer *p;

		if (!encoding_key_from_base64(key, P1) || !(p = uapi_device_add_peer(d, key)))
			goto fail;
		p->rx_bytes = n * w.rx_per_get;
		p->tx_bytes = n * 32;
		if (w.handshake_age >= 0)
			p->last_handshake_sec = WALL - w.handshake_age;
	}
	*out = d;
	return 0;
fail:
	uapi_device_free(d);
	return -ENOMEM;
}

static int f_udp_bound(void *arg, uint16_t port, bool *bound, struct error *err)
{
	(void)arg, (void)err;
	*bound = w.bound && port == w.listen_port;
	return 0;
}

static int f_counters(void *arg, const char *ifname, struct firewall_counters *out,
		      bool *exists, struct error *err)
{
	(void)arg, (void)ifname, (void)err;
	memset(out, 0, sizeof(*out));
	*exists = w.fw_table;
	if (w.fw_table) {
		snprintf(out->v[0].chain, sizeof(out->v[0].chain), "input");
		snprintf(out->v[0].purpose, sizeof(out->v[0].purpose), "wireguard");
		/* Read just before the get that counts it. */
		out->v[0].packets = w.gets * w.fw_per_get;
		out->n = 1;
	}
	return 0;
}

static int f_route(void *arg, const struct netaddr *dst, char oif[16], struct error *err)
{
	(void)arg, (void)dst, (void)err;
	snprintf(oif, 16, "%s", w.oif);
	return 0;
}

static int f_sysctl(void *arg, const char *key, char *value, size_t size, struct error *err)
{
	(void)arg, (void)key, (void)err;
	snprintf(value, size, "%s", w.forward);
	return 0;
}

static int f_nat(void *arg, const struct netaddr_prefix *src, bool *present, char *rule,
		 size_t size, struct error *err)
{
	(void)arg, (void)src, (void)err;
	*present = w.nat;
	snprintf(rule, size, "%s", w.nat ? "oifname \"eth0\" ip saddr 10.9.0.2 masquerade" : "");
	return 0;
}

static int f_ping(void *arg, const char *ifname, const struct netaddr *dst, unsigned size,
		  bool df, bool *answered, struct error *err)
{
	(void)arg, (void)ifname, (void)dst;
	w.pings++;
	*answered = false;
	if (w.ping_err)
		return error_fail(err, w.ping_err, "socket: %s", strerror(-w.ping_err));
	*answered = w.ping_answers && (!df || size <= w.path_mtu);
	return 0;
}

static int f_dns(void *arg, const char *ifname, const struct netaddr *server, bool *answered,
		 struct error *err)
{
	(void)arg, (void)ifname, (void)server, (void)err;
	w.dns_queries++;
	*answered = w.dns_answers;
	return 0;
}

static int f_mtu(void *arg, const char *ifname, unsigned *mtu, struct error *err)
{
	(void)arg, (void)ifname, (void)err;
	*mtu = w.mtu;
	return 0;
}

static uint64_t f_now(void *arg)
{
	(void)arg;
	return w.now_ms;
}

static void f_sleep(void *arg, unsigned ms)
{
	(void)arg;
	w.now_ms += ms;
}

static int64_t f_wall(void *arg)
{
	(void)arg;
	return WALL;
}

static const struct doctor_ops ops = {
	f_device, f_udp_bound, f_counters, f_route, f_sysctl, f_nat,
	f_ping, f_dns, f_mtu, f_now, f_sleep, f_wall, NULL,
};

static struct doctor_report rep;

/* The parser knows Egress only once the policy keys are registered. */
static void setup(void)
{
	static bool done;

	if (!done)
		CHECK(policykeys_register() == 0);
	done = true;
}

/* Runs doctor on config text for its first peer; the report in rep. */
static void run(const char *text)
{
	struct error err = { 0 };
	struct conf *conf = NULL;

	setup();
	CHECK_MSG(wgconf_parse(text, strlen(text), "wg0.conf", &conf, &err) == 0, "%s", err.msg);
	if (!conf)
		return;
	struct doctor_target t = {
		"wg0", conf, &conf->peers[0], policykeys_peer(&conf->peers[0])->egress.on, 0,
	};
	doctor_run(&t, 1, &ops, &rep);
	conf_free(conf);
}

static bool has(enum doctor_step s, enum doctor_status st, const char *evidence,
		const char *next)
{
	const struct doctor_result *r = &rep.steps[s];

	return r->step == s && r->status == st && (!evidence || strstr(r->evidence, evidence)) &&
	       (!next || strstr(r->next, next));
}

/* step failed, every earlier step ok or skipped, every later one not run. */
static bool broken_at(enum doctor_step step)
{
	if (rep.failed != (int)step)
		return false;
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		enum doctor_status st = rep.steps[i].status;

		if (i < (int)step && st == DOCTOR_FAIL)
			return false;
		if (i > (int)step && !(st == DOCTOR_SKIPPED &&
				       strstr(rep.steps[i].evidence, "not run: the ") &&
				       strstr(rep.steps[i].evidence, doctor_step_name(step))))
			return false;
	}
	return true;
}

#define SHOW(s) "%s: %s | %s", doctor_status_name(rep.steps[s].status), \
	rep.steps[s].evidence, rep.steps[s].next

static void test_healthy(void)
{
	world();
	run(HUB);
	CHECK_MSG(rep.failed == -1, "failed at %d", rep.failed);
	CHECK_MSG(has(DOCTOR_LISTENING, DOCTOR_OK, "udp/51820 bound", NULL), SHOW(DOCTOR_LISTENING));
	CHECK_MSG(has(DOCTOR_ARRIVAL, DOCTOR_OK, "peer received +32 bytes", NULL), SHOW(DOCTOR_ARRIVAL));
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_OK, "latest handshake 5 s ago", NULL),
		  SHOW(DOCTOR_HANDSHAKE));
	CHECK_MSG(has(DOCTOR_TUNNEL, DOCTOR_OK, "ping 10.9.0.2: answered", NULL), SHOW(DOCTOR_TUNNEL));
	CHECK_MSG(has(DOCTOR_ROUTES, DOCTOR_OK, "10.9.0.2/32: dev wg0", NULL), SHOW(DOCTOR_ROUTES));
	CHECK_MSG(has(DOCTOR_NAT, DOCTOR_SKIPPED, "no Egress", NULL), SHOW(DOCTOR_NAT));
	CHECK_MSG(has(DOCTOR_DNS, DOCTOR_SKIPPED, "no DNS server", NULL), SHOW(DOCTOR_DNS));
	CHECK_MSG(has(DOCTOR_MTU, DOCTOR_OK, "DF probe of 1420 bytes to 10.9.0.2 answers", NULL),
		  SHOW(DOCTOR_MTU));
	for (int i = 0; i < DOCTOR_STEPS; i++)
		CHECK(rep.steps[i].status == DOCTOR_FAIL || !rep.steps[i].next[0]);
	/* A healthy peer ends the window at the first poll that shows it. */
	CHECK_MSG(w.now_ms == DOCTOR_POLL_MS, "%llu ms", (unsigned long long)w.now_ms);
}

static void test_listening(void)
{
	world();
	w.device_err = -ECONNREFUSED;
	run(HUB);
	CHECK(broken_at(DOCTOR_LISTENING));
	CHECK_MSG(has(DOCTOR_LISTENING, DOCTOR_FAIL, "control socket of wg0 does not answer",
		      "rampart up wg0"), SHOW(DOCTOR_LISTENING));
	CHECK(w.pings == 0);

	world();
	w.device_err = -EACCES;
	run(HUB);
	CHECK_MSG(has(DOCTOR_LISTENING, DOCTOR_FAIL, "Permission denied", "run doctor as root"),
		  SHOW(DOCTOR_LISTENING));

	world();
	w.bound = false;
	run(HUB);
	CHECK(broken_at(DOCTOR_LISTENING));
	CHECK_MSG(has(DOCTOR_LISTENING, DOCTOR_FAIL, "no UDP socket bound on port 51820",
		      "restart the daemon"), SHOW(DOCTOR_LISTENING));

	world();
	w.listen_port = 40000;
	run(HUB);
	CHECK(broken_at(DOCTOR_LISTENING));
	CHECK_MSG(has(DOCTOR_LISTENING, DOCTOR_FAIL, "config says ListenPort = 51820",
		      "rampart syncconf wg0"), SHOW(DOCTOR_LISTENING));
}

static void test_arrival(void)
{
	world();
	w.rx_per_get = 0;
	w.handshake_age = -1;
	run(HUB);
	CHECK(broken_at(DOCTOR_ARRIVAL));
	CHECK_MSG(has(DOCTOR_ARRIVAL, DOCTOR_FAIL, "nothing arrived on udp/51820", "upstream firewall"),
		  SHOW(DOCTOR_ARRIVAL));
	CHECK(has(DOCTOR_ARRIVAL, DOCTOR_FAIL, "no table inet rampart-wg0", NULL));
	/* A broken layer is watched for the whole window, and no longer. */
	CHECK_MSG(w.now_ms == DOCTOR_WAIT_MS_DEFAULT, "%llu ms", (unsigned long long)w.now_ms);

	/* With Rampart's table, its counter is the evidence. */
	world();
	w.rx_per_get = 0;
	w.handshake_age = -1;
	w.fw_table = true;
	run(HUB);
	CHECK_MSG(has(DOCTOR_ARRIVAL, DOCTOR_FAIL, "nft counter input_wireguard +0", NULL),
		  SHOW(DOCTOR_ARRIVAL));
	world();
	w.rx_per_get = 0;
	w.handshake_age = -1;
	w.fw_table = true;
	w.fw_per_get = 2;
	run(HUB);
	CHECK_MSG(has(DOCTOR_ARRIVAL, DOCTOR_OK, "input_wireguard +", NULL), SHOW(DOCTOR_ARRIVAL));
	CHECK(broken_at(DOCTOR_HANDSHAKE));
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_FAIL, "no failed handshake counted", "PersistentKeepalive"),
		  SHOW(DOCTOR_HANDSHAKE));

	/* Without a table, rampartd's own count of what reached the port:
	 * initiations that arrive and are answered, the answers lost. */
	world();
	w.rx_per_get = 0;
	w.handshake_age = -1;
	w.datagrams_per_get = 1;
	run(HUB);
	CHECK_MSG(has(DOCTOR_ARRIVAL, DOCTOR_OK, "no table inet rampart-wg0; peer received +0 bytes; "
		      "daemon: datagrams_received +", NULL), SHOW(DOCTOR_ARRIVAL));
	CHECK(broken_at(DOCTOR_HANDSHAKE));
}

static void test_handshake(void)
{
	world();
	w.rx_per_get = 0;
	w.handshake_age = -1;
	w.mac1_per_get = 1;
	run(HUB);
	CHECK(broken_at(DOCTOR_HANDSHAKE));
	CHECK(has(DOCTOR_ARRIVAL, DOCTOR_OK, "drop_invalid_mac1 +", NULL));
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_FAIL, "bad mac1", "wrong server public key"),
		  SHOW(DOCTOR_HANDSHAKE));

	world();
	w.rx_per_get = 0;
	w.handshake_age = -1;
	w.unknown_per_get = 1;
	run(HUB);
	CHECK(broken_at(DOCTOR_HANDSHAKE));
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_FAIL, "unknown static", "not configured on this host"),
		  SHOW(DOCTOR_HANDSHAKE));

	world();
	w.handshake_age = DOCTOR_HANDSHAKE_FRESH_S + 20;
	w.mac1_per_get = 1;
	run(HUB);
	CHECK(broken_at(DOCTOR_HANDSHAKE));
	CHECK(has(DOCTOR_HANDSHAKE, DOCTOR_FAIL, "200 s ago (older than 180 s)", "wrong server"));

	/* A session still young, but nothing received since and the
	 * peer's initiations refused: it changed keys. */
	world();
	w.rx_per_get = 0;
	w.mac1_per_get = 2;
	run(HUB);
	CHECK(broken_at(DOCTOR_HANDSHAKE));
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_FAIL, "5 s ago; handshakes_completed +0, but nothing "
		      "received from the peer since; drop_invalid_mac1 +", "wrong server public key"),
		  SHOW(DOCTOR_HANDSHAKE));
	/* The same session idle, with no failures: fine. */
	world();
	w.rx_per_get = 0;
	w.fw_table = true;
	w.fw_per_get = 1;
	run(HUB);
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_OK, "5 s ago", NULL), SHOW(DOCTOR_HANDSHAKE));

	world();
	w.peer_absent = true;
	w.mac1_per_get = 1;
	run(HUB);
	CHECK(broken_at(DOCTOR_HANDSHAKE));
	CHECK_MSG(has(DOCTOR_HANDSHAKE, DOCTOR_FAIL, "not configured in the running daemon",
		      "rampart syncconf wg0"), SHOW(DOCTOR_HANDSHAKE));
}

static void test_tunnel(void)
{
	world();
	w.ping_answers = false;
	w.spoof_per_get = 3;
	run(HUB);
	CHECK(broken_at(DOCTOR_TUNNEL));
	CHECK_MSG(has(DOCTOR_TUNNEL, DOCTOR_FAIL, "ping 10.9.0.2: no answer", "outside its AllowedIPs"),
		  SHOW(DOCTOR_TUNNEL));
	CHECK(has(DOCTOR_TUNNEL, DOCTOR_FAIL, "drop_source_not_allowed +", NULL));

	world();
	w.ping_answers = false;
	run(HUB);
	CHECK(broken_at(DOCTOR_TUNNEL));
	CHECK_MSG(has(DOCTOR_TUNNEL, DOCTOR_FAIL, "transfer: received +", "no traffic comes back"),
		  SHOW(DOCTOR_TUNNEL));

	/* A probe the host refuses (not root): said so. */
	world();
	w.ping_err = -EPERM;
	run(HUB);
	CHECK(broken_at(DOCTOR_TUNNEL));
	CHECK_MSG(has(DOCTOR_TUNNEL, DOCTOR_FAIL, "ping 10.9.0.2: socket: Operation not permitted",
		      "run doctor as root"), SHOW(DOCTOR_TUNNEL));

	/* No single address to ping: the transfer counters decide, and the
	 * MTU cannot be probed. */
	world();
	w.ping_answers = false;
	run(IFACE LAPTOP "AllowedIPs = 10.9.0.0/24\n");
	CHECK_MSG(rep.failed == -1, "failed at %d", rep.failed);
	CHECK_MSG(has(DOCTOR_TUNNEL, DOCTOR_OK, "no single tunnel address", NULL), SHOW(DOCTOR_TUNNEL));
	CHECK(has(DOCTOR_MTU, DOCTOR_SKIPPED, "no single tunnel address", NULL));
	CHECK(w.pings == 0);
}

static void test_routes(void)
{
	world();
	snprintf(w.oif, sizeof(w.oif), "eth0");
	w.dns_answers = false;
	run(IFACE "DNS = 10.9.0.1\n" LAPTOP "AllowedIPs = 10.9.0.2/32\n");
	CHECK(broken_at(DOCTOR_ROUTES));
	CHECK_MSG(has(DOCTOR_ROUTES, DOCTOR_FAIL, "10.9.0.2/32: dev eth0",
		      "ip route add 10.9.0.2/32 dev wg0"), SHOW(DOCTOR_ROUTES));
	/* Stopped there: the later layers were not even observed. */
	CHECK(w.dns_queries == 0);

	world();
	w.oif[0] = '\0';
	run(IFACE LAPTOP "AllowedIPs = 10.9.0.2/32, 0.0.0.0/0\n");
	CHECK(broken_at(DOCTOR_ROUTES));
	CHECK_MSG(has(DOCTOR_ROUTES, DOCTOR_FAIL, "0.0.0.0/0: dev (none)", "ip route add 10.9.0.2/32"),
		  SHOW(DOCTOR_ROUTES));

	world();
	snprintf(w.oif, sizeof(w.oif), "eth0");
	run(IFACE LAPTOP "AllowedIPs = 0.0.0.0/0\n");
	CHECK_MSG(has(DOCTOR_ROUTES, DOCTOR_FAIL, "0.0.0.0/0: dev eth0", "full tunnel's policy rules"),
		  SHOW(DOCTOR_ROUTES));
}

#define EGRESS HUB "Egress = on\n"

static void test_nat(void)
{
	world();
	run(EGRESS);
	CHECK_MSG(rep.failed == -1, "failed at %d", rep.failed);
	CHECK_MSG(has(DOCTOR_NAT, DOCTOR_OK, "net.ipv4.ip_forward = 1", NULL), SHOW(DOCTOR_NAT));
	CHECK(has(DOCTOR_NAT, DOCTOR_OK, "10.9.0.2/32: oifname \"eth0\" ip saddr 10.9.0.2 masquerade",
		  NULL));

	world();
	snprintf(w.forward, sizeof(w.forward), "0");
	run(EGRESS);
	CHECK(broken_at(DOCTOR_NAT));
	CHECK_MSG(has(DOCTOR_NAT, DOCTOR_FAIL, "net.ipv4.ip_forward = 0",
		      "sysctl -w net.ipv4.ip_forward=1"), SHOW(DOCTOR_NAT));

	world();
	w.nat = false;
	run(EGRESS);
	CHECK(broken_at(DOCTOR_NAT));
	CHECK_MSG(has(DOCTOR_NAT, DOCTOR_FAIL, "no masquerade or snat rule covers 10.9.0.2/32",
		      "masquerade"), SHOW(DOCTOR_NAT));

	/* Not an egress peer: NAT is not its concern, however the host is. */
	world();
	w.nat = false;
	snprintf(w.forward, sizeof(w.forward), "0");
	run(HUB);
	CHECK(rep.failed == -1 && has(DOCTOR_NAT, DOCTOR_SKIPPED, "no Egress = on", NULL));
}

static void test_dns(void)
{
	world();
	run(IFACE "DNS = 10.9.0.1, example.org\n" LAPTOP "AllowedIPs = 10.9.0.2/32\n");
	CHECK_MSG(has(DOCTOR_DNS, DOCTOR_OK, "query to 10.9.0.1 through wg0: answered", NULL),
		  SHOW(DOCTOR_DNS));
	CHECK(rep.failed == -1 && w.dns_queries == 1);

	world();
	w.dns_answers = false;
	run(IFACE "DNS = 10.9.0.1\n" LAPTOP "AllowedIPs = 10.9.0.2/32\n");
	CHECK(broken_at(DOCTOR_DNS));
	CHECK_MSG(has(DOCTOR_DNS, DOCTOR_FAIL, "no answer", "udp/53"), SHOW(DOCTOR_DNS));

	/* A search domain alone names no resolver. */
	world();
	run(IFACE "DNS = example.org\n" LAPTOP "AllowedIPs = 10.9.0.2/32\n");
	CHECK(has(DOCTOR_DNS, DOCTOR_SKIPPED, "no DNS server", NULL) && w.dns_queries == 0);
}

static void test_mtu(void)
{
	world();
	w.path_mtu = 1300;
	run(HUB);
	CHECK(broken_at(DOCTOR_MTU));
	CHECK_MSG(has(DOCTOR_MTU, DOCTOR_FAIL, "largest DF probe that answers: 1300 bytes",
		      "MTU = 1300"), SHOW(DOCTOR_MTU));
	CHECK(has(DOCTOR_MTU, DOCTOR_FAIL, "MTU of wg0: 1420", NULL));

	world();
	w.path_mtu = 100;
	run(HUB);
	CHECK(broken_at(DOCTOR_TUNNEL) || broken_at(DOCTOR_MTU));
	CHECK_MSG(has(DOCTOR_MTU, DOCTOR_FAIL, "no DF probe answers, down to 576", "every DF packet"),
		  SHOW(DOCTOR_MTU));
}

/* Two peers watched in one window: it ends only when both show life,
 * and each is decided on its own. */
static void test_two_peers(void)
{
	const char *text = HUB "[Peer]\n# Name = phone\nPublicKey = " P2 "\nAllowedIPs = 10.9.0.3/32\n";
	struct doctor_report reps[2];
	struct error err = { 0 };
	struct conf *conf = NULL;

	setup();
	world();
	CHECK(wgconf_parse(text, strlen(text), "wg0.conf", &conf, &err) == 0);
	if (!conf)
		return;
	struct doctor_target t[2] = {
		{ "wg0", conf, &conf->peers[0], false, 0 },
		{ "wg0", conf, &conf->peers[1], false, 0 },
	};
	/* The fake daemon knows laptop (P1) only, and refuses phone's
	 * initiations. */
	w.unknown_per_get = 1;
	doctor_run(t, 2, &ops, reps);
	CHECK_MSG(reps[0].failed == -1, "laptop failed at %d", reps[0].failed);
	CHECK(reps[1].failed == DOCTOR_HANDSHAKE);
	CHECK(reps[1].steps[DOCTOR_LISTENING].status == DOCTOR_OK);
	CHECK(strstr(reps[1].steps[DOCTOR_HANDSHAKE].evidence, "not configured in the running daemon"));
	/* phone never shows life, so the window ran to its end, once. */
	CHECK_MSG(w.now_ms == DOCTOR_WAIT_MS_DEFAULT, "%llu ms", (unsigned long long)w.now_ms);
	CHECK_MSG(w.gets == 1 + DOCTOR_WAIT_MS_DEFAULT / DOCTOR_POLL_MS + 1,
		  "%u gets", w.gets); /* listening, the polls, laptop's ping */
	conf_free(conf);
}

static bool covers(const char *line, const char *prefix)
{
	struct netaddr_prefix p;

	return netaddr_parse_prefix(&p, prefix, NULL) && doctor_nat_covers(line, &p);
}

/* The readers of the host's listings, on lines copied from a host. */
static void test_parsers(void)
{
	const char *udp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			  "retrnsmt   uid  timeout inode ref pointer drops";
	const char *bound = "  412: 00000000:CA65 00000000:0000 07 00000000:00000000 00:00000000 "
			    "00000000     0        0 41210 2 0000000000000000 0";
	const char *bound6 = "  412: 00000000000000000000000000000000:CA65 "
			     "00000000000000000000000000000000:0000 07 00000000:00000000";
	const char *masq4 = "\t\tiifname \"wg0\" oifname \"eth0\" ip saddr 10.8.0.2 masquerade "
			    "comment \"Egress\"";

	CHECK(!doctor_udp_line_has(udp, 51813));
	CHECK(doctor_udp_line_has(bound, 51813));   /* 0xCA65 */
	CHECK(!doctor_udp_line_has(bound, 51812));
	CHECK(doctor_udp_line_has(bound6, 51813));
	CHECK(!doctor_udp_line_has("", 0));

	CHECK(covers(masq4, "10.8.0.2/32"));
	CHECK(!covers(masq4, "10.8.0.20/32"));
	CHECK(!covers(masq4, "10.8.0.0/24"));      /* the rule covers one host of it */
	CHECK(!covers(masq4, "fd08::2/128"));
	CHECK(covers("ip saddr 10.8.0.0/24 oifname \"eth0\" masquerade", "10.8.0.7/32"));
	CHECK(covers("ip saddr { 10.8.0.2, 10.8.0.3 } masquerade", "10.8.0.3/32"));
	CHECK(!covers("ip saddr { 10.8.0.2, 10.8.0.3 } masquerade", "10.8.0.4/32"));
	CHECK(covers("ip6 saddr fd08::/64 oifname \"eth0\" masquerade", "fd08::2/128"));
	CHECK(!covers("ip6 saddr fd08::/64 oifname \"eth0\" masquerade", "10.8.0.2/32"));
	CHECK(covers("oifname \"eth0\" masquerade", "10.8.0.2/32"));
	CHECK(covers("ip saddr 10.8.0.2 snat to 203.0.113.1", "10.8.0.2/32"));
	CHECK(covers("ip saddr != 192.168.0.0/16 masquerade", "10.8.0.2/32"));
	CHECK(!covers("ip saddr != 10.0.0.0/8 masquerade", "10.8.0.2/32"));
	CHECK(!covers("ip saddr 10.8.0.2 accept", "10.8.0.2/32"));
}

/* IPv6: its forwarding sysctl, and DF probes no smaller than 1280. */
static void test_ipv6(void)
{
	world();
	snprintf(w.forward, sizeof(w.forward), "0");
	run(IFACE LAPTOP "AllowedIPs = fd09::2/128\nEgress = on\n");
	CHECK(broken_at(DOCTOR_NAT));
	CHECK_MSG(has(DOCTOR_NAT, DOCTOR_FAIL, "net.ipv6.conf.all.forwarding = 0",
		      "net.ipv6.conf.all.forwarding=1"), SHOW(DOCTOR_NAT));

	world();
	w.path_mtu = 1000;
	run(IFACE LAPTOP "AllowedIPs = fd09::2/128\n");
	CHECK(broken_at(DOCTOR_MTU));
	CHECK_MSG(has(DOCTOR_MTU, DOCTOR_FAIL, "no DF probe answers, down to 1280", NULL),
		  SHOW(DOCTOR_MTU));
	CHECK(has(DOCTOR_TUNNEL, DOCTOR_OK, "ping fd09::2: answered", NULL));
}

static void test_find_peer(void)
{
	struct error err = { 0 };
	struct conf *conf = NULL;
	const char *text = HUB "[Peer]\nPublicKey = " P2 "\nAllowedIPs = 10.9.0.3/32\n";

	setup();
	CHECK(wgconf_parse(text, strlen(text), "wg0.conf", &conf, &err) == 0);
	if (!conf)
		return;
	CHECK(doctor_find_peer(conf, "laptop") == &conf->peers[0]);
	CHECK(doctor_find_peer(conf, P2) == &conf->peers[1]);
	CHECK(doctor_find_peer(conf, "phone") == NULL);
	CHECK(doctor_find_peer(conf, "") == NULL);
	conf_free(conf);
	CHECK(!strcmp(doctor_step_name(DOCTOR_MTU), "mtu"));
	CHECK(!strcmp(doctor_status_name(DOCTOR_SKIPPED), "skipped"));
}

static const struct harness_case cases[] = {
	{ "healthy", test_healthy },
	{ "listening", test_listening },
	{ "arrival", test_arrival },
	{ "handshake", test_handshake },
	{ "tunnel", test_tunnel },
	{ "routes", test_routes },
	{ "nat", test_nat },
	{ "dns", test_dns },
	{ "mtu", test_mtu },
	{ "two_peers", test_two_peers },
	{ "parsers", test_parsers },
	{ "ipv6", test_ipv6 },
	{ "find_peer", test_find_peer },
};

HARNESS_MAIN(cases)
