/* rampart peer SUBCOMMAND: the peer inventory (docs/inventory.md).  One
 * option parser for every subcommand, the database and the invoking
 * user, and the commands that change the inventory: init, add, approve,
 * disable, enable, revoke.  The printing ones are in peer_show.c. */
#include "cli.h"
#include "peer.h"

#include "common/encoding.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "crypto/crypto.h"
#include "inventory/clientconf.h"
#include "inventory/conninfo.h"
#include "inventory/intake.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Which options a subcommand takes. */
enum {
	O_ENDPOINT = 1 << 0, O_POOL = 1 << 1, O_DNS = 1 << 2, O_FULL = 1 << 3,
	O_PUBKEY = 1 << 4, O_OWNER = 1 << 5, O_DEVICE = 1 << 6, O_NOTES = 1 << 7,
	O_EXPIRES = 1 << 8, O_SITE = 1 << 9, O_OVERLAP = 1 << 10, O_KEEPALIVE = 1 << 11,
	O_GENERATE = 1 << 12, O_REQUEST = 1 << 13, O_QR = 1 << 14, O_WINDOW = 1 << 15,
	O_EXPORT = 1 << 16, O_HUB = 1 << 17, O_SPACE = 1 << 18, O_SHARE = 1 << 19,
};

static const struct option {
	const char *name;
	unsigned mask;           /* 0: every subcommand's */
	size_t value;            /* offset of the const char * (or list) it sets */
	size_t count;            /* offset of a list's count; 0: single */
	size_t flag;             /* offset of the bool it sets, for a flag */
} options[] = {
#define V(n, m, f) { n, m, offsetof(struct peer_args, f), 0, 0 }
#define L(n, m, f) { n, m, offsetof(struct peer_args, f), offsetof(struct peer_args, n_##f), 0 }
#define F(n, m, f) { n, m, 0, 0, offsetof(struct peer_args, f) }
	V("-i", 0, iface), V("--db", 0, db), F("--json", 0, json),
	V("--endpoint", O_ENDPOINT, endpoint), L("--pool", O_POOL, pools),
	L("--dns", O_DNS, dns), F("--full-tunnel", O_FULL, full_tunnel),
	V("--public-key", O_PUBKEY, public_key), V("--owner", O_OWNER, owner),
	V("--device", O_DEVICE, device), V("--notes", O_NOTES, notes),
	V("--expires", O_EXPIRES, expires), L("--site", O_SITE, sites),
	F("--allow-overlap", O_OVERLAP, allow_overlap),
	V("--keepalive", O_KEEPALIVE, keepalive), F("--generate", O_GENERATE, generate),
	V("--request", O_REQUEST, request),
	F("--qr", O_QR, qr), V("--qr-png", O_QR, qr_png), V("--window", O_WINDOW, window),
	V("--config", O_EXPORT, config), F("--write", O_EXPORT, write),
	L("--hub", O_HUB, hubs), V("--space", O_SPACE, space), V("--ifname", O_SPACE, ifname),
	F("--share", O_SHARE, share),
#undef V
#undef L
#undef F
};

/* Fills a from argv (argv[0] is the subcommand); at most max_pos
 * positional arguments.  false after saying what is wrong. */
static bool peer_parse(struct peer_args *a, unsigned mask, size_t max_pos, int argc,
		       char *argv[])
{
	for (int i = 1; i < argc; i++) {
		const struct option *o = NULL;
		char *base = (char *)a;

		for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			if (!strcmp(argv[i], options[k].name) &&
			    (!options[k].mask || (options[k].mask & mask)))
				o = &options[k];
		if (!o && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option `%s'\n", a->cmd, argv[i]);
			return false;
		}
		if (!o) {
			if (a->n_pos == max_pos) {
				fprintf(stderr, "%s: unexpected argument `%s'\n", a->cmd, argv[i]);
				return false;
			}
			a->pos[a->n_pos++] = argv[i];
			continue;
		}
		if (o->flag) {
			*(bool *)(base + o->flag) = true;
			continue;
		}
		if (++i == argc) {
			fprintf(stderr, "%s: %s needs a value\n", a->cmd, o->name);
			return false;
		}
		if (!o->count) {
			*(const char **)(base + o->value) = argv[i];
			continue;
		}
		if (*(size_t *)(base + o->count) == PEER_MULTI_MAX) {
			fprintf(stderr, "%s: at most %d of %s\n", a->cmd, PEER_MULTI_MAX, o->name);
			return false;
		}
		((const char **)(base + o->value))[(*(size_t *)(base + o->count))++] = argv[i];
	}
	return true;
}

