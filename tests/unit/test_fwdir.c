/* src/firewall/fwdir.c and snapshot.c: the safe apply's state records as
 * bytes (the pending record, the outcome, the snapshot's header), each
 * written and read back, the refusals of what no writer makes, and the
 * files themselves through a scratch state directory. */
#include "harness.h"

#include "common/textbuf.h"
#include "firewall/fwdir.h"
#include "firewall/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "rampart-firewall-pending 1\n"
#define RESTORE "add table inet rampart-wg0\ndelete table inet rampart-wg0\n" \
		"table inet rampart-wg0 {\n}\n"

/* A literal and its length, NULs included. */
#define LIT(s) s, sizeof(s) - 1

static int parse_str(const char *s, struct fwdir_pending *p)
{
	return fwdir_pending_parse(s, strlen(s), p);
}

/* 1: a record written is read back, field for field and byte for byte. */
static void test_pending_round_trip(void)
{
	struct fwdir_pending p = { .deadline = 18446744073709551615ull, .secs = 4294967295u,
				   .applied = -5, .guard = 2147483647 }, q;
	struct textbuf t = { 0 }, u = { 0 };

	snprintf(p.id, sizeof(p.id), "%s", "12345.1700000000123456789");
	CHECK(fwdir_pending_format(&t, &p, RESTORE) == 0);
	CHECK(fwdir_pending_parse(t.buf, t.len, &q) == 0);
	CHECK_STR(q.id, p.id);
	CHECK(q.deadline == p.deadline && q.secs == p.secs && q.applied == p.applied &&
	      q.guard == p.guard);
	CHECK_STR(q.restore, RESTORE);
	CHECK(fwdir_pending_format(&u, &q, q.restore) == 0);
	CHECK(u.len == t.len && !memcmp(u.buf, t.buf, t.len));
	fwdir_pending_free(&q);
	/* applied and guard may be absent; a repeated line counts last. */
	CHECK(parse_str(MAGIC "window 30\nid a\ndeadline 7\nid b\nrestore:\n", &q) == 0);
	CHECK_STR(q.id, "b");
	CHECK(q.secs == 30 && q.deadline == 7 && q.applied == 0 && q.guard == 0);
	CHECK_STR(q.restore, "");
	fwdir_pending_free(&q);
	textbuf_wipe(&t);
	textbuf_wipe(&u);
}

/* 2: what no writer makes is not a pending record. */
static void test_pending_refused(void)
{
	static const char *const bad[] = {
		"id a\ndeadline 1\nwindow 1\nrestore:\n",           /* no magic */
		MAGIC "id a\ndeadline 1\nwindow 1\n",                /* no restore mark */
		MAGIC "id a\ndeadline 1\nrestore:\n",                /* no window */
		MAGIC "id a\ndeadline 1\nwindow 1\nowner x\nrestore:\n",
		MAGIC "id \ndeadline 1\nwindow 1\nrestore:\n",
		MAGIC "id 0123456789012345678901234567890123456789012345678\ndeadline 1\n"
		      "window 1\nrestore:\n",                        /* a 48-byte id */
		MAGIC "id a\ndeadline 1\nwindow 1\n\nrestore:\n",    /* an empty line */
		/* Numbers as printed, nothing strtoul would also take. */
		MAGIC "id a\ndeadline -1\nwindow 1\nrestore:\n",
		MAGIC "id a\ndeadline  1\nwindow 1\nrestore:\n",
		MAGIC "id a\ndeadline +1\nwindow 1\nrestore:\n",
		MAGIC "id a\ndeadline 18446744073709551616\nwindow 1\nrestore:\n",
		MAGIC "id a\ndeadline 1\nwindow 4294967296\nrestore:\n",
		MAGIC "id a\ndeadline 1\nwindow 0x10\nrestore:\n",
		MAGIC "id a\ndeadline 1\nwindow 1\nguard -1\nrestore:\n",
		MAGIC "id a\ndeadline 1\nwindow 1\nguard 2147483648\nrestore:\n",
		MAGIC "id a\ndeadline 1\nwindow 1\napplied 9223372036854775808\nrestore:\n",
		MAGIC "id a\ndeadline 1\nwindow 1\napplied -\nrestore:\n",
		MAGIC "id a\ndeadline\nwindow 1\nrestore:\n",
	};
	struct fwdir_pending p;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_MSG(parse_str(bad[i], &p) == -EBADMSG, "case %zu accepted", i);
		CHECK(!p.text && !p.restore && !p.id[0]);
	}
	CHECK(parse_str(MAGIC "id a\ndeadline 1\nwindow 1\napplied -9223372036854775808\n"
			"restore:\n", &p) == 0 && p.applied == -9223372036854775807ll - 1);
	fwdir_pending_free(&p);
}

