/* What the inventory takes in from files (inventory/intake.h): a client's
 * peer request, and the peers of a wg-quick config that `rampart peer
 * import` adopts.  Every input is tried as both.  A first line "pools
 * P, P..." gives the interface's pools for the import (as `peer init
 * --pool` would), else it has the tests' two, 10.8.0.1/24 and fd08::1/64.
 *
 * A request that parses is written as `rampart peer request` writes it
 * and reads back the same, and the second writing is the same bytes.  An
 * import's records are written back as `rampart peer export` writes
 * them (inv_intake_export, wgconf_format), and that config imports to the
 * same records.  No message carries a control character of the input. */
#include "common/error.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "firewall/policykeys.h"
#include "inventory/intake.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A refusal: an errno, and messages fit for a terminal. */
static void check_error(int ret, const struct error *err)
{
	if (ret >= 0 || !err->msg[0] || !printable(err->msg) || !printable(err->key) ||
	    !printable(err->value) || !printable(err->file))
		abort();
}

static void request(const char *buf, size_t len)
{
	struct inv_request a, b;
	struct textbuf t = { 0 }, u = { 0 };
	struct error err;
	int ret;

	error_clear(&err);
	ret = inv_request_parse(buf, len, "fuzz.req", &a, &err);
	if (ret) {
		check_error(ret, &err);
		return;
	}
	if (inv_request_format(&t, &a) || inv_request_parse(t.buf, t.len, "again.req", &b, &err))
		abort(); /* what we write, we read */
	if (strcmp(a.name, b.name) || memcmp(a.public_key, b.public_key, KEY_LEN))
		abort();
	if (inv_request_format(&u, &b) || u.len != t.len || memcmp(u.buf, t.buf, t.len))
		abort();
	textbuf_wipe(&t);
	textbuf_wipe(&u);
}

static bool same_prefixes(const struct netaddr_prefix *a, size_t na,
			  const struct netaddr_prefix *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!netaddr_prefix_equal(&a[i], &b[i]))
			return false;
	return true;
}

static bool same_peer(const struct inv_peer *a, const struct inv_peer *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->owner, b->owner) &&
	       !memcmp(a->public_key, b->public_key, KEY_LEN) && a->has_psk == b->has_psk &&
	       !memcmp(a->psk, b->psk, KEY_LEN) && a->keepalive == b->keepalive &&
	       same_prefixes(a->addrs, a->n_addrs, b->addrs, b->n_addrs) &&
	       same_prefixes(a->sites, a->n_sites, b->sites, b->n_sites);
}

/* v (n records of conf, from buf) written back and imported again. */
static void round_trip(const struct inv_interface *ifc, const char *buf, size_t len,
		       const struct conf *conf, struct inv_peer *v, size_t n)
{
	struct conf *out = NULL, *back = NULL;
	struct inv_peer *w = NULL;
	struct error err;
	char *text;
	size_t tlen;

	for (size_t i = 0; i < n; i++)
		v[i].state = INV_ACTIVE;
	/* As peer export: the file's own [Interface], the inventory's peers. */
	if (wgconf_parse(buf, len, "fuzz.conf", &out, &err))
		abort();
	conf_clear_peers(out);
	if (inv_intake_export(out, conf, v, n, &err))
		abort();
	text = wgconf_format(out, WGCONF_FULL, &tlen);
	if (!text)
		abort();
	if (wgconf_parse(text, tlen, "export.conf", &back, &err) || back->n_peers != n)
		abort(); /* what export writes, the parser reads */
	if (inv_intake_import(ifc, back, "export.conf", "imported", &w, &err))
		abort(); /* and import takes again */
	for (size_t i = 0; i < n; i++)
		if (!same_peer(&v[i], &w[i]))
			abort();
	inv_intake_free(w, n);
	wgconf_text_free(text, tlen);
	conf_free(back);
	conf_free(out);
}

static void import(const struct inv_interface *ifc, const char *buf, size_t len)
{
	struct conf *conf = NULL;
	struct inv_peer *v = NULL;
	struct error err;
	int ret;

	error_clear(&err);
	ret = wgconf_parse(buf, len, "fuzz.conf", &conf, &err);
	if (ret) {
		check_error(ret, &err);
		return;
	}
	ret = inv_intake_import(ifc, conf, "fuzz.conf", "imported", &v, &err);
	if (ret)
		check_error(ret, &err);
	else
		round_trip(ifc, buf, len, conf, v, conf->n_peers);
	inv_intake_free(v, conf->n_peers);
	conf_free(conf);
}

/* The interface, from a first line "pools P, P..." (its length in *used)
 * or the default. */
static void interface(struct inv_interface *ifc, const char *buf, size_t len, size_t *used)
{
	const char *nl = memchr(buf, '\n', len);
	char line[512], *cursor = line, *word;
	const char *why;

	memset(ifc, 0, sizeof(*ifc));
	memcpy(ifc->name, "wg0", 4);
	*used = 0;
	if (len < 6 || memcmp(buf, "pools ", 6) || !nl || (size_t)(nl - buf) >= sizeof(line)) {
		if (!netaddr_parse_prefix(&ifc->pools[0], "10.8.0.1/24", &why) ||
		    !netaddr_parse_prefix(&ifc->pools[1], "fd08::1/64", &why))
			abort();
		ifc->n_pools = 2;
		return;
	}
	memcpy(line, buf + 6, (size_t)(nl - buf) - 6);
	line[nl - buf - 6] = '\0';
	*used = (size_t)(nl - buf) + 1;
	while (ifc->n_pools < INV_POOLS_MAX && (word = wgconf_next_word(&cursor)))
		if (netaddr_parse_prefix(&ifc->pools[ifc->n_pools], word, &why))
			ifc->n_pools++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	struct inv_interface ifc;
	size_t used;

	if (!registered) {
		if (policykeys_register())
			abort();
		registered = true;
	}
	request((const char *)data, size);
	interface(&ifc, (const char *)data, size, &used);
	import(&ifc, (const char *)data + used, size - used);
	return 0;
}