int peer_fail(const struct peer_session *s, const struct error *err)
{
	char buf[ERROR_STRLEN];

	fprintf(stderr, "%s: %s\n", s->a.cmd, error_format(err, buf, sizeof(buf)));
	return 1;
}

/* The invoking user as the change log records it: the real uid's name,
 * and through sudo the user who ran it ("root via sudo from alice").
 * SUDO_USER is sudo's word, taken as given: whoever can set it in the
 * environment of a root command is root already. */
static void who_am_i(char *out, size_t size)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char me[64];

	if (pw)
		snprintf(me, sizeof(me), "%s", pw->pw_name);
	else
		snprintf(me, sizeof(me), "uid %u", (unsigned)getuid());
	if (sudo && *sudo && strcmp(sudo, me))
		snprintf(out, size, "%s via sudo from %s", me, sudo);
	else
		snprintf(out, size, "%s", me);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* Unix seconds.  Debug builds (the tests' sanitized rampart) take
 * RAMPART_NOW=UNIXTIME instead, so that expiry is tested on a fake clock;
 * release builds have no such knob, so the log's times are the host's. */
static int64_t clock_now(void)
{
#ifdef RAMPART_DEBUG
	const char *fake = getenv("RAMPART_NOW");

	if (fake && *fake)
		return strtoll(fake, NULL, 10);
#endif
	return (int64_t)time(NULL);
}

bool peer_session_open(struct peer_session *s, bool pick)
{
	struct error err;
	size_t n;

	error_clear(&err);
	if (!s->a.db)
		s->a.db = getenv("RAMPART_DB");
	if (!s->a.db || !*s->a.db)
		s->a.db = INV_STORE_DEFAULT_PATH;
	who_am_i(s->who, sizeof(s->who));
	/* The database's file and the -wal beside it: no one else's. */
	umask(077);
	if (inv_store_open(s->a.db, &s->store, &err)) {
		peer_fail(s, &err);
		return false;
	}
	s->ctx.store = s->store;
	s->ctx.who = s->who;
	s->ctx.now = clock_now();
	if (!pick)
		return true;
	if (inv_pick_interface(&s->ctx, s->a.iface, s->ifname, &err) ||
	    inv_expire_due(&s->ctx, s->ifname, &n, &err)) {
		peer_fail(s, &err);
		peer_session_close(s);
		return false;
	}
	return true;
}

void peer_session_close(struct peer_session *s)
{
	inv_store_close(s->store);
	s->store = NULL;
}

/* "YYYY-MM-DD", a real day (timegm would roll 02-30 over: refused). */
static bool is_date(const char *s, int64_t *out)
{
	struct tm tm;
	int y, m, d, n = 0;
	time_t t;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d)
		return false;
	*out = (int64_t)t;
	return true;
}

bool peer_parse_expiry(const char *s, int64_t now, int64_t *out)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	char *end;
	long long v;

	if (!strcmp(s, "never")) {
		*out = 0;
		return true;
	}
	if (is_date(s, out))
		return true;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v <= 0 || v > 100LL * 366 * 86400 || !end[0] || end[1])
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end == units[i].unit && v <= 100LL * 366 * 86400 / units[i].secs) {
			*out = now + v * units[i].secs;
			return true;
		}
	}
	return false;
}

