-- src/rls/rls.sql
-- Row-level security: verified context, policy templates, policy testing.
-- See docs/rls.md.

-- ---- catalog helpers for the linter

CREATE FUNCTION steward.expr_functions(expr pg_node_tree)
RETURNS TABLE (funcid regprocedure, in_subquery boolean, reads_row boolean)
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_expr_functions';

COMMENT ON FUNCTION steward.expr_functions(pg_node_tree) IS
  'Functions a stored expression (e.g. pg_policy.polqual) calls, directly or through operators; in_subquery when inside a sub-select (evaluated once per query); reads_row when the call''s arguments read a column of the expression''s own table';

CREATE FUNCTION steward.expr_columns(expr pg_node_tree)
RETURNS TABLE (attnum smallint, in_subquery boolean)
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_expr_columns';

COMMENT ON FUNCTION steward.expr_columns(pg_node_tree) IS
  'Columns of its own table that a stored expression (e.g. pg_policy.polqual) reads; in_subquery when read from inside a sub-select';

-- ---- verified context

CREATE FUNCTION steward.context_from_token(token text)
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_context_from_token';

COMMENT ON FUNCTION steward.context_from_token(text) IS
  'Verify a signed JWT (HS256/384/512 with steward.jwt_secret, RS256/384/512 or ES256/384 with steward.jwt_public_key), set the context from its claims for the transaction, and lock it';

CREATE FUNCTION steward.token_claims(token text)
RETURNS jsonb
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_token_claims';

COMMENT ON FUNCTION steward.token_claims(text) IS
  'Verify a signed JWT like context_from_token() and return its claims, without touching the context';

-- ---- policy templates
--
-- Each template call records its options in steward.rls_templates and then
-- regenerates the table's pg_steward policies from all of that table's
-- template rows: one PERMISSIVE policy per command (steward_select,
-- steward_insert, steward_update, steward_delete) whose condition is the AND
-- of every template that applies to the command.  The user's own policies
-- are never touched (permissive ones widen access, restrictive ones narrow
-- it, as PostgreSQL defines).  Accessors are called in the initplan form
-- (SELECT steward.current_tenant()::coltype): once per query, comparable
-- with an index on the column.  Templates run with the caller's rights: only
-- the table's owner can apply them, and the configuration table lets each
-- role see and change only the rows of the tables it owns.

CREATE TABLE steward.rls_templates (
    relation    regclass    NOT NULL,
    template    text        NOT NULL CHECK (template IN ('tenant', 'owner', 'roles', 'consent')),
    options     jsonb       NOT NULL DEFAULT '{}',
    applied_by  name        NOT NULL DEFAULT current_user,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relation, template)
);

COMMENT ON TABLE steward.rls_templates IS
  'Policy templates applied per table (see steward.policy_tenant, policy_owner, policy_roles); kept by pg_dump';
COMMENT ON COLUMN steward.rls_templates.relation IS 'The protected table';
COMMENT ON COLUMN steward.rls_templates.template IS 'tenant, owner, roles or consent';
COMMENT ON COLUMN steward.rls_templates.options IS 'The template''s options: column, commands, force, roles per command';
COMMENT ON COLUMN steward.rls_templates.applied_by IS 'Role that applied the template';
COMMENT ON COLUMN steward.rls_templates.applied_at IS 'When the template was last applied';

SELECT pg_catalog.pg_extension_config_dump('steward.rls_templates', '');

-- Readable by everyone for the tables they own; written only through
-- steward.rls_template_write() (see src/rls/templates.c for why).
ALTER TABLE steward.rls_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_only ON steward.rls_templates FOR SELECT
  USING (pg_catalog.pg_has_role(CURRENT_USER,
           (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relation),
           'USAGE'));
COMMENT ON POLICY owner_only ON steward.rls_templates IS
  'Each role sees the template rows of the tables it owns';
GRANT SELECT ON steward.rls_templates TO PUBLIC;

CREATE FUNCTION steward.rls_template_write(relation regclass, template text, options jsonb)
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_rls_template_write';

COMMENT ON FUNCTION steward.rls_template_write(regclass, text, jsonb) IS
  'Internal: record (options) or forget (NULL options) a table''s template; the caller must own the table';

