#!/bin/bash
# rampart audit on a hub brought up as seed 002's walk-through does it:
# clean but for documented infos, then each planted mistake alone reports
# exactly that mistake.
#
#   ns inet ("the internet")                      ns hub (a VPS)
#   lo 198.51.100.7/32 (management)               /etc/wireguard, /etc/ssh, /etc/sysctl.d:
#   inet-hub 203.0.113.2/24 ------veth------ hub-inet 203.0.113.1/24    tmpfs, this ns only
#   route 10.6.0.0/24 via 203.0.113.1        default via 203.0.113.2 (the WAN)
#                                            wg0 10.6.0.1/24 :51820 (rampart up wg0)
#                                            canary tcp 22 ("sshd"), sshd_config: keys only
#
# wg0.conf: ListenPort 51820, a /32 per client, SSHFrom = the management
# prefix 198.51.100.0/24, a laptop with Egress = on (full tunnel, NAT), a
# phone split tunnel; every peer with a PresharedKey.
#
# 1. Clean: `rampart audit --json wg0` exits 0 and every finding is an
#    info (listed); SSH from the WAN is filtered, from management open.
# 2. Each mistake alone, undone before the next; its id is among the
#    findings and no other warning or critical id is:
#    a 0644 config (keys.config_mode); two peers on one /32
#    (peers.allowed_ips_overlap, `rampart up` again); SSHFrom = any
#    re-applied (exposure.ssh_any_source; the probe from the WAN opens);
#    a canary on 0.0.0.0:8080 with an accept in a hand-made table: still
#    dropped by Rampart's input chain (nft runs every base chain; an
#    accept is final only for its own), so no finding and the probe is
#    filtered; the same accept inserted into Rampart's input chain: open,
#    exposure.wan_listener and firewall.table_drift (the hand edit);
#    PasswordAuthentication yes
#    (exposure.sshd_password_auth); PermitRootLogin yes
#    (exposure.sshd_root_login); a listener on 0.0.0.0:9586, dropped by
#    the policy (exposure.metrics_public alone).
# 3. A forward accept-all added to Rampart's forward chain
#    (firewall.forward_open), masquerade for the split-tunnel phone
#    (firewall.nat_split_tunnel), ip_forward 0 (firewall.sysctls); each
#    hand edit of Rampart's table is also firewall.table_drift.
# 4. Unattended upgrades turned off (host.unattended_upgrades); the stock
#    wg-quick@.service installed (host.unit_hardening).  The hub has its
#    own dpkg status, apt.conf.d and unit directories (tmpfs).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" nft "$PYTHON"
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD"

for d in /etc/wireguard /etc/ssh /etc/sysctl.d; do
	[ -d "$d" ] || bail "$d does not exist on this host: nothing to mount the hub's tmpfs on"
done

# The VPS's own package state and units, not this machine's: dpkg says
# unattended-upgrades is installed and apt runs it daily; no systemd unit
# of WireGuard's is installed (this machine's wg-quick@.service is not
# hardened).  tmpfs in the hub's mount namespace only.
UNITDIRS="/usr/lib/systemd/system /etc/systemd/system"
host_files() {
	local d
	for d in /var/lib/dpkg /etc/apt/apt.conf.d $UNITDIRS; do
		ns_exec hub mkdir -p "$d" && ns_exec hub mount -t tmpfs -o mode=0755 tmpfs "$d" || return 1
	done
	printf 'Package: unattended-upgrades\nStatus: install ok installed\nVersion: 2.9.1+nmu3\n\n' \
		> "/proc/${NS_HOLDER[hub]}/root/var/lib/dpkg/status" &&
	auto_upgrades
}
auto_upgrades() {
	printf 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' \
		> "/proc/${NS_HOLDER[hub]}/root/etc/apt/apt.conf.d/20auto-upgrades"
}

HN=$(ns_name hub)
IN=$(ns_name inet)
if keys hub laptop phone && ns_add inet && ns_add hub &&
   ns_link inet hub 203.0.113.2/24 203.0.113.1/24 &&
   ip -n "$IN" addr add 198.51.100.7/32 dev lo &&
   ip -n "$IN" route add 10.6.0.0/24 via 203.0.113.1 &&
   ip -n "$HN" route add default via 203.0.113.2 &&
   ns_exec hub mount -t tmpfs -o mode=0700 tmpfs /etc/wireguard &&
   ns_exec hub mount -t tmpfs -o mode=0755 tmpfs /etc/ssh &&
   ns_exec hub mount -t tmpfs -o mode=0755 tmpfs /etc/sysctl.d &&
   host_files && canary hub ssh --tcp 22; then
	ok "topology: inet, hub with its own /etc/wireguard, /etc/ssh, /etc/sysctl.d; canary on 22"
else
	bail "setup failed: topology"
fi
PSK=$("$RAMPART" genpsk 2>/dev/null || wg genpsk)
ETC=/proc/${NS_HOLDER[hub]}/root/etc

