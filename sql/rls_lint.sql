--
-- rls_lint: the RLS linter finds nothing in a correct schema, each problem
-- once in a faulty one, and works for an ordinary role.
--
CREATE ROLE rls_lint_owner NOLOGIN;         -- owns the objects
CREATE ROLE rls_lint_app NOLOGIN;           -- an ordinary role
CREATE ROLE rls_lint_login LOGIN;           -- a table owner that can log in
CREATE ROLE rls_lint_bypass LOGIN BYPASSRLS;

-- ---- a correct set-up: no findings

CREATE SCHEMA lint_clean AUTHORIZATION rls_lint_owner;
SET ROLE rls_lint_owner;

CREATE TABLE lint_clean.tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE lint_clean.orders (
    id        bigint PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES lint_clean.tenants,
    total     numeric NOT NULL);
CREATE INDEX ON lint_clean.orders (tenant_id);

-- odd names, and a policy that looks up another table with a sub-select
CREATE TABLE lint_clean."team members" (
    "team (id)" bigint NOT NULL,
    user_id     text NOT NULL,
    PRIMARY KEY ("team (id)", user_id));
CREATE INDEX ON lint_clean."team members" (user_id);
CREATE TABLE lint_clean.docs (id bigint PRIMARY KEY, team_id bigint NOT NULL, body text);

-- a permissive base policy narrowed by a restrictive one
CREATE TABLE lint_clean.notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, body text);
CREATE INDEX ON lint_clean.notes (tenant_id, id);

-- a partitioned table: its partitions are read through it
CREATE TABLE lint_clean.events (
    tenant_id bigint NOT NULL,
    id        bigint NOT NULL,
    PRIMARY KEY (tenant_id, id)) PARTITION BY LIST (tenant_id);
CREATE TABLE lint_clean.events_1 PARTITION OF lint_clean.events FOR VALUES IN (1);

ALTER TABLE lint_clean.tenants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE lint_clean.orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE lint_clean."team members" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE lint_clean.docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE lint_clean.notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE lint_clean.events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON lint_clean.tenants
    USING (id = (SELECT steward.current_tenant())::bigint);
CREATE POLICY tenant_isolation ON lint_clean.orders
    USING (tenant_id = (SELECT steward.current_tenant())::bigint);
CREATE POLICY own_memberships ON lint_clean."team members"
    USING (user_id = (SELECT steward.current_user_id()));
CREATE POLICY team_docs ON lint_clean.docs
    USING (EXISTS (SELECT 1 FROM lint_clean."team members" m
                   WHERE m."team (id)" = team_id
                     AND m.user_id = (SELECT steward.current_user_id())));
CREATE POLICY tenant_isolation ON lint_clean.events
    USING (tenant_id = (SELECT steward.current_tenant())::bigint);
CREATE POLICY notes_base ON lint_clean.notes USING (true);
CREATE POLICY notes_tenant ON lint_clean.notes AS RESTRICTIVE
    USING (tenant_id = (SELECT steward.current_tenant())::bigint
           AND id > 0);

CREATE VIEW lint_clean.order_totals WITH (security_invoker = true) AS
    SELECT tenant_id, sum(total) AS total FROM lint_clean.orders GROUP BY tenant_id;

CREATE FUNCTION lint_clean.tenant_name(tenant bigint) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT name FROM lint_clean.tenants WHERE id = tenant $$;
RESET ROLE;

SELECT * FROM steward.rls_lint(ARRAY['lint_clean']) ORDER BY code, object;

-- ---- one of each problem

CREATE SCHEMA lint_bad AUTHORIZATION rls_lint_owner;
CREATE SCHEMA lint_bad_open;
GRANT CREATE ON SCHEMA lint_bad_open TO PUBLIC;
SET ROLE rls_lint_owner;

-- RLS001: row-level security disabled
CREATE TABLE lint_bad.no_rls (id bigint PRIMARY KEY);

-- RLS002: enabled, but no policy
CREATE TABLE lint_bad.no_policy (id bigint PRIMARY KEY);
ALTER TABLE lint_bad.no_policy ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- RLS003: a permissive policy that is always true
CREATE TABLE lint_bad.open (id bigint PRIMARY KEY);
ALTER TABLE lint_bad.open ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY open_all ON lint_bad.open TO rls_lint_app USING (true);

-- RLS004: a volatile function per row
CREATE FUNCTION lint_bad.volatile_tenant() RETURNS bigint
    LANGUAGE sql AS $$ SELECT 1::bigint $$;
