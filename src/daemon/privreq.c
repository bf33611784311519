/* The parent's request parser (privreq.h). */
#include "privreq.h"

#include <errno.h>
#include <string.h>

static const char *const names[PRIVREQ_N_REFUSALS] = {
	[PRIVREQ_OK] = "accepted",
	[PRIVREQ_SHORT] = "shorter than a header",
	[PRIVREQ_BAD_LENGTH] = "wrong length",
	[PRIVREQ_UNKNOWN_TYPE] = "unknown type",
	[PRIVREQ_BAD_PORT] = "port outside 1-65535",
	[PRIVREQ_BAD_VALUE] = "bad value",
	[PRIVREQ_SECOND_TUN] = "a second TUN",
};

const char *privreq_refusal_name(enum privreq_refusal why)
{
	return (unsigned)why < PRIVREQ_N_REFUSALS ? names[why] : "?";
}

/* The body's size for type, or 0 for an unknown type. */
static size_t body_size(uint32_t type)
{
	switch (type) {
	case PRIVREQ_BIND_UDP:
		return sizeof(struct privreq_bind_udp);
	case PRIVREQ_COMMIT_UDP:
		return sizeof(struct privreq_commit_udp);
	case PRIVREQ_SET_FWMARK:
		return sizeof(struct privreq_set_fwmark);
	case PRIVREQ_OPEN_TUN:
		return sizeof(struct privreq_open_tun);
	}
	return 0;
}

enum privreq_refusal privreq_parse(const void *buf, size_t len, struct privreq *out)
{
	const uint8_t *p = buf;
	struct privreq_header h;
	size_t body;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h))
		return PRIVREQ_SHORT;
	memcpy(&h, p, sizeof(h));
	body = body_size(h.type);
	if (!body)
		return PRIVREQ_UNKNOWN_TYPE;
	if (h.len != len || len != sizeof(h) + body)
		return PRIVREQ_BAD_LENGTH;
	p += sizeof(h);
	out->type = (enum privreq_type)h.type;
	switch (h.type) {
	case PRIVREQ_BIND_UDP: {
		struct privreq_bind_udp b;
		memcpy(&b, p, sizeof(b));
		if (b.port < 1 || b.port > 65535)
			return PRIVREQ_BAD_PORT;
		out->port = (uint16_t)b.port;
		out->fwmark = b.fwmark;
		return PRIVREQ_OK;
	}
	case PRIVREQ_COMMIT_UDP: {
		struct privreq_commit_udp c;
		memcpy(&c, p, sizeof(c));
		if (c.use > 1)
			return PRIVREQ_BAD_VALUE;
		out->use = c.use;
		return PRIVREQ_OK;
	}
	case PRIVREQ_SET_FWMARK: {
		struct privreq_set_fwmark m;
		memcpy(&m, p, sizeof(m));
		out->fwmark = m.fwmark;
		return PRIVREQ_OK;
	}
	}
	/* PRIVREQ_OPEN_TUN: the one TUN was opened before the engine was. */
	return PRIVREQ_SECOND_TUN;
}

int privreq_handle(const void *buf, size_t len, const struct privreq_actions *acts,
		   struct privreq_counters *counters, enum privreq_refusal *why)
{
	struct privreq req;

	*why = privreq_parse(buf, len, &req);
	if (*why != PRIVREQ_OK) {
		counters->refused[*why]++;
		return -EINVAL;
	}
	counters->accepted++;
	switch (req.type) {
	case PRIVREQ_BIND_UDP:
		return acts->bind_udp(acts->arg, req.port, req.fwmark);
	case PRIVREQ_COMMIT_UDP:
		return acts->commit_udp(acts->arg, req.use);
	case PRIVREQ_SET_FWMARK:
		return acts->set_fwmark(acts->arg, req.fwmark);
	case PRIVREQ_OPEN_TUN:
		break;
	}
	return -EINVAL; /* not reached: the parser refuses OPEN_TUN */
}

size_t privreq_build(struct privreq_wire *w, const struct privreq *req)
{
	size_t body = body_size(req->type);

	memset(w, 0, sizeof(*w));
	w->h.type = req->type;
	w->h.len = (uint32_t)(sizeof(w->h) + body);
	switch (req->type) {
	case PRIVREQ_BIND_UDP:
		w->body.bind.port = req->port;
		w->body.bind.fwmark = req->fwmark;
		break;
	case PRIVREQ_COMMIT_UDP:
		w->body.commit.use = req->use;
		break;
	case PRIVREQ_SET_FWMARK:
		w->body.mark.fwmark = req->fwmark;
		break;
	case PRIVREQ_OPEN_TUN:
		break;
	}
	return w->h.len;
}
