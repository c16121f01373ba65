#!/usr/bin/env python3
"""Differential fuzzer for liteport's pushdown (WHERE / ORDER BY / LIMIT sent to SQLite).

Every query runs twice in the same session: against a liteport foreign table and against
a local heap copy of the same rows (CREATE TABLE (LIKE foreign) + INSERT ... SELECT *),
with the same column types and collations. Postgres evaluating the local copy is the
oracle: any difference in rows, order (where the ORDER BY fixes it) or error status is a
liteport bug (or a documented limitation). Differences are shrunk (delta debugging over
the SQLite rows, then the WHERE tree, the query and the columns) and printed as a
self-contained SQL script.

Deterministic per seed: the SQLite schema and rows come from Random(f"{seed}:schema"),
query i from Random(f"{seed}:q{i}"). Needs only Python 3.11+, its sqlite3 module and
psycopg 3 (pip install "psycopg[binary]").

  python3 tests/pushdown_fuzz.py --pg-bin /opt/liteport-pg/base/usr/lib/postgresql/15/bin --seed 1 --queries 500
  python3 tests/pushdown_fuzz.py --host /tmp/fuzz-pg --port 5601 --dbname postgres --seed 1 --queries 500
  python3 tests/pushdown_fuzz.py --pg-bin ... --ci

See tests/README-fuzz.md.
"""

import argparse
import collections
import decimal
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

try:
    import psycopg
    from psycopg.adapt import Loader
except ImportError:  # pragma: no cover
    sys.exit('pushdown_fuzz.py needs psycopg 3: pip install "psycopg[binary]"')


# ----------------------------------------------------------------------------------
# SQLite values: SQL literals, so the printed reproduction builds exactly the same file.

INTS = ['0', '1', '-1', '2', '3', '7', '8', '10', '42', '-7', '100', '2147483647', '-2147483648',
        '2147483648', '9223372036854775807', '-9223372036854775808', '32767', '-32768', '32768',
        '9007199254740993', '1704067200', '1704103200', '1704103200000']
REALS = ['0.0', '-0.0', '1.5', '-1.5', '2.0', '8.0', '0.1', '2.5', '3.0', '1e300', '-1e300', '9e999',
         '-9e999', '1e-300', '9007199254740992.0', '0.30000000000000004', '1704103200.5', '2460311.5',
         '-7.25', '8.5']
NUMTEXT = ["'8'", "' 8'", "'8 '", "'8.0'", "'08'", "'1e3'", "'-0'", "'1.5'", "'-7'", "'0x10'",
           "'9223372036854775808'", "'2.5'"]
SPECIAL_TEXT = ["'NaN'", "'nan'", "'Infinity'", "'-Infinity'", "'inf'", "'-inf'", "'+Infinity'"]
WORDS = ["'a'", "'A'", "'b'", "'B'", "'abc'", "'ABC'", "'Abc'", "'ä'", "'Ä'", "'é'", "'E'", "'z'",
         "'Z'", "''", "' '", "'abc '", "'ß'", "'SS'", "'日本'", "'😀'", "'a\u0301'", "'aa'", "'ab'"]
META = ["'a%'", "'%'", "'_'", "'a_b'", "'*'", "'?'", "'[x]'", "'a*'", "'a?b'", "'\\'", "'a\\b'",
        "'100%'", "'x''y'", "'%a%'", "'[a-z]'", "'\\%'", "'A_B'", "'a[b'"]
BOOLTEXT = ["'t'", "'f'", "'true'", "'false'", "'yes'", "'no'", "'TRUE'", "'on'", "'1'", "'0'", "'maybe'"]
DATES = ["'2024-01-01'", "'2024-02-29'", "'2023-12-31'", "'2024-02-30'", "'0000-00-00'",
         "'2024-01-01 00:00:00'", "'2024-01-01T10:00:00'"]
DATETIMES = ["'2024-01-01 10:00:00'", "'2024-01-01T10:00:00Z'", "'2024-01-01 10:00:00+02:00'",
             "'2024-01-01'", "'2024-01-01 10:00:00.123456'", "'2023-12-31 23:59:59'", "'not a date'"]
JSONS = ["'{\"a\":1}'", "'[1,2]'", "'1'", "'null'", "'\"a\"'", "'{\"a\": [1, 2.0]}'", "'not json'", "'1.0'"]
UUIDS = ["'550e8400-e29b-41d4-a716-446655440000'", "'550E8400-E29B-41D4-A716-446655440000'",
         "X'550e8400e29b41d4a716446655440000'", "'not-a-uuid'", "'00000000-0000-0000-0000-000000000000'"]
BLOBS = ["X'616263'", "X'41'", "X''", "X'00'", "X'ff'", "X'38'", "X'c3a4'", "X'61'", "X'4e614e'"]
UTF8_BLOBS = ["X'616263'", "X'41'", "X'61'", "X'38'", "X'c3a4'", "X''"]
ALL_VALUES = INTS + REALS + NUMTEXT + SPECIAL_TEXT + WORDS + META + BOOLTEXT + DATES + DATETIMES + JSONS + UUIDS + BLOBS

DECLARED = ['INTEGER', 'INT', 'TEXT', 'VARCHAR(10)', 'REAL', 'DOUBLE', 'NUMERIC', 'DECIMAL(10,2)', 'BLOB', '',
            'BOOLEAN', 'DATE', 'DATETIME', 'JSON', 'UUID', 'TEXT COLLATE NOCASE', 'TEXT COLLATE RTRIM', 'BIGINT',
            'FLOAT', 'CHAR(3)']
STRICT_DECLARED = ['INTEGER', 'INT', 'REAL', 'TEXT', 'BLOB', 'ANY', 'ANY', 'TEXT COLLATE NOCASE']


def natural_pool(decl):
    d = decl.upper()
    if d.startswith('BOOL'):
        return ['0', '1', '2'] + BOOLTEXT
    if d == 'DATE':
        return DATES + ['1704067200', '1704103200', '2460311.5', '19723']
    if d.startswith('DATETIME') or d.startswith('TIMESTAMP'):
        return DATETIMES + ['1704103200', '1704103200000', '1704103200123456', '2460311.5', '1704103200.5']
    if d == 'JSON':
        return JSONS + ['1', '2.5']
    if d == 'UUID':
        return UUIDS
    if d == 'ANY':
        return INTS + ["'8'", "' 8'", "'08'", "'-7'", "'42'", "'1'", '8.0', '3.0'] * 3 + ["X'38'", "'a'"]
    aff = affinity(decl)
    if aff == 'INTEGER':
        return INTS * 3 + ['3.0', '8.0', '-0.0'] + NUMTEXT
    if aff == 'TEXT':
        return WORDS * 2 + META + SPECIAL_TEXT + NUMTEXT + UTF8_BLOBS * 3
    if aff == 'REAL':
        return REALS * 3 + INTS + NUMTEXT + SPECIAL_TEXT * 2
    if aff == 'NUMERIC':
        return INTS + REALS + NUMTEXT
    return ALL_VALUES


def affinity(decl, strict=False):
    """SQLite's column affinity rules (datatype3 §3.1)."""
    d = decl.upper().split(' COLLATE ')[0].strip()
    if strict and d == 'ANY':
        return 'BLOB'
    if 'INT' in d:
        return 'INTEGER'
    if 'CHAR' in d or 'CLOB' in d or 'TEXT' in d:
        return 'TEXT'
    if 'BLOB' in d or d == '':
        return 'BLOB'
    if 'REAL' in d or 'FLOA' in d or 'DOUB' in d:
        return 'REAL'
    return 'NUMERIC'


NATURAL_CLASSES = {'INTEGER': {'integer', 'real'}, 'REAL': {'real'}, 'TEXT': {'text'},
                   'NUMERIC': {'integer', 'real'}, 'BLOB': {'integer', 'real', 'text', 'blob'}}


def qi(name):
    """A quoted identifier (Postgres and SQLite)."""
    return '"' + name.replace('"', '""') + '"'


def ql(text):
    """A quoted Postgres string literal."""
    return "'" + text.replace("'", "''") + "'"


# ----------------------------------------------------------------------------------
# The SQLite side: tables, views, rows.

class SCol:
    def __init__(self, name, decl):
        self.name, self.decl = name, decl


class SRel:
    """A SQLite table (kind rowid / without_rowid, strict or not) or a view over one."""

    def __init__(self, name, kind, cols, strict=False, pk=None, rows=None, indexes=None, base=None, view_cols=None, view_where=None):
        self.name, self.kind, self.cols, self.strict, self.pk = name, kind, cols, strict, pk
        self.rows = rows or []          # lists of SQL literals, one per column
        self.indexes = indexes or []    # lists of column names
        self.base = base                # views: the base SRel
        self.view_cols = view_cols      # views: [(out name, expression, [base columns])]
        self.view_where = view_where    # views: (sql, [base columns]) or None

    def copy(self):
        if self.kind == 'view':
            return SRel(self.name, 'view', list(self.cols), base=self.base.copy(), view_cols=list(self.view_cols), view_where=self.view_where)
        return SRel(self.name, self.kind, list(self.cols), self.strict, self.pk, [list(r) for r in self.rows], [list(i) for i in self.indexes])

    def col(self, name):
        for c in self.cols:
            if c.name == name:
                return c
        return None

    def table_ddl(self):
        parts = []
        for c in self.cols:
            d = f'{qi(c.name)} {c.decl}'.rstrip()
            if self.kind == 'rowid' and c.name == self.pk:
                d = f'{qi(c.name)} INTEGER PRIMARY KEY'
            parts.append(d)
        if self.kind == 'without_rowid':
            parts.append(f'PRIMARY KEY ({qi(self.pk)})')
        opts = []
        if self.kind == 'without_rowid':
            opts.append('WITHOUT ROWID')
        if self.strict:
            opts.append('STRICT')
        sql = f'CREATE TABLE {qi(self.name)} ({", ".join(parts)})' + (' ' + ', '.join(opts) if opts else '') + ';'
        out = [sql]
        for i, cols in enumerate(self.indexes):
            out.append(f'CREATE INDEX {qi(self.name + "_i" + str(i))} ON {qi(self.name)} ({", ".join(qi(c) for c in cols)});')
        return out

    def script(self):
        """The sqlite3 script that builds this relation (and a view's base table)."""
        if self.kind == 'view':
            lines = self.base.script()
            sel = ', '.join(f'{e} AS {qi(n)}' if e != qi(n) else e for n, e, _ in self.view_cols)
            where = f' WHERE {self.view_where[0]}' if self.view_where else ''
            lines.append(f'CREATE VIEW {qi(self.name)} AS SELECT {sel} FROM {qi(self.base.name)}{where};')
            return lines
        lines = self.table_ddl()
        for r in self.rows:
            lines.append(f'INSERT INTO {qi(self.name)} VALUES ({", ".join(r)});')
        return lines

    def table(self):
        return self.base if self.kind == 'view' else self

    def storage_classes(self):
        """{column: set of typeof() values} of this relation's rows, as SQLite stores them."""
        db = sqlite3.connect(':memory:')
        try:
            db.executescript('\n'.join(self.script()))
            out = {}
            for c in self.cols:
                out[c.name] = {r[0] for r in db.execute(f'SELECT DISTINCT typeof({qi(c.name)}) FROM {qi(self.name)}')}
            return out
        finally:
            db.close()

    def col_decl(self, name):
        """Declared type and strictness of a column (views: the base column's, if direct)."""
        if self.kind == 'view':
            for n, e, refs in self.view_cols:
                if n == name and refs and e == qi(refs[0]):
                    return self.base.col_decl(refs[0])
            return ('', False)
        c = self.col(name)
        return (c.decl, self.strict) if c else ('', False)

    def remove_column(self, name):
        """A copy without column `name` (None if that is not possible)."""
        if self.kind == 'view':
            keep = [vc for vc in self.view_cols if name not in vc[2] and vc[0] != name]
            if len(keep) == len(self.view_cols) or not keep:
                return None
            r = self.copy()
            r.view_cols = keep
            r.cols = [SCol(n, '') for n, _, _ in keep]
            return r
        if name == self.pk and self.kind == 'without_rowid':
            return None
        idx = [i for i, c in enumerate(self.cols) if c.name == name]
        if not idx or len(self.cols) <= 1:
            return None
        i = idx[0]
        r = self.copy()
        del r.cols[i]
        r.rows = [row[:i] + row[i + 1:] for row in r.rows]
        r.indexes = [ix for ix in r.indexes if name not in ix]
        if r.pk == name:
            r.pk = None
        return r


def make_value_pool(rng, decl, messiness):
    """A small per-column domain (so that equalities hit and ORDER BY has ties)."""
    natural = natural_pool(decl)
    k = rng.randint(3, 8)
    pool = []
    for _ in range(k):
        pool.append(rng.choice(ALL_VALUES) if rng.random() < messiness else rng.choice(natural))
    return pool


