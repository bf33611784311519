/* firewall.table_drift: Rampart's live table of a running interface
 * against what its config renders, the comparison `rampart diff` makes
 * (audit/drift.h), through the facts' table_drift source so that the
 * check runs on fixed answers in the unit tests.  A rule added by hand to
 * Rampart's table, or a table left from an older config, is what seed
 * 001 asks to find when it says "periodically audit your firewall rules":
 * the next `rampart up` or apply would silently undo it, or, absent,
 * nothing of the policy protects the host. */
#include "audit.h"

#include "audit/drift.h"
#include "conf/config.h"
#include "firewall/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SEED_DRIFT "seed 001: periodically audit your firewall rules (a predictable, auditable posture)"

/* The first few differing lines name the drift; `rampart diff` lists all. */
enum { EVIDENCE_LINES = 3 };

static void evidence(char *buf, size_t size, const struct drift_list *d)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n && i < EVIDENCE_LINES && used < size; i++) {
		const struct drift *x = &d->v[i];
		int w = snprintf(buf + used, size - used, "%s%s: declared %s, running %s",
				 i ? "; " : "", x->what, x->declared[0] ? x->declared : "(none)",
				 x->running[0] ? x->running : "(none)");

		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (d->n > EVIDENCE_LINES && used < size)
		snprintf(buf + used, size - used, "; and %zu more", d->n - EVIDENCE_LINES);
}

static int one(struct audit_facts *f, const struct audit_iface *ifc, struct audit_list *out,
	       struct error *err)
{
	struct drift_list d = { 0 };
	const struct uapi_device *dev;
	struct audit_finding *a;
	struct policy pol;
	struct error why = { 0 };
	int ret;

	/* Only an interface that runs has a table to compare; a config
	 * whose policy does not resolve has nothing to render. */
	if (!ifc->conf || policy_resolve(ifc->conf, ifc->path, &pol, &why) || !pol.enabled)
		return 0;
	ret = audit_device(f, ifc->name, &dev, err);
	if (ret || !dev)
		return ret;
	ret = audit_table_drift(f, ifc->name, ifc->conf, ifc->path, &d, err);
	if (ret || !d.n) {
		drift_list_free(&d);
		return ret;
	}
	a = audit_add(out, "firewall.table_drift", AUDIT_WARNING, SEED_DRIFT);
	if (!a) {
		drift_list_free(&d);
		return error_fail(err, -ENOMEM, "out of memory");
	}
	snprintf(a->message, sizeof(a->message),
		 "%s: table inet rampart-%s differs from what %s renders (%zu line%s)", ifc->name,
		 ifc->name, ifc->path, d.n, d.n == 1 ? "" : "s");
	evidence(a->evidence, sizeof(a->evidence), &d);
	snprintf(a->fix, sizeof(a->fix),
		 "rampart diff %s (every line), then rampart firewall apply %s; a change meant "
		 "to stay belongs in %s",
		 ifc->name, ifc->path, ifc->path);
	drift_list_free(&d);
	return 0;
}

int audit_firewall_table_drift(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			       struct audit_list *out, struct error *err)
{
	for (size_t k = 0; k < n; k++) {
		int ret = one(f, &ifs[k], out, err);

		if (ret)
			return ret;
	}
	return 0;
}
