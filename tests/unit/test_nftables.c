/* sys/nftables: what nftables_exec makes of nft's errors, on batches
 * that libnftables refuses while parsing, before it asks the kernel
 * anything (so this needs no privileges and changes nothing). */
#include "harness.h"

#include "common/textbuf.h"
#include "sys/nftables.h"

#include <errno.h>
#include <string.h>

static void test_parse_error_lines(void)
{
	const char batch[] = "add table ip rampart-test\nthis is not nft\n";
	char err[512] = "";
	int ret;

	/* The error names the batch's line, not /proc/self/fd/N. */
	ret = nftables_exec(batch, true, 0, NULL, 0, err, sizeof(err));
	CHECK_MSG(ret == -EINVAL, "ret %d", ret);
	CHECK_MSG(strstr(err, "line 2:") != NULL, "err: %s", err);
	CHECK_MSG(strstr(err, "/proc/self/fd") == NULL, "err: %s", err);
	CHECK_MSG(strstr(err, "this is not nft") != NULL, "err: %s", err);

	/* Lines the caller put in front are taken off. */
	err[0] = '\0';
	ret = nftables_exec(batch, true, 0, NULL, 1, err, sizeof(err));
	CHECK_MSG(ret == -EINVAL, "ret %d", ret);
	CHECK_MSG(strstr(err, "line 1:") != NULL, "err: %s", err);
}

static void test_error_truncated(void)
{
	char err[16];
	int ret;

	/* A short buffer gets a NUL-terminated prefix, never an overrun. */
	memset(err, 'x', sizeof(err));
	ret = nftables_exec("bogus\n", true, 0, NULL, 0, err, sizeof(err));
	CHECK(ret == -EINVAL);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	CHECK_MSG(!strncmp(err, "line 1:", 7), "err: %s", err);
}

static const struct harness_case cases[] = {
	{ "parse errors name batch lines", test_parse_error_lines },
	{ "errors fit the caller's buffer", test_error_truncated },
};

HARNESS_MAIN(cases)
