/* The firewall's named counters, listed and parsed (counters.h). */
#include "counters.h"

#include "firewall.h"
#include "nft.h"

#include "common/error.h"
#include "common/textbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "N" at *s, a decimal uint64, and the spaces after it. */
static bool number(const char **s, uint64_t *v)
{
	char *end;

	if (**s < '0' || **s > '9')
		return false;
	errno = 0;
	*v = strtoull(*s, &end, 10);
	if (errno)
		return false;
	*s = end + strspn(end, " \t");
	return true;
}

/* "packets N bytes N" (the line without its indentation). */
static bool counts(const char *l, size_t len, uint64_t *packets, uint64_t *bytes)
{
	char buf[96];
	const char *s = buf;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, l, len);
	buf[len] = '\0';
	if (strncmp(s, "packets ", 8))
		return false;
	s += 8;
	if (!number(&s, packets) || strncmp(s, "bytes ", 6))
		return false;
	s += 6;
	return number(&s, bytes) && !*s;
}

/* Whether l is "counter NAME {", the start of a counter's block; *ours
 * whether NAME is CHAIN_PURPOSE with parts that fit, which are then c's
 * chain and purpose. */
static bool header(const char *l, size_t len, struct firewall_counter *c, bool *ours)
{
	const char *name = l + 8, *us;
	size_t nlen, clen;

	*ours = false;
	if (len < 10 || strncmp(l, "counter ", 8) || strncmp(l + len - 2, " {", 2))
		return false;
	nlen = len - 10;
	us = memchr(name, '_', nlen);
	if (!us)
		return true;
	clen = (size_t)(us - name);
	if (!clen || clen >= sizeof(c->chain) || clen + 1 == nlen ||
	    nlen - clen - 1 >= sizeof(c->purpose))
		return true;
	memset(c, 0, sizeof(*c));
	memcpy(c->chain, name, clen);
	memcpy(c->purpose, us + 1, nlen - clen - 1);
	*ours = true;
	return true;
}

int firewall_counters_parse(const char *text, struct firewall_counters *out, struct error *err)
{
	struct firewall_counter c;
	unsigned line = 0, start = 0;
	bool in = false, ours = false, counted = false;

	out->n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\n");
		const char *t = l + strspn(l, " \t");

		line++;
		len -= (size_t)(t - l);
		while (len && strchr(" \t\r", t[len - 1]))
			len--;
		if (!in) {
			in = header(t, len, &c, &ours);
			start = line;
			counted = false;
		} else if (len == 1 && *t == '}') {
			in = false;
			if (!counted)
				return error_fail(err, -EINVAL, "line %u: a counter without its "
						  "\"packets N bytes N\" line", start);
			if (!ours)
				continue;
			if (out->n == FIREWALL_COUNTERS_MAX)
				return error_fail(err, -E2BIG, "line %u: more than %d counters",
						  start, FIREWALL_COUNTERS_MAX);
			out->v[out->n++] = c;
		} else if (len >= 8 && !strncmp(t, "packets ", 8)) {
			if (!counts(t, len, &c.packets, &c.bytes))
				return error_fail(err, -EINVAL, "line %u: \"%.*s\" is not "
						  "\"packets N bytes N\"", line, (int)(len > 64 ? 64 : len), t);
			counted = true;
		}
	}
	if (in)
		return error_fail(err, -EINVAL, "line %u: a counter without its \"}\"", start);
	return 0;
}

int firewall_counters_read(const char *ifname, struct firewall_counters *out, bool *exists,
			   struct error *err)
{
	char table[FIREWALL_TABLE_STRLEN];
	struct textbuf list = { 0 };
	int ret;

	out->n = 0;
	*exists = false;
	if (firewall_table_name(table, ifname))
		return error_fail(err, -EINVAL, "\"%s\" has no firewall table", ifname);
	ret = nft_list_counters(table, &list, exists, err);
	if (!ret && *exists)
		ret = firewall_counters_parse(list.buf ? list.buf : "", out, err);
	textbuf_wipe(&list);
	return ret;
}
