-- Every object of the liteport extension in the current database with what defines
-- it, one sorted line each, for comparing two databases (tests/upgrade.sh): members
-- (pg_depend deptype 'e'), functions with their full definitions, ACLs and comments,
-- relations, columns, constraints, indexes, policies, triggers, sequences, types,
-- collations, the wrapper, the schema, initial privileges and the pg_dump marks.
-- Oids are never printed (they differ between databases); newlines are shown as \n.
WITH ext AS (SELECT * FROM pg_extension WHERE extname = 'liteport'),
members AS (
    SELECT d.classid, d.objid FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
rels AS (SELECT objid AS oid FROM members WHERE classid = 'pg_class'::regclass)
SELECT replace(line, E'\n', '\n') AS line FROM (
    SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
    UNION ALL
    SELECT format('function %s: %s acl=%s comment=%s', p.oid::regprocedure,
                  CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
                       ELSE p.prokind::text || ' ' || pg_get_function_arguments(p.oid) || ' -> ' || pg_get_function_result(p.oid) END,
                  p.proacl, obj_description(p.oid, 'pg_proc'))
      FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('relation %s: kind=%s persistence=%s rls=%s force_rls=%s acl=%s options=%s comment=%s', c.oid::regclass, c.relkind,
                  c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.relacl, c.reloptions, obj_description(c.oid, 'pg_class'))
      FROM pg_class c JOIN rels r ON r.oid = c.oid
    UNION ALL
    SELECT format('column %s.%s #%s: %s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%s', a.attrelid::regclass,
                  a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid),
                  a.attidentity, a.attgenerated, a.attcollation::regcollation, a.attacl, col_description(a.attrelid, a.attnum))
      FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s on %s: %s deferrable=%s', co.conname, co.conrelid::regclass, pg_get_constraintdef(co.oid), co.condeferrable)
      FROM pg_constraint co JOIN rels r ON r.oid = co.conrelid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rels r ON r.oid = i.indrelid
    UNION ALL
    SELECT format('policy %s on %s: cmd=%s permissive=%s roles=%s using=%s check=%s', po.polname, po.polrelid::regclass, po.polcmd,
                  po.polpermissive, po.polroles::regrole[], pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid))
      FROM pg_policy po JOIN rels r ON r.oid = po.polrelid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('sequence %s: type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s', s.seqrelid::regclass, s.seqtypid::regtype,
                  s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
      FROM pg_sequence s JOIN rels r ON r.oid = s.seqrelid
    UNION ALL
    SELECT format('type %s: type=%s enum=%s comment=%s', t.oid::regtype, t.typtype,
                  (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), obj_description(t.oid, 'pg_type'))
      FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT format('collation %s: %s comment=%s', co.oid::regcollation,
                  to_jsonb(co) - 'oid' - 'collnamespace' - 'collowner' - 'collversion', obj_description(co.oid, 'pg_collation'))
      FROM pg_collation co JOIN members m ON m.classid = 'pg_collation'::regclass AND m.objid = co.oid
    UNION ALL
    SELECT format('wrapper %s: handler=%s validator=%s acl=%s options=%s comment=%s', w.fdwname, w.fdwhandler::regprocedure,
                  w.fdwvalidator::regprocedure, w.fdwacl, w.fdwoptions, obj_description(w.oid, 'pg_foreign_data_wrapper'))
      FROM pg_foreign_data_wrapper w JOIN members m ON m.classid = 'pg_foreign_data_wrapper'::regclass AND m.objid = w.oid
    UNION ALL
    SELECT format('schema %s: owner=%s acl=%s comment=%s', n.nspname, n.nspowner::regrole, n.nspacl, obj_description(n.oid, 'pg_namespace'))
      FROM pg_namespace n, ext WHERE n.oid = ext.extnamespace
    UNION ALL
    SELECT format('initial privileges %s: %s %s', pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.privtype, ip.initprivs)
      FROM pg_init_privs ip JOIN members m ON m.classid = ip.classoid AND m.objid = ip.objoid
    UNION ALL
    SELECT format('initial privileges %s: %s %s', pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.privtype, ip.initprivs)
      FROM pg_init_privs ip, ext WHERE ip.classoid = 'pg_namespace'::regclass AND ip.objoid = ext.extnamespace
    UNION ALL
    SELECT format('extension %s: version=%s relocatable=%s schema=%s owner=%s dumped=%s', extname, extversion, extrelocatable,
                  extnamespace::regnamespace, extowner::regrole,
                  (SELECT string_agg(c::regclass::text || coalesce(' WHERE ' || nullif(cond, ''), ''), ', ' ORDER BY c::regclass::text)
                     FROM unnest(extconfig, extcondition) u(c, cond)))
      FROM ext
) objects(line)
ORDER BY line;
