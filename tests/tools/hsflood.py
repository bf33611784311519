#!/usr/bin/env python3
"""hsflood.py: a flood of WireGuard handshake initiations.

Usage: hsflood.py [--count N] [--duration SECS] [--rate PPS] [--source ADDR]
                  [--sources N] [--sport PORT] [--pubkey KEY] [--ready FILE] ADDR PORT

Sends UDP datagrams of 148 bytes shaped like handshake initiations to
ADDR:PORT, as fast as it can (or at --rate datagrams per second), until
--count datagrams are sent (default 10000) or --duration seconds have
passed, whichever comes first.

Without --pubkey each datagram is 01 00 00 00 followed by 144 random bytes:
the mac1 is wrong and a receiver drops it after one MAC.  With --pubkey
(the target's public key, base64) the sender index, ephemeral, encrypted
static and timestamp are random but mac1 is valid:
  mac1 = BLAKE2s-128(key = BLAKE2s-256("mac1----" || pubkey), msg[0:116])
(protocol-facts.md), and mac2 is zero.  A receiver not under load then
spends a Diffie-Hellman on each before the encrypted static fails to
open; one under load answers with a cookie reply (64 bytes).

--sources N sends from N sockets, bound to N consecutive addresses from
--source on (the addresses must exist on an interface), taking turns.
Cookie replies that come back are counted (read without blocking as the
flood goes, and for a moment after it).

Prints one line:

  sent=N errors=N seconds=S pps=N bytes=N received=N bytes_received=N

errors counts sends the kernel refused (ENOBUFS, EPERM, ...; such a
datagram is not counted as sent).  SIGTERM ends the flood early (the line
is still printed).  --ready FILE is created once the
sockets are bound, just before the first datagram.  Exit status: 0, 2 on
misuse.
"""
import argparse
import base64
import hashlib
import ipaddress
import os
import signal
import socket
import sys
import time

POOL = 1024


def initiation(mac1_key):
    """One initiation: random body, valid mac1 under mac1_key (or a random
    one when mac1_key is None), mac2 zero."""
    if mac1_key is None:
        return b"\x01\x00\x00\x00" + os.urandom(144)
    body = b"\x01\x00\x00\x00" + os.urandom(4 + 32 + 48 + 28)
    mac1 = hashlib.blake2s(body, digest_size=16, key=mac1_key).digest()
    return body + mac1 + bytes(16)


def drain(socks, counts):
    for s in socks:
        while True:
            try:
                b = s.recv(2048)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break  # an ICMP error reported on the socket
            counts[0] += 1
            counts[1] += len(b)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage=__doc__.split("\n\n", 2)[1][len("Usage: "):])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=10000, help="datagrams to send (default 10000)")
    ap.add_argument("--duration", type=float, help="stop after SECS seconds")
    ap.add_argument("--rate", type=float, help="datagrams per second (default: as fast as it can)")
    ap.add_argument("--source", help="local address to send from (the first of --sources)")
    ap.add_argument("--sources", type=int, default=1, help="addresses to send from (default 1)")
    ap.add_argument("--sport", type=int, default=0, help="local port (default: any)")
    ap.add_argument("--pubkey", help="the target's public key (base64): a valid mac1")
    ap.add_argument("--ready", help="a file to create once the sockets are bound")
    args = ap.parse_args()
    mac1_key = None
    try:
        ip = ipaddress.ip_address(args.addr)
        first = None
        if args.source is not None:
            first = ipaddress.ip_address(args.source)
            if first.version != ip.version:
                raise ValueError("source and destination are of different families")
        if args.pubkey is not None:
            pub = base64.b64decode(args.pubkey, validate=True)
            if len(pub) != 32:
                raise ValueError("--pubkey is not a 32-byte key")
            mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
    except ValueError as e:
        ap.error(str(e))
    if not (1 <= args.port <= 65535) or not (0 <= args.sport <= 65535):
        ap.error("ports are 1-65535")
    if args.count < 1 or (args.duration is not None and args.duration <= 0):
        ap.error("--count and --duration must be positive")
    if args.sources < 1 or (args.sources > 1 and first is None):
        ap.error("--sources N needs --source, and N >= 1")
    if args.rate is not None and args.rate <= 0:
        ap.error("--rate must be positive")

    fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    socks = []
    for i in range(args.sources):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if first is not None or args.sport:
            src = str(first + i) if first is not None else ("::" if ip.version == 6 else "0.0.0.0")
            s.bind((src, args.sport))
        s.setblocking(False)
        socks.append(s)
    # Not connected: an ICMP error must not fail the next send.
    dest = (str(ip), args.port)
    # Random bodies; without a valid mac1 they are refreshed as we go
    # (every datagram differs), with one the pool is made once (the MAC
    # would cost more than the send).
    pool = [initiation(mac1_key) for _ in range(POOL)]
    if args.ready:
        open(args.ready, "w").close()
    # SIGTERM ends the flood early, still with its report.
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sent = errors = 0
    counts = [0, 0]
    t0 = time.monotonic()
    deadline = None if args.duration is None else t0 + args.duration
    nsock = len(socks)
    sendtos = [s.sendto for s in socks]
    while sent < args.count:
        if (sent & 255) == 0:
            now = time.monotonic()
            if stop or (deadline is not None and now >= deadline):
                break
            if args.rate is not None:
                ahead = sent / args.rate - (now - t0)
                if ahead > 0:
                    time.sleep(ahead)
            if (sent & 1023) == 0:
                drain(socks, counts)
        i = (sent + errors) % POOL
        try:
            sendtos[(sent + errors) % nsock](pool[i], dest)
            sent += 1
        except BlockingIOError:
            errors += 1
            time.sleep(0.0001)
        except OSError:
            errors += 1
            if errors > 10 * args.count:
                break
        if i == POOL - 1 and mac1_key is None:
            pool = [initiation(None) for _ in range(POOL)]
    secs = time.monotonic() - t0
    # Replies still on their way.
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        drain(socks, counts)
        time.sleep(0.02)
    print("sent=%d errors=%d seconds=%.3f pps=%d bytes=%d received=%d bytes_received=%d" %
          (sent, errors, secs, sent / secs if secs > 0 else 0, sent * 148, counts[0], counts[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
