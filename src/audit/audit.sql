-- src/audit/audit.sql
-- Audit logging: row changes captured by a C trigger into steward.audit_log.
-- See docs/audit.md.

-- ---- storage
--
-- One row per audited event.  Partitioned by the transaction's start time
-- (one partition per month, created ahead by steward.audit_maintain(); a
-- default partition catches anything outside them), so old months are
-- dropped cheaply.  Append-only: PUBLIC has no privilege on it; the
-- extension's own functions read it for their callers.

CREATE TABLE steward.audit_log (
    id               bigint      NOT NULL,
    xact_at          timestamptz NOT NULL,
    stmt_at          timestamptz NOT NULL,
    txid             bigint      NOT NULL,
    stmt             integer     NOT NULL,
    operation        text        NOT NULL,
    schema_name      text,
    table_name       text,
    row_key          jsonb,
    old_values       jsonb,
    new_values       jsonb,
    actor_user       text,
    actor_tenant     text,
    session_role     text        NOT NULL,
    effective_role   text        NOT NULL,
    application_name text,
    client_addr      inet,
    query            text,
    detail           jsonb,
    row_hash         bigint,
    redacted         jsonb,
    digest           bytea
) PARTITION BY RANGE (xact_at);

COMMENT ON TABLE steward.audit_log IS
  'pg_steward audit log: one row per audited change; append-only, partitioned by month';
COMMENT ON COLUMN steward.audit_log.id IS 'Event id: unique, in time order (milliseconds since 2000, backend slot, counter)';
COMMENT ON COLUMN steward.audit_log.xact_at IS 'Start of the transaction (partition key)';
COMMENT ON COLUMN steward.audit_log.stmt_at IS 'Start of the statement';
COMMENT ON COLUMN steward.audit_log.txid IS 'Top-level transaction id (pg_current_xact_id() as bigint): groups one transaction''s changes';
COMMENT ON COLUMN steward.audit_log.stmt IS 'Command number within the transaction: groups one statement''s changes';
COMMENT ON COLUMN steward.audit_log.operation IS 'INSERT, UPDATE, DELETE or TRUNCATE';
COMMENT ON COLUMN steward.audit_log.schema_name IS 'Schema of the audited table (the partitioned table''s, for a partition)';
COMMENT ON COLUMN steward.audit_log.table_name IS 'Name of the audited table (the partitioned table''s, for a partition)';
COMMENT ON COLUMN steward.audit_log.row_key IS 'The row''s key: primary key columns, else replica identity, else the whole row';
COMMENT ON COLUMN steward.audit_log.old_values IS 'DELETE: the old row; UPDATE: old values of the changed columns (all with full_rows)';
COMMENT ON COLUMN steward.audit_log.new_values IS 'INSERT: the new row; UPDATE: new values of the changed columns (all with full_rows)';
COMMENT ON COLUMN steward.audit_log.actor_user IS 'steward.current_user_id() when the change was made';
COMMENT ON COLUMN steward.audit_log.actor_tenant IS 'steward.current_tenant() when the change was made';
COMMENT ON COLUMN steward.audit_log.session_role IS 'session_user';
COMMENT ON COLUMN steward.audit_log.effective_role IS 'current_user (differs inside SECURITY DEFINER functions)';
COMMENT ON COLUMN steward.audit_log.application_name IS 'application_name of the session';
COMMENT ON COLUMN steward.audit_log.client_addr IS 'Client address (NULL over a unix socket)';
COMMENT ON COLUMN steward.audit_log.query IS 'The statement''s text, when the table''s capture_query option is on';
COMMENT ON COLUMN steward.audit_log.detail IS 'Further facts about the event';
COMMENT ON COLUMN steward.audit_log.redacted IS 'For a record whose values were redacted (steward.audit_redact): the hash of each replaced value (steward.audit_value_hash), which its digest covers';
COMMENT ON COLUMN steward.audit_log.digest IS 'HMAC-SHA256 of the record with steward.audit_key, written with it (steward.audit_verify checks it)';
COMMENT ON COLUMN steward.audit_log.row_hash IS 'steward.audit_row_hash(schema_name, table_name, row_key): finds a row''s history through a small index';

CREATE TABLE steward.audit_log_default PARTITION OF steward.audit_log DEFAULT;
COMMENT ON TABLE steward.audit_log_default IS
  'Audit records of months without a partition of their own (run steward.audit_maintain())';

-- Few and small indexes keep writes cheap, both BRIN (one summary per range
-- of pages, not one entry per record): a bloom filter of the hash of
-- (table, key) per 128 pages for a row's history (a lookup reads the
-- ranges whose filter matches, about 2% false positives; autovacuum
-- summarizes each range as it fills), and min/max of the transaction id,
-- which grows with time like the log.  They are created
-- per partition (here for the default one, by audit_maintain() for the
-- others), not on the partitioned table: pg_dump then restores each
-- partition with its own indexes, where indexes inherited from an index on
-- the extension's table would be created twice.
CREATE INDEX audit_log_default_row ON steward.audit_log_default
    USING brin (row_hash int8_bloom_ops (n_distinct_per_range = 4000, false_positive_rate = 0.02))
    WITH (pages_per_range = 128, autosummarize = on);
CREATE INDEX audit_log_default_txid ON steward.audit_log_default USING brin (txid);
COMMENT ON INDEX steward.audit_log_default_row IS 'History of one row (steward.audit_history)';
COMMENT ON INDEX steward.audit_log_default_txid IS 'Changes of one transaction (steward.audit_transaction)';

