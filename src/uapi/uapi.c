#include "uapi.h"

#include "common/textbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum parser_state {
	STATE_IDLE, /* between operations: the next line names one */
	STATE_GET,
	STATE_SET,
	STATE_EVENTS, /* rampart_events=1: Rampart's own, see uapi.h */
	STATE_DEAD, /* after a framing error */
};

/* --- quoting ----------------------------------------------------------- */

/* Quotes n bytes of s for a log line: escapes quotes, backslashes and
 * anything that is not printable ASCII (NULs included), and shortens it
 * past 40 bytes or when dst runs out.  "(hidden)" with hide, and for
 * anything that might hold a key whatever its line's key: errors about
 * unknown keys ("privatekey=...") and bad values must not carry a secret
 * into the log either, and 40 bytes of a key are most of it. */
static void quote(char *dst, size_t size, const char *s, size_t n, bool hide)
{
	enum { SHOWN_MAX = 40 };
	size_t o = 0, i;

	if (hide || uapi_looks_like_key(s, n)) {
		snprintf(dst, size, "(hidden)");
		return;
	}
	dst[o++] = '"';
	for (i = 0; i < n && i < SHOWN_MAX && o + 9 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, size - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	if (i < n)
		o += (size_t)snprintf(dst + o, size - o, "...");
	dst[o++] = '"';
	dst[o] = '\0';
}

int uapi_error_format(char *buf, size_t size, const struct error *err)
{
	char where[48] = "";
	size_t o = 0;

	if (err->line)
		o += (size_t)snprintf(where, sizeof(where), "line %u", err->line);
	if (err->key[0])
		snprintf(where + o, sizeof(where) - o, "%skey ", o ? ", " : "");
	return snprintf(buf, size, "%s%s%s%s%s%s", where, err->key,
			err->value[0] ? ", value " : "", err->value,
			where[0] ? ": " : "", err->msg);
}

/* --- lines of a set ---------------------------------------------------- */

/* The line being handled, split at its first '='. */
struct kv {
	const char *key;
	char *value;
	size_t key_len, value_len;
	bool secret; /* the value is a private or preshared key */
};

/* Records the first error of the operation; the plan is of no further use
 * (the rest of the operation is only read and counted), so it goes now. */
static int fail(struct uapi_parser *p, int err, const struct kv *l, const char *msg)
{
	struct error *e = &p->error;

	p->err = err;
	error_clear(e);
	e->code = err;
	e->line = p->line;
	if (l) {
		quote(e->key, sizeof(e->key), l->key, l->key_len, false);
		if (l->value)
			quote(e->value, sizeof(e->value), l->value, l->value_len, l->secret);
	}
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	uapi_device_free(p->set);
	p->set = NULL;
	return err;
}

static struct uapi_peer *cur_peer(struct uapi_parser *p)
{
	return &p->set->peers[p->set->n_peers - 1];
}

static int parse_key(struct uapi_parser *p, const struct kv *l, uint8_t key[KEY_LEN])
{
	if (encoding_key_from_hex(key, l->value))
		return 0;
	if (l->value_len != KEY_HEX_LEN)
		return fail(p, -EINVAL, l, "not 64 hex digits");
	return fail(p, -EINVAL, l, "not a hex digit in the key");
}

/* Flags take exactly "true", as in wireguard-go; "false" is an error, not
 * a no-op. */
static int parse_true(struct uapi_parser *p, const struct kv *l, unsigned *flags, unsigned flag)
{
	if (strcmp(l->value, "true"))
		return fail(p, -EINVAL, l, "the only value is true");
	*flags |= flag;
	return 0;
}

/* For an allocation that failed with r (-ENOMEM, or -E2BIG at a limit
 * of device.h that 16 MiB cannot reach). */
static int fail_grow(struct uapi_parser *p, int r, const struct kv *l)
{
	return fail(p, r, l, r == -E2BIG ? "too many entries" : "out of memory");
}

static int set_private_key(struct uapi_parser *p, const struct kv *l)
{
	int ret = parse_key(p, l, p->set->private_key);

	if (!ret)
		p->set->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
	return ret;
}

/* Decimal 0..65535 (wireguard-go: strconv.ParseUint(v, 10, 16)). */
static int set_listen_port(struct uapi_parser *p, const struct kv *l)
{
	const char *why;

	if (!netaddr_parse_port(&p->set->listen_port, l->value, &why))
		return fail(p, -EINVAL, l, why);
	p->set->flags |= UAPI_DEVICE_HAS_LISTEN_PORT;
	return 0;
}

/* Decimal only: "off" and "0x" belong to the configuration file, and wg(8)
 * writes "%u". */
static int set_fwmark(struct uapi_parser *p, const struct kv *l)
{
	const char *why;

	if (!netaddr_parse_u32(&p->set->fwmark, l->value, UINT32_MAX, &why))
		return fail(p, -EINVAL, l, why);
	p->set->flags |= UAPI_DEVICE_HAS_FWMARK;
	return 0;
}

static int set_replace_peers(struct uapi_parser *p, const struct kv *l)
{
	return parse_true(p, l, &p->set->flags, UAPI_DEVICE_REPLACE_PEERS);
}

static int set_public_key(struct uapi_parser *p, const struct kv *l)
{
	uint8_t key[KEY_LEN];
	struct uapi_peer *peer;
	int ret = parse_key(p, l, key);

	if (ret)
		return ret;
	peer = uapi_device_add_peer(p->set, key);
	if (!peer)
		return fail_grow(p, -errno, l);
	peer->line = p->line;
	return 0;
}

static int set_remove(struct uapi_parser *p, const struct kv *l)
{
	return parse_true(p, l, &cur_peer(p)->flags, UAPI_PEER_REMOVE);
}

static int set_update_only(struct uapi_parser *p, const struct kv *l)
{
	return parse_true(p, l, &cur_peer(p)->flags, UAPI_PEER_UPDATE_ONLY);
}

static int set_preshared_key(struct uapi_parser *p, const struct kv *l)
{
	struct uapi_peer *peer = cur_peer(p);
	int ret = parse_key(p, l, peer->preshared_key);

	if (!ret)
		peer->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
	return ret;
}

/* wg(8) resolves names and writes "%s:%s" or "[%s]:%s" from
 * getnameinfo(NI_NUMERICHOST), so anything else did not come from it. */
static int set_endpoint(struct uapi_parser *p, const struct kv *l)
{
	struct uapi_peer *peer = cur_peer(p);
	struct netaddr_endpoint e;
	bool bracketed = l->value[0] == '[';
	const char *why;

	if (!netaddr_parse_endpoint(&e, l->value, &why))
		return fail(p, -EINVAL, l, why);
	if (!e.literal)
		return fail(p, -EINVAL, l, "not a numeric address (wg resolves names)");
	if (e.addr.family == AF_INET6 && !bracketed)
		return fail(p, -EINVAL, l, "IPv6 endpoint without [brackets]");
	if (e.addr.family == AF_INET && bracketed)
		return fail(p, -EINVAL, l, "[brackets] around an IPv4 address");
	if (uapi_endpoint_set(&peer->endpoint, &e)) /* numeric: never */
		return fail(p, -ENOMEM, l, "out of memory");
	peer->flags |= UAPI_PEER_HAS_ENDPOINT;
	return 0;
}

/* Decimal 0..65535 seconds; no "off" on the wire. */
static int set_keepalive(struct uapi_parser *p, const struct kv *l)
{
	struct uapi_peer *peer = cur_peer(p);
	const char *why;
	uint32_t v;

	if (!netaddr_parse_u32(&v, l->value, UINT16_MAX, &why))
		return fail(p, -EINVAL, l, why);
	peer->keepalive = (uint16_t)v;
	peer->flags |= UAPI_PEER_HAS_KEEPALIVE;
	return 0;
}

static int set_replace_allowed_ips(struct uapi_parser *p, const struct kv *l)
{
	unsigned flag = 0;
	int ret = parse_true(p, l, &flag, 1);

	if (ret)
		return ret;
	ret = uapi_peer_add_allowed_ip(cur_peer(p), NULL, UAPI_ALLOWED_IP_REPLACE);
	return ret ? fail_grow(p, ret, l) : 0;
}

/* "P/L" adds and "-P/L" removes (wireguard-tools writes the '-' for
 * "allowed-ips -x"; older wireguard-go refuses it, which is what older
 * wg(8) expects of it).  The length is required, as netip.ParsePrefix
 * requires it. */
static int set_allowed_ip(struct uapi_parser *p, const struct kv *l)
{
	enum uapi_allowed_ip_action action = UAPI_ALLOWED_IP_ADD;
	struct netaddr_prefix prefix;
	const char *s = l->value, *why;
	int ret;

	if (s[0] == '-') {
		action = UAPI_ALLOWED_IP_REMOVE;
		s++;
	}
	if (!strchr(s, '/'))
		return fail(p, -EINVAL, l, "no /length");
	if (!netaddr_parse_prefix(&prefix, s, &why))
		return fail(p, -EINVAL, l, why);
	ret = uapi_peer_add_allowed_ip(cur_peer(p), &prefix, action);
	return ret ? fail_grow(p, ret, l) : 0;
}

/* Rampart's own (docs/rotation.md): the peer whose allowed IPs this one
 * takes over at its first handshake.  wg(8) never sends it. */
static int set_takeover(struct uapi_parser *p, const struct kv *l)
{
	struct uapi_peer *peer = cur_peer(p);
	uint8_t key[KEY_LEN];
	int ret = parse_key(p, l, key);

	if (ret)
		return ret;
	if (!memcmp(key, peer->public_key, KEY_LEN))
		return fail(p, -EINVAL, l, "a peer cannot take over from itself");
	if (encoding_key_is_zero(key))
		return fail(p, -EINVAL, l, "the all-zero key is no peer");
	memcpy(peer->takeover_key, key, KEY_LEN);
	peer->flags |= UAPI_PEER_HAS_TAKEOVER;
	return 0;
}

static int set_protocol_version(struct uapi_parser *p, const struct kv *l)
{
	if (strcmp(l->value, "1"))
		return fail(p, -EINVAL, l, "the only protocol version is 1");
	return 0;
}

enum scope {
	SCOPE_DEVICE, /* before the first public_key */
	SCOPE_PEER,   /* after a public_key, for the latest one */
	SCOPE_ANY,    /* public_key itself */
};

static const struct key_def {
	const char *name;
	enum scope scope;
	bool secret;
	int (*set)(struct uapi_parser *p, const struct kv *l);
} keys[] = {
	{ "private_key", SCOPE_DEVICE, true, set_private_key },
	{ "listen_port", SCOPE_DEVICE, false, set_listen_port },
	{ "fwmark", SCOPE_DEVICE, false, set_fwmark },
	{ "replace_peers", SCOPE_DEVICE, false, set_replace_peers },
	{ "public_key", SCOPE_ANY, false, set_public_key },
	{ "remove", SCOPE_PEER, false, set_remove },
	{ "update_only", SCOPE_PEER, false, set_update_only },
	{ "preshared_key", SCOPE_PEER, true, set_preshared_key },
	{ "endpoint", SCOPE_PEER, false, set_endpoint },
	{ "persistent_keepalive_interval", SCOPE_PEER, false, set_keepalive },
	{ "replace_allowed_ips", SCOPE_PEER, false, set_replace_allowed_ips },
	{ "allowed_ip", SCOPE_PEER, false, set_allowed_ip },
	{ "protocol_version", SCOPE_PEER, false, set_protocol_version },
	{ "rampart_takeover", SCOPE_PEER, false, set_takeover },
};

/* The one key of rampart_events=1: since=SEQ. */
static void events_line(struct uapi_parser *p, const struct kv *l)
{
	char *end;
	unsigned long long v;

	if (strcmp(l->key, "since")) {
		fail(p, -EINVAL, l, "rampart_events=1 takes only since");
		return;
	}
	errno = 0;
	v = strtoull(l->value, &end, 10);
	if (!*l->value || *end || errno || l->value[0] == '-' || l->value[0] == '+') {
		fail(p, -EINVAL, l, "not a decimal number");
		return;
	}
	p->since = v;
}

/* One non-empty line of a get or set, NUL-terminated at line_len (it may
 * hold other NULs). */
static void handle_line(struct uapi_parser *p)
{
	char *s = p->line_buf, *eq;
	const struct key_def *k = NULL;
	struct kv l = { 0 };
	size_t i;

	if (memchr(s, '\0', p->line_len)) {
		l.key = s;
		l.key_len = p->line_len;
		fail(p, -EPROTO, &l, "NUL byte in the line");
		return;
	}
	eq = strchr(s, '=');
	if (!eq) {
		l.key = s;
		l.key_len = p->line_len;
		fail(p, -EPROTO, &l, "no '=' in the line");
		return;
	}
	*eq = '\0';
	l.key = s;
	l.key_len = (size_t)(eq - s);
	l.value = eq + 1;
	l.value_len = p->line_len - l.key_len - 1;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(keys[i].name, l.key)) {
			k = &keys[i];
			break;
		}
	}
	l.secret = k && k->secret;
	if (p->state == STATE_GET) {
		fail(p, -EINVAL, &l, "get=1 takes no keys");
		return;
	}
	if (p->state == STATE_EVENTS) {
		events_line(p, &l);
		return;
	}
	if (!k) {
		fail(p, -EINVAL, &l, "unknown key");
		return;
	}
	if (k->scope == SCOPE_DEVICE && p->set->n_peers) {
		fail(p, -EINVAL, &l, "device key after the first public_key");
		return;
	}
	if (k->scope == SCOPE_PEER && !p->set->n_peers) {
		fail(p, -EINVAL, &l, "peer key before any public_key");
		return;
	}
	k->set(p, &l);
}

