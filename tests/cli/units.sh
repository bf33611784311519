#!/bin/bash
# The systemd units in contrib/systemd, checked but not run (systemd is
# installed but not PID 1 here):
#  - `systemd-analyze verify` accepts each one, as an instance for wg0
#    with its ExecStart pointed at the built programs, and the wg-quick@
#    drop-in over the stock wg-quick@.service; a misspelt key, in a unit
#    or in the drop-in, is the negative control: verify must fail.
#  - every hardening option the issue lists is set in each unit, or
#    named in a comment that says why not (a unit without UMask= is the
#    control).
#  - the directories the code writes under /run (its #defines: the
#    sockets', the state's, the engine's empty root once the split
#    defines it) are in the RuntimeDirectory= of the units that run it.
#  - `systemd-analyze security --offline=true` scores each at 2.0 or
#    lower; every score is printed.  The stock wg-quick@.service (9.6)
#    and a copy of rampartd@ stripped of its hardening are the negative
#    controls: above 2.0.
#  - `rampart audit --root` over a tree holding them in /etc/systemd/system
#    reports no host.unit_hardening for them, and does for the stock
#    wg-quick@ unit and for one of ours with UMask= taken out.
#  - `make install DESTDIR=...` installs them 0644 in UNITDIR with their
#    programs in BINDIR; `make uninstall` removes them.
. "$(dirname "$0")/../lib.sh"

need_tool systemd-analyze python3 make
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bin=$(readlink -f "$RAMPART_REL")
bind=$(readlink -f "$RAMPARTD_REL")
units=$RAMPART_TOP/contrib/systemd
[ -x "$bin" ] && [ -x "$bind" ] || bail "no $RAMPART_REL or $RAMPARTD_REL: run make"

# The stock unit of Debian's wireguard-tools, where the package is not
# installed (its text as of 1.0.20210914).
stock=/usr/lib/systemd/system/wg-quick@.service
if [ ! -f "$stock" ]; then
	stock=$dir/stock-wg-quick@.service
	cat >"$stock" <<'UNIT'
[Unit]
Description=WireGuard via wg-quick(8) for %I
After=network-online.target nss-lookup.target
Wants=network-online.target nss-lookup.target
PartOf=wg-quick.target
Documentation=man:wg-quick(8)
Documentation=man:wg(8)

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/wg-quick up %i
ExecStop=/usr/bin/wg-quick down %i
ExecReload=/bin/bash -c 'exec /usr/bin/wg syncconf %i <(exec /usr/bin/wg-quick strip %i)'
Environment=WG_ENDPOINT_RESOLUTION_RETRIES=infinity

[Install]
WantedBy=multi-user.target
UNIT
fi

instance() { # UNIT -> its file in $dir, for wg0
	local f=$1 base
	base=$(basename "$f")
	base=${base/@./@wg0.}
	sed -e "s|/usr/local/bin/rampartd|$bind|g" -e "s|/usr/local/bin/rampart|$bin|g" "$f" >"$dir/$base"
	echo "$dir/$base"
}
verify() { systemd-analyze verify --man=no "$@" >"$dir/out" 2>&1 && ! grep -q . "$dir/out"; }

