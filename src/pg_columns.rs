//! A Postgres relation's columns, read once from pg_attribute, for the SQL functions
//! that work on existing tables (migrate with data_only, verify, sync).

use pgrx::prelude::*;

#[derive(Debug, Clone)]
pub struct PgColumn {
    pub name: String,
    /// `format_type` of the type and typmod: valid SQL for a column definition (read
    /// under liteport's pinned search_path, so every type outside pg_catalog comes
    /// out schema-qualified; `sql_names::sql_type` qualifies the rest).
    pub pg_type: String,
    pub typoid: pg_sys::Oid,
    pub typmod: i32,
    pub generated: bool,
}

/// The relation `schema.table`, if it exists (names as Postgres stores them).
pub fn relation_oid(schema: &str, table: &str) -> Option<pg_sys::Oid> {
    let name = crate::migrate::ddl::qualified(schema, table);
    Spi::get_one_with_args::<pg_sys::Oid>("SELECT pg_catalog.to_regclass($1)::pg_catalog.oid", &[name.as_str().into()]).unwrap_or_else(|e| panic!("looking up {name}: {e}"))
}

/// The columns of a relation, in order (dropped ones left out).
pub fn relation_columns(relid: pg_sys::Oid) -> Vec<PgColumn> {
    Spi::connect(|c| {
        c.select(
            "SELECT a.attname::pg_catalog.text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, a.atttypmod, a.attgenerated OPERATOR(pg_catalog.<>) '' \
             FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped ORDER BY a.attnum",
            None,
            &[relid.into()],
        )
        .map(|rows| {
            rows.map(|r| PgColumn {
                name: r.get::<String>(1).ok().flatten().unwrap_or_default(),
                pg_type: r.get::<String>(2).ok().flatten().unwrap_or_default(),
                typoid: r.get::<pg_sys::Oid>(3).ok().flatten().unwrap_or(pg_sys::Oid::INVALID),
                typmod: r.get::<i32>(4).ok().flatten().unwrap_or(-1),
                generated: r.get::<bool>(5).ok().flatten().unwrap_or(false),
            })
            .collect()
        })
    })
    .unwrap_or_else(|e| panic!("reading the columns of relation {}: {e}", relid.to_u32()))
}

/// PostGIS's geometry type, schema-qualified, when the extension is installed here.
pub fn postgis_geometry() -> Option<String> {
    Spi::get_one::<String>(
        "SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.typname) FROM pg_catalog.pg_type t \
         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace \
         JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) t.oid AND d.deptype OPERATOR(pg_catalog.=) 'e' \
         JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid \
         WHERE e.extname OPERATOR(pg_catalog.=) 'postgis' AND t.typname OPERATOR(pg_catalog.=) 'geometry'",
    )
    .ok()
    .flatten()
}

