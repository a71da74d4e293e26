--
-- audit_purge: records of transactions older than a bound go - whole
-- monthly partitions are dropped, the rest deleted - and the seals of the
-- windows touched stay verifiable; a tampered window is never purged.
--
\set SHOW_CONTEXT never
-- start from an empty log, as a new installation would (records dated
-- 2020 are planted below: in a window sealed by the earlier tests, they
-- would rightly count as tampering)
TRUNCATE steward.audit_log, steward.audit_seals RESTART IDENTITY;
CREATE TABLE purged (id int PRIMARY KEY, v text);
SELECT steward.audit_enable('purged');
INSERT INTO purged VALUES (1, 'kept');

-- records as the trigger would have written them in 2020: two in January
-- and one in February (each month a partition of its own), one in March
-- (in the default partition)
CREATE TABLE steward.audit_log_y2020m01 PARTITION OF steward.audit_log
    FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-02-01 00:00+00');
CREATE TABLE steward.audit_log_y2020m02 PARTITION OF steward.audit_log
    FOR VALUES FROM ('2020-02-01 00:00+00') TO ('2020-03-01 00:00+00');
CREATE TEMP TABLE old_records (LIKE steward.audit_log);
INSERT INTO old_records (id, xact_at, stmt_at, txid, stmt, operation, schema_name, table_name,
                         row_key, new_values, session_role, effective_role, row_hash)
SELECT ((extract(epoch FROM t - timestamptz '2000-01-01 00:00+00') * 1000)::bigint << 22) + g,
       t, t, 1000 + g, 0, 'INSERT', 'public', 'purged',
       jsonb_build_object('id', 100 + g), jsonb_build_object('id', 100 + g, 'v', 'old'),
       'someone', 'someone', steward.audit_row_hash('public', 'purged', jsonb_build_object('id', 100 + g))
FROM unnest(ARRAY[timestamptz '2020-01-10 12:00+00', '2020-01-20 12:00+00',
                  '2020-02-10 12:00+00', '2020-03-15 12:00+00']) WITH ORDINALITY AS x(t, g);
UPDATE old_records o SET digest = steward.audit_record_digest(ROW(o.*)::steward.audit_log);
INSERT INTO steward.audit_log SELECT * FROM old_records;
SELECT CASE WHEN xact_at < '2021-01-01' THEN tableoid::regclass::text ELSE 'this month' END AS partition,
       count(*)
FROM steward.audit_log WHERE table_name = 'purged' GROUP BY 1 ORDER BY 1;

SELECT records >= 5 AS sealed_all FROM steward.audit_seal();
SELECT first_broken IS NULL AS intact, reason FROM steward.audit_verify();

-- bad bounds
SELECT steward.audit_purge(NULL);
\echo :LAST_ERROR_SQLSTATE
DO $$
BEGIN
    PERFORM steward.audit_purge(now() + interval '1 day');
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'refused: %', regexp_replace(SQLERRM, '\(.*\)', '(tomorrow)');
END
$$;

-- a window whose records no longer match its seal is not purged (that
-- would hide the tampering)
CREATE FUNCTION pg_temp.try_purge(bound timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    detail text;
BEGIN
    PERFORM steward.audit_purge(bound);
    RETURN 'purged';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
    RETURN state || ': ' || regexp_replace(detail, '\d{6,}', 'N', 'g');
END
$$;
BEGIN;
DELETE FROM steward.audit_log WHERE row_key = '{"id": 102}';
SELECT pg_temp.try_purge('2020-02-01 00:00+00');
ROLLBACK;
-- nor one whose seal claims, without the key, that a purge left it so
BEGIN;
DELETE FROM steward.audit_log WHERE row_key = '{"id": 102}';
UPDATE steward.audit_seals x SET purged_at = now(), purge_seal = '\x00',
       (remaining, remaining_digest) = (SELECT w.records, w.records_digest
                                        FROM steward.audit_window(x.id_from, x.id_to) w);
SELECT pg_temp.try_purge('2020-02-01 00:00+00');
ROLLBACK;
-- nor one whose seals were rewritten to match (the chain needs the key)
BEGIN;
DELETE FROM steward.audit_log WHERE row_key = '{"id": 102}';
UPDATE steward.audit_seals x SET (records, records_digest) =
       (SELECT w.records, w.records_digest FROM steward.audit_window(x.id_from, x.id_to) w);
SELECT pg_temp.try_purge('2020-02-01 00:00+00');
ROLLBACK;

-- mid-month: the older record of January is deleted, the partition stays
SELECT steward.audit_purge('2020-01-15 00:00+00') AS purged;
SELECT to_regclass('steward.audit_log_y2020m01') IS NOT NULL AS january_kept,
       (SELECT count(*) FROM steward.audit_log_y2020m01) AS january_records;
SELECT first_broken IS NULL AS intact, reason FROM steward.audit_verify();
SELECT count(*) > 0 AS seals_purged FROM steward.audit_seals WHERE purged_at IS NOT NULL;

-- a month that has ended goes whole
SELECT steward.audit_purge('2020-02-01 00:00+00') AS purged;
SELECT to_regclass('steward.audit_log_y2020m01') IS NULL AS january_dropped,
       to_regclass('steward.audit_log_y2020m02') IS NOT NULL AS february_kept;
SELECT first_broken IS NULL AS intact, reason FROM steward.audit_verify();

-- February whole, and March's record from the default partition
SELECT steward.audit_purge('2020-03-20 00:00+00') AS purged;
SELECT to_regclass('steward.audit_log_y2020m02') IS NULL AS february_dropped,
       (SELECT count(*) FROM steward.audit_log WHERE row_key = '{"id": 104}') AS march_left;
SELECT first_broken IS NULL AS intact, reason FROM steward.audit_verify();
-- nothing older is left
SELECT steward.audit_purge('2020-03-20 00:00+00') AS purged;

-- every purge is itself recorded
SELECT detail ->> 'older_than' AS older_than, detail -> 'records' AS records,
       detail -> 'partitions_dropped' AS dropped
FROM steward.audit_log WHERE operation = 'AUDIT PURGE' ORDER BY id;

-- what is left still has its history, and still verifies
SELECT operation, new_values FROM steward.audit_history('purged', '{"id": 1}');

-- a record deleted from a purged window is still found
BEGIN;
DELETE FROM steward.audit_log WHERE table_name = 'purged' AND row_key = '{"id": 1}';
SELECT first_broken IS NOT NULL AS detected,
       reason ~ 'were deleted or added after seal \d+ \(\d+ records, \d+ left by the purge of' AS reason_ok
FROM steward.audit_verify();
ROLLBACK;
-- and so is a forged purge record
BEGIN;
UPDATE steward.audit_seals SET remaining = remaining + 1 WHERE purged_at IS NOT NULL;
SELECT reason ~ '^the purge record of seal \d+ was changed$' AS detected FROM steward.audit_verify();
ROLLBACK;
-- (or a purge made up for a window no purge touched)
INSERT INTO purged VALUES (2, 'sealed later');
SELECT records > 0 AS sealed_more FROM steward.audit_seal();
BEGIN;
UPDATE steward.audit_seals SET purged_at = now(), remaining = 0, remaining_digest = sha256('')
WHERE purged_at IS NULL;
SELECT first_broken IS NOT NULL OR reason IS NOT NULL AS detected FROM steward.audit_verify();
ROLLBACK;

-- not open to an ordinary role
CREATE ROLE purge_app;
SET ROLE purge_app;
SELECT steward.audit_purge('2020-01-01 00:00+00');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE purge_app;
DROP TABLE purged;
