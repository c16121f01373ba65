#!/usr/bin/env python3
"""Corruption and fault test for liteport.

Takes real SQLite files (chinook.sqlite, a WAL-mode copy of it, the same WAL copy with
a live -wal file, and a small synthetic file with overflow pages, a freelist and
pointer-map pages), derives corrupted variants from them (bit flips in the header, page
1, b-tree and overflow pages; runs of random/zero/0xFF bytes; truncations; swapped and
duplicated pages; a header claiming huge page counts; broken header fields, freelist,
child, cell and overflow pointers; damaged record headers; damaged -wal frames with and
without valid checksums) and runs every liteport entry point on each: with a file server
and a large-object server, with liteport.read_ahead on and off, every statement in its
own transaction under statement_timeout, watched by a second connection.

Pass criteria per case: the server never crashes or restarts (backend and postmaster
pids, the checkpointer's pid, the server log), no statement hangs past its timeout,
every failure is an ordinary ERROR with a SQLSTATE. Results that look wrong are listed
as questionable (they do not change the exit status): liteport.check raising an ERROR
instead of returning ok = false, check ok = true for a source that then fails, answers
that differ between the file and the large-object server or between read_ahead on and
off, messages that name neither server nor table, and so on.

Every case is derived from (seed, case number) alone, so one case can be rerun with
--only-case N (and its files kept with --keep).

  python3 tests/corruption.py --pg-bin /usr/lib/postgresql/15/bin --seed 1 --cases 500   # ~7 min on 2 cores
  python3 tests/corruption.py --pg-bin /usr/lib/postgresql/15/bin --ci                    # ~3 min
  python3 tests/corruption.py --pg-bin /usr/lib/postgresql/15/bin --seed 1 --only-case 54 --keep
  python3 tests/corruption.py --host /tmp/sock --port 5432 --server-log /tmp/sock/server.log --local --cases 50

The own cluster (--pg-bin) runs as the postgres OS user (via sudo when run as root),
socket-only in WORKDIR/pg, port 5611 unless --port, under ulimit -v 6144 MB (--mem-limit-mb)
so that a runaway allocation fails instead of exhausting the machine. A JSON report with
every statement that failed goes to WORKDIR/report.json. Needs psycopg 3
(pip install "psycopg[binary]") and the data files of ../shared/data (--data-dir).

Exit status: 0 when nothing crashed or hung (known failures excepted), 1 otherwise,
2 when the harness itself could not run.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time

try:
    import psycopg
    from psycopg import sql
except ImportError:  # pragma: no cover
    sys.exit('tests/corruption.py needs psycopg 3: pip install "psycopg[binary]"')

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA_DIRS = [os.path.join(os.path.dirname(REPO), "shared", "data"), "/work/shared/data"]

# Lines of the server log that mean a backend died or the server restarted.
CRASH_LOG = re.compile(
    r"terminated by signal|PANIC|was terminated|server process \(PID|exited with exit code|"
    r"terminating any other active server processes|all server processes terminated|"
    r"memory allocation of \d+ bytes failed|panicked at|fatal runtime error|"
    r"database system was interrupted|Segmentation fault|core dumped"
)
# Error text that is Rust's or rusqlite's rather than a message written for a DBA.
INTERNAL_TEXT = re.compile(r"Conversion error from type|InvalidColumn|FromSql|called `|unwrap\(|panicked|"
                           r"Option::|Result::|index out of bounds")
# Log lines worth reporting although nothing died.
SUSPICIOUS_LOG = re.compile(r"leak|not closed|TRAP:|thread '.*'|RUST_BACKTRACE")


# ----------------------------------------------------------------------------------
# SQLite file structure
# ----------------------------------------------------------------------------------

def be16(b, o):
    return (b[o] << 8) | b[o + 1]


def be32(b, o):
    return struct.unpack_from(">I", b, o)[0]


def put16(b, o, v):
    struct.pack_into(">H", b, o, v & 0xFFFF)


def put32(b, o, v):
    struct.pack_into(">I", b, o, v & 0xFFFFFFFF)


def varint(b, o):
    """SQLite varint at o: (value, length)."""
    v = 0
    for i in range(8):
        if o + i >= len(b):
            return v, i
        c = b[o + i]
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i + 1
    if o + 8 < len(b):
        v = (v << 8) | b[o + 8]
    return v, 9


def page_size_of(header):
    ps = be16(header, 16)
    return 65536 if ps == 1 else ps


class Base:
    """A pristine SQLite file and the map of its pages."""

    def __init__(self, name, path, wal_path=None, note=""):
        self.name, self.path, self.note = name, path, note
        self.data = open(path, "rb").read()
        self.wal = open(wal_path, "rb").read() if wal_path else None
        self.ps = page_size_of(self.data)
        self.npages = len(self.data) // self.ps
        self.kind = {}  # pageno -> description
        self.btree = {"table_interior": [], "table_leaf": [], "index_interior": [], "index_leaf": []}
        self.overflow, self.trunks, self.free_leaves, self.other = [], [], [], []
        self.roots = {}
        self._map()
        self.md5 = hashlib.md5(self.data + (self.wal or b"")).hexdigest()

    def _map(self):
        # dbstat names every page of every b-tree and its overflow pages.
        uri = "file:%s?mode=ro&immutable=1" % self.path
        con = sqlite3.connect(uri, uri=True)
        try:
            for name, root in con.execute("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0"):
                self.roots[name] = root
            self.roots.setdefault("sqlite_schema", 1)
            for name, pageno, pagetype in con.execute("SELECT name, pageno, pagetype FROM dbstat ORDER BY pageno"):
                if pagetype == "overflow":
                    self.overflow.append(pageno)
                    self.kind[pageno] = "overflow page of %s" % name
                    continue
                t = self.data[self.hdr(pageno)]
                cls = {2: "index_interior", 5: "table_interior", 10: "index_leaf", 13: "table_leaf"}.get(t)
                if cls:
                    self.btree[cls].append(pageno)
                self.kind[pageno] = "%s page of %s" % ((cls or "b-tree").replace("_", " "), name)
        finally:
            con.close()
        # The freelist: trunk pages hold the numbers of leaf pages.
        trunk, seen = be32(self.data, 32), set()
        while 0 < trunk <= self.npages and trunk not in seen:
            seen.add(trunk)
            self.trunks.append(trunk)
            self.kind[trunk] = "freelist trunk page"
            off = (trunk - 1) * self.ps
            n = be32(self.data, off + 4)
            for i in range(min(n, self.ps // 4 - 2)):
                leaf = be32(self.data, off + 8 + 4 * i)
                self.free_leaves.append(leaf)
                self.kind[leaf] = "freelist leaf page"
            trunk = be32(self.data, off)
        for p in range(1, self.npages + 1):
            if p not in self.kind:
                self.other.append(p)
                self.kind[p] = "pointer-map or unused page" if be32(self.data, 52) else "unused page"
        self.kind[1] = "page 1 (file header + sqlite_schema " + self.kind.get(1, "") + ")"

    def hdr(self, p):
        """Offset of the b-tree page header of page p."""
        return (p - 1) * self.ps + (100 if p == 1 else 0)

    def btree_pages(self, *classes):
        out = []
        for c in classes or self.btree:
            out += self.btree[c]
        return out

    def where(self, off):
        p = off // self.ps + 1
        return "page %d +%d, %s" % (p, off % self.ps, self.kind.get(p, "beyond the pages"))

    def cells(self, data, p):
        """Offsets (in the file) of the cells of b-tree page p in data."""
        h = self.hdr(p)
        t = data[h]
        hl = 12 if t in (2, 5) else 8
        n = be16(data, h + 3)
        base = (p - 1) * self.ps
        out = []
        for i in range(n):
            po = h + hl + 2 * i
            if po + 2 > base + self.ps:
                break
            out.append((po, base + be16(data, po)))
        return out


# ----------------------------------------------------------------------------------
# WAL files
# ----------------------------------------------------------------------------------

WAL_HDR, FRAME_HDR = 32, 24


def wal_checksum(data, s0, s1, big):
    fmt = ">II" if big else "<II"
    for x0, x1 in struct.iter_unpack(fmt, data):
        s0 = (s0 + x0 + s1) & 0xFFFFFFFF
        s1 = (s1 + x1 + s0) & 0xFFFFFFFF
    return s0, s1


def wal_rechecksum(wal, ps, salts=None):
    """Recompute the header and every frame checksum of a WAL file (in place), so that
    SQLite accepts whatever the frames now hold. salts replaces the header salts."""
    if len(wal) < WAL_HDR:
        return wal
    big = be32(wal, 0) & 1
    if salts:
        put32(wal, 16, salts[0])
        put32(wal, 20, salts[1])
    s0, s1 = wal_checksum(bytes(wal[:24]), 0, 0, big)
    put32(wal, 24, s0)
    put32(wal, 28, s1)
    salt1, salt2 = be32(wal, 16), be32(wal, 20)
    off = WAL_HDR
    while off + FRAME_HDR + ps <= len(wal):
        put32(wal, off + 8, salt1)
        put32(wal, off + 12, salt2)
        s0, s1 = wal_checksum(bytes(wal[off:off + 8]), s0, s1, big)
        s0, s1 = wal_checksum(bytes(wal[off + FRAME_HDR:off + FRAME_HDR + ps]), s0, s1, big)
        put32(wal, off + 16, s0)
        put32(wal, off + 20, s1)
        off += FRAME_HDR + ps
    return wal


def wal_frames(wal, ps):
    return max(0, (len(wal) - WAL_HDR) // (FRAME_HDR + ps))


# ----------------------------------------------------------------------------------
# Building the pristine files (deterministic)
# ----------------------------------------------------------------------------------

def build_bases(datadir, outdir):
    os.makedirs(outdir, exist_ok=True)
    bases = {}
    chinook_src = os.path.join(datadir, "chinook.sqlite")
    chinook = os.path.join(outdir, "chinook.sqlite")
    shutil.copyfile(chinook_src, chinook)
    bases["chinook"] = Base("chinook", chinook, note="chinook.sqlite, rollback journal")

    wal = os.path.join(outdir, "chinook-wal.sqlite")
    shutil.copyfile(chinook_src, wal)
    con = sqlite3.connect(wal)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    bases["chinook_wal"] = Base("chinook_wal", wal, note="chinook.sqlite in WAL mode, checkpointed, no -wal")

    # WAL mode with an application still running: committed frames in -wal, not yet
    # in the main file. The files are copied while the writer holds them open; the
    # salts are then fixed and the checksums recomputed so the bytes are the same on
    # every run.
    live_dir = os.path.join(outdir, "live")
    os.makedirs(live_dir, exist_ok=True)
    live = os.path.join(live_dir, "w.db")
    shutil.copyfile(wal, live)
    for ext in ("-wal", "-shm"):
        if os.path.exists(live + ext):
            os.unlink(live + ext)
    con = sqlite3.connect(live, isolation_level=None)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("BEGIN")
    con.execute("""UPDATE "Track" SET "Name" = "Name" || ' (live)' WHERE "TrackId" % 7 = 0""")
    con.execute("COMMIT")
    con.execute("BEGIN")
    for i in range(200):
        con.execute("""INSERT INTO "Artist"("Name") VALUES (?)""", ("Live artist %d %s" % (i, "x" * (i % 50)),))
    con.execute("COMMIT")
    con.execute("""DELETE FROM "PlaylistTrack" WHERE "PlaylistId" = 1""")
    con.execute("""INSERT INTO "Genre"("Name") VALUES ('Live ünïcödé genre')""")
    main_copy = os.path.join(outdir, "chinook-live.sqlite")
    shutil.copyfile(live, main_copy)
    walbytes = bytearray(open(live + "-wal", "rb").read())
    con.close()
    ps = page_size_of(open(main_copy, "rb").read(100))
    walbytes = walbytes[:WAL_HDR + wal_frames(walbytes, ps) * (FRAME_HDR + ps)]
    put32(walbytes, 12, 0)
    wal_rechecksum(walbytes, ps, salts=(0x5A17C0DE, 0x0BADF00D))
    with open(main_copy + "-wal", "wb") as f:
        f.write(walbytes)
    bases["chinook_live"] = Base("chinook_live", main_copy, main_copy + "-wal",
                                 note="chinook in WAL mode with %d committed frames in -wal (an empty -shm is added beside each copy)"
                                      % wal_frames(walbytes, ps))
    shutil.rmtree(live_dir)

    # A small file with every page kind: 1 KiB pages, long text and blobs (overflow
    # chains), an index, a WITHOUT ROWID table, AUTOINCREMENT, a view, incremental
    # auto-vacuum (pointer-map pages) and a dropped table whose pages stay on the freelist.
    small = os.path.join(outdir, "small.sqlite")
    if os.path.exists(small):
        os.unlink(small)
    rng = random.Random(20240601)
    con = sqlite3.connect(small, isolation_level=None)
    con.execute("PRAGMA page_size=1024")
    con.execute("PRAGMA auto_vacuum=INCREMENTAL")
    con.execute("BEGIN")
    con.execute("""CREATE TABLE items(id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, r REAL, s TEXT NOT NULL,
                   b BLOB, d DATE, ts DATETIME, flag BOOLEAN, j JSON, u UUID, price NUMERIC(10,2))""")
    con.execute("CREATE INDEX items_s ON items(s)")
    con.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, img BLOB)")
    con.execute("CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID")
    con.execute("CREATE TABLE junk(x)")
    con.execute("CREATE VIEW v_items AS SELECT id, s, price FROM items WHERE flag")
    words = ["alpha", "beta", "gamma", "delta", "ünï", "Ωmega", "naïve", "tab\tbed", "quote'd"]
    for i in range(1, 601):
        con.execute("INSERT INTO items(n, r, s, b, d, ts, flag, j, u, price) VALUES (?,?,?,?,?,?,?,?,?,?)", (
            rng.randrange(-2**40, 2**40), rng.random() * 1e6, " ".join(rng.choice(words) for _ in range(rng.randint(1, 8))),
            bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))),
            "2024-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28)),
            "2024-01-01 %02d:%02d:%02d" % (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
            rng.randint(0, 1), json.dumps({"i": i, "w": rng.choice(words)}),
            "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                           rng.getrandbits(16), rng.getrandbits(48)),
            round(rng.random() * 1000, 2)))
    for i in range(1, 41):
        body = "".join(rng.choice("abcdefghij klmnopqrstuvwxyzé\n") for _ in range(rng.randint(1500, 30000)))
        img = bytes(rng.randrange(256) for _ in range(rng.choice([0, 100, 3000, 12000])))
        con.execute("INSERT INTO docs VALUES (?,?,?,?)", (i, "doc %d" % i, body, img))
    for i in range(300):
        con.execute("INSERT INTO kv VALUES (?,?)", ("key%04d" % i, rng.choice([i, i * 0.5, "v%d" % i, None, b"\x00\x01"])))
    for i in range(400):
        con.execute("INSERT INTO junk VALUES (?)", ("j" * rng.randint(10, 500),))
    con.execute("COMMIT")
    con.execute("DROP TABLE junk")  # its pages go to the freelist (incremental vacuum keeps them)
    con.execute("DELETE FROM docs WHERE id % 5 = 0")
    con.close()
    bases["small"] = Base("small", small, note="synthetic: 1 KiB pages, overflow chains, freelist, pointer map")
    for root, dirs, files in os.walk(outdir):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    os.chmod(outdir, 0o755)
    return bases


# ----------------------------------------------------------------------------------
# Mutations. Each takes (rng, base, data: bytearray) and returns (data, description).
# ----------------------------------------------------------------------------------

def flip(base, data, off, bit):
    old = data[off]
    data[off] ^= 1 << bit
    return "offset %d (%s) bit %d: 0x%02x -> 0x%02x" % (off, base.where(off), bit, old, data[off])


def m_bitflip_header(rng, base, data):
    return data, "bit flip in the header: " + flip(base, data, rng.randrange(100), rng.randrange(8))


def m_bitflip_page1(rng, base, data):
    return data, "bit flip in page 1: " + flip(base, data, rng.randrange(100, base.ps), rng.randrange(8))


def m_bitflip_btree_header(rng, base, data):
    p = rng.choice(base.btree_pages())
    h = base.hdr(p)
    hl = 12 if data[h] in (2, 5) else 8
    off = h + rng.randrange(hl + 2 * be16(data, h + 3))
    return data, "bit flip in a b-tree page header / cell pointer array: " + flip(base, data, off, rng.randrange(8))


def m_bitflip_btree_content(rng, base, data):
    p = rng.choice(base.btree_pages())
    cs = min(be16(data, base.hdr(p) + 5) or 65536, base.ps - 1)
    start = (p - 1) * base.ps + max(cs, 100 if p == 1 else 0)
    off = rng.randrange(start, p * base.ps)
    return data, "bit flip in b-tree cell content: " + flip(base, data, off, rng.randrange(8))


def m_bitflip_overflow(rng, base, data):
    if not base.overflow:
        return m_bitflip_btree_content(rng, base, data)
    p = rng.choice(base.overflow)
    off = (p - 1) * base.ps + (rng.randrange(4) if rng.random() < 0.4 else rng.randrange(4, base.ps))
    return data, "bit flip in an overflow page: " + flip(base, data, off, rng.randrange(8))


def m_bitflip_any(rng, base, data):
    return data, "bit flip: " + flip(base, data, rng.randrange(len(data)), rng.randrange(8))


def m_bitflip_many(rng, base, data):
    k = rng.randint(2, 48)
    page = rng.choice([None, rng.randint(1, base.npages)])
    flips = []
    for _ in range(k):
        off = rng.randrange(len(data)) if page is None else (page - 1) * base.ps + rng.randrange(base.ps)
        bit = rng.randrange(8)
        data[off] ^= 1 << bit
        flips.append("%d:%d" % (off, bit))
    where = "anywhere" if page is None else "in page %d (%s)" % (page, base.kind.get(page))
    return data, "%d bit flips %s (offset:bit) %s" % (k, where, " ".join(flips))


def m_run(rng, base, data):
    fill = rng.choice(["random", "zero", "0xff"])
    length = rng.choice([rng.randint(1, 16), rng.randint(17, 512), base.ps, base.ps * rng.randint(2, 8)])
    target = rng.choice(["aligned", "any", "btree", "overflow", "page1"])
    if target == "aligned":
        start = rng.randrange(base.npages) * base.ps
    elif target == "btree":
        p = rng.choice(base.btree_pages())
        start = (p - 1) * base.ps + rng.randrange(base.ps)
    elif target == "overflow" and base.overflow:
        p = rng.choice(base.overflow)
        start = (p - 1) * base.ps + rng.randrange(base.ps)
    elif target == "page1":
        start = rng.randrange(base.ps)
    else:
        start = rng.randrange(len(data))
    length = min(length, len(data) - start)
    if fill == "random":
        chunk = rng.randbytes(length)
    else:
        chunk = (b"\0" if fill == "zero" else b"\xff") * length
    data[start:start + length] = chunk
    return data, "run of %d %s bytes at offset %d (%s)" % (length, fill, start, base.where(start))


def m_truncate_random(rng, base, data):
    n = rng.choice([rng.randint(1, 99), rng.randint(100, base.ps - 1), rng.randint(base.ps, len(data) - 1)])
    return data[:n], "truncated at byte %d of %d (%s)" % (n, len(data), base.where(n))


def m_truncate_aligned(rng, base, data):
    k = rng.randint(1, base.npages - 1)
    return data[:k * base.ps], "truncated to %d of %d pages (%d bytes)" % (k, base.npages, k * base.ps)


def m_append(rng, base, data):
    k = rng.randint(1, 8)
    fill = rng.choice(["zero", "random", "copy"])
    if fill == "copy":
        p = rng.randint(1, base.npages)
        extra = bytes(data[(p - 1) * base.ps:p * base.ps]) * k
        fill = "copies of page %d" % p
    elif fill == "zero":
        extra = bytes(k * base.ps)
    else:
        extra = rng.randbytes(k * base.ps)
    return data + extra, "%d pages of %s appended" % (k, fill)


def pick_page(rng, base, exclude=()):
    pools = [base.btree_pages(), base.overflow, base.trunks + base.free_leaves, list(range(2, base.npages + 1))]
    pool = [p for p in rng.choice([q for q in pools if q]) if p not in exclude]
    return rng.choice(pool or [p for p in range(2, base.npages + 1) if p not in exclude])


def m_swap_pages(rng, base, data):
    a = 1 if rng.random() < 0.1 else pick_page(rng, base)
    b = pick_page(rng, base, exclude=(a,))
    ps = base.ps
    pa, pb = bytes(data[(a - 1) * ps:a * ps]), bytes(data[(b - 1) * ps:b * ps])
    data[(a - 1) * ps:a * ps], data[(b - 1) * ps:b * ps] = pb, pa
    return data, "pages %d (%s) and %d (%s) swapped" % (a, base.kind.get(a), b, base.kind.get(b))


def m_copy_page(rng, base, data):
    src = pick_page(rng, base)
    dst = pick_page(rng, base, exclude=(src,))
    ps = base.ps
    data[(dst - 1) * ps:dst * ps] = data[(src - 1) * ps:src * ps]
    return data, "page %d (%s) overwritten with a copy of page %d (%s)" % (dst, base.kind.get(dst), src, base.kind.get(src))


def m_header_pagecount(rng, base, data):
    v = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x40000000, 0x3FFFFFFF, base.npages * 1000, base.npages + 1,
                    base.npages - 1, 0, rng.randrange(2 ** 32)])
    old = be32(data, 28)
    put32(data, 28, v)
    trusted = rng.random() < 0.75
    if trusted:  # "version-valid-for" = change counter: SQLite believes the in-header size
        data[92:96] = data[24:28]
    return data, "header page count %d -> %d (%s)" % (old, v, "valid-for = change counter, so SQLite trusts it"
                                                        if trusted else "valid-for untouched")


HEADER_FIELDS = [
    ("page size", 16, 2, [0, 1, 2, 511, 512, 1024, 2048, 8192, 16384, 32768, 0xFFFF, 3, 0x8000 | 1]),
    ("write version", 18, 1, [0, 1, 2, 3, 255]),
    ("read version", 19, 1, [0, 1, 2, 3, 255]),
    ("reserved bytes per page", 20, 1, [1, 8, 32, 64, 255]),
    ("max embedded payload fraction", 21, 1, [0, 32, 255]),
    ("min embedded payload fraction", 22, 1, [0, 255]),
    ("leaf payload fraction", 23, 1, [0, 255]),
    ("file change counter", 24, 4, [0, 0xFFFFFFFF]),
    ("schema cookie", 40, 4, [0, 0xFFFFFFFF, 12345]),
    ("schema format number", 44, 4, [0, 1, 2, 3, 5, 0xFFFFFFFF]),
    ("default page cache size", 48, 4, [0x80000000, 0x7FFFFFFF, 1, 0xFFFFFFFF]),
    ("largest root page (auto-vacuum)", 52, 4, [1, 3, 0x7FFFFFFF, 0xFFFFFFFF]),
    ("text encoding", 56, 4, [0, 2, 3, 4, 0xFFFFFFFF]),
    ("incremental vacuum flag", 64, 4, [0, 1, 0xFFFFFFFF]),
    ("reserved for expansion", 72, 4, [1, 0xFFFFFFFF]),
    ("version-valid-for", 92, 4, [0, 1, 0xFFFFFFFF]),
    ("SQLITE_VERSION_NUMBER", 96, 4, [0, 1, 0xFFFFFFFF, 99999999]),
]


def m_header_field(rng, base, data):
    name, off, size, values = rng.choice(HEADER_FIELDS)
    v = rng.choice(values)
    old = be16(data, off) if size == 2 else be32(data, off) if size == 4 else data[off]
    if size == 1:
        data[off] = v
    elif size == 2:
        put16(data, off, v)
    else:
        put32(data, off, v)
    return data, "header field %s (offset %d) %d -> %d" % (name, off, old, v)


def m_freelist(rng, base, data):
    count = be32(data, 36)
    choice = rng.choice(["first_trunk", "count", "trunk_next", "trunk_leafcount", "trunk_leaf", "claims_live"])
    if not base.trunks and choice.startswith("trunk"):
        choice = rng.choice(["first_trunk", "count", "claims_live"])
    if choice == "first_trunk":
        v = rng.choice([1, base.npages + 1, 0xFFFFFFFF, 0, rng.choice(base.btree_pages())])
        put32(data, 32, v)
        if count == 0:
            put32(data, 36, rng.randint(1, 50))
        return data, "freelist first trunk %d -> %d (count %d -> %d)" % (
            base.trunks[0] if base.trunks else 0, v, count, be32(data, 36))
    if choice == "count":
        v = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, count + 1, count * 10 + 1, base.npages + 100, 0])
        put32(data, 36, v)
        return data, "freelist page count %d -> %d" % (count, v)
    if choice == "claims_live":
        victim = rng.choice(base.btree_pages("table_leaf", "index_leaf"))
        put32(data, 32, victim)
        put32(data, 36, max(count, 1))
        return data, "freelist first trunk -> live page %d (%s)" % (victim, base.kind.get(victim))
    t = rng.choice(base.trunks)
    off = (t - 1) * base.ps
    if choice == "trunk_next":
        v = rng.choice([t, 1, base.npages + 1, 0xFFFFFFFF, rng.choice(base.btree_pages())])
        put32(data, off, v)
        return data, "freelist trunk page %d: next trunk -> %d" % (t, v)
    if choice == "trunk_leafcount":
        n = be32(data, off + 4)
        v = rng.choice([0xFFFFFFFF, base.ps // 4, base.ps // 4 - 1, n + 5, 0x80000000])
        put32(data, off + 4, v)
        return data, "freelist trunk page %d: leaf count %d -> %d" % (t, n, v)
    n = be32(data, off + 4)
    i = rng.randrange(max(1, min(n, base.ps // 4 - 2)))
    v = rng.choice([1, t, base.npages + 1, 0xFFFFFFFF, 0, rng.choice(base.btree_pages())])
    put32(data, off + 8 + 4 * i, v)
    return data, "freelist trunk page %d: leaf entry %d -> %d" % (t, i, v)


def m_child_pointer(rng, base, data):
    interiors = base.btree_pages("table_interior", "index_interior")
    if not interiors:
        return m_bitflip_btree_header(rng, base, data)
    p = rng.choice(interiors)
    h = base.hdr(p)
    cells = base.cells(data, p)
    if rng.random() < 0.5 or not cells:
        at, what = h + 8, "right-most child pointer"
    else:
        i = rng.randrange(len(cells))
        at, what = cells[i][1], "child pointer of cell %d" % i
    leaves = base.btree_pages("table_leaf", "index_leaf")
    v = rng.choice([p, 1, 0, base.npages + 1, 0xFFFFFFFF, rng.randint(2, base.npages), rng.choice(leaves),
                    rng.choice(interiors)])
    old = be32(data, at)
    put32(data, at, v)
    return data, "page %d (%s): %s %d -> %d" % (p, base.kind.get(p), what, old, v)


def m_btree_header_field(rng, base, data):
    p = rng.choice(base.btree_pages())
    h = base.hdr(p)
    field = rng.choice(["type", "ncells", "content", "freeblock", "fragmented"])
    if field == "type":
        old = data[h]
        data[h] = rng.choice([0, 1, 2, 5, 10, 13, 0xFF])
        return data, "page %d (%s): page type 0x%02x -> 0x%02x" % (p, base.kind.get(p), old, data[h])
    if field == "ncells":
        old = be16(data, h + 3)
        v = rng.choice([0, 0xFFFF, old + 1, old * 2 + 1, old - 1 if old else 1])
        put16(data, h + 3, v)
        return data, "page %d (%s): cell count %d -> %d" % (p, base.kind.get(p), old, v)
    if field == "content":
        old = be16(data, h + 5)
        v = rng.choice([0, 1, 0xFFFF, base.ps - 1, 8])
        put16(data, h + 5, v)
        return data, "page %d (%s): cell content start %d -> %d" % (p, base.kind.get(p), old, v)
    if field == "freeblock":
        old = be16(data, h + 1)
        v = rng.choice([1, 0xFFFF, base.ps - 2, be16(data, h + 5), h % base.ps])
        put16(data, h + 1, v)
        return data, "page %d (%s): first freeblock %d -> %d" % (p, base.kind.get(p), old, v)
    old = data[h + 7]
    data[h + 7] = rng.choice([60, 255])
    return data, "page %d (%s): fragmented bytes %d -> %d" % (p, base.kind.get(p), old, data[h + 7])


def m_cell_pointer(rng, base, data):
    p = rng.choice(base.btree_pages())
    cells = base.cells(data, p)
    if not cells:
        return m_btree_header_field(rng, base, data)
    i = rng.randrange(len(cells))
    po, _ = cells[i]
    old = be16(data, po)
    v = rng.choice([0, 1, base.ps - 1, base.ps, 0xFFFF, be16(data, rng.choice(cells)[0]), (base.hdr(p) % base.ps)])
    put16(data, po, v)
    return data, "page %d (%s): cell pointer %d: %d -> %d" % (p, base.kind.get(p), i, old, v)


def set_varint_max(data, off):
    """Replace the varint at off by the largest value of the same length; returns its text."""
    v, n = varint(data, off)
    if n == 1:
        data[off] = 0x7F
    else:
        for i in range(min(n, 8) - 1):
            data[off + i] = 0xFF
        data[off + min(n, 8) - 1] = 0x7F if n < 9 else 0xFF
        if n == 9:
            data[off + 7] = 0xFF
    return "%d -> %d" % (v, varint(data, off)[0])


def m_record(rng, base, data):
    """Damage a cell's sizes: payload size, record header size or one serial type."""
    leaves = base.btree_pages("table_leaf") if rng.random() < 0.8 else base.btree_pages("index_leaf")
    leaves = leaves or base.btree_pages("table_leaf")
    p = rng.choice(leaves)
    cells = base.cells(data, p)
    if not cells:
        return m_bitflip_btree_content(rng, base, data)
    i = rng.randrange(len(cells))
    c = cells[i][1]
    is_table = data[base.hdr(p)] == 13
    _, n_pay = varint(data, c)
    rec = c + n_pay
    if is_table:
        rec += varint(data, rec)[1]
    what = rng.choice(["payload size", "header size", "serial type", "serial type value"])
    where = "page %d (%s) cell %d" % (p, base.kind.get(p), i)
    if what == "payload size":
        return data, "%s: payload size %s" % (where, set_varint_max(data, c))
    if what == "header size":
        return data, "%s: record header size %s" % (where, set_varint_max(data, rec))
    hsize, n_h = varint(data, rec)
    offs, o = [], rec + n_h
    while o < rec + hsize and o < c + base.ps and len(offs) < 64:
        offs.append(o)
        o += varint(data, o)[1]
    if not offs:
        return data, "%s: record header size %s" % (where, set_varint_max(data, rec))
    k = rng.randrange(len(offs))
    if what == "serial type":
        return data, "%s: serial type of column %d %s" % (where, k, set_varint_max(data, offs[k]))
    old, n = varint(data, offs[k])
    if n == 1:
        data[offs[k]] = rng.choice([10, 11, 0x7E, 0x7F, 7, 0])
        return data, "%s: serial type of column %d %d -> %d" % (where, k, old, data[offs[k]])
    return data, "%s: serial type of column %d %s" % (where, k, set_varint_max(data, offs[k]))


