-- ---------------------------------------------------------------------
-- Privacy: retention
--
-- A policy says how long a table's rows are kept (age_column older than
-- keep) and what happens after: delete the row or anonymize its personal
-- columns.  CALL steward.retention_run() works in batches along the
-- table's physical order (ranges of blocks read by a TID range scan, so
-- the batches of a run read the table once) and commits after each, so it
-- never holds long locks or builds one huge transaction.  With the
-- library preloaded a background worker runs it every
-- steward.retention_interval (see src/privacy/retention.c).
-- ---------------------------------------------------------------------

CREATE TABLE steward.retention_policies (
    relation    regclass    PRIMARY KEY,
    age_column  name        NOT NULL,
    keep        interval    NOT NULL,
    action      text        NOT NULL CHECK (action IN ('delete', 'anonymize')),
    batch_size  integer     NOT NULL CHECK (batch_size BETWEEN 1 AND 1000000),
    defined_by  name        NOT NULL,
    defined_at  timestamptz NOT NULL
);

COMMENT ON TABLE steward.retention_policies IS
  'Retention policies (steward.retention_set): rows whose age_column is older than keep are deleted or anonymized by steward.retention_run; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.retention_policies', '');
REVOKE ALL ON steward.retention_policies FROM PUBLIC;
GRANT SELECT ON steward.retention_policies TO PUBLIC;

-- Run state: not dumped (a restored database has not run its retention).
CREATE TABLE steward.retention_runs (
    relation     regclass    PRIMARY KEY,
    started_at   timestamptz,
    finished_at  timestamptz,
    status       text        NOT NULL,
    rows         bigint      NOT NULL DEFAULT 0,
    batches      bigint      NOT NULL DEFAULT 0,
    error        text,
    runs         bigint      NOT NULL DEFAULT 0,
    total_rows   bigint      NOT NULL DEFAULT 0
);

COMMENT ON TABLE steward.retention_runs IS
  'The last retention run of each table: when, status, rows and batches; totals over all runs';
REVOKE ALL ON steward.retention_runs FROM PUBLIC;
GRANT SELECT ON steward.retention_runs TO PUBLIC;

CREATE FUNCTION steward.retention_write(relation regclass, age_column name, keep interval, action text,
                                        batch_size integer)
RETURNS void LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'steward_retention_write';
COMMENT ON FUNCTION steward.retention_write(regclass, name, interval, text, integer) IS
  'Internal: record a retention policy (NULL age_column: remove it); the caller must own the table';

CREATE FUNCTION steward.retention_note(relation regclass, status text, rows bigint, batches bigint, error text)
RETURNS void LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'steward_retention_note';
COMMENT ON FUNCTION steward.retention_note(regclass, text, bigint, bigint, text) IS
  'Internal: record the state of a table''s retention run (status running, done or failed); the caller must own the table';

CREATE FUNCTION steward.retention_set(relation regclass, age_column name, keep interval,
                                      action text DEFAULT 'delete', batch_size integer DEFAULT 10000)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col record;
BEGIN
    col := steward.privacy_column(relation, age_column);
    IF col.atttypid NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % is not a date or timestamp', age_column, relation
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF keep IS NULL OR keep <= interval '0' THEN
        RAISE EXCEPTION 'keep must be a positive interval' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF action IS NULL OR action NOT IN ('delete', 'anonymize') THEN
        RAISE EXCEPTION 'action must be delete or anonymize' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 1000000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF action = 'anonymize' AND NOT EXISTS (SELECT FROM steward.personal_columns p
                                            WHERE p.relation = retention_set.relation AND p.on_erase <> 'keep') THEN
        RAISE EXCEPTION '% has no personal data to anonymize', relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Declare its personal columns with steward.personal_data() first.';
    END IF;
    PERFORM steward.retention_write(relation, age_column, keep, action, batch_size);
END
$$;

COMMENT ON FUNCTION steward.retention_set(regclass, name, interval, text, integer) IS
  'Keep a table''s rows for keep after age_column, then delete them or anonymize their personal columns (steward.retention_run, in batches)';

