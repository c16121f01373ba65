//! Everything a migration needs to know about a SQLite file's schema, read from
//! SQLite's own catalog: PRAGMA table_xinfo, index_list, index_xinfo,
//! foreign_key_list, sqlite_sequence, column metadata (collation, AUTOINCREMENT), and
//! the stored CREATE statements for what no PRAGMA reports (CHECK, generated columns,
//! index expressions and WHERE clauses).

use super::schema::{self, Column, Relation, RelationKind};
use super::sql_text::{self, Check, CreateIndex, Generated};
use rusqlite::Connection;

#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub column: Column,
    /// The DEFAULT clause as written in CREATE TABLE (`0`, `'Y'`, `CURRENT_TIMESTAMP`).
    pub default: Option<String>,
    /// The declared collation: BINARY (the default), NOCASE, RTRIM, or another name.
    pub collation: String,
    pub autoincrement: bool,
}

#[derive(Debug, Clone)]
pub struct IndexKey {
    /// The column, or None for an expression (its tokens are in `CreateIndex::keys`).
    pub column: Option<String>,
    pub descending: bool,
    pub collation: String,
}

#[derive(Debug, Clone)]
pub struct IndexInfo {
    pub name: String,
    pub unique: bool,
    /// `c`: CREATE INDEX, `u`: a UNIQUE constraint, `pk`: the PRIMARY KEY.
    pub origin: String,
    pub keys: Vec<IndexKey>,
    /// The parsed CREATE INDEX statement (only `c` indexes have one).
    pub definition: Option<Result<CreateIndex, String>>,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub parent: String,
    pub columns: Vec<String>,
    /// Parent columns; None when the constraint names none (then: the parent's key).
    pub parent_columns: Option<Vec<String>>,
    pub on_update: String,
    pub on_delete: String,
    /// DEFERRABLE, and INITIALLY DEFERRED (read from the CREATE TABLE text).
    pub deferrable: bool,
    pub initially_deferred: bool,
}

#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: String,
    pub kind: RelationKind,
    pub sql: String,
    pub columns: Vec<ColumnInfo>,
    pub indexes: Vec<IndexInfo>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    pub generated: Vec<Generated>,
    /// Why CHECK/generated clauses could not be read from the CREATE statement.
    pub parse_error: Option<String>,
    /// The AUTOINCREMENT high-water mark from sqlite_sequence.
    pub sequence: Option<i64>,
}

impl TableInfo {
    /// The rowid alias (INTEGER PRIMARY KEY) column, if any.
    pub fn rowid_alias_column(&self) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.column.pk > 0 && is_rowid_alias(self, c))
    }

    /// Primary key columns in key order.
    pub fn primary_key(&self) -> Vec<&ColumnInfo> {
        let mut pk: Vec<&ColumnInfo> = self.columns.iter().filter(|c| c.column.pk > 0).collect();
        pk.sort_by_key(|c| c.column.pk);
        pk
    }
}

fn is_rowid_alias(table: &TableInfo, c: &ColumnInfo) -> bool {
    table.kind == RelationKind::Table
        && table.columns.iter().filter(|c| c.column.pk > 0).count() == 1
        && c.column.declared_type.trim().eq_ignore_ascii_case("INTEGER")
        // `INTEGER PRIMARY KEY DESC` is the one spelling that is not an alias; SQLite
        // reports it through the pk index, which an alias does not have.
        && !table.indexes.iter().any(|i| i.origin == "pk")
}

/// A view, trigger or virtual table: kept in the plan as a report, never dropped silently.
#[derive(Debug, Clone)]
pub struct OtherObject {
    pub kind: &'static str,
    pub name: String,
    pub table: String,
    pub sql: String,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub tables: Vec<TableInfo>,
    pub others: Vec<OtherObject>,
}

