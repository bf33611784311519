/* Rotation with overlap in the daemon (takeover.h, docs/rotation.md). */
#include "takeover.h"
#include "control.h"
#include "events.h"

#include "common/log.h"
#include "proto/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int takeover_reserve(const struct takeovers *t, size_t more)
{
	return more > TAKEOVER_MAX - t->n ? -ENOSPC : 0;
}

static void drop_at(struct takeovers *t, size_t i)
{
	if (t->v[i].due)
		t->n_due--;
	t->v[i] = t->v[--t->n];
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
}

void takeover_record(struct takeovers *t, const uint8_t new_key[KEY_LEN],
		     const uint8_t old_key[KEY_LEN])
{
	struct takeover *e = NULL;

	for (size_t i = 0; i < t->n && !e; i++)
		if (!memcmp(t->v[i].new_key, new_key, KEY_LEN))
			e = &t->v[i];
	if (!e) {
		if (t->n == TAKEOVER_MAX)
			return; /* takeover_reserve() said no room */
		e = &t->v[t->n++];
	} else if (e->due) {
		t->n_due--;
	}
	memcpy(e->new_key, new_key, KEY_LEN);
	memcpy(e->old_key, old_key, KEY_LEN);
	e->due = false;
}

void takeover_forget(struct takeovers *t, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; i < t->n;) {
		if (!memcmp(t->v[i].new_key, key, KEY_LEN) || !memcmp(t->v[i].old_key, key, KEY_LEN))
			drop_at(t, i);
		else
			i++;
	}
}

void takeover_forget_all(struct takeovers *t)
{
	memset(t->v, 0, t->n * sizeof(t->v[0]));
	t->n = t->n_due = 0;
}

bool takeover_handshake(struct takeovers *t, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].due || memcmp(t->v[i].new_key, key, KEY_LEN))
			continue;
		t->v[i].due = true;
		t->n_due++;
		return true;
	}
	return false;
}

/* ---- the move ----------------------------------------------------------- */

struct prefix_list {
	struct {
		int family;
		uint8_t addr[16];
		uint8_t cidr;
	} *v;
	size_t n, cap;
};

static int collect(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct prefix_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].family = family;
	memset(l->v[l->n].addr, 0, sizeof(l->v[l->n].addr));
	memcpy(l->v[l->n].addr, addr, family == AF_INET ? 4 : 16);
	l->v[l->n].cidr = cidr;
	l->n++;
	return 0;
}

static void removed_event(struct daemon *d, const uint8_t *pub, uint64_t now)
{
	struct event_record r;

	memset(&r, 0, sizeof(r));
	r.kind = EVENT_PEER_REMOVED;
	r.has_peer = true;
	memcpy(r.peer, pub, sizeof(r.peer));
	daemon_record_event(d, &r, now);
}

/* One due takeover: OLD's prefixes to NEW, then OLD goes.  The prefixes
 * are listed first because each insert changes OLD's list as it moves
 * the prefix away.  If memory runs out while listing, nothing moves and
 * OLD stays: the client's old key still works, and the pairing is kept
 * for its next handshake.  1 if it took place, 0 if either peer is gone
 * (nothing to take over), -1 if it failed. */
static int run_one(struct daemon *d, const struct takeover *e, size_t *moved)
{
	struct device *dev = daemon_device(d);
	struct peer *new_peer = device_find_peer(dev, e->new_key);
	struct peer *old_peer = device_find_peer(dev, e->old_key);
	struct prefix_list l = { 0 };
	int err = 0;

	*moved = 0;
	if (!new_peer || !old_peer)
		return 0;
	if (allowedips_walk_peer(&dev->table, &old_peer->allowed, collect, &l)) {
		free(l.v);
		log_error("takeover: out of memory listing the old peer's allowed IPs");
		return -1;
	}
	for (size_t i = 0; i < l.n && !err; i++) {
		err = device_peer_add_allowed_ip(dev, new_peer, l.v[i].family, l.v[i].addr,
						 l.v[i].cidr);
		if (!err)
			(*moved)++;
	}
	free(l.v);
	if (err) {
		/* The prefixes moved so far stay with the new key, which has
		 * proved itself with a handshake; OLD keeps the rest. */
		log_error("takeover: %zu allowed IP(s) moved, then: %s", *moved, strerror(-err));
		return -1;
	}
	device_remove_peer(dev, old_peer);
	return 1;
}

size_t takeover_run(struct takeovers *t, struct daemon *d, uint64_t now)
{
	size_t done = 0;

	daemon_assert_locked(d);
	for (size_t i = 0; i < t->n && t->n_due;) {
		struct takeover e = t->v[i];
		char new_b64[KEY_B64_LEN + 1], old_b64[KEY_B64_LEN + 1];
		size_t moved;
		int r = e.due ? run_one(d, &e, &moved) : -1;

		if (r < 0) {
			i++;
			continue;
		}
		if (!r) {
			drop_at(t, i);
			continue;
		}
		done++;
		encoding_key_to_base64(new_b64, e.new_key);
		encoding_key_to_base64(old_b64, e.old_key);
		log_info("peer %s took over %zu allowed IP(s) from peer %s, which is removed",
			 new_b64, moved, old_b64);
		removed_event(d, e.old_key, now);
		/* OLD is gone: its pairings go, and this one with them. */
		takeover_forget(t, e.old_key);
		i = 0;
	}
	return done;
}
