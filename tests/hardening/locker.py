#!/usr/bin/env python3
"""Hold an EXCLUSIVE lock on a rollback-journal SQLite file (tests/hardening.sh, 5).

Usage: locker.py DB RELEASE_FILE MAX_SECONDS

Takes the lock with BEGIN EXCLUSIVE (no write, so no hot journal is ever left behind),
prints "locked", and holds it until RELEASE_FILE exists or MAX_SECONDS have passed.
"""
import os
import signal
import sqlite3
import sys
import time

path, release, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
db = sqlite3.connect(path, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
end = time.time() + limit
while time.time() < end and not os.path.exists(release):
    time.sleep(0.02)
db.execute("ROLLBACK")
db.close()