def gen_schema(rng):
    """SQLite relations for one seed."""
    rels = []
    ntables = rng.randint(3, 5)
    # The first three tables each feature a column that mixes storage classes in a way
    # both engines read but compare differently: special-float text in a REAL column,
    # UTF-8 blobs in a TEXT column, integers and digit text in a STRICT table's ANY column.
    featured = ['real-text', 'text-blob', 'strict-any']
    rng.shuffle(featured)
    for ti in range(ntables):
        feature = featured[ti] if ti < len(featured) else None
        strict = rng.random() < 0.35 if feature is None else feature == 'strict-any'
        kind = 'without_rowid' if rng.random() < 0.25 else 'rowid'
        messiness = rng.choice([0.0, 0.05, 0.15, 0.4])
        ncols = rng.randint(3, 7)
        cols = []
        pk = None
        if kind == 'without_rowid' or rng.random() < 0.85:
            pk_decl = 'INTEGER' if kind == 'rowid' or rng.random() < 0.7 else 'TEXT'
            cols.append(SCol('id', pk_decl))
            pk = 'id'
        decls = [rng.choice(STRICT_DECLARED if strict else DECLARED) for _ in range(ncols)]
        feature_at = rng.randrange(ncols)
        if feature:
            decls[feature_at] = {'real-text': rng.choice(['REAL', 'DOUBLE', 'FLOAT']), 'text-blob': rng.choice(['TEXT', 'VARCHAR(10)']),
                                 'strict-any': 'ANY'}[feature]
        for ci, decl in enumerate(decls):
            slug = re.sub(r'[^a-z0-9]+', '_', decl.lower()).strip('_') or 'none'
            name = f'c{ci}_{slug}'
            if rng.random() < 0.05:
                name = rng.choice(['Mixed Case', 'order', 'we"ird']) + str(ci)
            cols.append(SCol(name, decl))
        rel = SRel(f't{ti}', kind, cols, strict=strict, pk=pk)
        pools = {c.name: make_value_pool(rng, c.decl, messiness) for c in cols}
        if feature:
            fc = cols[feature_at + (1 if pk else 0)]
            extra = {'real-text': SPECIAL_TEXT, 'text-blob': UTF8_BLOBS[:5], 'strict-any': ["'8'", "' 8'", "'-7'", "'42'"]}[feature]
            pools[fc.name] += [rng.choice(extra) for _ in range(rng.randint(1, 2))]
            if feature == 'strict-any':
                pools[fc.name] = [v for v in pools[fc.name] if not v.startswith("X'")] + [rng.choice(['8', '-7', '42'])]
        nrows = rng.randint(6, 30)
        pk_vals = list(range(1, nrows + 1))
        rng.shuffle(pk_vals)
        check = sqlite3.connect(':memory:')
        check.executescript('\n'.join(rel.table_ddl()))
        for r in range(nrows):
            row = []
            for c in cols:
                if c.name == pk:
                    row.append(str(pk_vals[r]) if c.decl == 'INTEGER' else ql(f'k{pk_vals[r]:02d}'))
                elif rng.random() < 0.15:
                    row.append('NULL')
                else:
                    row.append(rng.choice(pools[c.name]))
            # STRICT tables refuse values that do not fit: NULL them one by one.
            for attempt in range(len(row) + 1):
                try:
                    check.execute(f'INSERT INTO {qi(rel.name)} VALUES ({", ".join(row)})')
                    break
                except sqlite3.Error:
                    bad = [i for i, c in enumerate(cols) if c.name != pk and row[i] != 'NULL']
                    if not bad:
                        row = None
                        break
                    fixed = False
                    for i in bad:
                        try:
                            check.execute('SAVEPOINT s')
                            probe = ['NULL' if (j != i and cols[j].name != pk) else v for j, v in enumerate(row)]
                            check.execute(f'INSERT INTO {qi(rel.name)} VALUES ({", ".join(probe)})')
                            check.execute('ROLLBACK TO s')
                            check.execute('RELEASE s')
                        except sqlite3.Error:
                            check.execute('ROLLBACK TO s')
                            check.execute('RELEASE s')
                            row[i] = 'NULL'
                            fixed = True
                            break
                    if not fixed:
                        row = None
                        break
            if row is not None:
                rel.rows.append(row)
        check.close()
        # Indexes on some columns (nested-loop lookups, index-ordered scans).
        for c in cols:
            if c.name != pk and rng.random() < 0.3:
                rel.indexes.append([c.name])
        if rng.random() < 0.2 and len(cols) > 2:
            rel.indexes.append([c.name for c in rng.sample(cols, 2)])
        rels.append(rel)
    # Views over some tables: all columns, a subset, or with an expression column.
    for vi, base in enumerate(rng.sample(rels, k=min(len(rels), rng.randint(1, 2)))):
        names = [c.name for c in base.cols]
        if rng.random() < 0.5:
            chosen = names
        else:
            chosen = [n for n in names if n == base.pk or rng.random() < 0.6] or names[:2]
        vcols = [(n, qi(n), [n]) for n in chosen]
        if rng.random() < 0.4:
            src = rng.choice([c for c in base.cols if c.name != base.pk] or base.cols)
            vcols.append((src.name + '_x', f'{qi(src.name)} || \'\'' if affinity(src.decl) == 'TEXT' else f'{qi(src.name)}', [src.name]))
        where = None
        if base.pk and rng.random() < 0.4:
            where = (f'{qi(base.pk)} IS NOT NULL', [base.pk])
        view = SRel(f'v{vi}', 'view', [SCol(n, '') for n, _, _ in vcols], base=base, view_cols=vcols, view_where=where)
        rels.append(view)
    return rels


def build_sqlite(path, rel_scripts):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.executescript('\n'.join(rel_scripts))
    db.commit()
    db.close()
    os.chmod(path, 0o644)


def full_script(rels):
    """Script of several relations, each base table once."""
    out, seen = [], set()
    tables = [r for r in rels if r.kind != 'view']
    views = [r for r in rels if r.kind == 'view']
    for r in tables:
        out += r.script()
        seen.add(r.name)
    for v in views:
        if v.base.name not in seen:
            out += v.base.script()
            seen.add(v.base.name)
        out += v.script()[len(v.base.script()):]
    return out


# ----------------------------------------------------------------------------------
# The Postgres side: foreign tables, their catalog metadata, local copies.

TEXT_OIDS = {25, 1043, 1042, 19}


def tcat(typname):
    return {'int2': 'int', 'int4': 'int', 'int8': 'int', 'float4': 'float', 'float8': 'float',
            'numeric': 'numeric', 'text': 'text', 'varchar': 'text', 'bpchar': 'text', 'bytea': 'bytea',
            'bool': 'bool', 'date': 'date', 'timestamp': 'timestamp', 'timestamptz': 'timestamp',
            'uuid': 'uuid', 'jsonb': 'jsonb', 'json': 'json', 'time': 'time'}.get(typname, 'other')


class PCol:
    """A foreign-table column as the catalog has it."""

    def __init__(self, name, fmt, typname, collname, deterministic, sqlite_name, options):
        self.name, self.fmt, self.typname, self.collname = name, fmt, typname, collname
        self.deterministic, self.sqlite_name, self.options = deterministic, sqlite_name, options
        self.cat = tcat(typname)

    def coll_sql(self):
        return None if self.collname in (None, 'default') else self.collname


class FTable:
    """A foreign table over one SQLite relation, re-creatable in any schema with any server:
    by IMPORT FOREIGN SCHEMA (types option) or CREATE FOREIGN TABLE, then ALTERs."""

    def __init__(self, srel, how, name, hand_cols=None):
        self.srel, self.how, self.name = srel, how, name
        self.hand_cols = hand_cols       # [(pg name, type sql, collation or None, {options})]
        self.alters = []                 # [(pg column, new type)]
        self.analyze = False
        self.cols = []                   # PCol, from the catalog
        self.local_ok = False

    def copy_with(self, srel):
        f = FTable(srel, self.how, self.name, None if self.hand_cols is None else [hc for hc in self.hand_cols])
        f.alters = list(self.alters)
        f.analyze = self.analyze
        f.cols = list(self.cols)
        return f

    def ddl(self, server, schema):
        out = []
        if self.how.startswith('import:'):
            types = self.how.split(':', 1)[1]
            out.append(f'IMPORT FOREIGN SCHEMA main LIMIT TO ({qi(self.srel.name)}) FROM SERVER {qi(server)} INTO {qi(schema)} OPTIONS (types {ql(types)})')
        else:
            parts = []
            for name, typ, coll, opts in self.hand_cols:
                p = f'{qi(name)} {typ}'
                if opts:
                    p += ' OPTIONS (' + ', '.join(f'{k} {ql(v)}' for k, v in opts.items()) + ')'
                if coll:
                    p += f' COLLATE {coll}'
                parts.append(p)
            out.append(f'CREATE FOREIGN TABLE {qi(schema)}.{qi(self.name)} ({", ".join(parts)}) SERVER {qi(server)} OPTIONS (table {ql(self.srel.name)})')
        for col, typ in self.alters:
            out.append(f'ALTER FOREIGN TABLE {qi(schema)}.{qi(self.name)} ALTER COLUMN {qi(col)} TYPE {typ}')
        return out

    def without_column(self, sqlite_name):
        """This table over a relation without SQLite column `sqlite_name`, or None."""
        srel = self.srel.remove_column(sqlite_name)
        if srel is None:
            return None
        f = self.copy_with(srel)
        gone = [c.name for c in self.cols if c.sqlite_name == sqlite_name]
        if self.hand_cols is not None:
            f.hand_cols = [hc for hc in self.hand_cols if hc[3].get('column_name', hc[0]) != sqlite_name]
            if not f.hand_cols:
                return None
        f.alters = [a for a in self.alters if a[0] not in gone]
        f.cols = [c for c in self.cols if c.sqlite_name != sqlite_name]
        return f


CATALOG_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, co.collname, co.collisdeterministic,
       coalesce(a.attfdwoptions, '{}')
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""


def read_catalog(conn, qualified):
    cols = []
    for name, fmt, typname, collname, det, opts in conn.execute(CATALOG_SQL, (qualified,)).fetchall():
        options = dict(o.split('=', 1) for o in opts)
        deterministic = det not in (False, 'f', 'false')  # text format: 't' / 'f'
        cols.append(PCol(name, fmt, typname, collname, deterministic, options.get('column_name', name), options))
    return cols


HAND_TYPES = {
    'INTEGER': ['bigint', 'bigint', 'integer', 'smallint', 'numeric', 'double precision', 'real', 'text', 'boolean'],
    'TEXT': ['text', 'text', 'text', 'varchar', 'varchar(5)', 'char(3)', 'bytea', 'uuid', 'jsonb', 'date', 'timestamp', 'integer'],
    'REAL': ['double precision', 'double precision', 'real', 'numeric', 'bigint', 'text'],
    'NUMERIC': ['numeric', 'numeric(10,2)', 'bigint', 'double precision', 'text'],
    'BLOB': ['bytea', 'text', 'bigint', 'double precision'],
    'BOOLEAN': ['boolean', 'boolean', 'integer', 'text'],
    'DATE': ['date', 'date', 'timestamp', 'text', 'bigint'],
    'DATETIME': ['timestamp', 'timestamptz', 'text', 'bigint', 'date'],
    'JSON': ['jsonb', 'jsonb', 'text'],
    'UUID': ['uuid', 'uuid', 'text', 'bytea'],
}
TEXT_COLLATIONS = [None, None, None, '"C"', '"C"', '"en-US-x-icu"', 'liteport.nocase', 'liteport.nocase', '"POSIX"']


def hand_type_key(decl):
    d = decl.upper().split(' COLLATE ')[0]
    for k in ('BOOLEAN', 'DATE', 'DATETIME', 'JSON', 'UUID'):
        if d == k:
            return k
    return affinity(decl)


def gen_hand_table(rng, srel, name):
    cols = []
    scols = list(srel.cols)
    if len(scols) > 3 and rng.random() < 0.4:
        keep = [c for c in scols if c.name == srel.table().pk or rng.random() < 0.7]
        scols = keep if len(keep) >= 2 else scols
    for c in scols:
        decl = srel.col_decl(c.name)[0]
        typ = rng.choice(HAND_TYPES[hand_type_key(decl)])
        if decl.upper() == 'ANY' and rng.random() < 0.5:
            typ = rng.choice(['bigint', 'integer', 'text'])
        if c.name == 'id' and rng.random() < 0.7:
            typ = 'bigint' if 'INT' in decl.upper() or decl == '' else typ
        coll = rng.choice(TEXT_COLLATIONS) if typ in ('text', 'varchar', 'varchar(5)', 'char(3)') else None
        opts = {}
        pgname = c.name
        if rng.random() < 0.2:
            pgname = 'h_' + re.sub(r'[^a-z0-9_]', '', c.name.lower())
            opts['column_name'] = c.name
        if rng.random() < 0.1:
            opts['empty_as_null'] = 'true'
        if typ in ('date', 'timestamp', 'timestamptz') and rng.random() < 0.4:
            opts['epoch_unit'] = rng.choice(['s', 'ms', 'us', 'julian', 'auto'])
        cols.append((pgname, typ, coll, opts))
    # Postgres names must be unique.
    seen = set()
    out = []
    for pgname, typ, coll, opts in cols:
        n = pgname
        while n in seen:
            n += '_'
        seen.add(n)
        if n != pgname and 'column_name' not in opts:
            opts = dict(opts, column_name=pgname)
        out.append((n, typ, coll, opts))
    return FTable(srel, 'hand', name, out)


# ----------------------------------------------------------------------------------
# Running statements.

class StrLoader(Loader):
    def load(self, data):
        return bytes(data).decode('utf-8', 'replace')


LOAD_AS_TEXT = [16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 700, 701, 1042, 1043, 1082, 1083, 1114, 1184, 1186,
                1266, 1700, 2950, 3802, 705]


def connect(conninfo):
    conn = psycopg.connect(**conninfo, autocommit=True, options='-c statement_timeout=20000 -c jit=off -c client_min_messages=error')
    for oid in LOAD_AS_TEXT:
        conn.adapters.register_loader(oid, StrLoader)
    return conn


class Res:
    def __init__(self, rows=None, types=None, sqlstate=None, message=None):
        self.rows, self.types, self.sqlstate, self.message = rows, types, sqlstate, message

    @property
    def ok(self):
        return self.sqlstate is None

    def show(self, limit=30):
        if not self.ok:
            return f'ERROR {self.sqlstate}: {self.message}'
        lines = [' | '.join('NULL' if v is None else v for v in r) for r in self.rows[:limit]]
        more = f'\n... ({len(self.rows)} rows)' if len(self.rows) > limit else f'\n({len(self.rows)} rows)'
        return '\n'.join(lines) + more


def run(conn, sql):
    try:
        cur = conn.execute(sql)
        if cur.description is None:
            return Res([], [])
        rows = cur.fetchall()
        return Res([tuple(r) for r in rows], [d.type_code for d in cur.description])
    except psycopg.Error as e:
        msg = (e.diag.message_primary or str(e)).splitlines()[0] if e.diag else str(e).splitlines()[0]
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                conn.rollback()
            except psycopg.Error:
                pass
        return Res(sqlstate=e.sqlstate or 'XXXXX', message=msg)


def must(conn, sql):
    r = run(conn, sql)
    if not r.ok:
        raise RuntimeError(f'{sql}\n  -> {r.message}')
    return r


# ----------------------------------------------------------------------------------
# Queries.

