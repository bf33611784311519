#!/usr/bin/env python3
"""xfer.py: bulk TCP and verified UDP transfers, for the offload test.

Usage:
  xfer.py tcp-recv --bind ADDR --port N --out FILE [--ready FILE] [--timeout S]
  xfer.py tcp-send --to ADDR --port N --file FILE [--chunk BYTES]
  xfer.py udp-recv --bind ADDR --port N --run ID [--ready FILE] [--timeout S]
  xfer.py udp-send --to ADDR --port N --run ID --mtu MTU --bytes N
                   [--mbit RATE] [--segments K] [--plain-every N]
  xfer.py counters SOCKET...

The transfers print one line of KEY=VALUE words on stdout when they are
done (exit status 0), or a message on stderr (exit status 1; 2 on
misuse).

TCP: tcp-recv accepts one connection, writes every byte it reads to
FILE, hashes them as they come, and closes once the sender has shut its
side: bytes, sha256.  tcp-send connects, sends FILE with sendall in big
chunks (so that a TUN offering TSO gets super-packets), shuts its side,
and waits for the receiver to close, so that its time covers the
delivery of the last byte: bytes, sha256 (of what it read), seconds.

UDP: every datagram is self-checking:

  magic "RPO1" | run id (u32) | seq (u64) | digest (16) | payload

the digest being BLAKE2b-128 over the first 16 bytes and the payload.
udp-send sends datagrams of up to the largest size the tunnel MTU allows
unfragmented (MTU less the IP and UDP headers), mostly as UDP_SEGMENT
super-datagrams of K segments (the last one shorter, as GSO allows) and
one send in PLAIN_EVERY as a plain datagram of random size, paced at
RATE Mbit/s (datagram bytes), then a few end markers ("RPOE" | run id |
count of datagrams sent | digest): sent, bytes, sends, gso_sends,
seconds.  udp-recv verifies each datagram and stops once it has every
datagram the end marker announced, or 0.5 s after the end marker, or 3 s
after the last datagram: received (intact and unique), bytes (theirs),
bad (digest or format wrong), dup, foreign (another run id), beyond (seq
>= the announced count), sent (from the end marker, -1 if none came),
seconds (first to last datagram).

counters: for each rampartd control socket, one line "R W S G", the
device counters rampart_tun_gso_read, _tun_gso_written, _udp_gso_sent
and _udp_gro_received of its get=1 reply (a counter not in the reply is
0), or "x" when the reply is not errno=0.
"""
import argparse
import hashlib
import os
import random
import socket
import struct
import sys
import time

SOL_UDP = 17
UDP_SEGMENT = 103
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
MAGIC = b"RPO1"
END = b"RPOE"
HDR = 32          # magic 4, run 4, seq 8, digest 16
POOL = 1 << 20    # random bytes that payloads are cut from


def digest(head16, payload):
    return hashlib.blake2b(head16 + payload, digest_size=16).digest()


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ready(path):
    if path:
        open(path, "w").close()


def out(obj):
    print(" ".join("%s=%s" % kv for kv in sorted(obj.items())), flush=True)