/* ---- init ----------------------------------------------------------- */

static int parse_init(struct peer_session *s, struct inv_interface *ifc, struct error *err)
{
	const char *why = NULL;
	struct netaddr_endpoint ep;

	if (!s->a.iface)
		return error_fail(err, -EINVAL, "-i IFNAME is needed");
	if (strlen(s->a.iface) >= IFNAMSIZ || !*s->a.iface)
		return error_fail(err, -EINVAL, "bad interface name \"%s\"", s->a.iface);
	snprintf(ifc->name, sizeof(ifc->name), "%s", s->a.iface);
	if (!s->a.endpoint)
		return error_fail(err, -EINVAL, "--endpoint HOST:PORT is needed");
	if (!netaddr_parse_endpoint(&ep, s->a.endpoint, &why) ||
	    strlen(s->a.endpoint) > INV_ENDPOINT_MAX)
		return error_fail(err, -EINVAL, "bad --endpoint \"%s\": %s", s->a.endpoint,
				  why ? why : "too long");
	snprintf(ifc->endpoint, sizeof(ifc->endpoint), "%s", s->a.endpoint);
	/* Left empty: what the hub had, or its name (inv_init). */
	if (s->a.space && (strlen(s->a.space) >= IFNAMSIZ || !*s->a.space))
		return error_fail(err, -EINVAL, "bad --space \"%s\"", s->a.space);
	if (s->a.ifname && (strlen(s->a.ifname) >= IFNAMSIZ || !*s->a.ifname))
		return error_fail(err, -EINVAL, "bad --ifname \"%s\"", s->a.ifname);
	snprintf(ifc->space, sizeof(ifc->space), "%s", s->a.space ? s->a.space : "");
	snprintf(ifc->ifname, sizeof(ifc->ifname), "%s", s->a.ifname ? s->a.ifname : "");
	/* No --pool: its space's, or what it had; else an error there. */
	if (s->a.n_pools > INV_POOLS_MAX || s->a.n_dns > INV_DNS_MAX)
		return error_fail(err, -EINVAL, "at most %d pools and %d DNS servers",
				  INV_POOLS_MAX, INV_DNS_MAX);
	for (size_t i = 0; i < s->a.n_pools; i++)
		if (!netaddr_parse_prefix(&ifc->pools[ifc->n_pools++], s->a.pools[i], &why))
			return error_fail(err, -EINVAL, "bad --pool \"%s\": %s", s->a.pools[i], why);
	for (size_t i = 0; i < s->a.n_dns; i++)
		if (!netaddr_parse_ip(&ifc->dns[ifc->n_dns++], s->a.dns[i], &why))
			return error_fail(err, -EINVAL, "bad --dns \"%s\": %s", s->a.dns[i], why);
	ifc->full_tunnel = s->a.full_tunnel;
	if (s->a.public_key) {
		if (!encoding_key_from_base64(ifc->public_key, s->a.public_key))
			return error_fail(err, -EINVAL, "bad --public-key \"%s\"", s->a.public_key);
		ifc->has_public_key = true;
	}
	return 0;
}

static int cmd_init(struct peer_session *s)
{
	struct textbuf o = { 0 };
	struct inv_interface ifc;
	struct error err;
	char db[4096];

	memset(&ifc, 0, sizeof(ifc));
	error_clear(&err);
	if (parse_init(s, &ifc, &err) || inv_init(&s->ctx, &ifc, &err))
		return peer_fail(s, &err);
	inv_conninfo_redact(s->a.db, db, sizeof(db));
	/* As recorded: the interface and space it kept or was given. */
	if (inv_get_interface(&s->ctx, s->a.iface, &ifc, &err))
		return peer_fail(s, &err);
	if (!s->a.json) {
		printf("%s: interface %s in %s", s->a.cmd, ifc.name, db);
		if (strcmp(ifc.name, ifc.ifname) || strcmp(ifc.name, ifc.space))
			printf(" (hub %s on interface %s, space %s)", ifc.name, ifc.ifname, ifc.space);
		printf("\n");
		return 0;
	}
	textbuf_printf(&o, "{\"interface\":");
	cli_json_string(&o, ifc.name);
	textbuf_printf(&o, ",\"db\":");
	cli_json_string(&o, db);
	textbuf_printf(&o, ",\"ifname\":");
	cli_json_string(&o, ifc.ifname);
	textbuf_printf(&o, ",\"space\":");
	cli_json_string(&o, ifc.space);
	textbuf_printf(&o, "}\n");
	return cli_write_out(&o) ? 0 : 1;
}

