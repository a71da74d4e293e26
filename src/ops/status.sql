-- src/ops/status.sql
-- Status counters per table and capability (src/ops/status.c): kept in
-- shared memory when pg_steward is in shared_preload_libraries.

CREATE FUNCTION steward.status(
  OUT table_name regclass,
  OUT audit_rows bigint,
  OUT audit_reads bigint,
  OUT notifications bigint,
  OUT version_conflicts bigint,
  OUT validation_failures bigint,
  OUT erased_rows bigint,
  OUT retention_rows bigint,
  OUT since timestamptz)
RETURNS SETOF record
LANGUAGE c VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'steward_status';

COMMENT ON FUNCTION steward.status() IS
  'Status counters of the current database, one row per table (table_name NULL: tables beyond steward.status_max_tables): audit records of row changes and of reads, notifications queued, stale row versions refused, rows refused by validation rules, rows deleted or anonymized by erasures and by retention, counted since "since"; committed work only, refusals when they happen. Needs pg_steward in shared_preload_libraries (error 55000 otherwise).';

CREATE FUNCTION steward.status_note(relation regclass, counter text, n bigint)
RETURNS void
LANGUAGE c VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'steward_status_note';

COMMENT ON FUNCTION steward.status_note(regclass, text, bigint) IS
  'Internal: count n rows of a table deleted or anonymized by an erasure (counter erasure) or by retention (counter retention), if the transaction commits; the caller must be allowed to delete or update the table; a no-op without the preloaded library';

CREATE FUNCTION steward.status_reset(relation regclass DEFAULT NULL)
RETURNS bigint
LANGUAGE c VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'steward_status_reset';

COMMENT ON FUNCTION steward.status_reset(regclass) IS
  'Forget the status counters of one table, or of every table of the current database (NULL); returns the number of entries removed. Superuser, or EXECUTE granted.';

REVOKE EXECUTE ON FUNCTION steward.status_reset(regclass) FROM PUBLIC;

CREATE FUNCTION steward.status_available()
RETURNS boolean
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_status_available';

COMMENT ON FUNCTION steward.status_available() IS
  'Whether this server keeps status counters (pg_steward in shared_preload_libraries)';