# hub_conf SSHFROM PHONE_IPS: /etc/wireguard/wg0.conf in the hub, 0600.
hub_conf() {
	(umask 077; cat > "$ETC/wireguard/wg0.conf") <<CONF
[Interface]
PrivateKey = $(priv hub)
ListenPort = 51820
Address = 10.6.0.1/24

[Policy]
SSHFrom = $1

[Peer]
# Name = laptop
PublicKey = $(pub laptop)
PresharedKey = $PSK
AllowedIPs = 10.6.0.2/32
Egress = on

[Peer]
# Name = phone
PublicKey = $(pub phone)
PresharedKey = $PSK
AllowedIPs = $2
CONF
}
good_conf() { hub_conf 198.51.100.0/24 10.6.0.3/32; }

# sshd_conf PASSWORD ROOT: the hub's sshd config, Debian's shape (the
# drop-in directory included first).
sshd_conf() {
	mkdir -p "$ETC/ssh/sshd_config.d"
	printf 'Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nPermitRootLogin %s\n' "$2" \
		> "$ETC/ssh/sshd_config"
	printf 'PasswordAuthentication %s\n' "$1" > "$ETC/ssh/sshd_config.d/50-keys-only.conf"
}

# The audit's JSON: which ids, and whether every id of WANT (a comma list)
# is found and only those (and ALLOW, a comma list) are warnings or worse.
# WANT "" is the clean run.  Prints the ids.
NS_PY_AUDIT='
import json, sys
want = set(filter(None, sys.argv[1].split(",")))
allow, path = set(filter(None, sys.argv[2].split(","))), sys.argv[3]
d = json.load(open(path))
ids = sorted({f["id"] + ("" if f["severity"] != "info" else "(info)") for f in d})
print(" ".join(ids) or "(none)")
bad = {f["id"] for f in d if f["severity"] != "info"} - want - allow
sys.exit(0 if want <= {f["id"] for f in d} and not bad else 1)
'
# audit TAG: rampart audit --json wg0 in the hub, to $NS_TMP/TAG.json;
# its exit status in AUDIT_RC.
audit() {
	say "[hub] rampart audit --json wg0"
	ns_run hub "$RAMPART" audit --json wg0 >"$NS_TMP/$1.json" 2>"$NS_TMP/$1.err"
	AUDIT_RC=$?
}
# planted NAME WANT_IDS [ALLOW]: the audit finds every id of WANT_IDS (a
# comma list) and no other warning or critical id but ALLOW; exit status
# 1 or 2.
planted() {
	local ids
	audit "$2"
	if ids=$("$PYTHON" -c "$NS_PY_AUDIT" "$2" "${3:-}" "$NS_TMP/$2.json" 2>&1) &&
	   { [ "$AUDIT_RC" = 1 ] || [ "$AUDIT_RC" = 2 ]; }; then
		ok "$1: $2 (exit $AUDIT_RC; $ids)"
	else
		not_ok "$1: $2" "exit $AUDIT_RC; ids: $ids" "$(cat "$NS_TMP/$2.json" "$NS_TMP/$2.err")"
	fi
}
clean() {
	local ids
	audit "clean-$1"
	if ids=$("$PYTHON" -c "$NS_PY_AUDIT" "" "" "$NS_TMP/clean-$1.json" 2>&1) && [ "$AUDIT_RC" = 0 ]; then
		ok "$1: clean but for infos (exit 0; $ids)"
	else
		not_ok "$1: clean but for infos" "exit $AUDIT_RC; ids: $ids" \
			"$(cat "$NS_TMP/clean-$1.json" "$NS_TMP/clean-$1.err")"
	fi
}
# probe LABEL PORT open|filtered [SOURCE]: one TCP connect from inet.
probe() {
	local want="open=0 closed=0 unreach=0 local=0 filtered=1"
	[ "$3" = open ] && want="open=1 closed=0 unreach=0 local=0 filtered=0"
	scan inet p --ports "$2" ${4:+--source "$4"} 203.0.113.1
	expect "$1: tcp $2 from ${4:-the WAN} $3" "$(scan_sum p)" "$want"
}
hnft() { say "[hub] nft $*"; ip netns exec "$HN" nft "$@"; }
# hnft_handle VAR ARGS...: nft --echo --handle ARGS; the new rule's
# handle in VAR.
hnft_handle() {
	local var=$1; shift
	say "[hub] nft -e -a $*"
	printf -v "$var" '%s' "$(ip netns exec "$HN" nft -e -a "$@" | sed -n 's/.*# handle \([0-9]*\).*/\1/p')"
}
hub_up() { rp hub "up-$1" up wg0 || { show_log "up-$1"; return 1; }; }
hub_down() { rp hub "down-$1" down wg0 || { show_log "down-$1"; return 1; }; }

# 1. The clean hub.
good_conf
sshd_conf no prohibit-password
setup "rampart up wg0" hub_up clean
clean "fresh hub"
probe "clean" 22 filtered
probe "clean" 22 open 198.51.100.7

# 2. Each mistake alone.
say "[hub] chmod 644 /etc/wireguard/wg0.conf"
chmod 644 "$ETC/wireguard/wg0.conf"
planted "a 0644 config" keys.config_mode
chmod 600 "$ETC/wireguard/wg0.conf"

