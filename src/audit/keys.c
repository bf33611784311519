/* The keys checks of seed 000's checklist: config files 0600 and owned by
 * root, their directory 0700, no private key in a backup copy beside them,
 * no private key shared by two interfaces, no peer's private key kept
 * here. */
#include "audit.h"

#include "common/textbuf.h"
#include "common/encoding.h"
#include "conf/config.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SEED_KEYS_MODE "seed 000: keys 0600"
#define SEED_KEYS_OWNER "seed 000: keys 0600 and owned by root"
#define SEED_KEYS_DIR "seed 000: /etc/wireguard 0700"
#define SEED_KEYS_BACKUP "seed 000: no private key outside its 0600 config"
#define SEED_KEYS_SHARED "seed 000: one key pair per interface"
#define SEED_KEYS_PEER "seed 000: each private key only on its own host"

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

int audit_keys_config_mode(struct audit_facts *f, const struct audit_iface *ifs,
			   size_t n, struct audit_list *out, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct audit_iface *ifc = &ifs[i];
		bool key = ifc->conf && ifc->conf->has_private_key;
		struct audit_finding *a;
		struct stat st;
		int ret = audit_stat(f, ifc->path, &st, err);

		if (ret)
			return ret;
		if (!(st.st_mode & 077))
			continue;
		a = audit_add(out, "keys.config_mode", key ? AUDIT_CRITICAL : AUDIT_WARNING,
			      SEED_KEYS_MODE);
		if (!a)
			return nomem(err);
		snprintf(a->message, sizeof(a->message), "%s is open to group or others%s",
			 ifc->path, key ? " and holds a PrivateKey" : "");
		snprintf(a->evidence, sizeof(a->evidence), "%s mode %04o", ifc->path,
			 (unsigned)(st.st_mode & 07777));
		snprintf(a->fix, sizeof(a->fix), "chmod 600 %s", ifc->path);
	}
	return 0;
}

int audit_keys_config_owner(struct audit_facts *f, const struct audit_iface *ifs,
			    size_t n, struct audit_list *out, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct audit_finding *a;
		struct stat st;
		int ret = audit_stat(f, ifs[i].path, &st, err);

		if (ret)
			return ret;
		if (st.st_uid == 0)
			continue;
		a = audit_add(out, "keys.config_owner", AUDIT_WARNING, SEED_KEYS_OWNER);
		if (!a)
			return nomem(err);
		snprintf(a->message, sizeof(a->message), "%s is not owned by root", ifs[i].path);
		snprintf(a->evidence, sizeof(a->evidence), "%s owner uid %u gid %u",
			 ifs[i].path, (unsigned)st.st_uid, (unsigned)st.st_gid);
		snprintf(a->fix, sizeof(a->fix), "chown root:root %s", ifs[i].path);
	}
	return 0;
}

int audit_keys_dir_mode(struct audit_facts *f, const struct audit_iface *ifs,
			size_t n, struct audit_list *out, struct error *err)
{
	struct audit_finding *a;
	struct stat st;
	int ret;

	(void)ifs;
	(void)n;
	ret = audit_stat(f, AUDIT_WG_DIR, &st, err);
	if (ret == -ENOENT) {
		/* No directory is no config to expose; the CLI names the
		 * missing interface itself. */
		error_clear(err);
		return 0;
	}
	if (ret)
		return ret;
	/* Stricter than 0700 (0500) hides no less: only group or other bits
	 * are a finding. */
	if (!(st.st_mode & 077))
		return 0;
	a = audit_add(out, "keys.dir_mode", AUDIT_WARNING, SEED_KEYS_DIR);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message), AUDIT_WG_DIR " is open to group or others");
	snprintf(a->evidence, sizeof(a->evidence), AUDIT_WG_DIR " mode %04o",
		 (unsigned)(st.st_mode & 07777));
	snprintf(a->fix, sizeof(a->fix), "chmod 700 " AUDIT_WG_DIR);
	return 0;
}

/* The names editors and hand copies leave beside a file. */
static bool backup_name(const char *s)
{
	static const char *const suffixes[] = { "~", ".bak", ".orig", ".old", ".swp", ".save" };
	size_t len = strlen(s);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && !strcmp(s + len - sl, suffixes[i]))
			return true;
	}
	return false;
}

/* A "PrivateKey = ..." line anywhere in text (keys are case-insensitive,
 * as wg(8) reads them); an editor's swap file keeps lines whole, so this
 * finds the key there too. */
static bool has_private_key_line(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *le = nl ? nl : end;

		while (q < le && (*q == ' ' || *q == '\t' || *q == '\0'))
			q++;
		if ((size_t)(le - q) > 10 && !strncasecmp(q, "PrivateKey", 10)) {
			q += 10;
			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
			if (q < le && *q == '=')
				return true;
		}
		p = le + 1;
	}
	return false;
}

/* One regular file of AUDIT_WG_DIR, with its text. */
struct wg_file {
	const char *name, *path;
	struct stat st;
	const char *text;
	size_t len;
};

