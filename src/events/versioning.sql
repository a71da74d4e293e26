-- ---------------------------------------------------------------------
-- Change events: optimistic concurrency (row versions)
--
-- versioning_enable() installs a C BEFORE UPDATE trigger that requires the
-- row version the client read (NEW.version = OLD.version), bumps it, and
-- rejects a stale write with SQLSTATE 40001.  The trigger is the whole
-- configuration (its arguments: the column and the mode), so pg_dump keeps
-- it with the table, and steward.versioned_tables reads it back.
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.require_own_table(relation regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind "char";
    owner oid;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c.relkind, c.relowner INTO kind, owner FROM pg_class c WHERE c.oid = relation;
    IF kind IS DISTINCT FROM 'r' AND kind IS DISTINCT FROM 'p' THEN
        RAISE EXCEPTION '% is not a table', relation
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF kind = 'r' AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhparent = relation) THEN
        RAISE EXCEPTION 'table % has inheritance children, which its triggers would not cover', relation
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Enable it on each child table, or use declarative partitioning.';
    END IF;
    IF NOT pg_has_role(current_user, owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table %', relation
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

COMMENT ON FUNCTION steward.require_own_table(regclass) IS
  'Internal: raise an error unless relation is a table (or partitioned table) the current role owns (or is a member of its owner)';

CREATE FUNCTION steward.versioning_trigger()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_versioning_trigger';

COMMENT ON FUNCTION steward.versioning_trigger() IS
  'BEFORE UPDATE row trigger installed by steward.versioning_enable(); arguments: the version column and the mode (reject or last_write_wins)';

CREATE FUNCTION steward.versioning_enable(
    relation    regclass,
    column_name name DEFAULT 'version',
    mode        text DEFAULT 'reject')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    att record;
BEGIN
    IF relation IS NULL OR column_name IS NULL OR mode IS NULL THEN
        RAISE EXCEPTION 'table, column_name and mode must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF mode NOT IN ('reject', 'last_write_wins') THEN
        RAISE EXCEPTION 'unknown versioning mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Modes are reject (the default) and last_write_wins.';
    END IF;
    PERFORM steward.require_own_table(relation);
    SELECT a.attname, a.atttypid, a.attgenerated INTO att
    FROM pg_attribute a
    WHERE a.attrelid = relation AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, relation
            USING ERRCODE = 'undefined_column',
                  HINT = 'Add it first, e.g. ALTER TABLE ... ADD COLUMN version bigint NOT NULL DEFAULT 1.';
    END IF;
    IF att.atttypid NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
        RAISE EXCEPTION 'version column "%" of relation % must be smallint, integer or bigint, not %',
                        column_name, relation, att.atttypid::regtype
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF att.attgenerated <> '' THEN
        RAISE EXCEPTION 'version column "%" of relation % is a generated column', column_name, relation
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- enabling again changes the column or the mode
    IF EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = relation AND t.tgname = 'steward_versioning') THEN
        EXECUTE format('DROP TRIGGER steward_versioning ON %s', relation);
    END IF;
    EXECUTE format('CREATE TRIGGER steward_versioning BEFORE UPDATE ON %s FOR EACH ROW '
                   'EXECUTE FUNCTION steward.versioning_trigger(%L, %L)',
                   relation, column_name, mode);
END
$$;

COMMENT ON FUNCTION steward.versioning_enable(regclass, name, text) IS
  'Optimistic concurrency for a table: an UPDATE must carry the row version it read (column_name, an integer column); the version is bumped; a stale write fails with SQLSTATE 40001 (mode reject) or wins (mode last_write_wins)';

CREATE FUNCTION steward.versioning_disable(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM steward.require_own_table(relation);
    IF EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = relation AND t.tgname = 'steward_versioning') THEN
        EXECUTE format('DROP TRIGGER steward_versioning ON %s', relation);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.versioning_disable(regclass) IS
  'Remove the optimistic-concurrency trigger of a table (the version column stays)';

CREATE FUNCTION steward.trigger_arguments(tgargs bytea, tgnargs smallint)
RETURNS text[]
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_trigger_arguments';

COMMENT ON FUNCTION steward.trigger_arguments(bytea, smallint) IS
  'Internal: the arguments of a trigger, from pg_trigger.tgargs and tgnargs';

CREATE VIEW steward.versioned_tables AS
SELECT t.tgrelid::regclass AS relation,
       a.args[1]::name AS column_name,
       a.args[2] AS mode,
       t.tgenabled IN ('O', 'A') AS enabled
FROM pg_catalog.pg_trigger t,
     LATERAL (SELECT steward.trigger_arguments(t.tgargs, t.tgnargs) AS args) a
WHERE t.tgname = 'steward_versioning'
  AND t.tgfoid = 'steward.versioning_trigger()'::regprocedure
  AND NOT t.tgisinternal
  AND t.tgparentid = 0;   -- not the clones on partitions

COMMENT ON VIEW steward.versioned_tables IS
  'Tables with optimistic concurrency (steward.versioning_enable): the version column and the mode, read from their trigger';
GRANT SELECT ON steward.versioned_tables TO PUBLIC;
