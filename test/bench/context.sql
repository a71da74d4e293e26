--
-- Session context: what the accessors cost per row and per query.
--
-- 1,000,000 rows over 1,000 tenants, no index (a sequential scan calls the
-- filter once per row, the worst case for a per-row accessor).  Baseline:
-- the tenant as a constant.  Compared: the accessor called per row, the
-- accessor as an initplan ((SELECT ...), the form policy templates use),
-- and the usual hand-made alternative, current_setting() on a custom
-- parameter that any role can SET.
--
\echo '== context: filter by the current tenant, 1,000,000 rows, sequential scan'
CREATE TABLE bench.ctx_rows AS
    SELECT g AS id, (g % 1000)::text AS tenant_id FROM generate_series(1, 1000000) g;
VACUUM ANALYZE bench.ctx_rows;

SET app.tenant = '42';
SET app.claims = '{"x": "42"}';
SELECT steward.context_set(tenant_id => '42', user_id => '7', scope => 'session') \gset

CALL bench.compare('ctx_filter', ARRAY[
  ['constant (baseline)',
   $q$SELECT count(*) FROM bench.ctx_rows WHERE tenant_id = '42'$q$],
  ['steward.current_tenant() per row',
   $q$SELECT count(*) FROM bench.ctx_rows WHERE tenant_id = steward.current_tenant()$q$],
  ['(SELECT steward.current_tenant())',
   $q$SELECT count(*) FROM bench.ctx_rows WHERE tenant_id = (SELECT steward.current_tenant())$q$],
  ['current_setting(''app.tenant'') per row',
   $q$SELECT count(*) FROM bench.ctx_rows WHERE tenant_id = current_setting('app.tenant')$q$]]);
SELECT * FROM bench.report('ctx_filter');

\echo '== context: accessor calls, 1,000,000 per query'
CALL bench.compare('ctx_calls', ARRAY[
  ['text constant (baseline)',
   $q$SELECT count('7'::text) FROM generate_series(1, 1000000)$q$],
  ['steward.current_user_id()',
   $q$SELECT count(steward.current_user_id()) FROM generate_series(1, 1000000)$q$],
  ['steward.has_role(''admin'')',
   $q$SELECT count(steward.has_role('admin')) FROM generate_series(1, 1000000)$q$],
  ['current_setting(''app.tenant'')',
   $q$SELECT count(current_setting('app.tenant')) FROM generate_series(1, 1000000)$q$],
  ['(current_setting(''app.claims'')::jsonb)->>''x''',
   $q$SELECT count(current_setting('app.claims')::jsonb ->> 'x') FROM generate_series(1, 1000000)$q$]]);
SELECT * FROM bench.report('ctx_calls');

\echo '== context: establishing it, 10,000 times in a transaction'
BEGIN;
CALL bench.compare('ctx_set', ARRAY[
  ['set_config(''app.tenant'', ..., true) (baseline)',
   $q$SELECT count(set_config('app.tenant', g::text, true)) FROM generate_series(1, 10000) g$q$],
  ['steward.context_set(user, tenant, roles)',
   $q$SELECT count(steward.context_set(g::text, 'acme', ARRAY['member', 'editor'])) FROM generate_series(1, 10000) g$q$]]);
COMMIT;
SELECT * FROM bench.report('ctx_set');

SELECT steward.context_clear() \gset
DROP TABLE bench.ctx_rows;