/* 3: a NUL in the record ended the restore batch there, and the rest of
 * the table was silently left out of a rollback: refused now. */
static void test_pending_nul(void)
{
	static const char rec[] = MAGIC "id a\ndeadline 1\nwindow 1\nrestore:\n"
				  "add table inet x\n\0delete table inet x\n";
	struct fwdir_pending p;

	CHECK(fwdir_pending_parse(rec, sizeof(rec) - 1, &p) == -EBADMSG);
	CHECK(fwdir_pending_parse(rec, strchr(rec, '\0') - rec, &p) == 0);
	fwdir_pending_free(&p);
}

/* 4: the outcome: written, read back; a reason made one line and cut
 * to what a reader keeps, so that no reason adds a line of its own. */
static void test_outcome(void)
{
	struct fwdir_outcome_record r;
	struct textbuf t = { 0 };
	char reason[400];

	CHECK(fwdir_outcome_format(&t, "1.2", FWDIR_ROLLED_BACK, "not confirmed within 30 s") == 0);
	CHECK_STR(t.buf, "id 1.2\nresult rolled-back\nreason not confirmed within 30 s\n");
	CHECK(fwdir_outcome_parse(t.buf, t.len, &r) == 0);
	CHECK(r.outcome == FWDIR_ROLLED_BACK);
	CHECK_STR(r.id, "1.2");
	CHECK_STR(r.reason, "not confirmed within 30 s");
	textbuf_wipe(&t);
	CHECK(fwdir_outcome_format(&t, "1.2", FWDIR_FAILED, "nft said:\nid 9.9\nresult kept") == 0);
	CHECK(fwdir_outcome_parse(t.buf, t.len, &r) == 0);
	CHECK(r.outcome == FWDIR_FAILED);
	CHECK_STR(r.id, "1.2");
	CHECK_STR(r.reason, "nft said: id 9.9 result kept");
	textbuf_wipe(&t);
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	CHECK(fwdir_outcome_format(&t, "1.2", FWDIR_KEPT, reason) == 0);
	CHECK(fwdir_outcome_parse(t.buf, t.len, &r) == 0);
	CHECK(strlen(r.reason) == FWDIR_REASON_STRLEN - 1);
	textbuf_wipe(&t);
	/* The last of each line counts; no final newline is needed. */
	CHECK(fwdir_outcome_parse(LIT("id a\nresult kept\nid b\nresult flushed"), &r) == 0);
	CHECK(r.outcome == FWDIR_FLUSHED && !strcmp(r.id, "b") && !r.reason[0]);
	/* Refused: no id, an id no window has, an unknown result, a NUL. */
	CHECK(fwdir_outcome_parse(LIT("result kept\n"), &r) == -EBADMSG);
	CHECK(fwdir_outcome_parse(LIT("id \nresult kept\n"), &r) == -EBADMSG);
	CHECK(fwdir_outcome_parse(LIT("id a\nresult Kept\n"), &r) == -EBADMSG);
	CHECK(fwdir_outcome_parse(LIT("id a\nresult kept\0\n"), &r) == -EBADMSG);
	CHECK(fwdir_outcome_parse(LIT("id 0123456789012345678901234567890123456789012345678\n"
				      "result kept\n"), &r) == -EBADMSG);
}

