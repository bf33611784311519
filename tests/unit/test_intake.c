/* src/inventory/intake.c: a client's peer request read and written, the
 * records `peer import` makes of a config's peers, and those records as
 * a config's [Peer] sections again (`peer export`), read back the same.
 * Cases marked "fuzz" reproduce what tests/fuzz/fuzz_inventory.c found
 * (their inputs are in tests/fuzz/corpus/inventory/crash-*). */
#include "harness.h"

#include "common/encoding.h"
#include "common/error.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "inventory/intake.h"
#include "prefix_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The keys of tests/unit/client_fixture.h. */
#define PRIV "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="
#define PUB1 "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8="
#define PUB2 "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s="
#define PSK "rTjivBzmWAxXveTJtk8QXLM1RCnyWtna91Vdrf5+BGI="

/* A literal and its length, NULs included. */
#define LIT(s) s, sizeof(s) - 1

/* The request's error as the CLI prints it, or "" when it parses. */
static const char *req_error(const char *buf, size_t len, struct inv_request *r)
{
	static char out[ERROR_STRLEN];
	struct error err;

	error_clear(&err);
	out[0] = '\0';
	if (inv_request_parse(buf, len, "x.req", r, &err))
		error_format(&err, out, sizeof(out));
	return out;
}

static bool key_is(const uint8_t key[KEY_LEN], const char *b64)
{
	uint8_t want[KEY_LEN];

	return encoding_key_from_base64(want, b64) && !memcmp(key, want, KEY_LEN);
}

/* 1: requests as `peer request` writes them and as people edit them. */
static void test_request(void)
{
	struct inv_request r;
	struct textbuf t = { 0 };

	CHECK_STR(req_error(LIT("Name = phone\nPublicKey = " PUB1 "\n"), &r), "");
	CHECK_STR(r.name, "phone");
	CHECK(key_is(r.public_key, PUB1));
	CHECK(inv_request_format(&t, &r) == 0);
	CHECK_STR(t.buf, "Name = phone\nPublicKey = " PUB1 "\n");
	textbuf_wipe(&t);
	/* Comments, blank lines, any case, tabs, CRLF, no final newline. */
	CHECK_STR(req_error(LIT("# from the client\n\n\tname\t=tablet \r\npublickey= " PUB2 "\r"),
			    &r), "");
	CHECK_STR(r.name, "tablet");
	CHECK(key_is(r.public_key, PUB2));
	/* The last line of each kind counts; no name is fine. */
	CHECK_STR(req_error(LIT("PublicKey = " PUB1 "\nPublicKey = " PUB2 "\n"), &r), "");
	CHECK(!r.name[0] && key_is(r.public_key, PUB2));
	CHECK(inv_request_format(&t, &r) == 0);
	CHECK_STR(t.buf, "PublicKey = " PUB2 "\n");
	textbuf_wipe(&t);
}

/* 2: refusals, named with the file and line. */
static void test_request_refused(void)
{
	char big[INV_REQUEST_MAX + 2];
	struct inv_request r;

	CHECK_STR(req_error(LIT("Bogus = 1\n"), &r), "x.req:1: Bogus: unknown or too long");
	CHECK_STR(req_error(LIT("Name = x4\n"), &r), "x.req: no PublicKey line");
	CHECK(!r.name[0]); /* a refusal leaves nothing */
	CHECK_STR(req_error(LIT("Name = x5\nPublicKey = notakey\n"), &r),
		  "x.req:2: PublicKey: not a key: \"notakey\"");
	CHECK_STR(req_error(LIT("PublicKey\n"), &r), "x.req:1: not KEY = VALUE");
	CHECK_STR(req_error(LIT("Name = 0123456789012345678901234567890123456789012345678901234567"
				"890123\nPublicKey = " PUB1 "\n"), &r),
		  "x.req:1: Name: unknown or too long");
	memset(big, '#', sizeof(big));
	CHECK_STR(req_error(big, sizeof(big), &r), "x.req: larger than 4096 bytes");
}

/* 3: whole lines only.  A line past 255 bytes was cut there, so that
 * what followed the key was never read; a NUL ended the file early. */
static void test_request_whole(void)
{
	char line[400];
	struct inv_request r;
	int n;

	n = snprintf(line, sizeof(line), "PublicKey = %s%250s junk\n", PUB1, "");
	CHECK_STR(req_error(line, (size_t)n, &r), "x.req:1: longer than 255 bytes");
	CHECK_STR(req_error(LIT("PublicKey = " PUB1 "\n\0Bogus = 1\n"), &r),
		  "x.req:2: a NUL byte");
}

/* 4 (fuzz): an unknown key's control characters reached the message,
 * and so the operator's terminal, as they were: now escaped. */
static void test_request_escaped(void)
{
	struct inv_request r;

	CHECK_STR(req_error(LIT("\x1b]0;owned\x07 = 1\n"), &r),
		  "x.req:1: \\x1b]0;owned\\x07: unknown or too long");
	CHECK_STR(req_error(LIT("PublicKey = \x1b[2J\n"), &r),
		  "x.req:1: PublicKey: not a key: \"\\x1b[2J\"");
}

