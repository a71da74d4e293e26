--
-- Audit logging: the write cost of audit_enable.
--
-- items(id bigserial pk, tenant_id int, name text, email text, payload jsonb
-- ~100 bytes, updated_at timestamptz), synchronous_commit = off.  Three
-- identical tables: no audit (baseline); a lower bound that writes the
-- same information without a trigger (the timed statement is a writable
-- CTE that also inserts to_jsonb(row) into a log table); and audit_enable.
-- Workloads: INSERT of 100,000 rows in one statement, UPDATE of all of
-- them, DELETE of all; then pgbench with 2 clients doing single-row
-- UPDATEs by random id for 20 s.
--
\echo '== audit: INSERT / UPDATE / DELETE of 100,000 rows (best of 5)'
CREATE TABLE bench.log_lb (id bigserial, logged_at timestamptz DEFAULT now(), op text, data jsonb);
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['items_base', 'items_lb', 'items_audit'] LOOP
        EXECUTE format('CREATE TABLE bench.%I (id bigserial PRIMARY KEY, tenant_id int, name text,
                        email text, payload jsonb, updated_at timestamptz)', t);
    END LOOP;
END $$;
SELECT steward.audit_enable('bench.items_audit') \gset

CREATE PROCEDURE bench.audit_round(round int)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    v text;
    ins text := $q$SELECT g % 100, 'name ' || g, 'user' || g || '@example.com',
                   jsonb_build_object('n', g, 'text', 'some text for the payload', 'tags', ARRAY['a', 'b', 'c'], 'ok', true),
                   now() FROM generate_series(1, 100000) g$q$;
BEGIN
    TRUNCATE bench.log_lb;
    -- an empty log, in the state a new month's partition starts in
    -- (TRUNCATE rebuilds the indexes, which audit_maintain() then prepares)
    TRUNCATE steward.audit_log;
    PERFORM steward.audit_maintain();
    COMMIT;
    FOREACH v IN ARRAY ARRAY['base', 'lb', 'audit'] LOOP
        EXECUTE format('TRUNCATE bench.items_%s RESTART IDENTITY', v);
    END LOOP;
    COMMIT;
    -- no checkpoint starts during the round (see test/bench/run), so none
    -- falls on one case's statement: every case writes pages made after this
    CHECKPOINT;
    FOREACH v IN ARRAY ARRAY['base', 'lb', 'audit'] LOOP
        -- INSERT
        t0 := clock_timestamp();
        IF v = 'lb' THEN
            EXECUTE 'WITH w AS (INSERT INTO bench.items_lb (tenant_id, name, email, payload, updated_at) ' || ins
                    || ' RETURNING *) INSERT INTO bench.log_lb (op, data) SELECT ''INSERT'', to_jsonb(w) FROM w';
        ELSE
            EXECUTE format('INSERT INTO bench.items_%s (tenant_id, name, email, payload, updated_at) ', v) || ins;
        END IF;
        INSERT INTO bench.results VALUES ('audit_insert', CASE v WHEN 'base' THEN 1 WHEN 'lb' THEN 2 ELSE 3 END,
            CASE v WHEN 'base' THEN 'no audit (baseline)' WHEN 'lb' THEN 'lower bound: writable CTE + to_jsonb' ELSE 'steward.audit_enable' END,
            extract(epoch FROM clock_timestamp() - t0) * 1000);
        COMMIT;
        -- UPDATE
        t0 := clock_timestamp();
        IF v = 'lb' THEN
            WITH w AS (UPDATE bench.items_lb SET name = name || '!', updated_at = now() RETURNING *)
            INSERT INTO bench.log_lb (op, data) SELECT 'UPDATE', to_jsonb(w) FROM w;
        ELSE
            EXECUTE format('UPDATE bench.items_%s SET name = name || ''!'', updated_at = now()', v);
        END IF;
        INSERT INTO bench.results VALUES ('audit_update', CASE v WHEN 'base' THEN 1 WHEN 'lb' THEN 2 ELSE 3 END,
            CASE v WHEN 'base' THEN 'no audit (baseline)' WHEN 'lb' THEN 'lower bound: writable CTE + to_jsonb' ELSE 'steward.audit_enable' END,
            extract(epoch FROM clock_timestamp() - t0) * 1000);
        COMMIT;
        -- DELETE
        t0 := clock_timestamp();
        IF v = 'lb' THEN
            WITH w AS (DELETE FROM bench.items_lb RETURNING *)
            INSERT INTO bench.log_lb (op, data) SELECT 'DELETE', to_jsonb(w) FROM w;
        ELSE
            EXECUTE format('DELETE FROM bench.items_%s', v);
        END IF;
        INSERT INTO bench.results VALUES ('audit_delete', CASE v WHEN 'base' THEN 1 WHEN 'lb' THEN 2 ELSE 3 END,
            CASE v WHEN 'base' THEN 'no audit (baseline)' WHEN 'lb' THEN 'lower bound: writable CTE + to_jsonb' ELSE 'steward.audit_enable' END,
            extract(epoch FROM clock_timestamp() - t0) * 1000);
        COMMIT;
    END LOOP;
END $$;

CALL bench.audit_round(1);
CALL bench.audit_round(2);
CALL bench.audit_round(3);
CALL bench.audit_round(4);
CALL bench.audit_round(5);
SELECT * FROM bench.report('audit_insert');
SELECT * FROM bench.report('audit_update');
SELECT * FROM bench.report('audit_delete');

-- the size of what was recorded: one round's UPDATE of 100,000 rows
TRUNCATE steward.audit_log;
SELECT count(*) AS partitions_created FROM steward.audit_maintain() \gset
INSERT INTO bench.items_audit (tenant_id, name, email, payload, updated_at)
  SELECT g % 100, 'name ' || g, 'user' || g || '@example.com',
         jsonb_build_object('n', g, 'text', 'some text for the payload', 'tags', ARRAY['a', 'b', 'c'], 'ok', true), now()
  FROM generate_series(1, 100000) g;
SELECT round(sum(pg_column_size(l.*))::numeric / count(*)) AS bytes_per_insert_record
FROM steward.audit_log l WHERE operation = 'INSERT';
SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS log_size_with_indexes_after_100000_inserts,
       round(sum(pg_total_relation_size(c.oid)) / 100000.0) AS bytes_per_change
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'steward.audit_log'::regclass;

\echo '== audit: pgbench, 2 clients, single-row UPDATE by random id, 4 rounds of 5 s (best)'
DO $$
DECLARE
    v text;
BEGIN
    FOREACH v IN ARRAY ARRAY['base', 'lb', 'audit'] LOOP
        EXECUTE format('TRUNCATE bench.items_%s RESTART IDENTITY', v);
        EXECUTE format('INSERT INTO bench.items_%s (tenant_id, name, email, payload, updated_at)
                        SELECT g %% 100, ''name '' || g, ''user'' || g || ''@example.com'',
                               jsonb_build_object(''n'', g, ''text'', ''some text for the payload''), now()
                        FROM generate_series(1, 100000) g', v);
    END LOOP;
END $$;
VACUUM ANALYZE bench.items_base, bench.items_lb, bench.items_audit;
CHECKPOINT;
\! "$STEWARD_BENCH_DIR/pgbench-ratios.sh"

DROP PROCEDURE bench.audit_round(int);
SELECT steward.audit_disable('bench.items_audit') \gset
DROP TABLE bench.items_base, bench.items_lb, bench.items_audit, bench.log_lb;
