//! `liteport.sync(foreign_table, target, key, watermark, options)`: one idempotent
//! re-sync run of a (foreign table, target) pair, by and for the calling role.
//!
//! The run locks its own row of liteport.sync_state (each role has its own state per
//! pair, so no other role can block or plant state for it), upserts the rows at or
//! above the last watermark plus every row whose watermark is NULL, deletes rows gone
//! from SQLite (option `deletes`, refused when the source looks emptied or replaced),
//! advances the watermark, and appends to liteport.sync_log. The run's work happens
//! in a subtransaction: if it fails, the target and the watermark stay as they were,
//! and the failure is logged and returned rather than raised, so the log row commits.
//!
//! Rows are never left out silently: a new watermark column, a watermark type that
//! changed, or a replaced source file each make the run read every row, and the run's
//! `note` says why.

use super::statements::{count_sql, delete_sql, upsert_sql, Reading, SyncSpec, Watermark};
use crate::error::{LiteportError, OrReport};
use crate::fdw::nodes::cstr_to_string;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::time::Instant;

struct SyncOptions {
    deletes: bool,
    wait: bool,
    /// Read every row this run (catches rows whose watermark went backwards).
    full: bool,
    /// The most a run may delete, as a share of the target's rows.
    max_delete_share: f64,
    /// Go on when the source file was replaced (`mv new.db app.db`).
    accept_new_source: bool,
}

fn parse_options(options: &JsonB) -> SyncOptions {
    let mut o = SyncOptions { deletes: false, wait: false, full: false, max_delete_share: 0.5, accept_new_source: false };
    let Some(map) = options.0.as_object() else {
        LiteportError::InvalidArgument { what: "sync options must be a JSON object".into() }.report()
    };
    for (name, value) in map {
        let flag = || value.as_bool().unwrap_or_else(|| LiteportError::InvalidArgument { what: format!("sync option \"{name}\" must be true or false") }.report());
        match name.as_str() {
            "deletes" => o.deletes = flag(),
            "wait" => o.wait = flag(),
            "full" => o.full = flag(),
            "accept_new_source" => o.accept_new_source = flag(),
            "max_delete_share" => {
                o.max_delete_share = value.as_f64().filter(|v| (0.0..=1.0).contains(v)).unwrap_or_else(|| {
                    LiteportError::InvalidArgument { what: "sync option \"max_delete_share\" must be a number from 0 to 1".into() }.report()
                })
            }
            _ => LiteportError::InvalidArgument {
                what: format!("unknown sync option \"{name}\" (valid: deletes, wait, full, max_delete_share, accept_new_source)"),
            }
            .report(),
        }
    }
    o
}

/// `"schema"."relation"` built from the OID (never from text that search_path could
/// resolve to another relation).
fn relation_name(oid: pg_sys::Oid) -> String {
    unsafe {
        let name = pg_sys::get_rel_name(oid);
        if name.is_null() {
            LiteportError::InvalidArgument { what: format!("relation {} does not exist", oid.to_u32()) }.report();
        }
        cstr_to_string(pg_sys::quote_qualified_identifier(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(oid)), name))
    }
}

/// `OPERATOR(schema.op)` of the type's own btree comparison `strategy` (3 is =, 4 is >=).
fn type_operator(typoid: pg_sys::Oid, strategy: u16, column: &str) -> String {
    let opno = unsafe {
        let cache = pg_sys::lookup_type_cache(typoid, pg_sys::TYPECACHE_BTREE_OPFAMILY as i32);
        if (*cache).btree_opf == pg_sys::Oid::INVALID {
            pg_sys::Oid::INVALID
        } else {
            pg_sys::get_opfamily_member((*cache).btree_opf, typoid, typoid, strategy as i16)
        }
    };
    if opno == pg_sys::Oid::INVALID {
        LiteportError::InvalidArgument { what: format!("column \"{column}\" has a type with no ordering (btree operator class): it cannot be a key or watermark") }.report();
    }
    let (schema, name) = Spi::get_two_with_args::<String, String>(
        "SELECT pg_catalog.quote_ident(n.nspname::pg_catalog.text), o.oprname::pg_catalog.text FROM pg_catalog.pg_operator o \
         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.oprnamespace WHERE o.oid OPERATOR(pg_catalog.=) $1",
        &[opno.into()],
    )
    .unwrap_or_else(|e| panic!("looking up operator {}: {e}", opno.to_u32()));
    format!("OPERATOR({}.{})", schema.unwrap_or_default(), name.unwrap_or_default())
}

