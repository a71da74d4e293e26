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
    unmasked_roles regrole[] NOT NULL DEFAULT '{}',
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
    view_schema name NOT NULL,
    stored boolean NOT NULL DEFAULT false
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

CREATE FUNCTION steward.mask_view_write(relation regclass, view regclass, stored boolean DEFAULT false)
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

COMMENT ON FUNCTION steward.mask_view_write(regclass, regclass, boolean) IS
  'Internal: remember (NULL view: forget) the masked view of a table and whether it reads stored masks; the caller must own the table';

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

-- The rules as last committed, whatever the reader's snapshot: a REPEATABLE
-- READ transaction that began before a rule was narrowed gets the narrower
-- rule at once, as it would a REVOKE.
CREATE FUNCTION steward.unmasked(relation regclass, column_name name)
RETURNS boolean
LANGUAGE c STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'steward_unmasked';

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
    -- a bare literal ('***') is text
    IF t = 'unknown'::regtype THEN
        RETURN 'text'::regtype;
    END IF;
    IF (SELECT y.typtype FROM pg_type y WHERE y.oid = t) = 'p' THEN
        RAISE EXCEPTION 'the mask gives a value of pseudo-type %', t;
    END IF;
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

CREATE FUNCTION steward.mask_busy(relation regclass, busy boolean DEFAULT NULL)
RETURNS boolean
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_mask_busy';

COMMENT ON FUNCTION steward.mask_busy(regclass, boolean) IS
  'Internal: whether mask_apply is regenerating the masked view of a table in this transaction (busy NULL), or mark it (busy true, the table''s owner only) or clear it (false); its own ALTER TABLEs do not regenerate the view again';

-- Stored masks.  A role that reads a security_invoker view needs SELECT on
-- every table column the view reads, so a view that computes a mask from
-- the raw column gives the raw column to every reader.  With stored masks
-- the table keeps a column per masked column, <column>__masked, that holds
-- the mask of the row's value (kept by a trigger, computed as the table's
-- owner), and the view reads those instead: a masked role needs SELECT on
-- them and on the unmasked columns only, never on the raw masked columns.
CREATE FUNCTION steward.mask_stored_name(column_name name)
RETURNS name
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base text := column_name;
    suffix text := '__masked';
BEGIN
    -- shortened: a hash of the whole name keeps two long names apart
    IF octet_length(base || suffix) > 63 THEN
        suffix := '_' || left(md5(column_name), 6) || suffix;
        WHILE octet_length(base || suffix) > 63 LOOP
            base := left(base, -1);
        END LOOP;
    END IF;
    RETURN base || suffix;
END
$$;

COMMENT ON FUNCTION steward.mask_stored_name(name) IS
  'The name of the column that keeps the stored mask of a masked column: the column''s name and __masked; a name too long for 63 bytes is shortened, with a hash of the whole name';

