/* src/inventory/qrcode.c: the terminal drawing holds exactly the code's
 * modules (read back cell by cell against libqrencode's own matrix), with
 * its quiet zone, in (version * 4 + 17 + 8) columns of the four expected
 * characters; the PNG's header; and the PNG decodes with zbarimg (Debian's
 * zbar-tools, which scripts/deps.sh installs: missing, it is a failure)
 * back to exactly the config text. */
#include "harness.h"

#include "common/error.h"
#include "common/textbuf.h"
#include "inventory/qrcode.h"

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A real client config, with both keys: the largest a client gets. */
#define GOLDEN "tests/golden/inventory/full-dual-psk-key.conf"

static const char *const cells[4] = { " ", "\u2580", "\u2584", "\u2588" };

/* The cell at *s: its index in cells[] (bit 0: upper module light, bit
 * 1: lower), advancing *s; -1 for anything else. */
static int cell_at(const char **s)
{
	for (int i = 3; i >= 0; i--) {
		size_t n = strlen(cells[i]);

		if (!strncmp(*s, cells[i], n)) {
			*s += n;
			return i;
		}
	}
	return -1;
}

/* Whether module (x, y) of the code with its quiet zone is light. */
static bool light(const QRcode *qr, int x, int y)
{
	x -= INV_QR_QUIET;
	y -= INV_QR_QUIET;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return true;
	return !(qr->data[y * qr->width + x] & 1);
}

static void check_terminal(const char *text, size_t len)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };
	QRcode *qr = QRcode_encodeData((int)len, (const unsigned char *)text, 0, QR_ECLEVEL_L);
	const char *s;
	int full, lines = 0, bad = 0;

	CHECK(qr);
	CHECK_MSG(!inv_qr_terminal(&o, text, len, &err), "%s", err.msg);
	if (!qr || !o.buf)
		goto out;
	full = qr->width + 2 * INV_QR_QUIET;
	CHECK(qr->width == qr->version * 4 + 17);
	for (s = o.buf; *s; lines++) {
		int y = 2 * lines, cols = 0;

		for (; *s && *s != '\n'; cols++) {
			int c = cell_at(&s);
			bool up, down;

			if (c < 0) {
				CHECK_MSG(false, "line %d: unexpected byte 0x%02x", lines + 1,
					  (unsigned char)*s);
				goto out;
			}
			up = light(qr, cols, y);
			/* Past the last row: the background (dark). */
			down = y + 1 < full && light(qr, cols, y + 1);
			bad += c != (up | down << 1);
		}
		CHECK_MSG(cols == full, "line %d: %d columns, want %d", lines + 1, cols, full);
		CHECK(*s == '\n');
		if (*s)
			s++;
	}
	CHECK_MSG(!bad, "%d cells differ from the code", bad);
	CHECK(lines == (full + 1) / 2);
	/* The quiet zone: the first two lines are all light. */
	CHECK(!strncmp(o.buf, cells[3], strlen(cells[3])));
out:
	QRcode_free(qr);
	textbuf_wipe(&o);
}

/* Every golden client config: drawn exactly, and within 80 columns at
 * level L. */
static void test_terminal(void)
{
	static const char *const golden[] = {
		"split-ipv4.conf", "split-dual-psk.conf", "full-ipv4.conf", "full-dual-psk-key.conf",
	};
	char path[128];
	size_t len;

	check_terminal("hello", 5); /* version 1 */
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		char *conf;
		QRcode *qr;

		snprintf(path, sizeof(path), "tests/golden/inventory/%s", golden[i]);
		conf = harness_slurp(path, &len);
		if (!conf)
			continue;
		check_terminal(conf, len);
		qr = QRcode_encodeData((int)len, (unsigned char *)conf, 0, QR_ECLEVEL_L);
		CHECK_MSG(qr && qr->width + 2 * INV_QR_QUIET <= 80, "%s: %d columns", golden[i],
			  qr ? qr->width + 2 * INV_QR_QUIET : -1);
		QRcode_free(qr);
		free(conf);
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_png_header(void)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };
	const uint8_t *b;
	uint32_t px = (21 + 2 * INV_QR_QUIET) * INV_QR_PNG_SCALE; /* version 1 */

	CHECK_MSG(!inv_qr_png(&o, "hello", 5, &err), "%s", err.msg);
	CHECK(o.len > 33);
	if (o.len <= 33)
		goto out;
	b = (const uint8_t *)o.buf;
	CHECK(!memcmp(b, "\x89PNG\r\n\x1a\n", 8));
	CHECK(!memcmp(b + 12, "IHDR", 4));
	CHECK(be32(b + 16) == px && be32(b + 20) == px);
	CHECK(b[24] == 1 && b[25] == 0); /* 1-bit grayscale */