def m_overflow_pointer(rng, base, data):
    if not base.overflow:
        return m_child_pointer(rng, base, data)
    p = rng.choice(base.overflow)
    off = (p - 1) * base.ps
    old = be32(data, off)
    v = rng.choice([p, 0, 1, rng.choice(base.overflow), base.npages + 1, 0xFFFFFFFF,
                    rng.choice(base.btree_pages())])
    put32(data, off, v)
    return data, "overflow page %d (%s): next overflow page %d -> %d" % (p, base.kind.get(p), old, v)


MAIN_MUTATIONS = [
    (m_bitflip_header, 8), (m_bitflip_page1, 6), (m_bitflip_btree_header, 8), (m_bitflip_btree_content, 10),
    (m_bitflip_overflow, 6), (m_bitflip_any, 6), (m_bitflip_many, 6), (m_run, 12), (m_truncate_random, 5),
    (m_truncate_aligned, 5), (m_append, 2), (m_swap_pages, 5), (m_copy_page, 3), (m_header_pagecount, 5),
    (m_header_field, 7), (m_freelist, 6), (m_child_pointer, 6), (m_btree_header_field, 4), (m_cell_pointer, 4),
    (m_record, 6), (m_overflow_pointer, 4),
]


# -wal mutations: (rng, base, wal) -> (wal, description)

