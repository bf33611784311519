/* src/ctl/setargs.c: the `set` argv grammar (exact requests) and key
 * files as wg(8) reads them. */
#include "client_fixture.h"

#include "ctl/setargs.h"
#include "ctl/wgctl.h"

static struct uapi_device *set_args(const char *const *args, size_t n, struct error *err, struct textbuf *warn, int *ret)
{
	struct uapi_device *c = NULL;

	*ret = wgctl_parse_set_args((int)n, (char *const *)args, &c, warn, err);
	CHECK((*ret == 0) == (c != NULL));
	return c;
}

static void test_set_args(void)
{
	char priv_path[128], psk_path[128];
	struct error err;
	struct textbuf warn = { 0 };
	struct uapi_device *c;
	int ret;

	snprintf(priv_path, sizeof(priv_path), "%s", write_file("priv", PRIV "\n", 0600));
	snprintf(psk_path, sizeof(psk_path), "%s", write_file("psk", PSK "\n", 0600));
	{
		const char *args[] = { "private-key", priv_path, "listen-port", "51820",
				       "fwmark", "0x20", "peer", PUB1, "preshared-key",
				       psk_path, "endpoint", "192.0.2.1:51820",
				       "persistent-keepalive", "25", "allowed-ips",
				       "10.0.0.0/24,fd00::/64", "peer", PUB2, "remove" };

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		CHECK_MSG(ret == 0, "%s", err.msg);
		if (c) {
			CHECK(wgctl_change_resolve(c, &err) == 0);
			request_is(c, wg_set);
		}
		CHECK(warn.len == 0);
		uapi_device_free(c);
	}
	{
		const char *args[] = { "peer", PUB1, "endpoint", "[fe80::1%lo]:1",
				       "allowed-ips", "" };

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		if (c) {
			CHECK(wgctl_change_resolve(c, &err) == 0);
			request_is(c, wg_set_scoped);
		}
		uapi_device_free(c);
	}
	{
		/* A name: refused until resolved, then numeric. */
		const char *args[] = { "peer", PUB1, "endpoint", "localhost:51820" };
		struct textbuf o = { 0 };

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		if (c) {
			CHECK(uapi_format_set(&o, c, &err) == -EINVAL);
			CHECK_STR(err.msg, "endpoint `localhost:51820' is not resolved");
			textbuf_wipe(&o);
			CHECK_MSG(wgctl_change_resolve(c, &err) == 0, "%s", err.msg);
			CHECK(uapi_format_set(&o, c, &err) == 0);
			CHECK(o.buf && (strstr(o.buf, "\nendpoint=127.0.0.1:51820\n") ||
					strstr(o.buf, "\nendpoint=[::1]:51820\n")));
			textbuf_wipe(&o);
		}
		uapi_device_free(c);
	}
	{
		/* Permanent resolution failures are reported at once. */
		const char *args[] = { "peer", PUB1, "endpoint", "no-such-host.invalid:1" };

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		if (c) {
			CHECK(wgctl_change_resolve(c, &err) == -EHOSTUNREACH);
			CHECK(strstr(err.msg, ": `no-such-host.invalid:1'") != NULL);
		}
		uapi_device_free(c);
	}
	{
		/* Spaces anywhere in the list vanish, as in wg(8); "+" and "-"
		 * (newer wg) keep the peer's other prefixes; keepalive off. */
		const char *args[] = { "peer", PUB1, "allowed-ips", " 10.0.0.1/32 , -10.0.0.2/32",
				       "allowed-ips", "+fd00::1", "persistent-keepalive", "off",
				       "preshared-key", "/dev/null" };

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		if (c)
			request_is(c, "set=1\npublic_key=" PUB1_HEX "\npreshared_key=" ZERO_HEX
				      "\npersistent_keepalive_interval=0\nallowed_ip=10.0.0.1/32\n"
				      "allowed_ip=-10.0.0.2/32\nallowed_ip=fd00::1/128\n\n");
		uapi_device_free(c);
	}
	{
		/* Removing the private key; a repeated peer is two entries. */
		const char *args[] = { "private-key", "/dev/null", "listen-port", "0",
				       "fwmark", "off", "peer", PUB1, "peer", PUB1 };

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		if (c)
			request_is(c, "set=1\nprivate_key=" ZERO_HEX "\nlisten_port=0\nfwmark=0\n"
				      "public_key=" PUB1_HEX "\npublic_key=" PUB1_HEX "\n\n");
		uapi_device_free(c);
	}
	{
		/* Host bits: allowed, with wg(8)'s warning; so is a key file
		 * that others can read. */
		const char *exposed = write_file("exposed", PRIV "\n", 0644);
		const char *args[] = { "private-key", exposed, "peer", PUB1, "allowed-ips",
				       "10.0.0.1/24" };
		char want[256];

		c = set_args(args, ARRAY_SIZE(args), &err, &warn, &ret);
		CHECK(c != NULL);
		snprintf(want, sizeof(want),
			 "Warning: key file `%s' is readable by group or others\n"
			 "Warning: AllowedIP has nonzero host part: 10.0.0.1/24\n", exposed);
		CHECK_STR(warn.buf, want);
		uapi_device_free(c);
		textbuf_wipe(&warn);
	}
	unlink(priv_path);
	unlink(psk_path);
}