CREATE FUNCTION steward.mask_stored_comment(column_name name, mask text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'pg_steward: stored mask of column ' || quote_ident(column_name) || ' = ' || mask
$$;

COMMENT ON FUNCTION steward.mask_stored_comment(name, text) IS
  'Internal: the comment that marks a stored mask column, with the column and the mask its values were computed with';

CREATE FUNCTION steward.mask_is_stored_column(relation regclass, attnum smallint)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(col_description(relation, attnum) LIKE 'pg_steward: stored mask of column %', false)
$$;

COMMENT ON FUNCTION steward.mask_is_stored_column(regclass, smallint) IS
  'Whether a column of a table is a stored mask column (steward.mask_apply(..., stored => true)), marked by its comment';

-- The tables that make up a masked table: itself and its partitions.
CREATE FUNCTION steward.mask_tree(relation regclass)
RETURNS SETOF regclass
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT relation
    UNION
    SELECT t.relid FROM pg_partition_tree(relation) t
$$;

COMMENT ON FUNCTION steward.mask_tree(regclass) IS
  'Internal: a masked table and its partitions (every level)';

-- How a role can reach raw masked values of a table other than through
-- its masked view: SELECT or REFERENCES on a raw masked column of the
-- table or of a partition, TRIGGER on either (a trigger of its own sees
-- every row written), or a write privilege on a masked column that a
-- unique index covers (whether an INSERT or UPDATE fails tells whether a
-- value exists).  Empty: none.
CREATE FUNCTION steward.mask_exposure(relation regclass, role oid)
RETURNS text[]
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_remove(ARRAY[
        (SELECT string_agg(format('%s on %s.%I', p.priv, t.relid, m.column_name), ', '
                           ORDER BY t.relid::text, m.column_name, p.priv)
         FROM steward.mask_config m
         CROSS JOIN steward.mask_tree(mask_exposure.relation) t(relid)
         CROSS JOIN (VALUES ('SELECT'), ('REFERENCES')) p(priv)
         WHERE m.relation = mask_exposure.relation
           AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = m.column_name
                       AND a.attnum > 0 AND NOT a.attisdropped)
           AND has_column_privilege(mask_exposure.role, t.relid, m.column_name, p.priv)),
        (SELECT string_agg(format('TRIGGER on %s', t.relid), ', ' ORDER BY t.relid::text)
         FROM steward.mask_tree(mask_exposure.relation) t(relid)
         WHERE has_table_privilege(mask_exposure.role, t.relid, 'TRIGGER')),
        (SELECT format('INSERT or UPDATE on %s (a unique index answers whether a value exists)',
                       string_agg(DISTINCT quote_ident(m.column_name), ', '))
         FROM steward.mask_config m
         JOIN pg_attribute a ON a.attrelid = m.relation AND a.attname = m.column_name AND NOT a.attisdropped
         WHERE m.relation = mask_exposure.relation
           AND EXISTS (SELECT FROM pg_index i WHERE i.indrelid = m.relation AND i.indisunique
                       AND a.attnum = ANY (i.indkey::int2[]))
           AND (has_column_privilege(mask_exposure.role, m.relation, m.column_name, 'INSERT')
                OR has_column_privilege(mask_exposure.role, m.relation, m.column_name, 'UPDATE'))
         HAVING count(*) > 0)
    ], NULL)
$$;

COMMENT ON FUNCTION steward.mask_exposure(regclass, oid) IS
  'How a role can reach raw masked values of a table other than through its masked view: SELECT or REFERENCES on a raw masked column of the table or a partition, TRIGGER, or a write privilege on a masked column that a unique index covers; empty when none';

-- What keeps the stored masks of a table from being current: the trigger
-- gone, disabled or firing only for replication (on the table or a
-- partition), its function owned by another role than the table's owner,
-- inheritance children (which the trigger does not cover).  Empty: none.
CREATE FUNCTION steward.mask_stored_problems(relation regclass)
RETURNS text[]
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_remove(ARRAY[
        (SELECT string_agg(CASE WHEN tg.oid IS NULL THEN format('%s has no trigger zz_steward_mask_store', t.relid)
                                WHEN tg.tgenabled = 'D' THEN format('its trigger zz_steward_mask_store is disabled on %s', t.relid)
                                ELSE format('its trigger zz_steward_mask_store fires only for replication on %s', t.relid) END,
                           '; ' ORDER BY t.relid::text)
         FROM steward.mask_tree(mask_stored_problems.relation) t(relid)
         JOIN pg_class k ON k.oid = t.relid AND k.relkind IN ('r', 'p')
         LEFT JOIN pg_trigger tg ON tg.tgrelid = t.relid AND tg.tgname = 'zz_steward_mask_store'
         WHERE tg.oid IS NULL OR tg.tgenabled NOT IN ('O', 'A')),
        (SELECT format('its function %s belongs to %s, not to the table''s owner %s',
                       p.oid::regprocedure, pg_get_userbyid(p.proowner), pg_get_userbyid(k.relowner))
         FROM pg_trigger tg
         JOIN pg_proc p ON p.oid = tg.tgfoid
         JOIN pg_class k ON k.oid = tg.tgrelid
         WHERE tg.tgrelid = mask_stored_problems.relation AND tg.tgname = 'zz_steward_mask_store'
           AND p.proowner <> k.relowner),
        (SELECT format('its inheritance children %s have no stored masks', string_agg(c.oid::regclass::text, ', '))
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = mask_stored_problems.relation AND NOT c.relispartition
         HAVING count(*) > 0)
    ], NULL)
$$;

