/* sys/spawn: PATH lookup as execvp() does it, and spawn_run's exit
 * statuses, stdin, stdout and signal mask, against /bin/sh and a
 * throw-away directory of scripts.  Real processes, no sleeps. */
#include "harness.h"

#include "common/textbuf.h"
#include "sys/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* A script NAME in dir with the given mode. */
static void make_script(const char *name, mode_t mode)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("#!/bin/sh\necho found\n", f);
	fclose(f);
	CHECK(chmod(path, mode) == 0);
}

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rampart-spawn-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char path[128];
	const char *names[] = { "tool", "noexec" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_find(void)
{
	char out[256], path[256], *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	make_dir();
	make_script("tool", 0755);
	make_script("noexec", 0644);

	/* The first executable along PATH; empty elements and missing
	 * directories are passed over. */
	snprintf(path, sizeof(path), "/nonexistent::%s:/bin", dir);
	setenv("PATH", path, 1);
	CHECK(spawn_find("tool", out, sizeof(out)));
	snprintf(path, sizeof(path), "%s/tool", dir);
	CHECK_STR(out, path);
	CHECK(!spawn_find("noexec", out, sizeof(out)));
	CHECK(!spawn_find("no-such-program-anywhere", out, sizeof(out)));
	/* A path that does not fit is not one to try. */
	CHECK(!spawn_find("tool", out, strlen(dir) + 2));

	/* A name with a slash is taken as it is, PATH or not. */
	snprintf(path, sizeof(path), "%s/tool", dir);
	setenv("PATH", "/nonexistent", 1);
	CHECK(spawn_find(path, out, sizeof(out)));
	CHECK_STR(out, path);
	snprintf(path, sizeof(path), "%s/noexec", dir);
	CHECK(!spawn_find(path, out, sizeof(out)));

	/* No PATH at all: execvp's default, which has sh. */
	unsetenv("PATH");
	CHECK(spawn_find("sh", out, sizeof(out)));
	CHECK(strstr(out, "/sh") != NULL);

	if (old)
		setenv("PATH", old, 1);
	free(old);
	remove_dir();
}

static void test_beside_self(void)
{
	char out[4096], want[4096];
	ssize_t n = readlink("/proc/self/exe", want, sizeof(want) - 1);

	CHECK(n > 0);
	if (n <= 0)
		return;
	want[n] = '\0';
	/* This test binary finds itself by its own name, and nothing that
	 * is not there; a buffer too short is no answer either. */
	CHECK(spawn_find_beside_self(strrchr(want, '/') + 1, out, sizeof(out)));
	CHECK_STR(out, want);
	CHECK(!spawn_find_beside_self("no-such-companion", out, sizeof(out)));
	CHECK(!spawn_find_beside_self(strrchr(want, '/') + 1, out, (size_t)n));
}

static void test_status(void)
{
	char *ok[] = { "/bin/sh", "-c", "exit 0", NULL };
	char *three[] = { "/bin/sh", "-c", "exit 3", NULL };
	char *killed[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
	char *missing[] = { "/nonexistent/program", NULL };
	int status = -1;

	CHECK(spawn_run(ok, NULL, NULL, 0, NULL, &status) == 0);
	CHECK(status == 0);
	CHECK(spawn_run(three, NULL, NULL, 0, NULL, &status) == 0);
	CHECK(status == 3);
	CHECK(spawn_run(killed, NULL, NULL, 0, NULL, &status) == 0);
	CHECK_MSG(status == 128 + SIGTERM, "status %d", status);
	/* A program that cannot be run still started a child: the status
	 * says so, as the shell's would. */
	CHECK(spawn_run(missing, NULL, NULL, 0, NULL, &status) == 0);
	CHECK(status == SPAWN_EXEC_FAILED);
}

static void test_io(void)
{
	char *cat[] = { "cat", NULL };
	char *twice[] = { "/bin/sh", "-c", "cat; cat /dev/null; echo end", NULL };
	char *none[] = { "/bin/sh", "-c", "exit 0", NULL };
	const char in[] = "nameserver 192.0.2.1\nsearch example\n";
	struct textbuf out = { 0 };
	char *big;
	int status = -1;

	CHECK(spawn_run(cat, NULL, in, strlen(in), &out, &status) == 0);
	CHECK(status == 0);
	CHECK(out.len == strlen(in) && out.buf && !memcmp(out.buf, in, out.len));
	/* Appended to what is there. */
	CHECK(spawn_run(twice, NULL, "x\n", 2, &out, &status) == 0);
	CHECK(out.buf && !strcmp(out.buf + strlen(in), "x\nend\n"));
	textbuf_wipe(&out);

	/* No output is an empty text, not NULL. */
	CHECK(spawn_run(none, NULL, NULL, 0, &out, &status) == 0);
	CHECK(out.buf != NULL && out.len == 0);
	textbuf_wipe(&out);

	/* An input larger than a pipe holds, echoed back in full: the
	 * memfd never blocks the writer against its own reader. */
	big = malloc(1 << 20);
	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, 'a', 1 << 20);
	CHECK(spawn_run(cat, NULL, big, 1 << 20, &out, &status) == 0);
	CHECK(out.len == 1 << 20 && out.buf && !memcmp(out.buf, big, out.len));
	textbuf_wipe(&out);
	free(big);
}

static void test_too_much_output(void)
{
	char cmd[96];
	char *flood[] = { "/bin/sh", "-c", cmd, NULL };
	struct textbuf out = { 0 };
	int status = -1;

	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero", SPAWN_OUTPUT_MAX + 1);
	CHECK(spawn_run(flood, NULL, NULL, 0, &out, &status) == -EFBIG);
	textbuf_wipe(&out);
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero", SPAWN_OUTPUT_MAX);
	CHECK(spawn_run(flood, NULL, NULL, 0, &out, &status) == 0);
	CHECK(status == 0 && out.len == SPAWN_OUTPUT_MAX);
	textbuf_wipe(&out);
}

/* The child starts with the mask it is given, not with ours: blocked
 * here, SIGTERM still kills it. */
static void test_mask(void)
{
	char *selfkill[] = { "/bin/sh", "-c", "kill -TERM $$; exit 7", NULL };
	sigset_t block, old, empty;
	int status = -1;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, &old);
	CHECK(spawn_run(selfkill, &empty, NULL, 0, NULL, &status) == 0);
	CHECK_MSG(status == 128 + SIGTERM, "status %d", status);
	/* Negative control: with ours (NULL), SIGTERM stays blocked. */
	CHECK(spawn_run(selfkill, NULL, NULL, 0, NULL, &status) == 0);
	CHECK_MSG(status == 7, "status %d", status);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static const struct harness_case cases[] = {
	{ "PATH lookup as execvp", test_find },
	{ "a companion beside the running program", test_beside_self },
	{ "exit statuses and exec failure", test_status },
	{ "stdin from a memfd, stdout collected", test_io },
	{ "output bounded", test_too_much_output },
	{ "the child's signal mask", test_mask },
};

HARNESS_MAIN(cases)
