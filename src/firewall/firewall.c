/* Safe apply (firewall.h): firewall_apply, and the commands that end
 * its window or act on the table from outside (confirm, rollback, flush,
 * forget, show).  The state files are fwdir.c's, the snapshot
 * snapshot.c's, the window and its guard window.c's. */
#include "firewall.h"

#include "fwdir.h"
#include "nft.h"
#include "snapshot.h"
#include "window.h"
#include "sys/nftables.h"
#include "common/error.h"
#include "common/fileio.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- apply ----------------------------------------------------------------------- */

/* Lines firewall_apply puts in front of the caller's batch. */
enum { PREFIX_LINES = 2 };

/* The batch as it runs, into full: "add table" + "delete table" in
 * front, so that it describes the whole new table.  Nothing is touched
 * yet: a refused batch leaves no state directory. */
static int compose(const char *ifname, const char *batch, const struct firewall_apply_opts *opts,
		   struct textbuf *full, struct error *err)
{
	char table[FIREWALL_TABLE_STRLEN];
	int ret;

	if (opts->confirm_secs > FIREWALL_CONFIRM_MAX_SECS)
		return error_fail(err, -EINVAL, "a confirm window of %u s is longer than %u s",
			    opts->confirm_secs, (unsigned)FIREWALL_CONFIRM_MAX_SECS);
	if (firewall_table_name(table, ifname))
		return error_fail(err, -EINVAL, "\"%s\" is not an interface name Rampart can "
			    "make a firewall table for", ifname);
	ret = firewall_check_scope(batch, table, err);
	if (ret)
		return ret;
	textbuf_printf(full, "add table inet %s\ndelete table inet %s\n%s", table, table, batch);
	if (full->err)
		return error_fail(err, full->err, "%s", strerror(-full->err));
	return 0;
}

/* Under the lock: -EBUSY while a window is open on IF (one past its
 * deadline is rolled back first). */
static int refuse_live_window(struct fwdir *d, const char *ifname, struct error *err)
{
	struct fwdir_pending live;
	long long left;
	int ret = window_live(d, &live, err);

	if (ret != 1)
		return ret;
	left = (long long)(live.deadline - fwdir_boottime_ns()) / NS_PER_SEC + 1;
	fwdir_pending_free(&live);
	return error_fail(err, -EBUSY, "a change on %s is waiting for confirmation (%lld s "
		    "left): run `rampart confirm %s` or `rampart firewall rollback %s` first",
		    ifname, left, ifname, ifname);
}

/* Under the lock, before the batch runs: the pending record of a window
 * of secs seconds restoring snap, then its guard. */
static int open_window(struct fwdir *d, struct fwdir_pending *mine, unsigned secs,
		       const char *snap, struct error *err)
{
	pid_t guard;
	int ret;

	snprintf(mine->id, sizeof(mine->id), "%ld.%llu", (long)getpid(),
		 (unsigned long long)fwdir_boottime_ns());
	mine->secs = secs;
	mine->applied = (long long)time(NULL);
	mine->deadline = fwdir_boottime_ns() + (uint64_t)secs * NS_PER_SEC;
	ret = fwdir_pending_write(d, mine, snap);
	if (ret)
		return error_fail(err, ret, "%s/" FW_PENDING ": %s; nothing applied", d->path,
			    strerror(-ret));
	ret = window_guard_start(d, mine->id, mine->deadline, &guard, err);
	if (ret) {
		unlinkat(d->dirfd, FW_PENDING, 0);
		return ret;
	}
	/* For `show`; the guard compares ids, not this. */
	mine->guard = guard;
	if (fwdir_pending_write(d, mine, snap)) {
		/* best effort: only `show` reads the pid */
	}
	return 0;
}

/* Without a window, once the batch ran: the snapshot is saved, or else
 * the change taken back (it could not be rolled back later). */