/* ---- add ------------------------------------------------------------ */

/* A request file (what `rampart peer request` writes on the client),
 * parsed by inv_request_parse. */
static int read_request(const char *path, struct inv_request *req, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;
	size_t len;
	int r;

	if (fd < 0)
		return error_fail(err, -errno, "--request %s: %s", path, strerror(errno));
	r = fileio_read_bounded(fd, INV_REQUEST_MAX, &text, &len);
	close(fd);
	if (r)
		return error_fail(err, r, "--request %s: %s", path, strerror(-r));
	if (len > INV_REQUEST_MAX)
		r = error_fail(err, -EFBIG, "--request %s: larger than %d bytes", path,
			       INV_REQUEST_MAX);
	else
		r = inv_request_parse(text, len, path, req, err);
	textbuf_free_text(text, len);
	return r;
}

static int add_fields(struct peer_session *s, struct inv_peer *p, struct error *err)
{
	const char *why = NULL;

	if (s->a.owner)
		snprintf(p->owner, sizeof(p->owner), "%s", s->a.owner);
	if (s->a.device)
		snprintf(p->device, sizeof(p->device), "%s", s->a.device);
	if (s->a.notes)
		snprintf(p->notes, sizeof(p->notes), "%s", s->a.notes);
	if (!s->a.owner)
		return error_fail(err, -EINVAL, "--owner is needed");
	if (s->a.expires && !peer_parse_expiry(s->a.expires, s->ctx.now, &p->expires))
		return error_fail(err, -EINVAL,
				  "bad --expires \"%s\": a duration (90d, 12h, 2w), a date "
				  "(2027-01-31) or never", s->a.expires);
	if (s->a.keepalive && !netaddr_parse_keepalive(&p->keepalive, s->a.keepalive, &why))
		return error_fail(err, -EINVAL, "bad --keepalive \"%s\": %s", s->a.keepalive, why);
	if (s->a.n_sites > INV_SITES_MAX)
		return error_fail(err, -EINVAL, "at most %d sites", INV_SITES_MAX);
	for (size_t i = 0; i < s->a.n_sites; i++)
		if (!netaddr_parse_prefix(&p->sites[p->n_sites++], s->a.sites[i], &why))
			return error_fail(err, -EINVAL, "bad --site \"%s\": %s", s->a.sites[i], why);
	p->allow_overlap = s->a.allow_overlap;
	for (size_t i = 0; i < s->a.n_hubs; i++) {
		if (strlen(s->a.hubs[i]) >= IFNAMSIZ)
			return error_fail(err, -EINVAL, "bad --hub \"%s\"", s->a.hubs[i]);
		snprintf(p->hubs[p->n_hubs++], IFNAMSIZ, "%s", s->a.hubs[i]);
	}
	return 0;
}

/* The peer's key: generated here (priv kept for the printed config
 * only) or from the request file; and its name. */
static int add_key(struct peer_session *s, struct inv_peer *p, uint8_t priv[KEY_LEN],
		   struct error *err)
{
	struct inv_request req = { .name = "" };
	int r;

