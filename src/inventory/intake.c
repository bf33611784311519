/* What the inventory takes in from files, and its peers as a config's
 * [Peer] sections again (intake.h). */
#include "intake.h"
#include "inventory.h"

#include "common/encoding.h"
#include "common/error.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "uapi/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- requests ------------------------------------------------------- */

/* For messages: what the file says, escaped, so that no terminal escape
 * of someone else's request reaches the operator's screen. */
static const char *shown(char dst[UAPI_QUOTED_STRLEN], const char *s)
{
	return uapi_client_quote(dst, UAPI_QUOTED_STRLEN, s, false);
}

/* One line of a request, k (trimmed, not blank, no comment). */
static int request_line(char *k, const char *file, unsigned line, struct inv_request *out,
			bool *has_key, struct error *err)
{
	char q[UAPI_QUOTED_STRLEN], *eq = strchr(k, '='), *v, *e;

	if (!eq)
		return error_fail_at(err, -EINVAL, file, line, NULL, "not KEY = VALUE");
	for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t');)
		e--;
	*e = '\0';
	for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (!strcasecmp(k, "Name") && strlen(v) <= INV_NAME_MAX) {
		snprintf(out->name, sizeof(out->name), "%s", v);
	} else if (!strcasecmp(k, "PublicKey")) {
		if (!encoding_key_from_base64(out->public_key, v))
			return error_fail_at(err, -EINVAL, file, line, "PublicKey",
					     "not a key: \"%s\"", shown(q, v));
		*has_key = true;
	} else {
		return error_fail_at(err, -EINVAL, file, line, shown(q, k), "unknown or too long");
	}
	return 0;
}

