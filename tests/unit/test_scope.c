/* The scope check (src/firewall/scope.c): batches that stay in table
 * inet rampart-wg0, and those that do not, with the exact message. */
#define _GNU_SOURCE
#include "harness.h"

#include "firewall/firewall.h"

#include <errno.h>
#include <string.h>

static void test_scope_ok(void)
{
	static const char *const ok[] = {
		"add table inet rampart-wg0\ndelete table inet rampart-wg0\n",
		"table inet rampart-wg0 {\n\tchain input {\n\t\tip saddr 1.2.3.4 accept\n\t}\n}\n",
		"define X = 1\nadd rule inet rampart-wg0 input accept; flush chain inet rampart-wg0 in\n",
		"# table ip nat\nadd ct helper inet rampart-wg0 h { type \"ftp\" protocol tcp; }\n",
	};
	struct error err = { 0 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK_MSG(firewall_check_scope(ok[i], "rampart-wg0", &err) == 0,
			  "refused %zu: %s", i, err.msg);
}

static void test_scope_bad(void)
{
	static const struct { const char *batch, *msg; } bad[] = {
		{ "add table inet rampart-wg0\nadd table ip nat\n",
		  "line 2: \"ip nat\" is not table inet rampart-wg0; a Rampart batch touches no "
		  "other table" },
		{ "flush ruleset\n",
		  "line 1: \"flush ruleset\" is not confined to table inet rampart-wg0; a Rampart "
		  "batch touches no other table" },
		{ "add rule rampart-wg0 input accept\n",
		  "line 1: \"add rule\" names no family: write \"inet rampart-wg0\" (a Rampart "
		  "batch touches no other table)" },
		{ "include \"/etc/x\"\n",
		  "line 1: \"include\" is not confined to table inet rampart-wg0; a "
		  "Rampart batch touches no other table" },
		{ "table inet rampart-wg1 {\n}\n",
		  "line 1: \"inet rampart-wg1\" is not table inet rampart-wg0; a Rampart batch "
		  "touches no other table" },
	};
	struct error err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear(&err);
		CHECK(firewall_check_scope(bad[i].batch, "rampart-wg0", &err) == -EINVAL);
		CHECK_STR(err.msg, bad[i].msg);
	}
}

static const struct harness_case cases[] = {
	{ "scope_ok", test_scope_ok },
	{ "scope_bad", test_scope_bad },
};

HARNESS_MAIN(cases)
