/* src/ctl/show.c: wg(8)'s wording for times and sizes, and the show and
 * showconf formatters, byte for byte. */
#include "client_fixture.h"

#include "ctl/show.h"

/* Terminal codes of wireguard-tools' terminal.h. */
#define RESET "\x1b[0m"
#define BOLD "\x1b[1m"
#define RED "\x1b[31m"
#define GREEN "\x1b[32m"
#define YELLOW "\x1b[33m"
#define CYAN "\x1b[36m"

/* The sample device as the show command sees it: named wg0, with the
 * public key the CLI derives from PRIV. */
static struct uapi_device *sample_device(void)
{
	struct uapi_device *dev = parse_ok(reply);

	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "wg0");
	CHECK(encoding_key_from_base64(dev->public_key, PUB1));
	dev->flags |= UAPI_DEVICE_HAS_PUBLIC_KEY;
	return dev;
}

/* --- wording ----------------------------------------------------------- */

static void test_durations(void)
{
	static const struct {
		uint64_t secs;
		const char *text;
	} cases[] = {
		{ 0, "" },
		{ 1, "1 second" },
		{ 2, "2 seconds" },
		{ 59, "59 seconds" },
		{ 60, "1 minute" },
		{ 61, "1 minute, 1 second" },
		{ 65, "1 minute, 5 seconds" },
		{ 120, "2 minutes" },
		{ 3600, "1 hour" },
		{ 3661, "1 hour, 1 minute, 1 second" },
		{ 7322, "2 hours, 2 minutes, 2 seconds" },
		{ 86400, "1 day" },
		{ 86401, "1 day, 1 second" },
		{ 172800 + 7200, "2 days, 2 hours" },
		{ 31536000, "1 year" },
		{ 31536000 + 86400, "1 year, 1 day" },
		{ 2 * 31536000ULL + 3 * 86400 + 4 * 3600 + 5 * 60 + 6,
		  "2 years, 3 days, 4 hours, 5 minutes, 6 seconds" },
		{ 65535, "18 hours, 12 minutes, 15 seconds" },
		{ UINT64_MAX, "584942417355 years, 26 days, 7 hours, 15 seconds" },
	};
	char buf[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = wgctl_format_duration(buf, sizeof(buf), cases[i].secs, false);

		CHECK_STR(buf, cases[i].text);
		CHECK(n == strlen(cases[i].text));
	}
	wgctl_format_duration(buf, sizeof(buf), 61, true);
	CHECK_STR(buf, "1 " CYAN "minute" RESET ", 1 " CYAN "second" RESET);
	/* A short buffer is cut, never overrun. */
	CHECK(wgctl_format_duration(buf, 8, 3661, false) == 7);
	CHECK_STR(buf, "1 hour,");

	wgctl_format_ago(buf, sizeof(buf), NOW, NOW, false);
	CHECK_STR(buf, "Now");
	wgctl_format_ago(buf, sizeof(buf), NOW - 1, NOW, false);
	CHECK_STR(buf, "1 second ago");
	wgctl_format_ago(buf, sizeof(buf), NOW - 65, NOW, false);
	CHECK_STR(buf, "1 minute, 5 seconds ago");
	wgctl_format_ago(buf, sizeof(buf), 1, NOW, false);
	CHECK_STR(buf, "53 years, 330 days, 22 hours, 13 minutes, 19 seconds ago");
	wgctl_format_ago(buf, sizeof(buf), NOW + 1, NOW, false);
	CHECK_STR(buf, "(System clock wound backward; connection problems may ensue.)");
	wgctl_format_ago(buf, sizeof(buf), NOW + 1, NOW, true);
	CHECK_STR(buf, "(" RED "System clock wound backward; connection problems may ensue." RESET ")");
	wgctl_format_ago(buf, sizeof(buf), NOW - 2, NOW, true);
	CHECK_STR(buf, "2 " CYAN "seconds" RESET " ago");
}