int inv_request_parse(const char *buf, size_t len, const char *file, struct inv_request *out,
		      struct error *err)
{
	bool has_key = false;
	unsigned line = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (len > INV_REQUEST_MAX)
		return error_fail_at(err, -EINVAL, file, 0, NULL, "larger than %d bytes",
				     INV_REQUEST_MAX);
	for (size_t at = 0; at < len && !r;) {
		const char *l = buf + at, *nl = memchr(l, '\n', len - at);
		size_t n = nl ? (size_t)(nl - l) : len - at;
		char text[INV_REQUEST_LINE_MAX + 1], *k, *e;

		line++;
		at += n + 1;
		/* Whole lines only: a key or name cut short is not what was
		 * written, and a NUL would hide the rest of the line. */
		if (n > INV_REQUEST_LINE_MAX) {
			r = error_fail_at(err, -EINVAL, file, line, NULL, "longer than %d bytes",
					  INV_REQUEST_LINE_MAX);
			break;
		}
		if (memchr(l, '\0', n)) {
			r = error_fail_at(err, -EINVAL, file, line, NULL, "a NUL byte");
			break;
		}
		memcpy(text, l, n);
		text[n] = '\0';
		for (k = text; *k == ' ' || *k == '\t'; k++)
			;
		for (e = k + strlen(k); e > k && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');)
			*--e = '\0';
		if (*k && *k != '#')
			r = request_line(k, file, line, out, &has_key, err);
	}
	if (!r && !has_key)
		r = error_fail_at(err, -EINVAL, file, 0, NULL, "no PublicKey line");
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

int inv_request_format(struct textbuf *o, const struct inv_request *r)
{
	char key[KEY_B64_LEN + 1];

	encoding_key_to_base64(key, r->public_key);
	if (r->name[0])
		textbuf_printf(o, "Name = %s\n", r->name);
	textbuf_printf(o, "PublicKey = %s\n", key);
	return o->err;
}

/* ---- import --------------------------------------------------------- */

/* "peer-" and the key's first 8 base64 characters, name-safe. */
static void derived_name(char out[INV_NAME_MAX + 1], const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	encoding_key_to_base64(b64, key);
	for (size_t i = 0; i < 8; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	snprintf(out, INV_NAME_MAX + 1, "peer-%.8s", b64);
}

/* The record of the config's peer cp: name, owner, keys, keepalive and
 * its AllowedIPs split by the interface's pools. */
static int build_peer(const struct inv_interface *ifc, const struct conf_peer *cp,
		      const char *file, const char *owner, struct inv_peer *p, struct error *err)
{
	char q[UAPI_QUOTED_STRLEN];
	struct netaddr_prefix *ips;
	const char *why;
	int r;

	if (!cp->has_public_key)
		return error_fail_at(err, -EINVAL, file, cp->line, "Peer", "no PublicKey");
	if (cp->name[0] && !inv_valid_name(cp->name, &why))
		return error_fail_at(err, -EINVAL, file, cp->name_line, "Name",
				     "bad peer name \"%s\": %s", shown(q, cp->name), why);
	memcpy(p->public_key, cp->public_key, KEY_LEN);
	if (cp->name[0])
		snprintf(p->name, sizeof(p->name), "%.*s", INV_NAME_MAX, cp->name);
	else
		derived_name(p->name, cp->public_key);
	snprintf(p->owner, sizeof(p->owner), "%s", owner);
	if (cp->has_preshared_key) {
		p->has_psk = true;
		memcpy(p->psk, cp->preshared_key, KEY_LEN);
	}
	p->keepalive = cp->has_keepalive ? cp->keepalive : 0;
	ips = calloc(cp->n_allowed_ips + 1, sizeof(*ips));
	if (!ips)
		return error_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < cp->n_allowed_ips; i++)
		ips[i] = cp->allowed_ips[i].prefix;
	r = inv_import_split(ifc, ips, cp->n_allowed_ips, p, err);
	free(ips);
	if (r)
		error_prefix(err, "%s:%u", file, cp->line);
	return r;
}

int inv_intake_import(const struct inv_interface *ifc, const struct conf *conf, const char *file,
		      const char *owner, struct inv_peer **out, struct error *err)
{
	struct inv_peer *v;

	*out = NULL;
	if (!conf->n_peers)
		return error_fail(err, -EINVAL, "%s has no [Peer]: nothing to import", file);
	v = calloc(conf->n_peers, sizeof(*v));
	if (!v)
		return error_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < conf->n_peers; i++) {
		int r = build_peer(ifc, &conf->peers[i], file, owner, &v[i], err);

		if (r) {
			inv_intake_free(v, conf->n_peers);
			return r;
		}
	}
	*out = v;
	return 0;
}

void inv_intake_free(struct inv_peer *v, size_t n)
{
	if (!v)
		return;
	explicit_bzero(v, n * sizeof(*v)); /* preshared keys */
	free(v);
}

/* ---- export --------------------------------------------------------- */

static const struct conf_peer *old_peer(const struct conf *old, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; old && i < old->n_peers; i++)
		if (old->peers[i].has_public_key && !memcmp(old->peers[i].public_key, key, KEY_LEN))
			return &old->peers[i];
	return NULL;
}

int inv_intake_export(struct conf *conf, const struct conf *old, const struct inv_peer *v,
		      size_t n, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct inv_peer *p = &v[i];
		const struct conf_peer *was = old_peer(old, p->public_key);
		struct conf_peer *cp;

		if (p->state != INV_ACTIVE)
			continue;
		cp = conf_add_peer(conf, 0);
		if (!cp)
			return error_fail(err, -errno, "out of memory");
		snprintf(cp->name, sizeof(cp->name), "%s", p->name);
		memcpy(cp->public_key, p->public_key, KEY_LEN);
		cp->has_public_key = true;
		if (p->has_psk) {
			memcpy(cp->preshared_key, p->psk, KEY_LEN);
			cp->has_preshared_key = true;
		}
		if (p->keepalive) {
			cp->keepalive = p->keepalive;
			cp->has_keepalive = true;
		}
		for (size_t j = 0; j < p->n_addrs; j++)
			if (conf_peer_add_allowed_ip(cp, &p->addrs[j], 0))
				return error_fail(err, -ENOMEM, "out of memory");
		for (size_t j = 0; j < p->n_sites; j++)
			if (conf_peer_add_allowed_ip(cp, &p->sites[j], 0))
				return error_fail(err, -ENOMEM, "out of memory");
		if (was && conf_peer_copy_ext(cp, was))
			return error_fail(err, -ENOMEM, "out of memory");
	}
	return 0;
}
