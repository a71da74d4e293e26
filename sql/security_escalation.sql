--
-- security_escalation: what an ordinary role cannot do to pg_steward or
-- through it.  Every attempt runs through esc_lab.esc_try(), which runs one
-- statement as the current role and returns "SQLSTATE: message" (or
-- "allowed", rolled back), so each refusal shows its code.  An attempt that
-- must be refused and is not shows up as "allowed".
--
-- Roles (NOLOGIN, used with SET ROLE and SET SESSION AUTHORIZATION):
--   esc_owner    owns the victim's tables (schema esc_victim)
--   esc_mallory  the attacker: an application role with SELECT, INSERT,
--                UPDATE, DELETE on esc_victim.customers (as an SQL injection
--                would have), owner of its own schema and tables
--   esc_nobody   an ordinary role with no privilege at all
--   esc_officer  a privacy officer (steward.privacy_grant)
--   esc_monitor  a member of pg_read_all_settings
--
\set SHOW_CONTEXT never
SELECT current_database() AS dbname \gset

CREATE ROLE esc_owner NOLOGIN;
CREATE ROLE esc_mallory NOLOGIN;
CREATE ROLE esc_nobody NOLOGIN;
CREATE ROLE esc_officer NOLOGIN;
CREATE ROLE esc_monitor NOLOGIN IN ROLE pg_read_all_settings;

-- the lab: esc_try() and the record of every attempt
CREATE SCHEMA esc_lab;
GRANT USAGE ON SCHEMA esc_lab TO PUBLIC;
CREATE TABLE esc_lab.tried (n serial, who name, label text, outcome text);
GRANT INSERT ON esc_lab.tried TO PUBLIC;
GRANT USAGE ON SEQUENCE esc_lab.tried_n_seq TO PUBLIC;
-- esc_try(label, statement, path, keep): run the statement as the current
-- role, with search_path path (NULL: the caller's) for the statement alone;
-- roll it back unless keep.  Returns "allowed" / "done" or "SQLSTATE:
-- message" (names that change from month to month normalized).
CREATE FUNCTION esc_lab.esc_try(label text, statement text, path text DEFAULT NULL, keep boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    outcome text;
    done boolean := false;
BEGIN
    BEGIN
        IF path IS NOT NULL THEN
            PERFORM pg_catalog.set_config('search_path', path, true);
        END IF;
        EXECUTE statement;
        -- (nothing else of this function may run with that path)
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        done := true;
        IF NOT keep THEN
            RAISE EXCEPTION USING ERRCODE = 'ESC00';
        END IF;
        outcome := 'done';
    EXCEPTION WHEN OTHERS THEN
        IF done AND SQLSTATE = 'ESC00' THEN
            outcome := 'allowed (rolled back)';
        ELSE
            outcome := SQLSTATE || ': ' || SQLERRM;
        END IF;
    END;
    outcome := regexp_replace(outcome, 'audit_log_y[0-9]{4}m[0-9]{2}', 'audit_log_yYYYYmMM', 'g');
    outcome := replace(outcome, current_database(), 'DB');
    INSERT INTO esc_lab.tried (who, label, outcome) VALUES (current_user, label, outcome);
    RETURN outcome;
END
$$;
GRANT EXECUTE ON FUNCTION esc_lab.esc_try(text, text, text, boolean) TO PUBLIC;

-- the victim: a table owner's audited, masked, validated, RLS-protected
-- tables, in a privacy subject's map, with a hold and a retention policy
CREATE SCHEMA esc_victim AUTHORIZATION esc_owner;
CREATE SCHEMA esc_mallory AUTHORIZATION esc_mallory;
GRANT USAGE ON SCHEMA esc_victim TO esc_mallory, esc_officer;
GRANT CREATE ON DATABASE :"dbname" TO esc_owner;
SELECT count(*) >= 0 AS partitions_ready FROM steward.audit_maintain();
SET ROLE esc_owner;
CREATE TABLE esc_victim.customers (email varchar(80) PRIMARY KEY, tenant_id integer NOT NULL,
                                   name varchar(40), born date);
CREATE TABLE esc_victim.orders (id bigint PRIMARY KEY, customer varchar(80) NOT NULL REFERENCES esc_victim.customers,
                                note varchar(40), placed date NOT NULL);
INSERT INTO esc_victim.customers VALUES ('ann@example.com', 1, 'Ann', '1980-01-01'),
                                        ('bob@example.com', 2, 'Bob', '1990-01-01');
INSERT INTO esc_victim.orders VALUES (1, 'ann@example.com', 'red shoes', '2001-01-01'),
                                     (2, 'ann@example.com', 'blue hat', current_date),
                                     (3, 'bob@example.com', 'green coat', '2001-01-01');
GRANT SELECT, INSERT, UPDATE, DELETE ON esc_victim.customers TO esc_mallory;
SELECT steward.audit_enable('esc_victim.customers');
SELECT steward.audit_enable('esc_victim.orders');
SELECT steward.audit_reads('esc_victim.orders');
SELECT steward.policy_tenant('esc_victim.customers');
SELECT steward.validate_column('esc_victim.customers', 'email', 'email');
SELECT steward.mask_column('esc_victim.customers', 'name', 'steward.mask_redact');
SELECT steward.subject_define('esc_customer', 'esc_victim.customers');
SELECT steward.personal_data('esc_victim.customers', 'name', 'identity', 'anonymize');
SELECT steward.personal_data('esc_victim.orders', 'note', 'purchase', 'anonymize');
SELECT steward.subject_hold('esc_victim.orders', 'invoices are kept 10 years', keep => '10 years', age_column => 'placed');
SELECT steward.retention_set('esc_victim.orders', 'placed', '5 years', 'anonymize');
RESET ROLE;
SET SESSION AUTHORIZATION esc_mallory;
CREATE TABLE esc_mallory.mine (id integer PRIMARY KEY, tenant_id integer, born date, note text);
CREATE FUNCTION esc_mallory.evil(text) RETURNS text LANGUAGE sql AS 'SELECT $1';
RESET SESSION AUTHORIZATION;

--
-- 1. Climbing to another role.  The attacker's sections run with SET
--    SESSION AUTHORIZATION: SET ROLE is checked against the session user,
--    and the test's session user is a superuser.  (SET SESSION
--    AUTHORIZATION itself is checked against the role that logged in, the
--    test's superuser: it cannot be tried from here.)
--
SET SESSION AUTHORIZATION esc_mallory;
SELECT session_user, current_user;
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('SET ROLE to the victim',                 'SET ROLE esc_owner'),
  ('SET ROLE to a predefined role',          'SET ROLE pg_read_all_settings'),
  ('grant itself the victim''s role',        'GRANT esc_owner TO esc_mallory'),
  ('grant itself pg_read_all_settings',      'GRANT pg_read_all_settings TO esc_mallory'),
  ('make itself superuser',                  'ALTER ROLE esc_mallory SUPERUSER'),
  ('make itself BYPASSRLS',                  'ALTER ROLE esc_mallory BYPASSRLS'),
  ('make itself CREATEROLE',                 'ALTER ROLE esc_mallory CREATEROLE'),
  ('skip triggers (replication role)',       'SET session_replication_role = replica'),
  ('as_user as the victim',                  'SELECT steward.as_user(''{"tenant_id": "2"}'', ''SELECT 1'', ''esc_owner'')'),
  ('policy_check as the victim',             'SELECT steward.policy_check(''esc_victim.customers'', ''{"tenant_id": "2"}'', ''esc_owner'')')
) v(label, sql);
RESET SESSION AUTHORIZATION;

--
-- 2. The audit log: read, change, stop or narrow it
--
SET SESSION AUTHORIZATION esc_mallory;
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('SELECT the log',                         'SELECT * FROM steward.audit_log'),
  ('SELECT ... FOR UPDATE',                  'SELECT * FROM steward.audit_log FOR UPDATE'),
  ('INSERT a record',                        'INSERT INTO steward.audit_log (id) VALUES (1)'),
  ('UPDATE records',                         'UPDATE steward.audit_log SET query = NULL'),
  ('DELETE records',                         'DELETE FROM steward.audit_log'),
  ('TRUNCATE the log',                       'TRUNCATE steward.audit_log'),
  ('LOCK the log',                           'LOCK TABLE steward.audit_log IN ACCESS EXCLUSIVE MODE'),
  ('SELECT the default partition',          'SELECT * FROM steward.audit_log_default'),
  ('DELETE from the default partition',      'DELETE FROM steward.audit_log_default'),
  ('DROP the default partition',             'DROP TABLE steward.audit_log_default'),
  ('detach a partition',                     'ALTER TABLE steward.audit_log DETACH PARTITION steward.audit_log_default'),
  ('add a partition of its own',             'CREATE TABLE esc_mallory.fake PARTITION OF steward.audit_log FOR VALUES FROM (''2099-01-01'') TO (''2099-02-01'')'),
  ('index the log',                          'CREATE INDEX ON steward.audit_log (id)'),
  ('add a trigger to the log',               'CREATE TRIGGER t BEFORE INSERT ON steward.audit_log FOR EACH ROW EXECUTE FUNCTION steward.audit_trigger()'),
  ('COPY the log to a file',                 'COPY steward.audit_log TO ''/dev/null'''),
  ('SELECT the seals',                       'SELECT * FROM steward.audit_seals'),
  ('UPDATE a seal',                          'UPDATE steward.audit_seals SET seal = NULL'),
  ('DELETE the seals',                       'DELETE FROM steward.audit_seals'),
  ('TRUNCATE the seals',                     'TRUNCATE steward.audit_seals'),
  ('a row''s history',                       'SELECT steward.audit_history(''esc_victim.customers'', ''{"email": "ann@example.com"}'')'),
  ('a row as of now',                        'SELECT steward.audit_row_as_of(''esc_victim.customers'', ''{"email": "ann@example.com"}'', now())'),
  ('a transaction''s records',               'SELECT steward.audit_transaction(''1''::xid8)'),
  ('undo a transaction',                     'SELECT steward.audit_undo(''1''::xid8, false)'),
  ('verify the log',                         'SELECT steward.audit_verify()'),
  ('seal the log',                           'SELECT steward.audit_seal()'),
  ('redact a record',                        'SELECT steward.audit_redact(1, NULL, NULL, ''why not'')'),
  ('purge the log',                          'SELECT steward.audit_purge(now())'),
  ('create partitions',                      'SELECT steward.audit_maintain(12)'),
  ('write an event',                         'SELECT steward.audit_event(''AUDIT DISABLE'', ''esc_victim'', ''customers'', ''{}'')'),
  ('HMAC with the audit key',                'SELECT steward.audit_key_hmac(''\x00'')'),
  ('recompute a digest',                     'SELECT steward.audit_record_digest(jsonb_populate_record(NULL::steward.audit_log, ''{"id": 1}''))'),
  ('digest a window',                        'SELECT steward.audit_window(0, 1)'),
  ('reset the status counters',              'SELECT steward.status_reset()'),
  ('audit_disable (no grant)',               'SELECT steward.audit_disable(''esc_victim.customers'')'),
  ('audit_enable: narrow the capture',       'SELECT steward.audit_enable(''esc_victim.customers'', ARRAY[''TRUNCATE''])'),
  ('audit_enable: exclude a column',         'SELECT steward.audit_enable(''esc_victim.customers'', exclude_columns => ARRAY[''name''::name])'),
  ('the writer: forget the table',           'SELECT steward.audit_config_write(''esc_victim.customers'', NULL, NULL, NULL, NULL, NULL, NULL)'),
  ('the writer: narrow the capture',         'SELECT steward.audit_config_write(''esc_victim.customers'', ''{TRUNCATE}'', ''{}'', ''{}'', false, true, false)'),
  ('stop read auditing',                     'SELECT steward.audit_reads(''esc_victim.orders'', false)'),
  ('the writer: stop read auditing',         'SELECT steward.audit_reads_write(''esc_victim.orders'', false)'),
  ('disable the audit trigger',              'ALTER TABLE esc_victim.customers DISABLE TRIGGER steward_audit'),
  ('drop the audit trigger',                 'DROP TRIGGER steward_audit ON esc_victim.customers'),
  ('turn DDL capture off',                   'SET steward.audit_ddl = off'),
  ('turn DDL capture off, locally',          'SET LOCAL steward.audit_ddl = off')
) v(label, sql);
RESET SESSION AUTHORIZATION;
-- with EXECUTE on audit_disable, still only for the owner of the table
GRANT EXECUTE ON FUNCTION steward.audit_disable(regclass) TO esc_mallory;
SET SESSION AUTHORIZATION esc_mallory;
SELECT esc_lab.esc_try('audit_disable (granted, not the owner)', 'SELECT steward.audit_disable(''esc_victim.customers'')') AS outcome;
RESET SESSION AUTHORIZATION;
REVOKE EXECUTE ON FUNCTION steward.audit_disable(regclass) FROM esc_mallory;
-- the audited table is taken from the catalog: a trigger of the attacker's
-- own table that names the victim's table records the attacker's table
SET SESSION AUTHORIZATION esc_mallory;
CREATE TRIGGER forged AFTER INSERT ON esc_mallory.mine FOR EACH ROW
  EXECUTE FUNCTION steward.audit_trigger('esc_victim', 'customers');
