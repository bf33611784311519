#include "wgconf.h"

#include "config.h"
#include "common/encoding.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct wgconf_ctx {
	struct conf *conf;
	const struct wgconf_section *sec; /* NULL before the first header */
	unsigned sec_line;             /* line of that header */
	unsigned line;                 /* line being parsed */
	const struct wgconf_key *key;     /* key being set, for messages */
	struct error *err;
	struct textbuf *strip;             /* non-NULL: collect wg(8) lines */
};

static const char ws[] = " \t\n\v\f\r"; /* wg(8)'s char_is_space() */

/* --- output ------------------------------------------------------------ */

void wgconf_text_free(char *text, size_t len)
{
	textbuf_free_text(text, len);
}

/* --- errors ------------------------------------------------------------ */

/* A base64 key, or one that lost its '=' padding to the key/value split
 * (a key pasted on a line of its own parses as key "xxx", value ""). */
static bool looks_like_key(const char *s)
{
	char padded[KEY_B64_LEN + 1];
	uint8_t k[KEY_LEN];
	bool ok;

	if (strlen(s) == KEY_B64_LEN - 1) {
		memcpy(padded, s, KEY_B64_LEN - 1);
		padded[KEY_B64_LEN - 1] = '=';
		padded[KEY_B64_LEN] = '\0';
		s = padded;
	}
	ok = encoding_key_from_base64(k, s);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(padded, sizeof(padded));
	return ok;
}

enum quote_mode {
	QUOTE_AUTO,   /* hidden if it looks like a key */
	QUOTE_SECRET, /* always hidden */
	QUOTE_PUBLIC, /* never hidden: a public key */
};

/* Quotes s for a message: escapes quotes, backslashes and anything that
 * is not printable ASCII and shortens it past 48 bytes.  Secrets, and in
 * QUOTE_AUTO mode anything that decodes as a key (such as a key pasted on
 * a line of its own), show as (hidden): no error message may carry a
 * private key into a log. */
