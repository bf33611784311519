/* /proc/net/{tcp,udp}[6]: one socket a line, after a header line:
 *
 *   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
 *    0: 0100007F:2572 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 18600 ...
 *
 * An address is the kernel's in-memory words printed with %08X: IPv4 one
 * __be32, IPv6 four of them, so each word is the address's bytes in the
 * host's byte order (0100007F is 127.0.0.1 on a little-endian host); the
 * port is plain hex.  The state is TCP's (0A LISTEN); a UDP socket shows
 * 07 (close) until it is connected. */
#include "sockets.h"

#include "audit/facts.h"
#include "common/array.h"
#include "common/textbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	TCP_STATE_LISTEN = 0x0A,
	/* Fields a line must have, up to the inode. */
	FIELDS_MIN = 10,
	FIELDS_MAX = 12,
	/* Bounds on what is kept: far beyond a host's listening sockets,
	 * short of what a hostile fixture could make us hold. */
	SOCKETS_MAX = 1 << 20,
	/* Addresses a wildcard socket is tried with (each is a verdict per
	 * socket, and repeats are looked for in a list). */
	ADDRS_MAX = 4096,
};

static bool hexval(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (!len || len > 8)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
			: c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

static bool decval(const char *s, size_t len, unsigned long *out)
{
	unsigned long v = 0;

	if (!len || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "HEX:PORT" with 8 (IPv4) or 32 (IPv6) hex digits. */
static bool parse_addr(const char *s, size_t len, bool ipv6, struct netaddr *a, uint16_t *port)
{
	size_t words = ipv6 ? 4 : 1;
	uint32_t w[4], p;

	if (len != words * 8 + 5 || s[words * 8] != ':' || !hexval(s + words * 8 + 1, 4, &p))
		return false;
	for (size_t i = 0; i < words; i++)
		if (!hexval(s + i * 8, 8, &w[i]))
			return false;
	memset(a, 0, sizeof(*a));
	if (!ipv6) {
		a->family = AF_INET;
		memcpy(&a->in4, w, 4);
	} else {
		a->family = AF_INET6;
		memcpy(&a->in6, w, 16);
		if (IN6_IS_ADDR_V4MAPPED(&a->in6)) {
			struct in_addr v4;

			memcpy(&v4, a->in6.s6_addr + 12, 4);
			a->family = AF_INET;
			a->in4 = v4;
		}
	}
	*port = (uint16_t)p;
	return true;
}

static bool addr_zero(const struct netaddr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->family == AF_INET ? (const void *)&a->in4 : (const void *)&a->in6, zero,
		       a->family == AF_INET ? 4 : 16);
}

static bool loopback(const struct netaddr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->in4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->in6);
}

bool audit_socket_loopback(const struct audit_socket *s)
{
	return loopback(&s->addr);
}

/* Splits a line into at most FIELDS_MAX whitespace-separated fields. */
static size_t split(const char *s, const char *end, const char *fs[], size_t fl[])
{
	size_t n = 0;

	while (s < end && n < FIELDS_MAX) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end)
			break;
		fs[n] = s;
		while (s < end && *s != ' ' && *s != '\t')
			s++;
		fl[n] = (size_t)(s - fs[n]);
		n++;
	}
	return n;
}

static int push(struct audit_socket **v, size_t *n, size_t *cap, const struct audit_socket *s)
{
	int ret = array_grow((void **)v, cap, *n, sizeof(**v), SOCKETS_MAX);

	if (ret)
		return ret;
	(*v)[(*n)++] = *s;
	return 0;
}

/* One socket line: 1 when it is a waiting socket (filled in), 0 when it
 * is not (a connection), -1 when the line is not the kernel's format
 * (*bad names the field). */
static int parse_line(const char *s, const char *end, bool ipv6, bool tcp,
		      struct audit_socket *out, const char **bad)
{
	const char *fs[FIELDS_MAX];
	size_t fl[FIELDS_MAX];
	size_t n = split(s, end, fs, fl);
	struct netaddr rem;
	uint16_t rport;
	uint32_t st;
	unsigned long uid;

	*bad = "too few fields";
	if (n < FIELDS_MIN)
		return -1;
	*bad = "local_address";
	if (!parse_addr(fs[1], fl[1], ipv6, &out->addr, &out->port))
		return -1;
	*bad = "rem_address";
	if (!parse_addr(fs[2], fl[2], ipv6, &rem, &rport))
		return -1;
	*bad = "st";
	if (!hexval(fs[3], fl[3], &st))
		return -1;
	*bad = "uid";
	if (!decval(fs[7], fl[7], &uid) || uid > UINT32_MAX)
		return -1;
	*bad = "inode";
	if (!decval(fs[9], fl[9], &out->inode))
		return -1;
	out->uid = (unsigned)uid;
	out->l4proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	out->wildcard = addr_zero(&out->addr);
	out->dual_stack = ipv6 && out->wildcard && out->addr.family == AF_INET6;
	if (tcp)
		return st == TCP_STATE_LISTEN;
	/* Port 0: created, not yet bound; nothing can reach it. */
	return addr_zero(&rem) && rport == 0 && out->port != 0;
}

