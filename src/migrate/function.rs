//! `liteport.plan` and `liteport.migrate`: build the steps from the SQLite catalog
//! (one snapshot of the file for the whole transaction) and show or run them.

use super::ddl::{self, qualified, ExistingColumn, TableSpec};
use super::options::{MigrateOptions, OnConflict, OnError, Truncate};
use super::plan::{build_steps, selected_tables, Step};
use super::rejects;
use crate::error::{LiteportError, OrReport};
use crate::fdw::server::open_server;
use crate::sqlite::catalog::{read_catalog, TableInfo};
use crate::sqlite::connection::SqliteConnection;
use crate::sqlite::schema::Relation;
use crate::types::declared::TypesMode;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::rc::Rc;
use std::time::Instant;

/// A migration worked out: the source, the target tables and the steps.
pub struct Prepared {
    pub conn: Rc<SqliteConnection>,
    pub specs: Vec<TableSpec>,
    pub steps: Vec<Step>,
    pub opts: MigrateOptions,
    /// data_only: each table's data check (target name, findings).
    pub checks: Vec<(String, super::check::TableCheck)>,
}

/// The columns of an existing table `schema.table`, or None when there is no such table.
pub fn existing_columns(schema: &str, table: &str) -> Option<Vec<ExistingColumn>> {
    let relid = crate::pg_columns::relation_oid(schema, table)?;
    let columns = crate::pg_columns::relation_columns(relid)
        .into_iter()
        .map(|c| ExistingColumn { name: c.name, pg_type: c.pg_type, generated: c.generated })
        .collect::<Vec<_>>();
    (!columns.is_empty()).then_some(columns)
}