CONSTS = {
    'int': INTS + ['0', '1', '8', '8', '10', '-7', "'8'", '8::smallint', '8::bigint', '2147483648::bigint', '8.0', '8.5',
                   '2.5::numeric', "'NaN'::float8", "'Infinity'::float8", "'-Infinity'::float8", '-0.0::float8',
                   '8::float8', '8::real', '1e300::float8', '3::numeric', "'8'::numeric", 'NULL', "'NaN'::numeric",
                   '7.0::float8', '9223372036854775807::numeric', '(SELECT 8)', '(SELECT 8::bigint)', '(SELECT NULL::int)'],
    'float': ['0', '1.5', '-1.5', '2', '8', '2.0', "'NaN'", "'NaN'::float8", "'Infinity'", "'-Infinity'::float8",
              "'-inf'", "'inf'::float8", '-0.0::float8', "'-0'::float8", '0.1', '0.1::real', '1.5::real', '1e300',
              '-1e300', '9007199254740993', '0.30000000000000004::float8', '2.5::numeric', '3::int', "'1.5'",
              '8::bigint', '1.5::float8', '2.5::float8', '8.5::float8', 'NULL', "'NaN'::real", "'Infinity'::real",
              '1e300::float8', '-1.5::float8', '0::float8', "(SELECT 'NaN'::float8)", '(SELECT 1.5::float8)', "(SELECT '-Infinity'::float8)"],
    'numeric': ['8', '8.00', '1.5', '2.5', '0', "'NaN'::numeric", "'NaN'::float8", '-7', '9223372036854775807',
                '1e300::float8', "'Infinity'::numeric", '8::bigint', '1.5::float8', 'NULL', '2.50'],
    'text': [w for w in WORDS + META + SPECIAL_TEXT + NUMTEXT] + ["'a' COLLATE \"C\"", "'abc'::varchar", "'8'::text",
             "'abc'::char(3)", 'NULL', "'A' COLLATE liteport.nocase", "'b' COLLATE \"en-US-x-icu\"", "(SELECT 'a'::text)", "(SELECT 'abc')"],
    'bytea': ["'\\x616263'::bytea", "'abc'::bytea", "'\\x'::bytea", "'\\x00'::bytea", "'\\xff'::bytea", "'8'::bytea", 'NULL'],
    'bool': ['true', 'false', "'t'", "'yes'", 'NULL'],
    'date': ["'2024-01-01'", "'2024-01-01'::date", "'infinity'::date", "'2023-12-31'", "'2024-01-01 10:00:00'::timestamp",
             "'-infinity'", 'NULL', "'2024-02-29'"],
    'timestamp': ["'2024-01-01 10:00:00'", "'2024-01-01'", "'infinity'", "'2024-01-01 10:00:00+02'::timestamptz",
                  "'2023-12-31 23:59:59'", "'2024-01-01 10:00:00.123456'", 'NULL', "'2024-01-01 08:00:00'"],
    'uuid': ["'550e8400-e29b-41d4-a716-446655440000'", "'00000000-0000-0000-0000-000000000000'", 'NULL'],
    'jsonb': ["'1'", "'{\"a\": 1}'", "'[1, 2]'", "'null'", "'\"a\"'", "'1.0'", 'NULL'],
    'json': ["'1'"],
    'time': ["'10:00:00'"],
    'other': ['NULL'],
}
# Values for EXECUTE arguments, by parameter type.
PARAM_TYPES = {'int': ['bigint', 'integer', 'smallint'], 'float': ['double precision', 'real'], 'numeric': ['numeric'],
               'text': ['text', 'varchar'], 'bytea': ['bytea'], 'bool': ['boolean'], 'date': ['date'],
               'timestamp': ['timestamp'], 'uuid': ['uuid'], 'jsonb': ['jsonb']}
PARAM_VALUES = {
    'int': ['8', '1', '0', '-7', '10', '42', '9223372036854775807', '-9223372036854775808', 'NULL', '2147483647', '3'],
    'float': ["'NaN'", "'Infinity'", "'-Infinity'", '-0.0', '1.5', '8', '2.5', 'NULL', '1e300', '0.1', '3'],
    'numeric': ['8', '1.5', "'NaN'", 'NULL', '2.50', '-7'],
    'text': ["'a'", "'A'", "'abc'", "'ä'", "'8'", "''", "'NaN'", "'Infinity'", 'NULL', "'b'", "' 8'", "'z'"],
    'bytea': ["'\\x616263'", "'abc'", 'NULL'],
    'bool': ['true', 'false', 'NULL'],
    'date': ["'2024-01-01'", 'NULL'],
    'timestamp': ["'2024-01-01 10:00:00'", 'NULL'],
    'uuid': ["'550e8400-e29b-41d4-a716-446655440000'", 'NULL'],
    'jsonb': ["'1'", 'NULL'],
}
LIKE_PATTERNS = ["'a%'", "'%a'", "'_'", "'%\\%%'", "'%\\_%'", "'a_b'", "'%*%'", "'%?%'", "'%[%'", "'%\\\\%'", "'A%'",
                 "'ä%'", "'%'", "''", "'abc'", "'%b%'", "'a\\%'", "'[x]'", "'_b%'", "'%c'", "'8'", "'%8%'", "'N%'",
                 "'%a%'", "'\\_'", "'x''%'", "'a*'", "'?'", "'__'", "'ab%'", "'%ß%'", "'%日%'"]
ORDER_COLLATIONS = [None, None, None, None, '"C"', '"POSIX"', '"default"', '"en-US-x-icu"', 'liteport.nocase', '"ucs_basic"']
COMPARE_COLLATIONS = ['"C"', '"POSIX"', '"en-US-x-icu"', 'liteport.nocase', '"default"']
ORDERABLE = {'int', 'float', 'numeric', 'text', 'bytea', 'bool', 'date', 'timestamp', 'uuid', 'jsonb'}
MINMAX = {'int', 'float', 'numeric', 'text', 'date', 'timestamp'}
OPS = ['=', '=', '<>', '<', '<=', '>', '>=']

LK_TABLES = {
    'ki': ('bigint', ['8', '1', '-7', '9223372036854775807', 'NULL', '8', '42', '0', '2', '3']),
    'ki4': ('integer', ['8', '2', '-1', 'NULL', '10', '1']),
    'kf': ('double precision', ["'NaN'", "'Infinity'", "'-Infinity'", '-0.0', '1.5', '8', 'NULL', '2.5', '0']),
    'kn': ('numeric', ['8', '1.5', '8.00', 'NULL', '-7', '2.5']),
    'kt': ('text', ["'a'", "'A'", "'abc'", "'ä'", "'8'", "''", 'NULL', "'b'", "'Infinity'", "'NaN'", "'B'"]),
    'ktc': ('text COLLATE "C"', ["'a'", "'B'", "'abc'", "'Ä'", "'8'", 'NULL', "'ä'"]),
    'kti': ('text COLLATE "en-US-x-icu"', ["'a'", "'A'", "'abc'", "'b'", "'ä'", 'NULL']),
}
LK_FOR = {'int': ['ki', 'ki', 'ki4', 'kf', 'kn'], 'float': ['kf', 'kf', 'ki'], 'numeric': ['kn', 'ki'], 'text': ['kt', 'kt', 'ktc', 'kti']}


def col_ref(col, alias='t'):
    return f'{alias}.{qi(col)}'


def sqlite_literal_to_pg(lit, cat, rng):
    """A Postgres constant for a stored SQLite value, to hit equalities."""
    if lit == 'NULL':
        return None
    if lit.startswith("X'"):
        hexs = lit[2:-1]
        if cat == 'bytea':
            return f"'\\x{hexs}'::bytea"
        if cat == 'text':
            try:
                return ql(bytes.fromhex(hexs).decode('utf-8'))
            except (UnicodeDecodeError, ValueError):
                return None
        return None
    if lit.startswith("'"):
        if cat in ('text', 'date', 'timestamp', 'uuid', 'jsonb', 'bool'):
            return lit
        inner = lit[1:-1]
        if cat in ('int',) and re.fullmatch(r'\s*[-+]?\d+\s*', inner):
            return lit
        if cat in ('float', 'numeric') and re.fullmatch(r'\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|NaN|nan|[-+]?Infinity|[-+]?inf)\s*', inner):
            return lit
        return None
    # a number
    if cat == 'text':
        return ql(lit)
    if cat == 'int':
        return lit if re.fullmatch(r'-?\d+', lit) else None
    if cat == 'float':
        if lit in ('9e999', '-9e999'):
            return "'Infinity'::float8" if lit[0] != '-' else "'-Infinity'::float8"
        return f'{lit}::float8' if rng.random() < 0.5 else lit
    if cat == 'numeric':
        return None if 'e999' in lit else lit
    return None


class Query:
    def __init__(self, kind, ft):
        self.kind, self.ft = kind, ft
        self.cols = []          # output columns (pg names)
        self.where = None
        self.order = []         # [{'col','coll','desc','nulls'}]
        self.limit = None       # {'n','offset','ties','style'}
        self.agg = None
        self.join = None        # {'lk','col','jtype'}
        self.settings = []
        self.prepared = None    # {'types': [...], 'execs': [[...]], 'mode': ...}
        self.extra = None       # 'window' (count(*) OVER ()) or 'srf' (generate_series) in the select list

    def copy(self):
        q = Query(self.kind, self.ft)
        q.cols = list(self.cols)
        q.where = self.where
        q.order = [dict(o) for o in self.order]
        q.limit = dict(self.limit) if self.limit else None
        q.agg = dict(self.agg) if self.agg else None
        q.join = dict(self.join) if self.join else None
        q.settings = list(self.settings)
        q.extra = self.extra
        q.prepared = None if self.prepared is None else {'types': list(self.prepared['types']), 'execs': [list(e) for e in self.prepared['execs']]}
        return q

    def cause_cols(self):
        """Columns that are filtered, ordered, grouped, aggregated or joined on."""
        out = tree_cols(self.where) | {o['col'] for o in self.order if o['col'] is not None}
        if self.agg:
            out |= {c for c in (self.agg.get('col'), self.agg.get('group')) if c}
        if self.join:
            out.add(self.join['col'])
        return out

    def referenced(self):
        """Postgres column names the query needs."""
        out = set(self.cols)
        out |= tree_cols(self.where)
        out |= {o['col'] for o in self.order if o['col'] is not None}
        if self.agg:
            out |= {c for c in (self.agg.get('col'), self.agg.get('group')) if c}
        if self.join:
            out.add(self.join['col'])
        return out


def tree_cols(t):
    if t is None:
        return set()
    if t[0] in ('and', 'or'):
        return set().union(*[tree_cols(c) for c in t[1]])
    if t[0] == 'not':
        return tree_cols(t[1])
    if t[0] == 'colcmp':
        return {t[1], t[3]}
    return {t[1]}


def tree_consts(t):
    if t is None:
        return []
    k = t[0]
    if k in ('and', 'or'):
        return [x for c in t[1] for x in tree_consts(c)]
    if k == 'not':
        return tree_consts(t[1])
    if k == 'cmp':
        return [t[3]]
    if k == 'between':
        return [t[2], t[3]]
    if k == 'in':
        return list(t[2])
    if k == 'any':
        return [t[2]]
    if k == 'like':
        return [t[3]]
    return []


def render_tree(t, cols):
    k = t[0]
    if k == 'and' or k == 'or':
        return '(' + f' {k.upper()} '.join(render_tree(c, cols) for c in t[1]) + ')'
    if k == 'not':
        return f'NOT {render_tree(t[1], cols)}'
    if k == 'cmp':
        _, c, op, val, mirrored, coll = t
        ref = col_ref(c) + (f' COLLATE {coll}' if coll else '')
        return f'{val} {op} {ref}' if mirrored else f'{ref} {op} {val}'
    if k == 'between':
        _, c, lo, hi, neg = t
        return f'{col_ref(c)} {"NOT " if neg else ""}BETWEEN {lo} AND {hi}'
    if k == 'in':
        _, c, vals, neg = t
        return f'{col_ref(c)} {"NOT " if neg else ""}IN ({", ".join(vals)})'
    if k == 'any':
        _, c, arr = t
        return f'{col_ref(c)} = ANY({arr})'
    if k == 'null':
        _, c, neg = t
        return f'{col_ref(c)} IS {"NOT " if neg else ""}NULL'
    if k == 'like':
        _, c, op, pat, coll = t
        ref = col_ref(c) + (f' COLLATE {coll}' if coll else '')
        return f'{ref} {op} {pat}'
    if k == 'colcmp':
        _, a, op, b = t
        return f'{col_ref(a)} {op} {col_ref(b)}'
    raise ValueError(t)


