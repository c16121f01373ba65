//! What SQLite may evaluate of a Postgres clause, for every value a SQLite column can
//! hold. A pushed condition may only remove rows that Postgres would remove too.
//!
//! SQLite compares by storage class before value: every number is less than every
//! text, every text less than every blob, and a NaN can only be stored as text. So
//! where a column may hold values of another class than the one Postgres compares
//! (text like ' 8' in an INTEGER column, which Postgres reads as 8; 'NaN' or
//! '-Infinity' as text in a REAL column; a blob in a TEXT column, which Postgres
//! reads as its bytes; numbers in a view column), the pushed SQL lets those rows
//! through with a guard, and Postgres rechecks the clause on every row it receives:
//!
//! | column kind | rows let through (guard)             | as SQLite SQL                  |
//! |-------------|--------------------------------------|--------------------------------|
//! | integer     | text and blob values                 | `col >= ''`                    |
//! | float       | text and blob values; integers beyond 2^53 where integers can be stored; every row when the value is NaN and NaN makes the comparison true | `col >= ''`, `col > 9007199254740992 OR col < -9007199254740992`, `?n` (1 when NaN) |
//! | text        | numbers and blobs                    | `col < ''`, `col >= x''`       |
//!
//! Each guard is an index range in SQLite (numbers < '' <= text < x'' <= blobs), so an
//! indexed equality still uses the index. A column that can only hold the class
//! Postgres compares — an INTEGER, REAL or TEXT column of a STRICT table, or the
//! rowid — needs no guard: its clauses are exact and are not rechecked, and only such
//! columns are sorted by SQLite (ORDER BY, and with it LIMIT).
//!
//! Under NOT the guard must let through the rows whose clause may be *false*, so the
//! SQL is built from two approximations: `may_be_true` and `may_be_false`.

use super::deparse::{like_to_glob, OrderKey, RemoteExpr};
use super::qual::{CmpOp, Qual, Value};
use pgrx::pg_sys;

/// The kind of value a pushable column is compared with (and its Postgres type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// smallint/integer/bigint, compared with integer values only.
    Integer,
    /// double precision over a REAL or numeric-affinity column, compared with floats.
    Float,
    /// text/varchar over a TEXT column with the BINARY collation.
    Text,
}

/// What the planner knows of one column of the foreign table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnFacts {
    pub sqlite_name: String,
    /// Comparisons with values of this kind may be pushed (None: none).
    pub kind: Option<ValueKind>,
    /// IS [NOT] NULL may be pushed (no option turns values into NULL).
    pub null_test: bool,
    /// The column holds only the storage class Postgres compares: no guard, no
    /// recheck, and SQLite may sort by it.
    pub exact: bool,
    /// Integers can be stored (a float column outside a REAL-affinity table column:
    /// integers beyond 2^53 then compare differently once Postgres rounds them).
    pub may_hold_integers: bool,
    /// An index (or the rowid) leads with this column: an equality lookup is cheap.
    pub indexed: bool,
}

/// How a bound value is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindMode {
    /// As it is (a float NaN becomes NULL in SQLite).
    Value,
    /// 1 when the value is a float NaN, else 0.
    IsNan,
}

/// A parameter of the SQLite statement: which value, and how it is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub expr: usize,
    pub mode: BindMode,
}

/// A clause as SQLite evaluates it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub sql: RemoteExpr,
    /// The SQL may let through rows Postgres would remove: keep the clause locally.
    pub recheck: bool,
}

/// Builds the SQLite side of clauses, numbering parameters as it goes.
pub struct Builder<'a> {
    pub columns: &'a [ColumnFacts],
    /// Parameters in `?n` order (?1 is slots[0]).
    pub slots: Vec<Slot>,
    recheck: bool,
}

const INTEGER_EXACT_FLOAT: &str = "9007199254740992";