/// An existing table's primary key columns, and its columns that own a sequence
/// (serial or identity).
fn keys_and_sequences(schema: &str, table: &str) -> (Vec<String>, Vec<String>) {
    let Some(relid) = crate::pg_columns::relation_oid(schema, table) else { return (vec![], vec![]) };
    Spi::connect(|c| {
        let key = c
            .select(
                "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a \
                 ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey) \
                 WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)",
                None,
                &[relid.into()],
            )?
            .map(|r| r.get::<String>(1).map(|n| n.unwrap_or_default()))
            .collect::<Result<Vec<_>, _>>()?;
        let sequences = c
            .select(
                "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 \
                 AND NOT a.attisdropped AND pg_catalog.pg_get_serial_sequence($1::pg_catalog.regclass::pg_catalog.text, a.attname) IS NOT NULL ORDER BY a.attnum",
                None,
                &[relid.into()],
            )?
            .map(|r| r.get::<String>(1).map(|n| n.unwrap_or_default()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, pgrx::spi::Error>((key, sequences))
    })
    .unwrap_or_else(|e| panic!("reading the keys of {table}: {e}"))
}

/// `truncate: true` empties exactly the loaded tables: a table outside the migration
/// that references one of them would make TRUNCATE fail (or, with CASCADE, empty it
/// too), so that is refused here, naming both, with the options that decide it.
fn refuse_truncate_of_referenced(schema: &str, specs: &[TableSpec]) {
    let targets: Vec<String> = specs.iter().map(|s| qualified(schema, &s.target)).collect();
    let found = Spi::connect(|c| {
        let rows = c.select(
            "SELECT c.conrelid::pg_catalog.regclass::pg_catalog.text, c.confrelid::pg_catalog.regclass::pg_catalog.text, c.conname::pg_catalog.text \
             FROM pg_catalog.pg_constraint c WHERE c.contype OPERATOR(pg_catalog.=) 'f' \
             AND c.confrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.regclass[]) AND NOT c.conrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.regclass[]) \
             ORDER BY 1, 2 LIMIT 1",
            None,
            &[targets.clone().into()],
        )?;
        let mut found = None;
        for r in rows {
            found = Some((r.get::<String>(1)?.unwrap_or_default(), r.get::<String>(2)?.unwrap_or_default(), r.get::<String>(3)?.unwrap_or_default()));
        }
        Ok::<_, pgrx::spi::Error>(found)
    })
    .unwrap_or_else(|e| panic!("reading foreign keys: {e}"));
    if let Some((referencing, referenced, constraint)) = found {
        LiteportError::InvalidArgument {
            what: format!(
                "truncate: {referencing}, which this migration does not load, references {referenced} (foreign key {constraint}), so emptying {referenced} would fail: \
                 add it to the migration (\"tables\"), or pass {{\"truncate\": \"cascade\"}} to empty {referencing} too"
            ),
        }
        .report();
    }
}

/// The current role must be able to create tables in `schema` (Postgres's own
/// privilege error otherwise, before anything else is looked at).
fn require_create_on_schema(schema: &str) {
    let c_schema = std::ffi::CString::new(schema).expect("a schema name holds no NUL byte");
    unsafe {
        let oid = pg_sys::get_namespace_oid(c_schema.as_ptr(), false);
        let result = crate::pg_compat::schema_create(oid);
        if result != pg_sys::AclResult::ACLCHECK_OK {
            pg_sys::aclcheck_error(result, pg_sys::ObjectType::OBJECT_SCHEMA, c_schema.as_ptr());
        }
    }
}

/// The names of the relations in `schema` (none if it does not exist).
fn schema_relations(schema: &str) -> std::collections::HashSet<String> {
    Spi::connect(|c| {
        c.select(
            "SELECT c.relname::pg_catalog.text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
             WHERE n.nspname OPERATOR(pg_catalog.=) $1",
            None,
            &[schema.into()],
        )
        .map(|rows| rows.filter_map(|r| r.get::<String>(1).ok().flatten()).collect())
    })
    .unwrap_or_else(|e| panic!("listing the relations of schema {schema}: {e}"))
}

/// Each column's type for a new target table: the declaration's mapping, refined by
/// what the column holds (survey) so that every value fits exactly, and by the
/// conventions of the program that wrote the file.
/// `keep_declared`: on_error 'reject' — a value the declared type does not read is
/// rejected rather than widening the column's type.
/// What each column of a table to create becomes, from its declaration and a survey
/// of what it holds. `keep_declared` (reject mode): values the declared type does not
/// read are rejected, so the survey does not look for them. `defer_reads`: it does not
/// look for them either, and returns each such check for the load to make instead (a
/// value that fails it there makes migrate survey and start again, so the types are
/// always the ones this survey would choose).
fn column_choices(
    conn: &SqliteConnection,
    info: &TableInfo,
    mode: TypesMode,
    geometry_columns: &[crate::sqlite::geopackage::GeometryColumn],
    keep_declared: bool,
    defer_reads: bool,
) -> (Vec<ddl::ColumnChoice>, Vec<(String, crate::profile::survey::ReadAs)>) {
    use crate::profile::survey::{choose, json_valid_check, needs, zero_one_check, Hints};
    let writer = conn.writer();
    let hints: Vec<Hints> = info
        .columns
        .iter()
        .map(|c| {
            let about = |f: fn(&[crate::sqlite::sql_text::Token]) -> Option<String>| info.checks.iter().any(|k| f(&k.expr).is_some_and(|col| col.eq_ignore_ascii_case(&c.column.name)));
            Hints {
                zero_one_check: about(zero_one_check),
                json_check: about(json_valid_check),
                geometry: geometry_columns.iter().any(|g| g.is(&info.name, &c.column.name)),
            }
        })
        .collect();
    let mut deferred = Vec::new();
    let wanted: Vec<(String, crate::profile::survey::Needs)> = info
        .columns
        .iter()
        .zip(&hints)
        .map(|(c, h)| {
            let mut n = needs(&c.column.declared_type, mode, *h);
            if keep_declared {
                n.read_as = None;
            } else if let Some(read_as) = n.read_as.take_if(|_| defer_reads) {
                deferred.push((c.column.name.clone(), read_as));
            }
            (c.column.name.clone(), n)
        })
        .collect();
    let surveyed: Vec<(String, crate::profile::survey::Needs)> = wanted.iter().filter(|(_, n)| n.any()).cloned().collect();
    let rowid = info.rowid_alias_column().map(|c| format!("\"{}\"", c.column.name.replace('"', "\"\""))).or_else(|| (info.kind == crate::sqlite::schema::RelationKind::Table).then(|| "rowid".into()));
    let postgis = if geometry_columns.is_empty() { None } else { crate::pg_columns::postgis_geometry() };
    let read_by_rule: Vec<&str> = surveyed.iter().filter(|(_, n)| n.read_as.is_some()).map(|(c, _)| c.as_str()).collect();
    if !read_by_rule.is_empty() {
        pgrx::debug1!("liteport: surveying every value of \"{}\" (columns {})", info.name, read_by_rule.join(", "));
    }
    let holds = if surveyed.is_empty() {
        vec![]
    } else {
        crate::profile::survey::survey(conn.db(), &info.name, &surveyed, rowid.as_deref()).map_err(|e| conn.sqlite_error(&format!("surveying \"{}\"", info.name), &e)).or_report()
    };
    let choices = info
        .columns
        .iter()
        .zip(&hints)
        .map(|(c, h)| {
            let declared = &c.column.declared_type;
            let base = if mode == TypesMode::Text { crate::types::declared::raw_type_for(declared) } else { crate::types::declared::postgres_type_for(declared) };
            let held = surveyed.iter().position(|(n, _)| n == &c.column.name).map(|k| holds[k].clone()).unwrap_or_default();
            let mut held = held;
            if keep_declared {
                held.unreadable = 0;
            }
            let choice = choose(&c.column.name, declared, &base, mode, *h, &held);
            let mut options = convention_options(writer, declared, mode);
            // A GeoPackage geometry into PostGIS, when this database has it.
            if let (true, Some(geometry), Some(g)) = (h.geometry && mode != TypesMode::Text, postgis.as_deref(), geometry_columns.iter().find(|g| g.is(&info.name, &c.column.name))) {
                options.push(("srid".to_string(), g.srid.to_string()));
                let pg_type = g.postgis_type(geometry);
                let note = Some(format!("column \"{}\": GeoPackage geometry into PostGIS {pg_type}", c.column.name));
                return ddl::ColumnChoice { pg_type, options, note, replaces_check: false };
            }
            ddl::ColumnChoice { pg_type: choice.pg_type, options, note: choice.note, replaces_check: choice.replaces_check }
        })
        .collect();
    (choices, deferred)
}

/// The conversion options a column gets from the conventions of the program that
/// wrote the file, whatever the target (a new table or the application's own).
fn convention_options(writer: Option<crate::sqlite::writer::Writer>, declared: &str, mode: TypesMode) -> Vec<(String, String)> {
    if mode == TypesMode::Text {
        return vec![];
    }
    writer.map(|w| w.column_options(declared)).unwrap_or_default()
}

/// Loading into existing tables: only the conventions' options (the types are the target's).
fn convention_choices(conn: &SqliteConnection, info: &TableInfo, mode: TypesMode, geometry_columns: &[crate::sqlite::geopackage::GeometryColumn]) -> Vec<ddl::ColumnChoice> {
    let writer = conn.writer();
    info.columns
        .iter()
        .map(|c| {
            let mut options = convention_options(writer, &c.column.declared_type, mode);
            if let Some(g) = geometry_columns.iter().find(|g| g.is(&info.name, &c.column.name)) {
                options.push(("srid".to_string(), g.srid.to_string()));
            }
            ddl::ColumnChoice { options, ..Default::default() }
        })
        .collect()
}

/// Read the catalog and build every table spec and step. `into_existing`: the target
/// tables exist (data_only, verify); their column types are used. `defer_reads`: a
/// table that takes the bulk path leaves the survey's reads of every value to its
/// load (`TableSpec::deferred_checks`); only liteport.migrate, which starts again
/// with a full survey when one fails, asks for it.
pub fn prepare(server: &str, schema: &str, options: &JsonB, into_existing: bool, defer_reads: bool) -> Prepared {
    let opts = MigrateOptions::parse(&options.0.to_string()).or_report();
    crate::pg_compat::refresh_nocase();
    let conn = open_server(server);
    let catalog = read_catalog(conn.db()).map_err(|e| conn.sqlite_error("reading the schema", &e)).or_report();
    for listed in opts.tables.iter().flatten() {
        if !catalog.tables.iter().any(|t| t.name.eq_ignore_ascii_case(listed)) {
            LiteportError::TableNotFound { server: server.into(), table: listed.clone() }.report();
        }
    }
    let selected: Vec<&TableInfo> = selected_tables(&catalog, &opts);
    let geometry_columns = crate::sqlite::geopackage::geometry_columns(&conn);
    let mut specs = Vec::new();
    let creating = !into_existing && !opts.data_only;
    for info in &selected {
        // Only the bulk path checks values as it loads, and only a table this migration
        // creates without generated columns takes it (`bulk::unsuitable`): every other
        // table is surveyed first.
        let defer = defer_reads
            && creating
            && opts.bulk
            && !opts.schema_only
            && opts.on_error == OnError::Abort
            && info.columns.iter().all(|c| !c.column.generated);
        let mut deferred = Vec::new();
        let suggested: Option<Vec<ddl::ColumnChoice>> = match opts.types {
            TypesMode::Inferred => {
                let relation = Relation { name: info.name.clone(), kind: info.kind, strict: false };
                Some(
                    crate::profile::function::profile_relation(&conn, &relation)
                        .or_report()
                        .into_iter()
                        .map(|p| ddl::ColumnChoice { pg_type: p.suggestion.pg_type, options: p.suggestion.options, ..Default::default() })
                        .collect(),
                )
            }
            _ if creating => {
                let (choices, checks) = column_choices(&conn, info, opts.types, &geometry_columns, opts.on_error == OnError::Reject, defer);
                deferred = checks;
                Some(choices)
            }
            _ => Some(convention_choices(&conn, info, opts.types, &geometry_columns)),
        };
        let existing = if into_existing || opts.data_only {
            let target = opts.target_name(&info.name);
            match existing_columns(schema, &target) {
                Some(cols) => Some(cols),
                None if opts.data_only => LiteportError::InvalidArgument {
                    what: format!("data_only: target table {} does not exist", qualified(schema, &target)),
                }
                .report(),
                None => Some(vec![]),
            }
        } else {
            None
        };
        let mut spec = ddl::table_spec(info, &opts, suggested.as_deref(), existing.as_deref(), &selected, schema);
        if let Some(rounding) = opts.numeric_rounding {
            for c in spec.columns.iter_mut().filter(|c| c.pg_type.starts_with("numeric(")) {
                c.options.retain(|(k, _)| k != "numeric_rounding");
                c.options.push(("numeric_rounding".to_string(), rounding.name().to_string()));
                spec.notes.push(format!("column \"{}\": values with more digits after the point than {} holds are rounded ({}, as asked)", c.source, c.pg_type, rounding.name()));
            }
        }
        debug_assert!(deferred.is_empty() || super::bulk::unsuitable(&spec, true).is_none());
        spec.deferred_checks = deferred;
        specs.push(spec);
    }
    let existing = schema_relations(schema);
    if !into_existing && !opts.data_only && !opts.drop_existing {
        if let Some(spec) = specs.iter().find(|s| existing.contains(&s.target)) {
            LiteportError::AlreadyExists {
                what: format!("relation {} already exists", qualified(schema, &spec.target)),
                hint: "Pass {\"drop_existing\": true} to replace the tables, {\"data_only\": true} to load into them, or \"exclude\" to leave them out.".into(),
            }
            .report();
        }
    }
    super::names::check_and_assign(&mut specs, &existing).or_report();
    if into_existing || opts.data_only {
        for spec in specs.iter_mut() {
            let (key, sequences) = keys_and_sequences(schema, &spec.target);
            spec.key_columns = key;
            spec.sequence_columns = sequences.into_iter().filter(|c| spec.loaded_columns().any(|l| &l.target == c)).collect();
        }
        if opts.data_only && opts.on_conflict == OnConflict::Update {
            if let Some(spec) = specs.iter().find(|s| s.key_columns.is_empty()) {
                LiteportError::InvalidArgument { what: format!("on_conflict \"update\": {} has no primary key to match rows by", qualified(schema, &spec.target)) }.report();
            }
        }
        if opts.data_only && opts.truncate == Truncate::Loaded {
            refuse_truncate_of_referenced(schema, &specs);
        }
        if opts.data_only && opts.on_error == OnError::Reject {
            let references: Vec<_> = specs.iter().map(|s| super::check::target_references(schema, s, &specs)).collect();
            for (spec, r) in specs.iter_mut().zip(references) {
                spec.target_references = r;
                let (not_null, unique) = super::check::target_not_null_and_unique(schema, spec);
                spec.target_not_null = not_null;
                spec.target_unique = unique;
            }
        }
    }
    let others: Vec<_> = catalog
        .others
        .iter()
        .filter(|o| opts.includes(&o.name) || (o.kind == "trigger" && opts.includes(&o.table)))
        .cloned()
        .collect();
    let mut steps = build_steps(&specs, &others, &opts, schema, server);
    // For running the steps by hand: every name in them is qualified, and this makes
    // sure of it in the session that runs them.
    // Loading into an existing schema: what the data will meet there, per table.
    let mut checks = Vec::new();
    if opts.data_only && !into_existing {
        for (i, spec) in specs.iter().enumerate() {
            let without_rowid = selected.iter().find(|t| t.name == spec.source).is_some_and(|t| t.kind != crate::sqlite::schema::RelationKind::Table);
            let check = super::check::check_table(&conn, schema, spec, &specs, without_rowid, &opts);
            let summary = check.summary();
            let position = steps.iter().position(|s| s.kind == "create staging" && s.table == Some(i)).unwrap_or(steps.len());
            steps.insert(position, super::plan::Step {
                kind: "data check",
                object: spec.target.clone(),
                sql: crate::sql_names::comment_lines(&summary),
                note: Some(summary),
                table: Some(i),
            });
            checks.push((qualified(schema, &spec.target), check));
        }
    }
    steps.insert(0, super::plan::Step { kind: "settings", object: String::new(), sql: "SET search_path = pg_catalog, pg_temp".into(), note: Some("for running these steps by hand (liteport.migrate runs with it already)".into()), table: None });
    if let Some((writer, evidence)) = conn.writer_and_evidence() {
        steps.insert(1, super::plan::Step {
            kind: "source",
            object: server.to_string(),
            sql: format!("-- written by {} (found {evidence})", writer.name()),
            note: Some(format!("conventions applied: {}", writer.conventions())),
            table: None,
        });
    }
    Prepared { conn, specs, steps, opts, checks }
}

/// The steps liteport.migrate would run, in order, without running anything: the
/// DDL, the loads, the key and index builds, and a row for everything that does not
/// translate (views, triggers, untranslatable CHECKs ...) with the reason.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn plan(
    server: &str,
    target_schema: default!(&str, "'public'"),
    options: default!(JsonB, "'{}'"),
) -> TableIterator<'static, (name!(step, i32), name!(kind, String), name!(object, String), name!(sql, String), name!(note, Option<String>))> {
    crate::settings::with_fixed_settings(|| {
        let prepared = prepare(server, target_schema, &options, false, false);
        let rows: Vec<_> = prepared
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, s)| (i as i32 + 1, s.kind.to_string(), s.object, s.sql, s.note))
            .collect();
        TableIterator::new(rows)
    })
}

