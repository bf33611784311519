/* Configs for the policy's tests (test_policykeys, test_policy,
 * test_nftpolicy): parsing a text that must or must not parse, and the
 * pieces the cases put together. */
#ifndef RAMPART_TESTS_POLICY_FIXTURE_H
#define RAMPART_TESTS_POLICY_FIXTURE_H

#include "harness.h"

#include "conf/config.h"
#include "conf/wgconf.h"
#include "firewall/policykeys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline struct conf *parse(const char *text)
{
	struct error err;
	struct conf *conf = NULL;
	char msg[ERROR_STRLEN];

	/* The firewall's keys reach the parser only registered. */
	CHECK(policykeys_register() == 0);
	if (wgconf_parse(text, strlen(text), "t.conf", &conf, &err)) {
		error_format(&err, msg, sizeof(msg));
		harness_fail(__FILE__, __LINE__, "%s", msg);
		return NULL;
	}
	return conf;
}

/* The message for text that must not parse. */
static inline void parse_fails(const char *text, const char *want)
{
	struct error err;
	struct conf *conf = NULL;
	char msg[ERROR_STRLEN];

	CHECK(policykeys_register() == 0);
	CHECK_MSG(wgconf_parse(text, strlen(text), "t.conf", &conf, &err) == -EINVAL,
		  "accepted: %s", text);
	CHECK(conf == NULL);
	error_format(&err, msg, sizeof(msg));
	CHECK_STR(msg, want);
	conf_free(conf);
}

static const char iface[] =
	"[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";
static const char peer_hdr[] =
	"[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n";

static inline char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

#endif