	if (s->a.generate == !!s->a.request)
		return error_fail(err, -EINVAL, "one of --generate and --request FILE is needed");
	if (s->a.request) {
		r = read_request(s->a.request, &req, err);
		if (r)
			return r;
		memcpy(p->public_key, req.public_key, KEY_LEN);
	} else {
		if (crypto_init())
			return error_fail(err, -EIO, "cannot initialize the crypto library");
		r = crypto_x25519_keygen(priv);
		if (r)
			return error_fail(err, r, "cannot generate a key: %s", strerror(-r));
		if (!crypto_x25519_public(p->public_key, priv))
			return error_fail(err, -EIO, "cannot derive the public key");
	}
	/* The operator's NAME wins over the one the client suggested. */
	snprintf(p->name, sizeof(p->name), "%s", s->a.n_pos ? s->a.pos[0] : req.name);
	if (!p->name[0])
		return error_fail(err, -EINVAL, "NAME is needed (the request has none)");
	return 0;
}

/* The new client's complete config, once: its private key is in it and
 * nowhere else.  On stdout (and nothing else there), or as a QR code in
 * the terminal and/or a PNG (cli_client_out_write). */
static int print_generated(struct peer_session *s, const struct inv_interface *ifc,
			   const struct inv_peer *p, const uint8_t priv[KEY_LEN])
{
	const struct cli_client_out out = { .qr = s->a.qr, .png = s->a.qr_png };
	char key[KEY_B64_LEN + 1];
	struct textbuf conf = { 0 };
	struct error err;
	bool ok;

	error_clear(&err);
	encoding_key_to_base64(key, priv);
	if (inv_client_config(&conf, ifc, p, key, &err)) {
		crypto_wipe(key, sizeof(key));
		textbuf_wipe(&conf);
		fprintf(stderr, "%s: %s is added, but its config cannot be written: %s\n",
			s->a.cmd, p->name, err.msg);
		return 1;
	}
	crypto_wipe(key, sizeof(key));
	ok = cli_client_out_write(s->a.cmd, &out, ifc->name, p->name, conf.buf, conf.len);
	textbuf_wipe(&conf);
	return ok ? 0 : 1;
}

/* What add and rotate do once the change is saved: the interface
 * follows, then the client's new config is printed once (--generate: for
 * a rotation, with the new key), or the record as JSON, or line.  0, or
 * 1 when any of it failed. */
static int after_key_change(struct peer_session *s, const struct inv_interface *ifc,
			    const struct inv_peer *p, const uint8_t priv[KEY_LEN], const char *line)
{
	int ret = peer_follow_peer(s, p, NULL);

	if (s->a.generate) {
		struct inv_peer client = *p;

		if (client.has_next_key)
			memcpy(client.public_key, client.next_key, KEY_LEN);
		ret |= print_generated(s, ifc, &client, priv);
		explicit_bzero(&client, sizeof(client)); /* its preshared key */
	} else if (s->a.json) {
		struct textbuf o = { 0 };

		peer_json(&o, p, s->ctx.now);
		textbuf_printf(&o, "\n");
		ret |= cli_write_out(&o) ? 0 : 1;
	} else {
		printf("%s: %s\n", s->a.cmd, line);
	}
	return ret;
}

static int cmd_add(struct peer_session *s)
{
	uint8_t priv[KEY_LEN];
	struct inv_interface ifc;
	struct inv_peer p;
	struct error err;
	int ret = 1;

	memset(&p, 0, sizeof(p));
	error_clear(&err);
	if (s->a.generate && s->a.json) {
		error_fail(&err, -EINVAL, "--json and --generate: stdout carries the client config");
		goto fail;
	}
	snprintf(p.iface, sizeof(p.iface), "%s", s->ifname);
	if (add_fields(s, &p, &err) || add_key(s, &p, priv, &err) ||
	    inv_add(&s->ctx, &p, s->a.generate, &err) ||
	    inv_get_interface(&s->ctx, s->ifname, &ifc, &err))
		goto fail;
	{
		char line[128];

		snprintf(line, sizeof(line), "%s is %s", p.name, inv_state_name(p.state));
		ret = after_key_change(s, &ifc, &p, priv, line);
	}
	goto out;
fail:
	peer_fail(s, &err);
out:
	crypto_wipe(priv, sizeof(priv));
	return ret;
}

