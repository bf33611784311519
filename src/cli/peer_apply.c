/* rampart peer apply [-i HUB] [--db PATH] [--json]: the running
 * interface of a hub made to follow its share of the inventory (every
 * peer it should have: docs/multihub.md; inventory/plan.h), and what it
 * has seen kept in the inventory as this hub's: each peer's last
 * handshake and endpoint, and a rotation the daemon completed (the next
 * key took over).
 *
 * One write transaction holds it together: the share is read, the
 * observations written and the plan sent inside it, so that a concurrent
 * `rampart peer add` waits and the plan is of the state it commits.  A
 * plan the daemon refuses rolls back the observations too; the daemon
 * applies a set all or nothing, so the interface is then as it was. */
#include "cli.h"

#include "common/error.h"
#include "common/textbuf.h"
#include "crypto/crypto.h"
#include "ctl/socket.h"
#include "inventory/conninfo.h"
#include "inventory/inventory.h"
#include "inventory/plan.h"
#include "inventory/store.h"
#include "uapi/device.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct apply_args {
	const char *ifname; /* the hub; NULL: the inventory's one */
	const char *db;
	bool json;
};

/* What the plan did, for the report. */
struct apply_counts {
	size_t removed, changed, added, takeovers, recorded, rotated;
};

static void apply_usage(FILE *f)
{
	fprintf(f, "Usage: %s peer apply [-i <hub>] [--db <path>] [--json]\n", prog_name);
}

static int fail(const char *what, const struct error *err)
{
	char buf[ERROR_STRLEN];

	fprintf(stderr, "%s peer apply: %s%s%s\n", prog_name, what ? what : "",
		what ? ": " : "", error_format(err, buf, sizeof(buf)));
	return 1;
}

/* 0, or 2 after saying what is wrong.  argv[0] is "apply". */
static int parse_args(int argc, char *argv[], struct apply_args *a)
{
	a->db = getenv("RAMPART_DB");
	if (!a->db || !*a->db)
		a->db = INV_STORE_DEFAULT_PATH;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if ((!strcmp(argv[i], "-i") || !strcmp(argv[i], "--db")) && i + 1 < argc) {
			*(argv[i][1] == 'i' ? &a->ifname : &a->db) = argv[i + 1];
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			apply_usage(stdout);
			return -1;
		} else {
			fprintf(stderr, "%s peer apply: unknown or incomplete argument `%s'\n",
				prog_name, argv[i]);
			apply_usage(stderr);
			return 2;
		}
	}
	return 0;
}

/* The interface: the one asked for, or the inventory's only one. */
static int pick_interface(struct inv_store *s, const char *asked, char out[IFNAMSIZ],
			  struct error *err)
{
	char **names = NULL;
	size_t n = 0;
	int ret;

	if (asked) {
		snprintf(out, IFNAMSIZ, "%s", asked);
		return 0;
	}
	ret = s->ops->list_interfaces(s, &names, &n, err);
	if (ret)
		return ret;
	if (n == 1)
		snprintf(out, IFNAMSIZ, "%s", names[0]);
	else
		ret = error_fail(err, -EINVAL, n ? "the inventory has %zu interfaces: say which with -i"
					     : "the inventory has no interface (rampart peer init)", n);
	inv_names_free(names, n);
	return ret;
}

/* The invoking user for the change log, through sudo as well. */
static void invoker(char who[INV_TEXT_MAX + 1])
{
	const struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");
	char uid[24];

	snprintf(uid, sizeof(uid), "uid %u", (unsigned)getuid());
	if (sudo && *sudo)
		snprintf(who, INV_TEXT_MAX + 1, "%s via sudo from %s", pw ? pw->pw_name : uid, sudo);
	else
		snprintf(who, INV_TEXT_MAX + 1, "%s", pw ? pw->pw_name : uid);
}

/* A completed rotation's record and log line, in who's name. */
static int record_rotation(struct inv_store *s, const struct inv_peer *p, const char *who,
			   struct error *err)
{
	struct inv_log_entry e = { 0 };
	int ret = s->ops->update_peer(s, p, err);

	if (ret)
		return ret;
	e.at = time(NULL);
	snprintf(e.who, sizeof(e.who), "%s", who);
	snprintf(e.iface, sizeof(e.iface), "%s", p->iface);
	snprintf(e.peer, sizeof(e.peer), "%s", p->name);
	snprintf(e.action, sizeof(e.action), "rotated");
	snprintf(e.detail, sizeof(e.detail),
		 "the new key took over at its first handshake; the old key is gone");
	return s->ops->append_log(s, &e, err);
}

