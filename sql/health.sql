--
-- health: steward.health_check() joins every capability's checks
--
\set SHOW_CONTEXT never
CREATE SCHEMA health_t;
CREATE TABLE health_t.clean (id int PRIMARY KEY, v text);
ALTER TABLE health_t.clean ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON health_t.clean USING (id > 0);
-- a clean audited, versioned, notified table: no finding of those areas
ALTER TABLE health_t.clean ADD COLUMN version int NOT NULL DEFAULT 1;
SELECT steward.audit_enable('health_t.clean'), steward.versioning_enable('health_t.clean'),
       steward.notify_enable('health_t.clean');
INSERT INTO health_t.clean (id, v) VALUES (1, 'ok');
SELECT steward.validate_column('health_t.clean', 'v', 'length', '{"min": 2}');
-- clean privacy: a subject whose rows are reached through indexed columns
-- (a foreign key, a link to a jsonb field), personal data on a protected
-- table, a retention policy defined but not yet due
SELECT steward.subject_define('health_person', 'health_t.clean');
SELECT steward.personal_data('health_t.clean', 'v', 'contact');
CREATE TABLE health_t.clean_child (id int PRIMARY KEY, clean_id int REFERENCES health_t.clean, data jsonb, at timestamptz);
CREATE INDEX ON health_t.clean_child (clean_id);
CREATE INDEX ON health_t.clean_child ((data #>> '{person}'));
ALTER TABLE health_t.clean_child ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON health_t.clean_child USING (id > 0);
SELECT steward.subject_link('health_person', 'health_t.clean_child', 'data', json_path => ARRAY['person']);
SELECT steward.retention_set('health_t.clean_child', 'at', '1 year');
SELECT severity, area, code, object FROM steward.health_check(ARRAY['health_t']) ORDER BY code, object;

-- each problem is found, with a hint
-- (OPS001: an unindexed foreign key; the indexed one, the one whose index
-- has its columns in another order, and the partial index that does not
-- count are told apart)
CREATE TABLE health_t.ops_parent (id int, k int, PRIMARY KEY (id, k));
CREATE TABLE health_t.ops_child (id int PRIMARY KEY, "Parent" int, k int,
                                 FOREIGN KEY ("Parent", k) REFERENCES health_t.ops_parent);
CREATE TABLE health_t.ops_indexed (id int PRIMARY KEY, p int, k int, FOREIGN KEY (p, k) REFERENCES health_t.ops_parent);
CREATE INDEX ON health_t.ops_indexed (k, p);
CREATE TABLE health_t.ops_partial (id int PRIMARY KEY, p int, k int, FOREIGN KEY (p, k) REFERENCES health_t.ops_parent);
CREATE INDEX ON health_t.ops_partial (p, k) WHERE p > 0;
CREATE TABLE health_t.no_trigger (id int PRIMARY KEY);
SELECT steward.audit_enable('health_t.no_trigger');
DROP TRIGGER steward_audit ON health_t.no_trigger;
CREATE TABLE health_t.disabled (id int PRIMARY KEY);
SELECT steward.audit_enable('health_t.disabled');
ALTER TABLE health_t.disabled DISABLE TRIGGER steward_audit;
CREATE TABLE health_t.nokey (v text);
SELECT steward.audit_enable('health_t.nokey');
CREATE TABLE health_t.replica (id int PRIMARY KEY);
SELECT steward.audit_enable('health_t.replica', hash_columns => ARRAY['id'], operations => ARRAY['INSERT']);
ALTER TABLE health_t.replica ENABLE REPLICA TRIGGER steward_audit;
CREATE TABLE health_t.renamed (id int PRIMARY KEY, version int, a text, b text);
SELECT steward.versioning_enable('health_t.renamed'),
       steward.notify_enable('health_t.renamed', columns => ARRAY['a', 'b']);
ALTER TABLE health_t.renamed RENAME COLUMN version TO revision;
ALTER TABLE health_t.renamed RENAME COLUMN b TO bee;
ALTER TABLE health_t.clean DISABLE TRIGGER steward_versioning;
ALTER TABLE health_t.clean DISABLE TRIGGER steward_notify;
CREATE TABLE health_t.v_no_trigger (id int PRIMARY KEY, e text);
SELECT steward.validate_column('health_t.v_no_trigger', 'e', 'email');
DROP TRIGGER steward_validate ON health_t.v_no_trigger;
CREATE TABLE health_t.v_disabled (id int PRIMARY KEY, e text);
SELECT steward.validate_column('health_t.v_disabled', 'e', 'email');
ALTER TABLE health_t.v_disabled DISABLE TRIGGER steward_validate;
INSERT INTO health_t.v_disabled VALUES (1, 'not an address'), (2, 'a@example.com'), (3, 'nope');
CREATE TABLE health_t.v_renamed (id int PRIMARY KEY, nick text);
SELECT steward.validate_column('health_t.v_renamed', 'nick', 'length', '{"min": 2}');
CREATE TABLE health_t.m_people (id int PRIMARY KEY, email text);
SELECT steward.mask_column('health_t.m_people', 'email', 'steward.mask_email');
SELECT steward.mask_apply('health_t.m_people');
CREATE ROLE health_analyst;
GRANT SELECT ON health_t.m_people TO health_analyst;
SELECT steward.mask_role('health_analyst');
-- a masked table altered by another role than its owner: the view is stale
CREATE ROLE health_mowner;
GRANT USAGE ON SCHEMA health_t TO health_mowner;
GRANT USAGE, CREATE ON SCHEMA health_t_masked TO health_mowner;
ALTER TABLE health_t.m_people OWNER TO health_mowner;
ALTER VIEW health_t_masked.m_people OWNER TO health_mowner;
ALTER TABLE health_t.m_people ADD COLUMN nickname text;
-- (a rename the event trigger did not see: rules otherwise follow renames)
ALTER EVENT TRIGGER steward_validation_on_rename DISABLE;
ALTER TABLE health_t.v_renamed RENAME COLUMN nick TO nickname;
ALTER EVENT TRIGGER steward_validation_on_rename ENABLE;
-- privacy: rows of the subject reached through columns without an index
-- (a foreign key, a declared link, a jsonb field, a partitioned table
-- indexed on one partition only; indexes that do not count: one where the
-- column comes second, a partial one, one on another expression; p_lines's
-- foreign key leads its primary key), personal data without protection (nokey is audited, m_people
-- masked), retention policies that do not run
CREATE TABLE health_t.p_orders (id int PRIMARY KEY, person_id int REFERENCES health_t.clean, address text, at timestamptz);
CREATE TABLE health_t.p_lines (order_id int REFERENCES health_t.p_orders, line int, PRIMARY KEY (order_id, line));
CREATE INDEX ON health_t.p_orders (at, person_id);
CREATE TABLE health_t.p_notes (id int PRIMARY KEY, "Author" int, at timestamptz);
CREATE INDEX ON health_t.p_notes ("Author") WHERE id > 0;
SELECT steward.subject_link('health_person', 'health_t.p_notes', 'Author');
CREATE TABLE health_t.p_tickets (id int PRIMARY KEY, data jsonb, at timestamptz);
CREATE INDEX ON health_t.p_tickets ((data -> 'person'));
SELECT steward.subject_link('health_person', 'health_t.p_tickets', 'data', json_path => ARRAY['person', 'id']);
CREATE TABLE health_t.p_events (at timestamptz NOT NULL, person_id int REFERENCES health_t.clean) PARTITION BY RANGE (at);
CREATE TABLE health_t.p_events_old PARTITION OF health_t.p_events FOR VALUES FROM ('2000-01-01') TO ('2020-01-01');
CREATE TABLE health_t.p_events_new PARTITION OF health_t.p_events FOR VALUES FROM ('2020-01-01') TO ('2100-01-01');
CREATE INDEX ON health_t.p_events_new (person_id);
SELECT steward.personal_data('health_t.p_orders', 'address', 'contact');
SELECT steward.personal_data('health_t.nokey', 'v', 'identity');
SELECT steward.personal_data('health_t.m_people', 'email', 'contact');
SELECT steward.retention_set('health_t.p_orders', 'at', '1 year');
SELECT steward.retention_set('health_t.p_events', 'at', '1 year');
SELECT steward.retention_set('health_t.p_tickets', 'at', '1 year');
SELECT steward.retention_set('health_t.p_notes', 'at', '1 year');
CREATE FUNCTION health_t.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'kept forever'; END $$;
CREATE TRIGGER refuse BEFORE DELETE ON health_t.p_events_old FOR EACH ROW EXECUTE FUNCTION health_t.refuse();
INSERT INTO health_t.p_events VALUES ('2019-01-01', 1);
CALL steward.retention_run('health_t.p_events');
CALL steward.retention_run('health_t.p_tickets');
CALL steward.retention_run('health_t.p_notes');
-- (as if p_orders's policy was defined 3 days ago, p_tickets's last ran 5
-- days ago, and the run of p_notes was interrupted 4 days ago)
UPDATE steward.retention_policies SET defined_at = now() - interval '3 days 1 hour'
WHERE relation = 'health_t.p_orders'::regclass;
UPDATE steward.retention_runs SET started_at = now() - interval '5 days 2 hours', finished_at = now() - interval '5 days 1 hour'
WHERE relation = 'health_t.p_tickets'::regclass;
UPDATE steward.retention_runs SET status = 'running', started_at = now() - interval '4 days 1 hour', finished_at = NULL
WHERE relation = 'health_t.p_notes'::regclass;
SELECT severity, area, code, object, message, hint
FROM steward.health_check(ARRAY['health_t']) WHERE area <> 'rls' ORDER BY code, object, message;
-- the schema filter applies to them
SELECT count(*) AS privacy_findings FROM steward.health_check(ARRAY['health_t_masked']) WHERE area = 'privacy';
-- an ordinary role gets the same findings
CREATE ROLE health_reader;
SET ROLE health_reader;
SELECT code, object FROM steward.health_check(ARRAY['health_t']) WHERE area <> 'rls' ORDER BY code, object;
RESET ROLE;
DROP ROLE health_reader;
-- the linter's findings come along (area rls)
SELECT code, object FROM steward.health_check(ARRAY['health_t']) WHERE area = 'rls' ORDER BY code, object;

-- a missing log partition
BEGIN;
SELECT format('steward.%I', 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM')) AS month,
       format('steward.%I', 'audit_log_y' || to_char((now() AT TIME ZONE 'UTC') + interval '1 month', 'YYYY"m"MM')) AS next \gset
ALTER TABLE steward.audit_log DETACH PARTITION :next;
SELECT code FROM steward.health_check(ARRAY['health_t']) WHERE code LIKE 'AUD00_' AND code >= 'AUD004';
ALTER TABLE steward.audit_log DETACH PARTITION :month;
SELECT code FROM steward.health_check(ARRAY['health_t']) WHERE code LIKE 'AUD00_' AND code >= 'AUD004';
ROLLBACK;

-- fixed, the findings go away
ALTER TABLE health_t.disabled ENABLE TRIGGER steward_audit;
ALTER TABLE health_t.replica ENABLE TRIGGER steward_audit;
ALTER TABLE health_t.clean ENABLE TRIGGER steward_versioning;
ALTER TABLE health_t.clean ENABLE TRIGGER steward_notify;
SELECT steward.audit_enable('health_t.no_trigger');
SELECT steward.validation_trigger_sync('health_t.v_no_trigger');
REVOKE SELECT ON health_t.m_people FROM health_analyst;
GRANT SELECT (id) ON health_t.m_people TO health_analyst;
SET ROLE health_mowner;
SELECT steward.mask_apply('health_t.m_people');
RESET ROLE;
ALTER TABLE health_t.v_disabled ENABLE TRIGGER steward_validate;
UPDATE health_t.v_disabled SET e = 'fixed' || id || '@example.com' WHERE NOT steward.is_email(e);
SELECT steward.validate_detach('health_t.v_renamed', 'nick');
SELECT steward.validate_column('health_t.v_renamed', 'nickname', 'length', '{"min": 2}');
-- (AUD001's hint re-creates the trigger with the table's options)
DROP TRIGGER steward_audit ON health_t.replica;
DO $$
BEGIN
  EXECUTE (SELECT substr(hint, strpos(hint, 'SELECT')) FROM steward.health_check(ARRAY['health_t'])
           WHERE code = 'AUD001' AND object = 'health_t.replica');
END $$;
SELECT operations, hash_columns FROM steward.audit_tables WHERE relation = 'health_t.replica'::regclass;
ALTER TABLE health_t.nokey ADD COLUMN id serial PRIMARY KEY;
-- (PRV001's hints create the indexes; p_events's on the partitioned table)
DO $$
DECLARE
  h text;
BEGIN
  FOR h IN SELECT hint FROM steward.health_check(ARRAY['health_t']) WHERE code = 'PRV001' ORDER BY object LOOP
    EXECUTE h;
  END LOOP;
END $$;
SELECT indrelid::regclass AS "table", pg_get_indexdef(indexrelid, 0, true) AS index, indisvalid AS valid FROM pg_index
WHERE indrelid IN ('health_t.p_orders'::regclass, 'health_t.p_notes'::regclass, 'health_t.p_tickets'::regclass,
                   'health_t.p_events'::regclass) AND NOT indisprimary
ORDER BY indrelid::regclass::text, 2;
SELECT steward.audit_enable('health_t.p_orders');
DROP TRIGGER refuse ON health_t.p_events_old;
CALL steward.retention_run('health_t.p_orders');
CALL steward.retention_run('health_t.p_events');
CALL steward.retention_run('health_t.p_tickets');
CALL steward.retention_run('health_t.p_notes');
-- (OPS001's hints create the foreign keys' indexes)
DO $$
DECLARE
  h text;
BEGIN
  FOR h IN SELECT hint FROM steward.health_check(ARRAY['health_t']) WHERE code = 'OPS001' ORDER BY object LOOP
    EXECUTE h;
  END LOOP;
END $$;
SELECT steward.versioning_enable('health_t.renamed', 'revision'),
       steward.notify_enable('health_t.renamed', columns => ARRAY['a', 'bee']);
SELECT count(*) AS findings FROM steward.health_check(ARRAY['health_t']) WHERE area <> 'rls';


-- bad input
SELECT * FROM steward.health_check(ARRAY[NULL]::name[]);
SELECT count(*) >= 0 AS runs_on_every_schema FROM steward.health_check();

DROP SCHEMA health_t CASCADE;
DROP SCHEMA health_t_masked;
DROP ROLE health_analyst, health_mowner;
