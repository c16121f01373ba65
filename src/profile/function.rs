//! `liteport.profile(server, table_name)`: one row per column.

use super::infer::{infer, Suggestion};
use super::stats::{profile_table, ColumnStats};
use crate::fdw::deparse::select_sql;
use crate::fdw::server::open_server;
use crate::sqlite::connection::SqliteConnection;
use crate::sqlite::schema::{self, Relation, RelationKind};
use pgrx::prelude::*;
use pgrx::AnyNumeric;
use crate::error::OrReport;

/// A relation's columns with what they hold and the suggested type of each.
pub struct ProfiledColumn {
    pub name: String,
    pub declared_type: String,
    pub stats: ColumnStats,
    pub suggestion: Suggestion,
}

/// Profile one relation: one pass over its rows inside SQLite.
pub fn profile_relation(conn: &SqliteConnection, relation: &Relation) -> crate::error::Result<Vec<ProfiledColumn>> {
    let columns = schema::columns(conn.db(), &relation.name).map_err(|e| conn.columns_error(&relation.name, &e))?;
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let sql = select_sql(&relation.name, &names, None);
    let stats = profile_table(conn.db(), &sql, names.len(), || {
        pgrx::check_for_interrupts!();
        false
    })
    .map_err(|e| {
        pgrx::check_for_interrupts!();
        conn.sqlite_error(&format!("profiling \"{}\"", relation.name), &e)
    })?;
    let typeless_is_text = matches!(relation.kind, RelationKind::View | RelationKind::Virtual);
    let core_data = conn.writer() == Some(crate::sqlite::writer::Writer::CoreData);
    Ok(columns
        .into_iter()
        .zip(stats)
        .map(|(c, stats)| {
            let mut suggestion = infer(&c.declared_type, typeless_is_text, &stats);
            // Core Data's TIMESTAMP: seconds since 2001-01-01, not the unix epoch.
            if core_data && c.declared_type.trim().eq_ignore_ascii_case("TIMESTAMP") && stats.texts == 0 && stats.blobs == 0 && stats.integers + stats.reals > 0 {
                suggestion = Suggestion {
                    pg_type: "timestamptz".into(),
                    options: vec![("epoch_unit".into(), "cocoa".into())],
                    reason: "Core Data (Z_METADATA): seconds since 2001-01-01 UTC".into(),
                };
            }
            ProfiledColumn { name: c.name, declared_type: c.declared_type, stats, suggestion }
        })
        .collect())
}

/// Column options as they appear in OPTIONS (...): `epoch_unit 'ms', empty_as_null 'true'`.
pub fn options_text(options: &[(String, String)]) -> Option<String> {
    (!options.is_empty()).then(|| {
        options.iter().map(|(k, v)| format!("{k} {}", crate::fdw::import_sql::pg_literal(v))).collect::<Vec<_>>().join(", ")
    })
}

fn share(count: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| (count as f64 / of as f64 * 10_000.0).round() / 10_000.0)
}

fn numeric(n: Option<super::stats::Number>) -> Option<AnyNumeric> {
    n.and_then(|n| AnyNumeric::try_from(n.to_numeric_text().as_str()).ok())
}


/// What every column of every table (or of `table_name`) of a liteport server's
/// SQLite file holds, counted in one pass per table, with the type that reads it all.
/// Shares are fractions of the non-NULL values. Needs USAGE on the server.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, pg_temp)]
fn profile(server: &str, table_name: default!(Option<&str>, "NULL")) -> TableIterator<
    'static,
    (
    name!(table_name, String),
    name!(column_name, String),
    name!(declared_type, String),
    name!(rows, i64),
    name!(nulls, i64),
    name!(integers, i64),
    name!(reals, i64),
    name!(texts, i64),
    name!(blobs, i64),
    name!(empty_strings, i64),
    name!(min_number, Option<AnyNumeric>),
    name!(max_number, Option<AnyNumeric>),
    name!(max_text_length, Option<i64>),
    name!(max_blob_length, Option<i64>),
    name!(invalid_texts, i64),
    name!(boolean_share, Option<f64>),
    name!(iso_date_share, Option<f64>),
    name!(iso_timestamp_share, Option<f64>),
    name!(iso_timestamptz_share, Option<f64>),
    name!(epoch_s_share, Option<f64>),
    name!(epoch_ms_share, Option<f64>),
    name!(epoch_us_share, Option<f64>),
    name!(julian_day_share, Option<f64>),
    name!(uuid_text_share, Option<f64>),
    name!(uuid_blob_share, Option<f64>),
    name!(json_share, Option<f64>),
    name!(suggested_type, String),
    name!(suggested_options, Option<String>),
    name!(reason, String),
),
> {
    crate::settings::with_fixed_settings(|| {
        let conn = open_server(server);
        let relations = schema::list_relations(conn.db()).map_err(|e| conn.sqlite_error("listing tables", &e)).or_report();
        let relations: Vec<Relation> = match table_name {
            Some(wanted) => {
                let found: Vec<Relation> = relations.into_iter().filter(|r| r.name.eq_ignore_ascii_case(wanted)).collect();
                if found.is_empty() {
                    crate::error::LiteportError::TableNotFound { server: server.into(), table: wanted.into() }.report();
                }
                found
            }
            None => relations,
        };
        let mut rows = Vec::new();
        for relation in relations {
            let profiled = match profile_relation(&conn, &relation) {
                Ok(p) => p,
                // A view that needs the application's own functions cannot be read here;
                // profiling everything goes on without it, naming it explicitly does not.
                Err(e @ crate::error::LiteportError::MissingFunction { .. }) if table_name.is_none() => {
                    pgrx::warning!("{e}; skipped");
                    continue;
                }
                Err(e) => e.report(),
            };
            for p in profiled {
                let s = &p.stats;
                let nn = s.non_null();
                rows.push((
                    relation.name.clone(),
                    p.name,
                    p.declared_type,
                    s.rows,
                    s.nulls,
                    s.integers,
                    s.reals,
                    s.texts,
                    s.blobs,
                    s.empty_texts,
                    numeric(s.min_number),
                    numeric(s.max_number),
                    s.max_text_length,
                    s.max_blob_length,
                    s.invalid_texts,
                    share(s.boolean_like, nn),
                    share(s.iso_dates, nn),
                    share(s.iso_timestamps, nn),
                    share(s.iso_timestamps_with_offset, nn),
                    share(s.epoch_seconds, nn),
                    share(s.epoch_millis, nn),
                    share(s.epoch_micros, nn),
                    share(s.julian_days, nn),
                    share(s.uuid_texts, nn),
                    share(s.uuid_blobs, nn),
                    share(s.json_texts + s.jsonb_blobs, nn),
                    p.suggestion.pg_type.clone(),
                    options_text(&p.suggestion.options),
                    p.suggestion.reason.clone(),
                ));
            }
        }
        TableIterator::new(rows)
    })
}