def w_flip_header(rng, base, wal):
    off = rng.randrange(WAL_HDR)
    old = wal[off]
    wal[off] ^= 1 << rng.randrange(8)
    return wal, "-wal header byte %d: 0x%02x -> 0x%02x (checksum not fixed)" % (off, old, wal[off])


def w_flip_frame(rng, base, wal):
    n = wal_frames(wal, base.ps)
    f = rng.randrange(n)
    fo = WAL_HDR + f * (FRAME_HDR + base.ps)
    off = fo + (rng.randrange(FRAME_HDR) if rng.random() < 0.4 else FRAME_HDR + rng.randrange(base.ps))
    old = wal[off]
    wal[off] ^= 1 << rng.randrange(8)
    return wal, "-wal frame %d of %d, byte %d of the frame: 0x%02x -> 0x%02x (checksum not fixed)" % (
        f, n, off - fo, old, wal[off])


def w_corrupt_valid(rng, base, wal):
    """Corrupt a frame's page and recompute every checksum: SQLite reads the bad page."""
    n = wal_frames(wal, base.ps)
    f = rng.randrange(n)
    fo = WAL_HDR + f * (FRAME_HDR + base.ps) + FRAME_HDR
    pgno = be32(wal, fo - FRAME_HDR)
    how = rng.choice(["flip", "run", "zero", "other"])
    if how == "flip":
        for _ in range(rng.randint(1, 8)):
            wal[fo + rng.randrange(base.ps)] ^= 1 << rng.randrange(8)
        what = "bit flips"
    elif how == "run":
        s = rng.randrange(base.ps)
        ln = min(base.ps - s, rng.randint(1, 600))
        wal[fo + s:fo + s + ln] = rng.randbytes(ln)
        what = "%d random bytes at +%d" % (ln, s)
    elif how == "zero":
        wal[fo:fo + base.ps] = bytes(base.ps)
        what = "all zero"
    else:
        p = pick_page(rng, base)
        wal[fo:fo + base.ps] = base.data[(p - 1) * base.ps:p * base.ps]
        what = "a copy of page %d (%s)" % (p, base.kind.get(p))
    wal_rechecksum(wal, base.ps)
    return wal, "-wal frame %d of %d (page %d, %s): %s, checksums recomputed" % (f, n, pgno, base.kind.get(pgno), what)


