#!/bin/bash
# The SSH session a policy change runs in, and the sysctls of the roles.
#
#   ns mgmt  m-hub 10.91.0.2/24, 10.91.0.3/24 ----veth---- hub-m 10.91.0.1/24  ns hub
#                                                           canary tcp 22 ("sshd")
#                                                           wg0: a bare TUN (no daemon)
#
# 1. Control: `rampart firewall apply` of a hub whose SSH is "tunnel" only,
#    run without SSH_CONNECTION: port 22 from mgmt is filtered.
# 2. The same, run as from an SSH session from 10.91.0.2 (SSH_CONNECTION):
#    apply says it keeps that session's source, 22 is open from
#    10.91.0.2 and still filtered from 10.91.0.3.
# 3. Sysctls: before, the namespace's defaults; after the hub's apply,
#    forwarding, rp_filter, no redirects, syncookies, martians as the
#    role wants, and `rampart firewall show CONFIG` reports every one ok;
#    nothing in /etc/sysctl.d (a tmpfs in this namespace) until
#    --persist-sysctls writes 90-rampart-wg0.conf; `Policy = off` removes
#    the table and puts every value back.
# 4. A client config (a /0 peer): no forwarding set, loose rp_filter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require nft "$PYTHON"
ns_watchdog 90

HN=$(ns_name hub)
if ns_add hub && ns_add mgmt &&
   ns_link mgmt hub 10.91.0.2/24 10.91.0.1/24 &&
   ip -n "$(ns_name mgmt)" addr add 10.91.0.3/24 dev mgmt-hub &&
   ip -n "$HN" tuntap add dev wg0 mode tun &&
   ns_exec hub mount -t tmpfs -o mode=0755 tmpfs /etc/sysctl.d &&
   canary hub ssh --tcp 22; then
	echo "# setup: topology"
else
	bail "setup failed: topology"
fi

KEY=$("$RAMPART" genkey)
PUB=$("$RAMPART" genkey | "$RAMPART" pubkey)
mkdir -p "$NS_TMP/hub" "$NS_TMP/off" "$NS_TMP/client"
cat > "$NS_TMP/hub/wg0.conf" <<CONF
[Interface]
PrivateKey = $KEY
ListenPort = 51820
Address = 10.66.0.1/24, fd66::1/64

[Peer]
PublicKey = $PUB
AllowedIPs = 10.66.0.2/32, fd66::2/128
CONF
{ cat "$NS_TMP/hub/wg0.conf"; printf '\n[Interface]\nPolicy = off\n'; } > "$NS_TMP/off/wg0.conf"
cat > "$NS_TMP/client/wg0.conf" <<CONF
[Interface]
PrivateKey = $KEY
Address = 10.66.0.2/32

[Peer]
PublicKey = $PUB
Endpoint = 10.91.0.2:51820
AllowedIPs = 0.0.0.0/0
CONF

# probe22 SOURCE WANT: one TCP connect from mgmt, bound to SOURCE.
probe22() {
	scan mgmt p22 --ports 22 --source "$1" 10.91.0.1
	if [ "$2" = open ]; then want="open=1 closed=0 unreach=0 local=0 filtered=0"
	else want="open=0 closed=0 unreach=0 local=0 filtered=1"; fi
	expect "port 22 from $1: $2 ($3)" "$(scan_sum p22)" "$want"
}
sysctl_of() { ns_run hub cat "/proc/sys/$(echo "$1" | tr . /)"; }
KEYS="net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.rp_filter
net.ipv4.conf.all.accept_redirects net.ipv4.conf.all.send_redirects
net.ipv6.conf.all.accept_redirects net.ipv4.conf.all.accept_source_route
net.ipv4.tcp_syncookies net.ipv4.conf.all.log_martians"
values() { local k; for k in $KEYS; do printf '%s=%s ' "$k" "$(sysctl_of "$k")"; done; }

BEFORE=$(values)
say "sysctls before: $BEFORE"
probe22 10.91.0.2 open "no policy yet"

