#!/usr/bin/env python3
"""portscan.py: a TCP connect scan or a UDP scan of one IPv4 or IPv6 address.

Usage: portscan.py [--udp] [--ports SPEC] [--timeout SECS] [--batch N]
                   [--source ADDR] [--payload TEXT] ADDR

Ports are probed in batches of non-blocking sockets (the open-file limit
is raised to its hard limit); a batch ends when every socket has an
answer or after --timeout seconds.  Each port is classified:

  open      TCP: the connection was accepted; UDP: a reply came back
  closed    ECONNREFUSED: a TCP RST, or ICMP port unreachable for UDP
  unreach   another ICMP error (host/net unreachable, administratively
            prohibited, ...)
  local     this host refused to send (EPERM/EACCES: a local firewall)
  filtered  no answer within the timeout

Output (stdout), machine-readable:

  summary proto=tcp addr=ADDR scanned=N open=N closed=N unreach=N local=N filtered=N seconds=S
  open PORTS
  closed PORTS
  unreach PORTS
  local PORTS

where PORTS is a comma-separated list of ports and ranges ("22,80,1000-1010"),
or "-" when empty.  Filtered ports are the rest of the scanned set.

The kernel rate-limits ICMP errors (net.ipv4.icmp_ratelimit,
net.ipv4.icmp_msgs_per_sec, net.ipv6.icmp.ratelimit): over a large UDP
range most closed ports look filtered unless the target's limits are
lifted.  A UDP "open" verdict needs a service that answers (canary.py
echoes).

Exit status: 0 after a scan, 2 on misuse.
"""
import argparse
import errno
import ipaddress
import resource
import select
import socket
import struct
import sys
import time

CLASSES = ("open", "closed", "unreach", "local", "filtered")
UNREACH = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EPROTO, errno.ENONET,
           errno.EHOSTDOWN, errno.ENETDOWN, errno.EMSGSIZE, errno.ETIMEDOUT}
LOCAL = {errno.EPERM, errno.EACCES}


def parse_ports(spec):
    ports = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            raise ValueError("empty port in %r" % spec)
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(part)
        if not (1 <= lo <= hi <= 65535):
            raise ValueError("bad port range %r" % part)
        ports.update(range(lo, hi + 1))
    return sorted(ports)


def compact(ports):
    if not ports:
        return "-"
    out, start, prev = [], None, None
    for p in sorted(ports):
        if start is None:
            start = prev = p
        elif p == prev + 1:
            prev = p
        else:
            out.append(str(start) if start == prev else "%d-%d" % (start, prev))
            start = prev = p
    out.append(str(start) if start == prev else "%d-%d" % (start, prev))
    return ",".join(out)


def classify_errno(err):
    if err == errno.ECONNREFUSED:
        return "closed"
    if err in LOCAL:
        return "local"
    if err in UNREACH:
        return "unreach"
    return "unreach"


def raise_nofile(want):
    """Raises the open-file limit towards WANT (the hard limit too, when
    allowed: root); returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    for target in (max(want, hard), hard):
        if soft >= target:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(target, hard)))
            soft = target
            break
        except (ValueError, OSError):
            pass
    return soft


def new_socket(family, kind, source):
    s = socket.socket(family, kind)
    s.setblocking(False)
    if source is not None:
        s.bind((source, 0))
    return s


def scan_tcp_batch(family, addr, ports, timeout, source, result):
    ep = select.epoll()
    pending = {}
    try:
        for port in ports:
            s = new_socket(family, socket.SOCK_STREAM, source)
            # RST instead of FIN at close, so that nothing lingers on
            # either side of a big scan.  A probe of a few ports closes
            # with FIN: an RST can reach a listener before it accepts,
            # and the kernel then drops the connection from its queue,
            # so a canary would never log the contact it did get.
            if len(ports) > 64:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            err = s.connect_ex((addr, port))
            if err == 0:
                result["open"].append(port)
                s.close()
                continue
            if err != errno.EINPROGRESS:
                result[classify_errno(err)].append(port)
                s.close()
                continue
            pending[s.fileno()] = (s, port)
            ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLERR)
        deadline = time.monotonic() + timeout
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ in ep.poll(left, 1024):
                s, port = pending.pop(fd)
                ep.unregister(fd)
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == 0 and s.getsockname()[:2] == s.getpeername()[:2]:
                    # A self-connect (TCP simultaneous open onto our own
                    # ephemeral port, only when scanning an own address).
                    err = errno.ECONNREFUSED
                result["open" if err == 0 else classify_errno(err)].append(port)
                s.close()
        for s, port in pending.values():
            result["filtered"].append(port)
            s.close()
    finally:
        ep.close()


def scan_udp_batch(family, addr, ports, timeout, source, payload, result):
    ep = select.epoll()
    pending = {}
    try:
        for port in ports:
            s = new_socket(family, socket.SOCK_DGRAM, source)
            try:
                s.connect((addr, port))
                s.send(payload)
            except OSError as e:
                result[classify_errno(e.errno)].append(port)
                s.close()
                continue
            pending[s.fileno()] = (s, port)
            ep.register(s.fileno(), select.EPOLLIN | select.EPOLLERR)
        deadline = time.monotonic() + timeout
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ in ep.poll(left, 1024):
                s, port = pending.pop(fd)
                ep.unregister(fd)
                try:
                    s.recv(65535)
                    result["open"].append(port)
                except OSError as e:
                    result[classify_errno(e.errno)].append(port)
                s.close()
        for s, port in pending.values():
            result["filtered"].append(port)
            s.close()
    finally:
        ep.close()


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="portscan.py [--udp] [--ports SPEC] [--timeout SECS] [--batch N] "
              "[--source ADDR] [--payload TEXT] ADDR")
    ap.add_argument("addr", help="IPv4 or IPv6 address to scan")
    ap.add_argument("--udp", action="store_true", help="UDP scan (default: TCP connect scan)")
    ap.add_argument("--ports", default="1-65535", help="ports and ranges, e.g. 1-1024,5000 (default 1-65535)")
    ap.add_argument("--timeout", type=float, default=0.5, help="seconds to wait per batch (default 0.5)")
    ap.add_argument("--batch", type=int, default=4096, help="sockets per batch (default 4096)")
    ap.add_argument("--source", help="local address to bind")
    ap.add_argument("--payload", default="portscan-probe\n", help="UDP probe payload")
    args = ap.parse_args()

    try:
        ip = ipaddress.ip_address(args.addr)
        ports = parse_ports(args.ports)
        if args.source is not None:
            src = ipaddress.ip_address(args.source)
            if src.version != ip.version:
                raise ValueError("source and target are of different families")
    except ValueError as e:
        ap.error(str(e))
    if args.timeout <= 0 or args.batch < 1:
        ap.error("--timeout and --batch must be positive")

    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    limit = raise_nofile(args.batch + 64)
    batch = max(1, min(args.batch, limit - 64))
    result = {c: [] for c in CLASSES}
    t0 = time.monotonic()
    for i in range(0, len(ports), batch):
        chunk = ports[i:i + batch]
        if args.udp:
            scan_udp_batch(family, str(ip), chunk, args.timeout, args.source,
                           args.payload.encode(), result)
        else:
            scan_tcp_batch(family, str(ip), chunk, args.timeout, args.source, result)
    secs = time.monotonic() - t0
    print("summary proto=%s addr=%s scanned=%d %s seconds=%.1f" % (
        "udp" if args.udp else "tcp", ip, len(ports),
        " ".join("%s=%d" % (c, len(result[c])) for c in CLASSES), secs))
    for c in CLASSES[:-1]:
        print(c, compact(result[c]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
