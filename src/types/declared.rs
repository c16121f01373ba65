//! SQLite declared column types → Postgres types, for IMPORT FOREIGN SCHEMA.
//!
//! SQLite stores any value in any column; the declared type only decides the column's
//! *affinity* (https://sqlite.org/datatype3.html §3.1). We follow those rules exactly, then
//! refine them by names applications use for types SQLite has no storage class for
//! (BOOLEAN, DATE, DATETIME, JSON, UUID). The table below is the single source of truth;
//! the README's import table is written from it.

/// SQLite's five column affinities, computed by the rules of datatype3.html §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// SQLite's affinity algorithm, rule by rule and in SQLite's order: the first match wins.
pub fn affinity(declared: &str) -> Affinity {
    let upper = declared.to_ascii_uppercase();
    if upper.contains("INT") {
        Affinity::Integer
    } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
        Affinity::Text
    } else if upper.contains("BLOB") || upper.trim().is_empty() {
        Affinity::Blob
    } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

/// Well-known type names, matched on the declared type's first word (before any
/// parenthesis), that carry more meaning than their affinity. Checked before affinity.
const WELL_KNOWN_NAMES: &[(&str, &str)] = &[
    ("BOOLEAN", "boolean"),
    ("BOOL", "boolean"),
    ("DATE", "date"),
    ("DATETIME", "timestamp"),
    ("TIMESTAMP", "timestamp"),
    ("TIMESTAMPTZ", "timestamptz"),
    ("TIME", "time"),
    ("JSON", "jsonb"),
    ("JSONB", "jsonb"),
    ("UUID", "uuid"),
];

/// The Postgres type IMPORT FOREIGN SCHEMA gives a column declared as `declared` in SQLite.
pub fn postgres_type_for(declared: &str) -> String {
    let trimmed = declared.trim();
    let upper = trimmed.to_ascii_uppercase();
    let base = upper.split(|c: char| c == '(' || c.is_whitespace()).next().unwrap_or("");

    if upper.starts_with("TIMESTAMP") && upper.contains("WITH TIME ZONE") && !upper.contains("WITHOUT") {
        return "timestamptz".into();
    }
    if let Some((_, pg)) = WELL_KNOWN_NAMES.iter().find(|(name, _)| *name == base) {
        return (*pg).into();
    }
    if base == "DECIMAL" || base == "NUMERIC" {
        return match precision_and_scale(&upper) {
            Some((p, Some(s))) if (1..=1000).contains(&p) && s <= p => format!("numeric({p},{s})"),
            Some((p, None)) if (1..=1000).contains(&p) => format!("numeric({p},0)"),
            _ => "numeric".into(),
        };
    }
    match affinity(trimmed) {
        Affinity::Integer => "bigint".into(),
        Affinity::Text => "text".into(),
        Affinity::Blob => "bytea".into(),
        Affinity::Real => "double precision".into(),
        Affinity::Numeric => "numeric".into(),
    }
}

/// How IMPORT FOREIGN SCHEMA (option `types`) and liteport.plan choose column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypesMode {
    /// From the declared type (the table above).
    Declared,
    /// From what the column holds (liteport.profile's suggestion).
    Inferred,
    /// A raw, lossless staging layer: text, and bytea for declared blobs.
    Text,
}

impl TypesMode {
    pub fn parse(value: &str) -> Result<TypesMode, crate::error::LiteportError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "declared" => Ok(TypesMode::Declared),
            "inferred" => Ok(TypesMode::Inferred),
            "text" => Ok(TypesMode::Text),
            _ => Err(crate::error::LiteportError::InvalidOptionValue {
                name: "types".into(),
                reason: format!("\"{value}\" is not one of declared, inferred, text"),
            }),
        }
    }
}

/// The staging type of `types 'text'`: bytea for a column declared BLOB (its values
/// are bytes), text for every other (any INTEGER, REAL or TEXT value reads as text
/// exactly: integers as digits, reals as the shortest text that reads back the same).
pub fn raw_type_for(declared: &str) -> String {
    if !declared.trim().is_empty() && affinity(declared) == Affinity::Blob {
        "bytea".into()
    } else {
        "text".into()
    }
}

