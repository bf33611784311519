/* The control socket's two ends through the daemon's own device code:
 * the set=1 requests of the input (a stream of operations) that the
 * daemon's parser takes are applied in turn to a fresh device
 * (src/daemon/apply.c, as rampartd applies them), the device's get=1
 * reply is read with the client's reply reader, turned back into a set
 * with the client's builder (what `wg showconf` fed to `wg setconf`
 * sends), parsed by the daemon again and applied to another fresh device
 * (tests/bare_device.h: no sockets, threads or TUN).  Checks:
 *   - the first device holds what a naive model of the plans says
 *     (tests/fuzz/uapi_model.h): key, port, mark, peers in order, their
 *     keys, endpoints, keepalives and allowed IPs in order;
 *   - the client reads what the daemon writes, and writing what it read
 *     as a reply again gives the daemon's reply byte for byte;
 *   - the daemon takes what the client's builder writes, and applies it,
 *     each peer added once, and again as a no-op (no event, no datagram,
 *     the same get);
 *   - the second device's get is the first's byte for byte, but for the
 *     statistics: the counters (rampart_*) and rx/tx bytes tell the first
 *     device's history too (allowed IPs it moved between its own peers,
 *     keepalives sent before an endpoint changed), which no get repeats;
 *   - the set built from it is the one built from the first get: set ->
 *     get -> set is a fixed point. */
#include "bare_device.h"
#include "uapi_model.h"

#include "common/log.h"
#include "common/textbuf.h"
#include "uapi/client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reply without its statistics lines. */
static void configuration(struct textbuf *o, const char *text, size_t len)
{
	static const char *const stats[] = { "rampart_", "rx_bytes=", "tx_bytes=" };

	for (const char *s = text, *end = text + len, *nl; s < end; s = nl + 1) {
		bool keep = true;

		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
			if (!strncmp(s, stats[i], strlen(stats[i])))
				keep = false;
		if (keep)
			textbuf_append(o, s, (size_t)(nl - s) + (nl < end));
	}
	if (o->err)
		abort();
}

static void same_configuration(const char *a, size_t alen, const char *b, size_t blen)
{
	struct textbuf x = { 0 }, y = { 0 };

	configuration(&x, a, alen);
	configuration(&y, b, blen);
	if (x.len != y.len || memcmp(x.buf, y.buf, x.len))
		abort();
	textbuf_wipe(&x);
	textbuf_wipe(&y);
}

/* The set plan built from a get applied to a fresh device, and that
 * device's get reply.  The plan holds one entry a peer and removes
 * nothing: the device reports each peer added once, and the plan
 * applied a second time (syncconf of an unchanged configuration)
 * changes nothing: no event, no datagram, the same get. */
static char *apply_get(const struct uapi_device *set, size_t *len)
{
	struct bare *b = bare_alloc();
	unsigned events = 0, sent;
	char *text, *text2;
	size_t len2;
	int err;

	if (!b)
		abort();
	if (bare_set(b, set))
		abort(); /* no more peers than the first device holds */
	text = bare_get(b, len, &err);
	if (!text)
		abort();
	sent = b->sent;
	for (size_t k = 0; k < EVENT_KIND_COUNT; k++)
		events += b->events[k];
	if (b->events[EVENT_PEER_ADDED] != set->n_peers || events != set->n_peers)
		abort();
	if (bare_set(b, set))
		abort();
	for (size_t k = 0; k < EVENT_KIND_COUNT; k++)
		events -= b->events[k];
	text2 = bare_get(b, &len2, &err);
	if (events || b->sent != sent || !text2 || len2 != *len || memcmp(text, text2, len2))
		abort();
	uapi_text_free(text2, len2);
	bare_free(b);
	return text;
}

/* The client's reading of the daemon's get reply, which must take it
 * and write it again as the same reply. */
static struct uapi_device *read_reply(const char *text, size_t len)
{
	struct uapi_device *dev;
	struct error err;
	char *again;
	size_t again_len;

	if (uapi_reply_parse_get(text, len, &dev, &err))
		abort();
	again = uapi_format_get(dev, 0, &again_len);
	if (!again || again_len != len || memcmp(again, text, len))
		abort();
	uapi_text_free(again, again_len);
	return dev;
}

/* The set=1 request the client builds from what it read. */
static void build_set(struct textbuf *o, const struct uapi_device *dev)
{
	struct error err;

	if (uapi_format_set(o, dev, &err))
		abort(); /* a reply holds numeric endpoints only */
}

/* get -> set request -> the daemon's plan: the daemon takes what the
 * client writes.  With model, what the client read of the get must be
 * what the naive model says the first plan leaves. */
static struct uapi_device *reparse(const char *get, size_t len, struct textbuf *o,
				   const struct model *model)
{
	struct uapi_device *dev = read_reply(get, len), *plan;
	int err;

	if (model && !model_is(model, dev))
		abort();
	build_set(o, dev);
	uapi_device_free(dev);
	plan = bare_parse_set(o->buf, o->len, &err);
	if (!plan)
		abort();
	return plan;
}

/* Every set of the stream that the daemon's parser takes, applied in
 * turn to one fresh device and to the model; the device's get reply, or
 * NULL if no set was taken.  A plan the device refuses as a whole
 * (-ENOSPC) leaves both as they were. */
static char *apply_stream(const uint8_t *data, size_t size, struct model *m, size_t *len)
{
	struct bare *b = NULL;
	struct uapi_parser p;
	struct uapi_request req;
	size_t off = 0, used, applied = 0;
	char *text = NULL;
	int err;

	uapi_parser_init(&p);
	while (off < size) {
		memset(&req, 0, sizeof(req));
		if (uapi_parser_feed(&p, data + off, size - off, &used, &req) != UAPI_READY)
			break;
		off += used;
		if (!req.set)
			continue;
		/* Only now: a device costs more than most inputs. */
		if (!b && !(b = bare_alloc()))
			abort();
		err = bare_set(b, req.set);
		if (err && err != -ENOSPC)
			abort(); /* memory: a fuzz input is far too small */
		if (!err) {
			model_apply(m, req.set);
			applied++;
		}
		uapi_device_free(req.set);
	}
	uapi_parser_uninit(&p);
	if (applied) {
		text = bare_get(b, len, &err);
		if (!text)
			abort();
	}
	bare_free(b);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct textbuf set1 = { 0 }, set2 = { 0 };
	struct uapi_device *plan1, *plan2;
	struct model model;
	char *get1, *get2;
	size_t len1, len2;

	if (!ready) {
		log_set_level(LOG_LEVEL_SILENT);
		if (crypto_init())
			abort();
		ready = true;
	}
	model_init(&model);
	get1 = apply_stream(data, size, &model, &len1);
	if (!get1) {
		model_free(&model);
		return 0;
	}
	plan1 = reparse(get1, len1, &set1, &model);
	model_free(&model);
	get2 = apply_get(plan1, &len2);
	uapi_device_free(plan1);
	same_configuration(get1, len1, get2, len2);
	plan2 = reparse(get2, len2, &set2, NULL);
	uapi_device_free(plan2);
	if (set2.len != set1.len || memcmp(set1.buf, set2.buf, set1.len))
		abort();
	textbuf_wipe(&set1);
	textbuf_wipe(&set2);
	uapi_text_free(get1, len1);
	uapi_text_free(get2, len2);
	return 0;
}