class Gen:
    """Random query parts for one foreign table."""

    def __init__(self, rng, ft, prepared=False):
        self.rng, self.ft, self.prepared = rng, ft, prepared
        # Choices added later draw from their own generator (seeded from the main one's
        # state without consuming it), so earlier seeds still make the same queries.
        self.side = random.Random(hash(rng.getstate()))
        self.ptypes, self.pcats = [], []
        self.bycol = {c.name: c for c in ft.cols}

    def const(self, col):
        rng = self.rng
        if rng.random() < 0.45:
            data = self.data_literals(col)
            if data:
                lit = sqlite_literal_to_pg(rng.choice(data), col.cat, rng)
                if lit:
                    return lit
        return rng.choice(CONSTS.get(col.cat, ['NULL']))

    def data_literals(self, col):
        t = self.ft.srel.table()
        name = col.sqlite_name
        if self.ft.srel.kind == 'view':
            for n, e, refs in self.ft.srel.view_cols:
                if n == col.sqlite_name and refs:
                    name = refs[0]
        idx = [i for i, c in enumerate(t.cols) if c.name == name]
        if not idx:
            return []
        return [r[idx[0]] for r in t.rows]

    def param(self, col):
        rng = self.rng
        cat = col.cat if col.cat in PARAM_TYPES and rng.random() < 0.75 else rng.choice(['int', 'float', 'numeric', 'text'])
        self.ptypes.append(rng.choice(PARAM_TYPES[cat]))
        self.pcats.append(cat)
        p = f'${len(self.ptypes)}'
        # A value computed from the parameter (no column, nothing volatile) is bound like
        # the parameter itself.
        if self.side.random() < 0.3:
            return {'int': f'({p} + 0)', 'float': f'({p} * 1)', 'numeric': f'({p} + 0)', 'text': f"({p} || '')"}.get(cat, p)
        return p

    def likely_pushable(self, c):
        """liteport's pushdown classes (pushdown.rs), approximately: integers over INTEGER /
        REAL / NUMERIC affinity, float8 over REAL, text/varchar over TEXT with BINARY."""
        if set(c.options) - {'column_name'}:
            return False
        decl, strict = self.ft.srel.col_decl(c.sqlite_name)
        aff = affinity(decl, strict)
        if c.typname in ('int2', 'int4', 'int8'):
            return aff in ('INTEGER', 'REAL', 'NUMERIC') or decl.upper() == 'ANY'
        if c.typname == 'float8':
            return aff == 'REAL'
        if c.typname in ('text', 'varchar'):
            return aff == 'TEXT' and 'COLLATE' not in decl.upper()
        return False

    def pick_col(self, cands=None, pushable_only=False):
        rng = self.rng
        cands = cands or self.ft.cols
        pushable = [c for c in cands if self.likely_pushable(c)]
        if pushable and (pushable_only or rng.random() < 0.7):
            return rng.choice(pushable)
        return rng.choice(cands)

    def leaf(self, pushable_only=False):
        rng = self.rng
        col = self.pick_col(pushable_only=pushable_only)
        r = rng.random()
        if col.cat == 'text' and r < 0.22:
            op = rng.choice(['LIKE', 'LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE'])
            coll = rng.choice([None] * 6 + ['"C"', '"default"', 'liteport.nocase'])
            if 'ILIKE' in op and key_nondeterministic(col, coll):
                coll = '"C"'  # Postgres refuses it anyway, and ILIKE is never pushed
            pat = rng.choice(LIKE_PATTERNS)
            if rng.random() < 0.3:
                data = [d for d in self.data_literals(col) if d.startswith("'") and len(d) > 2]
                if data:
                    d = rng.choice(data)[1:-1].replace("''", "'")
                    i = rng.randrange(len(d))
                    d = d[:i] + rng.choice(['_', '%']) + d[i + 1:]
                    pat = ql(d)
            if self.prepared and rng.random() < 0.3:
                self.ptypes.append('text')
                self.pcats.append('like')
                pat = f'${len(self.ptypes)}'
            return ('like', col.name, op, pat, coll)
        if r < 0.55:
            op = rng.choice(OPS)
            coll = rng.choice(COMPARE_COLLATIONS) if col.cat == 'text' and rng.random() < 0.2 else None
            val = self.param(col) if self.prepared and rng.random() < 0.6 else self.const(col)
            return ('cmp', col.name, op, val, rng.random() < 0.2, coll)
        if r < 0.63:
            return ('between', col.name, self.const(col), self.const(col), rng.random() < 0.2)
        if r < 0.72:
            vals = [self.const(col) for _ in range(rng.randint(1, 4))]
            return ('in', col.name, vals, rng.random() < 0.25)
        if r < 0.79:
            vals = [self.const(col) for _ in range(rng.randint(1, 3))]
            vals = [v for v in vals if v != 'NULL'] or ['NULL']
            if rng.random() < 0.5 or col.cat not in ('int', 'float', 'text'):
                return ('any', col.name, f'ARRAY[{", ".join(vals)}]')
            elem = {'int': 'bigint', 'float': 'float8', 'text': 'text'}[col.cat]
            items = []
            for v in vals:
                m = re.fullmatch(r"'((?:[^']|'')*)'(::\w+)?", v)
                if m:
                    items.append('"' + m.group(1).replace("''", "'").replace('\\', '\\\\').replace('"', '\\"') + '"')
                elif re.fullmatch(r'-?[\d.e]+', v):
                    items.append(v)
            if not items:
                return ('any', col.name, f'ARRAY[{", ".join(vals)}]')
            return ('any', col.name, ql('{' + ','.join(items) + '}') + f'::{elem}[]')
        if r < 0.94:
            return ('null', col.name, rng.random() < 0.5)
        same = [c for c in self.ft.cols if c.cat == col.cat and c.name != col.name]
        if same:
            return ('colcmp', col.name, rng.choice(OPS), rng.choice(same).name)
        return ('null', col.name, True)

    def tree(self, depth=0):
        rng = self.rng
        r = rng.random()
        if depth >= 3 or r < 0.5:
            return self.leaf()
        if r < 0.72:
            return ('and', [self.tree(depth + 1) for _ in range(rng.randint(2, 3))])
        if r < 0.92:
            return ('or', [self.tree(depth + 1) for _ in range(rng.randint(2, 3))])
        return ('not', self.tree(depth + 1))

    def order(self, cols=None, pushable=False, total=None):
        rng = self.rng
        cands = [c for c in (cols or self.ft.cols) if c.cat in ORDERABLE]
        if pushable:
            cands = [c for c in cands if self.likely_pushable(c)] or cands
        if not cands:
            return []
        keys = []
        for c in rng.sample(cands, k=min(len(cands), rng.choice([1, 1, 1, 2, 2, 3]))):
            coll = rng.choice(ORDER_COLLATIONS) if c.cat == 'text' else None
            if pushable and coll and rng.random() < 0.6:
                coll = '"C"'
            keys.append({'col': c.name, 'coll': coll, 'desc': rng.random() < 0.35, 'nulls': rng.choice([None, None, 'FIRST', 'LAST'])})
        pkcols = self.pk_cols()
        if total is None:
            total = rng.random() < 0.3
        if pkcols and total and all(k['col'] != pkcols[0].name for k in keys):
            keys.append({'col': pkcols[0].name, 'coll': None, 'desc': False, 'nulls': None})
        return keys

    def pk_cols(self):
        """The SQLite primary key, when Postgres reads it as unique values."""
        pk = self.ft.srel.table().pk
        return [c for c in self.ft.cols if c.sqlite_name == pk and pk is not None and c.cat in ('int', 'text', 'numeric')]

    def total_order(self, keys):
        pk = self.pk_cols()
        return bool(pk) and any(k['col'] == pk[0].name and k['coll'] in (None, '"C"') for k in keys)

    def limit(self, ordered, boost=False):
        rng = self.rng
        if rng.random() > ((0.75 if boost else 0.55) if ordered else 0.12):
            return None
        lim = {'n': rng.choice([0, 1, 1, 2, 3, 3, 4, 5, 7, 10]), 'offset': rng.choice([0, 0, 0, 1, 2, 5]),
               'ties': ordered and rng.random() < 0.3, 'style': rng.choice(['limit', 'fetch'])}
        if lim['ties']:
            lim['style'] = 'fetch'
        if self.prepared and rng.random() < 0.2:
            self.ptypes.append('bigint')
            self.pcats.append('limit')
            lim['param'] = len(self.ptypes)
        return lim


def key_nondeterministic(col, coll):
    if coll is not None:
        return coll == 'liteport.nocase'
    return not col.deterministic


def gen_query(rng, ft, qid):
    """One random query over `ft` (settings included)."""
    kind = rng.choices(['select', 'simple', 'agg', 'minmax', 'group', 'distinct', 'join', 'lateral', 'subq'],
                       [30, 25, 4, 7, 8, 5, 14, 5, 3])[0]
    prepared = rng.random() < 0.2 and kind in ('select', 'simple', 'agg', 'join', 'minmax', 'lateral')
    g = Gen(rng, ft, prepared)
    simple = kind == 'simple'
    if simple:
        kind = 'select'
    q = Query(kind, ft)
    settings = [f'SET liteport.read_ahead = {rng.choice(["on", "off"])}']
    if rng.random() < 0.15:
        settings.append('SET enable_sort = off')
    if kind in ('join', 'lateral', 'subq'):
        joinable = [c for c in ft.cols if c.cat in LK_FOR]
        if not joinable:
            kind = q.kind = 'select'
        else:
            c = g.pick_col(joinable)
            q.join = {'lk': rng.choice(LK_FOR[c.cat]), 'col': c.name,
                      'jtype': rng.choice(['JOIN', 'JOIN', 'LEFT JOIN', 'SEMI']) if kind == 'join' else
                      rng.choice(['CROSS JOIN LATERAL', 'LEFT JOIN LATERAL']) if kind == 'lateral' else 'SCALAR'}
            method = rng.choice(['nest', 'nest', 'merge', 'merge', 'any']) if kind == 'join' else rng.choice(['nest', 'any'])
            if method == 'nest':
                settings += ['SET enable_hashjoin = off', 'SET enable_mergejoin = off']
            elif method == 'merge':
                settings += ['SET enable_nestloop = off', 'SET enable_hashjoin = off']
                if rng.random() < 0.5:
                    settings = [x for x in settings if x != 'SET enable_sort = off']
            if kind == 'join' and (method == 'merge' or rng.random() < 0.3):
                q.order = [{'col': c.name, 'coll': None, 'desc': rng.random() < 0.3, 'nulls': None}]
                q.join['order_fixed'] = method == 'merge' and rng.random() < 0.6
    if simple:
        leaves = [g.leaf(pushable_only=True) for _ in range(rng.choice([0, 1, 1, 2]))]
        q.where = None if not leaves else leaves[0] if len(leaves) == 1 else ('and', leaves)
    elif rng.random() < 0.7:
        q.where = g.tree()
    if kind in ('select', 'join', 'lateral'):
        if rng.random() < 0.5:
            q.cols = [c.name for c in ft.cols]
        else:
            q.cols = [c.name for c in rng.sample(ft.cols, k=rng.randint(1, len(ft.cols)))]
        if not q.order and rng.random() < (0.85 if simple else 0.6):
            q.order = g.order(pushable=simple or rng.random() < 0.5, total=None if kind != 'lateral' else True)
        elif q.order and rng.random() < 0.5 and not (q.join or {}).get('order_fixed'):
            q.order += [k for k in g.order() if k['col'] != q.order[0]['col']]
        if kind == 'lateral':
            if q.order and g.total_order(q.order):
                q.limit = g.limit(True)
        else:
            q.limit = g.limit(bool(q.order), boost=simple)
        if kind == 'select' and rng.random() < 0.12:
            q.extra = rng.choice(['window', 'srf'])
    elif kind == 'subq':
        mm = [c for c in ft.cols if c.cat in MINMAX]
        q.agg = {'col': rng.choice(mm).name if mm else None}
    elif kind == 'agg':
        mm = [c for c in ft.cols if c.cat in MINMAX]
        q.agg = {'col': rng.choice(mm).name if mm else None}
    elif kind == 'minmax':
        mm = [c for c in ft.cols if c.cat in MINMAX]
        if not mm:
            kind = q.kind = 'agg'
            q.agg = {'col': None}
        else:
            c = g.pick_col(mm)
            q.agg = {'col': c.name, 'fn': rng.choice(['min', 'max']), 'coll': rng.choice(ORDER_COLLATIONS) if c.cat == 'text' else None,
                     'both': rng.random() < 0.3}
    elif kind in ('group', 'distinct'):
        gc = [c for c in ft.cols if c.cat in ORDERABLE]
        if not gc:
            kind = q.kind = 'agg'
            q.agg = {'col': None}
        else:
            c = g.pick_col(gc)
            mm = [x for x in ft.cols if x.cat in MINMAX]
            q.agg = {'group': c.name, 'coll': rng.choice(ORDER_COLLATIONS) if c.cat == 'text' else None,
                     'col': rng.choice(mm).name if mm and kind == 'group' else None,
                     'order': rng.choice([None, 'ASC', 'DESC', 'ASC'])}
            if q.agg['order'] and rng.random() < 0.3:
                q.limit = {'n': rng.choice([1, 2, 3]), 'offset': 0, 'ties': False, 'style': 'limit'}
            if rng.random() < 0.5:
                settings.append('SET enable_hashagg = off')
    if prepared and g.ptypes:
        mode = rng.choice([None, None, 'force_generic_plan', 'force_custom_plan'])
        if mode:
            settings.append(f'SET plan_cache_mode = {mode}')
        execs = []
        for _ in range(rng.randint(7, 9)):
            vec = []
            for cat in g.pcats:
                vec.append(str(rng.choice([0, 1, 2, 3, 5])) if cat == 'limit' else rng.choice(LIKE_PATTERNS) if cat == 'like' else rng.choice(PARAM_VALUES[cat]))
            execs.append(vec)
        q.prepared = {'types': list(g.ptypes), 'execs': execs}
    q.settings = settings
    return q


