--
-- mask_rules: masking rules and masked views, with ordinary roles: masks by
-- database role and by session-context role, RLS still applied, the view
-- following its table, its options and grants kept
--
\set SHOW_CONTEXT never
CREATE ROLE mr_owner;
CREATE ROLE mr_app;         -- the application's login role (context masking)
CREATE ROLE mr_hr;          -- sees phone numbers
CREATE ROLE mr_other;
GRANT CREATE ON SCHEMA public TO mr_owner;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO mr_owner', current_database()); END $$;
SET ROLE mr_owner;
CREATE TABLE mr_customers (id int PRIMARY KEY, tenant_id int NOT NULL, name text, email text,
                           phone text, born date, salary numeric);
INSERT INTO mr_customers VALUES
  (1, 1, 'Ann Smith', 'ann@example.com', '+49 30 1234567', '1985-07-23', 5200),
  (2, 1, 'Élodie Ünal', 'élodie@exemple.fr', NULL, '1990-01-02', NULL),
  (3, 2, 'Bob Jones', 'bob@example.org', '+44 20 7946 0000', '1979-12-31', 6100),
  (4, 2, '', '', '', NULL, 0);
ALTER TABLE mr_customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON mr_customers USING (tenant_id = (SELECT steward.current_tenant())::int);
GRANT SELECT ON mr_customers TO mr_app, mr_hr;

-- rules: a function name, an expression, a mask of another type
SELECT steward.mask_column('mr_customers', 'email', 'steward.mask_email',
                           unmasked_context_roles => ARRAY['support_lead']);
SELECT steward.mask_column('mr_customers', 'phone', 'steward.mask_phone', unmasked_for => ARRAY['mr_hr']);
SELECT steward.mask_column('mr_customers', 'born', 'steward.mask_date(born, ''year'')');
SELECT steward.mask_column('mr_customers', 'salary', 'steward.mask_int_range(salary::int, 1000)');
SELECT relation, column_name, mask, unmasked_roles, unmasked_context_roles, masked_view
  FROM steward.masking_rules ORDER BY column_name;
SELECT steward.mask_apply('mr_customers');
SELECT c.reloptions FROM pg_class c WHERE c.oid = 'public_masked.mr_customers'::regclass;
RESET ROLE;
SELECT steward.mask_role('mr_app'), steward.mask_role('mr_hr');

-- the application role, for an ordinary end user of tenant 1: masked, and
-- only tenant 1's rows (RLS of the caller applies through the view)
SET ROLE mr_app;
BEGIN;
SELECT steward.context_set('u1', '1', ARRAY['support']);
SELECT * FROM public_masked.mr_customers ORDER BY id;
COMMIT;
-- an end user with the context role support_lead sees the e-mail addresses
BEGIN;
SELECT steward.context_set('u2', '2', ARRAY['support_lead']);
SELECT id, email, phone FROM public_masked.mr_customers ORDER BY id;
COMMIT;
RESET ROLE;
-- a member of mr_hr sees the phone numbers
SET ROLE mr_hr;
BEGIN;
SELECT steward.context_set('u3', '2');
SELECT id, email, phone FROM public_masked.mr_customers ORDER BY id;
COMMIT;
RESET ROLE;
-- a role without the grant reads nothing
SET ROLE mr_other;
SELECT count(*) FROM public_masked.mr_customers;
RESET ROLE;

-- the view follows the table: a new column appears, masked once a rule
-- says so; options and grants stay
SET ROLE mr_owner;
ALTER TABLE mr_customers ADD COLUMN iban text;
SELECT attname FROM pg_attribute WHERE attrelid = 'public_masked.mr_customers'::regclass AND attnum > 0 ORDER BY attnum;
SELECT steward.mask_column('mr_customers', 'iban', 'steward.mask_iban');
UPDATE mr_customers SET iban = 'DE89370400440532013000' WHERE id = 1;
RESET ROLE;
SET ROLE mr_app;
BEGIN;
SELECT steward.context_set('u1', '1');
SELECT id, iban FROM public_masked.mr_customers ORDER BY id;
COMMIT;
RESET ROLE;
-- a shown column dropped (CASCADE drops the view): the view is recreated,
-- with its options and grants
SET ROLE mr_owner;
ALTER TABLE mr_customers DROP COLUMN name CASCADE;
SELECT c.reloptions, has_table_privilege('mr_app', c.oid, 'SELECT') AS app_still_granted
  FROM pg_class c WHERE c.oid = 'public_masked.mr_customers'::regclass;
