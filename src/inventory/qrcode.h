/* Client configs as QR codes, for the WireGuard mobile apps' scanners:
 * in the terminal as text and as a PNG image.  Both encode the bytes of
 * the text as given (8-bit mode, error correction level L, as
 * `qrencode -t ansiutf8 < client.conf` in WireGuard's own instructions
 * does: the lowest level keeps a config with its keys at a size that
 * fits an 80-column terminal).  Pure: no I/O (docs/inventory-config.md). */
#ifndef RAMPART_INVENTORY_QRCODE_H
#define RAMPART_INVENTORY_QRCODE_H

#include "common/compiler.h"

#include <stddef.h>

struct error;
struct textbuf;

enum {
	/* Light modules around the code (ISO/IEC 18004 asks for four). */
	INV_QR_QUIET = 4,
	/* Pixels per module of the PNG: a 77-module code (version 13) is
	 * 680 px wide, comfortably scanned from a screen. */
	INV_QR_PNG_SCALE = 8,
	/* The bytes of text accepted: version 40 at level L holds 2953;
	 * a client config is a few hundred. */
	INV_QR_TEXT_MAX = 2953,
};

/* Appends text (len bytes) as a QR code drawn for a
 * terminal with light text on a dark background: two modules per
 * character cell, the upper and the lower, with U+2588 FULL BLOCK (both
 * light), U+2580 UPPER HALF BLOCK, U+2584 LOWER HALF BLOCK and a space
 * (both dark), so that the light modules and the quiet zone are the
 * terminal's foreground and the dark modules its background.  Each line
 * is size + 2 * INV_QR_QUIET columns wide and ends in '\n'; there are
 * (size + 2 * INV_QR_QUIET + 1) / 2 lines.  0, or -errno with err
 * (-EINVAL for text too long, -ENOMEM, o's error). */
int inv_qr_terminal(struct textbuf *o, const char *text, size_t len, struct error *err) warn_unused;

/* Appends the PNG image of text's QR code to o: 1-bit grayscale, dark
 * modules black, INV_QR_PNG_SCALE pixels per module and a white quiet
 * zone of INV_QR_QUIET modules.  The image holds whatever text holds
 * (a private key, maybe): textbuf_wipe() o.  0 or -errno with err. */
int inv_qr_png(struct textbuf *o, const char *text, size_t len, struct error *err) warn_unused;

#endif