static int save_snapshot(struct fwdir *d, const struct textbuf *snap, struct error *err)
{
	struct error e;
	int ret = fileio_write_atomic(d->dirfd, FW_SNAPSHOT, snap->buf, snap->len, 0600), r;

	if (!ret)
		return 0;
	r = firewall_run(snap->buf, &e);
	return error_fail(err, r ? -EIO : ret, "cannot save %s/" FW_SNAPSHOT ": %s; "
		    "%s", d->path, strerror(-ret), r ? "and restoring the table failed"
		    : "the change was taken back");
}

int firewall_apply(const char *ifname, const char *batch, const struct firewall_apply_opts *opts,
		   bool *kept, struct error *err)
{
	struct error e;
	struct textbuf full = { 0 }, snap = { 0 };
	struct fwdir_pending mine = { 0 };
	struct fwdir d;
	int ret;

	*kept = false;
	fwdir_init(&d);
	ret = compose(ifname, batch, opts, &full, err);
	if (ret)
		goto out;
	ret = fwdir_open_locked(&d, ifname, true, err);
	if (ret < 0)
		goto out;
	ret = refuse_live_window(&d, ifname, err);
	if (ret)
		goto out;
	ret = nftables_exec(full.buf, true, 0, NULL, PREFIX_LINES, &e);
	if (ret) {
		ret = error_fail(err, ret, "nft refused the batch:\n%s", e.msg);
		goto out;
	}
	ret = snapshot_take(d.table, &snap, err);
	if (!ret && opts->confirm_secs)
		ret = open_window(&d, &mine, opts->confirm_secs, snap.buf, err);
	if (ret)
		goto out;

	ret = nftables_exec(full.buf, false, 0, NULL, PREFIX_LINES, &e);
	if (ret) {
		if (opts->confirm_secs)
			unlinkat(d.dirfd, FW_PENDING, 0); /* the guard sees it and exits */
		ret = error_fail(err, ret, "nft refused the batch:\n%s", e.msg);
		goto out;
	}
	if (!opts->confirm_secs) {
		ret = save_snapshot(&d, &snap, err);
		*kept = !ret;
		goto out;
	}
	/* The window's snapshot is also the last snapshot from now on;
	 * window_settle() writes it again when the window ends. */
	if (fileio_write_atomic(d.dirfd, FW_SNAPSHOT, snap.buf, snap.len, 0600)) {
		/* best effort: the pending record holds it too */
	}
	fwdir_unlock(&d);
	ret = window_wait(&d, &mine, opts->ui, kept, err);
out:
	fwdir_close(&d);
	textbuf_wipe(&full);
	textbuf_wipe(&snap);
	return ret;
}

/* --- confirm, rollback, flush, show ---------------------------------------------- */

int firewall_confirm(const char *ifname, struct error *err)
{
	char reason[FWDIR_REASON_STRLEN];
	struct fwdir_pending p;
	struct fwdir d;
	enum fwdir_outcome o;
	int ret;

	ret = fwdir_open_locked(&d, ifname, false, err);
	if (ret <= 0) {
		fwdir_close(&d);
		return ret ? ret : error_fail(err, -ENOENT, "no change on %s is waiting for "
					"confirmation", ifname);
	}
	ret = fwdir_pending_read(d.dirfd, &p);
	if (ret == -ENOENT) {
		if (fwdir_outcome_read(d.dirfd, NULL, &o, reason, sizeof(reason)) == 0 && o != FWDIR_KEPT)
			ret = error_fail(err, -ENOENT, "no change on %s is waiting for confirmation; "
				   "the last one ended: %s (%s)", ifname, fwdir_outcome_words[o], reason);
		else
			ret = error_fail(err, -ENOENT, "no change on %s is waiting for confirmation",
				   ifname);
	} else if (ret) {
		ret = error_fail(err, ret, "%s/" FW_PENDING ": %s", d.path,
			   ret == -EBADMSG ? "not a pending record" : strerror(-ret));
	} else if (fwdir_boottime_ns() >= p.deadline) {
		long long late = (long long)(fwdir_boottime_ns() - p.deadline) / NS_PER_MS;

		snprintf(reason, sizeof(reason), "not confirmed within %u s", p.secs);
		ret = window_settle(&d, &p, FWDIR_ROLLED_BACK, reason, err);
		if (!ret)
			ret = error_fail(err, -ETIME, "too late: the window on %s closed %lld.%03lld s "
				   "ago and the change was rolled back", ifname, late / 1000,
				   late % 1000);
		fwdir_pending_free(&p);
	} else {
		ret = window_settle(&d, &p, FWDIR_KEPT, "confirmed by `rampart confirm`", err);
		fwdir_pending_free(&p);
	}
	fwdir_close(&d);
	return ret;
}

