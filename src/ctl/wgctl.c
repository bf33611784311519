#include "wgctl.h"

#include "conf/wgconf.h"

#include "common/errbuf.h"
#include "common/array.h"
#include "conf/config.h"
#include "common/encoding.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* --- messages ---------------------------------------------------------- */

enum {
	/* Characters of a path or value quoted in a message, and room for
	 * them once escaped. */
	QUOTED_MAX = 160,
	QUOTED_STRLEN = 4 * QUOTED_MAX + 8,
};

/* Anything with a run of 32 or more key-alphabet characters might be a
 * key (hex or base64) and is never shown. */
static bool might_be_key(const char *s)
{
	size_t run = 0;

	for (; *s; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=') {
			if (++run >= 32)
				return true;
		} else {
			run = 0;
		}
	}
	return false;
}

/* s for a message: printable ASCII kept, quotes, backslashes and the rest
 * escaped, shortened past 64 bytes; with hide, "(hidden)" if it might be
 * a key.  Terminal escapes from argv or a daemon never reach the screen. */
static const char *quote_as(char *dst, size_t size, const char *s, bool hide)
{
	size_t o = 0, i;

	if (hide && might_be_key(s)) {
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

/* For what the user typed: paths, names, values. */
static const char *shown(char *dst, size_t size, const char *s)
{
	return quote_as(dst, size, s, false);
}

/* For what a daemon sent, which may hold a key. */
static const char *shown_reply(char *dst, size_t size, const char *s)
{
	return quote_as(dst, size, s, true);
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

/* --- devices ----------------------------------------------------------- */

static struct wgctl_device *device_alloc(void)
{
	struct wgctl_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->conf = conf_alloc();
	if (!dev->conf) {
		free(dev);
		errno = ENOMEM;
		return NULL;
	}
	return dev;
}

void wgctl_device_free(struct wgctl_device *dev)
{
	if (!dev)
		return;
	conf_free(dev->conf);
	free(dev->stats);
	free(dev->drops);
	explicit_bzero(dev, sizeof(*dev));
	free(dev);
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

void wgctl_reader_init(struct wgctl_reader *r, enum wgctl_reply_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->state = R_LINES;
}

void wgctl_reader_uninit(struct wgctl_reader *r)
{
	wgctl_device_free(r->dev);
	r->dev = NULL;
	explicit_bzero(r->line_buf, sizeof(r->line_buf));
	r->line_len = 0;
}

static int __attribute__((format(printf, 3, 4)))
reader_fail(struct wgctl_reader *r, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = ret;
	r->state = R_FAILED;
	return ret;
}

/* "reply line N: invalid KEY "VALUE": WHY", secrets hidden. */
static int reader_bad_value(struct wgctl_reader *r, const char *key, const char *value,
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

static int reader_errno(struct wgctl_reader *r, int ret)
{
	if (ret == -E2BIG)
		return reader_fail(r, -EPROTO, "reply line %u: more entries than %u",
				   r->line, (unsigned)CONF_LIST_MAX);
	return reader_fail(r, ret, "%s", strerror(-ret));
}

static int reader_key(struct wgctl_reader *r, uint8_t key[KEY_LEN], const char *name,
		      const char *value, bool secret)
{
	if (encoding_key_from_hex(key, value))
		return 0;
	return reader_bad_value(r, name, value, secret, "not 64 hex digits");
}

static int reader_number(struct wgctl_reader *r, uint64_t *out, const char *key,
			 const char *value, uint64_t max)
{
	const char *why;

	if (parse_u64(out, value, max, &why))
		return 0;
	return reader_bad_value(r, key, value, false, why);
}

static bool valid_drop_reason(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > WGCTL_DROP_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return false;
	return true;
}

static int reader_drop(struct wgctl_reader *r, const char *key, const char *value)
{
	struct wgctl_device *dev = r->dev;
	const char *reason = key + strlen("rampart_drop_");
	uint64_t count;
	size_t i;
	int ret;

	if (!valid_drop_reason(reason))
		return reader_bad_value(r, "drop reason", reason, false,
					"not 1 to 63 of [a-z0-9_]");
	ret = reader_number(r, &count, key, value, UINT64_MAX);
	if (ret)
		return ret;
	for (i = 0; i < dev->n_drops; i++) {
		if (!strcmp(dev->drops[i].reason, reason)) {
			dev->drops[i].count = count; /* the last one counts */
			return 0;
		}
	}
	ret = array_grow((void **)&dev->drops, &dev->cap_drops, dev->n_drops,
			 sizeof(*dev->drops), WGCTL_DROPS_MAX);
	if (ret == -E2BIG)
		return reader_fail(r, -EPROTO, "reply line %u: more than %u drop counters",
				   r->line, (unsigned)WGCTL_DROPS_MAX);
	if (ret)
		return reader_errno(r, ret);
	snprintf(dev->drops[dev->n_drops].reason, sizeof(dev->drops[0].reason), "%s", reason);
	dev->drops[dev->n_drops++].count = count;
	return 0;
}

static int reader_device_line(struct wgctl_reader *r, const char *key, const char *value)
{
	struct conf *c = r->dev->conf;
	uint64_t v;
	int ret;

	if (!strcmp(key, "private_key")) {
		ret = reader_key(r, c->private_key, key, value, true);
		if (!ret)
			c->has_private_key = true;
		return ret;
	}
	if (!strcmp(key, "listen_port")) {
		ret = reader_number(r, &v, key, value, 65535);
		if (!ret) {
			c->listen_port = (uint16_t)v;
			c->has_listen_port = v != 0;
		}
		return ret;
	}
	if (!strcmp(key, "fwmark")) {
		ret = reader_number(r, &v, key, value, UINT32_MAX);
		if (!ret) {
			c->fwmark = (uint32_t)v;
			c->has_fwmark = v != 0;
		}
		return ret;
	}
	if (!strncmp(key, "rampart_drop_", strlen("rampart_drop_")))
		return reader_drop(r, key, value);
	return 0; /* unknown: ignored, as wg(8) does */
}

static int reader_new_peer(struct wgctl_reader *r, const char *value)
{
	struct wgctl_device *dev = r->dev;
	struct conf_peer *peer;
	int ret;

	ret = array_grow((void **)&dev->stats, &dev->cap_stats, dev->conf->n_peers,
			 sizeof(*dev->stats), CONF_PEERS_MAX);
	if (ret == -E2BIG)
		return reader_fail(r, -EPROTO, "reply line %u: more than %u peers", r->line,
				   (unsigned)CONF_PEERS_MAX);
	if (ret)
		return reader_errno(r, ret);
	peer = conf_add_peer(dev->conf, 0);
	if (!peer)
		return reader_errno(r, -errno);
	memset(&dev->stats[dev->conf->n_peers - 1], 0, sizeof(dev->stats[0]));
	r->in_peer = true;
	ret = reader_key(r, peer->public_key, "public_key", value, false);
	if (!ret)
		peer->has_public_key = true;
	return ret;
}

static int reader_peer_line(struct wgctl_reader *r, const char *key, const char *value)
{
	struct conf *c = r->dev->conf;
	struct conf_peer *peer = &c->peers[c->n_peers - 1];
	struct wgctl_peer_stats *st = &r->dev->stats[c->n_peers - 1];
	const char *why;
	uint64_t v;
	int ret;

	if (!strcmp(key, "preshared_key")) {
		ret = reader_key(r, peer->preshared_key, key, value, true);
		if (!ret)
			peer->has_preshared_key = !encoding_key_is_zero(peer->preshared_key);
		return ret;
	}
	if (!strcmp(key, "endpoint")) {
		struct netaddr_endpoint ep;

		if (!netaddr_parse_endpoint(&ep, value, &why))
			return reader_bad_value(r, key, value, false, why);
		if (!ep.literal)
			return reader_bad_value(r, key, value, false, "not a numeric address");
		peer->endpoint = ep;
		peer->has_endpoint = true;
		return 0;
	}
	if (!strcmp(key, "persistent_keepalive_interval")) {
		ret = reader_number(r, &v, key, value, 65535);
		if (!ret) {
			peer->keepalive = (uint16_t)v;
			peer->has_keepalive = v != 0;
		}
		return ret;
	}
	if (!strcmp(key, "allowed_ip")) {
		struct netaddr_prefix p;

		if (!strchr(value, '/'))
			return reader_bad_value(r, key, value, false, "no prefix length");
		if (!netaddr_parse_prefix(&p, value, &why))
			return reader_bad_value(r, key, value, false, why);
		ret = conf_peer_add_allowed_ip(peer, &p, 0);
		return ret ? reader_errno(r, ret) : 0;
	}
	if (!strcmp(key, "last_handshake_time_sec")) {
		ret = reader_number(r, &v, key, value, INT64_MAX);
		if (!ret)
			st->last_handshake_sec = (int64_t)v;
		return ret;
	}
	if (!strcmp(key, "last_handshake_time_nsec")) {
		ret = reader_number(r, &v, key, value, 999999999);
		if (!ret)
			st->last_handshake_nsec = (int64_t)v;
		return ret;
	}
	if (!strcmp(key, "rx_bytes"))
		return reader_number(r, &st->rx_bytes, key, value, UINT64_MAX);
	if (!strcmp(key, "tx_bytes"))
		return reader_number(r, &st->tx_bytes, key, value, UINT64_MAX);
	return 0; /* protocol_version and unknown keys */
}

/* One line without its newline.  0: go on; 1: the reply is complete. */
static int reader_line(struct wgctl_reader *r, char *s, size_t n)
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
	if (r->kind == WGCTL_REPLY_SET)
		return 0; /* wg(8) reads only errno= from a set reply */
	if (!r->dev) {
		r->dev = device_alloc();
		if (!r->dev)
			return reader_errno(r, -ENOMEM);
	}
	if (!strcmp(s, "public_key"))
		return reader_new_peer(r, eq + 1);
	if (!r->in_peer)
		return reader_device_line(r, s, eq + 1);
	return reader_peer_line(r, s, eq + 1);
}

int wgctl_reader_feed(struct wgctl_reader *r, const void *buf, size_t len, size_t *consumed)
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

		if (r->bytes + n + (nl ? 1 : 0) > WGCTL_REPLY_MAX) {
			*consumed = i;
			return reader_fail(r, -EPROTO, "reply larger than %u MiB",
					   (unsigned)(WGCTL_REPLY_MAX >> 20));
		}
		if (r->line_len + n > WGCTL_LINE_MAX) {
			*consumed = i;
			return reader_fail(r, -EPROTO, "reply line %u longer than %u bytes",
					   r->line + 1, (unsigned)WGCTL_LINE_MAX);
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

int wgctl_reader_finish(struct wgctl_reader *r)
{
	if (r->state == R_DONE)
		return 0;
	if (r->state == R_FAILED)
		return r->err;
	if (!r->bytes)
		return reader_fail(r, -EPROTO, "the daemon closed the connection without a reply");
	return reader_fail(r, -EPROTO, "the reply was cut short after %zu bytes", r->bytes);
}

int wgctl_reader_take(struct wgctl_reader *r, struct wgctl_device **out)
{
	if (out)
		*out = NULL;
	if (r->state == R_FAILED)
		return r->err;
	if (r->state != R_DONE)
		return reader_fail(r, -EPROTO, "the reply is not complete");
	if (r->daemon_err) {
		snprintf(r->msg, sizeof(r->msg), "%s", strerror(-r->daemon_err));
		return r->daemon_err;
	}
	if (r->kind == WGCTL_REPLY_GET && out) {
		if (!r->dev) {
			r->dev = device_alloc(); /* "errno=0" alone: an empty device */
			if (!r->dev)
				return reader_errno(r, -ENOMEM);
		}
		*out = r->dev;
		r->dev = NULL;
	}
	return 0;
}

static int parse_reply(enum wgctl_reply_kind kind, const void *buf, size_t len,
		       struct wgctl_device **out, char *err, size_t errlen)
{
	struct wgctl_reader r;
	size_t used = 0;
	int ret;

	wgctl_reader_init(&r, kind);
	ret = wgctl_reader_feed(&r, buf, len, &used);
	if (!ret)
		ret = wgctl_reader_finish(&r);
	if (ret == 1 && used != len)
		ret = reader_fail(&r, -EPROTO, "%zu bytes after the end of the reply",
				  len - used);
	if (ret >= 0)
		ret = wgctl_reader_take(&r, out);
	if (ret)
		errbuf_fail(err, errlen, ret, "%s", r.msg);
	wgctl_reader_uninit(&r);
	return ret;
}

int wgctl_parse_get(const void *buf, size_t len, struct wgctl_device **out, char *err,
		    size_t errlen)
{
	*out = NULL;
	return parse_reply(WGCTL_REPLY_GET, buf, len, out, err, errlen);
}

int wgctl_parse_set_reply(const void *buf, size_t len, char *err, size_t errlen)
{
	return parse_reply(WGCTL_REPLY_SET, buf, len, NULL, err, errlen);
}

/* --- changes ----------------------------------------------------------- */

struct wgctl_change *wgctl_change_alloc(void)
{
	return calloc(1, sizeof(struct wgctl_change));
}

static void peer_change_free(struct wgctl_peer_change *p)
{
	if (!p)
		return;
	free(p->allowed_ips);
	explicit_bzero(p, sizeof(*p));
	free(p);
}

void wgctl_change_free(struct wgctl_change *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_peers; i++)
		peer_change_free(c->peers[i]);
	free(c->peers);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

struct wgctl_peer_change *wgctl_change_add_peer(struct wgctl_change *c,
						const uint8_t key[KEY_LEN])
{
	struct wgctl_peer_change *p;
	int ret = array_grow((void **)&c->peers, &c->cap_peers, c->n_peers,
			     sizeof(*c->peers), CONF_PEERS_MAX);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->public_key, key, KEY_LEN);
	c->peers[c->n_peers++] = p;
	return p;
}

int wgctl_peer_add_allowed_ip(struct wgctl_peer_change *p,
			      const struct netaddr_prefix *prefix, bool remove)
{
	int ret = array_grow((void **)&p->allowed_ips, &p->cap_allowed_ips,
			     p->n_allowed_ips, sizeof(*p->allowed_ips), CONF_LIST_MAX);

	if (ret)
		return ret;
	p->allowed_ips[p->n_allowed_ips].prefix = *prefix;
	p->allowed_ips[p->n_allowed_ips++].remove = remove;
	return 0;
}

int wgctl_change_from_conf(const struct conf *conf, enum wgctl_mode mode,
			   struct wgctl_change **out)
{
	struct wgctl_change *c = wgctl_change_alloc();
	bool whole = mode != WGCTL_ADDCONF;
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	/* wg(8)'s config_read_init(): setconf and syncconf state the whole
	 * device, absent keys as zero. */
	if (whole || conf->has_private_key) {
		c->has_private_key = true;
		if (conf->has_private_key)
			memcpy(c->private_key, conf->private_key, KEY_LEN);
	}
	if (whole || conf->has_listen_port) {
		c->has_listen_port = true;
		c->listen_port = conf->has_listen_port ? conf->listen_port : 0;
	}
	if (whole || conf->has_fwmark) {
		c->has_fwmark = true;
		c->fwmark = conf->has_fwmark ? conf->fwmark : 0;
	}
	c->replace_peers = whole;
	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct conf_peer *cp = &conf->peers[i];
		struct wgctl_peer_change *p = wgctl_change_add_peer(c, cp->public_key);

		if (!p) {
			ret = -ENOMEM;
			goto err;
		}
		if (cp->has_preshared_key) {
			p->has_preshared_key = true;
			memcpy(p->preshared_key, cp->preshared_key, KEY_LEN);
		}
		if (cp->has_endpoint) {
			p->has_endpoint = true;
			p->endpoint = cp->endpoint;
		}
		if (cp->has_keepalive) {
			p->has_keepalive = true;
			p->keepalive = cp->keepalive;
		}
		/* Every [Peer] replaces its allowed IPs, even with none. */
		p->replace_allowed_ips = true;
		for (size_t j = 0; j < cp->n_allowed_ips; j++) {
			ret = wgctl_peer_add_allowed_ip(p, &cp->allowed_ips[j].prefix, false);
			if (ret)
				goto err;
		}
	}
	*out = c;
	return 0;
err:
	wgctl_change_free(c);
	return ret == -E2BIG ? -ENOMEM : ret;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b, KEY_LEN);
}

int wgctl_change_sync(struct wgctl_change *c, const struct wgctl_device *running)
{
	const struct conf *rc = running->conf;
	const uint8_t **mine = NULL, **theirs = NULL;
	struct wgctl_peer_change **peers = NULL;
	size_t n_gone = 0, i, j;
	int ret = -ENOMEM;

	/* As wg(8)'s sync_conf(): nothing to keep, nothing to change. */
	if (!c->n_peers || !rc->n_peers)
		return 0;
	mine = calloc(c->n_peers, sizeof(*mine));
	theirs = calloc(rc->n_peers, sizeof(*theirs));
	if (!mine || !theirs)
		goto out;
	for (i = 0; i < c->n_peers; i++)
		mine[i] = c->peers[i]->public_key;
	for (i = 0; i < rc->n_peers; i++)
		theirs[i] = rc->peers[i].public_key;
	qsort(mine, c->n_peers, sizeof(*mine), key_cmp);
	qsort(theirs, rc->n_peers, sizeof(*theirs), key_cmp);
	/* Running peers the file does not name, in ascending order, packed
	 * at the front of theirs[]. */
	for (i = 0, j = 0; i < rc->n_peers; i++) {
		while (j < c->n_peers && memcmp(mine[j], theirs[i], KEY_LEN) < 0)
			j++;
		if (j < c->n_peers && !memcmp(mine[j], theirs[i], KEY_LEN))
			continue;
		theirs[n_gone++] = theirs[i];
	}
	peers = calloc(c->n_peers + n_gone + 1, sizeof(*peers));
	if (!peers)
		goto out;
	/* wg(8) prepends each one while walking up: the largest ends first. */
	for (i = 0; i < n_gone; i++) {
		struct wgctl_peer_change *p = calloc(1, sizeof(*p));

		if (!p) {
			while (i--)
				peer_change_free(peers[i]);
			goto out;
		}
		memcpy(p->public_key, theirs[n_gone - 1 - i], KEY_LEN);
		p->remove = true;
		peers[i] = p;
	}
	memcpy(peers + n_gone, c->peers, c->n_peers * sizeof(*peers));
	free(c->peers);
	c->peers = peers;
	c->n_peers += n_gone;
	c->cap_peers = c->n_peers + 1;
	c->replace_peers = false;
	ret = 0;
out:
	free(mine);
	free(theirs);
	return ret;
}

/* --- key files and argv ------------------------------------------------ */

static const char spaces[] = " \t\n\v\f\r"; /* wg(8)'s char_is_space() */


int wgctl_read_key_file(const char *path, uint8_t key[KEY_LEN], bool *exposed,
			char *err, size_t errlen)
{
	/* Enough for a key and any sane amount of whitespace after it. */
	enum { KEY_FILE_MAX = 4096 };
	char b64[KEY_B64_LEN + 1], name[QUOTED_STRLEN];
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, ret;

	*exposed = false;
	shown(name, sizeof(name), path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errbuf_fail(err, errlen, -errno, "Unable to open key file `%s': %s", name,
			    strerror(errno));
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		*exposed = true;
	ret = fileio_read_bounded(fd, KEY_FILE_MAX, &buf, &len);
	close(fd);
	if (ret)
		return errbuf_fail(err, errlen, ret, "Unable to read key file `%s': %s", name,
			    strerror(-ret));
	if (!len) {
		/* /dev/null or an empty file: zeros, which remove the key. */
		memset(key, 0, KEY_LEN);
		goto out;
	}
	if (len > KEY_FILE_MAX) {
		ret = errbuf_fail(err, errlen, -EINVAL, "Key file `%s' is longer than %u bytes",
			   name, (unsigned)KEY_FILE_MAX);
		goto out;
	}
	if (len < KEY_B64_LEN) {
		ret = errbuf_fail(err, errlen, -EINVAL, "Invalid length key in key file `%s'", name);
		goto out;
	}
	for (size_t i = KEY_B64_LEN; i < len; i++) {
		if (!strchr(spaces, buf[i]) || !buf[i]) {
			ret = errbuf_fail(err, errlen, -EINVAL,
				   "Found trailing characters after the key in key file `%s'",
				   name);
			goto out;
		}
	}
	memcpy(b64, buf, KEY_B64_LEN);
	b64[KEY_B64_LEN] = '\0';
	if (!encoding_key_from_base64(key, b64))
		ret = errbuf_fail(err, errlen, -EINVAL,
			   "Key in key file `%s' is not the correct length or format", name);
out:
	explicit_bzero(b64, sizeof(b64));
	if (buf)
		textbuf_free_text(buf, len);
	return ret;
}

static void warn_host_bits(struct textbuf *w, const struct netaddr_prefix *p)
{
	char buf[NETADDR_PREFIX_STRLEN];
	const uint8_t *b = p->addr.family == AF_INET ? (const uint8_t *)&p->addr.in4 :
						       (const uint8_t *)&p->addr.in6;
	unsigned bits = p->addr.family == AF_INET ? 32 : 128;

	if (!w)
		return;
	for (unsigned i = p->cidr; i < bits; i++) {
		if (b[i / 8] & (0x80 >> (i % 8))) {
			textbuf_printf(w, "Warning: AllowedIP has nonzero host part: %s\n",
				       netaddr_format_prefix(buf, p));
			return;
		}
	}
}

/* One `allowed-ips` argument: whitespace anywhere is dropped, as wg(8)
 * does; "" replaces with nothing. */
static int parse_allowed_ips(struct wgctl_peer_change *p, const char *arg,
			     struct textbuf *warnings, char *err, size_t errlen)
{
	char *copy = malloc(strlen(arg) + 1), *cursor, *item, name[QUOTED_STRLEN];
	struct netaddr_prefix prefix;
	const char *why;
	size_t n = 0;
	int ret = 0;

	if (!copy)
		return errbuf_fail(err, errlen, -ENOMEM, "%s", strerror(ENOMEM));
	for (const char *s = arg; *s; s++)
		if (!strchr(spaces, *s))
			copy[n++] = *s;
	copy[n] = '\0';
	p->replace_allowed_ips = true;
	cursor = copy;
	while (n && (item = strsep(&cursor, ","))) {
		bool remove = false;

		/* Newer wg(8): "+P/L" adds and "-P/L" removes, and either
		 * keeps the peer's other allowed IPs. */
		if (item[0] == '+' || item[0] == '-') {
			remove = item[0] == '-';
			p->replace_allowed_ips = false;
			item++;
		}
		if (!netaddr_parse_prefix(&prefix, item, &why)) {
			if (strstr(why, "prefix"))
				ret = errbuf_fail(err, errlen, -EINVAL,
					   "AllowedIP is not in the correct format: `%s' (%s)",
					   shown(name, sizeof(name), item), why);
			else
				ret = errbuf_fail(err, errlen, -EINVAL,
					   "Unable to parse IP address: `%s' (%s)",
					   shown(name, sizeof(name), item), why);
			break;
		}
		if (!remove)
			warn_host_bits(warnings, &prefix);
		ret = wgctl_peer_add_allowed_ip(p, &prefix, remove);
		if (ret) {
			ret = errbuf_fail(err, errlen, -EINVAL, "Too many allowed IPs for one peer");
			break;
		}
	}
	free(copy);
	return ret;
}

static int parse_keyfile_arg(const char *path, uint8_t key[KEY_LEN],
			     struct textbuf *warnings, char *err, size_t errlen)
{
	char name[QUOTED_STRLEN];
	bool exposed;
	int ret = wgctl_read_key_file(path, key, &exposed, err, errlen);

	if (!ret && exposed && warnings)
		textbuf_printf(warnings, "Warning: key file `%s' is readable by group or others\n",
			       shown(name, sizeof(name), path));
	return ret;
}

int wgctl_parse_set_args(int argc, char *const argv[], struct wgctl_change **out,
			 struct textbuf *warnings, char *err, size_t errlen)
{
	struct wgctl_change *c = wgctl_change_alloc();
	struct wgctl_peer_change *peer = NULL;
	char name[QUOTED_STRLEN];
	const char *why;
	int ret = 0;

	*out = NULL;
	if (!c)
		return errbuf_fail(err, errlen, -ENOMEM, "%s", strerror(ENOMEM));
	while (argc > 0) {
		const char *a = argv[0], *v = argc >= 2 ? argv[1] : NULL;
		int used = 2;

		if (!strcmp(a, "listen-port") && v && !peer) {
			if (!netaddr_parse_port(&c->listen_port, v, &why)) {
				ret = errbuf_fail(err, errlen, -EINVAL, "Invalid listen port: `%s' (%s)",
					   shown(name, sizeof(name), v), why);
				break;
			}
			c->has_listen_port = true;
		} else if (!strcmp(a, "fwmark") && v && !peer) {
			if (!netaddr_parse_fwmark(&c->fwmark, v, &why)) {
				ret = errbuf_fail(err, errlen, -EINVAL,
					   "Fwmark is neither 0/off nor 0-0xffffffff: `%s'",
					   shown(name, sizeof(name), v));
				break;
			}
			c->has_fwmark = true;
		} else if (!strcmp(a, "private-key") && v && !peer) {
			ret = parse_keyfile_arg(v, c->private_key, warnings, err, errlen);
			if (ret)
				break;
			c->has_private_key = true;
		} else if (!strcmp(a, "peer") && v) {
			uint8_t key[KEY_LEN];

			if (!encoding_key_from_base64(key, v)) {
				ret = errbuf_fail(err, errlen, -EINVAL,
					   "Key is not the correct length or format: `%s'",
					   shown(name, sizeof(name), v));
				break;
			}
			peer = wgctl_change_add_peer(c, key);
			if (!peer) {
				ret = errbuf_fail(err, errlen, -errno, "%s", strerror(errno));
				break;
			}
		} else if (!strcmp(a, "remove") && peer) {
			peer->remove = true;
			used = 1;
		} else if (!strcmp(a, "endpoint") && v && peer) {
			if (!netaddr_parse_endpoint(&peer->endpoint, v, &why)) {
				ret = errbuf_fail(err, errlen, -EINVAL, "Unable to parse endpoint: `%s' (%s)",
					   shown(name, sizeof(name), v), why);
				break;
			}
			peer->has_endpoint = true;
		} else if (!strcmp(a, "allowed-ips") && v && peer) {
			ret = parse_allowed_ips(peer, v, warnings, err, errlen);
			if (ret)
				break;
		} else if (!strcmp(a, "persistent-keepalive") && v && peer) {
			if (!netaddr_parse_keepalive(&peer->keepalive, v, &why)) {
				ret = errbuf_fail(err, errlen, -EINVAL,
					   "Persistent keepalive interval is neither 0/off nor 1-65535: `%s'",
					   shown(name, sizeof(name), v));
				break;
			}
			peer->has_keepalive = true;
		} else if (!strcmp(a, "preshared-key") && v && peer) {
			ret = parse_keyfile_arg(v, peer->preshared_key, warnings, err, errlen);
			if (ret)
				break;
			peer->has_preshared_key = true;
		} else {
			ret = errbuf_fail(err, errlen, -EINVAL, "Invalid argument: %s",
				   shown(name, sizeof(name), a));
			break;
		}
		argv += used;
		argc -= used;
	}
	if (ret) {
		wgctl_change_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

/* --- requests ---------------------------------------------------------- */

static void print_hex(struct textbuf *o, const char *name, const uint8_t key[KEY_LEN])
{
	char hex[KEY_HEX_LEN + 1];

	encoding_key_to_hex(hex, key);
	textbuf_printf(o, "%s=%s\n", name, hex);
	explicit_bzero(hex, sizeof(hex));
}

int wgctl_format_set(struct textbuf *o, const struct wgctl_change *c, char *err,
		     size_t errlen)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	/* wg(8)'s userspace_set_device(), line for line. */
	textbuf_printf(o, "set=1\n");
	if (c->has_private_key)
		print_hex(o, "private_key", c->private_key);
	if (c->has_listen_port)
		textbuf_printf(o, "listen_port=%u\n", c->listen_port);
	if (c->has_fwmark)
		textbuf_printf(o, "fwmark=%u\n", c->fwmark);
	if (c->replace_peers)
		textbuf_printf(o, "replace_peers=true\n");
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct wgctl_peer_change *p = c->peers[i];

		print_hex(o, "public_key", p->public_key);
		if (p->remove) {
			textbuf_printf(o, "remove=true\n");
			continue;
		}
		if (p->has_preshared_key)
			print_hex(o, "preshared_key", p->preshared_key);
		if (p->has_endpoint) {
			if (!p->endpoint.literal)
				return errbuf_fail(err, errlen, -EINVAL,
					    "endpoint `%s' is not resolved",
					    netaddr_format_endpoint(buf, &p->endpoint));
			textbuf_printf(o, "endpoint=%s\n",
				       netaddr_format_endpoint(buf, &p->endpoint));
		}
		if (p->has_keepalive)
			textbuf_printf(o, "persistent_keepalive_interval=%u\n", p->keepalive);
		if (p->replace_allowed_ips)
			textbuf_printf(o, "replace_allowed_ips=true\n");
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			textbuf_printf(o, "allowed_ip=%s%s\n", p->allowed_ips[j].remove ? "-" : "",
				       netaddr_format_prefix(buf, &p->allowed_ips[j].prefix));
	}
	textbuf_printf(o, "\n");
	if (o->err)
		return errbuf_fail(err, errlen, o->err, "%s", strerror(-o->err));
	return 0;
}

/* --- resolving endpoints ----------------------------------------------- */

static int resolution_retries(int *out, char *err, size_t errlen)
{
	const char *s = getenv("WG_ENDPOINT_RESOLUTION_RETRIES");
	const char *why;
	uint32_t v;
	char name[QUOTED_STRLEN];

	if (!s) {
		*out = 15;
		return 0;
	}
	if (!strcmp(s, "infinity")) {
		*out = -1;
		return 0;
	}
	if (!netaddr_parse_u32(&v, s, INT_MAX, &why))
		return errbuf_fail(err, errlen, -EINVAL,
			    "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `%s'",
			    shown(name, sizeof(name), s));
	*out = (int)v;
	return 0;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* getaddrinfo() as wg(8) calls it, then the first answer written back as
 * getnameinfo(NI_NUMERICHOST) writes it: the same text wg(8) sends. */
static int resolve_endpoint(struct netaddr_endpoint *ep, int retries, char *err,
			    size_t errlen)
{
	char host[NETADDR_HOST_MAX + NETADDR_ZONE_MAX + 2], port[8];
	char what[NETADDR_ENDPOINT_STRLEN], name[QUOTED_STRLEN];
	char nhost[NI_MAXHOST], nserv[NI_MAXSERV], text[NI_MAXHOST + NI_MAXSERV + 4];
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
	}, *res = NULL;
	struct netaddr_endpoint out;
	unsigned long timeout = 1000000; /* microseconds */
	const char *why;
	int ret;

	netaddr_format_endpoint(what, ep);
	shown(name, sizeof(name), what);
	if (ep->literal) {
		char ip[NETADDR_IP_STRLEN];

		snprintf(host, sizeof(host), "%s%s%s", netaddr_format_ip(ip, &ep->addr),
			 ep->zone[0] ? "%" : "", ep->zone);
		hints.ai_flags = AI_NUMERICHOST;
	} else {
		snprintf(host, sizeof(host), "%s", ep->host);
	}
	snprintf(port, sizeof(port), "%u", ep->port);
	hints.ai_flags |= AI_NUMERICSERV;
	for (;;) {
		ret = getaddrinfo(host, port, &hints, &res);
		if (!ret)
			break;
		/* Permanent failures, as glibc documents them. */
		if (ret == EAI_NONAME || ret == EAI_FAIL ||
#ifdef EAI_NODATA
		    ret == EAI_NODATA ||
#endif
		    ep->literal || (retries >= 0 && !retries--))
			return errbuf_fail(err, errlen, -EHOSTUNREACH, "%s: `%s'",
				    ret == EAI_SYSTEM ? strerror(errno) : gai_strerror(ret),
				    name);
		log_warn("%s: `%s'. Trying again in %.2f seconds...",
			 ret == EAI_SYSTEM ? strerror(errno) : gai_strerror(ret), name,
			 (double)timeout / 1000000.0);
		sleep_us(timeout);
		timeout = timeout * 6 / 5 > 20000000 ? 20000000 : timeout * 6 / 5;
	}
	if (!((res->ai_family == AF_INET && res->ai_addrlen == sizeof(struct sockaddr_in)) ||
	      (res->ai_family == AF_INET6 && res->ai_addrlen == sizeof(struct sockaddr_in6)))) {
		freeaddrinfo(res);
		return errbuf_fail(err, errlen, -EAFNOSUPPORT,
			    "Neither IPv4 nor IPv6 address found: `%s'", name);
	}
	ret = getnameinfo(res->ai_addr, res->ai_addrlen, nhost, sizeof(nhost), nserv,
			  sizeof(nserv), NI_DGRAM | NI_NUMERICSERV | NI_NUMERICHOST);
	freeaddrinfo(res);
	if (ret)
		return errbuf_fail(err, errlen, -EHOSTUNREACH, "%s: `%s'", gai_strerror(ret), name);
	snprintf(text, sizeof(text), strchr(nhost, ':') ? "[%s]:%s" : "%s:%s", nhost, nserv);
	if (!netaddr_parse_endpoint(&out, text, &why) || !out.literal)
		return errbuf_fail(err, errlen, -EHOSTUNREACH, "Unusable address `%s' for `%s'",
			    shown(host, sizeof(host), text), name);
	*ep = out;
	return 0;
}

int wgctl_change_resolve(struct wgctl_change *c, char *err, size_t errlen)
{
	int retries = 15, ret;

	ret = resolution_retries(&retries, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < c->n_peers; i++) {
		struct wgctl_peer_change *p = c->peers[i];

		if (!p->has_endpoint || p->remove)
			continue;
		ret = resolve_endpoint(&p->endpoint, retries, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- configuration files ----------------------------------------------- */

int wgctl_load_conf(const char *path, struct conf **out, char *err, size_t errlen)
{
	char name[QUOTED_STRLEN], msg[ERROR_STRLEN];
	struct error perr;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	shown(name, sizeof(name), path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errbuf_fail(err, errlen, -errno, "Unable to open `%s': %s", name,
			    strerror(errno));
	/* One byte more than the parser takes, so that it names the excess. */
	ret = fileio_read_bounded(fd, WGCONF_FILE_MAX, &buf, &len);
	close(fd);
	if (ret)
		return errbuf_fail(err, errlen, ret, "Unable to read `%s': %s", name, strerror(-ret));
	ret = wgconf_parse(buf, len, name, out, &perr);
	if (ret) {
		error_format(&perr, msg, sizeof(msg));
		errbuf_fail(err, errlen, ret, "%s", msg);
	}
	if (buf)
		textbuf_free_text(buf, len);
	return ret;
}

int wgctl_conf_check_wg_only(const struct conf *conf, const char *filename, char *err,
			     size_t errlen)
{
	static const char *const hooks[CONF_HOOK_COUNT] = {
		[CONF_HOOK_PRE_UP] = "PreUp", [CONF_HOOK_POST_UP] = "PostUp",
		[CONF_HOOK_PRE_DOWN] = "PreDown", [CONF_HOOK_POST_DOWN] = "PostDown",
	};
	struct {
		unsigned line;
		const char *key;
	} seen[4 + CONF_HOOK_COUNT + 1];
	unsigned first = 0;
	const char *key = NULL;
	size_t n = 0;
	char name[QUOTED_STRLEN];

	seen[n].line = conf->n_addresses ? conf->addresses[0].line : 0;
	seen[n++].key = "Address";
	seen[n].line = conf->n_dns ? conf->dns[0].line : 0;
	seen[n++].key = "DNS";
	seen[n].line = conf->mtu_line; /* also "MTU =" */
	seen[n++].key = "MTU";
	seen[n].line = conf->table_line;
	seen[n++].key = "Table";
	for (unsigned k = 0; k < CONF_HOOK_COUNT; k++) {
		seen[n].line = conf->hooks[k].n ? conf->hooks[k].v[0].line : 0;
		seen[n++].key = hooks[k];
	}
	seen[n].line = conf->has_save_config ? conf->save_config_line : 0;
	seen[n++].key = "SaveConfig";
	for (size_t i = 0; i < n; i++) {
		if (seen[i].line && (!first || seen[i].line < first)) {
			first = seen[i].line;
			key = seen[i].key;
		}
	}
	if (!first)
		return 0;
	return errbuf_fail(err, errlen, -EINVAL,
		    "%s:%u: %s: a wg-quick key, which setconf does not take "
		    "(`rampart strip' prints the part it takes)",
		    shown(name, sizeof(name), filename ? filename : "(input)"), first, key);
}

/* --- the socket -------------------------------------------------------- */

static char socket_dir[sizeof(((struct sockaddr_un *)0)->sun_path)] = "/var/run/wireguard";
static unsigned timeout_override;

void wgctl_set_socket_dir(const char *dir)
{
	snprintf(socket_dir, sizeof(socket_dir), "%s", dir ? dir : "/var/run/wireguard");
}

void wgctl_set_timeout(unsigned ms)
{
	timeout_override = ms;
}

static int timeout_ms(void)
{
	const char *s = getenv("RAMPART_WGCTL_TIMEOUT_MS"), *why;
	uint32_t v;

	if (timeout_override)
		return (int)timeout_override;
	if (s && netaddr_parse_u32(&v, s, INT_MAX, &why) && v)
		return (int)v;
	return WGCTL_TIMEOUT_MS;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	return n && n <= WGCTL_IFNAME_MAX && !strchr(s, '/') && strcmp(s, ".") &&
	       strcmp(s, "..");
}

static int socket_path(struct sockaddr_un *addr, const char *ifname, char *err,
		       size_t errlen)
{
	char name[QUOTED_STRLEN];

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (!valid_ifname(ifname))
		return errbuf_fail(err, errlen, -EINVAL,
			    "Invalid argument (`%s' is not an interface name: 1 to 15 bytes, no '/')",
			    shown(name, sizeof(name), ifname));
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s.sock", socket_dir,
			     ifname) >= sizeof(addr->sun_path))
		return errbuf_fail(err, errlen, -ENAMETOOLONG, "%s (socket path under %s)",
			    strerror(ENAMETOOLONG), socket_dir);
	return 0;
}

/* Connects without blocking past the timeout: a listener whose backlog
 * is full (a stopped daemon) makes connect() fail with EAGAIN. */
static int connect_path(int fd, const struct sockaddr_un *addr, int64_t deadline)
{
	for (;;) {
		if (!connect(fd, (const struct sockaddr *)addr, sizeof(*addr)))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline - now_ms();
			socklen_t len = sizeof(int);
			int soerr = 0;

			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				return -ETIMEDOUT;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				return -errno;
			return -soerr;
		}
		if (errno != EAGAIN)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_us(10000);
	}
}

static int open_socket(const char *ifname, int *fdp, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd, ret;

	*fdp = -1;
	ret = socket_path(&addr, ifname, err, errlen);
	if (ret)
		return ret;
	if (stat(addr.sun_path, &st) < 0) {
		if (errno == ENOENT)
			return errbuf_fail(err, errlen, -ENODEV, "%s (%s: %s)", strerror(ENODEV),
				    addr.sun_path, strerror(ENOENT));
		return errbuf_fail(err, errlen, -errno, "%s (%s)", strerror(errno), addr.sun_path);
	}
	if (!S_ISSOCK(st.st_mode))
		return errbuf_fail(err, errlen, -ENOTSOCK, "%s (%s is not a socket)",
			    strerror(ENOTSOCK), addr.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errbuf_fail(err, errlen, -errno, "%s", strerror(errno));
	ret = connect_path(fd, &addr, now_ms() + timeout_ms());
	if (ret) {
		close(fd);
		if (ret == -ECONNREFUSED)
			return errbuf_fail(err, errlen, ret, "%s (%s: no daemon is listening)",
				    strerror(-ret), addr.sun_path);
		if (ret == -ETIMEDOUT)
			return errbuf_fail(err, errlen, ret, "%s (%s: the daemon accepts no connection)",
				    strerror(-ret), addr.sun_path);
		return errbuf_fail(err, errlen, ret, "%s (%s)", strerror(-ret), addr.sun_path);
	}
	*fdp = fd;
	return 0;
}

/* Sends the request and reads the reply at the same time, so that a daemon
 * that answers an error before reading everything (wireguard-go stops at
 * the first bad line) is heard rather than met with EPIPE. */
static int transact(const char *ifname, const char *req, size_t req_len,
		    struct wgctl_reader *r, char *err, size_t errlen)
{
	char buf[16384];
	size_t sent = 0, used;
	int fd, ret, wait = timeout_ms(), write_err = 0;

	ret = open_socket(ifname, &fd, err, errlen);
	if (ret)
		return ret;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (sent < req_len)
			pfd.events |= POLLOUT;
		n = poll(&pfd, 1, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = errbuf_fail(err, errlen, -errno, "%s", strerror(errno));
			break;
		}
		if (!n) {
			ret = errbuf_fail(err, errlen, -ETIMEDOUT,
				   "%s (%s: no answer from the daemon in %d ms)",
				   strerror(ETIMEDOUT), ifname, wait);
			break;
		}
		if (sent < req_len && (pfd.revents & POLLOUT)) {
			n = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
			if (n >= 0) {
				sent += (size_t)n;
			} else if (errno == EPIPE || errno == ECONNRESET) {
				write_err = errno; /* its reply may still be there */
				sent = req_len;
			} else if (errno != EAGAIN && errno != EINTR) {
				ret = errbuf_fail(err, errlen, -errno, "%s", strerror(errno));
				break;
			}
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (n < 0 && errno != ECONNRESET) {
				ret = errbuf_fail(err, errlen, -errno, "%s", strerror(errno));
				break;
			}
			ret = wgctl_reader_finish(r);
			if (ret && write_err)
				ret = errbuf_fail(err, errlen, -write_err,
					   "%s (%s: the daemon closed the connection during the request)",
					   strerror(write_err), ifname);
			else if (ret)
				ret = errbuf_fail(err, errlen, ret, "%s (%s)", strerror(-ret), r->msg);
			break;
		}
		ret = wgctl_reader_feed(r, buf, (size_t)n, &used);
		explicit_bzero(buf, (size_t)n);
		if (ret < 0) {
			ret = errbuf_fail(err, errlen, ret, "%s (%s)", strerror(-ret), r->msg);
			break;
		}
		if (ret == 1) {
			ret = 0;
			break;
		}
	}
	close(fd);
	return ret;
}

int wgctl_get_device(const char *ifname, struct wgctl_device **out, char *err,
		     size_t errlen)
{
	static const char req[] = "get=1\n\n";
	struct wgctl_reader r;
	int ret;

	*out = NULL;
	wgctl_reader_init(&r, WGCTL_REPLY_GET);
	ret = transact(ifname, req, sizeof(req) - 1, &r, err, errlen);
	if (!ret) {
		ret = wgctl_reader_take(&r, out);
		if (ret)
			errbuf_fail(err, errlen, ret, "%s", r.msg);
		else
			snprintf((*out)->name, sizeof((*out)->name), "%s", ifname);
	}
	wgctl_reader_uninit(&r);
	return ret;
}

int wgctl_set_device(const char *ifname, const struct wgctl_change *c, char *err,
		     size_t errlen)
{
	struct textbuf req = { 0 };
	struct wgctl_reader r;
	int ret;

	ret = wgctl_format_set(&req, c, err, errlen);
	if (ret)
		goto out;
	wgctl_reader_init(&r, WGCTL_REPLY_SET);
	ret = transact(ifname, req.buf, req.len, &r, err, errlen);
	if (!ret) {
		ret = wgctl_reader_take(&r, NULL);
		if (ret)
			errbuf_fail(err, errlen, ret, "%s", r.msg);
	}
	wgctl_reader_uninit(&r);
out:
	textbuf_wipe(&req);
	return ret;
}

/* wg(8)'s userspace_has_wireguard_interface(), without its unlink() of a
 * socket that refuses: a daemon that has bound but not yet listened
 * refuses too, and its socket must not vanish under it. */
static bool live_socket(const char *ifname)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd, ret;

	if (socket_path(&addr, ifname, NULL, 0))
		return false;
	if (stat(addr.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	ret = connect(fd, (const struct sockaddr *)&addr, sizeof(addr));
	if (ret < 0 && (errno == EAGAIN || errno == EINPROGRESS))
		ret = 0; /* alive, only busy */
	close(fd);
	return ret == 0;
}

void wgctl_list_free(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

int wgctl_list_interfaces(char ***out, size_t *n_out, char *err, size_t errlen)
{
	char **list = NULL, name[WGCTL_IFNAME_MAX + 1];
	size_t n = 0, cap = 0;
	struct dirent *ent;
	DIR *dir;
	int ret = 0;

	*out = NULL;
	*n_out = 0;
	dir = opendir(socket_dir);
	if (!dir) {
		if (errno != ENOENT)
			return errbuf_fail(err, errlen, -errno, "%s (%s)", strerror(errno), socket_dir);
	} else {
		while ((ent = readdir(dir))) {
			size_t len = strlen(ent->d_name);

			if (len <= 5 || strcmp(ent->d_name + len - 5, ".sock") ||
			    len - 5 > WGCTL_IFNAME_MAX)
				continue;
			memcpy(name, ent->d_name, len - 5);
			name[len - 5] = '\0';
			if (!live_socket(name))
				continue;
			if (n + 1 >= cap) {
				size_t ncap = cap ? cap * 2 : 8;
				char **nl = realloc(list, ncap * sizeof(*list));

				if (!nl) {
					ret = -ENOMEM;
					break;
				}
				list = nl;
				cap = ncap;
			}
			list[n] = strdup(name);
			if (!list[n]) {
				ret = -ENOMEM;
				break;
			}
			list[++n] = NULL;
		}
		closedir(dir);
	}
	if (!ret && !list) {
		list = calloc(1, sizeof(*list));
		if (!list)
			ret = -ENOMEM;
	}
	if (ret) {
		if (list)
			list[n] = NULL;
		wgctl_list_free(list);
		return errbuf_fail(err, errlen, ret, "%s", strerror(-ret));
	}
	*out = list;
	*n_out = n;
	return 0;
}

int wgctl_apply_conf(const char *ifname, const struct conf *conf, enum wgctl_mode mode,
		     char *err, size_t errlen)
{
	struct wgctl_device *running = NULL;
	struct wgctl_change *c = NULL;
	char msg[WGCTL_ERROR_STRLEN];
	int ret;

	ret = wgctl_change_from_conf(conf, mode, &c);
	if (ret)
		return errbuf_fail(err, errlen, ret, "%s", strerror(-ret));
	ret = wgctl_change_resolve(c, err, errlen);
	if (ret)
		goto out;
	if (mode == WGCTL_SYNCCONF && c->n_peers) {
		ret = wgctl_get_device(ifname, &running, msg, sizeof(msg));
		if (ret) {
			errbuf_fail(err, errlen, ret, "Unable to retrieve current interface configuration: %s",
			     msg);
			goto out;
		}
		ret = wgctl_change_sync(c, running);
		if (ret) {
			errbuf_fail(err, errlen, ret, "%s", strerror(-ret));
			goto out;
		}
	}
	ret = wgctl_set_device(ifname, c, err, errlen);
out:
	wgctl_device_free(running);
	wgctl_change_free(c);
	return ret;
}

int wgctl_get_conf(const char *ifname, struct conf **out, char *err, size_t errlen)
{
	struct wgctl_device *dev;
	int ret = wgctl_get_device(ifname, &dev, err, errlen);

	*out = NULL;
	if (ret)
		return ret;
	*out = dev->conf;
	dev->conf = NULL;
	wgctl_device_free(dev);
	return 0;
}

/* --- formatting -------------------------------------------------------- */

/* wireguard-tools' terminal.h codes, or nothing when not on a terminal. */
struct palette {
	const char *reset, *bold, *red, *green, *yellow, *cyan;
};

static struct palette palette(bool color)
{
	if (color)
		return (struct palette){ "\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m",
					 "\x1b[33m", "\x1b[36m" };
	return (struct palette){ "", "", "", "", "", "" };
}

/* snprintf that never moves past the end. */
static size_t __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= size)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, size - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	return off + (size_t)n >= size ? size - 1 : off + (size_t)n;
}

size_t wgctl_format_duration(char *buf, size_t size, uint64_t left, bool color)
{
	struct palette c = palette(color);
	static const char *const names[] = { "year", "day", "hour", "minute", "second" };
	uint64_t v[5];
	size_t off = 0;

	v[0] = left / (365 * 24 * 60 * 60);
	left %= 365 * 24 * 60 * 60;
	v[1] = left / (24 * 60 * 60);
	left %= 24 * 60 * 60;
	v[2] = left / (60 * 60);
	left %= 60 * 60;
	v[3] = left / 60;
	v[4] = left % 60;
	if (size)
		buf[0] = '\0';
	for (unsigned i = 0; i < 5; i++) {
		if (!v[i])
			continue;
		off = append(buf, size, off, "%s%llu %s%s%s%s", off ? ", " : "",
			     (unsigned long long)v[i], c.cyan, names[i], v[i] == 1 ? "" : "s",
			     c.reset);
	}
	return off;
}

void wgctl_format_ago(char *buf, size_t size, int64_t then, int64_t now, bool color)
{
	struct palette c = palette(color);
	size_t off;

	if (now == then) {
		snprintf(buf, size, "Now");
	} else if (now < then) {
		snprintf(buf, size, "(%sSystem clock wound backward; connection problems may ensue.%s)",
			 c.red, c.reset);
	} else {
		off = wgctl_format_duration(buf, size, (uint64_t)now - (uint64_t)then, color);
		append(buf, size, off, " ago");
	}
}

void wgctl_format_bytes(char *buf, size_t size, uint64_t b, bool color)
{
	struct palette c = palette(color);

	/* The same divisions as wg(8), for the same rounding. */
	if (b < 1024ULL)
		snprintf(buf, size, "%u %sB%s", (unsigned)b, c.cyan, c.reset);
	else if (b < 1024ULL * 1024ULL)
		snprintf(buf, size, "%.2f %sKiB%s", (double)b / 1024, c.cyan, c.reset);
	else if (b < 1024ULL * 1024ULL * 1024ULL)
		snprintf(buf, size, "%.2f %sMiB%s", (double)b / (1024 * 1024), c.cyan, c.reset);
	else if (b < 1024ULL * 1024ULL * 1024ULL * 1024ULL)
		snprintf(buf, size, "%.2f %sGiB%s", (double)b / (1024 * 1024 * 1024), c.cyan,
			 c.reset);
	else
		snprintf(buf, size, "%.2f %sTiB%s", (double)b / (1024 * 1024 * 1024) / 1024,
			 c.cyan, c.reset);
}

struct order {
	int64_t sec, nsec;
	size_t idx;
};

/* wg(8)'s peer_cmp(): newest handshake first, never last; glibc's qsort
 * keeps ties in reply order, and so does the index here. */
static int order_cmp(const void *x, const void *y)
{
	const struct order *a = x, *b = y;
	bool a_never = !a->sec && !a->nsec, b_never = !b->sec && !b->nsec;

	if (a_never != b_never)
		return a_never ? 1 : -1;
	if (a->sec != b->sec)
		return a->sec > b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec > b->nsec ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void print_key(struct textbuf *o, const char *pre, const uint8_t key[KEY_LEN],
		      const char *post)
{
	char b64[KEY_B64_LEN + 1];

	encoding_key_to_base64(b64, key);
	textbuf_printf(o, "%s%s%s", pre, b64, post);
	explicit_bzero(b64, sizeof(b64));
}

/* wg(8)'s maybe_key(): "(none)" when absent. */
static void print_maybe_key(struct textbuf *o, const char *pre, const uint8_t key[KEY_LEN],
			    bool have, const char *post)
{
	if (have)
		print_key(o, pre, key, post);
	else
		textbuf_printf(o, "%s(none)%s", pre, post);
}

/* wg(8)'s masked_key(): "(hidden)" unless WG_HIDE_KEYS=never. */
static void print_masked_key(struct textbuf *o, const char *pre, const uint8_t key[KEY_LEN],
			     bool show, const char *post)
{
	if (show)
		print_key(o, pre, key, post);
	else
		textbuf_printf(o, "%s(hidden)%s", pre, post);
}

void wgctl_format_pretty(struct textbuf *o, const struct wgctl_device *dev, int64_t now,
			 unsigned flags)
{
	const struct conf *cf = dev->conf;
	struct palette c = palette(flags & WGCTL_SHOW_COLOR);
	bool keys = flags & WGCTL_SHOW_KEYS;
	char buf[1024], line[128], post[16];
	struct order *order = NULL;

	textbuf_printf(o, "%s", c.reset);
	textbuf_printf(o, "%s%sinterface%s: %s%s%s\n", c.green, c.bold, c.reset, c.green,
		       dev->name, c.reset);
	if (dev->has_public_key) {
		snprintf(line, sizeof(line), "  %spublic key%s: ", c.bold, c.reset);
		print_key(o, line, dev->public_key, "\n");
	}
	if (cf->has_private_key) {
		snprintf(line, sizeof(line), "  %sprivate key%s: ", c.bold, c.reset);
		print_masked_key(o, line, cf->private_key, keys, "\n");
	}
	if (cf->listen_port)
		textbuf_printf(o, "  %slistening port%s: %u\n", c.bold, c.reset, cf->listen_port);
	if (cf->fwmark)
		textbuf_printf(o, "  %sfwmark%s: 0x%x\n", c.bold, c.reset, cf->fwmark);
	if (!cf->n_peers)
		return;
	textbuf_printf(o, "\n");
	order = calloc(cf->n_peers, sizeof(*order));
	if (!order) {
		textbuf_fail(o, -ENOMEM);
		return;
	}
	for (size_t i = 0; i < cf->n_peers; i++) {
		order[i].sec = dev->stats[i].last_handshake_sec;
		order[i].nsec = dev->stats[i].last_handshake_nsec;
		order[i].idx = i;
	}
	qsort(order, cf->n_peers, sizeof(*order), order_cmp);
	for (size_t k = 0; k < cf->n_peers; k++) {
		const struct conf_peer *p = &cf->peers[order[k].idx];
		const struct wgctl_peer_stats *st = &dev->stats[order[k].idx];

		snprintf(line, sizeof(line), "%s%speer%s: %s", c.yellow, c.bold, c.reset,
			 c.yellow);
		snprintf(post, sizeof(post), "%s\n", c.reset);
		print_key(o, line, p->public_key, post);
		if (p->has_preshared_key) {
			snprintf(line, sizeof(line), "  %spreshared key%s: ", c.bold, c.reset);
			print_masked_key(o, line, p->preshared_key, keys, "\n");
		}
		if (p->has_endpoint)
			textbuf_printf(o, "  %sendpoint%s: %s\n", c.bold, c.reset,
				       netaddr_format_endpoint(buf, &p->endpoint));
		textbuf_printf(o, "  %sallowed ips%s: ", c.bold, c.reset);
		if (!p->n_allowed_ips)
			textbuf_printf(o, "(none)\n");
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			textbuf_printf(o, "%s%s/%s%u%s", netaddr_format_ip(buf, &p->allowed_ips[j].prefix.addr),
				       c.cyan, c.reset, p->allowed_ips[j].prefix.cidr,
				       j + 1 < p->n_allowed_ips ? ", " : "\n");
		if (st->last_handshake_sec) {
			wgctl_format_ago(buf, sizeof(buf), st->last_handshake_sec, now,
					 flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "  %slatest handshake%s: %s\n", c.bold, c.reset, buf);
		}
		if (st->rx_bytes || st->tx_bytes) {
			textbuf_printf(o, "  %stransfer%s: ", c.bold, c.reset);
			wgctl_format_bytes(buf, sizeof(buf), st->rx_bytes, flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "%s received, ", buf);
			wgctl_format_bytes(buf, sizeof(buf), st->tx_bytes, flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "%s sent\n", buf);
		}
		if (p->keepalive) {
			wgctl_format_duration(buf, sizeof(buf), p->keepalive,
					      flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "  %spersistent keepalive%s: every %s\n", c.bold, c.reset,
				       buf);
		}
		if (k + 1 < cf->n_peers)
			textbuf_printf(o, "\n");
	}
	free(order);
}

static const char *const fields[] = {
	"public-key", "private-key", "listen-port", "fwmark", "peers",
	"preshared-keys", "endpoints", "allowed-ips", "latest-handshakes",
	"transfer", "persistent-keepalive", "dump", "drops",
};

bool wgctl_valid_field(const char *field)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(field, fields[i]))
			return true;
	return false;
}

static void print_endpoint_or_none(struct textbuf *o, const struct conf_peer *p,
				   const char *end)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	textbuf_printf(o, "%s%s", p->has_endpoint ? netaddr_format_endpoint(buf, &p->endpoint) :
						    "(none)", end);
}

static void print_allowed_ips(struct textbuf *o, const struct conf_peer *p, char sep,
			      char end)
{
	char buf[NETADDR_PREFIX_STRLEN];

	if (!p->n_allowed_ips) {
		textbuf_printf(o, "(none)%c", end);
		return;
	}
	for (size_t j = 0; j < p->n_allowed_ips; j++)
		textbuf_printf(o, "%s%c", netaddr_format_prefix(buf, &p->allowed_ips[j].prefix),
			       j + 1 < p->n_allowed_ips ? sep : end);
}

/* wg(8)'s dump_print(). */
static void format_dump(struct textbuf *o, const struct wgctl_device *dev, const char *pfx)
{
	const struct conf *cf = dev->conf;

	textbuf_printf(o, "%s", pfx);
	print_maybe_key(o, "", cf->private_key, cf->has_private_key, "\t");
	print_maybe_key(o, "", dev->public_key, dev->has_public_key, "\t");
	textbuf_printf(o, "%u\t", cf->listen_port);
	if (cf->fwmark)
		textbuf_printf(o, "0x%x\n", cf->fwmark);
	else
		textbuf_printf(o, "off\n");
	for (size_t i = 0; i < cf->n_peers; i++) {
		const struct conf_peer *p = &cf->peers[i];
		const struct wgctl_peer_stats *st = &dev->stats[i];

		textbuf_printf(o, "%s", pfx);
		print_key(o, "", p->public_key, "\t");
		print_maybe_key(o, "", p->preshared_key, p->has_preshared_key, "\t");
		print_endpoint_or_none(o, p, "\t");
		print_allowed_ips(o, p, ',', '\t');
		textbuf_printf(o, "%llu\t", (unsigned long long)st->last_handshake_sec);
		textbuf_printf(o, "%llu\t%llu\t", (unsigned long long)st->rx_bytes,
			       (unsigned long long)st->tx_bytes);
		if (p->keepalive)
			textbuf_printf(o, "%u\n", p->keepalive);
		else
			textbuf_printf(o, "off\n");
	}
}

int wgctl_format_field(struct textbuf *o, const struct wgctl_device *dev, const char *field,
		       bool with_ifname)
{
	const struct conf *cf = dev->conf;
	char pfx[WGCTL_IFNAME_MAX + 2] = "";

	if (!wgctl_valid_field(field))
		return -EINVAL;
	if (with_ifname)
		snprintf(pfx, sizeof(pfx), "%s\t", dev->name);
	/* wg(8)'s ugly_print(), except that `show all endpoints` names the
	 * interface on every line (as wireguard-tools does since 1.0.20250521)
	 * instead of once before the first peer. */
	if (!strcmp(field, "public-key")) {
		textbuf_printf(o, "%s", pfx);
		print_maybe_key(o, "", dev->public_key, dev->has_public_key, "\n");
	} else if (!strcmp(field, "private-key")) {
		textbuf_printf(o, "%s", pfx);
		print_maybe_key(o, "", cf->private_key, cf->has_private_key, "\n");
	} else if (!strcmp(field, "listen-port")) {
		textbuf_printf(o, "%s%u\n", pfx, cf->listen_port);
	} else if (!strcmp(field, "fwmark")) {
		if (cf->fwmark)
			textbuf_printf(o, "%s0x%x\n", pfx, cf->fwmark);
		else
			textbuf_printf(o, "%soff\n", pfx);
	} else if (!strcmp(field, "dump")) {
		format_dump(o, dev, pfx);
	} else if (!strcmp(field, "drops")) {
		for (size_t i = 0; i < dev->n_drops; i++)
			textbuf_printf(o, "%s%s\t%llu\n", pfx, dev->drops[i].reason,
				       (unsigned long long)dev->drops[i].count);
	} else {
		for (size_t i = 0; i < cf->n_peers; i++) {
			const struct conf_peer *p = &cf->peers[i];
			const struct wgctl_peer_stats *st = &dev->stats[i];

			textbuf_printf(o, "%s", pfx);
			print_key(o, "", p->public_key, "");
			if (!strcmp(field, "endpoints")) {
				textbuf_printf(o, "\t");
				print_endpoint_or_none(o, p, "\n");
			} else if (!strcmp(field, "allowed-ips")) {
				textbuf_printf(o, "\t");
				print_allowed_ips(o, p, ' ', '\n');
			} else if (!strcmp(field, "latest-handshakes")) {
				textbuf_printf(o, "\t%llu\n",
					       (unsigned long long)st->last_handshake_sec);
			} else if (!strcmp(field, "transfer")) {
				textbuf_printf(o, "\t%llu\t%llu\n", (unsigned long long)st->rx_bytes,
					       (unsigned long long)st->tx_bytes);
			} else if (!strcmp(field, "persistent-keepalive")) {
				if (p->keepalive)
					textbuf_printf(o, "\t%u\n", p->keepalive);
				else
					textbuf_printf(o, "\toff\n");
			} else if (!strcmp(field, "preshared-keys")) {
				print_maybe_key(o, "\t", p->preshared_key, p->has_preshared_key,
						"\n");
			} else { /* peers */
				textbuf_printf(o, "\n");
			}
		}
	}
	return 0;
}

void wgctl_format_showconf(struct textbuf *o, const struct wgctl_device *dev)
{
	const struct conf *cf = dev->conf;
	char buf[NETADDR_ENDPOINT_STRLEN];

	textbuf_printf(o, "[Interface]\n");
	if (cf->listen_port)
		textbuf_printf(o, "ListenPort = %u\n", cf->listen_port);
	if (cf->fwmark)
		textbuf_printf(o, "FwMark = 0x%x\n", cf->fwmark);
	if (cf->has_private_key)
		print_key(o, "PrivateKey = ", cf->private_key, "\n");
	textbuf_printf(o, "\n");
	for (size_t i = 0; i < cf->n_peers; i++) {
		const struct conf_peer *p = &cf->peers[i];

		print_key(o, "[Peer]\nPublicKey = ", p->public_key, "\n");
		if (p->has_preshared_key)
			print_key(o, "PresharedKey = ", p->preshared_key, "\n");
		if (p->n_allowed_ips) {
			textbuf_printf(o, "AllowedIPs = ");
			for (size_t j = 0; j < p->n_allowed_ips; j++)
				textbuf_printf(o, "%s%s",
					       netaddr_format_prefix(buf, &p->allowed_ips[j].prefix),
					       j + 1 < p->n_allowed_ips ? ", " : "\n");
		}
		if (p->has_endpoint)
			textbuf_printf(o, "Endpoint = %s\n", netaddr_format_endpoint(buf, &p->endpoint));
		if (p->keepalive)
			textbuf_printf(o, "PersistentKeepalive = %u\n", p->keepalive);
		if (i + 1 < cf->n_peers)
			textbuf_printf(o, "\n");
	}
}
