/* rampart doctor IFNAME|CONFIG [PEER] [--wait SECS] [--json]: seed 002's
 * diagnosis playbook (audit/doctor.h) for one peer of the interface, or
 * for every peer (watched together), on the host of the interface.  Prints each step
 * with its status and evidence and, at the first broken layer, the next
 * action; --json prints one array of the steps, each with the peer.  Exit
 * 0 when every step that ran is ok, 1 when one failed, 3 when doctor
 * cannot run (bad arguments, no such config, no such peer). */
#include "cli.h"

#include "audit/doctor.h"
#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "ctl/wgctl.h"
#include "firewall/policykeys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DOCTOR_WAIT_MAX_S = 300 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s doctor <INTERFACE | CONFIG_FILE> [PEER] [--wait SECS] [--json]\n\n"
		"  Runs the diagnosis playbook on the host of the interface, for PEER (its\n"
		"  `# Name' in the config or its public key) or for every peer: listening,\n"
		"  arrival, handshake, tunnel, routes, nat, dns, mtu, stopping at the first\n"
		"  broken layer with its evidence and the next action.  --wait: how long to\n"
		"  watch counters and handshakes (default %d s).  docs/doctor.md.\n",
		prog_name, DOCTOR_WAIT_MS_DEFAULT / 1000);
}

static void peer_label(const struct conf_peer *p, char *buf, size_t size)
{
	char key[KEY_B64_LEN + 1];

	encoding_key_to_base64(key, p->public_key);
	snprintf(buf, size, "%s", p->name[0] ? p->name : key);
}

static void print_text(const struct doctor_report *rep, const char *ifname, const char *peer,
		       struct textbuf *o)
{
	textbuf_printf(o, "%s peer %s:\n", ifname, peer);
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		const struct doctor_result *r = &rep->steps[i];

		textbuf_printf(o, "  %-7s %-9s %s\n",
			       r->status == DOCTOR_FAIL ? "FAIL" : doctor_status_name(r->status),
			       doctor_step_name(r->step), r->evidence);
		if (r->status == DOCTOR_FAIL)
			textbuf_printf(o, "                    next: %s\n", r->next);
	}
	if (rep->failed >= 0)
		textbuf_printf(o, "broken layer: %s\n", doctor_step_name((enum doctor_step)rep->failed));
	else
		textbuf_printf(o, "every layer that applies is ok\n");
}

static void print_json(const struct doctor_report *rep, const char *peer, bool first,
		       struct textbuf *o)
{
	for (int i = 0; i < DOCTOR_STEPS; i++) {
		const struct doctor_result *r = &rep->steps[i];

		textbuf_printf(o, "%s{\"peer\": ", first && !i ? "\n " : ",\n ");
		cli_json_string(o, peer);
		textbuf_printf(o, ", \"step\": ");
		cli_json_string(o, doctor_step_name(r->step));
		textbuf_printf(o, ", \"status\": ");
		cli_json_string(o, doctor_status_name(r->status));
		textbuf_printf(o, ", \"evidence\": ");
		cli_json_string(o, r->evidence);
		textbuf_printf(o, ", \"next\": ");
		cli_json_string(o, r->next);
		textbuf_append(o, "}", 1);
	}
}

struct args {
	const char *iface, *peer;
	unsigned wait_ms;
	bool json;
};

/* 0, or the exit status after saying why. */
static int parse_args(int argc, char *argv[], struct args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--wait") && i + 1 < argc) {
			char *end;
			unsigned long s = strtoul(argv[++i], &end, 10);

			if (*end || !*argv[i] || !s || s > DOCTOR_WAIT_MAX_S) {
				fprintf(stderr, "%s doctor: --wait `%s': not a number of seconds in "
					"1..%d\n", prog_name, argv[i], DOCTOR_WAIT_MAX_S);
				return 3;
			}
			a->wait_ms = (unsigned)s * 1000;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return -1;
		} else if (argv[i][0] == '-' || (a->iface && a->peer)) {
			usage(stderr);
			return 3;
		} else if (!a->iface) {
			a->iface = argv[i];
		} else {
			a->peer = argv[i];
		}
	}
	if (!a->iface) {
		usage(stderr);
		return 3;
	}
	return 0;
}

/* The config of a->iface: 0, or the exit status after saying why. */
static int load(const struct args *a, char ifname[CONF_IFNAME_MAX + 1], struct conf **conf)
{
	char path[CONF_PATH_MAX];
	struct error err = { 0 };

	if (conf_config_path(a->iface, path, sizeof(path))) {
		fprintf(stderr, "%s doctor: `%s': path too long\n", prog_name, a->iface);
		return 3;
	}
	if (!conf_ifname_from_path(path, ifname)) {
		fprintf(stderr, "%s doctor: `%s': the config file must be a valid interface "
			"name, followed by .conf\n", prog_name, path);
		return 3;
	}
	if (wgctl_load_conf(path, conf, &err)) {
		fprintf(stderr, "%s doctor: %s\n", prog_name, err.msg);
		return 3;
	}
	if (!(*conf)->n_peers) {
		fprintf(stderr, "%s doctor: %s: no [Peer] to diagnose\n", prog_name, path);
		return 3;
	}
	if (a->peer && !doctor_find_peer(*conf, a->peer)) {
		fprintf(stderr, "%s doctor: %s: no peer `%s' (a `# Name' or a public key)\n",
			prog_name, path, a->peer);
		return 3;
	}
	return 0;
}

int doctor_main(int argc, char *argv[])
{
	char ifname[CONF_IFNAME_MAX + 1], label[CONF_PEER_NAME_MAX + KEY_B64_LEN + 1];
	struct doctor_target *t = NULL;
	struct doctor_report *reps = NULL;
	struct args a = { 0 };
	struct conf *conf = NULL;
	struct doctor_host *h = NULL;
	struct doctor_ops ops;
	struct textbuf o = { 0 };
	bool failed = false;
	size_t n = 0;
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = load(&a, ifname, &conf);
	if (ret)
		goto out;
	t = calloc(conf->n_peers, sizeof(*t));
	reps = calloc(conf->n_peers, sizeof(*reps));
	h = doctor_host_open();
	if (!t || !reps || !h) {
		fprintf(stderr, "%s doctor: out of memory\n", prog_name);
		ret = 3;
		goto out;
	}
	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct conf_peer *p = &conf->peers[i];

		if (!a.peer || p == doctor_find_peer(conf, a.peer))
			t[n++] = (struct doctor_target){ ifname, conf, p,
							 policykeys_peer(p)->egress.on, a.wait_ms };
	}
	doctor_host_ops(h, &ops);
	doctor_run(t, n, &ops, reps);
	if (a.json)
		textbuf_append(&o, "[", 1);
	for (size_t i = 0; i < n; i++) {
		failed |= reps[i].failed >= 0;
		peer_label(t[i].peer, label, sizeof(label));
		if (a.json)
			print_json(&reps[i], label, !i, &o);
		else
			print_text(&reps[i], ifname, label, &o);
	}
	if (a.json)
		textbuf_printf(&o, "\n]\n");
	ret = cli_write_out(&o) ? failed : 3;
out:
	doctor_host_close(h);
	free(t);
	free(reps);
	conf_free(conf);
	return ret;
}
