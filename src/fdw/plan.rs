//! Planning a foreign scan: size estimate, one path, and the plan node whose
//! `fdw_private` carries everything the executor needs as Postgres nodes.

use super::deparse;
use super::nodes::*;
use super::options;
use crate::error::{LiteportError, OrReport, Result};
use crate::sqlite::connection::{connection_for, SourceOptions, SqliteConnection};
use crate::sqlite::schema;
use pgrx::pg_sys;
use pgrx::prelude::*;

/// Everything execution needs, decided at plan time. Serialized into `fdw_private` as
/// a List of value nodes, so cached plans (prepared statements) copy it like any node.
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
}

impl PlanData {
    pub unsafe fn to_list(&self) -> *mut pg_sys::List {
        unsafe {
            let mut attnums = std::ptr::null_mut();
            for a in &self.attnums {
                attnums = pg_sys::lappend_int(attnums, *a);
            }
            let mut names = std::ptr::null_mut();
            for n in &self.column_names {
                names = pg_sys::lappend(names, make_string(n));
            }
            let mut list = std::ptr::null_mut();
            list = pg_sys::lappend(list, make_string(&self.sql));
            list = pg_sys::lappend(list, make_string(&self.table));
            list = pg_sys::lappend(list, attnums as *mut _);
            list = pg_sys::lappend(list, names as *mut _);
            list = pg_sys::lappend(list, pg_sys::makeInteger(self.has_rowid as i32) as *mut _);
            // Per column: [epoch unit or "", empty_as_null 0/1, timezone or ""].
            let mut conversions = std::ptr::null_mut();
            for c in &self.conversions {
                let mut item = std::ptr::null_mut();
                item = pg_sys::lappend(item, make_string(c.epoch_unit.map(|u| u.name()).unwrap_or("")));
                item = pg_sys::lappend(item, pg_sys::makeInteger(c.empty_as_null as i32) as *mut _);
                item = pg_sys::lappend(item, make_string(c.timezone.as_deref().unwrap_or("")));
                conversions = pg_sys::lappend(conversions, item as *mut _);
            }
            list = pg_sys::lappend(list, conversions as *mut _);
            list = pg_sys::lappend(list, make_string(self.reject_target.as_deref().unwrap_or("")));
            list
        }
    }

