#!/usr/bin/env python3
"""A WAL-mode database whose committed rows are still only in its -wal file, as an
application that was killed leaves it (tests/hardening.sh, 9).

Usage: wal_leftover.py DB
"""
import os
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA wal_autocheckpoint = 0")
db.execute("CREATE TABLE t(x INTEGER)")
db.execute("INSERT INTO t VALUES (1), (2)")
# No close: the -wal and -shm files stay, with the rows in the -wal.
os._exit(0)