SELECT attname FROM pg_attribute WHERE attrelid = 'public_masked.mr_customers'::regclass AND attnum > 0 ORDER BY attnum;
-- a masked column dropped takes its rule along
ALTER TABLE mr_customers DROP COLUMN salary CASCADE;
SELECT column_name FROM steward.masking_rules WHERE relation = 'mr_customers'::regclass ORDER BY 1;
-- a rule dropped: the view shows the real value
SELECT steward.mask_drop('mr_customers', 'born');
RESET ROLE;
SET ROLE mr_app;
BEGIN;
SELECT steward.context_set('u1', '1');
SELECT id, born FROM public_masked.mr_customers ORDER BY id;
COMMIT;
RESET ROLE;

-- unmasked() for the current role and context
SET ROLE mr_hr;
SELECT steward.unmasked('mr_customers', 'phone') AS hr_phone, steward.unmasked('mr_customers', 'email') AS hr_email,
       steward.unmasked('mr_customers', 'id') AS no_rule;
RESET ROLE;

-- bad input and privileges
SET ROLE mr_owner;
SELECT steward.mask_column('mr_customers', 'nope', 'steward.mask_email');
SELECT steward.mask_column('mr_customers', 'email', 'steward.no_such_mask');
SELECT steward.mask_column('mr_customers', 'email', 'email +');
SELECT steward.mask_column('mr_customers', 'email', 'steward.mask_email', unmasked_for => ARRAY['no_such_role']);
SELECT steward.mask_column('mr_customers', 'email', NULL);
SELECT steward.mask_column('mr_customers', 'email', 'steward.mask_email', unmasked_context_roles => ARRAY[NULL]);
SELECT steward.mask_apply('mr_customers', 'public');
RESET ROLE;
SET ROLE mr_other;
SELECT steward.mask_column('mr_customers', 'email', 'steward.mask_redact');
SELECT steward.mask_apply('mr_customers');
SELECT steward.mask_drop('mr_customers');
RESET ROLE;
SELECT steward.mask_role('no_such_role');

-- masks are the owner's code and run only as the owner: a superuser's
-- ALTER TABLE does not run them (the view waits for its owner), nor do the
-- superuser's own calls on the owner's table
RESET ROLE;
ALTER TABLE mr_customers ADD COLUMN note text;
SELECT steward.mask_apply('mr_customers');
SELECT * FROM steward.anonymize_all();
-- nor can a masked view be pointed at somebody else's view
CREATE VIEW mr_super_view AS SELECT 1 AS x;
SET ROLE mr_owner;
SELECT steward.mask_view_write('mr_customers', 'mr_super_view');
SELECT steward.mask_apply('mr_customers');
SELECT attname FROM pg_attribute WHERE attrelid = 'public_masked.mr_customers'::regclass AND attname = 'note';
RESET ROLE;
DROP VIEW mr_super_view;
SET ROLE mr_owner;
-- another schema for the view; moving it
SET ROLE mr_owner;
SELECT steward.mask_apply('mr_customers', 'mr_masked');
SELECT to_regclass('public_masked.mr_customers') IS NULL AS old_view_gone;
-- review fixes: a rule given as a function follows a renamed column; a
-- bare word is not a mask; renaming the table moves the view along
ALTER TABLE mr_customers RENAME COLUMN email TO mail;
SELECT column_name, mask FROM steward.masking_rules WHERE relation = 'mr_customers'::regclass ORDER BY 1;
SELECT steward.mask_column('mr_customers', 'phone', 'name');
ALTER TABLE mr_customers RENAME TO mr_clients;
SELECT view, view_schema FROM steward.mask_views WHERE relation = 'mr_clients'::regclass;
SELECT to_regclass('mr_masked.mr_customers') IS NULL AS old_name_gone;
ALTER TABLE mr_clients RENAME TO mr_customers;
-- everything dropped: rules and view
SELECT steward.mask_drop('mr_customers');
SELECT count(*) AS rules FROM steward.masking_rules WHERE relation = 'mr_customers'::regclass;
SELECT to_regclass('mr_masked.mr_customers') IS NULL AS view_gone;
DROP TABLE mr_customers;
DROP SCHEMA public_masked, mr_masked;
RESET ROLE;
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM mr_owner', current_database()); END $$;
REVOKE CREATE ON SCHEMA public FROM mr_owner;
DROP ROLE mr_owner, mr_app, mr_hr, mr_other;
