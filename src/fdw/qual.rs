//! Postgres clauses of one foreign relation as a plain `Qual` value: the one unsafe
//! step of pushdown. What can be shaped into a `Qual` is a candidate; `pushdown`
//! decides (safely, unit-tested) what SQLite evaluates and what Postgres rechecks.
//!
//! A candidate is a comparison between one of our columns and a value of the same
//! kind (integer, float, text: a Const, a query parameter, or an outer relation's
//! column in a parameterized path), `= ANY(constant array)`, LIKE with a constant
//! pattern, IS [NOT] NULL, and AND/OR/NOT of candidates; only built-in operators.

use super::nodes::*;
use super::pushdown::{ColumnFacts, ValueKind};
use pgrx::pg_sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    /// The operator with its operands swapped: `5 < col` is `col > 5`.
    pub fn mirrored(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
    fn from_name(name: &str) -> Option<CmpOp> {
        Some(match name {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// A value bound at execution: the index of its expression among the clause's
/// values, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    pub expr: usize,
    pub kind: ValueKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Qual {
    Compare { column: usize, op: CmpOp, value: Value },
    In { column: usize, values: Vec<Value> },
    Like { column: usize, pattern: String, negated: bool },
    IsNull { column: usize, negated: bool },
    And(Vec<Qual>),
    Or(Vec<Qual>),
    Not(Box<Qual>),
}

/// Collects the values a clause binds.
pub struct Extractor<'a> {
    pub relid: u32,
    pub columns: &'a [ColumnFacts],
    /// Whether Vars of other relations may be values (parameterized paths).
    pub allow_outer: bool,
    /// Expressions bound at execution, by `Value::expr`.
    pub exprs: Vec<*mut pg_sys::Expr>,
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

fn value_kind(typ: pg_sys::Oid) -> Option<ValueKind> {
    use pg_sys::BuiltinOid::*;
    match pg_sys::BuiltinOid::from_u32(typ.to_u32()) {
        Ok(INT2OID | INT4OID | INT8OID) => Some(ValueKind::Integer),
        // real (float4) values are bound as the double they widen to, exactly.
        Ok(FLOAT4OID | FLOAT8OID) => Some(ValueKind::Float),
        Ok(TEXTOID | VARCHAROID | UNKNOWNOID) => Some(ValueKind::Text),
        _ => None,
    }
}

/// Is this collation deterministic (equality is byte equality)? A text comparison
/// without one (InvalidOid: the two sides' collations conflict) is one Postgres
/// refuses at execution (42P22): never pushed, so that Postgres does refuse it.
pub fn deterministic(collation: pg_sys::Oid) -> bool {
    collation != pg_sys::Oid::INVALID && unsafe { pg_sys::get_collation_isdeterministic(collation) }
}

impl Extractor<'_> {
    /// Our column behind `node`, if it is a plain column of this relation.
    pub unsafe fn column(&self, node: *mut pg_sys::Node) -> Option<usize> {
        let n = unsafe { strip_relabel(node) };
        if n.is_null() || unsafe { (*n).type_ } != pg_sys::NodeTag::T_Var {
            return None;
        }
        let var = n as *mut pg_sys::Var;
        unsafe {
            if (*var).varno as u32 != self.relid || (*var).varlevelsup != 0 || (*var).varattno <= 0 {
                return None;
            }
            let index = (*var).varattno as usize - 1;
            (index < self.columns.len()).then_some(index)
        }
    }

    /// A value to bind of kind `kind`: a Const, a Param, (when allowed) a Var of
    /// another relation, or an expression of no Var at all (`$1 + 1`, a PL/pgSQL
    /// computation, `now() - interval ...` cast to a bound type) that is neither
    /// volatile nor holds a subplan: evaluated once per scan as the executor evaluates
    /// an index scan's runtime keys, it has one value for every row, as Postgres would
    /// compute row by row.
    unsafe fn value(&mut self, node: *mut pg_sys::Node, kind: ValueKind) -> Option<Value> {
        let n = unsafe { strip_relabel(node) };
        if n.is_null() {
            return None;
        }
        let ok_node = unsafe {
            match (*n).type_ {
                pg_sys::NodeTag::T_Const | pg_sys::NodeTag::T_Param => true,
                pg_sys::NodeTag::T_Var => {
                    let var = n as *mut pg_sys::Var;
                    self.allow_outer && (*var).varno as u32 != self.relid && (*var).varlevelsup == 0
                }
                _ => !pg_sys::contain_var_clause(n) && !pg_sys::contain_volatile_functions(n) && !pg_sys::contain_subplans(n),
            }
        };
        if !ok_node || value_kind(unsafe { pg_sys::exprType(n) }) != Some(kind) {
            return None;
        }
        self.exprs.push(n as *mut pg_sys::Expr);
        Some(Value { expr: self.exprs.len() - 1, kind })
    }

    /// The clause as a `Qual`, or None (then Postgres filters it locally). On None the
    /// caller discards the values collected for it.
    pub unsafe fn extract(&mut self, node: *mut pg_sys::Node) -> Option<Qual> {
        if node.is_null() {
            return None;
        }
        unsafe {
            match (*node).type_ {
                pg_sys::NodeTag::T_BoolExpr => {
                    let b = node as *mut pg_sys::BoolExpr;
                    let mut args = Vec::new();
                    for arg in list_ptrs((*b).args) {
                        args.push(self.extract(arg as *mut pg_sys::Node)?);
                    }
                    match (*b).boolop {
                        pg_sys::BoolExprType::AND_EXPR => Some(Qual::And(args)),
                        pg_sys::BoolExprType::OR_EXPR => Some(Qual::Or(args)),
                        _ => Some(Qual::Not(Box::new(args.into_iter().next()?))),
                    }
                }
                pg_sys::NodeTag::T_NullTest => {
                    let t = node as *mut pg_sys::NullTest;
                    if (*t).argisrow {
                        return None;
                    }
                    let column = self.column((*t).arg as *mut pg_sys::Node)?;
                    if !self.columns[column].null_test {
                        return None;
                    }
                    Some(Qual::IsNull { column, negated: (*t).nulltesttype == pg_sys::NullTestType::IS_NOT_NULL })
                }
                pg_sys::NodeTag::T_OpExpr => self.operator(node as *mut pg_sys::OpExpr),
                pg_sys::NodeTag::T_ScalarArrayOpExpr => self.any_array(node as *mut pg_sys::ScalarArrayOpExpr),
                _ => None,
            }
        }
    }

    unsafe fn operator(&mut self, op: *mut pg_sys::OpExpr) -> Option<Qual> {
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
            let (column, other, mirrored) = match (self.column(left), self.column(right)) {
                (Some(c), _) => (c, right, false),
                (None, Some(c)) => (c, left, true),
                _ => return None,
            };
            let facts = &self.columns[column];
            let kind = facts.kind?;
            let collation = (*op).inputcollid;
            if let Some(cmp) = CmpOp::from_name(&name) {
                if kind == ValueKind::Text {
                    let ordering = !matches!(cmp, CmpOp::Eq | CmpOp::Ne);
                    let ok = if ordering { super::pushdown::collation_is_byte_order(collation) } else { deterministic(collation) };
                    if !ok {
                        return None;
                    }
                }
                let value = self.value(other, kind)?;
                return Some(Qual::Compare { column, op: if mirrored { cmp.mirrored() } else { cmp }, value });
            }
            // LIKE with a constant pattern, only where Postgres itself would run it:
            // a nondeterministic collation makes Postgres refuse LIKE (0A000).
            if (name == "~~" || name == "!~~") && kind == ValueKind::Text && !mirrored && deterministic(collation) {
                let pattern = strip_relabel(other);
                if (*pattern).type_ != pg_sys::NodeTag::T_Const || (*(pattern as *mut pg_sys::Const)).constisnull {
                    return None;
                }
                let text = pgrx::varlena::text_to_rust_str((*(pattern as *mut pg_sys::Const)).constvalue.cast_mut_ptr()).ok()?;
                super::deparse::like_to_glob(text)?;
                return Some(Qual::Like { column, pattern: text.to_string(), negated: name == "!~~" });
            }
            None
        }
    }

    /// `column = ANY(constant array)` (IN).
    unsafe fn any_array(&mut self, op: *mut pg_sys::ScalarArrayOpExpr) -> Option<Qual> {
        unsafe {
            if !(*op).useOr || (*op).opno.to_u32() >= pg_sys::FirstNormalObjectId || cstr_to_string(pg_sys::get_opname((*op).opno)) != "=" {
                return None;
            }
            let args = list_ptrs((*op).args);
            let column = self.column(args[0] as *mut pg_sys::Node)?;
            let kind = self.columns[column].kind?;
            if kind == ValueKind::Text && !deterministic((*op).inputcollid) {
                return None;
            }
            let array = strip_relabel(args[1] as *mut pg_sys::Node);
            if (*array).type_ != pg_sys::NodeTag::T_Const || (*(array as *mut pg_sys::Const)).constisnull {
                return None;
            }
            let array_const = array as *mut pg_sys::Const;
            let arr = pg_sys::pg_detoast_datum((*array_const).constvalue.cast_mut_ptr()) as *mut pg_sys::ArrayType;
            let elem_type = (*arr).elemtype;
            if value_kind(elem_type) != Some(kind) {
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
                items.push(self.value(c as *mut pg_sys::Node, kind)?);
            }
            Some(Qual::In { column, values: items })
        }
    }
}