out:
	textbuf_wipe(&o);
}

/* zbarimg's reading of the PNG of text: the bytes and a newline.
 * --nodbus: it would announce the result on the system bus. */
static void check_decodes(const char *text, size_t len)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };
	const char *tmpdir = getenv("TMPDIR");
	char path[512], cmd[600], *got = NULL;
	size_t got_len = 0, cap = 0;
	FILE *p;
	int fd;

	CHECK_MSG(!inv_qr_png(&o, text, len, &err), "%s", err.msg);
	snprintf(path, sizeof(path), "%s/rampart-qr-XXXXXX", tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	CHECK(write(fd, o.buf, o.len) == (ssize_t)o.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q --nodbus '%s'", path);
	p = popen(cmd, "r");
	CHECK(p);
	if (p) {
		ssize_t n = getdelim(&got, &cap, '\0', p); /* the whole output */

		got_len = n > 0 ? (size_t)n : 0;
		CHECK_MSG(!pclose(p), "%s failed", cmd);
	}
	CHECK_MSG(got_len == len + 1 && !memcmp(got, text, len) && got[len] == '\n',
		  "zbarimg read %zu bytes, want %zu and a newline", got_len, len);
	unlink(path);
out:
	free(got);
	textbuf_wipe(&o);
}

static void test_png_decodes(void)
{
	/* With the private key, and the largest (the comment in its place
	 * is longer than the key line). */
	static const char *const golden[] = { GOLDEN, "tests/golden/inventory/split-dual-psk.conf" };
	size_t len;

	CHECK_MSG(!system("command -v zbarimg >/dev/null 2>&1"),
		  "zbarimg not found: scripts/deps.sh installs it (zbar-tools)");
	check_decodes("hello", 5);
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		char *conf = harness_slurp(golden[i], &len);

		if (conf)
			check_decodes(conf, len);
		free(conf);
	}
}

static void test_too_long(void)
{
	struct textbuf o = { 0 };
	struct error err = { 0 };
	char *big = malloc(INV_QR_TEXT_MAX + 1);

	CHECK(big);
	if (!big)
		return;
	memset(big, 'a', INV_QR_TEXT_MAX + 1);
	CHECK(inv_qr_terminal(&o, big, INV_QR_TEXT_MAX + 1, &err) == -EINVAL);
	CHECK(strstr(err.msg, "do not fit"));
	CHECK(inv_qr_png(&o, big, INV_QR_TEXT_MAX + 1, &err) == -EINVAL);
	CHECK(!o.len);
	/* The bound itself fits: version 40 (177 modules). */
	CHECK_MSG(!inv_qr_terminal(&o, big, INV_QR_TEXT_MAX, &err), "%s", err.msg);
	CHECK(o.buf && strchr(o.buf, '\n') && strlen(o.buf) > 0);
	free(big);
	textbuf_wipe(&o);
}

static const struct harness_case cases[] = {
	{ "terminal: the modules, quiet zone, size and characters; 80 columns", test_terminal },
	{ "PNG: 1-bit grayscale, 8 px per module, quiet zone", test_png_header },
	{ "PNG: zbarimg reads back exactly the text", test_png_decodes },
	{ "text too long for a QR code refused", test_too_long },
};

HARNESS_MAIN(cases)
