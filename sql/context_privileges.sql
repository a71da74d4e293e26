--
-- context_privileges: what an ordinary role can and cannot do
--
CREATE ROLE steward_app;
CREATE ROLE steward_admin;
GRANT CREATE ON SCHEMA public TO steward_app;

SET ROLE steward_app;

-- an ordinary role can use the context functions ...
BEGIN;
SELECT steward.context_set('42', 'acme', '{member}');
SELECT steward.current_user_id(), steward.current_tenant(), steward.has_role('member');
COMMIT;

-- ... but cannot forge a context with SET or set_config()
SET steward.context = '{"user_id": "666"}';
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL steward.context = '{"user_id": "666"}';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT set_config('steward.context', '{"user_id": "666"}', false);
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('steward.context', '{"user_id": "666"}', true);
\echo :LAST_ERROR_SQLSTATE
-- nor reset it by name (RESET ALL and DISCARD ALL do clear it, like
-- context_clear(), except while it is locked)
RESET steward.context;
\echo :LAST_ERROR_SQLSTATE
-- nor make up a look-alike setting
SET steward.user_id = '666';
\echo :LAST_ERROR_SQLSTATE
-- nor store one for later logins or in a function
ALTER ROLE steward_app SET steward.context = '{"user_id": "666"}';
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION forged() RETURNS text LANGUAGE sql
  SET steward.context = '{"user_id": "666"}'
  AS 'SELECT steward.current_user_id()';
\echo :LAST_ERROR_SQLSTATE
SELECT steward.current_user_id() AS still_nobody;

-- a locked context resists everything an ordinary role can try
BEGIN;
SELECT steward.context_set('42', 'acme');
SELECT steward.context_lock();
SELECT steward.context_set('666');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT steward.context_set('42', 'acme');
SELECT steward.context_lock();
SELECT steward.context_clear();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT steward.context_set('42', 'acme');
SELECT steward.context_lock();
RESET ALL;
SELECT steward.current_user_id(), steward.current_tenant();
DO $$
BEGIN
  PERFORM steward.context_set('666');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'refused: %', SQLERRM;
END $$;
SELECT steward.current_user_id(), steward.current_tenant();
COMMIT;

-- a SECURITY DEFINER function of an ordinary role can set the context for
-- its caller (how an application's login function would do it)
CREATE FUNCTION app_login(uid text) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT steward.context_set(uid, 'acme', '{member}') $$;
RESET ROLE;
SET ROLE steward_admin;
BEGIN;
SELECT app_login('99');
SELECT steward.current_user_id() AS set_through_definer, current_user;
COMMIT;
RESET ROLE;

-- nobody can grant themselves SET on the parameter
SET ROLE steward_app;
GRANT SET ON PARAMETER steward.context TO steward_app;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

DROP FUNCTION app_login(text);
REVOKE CREATE ON SCHEMA public FROM steward_app;
DROP ROLE steward_app;
DROP ROLE steward_admin;
