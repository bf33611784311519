/* Drift of the running device against the config file and the
 * inventory (drift.h).  The nft table and the sysctls are in
 * drift_fw.c. */
#include "drift.h"
#include "drift_int.h"

#include "common/array.h"
#include "common/netaddr.h"
#include "conf/config.h"
#include "crypto/crypto.h"
#include "inventory/model.h"
#include "inventory/plan.h"
#include "uapi/client.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const kind_names[DRIFT_KIND_COUNT] = {
	[DRIFT_PEER_MISSING] = "peer_missing",
	[DRIFT_PEER_EXTRA] = "peer_extra",
	[DRIFT_ALLOWED_IP_MISSING] = "allowed_ip_missing",
	[DRIFT_ALLOWED_IP_EXTRA] = "allowed_ip_extra",
	[DRIFT_ENDPOINT] = "endpoint",
	[DRIFT_LISTEN_PORT] = "listen_port",
	[DRIFT_FWMARK] = "fwmark",
	[DRIFT_PRIVATE_KEY] = "private_key",
	[DRIFT_PRESHARED_KEY] = "preshared_key",
	[DRIFT_KEEPALIVE] = "keepalive",
	[DRIFT_NFT_TABLE] = "nft_table",
	[DRIFT_SYSCTL] = "sysctl",
};

const char *drift_kind_name(enum drift_kind k)
{
	return (unsigned)k < DRIFT_KIND_COUNT ? kind_names[k] : "unknown";
}

void drift_list_free(struct drift_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct drift *drift_add(struct drift_list *l, enum drift_kind k, const uint8_t *key,
			const char *name, const char *what_fmt, ...)
{
	struct drift *d;
	va_list ap;

	if (array_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), SIZE_MAX / sizeof(*l->v)))
		return NULL;
	d = &l->v[l->n++];
	memset(d, 0, sizeof(*d));
	d->kind = k;
	if (key)
		encoding_key_to_base64(d->peer, key);
	snprintf(d->peer_name, sizeof(d->peer_name), "%s", name ? name : "");
	va_start(ap, what_fmt);
	vsnprintf(d->what, sizeof(d->what), what_fmt, ap);
	va_end(ap);
	return d;
}

void drift_config_arg(char *buf, size_t size, const char *ifname, const char *filename)
{
	char def[64];

	snprintf(def, sizeof(def), "/etc/wireguard/%s.conf", ifname);
	snprintf(buf, size, "%s", !filename || !strcmp(filename, def) ? ifname : filename);
}

/* The fix for what only the config file can put back: wg's own way,
 * syncconf of the stripped file, which changes only what differs. */
static void fix_syncconf(struct drift *d, const char *ifname, const struct drift_declared *dd)
{
	char arg[CONF_PATH_MAX];

	drift_config_arg(arg, sizeof(arg), ifname, dd->filename);
	snprintf(d->fix, sizeof(d->fix), "rampart syncconf %s <(rampart strip %.512s)", ifname, arg);
}

/* ---- allowed IPs as sets ------------------------------------------------ */

static int prefix_order(const void *a, const void *b)
{
	const struct netaddr_prefix *x = a, *y = b;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	c = memcmp(x->addr.family == AF_INET ? (const void *)&x->addr.in4 : (const void *)&x->addr.in6,
		   y->addr.family == AF_INET ? (const void *)&y->addr.in4 : (const void *)&y->addr.in6,
		   x->addr.family == AF_INET ? 4 : 16);
	if (c)
		return c;
	return (int)x->cidr - (int)y->cidr;
}

/* v masked (the routing table masks what it is given: 10.0.0.1/24 and
 * 10.0.0.0/24 are one prefix), sorted, without repeats; the new n. */
static size_t prefix_set(struct netaddr_prefix *v, size_t n)
{
	size_t k = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		netaddr_prefix_mask(&v[i]);
	qsort(v, n, sizeof(*v), prefix_order);
	for (size_t i = 0; i < n; i++)
		if (!k || prefix_order(&v[k - 1], &v[i]))
			v[k++] = v[i];
	return k;
}

/* A running peer's allowed IPs (the ADD steps of a get, or of a plan's
 * entry) as a set; *out NULL when there are none.  0 or -ENOMEM. */