/* The row of hub's seen (n of them, by peer) for peer, or a new one. */
static struct inv_seen seen_row(const struct inv_seen *seen, size_t n, int64_t peer,
				const char *hub)
{
	struct inv_seen row = { .peer = peer };

	for (size_t i = 0; i < n; i++)
		if (seen[i].peer == peer)
			return seen[i];
	snprintf(row.hub, sizeof(row.hub), "%s", hub);
	return row;
}

/* What hub's interface saw, written back: each peer's last handshake
 * and endpoint as this hub's own (peer_seen: another hub's are not
 * touched), and a rotation the daemon completed. */
static int record(struct inv_store *s, const char *hub, struct inv_peer *peers, size_t n,
		  const struct uapi_device *running, const char *who, struct apply_counts *c,
		  struct error *err)
{
	struct inv_observed *obs = calloc(n ? n : 1, sizeof(*obs));
	struct inv_seen *seen = NULL;
	size_t n_seen = 0;
	int ret;

	if (!obs)
		return error_fail(err, -ENOMEM, "out of memory");
	ret = inv_observe(peers, n, running, obs, err);
	if (!ret)
		ret = s->ops->list_seen(s, hub, 0, &seen, &n_seen, err);
	for (size_t i = 0; i < n && !ret; i++) {
		struct inv_seen row = seen_row(seen, n_seen, peers[i].id, hub);

		if (inv_observed_seen(&row, &obs[i])) {
			ret = s->ops->put_seen(s, &row, err);
			c->recorded++;
		}
		if (!ret && inv_observed_rotation(&peers[i], &obs[i])) {
			ret = record_rotation(s, &peers[i], who, err);
			c->rotated++;
		}
	}
	free(seen);
	free(obs);
	return ret;
}

static void count_plan(const struct uapi_device *set, const struct uapi_device *running,
		       struct apply_counts *c)
{
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct uapi_peer *e = &set->peers[i];
		bool there = false;

		for (size_t j = 0; running && j < running->n_peers && !there; j++)
			there = !memcmp(running->peers[j].public_key, e->public_key, KEY_LEN);
		if (e->flags & UAPI_PEER_REMOVE)
			c->removed++;
		else if (there)
			c->changed++;
		else
			c->added++;
		if (e->flags & UAPI_PEER_HAS_TAKEOVER)
			c->takeovers++;
	}
}

/* A hub named apart from its interface is one of several, whose
 * interfaces may all be called wg0: the interface here must be this
 * hub's, by the public key the inventory has for it, before it is given
 * the hub's share.  (A hub of its interface's name is the inventory of
 * one hub, as before hubs: its interface is the one of that name.) */
static int check_identity(const struct inv_interface *hub, const struct uapi_device *running,
			  struct error *err)
{
	uint8_t pub[KEY_LEN];
	char have[KEY_B64_LEN + 1], want[KEY_B64_LEN + 1];
	bool same;

	if (!strcmp(hub->name, hub->ifname) || !hub->has_public_key ||
	    !(running->flags & UAPI_DEVICE_HAS_PRIVATE_KEY))
		return 0;
	if (crypto_init() || !crypto_x25519_public(pub, running->private_key))
		return error_fail(err, -EIO, "%s: cannot derive the interface's public key",
				  hub->ifname);
	same = !memcmp(pub, hub->public_key, KEY_LEN);
	encoding_key_to_base64(have, pub);
	encoding_key_to_base64(want, hub->public_key);
	return same ? 0 : error_fail(err, -EPERM,
				     "interface %s here is not hub %s's: its public key is %s, the "
				     "hub's %s", hub->ifname, hub->name, have, want);
}

/* Inside the transaction: read the hub's share, observe, plan, send to
 * the hub's interface. */
static int apply_locked(struct inv_store *s, const char *hub, const char *who,
			struct apply_counts *c, struct error *err)
{
	struct uapi_device *running = NULL, *set = NULL;
	struct inv_peer *peers = NULL;
	struct inv_interface ifc;
	bool found = false;
	size_t n = 0;
	int ret;

	ret = s->ops->get_interface(s, hub, &ifc, &found, err);
	if (ret == -ENOENT || (!ret && !found))
		ret = error_fail(err, -ENOENT, "hub %s is not in the inventory", hub);
	if (!ret)
		ret = s->ops->list_peer_set(s, INV_SET_SHARE, hub, &peers, &n, err);
	if (!ret)
		ret = wgctl_get_device(ifc.ifname, &running, err);
	if (!ret)
		ret = check_identity(&ifc, running, err);
	if (!ret)
		ret = record(s, hub, peers, n, running, who, c, err);
	if (!ret)
		ret = inv_plan(peers, n, running, &set, err);
	if (!ret && set->n_peers) {
		count_plan(set, running, c);
		ret = wgctl_set_device(ifc.ifname, set, err);
	}
	uapi_device_free(set);
	uapi_device_free(running);
	if (peers)
		explicit_bzero(peers, n * sizeof(*peers)); /* preshared keys */
	free(peers);
	return ret;
}

