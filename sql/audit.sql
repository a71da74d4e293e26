--
-- audit: row-change capture
--
\set SHOW_CONTEXT never
CREATE ROLE audit_owner;
CREATE ROLE audit_app;
GRANT CREATE ON SCHEMA public TO audit_owner;
-- what the tests below show of each row-change record (no ids, times or
-- txids; DDL records are tested at the end)
SELECT coalesce(max(id), 0) AS first_id FROM steward.audit_log \gset
CREATE VIEW audit_seen AS
  SELECT row_number() OVER (ORDER BY id) AS n, operation, schema_name || '.' || table_name AS tbl,
         row_key, old_values, new_values, actor_user, actor_tenant, session_role, effective_role
  FROM steward.audit_log WHERE operation <> 'DDL' AND id > :first_id;

SET ROLE audit_owner;
CREATE TABLE items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  int NOT NULL,
    name       text NOT NULL,
    price      numeric(8,2),
    ok         boolean,
    payload    jsonb,
    born       date,
    secret     text,
    note       text,
    name_len   int GENERATED ALWAYS AS (length(name)) STORED
);
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON items TO audit_app;
SELECT steward.audit_enable('items', exclude_columns => ARRAY['note'], hash_columns => ARRAY['secret']);
RESET ROLE;
SELECT relation, operations, exclude_columns, hash_columns, full_rows, skip_unchanged, capture_query, enabled_by
FROM steward.audit_tables;
SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'items'::regclass ORDER BY 1;
SELECT n, operation, tbl, session_role FROM audit_seen;

-- changes by the application role, with a context
SET ROLE audit_app;
BEGIN;
SELECT steward.context_set('u1', 't1');
INSERT INTO items (tenant_id, name, price, ok, payload, born, secret, note)
VALUES (1, 'apple', 1.50, true, '{"color": "red"}', '2020-02-29', 's3cret', 'not recorded'),
       (1, 'pear', NULL, false, '[1, 2]', NULL, NULL, NULL);
UPDATE items SET price = 2.00, note = 'still not recorded' WHERE name = 'apple';
-- an UPDATE that changes nothing is not recorded; one that changes only an
-- excluded column neither
UPDATE items SET price = price WHERE name = 'apple';
UPDATE items SET note = 'x' WHERE name = 'apple';
DELETE FROM items WHERE name = 'pear';
COMMIT;
RESET ROLE;
SELECT n, operation, tbl, row_key, old_values, new_values, actor_user, actor_tenant, session_role, effective_role
FROM audit_seen WHERE n > 1;
-- the keyed hash is HMAC-SHA256 of the value (here with an empty key)
CREATE EXTENSION pgcrypto;
SELECT new_values ->> 'secret' = encode(hmac('s3cret', '', 'sha256'), 'hex') AS hashed
FROM steward.audit_log WHERE operation = 'INSERT' AND new_values ->> 'name' = 'apple';

-- a rolled-back transaction leaves no record, nor does a rolled-back savepoint
SELECT count(*) AS before FROM steward.audit_log \gset
BEGIN;
INSERT INTO items (tenant_id, name) VALUES (1, 'rolled back');
ROLLBACK;
BEGIN;
INSERT INTO items (tenant_id, name) VALUES (1, 'kept');
SAVEPOINT s;
INSERT INTO items (tenant_id, name) VALUES (1, 'rolled back to savepoint');
ROLLBACK TO s;
COMMIT;
SELECT count(*) - :before AS new_records,
       (SELECT new_values ->> 'name' FROM steward.audit_log ORDER BY id DESC LIMIT 1) AS last_name
FROM steward.audit_log;

