#!/usr/bin/env python3
"""canary.py: TCP and UDP listeners on a list of ports, for negative controls.

Usage: canary.py [--tcp PORTS] [--udp PORTS] [--bind ADDR]... [--ready FILE]

Listens on every given port, on each --bind address (default: 0.0.0.0
and ::, the IPv6 socket IPv6-only).  TCP: accepts, writes "canary PORT\\n"
and closes.  UDP: echoes each datagram back to its sender, from the
address it was sent to.  Runs until SIGINT or SIGTERM.  One line per
contact on stdout, flushed at once:

  tcp PORT SRC          (a connection accepted from SRC)
  udp PORT SRC          (a datagram from SRC, echoed)

PORTS is a comma-separated list of ports and ranges ("22,53,8000-8002").
--ready FILE is created once every socket listens.  Exit status: 0 on a
signal, 1 when a port cannot be bound, 2 on misuse.
"""
import argparse
import ipaddress
import selectors
import signal
import socket
import struct
import sys

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)

stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def parse_ports(spec):
    ports = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(part)
        if not (1 <= lo <= hi <= 65535):
            raise ValueError("bad port range %r" % part)
        ports.extend(range(lo, hi + 1))
    return ports


def host(addr):
    a = addr[0]
    if a.startswith("::ffff:"):
        a = a[7:]
    return a


def reply_from(anc):
    """Ancillary data for the echo: from the address the datagram was
    sent to (a wildcard socket would otherwise pick the route's source
    address, which a connected client socket does not accept)."""
    for level, kind, data in anc:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
            # struct in_pktinfo: ifindex, spec_dst, addr; reply from addr.
            return [(level, kind, struct.pack("=i4s4s", 0, data[8:12], b"\0" * 4))]
        if level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO and len(data) >= 20:
            # struct in6_pktinfo: addr, ifindex.
            return [(level, kind, data[:16] + struct.pack("=i", 0))]
    return []


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="canary.py [--tcp PORTS] [--udp PORTS] [--bind ADDR]... [--ready FILE]")
    ap.add_argument("--tcp", default="", help="TCP ports")
    ap.add_argument("--udp", default="", help="UDP ports")
    ap.add_argument("--bind", action="append", help="address to listen on (repeatable)")
    ap.add_argument("--ready", help="file to create once listening")
    args = ap.parse_args()
    try:
        tcp = parse_ports(args.tcp) if args.tcp else []
        udp = parse_ports(args.udp) if args.udp else []
        binds = [ipaddress.ip_address(a) for a in (args.bind or ["0.0.0.0", "::"])]
    except ValueError as e:
        ap.error(str(e))
    if not tcp and not udp:
        ap.error("no ports: give --tcp and/or --udp")

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sel = selectors.DefaultSelector()
    for b in binds:
        fam = socket.AF_INET6 if b.version == 6 else socket.AF_INET
        for kind, ports in ((socket.SOCK_STREAM, tcp), (socket.SOCK_DGRAM, udp)):
            for port in ports:
                s = socket.socket(fam, kind)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if fam == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                try:
                    s.bind((str(b), port))
                except OSError as e:
                    print("canary.py: %s port %d: %s" % (b, port, e.strerror), file=sys.stderr)
                    return 1
                if kind == socket.SOCK_STREAM:
                    s.listen(128)
                elif fam == socket.AF_INET:
                    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
                else:
                    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, (kind, port))
    if args.ready:
        open(args.ready, "w").close()
    while not stop:
        try:
            events = sel.select(0.2)
        except InterruptedError:
            continue
        for key, _ in events:
            kind, port = key.data
            s = key.fileobj
            try:
                if kind == socket.SOCK_STREAM:
                    c, addr = s.accept()
                    print("tcp %d %s" % (port, host(addr)), flush=True)
                    try:
                        c.setblocking(False)
                        c.send(b"canary %d\n" % port)
                    except OSError:
                        pass
                    c.close()
                else:
                    data, anc, _flags, addr = s.recvmsg(65535, 256)
                    print("udp %d %s" % (port, host(addr)), flush=True)
                    s.sendmsg([data], reply_from(anc), 0, addr)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
