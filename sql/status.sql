--
-- status: counters per table and capability (the test instances preload
-- the library with steward.status_max_tables = 100, test/pg_steward.conf)
--
\set SHOW_CONTEXT never
SELECT steward.status_available();
SELECT steward.status_reset() >= 0 AS reset;
SELECT count(*) FROM steward.status();

CREATE ROLE status_user;
CREATE TABLE st_plain (id int PRIMARY KEY, v int, version int NOT NULL DEFAULT 1);
SELECT steward.audit_enable('st_plain');
SELECT steward.notify_enable('st_plain');
SELECT steward.versioning_enable('st_plain');
SELECT steward.audit_reads('st_plain');

-- a known workload: 10 inserts, 3 updates (each bumps the row version, so
-- each is a change), 2 deletes
INSERT INTO st_plain (id, v) SELECT g, g FROM generate_series(1, 10) g;
UPDATE st_plain SET v = v + 1, version = version WHERE id <= 2;
UPDATE st_plain SET v = v, version = version WHERE id = 3;
DELETE FROM st_plain WHERE id > 8;
-- a rolled-back transaction counts nothing
BEGIN;
INSERT INTO st_plain (id, v) VALUES (100, 0);
ROLLBACK;
-- a subtransaction that rolls back takes its counts with it; a released
-- one hands them to its parent, which commits
BEGIN;
INSERT INTO st_plain (id, v) VALUES (101, 0);
SAVEPOINT a;
INSERT INTO st_plain (id, v) VALUES (102, 0);
SAVEPOINT b;
INSERT INTO st_plain (id, v) VALUES (103, 0);
RELEASE b;
ROLLBACK TO a;
SAVEPOINT c;
INSERT INTO st_plain (id, v) VALUES (104, 0);
RELEASE c;
COMMIT;
-- an error inside a PL/pgSQL block (a subtransaction) rolls its count back
DO $$
BEGIN
  INSERT INTO st_plain (id, v) VALUES (105, 0);
  INSERT INTO st_plain (id, v) VALUES (1, 0);
EXCEPTION WHEN unique_violation THEN
  NULL;
END $$;
-- the counters do not move before commit
BEGIN;
INSERT INTO st_plain (id, v) VALUES (106, 0);
SELECT audit_rows FROM steward.status() WHERE table_name = 'st_plain'::regclass;
COMMIT;
-- a stale write is refused and counted at once, although it rolls back
UPDATE st_plain SET v = 0, version = 0 WHERE id = 1;
BEGIN;
UPDATE st_plain SET v = 0, version = 0 WHERE id = 2;
ROLLBACK;
-- reads: one record per committed statement that read rows of the table
-- (the two UPDATEs and the DELETE with a WHERE clause, and this SELECT)
SELECT count(*) FROM st_plain;
SELECT table_name, audit_rows, audit_reads, notifications, version_conflicts,
       since <= now() AS since_ok
  FROM steward.status() ORDER BY table_name;

SELECT steward.audit_reads('st_plain', false);

-- a prepared transaction counts when it is prepared (a NOTIFY cannot be
-- prepared: this table is audited only)
CREATE TABLE st_prep (id int PRIMARY KEY);
SELECT steward.audit_enable('st_prep');
BEGIN;
INSERT INTO st_prep VALUES (1), (2);
PREPARE TRANSACTION 'status_gid';
SELECT audit_rows FROM steward.status() WHERE table_name = 'st_prep'::regclass;
COMMIT PREPARED 'status_gid';
SELECT audit_rows FROM steward.status() WHERE table_name = 'st_prep'::regclass;

