#!/usr/bin/env python3
"""Writes the generated seeds of the fuzz targets' corpora
(tests/fuzz/corpus/NAME/seed-*), from the inputs the unit, CLI and
namespace tests already use: set arguments, privileged requests and the
handover, firewall state records, peer requests and imported configs.
Run from anywhere: python3 tests/fuzz/seeds.py [NAME...].  It replaces
only seed-* files; the inputs that once made a target fail (crash-*,
named for the bug) stay.  See docs/fuzzing.md."""

import os
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")

# The keys of tests/unit/client_fixture.h.
PRIV = "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="
PUB1 = "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8="
PUB2 = "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s="
PSK = "rTjivBzmWAxXveTJtk8QXLM1RCnyWtna91Vdrf5+BGI="
PUB3 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="


def argv(*args):
    """NUL-separated, as fuzz_setargs splits its input."""
    return b"\0".join(a.encode() for a in args)


# tests/unit/test_setargs.c and the `wg set` lines of tests/netns.  Key
# files: "@TEXT" is a file holding TEXT; any other word picks a fixture
# by its length (fuzz_setargs.c).
SETARGS = {
    "full": argv("private-key", "@" + PRIV + "\n", "listen-port", "51820", "fwmark", "0x20",
                 "peer", PUB1, "preshared-key", "@" + PSK + "\n", "endpoint",
                 "192.0.2.1:51820", "persistent-keepalive", "25", "allowed-ips",
                 "10.0.0.0/24,fd00::/64", "peer", PUB2, "remove"),
    "scoped": argv("peer", PUB1, "endpoint", "[fe80::1%lo]:1", "allowed-ips", ""),
    "name": argv("peer", PUB1, "endpoint", "localhost:51820"),
    "plusminus": argv("peer", PUB1, "allowed-ips", " 10.0.0.1/32 , -10.0.0.2/32",
                      "allowed-ips", "+fd00::1", "persistent-keepalive", "off",
                      "preshared-key", "/dev/null"),
    "zeros": argv("private-key", "@", "listen-port", "0", "fwmark", "off", "peer", PUB1,
                  "peer", PUB1),
    "hostbits": argv("private-key", "exposed", "peer", PUB1, "allowed-ips", "10.0.0.1/24"),
    "port": argv("listen-port", "51821"),
    "fwmark": argv("fwmark", "0x1234"),
    "keepalive": argv("peer", PUB2, "persistent-keepalive", "25"),
    "remove": argv("peer", PUB3, "remove"),
    "default-route": argv("peer", PUB3, "allowed-ips", "0.0.0.0/0,::/0", "endpoint",
                          "192.0.2.2:51820"),
    "hub": argv("private-key", "@" + PRIV, "listen-port", "51820", "peer", PUB1,
                "allowed-ips", "10.66.0.2/32", "peer", PUB2, "endpoint", "[2001:db8::1]:51820",
                "allowed-ips", "10.66.0.9/32,-10.66.0.2/32,+fd66::9/128"),
    "bad-port": argv("listen-port", "70000"),
    "bad-key-file": argv("peer", PUB1, "preshared-key", "@ " + PSK),
    "bad-endpoint": argv("peer", PUB1, "endpoint", "[::1:1"),
    "bad-prefix": argv("peer", PUB1, "allowed-ips", "10.0.0.1/32,"),
    "bad-order": argv("peer", PUB1, "listen-port", "1"),
}


# src/daemon/privreq.h: a header (type, length) and a body, host order.
def privreq(type_, body, hlen=None):
    n = 8 + len(body) if hlen is None else hlen
    return b"\0" + struct.pack("=II", type_, n) + body


# src/daemon/handover.h's struct handover_wire (304 bytes): ten u32, four
# u64, the name and two socket paths; after the selector byte and the
# count of descriptors that came with it.
def handover(n_fds, n_queues=1, families=1, has_stats=0, mtu=1420, port=51820, magic=0x52504831,
             ifname=b"tst0", ctl=b"/nonexistent/tst0.sock", stats=b"", vnet=0, offloads=0):
    w = struct.pack("=10I4Q16s108s108s", magic, n_queues, 1, mtu, families, port, has_stats,
                    0x20, offloads, vnet, 0, 0, 0, 0, ifname, ctl, stats)
    return b"\1" + bytes([n_fds]) + w


