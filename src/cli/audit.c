/* rampart audit [IFNAME...] [--root DIR] [--stale-days N] [--db PATH]
 * [--json]: runs the audit's
 * checks (audit/audit.h) over the interfaces' configs (every
 * .conf file of /etc/wireguard by default) and prints the findings, one line
 * each with the evidence and the fix indented below, or as a JSON array.
 * --root reads the host's files under DIR instead of "/" (for tests and
 * for auditing a mounted image).  --stale-days is the age in days past
 * which a peer's latest handshake is reported (peers.no_handshake,
 * default 30); --db (or RAMPART_DB) the inventory's file, by default
 * INV_STORE_DEFAULT_PATH under the root.  Exit 0 when nothing (or only infos)
 * was found, 1 for warnings, 2 for a critical finding, 3 when the audit
 * could not run. */
#include "cli.h"

#include "audit/audit.h"
#include "audit/drift.h"
#include "common/textbuf.h"
#include "common/netaddr.h"
#include "ctl/socket.h"
#include "sys/nftables.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest --stale-days: a hundred years. */
enum { STALE_DAYS_MAX = 36500 };

static void usage(FILE *f, const char *cmd)
{
	fprintf(f, "Usage: %s %s [IFNAME...] [--root DIR] [--stale-days N] [--db PATH] [--json]\n",
		prog_name, cmd);
}

/* The host's live facts: the ruleset from the kernel, the daemons from
 * their control sockets. */
static int live_ruleset(void *arg, struct textbuf *out, struct error *err)
{
	(void)arg;
	return nftables_exec("list ruleset\n", false, NFTABLES_OUTPUT_JSON, out, 0, err);
}

static int live_device(void *arg, const char *ifname, struct uapi_device **out,
		       struct error *err)
{
	(void)arg;
	return wgctl_get_device(ifname, out, err);
}

static int live_table_drift(void *arg, const char *ifname, const struct conf *conf,
			    const char *filename, struct drift_list *out, struct error *err)
{
	(void)arg;
	return drift_nft_table(ifname, conf, filename, out, err);
}

static void print_text(const struct audit_list *l, struct textbuf *o)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct audit_finding *a = &l->v[i];

		textbuf_printf(o, "%s %s: %s\n    evidence: %s\n    fix: %s\n    seed: %s\n",
			       audit_severity_name(a->severity), a->id, a->message,
			       a->evidence, a->fix, a->seed_item);
	}
}

static void print_json(const struct audit_list *l, struct textbuf *o)
{
	textbuf_append(o, "[", 1);
	for (size_t i = 0; i < l->n; i++) {
		const struct audit_finding *a = &l->v[i];

		textbuf_append(o, i ? ",\n {" : "\n {", i ? 4 : 3);
		textbuf_printf(o, "\"id\": ");
		cli_json_string(o, a->id);
		textbuf_printf(o, ", \"severity\": ");
		cli_json_string(o, audit_severity_name(a->severity));
		textbuf_printf(o, ", \"message\": ");
		cli_json_string(o, a->message);
		textbuf_printf(o, ", \"evidence\": ");
		cli_json_string(o, a->evidence);
		textbuf_printf(o, ", \"fix\": ");
		cli_json_string(o, a->fix);
		textbuf_printf(o, ", \"seed\": ");
		cli_json_string(o, a->seed_item);
		textbuf_append(o, "}", 1);
	}
	textbuf_printf(o, "%s]\n", l->n ? "\n" : "");
}

/* --stale-days N: 1..STALE_DAYS_MAX; false with the reason on stderr. */
static bool parse_stale_days(const char *cmd, const char *s, unsigned *out)
{
	const char *why = "must be at least 1";
	uint32_t v;

	if (netaddr_parse_u32(&v, s, STALE_DAYS_MAX, &why) && v >= 1) {
		*out = v;
		return true;
	}
	fprintf(stderr, "%s: %s: --stale-days `%s': %s (a number of days, 1 to %d)\n", prog_name,
		cmd, s, why, STALE_DAYS_MAX);
	return false;
}

static int exit_status(const struct audit_list *l)
{
	switch (audit_worst(l)) {
	case AUDIT_CRITICAL: return 2;
	case AUDIT_WARNING: return 1;
	default: return 0;
	}
}

int audit_main(int argc, char *argv[])
{
	const char *root = "/";
	char **names = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*names));
	size_t n_names = 0, n_ifs = 0;
	struct audit_iface *ifs = NULL;
	struct audit_list l = { 0 };
	struct textbuf o = { 0 };
	struct error err = { 0 };
	struct audit_options opt = { 0 };
	struct audit_facts *f;
	char msg[ERROR_STRLEN];
	bool json = false;
	int ret = 3;

	if (!names) {
		fprintf(stderr, "%s: %s: out of memory\n", prog_name, argv[0]);
		return 3;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			root = argv[++i];
		} else if (!strcmp(argv[i], "--stale-days") && i + 1 < argc) {
			if (!parse_stale_days(argv[0], argv[++i], &opt.stale_days)) {
				free(names);
				return 3;
			}
		} else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			opt.db = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, argv[0]);
			free(names);
			return 0;
		} else if (argv[i][0] == '-') {
			usage(stderr, argv[0]);
			free(names);
			return 3;
		} else {
			names[n_names++] = argv[i];
		}
	}
	f = audit_facts_open(root, &err);
	if (!f)
		goto fail;
	if (!opt.db)
		opt.db = getenv("RAMPART_DB");
#ifdef RAMPART_DEBUG
	/* The tests' sanitized rampart takes RAMPART_NOW=UNIXTIME, as the peer
	 * commands do, so that handshake ages and expiries run on a fake
	 * clock; release builds have no such knob (the facts read the time). */
	if (getenv("RAMPART_NOW") && *getenv("RAMPART_NOW"))
		opt.now = strtoll(getenv("RAMPART_NOW"), NULL, 10);
#endif
	audit_facts_set_options(f, &opt);
	/* A fixture tree (--root) has no kernel of its own to ask. */
	if (!strcmp(root, "/")) {
		static const struct audit_sources live = { live_ruleset, live_device,
							   live_table_drift, NULL };

		audit_facts_set_sources(f, &live);
	}
	if (audit_load(f, names, n_names, &ifs, &n_ifs, &err) ||
	    audit_run(f, ifs, n_ifs, &l, &err))
		goto fail;
	if (json)
		print_json(&l, &o);
	else
		print_text(&l, &o);
	ret = cli_write_out(&o) ? exit_status(&l) : 3;
	goto out;
fail:
	fprintf(stderr, "%s: %s: %s\n", prog_name, argv[0], error_format(&err, msg, sizeof(msg)));
out:
	audit_list_free(&l);
	audit_ifaces_free(ifs, n_ifs);
	audit_facts_close(f);
	free(names);
	return ret;
}
