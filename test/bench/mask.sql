--
-- Masking: the cost of the masking functions, per value, against what
-- people write by hand in SQL (and md5 for the keyed hash).
--
\echo '== mask: 1,000,000 values (best of 5)'
CREATE TABLE bench.mvals AS
SELECT g, 'first.last' || g || '@mail.example.com' AS email, '+4930' || lpad(g::text, 8, '0') AS phone
FROM generate_series(1, 1000000) g;
VACUUM ANALYZE bench.mvals;
SET steward.mask_key = 'a benchmark key, long enough....';

CALL bench.compare('mask', ARRAY[
    ['scan only (baseline)', 'SELECT count(email) FROM bench.mvals'],
    ['md5(value)', 'SELECT count(md5(email)) FROM bench.mvals'],
    ['steward.mask_hash (HMAC-SHA256, keyed)', 'SELECT count(steward.mask_hash(email)) FROM bench.mvals'],
    ['steward.pseudo_email', 'SELECT count(steward.pseudo_email(email)) FROM bench.mvals'],
    ['SQL: left(email,1) || ''***'' || substr(email, strpos(email,''@''))', $q$SELECT count(left(email, 1) || '***' || substr(email, strpos(email, '@'))) FROM bench.mvals$q$],
    ['steward.mask_email', 'SELECT count(steward.mask_email(email)) FROM bench.mvals'],
    ['SQL: regexp_replace(phone, ''[0-9](?=.*[0-9]{2})'', ''*'', ''g'')', $q$SELECT count(regexp_replace(phone, '\d(?=(?:\D*\d){2})', '*', 'g')) FROM bench.mvals$q$],
    ['steward.mask_phone', 'SELECT count(steward.mask_phone(phone)) FROM bench.mvals']], 5);
SELECT * FROM bench.report('mask');

-- per value, net of the scan
WITH r AS (SELECT case_name, best_ms FROM bench.report('mask')),
     scan AS (SELECT best_ms FROM r WHERE case_name LIKE 'scan only%')
SELECT r.case_name, round((r.best_ms - scan.best_ms) * 1000 / 1000000, 3) AS us_per_value,
       round(1000000 / nullif(r.best_ms - scan.best_ms, 0) * 1000) AS values_per_second
FROM r, scan WHERE r.case_name NOT LIKE 'scan only%';

RESET steward.mask_key;
DROP TABLE bench.mvals;

-- Dynamic masking: reading 1,000,000 rows with 4 masked columns through the
-- masked view vs. the base table, as an ordinary role, all columns out
-- (COPY to /dev/null: the rows are produced and formatted, as for a client)
\echo '== mask: 1,000,000 rows, 4 of 8 columns masked, read through the masked view (best of 5)'
CREATE TABLE bench.mpeople AS
SELECT g AS id, g % 100 AS tenant_id, 'Name ' || g AS name,
       'person' || g || '@example.com' AS email, '+4930' || lpad(g::text, 8, '0') AS phone,
       date '1950-01-01' + g % 20000 AS born, 'DE89370400440532013000' AS iban, g * 1.5 AS score
FROM generate_series(1, 1000000) g;
ALTER TABLE bench.mpeople ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.mpeople;
SELECT steward.mask_column('bench.mpeople', 'email', 'steward.mask_email') \gset
SELECT steward.mask_column('bench.mpeople', 'phone', 'steward.mask_phone') \gset
SELECT steward.mask_column('bench.mpeople', 'born', 'steward.mask_date') \gset
SELECT steward.mask_column('bench.mpeople', 'iban', 'steward.mask_iban') \gset
SELECT steward.mask_apply('bench.mpeople') \gset
CREATE ROLE bench_reader LOGIN;
GRANT USAGE ON SCHEMA bench TO bench_reader;
GRANT SELECT ON bench.mpeople TO bench_reader;
SELECT steward.mask_role('bench_reader') \gset
GRANT pg_write_server_files TO bench_reader;
GRANT INSERT ON bench.results TO bench_reader;
SET ROLE bench_reader;
CALL bench.compare('mask_view', ARRAY[
    ['base table (baseline)', $q$COPY (SELECT * FROM bench.mpeople) TO '/dev/null'$q$],
    ['masked view (4 columns masked)', $q$COPY (SELECT * FROM bench_masked.mpeople) TO '/dev/null'$q$]], 5);
RESET ROLE;
\echo 'server side (COPY to /dev/null: rows produced and formatted, nothing sent):'
SELECT * FROM bench.report('mask_view');
\echo 'a client reading every row (psql -A to /dev/null, over the socket):'
\! "$STEWARD_BENCH_DIR/client-read.sh" bench_reader 'base table (baseline)' 'SELECT * FROM bench.mpeople' 'masked view (4 columns masked)' 'SELECT * FROM bench_masked.mpeople'