impl<'a> Builder<'a> {
    pub fn new(columns: &'a [ColumnFacts]) -> Builder<'a> {
        Builder { columns, slots: Vec::new(), recheck: false }
    }

    fn param(&mut self, value: Value, mode: BindMode) -> RemoteExpr {
        self.slots.push(Slot { expr: value.expr, mode });
        RemoteExpr::Param(self.slots.len())
    }

    fn col(&self, column: usize) -> RemoteExpr {
        RemoteExpr::Column(self.columns[column].sqlite_name.clone())
    }

    /// Rows of `column` whose comparison SQLite may decide differently than Postgres.
    fn guards(&mut self, column: usize) -> Vec<RemoteExpr> {
        let facts = &self.columns[column];
        if facts.exact {
            return vec![];
        }
        self.recheck = true;
        let col = || Box::new(RemoteExpr::Column(facts.sqlite_name.clone()));
        let lit = |s: &'static str| Box::new(RemoteExpr::Literal(s));
        match facts.kind {
            Some(ValueKind::Integer) => vec![RemoteExpr::Compare(col(), ">=", lit("''"))],
            Some(ValueKind::Float) => {
                let mut g = vec![RemoteExpr::Compare(col(), ">=", lit("''"))];
                if facts.may_hold_integers {
                    g.push(RemoteExpr::Compare(col(), ">", lit(INTEGER_EXACT_FLOAT)));
                    g.push(RemoteExpr::Compare(col(), "<", lit("-9007199254740992")));
                }
                g
            }
            Some(ValueKind::Text) => vec![RemoteExpr::Compare(col(), "<", lit("''")), RemoteExpr::Compare(col(), ">=", lit("x''"))],
            None => vec![],
        }
    }

    fn or(mut parts: Vec<RemoteExpr>) -> RemoteExpr {
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            RemoteExpr::Or(parts)
        }
    }

    /// SQL true for every row on which Postgres may find `q` true.
    pub fn may_be_true(&mut self, q: &Qual) -> RemoteExpr {
        match q {
            Qual::And(items) => RemoteExpr::And(items.iter().map(|i| self.may_be_true(i)).collect()),
            Qual::Or(items) => RemoteExpr::Or(items.iter().map(|i| self.may_be_true(i)).collect()),
            Qual::Not(inner) => self.may_be_false(inner),
            Qual::IsNull { column, negated } => RemoteExpr::IsNull(Box::new(self.col(*column)), *negated),
            Qual::Compare { column, op, value } => self.compare(*column, *op, *value, true),
            Qual::In { column, values } => self.any(*column, values, true),
            Qual::Like { column, pattern, negated } => self.like(*column, pattern, !*negated),
        }
    }

    /// SQL true for every row on which Postgres may find `q` false.
    pub fn may_be_false(&mut self, q: &Qual) -> RemoteExpr {
        match q {
            Qual::And(items) => RemoteExpr::Or(items.iter().map(|i| self.may_be_false(i)).collect()),
            Qual::Or(items) => RemoteExpr::And(items.iter().map(|i| self.may_be_false(i)).collect()),
            Qual::Not(inner) => self.may_be_true(inner),
            Qual::IsNull { column, negated } => RemoteExpr::IsNull(Box::new(self.col(*column)), !*negated),
            Qual::Compare { column, op, value } => self.compare(*column, *op, *value, false),
            Qual::In { column, values } => self.any(*column, values, false),
            Qual::Like { column, pattern, negated } => self.like(*column, pattern, *negated),
        }
    }

