/* The daemon's statistics as Prometheus metrics: a pure renderer from the
 * devices of get replies (struct uapi_device) to the text exposition
 * format 0.0.4, which node_exporter's textfile collector reads.  No I/O:
 * the caller fetches the devices and writes the text.
 *
 * The families, each with # HELP and # TYPE, all samples of a family
 * together (every interface's), interface first among the labels:
 *
 *   rampart_up{interface}                    gauge: 1 answered, 0 did not
 *   rampart_peers{interface}                 gauge
 *   rampart_drops_total{interface,reason}    counter: the daemon's drop_REASON
 *   rampart_NAME_total{interface}            counter: every other daemon counter
 *   rampart_sessions{interface}              gauge: peers with a live session
 *   rampart_under_load_seconds_total{interface}  counter: time under load
 *   rampart_peer_info{interface,public_key,name,endpoint,allowed_ips}   gauge 1
 *   rampart_peer_receive_bytes_total{interface,public_key}         counter
 *   rampart_peer_transmit_bytes_total{interface,public_key}        counter
 *   rampart_peer_last_handshake_timestamp_seconds{interface,public_key}
 *                                            gauge; no sample before the first
 *   rampart_peer_{receive,transmit}_packets_total,
 *   rampart_peer_handshakes_{initiated,completed}_total,
 *   rampart_peer_endpoint_changes_total, rampart_peer_allowed_ips_lost_total,
 *   rampart_peer_staged_dropped_total{interface,public_key}
 *                                            counters: the peer's rampart_ lines,
 *                                            0 for every peer that has none
 *
 * The daemon sends a counter only once it is non-zero, so a counter
 * family appears with its first event; the fixed families always carry
 * their # HELP and # TYPE.  The name (the "# Name = ..." comment of the
 * peer's section in the interface's config file; "" without one), the
 * endpoint and the allowed IPs are labels of rampart_peer_info only, so
 * that a roaming or renamed peer keeps its series elsewhere.  public_key is the base64 key; label values are escaped
 * (backslash, double quote, newline). */
/*
 * The host's facts, after the daemons' (metrics_render_host):
 *
 *   rampart_conntrack_entries, rampart_conntrack_entries_limit
 *                                            gauges: the network namespace's
 *                                            nf_conntrack_count and _max; no
 *                                            sample without conntrack
 *   rampart_firewall_packets_total{interface,chain,purpose},
 *   rampart_firewall_bytes_total{interface,chain,purpose}
 *                                            counters: the named counters of
 *                                            table inet rampart-IF; no sample
 *                                            without the table
 */
#ifndef RAMPART_MONITOR_METRICS_H
#define RAMPART_MONITOR_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct textbuf;
struct uapi_device;

/* One interface asked for: its name, and its get reply, or NULL when the
 * daemon did not answer (only rampart_up 0 is written for it); conf is
 * its config file, for the peers' names, or NULL. */
struct metrics_interface {
	const char *name;
	const struct uapi_device *dev;
	const struct conf *conf;
};

/* Appends the exposition text of n interfaces, in their order, to o;
 * errors are o's (textbuf.h). */
void metrics_render(struct textbuf *o, const struct metrics_interface *ifs, size_t n);

/* One counter of an interface's firewall: its chain and the purpose of
 * its rules (docs/firewall.md, "Counters"). */
struct metrics_firewall_counter {
	const char *interface, *chain, *purpose;
	uint64_t packets, bytes;
};

/* What the host says beside the daemons; all-zero: nothing to say. */
struct metrics_host {
	bool has_conntrack; /* false: conntrack is not loaded, no samples */
	uint64_t conntrack_entries, conntrack_limit;
	/* Every interface's counters, an interface's together, in the
	 * order to write them. */
	const struct metrics_firewall_counter *fw;
	size_t n_fw;
};

/* Appends the families of the host's facts to o (after metrics_render's,
 * which they do not repeat); errors are o's. */
void metrics_render_host(struct textbuf *o, const struct metrics_host *h);

#endif
