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
}


def main():
    names = sys.argv[1:] or list(TARGETS)
    for n in names:
        write(n, TARGETS[n])


if __name__ == "__main__":
    main()
