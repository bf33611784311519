/* Undoing what a state records: down's work, up's rollback, and the
 * clean-up of what a vanished interface left.  One place, so that all
 * three undo in the same order. */
#include "updown_int.h"

#include "firewall/fwapply.h"
#include "sys/netlink.h"
#include "sys/nftables.h"
#include "sys/spawn.h"
#include "quick.h"

#include "common/textbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static void wait_socket_gone(const struct updown_ctx *c)
{
	for (unsigned ms = 0; ms < UPDOWN_DAEMON_WAIT_MS; ms += POLL_STEP_MS) {
		if (!updown_is_socket(c->ifname))
			return;
		updown_sleep_ms(POLL_STEP_MS);
	}
	updown_warn(c, "the daemon's socket %s/%s.sock is still there", SOCKET_DIR, c->ifname);
}

/* Up recorded a tenant but did not see the link arrive there: it is here
 * under its index, or, moved, there under its name (a TUN, which the
 * tenant did not have before up). */
static struct netlink *find_unmoved(struct updown_ctx *c, struct netlink_link *l, int *ret)
{
	*ret = netlink_link_get(c->nl, NULL, c->st.ifindex, l);
	if (*ret != -ENODEV || !c->st.netns[0] || c->st.moved || !c->tenant_nl)
		return c->nl;
	*ret = netlink_link_get(c->tenant_nl, c->ifname, 0, l);
	if (!*ret && strcmp(l->kind, "tun"))
		*ret = -ENODEV;
	if (!*ret)
		c->st.ifindex = l->index;
	return c->tenant_nl;
}

/* Deletes the interface up created, and only that one: same index, same
 * name.  Its addresses and routes go with it, and its daemon exits. */
static int undo_link(struct updown_ctx *c)
{
	struct netlink_link l;
	struct netlink *nl;
	int ret;

	if (!c->st.ifindex)
		return 0;
	nl = find_unmoved(c, &l, &ret);
	if (ret == -ENODEV || (!ret && strcmp(l.name, c->ifname))) {
		if (!ret)
			updown_warn(c, "interface %u is now called `%s'; leaving it alone",
				    c->st.ifindex, l.name);
		c->st.ifindex = 0;
		return 0;
	}
	if (ret)
		return updown_fail(c, ret, "%s", netlink_error(nl)->msg);
	updown_say(c, "ip link delete dev %s", c->ifname);
	ret = netlink_link_del(nl, c->st.ifindex);
	if (ret && ret != -ENODEV)
		return updown_fail(c, ret, "%s", netlink_error(nl)->msg);
	c->st.ifindex = 0;
	wait_socket_gone(c);
	return 0;
}

static int undo_rules(struct updown_ctx *c)
{
	int ret = 0;

	while (c->st.n_rules) {
		struct netlink_rule *r = &c->st.rules[c->st.n_rules - 1];
		char buf[128];
		int err;

		updown_say(c, "ip %s rule delete %s", updown_ipv(r->family),
			   netlink_rule_format(buf, sizeof(buf), r));
		err = netlink_rule_del(c->nl, r);
		if (err == -ENOENT) {
			updown_warn(c, "that rule was already gone");
		} else if (err) {
			ret = updown_nl_fail(c, err);
			/* Keep it in the state for another try, and go on. */
			break;
		}
		quick_state_del_rule(&c->st, c->st.n_rules - 1);
	}
	return ret;
}

static int undo_dns(struct updown_ctx *c)
{
	char *argv[] = { "resolvconf", "-d", c->st.dns, "-f", NULL };
	int status = 0, ret;

	if (!c->st.dns[0])
		return 0;
	updown_say(c, "resolvconf -d %s -f", c->st.dns);
	/* wg-quick ignores a failure here ("unset_dns || true"); so do we,
	 * aloud. */
	ret = spawn_run(argv, &c->child_mask, NULL, 0, NULL, &status);
	if (ret || status)
		updown_warn(c, "resolvconf -d %s failed; remove the entry by hand", c->st.dns);
	c->st.dns[0] = '\0';
	return 0;
}