int firewall_rollback(const char *ifname, bool *had_window, struct error *err)
{
	struct snapshot_header h;
	struct error e;
	struct fwdir_pending p;
	struct fwdir d;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (had_window)
		*had_window = false;
	ret = fwdir_open_locked(&d, ifname, false, err);
	if (ret <= 0) {
		fwdir_close(&d);
		return ret ? ret : error_fail(err, -ENOENT, "nothing to roll back on %s: no "
					"snapshot (nothing applied since boot)", ifname);
	}
	ret = fwdir_pending_read(d.dirfd, &p);
	if (!ret) {
		if (had_window)
			*had_window = true;
		ret = window_settle(&d, &p, FWDIR_ROLLED_BACK, "rolled back by `rampart firewall rollback`",
			     err);
		fwdir_pending_free(&p);
		goto out;
	}
	if (ret != -ENOENT) {
		ret = error_fail(err, ret, "%s/" FW_PENDING ": %s", d.path,
			   ret == -EBADMSG ? "not a pending record" : strerror(-ret));
		goto out;
	}
	ret = fwdir_read_file(d.dirfd, FW_SNAPSHOT, &text, &len);
	if (ret == -ENOENT) {
		ret = error_fail(err, -ENOENT, "nothing to roll back on %s: no snapshot (nothing "
			   "applied since boot)", ifname);
		goto out;
	}
	if (ret) {
		ret = error_fail(err, ret, "%s/" FW_SNAPSHOT ": %s", d.path, strerror(-ret));
		goto out;
	}
	/* Only a whole snapshot of this table: a NUL would restore part of
	 * it, another table's would leave ours as it is. */
	if (snapshot_parse_header(text, len, &h) || strcmp(h.table, d.table)) {
		ret = error_fail(err, -EBADMSG, "%s/" FW_SNAPSHOT " is not a snapshot of table "
				 "inet %s; nothing restored", d.path, d.table);
	} else {
		ret = firewall_run(text, &e);
		if (ret)
			ret = error_fail(err, ret, "restoring %s/" FW_SNAPSHOT " failed:\n%s", d.path,
					 e.msg);
	}
	textbuf_free_text(text, len);
out:
	fwdir_close(&d);
	return ret;
}

int firewall_flush(const char *ifname, bool *had_window, struct error *err)
{
	char table[FIREWALL_TABLE_STRLEN];
	struct error e;
	struct fwdir_pending p;
	struct fwdir d;
	int ret;

	if (had_window)
		*had_window = false;
	if (firewall_table_name(table, ifname))
		return error_fail(err, -EINVAL, "\"%s\" is not an interface name Rampart can make "
			    "a firewall table for", ifname);
	ret = fwdir_open_locked(&d, ifname, false, err);
	if (ret < 0)
		goto out;
	if (ret == 1) {
		ret = fwdir_pending_read(d.dirfd, &p);
		if (!ret) {
			if (had_window)
				*had_window = true;
			ret = window_settle(&d, &p, FWDIR_FLUSHED, "flushed by `rampart firewall flush`",
				     err);
			fwdir_pending_free(&p);
			goto out;
		}
		/* A record we cannot read would block every apply: with the
		 * table gone it has nothing left to restore anyway. */
		if (ret != -ENOENT)
			unlinkat(d.dirfd, FW_PENDING, 0);
	}
	ret = nft_delete_table(table, &e);
	if (ret)
		ret = error_fail(err, ret, "cannot delete table inet %s:\n%s", table, e.msg);
out:
	fwdir_close(&d);
	return ret;
}

