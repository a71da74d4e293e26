--
-- install: the extension installs, every object is documented and declared
-- as intended, and DROP EXTENSION leaves nothing behind.
--
CREATE EXTENSION pg_steward;

SELECT e.extname, e.extversion, e.extrelocatable, n.nspname AS extnamespace
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_steward';

-- the loaded library and the SQL objects are the same version
SELECT steward.version() = extversion AS library_matches_sql
FROM pg_extension WHERE extname = 'pg_steward';

-- every member of the extension has a COMMENT (expect no rows)
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS undocumented
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_steward')
  AND d.deptype = 'e'
  AND NOT EXISTS (SELECT 1 FROM pg_description ds
                  WHERE ds.classoid = d.classid AND ds.objoid = d.objid
                    AND ds.objsubid = 0)
ORDER BY 1;

-- the schema belongs to the extension, and every function lives in it
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS member
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_steward')
  AND d.deptype = 'e' AND d.classid = 'pg_namespace'::regclass;

SELECT p.oid::regprocedure AS outside_steward
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_steward')
  AND p.pronamespace <> 'steward'::regnamespace;

-- SECURITY DEFINER functions pin search_path (expect no rows)
SELECT p.oid::regprocedure AS definer_without_search_path
FROM pg_proc p
WHERE p.pronamespace = 'steward'::regnamespace AND p.prosecdef
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);

-- declared volatility, parallel safety, strictness and leakproofness
SELECT p.oid::regprocedure AS function, p.provolatile AS vol,
       p.proparallel AS par, p.proisstrict AS strict, p.proleakproof AS leakproof,
       p.prosecdef AS definer
FROM pg_proc p
WHERE p.pronamespace = 'steward'::regnamespace
ORDER BY p.oid::regprocedure::text;

-- ordinary roles may use the schema
SELECT has_schema_privilege('public', 'steward', 'USAGE') AS public_usage;

-- a schema named steward that the extension did not create is never reused
DROP EXTENSION pg_steward;
CREATE SCHEMA steward;
CREATE EXTENSION pg_steward;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA steward;

-- DROP EXTENSION leaves nothing behind, and the extension installs again
CREATE EXTENSION pg_steward;
DROP EXTENSION pg_steward;
SELECT count(*) AS leftover_schemas FROM pg_namespace WHERE nspname = 'steward';
SELECT count(*) AS leftover_functions FROM pg_proc WHERE proname IN ('context_set', 'current_tenant');
CREATE EXTENSION pg_steward;
SELECT steward.current_user_id() IS NULL AS no_context_yet;
