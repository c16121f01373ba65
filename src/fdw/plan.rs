//! Planning a foreign scan: size estimate, one path, and the plan node whose
//! `fdw_private` carries everything the executor needs as Postgres nodes.

use super::deparse;
use super::nodes::*;
use super::options;
use super::pushdown::{column_kind, order_keys, BindMode, Builder, ColumnFacts, Slot};
use super::qual::{CmpOp, Extractor, Qual};
use crate::error::{LiteportError, OrReport, Result};
use crate::sqlite::cache::connection_for;
use crate::sqlite::connection::{SourceOptions, SqliteConnection};
use crate::sqlite::schema;
use pgrx::pg_sys;
use pgrx::prelude::*;

/// Everything execution needs, decided at plan time. Serialized into `fdw_private` as
/// a List of value nodes (positions: `PlanItem`), so cached plans (prepared
/// statements) copy it like any node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanData {
    /// The statement sent to SQLite; EXPLAIN VERBOSE shows it.
    pub sql: String,
    /// The SQLite table or view, as SQLite spells it.
    pub table: String,
    /// Attribute numbers of the fetched columns, in the order of the SELECT list.
    pub attnums: Vec<i32>,
    /// SQLite names of those columns, for error messages.
    pub column_names: Vec<String>,
    /// The SELECT list ends with the rowid, to name rows in errors.
    pub has_rowid: bool,
    /// Each fetched column's conversion options, in the same order.
    pub conversions: Vec<options::ColumnConversion>,
    /// Table option `on_error 'reject'`: rows that do not convert are skipped and kept
    /// in liteport.rejects under this target name. None: the first one is an ERROR.
    pub reject_target: Option<String>,
    /// The statement's parameters ?1, ?2, ...: which of the plan's `fdw_exprs` each
    /// binds, and how (pushdown::BindMode).
    pub slots: Vec<Slot>,
    /// An aggregate pushed down (no scan relation of its own): the foreign table it
    /// reads, for the executor to find its server. 0 for a scan.
    pub foreign_table: u32,
}

/// Positions in the plan's fdw_private List.
#[derive(Clone, Copy)]
enum PlanItem {
    Sql,
    Table,
    Attnums,
    ColumnNames,
    HasRowid,
    Conversions,
    RejectTarget,
    Slots,
    ForeignTable,
}
const PLAN_ITEMS: usize = PlanItem::ForeignTable as usize + 1;

impl PlanData {
    pub unsafe fn to_list(&self) -> *mut pg_sys::List {
        unsafe {
            let mut items: Vec<*mut std::ffi::c_void> = vec![std::ptr::null_mut(); PLAN_ITEMS];
            let mut attnums = std::ptr::null_mut();
            for a in &self.attnums {
                attnums = pg_sys::lappend_int(attnums, *a);
            }
            let mut names = std::ptr::null_mut();
            for n in &self.column_names {
                names = pg_sys::lappend(names, make_string(n));
            }
            // Per column: [epoch unit or "", empty_as_null 0/1, timezone or "", interval unit or ""].
            let mut conversions = std::ptr::null_mut();
            for c in &self.conversions {
                let mut item = std::ptr::null_mut();
                item = pg_sys::lappend(item, make_string(c.epoch_unit.map(|u| u.name()).unwrap_or("")));
                item = pg_sys::lappend(item, pg_sys::makeInteger(c.empty_as_null as i32) as *mut _);
                item = pg_sys::lappend(item, make_string(c.timezone.as_deref().unwrap_or("")));
                item = pg_sys::lappend(item, make_string(c.interval_unit.map(|u| u.name()).unwrap_or("")));
                item = pg_sys::lappend(item, make_string(c.numeric_rounding.map(|r| r.name()).unwrap_or("")));
                item = pg_sys::lappend(item, make_string(&c.float_digits.map(|d| d.to_string()).unwrap_or_default()));
                item = pg_sys::lappend(item, make_string(&c.srid.map(|d| d.to_string()).unwrap_or_default()));
                conversions = pg_sys::lappend(conversions, item as *mut _);
            }
            // Per slot: expression index * 2 + (1 for IsNan).
            let mut slots = std::ptr::null_mut();
            for slot in &self.slots {
                slots = pg_sys::lappend_int(slots, (slot.expr as i32) * 2 + (slot.mode == BindMode::IsNan) as i32);
            }
            items[PlanItem::Sql as usize] = make_string(&self.sql);
            items[PlanItem::Table as usize] = make_string(&self.table);
            items[PlanItem::Attnums as usize] = attnums as *mut _;
            items[PlanItem::ColumnNames as usize] = names as *mut _;
            items[PlanItem::HasRowid as usize] = pg_sys::makeInteger(self.has_rowid as i32) as *mut _;
            items[PlanItem::Conversions as usize] = conversions as *mut _;
            items[PlanItem::RejectTarget as usize] = make_string(self.reject_target.as_deref().unwrap_or(""));
            items[PlanItem::Slots as usize] = slots as *mut _;
            items[PlanItem::ForeignTable as usize] = pg_sys::makeInteger(self.foreign_table as i32) as *mut _;
            let mut list = std::ptr::null_mut();
            for item in items {
                list = pg_sys::lappend(list, item);
            }
            list
        }
    }