/// What identifies the source: the SQLite file (device and inode) or the large object.
fn source_identity(foreign_table: pg_sys::Oid) -> String {
    use std::os::unix::fs::MetadataExt;
    let target = unsafe { crate::fdw::plan::ForeignTarget::load(foreign_table) }.or_report();
    match target.source.large_object {
        Some(oid) => format!("large object {oid}"),
        None => match std::fs::metadata(&target.source.database) {
            Ok(m) => format!("file {}:{}", m.dev(), m.ino()),
            Err(_) => format!("file {}", target.source.database),
        },
    }
}

/// The SQLite columns the foreign table reads that SQLite no longer has (the
/// application renamed or dropped them).
fn missing_source_columns(foreign_table: pg_sys::Oid) -> Vec<String> {
    let target = unsafe { crate::fdw::plan::ForeignTarget::load(foreign_table) }.or_report();
    let conn = target.connect().or_report();
    let Ok(Some(relation)) = crate::sqlite::schema::find_relation(conn.db(), &target.table) else {
        LiteportError::TableNotFound { server: target.source.server_name.clone(), table: target.table.clone() }.report()
    };
    let sqlite: Vec<String> = crate::sqlite::schema::columns(conn.db(), &relation.name)
        .map_err(|e| conn.columns_error(&relation.name, &e))
        .or_report()
        .into_iter()
        .map(|c| c.name)
        .collect();
    unsafe {
        let rel = pg_sys::table_open(foreign_table, pg_sys::AccessShareLock as i32);
        let tupdesc = (*rel).rd_att;
        let mut missing = Vec::new();
        for (i, attr) in crate::pg_compat::tupdesc_attrs(tupdesc).iter().enumerate() {
            if attr.attisdropped {
                continue;
            }
            let (name, _) = crate::fdw::plan::column_source(foreign_table, (i + 1) as i16, attr);
            if !sqlite.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                missing.push(name);
            }
        }
        pg_sys::table_close(rel, pg_sys::AccessShareLock as i32);
        missing
    }
}

/// This role's state for the pair, locked for this run. None: another run of this
/// role holds it (then `wait` false skips).
struct State {
    watermark_column: Option<String>,
    watermark_type: Option<pg_sys::Oid>,
    watermark: Option<String>,
    source_identity: Option<String>,
}

