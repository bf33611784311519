/* Segmentation and coalescing of inner IP packets (gso.h). */
#include "gso.h"

#include <errno.h>
#include <string.h>

enum {
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_CWR = 0x80,
	IP4_DF = 0x40, /* in the flags byte */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

uint32_t gso_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	/* Eight bytes at a time in the host's order, with end-around carry:
	 * the one's-complement sum does not depend on byte order (RFC 1071
	 * 2(B)), so the folded result only needs swapping into network
	 * order at the end. */
	uint64_t acc = 0, acc2 = 0, v, v2, t;
	size_t i = 0;
	uint16_t folded;

	/* Two independent sums, so the carries of one do not wait on the
	 * other's; added together at the end. */
	for (; i + 16 <= len; i += 16) {
		memcpy(&v, p + i, 8);
		memcpy(&v2, p + i + 8, 8);
		acc += v;
		acc += acc < v;
		acc2 += v2;
		acc2 += acc2 < v2;
	}
	acc += acc2;
	acc += acc < acc2;
	for (; i + 8 <= len; i += 8) {
		memcpy(&v, p + i, 8);
		acc += v;
		acc += acc < v;
	}
	v = 0;
	memcpy(&v, p + i, len - i); /* the tail, zero-padded (odd: as RFC 1071) */
	acc += v;
	acc += acc < v;
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	folded = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = (uint16_t)(folded >> 8 | folded << 8);
#endif
	t = (uint64_t)sum + folded;
	return (uint32_t)((t & 0xffffffffu) + (t >> 32));
}

uint16_t gso_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP/UDP pseudo-header's sum for an L4 length: the addresses, the
 * protocol, and the length (16 bits for IPv4, 32 for IPv6). */
static uint32_t pseudo_sum(const uint8_t *ip, int family, uint8_t proto, size_t l4_len)
{
	uint8_t tail[8] = { 0 };

	if (family == 4) {
		tail[1] = proto;
		put16(tail + 2, (uint16_t)l4_len);
		return gso_csum_add(gso_csum_add(0, ip + 12, 8), tail, 4);
	}
	put32(tail, (uint32_t)l4_len);
	tail[7] = proto;
	return gso_csum_add(gso_csum_add(0, ip + 8, 32), tail, 8);
}

bool gso_complete_csum(uint8_t *pkt, size_t len, const struct gso_meta *m)
{
	size_t at = (size_t)m->csum_start + m->csum_offset;

	if (m->csum_start >= len || at + 2 > len)
		return false;
	put16(pkt + at, gso_csum_fold(gso_csum_add(0, pkt + m->csum_start, len - m->csum_start)));
	return true;
}

/* The IP header of pkt: family, where L4 starts and its protocol.  False
 * if it is not a whole, unfragmented IPv4 or IPv6 packet of len bytes.
 * IPv6 extension headers are skipped by the caller's hint (csum_start),
 * when there is one, not parsed. */
static bool ip_header(const uint8_t *pkt, size_t len, size_t hint, int *family,
		      size_t *l4_off, uint8_t *proto)
{
	if (len < 20)
		return false;
	if (pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4;

		if (ihl < 20 || ihl > len || get16(pkt + 2) != len || (get16(pkt + 6) & 0x3fff))
			return false;
		*family = 4;
		*l4_off = ihl;
		*proto = pkt[9];
		return true;
	}
	if (pkt[0] >> 4 != 6 || len < 40 || (size_t)get16(pkt + 4) + 40 != len)
		return false;
	*family = 6;
	*proto = pkt[6];
	*l4_off = 40;
	if (*proto != PROTO_TCP && *proto != PROTO_UDP) {
		if (hint <= 40 || hint >= len)
			return false;
		*l4_off = hint;
		*proto = 0; /* the caller says which */
	}
	return true;
}