    pub unsafe fn from_list(list: *mut pg_sys::List) -> PlanData {
        let items = unsafe { list_ptrs(list) };
        assert_eq!(items.len(), PLAN_ITEMS, "liteport plan data has {PLAN_ITEMS} items");
        let item = |i: PlanItem| items[i as usize];
        unsafe {
            PlanData {
                sql: string_value(item(PlanItem::Sql)),
                table: string_value(item(PlanItem::Table)),
                attnums: list_ints(item(PlanItem::Attnums) as *mut pg_sys::List),
                column_names: list_ptrs(item(PlanItem::ColumnNames) as *mut pg_sys::List).into_iter().map(|p| string_value(p)).collect(),
                has_rowid: integer_value(item(PlanItem::HasRowid)) != 0,
                conversions: list_ptrs(item(PlanItem::Conversions) as *mut pg_sys::List)
                    .into_iter()
                    .map(|item| {
                        let parts = list_ptrs(item as *mut pg_sys::List);
                        let unit = string_value(parts[0]);
                        let zone = string_value(parts[2]);
                        options::ColumnConversion {
                            epoch_unit: crate::types::datetime::EpochUnit::parse(&unit),
                            empty_as_null: integer_value(parts[1]) != 0,
                            timezone: (!zone.is_empty()).then_some(zone),
                            interval_unit: options::IntervalUnit::parse(&string_value(parts[3])),
                            numeric_rounding: crate::types::decimal::Rounding::parse(&string_value(parts[4])),
                            float_digits: string_value(parts[5]).parse().ok(),
                            srid: string_value(parts[6]).parse().ok(),
                        }
                    })
                    .collect(),
                reject_target: Some(string_value(item(PlanItem::RejectTarget))).filter(|t| !t.is_empty()),
                slots: list_ints(item(PlanItem::Slots) as *mut pg_sys::List)
                    .into_iter()
                    .map(|v| Slot { expr: (v / 2) as usize, mode: if v % 2 == 1 { BindMode::IsNan } else { BindMode::Value } })
                    .collect(),
                foreign_table: integer_value(item(PlanItem::ForeignTable)) as u32,
            }
        }
    }

    /// The error for a statement SQLite would not prepare, said as precisely as we can.
    pub fn prepare_error(&self, server: &str, message: String) -> LiteportError {
        if let Some(function) = schema::missing_function(&message) {
            return LiteportError::MissingFunction { server: server.into(), table: self.table.clone(), function };
        }
        if message.starts_with("no such table") {
            return LiteportError::TableNotFound { server: server.into(), table: self.table.clone() };
        }
        if let Some(column) = schema::missing_column(&message) {
            return LiteportError::ColumnNotFound { server: server.into(), table: self.table.clone(), column };
        }
        LiteportError::Sqlite { server: server.into(), doing: format!("preparing \"{}\"", self.sql), message }
    }
}

/// A foreign table's server, SQLite source and SQLite relation name.
pub struct ForeignTarget {
    pub server_oid: pg_sys::Oid,
    pub source: SourceOptions,
    pub table: String,
}

pub unsafe fn server_source(server_oid: pg_sys::Oid) -> Result<SourceOptions> {
    unsafe {
        let server = pg_sys::GetForeignServer(server_oid);
        let name = cstr_to_string((*server).servername);
        options::source_options(&name, &def_elems((*server).options))
    }
}

impl ForeignTarget {
    pub unsafe fn load(relid: pg_sys::Oid) -> Result<ForeignTarget> {
        unsafe {
            let ft = pg_sys::GetForeignTable(relid);
            let table = option_value((*ft).options, "table").unwrap_or_else(|| cstr_to_string(pg_sys::get_rel_name(relid)));
            let source = server_source((*ft).serverid)?;
            Ok(ForeignTarget { server_oid: (*ft).serverid, source, table })
        }
    }

    pub fn connect(&self) -> Result<std::rc::Rc<SqliteConnection>> {
        connection_for(self.server_oid.to_u32(), &self.source)
    }
}

/// Rows in a table: SQLite's own statistics (sqlite_stat1, written by the
/// application's ANALYZE) when present, else the rowid range of a rowid table (two
/// index probes), else a default; cached per connection (per server and session).
fn estimate_rows(conn: &SqliteConnection, table: &str, rowid: Option<&str>) -> f64 {
    if let Some(rows) = conn.cached_rows(table) {
        return rows;
    }
    let rows = stat1_rows(conn, table).unwrap_or_else(|| rowid_range_rows(conn, table, rowid));
    conn.cache_rows(table, rows);
    rows
}

