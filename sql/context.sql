--
-- context: establishing who is acting, and reading it back
--

-- no context: every accessor returns NULL, never an error
SELECT steward.current_user_id(), steward.current_tenant(),
       steward.has_role('admin'), steward.claim('email'), steward.context(),
       steward.context_locked();

-- a full context, read back
BEGIN;
SELECT steward.context_set(user_id => '42', tenant_id => 'acme',
                           roles => ARRAY['editor', 'admin', 'editor'],
                           claims => '{"email": "ann@example.com", "level": 3, "beta": true,
                                       "org": {"id": 7}, "tags": ["a", "b"], "gone": null}');
SELECT steward.current_user_id() AS user_id, steward.current_tenant() AS tenant;
SELECT steward.has_role('admin') AS admin, steward.has_role('editor') AS editor,
       steward.has_role('Admin') AS "Admin", steward.has_role('') AS empty,
       steward.has_role(NULL) AS null_role;
SELECT steward.claim('email') AS email, steward.claim('level') AS level,
       steward.claim('beta') AS beta, steward.claim('org') AS org,
       steward.claim('tags') AS tags, steward.claim('gone') AS gone,
       steward.claim('missing') AS missing, steward.claim(NULL) AS null_name;
-- roles sorted, duplicates removed; every key present
SELECT jsonb_pretty(steward.context());
-- accessor results are the caller's own copies
SELECT steward.current_user_id() || '-suffix' AS concatenated, steward.current_user_id();
COMMIT;

-- transaction scope (the default): gone after COMMIT ...
SELECT steward.context() IS NULL AS gone_after_commit;

-- ... and after ROLLBACK
BEGIN;
SELECT steward.context_set('42');
SELECT steward.current_user_id();
ROLLBACK;
SELECT steward.current_user_id() AS gone_after_rollback;

-- outside a transaction block it lasts for the statement only, with a warning
SELECT steward.context_set('42');
SELECT steward.current_user_id() AS gone_after_statement;

-- a tenant-only context; replacing a context replaces all of it
BEGIN;
SELECT steward.context_set(tenant_id => 'acme', roles => '{admin}');
SELECT steward.current_user_id(), steward.current_tenant(), steward.has_role('admin');
SELECT steward.context_set('7');
SELECT steward.current_user_id(), steward.current_tenant(), steward.has_role('admin');
COMMIT;

-- savepoints: ROLLBACK TO restores the context the savepoint saw
BEGIN;
SELECT steward.context_set('1');
SAVEPOINT a;
SELECT steward.context_set('2');
SAVEPOINT b;
SELECT steward.context_set('3');
SELECT steward.current_user_id() AS in_b;
ROLLBACK TO b;
SELECT steward.current_user_id() AS after_rollback_to_b;
RELEASE a;
SELECT steward.current_user_id() AS after_release_a;
SAVEPOINT c;
SELECT steward.context_clear();
SELECT steward.context() IS NULL AS cleared_in_c;
ROLLBACK TO c;
SELECT steward.current_user_id() AS after_rollback_to_c;
COMMIT;

-- a PL/pgSQL exception block is a savepoint too
BEGIN;
SELECT steward.context_set('outer');
DO $$
BEGIN
  PERFORM steward.context_set('inner');
  RAISE EXCEPTION 'boom';
EXCEPTION WHEN raise_exception THEN
  RAISE NOTICE 'inside handler: %', steward.current_user_id();
END $$;
SELECT steward.current_user_id() AS after_exception_block;
COMMIT;