# tests/unit/test_privreq.c and test_handover.c.
PRIVREQ = {
    "bind": privreq(1, struct.pack("=II", 51820, 0)),
    "bind-fwmark": privreq(1, struct.pack("=II", 65535, 0x1234)),
    "bind-port0": privreq(1, struct.pack("=II", 0, 0)),
    "bind-port65536": privreq(1, struct.pack("=II", 65536, 0)),
    "bind-short": privreq(1, struct.pack("=II", 51820, 0), hlen=15),
    "commit": privreq(2, struct.pack("=I", 1)),
    "drop": privreq(2, struct.pack("=I", 0)),
    "commit-2": privreq(2, struct.pack("=I", 2)),
    "fwmark": privreq(3, struct.pack("=I", 0xffffffff)),
    "tun": privreq(4, b"wg1".ljust(16, b"\0")),
    "unknown": privreq(5, struct.pack("=I", 0)),
    "header-only": privreq(3, b"", hlen=8),
    "short": b"\0" + struct.pack("=I", 1),
    "handover": handover(5),
    "handover-stats": handover(6, has_stats=1, stats=b"/run/rampart-stats/tst0.stats"),
    "handover-dual": handover(16, n_queues=4, families=3, has_stats=1, vnet=1, offloads=3,
                              stats=b"/run/rampart-stats/tst0.stats"),
    "handover-max": handover(196, n_queues=64, families=3, has_stats=1),
    "handover-v6": handover(5, families=2, port=0),
    "handover-few": handover(4),
    "handover-magic": handover(5, magic=0x52504830),
    "handover-queues0": handover(3, n_queues=0),
    "handover-family4": handover(5, families=5),
    "handover-noname": handover(5, ifname=b"a" * 16),
}


def golden(path):
    with open(os.path.join(TOP, "tests", "golden", path), "rb") as f:
        return f.read()


def listing(path, table):
    """A golden policy's table as nft's stateless listing would have it:
    the table block, without the comments and the add/delete lines."""
    text = golden(path)
    return text[text.index(b"table inet %s {\n" % table.encode()):]


# src/firewall/snapshot.c's snapshot_format, fwdir.c's records.
def snapshot(table, body, exists=True, taken=1700000000):
    head = ("# rampart: table inet %s as it was before an apply; `nft -f` this file to "
            "restore it\n# taken %d\n# table %s\nadd table inet %s\ndelete table inet %s\n"
            % (table, taken, "present" if exists else "absent", table, table)).encode()
    return head + (body if exists else b"")


def pending(restore, id_="4242.1700000000123456789", deadline=123000000000, window=30,
            applied=1700000000, guard=4243, extra=b""):
    return (b"rampart-firewall-pending 1\nid %s\ndeadline %d\nwindow %d\napplied %d\n"
            b"guard %d\n" % (id_.encode(), deadline, window, applied, guard) + extra +
            b"restore:\n" + restore)


def outcome(id_, word, reason):
    return ("id %s\nresult %s\nreason %s\n" % (id_, word, reason)).encode()


CLIENT = snapshot("rampart-wg0", listing("policy/client.nft", "rampart-wg0"))
FWSTATE = {
    "snapshot-client": CLIENT,
    "snapshot-site": snapshot("rampart-branch", listing("policy/site.nft", "rampart-branch")),
    "snapshot-absent": snapshot("rampart-wg0", b"", exists=False),
    "snapshot-late": snapshot("late", golden("audit/fw_limit_late.nft")),
    "snapshot-negative": snapshot("rampart-x", b"", exists=False, taken=-1),
    "pending-client": pending(CLIENT),
    "pending-absent": pending(snapshot("rampart-wg0", b"", exists=False), guard=0),
    "pending-max": pending(b"", id_="1." + "9" * 40, deadline=2**64 - 1, window=2**32 - 1,
                           applied=-2**63, guard=2**31 - 1),
    "pending-old": b"rampart-firewall-pending 1\nid 7.8\ndeadline 5\nwindow 30\nrestore:\n",
    "pending-unknown": pending(b"", extra=b"owner root\n"),
    "pending-sign": pending(b"", extra=b"window +30\n"),
    "outcome-kept": outcome("4242.1700000000123456789", "kept", "confirmed by `rampart confirm`"),
    "outcome-rolled-back": outcome("4242.1", "rolled-back", "not confirmed within 30 s"),
    "outcome-flushed": outcome("4242.1", "flushed", "flushed by `rampart firewall flush`"),
    "outcome-failed": outcome("4242.1", "failed", "rolled back on SIGHUP, but restoring table "
                              "inet rampart-wg0 failed: Error: Could not process rule"),
    "outcome-long": outcome("4242.1", "failed", "x" * 300),
    "outcome-twice": b"id a\nresult kept\nid b\nresult flushed",
}


