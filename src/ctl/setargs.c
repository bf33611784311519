#include "setargs.h"

#include "uapi/client.h"
#include "uapi/device.h"

#include "common/error.h"
#include "common/encoding.h"
#include "common/fileio.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* For what the user typed: paths, names, values. */
static const char *shown(char *dst, size_t size, const char *s)
{
	return uapi_client_quote(dst, size, s, false);
}

/* --- key files and argv ------------------------------------------------ */

static const char spaces[] = " \t\n\v\f\r"; /* wg(8)'s char_is_space() */


int wgctl_read_key_file(const char *path, uint8_t key[KEY_LEN], bool *exposed,
			struct error *err)
{
	/* Enough for a key and any sane amount of whitespace after it. */
	enum { KEY_FILE_MAX = 4096 };
	char b64[KEY_B64_LEN + 1], name[UAPI_QUOTED_STRLEN];
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, ret;

	*exposed = false;
	shown(name, sizeof(name), path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_fail(err, -errno, "Unable to open key file `%s': %s", name,
			    strerror(errno));
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		*exposed = true;
	ret = fileio_read_bounded(fd, KEY_FILE_MAX, &buf, &len);
	close(fd);
	if (ret)
		return error_fail(err, ret, "Unable to read key file `%s': %s", name,
			    strerror(-ret));
	if (!len) {
		/* /dev/null or an empty file: zeros, which remove the key. */
		memset(key, 0, KEY_LEN);
		goto out;
	}
	if (len > KEY_FILE_MAX) {
		ret = error_fail(err, -EINVAL, "Key file `%s' is longer than %u bytes",
			   name, (unsigned)KEY_FILE_MAX);
		goto out;
	}
	if (len < KEY_B64_LEN) {
		ret = error_fail(err, -EINVAL, "Invalid length key in key file `%s'", name);
		goto out;
	}
	for (size_t i = KEY_B64_LEN; i < len; i++) {
		if (!strchr(spaces, buf[i]) || !buf[i]) {
			ret = error_fail(err, -EINVAL,
				   "Found trailing characters after the key in key file `%s'",
				   name);
			goto out;
		}
	}
	memcpy(b64, buf, KEY_B64_LEN);
	b64[KEY_B64_LEN] = '\0';
	if (!encoding_key_from_base64(key, b64))
		ret = error_fail(err, -EINVAL,
			   "Key in key file `%s' is not the correct length or format", name);
out:
	explicit_bzero(b64, sizeof(b64));
	if (buf)
		textbuf_free_text(buf, len);
	return ret;
}

static void warn_host_bits(struct textbuf *w, const struct netaddr_prefix *p)
{
	char buf[NETADDR_PREFIX_STRLEN];
	const uint8_t *b = p->addr.family == AF_INET ? (const uint8_t *)&p->addr.in4 :
						       (const uint8_t *)&p->addr.in6;
	unsigned bits = p->addr.family == AF_INET ? 32 : 128;

	if (!w)
		return;
	for (unsigned i = p->cidr; i < bits; i++) {
		if (b[i / 8] & (0x80 >> (i % 8))) {
			textbuf_printf(w, "Warning: AllowedIP has nonzero host part: %s\n",
				       netaddr_format_prefix(buf, p));
			return;
		}
	}
}

/* The last `allowed-ips` of a peer decides whether its steps start with
 * a REPLACE (wg(8) keeps one flag per peer and writes it first). */
static int set_replace(struct uapi_peer *p, bool replace, struct error *err)
{
	bool have = p->n_allowed_ips && p->allowed_ips[0].action == UAPI_ALLOWED_IP_REPLACE;
	struct uapi_allowed_ip step;

	if (have == replace)
		return 0;
	if (have) {
		memmove(p->allowed_ips, p->allowed_ips + 1,
			--p->n_allowed_ips * sizeof(*p->allowed_ips));
		return 0;
	}
	if (uapi_peer_add_allowed_ip(p, NULL, UAPI_ALLOWED_IP_REPLACE))
		return error_fail(err, -EINVAL, "Too many allowed IPs for one peer");
	step = p->allowed_ips[p->n_allowed_ips - 1];
	memmove(p->allowed_ips + 1, p->allowed_ips,
		(p->n_allowed_ips - 1) * sizeof(*p->allowed_ips));
	p->allowed_ips[0] = step;
	return 0;
}

/* One `allowed-ips` argument: whitespace anywhere is dropped, as wg(8)
 * does; "" replaces with nothing. */
static int parse_allowed_ips(struct uapi_peer *p, const char *arg,
			     struct textbuf *warnings, struct error *err)
{
	char *copy = malloc(strlen(arg) + 1), *cursor, *item, name[UAPI_QUOTED_STRLEN];
	struct netaddr_prefix prefix;
	const char *why;
	size_t n = 0;
	bool replace = true;
	int ret = 0;

