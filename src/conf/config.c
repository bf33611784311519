#include "config.h"

#include "common/array.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Written at start-up only (conf_register_ext), read afterwards. */
static const struct conf_ext_ops *ext_ops[CONF_EXT_MAX];
static int n_ext;

int conf_register_ext(const struct conf_ext_ops *ops)
{
	for (int i = 0; i < n_ext; i++)
		if (ext_ops[i] == ops)
			return i;
	if (n_ext == CONF_EXT_MAX)
		return -ENOSPC;
	ext_ops[n_ext] = ops;
	return n_ext++;
}

void *conf_ext(const struct conf *conf, int slot)
{
	return slot >= 0 && slot < CONF_EXT_MAX ? conf->ext[slot] : NULL;
}

void *conf_peer_ext(const struct conf_peer *peer, int slot)
{
	return slot >= 0 && slot < CONF_EXT_MAX ? peer->ext[slot] : NULL;
}

/* Frees the blocks of ext (conf's or a peer's), peer choosing which. */
static void ext_free(void *ext[CONF_EXT_MAX], bool peer)
{
	for (int i = 0; i < n_ext; i++) {
		void (*uninit)(void *) = peer ? ext_ops[i]->peer_uninit : ext_ops[i]->uninit;
		size_t size = peer ? ext_ops[i]->peer_size : ext_ops[i]->size;

		if (!ext[i])
			continue;
		if (uninit)
			uninit(ext[i]);
		explicit_bzero(ext[i], size);
		free(ext[i]);
		ext[i] = NULL;
	}
}

/* Allocates the zeroed blocks every registered slot asks for: 0 or -ENOMEM
 * (with what was allocated freed again). */
static int ext_alloc(void *ext[CONF_EXT_MAX], bool peer)
{
	for (int i = 0; i < n_ext; i++) {
		size_t size = peer ? ext_ops[i]->peer_size : ext_ops[i]->size;

		if (!size)
			continue;
		ext[i] = calloc(1, size);
		if (!ext[i]) {
			ext_free(ext, peer);
			return -ENOMEM;
		}
	}
	return 0;
}

static bool ext_equal(void *const a[CONF_EXT_MAX], void *const b[CONF_EXT_MAX], bool peer)
{
	for (int i = 0; i < n_ext; i++) {
		bool (*equal)(const void *, const void *) =
			peer ? ext_ops[i]->peer_equal : ext_ops[i]->equal;

		if (!a[i] != !b[i])
			return false;
		if (a[i] && equal && !equal(a[i], b[i]))
			return false;
	}
	return true;
}