/// Run SQL in a subtransaction; on an ERROR return (SQLSTATE, message).
fn run_in_subtransaction(sql: &str) -> Result<(), (String, String)> {
    let sql = sql.to_string();
    crate::subtransaction::run(move || Spi::run(&sql).unwrap_or_else(|e| panic!("{e}")))
}

/// A constraint step: created, or created NOT VALID when existing rows violate it
/// (SQLite does not enforce foreign keys unless the application asked it to; new rows
/// are still checked), or skipped with a warning when Postgres refuses it.
fn run_constraint(step: &Step) -> Option<String> {
    let Err((state, message)) = run_in_subtransaction(&step.sql) else {
        return None;
    };
    let violated = matches!(state.as_str(), "23503" | "23514");
    if violated && step.sql.starts_with("ALTER TABLE") && run_in_subtransaction(&format!("{} NOT VALID", step.sql)).is_ok() {
        let warning = format!("{} {}: existing rows violate it ({message}); added NOT VALID, so only new rows are checked", step.kind, step.object);
        pgrx::warning!("liteport: {warning}");
        return Some(warning);
    }
    let warning = format!("{} {} not created: {message} (SQLSTATE {state})", step.kind, step.object);
    pgrx::warning!("liteport: {warning}");
    Some(warning)
}

