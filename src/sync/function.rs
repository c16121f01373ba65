//! `liteport.sync(foreign_table, target, key, watermark, options)`: one idempotent
//! re-sync run. It holds an advisory lock for the pair (a second run at the same
//! time waits or is skipped), upserts the rows at or above the last watermark, deletes
//! rows gone from SQLite (option `deletes`), advances the watermark in
//! liteport.sync_state, and appends to liteport.sync_log. The run's work happens in a
//! subtransaction: if it fails, the target and the watermark stay as they were, and
//! the failure is logged and returned rather than raised, so the log row commits.

use super::statements::{delete_sql, lock_key, upsert_sql, SyncSpec};
use crate::error::LiteportError;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::time::Instant;

struct SyncOptions {
    deletes: bool,
    wait: bool,
}

fn parse_options(options: &JsonB) -> SyncOptions {
    let mut o = SyncOptions { deletes: false, wait: false };
    let Some(map) = options.0.as_object() else {
        LiteportError::InvalidArgument { what: "sync options must be a JSON object".into() }.report()
    };
    for (name, value) in map {
        let flag = value.as_bool().unwrap_or_else(|| LiteportError::InvalidArgument { what: format!("sync option \"{name}\" must be true or false") }.report());
        match name.as_str() {
            "deletes" => o.deletes = flag,
            "wait" => o.wait = flag,
            _ => LiteportError::InvalidArgument { what: format!("unknown sync option \"{name}\" (valid: deletes, wait)") }.report(),
        }
    }
    o
}

/// The first column of the first row, or None when there is no row or it is NULL.
fn text_of(sql: &str, args: &[pgrx::datum::DatumWithOid]) -> Option<String> {
    match Spi::get_one_with_args::<String>(sql, args) {
        Ok(v) => v,
        Err(pgrx::spi::SpiError::InvalidPosition) => None,
        Err(e) => panic!("{sql}: {e}"),
    }
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
    ),
> {
    crate::settings::with_fixed_settings(|| {
        let started = Instant::now();
        let opts = parse_options(&options);
        let source_name = text_of("SELECT $1::regclass::text", &[foreign_table.into()]).unwrap_or_default();
        let target_name = text_of("SELECT $1::regclass::text", &[target.into()]).unwrap_or_default();
        let is_liteport = Spi::get_one_with_args::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver \
             JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE f.ftrelid = $1 AND w.fdwname = 'liteport')",
            &[foreign_table.into()],
        )
        .unwrap_or(None)
        .unwrap_or(false);
        if !is_liteport {
            LiteportError::InvalidArgument { what: format!("{source_name} is not a liteport foreign table") }.report();
        }

        // One run per pair at a time; released when the transaction ends.
        let lock = lock_key(foreign_table.to_u32(), target.to_u32());
        let locked = if opts.wait {
            Spi::run_with_args("SELECT pg_advisory_xact_lock($1)", &[lock.into()]).unwrap_or_else(|e| panic!("{e}"));
            true
        } else {
            Spi::get_one_with_args::<bool>("SELECT pg_try_advisory_xact_lock($1)", &[lock.into()]).unwrap_or(None).unwrap_or(false)
        };
        let before = text_of(
            "SELECT watermark FROM liteport.sync_state WHERE foreign_table = $1 AND target = $2",
            &[foreign_table.into(), target.into()],
        );
        let log = |status: &str, counts: (i64, i64, i64), after: Option<&str>, error: Option<&str>| {
            Spi::run_with_args(
                "INSERT INTO liteport.sync_log (foreign_table, target, started_at, finished_at, rows_inserted, rows_updated, rows_deleted, \
                 watermark_before, watermark_after, status, error) \
                 VALUES ($1, $2, clock_timestamp() - make_interval(secs => $3), clock_timestamp(), $4, $5, $6, $7, $8, $9, $10)",
                &[
                    foreign_table.into(),
                    target.into(),
                    started.elapsed().as_secs_f64().into(),
                    counts.0.into(),
                    counts.1.into(),
                    counts.2.into(),
                    before.clone().into(),
                    after.map(str::to_string).into(),
                    status.into(),
                    error.map(str::to_string).into(),
                ],
            )
            .unwrap_or_else(|e| panic!("writing liteport.sync_log: {e}"));
        };
        if !locked {
            log("skipped", (0, 0, 0), before.as_deref(), Some("another run of this sync holds the lock"));
            return TableIterator::once(("skipped".into(), 0, 0, 0, before.clone(), before, started.elapsed().as_secs_f64()));
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
                    "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
                     WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
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
        for k in &key {
            if !columns.contains(k) {
                LiteportError::InvalidArgument { what: format!("key column \"{k}\" is not a column of both {source_name} and {target_name}") }.report();
            }
        }
        let watermark = watermark.map(|w| match source_columns.iter().find(|c| c.name == w) {
            Some(c) => (c.name.clone(), c.pg_type.clone()),
            None => LiteportError::InvalidArgument { what: format!("watermark column \"{w}\" is not a column of {source_name}") }.report(),
        });
        let spec = SyncSpec { source: source_name.clone(), target: target_name.clone(), columns, key, watermark };
        let from_watermark = spec.watermark.is_some() && before.is_some();
        let upsert = upsert_sql(&spec, from_watermark);
        let delete = opts.deletes.then(|| delete_sql(&spec));
        let state_key = (foreign_table, target);
        let watermark_column = spec.watermark.as_ref().map(|(w, _)| w.clone());
        let before_value = before.clone();

        let outcome = crate::subtransaction::run(move || {
            let args: Vec<pgrx::datum::DatumWithOid> = if from_watermark { vec![before_value.clone().into()] } else { vec![] };
            let (inserted, updated, max_watermark) = Spi::connect_mut(|c| {
                let row = c.update(upsert.as_str(), None, &args)?.first().get_three::<i64, i64, String>()?;
                Ok::<_, pgrx::spi::SpiError>((row.0.unwrap_or(0), row.1.unwrap_or(0), row.2))
            })
            .unwrap_or_else(|e| panic!("{e}"));
            let deleted = match &delete {
                Some(sql) => Spi::connect_mut(|c| c.update(sql.as_str(), None, &[]).map(|r| r.len() as i64)).unwrap_or_else(|e| panic!("{e}")),
                None => 0,
            };
            let after = max_watermark.or(before_value.clone());
            if let Some(column) = &watermark_column {
                Spi::run_with_args(
                    "INSERT INTO liteport.sync_state (foreign_table, target, watermark_column, watermark) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (foreign_table, target) DO UPDATE SET watermark_column = EXCLUDED.watermark_column, watermark = EXCLUDED.watermark, updated_at = now()",
                    &[state_key.0.into(), state_key.1.into(), column.as_str().into(), after.clone().into()],
                )
                .unwrap_or_else(|e| panic!("{e}"));
            }
            (inserted, updated, deleted, after)
        });
        match outcome {
            Ok((inserted, updated, deleted, after)) => {
                log("ok", (inserted, updated, deleted), after.as_deref(), None);
                TableIterator::once(("ok".into(), inserted, updated, deleted, before, after, started.elapsed().as_secs_f64()))
            }
            Err((state, message)) => {
                let error = format!("{message} (SQLSTATE {state})");
                pgrx::warning!("liteport.sync {source_name} → {target_name} failed, nothing changed: {error}");
                log("error", (0, 0, 0), before.as_deref(), Some(&error));
                TableIterator::once(("error".into(), 0, 0, 0, before.clone(), before, started.elapsed().as_secs_f64()))
            }
        }
    })
}
