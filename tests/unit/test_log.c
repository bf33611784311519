/* Logging once detached: every line goes to syslog with its level's
 * priority (through the test hook in place of syslog(3)), stderr only
 * when kept, and nothing below the level. */
#include "harness.h"

#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

static int got_priority, got_count;
static char got_line[256];

static void hook(int priority, const char *line)
{
	got_priority = priority;
	got_count++;
	snprintf(got_line, sizeof(got_line), "%s", line);
}

static void test_syslog_lines(void)
{
	log_set_syslog_hook(hook);
	log_open_syslog(false);
	log_set_level(LOG_LEVEL_INFO);

	log_warn("peer %d: %s", 7, "gone");
	CHECK(got_count == 1);
	CHECK(got_priority == LOG_WARNING);
	CHECK_STR(got_line, "peer 7: gone");

	log_error("e");
	CHECK(got_count == 2 && got_priority == LOG_ERR);
	log_info("i");
	CHECK(got_count == 3 && got_priority == LOG_INFO);

	/* Below the level: nothing at all. */
	log_debug("d");
	CHECK(got_count == 3);
	CHECK_STR(got_line, "i");
}

static void test_syslog_cut(void)
{
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_set_syslog_hook(hook);
	log_open_syslog(false);
	log_set_level(LOG_LEVEL_WARN);
	got_count = 0;
	log_warn("%s", big);
	/* One record, cut to the line buffer, never split. */
	CHECK(got_count == 1);
	CHECK(strlen(got_line) == sizeof(got_line) - 1);
}

static const struct harness_case cases[] = {
	{ "log/syslog_lines", test_syslog_lines },
	{ "log/syslog_cut", test_syslog_cut },
};

HARNESS_MAIN(cases)
