/* QR codes with libqrencode, the PNG with libpng into memory.  libpng
 * reports errors by longjmp from its error callback; ours records the
 * message instead of printing it. */
#include "qrcode.h"

#include "common/error.h"
#include "common/textbuf.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static QRcode *encode(const char *text, size_t len, struct error *err)
{
	QRcode *qr;

	if (len > INV_QR_TEXT_MAX) {
		error_fail(err, -EINVAL, "%zu bytes do not fit in a QR code (at most %d)", len,
			   INV_QR_TEXT_MAX);
		return NULL;
	}
	/* QRcode_encodeData: every byte in 8-bit mode, NULs included; the
	 * smallest version (0) that holds them. */
	qr = QRcode_encodeData((int)len, (const unsigned char *)text, 0, QR_ECLEVEL_L);
	if (!qr)
		error_fail(err, errno == ERANGE ? -EINVAL : -(errno ? errno : ENOMEM),
			   "cannot encode %zu bytes as a QR code", len);
	return qr;
}

/* The module at (x, y) of the code with its quiet zone: dark or not. */
static bool dark(const QRcode *qr, int x, int y)
{
	x -= INV_QR_QUIET;
	y -= INV_QR_QUIET;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;
	return qr->data[y * qr->width + x] & 1; /* bit 0: dark */
}

/* The modules hold the text's bytes, which may hold a private key. */
static void release(QRcode *qr)
{
	if (qr)
		memset(qr->data, 0, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
}

int inv_qr_terminal(struct textbuf *o, const char *text, size_t len, struct error *err)
{
	/* Indexed by (upper light) | (lower light) << 1: light modules are
	 * drawn, dark ones left to the background. */
	static const char *const cell[4] = { " ", "\u2580", "\u2584", "\u2588" };
	QRcode *qr = encode(text, len, err);
	int full;

	if (!qr)
		return err ? err->code : -EINVAL;
	full = qr->width + 2 * INV_QR_QUIET;
	for (int y = 0; y < full; y += 2) {
		for (int x = 0; x < full; x++) {
			/* Past the last row is the terminal's background (an
			 * odd height leaves half a cell). */
			unsigned up = !dark(qr, x, y), down = y + 1 < full && !dark(qr, x, y + 1);

			textbuf_printf(o, "%s", cell[up | down << 1]);
		}
		textbuf_printf(o, "\n");
	}
	release(qr);
	if (o->err)
		return error_fail(err, o->err, "cannot draw the QR code: %s", strerror(-o->err));
	return 0;
}

struct png_sink {
	struct textbuf *o;
	struct error *err;
};

static void png_write(png_structp png, png_bytep data, size_t n)
{
	struct png_sink *s = png_get_io_ptr(png);

	textbuf_append(s->o, (const char *)data, n);
	if (s->o->err)
		png_error(png, "out of memory");
}

static void png_flush(png_structp png)
{
	(void)png;
}

static void png_fail(png_structp png, png_const_charp msg)
{
	struct png_sink *s = png_get_error_ptr(png);

	error_fail(s->err, -ENOMEM, "cannot write the PNG: %s", msg);
	png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg; /* nothing a caller could act on: the image is written */
}

/* One row of pixels for module row y, 1 bit per pixel, MSB first, set =
 * white. */
static void fill_row(uint8_t *row, size_t row_bytes, const QRcode *qr, int y)
{
	int full = qr->width + 2 * INV_QR_QUIET;

	memset(row, 0, row_bytes);
	for (int x = 0; x < full; x++) {
		if (dark(qr, x, y))
			continue;
		for (int i = 0; i < INV_QR_PNG_SCALE; i++) {
			size_t px = (size_t)x * INV_QR_PNG_SCALE + (size_t)i;

			row[px / 8] |= (uint8_t)(0x80 >> (px % 8));
		}
	}
}

int inv_qr_png(struct textbuf *o, const char *text, size_t len, struct error *err)
{
	struct error local;
	struct png_sink sink = { o, err ? err : &local };
	QRcode *qr = encode(text, len, sink.err);
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;
	volatile int ret = -ENOMEM;
	size_t row_bytes;
	int full;

	if (!qr)
		return sink.err->code;
	full = qr->width + 2 * INV_QR_QUIET;
	row_bytes = ((size_t)full * INV_QR_PNG_SCALE + 7) / 8;
	row = malloc(row_bytes);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, png_fail, png_warn);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !png || !info) {
		error_fail(sink.err, -ENOMEM, "cannot write the PNG: out of memory");
		goto out;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out; /* png_fail said why */
	png_set_write_fn(png, &sink, png_write, png_flush);
	png_set_IHDR(png, info, (png_uint_32)full * INV_QR_PNG_SCALE,
		     (png_uint_32)full * INV_QR_PNG_SCALE, 1, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < full; y++) {
		fill_row(row, row_bytes, qr, y);
		for (int i = 0; i < INV_QR_PNG_SCALE; i++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	ret = 0;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	release(qr);
	return ret ? sink.err->code : 0;
}
