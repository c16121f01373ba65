-- The fixture of pg_test/sql/migrate.sql (server store): one table per translation rule.
CREATE TABLE customers(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT COLLATE NOCASE NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT 'anon',
    created DATETIME DEFAULT CURRENT_TIMESTAMP,
    active BOOLEAN DEFAULT 1,
    score REAL CHECK (score >= 0),
    kind TEXT CHECK (kind IS NULL OR typeof(kind) = 'text')
);
CREATE TABLE orders(
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES orders(id),
    qty INTEGER NOT NULL,
    price NUMERIC(10,2),
    total NUMERIC GENERATED ALWAYS AS (qty * price) STORED,
    code TEXT AS (upper(substr(note, 1, 3))) VIRTUAL,
    note TEXT
);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_big ON orders(qty DESC) WHERE qty > 10;
CREATE INDEX orders_note_lower ON orders(lower(note));
CREATE INDEX orders_note_glob ON orders(note) WHERE note GLOB 'a*';
CREATE TABLE tags(order_id INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (order_id, tag)) WITHOUT ROWID;
CREATE TABLE "OrderLines"("LineID" INTEGER PRIMARY KEY, "OrderID" INTEGER REFERENCES orders(id), "UnitPrice" REAL);
-- An application that once wrote text into an INTEGER column.
CREATE TABLE readings(id INTEGER PRIMARY KEY, value INTEGER);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE qty > 10;
CREATE TRIGGER orders_touch AFTER INSERT ON orders BEGIN SELECT 1; END;
CREATE VIRTUAL TABLE notes USING fts5(body);

INSERT INTO customers(email, name, created, active, score, kind) VALUES
    ('ada@example.com', 'Ada', '2024-01-01 10:00:00', 1, 4.5, 'vip'),
    ('bob@example.com', 'Bob', '2024-01-02 11:00:00', 0, 0, NULL),
    ('cy@example.com', 'Cy', '2024-01-03 12:00:00', 1, NULL, 'std'),
    ('dee@example.com', 'Dee', '2024-01-04 13:00:00', 1, 1, 'std'),
    ('eve@example.com', 'Eve', '2024-01-05 14:00:00', 1, 2, 'std');
-- The newest customers left: AUTOINCREMENT never reuses 4 and 5.
DELETE FROM customers WHERE id > 3;
INSERT INTO orders(id, customer_id, parent_id, qty, price, note) VALUES
    (1, 1, NULL, 2, 9.99, 'apples'),
    (2, 2, 1, 12, 0.5, 'bananas'),
    (3, 2, NULL, 30, 1.25, NULL);
INSERT INTO tags VALUES (1, 'gift'), (1, 'urgent'), (3, 'bulk');
INSERT INTO "OrderLines" VALUES (1, 1, 0.1), (2, 1, 1e-300), (3, 1, 12345.678);
INSERT INTO readings VALUES (1, 10), (2, 'n/a'), (3, 30);
INSERT INTO notes VALUES ('full text');
