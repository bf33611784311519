/* src/ctl/wgctl.c: set requests for setconf, addconf and syncconf (exact
 * bytes, those of wireguard-tools where test_uapi.c has captures), the
 * running configuration as a struct conf, the wg-quick key check and
 * configuration files. */
#include "client_fixture.h"

#include "ctl/wgctl.h"

/* --- requests ---------------------------------------------------------- */

static void test_request_setconf_addconf(void)
{
	struct conf *conf = conf_from(conf_text);
	struct uapi_device *c = NULL;

	if (!conf)
		return;
	CHECK(wgctl_change_from_conf(conf, WGCTL_SETCONF, &c) == 0);
	if (c)
		request_is(c, wg_setconf);
	uapi_device_free(c);
	CHECK(wgctl_change_from_conf(conf, WGCTL_ADDCONF, &c) == 0);
	if (c)
		request_is(c, wg_addconf);
	uapi_device_free(c);
	conf_free(conf);

	/* An empty file: setconf states an empty device... */
	conf = conf_from("");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SETCONF, &c) == 0);
	if (c)
		request_is(c, "set=1\nprivate_key=" ZERO_HEX "\nlisten_port=0\nfwmark=0\n"
			      "replace_peers=true\n\n");
	uapi_device_free(c);
	/* ...addconf changes nothing. */
	CHECK(wgctl_change_from_conf(conf, WGCTL_ADDCONF, &c) == 0);
	if (c)
		request_is(c, "set=1\n\n");
	uapi_device_free(c);
	conf_free(conf);

	/* FwMark, PresharedKey, no AllowedIPs, and the wg-quick keys that
	 * this request leaves out. */
	conf = conf_from("[Interface]\nFwMark = 0x20\nAddress = 10.0.0.1/24\nMTU = 1380\n"
			 "PostUp = true\n[Peer]\nPublicKey = " PUB2 "\nPresharedKey = " PSK "\n"
			 "PersistentKeepalive = 25\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_ADDCONF, &c) == 0);
	if (c)
		request_is(c, "set=1\nfwmark=32\npublic_key=" PUB2_HEX "\npreshared_key=" PSK_HEX
			      "\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\n\n");
	uapi_device_free(c);
	conf_free(conf);
}

static void test_request_syncconf(void)
{
	struct conf *conf = conf_from(conf_text);
	struct uapi_device *running;
	struct uapi_device *c = NULL;

	if (!conf)
		return;
	running = parse_ok("listen_port=51821\n"
			   "public_key=" PUB4_HEX "\n"
			   "public_key=" PUB1_HEX "\nallowed_ip=10.0.0.2/32\n"
			   "public_key=" PUB3_HEX "\n"
			   "errno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, wg_syncconf);
	}
	uapi_device_free(c);
	uapi_device_free(running);

	/* A device without peers: wg(8) keeps replace_peers. */
	running = parse_ok("errno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, wg_setconf);
	}
	uapi_device_free(c);
	uapi_device_free(running);

	/* Every running peer in the file: nothing removed. */
	running = parse_ok("public_key=" PUB2_HEX "\npublic_key=" PUB1_HEX "\nerrno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, "set=1\nprivate_key=" PRIV_HEX "\nlisten_port=51821\nfwmark=0\n"
			      SETCONF_PEERS "\n");
	}
	uapi_device_free(c);
	uapi_device_free(running);
	conf_free(conf);

	/* A file without peers: replace_peers, whatever runs. */
	conf = conf_from("[Interface]\nListenPort = 1\n");
	running = parse_ok("public_key=" PUB2_HEX "\nerrno=0\n\n");
	CHECK(wgctl_change_from_conf(conf, WGCTL_SYNCCONF, &c) == 0);
	if (c && running) {
		CHECK(wgctl_change_sync(c, running) == 0);
		request_is(c, "set=1\nprivate_key=" ZERO_HEX "\nlisten_port=1\nfwmark=0\n"
			      "replace_peers=true\n\n");
	}
	uapi_device_free(c);
	uapi_device_free(running);
	conf_free(conf);
}