/// Run one load step: (rows inserted, rows updated). A duplicate key gets a hint at
/// the options that handle rows the target already has (an ORM's own migrations insert
/// some: Django's content types and permissions).
fn run_load(sql: &str, on_conflict: OnConflict, target: &str) -> (i64, i64) {
    let target = target.to_string();
    PgTryBuilder::new(|| {
        Spi::connect_mut(|c| {
            let result = c.update(sql, None, &[])?;
            if on_conflict == OnConflict::Error {
                return Ok::<_, pgrx::spi::Error>((result.len() as i64, 0));
            }
            let row = result.first();
            Ok((row.get::<i64>(1)?.unwrap_or(0), row.get::<i64>(2)?.unwrap_or(0)))
        })
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    })
    .catch_others(move |e| match e {
        pg_sys::panic::CaughtError::PostgresError(report) if report.sql_error_code() == PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION => {
            let mut again = pg_sys::panic::ErrorReport::new(report.sql_error_code(), report.message().to_string(), "liteport");
            if let Some(detail) = report.detail() {
                again = again.set_detail(detail.to_string());
            }
            again = again.set_hint(format!(
                "{target} already holds rows with these keys (an ORM's own migrations insert some). Pass {{\"truncate\": true}} to empty the loaded tables first, or {{\"on_conflict\": \"skip\"}} to keep the rows already there, or {{\"on_conflict\": \"update\"}} to overwrite them."
            ));
            again.report(PgLogLevel::ERROR);
            unreachable!("an ERROR report does not return")
        }
        other => other.rethrow(),
    })
    .execute()
}

