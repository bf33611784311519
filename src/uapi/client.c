#include "client.h"

#include "common/error.h"
#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- messages ---------------------------------------------------------- */

/* Characters of a path or value quoted in a message. */
enum { QUOTED_MAX = 160 };

const char *uapi_client_quote(char *dst, size_t size, const char *s, bool hide)
{
	size_t o = 0, i;

	if (hide && uapi_looks_like_key(s, strlen(s))) {
		snprintf(dst, size, "(hidden)");
		return dst;
	}
	for (i = 0; s[i] && i < QUOTED_MAX && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"' || c == '`' || c == '\'')
			o += (size_t)snprintf(dst + o, size - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	if (s[i] && o + 4 < size)
		o += (size_t)snprintf(dst + o, size - o, "...");
	dst[o] = '\0';
	return dst;
}

/* For what a daemon sent, which may hold a key. */
static const char *shown_reply(char *dst, size_t size, const char *s)
{
	return uapi_client_quote(dst, size, s, true);
}

/* Digits only, 0..max; the 64-bit sibling of netaddr_parse_u32(). */
static bool parse_u64(uint64_t *out, const char *s, uint64_t max, const char **why)
{
	uint64_t v = 0;
	bool big = false;

	if (!*s) {
		*why = "not a decimal number";
		return false;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9') {
			*why = "not a decimal number";
			return false;
		}
		d = (unsigned)(*s - '0');
		if (!big && (v > max / 10 || (v == max / 10 && d > max % 10)))
			big = true;
		if (!big)
			v = v * 10 + d;
	}
	if (big) {
		*why = "number too large";
		return false;
	}
	*out = v;
	return true;
}

/* --- reading replies --------------------------------------------------- */

enum reader_state {
	R_LINES,       /* before errno= */
	R_AFTER_ERRNO, /* errno= seen; only the empty line may follow */
	R_DONE,
	R_FAILED,
};

/* The largest errno magnitude accepted (the kernel's MAX_ERRNO). */
enum { ERRNO_MAX = 4095 };

void uapi_reply_init(struct uapi_reply_reader *r, enum uapi_reply_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->state = R_LINES;
}

void uapi_reply_uninit(struct uapi_reply_reader *r)
{
	uapi_device_free(r->dev);
	r->dev = NULL;
	uapi_events_free(r->events);
	r->events = NULL;
	explicit_bzero(r->line_buf, sizeof(r->line_buf));
	r->line_len = 0;
}

static int __attribute__((format(printf, 3, 4)))
reader_fail(struct uapi_reply_reader *r, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error.msg, sizeof(r->error.msg), fmt, ap);
	va_end(ap);
	r->error.code = ret;
	r->err = ret;
	r->state = R_FAILED;
	return ret;
}

/* "reply line N: invalid KEY "VALUE": WHY", secrets hidden. */
static int reader_bad_value(struct uapi_reply_reader *r, const char *key, const char *value,
			    bool secret, const char *why)
{
	char k[80], q[96], v[100];

	shown_reply(k, sizeof(k), key);
	if (secret)
		snprintf(v, sizeof(v), "(hidden)");
	else
		snprintf(v, sizeof(v), "\"%s\"", shown_reply(q, sizeof(q), value));
	return reader_fail(r, -EPROTO, "reply line %u: invalid %s %s: %s", r->line, k, v, why);
}

static int reader_errno(struct uapi_reply_reader *r, int ret)
{
	if (ret == -E2BIG)
		return reader_fail(r, -EPROTO, "reply line %u: more entries than %u",
				   r->line, (unsigned)UAPI_ALLOWED_IPS_MAX);
	return reader_fail(r, ret, "%s", strerror(-ret));
}

static int reader_key(struct uapi_reply_reader *r, uint8_t key[KEY_LEN], const char *name,
		      const char *value, bool secret)
{
	if (encoding_key_from_hex(key, value))
		return 0;
	return reader_bad_value(r, name, value, secret, "not 64 hex digits");
}

static int reader_number(struct uapi_reply_reader *r, uint64_t *out, const char *key,
			 const char *value, uint64_t max)
{
	const char *why;

	if (parse_u64(out, value, max, &why))
		return 0;
	return reader_bad_value(r, key, value, false, why);
}

static bool valid_counter_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return false;
	return true;
}

/* rampart_<name>=N among the device's keys (peer NULL) or a peer's: the
 * counter "<name>"; rampart_drop_<reason> is the drop counter of that
 * reason. */