static int ext_copy(void *dst[CONF_EXT_MAX], void *const src[CONF_EXT_MAX], bool peer)
{
	for (int i = 0; i < n_ext; i++) {
		void (*uninit)(void *) = peer ? ext_ops[i]->peer_uninit : ext_ops[i]->uninit;
		int (*copy)(void *, const void *) = peer ? ext_ops[i]->peer_copy : ext_ops[i]->copy;
		size_t size = peer ? ext_ops[i]->peer_size : ext_ops[i]->size;
		int ret;

		if (!dst[i] || !src[i])
			continue;
		if (uninit)
			uninit(dst[i]);
		memset(dst[i], 0, size);
		if (!copy) {
			memcpy(dst[i], src[i], size);
			continue;
		}
		ret = copy(dst[i], src[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int conf_copy_ext(struct conf *dst, const struct conf *src)
{
	return ext_copy(dst->ext, src->ext, false);
}

int conf_peer_copy_ext(struct conf_peer *dst, const struct conf_peer *src)
{
	return ext_copy(dst->ext, src->ext, true);
}

struct conf *conf_alloc(void)
{
	struct conf *conf = calloc(1, sizeof(struct conf));

	if (conf && ext_alloc(conf->ext, false)) {
		free(conf);
		conf = NULL;
		errno = ENOMEM;
	}
	return conf;
}

static void peer_uninit(struct conf_peer *peer)
{
	free(peer->allowed_ips);
	ext_free(peer->ext, true);
	explicit_bzero(peer, sizeof(*peer));
}

void conf_free(struct conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_peers; i++)
		peer_uninit(&conf->peers[i]);
	free(conf->peers);
	for (unsigned k = 0; k < CONF_HOOK_COUNT; k++) {
		for (size_t i = 0; i < conf->hooks[k].n; i++)
			free(conf->hooks[k].v[i].cmd);
		free(conf->hooks[k].v);
	}
	free(conf->addresses);
	free(conf->dns);
	ext_free(conf->ext, false);
	explicit_bzero(conf, sizeof(*conf));
	free(conf);
}

void conf_clear_peers(struct conf *conf)
{
	for (size_t i = 0; i < conf->n_peers; i++)
		peer_uninit(&conf->peers[i]);
	conf->n_peers = 0;
}

int conf_add_address(struct conf *conf, const struct netaddr_prefix *p, unsigned line)
{
	int ret = array_grow((void **)&conf->addresses, &conf->cap_addresses,
		       conf->n_addresses, sizeof(*conf->addresses), CONF_LIST_MAX);

	if (ret)
		return ret;
	conf->addresses[conf->n_addresses].prefix = *p;
	conf->addresses[conf->n_addresses++].line = line;
	return 0;
}

int conf_add_dns(struct conf *conf, const struct conf_dns *dns)
{
	int ret = array_grow((void **)&conf->dns, &conf->cap_dns, conf->n_dns,
		       sizeof(*conf->dns), CONF_LIST_MAX);

	if (ret)
		return ret;
	conf->dns[conf->n_dns++] = *dns;
	return 0;
}

int conf_add_hook(struct conf *conf, enum conf_hook_kind kind, const char *cmd,
		  unsigned line)
{
	char *copy;
	int ret;

	if ((unsigned)kind >= CONF_HOOK_COUNT)
		return -EINVAL;
	ret = array_grow((void **)&conf->hooks[kind].v, &conf->hooks[kind].cap,
		   conf->hooks[kind].n, sizeof(struct conf_hook), CONF_LIST_MAX);
	if (ret)
		return ret;
	copy = strdup(cmd);
	if (!copy)
		return -ENOMEM;
	conf->hooks[kind].v[conf->hooks[kind].n].cmd = copy;
	conf->hooks[kind].v[conf->hooks[kind].n++].line = line;
	return 0;
}

int conf_peer_add_allowed_ip(struct conf_peer *peer, const struct netaddr_prefix *p,
			     unsigned line)
{
	int ret = array_grow((void **)&peer->allowed_ips, &peer->cap_allowed_ips,
		       peer->n_allowed_ips, sizeof(*peer->allowed_ips), CONF_LIST_MAX);

	if (ret)
		return ret;
	peer->allowed_ips[peer->n_allowed_ips].prefix = *p;
	peer->allowed_ips[peer->n_allowed_ips++].line = line;
	return 0;
}

struct conf_peer *conf_add_peer(struct conf *conf, unsigned line)
{
	struct conf_peer *peer;
	int ret = array_grow((void **)&conf->peers, &conf->cap_peers, conf->n_peers,
		       sizeof(*conf->peers), CONF_PEERS_MAX);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	peer = &conf->peers[conf->n_peers];
	memset(peer, 0, sizeof(*peer));
	ret = ext_alloc(peer->ext, true);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	conf->n_peers++;
	peer->line = line;
	return peer;
}

const struct conf_peer *conf_find_peer(const struct conf *conf, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; i < conf->n_peers; i++)
		if (conf->peers[i].has_public_key && !memcmp(conf->peers[i].public_key, key, KEY_LEN))
			return &conf->peers[i];
	return NULL;
}

/* --- equality ---------------------------------------------------------- */

static bool key_equal(const uint8_t a[KEY_LEN], const uint8_t b[KEY_LEN])
{
	volatile uint8_t acc = 0;

	for (unsigned i = 0; i < KEY_LEN; i++)
		acc |= a[i] ^ b[i];
	return acc == 0;
}

static bool prefixes_equal(const struct conf_prefix *a, size_t na,
			   const struct conf_prefix *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!netaddr_prefix_equal(&a[i].prefix, &b[i].prefix))
			return false;
	return true;
}

static bool dns_equal(const struct conf_dns *a, const struct conf_dns *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == CONF_DNS_SERVER)
		return netaddr_equal(&a->server, &b->server);
	return !strcasecmp(a->domain, b->domain);
}

