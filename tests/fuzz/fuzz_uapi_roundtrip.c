/* The control socket's two ends through the daemon's own device code: a
 * set=1 request that the daemon's parser takes is applied to a fresh
 * device (src/daemon/apply.c, as rampartd applies it), the device's get=1
 * reply is read with the client's reply reader, turned back into a set
 * with the client's builder (what `wg showconf` fed to `wg setconf`
 * sends), parsed by the daemon again and applied to another fresh device
 * (tests/bare_device.h: no sockets, threads or TUN).  Checks:
 *   - the first device holds what a naive model of the plan says
 *     (tests/fuzz/uapi_model.h): key, port, mark, peers in order, their
 *     keys, endpoints, keepalives and allowed IPs in order;
 *   - the client reads what the daemon writes, and writing what it read
 *     as a reply again gives the daemon's reply byte for byte;
 *   - the daemon takes what the client's builder writes, and applies it,
 *     each peer added once, and again as a no-op (no event, no datagram,
 *     the same get);
 *   - the second device's get is the first's byte for byte, but for the
 *     statistics: the counters (rampart_*) and rx/tx bytes tell the first
 *     set's history too (allowed IPs it moved between its own peers,
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

/* The set plan applied to a fresh device, and that device's get reply;
 * NULL if the device refused the plan as a whole (-ENOSPC: more peers
 * or takeovers than it holds), which leaves it as it was.  With again
 * (a plan built from a get: one entry a peer, nothing removed), the
 * device reports each peer added once, and the plan applied a second
 * time (syncconf of an unchanged configuration) changes nothing: no
 * event, no datagram, the same get. */
static char *apply_get(const struct uapi_device *set, size_t *len, bool again)
{
	struct bare *b = bare_alloc();
	unsigned events = 0;
	char *text, *text2;
	size_t len2;
	int err;

	if (!b)
		abort();
	err = bare_set(b, set);
	if (err == -ENOSPC) {
		bare_free(b);
		return NULL;
	}
	if (err)
		abort(); /* memory: a fuzz input is far too small */
	text = bare_get(b, len, &err);
	if (!text)
		abort();
	if (again) {
		unsigned sent = b->sent;

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
	}
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct textbuf set1 = { 0 }, set2 = { 0 };
	struct uapi_device *plan0, *plan1, *plan2;
	struct model model;
	char *get1, *get2;
	size_t len1, len2;
	int err;

	if (!ready) {
		log_set_level(LOG_LEVEL_SILENT);
		if (crypto_init())
			abort();
		ready = true;
	}
	plan0 = bare_parse_set(data, size, &err);
	if (!plan0)
		return 0;
	get1 = apply_get(plan0, &len1, false);
	if (!get1) {
		uapi_device_free(plan0);
		return 0;
	}
	model_apply(&model, plan0);
	uapi_device_free(plan0);
	plan1 = reparse(get1, len1, &set1, &model);
	model_free(&model);
	get2 = apply_get(plan1, &len2, true);
	uapi_device_free(plan1);
	if (!get2)
		abort(); /* fewer peers than the first device holds */
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
