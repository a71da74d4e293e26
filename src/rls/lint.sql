-- src/rls/lint.sql
-- The row-level security linter: steward.rls_lint().
-- See docs/rls_lint.md for the codes.
--
-- Every finding is computed from the catalogs (pg_class, pg_policy, pg_proc,
-- pg_index, pg_constraint, pg_rewrite, pg_depend, pg_roles, pg_namespace) and
-- from the stored expression trees of the policies, never by matching the
-- text of deparsed SQL.  The functions pin search_path = pg_catalog, pg_temp,
-- so the operators they use (=, <>, @>, ...) can only be pg_catalog's;
-- functions, relations and types are qualified all the same.
--
-- Not SECURITY DEFINER: everything read here is readable by any role.

-- ---- the linter

CREATE FUNCTION steward.rls_lint(schemas pg_catalog.name[] DEFAULT ARRAY['public']::pg_catalog.name[])
RETURNS TABLE (severity pg_catalog.text, code pg_catalog.text, object pg_catalog.text,
               message pg_catalog.text, hint pg_catalog.text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing pg_catalog.name;
BEGIN
    IF schemas IS NULL OR pg_catalog.array_position(schemas, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'schema list must not be null or contain nulls'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT s.nsp INTO missing
    FROM pg_catalog.unnest(schemas) AS s(nsp)
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
                      WHERE n.nspname = s.nsp)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'schema "%" does not exist', missing
            USING ERRCODE = 'invalid_schema_name';
    END IF;

    RETURN QUERY
    WITH RECURSIVE
    -- tables of the linted schemas
    tbl AS (
        SELECT c.oid, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
               c.relowner, c.relispartition, c.relacl,
               pg_catalog.format('%I.%I', n.nspname, c.relname) AS qname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY (schemas) AND c.relkind IN ('r', 'p')
    ),
    -- their policies
    pol AS (
        SELECT p.oid, p.polrelid, p.polpermissive, p.polcmd, p.polroles,
               p.polqual, p.polwithcheck, t.qname,
               pg_catalog.format('policy %I on %s', p.polname, t.qname) AS obj
        FROM pg_catalog.pg_policy p
        JOIN tbl t ON t.oid = p.polrelid
    ),
    -- one row per stored expression of a policy (USING, WITH CHECK)
    pexpr AS (
        SELECT pol.oid AS polid, pol.polrelid, pol.obj, e.clause, e.expr
        FROM pol
        CROSS JOIN LATERAL (VALUES (1, pol.polqual), (2, pol.polwithcheck)) AS e(clause, expr)
        WHERE e.expr IS NOT NULL
    ),
    -- functions called outside sub-selects, i.e. once per row, and how
    -- many of these calls read the row (steward.expr_functions walks the
    -- stored expression tree)
    pcall AS (
        SELECT x.polid, x.obj, f.funcid::pg_catalog.oid AS funcid,
               pg_catalog.count(*) AS calls,
               pg_catalog.count(*) FILTER (WHERE f.reads_row) AS row_calls
        FROM pexpr x
        CROSS JOIN LATERAL steward.expr_functions(x.expr) AS f
        WHERE NOT f.in_subquery
        GROUP BY x.polid, x.obj, x.clause, f.funcid
    ),
    pcallf AS (
        SELECT pc.polid, pc.obj, pr.provolatile, pr.pronargs,
               pg_catalog.bool_or(pc.calls > pc.row_calls) AS const_args,
               pg_catalog.bool_or(pc.row_calls > 0) AS row_args,
               pg_catalog.format('%I.%I', pn.nspname, pr.proname) AS fname,
               pg_catalog.format('%I.%I(%s)', pn.nspname, pr.proname,
                   (SELECT pg_catalog.string_agg(pg_catalog.format_type(a.typ, NULL), ', ' ORDER BY a.ord)
                    FROM pg_catalog.unnest(pr.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(typ, ord))) AS fsig
        FROM pcall pc
        JOIN pg_catalog.pg_proc pr ON pr.oid = pc.funcid
        JOIN pg_catalog.pg_namespace pn ON pn.oid = pr.pronamespace
        GROUP BY pc.polid, pc.obj, pr.oid, pr.provolatile, pr.pronargs, pn.nspname, pr.proname
    ),
    -- columns of its table a policy reads outside sub-selects
    pcol AS (
        SELECT x.polid, x.polrelid, x.obj, c.attnum
        FROM pexpr x
        CROSS JOIN LATERAL steward.expr_columns(x.expr) AS c
        WHERE NOT c.in_subquery
    ),
    pcols AS (
        SELECT pcol.polid, pg_catalog.array_agg(DISTINCT pcol.attnum) AS attnums
        FROM pcol GROUP BY pcol.polid
    ),
    -- views of the linted schemas, and every relation each one reads,
    -- directly or through other views
    vw AS (
        SELECT c.oid, c.relowner,
               pg_catalog.format('%I.%I', n.nspname, c.relname) AS qname,
               coalesce((SELECT o.option_value::boolean
                         FROM pg_catalog.pg_options_to_table(c.reloptions) AS o
                         WHERE o.option_name = 'security_invoker'), false) AS invoker
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY (schemas) AND c.relkind = 'v'
    ),
    vdep AS (
        SELECT DISTINCT rw.ev_class AS viewid, d.refobjid AS relid
        FROM pg_catalog.pg_rewrite rw
        JOIN pg_catalog.pg_depend d
          ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
         AND d.objid = rw.oid
         AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
         AND d.refobjid <> rw.ev_class
        WHERE rw.rulename = '_RETURN'
    ),
    vreach AS (
        SELECT vw.oid AS viewid, vdep.relid
        FROM vw JOIN vdep ON vdep.viewid = vw.oid
        WHERE NOT vw.invoker
        UNION
        SELECT vreach.viewid, vdep.relid
        FROM vreach JOIN vdep ON vdep.viewid = vreach.relid
    ),
    -- RLS-protected tables a non-invoker view reads, and whether the view's
    -- owner is exempt from their policies (superuser, BYPASSRLS, or has the
    -- table owner's privileges while row-level security is not forced)
    vrls AS (
        SELECT vw.oid AS viewid, vw.qname, vo.rolname AS owner,
               pg_catalog.format('%I.%I', n.nspname, c.relname) AS tname,
               vo.rolsuper OR vo.rolbypassrls
                 OR (NOT c.relforcerowsecurity
                     AND pg_catalog.pg_has_role(vw.relowner, c.relowner, 'USAGE')) AS exempt
        FROM vreach r
        JOIN vw ON vw.oid = r.viewid
        JOIN pg_catalog.pg_roles vo ON vo.oid = vw.relowner
        JOIN pg_catalog.pg_class c ON c.oid = r.relid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity
    ),
    -- SECURITY DEFINER functions of the linted schemas and their pinned
    -- search_path, if any (proconfig holds "search_path=a, b")
    sdef AS (
        SELECT p.oid, p.proowner,
               CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END AS kind,
               p.oid::pg_catalog.regprocedure::pg_catalog.text AS sig,
               CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END
                 || p.oid::pg_catalog.regprocedure::pg_catalog.text AS obj,
               (SELECT pg_catalog.substr(cfg, pg_catalog.length('search_path=') + 1)
                FROM pg_catalog.unnest(p.proconfig) AS cfg
                WHERE pg_catalog.split_part(cfg, '=', 1) = 'search_path'
                LIMIT 1) AS path
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY (schemas) AND p.prosecdef
    ),
    -- the schemas of each pinned search_path: quoted names unquoted,
    -- $user resolved to the function owner (the user while it runs)
    sdefpath AS (
        SELECT s.oid, s.obj, CASE WHEN e.nsp = '$user' THEN o.rolname::pg_catalog.text
                                  ELSE e.nsp END AS nsp
        FROM sdef s
        JOIN pg_catalog.pg_roles o ON o.oid = s.proowner
        CROSS JOIN LATERAL (
            SELECT CASE WHEN pg_catalog.left(m[1], 1) = '"'
                        THEN pg_catalog.replace(pg_catalog.substr(m[1], 2, pg_catalog.length(m[1]) - 2), '""', '"')
                        ELSE m[1] END
            FROM pg_catalog.regexp_matches(s.path, '"(?:[^"]|"")*"|[^,"[:space:]]+', 'g') AS m
        ) AS e(nsp)
        WHERE s.path IS NOT NULL
    ),
    finding(sev, cod, obj, msg, hnt) AS (
        -- RLS001: row-level security disabled
        SELECT 'error', 'RLS001', 'table ' || t.qname,
               'row-level security is disabled',
               pg_catalog.format('Run ALTER TABLE %s ENABLE ROW LEVEL SECURITY and create policies, unless every role that can read the table may see all its rows.', t.qname)
        FROM tbl t
        WHERE NOT t.rls
          -- a partition is read through its partitioned table, whose
          -- policies then apply, unless someone has privileges on it
          AND NOT (t.relispartition
                   AND (SELECT r.relrowsecurity FROM pg_catalog.pg_class r
                        WHERE r.oid = pg_catalog.pg_partition_root(t.oid))
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(t.relacl) AS a
                                   WHERE a.grantee <> t.relowner))

        UNION ALL
        -- RLS002: enabled without any policy
        SELECT 'info', 'RLS002', 'table ' || t.qname,
               'row-level security is enabled but the table has no policy',
               'Every row is hidden from the roles subject to row-level security; create the policies they need with CREATE POLICY, or disable row-level security if only the owner should use the table.'
        FROM tbl t
        WHERE t.rls
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = t.oid)

        UNION ALL
        -- RLS003: permissive policy that is constant true.  pg_get_expr()
        -- deparses the stored node tree, and only a boolean Const true
        -- deparses to exactly "true".  Not reported when a restrictive
        -- policy narrows the same command for the same roles.
        SELECT 'warning', 'RLS003', p.obj,
               pg_catalog.format('%s constant true: the policy admits every row for %s to %s',
                   pg_catalog.concat_ws(' and ',
                       CASE WHEN pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true' THEN 'USING' END,
                       CASE WHEN pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = 'true' THEN 'WITH CHECK' END)
                     ||
                     CASE WHEN pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true'
                           AND pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = 'true'
                          THEN ' are' ELSE ' is' END,
                   CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                                 WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                   CASE WHEN '0'::pg_catalog.oid = ANY (p.polroles) THEN 'PUBLIC'
                        ELSE (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r.rolname), ', ' ORDER BY r.rolname)
                              FROM pg_catalog.pg_roles r WHERE r.oid = ANY (p.polroles)) END),
               'Write a condition that limits the rows, for example tenant_id = (SELECT steward.current_tenant())::bigint, or add a RESTRICTIVE policy for the same command and roles if this permissive policy is meant as a base that others narrow.'
        FROM pol p
        WHERE p.polpermissive
          AND (pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true'
               OR pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = 'true')
          AND NOT EXISTS (
              SELECT 1 FROM pg_catalog.pg_policy r
              WHERE r.polrelid = p.polrelid AND NOT r.polpermissive
                AND (r.polcmd = '*' OR r.polcmd = p.polcmd)
                AND ('0'::pg_catalog.oid = ANY (r.polroles) OR r.polroles @> p.polroles))

        UNION ALL
        -- RLS004: volatile function called per row
        SELECT 'warning', 'RLS004', c.obj,
               pg_catalog.format('calls volatile function %s for every row', c.fsig),
               'A VOLATILE function runs for every row and keeps the condition out of index scans; declare the function STABLE if it returns the same result within a statement, or call it once per query as (SELECT ...).'
        FROM pcallf c
        WHERE c.provolatile = 'v'

        UNION ALL
        -- RLS005: stable function whose arguments do not read the row,
        -- called per row
        SELECT 'warning', 'RLS005', c.obj,
               pg_catalog.format('calls stable function %s for every row although its result does not depend on the row', c.fsig),
               pg_catalog.format('Wrap the call in a sub-select, as in (SELECT %s(%s)), so that it runs once per query instead of once per row.',
                   c.fname, CASE WHEN c.pronargs = 0 THEN '' ELSE '...' END)
        FROM pcallf c
        WHERE c.provolatile = 's' AND c.const_args

        UNION ALL
        -- RLS006: stable function applied to the row's columns.  Whether it
        -- is LEAKPROOF does not matter here: policy conditions are evaluated
        -- first and may always use an index; what keeps this one out of
        -- index scans is a non-immutable function of the row.
        SELECT 'info', 'RLS006', c.obj,
               pg_catalog.format('calls stable function %s on the row''s columns, once per row', c.fsig),
               'No index can answer a condition that passes the row''s columns to a non-immutable function (expression indexes need IMMUTABLE functions), so it is evaluated for every row read; compare the columns directly with values computed once, as in owner_id = (SELECT ...), or with a sub-select such as EXISTS (...) on an indexed table.'
        FROM pcallf c
        WHERE c.provolatile = 's' AND c.row_args

        UNION ALL
        -- RLS007: non-invoker view reading tables with row-level security
        SELECT CASE WHEN pg_catalog.bool_or(v.exempt) THEN 'error' ELSE 'warning' END,
               'RLS007', 'view ' || v.qname,
               CASE WHEN pg_catalog.bool_or(v.exempt)
                    THEN pg_catalog.format('reads %s, which %s row-level security, as its owner %I, who bypasses the policies',
                             pg_catalog.string_agg(v.tname, ', ' ORDER BY v.tname) FILTER (WHERE v.exempt),
                             CASE WHEN pg_catalog.count(*) FILTER (WHERE v.exempt) > 1 THEN 'have' ELSE 'has' END,
                             v.owner)
                    ELSE pg_catalog.format('reads %s, which %s row-level security, with the policies applied to its owner %I instead of the querying user',
                             pg_catalog.string_agg(v.tname, ', ' ORDER BY v.tname),
                             CASE WHEN pg_catalog.count(*) > 1 THEN 'have' ELSE 'has' END,
                             v.owner) END,
               pg_catalog.format('Run ALTER VIEW %s SET (security_invoker = true) so that the policies and privileges of the user who queries the view apply.', v.qname)
        FROM vrls v
        GROUP BY v.viewid, v.qname, v.owner

        UNION ALL
        -- RLS008: login roles that bypass row-level security on the linted
        -- tables (the bootstrap superuser is not reported)
        SELECT 'warning', 'RLS008', pg_catalog.format('role %I', r.rolname),
               pg_catalog.format('login role with %s bypasses the row-level security of %s',
                   CASE WHEN r.rolsuper THEN 'SUPERUSER' ELSE 'BYPASSRLS' END,
                   CASE WHEN pg_catalog.count(*) = 1 THEN pg_catalog.min(t.qname)
                        ELSE pg_catalog.format('%s and %s other tables', pg_catalog.min(t.qname), pg_catalog.count(*) - 1) END),
               pg_catalog.format('Let applications connect as a role without SUPERUSER or BYPASSRLS, and keep %I for administration (or run ALTER ROLE %I %s).',
                   r.rolname, r.rolname, CASE WHEN r.rolsuper THEN 'NOSUPERUSER' ELSE 'NOBYPASSRLS' END)
        FROM pg_catalog.pg_roles r
        JOIN tbl t ON t.rls
        WHERE r.rolcanlogin AND (r.rolsuper OR r.rolbypassrls)
          AND r.oid <> '10'::pg_catalog.oid
          AND pg_catalog.has_table_privilege(r.oid, t.oid, 'SELECT, INSERT, UPDATE, DELETE')
        GROUP BY r.oid, r.rolname, r.rolsuper

        UNION ALL
        -- RLS008: tables whose policies do not bind their owner, when a role
        -- that can log in has the owner's privileges (the owner itself or a
        -- member; superusers are reported above)
        SELECT 'warning', 'RLS008', 'table ' || t.qname,
               pg_catalog.format('row-level security is not forced, so login %s %s it as the table owner',
                   CASE WHEN pg_catalog.count(*) > 1 THEN 'roles' ELSE 'role' END
                     || ' '
                     || pg_catalog.string_agg(pg_catalog.quote_ident(r.rolname), ', ' ORDER BY r.rolname),
                   CASE WHEN pg_catalog.count(*) > 1 THEN 'bypass' ELSE 'bypasses' END),
               CASE WHEN pg_catalog.bool_or(r.oid = t.relowner AND (r.rolsuper OR r.rolbypassrls))
                    THEN pg_catalog.format('Give the table to a role that cannot log in (ALTER TABLE %s OWNER TO ...); FORCE ROW LEVEL SECURITY does not bind an owner with SUPERUSER or BYPASSRLS.', t.qname)
                    ELSE pg_catalog.format('Run ALTER TABLE %s FORCE ROW LEVEL SECURITY, or give the table to a role that cannot log in, so that connecting as its owner does not skip the policies.', t.qname) END
        FROM tbl t
        JOIN pg_catalog.pg_roles r
          ON r.rolcanlogin
         AND (r.oid = t.relowner
              OR (NOT r.rolsuper AND pg_catalog.pg_has_role(r.oid, t.relowner, 'USAGE')))
        WHERE t.rls AND NOT t.forced
        GROUP BY t.oid, t.qname

        UNION ALL
        -- RLS009: SECURITY DEFINER function without a pinned search_path
        SELECT 'error', 'RLS009', s.obj,
               'SECURITY DEFINER function does not pin search_path',
               pg_catalog.format('Run ALTER %s %s SET search_path = pg_catalog, pg_temp and qualify what it uses; otherwise a caller''s search_path can make it run the caller''s functions and operators with its owner''s privileges.', pg_catalog.upper(s.kind), s.sig)
        FROM sdef s
        WHERE s.path IS NULL

        UNION ALL
        -- RLS009: pinned search_path with a schema where PUBLIC may create
        SELECT 'error', 'RLS009', sp.obj,
               pg_catalog.format('SECURITY DEFINER function''s search_path includes schema %I, where any role may create objects', sp.nsp),
               pg_catalog.format('Remove %I from the function''s search_path or run REVOKE CREATE ON SCHEMA %I FROM PUBLIC; otherwise anyone can plant functions or operators there that run with the function owner''s privileges.', sp.nsp, sp.nsp)
        FROM sdefpath sp
        JOIN pg_catalog.pg_namespace n ON n.nspname = sp.nsp
        WHERE EXISTS (SELECT 1 FROM pg_catalog.aclexplode(n.nspacl) AS a
                      WHERE a.grantee = '0'::pg_catalog.oid AND a.privilege_type = 'CREATE')

        UNION ALL
        -- RLS010: a column a policy reads that no index can serve: it is
        -- not a key column of an index whose earlier key columns the policy
        -- also reads (for one column: the leading column)
        SELECT 'info', 'RLS010', pc.obj,
               pg_catalog.format('policy reads column %I, which leads no index', a.attname),
               pg_catalog.format('Create an index that starts with the column, for example CREATE INDEX ON %s (%I), so that the policy condition can use an index scan.',
                   t.qname, a.attname)
        FROM pcol pc
        JOIN pcols pcs ON pcs.polid = pc.polid
        JOIN tbl t ON t.oid = pc.polrelid
        JOIN pg_catalog.pg_attribute a ON a.attrelid = pc.polrelid AND a.attnum = pc.attnum
        WHERE NOT EXISTS (
            SELECT 1
            FROM pg_catalog.pg_index i
            CROSS JOIN LATERAL pg_catalog.generate_series(0, i.indnkeyatts - 1) AS k(pos)
            WHERE i.indrelid = pc.polrelid AND i.indisvalid
              AND i.indkey[k.pos] = pc.attnum
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.generate_series(0, k.pos - 1) AS q(pos)
                              WHERE i.indkey[q.pos] <> ALL (pcs.attnums)))
        GROUP BY pc.obj, t.qname, a.attname

        UNION ALL
        -- RLS010: foreign key of a protected table without an index that
        -- starts with its columns
        SELECT 'info', 'RLS010',
               pg_catalog.format('constraint %I on %s', con.conname, t.qname),
               pg_catalog.format('foreign key (%s) has no index that starts with its columns', cols.list),
               pg_catalog.format('Create an index on %s (%s): policies that join on the key (EXISTS sub-selects) and the checks run when referenced rows change then use it instead of scanning the table.',
                   t.qname, cols.list)
        FROM tbl t
        JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid AND con.contype = 'f'
        CROSS JOIN LATERAL (
            SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord) AS list
            FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        ) AS cols
        WHERE t.rls
          AND NOT steward.index_leads(t.oid, con.conkey, true)
    )
    SELECT f.sev::pg_catalog.text, f.cod::pg_catalog.text, f.obj::pg_catalog.text,
           f.msg::pg_catalog.text, f.hnt::pg_catalog.text
    FROM finding f
    ORDER BY f.cod, f.obj, f.msg;
END
$$;

COMMENT ON FUNCTION steward.rls_lint(pg_catalog.name[]) IS
  'Row-level security linter: one row per finding (severity, code RLS001-RLS010, object, message, hint) for the tables, views and SECURITY DEFINER functions of the given schemas; see docs/rls_lint.md';
