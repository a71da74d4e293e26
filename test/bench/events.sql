--
-- Change events: the write cost of versioning_enable and notify_enable.
--
-- UPDATE of 20,000 rows (n = n + 1, the version not mentioned: it carries
-- the current one) on identical tables: no trigger (baseline); the
-- versioning trigger; the same check written as a PL/pgSQL trigger, which
-- is what people write by hand; the notification trigger (one JSON payload
-- per row, with one listed column).
--
\echo '== events: UPDATE of 20,000 rows (best of 5)'
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ev_base', 'ev_version', 'ev_plpgsql', 'ev_notify'] LOOP
        EXECUTE format('CREATE TABLE bench.%I (id int PRIMARY KEY, n int NOT NULL, note text, version bigint NOT NULL DEFAULT 1)', t);
        EXECUTE format('INSERT INTO bench.%I (id, n, note) SELECT g, g, ''note '' || g FROM generate_series(1, 20000) g', t);
    END LOOP;
END $$;
SELECT steward.versioning_enable('bench.ev_version') \gset
CREATE FUNCTION bench.version_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version IS DISTINCT FROM OLD.version THEN
        RAISE EXCEPTION 'row % was changed by another transaction', OLD.id USING ERRCODE = '40001';
    END IF;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER version_check BEFORE UPDATE ON bench.ev_plpgsql FOR EACH ROW EXECUTE FUNCTION bench.version_check();
SELECT steward.notify_enable('bench.ev_notify', columns => ARRAY['n']) \gset
VACUUM ANALYZE bench.ev_base, bench.ev_version, bench.ev_plpgsql, bench.ev_notify;

CALL bench.compare('events_update', ARRAY[
    ['no trigger (baseline)', 'UPDATE bench.ev_base SET n = n + 1'],
    ['steward.versioning_enable', 'UPDATE bench.ev_version SET n = n + 1'],
    ['PL/pgSQL version check', 'UPDATE bench.ev_plpgsql SET n = n + 1'],
    ['steward.notify_enable', 'UPDATE bench.ev_notify SET n = n + 1']], 5);
SELECT * FROM bench.report('events_update');

DROP TABLE bench.ev_base, bench.ev_version, bench.ev_plpgsql, bench.ev_notify;
DROP FUNCTION bench.version_check();
