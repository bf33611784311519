/* Drift of Rampart's nft table and of the role's sysctls (drift.h). */
#define _GNU_SOURCE /* unshare, pipe2 */
#include "drift.h"
#include "drift_int.h"

#include "common/fileio.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "firewall/firewall.h"
#include "firewall/fwapply.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	/* Blocks nest table > chain or set; deeper is not nft's listing. */
	LISTING_DEPTH_MAX = 8,
	/* The line-by-line comparison's table, in cells (4 bytes each): two
	 * tables of 2,000 differing lines.  Past it, lines are compared as
	 * multisets (what differs, not where). */
	LCS_CELLS_MAX = 4 << 20,
};

/* One line of a listing: the block it is in ("chain input") and its
 * text, both trimmed, pointing into the listing's copy. */
struct item {
	const char *ctx;
	const char *text;
};

struct listing {
	char *buf;
	struct item *v;
	size_t n;
};

static void listing_free(struct listing *l)
{
	free(l->buf);
	free(l->v);
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int braces(const char *s)
{
	int d = 0;

	for (; *s; s++)
		d += *s == '{' ? 1 : *s == '}' ? -1 : 0;
	return d;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Splits text into items.  A line that opens a block ("chain input {")
 * is an item of the block around it and names the lines inside; "}" is
 * no item.  The elements of a set with the dynamic flag (rate-limiter
 * meters filled by traffic) are skipped, on as many lines as they take. */
static int listing_parse(const char *text, struct listing *l)
{
	const char *stack[LISTING_DEPTH_MAX] = { "" };
	size_t depth = 0, cap = 0;
	bool in_set = false, dynamic = false;
	int skip = 0;
	char *line, *next;

	memset(l, 0, sizeof(*l));
	if (!(l->buf = strdup(text ? text : "")))
		return -ENOMEM;
	for (line = l->buf; line; line = next) {
		char *t;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		t = trim(line);
		if (skip > 0) {
			skip += braces(t);
			continue;
		}
		if (!*t)
			continue;
		if (!strcmp(t, "}")) {
			depth -= depth > 0;
			in_set = false;
			continue;
		}
		if (in_set && dynamic && starts(t, "elements = ")) {
			skip = braces(t);
			continue;
		}
		if (in_set && starts(t, "flags ") && strstr(t, "dynamic"))
			dynamic = true;
		if (l->n == cap) {
			struct item *v = realloc(l->v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			l->v = v;
		}
		l->v[l->n++] = (struct item){ .ctx = stack[depth], .text = t };
		if (t[strlen(t) - 1] == '{' && depth + 1 < LISTING_DEPTH_MAX) {
			size_t n = strlen(t);

			t[n - 1] = '\0';
			stack[++depth] = trim(t);
			in_set = starts(t, "set ") || starts(t, "map ");
			dynamic = false;
		}
	}
	return 0;
}

static bool item_eq(const struct item *a, const struct item *b)
{
	return !strcmp(a->ctx, b->ctx) && !strcmp(a->text, b->text);
}

static int emit(struct drift_list *out, const struct item *it, bool declared, const char *fix)
{
	struct drift *d = drift_add(out, DRIFT_NFT_TABLE, NULL, NULL, "%s",
				    *it->ctx ? it->ctx : "ruleset");

	if (!d)
		return -ENOMEM;
	snprintf(d->declared, sizeof(d->declared), "%s", declared ? it->text : "(absent)");
	snprintf(d->running, sizeof(d->running), "%s", declared ? "(absent)" : it->text);
	snprintf(d->fix, sizeof(d->fix), "%s", fix);
	return 0;
}

static int item_order(const void *x, const void *y)
{
	const struct item *a = *(const struct item *const *)x, *b = *(const struct item *const *)y;
	int c = strcmp(a->ctx, b->ctx);

	return c ? c : strcmp(a->text, b->text);
}

/* Too large for the table: the lines in one and not the other, as
 * multisets. */
static int diff_multiset(const struct item *a, size_t na, const struct item *b, size_t nb,
			 const char *fix, struct drift_list *out)
{
	const struct item **x = calloc(na + 1, sizeof(*x)), **y = calloc(nb + 1, sizeof(*y));
	size_t i = 0, j = 0;
	int ret = 0;

	if (!x || !y) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < na; k++)
		x[k] = &a[k];
	for (size_t k = 0; k < nb; k++)
		y[k] = &b[k];
	qsort(x, na, sizeof(*x), item_order);
	qsort(y, nb, sizeof(*y), item_order);
	while ((i < na || j < nb) && !ret) {
		int o = i == na ? 1 : j == nb ? -1 : item_order(&x[i], &y[j]);

		if (!o)
			i++, j++;
		else
			ret = o < 0 ? emit(out, x[i++], true, fix) : emit(out, y[j++], false, fix);
	}
out:
	free(x);
	free(y);
	return ret;
}

/* a against b in order: a longest common subsequence of the lines after
 * their common head and tail, and every line outside it reported. */
static int diff_items(const struct item *a, size_t na, const struct item *b, size_t nb,
		      const char *fix, struct drift_list *out)
{
	size_t m, n, w;
	uint32_t *t;
	int ret = 0;

	while (na && nb && item_eq(a, b))
		a++, b++, na--, nb--;
	while (na && nb && item_eq(&a[na - 1], &b[nb - 1]))
		na--, nb--;
	m = na, n = nb, w = n + 1;
	if ((m + 1) > LCS_CELLS_MAX / w)
		return diff_multiset(a, na, b, nb, fix, out);
	t = calloc((m + 1) * w, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* t[i][j]: the longest common subsequence of a[i..] and b[j..]. */
	for (size_t i = m; i-- > 0;)
		for (size_t j = n; j-- > 0;)
			t[i * w + j] = item_eq(&a[i], &b[j]) ? t[(i + 1) * w + j + 1] + 1
				     : t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
									  : t[i * w + j + 1];
	for (size_t i = 0, j = 0; (i < m || j < n) && !ret;) {
		if (i < m && j < n && item_eq(&a[i], &b[j]))
			i++, j++;
		else if (j == n || (i < m && t[(i + 1) * w + j] >= t[i * w + j + 1]))
			ret = emit(out, &a[i++], true, fix);
		else
			ret = emit(out, &b[j++], false, fix);
	}
	free(t);
	return ret;
}

int drift_compare_listings(const char *declared, bool declared_exists, const char *running,
			   bool running_exists, const char *fix, struct drift_list *out,
			   struct error *err)
{
	struct listing a = { 0 }, b = { 0 };
	int ret = 0;

	if (declared_exists != running_exists) {
		struct drift *d = drift_add(out, DRIFT_NFT_TABLE, NULL, NULL, "table");

		if (!d)
			return error_fail(err, -ENOMEM, "out of memory");
		snprintf(d->declared, sizeof(d->declared), "%s", declared_exists ? "present" : "(absent)");
		snprintf(d->running, sizeof(d->running), "%s", running_exists ? "present" : "(absent)");
		snprintf(d->fix, sizeof(d->fix), "%s", fix);
		return 0;
	}
	if (!declared_exists)
		return 0;
	ret = listing_parse(declared, &a);
	if (!ret)
		ret = listing_parse(running, &b);
	if (!ret)
		ret = diff_items(a.v, a.n, b.v, b.n, fix, out);
	listing_free(&a);
	listing_free(&b);
	if (ret)
		return error_fail(err, ret, "comparing the nft listings: %s", strerror(-ret));
	return 0;
}

/* ---- nft's own rendering of the batch --------------------------------- */

/* In the child: a network namespace of its own, before anything is
 * applied, so that the batch can never reach the host's ruleset; then
 * the batch and a stateless listing of the table, written to fd as 'O'
 * and the listing, 'A' (no table), or 'E' and why. */
static void child_render(int fd, const char *table, const char *batch)
{
	struct textbuf o = { 0 };
	struct error e = { 0 };
	char msg[ERROR_STRLEN];
	bool exists = false;
	int r;

	if (unshare(CLONE_NEWNET)) {
		r = snprintf(msg, sizeof(msg), "Eunshare(CLONE_NEWNET): %s", strerror(errno));
		(void)!fileio_write_all(fd, msg, (size_t)r);
		return;
	}
	if (firewall_run(batch, &e) || firewall_list_table(table, true, &o, &exists, &e)) {
		msg[0] = 'E';
		error_format(&e, msg + 1, sizeof(msg) - 1);
		(void)!fileio_write_all(fd, msg, strlen(msg));
		return;
	}
	if (!fileio_write_all(fd, exists ? "O" : "A", 1) && o.buf)
		(void)!fileio_write_all(fd, o.buf, o.len);
	textbuf_wipe(&o);
}

/* batch as nft lists it: *exists false when it leaves no table. */
static int canonical(const char *table, const char *batch, struct textbuf *out, bool *exists,
		     struct error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int fds[2], status = 0, ret;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return error_fail(err, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		return error_fail(err, ret, "fork: %s", strerror(-ret));
	}
	if (!pid) {
		close(fds[0]);
		child_render(fds[1], table, batch);
		_exit(0);
	}
	close(fds[1]);
	ret = fileio_read_bounded(fds[0], FIREWALL_FILE_MAX, &buf, &len);
	close(fds[0]);
	if (!ret && len > FIREWALL_FILE_MAX)
		ret = -EFBIG;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* A child that died after its first bytes may have listed half. */
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = error_fail(err, -EIO, "rendering %s in a scratch namespace: the child %s %d",
				 table, WIFEXITED(status) ? "exited with" : "was killed by signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	else if (!ret && (!len || (buf[0] != 'O' && buf[0] != 'A')))
		ret = error_fail(err, -EIO, "rendering %s in a scratch namespace: %s", table,
				 len > 1 ? buf + 1 : "the child said nothing");
	else if (ret)
		error_fail(err, ret, "reading the scratch namespace's listing: %s", strerror(-ret));
	else {
		*exists = buf[0] == 'O';
		textbuf_append(out, buf + 1, len - 1);
	}
	textbuf_free_text(buf, len);
	return ret;
}

int drift_nft_table(const char *ifname, const struct conf *conf, const char *filename,
		    struct drift_list *out, struct error *err)
{
	struct textbuf batch = { 0 }, want = { 0 }, have = { 0 };
	char table[FIREWALL_TABLE_STRLEN], arg[CONF_PATH_MAX], fix[CONF_PATH_MAX + 64];
	bool want_exists = false, have_exists = false;
	int ret;

	if (firewall_table_name(table, ifname))
		return error_fail(err, -EINVAL, "`%s' cannot name an nftables table", ifname);
	drift_config_arg(arg, sizeof(arg), ifname, filename);
	snprintf(fix, sizeof(fix), "rampart firewall apply %.512s", arg);
	ret = fwapply_render(ifname, conf, filename, &batch, err);
	if (!ret)
		ret = canonical(table, batch.buf ? batch.buf : "", &want, &want_exists, err);
	if (!ret)
		ret = firewall_list_table(table, true, &have, &have_exists, err);
	if (!ret)
		ret = drift_compare_listings(want.buf, want_exists, have.buf, have_exists, fix, out,
					     err);
	textbuf_wipe(&batch);
	textbuf_wipe(&want);
	textbuf_wipe(&have);
	return ret;
}

/* ---- sysctls ------------------------------------------------------------ */

int drift_parse_sysctl_report(const char *report, const char *ifname, const char *filename,
			      struct drift_list *out, struct error *err)
{
	char arg[CONF_PATH_MAX];
	unsigned no = 0;

	drift_config_arg(arg, sizeof(arg), ifname, filename);
	for (const char *l = report; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char key[128], want[64], is[64], status[16], line[512];
		size_t len = strcspn(l, "\n");
		struct drift *d;

		no++;
		if (strncmp(l, "  ", 2))
			continue; /* a header: "sysctls (role hub):" */
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), l);
		if (sscanf(line, " %127s want %63s is %63s %15s", key, want, is, status) != 4)
			return error_fail(err, -EINVAL, "sysctl report line %u: not \"KEY want V is V STATUS\": \"%s\"",
					  no, line);
		if (strcmp(status, "differs") && strcmp(status, "missing"))
			continue;
		d = drift_add(out, DRIFT_SYSCTL, NULL, NULL, "%s", key);
		if (!d)
			return error_fail(err, -ENOMEM, "out of memory");
		snprintf(d->declared, sizeof(d->declared), "%s", want);
		snprintf(d->running, sizeof(d->running), "%s", strcmp(is, "-") ? is : "(absent)");
		/* A key that does not exist cannot be written: it comes with
		 * the interface, and apply sets it then. */
		if (strcmp(is, "-"))
			snprintf(d->fix, sizeof(d->fix), "sysctl -w %s=%s", key, want);
		else
			snprintf(d->fix, sizeof(d->fix), "rampart firewall apply %.512s", arg);
	}
	return 0;
}

int drift_sysctls(const char *ifname, const struct conf *conf, const char *filename,
		  struct drift_list *out, struct error *err)
{
	struct textbuf t = { 0 };
	bool all_ok = true;
	int ret = fwapply_report_sysctls(ifname, conf, filename, &t, &all_ok, err);

	if (!ret && t.err)
		ret = error_fail(err, t.err, "%s", strerror(-t.err));
	if (!ret && !all_ok)
		ret = drift_parse_sysctl_report(t.buf, ifname, filename, out, err);
	textbuf_wipe(&t);
	return ret;
}
