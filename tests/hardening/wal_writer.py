#!/usr/bin/env python3
"""The application side of the torn-read test (tests/hardening.sh, 3).

Usage: wal_writer.py DB SECONDS MAX_PAUSE [CYCLES]

Each cycle opens the WAL-mode database, rewrites every row of t in one transaction
(UPDATE t SET v = v + 1: every row keeps the same v, so any consistent snapshot has
exactly one distinct v), checkpoints with TRUNCATE and closes, so that the -wal and
-shm files disappear until the next cycle; then pauses up to MAX_PAUSE seconds.
Runs for SECONDS, or CYCLES cycles when given. Prints the number of cycles.
"""
import random
import sqlite3
import sys
import time

path, seconds, max_pause = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
cycles = int(sys.argv[4]) if len(sys.argv) > 4 else None
end = time.time() + seconds
n = 0
while (cycles is None and time.time() < end) or (cycles is not None and n < cycles):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE t SET v = v + 1")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    n += 1
    if max_pause > 0:
        time.sleep(random.uniform(0, max_pause))
print(n)