static void quote(char *dst, size_t size, const char *s, enum quote_mode mode)
{
	enum { SHOWN_MAX = 48 };
	size_t o = 0, i;

	if (mode == QUOTE_SECRET || (mode == QUOTE_AUTO && looks_like_key(s))) {
		snprintf(dst, size, "(hidden)");
		return;
	}
	dst[o++] = '"';
	for (i = 0; s[i] && i < SHOWN_MAX && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, size - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	if (s[i])
		o += (size_t)snprintf(dst + o, size - o, "...");
	dst[o++] = '"';
	dst[o] = '\0';
}

/* An error about the line as a whole. */
static int __attribute__((format(printf, 3, 4)))
fail_line(struct wgconf_ctx *p, int ret, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	p->err->key[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return ret;
}

/* An error about the key being set, e.g. "missing value". */
static int fail_key(struct wgconf_ctx *p, const char *msg)
{
	p->err->line = p->line;
	snprintf(p->err->key, sizeof(p->err->key), "%s", p->key->name);
	snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	return -EINVAL;
}

/* "invalid WHAT "VALUE": WHY" for the key being set, the value already
 * quoted into p->err->value. */
static int fail_quoted(struct wgconf_ctx *p, const char *what, const char *why)
{
	p->err->line = p->line;
	snprintf(p->err->key, sizeof(p->err->key), "%s", p->key->name);
	snprintf(p->err->msg, sizeof(p->err->msg), "invalid %s %s: %s", what,
		 p->err->value, why);
	return -EINVAL;
}

static int fail_value(struct wgconf_ctx *p, const char *what, const char *value,
		      enum quote_mode mode, const char *why)
{
	quote(p->err->value, sizeof(p->err->value), value, mode);
	return fail_quoted(p, what, why);
}

static int fail_errno(struct wgconf_ctx *p, int ret)
{
	if (ret == -E2BIG)
		return fail_line(p, -EINVAL, "more than %u entries in one list",
				 (unsigned)CONF_LIST_MAX);
	return fail_line(p, ret, "%s", strerror(-ret));
}

struct conf *wgconf_ctx_conf(const struct wgconf_ctx *p)
{
	return p->conf;
}

struct conf_peer *wgconf_ctx_peer(const struct wgconf_ctx *p)
{
	return p->conf->n_peers ? &p->conf->peers[p->conf->n_peers - 1] : NULL;
}

unsigned wgconf_ctx_line(const struct wgconf_ctx *p)
{
	return p->line;
}

int wgconf_fail_value(struct wgconf_ctx *p, const char *what, const char *value,
		      const char *why)
{
	return fail_value(p, what, value, QUOTE_AUTO, why);
}

int wgconf_fail_errno(struct wgconf_ctx *p, int ret)
{
	return fail_errno(p, ret);
}


/* --- field setters ----------------------------------------------------- */

char *wgconf_trim(char *s)
{
	char *e;

	s += strspn(s, ws);
	e = s + strlen(s);
	while (e > s && strchr(ws, e[-1]))
		*--e = '\0';
	return s;
}

static struct conf_peer *cur_peer(struct wgconf_ctx *p)
{
	return &p->conf->peers[p->conf->n_peers - 1];
}

static const char *key_reason(const char *s)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (strlen(s) != KEY_B64_LEN)
		return "not 44 characters of base64";
	if (s[KEY_B64_LEN - 1] != '=')
		return "does not end in '='";
	if (strspn(s, alphabet) != KEY_B64_LEN - 1)
		return "contains a character outside base64";
	return "not canonical base64 (unused bits set in the last character)";
}

static int set_key(struct wgconf_ctx *p, uint8_t key[KEY_LEN], const char *value,
		   bool secret)
{
	/* Same acceptance as wg(8)'s key_from_base64(). */
	if (encoding_key_from_base64(key, value))
		return 0;
	return fail_value(p, "key", value, secret ? QUOTE_SECRET : QUOTE_PUBLIC,
			  key_reason(value));
}

static int set_private_key(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf *c = p->conf;
	int ret = set_key(p, c->private_key, value, true);

	(void)k;
	if (ret)
		return ret;
	c->has_private_key = true;
	c->private_key_line = p->line;
	return 0;
}

/* wg(8) reads ListenPort with getaddrinfo(), which also takes service
 * names ("domain") and truncates numbers past 65535; Rampart takes
 * 0..65535 only. */
static int set_listen_port(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	const char *why;

	(void)k;
	if (!netaddr_parse_port(&p->conf->listen_port, value, &why))
		return fail_value(p, "port", value, QUOTE_AUTO, why);
	p->conf->has_listen_port = true;
	p->conf->listen_port_line = p->line;
	return 0;
}

static int set_fwmark(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	const char *why;

	(void)k;
	if (!netaddr_parse_fwmark(&p->conf->fwmark, value, &why))
		return fail_value(p, "fwmark", value, QUOTE_AUTO, why);
	p->conf->has_fwmark = true;
	p->conf->fwmark_line = p->line;
	return 0;
}

/* wg-quick splits Address and DNS with ${value//,/ } and word splitting:
 * commas and whitespace both separate, and empty items vanish. */
char *wgconf_next_word(char **cursor)
{
	char *s = *cursor + strspn(*cursor, ", \t\n\v\f\r"), *e;

	if (!*s)
		return NULL;
	e = s + strcspn(s, ", \t\n\v\f\r");
	*cursor = *e ? e + 1 : e;
	*e = '\0';
	return s;
}

static int set_address(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct netaddr_prefix pfx;
	const char *why;
	char *w;
	int ret;

	(void)k;
	while ((w = wgconf_next_word(&value))) {
		if (!netaddr_parse_prefix(&pfx, w, &why))
			return fail_value(p, "address", w, QUOTE_AUTO, why);
		ret = conf_add_address(p->conf, &pfx, p->line);
		if (ret)
			return fail_errno(p, ret);
	}
	return 0;
}

/* wg-quick: an item matching ^[0-9.]+$ or containing ':' is a name server,
 * anything else a search domain.  Rampart also checks that servers are
 * addresses and domains are RFC 1123 names; wg-quick passes both on to
 * resolvconf unchecked. */
static int set_dns(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_dns d;
	const char *why;
	char *w;
	int ret;

	(void)k;
	while ((w = wgconf_next_word(&value))) {
		memset(&d, 0, sizeof(d));
		d.line = p->line;
		if (strchr(w, ':') || strspn(w, "0123456789.") == strlen(w)) {
			d.kind = CONF_DNS_SERVER;
			if (!netaddr_parse_ip(&d.server, w, &why))
				return fail_value(p, "DNS server", w, QUOTE_AUTO, why);
		} else {
			d.kind = CONF_DNS_SEARCH;
			if (!netaddr_valid_hostname(w, &why))
				return fail_value(p, "search domain", w, QUOTE_AUTO, why);
			snprintf(d.domain, sizeof(d.domain), "%s", w);
		}
		ret = conf_add_dns(p->conf, &d);
		if (ret)
			return fail_errno(p, ret);
	}
	return 0;
}

/* wg-quick passes MTU to "ip link set mtu"; "MTU =" means automatic, as
 * it does for wg-quick, and undoes an earlier MTU line. */
static int set_mtu(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	const char *why;

	(void)k;
	if (!*value) {
		p->conf->has_mtu = false;
		p->conf->mtu = 0;
		p->conf->mtu_line = p->line;
		return 0;
	}
	if (!netaddr_parse_mtu(&p->conf->mtu, value, &why))
		return fail_value(p, "MTU", value, QUOTE_AUTO, why);
	p->conf->has_mtu = true;
	p->conf->mtu_line = p->line;
	return 0;
}

static bool table_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* wg-quick compares Table with "off" and "auto" case-sensitively and hands
 * anything else to ip(8).  Rampart accepts a decimal table id or an
 * rt_tables style name, and refuses "Off" or "AUTO", which wg-quick would
 * silently take for table names. */
static int set_table(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_table t = { 0 };
	const char *why;
	size_t n = strlen(value);

	(void)k;
	if (!n) {
		p->conf->has_table = false;
		memset(&p->conf->table, 0, sizeof(p->conf->table));
		p->conf->table_line = p->line;
		return 0;
	}
	if (!strcmp(value, "off")) {
		t.kind = CONF_TABLE_OFF;
	} else if (!strcmp(value, "auto")) {
		t.kind = CONF_TABLE_AUTO;
	} else if (!strcasecmp(value, "off") || !strcasecmp(value, "auto")) {
		return fail_value(p, "table", value, QUOTE_AUTO,
				  "write off and auto in lower case");
	} else if (value[0] >= '0' && value[0] <= '9') {
		t.kind = CONF_TABLE_ID;
		if (!netaddr_parse_u32(&t.id, value, UINT32_MAX, &why))
			return fail_value(p, "table", value, QUOTE_AUTO, why);
	} else {
		size_t i;

		if (n > CONF_TABLE_NAME_MAX)
			return fail_value(p, "table", value, QUOTE_AUTO,
					  "name longer than 63 characters");
		for (i = 0; i < n; i++)
			if (!table_name_char(value[i]))
				return fail_value(p, "table", value, QUOTE_AUTO,
						  "neither a number nor a table name");
		t.kind = CONF_TABLE_NAME;
		memcpy(t.name, value, n + 1);
	}
	p->conf->table = t;
	p->conf->has_table = true;
	p->conf->table_line = p->line;
	return 0;
}

/* Kept verbatim (internal whitespace included) and in order; running them
 * is the operations layer's business. */
static int set_hook(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	int ret = conf_add_hook(p->conf, (enum conf_hook_kind)k->arg, value, p->line);

	return ret ? fail_errno(p, ret) : 0;
}

/* wg-quick's read_bool runs under nocasematch, so "True" is fine too. */
static int set_save_config(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	(void)k;
	if (!strcasecmp(value, "true"))
		p->conf->save_config = true;
	else if (!strcasecmp(value, "false"))
		p->conf->save_config = false;
	else
		return fail_value(p, "boolean", value, QUOTE_AUTO, "neither true nor false");
	p->conf->has_save_config = true;
	p->conf->save_config_line = p->line;
	return 0;
}

/* ip-netns(8)'s names: a file name under /run/netns. */
static int set_netns(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	(void)k;
	if (*value && !conf_valid_netns(value))
		return fail_value(p, "namespace", value, QUOTE_AUTO,
				  strlen(value) > CONF_NETNS_MAX ? "too long"
								 : "not a name ip netns could make");
	snprintf(p->conf->netns, sizeof(p->conf->netns), "%s", value);
	p->conf->netns_line = p->line;
	return 0;
}

static int set_public_key(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	int ret = set_key(p, peer->public_key, value, false);

	(void)k;
	if (ret)
		return ret;
	peer->has_public_key = true;
	peer->public_key_line = p->line;
	return 0;
}

static int set_preshared_key(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	int ret = set_key(p, peer->preshared_key, value, true);

	(void)k;
	if (ret)
		return ret;
	peer->has_preshared_key = true;
	peer->preshared_key_line = p->line;
	return 0;
}

/* Comma-separated as in wg(8): an empty item ("a,,b", "a,") is an error,
 * but an empty value adds nothing (wg(8) rejects "AllowedIPs =" in a file;
 * strip drops such a line).  Host bits are kept as written. */
static int set_allowed_ips(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	struct netaddr_prefix pfx;
	char whole[sizeof(p->err->value)];
	const char *why;
	char *item, *cursor = value;
	int ret;

	(void)k;
	if (!*value)
		return 0;
	quote(whole, sizeof(whole), value, QUOTE_AUTO);
	while ((item = strsep(&cursor, ","))) {
		item = wgconf_trim(item);
		if (!*item) {
			memcpy(p->err->value, whole, sizeof(whole));
			return fail_quoted(p, "list", "empty entry");
		}
		if (!netaddr_parse_prefix(&pfx, item, &why))
			return fail_value(p, "allowed IP", item, QUOTE_AUTO, why);
		ret = conf_peer_add_allowed_ip(peer, &pfx, p->line);
		if (ret)
			return fail_errno(p, ret);
	}
	return 0;
}

/* wg(8) resolves the name at once and accepts whatever getaddrinfo()
 * does; Rampart checks the syntax here and resolves later. */
static int set_endpoint(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	const char *why;

	(void)k;
	if (!netaddr_parse_endpoint(&peer->endpoint, value, &why))
		return fail_value(p, "endpoint", value, QUOTE_AUTO, why);
	peer->has_endpoint = true;
	peer->endpoint_line = p->line;
	return 0;
}

static int set_keepalive(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	const char *why;

	(void)k;
	if (!netaddr_parse_keepalive(&peer->keepalive, value, &why))
		return fail_value(p, "keepalive interval", value, QUOTE_AUTO, why);
	peer->has_keepalive = true;
	peer->keepalive_line = p->line;
	return 0;
}


/* --- field printers ---------------------------------------------------- */

static void print_b64(struct textbuf *o, const char *name, const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	encoding_key_to_base64(b64, key);
	textbuf_printf(o, "%s = %s\n", name, b64);
	explicit_bzero(b64, sizeof(b64));
}

static void print_private_key(struct textbuf *o, const struct wgconf_key *k,
			      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_private_key)
		print_b64(o, k->name, c->private_key);
}

