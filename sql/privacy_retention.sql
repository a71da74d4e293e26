--
-- privacy_retention: retention policies, runs in batches (delete and
-- anonymize, partitioned tables), status, errors, privileges
--
\set SHOW_CONTEXT never
-- rows of ~1 kB (pad), about 8 a page: 100 rows over 13 pages; a batch is
-- a range of pages that holds about batch_size rows (by pg_class's figures)
CREATE TABLE pr_logs (id serial PRIMARY KEY, at timestamptz NOT NULL, ip text, agent text,
                      pad text DEFAULT repeat('.', 900));
INSERT INTO pr_logs (at, ip, agent)
SELECT now() - make_interval(days => i), '10.0.0.' || (i % 250), 'agent ' || i FROM generate_series(1, 100) i;
ANALYZE pr_logs;
SELECT relpages, reltuples FROM pg_class WHERE oid = 'pr_logs'::regclass;

-- errors
SELECT steward.retention_set('pr_logs', 'ip', '30 days');
SELECT steward.retention_set('pr_logs', 'at', '-1 day');
SELECT steward.retention_set('pr_logs', 'at', '30 days', 'archive');
SELECT steward.retention_set('pr_logs', 'at', '30 days', batch_size => 0);
SELECT steward.retention_set('pr_logs', 'at', '30 days', 'anonymize');
SELECT steward.retention_set('pr_logs', 'nope', '30 days');

-- delete: the 71 rows 30 days old and older, in batches of 8
SELECT steward.retention_set('pr_logs', 'at', '30 days', batch_size => 8);
SELECT relation, age_column, keep, action, batch_size, status, runs FROM steward.retention_status;
CALL steward.retention_run();
SELECT count(*) AS kept, min(at) > now() - interval '30 days' AS only_recent FROM pr_logs;
SELECT relation, status, last_rows, last_batches, error, runs, total_rows, finished_at >= started_at AS finished
  FROM steward.retention_status;
-- nothing left to do: the same ranges, read again, 0 rows
CALL steward.retention_run('pr_logs');
SELECT status, last_rows, last_batches, runs, total_rows FROM steward.retention_status;

-- anonymize: the personal columns of rows older than 10 days, once
SELECT steward.personal_data('pr_logs', 'ip', 'online identifier', 'anonymize');
SELECT steward.personal_data('pr_logs', 'agent', 'online identifier', 'keep');
SELECT steward.retention_set('pr_logs', 'at', '10 days', 'anonymize', 4);
CALL steward.retention_run('pr_logs');
SELECT count(*) FILTER (WHERE ip IS NULL) AS anonymized, count(*) FILTER (WHERE agent IS NULL) AS agent_kept_null,
       count(*) AS rows FROM pr_logs;
SELECT bool_and(ip IS NULL) AS old_ones_anonymized FROM pr_logs WHERE at < now() - interval '10 days';
SELECT bool_and(ip IS NOT NULL) AS recent_ones_kept FROM pr_logs WHERE at > now() - interval '9 days';
CALL steward.retention_run('pr_logs');
SELECT status, last_rows, runs, total_rows FROM steward.retention_status;

-- a partitioned table: every partition
CREATE TABLE pr_events (at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE pr_events_old PARTITION OF pr_events FOR VALUES FROM ('2000-01-01') TO ('2020-01-01');
CREATE TABLE pr_events_new PARTITION OF pr_events FOR VALUES FROM ('2020-01-01') TO ('2100-01-01');
INSERT INTO pr_events SELECT timestamptz '2019-06-01' + make_interval(days => i), 'k' FROM generate_series(1, 20) i;
INSERT INTO pr_events SELECT now() - make_interval(days => i), 'k' FROM generate_series(1, 5) i;
SELECT steward.retention_set('pr_events', 'at', '1 year', batch_size => 3);
SELECT steward.retention_set('pr_events_old', 'at', '1 year');
CALL steward.retention_run('pr_events');
SELECT tableoid::regclass, count(*) FROM pr_events GROUP BY 1 ORDER BY 1::text;
SELECT relation, status, last_rows FROM steward.retention_status ORDER BY relation::text;

-- a failing run is recorded and the others go on
CREATE FUNCTION pr_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'kept forever'; END $$;
CREATE TRIGGER pr_refuse BEFORE DELETE ON pr_events_new FOR EACH ROW EXECUTE FUNCTION pr_refuse();
INSERT INTO pr_events VALUES ('2019-01-01', 'late');
SELECT steward.retention_set('pr_events', 'at', '1 day', batch_size => 100);
CALL steward.retention_run();
SELECT relation, status, error FROM steward.retention_status ORDER BY relation::text;
SELECT count(*) AS old_partition_emptied FROM pr_events_old;
DROP TRIGGER pr_refuse ON pr_events_new;

-- privileges: only the owner sets a policy; the status is public
CREATE ROLE pr_other;
GRANT SELECT, DELETE ON pr_logs TO pr_other;
SET ROLE pr_other;
SELECT steward.retention_set('pr_logs', 'at', '1 day');
SELECT steward.retention_drop('pr_logs');
SELECT relation, status FROM steward.retention_status ORDER BY relation::text;
SELECT steward.retention_note('pr_logs', 'done', 0, 0, NULL);
INSERT INTO steward.retention_policies VALUES ('pr_logs', 'at', '1 day', 'delete', 1, 'me', now());
RESET ROLE;

-- dropping a table drops its policy; retention_drop removes one
DROP TABLE pr_events;
SELECT steward.retention_drop('pr_logs');
SELECT count(*) AS policies FROM steward.retention_policies;
DROP TABLE pr_logs;
DROP FUNCTION pr_refuse();
DROP OWNED BY pr_other;
DROP ROLE pr_other;
