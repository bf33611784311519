/* src/firewall/counters.c: nft's `list counters table` output parsed into
 * chain, purpose, packets and bytes (the listing of nft 1.0.6, copied
 * from a live table); names that are not CHAIN_PURPOSE skipped; malformed
 * listings refused with their line; the renderer's names all parse. */
#include "harness.h"

#include "common/error.h"
#include "firewall/counters.h"
#include "firewall/nftpolicy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char listing[] =
	"table inet rampart-wg0 {\n"
	"\tcounter prerouting_anti_spoof {\n"
	"\t\tpackets 8 bytes 480\n"
	"\t}\n"
	"\tcounter input_default_drop {\n"
	"\t\tpackets 18446744073709551615 bytes 0\n"
	"\t}\n"
	"\tcounter mine {\n"
	"\t\tpackets 3 bytes 3\n"
	"\t}\n"
	"\tcounter output_kill_switch {\n"
	"\t\tpackets 10 bytes 840\n"
	"\t}\n"
	"}\n";

static void test_parse(void)
{
	struct firewall_counters c;
	struct error err = { 0 };

	CHECK(firewall_counters_parse(listing, &c, &err) == 0);
	CHECK(c.n == 3);
	if (c.n != 3)
		return;
	CHECK_STR(c.v[0].chain, "prerouting");
	CHECK_STR(c.v[0].purpose, "anti_spoof");
	CHECK(c.v[0].packets == 8 && c.v[0].bytes == 480);
	CHECK_STR(c.v[1].chain, "input");
	CHECK_STR(c.v[1].purpose, "default_drop");
	CHECK(c.v[1].packets == UINT64_MAX && c.v[1].bytes == 0);
	CHECK_STR(c.v[2].chain, "output");
	CHECK_STR(c.v[2].purpose, "kill_switch");
	CHECK(c.v[2].packets == 10 && c.v[2].bytes == 840);

	/* Not CHAIN_PURPOSE, or a part too long: not ours, skipped. */
	static const char *const foreign[] = { "_x", "input_", "mine",
		"averyveryverylongchain_x", "input_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++) {
		char text[128];

		snprintf(text, sizeof(text), "counter %s {\n\tpackets 1 bytes 2\n}\n", foreign[i]);
		CHECK_MSG(firewall_counters_parse(text, &c, &err) == 0 && c.n == 0, "%s", foreign[i]);
	}
	CHECK(firewall_counters_parse("", &c, &err) == 0 && c.n == 0);
	CHECK(firewall_counters_parse("table inet rampart-wg0 {\n}\n", &c, &err) == 0 && c.n == 0);
}

/* Each name the renderer gives splits at its first '_' into a chain of
 * the table and a purpose. */
static void test_renderer_names(void)
{
	static const char *const names[] = {
		NFTPOLICY_COUNTER_ANTI_SPOOF, NFTPOLICY_COUNTER_INPUT_INVALID,
		NFTPOLICY_COUNTER_HANDSHAKE_FLOOD, NFTPOLICY_COUNTER_WIREGUARD,
		NFTPOLICY_COUNTER_SSH_FLOOD, NFTPOLICY_COUNTER_INPUT_DROP,
		NFTPOLICY_COUNTER_FORWARD_INVALID, NFTPOLICY_COUNTER_FORWARD_DROP,
		NFTPOLICY_COUNTER_KILL_SWITCH,
	};
	static const char *const chains[] = { "prerouting", "input", "forward", "output" };
	struct firewall_counters c;
	struct error err = { 0 };
	char text[256];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		bool known = false;

		snprintf(text, sizeof(text), "counter %s {\n\tpackets 1 bytes 2\n}\n", names[i]);
		CHECK_MSG(firewall_counters_parse(text, &c, &err) == 0 && c.n == 1, "%s", names[i]);
		if (c.n != 1)
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(chains); j++)
			known |= !strcmp(c.v[0].chain, chains[j]);
		CHECK_MSG(known, "%s: chain %s", names[i], c.v[0].chain);
		CHECK_MSG(!strcmp(c.v[0].purpose, names[i] + strlen(c.v[0].chain) + 1), "%s", names[i]);
	}
}

static void test_refused(void)
{
	static const struct {
		const char *text;
		int ret;
		const char *msg;
	} bad[] = {
		{ "table inet t {\n\tcounter input_x {\n\t}\n}\n", -EINVAL,
		  "line 2: a counter without its \"packets N bytes N\" line" },
		{ "counter input_x {\n\tpackets 1 bytes\n}\n", -EINVAL,
		  "line 2: \"packets 1 bytes\" is not \"packets N bytes N\"" },
		{ "counter input_x {\n\tpackets -1 bytes 2\n}\n", -EINVAL,
		  "line 2: \"packets -1 bytes 2\" is not \"packets N bytes N\"" },
		{ "counter input_x {\n\tpackets 1 bytes 2 x\n}\n", -EINVAL,
		  "line 2: \"packets 1 bytes 2 x\" is not \"packets N bytes N\"" },
		{ "counter input_x {\n\tpackets 1 bytes 18446744073709551616\n}\n", -EINVAL,
		  "line 2: \"packets 1 bytes 18446744073709551616\" is not \"packets N bytes N\"" },
		{ "counter input_x {\n\tpackets 1 bytes 2\n", -EINVAL,
		  "line 1: a counter without its \"}\"" },
	};
	struct firewall_counters c;
	struct error err = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_MSG(firewall_counters_parse(bad[i].text, &c, &err) == bad[i].ret, "%zu", i);
		CHECK_STR(err.msg, bad[i].msg);
	}
}

/* More than FIREWALL_COUNTERS_MAX of ours: -E2BIG, not a short list. */
static void test_too_many(void)
{
	static char text[FIREWALL_COUNTERS_MAX * 64 + 128];
	struct firewall_counters c;
	struct error err = { 0 };
	size_t len = 0;

	for (int i = 0; i <= FIREWALL_COUNTERS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"counter input_c%d {\n\tpackets 1 bytes 1\n}\n", i);
	CHECK(firewall_counters_parse(text, &c, &err) == -E2BIG);
	CHECK(strstr(err.msg, "more than 32 counters") != NULL);
}

static const struct harness_case cases[] = {
	{ "parse", test_parse },
	{ "renderer_names", test_renderer_names },
	{ "refused", test_refused },
	{ "too_many", test_too_many },
};

HARNESS_MAIN(cases)
