#!/usr/bin/env python3
"""hsflood.py: a flood of WireGuard handshake-initiation-shaped datagrams.

Usage: hsflood.py [--count N] [--duration SECS] [--source ADDR] [--sport PORT] ADDR PORT

Sends UDP datagrams of 148 bytes, each 01 00 00 00 followed by 144 random
bytes (so the mac1 is wrong: a receiver drops them after one MAC), from
one socket (one source address and port) to ADDR:PORT as fast as it can,
until --count datagrams are sent (default 10000) or --duration seconds
have passed, whichever comes first.  Prints one line:

  sent=N errors=N seconds=S pps=N

errors counts sends the kernel refused (ENOBUFS, EPERM, ...; such a
datagram is not counted as sent).  Exit status: 0, 2 on misuse.
"""
import argparse
import ipaddress
import os
import socket
import sys
import time

POOL = 1024


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="hsflood.py [--count N] [--duration SECS] [--source ADDR] [--sport PORT] ADDR PORT")
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=10000, help="datagrams to send (default 10000)")
    ap.add_argument("--duration", type=float, help="stop after SECS seconds")
    ap.add_argument("--source", help="local address to send from")
    ap.add_argument("--sport", type=int, default=0, help="local port (default: any)")
    args = ap.parse_args()
    try:
        ip = ipaddress.ip_address(args.addr)
        if args.source is not None and ipaddress.ip_address(args.source).version != ip.version:
            raise ValueError("source and destination are of different families")
    except ValueError as e:
        ap.error(str(e))
    if not (1 <= args.port <= 65535) or not (0 <= args.sport <= 65535):
        ap.error("ports are 1-65535")
    if args.count < 1 or (args.duration is not None and args.duration <= 0):
        ap.error("--count and --duration must be positive")

    s = socket.socket(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, socket.SOCK_DGRAM)
    if args.source is not None or args.sport:
        s.bind((args.source or ("::" if ip.version == 6 else "0.0.0.0"), args.sport))
    # Not connected: an ICMP error must not fail the next send.
    dest = (str(ip), args.port)
    # Random bodies, refreshed as we go: every datagram differs.
    hdr = b"\x01\x00\x00\x00"
    pool = [hdr + os.urandom(144) for _ in range(POOL)]
    sent = errors = 0
    t0 = time.monotonic()
    deadline = None if args.duration is None else t0 + args.duration
    sendto = s.sendto
    while sent < args.count:
        if deadline is not None and (sent & 255) == 0 and time.monotonic() >= deadline:
            break
        i = (sent + errors) % POOL
        try:
            sendto(pool[i], dest)
            sent += 1
        except OSError:
            errors += 1
            if errors > 10 * args.count:
                break
        if i == POOL - 1:
            pool = [hdr + os.urandom(144) for _ in range(POOL)]
    secs = time.monotonic() - t0
    print("sent=%d errors=%d seconds=%.3f pps=%d" % (sent, errors, secs, sent / secs if secs > 0 else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