CREATE FUNCTION steward.retention_drop(relation regclass)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT steward.retention_write(relation, NULL, NULL, NULL, NULL)
$$;

COMMENT ON FUNCTION steward.retention_drop(regclass) IS 'Remove a table''s retention policy';

-- One batch on one leaf table of a policy: the expired rows in the next
-- range of blocks from the block of tuple id "start", a range that holds
-- about batch_size rows (by the table's rows per page in pg_class).  Rows
-- are taken by where they are (a TID range scan), not by an index, so that
-- a batch reads only its own blocks and the batches of a run read the table
-- once; the next batch starts at the block after the range whatever the
-- batch did (a row that a writer moved meanwhile is left for the next run).
-- last: the start of the next range, NULL when the leaf is done.
CREATE FUNCTION steward.retention_batch(relation regclass, leaf regclass, start tid, user_path text,
                                        OUT rows bigint, OUT last tid)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET enable_indexscan = off
SET enable_bitmapscan = off
SET enable_indexonlyscan = off
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
-- the settings above make every plan look costly, the catalog look-ups'
-- too: without this, each batch would compile them (about 0.5 s each)
SET jit = off
AS $$
DECLARE
    p steward.retention_policies;
    cols text[];
    pending_cond text;
    nblocks bigint;
    first_block bigint := (start::text::point)[0]::bigint;
    stop_block bigint;
    per_page float8;
    stmt text;
    stop tid;
    keep_for interval;
BEGIN
    SELECT * INTO p FROM steward.retention_policies r WHERE r.relation = retention_batch.relation;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% has no retention policy', relation USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT EXISTS (SELECT FROM steward.retention_leaves(relation) l WHERE l = leaf) THEN
        RAISE EXCEPTION '% does not hold rows of %', leaf, relation USING ERRCODE = 'invalid_parameter_value';
    END IF;
    nblocks := pg_relation_size(leaf) / current_setting('block_size')::bigint;
    IF first_block >= nblocks THEN
        rows := 0;
        last := NULL;
        RETURN;
    END IF;
    SELECT CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages ELSE 100 END
    INTO per_page FROM pg_class c WHERE c.oid = leaf;
    stop_block := first_block + greatest(1, ceil(p.batch_size / greatest(per_page, 1)))::bigint;
    -- the statement is built here and runs with the caller's search_path
    -- (nothing else may be parsed meanwhile): operators are schema-qualified
    stop := format('(%s,0)', stop_block)::tid;
    keep_for := p.keep;
    IF p.action = 'delete' THEN
        stmt := format('DELETE FROM %1$s t WHERE t.ctid OPERATOR(pg_catalog.>=) $1 AND t.ctid OPERATOR(pg_catalog.<) $2
                          AND t.%2$I OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $3)',
                       leaf, p.age_column);
        PERFORM steward.privacy_use_path(user_path);
        EXECUTE stmt USING start, stop, keep_for;
        GET DIAGNOSTICS rows = ROW_COUNT;
        PERFORM steward.privacy_use_path(NULL);
    ELSE
        SELECT array_agg(x.column_name::text ORDER BY x.column_name) INTO cols
        FROM steward.personal_columns x WHERE x.relation = p.relation AND x.on_erase <> 'keep';
        IF cols IS NULL THEN
            RAISE EXCEPTION '% has no personal data to anonymize', relation USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        -- rows already anonymized are not changed again
        SELECT string_agg(steward.privacy_pending(p.relation, c), ' OR ') INTO pending_cond FROM unnest(cols) c;
        stmt := format('UPDATE %1$s t SET %4$s WHERE t.ctid OPERATOR(pg_catalog.>=) $1 AND t.ctid OPERATOR(pg_catalog.<) $2
                          AND t.%2$I OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $3) AND (%3$s)',
                       leaf, p.age_column, pending_cond,
                       (SELECT string_agg(format('%I = %s', c, steward.privacy_anonymizer(p.relation, c)), ', ')
                        FROM unnest(cols) c));
        PERFORM steward.privacy_use_path(user_path);
        EXECUTE stmt USING start, stop, keep_for;
        GET DIAGNOSTICS rows = ROW_COUNT;
        PERFORM steward.privacy_use_path(NULL);
    END IF;
    PERFORM steward.status_note(relation, 'retention', rows);
    last := CASE WHEN stop_block < nblocks THEN format('(%s,0)', stop_block)::tid END;