def tcp_recv(a):
    ls = socket.socket(family(a.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    ls.settimeout(a.timeout)
    ready(a.ready)
    c, _ = ls.accept()
    c.settimeout(a.timeout)
    h = hashlib.sha256()
    n = 0
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    with open(a.out, "wb") as f:
        while True:
            k = c.recv_into(buf)
            if k == 0:
                break
            f.write(view[:k])
            h.update(view[:k])
            n += k
    c.close()
    out({"bytes": n, "sha256": h.hexdigest()})
    return 0


def tcp_send(a):
    s = socket.socket(family(a.to), socket.SOCK_STREAM)
    s.settimeout(30)
    h = hashlib.sha256()
    n = 0
    t0 = time.monotonic()
    s.connect((a.to, a.port))
    with open(a.file, "rb") as f:
        while True:
            b = f.read(a.chunk)
            if not b:
                break
            s.sendall(b)
            h.update(b)
            n += len(b)
    s.shutdown(socket.SHUT_WR)
    # The receiver closes once it has read everything.
    while s.recv(4096):
        pass
    t = time.monotonic() - t0
    s.close()
    out({"bytes": n, "sha256": h.hexdigest(), "seconds": round(t, 3)})
    return 0


def udp_recv(a):
    s = socket.socket(family(a.bind), socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.bind((a.bind, a.port))
    ready(a.ready)
    run = struct.pack("!I", a.run)
    seen = set()
    st = {"received": 0, "bytes": 0, "bad": 0, "dup": 0, "foreign": 0, "beyond": 0, "sent": -1}
    t_first = t_last = None
    t_end = None
    deadline = time.monotonic() + a.timeout
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if st["sent"] >= 0 and len(seen) >= st["sent"]:
            break
        wait = deadline - now
        if t_end is not None:
            wait = min(wait, t_end + 0.5 - now)
        elif t_last is not None:
            wait = min(wait, t_last + 3.0 - now)
        if wait <= 0:
            break
        s.settimeout(wait)
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if len(d) < HDR:
            st["bad"] += 1
            continue
        if d[4:8] != run:
            st["foreign"] += 1
            continue
        if d[:4] == END:
            if len(d) == HDR and d[16:32] == digest(d[:16], b""):
                st["sent"] = struct.unpack("!Q", d[8:16])[0]
                if t_end is None:
                    t_end = time.monotonic()
            else:
                st["bad"] += 1
            continue
        if d[:4] != MAGIC or d[16:32] != digest(d[:16], d[HDR:]):
            st["bad"] += 1
            continue
        seq = struct.unpack("!Q", d[8:16])[0]
        if seq in seen:
            st["dup"] += 1
            continue
        seen.add(seq)
        st["received"] += 1
        st["bytes"] += len(d)
        t_last = time.monotonic()
        if t_first is None:
            t_first = t_last
    if st["sent"] >= 0:
        st["beyond"] = sum(1 for q in seen if q >= st["sent"])
    st["seconds"] = round((t_last - t_first) if t_first is not None else 0.0, 3)
    out(st)
    return 0


def udp_send(a):
    fam = family(a.to)
    seg = a.mtu - (40 if fam == socket.AF_INET6 else 20) - 8
    if seg < HDR + 1 or a.segments < 2 or a.segments * seg > 65000:
        print("xfer.py: bad sizes (mtu %d, %d segments)" % (a.mtu, a.segments), file=sys.stderr)
        return 2
    rng = random.Random(a.run)
    pool = os.urandom(POOL)
    run = struct.pack("!I", a.run)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((a.to, a.port))
    rate = a.mbit * 1e6 / 8  # bytes per second
    seq = 0
    total = 0
    sends = gso_sends = 0

    def datagram(size):
        nonlocal seq
        head = MAGIC + run + struct.pack("!Q", seq)
        off = rng.randrange(0, POOL - size)
        payload = pool[off:off + size - HDR]
        seq += 1
        return head + digest(head, payload) + payload

    t0 = time.monotonic()
    while total < a.bytes:
        if sends % a.plain_every == a.plain_every - 1:
            buf = datagram(rng.randint(HDR, seg))
            s.send(buf)
        else:
            k = a.segments
            parts = [datagram(seg) for _ in range(k - 1)]
            parts.append(datagram(rng.randint(HDR, seg)))
            buf = b"".join(parts)
            s.sendmsg([buf], [(SOL_UDP, UDP_SEGMENT, struct.pack("=H", seg))])
            gso_sends += 1
        sends += 1
        total += len(buf)
        # Pace: never ahead of RATE.
        ahead = t0 + total / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    t = time.monotonic() - t0
    head = END + run + struct.pack("!Q", seq)
    for _ in range(5):
        try:
            s.send(head + digest(head, b""))
        except ConnectionRefusedError:
            break  # the receiver had them all and is gone
        time.sleep(0.02)
    out({"sent": seq, "bytes": total, "sends": sends, "gso_sends": gso_sends,
         "seconds": round(t, 3)})
    return 0


COUNTERS = ("tun_gso_read", "tun_gso_written", "udp_gso_sent", "udp_gro_received")


def counters(a):
    """One line per socket: the four counters of its get=1 reply's device
    section (a counter not in the reply is 0), or "x" when there is no
    good reply (errno=0)."""
    for path in a.socket:
        vals = dict.fromkeys(COUNTERS, 0)
        good = False
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(path)
            s.sendall(b"get=1\n\n")
            buf = b""
            while not buf.endswith(b"\n\n"):
                b = s.recv(65536)
                if not b:
                    break
                buf += b
            s.close()
            peer = False
            for line in buf.decode("ascii", "replace").split("\n"):
                k, _, v = line.partition("=")
                if k == "public_key":
                    peer = True
                elif not peer and k.startswith("rampart_") and k[8:] in vals:
                    vals[k[8:]] = int(v)
                elif k == "errno":
                    good = v == "0"
        except (OSError, ValueError) as e:
            print("xfer.py counters %s: %s" % (path, e), file=sys.stderr)
        print(" ".join(str(vals[c]) for c in COUNTERS) if good else "x", flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tcp-recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ready")
    p.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("tcp-send")
    p.add_argument("--to", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--chunk", type=int, default=1 << 20)
    p = sub.add_parser("udp-recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--ready")
    p.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("udp-send")
    p.add_argument("--to", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--mtu", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--mbit", type=float, default=100)
    p.add_argument("--segments", type=int, default=16)
    p.add_argument("--plain-every", type=int, default=4)
    p = sub.add_parser("counters")
    p.add_argument("socket", nargs="+")
    a = ap.parse_args()
    try:
        return {"tcp-recv": tcp_recv, "tcp-send": tcp_send, "udp-recv": udp_recv,
                "udp-send": udp_send, "counters": counters}[a.cmd](a)
    except OSError as e:
        print("xfer.py %s: %s" % (a.cmd, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