INSERT INTO esc_mallory.mine VALUES (1, 1, '2000-01-01', 'x');
DROP TRIGGER forged ON esc_mallory.mine;
RESET SESSION AUTHORIZATION;
SELECT schema_name, table_name, operation FROM steward.audit_log
WHERE effective_role = 'esc_mallory' AND operation = 'INSERT' ORDER BY id;

--
-- 3. Configuration tables and sequences: no direct write, no lock.  (Views
--    that cannot be updated refuse writes with 55000, and TRUNCATE with
--    42809, before privileges are even checked; PUBLIC holds SELECT alone
--    on every relation of the extension, see section 9.)
--
CREATE TABLE esc_lab.relations AS
SELECT c.oid::regclass AS rel, c.relkind,
       (SELECT quote_ident(a.attname) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attidentity = '' AND a.attgenerated = ''
        ORDER BY a.attnum LIMIT 1) AS col
FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_steward')
  AND c.relkind IN ('r', 'p', 'v');
GRANT SELECT ON esc_lab.relations TO PUBLIC;
SET SESSION AUTHORIZATION esc_mallory;
SELECT r.rel AS relation,
       split_part(esc_lab.esc_try(r.rel || ' insert', format('INSERT INTO %s DEFAULT VALUES', r.rel)), ':', 1) AS "insert",
       split_part(esc_lab.esc_try(r.rel || ' update', format('UPDATE %s SET %s = %2$s WHERE false', r.rel, r.col)), ':', 1) AS "update",
       split_part(esc_lab.esc_try(r.rel || ' delete', format('DELETE FROM %s WHERE false', r.rel)), ':', 1) AS "delete",
       split_part(esc_lab.esc_try(r.rel || ' truncate', format('TRUNCATE %s', r.rel)), ':', 1) AS "truncate",
       split_part(esc_lab.esc_try(r.rel || ' lock', format('LOCK TABLE %s IN EXCLUSIVE MODE', r.rel)), ':', 1) AS "lock"