    /// `col op value` (`truth` true) or its negation, guarded. A float NaN, which
    /// SQLite binds as NULL, is equal to itself and above every number in Postgres:
    /// where that makes the comparison hold for every stored number, a flag bound to
    /// 1 for NaN lets every row through.
    fn compare(&mut self, column: usize, op: CmpOp, value: Value, truth: bool) -> RemoteExpr {
        let mut parts = self.guards(column);
        if value.kind == ValueKind::Float {
            // For stored (non-NaN) numbers x: x = NaN, x > NaN, x >= NaN are false;
            // x <> NaN, x < NaN, x <= NaN are true.
            let nan_makes_true = matches!(op, CmpOp::Ne | CmpOp::Lt | CmpOp::Le);
            if nan_makes_true == truth {
                self.recheck = true;
                parts.push(self.param(value, BindMode::IsNan));
            }
        }
        let cmp = RemoteExpr::Compare(Box::new(self.col(column)), op.sql(), Box::new(self.param(value, BindMode::Value)));
        parts.push(if truth { cmp } else { RemoteExpr::Not(Box::new(cmp)) });
        Builder::or(parts)
    }

    fn any(&mut self, column: usize, values: &[Value], truth: bool) -> RemoteExpr {
        let mut parts = self.guards(column);
        if !truth {
            // x IN (..., NaN, ...) is false for every stored number when no other
            // element matches: let every row through when any element is NaN.
            for v in values.iter().filter(|v| v.kind == ValueKind::Float) {
                self.recheck = true;
                parts.push(self.param(*v, BindMode::IsNan));
            }
        }
        let items = values.iter().map(|v| self.param(*v, BindMode::Value)).collect();
        let inside = RemoteExpr::In(Box::new(self.col(column)), items);
        parts.push(if truth { inside } else { RemoteExpr::Not(Box::new(inside)) });
        Builder::or(parts)
    }

    fn like(&mut self, column: usize, pattern: &str, truth: bool) -> RemoteExpr {
        let mut parts = self.guards(column);
        let glob = RemoteExpr::Glob(Box::new(self.col(column)), like_to_glob(pattern).expect("checked when extracted"));
        parts.push(if truth { glob } else { RemoteExpr::Not(Box::new(glob)) });
        Builder::or(parts)
    }

    /// The SQLite form of one top-level clause.
    pub fn clause(&mut self, q: &Qual) -> Pushed {
        self.recheck = false;
        let sql = self.may_be_true(q);
        Pushed { sql, recheck: self.recheck }
    }
}

/// ORDER BY keys SQLite may sort by: exact columns only (see the module comment), text
/// only under a byte-order collation (`byte_order` judges a collation). `keys`:
/// (column, descending, nulls first, collation) per path key.
pub fn order_keys(columns: &[ColumnFacts], keys: &[(usize, bool, bool, pg_sys::Oid)], byte_order: impl Fn(pg_sys::Oid) -> bool) -> Option<Vec<OrderKey>> {
    keys.iter()
        .map(|&(column, descending, nulls_first, collation)| {
            let facts = columns.get(column)?;
            let ok = facts.exact
                && match facts.kind {
                    Some(ValueKind::Integer | ValueKind::Float) => true,
                    Some(ValueKind::Text) => byte_order(collation),
                    None => false,
                };
            ok.then(|| OrderKey { column: facts.sqlite_name.clone(), descending, nulls_first })
        })
        .collect()
}

/// The class of a column from its Postgres type, the SQLite column's affinity and
/// collation, and whether it has conversion options.
pub fn column_kind(pg_type: pg_sys::Oid, affinity: crate::types::declared::Affinity, sqlite_collation: &str, conversion: &super::options::ColumnConversion) -> (Option<ValueKind>, bool) {
    use crate::types::declared::Affinity;
    use pg_sys::BuiltinOid::*;
    if conversion.empty_as_null {
        return (None, false);
    }
    if conversion.epoch_unit.is_some() || conversion.timezone.is_some() || conversion.interval_unit.is_some() {
        return (None, true);
    }
    let kind = match pg_sys::BuiltinOid::from_u32(pg_type.to_u32()) {
        Ok(INT2OID | INT4OID | INT8OID) if matches!(affinity, Affinity::Integer | Affinity::Real | Affinity::Numeric) => Some(ValueKind::Integer),
        // Not real (float4): Postgres compares the narrowed value, SQLite the double.
        Ok(FLOAT8OID) if affinity == Affinity::Real => Some(ValueKind::Float),
        Ok(TEXTOID | VARCHAROID) if affinity == Affinity::Text && sqlite_collation.eq_ignore_ascii_case("BINARY") => Some(ValueKind::Text),
        _ => None,
    };
    (kind, true)
}

