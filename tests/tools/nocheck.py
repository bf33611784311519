#!/usr/bin/env python3
"""Sets SO_NO_CHECK on another process's IPv4 UDP sockets of one port.

    nocheck.py PID PORT

The kernel then refuses every UDP_SEGMENT send on them with EINVAL (a
GSO send's checksums are the offload's to fill) while their plain
datagrams still go: a route that cannot take UDP GSO, made on a kernel
whose routes all can.  The sockets are reached with pidfd_getfd(2)
(Linux 5.6; root), which gives this process a descriptor for the same
open socket, so the option lands on the process's own.  Prints how many
sockets it changed; exits 1 when there was none."""
import ctypes
import os
import socket
import sys

SYS_PIDFD_GETFD = 438  # x86_64 and every architecture since 5.6
SO_NO_CHECK = 11  # asm-generic/socket.h; not in Python's socket module


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


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    inodes = udp4_inodes(pid, port)
    pidfd = os.pidfd_open(pid)
    changed = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if not (target.startswith("socket:[") and target[8:-1] in inodes):
            continue
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
        if fd < 0:
            err = ctypes.get_errno()
            sys.exit(f"nocheck: pidfd_getfd {pid} fd {name}: {os.strerror(err)}")
        s = socket.socket(fileno=fd)
        s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)
        s.close()
        changed += 1
    print(changed)
    sys.exit(0 if changed else 1)


if __name__ == "__main__":
    main()
