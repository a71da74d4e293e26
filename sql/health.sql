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
SELECT severity, area, code, object FROM steward.health_check(ARRAY['health_t']) ORDER BY code, object;

-- each problem is found, with a hint
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
SELECT severity, area, code, object, message, hint
FROM steward.health_check(ARRAY['health_t']) WHERE area <> 'rls' ORDER BY code, object, message;
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
SELECT steward.versioning_enable('health_t.renamed', 'revision'),
       steward.notify_enable('health_t.renamed', columns => ARRAY['a', 'bee']);
SELECT count(*) AS findings FROM steward.health_check(ARRAY['health_t']) WHERE area <> 'rls';


-- bad input
SELECT * FROM steward.health_check(ARRAY[NULL]::name[]);
SELECT count(*) >= 0 AS runs_on_every_schema FROM steward.health_check();

DROP SCHEMA health_t CASCADE;
DROP SCHEMA health_t_masked;
DROP ROLE health_analyst, health_mowner;