static void test_set_args_errors(void)
{
	static const struct {
		const char *args[6];
		int ret;
		const char *msg;
	} cases[] = {
		{ { "listen-port", "70000" }, -EINVAL, "Invalid listen port: `70000' (exceeds 65535)" },
		{ { "listen-port", "http" }, -EINVAL, "Invalid listen port: `http' (not a decimal number)" },
		{ { "listen-port" }, -EINVAL, "Invalid argument: listen-port" },
		{ { "fwmark", "0xfffffffff" }, -EINVAL, "Fwmark is neither 0/off nor 0-0xffffffff: `0xfffffffff'" },
		{ { "fwmark", "-1" }, -EINVAL, "Fwmark is neither 0/off nor 0-0xffffffff: `-1'" },
		{ { "peer", "notakey" }, -EINVAL, "Key is not the correct length or format: `notakey'" },
		{ { "peer", PUB1_HEX }, -EINVAL, "Key is not the correct length or format: `" PUB1_HEX "'" },
		{ { "peer" }, -EINVAL, "Invalid argument: peer" },
		{ { "remove" }, -EINVAL, "Invalid argument: remove" },
		{ { "endpoint", "192.0.2.1:1" }, -EINVAL, "Invalid argument: endpoint" },
		{ { "peer", PUB1, "listen-port", "1" }, -EINVAL, "Invalid argument: listen-port" },
		{ { "peer", PUB1, "private-key", "/dev/null" }, -EINVAL, "Invalid argument: private-key" },
		{ { "peer", PUB1, "endpoint", "192.0.2.1" }, -EINVAL,
		  "Unable to parse endpoint: `192.0.2.1' (missing :port)" },
		{ { "peer", PUB1, "endpoint", "[::1:1" }, -EINVAL,
		  "Unable to parse endpoint: `[::1:1' (no closing ']')" },
		{ { "peer", PUB1, "endpoint", "192.0.2.1:0" }, -EINVAL,
		  "Unable to parse endpoint: `192.0.2.1:0' (port 0 cannot be a destination)" },
		{ { "peer", PUB1, "persistent-keepalive", "65536" }, -EINVAL,
		  "Persistent keepalive interval is neither 0/off nor 1-65535: `65536'" },
		{ { "peer", PUB1, "allowed-ips", "10.0.0.1/33" }, -EINVAL,
		  "AllowedIP is not in the correct format: `10.0.0.1/33' (prefix length exceeds 32)" },
		{ { "peer", PUB1, "allowed-ips", "10.0.0.256/32" }, -EINVAL,
		  "Unable to parse IP address: `10.0.0.256/32' (not an IPv4 address)" },
		{ { "peer", PUB1, "allowed-ips", "10.0.0.1/32," }, -EINVAL,
		  "Unable to parse IP address: `' (empty address)" },
		{ { "peer", PUB1, "preshared-key", "/nonexistent/psk" }, -ENOENT,
		  "Unable to open key file `/nonexistent/psk': No such file or directory" },
		{ { "peer", PUB1, "bogus" }, -EINVAL, "Invalid argument: bogus" },
		{ { "peer", PUB1, "\x1b[2J" }, -EINVAL, "Invalid argument: \\x1b[2J" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct error err = { 0 };
		size_t n = 0;
		int ret;

		while (n < ARRAY_SIZE(cases[i].args) && cases[i].args[n])
			n++;
		uapi_device_free(set_args(cases[i].args, n, &err, NULL, &ret));
		CHECK_MSG(ret == cases[i].ret, "case %zu: %d", i, ret);
		CHECK_STR(err.msg, cases[i].msg);
	}
}

static void test_key_files(void)
{
	static const struct {
		const char *text;
		int ret;
		const char *msg; /* after the path */
	} cases[] = {
		{ PRIV, 0, NULL },
		{ PRIV "\n", 0, NULL },
		{ PRIV " \t\r\n\v\f\n", 0, NULL },
		{ "", 0, NULL }, /* zeros */
		{ "abc", -EINVAL, "Invalid length key in key file `%s'" },
		{ " " PRIV, -EINVAL, "Found trailing characters after the key in key file `%s'" },
		{ " " PRIV_HEX, -EINVAL, "Found trailing characters after the key in key file `%s'" },
		{ "\t8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk", -EINVAL,
		  "Key in key file `%s' is not the correct length or format" },
		{ PRIV "x", -EINVAL, "Found trailing characters after the key in key file `%s'" },
		{ PRIV "\n" PRIV "\n", -EINVAL,
		  "Found trailing characters after the key in key file `%s'" },
		{ "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHl=", -EINVAL,
		  "Key in key file `%s' is not the correct length or format" },
	};
	struct error err = { 0 };
	char want[256];
	uint8_t key[KEY_LEN];
	bool exposed;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *path = write_file("key", cases[i].text, 0600);
		int ret;

		memset(key, 0xaa, sizeof(key));
		ret = wgctl_read_key_file(path, key, &exposed, &err);
		CHECK_MSG(ret == cases[i].ret, "case %zu: %d", i, ret);
		CHECK(!exposed);
		if (cases[i].msg) {
			const char *at = strstr(cases[i].msg, "%s");

			snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - cases[i].msg),
				 cases[i].msg, path, at + 2);
			CHECK_STR(err.msg, want);
			CHECK(!strstr(err.msg, "8MgX"));
		} else if (cases[i].text[0]) {
			key_is(key, PRIV);
		} else {
			CHECK(encoding_key_is_zero(key));
		}
	}
	/* 4 KiB of trailing whitespace is the most a key file may carry. */
	{
		char *big = malloc(8192);
		const char *path;

		memcpy(big, PRIV, KEY_B64_LEN);
		memset(big + KEY_B64_LEN, ' ', 4096 - KEY_B64_LEN);
		big[4096] = '\0';
		path = write_file("key", big, 0600);
		CHECK(wgctl_read_key_file(path, key, &exposed, &err) == 0);
		big[4096] = ' ';
		big[4097] = '\0';
		path = write_file("key", big, 0600);
		CHECK(wgctl_read_key_file(path, key, &exposed, &err) == -EINVAL);
		snprintf(want, sizeof(want), "Key file `%s' is longer than 4096 bytes", path);
		CHECK_STR(err.msg, want);
		free(big);
	}
	CHECK(wgctl_read_key_file("/dev/null", key, &exposed, &err) == 0);
	CHECK(encoding_key_is_zero(key) && !exposed);
	CHECK(wgctl_read_key_file(write_file("key", PRIV, 0640), key, &exposed, &err) == 0);
	CHECK(exposed);
	CHECK(wgctl_read_key_file(tmpdir, key, &exposed, &err) == -EISDIR);
	unlink(write_file("key", "", 0600));
}