END
$$;

COMMENT ON FUNCTION steward.retention_batch(regclass, regclass, tid, text) IS
  'Internal: delete or anonymize the expired rows of one leaf table in the range of blocks (about batch_size rows) that starts at the block of a tuple id; returns the count and where the next range starts (NULL: done)';

CREATE FUNCTION steward.retention_leaves(relation regclass)
RETURNS SETOF regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT relation WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = relation AND c.relkind = 'p')
  UNION ALL
  SELECT t.relid FROM pg_partition_tree(relation) t
  WHERE t.isleaf AND EXISTS (SELECT FROM pg_class c WHERE c.oid = relation AND c.relkind = 'p')
$$;

COMMENT ON FUNCTION steward.retention_leaves(regclass) IS 'Internal: the tables holding a policy''s rows (the leaves of a partitioned table)';

-- No SET clause (a procedure that commits cannot have one): operators are
-- written OPERATOR(pg_catalog.x) so that the caller's search_path cannot
-- change their meaning.
CREATE PROCEDURE steward.retention_run(relation regclass DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    pol regclass;
    leaf regclass;
    after tid;
    b record;
    total bigint;
    batches bigint;
    failure text;
BEGIN
    FOR pol IN SELECT r.relation FROM steward.retention_policies r
               WHERE retention_run.relation IS NULL OR r.relation OPERATOR(pg_catalog.=) retention_run.relation
               ORDER BY r.relation::text COLLATE pg_catalog."C"
    LOOP
        total := 0;
        batches := 0;
        PERFORM steward.retention_note(pol, 'running', 0::bigint, 0::bigint, NULL::text);
        COMMIT;
        failure := NULL;
        FOR leaf IN SELECT l FROM steward.retention_leaves(pol) l LOOP
            after := '(0,0)';
            LOOP
                -- an error ends this policy's run (what was committed stays
                -- done) and the run goes on with the next policy
                BEGIN
                    b := steward.retention_batch(pol, leaf, after, pg_catalog.current_setting('search_path'));
                EXCEPTION WHEN OTHERS THEN
                    failure := SQLERRM;
                END;
                EXIT WHEN failure IS NOT NULL;
                total := total OPERATOR(pg_catalog.+) b.rows;
                batches := batches OPERATOR(pg_catalog.+) 1::bigint;
                EXIT WHEN b.last IS NULL;
                after := b.last;
                PERFORM steward.retention_note(pol, 'running', total, batches, NULL::text);
                COMMIT;
            END LOOP;
            EXIT WHEN failure IS NOT NULL;
        END LOOP;
        IF failure IS NULL THEN
            PERFORM steward.retention_note(pol, 'done', total, batches, NULL::text);
        ELSE
            PERFORM steward.retention_note(pol, 'failed', total, batches, failure);
            RAISE WARNING 'retention of % failed: %', pol, failure;
        END IF;
        COMMIT;
    END LOOP;
END
$$;

COMMENT ON PROCEDURE steward.retention_run(regclass) IS
  'Apply the retention policies (of one table, or all): expired rows deleted or anonymized in batches, each committed; progress and results in steward.retention_status';

CREATE VIEW steward.retention_status AS
  SELECT p.relation, p.age_column, p.keep, p.action, p.batch_size,
         r.status, r.started_at, r.finished_at, r.rows AS last_rows, r.batches AS last_batches, r.error,
         coalesce(r.runs, 0) AS runs, coalesce(r.total_rows, 0) AS total_rows
  FROM steward.retention_policies p
  LEFT JOIN steward.retention_runs r ON r.relation = p.relation;

COMMENT ON VIEW steward.retention_status IS
  'Each retention policy with its last run: status (running, done, failed), when, rows and batches, and totals';
GRANT SELECT ON steward.retention_status TO PUBLIC;