static void print_listen_port(struct textbuf *o, const struct wgconf_key *k,
			      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_listen_port)
		textbuf_printf(o, "%s = %u\n", k->name, c->listen_port);
}

static void print_fwmark(struct textbuf *o, const struct wgconf_key *k,
			 const struct conf *c, size_t idx)
{
	(void)idx;
	if (!c->has_fwmark)
		return;
	if (c->fwmark)
		textbuf_printf(o, "%s = 0x%x\n", k->name, c->fwmark); /* as wg showconf */
	else
		textbuf_printf(o, "%s = off\n", k->name);
}

void wgconf_print_prefixes(struct textbuf *o, const char *name, const struct conf_prefix *v,
			   size_t n)
{
	char buf[NETADDR_PREFIX_STRLEN];

	if (!n)
		return;
	textbuf_printf(o, "%s = ", name);
	for (size_t i = 0; i < n; i++)
		textbuf_printf(o, "%s%s", i ? ", " : "", netaddr_format_prefix(buf, &v[i].prefix));
	textbuf_printf(o, "\n");
}

static void print_address(struct textbuf *o, const struct wgconf_key *k,
			  const struct conf *c, size_t idx)
{
	(void)idx;
	wgconf_print_prefixes(o, k->name, c->addresses, c->n_addresses);
}

