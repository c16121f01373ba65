//! Which program wrote a SQLite file, told by the metadata tables it leaves behind,
//! and the storage conventions liteport applies because of it. A convention is
//! applied only where the program's documented storage is unambiguous.

use rusqlite::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    Django,
    Rails,
    Prisma,
    Sequelize,
    Knex,
    TypeOrm,
    Laravel,
    Alembic,
    Drizzle,
    CoreData,
    Android,
    Anki,
    GeoPackage,
}

impl Writer {
    pub fn name(self) -> &'static str {
        match self {
            Writer::Django => "Django",
            Writer::Rails => "Ruby on Rails (Active Record)",
            Writer::Prisma => "Prisma",
            Writer::Sequelize => "Sequelize",
            Writer::Knex => "Knex",
            Writer::TypeOrm => "TypeORM",
            Writer::Laravel => "Laravel",
            Writer::Alembic => "SQLAlchemy with Alembic",
            Writer::Drizzle => "Drizzle",
            Writer::CoreData => "Apple Core Data",
            Writer::Android => "Android (Room)",
            Writer::Anki => "Anki",
            Writer::GeoPackage => "GeoPackage",
        }
    }

    /// The conventions liteport applies for this writer, in words (plan, check).
    pub fn conventions(self) -> &'static str {
        match self {
            Writer::Django => "naive timestamps are UTC (USE_TZ); UUIDs as 32 hex digits; DurationField integers are microseconds; JSONField text is JSON (jsonb); DecimalField values as Django reads them (15 significant digits, rounded to the target's scale, ties to even)",
            Writer::Rails | Writer::TypeOrm | Writer::Laravel | Writer::Sequelize | Writer::Knex | Writer::Prisma | Writer::Drizzle | Writer::Alembic => {
                "naive timestamps are UTC; 0/1 booleans become boolean where every value is 0 or 1"
            }
            Writer::CoreData => "TIMESTAMP columns count seconds since 2001-01-01 UTC (epoch_unit 'cocoa')",
            Writer::Android => "naive timestamps are UTC",
            Writer::Anki => "the unicase collation compares case-insensitively (kept as liteport.nocase)",
            Writer::GeoPackage => "geometry columns hold GeoPackage geometry blobs (bytea, or PostGIS geometry with the column's SRID where the database has PostGIS); R-tree index tables are skipped",
        }
    }

    /// The conversion options a column declared `declared` gets by this writer's
    /// conventions (liteport.migrate's staging tables, IMPORT FOREIGN SCHEMA).
    pub fn column_options(self, declared: &str) -> Vec<(String, String)> {
        let declared = declared.trim();
        let option = |k: &str, v: &str| (k.to_string(), v.to_string());
        match self {
            // Core Data stores a TIMESTAMP as seconds since 2001-01-01.
            Writer::CoreData if declared.eq_ignore_ascii_case("TIMESTAMP") => vec![option("epoch_unit", "cocoa")],
            // Django reads a DecimalField's REAL to 15 significant digits, then rounds it
            // to the field's decimal_places, ties to even (sqlite3 backend,
            // get_decimalfield_converter): that is the value the application shows.
            Writer::Django if declared.eq_ignore_ascii_case("decimal") => vec![option("float_digits", "15"), option("numeric_rounding", "half_even")],
            _ => vec![],
        }
    }

    /// Interval columns filled from integers count this unit when the column says none.
    pub fn interval_unit(self) -> Option<&'static str> {
        match self {
            Writer::Django => Some("us"),
            _ => None,
        }
    }
}

/// The writer of the database behind `db`, and the table that told (None: not known).
pub fn detect(db: &Connection) -> Option<(Writer, String)> {
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
        .unwrap_or_default();
    let has = |name: &str| tables.iter().any(|t| t.eq_ignore_ascii_case(name));
    let columns = |table: &str| -> Vec<String> {
        db.prepare("SELECT name FROM pragma_table_info(?1)")
            .and_then(|mut s| s.query_map([table], |r| r.get::<_, String>(0))?.collect())
            .unwrap_or_default()
    };
    let found = |w: Writer, evidence: &str| Some((w, evidence.to_string()));
    if has("django_migrations") {
        return found(Writer::Django, "django_migrations");
    }
    if has("schema_migrations") && has("ar_internal_metadata") {
        return found(Writer::Rails, "schema_migrations, ar_internal_metadata");
    }
    if has("_prisma_migrations") {
        return found(Writer::Prisma, "_prisma_migrations");
    }
    if has("SequelizeMeta") {
        return found(Writer::Sequelize, "SequelizeMeta");
    }
    if has("knex_migrations") {
        return found(Writer::Knex, "knex_migrations");
    }
    if has("typeorm_metadata") {
        return found(Writer::TypeOrm, "typeorm_metadata");
    }
    if has("migrations") {
        let cols = columns("migrations");
        let col = |c: &str| cols.iter().any(|x| x.eq_ignore_ascii_case(c));
        if col("migration") && col("batch") {
            return found(Writer::Laravel, "migrations (migration, batch)");
        }
        if col("timestamp") && col("name") {
            return found(Writer::TypeOrm, "migrations (timestamp, name)");
        }
    }
    if has("alembic_version") {
        return found(Writer::Alembic, "alembic_version");
    }
    if has("__drizzle_migrations") {
        return found(Writer::Drizzle, "__drizzle_migrations");
    }
    if has("Z_METADATA") && has("Z_PRIMARYKEY") {
        return found(Writer::CoreData, "Z_METADATA, Z_PRIMARYKEY");
    }
    if has("room_master_table") || has("android_metadata") {
        return found(Writer::Android, if has("room_master_table") { "room_master_table" } else { "android_metadata" });
    }
    if has("col") && has("notes") && has("cards") && has("revlog") {
        return found(Writer::Anki, "col, notes, cards, revlog");
    }
    if has("gpkg_contents") && has("gpkg_spatial_ref_sys") {
        return found(Writer::GeoPackage, "gpkg_contents, gpkg_spatial_ref_sys");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(sql: &str) -> Option<Writer> {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(sql).unwrap();
        detect(&db).map(|(w, _)| w)
    }

    #[test]
    fn writers_are_told_by_their_metadata_tables() {
        assert_eq!(writer("CREATE TABLE django_migrations(id, app, name, applied)"), Some(Writer::Django));
        assert_eq!(writer("CREATE TABLE schema_migrations(version); CREATE TABLE ar_internal_metadata(key, value)"), Some(Writer::Rails));
        assert_eq!(writer("CREATE TABLE schema_migrations(version)"), None);
        assert_eq!(writer("CREATE TABLE \"SequelizeMeta\"(name)"), Some(Writer::Sequelize));
        assert_eq!(writer("CREATE TABLE migrations(id, migration, batch)"), Some(Writer::Laravel));
        assert_eq!(writer("CREATE TABLE migrations(id, timestamp, name)"), Some(Writer::TypeOrm));
        assert_eq!(writer("CREATE TABLE Z_METADATA(Z_VERSION); CREATE TABLE Z_PRIMARYKEY(Z_ENT)"), Some(Writer::CoreData));
        assert_eq!(writer("CREATE TABLE gpkg_contents(table_name); CREATE TABLE gpkg_spatial_ref_sys(srs_id)"), Some(Writer::GeoPackage));
        assert_eq!(writer("CREATE TABLE col(id); CREATE TABLE notes(id); CREATE TABLE cards(id); CREATE TABLE revlog(id)"), Some(Writer::Anki));
        assert_eq!(writer("CREATE TABLE t(x)"), None);
        assert_eq!(Writer::Django.interval_unit(), Some("us"));
    }
}
