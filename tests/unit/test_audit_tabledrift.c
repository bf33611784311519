/* firewall.table_drift over fixture trees: the table_drift source answers
 * with two listings compared as `rampart diff` compares them
 * (drift_compare_listings), so what is tested here is when the check
 * asks (a running interface whose policy is on) and what it reports. */
#include "audit_fixture.h"

#include "firewall/policykeys.h"

#define LISTING                                                                      \
	"table inet rampart-wg0 {\n\tchain input {\n"                                 \
	"\t\ttype filter hook input priority filter; policy drop;\n"                   \
	"\t\tudp dport 51820 counter name \"input_wireguard\" accept comment \"WireGuard\"\n" \
	"\t}\n}\n"
#define BY_HAND                                                                      \
	"table inet rampart-wg0 {\n\tchain input {\n"                                 \
	"\t\ttype filter hook input priority filter; policy drop;\n"                   \
	"\t\tudp dport 51820 counter name \"input_wireguard\" accept comment \"WireGuard\"\n" \
	"\t\ttcp dport 8080 accept\n\t}\n}\n"
#define REPLY "private_key=" HEX_KEY "\nlisten_port=51820\nerrno=0\n\n"
#define HEX_KEY "28bb4517799d4d154c3496c8ca0151c6f92fae4c29b13a5f3293a37e61241f5f"

static void hub(const char *extra)
{
	char *text, *conf;
	size_t len = 0;

	tree();
	CHECK(policykeys_register() == 0);
	text = harness_slurp("tests/golden/policy/hub.conf", &len);
	CHECK(text != NULL);
	conf = malloc(len + 64);
	CHECK(conf != NULL);
	if (text && conf) {
		/* extra goes right after [Interface]. */
		const char *at = strstr(text, "[Interface]\n");

		CHECK(at != NULL);
		if (at) {
			size_t head = (size_t)(at - text) + 12;

			sprintf(conf, "%.*s%s%s", (int)head, text, extra, text + head);
			put("wg0.conf", conf, 0600);
		}
	}
	free(conf);
	free(text);
	fixture_device_reply = REPLY;
	fixture_table_declared = LISTING;
}

static void test_drift(void)
{
	int sev = -1;

	hub("");
	fixture_table_running = LISTING;
	CHECK(audit_count("firewall.table_drift", NULL) == 0);
	fixture_table_running = BY_HAND;
	CHECK(audit_count("firewall.table_drift", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	CHECK_MSG(strstr(fixture_evidence, "tcp dport 8080 accept"), "%s", fixture_evidence);
	/* The table gone while the interface runs. */
	fixture_table_running = NULL;
	CHECK(audit_count("firewall.table_drift", NULL) == 1);
	cleanup();
}

static void test_not_asked(void)
{
	/* Not running: no table to compare, whatever the listings say. */
	hub("");
	fixture_table_running = BY_HAND;
	fixture_device_reply = NULL;
	CHECK(audit_count("firewall.table_drift", NULL) == 0);
	cleanup();
	/* Policy = off: Rampart keeps no table for it. */
	hub("Policy = off\n");
	fixture_table_running = BY_HAND;
	CHECK(audit_count("firewall.table_drift", NULL) == 0);
	cleanup();
	/* No source answers: nothing, and no error. */
	hub("");
	fixture_table_declared = NULL;
	CHECK(audit_count("firewall.table_drift", NULL) == 0);
	cleanup();
}

static const struct harness_case cases[] = {
	{ "a hand edit or a missing table on a running interface", test_drift },
	{ "not running, Policy = off, no answer: nothing", test_not_asked },
};

HARNESS_MAIN(cases)
