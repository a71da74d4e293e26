--
-- Operations: steward.health_check() on a database with thousands of
-- tables (the issue asks for seconds).  3,000 tables, each with a foreign
-- key, every tenth with row-level security and a policy, every fiftieth
-- audited.  Baseline: the RLS linter alone, which health_check() runs.
--
\echo '== ops: health_check() over 3,000 tables (best of 3)'
\o /dev/null
CREATE SCHEMA many;
SELECT format('CREATE TABLE many.t%s (id int PRIMARY KEY, parent int REFERENCES many.t%s, tenant_id int, v text)',
              i, greatest(i - 1, 1))
FROM generate_series(1, 3000) i \gexec
SELECT format('ALTER TABLE many.t%s ENABLE ROW LEVEL SECURITY', i),
       format('CREATE POLICY p ON many.t%s USING (tenant_id = 1)', i)
FROM generate_series(10, 3000, 10) i \gexec
SELECT format('SELECT steward.audit_enable(%L)', 'many.t' || i) FROM generate_series(5, 3000, 50) i \gexec
ANALYZE;
\o

CALL bench.compare('ops_health', ARRAY[
    ['steward.rls_lint() alone (baseline)', 'SELECT count(*) FROM steward.rls_lint(ARRAY[''many''])'],
    ['steward.health_check()', 'SELECT count(*) FROM steward.health_check()']], 3);
SELECT * FROM bench.report('ops_health');

\o /dev/null
SELECT format('SELECT steward.audit_disable(%L)', 'many.t' || i) FROM generate_series(5, 3000, 50) i \gexec
SELECT format('DROP TABLE many.t%s CASCADE', i) FROM generate_series(3000, 1, -1) i \gexec
DROP SCHEMA many;
\o
