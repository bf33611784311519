/* The finding list, loading the interfaces' configs through the facts,
 * and the order the checks run in. */
#include "audit.h"

#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audit_finding *audit_add(struct audit_list *l, const char *id,
				enum audit_severity sev, const char *seed_item)
{
	struct audit_finding *a;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct audit_finding *nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->severity = sev;
	a->seed_item = seed_item;
	return a;
}

void audit_list_free(struct audit_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int audit_worst(const struct audit_list *l)
{
	int worst = -1;

	for (size_t i = 0; i < l->n; i++)
		if ((int)l->v[i].severity > worst)
			worst = (int)l->v[i].severity;
	return worst;
}

const char *audit_severity_name(enum audit_severity s)
{
	switch (s) {
	case AUDIT_CRITICAL: return "critical";
	case AUDIT_WARNING: return "warning";
	case AUDIT_INFO: break;
	}
	return "info";
}

void audit_ifaces_free(struct audit_iface *ifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		conf_free(ifs[i].conf);
	free(ifs);
}

/* An interface name as wg-quick takes it from a file name: at most 15
 * bytes of [a-zA-Z0-9_=+.-]. */
static bool valid_ifname(const char *s, size_t len)
{
	if (!len || len > 15)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_=+.-", s[i]))
			return false;
	return true;
}

static int load_one(struct audit_facts *f, const char *name, struct audit_iface *ifc,
		    struct error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (!valid_ifname(name, strlen(name)))
		return error_fail(err, -EINVAL, "`%s' is not a valid interface name", name);
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	snprintf(ifc->path, sizeof(ifc->path), AUDIT_WG_DIR "/%s.conf", name);
	ret = audit_read(f, ifc->path, &buf, &len, err);
	if (ret)
		return ret;
	ret = wgconf_parse(buf, len, ifc->path, &ifc->conf, err);
	textbuf_free_text(buf, len);
	return ret;
}

/* The interface names of the *.conf files in AUDIT_WG_DIR. */
static int default_names(struct audit_facts *f, char ***names, size_t *n,
			 struct error *err)
{
	size_t k = 0;
	int ret = audit_list_dir(f, AUDIT_WG_DIR, names, n, err);

	if (ret)
		return ret;
	for (size_t i = 0; i < *n; i++) {
		char *s = (*names)[i];
		size_t len = strlen(s);

		if (len > 5 && !strcmp(s + len - 5, ".conf") && valid_ifname(s, len - 5)) {
			s[len - 5] = '\0';
			(*names)[k++] = s;
		} else {
			free(s);
		}
	}
	*n = k;
	return 0;
}

int audit_load(struct audit_facts *f, char *const *names, size_t n_names,
	       struct audit_iface **ifs, size_t *n, struct error *err)
{
	char **found = NULL;
	size_t n_found = 0;
	struct audit_iface *v;
	int ret = 0;

	if (!n_names) {
		ret = default_names(f, &found, &n_found, err);
		if (ret)
			return ret;
		names = found;
		n_names = n_found;
	}
	v = calloc(n_names ? n_names : 1, sizeof(*v));
	if (!v) {
		audit_names_free(found, n_found);
		return error_fail(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n_names && !ret; i++)
		ret = load_one(f, names[i], &v[i], err);
	audit_names_free(found, n_found);
	if (ret) {
		audit_ifaces_free(v, n_names);
		return ret;
	}
	*ifs = v;
	*n = n_names;
	return 0;
}

int audit_run(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
	      struct audit_list *out, struct error *err)
{
	static const audit_check_fn checks[] = {
		audit_keys_dir_mode,
		audit_keys_config_mode,
		audit_keys_config_owner,
		audit_keys_key_file_mode,
		audit_keys_backup_copy,
		audit_keys_shared_private_key,
		audit_keys_client_key_on_hub,
		audit_peers_allowed_ips_overlap,
		audit_peers_wide_route_on_hub,
		audit_peers_keepalive_on_hub,
		audit_peers_no_psk,
		audit_peers_subnet_for_host,
		audit_peers_subnet_collides_lan,
		audit_peers_keepalive_missing_nat,
		audit_peers_no_handshake,
		audit_peers_inventory_inactive,
		audit_firewall_forward_open,
		audit_firewall_nat_split_tunnel,
		audit_firewall_no_mss_clamp,
		audit_firewall_no_handshake_limit,
		audit_firewall_no_kill_switch,
		audit_firewall_sysctls,
		audit_firewall_ipv6_unfiltered,
		audit_firewall_table_drift,
		audit_exposure_wan_listener,
		audit_exposure_ssh_any_source,
		audit_exposure_sshd_password_auth,
		audit_exposure_sshd_root_login,
		audit_exposure_metrics_public,
		audit_host_unattended_upgrades,
		audit_host_daemon_privileges,
		audit_host_unit_hardening,
	};

	const char *const *gaps;
	size_t n_gaps;

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		int ret = checks[i](f, ifs, n, out, err);

		if (ret)
			return ret;
	}
	n_gaps = audit_facts_gaps(f, &gaps);
	for (size_t i = 0; i < n_gaps; i++) {
		struct audit_finding *a = audit_add(out, "audit.fact_unavailable", AUDIT_INFO,
						    "every checklist: checked, not assumed");

		if (!a)
			return error_fail(err, -ENOMEM, "out of memory");
		snprintf(a->message, sizeof(a->message),
			 "the checks that need %.200s did not run", gaps[i]);
		snprintf(a->evidence, sizeof(a->evidence), "%s", gaps[i]);
		snprintf(a->fix, sizeof(a->fix), "run rampart audit as root, with the daemons running");
	}
	return 0;
}

bool audit_is_hub(const struct conf *c)
{
	return c->has_listen_port && c->n_peers > 1;
}

const char *audit_peer_label(const struct conf_peer *p, char *buf)
{
	if (p->name[0])
		return p->name;
	if (!p->has_public_key)
		return "(no public key)";
	encoding_key_to_base64(buf, p->public_key);
	return buf;
}