-- session scope outlives the transaction; a transaction-scoped context
-- overrides it until the end of the transaction
SELECT steward.context_set('service', scope => 'session');
SELECT steward.current_user_id() AS session_user_id;
BEGIN;
SELECT steward.context_set('42');
SELECT steward.current_user_id() AS inside;
COMMIT;
SELECT steward.current_user_id() AS after_commit;
-- a session-scoped set in an aborted transaction is undone
BEGIN;
SELECT steward.context_set('other', scope => 'session');
ROLLBACK;
SELECT steward.current_user_id() AS after_rollback;
-- context_clear removes a session context for good
SELECT steward.context_clear();
SELECT steward.context() IS NULL AS cleared;
-- DISCARD ALL (a pooler's reset) clears it as well
SELECT steward.context_set('service', scope => 'session');
DISCARD ALL;
SELECT steward.context() IS NULL AS cleared_by_discard_all;

--
-- locking
--
BEGIN;
SELECT steward.context_set('42', 'acme');
SELECT steward.context_lock();
SELECT steward.context_locked();
SELECT steward.context_lock();   -- locking again is a no-op
SELECT steward.context_set('666');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT steward.context_locked() AS locked_after_rollback;

-- nothing changes a locked context before the transaction ends
BEGIN;
SELECT steward.context_set('42', 'acme');
SAVEPOINT before_lock;
SELECT steward.context_set('43', 'acme');
SELECT steward.context_lock();
SELECT steward.context_clear();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO before_lock;
-- rolling back past the lock does not unlock or change the context
SELECT steward.current_user_id(), steward.context_locked();
SELECT steward.context_set('666');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO before_lock;
-- RESET ALL does not touch it either
RESET ALL;
SELECT steward.current_user_id();
-- nor a superuser's direct SET of the parameter
SET LOCAL steward.context = '{"user_id": "666"}';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO before_lock;
-- nor an exception block that tries to change it
DO $$
BEGIN
  PERFORM steward.context_set('666');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'refused: %', SQLERRM;
END $$;
SELECT steward.current_user_id();
COMMIT;
-- after the transaction the context follows ordinary transactional rules:
-- it was transaction-scoped, so it is gone, and the lock with it
SELECT steward.context() IS NULL AS gone, steward.context_locked() AS locked;
SELECT steward.context_set('free again', scope => 'session');
SELECT steward.current_user_id();
SELECT steward.context_clear();

-- a function whose SET clause sets the context cannot lock it: the value
-- would be reverted when the function returns
CREATE FUNCTION lock_inside_set() RETURNS text LANGUAGE plpgsql
  SET steward.context = '{"user_id": "system"}'
  AS $$ BEGIN PERFORM steward.context_lock(); RETURN steward.current_user_id(); END $$;
BEGIN;
SELECT steward.context_set('alice');
SELECT lock_inside_set();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
DROP FUNCTION lock_inside_set();

-- a superuser may still store a value for later sessions while locked
BEGIN;
SELECT steward.context_set('42');
SELECT steward.context_lock();
CREATE ROLE context_service;
ALTER ROLE context_service SET steward.context = '{"user_id": "svc"}';
SELECT steward.current_user_id();
ROLLBACK;

-- locking an empty context keeps it empty
BEGIN;
SELECT steward.context_lock();
SELECT steward.context_set('42');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

--
-- parallel workers see the leader's context, locked value included
--
CREATE TABLE context_parallel AS
  SELECT g AS id, (g % 10)::text AS tenant FROM generate_series(1, 100000) g;
ANALYZE context_parallel;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
BEGIN;
SELECT steward.context_set(tenant_id => '3');
EXPLAIN (COSTS OFF)
  SELECT min(id), count(*) FROM context_parallel WHERE tenant = steward.current_tenant();
SELECT min(id), count(*) FROM context_parallel WHERE tenant = steward.current_tenant();
SAVEPOINT s;
SELECT steward.context_set(tenant_id => '4');
SELECT steward.context_lock();
ROLLBACK TO s;
-- the parameter was rolled back to tenant 3, but the lock holds tenant 4,
-- in the leader and in the workers
SELECT min(id), count(*) FROM context_parallel WHERE tenant = steward.current_tenant();
COMMIT;
RESET ALL;
DROP TABLE context_parallel;

--
-- bad input: a clear error with the right SQLSTATE
--
SELECT steward.context_set();
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set(NULL, NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set(claims => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set(roles => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', '');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', roles => ARRAY['a', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', roles => ARRAY['a', '']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', roles => ARRAY[['a', 'b'], ['c', 'd']]);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', claims => '[1, 2]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', claims => '"x"');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', scope => 'forever');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', scope => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set(repeat('x', 70000));
\echo :LAST_ERROR_SQLSTATE
SELECT steward.context_set('1', claims => jsonb_build_object('blob', repeat('x', 70000)));
\echo :LAST_ERROR_SQLSTATE
-- the failed calls left no context behind
SELECT steward.context() IS NULL AS still_none;

-- odd but valid values round-trip exactly
BEGIN;
SELECT steward.context_set(E'O''Brien "the" \\ user\n', 'ten ant;DROP TABLE x',
                           roles => ARRAY['rôle', '角色', 'a"b'],
                           claims => '{"": "empty key", "ünï": "cödé"}');
SELECT steward.current_user_id() = E'O''Brien "the" \\ user\n' AS user_roundtrip,
       steward.current_tenant() = 'ten ant;DROP TABLE x' AS tenant_roundtrip,
       steward.has_role('角色') AS cjk_role, steward.has_role('a"b') AS quoted_role,
       steward.claim('') AS empty_key, steward.claim('ünï') AS unicode_claim;
COMMIT;

-- the largest accepted context
BEGIN;
SELECT steward.context_set(repeat('x', 65000));
SELECT length(steward.current_user_id());
COMMIT;

-- the parameter: a superuser may set it directly, but only with a valid value
SET steward.context = '{"user_id": "7", "roles": ["b", "a"]}';
SELECT steward.current_user_id(), steward.context() -> 'roles' AS roles;
SET steward.context = 'not json';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '[1]';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '{"user_id": 7}';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '{"user": "7"}';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '{"roles": "admin"}';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '{"roles": [1]}';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '{"claims": []}';
\echo :LAST_ERROR_SQLSTATE
SET steward.context = '{"user_id": "a\u0000b"}';
\echo :LAST_ERROR_SQLSTATE
-- valid JSON that jsonb cannot hold is reported, not thrown from the hook
SET steward.context = '{"claims": {"n": 1e1000000}}';
\echo :LAST_ERROR_SQLSTATE
-- an empty object is "no context"
SET steward.context = '{}';
SELECT steward.context() IS NULL AS empty_object_is_no_context;
RESET steward.context;
SELECT steward.context() IS NULL AS reset;

-- other names under steward. are reserved
SET steward.user_id = '42';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('steward.tenant', 'acme', false);
\echo :LAST_ERROR_SQLSTATE