static struct conf *parse_conf(const char *text)
{
	struct conf *c = NULL;
	struct error err;

	CHECK_MSG(wgconf_parse(text, strlen(text), "wg0.conf", &c, &err) == 0, "%s", err.msg);
	return c;
}

static const char wg0[] =
	"[Interface]\nPrivateKey = " PRIV "\nAddress = 10.8.0.1/24, fd08::1/64\n"
	"ListenPort = 51820\n\n"
	"[Peer]\n# Name = laptop\nPublicKey = " PUB1 "\nPresharedKey = " PSK "\n"
	"AllowedIPs = 10.8.0.2/32, fd08::2/128\n\n"
	"[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = 10.8.0.3/32, 192.168.50.0/24\n"
	"PersistentKeepalive = 25\n";

/* 5: peer import's records, and peer export's config of them, which
 * imports to the same records. */
static void test_import_export(void)
{
	struct inv_interface ifc;
	struct inv_peer *v = NULL, *w = NULL;
	struct conf *c = parse_conf(wg0), *out = parse_conf(wg0), *back;
	struct error err;
	char *text;
	size_t len;

	hub(&ifc);
	CHECK_MSG(inv_intake_import(&ifc, c, "wg0.conf", "imported", &v, &err) == 0, "%s", err.msg);
	if (!v)
		return;
	CHECK_STR(v[0].name, "laptop");
	CHECK(v[0].has_psk && key_is(v[0].psk, PSK) && key_is(v[0].public_key, PUB1));
	CHECK(v[0].n_addrs == 2 && !v[0].n_sites && v[0].keepalive == 0);
	CHECK_STR(v[1].name, "peer-mrhPtR2F");
	CHECK_STR(v[1].owner, "imported");
	CHECK(v[1].n_addrs == 1 && v[1].n_sites == 1 && v[1].keepalive == 25 && !v[1].has_psk);
	v[0].state = v[1].state = INV_ACTIVE;
	conf_clear_peers(out);
	CHECK(inv_intake_export(out, c, v, 2, &err) == 0);
	text = wgconf_format(out, WGCONF_FULL, &len);
	CHECK(text && strstr(text, "# Name = peer-mrhPtR2F\n"));
	back = text ? parse_conf(text) : NULL;
	if (back) {
		CHECK(inv_intake_import(&ifc, back, "wg0.conf", "imported", &w, &err) == 0);
		for (size_t i = 0; w && i < 2; i++) {
			CHECK_STR(w[i].name, v[i].name);
			CHECK(!memcmp(w[i].public_key, v[i].public_key, KEY_LEN));
			CHECK(w[i].n_addrs == v[i].n_addrs && w[i].n_sites == v[i].n_sites);
			CHECK(netaddr_prefix_equal(&w[i].addrs[0], &v[i].addrs[0]));
		}
	}
	/* Only active peers are written back. */
	v[1].state = INV_DISABLED;
	conf_clear_peers(out);
	CHECK(inv_intake_export(out, NULL, v, 2, &err) == 0 && out->n_peers == 1);
	inv_intake_free(w, 2);
	wgconf_text_free(text, len);
	conf_free(back);
	inv_intake_free(v, 2);
	conf_free(out);
	conf_free(c);
}

/* 6: refusals of import; (fuzz) a bad name's control characters were
 * quoted into the message as they were: now escaped. */
static void test_import_refused(void)
{
	struct inv_interface ifc;
	struct inv_peer *v = (struct inv_peer *)&ifc;
	struct conf *c;
	struct error err;
	char msg[ERROR_STRLEN];

	hub(&ifc);
	c = parse_conf("[Interface]\nPrivateKey = " PRIV "\n");
	CHECK(inv_intake_import(&ifc, c, "wg0.conf", "x", &v, &err) == -EINVAL && !v);
	CHECK_STR(err.msg, "wg0.conf has no [Peer]: nothing to import");
	conf_free(c);
	c = parse_conf("[Peer]\n# Name = a\x08" "2\nPublicKey = " PUB1 "\nAllowedIPs = 10.8.0.30/32\n");
	CHECK(inv_intake_import(&ifc, c, "wg0.conf", "x", &v, &err) == -EINVAL);
	CHECK(strstr(error_format(&err, msg, sizeof(msg)),
		     "wg0.conf:2: Name: bad peer name \"a\\x082\"") == msg);
	conf_free(c);
	c = parse_conf("[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.8.0.41/32, 10.8.0.42/32\n");
	CHECK(inv_intake_import(&ifc, c, "wg0.conf", "x", &v, &err) == -EINVAL);
	CHECK(strstr(err.msg, "wg0.conf:1: peer peer-RRkBpogO: 10.8.0.41/32 and 10.8.0.42/32") ==
	      err.msg);
	conf_free(c);
}

static const struct harness_case cases[] = {
	{ "requests as written and as edited", test_request },
	{ "refused requests are named with file and line", test_request_refused },
	{ "a request is read in whole lines: no cut line, no NUL", test_request_whole },
	{ "a request's control characters are escaped in messages", test_request_escaped },
	{ "import's records, exported, import to the same", test_import_export },
	{ "import's refusals, a bad name escaped", test_import_refused },
};

HARNESS_MAIN(cases)