struct apply_tx {
	const char *ifname, *who;
	struct apply_counts *c;
};

/* apply_locked as one write transaction, run again (counting afresh)
 * when it loses to a concurrent one: the plan is made again from the
 * inventory and from what the interface is now. */
static int apply_body(const struct inv_ctx *ctx, void *arg, struct error *err)
{
	struct apply_tx *a = arg;

	memset(a->c, 0, sizeof(*a->c));
	return apply_locked(ctx->store, a->ifname, a->who, a->c, err);
}

static int apply_tx(struct inv_store *s, const char *ifname, const char *who,
		    struct apply_counts *c, struct error *err)
{
	struct inv_ctx ctx = { s, who, (int64_t)time(NULL) };
	struct apply_tx a = { ifname, who, c };

	return inv_transaction(&ctx, true, apply_body, &a, err);
}

static void report(const char *ifname, const struct apply_counts *c, bool json)
{
	struct textbuf o = { 0 };

	if (json) {
		textbuf_printf(&o, "{\"interface\":");
		cli_json_string(&o, ifname);
		textbuf_printf(&o, ",\"removed\":%zu,\"changed\":%zu,\"added\":%zu,"
			       "\"takeovers\":%zu,\"recorded\":%zu,\"rotated\":%zu}\n",
			       c->removed, c->changed, c->added, c->takeovers, c->recorded,
			       c->rotated);
	} else if (!c->removed && !c->changed && !c->added) {
		textbuf_printf(&o, "%s: up to date\n", ifname);
	} else {
		textbuf_printf(&o, "%s: %zu added, %zu changed, %zu removed", ifname, c->added,
			       c->changed, c->removed);
		if (c->takeovers)
			textbuf_printf(&o, " (%zu new key(s) waiting for their first handshake)",
				       c->takeovers);
		textbuf_printf(&o, "\n");
	}
	if (c->rotated && !json)
		textbuf_printf(&o, "%s: %zu rotation(s) completed\n", ifname, c->rotated);
	cli_write_out(&o);
}

int peer_apply_iface(struct inv_store *s, const char *hub, const char *who, bool json)
{
	struct apply_counts c = { 0 };
	struct error err;
	int ret;

	error_clear(&err);
	ret = apply_tx(s, hub, who, &c, &err);
	if (ret)
		return fail(hub, &err);
	report(hub, &c, json);
	return 0;
}

/* Whether ifname has a live control socket: a running interface. */
static bool running(const char *ifname)
{
	char **names = NULL;
	size_t n = 0;
	struct error err;
	bool up = false;

	error_clear(&err);
	if (wgctl_list_interfaces(&names, &n, &err))
		return false;
	for (size_t i = 0; i < n && !up; i++)
		up = !strcmp(names[i], ifname);
	wgctl_list_free(names);
	return up;
}

/* Hub's record, in a read transaction of its own. */
static int read_hub(struct inv_store *s, const char *hub, struct inv_interface *ifc,
		    bool *found, struct error *err)
{
	int ret = inv_store_begin(s, false, err);

	*found = false;
	if (ret)
		return ret;
	ret = s->ops->get_interface(s, hub, ifc, found, err);
	inv_store_rollback(s); /* read only */
	return ret == -ENOENT ? 0 : ret;
}

/* The public key of interface ifname here, from its private key. */
static bool interface_key(const char *ifname, uint8_t pub[KEY_LEN])
{
	struct uapi_device *d = NULL;
	struct error err;
	bool ok;

	error_clear(&err);
	if (wgctl_get_device(ifname, &d, &err))
		return false;
	ok = (d->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) && !crypto_init() &&
	     crypto_x25519_public(pub, d->private_key);
	uapi_device_free(d);
	return ok;
}

/* Whether the interface of ifc here is ifc's, for following without
 * being asked (peer_follow, cli.h). */
static bool here(const struct inv_interface *ifc)
{
	uint8_t pub[KEY_LEN];

	if (!strcmp(ifc->name, ifc->ifname))
		return true;
	return ifc->has_public_key && interface_key(ifc->ifname, pub) &&
	       !memcmp(pub, ifc->public_key, KEY_LEN);
}

