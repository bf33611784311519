/* `rampart down`: the state up left, or what wg-quick would have left
 * when there is none; PreDown, SaveConfig, the undoing, PostDown. */
#include "updown_int.h"

#include "sys/netlink.h"
#include "sys/nftables.h"
#include "quick.h"
#include "conf/wgconf.h"

#include "conf/config.h"
#include "common/fileio.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rule_find {
	const struct netlink_rule *tmpl;
	const struct quick_state *taken;
	struct netlink_rule found;
	bool ok;
};

static int on_rule_find(const struct netlink_rule *r, void *arg)
{
	struct rule_find *f = arg;

	if (!quick_rule_matches(r, f->tmpl))
		return 0;
	for (size_t i = 0; i < f->taken->n_rules; i++)
		if (f->taken->rules[i].family == r->family &&
		    f->taken->rules[i].priority == r->priority &&
		    quick_rule_matches(r, &f->taken->rules[i]))
			return 0;
	f->found = *r;
	f->ok = true;
	return 1;
}

/* No state file: the interface was brought up by wg-quick (or by a
 * rampart that crashed before writing one).  Work out what wg-quick's
 * add_default and set_dns would have left, the way wg-quick's del_if and
 * cmd_down do, but take one rule of each kind per family instead of every
 * rule that mentions the table, so that other rules stay. */
static void derive_state(struct updown_ctx *c, unsigned ifindex)
{
	struct conf *running = NULL;
	struct quick_route *routes = NULL;
	struct textbuf in = { 0 }, list = { 0 };
	struct error err = { 0 };
	char prefix[QUICK_DNS_IFACE_MAX];
	size_t n = 0;
	int ret;

	snprintf(c->st.ifname, sizeof(c->st.ifname), "%s", c->ifname);
	c->st.ifindex = ifindex;
	if ((!c->conf->has_table || c->conf->table.kind == CONF_TABLE_AUTO) &&
	    !updown_get_running(c, &running) && running->has_fwmark && running->fwmark &&
	    !quick_plan_routes(running, c->conf, &routes, &n)) {
		for (int f = 0; f < 2; f++) {
			int family = f ? AF_INET6 : AF_INET;
			bool full = false;
			struct netlink_rule tmpl[2];

			for (size_t i = 0; i < n; i++)
				full = full || (routes[i].kind == QUICK_ROUTE_DEFAULT &&
						routes[i].prefix.addr.family == family);
			if (!full)
				continue;
			quick_default_rules(family, running->fwmark, tmpl);
			for (int k = 0; k < 2; k++) {
				struct rule_find rf = { &tmpl[k], &c->st, { 0 }, false };

				ret = netlink_rule_dump(c->nl, family, on_rule_find, &rf);
				if (ret < 0) {
					updown_nl_fail(c, ret);
					continue;
				}
				if (rf.ok && quick_state_add_rule(&c->st, &rf.found))
					break;
			}
		}
	}
	free(routes);
	conf_free(running);

	/* wg-quick's remove_firewall: the tables it names after the
	 * interface, whatever made them.  A listing that fails finds none,
	 * as wg-quick's does. */
	if (!nftables_exec("list tables\n", false, 0, &list, 0, &err))
		quick_nft_parse_tables(list.buf, c->ifname, c->st.nft);
	textbuf_wipe(&list);
	if (quick_dns_input(c->conf, &in)) {
		updown_resolvconf_prefix(prefix, sizeof(prefix));
		if (snprintf(c->st.dns, sizeof(c->st.dns), "%s%s", prefix, c->ifname) >=
		    (int)sizeof(c->st.dns))
			c->st.dns[0] = '\0';
	}
	textbuf_wipe(&in);
}

