#define _GNU_SOURCE /* memfd_create */
#include "nftables.h"

#include "common/error.h"
#include "common/fileio.h"
#include "common/textbuf.h"

#include <nftables/libnftables.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Copies nft's error text into err, naming batch lines: libnftables
 * reports a buffer's errors against its first line (1.0.6), so batches are
 * handed over as a memfd whose "/proc/self/fd/N:LINE:COLS:" prefixes we
 * turn into "line LINE:COLS:", minus the offset lines we put in front
 * (which are called what they are).  A refusal by the kernel repeats for
 * every command of the batch: the first NFT_ERRORS_SHOWN messages are
 * kept and the rest counted. */
enum { NFT_ERRORS_SHOWN = 3 };

static void copy_nft_error(struct error *err, const char *msg, const char *path,
			   unsigned offset)
{
	size_t plen = path ? strlen(path) : 0, o = 0;
	unsigned shown = 0, more = 0;
	struct textbuf t = { 0 };

	if (!err)
		return;
	error_clear(err);
	for (const char *l = msg; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		size_t len = strcspn(l, "\n");
		bool start = !strncmp(l, "Error:", 6);
		unsigned long line = 0;
		char *end = NULL;

		if (plen && !strncmp(l, path, plen) && l[plen] == ':') {
			line = strtoul(l + plen + 1, &end, 10);
			start = end != l + plen + 1 && *end == ':';
		}
		if (start && ++shown > NFT_ERRORS_SHOWN) {
			more++;
			continue;
		}
		if (shown > NFT_ERRORS_SHOWN || !len)
			continue;
		if (end && start) {
			if (line > offset)
				textbuf_printf(&t, "line %lu", line - offset);
			else
				textbuf_printf(&t, "(the add + delete table put before the batch) "
					       "line %lu", line);
			textbuf_append(&t, end, len - (size_t)(end - l));
		} else {
			textbuf_append(&t, l, len);
		}
		textbuf_append(&t, "\n", 1);
	}
	if (more)
		textbuf_printf(&t, "(and %u more like these)\n", more);
	if (t.err || !t.buf) {
		snprintf(err->msg, sizeof(err->msg), "%s",
			 t.err ? strerror(-t.err) : "nft failed and said nothing");
	} else {
		o = t.len;
		while (o && t.buf[o - 1] == '\n')
			o--;
		snprintf(err->msg, sizeof(err->msg), "%.*s", (int)o, t.buf);
	}
	textbuf_wipe(&t);
}

/* Runs text through libnftables: a dry run or for real, with output
 * flags, nft's output appended to out (if not NULL).  offset: lines put
 * in front of the caller's batch, taken off the line numbers of errors. */
int nftables_exec(const char *text, bool dry, unsigned flags, struct textbuf *out,
		    unsigned offset, struct error *err)
{
	char path[32] = "";
	struct nft_ctx *nft;
	int fd, r, ret = 0;

	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return error_fail(err, -ENOMEM, "cannot create an nftables context");
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		nft_ctx_free(nft);
		return error_fail(err, -ENOMEM, "cannot buffer nftables output");
	}
	nft_ctx_set_dry_run(nft, dry);
	nft_ctx_output_set_flags(nft, (flags & NFTABLES_OUTPUT_STATELESS ? NFT_CTX_OUTPUT_STATELESS : 0) |
					   (flags & NFTABLES_OUTPUT_JSON ? NFT_CTX_OUTPUT_JSON : 0));

	fd = memfd_create("rampart-nft", MFD_CLOEXEC);
	if (fd >= 0 && fileio_write_all(fd, text, strlen(text)) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		r = nft_run_cmd_from_filename(nft, path);
	} else {
		/* No memfd (seccomp, old kernel): errors then name the
		 * statement, not its line. */
		path[0] = '\0';
		r = nft_run_cmd_from_buffer(nft, text);
	}
	if (r) {
		const char *msg = nft_ctx_get_error_buffer(nft);

		if (!msg || !*msg)
			msg = "nft failed and said nothing";
		ret = strstr(msg, "Operation not permitted") ? -EPERM : -EINVAL;
		copy_nft_error(err, msg, path[0] ? path : NULL, offset);
		if (err)
			err->code = ret;
	} else if (out) {
		const char *o = nft_ctx_get_output_buffer(nft);

		if (o)
			textbuf_append(out, o, strlen(o));
		if (out->err)
			ret = error_fail(err, out->err, "%s", strerror(-out->err));
	}
	if (fd >= 0)
		close(fd);
	nft_ctx_free(nft);
	return ret;
}
