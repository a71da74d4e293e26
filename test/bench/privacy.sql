--
-- Privacy: export and erasure of one person at two database sizes, and
-- retention against one plain DELETE.
--
-- Two copies of one shop schema, 8 tables, one 10 times the other:
--   pv_small: STEWARD_BENCH_SUBJECTS people (default 100,000), ~20 rows each
--   pv_large: 10 times as many (default 1,000,000 people, ~20,000,000 rows)
-- customers (the subject), addresses (referenced, personal data), orders,
-- order_lines, payments, events (partitioned), tickets (a declared link
-- inside jsonb) and sessions (a declared link without a foreign key).
-- People 1..30 of each copy own 200 rows each: 1 customer, 1 address,
-- 20 orders, 60 order lines, 20 payments, 60 events, 18 tickets and 20
-- sessions.  Export and erase one of them: the time must not grow with the
-- size of the database (ratio large / small at most 1.5), export under
-- 20 ms.
--
\getenv subjects STEWARD_BENCH_SUBJECTS
\if :{?subjects}
\else
\set subjects 100000
\endif
SELECT :subjects * 10 AS subjects_large \gset
\echo '== privacy: export and erase of a person who owns 200 rows, at' :subjects 'and' :subjects_large 'people'
SET steward.privacy_key = 'bench privacy key, 0123456789abcdef';
SET client_min_messages = warning;

CREATE PROCEDURE bench.privacy_schema(s text, n int)
LANGUAGE plpgsql AS $$
DECLARE
    heavy int := 30;
