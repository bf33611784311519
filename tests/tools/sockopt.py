#!/usr/bin/env python3
"""Sets (or reads) a socket option on another process's IPv4 UDP sockets
of one port, as if the process had set it itself.

    sockopt.py PID PORT OPTION [VALUE]

OPTION is SO_NO_CHECK, SO_SNDBUF or SO_RCVBUF (the last two set with the
FORCE variants, so root may go below or above the sysctl limits; the
kernel stores twice the value given and clamps it to its minimum, as
for setsockopt(2)).  Without VALUE it prints each socket's value as
getsockopt(2) returns it.  With VALUE it prints how many sockets it
changed; it exits 1 when there was none.

Tests make kernel conditions with it on a kernel that would not show
them on its own: SO_NO_CHECK makes the kernel refuse every UDP_SEGMENT
send with EINVAL (a GSO send's checksums are the offload's to fill, as a
route through a device without checksum offload refuses them) while
plain datagrams still go; a send buffer at its minimum makes sends fail
with EAGAIN under load.  The sockets are reached with pidfd_getfd(2)
(Linux 5.6; root), which gives this process a descriptor for the same
open socket, so the option lands on the process's own."""
import ctypes
import os
import socket
import sys

SYS_PIDFD_GETFD = 438  # x86_64 and every architecture since 5.6
# asm-generic/socket.h; SO_NO_CHECK and the FORCE ones are not in Python's
# socket module.
OPTIONS = {  # name: (get, set)
    "SO_NO_CHECK": (11, 11),
    "SO_SNDBUF": (socket.SO_SNDBUF, 32),  # SO_SNDBUFFORCE
    "SO_RCVBUF": (socket.SO_RCVBUF, 33),  # SO_RCVBUFFORCE
}


def udp4_inodes(pid, port):
    """The inodes of PID's namespace's IPv4 UDP sockets bound to port."""
    found = set()
    with open(f"/proc/{pid}/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                found.add(fields[9])
    return found


def sockets_of(pid, port):
    """Sockets (this process's descriptors for them) of PID bound to port."""
    libc = ctypes.CDLL(None, use_errno=True)
    inodes = udp4_inodes(pid, port)
    pidfd = os.pidfd_open(pid)
    for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if not (target.startswith("socket:[") and target[8:-1] in inodes):
            continue
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
        if fd < 0:
            err = ctypes.get_errno()
            sys.exit(f"sockopt: pidfd_getfd {pid} fd {name}: {os.strerror(err)}")
        yield socket.socket(fileno=fd)
    os.close(pidfd)


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in OPTIONS:
        sys.exit("usage: sockopt.py PID PORT SO_NO_CHECK|SO_SNDBUF|SO_RCVBUF [VALUE]")
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    get, put = OPTIONS[sys.argv[3]]
    changed = 0
    for s in sockets_of(pid, port):
        if len(sys.argv) == 4:
            print(s.getsockopt(socket.SOL_SOCKET, get))
        else:
            s.setsockopt(socket.SOL_SOCKET, put, int(sys.argv[4]))
            changed += 1
        s.close()
    if len(sys.argv) == 5:
        print(changed)
        sys.exit(0 if changed else 1)


if __name__ == "__main__":
    main()