    pub unsafe fn from_list(list: *mut pg_sys::List) -> PlanData {
        let items = unsafe { list_ptrs(list) };
        assert_eq!(items.len(), 7, "liteport plan data has seven items");
        unsafe {
            PlanData {
                sql: string_value(items[0]),
                table: string_value(items[1]),
                attnums: list_ints(items[2] as *mut pg_sys::List),
                column_names: list_ptrs(items[3] as *mut pg_sys::List).into_iter().map(|p| string_value(p)).collect(),
                has_rowid: integer_value(items[4]) != 0,
                conversions: list_ptrs(items[5] as *mut pg_sys::List)
                    .into_iter()
                    .map(|item| {
                        let parts = list_ptrs(item as *mut pg_sys::List);
                        let unit = string_value(parts[0]);
                        let zone = string_value(parts[2]);
                        options::ColumnConversion {
                            epoch_unit: crate::types::datetime::EpochUnit::parse(&unit),
                            empty_as_null: integer_value(parts[1]) != 0,
                            timezone: (!zone.is_empty()).then_some(zone),
                        }
                    })
                    .collect(),
                reject_target: Some(string_value(items[6])).filter(|t| !t.is_empty()),
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
        if let Some(col) = message.strip_prefix("no such column: ") {
            return LiteportError::ColumnNotFound { server: server.into(), table: self.table.clone(), column: col.to_string() };
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

/// Rows SQLite will return for a full scan: a cheap guess from the rowid range of a
/// rowid table (two index probes), else a default. Issue-level statistics come later.
fn estimate_rows(conn: &SqliteConnection, table: &str, rowid: Option<&str>) -> f64 {
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
        let selectivity = pg_sys::clauselist_selectivity(
            root,
            (*baserel).baserestrictinfo,
            0,
            pg_sys::JoinType::JOIN_INNER,
            std::ptr::null_mut(),
        );
        (*baserel).rows = (rows * selectivity).max(1.0).round();
        let mut private = std::ptr::null_mut();
        private = pg_sys::lappend(private, make_string(&relation.name));
        private = pg_sys::lappend(private, make_string(rowid.unwrap_or("")));
        private = pg_sys::lappend(private, make_string(&format!("{rows}")));
        (*baserel).fdw_private = private as *mut std::ffi::c_void;
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn get_foreign_paths(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    _foreigntableid: pg_sys::Oid,
) {
    unsafe {
        let private = list_ptrs((*baserel).fdw_private as *mut pg_sys::List);
        let remote_rows: f64 = string_value(private[2]).parse().unwrap_or(1000.0);
        // Startup: opening a statement; per row: SQLite's step plus conversion, which we
        // measured to cost about as much as a heap tuple's processing.
        let startup = 10.0;
        let total = startup + remote_rows * (pg_sys::cpu_tuple_cost * 2.0);
        let path = pg_sys::create_foreignscan_path(
            root,
            baserel,
            std::ptr::null_mut(),
            (*baserel).rows,
            startup,
            total,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        pg_sys::add_path(baserel, path as *mut pg_sys::Path);
    }
}

/// Attribute numbers the query needs from this relation: its output and its local
/// filters. A whole-row reference needs every column.
unsafe fn needed_attnums(baserel: *mut pg_sys::RelOptInfo, natts: i32) -> Vec<i32> {
    unsafe {
        let relid = (*baserel).relid;
        let mut attrs: *mut pg_sys::Bitmapset = std::ptr::null_mut();
        pg_sys::pull_varattnos((*(*baserel).reltarget).exprs as *mut pg_sys::Node, relid, &mut attrs);
        for rinfo in list_ptrs((*baserel).baserestrictinfo) {
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
    _root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    foreigntableid: pg_sys::Oid,
    _best_path: *mut pg_sys::ForeignPath,
    tlist: *mut pg_sys::List,
    scan_clauses: *mut pg_sys::List,
    outer_plan: *mut pg_sys::Plan,
) -> *mut pg_sys::ForeignScan {
    unsafe {
        let private = list_ptrs((*baserel).fdw_private as *mut pg_sys::List);
        let table = string_value(private[0]);
        let rowid = string_value(private[1]);

        let rel = pg_sys::table_open(foreigntableid, pg_sys::NoLock as i32);
        let tupdesc = (*rel).rd_att;
        let natts = (*tupdesc).natts;
        let attrs = (*tupdesc).attrs.as_slice(natts as usize);
        let mut attnums = Vec::new();
        let mut column_names = Vec::new();
        let mut conversions = Vec::new();
        for attnum in needed_attnums(baserel, natts) {
            let attr = &attrs[attnum as usize - 1];
            if attr.attisdropped {
                continue;
            }
            let column_options = def_elems(pg_sys::GetForeignColumnOptions(foreigntableid, attnum as i16));
            let name = column_options
                .iter()
                .find(|(k, _)| k == "column_name")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| cstr_to_string(attr.attname.data.as_ptr()));
            attnums.push(attnum);
            column_names.push(name);
            conversions.push(options::column_conversion(&column_options).or_report());
        }
        let ft = pg_sys::GetForeignTable(foreigntableid);
        let reject_target = (option_value((*ft).options, "on_error").as_deref() == Some("reject")).then(|| {
            option_value((*ft).options, "reject_target").unwrap_or_else(|| {
                let name = pg_sys::quote_qualified_identifier(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(foreigntableid)), pg_sys::get_rel_name(foreigntableid));
                cstr_to_string(name)
            })
        });
        pg_sys::table_close(rel, pg_sys::NoLock as i32);

        let rowid = (!rowid.is_empty()).then_some(rowid.as_str());
        let data = PlanData {
            sql: deparse::select_sql(&table, &column_names, rowid),
            table,
            attnums,
            column_names,
            has_rowid: rowid.is_some(),
            conversions,
            reject_target,
        };
        // No pushdown yet: every qual is checked locally.
        let local_quals = pg_sys::extract_actual_clauses(scan_clauses, false);
        pg_sys::make_foreignscan(
            tlist,
            local_quals,
            (*baserel).relid,
            std::ptr::null_mut(),
            data.to_list(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            outer_plan,
        )
    }
}
