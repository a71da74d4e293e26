-- ---------------------------------------------------------------------
-- Masking: rules and masked views
--
-- A rule says how a column is shown to those it is masked for: a masking
-- function or an SQL expression over the column; the roles (database
-- roles, or roles of the session context) that see the real value.
-- mask_apply() generates a view per table in a masked schema
-- (<schema>_masked by default) with security_invoker and security_barrier,
-- so the caller's privileges and row-level security still apply; each
-- masked column shows CASE WHEN steward.unmasked(table, column) THEN the
-- value ELSE the mask END, the test evaluated once per query.
-- ---------------------------------------------------------------------

CREATE TABLE steward.mask_config (
    relation regclass NOT NULL,
    column_name name NOT NULL,
    mask text NOT NULL,
    unmasked_roles name[] NOT NULL DEFAULT '{}',
    unmasked_context_roles text[] NOT NULL DEFAULT '{}',
    created_by name NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relation, column_name)
);

COMMENT ON TABLE steward.mask_config IS
  'Masking rules (steward.mask_column): the mask expression of a column and who sees the real value; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.mask_config', '');
REVOKE ALL ON steward.mask_config FROM PUBLIC;
GRANT SELECT ON steward.mask_config TO PUBLIC;

CREATE TABLE steward.mask_views (
    relation regclass PRIMARY KEY,
    view regclass NOT NULL,
    view_schema name NOT NULL
);

COMMENT ON TABLE steward.mask_views IS
  'The masked view of each table (steward.mask_apply); kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.mask_views', '');
REVOKE ALL ON steward.mask_views FROM PUBLIC;
GRANT SELECT ON steward.mask_views TO PUBLIC;

CREATE FUNCTION steward.mask_config_write(relation regclass, column_name name, mask text,
                                          unmasked_roles name[], unmasked_context_roles text[])
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_mask_config_write';

COMMENT ON FUNCTION steward.mask_config_write(regclass, name, text, name[], text[]) IS
  'Internal: store a masking rule (NULL mask: remove the column''s rule, or every rule of the table with a NULL column); the caller must own the table';

CREATE FUNCTION steward.mask_view_write(relation regclass, view regclass)
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_mask_view_write';

CREATE FUNCTION steward.mask_save_acl(relation regclass, acl aclitem[])
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_mask_save_acl';

COMMENT ON FUNCTION steward.mask_save_acl(regclass, aclitem[]) IS
  'Internal: keep the grants of a table''s masked view in backend memory for the current transaction (an ALTER TABLE may drop the view with CASCADE)';

CREATE FUNCTION steward.mask_saved_acl(relation regclass)
RETURNS aclitem[]
LANGUAGE c STABLE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_mask_saved_acl';

COMMENT ON FUNCTION steward.mask_saved_acl(regclass) IS
  'Internal: the grants mask_save_acl kept for a table in this transaction, or NULL';

COMMENT ON FUNCTION steward.mask_view_write(regclass, regclass) IS
  'Internal: remember (NULL view: forget) the masked view of a table; the caller must own the table';

