/* The one error shape (common/error): what each setter records and how it
 * is printed. */
#include "harness.h"

#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void test_fail_and_format(void)
{
	struct error e;
	char buf[ERROR_STRLEN];

	error_clear(&e);
	CHECK(e.code == 0 && !e.file[0] && !e.msg[0]);
	CHECK(error_fail(&e, -ENOENT, "Unable to open `%s': %s", "x", strerror(ENOENT)) == -ENOENT);
	CHECK(e.code == -ENOENT);
	CHECK_STR(error_format(&e, buf, sizeof(buf)), "Unable to open `x': No such file or directory");
	CHECK(error_fail(NULL, -EIO, "nowhere") == -EIO);

	snprintf(e.value, sizeof(e.value), "\"abc\"");
	CHECK(error_fail_at(&e, -EINVAL, "wg0.conf", 3, "PublicKey", "invalid key %s: %s",
			    e.value, "not 44 characters of base64") == -EINVAL);
	CHECK_STR(e.value, "\"abc\"");
	CHECK_STR(error_format(&e, buf, sizeof(buf)),
		  "wg0.conf:3: PublicKey: invalid key \"abc\": not 44 characters of base64");
	/* The whole file: no line; no key. */
	CHECK(error_fail_at(&e, -EINVAL, e.file, 0, NULL, "larger than 16 MiB") == -EINVAL);
	CHECK_STR(error_format(&e, buf, sizeof(buf)), "wg0.conf: larger than 16 MiB");
	/* error_fail clears the location a previous error left. */
	error_fail(&e, -EPERM, "no");
	CHECK(!e.file[0] && !e.line && !e.key[0] && !e.value[0]);
	CHECK_STR(error_format(&e, buf, sizeof(buf)), "no");
}

static void test_prefix_and_bounds(void)
{
	char big[2 * ERROR_MSG_MAX], buf[ERROR_STRLEN];
	struct error e;

	error_fail(&e, -EPROTO, "reply line 3: bad");
	error_prefix(&e, "wg%d", 0);
	CHECK_STR(error_format(&e, buf, sizeof(buf)), "wg0: reply line 3: bad");
	error_prefix(NULL, "ignored");

	/* Long input is cut, never overflows, and stays NUL-terminated. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_fail_at(&e, -EINVAL, big, 1, big, "%s", big);
	CHECK(strlen(e.file) == ERROR_FILE_MAX - 1 && strlen(e.key) == ERROR_KEY_MAX - 1);
	CHECK(strlen(e.msg) == ERROR_MSG_MAX - 1);
	error_prefix(&e, "%s", big);
	CHECK(strlen(e.msg) == ERROR_MSG_MAX - 1);
	CHECK(strlen(error_format(&e, buf, sizeof(buf))) < sizeof(buf));
}

static const struct harness_case cases[] = {
	{ "fail, fail_at and format", test_fail_and_format },
	{ "prefix and bounds", test_prefix_and_bounds },
};

HARNESS_MAIN(cases)
