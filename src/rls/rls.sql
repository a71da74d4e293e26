-- src/rls/rls.sql
-- Row-level security: verified context, policy templates, policy testing.
-- See docs/rls.md.

-- ---- catalog helpers for the linter

CREATE FUNCTION steward.expr_functions(expr pg_node_tree)
RETURNS TABLE (funcid regprocedure, in_subquery boolean)
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_expr_functions';

COMMENT ON FUNCTION steward.expr_functions(pg_node_tree) IS
  'Functions a stored expression (e.g. pg_policy.polqual) calls, directly or through operators; in_subquery when inside a sub-select (evaluated once per query)';

CREATE FUNCTION steward.expr_columns(expr pg_node_tree)
RETURNS TABLE (attnum smallint, in_subquery boolean)
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_expr_columns';

COMMENT ON FUNCTION steward.expr_columns(pg_node_tree) IS
  'Columns of its own table that a stored expression (e.g. pg_policy.polqual) reads; in_subquery when read from inside a sub-select';

-- ---- verified context

CREATE FUNCTION steward.context_from_token(token text)
RETURNS void
LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_context_from_token';

COMMENT ON FUNCTION steward.context_from_token(text) IS
  'Verify a signed JWT (HS256/384/512 with steward.jwt_secret, RS256/384/512 or ES256/384 with steward.jwt_public_key), set the context from its claims for the transaction, and lock it';

CREATE FUNCTION steward.token_claims(token text)
RETURNS jsonb
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_token_claims';

COMMENT ON FUNCTION steward.token_claims(text) IS
  'Verify a signed JWT like context_from_token() and return its claims, without touching the context';