/* --- framing ----------------------------------------------------------- */

static void reset_op(struct uapi_parser *p)
{
	uapi_device_free(p->set);
	p->set = NULL;
	p->state = STATE_IDLE;
	p->line = 0;
	p->op_bytes = 0;
	p->err = 0;
	p->since = 0;
	memset(&p->error, 0, sizeof(p->error));
}

void uapi_parser_init(struct uapi_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = STATE_IDLE;
}

void uapi_parser_uninit(struct uapi_parser *p)
{
	uapi_device_free(p->set);
	explicit_bzero(p, sizeof(*p));
}

static enum uapi_op op_of(int state)
{
	return state == STATE_GET ? UAPI_OP_GET :
	       state == STATE_SET ? UAPI_OP_SET :
	       state == STATE_EVENTS ? UAPI_OP_EVENTS : UAPI_OP_NONE;
}

/* Hands over the operation that just ended and readies for the next. */
static enum uapi_status complete(struct uapi_parser *p, struct uapi_request *req)
{
	req->op = op_of(p->state);
	req->err = p->err;
	req->error = p->error;
	req->set = p->err ? NULL : p->set;
	req->since = p->since;
	if (!p->err)
		p->set = NULL;
	reset_op(p);
	return UAPI_READY;
}

static enum uapi_status die(struct uapi_parser *p, struct uapi_request *req, int err,
			    const char *msg)
{
	req->op = op_of(p->state);
	req->err = err;
	error_clear(&req->error);
	req->error.code = err;
	req->error.line = p->line + 1;
	snprintf(req->error.msg, sizeof(req->error.msg), "%s", msg);
	req->set = NULL;
	reset_op(p);
	p->err = err;
	p->error = req->error;
	p->state = STATE_DEAD;
	return UAPI_FATAL;
}