# All first: a unit names others (rampart@ and the engine bind to rampartd@).
for f in "$units"/*.service "$units"/*.timer; do instance "$f" >/dev/null; done
for f in "$units"/*.service "$units"/*.timer; do
	u=$(instance "$f")
	if verify "$u"; then ok "systemd-analyze verify $(basename "$f")"; else not_ok "systemd-analyze verify $(basename "$f")" "$(cat "$dir/out")"; fi
done
bad=$(instance "$units/rampart-peer-apply@.service")
sed -i 's/^ProtectSystem=/ProtectSytem=/' "$bad"
if verify "$bad"; then not_ok "control: a misspelt key fails verify"; else ok "control: a misspelt key fails verify"; fi
instance "$units/rampart-peer-apply@.service" >/dev/null

# The drop-in, as systemd reads it: wg-quick@.service.d beside the unit.
mkdir "$dir/wg-quick@.service.d"
sed "s|/usr/local/bin/rampartd|$bind|g" "$units/wg-quick@.service.d/rampart.conf" \
	>"$dir/wg-quick@.service.d/rampart.conf"
cp "$stock" "$dir/wg-quick@wg0.service"
if verify "$dir/wg-quick@wg0.service"; then ok "systemd-analyze verify wg-quick@.service with the drop-in"
else not_ok "systemd-analyze verify wg-quick@.service with the drop-in" "$(cat "$dir/out")"; fi
check "the drop-in names rampartd as wg-quick's userspace implementation" \
	grep -qx "Environment=WG_QUICK_USERSPACE_IMPLEMENTATION=$bind" "$dir/wg-quick@.service.d/rampart.conf"
sed -i 's/^Environment=/Enviroment=/' "$dir/wg-quick@.service.d/rampart.conf"
if verify "$dir/wg-quick@wg0.service"; then not_ok "control: a misspelt key in the drop-in fails verify"
else ok "control: a misspelt key in the drop-in fails verify"; fi
rm -r "$dir/wg-quick@.service.d"

# uncovered FILE: the options it neither sets nor names in a comment.
options="User RootDirectory ProtectSystem ProtectHome PrivateTmp PrivateDevices DeviceAllow
	PrivateNetwork IPAddressDeny PrivateUsers PrivateMounts PrivateIPC CapabilityBoundingSet
	AmbientCapabilities NoNewPrivileges RestrictAddressFamilies SystemCallFilter
	SystemCallArchitectures LockPersonality MemoryDenyWriteExecute RestrictNamespaces
	RestrictRealtime RestrictSUIDSGID ProtectKernelTunables ProtectKernelModules
	ProtectKernelLogs ProtectControlGroups ProtectClock ProtectHostname ProtectProc ProcSubset
	RemoveIPC UMask KeyringMode"
uncovered() {
	local k
	for k in $options; do
		grep -q "^$k=" "$1" || grep -qE "^#.*\b$k=" "$1" || printf '%s ' "$k"
	done
}
for f in "$units"/*.service; do
	miss=$(uncovered "$f")
	if [ -z "$miss" ]; then ok "$(basename "$f"): every option set or its absence explained"
	else not_ok "$(basename "$f"): every option set or its absence explained" "missing: $miss"; fi
done
sed '/^UMask=/d' "$units/rampart-peer-apply@.service" >"$dir/no-umask.service"
if [ "$(uncovered "$dir/no-umask.service")" = "UMask " ]; then ok "control: a unit without UMask= is caught"
else not_ok "control: a unit without UMask= is caught" "missing: '$(uncovered "$dir/no-umask.service")'"; fi

# code_dirs NAME...: the /run directories those #defines in src/ name
# (/var/run is /run), one a line; a name not defined (yet) gives none.
code_dirs() {
	local n
	for n in "$@"; do
		grep -rhoE "^#define $n \"[^\"]+\"" "$RAMPART_TOP/src" | sed -E 's/.*"(.*)"/\1/; s|^/var/run/|/run/|'
	done | sort -u
}
# unit_dirs FILE: its RuntimeDirectory= entries as /run paths.
unit_dirs() { sed -n 's/^RuntimeDirectory=//p' "$1" | tr ' ' '\n' | sed '/^$/d; s|^|/run/|' | sort -u; }
dirs_ok() { # UNIT NAME...: every directory the names define is the unit's
	local u=$1 want; shift
	want=$(code_dirs "$@")
	[ -n "$want" ] && [ -z "$(comm -23 <(echo "$want") <(unit_dirs "$u"))" ] ||
		{ echo "wants: $want; has: $(unit_dirs "$u" | tr '\n' ' ')"; return 1; }
}
daemon_dirs="SERVER_DIR UAPI_STATS_DIR PRIVSEP_EMPTY_DIR HANDOVER_DIR"
check "rampartd@: RuntimeDirectory= holds the daemon's /run directories" \
	dirs_ok "$units/rampartd@.service" $daemon_dirs
check "rampart@: RuntimeDirectory= holds rampart up's" \
	dirs_ok "$units/rampart@.service" STATE_DIR FIREWALL_STATE_DIR
sed 's/^RuntimeDirectory=.*/RuntimeDirectory=wireguard/' "$units/rampartd@.service" >"$dir/few-dirs.service"
if dirs_ok "$dir/few-dirs.service" $daemon_dirs >/dev/null; then not_ok "control: a unit without /run/rampart-stats is caught"
else ok "control: a unit without /run/rampart-stats is caught"; fi

