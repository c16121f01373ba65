//! The `options jsonb` argument of liteport.plan, liteport.migrate and liteport.verify.

use crate::error::{LiteportError, Result};
use crate::types::declared::TypesMode;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierCase {
    /// SQLite's names exactly, quoted.
    Preserve,
    /// Lower-case snake_case: `OrderDetails` and `Order Details` become `order_details`.
    Snake,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// The first value that does not convert fails the migration, naming it.
    Abort,
    /// Such a row is skipped and kept, verbatim, in liteport.rejects.
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Only these SQLite tables (None: all).
    pub tables: Option<Vec<String>>,
    pub exclude: Vec<String>,
    pub data_only: bool,
    pub schema_only: bool,
    pub drop_existing: bool,
    pub truncate: Truncate,
    /// data_only: what a row whose key the target already holds does.
    pub on_conflict: OnConflict,
    pub identifier_case: IdentifierCase,
    pub on_error: OnError,
    pub types: TypesMode,
    /// verify: compute checksums (false: counts only).
    pub checksum: bool,
    /// The zone of naive timestamps read into timestamptz for every table (a
    /// server's or foreign table's own `timezone` option otherwise; default UTC).
    pub timezone: Option<String>,
    /// Round values with more scale than an existing numeric(p,s) column holds, so
    /// (data_only into an application's schema; default: an error).
    pub numeric_rounding: Option<crate::types::decimal::Rounding>,
    /// Tables this migration creates load through the bulk path (multi-insert, as
    /// COPY); false: the ordinary INSERT ... SELECT for every table.
    pub bulk: bool,
    /// The bulk path writes rows frozen, as COPY FREEZE does (into tables this
    /// transaction created, with no older snapshot open): no VACUUM freezes them later
    /// and no first read rewrites every page for hint bits; but a REPEATABLE READ
    /// transaction that began before the migration committed sees the rows too.
    pub freeze: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            tables: None,
            exclude: vec![],
            data_only: false,
            schema_only: false,
            drop_existing: false,
            truncate: Truncate::No,
            on_conflict: OnConflict::Error,
            identifier_case: IdentifierCase::Preserve,
            on_error: OnError::Abort,
            types: TypesMode::Declared,
            checksum: true,
            timezone: None,
            numeric_rounding: None,
            bulk: true,
            freeze: true,
        }
    }
}

pub const VALID_OPTIONS: &[&str] =
    &["tables", "exclude", "data_only", "schema_only", "drop_existing", "truncate", "identifier_case", "on_error", "types", "checksum", "timezone", "numeric_rounding", "on_conflict", "bulk", "freeze"];

/// `truncate`: empty the loaded tables first (`true`), and with `"cascade"` also the
/// tables outside the migration that reference them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncate {
    No,
    Loaded,
    Cascade,
}

/// `on_conflict` (data_only): a row whose key is already in the target is an error
/// (`error`), left as the target has it (`skip`), or overwritten (`update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    Error,
    Skip,
    Update,
}

fn invalid(name: &str, reason: impl Into<String>) -> LiteportError {
    LiteportError::InvalidArgument { what: format!("option \"{name}\" {}", reason.into()) }
}

fn names(name: &str, v: &Value) -> Result<Vec<String>> {
    let list = match v {
        Value::String(s) => return Ok(vec![s.clone()]),
        Value::Array(a) => a,
        _ => return Err(invalid(name, "must be an array of table names")),
    };
    list.iter().map(|x| x.as_str().map(str::to_string).ok_or_else(|| invalid(name, "must be an array of table names"))).collect()
}

fn flag(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| invalid(name, "must be true or false"))
}

