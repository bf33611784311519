/* rampart peer list | show | log, and the printers of a peer: human
 * (aligned columns, times in UTC) and JSON (one object per peer, keys in
 * a stable order, times as Unix seconds, null for "never").  Keys are
 * public ones; a preshared key is never printed, only whether there is
 * one. */
#include "cli.h"
#include "peer.h"

#include "common/textbuf.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *when(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		return "never";
	if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(buf, 32, "%lld", (long long)t);
	return buf;
}

bool peer_expiring_soon(const struct inv_peer *p, int64_t now)
{
	return p->expires && p->expires > now &&
	       p->expires - now <= (int64_t)PEER_EXPIRING_DAYS * 86400 &&
	       (p->state == INV_ACTIVE || p->state == INV_PENDING || p->state == INV_DISABLED);
}

static void json_time(struct textbuf *o, const char *key, int64_t t)
{
	if (t)
		textbuf_printf(o, ",\"%s\":%lld", key, (long long)t);
	else
		textbuf_printf(o, ",\"%s\":null", key);
}

/* v joined by ", " (JSON: quoted, joined by ","). */
static void prefixes(struct textbuf *o, const struct netaddr_prefix *v, size_t n, bool json)
{
	for (size_t i = 0; i < n; i++) {
		char buf[NETADDR_PREFIX_STRLEN];

		netaddr_format_prefix(buf, &v[i]);
		if (json)
			textbuf_printf(o, "%s\"%s\"", i ? "," : "", buf);
		else
			textbuf_printf(o, "%s%s", i ? ", " : "", buf);
	}
}

static void json_prefixes(struct textbuf *o, const char *key, const struct netaddr_prefix *v,
			  size_t n)
{
	textbuf_printf(o, ",\"%s\":[", key);
	prefixes(o, v, n, true);
	textbuf_printf(o, "]");
}

static void json_text(struct textbuf *o, const char *key, const char *s)
{
	textbuf_printf(o, ",\"%s\":", key);
	cli_json_string(o, s);
}

/* The hubs p is on: its home first, then the others by name. */
static void json_hubs(struct textbuf *o, const struct inv_peer *p)
{
	textbuf_printf(o, ",\"hubs\":[");
	cli_json_string(o, p->iface);
	for (size_t i = 0; i < p->n_hubs; i++) {
		textbuf_printf(o, ",");
		cli_json_string(o, p->hubs[i]);
	}
	textbuf_printf(o, "]");
}

void peer_json_open(struct textbuf *o, const struct inv_peer *p, int64_t now)
{
	char key[KEY_B64_LEN + 1];

	encoding_key_to_base64(key, p->public_key);
	textbuf_printf(o, "{\"id\":%lld", (long long)p->id);
	json_text(o, "interface", p->iface);
	json_hubs(o, p);
	json_text(o, "name", p->name);
	json_text(o, "state", inv_state_name(p->state));
	json_text(o, "owner", p->owner);
	json_text(o, "device", p->device);
	json_text(o, "notes", p->notes);
	json_text(o, "public_key", key);
	textbuf_printf(o, ",\"has_preshared_key\":%s", p->has_psk ? "true" : "false");
	json_prefixes(o, "addresses", p->addrs, p->n_addrs);
	json_prefixes(o, "sites", p->sites, p->n_sites);
	textbuf_printf(o, ",\"allow_overlap\":%s,\"keepalive\":%u,\"full_tunnel\":%s",
		       p->allow_overlap ? "true" : "false", p->keepalive,
		       p->full_tunnel ? "true" : "false");
	json_time(o, "created", p->created);
	json_time(o, "approved", p->approved);
	json_text(o, "approved_by", p->approved_by);
	json_time(o, "expires", p->expires);
	textbuf_printf(o, ",\"expiring_soon\":%s", peer_expiring_soon(p, now) ? "true" : "false");
	json_time(o, "last_handshake", p->last_handshake);
	json_text(o, "last_endpoint", p->last_endpoint);
	if (p->has_next_key) {
		encoding_key_to_base64(key, p->next_key);
		json_text(o, "next_key", key);
	} else {
		textbuf_printf(o, ",\"next_key\":null");
	}
	json_time(o, "rotate_until", p->rotate_until);
	textbuf_printf(o, ",\"rotate_on_handshake\":%s", p->rotate_on_handshake ? "true" : "false");
}