static void test_bytes(void)
{
	static const struct {
		uint64_t b;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.00 KiB" },
		{ 1424, "1.39 KiB" },
		{ 1500, "1.46 KiB" },
		{ 1048575, "1024.00 KiB" },
		{ 1048576, "1.00 MiB" },
		{ 1572864, "1.50 MiB" },
		{ 1073741823, "1024.00 MiB" },
		{ 1073741824, "1.00 GiB" },
		{ 1099511627775ULL, "1024.00 GiB" },
		{ 1099511627776ULL, "1.00 TiB" },
		{ 1125899906842624ULL, "1024.00 TiB" },
		{ UINT64_MAX, "16777216.00 TiB" },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		wgctl_format_bytes(buf, sizeof(buf), cases[i].b, false);
		CHECK_STR(buf, cases[i].text);
	}
	wgctl_format_bytes(buf, sizeof(buf), 5, true);
	CHECK_STR(buf, "5 " CYAN "B" RESET);
	wgctl_format_bytes(buf, sizeof(buf), 1500, true);
	CHECK_STR(buf, "1.46 " CYAN "KiB" RESET);
}

/* --- show and showconf ------------------------------------------------- */

static const char pretty[] =
	"interface: wg0\n"
	"  public key: " PUB1 "\n"
	"  private key: (hidden)\n"
	"  listening port: 51820\n"
	"  fwmark: 0x20\n"
	"\n"
	"peer: " PUB1 "\n"
	"  preshared key: (hidden)\n"
	"  endpoint: 192.0.2.1:51820\n"
	"  allowed ips: 10.0.0.0/24, fd00::/64\n"
	"  latest handshake: 1 minute, 5 seconds ago\n"
	"  transfer: 1.46 KiB received, 1.39 KiB sent\n"
	"  persistent keepalive: every 25 seconds\n"
	"\n"
	"peer: " PUB3 "\n"
	"  allowed ips: 192.168.1.0/24\n"
	"  latest handshake: 1 hour, 1 minute, 40 seconds ago\n"
	"  transfer: 2.00 MiB received, 0 B sent\n"
	"  persistent keepalive: every 1 hour, 1 minute, 1 second\n"
	"\n"
	"peer: " PUB2 "\n"
	"  endpoint: [fe80::1%lo]:51820\n"
	"  allowed ips: (none)\n";

/* The same with wg(8)'s colours, escape by escape. */
static const char pretty_color[] =
	RESET GREEN BOLD "interface" RESET ": " GREEN "wg0" RESET "\n"
	"  " BOLD "public key" RESET ": " PUB1 "\n"
	"  " BOLD "private key" RESET ": (hidden)\n"
	"  " BOLD "listening port" RESET ": 51820\n"
	"  " BOLD "fwmark" RESET ": 0x20\n"
	"\n"
	YELLOW BOLD "peer" RESET ": " YELLOW PUB1 RESET "\n"
	"  " BOLD "preshared key" RESET ": (hidden)\n"
	"  " BOLD "endpoint" RESET ": 192.0.2.1:51820\n"
	"  " BOLD "allowed ips" RESET ": 10.0.0.0" CYAN "/" RESET "24, fd00::" CYAN "/" RESET "64\n"
	"  " BOLD "latest handshake" RESET ": 1 " CYAN "minute" RESET ", 5 " CYAN "seconds" RESET " ago\n"
	"  " BOLD "transfer" RESET ": 1.46 " CYAN "KiB" RESET " received, 1.39 " CYAN "KiB" RESET " sent\n"
	"  " BOLD "persistent keepalive" RESET ": every 25 " CYAN "seconds" RESET "\n"
	"\n"
	YELLOW BOLD "peer" RESET ": " YELLOW PUB3 RESET "\n"
	"  " BOLD "allowed ips" RESET ": 192.168.1.0" CYAN "/" RESET "24\n"
	"  " BOLD "latest handshake" RESET ": 1 " CYAN "hour" RESET ", 1 " CYAN "minute" RESET
	", 40 " CYAN "seconds" RESET " ago\n"
	"  " BOLD "transfer" RESET ": 2.00 " CYAN "MiB" RESET " received, 0 " CYAN "B" RESET " sent\n"
	"  " BOLD "persistent keepalive" RESET ": every 1 " CYAN "hour" RESET ", 1 " CYAN "minute"
	RESET ", 1 " CYAN "second" RESET "\n"
	"\n"
	YELLOW BOLD "peer" RESET ": " YELLOW PUB2 RESET "\n"
	"  " BOLD "endpoint" RESET ": [fe80::1%lo]:51820\n"
	"  " BOLD "allowed ips" RESET ": (none)\n";