int peer_follow(struct inv_store *s, const char *cmd, const char *hub, const char *who)
{
	struct apply_counts c = { 0 };
	struct inv_interface ifc;
	char buf[ERROR_STRLEN];
	struct error err;
	bool found;
	int ret;

	error_clear(&err);
	ret = read_hub(s, hub, &ifc, &found, &err);
	if (!ret && (!found || !running(ifc.ifname) || !here(&ifc)))
		return 0; /* `rampart up` loads the inventory's peers */
	if (!ret)
		ret = apply_tx(s, hub, who, &c, &err);
	if (ret) {
		fprintf(stderr, "%s: %s: the change is saved, but the interface did not follow: %s "
			"(run rampart peer apply -i %s)\n", cmd, hub,
			error_format(&err, buf, sizeof(buf)), hub);
		return 1;
	}
	return 0;
}

/* Whether hub name's interface is ifname, and (key not NULL) its public
 * key is key. */
static bool hub_is(struct inv_store *s, const char *name, const char *ifname,
		   const uint8_t *key, int *ret, struct error *err)
{
	struct inv_interface ifc;
	bool found = false;

	*ret = s->ops->get_interface(s, name, &ifc, &found, err);
	return !*ret && found && !strcmp(ifc.ifname, ifname) &&
	       (!key || (ifc.has_public_key && !memcmp(ifc.public_key, key, KEY_LEN)));
}

/* The hub whose interface ifname is, into hub ("" when none): the one
 * hub of that interface, or of several (every hub's may be wg0) the one
 * with the interface's public key. */
static int hub_of_interface(struct inv_store *s, const char *ifname, char hub[IFNAMSIZ],
			    struct error *err)
{
	char **names = NULL;
	size_t n = 0, matches = 0;
	uint8_t pub[KEY_LEN];
	int ret = inv_store_begin(s, false, err);

	hub[0] = '\0';
	if (!ret)
		ret = s->ops->list_interfaces(s, &names, &n, err);
	for (size_t i = 0; !ret && i < n; i++)
		if (hub_is(s, names[i], ifname, NULL, &ret, err) && !matches++)
			snprintf(hub, IFNAMSIZ, "%s", names[i]);
	if (!ret && matches > 1) {
		hub[0] = '\0';
		if (!interface_key(ifname, pub))
			ret = error_fail(err, -EINVAL, "%zu hubs have interface %s, and its key "
					 "cannot be read to tell which it is: run rampart peer "
					 "apply -i HUB", matches, ifname);
		for (size_t i = 0; !ret && i < n && !hub[0]; i++)
			if (hub_is(s, names[i], ifname, pub, &ret, err))
				snprintf(hub, IFNAMSIZ, "%s", names[i]);
	}
	inv_names_free(names, n);
	inv_store_rollback(s); /* read only */
	return ret;
}

int peer_up_follow(const char *cmd, const char *ifname)
{
	const char *db = getenv("RAMPART_DB");
	struct inv_store *s = NULL;
	char who[INV_TEXT_MAX + 1], shown[4096], hub[IFNAMSIZ] = "";
	struct error err;
	int ret;

	if (!db || !*db)
		db = INV_STORE_DEFAULT_PATH;
	if (inv_store_absent(db))
		return 0; /* no inventory: the config file is the truth */
	error_clear(&err);
	ret = inv_store_open(db, &s, &err);
	if (!ret)
		ret = hub_of_interface(s, ifname, hub, &err);
	if (!ret && hub[0]) {
		fprintf(stderr, "[#] rampart peer apply -i %s\n", hub);
		invoker(who);
		ret = peer_follow(s, cmd, hub, who);
	} else if (ret) {
		fprintf(stderr, "%s: %s: the inventory %s cannot be read: %s\n", cmd, ifname,
			inv_conninfo_redact(db, shown, sizeof(shown)), err.msg);
		ret = 1;
	}
	inv_store_close(s);
	return ret ? 1 : 0;
}

int peer_apply_main(int argc, char *argv[])
{
	struct apply_args a = { 0 };
	struct inv_store *s = NULL;
	char ifname[IFNAMSIZ], who[INV_TEXT_MAX + 1], shown[4096];
	struct error err;
	int ret;

	error_clear(&err);
	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (inv_store_open(a.db, &s, &err))
		return fail(inv_conninfo_redact(a.db, shown, sizeof(shown)), &err);
	ret = inv_store_begin(s, false, &err);
	if (!ret) {
		ret = pick_interface(s, a.ifname, ifname, &err);
		inv_store_rollback(s);
	}
	if (ret) {
		inv_store_close(s);
		return fail(a.ifname, &err);
	}
	invoker(who);
	ret = peer_apply_iface(s, ifname, who, a.json);
	inv_store_close(s);
	return ret;
}
