#include "health.h"

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/textbuf.h"
#include "uapi/device.h"

#include <stdio.h>
#include <string.h>

int64_t health_handshake_age(const struct uapi_peer *p, int64_t now)
{
	int64_t sec = p->last_handshake_sec, age;

	if (!sec && !p->last_handshake_nsec)
		return -1;
	/* A handshake "from the future": the wall clock was stepped back
	 * since.  The peer did answer, and lately: fresh. */
	if (sec >= now)
		return 0;
	/* now - sec overflows only for a hostile sec far below zero. */
	if (sec < 0 && now > INT64_MAX + sec)
		return HEALTH_AGE_MAX;
	age = now - sec;
	return age > (int64_t)HEALTH_AGE_MAX ? (int64_t)HEALTH_AGE_MAX : age;
}

enum health_state health_peer_state(const struct uapi_peer *p, int64_t now, int64_t max_age)
{
	int64_t age = health_handshake_age(p, now);

	if (age < 0)
		return HEALTH_NEVER;
	return age > max_age ? HEALTH_STALE : HEALTH_OK;
}

const char *health_state_name(enum health_state s)
{
	static const char *const names[] = {
		[HEALTH_NEVER] = "never", [HEALTH_OK] = "ok", [HEALTH_STALE] = "stale",
	};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *health_verdict_name(enum health_verdict v)
{
	static const char *const names[] = {
		[HEALTH_VERDICT_OK] = "OK", [HEALTH_VERDICT_WARNING] = "WARNING",
		[HEALTH_VERDICT_CRITICAL] = "CRITICAL", [HEALTH_VERDICT_UNKNOWN] = "UNKNOWN",
	};

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "UNKNOWN";
}

/* Counts p into c. */
static void count(struct health_check *c, const struct uapi_peer *p, int64_t now)
{
	int64_t age = health_handshake_age(p, now);

	c->n_peers++;
	if (age < 0) {
		c->n_never++;
		return;
	}
	if (age > c->oldest_age)
		c->oldest_age = age;
	if (age > c->max_age)
		c->n_stale++;
	else
		c->n_fresh++;
}

void health_check_device(struct health_check *c, const struct uapi_device *dev, int64_t now)
{
	c->found = false;
	c->n_peers = c->n_fresh = c->n_stale = c->n_never = 0;
	c->oldest_age = -1;
	if (!c->ifname[0])
		snprintf(c->ifname, sizeof(c->ifname), "%s", dev->name);
	if (c->flags & HEALTH_CHECK_PEER) {
		for (size_t i = 0; i < dev->n_peers; i++) {
			/* Public keys: no constant-time compare needed. */
			if (!memcmp(dev->peers[i].public_key, c->key, KEY_LEN)) {
				c->found = true;
				count(c, &dev->peers[i], now);
				break;
			}
		}
		if (!c->found)
			c->verdict = HEALTH_VERDICT_UNKNOWN;
		else
			c->verdict = c->n_fresh ? HEALTH_VERDICT_OK : HEALTH_VERDICT_CRITICAL;
		return;
	}
	for (size_t i = 0; i < dev->n_peers; i++)
		count(c, &dev->peers[i], now);
	if (c->n_stale)
		c->verdict = HEALTH_VERDICT_CRITICAL;
	else if (c->n_never || !c->n_peers)
		c->verdict = HEALTH_VERDICT_WARNING;
	else
		c->verdict = HEALTH_VERDICT_OK;
}

/* Perfdata of a time: "LABEL=12s;;180;0", or "U" for no value. */
static void perf_age(struct textbuf *o, const char *label, int64_t age, int64_t max_age)
{
	if (age < 0)
		textbuf_printf(o, "%s=U;;%lld;0", label, (long long)max_age);
	else
		textbuf_printf(o, "%s=%llds;;%lld;0", label, (long long)age, (long long)max_age);
}

static void format_peer(struct textbuf *o, const struct health_check *c, const char *key)
{
	textbuf_printf(o, "%s peer %s: ", c->ifname, key);
	if (!c->found) {
		textbuf_printf(o, "no such peer\n");
		return;
	}
	if (c->oldest_age < 0)
		textbuf_printf(o, "no handshake yet");
	else if (c->n_stale)
		textbuf_printf(o, "latest handshake %lld s ago, older than %lld s",
			       (long long)c->oldest_age, (long long)c->max_age);
	else
		textbuf_printf(o, "latest handshake %lld s ago (max %lld s)",
			       (long long)c->oldest_age, (long long)c->max_age);
	textbuf_printf(o, " | ");
	perf_age(o, "handshake_age", c->oldest_age, c->max_age);
	textbuf_printf(o, "\n");
}

void health_format_check(struct textbuf *o, const struct health_check *c)
{
	size_t connected = c->n_fresh + c->n_stale;

	textbuf_printf(o, "RAMPART %s - ", health_verdict_name(c->verdict));
	if (c->flags & HEALTH_CHECK_PEER) {
		char key[KEY_B64_LEN + 1];

		encoding_key_to_base64(key, c->key);
		format_peer(o, c, key);
		return;
	}
	textbuf_printf(o, "%s: ", c->ifname);
	if (!c->n_peers)
		textbuf_printf(o, "no peers");
	else if (c->n_stale)
		textbuf_printf(o, "%zu/%zu peers stale (handshake older than %lld s)",
			       c->n_stale, connected, (long long)c->max_age);
	else
		textbuf_printf(o, "%zu/%zu peers fresh", c->n_fresh, c->n_peers);
	if (c->n_never)
		textbuf_printf(o, ", %zu never connected", c->n_never);
	if (c->oldest_age >= 0)
		textbuf_printf(o, ", oldest handshake %lld s", (long long)c->oldest_age);
	textbuf_printf(o, " | peers=%zu;;;0 fresh=%zu;;;0;%zu stale=%zu;;;0;%zu never=%zu;;;0;%zu ",
		       c->n_peers, c->n_fresh, c->n_peers, c->n_stale, c->n_peers, c->n_never,
		       c->n_peers);
	perf_age(o, "oldest_handshake_age", c->oldest_age, c->max_age);
	textbuf_printf(o, "\n");
}