static void print_dns(struct textbuf *o, const struct wgconf_key *k,
		      const struct conf *c, size_t idx)
{
	char buf[NETADDR_IP_STRLEN];

	(void)idx;
	if (!c->n_dns)
		return;
	textbuf_printf(o, "%s = ", k->name);
	for (size_t i = 0; i < c->n_dns; i++) {
		const struct conf_dns *d = &c->dns[i];

		textbuf_printf(o, "%s%s", i ? ", " : "",
		     d->kind == CONF_DNS_SERVER ? netaddr_format_ip(buf, &d->server) :
						  d->domain);
	}
	textbuf_printf(o, "\n");
}

static void print_mtu(struct textbuf *o, const struct wgconf_key *k,
		      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_mtu)
		textbuf_printf(o, "%s = %u\n", k->name, c->mtu);
}

static void print_table(struct textbuf *o, const struct wgconf_key *k,
			const struct conf *c, size_t idx)
{
	(void)idx;
	if (!c->has_table)
		return;
	switch (c->table.kind) {
	case CONF_TABLE_AUTO:
		textbuf_printf(o, "%s = auto\n", k->name);
		break;
	case CONF_TABLE_OFF:
		textbuf_printf(o, "%s = off\n", k->name);
		break;
	case CONF_TABLE_ID:
		textbuf_printf(o, "%s = %u\n", k->name, c->table.id);
		break;
	case CONF_TABLE_NAME:
		textbuf_printf(o, "%s = %s\n", k->name, c->table.name);
		break;
	}
}

