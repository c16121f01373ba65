-- psql conventions: every function, table and the wrapper of the extension has a
-- COMMENT (so \df+ liteport.*, \dx+ liteport and \des+ explain themselves); the
-- tables holding user data are marked for pg_dump.
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS without_comment
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'liteport'
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND (d.classid IN ('pg_proc'::regclass, 'pg_foreign_data_wrapper'::regclass)
        OR (d.classid = 'pg_class'::regclass AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'r'))
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
 ORDER BY 1;
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') AS description
  FROM pg_proc p WHERE p.pronamespace = 'liteport'::regnamespace
   AND p.proname IN ('plan', 'migrate', 'verify', 'sync', 'profile', 'check')
 ORDER BY p.proname;
SELECT fdwname, obj_description(oid, 'pg_foreign_data_wrapper') AS description FROM pg_foreign_data_wrapper WHERE fdwname = 'liteport';
SELECT c::regclass::text AS dumped_with_the_database FROM pg_extension, unnest(extconfig) c WHERE extname = 'liteport' ORDER BY 1;
