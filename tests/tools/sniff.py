#!/usr/bin/env python3
"""sniff.py: print the IPv4 and IPv6 packets seen on one interface.

Usage: sniff.py [--duration SECS] [--exclude ADDR]... [--no-nd] [--in-only]
                [--ready FILE] IFNAME

Captures with an AF_PACKET socket (SOCK_DGRAM: the link header is
stripped, so Ethernet, TUN and loopback interfaces all work) for
--duration seconds, or until SIGINT or SIGTERM.  Non-IP frames (ARP, ...)
are ignored.  One line per packet, flushed at once:

  pkt DIR SRC DST PROTO [SPORT DPORT [FLAGS [mss=N]]] [type=T code=C] len=N

DIR is "in" (received by this host, or seen passing) or "out" (sent
from this host); PROTO is tcp, udp, icmp, icmpv6 or the protocol number;
FLAGS are TCP flags as letters (S syn, A ack, F fin, R rst, P psh, U urg);
a SYN's MSS option is printed as mss=N.  IPv6 extension headers are
walked.  The last line is

  count N

the number of packets printed.

  --exclude ADDR   leave out packets to or from ADDR (repeatable): the
                   tunnel's own traffic to the peer's endpoint
  --no-nd          leave out ICMPv6 neighbour discovery (133-137) and
                   MLD (130-132, 143)
  --in-only        only packets this host did not send
  --ready FILE     create FILE once the socket is bound (wait for it
                   instead of sleeping)

Exit status: 0, 2 on misuse, 1 when the interface cannot be opened.
"""
import argparse
import ipaddress
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
ND_MLD_TYPES = {130, 131, 132, 133, 134, 135, 136, 137, 143}
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}
V6_EXT = {0, 43, 60, 51}  # hop-by-hop, routing, destination options, AH
stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def tcp_mss(opts):
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts):
            break
        length = opts[i + 1]
        if length < 2:
            break
        if kind == 2 and length == 4 and i + 4 <= len(opts):
            return struct.unpack("!H", opts[i + 2:i + 4])[0]
        i += length
    return None


def decode(proto, data):
    """(src, dst, proto, l4 bytes, l4 protocol number) or None."""
    if proto == ETH_P_IP and len(data) >= 20 and data[0] >> 4 == 4:
        ihl = (data[0] & 15) * 4
        src = ipaddress.IPv4Address(data[12:16])
        dst = ipaddress.IPv4Address(data[16:20])
        frag = struct.unpack("!H", data[6:8])[0] & 0x1FFF
        l4 = data[ihl:] if frag == 0 else b""
        return src, dst, data[9], l4
    if proto == ETH_P_IPV6 and len(data) >= 40 and data[0] >> 4 == 6:
        src = ipaddress.IPv6Address(data[8:24])
        dst = ipaddress.IPv6Address(data[24:40])
        nh, off = data[6], 40
        while nh in V6_EXT and off + 2 <= len(data):
            hlen = (data[off + 1] + 2) * 4 if nh == 51 else (data[off + 1] + 1) * 8
            nh, off = data[off], off + hlen
        if nh == 44:  # fragment: ports only in the first one
            if off + 8 > len(data):
                return src, dst, nh, b""
            first = (struct.unpack("!H", data[off + 2:off + 4])[0] >> 3) == 0
            nh, off = data[off], off + 8
            if not first:
                return src, dst, nh, b""
        return src, dst, nh, data[off:]
    return None


def describe(nh, l4):
    parts = [PROTO_NAMES.get(nh, str(nh))]
    if nh in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack("!HH", l4[:4])
        parts += [str(sport), str(dport)]
        if nh == 6 and len(l4) >= 20:
            flags = l4[13]
            letters = "".join(c for bit, c in ((2, "S"), (16, "A"), (1, "F"), (4, "R"),
                                                (8, "P"), (32, "U")) if flags & bit)
            parts.append(letters or ".")
            doff = (l4[12] >> 4) * 4
            if flags & 2 and doff > 20:
                mss = tcp_mss(l4[20:doff])
                if mss is not None:
                    parts.append("mss=%d" % mss)
    elif nh in (1, 58) and len(l4) >= 2:
        parts.append("type=%d code=%d" % (l4[0], l4[1]))
    return " ".join(parts)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="sniff.py [--duration SECS] [--exclude ADDR]... [--no-nd] [--in-only] "
              "[--ready FILE] IFNAME")
    ap.add_argument("ifname")
    ap.add_argument("--duration", type=float, help="seconds to capture (default: until signalled)")
    ap.add_argument("--exclude", action="append", default=[], help="address to leave out")
    ap.add_argument("--no-nd", action="store_true", help="leave out ICMPv6 ND and MLD")
    ap.add_argument("--in-only", action="store_true", help="leave out packets this host sent")
    ap.add_argument("--ready", help="file to create once capturing")
    args = ap.parse_args()
    try:
        excl = {ipaddress.ip_address(a) for a in args.exclude}
    except ValueError as e:
        ap.error(str(e))
    if args.duration is not None and args.duration <= 0:
        ap.error("--duration must be positive")

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        s.bind((args.ifname, ETH_P_ALL))
    except OSError as e:
        print("sniff.py: %s: %s" % (args.ifname, e.strerror), file=sys.stderr)
        return 1
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if args.ready:
        open(args.ready, "w").close()
    deadline = None if args.duration is None else time.monotonic() + args.duration
    count = 0

    def drain():
        """Prints what the socket holds; returns the number printed."""
        n = 0
        while True:
            try:
                data, addr = s.recvfrom(65535, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return n
            proto, pkttype = addr[1], addr[2]
            if args.in_only and pkttype == PACKET_OUTGOING:
                continue
            d = decode(proto, data)
            if d is None:
                continue
            src, dst, nh, l4 = d
            if src in excl or dst in excl:
                continue
            if args.no_nd and nh == 58 and l4 and l4[0] in ND_MLD_TYPES:
                continue
            n += 1
            print("pkt %s %s %s %s len=%d" % ("out" if pkttype == PACKET_OUTGOING else "in",
                                             src, dst, describe(nh, l4), len(data)), flush=True)

    while not stop:
        wait = 0.2
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            wait = min(wait, left)
        try:
            r, _, _ = select.select([s], [], [], wait)
        except InterruptedError:
            continue
        if r:
            count += drain()
    # What arrived before the signal is still in the socket: print it too.
    count += drain()
    print("count %d" % count, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