/* ---- state changes -------------------------------------------------- */

static int change(struct peer_session *s,
		  int (*op)(const struct inv_ctx *, const char *, const char *,
			    struct inv_peer *, struct error *))
{
	struct textbuf o = { 0 };
	struct inv_peer p;
	struct error err;
	int64_t expires = 0;
	bool followed;

	error_clear(&err);
	if (!s->a.n_pos) {
		fprintf(stderr, "%s: NAME is needed\n", s->a.cmd);
		return 1;
	}
	if (s->a.expires && (!peer_parse_expiry(s->a.expires, s->ctx.now, &expires) ||
			     !expires)) {
		error_fail(&err, -EINVAL, "bad --expires \"%s\": a duration (90d) or a date",
			   s->a.expires);
		return peer_fail(s, &err);
	}
	if (op ? op(&s->ctx, s->ifname, s->a.pos[0], &p, &err)
	       : inv_enable(&s->ctx, s->ifname, s->a.pos[0], expires, &p, &err))
		return peer_fail(s, &err);
	followed = !peer_follow_peer(s, &p, NULL);
	if (!s->a.json) {
		printf("%s: %s is %s\n", s->a.cmd, p.name, inv_state_name(p.state));
		return followed ? 0 : 1;
	}
	peer_json(&o, &p, s->ctx.now);
	textbuf_printf(&o, "\n");
	return cli_write_out(&o) && followed ? 0 : 1;
}

static int cmd_approve(struct peer_session *s)
{
	return change(s, inv_approve);
}

static int cmd_disable(struct peer_session *s)
{
	return change(s, inv_disable);
}

static int cmd_enable(struct peer_session *s)
{
	return change(s, NULL);
}

static int cmd_revoke(struct peer_session *s)
{
	return change(s, inv_revoke);
}

/* rotate NAME (--generate | --request FILE) [--window 7d]: the peer's
 * next key; with --generate its new config once on stdout, as add. */
static int cmd_rotate(struct peer_session *s)
{
	uint8_t priv[KEY_LEN];
	struct inv_interface ifc;
	struct inv_peer p, req;
	struct error err;
	int64_t until = 0;
	int ret = 1;

	memset(&req, 0, sizeof(req));
	error_clear(&err);
	if (!s->a.n_pos) {
		fprintf(stderr, "%s: NAME is needed\n", s->a.cmd);
		return 1;
	}
	if (!peer_parse_expiry(s->a.window ? s->a.window : "7d", s->ctx.now, &until) || !until) {
		error_fail(&err, -EINVAL, "bad --window \"%s\": a duration (7d) or a date",
			   s->a.window);
		goto fail;
	}
	if (s->a.generate && s->a.json) {
		error_fail(&err, -EINVAL, "--json and --generate: stdout carries the client config");
		goto fail;
	}
	if (add_key(s, &req, priv, &err) ||
	    inv_rotate(&s->ctx, s->ifname, s->a.pos[0], req.public_key, until, &p, &err) ||
	    inv_get_interface(&s->ctx, s->ifname, &ifc, &err))
		goto fail;
	{
		char line[192];

		snprintf(line, sizeof(line), "%s rotates to its new key; the old one ends at the new "
			 "one's first handshake or at the window's end", p.name);
		ret = after_key_change(s, &ifc, &p, priv, line);
	}
	goto out;
fail:
	peer_fail(s, &err);
out:
	crypto_wipe(priv, sizeof(priv));
	return ret;
}

static int cmd_apply(struct peer_session *s)
{
	return peer_apply_iface(s->store, s->ifname, s->who, s->a.json);
}

/* ---- the dispatcher ------------------------------------------------- */