static void print_hook(struct textbuf *o, const struct wgconf_key *k,
		       const struct conf *c, size_t idx)
{
	(void)idx;
	for (size_t i = 0; i < c->hooks[k->arg].n; i++) {
		const char *cmd = c->hooks[k->arg].v[i].cmd;
		size_t n = strlen(cmd);

		/* It must read back as the same command. */
		if (strpbrk(cmd, "#\n") || (n && (strchr(ws, cmd[0]) ||
						  strchr(ws, cmd[n - 1])))) {
			textbuf_fail(o, -EINVAL);
			return;
		}
		if (n)
			textbuf_printf(o, "%s = %s\n", k->name, cmd);
		else
			textbuf_printf(o, "%s =\n", k->name);
	}
}

static void print_save_config(struct textbuf *o, const struct wgconf_key *k,
			      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_save_config)
		textbuf_printf(o, "%s = %s\n", k->name, c->save_config ? "true" : "false");
}

static void print_netns(struct textbuf *o, const struct wgconf_key *k, const struct conf *c,
			size_t idx)
{
	(void)idx;
	if (c->netns[0])
		textbuf_printf(o, "%s = %s\n", k->name, c->netns);
}

static void print_public_key(struct textbuf *o, const struct wgconf_key *k,
			     const struct conf *c, size_t idx)
{
	if (c->peers[idx].has_public_key)
		print_b64(o, k->name, c->peers[idx].public_key);
}

static void print_preshared_key(struct textbuf *o, const struct wgconf_key *k,
				const struct conf *c, size_t idx)
{
	if (c->peers[idx].has_preshared_key)
		print_b64(o, k->name, c->peers[idx].preshared_key);
}

static void print_allowed_ips(struct textbuf *o, const struct wgconf_key *k,
			      const struct conf *c, size_t idx)
{
	wgconf_print_prefixes(o, k->name, c->peers[idx].allowed_ips,
		       c->peers[idx].n_allowed_ips);
}

static void print_endpoint(struct textbuf *o, const struct wgconf_key *k,
			   const struct conf *c, size_t idx)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	if (c->peers[idx].has_endpoint)
		textbuf_printf(o, "%s = %s\n", k->name,
		     netaddr_format_endpoint(buf, &c->peers[idx].endpoint));
}

static void print_keepalive(struct textbuf *o, const struct wgconf_key *k,
			    const struct conf *c, size_t idx)
{
	const struct conf_peer *peer = &c->peers[idx];

	if (!peer->has_keepalive)
		return;
	if (peer->keepalive)
		textbuf_printf(o, "%s = %u\n", k->name, peer->keepalive);
	else
		textbuf_printf(o, "%s = off\n", k->name);
}


/* --- sections ---------------------------------------------------------- */

static int begin_interface(struct wgconf_ctx *p)
{
	/* wg(8) merges repeated [Interface] sections; so do we. */
	if (!p->conf->interface_line)
		p->conf->interface_line = p->line;
	return 0;
}

static int begin_peer(struct wgconf_ctx *p)
{
	if (conf_add_peer(p->conf, p->line))
		return 0;
	if (errno == E2BIG)
		return fail_line(p, -EINVAL, "more than %u peers",
				 (unsigned)CONF_PEERS_MAX);
	return fail_line(p, -ENOMEM, "%s", strerror(ENOMEM));
}

static int end_peer(struct wgconf_ctx *p)
{
	if (cur_peer(p)->has_public_key)
		return 0;
	p->line = p->sec_line;
	return fail_line(p, -EINVAL, "[Peer] has no PublicKey");
}

static size_t one_interface(const struct conf *conf)
{
	(void)conf;
	return 1;
}

static size_t count_peers(const struct conf *conf)
{
	return conf->n_peers;
}

/* Print order is table order. */
static const struct wgconf_section builtin_sections[] = {
	{ "Interface", WGCONF_OWNER_WG, begin_interface, NULL, one_interface },
	{ "Peer", WGCONF_OWNER_WG, begin_peer, end_peer, count_peers },
};

