-- IMPORT FOREIGN SCHEMA from an application's file, then read and copy it.
\! sqlite3 /tmp/liteport_regress/shop.db "CREATE TABLE \"order\"(id INTEGER PRIMARY KEY, \"Customer Name\" TEXT NOT NULL, total NUMERIC(8,2), paid BOOLEAN, placed DATETIME, items JSON); INSERT INTO \"order\" VALUES (1, 'Ada', 12.5, 1, '2024-01-02 03:04:05', '[1,2]'), (2, 'Grace', 7, 'no', 1704164645, '{\"sku\": \"x\"}'), (3, 'Linus', NULL, NULL, NULL, NULL); CREATE VIEW big_orders AS SELECT id, total * 2 AS doubled FROM \"order\" WHERE total > 10;"
CREATE SERVER shop FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/shop.db');
CREATE SCHEMA shop_src;
IMPORT FOREIGN SCHEMA main FROM SERVER shop INTO shop_src;
\d shop_src."order"
\d shop_src.big_orders
SET TimeZone = 'UTC';
SELECT * FROM shop_src."order" ORDER BY id;
SELECT * FROM shop_src.big_orders;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "Customer Name" FROM shop_src."order" WHERE paid;
-- The copy a migration makes: a real table, filled with INSERT ... SELECT.
CREATE TABLE orders (LIKE shop_src."order");
INSERT INTO orders SELECT * FROM shop_src."order";
SELECT count(*), sum(total) FROM orders;
-- A foreign table can be declared by hand, with other names and narrower types.
CREATE FOREIGN TABLE order_totals (order_id integer OPTIONS (column_name 'id'), amount numeric(6,1) OPTIONS (column_name 'total'))
    SERVER shop OPTIONS (table 'order');
SELECT * FROM order_totals ORDER BY order_id;
SELECT server_name, in_transaction FROM liteport.connections();