# score FILE: the overall exposure systemd-analyze prints, e.g. 2.0.
score() {
	systemd-analyze security --offline=true --no-pager "$1" 2>"$dir/err" |
		sed -n 's/^→ Overall exposure level for [^:]*: \([0-9][0-9.]*\) .*/\1/p'
}
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# The ceiling: 2.0, the issue's, for every unit.  What each keeps is the
# job's (its comments say what and why): for rampartd@, root,
# CAP_NET_ADMIN, the host's network, /dev/net/tun; the engine's drop is
# rampartd-engine@'s (CAP_SYS_CHROOT, CAP_SETPCAP, chroot(), capset()).
ceiling() { echo 2.0; }
for f in "$units"/*.service; do
	name=$(basename "$f")
	s=$(score "$(instance "$f")")
	c=$(ceiling "$name")
	if [ -z "$s" ]; then not_ok "systemd-analyze security $name" "no score" "$(cat "$dir/err")"
	elif above "$s" "$c"; then not_ok "systemd-analyze security $name: $s (at most $c)"
	else ok "systemd-analyze security $name: $s (at most $c)"; fi
done

cp "$stock" "$dir/wg-quick@wg0.service"
s=$(score "$dir/wg-quick@wg0.service")
if [ -n "$s" ] && above "$s" 2.0; then ok "control: the stock wg-quick@.service scores $s, above 2.0"
else not_ok "control: the stock wg-quick@.service scores above 2.0" "score '$s'" "$(cat "$dir/err")"; fi
weak=$(instance "$units/rampartd@.service")
sed -i -E '/^(NoNewPrivileges|ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|SystemCallFilter|RestrictAddressFamilies|ProtectKernel[A-Za-z]*)=/d' "$weak"
s=$(score "$weak")
if [ -n "$s" ] && above "$s" "$(ceiling rampartd@.service)"; then
	ok "control: rampartd@ without its hardening scores $s, above its ceiling"
else not_ok "control: rampartd@ without its hardening scores above its ceiling" "score '$s'"; fi
instance "$units/rampartd@.service" >/dev/null

# audit_units ROOT: the units that host.unit_hardening names, sorted.
audit_units() {
	"$RAMPART" audit --root "$1" --json >"$dir/audit" 2>"$dir/err"
	python3 -c 'import json, re, sys
for f in json.load(open(sys.argv[1])):
    if f["id"] == "host.unit_hardening":
        print(re.match(r"the unit (\S+) lacks", f["message"]).group(1))' "$dir/audit" | sort
}
root=$dir/root
mkdir -p "$root/etc/wireguard" "$root/etc/systemd/system"
chmod 700 "$root/etc/wireguard"
cat >"$root/etc/wireguard/wg0.conf" <<'EOC'
[Interface]
PrivateKey = KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18=
ListenPort = 51820

[Peer]
PublicKey = YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs=
PresharedKey = yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I=
AllowedIPs = 10.9.0.2/32
EOC
chmod 600 "$root/etc/wireguard/wg0.conf"
cp "$units"/*.service "$root/etc/systemd/system/"
got=$(audit_units "$root")
if [ -s "$dir/audit" ] && [ -z "$got" ]; then ok "rampart audit: no host.unit_hardening for the shipped units"
else not_ok "rampart audit: no host.unit_hardening for the shipped units" "named: '$got'" "$(cat "$dir/err")"; fi
cp "$stock" "$root/etc/systemd/system/wg-quick@.service"
sed '/^UMask=/d' "$units/rampart@.service" >"$root/etc/systemd/system/rampart@.service"
got=$(audit_units "$root" | tr '\n' ' ')
if [ "$got" = "rampart@.service wg-quick@.service " ]; then
	ok "control: rampart audit reports the stock wg-quick@ and rampart@ without UMask="
else not_ok "control: rampart audit reports the stock wg-quick@ and rampart@ without UMask=" "named: '$got'" "$(cat "$dir/err")"; fi

# make install and uninstall into a staging tree.
stage=$dir/stage
build=$(dirname "$bin")
make -s --no-print-directory -C "$RAMPART_TOP" BUILD="$build" DESTDIR="$stage" \
	PREFIX=/usr BINDIR=/opt/rampart/bin install >"$dir/out" 2>&1 ||
	not_ok "make install" "$(cat "$dir/out")"
inst_ok() {
	local f u
	for f in "$units"/*.service "$units"/*.timer; do
		u=$stage/usr/lib/systemd/system/$(basename "$f")
		[ "$(stat -c %a "$u" 2>/dev/null)" = 644 ] || { echo "$u: not 0644"; return 1; }
		! grep -q /usr/local/bin "$u" || { echo "$u: still names /usr/local/bin"; return 1; }
	done
	grep -qx 'ExecStart=/opt/rampart/bin/rampartd -f --wait-engine %i' "$stage/usr/lib/systemd/system/rampartd@.service" &&
		grep -qx 'ExecStart=/opt/rampart/bin/rampartd --engine %i' "$stage/usr/lib/systemd/system/rampartd-engine@.service" &&
		grep -qx 'ExecStart=/opt/rampart/bin/rampart up --no-confirm /etc/wireguard/%i.conf' \
			"$stage/usr/lib/systemd/system/rampart@.service" &&
		[ "$(stat -c %a "$stage/opt/rampart/bin/rampart")" = 755 ]
}
check "make install: the units 0644 in UNITDIR, their programs in BINDIR" inst_ok
make -s --no-print-directory -C "$RAMPART_TOP" BUILD="$build" DESTDIR="$stage" \
	PREFIX=/usr BINDIR=/opt/rampart/bin uninstall >"$dir/out" 2>&1 ||
	not_ok "make uninstall" "$(cat "$dir/out")"
check "make uninstall: no file left" test -z "$(find "$stage" -type f)"
finish
