/* The daemon's side of the control socket: its incremental parser
 * (uapi_parser_feed) on a stream of operations, fed whole and again in
 * the chunk sizes the input starts with.  The input is a header byte
 * whose low 3 bits plus one say how many chunk sizes follow, the sizes
 * (one byte each, used in turn; 0 is an empty feed and then one byte),
 * then the stream.  Checks:
 *   - both feedings give the same sequence of results: status, where in
 *     the stream each operation ended, the operation, its error (struct
 *     error byte for byte), its plan field by field (with the line of
 *     every entry), rampart_events' since; and the same at the end
 *     (uapi_parser_finish);
 *   - each result is well formed: an operation began with exactly
 *     get=1, set=1 or rampart_events=1 as its op says, a set without
 *     error has a plan with an entry for each public_key line, and
 *     nothing else has one; errors are negative,
 *     and no error quotes anything that looks like a key (uapi.h);
 *   - a dead parser stays dead, with the same error;
 *   - a plan written again as a request by the client's builder
 *     (uapi_format_set) parses to the same plan. */
#include "keyrun.h"
#include "uapi_equal.h"

#include "common/textbuf.h"
#include "uapi/client.h"
#include "uapi/uapi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SIZES_MAX = 8 };

struct result {
	enum uapi_status st;
	size_t end; /* offset in the stream just past the operation */
	struct uapi_request req;
};

struct run {
	struct result *v;
	size_t n;
	int finish; /* uapi_parser_finish() */
};

struct sizes {
	const uint8_t *v;
	size_t n;
};

/* Lines of the operation that start with prefix. */
static size_t count_lines(const uint8_t *op, size_t len, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (size_t i = 0; i < len;) {
		const uint8_t *nl = memchr(op + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (op + i)) : len - i;

		if (l >= plen && !memcmp(op + i, prefix, plen))
			n++;
		i += l + 1;
	}
	return n;
}

/* The first line of the operation that ends r, as it must be: exactly
 * one of the three, "\n" included (wireguard-go compares whole lines). */
static void check_op_line(const struct result *r, const uint8_t *op, size_t len)
{
	static const char *const lines[] = {
		[UAPI_OP_GET] = "get=1\n",
		[UAPI_OP_SET] = "set=1\n",
		[UAPI_OP_EVENTS] = "rampart_events=1\n",
	};
	const char *want = lines[r->req.op];

	if (r->st == UAPI_READY && (len < strlen(want) || memcmp(op, want, strlen(want))))
		abort();
}

static void check_result(const struct result *r, const uint8_t *op, size_t len)
{
	const struct uapi_request *q = &r->req;

	if (r->st == UAPI_READY && q->op == UAPI_OP_NONE)
		abort();
	if ((r->st == UAPI_READY && q->op == UAPI_OP_SET && !q->err) != (q->set != NULL))
		abort();
	if (q->err > 0 || (r->st == UAPI_FATAL && !q->err) || (q->err && q->error.code != q->err))
		abort();
	if (has_key_run(q->error.key) || has_key_run(q->error.value) || has_key_run(q->error.msg))
		abort();
	check_op_line(r, op, len);
	if (q->set && q->set->n_peers != count_lines(op, len, "public_key="))
		abort();
}

/* A removed entry is its key alone: the builder writes remove=true and
 * nothing else of it, as wg(8) does. */
static bool entry_equivalent(const struct uapi_peer *p, const struct uapi_peer *q)
{
	if (p->flags & UAPI_PEER_REMOVE)
		return q->flags == UAPI_PEER_REMOVE && !q->n_allowed_ips &&
		       !memcmp(p->public_key, q->public_key, KEY_LEN);
	return peer_equal(p, q) && (!(p->flags & UAPI_PEER_HAS_TAKEOVER) ||
				    !memcmp(p->takeover_key, q->takeover_key, KEY_LEN));
}

