-- ---------------------------------------------------------------------
-- Privacy: retention
--
-- A policy says how long a table's rows are kept (age_column older than
-- keep) and what happens after: delete the row or anonymize its personal
-- columns.  CALL steward.retention_run() works in batches along the
-- table's physical order (a TID range scan, so each batch starts where the
-- last ended instead of rescanning deleted rows) and commits after each, so
-- it never holds long locks or builds one huge transaction; rows a writer
-- has locked are skipped (SKIP LOCKED) and taken on the next run.  With the
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

-- One batch on one leaf table of a policy: the next batch_size expired rows
-- after tuple id "after", in physical order.  Index scans are off: they
-- would return rows out of physical order, and "after" would skip some.
CREATE FUNCTION steward.retention_batch(relation regclass, leaf regclass, after tid, user_path text,
                                        OUT rows bigint, OUT last tid)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET enable_indexscan = off
SET enable_bitmapscan = off
SET enable_indexonlyscan = off
SET synchronize_seqscans = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    p steward.retention_policies;
    cols text[];
    todo text;
BEGIN
    SELECT * INTO p FROM steward.retention_policies r WHERE r.relation = retention_batch.relation;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% has no retention policy', relation USING ERRCODE = 'undefined_object';
    END IF;
    IF p.action = 'delete' THEN
        PERFORM steward.privacy_use_path(user_path);
        EXECUTE format('WITH b AS (SELECT t.ctid FROM %1$s t WHERE t.ctid > $1 AND t.%2$I < now() - $2
                                   LIMIT $3 FOR UPDATE SKIP LOCKED),
                             d AS (DELETE FROM %1$s t USING b WHERE t.ctid = b.ctid RETURNING b.ctid)
                        SELECT count(*), max(ctid) FROM b',
                       leaf, p.age_column)
            INTO rows, last USING after, p.keep, p.batch_size;
        PERFORM steward.privacy_use_path(NULL);
    ELSE
        SELECT array_agg(x.column_name::text ORDER BY x.column_name) INTO cols
        FROM steward.personal_columns x WHERE x.relation = p.relation AND x.on_erase <> 'keep';
        IF cols IS NULL THEN
            RAISE EXCEPTION '% has no personal data to anonymize', relation USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        -- rows already anonymized are not changed again
        SELECT string_agg(steward.privacy_pending(p.relation, c), ' OR ') INTO todo FROM unnest(cols) c;
        PERFORM steward.privacy_use_path(user_path);
        EXECUTE format('WITH b AS (SELECT t.ctid FROM %1$s t WHERE t.ctid > $1 AND t.%2$I < now() - $2 AND (%3$s)
                                   LIMIT $3 FOR UPDATE SKIP LOCKED),
                             u AS (UPDATE %1$s t SET %4$s FROM b WHERE t.ctid = b.ctid RETURNING b.ctid)
                        SELECT count(*), max(ctid) FROM b',
                       leaf, p.age_column, todo,
                       (SELECT string_agg(format('%I = %s', c, steward.privacy_anonymizer(p.relation, c)), ', ')
                        FROM unnest(cols) c))
            INTO rows, last USING after, p.keep, p.batch_size;
        PERFORM steward.privacy_use_path(NULL);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.retention_batch(regclass, regclass, tid, text) IS
  'Internal: delete or anonymize the next batch of expired rows of one leaf table, after a tuple id; returns the count and the last tuple id';

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
               ORDER BY r.relation::text COLLATE "C"
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