static int uapi_prefixes(const struct uapi_peer *p, struct netaddr_prefix **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!p->n_allowed_ips)
		return 0;
	*out = calloc(p->n_allowed_ips, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		if (p->allowed_ips[i].action == UAPI_ALLOWED_IP_ADD)
			(*out)[(*n)++] = p->allowed_ips[i].prefix;
	*n = prefix_set(*out, *n);
	return 0;
}

/* "wg set IF peer KEY allowed-ips A,B" (which replaces the peer's list)
 * into d's fix; the longer form when the list does not fit. */
static void fix_allowed_ips(struct drift *d, const char *ifname, const struct netaddr_prefix *v,
			    size_t n, const char *fallback)
{
	size_t len = (size_t)snprintf(d->fix, sizeof(d->fix), "wg set %s peer %s allowed-ips ",
				      ifname, d->peer);

	for (size_t i = 0; i < n && len < sizeof(d->fix); i++) {
		char buf[NETADDR_PREFIX_STRLEN];

		len += (size_t)snprintf(d->fix + len, sizeof(d->fix) - len, "%s%s", i ? "," : "",
					netaddr_format_prefix(buf, &v[i]));
	}
	if (len >= sizeof(d->fix))
		snprintf(d->fix, sizeof(d->fix), "%s", fallback);
	else if (!n)
		snprintf(d->fix + len, sizeof(d->fix) - len, "\"\"");
}

struct peer_ctx {
	const char *ifname;
	const struct uapi_events *events; /* NULL: none */
	const uint8_t *key;
	const char *name;
	const char *fix;   /* "": wg set, peer by peer; else this command */
	const char *fallback; /* for a wg set that does not fit a fix */
	struct drift_list *out;
};

/* The two sets walked side by side: a prefix in one only is a
 * difference.  want and have are prefix_set()s.  0 or -ENOMEM. */
static int diff_prefixes(const struct peer_ctx *c, const struct netaddr_prefix *want, size_t nw,
			 const struct netaddr_prefix *have, size_t nh)
{
	size_t i = 0, j = 0;

	while (i < nw || j < nh) {
		int o = i == nw ? 1 : j == nh ? -1 : prefix_order(&want[i], &have[j]);
		const struct netaddr_prefix *p = o < 0 ? &want[i] : &have[j];
		char buf[NETADDR_PREFIX_STRLEN];
		struct drift *d;

		if (!o) {
			i++, j++;
			continue;
		}
		netaddr_format_prefix(buf, p);
		d = drift_add(c->out, o < 0 ? DRIFT_ALLOWED_IP_MISSING : DRIFT_ALLOWED_IP_EXTRA,
			      c->key, c->name, "allowed IP %s", buf);
		if (!d)
			return -ENOMEM;
		snprintf(d->declared, sizeof(d->declared), "%s", o < 0 ? buf : "(absent)");
		snprintf(d->running, sizeof(d->running), "%s", o < 0 ? "(absent)" : buf);
		if (c->fix[0])
			snprintf(d->fix, sizeof(d->fix), "%s", c->fix);
		else
			fix_allowed_ips(d, c->ifname, want, nw, c->fallback);
		o < 0 ? i++ : j++;
	}
	return 0;
}

static const uint8_t zero_key[KEY_LEN];

/* A preshared key is shown as whether it is set, never as itself. */
static int diff_psk(const struct peer_ctx *c, bool want_set, const uint8_t *want,
		    bool have_set, const uint8_t *have)
{
	struct drift *d;

	if (!want_set)
		want = zero_key;
	if (!have_set)
		have = zero_key;
	if (crypto_equal(want, have, KEY_LEN))
		return 0;
	d = drift_add(c->out, DRIFT_PRESHARED_KEY, c->key, c->name, "preshared key");
	if (!d)
		return -ENOMEM;
	snprintf(d->declared, sizeof(d->declared), "%s", want_set ? "set (hidden)" : "none");
	snprintf(d->running, sizeof(d->running), "%s",
		 !have_set ? "none" : want_set ? "another key (hidden)" : "set (hidden)");
	snprintf(d->fix, sizeof(d->fix), "%s", c->fix);
	return 0;
}