	if (!copy)
		return error_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	for (const char *s = arg; *s; s++)
		if (!strchr(spaces, *s))
			copy[n++] = *s;
	copy[n] = '\0';
	cursor = copy;
	while (n && (item = strsep(&cursor, ","))) {
		bool remove = false;

		/* Newer wg(8): "+P/L" adds and "-P/L" removes, and either
		 * keeps the peer's other allowed IPs. */
		if (item[0] == '+' || item[0] == '-') {
			remove = item[0] == '-';
			replace = false;
			item++;
		}
		if (!netaddr_parse_prefix(&prefix, item, &why)) {
			if (strstr(why, "prefix"))
				ret = error_fail(err, -EINVAL,
					   "AllowedIP is not in the correct format: `%s' (%s)",
					   shown(name, sizeof(name), item), why);
			else
				ret = error_fail(err, -EINVAL,
					   "Unable to parse IP address: `%s' (%s)",
					   shown(name, sizeof(name), item), why);
			break;
		}
		if (!remove)
			warn_host_bits(warnings, &prefix);
		ret = uapi_peer_add_allowed_ip(p, &prefix, remove ? UAPI_ALLOWED_IP_REMOVE :
								      UAPI_ALLOWED_IP_ADD);
		if (ret) {
			ret = error_fail(err, -EINVAL, "Too many allowed IPs for one peer");
			break;
		}
	}
	free(copy);
	if (!ret)
		ret = set_replace(p, replace, err);
	return ret;
}

static int parse_keyfile_arg(const char *path, uint8_t key[KEY_LEN],
			     struct textbuf *warnings, struct error *err)
{
	char name[UAPI_QUOTED_STRLEN];
	bool exposed;
	int ret = wgctl_read_key_file(path, key, &exposed, err);

	if (!ret && exposed && warnings)
		textbuf_printf(warnings, "Warning: key file `%s' is readable by group or others\n",
			       shown(name, sizeof(name), path));
	return ret;
}

int wgctl_parse_set_args(int argc, char *const argv[], struct uapi_device **out,
			 struct textbuf *warnings, struct error *err)
{
	struct uapi_device *c = uapi_device_alloc();
	struct uapi_peer *peer = NULL;
	char name[UAPI_QUOTED_STRLEN];
	const char *why;
	int ret = 0;

	*out = NULL;
	if (!c)
		return error_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	while (argc > 0) {
		const char *a = argv[0], *v = argc >= 2 ? argv[1] : NULL;
		int used = 2;

		if (!strcmp(a, "listen-port") && v && !peer) {
			if (!netaddr_parse_port(&c->listen_port, v, &why)) {
				ret = error_fail(err, -EINVAL, "Invalid listen port: `%s' (%s)",
					   shown(name, sizeof(name), v), why);
				break;
			}
			c->flags |= UAPI_DEVICE_HAS_LISTEN_PORT;
		} else if (!strcmp(a, "fwmark") && v && !peer) {
			if (!netaddr_parse_fwmark(&c->fwmark, v, &why)) {
				ret = error_fail(err, -EINVAL,
					   "Fwmark is neither 0/off nor 0-0xffffffff: `%s'",
					   shown(name, sizeof(name), v));
				break;
			}
			c->flags |= UAPI_DEVICE_HAS_FWMARK;
		} else if (!strcmp(a, "private-key") && v && !peer) {
			ret = parse_keyfile_arg(v, c->private_key, warnings, err);
			if (ret)
				break;
			c->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		} else if (!strcmp(a, "peer") && v) {
			uint8_t key[KEY_LEN];

			if (!encoding_key_from_base64(key, v)) {
				ret = error_fail(err, -EINVAL,
					   "Key is not the correct length or format: `%s'",
					   shown(name, sizeof(name), v));
				break;
			}
			peer = uapi_device_add_peer(c, key);
			if (!peer) {
				ret = error_fail(err, -errno, "%s", strerror(errno));
				break;
			}
		} else if (!strcmp(a, "remove") && peer) {
			peer->flags |= UAPI_PEER_REMOVE;
			used = 1;
		} else if (!strcmp(a, "endpoint") && v && peer) {
			if (!uapi_endpoint_parse(&peer->endpoint, v, &why)) {
				ret = error_fail(err, -EINVAL, "Unable to parse endpoint: `%s' (%s)",
					   shown(name, sizeof(name), v), why);
				break;
			}
			peer->flags |= UAPI_PEER_HAS_ENDPOINT;
		} else if (!strcmp(a, "allowed-ips") && v && peer) {
			ret = parse_allowed_ips(peer, v, warnings, err);
			if (ret)
				break;
		} else if (!strcmp(a, "persistent-keepalive") && v && peer) {
			if (!netaddr_parse_keepalive(&peer->keepalive, v, &why)) {
				ret = error_fail(err, -EINVAL,
					   "Persistent keepalive interval is neither 0/off nor 1-65535: `%s'",
					   shown(name, sizeof(name), v));
				break;
			}
			peer->flags |= UAPI_PEER_HAS_KEEPALIVE;
		} else if (!strcmp(a, "preshared-key") && v && peer) {
			ret = parse_keyfile_arg(v, peer->preshared_key, warnings, err);
			if (ret)
				break;
			peer->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
		} else {
			ret = error_fail(err, -EINVAL, "Invalid argument: %s",
				   shown(name, sizeof(name), a));
			break;
		}
		argv += used;
		argc -= used;
	}
	if (ret) {
		uapi_device_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

