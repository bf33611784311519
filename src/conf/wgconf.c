#include "wgconf.h"

#include "policykeys.h"

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

/* Who reads a section or key.  Strip output keeps only OWNER_WG. */
enum owner {
	OWNER_WG,      /* wg(8) setconf */
	OWNER_WGQUICK, /* wg-quick's own keys */
	OWNER_RAMPART, /* Rampart alone; wg and wg-quick reject it */
};

enum section_id {
	SEC_INTERFACE,
	SEC_PEER,
	SEC_POLICY,
	SEC_COUNT,
};

enum key_flags {
	/* "Key =" is meaningful.  Every other key needs a value, as in wg(8),
	 * whose key matcher never matches "Key=" alone. */
	KEY_EMPTY_OK = 1 << 0,
};

struct parse;
struct key_def;

struct section_def {
	const char *name;
	enum owner owner;
	/* Called at the header; may create the instance. */
	int (*begin)(struct parse *p);
	/* Called at the next header or at the end of the file. */
	int (*end)(struct parse *p);
	/* How many instances the printer writes. */
	size_t (*instances)(const struct conf *conf);
};

struct key_def {
	enum section_id sec;
	const char *name; /* canonical spelling, matched case-insensitively */
	enum owner owner;
	unsigned flags;
	int arg; /* for setters shared by several keys */
	/* value is trimmed, NUL-terminated and may be modified. */
	int (*set)(struct parse *p, const struct key_def *k, char *value);
	/* Writes zero or more "Key = value" lines for instance idx. */
	void (*print)(struct textbuf *o, const struct key_def *k,
		      const struct conf *conf, size_t idx);
};

struct parse {
	struct conf *conf;
	const struct section_def *sec; /* NULL before the first header */
	unsigned sec_line;             /* line of that header */
	unsigned line;                 /* line being parsed */
	const struct key_def *key;     /* key being set, for messages */
	struct wgconf_error *err;
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
fail_line(struct parse *p, int ret, const char *fmt, ...)
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
static int fail_key(struct parse *p, const char *msg)
{
	p->err->line = p->line;
	snprintf(p->err->key, sizeof(p->err->key), "%s", p->key->name);
	snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	return -EINVAL;
}

/* "invalid WHAT "VALUE": WHY" for the key being set, the value already
 * quoted into p->err->value. */
static int fail_quoted(struct parse *p, const char *what, const char *why)
{
	p->err->line = p->line;
	snprintf(p->err->key, sizeof(p->err->key), "%s", p->key->name);
	snprintf(p->err->msg, sizeof(p->err->msg), "invalid %s %s: %s", what,
		 p->err->value, why);
	return -EINVAL;
}

static int fail_value(struct parse *p, const char *what, const char *value,
		      enum quote_mode mode, const char *why)
{
	quote(p->err->value, sizeof(p->err->value), value, mode);
	return fail_quoted(p, what, why);
}

static int fail_errno(struct parse *p, int ret)
{
	if (ret == -E2BIG)
		return fail_line(p, -EINVAL, "more than %u entries in one list",
				 (unsigned)CONF_LIST_MAX);
	return fail_line(p, ret, "%s", strerror(-ret));
}

int wgconf_error_format(char *buf, size_t size, const struct wgconf_error *err)
{
	const char *file = err->file ? err->file : "(input)";
	char where[32] = "";

	if (err->line)
		snprintf(where, sizeof(where), ":%u", err->line);
	return snprintf(buf, size, "%s%s: %s%s%s", file, where, err->key,
			err->key[0] ? ": " : "", err->msg);
}

/* --- field setters ----------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	s += strspn(s, ws);
	e = s + strlen(s);
	while (e > s && strchr(ws, e[-1]))
		*--e = '\0';
	return s;
}

static struct conf_peer *cur_peer(struct parse *p)
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

static int set_key(struct parse *p, uint8_t key[KEY_LEN], const char *value,
		   bool secret)
{
	/* Same acceptance as wg(8)'s key_from_base64(). */
	if (encoding_key_from_base64(key, value))
		return 0;
	return fail_value(p, "key", value, secret ? QUOTE_SECRET : QUOTE_PUBLIC,
			  key_reason(value));
}

