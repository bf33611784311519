/* sys/hostfile: bounded reads into text, against files
 * in a throw-away directory. */
#include "harness.h"

#include "common/textbuf.h"
#include "sys/hostfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rampart-hostfile-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void test_read(void)
{
	struct textbuf t = { 0 };

	setup();
	CHECK(hostfile_read(path, 16, &t) == -ENOENT);
	CHECK(t.buf == NULL);

	/* An empty file is an empty text, not NULL. */
	put("");
	CHECK(hostfile_read(path, 16, &t) == 0);
	CHECK(t.buf != NULL && t.len == 0 && t.buf[0] == '\0');

	/* Appended; exactly max bytes is allowed, one more is not, and
	 * then nothing is appended. */
	put("0123456789abcdef");
	CHECK(hostfile_read(path, 16, &t) == 0);
	CHECK_STR(t.buf, "0123456789abcdef");
	put("second\n");
	CHECK(hostfile_read(path, 7, &t) == 0);
	CHECK_STR(t.buf, "0123456789abcdefsecond\n");
	CHECK(hostfile_read(path, 6, &t) == -EFBIG);
	CHECK_STR(t.buf, "0123456789abcdefsecond\n");
	textbuf_wipe(&t);
	teardown();
}

static void test_read_fd(void)
{
	struct textbuf t = { 0 };
	int fd;

	setup();
	put("from an fd\n");
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	/* From where the fd is, to its end. */
	CHECK(lseek(fd, 5, SEEK_SET) == 5);
	CHECK(hostfile_read_fd(fd, 1024, &t) == 0);
	CHECK_STR(t.buf, "an fd\n");
	close(fd);
	textbuf_wipe(&t);
	teardown();
}

static const struct harness_case cases[] = {
	{ "bounded reads into text", test_read },
	{ "reads from an fd's position", test_read_fd },
};

HARNESS_MAIN(cases)
