/* The client's side of the control socket: its reply reader on any bytes,
 * as the reply to get=1 (uapi_reply_parse_get), to set=1
 * (uapi_reply_parse_set) and to rampart_events=1.  Checks:
 *   - the reader fed in pieces (their sizes drawn from the input) says
 *     what it says of the whole: the same verdict, message and device;
 *   - get and set agree: a set reply reads only errno=, so where the get
 *     reader gives the daemon's verdict the set reader gives the same,
 *     and what breaks the set reader's framing breaks the get reader's;
 *   - no message quotes anything that looks like a key;
 *   - a reply that reads ends with errno= and the empty line, and has a
 *     peer for each public_key line;
 *   - a get reply that reads, written again as a reply (uapi_format_get),
 *     reads to an equal device (but for what a reply leaves out: a port,
 *     mark or key of 0), which is written to the same reply again;
 *   - events hold printable text and nanoseconds below a second. */
#include "keyrun.h"
#include "uapi_equal.h"

#include "uapi/client.h"
#include "uapi/uapi.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The verdict of one reader fed in pieces: uapi_reply_parse_get()'s and
 * uapi_reply_parse_set()'s, by hand, but for their message about bytes
 * after the end (*trailing). */
static int read_chunked(enum uapi_reply_kind kind, const uint8_t *data, size_t size,
			struct uapi_device **dev, char msg[ERROR_MSG_MAX], bool *trailing)
{
	struct uapi_reply_reader r;
	uint32_t x = (uint32_t)size * 2654435761u + 1;
	size_t off = 0, used;
	int ret = 0;

	*trailing = false;
	uapi_reply_init(&r, kind);
	while (off < size && !ret) {
		size_t n;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
		n = x % 64;
		if (n > size - off)
			n = size - off;
		ret = uapi_reply_feed(&r, data + off, n, &used);
		if (used > n || (!ret && used != n))
			abort();
		off += used;
	}
	if (!ret)
		ret = uapi_reply_finish(&r);
	if (ret == 1 && off != size)
		*trailing = true;
	if (ret >= 0)
		ret = uapi_reply_take(&r, dev);
	memcpy(msg, uapi_reply_error(&r)->msg, ERROR_MSG_MAX);
	uapi_reply_uninit(&r);
	return ret;
}

static void check_chunked(enum uapi_reply_kind kind, const uint8_t *data, size_t size, int whole,
			  const struct error *err, const struct uapi_device *dev)
{
	static char msg[ERROR_MSG_MAX];
	struct uapi_device *got = NULL;
	bool trailing;
	int ret = read_chunked(kind, data, size, kind == UAPI_REPLY_GET ? &got : NULL, msg,
			       &trailing);

	if (trailing) {
		if (whole != -EPROTO)
			abort();
	} else if (ret != whole || (whole && strcmp(msg, err->msg))) {
		abort();
	}
	if (!trailing && !reply_equal(dev, got))
		abort();
	uapi_device_free(got);
}

/* What uapi_format_get() leaves out, left out: a key, port or mark of 0
 * is no line, and every peer has a keepalive line. */
static void as_written(struct uapi_device *dev)
{
	if (encoding_key_is_zero(dev->private_key))
		dev->flags &= ~(unsigned)UAPI_DEVICE_HAS_PRIVATE_KEY;
	if (!dev->listen_port)
		dev->flags &= ~(unsigned)UAPI_DEVICE_HAS_LISTEN_PORT;
	if (!dev->fwmark)
		dev->flags &= ~(unsigned)UAPI_DEVICE_HAS_FWMARK;
	for (size_t i = 0; i < dev->n_peers; i++)
		dev->peers[i].flags |= UAPI_PEER_HAS_KEEPALIVE;
}

static void check_rewritten(struct uapi_device *dev)
{
	struct uapi_device *again;
	struct error err;
	char *text, *text2;
	size_t len, len2;

	text = uapi_format_get(dev, 0, &len);
	if (!text)
		abort();
	if (uapi_reply_parse_get(text, len, &again, &err))
		abort(); /* what the daemon writes, the client reads */
	as_written(dev);
	if (!reply_equal(dev, again))
		abort();
	text2 = uapi_format_get(again, 0, &len2);
	if (!text2 || len2 != len || memcmp(text, text2, len))
		abort();
	uapi_text_free(text, len);
	uapi_text_free(text2, len2);
	uapi_device_free(again);
}

static void check_events(const uint8_t *data, size_t size)
{
	struct uapi_reply_reader r;
	struct uapi_events *ev;
	size_t used;
	int ret;

	uapi_reply_init(&r, UAPI_REPLY_EVENTS);
	ret = uapi_reply_feed(&r, data, size, &used);
	if (!ret)
		ret = uapi_reply_finish(&r);
	if (ret >= 0 && !uapi_reply_take_events(&r, &ev)) {
		for (size_t i = 0; i < ev->n; i++) {
			if (ev->ev[i].nsec > 999999999 || !ev->ev[i].text[0])
				abort();
			for (const char *t = ev->ev[i].text; *t; t++)
				if (*t < 0x20 || *t > 0x7e)
					abort();
		}
		uapi_events_free(ev);
	}
	if (has_key_run(uapi_reply_error(&r)->msg))
		abort();
	uapi_reply_uninit(&r);
}

/* Lines of the reply that start with prefix, before its errno= line. */
static size_t count_lines(const uint8_t *data, size_t size, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;

		if (len >= 6 && !memcmp(data + i, "errno=", 6))
			break;
		if (len >= plen && !memcmp(data + i, prefix, plen))
			n++;
		i += len + 1;
	}
	return n;
}

/* What a reply that reads must look like, line by line, naively: it
 * ends with an errno= line and the empty line, and has a peer for every
 * public_key line. */
static void check_shape(const uint8_t *data, size_t size, const struct uapi_device *dev)
{
	size_t last = size >= 2 ? size - 2 : 0;

	while (last && data[last - 1] != '\n')
		last--;
	if (size < 2 || memcmp(data + size - 2, "\n\n", 2) || size - last < 8 ||
	    memcmp(data + last, "errno=", 6))
		abort();
	if (dev && dev->n_peers != count_lines(data, size, "public_key="))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct error eg, es;
	struct uapi_device *dev;
	int rg, rs;

	error_clear(&eg);
	error_clear(&es);
	rg = uapi_reply_parse_get(data, size, &dev, &eg);
	rs = uapi_reply_parse_set(data, size, &es);
	if ((rg == 0) != (dev != NULL) || rg > 0 || rs > 0)
		abort();
	if (rg != -EPROTO && rs != rg)
		abort(); /* the daemon's verdict, whoever reads it */
	if (rs == -EPROTO && rg != -EPROTO)
		abort();
	if (has_key_run(eg.msg) || has_key_run(es.msg))
		abort();
	if (rs != -EPROTO)
		check_shape(data, size, dev);
	check_chunked(UAPI_REPLY_GET, data, size, rg, &eg, dev);
	check_chunked(UAPI_REPLY_SET, data, size, rs, &es, NULL);
	if (dev)
		check_rewritten(dev);
	uapi_device_free(dev);
	check_events(data, size);
	return 0;
}