impl MigrateOptions {
    pub fn parse(json: &str) -> Result<MigrateOptions> {
        let value: Value = serde_json::from_str(json).map_err(|e| LiteportError::InvalidArgument { what: format!("options: {e}") })?;
        let Value::Object(map) = value else {
            return Err(LiteportError::InvalidArgument { what: "options must be a JSON object".into() });
        };
        let mut o = MigrateOptions::default();
        for (name, v) in &map {
            match name.as_str() {
                "tables" => o.tables = Some(names(name, v)?),
                "exclude" => o.exclude = names(name, v)?,
                "data_only" => o.data_only = flag(name, v)?,
                "schema_only" => o.schema_only = flag(name, v)?,
                "drop_existing" => o.drop_existing = flag(name, v)?,
                "truncate" => {
                    o.truncate = match (v.as_bool(), v.as_str()) {
                        (Some(true), _) => Truncate::Loaded,
                        (Some(false), _) => Truncate::No,
                        (_, Some("cascade")) => Truncate::Cascade,
                        _ => return Err(invalid(name, "must be true, false or \"cascade\"")),
                    }
                }
                "on_conflict" => {
                    o.on_conflict = match v.as_str() {
                        Some("error") => OnConflict::Error,
                        Some("skip") => OnConflict::Skip,
                        Some("update") => OnConflict::Update,
                        _ => return Err(invalid(name, "must be \"error\", \"skip\" or \"update\"")),
                    }
                }
                "checksum" => o.checksum = flag(name, v)?,
                "bulk" => o.bulk = flag(name, v)?,
                "freeze" => o.freeze = flag(name, v)?,
                "timezone" => {
                    o.timezone = Some(v.as_str().filter(|z| !z.trim().is_empty()).ok_or_else(|| invalid(name, "must be a time zone name"))?.to_string())
                }
                "numeric_rounding" => {
                    o.numeric_rounding = Some(
                        v.as_str().and_then(crate::types::decimal::Rounding::parse).ok_or_else(|| invalid(name, "must be \"half_even\" or \"half_up\""))?,
                    )
                }
                "identifier_case" => {
                    o.identifier_case = match v.as_str() {
                        Some("preserve") => IdentifierCase::Preserve,
                        Some("snake") => IdentifierCase::Snake,
                        _ => return Err(invalid(name, "must be \"preserve\" or \"snake\"")),
                    }
                }
                "on_error" => {
                    o.on_error = match v.as_str() {
                        Some("abort") => OnError::Abort,
                        Some("reject") => OnError::Reject,
                        _ => return Err(invalid(name, "must be \"abort\" or \"reject\"")),
                    }
                }
                "types" => o.types = TypesMode::parse(v.as_str().unwrap_or("")).map_err(|_| invalid(name, "must be \"declared\", \"inferred\" or \"text\""))?,
                _ => {
                    return Err(LiteportError::InvalidArgument {
                        what: format!("unknown option \"{name}\" (valid: {})", VALID_OPTIONS.join(", ")),
                    })
                }
            }
        }
        if o.data_only && o.schema_only {
            return Err(LiteportError::InvalidArgument { what: "options data_only and schema_only exclude each other".into() });
        }
        if o.data_only && o.drop_existing {
            return Err(LiteportError::InvalidArgument { what: "option drop_existing needs the schema: not with data_only".into() });
        }
        Ok(o)
    }

    /// Is SQLite table `name` part of the migration?
    pub fn includes(&self, name: &str) -> bool {
        let listed = |list: &[String]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        self.tables.as_deref().is_none_or(listed) && !listed(&self.exclude)
    }

    /// The Postgres name of a SQLite table, column or index.
    pub fn target_name(&self, name: &str) -> String {
        let full = match self.identifier_case {
            IdentifierCase::Preserve => name.to_string(),
            IdentifierCase::Snake => snake_case(name),
        };
        truncate_identifier(&full)
    }
}

/// `OrderDetails`, `Order Details`, `orderDetails`, `HTTPServer2` → `order_details`,
/// `order_details`, `order_details`, `http_server2`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            let prev = if i > 0 { Some(chars[i - 1]) } else { None };
            let next = chars.get(i + 1).copied();
            let boundary = c.is_uppercase()
                && prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase())));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_end_matches('_').to_string();
    if trimmed.is_empty() {
        "_".into()
    } else {
        trimmed
    }
}

/// Postgres keeps NAMEDATALEN-1 bytes of an identifier; cut on a character boundary.
pub fn truncate_identifier(name: &str) -> String {
    let max = crate::fdw::import_sql::MAX_IDENTIFIER_BYTES;
    if name.len() <= max {
        return name.to_string();
    }
    let mut end = max;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("OrderDetails"), "order_details");
        assert_eq!(snake_case("Order Details"), "order_details");
        assert_eq!(snake_case("customerID"), "customer_id");
        assert_eq!(snake_case("HTTPServer2"), "http_server2");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(snake_case("  "), "_");
        assert_eq!(snake_case("ÄrgerÜber"), "ärger_über");
    }

    #[test]
    fn options_parse_and_refuse_unknown_keys() {
        let o = MigrateOptions::parse(r#"{"tables": ["a", "B"], "identifier_case": "snake", "on_error": "reject", "truncate": true}"#).unwrap();
        assert!(o.includes("A") && o.includes("b") && !o.includes("c"));
        assert_eq!(o.on_error, OnError::Reject);
        assert_eq!(o.target_name("OrderID"), "order_id");
        assert!(MigrateOptions::parse(r#"{"tabels": []}"#).unwrap_err().to_string().contains("tabels"));
        assert!(MigrateOptions::parse(r#"{"data_only": true, "schema_only": true}"#).is_err());
        assert!(MigrateOptions::parse(r#"{"on_error": "skip"}"#).is_err());
        assert!(MigrateOptions::parse("[]").is_err());
        let e = MigrateOptions::parse(r#"{"exclude": "x"}"#).unwrap();
        assert!(!e.includes("X"));
    }

    #[test]
    fn long_names_are_cut_on_character_boundaries() {
        let name = "é".repeat(40);
        let cut = truncate_identifier(&name);
        assert!(cut.len() <= 63 && cut.chars().all(|c| c == 'é'));
    }
}
