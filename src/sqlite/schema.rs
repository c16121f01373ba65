//! What a SQLite file holds: its tables, views and their columns, read from SQLite's
//! own catalog (PRAGMA table_list and table_xinfo).

use rusqlite::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    Table,
    /// A table declared WITHOUT ROWID: no rowid to name rows by.
    TableWithoutRowid,
    View,
    Virtual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub name: String,
    pub kind: RelationKind,
    /// A STRICT table: every value has its column's declared type (INTEGER, REAL,
    /// TEXT, BLOB) or is NULL; ANY columns keep what is stored.
    pub strict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub declared_type: String,
    pub not_null: bool,
    /// Position in the primary key, 0 when not part of it.
    pub pk: i32,
    /// A GENERATED ALWAYS column (virtual or stored): readable, never written.
    pub generated: bool,
}

/// The tables, views and virtual tables a user would want to import: SQLite's
/// internal `sqlite_*` tables and the shadow tables behind virtual tables (FTS,
/// R-tree) are left out.
pub fn list_relations(db: &Connection) -> rusqlite::Result<Vec<Relation>> {
    let mut stmt = db.prepare(
        "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main' \
         AND type IN ('table', 'view', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        let name: String = r.get(0)?;
        let kind: String = r.get(1)?;
        let without_rowid: bool = r.get(2)?;
        let strict: bool = r.get(3)?;
        let kind = match (kind.as_str(), without_rowid) {
            ("view", _) => RelationKind::View,
            ("virtual", _) => RelationKind::Virtual,
            (_, true) => RelationKind::TableWithoutRowid,
            _ => RelationKind::Table,
        };
        Ok(Relation { name, kind, strict })
    })?;
    rows.collect()
}

/// One relation by name (SQLite compares names case-insensitively, as it does).
pub fn find_relation(db: &Connection, name: &str) -> rusqlite::Result<Option<Relation>> {
    Ok(list_relations(db)?.into_iter().find(|r| r.name.eq_ignore_ascii_case(name)))
}

/// The columns of a table or view, in order. Hidden columns of virtual tables are
/// left out; generated columns are kept (they can be read).
pub fn columns(db: &Connection, relation: &str) -> rusqlite::Result<Vec<Column>> {
    let mut stmt = db.prepare(
        "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1, 'main') WHERE hidden <> 1 ORDER BY cid",
    )?;
    let rows = stmt.query_map([relation], |r| {
        let hidden: i64 = r.get(4)?;
        Ok(Column {
            name: r.get(0)?,
            declared_type: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            not_null: r.get(2)?,
            pk: r.get(3)?,
            generated: hidden == 2 || hidden == 3,
        })
    })?;
    rows.collect()
}

/// The name by which this relation's rowid can be selected, or None when it has none
/// (views, WITHOUT ROWID tables) or every alias is taken by a real column.
pub fn rowid_alias(kind: RelationKind, columns: &[Column]) -> Option<&'static str> {
    if kind != RelationKind::Table {
        return None;
    }
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| !columns.iter().any(|c| c.name.eq_ignore_ascii_case(alias)))
}

/// Columns SQLite never lets be NULL although `notnull` is 0: the rowid alias
/// (a rowid table's single `INTEGER PRIMARY KEY`) and every primary-key column of a
/// WITHOUT ROWID table.
pub fn never_null(kind: RelationKind, columns: &[Column], column: &Column) -> bool {
    if column.not_null || column.pk == 0 {
        return column.not_null;
    }
    match kind {
        RelationKind::TableWithoutRowid => true,
        RelationKind::Table => integer_primary_key(kind, columns).is_some_and(|c| c.name == column.name),
        _ => false,
    }
}

/// The rowid alias among `columns` (a rowid table's `INTEGER PRIMARY KEY`, not the
/// `INTEGER PRIMARY KEY DESC` spelling, which SQLite backs with its own index): always
/// an integer, whatever the table's affinity rules.
pub fn rowid_alias_column<'a>(db: &Connection, relation: &Relation, columns: &'a [Column]) -> Option<&'a Column> {
    let column = integer_primary_key(relation.kind, columns)?;
    let has_pk_index: bool = db
        .query_row("SELECT EXISTS (SELECT 1 FROM pragma_index_list(?1) WHERE origin = 'pk')", [&relation.name], |r| r.get(0))
        .unwrap_or(true);
    (!has_pk_index).then_some(column)
}

/// The single `INTEGER` primary-key column of a rowid table: the rowid alias (or, in
/// the one spelling that is not, `INTEGER PRIMARY KEY DESC`, a column with its own
/// unique index). Lookups by it are index lookups either way.
pub fn integer_primary_key(kind: RelationKind, columns: &[Column]) -> Option<&Column> {
    if kind != RelationKind::Table {
        return None;
    }
    let mut keys = columns.iter().filter(|c| c.pk > 0);
    match (keys.next(), keys.next()) {
        (Some(c), None) if c.declared_type.trim().eq_ignore_ascii_case("INTEGER") => Some(c),
        _ => None,
    }
}

