//! Before loading into tables that already exist (an ORM's schema): what the SQLite
//! data will meet there, computed inside SQLite without loading anything — columns on
//! one side only, the conversion of each column pair, rows already in the target, and
//! the rows that would fail (values that do not convert, NULLs into NOT NULL, text over
//! varchar(n), duplicates of the target's unique keys, orphans of its foreign keys),
//! each counted with an example rowid. liteport.plan shows it as a `data check` row per
//! table; liteport.migrate refuses to start when something would fail that the options
//! do not handle, and names the option that does.

use super::ddl::TableSpec;
use super::options::{MigrateOptions, OnConflict, OnError, Truncate};
use crate::fdw::deparse::sqlite_ident;
use crate::profile::survey::{survey, Needs, ReadAs};
use crate::sql_names::qualified;
use crate::sqlite::connection::SqliteConnection;
use pgrx::prelude::*;

/// What handles a finding, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Nothing liteport can do: the target or the data must change.
    No,
    /// `{"on_error": "reject"}` files the rows in liteport.rejects.
    ByReject,
    /// `{"on_error": "reject"}` files the later rows of a key, `{"on_conflict":
    /// "skip"}` leaves them out.
    ByRejectOrSkip,
    /// Information only.
    Info,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub what: String,
    pub rows: i64,
    pub example: Option<i64>,
    pub handled: Handled,
}

impl Finding {
    fn text(&self) -> String {
        let example = self.example.map_or(String::new(), |r| format!(", e.g. rowid {r}"));
        let rows = if self.rows > 0 { format!(": {} row{}{example}", self.rows, if self.rows == 1 { "" } else { "s" }) } else { String::new() };
        format!("{}{rows}", self.what)
    }
    /// Does this finding stop the load under these options?
    pub fn stops(&self, opts: &MigrateOptions) -> bool {
        match self.handled {
            Handled::No => self.rows > 0,
            Handled::ByReject => self.rows > 0 && opts.on_error != OnError::Reject,
            Handled::ByRejectOrSkip => self.rows > 0 && opts.on_conflict != OnConflict::Skip && opts.on_error != OnError::Reject,
            Handled::Info => false,
        }
    }
}

/// One table's check.
#[derive(Debug, Clone, Default)]
pub struct TableCheck {
    pub lines: Vec<String>,
    pub findings: Vec<Finding>,
}

impl TableCheck {
    pub fn summary(&self) -> String {
        let mut out = self.lines.clone();
        out.extend(self.findings.iter().map(Finding::text));
        out.join("; ")
    }
}

/// A target column as the catalog has it.
struct TargetColumn {
    name: String,
    pg_type: String,
    not_null: bool,
    has_default: bool,
}

/// A target unique key or foreign key, by column names.
pub struct TargetKey {
    pub name: String,
    pub columns: Vec<String>,
    /// Foreign keys: the referenced table (schema, name) and its columns.
    pub references: Option<(String, String, Vec<String>)>,
}

/// The target's NOT NULL columns among the loaded ones, and its unique keys whose
/// columns are all loaded.
pub fn target_not_null_and_unique(schema: &str, spec: &TableSpec) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let Some(relid) = crate::pg_columns::relation_oid(schema, &spec.target) else { return (vec![], vec![]) };
    let (columns, uniques, _) = target_catalog(relid);
    let loaded = |c: &String| spec.loaded_columns().any(|l| &l.target == c);
    let not_null = columns.into_iter().filter(|c| c.not_null && loaded(&c.name)).map(|c| c.name).collect();
    let unique = uniques.into_iter().filter(|k| k.columns.iter().all(loaded)).map(|k| (k.name, k.columns)).collect();
    (not_null, unique)
}

/// The foreign keys of target `schema.table` to tables of this migration.
pub fn target_references(schema: &str, spec: &TableSpec, specs: &[TableSpec]) -> Vec<super::ddl::TargetReference> {
    let Some(relid) = crate::pg_columns::relation_oid(schema, &spec.target) else { return vec![] };
    let (_, _, foreign) = target_catalog(relid);
    foreign
        .into_iter()
        .filter_map(|fk| {
            let (ref_schema, ref_table, ref_columns) = fk.references?;
            let parent = specs.iter().find(|s| ref_schema == schema && s.target == ref_table)?;
            let parent_source_columns =
                ref_columns.iter().map(|c| parent.columns.iter().find(|p| &p.target == c).map(|p| p.source.clone())).collect::<Option<Vec<_>>>()?;
            fk.columns.iter().all(|c| spec.loaded_columns().any(|l| &l.target == c)).then(|| super::ddl::TargetReference {
                constraint: fk.name,
                columns: fk.columns,
                parent: parent.target.clone(),
                parent_source: parent.source.clone(),
                parent_columns: ref_columns,
                parent_source_columns,
            })
        })
        .collect()
}