REVOKE ALL ON steward.audit_log FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('steward.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('steward.audit_log_default', '');

-- ---- configuration

CREATE TABLE steward.audit_tables (
    relation        regclass    PRIMARY KEY,
    operations      text[]      NOT NULL DEFAULT ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'],
    exclude_columns name[]      NOT NULL DEFAULT '{}',
    hash_columns    name[]      NOT NULL DEFAULT '{}',
    full_rows       boolean     NOT NULL DEFAULT false,
    skip_unchanged  boolean     NOT NULL DEFAULT true,
    capture_query   boolean     NOT NULL DEFAULT false,
    enabled_by      name        NOT NULL DEFAULT current_user,
    enabled_at      timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE steward.audit_tables IS 'Audited tables and their capture options; kept by pg_dump';
COMMENT ON COLUMN steward.audit_tables.relation IS 'The audited table';
COMMENT ON COLUMN steward.audit_tables.operations IS 'Operations captured: INSERT, UPDATE, DELETE, TRUNCATE';
COMMENT ON COLUMN steward.audit_tables.exclude_columns IS 'Columns never recorded';
COMMENT ON COLUMN steward.audit_tables.hash_columns IS 'Columns recorded only as a keyed hash (HMAC-SHA256 with steward.audit_key)';
COMMENT ON COLUMN steward.audit_tables.full_rows IS 'UPDATE records the whole old and new rows, not only the changed columns';
COMMENT ON COLUMN steward.audit_tables.skip_unchanged IS 'No record for an UPDATE that changed nothing';
COMMENT ON COLUMN steward.audit_tables.capture_query IS 'Record the statement text';
COMMENT ON COLUMN steward.audit_tables.enabled_by IS 'Role that enabled the audit';
COMMENT ON COLUMN steward.audit_tables.enabled_at IS 'When the audit was last enabled';

SELECT pg_catalog.pg_extension_config_dump('steward.audit_tables', '');
REVOKE ALL ON steward.audit_tables FROM PUBLIC;
GRANT SELECT ON steward.audit_tables TO PUBLIC;

-- ---- the trigger

CREATE FUNCTION steward.audit_trigger()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_audit_trigger';

COMMENT ON FUNCTION steward.audit_trigger() IS
  'Row and TRUNCATE trigger installed by steward.audit_enable(); arguments: the audited table''s schema and name';

CREATE FUNCTION steward.audit_config_write(
    relation regclass, operations text[], exclude_columns name[], hash_columns name[],
    full_rows boolean, skip_unchanged boolean, capture_query boolean)
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_audit_config_write';

COMMENT ON FUNCTION steward.audit_config_write(regclass, text[], name[], name[], boolean, boolean, boolean) IS
  'Internal: record (or, with NULL operations, forget) a table''s audit options and log the change; the caller must own the table';

-- ---- partitions

-- Maintenance of the log is not itself recorded as DDL (steward.audit_ddl
-- off): a record about a partition being created would be written into it
-- and keep it open, in the middle of setting it up.
CREATE FUNCTION steward.audit_maintain(months_ahead integer DEFAULT 2)
RETURNS SETOF regclass
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET steward.audit_ddl = off
AS $$
DECLARE
    m date;
    name text;
    lo timestamptz;
    hi timestamptz;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 120'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- one partition per month, UTC, named as the trigger looks them up
    FOR m IN SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                                    date_trunc('month', now() AT TIME ZONE 'UTC')
                                      + make_interval(months => months_ahead),
                                    interval '1 month')::date
    LOOP
        name := format('audit_log_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        CONTINUE WHEN to_regclass(format('steward.%I', name)) IS NOT NULL;
        lo := m::timestamp AT TIME ZONE 'UTC';
        hi := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
        -- records of that month already in the default partition move along
        CREATE TEMP TABLE audit_maintain_moved ON COMMIT DROP AS
            SELECT * FROM steward.audit_log_default WHERE xact_at >= lo AND xact_at < hi;
        DELETE FROM steward.audit_log_default WHERE xact_at >= lo AND xact_at < hi;
        EXECUTE format('CREATE TABLE steward.%I PARTITION OF steward.audit_log FOR VALUES FROM (%L) TO (%L)',
                       name, lo, hi);
        EXECUTE format('COMMENT ON TABLE steward.%I IS %L', name,
                       'pg_steward audit log, ' || to_char(m, 'YYYY-MM') || ' (UTC)');
        EXECUTE format('CREATE INDEX %I ON steward.%I USING brin (row_hash int8_bloom_ops '
                       '(n_distinct_per_range = 4000, false_positive_rate = 0.02)) '
                       'WITH (pages_per_range = 128, autosummarize = on)', name || '_row', name);
        EXECUTE format('CREATE INDEX %I ON steward.%I USING brin (txid)', name || '_txid', name);
        EXECUTE format('REVOKE ALL ON steward.%I FROM PUBLIC', name);
        INSERT INTO steward.audit_log SELECT * FROM audit_maintain_moved;
        DROP TABLE audit_maintain_moved;
        RETURN NEXT format('steward.%I', name)::regclass;
    END LOOP;
    -- The partitions that receive records (this month's and later ones, and
    -- the default) must not have a summary of the page range being filled:
    -- the bloom summary of such a range is rebuilt and compressed on every
    -- insert (about 0.2 ms each), where an unsummarized range costs nothing
    -- until autosummarize summarizes it once full.  Building an index
    -- summarizes the last, partial range (CREATE INDEX above, a restore,
    -- REINDEX, TRUNCATE): undo that here.
    FOR name IN SELECT 'audit_log_default'
                UNION ALL
                SELECT format('audit_log_y%sm%s', to_char(m2, 'YYYY'), to_char(m2, 'MM'))
                FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                                     date_trunc('month', now() AT TIME ZONE 'UTC')
                                       + make_interval(months => months_ahead),
                                     interval '1 month') AS m2
    LOOP
        CONTINUE WHEN to_regclass(format('steward.%I', name || '_row')) IS NULL;
        PERFORM brin_desummarize_range(format('steward.%I', name || '_row')::regclass,
                    greatest(pg_relation_size(format('steward.%I', name)::regclass)
                             / current_setting('block_size')::bigint - 1, 0));
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.audit_maintain(integer) IS
  'Create the audit log''s monthly partitions up to months_ahead months from now (run it monthly, e.g. from cron); returns those created';

-- Creating partitions locks the log: only those granted may ask for many.
REVOKE EXECUTE ON FUNCTION steward.audit_maintain(integer) FROM PUBLIC;

CREATE FUNCTION steward.audit_maintain_current()
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT count(*) FROM steward.audit_maintain(1) $$;

COMMENT ON FUNCTION steward.audit_maintain_current() IS
  'Internal: make sure this month''s and next month''s audit log partitions exist (called by audit_enable)';

-- ---- enabling and disabling

CREATE FUNCTION steward.audit_enable(
    relation        regclass,
    operations      text[]  DEFAULT ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'],
    exclude_columns name[]  DEFAULT '{}',
    hash_columns    name[]  DEFAULT '{}',
    full_rows       boolean DEFAULT false,
    skip_unchanged  boolean DEFAULT true,
    capture_query   boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ops text[];
    bad text;
    row_ops text;
    nsp name;
    rel name;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF operations IS NULL OR cardinality(operations) = 0 THEN
        RAISE EXCEPTION 'operations must name at least one operation'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Operations are INSERT, UPDATE, DELETE and TRUNCATE.';
    END IF;
    ops := ARRAY(SELECT DISTINCT upper(o) FROM unnest(operations) o ORDER BY 1);
    SELECT o INTO bad FROM unnest(ops) o
    WHERE o IS NULL OR o NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unrecognized operation "%"', bad USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Operations are INSERT, UPDATE, DELETE and TRUNCATE.';
    END IF;
    SELECT c INTO bad FROM unnest(coalesce(exclude_columns, '{}') || coalesce(hash_columns, '{}')) c
    WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = relation AND a.attname = c AND a.attnum > 0
                        AND NOT a.attisdropped)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column "%" of % does not exist', bad, relation
            USING ERRCODE = 'undefined_column';
    END IF;

    -- the month's partition first, so that the records below go there
    PERFORM steward.audit_maintain_current();
    IF 'UPDATE' = ANY (ops) AND NOT ops @> ARRAY['INSERT', 'DELETE']
       AND (SELECT c.relkind FROM pg_class c WHERE c.oid = relation) = 'p' THEN
        RAISE WARNING 'an UPDATE that moves a row to another partition of % is seen as a DELETE and an INSERT, which are not captured', relation
            USING HINT = 'Add INSERT and DELETE to operations to capture such moves.';
    END IF;
    -- checks ownership, records the options, logs AUDIT ENABLE
    PERFORM steward.audit_config_write(relation, ops, coalesce(exclude_columns, '{}'),
                                       coalesce(hash_columns, '{}'), coalesce(full_rows, false),
                                       coalesce(skip_unchanged, true), coalesce(capture_query, false));

    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = relation;

    IF EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = relation AND t.tgname = 'steward_audit') THEN
        EXECUTE format('DROP TRIGGER steward_audit ON %s', relation);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = relation AND t.tgname = 'steward_audit_truncate') THEN
        EXECUTE format('DROP TRIGGER steward_audit_truncate ON %s', relation);
    END IF;
    row_ops := (SELECT string_agg(o, ' OR ') FROM unnest(ops) o WHERE o <> 'TRUNCATE');
    IF row_ops IS NOT NULL THEN
        EXECUTE format('CREATE TRIGGER steward_audit AFTER %s ON %s FOR EACH ROW '
                       'EXECUTE FUNCTION steward.audit_trigger(%L, %L)',
                       row_ops, relation, nsp, rel);
    END IF;
    IF 'TRUNCATE' = ANY (ops) THEN
        EXECUTE format('CREATE TRIGGER steward_audit_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT '
                       'EXECUTE FUNCTION steward.audit_trigger(%L, %L)',
                       relation, nsp, rel);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.audit_enable(regclass, text[], name[], name[], boolean, boolean, boolean) IS
  'Audit a table''s changes into steward.audit_log (C trigger); calling it again replaces the options';

