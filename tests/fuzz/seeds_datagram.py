#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_datagram and fuzz_classify.

    tests/fuzz/seeds_datagram.py [TOP]

classify/: datagrams of every type at, around and far from its size,
handshake messages with a valid mac1 (and mac2, for fuzz_classify's
fixed cookie secret) built around the Noise vector of
tests/vectors/noise_ikpsk2.txt and the low-order points of
tests/vectors/x25519_low_order.txt, and inner IPv4 and IPv6 packets.
datagram/: inputs in fuzz_datagram's record format (see its top
comment): sealed data in and out of order and at the window's edges,
handshakes both ways, cookies under load, held jobs, timers, roaming,
configuration changes, and the raw datagrams above.  Only the standard
library: the macs are BLAKE2s (hashlib), and fuzz_datagram seals and
handshakes itself.  Files this script does not write (inputs that once
crashed a target) are left alone.
"""
import hashlib
import os
import struct
import sys

TOP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
# fuzz_world.h's A: test_config.c's key, whose public key is wg_captures.h's PUB1_HEX.
A_PUB = bytes.fromhex("451901a6880ef0e4e3f44f14bebaf7db6eb26490181fad795bc11959192dfb3f")
# fuzz_classify.c: SECRET_BYTE, and the sources it checks from.
SECRET = bytes([0xC5]) * 32
SRC4 = bytes([192, 0, 2, 2]) + struct.pack(">H", 51821)
SRC6 = bytes.fromhex("20010db8000000000000000000000003") + struct.pack(">H", 51822)

# fuzz_datagram.c's record kinds.
RAW, SEAL, CLOCK, INITIATE, FROM, TO, SEND, REPLAY, LOAD, JOB, CONFIG = range(11)
REJECT_AFTER_MESSAGES = 2**64 - 2**13 - 1


def vectors(name):
    """The key = value records of a vector file, in order."""
    out = []
    with open(os.path.join(TOP, "tests", "vectors", name)) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = (s.strip() for s in line.split("=", 1))
                out.append((key, value))
    return out


def mac(key, data):
    return hashlib.blake2s(data, digest_size=16, key=key).digest()


def with_macs(body, src=None):
    """body (all but the macs) with mac1 for A, and mac2 for src's cookie."""
    mac1_key = hashlib.blake2s(b"mac1----" + A_PUB).digest()
    msg = body + mac(mac1_key, body)
    if src is None:
        return msg + bytes(16)
    return msg + mac(mac(SECRET, src), msg)


def initiation(index, ephemeral, rest, src=None):
    body = struct.pack("<II", 1, index) + ephemeral + rest
    return with_macs(body[:116].ljust(116, b"\0"), src)


def response(sender, receiver, ephemeral, rest, src=None):
    body = struct.pack("<III", 2, sender, receiver) + ephemeral + rest
    return with_macs(body[:60].ljust(60, b"\0"), src)


def ipv4(payload, total=None, ihl=5):
    total = 20 + len(payload) if total is None else total
    return bytes([0x40 | ihl, 0]) + struct.pack(">H", total) + bytes(4) + bytes([64, 17, 0, 0]) + \
        bytes([10, 0, 0, 2, 10, 0, 0, 1]) + payload


def ipv6(payload, plen=None):
    plen = len(payload) if plen is None else plen
    return bytes([0x60, 0, 0, 0]) + struct.pack(">H", plen) + bytes([17, 64]) + \
        bytes.fromhex("fd000000000000000000000000000002") + \
        bytes.fromhex("fd000000000000000000000000000001") + payload


