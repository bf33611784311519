#include "show.h"

#include "uapi/device.h"

#include "crypto/crypto.h"

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wgctl_derive_public_key(struct uapi_device *dev)
{
	if (!(dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY))
		return 0;
	if (crypto_init())
		return -EIO;
	if (!crypto_x25519_public(dev->public_key, dev->private_key))
		return -EINVAL;
	dev->flags |= UAPI_DEVICE_HAS_PUBLIC_KEY;
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

void wgctl_format_pretty(struct textbuf *o, const struct uapi_device *dev, int64_t now,
			 unsigned flags)
{
	struct palette c = palette(flags & WGCTL_SHOW_COLOR);
	bool keys = flags & WGCTL_SHOW_KEYS;
	char buf[1024], line[128], post[16];
	struct order *order = NULL;

	textbuf_printf(o, "%s", c.reset);
	textbuf_printf(o, "%s%sinterface%s: %s%s%s\n", c.green, c.bold, c.reset, c.green,
		       dev->name, c.reset);
	if (dev->flags & UAPI_DEVICE_HAS_PUBLIC_KEY) {
		snprintf(line, sizeof(line), "  %spublic key%s: ", c.bold, c.reset);
		print_key(o, line, dev->public_key, "\n");
	}
	if (dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) {
		snprintf(line, sizeof(line), "  %sprivate key%s: ", c.bold, c.reset);
		print_masked_key(o, line, dev->private_key, keys, "\n");
	}
	if (dev->listen_port)
		textbuf_printf(o, "  %slistening port%s: %u\n", c.bold, c.reset, dev->listen_port);
	if (dev->fwmark)
		textbuf_printf(o, "  %sfwmark%s: 0x%x\n", c.bold, c.reset, dev->fwmark);
	if (!dev->n_peers)
		return;
	textbuf_printf(o, "\n");
	order = calloc(dev->n_peers, sizeof(*order));
	if (!order) {
		textbuf_fail(o, -ENOMEM);
		return;
	}
	for (size_t i = 0; i < dev->n_peers; i++) {
		order[i].sec = dev->peers[i].last_handshake_sec;
		order[i].nsec = dev->peers[i].last_handshake_nsec;
		order[i].idx = i;
	}
	qsort(order, dev->n_peers, sizeof(*order), order_cmp);
	for (size_t k = 0; k < dev->n_peers; k++) {
		const struct uapi_peer *p = &dev->peers[order[k].idx];

		snprintf(line, sizeof(line), "%s%speer%s: %s", c.yellow, c.bold, c.reset,
			 c.yellow);
		snprintf(post, sizeof(post), "%s\n", c.reset);
		print_key(o, line, p->public_key, post);
		if (p->flags & UAPI_PEER_HAS_PRESHARED_KEY) {
			snprintf(line, sizeof(line), "  %spreshared key%s: ", c.bold, c.reset);
			print_masked_key(o, line, p->preshared_key, keys, "\n");
		}
		if (p->flags & UAPI_PEER_HAS_ENDPOINT)
			textbuf_printf(o, "  %sendpoint%s: %s\n", c.bold, c.reset,
				       uapi_endpoint_format(buf, &p->endpoint));
		textbuf_printf(o, "  %sallowed ips%s: ", c.bold, c.reset);
		if (!p->n_allowed_ips)
			textbuf_printf(o, "(none)\n");
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			textbuf_printf(o, "%s%s/%s%u%s", netaddr_format_ip(buf, &p->allowed_ips[j].prefix.addr),
				       c.cyan, c.reset, p->allowed_ips[j].prefix.cidr,
				       j + 1 < p->n_allowed_ips ? ", " : "\n");
		if (p->last_handshake_sec) {
			wgctl_format_ago(buf, sizeof(buf), p->last_handshake_sec, now,
					 flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "  %slatest handshake%s: %s\n", c.bold, c.reset, buf);
		}
		if (p->rx_bytes || p->tx_bytes) {
			textbuf_printf(o, "  %stransfer%s: ", c.bold, c.reset);
			wgctl_format_bytes(buf, sizeof(buf), p->rx_bytes, flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "%s received, ", buf);
			wgctl_format_bytes(buf, sizeof(buf), p->tx_bytes, flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "%s sent\n", buf);
		}
		if (p->keepalive) {
			wgctl_format_duration(buf, sizeof(buf), p->keepalive,
					      flags & WGCTL_SHOW_COLOR);
			textbuf_printf(o, "  %spersistent keepalive%s: every %s\n", c.bold, c.reset,
				       buf);
		}
		if (k + 1 < dev->n_peers)
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

static void print_endpoint_or_none(struct textbuf *o, const struct uapi_peer *p,
				   const char *end)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	textbuf_printf(o, "%s%s", p->flags & UAPI_PEER_HAS_ENDPOINT ? uapi_endpoint_format(buf, &p->endpoint) :
						    "(none)", end);
}

static void print_allowed_ips(struct textbuf *o, const struct uapi_peer *p, char sep,
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
static void format_dump(struct textbuf *o, const struct uapi_device *dev, const char *pfx)
{

	textbuf_printf(o, "%s", pfx);
	print_maybe_key(o, "", dev->private_key, dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY,
			"\t");
	print_maybe_key(o, "", dev->public_key, dev->flags & UAPI_DEVICE_HAS_PUBLIC_KEY,
			"\t");
	textbuf_printf(o, "%u\t", dev->listen_port);
	if (dev->fwmark)
		textbuf_printf(o, "0x%x\n", dev->fwmark);
	else
		textbuf_printf(o, "off\n");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uapi_peer *p = &dev->peers[i];

		textbuf_printf(o, "%s", pfx);
		print_key(o, "", p->public_key, "\t");
		print_maybe_key(o, "", p->preshared_key, p->flags & UAPI_PEER_HAS_PRESHARED_KEY, "\t");
		print_endpoint_or_none(o, p, "\t");
		print_allowed_ips(o, p, ',', '\t');
		textbuf_printf(o, "%llu\t", (unsigned long long)p->last_handshake_sec);
		textbuf_printf(o, "%llu\t%llu\t", (unsigned long long)p->rx_bytes,
			       (unsigned long long)p->tx_bytes);
		if (p->keepalive)
			textbuf_printf(o, "%u\n", p->keepalive);
		else
			textbuf_printf(o, "off\n");
	}
}

int wgctl_format_field(struct textbuf *o, const struct uapi_device *dev, const char *field,
		       bool with_ifname)
{
	char pfx[UAPI_IFNAME_MAX + 2] = "";

	if (!wgctl_valid_field(field))
		return -EINVAL;
	if (with_ifname)
		snprintf(pfx, sizeof(pfx), "%s\t", dev->name);
	/* wg(8)'s ugly_print(), except that `show all endpoints` names the
	 * interface on every line (as wireguard-tools does since 1.0.20250521)
	 * instead of once before the first peer. */
	if (!strcmp(field, "public-key")) {
		textbuf_printf(o, "%s", pfx);
		print_maybe_key(o, "", dev->public_key, dev->flags & UAPI_DEVICE_HAS_PUBLIC_KEY,
				"\n");
	} else if (!strcmp(field, "private-key")) {
		textbuf_printf(o, "%s", pfx);
		print_maybe_key(o, "", dev->private_key, dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY,
				"\n");
	} else if (!strcmp(field, "listen-port")) {
		textbuf_printf(o, "%s%u\n", pfx, dev->listen_port);
	} else if (!strcmp(field, "fwmark")) {
		if (dev->fwmark)
			textbuf_printf(o, "%s0x%x\n", pfx, dev->fwmark);
		else
			textbuf_printf(o, "%soff\n", pfx);
	} else if (!strcmp(field, "dump")) {
		format_dump(o, dev, pfx);
	} else if (!strcmp(field, "drops")) {
		for (size_t i = 0; i < dev->n_counters; i++)
			if (!strncmp(dev->counters[i].name, "drop_", 5))
				textbuf_printf(o, "%s%s\t%llu\n", pfx, dev->counters[i].name + 5,
					       (unsigned long long)dev->counters[i].value);
	} else {
		for (size_t i = 0; i < dev->n_peers; i++) {
			const struct uapi_peer *p = &dev->peers[i];

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
					       (unsigned long long)p->last_handshake_sec);
			} else if (!strcmp(field, "transfer")) {
				textbuf_printf(o, "\t%llu\t%llu\n", (unsigned long long)p->rx_bytes,
					       (unsigned long long)p->tx_bytes);
			} else if (!strcmp(field, "persistent-keepalive")) {
				if (p->keepalive)
					textbuf_printf(o, "\t%u\n", p->keepalive);
				else
					textbuf_printf(o, "\toff\n");
			} else if (!strcmp(field, "preshared-keys")) {
				print_maybe_key(o, "\t", p->preshared_key,
						p->flags & UAPI_PEER_HAS_PRESHARED_KEY,
						"\n");
			} else { /* peers */
				textbuf_printf(o, "\n");
			}
		}
	}
	return 0;
}

