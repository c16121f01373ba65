//! Which WHERE clauses and ORDER BY keys SQLite can evaluate with exactly Postgres's
//! result, and their SQLite form. Anything not provably the same stays a local filter.
//!
//! The rules, per column (decided at plan time from both catalogs):
//! - integer columns: Postgres smallint/integer/bigint over a SQLite column of
//!   INTEGER, REAL or NUMERIC affinity, compared with integers only; double precision
//!   over a REAL column, compared with floats only (mixing the two, Postgres rounds the
//!   integer to a double while SQLite compares exactly; real (float4) is never pushed:
//!   Postgres compares the narrowed value);
//! - text columns: Postgres text/varchar over a SQLite column of TEXT affinity with
//!   the BINARY collation; equality needs a deterministic Postgres collation, and
//!   ordering (< <= > >=, ORDER BY) the C collation (both then compare bytes);
//! - never: dates and timestamps (SQLite may store ISO text or epoch numbers, which it
//!   orders differently), booleans, numeric (typmod rounding), uuid, json, bytea, and
//!   any column with conversion options (empty_as_null, epoch_unit, timezone).
//!
//! Constructs: comparisons between such a column and a constant, a query parameter
//! ($1) or a value from an outer relation (a nested-loop parameter) of the same kind,
//! AND/OR/NOT, IS [NOT] NULL (any column without empty_as_null), `= ANY(constant
//! array)` (IN), and LIKE with a constant pattern on text columns (as an exact GLOB).
//! BETWEEN arrives as two comparisons. Only built-in operators are considered.

use super::deparse::{like_to_glob, OrderKey, RemoteExpr};
use super::nodes::*;
use pgrx::pg_sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushClass {
    None,
    /// Only IS [NOT] NULL.
    NullOnly,
    /// smallint/integer/bigint, compared with integer values only (an integer compared
    /// with a double would be rounded by Postgres and compared exactly by SQLite).
    Integer,
    /// double precision over a REAL column, compared with float values only.
    Float,
    Text,
}

impl PushClass {
    fn code(self) -> char {
        match self {
            PushClass::None => 'x',
            PushClass::NullOnly => 'n',
            PushClass::Integer => 'i',
            PushClass::Float => 'f',
            PushClass::Text => 't',
        }
    }
    fn from_code(c: char) -> PushClass {
        match c {
            'n' => PushClass::NullOnly,
            'i' => PushClass::Integer,
            'f' => PushClass::Float,
            't' => PushClass::Text,
            _ => PushClass::None,
        }
    }
}

/// What the planner knows of one column of the foreign table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub sqlite_name: String,
    pub class: PushClass,
    /// An index (or the rowid) leads with this column: an equality lookup is cheap.
    pub indexed: bool,
}

impl ColumnInfo {
    /// As one String node, for the RelOptInfo's fdw_private (planner-only).
    pub fn encode(&self) -> String {
        format!("{}{}{}", self.class.code(), if self.indexed { '1' } else { '0' }, self.sqlite_name)
    }
    pub fn decode(s: &str) -> ColumnInfo {
        let mut chars = s.chars();
        let class = PushClass::from_code(chars.next().unwrap_or('x'));
        let indexed = chars.next() == Some('1');
        ColumnInfo { sqlite_name: chars.collect(), class, indexed }
    }
}

/// The class of a column from its Postgres type, the SQLite affinity and collation of
/// the SQLite column, and whether it has conversion options.
pub fn column_class(pg_type: pg_sys::Oid, affinity: crate::types::declared::Affinity, sqlite_collation: &str, conversion: &super::options::ColumnConversion) -> PushClass {
    use crate::types::declared::Affinity;
    use pg_sys::BuiltinOid::*;
    if conversion.empty_as_null {
        return PushClass::None;
    }
    if conversion.epoch_unit.is_some() || conversion.timezone.is_some() {
        return PushClass::NullOnly;
    }
    match pg_sys::BuiltinOid::from_u32(pg_type.to_u32()) {
        Ok(INT2OID | INT4OID | INT8OID) if matches!(affinity, Affinity::Integer | Affinity::Real | Affinity::Numeric) => PushClass::Integer,
        // Not real (float4): Postgres compares the narrowed value, SQLite the double.
        Ok(FLOAT8OID) if affinity == Affinity::Real => PushClass::Float,
        Ok(TEXTOID | VARCHAROID) if affinity == Affinity::Text && sqlite_collation.eq_ignore_ascii_case("BINARY") => PushClass::Text,
        _ => PushClass::NullOnly,
    }
}

