//! The options liteport accepts, where, and what values they take: the validator's
//! rules as plain data and functions, and the reading of a server's or table's options.

use crate::error::{LiteportError, Result};
use crate::sqlite::connection::SourceOptions;
use crate::types::datetime::EpochUnit;
use crate::types::scalar;

/// The catalog an option list belongs to, as Postgres tells the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionContext {
    Wrapper,
    Server,
    UserMapping,
    ForeignTable,
    Column,
}

pub const DEFAULT_BUSY_TIMEOUT_MS: i32 = 5000;

impl OptionContext {
    pub fn valid_options(self) -> &'static [&'static str] {
        match self {
            OptionContext::Wrapper | OptionContext::UserMapping => &[],
            OptionContext::Server => &["database", "large_object", "busy_timeout_ms", "timezone"],
            OptionContext::ForeignTable => &["table", "on_error", "reject_target", "timezone"],
            OptionContext::Column => &["column_name", "epoch_unit", "empty_as_null", "timezone", "interval_unit", "numeric_rounding", "float_digits", "srid"],
        }
    }
}

/// Check names and values of one option list. Privileges are checked by the caller,
/// which knows the current role.
pub fn validate(context: OptionContext, options: &[(String, String)]) -> Result<()> {
    let valid = context.valid_options();
    let has = |key: &str| options.iter().any(|(k, _)| k == key);
    if has("database") && has("large_object") {
        return Err(LiteportError::InvalidOptionValue {
            name: "large_object".into(),
            reason: "a server reads either a file (database) or a large object (large_object), not both".into(),
        });
    }
    for (name, value) in options {
        if !valid.contains(&name.as_str()) {
            return Err(LiteportError::InvalidOption { name: name.clone(), valid: valid.to_vec() });
        }
        match name.as_str() {
            "on_error" if !matches!(value.as_str(), "abort" | "reject") => {
                return Err(LiteportError::InvalidOptionValue { name: name.clone(), reason: format!("\"{value}\" is not abort or reject") });
            }
            "database" | "table" | "column_name" | "reject_target" if value.is_empty() => {
                return Err(LiteportError::InvalidOptionValue { name: name.clone(), reason: "must not be empty".into() });
            }
            "busy_timeout_ms" => {
                parse_busy_timeout(value)?;
            }
            "large_object" => {
                parse_large_object(value)?;
            }
            "epoch_unit" | "empty_as_null" | "timezone" | "interval_unit" | "numeric_rounding" | "float_digits" | "srid" => {
                column_conversion(&[(name.clone(), value.clone())])?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_large_object(value: &str) -> Result<u32> {
    value.trim().parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(|| LiteportError::InvalidOptionValue {
        name: "large_object".into(),
        reason: format!("\"{value}\" is not a large object's oid"),
    })
}

fn parse_busy_timeout(value: &str) -> Result<i32> {
    value.trim().parse::<i32>().ok().filter(|v| *v >= 0).ok_or_else(|| LiteportError::InvalidOptionValue {
        name: "busy_timeout_ms".into(),
        reason: format!("\"{value}\" is not a whole number of milliseconds between 0 and 2147483647"),
    })
}

/// How one column's stored values are read: its conversion-steering column options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnConversion {
    /// Numbers in a date/time column count this unit since the unix epoch (default
    /// seconds); with the option set, numeric text is read the same way.
    pub epoch_unit: Option<EpochUnit>,
    /// An empty string reads as NULL.
    pub empty_as_null: bool,
    /// The zone of naive timestamps read into timestamptz: the column's, else the
    /// foreign table's, else the server's option (default UTC, never the session's).
    pub timezone: Option<String>,
    /// What an integer or real read into interval counts (no default: an error).
    pub interval_unit: Option<IntervalUnit>,
    /// A value with more scale than the numeric(p,s) column holds is rounded so
    /// (never by default: an error).
    pub numeric_rounding: Option<crate::types::decimal::Rounding>,
    /// A REAL read into numeric keeps this many significant digits (rounded, ties to
    /// even) instead of all it has: what an application that reads REALs that way
    /// shows (Django: 15).
    pub float_digits: Option<u32>,
    /// The SRID a GeoPackage geometry read into a PostGIS column gets (default: the
    /// blob's srs_id).
    pub srid: Option<i32>,
}

/// The unit of numbers read into interval (column option `interval_unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalUnit {
    Micros,
    Millis,
    Seconds,
}

impl IntervalUnit {
    pub const NAMES: &'static str = "us, ms or s";

    pub fn parse(name: &str) -> Option<IntervalUnit> {
        match name.trim().to_ascii_lowercase().as_str() {
            "us" | "microseconds" => Some(IntervalUnit::Micros),
            "ms" | "milliseconds" => Some(IntervalUnit::Millis),
            "s" | "seconds" => Some(IntervalUnit::Seconds),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            IntervalUnit::Micros => "us",
            IntervalUnit::Millis => "ms",
            IntervalUnit::Seconds => "s",
        }
    }

    /// Microseconds in one unit.
    pub fn micros(self) -> i64 {
        match self {
            IntervalUnit::Micros => 1,
            IntervalUnit::Millis => 1_000,
            IntervalUnit::Seconds => 1_000_000,
        }
    }
}

/// A column's conversion with the zone it inherits: the foreign table's `timezone`
/// option, else the server's, when the column has none.
pub fn effective_conversion(column: &[(String, String)], table: &[(String, String)], server: &[(String, String)]) -> Result<ColumnConversion> {
    let mut conversion = column_conversion(column)?;
    if conversion.timezone.is_none() {
        let inherited = table.iter().chain(server.iter()).find(|(k, _)| k == "timezone").map(|(_, v)| v.clone());
        conversion.timezone = inherited;
    }
    Ok(conversion)
}

/// The conversion options among a column's options (others are ignored here).
pub fn column_conversion(options: &[(String, String)]) -> Result<ColumnConversion> {
    let mut conversion = ColumnConversion::default();
    for (name, value) in options {
        match name.as_str() {
            "epoch_unit" => {
                conversion.epoch_unit = Some(EpochUnit::parse(value).ok_or_else(|| LiteportError::InvalidOptionValue {
                    name: name.clone(),
                    reason: format!("\"{value}\" is not an epoch unit (use {})", EpochUnit::NAMES),
                })?);
            }
            "empty_as_null" => {
                conversion.empty_as_null = scalar::parse_bool(value).map_err(|_| LiteportError::InvalidOptionValue {
                    name: name.clone(),
                    reason: format!("\"{value}\" is not a boolean"),
                })?;
            }
            "timezone" => {
                if value.trim().is_empty() {
                    return Err(LiteportError::InvalidOptionValue { name: name.clone(), reason: "must not be empty".into() });
                }
                conversion.timezone = Some(value.clone());
            }
            "interval_unit" => {
                conversion.interval_unit = Some(IntervalUnit::parse(value).ok_or_else(|| LiteportError::InvalidOptionValue {
                    name: name.clone(),
                    reason: format!("\"{value}\" is not an interval unit (use {})", IntervalUnit::NAMES),
                })?);
            }
            "numeric_rounding" => {
                conversion.numeric_rounding = Some(crate::types::decimal::Rounding::parse(value).ok_or_else(|| LiteportError::InvalidOptionValue {
                    name: name.clone(),
                    reason: format!("\"{value}\" is not a rounding (use {})", crate::types::decimal::Rounding::NAMES),
                })?);
            }
            "srid" => {
                conversion.srid = Some(value.trim().parse::<i32>().ok().filter(|s| *s >= 0).ok_or_else(|| LiteportError::InvalidOptionValue {
                    name: name.clone(),
                    reason: format!("\"{value}\" is not an SRID"),
                })?);
            }
            "float_digits" => {
                conversion.float_digits = Some(value.trim().parse::<u32>().ok().filter(|d| (1..=17).contains(d)).ok_or_else(|| LiteportError::InvalidOptionValue {
                    name: name.clone(),
                    reason: format!("\"{value}\" is not a number of significant digits from 1 to 17"),
                })?);
            }
            _ => {}
        }
    }
    Ok(conversion)
}

/// A server's options as a SQLite source.
pub fn source_options(server_name: &str, options: &[(String, String)]) -> Result<SourceOptions> {
    let get = |key: &str| options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let large_object = get("large_object").map(parse_large_object).transpose()?;
    let database = match (get("database"), large_object) {
        (Some(path), None) => path,
        (None, Some(_)) => "",
        _ => {
            return Err(LiteportError::MissingOption {
                what: format!(
                    "server \"{server_name}\" needs a \"database\" option (the path of the SQLite file) or a \"large_object\" option (the oid of an uploaded one)"
                ),
            })
        }
    };
    let busy_timeout_ms = match get("busy_timeout_ms") {
        Some(v) => parse_busy_timeout(v)?,
        None => DEFAULT_BUSY_TIMEOUT_MS,
    };
    Ok(SourceOptions { server_name: server_name.to_string(), database: database.to_string(), large_object, busy_timeout_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn unknown_options_name_the_valid_ones() {
        let err = validate(OptionContext::Server, &opts(&[("filename", "/x")])).unwrap_err();
        assert_eq!(err.to_string(), "liteport: invalid option \"filename\"");
        assert_eq!(err.hint().unwrap(), "Valid options in this context are: database, large_object, busy_timeout_ms, timezone");
        let err = validate(OptionContext::UserMapping, &opts(&[("user", "x")])).unwrap_err();
        assert_eq!(err.hint().unwrap(), "There are no valid options in this context.");
        assert!(validate(OptionContext::ForeignTable, &opts(&[("database", "x")])).is_err());
        assert!(validate(OptionContext::Column, &opts(&[("column_name", "x")])).is_ok());
    }

    #[test]
    fn values_are_checked() {
        assert!(validate(OptionContext::Server, &opts(&[("database", "/a.db"), ("busy_timeout_ms", "100")])).is_ok());
        for bad in ["-1", "abc", "1.5", "99999999999"] {
            assert!(validate(OptionContext::Server, &opts(&[("busy_timeout_ms", bad)])).is_err(), "{bad}");
        }
        assert!(validate(OptionContext::Server, &opts(&[("database", "")])).is_err());
        assert!(validate(OptionContext::ForeignTable, &opts(&[("table", "")])).is_err());
        assert!(validate(OptionContext::ForeignTable, &opts(&[("on_error", "reject"), ("reject_target", "app.t")])).is_ok());
        assert!(validate(OptionContext::ForeignTable, &opts(&[("on_error", "skip")])).is_err());
    }

    #[test]
    fn column_conversion_options() {
        let c = column_conversion(&opts(&[("column_name", "x"), ("epoch_unit", "ms"), ("empty_as_null", "true"), ("timezone", "Europe/Paris")])).unwrap();
        assert_eq!(c, ColumnConversion { epoch_unit: Some(EpochUnit::Millis), empty_as_null: true, timezone: Some("Europe/Paris".into()), interval_unit: None, numeric_rounding: None, float_digits: None, srid: None });
        let inherited = effective_conversion(&opts(&[("interval_unit", "us")]), &opts(&[("timezone", "Asia/Tokyo")]), &opts(&[("timezone", "UTC")])).unwrap();
        assert_eq!((inherited.timezone.as_deref(), inherited.interval_unit), (Some("Asia/Tokyo"), Some(IntervalUnit::Micros)));
        assert_eq!(effective_conversion(&opts(&[("timezone", "UTC")]), &opts(&[("timezone", "Asia/Tokyo")]), &[]).unwrap().timezone.as_deref(), Some("UTC"));
        assert_eq!(column_conversion(&[]).unwrap(), ColumnConversion::default());
        for (name, bad) in [("epoch_unit", "hours"), ("empty_as_null", "maybe"), ("timezone", " "), ("interval_unit", "days")] {
            let err = validate(OptionContext::Column, &opts(&[(name, bad)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
        assert!(validate(OptionContext::ForeignTable, &opts(&[("epoch_unit", "s")])).is_err());
    }

    #[test]
    fn source_options_default_and_require() {
        let s = source_options("s", &opts(&[("database", "/a.db")])).unwrap();
        assert_eq!(s.busy_timeout_ms, DEFAULT_BUSY_TIMEOUT_MS);
        assert!(source_options("s", &[]).unwrap_err().to_string().contains("needs a \"database\" option"));
        let lo = source_options("s", &opts(&[("large_object", "16384")])).unwrap();
        assert_eq!((lo.large_object, lo.describe()), (Some(16384), "large object 16384".to_string()));
        assert!(validate(OptionContext::Server, &opts(&[("database", "/a.db"), ("large_object", "1")])).is_err());
        assert!(validate(OptionContext::Server, &opts(&[("large_object", "-1")])).is_err());
        assert!(validate(OptionContext::Server, &opts(&[("large_object", "0")])).is_err());
    }
}