/* 5: the snapshot's header, as snapshot_take writes it. */
static void test_snapshot_header(void)
{
	static const char *const bad[] = {
		"", "# rampart: table inet x as it was before an apply\n",
		"# rampart: table inet x as it was before an apply; `nft -f` this file to restore "
		"it\n# taken 5\n# table present\nadd table inet y\ndelete table inet y\n",
		"# rampart: table inet x as it was before an apply; `nft -f` this file to restore "
		"it\n# taken 5x\n# table present\nadd table inet x\ndelete table inet x\n",
		"# rampart: table inet x as it was before an apply; `nft -f` this file to restore "
		"it\n# taken 5\n# table gone\nadd table inet x\ndelete table inet x\n",
		"# rampart: table inet x as it was before an apply; `nft -f` this file to restore "
		"it\n# taken 99999999999999999999\n# table present\nadd table inet x\n"
		"delete table inet x\n",
	};
	struct snapshot_header h;
	struct textbuf t = { 0 };

	CHECK(snapshot_format(&t, "rampart-wg0", "table inet rampart-wg0 {\n}\n", true,
			      1700000000) == 0);
	CHECK(snapshot_parse_header(t.buf, t.len, &h) == 0);
	CHECK(!h.absent && h.taken == 1700000000);
	CHECK_STR(h.table, "rampart-wg0");
	CHECK_STR(t.buf + h.body, "table inet rampart-wg0 {\n}\n");
	textbuf_wipe(&t);
	CHECK(snapshot_format(&t, "rampart-wg0", "ignored", false, -1) == 0);
	CHECK(snapshot_parse_header(t.buf, t.len, &h) == 0 && h.absent && h.taken == -1);
	CHECK(h.body == t.len);
	textbuf_wipe(&t);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_MSG(snapshot_parse_header(bad[i], strlen(bad[i]), &h) == -EBADMSG,
			  "case %zu accepted", i);
	/* A NUL would cut the batch nft restores. */
	CHECK(snapshot_format(&t, "x", "table inet x {\n}\n", true, 1) == 0);
	t.buf[t.len - 3] = '\0';
	CHECK(snapshot_parse_header(t.buf, t.len, &h) == -EBADMSG);
	CHECK(snapshot_parse_header(t.buf, t.len - 3, &h) == 0);
	textbuf_wipe(&t);
}

/* 6: the files: write, read, the outcome of another window. */
static void test_files(void)
{
	char dir[] = "/tmp/test_fwdir.XXXXXX", reason[FWDIR_REASON_STRLEN], path[64];
	struct fwdir d;
	struct fwdir_pending p = { .deadline = 5, .secs = 30, .applied = 1700000000, .guard = 42 }, q;
	enum fwdir_outcome o;

	fwdir_init(&d);
	CHECK(mkdtemp(dir) != NULL);
	d.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(d.dirfd >= 0);
	snprintf(p.id, sizeof(p.id), "7.8");
	CHECK(fwdir_pending_read(d.dirfd, &q) == -ENOENT);
	CHECK(fwdir_pending_write(&d, &p, RESTORE) == 0);
	CHECK(fwdir_pending_read(d.dirfd, &q) == 0);
	CHECK(q.deadline == 5 && q.secs == 30 && q.guard == 42 && !strcmp(q.restore, RESTORE));
	fwdir_pending_free(&q);
	CHECK(fwdir_pending_is(d.dirfd, "7.8") && !fwdir_pending_is(d.dirfd, "7.9"));
	fwdir_outcome_write(&d, "7.8", FWDIR_KEPT, "confirmed");
	CHECK(fwdir_outcome_read(d.dirfd, "7.8", &o, reason, sizeof(reason)) == 0);
	CHECK(o == FWDIR_KEPT && !strcmp(reason, "confirmed"));
	CHECK(fwdir_outcome_read(d.dirfd, NULL, &o, reason, 4) == 0 && !strcmp(reason, "con"));
	CHECK(fwdir_outcome_read(d.dirfd, "7.9", &o, reason, sizeof(reason)) == -ENOENT);
	CHECK(fwdir_outcome_read(d.dirfd, "7", &o, reason, sizeof(reason)) == -ENOENT);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, i ? FW_OUTCOME : FW_PENDING);
		CHECK(unlink(path) == 0);
	}
	fwdir_close(&d);
	CHECK(rmdir(dir) == 0);
}

static const struct harness_case cases[] = {
	{ "a pending record is read back as written, field for field", test_pending_round_trip },
	{ "what no writer makes is not a pending record", test_pending_refused },
	{ "a NUL in a pending record is refused, not a cut restore batch", test_pending_nul },
	{ "the outcome: one line of reason, the last line of each kind", test_outcome },
	{ "the snapshot's header, and what is not one", test_snapshot_header },
	{ "the files: pending and outcome written and read back", test_files },
};

HARNESS_MAIN(cases)
