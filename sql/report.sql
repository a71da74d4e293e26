--
-- report: the Markdown compliance page
--
\set SHOW_CONTEXT never
CREATE SCHEMA rep_t;
CREATE TABLE rep_t.orders (id int PRIMARY KEY, tenant_id int, version int NOT NULL DEFAULT 1);
ALTER TABLE rep_t.orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY p1 ON rep_t.orders USING (tenant_id = 1);
SELECT steward.audit_enable('rep_t.orders'), steward.versioning_enable('rep_t.orders'),
       steward.notify_enable('rep_t.orders');
CREATE TABLE rep_t."odd|name" (v text);
SELECT steward.audit_enable('rep_t."odd|name"');
CREATE TABLE rep_t.parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE rep_t.parted_1 PARTITION OF rep_t.parted FOR VALUES FROM (0) TO (10);

-- some activity for the counters (the test instances preload the library)
INSERT INTO rep_t.orders (id, tenant_id) VALUES (1, 1), (2, 1);
UPDATE rep_t.orders SET tenant_id = 1, version = 0 WHERE id = 1;
INSERT INTO rep_t."odd|name" VALUES ('x');

-- every line but the one with the time; the counters' start times masked
SELECT regexp_replace(line, '\d{4}-\d\d-\d\d \d\d:\d\d', 'YYYY-MM-DD HH:MI') AS line
FROM regexp_split_to_table(steward.report(ARRAY['rep_t']), E'\n') WITH ORDINALITY AS l(line, n)
WHERE line NOT LIKE 'Generated %' ORDER BY n;

-- an ordinary role can render it
CREATE ROLE rep_reader;
SET ROLE rep_reader;
SELECT length(steward.report(ARRAY['rep_t'])) > 0 AS rendered;
RESET ROLE;
DROP ROLE rep_reader;

-- bad input; every schema by default
SELECT steward.report(ARRAY[NULL]::name[]);
SELECT steward.report() LIKE '# pg_steward report: database %' AS default_schemas;

DROP SCHEMA rep_t CASCADE;
