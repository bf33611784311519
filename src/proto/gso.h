/* Segmentation and coalescing of inner IP packets, for the TUN offloads:
 * sans I/O, on caller-owned bytes.
 *
 * With offloads on, the kernel hands the TUN's reader one super-packet of
 * up to 64 KiB for a TCP stream (TSO) or a UDP socket that asked for
 * segmentation (USO), described by a virtio-net header, which the daemon
 * turns into a struct gso_meta.  gso_plan() checks it and gso_segment()
 * writes each segment as the wire would carry it, with its own IP and
 * TCP/UDP headers and full checksums, so that WireGuard seals ordinary
 * IP packets.  The other way, consecutive TCP segments of one flow that
 * arrive together are merged by struct gro_batch into one packet with a
 * GSO description, written to the TUN in one call.
 *
 * Only what the kernel's own GSO/GRO would do: IPv4 without options or
 * IPv6 (extension headers are carried, not parsed, when segmenting; not
 * merged), TCP with identical options, and every segment's checksum
 * verified before it is merged. */
#ifndef RAMPART_PROTO_GSO_H
#define RAMPART_PROTO_GSO_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gso_type {
	GSO_NONE = 0,
	GSO_TCP4,
	GSO_TCP6,
	GSO_UDP_L4, /* USO: either family */
};

/* What a virtio-net header says, in host order. */
struct gso_meta {
	enum gso_type type;
	bool needs_csum;      /* the L4 checksum is partial, to be completed */
	uint16_t hdr_len;     /* headers' length (a hint: recomputed) */
	uint16_t gso_size;    /* payload bytes per segment */
	uint16_t csum_start;  /* offset of the L4 header */
	uint16_t csum_offset; /* of the checksum field, from csum_start */
};

/* The Internet checksum: the 32-bit one's-complement sum of len bytes
 * added to sum, and its folded, inverted 16-bit form. */
uint32_t gso_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t gso_csum_fold(uint32_t sum);

/* Completes a partial checksum (m->needs_csum): the sum of
 * pkt[csum_start..len), seeded with what the field holds, written into
 * the field.  False if the offsets do not fit len. */
bool gso_complete_csum(uint8_t *pkt, size_t len, const struct gso_meta *m) warn_unused;

/* A checked super-packet, ready to be cut. */
struct gso_plan {
	const uint8_t *pkt;
	size_t len;
	int family;        /* 4 or 6 */
	bool tcp;          /* else UDP */
	size_t l4_off;     /* where TCP/UDP starts */
	size_t hdr_len;    /* l4_off + the TCP or UDP header */
	size_t seg;        /* payload bytes per segment (the last may be less) */
	unsigned n;        /* segments */
};

/* Checks that pkt (len bytes) is what m says (type, headers that fit,
 * gso_size > 0, at most GSO_MAX_SEGMENTS segments).  0 or -EINVAL. */
int gso_plan(const uint8_t *pkt, size_t len, const struct gso_meta *m,
	     struct gso_plan *plan) warn_unused;
/* Writes segment i (< plan->n) into out, which has room for
 * plan->hdr_len + plan->seg bytes; returns its length.  Each segment has
 * its own lengths, IPv4 id and header checksum, TCP sequence number and
 * flags (FIN and PSH on the last only, CWR on the first only), and a
 * full TCP or UDP checksum. */
size_t gso_segment(const struct gso_plan *plan, unsigned i, uint8_t *out);

enum {
	GSO_MAX_SEGMENTS = 128,
	GRO_MAX_SEGMENTS = 64,   /* merged into one packet */
	GRO_MAX_FLOWS = 8,       /* open merges at a time */
	GRO_MAX_PACKETS = 512,   /* packets per batch */
	GSO_MAX_PACKET = 65535,  /* an IP packet's largest size */
};

/* A TCP segment, parsed for merging. */
struct gro_seg {
	const uint8_t *pkt;
	size_t len;
	int family;          /* 4 or 6; 0 = not mergeable */
	size_t l4_off, hdr_len, payload;
	uint32_t seq;
	uint8_t flags;       /* TCP flags byte */
	unsigned next;       /* the group's next member, GRO_END after the last */
};

enum { GRO_END = ~0u };

/* One output of a batch: packets merged in the order they came (first,
 * then each seg's next), or a single packet as it came. */
struct gro_group {
	unsigned first, last, n;
	size_t payload;      /* sum over the members */
	bool closed;
};

/* The delivered packets of one batch, grouped. */
struct gro_batch {
	struct gro_seg segs[GRO_MAX_PACKETS];
	unsigned n_segs;
	struct gro_group groups[GRO_MAX_PACKETS];
	unsigned n_groups;
	unsigned open[GRO_MAX_FLOWS]; /* groups that may still grow */
	unsigned n_open;
};

void gro_init(struct gro_batch *b);
/* Adds the next packet; false when the batch is full (flush it first).
 * A packet that is not a mergeable TCP segment with a valid checksum
 * becomes a group of its own. */
bool gro_add(struct gro_batch *b, const uint8_t *pkt, size_t len) warn_unused;
/* For a group of more than one packet: writes the merged packet's headers
 * (from the first member, with the total length, the IPv4 header
 * checksum, PSH if any member had it, and the pseudo-header sum in the
 * TCP checksum field) into hdr (room for the first's hdr_len) and the GSO
 * description into m; returns the headers' length.  The payloads follow
 * in member order, from g->first along each seg's next: a member's are
 * its pkt + hdr_len, payload bytes. */
size_t gro_header(const struct gro_batch *b, const struct gro_group *g, uint8_t *hdr,
		  struct gso_meta *m);

#endif
