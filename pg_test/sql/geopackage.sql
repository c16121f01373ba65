-- A GeoPackage: its geometry columns hold geometry blobs whatever type they declare.
-- Without PostGIS they arrive as the blobs (bytea); with PostGIS as geometry with the
-- column's SRID (gpkg_spatial_ref_sys's EPSG code), through PostGIS's own input, and
-- verify compares them. (Without PostGIS installable the second part is skipped: the
-- alternative output geopackage_1.out.)
\set SHOW_CONTEXT never
\pset null '(null)'
SET client_min_messages = warning;
\! sqlite3 /tmp/liteport_regress/places.gpkg "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT); INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'GEOGCS[...]', NULL), ('local', 99, 'EPSG', 3857, 'PROJCS[...]', NULL); CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT, last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER); INSERT INTO gpkg_contents VALUES ('places', 'features', 'places', '', '2024-01-01T00:00:00.000Z', 0, 0, 10, 10, 4326), ('roads', 'features', 'roads', '', '2024-01-01T00:00:00.000Z', 0, 0, 10, 10, 99); CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL); INSERT INTO gpkg_geometry_columns VALUES ('places', 'geom', 'POINT', 4326, 0, 0), ('roads', 'shape', 'LINESTRING', 99, 0, 0); CREATE TABLE places (fid INTEGER PRIMARY KEY, name TEXT, geom POINT); INSERT INTO places VALUES (1, 'origin', X'47500001E61000000101000000000000000000F03F0000000000000040'), (2, 'nowhere', NULL); CREATE TABLE roads (fid INTEGER PRIMARY KEY, shape LINESTRING); INSERT INTO roads VALUES (1, X'4750000363000000000000000000000000000000000000000000000000000000000000000000000001020000000200000000000000000000000000000000000000000000000000F03F000000000000F03F');"
CREATE SERVER gpkg FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/places.gpkg');
SELECT written_by FROM liteport.check('gpkg');
CREATE SCHEMA gpkg_plain;
SELECT table_name, rows_copied, status FROM liteport.migrate('gpkg', 'gpkg_plain', '{"tables": ["places", "roads"]}') ORDER BY 1;
SELECT fid, name, geom FROM gpkg_plain.places ORDER BY fid;
SELECT table_name, matches FROM liteport.verify('gpkg', 'gpkg_plain', '{"tables": ["places", "roads"]}') ORDER BY 1;
DROP SCHEMA gpkg_plain CASCADE;

SELECT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'postgis') AS has_postgis \gset
\if :has_postgis
CREATE DATABASE liteport_gis TEMPLATE template0;
\c liteport_gis
SET client_min_messages = warning;
CREATE EXTENSION postgis;
CREATE EXTENSION liteport;
CREATE SERVER gpkg FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/places.gpkg');
CREATE SCHEMA gis;
SELECT table_name, rows_copied, status FROM liteport.migrate('gpkg', 'gis', '{"tables": ["places", "roads"]}') ORDER BY 1;
SELECT fid, name, ST_AsText(geom), ST_SRID(geom) FROM gis.places ORDER BY fid;
SELECT fid, ST_AsText(shape), ST_SRID(shape), pg_catalog.format_type(atttypid, atttypmod) FROM gis.roads, pg_attribute WHERE attrelid = 'gis.roads'::regclass AND attname = 'shape';
SELECT table_name, matches, note FROM liteport.verify('gpkg', 'gis', '{"tables": ["places", "roads"]}') ORDER BY 1;
-- A geometry changed in Postgres: verify sees it.
UPDATE gis.places SET geom = ST_SetSRID(ST_MakePoint(1, 2.5), 4326) WHERE fid = 1;
SELECT table_name, matches, note FROM liteport.verify('gpkg', 'gis', '{"tables": ["places"]}');
-- IMPORT FOREIGN SCHEMA types the geometry columns the same way.
CREATE SCHEMA gis_ft;
IMPORT FOREIGN SCHEMA main LIMIT TO (places) FROM SERVER gpkg INTO gis_ft;
SELECT pg_catalog.format_type(atttypid, atttypmod), attfdwoptions FROM pg_attribute WHERE attrelid = 'gis_ft.places'::regclass AND attname = 'geom';
SELECT fid, ST_AsText(geom) FROM gis_ft.places WHERE geom IS NOT NULL;
\c liteport_regress
DROP DATABASE liteport_gis;
\else
\echo 'PostGIS is not available here: nothing more to test'
\endif
DROP SERVER gpkg CASCADE;