hub_conf 198.51.100.0/24 10.6.0.2/32
if hub_down dup && hub_up dup; then
	planted "two peers on one /32" peers.allowed_ips_overlap
else
	not_ok "two peers on one /32: rampart down, up"
fi
good_conf
setup "rampart down, up with the good config" eval 'hub_down undup && hub_up undup'

hub_conf any 10.6.0.3/32
if rp hub ssh-any firewall apply --no-confirm /etc/wireguard/wg0.conf; then
	probe "SSHFrom = any" 22 open
	planted "SSHFrom = any" exposure.ssh_any_source
else
	not_ok "SSHFrom = any: firewall apply"; show_log ssh-any
fi
good_conf
setup "firewall apply with the good config" rp hub ssh-back firewall apply --no-confirm \
	/etc/wireguard/wg0.conf
probe "SSHFrom restored" 22 filtered

setup "a canary on 0.0.0.0:8080" canary hub web --tcp 8080 --bind 0.0.0.0
handmade() {
	hnft add table inet handmade &&
	hnft add chain inet handmade input '{ type filter hook input priority -10; policy accept; }' &&
	hnft add rule inet handmade input tcp dport 8080 accept
}
setup "a hand-made table that accepts tcp 8080" handmade
probe "an accept in a hand-made table" 8080 filtered
clean "an accept in a hand-made table, Rampart's chain drops"
hnft_handle H insert rule inet rampart-wg0 input tcp dport 8080 accept
probe "an accept in Rampart's input chain" 8080 open
planted "a canary on the WAN, accepted" exposure.wan_listener,firewall.table_drift
check "its evidence: the socket and the rule that accepts it" grep -q \
	"0.0.0.0:8080 LISTEN.*accepted: inet rampart-wg0 input rule handle $H\b" \
	"$NS_TMP/exposure.wan_listener,firewall.table_drift.json"
check "the drift's evidence: the rule added by hand" grep -q \
	"table_drift.*running tcp dport 8080 accept" \
	"$NS_TMP/exposure.wan_listener,firewall.table_drift.json"
check "undo: the rule and the hand-made table deleted" eval \
	'hnft delete rule inet rampart-wg0 input handle "$H" && hnft delete table inet handmade'
bg_stop web
clean "the canary gone"

sshd_conf yes prohibit-password
planted "PasswordAuthentication yes" exposure.sshd_password_auth
sshd_conf no yes
planted "PermitRootLogin yes" exposure.sshd_root_login
sshd_conf no prohibit-password

setup "a listener on 0.0.0.0:9586" canary hub metrics --tcp 9586 --bind 0.0.0.0
probe "metrics port" 9586 filtered
planted "metrics on 0.0.0.0:9586" exposure.metrics_public
bg_stop metrics
clean "after every mistake was undone"

# 3. The routing and firewall mistakes; a hand edit of Rampart's table is
#    also firewall.table_drift.
hnft_handle H add rule inet rampart-wg0 forward accept
planted "a forward accept-all by hand" firewall.forward_open,firewall.table_drift
setup "undo the forward accept-all" hnft delete rule inet rampart-wg0 forward handle "$H"
hnft_handle H add rule inet rampart-wg0 postrouting oifname hub-inet ip saddr 10.6.0.3 masquerade
planted "NAT for the split-tunnel phone" firewall.nat_split_tunnel,firewall.table_drift
setup "undo the masquerade" hnft delete rule inet rampart-wg0 postrouting handle "$H"
say "[hub] sysctl net.ipv4.ip_forward=0"
ip netns exec "$HN" sysctl -q -w net.ipv4.ip_forward=0
planted "ip_forward 0 on the hub" firewall.sysctls
ip netns exec "$HN" sysctl -q -w net.ipv4.ip_forward=1
clean "the firewall mistakes undone"

# 4. The host: unattended upgrades turned off; the stock, unhardened
#    wg-quick@.service installed.
say "[hub] rm /etc/apt/apt.conf.d/20auto-upgrades"
rm -f "/proc/${NS_HOLDER[hub]}/root/etc/apt/apt.conf.d/20auto-upgrades"
planted "unattended upgrades off" host.unattended_upgrades
setup "unattended upgrades on again" auto_upgrades
UNIT=/proc/${NS_HOLDER[hub]}/root/usr/lib/systemd/system/wg-quick@.service
cat > "$UNIT" <<'UNIT'
[Unit]
Description=WireGuard via wg-quick(8) for %I
After=network-online.target nss-lookup.target
Wants=network-online.target nss-lookup.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/wg-quick up %i
ExecStop=/usr/bin/wg-quick down %i
Environment=WG_ENDPOINT_RESOLUTION_RETRIES=infinity

[Install]
WantedBy=multi-user.target
UNIT
planted "an unhardened wg-quick@.service" host.unit_hardening
rm -f "$UNIT"
clean "the host mistakes undone"

hub_down end || not_ok "rampart down"
check "no sanitizer report" ns_sanitizer_clean
finish