/// Rows of a SQLite table (for the rows on_conflict skipped).
pub fn sqlite_rows(conn: &SqliteConnection, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {}", crate::fdw::deparse::sqlite_ident(table));
    conn.db().query_row(&sql, [], |r| r.get::<_, i64>(0)).map_err(|e| conn.sqlite_error(&format!("counting \"{table}\""), &e)).or_report()
}

/// Run the migration in the current transaction (all or nothing, one SQLite
/// snapshot) and return one row per table. A NOTICE reports each table as it finishes.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn migrate(
    server: &str,
    target_schema: default!(&str, "'public'"),
    options: default!(JsonB, "'{}'"),
) -> TableIterator<
    'static,
    (name!(table_name, String), name!(rows_copied, i64), name!(rows_rejected, i64), name!(seconds, f64), name!(status, String)),
> {
    crate::settings::with_fixed_settings(|| {
        require_create_on_schema(target_schema);
        let prepared = prepare(server, target_schema, &options, false, true);
        if let Some(why) = super::check::refusal(&prepared.checks, &prepared.opts) {
            LiteportError::WouldFail { what: why }.report();
        }
        let rows = if prepared.specs.iter().any(|s| !s.deferred_checks.is_empty()) {
            // The loads check the values a survey would have read first; if one fails,
            // all of this is rolled back and the migration runs again on a full survey
            // (the same SQLite snapshot: the connection's read outlives the rollback).
            match crate::subtransaction::attempt(|| run_steps(&prepared, target_schema)) {
                Some(rows) => rows,
                None => {
                    drop(prepared);
                    let prepared = prepare(server, target_schema, &options, false, false);
                    run_steps(&prepared, target_schema).expect("no check is left to the loads")
                }
            }
        } else {
            run_steps(&prepared, target_schema).expect("no check is left to the loads")
        };
        TableIterator::new(rows)
    })
}