static int diff_keepalive(const struct peer_ctx *c, uint16_t want, uint16_t have)
{
	struct drift *d;

	if (want == have)
		return 0;
	d = drift_add(c->out, DRIFT_KEEPALIVE, c->key, c->name, "persistent keepalive");
	if (!d)
		return -ENOMEM;
	snprintf(d->declared, sizeof(d->declared), want ? "%u" : "off", want);
	snprintf(d->running, sizeof(d->running), have ? "%u" : "off", have);
	if (c->fix[0])
		snprintf(d->fix, sizeof(d->fix), "%s", c->fix);
	else
		snprintf(d->fix, sizeof(d->fix), "wg set %s peer %s persistent-keepalive %.8s",
			 c->ifname, d->peer, d->declared);
	return 0;
}

/* The value of " NAME=" in an event's text, up to the next space; NULL
 * when the word is not there.  *len: its length. */
static const char *event_word(const char *text, const char *name, size_t *len)
{
	size_t n = strlen(name);

	for (const char *p = strchr(text, ' '); p; p = strchr(p + 1, ' ')) {
		if (!strncmp(p + 1, name, n) && p[1 + n] == '=') {
			*len = strcspn(p + 2 + n, " ");
			return p + 2 + n;
		}
	}
	return NULL;
}

enum endpoint_origin { ORIGIN_UNKNOWN, ORIGIN_ROAMED, ORIGIN_SET };

/* Who gave the peer its running endpoint, by its latest event that can
 * have: the daemon for roaming (endpoint_changed), a set for peer_added
 * and peer_changed with endpoint among what changed. */
static enum endpoint_origin endpoint_origin(const struct uapi_events *ev, const char *b64)
{
	for (size_t i = ev ? ev->n : 0; i-- > 0;) {
		const char *t = ev->ev[i].text, *v;
		size_t len;

		v = event_word(t, "peer", &len);
		if (!v || len != KEY_B64_LEN || strncmp(v, b64, len))
			continue;
		if (!strncmp(t, "event=endpoint_changed ", 23))
			return ORIGIN_ROAMED;
		if (!strncmp(t, "event=peer_added ", 17))
			return ORIGIN_SET;
		if (strncmp(t, "event=peer_changed ", 19) || !(v = event_word(t, "changed", &len)))
			continue;
		for (const char *c = v; c < v + len; c += strcspn(c, ", ") + 1)
			if (!strncmp(c, "endpoint", 8) && (c[8] == ',' || c[8] == ' ' || !c[8]))
				return ORIGIN_SET;
	}
	return ORIGIN_UNKNOWN;
}

/* A configured Endpoint against the running one.  WireGuard moves a
 * peer's endpoint to the source of every authenticated packet
 * (roaming), so a difference is drift only when a set made it: the
 * event ring says which when it still holds the peer's latest endpoint
 * event (endpoint_origin); otherwise only while nothing was ever
 * received from the peer (no handshake, no byte), when the daemon cannot
 * have learned an address.  A name in the file is compared by its port
 * alone: what it resolves to may change. */
static int diff_endpoint(const struct peer_ctx *c, const struct conf_peer *p,
			 const struct uapi_peer *r)
{
	char want[NETADDR_ENDPOINT_STRLEN], have[NETADDR_ENDPOINT_STRLEN] = "(none)";
	bool has = r->flags & UAPI_PEER_HAS_ENDPOINT, same = false;
	enum endpoint_origin o = ORIGIN_UNKNOWN;
	struct netaddr_endpoint e;
	char b64[KEY_B64_LEN + 1];
	struct drift *d;

	if (!p->has_endpoint)
		return 0; /* learned, or none: nothing was declared */
	if (has) {
		uapi_endpoint_get(&r->endpoint, &e);
		same = p->endpoint.literal ? netaddr_endpoint_equal(&p->endpoint, &e)
					   : e.port == p->endpoint.port;
		uapi_endpoint_format(have, &r->endpoint);
		encoding_key_to_base64(b64, r->public_key);
		o = endpoint_origin(c->events, b64);
	}
	if (same || o == ORIGIN_ROAMED ||
	    (o == ORIGIN_UNKNOWN && has &&
	     (r->rx_bytes || r->last_handshake_sec || r->last_handshake_nsec)))
		return 0;
	netaddr_format_endpoint(want, &p->endpoint);
	d = drift_add(c->out, DRIFT_ENDPOINT, c->key, c->name, "endpoint");
	if (!d)
		return -ENOMEM;
	snprintf(d->declared, sizeof(d->declared), "%s", want);
	snprintf(d->running, sizeof(d->running), "%s", have);
	snprintf(d->fix, sizeof(d->fix), "wg set %s peer %s endpoint %s", c->ifname, d->peer, want);
	return 0;
}