int audit_sockets_parse(const char *text, size_t len, const char *file,
			struct audit_socket **v, size_t *n, size_t *cap, struct error *err)
{
	size_t flen = strlen(file);
	bool ipv6 = flen && file[flen - 1] == '6';
	bool tcp = strstr(file, "tcp") != NULL;
	const char *s = text, *end = text + len;
	unsigned line = 0;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s)), *bad, *p = s;
		struct audit_socket sock = { .file = file };
		int r;

		if (!eol)
			eol = end;
		line++;
		while (p < eol && *p == ' ')
			p++;
		/* The header, and a trailing empty line. */
		if (p == eol || (line == 1 && eol - p >= 2 && !memcmp(p, "sl", 2))) {
			s = eol + (eol < end);
			continue;
		}
		r = parse_line(s, eol, ipv6, tcp, &sock, &bad);
		if (r < 0)
			return error_fail_at(err, -EINVAL, file, line, NULL,
					     "%s is not in the kernel's format: `%.*s'", bad,
					     (int)(eol - s > 120 ? 120 : eol - s), s);
		sock.line = line;
		if (r && (r = push(v, n, cap, &sock)) == -E2BIG)
			return error_fail_at(err, r, file, line, NULL,
					     "more than %d listening sockets", SOCKETS_MAX);
		if (r < 0)
			return error_fail(err, r, "out of memory");
		s = eol + (eol < end);
	}
	return 0;
}

int audit_sockets_read(struct audit_facts *f, struct audit_socket **v, size_t *n,
		       struct error *err)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp",
					     "/proc/net/udp6" };
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct error why = { 0 };
		char *buf = NULL;
		size_t len = 0;
		int ret = audit_read(f, files[i], &buf, &len, &why);

		if (ret == -ENOENT)
			continue;
		if (!ret) {
			ret = audit_sockets_parse(buf, len, files[i], v, n, &cap, err);
			textbuf_free_text(buf, len);
		} else {
			*err = why;
		}
		if (ret) {
			free(*v);
			*v = NULL;
			*n = 0;
			return ret;
		}
	}
	return 0;
}

/* --- the host's own addresses --------------------------------------------- */

static int add_addr(struct netaddr **v, size_t *n, size_t *cap, const struct netaddr *a)
{
	if (loopback(a))
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (netaddr_equal(&(*v)[i], a))
			return 0;
	/* Past ADDRS_MAX the rest are not tried: fewer packets, not an error. */
	if (array_grow((void **)v, cap, *n, sizeof(**v), ADDRS_MAX))
		return *n < ADDRS_MAX ? -ENOMEM : 0;
	(*v)[(*n)++] = *a;
	return 0;
}

/* A leaf is "|-- 192.0.2.2" followed by its routes' lines, one of them
 * "/32 host LOCAL" for an address the host holds. */
int audit_fib_trie_parse(const char *text, size_t len, struct netaddr **v, size_t *n,
			 size_t *cap)
{
	const char *s = text, *end = text + len;
	struct netaddr leaf = { 0 };

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s)), *p = s, *why;
		char ip[NETADDR_IP_STRLEN];
		size_t l;

		if (!eol)
			eol = end;
		while (p < eol && *p == ' ')
			p++;
		l = (size_t)(eol - p);
		if (l > 4 && !memcmp(p, "|-- ", 4)) {
			snprintf(ip, sizeof(ip), "%.*s", (int)(l - 4 < sizeof(ip) ? l - 4 : sizeof(ip) - 1),
				 p + 4);
			if (!netaddr_parse_ip(&leaf, ip, &why))
				leaf.family = 0;
		} else if (l >= 14 && !memcmp(p, "/32 host LOCAL", 14) && leaf.family == AF_INET) {
			if (add_addr(v, n, cap, &leaf))
				return -ENOMEM;
		} else if (l > 4 && !memcmp(p, "+-- ", 4)) {
			leaf.family = 0;
		}
		s = eol + (eol < end);
	}
	return 0;
}

/* "fd000000000000000000000000000002 04 40 00 82     eth0": the address
 * in network order, then index, prefix length, scope, flags, name. */
int audit_if_inet6_parse(const char *text, size_t len, struct netaddr **v, size_t *n,
			 size_t *cap)
{
	const char *s = text, *end = text + len;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		struct netaddr a = { .family = AF_INET6 };
		uint32_t byte = 0;
		bool ok;

		if (!eol)
			eol = end;
		ok = eol - s >= 33 && s[32] == ' ';
		for (size_t i = 0; i < 16 && ok; i++) {
			ok = hexval(s + 2 * i, 2, &byte);
			a.in6.s6_addr[i] = (uint8_t)byte;
		}
		if (ok && add_addr(v, n, cap, &a))
			return -ENOMEM;
		s = eol + (eol < end);
	}
	return 0;
}

int audit_local_addrs(struct audit_facts *f, struct netaddr **v, size_t *n,
		      struct error *err)
{
	static const char *const files[] = { "/proc/net/fib_trie", "/proc/net/if_inet6" };
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	for (size_t i = 0; i < 2; i++) {
		struct error why = { 0 };
		char *buf = NULL;
		size_t len = 0;
		int ret;

		if (audit_read(f, files[i], &buf, &len, &why))
			continue; /* absent or unreadable: fewer packets to try */
		ret = i == 0 ? audit_fib_trie_parse(buf, len, v, n, &cap)
			     : audit_if_inet6_parse(buf, len, v, n, &cap);
		textbuf_free_text(buf, len);
		if (ret) {
			free(*v);
			*v = NULL;
			*n = 0;
			return error_fail(err, ret, "out of memory");
		}
	}
	return 0;
}
