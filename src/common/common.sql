-- src/common/common.sql
-- The extension's schema and what every capability shares.
--
-- The control file names pg_catalog as the extension's schema and this
-- script creates the schema "steward" itself, as pg_cron does with "cron":
-- a schema that CREATE EXTENSION creates from the control file is not a
-- member of the extension and would be left behind by DROP EXTENSION.
-- Everything below is therefore qualified with "steward." explicitly, and
-- CREATE SCHEMA fails (rather than mixing objects) if a schema of that name
-- already exists.

CREATE SCHEMA steward;

COMMENT ON SCHEMA steward IS
  'pg_steward: data-governance functions and configuration (session context, row-level security, audit, masking, privacy, validation)';

-- Everyone may look up and call the extension's functions; each capability
-- revokes EXECUTE from PUBLIC on what needs a privilege.
GRANT USAGE ON SCHEMA steward TO PUBLIC;

CREATE FUNCTION steward.version()
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_version';

COMMENT ON FUNCTION steward.version() IS
  'Version of the loaded pg_steward library (compare with pg_extension.extversion after an upgrade)';

-- Whether a valid index of the table starts with these columns, in any
-- order (its first cardinality(attnums) key columns are exactly them): an
-- index a look-up by the columns can use.  With any_index false, only a
-- non-partial b-tree or hash index counts.  Used by the linter (RLS010) and
-- the health check (PRV001, OPS001).
CREATE FUNCTION steward.index_leads(relation oid, attnums int2[], any_index boolean)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (
      SELECT FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ic.relam
      WHERE i.indrelid = relation AND i.indisvalid
        AND (any_index OR (i.indpred IS NULL AND am.amname IN ('btree', 'hash')))
        AND i.indnkeyatts >= cardinality(attnums)
        AND ARRAY(SELECT i.indkey[k] FROM generate_series(0, cardinality(attnums) - 1) k) @> attnums)
$$;

COMMENT ON FUNCTION steward.index_leads(oid, int2[], boolean) IS
  'Internal: whether a valid index of the table has these columns first, in any order (any_index false: non-partial b-tree or hash only)';