def w_frame_field(rng, base, wal):
    n = wal_frames(wal, base.ps)
    f = rng.randrange(n)
    fo = WAL_HDR + f * (FRAME_HDR + base.ps)
    if rng.random() < 0.5:
        old = be32(wal, fo)
        v = rng.choice([0, 1, base.npages + 1, 0x7FFFFFFF, 0xFFFFFFFF, rng.randint(2, base.npages)])
        put32(wal, fo, v)
        what = "page number %d -> %d" % (old, v)
    else:
        old = be32(wal, fo + 4)
        v = rng.choice([1, 0xFFFFFFFF, 0x7FFFFFFF, base.npages * 100, max(1, base.npages - 10), 0])
        put32(wal, fo + 4, v)
        what = "db size after commit %d -> %d" % (old, v)
    wal_rechecksum(wal, base.ps)
    return wal, "-wal frame %d of %d: %s, checksums recomputed" % (f, n, what)


def w_truncate(rng, base, wal):
    n = wal_frames(wal, base.ps)
    how = rng.choice(["header", "frame", "any"])
    if how == "header":
        cut = rng.randrange(WAL_HDR)
    elif how == "frame":
        cut = WAL_HDR + rng.randrange(n) * (FRAME_HDR + base.ps)
    else:
        cut = rng.randrange(len(wal))
    return wal[:cut], "-wal truncated at byte %d of %d (%s)" % (cut, len(wal), how)


def w_header_field(rng, base, wal):
    name, off, values = rng.choice([
        ("magic", 0, [0x377F0682, 0x377F0683, 0, 0xFFFFFFFF]), ("format version", 4, [0, 3007001, 0xFFFFFFFF]),
        ("page size", 8, [0, 512, 1024, 8192, 65536, 3, 0xFFFFFFFF]), ("checkpoint sequence", 12, [1, 0xFFFFFFFF])])
    old = be32(wal, off)
    v = rng.choice(values)
    put32(wal, off, v)
    fixed = rng.random() < 0.7
    if fixed:
        s0, s1 = wal_checksum(bytes(wal[:24]), 0, 0, be32(wal, 0) & 1)
        put32(wal, 24, s0)
        put32(wal, 28, s1)
    return wal, "-wal header %s %d -> %d (%s)" % (name, old, v, "header checksum recomputed" if fixed else "checksum stale")


def w_swap_frames(rng, base, wal):
    n = wal_frames(wal, base.ps)
    a, b = rng.sample(range(n), 2)
    sz = FRAME_HDR + base.ps
    fa = bytes(wal[WAL_HDR + a * sz:WAL_HDR + (a + 1) * sz])
    fb = bytes(wal[WAL_HDR + b * sz:WAL_HDR + (b + 1) * sz])
    wal[WAL_HDR + a * sz:WAL_HDR + (a + 1) * sz] = fb
    wal[WAL_HDR + b * sz:WAL_HDR + (b + 1) * sz] = fa
    fixed = rng.random() < 0.7
    if fixed:
        wal_rechecksum(wal, base.ps)
    return wal, "-wal frames %d and %d of %d swapped (%s)" % (a, b, n, "checksums recomputed" if fixed else "checksums stale")


WAL_MUTATIONS = [(w_flip_header, 2), (w_flip_frame, 3), (w_corrupt_valid, 5), (w_frame_field, 3), (w_truncate, 3),
                 (w_header_field, 2), (w_swap_frames, 2)]

BASE_WEIGHTS = [("chinook", 45), ("chinook_wal", 17), ("chinook_live", 13), ("small", 25)]


def weighted(rng, items):
    total = sum(w for _, w in items)
    x = rng.uniform(0, total)
    for item, w in items:
        x -= w
        if x <= 0:
            return item
    return items[-1][0]


NEEDS_OVERFLOW = (m_bitflip_overflow, m_overflow_pointer)


def make_case(seed, n, bases):
    """Case n of a seed: (base, main bytes, -wal bytes or None, mutation name, description)."""
    rng = random.Random("liteport-corruption:%d:%d" % (seed, n))
    base = bases[weighted(rng, BASE_WEIGHTS)]
    data, wal = bytearray(base.data), bytearray(base.wal) if base.wal is not None else None
    if wal is not None and rng.random() < 0.65:
        fn = weighted(rng, WAL_MUTATIONS)
        wal, desc = fn(rng, base, wal)
    else:
        fn = weighted(rng, [(f, w) for f, w in MAIN_MUTATIONS if base.overflow or f not in NEEDS_OVERFLOW])
        data, desc = fn(rng, base, data)
    return base, bytes(data), bytes(wal) if wal is not None else None, fn.__name__, desc


# ----------------------------------------------------------------------------------
# The cluster
# ----------------------------------------------------------------------------------

def as_postgres(cmd, **kw):
    if os.geteuid() == 0:
        cmd = ["sudo", "-u", "postgres"] + cmd
    return subprocess.run(cmd, **kw)


