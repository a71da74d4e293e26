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

-- privacy: a subject, declared personal data (masked), retention, consents
-- and a request
SET steward.privacy_key = 'report test key 0123456789';
CREATE TABLE rep_t.people (id int PRIMARY KEY, email text, seen_at timestamptz NOT NULL DEFAULT now());
SELECT steward.subject_define('rep_person', 'rep_t.people');
SELECT steward.personal_data('rep_t.people', 'email', 'contact');
SELECT steward.mask_column('rep_t.people', 'email', 'steward.mask_email');
SELECT steward.retention_set('rep_t.people', 'seen_at', '2 years');
SELECT steward.consent_grant('rep_person', '1', 'newsletter'), steward.consent_grant('rep_person', '2', 'newsletter');
SELECT steward.consent_withdraw('rep_person', '2', 'newsletter');
SELECT steward.request_open('rep_person', '1', 'access') > 0 AS opened;

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
-- without privacy_grant it sees no consents, receipts or requests
SELECT line FROM regexp_split_to_table(steward.report(ARRAY['rep_t']), E'\n') AS line WHERE line LIKE 'Not shown%';
RESET ROLE;
DROP ROLE rep_reader;

-- bad input; every schema by default
SELECT steward.report(ARRAY[NULL]::name[]);
SELECT steward.report() LIKE '# pg_steward report: database %' AS default_schemas;

SELECT steward.subject_drop('rep_person');
SELECT steward.consent_forget('rep_person', '1') + steward.consent_forget('rep_person', '2') AS forgotten;
DELETE FROM steward.subject_requests WHERE subject = 'rep_person';
DROP SCHEMA rep_t CASCADE;
