/* What the inventory takes in from files (docs/inventory.md): a client's
 * peer request (`rampart peer request` writes it on the client, `peer add
 * --request` and `peer rotate --request` read it on the hub), and the
 * peers of a wg-quick config that `rampart peer import` adopts; and, the
 * other way, the inventory's active peers as a config's [Peer] sections
 * (`rampart peer export`).  Pure: the CLI reads and writes the files.
 * Never prints; a message never carries a control character from the
 * input (a request comes from someone else's machine). */
#ifndef RAMPART_INVENTORY_INTAKE_H
#define RAMPART_INVENTORY_INTAKE_H

#include "model.h"

#include "common/compiler.h"
#include "common/encoding.h"

#include <stddef.h>
#include <stdint.h>

struct conf;
struct error;
struct textbuf;

enum {
	/* The largest request file read: a request is two short lines. */
	INV_REQUEST_MAX = 4096,
	/* The longest line of a request, without its newline. */
	INV_REQUEST_LINE_MAX = 255,
};

struct inv_request {
	char name[INV_NAME_MAX + 1]; /* the name the client suggests; "" if none */
	uint8_t public_key[KEY_LEN];
};

/* A request: "Name = NAME" and "PublicKey = BASE64" lines (keys in any
 * case, spaces and tabs around both sides, a final '\r' ignored); blank
 * lines and '#' comments are skipped; a line repeated counts the last
 * time.  The name is at most INV_NAME_MAX bytes and checked by whoever
 * uses it (inv_valid_name).  0, or -EINVAL naming file and the line: no
 * '=', an unknown key or too long a name, a PublicKey that is not one,
 * none at all, a line longer than INV_REQUEST_LINE_MAX, a NUL byte, more
 * than INV_REQUEST_MAX bytes. */
int inv_request_parse(const char *buf, size_t len, const char *file, struct inv_request *out,
		      struct error *err) warn_unused;
/* Appends the request as `rampart peer request` writes it: "Name = NAME"
 * (left out for "") and "PublicKey = BASE64".  0 or o's -errno. */
int inv_request_format(struct textbuf *o, const struct inv_request *r) warn_unused;

/* The records of conf's peers (file names it in messages) for interface
 * ifc, in the config's order: its "# Name =" or "peer-" and the first
 * eight characters of its key (name-safe), owner, public and preshared
 * key, keepalive, and its AllowedIPs split into addrs and sites
 * (inv_import_split).  inv_import checks the rest and writes them.  0 and
 * *out, conf->n_peers of them (inv_intake_free), or -EINVAL naming file
 * and line (no peer at all, a peer without PublicKey, a bad name, the
 * split's refusals), -ENOMEM. */
int inv_intake_import(const struct inv_interface *ifc, const struct conf *conf, const char *file,
		      const char *owner, struct inv_peer **out, struct error *err) warn_unused;
/* Wipes the preshared keys and frees n records; NULL is a no-op. */
void inv_intake_free(struct inv_peer *v, size_t n);

/* The reverse, for `peer export`: one [Peer] of conf (which has none)
 * for each INV_ACTIVE peer of v, in order, with its name, key, preshared
 * key, keepalive and addrs then sites as AllowedIPs; a peer old (may be
 * NULL) has by the same key keeps what only the file says of it (its
 * [Peer] policy keys).  0 or -ENOMEM in err. */
int inv_intake_export(struct conf *conf, const struct conf *old, const struct inv_peer *v,
		      size_t n, struct error *err) warn_unused;

#endif
