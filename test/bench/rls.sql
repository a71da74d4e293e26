--
-- Row-level security: the cost of a policy_tenant policy.
--
-- 1,000,000 rows spread over 1,000 tenants with an index on tenant_id,
-- queried by an ordinary role (superusers bypass RLS).  Baseline: the
-- hand-written query "WHERE tenant_id = 42" on a table without RLS.
-- Compared, each on its own identical table: the policy_tenant template;
-- the naive policy written with current_setting() that the template
-- replaces; and the same naive policy through a PL/pgSQL helper function
-- (VOLATILE unless declared otherwise), as often seen in the wild.
--
\echo '== rls: one tenant''s rows out of 1,000,000 (1,000 tenants, index on tenant_id)'
CREATE FUNCTION bench.app_tenant() RETURNS bigint LANGUAGE plpgsql
  AS $$ BEGIN RETURN current_setting('app.tenant')::bigint; END $$;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rls_base', 'rls_template', 'rls_naive', 'rls_naive_fn'] LOOP
        EXECUTE format('CREATE TABLE bench.%I AS
                          SELECT g AS id, (g %% 1000)::bigint AS tenant_id, md5(g::text) AS payload
                          FROM generate_series(1, 1000000) g', t);
        EXECUTE format('CREATE INDEX ON bench.%I (tenant_id)', t);
    END LOOP;
END $$;
VACUUM ANALYZE bench.rls_base, bench.rls_template, bench.rls_naive, bench.rls_naive_fn;
SELECT steward.policy_tenant('bench.rls_template') \gset
ALTER TABLE bench.rls_naive ENABLE ROW LEVEL SECURITY;
CREATE POLICY naive ON bench.rls_naive USING (tenant_id = current_setting('app.tenant')::bigint);
ALTER TABLE bench.rls_naive_fn ENABLE ROW LEVEL SECURITY;
CREATE POLICY naive_fn ON bench.rls_naive_fn USING (tenant_id = bench.app_tenant());

CREATE ROLE bench_app;
GRANT USAGE ON SCHEMA bench TO bench_app;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO bench_app;
GRANT INSERT ON bench.results TO bench_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench TO bench_app;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA bench TO bench_app;

SET ROLE bench_app;
SET app.tenant = '42';
SELECT steward.context_set(tenant_id => '42', scope => 'session') \gset
\echo 'plans:'
EXPLAIN (COSTS OFF) SELECT count(*), max(payload) FROM bench.rls_base WHERE tenant_id = 42;
EXPLAIN (COSTS OFF) SELECT count(*), max(payload) FROM bench.rls_template;
CALL bench.compare('rls', ARRAY[
  ['WHERE tenant_id = 42, no RLS (baseline)',
   $q$SELECT count(*), max(payload) FROM bench.rls_base WHERE tenant_id = 42$q$],
  ['policy_tenant template',
   $q$SELECT count(*), max(payload) FROM bench.rls_template$q$],
  ['naive: tenant_id = current_setting(...)::bigint',
   $q$SELECT count(*), max(payload) FROM bench.rls_naive$q$],
  ['naive: tenant_id = plpgsql_function()',
   $q$SELECT count(*), max(payload) FROM bench.rls_naive_fn$q$]], 7);
-- all four must have returned the same rows
SELECT (SELECT count(*) FROM bench.rls_base WHERE tenant_id = 42) AS base_rows,
       (SELECT count(*) FROM bench.rls_template) AS template_rows,
       (SELECT count(*) FROM bench.rls_naive) AS naive_rows;
SELECT steward.context_clear() \gset
RESET ROLE;
SELECT * FROM bench.report('rls');

DROP TABLE bench.rls_base, bench.rls_template, bench.rls_naive, bench.rls_naive_fn;
REVOKE ALL ON ALL TABLES IN SCHEMA bench FROM bench_app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA bench FROM bench_app;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA bench FROM bench_app;
REVOKE ALL ON SCHEMA bench FROM bench_app;
DROP ROLE bench_app;
DROP FUNCTION bench.app_tenant();
