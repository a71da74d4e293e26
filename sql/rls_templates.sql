--
-- rls_templates: policy templates, tested with ordinary roles
--
-- rls_owner owns the tables and applies the templates; rls_app is what the
-- application connects as.  Neither is a superuser.
\set SHOW_CONTEXT never
CREATE ROLE rls_owner;
CREATE ROLE rls_app;
GRANT CREATE ON SCHEMA public TO rls_owner;

SET ROLE rls_owner;
CREATE TABLE docs (
    id        int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL,
    owner_id  uuid NOT NULL,
    title     text NOT NULL
);
CREATE INDEX ON docs (tenant_id);
INSERT INTO docs (tenant_id, owner_id, title) VALUES
    (1, '00000000-0000-0000-0000-00000000000a', 'tenant 1, user a'),
    (1, '00000000-0000-0000-0000-00000000000b', 'tenant 1, user b'),
    (2, '00000000-0000-0000-0000-00000000000c', 'tenant 2, user c');
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO rls_app;

-- tenant isolation
SELECT steward.policy_tenant('docs', force => true);
SELECT relation, template, options, rls_enabled, rls_forced, policies FROM steward.policies;
SELECT polname, polpermissive, polcmd, pg_get_expr(polqual, polrelid) AS using_expr,
       pg_get_expr(polwithcheck, polrelid) AS check_expr
FROM pg_policy WHERE polrelid = 'docs'::regclass ORDER BY polname;
-- applying it again changes nothing
SELECT steward.policy_tenant('docs', force => true);
SELECT count(*) AS policies FROM pg_policy WHERE polrelid = 'docs'::regclass;

-- the owner's own views and functions, for the bypass tests below
CREATE VIEW docs_view AS SELECT id, tenant_id, title FROM docs;
CREATE FUNCTION docs_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_catalog AS 'SELECT count(*) FROM docs';
GRANT SELECT ON docs_view TO rls_app;
RESET ROLE;

SET ROLE rls_app;
-- no context: nothing visible, nothing writable
SELECT count(*) AS visible_without_context FROM docs;
INSERT INTO docs (tenant_id, owner_id, title) VALUES (1, gen_random_uuid(), 'no context');
\echo :LAST_ERROR_SQLSTATE

BEGIN;
SELECT steward.context_set(user_id => '00000000-0000-0000-0000-00000000000a', tenant_id => '1');
SELECT steward.context_lock();
-- tenant 1 sees its rows only: through the table, the view, a function, COPY
SELECT id, tenant_id, title FROM docs ORDER BY id;
SELECT id, tenant_id, title FROM docs_view ORDER BY id;
SELECT docs_count();
COPY docs (id, tenant_id, title) TO STDOUT;
COPY (SELECT title FROM docs WHERE tenant_id = 2) TO STDOUT;
-- and cannot write tenant 2's rows
UPDATE docs SET title = 'hijacked' WHERE tenant_id = 2 RETURNING id;
DELETE FROM docs WHERE tenant_id = 2 RETURNING id;
INSERT INTO docs (tenant_id, owner_id, title) VALUES (2, gen_random_uuid(), 'planted');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT steward.context_set(tenant_id => '1');
UPDATE docs SET tenant_id = 2 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT steward.context_set(tenant_id => '1');
COPY docs (tenant_id, owner_id, title) FROM STDIN;
2	00000000-0000-0000-0000-00000000000c	copied in
\.
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a tenant id that does not fit the column's type matches nothing... by error
BEGIN;
SELECT steward.context_set(tenant_id => 'acme');
SELECT count(*) FROM docs;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- within its own tenant it can write
BEGIN;
SELECT steward.context_set(tenant_id => '2');
INSERT INTO docs (tenant_id, owner_id, title) VALUES (2, gen_random_uuid(), 'new in 2');
UPDATE docs SET title = title || ' (edited)' WHERE tenant_id = 2;
SELECT tenant_id, title FROM docs ORDER BY id;
ROLLBACK;
RESET ROLE;

-- the policy uses the index on tenant_id
SET ROLE rls_app;
SET enable_seqscan = off;
BEGIN;
SELECT steward.context_set(tenant_id => '1');
EXPLAIN (COSTS OFF) SELECT * FROM docs;
ROLLBACK;
RESET enable_seqscan;
RESET ROLE;