static int reader_counter(struct uapi_reply_reader *r, struct uapi_peer *peer, const char *key,
			  const char *value)
{
	struct uapi_device *dev = r->dev;
	const char *name = key + strlen("rampart_");
	bool drop = !strncmp(name, "drop_", strlen("drop_"));
	const char *what = drop ? "drop reason" : "counter", *shown = drop ? name + 5 : name;
	struct uapi_counter *v = peer ? peer->counters : dev->counters;
	size_t n = peer ? peer->n_counters : dev->n_counters;
	uint64_t count;
	int ret;

	if (!valid_counter_name(shown))
		return reader_bad_value(r, what, shown, false, "not 1 to 63 of [a-z0-9_]");
	if (strlen(name) > UAPI_COUNTER_NAME_MAX)
		return reader_bad_value(r, what, shown, false,
					drop ? "longer than 58 characters" : "longer than 63 characters");
	ret = reader_number(r, &count, key, value, UINT64_MAX);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].name, name)) {
			v[i].value = count; /* the last one counts */
			return 0;
		}
	}
	ret = peer ? uapi_peer_add_counter(peer, name, count)
		   : uapi_device_add_counter(dev, name, count);
	if (ret == -E2BIG)
		return reader_fail(r, -EPROTO, "reply line %u: more than %u %s counters",
				   r->line, (unsigned)UAPI_COUNTERS_MAX, drop ? "drop" : "Rampart");
	return ret ? reader_errno(r, ret) : 0;
}

static int reader_device_line(struct uapi_reply_reader *r, const char *key, const char *value)
{
	struct uapi_device *dev = r->dev;
	uint64_t v;
	int ret;

	if (!strcmp(key, "private_key")) {
		ret = reader_key(r, dev->private_key, key, value, true);
		if (!ret)
			dev->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		return ret;
	}
	if (!strcmp(key, "listen_port")) {
		ret = reader_number(r, &v, key, value, 65535);
		if (!ret) {
			dev->listen_port = (uint16_t)v;
			dev->flags |= UAPI_DEVICE_HAS_LISTEN_PORT;
		}
		return ret;
	}
	if (!strcmp(key, "fwmark")) {
		ret = reader_number(r, &v, key, value, UINT32_MAX);
		if (!ret) {
			dev->fwmark = (uint32_t)v;
			dev->flags |= UAPI_DEVICE_HAS_FWMARK;
		}
		return ret;
	}
	if (!strncmp(key, "rampart_", strlen("rampart_")))
		return reader_counter(r, NULL, key, value);
	return 0; /* unknown: ignored, as wg(8) does */
}

static int reader_new_peer(struct uapi_reply_reader *r, const char *value)
{
	uint8_t key[KEY_LEN];
	int ret;

	r->in_peer = true;
	ret = reader_key(r, key, "public_key", value, false);
	if (ret)
		return ret;
	if (!uapi_device_add_peer(r->dev, key)) {
		if (errno == E2BIG)
			return reader_fail(r, -EPROTO, "reply line %u: more than %u peers",
					   r->line, (unsigned)UAPI_PEERS_MAX);
		return reader_errno(r, -errno);
	}
	return 0;
}