int firewall_forget(const char *ifname, struct error *err)
{
	static const char *const files[] = { FW_PENDING, FW_OUTCOME, FW_SNAPSHOT, FW_LOCK };
	struct fwdir d;
	int ret;

	fwdir_init(&d);
	ret = fwdir_open_locked(&d, ifname, false, err);
	if (ret <= 0)
		goto out;
	ret = 0;
	if (!faccessat(d.dirfd, FW_PENDING, F_OK, AT_SYMLINK_NOFOLLOW)) {
		ret = error_fail(err, -EBUSY, "a confirm window is open on %s", ifname);
		goto out;
	}
	/* The temporaries a writer killed before its rename left (they
	 * would keep the directory), then the files; the lock file goes
	 * last, while we still hold it: a command that opens the directory
	 * after this finds nothing and starts afresh.  Every writer holds
	 * the lock, so no temporary here is live. */
	fileio_remove_temporaries(d.dirfd, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (unlinkat(d.dirfd, files[i], 0) < 0 && errno != ENOENT && !ret)
			ret = error_fail(err, -errno, "%s/%s: %s", d.path, files[i], strerror(errno));
	if (!ret && rmdir(d.path) < 0 && errno != ENOENT)
		ret = error_fail(err, -errno, "%s: %s", d.path, strerror(errno));
out:
	fwdir_close(&d);
	return ret;
}

int firewall_get_state(const char *ifname, struct firewall_state *st, struct error *err)
{
	struct fwdir_pending p;
	struct fwdir d;
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = fwdir_open(&d, ifname, false, err);
	snprintf(st->snapshot_path, sizeof(st->snapshot_path), "%s/" FW_SNAPSHOT,
		 d.path[0] ? d.path : FIREWALL_STATE_DIR);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	ret = fwdir_pending_read(d.dirfd, &p);
	if (!ret) {
		st->pending = true;
		st->ms_left = ((long long)p.deadline - (long long)fwdir_boottime_ns()) / NS_PER_MS;
		st->window_secs = p.secs;
		st->guard = (pid_t)p.guard;
		st->guard_alive = p.guard > 0 && (kill((pid_t)p.guard, 0) == 0 || errno == EPERM);
		fwdir_pending_free(&p);
	} else if (ret != -ENOENT) {
		ret = error_fail(err, ret, "%s/" FW_PENDING ": %s", d.path,
			   ret == -EBADMSG ? "not a pending record" : strerror(-ret));
		goto out;
	}
	{
		char reason[FWDIR_REASON_STRLEN];
		enum fwdir_outcome o;

		if (!fwdir_outcome_read(d.dirfd, NULL, &o, reason, sizeof(reason))) {
			const char *word = o == FWDIR_KEPT ? "kept" :
					   o == FWDIR_ROLLED_BACK ? "rolled back" :
					   o == FWDIR_FLUSHED ? "flushed" : "rollback failed";

			/* Reasons that say it already stand alone. */
			if (!strncmp(reason, word, strlen(word)))
				snprintf(st->last_window, sizeof(st->last_window), "%s", reason);
			else
				snprintf(st->last_window, sizeof(st->last_window), "%s (%s)", word,
					 reason);
		}
	}
	ret = fwdir_read_file(d.dirfd, FW_SNAPSHOT, &text, &len);
	if (!ret) {
		struct snapshot_header h;

		st->snapshot = true;
		/* A header that is not ours says nothing: no time, present. */
		if (!snapshot_parse_header(text, len, &h)) {
			st->snapshot_absent = h.absent;
			st->snapshot_time = (time_t)h.taken;
		}
		textbuf_free_text(text, len);
	} else if (ret != -ENOENT) {
		ret = error_fail(err, ret, "%s/" FW_SNAPSHOT ": %s", d.path, strerror(-ret));
		goto out;
	}
	ret = 0;
out:
	fwdir_close(&d);
	return ret;
}