CREATE FUNCTION steward.type_equality(type regtype)
RETURNS regoperator
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_type_equality';

COMMENT ON FUNCTION steward.type_equality(regtype) IS
  'The equality operator of the type''s default btree operator class (through domains), or NULL';

-- The commands a template row applies to.
CREATE FUNCTION steward.rls_template_commands(options jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN options ? 'commands'
              THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(options -> 'commands'))
              ELSE ARRAY['select', 'insert', 'update', 'delete'] END
$$;

COMMENT ON FUNCTION steward.rls_template_commands(jsonb) IS
  'Internal: the commands (select, insert, update, delete) a template''s options apply to';

-- The condition one template row puts on one command, or NULL if none.
CREATE FUNCTION steward.rls_template_condition(relation regclass, template text, options jsonb, command text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col name;
    coltype oid;
    eqop oid;
    accessor text;
    roles text[];
BEGIN
    IF template IN ('tenant', 'owner', 'consent') THEN
        IF NOT command = ANY (steward.rls_template_commands(options)) THEN
            RETURN NULL;
        END IF;
        -- the column by name, or by number if it was renamed since
        SELECT a.attname, a.atttypid INTO col, coltype
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
          AND (a.attname = (options ->> 'column') OR a.attnum = (options ->> 'attnum')::smallint)
        ORDER BY a.attname = (options ->> 'column') DESC
        LIMIT 1;
        IF col IS NULL THEN
            RAISE EXCEPTION 'column "%" of % does not exist', options ->> 'column', relation
                USING ERRCODE = 'undefined_column',
                      HINT = 'Apply the template again with the column''s current name.';
        END IF;
        -- compare with the operator an index on the column supports (citext's
        -- own =, not text's), and cast to the type without its size so that
        -- a too-long value is never truncated into a match
        -- consent: the person in the column consents to the purpose
        IF template = 'consent' THEN
            RETURN format('coalesce(steward.has_consent(%L, %I::text, %L), false)',
                          options ->> 'subject', col, options ->> 'purpose');
        END IF;
        eqop := steward.type_equality(coltype);
        IF eqop IS NULL THEN
            RAISE EXCEPTION 'column "%" of % has no equality operator for a btree index', col, relation
                USING ERRCODE = 'undefined_function';
        END IF;
        accessor := CASE template WHEN 'tenant' THEN 'steward.current_tenant()'
                                  ELSE 'steward.current_user_id()' END;
        RETURN format('(%I OPERATOR(%I.%s) (SELECT %s::%s))',
                      col,
                      (SELECT n.nspname FROM pg_catalog.pg_operator o
                       JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace WHERE o.oid = eqop),
                      (SELECT o.oprname FROM pg_catalog.pg_operator o WHERE o.oid = eqop),
                      accessor,
                      pg_catalog.format_type(coltype, NULL));
    ELSE
        roles := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                         coalesce(options -> 'roles' -> command, '[]') ||
                         coalesce(options -> 'roles' -> 'all', '[]')));
        IF pg_catalog.cardinality(roles) = 0 THEN
            RETURN 'false';
        END IF;
        RETURN format('(SELECT %s)',
                      (SELECT string_agg(format('coalesce(steward.has_role(%L), false)', r), ' OR ' ORDER BY r)
                       FROM (SELECT DISTINCT r FROM unnest(roles) r) d));
    END IF;
END
$$;

COMMENT ON FUNCTION steward.rls_template_condition(regclass, text, jsonb, text) IS
  'Internal: the SQL condition a template puts on a command, or NULL';