void wgctl_format_showconf(struct textbuf *o, const struct uapi_device *dev)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	textbuf_printf(o, "[Interface]\n");
	if (dev->listen_port)
		textbuf_printf(o, "ListenPort = %u\n", dev->listen_port);
	if (dev->fwmark)
		textbuf_printf(o, "FwMark = 0x%x\n", dev->fwmark);
	if (dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY)
		print_key(o, "PrivateKey = ", dev->private_key, "\n");
	textbuf_printf(o, "\n");
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uapi_peer *p = &dev->peers[i];

		print_key(o, "[Peer]\nPublicKey = ", p->public_key, "\n");
		if (p->flags & UAPI_PEER_HAS_PRESHARED_KEY)
			print_key(o, "PresharedKey = ", p->preshared_key, "\n");
		if (p->n_allowed_ips) {
			textbuf_printf(o, "AllowedIPs = ");
			for (size_t j = 0; j < p->n_allowed_ips; j++)
				textbuf_printf(o, "%s%s",
					       netaddr_format_prefix(buf, &p->allowed_ips[j].prefix),
					       j + 1 < p->n_allowed_ips ? ", " : "\n");
		}
		if (p->flags & UAPI_PEER_HAS_ENDPOINT)
			textbuf_printf(o, "Endpoint = %s\n", uapi_endpoint_format(buf, &p->endpoint));
		if (p->keepalive)
			textbuf_printf(o, "PersistentKeepalive = %u\n", p->keepalive);
		if (i + 1 < dev->n_peers)
			textbuf_printf(o, "\n");
	}
}