-- Masks are the table owner's code: they run (when checked, applied or
-- anonymized) only as the owner itself, never as a superuser or another
-- member acting on the owner's table.
CREATE FUNCTION steward.require_mask_owner(relation regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM steward.require_own_table(relation);
    IF (SELECT c.relowner FROM pg_class c WHERE c.oid = relation)
       <> (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'masking rules of table % are managed by its owner %', relation,
                        (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = relation)
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Masks are the owner''s code; they never run with another role''s rights.',
                  HINT = 'Run it as the owner (SET ROLE to it, or log in as it).';
    END IF;
END
$$;

COMMENT ON FUNCTION steward.require_mask_owner(regclass) IS
  'Internal: raise an error unless the current role is the owner of the table itself (masks run only as their owner)';

CREATE FUNCTION steward.unmasked(relation regclass, column_name name)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        (SELECT EXISTS (SELECT FROM unnest(c.unmasked_roles) u(r)
                        JOIN pg_roles g ON g.rolname = u.r
                        WHERE pg_has_role(current_user, g.oid, 'MEMBER'))
             OR EXISTS (SELECT FROM unnest(c.unmasked_context_roles) u(r)
                        WHERE steward.has_role(u.r))
         FROM steward.mask_config c
         WHERE c.relation = unmasked.relation AND c.column_name = unmasked.column_name),
        false)
$$;

COMMENT ON FUNCTION steward.unmasked(regclass, name) IS
  'Whether the current role (a member of an unmasked role) or the session context (an unmasked context role) sees the real value of a masked column; false when the column has no rule (a masked view whose rule is missing masks)';

CREATE FUNCTION steward.mask_type(relation regclass, expression text)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regtype;
BEGIN
    -- the type of the expression over a row of the table (all NULL)
    EXECUTE format('SELECT pg_typeof(%s)::regtype FROM (SELECT (NULL::%s).*) AS masked_row', expression, relation)
        INTO t;
    RETURN t;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'invalid mask for table %: %', relation, SQLERRM
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'A mask is a function name (called with the column) or an SQL expression over the table''s columns.';
END
$$;

COMMENT ON FUNCTION steward.mask_type(regclass, text) IS
  'Internal: the type of a mask expression over a row of the table; 22023 if it is not a valid expression';

CREATE FUNCTION steward.mask_column(relation regclass, column_name name, mask text,
                                    unmasked_for name[] DEFAULT '{}',
                                    unmasked_context_roles text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    expr text;
    missing name;
BEGIN
    IF column_name IS NULL OR mask IS NULL OR unmasked_for IS NULL OR unmasked_context_roles IS NULL THEN
        RAISE EXCEPTION 'column_name, mask and the role lists must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM steward.require_mask_owner(relation);
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = relation AND a.attname = column_name
                   AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, relation
            USING ERRCODE = 'undefined_column';
    END IF;
    SELECT u.r INTO missing FROM unnest(unmasked_for) u(r)
    WHERE u.r IS NULL OR NOT EXISTS (SELECT FROM pg_roles g WHERE g.rolname = u.r) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', missing USING ERRCODE = 'undefined_object';
    END IF;
    IF array_position(unmasked_context_roles, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'the context roles must not contain NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- a schema-qualified function name is called with the column; anything
    -- else is an expression, which must not be the bare column itself
    IF mask ~ '^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$' THEN
        expr := format('%s(%I)', mask, column_name);
    ELSIF btrim(mask) IN (column_name, quote_ident(column_name)) OR btrim(mask) ~ '^[A-Za-z_][A-Za-z0-9_$]*$' THEN
        RAISE EXCEPTION 'mask "%" of column % would not mask anything', mask, column_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give a schema-qualified function (steward.mask_email) or an expression over the column (steward.mask_partial(phone, 0, 2)).';
    ELSE
        expr := mask;
    END IF;
    PERFORM steward.mask_type(relation, expr);
    PERFORM steward.mask_config_write(relation, column_name, expr, unmasked_for, unmasked_context_roles);
    -- the table's masked view shows it at once
    IF EXISTS (SELECT FROM steward.mask_views v WHERE v.relation = mask_column.relation) THEN
        PERFORM steward.mask_apply(relation);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.mask_column(regclass, name, text, name[], text[]) IS
  'Mask a column in the table''s masked view: mask is a function name (steward.mask_email) or an SQL expression over the columns; unmasked_for lists the database roles, unmasked_context_roles the session-context roles that see the real value';

CREATE FUNCTION steward.mask_apply(relation regclass, view_schema name DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    target name;
    old_view oid;
    old_schema name;
    old_name name;
    acl aclitem[];
    cols text;
    grants record;
    sql text;
    v regclass;
    gone name;
BEGIN
    PERFORM steward.require_mask_owner(relation);
    IF (SELECT c.relpersistence FROM pg_class c WHERE c.oid = relation) = 't' THEN
        RAISE EXCEPTION 'table % is temporary: it has no masked view', relation
            USING ERRCODE = 'feature_not_supported';
    END IF;
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = relation;
    -- a rule whose column is gone (renamed with a mask written as an
    -- expression) would show the new column unmasked: refuse
    SELECT m.column_name INTO gone FROM steward.mask_config m
    WHERE m.relation = mask_apply.relation
      AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = m.relation AND a.attname = m.column_name
                      AND a.attnum > 0 AND NOT a.attisdropped)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the masking rule of column % of % names a column that no longer exists', gone, relation
            USING ERRCODE = 'invalid_table_definition',
                  HINT = 'Mask the column under its new name first (steward.mask_column), then drop the old rule (steward.mask_drop).';
    END IF;
    -- where the view is (or was: an ALTER TABLE may have dropped it with CASCADE)
    SELECT m.view, m.view_schema INTO old_view, old_schema FROM steward.mask_views m
    WHERE m.relation = mask_apply.relation;
    SELECT c.relname, n.nspname, c.relacl INTO old_name, old_schema, acl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = old_view;
    IF NOT FOUND THEN
        old_view := NULL;
        acl := steward.mask_saved_acl(relation);
        SELECT m.view_schema INTO old_schema FROM steward.mask_views m WHERE m.relation = mask_apply.relation;
    END IF;
    target := coalesce(view_schema, old_schema, nsp || '_masked');
    IF target = nsp THEN
        RAISE EXCEPTION 'the masked view must not be in the table''s own schema %', nsp
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = target) THEN
        EXECUTE format('CREATE SCHEMA %I', target);
    END IF;

    -- every column, in order; masked ones through their mask (as text when
    -- the mask's type is not the column's)
    SELECT string_agg(
             CASE WHEN m.mask IS NULL THEN format('%I', a.attname)
                  WHEN steward.mask_type(mask_apply.relation, m.mask) = a.atttypid::regtype
                  THEN format('CASE WHEN (SELECT steward.unmasked(%L::regclass, %L)) THEN %I ELSE (%s) END AS %I',
                              mask_apply.relation::text, a.attname, a.attname, m.mask, a.attname)
                  ELSE format('CASE WHEN (SELECT steward.unmasked(%L::regclass, %L)) THEN %I::text ELSE (%s)::text END AS %I',
                              mask_apply.relation::text, a.attname, a.attname, m.mask, a.attname)
             END, ', ' ORDER BY a.attnum)
    INTO cols
    FROM pg_attribute a
    LEFT JOIN steward.mask_config m ON m.relation = a.attrelid AND m.column_name = a.attname
    WHERE a.attrelid = mask_apply.relation AND a.attnum > 0 AND NOT a.attisdropped;

    sql := format('VIEW %I.%I WITH (security_invoker = true, security_barrier = true) AS SELECT %s FROM %s',
                  target, rel, cols, relation);
    -- moved to another schema, or the table renamed: the old view goes
    IF old_view IS NOT NULL AND (old_schema <> target OR old_name <> rel) THEN
        EXECUTE format('DROP VIEW %I.%I', old_schema, old_name);
        old_view := NULL;
    END IF;
    BEGIN
        EXECUTE 'CREATE OR REPLACE ' || sql;
    EXCEPTION WHEN invalid_table_definition OR feature_not_supported OR datatype_mismatch THEN
        -- columns dropped, reordered or retyped: recreate it
        SELECT c.relacl INTO acl FROM pg_class c WHERE c.oid = format('%I.%I', target, rel)::regclass;
        EXECUTE format('DROP VIEW %I.%I', target, rel);
        EXECUTE 'CREATE ' || sql;
    END;
    v := format('%I.%I', target, rel)::regclass;
    -- the grants of the view it replaces
    FOR grants IN SELECT x.grantee, x.privilege_type AS privilege
                  FROM aclexplode(acl) x
                  WHERE x.grantee <> (SELECT c.relowner FROM pg_class c WHERE c.oid = v)
    LOOP
        EXECUTE format('GRANT %s ON %s TO %s', grants.privilege, v,
                       CASE WHEN grants.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident((SELECT g.rolname FROM pg_roles g WHERE g.oid = grants.grantee)) END);
    END LOOP;
    EXECUTE format('COMMENT ON VIEW %s IS %L', v,
                   format('pg_steward masked view of %s (steward.mask_apply; regenerated when the rules or the table change)', relation));
    PERFORM steward.mask_view_write(relation, v);
    RETURN v;
END
$$;

COMMENT ON FUNCTION steward.mask_apply(regclass, name) IS
  'Create or regenerate the masked view of a table (default <schema>_masked.<table>), security_invoker and security_barrier, masked columns shown through their masks unless steward.unmasked()';

CREATE FUNCTION steward.mask_drop(relation regclass, column_name name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v regclass;
BEGIN
    PERFORM steward.require_mask_owner(relation);
    PERFORM steward.mask_config_write(relation, column_name, NULL, NULL, NULL);
    SELECT m.view INTO v FROM steward.mask_views m WHERE m.relation = mask_drop.relation;
    IF v IS NULL THEN
        RETURN;
    END IF;
    IF column_name IS NULL THEN
        -- no rule left: the view goes too (if nobody dropped it already)
        IF EXISTS (SELECT FROM pg_class c WHERE c.oid = v) THEN
            EXECUTE format('DROP VIEW %s', v);
        END IF;
        PERFORM steward.mask_view_write(relation, NULL);
    ELSE
        PERFORM steward.mask_apply(relation);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.mask_drop(regclass, name) IS
  'Remove the masking rule of a column (its view then shows the real value), or every rule of the table and its masked view (NULL column)';

CREATE FUNCTION steward.mask_role(role name)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v record;
    n integer := 0;
BEGIN
    IF role IS NULL OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = mask_role.role) THEN
        RAISE EXCEPTION 'role "%" does not exist', role USING ERRCODE = 'undefined_object';
    END IF;
    -- the views whose owner the caller can act as
    FOR v IN SELECT m.view, n.nspname
             FROM steward.mask_views m
             JOIN pg_class c ON c.oid = m.view
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE pg_has_role(current_user, c.relowner, 'USAGE')
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', v.nspname, role);
        EXECUTE format('GRANT SELECT ON %s TO %I', v.view, role);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

COMMENT ON FUNCTION steward.mask_role(name) IS
  'Let a role read every masked view (USAGE on the masked schemas, SELECT on the views); returns the number of views';

CREATE VIEW steward.masking_rules AS
SELECT c.relation, c.column_name, c.mask, c.unmasked_roles, c.unmasked_context_roles,
       v.view AS masked_view, c.created_by, c.created_at
FROM steward.mask_config c
LEFT JOIN steward.mask_views v ON v.relation = c.relation;

COMMENT ON VIEW steward.masking_rules IS
  'Masking rules per column (steward.mask_column): the mask, who sees the real value, and the table''s masked view';
GRANT SELECT ON steward.masking_rules TO PUBLIC;

-- The masked view follows its table: ALTER TABLE regenerates it (a new
-- column appears, masked if a rule says so; a dropped one goes), and a
-- dropped table or column takes its rules along.
CREATE FUNCTION steward.mask_on_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    cmd record;
    new_name name;
    old record;
BEGIN
    FOR r IN SELECT DISTINCT m.relation, c.relowner = (SELECT o.oid FROM pg_roles o WHERE o.rolname = current_user) AS is_owner
             FROM pg_event_trigger_ddl_commands() d
             JOIN steward.mask_views m ON m.relation = d.objid
             JOIN pg_class c ON c.oid = m.relation
             WHERE d.classid = 'pg_catalog.pg_class'::regclass
    LOOP
        -- the owner's masks run only as the owner: altered by anyone else
        -- (a superuser, a restore), the view waits for the owner
        IF NOT r.is_owner THEN
            RAISE WARNING 'the masked view of % was not regenerated', r.relation
                USING DETAIL = 'Masks run only as the table''s owner.',
                      HINT = format('Its owner runs SELECT steward.mask_apply(%L).', r.relation::text);
            CONTINUE;
        END IF;
        -- a renamed column: a rule given as a function follows it
        FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() d
                   WHERE d.objid = r.relation AND d.object_type = 'table column' AND d.objsubid > 0
        LOOP
            SELECT a.attname INTO new_name FROM pg_attribute a
            WHERE a.attrelid = r.relation AND a.attnum = cmd.objsubid AND NOT a.attisdropped;
            FOR old IN SELECT c.* FROM steward.mask_config c
                       WHERE c.relation = r.relation
                         AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.relation
                                         AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped)
                         AND c.mask ~ ('\(' || regexp_replace(quote_ident(c.column_name), '([^A-Za-z0-9_])', '\\\1', 'g') || '\)$')
            LOOP
                PERFORM steward.mask_config_write(r.relation, old.column_name, NULL, NULL, NULL);
                PERFORM steward.mask_config_write(r.relation, new_name,
                    regexp_replace(old.mask, '\([^()]*\)$', format('(%I)', new_name)),
                    old.unmasked_roles, old.unmasked_context_roles);
            END LOOP;
        END LOOP;
        PERFORM steward.mask_apply(r.relation);
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.mask_on_ddl() IS
  'Internal: event trigger function that regenerates the masked views of altered tables';

CREATE EVENT TRIGGER steward_mask_on_ddl ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION steward.mask_on_ddl();

COMMENT ON EVENT TRIGGER steward_mask_on_ddl IS
  'pg_steward: regenerate masked views when their tables change';

CREATE FUNCTION steward.mask_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM steward.mask_config c
    USING pg_catalog.pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND c.relation = d.objid
      AND (d.objsubid = 0
           OR (d.object_type = 'table column'
               AND c.column_name = d.address_names[pg_catalog.array_length(d.address_names, 1)]));
    -- a masked view dropped alone (ALTER TABLE ... DROP COLUMN ... CASCADE)
    -- stays listed: the ALTER TABLE recreates it; the table dropped, it goes
    DELETE FROM steward.mask_views v
    USING pg_catalog.pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
      AND v.relation = d.objid;
END
$$;

COMMENT ON FUNCTION steward.mask_on_drop() IS
  'Internal: event trigger function that forgets the masking rules and masked views of dropped tables, columns and views';

REVOKE EXECUTE ON FUNCTION steward.mask_on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER steward_mask_on_drop ON sql_drop
  EXECUTE FUNCTION steward.mask_on_drop();

COMMENT ON EVENT TRIGGER steward_mask_on_drop IS
  'pg_steward: forget the masking rules of dropped tables and columns, and dropped masked views';

-- Before an ALTER TABLE: the grants of the masked views, which a DROP COLUMN
-- ... CASCADE would take with the view (mask_apply puts them back).
CREATE FUNCTION steward.mask_before_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM steward.mask_save_acl(m.relation, c.relacl)
    FROM steward.mask_views m JOIN pg_class c ON c.oid = m.view;
END
$$;

COMMENT ON FUNCTION steward.mask_before_ddl() IS
  'Internal: event trigger function that keeps the grants of masked views while an ALTER TABLE runs';

CREATE EVENT TRIGGER steward_mask_before_ddl ON ddl_command_start
  WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION steward.mask_before_ddl();

COMMENT ON EVENT TRIGGER steward_mask_before_ddl IS
  'pg_steward: keep the grants of masked views across ALTER TABLE';

-- ---------------------------------------------------------------------
-- Static anonymization: the masking rules applied in place, for staging
-- copies of production
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.anonymize_table(relation regclass, dry_run boolean DEFAULT true,
                                        confirm text DEFAULT NULL)
RETURNS TABLE (column_name name, mask text, rows_changed bigint, note text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    n bigint;
    dups bigint;
    is_copy boolean := coalesce(current_setting('steward.database_is_copy', true), 'off')::boolean;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM steward.require_mask_owner(relation);
    -- production is never anonymized by accident: a database marked as a
    -- copy, or its name typed as confirmation
    IF NOT dry_run AND NOT is_copy AND confirm IS DISTINCT FROM current_database() THEN
        RAISE EXCEPTION 'refusing to anonymize table % in database %, which is not marked as a copy', relation, current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Anonymization overwrites the masked columns in place, for good.',
                  HINT = format('Mark the copy with ALTER DATABASE %I SET steward.database_is_copy = on, or pass confirm => %L.',
                                current_database(), current_database());
    END IF;
    FOR r IN SELECT c.column_name AS col, c.mask AS expr, a.atttypid::regtype AS coltype,
                    steward.mask_type(anonymize_table.relation, c.mask) AS masktype,
                    EXISTS (SELECT FROM pg_index i
                            WHERE i.indrelid = anonymize_table.relation AND i.indisunique
                              AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum) AS is_unique
             FROM steward.mask_config c
             JOIN pg_attribute a ON a.attrelid = c.relation AND a.attname = c.column_name
             WHERE c.relation = anonymize_table.relation AND NOT a.attisdropped
             ORDER BY a.attnum
    LOOP
        column_name := r.col;
        mask := r.expr;
        IF r.masktype <> r.coltype THEN
            rows_changed := NULL;
            note := format('not applied: the mask gives %s, the column is %s', r.masktype, r.coltype);
            RETURN NEXT;
            CONTINUE;
        END IF;
        EXECUTE format('SELECT count(*) FROM %s WHERE %I IS DISTINCT FROM (%s)', relation, r.col, r.expr) INTO n;
        -- a unique column must stay unique: pseudonyms could collide
        IF r.is_unique THEN
            EXECUTE format('SELECT count(%2$I) - count(DISTINCT (%3$s)) FROM %1$s', relation, r.col, r.expr) INTO dups;
            IF dups > 0 THEN
                RAISE EXCEPTION 'masking column % of % would make % values collide in a unique index', r.col, relation, dups
                    USING ERRCODE = 'unique_violation',
                          HINT = 'Use a mask that keeps values distinct (steward.mask_hash, steward.pseudo_email).';
            END IF;
        END IF;
        IF NOT dry_run THEN
            EXECUTE format('UPDATE %s SET %I = (%s) WHERE %I IS DISTINCT FROM (%s)', relation, r.col, r.expr, r.col, r.expr);
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        rows_changed := n;
        note := CASE WHEN dry_run THEN 'dry run: nothing changed' ELSE 'anonymized' END;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.anonymize_table(regclass, boolean, text) IS
  'Apply the masking rules of a table in place (for staging copies): per column the rows that change; a dry run by default; refused unless the database is marked as a copy (steward.database_is_copy) or confirm names it';

CREATE FUNCTION steward.anonymize_all(dry_run boolean DEFAULT true, confirm text DEFAULT NULL)
RETURNS TABLE (relation regclass, column_name name, mask text, rows_changed bigint, note text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regclass;
BEGIN
    -- the caller's own tables (masks run only as their owner)
    FOR t IN SELECT DISTINCT c.relation FROM steward.mask_config c
             JOIN pg_class k ON k.oid = c.relation
             WHERE k.relowner = (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user)
             ORDER BY 1 LOOP
        relation := t;
        FOR column_name, mask, rows_changed, note IN
            SELECT a.column_name, a.mask, a.rows_changed, a.note
            FROM steward.anonymize_table(t, dry_run, confirm) a
        LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.anonymize_all(boolean, text) IS
  'anonymize_table() for every table with masking rules, in one transaction';

-- ---------------------------------------------------------------------
-- Detection: columns that look like personal data (suggestions only)
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.detect_personal_data(schema_name name DEFAULT 'public', sample_rows integer DEFAULT 200)
RETURNS TABLE (relation regclass, column_name name, category text, confidence text, reason text,
               suggested_mask text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
    hits bigint;
    total bigint;
    v record;
    found_kind record;
BEGIN
    IF schema_name IS NULL OR sample_rows IS NULL OR sample_rows < 0 THEN
        RAISE EXCEPTION 'schema_name must not be NULL and sample_rows not negative'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR c IN
        SELECT k.oid::regclass AS rel, a.attname, format_type(a.atttypid, NULL) AS typ,
               t.typcategory = 'S' AS is_text
        FROM pg_class k
        JOIN pg_namespace n ON n.oid = k.relnamespace
        JOIN pg_attribute a ON a.attrelid = k.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
        WHERE n.nspname = schema_name AND k.relkind IN ('r', 'p') AND NOT k.relispartition
        ORDER BY k.relname, a.attnum
    LOOP
        relation := c.rel;
        column_name := c.attname;
        -- by name
        SELECT p.category, p.mask INTO category, suggested_mask
        FROM (VALUES ('email|e_mail|mail', 'contact', 'steward.mask_email'),
                     ('phone|mobile|tel|fax', 'contact', 'steward.mask_phone'),
                     ('iban|bank_account|account_number', 'financial', 'steward.mask_iban'),
                     ('card|pan|credit', 'financial', 'steward.mask_card'),
                     ('first_?name|last_?name|full_?name|surname|given_?name|^name$', 'identity', 'steward.mask_partial'),
                     ('birth|dob|born', 'identity', 'steward.mask_date'),
                     ('address|street|zip|postal|postcode|city', 'location', 'steward.mask_redact'),
                     ('^ip$|ip_addr|ip_address|remote_addr', 'online identifier', 'steward.mask_redact'),
                     ('ssn|social_security|passport|national_id|tax_id|vat', 'identity', 'steward.mask_redact'),
                     ('gender|sex|religion|ethnic|health|diagnos', 'special category (GDPR art. 9)', 'steward.mask_redact'),
                     ('salary|income|wage', 'financial', 'steward.mask_redact'))
             AS p(pattern, category, mask)
        WHERE c.attname ~* p.pattern
        LIMIT 1;
        IF FOUND THEN
            confidence := 'medium';
            reason := 'column name';
        ELSE
            category := NULL;
        END IF;
        -- by value, with the validators: a sample of the column's values
        IF c.is_text AND sample_rows > 0 THEN
            EXECUTE format('SELECT count(*) FILTER (WHERE steward.is_email(x)) AS emails,
                                   count(*) FILTER (WHERE steward.is_e164(regexp_replace(x, %L, %L, %L))) AS phones,
                                   count(*) FILTER (WHERE steward.is_iban(replace(x, %L, %L))) AS ibans,
                                   count(*) FILTER (WHERE steward.is_card(x)) AS cards,
                                   count(*) FILTER (WHERE steward.is_ipv4(x) OR steward.is_ipv6(x)) AS ips,
                                   count(x) AS total
                            FROM (SELECT %I::text AS x FROM %s LIMIT %s) s',
                           '[ ()./-]', '', 'g', ' ', '', c.attname, c.rel, sample_rows)
                INTO v;
            IF v.total > 0 THEN
                -- the kind that at least half the sampled values have
                SELECT s.cat, s.mask, s.what INTO found_kind
                FROM (VALUES (v.emails, 'contact', 'steward.mask_email', 'e-mail addresses'),
                             (v.phones, 'contact', 'steward.mask_phone', 'phone numbers'),
                             (v.ibans, 'financial', 'steward.mask_iban', 'IBANs'),
                             (v.cards, 'financial', 'steward.mask_card', 'payment card numbers'),
                             (v.ips, 'online identifier', 'steward.mask_redact', 'IP addresses')) AS s(n, cat, mask, what)
                WHERE s.n * 2 >= v.total AND s.n > 0
                ORDER BY s.n DESC LIMIT 1;
                IF FOUND THEN
                    category := found_kind.cat;
                    suggested_mask := found_kind.mask;
                    confidence := CASE WHEN confidence IS NOT NULL AND reason = 'column name' THEN 'high' ELSE 'medium' END;
                    reason := CASE WHEN reason = 'column name' THEN 'column name and values' ELSE 'values: ' || found_kind.what END;
                END IF;
            END IF;
        END IF;
        IF category IS NOT NULL THEN
            RETURN NEXT;
        END IF;
        confidence := NULL;
        reason := NULL;
        category := NULL;
        suggested_mask := NULL;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.detect_personal_data(name, integer) IS
  'Columns of a schema that look like personal data, by name and by sampling values with the format validators, with a category, a confidence and a suggested mask; it only suggests, never applies';

-- For tables too large for one transaction: the same in batches along the
-- primary key, each batch committed (each row is masked exactly once, even
-- by a mask that is not idempotent, like a pseudonym).
CREATE FUNCTION steward.anonymize_batch(relation regclass, batch_size integer, confirm text,
                                        after_key text, OUT changed bigint, OUT last_key text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pk name;
    pk_type regtype;
    sets text;
    is_copy boolean := coalesce(current_setting('steward.database_is_copy', true), 'off')::boolean;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM steward.require_mask_owner(relation);
    IF NOT is_copy AND confirm IS DISTINCT FROM current_database() THEN
        RAISE EXCEPTION 'refusing to anonymize table % in database %, which is not marked as a copy', relation, current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Anonymization overwrites the masked columns in place, for good.',
                  HINT = format('Mark the copy with ALTER DATABASE %I SET steward.database_is_copy = on, or pass confirm => %L.',
                                current_database(), current_database());
    END IF;
    SELECT a.attname, a.atttypid::regtype INTO pk, pk_type
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = relation AND i.indisprimary AND i.indnkeyatts = 1;
    IF pk IS NULL THEN
        RAISE EXCEPTION 'table % has no single-column primary key to walk in batches', relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Use steward.anonymize_table(), in one transaction.';
    END IF;
    IF after_key IS NULL THEN
        -- the first batch: the checks of anonymize_table (types, unique
        -- collisions), as a dry run
        PERFORM FROM steward.anonymize_table(relation, true);
    END IF;
    SELECT string_agg(format('%I = (%s)', c.column_name, c.mask), ', ')
    INTO sets
    FROM steward.mask_config c
    JOIN pg_attribute a ON a.attrelid = c.relation AND a.attname = c.column_name AND NOT a.attisdropped
    WHERE c.relation = anonymize_batch.relation
      AND steward.mask_type(c.relation, c.mask) = a.atttypid::regtype;
    IF sets IS NULL THEN
        changed := 0;
        RETURN;
    END IF;
    -- the next batch_size keys after the last one, updated once each
    EXECUTE format('WITH b AS (SELECT %1$I AS k FROM %2$s WHERE $1 IS NULL OR %1$I > $1::%3$s ORDER BY %1$I LIMIT %4$s), '
                   'u AS (UPDATE %2$s t SET %5$s FROM b WHERE t.%1$I = b.k RETURNING 1) '
                   'SELECT (SELECT count(*) FROM u), (SELECT max(k)::text FROM b)',
                   pk, relation, pk_type, batch_size, sets)
        INTO changed, last_key USING after_key;
END
$$;

COMMENT ON FUNCTION steward.anonymize_batch(regclass, integer, text, text) IS
  'Internal: one batch of steward.anonymize_in_batches(): the masked columns of the batch_size rows after after_key (primary key order)';

-- The procedure only loops and commits (a procedure with a SET clause
-- cannot commit); every statement it runs is qualified, the work is done
-- by anonymize_batch() under a pinned search_path.
CREATE PROCEDURE steward.anonymize_in_batches(relation regclass, batch_size integer DEFAULT 10000,
                                              confirm text DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    n bigint;
    last_key text;
    total bigint := 0;
BEGIN
    LOOP
        SELECT b.changed, b.last_key INTO n, last_key
        FROM steward.anonymize_batch(relation, batch_size, confirm, last_key) b;
        EXIT WHEN n OPERATOR(pg_catalog.=) 0::bigint;
        total := total OPERATOR(pg_catalog.+) n;
        COMMIT;
        RAISE NOTICE 'anonymized % rows of %', total, relation;
    END LOOP;
END
$$;

COMMENT ON PROCEDURE steward.anonymize_in_batches(regclass, integer, text) IS
  'anonymize_table() for a large table: along the primary key, batch_size rows per committed transaction, each row once; CALL it outside a transaction block';