-- records are written in batches (up to 1,000) when their statement ends:
-- every change has its record, and the history index finds them
SELECT count(*) AS before FROM steward.audit_log \gset
INSERT INTO items (tenant_id, name) SELECT 3, 'bulk ' || g FROM generate_series(1, 2500) g;
SELECT count(*) - :before AS new_records FROM steward.audit_log;
SELECT operation, new_values ->> 'name' AS name
FROM steward.audit_history('items', (SELECT jsonb_build_object('id', id) FROM items WHERE name = 'bulk 1234'));
DELETE FROM items WHERE tenant_id = 3;
SELECT count(*) - :before AS new_records,
       count(*) FILTER (WHERE operation = 'DELETE' AND old_values ->> 'name' LIKE 'bulk %') AS deletes
FROM steward.audit_log;

-- the next statement sees them, even within one function
DO $$
DECLARE
  n bigint;
BEGIN
  INSERT INTO items (tenant_id, name) VALUES (5, 'seen at once');
  SELECT count(*) INTO n FROM steward.audit_log WHERE new_values ->> 'name' = 'seen at once';
  RAISE NOTICE 'records seen by the next statement: %', n;
END $$;

-- a subtransaction inside a statement (an exception block in a trigger)
-- loses its own records only, not those of the statement around it
SET ROLE audit_owner;
CREATE TABLE side (id bigint PRIMARY KEY, note text);
SELECT steward.audit_enable('side');
CREATE FUNCTION items_side() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO side VALUES (NEW.id, NEW.name);
    IF NEW.name LIKE '%fails' THEN
      RAISE EXCEPTION 'rolled back';
    END IF;
  EXCEPTION WHEN raise_exception THEN
    NULL;
  END;
  RETURN NULL;
END $$;
CREATE TRIGGER items_side AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION items_side();
RESET ROLE;
SELECT max(id) AS before_id FROM steward.audit_log \gset
INSERT INTO items (tenant_id, name) VALUES (4, 'side one'), (4, 'side two fails'), (4, 'side three');
SELECT table_name, operation, coalesce(new_values ->> 'name', new_values ->> 'note') AS value
FROM steward.audit_log WHERE id > :before_id AND operation <> 'DDL' ORDER BY table_name, value;
SELECT note FROM side ORDER BY id;
-- ... and an error in the statement loses them all
SELECT count(*) AS before FROM steward.audit_log \gset
INSERT INTO items (tenant_id, name) VALUES (4, 'side four'), (NULL, 'not null violated');
SELECT count(*) - :before AS new_records FROM steward.audit_log;
DROP TRIGGER items_side ON items;
DROP FUNCTION items_side();
DELETE FROM items WHERE tenant_id IN (4, 5);

-- COPY is captured row by row
COPY items (tenant_id, name) FROM STDIN;
2	copied one
2	copied two
\.
SELECT operation, new_values ->> 'name' AS name FROM steward.audit_log
WHERE new_values ->> 'name' LIKE 'copied%' ORDER BY id;

-- one transaction's changes, in order
SELECT txid AS last_txid FROM steward.audit_log WHERE new_values ->> 'name' = 'copied one' \gset
SELECT operation, new_values ->> 'name' AS name FROM steward.audit_transaction(:'last_txid');

-- TRUNCATE is one statement-level record
TRUNCATE items;
SELECT operation, tbl, row_key FROM audit_seen ORDER BY n DESC LIMIT 1;

-- history and the row as of a time
INSERT INTO items (tenant_id, name, price) VALUES (3, 'plum', 1);
SELECT id AS plum FROM items WHERE name = 'plum' \gset
SELECT now() AS t0 \gset
UPDATE items SET price = 2 WHERE id = :plum;
UPDATE items SET name = 'big plum', price = 3 WHERE id = :plum;
DELETE FROM items WHERE id = :plum;
SELECT operation, old_values, new_values FROM steward.audit_history('items', jsonb_build_object('id', :plum));
SELECT steward.audit_row_as_of('items', jsonb_build_object('id', :plum), :'t0') ->> 'price' AS price_at_t0;
SELECT steward.audit_row_as_of('items', jsonb_build_object('id', :plum), now()) AS after_delete;

