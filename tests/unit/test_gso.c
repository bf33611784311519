/* Segmentation and coalescing (proto/gso.h): the checksum against RFC
 * 1071's example and a naive word-by-word model, super-packets cut and
 * every segment checked by an independent parser (lengths, ids,
 * sequence numbers, flags, checksums, the payload put back together),
 * the segments merged back into the super-packet, and what must not be
 * merged or cut. */
#include "harness.h"

#include "proto/gso.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* RFC 1071's word-at-a-time sum, the model. */
static uint16_t naive_csum(const uint8_t *p, size_t len, uint32_t seed)
{
	uint64_t sum = seed;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The model's L4 checksum check: pseudo-header + segment sums to zero. */
static bool l4_ok(const uint8_t *pkt, size_t len, int family, size_t l4_off, uint8_t proto)
{
	uint8_t ph[40];
	size_t n, l4 = len - l4_off;
	uint64_t sum = 0;

	if (family == 4) {
		memcpy(ph, pkt + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(l4 >> 8);
		ph[11] = (uint8_t)l4;
		n = 12;
	} else {
		memcpy(ph, pkt + 8, 32);
		ph[32] = (uint8_t)(l4 >> 24);
		ph[33] = (uint8_t)(l4 >> 16);
		ph[34] = (uint8_t)(l4 >> 8);
		ph[35] = (uint8_t)l4;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	}
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return naive_csum(pkt + l4_off, l4, (uint32_t)sum) == 0;
}

static void test_checksum(void)
{
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[3001];

	/* RFC 1071 section 3: the sum is 0xddf2, the checksum its inverse. */
	CHECK(gso_csum_fold(gso_csum_add(0, rfc, sizeof(rfc))) == (uint16_t)~0xddf2);
	srand(7);
	for (int round = 0; round < 500; round++) {
		size_t len = (size_t)rand() % sizeof(buf);
		uint32_t seed = (uint32_t)rand() & 0xffff;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (round % 50 == 0)
			memset(buf, 0xff, len); /* carries on every word */
		CHECK_MSG(gso_csum_fold(gso_csum_add(seed, buf, len)) == naive_csum(buf, len, seed),
			  "len %zu", len);
	}
}

/* A TCP or UDP super-packet of `payload` bytes (IPv4 or IPv6), as the
 * kernel hands it over: L4 checksum partial (the pseudo-header's sum). */
static size_t make_super(uint8_t *pkt, int family, bool tcp, size_t payload, uint8_t flags)
{
	size_t l4_off = family == 4 ? 20 : 40, hdr = l4_off + (tcp ? 32 : 8), len = hdr + payload;
	uint8_t *l4 = pkt + l4_off;

	memset(pkt, 0, hdr);
	if (family == 4) {
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pkt[4] = 0x12;
		pkt[5] = 0x34;
		pkt[6] = 0x40; /* DF */
		pkt[8] = 64;
		pkt[9] = tcp ? 6 : 17;
		memcpy(pkt + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	} else {
		pkt[0] = 0x60;
		pkt[4] = (uint8_t)((len - 40) >> 8);
		pkt[5] = (uint8_t)(len - 40);
		pkt[6] = tcp ? 6 : 17;
		pkt[7] = 64;
		pkt[8] = 0xfd;
		pkt[23] = 1;
		pkt[24] = 0xfd;
		pkt[39] = 2;
	}
	l4[0] = 0x9c;
	l4[1] = 0x40;
	l4[2] = 0x14;
	l4[3] = 0x51;
	if (tcp) {
		memcpy(l4 + 4, (uint8_t[]){ 0xff, 0xff, 0xf0, 0x00 }, 4); /* wraps */
		memcpy(l4 + 8, (uint8_t[]){ 0, 0, 0x10, 0 }, 4);
		l4[12] = 8 << 4; /* 32 bytes: 12 of options */
		l4[13] = flags;
		l4[14] = 0x01;
		memcpy(l4 + 20, (uint8_t[]){ 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7 }, 12);
	}
	for (size_t i = 0; i < payload; i++)
		pkt[hdr + i] = (uint8_t)(i * 7 + i / 251);
	return len;
}

/* Cuts a super-packet and checks every segment with the model. */
static void cut_and_check(int family, bool tcp, size_t payload, uint16_t mss)
{
	static uint8_t pkt[65536], seg[65536], joined[65536];
	size_t len = make_super(pkt, family, tcp, payload, 0x10 | 0x08 | 0x01 | 0x80);
	size_t l4_off = family == 4 ? 20 : 40, hdr = l4_off + (tcp ? 32 : 8), got = 0;
	struct gso_meta m = { .type = !tcp ? GSO_UDP_L4 : family == 4 ? GSO_TCP4 : GSO_TCP6,
			      .needs_csum = true, .gso_size = mss, .csum_start = (uint16_t)l4_off,
			      .csum_offset = tcp ? 16 : 6 };
	struct gso_plan plan;

	CHECK(gso_plan(pkt, len, &m, &plan) == 0);
	CHECK_MSG(plan.n == (payload + mss - 1) / mss, "%u segments", plan.n);
	for (unsigned i = 0; i < plan.n; i++) {
		size_t n = gso_segment(&plan, i, seg), want = payload - got < mss ? payload - got : mss;
		const uint8_t *l4 = seg + l4_off;

		CHECK_MSG(n == hdr + want, "segment %u: %zu bytes", i, n);
		if (family == 4) {
			CHECK(rd16(seg + 2) == n && rd16(seg + 4) == (uint16_t)(0x1234 + i));
			CHECK_MSG(naive_csum(seg, 20, 0) == 0, "segment %u: IPv4 header checksum", i);
		} else {
			CHECK(rd16(seg + 4) == n - 40);
		}
		CHECK_MSG(l4_ok(seg, n, family, l4_off, tcp ? 6 : 17), "segment %u: L4 checksum", i);
		if (tcp) {
			bool last = i + 1 == plan.n;
			CHECK(rd32(l4 + 4) == (uint32_t)(0xfffff000u + got));
			CHECK_MSG(!!(l4[13] & 0x01) == last && !!(l4[13] & 0x08) == last &&
				  !!(l4[13] & 0x80) == (i == 0) && (l4[13] & 0x10),
				  "segment %u flags 0x%02x", i, l4[13]);
			CHECK(!memcmp(l4 + 20, pkt + l4_off + 20, 12));
		} else {
			CHECK(rd16(l4 + 4) == n - l4_off);
		}
		memcpy(joined + got, seg + hdr, want);
		got += want;
	}
	CHECK(got == payload && !memcmp(joined, pkt + hdr, payload));
}

static void test_segment(void)
{
	cut_and_check(4, true, 65000, 1380);
	cut_and_check(6, true, 40000, 1360);
	cut_and_check(4, true, 1380, 1380);     /* one segment */
	cut_and_check(4, true, 1381, 1380);     /* a one-byte tail */
	cut_and_check(4, false, 20000, 1372);
	cut_and_check(6, false, 9999, 1232);    /* odd tail, MTU 1280 */
}

static void test_plan_refuses(void)
{
	static uint8_t pkt[4096];
	size_t len = make_super(pkt, 4, true, 3000, 0x10);
	struct gso_meta m = { .type = GSO_TCP4, .needs_csum = true, .gso_size = 1000,
			      .csum_start = 20, .csum_offset = 16 };
	struct gso_plan plan;

	CHECK(gso_plan(pkt, len, &m, &plan) == 0 && plan.n == 3);
	m.gso_size = 0;
	CHECK(gso_plan(pkt, len, &m, &plan) == -EINVAL);
	m.gso_size = 1000;
	m.type = GSO_TCP6; /* an IPv4 packet */
	CHECK(gso_plan(pkt, len, &m, &plan) == -EINVAL);
	m.type = GSO_UDP_L4; /* a TCP packet */
	CHECK(gso_plan(pkt, len, &m, &plan) == -EINVAL);
	m.type = GSO_TCP4;
	CHECK(gso_plan(pkt, len - 1, &m, &plan) == -EINVAL); /* length disagrees */
	CHECK(gso_plan(pkt, 30, &m, &plan) == -EINVAL);
	m.gso_size = 10; /* 300 segments */
	CHECK(gso_plan(pkt, len, &m, &plan) == -EINVAL);
	m.gso_size = 1000;
	pkt[6] |= 0x20; /* a fragment */
	CHECK(gso_plan(pkt, len, &m, &plan) == -EINVAL);
	pkt[6] &= (uint8_t)~0x20;
	pkt[32] = 0x30; /* TCP data offset 12 bytes */
	CHECK(gso_plan(pkt, len, &m, &plan) == -EINVAL);
}

/* The segments of a super-packet merge back into it. */
static void merge_back(int family, size_t payload, uint16_t mss)
{
	static uint8_t pkt[65536], segs[64][2048], merged[65536];
	size_t len = make_super(pkt, family, true, payload, 0x10 | 0x08);
	size_t l4_off = family == 4 ? 20 : 40, lens[64], at;
	struct gso_meta m = { .type = family == 4 ? GSO_TCP4 : GSO_TCP6, .needs_csum = true,
			      .gso_size = mss, .csum_start = (uint16_t)l4_off, .csum_offset = 16 };
	static struct gro_batch b;
	struct gso_meta out;
	struct gso_plan plan;

	if (family == 4) { /* the kernel's super-packet has its header checksum */
		uint16_t c = naive_csum(pkt, 20, 0);
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
	}
	CHECK(gso_plan(pkt, len, &m, &plan) == 0 && plan.n <= 64);
	gro_init(&b);
	for (unsigned i = 0; i < plan.n; i++) {
		lens[i] = gso_segment(&plan, i, segs[i]);
		CHECK(gro_add(&b, segs[i], lens[i]));
	}
	CHECK_MSG(b.n_groups == 1 && b.groups[0].n == plan.n, "%u groups", b.n_groups);
	at = gro_header(&b, &b.groups[0], merged, &out);
	CHECK(at == plan.hdr_len && out.gso_size == mss && out.needs_csum &&
	      out.csum_start == l4_off && out.csum_offset == 16 &&
	      out.type == (family == 4 ? GSO_TCP4 : GSO_TCP6));
	for (unsigned k = b.groups[0].first, i = 0; k != GRO_END; k = b.segs[k].next, i++) {
		CHECK(k == i && b.segs[k].pkt == segs[i]);
		memcpy(merged + at, segs[i] + plan.hdr_len, lens[i] - plan.hdr_len);
		at += lens[i] - plan.hdr_len;
	}
	CHECK(at == len);
	/* What the kernel does with it: complete the checksum, and the
	 * merged packet is the super-packet, with a whole checksum. */
	CHECK(gso_complete_csum(merged, at, &out));
	CHECK(l4_ok(merged, at, family, l4_off, 6));
	CHECK(!memcmp(merged, pkt, l4_off + 16) && !memcmp(merged + l4_off + 18, pkt + l4_off + 18, len - l4_off - 18));
	if (family == 4)
		CHECK(naive_csum(merged, 20, 0) == 0);
}

static void test_merge(void)
{
	merge_back(4, 64000, 1380);
	merge_back(6, 30000, 1220);
	merge_back(4, 2761, 1380); /* three, a one-byte tail */
}

/* What is not merged: a bad checksum, a gap, another flow interleaved, a
 * SYN, a segment after a short one, and a pure ACK. */
static void test_merge_refuses(void)
{
	static uint8_t pkt[65536], segs[8][2048];
	static struct gro_batch b;
	size_t len = make_super(pkt, 4, true, 8 * 1000, 0x10), lens[8];
	struct gso_meta m = { .type = GSO_TCP4, .needs_csum = true, .gso_size = 1000,
			      .csum_start = 20, .csum_offset = 16 };
	struct gso_plan plan;
	uint8_t other[2048], syn[2048], ack[52];

	CHECK(gso_plan(pkt, len, &m, &plan) == 0 && plan.n == 8);
	for (unsigned i = 0; i < 8; i++)
		lens[i] = gso_segment(&plan, i, segs[i]);

	/* A flipped payload bit: that segment alone, the others around it
	 * cannot join across the gap it leaves. */
	gro_init(&b);
	segs[2][100] ^= 1;
	for (unsigned i = 0; i < 8; i++)
		CHECK(gro_add(&b, segs[i], lens[i]));
	segs[2][100] ^= 1;
	CHECK_MSG(b.n_groups == 3 && b.groups[0].n == 2 && b.groups[1].n == 1 &&
		  b.groups[2].n == 5, "%u groups", b.n_groups);

	/* Another flow (another source port) between: two groups, each whole. */
	pkt[21] ^= 1;
	CHECK(gso_plan(pkt, len, &m, &plan) == 0 && gso_segment(&plan, 0, other) == lens[0]);
	pkt[21] ^= 1;
	gro_init(&b);
	for (unsigned i = 0; i < 8; i++) {
		CHECK(gro_add(&b, segs[i], lens[i]));
		if (i == 3)
			CHECK(gro_add(&b, other, lens[0]));
	}
	CHECK_MSG(b.n_groups == 2 && b.groups[0].n == 8 && b.groups[1].n == 1, "%u groups, %u",
		  b.n_groups, b.groups[0].n);
	CHECK(gso_plan(pkt, len, &m, &plan) == 0);

	/* A SYN is never merged; a pure ACK neither. */
	pkt[33] |= 0x02;
	CHECK(gso_plan(pkt, len, &m, &plan) == 0 && gso_segment(&plan, 1, syn) == lens[1]);
	pkt[33] &= (uint8_t)~0x02;
	gro_init(&b);
	CHECK(gro_add(&b, segs[0], lens[0]) && gro_add(&b, syn, lens[1]) && gro_add(&b, segs[2], lens[2]));
	CHECK(b.n_groups == 3);
	memcpy(ack, segs[0], 52);
	ack[2] = 0;
	ack[3] = 52;
	gro_init(&b);
	CHECK(gro_add(&b, ack, 52));
	CHECK(b.n_groups == 1 && b.groups[0].closed);

	/* Out of order: the third before the second. */
	gro_init(&b);
	CHECK(gro_add(&b, segs[0], lens[0]) && gro_add(&b, segs[2], lens[2]) && gro_add(&b, segs[1], lens[1]));
	CHECK(b.n_groups == 3);

	/* A batch is bounded. */
	gro_init(&b);
	for (unsigned i = 0; i < GRO_MAX_PACKETS; i++)
		CHECK(gro_add(&b, segs[0], lens[0]));
	CHECK(!gro_add(&b, segs[0], lens[0]));
}

static const struct harness_case cases[] = {
	{ "gso/checksum", test_checksum },
	{ "gso/segment", test_segment },
	{ "gso/plan_refuses", test_plan_refuses },
	{ "gso/merge", test_merge },
	{ "gso/merge_refuses", test_merge_refuses },
};

HARNESS_MAIN(cases)
