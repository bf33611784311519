/* The engine's two messages to the privileged parent's side of the
 * boundary: the requests (privreq_parse) and, engine-bound, the handover
 * (handover_parse).  The first byte picks: even, a request of the bytes
 * that follow; odd, a handover of the bytes after the second, which says
 * how many descriptors came with it.
 *
 * A request that parses is built again (privreq_build): the same bytes,
 * which parse to the same request, and privreq_handle acts on exactly
 * it; a refusal is counted once and acts on nothing.  A handover that
 * parses meets what handover_adopt relies on (counts in range, strings
 * terminated, the descriptors it names all there) and parses again. */
#include "daemon/handover.h"
#include "daemon/privreq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned calls;
	struct privreq req;
};

static int act_bind(void *arg, uint16_t port, uint32_t fwmark)
{
	struct seen *s = arg;

	s->calls++;
	s->req.type = PRIVREQ_BIND_UDP;
	s->req.port = port;
	s->req.fwmark = fwmark;
	return 0;
}

static int act_commit(void *arg, bool use)
{
	struct seen *s = arg;

	s->calls++;
	s->req.type = PRIVREQ_COMMIT_UDP;
	s->req.use = use;
	return 0;
}

static int act_mark(void *arg, uint32_t fwmark)
{
	struct seen *s = arg;

	s->calls++;
	s->req.type = PRIVREQ_SET_FWMARK;
	s->req.fwmark = fwmark;
	return 0;
}

static bool same(const struct privreq *a, const struct privreq *b)
{
	return a->type == b->type && a->port == b->port && a->fwmark == b->fwmark &&
	       a->use == b->use;
}

static void request(const uint8_t *buf, size_t len)
{
	struct seen s;
	const struct privreq_actions acts = { &s, act_bind, act_commit, act_mark };
	struct privreq_counters counters;
	struct privreq req, again;
	struct privreq_wire w;
	enum privreq_refusal why = privreq_parse(buf, len, &req), why2;
	size_t n;
	int ret;

	memset(&s, 0, sizeof(s));
	memset(&counters, 0, sizeof(counters));
	ret = privreq_handle(buf, len, &acts, &counters, &why2);
	if (why2 != why || !strcmp(privreq_refusal_name(why), "?"))
		abort();
	if (why != PRIVREQ_OK) {
		if (ret != -EINVAL || s.calls || counters.accepted || counters.refused[why] != 1)
			abort(); /* nothing refused is acted on */
		return;
	}
	if (ret || s.calls != 1 || counters.accepted != 1 || !same(&s.req, &req))
		abort(); /* exactly its action, with its values */
	n = privreq_build(&w, &req);
	if (n != len || memcmp(&w, buf, len))
		abort(); /* the parser takes exactly what the builder writes */
	if (privreq_parse(&w, n, &again) != PRIVREQ_OK || !same(&req, &again))
		abort();
}

static void handover(const uint8_t *buf, size_t len, unsigned n_fds)
{
	struct handover_wire w, again;
	unsigned per, want;

	if (handover_parse(buf, len, n_fds, &w))
		return;
	per = !!(w.families & HANDOVER_V4) + !!(w.families & HANDOVER_V6);
	want = w.n_queues + 1 + !!w.has_stats + 2 + per * w.n_queues;
	if (w.magic != HANDOVER_MAGIC || !w.n_queues || w.n_queues > HANDOVER_MAX_QUEUES ||
	    !per || want != n_fds || n_fds > HANDOVER_MAX_FDS || w.mtu > 65535 ||
	    w.port > 65535 || !memchr(w.ifname, 0, sizeof(w.ifname)) ||
	    !memchr(w.ctl_path, 0, sizeof(w.ctl_path)) ||
	    !memchr(w.stats_path, 0, sizeof(w.stats_path)))
		abort();
	if (handover_parse(&w, sizeof(w), n_fds, &again) || memcmp(&w, &again, sizeof(w)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!(data[0] & 1))
		request(data + 1, size - 1);
	else if (size >= 2)
		handover(data + 2, size - 2, data[1]);
	return 0;
}