fn lock_state(foreign_table: pg_sys::Oid, target: pg_sys::Oid, wait: bool) -> Option<State> {
    const SELECT: &str = "SELECT watermark_column, watermark_type::pg_catalog.oid, watermark, source_identity FROM liteport.sync_state \
         WHERE owner OPERATOR(pg_catalog.=) CURRENT_USER AND foreign_table OPERATOR(pg_catalog.=) $1 AND target OPERATOR(pg_catalog.=) $2";
    let args = || vec![foreign_table.into(), target.into()];
    let lock = if wait { " FOR UPDATE" } else { " FOR UPDATE SKIP LOCKED" };
    let select = |sql: &str| -> Option<State> {
        Spi::connect(|c| {
            let rows = c.select(sql, None, &args())?;
            let row = rows.into_iter().next();
            Ok::<_, pgrx::spi::SpiError>(row.map(|r| State {
                watermark_column: r.get::<String>(1).ok().flatten(),
                watermark_type: r.get::<pg_sys::Oid>(2).ok().flatten(),
                watermark: r.get::<String>(3).ok().flatten(),
                source_identity: r.get::<String>(4).ok().flatten(),
            }))
        })
        .unwrap_or_else(|e| panic!("reading liteport.sync_state: {e}"))
    };
    if let Some(state) = select(&format!("{SELECT}{lock}")) {
        return Some(state);
    }
    // No row, or one another run of this role has locked.
    if select(SELECT).is_some() {
        return None;
    }
    // The first run of a pair creates the row. A concurrent first run waits on that
    // insert; without `wait` it gives up at once (lock_timeout) and is skipped.
    let insert = move || {
        Spi::run_with_args("INSERT INTO liteport.sync_state (foreign_table, target) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[foreign_table.into(), target.into()])
            .unwrap_or_else(|e| panic!("writing liteport.sync_state: {e}"))
    };
    if wait {
        insert();
    } else if crate::subtransaction::run(move || crate::settings::with_settings(&[("lock_timeout", "1")], insert)).is_err() {
        return None;
    }
    select(&format!("{SELECT}{lock}"))
}

/// The implementation behind `liteport.sync` (declared in sql/sync.sql with regclass
/// arguments and defaults).
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn sync_run(foreign_table: pg_sys::Oid, target: pg_sys::Oid, key: Option<Vec<String>>, watermark: Option<String>, options: JsonB) -> TableIterator<
    'static,
    (
        name!(status, String),
        name!(rows_inserted, i64),
        name!(rows_updated, i64),
        name!(rows_deleted, i64),
        name!(watermark_before, Option<String>),
        name!(watermark_after, Option<String>),
        name!(seconds, f64),
        name!(note, Option<String>),
    ),
> {
    crate::settings::with_fixed_settings(|| TableIterator::once(run(foreign_table, target, key, watermark, options)))
}

type RunRow = (String, i64, i64, i64, Option<String>, Option<String>, f64, Option<String>);

fn run(foreign_table: pg_sys::Oid, target: pg_sys::Oid, key: Option<Vec<String>>, watermark: Option<String>, options: JsonB) -> RunRow {
    let started = Instant::now();
    let opts = parse_options(&options);
    let source_name = relation_name(foreign_table);
    let target_name = relation_name(target);
    let is_liteport = Spi::get_one_with_args::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_table f JOIN pg_catalog.pg_foreign_server s ON s.oid OPERATOR(pg_catalog.=) f.ftserver \
         JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid OPERATOR(pg_catalog.=) s.srvfdw \
         WHERE f.ftrelid OPERATOR(pg_catalog.=) $1 AND w.fdwhandler OPERATOR(pg_catalog.=) 'liteport.liteport_fdw_handler()'::pg_catalog.regprocedure)",
        &[foreign_table.into()],
    )
    .unwrap_or(None)
    .unwrap_or(false);
    if !is_liteport {
        LiteportError::InvalidArgument { what: format!("{source_name} is not a liteport foreign table") }.report();
    }

    let log = |status: &str, counts: (i64, i64, i64), before: Option<&str>, after: Option<&str>, error: Option<&str>, note: Option<&str>| {
        Spi::run_with_args(
            "INSERT INTO liteport.sync_log (foreign_table, target, started_at, finished_at, rows_inserted, rows_updated, rows_deleted, \
             watermark_before, watermark_after, status, error, note) \
             VALUES ($1, $2, pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $3), pg_catalog.clock_timestamp(), \
             $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                foreign_table.into(),
                target.into(),
                started.elapsed().as_secs_f64().into(),
                counts.0.into(),
                counts.1.into(),
                counts.2.into(),
                before.map(str::to_string).into(),
                after.map(str::to_string).into(),
                status.into(),
                error.map(str::to_string).into(),
                note.map(str::to_string).into(),
            ],
        )
        .unwrap_or_else(|e| panic!("writing liteport.sync_log: {e}"));
    };
    let finish = |status: &str, counts: (i64, i64, i64), before: Option<String>, after: Option<String>, error: Option<String>, note: Option<String>| -> RunRow {
        log(status, counts, before.as_deref(), after.as_deref(), error.as_deref(), note.as_deref());
        (status.to_string(), counts.0, counts.1, counts.2, before, after, started.elapsed().as_secs_f64(), note.or(error))
    };

    // One run per role and pair at a time: the lock is this role's own state row.
    let Some(state) = lock_state(foreign_table, target, opts.wait) else {
        return finish("skipped", (0, 0, 0), None, None, None, Some("another run of this sync holds the lock".into()));
    };
    let before = state.watermark.clone();

    // The source must still have every column the foreign table reads: otherwise the
    // application renamed or dropped one, and copying would be wrong.
    let missing = missing_source_columns(foreign_table);
    if !missing.is_empty() {
        let error = format!(
            "the SQLite table no longer has column{} {} that {source_name} reads: the application's schema changed; adjust the foreign table",
            if missing.len() > 1 { "s" } else { "" },
            missing.iter().map(|m| format!("\"{}\"", crate::sql_names::visible(m))).collect::<Vec<_>>().join(", ")
        );
        pgrx::warning!("liteport.sync {source_name} → {target_name} not run: {error}");
        return finish("error", (0, 0, 0), before.clone(), before, Some(error), None);
    }

    // What is copied: the target's columns that the foreign table has; the key.
    let target_columns = crate::pg_columns::relation_columns(target);
    let source_columns = crate::pg_columns::relation_columns(foreign_table);
    let columns: Vec<String> = target_columns
        .iter()
        .filter(|t| !t.generated && source_columns.iter().any(|s| s.name == t.name))
        .map(|t| t.name.clone())
        .collect();
    let key = key.unwrap_or_else(|| {
        Spi::connect(|c| {
            c.select(
                "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a \
                 ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey) \
                 WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)",
                None,
                &[target.into()],
            )
            .map(|rows| rows.map(|r| r.get::<String>(1).ok().flatten().unwrap_or_default()).collect::<Vec<_>>())
        })
        .unwrap_or_default()
    });
    if key.is_empty() {
        LiteportError::InvalidArgument { what: format!("{target_name} has no primary key: pass the key columns (key => ARRAY['id'])") }.report();
    }
    let key: Vec<(String, String)> = key
        .iter()
        .map(|k| {
            if !columns.contains(k) {
                LiteportError::InvalidArgument { what: format!("key column \"{k}\" is not a column of both {source_name} and {target_name}") }.report();
            }
            let typoid = target_columns.iter().find(|c| &c.name == k).map(|c| c.typoid).expect("a key column is a target column");
            (k.clone(), type_operator(typoid, pg_sys::BTEqualStrategyNumber as u16, k))
        })
        .collect();
    let watermark = watermark.map(|w| match source_columns.iter().find(|c| c.name == w) {
        Some(c) => Watermark {
            column: c.name.clone(),
            sql_type: crate::sql_names::sql_type(&c.pg_type),
            greater_or_equal: type_operator(c.typoid, pg_sys::BTGreaterEqualStrategyNumber as u16, &c.name),
            byte_order: matches!(pg_sys::BuiltinOid::from_u32(c.typoid.to_u32()), Ok(pg_sys::BuiltinOid::TEXTOID | pg_sys::BuiltinOid::VARCHAROID)),
        },
        None => LiteportError::InvalidArgument { what: format!("watermark column \"{w}\" is not a column of {source_name}") }.report(),
    });
    let watermark_type = watermark.as_ref().and_then(|w| source_columns.iter().find(|c| c.name == w.column)).map(|c| c.typoid);

    // Read from the watermark only when the state is this column's, of this type, of
    // this source; otherwise read every row and say why.
    let identity = source_identity(foreign_table);
    let mut notes: Vec<String> = Vec::new();
    let replaced = state.source_identity.as_deref().is_some_and(|known| known != identity);
    if replaced {
        notes.push(format!("the source was replaced ({} → {identity}): read every row", state.source_identity.as_deref().unwrap_or("")));
        if opts.deletes && !opts.accept_new_source {
            let error = format!(
                "the source of {source_name} was replaced since the last run ({} → {identity}); deletes against a replaced file are refused: pass {{\"accept_new_source\": true}} after checking it is the right file",
                state.source_identity.as_deref().unwrap_or("")
            );
            pgrx::warning!("liteport.sync {source_name} → {target_name} not run: {error}");
            return finish("error", (0, 0, 0), before.clone(), before, Some(error), None);
        }
    }
    let reading = match (&watermark, &before) {
        (Some(w), Some(_)) if !opts.full && !replaced && state.watermark_column.as_deref() == Some(w.column.as_str()) && state.watermark_type == watermark_type => {
            Reading::FromWatermark
        }
        (Some(w), Some(_)) if !opts.full && !replaced => {
            notes.push(format!(
                "the watermark column changed (was {} of type {}, now \"{}\"): read every row",
                state.watermark_column.as_deref().map(|c| format!("\"{c}\"")).unwrap_or_else(|| "none".into()),
                state.watermark_type.map(|t| unsafe { cstr_to_string(pg_sys::format_type_be(t)) }).unwrap_or_else(|| "none".into()),
                w.column
            ));
            Reading::All
        }
        (Some(_), Some(_)) if opts.full => {
            notes.push("full run: read every row".into());
            Reading::All
        }
        _ => Reading::All,
    };
    let before_value = if reading == Reading::FromWatermark { before.clone() } else { None };
    let spec = SyncSpec { source: source_name.clone(), target: target_name.clone(), columns, key, watermark };
    let upsert = upsert_sql(&spec, reading);
    let delete = opts.deletes.then(|| (delete_sql(&spec), count_sql(&spec)));
    let max_delete_share = opts.max_delete_share;
    let state_key = (foreign_table, target);
    let watermark_column = spec.watermark.as_ref().map(|w| w.column.clone());
    let identity_for_state = identity.clone();
    let target_for_errors = target_name.clone();

    let outcome = crate::subtransaction::run(move || {
        let args: Vec<pgrx::datum::DatumWithOid> = if before_value.is_some() { vec![before_value.clone().into()] } else { vec![] };
        let (inserted, updated, null_watermarks, max_watermark) = Spi::connect_mut(|c| {
            let table = c.update(upsert.as_str(), None, &args)?.first();
            let count = |i: usize| table.get::<i64>(i).map(|v| v.unwrap_or(0));
            Ok::<_, pgrx::spi::SpiError>((count(1)?, count(2)?, count(3)?, table.get::<String>(4)?))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let deleted = match &delete {
            Some((sql, count)) => {
                let deleted = Spi::connect_mut(|c| c.update(sql.as_str(), None, &[]).map(|r| r.len() as i64)).unwrap_or_else(|e| panic!("{e}"));
                if deleted > 0 {
                    let remaining = Spi::get_one::<i64>(count).unwrap_or_else(|e| panic!("{e}")).unwrap_or(0);
                    let share = deleted as f64 / (deleted + remaining) as f64;
                    if share > max_delete_share {
                        LiteportError::InvalidArgument {
                            what: format!(
                                "refusing to delete {deleted} of the {} rows of {target_for_errors} ({:.0}%): the source looks emptied or replaced; pass {{\"max_delete_share\": 1}} if this is intended",
                                deleted + remaining,
                                share * 100.0
                            ),
                        }
                        .report();
                    }
                }
                deleted
            }
            None => 0,
        };
        // The highest watermark read; kept when nothing at or above it is left (the
        // newest rows were deleted).
        let after = match (&max_watermark, &before_value) {
            (Some(_), _) => max_watermark.clone(),
            (None, b) => b.clone(),
        };
        Spi::run_with_args(
            "UPDATE liteport.sync_state SET watermark_column = $3, watermark_type = $4, watermark = $5, source_identity = $6, updated_at = pg_catalog.now() \
             WHERE owner OPERATOR(pg_catalog.=) CURRENT_USER AND foreign_table OPERATOR(pg_catalog.=) $1 AND target OPERATOR(pg_catalog.=) $2",
            &[
                state_key.0.into(),
                state_key.1.into(),
                watermark_column.clone().into(),
                watermark_type.into(),
                after.clone().into(),
                identity_for_state.clone().into(),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        (inserted, updated, deleted, null_watermarks, after)
    });
    match outcome {
        Ok((inserted, updated, deleted, null_watermarks, after)) => {
            if null_watermarks > 0 {
                notes.push(format!("{null_watermarks} rows with a NULL watermark were read and compared by key and content"));
            }
            let note = (!notes.is_empty()).then(|| notes.join("; "));
            finish("ok", (inserted, updated, deleted), before, after, None, note)
        }
        Err((state, message)) => {
            let error = format!("{message} (SQLSTATE {state})");
            pgrx::warning!("liteport.sync {source_name} → {target_name} failed, nothing changed: {error}");
            finish("error", (0, 0, 0), before.clone(), before, Some(error), (!notes.is_empty()).then(|| notes.join("; ")))
        }
    }
}
