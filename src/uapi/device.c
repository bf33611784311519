#include "device.h"

#include "common/array.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int uapi_endpoint_set(struct uapi_endpoint *e, const struct netaddr_endpoint *from)
{
	char *host = NULL;

	if (!from->literal) {
		host = strdup(from->host);
		if (!host)
			return -ENOMEM;
	}
	free(e->host);
	memset(e, 0, sizeof(*e));
	e->literal = from->literal;
	e->addr = from->addr;
	memcpy(e->zone, from->zone, sizeof(e->zone));
	e->port = from->port;
	e->host = host;
	return 0;
}

bool uapi_endpoint_parse(struct uapi_endpoint *e, const char *s, const char **why)
{
	struct netaddr_endpoint ep;

	if (!netaddr_parse_endpoint(&ep, s, why))
		return false;
	if (uapi_endpoint_set(e, &ep)) {
		*why = "out of memory";
		return false;
	}
	return true;
}

void uapi_endpoint_get(const struct uapi_endpoint *e, struct netaddr_endpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->literal = e->literal;
	out->addr = e->addr;
	memcpy(out->zone, e->zone, sizeof(out->zone));
	out->port = e->port;
	if (!e->literal && e->host)
		snprintf(out->host, sizeof(out->host), "%s", e->host);
}

const char *uapi_endpoint_format(char buf[NETADDR_ENDPOINT_STRLEN], const struct uapi_endpoint *e)
{
	struct netaddr_endpoint ep;

	uapi_endpoint_get(e, &ep);
	return netaddr_format_endpoint(buf, &ep);
}

struct uapi_device *uapi_device_alloc(void)
{
	return calloc(1, sizeof(struct uapi_device));
}

void uapi_device_free(struct uapi_device *dev)
{
	size_t i;

	if (!dev)
		return;
	for (i = 0; i < dev->n_peers; i++) {
		free(dev->peers[i].allowed_ips);
		free(dev->peers[i].endpoint.host);
		free(dev->peers[i].counters);
	}
	if (dev->peers)
		explicit_bzero(dev->peers, dev->cap_peers * sizeof(*dev->peers));
	free(dev->peers);
	free(dev->counters);
	explicit_bzero(dev, sizeof(*dev));
	free(dev);
}

struct uapi_peer *uapi_device_add_peer(struct uapi_device *dev, const uint8_t key[KEY_LEN])
{
	struct uapi_peer *p;
	int r;

	r = array_grow((void **)&dev->peers, &dev->cap_peers, dev->n_peers, sizeof(*dev->peers),
		       UAPI_PEERS_MAX);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->public_key, key, KEY_LEN);
	return p;
}

int uapi_peer_add_allowed_ip(struct uapi_peer *peer, const struct netaddr_prefix *prefix,
			     enum uapi_allowed_ip_action action)
{
	struct uapi_allowed_ip *a;
	int r;

	r = array_grow((void **)&peer->allowed_ips, &peer->cap_allowed_ips, peer->n_allowed_ips,
		       sizeof(*peer->allowed_ips), UAPI_ALLOWED_IPS_MAX);
	if (r < 0)
		return r;
	a = &peer->allowed_ips[peer->n_allowed_ips++];
	memset(a, 0, sizeof(*a));
	if (prefix)
		a->prefix = *prefix;
	a->action = (uint8_t)action;
	return 0;
}

static int add_counter(struct uapi_counter **v, size_t *n, size_t *cap, const char *name,
		       uint64_t value)
{
	struct uapi_counter *c;
	int r;

	r = array_grow((void **)v, cap, *n, sizeof(**v), UAPI_COUNTERS_MAX);
	if (r < 0)
		return r;
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	strncpy(c->name, name, UAPI_COUNTER_NAME_MAX);
	c->value = value;
	return 0;
}

int uapi_device_add_counter(struct uapi_device *dev, const char *name, uint64_t value)
{
	return add_counter(&dev->counters, &dev->n_counters, &dev->cap_counters, name, value);
}

int uapi_peer_add_counter(struct uapi_peer *peer, const char *name, uint64_t value)
{
	return add_counter(&peer->counters, &peer->n_counters, &peer->cap_counters, name, value);
}

bool uapi_looks_like_key(const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/' || c == '=') {
			if (++run >= KEY_HEX_LEN / 2)
				return true;
		} else {
			run = 0;
		}
	}
	return false;
}

void uapi_write_key(struct textbuf *o, const char *name, const uint8_t key[KEY_LEN])
{
	char hex[KEY_HEX_LEN + 1];

	encoding_key_to_hex(hex, key);
	textbuf_printf(o, "%s=%s\n", name, hex);
	explicit_bzero(hex, sizeof(hex));
}

uint64_t uapi_peer_counter(const struct uapi_peer *peer, const char *name)
{
	for (size_t i = 0; i < peer->n_counters; i++)
		if (!strcmp(peer->counters[i].name, name))
			return peer->counters[i].value;
	return 0;
}