/* Which files a visitor reads (the others are skipped before reading). */
typedef bool (*wg_file_want)(const struct wg_file *w, const struct audit_iface *ifs, size_t n);
typedef int (*wg_file_fn)(const struct wg_file *w, const struct audit_iface *ifs, size_t n,
			  struct audit_list *out, struct error *err);

/* How deep under AUDIT_WG_DIR the visitor goes: a backup tree or a
 * clients/ folder is one or two levels down; deeper is not a layout
 * anyone keeps keys in, and a bound keeps a hostile tree from costing
 * more than it should. */
enum { WG_DIR_DEPTH = 4, WG_PATH_MAX = 1024 };

struct visit {
	struct audit_facts *f;
	const struct audit_iface *ifs;
	size_t n;
	struct audit_list *out;
	wg_file_want want;
	wg_file_fn fn;
};

static int visit_file(const struct visit *v, const char *name, const char *path,
		      struct error *err)
{
	struct wg_file w = { .name = name, .path = path };
	char *buf = NULL;
	size_t len = 0;
	int ret = audit_stat(v->f, path, &w.st, err);

	if (ret || !S_ISREG(w.st.st_mode) || !v->want(&w, v->ifs, v->n))
		return ret;
	ret = audit_read(v->f, path, &buf, &len, err);
	if (ret)
		return ret;
	w.text = buf;
	w.len = len;
	ret = v->fn(&w, v->ifs, v->n, v->out, err);
	textbuf_free_text(buf, len);
	return ret;
}

/* Every regular file of dir, then of its subdirectories (not followed
 * through symbolic links: audit_stat does not follow them). */
static int visit_dir(const struct visit *v, const char *dir, int depth, struct error *err)
{
	char **names = NULL, path[WG_PATH_MAX];
	size_t cnt = 0;
	int ret = audit_list_dir(v->f, dir, &names, &cnt, err);

	if (ret == -ENOENT && depth == 0) {
		error_clear(err);
		return 0;
	}
	for (size_t i = 0; i < cnt && !ret; i++) {
		struct stat st;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			continue;
		ret = visit_file(v, names[i], path, err);
		if (!ret && depth + 1 < WG_DIR_DEPTH && audit_stat(v->f, path, &st, err) == 0 &&
		    S_ISDIR(st.st_mode))
			ret = visit_dir(v, path, depth + 1, err);
	}
	audit_names_free(names, cnt);
	return ret;
}

/* Calls fn for every regular file under AUDIT_WG_DIR that want accepts;
 * no directory is nothing to visit. */
static int each_file(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
		     struct audit_list *out, struct error *err, wg_file_want want,
		     wg_file_fn fn)
{
	const struct visit v = { f, ifs, n, out, want, fn };

	return visit_dir(&v, AUDIT_WG_DIR, 0, err);
}

static bool want_backup(const struct wg_file *w, const struct audit_iface *ifs, size_t n)
{
	(void)ifs;
	(void)n;
	return backup_name(w->name);
}

static int backup_one(const struct wg_file *w, const struct audit_iface *ifs, size_t n,
		      struct audit_list *out, struct error *err)
{
	bool exposed = w->st.st_mode & 077;
	struct audit_finding *a;

	(void)ifs;
	(void)n;
	if (!has_private_key_line(w->text, w->len))
		return 0;
	a = audit_add(out, "keys.backup_copy", exposed ? AUDIT_CRITICAL : AUDIT_WARNING,
		      SEED_KEYS_BACKUP);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message), "a backup copy of a private key%s: %s",
		 exposed ? ", readable by group or others" : "", w->path);
	snprintf(a->evidence, sizeof(a->evidence), "%s mode %04o holds a PrivateKey line",
		 w->path, (unsigned)(w->st.st_mode & 07777));
	snprintf(a->fix, sizeof(a->fix), "shred -u %s", w->path);
	return 0;
}

int audit_keys_backup_copy(struct audit_facts *f, const struct audit_iface *ifs,
			   size_t n, struct audit_list *out, struct error *err)
{
	return each_file(f, ifs, n, out, err, want_backup, backup_one);
}

int audit_keys_shared_private_key(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err)
{
	(void)f;
	for (size_t i = 0; i < n; i++) {
		const struct conf *a = ifs[i].conf;

		if (!a || !a->has_private_key)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			const struct conf *b = ifs[j].conf;
			struct audit_finding *x;

			if (!b || !b->has_private_key ||
			    memcmp(a->private_key, b->private_key, KEY_LEN))
				continue;
			x = audit_add(out, "keys.shared_private_key", AUDIT_CRITICAL,
				      SEED_KEYS_SHARED);
			if (!x)
				return nomem(err);
			snprintf(x->message, sizeof(x->message),
				 "%s and %s use the same private key", ifs[i].name, ifs[j].name);
			snprintf(x->evidence, sizeof(x->evidence),
				 "PrivateKey at %s:%u and %s:%u", ifs[i].path,
				 a->private_key_line, ifs[j].path, b->private_key_line);
			snprintf(x->fix, sizeof(x->fix),
				 "rampart genkey > /etc/wireguard/%s.key, then set it as %s's PrivateKey",
				 ifs[j].name, ifs[j].path);
		}
	}
	return 0;
}