# 1. Control: not from an SSH session.
if rp hub apply1 firewall apply --no-confirm "$NS_TMP/hub/wg0.conf"; then
	ok "apply without SSH_CONNECTION"
else
	not_ok "apply without SSH_CONNECTION"; show_log apply1
fi
probe22 10.91.0.2 filtered "SSH only over the tunnel"

# 2. As from an SSH session from 10.91.0.2.
say "[hub] SSH_CONNECTION='10.91.0.2 50022 10.91.0.1 22' rampart firewall apply --no-confirm"
if ns_run hub env SSH_CONNECTION="10.91.0.2 50022 10.91.0.1 22" "$RAMPART" firewall apply \
	--no-confirm "$NS_TMP/hub/wg0.conf" </dev/null >"$NS_TMP/apply2.log" 2>&1 &&
   grep -q 'keeping SSH from 10.91.0.2 to port 22 open' "$NS_TMP/apply2.log"; then
	ok "apply from an SSH session says it keeps the session's source"
else
	not_ok "apply from an SSH session says it keeps the session's source"; show_log apply2
fi
probe22 10.91.0.2 open "the session's source"
probe22 10.91.0.3 filtered "another source"

# 3. The hub's sysctls.
want="net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=1 \
net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.all.send_redirects=0 \
net.ipv6.conf.all.accept_redirects=0 net.ipv4.conf.all.accept_source_route=0 \
net.ipv4.tcp_syncookies=1 net.ipv4.conf.all.log_martians=1 "
expect "hub: sysctls as the role wants" "$(values)" "$want"
ns_run hub "$RAMPART" firewall show "$NS_TMP/hub/wg0.conf" >"$NS_TMP/show.log" 2>&1
if grep -q '^sysctls (role hub):' "$NS_TMP/show.log" &&
   ! grep -E '^  net\.' "$NS_TMP/show.log" | grep -qv ' ok$' &&
   grep -qE '^  net\.ipv4\.ip_forward +want 1 +is 1 +ok$' "$NS_TMP/show.log"; then
	ok "firewall show reports every sysctl ok"
else
	not_ok "firewall show reports every sysctl ok"; show_log show
fi
expect "nothing persisted without --persist-sysctls" "$(ns_run hub ls -A /etc/sysctl.d)" ""
if rp hub apply3 firewall apply --no-confirm --persist-sysctls "$NS_TMP/hub/wg0.conf" &&
   ns_run hub grep -qx 'net.ipv4.ip_forward = 1' /etc/sysctl.d/90-rampart-wg0.conf; then
	ok "--persist-sysctls writes /etc/sysctl.d/90-rampart-wg0.conf"
else
	not_ok "--persist-sysctls writes /etc/sysctl.d/90-rampart-wg0.conf"; show_log apply3
	ns_run hub cat /etc/sysctl.d/90-rampart-wg0.conf >&2
fi
if rp hub off firewall apply --no-confirm "$NS_TMP/off/wg0.conf" &&
   [ -z "$(ip netns exec "$HN" nft list tables)" ]; then
	ok "Policy = off: the table is gone"
else
	not_ok "Policy = off: the table is gone"; show_log off
fi
expect "Policy = off: every sysctl is back" "$(values)" "$BEFORE"

# 4. A full-tunnel client.
if rp hub client firewall apply --no-confirm "$NS_TMP/client/wg0.conf"; then
	ok "client: applied"
else
	not_ok "client: applied"; show_log client
fi
expect "client: forwarding left alone, loose rp_filter" \
	"$(sysctl_of net.ipv4.ip_forward) $(sysctl_of net.ipv4.conf.all.rp_filter)" \
	"$(echo "$BEFORE" | sed -n 's/.*net.ipv4.ip_forward=\([0-9]*\).*/\1/p') 2"
rp hub flush firewall apply --no-confirm "$NS_TMP/off/wg0.conf" || show_log flush
finish