/* As wg(8) keeps one replace flag per peer, the last `allowed-ips` of a
 * peer decides it, and the flag goes before every allowed IP. */
static void test_set_args_replace(void)
{
	static const char *const plus_last[] = { "peer", PUB1, "allowed-ips", "10.0.0.1/32",
						 "allowed-ips", "+10.0.0.2/32" };
	static const char *const plain_last[] = { "peer", PUB1, "allowed-ips", "+10.0.0.1/32",
						  "allowed-ips", "10.0.0.2/32" };
	struct error err = { 0 };
	struct uapi_device *c;
	int ret;

	c = set_args(plus_last, ARRAY_SIZE(plus_last), &err, NULL, &ret);
	if (c)
		request_is(c, "set=1\npublic_key=" PUB1_HEX "\nallowed_ip=10.0.0.1/32\n"
			      "allowed_ip=10.0.0.2/32\n\n");
	uapi_device_free(c);
	c = set_args(plain_last, ARRAY_SIZE(plain_last), &err, NULL, &ret);
	if (c)
		request_is(c, "set=1\npublic_key=" PUB1_HEX "\nreplace_allowed_ips=true\n"
			      "allowed_ip=10.0.0.1/32\nallowed_ip=10.0.0.2/32\n\n");
	uapi_device_free(c);
}

static void test_cleanup(void)
{
	/* Whatever the cases left behind, then the directory. */
	remove_tmpdir((const char *const[]){ "priv", "psk", "exposed", "key", NULL });
}

static const struct harness_case cases[] = {
	{ "set argv: grammar and exact requests", test_set_args },
	{ "set argv: errors name the bad value", test_set_args_errors },
	{ "set argv: the last allowed-ips decides the replace", test_set_args_replace },
	{ "key files as wg(8) reads them", test_key_files },
	{ "cleanup", test_cleanup },
};

HARNESS_MAIN(cases)