/* ---- peers of the config file ------------------------------------------- */

/* Peers by key, so that matching two sides of n peers costs two sorts,
 * not n * n key comparisons. */
struct keyed {
	const uint8_t *key;
	const void *item;
};

static int keyed_order(const void *a, const void *b)
{
	return memcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key, KEY_LEN);
}

static const void *keyed_find(const struct keyed *v, size_t n, const uint8_t *key)
{
	const struct keyed probe = { .key = key }, *k;

	k = n ? bsearch(&probe, v, n, sizeof(*v), keyed_order) : NULL;
	return k ? k->item : NULL;
}

/* n items of size bytes from base, their keys at key_off, sorted by key;
 * NULL when out of memory. */
static struct keyed *index_keys(const void *base, size_t n, size_t size, size_t key_off)
{
	struct keyed *v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++) {
		const char *item = (const char *)base + i * size;

		v[i] = (struct keyed){ (const uint8_t *)item + key_off, item };
	}
	if (v && n)
		qsort(v, n, sizeof(*v), keyed_order);
	return v;
}

static struct keyed *index_running(const struct uapi_device *dev)
{
	return index_keys(dev->peers, dev->n_peers, sizeof(*dev->peers),
			  offsetof(struct uapi_peer, public_key));
}

static int conf_peer_drift(const struct peer_ctx *c, const struct conf_peer *p,
			   const struct uapi_peer *r)
{
	struct netaddr_prefix *want = NULL, *have = NULL;
	size_t nw = p->n_allowed_ips, nh = 0;
	struct peer_ctx wc = *c;
	int ret;

	wc.fix = "";
	wc.fallback = c->fix;
	if (nw && !(want = calloc(nw, sizeof(*want))))
		return -ENOMEM;
	for (size_t i = 0; i < nw; i++)
		want[i] = p->allowed_ips[i].prefix;
	nw = prefix_set(want, nw);
	ret = uapi_prefixes(r, &have, &nh);
	if (!ret)
		ret = diff_prefixes(&wc, want, nw, have, nh);
	if (!ret)
		ret = diff_psk(c, p->has_preshared_key, p->preshared_key,
			       r->flags & UAPI_PEER_HAS_PRESHARED_KEY, r->preshared_key);
	if (!ret)
		ret = diff_keepalive(&wc, p->has_keepalive ? p->keepalive : 0, r->keepalive);
	if (!ret)
		ret = diff_endpoint(&wc, p, r);
	free(want);
	free(have);
	return ret;
}

/* Running peers the file does not have. */
static int conf_extra(const char *ifname, const struct conf *conf, const struct uapi_device *dev,
		      struct drift_list *out)
{
	struct keyed *declared = index_keys(conf->peers, conf->n_peers, sizeof(*conf->peers),
					    offsetof(struct conf_peer, public_key));

	if (!declared)
		return -ENOMEM;
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uapi_peer *r = &dev->peers[i];
		struct drift *d;

		if (keyed_find(declared, conf->n_peers, r->public_key))
			continue;
		d = drift_add(out, DRIFT_PEER_EXTRA, r->public_key, NULL, "peer");
		if (!d) {
			free(declared);
			return -ENOMEM;
		}
		snprintf(d->declared, sizeof(d->declared), "(absent)");
		snprintf(d->running, sizeof(d->running), "present");
		snprintf(d->fix, sizeof(d->fix), "wg set %s peer %s remove", ifname, d->peer);
	}
	free(declared);
	return 0;
}

static int conf_peers(const char *ifname, const struct drift_declared *dd,
		      const struct uapi_device *dev, const struct uapi_events *events,
		      struct drift_list *out)
{
	const struct conf *conf = dd->conf;
	struct drift probe = { 0 };
	struct peer_ctx c = { .ifname = ifname, .events = events, .fix = probe.fix, .out = out };
	struct keyed *run = index_running(dev);
	int ret = 0;