/// The column a statement names that the table does not have, read from SQLite's
/// error message (`no such column: "x" - should this be a string literal ...`).
pub fn missing_column(error_message: &str) -> Option<String> {
    let rest = error_message.split("no such column: ").nth(1)?;
    let name = rest.split(" - should this be").next().unwrap_or(rest).trim();
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_string(),
    };
    Some(name)
}

/// The function a view calls that this SQLite does not define, read from SQLite's
/// error message ("no such function: X").
pub fn missing_function(error_message: &str) -> Option<String> {
    let pos = error_message.find("no such function: ")?;
    let name = error_message[pos + "no such function: ".len()..].split_whitespace().next()?;
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE plain(id INTEGER PRIMARY KEY, name TEXT NOT NULL, total NUMERIC(10,2));
             CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
             CREATE TABLE gen(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c INT GENERATED ALWAYS AS (a + 1) STORED);
             CREATE TABLE shadowed(rowid TEXT, x INT);
             CREATE VIEW v AS SELECT id, name FROM plain;
             CREATE VIRTUAL TABLE docs USING fts5(body);",
        )
        .unwrap();
        db
    }

    #[test]
    fn relations_skip_internal_and_shadow_tables() {
        let rels = list_relations(&db()).unwrap();
        let names: Vec<_> = rels.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["docs", "gen", "plain", "shadowed", "v", "wr"]);
        let kind = |n: &str| rels.iter().find(|r| r.name == n).unwrap().kind;
        assert_eq!(kind("wr"), RelationKind::TableWithoutRowid);
        assert_eq!(kind("v"), RelationKind::View);
        assert_eq!(kind("docs"), RelationKind::Virtual);
        assert_eq!(kind("plain"), RelationKind::Table);
    }

    #[test]
    fn columns_keep_types_constraints_and_generated_columns() {
        let cols = columns(&db(), "plain").unwrap();
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[0].pk, 1);
        assert!(cols[1].not_null);
        assert_eq!(cols[2].declared_type, "NUMERIC(10,2)");
        let gen = columns(&db(), "gen").unwrap();
        assert_eq!(gen.iter().map(|c| c.generated).collect::<Vec<_>>(), [false, true, true]);
        let fts = columns(&db(), "docs").unwrap();
        assert_eq!(fts.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["body"]);
    }

    #[test]
    fn rowid_alias_and_without_rowid_keys_are_never_null() {
        let d = db();
        d.execute_batch("CREATE TABLE two(a INTEGER, b INTEGER, PRIMARY KEY (a, b)); CREATE TABLE big(id BIGINT PRIMARY KEY);").unwrap();
        let plain = columns(&d, "plain").unwrap();
        assert!(never_null(RelationKind::Table, &plain, &plain[0]));
        assert!(never_null(RelationKind::Table, &plain, &plain[1]), "declared NOT NULL");
        assert!(!never_null(RelationKind::Table, &plain, &plain[2]));
        let two = columns(&d, "two").unwrap();
        assert!(!never_null(RelationKind::Table, &two, &two[0]), "composite keys of rowid tables allow NULL in SQLite");
        let big = columns(&d, "big").unwrap();
        assert!(!never_null(RelationKind::Table, &big, &big[0]), "only INTEGER exactly is a rowid alias");
        let wr = columns(&d, "wr").unwrap();
        assert!(never_null(RelationKind::TableWithoutRowid, &wr, &wr[0]));
    }

    #[test]
    fn rowid_alias_avoids_real_columns() {
        let d = db();
        assert_eq!(rowid_alias(RelationKind::Table, &columns(&d, "plain").unwrap()), Some("rowid"));
        assert_eq!(rowid_alias(RelationKind::Table, &columns(&d, "shadowed").unwrap()), Some("_rowid_"));
        assert_eq!(rowid_alias(RelationKind::View, &[]), None);
        assert_eq!(rowid_alias(RelationKind::TableWithoutRowid, &[]), None);
    }

    #[test]
    fn missing_function_is_read_from_sqlite_error() {
        // SQLite checks functions when the view is used, not when it is created:
        let d2 = Connection::open_in_memory().unwrap();
        d2.execute_batch("CREATE VIEW needs_app AS SELECT app_distance(1, 2) AS d").unwrap();
        let err = d2.prepare("SELECT * FROM needs_app").unwrap_err().to_string();
        assert_eq!(missing_function(&err).as_deref(), Some("app_distance"), "{err}");
        assert_eq!(missing_function("no such table: x"), None);
    }
}
