/* `rampart set`'s argument grammar (wgctl_parse_set_args), the input split
 * into argv at its NUL bytes.  What parses must make a set request that
 * the daemon's parser (uapi_parser_feed) takes whole, and whose plan
 * writes the same request again (a fixed point): the two ends of the
 * control protocol agree on everything the grammar can ask for.
 *
 * Key files are the one thing the grammar reads from the system.  The
 * argument after private-key or preshared-key is replaced by a path to a
 * memfd (nothing on disk, and never a path of the input's choosing, which
 * could name a FIFO): "@TEXT" makes TEXT the file's contents, anything
 * else picks one of the fixed files below by its length.  Host names in
 * endpoints are "resolved" to 192.0.2.1, keeping the port. */
#define _GNU_SOURCE /* memfd_create */
#include "ctl/setargs.h"
#include "common/error.h"
#include "common/textbuf.h"
#include "uapi/client.h"
#include "uapi/device.h"
#include "uapi/uapi.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 512 };

static const struct {
	const char *text;
	mode_t mode;
} fixtures[] = {
	{ "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk=\n", 0600 },
	{ "", 0600 },                                             /* zeros: remove */
	{ "rTjivBzmWAxXveTJtk8QXLM1RCnyWtna91Vdrf5+BGI= \t\r\n", 0644 }, /* exposed */
	{ "abc", 0600 },                                          /* too short */
	{ "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk=x", 0600 }, /* trailing */
	{ "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHl=", 0600 }, /* not a key */
};

/* Paths of the fixtures, and of the one whose contents the input sets. */
static char fixture_path[sizeof(fixtures) / sizeof(fixtures[0])][32];
static char scratch_path[32];
static int scratch_fd = -1;

static int memfd_with(const char *text, size_t len, mode_t mode, char path[32])
{
	int fd = memfd_create("fuzz-key", 0);

	if (fd < 0 || fchmod(fd, mode) || (size_t)write(fd, text, len) != len)
		abort();
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return fd;
}

static void setup(void)
{
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		memfd_with(fixtures[i].text, strlen(fixtures[i].text), fixtures[i].mode,
			   fixture_path[i]);
	scratch_fd = memfd_with("", 0, 0600, scratch_path);
}

/* The path that stands for key-file argument arg. */
static char *key_path(const char *arg)
{
	size_t n = strlen(arg);

	if (arg[0] == '@') {
		if (ftruncate(scratch_fd, 0) || pwrite(scratch_fd, arg + 1, n - 1, 0) != (ssize_t)(n - 1))
			abort();
		return scratch_path;
	}
	return fixture_path[n % (sizeof(fixtures) / sizeof(fixtures[0]))];
}

/* What wgctl_change_resolve would do, without a resolver. */
static void fake_resolve(struct uapi_device *c)
{
	struct netaddr_endpoint ep = { .literal = true };

	ep.addr.family = AF_INET;
	ep.addr.in4.s_addr = htonl(0xc0000201);
	for (size_t i = 0; i < c->n_peers; i++) {
		struct uapi_endpoint *e = &c->peers[i].endpoint;

		if (!(c->peers[i].flags & UAPI_PEER_HAS_ENDPOINT) || e->literal)
			continue;
		ep.port = e->port;
		if (uapi_endpoint_set(e, &ep))
			abort();
	}
}

/* The daemon's parser takes req (a set request) whole; returns its plan. */
static struct uapi_device *daemon_parse(const struct textbuf *req)
{
	static struct uapi_parser p;
	struct uapi_request r;
	size_t used = 0;

	uapi_parser_init(&p);
	if (uapi_parser_feed(&p, req->buf, req->len, &used, &r) != UAPI_READY)
		abort();
	if (used != req->len || r.op != UAPI_OP_SET || r.err || !r.set)
		abort();
	if (uapi_parser_finish(&p))
		abort();
	uapi_parser_uninit(&p);
	return r.set;
}

static void check(struct uapi_device *c)
{
	struct textbuf a = { 0 }, b = { 0 };
	struct uapi_device *plan;
	struct error err;

	fake_resolve(c);
	if (uapi_format_set(&a, c, &err))
		abort(); /* everything the grammar makes can be written */
	plan = daemon_parse(&a);
	if (uapi_format_set(&b, plan, &err))
		abort();
	if (a.len != b.len || memcmp(a.buf, b.buf, a.len))
		abort(); /* the daemon's plan is the request asked for */
	uapi_device_free(plan);
	textbuf_wipe(&a);
	textbuf_wipe(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS];
	struct textbuf warnings = { 0 };
	struct uapi_device *c = NULL;
	struct error err;
	int argc = 0;

	if (scratch_fd < 0)
		setup();
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* NUL-separated, as /proc/PID/cmdline: a final NUL ends the last
	 * argument and starts none. */
	for (size_t i = 0; i < size && argc < MAX_ARGS; i += strlen(copy + i) + 1)
		argv[argc++] = copy + i;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i - 1], "private-key") || !strcmp(argv[i - 1], "preshared-key"))
			argv[i] = key_path(argv[i]);
	memset(&err, 0, sizeof(err));
	if (!wgctl_parse_set_args(argc, argv, &c, &warnings, &err)) {
		check(c);
		uapi_device_free(c);
	} else if (c || !err.msg[0]) {
		abort(); /* a refusal says why and leaves nothing */
	}
	textbuf_wipe(&warnings);
	free(copy);
	return 0;
}
