//! The Postgres names a migration will create, checked before anything runs: two
//! SQLite tables (or columns) must not land on one Postgres name — `OrderDetails` and
//! `Order Details` under `identifier_case 'snake'`, or two names equal in their first
//! 63 bytes — and a staging table must not take a name that is already in use.

use super::ddl::{default_staging_name, TableSpec};
use super::options::truncate_identifier;
use crate::error::{LiteportError, Result};
use std::collections::{HashMap, HashSet};

fn collision(what: &str, first: &str, second: &str, target: &str, hint: &str) -> LiteportError {
    LiteportError::InvalidArgument {
        what: format!(
            "SQLite {what} \"{}\" and \"{}\" would both become \"{}\" in Postgres; {hint}",
            crate::sql_names::visible(first),
            crate::sql_names::visible(second),
            crate::sql_names::visible(target)
        ),
    }
}

/// Refuse colliding table or column names, and give every table a staging name that
/// no target, no other staging table and no relation already in the schema has.
/// `existing`: names of the schema's relations (tables the migration creates itself
/// are among them only when they exist already).
pub fn check_and_assign(specs: &mut [TableSpec], existing: &HashSet<String>) -> Result<()> {
    let mut targets: HashMap<String, &str> = HashMap::new();
    for spec in specs.iter() {
        let name = truncate_identifier(&spec.target);
        if let Some(first) = targets.insert(name.clone(), &spec.source) {
            return Err(collision("tables", first, &spec.source, &name, "leave one out with the \"exclude\" option, or use \"identifier_case\": \"preserve\""));
        }
        let mut columns: HashMap<String, &str> = HashMap::new();
        for c in &spec.columns {
            let col = truncate_identifier(&c.target);
            if let Some(first) = columns.insert(col.clone(), &c.source) {
                return Err(collision(
                    &format!("columns of table \"{}\":", crate::sql_names::visible(&spec.source)),
                    first,
                    &c.source,
                    &col,
                    "use \"identifier_case\": \"preserve\", or rename one in SQLite (Postgres keeps 63 bytes of a name)",
                ));
            }
        }
    }
    let mut taken: HashSet<String> = existing.iter().cloned().collect();
    taken.extend(targets.keys().cloned());
    for spec in specs.iter_mut() {
        let mut candidate = default_staging_name(&spec.target);
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = truncate_identifier(&format!("_liteport_{n}_{}", spec.target));
            n += 1;
        }
        taken.insert(candidate.clone());
        spec.staging = candidate;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::ddl::table_spec;
    use crate::migrate::options::MigrateOptions;
    use crate::sqlite::catalog::read_catalog;

    fn specs(sql: &str, options: &str) -> Vec<TableSpec> {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(sql).unwrap();
        let cat = read_catalog(&db).unwrap();
        let all: Vec<_> = cat.tables.iter().collect();
        let opts = MigrateOptions::parse(options).unwrap();
        cat.tables.iter().map(|t| table_spec(t, &opts, None, None, &all, "app")).collect()
    }

    #[test]
    fn snake_case_collisions_are_refused_before_anything_runs() {
        let mut s = specs("CREATE TABLE \"OrderDetails\"(a); CREATE TABLE \"Order Details\"(a);", r#"{"identifier_case": "snake"}"#);
        let e = check_and_assign(&mut s, &HashSet::new()).unwrap_err().to_string();
        assert!(e.contains("\"Order Details\" and \"OrderDetails\" would both become \"order_details\""), "{e}");
        let mut c = specs("CREATE TABLE t(\"userId\", user_id)", r#"{"identifier_case": "snake"}"#);
        assert!(check_and_assign(&mut c, &HashSet::new()).unwrap_err().to_string().contains("columns of table \"t\""));
    }

    #[test]
    fn names_equal_in_their_first_63_bytes_collide() {
        let long = "x".repeat(70);
        let mut s = specs(&format!("CREATE TABLE \"{long}a\"(a); CREATE TABLE \"{long}b\"(a);"), "{}");
        assert!(check_and_assign(&mut s, &HashSet::new()).is_err());
    }

    #[test]
    fn staging_names_avoid_targets_and_existing_relations() {
        let mut s = specs("CREATE TABLE x(a); CREATE TABLE _liteport_x(a); CREATE TABLE y(a);", "{}");
        let existing: HashSet<String> = ["_liteport_y".to_string()].into();
        check_and_assign(&mut s, &existing).unwrap();
        let staging: HashMap<&str, &str> = s.iter().map(|t| (t.target.as_str(), t.staging.as_str())).collect();
        assert_eq!(staging["x"], "_liteport_2_x");
        assert_eq!(staging["_liteport_x"], "_liteport__liteport_x");
        assert_eq!(staging["y"], "_liteport_2_y");
    }
}