/// One row of liteport.migrate's result.
type MigratedTable = (String, i64, i64, f64, String);

/// Run the prepared steps in the current transaction; a NOTICE reports each table as
/// it finishes. None: a load found a value failing one of its deferred checks (what
/// ran before it is still in the transaction: the caller rolls it back).
fn run_steps(prepared: &Prepared, target_schema: &str) -> Option<Vec<MigratedTable>> {
    let n = prepared.specs.len();
    let mut copied = vec![0i64; n];
    let mut rejected = vec![0i64; n];
    let mut seconds = vec![0f64; n];
    let mut warnings: Vec<Vec<String>> = vec![vec![]; n];
    let mut untranslated = vec![0usize; n];
    let mut updated_rows = vec![0i64; n];
    let mut source_rows = vec![0i64; n];
    // A load replaces earlier rejects of its targets (before any step files new
    // ones): liteport.rejects holds what the last load of each table left out.
    if prepared.opts.on_error == OnError::Reject && !prepared.opts.schema_only {
        for spec in &prepared.specs {
            rejects::clear_for(&qualified(target_schema, &spec.target));
        }
    }
    for (number, step) in prepared.steps.iter().enumerate() {
        let context = format!("liteport.migrate step {} ({} {})", number + 1, step.kind, crate::sql_names::visible(&step.object));
        let _context = crate::error::ContextScope::push(&context);
        if step.kind == "settings" || step.kind == "data check" {
            continue;
        }
        // Where a migration's time goes, for whoever sets client_min_messages = debug1.
        let step_started = Instant::now();
        if step.is_report() {
            if let Some(t) = step.table {
                untranslated[t] += 1;
            }
            continue;
        }
        match step.kind {
            "load" => {
                let t = step.table.expect("a load belongs to a table");
                let target = qualified(target_schema, &prepared.specs[t].target);
                let started = Instant::now();
                let bulk = prepared.opts.bulk && !prepared.opts.data_only && super::bulk::unsuitable(&prepared.specs[t], true).is_none();
                let (inserted, updated) = if bulk {
                    let table_options: Vec<(String, String)> = prepared.opts.timezone.iter().map(|z| ("timezone".to_string(), z.clone())).collect();
                    let reject_target = (prepared.opts.on_error == OnError::Reject).then(|| target.clone());
                    match super::bulk::load(&prepared.conn, &prepared.specs[t], target_schema, &table_options, reject_target, prepared.opts.freeze) {
                        Ok(counts) => counts,
                        Err(LiteportError::DeclaredTypeUnreadable { table, column }) => {
                            pgrx::notice!("liteport: \"{table}\".\"{column}\" holds a value its declared type does not read: surveying every value to choose the types and starting again");
                            return None;
                        }
                        Err(e) => e.report(),
                    }
                } else {
                    run_load(&step.sql, prepared.opts.on_conflict, &target)
                };
                copied[t] = inserted + updated;
                updated_rows[t] = updated;
                if prepared.opts.on_conflict == OnConflict::Skip {
                    source_rows[t] = sqlite_rows(&prepared.conn, &prepared.specs[t].source);
                }
                seconds[t] = started.elapsed().as_secs_f64();
                rejected[t] = if prepared.opts.on_error == OnError::Reject { rejects::count_for(&target) } else { 0 };
                let rejected_note = if rejected[t] > 0 { format!(", {} rejected (see liteport.rejects)", rejected[t]) } else { String::new() };
                pgrx::notice!("liteport: {target}: {} rows in {:.3} s{rejected_note}", copied[t], seconds[t]);
            }
            "reject dangling" => {
                // A reference to the table itself: until no row goes.
                let repeat = step.note.is_some();
                loop {
                    let gone = Spi::connect_mut(|c| c.update(step.sql.as_str(), None, &[]).map(|r| r.len())).unwrap_or_else(|e| panic!("{}: {e}", step.sql));
                    if !repeat || gone == 0 {
                        break;
                    }
                }
            }
            _ if step.is_guarded() => {
                if let Some(w) = run_constraint(step) {
                    warnings[step.table.expect("constraints belong to tables")].push(w);
                }
            }
            _ => Spi::run(&step.sql).unwrap_or_else(|e| panic!("{}: {e}", step.sql)),
        }
        pgrx::debug1!("{context}: {:.3} s", step_started.elapsed().as_secs_f64());
    }
    let rows: Vec<_> = prepared
        .specs
        .iter()
        .enumerate()
        .map(|(t, spec)| {
            let mut status = if prepared.opts.schema_only { "schema created".to_string() } else { "ok".to_string() };
            if rejected[t] > 0 {
                status.push_str(&format!(", {} rows rejected (see liteport.rejects)", rejected[t]));
            }
            match prepared.opts.on_conflict {
                OnConflict::Update if updated_rows[t] > 0 => status.push_str(&format!(", {} of them updated rows already there", updated_rows[t])),
                OnConflict::Skip if source_rows[t] > copied[t] + rejected[t] => {
                    status.push_str(&format!(", {} rows whose key was already there skipped", source_rows[t] - copied[t] - rejected[t]))
                }
                _ => {}
            }
            if untranslated[t] > 0 {
                status.push_str(&format!(", {} not translated (see liteport.plan)", untranslated[t]));
            }
            // Everything not kept as SQLite had it is named, not just counted.
            for note in spec.notes.iter().chain(&warnings[t]) {
                status.push_str(&format!("; {note}"));
            }
            (spec.target.clone(), copied[t], rejected[t], seconds[t], status)
        })
        .collect();
    Some(rows)
}