static const struct wgconf_key builtin_keys[] = {
	{ "Interface", "PrivateKey", WGCONF_OWNER_WG, 0, 0, set_private_key, print_private_key },
	{ "Interface", "ListenPort", WGCONF_OWNER_WG, 0, 0, set_listen_port, print_listen_port },
	{ "Interface", "FwMark", WGCONF_OWNER_WG, 0, 0, set_fwmark, print_fwmark },
	{ "Interface", "Address", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, 0, set_address, print_address },
	{ "Interface", "DNS", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, 0, set_dns, print_dns },
	{ "Interface", "MTU", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, 0, set_mtu, print_mtu },
	{ "Interface", "Table", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, 0, set_table, print_table },
	{ "Interface", "PreUp", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, CONF_HOOK_PRE_UP, set_hook, print_hook },
	{ "Interface", "PostUp", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, CONF_HOOK_POST_UP, set_hook, print_hook },
	{ "Interface", "PreDown", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, CONF_HOOK_PRE_DOWN, set_hook, print_hook },
	{ "Interface", "PostDown", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, CONF_HOOK_POST_DOWN, set_hook, print_hook },
	{ "Interface", "SaveConfig", WGCONF_OWNER_WGQUICK, 0, 0, set_save_config, print_save_config },
	{ "Interface", "Namespace", WGCONF_OWNER_WGQUICK, WGCONF_KEY_EMPTY_OK, 0, set_netns, print_netns },
	{ "Peer", "PublicKey", WGCONF_OWNER_WG, 0, 0, set_public_key, print_public_key },
	{ "Peer", "PresharedKey", WGCONF_OWNER_WG, 0, 0, set_preshared_key, print_preshared_key },
	{ "Peer", "AllowedIPs", WGCONF_OWNER_WG, WGCONF_KEY_EMPTY_OK, 0, set_allowed_ips, print_allowed_ips },
	{ "Peer", "Endpoint", WGCONF_OWNER_WG, 0, 0, set_endpoint, print_endpoint },
	{ "Peer", "PersistentKeepalive", WGCONF_OWNER_WG, 0, 0, set_keepalive, print_keepalive },
};

/* The keys and sections of higher rooms (wgconf_register), after the
 * built-in ones in print order.  Written at start-up only. */
enum { EXT_SECTIONS_MAX = 16, EXT_KEYS_MAX = 128 };
static const struct wgconf_ext *exts[CONF_EXT_MAX];
static const struct wgconf_section *ext_sections[EXT_SECTIONS_MAX];
static const struct wgconf_key *ext_keys[EXT_KEYS_MAX];
static size_t n_exts, n_ext_sections, n_ext_keys;

int wgconf_register(const struct wgconf_ext *ext)
{
	for (size_t i = 0; i < n_exts; i++)
		if (exts[i] == ext)
			return 0;
	for (size_t i = 0; i < ext->n_keys; i++)
		if (ext->keys[i].owner != WGCONF_OWNER_RAMPART)
			return -EINVAL;
	for (size_t i = 0; i < ext->n_sections; i++)
		if (ext->sections[i].owner != WGCONF_OWNER_RAMPART)
			return -EINVAL;
	if (n_exts == CONF_EXT_MAX || n_ext_keys + ext->n_keys > EXT_KEYS_MAX ||
	    n_ext_sections + ext->n_sections > EXT_SECTIONS_MAX)
		return -ENOSPC;
	exts[n_exts++] = ext;
	for (size_t i = 0; i < ext->n_sections; i++)
		ext_sections[n_ext_sections++] = &ext->sections[i];
	for (size_t i = 0; i < ext->n_keys; i++)
		ext_keys[n_ext_keys++] = &ext->keys[i];
	return 0;
}

/* The i-th section or key in print order, or NULL past the last. */
static const struct wgconf_section *section_at(size_t i)
{
	if (i < ARRAY_SIZE(builtin_sections))
		return &builtin_sections[i];
	i -= ARRAY_SIZE(builtin_sections);
	return i < n_ext_sections ? ext_sections[i] : NULL;
}

static const struct wgconf_key *key_at(size_t i)
{
	if (i < ARRAY_SIZE(builtin_keys))
		return &builtin_keys[i];
	return i - ARRAY_SIZE(builtin_keys) < n_ext_keys ? ext_keys[i - ARRAY_SIZE(builtin_keys)] : NULL;
}

static const struct wgconf_section *find_section(const char *name)
{
	const struct wgconf_section *sec;

	for (size_t i = 0; (sec = section_at(i)); i++)
		if (!strcasecmp(sec->name, name))
			return sec;
	return NULL;
}

static const struct wgconf_key *find_key(const struct wgconf_section *sec, const char *name)
{
	const struct wgconf_key *k;

	for (size_t i = 0; (k = key_at(i)); i++)
		if ((!sec || !strcmp(k->section, sec->name)) && !strcasecmp(k->name, name))
			return k;
	return NULL;
}

/* --- lines ------------------------------------------------------------- */