CREATE FUNCTION steward.policy_apply(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    command text;
    cond text;
    force boolean;
    policy text;
BEGIN
    FOREACH command IN ARRAY ARRAY['select', 'insert', 'update', 'delete'] LOOP
        policy := 'steward_' || command;
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_policy p
                   WHERE p.polrelid = policy_apply.relation AND p.polname = policy) THEN
            EXECUTE format('DROP POLICY %I ON %s', policy, relation);
        END IF;
        SELECT string_agg(c, ' AND ' ORDER BY t.template) INTO cond
        FROM steward.rls_templates t,
             LATERAL steward.rls_template_condition(t.relation, t.template, t.options, command) c
        WHERE t.relation = policy_apply.relation AND c IS NOT NULL;
        IF cond IS NULL THEN
            CONTINUE;
        END IF;
        EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR %s TO PUBLIC %s',
                       policy, relation, upper(command),
                       CASE command
                         WHEN 'select' THEN format('USING (%s)', cond)
                         WHEN 'delete' THEN format('USING (%s)', cond)
                         WHEN 'insert' THEN format('WITH CHECK (%s)', cond)
                         ELSE format('USING (%s) WITH CHECK (%s)', cond, cond)
                       END);
        EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', policy, relation,
                       'generated by pg_steward policy templates; do not edit (see steward.policies)');
    END LOOP;

    IF EXISTS (SELECT 1 FROM steward.rls_templates t WHERE t.relation = policy_apply.relation) THEN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', relation);
        SELECT bool_or(coalesce((t.options ->> 'force')::boolean, false)) INTO force
        FROM steward.rls_templates t WHERE t.relation = policy_apply.relation;
        IF force THEN
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', relation);
        END IF;
    END IF;
END
$$;

COMMENT ON FUNCTION steward.policy_apply(regclass) IS
  'Regenerate a table''s pg_steward policies from its templates (after a restore or a column type change)';

