/* quick/updown: the parts of up and down that touch nothing but files,
 * here the loading of the config file (updown_load_config), against
 * files in a throw-away directory, and that what they say goes to the
 * caller's ui (a fake one that keeps the lines) and nowhere else.
 * Bringing interfaces up and down is tests/netns/updown.sh's. */
#include "harness.h"

#include "conf/config.h"
#include "conf/wgconf.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "firewall/firewall.h"
#include "firewall/fwapply.h"
#include "quick/updown_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIV "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="

static char dir[64];

/* What the fake ui heard. */
static struct heard {
	enum firewall_ui_kind kind[4];
	char line[4][512];
	size_t n, progress;
} heard;

static void hear(void *arg, enum firewall_ui_kind kind, const char *line)
{
	struct heard *h = arg;

	if (h->n < 4) {
		h->kind[h->n] = kind;
		snprintf(h->line[h->n], sizeof(h->line[h->n]), "%s", line);
	}
	h->n++;
}

static void hear_progress(void *arg, const char *line)
{
	(void)line;
	((struct heard *)arg)->progress++;
}

static const struct firewall_ui fake_ui = {
	.progress = hear_progress,
	.message = hear,
	.arg = &heard,
};
static const struct fwapply_opts fake_fw = { .ui = &fake_ui };
static const struct fwapply_opts no_ui = { 0 };

/* dir/name, mode 0600, holding text and then pad more bytes of short
 * comment lines: valid, only too much of it (a line longer than
 * WGCONF_LINE_MAX would be refused first). */
static void put(const char *name, const char *text, size_t pad)
{
	static const char xs[80] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	struct textbuf t = { 0 };
	size_t want = strlen(text) + pad;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK(dirfd >= 0);
	textbuf_append(&t, text, strlen(text));
	for (size_t n; pad; pad -= n) {
		n = pad < sizeof(xs) ? pad : sizeof(xs);
		if (n > 1)
			textbuf_printf(&t, "#%.*s", (int)(n - 2), xs);
		textbuf_append(&t, "\n", 1);
	}
	CHECK(!t.err && t.len == want);
	CHECK(fileio_write_atomic(dirfd, name, t.buf, t.len, 0600) == 0);
	textbuf_wipe(&t);
	close(dirfd);
}

static int load_to(const char *name, struct updown_ctx *c, const struct fwapply_opts *fw)
{
	char path[128];

	memset(c, 0, sizeof(*c));
	memset(&heard, 0, sizeof(heard));
	c->fw = fw;
	c->dirfd = c->lockfd = -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return updown_load_config(c, path);
}

static int load(const char *name, struct updown_ctx *c)
{
	return load_to(name, c, &fake_fw);
}

static void unput(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void test_load_config(void)
{
	const char text[] = "[Interface]\nPrivateKey = " PRIV "\nListenPort = 51820\n";
	struct updown_ctx c;

	snprintf(dir, sizeof(dir), "/tmp/rampart-updown-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);

	put("wg7.conf", text, 0);
	CHECK(load("wg7.conf", &c) == 0);
	CHECK_STR(c.ifname, "wg7");
	CHECK(c.conf != NULL && c.conf->has_listen_port && c.conf->listen_port == 51820);
	conf_free(c.conf);

	/* Refused before anything else happens: no such file, no valid
	 * interface name. */
	CHECK(load("wg8.conf", &c) == -ENOENT);
	CHECK(c.conf == NULL);
	put("wg 7.conf", text, 0);
	CHECK(load("wg 7.conf", &c) == -EINVAL);
	CHECK(c.conf == NULL);
	unput("wg 7.conf");

	/* One byte over the parser's limit is refused, not read as an
	 * empty (and so valid) configuration. */
	put("wg7.conf", text, WGCONF_FILE_MAX + 1 - strlen(text));
	CHECK(load("wg7.conf", &c) == -EINVAL);
	CHECK(c.conf == NULL);
	conf_free(c.conf);
	/* Exactly at the limit is a file like any other. */
	put("wg7.conf", text, WGCONF_FILE_MAX - strlen(text));
	CHECK(load("wg7.conf", &c) == 0);
	CHECK(c.conf != NULL && c.conf->listen_port == 51820);
	conf_free(c.conf);

	unput("wg7.conf");
	rmdir(dir);
}

/* Every line goes to the ui as a message of its kind, undecorated (the
 * CLI adds "rampart up: ", "Warning: "); without a ui nothing reaches
 * stderr. */
static void test_messages(void)
{
	const char text[] = "[Interface]\nPrivateKey = " PRIV "\n";
	char want[PATH_MAX + 32], real[PATH_MAX];
	struct updown_ctx c;
	struct stat st;
	FILE *out;
	int saved, fd;

	snprintf(dir, sizeof(dir), "/tmp/rampart-updown-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);

	CHECK(load("wg8.conf", &c) == -ENOENT);
	CHECK(heard.n == 1 && heard.kind[0] == FIREWALL_UI_ERROR && !heard.progress);
	snprintf(want, sizeof(want), "`%s/wg8.conf' does not exist", dir);
	CHECK_STR(heard.line[0], want);

	put("wg 7.conf", text, 0);
	CHECK(load("wg 7.conf", &c) == -EINVAL);
	CHECK(heard.n == 1 && heard.kind[0] == FIREWALL_UI_ERROR);
	CHECK_STR(heard.line[0], "The config file must be a valid interface name, followed by .conf");
	unput("wg 7.conf");

	/* wg-quick's warning when others may read the file and enter its
	 * directory, and the file is loaded all the same. */
	put("wg7.conf", text, 0);
	snprintf(want, sizeof(want), "%s/wg7.conf", dir);
	CHECK(realpath(want, real) != NULL);
	CHECK(chmod(want, 0604) == 0 && chmod(dir, 0705) == 0);
	CHECK(load("wg7.conf", &c) == 0);
	conf_free(c.conf);
	CHECK(heard.n == 1 && heard.kind[0] == FIREWALL_UI_QUICK_WARNING);
	snprintf(want, sizeof(want), "`%s' is world accessible", real);
	CHECK_STR(heard.line[0], want);

	/* No ui (no opts, or opts without one): silence, on stderr too. */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	out = tmpfile();
	CHECK(saved >= 0 && out != NULL);
	fd = fileno(out);
	CHECK(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	CHECK(load_to("wg7.conf", &c, NULL) == 0);
	conf_free(c.conf);
	CHECK(load_to("wg7.conf", &c, &no_ui) == 0);
	conf_free(c.conf);
	CHECK(load_to("wg8.conf", &c, NULL) == -ENOENT);
	CHECK(load_to("wg8.conf", &c, &no_ui) == -ENOENT);
	fflush(stderr);
	CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	CHECK(fstat(fd, &st) == 0);
	CHECK_MSG(st.st_size == 0, "%lld bytes on stderr without a ui", (long long)st.st_size);
	fclose(out);
	close(saved);
	CHECK(heard.n == 0);

	chmod(dir, 0700);
	unput("wg7.conf");
	rmdir(dir);
}

static const struct harness_case cases[] = {
	{ "the config file: found, named, bounded", test_load_config },
	{ "messages go to the ui, and without one nowhere", test_messages },
};

HARNESS_MAIN(cases)
