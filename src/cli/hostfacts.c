/* The host's facts for `rampart metrics` (metrics_render_host): the
 * network namespace's conntrack figures from /proc/sys/net/netfilter, and
 * the named counters of each interface's firewall table.  What cannot be
 * read costs its samples only: conntrack not loaded (no
 * nf_conntrack_count) or an interface without a table says nothing; any
 * other failure (no CAP_NET_ADMIN to list the table) one line on stderr.
 * Kept apart from metrics.c so that every way of exporting metrics can
 * gather the same facts. */
#include "cli.h"

#include "common/error.h"
#include "firewall/counters.h"
#include "firewall/firewall.h"
#include "monitor/metrics.h"
#include "sys/sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_conntrack(const char *cmd, struct metrics_host *h)
{
	struct error err = { 0 };
	int r;

	r = sysctl_read_u64(SYSCTL_PROC_ROOT, "net.netfilter.nf_conntrack_count",
			    &h->conntrack_entries, &err);
	if (!r)
		r = sysctl_read_u64(SYSCTL_PROC_ROOT, "net.netfilter.nf_conntrack_max",
				    &h->conntrack_limit, &err);
	if (r && r != -ENOENT)
		fprintf(stderr, "%s %s: no conntrack figures: %s\n", prog_name, cmd, err.msg);
	h->has_conntrack = !r;
}

void cli_host_facts(const char *cmd, const struct metrics_interface *ifs, size_t n,
		    struct cli_host_facts *f)
{
	struct error err = { 0 };
	bool exists;

	memset(f, 0, sizeof(*f));
	cli_conntrack(cmd, &f->host);
	f->tables = calloc(n ? n : 1, sizeof(*f->tables));
	f->fw = calloc(n ? n * FIREWALL_COUNTERS_MAX : 1, sizeof(*f->fw));
	if (!f->tables || !f->fw) {
		fprintf(stderr, "%s %s: no firewall counters: out of memory\n", prog_name, cmd);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct firewall_counters *t = &f->tables[i];

		/* A name the firewall refuses ("panic") has no table. */
		if (!firewall_valid_ifname(ifs[i].name))
			continue;
		if (firewall_counters_read(ifs[i].name, &f->tables[i], &exists, &err)) {
			fprintf(stderr, "%s %s: %s: no firewall counters: %s\n", prog_name, cmd,
				ifs[i].name, err.msg);
			continue;
		}
		for (size_t j = 0; j < t->n; j++)
			f->fw[f->host.n_fw++] = (struct metrics_firewall_counter){
				.interface = ifs[i].name, .chain = t->v[j].chain,
				.purpose = t->v[j].purpose, .packets = t->v[j].packets,
				.bytes = t->v[j].bytes,
			};
	}
	f->host.fw = f->fw;
}

void cli_host_facts_free(struct cli_host_facts *f)
{
	free(f->fw);
	free(f->tables);
	memset(f, 0, sizeof(*f));
}