void peer_json(struct textbuf *o, const struct inv_peer *p, int64_t now)
{
	peer_json_open(o, p, now);
	textbuf_printf(o, "}");
}

/* What each hub saw (n rows), as "seen":[{hub, last_handshake,
 * last_endpoint}...] after a peer_json_open. */
static void json_seen(struct textbuf *o, const struct inv_seen *v, size_t n)
{
	textbuf_printf(o, ",\"seen\":[");
	for (size_t i = 0; i < n; i++) {
		textbuf_printf(o, "%s{\"hub\":", i ? "," : "");
		cli_json_string(o, v[i].hub);
		json_time(o, "last_handshake", v[i].last_handshake);
		json_text(o, "last_endpoint", v[i].last_endpoint);
		textbuf_printf(o, "}");
	}
	textbuf_printf(o, "]");
}

static void human_prefixes(struct textbuf *o, const char *label, const struct netaddr_prefix *v,
			   size_t n)
{
	textbuf_printf(o, "  %-15s", label);
	prefixes(o, v, n, false);
	textbuf_printf(o, "%s\n", n ? "" : "(none)");
}

void peer_human(struct textbuf *o, const struct inv_peer *p, int64_t now)
{
	char key[KEY_B64_LEN + 1], t[32];

	encoding_key_to_base64(key, p->public_key);
	textbuf_printf(o, "peer %s on %s\n", p->name, p->iface);
	if (p->n_hubs) {
		textbuf_printf(o, "  %-15s%s (home)", "hubs:", p->iface);
		for (size_t i = 0; i < p->n_hubs; i++)
			textbuf_printf(o, ", %s", p->hubs[i]);
		textbuf_printf(o, "\n");
	}
	textbuf_printf(o, "  %-15s%s%s\n", "state:", inv_state_name(p->state),
		       peer_expiring_soon(p, now) ? " (expiring soon)" : "");
	textbuf_printf(o, "  %-15s%s\n", "owner:", p->owner);
	if (p->device[0])
		textbuf_printf(o, "  %-15s%s\n", "device:", p->device);
	if (p->notes[0])
		textbuf_printf(o, "  %-15s%s\n", "notes:", p->notes);
	textbuf_printf(o, "  %-15s%s\n", "public key:", key);
	human_prefixes(o, "addresses:", p->addrs, p->n_addrs);
	if (p->n_sites)
		human_prefixes(o, "sites:", p->sites, p->n_sites);
	if (p->keepalive)
		textbuf_printf(o, "  %-15s%u s\n", "keepalive:", p->keepalive);
	textbuf_printf(o, "  %-15s%s\n", "created:", when(p->created, t));
	if (p->approved)
		textbuf_printf(o, "  %-15s%s by %s\n", "approved:", when(p->approved, t),
			       p->approved_by);
	textbuf_printf(o, "  %-15s%s\n", "expires:", when(p->expires, t));
	if (p->last_handshake)
		textbuf_printf(o, "  %-15s%s from %s\n", "last handshake:",
			       when(p->last_handshake, t), p->last_endpoint);
}