/// Read the whole schema of the main database.
pub fn read_catalog(db: &Connection) -> rusqlite::Result<Catalog> {
    let sequences = read_sequences(db)?;
    let mut tables = Vec::new();
    let mut others = Vec::new();
    for rel in schema::list_relations(db)? {
        match rel.kind {
            RelationKind::Table | RelationKind::TableWithoutRowid => {
                let seq = sequences.iter().find(|(n, _)| n == &rel.name).map(|(_, s)| *s);
                tables.push(read_table(db, &rel, seq)?);
            }
            RelationKind::View | RelationKind::Virtual => {}
        }
    }
    let mut stmt = db.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema \
         WHERE (type IN ('view', 'trigger') OR (type = 'table' AND sql LIKE 'CREATE VIRTUAL%')) ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(0)?;
        let sql: String = r.get(3)?;
        Ok(OtherObject {
            kind: match kind.as_str() {
                "view" => "view",
                "trigger" => "trigger",
                _ => "virtual table",
            },
            name: r.get(1)?,
            table: r.get(2)?,
            sql,
        })
    })?;
    for o in rows {
        others.push(o?);
    }
    Ok(Catalog { tables, others })
}

fn read_sequences(db: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let exists: bool = db.query_row("SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_sequence'", [], |r| r.get(0))?;
    if !exists {
        return Ok(vec![]);
    }
    let mut stmt = db.prepare("SELECT name, seq FROM sqlite_sequence")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))))?;
    rows.collect()
}