/* A complete line, without its "\n", in line_buf. */
static enum uapi_status end_line(struct uapi_parser *p, struct uapi_request *req)
{
	const char *s = p->line_buf;

	if (p->state == STATE_IDLE) {
		/* wireguard-go compares the whole line, "\n" included, with
		 * "get=1\n" and "set=1\n" and hangs up on anything else. */
		if (p->line_len == 5 && !strcmp(s, "get=1")) {
			p->state = STATE_GET;
		} else if (p->line_len == 5 && !strcmp(s, "set=1")) {
			p->state = STATE_SET;
		} else if (p->line_len == strlen("rampart_events=1") &&
			   !strcmp(s, "rampart_events=1")) {
			p->state = STATE_EVENTS;
		} else {
			return die(p, req, -EPROTO, "expected get=1 or set=1");
		}
		p->line = 1;
		if (p->state == STATE_SET && !(p->set = uapi_device_alloc()))
			fail(p, -ENOMEM, NULL, "out of memory");
		return UAPI_MORE;
	}
	p->line++;
	if (!p->line_len)
		return complete(p, req);
	if (!p->err)
		handle_line(p);
	return UAPI_MORE;
}

enum uapi_status uapi_parser_feed(struct uapi_parser *p, const void *buf, size_t len,
				  size_t *consumed, struct uapi_request *req)
{
	const char *s = buf;
	enum uapi_status st = UAPI_MORE;
	size_t off = 0;

	*consumed = 0;
	if (p->state == STATE_DEAD) {
		req->op = UAPI_OP_NONE;
		req->err = p->err;
		req->error = p->error;
		req->set = NULL;
		return UAPI_FATAL;
	}
	while (off < len && st == UAPI_MORE) {
		const char *nl = memchr(s + off, '\n', len - off);
		size_t text = nl ? (size_t)(nl - (s + off)) : len - off;
		size_t take = text + (nl ? 1 : 0);

		if (text > UAPI_LINE_MAX - p->line_len) {
			*consumed = off;
			return die(p, req, -EMSGSIZE, "line longer than 4096 bytes");
		}
		if (take > UAPI_REQUEST_MAX - p->op_bytes) {
			*consumed = off;
			return die(p, req, -EMSGSIZE, "operation larger than 16 MiB");
		}
		memcpy(p->line_buf + p->line_len, s + off, text);
		p->line_len += text;
		p->op_bytes += take;
		off += take;
		if (!nl)
			break;
		p->line_buf[p->line_len] = '\0';
		st = end_line(p, req);
		explicit_bzero(p->line_buf, p->line_len + 1);
		p->line_len = 0;
	}
	*consumed = off;
	return st;
}