FROM esc_lab.relations r
ORDER BY r.rel::text;
-- every sequence of the extension
SELECT s.oid::regclass AS sequence,
       split_part(esc_lab.esc_try(s.oid::regclass || ' nextval', format('SELECT nextval(%L)', s.oid::regclass)), ':', 1) AS "nextval",
       split_part(esc_lab.esc_try(s.oid::regclass || ' setval', format('SELECT setval(%L, 1)', s.oid::regclass)), ':', 1) AS "setval"
FROM pg_class s WHERE s.relnamespace = 'steward'::regnamespace AND s.relkind = 'S'
ORDER BY s.oid::regclass::text;
RESET SESSION AUTHORIZATION;

--
-- 4. Someone else's configuration: the functions, and the internal writers
--    called directly (both check that the caller owns the table)
--
SET SESSION AUTHORIZATION esc_mallory;
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('policy_tenant',                          'SELECT steward.policy_tenant(''esc_victim.customers'')'),
  ('policy_owner',                           'SELECT steward.policy_owner(''esc_victim.customers'', ''email'')'),
  ('policy_roles',                           'SELECT steward.policy_roles(''esc_victim.customers'', ''{"all": ["x"]}'')'),
  ('policy_drop',                            'SELECT steward.policy_drop(''esc_victim.customers'')'),
  ('policy_apply',                           'SELECT steward.policy_apply(''esc_victim.customers'')'),
  ('policy_consent',                         'SELECT steward.policy_consent(''esc_victim.customers'', ''email'', ''marketing'', ''esc_customer'')'),
  ('rls_template_write',                     'SELECT steward.rls_template_write(''esc_victim.customers'', ''tenant'', NULL)'),
  ('versioning_enable',                      'SELECT steward.versioning_enable(''esc_victim.customers'', ''tenant_id'')'),
  ('notify_enable',                          'SELECT steward.notify_enable(''esc_victim.customers'')'),
  ('validate_detach',                        'SELECT steward.validate_detach(''esc_victim.customers'', NULL, ''*'')'),
  ('validate_attach',                        'SELECT steward.validate_attach(''esc_victim.customers'', ''{"type": "object"}'')'),
  ('validation_rule_write',                  'SELECT steward.validation_rule_write(''esc_victim.customers'', NULL, ''*'', NULL, NULL)'),
  ('mask_column',                            'SELECT steward.mask_column(''esc_victim.customers'', ''name'', ''name'')'),
  ('mask_drop',                              'SELECT steward.mask_drop(''esc_victim.customers'')'),
  ('mask_apply',                             'SELECT steward.mask_apply(''esc_victim.customers'')'),
  ('anonymize_table',                        'SELECT steward.anonymize_table(''esc_victim.customers'', false, ''DB'')'),
  ('mask_config_write',                      'SELECT steward.mask_config_write(''esc_victim.customers'', NULL, NULL, NULL, NULL)'),
  ('mask_view_write',                        'SELECT steward.mask_view_write(''esc_victim.customers'', NULL)'),
  ('subject_define',                         'SELECT steward.subject_define(''esc_evil'', ''esc_victim.customers'')'),
  ('subject_drop',                           'SELECT steward.subject_drop(''esc_customer'')'),
  ('subject_link',                           'SELECT steward.subject_link(''esc_customer'', ''esc_victim.customers'', ''name'', ''esc_victim.customers'', ''email'')'),
  ('subject_unlink',                         'SELECT steward.subject_unlink(''esc_customer'', ''esc_victim.customers'', ''name'')'),
  ('personal_data',                          'SELECT steward.personal_data(''esc_victim.customers'', ''born'', ''identity'')'),
  ('personal_data_drop',                     'SELECT steward.personal_data_drop(''esc_victim.customers'', ''name'')'),
  ('subject_hold',                           'SELECT steward.subject_hold(''esc_victim.customers'', ''mine now'')'),
  ('subject_hold_drop',                      'SELECT steward.subject_hold_drop(''esc_victim.orders'')'),
  ('retention_set',                          'SELECT steward.retention_set(''esc_victim.customers'', ''born'', ''1 day'')'),
  ('retention_drop',                         'SELECT steward.retention_drop(''esc_victim.orders'')'),
  ('retention_run',                          'CALL steward.retention_run(''esc_victim.orders'')'),
  ('retention_batch',                        'SELECT steward.retention_batch(''esc_victim.orders'', ''esc_victim.orders'', ''(0,0)'', NULL)'),
  ('subject_write',                          'SELECT steward.subject_write(''esc_victim.customers'', ''esc_customer'', NULL)'),
  ('subject_link_write',                     'SELECT steward.subject_link_write(''esc_victim.customers'', ''esc_customer'', ''name'', NULL, NULL, NULL)'),
  ('personal_data_write',                    'SELECT steward.personal_data_write(''esc_victim.customers'', ''name'', NULL, NULL, NULL)'),
  ('subject_hold_write',                     'SELECT steward.subject_hold_write(''esc_victim.orders'', NULL, NULL, NULL, NULL, NULL)'),
  ('retention_write',                        'SELECT steward.retention_write(''esc_victim.orders'', NULL, NULL, NULL, NULL)'),
  ('retention_note',                         'SELECT steward.retention_note(''esc_victim.orders'', ''done'', 0, 0, NULL)'),
  ('status_note (no privilege on it)',       'SELECT steward.status_note(''esc_victim.orders'', ''erasure'', 1000000)'),
  ('validate_report (no SELECT)',            'SELECT steward.validate_report(''esc_victim.orders'', 10)'),
  ('read a table it has no grant on',        'SELECT note FROM esc_victim.orders'),
  ('a foreign key into its tables',          'CREATE TABLE esc_mallory.spy (c varchar(80) REFERENCES esc_victim.customers)'),
  ('sample its tables for personal data',    'SELECT steward.detect_personal_data(''esc_victim'')'),
  ('anonymize_all reaches its tables',       format('DO $d$ BEGIN IF EXISTS (SELECT FROM steward.anonymize_all(false, %L) a WHERE a.relation::text LIKE ''esc_victim.%%'') THEN RAISE SQLSTATE ''ESC03'' USING MESSAGE = ''anonymize_all reached the victim''''s tables''; END IF; RAISE SQLSTATE ''ESC04'' USING MESSAGE = ''only its own tables''; END $d$', current_database())),
  -- its own table: link it into the victim's subject, or give it a mask
  -- of its own that an erasure would run as the privacy officer
  ('link its table into the subject',        'SELECT steward.subject_link(''esc_customer'', ''esc_mallory.mine'', ''note'', ''esc_victim.customers'', ''email'')'),
  ('a mask of its own for erasures',         'SELECT steward.personal_data(''esc_mallory.mine'', ''note'', ''x'', ''anonymize'', ''esc_mallory.evil'')'),
  ('the writer: a mask of its own',          'SELECT steward.personal_data_write(''esc_mallory.mine'', ''note'', ''x'', ''anonymize'', ''esc_mallory.evil'')')
) v(label, sql);
RESET SESSION AUTHORIZATION;
-- the victim's configuration is as it was
SELECT (SELECT count(*) FROM steward.rls_templates WHERE relation = 'esc_victim.customers'::regclass) AS templates,
       (SELECT count(*) FROM steward.audit_tables WHERE relation::text LIKE 'esc_victim.%') AS audited,
       (SELECT count(*) FROM steward.audit_read_tables WHERE relation = 'esc_victim.orders'::regclass) AS reads_audited,
       (SELECT count(*) FROM steward.validation_config WHERE relation = 'esc_victim.customers'::regclass) AS rules,
       (SELECT count(*) FROM steward.mask_config WHERE relation = 'esc_victim.customers'::regclass) AS masks,
       (SELECT count(*) FROM steward.subjects WHERE name = 'esc_customer') AS subjects,
       (SELECT count(*) FROM steward.personal_columns WHERE relation::text LIKE 'esc_victim.%') AS personal,
       (SELECT count(*) FROM steward.subject_holds WHERE relation = 'esc_victim.orders'::regclass) AS holds,
       (SELECT count(*) FROM steward.retention_policies WHERE relation = 'esc_victim.orders'::regclass) AS retention;
-- masks and anonymization are the owner's alone: a superuser is refused too
SELECT esc_lab.esc_try('mask_apply as a superuser', 'SELECT steward.mask_apply(''esc_victim.customers'')') AS outcome;
SELECT esc_lab.esc_try('anonymize_table as a superuser', 'SELECT steward.anonymize_table(''esc_victim.customers'')') AS outcome;

--
-- 5. Privacy functions: erase, export, consent, receipts
--
SET SESSION AUTHORIZATION esc_mallory;
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('subject_export',                         'SELECT steward.subject_export(''esc_customer'', ''ann@example.com'')'),
  ('subject_export_csv',                     'SELECT steward.subject_export_csv(''esc_customer'', ''ann@example.com'')'),
  ('subject_erase (dry run)',                'SELECT steward.subject_erase(''esc_customer'', ''ann@example.com'')'),
  ('subject_erase',                          'SELECT steward.subject_erase(''esc_customer'', ''ann@example.com'', false)'),
  ('erasure_replay',                         'SELECT steward.erasure_replay()'),
  ('privacy_key_hash',                       'SELECT steward.privacy_key_hash(''esc_customer'', ''ann@example.com'')'),
  ('consent_grant',                          'SELECT steward.consent_grant(''esc_customer'', ''ann@example.com'', ''marketing'')'),
  ('consent_withdraw',                       'SELECT steward.consent_withdraw(''esc_customer'', ''ann@example.com'', ''marketing'')'),
  ('request_open',                           'SELECT steward.request_open(''esc_customer'', ''ann@example.com'', ''erasure'')'),
  ('request_complete',                       'SELECT steward.request_complete(1)'),
  ('privacy_grant to itself',                'SELECT steward.privacy_grant(''esc_mallory'')'),
  ('privacy_erase (internal)',               'SELECT steward.privacy_erase(''esc_customer'', ''ann@example.com'', false, NULL, false, NULL)'),
  ('privacy_export (internal)',              'SELECT steward.privacy_export(''esc_customer'', ''ann@example.com'', NULL, NULL)'),
  ('privacy_export_csv (internal)',          'SELECT steward.privacy_export_csv(''esc_customer'', ''ann@example.com'', NULL)'),
  ('privacy_replay (internal)',              'SELECT steward.privacy_replay(false, NULL)'),
  ('erasure_log_write (a forged receipt)',   'SELECT steward.erasure_log_write(''esc_customer'', ''x'', ''{}'', ''[]'', NULL)'),
  ('privacy_audit_scrub (scrub the log)',    'SELECT steward.privacy_audit_scrub(''esc_victim.customers'', ARRAY[''{"email": "ann@example.com"}''::jsonb], ARRAY[''name''], ''x'')'),
  ('consent_of (internal)',                  'SELECT steward.consent_of(''esc_customer'', ''ann@example.com'')'),
  ('consent_forget (internal)',              'SELECT steward.consent_forget(''esc_customer'', ''ann@example.com'')'),
  ('read the receipts',                      'SELECT * FROM steward.erasure_log'),
  ('read the consents',                      'SELECT * FROM steward.consents'),
  ('read the consent history',               'SELECT * FROM steward.consent_history'),
  ('read the requests',                      'SELECT * FROM steward.subject_requests')
) v(label, sql);
-- the internal collector is PUBLIC, and reads with the caller's rights (for
-- tenant 1, whose customer row the attacker may read, but not the orders)
BEGIN;
SELECT steward.context_set(tenant_id => '1');
SELECT esc_lab.esc_try('privacy_collect (no SELECT on orders)', 'SELECT steward.privacy_collect(''esc_customer'', ''ann@example.com'', true, NULL)') AS outcome;
COMMIT;
RESET SESSION AUTHORIZATION;
-- a privacy officer without privileges on the tables gets no further
SELECT steward.privacy_grant('esc_officer');
SET ROLE esc_officer;
SELECT esc_lab.esc_try('export without SELECT on the tables', 'SELECT steward.subject_export(''esc_customer'', ''ann@example.com'')') AS outcome;
SELECT esc_lab.esc_try('erase without DELETE on the tables', 'SELECT steward.subject_erase(''esc_customer'', ''ann@example.com'')') AS outcome;
RESET ROLE;

--
-- 6. Secret settings: read them, set them, store them
--
SET steward.mask_key = 'esc: mask key, 0123456789abcdef';
SET steward.privacy_key = 'esc: privacy key, 0123456789abcdef';
SET steward.jwt_secret = 'esc: jwt secret, 0123456789abcdef0123456789';
SET steward.audit_key = 'esc: audit key, 0123456789abcdef';
CREATE TABLE esc_lab.secrets (name text, value text);
INSERT INTO esc_lab.secrets VALUES
  ('steward.mask_key', 'esc: mask key, 0123456789abcdef'),
  ('steward.privacy_key', 'esc: privacy key, 0123456789abcdef'),
  ('steward.jwt_secret', 'esc: jwt secret, 0123456789abcdef0123456789'),
  ('steward.audit_key', 'esc: audit key, 0123456789abcdef');
CREATE TABLE esc_lab.attempts (n integer, label text, template text);
INSERT INTO esc_lab.attempts VALUES
  (1, 'SHOW',                           'SHOW %1$s'),
  (2, 'current_setting()',              'SELECT current_setting(%2$L)'),
  (3, 'current_setting(missing_ok)',    'SELECT current_setting(%2$L, true)'),
  (4, 'pg_settings',                    'DO $d$ BEGIN IF NOT EXISTS (SELECT FROM pg_settings WHERE name = %2$L) THEN RAISE SQLSTATE ''ESC02'' USING MESSAGE = ''not in pg_settings''; END IF; END $d$'),
  (5, 'SET',                            'SET %1$s = %3$L'),
  (6, 'SET LOCAL',                      'SET LOCAL %1$s = %3$L'),
  (7, 'set_config()',                   'SELECT set_config(%2$L, %3$L, false)'),
  (8, 'set_config(is_local)',           'SELECT set_config(%2$L, %3$L, true)'),
  (9, 'RESET',                          'RESET %1$s'),
  (10, 'SET ... TO DEFAULT',            'SET %1$s TO DEFAULT'),
  (11, 'ALTER ROLE itself SET',         'ALTER ROLE esc_mallory SET %1$s = %3$L'),
  (12, 'ALTER ROLE ... IN DATABASE SET', format('ALTER ROLE esc_mallory IN DATABASE %I SET %%1$s = %%3$L', current_database())),
  (13, 'ALTER DATABASE SET',            format('ALTER DATABASE %I SET %%1$s = %%3$L', current_database())),
  (14, 'a function''s SET clause',      'CREATE FUNCTION esc_mallory.f() RETURNS int LANGUAGE sql SET %1$s = %3$L AS ''SELECT 1'''),
  (15, 'ALTER FUNCTION ... SET',        'ALTER FUNCTION esc_mallory.evil(text) SET %1$s = %3$L'),
  (16, 'GRANT SET ON PARAMETER',        'GRANT SET ON PARAMETER %1$s TO esc_mallory'),
  (17, 'GRANT ALTER SYSTEM',            'GRANT ALTER SYSTEM ON PARAMETER %1$s TO esc_mallory');
GRANT SELECT ON esc_lab.secrets, esc_lab.attempts TO PUBLIC;
-- as the attacker: every attempt on every secret (SQLSTATEs)
SET SESSION AUTHORIZATION esc_mallory;
SELECT a.label AS attempt,
       max(o) FILTER (WHERE s.name = 'steward.mask_key') AS mask_key,
       max(o) FILTER (WHERE s.name = 'steward.privacy_key') AS privacy_key,
       max(o) FILTER (WHERE s.name = 'steward.jwt_secret') AS jwt_secret,
       max(o) FILTER (WHERE s.name = 'steward.audit_key') AS audit_key
FROM esc_lab.attempts a CROSS JOIN esc_lab.secrets s,
     LATERAL split_part(esc_lab.esc_try(a.label || ' ' || s.name,
                                        format(a.template, s.name, s.name, 'a key of the attacker''s, 0123456789')), ':', 1) o
GROUP BY a.n, a.label ORDER BY a.n;
-- (ALTER SYSTEM cannot run inside a function: here, as statements)
ALTER SYSTEM SET steward.mask_key = 'a key of the attacker''s, 0123456789';
\echo :LAST_ERROR_SQLSTATE
ALTER SYSTEM SET steward.privacy_key = 'a key of the attacker''s, 0123456789';
\echo :LAST_ERROR_SQLSTATE
ALTER SYSTEM SET steward.jwt_secret = 'a key of the attacker''s, 0123456789';
\echo :LAST_ERROR_SQLSTATE
ALTER SYSTEM SET steward.audit_key = 'a key of the attacker''s, 0123456789';
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
-- the messages the attacker saw for steward.mask_key
SELECT DISTINCT outcome FROM esc_lab.tried
WHERE who = 'esc_mallory' AND label LIKE '% steward.mask_key' ORDER BY 1;
-- nothing of the attacker's was stored where it could be read
SELECT count(*) AS stored_settings
FROM pg_db_role_setting s, unnest(s.setconfig) c
WHERE s.setrole IN (SELECT oid FROM pg_roles WHERE rolname LIKE 'esc\_%')
   OR c LIKE ANY (ARRAY['steward.mask\_key=%', 'steward.privacy\_key=%', 'steward.jwt\_secret=%', 'steward.audit\_key=%']);
-- a superuser cannot store them per role, per database or in a function
-- either: those places are readable by every role
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('ALTER ROLE ... SET steward.mask_key',    'ALTER ROLE esc_mallory SET steward.mask_key = ''stored for every role to read'''),
  ('ALTER ROLE ... SET steward.privacy_key', 'ALTER ROLE esc_mallory SET steward.privacy_key = ''stored for every role to read'''),
  ('ALTER ROLE ... SET steward.jwt_secret',  'ALTER ROLE esc_mallory SET steward.jwt_secret = ''stored for every role to read, 0123456789'''),
  ('ALTER ROLE ... SET steward.audit_key',   'ALTER ROLE esc_mallory SET steward.audit_key = ''stored for every role to read'''),
  ('ALTER DATABASE ... SET steward.mask_key', format('ALTER DATABASE %I SET steward.mask_key = ''stored for every role to read''', current_database())),
  ('a function''s SET steward.privacy_key',  'CREATE FUNCTION esc_lab.f() RETURNS int LANGUAGE sql SET steward.privacy_key = ''stored for every role to read'' AS ''SELECT 1''')
) v(label, sql);
-- pg_read_all_settings (and pg_monitor, which includes it) reads them: a
-- known limit, grant those roles accordingly
SET ROLE esc_monitor;
SELECT s.name, current_setting(s.name) = s.value AS readable FROM esc_lab.secrets s ORDER BY 1;
RESET ROLE;
-- the other steward.* settings: none that an ordinary role may change
CREATE TABLE esc_lab.settings AS
SELECT name, context FROM pg_settings WHERE name LIKE 'steward.%'
UNION SELECT 'steward.context', 'superuser';
GRANT SELECT ON esc_lab.settings TO PUBLIC;
SET SESSION AUTHORIZATION esc_mallory;
SELECT name, context, split_part(esc_lab.esc_try('SET ' || name, format('SET %s TO DEFAULT', name)), ':', 1) AS "SET"
FROM esc_lab.settings ORDER BY name;
RESET SESSION AUTHORIZATION;

