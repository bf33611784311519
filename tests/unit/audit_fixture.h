/* Fixture trees for the audit's unit tests (test_audit*.c): a temp dir
 * standing in for a host's "/", files put under it, and sources that hand
 * the facts fixed text for what is not a file (the live ruleset as nft
 * -j prints it, a daemon's get reply).  Owner checks compare with root,
 * so a file chowned to 65534 is the firing case (the suite runs as root,
 * which creates every other file). */
#ifndef RAMPART_TESTS_AUDIT_FIXTURE_H
#define RAMPART_TESTS_AUDIT_FIXTURE_H

#include "harness.h"

#include "audit/audit.h"
#include "audit/drift.h"
#include "common/textbuf.h"
#include "uapi/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

/* What the fixture's sources answer: NULL is "absent" (-ENOENT); the
 * device reply is a get reply's text ("private_key=...\n...errno=0\n\n"),
 * the same for every interface asked unless fixture_device_name is set. */
static const char *fixture_ruleset;
static const char *fixture_device_reply;
static const char *fixture_device_name;
static int fixture_ruleset_errno; /* nonzero: the source fails with it */
/* The options audit_count() runs with (a fake clock); NULL: the defaults. */
static const struct audit_options *fixture_options;
/* The evidence of the last finding audit_count() counted. */
static char fixture_evidence[AUDIT_EVIDENCE_MAX];

static int fixture_ruleset_src(void *arg, struct textbuf *out, struct error *err)
{
	(void)arg;
	if (fixture_ruleset_errno)
		return error_fail(err, -fixture_ruleset_errno, "%s", strerror(fixture_ruleset_errno));
	if (!fixture_ruleset)
		return -ENOENT;
	textbuf_append(out, fixture_ruleset, strlen(fixture_ruleset));
	return 0;
}

static int fixture_device_src(void *arg, const char *ifname, struct uapi_device **out,
			      struct error *err)
{
	(void)arg;
	if (!fixture_device_reply || (fixture_device_name && strcmp(ifname, fixture_device_name)))
		return -ENOENT;
	return uapi_reply_parse_get(fixture_device_reply, strlen(fixture_device_reply), out, err);
}

/* The table_drift source: the two stateless listings compared as `rampart
 * diff` does (NULL declared: no answer, -ENOENT). */
static const char *fixture_table_declared, *fixture_table_running;

static int fixture_table_drift_src(void *arg, const char *ifname, const struct conf *conf,
				   const char *filename, struct drift_list *out, struct error *err)
{
	(void)arg, (void)ifname, (void)conf, (void)filename;
	if (!fixture_table_declared)
		return -ENOENT;
	return drift_compare_listings(fixture_table_declared, true, fixture_table_running,
				      fixture_table_running != NULL, "rampart firewall apply",
				      out, err);
}

static const struct audit_sources fixture_sources = { fixture_ruleset_src, fixture_device_src,
						      fixture_table_drift_src,
						      NULL };

/* mkdir -p of ROOT/rel. */
static void fixture_mkdir(const char *rel, mode_t mode)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	if (mkdir(p, mode) != 0)
		CHECK(errno == EEXIST && chmod(p, mode) == 0);
}

/* A fresh tree with /etc/wireguard 0700; the sources answer nothing. */
static void tree(void)
{
	snprintf(root, sizeof(root), "/tmp/rampart-audit-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	fixture_mkdir("etc/wireguard", 0700);
	fixture_ruleset = NULL;
	fixture_device_reply = NULL;
	fixture_device_name = NULL;
	fixture_ruleset_errno = 0;
	fixture_table_declared = NULL;
	fixture_table_running = NULL;
	fixture_options = NULL;
}

/* ROOT/rel with text and mode, its directories made as needed. */
static void put_file(const char *rel, const char *text, mode_t mode)
{
	char p[600];
	const char *slash = strrchr(rel, '/');
	int fd;

	if (slash) {
		char dir[400];

		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		snprintf(p, sizeof(p), "%s/%s", root, dir);
		if (access(p, F_OK) != 0)
			fixture_mkdir(dir, 0755);
	}
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

/* A file in ROOT/etc/wireguard. */
static void put(const char *name, const char *text, mode_t mode)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "etc/wireguard/%s", name);
	put_file(rel, text, mode);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

/* Every check over the tree (with the fixture's sources); the findings
 * of id, counted, each checked for a message, evidence, fix and seed
 * item, and the severity of the last of them in *sev (may be NULL). */
static size_t audit_count(const char *id, int *sev)
{
	struct error err = { 0 };
	struct audit_list l = { 0 };
	struct audit_iface *ifs = NULL;
	struct audit_facts *f = audit_facts_open(root, &err);
	size_t n = 0, hits = 0;

	CHECK(f != NULL);
	if (!f)
		return 0;
	audit_facts_set_sources(f, &fixture_sources);
	if (fixture_options)
		audit_facts_set_options(f, fixture_options);
	CHECK_MSG(audit_load(f, NULL, 0, &ifs, &n, &err) == 0, "%s", err.msg);
	CHECK_MSG(audit_run(f, ifs, n, &l, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.v[i].id, id)) {
			hits++;
			if (sev)
				*sev = (int)l.v[i].severity;
			memcpy(fixture_evidence, l.v[i].evidence, sizeof(fixture_evidence));
			CHECK(l.v[i].message[0] && l.v[i].evidence[0] && l.v[i].fix[0]);
			CHECK(l.v[i].seed_item && !strncmp(l.v[i].seed_item, "seed 00", 7));
		}
	}
	audit_list_free(&l);
	audit_ifaces_free(ifs, n);
	audit_facts_close(f);
	return hits;
}

#endif