fn read_table(db: &Connection, rel: &Relation, sequence: Option<i64>) -> rusqlite::Result<TableInfo> {
    let sql: String = db.query_row("SELECT coalesce(sql, '') FROM sqlite_schema WHERE type = 'table' AND name = ?1", [&rel.name], |r| r.get(0))?;
    let defaults: Vec<Option<String>> = {
        let mut stmt = db.prepare("SELECT dflt_value FROM pragma_table_xinfo(?1, 'main') WHERE hidden <> 1 ORDER BY cid")?;
        let rows = stmt.query_map([&rel.name], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut columns = Vec::new();
    for (column, default) in schema::columns(db, &rel.name)?.into_iter().zip(defaults) {
        let (_, collation, _, _, autoincrement) = db.column_metadata(None::<&str>, rel.name.as_str(), column.name.as_str())?;
        let collation = collation.map(|c| c.to_string_lossy().into_owned()).unwrap_or_else(|| "BINARY".into());
        columns.push(ColumnInfo { column, default, collation, autoincrement });
    }

    let mut indexes = Vec::new();
    let list: Vec<(String, bool, String, bool)> = {
        let mut stmt = db.prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, 'main') ORDER BY seq DESC")?;
        let rows = stmt.query_map([&rel.name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (name, unique, origin, _partial) in list {
        let mut stmt = db.prepare("SELECT name, \"desc\", coll FROM pragma_index_xinfo(?1, 'main') WHERE key = 1 ORDER BY seqno")?;
        let keys = stmt
            .query_map([&name], |r| Ok(IndexKey { column: r.get(0)?, descending: r.get(1)?, collation: r.get(2)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let definition = if origin == "c" {
            let sql: Option<String> = db.query_row("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1", [&name], |r| r.get(0))?;
            sql.map(|s| sql_text::parse_create_index(&s))
        } else {
            None
        };
        indexes.push(IndexInfo { name, unique, origin, keys, definition });
    }

    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    {
        let mut stmt = db.prepare("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq")?;
        let rows = stmt.query_map([&rel.name], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?))
        })?;
        let mut last_id = None;
        for row in rows {
            let (id, parent, from, to, on_update, on_delete) = row?;
            if last_id != Some(id) {
                foreign_keys.push(ForeignKey { parent, columns: vec![], parent_columns: Some(vec![]), on_update, on_delete, deferrable: false, initially_deferred: false });
                last_id = Some(id);
            }
            let fk = foreign_keys.last_mut().expect("pushed above");
            fk.columns.push(from);
            match (to, &mut fk.parent_columns) {
                (Some(to), Some(cols)) => cols.push(to),
                _ => fk.parent_columns = None,
            }
        }
    }

    // SQLite numbers foreign keys from the last declared; keep declaration order.
    foreign_keys.reverse();
    let (checks, generated, clauses, parse_error) = match sql_text::parse_create_table(&sql) {
        Ok(ct) => (ct.checks, ct.generated, ct.foreign_keys, None),
        Err(e) => (vec![], vec![], vec![], Some(e)),
    };
    for fk in &mut foreign_keys {
        let same = |c: &sql_text::ForeignKeyClause| c.columns.len() == fk.columns.len() && c.columns.iter().zip(&fk.columns).all(|(a, b)| a.eq_ignore_ascii_case(b));
        if let Some(clause) = clauses.iter().find(|c| same(c)) {
            fk.deferrable = clause.deferrable;
            fk.initially_deferred = clause.initially_deferred;
        }
    }
    Ok(TableInfo { name: rel.name.clone(), kind: rel.kind, sql, columns, indexes, foreign_keys, checks, generated, parse_error, sequence })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_reads_keys_indexes_foreign_keys_and_sequences() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE parent(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE UNIQUE, at TEXT DEFAULT CURRENT_TIMESTAMP);
             CREATE TABLE child(a INT, b INT, p INT REFERENCES parent ON DELETE CASCADE, PRIMARY KEY (a, b), CHECK (a > 0)) WITHOUT ROWID;
             CREATE INDEX child_expr ON child (lower(b), a DESC) WHERE p IS NOT NULL;
             CREATE VIEW v AS SELECT 1;
             CREATE TRIGGER tr AFTER INSERT ON parent BEGIN SELECT 1; END;
             INSERT INTO parent(name) VALUES ('x'), ('y'); DELETE FROM parent;",
        )
        .unwrap();
        let cat = read_catalog(&db).unwrap();
        assert_eq!(cat.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["child", "parent"]);
        let parent = &cat.tables[1];
        assert_eq!(parent.sequence, Some(2), "AUTOINCREMENT high-water mark survives the delete");
        assert!(parent.columns[0].autoincrement);
        assert_eq!(parent.rowid_alias_column().unwrap().column.name, "id");
        assert_eq!(parent.columns[1].collation, "NOCASE");
        assert_eq!(parent.columns[2].default.as_deref(), Some("CURRENT_TIMESTAMP"));
        assert!(parent.indexes.iter().any(|i| i.origin == "u" && i.unique));

        let child = &cat.tables[0];
        assert_eq!(child.kind, RelationKind::TableWithoutRowid);
        assert!(child.rowid_alias_column().is_none());
        assert_eq!(child.primary_key().iter().map(|c| c.column.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(child.foreign_keys.len(), 1);
        assert_eq!(child.foreign_keys[0].parent_columns, None, "no parent column named: the parent's key");
        assert_eq!(child.foreign_keys[0].on_delete, "CASCADE");
        assert!(!child.foreign_keys[0].deferrable);
        assert_eq!(child.checks.len(), 1);
        let ix = child.indexes.iter().find(|i| i.name == "child_expr").unwrap();
        assert_eq!(ix.keys.len(), 2);
        assert!(ix.keys[0].column.is_none() && ix.keys[1].descending);
        let def = ix.definition.as_ref().unwrap().as_ref().unwrap();
        assert!(def.where_clause.is_some());
        assert_eq!(cat.others.iter().map(|o| o.kind).collect::<Vec<_>>(), ["trigger", "view"]);
    }

    #[test]
    fn deferrable_foreign_keys_are_read_from_the_create_statement() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE p(id INTEGER PRIMARY KEY, q INT);
             CREATE TABLE c(id INTEGER PRIMARY KEY, p_id INT REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED, q_id INT,
                            a INT, b INT, CONSTRAINT f FOREIGN KEY (a, b) REFERENCES p(id, q) DEFERRABLE,
                            FOREIGN KEY (q_id) REFERENCES p (id) NOT DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        let cat = read_catalog(&db).unwrap();
        let c = cat.tables.iter().find(|t| t.name == "c").unwrap();
        let fk = |col: &str| c.foreign_keys.iter().find(|f| f.columns[0] == col).unwrap();
        assert!(fk("p_id").deferrable && fk("p_id").initially_deferred);
        assert!(fk("a").deferrable && !fk("a").initially_deferred);
        assert!(!fk("q_id").deferrable && !fk("q_id").initially_deferred);
    }

    #[test]
    fn integer_primary_key_desc_is_not_an_alias() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY DESC, v TEXT)").unwrap();
        let cat = read_catalog(&db).unwrap();
        assert!(cat.tables[0].rowid_alias_column().is_none());
    }
}
