/* The exposition text of metrics.h.  Families come in a fixed order, each
 * written across every interface before the next starts, as the format
 * requires; interfaces and peers keep the order of their get replies. */
#include "metrics.h"

#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "uapi/device.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DROP_PREFIX "drop_"

/* What the daemon's own counters count; another name gets a generic help. */
static const struct {
	const char *name;
	const char *help;
} counter_help[] = {
	{ "allowed_ips_moved", "Allowed IPs that one peer took from another." },
	{ "handshake_queue_full", "Handshake messages dropped because the handshake queue was full." },
	{ "datagram_truncated", "Received datagrams longer than the receive buffer, dropped." },
	{ "datagram_send_failed", "Datagrams the UDP socket refused to send." },
	{ "tun_write_failed", "Packets the TUN device refused." },
	{ "tun_gso_read", "TUN reads of a TSO/USO super-packet, cut into segments by the daemon." },
	{ "tun_gso_bad", "TUN super-packets refused as malformed." },
	{ "tun_gso_written", "TUN writes of received TCP segments merged into one packet." },
	{ "udp_gso_sent", "UDP sends that carried several datagrams (UDP_SEGMENT)." },
	{ "udp_gro_received", "UDP receives that held several datagrams coalesced by the kernel (UDP_GRO)." },
	{ "events_suppressed",
	  "Failed handshakes left out of the event log by its bound per source (each is still a drop)." },
	{ "events_not_logged", "Events kept in the daemon's ring but not written to the log (its bound)." },
};

/* Daemon counters that are not plain counts: each its own family, left
 * out of the generic rampart_NAME_total ones.  scale: the value is in
 * units of 1/scale: 1, or 1000000000 for ns shown as seconds. */
static const struct {
	const char *counter, *metric, *type, *help;
	uint64_t scale;
} special_counters[] = {
	{ "sessions", "rampart_sessions", "gauge",
	  "Peers with a session that can carry data now (a keypair younger than 180 s).", 1 },
	{ "under_load_ns", "rampart_under_load_seconds_total", "counter",
	  "Time the daemon spent under load, answering initiations with cookies.", 1000000000 },
	{ "handshake_queue_len", "rampart_handshake_queue_length", "gauge",
	  "Handshake messages waiting for the handshake thread now.", 1 },
	{ "packet_buffers_in_use", "rampart_packet_buffers_in_use", "gauge",
	  "Packet buffers of the daemon's pool held now (in flight or staged).", 1 },
	{ "packet_buffers_free", "rampart_packet_buffers_free", "gauge",
	  "Packet buffers kept free in the daemon's pool for reuse.", 1 },
};

/* The peers' own counters the daemon sends (only once non-zero): each a
 * family of its own, with a sample for every peer, 0 when not sent, so
 * that a series exists from the peer's first scrape. */
static const struct {
	const char *counter, *metric, *help;
} peer_counters[] = {
	{ "rx_packets", "rampart_peer_receive_packets_total",
	  "Data packets received from the peer and delivered (keepalives not counted)." },
	{ "tx_packets", "rampart_peer_transmit_packets_total",
	  "Data packets sent to the peer (keepalives not counted)." },
	{ "handshakes_initiated", "rampart_peer_handshakes_initiated_total",
	  "Handshake initiations sent to the peer." },
	{ "handshakes_completed", "rampart_peer_handshakes_completed_total",
	  "Handshakes completed with the peer, either side initiating." },
	{ "endpoint_changes", "rampart_peer_endpoint_changes_total",
	  "Times the peer's endpoint moved to a new address or port (roaming)." },
	{ "allowed_ips_lost", "rampart_peer_allowed_ips_lost_total",
	  "Allowed IPs another peer took from this one." },
	{ "staged_dropped", "rampart_peer_staged_dropped_total",
	  "Packets dropped while waiting for a handshake (the queue was full, or the handshake was given up)." },
};

enum peer_family { PEER_INFO, PEER_RECEIVE, PEER_TRANSMIT, PEER_HANDSHAKE };

