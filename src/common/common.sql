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