COMMENT ON FUNCTION steward.mask_stored_problems(regclass) IS
  'What keeps the stored masks of a table from being current: the trigger gone, disabled or replica-only on the table or a partition, its function owned by another role than the table''s owner, inheritance children; empty when none (health check MSK003)';

-- A mask that stored masks would run as the owner on every write must not
-- call functions in a schema where other roles may create objects (an
-- overload that matches better would run with the owner's rights), nor in
-- pg_temp (the writer's own temporary schema).  The schema, or NULL.
CREATE FUNCTION steward.mask_unsafe_schema(relation regclass, mask text)
RETURNS name
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.nsp
    FROM (SELECT CASE WHEN x[1] LIKE '"%' THEN replace(substr(x[1], 2, length(x[1]) - 2), '""', '"')
                      ELSE lower(x[1]) END AS nsp
          FROM regexp_matches(mask, '("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\(', 'g') x) s
    LEFT JOIN pg_namespace n ON n.nspname = s.nsp
    WHERE s.nsp ~ '^pg_temp'
       OR EXISTS (SELECT FROM pg_roles r
                  WHERE NOT r.rolsuper AND r.rolname <> 'pg_database_owner'  -- the database's owner is a role of its own here
                    AND r.oid <> (SELECT k.relowner FROM pg_class k WHERE k.oid = mask_unsafe_schema.relation)
                    AND has_schema_privilege(r.oid, n.oid, 'CREATE'))
    LIMIT 1
$$;

COMMENT ON FUNCTION steward.mask_unsafe_schema(regclass, text) IS
  'Internal: a schema a mask calls functions in where roles other than superusers and the table''s owner may create objects (or pg_temp), or NULL';

CREATE FUNCTION steward.mask_apply(relation regclass, view_schema name DEFAULT NULL,
                                   stored boolean DEFAULT NULL, refresh boolean DEFAULT false)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- stored masks are computed with the same settings whoever writes
SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
AS $$
DECLARE
    nsp name;
    rel name;
    target name;
    old_view oid;
    old_schema name;
    old_name name;
    was_stored boolean;
    st boolean;
    acl aclitem[];
    cols text;
    grants record;
    sql text;
    v regclass;
    gone name;
    r record;
    drops text[] := '{}';
    adds text[] := '{}';
    fills text[] := '{}';
    notes text[] := '{}';
    fn name;
    old_fn regprocedure;
    fn_moved boolean;
    body text;
    exposed text;
    raw text;
BEGIN
    IF refresh IS NULL THEN
        RAISE EXCEPTION 'refresh must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
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
    SELECT m.view, m.view_schema, m.stored INTO old_view, old_schema, was_stored FROM steward.mask_views m
    WHERE m.relation = mask_apply.relation;
    st := coalesce(mask_apply.stored, was_stored, false);
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
    IF st THEN
        IF (SELECT c.relispartition FROM pg_class c WHERE c.oid = relation) THEN
            RAISE EXCEPTION 'table % is a partition: stored masks are kept by its partitioned table', relation
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Mask the partitioned table.';
        END IF;
        IF EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE (i.inhparent = relation OR i.inhrelid = relation) AND NOT c.relispartition) THEN
            RAISE EXCEPTION 'table % has inheritance parents or children: stored masks are not kept across inheritance', relation
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Keep its masks computed at read time (stored => false), or use a partitioned table.';
        END IF;
        -- a BEFORE trigger sees generated columns as NULL
        SELECT m.column_name INTO gone
        FROM steward.mask_config m
        JOIN pg_attribute g ON g.attrelid = m.relation AND g.attgenerated <> '' AND g.attnum > 0 AND NOT g.attisdropped
        WHERE m.relation = mask_apply.relation
          AND (g.attname = m.column_name
               OR m.mask ~ ('\m' || regexp_replace(g.attname, '([.^$*+?()[\]{}|\\])', '\\\1', 'g') || '\M')
               OR strpos(m.mask, quote_ident(g.attname)) > 0)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the mask of column % of % is or reads a generated column: a stored mask is computed before generated columns are', gone, relation
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Keep masks computed at read time (stored => false) for this table.';
        END IF;
        SELECT string_agg(quote_ident(m.column_name), ', ') INTO gone
        FROM steward.mask_config m
        WHERE m.relation = mask_apply.relation
          AND steward.mask_stored_name(m.column_name) IN (SELECT steward.mask_stored_name(o.column_name) FROM steward.mask_config o
                                                          WHERE o.relation = m.relation AND o.column_name <> m.column_name);
        IF gone IS NOT NULL THEN
            RAISE EXCEPTION 'columns % of % would share one stored mask column', gone, relation
                USING ERRCODE = 'duplicate_column';
        END IF;
        -- the function that keeps them runs with its owner's rights: only
        -- the table's owner (a table given to another role keeps it)
        SELECT p.oid::regprocedure, pg_get_userbyid(p.proowner) INTO r
        FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
        WHERE t.tgrelid = relation AND t.tgname = 'zz_steward_mask_store' AND p.proowner <> c.relowner;
        IF FOUND THEN
            RAISE EXCEPTION 'the function % that keeps the stored masks of % belongs to role %, not to the table''s owner',
                            r.oid, relation, r.pg_get_userbyid
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'It runs with its owner''s rights on every write of the table.',
                      HINT = 'A superuser gives it, and the masked view''s schema, to the table''s owner (ALTER FUNCTION ... OWNER TO, or REASSIGN OWNED).';
        END IF;
    END IF;
    -- the view first, then the table (its ALTER TABLEs), as readers do
    IF old_view IS NOT NULL THEN
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', old_view::regclass);
    END IF;
    -- this function's own ALTER TABLEs do not come back to it through the
    -- event trigger; an error clears the mark, even if the caller catches it
    PERFORM steward.mask_busy(relation, true);
    BEGIN

    -- stored mask columns: which to drop (no rule any more, another type,
    -- or stored masks turned off), add, and fill (new, another mask, or a
    -- refresh after the key changed)
    FOR r IN SELECT a.attname, a.atttypid, col_description(a.attrelid, a.attnum) AS note,
                    m.column_name AS rule_column, m.mask,
                    CASE WHEN m.mask IS NOT NULL THEN steward.mask_type(mask_apply.relation, m.mask) END AS masktype
             FROM pg_attribute a
             LEFT JOIN steward.mask_config m
               ON st AND m.relation = a.attrelid AND steward.mask_stored_name(m.column_name) = a.attname
             WHERE a.attrelid = mask_apply.relation AND a.attnum > 0 AND NOT a.attisdropped
               AND steward.mask_is_stored_column(a.attrelid, a.attnum)
    LOOP
        IF r.rule_column IS NULL OR r.masktype <> r.atttypid::regtype THEN
            drops := drops || format('DROP COLUMN %I', r.attname);
        ELSIF refresh OR r.note IS DISTINCT FROM steward.mask_stored_comment(r.rule_column, r.mask) THEN
            fills := fills || format('ALTER COLUMN %I TYPE %s USING (%s)', r.attname, r.masktype, r.mask);
        END IF;
    END LOOP;
    IF st THEN
        FOR r IN SELECT m.column_name, m.mask, steward.mask_stored_name(m.column_name) AS stored_name,
                        steward.mask_type(mask_apply.relation, m.mask) AS masktype,
                        s.attnum AS existing, s.atttypid
                 FROM steward.mask_config m
                 LEFT JOIN pg_attribute s
                   ON s.attrelid = m.relation AND s.attname = steward.mask_stored_name(m.column_name)
                  AND s.attnum > 0 AND NOT s.attisdropped
                 WHERE m.relation = mask_apply.relation
                 ORDER BY m.column_name
        LOOP
            IF r.existing IS NOT NULL AND NOT steward.mask_is_stored_column(relation, r.existing)
               AND coalesce(was_stored, false) AND r.masktype = r.atttypid::regtype THEN
                -- its mark (the comment) lost, by a restore without comments:
                -- taken back and computed again
                fills := fills || format('ALTER COLUMN %I TYPE %s USING (%s)', r.stored_name, r.masktype, r.mask);
                CONTINUE;
            END IF;
            IF r.existing IS NOT NULL AND NOT steward.mask_is_stored_column(relation, r.existing) THEN
                RAISE EXCEPTION 'column % of % is not a stored mask column of pg_steward', r.stored_name, relation
                    USING ERRCODE = 'duplicate_column',
                          DETAIL = format('Stored masks keep the mask of column %I in a column named %I.', r.column_name, r.stored_name),
                          HINT = 'Rename that column, or keep masks computed at read time (stored => false).';
            END IF;
            IF r.existing IS NULL OR r.masktype <> r.atttypid::regtype THEN
                adds := adds || format('ADD COLUMN %I %s', r.stored_name, r.masktype);
                fills := fills || format('ALTER COLUMN %I TYPE %s USING (%s)', r.stored_name, r.masktype, r.mask);
            END IF;
        END LOOP;
        IF mask_apply.stored AND EXISTS (SELECT FROM steward.mask_config m WHERE m.relation = mask_apply.relation
                   AND (m.unmasked_roles <> '{}' OR m.unmasked_context_roles <> '{}')) THEN
            notes := notes || 'roles the rules unmask read the masks through the view too: with stored masks the view never reads the masked columns themselves; unmasked database roles read the table'::text;
        END IF;
    END IF;

    -- a view that reads stored mask columns about to change goes first
    -- (recreated below with its grants)
    IF old_view IS NOT NULL AND was_stored AND (drops <> '{}' OR fills <> '{}') THEN
        SELECT c.relacl INTO acl FROM pg_class c WHERE c.oid = old_view;
        EXECUTE format('DROP VIEW %I.%I', old_schema, old_name);
        old_view := NULL;
    END IF;
    IF drops <> '{}' OR adds <> '{}' THEN
        EXECUTE format('ALTER TABLE %s %s', relation, array_to_string(drops || adds, ', '));
    END IF;
    -- computed once for every row by rewriting the table (no UPDATE: the
    -- table's own triggers, its audit and its row versions see no change)
    IF fills <> '{}' THEN
        EXECUTE format('ALTER TABLE %s %s', relation, array_to_string(fills, ', '));
    END IF;
    FOR r IN SELECT m.column_name, m.mask FROM steward.mask_config m
             WHERE st AND m.relation = mask_apply.relation
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', relation, steward.mask_stored_name(r.column_name),
                       steward.mask_stored_comment(r.column_name, r.mask));
    END LOOP;

    -- the trigger that keeps them, a function of the owner in the view's
    -- schema; it fires after the BEFORE triggers whose names sort before it
    SELECT t.tgfoid::regprocedure, p.proname, p.pronamespace <> (SELECT n.oid FROM pg_namespace n WHERE n.nspname = target)
    INTO old_fn, fn, fn_moved
    FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE t.tgrelid = relation AND t.tgname = 'zz_steward_mask_store';
    IF st AND old_fn IS NULL AND mask_apply.stored IS NULL AND NOT refresh THEN
        -- the trigger is gone, or not there yet (a restore creates triggers
        -- after the ALTER TABLEs that regenerate the view): made again only
        -- when asked (mask_refresh; MSK003 reports it meanwhile)
        NULL;
    ELSIF st AND EXISTS (SELECT FROM steward.mask_config m WHERE m.relation = mask_apply.relation) THEN
        -- the masks run as the owner on every write: no function a
        -- better-matching overload could replace
        SELECT m.column_name, steward.mask_unsafe_schema(m.relation, m.mask) AS nsp INTO r
        FROM steward.mask_config m
        WHERE m.relation = mask_apply.relation AND steward.mask_unsafe_schema(m.relation, m.mask) IS NOT NULL
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the mask of column % of % calls a function in schema %, where other roles may create objects', r.column_name, relation, r.nsp
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'Stored masks run as the table''s owner on every write: an overload created there would run with the owner''s rights.',
                      HINT = 'Keep mask functions in a schema only the owner (or a superuser) can create in.';
        END IF;
        IF fn IS NULL OR fn_moved THEN
            fn := left(rel, 40) || '_mask_store';
            WHILE octet_length(fn) > 63 LOOP
                fn := left(rel, length(fn) - 12) || '_mask_store';
            END LOOP;
            -- another table's function under that name: a number makes it unique
            FOR i IN 2..1000 LOOP
                EXIT WHEN NOT EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                      WHERE n.nspname = target AND p.proname = fn);
                fn := left(fn, 55) || '_' || i;
            END LOOP;
        END IF;
        -- a mask given as a function of its column is a plain assignment
        -- (PL/pgSQL evaluates it without a query: about half the cost); an
        -- expression over the row is computed by one SELECT over NEW
        SELECT E'#variable_conflict use_column\nBEGIN\n'
               || coalesce(string_agg(format(E'    NEW.%I := %s(NEW.%I);\n', steward.mask_stored_name(m.column_name),
                                             f.fn, m.column_name), '' ORDER BY m.column_name)
                           FILTER (WHERE f.fn IS NOT NULL), '')
               || CASE WHEN count(*) FILTER (WHERE f.fn IS NULL) > 0
                       THEN format(E'    SELECT %s\n      INTO %s\n      FROM (SELECT NEW.*) AS masked_row;\n',
                                   string_agg(format('(%s)', m.mask), ', ' ORDER BY m.column_name) FILTER (WHERE f.fn IS NULL),
                                   string_agg(format('NEW.%I', steward.mask_stored_name(m.column_name)), ', ' ORDER BY m.column_name)
                                       FILTER (WHERE f.fn IS NULL))
                       ELSE '' END
               || E'    RETURN NEW;\nEND'
        INTO body
        FROM steward.mask_config m
        CROSS JOIN LATERAL (SELECT CASE WHEN m.mask = format('%s(%I)', x.fn, m.column_name) THEN x.fn END AS fn
                            FROM (SELECT substring(m.mask FROM '^([A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*)\(') AS fn) x) f
        WHERE m.relation = mask_apply.relation;
        EXECUTE format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER '
                       'SET search_path = pg_catalog, pg_temp SET TimeZone = ''UTC'' SET DateStyle = ''ISO, MDY'' '
                       'SET IntervalStyle = ''postgres'' AS %L', target, fn, body);
        EXECUTE format('REVOKE ALL ON FUNCTION %I.%I() FROM PUBLIC', target, fn);
        EXECUTE format('COMMENT ON FUNCTION %I.%I() IS %L', target, fn,
                       format('pg_steward: keeps the stored masks of %s (steward.mask_apply)', relation));
        -- created once (a trigger its owner disabled stays disabled, and
        -- MSK003 reports it); a refresh turns it back on
        -- ALWAYS: also for replication (a subscriber, session_replication_role)
        IF old_fn IS NULL OR fn_moved THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER zz_steward_mask_store BEFORE INSERT OR UPDATE ON %s '
                           'FOR EACH ROW EXECUTE FUNCTION %I.%I()', relation, target, fn);
            EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER zz_steward_mask_store', relation);
        ELSIF refresh THEN
            EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER zz_steward_mask_store', relation);
        END IF;
        -- the view moved to another schema: its function moved with it
        IF fn_moved THEN
            EXECUTE format('DROP FUNCTION %s', old_fn);
        END IF;
    ELSIF old_fn IS NOT NULL THEN
        EXECUTE format('DROP TRIGGER zz_steward_mask_store ON %s', relation);
        EXECUTE format('DROP FUNCTION %s', old_fn);
    END IF;

    -- every column, in order; masked ones through their mask (as text when
    -- the mask's type is not the column's), or their stored mask
    SELECT string_agg(
             CASE WHEN m.mask IS NULL THEN format('%I', a.attname)
                  WHEN st AND steward.mask_type(mask_apply.relation, m.mask) = a.atttypid::regtype
                  THEN format('%I AS %I', steward.mask_stored_name(a.attname), a.attname)
                  WHEN st
                  THEN format('%I::text AS %I', steward.mask_stored_name(a.attname), a.attname)
                  WHEN steward.mask_type(mask_apply.relation, m.mask) = a.atttypid::regtype
                  THEN format('CASE WHEN (SELECT steward.unmasked(%L::regclass, %L)) THEN %I ELSE (%s) END AS %I',
                              mask_apply.relation::text, a.attname, a.attname, m.mask, a.attname)
                  ELSE format('CASE WHEN (SELECT steward.unmasked(%L::regclass, %L)) THEN %I::text ELSE (%s)::text END AS %I',
                              mask_apply.relation::text, a.attname, a.attname, m.mask, a.attname)
             END, ', ' ORDER BY a.attnum),
           string_agg(CASE WHEN m.mask IS NULL THEN format('%I', a.attname)
                           ELSE format('%I', steward.mask_stored_name(a.attname)) END, ', ' ORDER BY a.attnum)
    INTO cols, exposed
    FROM pg_attribute a
    LEFT JOIN steward.mask_config m ON m.relation = a.attrelid AND m.column_name = a.attname
    WHERE a.attrelid = mask_apply.relation AND a.attnum > 0 AND NOT a.attisdropped
      AND NOT steward.mask_is_stored_column(a.attrelid, a.attnum);

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
    -- with stored masks, the readers of the view may read the columns it
    -- reads, which are never the raw masked ones (a column masked since it
    -- was granted loses its column privilege; a table-level privilege the
    -- owner gave is left alone: steward.mask_role takes it)
    IF st THEN
        SELECT string_agg(format('%I', m.column_name), ', ') INTO raw
        FROM steward.mask_config m WHERE m.relation = mask_apply.relation;
        FOR grants IN SELECT DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(g.rolname) END AS grantee
                      FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) x
                      LEFT JOIN pg_roles g ON g.oid = x.grantee
                      WHERE c.oid = v AND x.privilege_type = 'SELECT' AND x.grantee <> c.relowner
        LOOP
            IF raw IS NOT NULL THEN
                EXECUTE format('REVOKE SELECT (%s) ON %s FROM %s', raw, relation, grants.grantee);
            END IF;
            EXECUTE format('GRANT SELECT (%s) ON %s TO %s', exposed, relation, grants.grantee);
        END LOOP;
    END IF;
    EXECUTE format('COMMENT ON VIEW %s IS %L', v,
                   format('pg_steward masked view of %s (steward.mask_apply; %s; regenerated when the rules or the table change)',
                          relation, CASE WHEN st THEN 'stored masks' ELSE 'masks computed at read time' END));
    PERFORM steward.mask_view_write(relation, v, st);
    EXCEPTION WHEN OTHERS THEN
        PERFORM steward.mask_busy(relation, false);
        RAISE;
    END;
    PERFORM steward.mask_busy(relation, false);
    IF notes <> '{}' THEN
        RAISE NOTICE '%', array_to_string(notes, '; ');
    END IF;
    RETURN v;