static const struct subcommand {
	const char *name;
	/* Either run, on the options above, or main, a command that parses
	 * its own argv (argv[0] is the subcommand). */
	int (*run)(struct peer_session *s);
	int (*main)(int argc, char *argv[]);
	unsigned mask;
	size_t max_pos;
	bool pick;  /* works on one interface: -i or the only one */
	const char *usage;
} subcommands[] = {
	{ "init", cmd_init, NULL, O_ENDPOINT | O_POOL | O_DNS | O_FULL | O_PUBKEY | O_SPACE, 0,
	  false, "-i HUB --endpoint HOST:PORT [--pool CIDR...] [--dns ADDR]... [--full-tunnel] "
	  "[--public-key KEY] [--ifname IFNAME] [--space SPACE]" },
	{ "add", cmd_add, NULL, O_OWNER | O_DEVICE | O_NOTES | O_EXPIRES | O_SITE | O_OVERLAP |
	  O_KEEPALIVE | O_GENERATE | O_REQUEST | O_QR | O_HUB, 1, true,
	  "[NAME] --owner O (--generate [--qr] [--qr-png FILE] | --request FILE) [--device D] "
	  "[--notes N] [--expires 90d] [--site PREFIX]... [--allow-overlap] [--keepalive SECS] "
	  "[--hub HUB]..." },
	{ "approve", cmd_approve, NULL, 0, 1, true, "NAME" },
	{ "disable", cmd_disable, NULL, 0, 1, true, "NAME" },
	{ "enable", cmd_enable, NULL, O_EXPIRES, 1, true, "NAME [--expires 90d]" },
	{ "revoke", cmd_revoke, NULL, 0, 1, true, "NAME" },
	{ "list", peer_list, NULL, O_SHARE, 0, true, "[--share]" },
	{ "show", peer_show, NULL, 0, 1, true, "NAME" },
	{ "log", peer_log, NULL, 0, 1, false, "[NAME]" },
	{ "apply", cmd_apply, NULL, 0, 0, true, "" },
	{ "rotate", cmd_rotate, NULL, O_GENERATE | O_REQUEST | O_QR | O_WINDOW, 1, true,
	  "NAME (--generate [--qr] [--qr-png FILE] | --request FILE) [--window 7d]" },
	{ "import", peer_import, NULL, O_OWNER, 1, false, "IFNAME|FILE [--owner O]" },
	{ "assign", peer_assign, NULL, O_HUB, 1, true, "NAME --hub HUB..." },
	{ "unassign", peer_unassign, NULL, O_HUB, 1, true, "NAME --hub HUB" },
	{ "export", peer_export, NULL, O_EXPORT, 0, true, "[--config FILE] [--write]" },
	/* Commands that parse their own argv. */
	{ "config", NULL, peer_config_main, 0, 0, false,
	  "NAME [--qr] [--qr-png FILE] [-i HUB] [--hub HUB] [--db PATH] [--json]" },
	{ "request", NULL, peer_request_main, 0, 0, false,
	  "NAME [--key-file FILE] [--out FILE]   (on the client)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s peer SUBCOMMAND [-i IFNAME] [--db PATH] [--json] ...\n",
		prog_name);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %s peer %s %s\n", prog_name, subcommands[i].name,
			subcommands[i].usage);
}

int peer_main(int argc, char *argv[])
{
	const struct subcommand *sc = NULL;
	struct peer_session s;
	char cmd[64];
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			sc = &subcommands[i];
	if (!sc) {
		fprintf(stderr, "%s peer: invalid subcommand `%s'\n", prog_name, argv[1]);
		usage(stderr);
		return 1;
	}
	if (sc->main)
		return sc->main(argc - 1, argv + 1);
	memset(&s, 0, sizeof(s));
	snprintf(cmd, sizeof(cmd), "%s peer %s", prog_name, sc->name);
	s.a.cmd = cmd;
	if (!peer_parse(&s.a, sc->mask, sc->max_pos, argc - 1, argv + 1))
		return 1;
	if (!peer_session_open(&s, sc->pick))
		return 1;
	ret = sc->run(&s);
	peer_session_close(&s);
	return ret;
}