/// Does this collation order text by bytes (as SQLite's BINARY does)? "C" and
/// "POSIX" do; the database default does when its LC_COLLATE is C, POSIX or C.UTF-8
/// (code point order, which is byte order for UTF-8).
pub fn collation_is_c(collation: pg_sys::Oid) -> bool {
    match collation.to_u32() {
        950 | 951 => true, // C_COLLATION_OID, POSIX_COLLATION_OID
        100 => {
            // DEFAULT_COLLATION_OID: the backend's LC_COLLATE is the database's.
            let current = unsafe { libc::setlocale(libc::LC_COLLATE, std::ptr::null()) };
            if current.is_null() {
                return false;
            }
            let name = unsafe { std::ffi::CStr::from_ptr(current) }.to_string_lossy().to_ascii_lowercase();
            matches!(name.as_str(), "c" | "posix" | "c.utf-8" | "c.utf8")
        }
        _ => false,
    }
}

fn type_class(typ: pg_sys::Oid) -> Option<PushClass> {
    use pg_sys::BuiltinOid::*;
    match pg_sys::BuiltinOid::from_u32(typ.to_u32()) {
        Ok(INT2OID | INT4OID | INT8OID) => Some(PushClass::Integer),
        Ok(FLOAT4OID | FLOAT8OID) => Some(PushClass::Float),
        Ok(TEXTOID | VARCHAROID | UNKNOWNOID) => Some(PushClass::Text),
        _ => None,
    }
}

/// Walks clauses of one base relation, collecting the values to bind.
pub struct Deparser<'a> {
    pub relid: u32,
    pub columns: &'a [ColumnInfo],
    /// Expressions whose values are bound as ?1, ?2, ... (Const, Param, outer Var).
    pub params: Vec<*mut pg_sys::Expr>,
    /// Whether Vars of other relations may be used as parameters (parameterized paths).
    pub allow_outer: bool,
}

unsafe fn strip_relabel(node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    let mut n = node;
    unsafe {
        while !n.is_null() && (*n).type_ == pg_sys::NodeTag::T_RelabelType {
            n = (*(n as *mut pg_sys::RelabelType)).arg as *mut pg_sys::Node;
        }
    }
    n
}