END
$$;

COMMENT ON FUNCTION steward.mask_apply(regclass, name, boolean, boolean) IS
  'Create or regenerate the masked view of a table (default <schema>_masked.<table>), security_invoker and security_barrier; masks computed at read time unless steward.unmasked(), or (stored => true) read from stored mask columns kept by a trigger, so masked roles need no privilege on the raw columns; refresh recomputes the stored masks';

CREATE FUNCTION steward.mask_refresh(relation regclass)
RETURNS regclass
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT steward.mask_apply(relation, refresh => true)
$$;

COMMENT ON FUNCTION steward.mask_refresh(regclass) IS
  'Recompute the stored masks of a table (after steward.mask_key changed, or a masking function was replaced); rewrites the table';

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
        -- no rule left: the stored masks, their trigger and the view go too
        -- (if nobody dropped the view already)
        IF (SELECT m.stored FROM steward.mask_views m WHERE m.relation = mask_drop.relation) THEN
            v := steward.mask_apply(relation, stored => false);
        END IF;
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
    exposed text;
    left_open text[];
    dynamic text[] := '{}';
    part regclass;
BEGIN
    IF role IS NULL OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = mask_role.role) THEN
        RAISE EXCEPTION 'role "%" does not exist', role USING ERRCODE = 'undefined_object';
    END IF;
    -- the views whose owner the caller can act as
    FOR v IN SELECT m.relation, m.view, m.stored, n.nspname, t.relowner
             FROM steward.mask_views m
             JOIN pg_class c ON c.oid = m.view
             JOIN pg_class t ON t.oid = m.relation
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE pg_has_role(current_user, c.relowner, 'USAGE')
             ORDER BY m.view::text
    LOOP
        -- the owner (or a member of it) is not masked by its own views
        IF pg_has_role(mask_role.role, v.relowner, 'MEMBER') THEN
            RAISE WARNING 'role % owns %, or is a member of its owner: it is not made a masked role of it', role, v.relation;
            CONTINUE;
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', v.nspname, role);
        EXECUTE format('GRANT SELECT ON %s TO %I', v.view, role);
        IF v.stored THEN
            IF EXISTS (SELECT FROM steward.mask_config m, unnest(m.unmasked_roles) u(r)
                       WHERE m.relation = v.relation AND pg_has_role(mask_role.role, u.r, 'MEMBER')) THEN
                RAISE WARNING 'the rules of % unmask role %: as a masked role it loses its access to the raw columns', v.relation, role;
            END IF;
            -- the columns the view reads, and not the raw masked ones: what
            -- the owner gave the role to read the table with (table-level
            -- SELECT, REFERENCES and TRIGGER, which take the column
            -- privileges with them), on the table and its partitions, goes;
            -- the view's columns come back
            SELECT string_agg(format('%I', CASE WHEN m.mask IS NULL THEN a.attname
                                                 ELSE steward.mask_stored_name(a.attname) END), ', ')
            INTO exposed
            FROM pg_attribute a
            LEFT JOIN steward.mask_config m ON m.relation = a.attrelid AND m.column_name = a.attname
            WHERE a.attrelid = v.relation AND a.attnum > 0 AND NOT a.attisdropped
              AND NOT steward.mask_is_stored_column(a.attrelid, a.attnum);
            FOR part IN SELECT t.relid FROM steward.mask_tree(v.relation) t(relid) LOOP
                EXECUTE format('REVOKE SELECT, REFERENCES, TRIGGER ON %s FROM %I', part, role);
            END LOOP;
            EXECUTE format('GRANT SELECT (%s) ON %s TO %I', exposed, v.relation, role);
            -- what it can still do, through PUBLIC, a role it belongs to, a
            -- grant of another role, or a write privilege
            left_open := steward.mask_exposure(v.relation, (SELECT r.oid FROM pg_roles r WHERE r.rolname = mask_role.role));
            IF left_open <> '{}' THEN
                RAISE WARNING 'role % can still reach raw masked values of %: %', role, v.relation, array_to_string(left_open, '; ')
                    USING DETAIL = 'It holds these privileges through PUBLIC, a role it belongs to, or a grant of another role; or it may write the table.',
                          HINT = 'Find the grants with \dp and revoke them; steward.health_check() reports them as MSK001.';
            END IF;
        ELSE
            dynamic := dynamic || v.relation::text;
        END IF;
        n := n + 1;
    END LOOP;
    IF dynamic <> '{}' THEN
        RAISE NOTICE 'the masked views of % compute masks at read time: role % reads them only with SELECT on the table, and can then read the masked columns directly',
                      array_to_string(dynamic, ', '), role
            USING HINT = 'For a role that must never read the raw values, store the masks: SELECT steward.mask_apply(table, stored => true), then steward.mask_role again.';
    END IF;
    RETURN n;
