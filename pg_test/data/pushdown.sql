-- The fixture of pg_test/sql/pushdown.sql: mixed storage classes and NULLs.
CREATE TABLE m(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, at DATETIME, nc TEXT COLLATE NOCASE);
CREATE INDEX m_n ON m(n);
INSERT INTO m VALUES
  (1, 10, 1.5, 'apple', '2024-01-01 10:00:00', 'Apple'),
  (2, NULL, 2.5, 'Banana', 1704103200, 'banana'),
  (3, 30, NULL, NULL, '2024-01-03', NULL),
  (4, 10.0, 4.0, 'cherry%', NULL, 'CHERRY'),
  (5, 50, 5.5, 'a_b', '2023-12-31 23:59:59', 'a_b'),
  (6, -7, -0.5, '', '2024-02-29 12:00:00', ''),
  (7, 9223372036854775807, 1e300, 'zeta', '2024-01-01', 'Zeta'),
  (8, 30, 3.0, 'apple pie', '2024-01-02', 'apple'),
  (9, NULL, NULL, 'A*[x]?', NULL, NULL);
CREATE TABLE other(k INTEGER PRIMARY KEY, v TEXT);
INSERT INTO other VALUES (10, 'ten'), (30, 'thirty'), (99, 'none');