CREATE FUNCTION steward.audit_disable(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- checks ownership, forgets the options, logs AUDIT DISABLE
    PERFORM steward.audit_config_write(relation, NULL, NULL, NULL, NULL, NULL, NULL);
    IF EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = relation AND t.tgname = 'steward_audit') THEN
        EXECUTE format('DROP TRIGGER steward_audit ON %s', relation);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = relation AND t.tgname = 'steward_audit_truncate') THEN
        EXECUTE format('DROP TRIGGER steward_audit_truncate ON %s', relation);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.audit_disable(regclass) IS
  'Stop auditing a table (an audited event itself); needs EXECUTE, which PUBLIC does not have';

REVOKE EXECUTE ON FUNCTION steward.audit_disable(regclass) FROM PUBLIC;

-- ---- history (run with the caller's rights: reading the log needs SELECT on it)

CREATE FUNCTION steward.audit_row_hash(schema_name text, table_name text, key jsonb)
RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_audit_row_hash';

COMMENT ON FUNCTION steward.audit_row_hash(text, text, jsonb) IS
  'The hash under which the audit log indexes a row''s history (jsonb equality: {"n": 1.5} and {"n": 1.50} hash alike)';

CREATE FUNCTION steward.audit_history(relation regclass, key jsonb)
RETURNS SETOF steward.audit_log
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- the row_hash indexes are BRIN bloom filters, whose cost the planner
-- misjudges for a column without physical order: it would scan the whole
-- log (measured: 60 ms instead of 1 ms for one row among 300,000 records)
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
  -- the hash is computed once, before the scan (an initplan), so that
  -- every partition's row_hash index is used with it
  SELECT l.* FROM steward.audit_log l
  JOIN pg_class c ON c.oid = audit_history.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE l.row_hash = (SELECT steward.audit_row_hash(n2.nspname::text, c2.relname::text, audit_history.key)
                      FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
                      WHERE c2.oid = audit_history.relation)
    AND l.table_name = c.relname AND l.schema_name = n.nspname AND l.row_key = audit_history.key
    AND l.operation IN ('INSERT', 'UPDATE', 'DELETE')
  ORDER BY l.stmt_at, l.xact_at, l.stmt, l.id
$$;

COMMENT ON FUNCTION steward.audit_history(regclass, jsonb) IS
  'Every recorded change of one row (key as in audit_log.row_key, e.g. {"id": 42}), oldest first';

CREATE FUNCTION steward.audit_row_as_of(relation regclass, key jsonb, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    state jsonb := NULL;
BEGIN
    FOR r IN SELECT * FROM steward.audit_history(relation, key) h WHERE h.stmt_at <= at LOOP
        IF r.operation = 'INSERT' THEN
            state := r.new_values;
        ELSIF r.operation = 'UPDATE' THEN
            state := coalesce(state, r.old_values) || r.new_values;
        ELSE
            state := NULL;
        END IF;
    END LOOP;
    RETURN state;
END
$$;

COMMENT ON FUNCTION steward.audit_row_as_of(regclass, jsonb, timestamptz) IS
  'The row as it was at a point in time, rebuilt from its recorded changes (NULL if it did not exist)';

CREATE FUNCTION steward.audit_transaction(txid xid8)
RETURNS SETOF steward.audit_log
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT l.* FROM steward.audit_log l WHERE l.txid = audit_transaction.txid::text::bigint
  ORDER BY l.stmt, l.id
$$;

COMMENT ON FUNCTION steward.audit_transaction(xid8) IS
  'Every recorded change of one transaction, in order';

-- ---- administrative operations

CREATE FUNCTION steward.audit_ddl()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_audit_ddl';

COMMENT ON FUNCTION steward.audit_ddl() IS
  'Event trigger function: records DDL, GRANT and REVOKE in steward.audit_log (setting steward.audit_ddl)';

CREATE EVENT TRIGGER steward_audit_ddl ON ddl_command_end
  EXECUTE FUNCTION steward.audit_ddl();
CREATE EVENT TRIGGER steward_audit_drop ON sql_drop
  EXECUTE FUNCTION steward.audit_ddl();

COMMENT ON EVENT TRIGGER steward_audit_ddl IS 'pg_steward: record DDL, GRANT and REVOKE in the audit log';
COMMENT ON EVENT TRIGGER steward_audit_drop IS 'pg_steward: record dropped objects in the audit log';

-- ---- undo

-- The inverse of one recorded change, as a statement, or the reason why
-- it cannot be undone.  undo_ids: the events undone together, which do not
-- count as "later changes" of each other.
CREATE FUNCTION steward.audit_inverse(e steward.audit_log, undo_ids bigint[], OUT statement text, OUT refusal text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
    cols text;
    keycols text;
    keyvals jsonb;
    hashed name[];
    missing text;
BEGIN
    IF e.operation NOT IN ('INSERT', 'UPDATE', 'DELETE') THEN
        refusal := format('%s cannot be undone', e.operation);
        RETURN;
    END IF;
    rel := to_regclass(format('%I.%I', e.schema_name, e.table_name));
    IF rel IS NULL THEN
        refusal := format('table %I.%I no longer exists', e.schema_name, e.table_name);
        RETURN;
    END IF;
    -- a later change of the same row (by its old or new key) would be overwritten
    IF EXISTS (SELECT 1 FROM steward.audit_log l
               WHERE l.schema_name = e.schema_name AND l.table_name = e.table_name
                 AND l.row_hash IN (e.row_hash,
                                    steward.audit_row_hash(e.schema_name, e.table_name,
                                        (SELECT jsonb_object_agg(k, coalesce(e.new_values -> k, e.row_key -> k))
                                         FROM jsonb_object_keys(e.row_key) k)))
                 AND l.operation IN ('INSERT', 'UPDATE', 'DELETE')
                 AND (l.stmt_at, l.id) > (e.stmt_at, e.id)
                 AND l.id <> ALL (undo_ids)) THEN
        refusal := 'the row was changed again later; undoing this change would overwrite that change';
        RETURN;
    END IF;
    SELECT hash_columns INTO hashed FROM steward.audit_tables WHERE relation = rel;
    -- the key as the row has it now: an UPDATE may have changed it
    keyvals := CASE e.operation WHEN 'UPDATE'
                   THEN (SELECT jsonb_object_agg(k, coalesce(e.new_values -> k, e.row_key -> k))
                         FROM jsonb_object_keys(e.row_key) k)
                   ELSE e.row_key END;
    SELECT string_agg(quote_ident(k), ', ' ORDER BY k) INTO keycols FROM jsonb_object_keys(e.row_key) k;

    IF e.operation = 'INSERT' THEN
        statement := format('DELETE FROM %s WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, %L))',
                            rel, keycols, keycols, rel, keyvals);
    ELSE
        -- the columns to restore: recorded, still there, writable
        SELECT string_agg(quote_ident(k), ', ' ORDER BY k) INTO cols
        FROM jsonb_object_keys(e.old_values) k
        JOIN pg_attribute a ON a.attrelid = rel AND a.attname = k AND a.attnum > 0
                           AND NOT a.attisdropped AND a.attgenerated = '';
        SELECT k INTO missing FROM jsonb_object_keys(e.old_values) k
        WHERE k = ANY (hashed) AND jsonb_typeof(e.old_values -> k) <> 'null' LIMIT 1;
        IF missing IS NOT NULL THEN
            refusal := format('column %I was recorded only as a hash', missing);
            RETURN;
        END IF;
        IF e.operation = 'UPDATE' THEN
            statement := format('UPDATE %s SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, %L)) '
                                'WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, %L))',
                                rel, cols, cols, rel, e.old_values, keycols, keycols, rel, keyvals);
        ELSE
            statement := format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_record(NULL::%s, %L)',
                                rel, cols, cols, rel, e.old_values);
        END IF;
    END IF;
END
$$;

COMMENT ON FUNCTION steward.audit_inverse(steward.audit_log, bigint[]) IS
  'Internal: the statement that undoes one recorded change, or why it cannot be undone';

CREATE FUNCTION steward.audit_undo_events(ids bigint[], dry_run boolean)
RETURNS TABLE (event_id bigint, operation text, statement text, status text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e steward.audit_log;
    inv record;
    n bigint;
    refused boolean := false;
BEGIN
    -- newest first: undo in the reverse order of the changes
    CREATE TEMP TABLE audit_undo_plan (event_id bigint, operation text, statement text, refusal text)
        ON COMMIT DROP;
    FOR e IN SELECT * FROM steward.audit_log l WHERE l.id = ANY (ids)
             ORDER BY l.stmt_at DESC, l.stmt DESC, l.id DESC LOOP
        inv := steward.audit_inverse(e, ids);
        INSERT INTO audit_undo_plan VALUES (e.id, e.operation, inv.statement, inv.refusal);
        refused := refused OR inv.refusal IS NOT NULL;
    END LOOP;

    IF NOT dry_run AND refused THEN
        RAISE EXCEPTION 'cannot undo: % of the changes cannot be undone',
            (SELECT count(*) FROM audit_undo_plan p WHERE p.refusal IS NOT NULL)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = (SELECT string_agg(format('event %s: %s', p.event_id, p.refusal), E'\n')
                            FROM audit_undo_plan p WHERE p.refusal IS NOT NULL),
                  HINT = 'Run it with dry_run => true to see the plan.';
    END IF;

    FOR event_id, operation, statement, status IN
        SELECT p.event_id, p.operation, p.statement, p.refusal FROM audit_undo_plan p
    LOOP
        IF status IS NOT NULL THEN
            status := 'refused: ' || status;
        ELSIF dry_run THEN
            status := 'planned';
        ELSE
            EXECUTE statement;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n <> 1 THEN
                RAISE EXCEPTION 'cannot undo event %: the row is not as recorded', event_id
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          DETAIL = format('The inverse statement changed %s rows instead of 1.', n);
            END IF;
            status := 'applied';
        END IF;
        RETURN NEXT;
    END LOOP;
    DROP TABLE audit_undo_plan;
END
$$;

COMMENT ON FUNCTION steward.audit_undo_events(bigint[], boolean) IS
  'Internal: plan (dry run) or apply the inverse of some recorded changes, newest first';

CREATE FUNCTION steward.audit_undo(txid xid8, dry_run boolean DEFAULT true)
RETURNS TABLE (event_id bigint, operation text, statement text, status text)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM steward.audit_undo_events(
           ARRAY(SELECT l.id FROM steward.audit_log l
                 WHERE l.txid = audit_undo.txid::text::bigint
                   AND l.operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
           dry_run)
$$;

COMMENT ON FUNCTION steward.audit_undo(xid8, boolean) IS
  'Undo the recorded row changes of a transaction (dry_run => true, the default, only shows the plan); refuses if a later change would be overwritten';

CREATE FUNCTION steward.audit_undo(event_id bigint, dry_run boolean DEFAULT true)
RETURNS TABLE (event_id bigint, operation text, statement text, status text)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM steward.audit_undo_events(ARRAY[audit_undo.event_id], dry_run)
$$;

COMMENT ON FUNCTION steward.audit_undo(bigint, boolean) IS
  'Undo one recorded row change (dry_run => true, the default, only shows the plan); refuses if a later change would be overwritten';

-- ---- sensitive reads

CREATE TABLE steward.audit_read_tables (
    relation    regclass    PRIMARY KEY,
    enabled_by  name        NOT NULL DEFAULT current_user,
    enabled_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE steward.audit_read_tables IS 'Tables whose reads are recorded (steward.audit_reads); kept by pg_dump';
COMMENT ON COLUMN steward.audit_read_tables.relation IS 'The table';
COMMENT ON COLUMN steward.audit_read_tables.enabled_by IS 'Role that marked it';
COMMENT ON COLUMN steward.audit_read_tables.enabled_at IS 'When';

SELECT pg_catalog.pg_extension_config_dump('steward.audit_read_tables', '');
REVOKE ALL ON steward.audit_read_tables FROM PUBLIC;
GRANT SELECT ON steward.audit_read_tables TO PUBLIC;

CREATE FUNCTION steward.audit_reads_write(relation regclass, enable boolean)
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_audit_reads_write';

COMMENT ON FUNCTION steward.audit_reads_write(regclass, boolean) IS
  'Internal: mark or unmark a table whose reads are recorded, and log the change; the caller must own the table';

CREATE FUNCTION steward.audit_reads(relation regclass, enable boolean DEFAULT true)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT steward.audit_reads_write(relation, coalesce(enable, true)) $$;

COMMENT ON FUNCTION steward.audit_reads(regclass, boolean) IS
  'Record every statement that reads the table (who, when, the statement, the rows); enable => false stops it. Needs pg_steward in shared_preload_libraries';

-- ---- tamper evidence
--
-- Every record carries a digest: HMAC-SHA256 with steward.audit_key over
-- all its columns, computed when it is written.  Changing a record, or
-- inserting one, without the key breaks a digest.  Deleting one is caught
-- by the seals: audit_seal() chains, with the same key, the count and the
-- digests of all records whose ids (time-ordered) fall between the previous
-- seal and the start of the oldest transaction still running - a window no
-- running transaction can still add to, so sealing never waits for
-- writers.  Ids, not transaction ids, bound the windows: after a restore
-- into a new cluster transaction ids start again from low numbers, while
-- time goes on.  audit_verify() checks both.  See docs/audit.md for the
-- threat model.

CREATE TABLE steward.audit_seals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sealed_at       timestamptz NOT NULL DEFAULT now(),
    id_from         bigint      NOT NULL,
    id_to           bigint      NOT NULL,
    records         bigint      NOT NULL,
    records_digest  bytea       NOT NULL,
    seal            bytea       NOT NULL,
    purged_at       timestamptz,
    remaining       bigint,
    remaining_digest bytea,
    purge_seal      bytea
);

COMMENT ON TABLE steward.audit_seals IS 'Chained seals over the audit log (steward.audit_seal, steward.audit_verify); kept by pg_dump';
COMMENT ON COLUMN steward.audit_seals.id IS 'Seal number';
COMMENT ON COLUMN steward.audit_seals.sealed_at IS 'When the seal was made';
COMMENT ON COLUMN steward.audit_seals.id_from IS 'Records with ids from this one ...';
COMMENT ON COLUMN steward.audit_seals.id_to IS '... up to, not including, this one are covered';
COMMENT ON COLUMN steward.audit_seals.records IS 'Number of records covered';
COMMENT ON COLUMN steward.audit_seals.records_digest IS 'SHA-256 of their digests, in id order';
COMMENT ON COLUMN steward.audit_seals.seal IS 'HMAC-SHA256 (steward.audit_key) of the previous seal and this seal''s facts';
COMMENT ON COLUMN steward.audit_seals.purged_at IS 'When steward.audit_purge last removed records of this window (NULL: never)';
COMMENT ON COLUMN steward.audit_seals.remaining IS 'Number of records of the window left after that purge';
COMMENT ON COLUMN steward.audit_seals.remaining_digest IS 'SHA-256 of their digests, in id order';
COMMENT ON COLUMN steward.audit_seals.purge_seal IS 'HMAC-SHA256 (steward.audit_key) of this seal and what the purge left';

COMMENT ON SEQUENCE steward.audit_seals_id_seq IS 'Seal numbers';
SELECT pg_catalog.pg_extension_config_dump('steward.audit_seals', '');
SELECT pg_catalog.pg_extension_config_dump('steward.audit_seals_id_seq', '');
REVOKE ALL ON steward.audit_seals FROM PUBLIC;

CREATE FUNCTION steward.audit_record_digest(r steward.audit_log)
RETURNS bytea
LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'steward_audit_record_digest';
COMMENT ON FUNCTION steward.audit_record_digest(steward.audit_log) IS
  'Internal: the digest a record should carry, recomputed from its columns';
REVOKE EXECUTE ON FUNCTION steward.audit_record_digest(steward.audit_log) FROM PUBLIC;

CREATE FUNCTION steward.audit_value_hash(value jsonb)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_audit_value_hash';
COMMENT ON FUNCTION steward.audit_value_hash(jsonb) IS
  'The SHA-256 (hex) under which record digests cover a jsonb value';

CREATE FUNCTION steward.audit_key_hmac(data bytea)
RETURNS bytea
LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'steward_audit_key_hmac';
COMMENT ON FUNCTION steward.audit_key_hmac(bytea) IS 'Internal: HMAC-SHA256 with steward.audit_key';
REVOKE EXECUTE ON FUNCTION steward.audit_key_hmac(bytea) FROM PUBLIC;

CREATE FUNCTION steward.audit_event(operation text, schema_name text, table_name text, detail jsonb)
RETURNS void
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'steward_audit_event';
COMMENT ON FUNCTION steward.audit_event(text, text, text, jsonb) IS
  'Internal: record an event of pg_steward''s own maintenance functions';
REVOKE EXECUTE ON FUNCTION steward.audit_event(text, text, text, jsonb) FROM PUBLIC;

-- How many records a window of ids holds, and the SHA-256 of their digests
-- in id order: what a seal signs, and what audit_verify recomputes.
CREATE FUNCTION steward.audit_window(id_from bigint, id_to bigint,
                                     OUT records bigint, OUT records_digest bytea)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT count(*), sha256(coalesce(string_agg(l.digest, ''::bytea ORDER BY l.id), ''::bytea))
  FROM steward.audit_log l WHERE l.id >= id_from AND l.id < id_to
$$;
COMMENT ON FUNCTION steward.audit_window(bigint, bigint) IS
  'Internal: the number of audit records with ids in [id_from, id_to) and the SHA-256 of their digests';
REVOKE EXECUTE ON FUNCTION steward.audit_window(bigint, bigint) FROM PUBLIC;

-- What a purge leaves of a sealed window, signed: the seal itself, the
-- marker 'purge' (so it can never pass for the next seal's message) and
-- the count and digest of the records left.
CREATE FUNCTION steward.audit_purge_message(s steward.audit_seals)
RETURNS bytea
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT convert_to('purge', 'UTF8') || s.seal || int8send(s.id_from) || int8send(s.id_to)
         || int8send((extract(epoch FROM s.purged_at) * 1000000)::bigint)
         || int8send(s.remaining) || s.remaining_digest
$$;
COMMENT ON FUNCTION steward.audit_purge_message(steward.audit_seals) IS
  'Internal: the bytes a purge signs for a sealed window';
REVOKE EXECUTE ON FUNCTION steward.audit_purge_message(steward.audit_seals) FROM PUBLIC;

-- The facts a seal signs, in a fixed binary form.
CREATE FUNCTION steward.audit_seal_message(prev bytea, id_from bigint, id_to bigint,
                                           records bigint, records_digest bytea)
RETURNS bytea
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(prev, '\x'::bytea) || int8send(id_from) || int8send(id_to)
         || int8send(records) || records_digest
$$;
COMMENT ON FUNCTION steward.audit_seal_message(bytea, bigint, bigint, bigint, bytea) IS
  'Internal: the bytes a seal signs';

-- What is wrong with a seal, if anything: its place in the chain (prev is
-- the previous seal), its purge record if a purge touched its window, and
-- (with check_records) the records of its window against what it, or the
-- purge, signed.  Used by audit_verify and, before it removes anything, by
-- audit_purge: both trust only what the key signed.
CREATE FUNCTION steward.audit_seal_problem(s steward.audit_seals, prev bytea, check_records boolean,
                                           OUT first_broken bigint, OUT reason text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    d bytea;
    want_n bigint;
    want_d bytea;
    want text;
BEGIN
    IF s.seal IS DISTINCT FROM steward.audit_key_hmac(
           steward.audit_seal_message(prev, s.id_from, s.id_to, s.records, s.records_digest)) THEN
        reason := format('seal %s was changed, or the chain of seals broken', s.id);
        RETURN;
    END IF;
    IF s.purged_at IS NULL AND s.remaining IS NULL AND s.remaining_digest IS NULL
       AND s.purge_seal IS NULL THEN
        want_n := s.records;
        want_d := s.records_digest;
        want := format('sealed %s', s.records);
    ELSIF s.purged_at IS NULL OR s.remaining IS NULL OR s.remaining_digest IS NULL
          OR s.purge_seal IS NULL
          OR s.purge_seal IS DISTINCT FROM steward.audit_key_hmac(steward.audit_purge_message(s)) THEN
        first_broken := (SELECT min(l.id) FROM steward.audit_log l
                         WHERE l.id >= s.id_from AND l.id < s.id_to);
        reason := format('the purge record of seal %s was changed', s.id);
        RETURN;
    ELSE
        want_n := s.remaining;
        want_d := s.remaining_digest;
        want := format('%s left by the purge of %s', s.remaining, s.purged_at);
    END IF;
    IF NOT check_records THEN
        RETURN;
    END IF;
    SELECT w.records, w.records_digest INTO n, d FROM steward.audit_window(s.id_from, s.id_to) w;
    IF n IS DISTINCT FROM want_n OR d IS DISTINCT FROM want_d THEN
        first_broken := (SELECT min(l.id) FROM steward.audit_log l
                         WHERE l.id >= s.id_from AND l.id < s.id_to);
        reason := format('records with ids %s to %s were deleted or added after seal %s (%s records, %s)',
                         s.id_from, s.id_to - 1, s.id, n, want);
    END IF;
END
$$;
COMMENT ON FUNCTION steward.audit_seal_problem(steward.audit_seals, bytea, boolean) IS
  'Internal: what is wrong with a seal (chain, purge record, records of its window), or NULLs';
REVOKE EXECUTE ON FUNCTION steward.audit_seal_problem(steward.audit_seals, bytea, boolean) FROM PUBLIC;

CREATE FUNCTION steward.audit_seal()
RETURNS steward.audit_seals
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last steward.audit_seals;
    lo bigint;
    hi bigint;
    oldest timestamptz;
    n bigint;
    d bytea;
    result steward.audit_seals;
BEGIN
    -- one sealer at a time
    LOCK TABLE steward.audit_seals IN SHARE ROW EXCLUSIVE MODE;
    -- a prepared transaction's start is unknown: seal nothing meanwhile
    IF EXISTS (SELECT 1 FROM pg_prepared_xacts) THEN
        RETURN NULL;
    END IF;
    -- records of running transactions have ids from their start on.  A
    -- session with track_activities off reports no transaction start
    -- (state 'disabled'): if it has a transaction id, its connection's
    -- start bounds that of the transaction it has under way
    SELECT min(coalesce(a.xact_start, a.backend_start)) INTO oldest FROM pg_stat_activity a
    WHERE (a.xact_start IS NOT NULL
           OR (a.state = 'disabled' AND a.backend_xid IS NOT NULL))
      AND a.pid <> pg_backend_pid();
    oldest := least(coalesce(oldest, clock_timestamp()), transaction_timestamp());
    hi := (floor(extract(epoch FROM oldest - timestamptz '2000-01-01 00:00:00+00') * 1000)::bigint) << 22;
    SELECT * INTO last FROM steward.audit_seals ORDER BY id DESC LIMIT 1;
    lo := coalesce(last.id_to, 0);
    IF hi <= lo THEN
        RETURN NULL;
    END IF;
    SELECT w.records, w.records_digest INTO n, d FROM steward.audit_window(lo, hi) w;
    INSERT INTO steward.audit_seals (id_from, id_to, records, records_digest, seal)
    VALUES (lo, hi, n, d,
            steward.audit_key_hmac(steward.audit_seal_message(last.seal, lo, hi, n, d)))
    RETURNING * INTO result;
    RETURN result;
END
$$;

COMMENT ON FUNCTION steward.audit_seal() IS
  'Seal the audit records of every transaction that ended since the last seal (run it regularly, e.g. from cron); returns the new seal, NULL if there was nothing to seal';
REVOKE EXECUTE ON FUNCTION steward.audit_seal() FROM PUBLIC;

CREATE FUNCTION steward.audit_verify()
RETURNS TABLE (records bigint, seals bigint, first_broken bigint, reason text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    s steward.audit_seals;
    prev bytea := NULL;
BEGIN
    records := 0;
    seals := 0;
    -- every record's digest
    FOR r IN SELECT l.id, l.digest, l.redacted,
                    steward.audit_record_digest(l) AS expected
             FROM steward.audit_log l ORDER BY l.id LOOP
        records := records + 1;
        IF r.digest IS DISTINCT FROM r.expected THEN
            first_broken := r.id;
            reason := 'the record was changed, or inserted, without the key (its digest does not match)';
            RETURN NEXT;
            RETURN;
        END IF;
        IF r.redacted IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM steward.audit_log x
               WHERE x.operation = 'AUDIT REDACT'
                 AND ((x.detail ->> 'event_id')::bigint = r.id OR x.detail -> 'event_ids' @> to_jsonb(r.id))) THEN
            first_broken := r.id;
            reason := 'the record is marked redacted, but no redaction of it was recorded';
            RETURN NEXT;
            RETURN;
        END IF;
    END LOOP;
    -- every seal: the records it covers, and the chain
    FOR s IN SELECT * FROM steward.audit_seals ORDER BY id LOOP
        seals := seals + 1;
        SELECT p.first_broken, p.reason INTO first_broken, reason
        FROM steward.audit_seal_problem(s, prev, true) p;
        IF reason IS NOT NULL THEN
            RETURN NEXT;
            RETURN;
        END IF;
        prev := s.seal;
    END LOOP;
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION steward.audit_verify() IS
  'Check every audit record''s digest and every seal: returns how many were checked and the first broken record (or seal) with the reason, or NULLs when all is intact';
REVOKE EXECUTE ON FUNCTION steward.audit_verify() FROM PUBLIC;

CREATE FUNCTION steward.audit_redact(event_id bigint, old_values jsonb, new_values jsonb, reason text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e steward.audit_log;
    kept jsonb;
BEGIN
    IF reason IS NULL OR reason = '' THEN
        RAISE EXCEPTION 'a redaction needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO e FROM steward.audit_log l WHERE l.id = event_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit record % does not exist', event_id USING ERRCODE = 'no_data_found';
    END IF;
    -- the digest keeps covering the original values, through their hashes
    kept := coalesce(e.redacted, '{}'::jsonb);
    IF old_values IS DISTINCT FROM e.old_values AND NOT kept ? 'old_values' AND e.old_values IS NOT NULL THEN
        kept := kept || jsonb_build_object('old_values', steward.audit_value_hash(e.old_values));
    END IF;
    IF new_values IS DISTINCT FROM e.new_values AND NOT kept ? 'new_values' AND e.new_values IS NOT NULL THEN
        kept := kept || jsonb_build_object('new_values', steward.audit_value_hash(e.new_values));
    END IF;
    UPDATE steward.audit_log l SET old_values = audit_redact.old_values,
                                   new_values = audit_redact.new_values,
                                   redacted = kept
    WHERE l.id = event_id;
    PERFORM steward.audit_event('AUDIT REDACT', e.schema_name, e.table_name,
                                jsonb_build_object('event_id', event_id, 'reason', reason));
END
$$;

COMMENT ON FUNCTION steward.audit_redact(bigint, jsonb, jsonb, text) IS
  'Replace the values of an audit record (e.g. personal data under an erasure request) so that the log still verifies: the digest keeps covering the originals through their hashes, and the redaction is itself recorded';
REVOKE EXECUTE ON FUNCTION steward.audit_redact(bigint, jsonb, jsonb, text) FROM PUBLIC;

-- ---- retention
--
-- audit_purge(older_than) removes the records of transactions that began
-- before older_than: it drops the monthly partitions that end by then (cheap)
-- and deletes the older records of the others.  Seals stay verifiable: the
-- purge first checks every sealed window it touches against its seal (it
-- will not launder a tampered window), then signs, with the key, what it
-- left of each window; audit_verify checks the windows against that.  The
-- purge itself is recorded (AUDIT PURGE).

CREATE FUNCTION steward.audit_purge(older_than timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET steward.audit_ddl = off
-- partition bounds are read back as text: in a fixed form
SET TimeZone = 'UTC'
SET DateStyle = 'ISO'
AS $$
DECLARE
    n_purged bigint := 0;
    lo bigint;
    hi bigint;
    reach_id bigint;
    reach timestamptz;
    s steward.audit_seals;
    prev bytea := NULL;
    problem record;
    n bigint;
    part record;
    dropped text[] := '{}';
BEGIN
    IF older_than IS NULL THEN
        RAISE EXCEPTION 'older_than must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF older_than > now() THEN
        RAISE EXCEPTION 'older_than (%) is in the future', older_than
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'audit_purge removes the records of transactions that began before older_than.';
    END IF;
    -- no seal is made meanwhile
    LOCK TABLE steward.audit_seals IN SHARE ROW EXCLUSIVE MODE;
    -- the log's partitions with their bounds (NULL: unbounded, or default)
    CREATE TEMP TABLE audit_purge_parts ON COMMIT DROP AS
    SELECT c.oid::regclass AS rel, c.relname::text AS relname,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$FROM \('([^']*)'\)$re$)::timestamptz AS lower,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$TO \('([^']*)'\)$re$)::timestamptz AS upper
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'steward.audit_log'::regclass;
    -- partitions that end by older_than go whole: no one may write to them
    -- from now on
    FOR part IN SELECT * FROM audit_purge_parts WHERE upper <= older_than ORDER BY relname LOOP
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', part.rel);
    END LOOP;
    SELECT min(l.id), max(l.id) INTO lo, hi FROM steward.audit_log l WHERE l.xact_at < older_than;
    IF lo IS NULL THEN
        DROP TABLE audit_purge_parts;
        RETURN 0;
    END IF;
    -- the sealed windows the purge touches hold records of transactions that
    -- began before their end (ids follow the clock): freeze the partitions
    -- that can hold such records, so that what is checked below is what is
    -- signed after
    SELECT greatest(hi, max(x.id_to)) INTO reach_id
    FROM steward.audit_seals x WHERE x.id_to > lo AND x.id_from <= hi;
    reach := timestamptz '2000-01-01 00:00:00+00' + make_interval(secs => ((reach_id >> 22) + 1) / 1000.0);
    FOR part IN SELECT * FROM audit_purge_parts
                WHERE (upper IS NULL OR upper > older_than) AND (lower IS NULL OR lower < greatest(reach, older_than))
                ORDER BY relname LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE MODE', part.rel);
    END LOOP;
    SELECT min(l.id), max(l.id) INTO lo, hi FROM steward.audit_log l WHERE l.xact_at < older_than;
    -- every seal must be in its chain, and every window the purge touches
    -- must match what was signed for it: a purge never launders tampering
    FOR s IN SELECT * FROM steward.audit_seals x ORDER BY x.id LOOP
        SELECT * INTO problem
        FROM steward.audit_seal_problem(s, prev, s.id_to > lo AND s.id_from <= hi) p;
        IF problem.reason IS NOT NULL THEN
            RAISE EXCEPTION 'the audit log does not match its seals: nothing was purged'
                USING ERRCODE = 'data_corrupted',
                      DETAIL = problem.reason,
                      HINT = 'Run steward.audit_verify() to find the first broken record.';
        END IF;
        prev := s.seal;
    END LOOP;
    FOR part IN SELECT * FROM audit_purge_parts
                WHERE upper <= older_than OR lower IS NULL OR lower < older_than
                ORDER BY relname LOOP
        IF part.upper <= older_than THEN
            EXECUTE format('SELECT count(*) FROM %s', part.rel) INTO n;
            EXECUTE format('DROP TABLE %s', part.rel);
            dropped := dropped || part.relname;
        ELSE
            EXECUTE format('DELETE FROM %s WHERE xact_at < $1', part.rel) USING older_than;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        n_purged := n_purged + n;
    END LOOP;
    DROP TABLE audit_purge_parts;
    -- sign what is left of each sealed window
    UPDATE steward.audit_seals x
    SET purged_at = now(), (remaining, remaining_digest) =
        (SELECT w.records, w.records_digest FROM steward.audit_window(x.id_from, x.id_to) w)
    WHERE x.id_to > lo AND x.id_from <= hi;
    UPDATE steward.audit_seals x
    SET purge_seal = steward.audit_key_hmac(steward.audit_purge_message(x))
    WHERE x.id_to > lo AND x.id_from <= hi;
    PERFORM steward.audit_event('AUDIT PURGE', 'steward', 'audit_log',
                                jsonb_build_object('older_than', older_than, 'records', n_purged,
                                                   'partitions_dropped', to_jsonb(dropped)));
    RETURN n_purged;
END
$$;

COMMENT ON FUNCTION steward.audit_purge(timestamptz) IS
  'Remove the audit records of transactions that began before older_than (dropping whole monthly partitions where it can), keeping the seals verifiable; records the purge and returns how many records were removed';
REVOKE EXECUTE ON FUNCTION steward.audit_purge(timestamptz) FROM PUBLIC;