static bool is_drop(const struct uapi_counter *c)
{
	return !strncmp(c->name, DROP_PREFIX, strlen(DROP_PREFIX));
}

/* A daemon counter whose rampart_NAME_total would be one of the fixed
 * families: it is left out rather than mixed into theirs. */
static bool is_reserved(const char *name)
{
	static const char *const fixed[] = { "rampart_drops_total",
		"rampart_peer_receive_bytes_total", "rampart_peer_transmit_bytes_total" };
	char metric[sizeof("rampart__total") + UAPI_COUNTER_NAME_MAX];

	snprintf(metric, sizeof(metric), "rampart_%s_total", name);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(metric, fixed[i]))
			return true;
	for (size_t i = 0; i < sizeof(peer_counters) / sizeof(peer_counters[0]); i++)
		if (!strcmp(metric, peer_counters[i].metric))
			return true;
	for (size_t i = 0; i < sizeof(special_counters) / sizeof(special_counters[0]); i++)
		if (!strcmp(name, special_counters[i].counter) ||
		    !strcmp(metric, special_counters[i].metric))
			return true;
	return false;
}

/* A label value: backslash, double quote and newline escaped. */
static void escape(struct textbuf *o, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\\\"\n");

		textbuf_append(o, s, n);
		s += n;
		if (!*s)
			break;
		textbuf_append(o, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		s++;
	}
}