/// Does this collation order text by bytes, as SQLite's BINARY does? Decided from the
/// collation's provider and locale (the database's, for the default collation): a
/// libc "C" or "POSIX" does; a libc or builtin C.UTF-8 does when a probe of pairs that
/// other orders disagree on confirms it; ICU never does (whatever LC_COLLATE says).
/// Cached per collation for the backend.
pub fn collation_is_byte_order(collation: pg_sys::Oid) -> bool {
    use std::cell::RefCell;
    use std::collections::HashMap;
    if collation == pg_sys::Oid::INVALID {
        return false;
    }
    thread_local!(static KNOWN: RefCell<HashMap<u32, bool>> = RefCell::new(HashMap::new()));
    if let Some(known) = KNOWN.with(|k| k.borrow().get(&collation.to_u32()).copied()) {
        return known;
    }
    let answer = byte_order_by_catalog(collation);
    KNOWN.with(|k| k.borrow_mut().insert(collation.to_u32(), answer));
    answer
}

fn byte_order_by_catalog(collation: pg_sys::Oid) -> bool {
    use pgrx::prelude::*;
    // (provider, locale) of the collation, or of the database for the default one.
    let found = Spi::get_two_with_args::<String, String>(
        "SELECT CASE WHEN c.collprovider OPERATOR(pg_catalog.=) 'd' THEN d.datlocprovider ELSE c.collprovider END::pg_catalog.text, \
                CASE WHEN c.collprovider OPERATOR(pg_catalog.=) 'd' THEN d.datcollate ELSE c.collcollate END::pg_catalog.text \
         FROM pg_catalog.pg_collation c, pg_catalog.pg_database d \
         WHERE c.oid OPERATOR(pg_catalog.=) $1 AND d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()",
        &[collation.into()],
    );
    let Ok((Some(provider), locale)) = found else { return false };
    let locale = locale.unwrap_or_default().to_ascii_lowercase();
    match (provider.as_str(), locale.as_str()) {
        ("c", "c" | "posix") => true,
        ("c" | "b", "c.utf-8" | "c.utf8" | "c") => probe_is_byte_order(collation),
        _ => false,
    }
}

