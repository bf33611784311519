/* rampart peer: what the files of its subcommands share (peer.c: the
 * dispatcher, the options, the database; peer_show.c: the printers).
 * docs/inventory.md. */
#ifndef RAMPART_CLI_PEER_H
#define RAMPART_CLI_PEER_H

#include "inventory/inventory.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;

enum { PEER_MULTI_MAX = 16, PEER_EXPIRING_DAYS = 14 };

/* The options of every subcommand, parsed by one loop (peer_parse). */
struct peer_args {
	const char *cmd;        /* "rampart peer add", for messages */
	const char *db;         /* --db, RAMPART_DB or INV_STORE_DEFAULT_PATH */
	const char *iface;      /* -i, or NULL */
	bool json;
	const char *pos[2];     /* positional arguments (NAME) */
	size_t n_pos;
	const char *endpoint, *owner, *device, *notes, *expires, *keepalive;
	const char *request, *public_key;
	const char *pools[PEER_MULTI_MAX], *dns[PEER_MULTI_MAX], *sites[PEER_MULTI_MAX];
	size_t n_pools, n_dns, n_sites;
	const char *hubs[PEER_MULTI_MAX]; /* add, assign, unassign: --hub */
	size_t n_hubs;
	const char *space, *ifname; /* init: --space, --ifname */
	bool share;             /* list --share: the hub's share */
	bool full_tunnel, allow_overlap, generate;
	bool qr;                /* add --generate: the config as a QR code too */
	const char *qr_png;
	const char *window;     /* rotate --window */
	const char *config;     /* export --config */
	bool write;             /* export --write */
};

/* A command's session: its store, clock and user, and the hub (-i). */
struct peer_session {
	struct peer_args a;
	struct inv_store *store;
	struct inv_ctx ctx;
	char who[INV_TEXT_MAX + 1];
	char ifname[IFNAMSIZ];
};

/* Opens the database and picks the interface (pick: -i or the only
 * one), and marks what has expired by now.  false after saying why. */
bool peer_session_open(struct peer_session *s, bool pick);
void peer_session_close(struct peer_session *s);
/* "rampart peer CMD: MESSAGE" on stderr; returns 1. */
int peer_fail(const struct peer_session *s, const struct error *err);

/* A duration ("90d", "12h", "2w", "30m", "3600s") from now, a date
 * ("2027-01-31", midnight UTC) or "never" (0); false if s is none. */
bool peer_parse_expiry(const char *s, int64_t now, int64_t *out);

/* After a change to peer p, each of its hubs (home, assigned, and also
 * (may be NULL) was, one it was just taken off) whose interface runs
 * here follows (peer_follow_hub, cli.h).  0, or 1 after saying which did
 * not. */
int peer_follow_peer(const struct peer_session *s, const struct inv_peer *p, const char *was);

/* rampart peer assign | unassign (peer_hubs.c). */
int peer_assign(struct peer_session *s);
int peer_unassign(struct peer_session *s);

/* Printers (peer_show.c).  peer_json: the record as one JSON object;
 * peer_json_open: the same without its closing brace, for more keys. */
void peer_json(struct textbuf *o, const struct inv_peer *p, int64_t now);
void peer_json_open(struct textbuf *o, const struct inv_peer *p, int64_t now);
void peer_human(struct textbuf *o, const struct inv_peer *p, int64_t now);
bool peer_expiring_soon(const struct inv_peer *p, int64_t now);
int peer_list(struct peer_session *s);
int peer_show(struct peer_session *s);
int peer_log(struct peer_session *s);
/* rampart peer import IFNAME|FILE (peer_import.c). */
int peer_import(struct peer_session *s);
/* peer export (peer_export.c): the config file regenerated from the inventory. */
int peer_export(struct peer_session *s);

#endif