impl Deparser<'_> {
    /// Our column behind `node`, if it is a plain column of this relation.
    unsafe fn column(&self, node: *mut pg_sys::Node) -> Option<&ColumnInfo> {
        let n = unsafe { strip_relabel(node) };
        if n.is_null() || unsafe { (*n).type_ } != pg_sys::NodeTag::T_Var {
            return None;
        }
        let var = n as *mut pg_sys::Var;
        unsafe {
            if (*var).varno as u32 != self.relid || (*var).varlevelsup != 0 || (*var).varattno <= 0 {
                return None;
            }
            self.columns.get((*var).varattno as usize - 1)
        }
    }

    /// A value to bind: a Const, a Param, or (when allowed) a Var of another relation,
    /// of a type of `class`.
    unsafe fn value(&mut self, node: *mut pg_sys::Node, class: PushClass) -> Option<RemoteExpr> {
        let n = unsafe { strip_relabel(node) };
        if n.is_null() {
            return None;
        }
        let ok_kind = unsafe {
            match (*n).type_ {
                pg_sys::NodeTag::T_Const | pg_sys::NodeTag::T_Param => true,
                pg_sys::NodeTag::T_Var => {
                    let var = n as *mut pg_sys::Var;
                    self.allow_outer && (*var).varno as u32 != self.relid && (*var).varlevelsup == 0
                }
                _ => false,
            }
        };
        if !ok_kind || unsafe { type_class(pg_sys::exprType(n)) } != Some(class) {
            return None;
        }
        self.params.push(n as *mut pg_sys::Expr);
        Some(RemoteExpr::Param(self.params.len()))
    }

    /// The SQLite form of a clause, or None (then Postgres filters locally). On None
    /// the caller discards this deparser's params (use a fresh one per clause).
    pub unsafe fn deparse(&mut self, node: *mut pg_sys::Node) -> Option<RemoteExpr> {
        if node.is_null() {
            return None;
        }
        unsafe {
            match (*node).type_ {
                pg_sys::NodeTag::T_BoolExpr => {
                    let b = node as *mut pg_sys::BoolExpr;
                    let mut args = Vec::new();
                    for arg in list_ptrs((*b).args) {
                        args.push(self.deparse(arg as *mut pg_sys::Node)?);
                    }
                    match (*b).boolop {
                        pg_sys::BoolExprType::AND_EXPR => Some(RemoteExpr::And(args)),
                        pg_sys::BoolExprType::OR_EXPR => Some(RemoteExpr::Or(args)),
                        _ => Some(RemoteExpr::Not(Box::new(args.into_iter().next()?))),
                    }
                }
                pg_sys::NodeTag::T_NullTest => {
                    let t = node as *mut pg_sys::NullTest;
                    if (*t).argisrow {
                        return None;
                    }
                    let col = self.column((*t).arg as *mut pg_sys::Node)?;
                    if col.class == PushClass::None {
                        return None;
                    }
                    let negated = (*t).nulltesttype == pg_sys::NullTestType::IS_NOT_NULL;
                    Some(RemoteExpr::IsNull(Box::new(RemoteExpr::Column(col.sqlite_name.clone())), negated))
                }
                pg_sys::NodeTag::T_OpExpr => self.operator(node as *mut pg_sys::OpExpr),
                pg_sys::NodeTag::T_ScalarArrayOpExpr => self.any_array(node as *mut pg_sys::ScalarArrayOpExpr),
                _ => None,
            }
        }
    }

    unsafe fn operator(&mut self, op: *mut pg_sys::OpExpr) -> Option<RemoteExpr> {
        unsafe {
            if (*op).opno.to_u32() >= pg_sys::FirstNormalObjectId {
                return None;
            }
            let args = list_ptrs((*op).args);
            if args.len() != 2 {
                return None;
            }
            let name = cstr_to_string(pg_sys::get_opname((*op).opno));
            let (left, right) = (args[0] as *mut pg_sys::Node, args[1] as *mut pg_sys::Node);
            // column op value, or value op column (then the operator is mirrored).
            let (col, other, mirrored) = match (self.column(left), self.column(right)) {
                (Some(c), _) => (c.clone(), right, false),
                (None, Some(c)) => (c.clone(), left, true),
                _ => return None,
            };
            if !matches!(col.class, PushClass::Integer | PushClass::Float | PushClass::Text) {
                return None;
            }
            let collation = (*op).inputcollid;
            let column = Box::new(RemoteExpr::Column(col.sqlite_name.clone()));
            match name.as_str() {
                "=" | "<>" | "<" | "<=" | ">" | ">=" => {
                    if col.class == PushClass::Text {
                        let ordering = !matches!(name.as_str(), "=" | "<>");
                        let ok = if ordering { collation_is_c(collation) } else { collation == pg_sys::Oid::INVALID || pg_sys::get_collation_isdeterministic(collation) };
                        if !ok {
                            return None;
                        }
                    }
                    let value = Box::new(self.value(other, col.class)?);
                    let op: &'static str = match (name.as_str(), mirrored) {
                        ("=", _) => "=",
                        ("<>", _) => "<>",
                        ("<", false) | (">", true) => "<",
                        ("<=", false) | (">=", true) => "<=",
                        ("<", true) | (">", false) => ">",
                        _ => ">=",
                    };
                    Some(RemoteExpr::Compare(column, op, value))
                }
                "~~" | "!~~" if col.class == PushClass::Text && !mirrored => {
                    let pattern = strip_relabel(other);
                    if (*pattern).type_ != pg_sys::NodeTag::T_Const || (*(pattern as *mut pg_sys::Const)).constisnull {
                        return None;
                    }
                    let text = pgrx::varlena::text_to_rust_str((*(pattern as *mut pg_sys::Const)).constvalue.cast_mut_ptr()).ok()?;
                    let glob = RemoteExpr::Glob(column, like_to_glob(text)?);
                    Some(if name == "~~" { glob } else { RemoteExpr::Not(Box::new(glob)) })
                }
                _ => None,
            }
        }
    }

    /// `column = ANY(constant array)` as `column IN (?, ...)`.
    unsafe fn any_array(&mut self, op: *mut pg_sys::ScalarArrayOpExpr) -> Option<RemoteExpr> {
        unsafe {
            if !(*op).useOr || (*op).opno.to_u32() >= pg_sys::FirstNormalObjectId || cstr_to_string(pg_sys::get_opname((*op).opno)) != "=" {
                return None;
            }
            let args = list_ptrs((*op).args);
            let col = self.column(args[0] as *mut pg_sys::Node)?.clone();
            if !matches!(col.class, PushClass::Integer | PushClass::Float | PushClass::Text) {
                return None;
            }
            if col.class == PushClass::Text && !((*op).inputcollid == pg_sys::Oid::INVALID || pg_sys::get_collation_isdeterministic((*op).inputcollid)) {
                return None;
            }
            let array = strip_relabel(args[1] as *mut pg_sys::Node);
            if (*array).type_ != pg_sys::NodeTag::T_Const || (*(array as *mut pg_sys::Const)).constisnull {
                return None;
            }
            let array_const = array as *mut pg_sys::Const;
            let arr = pg_sys::pg_detoast_datum((*array_const).constvalue.cast_mut_ptr()) as *mut pg_sys::ArrayType;
            let elem_type = (*arr).elemtype;
            if type_class(elem_type) != Some(col.class) {
                return None;
            }
            let (mut typlen, mut typbyval, mut typalign) = (0i16, false, 0 as std::ffi::c_char);
            pg_sys::get_typlenbyvalalign(elem_type, &mut typlen, &mut typbyval, &mut typalign);
            let mut values: *mut pg_sys::Datum = std::ptr::null_mut();
            let mut nulls: *mut bool = std::ptr::null_mut();
            let mut count = 0;
            pg_sys::deconstruct_array(arr, elem_type, typlen as i32, typbyval, typalign, &mut values, &mut nulls, &mut count);
            if count == 0 || count > 1000 {
                return None;
            }
            let mut items = Vec::with_capacity(count as usize);
            for i in 0..count as usize {
                let c = pg_sys::makeConst(elem_type, -1, (*array_const).constcollid, typlen as i32, *values.add(i), *nulls.add(i), typbyval);
                items.push(self.value(c as *mut pg_sys::Node, col.class)?);
            }
            Some(RemoteExpr::In(Box::new(RemoteExpr::Column(col.sqlite_name.clone())), items))
        }
    }

    /// ORDER BY keys for `pathkeys`, if every key is a column of this relation SQLite
    /// orders exactly as Postgres (numeric, or text under the C collation).
    pub unsafe fn order_keys(&self, pathkeys: *mut pg_sys::List) -> Option<Vec<OrderKey>> {
        let mut keys = Vec::new();
        unsafe {
            for pk in list_ptrs(pathkeys) {
                let pathkey = pk as *mut pg_sys::PathKey;
                let ec = (*pathkey).pk_eclass;
                if (*ec).ec_has_volatile {
                    return None;
                }
                let member = list_ptrs((*ec).ec_members)
                    .into_iter()
                    .map(|m| m as *mut pg_sys::EquivalenceMember)
                    .find(|m| self.column((**m).em_expr as *mut pg_sys::Node).is_some())?;
                let col = self.column((*member).em_expr as *mut pg_sys::Node)?;
                let ok = match col.class {
                    PushClass::Integer | PushClass::Float => true,
                    PushClass::Text => collation_is_c((*ec).ec_collation),
                    _ => false,
                };
                // The default btree ordering of the type: strategy < or >.
                let strategy = crate::pg_compat::pathkey_strategy(pathkey);
                if !ok || (strategy != pg_sys::BTLessStrategyNumber && strategy != pg_sys::BTGreaterStrategyNumber) {
                    return None;
                }
                keys.push(OrderKey {
                    column: col.sqlite_name.clone(),
                    descending: strategy == pg_sys::BTGreaterStrategyNumber,
                    nulls_first: (*pathkey).pk_nulls_first,
                });
            }
        }
        Some(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_info_round_trips_through_a_string() {
        let c = ColumnInfo { sqlite_name: "Order ID".into(), class: PushClass::Integer, indexed: true };
        assert_eq!(ColumnInfo::decode(&c.encode()), c);
        let t = ColumnInfo { sqlite_name: "".into(), class: PushClass::None, indexed: false };
        assert_eq!(ColumnInfo::decode(&t.encode()), t);
    }
}