-- a partitioned table counts as one table
CREATE TABLE st_parted (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE st_parted_1 PARTITION OF st_parted FOR VALUES FROM (0) TO (100);
CREATE TABLE st_parted_2 PARTITION OF st_parted FOR VALUES FROM (100) TO (200);
SELECT steward.audit_enable('st_parted');
SELECT steward.notify_enable('st_parted');
INSERT INTO st_parted VALUES (1, 1), (150, 1), (160, 1);
UPDATE st_parted SET v = 2 WHERE id = 1;
SELECT table_name, audit_rows, notifications FROM steward.status()
 WHERE table_name IN ('st_parted'::regclass, 'st_parted_1'::regclass, 'st_parted_2'::regclass);

-- anyone may read the counters; resetting needs a privilege
SET ROLE status_user;
SELECT count(*) > 0 AS visible FROM steward.status();
SELECT steward.status_reset();
RESET ROLE;

-- one table's counters, then the rest
SELECT steward.status_reset('st_parted');
SELECT table_name FROM steward.status() ORDER BY 1;
SELECT steward.status_reset('st_parted');
-- a dropped table's row stays (as its OID) until a reset
DROP TABLE st_prep;
SELECT count(*) FROM steward.status() WHERE table_name::text ~ '^[0-9]+$';
SELECT steward.status_reset();
SELECT count(*) FROM steward.status();
SELECT steward.status_reset(NULL::regclass);

-- erasures and retention count the rows they delete or anonymize, on the
-- table; a dry run counts nothing
SET steward.privacy_key = 'status test key 0123456789';
CREATE TABLE st_people (id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE st_visits (id int PRIMARY KEY, person int NOT NULL REFERENCES st_people, at timestamptz NOT NULL);
INSERT INTO st_people VALUES (1, 'a@example.com'), (2, 'b@example.com');
INSERT INTO st_visits SELECT g, 1 + g % 2, now() - make_interval(days => g) FROM generate_series(1, 10) g;
SELECT steward.subject_define('st_person', 'st_people');
SELECT steward.personal_data('st_people', 'email', 'contact');
SELECT count(*) AS planned FROM steward.subject_erase('st_person', '1');
SELECT table_name, erased_rows FROM steward.status() WHERE erased_rows > 0;
SELECT count(*) AS steps FROM steward.subject_erase('st_person', '1', dry_run => false);
SELECT table_name, erased_rows, retention_rows FROM steward.status() WHERE erased_rows > 0 ORDER BY 1;
SELECT steward.retention_set('st_visits', 'at', '6 days');
CALL steward.retention_run('st_visits');
SELECT table_name, erased_rows, retention_rows FROM steward.status() WHERE retention_rows > 0;
-- only a role that could change the rows can count them (UPDATE of one
-- column is enough: an officer anonymizing may hold no more)
SET ROLE status_user;
SELECT steward.status_note('st_visits', 'retention', 1000);
RESET ROLE;
GRANT UPDATE (at) ON st_visits TO status_user;
SET ROLE status_user;
SELECT steward.status_note('st_visits', 'retention', 1);
RESET ROLE;
REVOKE UPDATE (at) ON st_visits FROM status_user;
SELECT table_name, retention_rows FROM steward.status() WHERE retention_rows > 0;
SELECT steward.status_note('st_visits', 'retention', 2000000000000);
SELECT steward.status_note('st_visits', 'nonsense', 1);
SELECT steward.status_note('st_visits', 'retention', -1);
SELECT steward.subject_drop('st_person');
DROP TABLE st_visits, st_people;
SELECT steward.status_reset() >= 0 AS reset;

-- beyond steward.status_max_tables (100), tables share one row
DO $$
BEGIN
  FOR i IN 1..105 LOOP
    EXECUTE format('CREATE TABLE %I (id int)', 'st_many_' || i);
    PERFORM steward.notify_enable(format('%I', 'st_many_' || i)::regclass);
    EXECUTE format('INSERT INTO %I VALUES (1), (2)', 'st_many_' || i);
  END LOOP;
END $$;
SELECT count(*) AS tables, sum(notifications) AS notifications
  FROM steward.status() WHERE table_name IS NOT NULL;
SELECT notifications FROM steward.status() WHERE table_name IS NULL;
-- a table with a row of its own keeps counting there (which tables got
-- one depends on the order a transaction's counts are added in)
SELECT table_name AS own FROM steward.status() WHERE table_name IS NOT NULL ORDER BY 1 LIMIT 1 \gset
INSERT INTO :own VALUES (3);
SELECT notifications FROM steward.status() WHERE table_name = :'own'::regclass;
SELECT steward.status_reset();
SELECT count(*) FROM steward.status();

DO $$
BEGIN
  FOR i IN 1..105 LOOP
    EXECUTE format('DROP TABLE %I', 'st_many_' || i);
  END LOOP;
END $$;
DROP TABLE st_plain, st_parted;
DROP ROLE status_user;