-- the history index hashes keys with jsonb equality, per table
SELECT steward.audit_row_hash('public', 'items', '{"n": 1.5}') = steward.audit_row_hash('public', 'items', '{"n": 1.50}') AS same_key,
       steward.audit_row_hash('public', 'items', '{"n": 1.5}') = steward.audit_row_hash('public', 'other', '{"n": 1.5}') AS other_table;
SELECT count(*) = count(*) FILTER (WHERE row_hash = steward.audit_row_hash(schema_name, table_name, row_key)) AS all_hashed
FROM steward.audit_log WHERE row_key IS NOT NULL;

-- options: full rows, unchanged updates, query text, some operations only
SET ROLE audit_owner;
SELECT steward.audit_enable('items', operations => ARRAY['update'], full_rows => true,
                            skip_unchanged => false, capture_query => true);
RESET ROLE;
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'items'::regclass ORDER BY 1;
INSERT INTO items (tenant_id, name, price) VALUES (4, 'kiwi', 1);
UPDATE items SET price = price WHERE name = 'kiwi';
DELETE FROM items WHERE name = 'kiwi';
SELECT operation, old_values ->> 'name' AS old_name, new_values ->> 'price' AS new_price, query
FROM steward.audit_log WHERE operation <> 'DDL' ORDER BY id DESC LIMIT 2;

-- schema changes: added, dropped and renamed columns
SET ROLE audit_owner;
SELECT steward.audit_enable('items');
ALTER TABLE items ADD COLUMN extra text;
ALTER TABLE items DROP COLUMN born;
ALTER TABLE items RENAME COLUMN payload TO data;
RESET ROLE;
INSERT INTO items (tenant_id, name, data, extra) VALUES (5, 'fig', '{}', 'new column');
SELECT new_values - 'id' AS new_values FROM steward.audit_log ORDER BY id DESC LIMIT 1;

-- a table without a primary key: the whole row is the key; with a replica
-- identity index: its columns
CREATE TABLE nokey (a int, b text);
CREATE TABLE ident (a int NOT NULL, b text);
CREATE UNIQUE INDEX ident_a ON ident (a);
ALTER TABLE ident REPLICA IDENTITY USING INDEX ident_a;
SELECT steward.audit_enable('nokey');
SELECT steward.audit_enable('ident');
INSERT INTO nokey VALUES (1, 'x');
INSERT INTO ident VALUES (1, 'x');
SELECT table_name, row_key FROM steward.audit_log WHERE table_name IN ('nokey', 'ident') AND operation = 'INSERT' ORDER BY table_name;

-- partitioned tables: records name the partitioned table, not the partition
CREATE TABLE events (tenant_id int NOT NULL, id int NOT NULL, what text, PRIMARY KEY (tenant_id, id))
  PARTITION BY LIST (tenant_id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1);
CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2);
SELECT steward.audit_enable('events');
CREATE TABLE events_3 PARTITION OF events FOR VALUES IN (3);
INSERT INTO events VALUES (1, 1, 'one'), (2, 1, 'two'), (3, 1, 'three');
UPDATE events SET what = 'ONE' WHERE tenant_id = 1;
-- moving a row to another partition is a DELETE and an INSERT
UPDATE events SET tenant_id = 3, id = 2 WHERE tenant_id = 1;
SELECT operation, tbl, row_key, new_values FROM audit_seen WHERE tbl = 'public.events' ORDER BY n;

-- the log is append-only and private
SET ROLE audit_app;
SELECT count(*) FROM steward.audit_log;
\echo :LAST_ERROR_SQLSTATE
UPDATE steward.audit_log SET actor_user = 'nobody';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM steward.audit_log;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE steward.audit_log_default;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.audit_history('items', '{"id": 1}');
\echo :LAST_ERROR_SQLSTATE
-- ... and nobody can write an event through the configuration function
-- for a table they do not own
SELECT steward.audit_config_write('items', ARRAY['INSERT'], '{}', '{}', false, true, false);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_enable('items');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- disabling needs an explicit privilege, and is itself recorded
SET ROLE audit_owner;
SELECT steward.audit_disable('items');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION steward.audit_disable(regclass) TO audit_owner;
SET ROLE audit_owner;
SELECT steward.audit_disable('items');
RESET ROLE;
SELECT operation, tbl, session_role FROM audit_seen ORDER BY n DESC LIMIT 1;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'items'::regclass AND tgname LIKE 'steward%';
SELECT count(*) AS config_left FROM steward.audit_tables WHERE relation = 'items'::regclass;
REVOKE EXECUTE ON FUNCTION steward.audit_disable(regclass) FROM audit_owner;