static int reader_peer_line(struct uapi_reply_reader *r, const char *key, const char *value)
{
	struct uapi_peer *peer = &r->dev->peers[r->dev->n_peers - 1];
	const char *why;
	uint64_t v;
	int ret;

	if (!strcmp(key, "preshared_key")) {
		/* The last line counts, zeros (none) too. */
		ret = reader_key(r, peer->preshared_key, key, value, true);
		if (!ret && !encoding_key_is_zero(peer->preshared_key))
			peer->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
		else if (!ret)
			peer->flags &= ~(unsigned)UAPI_PEER_HAS_PRESHARED_KEY;
		return ret;
	}
	if (!strcmp(key, "endpoint")) {
		struct netaddr_endpoint ep;

		if (!netaddr_parse_endpoint(&ep, value, &why))
			return reader_bad_value(r, key, value, false, why);
		if (!ep.literal)
			return reader_bad_value(r, key, value, false, "not a numeric address");
		if (uapi_endpoint_set(&peer->endpoint, &ep)) /* numeric: never */
			return reader_errno(r, -ENOMEM);
		peer->flags |= UAPI_PEER_HAS_ENDPOINT;
		return 0;
	}
	if (!strcmp(key, "persistent_keepalive_interval")) {
		ret = reader_number(r, &v, key, value, 65535);
		if (!ret) {
			peer->keepalive = (uint16_t)v;
			peer->flags |= UAPI_PEER_HAS_KEEPALIVE;
		}
		return ret;
	}
	if (!strcmp(key, "allowed_ip")) {
		struct netaddr_prefix p;

		if (!strchr(value, '/'))
			return reader_bad_value(r, key, value, false, "no prefix length");
		if (!netaddr_parse_prefix(&p, value, &why))
			return reader_bad_value(r, key, value, false, why);
		ret = uapi_peer_add_allowed_ip(peer, &p, UAPI_ALLOWED_IP_ADD);
		return ret ? reader_errno(r, ret) : 0;
	}
	if (!strcmp(key, "last_handshake_time_sec")) {
		ret = reader_number(r, &v, key, value, INT64_MAX);
		if (!ret)
			peer->last_handshake_sec = (int64_t)v;
		return ret;
	}
	if (!strcmp(key, "last_handshake_time_nsec")) {
		ret = reader_number(r, &v, key, value, 999999999);
		if (!ret)
			peer->last_handshake_nsec = (int64_t)v;
		return ret;
	}
	if (!strcmp(key, "rx_bytes"))
		return reader_number(r, &peer->rx_bytes, key, value, UINT64_MAX);
	if (!strcmp(key, "tx_bytes"))
		return reader_number(r, &peer->tx_bytes, key, value, UINT64_MAX);
	if (!strncmp(key, "rampart_", strlen("rampart_")))
		return reader_counter(r, peer, key, value);
	return 0; /* protocol_version and unknown keys */
}

/* --- events replies ------------------------------------------------------ */

void uapi_events_free(struct uapi_events *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->ev[i].text);
	free(e->ev);
	free(e);
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "SEQ SEC.NSEC TEXT" */
static int reader_event(struct uapi_reply_reader *r, const char *value)
{
	struct uapi_events *e = r->events;
	const char *sp1 = strchr(value, ' '), *dot, *sp2, *t;
	struct uapi_event ev = { 0 };

	dot = sp1 ? strchr(sp1 + 1, '.') : NULL;
	sp2 = dot ? strchr(dot + 1, ' ') : NULL;
	if (!sp2 || !all_digits(value, (size_t)(sp1 - value)) || sp1 - value > 19 ||
	    !all_digits(sp1 + 1, (size_t)(dot - sp1 - 1)) || dot - sp1 - 1 > 19 ||
	    sp2 - dot - 1 != 9 || !all_digits(dot + 1, 9) || !sp2[1])
		return reader_bad_value(r, "rampart_event", value, false,
					"not \"SEQ SEC.NSEC TEXT\"");
	for (t = sp2 + 1; *t; t++)
		if (*t < 0x20 || *t > 0x7e)
			return reader_bad_value(r, "rampart_event", value, false,
						"a control or non-ASCII character in the text");
	ev.seq = strtoull(value, NULL, 10);
	ev.sec = strtoull(sp1 + 1, NULL, 10);
	ev.nsec = (uint32_t)strtoul(dot + 1, NULL, 10);
	ev.text = strdup(sp2 + 1);
	if (!ev.text)
		return reader_errno(r, -ENOMEM);
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		struct uapi_event *grown = realloc(e->ev, cap * sizeof(*grown));
		if (!grown) {
			free(ev.text);
			return reader_errno(r, -ENOMEM);
		}
		e->ev = grown;
		e->cap = cap;
	}
	e->ev[e->n++] = ev;
	return 0;
}

static int reader_events_line(struct uapi_reply_reader *r, const char *key, const char *value)
{
	if (!r->events) {
		r->events = calloc(1, sizeof(*r->events));
		if (!r->events)
			return reader_errno(r, -ENOMEM);
	}
	if (!strcmp(key, "rampart_event"))
		return reader_event(r, value);
	if (!strcmp(key, "rampart_next"))
		return reader_number(r, &r->events->next, key, value, UINT64_MAX);
	if (!strcmp(key, "rampart_lost"))
		return reader_number(r, &r->events->lost, key, value, UINT64_MAX);
	return 0; /* a later daemon's keys */
}

int uapi_reply_take_events(struct uapi_reply_reader *r, struct uapi_events **out)
{
	int ret;

	*out = NULL;
	ret = uapi_reply_take(r, NULL);
	if (ret)
		return ret;
	if (!r->events) {
		r->events = calloc(1, sizeof(*r->events));
		if (!r->events)
			return reader_errno(r, -ENOMEM);
	}
	*out = r->events;
	r->events = NULL;
	return 0;
}

