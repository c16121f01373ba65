//! IMPORT FOREIGN SCHEMA: SQLite's catalog → CREATE FOREIGN TABLE statements.

use super::import_sql::{create_foreign_table, ImportColumn};
use super::nodes::*;
use super::plan::server_source;
use crate::error::{LiteportError, OrReport};
use crate::sqlite::cache::connection_for;
use crate::sqlite::schema::{self, RelationKind};
use crate::types::declared::{postgres_type_for, raw_type_for, TypesMode};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CString;

#[pg_guard]
pub unsafe extern "C-unwind" fn import_foreign_schema(
    stmt: *mut pg_sys::ImportForeignSchemaStmt,
    server_oid: pg_sys::Oid,
) -> *mut pg_sys::List {
    unsafe {
        let remote_schema = cstr_to_string((*stmt).remote_schema);
        let local_schema = cstr_to_string((*stmt).local_schema);
        let server_name = cstr_to_string((*stmt).server_name);
        if !remote_schema.eq_ignore_ascii_case("main") {
            pgrx::ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_FDW_SCHEMA_NOT_FOUND,
                format!("liteport server \"{server_name}\": a SQLite file has one schema, \"main\"; there is no \"{remote_schema}\"")
            );
        }
        let mut mode = TypesMode::Declared;
        for (name, value) in def_elems((*stmt).options) {
            match name.as_str() {
                "types" => mode = TypesMode::parse(&value).or_report(),
                _ => LiteportError::InvalidOption { name, valid: vec!["types"] }.report(),
            }
        }
        let listed: Vec<String> = list_ptrs((*stmt).table_list)
            .into_iter()
            .map(|rv| cstr_to_string((*(rv as *mut pg_sys::RangeVar)).relname))
            .collect();
        let list_type = (*stmt).list_type;
        let wanted = |name: &str| match list_type {
            pg_sys::ImportForeignSchemaType::FDW_IMPORT_SCHEMA_LIMIT_TO => listed.iter().any(|l| l == name),
            pg_sys::ImportForeignSchemaType::FDW_IMPORT_SCHEMA_EXCEPT => !listed.iter().any(|l| l == name),
            _ => true,
        };
        let explicitly_listed = |name: &str| {
            list_type == pg_sys::ImportForeignSchemaType::FDW_IMPORT_SCHEMA_LIMIT_TO && listed.iter().any(|l| l == name)
        };

        let source = server_source(server_oid).or_report();
        let conn = connection_for(server_oid.to_u32(), &source).or_report();
        let relations = schema::list_relations(conn.db()).map_err(|e| conn.sqlite_error("listing tables", &e)).or_report();

        let mut commands = std::ptr::null_mut();
        for rel in relations.into_iter().filter(|r| wanted(&r.name)) {
            let columns = match schema::columns(conn.db(), &rel.name) {
                Ok(c) => c,
                Err(e) => {
                    let err = conn.columns_error(&rel.name, &e);
                    // One unreadable view must not stop the import of the rest; named
                    // explicitly in LIMIT TO, it is an error.
                    if explicitly_listed(&rel.name) {
                        err.report();
                    }
                    pgrx::warning!("{err}; skipped");
                    continue;
                }
            };
            // A view column computed by an expression, or a virtual table's column
            // (FTS), has no declared type at all; text reads any number or string it
            // yields, bytea would not.
            let typeless_is_text = matches!(rel.kind, RelationKind::View | RelationKind::Virtual);
            let suggestions = match mode {
                TypesMode::Inferred => Some(
                    crate::profile::function::profile_relation(&conn, &rel)
                        .unwrap_or_else(|e| e.report())
                        .into_iter()
                        .map(|p| p.suggestion)
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            };
            // types 'text' must read every value: a column holding blobs, or text that
            // is not UTF-8 or holds NUL, is bytea instead (the same survey migrate uses).
            let raw_holds = if mode == TypesMode::Text { raw_survey(&conn, &rel, &columns) } else { vec![] };
            let writer = conn.writer();
            // GeoPackage geometry columns hold geometry blobs whatever they declare:
            // PostGIS geometry with the column's SRID where the database has it, else bytea.
            let geometry_columns = crate::sqlite::geopackage::geometry_columns(&conn);
            let postgis = if geometry_columns.is_empty() { None } else { crate::pg_columns::postgis_geometry() };
            let import_columns: Vec<ImportColumn> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let geometry = geometry_columns.iter().find(|g| g.is(&rel.name, &c.name));
                    let (pg_type, options) = match (&suggestions, mode) {
                        (_, m) if geometry.is_some() && m != TypesMode::Text => {
                            let g = geometry.expect("checked");
                            match postgis.as_deref() {
                                Some(geom) => (g.postgis_type(geom), vec![("srid".to_string(), g.srid.to_string())]),
                                None => ("bytea".to_string(), vec![]),
                            }
                        }
                        (Some(s), _) => (s[i].pg_type.clone(), s[i].options.clone()),
                        (None, TypesMode::Text) => {
                            let base = raw_type_for(&c.declared_type);
                            let held = raw_holds.iter().find(|(n, _)| n == &c.name).map(|(_, h)| h.clone()).unwrap_or_default();
                            (crate::profile::survey::choose(&c.name, &c.declared_type, &base, mode, Default::default(), &held).pg_type, vec![])
                        }
                        _ if typeless_is_text && c.declared_type.trim().is_empty() => ("text".into(), vec![]),
                        // The writer's conventions (Core Data's epoch, Django's decimals).
                        _ => (postgres_type_for(&c.declared_type), writer.map(|w| w.column_options(&c.declared_type)).unwrap_or_default()),
                    };
                    ImportColumn { name: c.name.clone(), pg_type, not_null: schema::never_null(rel.kind, &columns, c), options }
                })
                .collect();
            let sql = create_foreign_table(&local_schema, &server_name, &rel.name, &import_columns);
            let c_sql = CString::new(sql).expect("SQLite names hold no NUL byte");
            commands = pg_sys::lappend(commands, pg_sys::pstrdup(c_sql.as_ptr()) as *mut std::ffi::c_void);
        }
        commands
    }
}

/// What the text-typed columns of `rel` hold that text cannot (types 'text').
fn raw_survey(conn: &crate::sqlite::connection::SqliteConnection, rel: &schema::Relation, columns: &[schema::Column]) -> Vec<(String, crate::profile::survey::Holds)> {
    use crate::profile::survey::{needs, survey};
    let wanted: Vec<(String, crate::profile::survey::Needs)> =
        columns.iter().map(|c| (c.name.clone(), needs(&c.declared_type, TypesMode::Text, Default::default()))).filter(|(_, n)| n.any()).collect();
    if wanted.is_empty() {
        return vec![];
    }
    let holds = survey(conn.db(), &rel.name, &wanted, None).map_err(|e| conn.sqlite_error(&format!("surveying \"{}\"", rel.name), &e)).or_report();
    wanted.into_iter().map(|(n, _)| n).zip(holds).collect()
}