-- undo: a transaction's changes, newest first, planned then applied
CREATE TABLE undo_t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, price numeric(8,2),
                     born date, data jsonb, code text, total numeric GENERATED ALWAYS AS (price * 2) STORED);
SELECT steward.audit_enable('undo_t', hash_columns => ARRAY['code']);
INSERT INTO undo_t (name, price, born, data) VALUES ('a', 1, '2020-02-29', '{"x": 1}'), ('b', 2, NULL, '[1]');
BEGIN;
UPDATE undo_t SET price = 5, name = 'A!' WHERE id = 1;
DELETE FROM undo_t WHERE id = 2;
INSERT INTO undo_t (name) VALUES ('c');
SELECT pg_current_xact_id() AS undo_tx \gset
COMMIT;
SELECT operation, statement, status FROM steward.audit_undo(:'undo_tx'::xid8);
SELECT operation, status FROM steward.audit_undo(:'undo_tx'::xid8, dry_run => false);
SELECT id, name, price, born, data, total FROM undo_t ORDER BY id;
-- the undo was itself recorded
SELECT operation, row_key FROM steward.audit_log WHERE table_name = 'undo_t' ORDER BY id DESC LIMIT 3;
-- refused when a later change would be overwritten (here: by the undo),
-- all or nothing, or when a value was recorded only as a hash
SELECT id AS first_update FROM steward.audit_log
WHERE table_name = 'undo_t' AND operation = 'UPDATE' ORDER BY id LIMIT 1 \gset
SELECT operation, status FROM steward.audit_undo(:first_update);
\set VERBOSITY terse
SELECT * FROM steward.audit_undo(:first_update, dry_run => false);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
UPDATE undo_t SET code = 'secret' WHERE id = 1;
UPDATE undo_t SET code = 'other secret' WHERE id = 1;
SELECT id AS code_update FROM steward.audit_log
WHERE table_name = 'undo_t' AND operation = 'UPDATE' ORDER BY id DESC LIMIT 1 \gset
SELECT operation, status FROM steward.audit_undo(:code_update);
-- TRUNCATE cannot be undone
TRUNCATE undo_t;
SELECT id AS truncate_event FROM steward.audit_log
WHERE table_name = 'undo_t' AND operation = 'TRUNCATE' ORDER BY id DESC LIMIT 1 \gset
SELECT operation, status FROM steward.audit_undo(:truncate_event);
DROP TABLE undo_t;

-- sensitive reads: one record per statement that reads a marked table,
-- however it reads it
CREATE TABLE people (id int PRIMARY KEY, email text);
INSERT INTO people VALUES (1, 'a@example.com'), (2, 'b@example.com');
CREATE VIEW people_v AS SELECT * FROM people;
GRANT SELECT ON people, people_v TO audit_app;
SELECT steward.audit_reads('people');
SELECT max(id) AS before_reads FROM steward.audit_log \gset
SET ROLE audit_app;
SELECT count(*) FROM people;
SELECT email FROM people_v WHERE id = 1;
COPY people TO STDOUT;
COPY (SELECT email FROM people) TO STDOUT;
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM people;
FETCH 1 FROM c;
CLOSE c;
COMMIT;
SELECT 1 AS not_reading_people;
RESET ROLE;
INSERT INTO people SELECT id + 10, email FROM people;
SELECT operation, table_name, detail, query, effective_role FROM steward.audit_log
WHERE id > :before_reads AND operation = 'SELECT' ORDER BY id;
SELECT steward.audit_reads('people', enable => false);
SELECT count(*) FROM people;
SELECT count(*) AS after_disable FROM steward.audit_log
WHERE id > :before_reads AND operation = 'SELECT' AND query = 'SELECT count(*) FROM people;'
  AND effective_role = 'postgres';