--
-- 7. Forging the session context
--
SET SESSION AUTHORIZATION esc_mallory;
BEGIN;
SELECT steward.context_set('42', '1');
SAVEPOINT before_lock;
SELECT steward.context_lock();
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('context_set',                            'SELECT steward.context_set(''666'', ''2'')'),
  ('context_clear',                          'SELECT steward.context_clear()'),
  ('SET steward.context',                    'SET steward.context = ''{"user_id": "666", "tenant_id": "2"}'''),
  ('SET LOCAL steward.context',              'SET LOCAL steward.context = ''{"user_id": "666", "tenant_id": "2"}'''),
  ('SET "STEWARD.CONTEXT"',                  'SET "STEWARD.CONTEXT" = ''{"user_id": "666"}'''),
  ('set_config()',                           'SELECT set_config(''steward.context'', ''{"user_id": "666"}'', false)'),
  ('set_config(is_local)',                   'SELECT set_config(''steward.context'', ''{"user_id": "666"}'', true)'),
  ('RESET steward.context',                  'RESET steward.context'),
  ('a look-alike setting',                   'SET steward.user_id = ''666'''),
  ('a look-alike, set_config()',             'SELECT set_config(''steward.tenant_id'', ''2'', true)'),
  ('as_user with another identity',          'SELECT steward.as_user(''{"user_id": "666", "tenant_id": "2"}'', ''SELECT 1'')'),
  ('a token with alg none',                  'SELECT steward.context_from_token(''eyJhbGciOiJub25lIn0.eyJzdWIiOiI2NjYiLCJ0ZW5hbnRfaWQiOiIyIn0.'')'),
  ('an HS256 token, made-up signature',      'SELECT steward.context_from_token(''eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI2NjYiLCJ0ZW5hbnRfaWQiOiIyIiwiZXhwIjo0MTAyNDQ0ODAwfQ.AAAA'')'),
  ('store it for its role',                  'ALTER ROLE esc_mallory SET steward.context = ''{"user_id": "666"}'''),
  ('store it in a function',                 'CREATE FUNCTION esc_mallory.g() RETURNS text LANGUAGE sql SET steward.context = ''{"user_id": "666"}'' AS ''SELECT steward.current_user_id()'''),
  ('the PostgREST fallback',                 'SET steward.context_fallback = postgrest')
) v(label, sql);
-- what PostgREST would read: any role may set it, and it is ignored
SET LOCAL request.jwt.claims = '{"sub": "666", "tenant_id": "2"}';
RESET ALL;
ROLLBACK TO SAVEPOINT before_lock;
SELECT steward.current_user_id(), steward.current_tenant(), steward.context_locked();
-- row-level security follows the locked context: tenant 1's row only
SELECT email FROM esc_victim.customers;
COMMIT;
RESET SESSION AUTHORIZATION;

