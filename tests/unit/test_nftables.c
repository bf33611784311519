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
	struct error err;
	int ret;

	/* The error names the batch's line, not /proc/self/fd/N. */
	ret = nftables_exec(batch, true, 0, NULL, 0, &err);
	CHECK_MSG(ret == -EINVAL, "ret %d", ret);
	CHECK_MSG(strstr(err.msg, "line 2:") != NULL, "err: %s", err.msg);
	CHECK_MSG(strstr(err.msg, "/proc/self/fd") == NULL, "err: %s", err.msg);
	CHECK_MSG(strstr(err.msg, "this is not nft") != NULL, "err: %s", err.msg);

	/* Lines the caller put in front are taken off. */
	err.msg[0] = '\0';
	ret = nftables_exec(batch, true, 0, NULL, 1, &err);
	CHECK_MSG(ret == -EINVAL, "ret %d", ret);
	CHECK_MSG(strstr(err.msg, "line 1:") != NULL, "err: %s", err.msg);
}

static void test_error_truncated(void)
{
	struct error err;
	int ret;

	/* A short buffer gets a NUL-terminated prefix, never an overrun. */
	memset(err.msg, 'x', sizeof(err.msg));
	ret = nftables_exec("bogus\n", true, 0, NULL, 0, &err);
	CHECK(ret == -EINVAL);
	CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	CHECK_MSG(!strncmp(err.msg, "line 1:", 7), "err: %s", err.msg);
}

static const struct harness_case cases[] = {
	{ "parse errors name batch lines", test_parse_error_lines },
	{ "errors fit the caller's buffer", test_error_truncated },
};

HARNESS_MAIN(cases)