static int end_section(struct wgconf_ctx *p)
{
	if (p->sec && p->sec->end)
		return p->sec->end(p);
	return 0;
}

static int parse_header(struct wgconf_ctx *p, char *s, bool *keep)
{
	const struct wgconf_section *sec = NULL;
	size_t n = strlen(s);
	char *name;
	int ret;

	if (n < 2 || s[n - 1] != ']') {
		quote(p->err->value, sizeof(p->err->value), s, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "malformed section header %s", p->err->value);
	}
	s[n - 1] = '\0';
	name = wgconf_trim(s + 1);
	sec = find_section(name);
	if (!sec) {
		quote(p->err->value, sizeof(p->err->value), name, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "unknown section %s", p->err->value);
	}
	ret = end_section(p);
	if (ret)
		return ret;
	p->sec = sec;
	p->sec_line = p->line;
	*keep = sec->owner == WGCONF_OWNER_WG;
	return sec->begin ? sec->begin(p) : 0;
}

/* "# Name = VALUE" in a [Peer] section names the peer; any other comment,
 * and this one elsewhere, is only a comment.  0 and *done false when s
 * (trimmed, starting with '#') is not such a line. */
static int peer_name(struct wgconf_ctx *p, char *s, bool *done)
{
	struct conf_peer *peer;
	size_t n;
	char *v;

	*done = false;
	if (!p->sec || strcmp(p->sec->name, "Peer"))
		return 0;
	s = wgconf_trim(s + 1);
	if (strncasecmp(s, "Name", 4))
		return 0;
	s = wgconf_trim(s + 4);
	if (*s != '=')
		return 0;
	v = wgconf_trim(s + 1);
	*done = true;
	peer = cur_peer(p);
	n = strlen(v);
	if (n > CONF_PEER_NAME_MAX) {
		quote(p->err->value, sizeof(p->err->value), v, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "# Name: %s is longer than %u bytes", p->err->value,
				 (unsigned)CONF_PEER_NAME_MAX);
	}
	memcpy(peer->name, v, n + 1);
	peer->name_line = p->line;
	return 0;
}

/* One line, without its newline.  *keep says whether wg(8) would take it. */
static int parse_line(struct wgconf_ctx *p, char *line, bool *keep)
{
	const struct wgconf_key *k;
	char *s, *eq, *key, *value;
	bool named;
	int ret;

	*keep = true;
	s = wgconf_trim(line);
	if (*s == '#') {
		ret = peer_name(p, s, &named);
		if (ret || named)
			return ret;
	}
	s = strchr(line, '#');
	if (s)
		*s = '\0';
	s = wgconf_trim(line);
	if (!*s)
		return 0;
	if (*s == '[')
		return parse_header(p, s, keep);

	eq = strchr(s, '=');
	if (!eq) {
		quote(p->err->value, sizeof(p->err->value), s, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "expected \"Key = Value\" or a [Section] header, got %s",
				 p->err->value);
	}
	*eq = '\0';
	key = wgconf_trim(s);
	value = wgconf_trim(eq + 1);
	if (!p->sec) {
		quote(p->err->value, sizeof(p->err->value), key, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "key %s before any [Interface] or [Peer] section",
				 p->err->value);
	}
	k = find_key(p->sec, key);
	if (!k) {
		const struct wgconf_key *other = find_key(NULL, key);

		quote(p->err->value, sizeof(p->err->value), key, QUOTE_AUTO);
		if (other)
			return fail_line(p, -EINVAL, "key %s belongs in [%s], not [%s]",
					 p->err->value, other->section,
					 p->sec->name);
		return fail_line(p, -EINVAL, "unknown key %s in [%s] section",
				 p->err->value, p->sec->name);
	}
	p->key = k;
	if (!*value && !(k->flags & WGCONF_KEY_EMPTY_OK))
		return fail_key(p, "missing value");
	/* wg(8) refuses every empty value, even for AllowedIPs. */
	*keep = k->owner == WGCONF_OWNER_WG && p->sec->owner == WGCONF_OWNER_WG && *value;
	return k->set(p, k, value);
}

/* Copies a kept line as bash's "read -r" in wg-quick leaves it: without
 * leading and trailing spaces and tabs. */
static void strip_emit(struct textbuf *o, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	textbuf_append(o, s, n);
	textbuf_append(o, "\n", 1);
}

static int parse_buffer(const char *buf, size_t len, struct conf *conf,
			struct error *err, struct textbuf *strip)
{
	struct wgconf_ctx p = { .conf = conf, .err = err, .strip = strip };
	size_t pos = 0;
	char *line;
	int ret = 0;