static void test_conf_check(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1 "\n", NULL },
		{ "[Interface]\nListenPort = 1\nAddress = 10.0.0.1/24\n", "t.conf:3: Address" },
		{ "[Interface]\nDNS = 1.1.1.1\nAddress = 10.0.0.1/24\n", "t.conf:2: DNS" },
		{ "[Interface]\nMTU =\n", "t.conf:2: MTU" },
		{ "[Interface]\nMTU = 1280\n", "t.conf:2: MTU" },
		{ "[Interface]\n\nTable = off\n", "t.conf:3: Table" },
		{ "[Interface]\nPostDown = x\nPreUp = y\n", "t.conf:2: PostDown" },
		{ "[Interface]\nSaveConfig = false\n", "t.conf:2: SaveConfig" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct conf *conf = conf_from(cases[i].text);
		struct error err = { 0 };
	char want[256];
		int ret;

		if (!conf)
			continue;
		ret = wgctl_conf_check_wg_only(conf, "t.conf", &err);
		if (!cases[i].msg) {
			CHECK(ret == 0);
		} else {
			CHECK(ret == -EINVAL);
			snprintf(want, sizeof(want), "%s: a wg-quick key, which setconf does not "
				 "take (`rampart strip' prints the part it takes)", cases[i].msg);
			CHECK_STR(err.msg, want);
		}
		conf_free(conf);
	}
}

static void test_load_conf(void)
{
	struct error err = { 0 };
	char want[256];
	struct conf *conf = NULL;
	const char *path = write_file("c.conf", conf_text, 0600);

	CHECK(wgctl_load_conf(path, &conf, &err) == 0);
	CHECK(conf && conf->n_peers == 2);
	conf_free(conf);
	path = write_file("c.conf", "[Interface]\nListenPort = 70000\n", 0600);
	CHECK(wgctl_load_conf(path, &conf, &err) == -EINVAL && !conf);
	snprintf(want, sizeof(want), "%s:2: ListenPort: invalid port \"70000\": exceeds 65535",
		 path);
	CHECK_STR(err.msg, want);
	CHECK(wgctl_load_conf("/nonexistent.conf", &conf, &err) == -ENOENT);
	CHECK_STR(err.msg, "Unable to open `/nonexistent.conf': No such file or directory");
	CHECK(wgctl_load_conf("/dev/null", &conf, &err) == 0);
	CHECK(conf && conf->n_peers == 0);
	conf_free(conf);
	unlink(path);
}


/* A get reply as a struct conf, as showconf and SaveConfig want it: what
 * is 0 or all zeros is not set. */
static void test_conf_from_device(void)
{
	struct uapi_device *dev = parse_ok(reply);
	struct conf *cf = NULL;

	if (!dev)
		return;
	CHECK(wgctl_conf_from_device(dev, &cf) == 0);
	if (cf) {
		CHECK(cf->has_private_key && cf->has_listen_port && cf->listen_port == 51820);
		CHECK(cf->has_fwmark && cf->fwmark == 32);
		CHECK(cf->n_peers == 3);
	}
	if (cf && cf->n_peers == 3) {
		key_is(cf->peers[0].public_key, PUB2);
		CHECK(cf->peers[0].has_public_key && !cf->peers[0].has_preshared_key);
		CHECK(cf->peers[0].has_endpoint && !cf->peers[0].has_keepalive);
		CHECK(cf->peers[1].has_preshared_key && cf->peers[1].has_keepalive);
		CHECK(cf->peers[1].keepalive == 25 && cf->peers[1].n_allowed_ips == 2);
		CHECK(!cf->peers[2].has_endpoint && cf->peers[2].n_allowed_ips == 1);
	}
	conf_free(cf);
	uapi_device_free(dev);
	dev = parse_ok("listen_port=0\nfwmark=0\nerrno=0\n\n");
	CHECK(dev && wgctl_conf_from_device(dev, &cf) == 0);
	CHECK(cf && !cf->has_listen_port && !cf->has_fwmark && !cf->has_private_key);
	conf_free(cf);
	uapi_device_free(dev);
}

static void test_cleanup(void)
{
	/* Whatever the cases left behind, then the directory. */
	remove_tmpdir((const char *const[]){ "c.conf", NULL });
}

static const struct harness_case cases[] = {
	{ "requests: setconf and addconf, exact bytes", test_request_setconf_addconf },
	{ "requests: syncconf removes what the file lacks", test_request_syncconf },
	{ "running configuration as a struct conf", test_conf_from_device },
	{ "setconf refuses wg-quick keys by line", test_conf_check },
	{ "configuration files", test_load_conf },
	{ "cleanup", test_cleanup },
};

HARNESS_MAIN(cases)