/* The client's request for the plan, through the daemon's parser again. */
static void check_rebuilt(const struct uapi_device *plan)
{
	struct textbuf o = { 0 };
	struct uapi_parser p;
	struct uapi_request req;
	struct error err;
	size_t used;

	if (uapi_format_set(&o, plan, &err))
		abort(); /* the daemon's plans hold numeric endpoints only */
	memset(&req, 0, sizeof(req));
	uapi_parser_init(&p);
	if (uapi_parser_feed(&p, o.buf, o.len, &used, &req) != UAPI_READY || used != o.len ||
	    req.err || !req.set)
		abort();
	uapi_parser_uninit(&p);
	if (plan->flags != req.set->flags || plan->n_peers != req.set->n_peers)
		abort();
	/* Device keys by set_equal, on the plans without their peers. */
	struct uapi_device a = *plan, b = *req.set;
	a.n_peers = b.n_peers = 0;
	if (!set_equal(&a, &b))
		abort();
	for (size_t i = 0; i < plan->n_peers; i++)
		if (!entry_equivalent(&plan->peers[i], &req.set->peers[i]))
			abort();
	uapi_device_free(req.set);
	textbuf_wipe(&o);
}

/* The next chunk: whole if sz is NULL, else the sizes in turn. */
static size_t next_chunk(const struct sizes *sz, size_t *k, size_t left, bool *empty_first)
{
	uint8_t s;

	*empty_first = false;
	if (!sz)
		return left;
	s = sz->v[(*k)++ % sz->n];
	if (!s) {
		*empty_first = true;
		s = 1;
	}
	return s < left ? s : left;
}

/* On UAPI_MORE the parser leaves the request alone, so a slot is
 * cleared once, before its first feed. */
static void feed(struct uapi_parser *p, const uint8_t *buf, size_t len, size_t *used,
		 struct result *r)
{
	r->st = uapi_parser_feed(p, buf, len, used, &r->req);
	if (*used > len || (r->st == UAPI_MORE && *used != len))
		abort();
}

/* A cleared slot for the next result. */
static struct result *next_slot(struct run *out, size_t *cap)
{
	if (out->n == *cap) {
		size_t grown = *cap ? 2 * *cap : 4;
		struct result *v = realloc(out->v, grown * sizeof(*v));

		if (!v)
			abort();
		out->v = v;
		*cap = grown;
	}
	memset(&out->v[out->n], 0, sizeof(out->v[out->n]));
	return &out->v[out->n];
}

static void run_stream(const uint8_t *s, size_t len, const struct sizes *sz, struct run *out)
{
	struct uapi_parser p;
	size_t off = 0, start = 0, k = 0, used, cap = 0;
	struct result *r = NULL;
	bool empty_first;

	memset(out, 0, sizeof(*out));
	uapi_parser_init(&p);
	while (off < len) {
		size_t chunk = next_chunk(sz, &k, len - off, &empty_first);

		if (!r)
			r = next_slot(out, &cap);
		if (empty_first) {
			feed(&p, s + off, 0, &used, r);
			if (r->st != UAPI_MORE)
				abort();
		}
		feed(&p, s + off, chunk, &used, r);
		off += used;
		if (r->st == UAPI_MORE)
			continue;
		r->end = off;
		check_result(r, s + start, off - start);
		start = off;
		out->n++;
		if (r->st == UAPI_FATAL)
			break;
		if (s[off - 1] != '\n')
			abort(); /* an operation ends with its empty line */
		if (r->req.set)
			check_rebuilt(r->req.set);
		r = NULL;
	}
	if (out->n && out->v[out->n - 1].st == UAPI_FATAL) {
		/* Dead: the same answer again, without taking a byte. */
		struct result again;

		feed(&p, s + off, len - off, &used, &again);
		if (again.st != UAPI_FATAL || used || again.req.err != out->v[out->n - 1].req.err)
			abort();
	}
	out->finish = uapi_parser_finish(&p);
	uapi_parser_uninit(&p);
}

static bool same_result(const struct result *a, const struct result *b)
{
	return a->st == b->st && a->end == b->end && req_equal(&a->req, &b->req) &&
	       plan_equal(a->req.set, b->req.set) && a->req.since == b->req.since;
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		uapi_device_free(r->v[i].req.set);
	free(r->v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sizes sz;
	struct run whole, chunked;

	if (!size)
		return 0;
	sz.n = (data[0] & (SIZES_MAX - 1)) + 1;
	if (size < 1 + sz.n)
		return 0;
	sz.v = data + 1;
	data += 1 + sz.n;
	size -= 1 + sz.n;
	run_stream(data, size, NULL, &whole);
	run_stream(data, size, &sz, &chunked);
	if (whole.n != chunked.n || whole.finish != chunked.finish)
		abort();
	for (size_t i = 0; i < whole.n; i++)
		if (!same_result(&whole.v[i], &chunked.v[i]))
			abort();
	run_free(&whole);
	run_free(&chunked);
	return 0;
}