-- Stored masks: the same view reading the masks kept in the table (the
-- boundary for roles that log in).  Turning them on rewrites the table once.
\echo '== mask: the same table with stored masks (mask_apply(..., stored => true))'
SELECT clock_timestamp() AS t0 \gset
SELECT steward.mask_apply('bench.mpeople', stored => true) \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) AS turn_on_ms_1m_rows;
CALL bench.compare('mask_stored', ARRAY[
    ['base table, the 8 original columns (baseline)', $q$COPY (SELECT id, tenant_id, name, email, phone, born, iban, score FROM bench.mpeople) TO '/dev/null'$q$],
    ['masked view, stored masks', $q$COPY (SELECT * FROM bench_masked.mpeople) TO '/dev/null'$q$]], 5);
\echo 'server side (COPY to /dev/null), as the owner: the table''s 8 original columns vs. the view:'
SELECT * FROM bench.report('mask_stored');
\echo 'a client reading every row (psql -A to /dev/null, over the socket):'
\! "$STEWARD_BENCH_DIR/client-read.sh" "$PGUSER" 'base table, 8 original columns (baseline)' 'SELECT id, tenant_id, name, email, phone, born, iban, score FROM bench.mpeople' 'masked view, stored masks' 'SELECT * FROM bench_masked.mpeople'

-- the price on writes: the trigger that keeps the stored masks
\echo '== mask: writing 100,000 rows with 4 stored masks vs. the same table without (best of 5)'
CREATE TABLE bench.mw_plain (LIKE bench.mpeople INCLUDING ALL);
CREATE TABLE bench.mw_stored (LIKE bench.mpeople INCLUDING ALL);
ALTER TABLE bench.mw_plain DROP COLUMN email__masked, DROP COLUMN phone__masked,
    DROP COLUMN born__masked, DROP COLUMN iban__masked;
ALTER TABLE bench.mw_stored DROP COLUMN email__masked, DROP COLUMN phone__masked,
    DROP COLUMN born__masked, DROP COLUMN iban__masked;
SELECT steward.mask_column('bench.mw_stored', 'email', 'steward.mask_email') \gset
SELECT steward.mask_column('bench.mw_stored', 'phone', 'steward.mask_phone') \gset
SELECT steward.mask_column('bench.mw_stored', 'iban', 'steward.mask_iban') \gset
SELECT steward.mask_column('bench.mw_stored', 'born', 'steward.mask_date') \gset
SELECT steward.mask_apply('bench.mw_stored', stored => true) \gset
CREATE SEQUENCE bench.mw_seq;
CALL bench.compare('mask_write', ARRAY[
    ['INSERT, no masks (baseline)', $q$INSERT INTO bench.mw_plain SELECT nextval('bench.mw_seq'), g % 100, 'Name ' || g, 'person' || g || '@example.com', '+4930' || lpad(g::text, 8, '0'), date '1950-01-01' + g % 20000, 'DE89370400440532013000', g * 1.5 FROM generate_series(1, 100000) g$q$],
    ['INSERT, 4 stored masks', $q$INSERT INTO bench.mw_stored SELECT nextval('bench.mw_seq'), g % 100, 'Name ' || g, 'person' || g || '@example.com', '+4930' || lpad(g::text, 8, '0'), date '1950-01-01' + g % 20000, 'DE89370400440532013000', g * 1.5 FROM generate_series(1, 100000) g$q$]], 5);
SELECT * FROM bench.report('mask_write');
CALL bench.compare('mask_update', ARRAY[
    ['UPDATE of a masked column, no masks', $q$UPDATE bench.mw_plain SET email = 'x' || email WHERE id % 6 = 0$q$],
    ['UPDATE of a masked column, 4 stored masks', $q$UPDATE bench.mw_stored SET email = 'x' || email WHERE id % 6 = 0$q$]], 5);
SELECT * FROM bench.report('mask_update');
SELECT steward.mask_drop('bench.mw_stored') \gset
DROP TABLE bench.mw_plain, bench.mw_stored;
DROP SEQUENCE bench.mw_seq;

SELECT steward.mask_drop('bench.mpeople') \gset
DROP SCHEMA bench_masked;
DROP TABLE bench.mpeople;
REVOKE ALL ON SCHEMA bench FROM bench_reader;
REVOKE ALL ON bench.results FROM bench_reader;
REVOKE pg_write_server_files FROM bench_reader;
DROP ROLE bench_reader;