# tests/cli/peer.sh's requests, tests/cli/peer_import.sh's configs (its
# keys from wg genkey there, client_fixture.h's here), the golden client
# configs; "pools ..." first gives the interface's pools.
def request(name, key, head=b""):
    return head + b"Name = %s\nPublicKey = %s\n" % (name.encode(), key.encode())


IMPORT = ("[Interface]\nPrivateKey = %s\nAddress = 10.8.0.1/24, fd08::1/64\nListenPort = 51820\n\n"
          "[Peer]\n# Name = laptop\nPublicKey = %s\nPresharedKey = %s\n"
          "AllowedIPs = 10.8.0.2/32, fd08::2/128\n\n"
          "[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.3/32\nPersistentKeepalive = 25\n\n"
          "[Peer]\n# Name = office\nPublicKey = %s\nAllowedIPs = 10.8.0.4/32, 192.168.50.0/24\n"
          "PersistentKeepalive = 15\n" % (PRIV, PUB1, PSK, PUB2, PUB3)).encode()


def peer_conf(*peers):
    out = "[Interface]\nPrivateKey = %s\n" % PRIV
    for name, key, ips in peers:
        out += "\n[Peer]\n%sPublicKey = %s\nAllowedIPs = %s\n" % (
            "# Name = %s\n" % name if name else "", key, ips)
    return out.encode()


INVENTORY = {
    "request": request("phone", PUB1),
    "request-comments": request("tablet", PUB2, b"# from the client\n\n"),
    "request-crlf": b"name = laptop\r\n\tpublickey=\t" + PUB3.encode() + b" \r\n",
    "request-bogus": b"Bogus = 1\n",
    "request-nokey": b"Name = x4\n",
    "request-badkey": b"Name = x5\nPublicKey = notakey\n",
    "request-twice": request("a", PUB1) + request("b", PUB2),
    "import": IMPORT,
    "import-pools": b"pools 10.8.0.1/24, fd08::1/64, 192.168.7.1/24\n" + IMPORT,
    "import-overlap": peer_conf(("good", PUB1, "10.8.0.9/32"),
                                ("thief", PUB2, "10.8.0.20/32, 192.168.50.128/25")),
    "import-self": peer_conf(("a1", PUB1, "10.8.0.30/32"), ("a2", PUB2, "10.8.0.30/32")),
    "import-badip": peer_conf((None, PUB2, "10.8.0.300/32")),
    "import-badname": b"[Peer]\n# Name = no way\nPublicKey = " + PUB2.encode() +
                      b"\nAllowedIPs = 10.8.0.40/32\n",
    "import-two": peer_conf(("twice", PUB2, "10.8.0.41/32, 10.8.0.42/32")),
    "import-hub": peer_conf(("hub", PUB1, "10.8.0.1/32")),
    "import-sites": peer_conf(("site", PUB1, "10.8.0.5/32, 10.8.0.0/30, 192.168.50.7/24, "
                               "10.9.0.1/32, fd99::/48, fd08::5/128")),
    "import-nopeer": b"[Interface]\nPrivateKey = " + PRIV.encode() + b"\n",
    "client-split-dual": golden("inventory/split-dual-psk.conf"),
    "client-full-ipv4": golden("inventory/full-ipv4.conf"),
    "hub-s3": golden("conf/s3-hub.conf"),
    "site-s3": golden("conf/s3-site-a.conf"),
}


def write(name, seeds):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for k, v in seeds.items():
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(v)


TARGETS = {
    "setargs": SETARGS,
    "privreq": PRIVREQ,
    "fwstate": FWSTATE,
    "inventory": INVENTORY,
}


def main():
    names = sys.argv[1:] or list(TARGETS)
    for n in names:
        write(n, TARGETS[n])


if __name__ == "__main__":
    main()
