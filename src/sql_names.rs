//! Writing names, literals, types and comments into generated Postgres SQL, so that
//! nothing taken from a SQLite file or from the caller changes what a statement means:
//! identifiers are always quoted, literals always escaped, types always resolve to
//! pg_catalog's whatever search_path says, and comments never end early.

/// A Postgres identifier, always quoted, so that case, spaces, quotes and reserved
/// words survive exactly.
pub fn pg_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A Postgres string literal that means the same whatever standard_conforming_strings says.
pub fn pg_literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// The Postgres name of `schema.table`.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", pg_ident(schema), pg_ident(table))
}

/// Type names the SQL grammar itself maps to pg_catalog's types (no search_path
/// lookup): kept as written, because they read better.
const KEYWORD_TYPES: &[&str] = &[
    "bigint",
    "int",
    "integer",
    "smallint",
    "real",
    "float",
    "double precision",
    "numeric",
    "decimal",
    "boolean",
    "char",
    "character",
    "varchar",
    "character varying",
    "timestamp",
    "timestamp without time zone",
    "timestamp with time zone",
    "time",
    "time without time zone",
    "time with time zone",
    "interval",
    "bit",
    "bit varying",
];

/// A type as written into generated SQL: grammar keywords as they are, any other
/// unqualified name (text, bytea, date, uuid, jsonb, timestamptz, ...) prefixed with
/// `pg_catalog.`. Types already qualified (from format_type with FORCE_QUALIFY, for
/// existing columns) pass through.
pub fn sql_type(pg_type: &str) -> String {
    let t = pg_type.trim();
    let (base, rest) = match t.find(['(', '[']) {
        Some(i) => (t[..i].trim_end(), &t[i..]),
        None => (t, ""),
    };
    if base.contains('.') || base.starts_with('"') || KEYWORD_TYPES.contains(&base.to_ascii_lowercase().as_str()) {
        return t.to_string();
    }
    format!("pg_catalog.{base}{rest}")
}

/// Text from a SQLite file as the lines of a `--` comment: every line starts with
/// `-- `, and no character that ends a comment (line feed or carriage return, as both
/// Postgres and psql read them) or that a terminal would act on survives inside it.
pub fn comment_lines(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(|line| {
            let visible: String = line.chars().map(|c| if c.is_control() && c != '\t' { '\u{fffd}' } else { c }).collect();
            format!("-- {visible}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text from a SQLite file inside a note or message: control characters shown, not
/// obeyed.
pub fn visible(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '\n' => vec!['\\', 'n'],
            '\r' => vec!['\\', 'r'],
            '\t' => vec!['\\', 't'],
            c if c.is_control() => vec!['\u{fffd}'],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_survive_either_string_mode() {
        assert_eq!(pg_literal("it's"), "'it''s'");
        assert_eq!(pg_literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn types_resolve_to_pg_catalog() {
        assert_eq!(sql_type("text"), "pg_catalog.text");
        assert_eq!(sql_type("text[]"), "pg_catalog.text[]");
        assert_eq!(sql_type("jsonb"), "pg_catalog.jsonb");
        assert_eq!(sql_type("timestamptz"), "pg_catalog.timestamptz");
        assert_eq!(sql_type("bigint"), "bigint");
        assert_eq!(sql_type("numeric(10,2)"), "numeric(10,2)");
        assert_eq!(sql_type("character varying(20)"), "character varying(20)");
        assert_eq!(sql_type("double precision"), "double precision");
        assert_eq!(sql_type("public.mood"), "public.mood");
        assert_eq!(sql_type("\"My Type\""), "\"My Type\"");
    }

    #[test]
    fn comments_cannot_end_early() {
        let sql = "CREATE VIEW v AS SELECT 1 /*\rDROP TABLE x; -- */\nSELECT 2";
        let c = comment_lines(sql);
        assert!(c.lines().all(|l| l.starts_with("-- ")), "{c:?}");
        assert!(!c.contains('\r'));
        assert_eq!(c.lines().count(), 3);
        assert_eq!(comment_lines("a\u{1b}[2Jb"), "-- a\u{fffd}[2Jb");
        assert_eq!(visible("a\r\nb"), "a\\r\\nb");
    }
}