def classify_seeds():
    noise = dict(vectors("noise_ikpsk2.txt"))
    low = sorted({v for k, v in vectors("x25519_low_order.txt") if k == "public"})
    e_i, e_r = bytes.fromhex(noise["init_ephemeral"]), bytes.fromhex(noise["resp_ephemeral"])
    msg0, msg1 = bytes.fromhex(noise["msg0_ct"]), bytes.fromhex(noise["msg1_ct"])
    seeds = {
        "empty": b"",
        "three-bytes": b"\x01\x00\x00",
        "init-zero": struct.pack("<I", 1) + bytes(144),
        "init-short": struct.pack("<I", 1) + bytes(143),
        "init-long": struct.pack("<I", 1) + bytes(145),
        "init-reserved-set": b"\x01\x00\x01\x00" + bytes(144),
        "resp-zero": struct.pack("<I", 2) + bytes(88),
        "resp-long": struct.pack("<I", 2) + bytes(89),
        "cookie-zero": struct.pack("<I", 3) + bytes(60),
        "cookie-short": struct.pack("<I", 3) + bytes(59),
        "data-keepalive": struct.pack("<IIQ", 4, 7, 0) + bytes(16),
        "data-short": struct.pack("<IIQ", 4, 7, 0) + bytes(15),
        "data-reserved-set": b"\x04\x01\x00\x00" + bytes(44),
        "type5": struct.pack("<I", 5) + bytes(60),
        "type255": b"\xff\x00\x00\x00" + bytes(28),
        # The cacophony vector's first message as a WireGuard initiation
        # (its bodies are 4 bytes longer: they are cut to size).
        "init-vector-mac1": initiation(0x11223344, e_i, msg0[32:]),
        "init-vector-mac2-v4": initiation(0x11223344, e_i, msg0[32:], SRC4),
        "resp-vector-mac1": response(0x55667788, 0x11223344, e_r, msg1[32:]),
        "resp-vector-mac2-v6": response(0x55667788, 0x11223344, e_r, msg1[32:], SRC6),
        "inner-ipv4": ipv4(b"ping"),
        "inner-ipv4-options": ipv4(bytes(40) + b"x", ihl=15),
        "inner-ipv4-total-past-end": ipv4(b"ping", total=200),
        "inner-ipv4-ihl-short": ipv4(b"ping", ihl=4),
        "inner-ipv6": ipv6(b"ping"),
        "inner-ipv6-past-end": ipv6(b"ping", plen=100),
    }
    for i, point in enumerate(low[:4]):
        seeds["init-low-order-%d" % i] = initiation(i + 1, bytes.fromhex(point), bytes(76))
    return seeds


def rec(kind, body=b""):
    assert len(body) < 255
    return bytes([kind, len(body)]) + body


def seal(counter, payload=b"ping", shape=1, sel=0, node=0, key=0, hold=0, split=0, ep=0, nopad=0):
    wide = counter > 0xFFFF
    b0 = shape | sel << 2 | node << 4 | key << 5 | hold << 7
    b1 = split | wide << 1 | ep << 2 | nopad << 4
    c = struct.pack("<Q" if wide else "<H", counter)
    return rec(SEAL, bytes([b0, b1]) + c + payload)


def clock(amount, unit=0):
    return rec(CLOCK, struct.pack("<HB", amount, unit))


def initiate(node, what=0):
    return rec(INITIATE, bytes([node | what << 1]))


def frm(node, ep=0, path=0, flip=None, keep=0, hold=0):
    b0 = node | ep << 1 | path << 3 | (0x20 if flip else 0) | keep << 6 | hold << 7
    return rec(FROM, bytes([b0]) + (bytes(flip) if flip else b""))


def to(node, flip=None, keep=0):
    return rec(TO, bytes([node | (2 if flip else 0) | keep << 2]) + (bytes(flip) if flip else b""))


def send(dst, payload=b"hello", v6=0, noroom=0, from_node=None):
    b0 = dst | v6 << 2 | noroom << 3
    if from_node is not None:
        b0 |= 0x10 | from_node << 5
    return rec(SEND, bytes([b0]) + payload)


def replay(i, ep=0, split=0):
    return rec(REPLAY, bytes([i | ep << 3 | split << 5]))


def load(n):
    return rec(LOAD, struct.pack("<H", n))


def job(i):
    return rec(JOB, bytes([i]))


def config(op, node, arg=0):
    return rec(CONFIG, bytes([op, node, arg]))


def raw(datagram, ep=0, node=0, path=0):
    return rec(RAW, bytes([ep | node << 2 | path << 3]) + datagram)