	if (!run)
		return -ENOMEM;
	fix_syncconf(&probe, ifname, dd);
	for (size_t i = 0; i < conf->n_peers && !ret; i++) {
		const struct conf_peer *p = &conf->peers[i];
		const struct uapi_peer *r = keyed_find(run, dev->n_peers, p->public_key);
		struct drift *d;

		c.key = p->public_key;
		c.name = p->name;
		if (r) {
			ret = conf_peer_drift(&c, p, r);
			continue;
		}
		d = drift_add(out, DRIFT_PEER_MISSING, p->public_key, p->name, "peer");
		if (!d) {
			ret = -ENOMEM;
			break;
		}
		snprintf(d->declared, sizeof(d->declared), "present (line %u)", p->line);
		snprintf(d->running, sizeof(d->running), "(absent)");
		snprintf(d->fix, sizeof(d->fix), "%s", probe.fix);
	}
	free(run);
	return ret ? ret : conf_extra(ifname, conf, dev, out);
}

/* ---- peers of the inventory --------------------------------------------- */

static const char *inv_name(const struct drift_declared *dd, const uint8_t *key)
{
	for (size_t i = 0; i < dd->n_inv; i++) {
		const struct inv_peer *p = &dd->inv_peers[i];

		if (!memcmp(p->public_key, key, KEY_LEN) ||
		    (p->has_next_key && !memcmp(p->next_key, key, KEY_LEN)))
			return p->name;
	}
	return NULL;
}

/* One entry of the inventory's apply plan for a key that runs: what
 * `rampart peer apply` would change is the drift. */
static int inv_entry(const struct peer_ctx *c, const struct uapi_peer *e,
		     const struct uapi_peer *r)
{
	struct netaddr_prefix *want = NULL, *have = NULL;
	size_t nw = 0, nh = 0;
	int ret = 0;

	if (e->flags & UAPI_PEER_HAS_PRESHARED_KEY)
		ret = diff_psk(c, !encoding_key_is_zero(e->preshared_key), e->preshared_key,
			       r->flags & UAPI_PEER_HAS_PRESHARED_KEY, r->preshared_key);
	if (!ret && (e->flags & UAPI_PEER_HAS_KEEPALIVE))
		ret = diff_keepalive(c, e->keepalive, r->keepalive);
	/* The plan gives allowed IPs only when the set differs. */
	if (!ret && e->n_allowed_ips) {
		ret = uapi_prefixes(e, &want, &nw);
		if (!ret)
			ret = uapi_prefixes(r, &have, &nh);
		if (!ret)
			ret = diff_prefixes(c, want, nw, have, nh);
	}
	free(want);
	free(have);
	return ret;
}

static int inv_peers(const char *ifname, const struct drift_declared *dd,
		     const struct uapi_device *dev, struct drift_list *out, struct error *err)
{
	struct uapi_device *plan = NULL;
	struct peer_ctx c = { .ifname = ifname, .out = out };
	struct keyed *run;
	char fix[64];
	int ret = inv_plan(dd->inv_peers, dd->n_inv, dev, &plan, err);

	if (ret)
		return ret;
	if (!(run = index_running(dev))) {
		uapi_device_free(plan);
		return error_fail(err, -ENOMEM, "out of memory");
	}
	snprintf(fix, sizeof(fix), "rampart peer apply -i %s", ifname);
	c.fix = fix;
	for (size_t i = 0; i < plan->n_peers && !ret; i++) {
		const struct uapi_peer *e = &plan->peers[i];
		const struct uapi_peer *r = keyed_find(run, dev->n_peers, e->public_key);
		bool rm = e->flags & UAPI_PEER_REMOVE;
		struct drift *d;

		c.key = e->public_key;
		c.name = inv_name(dd, e->public_key);
		if (r && !rm) {
			ret = inv_entry(&c, e, r);
			continue;
		}
		d = drift_add(out, rm ? DRIFT_PEER_EXTRA : DRIFT_PEER_MISSING, e->public_key,
			      c.name, "peer");
		if (!d) {
			ret = -ENOMEM;
			break;
		}
		snprintf(d->declared, sizeof(d->declared), "%s",
			 rm ? "(absent)" : "active in the inventory");
		snprintf(d->running, sizeof(d->running), "%s", rm ? "present" : "(absent)");
		snprintf(d->fix, sizeof(d->fix), "%s", fix);
	}
	uapi_device_free(plan);
	free(run);
	if (ret == -ENOMEM)
		error_fail(err, ret, "out of memory");
	return ret;
}