/// The row count sqlite_stat1 records for a table (the first number of any of its rows).
fn stat1_rows(conn: &SqliteConnection, table: &str) -> Option<f64> {
    let stat: String = conn.db().query_row("SELECT stat FROM sqlite_stat1 WHERE tbl = ?1 LIMIT 1", [table], |r| r.get(0)).ok()?;
    stat.split_whitespace().next()?.parse::<f64>().ok()
}

fn rowid_range_rows(conn: &SqliteConnection, table: &str, rowid: Option<&str>) -> f64 {
    const DEFAULT_ROWS: f64 = 1000.0;
    let Some(alias) = rowid else { return DEFAULT_ROWS };
    // Two scalar subqueries, not one SELECT of both: SQLite answers a lone max() or
    // min() of the rowid from the b-tree's edge, but max() and min() together scan
    // every row (the full-table scan planning then paid for doubled count(*)).
    let table = deparse::sqlite_ident(table);
    let sql = format!("SELECT (SELECT max({alias}) FROM {table}) - (SELECT min({alias}) FROM {table}) + 1");
    match conn.db().query_row(&sql, [], |r| r.get::<_, Option<i64>>(0)) {
        Ok(Some(n)) if n > 0 => n as f64,
        Ok(_) => 1.0,
        Err(_) => DEFAULT_ROWS,
    }
}

/// What planning knows of one foreign relation, from GetForeignRelSize to
/// GetForeignPlan (postgres_fdw's PgFdwRelationInfo): kept in the planner's memory,
/// never in a plan.
pub struct RelInfo {
    /// The SQLite table or view, as SQLite spells it.
    pub table: String,
    pub rowid: Option<&'static str>,
    /// Rows SQLite holds (estimate).
    pub remote_rows: f64,
    /// Per attribute of the foreign table.
    pub columns: Vec<ColumnFacts>,
    /// The program that wrote the file, for its storage conventions.
    pub writer: Option<crate::sqlite::writer::Writer>,
}

unsafe fn rel_info<'a>(baserel: *mut pg_sys::RelOptInfo) -> &'a RelInfo {
    unsafe { &*((*baserel).fdw_private as *const RelInfo) }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn get_foreign_rel_size(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    foreigntableid: pg_sys::Oid,
) {
    unsafe {
        let target = ForeignTarget::load(foreigntableid).or_report();
        let conn = target.connect().or_report();
        let server = &target.source.server_name;
        let sqlite_err = |e: rusqlite::Error| conn.sqlite_error(&format!("reading the catalog for \"{}\"", target.table), &e);
        let relation = schema::find_relation(conn.db(), &target.table)
            .map_err(sqlite_err)
            .and_then(|r| r.ok_or_else(|| LiteportError::TableNotFound { server: server.clone(), table: target.table.clone() }))
            .or_report();
        let columns = schema::columns(conn.db(), &relation.name).map_err(|e| conn.columns_error(&relation.name, &e)).or_report();
        let rowid = schema::rowid_alias(relation.kind, &columns);
        let rows = estimate_rows(&conn, &relation.name, rowid);
        let selectivity = pg_sys::clauselist_selectivity(root, (*baserel).baserestrictinfo, 0, pg_sys::JoinType::JOIN_INNER, std::ptr::null_mut());
        (*baserel).rows = (rows * selectivity).max(1.0).round();
        let writer = conn.writer();
        let info = RelInfo { columns: column_facts(&conn, foreigntableid, &relation, &columns), table: relation.name, rowid, remote_rows: rows, writer };
        let ptr = pgrx::PgMemoryContexts::CurrentMemoryContext.leak_and_drop_on_delete(info);
        (*baserel).fdw_private = ptr as *mut std::ffi::c_void;
    }
}

/// The SQLite name of a foreign-table column (its `column_name` option, else its own
/// name) and all its options.
pub unsafe fn column_source(relid: pg_sys::Oid, attnum: i16, attr: &pg_sys::FormData_pg_attribute) -> (String, Vec<(String, String)>) {
    unsafe {
        let options = def_elems(pg_sys::GetForeignColumnOptions(relid, attnum));
        let name = options
            .iter()
            .find(|(k, _)| k == "column_name")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| cstr_to_string(attr.attname.data.as_ptr()));
        (name, options)
    }
}