static void family(struct textbuf *o, const char *name, const char *type, const char *help)
{
	textbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{interface="IF": the caller adds labels, then end_u64(). */
static void begin(struct textbuf *o, const char *name, const char *ifname)
{
	textbuf_printf(o, "%s{interface=\"", name);
	escape(o, ifname);
	textbuf_append(o, "\"", 1);
}

static void label(struct textbuf *o, const char *key, const char *value)
{
	textbuf_printf(o, ",%s=\"", key);
	escape(o, value);
	textbuf_append(o, "\"", 1);
}

static void end_u64(struct textbuf *o, uint64_t value)
{
	textbuf_printf(o, "} %" PRIu64 "\n", value);
}

static void render_up(struct textbuf *o, const struct metrics_interface *ifs, size_t n)
{
	family(o, "rampart_up", "gauge", "Whether the interface's daemon answered (1) or not (0).");
	for (size_t i = 0; i < n; i++) {
		begin(o, "rampart_up", ifs[i].name);
		end_u64(o, ifs[i].dev != NULL);
	}
	family(o, "rampart_peers", "gauge", "Peers configured on the interface.");
	for (size_t i = 0; i < n; i++) {
		if (!ifs[i].dev)
			continue;
		begin(o, "rampart_peers", ifs[i].name);
		end_u64(o, ifs[i].dev->n_peers);
	}
}

static void render_drops(struct textbuf *o, const struct metrics_interface *ifs, size_t n)
{
	family(o, "rampart_drops_total", "counter", "Packets and datagrams the daemon dropped, by reason.");
	for (size_t i = 0; i < n; i++) {
		const struct uapi_device *dev = ifs[i].dev;

		for (size_t j = 0; dev && j < dev->n_counters; j++) {
			if (!is_drop(&dev->counters[j]))
				continue;
			begin(o, "rampart_drops_total", ifs[i].name);
			label(o, "reason", dev->counters[j].name + strlen(DROP_PREFIX));
			end_u64(o, dev->counters[j].value);
		}
	}
}

/* A counter of a device that has one: it or NULL. */
static const struct uapi_counter *find_counter(const struct uapi_device *dev, const char *name)
{
	for (size_t j = 0; dev && j < dev->n_counters; j++)
		if (!strcmp(dev->counters[j].name, name))
			return &dev->counters[j];
	return NULL;
}

/* Whether name is seen before counter j of interface i. */
static bool seen(const struct metrics_interface *ifs, size_t i, size_t j, const char *name)
{
	for (size_t k = 0; k < i; k++)
		if (find_counter(ifs[k].dev, name))
			return true;
	for (size_t k = 0; k < j; k++)
		if (!strcmp(ifs[i].dev->counters[k].name, name))
			return true;
	return false;
}

/* One family per counter name, at its first appearance, with the
 * samples of every interface from there on. */
static void render_counters(struct textbuf *o, const struct metrics_interface *ifs, size_t n)
{
	char metric[sizeof("rampart__total") + UAPI_COUNTER_NAME_MAX];
	char help[128 + UAPI_COUNTER_NAME_MAX];

	for (size_t i = 0; i < n; i++) {
		const struct uapi_device *dev = ifs[i].dev;

		for (size_t j = 0; dev && j < dev->n_counters; j++) {
			const char *name = dev->counters[j].name;

			if (is_drop(&dev->counters[j]) || is_reserved(name) || seen(ifs, i, j, name))
				continue;
			snprintf(metric, sizeof(metric), "rampart_%s_total", name);
			snprintf(help, sizeof(help), "The daemon's counter %s.", name);
			for (size_t k = 0; k < sizeof(counter_help) / sizeof(counter_help[0]); k++)
				if (!strcmp(name, counter_help[k].name))
					snprintf(help, sizeof(help), "%s", counter_help[k].help);
			family(o, metric, "counter", help);
			for (size_t k = i; k < n; k++) {
				const struct uapi_counter *c = find_counter(ifs[k].dev, name);

				if (!c)
					continue;
				begin(o, metric, ifs[k].name);
				end_u64(o, c->value);
			}
		}
	}
}

/* The special counters: a family for each once any interface has it
 * (a daemon that does not send it, wireguard-go, has no sample). */
static void render_special(struct textbuf *o, const struct metrics_interface *ifs, size_t n)
{
	for (size_t s = 0; s < sizeof(special_counters) / sizeof(special_counters[0]); s++) {
		bool any = false;

		for (size_t i = 0; i < n && !any; i++)
			any = find_counter(ifs[i].dev, special_counters[s].counter) != NULL;
		if (!any)
			continue;
		family(o, special_counters[s].metric, special_counters[s].type,
		       special_counters[s].help);
		for (size_t i = 0; i < n; i++) {
			const struct uapi_counter *c = find_counter(ifs[i].dev, special_counters[s].counter);
			uint64_t scale = special_counters[s].scale;

			if (!c)
				continue;
			begin(o, special_counters[s].metric, ifs[i].name);
			if (scale == 1)
				end_u64(o, c->value);
			else
				textbuf_printf(o, "} %" PRIu64 ".%09" PRIu64 "\n", c->value / scale,
					       c->value % scale);
		}
	}
}

/* The name conf gives the peer with this key; "" if none. */
static const char *peer_name(const struct conf *conf, const uint8_t key[KEY_LEN])
{
	const struct conf_peer *p = conf ? conf_find_peer(conf, key) : NULL;

	return p ? p->name : "";
}

static void peer_info(struct textbuf *o, const struct uapi_peer *p, const struct conf *conf)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	label(o, "name", peer_name(conf, p->public_key));
	label(o, "endpoint", p->flags & UAPI_PEER_HAS_ENDPOINT ?
		  uapi_endpoint_format(buf, &p->endpoint) : "");
	textbuf_append(o, ",allowed_ips=\"", strlen(",allowed_ips=\""));
	for (size_t j = 0; j < p->n_allowed_ips; j++)
		textbuf_printf(o, "%s%s", j ? "," : "",
			       netaddr_format_prefix(buf, &p->allowed_ips[j].prefix));
	textbuf_append(o, "\"", 1);
}

static void render_peers(struct textbuf *o, const struct metrics_interface *ifs, size_t n,
			 enum peer_family which, const char *metric, const char *type,
			 const char *help)
{
	char key[KEY_B64_LEN + 1];

	family(o, metric, type, help);
	for (size_t i = 0; i < n; i++) {
		const struct uapi_device *dev = ifs[i].dev;

		for (size_t j = 0; dev && j < dev->n_peers; j++) {
			const struct uapi_peer *p = &dev->peers[j];

			if (which == PEER_HANDSHAKE && !p->last_handshake_sec &&
			    !p->last_handshake_nsec)
				continue; /* never: no sample at all */
			encoding_key_to_base64(key, p->public_key);
			begin(o, metric, ifs[i].name);
			label(o, "public_key", key);
			switch (which) {
			case PEER_INFO:
				peer_info(o, p, ifs[i].conf);
				end_u64(o, 1);
				break;
			case PEER_RECEIVE:
				end_u64(o, p->rx_bytes);
				break;
			case PEER_TRANSMIT:
				end_u64(o, p->tx_bytes);
				break;
			case PEER_HANDSHAKE:
				textbuf_printf(o, "} %" PRId64 ".%09" PRId64 "\n",
					       p->last_handshake_sec, p->last_handshake_nsec);
				break;
			}
		}
	}
}

static void render_peer_counters(struct textbuf *o, const struct metrics_interface *ifs, size_t n)
{
	char key[KEY_B64_LEN + 1];

	for (size_t c = 0; c < sizeof(peer_counters) / sizeof(peer_counters[0]); c++) {
		family(o, peer_counters[c].metric, "counter", peer_counters[c].help);
		for (size_t i = 0; i < n; i++) {
			const struct uapi_device *dev = ifs[i].dev;

			for (size_t j = 0; dev && j < dev->n_peers; j++) {
				encoding_key_to_base64(key, dev->peers[j].public_key);
				begin(o, peer_counters[c].metric, ifs[i].name);
				label(o, "public_key", key);
				end_u64(o, uapi_peer_counter(&dev->peers[j], peer_counters[c].counter));
			}
		}
	}
}

void metrics_render(struct textbuf *o, const struct metrics_interface *ifs, size_t n)
{
	render_up(o, ifs, n);
	render_drops(o, ifs, n);
	render_counters(o, ifs, n);
	render_special(o, ifs, n);
	render_peers(o, ifs, n, PEER_INFO, "rampart_peer_info", "gauge",
		     "A peer's name, endpoint and allowed IPs; always 1.");
	render_peers(o, ifs, n, PEER_RECEIVE, "rampart_peer_receive_bytes_total", "counter",
		     "Bytes received from the peer, as the daemon counts them (wg show transfer).");
	render_peers(o, ifs, n, PEER_TRANSMIT, "rampart_peer_transmit_bytes_total", "counter",
		     "Bytes sent to the peer, as the daemon counts them (wg show transfer).");
	render_peers(o, ifs, n, PEER_HANDSHAKE, "rampart_peer_last_handshake_timestamp_seconds",
		     "gauge", "Unix time of the latest handshake with the peer; no sample before the first.");
	render_peer_counters(o, ifs, n);
}

/* --- the host's facts ---------------------------------------------------------- */

static void render_firewall(struct textbuf *o, const struct metrics_host *h, bool bytes)
{
	const char *metric = bytes ? "rampart_firewall_bytes_total" : "rampart_firewall_packets_total";

	family(o, metric, "counter", bytes ?
	       "Bytes counted by the interface's firewall rules, by chain and rule purpose." :
	       "Packets counted by the interface's firewall rules, by chain and rule purpose.");
	for (size_t i = 0; i < h->n_fw; i++) {
		begin(o, metric, h->fw[i].interface);
		label(o, "chain", h->fw[i].chain);
		label(o, "purpose", h->fw[i].purpose);
		end_u64(o, bytes ? h->fw[i].bytes : h->fw[i].packets);
	}
}

void metrics_render_host(struct textbuf *o, const struct metrics_host *h)
{
	family(o, "rampart_conntrack_entries", "gauge",
	       "Connections in the conntrack table of the network namespace (nf_conntrack_count).");
	if (h->has_conntrack)
		textbuf_printf(o, "rampart_conntrack_entries %" PRIu64 "\n", h->conntrack_entries);
	family(o, "rampart_conntrack_entries_limit", "gauge",
	       "Size of the conntrack table (nf_conntrack_max); a full table drops new connections.");
	if (h->has_conntrack)
		textbuf_printf(o, "rampart_conntrack_entries_limit %" PRIu64 "\n", h->conntrack_limit);
	render_firewall(o, h, false);
	render_firewall(o, h, true);
}