/* The key a line carries: "PrivateKey = KEY" or a bare KEY (a *.key file
 * as `wg genkey` writes it), spaces around it allowed. */
static bool line_key(const char *q, const char *le, uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	while (q < le && (*q == ' ' || *q == '\t'))
		q++;
	if ((size_t)(le - q) > 10 && !strncasecmp(q, "PrivateKey", 10)) {
		q += 10;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q == le || *q != '=')
			return false;
		q++;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
	}
	while (le > q && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
		le--;
	if ((size_t)(le - q) != KEY_B64_LEN)
		return false;
	memcpy(b64, q, KEY_B64_LEN);
	b64[KEY_B64_LEN] = '\0';
	return encoding_key_from_base64(key, b64);
}

/* The peer of an audited config whose public key pub is, or NULL. */
static const struct conf_peer *peer_of(const struct audit_iface *ifs, size_t n,
				       const uint8_t pub[KEY_LEN], size_t *which)
{
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && i < c->n_peers; i++) {
			if (c->peers[i].has_public_key &&
			    !memcmp(c->peers[i].public_key, pub, KEY_LEN)) {
				*which = k;
				return &c->peers[i];
			}
		}
	}
	return NULL;
}

static int peer_keys_in(const struct wg_file *w, const struct audit_iface *ifs, size_t n,
			struct audit_list *out, struct error *err)
{
	const char *p = w->text, *end = w->text + w->len, *path = w->path;
	uint8_t key[KEY_LEN], pub[KEY_LEN];
	unsigned line = 0;
	int ret = 0;

	for (; p < end && !ret; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const struct conf_peer *peer;
		struct audit_finding *a;
		size_t k = 0;

		if (line_key(p, le, key) && crypto_x25519_public(pub, key) &&
		    (peer = peer_of(ifs, n, pub, &k))) {
			a = audit_add(out, "keys.client_key_on_hub", AUDIT_WARNING, SEED_KEYS_PEER);
			if (!a) {
				ret = nomem(err);
				break;
			}
			snprintf(a->message, sizeof(a->message),
				 "%s keeps the private key of %s's peer %s", path, ifs[k].name,
				 peer->name[0] ? peer->name : "(unnamed)");
			snprintf(a->evidence, sizeof(a->evidence),
				 "%s:%u: a private key whose public key is the peer's at %s:%u",
				 path, line + 1, ifs[k].path, peer->public_key_line);
			snprintf(a->fix, sizeof(a->fix), "shred -u %s (the client keeps its own key)",
				 path);
		}
		p = le + 1;
	}
	explicit_bzero(key, sizeof(key));
	return ret;
}

static bool want_any(const struct wg_file *w, const struct audit_iface *ifs, size_t n)
{
	(void)w;
	(void)ifs;
	(void)n;
	return true;
}

int audit_keys_client_key_on_hub(struct audit_facts *f, const struct audit_iface *ifs,
				 size_t n, struct audit_list *out, struct error *err)
{
	return each_file(f, ifs, n, out, err, want_any, peer_keys_in);
}

/* A file that keeps a private key: a "PrivateKey =" line anywhere, or a
 * bare key in a file named as `wg genkey > NAME.key` makes it (a bare key
 * elsewhere may as well be a public key: *.pub). */
static bool holds_private_key(const char *name, const char *text, size_t len)
{
	size_t nl = strlen(name);
	uint8_t key[KEY_LEN];
	bool bare = false;

	if (has_private_key_line(text, len))
		return true;
	if ((nl > 4 && !strcmp(name + nl - 4, ".key")) || strstr(name, "priv")) {
		const char *end = memchr(text, '\n', len);

		bare = line_key(text, end ? end : text + len, key);
		explicit_bzero(key, sizeof(key));
	}
	return bare;
}

static bool audited(const struct audit_iface *ifs, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ifs[i].path, path))
			return true;
	return false;
}

/* Audited configs and backup copies have checks of their own. */
static bool want_key_file(const struct wg_file *w, const struct audit_iface *ifs, size_t n)
{
	return (w->st.st_mode & 077) && !backup_name(w->name) && !audited(ifs, n, w->path);
}

static int key_file_one(const struct wg_file *w, const struct audit_iface *ifs, size_t n,
			struct audit_list *out, struct error *err)
{
	struct audit_finding *a;

	(void)ifs;
	(void)n;
	if (!holds_private_key(w->name, w->text, w->len))
		return 0;
	a = audit_add(out, "keys.key_file_mode", AUDIT_CRITICAL, SEED_KEYS_MODE);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message),
		 "%s holds a private key and is open to group or others", w->path);
	snprintf(a->evidence, sizeof(a->evidence), "%s mode %04o", w->path,
		 (unsigned)(w->st.st_mode & 07777));
	snprintf(a->fix, sizeof(a->fix), "chmod 600 %s", w->path);
	return 0;
}

int audit_keys_key_file_mode(struct audit_facts *f, const struct audit_iface *ifs,
			     size_t n, struct audit_list *out, struct error *err)
{
	return each_file(f, ifs, n, out, err, want_key_file, key_file_one);
}
