/* The facts the audit reads, through one interface with a root prefix:
 * every path is absolute as on the host ("/etc/wireguard/wg0.conf") and
 * resolved under the root given at open ("/" on a host, a fixture tree in
 * the tests), so that every check runs unchanged against a temp dir.
 * Never prints; failures fill the caller's struct error. */
#ifndef RAMPART_AUDIT_FACTS_H
#define RAMPART_AUDIT_FACTS_H

#include "common/compiler.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct audit_ruleset;
struct conf;
struct drift_list;
struct textbuf;
struct uapi_device;

/* Largest file the audit reads: a config of at most 16 MiB, as conf's. */
enum { AUDIT_READ_MAX = 16 << 20 };

struct audit_facts;

/* root NULL or "" is "/".  NULL with err filled in when root is not a
 * directory we can open. */
struct audit_facts *audit_facts_open(const char *root, struct error *err);
void audit_facts_close(struct audit_facts *f);

/* The file itself, not what a symbolic link points to: a link would let a
 * fixture (or a host) lead the audit outside the root. */
int audit_stat(struct audit_facts *f, const char *path, struct stat *st,
	       struct error *err) warn_unused;
/* The whole file, NUL-terminated; release with textbuf_free_text(*buf,
 * *len), as it may hold a private key. */
int audit_read(struct audit_facts *f, const char *path, char **buf, size_t *len,
	       struct error *err) warn_unused;
/* The names in a directory but "." and "..", sorted; release with
 * audit_names_free(). */
int audit_list_dir(struct audit_facts *f, const char *path, char ***names,
		   size_t *n, struct error *err) warn_unused;
void audit_names_free(char **names, size_t n);

/* The root the facts were opened on ("/" on a host), for the few readers
 * that take a root themselves (sysctls_report) or need a path to hand to
 * a library (the inventory's SQLite file): ROOT + path. */
const char *audit_root(const struct audit_facts *f);

/* --- facts that are not files --------------------------------------------- */

/* The live ruleset and the daemons are not files under the root: the CLI
 * installs sources that ask the kernel (libnftables) and the control
 * sockets; a test installs sources that hand back fixed text.  Without
 * sources (or with a member NULL) the fact is absent.  Each returns 0,
 * -ENOENT when the fact does not exist (no daemon runs for ifname), or
 * another -errno with err filled (not allowed, not answering). */
struct audit_sources {
	/* `nft -j list ruleset`, appended to out. */
	int (*ruleset)(void *arg, struct textbuf *out, struct error *err);
	/* The running daemon's device for ifname (a get), the caller's. */
	int (*device)(void *arg, const char *ifname, struct uapi_device **out,
		      struct error *err);
	/* Rampart's live table inet rampart-IFNAME against a fresh
	 * rendering of conf's policy, as `rampart diff` compares them
	 * (audit/drift.h drift_nft_table): the differences appended. */
	int (*table_drift)(void *arg, const char *ifname, const struct conf *conf,
			   const char *filename, struct drift_list *out, struct error *err);
	void *arg;
};
void audit_facts_set_sources(struct audit_facts *f, const struct audit_sources *s);

/* The live ruleset, read and parsed once (audit/ruleset.h) and owned by
 * the facts.  0 with *rs NULL when there is none to read (no source; or
 * it failed, which is noted: audit_facts_gaps()).  -errno only for a
 * ruleset that does not parse or memory that runs out. */
int audit_ruleset(struct audit_facts *f, const struct audit_ruleset **rs,
		  struct error *err) warn_unused;
/* The running daemon's device for ifname, asked once and owned by the
 * facts.  0 with *dev NULL when no daemon runs for it, or when asking
 * failed (noted, as above). */
int audit_device(struct audit_facts *f, const char *ifname, const struct uapi_device **dev,
		 struct error *err) warn_unused;

/* The table_drift source's answer for one interface (not kept: each
 * check that asks pays for it).  0 with nothing appended when there is
 * no source, or when it failed (noted as a gap). */
int audit_table_drift(struct audit_facts *f, const char *ifname, const struct conf *conf,
		      const char *filename, struct drift_list *out, struct error *err) warn_unused;

/* What the checks wanted and could not read: "ruleset: Operation not
 * permitted", "wg0 daemon: ...".  audit_run() reports each as an info
 * finding, so that an audit run without root does not look clean. */
size_t audit_facts_gaps(const struct audit_facts *f, const char *const **gaps);
/* A fact that a check (rather than the facts) tried to read and could
 * not, such as the inventory's database: "WHAT: WHY" joins the gaps. */
void audit_facts_note_gap(struct audit_facts *f, const char *what, const struct error *why);

/* --- the caller's settings ------------------------------------------------ */

/* What the checks take from the caller rather than from the host: the
 * time (a fake clock in the tests), the age past which a handshake is
 * stale, and where the inventory is.  Zeroed members take the defaults. */
enum { AUDIT_STALE_DAYS_DEFAULT = 30 };
struct audit_options {
	int64_t now;         /* Unix seconds (CLOCK_REALTIME); 0: time(NULL), read once */
	unsigned stale_days; /* 0: AUDIT_STALE_DAYS_DEFAULT */
	/* The inventory's SQLite file, a path on this host as given (not
	 * under the root); NULL: INV_STORE_DEFAULT_PATH under the root. */
	const char *db;
};
/* Copies *o, but not the string db points to: it must outlive f. */
void audit_facts_set_options(struct audit_facts *f, const struct audit_options *o);
/* The settings with the defaults filled in. */
const struct audit_options *audit_options(struct audit_facts *f);

/* The target of the symbolic link at path (not followed), NUL-terminated:
 * "net:[4026531840]" for /proc/PID/ns/net. */
int audit_readlink(struct audit_facts *f, const char *path, char *buf, size_t size,
		   struct error *err) warn_unused;

#endif
