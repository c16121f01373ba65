//! Tests that need a live backend: the wrapper end to end, on SQLite files the tests
//! build themselves and on the real databases in ../shared/data.

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;
    use std::path::PathBuf;

    /// A fresh SQLite file built from `sql`, owned by the backend's OS user.
    fn fixture(name: &str, sql: &str) -> String {
        let dir = PathBuf::from(format!("/tmp/liteport_pgtest_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.db"));
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(sql).unwrap();
        drop(db);
        path.display().to_string()
    }

    fn run(sql: &str) {
        Spi::run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn one<T: pgrx::IntoDatum + pgrx::FromDatum>(sql: &str) -> T {
        Spi::get_one::<T>(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).unwrap_or_else(|| panic!("{sql}: NULL"))
    }

    /// "SQLSTATE: message" of the error `sql` raises, or "ok".
    fn error_of(sql: &str) -> String {
        if one::<bool>("SELECT to_regprocedure('pg_temp.error_of(text)') IS NULL") {
            run(
            "CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
             BEGIN EXECUTE q; RETURN 'ok';
             EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $f$",
            );
        }
        one::<String>(&format!("SELECT pg_temp.error_of({})", quote(sql)))
    }

    fn quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    fn server(name: &str, path: &str) {
        run(&format!("CREATE SERVER {name} FOREIGN DATA WRAPPER liteport OPTIONS (database {})", quote(path)));
    }

    fn import(server: &str, schema: &str) {
        run(&format!("CREATE SCHEMA {schema}; IMPORT FOREIGN SCHEMA main FROM SERVER {server} INTO {schema}"));
    }

    #[pg_test]
    fn wrapper_has_handler_and_validator() {
        assert!(one::<bool>(
            "SELECT fdwhandler <> 0 AND fdwvalidator <> 0 FROM pg_foreign_data_wrapper WHERE fdwname = 'liteport'"
        ));
    }

    #[pg_test]
    fn validator_rejects_unknown_options_and_bad_values() {
        let e = error_of("CREATE SERVER s1 FOREIGN DATA WRAPPER liteport OPTIONS (filename '/x')");
        assert_eq!(e, "HV00D: liteport: invalid option \"filename\"");
        let e = error_of("CREATE SERVER s1 FOREIGN DATA WRAPPER liteport OPTIONS (database '/x', busy_timeout_ms 'soon')");
        assert!(e.starts_with("HV024: "), "{e}");
        let path = fixture("v", "CREATE TABLE t(a)");
        server("sv", &path);
        let e = error_of("CREATE FOREIGN TABLE ft(a int) SERVER sv OPTIONS (tabel 't')");
        assert_eq!(e, "HV00D: liteport: invalid option \"tabel\"");
        let e = error_of("CREATE FOREIGN TABLE ft(a int OPTIONS (name 'a')) SERVER sv");
        assert_eq!(e, "HV00D: liteport: invalid option \"name\"");
    }

    #[pg_test]
    fn unusable_files_are_clear_errors() {
        let dir = format!("/tmp/liteport_pgtest_{}", std::process::id());
        std::fs::create_dir_all(&dir).unwrap();
        let not_sqlite = format!("{dir}/notes.txt");
        std::fs::write(&not_sqlite, "this is not a database, just some text that is long enough to fill a header ............................................").unwrap();
        let corrupt = fixture("corrupt", "CREATE TABLE t(a); INSERT INTO t VALUES (1);");
        let mut bytes = std::fs::read(&corrupt).unwrap();
        bytes[0..16].copy_from_slice(b"SQLite format 3\0");
        for b in &mut bytes[100..] {
            *b = 0xA5;
        }
        std::fs::write(&corrupt, &bytes).unwrap();
        for (name, path, expect) in [
            ("missing", format!("{dir}/nope.db"), "cannot open SQLite database"),
            ("a_dir", dir.clone(), "it is a directory"),
            ("text", not_sqlite.clone(), "is not a SQLite database"),
            ("broken", corrupt.clone(), "is not a SQLite database"),
        ] {
            server(name, &path);
            run(&format!("CREATE FOREIGN TABLE ft_{name}(a int) SERVER {name} OPTIONS (table 't')"));
            let e = error_of(&format!("SELECT * FROM ft_{name}"));
            assert!(e.starts_with("HV00N: "), "{name}: {e}");
            assert!(e.contains(&format!("server \"{name}\"")) && e.contains(&path) && e.contains(expect), "{name}: {e}");
        }
    }

    const TYPES_SQL: &str = "
        CREATE TABLE typed(id INTEGER PRIMARY KEY, i2 INT, i4 INT, i8 INT, f4 REAL, f8 REAL, num NUMERIC, num2 NUMERIC(6,2),
            t TEXT, vc VARCHAR(5), ch CHAR(4), b BLOB, bo BOOLEAN, d DATE, ts DATETIME, tstz TIMESTAMP, tm TIME,
            u UUID, j JSON, jb JSON);
        INSERT INTO typed VALUES (1, 32767, -2147483648, 9223372036854775807, 1.5, 2.25, 12345678901234567890, 3.1400,
            'héllo', 'abc', 'ab', x'00ff10', 1, '2024-02-29', '2024-02-29 13:14:15.5', '2024-02-29T13:14:15+02:00', '23:59:59',
            'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '{\"b\": true}');
        INSERT INTO typed VALUES (2, '12', 7.0, ' -8 ', 3, '-1e3', '0.5', 7, 42, 'xyz', 'abcd', 'text in blob', 'yes', 1709164800, 1709164800,
            1709164800.25, '00:00', x'a0eebc999c0b4ef8bb6d6bb9bd380a11', '[1]', 3);
        INSERT INTO typed(id) VALUES (3);
        CREATE TABLE rounding(n TEXT); INSERT INTO rounding VALUES ('3.14159');";

    const TYPED_TABLE: &str = "CREATE FOREIGN TABLE typed(id bigint, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
            num numeric, num2 numeric(6,2), t text, vc varchar(5), ch char(4), b bytea, bo boolean, d date, ts timestamp,
            tstz timestamptz, tm time, u uuid, j json, jb jsonb) SERVER types";

    #[pg_test]
    fn every_supported_type_converts() {
        server("types", &fixture("types", TYPES_SQL));
        run(TYPED_TABLE);
        run("SET TimeZone = 'UTC'");
        let row1 = one::<String>("SELECT row(i2, i4, i8, f4, f8, num, num2, t, vc, ch, b, bo, d, ts, tstz, tm, u, j, jb)::text FROM typed WHERE id = 1");
        assert_eq!(
            row1,
            r#"(32767,-2147483648,9223372036854775807,1.5,2.25,12345678901234567000,3.14,héllo,abc,"ab  ","\\x00ff10",t,2024-02-29,"2024-02-29 13:14:15.5","2024-02-29 11:14:15+00",23:59:59,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{""a"": [1, 2]}","{""b"": true}")"#
        );
        let row2 = one::<String>("SELECT row(i2, i4, i8, f4, f8, num, num2, t, vc, ch, b, bo, d, ts, tstz, tm, u, j, jb)::text FROM typed WHERE id = 2");
        assert_eq!(
            row2,
            r#"(12,7,-8,3,-1000,0.5,7.00,42,xyz,abcd,"\\x7465787420696e20626c6f62",t,2024-02-29,"2024-02-29 00:00:00","2024-02-29 00:00:00.25+00",00:00:00,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,[1],3)"#
        );
        // NULL stays NULL, in every type.
        assert!(one::<bool>("SELECT num_nulls(i2, i4, i8, f4, f8, num, num2, t, vc, ch, b, bo, d, ts, tstz, tm, u, j, jb) = 19 FROM typed WHERE id = 3"));
        // A naive timestamp read into timestamptz is UTC, whatever the session's zone.
        run("SET TimeZone = 'America/New_York'");
        run("CREATE FOREIGN TABLE naive(ts timestamptz) SERVER types OPTIONS (table 'typed')");
        assert_eq!(one::<String>("SELECT max(ts)::text FROM naive"), "2024-02-29 08:14:15.5-05");
        // A decimal the column's scale would round is an error, not a rounding.
        run("CREATE FOREIGN TABLE rounded(n numeric(6,2)) SERVER types OPTIONS (table 'rounding')");
        assert!(error_of("SELECT * FROM rounded").contains("cannot convert '3.14159' to numeric(6,2): it has 5 digits after the point"));
    }

    fn bad_value(name: &str, column_sql: &str, value_sql: &str) -> String {
        let path = fixture(name, &format!("CREATE TABLE src(v); INSERT INTO src(rowid, v) VALUES (41, NULL), (42, {value_sql});"));
        server(name, &path);
        run(&format!("CREATE FOREIGN TABLE {name}(v {column_sql}) SERVER {name} OPTIONS (table 'src')"));
        error_of(&format!("SELECT * FROM {name}"))
    }

    #[pg_test]
    fn bad_values_are_errors_naming_server_table_column_row_and_value() {
        let e = bad_value("int4_overflow", "integer", "2147483648");
        assert_eq!(e, "22003: liteport server \"int4_overflow\", table \"src\", column \"v\", rowid 42: cannot convert 2147483648 to integer: out of range for integer");
        let cases = [
            ("int2_overflow", "smallint", "-32769", "22003"),
            ("fraction", "bigint", "1.5", "22P02"),
            ("not_int", "bigint", "'12abc'", "22P02"),
            ("blob_int", "bigint", "x'01'", "HV004"),
            ("bad_bool", "boolean", "'maybe'", "22P02"),
            ("two_bool", "boolean", "2", "22P02"),
            ("bad_date", "date", "'2024-02-30'", "22007"),
            ("zero_date", "date", "'0000-00-00'", "22007"),
            ("date_with_time", "date", "'2024-01-01 10:00:00'", "22007"),
            ("bad_ts", "timestamp", "'yesterday'", "22007"),
            ("huge_epoch", "timestamp", "1e300", "22008"),
            ("bad_uuid", "uuid", "'not-a-uuid'", "22P02"),
            ("short_uuid_blob", "uuid", "x'0102'", "22P02"),
            ("bad_json", "jsonb", "'{oops'", "22P02"),
            ("bad_numeric", "numeric", "'1.2.3'", "22P02"),
            ("numeric_overflow", "numeric(3,1)", "12345", "22003"),
            ("inf_numeric", "numeric", "9e999", "22003"),
            ("long_varchar", "varchar(3)", "'abcd'", "22001"),
            ("long_char", "char(2)", "'abc'", "22001"),
            ("real_overflow", "real", "1e300", "22003"),
            ("not_float", "double precision", "'fast'", "22P02"),
            ("bad_utf8", "text", "CAST(x'ff' AS TEXT)", "22021"),
            ("nul_byte", "text", "CAST(x'610062' AS TEXT)", "22021"),
            ("time_int", "time", "5", "HV004"),
        ];
        for (name, ty, value, state) in cases {
            let e = bad_value(name, ty, value);
            assert!(e.starts_with(&format!("{state}: liteport server \"{name}\", table \"src\", column \"v\", rowid 42: cannot convert")), "{name}: {e}");
        }
        let e = bad_value("utf8_message", "text", "CAST(x'68e96c6c6f' AS TEXT)");
        assert!(e.contains("invalid UTF-8 at byte 1") && e.contains("x'68e96c6c6f'"), "{e}");
        let e = bad_value("nul_message", "text", "CAST(x'610062' AS TEXT)");
        assert!(e.contains("NUL byte"), "{e}");
        // Long values are shortened in the message.
        let e = bad_value("long_value", "integer", "'x' || hex(zeroblob(2000))");
        assert!(e.len() < 400, "{e}");
    }

    #[pg_test]
    fn views_name_rows_by_position() {
        let path = fixture("viewrow", "CREATE TABLE t(v); INSERT INTO t VALUES (1), ('one'); CREATE VIEW vt AS SELECT v FROM t;");
        server("viewrow", &path);
        run("CREATE FOREIGN TABLE vt(v integer) SERVER viewrow");
        let e = error_of("SELECT * FROM vt");
        assert!(e.contains("table \"vt\", column \"v\", row 2 of the scan"), "{e}");
    }

    #[pg_test]
    fn view_needing_an_application_function_says_which() {
        let path = fixture("appfn", "CREATE TABLE t(a); CREATE VIEW needs_app AS SELECT app_distance(a, 1) AS d FROM t;");
        server("appfn", &path);
        run("CREATE FOREIGN TABLE needs_app(d float8) SERVER appfn");
        let e = error_of("SELECT * FROM needs_app");
        assert!(e.starts_with("42883: ") && e.contains("app_distance"), "{e}");
        let e = error_of("IMPORT FOREIGN SCHEMA main LIMIT TO (needs_app) FROM SERVER appfn INTO public");
        assert!(e.starts_with("42883: ") && e.contains("app_distance"), "{e}");
        // Importing everything skips it (with a warning) and imports the rest.
        run("CREATE SCHEMA appfn_all; IMPORT FOREIGN SCHEMA main FROM SERVER appfn INTO appfn_all");
        assert_eq!(one::<i64>("SELECT count(*) FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid WHERE c.relnamespace = 'appfn_all'::regnamespace"), 1);
    }

    #[pg_test]
    fn import_quotes_identifiers_and_maps_types() {
        let path = fixture(
            "names",
            r#"CREATE TABLE "order"("select" INTEGER NOT NULL, "Mixed Case" TEXT, "we""ird" BLOB, plain, price DECIMAL(8,3),
                   flag BOOLEAN, born DATE, seen DATETIME, doc JSON, id UUID, f FLOAT, total INT GENERATED ALWAYS AS ("select" * 2));
               INSERT INTO "order" VALUES (1, 'a', x'01', 'p', 1.5, 1, '2020-01-01', '2020-01-01 00:00:00', '{}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 0.5);
               CREATE TABLE "Order Details"(x);
               CREATE VIRTUAL TABLE docs USING fts5(body);
               INSERT INTO docs VALUES ('hello world');
               CREATE VIEW v_order AS SELECT "select", count(*) AS n FROM "order" GROUP BY 1;"#,
        );
        server("names", &path);
        import("names", "imported");
        let tables = one::<String>(
            "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = 'imported'::regnamespace",
        );
        // No sqlite_* internals and no FTS shadow tables (docs_data, docs_idx, ...).
        assert_eq!(tables, "Order Details,docs,order,v_order");
        let cols = one::<String>(
            "SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN '!' ELSE '' END, ',' ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'imported.\"order\"'::regclass AND attnum > 0",
        );
        assert_eq!(
            cols,
            "select:bigint!,Mixed Case:text,we\"ird:bytea,plain:bytea,price:numeric(8,3),flag:boolean,born:date,seen:timestamp without time zone,doc:jsonb,id:uuid,f:double precision,total:bigint"
        );
        assert_eq!(one::<i64>(r#"SELECT total FROM imported."order""#), 2);
        assert_eq!(one::<String>(r#"SELECT "Mixed Case" FROM imported."order""#), "a");
        assert_eq!(one::<String>("SELECT body FROM imported.docs"), "hello world");
        assert_eq!(one::<String>("SELECT n FROM imported.v_order"), "1");
        run("CREATE SCHEMA lim; IMPORT FOREIGN SCHEMA main LIMIT TO (\"order\", docs) FROM SERVER names INTO lim");
        assert_eq!(one::<i64>("SELECT count(*) FROM pg_class WHERE relnamespace = 'lim'::regnamespace"), 2);
        run("CREATE SCHEMA exc; IMPORT FOREIGN SCHEMA main EXCEPT (\"order\", docs) FROM SERVER names INTO exc");
        assert_eq!(one::<i64>("SELECT count(*) FROM pg_class WHERE relnamespace = 'exc'::regnamespace"), 2);
        let e = error_of("IMPORT FOREIGN SCHEMA other FROM SERVER names INTO exc");
        assert!(e.starts_with("HV00Q: "), "{e}");
    }

    #[pg_test]
    fn explain_verbose_shows_the_sqlite_query_with_pushed_filter_and_needed_columns() {
        server("ex", &fixture("ex", "CREATE TABLE t(a INT, b TEXT, c REAL) STRICT; INSERT INTO t VALUES (1, 'x', 2.5);"));
        import("ex", "ex");
        let plan: Vec<String> = Spi::connect(|c| {
            c.select("EXPLAIN (VERBOSE, COSTS OFF) SELECT b FROM ex.t WHERE a = 1", None, &[])
                .unwrap()
                .map(|r| r.get::<String>(1).unwrap().unwrap())
                .collect()
        });
        assert!(plan.iter().any(|l| l.trim() == r#"SQLite query: SELECT "b", rowid FROM "t" WHERE "a" = ?1"#), "{plan:?}");
        assert_eq!(one::<i64>("SELECT count(*) FROM ex.t"), 1);
    }

    #[pg_test]
    fn prepared_statement_runs_twenty_times_and_errors_leave_no_state() {
        server("prep", &fixture("prep", "CREATE TABLE t(a INT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO t SELECT i FROM n; CREATE TABLE bad AS SELECT * FROM t; INSERT INTO bad VALUES ('bad');"));
        run("CREATE FOREIGN TABLE good(a int) SERVER prep OPTIONS (table 't')");
        run("CREATE FOREIGN TABLE bad(a int) SERVER prep OPTIONS (table 'bad')");
        run("PREPARE q(int) AS SELECT count(*) FROM good WHERE a <= $1");
        for i in 1..=20 {
            // Forces a generic (cached) plan after five runs, reused from then on.
            assert_eq!(one::<i64>(&format!("EXECUTE q({i})")), i as i64);
        }
        let e = error_of("SELECT sum(a) FROM bad");
        assert!(e.contains("rowid 101"), "{e}");
        assert_eq!(one::<i64>("EXECUTE q(50)"), 50);
        assert_eq!(one::<i64>("SELECT count(*) FROM good WHERE a IS NOT NULL AND a < 10"), 9);
        run("DEALLOCATE q");
    }

    #[pg_test]
    fn rescan_in_a_nested_loop_reads_again() {
        server("rs", &fixture("rs", "CREATE TABLE a(x INT); INSERT INTO a VALUES (1),(2),(3); CREATE TABLE b(y INT); INSERT INTO b VALUES (1),(2),(3),(4);"));
        import("rs", "rs");
        run("SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off");
        assert_eq!(one::<i64>("SELECT count(*) FROM rs.a JOIN rs.b ON x = y"), 3);
        assert_eq!(one::<i64>("SELECT count(*) FROM rs.a, rs.b"), 12);
    }

    #[pg_test]
    fn source_file_is_never_modified() {
        let path = fixture("ro", "CREATE TABLE t(a INT, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y'); CREATE VIEW v AS SELECT * FROM t;");
        let before = std::fs::read(&path).unwrap();
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        let dir_before = std::fs::read_dir(std::path::Path::new(&path).parent().unwrap()).unwrap().count();
        server("ro", &path);
        import("ro", "ro");
        assert_eq!(one::<i64>("SELECT count(*) FROM ro.t"), 2);
        assert_eq!(one::<i64>("SELECT count(*) FROM ro.v"), 2);
        let _ = error_of("SELECT * FROM ro.t WHERE 1 / (a - 2) > 0");
        run("SELECT liteport.disconnect()");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        assert_eq!(std::fs::read_dir(std::path::Path::new(&path).parent().unwrap()).unwrap().count(), dir_before, "no journal files");
    }

    #[pg_test]
    fn wal_file_without_sidecars_gets_none_created() {
        let path = fixture("wal", "PRAGMA journal_mode = WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1), (2);");
        assert!(!std::path::Path::new(&format!("{path}-wal")).exists());
        let before = std::fs::read(&path).unwrap();
        server("wal", &path);
        import("wal", "wal");
        assert_eq!(one::<i64>("SELECT count(*) FROM wal.t"), 2);
        run("SELECT liteport.disconnect()");
        assert!(!std::path::Path::new(&format!("{path}-wal")).exists());
        assert!(!std::path::Path::new(&format!("{path}-shm")).exists());
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[pg_test]
    fn one_snapshot_per_transaction() {
        let path = fixture("snap", "PRAGMA journal_mode = WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1);");
        // The application keeps its connection open, so -wal/-shm exist: a live writer.
        let app = rusqlite::Connection::open(&path).unwrap();
        app.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap();
        server("snap", &path);
        import("snap", "snap");
        Spi::connect_mut(|c| {
            let count = |c: &mut pgrx::spi::SpiClient| c.select("SELECT count(*) FROM snap.t", None, &[]).unwrap().first().get_one::<i64>().unwrap().unwrap();
            assert_eq!(count(c), 1);
            app.execute("INSERT INTO t VALUES (2)", []).unwrap();
            // Same Postgres transaction: same SQLite snapshot.
            assert_eq!(count(c), 1);
        });
        // The test itself runs in one transaction, so end our snapshot by hand, as
        // commit would, and see the new row.
        crate::sqlite::cache::end_of_transaction(true);
        assert_eq!(one::<i64>("SELECT count(*) FROM snap.t"), 2);
        drop(app);
    }

    #[pg_test]
    fn connection_is_reused_and_replaced_when_options_change() {
        let a = fixture("conn_a", "CREATE TABLE t(a); INSERT INTO t VALUES (1);");
        let b = fixture("conn_b", "CREATE TABLE t(a); INSERT INTO t VALUES (1), (2);");
        server("conn", &a);
        run("CREATE FOREIGN TABLE conn_t(a int) SERVER conn OPTIONS (table 't')");
        assert_eq!(one::<i64>("SELECT count(*) FROM conn_t"), 1);
        assert_eq!(one::<i64>("SELECT count(*) FROM liteport.connections() WHERE server_name = 'conn'"), 1);
        run(&format!("ALTER SERVER conn OPTIONS (SET database {})", quote(&b)));
        assert_eq!(one::<i64>("SELECT count(*) FROM conn_t"), 2);
        assert_eq!(one::<String>("SELECT database FROM liteport.connections() WHERE server_name = 'conn'"), b);
    }

    #[pg_test]
    fn dropping_a_server_closes_its_connection_at_transaction_end() {
        server("dropme", &fixture("dropme", "CREATE TABLE t(a); INSERT INTO t VALUES (1);"));
        run("CREATE FOREIGN TABLE dropme_t(a int) SERVER dropme OPTIONS (table 't')");
        assert_eq!(one::<i64>("SELECT count(*) FROM dropme_t"), 1);
        assert_eq!(one::<i64>("SELECT count(*) FROM liteport.connections() WHERE server_name = 'dropme'"), 1);
        run("DROP SERVER dropme CASCADE");
        // What commit does (the test runs inside one transaction):
        crate::sqlite::cache::end_of_transaction(true);
        assert_eq!(one::<i64>("SELECT count(*) FROM liteport.connections() WHERE server_name = 'dropme'"), 0);
    }

    #[pg_test]
    fn only_privileged_roles_may_point_a_server_at_a_file() {
        let path = fixture("perm", "CREATE TABLE t(a); INSERT INTO t VALUES (1);");
        server("perm", &path);
        run("CREATE FOREIGN TABLE perm_t(a int) SERVER perm OPTIONS (table 't')");
        run("CREATE ROLE lp_plain; CREATE ROLE lp_reader IN ROLE pg_read_server_files");
        run("GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO lp_plain, lp_reader");
        run("GRANT USAGE ON FOREIGN SERVER perm TO lp_plain; GRANT SELECT ON perm_t TO lp_plain");
        run("ALTER SERVER perm OWNER TO lp_plain");
        run("SET ROLE lp_plain");
        // A role with USAGE on the server can read through it...
        assert_eq!(one::<i64>("SELECT count(*) FROM perm_t"), 1);
        // ...but cannot point it, or a new server, at another file.
        let e = error_of("ALTER SERVER perm OPTIONS (SET database '/etc/passwd')");
        assert!(e.starts_with("42501: liteport: permission denied"), "{e}");
        let e = error_of("CREATE SERVER mine FOREIGN DATA WRAPPER liteport OPTIONS (database '/etc/passwd')");
        assert!(e.starts_with("42501: "), "{e}");
        run("RESET ROLE");
        run("SET ROLE lp_reader");
        assert_eq!(error_of(&format!("CREATE SERVER reader_srv FOREIGN DATA WRAPPER liteport OPTIONS (database {})", quote(&path))), "ok");
        run("RESET ROLE");
    }

    #[pg_test]
    fn extension_loading_is_off() {
        server("ext", &fixture("ext", "CREATE TABLE t(a); INSERT INTO t VALUES (1); CREATE VIEW loader AS SELECT load_extension('/tmp/nothing') AS x;"));
        run("CREATE FOREIGN TABLE loader(x text) SERVER ext");
        let e = error_of("SELECT * FROM loader");
        assert!(e.contains("load_extension"), "{e}");
    }

    /// Every table and view of each shared real database imports and reads with the
    /// count SQLite itself gives.
    #[pg_test]
    fn shared_databases_import_and_count_like_sqlite() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        for db in ["chinook", "northwind", "sakila", "grafana", "mbtiles_plain2"] {
            let path = data.join(format!("{db}.sqlite")).canonicalize().unwrap().display().to_string();
            server(db, &path);
            import(db, &format!("shared_{db}"));
            let sqlite = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
            let rels = crate::sqlite::schema::list_relations(&sqlite).unwrap();
            assert!(!rels.is_empty());
            for rel in rels {
                let expected: i64 = sqlite
                    .query_row(&format!("SELECT count(*) FROM {}", crate::fdw::deparse::sqlite_ident(&rel.name)), [], |r| r.get(0))
                    .unwrap();
                let ident = rel.name.replace('"', "\"\"");
                // Reading every column converts every value; count(t) needs each row whole.
                let got = one::<i64>(&format!("SELECT count(t) FROM shared_{db}.\"{ident}\" t"));
                assert_eq!(got, expected, "{db}.{}", rel.name);
            }
        }
    }

    /// liteport.profile runs on every table of each shared database, and its suggested
    /// types (IMPORT ... OPTIONS (types 'inferred')) read every value back without
    /// error; the raw `text` staging mode does too. Counts match SQLite's own.
    #[pg_test]
    fn shared_databases_profile_and_read_with_inferred_and_text_types() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        for db in ["chinook", "northwind", "sakila", "grafana", "mbtiles_plain2"] {
            let path = data.join(format!("{db}.sqlite")).canonicalize().unwrap().display().to_string();
            server(db, &path);
            let profiled = one::<i64>(&format!("SELECT count(*) FROM liteport.profile('{db}')"));
            assert!(profiled > 0, "{db}");
            for mode in ["inferred", "text"] {
                let schema = format!("shared_{mode}_{db}");
                run(&format!("CREATE SCHEMA {schema}"));
                run(&format!("IMPORT FOREIGN SCHEMA main FROM SERVER {db} INTO {schema} OPTIONS (types '{mode}')"));
                let sqlite = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
                let tables: Vec<String> = Spi::connect(|client| {
                    client
                        .select(&format!("SELECT relname::text FROM pg_class WHERE relnamespace = '{schema}'::regnamespace"), None, &[])
                        .unwrap()
                        .map(|row| row.get::<String>(1).unwrap().unwrap())
                        .collect()
                });
                assert!(!tables.is_empty(), "{schema}");
                for table in tables {
                    let expected: i64 = sqlite
                        .query_row(&format!("SELECT count(*) FROM {}", crate::fdw::deparse::sqlite_ident(&table)), [], |r| r.get(0))
                        .unwrap();
                    let ident = table.replace('"', "\"\"");
                    let got = one::<i64>(&format!("SELECT count(t) FROM {schema}.\"{ident}\" t"));
                    assert_eq!(got, expected, "{schema}.{table}");
                }
            }
            // The import used exactly the types the profile suggests.
            let mismatched = one::<i64>(&format!(
                "SELECT count(*) FROM liteport.profile('{db}') p
                   JOIN pg_attribute a ON a.attrelid = format('shared_inferred_{db}.%I', p.table_name)::regclass AND a.attname = p.column_name
                  WHERE format_type(a.atttypid, a.atttypmod) <> (SELECT format_type(p.suggested_type::regtype, NULL))"
            ));
            assert_eq!(mismatched, 0, "{db}");
        }
    }

    #[pg_test]
    fn inferred_import_reads_messy_columns_with_their_options() {
        let path = fixture(
            "messy_infer",
            "CREATE TABLE e(id INTEGER PRIMARY KEY, at DATETIME, flag BOOLEAN, n INTEGER);
             INSERT INTO e VALUES (1, 1700000000000, 'yes', 5), (2, 1700000000500, 'no', ''), (3, NULL, 1, 7);",
        );
        server("messy_infer", &path);
        run("CREATE SCHEMA mi");
        run("IMPORT FOREIGN SCHEMA main FROM SERVER messy_infer INTO mi OPTIONS (types 'inferred')");
        assert_eq!(one::<String>("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'mi.e'::regclass AND attname = 'at'"), "timestamp without time zone");
        assert_eq!(one::<String>("SELECT array_to_string(attfdwoptions, ',') FROM pg_attribute WHERE attrelid = 'mi.e'::regclass AND attname = 'at'"), "epoch_unit=ms");
        assert_eq!(one::<String>("SELECT array_to_string(attfdwoptions, ',') FROM pg_attribute WHERE attrelid = 'mi.e'::regclass AND attname = 'n'"), "empty_as_null=true");
        assert_eq!(one::<String>("SELECT string_agg(concat_ws('/', id, at, flag, n), ' ' ORDER BY id) FROM mi.e"), "1/2023-11-14 22:13:20/t/5 2/2023-11-14 22:13:20.5/f 3/t/7");
    }

    fn file_digest(path: &str) -> (u128, Vec<String>) {
        let bytes = std::fs::read(path).unwrap();
        let dir = std::path::Path::new(path).parent().unwrap();
        let mut files: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        (xxhash_rust::xxh3::xxh3_128(&bytes), files)
    }

    /// Each shared real database migrates with the default options and verifies
    /// table by table (counts and checksums); the application-level checks hold; the
    /// SQLite file is byte for byte unchanged and no journal file appears.
    #[pg_test]
    fn shared_databases_migrate_and_verify() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        for db in ["chinook", "northwind", "sakila", "grafana", "mbtiles_plain2"] {
            let path = data.join(format!("{db}.sqlite")).canonicalize().unwrap().display().to_string();
            let before = file_digest(&path);
            server(db, &path);
            run(&format!("CREATE SCHEMA m_{db}"));
            let tables = one::<i64>(&format!("SELECT count(*) FROM liteport.migrate('{db}', 'm_{db}') WHERE status LIKE 'ok%'"));
            let sqlite = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
            let expected: i64 = sqlite
                .query_row("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", [], |r| r.get(0))
                .unwrap();
            assert_eq!(tables, expected, "{db}: every table migrated");
            let verified = one::<i64>(&format!("SELECT count(*) FROM liteport.verify('{db}', 'm_{db}') WHERE matches AND source_checksum = target_checksum"));
            assert_eq!(verified, expected, "{db}: every table verifies");
            assert_eq!(file_digest(&path), before, "{db}: the SQLite file and its directory are untouched");
        }
        // Northwind: a new row gets max(id) + 1, or the AUTOINCREMENT mark when higher.
        let max_id = one::<i64>("SELECT max(\"CategoryID\") FROM m_northwind.\"Categories\"");
        let new_id = one::<i64>("INSERT INTO m_northwind.\"Categories\" (\"CategoryName\") VALUES ('new') RETURNING \"CategoryID\"");
        assert_eq!(new_id, max_id + 1);
        assert!(error_of("INSERT INTO m_northwind.\"Products\" (\"ProductName\", \"CategoryID\") VALUES ('x', 99999)").starts_with("23503"));
        assert!(error_of("INSERT INTO m_chinook.\"Track\" (\"Name\", \"MediaTypeId\", \"Milliseconds\", \"UnitPrice\", \"AlbumId\") VALUES ('t', 1, 1, 1, 99999)").starts_with("23503"));
        // Grafana's UNIQUE indexes hold.
        let login = one::<String>("SELECT login FROM m_grafana.\"user\" LIMIT 1");
        assert!(error_of(&format!("INSERT INTO m_grafana.\"user\" (version, login, email, org_id, is_admin, created, updated) SELECT version, login, email || 'x', org_id, is_admin, created, updated FROM m_grafana.\"user\" WHERE login = {}", quote(&login))).starts_with("23505"));
    }

    /// The same migration, snake_case names and inferred types: verification agrees.
    #[pg_test]
    fn snake_case_and_inferred_types_verify() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/chinook.sqlite").canonicalize().unwrap().display().to_string();
        server("chinook_snake", &path);
        run("CREATE SCHEMA snake");
        let options = r#"{"identifier_case": "snake", "types": "inferred"}"#;
        run(&format!("SELECT * FROM liteport.migrate('chinook_snake', 'snake', '{options}')"));
        assert_eq!(one::<String>("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'snake.invoice'::regclass AND attname = 'invoice_date'"), "timestamp without time zone");
        assert_eq!(one::<i64>(&format!("SELECT count(*) FROM liteport.verify('chinook_snake', 'snake', '{options}') WHERE NOT matches")), 0);
        assert_eq!(one::<i64>("SELECT count(*) FROM snake.playlist_track"), 8715);
    }

    /// A DBA who is not superuser, owns the target schema and has USAGE on the server
    /// can plan, migrate with rejects, and verify; sees only their own rejects.
    #[pg_test]
    fn non_superuser_schema_owner_migrates() {
        let path = fixture(
            "dba",
            "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, b BLOB); INSERT INTO t VALUES (1, 1, x'00'), (2, 'two', x'ff00'), (3, 3, NULL);
             CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INT REFERENCES t(id)); INSERT INTO u VALUES (1, 1), (2, 3);",
        );
        server("dba_src", &path);
        run("CREATE ROLE lp_dba; CREATE SCHEMA dba AUTHORIZATION lp_dba; GRANT USAGE ON FOREIGN SERVER dba_src TO lp_dba; GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO lp_dba");
        run("SET ROLE lp_dba");
        assert!(one::<i64>("SELECT count(*) FROM liteport.plan('dba_src', 'dba')") > 0);
        let status = one::<String>(r#"SELECT status FROM liteport.migrate('dba_src', 'dba', '{"on_error": "reject"}') WHERE table_name = 't'"#);
        assert_eq!(status, "ok, 1 rows rejected (see liteport.rejects)");
        assert_eq!(one::<String>("SELECT \"row\"::text FROM liteport.rejects WHERE target = '\"dba\".\"t\"'"), r#"{"b": {"blob_hex": "ff00"}, "n": "two", "id": 2}"#);
        assert_eq!(one::<i64>("SELECT count(*) FROM liteport.verify('dba_src', 'dba') WHERE matches"), 2);
        assert_eq!(one::<String>("SELECT tableowner::text FROM pg_tables WHERE schemaname = 'dba' AND tablename = 't'"), "lp_dba");
        run("RESET ROLE");
        run("CREATE ROLE lp_other; GRANT USAGE ON FOREIGN SERVER dba_src TO lp_other");
        run("SET ROLE lp_other");
        assert_eq!(one::<i64>("SELECT count(*) FROM liteport.rejects"), 0, "rejects are private to the role that filed them");
        // Without rights on the target schema: Postgres's own privilege error.
        assert!(error_of("SELECT * FROM liteport.migrate('dba_src', 'dba')").starts_with("42501"));
        run("RESET ROLE");
        run("CREATE ROLE lp_nousage");
        run("SET ROLE lp_nousage");
        assert!(error_of("SELECT * FROM liteport.plan('dba_src', 'dba')").starts_with("42501"), "USAGE on the server is required");
        run("RESET ROLE");
    }

    /// A load that fails midway leaves nothing behind: no tables, no rejects, no
    /// staging foreign tables; the error names table, column and rowid.
    #[pg_test]
    fn failed_migration_names_the_value_and_leaves_nothing() {
        let path = fixture("abort", "CREATE TABLE a(x INTEGER); INSERT INTO a VALUES (1), (2.5);");
        server("abort_src", &path);
        run("CREATE SCHEMA ab");
        // A new table gets a type that holds 2.5 ...
        run("SELECT count(*) FROM liteport.migrate('abort_src', 'ab')");
        assert_eq!(one::<String>("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ab.a'::regclass AND attname = 'x'"), "numeric");
        run("DROP TABLE ab.a");
        // ... an existing bigint column does not: the data check refuses before loading.
        run("CREATE TABLE ab.a (x bigint)");
        let err = error_of("SELECT * FROM liteport.migrate('abort_src', 'ab', '{\"data_only\": true}')");
        assert!(err.starts_with("23000: liteport.migrate did not start"), "{err}");
        assert!(err.contains("column \"x\": values that do not convert to bigint (e.g. 2.5): 1 row, e.g. rowid 2"), "{err}");
        assert_eq!(one::<i64>("SELECT count(*) FROM ab.a"), 0);
    }

    /// With liteport.read_ahead on, a scan reads exactly what it reads directly: every
    /// value over several batches, the same conversion error naming the same rowid,
    /// the same rejects; and an early stop (LIMIT) leaves the connection usable.
    #[pg_test]
    fn read_ahead_reads_what_direct_reads_read() {
        let path = fixture(
            "read_ahead",
            "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, d TEXT);
             WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 5000)
             INSERT INTO t SELECT k, k * 3, k / 7.0, printf('text %d %s', k, hex(randomblob(k % 50))), randomblob(k % 20),
                 CASE WHEN k % 11 = 0 THEN NULL ELSE date('2020-01-01', '+' || k || ' days') END FROM c;
             CREATE TABLE bad(id INTEGER PRIMARY KEY, n INTEGER);
             INSERT INTO bad VALUES (1, 1), (2, 2), (3, 'three'), (4, 4), (5, 'five');",
        );
        server("ra", &path);
        run("CREATE FOREIGN TABLE ra_t (id bigint, i int, r float8, s text, b bytea, d date) SERVER ra OPTIONS (table 't')");
        run("CREATE FOREIGN TABLE ra_bad (id bigint, n bigint) SERVER ra OPTIONS (table 'bad')");
        run("CREATE FOREIGN TABLE ra_bad_reject (id bigint, n bigint) SERVER ra OPTIONS (table 'bad', on_error 'reject', reject_target 'ra')");
        let digest = "SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM ra_t t";
        run("SET liteport.read_ahead = off");
        let direct = one::<String>(digest);
        let direct_error = error_of("SELECT * FROM ra_bad");
        let direct_rejects = one::<String>("SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM ra_bad_reject");
        run("SET liteport.read_ahead = on");
        assert_eq!(one::<String>(digest), direct);
        assert!(direct.starts_with("5000:"));
        assert_eq!(error_of("SELECT * FROM ra_bad"), direct_error);
        assert!(direct_error.contains("rowid 3"), "{direct_error}");
        assert_eq!(one::<String>("SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM ra_bad_reject"), direct_rejects);
        assert_eq!(direct_rejects, "1:1,2:2,4:4");
        assert_eq!(one::<i64>("SELECT count(*) FROM liteport.rejects WHERE target = 'ra'"), 4, "two rejects per read");
        assert_eq!(
            one::<String>("SELECT string_agg(DISTINCT \"row\"::text, ' ') FROM liteport.rejects WHERE target = 'ra'"),
            r#"{"n": "five", "id": 5} {"n": "three", "id": 3}"#,
            "both reads file the same rows"
        );
        assert_eq!(one::<i64>("SELECT count(*) FROM (SELECT * FROM ra_t LIMIT 3) x"), 3);
        assert_eq!(one::<String>(digest), direct, "the connection is usable after an early stop");
    }

    /// Two scans of one connection in one query, one reading ahead on a thread while
    /// the backend steps the other for every row (a correlated subquery): the backend
    /// pauses the thread before each use, and both read every row.
    #[pg_test]
    fn read_ahead_pauses_while_the_backend_uses_the_connection() {
        let path = fixture(
            "ra_pause",
            "CREATE TABLE a(x INTEGER); CREATE TABLE b(y INTEGER);
             WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 3000) INSERT INTO a SELECT k FROM c;
             WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 100) INSERT INTO b SELECT k FROM c;",
        );
        server("ra_pause", &path);
        run("CREATE SCHEMA rap; IMPORT FOREIGN SCHEMA main FROM SERVER ra_pause INTO rap");
        let q = "SELECT sum(a.x * (SELECT count(b.y) FROM rap.b WHERE b.y <= a.x % 100)) FROM rap.a";
        run("SET liteport.read_ahead = off");
        let direct = one::<pgrx::AnyNumeric>(q).to_string();
        run("SET liteport.read_ahead = on");
        assert_eq!(one::<pgrx::AnyNumeric>(q).to_string(), direct);
        // And, in the same transaction, after a reader stopped midway.
        assert_eq!(one::<i64>("SELECT count(*) FROM (SELECT x FROM rap.a LIMIT 1000) s"), 1000);
        assert_eq!(one::<pgrx::AnyNumeric>(q).to_string(), direct);
    }

    /// A role that is not superuser and has no file access uploads each shared
    /// database as a large object it owns, creates a server on it, and imports,
    /// profiles, migrates and verifies, all matching; the same role cannot point a
    /// server at a file. Missing objects, other roles' objects and bytes that are not
    /// SQLite are clear ERRORs naming the oid.
    #[pg_test]
    fn large_object_servers_for_a_role_without_file_access() {
        run("CREATE ROLE lp_cloud; GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO lp_cloud");
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        for db in ["chinook", "northwind", "sakila", "grafana", "mbtiles_plain2"] {
            let bytes = std::fs::read(data.join(format!("{db}.sqlite"))).unwrap();
            run(&format!("CREATE SCHEMA lo_{db}_f AUTHORIZATION lp_cloud; CREATE SCHEMA lo_{db}_m AUTHORIZATION lp_cloud"));
            run("SET ROLE lp_cloud");
            let oid = Spi::get_one_with_args::<pg_sys::Oid>("SELECT liteport.upload($1)", &[bytes.as_slice().into()]).unwrap().unwrap();
            let server = format!("lo_{db}");
            run(&format!("CREATE SERVER {server} FOREIGN DATA WRAPPER liteport OPTIONS (large_object '{}')", oid.to_u32()));
            assert!(one::<bool>(&format!("SELECT ok AND size_bytes = {} FROM liteport.check('{server}')", bytes.len())), "{db}");
            run(&format!("IMPORT FOREIGN SCHEMA main FROM SERVER {server} INTO {server}_f"));
            assert!(one::<i64>(&format!("SELECT count(*) FROM liteport.profile('{server}')")) > 0);
            let tables = one::<i64>(&format!("SELECT count(*) FROM liteport.migrate('{server}', '{server}_m')"));
            let matching = one::<i64>(&format!("SELECT count(*) FROM liteport.verify('{server}', '{server}_m') WHERE matches"));
            assert_eq!(matching, tables, "{db}");
            run("RESET ROLE");
            assert_eq!(one::<String>(&format!("SELECT lomowner::regrole::text FROM pg_largeobject_metadata WHERE oid = {}", oid.to_u32())), "lp_cloud");
        }
        run("SET ROLE lp_cloud");
        assert!(error_of("CREATE SERVER lo_file FOREIGN DATA WRAPPER liteport OPTIONS (database '/etc/passwd')").starts_with("42501"));
        assert!(error_of("CREATE SERVER lo_both FOREIGN DATA WRAPPER liteport OPTIONS (database '/x.db', large_object '1')").starts_with("HV024"));
        run("CREATE SERVER lo_missing FOREIGN DATA WRAPPER liteport OPTIONS (large_object '4000000000')");
        assert_eq!(error_of("SELECT * FROM liteport.check('lo_missing')"), "42704: large object 4000000000 does not exist");
        assert!(error_of("SELECT liteport.upload('not sqlite'::bytea)").starts_with("22023"));
        run("RESET ROLE");
        let theirs = one::<pg_sys::Oid>("SELECT lo_from_bytea(0, 'whatever'::bytea)").to_u32();
        let junk = one::<pg_sys::Oid>(&format!("SELECT lo_from_bytea(0, '\\x{}'::bytea)", "ab".repeat(200))).to_u32();
        run(&format!("GRANT SELECT ON LARGE OBJECT {junk} TO lp_cloud"));
        run("SET ROLE lp_cloud");
        run(&format!("CREATE SERVER lo_theirs FOREIGN DATA WRAPPER liteport OPTIONS (large_object '{theirs}')"));
        assert_eq!(error_of("SELECT * FROM liteport.check('lo_theirs')"), format!("42501: permission denied for large object {theirs}"));
        run(&format!("CREATE SERVER lo_junk FOREIGN DATA WRAPPER liteport OPTIONS (large_object '{junk}')"));
        assert_eq!(
            one::<String>("SELECT ok || ': ' || problem FROM liteport.check('lo_junk')"),
            format!("false: liteport server \"lo_junk\": \"large object {junk}\" is not a SQLite database: it does not start with the SQLite header")
        );
        run("RESET ROLE");
    }

    /// The planner's row estimates come from SQLite: the rowid range of a rowid table,
    /// sqlite_stat1 where the application analyzed (here a WITHOUT ROWID table).
    #[pg_test]
    fn row_estimates_are_near_the_real_counts() {
        let path = fixture(
            "estimates",
            "CREATE TABLE big(id INTEGER PRIMARY KEY, v INT);
             WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 5000) INSERT INTO big SELECT k, k % 7 FROM c;
             CREATE TABLE wr(k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
             WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 300) INSERT INTO wr SELECT 'k' || k, k FROM c;
             ANALYZE;",
        );
        server("estimates", &path);
        import("estimates", "est");
        let plan_rows = |q: &str| -> f64 {
            let plan = Spi::get_one::<pgrx::Json>(&format!("EXPLAIN (FORMAT JSON) {q}")).unwrap().unwrap();
            plan.0[0]["Plan"]["Plan Rows"].as_f64().unwrap()
        };
        let big = plan_rows("SELECT * FROM est.big");
        assert!((big - 5000.0).abs() <= 50.0, "{big}");
        assert_eq!(plan_rows("SELECT * FROM est.wr"), 300.0);
        // A pushed-down filter scales the estimate like a local one would.
        let filtered = plan_rows("SELECT * FROM est.big WHERE id <= 100");
        assert!(filtered < 5000.0, "{filtered}");
    }
}