static bool table_equal(const struct conf_table *a, const struct conf_table *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == CONF_TABLE_ID)
		return a->id == b->id;
	if (a->kind == CONF_TABLE_NAME)
		return !strcmp(a->name, b->name);
	return true;
}

static bool peer_equal(const struct conf_peer *a, const struct conf_peer *b)
{
	if (strcmp(a->name, b->name))
		return false;
	if (a->has_public_key != b->has_public_key ||
	    (a->has_public_key && !key_equal(a->public_key, b->public_key)))
		return false;
	if (a->has_preshared_key != b->has_preshared_key ||
	    (a->has_preshared_key && !key_equal(a->preshared_key, b->preshared_key)))
		return false;
	if (!prefixes_equal(a->allowed_ips, a->n_allowed_ips, b->allowed_ips,
			    b->n_allowed_ips))
		return false;
	if (a->has_endpoint != b->has_endpoint ||
	    (a->has_endpoint && !netaddr_endpoint_equal(&a->endpoint, &b->endpoint)))
		return false;
	if (a->has_keepalive != b->has_keepalive ||
	    (a->has_keepalive && a->keepalive != b->keepalive))
		return false;
	return ext_equal(a->ext, b->ext, true);
}

bool conf_equal(const struct conf *a, const struct conf *b)
{
	if (a->has_private_key != b->has_private_key ||
	    (a->has_private_key && !key_equal(a->private_key, b->private_key)))
		return false;
	if (a->has_listen_port != b->has_listen_port ||
	    (a->has_listen_port && a->listen_port != b->listen_port))
		return false;
	if (a->has_fwmark != b->has_fwmark || (a->has_fwmark && a->fwmark != b->fwmark))
		return false;
	if (!prefixes_equal(a->addresses, a->n_addresses, b->addresses, b->n_addresses))
		return false;
	if (a->n_dns != b->n_dns)
		return false;
	for (size_t i = 0; i < a->n_dns; i++)
		if (!dns_equal(&a->dns[i], &b->dns[i]))
			return false;
	if (a->has_mtu != b->has_mtu || (a->has_mtu && a->mtu != b->mtu))
		return false;
	if (a->has_table != b->has_table ||
	    (a->has_table && !table_equal(&a->table, &b->table)))
		return false;
	for (unsigned k = 0; k < CONF_HOOK_COUNT; k++) {
		if (a->hooks[k].n != b->hooks[k].n)
			return false;
		for (size_t i = 0; i < a->hooks[k].n; i++)
			if (strcmp(a->hooks[k].v[i].cmd, b->hooks[k].v[i].cmd))
				return false;
	}
	if (a->has_save_config != b->has_save_config ||
	    (a->has_save_config && a->save_config != b->save_config))
		return false;
	if (strcmp(a->netns, b->netns))
		return false;
	if (a->n_peers != b->n_peers)
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!peer_equal(&a->peers[i], &b->peers[i]))
			return false;
	return ext_equal(a->ext, b->ext, false);
}

/* --- interface names and config paths --------------------------------------------------------------- */

bool conf_ifname_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("_=+.-", c));
}

static bool valid_ifname_n(const char *s, size_t n)
{
	if (!n || n > CONF_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!conf_ifname_char(s[i]))
			return false;
	return true;
}

bool conf_valid_ifname(const char *s)
{
	return valid_ifname_n(s, strlen(s));
}

int conf_config_path(const char *arg, char *path, size_t size)
{
	int n;

	if (conf_valid_ifname(arg))
		n = snprintf(path, size, "/etc/wireguard/%s.conf", arg);
	else
		n = snprintf(path, size, "%s", arg);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* wg-quick: (^|/)([a-zA-Z0-9_=+.-]{1,15})\.conf$ */
bool conf_ifname_from_path(const char *path, char ifname[CONF_IFNAME_MAX + 1])
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n < 5 || strcmp(base + n - 5, ".conf"))
		return false;
	n -= 5;
	if (!valid_ifname_n(base, n))
		return false;
	memcpy(ifname, base, n);
	ifname[n] = '\0';
	return true;
}

bool conf_valid_netns(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > CONF_NETNS_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
			return false;
	return true;
}