/// Per attribute of the foreign table: its SQLite column and what may be pushed down
/// on it (see pushdown.rs).
unsafe fn column_facts(conn: &SqliteConnection, relid: pg_sys::Oid, relation: &schema::Relation, columns: &[schema::Column]) -> Vec<ColumnFacts> {
    let indexed: Vec<String> = {
        let sql = "SELECT DISTINCT ii.name FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii WHERE ii.seqno = 0 AND ii.name IS NOT NULL";
        conn.db()
            .prepare(sql)
            .and_then(|mut st| st.query_map([&relation.name], |r| r.get::<_, String>(0))?.collect())
            .unwrap_or_default()
    };
    let alias_column = schema::rowid_alias_column(conn.db(), relation, columns).map(|c| c.name.clone());
    let is_table = matches!(relation.kind, schema::RelationKind::Table | schema::RelationKind::TableWithoutRowid);
    unsafe {
        let rel = pg_sys::table_open(relid, pg_sys::NoLock as i32);
        let tupdesc = (*rel).rd_att;
        let attrs = crate::pg_compat::tupdesc_attrs(tupdesc);
        let mut out = Vec::with_capacity(attrs.len());
        for (i, attr) in attrs.iter().enumerate() {
            let (name, options) = column_source(relid, (i + 1) as i16, attr);
            let conversion = options::column_conversion(&options).unwrap_or_default();
            let sqlite_col = columns.iter().find(|c| c.name.eq_ignore_ascii_case(&name)).filter(|_| !attr.attisdropped);
            let Some(c) = sqlite_col else {
                out.push(ColumnFacts { sqlite_name: name, kind: None, null_test: false, exact: false, may_hold_integers: true, indexed: false });
                continue;
            };
            let collation = conn
                .db()
                .column_metadata(None::<&str>, relation.name.as_str(), c.name.as_str())
                .ok()
                .map(|m| m.1.map(|c| c.to_string_lossy().into_owned()).unwrap_or_else(|| "BINARY".into()))
                .unwrap_or_else(|| "unknown".into());
            let affinity = crate::types::declared::affinity(&c.declared_type);
            let (kind, null_test) = column_kind(attr.atttypid, affinity, &collation, &conversion);
            // Exact: the column can hold only the storage class Postgres compares.
            let declared = c.declared_type.trim().to_ascii_uppercase();
            let is_alias = alias_column.as_deref() == Some(c.name.as_str());
            let exact = is_alias
                || (relation.strict
                    && match kind {
                        Some(super::pushdown::ValueKind::Integer) => matches!(declared.as_str(), "INT" | "INTEGER"),
                        Some(super::pushdown::ValueKind::Float) => declared == "REAL",
                        Some(super::pushdown::ValueKind::Text) => declared == "TEXT",
                        None => false,
                    });
            // A REAL-affinity column of a table stores every number as REAL.
            let may_hold_integers = !(is_table && affinity == crate::types::declared::Affinity::Real);
            let is_indexed = indexed.iter().any(|n| n.eq_ignore_ascii_case(&c.name)) || is_alias;
            out.push(ColumnFacts { sqlite_name: c.name.clone(), kind, null_test, exact, may_hold_integers, indexed: is_indexed });
        }
        pg_sys::table_close(rel, pg_sys::NoLock as i32);
        out
    }
}

/// For generate_implied_equalities_for_column: is this member our column number `arg`?
#[pg_guard]
unsafe extern "C-unwind" fn member_is_column(
    _root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    _ec: *mut pg_sys::EquivalenceClass,
    em: *mut pg_sys::EquivalenceMember,
    arg: *mut std::ffi::c_void,
) -> bool {
    unsafe {
        let expr = (*em).em_expr as *mut pg_sys::Node;
        if expr.is_null() || (*expr).type_ != pg_sys::NodeTag::T_Var {
            return false;
        }
        let var = expr as *mut pg_sys::Var;
        (*var).varno as u32 == (*rel).relid && (*var).varlevelsup == 0 && (*var).varattno as usize == arg as usize
    }
}

/// Per-row costs: SQLite's step of a row it reads, and the conversion of a row it
/// returns (measured to cost about as much as two heap tuples' processing).
fn per_row_read() -> f64 {
    unsafe { pg_sys::cpu_tuple_cost * 0.5 }
}
fn per_row_returned() -> f64 {
    unsafe { pg_sys::cpu_tuple_cost * 1.5 }
}


/// The ORDER BY keys of `pathkeys` SQLite may sort by (every key a column of this
/// relation that pushdown::order_keys accepts), or None.
unsafe fn sortable_keys(relid: u32, columns: &[ColumnFacts], pathkeys: *mut pg_sys::List) -> Option<Vec<deparse::OrderKey>> {
    let extractor = Extractor { relid, columns, allow_outer: false, exprs: vec![] };
    let mut keys = Vec::new();
    unsafe {
        for pk in list_ptrs(pathkeys) {
            let pathkey = pk as *mut pg_sys::PathKey;
            let ec = (*pathkey).pk_eclass;
            if (*ec).ec_has_volatile {
                return None;
            }
            let column = list_ptrs((*ec).ec_members)
                .into_iter()
                .find_map(|m| extractor.column((*(m as *mut pg_sys::EquivalenceMember)).em_expr as *mut pg_sys::Node))?;
            // The default btree ordering of the type: strategy < or >.
            let strategy = crate::pg_compat::pathkey_strategy(pathkey);
            if strategy != pg_sys::BTLessStrategyNumber && strategy != pg_sys::BTGreaterStrategyNumber {
                return None;
            }
            keys.push((column, strategy == pg_sys::BTGreaterStrategyNumber, (*pathkey).pk_nulls_first, (*ec).ec_collation));
        }
    }
    order_keys(columns, &keys, super::pushdown::collation_is_byte_order)
}