int gso_plan(const uint8_t *pkt, size_t len, const struct gso_meta *m, struct gso_plan *plan)
{
	uint8_t proto;
	size_t payload;

	memset(plan, 0, sizeof(*plan));
	if (m->type == GSO_NONE || !m->gso_size || len > GSO_MAX_PACKET ||
	    !ip_header(pkt, len, m->needs_csum ? m->csum_start : 0, &plan->family, &plan->l4_off, &proto))
		return -EINVAL;
	plan->tcp = m->type != GSO_UDP_L4;
	if ((m->type == GSO_TCP4 && plan->family != 4) || (m->type == GSO_TCP6 && plan->family != 6))
		return -EINVAL;
	if (proto && proto != (plan->tcp ? PROTO_TCP : PROTO_UDP))
		return -EINVAL;
	if (plan->tcp) {
		size_t doff;

		if (plan->l4_off + 20 > len)
			return -EINVAL;
		doff = (size_t)(pkt[plan->l4_off + 12] >> 4) * 4;
		if (doff < 20)
			return -EINVAL;
		plan->hdr_len = plan->l4_off + doff;
	} else {
		plan->hdr_len = plan->l4_off + 8;
	}
	if (plan->hdr_len >= len || plan->hdr_len + m->gso_size > GSO_MAX_PACKET)
		return -EINVAL;
	payload = len - plan->hdr_len;
	plan->seg = m->gso_size;
	plan->n = (unsigned)((payload + plan->seg - 1) / plan->seg);
	if (plan->n > GSO_MAX_SEGMENTS)
		return -EINVAL;
	plan->pkt = pkt;
	plan->len = len;
	return 0;
}

/* The L4 checksum of a whole packet, written into its field. */
static void l4_csum(uint8_t *out, size_t total, int family, bool tcp, size_t l4_off)
{
	uint8_t *field = out + l4_off + (tcp ? 16 : 6);
	uint32_t sum = pseudo_sum(out, family, tcp ? PROTO_TCP : PROTO_UDP, total - l4_off);
	uint16_t c;

	put16(field, 0);
	c = gso_csum_fold(gso_csum_add(sum, out + l4_off, total - l4_off));
	put16(field, !tcp && !c ? 0xffff : c); /* UDP: 0 means none */
}