	if (len > WGCONF_FILE_MAX)
		return fail_line(&p, -EINVAL, "larger than %u MiB",
				 (unsigned)(WGCONF_FILE_MAX >> 20));
	line = malloc(WGCONF_LINE_MAX + 1);
	if (!line)
		return fail_line(&p, -ENOMEM, "%s", strerror(ENOMEM));
	while (pos < len) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		bool keep;

		pos += n + (nl ? 1 : 0);
		p.line++;
		if (n > WGCONF_LINE_MAX) {
			ret = fail_line(&p, -EINVAL, "line longer than %u bytes",
					(unsigned)WGCONF_LINE_MAX);
			break;
		}
		if (memchr(s, '\0', n)) {
			ret = fail_line(&p, -EINVAL, "NUL byte in line");
			break;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		ret = parse_line(&p, line, &keep);
		if (ret)
			break;
		if (strip && keep)
			strip_emit(strip, s, n);
	}
	if (!ret)
		ret = end_section(&p);
	if (!ret && strip && strip->err)
		ret = fail_line(&p, strip->err, "%s", strerror(-strip->err));
	explicit_bzero(line, WGCONF_LINE_MAX + 1);
	free(line);
	return ret;
}

static void error_init(struct error *err, const char *filename)
{
	error_clear(err);
	snprintf(err->file, sizeof(err->file), "%s", filename ? filename : "(input)");
}

int wgconf_parse(const char *buf, size_t len, const char *filename,
		 struct conf **out, struct error *err)
{
	struct error dummy;
	struct conf *conf;
	int ret;

	if (!err)
		err = &dummy;
	error_init(err, filename);
	*out = NULL;
	conf = conf_alloc();
	if (!conf) {
		return error_fail_at(err, -ENOMEM, err->file, 0, NULL, "%s", strerror(ENOMEM));
	}
	ret = parse_buffer(buf, len, conf, err, NULL);
	err->code = ret;
	if (ret) {
		conf_free(conf);
		return ret;
	}
	*out = conf;
	return 0;
}

int wgconf_strip(const char *buf, size_t len, const char *filename,
		 char **out, size_t *out_len, struct error *err)
{
	struct error dummy;
	struct textbuf o = { 0 };
	struct conf *conf;
	int ret;

	if (!err)
		err = &dummy;
	error_init(err, filename);
	*out = NULL;
	*out_len = 0;
	conf = conf_alloc();
	if (!conf) {
		return error_fail_at(err, -ENOMEM, err->file, 0, NULL, "%s", strerror(ENOMEM));
	}
	textbuf_append(&o, "", 0); /* an empty file strips to "" */
	ret = parse_buffer(buf, len, conf, err, &o);
	err->code = ret;
	conf_free(conf);
	if (!ret && o.err) {
		ret = error_fail_at(err, o.err, err->file, 0, NULL, "%s", strerror(-o.err));
	}
	if (ret) {
		textbuf_wipe(&o);
		return ret;
	}
	*out = o.buf;
	*out_len = o.len;
	return 0;
}

/* --- printing ---------------------------------------------------------- */

char *wgconf_format(const struct conf *conf, enum wgconf_mode mode, size_t *len)
{
	struct textbuf o = { 0 };

	const struct wgconf_section *sec;
	const struct wgconf_key *k;

	for (size_t s = 0; (sec = section_at(s)); s++) {
		size_t n;

		if (mode == WGCONF_STRIP && sec->owner != WGCONF_OWNER_WG)
			continue;
		n = sec->instances(conf);
		for (size_t i = 0; i < n; i++) {
			textbuf_printf(&o, "%s[%s]\n", o.len ? "\n" : "", sec->name);
			if (!strcmp(sec->name, "Peer") && conf->peers[i].name[0])
				textbuf_printf(&o, "# Name = %s\n", conf->peers[i].name);
			for (size_t j = 0; (k = key_at(j)); j++) {
				if (strcmp(k->section, sec->name))
					continue;
				if (mode == WGCONF_STRIP && k->owner != WGCONF_OWNER_WG)
					continue;
				k->print(&o, k, conf, i);
			}
		}
	}
	if (o.err) {
		textbuf_wipe(&o);
		errno = -o.err;
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}

int wgconf_print(FILE *f, const struct conf *conf, enum wgconf_mode mode)
{
	size_t len;
	char *text = wgconf_format(conf, mode, &len);
	int ret = 0;

	if (!text)
		return -errno;
	if (fwrite(text, 1, len, f) != len)
		ret = -EIO;
	wgconf_text_free(text, len);
	return ret;
}