int uapi_parser_finish(struct uapi_parser *p)
{
	bool cut = p->state == STATE_GET || p->state == STATE_SET || p->state == STATE_EVENTS ||
		   (p->state == STATE_IDLE && p->line_len);

	explicit_bzero(p->line_buf, p->line_len);
	p->line_len = 0;
	if (p->state != STATE_DEAD)
		reset_op(p);
	return cut ? -EPIPE : 0;
}

/* --- replies ----------------------------------------------------------- */

/* The preshared key is written always, zeros for none, unless secrets
 * are left out; the keepalive always, 0 for none. */
static void out_peer(struct textbuf *o, const struct uapi_peer *peer, unsigned flags)
{
	static const uint8_t none[KEY_LEN];
	char ep[NETADDR_ENDPOINT_STRLEN], pfx[NETADDR_PREFIX_STRLEN];
	size_t i;

	uapi_write_key(o, "public_key", peer->public_key);
	if (!(flags & UAPI_GET_NO_SECRETS))
		uapi_write_key(o, "preshared_key",
			peer->flags & UAPI_PEER_HAS_PRESHARED_KEY ? peer->preshared_key : none);
	textbuf_printf(o, "protocol_version=1\n");
	if (peer->flags & UAPI_PEER_HAS_ENDPOINT)
		textbuf_printf(o, "endpoint=%s\n", uapi_endpoint_format(ep, &peer->endpoint));
	/* The seconds as the unsigned number the daemon's clock gave. */
	textbuf_printf(o, "last_handshake_time_sec=%" PRIu64 "\n",
		       (uint64_t)peer->last_handshake_sec);
	textbuf_printf(o, "last_handshake_time_nsec=%" PRId64 "\n", peer->last_handshake_nsec);
	textbuf_printf(o, "tx_bytes=%" PRIu64 "\n", peer->tx_bytes);
	textbuf_printf(o, "rx_bytes=%" PRIu64 "\n", peer->rx_bytes);
	textbuf_printf(o, "persistent_keepalive_interval=%u\n",
		       peer->flags & UAPI_PEER_HAS_KEEPALIVE ? peer->keepalive : 0);
	for (i = 0; i < peer->n_counters; i++)
		textbuf_printf(o, "rampart_%s=%" PRIu64 "\n", peer->counters[i].name,
			       peer->counters[i].value);
	for (i = 0; i < peer->n_allowed_ips; i++) {
		const struct uapi_allowed_ip *a = &peer->allowed_ips[i];

		if (a->action != UAPI_ALLOWED_IP_ADD)
			continue;
		textbuf_printf(o, "allowed_ip=%s\n", netaddr_format_prefix(pfx, &a->prefix));
	}
}