size_t gso_segment(const struct gso_plan *plan, unsigned i, uint8_t *out)
{
	size_t off = (size_t)i * plan->seg, payload = plan->len - plan->hdr_len;
	size_t plen = payload - off < plan->seg ? payload - off : plan->seg;
	size_t total = plan->hdr_len + plen;
	uint8_t *l4 = out + plan->l4_off;

	memcpy(out, plan->pkt, plan->hdr_len);
	memcpy(out + plan->hdr_len, plan->pkt + plan->hdr_len + off, plen);
	if (plan->family == 4) {
		put16(out + 2, (uint16_t)total);
		put16(out + 4, (uint16_t)(get16(plan->pkt + 4) + i));
		put16(out + 10, 0);
		put16(out + 10, gso_csum_fold(gso_csum_add(0, out, plan->l4_off)));
	} else {
		put16(out + 4, (uint16_t)(total - 40));
	}
	if (plan->tcp) {
		put32(l4 + 4, get32(plan->pkt + plan->l4_off + 4) + (uint32_t)off);
		if (i + 1 < plan->n)
			l4[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			l4[13] &= (uint8_t)~TCP_CWR;
	} else {
		put16(l4 + 4, (uint16_t)(total - plan->l4_off));
	}
	l4_csum(out, total, plan->family, plan->tcp, plan->l4_off);
	return total;
}

/* --- coalescing ---------------------------------------------------------- */

void gro_init(struct gro_batch *b)
{
	b->n_segs = b->n_groups = b->n_open = 0;
}

/* A TCP segment that may be merged: IPv4 without options or fragments, or
 * IPv6 with TCP next; only ACK and PSH set; a payload; a valid checksum. */
static void parse_seg(struct gro_seg *s, const uint8_t *pkt, size_t len)
{
	uint8_t proto;
	size_t doff;

	memset(s, 0, sizeof(*s));
	s->pkt = pkt;
	s->len = len;
	s->next = GRO_END;
	if (!ip_header(pkt, len, 0, &s->family, &s->l4_off, &proto) || proto != PROTO_TCP ||
	    s->l4_off != (s->family == 4 ? 20u : 40u) || s->l4_off + 20 > len)
		goto not_mergeable;
	doff = (size_t)(pkt[s->l4_off + 12] >> 4) * 4;
	s->hdr_len = s->l4_off + doff;
	s->flags = pkt[s->l4_off + 13];
	if (doff < 20 || s->hdr_len >= len || (s->flags & ~(TCP_ACK | TCP_PSH)) || !(s->flags & TCP_ACK))
		goto not_mergeable;
	if (gso_csum_fold(gso_csum_add(pseudo_sum(pkt, s->family, PROTO_TCP, len - s->l4_off),
				       pkt + s->l4_off, len - s->l4_off)))
		goto not_mergeable; /* the kernel is to see a bad checksum */
	s->payload = len - s->hdr_len;
	s->seq = get32(pkt + s->l4_off + 4);
	return;
not_mergeable:
	s->family = 0;
}

/* Same flow, and the same everything a merged header keeps from its
 * first member. */
static bool same_flow(const struct gro_seg *a, const struct gro_seg *b)
{
	if (a->family != b->family || a->hdr_len != b->hdr_len)
		return false;
	if (a->family == 4) {
		if (a->pkt[1] != b->pkt[1] || a->pkt[8] != b->pkt[8] || (a->pkt[6] & ~0x1f) != (b->pkt[6] & ~0x1f) ||
		    memcmp(a->pkt + 12, b->pkt + 12, 8))
			return false;
	} else if (memcmp(a->pkt, b->pkt, 4) || a->pkt[7] != b->pkt[7] || memcmp(a->pkt + 8, b->pkt + 8, 32)) {
		return false;
	}
	/* Ports, then the ack number and window, then every option. */
	return !memcmp(a->pkt + a->l4_off, b->pkt + b->l4_off, 4) &&
	       !memcmp(a->pkt + a->l4_off + 8, b->pkt + b->l4_off + 8, 4) &&
	       !memcmp(a->pkt + a->l4_off + 14, b->pkt + b->l4_off + 14, 2) &&
	       !memcmp(a->pkt + a->l4_off + 20, b->pkt + b->l4_off + 20, a->hdr_len - a->l4_off - 20);
}

static bool can_append(const struct gro_batch *b, const struct gro_group *g, const struct gro_seg *s)
{
	const struct gro_seg *first = &b->segs[g->first], *last = &b->segs[g->last];

	return g->n < GRO_MAX_SEGMENTS && !(last->flags & TCP_PSH) &&
	       last->payload == first->payload && s->payload <= first->payload &&
	       s->seq == last->seq + (uint32_t)last->payload &&
	       first->hdr_len + g->payload + s->payload <= GSO_MAX_PACKET &&
	       (first->family != 4 || (first->pkt[6] & IP4_DF));
}

static void close_open(struct gro_batch *b, unsigned k)
{
	b->groups[b->open[k]].closed = true;
	b->open[k] = b->open[--b->n_open];
}

bool gro_add(struct gro_batch *b, const uint8_t *pkt, size_t len)
{
	struct gro_seg *s;
	struct gro_group *g;

	if (b->n_segs == GRO_MAX_PACKETS)
		return false;
	s = &b->segs[b->n_segs];
	parse_seg(s, pkt, len);
	if (s->family) {
		for (unsigned k = 0; k < b->n_open; k++) {
			g = &b->groups[b->open[k]];
			if (!same_flow(&b->segs[g->first], s))
				continue;
			if (can_append(b, g, s)) {
				b->segs[g->last].next = b->n_segs;
				g->last = b->n_segs++;
				g->n++;
				g->payload += s->payload;
				return true;
			}
			close_open(b, k); /* a gap or an end: the flow starts again */
			break;
		}
	}
	g = &b->groups[b->n_groups];
	g->first = g->last = b->n_segs++;
	g->n = 1;
	g->payload = s->payload;
	g->closed = !s->family;
	if (s->family) {
		if (b->n_open == GRO_MAX_FLOWS)
			close_open(b, 0);
		b->open[b->n_open++] = b->n_groups;
	}
	b->n_groups++;
	return true;
}

size_t gro_header(const struct gro_batch *b, const struct gro_group *g, uint8_t *hdr,
		  struct gso_meta *m)
{
	const struct gro_seg *first = &b->segs[g->first];
	size_t total = first->hdr_len + g->payload;
	uint8_t *l4 = hdr + first->l4_off;

	memcpy(hdr, first->pkt, first->hdr_len);
	if (first->family == 4) {
		put16(hdr + 2, (uint16_t)total);
		put16(hdr + 10, 0);
		put16(hdr + 10, gso_csum_fold(gso_csum_add(0, hdr, first->l4_off)));
	} else {
		put16(hdr + 4, (uint16_t)(total - 40));
	}
	if (b->segs[g->last].flags & TCP_PSH)
		l4[13] |= TCP_PSH;
	/* Partial: the pseudo-header's sum, not inverted; the kernel adds the
	 * rest (csum_start, csum_offset). */
	put16(l4 + 16, (uint16_t)~gso_csum_fold(pseudo_sum(hdr, first->family, PROTO_TCP,
							      total - first->l4_off)));
	memset(m, 0, sizeof(*m));
	m->type = first->family == 4 ? GSO_TCP4 : GSO_TCP6;
	m->needs_csum = true;
	m->hdr_len = (uint16_t)first->hdr_len;
	m->gso_size = (uint16_t)first->payload;
	m->csum_start = (uint16_t)first->l4_off;
	m->csum_offset = 16;
	return first->hdr_len;
}