def render(q, rel, lk=None):
    """(sql, spec): the query over relation `rel` (and local table `lk` for joins), and how
    to compare its results. Output columns: the query's own, then one per ORDER BY key."""
    cols = {c.name: c for c in q.ft.cols}
    where = f' WHERE {render_tree(q.where, cols)}' if q.where is not None else ''
    spec = {'loose': [], 'keys': [], 'partial_first': False, 'partial_last': False, 'count_only': False}

    def order_sql(keys, alias='t'):
        items = []
        for k in keys:
            s = col_ref(k['col'], alias) + (f' COLLATE {k["coll"]}' if k['coll'] else '')
            if k['desc']:
                s += ' DESC'
            if k['nulls']:
                s += f' NULLS {k["nulls"]}'
            items.append(s)
        return ' ORDER BY ' + ', '.join(items) if items else ''

    def limit_sql():
        lim = q.limit
        if not lim:
            return ''
        n = f'${lim["param"]}' if lim.get('param') else str(lim['n'])
        if lim['style'] == 'limit':
            s = f' LIMIT {n}'
            if lim['offset']:
                s += f' OFFSET {lim["offset"]}'
            return s
        s = f' OFFSET {lim["offset"]} ROWS' if lim['offset'] else ''
        return s + f' FETCH FIRST {n} ROWS {"WITH TIES" if lim["ties"] else "ONLY"}'

    if q.kind == 'lateral':
        j = q.join
        inner = [col_ref(c) for c in q.cols] + [col_ref(k['col']) + (f' COLLATE {k["coll"]}' if k['coll'] else '') for k in q.order]
        inner = [f'{e} AS o{i}' for i, e in enumerate(inner)] or ['1 AS o0']
        cond = f'{col_ref(j["col"])} = k."k"' + (f' AND {render_tree(q.where, cols)}' if q.where is not None else '')
        sub = f'SELECT {", ".join(inner)} FROM {rel} t WHERE {cond}' + order_sql(q.order) + limit_sql()
        sql = f'SELECT k."k", s.* FROM {lk} k {j["jtype"]} ({sub}) s' + (' ON true' if j['jtype'].startswith('LEFT') else '')
        spec['loose'] = [None] * (len(inner) + 1)
        return sql, spec
    if q.kind == 'subq':
        j, a = q.join, q.agg
        cond = f'{col_ref(j["col"])} = k."k"' + (f' AND {render_tree(q.where, cols)}' if q.where is not None else '')
        parts = [f'(SELECT count(*) FROM {rel} t WHERE {cond})']
        spec['loose'] = [False, False]
        if a['col']:
            parts.append(f'(SELECT min({col_ref(a["col"])}) FROM {rel} t WHERE {cond})')
            spec['loose'].append(not cols[a['col']].deterministic)
        return f'SELECT k."k", {", ".join(parts)} FROM {lk} k', spec
    if q.kind in ('select', 'join'):
        sel = [col_ref(c) for c in q.cols]
        if q.extra == 'window':
            sel.append('count(*) OVER ()')
        elif q.extra == 'srf':
            sel.append('generate_series(1, 2)')
        spec['loose'] = [None] * len(sel)
        if q.kind == 'join' and q.join['jtype'] != 'SEMI':
            sel.insert(0, 'k."k"')
            spec['loose'].insert(0, None)
        for k in q.order:
            spec['keys'].append(len(sel))
            sel.append(col_ref(k['col']) + (f' COLLATE {k["coll"]}' if k['coll'] else ''))
            spec['loose'].append(key_nondeterministic(cols[k['col']], k['coll']))
        select = 'SELECT ' + (', '.join(sel) if sel else 'count(*)')
        if not sel:
            spec['loose'] = [False]
        if q.kind == 'join':
            j = q.join
            if j['jtype'] == 'SEMI':
                cond = f'{col_ref(j["col"])} IN (SELECT k."k" FROM {lk} k)'
                where = f' WHERE {cond}' + (f' AND {render_tree(q.where, cols)}' if q.where is not None else '')
                frm = f' FROM {rel} t'
            else:
                frm = f' FROM {lk} k {j["jtype"]} {rel} t ON {col_ref(j["col"])} = k."k"'
        else:
            frm = f' FROM {rel} t'
        sql = select + frm + where + order_sql(q.order) + limit_sql()
        if not sel:
            sql = select + frm + where
        if q.limit:
            if not q.order:
                spec['count_only'] = True
            else:
                spec['partial_first'] = bool(q.limit['offset'])
                spec['partial_last'] = not q.limit['ties']
        return sql, spec
    a = q.agg
    if q.kind == 'agg':
        parts = ['count(*)']
        spec['loose'] = [False]
        if a['col']:
            c = cols[a['col']]
            parts += [f'count({col_ref(c.name)})', f'min({col_ref(c.name)})', f'max({col_ref(c.name)})']
            spec['loose'] += [False, not c.deterministic, not c.deterministic]
        return 'SELECT ' + ', '.join(parts) + f' FROM {rel} t' + where, spec
    if q.kind == 'minmax':
        c = cols[a['col']]
        e = col_ref(c.name) + (f' COLLATE {a["coll"]}' if a['coll'] else '')
        nd = key_nondeterministic(c, a['coll'])
        parts = [f'{a["fn"]}({e})'] + ([f'{"max" if a["fn"] == "min" else "min"}({e})'] if a.get('both') else [])
        spec['loose'] = [nd] * len(parts)
        return 'SELECT ' + ', '.join(parts) + f' FROM {rel} t' + where, spec
    # group / distinct
    c = cols[a['group']]
    e = col_ref(c.name) + (f' COLLATE {a["coll"]}' if a['coll'] else '')
    nd = key_nondeterministic(c, a['coll'])
    order = f' ORDER BY 1 {a["order"]}' if a['order'] else ''
    if a['order']:
        spec['keys'] = [0]
    if q.kind == 'distinct':
        spec['loose'] = [nd]
        return f'SELECT DISTINCT {e} FROM {rel} t' + where + order + limit_sql(), spec
    parts = [e, 'count(*)']
    spec['loose'] = [nd, False]
    if a['col']:
        m = cols[a['col']]
        parts.append(f'min({col_ref(m.name)})')
        spec['loose'].append(not m.deterministic)
    return 'SELECT ' + ', '.join(parts) + f' FROM {rel} t' + where + ' GROUP BY 1' + order + limit_sql(), spec


# ----------------------------------------------------------------------------------
# Comparing results.

def canon_loose(v, oid, nondet):
    """Equal under Postgres's own equality (the values a GROUP BY, DISTINCT, min/max or
    tie may legitimately show either of): -0 = 0, 1.0 = 1.00, case under nocase, ..."""
    if v is None:
        return None
    if oid in (700, 701):
        return '0' if v == '-0' else v
    if oid == 1700:
        try:
            d = decimal.Decimal(v)
            return 'NaN' if d.is_nan() else str(d.normalize()) if d.is_finite() else str(d)
        except decimal.InvalidOperation:
            return v
    if oid == 3802:
        try:
            return json.dumps(_json_norm(json.loads(v, parse_float=decimal.Decimal, parse_int=decimal.Decimal)), sort_keys=True)
        except ValueError:
            return v
    if nondet and oid in TEXT_OIDS:
        return v.casefold()
    return v


def _json_norm(x):
    if isinstance(x, dict):
        return {k: _json_norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_norm(v) for v in x]
    if isinstance(x, decimal.Decimal):
        return str(x.normalize())
    return x


def canon_rows(res, spec, loose_all):
    out = []
    for r in res.rows:
        row = []
        for i, v in enumerate(r):
            nd = spec['loose'][i] if i < len(spec['loose']) else False
            if loose_all or i in spec['keys']:
                row.append(canon_loose(v, res.types[i], bool(nd)))
            else:
                row.append(v)
        out.append(tuple(row))
    return out


def compare(rf, rl, spec, kind):
    """None if the two results agree, else (class, detail)."""
    if not rf.ok or not rl.ok:
        if rf.ok:
            return ('local-error-only', f'local: {rl.sqlstate} {rl.message}')
        if rl.ok:
            return ('foreign-error-only', f'foreign: {rf.sqlstate} {rf.message}')
        if rf.sqlstate != rl.sqlstate:
            return ('different-errors', f'foreign: {rf.sqlstate} {rf.message}; local: {rl.sqlstate} {rl.message}')
        return None
    if spec['count_only']:
        if len(rf.rows) != len(rl.rows):
            return ('row-count', f'{len(rf.rows)} rows vs {len(rl.rows)}')
        return None
    # (a scalar subquery returns count(*) and min(): an aggregate, whose ties show either value)
    loose_all = kind in ('agg', 'minmax', 'group', 'distinct', 'subq')
    cf, cl = canon_rows(rf, spec, loose_all), canon_rows(rl, spec, loose_all)
    keys = spec['keys']
    if keys:
        kf = [tuple(r[i] for i in keys) for r in cf]
        kl = [tuple(r[i] for i in keys) for r in cl]
        if kf != kl:
            if collections.Counter(cf) == collections.Counter(cl):
                return ('order', 'same rows, different order')
            return ('rows', f'{len(cf)} rows vs {len(cl)}; ORDER BY key sequences differ')
        # Rows of one key: a multiset, except a group the window cuts (OFFSET, LIMIT).
        groups_f, groups_l = [], []
        for rows, groups in ((cf, groups_f), (cl, groups_l)):
            prev = object()
            for r in rows:
                k = tuple(r[i] for i in keys)
                if k != prev:
                    groups.append([])
                    prev = k
                groups[-1].append(r)
        for gi, (a, b) in enumerate(zip(groups_f, groups_l)):
            if gi == 0 and spec['partial_first']:
                continue
            if gi == len(groups_f) - 1 and spec['partial_last']:
                continue
            if collections.Counter(a) != collections.Counter(b):
                return ('rows', f'rows with ORDER BY key {a[0] if a else b[0]} differ')
        return None
    if collections.Counter(cf) != collections.Counter(cl):
        missing = collections.Counter(cl) - collections.Counter(cf)
        extra = collections.Counter(cf) - collections.Counter(cl)
        return ('rows', f'{len(cf)} rows vs {len(cl)}; missing from foreign {sum(missing.values())}, extra {sum(extra.values())}')
    return None


# ----------------------------------------------------------------------------------
# Running one query on both sides.

def explain_lines(conn, sql):
    r = run(conn, f'EXPLAIN (VERBOSE, COSTS OFF) {sql}')
    if not r.ok:
        return [f'(EXPLAIN failed: {r.message})'], []
    plan = [row[0] for row in r.rows]
    return plan, [l.split('SQLite query:', 1)[1].strip() for l in plan if 'SQLite query:' in l]


ROW_ERRORS = {'42P22', '0A000'}


class Outcome:
    def __init__(self, diff=None, rf=None, rl=None, plan=None, sqlite=None, exec_index=None, executions=1):
        self.diff, self.rf, self.rl, self.plan, self.sqlite = diff, rf, rl, plan or [], sqlite or []
        self.exec_index, self.executions = exec_index, executions
        self.accepted = None
        # Both sides raise a row-dependent error, but which one comes first depends on the
        # order the plans evaluate the clauses in.
        if self.diff and self.diff[0] == 'different-errors' and {rf.sqlstate, rl.sqlstate} <= ROW_ERRORS:
            self.accepted, self.diff = self.diff, None

    def accept_unpushed_collation_error(self, q, ft):
        """Postgres raises 42P22 (no collation for a comparison of two differently collated
        columns) per evaluated row: a difference only if that comparison went to SQLite,
        i.e. a join equality sent as `"col" = ?n`."""
        if not self.diff or self.diff[0] not in ('local-error-only', 'foreign-error-only'):
            return
        failed = self.rl if self.diff[0] == 'local-error-only' else self.rf
        if failed.sqlstate != '42P22':
            return
        if q.join:
            col = next((c for c in ft.cols if c.name == q.join['col']), None)
            # only a text join equality between two different explicit-or-implicit
            # non-default collations can be the comparison without a collation
            lk_type = LK_TABLES.get(q.join['lk'], ('',))[0]
            lk_coll = lk_type.split('COLLATE', 1)[1].strip() if 'COLLATE' in lk_type else None
            conflict = col is not None and col.coll_sql() is not None and lk_coll is not None and col.coll_sql().strip('"') != lk_coll.strip('"')
            if col is not None and col.cat == 'text' and conflict:
                # the query's own constant equalities on that column (`= 'A'`, `IN ('A')`)
                # are bound as ?n too: a bug only if there are more than those
                # (per SQLite statement: a scalar subquery used twice is scanned twice)
                sent = max((len(re.findall(re.escape(qi(col.sqlite_name)) + r' (= \?\d+|IN \()', x)) for x in self.sqlite), default=0)
                if sent > constant_equalities(q, col.name):
                    return
        # foreign-error-only: Postgres's own join node (a hash of the other side under no
        # collation, a comparison in a nested loop) raised it, in a plan the local copy's
        # statistics did not choose; liteport sent nothing of that comparison.
        self.accepted, self.diff = self.diff, None


    def accept_unpushed_like_error(self, q):
        """Postgres raises "nondeterministic collations are not supported for LIKE" per
        evaluated row, so a filter that runs locally on the foreign side may never be
        evaluated when a pushed filter removed every row it would see (as with a conversion
        error on such a row). A bug only if that LIKE itself went to SQLite as a GLOB: the
        GLOB of its pattern (a parameter pattern: any GLOB of a parameter) in the SQLite
        query. Other GLOBs come from LIKEs under deterministic collations."""
        if (self.diff and self.diff[0] == 'foreign-error-only'
                and 'nondeterministic collations are not supported' in (self.rf.message or '')):
            # raised by Postgres's own filter over the foreign scan, on a row the local
            # plan never evaluated the LIKE for (a constant-folded or short-circuited WHERE)
            self.accepted, self.diff = self.diff, None
            return
        if not self.diff or self.diff[0] != 'local-error-only' or 'nondeterministic collations are not supported' not in (self.rl.message or ''):
            return
        literal, param = like_patterns(q, nondeterministic=True)
        deterministic, _ = like_patterns(q, nondeterministic=False)
        for sent in self.sqlite:
            # a GLOB of that pattern beyond those the deterministic LIKEs account for
            for p in set(literal):
                g = like_to_glob(p)
                if g is not None and sent.count(f"GLOB '{g}'") > sum(1 for d in deterministic if like_to_glob(d) == g):
                    return
            if param and re.search(r'GLOB \?\d', sent):
                return
        self.accepted, self.diff = self.diff, None


def like_to_glob(pattern):
    """liteport's translation (src/fdw/deparse.rs like_to_glob), to recognise its GLOB."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        i += 1
        if c == '%':
            out.append('*')
            continue
        if c == '_':
            out.append('?')
            continue
        if c == '\\':
            if i >= len(pattern):
                return None
            c = pattern[i]
            i += 1
        out.append('[' + c + ']' if c in '*?[' else c)
    return ''.join(out).replace("'", "''")


def constant_equalities(q, colname):
    """How many `col = constant` / `col IN (...)` clauses q's WHERE has on this column."""
    n = 0

    def walk(node):
        nonlocal n
        if isinstance(node, (list, tuple)):
            if len(node) >= 4 and node[0] == 'cmp' and node[1] == colname and node[2] == '=':
                n += 1
                return
            if len(node) >= 4 and node[0] == 'in' and node[1] == colname and not node[3]:
                n += 1
                return
            if len(node) >= 3 and node[0] == 'any' and node[1] == colname:
                n += 1
                return
            for x in node:
                walk(x)

    walk(q.where)
    return n


def like_patterns(q, nondeterministic):
    """The LIKE patterns of q's WHERE whose collation is (non)deterministic: (literal
    patterns as text, whether any is a parameter)."""
    literal, param = [], False
    cols = {c.name: c for c in q.ft.cols}

    def walk(node):
        nonlocal param
        if isinstance(node, (list, tuple)):
            if len(node) == 5 and node[0] == 'like' and node[1] in cols and 'ILIKE' not in node[2]:
                if key_nondeterministic(cols[node[1]], node[4]) == nondeterministic:
                    pat = node[3]
                    if pat.startswith('$'):
                        param = True
                    elif pat.startswith("'") and pat.endswith("'"):
                        literal.append(pat[1:-1].replace("''", "'"))
                return
            for x in node:
                walk(x)

    walk(q.where)
    return literal, param