static int undo_nft(struct updown_ctx *c)
{
	struct error err = { 0 };
	struct textbuf t = { 0 };
	int ret;

	if (!c->st.nft[0] && !c->st.nft[1])
		return 0;
	for (int f = 0; f < 2; f++)
		if (c->st.nft[f])
			quick_nft_render_delete(&t, f ? AF_INET6 : AF_INET, c->ifname);
	if (t.err) {
		textbuf_wipe(&t);
		return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	updown_say(c, "nft -f -");
	ret = nftables_exec(t.buf, false, 0, NULL, 0, &err);
	textbuf_wipe(&t);
	if (ret)
		return updown_fail(c, ret, "nft -f - failed: %s", err.msg);
	c->st.nft[0] = c->st.nft[1] = false;
	return 0;
}

/* The policy's table and sysctls (fwapply.h): whether up applied them or
 * `rampart firewall apply` did, down removes them with the interface.
 * Nothing to do is no error. */
static int undo_policy(struct updown_ctx *c)
{
	struct error err = { 0 };
	int ret = c->tenant_gone ? fwapply_forget(c->ifname, &err)
				 : fwapply_remove(c->ifname, c->fw ? c->fw->ui : NULL, &err);

	return ret ? updown_fail(c, ret, "%s", err.msg) : 0;
}

/* Undoes what c->st records, in wg-quick's order for down: rules, the
 * interface, DNS, the firewall (in a tenant: there, then the port's table
 * where the daemon runs).  What could not be undone stays in the
 * state file for the next try; the file goes when nothing is left. */
int updown_undo(struct updown_ctx *c)
{
	int ret = 0, r;

	r = undo_rules(c);
	ret = ret ? ret : r;
	r = undo_link(c);
	ret = ret ? ret : r;
	r = undo_dns(c);
	ret = ret ? ret : r;
	r = undo_nft(c);
	ret = ret ? ret : r;
	r = undo_policy(c);
	ret = ret ? ret : r;
	r = updown_undo_uplink(c);
	ret = ret ? ret : r;
	if (quick_state_empty(&c->st)) {
		updown_state_remove(c);
	} else {
		updown_fail(c, ret, "some of what rampart up did for %s is still in place; it is "
			    "listed in %s/%s.state for the next rampart down", c->ifname, STATE_DIR,
			    c->ifname);
		if (updown_state_save(c))
			ret = ret ? ret : -EIO;
	}
	return ret;
}

static int finish_stale(struct updown_ctx *c, struct quick_state *old,
			const struct quick_state *mine, int ret)
{
	*old = c->st;
	c->st = *mine;
	return ret;
}

/* Undoes what a state file left by an earlier up records, when that
 * interface is gone (its daemon died, or someone deleted it). */
int updown_clean_stale(struct updown_ctx *c, struct quick_state *old)
{
	struct quick_state mine = c->st;
	char netns[sizeof(c->netns)];
	int ret;

	if (!quick_state_empty(old))
		updown_tell(c, FIREWALL_UI_NOTICE, "the %s that rampart up created is gone; "
			    "removing the rules, tables and DNS entry it left", c->ifname);
	c->st = *old;
	c->st.ifindex = 0; /* not ours any more, whatever has that index */
	/* In the earlier up's tenant, if it had one (that may not be this
	 * up's). */
	if (c->netns_fd >= 0 || c->tenant_gone) /* down has been there already */
		return finish_stale(c, old, &mine, updown_undo(c));
	memcpy(netns, c->netns, sizeof(netns));
	ret = updown_tenant_resume(c);
	if (ret >= 0)
		ret = updown_undo(c);
	updown_tenant_leave(c);
	memcpy(c->netns, netns, sizeof(netns));
	return finish_stale(c, old, &mine, ret);
}