--
-- 8. Schema steward, the extension's objects and its event triggers
--
SET SESSION AUTHORIZATION esc_mallory;
SELECT label, esc_lab.esc_try(label, sql) AS outcome FROM (VALUES
  ('CREATE TABLE in steward',                'CREATE TABLE steward.esc_t (x int)'),
  ('CREATE VIEW in steward',                 'CREATE VIEW steward.esc_v AS SELECT 1'),
  ('shadow context_set in steward',          'CREATE FUNCTION steward.context_set(text) RETURNS void LANGUAGE sql AS '''''),
  ('replace current_tenant',                 'CREATE OR REPLACE FUNCTION steward.current_tenant() RETURNS text LANGUAGE sql AS ''SELECT ''''2'''''''),
  ('CREATE OPERATOR in steward',             'CREATE OPERATOR steward.= (leftarg = text, rightarg = text, function = texteq)'),
  ('CREATE TYPE in steward',                 'CREATE TYPE steward.esc_ty AS (x int)'),
  ('CREATE DOMAIN in steward',               'CREATE DOMAIN steward.esc_d AS text'),
  ('move its table into steward',            'ALTER TABLE esc_mallory.mine SET SCHEMA steward'),
  ('move its function into steward',        'ALTER FUNCTION esc_mallory.evil(text) SET SCHEMA steward'),
  ('make context_set SECURITY DEFINER',      'ALTER FUNCTION steward.context_set(text, text, text[], jsonb, text) SECURITY DEFINER'),
  ('unpin a search_path',                    'ALTER FUNCTION steward.audit_verify() RESET search_path'),
  ('take a function over',                   'ALTER FUNCTION steward.audit_verify() OWNER TO esc_mallory'),
  ('GRANT itself audit_disable',             'GRANT EXECUTE ON FUNCTION steward.audit_disable(regclass) TO esc_mallory'),
  ('GRANT itself the seals',                 'GRANT SELECT ON steward.audit_seals TO esc_mallory'),
  ('DROP a function',                        'DROP FUNCTION steward.current_tenant()'),
  ('COMMENT ON a function',                  'COMMENT ON FUNCTION steward.current_tenant() IS ''x'''),
  ('ALTER the schema',                       'ALTER SCHEMA steward RENAME TO esc_s'),
  ('DROP the schema',                        'DROP SCHEMA steward CASCADE'),
  ('ALTER EXTENSION ... DROP',               'ALTER EXTENSION pg_steward DROP FUNCTION steward.current_tenant()'),
  ('DROP EXTENSION',                         'DROP EXTENSION pg_steward'),
  ('CREATE EVENT TRIGGER',                   'CREATE EVENT TRIGGER esc_et ON ddl_command_start EXECUTE FUNCTION steward.audit_ddl()'),
  ('a policy on a configuration table',      'CREATE POLICY esc_p ON steward.rls_templates USING (true)'),
  ('disable RLS of a configuration table',   'ALTER TABLE steward.rls_templates DISABLE ROW LEVEL SECURITY')
) v(label, sql);
-- every event trigger of the extension
SELECT e.evtname,
       split_part(esc_lab.esc_try('disable ' || e.evtname, format('ALTER EVENT TRIGGER %I DISABLE', e.evtname)), ':', 1) AS "disable",
       split_part(esc_lab.esc_try('drop ' || e.evtname, format('DROP EVENT TRIGGER %I', e.evtname)), ':', 1) AS "drop",
       split_part(esc_lab.esc_try('own ' || e.evtname, format('ALTER EVENT TRIGGER %I OWNER TO esc_mallory', e.evtname)), ':', 1) AS "owner",
       split_part(esc_lab.esc_try('rename ' || e.evtname, format('ALTER EVENT TRIGGER %I RENAME TO esc_x', e.evtname)), ':', 1) AS "rename"
