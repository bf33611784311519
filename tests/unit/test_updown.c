/* quick/updown: the parts of up and down that touch nothing but files,
 * here the loading of the config file (updown_load_config), against
 * files in a throw-away directory.  Bringing interfaces up and down is
 * tests/netns/updown.sh's. */
#include "harness.h"

#include "conf/config.h"
#include "conf/wgconf.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "quick/updown_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRIV "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="

static char dir[64];

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

static int load(const char *name, struct updown_ctx *c)
{
	char path[128];

	memset(c, 0, sizeof(*c));
	c->who = "test_updown";
	c->dirfd = c->lockfd = -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return updown_load_config(c, path);
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

static const struct harness_case cases[] = {
	{ "the config file: found, named, bounded", test_load_config },
};

HARNESS_MAIN(cases)
