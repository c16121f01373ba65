//! The ordered steps of a migration, as SQL a DBA can read, edit and run by hand.
//!
//! Order: (drop) → create tables → (truncate) → per table: staging foreign table,
//! load, identity restart, drop staging → primary keys, unique constraints and
//! indexes → CHECKs → foreign keys last, so load order never matters → a report row
//! for each view, trigger and virtual table, which are not translated.

use super::ddl::{self, qualified, TableSpec};
use super::options::{MigrateOptions, OnError, Truncate};
use crate::sqlite::catalog::{Catalog, OtherObject, TableInfo};

/// The SQLite tables the options select, in the catalog's (name) order.
pub fn selected_tables<'a>(catalog: &'a Catalog, opts: &MigrateOptions) -> Vec<&'a TableInfo> {
    catalog.tables.iter().filter(|t| opts.includes(&t.name)).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: &'static str,
    /// The Postgres object the step creates or fills.
    pub object: String,
    pub sql: String,
    pub note: Option<String>,
    /// Index into the table specs, for the steps migrate reports per table.
    pub table: Option<usize>,
}

impl Step {
    /// A report-only step: its SQL is a comment, migrate does not run it.
    pub fn is_report(&self) -> bool {
        self.sql.starts_with("--")
    }
    /// Steps whose failure migrate reports and survives (a constraint the data or
    /// Postgres refuses) rather than aborting the whole migration.
    pub fn is_guarded(&self) -> bool {
        matches!(self.kind, "primary key" | "unique" | "index" | "check" | "foreign key")
    }
}

/// SQLite SQL shown as a comment, one `-- ` per line (split at carriage returns too:
/// Postgres and psql end a comment at either).
fn commented(sql: &str) -> String {
    crate::sql_names::comment_lines(sql)
}

/// The order of the loads: referenced tables before the tables that reference them, so
/// that loading into existing tables whose foreign keys are in place succeeds. A
/// self-reference needs no order (Postgres checks it at the end of the statement);
/// tables in a cycle keep catalog order.
pub fn load_order(specs: &[TableSpec]) -> Vec<usize> {
    let parents: Vec<Vec<usize>> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.references
                .iter()
                .filter_map(|r| specs.iter().position(|p| p.source.eq_ignore_ascii_case(r)))
                .filter(|&p| p != i)
                .collect()
        })
        .collect();
    let mut done = vec![false; specs.len()];
    let mut order = Vec::with_capacity(specs.len());
    while order.len() < specs.len() {
        let ready = (0..specs.len()).find(|&i| !done[i] && parents[i].iter().all(|&p| done[p]));
        // A cycle: take the first table left.
        let next = ready.unwrap_or_else(|| (0..specs.len()).find(|&i| !done[i]).expect("tables left"));
        done[next] = true;
        order.push(next);
    }
    order
}