BEGIN
    EXECUTE format('CREATE SCHEMA %I', s);
    EXECUTE format('SET LOCAL search_path = %I, pg_catalog', s);
    CREATE TABLE addresses (id int, street text NOT NULL, city text);
    CREATE TABLE customers (id int, email text NOT NULL, name text, address_id int);
    CREATE TABLE orders (id bigint, customer_id int NOT NULL, total numeric, ship_name text);
    CREATE TABLE order_lines (order_id bigint NOT NULL, line int NOT NULL, product text);
    CREATE TABLE payments (id bigint, order_id bigint NOT NULL, amount numeric);
    CREATE TABLE events (id bigint, customer_id int, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
    CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2025-01-01');
    CREATE TABLE events_new PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2100-01-01');
    CREATE TABLE tickets (id bigint, data jsonb);
    CREATE TABLE sessions (id bigint, customer_id int, at timestamptz);

    INSERT INTO addresses SELECT c, c || ' Main St', 'City ' || c % 1000 FROM generate_series(1, n) c;
    INSERT INTO customers SELECT c, 'user' || c || '@example.com', 'Name ' || c, c FROM generate_series(1, n) c;
    INSERT INTO orders
    SELECT c::bigint * 100 + k, c, k * 10, 'Name ' || c
    FROM generate_series(1, n) c, generate_series(1, CASE WHEN c <= heavy THEN 20 ELSE 2 END) k;
    INSERT INTO order_lines SELECT o.id, l, 'product ' || l FROM orders o, generate_series(1, 3) l;
    INSERT INTO payments SELECT o.id, o.id, o.total FROM orders o;
    INSERT INTO events
    SELECT c::bigint * 100 + k, c, timestamptz '2024-06-01' + make_interval(days => (c + k) % 400), 'login'
    FROM generate_series(1, n) c, generate_series(1, CASE WHEN c <= heavy THEN 60 ELSE 5 END) k;
    INSERT INTO tickets
    SELECT c::bigint * 100 + k, jsonb_build_object('customer', c, 'text', 'ticket ' || k)
    FROM generate_series(1, n) c, generate_series(1, CASE WHEN c <= heavy THEN 18 ELSE 1 END) k;
    INSERT INTO sessions
    SELECT c::bigint * 100 + k, c, timestamptz '2026-01-01' + make_interval(mins => k)
    FROM generate_series(1, n) c, generate_series(1, CASE WHEN c <= heavy THEN 20 ELSE 2 END) k;

    ALTER TABLE addresses ADD PRIMARY KEY (id);
    ALTER TABLE customers ADD PRIMARY KEY (id), ADD FOREIGN KEY (address_id) REFERENCES addresses;
    ALTER TABLE orders ADD PRIMARY KEY (id), ADD FOREIGN KEY (customer_id) REFERENCES customers;
    ALTER TABLE order_lines ADD PRIMARY KEY (order_id, line), ADD FOREIGN KEY (order_id) REFERENCES orders;
    ALTER TABLE payments ADD PRIMARY KEY (id), ADD FOREIGN KEY (order_id) REFERENCES orders;
    ALTER TABLE events ADD FOREIGN KEY (customer_id) REFERENCES customers;
    ALTER TABLE tickets ADD PRIMARY KEY (id);
    ALTER TABLE sessions ADD PRIMARY KEY (id);
    CREATE INDEX ON customers (address_id);
    CREATE INDEX ON orders (customer_id);
    CREATE INDEX ON payments (order_id);
    CREATE INDEX ON events (customer_id);
    CREATE INDEX ON tickets ((data #>> '{customer}'));
    CREATE INDEX ON sessions (customer_id);

    PERFORM steward.subject_define(s, format('%I.customers', s)::regclass);
    PERFORM steward.subject_link(s, format('%I.tickets', s)::regclass, 'data', json_path => '{customer}');
    PERFORM steward.subject_link(s, format('%I.sessions', s)::regclass, 'customer_id');
    PERFORM steward.personal_data(format('%I.customers', s)::regclass, 'email', 'contact');
    PERFORM steward.personal_data(format('%I.customers', s)::regclass, 'name', 'identity');
    PERFORM steward.personal_data(format('%I.addresses', s)::regclass, 'street', 'location');
    PERFORM steward.personal_data(format('%I.orders', s)::regclass, 'ship_name', 'identity', 'anonymize');
END $$;

CALL bench.privacy_schema('pv_small', :subjects);
CALL bench.privacy_schema('pv_large', :subjects_large);
VACUUM ANALYZE;
SELECT (SELECT count(*) FROM pv_small.customers) AS small_people,
       (SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'pv_small') AS small_rows,
       (SELECT count(*) FROM pv_large.customers) AS large_people,
       (SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'pv_large') AS large_rows,
       pg_size_pretty(pg_database_size(current_database())) AS database_size;
SELECT jsonb_pretty(steward.subject_export('pv_large', '7') -> 'row_counts') AS "rows of person 7";

-- people 1..10: export; 11..30: erase (each erased once)
CREATE SEQUENCE bench.erase_small START 11;
CREATE SEQUENCE bench.erase_large START 11;
CALL bench.compare('privacy_export', ARRAY[
    ['export, ' || :subjects || ' people', $q$SELECT steward.subject_export('pv_small', ((random() * 9)::int + 1)::text)$q$],
    ['export, ' || :subjects_large || ' people', $q$SELECT steward.subject_export('pv_large', ((random() * 9)::int + 1)::text)$q$]], 15);
SELECT * FROM bench.report('privacy_export');
CALL bench.compare('privacy_erase', ARRAY[
    ['erase, ' || :subjects || ' people', $q$SELECT count(*) FROM steward.subject_erase('pv_small', nextval('bench.erase_small')::text, dry_run => false)$q$],
    ['erase, ' || :subjects_large || ' people', $q$SELECT count(*) FROM steward.subject_erase('pv_large', nextval('bench.erase_large')::text, dry_run => false)$q$]], 9);
SELECT * FROM bench.report('privacy_erase');
SELECT count(*) AS receipts,
       count(DISTINCT regexp_replace(counts::text, 'pv_(small|large)', 'pv', 'g')) = 1 AS same_work_each_time
  FROM steward.erasure_log;
SELECT counts FROM steward.erasure_log ORDER BY id DESC LIMIT 1;

-- the same export with 2,000 more tables (1,000 foreign keys) in the
-- database: the map reads the catalog's foreign keys once per call
\echo '== privacy: export with 2,000 more tables and 1,000 foreign keys in the database'
-- (a procedure that commits every 100 pairs: one transaction would run out
-- of lock slots)
CREATE PROCEDURE bench.privacy_noise(make boolean)
LANGUAGE plpgsql AS $$
BEGIN
    IF make THEN
        CREATE SCHEMA pv_noise;
    END IF;
    FOR i IN 1 .. 1000 LOOP
        IF make THEN
            EXECUTE format('CREATE TABLE pv_noise.p%s (id int PRIMARY KEY)', i);
            EXECUTE format('CREATE TABLE pv_noise.c%s (id int PRIMARY KEY, p int REFERENCES pv_noise.p%s)', i, i);
        ELSE
            EXECUTE format('DROP TABLE pv_noise.c%s, pv_noise.p%s', i, i);
        END IF;
        IF i % 100 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
    IF NOT make THEN
        DROP SCHEMA pv_noise;
    END IF;
END $$;
CALL bench.privacy_noise(true);
CALL bench.compare('privacy_export_catalog', ARRAY[
    ['export, ' || :subjects || ' people, 2,000 more tables', $q$SELECT steward.subject_export('pv_small', ((random() * 9)::int + 1)::text)$q$],
    ['subject_map alone', $q$SELECT count(*) FROM steward.subject_map('pv_small')$q$]], 15);
SELECT r.case_name, r.best_ms, r.median_ms,
       round(r.best_ms / (SELECT best_ms FROM bench.report('privacy_export') LIMIT 1), 2) AS ratio_to_export_without
  FROM bench.report('privacy_export_catalog') r;
CALL bench.privacy_noise(false);
DROP PROCEDURE bench.privacy_noise(boolean);

DROP SCHEMA pv_small, pv_large CASCADE;
DROP PROCEDURE bench.privacy_schema(text, int);
DROP SEQUENCE bench.erase_small, bench.erase_large;

--
-- Consent checks: has_consent() once per row of a 100,000-row table, half
-- of them consenting, against the same question asked of a table of one's
-- own with an index (EXISTS), the lower bound of a consent check.
--
\echo '== privacy: has_consent on 100,000 rows (best of 9)'
CREATE TABLE bench.cs_users (id int PRIMARY KEY);
INSERT INTO bench.cs_users SELECT g FROM generate_series(1, 100000) g;
CREATE TABLE bench.cs_own (user_id int, purpose text, granted boolean, PRIMARY KEY (user_id, purpose));
INSERT INTO bench.cs_own SELECT g, 'newsletter', true FROM generate_series(1, 100000, 2) g;
INSERT INTO steward.consents (subject, subject_key, purpose, granted, source, changed_at)
SELECT 'bench_user', g::text, 'newsletter', true, 'bench', now() FROM generate_series(1, 100000, 2) g;
VACUUM ANALYZE bench.cs_users, bench.cs_own, steward.consents;
CALL bench.compare('privacy_consent', ARRAY[
    ['EXISTS on an indexed table (baseline)', $q$SELECT count(*) FROM bench.cs_users u WHERE EXISTS (SELECT 1 FROM bench.cs_own c WHERE c.user_id = u.id AND c.purpose = 'newsletter' AND c.granted)$q$],
    ['steward.has_consent per row', $q$SELECT count(*) FROM bench.cs_users u WHERE steward.has_consent('bench_user', u.id::text, 'newsletter')$q$]], 9);
SELECT * FROM bench.report('privacy_consent');
SELECT round((max(best_ms) - min(best_ms)) * 1000 / 100000, 2) AS "has_consent µs per call, net of the baseline"
  FROM bench.report('privacy_consent');
DELETE FROM steward.consents WHERE subject = 'bench_user';
DROP TABLE bench.cs_users, bench.cs_own;

--
-- Retention: 1,000,000 expired rows out of 2,000,000 (the oldest half,
-- first in the table, as a table that has been filled over time has them),
-- deleted by CALL steward.retention_run() in batches of 10,000, each
-- committed, against one plain DELETE of the same rows (the baseline).
-- Target: retention at least 0.7x the DELETE's throughput (time ratio at
-- most 1.43).  Then the same two with a concurrent writer updating random
-- rows of the table (test/bench/retention-writer.sh): its longest wait is
-- the time a statement held the row it wanted, the whole DELETE for one,
-- one batch for the other.
--
\echo '== privacy: retention of 1,000,000 expired rows of 2,000,000 vs one DELETE (3 rounds, taking turns)'
CREATE TABLE bench.logs_src AS
SELECT g::bigint AS id,
       now() - make_interval(days => CASE WHEN g <= 1000000 THEN 40 + (1000000 - g) % 360 ELSE (2000000 - g) % 29 END,
                             secs => g % 86400) AS at,
       '10.0.' || g % 250 || '.' || g % 200 AS ip, 'agent ' || g % 1000 AS agent
FROM generate_series(1, 2000000) g;

CREATE PROCEDURE bench.logs_fresh(t text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS bench.%I', t);
    EXECUTE format('CREATE TABLE bench.%I (id bigint PRIMARY KEY, at timestamptz NOT NULL, ip text, agent text)', t);
    EXECUTE format('INSERT INTO bench.%I SELECT * FROM bench.logs_src ORDER BY id', t);
    EXECUTE format('ANALYZE bench.%I', t);
END $$;

CREATE PROCEDURE bench.retention_rounds(rounds int)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    first text;
BEGIN
    FOR r IN 1 .. rounds LOOP
        FOREACH first IN ARRAY CASE WHEN r % 2 = 1 THEN ARRAY['delete', 'retention'] ELSE ARRAY['retention', 'delete'] END LOOP
            CALL bench.logs_fresh('logs_' || first);
            IF first = 'retention' THEN
                PERFORM steward.retention_set('bench.logs_retention', 'at', '30 days');
            END IF;
            COMMIT;
            CHECKPOINT;
            t0 := clock_timestamp();
            IF first = 'delete' THEN
                DELETE FROM bench.logs_delete WHERE at < now() - interval '30 days';
                COMMIT;
            ELSE
                CALL steward.retention_run('bench.logs_retention');
            END IF;
            INSERT INTO bench.results
            VALUES ('privacy_retention', CASE first WHEN 'delete' THEN 1 ELSE 2 END,
                    CASE first WHEN 'delete' THEN 'one DELETE (baseline)' ELSE 'retention_run, batches of 10,000' END,
                    extract(epoch FROM clock_timestamp() - t0) * 1000);
            COMMIT;
        END LOOP;
    END LOOP;
END $$;
CALL bench.retention_rounds(3);
SELECT * FROM bench.report('privacy_retention');
SELECT round(1 / max(ratio), 2) AS "retention throughput / DELETE throughput" FROM bench.report('privacy_retention');
SELECT (SELECT count(*) FROM bench.logs_delete) AS rows_left_delete,
       (SELECT count(*) FROM bench.logs_retention) AS rows_left_retention,
       last_rows, last_batches FROM steward.retention_status WHERE relation = 'bench.logs_retention'::regclass;

\echo '== privacy: the same with a concurrent writer (2 clients, single-row UPDATEs of random rows)'
CALL bench.logs_fresh('logs_delete');
CALL bench.logs_fresh('logs_retention');
SELECT steward.retention_set('bench.logs_retention', 'at', '30 days') \gset
CHECKPOINT;
\! "$STEWARD_BENCH_DIR/retention-writer.sh"
SELECT (SELECT count(*) FROM bench.logs_delete WHERE at < now() - interval '30 days') AS expired_left_delete,
       (SELECT count(*) FROM bench.logs_retention WHERE at < now() - interval '30 days') AS expired_left_retention,
       last_rows, last_batches FROM steward.retention_status WHERE relation = 'bench.logs_retention'::regclass;

SELECT steward.retention_drop('bench.logs_retention') \gset
DROP TABLE bench.logs_src, bench.logs_delete, bench.logs_retention;
DROP PROCEDURE bench.logs_fresh(text), bench.retention_rounds(int);