#[pg_guard]
pub unsafe extern "C-unwind" fn get_foreign_paths(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    _foreigntableid: pg_sys::Oid,
) {
    unsafe {
        let info = rel_info(baserel);
        let columns = &info.columns;
        let relid = (*baserel).relid;
        let startup = 10.0;
        let rows = (*baserel).rows;
        // Filters SQLite evaluates spare the conversion of the rows they drop; without
        // an index SQLite still reads every row.
        let total = startup + info.remote_rows * per_row_read() + rows * per_row_returned();
        let add = |rows: f64, startup: f64, total: f64, pathkeys: *mut pg_sys::List, required_outer: *mut pg_sys::Bitmapset| {
            let path = crate::pg_compat::create_foreignscan_path(root, baserel, rows, startup, total, pathkeys, required_outer);
            pg_sys::add_path(baserel, path as *mut pg_sys::Path);
        };
        add(rows, startup, total, std::ptr::null_mut(), std::ptr::null_mut());

        // The same rows in the query's order, sorted by SQLite (cheap when an index
        // leads with the first key), when SQLite orders exactly as Postgres.
        if !(*root).query_pathkeys.is_null() {
            if let Some(keys) = sortable_keys(relid, columns, (*root).query_pathkeys) {
                let first_indexed = columns.iter().any(|c| c.indexed && c.sqlite_name == keys[0].column);
                let sort_cost = if first_indexed { rows * pg_sys::cpu_operator_cost } else { rows * (rows.max(2.0)).log2() * pg_sys::cpu_operator_cost * 2.0 };
                add(rows, startup + sort_cost, total + sort_cost, (*root).query_pathkeys, std::ptr::null_mut());
            }
        }

        // Parameterized by an outer relation's value (nested loop): one SQLite query per
        // outer row, cheap when the column is indexed. Join clauses are in joininfo, or,
        // for equality joins, in equivalence classes with one of our columns.
        let mut join_clauses = list_ptrs((*baserel).joininfo);
        if (*baserel).has_eclass_joins {
            for (i, col) in columns.iter().enumerate() {
                if col.kind.is_some() {
                    let attnum = i + 1;
                    let clauses = pg_sys::generate_implied_equalities_for_column(root, baserel, Some(member_is_column), attnum as *mut std::ffi::c_void, (*baserel).lateral_referencers);
                    join_clauses.extend(list_ptrs(clauses));
                }
            }
        }
        for rinfo in join_clauses {
            let rinfo = rinfo as *mut pg_sys::RestrictInfo;
            let mut extractor = Extractor { relid, columns, allow_outer: true, exprs: vec![] };
            let Some(qual) = extractor.extract((*rinfo).clause as *mut pg_sys::Node) else { continue };
            let required_outer = pg_sys::bms_del_member(pg_sys::bms_copy((*rinfo).clause_relids), relid as i32);
            if crate::pg_compat::bms_is_empty(required_outer) {
                continue;
            }
            let ppi = pg_sys::get_baserel_parampathinfo(root, baserel, required_outer);
            let param_rows = (*ppi).ppi_rows.max(1.0);
            let indexed_lookup = matches!(&qual, Qual::Compare { column, op: CmpOp::Eq, .. } if columns[*column].indexed);
            let read = if indexed_lookup { param_rows * per_row_read() + 0.5 } else { info.remote_rows * per_row_read() };
            add(param_rows, 1.0, 1.0 + read + param_rows * per_row_returned(), std::ptr::null_mut(), required_outer);
        }
    }
}