SELECT operation FROM steward.audit_log WHERE operation LIKE 'AUDIT READS%' AND table_name = 'people' ORDER BY id;
DROP VIEW people_v;
DROP TABLE people;

-- the audited table is what the catalog says, never the trigger's
-- arguments: a trigger of one's own naming another table records one's own
SET ROLE audit_owner;
CREATE TABLE forger (id int PRIMARY KEY, v text);
CREATE TRIGGER forge AFTER INSERT ON forger FOR EACH ROW
  EXECUTE FUNCTION steward.audit_trigger('public', 'items');
INSERT INTO forger VALUES (1, 'forged');
RESET ROLE;
SELECT schema_name, table_name, new_values FROM steward.audit_log
WHERE new_values ->> 'v' = 'forged';
DROP TABLE forger;

-- a renamed table keeps its options, and records carry its new name
SET ROLE audit_owner;
CREATE TABLE renamed (id int PRIMARY KEY, pw text, f real);
SELECT steward.audit_enable('renamed', hash_columns => ARRAY['pw']);
ALTER TABLE renamed RENAME TO renamed2;
INSERT INTO renamed2 VALUES (1, 'plain', 1.1);
RESET ROLE;
SELECT table_name, new_values ->> 'pw' = encode(hmac('plain', '', 'sha256'), 'hex') AS hashed,
       new_values -> 'f' AS float4_value