/* One line without its newline.  0: go on; 1: the reply is complete. */
static int reader_line(struct uapi_reply_reader *r, char *s, size_t n)
{
	char *eq, buf[96];
	uint32_t v;
	const char *why, *digits;

	if (r->state == R_AFTER_ERRNO) {
		if (!n)
			return 1;
		return reader_fail(r, -EPROTO, "reply line %u: \"%s\" after errno=", r->line,
				   shown_reply(buf, sizeof(buf), s));
	}
	if (!n)
		return reader_fail(r, -EPROTO, "reply line %u: the reply ended without errno=",
				   r->line);
	eq = strchr(s, '=');
	if (!eq)
		return reader_fail(r, -EPROTO, "reply line %u: \"%s\" is not key=value", r->line,
				   shown_reply(buf, sizeof(buf), s));
	*eq = '\0';
	if (!strcmp(s, "errno")) {
		digits = eq[1] == '-' ? eq + 2 : eq + 1;
		if (!netaddr_parse_u32(&v, digits, ERRNO_MAX, &why))
			return reader_bad_value(r, "errno", eq + 1, false, why);
		r->daemon_err = -(int)v;
		r->state = R_AFTER_ERRNO;
		return 0;
	}
	if (r->kind == UAPI_REPLY_SET)
		return 0; /* wg(8) reads only errno= from a set reply */
	if (r->kind == UAPI_REPLY_EVENTS)
		return reader_events_line(r, s, eq + 1);
	if (!r->dev) {
		r->dev = uapi_device_alloc();
		if (!r->dev)
			return reader_errno(r, -ENOMEM);
	}
	if (!strcmp(s, "public_key"))
		return reader_new_peer(r, eq + 1);
	if (!r->in_peer)
		return reader_device_line(r, s, eq + 1);
	return reader_peer_line(r, s, eq + 1);
}

int uapi_reply_feed(struct uapi_reply_reader *r, const void *buf, size_t len, size_t *consumed)
{
	const char *p = buf;
	size_t i = 0;
	int ret;

	*consumed = 0;
	if (r->state == R_FAILED)
		return r->err;
	if (r->state == R_DONE)
		return 1;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (p + i)) : len - i;

		if (r->bytes + n + (nl ? 1 : 0) > UAPI_REPLY_MAX) {
			*consumed = i;
			return reader_fail(r, -EPROTO, "reply larger than %u MiB",
					   (unsigned)(UAPI_REPLY_MAX >> 20));
		}
		if (r->line_len + n > UAPI_REPLY_LINE_MAX) {
			*consumed = i;
			return reader_fail(r, -EPROTO, "reply line %u longer than %u bytes",
					   r->line + 1, (unsigned)UAPI_REPLY_LINE_MAX);
		}
		if (memchr(p + i, '\0', n)) {
			*consumed = i;
			return reader_fail(r, -EPROTO, "reply line %u: NUL byte", r->line + 1);
		}
		memcpy(r->line_buf + r->line_len, p + i, n);
		r->line_len += n;
		r->bytes += n;
		i += n;
		if (!nl)
			break;
		i++;
		r->bytes++;
		r->line++;
		r->line_buf[r->line_len] = '\0';
		ret = reader_line(r, r->line_buf, r->line_len);
		explicit_bzero(r->line_buf, r->line_len + 1);
		r->line_len = 0;
		if (ret) {
			*consumed = i;
			if (ret == 1)
				r->state = R_DONE;
			return ret;
		}
	}
	*consumed = len;
	return 0;
}

int uapi_reply_finish(struct uapi_reply_reader *r)
{
	if (r->state == R_DONE)
		return 0;
	if (r->state == R_FAILED)
		return r->err;
	if (!r->bytes)
		return reader_fail(r, -EPROTO, "the daemon closed the connection without a reply");
	return reader_fail(r, -EPROTO, "the reply was cut short after %zu bytes", r->bytes);
}

const struct error *uapi_reply_error(const struct uapi_reply_reader *r)
{
	return &r->error;
}

int uapi_reply_take(struct uapi_reply_reader *r, struct uapi_device **out)
{
	if (out)
		*out = NULL;
	if (r->state == R_FAILED)
		return r->err;
	if (r->state != R_DONE)
		return reader_fail(r, -EPROTO, "the reply is not complete");
	if (r->daemon_err) {
		error_fail(&r->error, r->daemon_err, "%s", strerror(-r->daemon_err));
		return r->daemon_err;
	}
	if (r->kind == UAPI_REPLY_GET && out) {
		if (!r->dev) {
			r->dev = uapi_device_alloc(); /* "errno=0" alone: an empty device */
			if (!r->dev)
				return reader_errno(r, -ENOMEM);
		}
		*out = r->dev;
		r->dev = NULL;
	}
	return 0;
}