/// (precision, scale) of a `numeric(p,s)` type name.
pub fn precision_scale(pg_type: &str) -> Option<(i64, i64)> {
    let inner = pg_type.strip_prefix("numeric(")?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

/// `(p)` or `(p,s)` from a declaration such as `NUMERIC(10, 2)`.
fn precision_and_scale(upper: &str) -> Option<(u32, Option<u32>)> {
    let open = upper.find('(')?;
    let close = upper[open..].find(')')? + open;
    let mut parts = upper[open + 1..close].split(',').map(|s| s.trim().parse::<u32>());
    let p = parts.next()?.ok()?;
    let s = match parts.next() {
        Some(s) => Some(s.ok()?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((p, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_follows_sqlite_rules_in_order() {
        // The examples table of datatype3.html §3.1.1.
        for t in ["INT", "INTEGER", "TINYINT", "SMALLINT", "MEDIUMINT", "BIGINT", "UNSIGNED BIG INT", "INT2", "INT8"] {
            assert_eq!(affinity(t), Affinity::Integer, "{t}");
        }
        for t in ["CHARACTER(20)", "VARCHAR(255)", "VARYING CHARACTER(255)", "NCHAR(55)", "NATIVE CHARACTER(70)", "NVARCHAR(100)", "TEXT", "CLOB"] {
            assert_eq!(affinity(t), Affinity::Text, "{t}");
        }
        assert_eq!(affinity("BLOB"), Affinity::Blob);
        assert_eq!(affinity(""), Affinity::Blob);
        for t in ["REAL", "DOUBLE", "DOUBLE PRECISION", "FLOAT"] {
            assert_eq!(affinity(t), Affinity::Real, "{t}");
        }
        for t in ["NUMERIC", "DECIMAL(10,5)", "BOOLEAN", "DATE", "DATETIME"] {
            assert_eq!(affinity(t), Affinity::Numeric, "{t}");
        }
        // The documented surprises: rule 1 wins over rule 4, "STRING" is NUMERIC.
        assert_eq!(affinity("FLOATING POINT"), Affinity::Integer);
        assert_eq!(affinity("STRING"), Affinity::Numeric);
        assert_eq!(affinity("CHARINT"), Affinity::Integer);
    }

    #[test]
    fn well_known_names_refine_affinity() {
        assert_eq!(postgres_type_for("BOOLEAN"), "boolean");
        assert_eq!(postgres_type_for("bool"), "boolean");
        assert_eq!(postgres_type_for("DATE"), "date");
        assert_eq!(postgres_type_for("DATETIME"), "timestamp");
        assert_eq!(postgres_type_for("timestamp"), "timestamp");
        assert_eq!(postgres_type_for("TIMESTAMP WITH TIME ZONE"), "timestamptz");
        assert_eq!(postgres_type_for("TIMESTAMP WITHOUT TIME ZONE"), "timestamp");
        assert_eq!(postgres_type_for("json"), "jsonb");
        assert_eq!(postgres_type_for("UUID"), "uuid");
        assert_eq!(postgres_type_for("TIME"), "time");
    }

    #[test]
    fn affinity_decides_the_rest() {
        assert_eq!(postgres_type_for("INTEGER"), "bigint");
        assert_eq!(postgres_type_for("int"), "bigint");
        assert_eq!(postgres_type_for("NVARCHAR(160)"), "text");
        assert_eq!(postgres_type_for("TEXT"), "text");
        assert_eq!(postgres_type_for("BLOB"), "bytea");
        assert_eq!(postgres_type_for(""), "bytea");
        assert_eq!(postgres_type_for("REAL"), "double precision");
        assert_eq!(postgres_type_for("FLOAT"), "double precision");
        assert_eq!(postgres_type_for("MONEY"), "numeric");
    }

    #[test]
    fn decimal_keeps_precision_and_scale() {
        assert_eq!(postgres_type_for("NUMERIC(10,2)"), "numeric(10,2)");
        assert_eq!(postgres_type_for("DECIMAL(5, 2)"), "numeric(5,2)");
        assert_eq!(postgres_type_for("decimal(7)"), "numeric(7,0)");
        assert_eq!(postgres_type_for("NUMERIC"), "numeric");
        // Scale above precision or nonsense: keep every digit rather than guess.
        assert_eq!(postgres_type_for("NUMERIC(2,5)"), "numeric");
        assert_eq!(postgres_type_for("NUMERIC(abc)"), "numeric");
    }
}