-- owner rows: tenant AND owner, for updates and deletes only
SET ROLE rls_owner;
SELECT steward.policy_owner('docs', 'owner_id', commands => ARRAY['update', 'delete']);
RESET ROLE;
SET ROLE rls_app;
BEGIN;
SELECT steward.context_set(user_id => '00000000-0000-0000-0000-00000000000a', tenant_id => '1');
SELECT count(*) AS visible FROM docs;
UPDATE docs SET title = title || '!' RETURNING title;
DELETE FROM docs WHERE owner_id <> '00000000-0000-0000-0000-00000000000a' RETURNING title;
ROLLBACK;
RESET ROLE;

-- roles: members read, editors also write, admins do everything
SET ROLE rls_owner;
SELECT steward.policy_roles('docs', '{"select": ["member", "editor"], "insert": ["editor"], "all": ["admin"]}');
SELECT template, options FROM steward.policies ORDER BY template;
RESET ROLE;
SET ROLE rls_app;
SELECT * FROM steward.policy_check('docs', '{"user_id": "00000000-0000-0000-0000-00000000000a", "tenant_id": "1", "roles": ["member"]}');
SELECT * FROM steward.policy_check('docs', '{"user_id": "00000000-0000-0000-0000-00000000000a", "tenant_id": "1", "roles": ["admin"]}');
SELECT * FROM steward.policy_check('docs', '{"user_id": "00000000-0000-0000-0000-00000000000a", "tenant_id": "1"}');
SELECT * FROM steward.as_user('{"tenant_id": "1", "roles": ["editor"]}',
  $$INSERT INTO docs (tenant_id, owner_id, title) VALUES (1, '00000000-0000-0000-0000-00000000000a', 'by an editor') RETURNING tenant_id, title$$);
SELECT * FROM steward.as_user('{"tenant_id": "1", "roles": ["member"]}',
  $$INSERT INTO docs (tenant_id, owner_id, title) VALUES (1, '00000000-0000-0000-0000-00000000000a', 'by a member') RETURNING title$$);
\echo :LAST_ERROR_SQLSTATE
-- as_user changed nothing and left no context behind
SELECT count(*) AS rows_without_context FROM docs;
SELECT steward.context() IS NULL AS no_context;
RESET ROLE;
SELECT count(*) AS rows_in_table FROM docs;

-- dropping a template regenerates the rest; dropping all leaves RLS on
SET ROLE rls_owner;
SELECT steward.policy_drop('docs', 'roles');
SELECT template FROM steward.policies ORDER BY template;
SELECT steward.policy_drop('docs');
SELECT count(*) AS templates FROM steward.policies;
SELECT relrowsecurity, relforcerowsecurity,
       (SELECT count(*) FROM pg_policy WHERE polrelid = 'docs'::regclass) AS policies
FROM pg_class WHERE oid = 'docs'::regclass;

-- the user's own policies are never touched
CREATE POLICY my_policy ON docs FOR SELECT USING (title <> 'secret');
SELECT steward.policy_tenant('docs');
SELECT steward.policy_drop('docs');
SELECT polname FROM pg_policy WHERE polrelid = 'docs'::regclass;
RESET ROLE;