char *uapi_format_get(const struct uapi_device *dev, unsigned flags, size_t *len)
{
	struct textbuf o = { 0 };
	size_t i;

	if (!(flags & UAPI_GET_NO_SECRETS) && (dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) &&
	    !encoding_key_is_zero(dev->private_key))
		uapi_write_key(&o, "private_key", dev->private_key);
	if ((dev->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && dev->listen_port)
		textbuf_printf(&o, "listen_port=%u\n", dev->listen_port);
	if ((dev->flags & UAPI_DEVICE_HAS_FWMARK) && dev->fwmark)
		textbuf_printf(&o, "fwmark=%" PRIu32 "\n", dev->fwmark);
	for (i = 0; i < dev->n_counters; i++)
		textbuf_printf(&o, "rampart_%s=%" PRIu64 "\n", dev->counters[i].name,
			       dev->counters[i].value);
	for (i = 0; i < dev->n_peers; i++)
		out_peer(&o, &dev->peers[i], flags);
	textbuf_printf(&o, "errno=0\n\n");
	if (o.err) {
		textbuf_wipe(&o);
		errno = ENOMEM;
		return NULL;
	}
	*len = o.len;
	return o.buf;
}

void uapi_text_free(char *text, size_t len)
{
	textbuf_free_text(text, len);
}

size_t uapi_format_errno(char buf[UAPI_ERRNO_STRLEN], int err)
{
	long long n = err > 0 ? -(long long)err : err;

	return (size_t)snprintf(buf, UAPI_ERRNO_STRLEN, "errno=%lld\n\n", n);
}