-- Checks shared by the templates; returns the options with defaults filled in.
CREATE FUNCTION steward.rls_template_prepare(relation regclass, template text, options jsonb,
                                             check_column boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind "char";
    owner oid;
    bad text;
    colnum smallint;
    coltype oid;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c.relkind, c.relowner INTO kind, owner FROM pg_catalog.pg_class c WHERE c.oid = relation;
    IF kind IS NULL OR kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', relation USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table %', relation USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT check_column THEN
        RETURN options;
    END IF;
    IF options ? 'commands' THEN
        IF jsonb_typeof(options -> 'commands') <> 'array' THEN
            RAISE EXCEPTION 'commands must be an array' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT c INTO bad FROM pg_catalog.jsonb_array_elements_text(options -> 'commands') c
        WHERE c NOT IN ('select', 'insert', 'update', 'delete') LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'unrecognized command "%"', bad USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Commands are select, insert, update and delete.';
        END IF;
    END IF;
    IF template IN ('tenant', 'owner', 'consent') THEN
        SELECT a.attnum, a.atttypid INTO colnum, coltype FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = relation AND a.attname = (options ->> 'column')
          AND a.attnum > 0 AND NOT a.attisdropped;
        IF colnum IS NULL THEN
            RAISE EXCEPTION 'column "%" of % does not exist', options ->> 'column', relation
                USING ERRCODE = 'undefined_column';
        END IF;
        IF template <> 'consent' AND steward.type_equality(coltype) IS NULL THEN
            RAISE EXCEPTION 'column "%" of % has no equality operator for a btree index',
                options ->> 'column', relation USING ERRCODE = 'undefined_function';
        END IF;
        -- remember the column's number too: a rename keeps it
        options := options || pg_catalog.jsonb_build_object('attnum', colnum);
    END IF;
    RETURN options;
END
$$;

COMMENT ON FUNCTION steward.rls_template_prepare(regclass, text, jsonb, boolean) IS
  'Internal: validate a template''s table and options';

CREATE FUNCTION steward.rls_template_store(relation regclass, template text, options jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    options := steward.rls_template_prepare(relation, template, options);
    PERFORM steward.rls_template_write(relation, template, options);
    PERFORM steward.policy_apply(relation);
END
$$;

COMMENT ON FUNCTION steward.rls_template_store(regclass, text, jsonb) IS
  'Internal: record a template''s options and regenerate the table''s policies';

CREATE FUNCTION steward.policy_tenant(
    relation    regclass,
    column_name name    DEFAULT 'tenant_id',
    force       boolean DEFAULT false,
    commands    text[]  DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT steward.rls_template_store(relation, 'tenant',
           jsonb_strip_nulls(jsonb_build_object('column', column_name, 'force', force,
                                                'commands', to_jsonb(commands))))
$$;

COMMENT ON FUNCTION steward.policy_tenant(regclass, name, boolean, text[]) IS
  'Tenant isolation: rows are visible and writable only when column = steward.current_tenant()';

CREATE FUNCTION steward.policy_owner(
    relation    regclass,
    column_name name    DEFAULT 'user_id',
    force       boolean DEFAULT false,
    commands    text[]  DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT steward.rls_template_store(relation, 'owner',
           jsonb_strip_nulls(jsonb_build_object('column', column_name, 'force', force,
                                                'commands', to_jsonb(commands))))
$$;

COMMENT ON FUNCTION steward.policy_owner(regclass, name, boolean, text[]) IS
  'Owner-only rows: visible and writable only when column = steward.current_user_id() (optionally for some commands only)';

CREATE FUNCTION steward.policy_roles(
    relation regclass,
    roles    jsonb,
    force    boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad text;
BEGIN
    IF roles IS NULL OR jsonb_typeof(roles) <> 'object' THEN
        RAISE EXCEPTION 'roles must be a JSON object mapping commands to arrays of roles'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example {"select": ["member", "admin"], "all": ["admin"]}.';
    END IF;
    SELECT k INTO bad FROM jsonb_object_keys(roles) k
    WHERE k NOT IN ('select', 'insert', 'update', 'delete', 'all') LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unrecognized command "%"', bad USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Commands are select, insert, update, delete and all.';
    END IF;
    SELECT k INTO bad FROM jsonb_each(roles) e(k, v)
    WHERE jsonb_typeof(v) <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(v) x
                  WHERE jsonb_typeof(x) <> 'string' OR x #>> '{}' = '')
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'roles for "%" must be an array of non-empty strings', bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM steward.rls_template_store(relation, 'roles',
              jsonb_build_object('roles', roles, 'force', force));
END
$$;

COMMENT ON FUNCTION steward.policy_roles(regclass, jsonb, boolean) IS
  'Role-based access: which context roles may select/insert/update/delete, e.g. {"select": ["member"], "all": ["admin"]}';

CREATE FUNCTION steward.policy_drop(relation regclass, template text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM steward.rls_template_prepare(relation, template, '{}', check_column => false);
    IF template IS NOT NULL AND template NOT IN ('tenant', 'owner', 'roles') THEN
        RAISE EXCEPTION 'unrecognized template "%"', template USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Templates are tenant, owner and roles.';
    END IF;
    PERFORM steward.rls_template_write(relation, template, NULL);
    PERFORM steward.policy_apply(relation);
END
$$;

COMMENT ON FUNCTION steward.policy_drop(regclass, text) IS
  'Remove one template (or all with NULL) from a table and regenerate its pg_steward policies; RLS stays enabled';

CREATE VIEW steward.policies WITH (security_invoker = true) AS
SELECT t.relation,
       t.template,
       t.options,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       ARRAY(SELECT p.polname::text FROM pg_catalog.pg_policy p
             WHERE p.polrelid = t.relation AND p.polname LIKE 'steward\_%'
             ORDER BY p.polname) AS policies,
       t.applied_by,
       t.applied_at
FROM steward.rls_templates t
JOIN pg_catalog.pg_class c ON c.oid = t.relation;

COMMENT ON VIEW steward.policies IS
  'Policy templates applied per table, with the policies they generated and the table''s RLS state';

GRANT SELECT ON steward.policies TO PUBLIC;

-- When a table is dropped, so are its template rows.  SECURITY DEFINER:
-- once the table is gone, the configuration table's own policy no longer
-- lets its former owner see the rows.  It deletes only rows of relations
-- that this very DROP removed.
CREATE FUNCTION steward.rls_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM steward.rls_templates t
    USING pg_catalog.pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND d.objsubid = 0
      AND t.relation = d.objid;
END
$$;

COMMENT ON FUNCTION steward.rls_on_drop() IS
  'Internal: event trigger function that forgets the policy templates of dropped tables';

REVOKE EXECUTE ON FUNCTION steward.rls_on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER steward_rls_on_drop ON sql_drop
  EXECUTE FUNCTION steward.rls_on_drop();

COMMENT ON EVENT TRIGGER steward_rls_on_drop IS
  'pg_steward: forget the policy templates of dropped tables';

-- ---- policy testing

-- No pinned search_path: the query runs with the caller's, like any query
-- the caller writes (as_user has the caller's rights, nothing more).
CREATE FUNCTION steward.as_user(context jsonb, query text, role name DEFAULT NULL)
RETURNS SETOF jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    result jsonb;
    done boolean := false;
BEGIN
    IF context IS NULL OR pg_catalog.jsonb_typeof(context) OPERATOR(pg_catalog.<>) 'object' THEN
        RAISE EXCEPTION 'context must be a JSON object like steward.context() returns'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF query IS NULL THEN
        RAISE EXCEPTION 'query must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    BEGIN
        PERFORM steward.context_set(
            user_id   => context OPERATOR(pg_catalog.->>) 'user_id',
            tenant_id => context OPERATOR(pg_catalog.->>) 'tenant_id',
            roles     => CASE WHEN pg_catalog.jsonb_typeof(context OPERATOR(pg_catalog.->) 'roles')
                                   OPERATOR(pg_catalog.=) 'array'
                              THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                                                  context OPERATOR(pg_catalog.->) 'roles')) END,
            claims    => CASE WHEN pg_catalog.jsonb_typeof(context OPERATOR(pg_catalog.->) 'claims')
                                   OPERATOR(pg_catalog.=) 'object'
                              THEN context OPERATOR(pg_catalog.->) 'claims' END);
        IF role IS NOT NULL THEN
            EXECUTE pg_catalog.format('SET LOCAL ROLE %I', role);
        END IF;
        EXECUTE pg_catalog.format('WITH q AS (%s) SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(q)), ''[]'') FROM q', query)
            INTO result;
        -- a lock outlives the rollback below (it lasts until the end of the
        -- transaction): refuse, and let the error end the caller's transaction
        IF steward.context_locked() THEN
            RAISE EXCEPTION 'the query passed to steward.as_user() locked the session context'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Do not call steward.context_lock() or steward.context_from_token() in it.';
        END IF;
        -- undo everything the query did, and the context and role with it
        done := true;
        RAISE EXCEPTION USING ERRCODE = 'SR001';
    EXCEPTION WHEN SQLSTATE 'SR001' THEN
        IF NOT done THEN
            RAISE;          -- the query's own error of that code
        END IF;
    END;
    RETURN QUERY SELECT pg_catalog.jsonb_array_elements(result);
END
$$;

COMMENT ON FUNCTION steward.as_user(jsonb, text, name) IS
  'Run a query (SELECT, or INSERT/UPDATE/DELETE ... RETURNING) as if the given context (and optionally database role) were acting, return its rows as jsonb, and roll everything back';

CREATE FUNCTION steward.policy_check(relation regclass, context jsonb, role name DEFAULT NULL)
RETURNS TABLE (operation text, rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    col text;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = relation) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', relation USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the counts mean something only where the policies apply; and the
    -- UPDATE and DELETE below fire the table's triggers as the acting role
    IF NOT (SELECT (r #>> '{active}')::boolean
            FROM steward.as_user(context,
                   format('SELECT pg_catalog.row_security_active(%L::pg_catalog.regclass) AS active', relation),
                   role) r) THEN
        RAISE EXCEPTION 'row-level security does not apply to % on %', coalesce(role, current_user), relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The role is a superuser, has BYPASSRLS, or owns the table and row-level security is not forced.',
                  HINT = 'Pass the application''s role as role => ''...''.';
    END IF;
    SELECT quote_ident(a.attname) INTO col FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attgenerated = '' AND a.attidentity <> 'a'
    ORDER BY a.attnum LIMIT 1;
    operation := 'select';
    SELECT count(*) INTO rows FROM steward.as_user(context, format('SELECT 1 FROM %s', relation), role);
    RETURN NEXT;
    IF col IS NOT NULL THEN
        operation := 'update';
        SELECT count(*) INTO rows FROM steward.as_user(context,
            format('UPDATE %s SET %s = %s RETURNING 1', relation, col, col), role);
        RETURN NEXT;
    END IF;
    operation := 'delete';
    SELECT count(*) INTO rows FROM steward.as_user(context, format('DELETE FROM %s RETURNING 1', relation), role);
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION steward.policy_check(regclass, jsonb, name) IS
  'How many rows of a table the given context (and optionally database role) could select, update and delete; nothing is changed';