/// Attribute numbers the query needs from this relation: its output and its local
/// filters. A whole-row reference needs every column.
unsafe fn needed_attnums(baserel: *mut pg_sys::RelOptInfo, local_rinfos: *mut pg_sys::List, natts: i32) -> Vec<i32> {
    unsafe {
        let relid = (*baserel).relid;
        let mut attrs: *mut pg_sys::Bitmapset = std::ptr::null_mut();
        pg_sys::pull_varattnos((*(*baserel).reltarget).exprs as *mut pg_sys::Node, relid, &mut attrs);
        for rinfo in list_ptrs(local_rinfos) {
            pg_sys::pull_varattnos((*(rinfo as *mut pg_sys::RestrictInfo)).clause as *mut pg_sys::Node, relid, &mut attrs);
        }
        let mut out = Vec::new();
        let mut member = -1;
        loop {
            member = pg_sys::bms_next_member(attrs, member);
            if member < 0 {
                break;
            }
            let attno = member + pg_sys::FirstLowInvalidHeapAttributeNumber;
            if attno == 0 {
                return (1..=natts).collect();
            }
            if attno > 0 {
                out.push(attno);
            }
        }
        out
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn get_foreign_plan(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    foreigntableid: pg_sys::Oid,
    best_path: *mut pg_sys::ForeignPath,
    tlist: *mut pg_sys::List,
    scan_clauses: *mut pg_sys::List,
    outer_plan: *mut pg_sys::Plan,
) -> *mut pg_sys::ForeignScan {
    unsafe {
        if (*baserel).reloptkind == pg_sys::RelOptKind::RELOPT_UPPER_REL {
            return count_plan(root, best_path, tlist, outer_plan);
        }
        let info = rel_info(baserel);
        let columns = &info.columns;
        let relid = (*baserel).relid;
        let parameterized = !(*best_path).path.param_info.is_null();

        // Each clause SQLite can evaluate goes into the statement; the rest, and every
        // clause whose SQL is a guarded prefilter, Postgres evaluates too.
        let mut extractor = Extractor { relid, columns, allow_outer: parameterized, exprs: vec![] };
        let mut builder = Builder::new(columns);
        let mut remote = Vec::new();
        let mut local_rinfos: *mut pg_sys::List = std::ptr::null_mut();
        for rinfo in list_ptrs(scan_clauses) {
            let rinfo = rinfo as *mut pg_sys::RestrictInfo;
            let mark = extractor.exprs.len();
            let qual = if (*rinfo).pseudoconstant { None } else { extractor.extract((*rinfo).clause as *mut pg_sys::Node) };
            match qual {
                Some(qual) => {
                    let pushed = builder.clause(&qual);
                    remote.push(pushed.sql);
                    if pushed.recheck {
                        local_rinfos = pg_sys::lappend(local_rinfos, rinfo as *mut std::ffi::c_void);
                    }
                }
                None => {
                    extractor.exprs.truncate(mark);
                    local_rinfos = pg_sys::lappend(local_rinfos, rinfo as *mut std::ffi::c_void);
                }
            }
        }
        let order = if (*best_path).path.pathkeys.is_null() { vec![] } else { sortable_keys(relid, columns, (*best_path).path.pathkeys).unwrap_or_default() };

        let rel = pg_sys::table_open(foreigntableid, pg_sys::NoLock as i32);
        let tupdesc = (*rel).rd_att;
        let natts = (*tupdesc).natts;
        let attrs = crate::pg_compat::tupdesc_attrs(tupdesc);
        let ft = pg_sys::GetForeignTable(foreigntableid);
        let table_options = def_elems((*ft).options);
        let server_options = def_elems((*pg_sys::GetForeignServer((*ft).serverid)).options);
        let mut attnums = Vec::new();
        let mut column_names = Vec::new();
        let mut conversions = Vec::new();
        for attnum in needed_attnums(baserel, local_rinfos, natts) {
            let attr = &attrs[attnum as usize - 1];
            if attr.attisdropped {
                continue;
            }
            let (name, column_options) = column_source(foreigntableid, attnum as i16, attr);
            attnums.push(attnum);
            column_names.push(name);
            let mut conversion = options::effective_conversion(&column_options, &table_options, &server_options).or_report();
            if conversion.interval_unit.is_none() && attr.atttypid == pg_sys::INTERVALOID {
                conversion.interval_unit = info.writer.and_then(|w| w.interval_unit()).and_then(options::IntervalUnit::parse);
            }
            conversions.push(conversion);
        }
        let reject_target = (option_value((*ft).options, "on_error").as_deref() == Some("reject")).then(|| {
            option_value((*ft).options, "reject_target").unwrap_or_else(|| {
                let name = pg_sys::quote_qualified_identifier(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(foreigntableid)), pg_sys::get_rel_name(foreigntableid));
                cstr_to_string(name)
            })
        });
        pg_sys::table_close(rel, pg_sys::NoLock as i32);

        // LIMIT: when this scan alone produces the query's rows (one relation, no local
        // filter or recheck, no rows skipped by reject mode) in the query's order,
        // SQLite stops after limit + offset rows; Postgres still applies the LIMIT and
        // OFFSET itself. Not with WITH TIES: the rows after the last one tied with it
        // are part of the result.
        let parse = (*root).parse;
        let single_relation = pg_sys::bms_membership((*root).all_baserels) == pg_sys::BMS_Membership::BMS_SINGLETON;
        let ordered = (*root).query_pathkeys.is_null() || pg_sys::pathkeys_contained_in((*root).query_pathkeys, (*best_path).path.pathkeys);
        let limit = ((*root).limit_tuples > 0.0
            && local_rinfos.is_null()
            && reject_target.is_none()
            && single_relation
            && ordered
            && (*parse).limitOption != pg_sys::LimitOption::LIMIT_OPTION_WITH_TIES
            && (*parse).commandType == pg_sys::CmdType::CMD_SELECT
            && (*parse).rowMarks.is_null())
        .then(|| (*root).limit_tuples.ceil() as i64);

        let data = PlanData {
            sql: deparse::scan_sql(&info.table, &column_names, info.rowid, &remote, &order, limit),
            table: info.table.clone(),
            attnums,
            column_names,
            has_rowid: info.rowid.is_some(),
            conversions,
            reject_target,
            slots: builder.slots,
            foreign_table: 0,
        };
        let mut fdw_exprs = std::ptr::null_mut();
        for e in &extractor.exprs {
            fdw_exprs = pg_sys::lappend(fdw_exprs, *e as *mut std::ffi::c_void);
        }
        let local_quals = pg_sys::extract_actual_clauses(local_rinfos, false);
        pg_sys::make_foreignscan(tlist, local_quals, relid, fdw_exprs, data.to_list(), std::ptr::null_mut(), std::ptr::null_mut(), outer_plan)
    }
}

/// An aggregate SQLite computes exactly as Postgres would.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PushedAggregate {
    CountAll,
    /// min or max of a column (its SQLite name).
    Extreme { max: bool, column: String },
}

