/* rampart peer assign NAME --hub HUB... | unassign NAME --hub HUB: a
 * peer on further hubs of its home hub's space (docs/multihub.md), and
 * the following of every hub a change concerns. */
#include "cli.h"
#include "peer.h"

#include "common/textbuf.h"

#include <stdio.h>
#include <string.h>

int peer_follow_peer(const struct peer_session *s, const struct inv_peer *p, const char *was)
{
	int ret = peer_follow(s->store, s->a.cmd, p->iface, s->who);

	for (size_t i = 0; i < p->n_hubs; i++)
		ret |= peer_follow(s->store, s->a.cmd, p->hubs[i], s->who);
	if (was)
		ret |= peer_follow(s->store, s->a.cmd, was, s->who);
	return ret;
}

/* "NAME is on HOME (home), B, C" or the record as JSON; 0 or 1. */
static int report(const struct peer_session *s, const struct inv_peer *p, bool followed)
{
	struct textbuf o = { 0 };

	if (s->a.json) {
		peer_json(&o, p, s->ctx.now);
		textbuf_printf(&o, "\n");
	} else {
		textbuf_printf(&o, "%s: %s is on %s (home)", s->a.cmd, p->name, p->iface);
		for (size_t i = 0; i < p->n_hubs; i++)
			textbuf_printf(&o, ", %s", p->hubs[i]);
		textbuf_printf(&o, "\n");
	}
	return cli_write_out(&o) && followed ? 0 : 1;
}

/* NAME and at least one --hub (exactly one when one); false after
 * saying what is missing. */
static bool hub_args(const struct peer_session *s, bool one)
{
	if (!s->a.n_pos || !s->a.n_hubs || (one && s->a.n_hubs != 1)) {
		fprintf(stderr, "%s: NAME and %s --hub HUB are needed\n", s->a.cmd,
			one ? "one" : "at least one");
		return false;
	}
	return true;
}

int peer_assign(struct peer_session *s)
{
	struct inv_peer p;
	struct error err;

	error_clear(&err);
	if (!hub_args(s, false))
		return 1;
	if (inv_assign(&s->ctx, s->ifname, s->a.pos[0], s->a.hubs, s->a.n_hubs, &p, &err))
		return peer_fail(s, &err);
	return report(s, &p, !peer_follow_peer(s, &p, NULL));
}

int peer_unassign(struct peer_session *s)
{
	struct inv_peer p;
	struct error err;

	error_clear(&err);
	if (!hub_args(s, true))
		return 1;
	if (inv_unassign(&s->ctx, s->ifname, s->a.pos[0], s->a.hubs[0], &p, &err))
		return peer_fail(s, &err);
	/* The hub it left follows too: the peer leaves its interface. */
	return report(s, &p, !peer_follow_peer(s, &p, s->a.hubs[0]));
}