int peer_list(struct peer_session *s)
{
	struct textbuf o = { 0 };
	struct inv_peer *v;
	struct error err;
	size_t n, soon = 0;

	error_clear(&err);
	if (s->a.share ? inv_share(&s->ctx, s->ifname, &v, &n, &err)
		       : inv_list(&s->ctx, s->ifname, &v, &n, &err))
		return peer_fail(s, &err);
	for (size_t i = 0; i < n; i++) {
		char t[32];

		if (!peer_expiring_soon(&v[i], s->ctx.now))
			continue;
		soon++;
		fprintf(stderr, "%s: warning: %s expires on %s\n", s->a.cmd, v[i].name,
			when(v[i].expires, t));
	}
	if (s->a.json) {
		textbuf_printf(&o, "{\"interface\":");
		cli_json_string(&o, s->ifname);
		textbuf_printf(&o, ",\"share\":%s,\"expiring_soon\":%zu,\"peers\":[",
			       s->a.share ? "true" : "false", soon);
		for (size_t i = 0; i < n; i++) {
			textbuf_printf(&o, "%s", i ? "," : "");
			peer_json(&o, &v[i], s->ctx.now);
		}
		textbuf_printf(&o, "]}\n");
	} else {
		textbuf_printf(&o, "%-20s %-9s %-16s %-34s %-20s %s\n", "NAME", "STATE", "OWNER",
			       "ADDRESSES", "EXPIRES", "HUBS");
		for (size_t i = 0; i < n; i++) {
			char a[NETADDR_PREFIX_STRLEN], t[32];

			textbuf_printf(&o, "%-20s %-9s %-16s %-34s %-20s %s", v[i].name,
				       inv_state_name(v[i].state), v[i].owner,
				       v[i].n_addrs ? netaddr_format_prefix(a, &v[i].addrs[0]) : "-",
				       when(v[i].expires, t), v[i].iface);
			for (size_t j = 0; j < v[i].n_hubs; j++)
				textbuf_printf(&o, ",%s", v[i].hubs[j]);
			textbuf_printf(&o, "\n");
		}
	}
	free(v);
	return cli_write_out(&o) ? 0 : 1;
}

int peer_show(struct peer_session *s)
{
	struct textbuf o = { 0 };
	struct inv_seen *seen = NULL;
	struct inv_peer p;
	struct error err;
	size_t n = 0;

	error_clear(&err);
	if (!s->a.n_pos) {
		fprintf(stderr, "%s: NAME is needed\n", s->a.cmd);
		return 1;
	}
	if (inv_show(&s->ctx, s->ifname, s->a.pos[0], &p, &err) ||
	    inv_seen_of(&s->ctx, p.id, &seen, &n, &err))
		return peer_fail(s, &err);
	if (s->a.json) {
		peer_json_open(&o, &p, s->ctx.now);
		json_seen(&o, seen, n);
		textbuf_printf(&o, "}\n");
	} else {
		peer_human(&o, &p, s->ctx.now);
		/* On several hubs, each one's view: the latest is above. */
		for (size_t i = 0; p.n_hubs && i < n; i++) {
			char t[32];

			textbuf_printf(&o, "  %-15s%s: %s from %s\n", i ? "" : "seen by hub:",
				       seen[i].hub, when(seen[i].last_handshake, t),
				       seen[i].last_endpoint[0] ? seen[i].last_endpoint : "-");
		}
	}
	free(seen);
	return cli_write_out(&o) ? 0 : 1;
}

int peer_log(struct peer_session *s)
{
	struct textbuf o = { 0 };
	struct inv_log_entry *v;
	struct error err;
	size_t n;

	error_clear(&err);
	if (inv_log(&s->ctx, s->a.iface, s->a.n_pos ? s->a.pos[0] : NULL, &v, &n, &err))
		return peer_fail(s, &err);
	if (s->a.json)
		textbuf_printf(&o, "{\"entries\":[");
	for (size_t i = 0; i < n; i++) {
		char t[32];

		if (!s->a.json) {
			textbuf_printf(&o, "%s  %-8s %-12s %-8s %s  (%s)\n", when(v[i].at, t),
				       v[i].iface, v[i].peer[0] ? v[i].peer : "-", v[i].action,
				       v[i].detail, v[i].who);
			continue;
		}
		textbuf_printf(&o, "%s{\"id\":%lld,\"at\":%lld", i ? "," : "",
			       (long long)v[i].id, (long long)v[i].at);
		json_text(&o, "who", v[i].who);
		json_text(&o, "interface", v[i].iface);
		json_text(&o, "peer", v[i].peer);
		json_text(&o, "action", v[i].action);
		json_text(&o, "detail", v[i].detail);
		textbuf_printf(&o, "}");
	}
	if (s->a.json)
		textbuf_printf(&o, "]}\n");
	free(v);
	return cli_write_out(&o) ? 0 : 1;
}