FROM pg_event_trigger e
JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_steward')
ORDER BY 1;
RESET SESSION AUTHORIZATION;

--
-- 9. Generated assertions over the catalog
--
-- SECURITY DEFINER functions: each pins search_path (expect no rows)
SELECT p.oid::regprocedure AS definer_without_pinned_path
FROM pg_proc p
WHERE p.pronamespace = 'steward'::regnamespace AND p.prosecdef
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);
-- ... and which of them PUBLIC may call
SELECT p.oid::regprocedure AS definer_public_may_call
FROM pg_proc p
WHERE p.pronamespace = 'steward'::regnamespace AND p.prosecdef
  AND has_function_privilege('esc_nobody', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text;
-- SQL and PL/pgSQL functions that run with the caller's search_path: each
-- qualifies every name (reviewed; expect exactly these)
SELECT p.oid::regprocedure AS unpinned_sql_function
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'steward'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
ORDER BY p.oid::regprocedure::text;
-- no function, table or type of schema steward is owned by a non-superuser
SELECT p.oid::regprocedure AS function_of_non_superuser
FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
WHERE p.pronamespace = 'steward'::regnamespace AND NOT r.rolsuper;
SELECT c.oid::regclass AS relation_of_non_superuser
FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
WHERE c.relnamespace = 'steward'::regnamespace AND NOT r.rolsuper;
SELECT t.oid::regtype AS type_of_non_superuser
FROM pg_type t JOIN pg_roles r ON r.oid = t.typowner
WHERE t.typnamespace = 'steward'::regnamespace AND NOT r.rolsuper;
SELECT e.evtname AS event_trigger_of_non_superuser
FROM pg_event_trigger e JOIN pg_roles r ON r.oid = e.evtowner
WHERE e.evtname LIKE 'steward%' AND NOT r.rolsuper;
-- nothing in schema steward is writable by PUBLIC or an ordinary role
SELECT c.oid::regclass AS writable_by_public
FROM pg_class c
WHERE c.relnamespace = 'steward'::regnamespace
  AND (has_table_privilege('esc_nobody', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
       OR (c.relkind = 'S' AND has_sequence_privilege('esc_nobody', c.oid, 'USAGE, UPDATE'))
       OR EXISTS (SELECT FROM aclexplode(c.relacl) a
                  WHERE a.grantee = 0 AND a.privilege_type <> 'SELECT'));
SELECT has_schema_privilege('esc_nobody', 'steward', 'CREATE') AS public_may_create_in_steward,
       has_schema_privilege('esc_nobody', 'steward', 'USAGE') AS public_may_use_steward;
-- what PUBLIC may read: the configuration, not the log, seals or personal data
SELECT c.oid::regclass AS readable_by_public
FROM pg_class c
WHERE c.relnamespace = 'steward'::regnamespace AND c.relkind IN ('r', 'p', 'v')
  AND has_table_privilege('esc_nobody', c.oid, 'SELECT')
ORDER BY c.oid::regclass::text;

--
-- 10. Hostile search_path and planted objects (CVE-2018-1058)
--
-- The attacker plants, in its own schema and in public (as PostgreSQL
-- before 15 let every role do), an operator for each of 17 operator names
-- and every pair of 18 common types, and functions named like those the
-- extension's SQL calls; each raises ESC01 "planted ... used by <role>".
-- (They are created here by a superuser with DDL capture off, only to keep
-- thousands of DDL records out of the log; who owns them does not matter:
-- they run with the rights of whoever calls them.)
GRANT CREATE ON SCHEMA public TO esc_mallory;
GRANT USAGE ON SCHEMA esc_mallory TO PUBLIC;
SET steward.audit_ddl = off;
CREATE FUNCTION esc_mallory.sprung(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'planted % used by %', what, current_user USING ERRCODE = 'ESC01';
END $$;
CREATE FUNCTION esc_mallory.plant(nsp text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  types text[] := ARRAY['oid', 'regclass', 'regtype', 'regprocedure', 'name', 'text', 'character varying',
                        'smallint', 'integer', 'bigint', 'boolean', 'timestamp with time zone', 'date',
                        'interval', 'jsonb', 'tid', 'text[]', 'name[]'];
  ops text[] := ARRAY['=', '<>', '<', '>', '<=', '>=', '~', '~~', '!~~', '||', '+', '-', '@>', '?', '?|', '->', '->>'];
  funcs text[] := ARRAY['now', '', 'lower', 'text', 'format', 'text, text', 'format', 'text, regclass',
                        'format', 'text, name', 'format', 'text, text, text', 'concat', 'text, text, text',
                        'coalesce', 'text, text', 'array_position', 'text[], text', 'array_position', 'name[], name',
                        'jsonb_build_object', 'text, text', 'jsonb_build_object', 'text, jsonb',
                        'jsonb_build_object', 'text, bigint', 'to_jsonb', 'text', 'pg_has_role', 'name, oid, text',
                        'current_setting', 'text', 'set_config', 'text, text, boolean', 'to_regclass', 'text',
                        'quote_ident', 'text', 'btrim', 'text', 'cardinality', 'text[]', 'unnest', 'text[]',
                        'generate_series', 'integer, integer', 'string_to_array', 'text, text', 'length', 'text',
                        'md5', 'text', 'random', '', 'pg_backend_pid', '', 'has_function_privilege', 'name, text, text',
                        'row_security_active', 'regclass', 'pg_relation_size', 'regclass', 'split_part', 'text, text, integer'];
  l text; r text; o text; i integer; k integer := 0; n integer := 0;
BEGIN
  FOREACH l IN ARRAY types LOOP
    FOREACH r IN ARRAY types LOOP
      k := k + 1;
      EXECUTE format('CREATE FUNCTION %I.op%s(%s, %s) RETURNS boolean LANGUAGE sql AS %L',
                     nsp, k, l, r, format('SELECT esc_mallory.sprung(%L)', format('operator on %s, %s', l, r)));
      FOREACH o IN ARRAY ops LOOP
        EXECUTE format('CREATE OPERATOR %I.%s (leftarg = %s, rightarg = %s, function = %I.op%s)', nsp, o, l, r, nsp, k);
        n := n + 1;
      END LOOP;
    END LOOP;
  END LOOP;
  FOR i IN 1 .. cardinality(funcs) / 2 LOOP
    EXECUTE format('CREATE FUNCTION %I.%I(%s) RETURNS boolean LANGUAGE sql AS %L', nsp, funcs[2 * i - 1], funcs[2 * i],
                   format('SELECT esc_mallory.sprung(%L)', format('%s(%s)', funcs[2 * i - 1], funcs[2 * i])));
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
SELECT esc_mallory.plant('esc_mallory') AS planted_in_its_schema;
SELECT esc_mallory.plant('public') AS planted_in_public;
RESET steward.audit_ddl;
-- a look-alike in schema pg_temp is never found for functions and operators
SET SESSION AUTHORIZATION esc_mallory;
CREATE FUNCTION pg_temp.now() RETURNS boolean LANGUAGE sql AS 'SELECT esc_mallory.sprung(''pg_temp.now'')';
RESET SESSION AUTHORIZATION;
-- (the statements of this file qualify names from here on, or run with a
-- pinned path)
SET search_path = pg_catalog, pg_temp;
-- a planted object does work for a query that resolves names on a hostile path
SELECT esc_lab.esc_try('now(), pg_catalog last', 'SELECT now()', 'esc_mallory, pg_catalog') AS outcome;
SELECT esc_lab.esc_try('varchar = varchar, default path', 'SELECT ''a''::varchar = ''a''::varchar', '"$user", public') AS outcome;
SELECT esc_lab.esc_try('now(), default path', 'SELECT now()', '"$user", public') AS outcome;

-- The SECURITY DEFINER functions it may call, with hostile paths: pg_catalog
-- after its schema, and the default path (public planted)
GRANT EXECUTE ON FUNCTION steward.consent_grant(text, text, text, text, timestamptz),
                          steward.consent_withdraw(text, text, text, text),
                          steward.request_open(text, text, text, text, timestamptz, interval),
                          steward.jsonschema_register(text, jsonb), steward.jsonschema_unregister(text),
                          steward.audit_verify(), steward.audit_seal() TO esc_mallory;
SET SESSION AUTHORIZATION esc_mallory;
-- (and temporary tables named like the tables they use: pg_temp comes last
-- on their pinned path, and every name they use is qualified)
CREATE TEMP TABLE audit_log (id bigint);
CREATE TEMP TABLE audit_seals (id bigint);
CREATE TEMP TABLE audit_tables (relation regclass);
CREATE TEMP TABLE consents (subject text);
CREATE TEMP TABLE consent_history (subject text);
CREATE TEMP TABLE subject_requests (id bigint);
CREATE TEMP TABLE jsonschema_registry (uri text);
CREATE TEMP TABLE audit_maintain_moved (x integer);
SELECT label, esc_lab.esc_try(label, sql, 'esc_mallory, pg_catalog, public') AS pg_catalog_last,
       esc_lab.esc_try(label, sql, '"$user", public') AS default_path
FROM (VALUES
  ('audit_maintain_current (PUBLIC)',        'SELECT steward.audit_maintain_current()'),
  ('consent_grant',                          'SELECT steward.consent_grant(''esc_customer'', ''ann@example.com'', ''marketing'')'),
  ('consent_withdraw',                       'SELECT steward.consent_withdraw(''esc_customer'', ''ann@example.com'', ''marketing'')'),
  ('request_open',                           'SELECT steward.request_open(''esc_customer'', ''ann@example.com'', ''access'')'),
  ('jsonschema_register',                    'SELECT steward.jsonschema_register(''https://esc.example/s'', ''{"type": "object"}'')'),
  ('jsonschema_unregister',                  'SELECT steward.jsonschema_unregister(''https://steward.example/none'')'),
  ('audit_verify',                           'SELECT steward.audit_verify()'),
  ('audit_seal',                             'SELECT steward.audit_seal()'),
  -- and the ordinary functions, on its own table
  ('audit_enable',                           'SELECT steward.audit_enable(''esc_mallory.mine'')'),
  ('policy_tenant',                          'SELECT steward.policy_tenant(''esc_mallory.mine'')'),
  ('validate_column',                        'SELECT steward.validate_column(''esc_mallory.mine'', ''note'', ''email'')'),
  ('versioning_enable',                      'SELECT steward.versioning_enable(''esc_mallory.mine'', ''tenant_id'')'),
  ('subject_define',                         'SELECT steward.subject_define(''esc_mine'', ''esc_mallory.mine'')'),
  ('retention_set',                          'SELECT steward.retention_set(''esc_mallory.mine'', ''born'', ''1 day'')'),
  ('health_check',                           'SELECT steward.health_check(ARRAY[''esc_mallory''])'),
  ('rls_lint',                               'SELECT steward.rls_lint(ARRAY[''esc_mallory''])'),
  ('report',                                 'SELECT steward.report(ARRAY[''esc_mallory''])')
) v(label, sql);
-- its writes to the victim's audited table are recorded whatever its path;
-- so is its DDL, and the event triggers' functions run unharmed
BEGIN;
SELECT steward.context_set(tenant_id => '1');
SELECT esc_lab.esc_try('INSERT, path pg_catalog last', 'INSERT INTO esc_victim.customers VALUES (''eve@example.com'', 1, ''Eve'', NULL)', 'esc_mallory, pg_catalog', true) AS outcome;
SELECT esc_lab.esc_try('UPDATE, path pg_catalog last', 'UPDATE esc_victim.customers SET name = NULL WHERE email OPERATOR(pg_catalog.=) ''eve@example.com''', 'esc_mallory, pg_catalog', true) AS outcome;
SELECT esc_lab.esc_try('DELETE, default path', 'DELETE FROM esc_victim.customers WHERE email OPERATOR(pg_catalog.=) ''eve@example.com''', '"$user", public', true) AS outcome;
COMMIT;
SELECT esc_lab.esc_try('CREATE TABLE, path pg_catalog last', 'CREATE TABLE esc_mallory.ddl_probe (x integer, y integer)', 'esc_mallory, pg_catalog', true) AS outcome;
SELECT esc_lab.esc_try('GRANT, path pg_catalog last', 'GRANT SELECT ON esc_mallory.ddl_probe TO esc_nobody', 'esc_mallory, pg_catalog', true) AS outcome;
SELECT esc_lab.esc_try('RENAME COLUMN, path pg_catalog last', 'ALTER TABLE esc_mallory.ddl_probe RENAME COLUMN y TO z', 'esc_mallory, pg_catalog', true) AS outcome;
SELECT esc_lab.esc_try('DROP TABLE, path pg_catalog last', 'DROP TABLE esc_mallory.ddl_probe', 'esc_mallory, pg_catalog', true) AS outcome;
RESET SESSION AUTHORIZATION;
SELECT operation, table_name, detail OPERATOR(pg_catalog.->>) 'command_tag' AS command_tag,
       detail OPERATOR(pg_catalog.->>) 'object_identity' AS object
FROM steward.audit_log
WHERE effective_role OPERATOR(pg_catalog.=) 'esc_mallory'
  AND (table_name OPERATOR(pg_catalog.=) 'customers' OR query OPERATOR(pg_catalog.~~) '%ddl_probe%')
ORDER BY id;

-- A privacy officer erases with the default path while public is planted:
-- the statements on the user's tables (run with the caller's path) use
-- schema-qualified operators only, whatever the key's type (varchar here)
GRANT SELECT, UPDATE, DELETE ON esc_victim.customers, esc_victim.orders TO esc_officer;
SET ROLE esc_officer;
BEGIN;
-- (row-level security on customers: the officer acts for tenant 1)
SELECT steward.context_set(tenant_id => '1');
SELECT esc_lab.esc_try('subject_export', 'SELECT steward.subject_export(''esc_customer'', ''ann@example.com'')', '"$user", public') AS outcome;
SELECT esc_lab.esc_try('subject_export_csv', 'SELECT steward.subject_export_csv(''esc_customer'', ''ann@example.com'')', '"$user", public') AS outcome;
SELECT esc_lab.esc_try('subject_erase, dry run', 'SELECT steward.subject_erase(''esc_customer'', ''ann@example.com'')', '"$user", public') AS outcome;
-- (a key that varchar(80) would cut is refused: cut, it could name someone else)
SELECT esc_lab.esc_try('subject_erase, a key too long', format('SELECT steward.subject_erase(''esc_customer'', %L)', 'ann@example.com' || repeat(' ', 80))) AS outcome;
SELECT esc_lab.esc_try('subject_erase', 'SELECT steward.subject_erase(''esc_customer'', ''ann@example.com'', false)', '"$user", public', true) AS outcome;
COMMIT;
RESET ROLE;
SELECT email, name FROM esc_victim.customers ORDER BY email;
SELECT id, customer, note FROM esc_victim.orders ORDER BY id;
-- the owner's retention run (anonymize), with the default path
-- (a procedure that commits cannot run inside esc_try: called directly)
SET ROLE esc_owner;
SET search_path = "$user", public;
CALL steward.retention_run('esc_victim.orders');
SET search_path = pg_catalog, pg_temp;
RESET ROLE;
SELECT status, last_rows, error FROM steward.retention_status WHERE relation OPERATOR(pg_catalog.=) 'esc_victim.orders'::regclass;
SELECT id, customer, note FROM esc_victim.orders ORDER BY id;
-- and the superuser's own maintenance, on the default path
SELECT label, esc_lab.esc_try(label, sql, '"$user", public') AS outcome FROM (VALUES
  ('audit_verify',                           'SELECT steward.audit_verify()'),
  ('audit_history',                          'SELECT steward.audit_history(''esc_victim.customers'', ''{"email": "bob@example.com"}'')'),
  ('audit_undo, dry run',                    'SELECT steward.audit_undo(''1''::xid8)'),
  ('status',                                 'SELECT steward.status()'),
  ('health_check',                           'SELECT steward.health_check(ARRAY[''esc_victim''])'),
  ('subject_map',                            'SELECT steward.subject_map(''esc_customer'')'),
  ('erasure_replay, dry run',                'SELECT steward.erasure_replay(true)'),
  ('as_user as the application',             'SELECT steward.as_user(''{"tenant_id": "1"}'', ''SELECT email FROM esc_victim.customers'', ''esc_mallory'')')
) v(label, sql);
-- the attacker is no superuser, and nothing was sprung
SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'esc_mallory';
SELECT label, outcome FROM esc_lab.tried
WHERE outcome OPERATOR(pg_catalog.~~) 'ESC01%'
  AND label OPERATOR(pg_catalog.<>) ALL (ARRAY['now(), pg_catalog last', 'varchar = varchar, default path'])
ORDER BY n;
RESET search_path;

--
-- Summary: every attempt, by outcome
--
SELECT split_part(outcome, ':', 1) AS outcome, count(*) AS attempts
FROM esc_lab.tried GROUP BY 1 ORDER BY 1;
-- the attempts that were allowed: each one is expected (see above)
SELECT who, label FROM esc_lab.tried WHERE outcome IN ('allowed (rolled back)', 'done') ORDER BY n;

--
-- Clean up
--
SET client_min_messages = warning;
DROP SCHEMA esc_victim CASCADE;
DROP FUNCTION pg_temp.now();
DROP TABLE pg_temp.audit_log, pg_temp.audit_seals, pg_temp.audit_tables, pg_temp.consents,
           pg_temp.consent_history, pg_temp.subject_requests, pg_temp.jsonschema_registry,
           pg_temp.audit_maintain_moved;
SET steward.audit_ddl = off;
-- what was planted in public (the functions, and their operators with them)
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT p.oid FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace AND p.prosrc LIKE '%esc_mallory.sprung%' LOOP
    EXECUTE format('DROP FUNCTION %s CASCADE', f);
  END LOOP;
END $$;
DROP SCHEMA esc_mallory CASCADE;
RESET steward.audit_ddl;
DROP SCHEMA esc_lab CASCADE;
RESET client_min_messages;
REVOKE CREATE ON SCHEMA public FROM esc_mallory;
REVOKE CREATE ON DATABASE :"dbname" FROM esc_owner;
DROP OWNED BY esc_owner, esc_mallory, esc_nobody, esc_officer, esc_monitor;
DROP ROLE esc_owner, esc_mallory, esc_nobody, esc_officer, esc_monitor;
RESET steward.mask_key;
RESET steward.privacy_key;
RESET steward.jwt_secret;
RESET steward.audit_key;
