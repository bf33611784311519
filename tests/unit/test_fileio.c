/* common/fileio: atomic replacement, and the clean-up of the temporaries a
 * writer killed before its rename leaves, in a throw-away directory. */
#include "harness.h"

#include "common/fileio.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void touch(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static bool exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_atomic(void)
{
	int dirfd;

	snprintf(dir, sizeof(dir), "/tmp/rampart-fileio-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	CHECK(fileio_write_atomic(dirfd, "a.state", "one\n", 4, 0640) == 0);
	CHECK(fileio_write_atomic(dirfd, "a.state", "two\n", 4, 0600) == 0);
	/* Nothing but the file itself is left: no temporary. */
	CHECK(fileio_remove_temporaries(dirfd, NULL) == 0);
	CHECK(exists(dirfd, "a.state"));
	CHECK(unlinkat(dirfd, "a.state", 0) == 0);
	close(dirfd);
	CHECK(rmdir(dir) == 0);
}

static void test_temporaries(void)
{
	static const char *const kept[] = {
		"a.state", ".a.state", ".a.state.tmp", ".a.statex.1.0.tmp", ".b.state.7.0.tmp",
		"x.a.state.7.0.tmp", ".a.state.7.0.tmpx",
	};
	int dirfd;

	snprintf(dir, sizeof(dir), "/tmp/rampart-fileio-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		touch(dirfd, kept[i]);
	touch(dirfd, ".a.state.123.0.tmp");
	touch(dirfd, ".a.state.123.1.tmp");
	/* Only the two temporaries of a.state go. */
	CHECK(fileio_remove_temporaries(dirfd, "a.state") == 2);
	CHECK(!exists(dirfd, ".a.state.123.0.tmp") && !exists(dirfd, ".a.state.123.1.tmp"));
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		CHECK_MSG(exists(dirfd, kept[i]), "%s was removed", kept[i]);
	/* Any name: every ".NAME.….tmp", but not the file named ".a.state.tmp"
	 * (no name before the suffix) nor names without the leading dot. */
	CHECK(fileio_remove_temporaries(dirfd, NULL) == 2);
	CHECK(!exists(dirfd, ".a.statex.1.0.tmp") && !exists(dirfd, ".b.state.7.0.tmp"));
	CHECK(exists(dirfd, "x.a.state.7.0.tmp") && exists(dirfd, ".a.state.tmp"));
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		unlinkat(dirfd, kept[i], 0);
	close(dirfd);
	CHECK(rmdir(dir) == 0);
	/* A directory that cannot be read: -errno, not a count. */
	CHECK(fileio_remove_temporaries(-1, NULL) < 0);
}

static const struct harness_case cases[] = {
	{ "atomic writes leave no temporary", test_atomic },
	{ "a killed writer's temporaries are removed, nothing else", test_temporaries },
};

HARNESS_MAIN(cases)