def execute_pair(conn, q, frel, lrel, lk):
    o = _execute_pair(conn, q, frel, lrel, lk)
    o.accept_unpushed_collation_error(q, q.ft)
    o.accept_unpushed_like_error(q)
    return o


def _execute_pair(conn, q, frel, lrel, lk):
    sqlf, spec = render(q, frel, lk)
    sqll, _ = render(q, lrel, lk)
    must(conn, 'RESET ALL; ' + '; '.join(q.settings) if q.settings else 'RESET ALL')
    if not q.prepared:
        rf = run(conn, sqlf)
        rl = run(conn, sqll)
        plan, sq = explain_lines(conn, sqlf)
        return Outcome(compare(rf, rl, spec, q.kind), rf, rl, plan, sq)
    types = ', '.join(q.prepared['types'])
    pf = run(conn, f'PREPARE fz_f({types}) AS {sqlf}')
    pl = run(conn, f'PREPARE fz_l({types}) AS {sqll}')
    try:
        if not pf.ok or not pl.ok:
            return Outcome(compare(pf, pl, spec, q.kind), pf, pl, exec_index=-1)
        n = 0
        for i, vec in enumerate(q.prepared['execs']):
            args = ', '.join(vec)
            rf = run(conn, f'EXECUTE fz_f({args})')
            rl = run(conn, f'EXECUTE fz_l({args})')
            n += 1
            d = compare(rf, rl, spec, q.kind)
            if d:
                plan, sq = explain_lines(conn, f'EXECUTE fz_f({args})')
                return Outcome(d, rf, rl, plan, sq, exec_index=i, executions=n)
        plan, sq = explain_lines(conn, f'EXECUTE fz_f({args})')
        return Outcome(None, rf, rl, plan, sq, exec_index=None, executions=n)
    finally:
        run(conn, 'DEALLOCATE ALL')


def pushed_parts(sqlite_queries):
    parts = set()
    for s in sqlite_queries:
        if ' WHERE ' in s:
            parts.add('WHERE')
        if ' ORDER BY ' in s:
            parts.add('ORDER BY')
        if re.search(r' LIMIT \d+$', s):
            parts.add('LIMIT')
        if re.match(r'SELECT (count\(\*\)|min\(|max\()', s):
            parts.add('aggregate')
    return parts


# ----------------------------------------------------------------------------------
# Databases: one per flavour (libc C.UTF-8, libc C, ICU en-US default collation).

class Target:
    def __init__(self, conninfo, label):
        self.conninfo, self.label = conninfo, label


def flavour(conn):
    prov, collate, icu = conn.execute(
        "SELECT datlocprovider, datcollate, coalesce(daticulocale, '') FROM pg_database WHERE datname = current_database()").fetchone()
    return f'icu:{icu}' if prov == 'i' else f'libc:{collate}'


def create_database_sql(label, name):
    if label.startswith('icu:'):
        return f"CREATE DATABASE {qi(name)} LOCALE_PROVIDER icu ICU_LOCALE {ql(label[4:])} LOCALE 'C.UTF-8' TEMPLATE template0"
    return f"CREATE DATABASE {qi(name)} LOCALE {ql(label[5:])} TEMPLATE template0"


FLAVOURS = [('fuzz_cutf8', 'libc:C.UTF-8'), ('fuzz_c', 'libc:C'), ('fuzz_icu', 'icu:en-US')]