/// The target's aggregates when every one is `count(*)`, or `min`/`max` of a column
/// that holds only integers read as bigint, or only REALs read as double precision
/// (exact: no other value could fail to convert or compare otherwise); no FILTER,
/// DISTINCT or ORDER BY. None otherwise.
unsafe fn pushed_aggregates(target: *mut pg_sys::PathTarget, input_rel: *mut pg_sys::RelOptInfo) -> Option<Vec<PushedAggregate>> {
    let info = unsafe { rel_info(input_rel) };
    let exprs = unsafe { list_ptrs((*target).exprs) };
    if exprs.is_empty() {
        return None;
    }
    exprs
        .into_iter()
        .map(|e| unsafe {
            let node = e as *mut pg_sys::Node;
            if (*node).type_ != pg_sys::NodeTag::T_Aggref {
                return None;
            }
            let agg = node as *mut pg_sys::Aggref;
            let plain = (*agg).aggfilter.is_null() && (*agg).aggdistinct.is_null() && (*agg).aggorder.is_null() && (*agg).aggkind as u8 == b'n';
            let in_catalog = pg_sys::get_func_namespace((*agg).aggfnoid) == pg_sys::Oid::from(pg_sys::PG_CATALOG_NAMESPACE);
            if !plain || !in_catalog {
                return None;
            }
            let name = cstr_to_string(pg_sys::get_func_name((*agg).aggfnoid));
            if name == "count" && (*agg).aggstar {
                return Some(PushedAggregate::CountAll);
            }
            if name != "min" && name != "max" {
                return None;
            }
            let args = list_ptrs((*agg).args);
            if args.len() != 1 {
                return None;
            }
            let arg = (*(args[0] as *mut pg_sys::TargetEntry)).expr as *mut pg_sys::Node;
            if (*arg).type_ != pg_sys::NodeTag::T_Var {
                return None;
            }
            let var = arg as *mut pg_sys::Var;
            if (*var).varno as u32 != (*input_rel).relid || (*var).varlevelsup != 0 || (*var).varattno <= 0 {
                return None;
            }
            let facts = info.columns.get((*var).varattno as usize - 1)?;
            let exact_type = match facts.kind {
                Some(super::pushdown::ValueKind::Integer) => (*var).vartype == pg_sys::INT8OID,
                Some(super::pushdown::ValueKind::Float) => (*var).vartype == pg_sys::FLOAT8OID,
                _ => false,
            };
            (facts.exact && exact_type).then(|| PushedAggregate::Extreme { max: name == "max", column: facts.sqlite_name.clone() })
        })
        .collect()
}

/// The filters of `input_rel` as SQLite SQL, when SQLite evaluates every one of them
/// exactly (no local recheck): then it can count the rows they leave.
unsafe fn all_filters_remote(input_rel: *mut pg_sys::RelOptInfo) -> Option<(Vec<super::deparse::RemoteExpr>, Vec<*mut pg_sys::Expr>, Vec<Slot>)> {
    unsafe {
        let info = rel_info(input_rel);
        let mut extractor = Extractor { relid: (*input_rel).relid, columns: &info.columns, allow_outer: false, exprs: vec![] };
        let mut builder = Builder::new(&info.columns);
        let mut remote = Vec::new();
        for rinfo in list_ptrs((*input_rel).baserestrictinfo) {
            let rinfo = rinfo as *mut pg_sys::RestrictInfo;
            if (*rinfo).pseudoconstant {
                return None;
            }
            let qual = extractor.extract((*rinfo).clause as *mut pg_sys::Node)?;
            let pushed = builder.clause(&qual);
            if pushed.recheck {
                return None;
            }
            remote.push(pushed.sql);
        }
        Some((remote, extractor.exprs, builder.slots))
    }
}