/// Pairs a linguistic order puts the other way round from code points.
fn probe_is_byte_order(collation: pg_sys::Oid) -> bool {
    const PAIRS: &[(&str, &str)] = &[("B", "a"), ("Z", "a"), ("a", "b"), ("_", "a"), ("é", "f"), ("Ä", "b"), ("a b", "ab"), ("1", "A"), ("~", "é"), ("ab", "b")];
    PAIRS.iter().all(|(lo, hi)| {
        let cmp = unsafe { pg_sys::varstr_cmp(lo.as_ptr() as *const _, lo.len() as i32, hi.as_ptr() as *const _, hi.len() as i32, collation) };
        cmp < 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fdw::qual::Value;

    fn facts(kind: ValueKind, exact: bool) -> ColumnFacts {
        ColumnFacts { sqlite_name: "c".into(), kind: Some(kind), null_test: true, exact, may_hold_integers: false, indexed: false }
    }

    fn v(kind: ValueKind) -> Value {
        Value { expr: 0, kind }
    }

    fn push(columns: &[ColumnFacts], q: &Qual) -> (String, bool, Vec<Slot>) {
        let mut b = Builder::new(columns);
        let p = b.clause(q);
        (p.sql.to_sql(), p.recheck, b.slots)
    }

    #[test]
    fn exact_columns_push_plain_comparisons() {
        let cols = [facts(ValueKind::Integer, true)];
        let q = Qual::Compare { column: 0, op: CmpOp::Eq, value: v(ValueKind::Integer) };
        assert_eq!(push(&cols, &q), ("\"c\" = ?1".into(), false, vec![Slot { expr: 0, mode: BindMode::Value }]));
        let n = Qual::Not(Box::new(q));
        assert_eq!(push(&cols, &n).0, "NOT (\"c\" = ?1)");
    }

    #[test]
    fn other_storage_classes_pass_the_guard_and_are_rechecked() {
        let ints = [facts(ValueKind::Integer, false)];
        let q = Qual::Compare { column: 0, op: CmpOp::Eq, value: v(ValueKind::Integer) };
        assert_eq!(push(&ints, &q), ("(\"c\" >= '' OR \"c\" = ?1)".into(), true, vec![Slot { expr: 0, mode: BindMode::Value }]));
        // Under NOT the guard still lets the text rows through.
        assert_eq!(push(&ints, &Qual::Not(Box::new(q.clone()))).0, "(\"c\" >= '' OR NOT (\"c\" = ?1))");
        let texts = [facts(ValueKind::Text, false)];
        let t = Qual::Compare { column: 0, op: CmpOp::Lt, value: v(ValueKind::Text) };
        assert_eq!(push(&texts, &t).0, "(\"c\" < '' OR \"c\" >= x'' OR \"c\" < ?1)");
    }

    #[test]
    fn nan_lets_every_row_through_where_it_makes_the_comparison_true() {
        let floats = [facts(ValueKind::Float, true)];
        let ne = Qual::Compare { column: 0, op: CmpOp::Ne, value: v(ValueKind::Float) };
        let (sql, recheck, slots) = push(&floats, &ne);
        assert_eq!(sql, "(?1 OR \"c\" <> ?2)");
        assert!(recheck);
        assert_eq!(slots[0].mode, BindMode::IsNan);
        // c = NaN holds for no stored number: NULL binding removes them, as Postgres.
        let eq = Qual::Compare { column: 0, op: CmpOp::Eq, value: v(ValueKind::Float) };
        assert_eq!(push(&floats, &eq), ("\"c\" = ?1".into(), false, vec![Slot { expr: 0, mode: BindMode::Value }]));
        // ... but its negation holds for all of them.
        assert_eq!(push(&floats, &Qual::Not(Box::new(eq))).0, "(?1 OR NOT (\"c\" = ?2))");
        let not_in = Qual::Not(Box::new(Qual::In { column: 0, values: vec![v(ValueKind::Float), v(ValueKind::Float)] }));
        assert_eq!(push(&floats, &not_in).0, "(?1 OR ?2 OR NOT (\"c\" IN (?3, ?4)))");
    }

    #[test]
    fn float_columns_that_may_hold_integers_let_large_ones_through() {
        let mut f = facts(ValueKind::Float, false);
        f.may_hold_integers = true;
        let q = Qual::Compare { column: 0, op: CmpOp::Gt, value: v(ValueKind::Float) };
        assert_eq!(push(&[f], &q).0, "(\"c\" >= '' OR \"c\" > 9007199254740992 OR \"c\" < -9007199254740992 OR \"c\" > ?1)");
    }

    #[test]
    fn only_exact_columns_are_sorted_by_sqlite() {
        let cols = [facts(ValueKind::Integer, true), facts(ValueKind::Integer, false)];
        let c = pg_sys::Oid::INVALID;
        assert!(order_keys(&cols, &[(0, false, false, c)], |_| true).is_some());
        assert!(order_keys(&cols, &[(0, false, false, c), (1, true, true, c)], |_| true).is_none());
        let texts = [facts(ValueKind::Text, true)];
        assert!(order_keys(&texts, &[(0, false, false, c)], |_| true).is_some());
        assert!(order_keys(&texts, &[(0, false, false, c)], |_| false).is_none());
    }
}