END
$$;

COMMENT ON FUNCTION steward.mask_role(name) IS
  'Make a role a masked role: USAGE on the masked schemas and SELECT on every masked view the caller manages; for views with stored masks, SELECT on the table''s unmasked and stored mask columns instead of its SELECT, REFERENCES and TRIGGER (on its partitions too); warns where the role can still reach raw values; returns the number of views';

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
               AND NOT steward.mask_busy(m.relation)
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
                    old.unmasked_roles::text[]::name[], old.unmasked_context_roles);
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

-- Before an ALTER TABLE of a masked table by its owner: its masked view,
-- locked first, in the order readers take (view, then table).
CREATE FUNCTION steward.mask_lock_view()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_mask_lock_view';

COMMENT ON FUNCTION steward.mask_lock_view() IS
  'Internal: event trigger function that locks the masked view of a table its owner alters, before the table, so that readers (view, then table) cannot deadlock with the ALTER TABLE';

CREATE EVENT TRIGGER steward_mask_lock_view ON ddl_command_start
  WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION steward.mask_lock_view();

COMMENT ON EVENT TRIGGER steward_mask_lock_view IS
  'pg_steward: lock the masked view before its table is altered (no deadlock with readers)';

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
          AND NOT steward.mask_is_stored_column(k.oid, a.attnum)
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