static void test_pretty(void)
{
	struct uapi_device *dev = sample_device();
	struct textbuf o = { 0 };

	if (!dev)
		return;
	wgctl_format_pretty(&o, dev, NOW, 0);
	CHECK_STR(o.buf, pretty);
	textbuf_wipe(&o);
	wgctl_format_pretty(&o, dev, NOW, WGCTL_SHOW_COLOR);
	CHECK_STR(o.buf, pretty_color);
	textbuf_wipe(&o);
	/* WG_HIDE_KEYS=never */
	wgctl_format_pretty(&o, dev, NOW, WGCTL_SHOW_KEYS);
	CHECK(o.buf && strstr(o.buf, "  private key: " PRIV "\n"));
	CHECK(o.buf && strstr(o.buf, "  preshared key: " PSK "\n"));
	textbuf_wipe(&o);
	uapi_device_free(dev);

	/* Ties keep reply order; a handshake "now"; no peers, no blank line;
	 * an nsec-only handshake counts for sorting but is not printed. */
	dev = parse_ok("public_key=" PUB2_HEX "\nlast_handshake_time_sec=" STR(NOW) "\n"
		       "public_key=" PUB4_HEX "\nlast_handshake_time_nsec=1\n"
		       "public_key=" PUB3_HEX "\nlast_handshake_time_sec=" STR(NOW) "\n"
		       "public_key=" PUB1_HEX "\n"
		       "errno=0\n\n");
	if (dev) {
		snprintf(dev->name, sizeof(dev->name), "x");
		wgctl_format_pretty(&o, dev, NOW, 0);
		CHECK_STR(o.buf, "interface: x\n\n"
				 "peer: " PUB2 "\n  allowed ips: (none)\n  latest handshake: Now\n\n"
				 "peer: " PUB3 "\n  allowed ips: (none)\n  latest handshake: Now\n\n"
				 "peer: " PUB4 "\n  allowed ips: (none)\n\n"
				 "peer: " PUB1 "\n  allowed ips: (none)\n");
		textbuf_wipe(&o);
		uapi_device_free(dev);
	}
	dev = parse_ok("listen_port=5\nerrno=0\n\n");
	if (dev) {
		snprintf(dev->name, sizeof(dev->name), "wg9");
		wgctl_format_pretty(&o, dev, NOW, 0);
		CHECK_STR(o.buf, "interface: wg9\n  listening port: 5\n");
		textbuf_wipe(&o);
		uapi_device_free(dev);
	}
}

static void field_is(const struct uapi_device *dev, const char *field, bool with_ifname,
		     const char *want)
{
	struct textbuf o = { 0 };

	textbuf_append(&o, "", 0);
	CHECK(wgctl_format_field(&o, dev, field, with_ifname) == 0);
	CHECK_STR(o.buf, want);
	textbuf_wipe(&o);
}