class Env:
    """One database set up for one seed: server fz over the seed's SQLite file, foreign
    tables in schemas lpf_d / lpf_i / lpf_t (IMPORT types declared / inferred / text) and
    lpf_h (hand-written), their local copies in lpf_local, small join tables in lpf_keys.
    These schemas and the servers fz, fzr* are dropped and re-created."""

    def __init__(self, target, seed, workdir, rels, templates, log):
        self.target, self.seed, self.workdir, self.log = target, seed, workdir, log
        self.conn = connect(target.conninfo)
        self.flavour = flavour(self.conn)
        self.counter = 0
        self.anomalies = []
        self.no_local = []
        self.db_path = os.path.join(workdir, f'seed{seed}.db')
        c = self.conn
        must(c, 'CREATE EXTENSION IF NOT EXISTS liteport')
        old = [r[0] for r in c.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('lpf_d','lpf_i','lpf_t','lpf_h','lpf_local','lpf_keys') OR nspname LIKE 'fzr%'").fetchall()]
        for s in old:
            must(c, f'DROP SCHEMA {qi(s)} CASCADE')
        for s in [r[0] for r in c.execute("SELECT srvname FROM pg_foreign_server WHERE srvname = 'fz' OR srvname LIKE 'fzr%'").fetchall()]:
            must(c, f'DROP SERVER {qi(s)} CASCADE')
        must(c, f'CREATE SERVER fz FOREIGN DATA WRAPPER liteport OPTIONS (database {ql(self.db_path)})')
        for s in ('lpf_d', 'lpf_i', 'lpf_t', 'lpf_h', 'lpf_local', 'lpf_keys'):
            must(c, f'CREATE SCHEMA {s}')
        for schema, types in (('lpf_d', 'declared'), ('lpf_i', 'inferred'), ('lpf_t', 'text')):
            must(c, f'IMPORT FOREIGN SCHEMA main FROM SERVER fz INTO {schema} OPTIONS (types {ql(types)})')
        self.fts = []
        for tmpl in templates:
            ft = tmpl.copy_with(tmpl.srel)
            ft.schema = tmpl.schema
            if ft.how == 'hand':
                must(c, ft.ddl('fz', 'lpf_h')[0])
            self.fts.append(ft)
            self._local_copy(ft)
        for name, (typ, vals) in LK_TABLES.items():
            must(c, f'CREATE TABLE lpf_keys.{qi(name)} (k {typ})')
            must(c, f'INSERT INTO lpf_keys.{qi(name)} VALUES ' + ', '.join(f'({v})' for v in vals))
            must(c, f'ANALYZE lpf_keys.{qi(name)}')

    def rel(self, ft):
        return f'{qi(ft.schema)}.{qi(ft.name)}'

    def lrel(self, ft):
        return f'lpf_local.{qi(ft.schema + "__" + ft.name)}'

    def _local_copy(self, ft):
        c = self.conn
        frel, lrel = self.rel(ft), self.lrel(ft)
        for _ in range(10):
            ft.cols = read_catalog(c, frel)
            must(c, f'DROP TABLE IF EXISTS {lrel}')
            must(c, f'CREATE TABLE {lrel} (LIKE {frel})')
            r = run(c, f'INSERT INTO {lrel} SELECT * FROM {frel}')
            if r.ok:
                ft.local_ok = True
                if ft.analyze:
                    must(c, f'ANALYZE {frel}')
                must(c, f'ANALYZE {lrel}')
                return
            m = re.search(r'column "(.*?)", (?:rowid|row) ', r.message)
            col = None
            if m:
                col = next((x for x in ft.cols if x.sqlite_name == m.group(1)), None)
            if col is None or col.typname == 'bytea':
                break
            if ft.how in ('import:inferred', 'import:text'):
                decl = ft.srel.col_decl(col.sqlite_name)[0] or 'no type'
                self.anomalies.append(f'IMPORT FOREIGN SCHEMA ... OPTIONS (types {ft.how[7:]!r}) maps a SQLite {decl} column to {col.fmt}, '
                                      f'which cannot read a stored value: {re.sub(r"^.*?: cannot", "cannot", r.message)}')
            newtype = 'bytea' if col.cat == 'text' else 'text'
            must(c, f'ALTER FOREIGN TABLE {frel} ALTER COLUMN {qi(col.name)} TYPE {newtype}')
            ft.alters.append((col.name, newtype))
        self.no_local.append(f'{frel}: {r.message}')
        self.log(f'  [{self.flavour}] {frel}: no local copy ({r.message}); table skipped')
        ft.local_ok = False

    def lk_rel(self, q):
        return f'lpf_keys.{qi(q.join["lk"])}' if q.join else None

    def run_query(self, q, ft):
        return execute_pair(self.conn, q, self.rel(ft), self.lrel(ft), self.lk_rel(q))

    # --- isolated re-runs, for shrinking ---------------------------------------
    def attempt(self, case):
        """Re-creates `case` from scratch (new SQLite file, server, schema) and runs it."""
        self.counter += 1
        n = self.counter
        name = f'fzr{n}'
        path = os.path.join(self.workdir, f'seed{self.seed}_{self.flavour.replace(":", "_")}_r{n}.db')
        c = self.conn
        try:
            build_sqlite(path, case.ft.srel.script())
        except sqlite3.Error:
            return None
        frel, lrel, lk = f'{name}.{qi(case.ft.name)}', f'{name}."local"', f'{name}."lk"'
        stmts = [f'CREATE SERVER {name} FOREIGN DATA WRAPPER liteport OPTIONS (database {ql(path)})', f'CREATE SCHEMA {name}']
        stmts += case.ft.ddl(name, name)
        stmts += [f'CREATE TABLE {lrel} (LIKE {frel})', f'INSERT INTO {lrel} SELECT * FROM {frel}', f'ANALYZE {lrel}']
        if case.ft.analyze:
            stmts.append(f'ANALYZE {frel}')
        if case.query.join:
            stmts += [f'CREATE TABLE {lk} (k {LK_TABLES[case.query.join["lk"]][0]})']
            if case.lk_rows:
                stmts.append(f'INSERT INTO {lk} VALUES ' + ', '.join(f'({v})' for v in case.lk_rows))
            stmts.append(f'ANALYZE {lk}')
        try:
            r = run(c, 'RESET ALL; ' + '; '.join(stmts))
            if not r.ok:
                return None
            # The case's column list must still be the catalog's (an import may differ).
            cols = read_catalog(c, frel)
            if [(x.name, x.fmt, x.collname) for x in cols] != [(x.name, x.fmt, x.collname) for x in case.ft.cols]:
                return None
            return execute_pair(c, case.query, frel, lrel, lk if case.query.join else None)
        finally:
            run(c, f'RESET ALL; DROP SCHEMA IF EXISTS {name} CASCADE; DROP SERVER IF EXISTS {name} CASCADE')
            run(c, 'SELECT liteport.disconnect()')
            if os.path.exists(path):
                os.remove(path)


# ----------------------------------------------------------------------------------
# Differences: shrinking, classification, reproduction scripts.

class Case:
    def __init__(self, env, ft, query, lk_rows, outcome):
        self.env, self.ft, self.query, self.lk_rows, self.outcome = env, ft, query, lk_rows, outcome

    def with_(self, ft=None, query=None, lk_rows=None):
        return Case(self.env, ft or self.ft, query or self.query, self.lk_rows if lk_rows is None else lk_rows, self.outcome)


def diff_key(outcome):
    kind = outcome.diff[0]
    if kind.endswith('error-only') or kind == 'different-errors':
        r = outcome.rf if kind.startswith('foreign') else outcome.rl
        if kind == 'different-errors':
            return (kind, outcome.rf.sqlstate, outcome.rl.sqlstate)
        return (kind, r.sqlstate)
    return (kind,)


def tree_variants(t):
    """Trees one step simpler than t."""
    k = t[0]
    if k in ('and', 'or'):
        kids = t[1]
        for c in kids:
            yield c
        if len(kids) > 2:
            for i in range(len(kids)):
                yield (k, kids[:i] + kids[i + 1:])
        for i, c in enumerate(kids):
            for v in tree_variants(c):
                yield (k, kids[:i] + [v] + kids[i + 1:])
    elif k == 'not':
        yield t[1]
        for v in tree_variants(t[1]):
            yield ('not', v)
    elif k == 'in' and len(t[2]) > 1:
        for i in range(len(t[2])):
            yield ('in', t[1], t[2][:i] + t[2][i + 1:], t[3])
    elif k == 'cmp' and t[4]:
        yield ('cmp', t[1], t[2].translate(str.maketrans('<>', '><')) if t[2] not in ('=', '<>') else t[2], t[3], False, t[5])
    if k == 'cmp' and t[5]:
        yield t[:5] + (None,)
    if k == 'like' and t[4]:
        yield t[:4] + (None,)


def deprepare(q, vec):
    """The prepared query with its parameters replaced by typed constants."""
    types = q.prepared['types']

    def sub(t):
        if t is None:
            return None
        if t[0] in ('and', 'or'):
            return (t[0], [sub(c) for c in t[1]])
        if t[0] == 'not':
            return ('not', sub(t[1]))
        if t[0] == 'cmp' and '$' in t[3]:
            value = re.sub(r'\$(\d+)', lambda m: f'CAST({vec[int(m.group(1)) - 1]} AS {types[int(m.group(1)) - 1]})', t[3])
            return ('cmp', t[1], t[2], value, t[4], t[5])
        return t
    q2 = q.copy()
    q2.where = sub(q.where)
    if q2.limit and q2.limit.get('param'):
        v = vec[q2.limit['param'] - 1]
        del q2.limit['param']
        if v == 'NULL':
            q2.limit = None
        else:
            q2.limit['n'] = int(v)
    q2.prepared = None
    q2.settings = [s for s in q2.settings if 'plan_cache_mode' not in s]
    return q2


def ddmin(items, test):
    if test([]):
        return []
    n = 2
    while len(items) >= 2:
        size = -(-len(items) // n)
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        done = False
        for ch in chunks:
            if test(ch):
                items, n, done = ch, 2, True
                break
        if not done:
            for i in range(len(chunks)):
                rest = [x for j, ch in enumerate(chunks) if j != i for x in ch]
                if test(rest):
                    items, n, done = rest, max(n - 1, 2), True
                    break
        if not done:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


def shrink(case, budget):
    """Smallest case that still shows the same kind of difference (attempts <= budget)."""
    env = case.env
    want = family(case.outcome)
    left = [budget]
    best = [case]
    causes = features(case)[0]

    def test(c):
        if left[0] <= 0:
            return False
        # No slipping to another bug: a simpler case may lose causes, never gain one.
        if c is not case and not features(c)[0] <= causes:
            return False
        left[0] -= 1
        o = env.attempt(c)
        if o is not None and o.diff is not None and family(o) == want:
            c.outcome = o
            best[0] = c
            return True
        return False

    if not test(case):
        return None
    c = case
    # Parameters: the failing execution only (or repeated, for generic plans); then constants.
    if c.query.prepared:
        fail = c.query.prepared['execs'][c.outcome.exec_index] if c.outcome.exec_index is not None and c.outcome.exec_index >= 0 else None
        if fail is not None:
            for execs in ([fail], [fail] * 7):
                q = c.query.copy()
                q.prepared['execs'] = [list(v) for v in execs]
                if test(c.with_(query=q)):
                    c = best[0]
                    break
            vec = c.query.prepared['execs'][max(c.outcome.exec_index or 0, 0)]
            cand = c.with_(query=deprepare(c.query, vec))
            if test(cand):
                c = best[0]
    if c.query.kind == 'join':
        q = c.query.copy()
        q.kind, q.join = 'select', None
        q.order = [o for o in q.order]
        q.settings = [s for s in q.settings if 'enable_' not in s]
        if test(c.with_(query=q)):
            c = best[0]

    def shrink_rows(c):
        t = c.ft.srel.table()

        def rows_test(rows):
            srel = c.ft.srel.copy()
            srel.table().rows = [list(r) for r in rows]
            return test(c.with_(ft=c.ft.copy_with(srel)))
        rows = ddmin([list(r) for r in t.rows], rows_test)
        if rows_test(rows):
            return best[0]
        return c
    # The WHERE tree.
    changed = True
    while changed and c.query.where is not None:
        changed = False
        q = c.query.copy()
        q.where = None
        if test(c.with_(query=q)):
            c, changed = best[0], True
            break
        for v in tree_variants(c.query.where):
            q = c.query.copy()
            q.where = v
            if test(c.with_(query=q)):
                c, changed = best[0], True
                break
    # ORDER BY keys, LIMIT, OFFSET, settings, output columns.
    def query_variants(q):
        for i in range(len(q.order)):
            if q.join and i == 0 and any('enable_nestloop' in s for s in q.settings):
                continue
            v = q.copy()
            del v.order[i]
            if not v.order and v.limit and v.limit['ties']:
                continue
            yield v
        for o in q.order:
            if o['coll']:
                v = q.copy()
                v.order = [dict(x, coll=None) if x == o else x for x in v.order]
                yield v
        if q.limit:
            v = q.copy()
            v.limit = None
            yield v
            if q.limit['n'] > 1 and not q.limit.get('param'):
                for n in (1, q.limit['n'] - 1):
                    v = q.copy()
                    v.limit['n'] = n
                    yield v
            if q.limit['offset']:
                v = q.copy()
                v.limit['offset'] = 0
                yield v
        for i in range(len(q.settings)):
            v = q.copy()
            del v.settings[i]
            yield v
        for o in q.order:
            if o['nulls'] or o['desc']:
                v = q.copy()
                v.order = [dict(x, nulls=None, desc=False) if x is o or x == o else x for x in v.order]
                yield v
        if q.kind in ('select', 'join', 'lateral') and len(q.cols) > 1:
            for col in q.cols:
                v = q.copy()
                v.cols = [col]
                yield v
    changed = True
    while changed:
        changed = False
        for v in query_variants(c.query):
            if test(c.with_(query=v)):
                c, changed = best[0], True
                break
    c = shrink_rows(c)
    # Columns the query does not use, indexes, join table rows.
    changed = True
    while changed:
        changed = False
        used = {x.sqlite_name for x in c.ft.cols if x.name in c.query.referenced()}
        for scol in list(c.ft.srel.cols):
            if scol.name in used:
                continue
            f = c.ft.without_column(scol.name)
            if f is not None and test(c.with_(ft=f)):
                c, changed = best[0], True
                break
    t = c.ft.srel.table()
    for i in range(len(t.indexes) - 1, -1, -1):
        srel = c.ft.srel.copy()
        del srel.table().indexes[i]
        if test(c.with_(ft=c.ft.copy_with(srel))):
            c = best[0]
    if c.query.join and c.lk_rows:
        rows = ddmin(list(c.lk_rows), lambda rs: test(c.with_(lk_rows=list(rs) if rs else [])))
        cand = c.with_(lk_rows=rows if rows else [])
        if test(cand):
            c = best[0]
    c = shrink_rows(c)
    changed = True
    while changed:
        changed = False
        for v in query_variants(c.query):
            if test(c.with_(query=v)):
                c, changed = best[0], True
                break
    # Values: NULL where a value does not matter.
    t = c.ft.srel.table()
    for ri in range(len(t.rows)):
        for ci in range(len(t.rows[ri])):
            cur = c.ft.srel.table()
            if ri >= len(cur.rows) or cur.rows[ri][ci] == 'NULL' or cur.cols[ci].name == cur.pk:
                continue
            srel = c.ft.srel.copy()
            srel.table().rows[ri][ci] = 'NULL'
            if test(c.with_(ft=c.ft.copy_with(srel))):
                c = best[0]
    # Make sure the outcome printed is this case's own.
    test(c)
    return best[0]


def features(case, with_data=True):
    """(root-cause tags, query-shape tags) of a (shrunk) difference."""
    q, ft, o = case.query, case.ft, case.outcome
    root, shape = set(), set()
    cols = {c.name: c for c in ft.cols}
    vec = []
    if q.prepared and o.exec_index is not None and o.exec_index >= 0:
        vec = q.prepared['execs'][min(o.exec_index, len(q.prepared['execs']) - 1)]

    def leaves(t):
        if t is None:
            return []
        if t[0] in ('and', 'or'):
            return [x for c in t[1] for x in leaves(c)]
        if t[0] == 'not':
            return leaves(t[1])
        return [t]
    for lf in leaves(q.where):
        col = cols.get(lf[1])
        if col is None:
            continue
        if lf[0] == 'like' and lf[2] in ('LIKE', 'NOT LIKE') and key_nondeterministic(col, lf[4]):
            root.add('LIKE-nondeterministic-collation')
        if col.cat in ('float', 'int', 'numeric'):
            consts = tree_consts(lf)
            consts += [vec[int(v[1:]) - 1] for v in consts if re.fullmatch(r'\$\d+', v) and int(v[1:]) <= len(vec)]
            for lit in consts:
                if re.search(r'nan', lit, re.I):
                    root.add('NaN-value')
                if re.search(r'inf', lit, re.I):
                    root.add('Infinity-value')
        if case.env.flavour.startswith('icu') and col.cat == 'text':
            if (lf[0] == 'cmp' and lf[2] not in ('=', '<>') and lf[5] in (None, '"default"')) or lf[0] == 'between':
                root.add('ICU-default-collation-ordering')
    if q.join and cols.get(q.join['col']) is not None and cols[q.join['col']].cat in ('float', 'int', 'numeric'):
        for v in case.lk_rows:
            if re.search(r'nan', v, re.I):
                root.add('NaN-value')
            if re.search(r'inf', v, re.I):
                root.add('Infinity-value')
    if q.limit and q.limit['ties']:
        root.add('FETCH-WITH-TIES')
    text_order = [k for k in q.order if k['col'] in cols and cols[k['col']].cat == 'text' and k['coll'] in (None, '"default"')]
    if q.kind in ('group', 'distinct', 'minmax') and q.agg and cols[q.agg.get('group') or q.agg['col']].cat == 'text' and q.agg.get('coll') in (None, '"default"'):
        text_order.append(True)
    if text_order and case.env.flavour.startswith('icu'):
        root.add('ICU-default-collation-ordering')
    for r in (o.rf, o.rl):
        if r is not None and not r.ok and 'mergejoin input data is out of order' in (r.message or ''):
            root.add('mergejoin-out-of-order')
        if r is not None and not r.ok and r.sqlstate == '42P22':
            root.add('comparison-without-collation(42P22)-pushed')
    if with_data:
        try:
            stored = ft.srel.storage_classes()
        except sqlite3.Error:
            stored = {}
        for name in q.cause_cols():
            c = cols.get(name)
            if c is None:
                continue
            decl, strict = ft.srel.col_decl(c.sqlite_name)
            aff = affinity(decl, strict)
            classes = stored.get(c.sqlite_name, set()) - {'null'}
            if strict and decl.upper().startswith('ANY'):
                if len(classes) > 1 or classes - {'integer'}:
                    root.add(f'STRICT-ANY-column-holding-{"+".join(sorted(classes))}')
                continue
            odd = classes - NATURAL_CLASSES[aff]
            if odd:
                root.add(f'{"+".join(sorted(odd))}-stored-in-{aff}-column')
    # The shape of the query.
    shape.add(ft.how.replace('import:', 'imported:'))
    if q.kind in ('lateral', 'subq'):
        shape.add(f'{q.kind}:{q.join["jtype"]}')
    elif q.join:
        shape.add(f'join:{q.join["jtype"]}')
    if q.extra:
        shape.add(f'select-list:{q.extra}')
    if q.join:
        m = 'merge' if any('enable_nestloop = off' in s for s in q.settings) else 'nestloop' if any('enable_mergejoin = off' in s for s in q.settings) else 'any'
        shape.add(f'join-method:{m}')
    if q.prepared:
        mode = next((s.split('=')[1].strip() for s in q.settings if 'plan_cache_mode' in s), 'auto')
        shape.add(f'prepared:{mode}')
    if q.kind in ('agg', 'minmax', 'group', 'distinct'):
        shape.add(q.kind)
    parts = pushed_parts(o.sqlite)
    shape.add('pushed:' + ('+'.join(sorted(parts)) if parts else 'nothing'))
    return root, shape


def family(outcome):
    kind = outcome.diff[0]
    if kind in ('rows', 'order', 'row-count'):
        return ('wrong result',)
    return diff_key(outcome)


def class_name(case, with_data=True):
    root, _ = features(case, with_data)
    fam = family(case.outcome)
    head = 'wrong result' if fam == ('wrong result',) else ' '.join(fam)
    return f'{head}: ' + (' + '.join(sorted(root)) or 'no known cause')


def pre_signature(case):
    """Differences with the same signature are assumed to share a cause: only the first is
    shrunk. Coarse on purpose (shrinking is what costs time)."""
    q = case.query
    root, shape = features(case, True)
    method = sorted(x for x in shape if x.startswith('join-method') or x.startswith('prepared'))
    return (family(case.outcome), case.env.flavour.startswith('icu'), q.kind, tuple(sorted(root)), tuple(method))


def fine_signature(case):
    q, ft = case.query, case.ft
    cols = {c.name: c for c in ft.cols}
    used = sorted((cols[n].fmt, cols[n].collname or '', affinity(*ft.srel.col_decl(cols[n].sqlite_name))) for n in q.referenced() if n in cols)
    root, shape = features(case, False)
    return (diff_key(case.outcome), case.env.flavour, q.kind, ft.how, tuple(sorted(root | shape)), tuple(used))


def repro_script(case, title):
    env, ft, q, o = case.env, case.ft, case.query, case.outcome
    path = '/tmp/liteport_repro.db'
    lines = [f'-- ==== {title}', f'-- found in a database of flavour {env.flavour}; to reproduce in a fresh one:',
             f'--   {create_database_sql(env.flavour, "liteport_repro")};', '-- 1. the SQLite file (shell):',
             f'rm -f {path}; sqlite3 {path} <<\'EOF\'']
    lines += ft.srel.script()
    lines += ['EOF', f'chmod 644 {path}', '-- 2. in psql, in that database:',
              'CREATE EXTENSION IF NOT EXISTS liteport;', 'DROP SCHEMA IF EXISTS repro CASCADE;',
              'DROP SERVER IF EXISTS repro CASCADE;',
              f"CREATE SERVER repro FOREIGN DATA WRAPPER liteport OPTIONS (database '{path}');", 'CREATE SCHEMA repro;']
    lines += [s + ';' for s in ft.ddl('repro', 'repro')]
    frel, lrel, lk = f'repro.{qi(ft.name)}', 'repro.local', 'repro.lk'
    lines += [f'CREATE TABLE {lrel} (LIKE {frel});', f'INSERT INTO {lrel} SELECT * FROM {frel};']
    if ft.analyze:
        lines.append(f'ANALYZE {frel};')
    if q.join:
        lines.append(f'CREATE TABLE {lk} (k {LK_TABLES[q.join["lk"]][0]});')
        if case.lk_rows:
            lines.append(f'INSERT INTO {lk} VALUES ' + ', '.join(f'({v})' for v in case.lk_rows) + ';')
        lines.append(f'ANALYZE {lk};')
    lines += [s + ';' for s in q.settings]
    sqlf, _ = render(q, frel, lk)
    sqll, _ = render(q, lrel, lk)
    if q.prepared:
        types = ', '.join(q.prepared['types'])
        lines += [f'PREPARE fz_f({types}) AS {sqlf};', f'PREPARE fz_l({types}) AS {sqll};']
        for i, vec in enumerate(q.prepared['execs']):
            args = ', '.join(vec)
            lines.append(f'EXECUTE fz_f({args});  EXECUTE fz_l({args});' + ('   -- <- this execution differs' if i == o.exec_index else ''))
            if i == o.exec_index:
                break
        foreign_stmt = f'EXECUTE fz_f({", ".join(q.prepared["execs"][o.exec_index])})' if o.exec_index is not None and o.exec_index >= 0 else sqlf
    else:
        foreign_stmt = sqlf
        lines += [f'{sqlf};   -- foreign table', f'{sqll};   -- local copy']
    lines.append(f'EXPLAIN (VERBOSE, COSTS OFF) {foreign_stmt};')
    lines.append(f'-- difference: {o.diff[0]}: {o.diff[1]}')
    lines.append('-- foreign table result:')
    lines += ['--   ' + l for l in (o.rf.show() if o.rf else '').splitlines()]
    lines.append('-- local copy result:')
    lines += ['--   ' + l for l in (o.rl.show() if o.rl else '').splitlines()]
    lines.append('-- SQLite query: ' + (' || '.join(o.sqlite) if o.sqlite else '(none shown)'))
    return '\n'.join(lines)


# ----------------------------------------------------------------------------------
# Throwaway clusters (--pg-bin).

def as_postgres(cmd):
    if os.geteuid() != 0:
        return cmd
    if shutil.which('runuser'):
        return ['runuser', '-u', 'postgres', '--'] + cmd
    return ['sudo', '-u', 'postgres'] + cmd


class Cluster:
    def __init__(self, bindir, root, port, icu):
        self.bindir, self.root, self.port, self.icu = bindir, root, port, icu
        self.data = os.path.join(root, 'data')
        self.sock = root
        os.makedirs(root, exist_ok=True)
        os.chmod(root, 0o755)
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam('postgres')
            os.chown(root, pw.pw_uid, pw.pw_gid)
        args = [os.path.join(bindir, 'initdb'), '-D', self.data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']
        if icu:
            args += ['--locale-provider=icu', '--icu-locale=en-US']
        subprocess.run(as_postgres(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for p in [port] + [x for x in range(5601, 5610) if x != port]:
            opts = (f"-c listen_addresses='' -c unix_socket_directories='{self.sock}' -p {p} -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB -c max_connections=20")
            r = subprocess.run(as_postgres([os.path.join(bindir, 'pg_ctl'), '-D', self.data, '-w', '-t', '60', '-l',
                                            os.path.join(root, 'log'), '-o', opts, 'start']), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                self.port = p
                return
        raise RuntimeError(f'could not start a cluster in {root} on any port 5601-5609; see {root}/log')

    def conninfo(self, dbname):
        return {'host': self.sock, 'port': self.port, 'user': 'postgres', 'dbname': dbname}

    def stop(self):
        subprocess.run(as_postgres([os.path.join(self.bindir, 'pg_ctl'), '-D', self.data, '-m', 'fast', 'stop']),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure_databases(conninfo, wanted):
    """Creates the flavour databases (name, label) in the cluster of `conninfo`."""
    c = connect(dict(conninfo, dbname='postgres'))
    try:
        for name, label in wanted:
            must(c, f'DROP DATABASE IF EXISTS {qi(name)}')
            must(c, create_database_sql(label, name))
    finally:
        c.close()


# ----------------------------------------------------------------------------------
# The run.

class Findings:
    """Differences, grouped by class (root cause of the shrunk case). Only the first
    difference of each pre-signature (kind, database, query shape, column types) is
    shrunk; later ones count under its class."""

    def __init__(self, max_shrinks, budget, out, print_each):
        self.max_shrinks, self.budget, self.out, self.print_each = max_shrinks, budget, out, print_each
        self.by_pre = {}
        self.classes = collections.OrderedDict()
        self.total = 0
        self.shrinks = 0
        self.envs = []

    def add(self, case):
        self.total += 1
        ps = pre_signature(case)
        _, shape = features(case, False)
        if ps in self.by_pre:
            e = self.classes[self.by_pre[ps]]
            e['count'] += 1
            e['kinds'][case.outcome.diff[0]] += 1
            e['shapes'].update(shape)
            return
        if self.shrinks < self.max_shrinks:
            self.shrinks += 1
            t0 = time.time()
            shrunk = shrink(case, self.budget)
            took = time.time() - t0
            if shrunk is None:
                cls = 'not reproduced in isolation: ' + class_name(case)
                script = repro_script(case, cls + ' (unshrunk; rerun with the same seed)')
                size = 10 ** 6
            else:
                cls = class_name(shrunk)
                if 'ICU-default-collation-ordering' in cls and self.envs:
                    # Does it need the ICU default collation? Re-run in a libc database.
                    other = next((e for e in self.envs if not e.flavour.startswith('icu')), None)
                    if other is not None:
                        o = other.attempt(Case(other, shrunk.ft, shrunk.query, shrunk.lk_rows, shrunk.outcome))
                        if o is not None and o.diff is not None and family(o) == family(shrunk.outcome):
                            cls = cls.replace('ICU-default-collation-ordering + ', '').replace(' + ICU-default-collation-ordering', '')
                script = repro_script(shrunk, cls)
                size = len(shrunk.ft.srel.table().rows) * 1000 + len(render(shrunk.query, 'x', 'y')[0])
            if self.print_each:
                self.out(f'# shrunk in {took:.1f}s -> {cls}')
        else:
            cls = 'unshrunk: ' + class_name(case)
            script = repro_script(case, cls)
            size = 10 ** 7
        self.by_pre[ps] = cls
        entry = self.classes.get(cls)
        if entry is None:
            entry = self.classes[cls] = {'count': 0, 'script': script, 'size': size, 'kinds': collections.Counter(), 'shapes': collections.Counter()}
            if self.print_each:
                self.out('\n' + script + '\n')
        elif size < entry['size']:
            entry['script'], entry['size'] = script, size
        entry['count'] += 1
        entry['kinds'][case.outcome.diff[0]] += 1
        entry['shapes'].update(shape)


def templates_for(seed, rels):
    rng = random.Random(f'{seed}:hand')
    out = []
    for rel in rels:
        for schema, how in (('lpf_d', 'import:declared'), ('lpf_i', 'import:inferred'), ('lpf_t', 'import:text')):
            ft = FTable(rel, how, rel.name)
            ft.schema = schema
            ft.analyze = rng.random() < 0.4 and ANALYZE_FOREIGN
            out.append(ft)
        for k in range(rng.choice([1, 2, 2])):
            ft = gen_hand_table(rng, rel, f'h{k}_{rel.name}')
            ft.schema = 'lpf_h'
            ft.analyze = rng.random() < 0.4 and ANALYZE_FOREIGN
            out.append(ft)
    return out


TRACE = bool(os.environ.get('LPFUZZ_TRACE'))
# ANALYZE of a foreign table samples with SQLite's random(): its statistics (most common
# values of equal frequency) and so the plans can vary between runs. Off by default.
ANALYZE_FOREIGN = False


def run_seed(seed, nqueries, targets, workdir, findings, stats, log):
    rels = gen_schema(random.Random(f'{seed}:schema'))
    build_sqlite(os.path.join(workdir, f'seed{seed}.db'), full_script(rels))
    templates = templates_for(seed, rels)
    t0 = time.time()
    envs = [Env(t, seed, workdir, rels, templates, log) for t in targets]
    log(f'# seed {seed}: {len([r for r in rels if r.kind != "view"])} tables, {len([r for r in rels if r.kind == "view"])} views, '
        f'{len(templates)} foreign tables per database, set up in {time.time() - t0:.1f}s')
    findings.envs = envs
    for env in envs:
        stats['anomalies'] += env.anomalies
        stats['no_local_copy'] += env.no_local
        stats['tables'] += len(env.fts)
        stats['tables_skipped'] += len([f for f in env.fts if not f.local_ok])
    for i in range(nqueries):
        rng = random.Random(f'{seed}:q{i}')
        env = envs[rng.randrange(len(envs))]
        usable = [f for f in env.fts if f.local_ok]
        if not usable:
            continue
        ft = rng.choice(usable)
        q = gen_query(rng, ft, i)
        o = env.run_query(q, ft)
        if TRACE:
            log(f'-- q{i} [{env.flavour}] {render(q, env.rel(ft), env.lk_rel(q))[0]}  {q.settings} {q.prepared and q.prepared["execs"]}')
            log(f'--    sqlite: {o.sqlite}  foreign: {"ok %d rows" % len(o.rf.rows) if o.rf.ok else o.rf.message}  diff: {o.diff}')
        stats['queries'] += 1
        stats['executions'] += o.executions
        stats['by_flavour'][env.flavour] += 1
        parts = pushed_parts(o.sqlite)
        if parts:
            stats['pushed'] += 1
        for p in parts:
            stats['pushed_' + p] += 1
        if not o.rf.ok and not (o.rl and not o.rl.ok):
            pass
        if o.rf is not None and not o.rf.ok and o.rl is not None and not o.rl.ok:
            stats['both_error'] += 1
        if o.accepted:
            stats['accepted'] += 1
        if o.diff:
            stats['differences'] += 1
            log(f'# seed {seed} query {i} [{env.flavour}] {ft.schema}.{ft.name}: {o.diff[0]}: {o.diff[1]}')
            lk_rows = list(LK_TABLES[q.join['lk']][1]) if q.join else []
            findings.add(Case(env, ft, q, lk_rows, o))
    for env in envs:
        env.conn.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description='Differential fuzzer for liteport pushdown (foreign table vs local copy).')
    ap.add_argument('--seed', type=int, default=1, help='first seed (default 1)')
    ap.add_argument('--seeds', type=int, default=1, help='how many consecutive seeds (default 1)')
    ap.add_argument('--queries', type=int, default=300, help='queries per seed (default 300)')
    ap.add_argument('--host', help='socket directory of a running cluster with liteport installed')
    ap.add_argument('--port', type=int, help='its port (or, with --pg-bin, the first port tried; default 5605)')
    ap.add_argument('--user', default='postgres')
    ap.add_argument('--dbname', help='comma-separated databases to use (with --host); default: create fuzz_cutf8, fuzz_c, fuzz_icu there')
    ap.add_argument('--pg-bin', help='bin directory of a PostgreSQL 15 with liteport installed: run throwaway clusters')
    ap.add_argument('--separate-clusters', action='store_true', help='with --pg-bin: one initdb per flavour (C.UTF-8, C, ICU) instead of one cluster with three databases')
    ap.add_argument('--keep', action='store_true', help='keep the work directory, clusters data and the fuzz schemas')
    ap.add_argument('--save-files', metavar='DIR', help='copy the generated SQLite files (seedN.db) into DIR (as fixtures for other tests)')
    ap.add_argument('--ci', action='store_true', help='fixed small run: seeds 1-3, 800 queries each, bounded shrinking')
    ap.add_argument('--max-shrinks', type=int, default=40, help='differences to shrink (others are counted under a shrunk one or printed unshrunk)')
    ap.add_argument('--shrink-budget', type=int, default=400, help='re-runs allowed per shrink')
    ap.add_argument('--quiet', action='store_true', help='do not print each difference as found')
    ap.add_argument('--analyze-foreign', action='store_true', help='ANALYZE some foreign tables (statistics from a random sample: runs may differ)')
    args = ap.parse_args(argv)
    global ANALYZE_FOREIGN
    ANALYZE_FOREIGN = args.analyze_foreign
    if args.ci:
        args.seed, args.seeds, args.queries = 1, 3, 800
        args.max_shrinks, args.shrink_budget = 150, 250
    if not args.host and not args.pg_bin:
        ap.error('give --host/--port (a running cluster) or --pg-bin (throwaway clusters)')
    start = time.time()
    out = lambda s: print(s, flush=True)
    log = (lambda s: None) if args.quiet else out
    workdir = tempfile.mkdtemp(prefix='lpfuzz-', dir='/tmp')
    os.chmod(workdir, 0o755)
    clusters = []
    try:
        if args.pg_bin:
            port = args.port or 5605
            if args.separate_clusters:
                targets = []
                for i, (name, label) in enumerate(FLAVOURS):
                    cl = Cluster(args.pg_bin, os.path.join(workdir, 'pg_' + name), port + i, icu=label.startswith('icu'))
                    clusters.append(cl)
                    ci = cl.conninfo('postgres')
                    if label == 'libc:C':
                        ensure_databases(ci, [(name, label)])
                        ci = cl.conninfo(name)
                    targets.append(Target(ci, label))
            else:
                cl = Cluster(args.pg_bin, os.path.join(workdir, 'pg'), port, icu=False)
                clusters.append(cl)
                ensure_databases(cl.conninfo('postgres'), FLAVOURS)
                targets = [Target(cl.conninfo(n), l) for n, l in FLAVOURS]
        else:
            base = {'host': args.host, 'port': args.port or 5432, 'user': args.user}
            if args.dbname:
                targets = [Target(dict(base, dbname=d), d) for d in args.dbname.split(',')]
            else:
                ensure_databases(dict(base, dbname='postgres'), FLAVOURS)
                targets = [Target(dict(base, dbname=n), l) for n, l in FLAVOURS]
        findings = Findings(args.max_shrinks, args.shrink_budget, out, not args.quiet)
        stats = collections.Counter()
        stats['by_flavour'] = collections.Counter()
        stats['anomalies'] = []
        stats['no_local_copy'] = []
        for seed in range(args.seed, args.seed + args.seeds):
            run_seed(seed, args.queries, targets, workdir, findings, stats, log)
        elapsed = time.time() - start
        q = max(stats['queries'], 1)
        out('\n==== liteport pushdown fuzz: statistics')
        out(f'seeds {args.seed}..{args.seed + args.seeds - 1}, {stats["queries"]} queries ({stats["executions"]} executions incl. prepared), '
            f'{elapsed:.1f}s')
        out('databases: ' + ', '.join(f'{k}: {v} queries' for k, v in sorted(stats['by_flavour'].items())))
        out(f'foreign tables: {stats["tables"]} ({stats["tables_skipped"]} without a local copy, skipped)')
        for m in sorted(set(stats['no_local_copy'])):
            out(f'  no local copy: {m}')
        out(f'something pushed down: {stats["pushed"]} ({100 * stats["pushed"] / q:.0f}%); WHERE {100 * stats["pushed_WHERE"] / q:.0f}%, '
            f'ORDER BY {100 * stats["pushed_ORDER BY"] / q:.0f}%, LIMIT {100 * stats["pushed_LIMIT"] / q:.0f}%, '
            f'aggregates {stats["pushed_aggregate"]} queries')
        out(f'both sides raised the same error: {stats["both_error"]}; accepted differences (a row-dependent error on rows '
            f'a pushed filter removed): {stats["accepted"]}')
        out(f'differences: {findings.total} ({findings.shrinks} shrunk), by class:')
        for cls, e in sorted(findings.classes.items(), key=lambda kv: (-kv[1]['count'], kv[0])):
            out(f'  {e["count"]:5d}  {cls}')
            common = lambda c: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
            out(f'         as: {", ".join(f"{k} {v}" for k, v in common(e["kinds"]))}; seen in: '
                f'{", ".join(f"{k} {v}" for k, v in common(e["shapes"]))}')
        if stats['anomalies']:
            out('anomalies (not query differences; the column was re-typed to read the table):')
            for a, n in sorted(collections.Counter(stats['anomalies']).items()):
                out(f'  {n:5d}x {a}')
        if findings.total:
            out('\n==== minimal reproductions, one per class')
            for cls, e in findings.classes.items():
                out('\n' + e['script'])
        return 1 if findings.total else 0
    finally:
        if args.save_files:
            os.makedirs(args.save_files, exist_ok=True)
            for f in os.listdir(workdir):
                if f.endswith('.db'):
                    shutil.copy(os.path.join(workdir, f), os.path.join(args.save_files, f))
        for cl in clusters:
            if not args.keep:
                cl.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f'# kept {workdir}' + (' (clusters still running)' if clusters else ''), flush=True)


if __name__ == '__main__':
    sys.exit(main())
