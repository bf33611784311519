/* The firewall's state records, as the safe apply reads them back from
 * FIREWALL_STATE_DIR/IF.fw/ (fwdir.h, snapshot.h): the pending record of
 * an open confirm window, the outcome of the last one, and the header of
 * the snapshot a rollback restores.  Every input goes to all three
 * parsers; each takes only its own.
 *
 * What parses is written again and read back: the same record, and the
 * second writing is the same bytes as the first (parse, format, parse is
 * a fixed point).  A refusal leaves nothing behind. */
#include "common/textbuf.h"
#include "firewall/fwdir.h"
#include "firewall/snapshot.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_text(const struct textbuf *a, const struct textbuf *b)
{
	return !a->err && !b->err && a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

static bool same_pending(const struct fwdir_pending *a, const struct fwdir_pending *b)
{
	return !strcmp(a->id, b->id) && a->deadline == b->deadline && a->secs == b->secs &&
	       a->applied == b->applied && a->guard == b->guard && !strcmp(a->restore, b->restore);
}

static void pending(const char *buf, size_t len)
{
	struct fwdir_pending p, q, r;
	struct textbuf a = { 0 }, b = { 0 };
	int ret = fwdir_pending_parse(buf, len, &p);

	if (ret) {
		if (ret != -EBADMSG || p.text || p.restore || p.id[0])
			abort();
		return;
	}
	if (!p.id[0] || !p.restore || memchr(buf, '\0', len))
		abort();
	if (fwdir_pending_format(&a, &p, p.restore) || fwdir_pending_parse(a.buf, a.len, &q))
		abort(); /* what we write, we read */
	if (!same_pending(&p, &q) || fwdir_pending_format(&b, &q, q.restore) || !same_text(&a, &b))
		abort();
	if (fwdir_pending_parse(b.buf, b.len, &r) || !same_pending(&q, &r))
		abort();
	fwdir_pending_free(&p);
	fwdir_pending_free(&q);
	fwdir_pending_free(&r);
	textbuf_wipe(&a);
	textbuf_wipe(&b);
}

static bool same_outcome(const struct fwdir_outcome_record *a, const struct fwdir_outcome_record *b)
{
	return !strcmp(a->id, b->id) && a->outcome == b->outcome && !strcmp(a->reason, b->reason);
}

static void outcome(const char *buf, size_t len)
{
	struct fwdir_outcome_record r, s;
	struct textbuf a = { 0 }, b = { 0 };

	if (fwdir_outcome_parse(buf, len, &r))
		return;
	if (!r.id[0] || strchr(r.id, '\n') || strchr(r.reason, '\n'))
		abort(); /* one line each */
	if (fwdir_outcome_format(&a, r.id, r.outcome, r.reason) ||
	    fwdir_outcome_parse(a.buf, a.len, &s) || !same_outcome(&r, &s))
		abort();
	if (fwdir_outcome_format(&b, s.id, s.outcome, s.reason) || !same_text(&a, &b))
		abort();
	textbuf_wipe(&a);
	textbuf_wipe(&b);
}

static bool same_header(const struct snapshot_header *a, const struct snapshot_header *b)
{
	return !strcmp(a->table, b->table) && a->taken == b->taken && a->absent == b->absent;
}

static void snapshot(const char *buf, size_t len)
{
	struct snapshot_header h, g;
	struct textbuf a = { 0 }, b = { 0 };
	char *listing;

	if (snapshot_parse_header(buf, len, &h))
		return;
	if (h.body > len || memchr(buf, '\0', len))
		abort();
	/* Copied, not strndup()ed: the input has no terminator, and ASan's
	 * strict_string_checks (make check's setting) reads strndup's
	 * source as a string. */
	listing = malloc(len - h.body + 1);
	if (!listing)
		return;
	memcpy(listing, buf + h.body, len - h.body);
	listing[len - h.body] = '\0';
	if (snapshot_format(&a, h.table, listing, !h.absent, h.taken) ||
	    snapshot_parse_header(a.buf, a.len, &g) || !same_header(&h, &g))
		abort();
	/* Absent, the listing is left out; present, it is kept whole. */
	if (h.absent ? g.body != a.len : strcmp(a.buf + g.body, listing))
		abort();
	if (snapshot_format(&b, g.table, a.buf + g.body, !g.absent, g.taken) || !same_text(&a, &b))
		abort();
	free(listing);
	textbuf_wipe(&a);
	textbuf_wipe(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pending((const char *)data, size);
	outcome((const char *)data, size);
	snapshot((const char *)data, size);
	return 0;
}