CREATE TABLE lint_bad.vol (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
CREATE INDEX ON lint_bad.vol (tenant_id);
ALTER TABLE lint_bad.vol ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY vol_tenant ON lint_bad.vol USING (tenant_id = lint_bad.volatile_tenant());

-- RLS005: a stable function with constant arguments, called per row
CREATE TABLE lint_bad.stable (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
CREATE INDEX ON lint_bad.stable (tenant_id);
ALTER TABLE lint_bad.stable ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY stable_tenant ON lint_bad.stable
    USING (tenant_id = current_setting('lint.tenant', true)::bigint);

-- RLS006: a stable function applied to the row's columns
CREATE FUNCTION lint_bad.can_read(owner_name text) RETURNS boolean
    LANGUAGE sql STABLE AS $$ SELECT owner_name = current_user $$;
CREATE TABLE lint_bad.leaky (id bigint PRIMARY KEY, owner_name text NOT NULL);
CREATE INDEX ON lint_bad.leaky (owner_name);
ALTER TABLE lint_bad.leaky ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY leaky_owner ON lint_bad.leaky USING (lint_bad.can_read(owner_name));

-- RLS007: a view that reads a protected table as its owner, to whom the
-- (forced) policies then apply; the security_invoker view on top of it is
-- not reported itself
CREATE VIEW lint_bad.stable_view AS SELECT id FROM lint_bad.stable;
CREATE VIEW lint_bad.stable_view_invoker WITH (security_invoker = true) AS
    SELECT id FROM lint_bad.stable_view;

-- RLS009: SECURITY DEFINER without search_path, and with a schema anyone
-- may create objects in
CREATE FUNCTION lint_bad.definer_no_path() RETURNS integer
    LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
CREATE FUNCTION lint_bad.definer_open_path(x integer) RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = lint_bad_open, pg_temp
    AS $$ SELECT x $$;

-- RLS010: a policy column without an index, and a foreign key without one
CREATE TABLE lint_bad.no_index (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
ALTER TABLE lint_bad.no_index ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY no_index_tenant ON lint_bad.no_index
    USING (tenant_id = (SELECT current_setting('lint.tenant', true))::bigint);
CREATE TABLE lint_bad.child (
    id        bigint PRIMARY KEY,
    parent_id bigint NOT NULL REFERENCES lint_bad.no_index);
ALTER TABLE lint_bad.child ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY child_rows ON lint_bad.child USING (id > 0);
RESET ROLE;

-- RLS008: a table owned by a login role without FORCE (and a view of that
-- owner, which bypasses its policies: RLS007 as an error), and a login role
-- with BYPASSRLS that may read a protected table
CREATE TABLE lint_bad.login_owned (id bigint PRIMARY KEY);
ALTER TABLE lint_bad.login_owned ENABLE ROW LEVEL SECURITY;
CREATE POLICY login_owned_rows ON lint_bad.login_owned USING (id > 0);
ALTER TABLE lint_bad.login_owned OWNER TO rls_lint_login;
CREATE VIEW lint_bad.login_owned_view AS SELECT id FROM lint_bad.login_owned;
ALTER VIEW lint_bad.login_owned_view OWNER TO rls_lint_login;
GRANT SELECT ON lint_bad.stable TO rls_lint_bypass;

SELECT severity, code, object, message FROM steward.rls_lint(ARRAY['lint_bad'])
ORDER BY code, object;

-- every finding has a full-sentence hint
SELECT code, object, hint FROM steward.rls_lint(ARRAY['lint_bad'])
ORDER BY code, object;

-- fixing a problem makes its finding go away (the view of the login-owned
-- table remains, but its owner is now bound by the forced policies)
ALTER TABLE lint_bad.login_owned FORCE ROW LEVEL SECURITY;
ALTER VIEW lint_bad.stable_view SET (security_invoker = on);
ALTER FUNCTION lint_bad.definer_no_path() SET search_path = pg_catalog, pg_temp;
CREATE INDEX ON lint_bad.child (parent_id);
SELECT severity, code, object FROM steward.rls_lint(ARRAY['lint_bad'])
WHERE code IN ('RLS007', 'RLS008', 'RLS009', 'RLS010')
ORDER BY code, object;

-- several schemas at once; the default is public
SELECT count(*) AS findings FROM steward.rls_lint(ARRAY['lint_clean', 'lint_bad']);
SELECT count(*) = (SELECT count(*) FROM steward.rls_lint(ARRAY['public']))
    AS default_is_public
FROM steward.rls_lint();

-- bad arguments
\set VERBOSITY terse
SELECT * FROM steward.rls_lint(ARRAY['lint_missing']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.rls_lint(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.rls_lint(ARRAY['lint_bad', NULL]);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT count(*) AS findings FROM steward.rls_lint(ARRAY[]::name[]);

-- an ordinary role gets the same findings
CREATE TEMP TABLE lint_as_superuser AS
    SELECT * FROM steward.rls_lint(ARRAY['lint_clean', 'lint_bad']);
GRANT SELECT ON lint_as_superuser TO rls_lint_app;
SET ROLE rls_lint_app;
SELECT count(*) AS findings,
       count(*) FILTER (WHERE (l.*) IS DISTINCT FROM (s.*)) AS different
FROM steward.rls_lint(ARRAY['lint_clean', 'lint_bad']) l
FULL JOIN lint_as_superuser s USING (code, object, message);
RESET ROLE;

-- ---- clean up

SET client_min_messages = warning;
DROP TABLE lint_as_superuser;
DROP SCHEMA lint_clean CASCADE;
DROP SCHEMA lint_bad CASCADE;
DROP SCHEMA lint_bad_open;
DROP OWNED BY rls_lint_owner, rls_lint_app, rls_lint_login, rls_lint_bypass;
DROP ROLE rls_lint_owner, rls_lint_app, rls_lint_login, rls_lint_bypass;
RESET client_min_messages;
