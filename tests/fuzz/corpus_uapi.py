#!/usr/bin/env python3
"""Regenerates the seed corpora of the control-socket targets from the
control-socket exchanges already in tests/ (docs/fuzzing.md):

  uapi_server/     requests (set=1, get=1, rampart_events=1), alone and a
                   few in one stream, behind fuzz_uapi_server's chunk-size
                   header
  uapi_reply/      replies (anything ending in errno=N and an empty line)
  uapi_roundtrip/  set=1 requests, alone and two in one stream

The texts are the C string literals of the unit tests and wg_captures.h,
with adjacent literals joined and the string macros they use expanded.
Seeds are named seed-<hash>; other files (inputs that once made a target
fail, kept after the fix) are left alone.

  tests/fuzz/corpus_uapi.py [TOP]
"""
import hashlib
import os
import re
import sys

TOP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SOURCES = ["tests/wg_captures.h", "tests/unit/client_fixture.h", "tests/unit/test_uapi.c",
           "tests/unit/test_uapi_reply.c", "tests/unit/test_uapi_client.c",
           "tests/unit/test_server.c", "tests/unit/test_wgctl.c", "tests/unit/test_apply.c"]
# Each corpus stays small: tens of files of a few KB.
MAX_SEEDS, MAX_BYTES = 40, 4096

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|/\*.*?\*/|//[^\n]*|\\\n|\s+|.',
                   re.S)
ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}


def unescape(lit):
    out, i, s = bytearray(), 0, lit[1:-1]
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif s[i + 1] == "x":
            m = re.match(r"[0-9a-fA-F]+", s[i + 2:])
            out.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        elif s[i + 1] in "01234567" and re.match(r"[0-7]{2,3}", s[i + 1:]):
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out += ESCAPES.get(s[i + 1], s[i + 1].encode())
            i += 2
    return bytes(out)


def strings(text, macros):
    """Every run of adjacent string literals and string macros, joined."""
    runs, cur = [], None
    for tok in TOKEN.findall(text):
        if tok.startswith('"'):
            cur = (cur or b"") + unescape(tok)
        elif tok in macros:
            cur = (cur or b"") + macros[tok]
        elif tok.isspace() or tok.startswith("/*") or tok.startswith("//") or tok == "\\\n":
            continue
        else:
            if cur is not None:
                runs.append(cur)
            cur = None
    if cur is not None:
        runs.append(cur)
    return runs


def read_macros(text, macros):
    """The object-like macros that are strings: literals and string
    macros, nothing else."""
    for m in re.finditer(r"^#define\s+([A-Z_0-9]+)[ \t]+((?:[^\n]*\\\n)*[^\n]*)", text, re.M):
        body = m.group(2).replace("\\\n", " ")
        toks = [t for t in TOKEN.findall(body) if not t.isspace() and not t.startswith("/")]
        if toks and all(t.startswith('"') or t in macros for t in toks):
            macros[m.group(1)] = strings(body, macros)[0]


def collect():
    macros, texts = {}, []
    for path in SOURCES:
        full = os.path.join(TOP, path)
        if not os.path.exists(full):
            continue
        text = open(full, encoding="utf-8").read()
        read_macros(text, macros)
        texts += strings(text, macros)
    return texts


def unique(seq):
    seen, out = set(), []
    for s in seq:
        if s not in seen and 0 < len(s) <= MAX_BYTES:
            seen.add(s)
            out.append(s)
    return out


def name_of(s):
    return "seed-" + hashlib.sha1(s).hexdigest()[:12]


def pick(seq, n):
    """At most n of seq, by the order of their names: a text added to the
    tests displaces at most one seed, so the corpora change little."""
    return sorted(seq, key=name_of)[:n]


def write(name, seeds):
    d = os.path.join(TOP, "tests/fuzz/corpus", name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for s in seeds:
        with open(os.path.join(d, name_of(s)), "wb") as f:
            f.write(s)
    print(f"{name}: {len(seeds)} seeds")


def main():
    texts = collect()
    ops = (b"set=1\n", b"get=1\n", b"rampart_events=1\n")
    requests = unique(t for t in texts if t.startswith(ops) and t.endswith(b"\n"))
    sets = unique(t for t in requests if t.startswith(b"set=1\n") and t.endswith(b"\n\n"))
    replies = unique(t for t in texts if re.search(rb"(^|\n)errno=-?[0-9]+\n\n$", t))
    # The server target reads a header first: a byte saying how many
    # chunk sizes follow (its low 3 bits, plus one), then the sizes.
    headers = [b"\x00\xff", b"\x00\x01", b"\x02\x01\x07\x40", b"\x01\x05\x00"]
    server = [headers[i % len(headers)] + r for i, r in enumerate(pick(requests, 30))]
    streams = [b"".join(sets[i:i + 3]) + b"get=1\n\n" for i in range(0, min(len(sets), 30), 3)]
    server += [headers[2] + s for s in unique(streams)][:10]
    write("uapi_server", unique(server))
    write("uapi_reply", pick(replies, MAX_SEEDS))
    # The round trip goes past the parser only for a set that parses:
    # the richest first (most kinds of key), the short bad cases last.
    def kinds(t):
        return len({line.split(b"=")[0] for line in t.split(b"\n")})
    # It applies every set of its input in turn: a few streams of them.
    rich = sorted(sets, key=lambda t: (-kinds(t), t))
    pairs = unique(rich[i] + rich[i + 1] for i in range(0, min(len(rich) - 1, 10), 2))
    write("uapi_roundtrip", unique(rich[:MAX_SEEDS - len(pairs)] + pairs))


main()