-- bad input and privileges
SET ROLE rls_app;
SELECT steward.policy_tenant('docs');
\echo :LAST_ERROR_SQLSTATE
-- nor can it plant a template row for a table it does not own
INSERT INTO steward.rls_templates (relation, template, options) VALUES ('docs', 'tenant', '{"column": "title"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS template_rows_visible FROM steward.rls_templates;
RESET ROLE;
SET ROLE rls_owner;
SELECT steward.policy_tenant('docs', 'no_such_column');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_tenant('docs_view');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_tenant('no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_tenant(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_owner('docs', 'owner_id', commands => ARRAY['truncate']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_roles('docs', '["admin"]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_roles('docs', '{"read": ["admin"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_roles('docs', '{"select": "admin"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_roles('docs', '{"select": [""]}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.policy_drop('docs', 'nonsense');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.as_user('[]', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.as_user('{"user_id": "1"}', NULL);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- the configuration table cannot be written, nor locked, directly
SET ROLE rls_app;
BEGIN;
LOCK TABLE steward.rls_templates IN ACCESS EXCLUSIVE MODE;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET ROLE;

-- dropping one template of several; FORCE stays once set
SET ROLE rls_owner;
SELECT steward.policy_tenant('docs', force => true);
SELECT steward.policy_owner('docs', 'owner_id');
SELECT steward.policy_drop('docs', 'owner');
SELECT steward.policy_tenant('docs', force => false);
SELECT template FROM steward.policies;
SELECT relforcerowsecurity AS still_forced FROM pg_class WHERE oid = 'docs'::regclass;
-- a renamed column is followed
ALTER TABLE docs RENAME COLUMN tenant_id TO org_id;
SELECT steward.policy_apply('docs');
SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
WHERE polrelid = 'docs'::regclass AND polname = 'steward_select';
ALTER TABLE docs RENAME COLUMN org_id TO tenant_id;
SELECT steward.policy_drop('docs');
-- temporary tables are refused (they can vanish without a DROP)
CREATE TEMP TABLE temp_docs (tenant_id int);
SELECT steward.policy_tenant('temp_docs');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE temp_docs;
RESET ROLE;

-- column types: no truncating casts, the type's own equality operator
CREATE EXTENSION citext;
CREATE TABLE typed (
    code    varchar(10) NOT NULL,
    price   numeric(6,2) NOT NULL,
    email   citext NOT NULL,
    doc     json);
CREATE INDEX ON typed (email);
INSERT INTO typed VALUES ('abcdefghij', 1.00, 'Ann@Example.com', '{}');
GRANT SELECT ON typed TO rls_app;
SELECT steward.policy_tenant('typed', 'code');
SELECT * FROM steward.as_user('{"tenant_id": "abcdefghijEVIL"}', 'SELECT code FROM typed', 'rls_app');
SELECT * FROM steward.as_user('{"tenant_id": "abcdefghij"}', 'SELECT code FROM typed', 'rls_app');
SELECT steward.policy_drop('typed');
SELECT steward.policy_tenant('typed', 'price');
SELECT * FROM steward.as_user('{"tenant_id": "1.004"}', 'SELECT price FROM typed', 'rls_app');
SELECT steward.policy_drop('typed');
SELECT steward.policy_owner('typed', 'email');
SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
WHERE polrelid = 'typed'::regclass AND polname = 'steward_select';
SELECT * FROM steward.as_user('{"user_id": "ann@example.COM"}', 'SELECT email FROM typed', 'rls_app');
SELECT steward.policy_drop('typed');
SELECT steward.policy_tenant('typed', 'doc');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE typed;
DROP EXTENSION citext;

-- policy_check refuses to count where RLS does not apply (a superuser, or
-- the owner without FORCE): the counts would be meaningless, and the
-- table's triggers would run with the caller's rights
CREATE TABLE unforced (id int, tenant_id int);
SELECT steward.policy_tenant('unforced');
SELECT * FROM steward.policy_check('unforced', '{"tenant_id": "1"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.policy_check('docs_view', '{"tenant_id": "1"}');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE unforced;

-- as_user: a query that locks the context is refused (the lock would
-- outlive the rollback); the query's own errors come through, whatever
-- their code
SELECT * FROM steward.as_user('{"tenant_id": "1"}', 'SELECT steward.context_lock()');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_locked() AS locked_after_failed_as_user;
CREATE FUNCTION raise_sr001() RETURNS int LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'my own error' USING ERRCODE = 'SR001'; END $$;
SELECT * FROM steward.as_user('{"tenant_id": "1"}', 'SELECT raise_sr001()');
\echo :LAST_ERROR_SQLSTATE
DROP FUNCTION raise_sr001();

-- odd identifiers are quoted everywhere
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."My ""Table""; DROP TABLE docs; --" ("Tenant Id" int, "x;y" text);
INSERT INTO "Odd Schema"."My ""Table""; DROP TABLE docs; --" VALUES (1, 'one'), (2, 'two');
GRANT USAGE ON SCHEMA "Odd Schema" TO rls_app;
GRANT SELECT ON "Odd Schema"."My ""Table""; DROP TABLE docs; --" TO rls_app;
SELECT steward.policy_tenant('"Odd Schema"."My ""Table""; DROP TABLE docs; --"', 'Tenant Id');
SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
WHERE polrelid = '"Odd Schema"."My ""Table""; DROP TABLE docs; --"'::regclass AND polname = 'steward_select';
SELECT * FROM steward.as_user('{"tenant_id": "2"}', $$SELECT * FROM "Odd Schema"."My ""Table""; DROP TABLE docs; --"$$, 'rls_app');
SELECT count(*) AS docs_still_there FROM docs;
DROP SCHEMA "Odd Schema" CASCADE;

DROP VIEW docs_view;
DROP FUNCTION docs_count();
DROP TABLE docs;
REVOKE CREATE ON SCHEMA public FROM rls_owner;
DROP ROLE rls_owner;
DROP ROLE rls_app;
SELECT count(*) AS leftover_template_rows FROM steward.rls_templates;
