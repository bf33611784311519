/* What the control-protocol tests share (test_uapi.c, test_uapi_reply.c):
 * feeding a parser; the naive equality of what it hands over is
 * uapi_equal.h's.  Static inline, so that a file that uses only some of
 * it builds without warnings. */
#ifndef RAMPART_TESTS_UAPI_CHECK_H
#define RAMPART_TESTS_UAPI_CHECK_H

#include "harness.h"
#include "uapi_equal.h"

#include "common/netaddr.h"
#include "uapi/uapi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Feeds text in one buffer; expects exactly one complete operation that
 * uses up every byte. */
static inline void parse_req(const char *text, size_t len, struct uapi_request *req)
{
	struct uapi_parser p;
	size_t used;

	memset(req, 0, sizeof(*req));
	uapi_parser_init(&p);
	CHECK(uapi_parser_feed(&p, text, len, &used, req) == UAPI_READY);
	CHECK_MSG(used == len, "consumed %zu of %zu", used, len);
	uapi_parser_uninit(&p);
}

static inline struct uapi_device *parse_ok(const char *text)
{
	struct uapi_request req;
	char msg[ERROR_STRLEN];

	parse_req(text, strlen(text), &req);
	if (req.err) {
		uapi_error_format(msg, sizeof(msg), &req.error);
		harness_fail(__FILE__, __LINE__, "unexpected %d: %s", req.err, msg);
	}
	CHECK(req.op == UAPI_OP_SET);
	CHECK(req.err || req.set);
	return req.set;
}

/* Feeds stream in pieces of the sizes next_size() picks and collects every
 * request handed over, until the stream ends or the parser dies. */
static inline size_t collect(const char *stream, size_t len, size_t (*next_size)(size_t),
			     struct uapi_request *reqs, size_t max, int *fatal)
{
	struct uapi_parser p;
	size_t off = 0, n = 0, k = 0;

	*fatal = 0;
	uapi_parser_init(&p);
	while (off < len && n < max) {
		size_t chunk = next_size(k++), used;
		enum uapi_status st;

		if (chunk > len - off)
			chunk = len - off;
		st = uapi_parser_feed(&p, stream + off, chunk, &used, &reqs[n]);
		off += used;
		if (st == UAPI_FATAL) {
			*fatal = reqs[n].err;
			n++;
			break;
		}
		if (st == UAPI_READY)
			n++;
		else
			CHECK(used == chunk);
	}
	uapi_parser_uninit(&p);
	return n;
}

static inline size_t size_whole(size_t k)
{
	(void)k;
	return SIZE_MAX;
}

static inline size_t size_one(size_t k)
{
	(void)k;
	return 1;
}

static inline size_t size_odd(size_t k)
{
	return 1 + (k * 7919) % 97;
}

#endif
