/* The snapshot the safe apply restores: table inet rampart-IF as it is,
 * as a batch that puts it back. */
#define _GNU_SOURCE /* memmem */
#include "snapshot.h"

#include "firewall.h"
#include "common/error.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- snapshots ---------------------------------------------------------------- */

/* Counts braces on a line, outside quoted strings. */
static int brace_delta(const char *l, size_t n)
{
	bool q = false;
	int d = 0;

	for (size_t i = 0; i < n; i++) {
		if (l[i] == '"')
			q = !q;
		else if (!q && l[i] == '{')
			d++;
		else if (!q && l[i] == '}')
			d--;
	}
	return d;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Appends a set or map block, without its "elements = { ... }" if its
 * flags say dynamic. */
static void emit_set_block(struct textbuf *out, const char *b, size_t n)
{
	bool dynamic = false;
	const char *l, *end = b + n;

	for (l = b; l < end; l += strcspn(l, "\n") + 1) {
		const char *s = skip_ws(l);
		size_t len = strcspn(s, "\n");

		if (!strncmp(s, "flags ", 6) && memmem(s, len, "dynamic", 7))
			dynamic = true;
	}
	for (l = b; l < end;) {
		size_t len = strcspn(l, "\n") + 1;

		if (dynamic && !strncmp(skip_ws(l), "elements = {", 12)) {
			int depth = 0;

			/* Up to the line where its braces close. */
			while (l < end) {
				len = strcspn(l, "\n") + 1;
				depth += brace_delta(l, len);
				l += len;
				if (depth <= 0)
					break;
			}
			continue;
		}
		textbuf_append(out, l, len);
		l += len;
	}
}

/* The listing without the elements of its dynamic sets and maps. */
static void strip_dynamic_elements(struct textbuf *out, const char *listing)
{
	const char *l = listing, *block = NULL;
	int depth = 0, block_depth = 0;

	while (*l) {
		size_t len = strcspn(l, "\n");
		const char *s = skip_ws(l);

		if (l[len] == '\n')
			len++;
		if (!block && depth == 1 && (!strncmp(s, "set ", 4) || !strncmp(s, "map ", 4))) {
			block = l;
			block_depth = depth;
		}
		depth += brace_delta(l, len);
		if (!block)
			textbuf_append(out, l, len);
		else if (depth <= block_depth) {
			emit_set_block(out, block, (size_t)(l + len - block));
			block = NULL;
		}
		l += len;
	}
	if (block)
		textbuf_append(out, block, strlen(block));
}

#define HEAD_PREFIX "# rampart: table inet "
#define HEAD_SUFFIX " as it was before an apply; `nft -f` this file to restore it\n"

int snapshot_format(struct textbuf *s, const char *table, const char *listing, bool exists,
		    long long taken)
{
	textbuf_printf(s, HEAD_PREFIX "%s" HEAD_SUFFIX "# taken %lld\n# table %s\n", table, taken,
		       exists ? "present" : "absent");
	textbuf_printf(s, "add table inet %s\ndelete table inet %s\n", table, table);
	if (exists)
		textbuf_append(s, listing, strlen(listing));
	return s->err;
}

/* The line at *at (of the len bytes of buf) if it is exactly want. */
static bool line_is(const char *buf, size_t len, size_t *at, const char *want)
{
	size_t n = strlen(want);

	if (len - *at < n || memcmp(buf + *at, want, n))
		return false;
	*at += n;
	return true;
}

/* "PREFIX%sSUFFIX" at *at with %s 1 to FIREWALL_TABLE_STRLEN-1 bytes of
 * no space, newline or NUL, into table. */
static bool table_line(const char *buf, size_t len, size_t *at, const char *prefix,
		       const char *suffix, char table[FIREWALL_TABLE_STRLEN])
{
	size_t n = 0;

	if (!line_is(buf, len, at, prefix))
		return false;
	while (*at + n < len && n < FIREWALL_TABLE_STRLEN && !strchr(" \n", buf[*at + n]) &&
	       buf[*at + n])
		n++;
	if (!n || n == FIREWALL_TABLE_STRLEN)
		return false;
	memcpy(table, buf + *at, n);
	table[n] = '\0';
	*at += n;
	return line_is(buf, len, at, suffix);
}

int snapshot_parse_header(const char *buf, size_t len, struct snapshot_header *h)
{
	char taken[24], again[FIREWALL_TABLE_STRLEN], *end;
	size_t at = 0, n = 0;

	memset(h, 0, sizeof(*h));
	/* nft takes the batch as a C string: a NUL would cut it short. */
	if (memchr(buf, '\0', len) ||
	    !table_line(buf, len, &at, HEAD_PREFIX, HEAD_SUFFIX, h->table) ||
	    !line_is(buf, len, &at, "# taken "))
		goto bad;
	if (at < len && buf[at] == '-')
		taken[n++] = buf[at++];
	while (at < len && n < sizeof(taken) - 1 && buf[at] >= '0' && buf[at] <= '9')
		taken[n++] = buf[at++];
	taken[n] = '\0';
	errno = 0;
	h->taken = strtoll(taken, &end, 10);
	if (errno || end == taken || *end || !line_is(buf, len, &at, "\n# table "))
		goto bad;
	if (line_is(buf, len, &at, "absent\n"))
		h->absent = true;
	else if (!line_is(buf, len, &at, "present\n"))
		goto bad;
	if (!table_line(buf, len, &at, "add table inet ", "\n", again) || strcmp(again, h->table) ||
	    !table_line(buf, len, &at, "delete table inet ", "\n", again) || strcmp(again, h->table))
		goto bad;
	h->body = at;
	return 0;
bad:
	memset(h, 0, sizeof(*h));
	return -EBADMSG;
}

/* The batch that puts table inet `table` back as it is now, checked to
 * re-load. */
int snapshot_take(const char *table, struct textbuf *s, struct error *err)
{
	struct error e;
	struct textbuf listing = { 0 }, stripped = { 0 };
	bool exists;
	int ret;

	ret = firewall_list_table(table, true, &listing, &exists, &e);
	if (ret) {
		textbuf_wipe(&listing);
		return error_fail(err, ret, "cannot list table inet %s for the snapshot: %s",
			    table, e.msg);
	}
	ret = snapshot_format(s, table, listing.buf ? listing.buf : "", exists, (long long)time(NULL));
	if (!ret)
		ret = firewall_check(s->buf, &e);
	if (ret == -EINVAL && exists) {
		/* Elements of dynamic sets (per-source limiters) may not
		 * re-load as nft lists them; they are state traffic refills,
		 * not policy. */
		strip_dynamic_elements(&stripped, listing.buf);
		textbuf_wipe(s);
		ret = snapshot_format(s, table, stripped.buf ? stripped.buf : "", exists,
				      (long long)time(NULL));
		if (!ret)
			ret = firewall_check(s->buf, &e);
	}
	textbuf_wipe(&listing);
	textbuf_wipe(&stripped);
	if (ret)
		return error_fail(err, ret, "nft cannot re-load its own listing of table inet %s, "
			    "so a change could not be rolled back; nothing applied: %s", table, e.msg);
	return 0;
}