pub fn build_steps(specs: &[TableSpec], others: &[OtherObject], opts: &MigrateOptions, schema: &str, server: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut restarts: Vec<(String, String, usize)> = Vec::new();
    let mut push = |kind: &'static str, object: &str, sql: String, note: Option<String>, table: Option<usize>| {
        steps.push(Step { kind, object: object.to_string(), sql, note, table });
    };
    let notes = |spec: &TableSpec| (!spec.notes.is_empty()).then(|| spec.notes.join("; "));

    if opts.drop_existing {
        for (i, spec) in specs.iter().enumerate() {
            push("drop table", &spec.target, format!("DROP TABLE IF EXISTS {} CASCADE", qualified(schema, &spec.target)), None, Some(i));
        }
    }
    if !opts.data_only {
        for (i, spec) in specs.iter().enumerate() {
            push("create table", &spec.target, ddl::create_table_sql(spec, schema), notes(spec), Some(i));
        }
    }
    if !opts.schema_only {
        if opts.truncate != Truncate::No && !specs.is_empty() {
            let all: Vec<String> = specs.iter().map(|s| qualified(schema, &s.target)).collect();
            let (cascade, note) = match opts.truncate {
                Truncate::Cascade => (" CASCADE", Some("CASCADE: tables outside the migration that reference these are emptied too".to_string())),
                _ => ("", None),
            };
            push("truncate", "", format!("TRUNCATE {}{cascade}", all.join(", ")), note, None);
        }
        for i in load_order(specs) {
            let spec = &specs[i];
            let staging = spec.staging.clone();
            push("create staging", &staging, ddl::create_staging_sql(spec, schema, server, opts.on_error, opts.timezone.as_deref()), None, Some(i));
            let load_note = if opts.data_only { notes(spec) } else { None };
            if opts.data_only && opts.on_error == OnError::Reject {
                // Rows the target's constraints would refuse are rejected like rows that
                // do not convert: NULLs into NOT NULL, repeated keys, and rows
                // referencing a rejected row (or one SQLite never had), before they
                // reach the target (whose deferred foreign keys would fail the COMMIT).
                push("stage rows", &ddl::staged_rows_name(spec), ddl::stage_rows_sql(spec, schema), None, Some(i));
                if let Some(sql) = ddl::reject_null_sql(spec, schema, server) {
                    push("reject nulls", &spec.target, sql, None, Some(i));
                }
                for (name, columns) in &spec.target_unique {
                    let existing = opts.on_conflict == super::options::OnConflict::Error;
                    push("reject duplicates", name, ddl::reject_duplicates_sql(spec, schema, server, name, columns, existing), None, Some(i));
                }
                for r in &spec.target_references {
                    let note = (r.parent == spec.target).then(|| "repeated until no row is left (a removed row may leave others dangling)".to_string());
                    push("reject dangling", &r.constraint, ddl::reject_dangling_sql(spec, r, schema, server), note, Some(i));
                }
                push("load", &spec.target, ddl::load_staged_sql(spec, schema, opts.on_conflict), load_note, Some(i));
                push("drop staged rows", &ddl::staged_rows_name(spec), format!("DROP TABLE pg_temp.{}", crate::sql_names::pg_ident(&ddl::staged_rows_name(spec))), None, Some(i));
            } else {
                let note = match (opts.bulk && !opts.data_only).then(|| super::bulk::unsuitable(spec, true)) {
                    Some(None) => Some("bulk path (multi-insert, as COPY does); run by hand, this INSERT loads the same rows".to_string()),
                    Some(Some(why)) => Some(format!("ordinary INSERT: {why}")),
                    None => load_note,
                };
                push("load", &spec.target, ddl::load_sql(spec, schema, opts.on_conflict), note, Some(i));
            }
            // Every sequence the target's columns have (the rowid alias's identity, an
            // ORM's serial or identity columns) continues above what was loaded.
            let mut restarted: Vec<&String> = spec.rowid_alias.iter().collect();
            restarted.extend(spec.sequence_columns.iter().filter(|c| spec.rowid_alias.as_ref() != Some(*c)));
            for column in restarted {
                restarts.push((spec.target.clone(), ddl::restart_identity_sql(spec, column, schema), i));
            }
            push("drop staging", &staging, format!("DROP FOREIGN TABLE {}", qualified(schema, &staging)), None, Some(i));
        }
    }
    for (group, kinds) in [&["primary key", "unique", "index"][..], &["check"], &["foreign key"]].into_iter().enumerate() {
        for (i, spec) in specs.iter().enumerate() {
            for c in spec.constraints.iter().filter(|c| kinds.contains(&c.kind)) {
                match &c.sql {
                    Some(sql) => push(c.kind, &c.name, sql.clone(), c.note.clone(), Some(i)),
                    None => push(c.kind, &c.name, "-- not translated".into(), c.note.clone(), Some(i)),
                }
            }
        }
        // After the keys: the maximum each restart needs is then one index probe, not
        // a scan of the table just loaded.
        if group == 0 {
            for (target, sql, i) in std::mem::take(&mut restarts) {
                push("restart identity", &target, sql, None, Some(i));
            }
        }
    }
    for o in others {
        let why = match o.kind {
            "view" => "views are not migrated: recreate it in Postgres SQL (its SQLite SQL is above)",
            "trigger" => "triggers are not migrated: rewrite it as a Postgres trigger function",
            _ => "virtual tables are not migrated: their module (FTS, R-tree, ...) has no Postgres equivalent; import it as a foreign table to copy its rows",
        };
        push(o.kind, &o.name, commented(&o.sql), Some(format!("not translated: {why}")), None);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::catalog::read_catalog;
    use rusqlite::Connection;

    fn plan(sql: &str, options: &str) -> Vec<Step> {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(sql).unwrap();
        let cat = read_catalog(&db).unwrap();
        let opts = MigrateOptions::parse(options).unwrap();
        let selected = selected_tables(&cat, &opts);
        let specs: Vec<TableSpec> = selected.iter().map(|t| ddl::table_spec(t, &opts, None, None, &selected, "app")).collect();
        build_steps(&specs, &cat.others, &opts, "app", "src")
    }

    const SCHEMA: &str = "CREATE TABLE a(id INTEGER PRIMARY KEY, b_id INT REFERENCES b(id));
                          CREATE TABLE b(id INTEGER PRIMARY KEY, a_id INT REFERENCES a(id));
                          CREATE VIEW v AS SELECT * FROM a;
                          CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;";

    #[test]
    fn foreign_keys_come_after_every_load_so_cycles_load() {
        let steps = plan(SCHEMA, "{}");
        let kinds: Vec<&str> = steps.iter().map(|s| s.kind).collect();
        let last_load = kinds.iter().rposition(|k| *k == "load").unwrap();
        let first_fk = kinds.iter().position(|k| *k == "foreign key").unwrap();
        assert!(first_fk > last_load, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "foreign key").count(), 2);
        let view = steps.iter().find(|s| s.kind == "view").unwrap();
        assert!(view.is_report() && view.sql.contains("-- CREATE VIEW v"));
        assert!(steps.iter().any(|s| s.kind == "trigger" && s.note.as_ref().unwrap().contains("not translated")));
    }

    #[test]
    fn loads_go_parents_first_and_cycles_still_load() {
        let steps = plan(
            "CREATE TABLE a_child(id INTEGER PRIMARY KEY, p INT REFERENCES z_parent(id), s INT REFERENCES a_child(id));
             CREATE TABLE z_parent(id INTEGER PRIMARY KEY);
             CREATE TABLE c1(id INTEGER PRIMARY KEY, o INT REFERENCES c2(id));
             CREATE TABLE c2(id INTEGER PRIMARY KEY, o INT REFERENCES c1(id));",
            "{}",
        );
        let loads: Vec<&str> = steps.iter().filter(|s| s.kind == "load").map(|s| s.object.as_str()).collect();
        assert_eq!(loads, ["z_parent", "a_child", "c1", "c2"]);
    }

    #[test]
    fn schema_only_and_data_only_leave_out_their_halves() {
        let schema_only: Vec<&str> = plan(SCHEMA, r#"{"schema_only": true}"#).iter().map(|s| s.kind).collect();
        assert!(!schema_only.contains(&"load") && schema_only.contains(&"create table"));
        let steps = plan(SCHEMA, r#"{"drop_existing": true, "truncate": true, "tables": ["a"]}"#);
        let kinds: Vec<&str> = steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds[..3], ["drop table", "create table", "truncate"]);
        assert!(steps.iter().any(|s| s.kind == "foreign key" && s.is_report()), "b is not migrated, so a's key to it is reported");
    }
}