/* ---- the interface -------------------------------------------------------- */

/* A private key shown as its public key: the only form that may be
 * printed. */
static void public_of(char out[KEY_B64_LEN + 1], const uint8_t priv[KEY_LEN])
{
	uint8_t pub[KEY_LEN];

	if (!crypto_init() && crypto_x25519_public(pub, priv))
		encoding_key_to_base64(out, pub);
	else
		snprintf(out, KEY_B64_LEN + 1, "(invalid key)");
	explicit_bzero(pub, sizeof(pub));
}

static int diff_private_key(const char *ifname, const struct drift_declared *dd,
			    const struct uapi_device *dev, struct drift_list *out)
{
	const struct conf *conf = dd->conf;
	bool has = dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY;
	char want[KEY_B64_LEN + 1], have[KEY_B64_LEN + 1] = "(none)";
	struct drift *d;

	if (!conf->has_private_key)
		return 0; /* a PostUp hook may set it: nothing declared */
	if (has && crypto_equal(conf->private_key, dev->private_key, KEY_LEN))
		return 0;
	public_of(want, conf->private_key);
	if (has)
		public_of(have, dev->private_key);
	d = drift_add(out, DRIFT_PRIVATE_KEY, NULL, NULL, "interface key (its public key)");
	if (!d)
		return -ENOMEM;
	snprintf(d->declared, sizeof(d->declared), "%s", want);
	snprintf(d->running, sizeof(d->running), "%s", have);
	fix_syncconf(d, ifname, dd);
	return 0;
}

static int diff_u32(struct drift_list *out, enum drift_kind k, const char *what, uint32_t want,
		    uint32_t have, const char *ifname, const char *wg_key)
{
	struct drift *d;

	if (want == have)
		return 0;
	d = drift_add(out, k, NULL, NULL, "%s", what);
	if (!d)
		return -ENOMEM;
	snprintf(d->declared, sizeof(d->declared), want || k == DRIFT_LISTEN_PORT ? "%u" : "off", want);
	snprintf(d->running, sizeof(d->running), have || k == DRIFT_LISTEN_PORT ? "%u" : "off", have);
	snprintf(d->fix, sizeof(d->fix), "wg set %s %s %.12s", ifname, wg_key, d->declared);
	return 0;
}

static int diff_interface(const char *ifname, const struct drift_declared *dd,
			  const struct uapi_device *dev, struct drift_list *out)
{
	const struct conf *conf = dd->conf;
	uint32_t mark = conf->has_fwmark ? conf->fwmark : dd->auto_fwmark;
	int ret = diff_private_key(ifname, dd, dev, out);

	/* No ListenPort (or 0): the daemon picks one, any is as declared. */
	if (!ret && conf->has_listen_port && conf->listen_port)
		ret = diff_u32(out, DRIFT_LISTEN_PORT, "listen port", conf->listen_port,
			       dev->listen_port, ifname, "listen-port");
	if (!ret)
		ret = diff_u32(out, DRIFT_FWMARK, "fwmark", mark,
			       dev->flags & UAPI_DEVICE_HAS_FWMARK ? dev->fwmark : 0, ifname, "fwmark");
	return ret;
}

int drift_compare_device(const char *ifname, const struct drift_declared *d,
			 const struct uapi_device *running, const struct uapi_events *events,
			 struct drift_list *out, struct error *err)
{
	int ret = diff_interface(ifname, d, running, out);

	if (!ret && d->inventory)
		return inv_peers(ifname, d, running, out, err);
	if (!ret)
		ret = conf_peers(ifname, d, running, events, out);
	if (ret)
		return error_fail(err, ret, "comparing %s: %s", ifname, strerror(-ret));
	return 0;
}