fn target_catalog(relid: pg_sys::Oid) -> (Vec<TargetColumn>, Vec<TargetKey>, Vec<TargetKey>) {
    Spi::connect(|c| {
        let columns = c
            .select(
                "SELECT a.attname::pg_catalog.text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 a.atthasdef OR a.attidentity OPERATOR(pg_catalog.<>) '' OR a.attgenerated OPERATOR(pg_catalog.<>) '' \
                 FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped ORDER BY a.attnum",
                None,
                &[relid.into()],
            )?
            .map(|r| {
                Ok(TargetColumn {
                    name: r.get::<String>(1)?.unwrap_or_default(),
                    pg_type: r.get::<String>(2)?.unwrap_or_default(),
                    not_null: r.get::<bool>(3)?.unwrap_or(false),
                    has_default: r.get::<bool>(4)?.unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>, pgrx::spi::Error>>()?;
        let uniques = c
            .select(
                "SELECT ci.relname::pg_catalog.text, pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY k.n) \
                 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ci ON ci.oid OPERATOR(pg_catalog.=) i.indexrelid \
                 CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum \
                 WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL GROUP BY ci.relname ORDER BY 1",
                None,
                &[relid.into()],
            )?
            .map(|r| Ok(TargetKey { name: r.get::<String>(1)?.unwrap_or_default(), columns: r.get::<Vec<String>>(2)?.unwrap_or_default(), references: None }))
            .collect::<Result<Vec<_>, pgrx::spi::Error>>()?;
        let foreign = c
            .select(
                "SELECT con.conname::pg_catalog.text, \
                 (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY k.n) FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, n) \
                   JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) con.conrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum), \
                 pn.nspname::pg_catalog.text, pc.relname::pg_catalog.text, \
                 (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY k.n) FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY AS k(attnum, n) \
                   JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) con.confrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum) \
                 FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class pc ON pc.oid OPERATOR(pg_catalog.=) con.confrelid \
                 JOIN pg_catalog.pg_namespace pn ON pn.oid OPERATOR(pg_catalog.=) pc.relnamespace \
                 WHERE con.conrelid OPERATOR(pg_catalog.=) $1 AND con.contype OPERATOR(pg_catalog.=) 'f' ORDER BY 1",
                None,
                &[relid.into()],
            )?
            .map(|r| {
                Ok(TargetKey {
                    name: r.get::<String>(1)?.unwrap_or_default(),
                    columns: r.get::<Vec<String>>(2)?.unwrap_or_default(),
                    references: Some((r.get::<String>(3)?.unwrap_or_default(), r.get::<String>(4)?.unwrap_or_default(), r.get::<Vec<String>>(5)?.unwrap_or_default())),
                })
            })
            .collect::<Result<Vec<_>, pgrx::spi::Error>>()?;
        Ok::<_, pgrx::spi::Error>((columns, uniques, foreign))
    })
    .unwrap_or_else(|e| panic!("reading the target's catalog: {e}"))
}

/// What the load's conversion must read every value as, for a target type as
/// format_type spells it (None: a type read by its input function at load).
fn read_as(pg_type: &str) -> Option<ReadAs> {
    let base = pg_type.split('(').next().unwrap_or(pg_type).trim();
    Some(match base {
        "timestamp without time zone" | "timestamp with time zone" => ReadAs::Timestamp,
        "time without time zone" => ReadAs::Time,
        "character varying" | "character" | "text" => ReadAs::Text,
        b if b.ends_with("[]") => return None,
        b => return ReadAs::for_type(b),
    })
}

fn numeric_precision_scale(pg_type: &str) -> Option<(i64, i64)> {
    let inner = pg_type.strip_prefix("numeric(")?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',').unwrap_or((inner, "0"));
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

fn varchar_length(pg_type: &str) -> Option<i64> {
    pg_type.strip_prefix("character varying(").or_else(|| pg_type.strip_prefix("character(")).and_then(|r| r.trim_end_matches(')').parse().ok())
}

fn integer_bounds(pg_type: &str) -> Option<(i64, i64)> {
    match pg_type {
        "smallint" => Some((i16::MIN as i64, i16::MAX as i64)),
        "integer" => Some((i32::MIN as i64, i32::MAX as i64)),
        _ => None,
    }
}

/// (rows, the smallest rowid) of a SQLite condition.
fn count_where(conn: &SqliteConnection, table: &str, rowid: Option<&str>, condition: &str) -> (i64, Option<i64>) {
    let example = rowid.map_or("NULL".to_string(), |r| format!("min({r})"));
    rows_and_example(conn, table, &format!("SELECT count(*), {example} FROM {} WHERE {condition}", sqlite_ident(table)))
}

/// A check query's (count, example rowid), checking `table`.
fn rows_and_example(conn: &SqliteConnection, table: &str, sql: &str) -> (i64, Option<i64>) {
    conn.db()
        .query_row(sql, [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)))
        .map_err(|e| conn.sqlite_error(&format!("checking \"{table}\""), &e))
        .unwrap_or_else(|e| e.report())
}

/// Check one table of a data_only load into `schema`. `specs`: every loaded table (the
/// parents of its foreign keys, when loaded too).
pub fn check_table(conn: &SqliteConnection, schema: &str, spec: &TableSpec, specs: &[TableSpec], without_rowid: bool, opts: &MigrateOptions) -> TableCheck {
    let mut check = TableCheck::default();
    let Some(relid) = crate::pg_columns::relation_oid(schema, &spec.target) else { return check };
    let (columns, uniques, foreign) = target_catalog(relid);
    let rowid = (!without_rowid).then_some("rowid");
    let source_of = |target: &str| spec.columns.iter().find(|c| c.target == target && c.generated.is_none()).map(|c| c.source.clone());

    // Columns on one side only, and the pairs.
    let target_only: Vec<&TargetColumn> = columns.iter().filter(|c| source_of(&c.name).is_none()).collect();
    for c in &target_only {
        if c.not_null && !c.has_default {
            check.findings.push(Finding {
                what: format!("target column \"{}\" is NOT NULL without a default and SQLite has no such column: every row would fail", c.name),
                rows: crate::migrate::function::sqlite_rows(conn, &spec.source),
                example: None,
                handled: Handled::No,
            });
        }
    }
    if !target_only.is_empty() {
        check.lines.push(format!("only in the target (its defaults apply): {}", target_only.iter().map(|c| format!("\"{}\"", c.name)).collect::<Vec<_>>().join(", ")));
    }
    let pairs: Vec<String> = spec
        .loaded_columns()
        .map(|c| {
            let rule = c.options.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
            format!("\"{}\" → {}{}", c.source, c.pg_type, if rule.is_empty() { String::new() } else { format!(" ({rule})") })
        })
        .collect();
    check.lines.push(format!("columns: {}", pairs.join(", ")));

    // Rows already there.
    if opts.truncate == Truncate::No {
        let present = Spi::get_one::<i64>(&format!("SELECT pg_catalog.count(*) FROM {}", qualified(schema, &spec.target))).ok().flatten().unwrap_or(0);
        if present > 0 {
            check.lines.push(format!(
                "{present} rows already in the target ({}; a row with the same key is {})",
                "truncate empties them first",
                match opts.on_conflict {
                    OnConflict::Error => "an error: on_conflict skip or update handles it",
                    OnConflict::Skip => "skipped",
                    OnConflict::Update => "updated",
                }
            ));
        }
    }

    // Values the target's types do not take, and text over varchar(n).
    let mut wanted: Vec<(String, Needs, &TargetColumn)> = Vec::new();
    for c in &columns {
        if let (Some(source), Some(r)) = (source_of(&c.name), read_as(&c.pg_type)) {
            // numeric(p,s) without a rounding option: values it would round or overflow
            let rounds = spec.columns.iter().any(|sc| sc.target == c.name && sc.options.iter().any(|(k, _)| k == "numeric_rounding"));
            let fits = numeric_precision_scale(&c.pg_type).filter(|_| !rounds);
            wanted.push((source, Needs { read_as: Some(r), numeric_fits: fits, ..Default::default() }, c));
        }
    }
    if !wanted.is_empty() {
        let needs: Vec<(String, Needs)> = wanted.iter().map(|(s, n, _)| (s.clone(), *n)).collect();
        let holds = survey(conn.db(), &spec.source, &needs, rowid).map_err(|e| conn.sqlite_error(&format!("checking \"{}\"", spec.source), &e)).unwrap_or_else(|e| e.report());
        for ((source, _, c), h) in wanted.iter().zip(holds) {
            if h.not_fitting > 0 {
                let (at, value) = h.not_fitting_example.clone().unwrap_or_default();
                check.findings.push(Finding {
                    what: format!("column \"{source}\": numbers {} would round or cannot hold (e.g. {value}; the column option numeric_rounding, or {{\"numeric_rounding\": \"half_even\"}}, rounds them on purpose)", c.pg_type),
                    rows: h.not_fitting,
                    example: Some(at).filter(|_| rowid.is_some()),
                    handled: Handled::ByReject,
                });
            }
            if h.unreadable > 0 {
                let (at, value) = h.unreadable_example.clone().unwrap_or_default();
                check.findings.push(Finding {
                    what: format!("column \"{source}\": values that do not convert to {} (e.g. {value})", c.pg_type),
                    rows: h.unreadable,
                    example: Some(at).filter(|_| rowid.is_some()),
                    handled: Handled::ByReject,
                });
            }
        }
    }
    for c in &columns {
        let Some(source) = source_of(&c.name) else { continue };
        let col = sqlite_ident(&source);
        if c.not_null {
            let (rows, example) = count_where(conn, &spec.source, rowid, &format!("{col} IS NULL"));
            if rows > 0 {
                check.findings.push(Finding { what: format!("column \"{source}\": NULL into NOT NULL \"{}\"", c.name), rows, example, handled: Handled::ByReject });
            }
        }
        if let Some(n) = varchar_length(&c.pg_type) {
            let (rows, example) = count_where(conn, &spec.source, rowid, &format!("typeof({col}) = 'text' AND length({col}) > {n}"));
            if rows > 0 {
                check.findings.push(Finding { what: format!("column \"{source}\": text longer than {} holds", c.pg_type), rows, example, handled: Handled::ByReject });
            }
        }
        if let Some((lo, hi)) = integer_bounds(&c.pg_type) {
            let (rows, example) = count_where(conn, &spec.source, rowid, &format!("typeof({col}) = 'integer' AND ({col} < {lo} OR {col} > {hi})"));
            if rows > 0 {
                check.findings.push(Finding { what: format!("column \"{source}\": integers out of range for {}", c.pg_type), rows, example, handled: Handled::ByReject });
            }
        }
    }

    // Duplicates of the target's unique keys (SQLite may not enforce them).
    for key in &uniques {
        let Some(sources) = key.columns.iter().map(|c| source_of(c)).collect::<Option<Vec<_>>>() else { continue };
        let cols: Vec<String> = sources.iter().map(|s| sqlite_ident(s)).collect();
        let example = rowid.map_or("NULL".to_string(), |r| format!("max({r})"));
        let sql = format!(
            "SELECT coalesce(sum(n - 1), 0), min(r) FROM (SELECT count(*) AS n, {example} AS r FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1)",
            sqlite_ident(&spec.source),
            cols.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND "),
            cols.join(", ")
        );
        let (rows, example) = rows_and_example(conn, &spec.source, &sql);
        if rows > 0 {
            check.findings.push(Finding {
                what: format!("duplicates of the target's unique key {} ({})", key.name, sources.join(", ")),
                rows,
                example,
                handled: Handled::ByRejectOrSkip,
            });
        }
    }

    // Orphans of the target's foreign keys, where the referenced table is loaded too.
    for fk in &foreign {
        let Some((ref_schema, ref_table, ref_columns)) = &fk.references else { continue };
        let Some(parent) = specs.iter().find(|s| ref_schema == schema && &s.target == ref_table) else { continue };
        let Some(child_cols) = fk.columns.iter().map(|c| source_of(c)).collect::<Option<Vec<_>>>() else { continue };
        let Some(parent_cols) =
            ref_columns.iter().map(|c| parent.columns.iter().find(|p| &p.target == c).map(|p| p.source.clone())).collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let child_ref = |c: &String| format!("c.{}", sqlite_ident(c));
        let matches: Vec<String> = child_cols.iter().zip(&parent_cols).map(|(c, p)| format!("p.{} = {}", sqlite_ident(p), child_ref(c))).collect();
        let not_null: Vec<String> = child_cols.iter().map(|c| format!("{} IS NOT NULL", child_ref(c))).collect();
        let example = rowid.map_or("NULL".to_string(), |_| "min(c.rowid)".to_string());
        let sql = format!(
            "SELECT count(*), {example} FROM {} AS c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
            sqlite_ident(&spec.source),
            not_null.join(" AND "),
            sqlite_ident(&parent.source),
            matches.join(" AND ")
        );
        let (rows, example) = rows_and_example(conn, &spec.source, &sql);
        if rows > 0 {
            check.findings.push(Finding {
                what: format!("rows referencing no row of \"{}\" ({}) by the target's foreign key {} (SQLite does not enforce it)", parent.source, parent_cols.join(", "), fk.name),
                rows,
                example,
                handled: Handled::ByReject,
            });
        }
    }
    check
}

/// Why migrate will not start, with the options that handle each stopping finding.
pub fn refusal(checks: &[(String, TableCheck)], opts: &MigrateOptions) -> Option<String> {
    let mut lines = Vec::new();
    for (table, check) in checks {
        for f in check.findings.iter().filter(|f| f.stops(opts)) {
            let remedy = match f.handled {
                Handled::ByReject => "{\"on_error\": \"reject\"} files these rows in liteport.rejects",
                Handled::ByRejectOrSkip => "{\"on_error\": \"reject\"} files the later rows of each key in liteport.rejects, {\"on_conflict\": \"skip\"} leaves them out",
                _ => "change the target or the data, or leave the table out (\"exclude\")",
            };
            lines.push(format!("{table}: {} ({remedy})", f.text()));
        }
    }
    (!lines.is_empty()).then(|| lines.join("; "))
}