FROM steward.audit_log WHERE table_name LIKE 'renamed%' AND operation = 'INSERT';
-- narrowing or dropping the capture is visible, and dropping it needs the
-- audit_disable privilege however it is asked for
SET ROLE audit_owner;
SELECT steward.audit_enable('renamed2', operations => ARRAY['TRUNCATE']);
SELECT steward.audit_config_write('renamed2', NULL, NULL, NULL, NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
-- and only those granted may create partitions ahead
SELECT count(*) FROM steward.audit_maintain(120);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT detail FROM steward.audit_log WHERE table_name = 'renamed2' AND operation = 'AUDIT ENABLE';
DROP TABLE renamed2;

-- a partitioned table audited for UPDATE only is warned about row moves
CREATE TABLE moves (k int, v text) PARTITION BY LIST (k);
SELECT steward.audit_enable('moves', operations => ARRAY['UPDATE']);
DROP TABLE moves;

-- a partition of the log that is not the log's own is refused, not used
BEGIN;
SET LOCAL steward.audit_ddl = off;
SELECT 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM') AS month_name \gset
ALTER TABLE steward.audit_log DETACH PARTITION steward.:"month_name";
ALTER TABLE steward.:"month_name" RENAME TO detached_month;
CREATE TABLE steward.:"month_name" (LIKE steward.audit_log);
ALTER TABLE steward.:"month_name" DROP COLUMN query, ADD COLUMN query text;
SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AS m \gset
ALTER TABLE steward.audit_log ATTACH PARTITION steward.:"month_name"
  FOR VALUES FROM ((:'m'::timestamp) AT TIME ZONE 'UTC')
             TO ((:'m'::timestamp + interval '1 month') AT TIME ZONE 'UTC');
DO $$
BEGIN
  INSERT INTO nokey VALUES (9, 'x');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE 'refused: %', regexp_replace(SQLERRM, 'y\d{4}m\d{2}', 'yYYYYmMM');
END $$;
ROLLBACK;

-- records of a month without its partition go to the default partition,
-- and move when audit_maintain() creates it, even within one transaction
BEGIN;
SELECT format('steward.%I', 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM')) AS month \gset
ALTER TABLE steward.audit_log DETACH PARTITION :month;
DROP TABLE :month;
INSERT INTO nokey VALUES (2, 'into the default partition');
SELECT count(*) AS created FROM steward.audit_maintain(0);
INSERT INTO nokey VALUES (3, 'into the new partition');
SELECT tableoid = :'month'::regclass AS in_month_partition, new_values ->> 'b' AS b
FROM steward.audit_log WHERE table_name = 'nokey' AND operation = 'INSERT' ORDER BY id;
ROLLBACK;

-- a trigger that a superuser puts on a partition of the log fires for
-- every record (records are then written one by one)
SELECT format('steward.%I', 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM')) AS month \gset
CREATE FUNCTION log_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'log trigger: % %', NEW.operation, NEW.table_name;
  RETURN NEW;
END $$;
CREATE TABLE watched (id int PRIMARY KEY, name text);
SELECT steward.audit_enable('watched');
CREATE TRIGGER log_seen BEFORE INSERT ON :month FOR EACH ROW EXECUTE FUNCTION log_seen();
INSERT INTO watched VALUES (1, 'one'), (2, 'two');
DROP TRIGGER log_seen ON :month;
DROP FUNCTION log_seen();
SELECT count(*) AS records FROM steward.audit_log WHERE table_name = 'watched' AND operation = 'INSERT';

-- the page range being filled has no summary in the row index (a summary
-- would be rebuilt on every insert): audit_maintain() removes the one an
-- index build leaves (brin_summarize_range counts the ranges it summarized)
SELECT format('steward.%I', 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM') || '_row') AS month_row,
       pg_relation_size(format('steward.%I', 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM')))
         / current_setting('block_size')::int - 1 AS last_block \gset
REINDEX INDEX :month_row;
SELECT brin_summarize_range(:'month_row', :last_block) AS summarized_after_reindex;
SELECT count(*) AS created FROM steward.audit_maintain(0);
SELECT brin_summarize_range(:'month_row', :last_block) AS summarized_after_maintain;
SELECT count(*) AS created FROM steward.audit_maintain(0);

-- DDL, GRANT and REVOKE are recorded, with who and the statement; objects
-- an extension creates and temporary ones are not; dropped objects are,
-- with those dropped by CASCADE marked
SELECT max(id) AS before_ddl FROM steward.audit_log \gset
SET ROLE audit_owner;
BEGIN;
SELECT steward.context_set('dba-7');
CREATE TABLE ddl_t (id int PRIMARY KEY, v text);
CREATE VIEW ddl_v AS SELECT id FROM ddl_t;
ALTER TABLE ddl_t ADD COLUMN w int;
GRANT SELECT ON ddl_t TO audit_app;
REVOKE SELECT ON ddl_t FROM audit_app;
CREATE TEMP TABLE ddl_tmp (a int);
DROP TABLE ddl_t CASCADE;
COMMIT;
RESET ROLE;
CREATE EXTENSION citext;
DROP EXTENSION citext;
SELECT detail ->> 'command_tag' AS tag, detail ->> 'object_type' AS type,
       detail ->> 'object_identity' AS identity, detail ->> 'cascaded' AS cascaded,
       schema_name, actor_user, session_role, effective_role
FROM steward.audit_log WHERE operation = 'DDL' AND id > :before_ddl ORDER BY id;
SELECT query FROM steward.audit_log
WHERE operation = 'DDL' AND id > :before_ddl AND detail ->> 'command_tag' IN ('GRANT', 'REVOKE') ORDER BY id;
-- a rolled-back DDL leaves no record
BEGIN;
CREATE TABLE ddl_rolled_back (a int);
ROLLBACK;
SELECT count(*) AS rolled_back_records FROM steward.audit_log
WHERE operation = 'DDL' AND detail ->> 'object_identity' = 'public.ddl_rolled_back';
-- switched off by a superuser only
SET ROLE audit_app;
SET steward.audit_ddl = off;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET steward.audit_ddl = off;
CREATE TABLE ddl_unrecorded (a int);
RESET steward.audit_ddl;
SELECT count(*) AS unrecorded FROM steward.audit_log
WHERE operation = 'DDL' AND detail ->> 'object_identity' = 'public.ddl_unrecorded';
DROP TABLE ddl_unrecorded;

-- bad input
SELECT steward.audit_enable(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_enable('nokey', operations => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_enable('nokey', operations => ARRAY['SELECT']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_enable('nokey', exclude_columns => ARRAY['nope']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_enable('audit_seen');
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE tmp_audit (a int);
SELECT steward.audit_enable('tmp_audit');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_trigger();
\echo :LAST_ERROR_SQLSTATE
SELECT steward.audit_maintain(-1);
\echo :LAST_ERROR_SQLSTATE

-- records always go to the end of the log, never into space that VACUUM
-- found free in earlier pages (whose index summaries would be rebuilt)
SELECT format('steward.%I', 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM')) AS month \gset
VACUUM :month;
CREATE EXTENSION pg_freespacemap;
SELECT pg_relation_size(:'month') / current_setting('block_size')::int AS pages_before,
       count(*) FILTER (WHERE avail >= 300) > 0 AS free_space_found
FROM pg_freespace(:'month') \gset
SELECT :'free_space_found' AS free_space_found;
INSERT INTO watched VALUES (3, 'three'), (4, 'four');
DELETE FROM watched WHERE id = 4;
SELECT row_key, (ctid::text::point)[0] >= :pages_before - 1 AS at_the_end
FROM :month WHERE table_name = 'watched' AND row_key ->> 'id' IN ('3', '4') ORDER BY id;
DROP EXTENSION pg_freespacemap;

-- records hold jsonb in its own binary form, byte for byte what parsing
-- their text back gives (what a restore does; digests cover these bytes):
-- every kind of value, and a table wide enough for jsonb's offset entries
CREATE TABLE typed (
    id int8 PRIMARY KEY, i2 int2, i4 int4, f4 float4, f8 float8, n numeric, b boolean,
    t text, v varchar(10), c "char", j jsonb, ts timestamptz, d date, iv interval,
    u uuid, by bytea, arr int[], nm name
);
SELECT steward.audit_enable('typed');
INSERT INTO typed VALUES
  (1, -32768, 2147483647, 1.1, 1e30, 123456789.000123, true, 'héllo "q" \ ', 'v', 'c',
   '{"z": 1, "a": [1, 2.50, {"k": null}], "mm": "x"}', '2026-11-24 12:00:00.123456+00', '2026-02-28',
   '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\xdeadbeef', '{1,2,3}', 'nm'),
  (2, 0, 0, 'NaN', '-Infinity', 'NaN', false, '', '', '', '"scalar"', 'infinity', '-infinity',
   '0', NULL, '', '{}', ''),
  (3, NULL, NULL, NULL, NULL, '-0.000001', NULL, NULL, NULL, NULL, '12.500', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 1, 1, 0, -0, 1e-20, true, repeat('x', 40), NULL, NULL, 'true', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (5, 2, 2, 2, 2, 2, NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (6, 3, 3, 3, 3, 3, NULL, NULL, NULL, NULL, '[]', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE typed SET n = n * 2, j = '{"b": {"c": [true, false]}}' WHERE id IN (1, 3);
DELETE FROM typed WHERE id = 2;
-- a time is written in the session's time zone, even one seen just before
SET TimeZone = 'Asia/Tokyo';
INSERT INTO typed (id, ts) VALUES (7, '2026-11-24 12:00:00.123456+00');
RESET TimeZone;
INSERT INTO typed (id, ts) VALUES (8, '2026-11-24 12:00:00.123456+00');
SELECT row_key, new_values ->> 'ts' AS ts FROM steward.audit_log
WHERE table_name = 'typed' AND row_key ->> 'id' IN ('7', '8') ORDER BY id;
-- values stored out of line (TOAST) are read whole, with or without a key
CREATE TABLE toasted (id int PRIMARY KEY, j jsonb, n numeric);
ALTER TABLE toasted ALTER COLUMN n SET STORAGE EXTERNAL;
CREATE TABLE toasted_nokey (j jsonb);
SELECT steward.audit_enable('toasted'), steward.audit_enable('toasted_nokey');
INSERT INTO toasted VALUES (1, jsonb_build_object('r', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 200) g)),
                            10::numeric ^ 4999 + 1);
INSERT INTO toasted_nokey SELECT j FROM toasted;
SELECT pg_column_size(j) > 2000 AS j_out_of_line, pg_column_size(n) > 2000 AS n_out_of_line FROM toasted;
UPDATE toasted SET n = n + 1;
DELETE FROM toasted_nokey;
SELECT l.table_name, l.operation,
       coalesce(l.new_values, l.old_values) -> 'j' = t.j AS j_whole,
       (l.new_values ->> 'n')::numeric - t.n AS n_diff,
       l.row_key = CASE WHEN l.table_name = 'toasted' THEN '{"id": 1}' ELSE jsonb_build_object('j', t.j) END AS key_whole
FROM steward.audit_log l, toasted t
WHERE l.table_name IN ('toasted', 'toasted_nokey') AND l.operation IN ('INSERT', 'UPDATE', 'DELETE')
ORDER BY l.id;
SELECT count(*) AS history FROM steward.audit_history('toasted_nokey', (SELECT jsonb_build_object('j', j) FROM toasted));
DROP TABLE toasted, toasted_nokey;
SELECT format('CREATE TABLE wide (%s)', string_agg(format('c%s int', g), ', ')) FROM generate_series(1, 40) g \gexec
SELECT steward.audit_enable('wide');
INSERT INTO wide SELECT g, g + 1, g + 2, g + 3, g + 4, g + 5, g + 6, g + 7, g + 8, g + 9, g + 10, g + 11, g + 12, g + 13, g + 14, g + 15, g + 16, g + 17, g + 18, g + 19, g + 20, g + 21, g + 22, g + 23, g + 24, g + 25, g + 26, g + 27, g + 28, g + 29, g + 30, g + 31, g + 32, g + 33, g + 34, g + 35, g + 36, g + 37, g + 38, g + 39 FROM generate_series(1, 3) g;
UPDATE wide SET c40 = -c40, c17 = NULL;
SELECT new_values FROM steward.audit_log WHERE table_name = 'typed' AND operation = 'INSERT' ORDER BY id;
SELECT operation, old_values, new_values FROM steward.audit_log
WHERE table_name = 'typed' AND operation <> 'INSERT' ORDER BY id;
SELECT new_values ->> 'c33' AS c33, new_values -> 'c17' AS c17, (SELECT count(*) FROM jsonb_object_keys(new_values)) AS keys FROM steward.audit_log
WHERE table_name = 'wide' AND operation = 'INSERT' ORDER BY id LIMIT 1;
SELECT count(*) AS records,
       count(*) FILTER (WHERE steward.audit_value_hash(row_key) IS DISTINCT FROM steward.audit_value_hash(row_key::text::jsonb)
                           OR steward.audit_value_hash(old_values) IS DISTINCT FROM steward.audit_value_hash(old_values::text::jsonb)
                           OR steward.audit_value_hash(new_values) IS DISTINCT FROM steward.audit_value_hash(new_values::text::jsonb)
                           OR row_key::text::jsonb <> row_key OR old_values::text::jsonb <> old_values
                           OR new_values::text::jsonb <> new_values) AS not_canonical
FROM steward.audit_log WHERE operation IN ('INSERT', 'UPDATE', 'DELETE');
DROP TABLE typed, wide;

-- clean up
DROP VIEW audit_seen;
DROP EXTENSION pgcrypto;
DROP TABLE items, nokey, ident, events, tmp_audit, ddl_tmp, side, watched;
REVOKE CREATE ON SCHEMA public FROM audit_owner;
DROP ROLE audit_owner;
DROP ROLE audit_app;
