-- Loading an application's SQLite data into the schema its ORM already created in
-- Postgres (data_only): the data check in the plan, refusals that name the option
-- that handles them, rows already there (on_conflict, truncate), rejects that follow
-- the target's foreign keys, and conversions into the types the ORM declared.
\set SHOW_CONTEXT never
\pset null '(null)'
SET client_min_messages = warning;
\! sqlite3 /tmp/liteport_regress/orm_app.db "CREATE TABLE authors(id INTEGER PRIMARY KEY, name TEXT, email TEXT, mood TEXT, tags TEXT, ip TEXT, uid TEXT); INSERT INTO authors VALUES (1, 'Ann', 'ann@x.org', 'happy', '[\"a\", \"b c\"]', '10.0.0.1', 'e973d954e6754091b169560d943678d7'), (2, 'Bob', 'bob@x.org', 'sad', '[]', '::1', '{E973D954-E675-4091-B169-560D943678D8}'), (3, NULL, 'ann@x.org', 'bored', '[\"x\"]', 'nope', '0'); CREATE TABLE books(id INTEGER PRIMARY KEY, author_id INTEGER, title TEXT, pages INTEGER, parent_id INTEGER); INSERT INTO books VALUES (10, 1, 'One', 100, NULL), (11, 2, 'Two', 'many', NULL), (12, 3, 'Three', 300, NULL), (13, 9, 'Orphan', 50, NULL), (14, 1, 'Sequel', 120, 10), (15, 2, 'Sequel of Two', 80, 11);"
CREATE SERVER orm_app FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/orm_app.db');
CREATE SCHEMA orm;
CREATE TYPE orm.mood AS ENUM ('happy', 'sad');
CREATE TABLE orm.authors (id bigserial PRIMARY KEY, name varchar(10) NOT NULL, email text UNIQUE, mood orm.mood, tags text[], ip inet, uid uuid, created timestamptz NOT NULL DEFAULT now());
CREATE TABLE orm.books (id serial PRIMARY KEY, author_id bigint REFERENCES orm.authors DEFERRABLE INITIALLY DEFERRED, title text NOT NULL, pages integer,
                        parent_id integer REFERENCES orm.books DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE orm.reviews (id serial PRIMARY KEY, book_id integer NOT NULL REFERENCES orm.books);
INSERT INTO orm.authors (name) VALUES ('seeded');

-- 1. The plan checks the data against the target, inside SQLite, before anything runs.
SELECT object, note FROM liteport.plan('orm_app', 'orm', '{"data_only": true}') WHERE kind = 'data check' ORDER BY object;
-- ... and migrate refuses to start, naming each problem and what handles it.
SELECT * FROM liteport.migrate('orm_app', 'orm', '{"data_only": true}');
\echo :LAST_ERROR_SQLSTATE

-- 2. truncate empties exactly the loaded tables; an unloaded table referencing one of
-- them is named (or emptied too with "cascade").
INSERT INTO orm.books (author_id, title) SELECT id, 'seeded' FROM orm.authors;
INSERT INTO orm.reviews (book_id) SELECT id FROM orm.books;
SELECT * FROM liteport.migrate('orm_app', 'orm', '{"data_only": true, "truncate": true, "on_error": "reject"}');
\echo :LAST_ERROR_SQLSTATE

-- 3. on_error reject: bad values are rejected, and so is every row that references a
-- rejected row (or one SQLite never had), through the target's own foreign keys; the
-- deferred foreign keys then hold at COMMIT.
BEGIN;
SELECT table_name, rows_copied, rows_rejected, status FROM liteport.migrate('orm_app', 'orm', '{"data_only": true, "truncate": "cascade", "on_error": "reject", "exclude": []}') ORDER BY 1;
SELECT source_table, rowid, column_name, sqlstate, error FROM liteport.rejects WHERE server = 'orm_app' ORDER BY source_table, rowid;
SELECT id, name, email, mood, tags, ip, uid, created IS NOT NULL AS created_by_default FROM orm.authors ORDER BY id;
SELECT id, author_id, title, pages, parent_id FROM orm.books ORDER BY id;
SELECT count(*) AS reviews_left FROM orm.reviews;
-- The ORM's sequences continue above what was loaded.
INSERT INTO orm.authors (name) VALUES ('new') RETURNING id;
INSERT INTO orm.books (title) VALUES ('new') RETURNING id;
COMMIT;
-- verify compares the loaded columns (not the target's own `created`), rejects
-- accounted for.
DELETE FROM orm.authors WHERE name = 'new';
DELETE FROM orm.books WHERE title = 'new';
SELECT table_name, source_rows, target_rows, rejected_rows, matches, note FROM liteport.verify('orm_app', 'orm', '{"data_only": true}') ORDER BY 1;

-- 4. Rows already there: on_conflict skip keeps them, update overwrites them.
UPDATE orm.authors SET name = 'Changed' WHERE id = 1;
SELECT table_name, rows_copied, status FROM liteport.migrate('orm_app', 'orm', '{"data_only": true, "tables": ["authors"], "on_conflict": "skip", "on_error": "reject"}');
SELECT id, name FROM orm.authors WHERE id = 1;
SELECT table_name, rows_copied, status FROM liteport.migrate('orm_app', 'orm', '{"data_only": true, "tables": ["authors"], "on_conflict": "update", "on_error": "reject"}');
SELECT id, name FROM orm.authors WHERE id = 1;
-- In reject mode a row whose key the target already holds is rejected; without reject
-- mode or on_conflict, the duplicate key's error says what to do.
BEGIN;
SELECT table_name, rows_copied, rows_rejected, status FROM liteport.migrate('orm_app', 'orm', '{"data_only": true, "tables": ["authors"], "on_error": "reject"}');
SELECT rowid, sqlstate, error FROM liteport.rejects WHERE source_table = 'authors' ORDER BY rowid;
ROLLBACK;
CREATE TABLE orm.plain (id bigint PRIMARY KEY, name text);
INSERT INTO orm.plain VALUES (1, 'there');
\! sqlite3 /tmp/liteport_regress/plain.db "CREATE TABLE plain(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO plain VALUES (1, 'again');"
CREATE SERVER plain FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/plain.db');
SELECT * FROM liteport.migrate('plain', 'orm', '{"data_only": true}');
\echo :LAST_ERROR_SQLSTATE

-- 5. An enum's error names its labels; a JSON array that is not one names why.
CREATE FOREIGN TABLE moods (id bigint, mood orm.mood) SERVER orm_app OPTIONS (table 'authors');
SELECT id, mood FROM moods ORDER BY id;
CREATE FOREIGN TABLE tag_lists (id bigint, tags integer[]) SERVER orm_app OPTIONS (table 'authors');
SELECT id, tags FROM tag_lists ORDER BY id;

RESET client_min_messages;
DROP SCHEMA orm CASCADE;
DROP SERVER orm_app, plain CASCADE;
