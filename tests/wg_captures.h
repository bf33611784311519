/* What the stock wg(8) (wireguard-tools v1.0.20210914) writes to a
 * userspace daemon's socket, captured, and the keys it uses (those of
 * test_config.c, in hex): the daemon side (test_uapi.c) must accept these
 * bytes, the client side (test_wgctl.c) must write them. */
#ifndef RAMPART_TESTS_WG_CAPTURES_H
#define RAMPART_TESTS_WG_CAPTURES_H

#define PRIV_HEX "f0c817105bdbaa96e7923f68746fe7d2f1263cc875782afb26fed02ed0c85079"
#define PUB1_HEX "451901a6880ef0e4e3f44f14bebaf7db6eb26490181fad795bc11959192dfb3f"
#define PUB2_HEX "9ab84fb51d85f5e8453cf6760ae185d7cb5796d60dcb321670c9d5838577575b"
#define PSK_HEX "ad38e2bc1ce6580c57bde4c9b64f105cb3354429f25ad9daf7555dadfe7e0462"
#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"

/* wg set wg0 private-key priv listen-port 51820 fwmark 0x20 \
 *   peer PUB1 preshared-key psk endpoint 192.0.2.1:51820 \
 *   persistent-keepalive 25 allowed-ips 10.0.0.0/24,fd00::/64 \
 *   peer PUB2 remove */
static const char wg_set[] =
	"set=1\n"
	"private_key=" PRIV_HEX "\n"
	"listen_port=51820\n"
	"fwmark=32\n"
	"public_key=" PUB1_HEX "\n"
	"preshared_key=" PSK_HEX "\n"
	"endpoint=192.0.2.1:51820\n"
	"persistent_keepalive_interval=25\n"
	"replace_allowed_ips=true\n"
	"allowed_ip=10.0.0.0/24\n"
	"allowed_ip=fd00::/64\n"
	"public_key=" PUB2_HEX "\n"
	"remove=true\n"
	"\n";

/* The peers of wg setconf of [Interface] PrivateKey, ListenPort = 51821;
 * [Peer] PUB1, Endpoint = [2001:db8::1]:51820, AllowedIPs = 10.0.0.2/32,
 * fd00::2/128; [Peer] PUB2, AllowedIPs = 0.0.0.0/0, PersistentKeepalive = 0. */
#define SETCONF_PEERS                                                      \
	"public_key=" PUB1_HEX "\n"                                        \
	"endpoint=[2001:db8::1]:51820\n"                                   \
	"replace_allowed_ips=true\n"                                       \
	"allowed_ip=10.0.0.2/32\n"                                         \
	"allowed_ip=fd00::2/128\n"                                         \
	"public_key=" PUB2_HEX "\n"                                        \
	"persistent_keepalive_interval=0\n"                                \
	"replace_allowed_ips=true\n"                                       \
	"allowed_ip=0.0.0.0/0\n"

/* That whole wg setconf. */
static const char wg_setconf[] =
	"set=1\n"
	"private_key=" PRIV_HEX "\n"
	"listen_port=51821\n"
	"fwmark=0\n"
	"replace_peers=true\n"
	SETCONF_PEERS
	"\n";

/* wg set wg0 peer PUB1 endpoint [fe80::1%lo]:1 allowed-ips "" */
static const char wg_set_scoped[] =
	"set=1\n"
	"public_key=" PUB1_HEX "\n"
	"endpoint=[fe80::1%lo]:1\n"
	"replace_allowed_ips=true\n"
	"\n";

#endif