/* wg-quick's save_config, through the daemon and the config printer. */
static int save_config(struct updown_ctx *c)
{
	struct conf *running = NULL;
	struct netlink_addr *addrs = NULL;
	struct netaddr_prefix *pfx = NULL;
	struct netlink_link l;
	char dir[PATH_MAX], *text;
	size_t n = 0, len;
	int dirfd, ret;

	updown_say(c, "wg showconf %s", c->ifname);
	ret = updown_get_running(c, &running);
	if (ret)
		return updown_fail(c, ret, "SaveConfig: not saving %s, and not taking %s down",
				   c->given, c->ifname);
	ret = netlink_link_get(c->nl, NULL, c->st.ifindex, &l);
	if (!ret)
		ret = netlink_addr_list(c->nl, c->st.ifindex, AF_UNSPEC, &addrs, &n);
	if (ret) {
		conf_free(running);
		return updown_nl_fail(c, ret);
	}
	pfx = calloc(n ? n : 1, sizeof(*pfx));
	if (!pfx) {
		ret = updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		pfx[i] = addrs[i].prefix;
	ret = quick_save_merge(running, c->conf, pfx, n, l.mtu, c->st.fwmark);
	if (ret) {
		ret = updown_fail(c, ret, "%s", strerror(-ret));
		goto out;
	}
	text = wgconf_format(running, WGCONF_FULL, &len);
	if (!text) {
		ret = updown_fail(c, -errno, "SaveConfig: cannot write the configuration: %s",
				  strerror(errno));
		goto out;
	}
	updown_dir_of(c->path, dir, sizeof(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = updown_fail(c, -errno, "SaveConfig: %s: %s", dir, strerror(errno));
	} else {
		ret = fileio_write_atomic(dirfd, strrchr(c->path, '/') + 1, text, len, 0600);
		close(dirfd);
		if (ret)
			ret = updown_fail(c, ret, "SaveConfig: could not write %s: %s", c->path,
					  strerror(-ret));
	}
	wgconf_text_free(text, len);
out:
	free(pfx);
	free(addrs);
	conf_free(running);
	return ret;
}

int updown_run_down(struct updown_ctx *c, const char *arg)
{
	struct quick_state old;
	struct netlink_link l;
	bool have_link, ours = false;
	int ret, lret, r;

	ret = updown_begin(c, arg);
	if (ret)
		return ret;
	ret = updown_lock(c);
	if (ret)
		return ret;
	ret = updown_state_load(c, &old);
	if (ret < 0)
		return ret;
	if (ret && old.netns[0] && old.moved) {
		/* The link, and all but the port's table, are in the tenant:
		 * down works from there (tenant.c). */
		c->st = old;
		r = updown_tenant_resume(c);
		old = c->st;
		memset(&c->st, 0, sizeof(c->st));
		if (r < 0) {
			quick_state_uninit(&old);
			return r;
		}
	}
	lret = netlink_link_get(c->nl, c->ifname, 0, &l);
	if (lret && lret != -ENODEV)
		return updown_nl_fail(c, lret);
	have_link = !lret && !c->tenant_gone;
	if (ret) {
		if (have_link && l.index == old.ifindex) {
			c->st = old;
			ours = true;
		} else {
			ret = updown_clean_stale(c, &old);
			quick_state_uninit(&old);
			if (ret)
				return ret;
			if (!have_link) {
				updown_tell(c, FIREWALL_UI_NOTICE, "%s was already gone; its PreDown "
					    "and PostDown hooks were not run", c->ifname);
				return 0;
			}
		}
	}
	if (!ours) {
		if (!have_link || !updown_is_socket(c->ifname))
			return updown_fail(c, -ENODEV, "`%s' is not a WireGuard interface",
					   c->ifname);
		derive_state(c, l.index);
	}

	updown_block_signals(c);
	ret = updown_run_hooks(c, CONF_HOOK_PRE_DOWN);
	if (!ret && c->conf->save_config)
		ret = save_config(c);
	if (!ret) {
		ret = updown_undo(c);
		r = updown_run_hooks(c, CONF_HOOK_POST_DOWN);
		ret = ret ? ret : r;
	}
	updown_unblock_signals(c);
	return ret;
}
