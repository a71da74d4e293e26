-- src/context/context.sql
-- Session context: who is acting (user, tenant, roles, claims).
-- See docs/context.md.

CREATE FUNCTION steward.context_set(
    user_id   text   DEFAULT NULL,
    tenant_id text   DEFAULT NULL,
    roles     text[] DEFAULT NULL,
    claims    jsonb  DEFAULT NULL,
    scope     text   DEFAULT 'transaction')
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_context_set';

COMMENT ON FUNCTION steward.context_set(text, text, text[], jsonb, text) IS
  'Establish who is acting: user id, tenant id, roles and claims; scope ''transaction'' (default, gone at COMMIT/ROLLBACK) or ''session''';

CREATE FUNCTION steward.context_clear()
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_context_clear';

COMMENT ON FUNCTION steward.context_clear() IS
  'Remove the session context, whatever its scope (undone if the transaction rolls back)';

CREATE FUNCTION steward.context_lock()
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_context_lock';

COMMENT ON FUNCTION steward.context_lock() IS
  'Freeze the session context until the end of the transaction: any later change raises 42501';

-- PARALLEL RESTRICTED: the lock is state of the leader's transaction.
CREATE FUNCTION steward.context_locked()
RETURNS boolean
LANGUAGE c STABLE PARALLEL RESTRICTED LEAKPROOF
AS 'MODULE_PATHNAME', 'steward_context_locked';

COMMENT ON FUNCTION steward.context_locked() IS
  'Whether steward.context_lock() was called in the current transaction';

CREATE FUNCTION steward.current_user_id()
RETURNS text
LANGUAGE c STABLE PARALLEL SAFE LEAKPROOF
AS 'MODULE_PATHNAME', 'steward_current_user_id';

COMMENT ON FUNCTION steward.current_user_id() IS
  'User id of the session context, or NULL when none is set';

CREATE FUNCTION steward.current_tenant()
RETURNS text
LANGUAGE c STABLE PARALLEL SAFE LEAKPROOF
AS 'MODULE_PATHNAME', 'steward_current_tenant';

COMMENT ON FUNCTION steward.current_tenant() IS
  'Tenant id of the session context, or NULL when none is set';

CREATE FUNCTION steward.has_role(role text)
RETURNS boolean
LANGUAGE c STABLE STRICT PARALLEL SAFE LEAKPROOF
AS 'MODULE_PATHNAME', 'steward_has_role';

COMMENT ON FUNCTION steward.has_role(text) IS
  'Whether the session context carries the role (exact match); NULL when no context is set';

CREATE FUNCTION steward.claim(name text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE LEAKPROOF
AS 'MODULE_PATHNAME', 'steward_claim';

COMMENT ON FUNCTION steward.claim(text) IS
  'A top-level claim of the session context as text (like ->>); NULL when absent or no context is set';

CREATE FUNCTION steward.context()
RETURNS jsonb
LANGUAGE c STABLE PARALLEL SAFE LEAKPROOF
AS 'MODULE_PATHNAME', 'steward_context';

COMMENT ON FUNCTION steward.context() IS
  'The whole session context as jsonb {user_id, tenant_id, roles, claims}, or NULL when none is set';
