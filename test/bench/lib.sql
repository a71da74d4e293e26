--
-- test/bench/lib.sql: timing helpers shared by the benchmark sections.
--
-- CALL bench.compare(label, ARRAY[[name, query], ...], runs) times each
-- query `runs` times (after one warm-up run each), round-robin so that a
-- change in the machine's load hits every case alike, inside the server so
-- that client round trips do not count.
-- bench.report(label) prints the cases with their best and median times
-- and the ratio of each case's best time to the first case's (the
-- baseline).  Best-of-N is the steadiest figure for CPU-bound queries.
--
CREATE SCHEMA bench;

CREATE TABLE bench.results (
    label    text NOT NULL,
    ord      int NOT NULL,
    name     text NOT NULL,
    ms       numeric NOT NULL
);

CREATE PROCEDURE bench.compare(label text, cases text[], runs int DEFAULT 9)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    FOR c IN 1 .. array_length(cases, 1) LOOP
        EXECUTE cases[c][2];                       -- warm-up
    END LOOP;
    FOR i IN 1 .. runs LOOP
        FOR c IN 1 .. array_length(cases, 1) LOOP
            t0 := clock_timestamp();
            EXECUTE cases[c][2];
            INSERT INTO bench.results
            VALUES (label, c, cases[c][1],
                    extract(epoch FROM clock_timestamp() - t0) * 1000);
        END LOOP;
    END LOOP;
END $$;

CREATE FUNCTION bench.report(label text)
RETURNS TABLE (case_name text, best_ms numeric, median_ms numeric, ratio numeric)
LANGUAGE sql AS $$
    WITH s AS (
        SELECT ord, name, min(ms) AS best,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median
        FROM bench.results r WHERE r.label = report.label
        GROUP BY ord, name)
    SELECT name, round(best, 2), round(median::numeric, 2),
           round(best / nullif((SELECT best FROM s WHERE ord = 1), 0), 2)
    FROM s ORDER BY ord;
$$;