def datagram_seeds(classify):
    hs_b = initiate(0) + frm(0) + to(0) + frm(0)
    seeds = {
        "seal-in-order": b"".join(seal(c) for c in range(5)),
        "seal-reordered-replayed": b"".join(seal(c) for c in (100, 3, 99, 3, 100, 0)),
        "seal-window-edge": seal(9000) + seal(9000 - 8128) + seal(9000 - 8129) + seal(9000),
        "seal-counter-limit": seal(REJECT_AFTER_MESSAGES - 1) + seal(REJECT_AFTER_MESSAGES) +
        seal(5),
        "seal-keepalive-confirms": seal(0, shape=3) + seal(1, shape=2) + seal(2, shape=0,
                                                                                payload=b"junk"),
        "seal-sources": seal(0, sel=1) + seal(1, sel=2) + seal(2, sel=3) + seal(3, shape=2, sel=1),
        "seal-split": seal(0, split=1) + seal(0, split=1) + replay(0, split=1),
        "seal-held": seal(0, hold=1) + seal(1, hold=1) + seal(0) + job(1) + job(0),
        "held-peer-removed": seal(0, hold=1) + config(0, 0) + job(0) + config(1, 0) + seal(1),
        "held-rehandshake": seal(0, hold=1) + hs_b + seal(1, key=1, hold=1) + job(0) + job(1),
        "handshake-from-b": hs_b + seal(1, key=1) + seal(1, key=1) + seal(0, key=2) + replay(1),
        "handshake-to-c": send(1) + to(1) + frm(1) + to(1) + seal(0, node=1, key=1) +
        seal(1, node=1, key=1, sel=2),
        "handshake-c-initiates": initiate(1) + frm(1) + to(1) + frm(1) + send(1, v6=1) + to(1),
        "cookie-under-load": load(2000) + initiate(0) + frm(0) + to(0) + clock(5500) + frm(0) +
        to(0) + frm(0) + load(0) + clock(2, 1),
        "cookie-gated": load(2000) + initiate(0) + frm(0, path=2) + to(0) + clock(5500) +
        frm(0, path=2) + to(0) + frm(0, path=2),
        "gated-stale-identity": raw(b"", path=2) + config(3, 0, 1) + initiate(0) + frm(0, path=3) +
        config(3, 0, 0) + clock(6, 1) + initiate(0) + frm(0, path=3) + to(0) + frm(0, path=3),
        "gated-response-held": initiate(0) + frm(0, path=2, hold=1) + clock(6, 1) + initiate(0) +
        frm(0) + job(0x80) + to(0) + to(0) + initiate(1) + frm(1, path=2, hold=1) + config(0, 1) +
        job(0x80) + frm(0, path=2, keep=1, hold=1),
        "gated-and-split": initiate(0) + frm(0, path=2) + to(0) + frm(0, path=1) +
        seal(1, key=1, split=1),
        "timers-deadlines": seal(0, shape=3) + clock(0, 2) + clock(0, 3) + clock(0, 2) +
        clock(0, 2) + clock(130, 1) + clock(0, 2) + clock(600, 1) + seal(7),
        "timers-passive-keepalive": seal(0) + clock(10, 1) + to(0) + clock(0, 2) + to(0),
        "roaming": seal(0, ep=1) + seal(1, ep=2) + hs_b + frm(0, ep=1) + send(0) + to(0),
        "identity-changes": config(3, 0, 1) + initiate(0) + frm(0) + config(3, 0, 0) +
        clock(6, 1) + initiate(0) + frm(0) + config(3, 0, 2) + seal(0),
        "identity-of-a-peer": seal(0) + config(3, 0, 3) + seal(1) + initiate(0) + frm(0) +
        config(1, 0) + config(3, 0, 0) + config(1, 0) + initiate(0) + clock(6, 1) + initiate(0) +
        frm(0) + to(0) + frm(0) + seal(1, key=1),
        "psk-mismatch": config(4, 0, 1) + initiate(0) + frm(0) + config(4, 0, 3) + clock(6, 1) +
        initiate(0) + frm(0) + to(0),
        "no-endpoint": config(5, 1, 4) + send(1) + config(5, 1, 1) + send(1) + send(2) + send(3),
        "send-no-room": hs_b + send(0, noroom=1) + send(0, v6=1) + to(0) + to(0),
        "persistent-keepalive": config(2, 1, 25) + to(1) + frm(1) + to(1) + clock(26, 1) + to(1),
        "mutated-handshake": initiate(0) + frm(0, flip=(40, 1)) + clock(6, 1) + initiate(0) +
        frm(0) + to(0, flip=(20, 0x80)) + seal(3),
        "mutated-data": seal(0) + replay(0) + hs_b + send(0, from_node=0) + frm(0, flip=(20, 4)),
        "replayed-initiation": initiate(0) + frm(0, keep=1) + frm(0, keep=1) + to(0, keep=1) +
        to(0) + frm(0) + seal(1, key=1, nopad=1) + seal(2, key=1, nopad=1, shape=0),
        "ratelimited-under-load": load(2000) + initiate(0) + frm(0) + to(0) + clock(5500) +
        frm(0, keep=1) * 7 + frm(0, path=2, keep=1) * 2,
        "initiation-flood": initiate(0) + rec(INITIATE, b"\x02") * 3 + frm(0) + clock(20) +
        initiate(0) + frm(0) + clock(20) + initiate(0) + frm(0),
    }
    for name in ("init-vector-mac1", "resp-vector-mac1", "init-low-order-0", "data-keepalive",
                 "cookie-zero", "type5", "empty"):
        seeds["raw-" + name] = raw(classify[name]) + raw(classify[name], ep=2, path=2)
    return seeds


def write(corpus, seeds):
    d = os.path.join(TOP, "tests", "fuzz", "corpus", corpus)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    classify = classify_seeds()
    write("classify", classify)
    write("datagram", datagram_seeds(classify))


if __name__ == "__main__":
    main()