static int set_private_key(struct parse *p, const struct key_def *k, char *value)
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
static int set_listen_port(struct parse *p, const struct key_def *k, char *value)
{
	const char *why;

	(void)k;
	if (!netaddr_parse_port(&p->conf->listen_port, value, &why))
		return fail_value(p, "port", value, QUOTE_AUTO, why);
	p->conf->has_listen_port = true;
	p->conf->listen_port_line = p->line;
	return 0;
}

static int set_fwmark(struct parse *p, const struct key_def *k, char *value)
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
static char *next_word(char **cursor)
{
	char *s = *cursor + strspn(*cursor, ", \t\n\v\f\r"), *e;

	if (!*s)
		return NULL;
	e = s + strcspn(s, ", \t\n\v\f\r");
	*cursor = *e ? e + 1 : e;
	*e = '\0';
	return s;
}

static int set_address(struct parse *p, const struct key_def *k, char *value)
{
	struct netaddr_prefix pfx;
	const char *why;
	char *w;
	int ret;

	(void)k;
	while ((w = next_word(&value))) {
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
static int set_dns(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_dns d;
	const char *why;
	char *w;
	int ret;

	(void)k;
	while ((w = next_word(&value))) {
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
static int set_mtu(struct parse *p, const struct key_def *k, char *value)
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
static int set_table(struct parse *p, const struct key_def *k, char *value)
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
static int set_hook(struct parse *p, const struct key_def *k, char *value)
{
	int ret = conf_add_hook(p->conf, (enum conf_hook_kind)k->arg, value, p->line);

	return ret ? fail_errno(p, ret) : 0;
}

/* wg-quick's read_bool runs under nocasematch, so "True" is fine too. */
static int set_save_config(struct parse *p, const struct key_def *k, char *value)
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

static int set_public_key(struct parse *p, const struct key_def *k, char *value)
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

static int set_preshared_key(struct parse *p, const struct key_def *k, char *value)
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
static int set_allowed_ips(struct parse *p, const struct key_def *k, char *value)
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
		item = trim(item);
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
static int set_endpoint(struct parse *p, const struct key_def *k, char *value)
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

static int set_keepalive(struct parse *p, const struct key_def *k, char *value)
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


/* --- the policy's setters ---------------------------------------------------
 *
 * Rampart-only keys (src/ops/policy.h; docs/firewall.md).  Scalar settings
 * are located by k->arg, their offset in struct conf_policy, so that one
 * setter and one printer serve every key of a kind.  Lists accumulate
 * over repeated lines, like AllowedIPs. */

#define POLICY_FIELD(type, p, k) ((type *)((char *)&(p)->conf->policy + (k)->arg))
#define POLICY_CFIELD(type, c, k) ((const type *)((const char *)&(c)->policy + (k)->arg))

static int set_policy_flag(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_flag *f = POLICY_FIELD(struct conf_flag, p, k);
	const char *why;
	bool on;

	if (!policykeys_parse_bool(&on, value, &why))
		return fail_value(p, "switch", value, QUOTE_AUTO, why);
	f->set = true;
	f->on = on;
	f->line = p->line;
	return 0;
}

static int set_policy_rate(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_rate_setting *r = POLICY_FIELD(struct conf_rate_setting, p, k);
	struct conf_rate rate;
	const char *why;

	if (!policykeys_parse_rate(&rate, value, &why))
		return fail_value(p, "rate", value, QUOTE_AUTO, why);
	r->set = true;
	r->rate = rate;
	r->line = p->line;
	return 0;
}

static int set_policy_port(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_number *n = POLICY_FIELD(struct conf_number, p, k);
	uint16_t port;
	const char *why;

	if (!netaddr_parse_port(&port, value, &why))
		return fail_value(p, "port", value, QUOTE_AUTO, why);
	if (!port)
		return fail_value(p, "port", value, QUOTE_AUTO, "port 0");
	n->set = true;
	n->value = port;
	n->line = p->line;
	return 0;
}

static int set_policy_burst(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_number *n = POLICY_FIELD(struct conf_number, p, k);
	uint32_t v;
	const char *why;

	if (!netaddr_parse_u32(&v, value, POLICY_HANDSHAKE_BURST_MAX, &why))
		return fail_value(p, "burst", value, QUOTE_AUTO, why);
	if (!v)
		return fail_value(p, "burst", value, QUOTE_AUTO, "a burst of 0 packets");
	n->set = true;
	n->value = v;
	n->line = p->line;
	return 0;
}

static int set_policy_prefixes(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_prefix_list *l = POLICY_FIELD(struct conf_prefix_list, p, k);
	struct netaddr_prefix pfx;
	const char *why;
	char *w;
	int ret;

	while ((w = next_word(&value))) {
		if (!netaddr_parse_prefix(&pfx, w, &why))
			return fail_value(p, "prefix", w, QUOTE_AUTO, why);
		ret = conf_prefix_list_add(l, &pfx, p->line);
		if (ret)
			return fail_errno(p, ret);
	}
	return 0;
}

/* [Interface] Policy = on|off. */
static int set_policy_enabled(struct parse *p, const struct key_def *k, char *value)
{
	return set_policy_flag(p, k, value);
}

static int set_role(struct parse *p, const struct key_def *k, char *value)
{
	const char *why;

	(void)k;
	if (!policykeys_parse_role(&p->conf->policy.role, value, &why))
		return fail_value(p, "role", value, QUOTE_AUTO, why);
	p->conf->policy.role_line = p->line;
	return 0;
}

/* SSHFrom = tunnel | any | none | PREFIX, ...: words and prefixes mix,
 * except "none", which stands alone. */
static int set_ssh_from(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_policy *pol = &p->conf->policy;
	struct netaddr_prefix pfx;
	char whole[sizeof(p->err->value)];
	size_t words = 0;
	bool none = false;
	const char *why;
	char *w;
	int ret;

	(void)k;
	quote(whole, sizeof(whole), value, QUOTE_AUTO);
	while ((w = next_word(&value))) {
		words++;
		if (!strcasecmp(w, "tunnel"))
			pol->ssh_from_tunnel = true;
		else if (!strcasecmp(w, "any"))
			pol->ssh_from_any = true;
		else if (!strcasecmp(w, "none"))
			none = true;
		else if (netaddr_parse_prefix(&pfx, w, &why)) {
			ret = conf_prefix_list_add(&pol->ssh_from, &pfx, p->line);
			if (ret)
				return fail_errno(p, ret);
		} else
			return fail_value(p, "source", w, QUOTE_AUTO,
					  "not tunnel, any, none or an address or prefix");
	}
	if (none && words > 1) {
		memcpy(p->err->value, whole, sizeof(whole));
		return fail_quoted(p, "list", "\"none\" cannot be combined with sources");
	}
	if (!pol->has_ssh_from)
		pol->ssh_from_line = p->line;
	pol->has_ssh_from = true;
	return 0;
}

static int set_services(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_ports ports;
	const char *why;
	char *w;
	int ret;

	(void)k;
	while ((w = next_word(&value))) {
		if (!policykeys_parse_ports(&ports, w, &why))
			return fail_value(p, "service", w, QUOTE_AUTO, why);
		ret = conf_add_service(p->conf, &ports, p->line);
		if (ret)
			return fail_errno(p, ret);
	}
	return 0;
}

static int set_wan(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_policy *pol = &p->conf->policy;
	const char *why;

	(void)k;
	if (!strcasecmp(value, "auto"))
		pol->wan[0] = '\0';
	else if (!policykeys_parse_ifname(pol->wan, value, &why))
		return fail_value(p, "interface", value, QUOTE_AUTO, why);
	pol->has_wan = true;
	pol->wan_line = p->line;
	return 0;
}

/* Forward = PREFIX [PROTO[/PORTS]], ...  Items are separated by commas;
 * within an item, the destination and the ports by spaces. */
static int set_forward(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	struct netaddr_prefix dst;
	struct conf_ports ports;
	char *item, *cursor = value, *dst_s, *ports_s, *rest;
	const char *why;
	int ret;

	(void)k;
	while ((item = strsep(&cursor, ","))) {
		item = trim(item);
		if (!*item)
			continue;
		dst_s = item;
		ports_s = item + strcspn(item, " \t");
		if (*ports_s)
			*ports_s++ = '\0';
		ports_s = trim(ports_s);
		rest = ports_s + strcspn(ports_s, " \t");
		if (*rest)
			return fail_value(p, "forward", trim(rest), QUOTE_AUTO,
					  "one destination and at most one PROTO/PORTS per item; "
					  "separate items with commas");
		if (!netaddr_parse_prefix(&dst, dst_s, &why))
			return fail_value(p, "destination", dst_s, QUOTE_AUTO, why);
		memset(&ports, 0, sizeof(ports));
		if (*ports_s && !policykeys_parse_ports(&ports, ports_s, &why))
			return fail_value(p, "ports", ports_s, QUOTE_AUTO, why);
		ret = conf_peer_add_forward(peer, &dst, &ports, p->line);
		if (ret)
			return fail_errno(p, ret);
	}
	return 0;
}

static int set_egress(struct parse *p, const struct key_def *k, char *value)
{
	struct conf_peer *peer = cur_peer(p);
	const char *why;
	bool on;

	(void)k;
	if (!policykeys_parse_bool(&on, value, &why))
		return fail_value(p, "switch", value, QUOTE_AUTO, why);
	peer->egress.set = true;
	peer->egress.on = on;
	peer->egress.line = p->line;
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

static void print_private_key(struct textbuf *o, const struct key_def *k,
			      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_private_key)
		print_b64(o, k->name, c->private_key);
}

static void print_listen_port(struct textbuf *o, const struct key_def *k,
			      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_listen_port)
		textbuf_printf(o, "%s = %u\n", k->name, c->listen_port);
}

static void print_fwmark(struct textbuf *o, const struct key_def *k,
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

static void print_prefixes(struct textbuf *o, const char *name,
			   const struct conf_prefix *v, size_t n)
{
	char buf[NETADDR_PREFIX_STRLEN];

	if (!n)
		return;
	textbuf_printf(o, "%s = ", name);
	for (size_t i = 0; i < n; i++)
		textbuf_printf(o, "%s%s", i ? ", " : "", netaddr_format_prefix(buf, &v[i].prefix));
	textbuf_printf(o, "\n");
}

static void print_address(struct textbuf *o, const struct key_def *k,
			  const struct conf *c, size_t idx)
{
	(void)idx;
	print_prefixes(o, k->name, c->addresses, c->n_addresses);
}

static void print_dns(struct textbuf *o, const struct key_def *k,
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

static void print_mtu(struct textbuf *o, const struct key_def *k,
		      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_mtu)
		textbuf_printf(o, "%s = %u\n", k->name, c->mtu);
}

static void print_table(struct textbuf *o, const struct key_def *k,
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

static void print_hook(struct textbuf *o, const struct key_def *k,
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

static void print_save_config(struct textbuf *o, const struct key_def *k,
			      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->has_save_config)
		textbuf_printf(o, "%s = %s\n", k->name, c->save_config ? "true" : "false");
}

static void print_public_key(struct textbuf *o, const struct key_def *k,
			     const struct conf *c, size_t idx)
{
	if (c->peers[idx].has_public_key)
		print_b64(o, k->name, c->peers[idx].public_key);
}

static void print_preshared_key(struct textbuf *o, const struct key_def *k,
				const struct conf *c, size_t idx)
{
	if (c->peers[idx].has_preshared_key)
		print_b64(o, k->name, c->peers[idx].preshared_key);
}

static void print_allowed_ips(struct textbuf *o, const struct key_def *k,
			      const struct conf *c, size_t idx)
{
	print_prefixes(o, k->name, c->peers[idx].allowed_ips,
		       c->peers[idx].n_allowed_ips);
}

static void print_endpoint(struct textbuf *o, const struct key_def *k,
			   const struct conf *c, size_t idx)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	if (c->peers[idx].has_endpoint)
		textbuf_printf(o, "%s = %s\n", k->name,
		     netaddr_format_endpoint(buf, &c->peers[idx].endpoint));
}

static void print_keepalive(struct textbuf *o, const struct key_def *k,
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


/* --- the policy's printers ------------------------------------------------ */

static void print_policy_flag(struct textbuf *o, const struct key_def *k,
			      const struct conf *c, size_t idx)
{
	const struct conf_flag *f = POLICY_CFIELD(struct conf_flag, c, k);

	(void)idx;
	if (f->set)
		textbuf_printf(o, "%s = %s\n", k->name, f->on ? "on" : "off");
}

static void print_policy_rate(struct textbuf *o, const struct key_def *k,
			      const struct conf *c, size_t idx)
{
	const struct conf_rate_setting *r = POLICY_CFIELD(struct conf_rate_setting, c, k);
	char buf[32];

	(void)idx;
	if (!r->set)
		return;
	policykeys_format_rate(buf, sizeof(buf), &r->rate);
	textbuf_printf(o, "%s = %s\n", k->name, buf);
}

static void print_policy_number(struct textbuf *o, const struct key_def *k,
				const struct conf *c, size_t idx)
{
	const struct conf_number *n = POLICY_CFIELD(struct conf_number, c, k);

	(void)idx;
	if (n->set)
		textbuf_printf(o, "%s = %u\n", k->name, n->value);
}

static void print_policy_prefixes(struct textbuf *o, const struct key_def *k,
				  const struct conf *c, size_t idx)
{
	const struct conf_prefix_list *l = POLICY_CFIELD(struct conf_prefix_list, c, k);

	(void)idx;
	print_prefixes(o, k->name, l->v, l->n);
}

static void print_role(struct textbuf *o, const struct key_def *k,
		       const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->policy.role != CONF_ROLE_AUTO)
		textbuf_printf(o, "%s = %s\n", k->name, policykeys_role_name(c->policy.role));
}

static void print_ssh_from(struct textbuf *o, const struct key_def *k,
			   const struct conf *c, size_t idx)
{
	const struct conf_policy *pol = &c->policy;
	char buf[NETADDR_PREFIX_STRLEN];
	const char *sep = "";

	(void)idx;
	if (!pol->has_ssh_from)
		return;
	textbuf_printf(o, "%s = ", k->name);
	if (pol->ssh_from_tunnel) {
		textbuf_printf(o, "tunnel");
		sep = ", ";
	}
	if (pol->ssh_from_any) {
		textbuf_printf(o, "%sany", sep);
		sep = ", ";
	}
	for (size_t i = 0; i < pol->ssh_from.n; i++) {
		textbuf_printf(o, "%s%s", sep, netaddr_format_prefix(buf, &pol->ssh_from.v[i].prefix));
		sep = ", ";
	}
	textbuf_printf(o, "%s\n", *sep ? "" : "none");
}

static void print_services(struct textbuf *o, const struct key_def *k,
			   const struct conf *c, size_t idx)
{
	char buf[32];

	(void)idx;
	if (!c->policy.services.n)
		return;
	textbuf_printf(o, "%s = ", k->name);
	for (size_t i = 0; i < c->policy.services.n; i++) {
		policykeys_format_ports(buf, sizeof(buf), &c->policy.services.v[i].ports);
		textbuf_printf(o, "%s%s", i ? ", " : "", buf);
	}
	textbuf_printf(o, "\n");
}

static void print_wan(struct textbuf *o, const struct key_def *k,
		      const struct conf *c, size_t idx)
{
	(void)idx;
	if (c->policy.has_wan)
		textbuf_printf(o, "%s = %s\n", k->name, c->policy.wan[0] ? c->policy.wan : "auto");
}

static void print_forward(struct textbuf *o, const struct key_def *k,
			  const struct conf *c, size_t idx)
{
	const struct conf_peer *peer = &c->peers[idx];
	char dst[NETADDR_PREFIX_STRLEN], ports[32];

	if (!peer->forwards.n)
		return;
	textbuf_printf(o, "%s = ", k->name);
	for (size_t i = 0; i < peer->forwards.n; i++) {
		policykeys_format_ports(ports, sizeof(ports), &peer->forwards.v[i].ports);
		textbuf_printf(o, "%s%s%s%s", i ? ", " : "",
			       netaddr_format_prefix(dst, &peer->forwards.v[i].dst),
			       ports[0] ? " " : "", ports);
	}
	textbuf_printf(o, "\n");
}

static void print_egress(struct textbuf *o, const struct key_def *k,
			 const struct conf *c, size_t idx)
{
	const struct conf_peer *peer = &c->peers[idx];

	if (peer->egress.set)
		textbuf_printf(o, "%s = %s\n", k->name, peer->egress.on ? "on" : "off");
}

/* --- sections ---------------------------------------------------------- */

static int begin_interface(struct parse *p)
{
	/* wg(8) merges repeated [Interface] sections; so do we. */
	if (!p->conf->interface_line)
		p->conf->interface_line = p->line;
	return 0;
}

static int begin_peer(struct parse *p)
{
	if (conf_add_peer(p->conf, p->line))
		return 0;
	if (errno == E2BIG)
		return fail_line(p, -EINVAL, "more than %u peers",
				 (unsigned)CONF_PEERS_MAX);
	return fail_line(p, -ENOMEM, "%s", strerror(ENOMEM));
}

static int end_peer(struct parse *p)
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

static int begin_policy(struct parse *p)
{
	/* Repeated [Policy] sections merge, like [Interface]. */
	if (!p->conf->policy.line)
		p->conf->policy.line = p->line;
	return 0;
}

/* The printer writes [Policy] when the file had one or sets any of its
 * keys (a conf built in code). */
static size_t count_policy(const struct conf *conf)
{
	const struct conf_policy *pol = &conf->policy;

	return pol->line || pol->role != CONF_ROLE_AUTO || pol->ssh_port.set ||
	       pol->has_ssh_from || pol->ssh_limit.set || pol->services.n ||
	       pol->isolation.set || pol->has_wan || pol->handshake_limit.set ||
	       pol->handshake_burst.set || pol->log_drops.set || pol->log_rate.set ||
	       pol->kill_switch.set || pol->kill_switch_allow.n ||
	       pol->local_networks.n || pol->mss_clamp.set;
}

/* Print order is table order. */
static const struct section_def sections[SEC_COUNT] = {
	[SEC_INTERFACE] = { "Interface", OWNER_WG, begin_interface, NULL, one_interface },
	[SEC_PEER] = { "Peer", OWNER_WG, begin_peer, end_peer, count_peers },
	[SEC_POLICY] = { "Policy", OWNER_RAMPART, begin_policy, NULL, count_policy },
};

#define POL(field) (int)offsetof(struct conf_policy, field)

static const struct key_def keys[] = {
	{ SEC_INTERFACE, "PrivateKey", OWNER_WG, 0, 0, set_private_key, print_private_key },
	{ SEC_INTERFACE, "ListenPort", OWNER_WG, 0, 0, set_listen_port, print_listen_port },
	{ SEC_INTERFACE, "FwMark", OWNER_WG, 0, 0, set_fwmark, print_fwmark },
	{ SEC_INTERFACE, "Address", OWNER_WGQUICK, KEY_EMPTY_OK, 0, set_address, print_address },
	{ SEC_INTERFACE, "DNS", OWNER_WGQUICK, KEY_EMPTY_OK, 0, set_dns, print_dns },
	{ SEC_INTERFACE, "MTU", OWNER_WGQUICK, KEY_EMPTY_OK, 0, set_mtu, print_mtu },
	{ SEC_INTERFACE, "Table", OWNER_WGQUICK, KEY_EMPTY_OK, 0, set_table, print_table },
	{ SEC_INTERFACE, "PreUp", OWNER_WGQUICK, KEY_EMPTY_OK, CONF_HOOK_PRE_UP, set_hook, print_hook },
	{ SEC_INTERFACE, "PostUp", OWNER_WGQUICK, KEY_EMPTY_OK, CONF_HOOK_POST_UP, set_hook, print_hook },
	{ SEC_INTERFACE, "PreDown", OWNER_WGQUICK, KEY_EMPTY_OK, CONF_HOOK_PRE_DOWN, set_hook, print_hook },
	{ SEC_INTERFACE, "PostDown", OWNER_WGQUICK, KEY_EMPTY_OK, CONF_HOOK_POST_DOWN, set_hook, print_hook },
	{ SEC_INTERFACE, "SaveConfig", OWNER_WGQUICK, 0, 0, set_save_config, print_save_config },
	{ SEC_INTERFACE, "Policy", OWNER_RAMPART, 0, POL(enabled), set_policy_enabled, print_policy_flag },
	{ SEC_PEER, "PublicKey", OWNER_WG, 0, 0, set_public_key, print_public_key },
	{ SEC_PEER, "PresharedKey", OWNER_WG, 0, 0, set_preshared_key, print_preshared_key },
	{ SEC_PEER, "AllowedIPs", OWNER_WG, KEY_EMPTY_OK, 0, set_allowed_ips, print_allowed_ips },
	{ SEC_PEER, "Endpoint", OWNER_WG, 0, 0, set_endpoint, print_endpoint },
	{ SEC_PEER, "PersistentKeepalive", OWNER_WG, 0, 0, set_keepalive, print_keepalive },
	{ SEC_PEER, "Forward", OWNER_RAMPART, 0, 0, set_forward, print_forward },
	{ SEC_PEER, "Egress", OWNER_RAMPART, 0, 0, set_egress, print_egress },
	{ SEC_POLICY, "Role", OWNER_RAMPART, 0, 0, set_role, print_role },
	{ SEC_POLICY, "SSHPort", OWNER_RAMPART, 0, POL(ssh_port), set_policy_port, print_policy_number },
	{ SEC_POLICY, "SSHFrom", OWNER_RAMPART, 0, 0, set_ssh_from, print_ssh_from },
	{ SEC_POLICY, "SSHLimit", OWNER_RAMPART, 0, POL(ssh_limit), set_policy_rate, print_policy_rate },
	{ SEC_POLICY, "Services", OWNER_RAMPART, 0, 0, set_services, print_services },
	{ SEC_POLICY, "Isolation", OWNER_RAMPART, 0, POL(isolation), set_policy_flag, print_policy_flag },
	{ SEC_POLICY, "WANInterface", OWNER_RAMPART, 0, 0, set_wan, print_wan },
	{ SEC_POLICY, "HandshakeLimit", OWNER_RAMPART, 0, POL(handshake_limit), set_policy_rate, print_policy_rate },
	{ SEC_POLICY, "HandshakeBurst", OWNER_RAMPART, 0, POL(handshake_burst), set_policy_burst, print_policy_number },
	{ SEC_POLICY, "LogDrops", OWNER_RAMPART, 0, POL(log_drops), set_policy_flag, print_policy_flag },
	{ SEC_POLICY, "LogRate", OWNER_RAMPART, 0, POL(log_rate), set_policy_rate, print_policy_rate },
	{ SEC_POLICY, "KillSwitch", OWNER_RAMPART, 0, POL(kill_switch), set_policy_flag, print_policy_flag },
	{ SEC_POLICY, "KillSwitchAllow", OWNER_RAMPART, 0, POL(kill_switch_allow), set_policy_prefixes, print_policy_prefixes },
	{ SEC_POLICY, "LocalNetworks", OWNER_RAMPART, 0, POL(local_networks), set_policy_prefixes, print_policy_prefixes },
	{ SEC_POLICY, "MSSClamp", OWNER_RAMPART, 0, POL(mss_clamp), set_policy_flag, print_policy_flag },
};

static const struct key_def *find_key(const struct section_def *sec, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if ((!sec || &sections[keys[i].sec] == sec) &&
		    !strcasecmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* --- lines ------------------------------------------------------------- */

static int end_section(struct parse *p)
{
	if (p->sec && p->sec->end)
		return p->sec->end(p);
	return 0;
}

static int parse_header(struct parse *p, char *s, bool *keep)
{
	const struct section_def *sec = NULL;
	size_t n = strlen(s);
	char *name;
	int ret;

	if (n < 2 || s[n - 1] != ']') {
		quote(p->err->value, sizeof(p->err->value), s, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "malformed section header %s", p->err->value);
	}
	s[n - 1] = '\0';
	name = trim(s + 1);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcasecmp(sections[i].name, name))
			sec = &sections[i];
	if (!sec) {
		quote(p->err->value, sizeof(p->err->value), name, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "unknown section %s", p->err->value);
	}
	ret = end_section(p);
	if (ret)
		return ret;
	p->sec = sec;
	p->sec_line = p->line;
	*keep = sec->owner == OWNER_WG;
	return sec->begin ? sec->begin(p) : 0;
}

/* One line, without its newline.  *keep says whether wg(8) would take it. */
static int parse_line(struct parse *p, char *line, bool *keep)
{
	const struct key_def *k;
	char *s, *eq, *key, *value;

	*keep = true;
	s = strchr(line, '#');
	if (s)
		*s = '\0';
	s = trim(line);
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
	key = trim(s);
	value = trim(eq + 1);
	if (!p->sec) {
		quote(p->err->value, sizeof(p->err->value), key, QUOTE_AUTO);
		return fail_line(p, -EINVAL, "key %s before any [Interface] or [Peer] section",
				 p->err->value);
	}
	k = find_key(p->sec, key);
	if (!k) {
		const struct key_def *other = find_key(NULL, key);

		quote(p->err->value, sizeof(p->err->value), key, QUOTE_AUTO);
		if (other)
			return fail_line(p, -EINVAL, "key %s belongs in [%s], not [%s]",
					 p->err->value, sections[other->sec].name,
					 p->sec->name);
		return fail_line(p, -EINVAL, "unknown key %s in [%s] section",
				 p->err->value, p->sec->name);
	}
	p->key = k;
	if (!*value && !(k->flags & KEY_EMPTY_OK))
		return fail_key(p, "missing value");
	/* wg(8) refuses every empty value, even for AllowedIPs. */
	*keep = k->owner == OWNER_WG && p->sec->owner == OWNER_WG && *value;
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
			struct wgconf_error *err, struct textbuf *strip)
{
	struct parse p = { .conf = conf, .err = err, .strip = strip };
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

static void error_init(struct wgconf_error *err, const char *filename)
{
	memset(err, 0, sizeof(*err));
	err->file = filename;
}

int wgconf_parse(const char *buf, size_t len, const char *filename,
		 struct conf **out, struct wgconf_error *err)
{
	struct wgconf_error dummy;
	struct conf *conf;
	int ret;

	if (!err)
		err = &dummy;
	error_init(err, filename);
	*out = NULL;
	conf = conf_alloc();
	if (!conf) {
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = parse_buffer(buf, len, conf, err, NULL);
	if (ret) {
		conf_free(conf);
		return ret;
	}
	*out = conf;
	return 0;
}

int wgconf_strip(const char *buf, size_t len, const char *filename,
		 char **out, size_t *out_len, struct wgconf_error *err)
{
	struct wgconf_error dummy;
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
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	textbuf_append(&o, "", 0); /* an empty file strips to "" */
	ret = parse_buffer(buf, len, conf, err, &o);
	conf_free(conf);
	if (!ret && o.err) {
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-o.err));
		ret = o.err;
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

	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		const struct section_def *sec = &sections[s];
		size_t n;

		if (mode == WGCONF_STRIP && sec->owner != OWNER_WG)
			continue;
		n = sec->instances(conf);
		for (size_t i = 0; i < n; i++) {
			textbuf_printf(&o, "%s[%s]\n", o.len ? "\n" : "", sec->name);
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				if (keys[k].sec != s)
					continue;
				if (mode == WGCONF_STRIP && keys[k].owner != OWNER_WG)
					continue;
				keys[k].print(&o, &keys[k], conf, i);
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