class Cluster:
    def __init__(self, pg_bin, workdir, port, mem_limit_mb):
        self.pg_bin, self.port, self.mem_limit_mb = pg_bin, port, mem_limit_mb
        self.dir = os.path.join(workdir, "pg")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.host = self.dir

    def start(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        r = as_postgres([os.path.join(self.pg_bin, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                         "-E", "UTF8", "--locale=C.UTF-8"], capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("initdb failed: " + r.stderr)
        conf = ["port = %d" % self.port, "listen_addresses = ''", "unix_socket_directories = '%s'" % self.dir,
                "fsync = off", "synchronous_commit = off", "full_page_writes = off", "shared_buffers = 64MB",
                "max_connections = 20", "log_min_messages = warning", "restart_after_crash = on",
                "log_line_prefix = '%m [%p] '"]
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n".join(conf) + "\n")
        limit = "ulimit -v %d; " % (self.mem_limit_mb * 1024) if self.mem_limit_mb else ""
        cmd = "%sexec %s -D %s -l %s -w -t 60 start" % (limit, os.path.join(self.pg_bin, "pg_ctl"), self.data, self.log)
        r = as_postgres(["bash", "-c", cmd], capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("pg_ctl start failed: %s %s" % (r.stdout, r.stderr))

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            as_postgres([os.path.join(self.pg_bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"],
                        capture_output=True)

    def postmaster_pid(self):
        try:
            return int(open(os.path.join(self.data, "postmaster.pid")).readline())
        except (OSError, ValueError):
            return None


class LogTail:
    """New lines of the server log since the last read."""

    def __init__(self, path):
        self.path = path
        self.pos = os.path.getsize(path) if path and os.path.exists(path) else 0

    def read(self):
        if not self.path or not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            chunk = f.read()
        # keep an incomplete last line for later
        cut = chunk.rfind(b"\n") + 1
        self.pos += cut
        return chunk[:cut].decode("utf-8", "replace").splitlines()


# ----------------------------------------------------------------------------------
# Running statements
# ----------------------------------------------------------------------------------

class Outcome:
    __slots__ = ("kind", "query", "ok", "value", "sqlstate", "message", "detail", "elapsed", "crash", "hang",
                 "log", "warnings")

    def __init__(self, kind, query):
        self.kind, self.query = kind, query
        self.ok, self.value, self.sqlstate, self.message, self.detail = False, None, None, None, None
        self.elapsed, self.crash, self.hang, self.log, self.warnings = 0.0, None, None, [], []


class Watchdog(threading.Thread):
    """Cancels, then terminates, then kills a backend whose statement outlives its
    deadline; one persistent thread for the whole run."""

    def __init__(self, runner):
        super().__init__(daemon=True)
        self.runner = runner
        self.cv = threading.Condition()
        self.armed = None  # (deadline, pid, token)
        self.token = 0
        self.fired = {}

    def arm(self, pid, seconds):
        with self.cv:
            self.token += 1
            self.armed = (time.monotonic() + seconds, pid, self.token)
            self.cv.notify()
            return self.token

    def disarm(self):
        with self.cv:
            self.armed = None
            self.cv.notify()

    def run(self):
        while True:
            with self.cv:
                while self.armed is None:
                    self.cv.wait()
                deadline, pid, token = self.armed
                now = time.monotonic()
                if now < deadline:
                    self.cv.wait(deadline - now)
                    continue
                self.armed = None
            self.fired[token] = "cancel sent"
            self.fired[token] = self.escalate(pid, token)

    def escalate(self, pid, token):
        steps = []
        for fn, wait in (("pg_cancel_backend", 10), ("pg_terminate_backend", 10)):
            if self.runner.stmt_token != token:
                return " then ".join(steps) or "answered just in time"
            try:
                with self.runner.connect(autocommit=True) as mon:
                    mon.execute("SELECT %s(%%s)" % fn, (pid,))
            except Exception as e:  # noqa: BLE001
                steps.append("%s failed: %s" % (fn, e))
            steps.append(fn)
            end = time.monotonic() + wait
            while time.monotonic() < end:
                if self.runner.stmt_token != token:
                    return " then ".join(steps)
                time.sleep(0.2)
        if self.runner.local:
            try:
                os.kill(pid, signal.SIGKILL)
                steps.append("SIGKILL (backend ignored cancel and terminate)")
            except OSError as e:
                steps.append("kill failed: %s" % e)
        return " then ".join(steps)


class Runner:
    def __init__(self, args, cluster):
        self.args, self.cluster = args, cluster
        self.host = cluster.host if cluster else args.host
        self.port = cluster.port if cluster else args.port
        self.local = cluster is not None or args.local
        logpath = cluster.log if cluster else args.server_log
        self.log = LogTail(logpath)
        self.conn = None
        self.stmt_token = None
        self.statement_timeout = args.statement_timeout
        self.watchdog = Watchdog(self)
        self.watchdog.start()
        self.read_ahead = None
        self.warnings = []
        self.reconnects = 0

    def connect(self, autocommit=True):
        return psycopg.connect(host=self.host, port=self.port, user=self.args.user, dbname=self.args.dbname,
                               autocommit=autocommit, connect_timeout=10,
                               application_name="liteport-corruption")

    def ensure(self):
        if self.conn is not None and not self.conn.closed and not self.conn.broken:
            return
        deadline = time.monotonic() + 120
        last = None
        while time.monotonic() < deadline:
            try:
                self.conn = self.connect()
                break
            except psycopg.OperationalError as e:
                last = e
                time.sleep(0.5)
        else:
            raise RuntimeError("cannot reconnect to the server: %s" % last)
        self.conn.add_notice_handler(self._notice)
        self.conn.execute("SET statement_timeout = %s" % int(self.statement_timeout * 1000))
        self.conn.execute("SET lock_timeout = '10s'")
        if self.read_ahead:
            self.conn.execute("SET liteport.read_ahead = %s" % self.read_ahead)
        self.backend_pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def _notice(self, diag):
        if diag.severity_nonlocalized in ("WARNING",):
            self.warnings.append(diag.message_primary or "")

    def set_timeout(self, seconds):
        self.ensure()
        self.statement_timeout = seconds
        self.conn.execute("SET statement_timeout = %s" % int(seconds * 1000))

    def run(self, kind, query, params=None, fetch=True, timeout=None):
        """Run one statement in its own transaction; watch for crash and hang."""
        self.ensure()
        out = Outcome(kind, query if isinstance(query, str) else query.as_string(self.conn))
        m = re.match(r"SET liteport.read_ahead = (\w+)$", out.query)
        if m:
            self.read_ahead = m.group(1)
        self.warnings = []
        grace = (timeout or self.statement_timeout) + self.args.grace
        token = self.watchdog.arm(self.backend_pid, grace)
        self.stmt_token = token
        t0 = time.monotonic()
        broken = False
        try:
            cur = self.conn.execute(query, params, prepare=False)
            out.value = cur.fetchall() if (fetch and cur.description) else None
            out.ok = True
        except psycopg.Error as e:
            broken = self.conn.broken or self.conn.closed
            out.sqlstate = getattr(e, "sqlstate", None)
            diag = getattr(e, "diag", None)
            out.message = (diag.message_primary if diag and diag.message_primary else str(e)).strip()
            out.detail = diag.message_detail if diag else None
        finally:
            self.stmt_token = None
            self.watchdog.disarm()
            out.elapsed = time.monotonic() - t0
        out.warnings = self.warnings
        fired = self.watchdog.fired.pop(token, None)
        if not fired and out.elapsed >= grace:
            fired = "the watchdog was still escalating"
        if fired:
            out.hang = "no answer after %.1f s (statement_timeout %.1f s): %s" % (grace, self.statement_timeout, fired)
        elif out.sqlstate == "57014":
            out.hang = "cancelled after %.1f s: %s" % (out.elapsed, out.message)
        if broken:
            out.crash = "connection lost: %s" % out.message
            time.sleep(1.0)
        lines = self.log.read()
        if broken or self.conn.broken:
            # let the postmaster finish its crash cycle, then read what it logged
            self.conn = None
            try:
                self.ensure()
                self.reconnects += 1
            except RuntimeError as e:
                out.crash = (out.crash or "") + "; " + str(e)
            lines += self.log.read()
        crash_lines = [l for l in lines if CRASH_LOG.search(l)]
        if crash_lines and not out.crash:
            out.crash = "server log reports a crash"
        out.log = [l for l in lines if CRASH_LOG.search(l) or SUSPICIOUS_LOG.search(l)]
        return out


# ----------------------------------------------------------------------------------
# One case
# ----------------------------------------------------------------------------------

def q_ident(*names):
    return sql.Identifier(*names)


class Case:
    def __init__(self, cid, label, base_name, mutation, desc):
        self.cid, self.label, self.base, self.mutation, self.desc = cid, label, base_name, mutation, desc
        self.outcomes = []  # (server_kind, read_ahead, Outcome)
        self.notes = []  # (severity, class, detail, Outcome|None, server_kind, read_ahead)
        self.ref_quick_check = None
        self.ref_unstable = False
        self.expect_ok = False
        self.header_ok = None
        self.size = 0
        self.seconds = 0.0


class Tester:
    def __init__(self, args, runner, bases, workdir):
        self.args, self.r, self.bases, self.workdir = args, runner, bases, workdir
        self.casedir_root = os.path.join(workdir, "cases")
        os.makedirs(self.casedir_root, exist_ok=True)
        os.chmod(self.casedir_root, 0o755)
        self.cases = []
        self.baseline = {}  # base name -> {(kind, ra, stmt key): normalized outcome}
        self.ref_ddl = {}  # base name -> [(table, CREATE FOREIGN TABLE template)]
        self.proc_samples = []

    # --- helpers ---

    def normalize(self, text, ctx):
        if text is None:
            return None
        t = str(text)
        for k, v in ctx.items():
            if k:
                t = t.replace(k, v)
        t = re.sub(r"large object \d+", "large object <oid>", t)
        t = re.sub(r"x'[0-9a-f]+'(\.\.\.)?", "x'..'", t)
        return t

    def group_message(self, text):
        t = re.sub(r'"/[^"]*"', '"<path>"', text or "")
        t = re.sub(r"\d+", "N", t)
        t = re.sub(r"'[^']{12,}'", "'..'", t)
        return t[:240]

    def write_case_files(self, case_dir, name, data, wal, writable, shm=True):
        """The case's files. With a -wal in a directory postgres can write, also an empty
        -shm, as an application that has the database open leaves it: liteport refuses a
        -wal without -shm (reading it would mean creating the -shm beside the source)."""
        os.makedirs(case_dir, exist_ok=True)
        path = os.path.join(case_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        if wal is not None:
            with open(path + "-wal", "wb") as f:
                f.write(wal)
            os.chmod(path + "-wal", 0o644)
            if writable and shm:
                open(path + "-shm", "wb").close()
                os.chmod(path + "-shm", 0o644)
                if os.geteuid() == 0:
                    shutil.chown(path + "-shm", "postgres", "postgres")
        os.chmod(case_dir, 0o755)
        if writable and os.geteuid() == 0:
            shutil.chown(case_dir, "postgres", "postgres")
        return path

    def reference_quick_check(self, data, wal):
        """PRAGMA quick_check by the Python sqlite3 module on a private copy."""
        d = os.path.join(self.workdir, "ref")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        p = os.path.join(d, "r.db")
        open(p, "wb").write(data)
        if wal is not None:
            open(p + "-wal", "wb").write(wal)
        try:
            con = sqlite3.connect("file:%s?mode=ro" % p, uri=True, timeout=1)
            con.text_factory = lambda b: b.decode("utf-8", "replace")
            steps = [0]

            def progress():
                steps[0] += 1
                return 1 if steps[0] > 20000 else 0

            con.set_progress_handler(progress, 1000)
            try:
                rows = con.execute("PRAGMA integrity_check").fetchall()
                return "; ".join(r[0] for r in rows)
            finally:
                con.close()
        except (sqlite3.Error, ValueError) as e:
            return "error: %s" % e

    # --- the statements for one (server, read_ahead) ---

    def combo(self, case, server, skind, ra, ctx, base_name, light=False, suffix=""):
        r = self.r
        tag = "%s_%s_%s%s" % (case.cid, skind, ra, suffix)
        s_schema, m_schema = "s_" + tag, "m_" + tag
        ctx = dict(ctx)
        ctx[s_schema] = "<schema>"
        ctx[m_schema] = "<target>"
        res = {}

        def run(kind, query, params=None, key=None, timeout=None, fetch=True):
            o = r.run(kind, query, params, fetch=fetch, timeout=timeout)
            case.outcomes.append((skind, ra, o))
            res[key or kind] = o
            return o

        o = run("setup", "SET liteport.read_ahead = %s" % ra, fetch=False)
        run("check", "SELECT sqlite_version, page_size, page_count, size_bytes, journal_mode, tables, integrity_check, ok "
                     "FROM liteport.check(%s)", (server,))
        run("setup", sql.SQL("CREATE SCHEMA {}").format(q_ident(s_schema)), key="create schema", fetch=False)
        imp = run("import", sql.SQL("IMPORT FOREIGN SCHEMA main FROM SERVER {} INTO {}").format(
            q_ident(server), q_ident(s_schema)), fetch=False)
        tables, scan_schema, label = [], s_schema, "scan"
        if imp.ok:
            lst = r.run("setup", "SELECT c.relname FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s ORDER BY 1",
                        (s_schema,))
            tables = [t[0] for t in (lst.value or [])]
            res["import tables"] = lst
        elif base_name in self.ref_ddl:
            # The import failed: scan tables shaped as the pristine file's import instead.
            scan_schema, label = "p_" + tag, "scan(pristine ddl)"
            ctx[scan_schema] = "<schema>"
            run("setup", sql.SQL("CREATE SCHEMA {}").format(q_ident(scan_schema)), key="create pschema", fetch=False)
            for t, ddl in self.ref_ddl[base_name]:
                o = run("setup", ddl.format(schema=sql.Identifier(scan_schema).as_string(r.conn),
                                            server=sql.Identifier(server).as_string(r.conn)), key="ddl " + t, fetch=False)
                if o.ok:
                    tables.append(t)
        for t in tables:
            run("count", sql.SQL("SELECT count(*) FROM {}").format(q_ident(scan_schema, t)), key="count " + t)
            run("scan", sql.SQL("SELECT count(t), md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) "
                                "FROM {} t").format(q_ident(scan_schema, t)), key="scan " + t,
                timeout=case_timeout(case))
        if not light:
            run("profile", "SELECT count(*), md5(string_agg(p::text, '|' ORDER BY p::text)) FROM liteport.profile(%s) p",
                (server,), timeout=case_timeout(case))
            run("setup", sql.SQL("CREATE SCHEMA {}").format(q_ident(m_schema)), key="create mschema", fetch=False)
            run("migrate", "SELECT count(*), coalesce(sum(rows_copied), 0), string_agg(format('%%s:%%s:%%s:%%s', "
                           "table_name, rows_copied, rows_rejected, status), ',' ORDER BY table_name) "
                           "FROM liteport.migrate(%s, %s)", (server, m_schema), timeout=case_timeout(case))
            run("verify", "SELECT count(*), count(*) FILTER (WHERE matches), string_agg(format('%%s:%%s:%%s:%%s:%%s:%%s', "
                          "table_name, source_rows, target_rows, rejected_rows, matches, note), ',' ORDER BY table_name) "
                          "FROM liteport.verify(%s, %s)", (server, m_schema), timeout=case_timeout(case))
        for sch in (s_schema, m_schema, "p_" + tag):
            run("cleanup", sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(q_ident(sch)), key="drop " + sch,
                fetch=False)
        run("cleanup", "SELECT liteport.disconnect()", key="disconnect")
        if not suffix:  # a re-run only answers whether the first run is reproducible
            self.evaluate_combo(case, skind, ra, res, ctx, scan_label=label)
        return {k: self.digest(o, ctx) for k, o in res.items() if not k.startswith(("drop ", "create ", "ddl "))
                and k not in ("setup", "cleanup", "disconnect")}

    def digest(self, o, ctx):
        if o.crash:
            return ("crash",)
        if o.ok:
            v = o.value
            return ("ok", self.normalize(repr(v), ctx))
        return ("error", o.sqlstate, self.normalize(o.message, ctx))

    # --- judging ---

    def note(self, case, severity, cls, detail, o=None, skind=None, ra=None):
        case.notes.append((severity, cls, detail, o, skind, ra))

    def evaluate_combo(self, case, skind, ra, res, ctx, scan_label):
        server_name = [k for k, v in ctx.items() if v == "<server>"][0]
        chk = res.get("check")
        check_ok = bool(chk and chk.ok and chk.value and chk.value[0][7])
        if chk and not chk.ok and not chk.crash:
            self.note(case, "questionable", "liteport.check raises an ERROR instead of returning ok = false",
                      "%s %s" % (chk.sqlstate, chk.message), chk, skind, ra)
        if chk and chk.ok and chk.value and chk.value[0][7] and case.size == 0:
            self.note(case, "questionable", "liteport.check reports ok = true for a 0-byte source",
                      repr(chk.value[0]), chk, skind, ra)
        if check_ok and case.ref_quick_check not in (None, "ok"):
            self.note(case, "questionable", "liteport.check ok = true but SQLite's own integrity_check (python sqlite3 %s) "
                      "finds corruption" % sqlite3.sqlite_version, case.ref_quick_check[:200], chk, skind, ra)
        if check_ok:
            failed = [o for k, o in res.items() if k.split(" ")[0] in ("import", "count", "scan", "profile", "migrate",
                                                                      "verify") and not o.ok and not o.crash]
            sqlite_level = [o for o in failed if o.sqlstate and o.sqlstate.startswith(("HV00", "XX", "58"))
                            and o.sqlstate != "HV004"]
            if sqlite_level:
                o = sqlite_level[0]
                self.note(case, "questionable", "liteport.check ok = true, then %s fails (SQLSTATE %s)" % (
                    o.kind, o.sqlstate), "%s %s" % (o.sqlstate, o.message), o, skind, ra)
            elif failed:
                o = failed[0]
                self.note(case, "info", "liteport.check ok = true, then a value does not convert in %s" % o.kind,
                          "%s %s" % (o.sqlstate, o.message), o, skind, ra)
        # count(*) and count(t) of one table agree when both succeed
        for k, o in res.items():
            if k.startswith("scan ") and o.ok:
                c = res.get("count " + k[5:])
                if c and c.ok and c.value[0][0] != o.value[0][0]:
                    # SQLite may count through an index, and corruption can make an index
                    # and its table disagree: worth knowing, not liteport's fault by itself.
                    self.note(case, "info" if not check_ok else "questionable",
                              "count(*) and a full scan of the same table disagree" +
                              (" although liteport.check said ok" if check_ok else ""),
                              "%s: count(*) = %s, scan counted %s" % (k[5:], c.value[0][0], o.value[0][0]), o, skind, ra)
        mig, ver = res.get("migrate"), res.get("verify")
        if mig and mig.ok and ver:
            if not ver.ok and not ver.crash:
                self.note(case, "questionable", "migrate succeeds, then verify raises an ERROR",
                          "%s %s" % (ver.sqlstate, ver.message), ver, skind, ra)
            elif ver.ok and ver.value and ver.value[0][0] != ver.value[0][1]:
                self.note(case, "questionable", "migrate succeeds, verify reports matches = false",
                          self.normalize(ver.value[0][2], ctx)[:300], ver, skind, ra)
        for k, o in res.items():
            if o.kind in ("check", "import", "count", "scan", "profile", "migrate", "verify") and not o.ok \
                    and not o.crash and o.sqlstate not in ("57014",):
                text = (o.message or "") + " " + (o.detail or "")
                if server_name not in text:
                    self.note(case, "questionable", "error message does not name the server",
                              "%s %s" % (o.sqlstate, o.message), o, skind, ra)
                elif o.kind in ("count", "scan") and k.split(" ", 1)[1] not in text:
                    opening = o.sqlstate == "HV00N" and ("not a SQLite database" in text or "cannot open" in text)
                    self.note(case, "info" if opening else "questionable",
                              "scan error does not name the table" + (" (the source does not open)" if opening else ""),
                              "%s %s" % (o.sqlstate, o.message), o, skind, ra)
                if INTERNAL_TEXT.search(text):
                    self.note(case, "questionable", "error message carries Rust/rusqlite internals (%s)" % o.kind,
                              "%s %s" % (o.sqlstate, o.message), o, skind, ra)
                if o.sqlstate and o.sqlstate.startswith("XX"):
                    self.note(case, "questionable", "internal error (SQLSTATE %s)" % o.sqlstate, o.message, o, skind, ra)
                if o.kind in ("count", "scan") and o.sqlstate in ("42P01",):
                    self.note(case, "questionable", "harness: table vanished", o.message, o, skind, ra)

    def judge_outcomes(self, case, known=None):
        for skind, ra, o in case.outcomes:
            if o.crash:
                k = known(skind, ra, o) if known else None
                sev = "known" if k else "crash"
                self.note(case, sev, "backend crash during %s" % o.kind + (" (%s)" % k if k else ""),
                          o.crash + ("; log: " + " | ".join(o.log[:6]) if o.log else ""), o, skind, ra)
            elif o.log:
                self.note(case, "questionable", "suspicious server log lines during %s" % o.kind,
                          " | ".join(o.log[:4]), o, skind, ra)
            if o.hang:
                self.note(case, "hang", "statement hangs past its timeout (%s)" % o.kind, o.hang, o, skind, ra)
            if not o.ok and not o.crash and not o.sqlstate:
                self.note(case, "crash", "failure without a SQLSTATE (%s)" % o.kind, o.message, o, skind, ra)
            if o.kind in ("setup", "cleanup") and not o.ok and not o.crash:
                self.note(case, "questionable", "harness statement failed (%s)" % o.kind,
                          "%s %s" % (o.sqlstate, o.message), o, skind, ra)
            for w in o.warnings:
                if o.kind not in ("migrate",):
                    self.note(case, "info", "WARNING during %s" % o.kind, w, o, skind, ra)
            if o.ok and o.elapsed > self.args.slow:
                self.note(case, "info", "slow statement (> %.0f s): %s" % (self.args.slow, o.kind),
                          "%.1f s" % o.elapsed, o, skind, ra)

    def first_difference(self, digests, what_a, what_b):
        """The first statement whose answer differs between two combinations."""
        a, b = digests.get(what_a), digests.get(what_b)
        if not a or not b:
            return None
        for k in sorted(set(a) & set(b)):
            if a[k] != b[k] and "crash" not in (a[k][0], b[k][0]):
                return k
        return None

    # --- running a case ---

    def run_case(self, case, data, wal, base_name, kinds=("file", "lo"), file_name="case.db", path_override=None,
                 writable_dir=False, prepare=None, known=None, light=False, timeout=None, shm=True):
        t0 = time.monotonic()
        case.size = len(data) if data is not None else 0
        case.header_ok = data is not None and (len(data) == 0 or data[:16] == b"SQLite format 3\0")
        case_dir = os.path.join(self.casedir_root, case.cid)
        shutil.rmtree(case_dir, ignore_errors=True)
        if path_override:
            path = path_override
        else:
            path = self.write_case_files(case_dir, file_name, data, wal, writable_dir, shm)
        if prepare:
            prepare(path)
        if data is not None and not case.cid.startswith("h"):
            # three fresh connections: SQLite answers some damaged files differently each time
            refs = [self.reference_quick_check(data, wal) for _ in range(3)]
            case.ref_quick_check = refs[0]
            case.ref_unstable = len(set(refs)) > 1
        r = self.r
        case.timeout = timeout or self.args.statement_timeout
        r.set_timeout(case.timeout)
        digests, servers = {}, {}
        pids_before = self.server_ids()
        for skind in kinds:
            server = "c%s_%s" % (case.cid, skind)
            ctx = {server: "<server>"}
            lo = None
            if skind == "file":
                ctx[path] = "<source>"
                o = r.run("setup", sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER liteport OPTIONS (database {})").format(
                    q_ident(server), sql.Literal(path)), fetch=False)
                case.outcomes.append((skind, "-", o))
            else:
                up = r.run("upload", "SELECT liteport.upload(%b)", (data,))
                case.outcomes.append((skind, "-", up))
                if up.ok:
                    lo = up.value[0][0]
                    if not case.header_ok:
                        self.note(case, "questionable", "liteport.upload accepts bytes without the SQLite header",
                                  "", up, skind)
                else:
                    if case.header_ok and not up.crash:
                        self.note(case, "questionable", "liteport.upload refuses bytes with a SQLite header",
                                  "%s %s" % (up.sqlstate, up.message), up, skind)
                    up2 = r.run("setup", "SELECT lo_from_bytea(0, %b)", (data,))
                    case.outcomes.append((skind, "-", up2))
                    lo = up2.value[0][0] if up2.ok else None
                if lo is None:
                    continue
                ctx["large object %s" % lo] = "<source>"
                o = r.run("setup", sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER liteport OPTIONS (large_object {})").format(
                    q_ident(server), sql.Literal(str(lo))), fetch=False)
                case.outcomes.append((skind, "-", o))
            servers[skind] = (server, ctx, lo)
            for ra in ("on", "off"):
                if skind == "file" and known and getattr(known, "only_ra", None) and ra not in known.only_ra:
                    continue
                digests[(skind, ra)] = self.combo(case, server, skind, ra, ctx, base_name, light=light)
        # Answers that differ between read_ahead on and off, or between the two kinds of
        # server: run both sides again to tell a reproducible difference from a flaky one.
        pairs = [(("file", "on"), ("file", "off"), "read_ahead on and off disagree (file server)"),
                 (("lo", "on"), ("lo", "off"), "read_ahead on and off disagree (large-object server)")]
        if wal is None:
            pairs.append((("file", "off"), ("lo", "off"), "file server and large-object server disagree"))
        for a, b, cls in pairs:
            diff = self.first_difference(digests, a, b)
            if not diff:
                continue
            again = {}
            for side in (a, b):
                server, ctx, _ = servers[side[0]]
                again[side] = self.combo(case, server, side[0], side[1], ctx, base_name, light=light, suffix="r")
            stable = all(again[side].get(diff) == digests[side].get(diff) for side in (a, b))
            if case.ref_unstable or not stable:
                sev = "info"
                why = ("SQLite's own quick_check answers differently on fresh connections to this file"
                       if case.ref_unstable else "a re-run of both sides answered differently: not reproducible")
                cls += " (non-deterministic: %s)" % why
            else:
                sev = "questionable"
                cls += " (reproduced by a re-run)"
            self.note(case, sev, cls, "%s: %s=%s vs %s=%s; re-run: %s vs %s" % (
                diff, a, short(digests[a][diff]), b, short(digests[b][diff]), short(again[a].get(diff), 80),
                short(again[b].get(diff), 80)))
        for skind, (server, ctx, lo) in servers.items():
            o = r.run("cleanup", sql.SQL("DROP SERVER IF EXISTS {} CASCADE").format(q_ident(server)), fetch=False)
            case.outcomes.append((skind, "-", o))
            if lo is not None:
                o = r.run("cleanup", "SELECT lo_unlink(%s)", (lo,))
                case.outcomes.append((skind, "-", o))
        o = r.run("cleanup", "SELECT count(*) FROM liteport.connections()")
        case.outcomes.append(("-", "-", o))
        if o.ok and o.value[0][0]:
            self.note(case, "questionable", "liteport.connections() not empty after DROP SERVER and disconnect()",
                      str(o.value[0][0]), o)
        pids_after = self.server_ids()
        self.judge_outcomes(case, known)
        if case.expect_ok:
            bad = [(sk, ra, o) for sk, ra, o in case.outcomes if not o.ok and not o.crash]
            if bad:
                sk, ra, o = bad[0]
                self.note(case, "questionable", "a sound file fails: %s" % case.label,
                          "%d statement(s) fail; first %s: %s %s" % (len(bad), o.kind, o.sqlstate, o.message), o, sk, ra)
        if pids_before and pids_after and pids_before != pids_after:
            self.note(case, "known" if any(n[0] == "known" for n in case.notes) else "crash",
                      "server restarted during the case",
                      "postmaster/checkpointer pid %s -> %s" % (pids_before, pids_after))
        if base_name in self.baseline and not case.cid.startswith("h"):
            case.same_as_pristine = all(digests.get(k) == self.baseline[base_name].get(k) for k in digests)
        keep = self.args.keep and (self.args.only_case or any(n[0] in ("crash", "hang", "known") for n in case.notes))
        if keep:
            print("kept %s" % case_dir, flush=True)
        elif not path_override:
            shutil.rmtree(case_dir, ignore_errors=True)
        self.sample_backend(case)
        case.seconds = time.monotonic() - t0
        case.digests = digests
        self.cases.append(case)
        return case

    def server_ids(self):
        try:
            with self.r.connect() as c:
                ck = c.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()
            pm = self.r.cluster.postmaster_pid() if self.r.cluster else None
            return (pm, ck[0] if ck else None)
        except psycopg.Error:
            return None

    def sample_backend(self, case):
        if not self.r.local or self.r.conn is None:
            return
        pid = self.r.backend_pid
        try:
            names = os.listdir("/proc/%d/fd" % pid)
            open_files = []
            for n in names:
                try:
                    t = os.readlink("/proc/%d/fd/%s" % (pid, n))
                except OSError:
                    continue
                if t.startswith(self.casedir_root):
                    open_files.append(t)
            if open_files:
                self.note(case, "questionable", "SQLite files still open after DROP SERVER and liteport.disconnect()",
                          ", ".join(sorted(open_files)[:5]))
            ctx = self.r.conn.execute("SELECT sum(total_bytes) FROM pg_backend_memory_contexts").fetchone()[0]
            fds = len(names)
            threads = len(os.listdir("/proc/%d/task" % pid))
            rss = 0
            for line in open("/proc/%d/status" % pid):
                if line.startswith("RssAnon:"):
                    rss = int(line.split()[1])
            self.proc_samples.append((case.cid, pid, fds, threads, rss, int(ctx) // 1024))
        except (OSError, psycopg.Error):
            pass

    # --- pristine runs ---

    def pristine(self, base):
        """Run the pristine file through everything: it must all succeed; remember the
        answers, and the foreign-table DDL of its import for failed imports later."""
        case = Case("b_" + base.name, "pristine " + base.name, base.name, "none", "pristine file " + base.note)
        self.run_case(case, base.data, base.wal, base.name, kinds=("file",) if base.wal else ("file", "lo"),
                      writable_dir=base.wal is not None)
        self.baseline[base.name] = case.digests
        bad = [o for _, _, o in case.outcomes if not o.ok and o.kind not in ("cleanup",)]
        if bad:
            o = bad[0]
            self.note(case, "questionable", "pristine file fails", "%s: %s %s" % (o.kind, o.sqlstate, o.message), o)
        # DDL of the pristine import, with {schema} and {server} placeholders
        r = self.r
        # with a -wal beside it, SQLite must be able to create the -shm: a writable copy
        src = base.path if base.wal is None else self.write_case_files(
            os.path.join(self.workdir, "ref_" + base.name), "ref.db", base.data, base.wal, True)
        r.run("setup", sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER liteport OPTIONS (database {})").format(
            q_ident("ref_" + base.name), sql.Literal(src)), fetch=False)
        r.run("setup", sql.SQL("CREATE SCHEMA {}").format(q_ident("ref_" + base.name)), fetch=False)
        r.run("setup", sql.SQL("IMPORT FOREIGN SCHEMA main FROM SERVER {} INTO {}").format(
            q_ident("ref_" + base.name), q_ident("ref_" + base.name)), fetch=False)
        o = r.run("setup", """
            SELECT c.relname,
                   string_agg(format('%%I %%s%%s', a.attname, format_type(a.atttypid, a.atttypmod),
                          CASE WHEN a.attfdwoptions IS NULL THEN '' ELSE ' OPTIONS (' || (
                              SELECT string_agg(format('%%I %%L', split_part(x, '=', 1), substr(x, strpos(x, '=') + 1)), ', ')
                              FROM unnest(a.attfdwoptions) x) || ')' END), ', ' ORDER BY a.attnum),
                   (SELECT string_agg(format('%%I %%L', split_part(x, '=', 1), substr(x, strpos(x, '=') + 1)), ', ')
                      FROM unnest(ft.ftoptions) x)
            FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = %s GROUP BY c.relname, ft.ftoptions ORDER BY 1""", ("ref_" + base.name,))
        ddl = []
        for t, cols, opts in o.value or []:
            text = "CREATE FOREIGN TABLE {schema}.%s (%s) SERVER {server}%s" % (
                sql.Identifier(t).as_string(r.conn), cols.replace("{", "{{").replace("}", "}}"),
                (" OPTIONS (%s)" % opts.replace("{", "{{").replace("}", "}}")) if opts else "")
            ddl.append((t, text))
        self.ref_ddl[base.name] = ddl
        if not ddl:
            self.note(case, "questionable", "harness: the pristine file's import gives no foreign tables", base.path)
        r.run("cleanup", sql.SQL("DROP SERVER {} CASCADE").format(q_ident("ref_" + base.name)), fetch=False)
        r.run("cleanup", sql.SQL("DROP SCHEMA {} CASCADE").format(q_ident("ref_" + base.name)), fetch=False)
        return case


def case_timeout(case):
    return getattr(case, "timeout", None)


def short(d, n=160):
    s = repr(d)
    return s if len(s) <= n else s[:n] + "..."


# ----------------------------------------------------------------------------------
# Hand-made cases
# ----------------------------------------------------------------------------------

def handmade(tester, bases, args):
    chinook = bases["chinook"]
    small = bases["small"]
    live = bases["chinook_live"]
    root = tester.casedir_root
    out = []

    def case(cid, label, desc, expect_ok=False):
        c = Case(cid, label, "handmade", label, desc)
        c.expect_ok = expect_ok
        return c

    out.append(tester.run_case(case("h01", "empty", "a 0-byte file (and a 0-byte large object)"), b"", None, "none"))

    d = os.path.join(root, "h02", "dir.db")

    def mkdir(p):
        os.makedirs(p, exist_ok=True)
        os.chmod(os.path.dirname(p), 0o755)
        os.chmod(p, 0o755)

    out.append(tester.run_case(case("h02", "directory", "the database option names a directory"), None, None,
                               "none", kinds=("file",), path_override=d, prepare=mkdir))

    out.append(tester.run_case(case("h03", "missing", "the database option names a file that does not exist"),
                               None, None, "none", kinds=("file",), path_override=os.path.join(root, "h03-none.db")))

    def chmod000(p):
        os.chmod(p, 0)

    out.append(tester.run_case(case("h04", "unreadable", "a copy of small.sqlite with mode 000"),
                               small.data, None, "small", kinds=("file",), prepare=chmod000))

    def wal000(p):
        os.chmod(p + "-wal", 0)

    out.append(tester.run_case(case("h05", "wal-unreadable", "WAL file with committed frames, -wal mode 000, "
                                                             "empty -shm, directory writable by postgres"),
                               live.data, live.wal, "chinook_live", kinds=("file",), writable_dir=True, prepare=wal000))

    out.append(tester.run_case(case("h06", "wal-no-shm-ro-dir", "WAL file with committed frames in -wal, no -shm, "
                                                                "in a directory postgres cannot write"),
                               live.data, live.wal, "chinook_live", kinds=("file",), writable_dir=False))

    out.append(tester.run_case(case("h07", "wal-live", "WAL file with committed frames in -wal and its -shm, "
                                                       "directory writable by postgres (the normal live case)", True),
                               live.data, live.wal, "chinook_live", kinds=("file",), writable_dir=True))

    out.append(tester.run_case(case("h07b", "wal-no-shm", "WAL file with committed frames in -wal, no -shm, "
                                                          "directory writable by postgres: refused, nothing created"),
                               live.data, live.wal, "chinook_live", kinds=("file",), writable_dir=True, shm=False))

    out.append(tester.run_case(case("h08", "non-ascii-path", "a copy of chinook at a non-ASCII path (ü.db)", True),
                               chinook.data, None, "chinook", kinds=("file",), file_name="ü.db"))

    out.append(tester.run_case(case("h09", "uri-chars-path", "a copy of small.sqlite at a path with URI syntax "
                                                             "characters ('a b%20?x=1#frag.db')", True),
                               small.data, None, "small", kinds=("file",), file_name="a b%20?x=1#frag.db"))

    out.append(tester.run_case(case("h10", "not-sqlite", "a text file"), b"hello, this is not a database\n" * 200,
                               None, "none"))

    out.append(tester.run_case(case("h11", "header-only", "the first 100 bytes of chinook.sqlite"),
                               chinook.data[:100], None, "none"))

    # zeroblob view: 3 GB in one row
    zb = os.path.join(tester.workdir, "zeroblob.sqlite")
    if os.path.exists(zb):
        os.unlink(zb)
    con = sqlite3.connect(zb)
    con.execute("CREATE TABLE t(x INTEGER)")
    con.execute("INSERT INTO t VALUES (1)")
    con.execute("CREATE VIEW big AS SELECT zeroblob(1e9) a, zeroblob(1e9) b, zeroblob(1e9) c")
    con.commit()
    con.close()
    zdata = open(zb, "rb").read()

    def known_zeroblob(skind, ra, o):
        if ra == "on" and o.kind in ("scan",):
            return ("KNOWN: a 3 x 1 GB row aborts the backend with read_ahead on "
                    "(Rust 'memory allocation of N bytes failed')")
        return None

    if args.ci:
        known_zeroblob.only_ra = ("on",)
    out.append(tester.run_case(
        case("h12", "zeroblob-view", "a view SELECT zeroblob(1e9) a, zeroblob(1e9) b, zeroblob(1e9) c"
                                     + (" (CI: read_ahead on only, no profile/migrate)" if args.ci else "")),
        zdata, None, "none", kinds=("file",), known=known_zeroblob, light=args.ci,
        timeout=max(args.statement_timeout, 90)))
    return out


# ----------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------

def repro_cmd(args, case):
    base = "python3 tests/corruption.py --seed %d" % args.seed
    if args.pg_bin:
        base += " --pg-bin %s" % args.pg_bin
    else:
        base += " --host %s --port %d" % (args.host, args.port)
    if case.cid.startswith("h"):
        return base + " --cases 0 --handmade-only"
    if case.cid.startswith("b"):
        return base + " --cases 0 --no-handmade"
    return base + " --only-case %s --keep" % int(case.cid)


def report(args, tester, started, workdir):
    cases = tester.cases
    classes = collections.OrderedDict()
    for c in cases:
        for sev, cls, detail, o, skind, ra in c.notes:
            classes.setdefault((sev, cls), []).append((c, detail, o, skind, ra))
    order = {"crash": 0, "hang": 1, "known": 2, "questionable": 3, "info": 4}
    mutated = [c for c in cases if c.cid.isdigit()]
    print()
    print("=" * 100)
    print("liteport corruption test: seed %d, %d corrupted cases, %d hand-made, %d pristine; %d statements; %.0f s" % (
        args.seed, len(mutated), sum(c.cid.startswith("h") for c in cases), sum(c.cid.startswith("b") for c in cases),
        sum(len(c.outcomes) for c in cases), time.monotonic() - started))
    by_mut = collections.Counter(c.mutation for c in mutated)
    if getattr(tester, "budget_note", None):
        print("NOTE: " + tester.budget_note)
    print("mutations: " + ", ".join("%s %d" % kv for kv in sorted(by_mut.items())))
    by_base = collections.Counter(c.base for c in mutated)
    print("base files: " + ", ".join("%s %d" % kv for kv in sorted(by_base.items())))
    same = sum(1 for c in mutated if getattr(c, "same_as_pristine", False))
    ok_all = sum(1 for c in mutated if all(o.ok for _, _, o in c.outcomes))
    print("outcome: %d cases answered exactly as the pristine file; %d had every statement succeed; "
          "%d had some ERROR" % (same, ok_all, len(mutated) - ok_all))

    # SQLSTATE distribution
    dist = collections.Counter()
    msgs = collections.defaultdict(collections.Counter)
    kinds_by_state = collections.defaultdict(collections.Counter)
    for c in cases:
        for skind, ra, o in c.outcomes:
            if o.ok or o.kind in ("setup", "cleanup"):
                continue
            st = o.sqlstate or ("CRASH" if o.crash else "none")
            dist[st] += 1
            kinds_by_state[st][o.kind] += 1
            msgs[st][tester.group_message(tester.normalize(o.message, {"c%s_%s" % (c.cid, skind): "<server>"}))] += 1
    print()
    print("SQLSTATE distribution of failed liteport statements (check, import, count, scan, profile, migrate, "
          "verify, upload):")
    for st, n in dist.most_common():
        print("  %-6s %6d  by statement: %s" % (st, n, ", ".join("%s %d" % kv for kv in kinds_by_state[st].most_common())))
        for m, k in msgs[st].most_common(args.messages):
            print("           %6d  %s" % (k, m))

    print()
    fails = 0
    for (sev, cls), items in sorted(classes.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        if sev == "info" and not args.verbose:
            continue
        if sev in ("crash", "hang"):
            fails += len(items)
        ncase = len({id(i[0]) for i in items})
        c, detail, o, skind, ra = items[0]
        where = "server=%s read_ahead=%s" % (skind or "-", ra or "-")
        stmt = " stmt=%s" % one_line(o.query) if o is not None else ""
        print("%-12s %s: %d occurrence(s) in %d case(s)" % ("[" + sev.upper() + "]", cls, len(items), ncase))
        print("             first: seed=%d case=%s base=%s mutation=%s: %s" % (args.seed, c.cid, c.base, c.mutation,
                                                                            c.desc))
        print("             %s%s -> %s" % (where, stmt, one_line(detail, 400)))
        print("             reproduce: %s" % repro_cmd(args, c))
        if args.verbose and len(items) > 1:
            for c2, d2, o2, sk2, ra2 in items[1:6]:
                print("             also case=%s (%s) %s/%s: %s" % (c2.cid, c2.mutation, sk2, ra2, one_line(d2, 200)))
    if tester.proc_samples:
        by_pid = collections.defaultdict(list)
        for s in tester.proc_samples:
            by_pid[s[1]].append(s)
        for pid, ss in by_pid.items():
            if len(ss) < 3:
                continue
            first, last = ss[1], ss[-1]
            line = ("backend %d over %d cases: fds %d -> %d, threads %d -> %d, RssAnon %d kB -> %d kB, "
                    "Postgres memory contexts %d kB -> %d kB" % (pid, len(ss), first[2], last[2], first[3], last[3],
                                                                 first[4], last[4], first[5], last[5]))
            # Postgres's catalog caches grow with every schema, table and server the cases
            # create; only growth beyond what its memory contexts account for is suspicious,
            # and only threads (read-ahead) or descriptors of SQLite files count as leaks.
            flag = last[3] > first[3] + 1 or (last[4] - first[4]) - (last[5] - first[5]) > 50_000
            print(("[QUESTIONABLE] resource growth: " if flag else "resources: ") + line)
    print("=" * 100)
    print("RESULT: %s (%d crash/hang occurrence(s); known failures and questionable results do not fail the run)" % (
        "FAIL" if fails else "PASS", fails))
    if args.report:
        dump = {"seed": args.seed, "cases": [], "sqlstates": dist, "messages": {k: dict(v) for k, v in msgs.items()}}
        for c in cases:
            dump["cases"].append({
                "case": c.cid, "base": c.base, "mutation": c.mutation, "description": c.desc, "seconds": c.seconds,
                "ref_quick_check": c.ref_quick_check,
                "notes": [{"severity": n[0], "class": n[1], "detail": n[2], "server": n[4], "read_ahead": n[5],
                           "statement": n[3].query if n[3] is not None else None} for n in c.notes],
                "statements": [{"server": sk, "read_ahead": ra, "kind": o.kind, "ok": o.ok, "sqlstate": o.sqlstate,
                                "message": o.message, "seconds": round(o.elapsed, 4), "crash": o.crash, "hang": o.hang}
                               for sk, ra, o in c.outcomes if o.kind not in ("setup", "cleanup") or not o.ok]})
        with open(args.report, "w") as f:
            json.dump(dump, f, indent=1, default=str)
        print("report: %s" % args.report)
    return fails


def one_line(s, n=300):
    s = re.sub(r"\s+", " ", str(s or "")).strip()
    return s if len(s) <= n else s[:n] + "..."


# ----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--seed", type=int, default=None, help="seed of the mutations (default 1)")
    ap.add_argument("--cases", type=int, default=None, help="number of corrupted variants (default 500; --ci: 300)")
    ap.add_argument("--first-case", type=int, default=0, help="number of the first case (default 0)")
    ap.add_argument("--only-case", type=int, action="append", help="run only this case number (repeatable)")
    ap.add_argument("--ci", action="store_true", help="about 3 minutes: 300 cases (no new case after 200 s), statement_timeout 15 s, "
                                                          "zeroblob case with read_ahead on only")
    ap.add_argument("--time-budget", type=float, default=None, help="start no new case after this many seconds "
                                                                   "(--ci: 200)")
    ap.add_argument("--pg-bin", help="start a throwaway cluster with the binaries in this directory")
    ap.add_argument("--host", default=None, help="socket directory or host of a running server")
    ap.add_argument("--port", type=int, default=5611, help="port (own cluster: 5611)")
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--dbname", default="postgres")
    ap.add_argument("--server-log", help="with --host: the server's log file, to look for crashes in")
    ap.add_argument("--local", action="store_true", help="with --host: the server runs on this machine "
                                                         "(allows SIGKILL of a stuck backend and /proc sampling)")
    ap.add_argument("--workdir", default="/tmp/corrupt-pg", help="files and cluster go here (default /tmp/corrupt-pg)")
    ap.add_argument("--data-dir", help="directory with chinook.sqlite (default ../shared/data)")
    ap.add_argument("--statement-timeout", type=float, default=20.0, help="seconds (default 20)")
    ap.add_argument("--grace", type=float, default=15.0, help="seconds past statement_timeout before the watchdog "
                                                              "cancels/terminates/kills (default 15)")
    ap.add_argument("--mem-limit-mb", type=int, default=6144, help="ulimit -v of the own cluster (default 6144, "
                                                                  "0 = none); protects the machine from runaway "
                                                                  "allocations")
    ap.add_argument("--no-handmade", action="store_true")
    ap.add_argument("--handmade-only", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the files of crashing/hanging cases, and the cluster")
    ap.add_argument("--slow", type=float, default=5.0, help="report statements slower than this (verbose)")
    ap.add_argument("--messages", type=int, default=4, help="messages shown per SQLSTATE")
    ap.add_argument("--report", help="write a JSON report here (default WORKDIR/report.json)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = 1
    if args.cases is None:
        args.cases = 300 if args.ci else 500
    if args.ci and args.time_budget is None:
        args.time_budget = 200.0
    if not args.pg_bin and not args.host:
        ap.error("give --pg-bin (own cluster) or --host/--port (running server)")
    if args.ci:
        args.statement_timeout = min(args.statement_timeout, 15.0)
    args.report = args.report or os.path.join(args.workdir, "report.json")

    datadir = args.data_dir or next((d for d in DATA_DIRS if os.path.exists(os.path.join(d, "chinook.sqlite"))), None)
    if not datadir:
        sys.exit("chinook.sqlite not found (give --data-dir)")
    started = time.monotonic()
    os.makedirs(args.workdir, exist_ok=True)
    os.chmod(args.workdir, 0o755)
    for sub in ["cases", "ref", "bases"] + ["ref_" + n for n, _ in BASE_WEIGHTS]:
        shutil.rmtree(os.path.join(args.workdir, sub), ignore_errors=True)
    bases = build_bases(datadir, os.path.join(args.workdir, "bases"))

    cluster = None
    if args.pg_bin:
        cluster = Cluster(args.pg_bin, args.workdir, args.port, args.mem_limit_mb)
        print("starting a throwaway cluster in %s (port %d, ulimit -v %s MB)" % (
            cluster.dir, args.port, args.mem_limit_mb or "unlimited"), flush=True)
        cluster.start()
    try:
        runner = Runner(args, cluster)
        runner.ensure()
        runner.conn.execute("CREATE EXTENSION IF NOT EXISTS liteport")
        ver = runner.conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'liteport'").fetchone()[0]
        print("liteport %s on %s; python sqlite3 %s; seed %d" % (
            ver, runner.conn.execute("SELECT version()").fetchone()[0].split(" on ")[0], sqlite3.sqlite_version,
            args.seed), flush=True)
        for b in bases.values():
            print("base %-13s %8d bytes, %4d pages of %5d: %d b-tree, %d overflow, %d freelist, %d other; %s" % (
                b.name, len(b.data), b.npages, b.ps, len(b.btree_pages()), len(b.overflow),
                len(b.trunks) + len(b.free_leaves), len(b.other), b.note), flush=True)
        tester = Tester(args, runner, bases, args.workdir)
        for b in bases.values():
            c = tester.pristine(b)
            print("pristine %-13s %d statements, %.1f s%s" % (b.name, len(c.outcomes), c.seconds,
                  "" if not c.notes else " NOTES: " + "; ".join(n[1] for n in c.notes)), flush=True)
        if not args.no_handmade and not args.only_case:
            for c in handmade(tester, bases, args):
                print("hand-made %s %-18s %.1f s %s" % (c.cid, c.label, c.seconds, summary_of(c)), flush=True)
                seen = set()
                for _, _, o in c.outcomes:
                    if not o.ok and o.kind not in ("setup", "cleanup") and (o.kind, o.sqlstate) not in seen:
                        seen.add((o.kind, o.sqlstate))
                        print("      %-8s %s %s" % (o.kind, o.sqlstate or "-", one_line(o.crash or o.message, 220)))
        if not args.handmade_only:
            numbers = args.only_case or range(args.first_case, args.first_case + args.cases)
            for n in numbers:
                if args.time_budget and time.monotonic() - started > args.time_budget:
                    print("time budget of %.0f s reached: stopping after %d of %d cases" % (
                        args.time_budget, n - args.first_case, len(numbers)), flush=True)
                    tester.budget_note = "time budget reached after %d of %d cases" % (n - args.first_case, len(numbers))
                    break
                base, data, wal, mname, desc = make_case(args.seed, n, bases)
                case = Case("%05d" % n, "case %d" % n, base.name, mname, desc)
                try:
                    tester.run_case(case, data, wal, base.name, kinds=("file",) if wal is not None else ("file", "lo"),
                                    writable_dir=wal is not None)
                except Exception as e:  # noqa: BLE001 - a harness bug must not hide the other cases
                    tester.note(case, "questionable", "harness error", "%s: %s" % (type(e).__name__, e))
                    tester.cases.append(case)
                    runner.conn = None
                if args.verbose or any(x[0] in ("crash", "hang") for x in case.notes) or n % 25 == 0 or args.only_case:
                    print("case %05d %-24s %-13s %.1f s %s | %s" % (n, mname, base.name, case.seconds, summary_of(case),
                                                                     desc[:150]), flush=True)
        fails = report(args, tester, started, args.workdir)
    finally:
        if cluster and not args.keep:
            cluster.stop()
    sys.exit(1 if fails else 0)


def summary_of(case):
    c = collections.Counter(n[0] for n in case.notes if n[0] != "info")
    states = collections.Counter(o.sqlstate for _, _, o in case.outcomes if not o.ok and o.kind not in ("setup", "cleanup"))
    s = ", ".join("%s %d" % kv for kv in sorted(c.items())) or "clean"
    return s + ("; errors " + " ".join("%s:%d" % kv for kv in states.most_common(4)) if states else "")


if __name__ == "__main__":
    main()