static void test_fields(void)
{
	struct uapi_device *dev = sample_device(), *empty;
	struct textbuf o = { 0 };

	if (!dev)
		return;
	field_is(dev, "public-key", false, PUB1 "\n");
	field_is(dev, "public-key", true, "wg0\t" PUB1 "\n");
	field_is(dev, "private-key", false, PRIV "\n");
	field_is(dev, "listen-port", true, "wg0\t51820\n");
	field_is(dev, "fwmark", false, "0x20\n");
	field_is(dev, "peers", true, "wg0\t" PUB2 "\nwg0\t" PUB1 "\nwg0\t" PUB3 "\n");
	field_is(dev, "preshared-keys", false,
		 PUB2 "\t(none)\n" PUB1 "\t" PSK "\n" PUB3 "\t(none)\n");
	field_is(dev, "endpoints", false,
		 PUB2 "\t[fe80::1%lo]:51820\n" PUB1 "\t192.0.2.1:51820\n" PUB3 "\t(none)\n");
	field_is(dev, "endpoints", true,
		 "wg0\t" PUB2 "\t[fe80::1%lo]:51820\nwg0\t" PUB1 "\t192.0.2.1:51820\n"
		 "wg0\t" PUB3 "\t(none)\n");
	field_is(dev, "allowed-ips", false,
		 PUB2 "\t(none)\n" PUB1 "\t10.0.0.0/24 fd00::/64\n" PUB3 "\t192.168.1.0/24\n");
	field_is(dev, "latest-handshakes", false,
		 PUB2 "\t0\n" PUB1 "\t1699999935\n" PUB3 "\t1699996300\n");
	field_is(dev, "transfer", true,
		 "wg0\t" PUB2 "\t0\t0\nwg0\t" PUB1 "\t1500\t1424\nwg0\t" PUB3 "\t2097152\t0\n");
	field_is(dev, "persistent-keepalive", false,
		 PUB2 "\toff\n" PUB1 "\t25\n" PUB3 "\t3661\n");
	field_is(dev, "dump", false,
		 PRIV "\t" PUB1 "\t51820\t0x20\n"
		 PUB2 "\t(none)\t[fe80::1%lo]:51820\t(none)\t0\t0\t0\toff\n"
		 PUB1 "\t" PSK "\t192.0.2.1:51820\t10.0.0.0/24,fd00::/64\t1699999935\t1500\t1424\t25\n"
		 PUB3 "\t(none)\t(none)\t192.168.1.0/24\t1699996300\t2097152\t0\t3661\n");
	field_is(dev, "dump", true,
		 "wg0\t" PRIV "\t" PUB1 "\t51820\t0x20\n"
		 "wg0\t" PUB2 "\t(none)\t[fe80::1%lo]:51820\t(none)\t0\t0\t0\toff\n"
		 "wg0\t" PUB1 "\t" PSK "\t192.0.2.1:51820\t10.0.0.0/24,fd00::/64\t1699999935\t1500\t1424\t25\n"
		 "wg0\t" PUB3 "\t(none)\t(none)\t192.168.1.0/24\t1699996300\t2097152\t0\t3661\n");
	field_is(dev, "drops", false, "invalid_mac1\t3\nreplay\t0\n");
	field_is(dev, "drops", true, "wg0\tinvalid_mac1\t3\nwg0\treplay\t0\n");
	CHECK(wgctl_format_field(&o, dev, "bogus", false) == -EINVAL);
	CHECK(wgctl_format_field(&o, dev, "", true) == -EINVAL);
	CHECK(wgctl_format_field(&o, dev, "Dump", true) == -EINVAL);
	CHECK(o.len == 0);
	CHECK(wgctl_valid_field("drops") && !wgctl_valid_field("interfaces"));
	textbuf_wipe(&o);
	uapi_device_free(dev);

	empty = parse_ok("errno=0\n\n");
	if (empty) {
		snprintf(empty->name, sizeof(empty->name), "e");
		field_is(empty, "public-key", false, "(none)\n");
		field_is(empty, "private-key", true, "e\t(none)\n");
		field_is(empty, "listen-port", false, "0\n");
		field_is(empty, "fwmark", false, "off\n");
		field_is(empty, "peers", false, "");
		field_is(empty, "endpoints", true, "");
		field_is(empty, "drops", false, "");
		field_is(empty, "dump", true, "e\t(none)\t(none)\t0\toff\n");
		uapi_device_free(empty);
	}
}

static void test_showconf(void)
{
	struct uapi_device *dev = sample_device();
	struct textbuf o = { 0 };

	if (!dev)
		return;
	wgctl_format_showconf(&o, dev);
	CHECK_STR(o.buf, "[Interface]\n"
			 "ListenPort = 51820\n"
			 "FwMark = 0x20\n"
			 "PrivateKey = " PRIV "\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = " PUB2 "\n"
			 "Endpoint = [fe80::1%lo]:51820\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = " PUB1 "\n"
			 "PresharedKey = " PSK "\n"
			 "AllowedIPs = 10.0.0.0/24, fd00::/64\n"
			 "Endpoint = 192.0.2.1:51820\n"
			 "PersistentKeepalive = 25\n"
			 "\n"
			 "[Peer]\n"
			 "PublicKey = " PUB3 "\n"
			 "AllowedIPs = 192.168.1.0/24\n"
			 "PersistentKeepalive = 3661\n");
	textbuf_wipe(&o);
	uapi_device_free(dev);
	dev = parse_ok("errno=0\n\n");
	if (dev) {
		wgctl_format_showconf(&o, dev);
		CHECK_STR(o.buf, "[Interface]\n\n");
		textbuf_wipe(&o);
		uapi_device_free(dev);
	}
}


static const struct harness_case cases[] = {
	{ "durations and ago: wg(8)'s wording", test_durations },
	{ "transfer units and boundaries", test_bytes },
	{ "show: pretty, sorted, coloured", test_pretty },
	{ "show: every field, dump, drops", test_fields },
	{ "showconf", test_showconf },
};

HARNESS_MAIN(cases)