/// count(*), and min/max of exact columns, of one foreign table with every filter
/// evaluated by SQLite, are computed by SQLite (`SELECT count(*), max("id") FROM t
/// WHERE ...`): the rows are never read into Postgres. Exactly Postgres's result: a
/// count(*) reads no column, and an exact column holds only values that convert and
/// compare the same on both sides.
#[pg_guard]
pub unsafe extern "C-unwind" fn get_foreign_upper_paths(
    root: *mut pg_sys::PlannerInfo,
    stage: pg_sys::UpperRelationKind::Type,
    input_rel: *mut pg_sys::RelOptInfo,
    output_rel: *mut pg_sys::RelOptInfo,
    _extra: *mut std::ffi::c_void,
) {
    unsafe {
        if stage != pg_sys::UpperRelationKind::UPPERREL_GROUP_AGG || (*input_rel).reloptkind != pg_sys::RelOptKind::RELOPT_BASEREL || (*input_rel).fdw_private.is_null() {
            return;
        }
        let parse = (*root).parse;
        if !(*parse).groupClause.is_null() || !(*parse).groupingSets.is_null() || !(*parse).havingQual.is_null() || (*parse).hasWindowFuncs || (*parse).hasTargetSRFs {
            return;
        }
        let target = *(*root).upper_targets.as_mut_ptr().add(pg_sys::UpperRelationKind::UPPERREL_GROUP_AGG as usize);
        if target.is_null() || pushed_aggregates(target, input_rel).is_none() || all_filters_remote(input_rel).is_none() {
            return;
        }
        let info = rel_info(input_rel);
        let total = 10.0 + info.remote_rows * per_row_read() * 0.5;
        let private = pg_sys::lappend_int(std::ptr::null_mut(), (*input_rel).relid as i32);
        let path = crate::pg_compat::create_foreign_upper_path(root, output_rel, target, 1.0, 10.0, total, private);
        pg_sys::add_path(output_rel, path as *mut pg_sys::Path);
    }
}

/// The plan of pushed-down aggregates (see get_foreign_upper_paths): no scan relation;
/// the scan tuple is the aggregates, one row.
unsafe fn count_plan(root: *mut pg_sys::PlannerInfo, best_path: *mut pg_sys::ForeignPath, tlist: *mut pg_sys::List, outer_plan: *mut pg_sys::Plan) -> *mut pg_sys::ForeignScan {
    unsafe {
        let relid = list_ints((*best_path).fdw_private)[0] as usize;
        let input_rel = *(*root).simple_rel_array.add(relid);
        let rte = *(*root).simple_rte_array.add(relid);
        let info = rel_info(input_rel);
        let (remote, exprs, slots) = all_filters_remote(input_rel).expect("checked when the path was made");
        let target = (*best_path).path.pathtarget;
        let mut scan_tlist = std::ptr::null_mut();
        let mut attnums = Vec::new();
        for (i, e) in list_ptrs((*target).exprs).into_iter().enumerate() {
            let entry = pg_sys::makeTargetEntry(e as *mut pg_sys::Expr, (i + 1) as i16, std::ptr::null_mut(), false);
            scan_tlist = pg_sys::lappend(scan_tlist, entry as *mut std::ffi::c_void);
            attnums.push((i + 1) as i32);
        }
        let aggregates = pushed_aggregates(target, input_rel).expect("checked when the path was made");
        let list: Vec<String> = aggregates
            .iter()
            .map(|a| match a {
                PushedAggregate::CountAll => "count(*)".to_string(),
                PushedAggregate::Extreme { max, column } => format!("{}({})", if *max { "max" } else { "min" }, super::deparse::sqlite_ident(column)),
            })
            .collect();
        let data = PlanData {
            sql: super::deparse::aggregate_sql(&info.table, &list, &remote),
            table: info.table.clone(),
            column_names: list.clone(),
            conversions: attnums.iter().map(|_| options::ColumnConversion::default()).collect(),
            attnums,
            has_rowid: false,
            reject_target: None,
            slots,
            foreign_table: (*rte).relid.to_u32(),
        };
        let mut fdw_exprs = std::ptr::null_mut();
        for e in &exprs {
            fdw_exprs = pg_sys::lappend(fdw_exprs, *e as *mut std::ffi::c_void);
        }
        pg_sys::make_foreignscan(tlist, std::ptr::null_mut(), 0, fdw_exprs, data.to_list(), scan_tlist, std::ptr::null_mut(), outer_plan)
    }
}