static int parse_reply(enum uapi_reply_kind kind, const void *buf, size_t len,
		       struct uapi_device **out, struct error *err)
{
	struct uapi_reply_reader r;
	size_t used = 0;
	int ret;

	uapi_reply_init(&r, kind);
	ret = uapi_reply_feed(&r, buf, len, &used);
	if (!ret)
		ret = uapi_reply_finish(&r);
	if (ret == 1 && used != len)
		ret = reader_fail(&r, -EPROTO, "%zu bytes after the end of the reply",
				  len - used);
	if (ret >= 0)
		ret = uapi_reply_take(&r, out);
	if (ret)
		error_fail(err, ret, "%s", r.error.msg);
	uapi_reply_uninit(&r);
	return ret;
}

int uapi_reply_parse_get(const void *buf, size_t len, struct uapi_device **out, struct error *err)
{
	*out = NULL;
	return parse_reply(UAPI_REPLY_GET, buf, len, out, err);
}

int uapi_reply_parse_set(const void *buf, size_t len, struct error *err)
{
	return parse_reply(UAPI_REPLY_SET, buf, len, NULL, err);
}

/* --- requests ---------------------------------------------------------- */

static void print_allowed_ips(struct textbuf *o, const struct uapi_peer *p)
{
	char buf[NETADDR_PREFIX_STRLEN];

	for (size_t j = 0; j < p->n_allowed_ips; j++) {
		const struct uapi_allowed_ip *a = &p->allowed_ips[j];

		if (a->action == UAPI_ALLOWED_IP_REPLACE)
			textbuf_printf(o, "replace_allowed_ips=true\n");
		else
			textbuf_printf(o, "allowed_ip=%s%s\n",
				       a->action == UAPI_ALLOWED_IP_REMOVE ? "-" : "",
				       netaddr_format_prefix(buf, &a->prefix));
	}
}

int uapi_format_set(struct textbuf *o, const struct uapi_device *dev, struct error *err)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	/* wg(8)'s userspace_set_device(), line for line. */
	textbuf_printf(o, "set=1\n");
	if (dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY)
		uapi_write_key(o, "private_key", dev->private_key);
	if (dev->flags & UAPI_DEVICE_HAS_LISTEN_PORT)
		textbuf_printf(o, "listen_port=%u\n", dev->listen_port);
	if (dev->flags & UAPI_DEVICE_HAS_FWMARK)
		textbuf_printf(o, "fwmark=%u\n", dev->fwmark);
	if (dev->flags & UAPI_DEVICE_REPLACE_PEERS)
		textbuf_printf(o, "replace_peers=true\n");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uapi_peer *p = &dev->peers[i];

		uapi_write_key(o, "public_key", p->public_key);
		if (p->flags & UAPI_PEER_REMOVE) {
			textbuf_printf(o, "remove=true\n");
			continue;
		}
		if (p->flags & UAPI_PEER_UPDATE_ONLY)
			textbuf_printf(o, "update_only=true\n");
		if (p->flags & UAPI_PEER_HAS_PRESHARED_KEY)
			uapi_write_key(o, "preshared_key", p->preshared_key);
		if (p->flags & UAPI_PEER_HAS_ENDPOINT) {
			if (!p->endpoint.literal)
				return error_fail(err, -EINVAL,
						   "endpoint `%s' is not resolved",
						   uapi_endpoint_format(buf, &p->endpoint));
			textbuf_printf(o, "endpoint=%s\n",
				       uapi_endpoint_format(buf, &p->endpoint));
		}
		if (p->flags & UAPI_PEER_HAS_KEEPALIVE)
			textbuf_printf(o, "persistent_keepalive_interval=%u\n", p->keepalive);
		/* Rampart's own: only rampartd takes it (docs/rotation.md). */
		if (p->flags & UAPI_PEER_HAS_TAKEOVER)
			uapi_write_key(o, "rampart_takeover", p->takeover_key);
		print_allowed_ips(o, p);
	}
	textbuf_printf(o, "\n");
	if (o->err)
		return error_fail(err, o->err, "%s", strerror(-o->err));
	return 0;
}
