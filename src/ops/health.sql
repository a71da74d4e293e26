-- ---------------------------------------------------------------------
-- Operations: the health check
--
-- steward.health_check() joins the checks of every capability that has
-- landed into one list of findings (severity, area, code, object, message,
-- hint); docs/operations.md documents each code and how to fix it.  Only
-- catalog queries, set-based, plus one subject_map() walk per subject: it
-- runs in about the time rls_lint() takes.
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.ops_schemas(schemas name[])
RETURNS name[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF schemas IS NOT NULL AND array_position(schemas, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'schema list must not contain nulls'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- every schema but the system's and pg_steward's own, unless named
    RETURN coalesce(schemas, ARRAY(
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname NOT IN ('information_schema', 'steward')
          AND n.nspname !~ '^pg_'
        ORDER BY 1));
END
$$;

COMMENT ON FUNCTION steward.ops_schemas(name[]) IS
  'Internal: the schemas health_check() and report() look at: those given (no NULLs), else all but system schemas and steward';

CREATE FUNCTION steward.audit_month_attached(partition_name name)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhparent = 'steward.audit_log'::regclass
                     AND c.relname = partition_name
                     AND c.relnamespace = 'steward'::regnamespace)
$$;

COMMENT ON FUNCTION steward.audit_month_attached(name) IS
  'Internal: whether steward.<partition_name> is a partition of steward.audit_log';

CREATE FUNCTION steward.health_check(schemas name[] DEFAULT NULL)
RETURNS TABLE (severity text, area text, code text, object text, message text, hint text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsps name[];
    this_month text := 'audit_log_y' || to_char(now() AT TIME ZONE 'UTC', 'YYYY"m"MM');
    next_month text := 'audit_log_y' || to_char((now() AT TIME ZONE 'UTC') + interval '1 month', 'YYYY"m"MM');
    started timestamptz;
    rel regclass;
    bad bigint;
    gap interval;
BEGIN
    nsps := steward.ops_schemas(schemas);

    -- row-level security: the linter (RLS001-RLS010)
    RETURN QUERY
    SELECT l.severity, 'rls'::text, l.code, l.object, l.message, l.hint
    FROM steward.rls_lint(nsps) l;

    -- audit: tables whose audit trigger is gone or disabled, tables whose
    -- records use the whole row as key, missing log partitions
    -- a missing trigger: the row trigger for INSERT/UPDATE/DELETE, the
    -- statement trigger for TRUNCATE (each operation audited needs its own)
    RETURN QUERY
    SELECT 'error'::text, 'audit'::text, 'AUD001'::text, a.relation::text,
           format('table %s is audited, but its audit trigger for %s is missing: those changes are not recorded',
                  a.relation, array_to_string(m.missing, ', ')),
           format('Re-create it with its options: SELECT steward.audit_enable(%L, operations => %L, exclude_columns => %L, hash_columns => %L, full_rows => %s, skip_unchanged => %s, capture_query => %s);',
                  a.relation::text, a.operations, a.exclude_columns, a.hash_columns,
                  a.full_rows::text, a.skip_unchanged::text, a.capture_query::text)
    FROM steward.audit_tables a
    JOIN pg_class c ON c.oid = a.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT op FROM unnest(a.operations) op
                     WHERE NOT EXISTS (
                         SELECT FROM pg_trigger t
                         WHERE t.tgrelid = a.relation AND t.tgparentid = 0
                           AND t.tgfoid = 'steward.audit_trigger()'::regprocedure
                           AND (t.tgtype::int & (CASE op WHEN 'INSERT' THEN 4 WHEN 'DELETE' THEN 8
                                                         WHEN 'UPDATE' THEN 16 ELSE 32 END)) <> 0
                           AND ((t.tgtype::int & 1) <> 0) = (op <> 'TRUNCATE'))
                     ORDER BY op) AS missing) m
    WHERE n.nspname = ANY (nsps) AND cardinality(m.missing) > 0;

    -- a trigger that does not fire in ordinary sessions (disabled, or
    -- ENABLE REPLICA), here or on one of the partitions
    RETURN QUERY
    SELECT 'error'::text, 'audit'::text, 'AUD002'::text, t.tgrelid::regclass::text,
           format('the audit trigger %s of table %s is %s: its changes are not recorded',
                  quote_ident(t.tgname), t.tgrelid::regclass,
                  CASE t.tgenabled WHEN 'D' THEN 'disabled' ELSE 'enabled for replication only' END),
           format('ALTER TABLE %s ENABLE TRIGGER %s;', t.tgrelid::regclass, quote_ident(t.tgname))
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (nsps) AND t.tgenabled NOT IN ('O', 'A')
      AND t.tgfoid = 'steward.audit_trigger()'::regprocedure;

    RETURN QUERY
    SELECT 'warning'::text, 'audit'::text, 'AUD003'::text, a.relation::text,
           format('table %s is audited but has no primary key or replica identity index: its records use the whole row as key, so a row''s history is lost when it changes', a.relation),
           'Add a primary key (or ALTER TABLE ... REPLICA IDENTITY USING INDEX on a unique index).'
    FROM steward.audit_tables a
    JOIN pg_class c ON c.oid = a.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (nsps)
      AND NOT EXISTS (SELECT FROM pg_index i
                      WHERE i.indrelid = a.relation AND (i.indisprimary OR i.indisreplident));

    RETURN QUERY
    SELECT 'warning'::text, 'audit'::text, 'AUD004'::text, format('steward.%I', this_month),
           'this month''s partition of steward.audit_log is missing: records go to the default partition',
           'SELECT steward.audit_maintain();  -- and run it monthly (cron)'
    WHERE NOT steward.audit_month_attached(this_month);

    RETURN QUERY
    SELECT 'info'::text, 'audit'::text, 'AUD005'::text, format('steward.%I', next_month),
           'next month''s partition of steward.audit_log does not exist yet',
           'SELECT steward.audit_maintain();  -- before the month begins'
    WHERE NOT steward.audit_month_attached(next_month)
      AND steward.audit_month_attached(this_month);

    -- change events: disabled versioning or notification triggers
    RETURN QUERY
    SELECT 'warning'::text, 'events'::text, 'EVT001'::text, t.tgrelid::regclass::text,
           format('the %s trigger %s of table %s does not fire (%s)',
                  CASE WHEN t.tgname = 'steward_versioning' THEN 'versioning' ELSE 'notification' END,
                  quote_ident(t.tgname), t.tgrelid::regclass,
                  CASE t.tgenabled WHEN 'D' THEN 'disabled' ELSE 'enabled for replication only' END),
           format('ALTER TABLE %s ENABLE TRIGGER %s;  -- or steward.%s_disable()',
                  t.tgrelid::regclass, quote_ident(t.tgname),
                  CASE WHEN t.tgname = 'steward_versioning' THEN 'versioning' ELSE 'notify' END)
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (nsps) AND t.tgenabled NOT IN ('O', 'A')
      AND t.tgfoid IN ('steward.versioning_trigger()'::regprocedure,
                       'steward.notify_trigger()'::regprocedure);

    -- change events: columns named by the triggers that no longer exist
    -- (renamed or dropped since versioning_enable / notify_enable)
    RETURN QUERY
    SELECT CASE WHEN t.tgname = 'steward_versioning' THEN 'error' ELSE 'warning' END,
           'events'::text, 'EVT002'::text, t.tgrelid::regclass::text,
           CASE WHEN t.tgname = 'steward_versioning'
                THEN format('the version column %s of table %s no longer exists: every UPDATE of the table fails',
                            quote_ident(m.missing[1]), t.tgrelid::regclass)
                ELSE format('columns listed for the notifications of table %s no longer exist (%s): they are sent as null',
                            t.tgrelid::regclass, array_to_string(m.missing, ', '))
           END,
           CASE WHEN t.tgname = 'steward_versioning'
                THEN format('SELECT steward.versioning_enable(%L, column_name => ...);  -- the column''s new name', t.tgrelid::regclass::text)
                ELSE format('SELECT steward.notify_enable(%L, channel => %L, columns => ...);  -- the columns'' new names',
                            t.tgrelid::regclass::text, a.args[1])
           END
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (SELECT steward.trigger_arguments(t.tgargs, t.tgnargs) AS args) a
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT col
                     FROM unnest(CASE WHEN t.tgname = 'steward_versioning' THEN a.args[1:1]
                                      ELSE a.args[2:] END) AS col
                     WHERE NOT EXISTS (SELECT FROM pg_attribute at
                                       WHERE at.attrelid = t.tgrelid AND at.attname = col
                                         AND at.attnum > 0 AND NOT at.attisdropped)) AS missing) m
    WHERE n.nspname = ANY (nsps) AND t.tgparentid = 0
      AND t.tgname IN ('steward_versioning', 'steward_notify')
      AND t.tgfoid IN ('steward.versioning_trigger()'::regprocedure,
                       'steward.notify_trigger()'::regprocedure)
      AND cardinality(m.missing) > 0;

    -- validation: rules that are not enforced, or that name a column
    -- that is gone; existing rows that break the rules (sampled)
    RETURN QUERY
    SELECT 'error'::text, 'validation'::text, 'VAL001'::text, r.relation::text,
           format('table %s has validation rules, but its trigger steward_validate is missing: rows are not validated',
                  r.relation),
           format('SELECT steward.validation_trigger_sync(%L);', r.relation::text)
    FROM (SELECT DISTINCT c.relation FROM steward.validation_config c) r
    JOIN pg_class k ON k.oid = r.relation
    JOIN pg_namespace n ON n.oid = k.relnamespace
    WHERE n.nspname = ANY (nsps)
      AND NOT EXISTS (SELECT FROM pg_trigger t
                      WHERE t.tgrelid = r.relation AND t.tgparentid = 0
                        AND t.tgfoid = 'steward.validate_trigger()'::regprocedure);

    RETURN QUERY
    SELECT 'error'::text, 'validation'::text, 'VAL002'::text, t.tgrelid::regclass::text,
           format('the validation trigger %s of table %s is %s: rows are not validated',
                  quote_ident(t.tgname), t.tgrelid::regclass,
                  CASE t.tgenabled WHEN 'D' THEN 'disabled' ELSE 'enabled for replication only' END),
           format('ALTER TABLE %s ENABLE TRIGGER %s;  -- then check the rows written meanwhile: steward.validate_report()',
                  t.tgrelid::regclass, quote_ident(t.tgname))
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (nsps) AND t.tgenabled NOT IN ('O', 'A')
      AND t.tgfoid = 'steward.validate_trigger()'::regprocedure;

    RETURN QUERY
    SELECT 'warning'::text, 'validation'::text, 'VAL003'::text, r.relation::text,
           format('the %s rule of table %s names column %s, which no longer exists (renamed?): it checks nothing',
                  r.rule, r.relation, quote_ident(r.column_name)),
           format('SELECT steward.validate_detach(%L, %L);  -- and validate_column() with the new name',
                  r.relation::text, r.column_name)
    FROM steward.validation_config r
    JOIN pg_class k ON k.oid = r.relation
    JOIN pg_namespace n ON n.oid = k.relnamespace
    WHERE n.nspname = ANY (nsps) AND r.column_name IS NOT NULL
      AND NOT EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = r.relation AND a.attname = r.column_name
                        AND a.attnum > 0 AND NOT a.attisdropped);

    -- masking: roles that read a masked view and can also read a masked
    -- column of its table directly (a security_invoker view needs them to)
    RETURN QUERY
    SELECT 'warning'::text, 'masking'::text, 'MSK001'::text, m.relation::text,
           format('role %s reads the masked view %s and can also reach raw masked values of %s: %s',
                  g.rolname, m.view, m.relation, array_to_string(e.open, '; ')),
           CASE WHEN m.stored
                THEN format('As the table''s owner: SELECT steward.mask_role(%L); then revoke what it still holds through PUBLIC or other roles.', g.rolname)
                ELSE format('For a role that logs in, store the masks: SELECT steward.mask_apply(%L, stored => true); SELECT steward.mask_role(%L);', m.relation::text, g.rolname)
           END
    FROM steward.mask_views m
    JOIN pg_class v ON v.oid = m.view
    JOIN pg_class t ON t.oid = m.relation
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL (SELECT DISTINCT x.grantee FROM aclexplode(v.relacl) x
                        WHERE x.privilege_type = 'SELECT' AND x.grantee <> v.relowner) x
    JOIN pg_roles g ON g.oid = x.grantee
    CROSS JOIN LATERAL (SELECT steward.mask_exposure(m.relation, g.oid) AS open) e
    WHERE n.nspname = ANY (nsps)
      AND NOT g.rolsuper AND NOT pg_has_role(g.oid, t.relowner, 'MEMBER')
      AND e.open <> '{}';

    -- masking: a masked view that is gone (dropped with CASCADE by an
    -- ALTER TABLE of another role than the owner) or that lacks columns of
    -- its table (added by another role): the owner has to run mask_apply
    RETURN QUERY
    SELECT 'warning'::text, 'masking'::text, 'MSK002'::text, m.relation::text,
           CASE WHEN v.oid IS NULL
                THEN format('the masked view of %s is gone: readers of the masked view get an error', m.relation)
                ELSE format('the masked view %s lacks columns of %s (%s): it was not regenerated after the table changed',
                            v.oid::regclass, m.relation,
                            (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                             FROM pg_attribute a
                             WHERE a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped
                               AND NOT steward.mask_is_stored_column(a.attrelid, a.attnum)
                               AND NOT EXISTS (SELECT FROM pg_attribute b WHERE b.attrelid = v.oid AND b.attname = a.attname)))
           END,
           format('As the table''s owner: SELECT steward.mask_apply(%L);', m.relation::text)
    FROM steward.mask_views m
    JOIN pg_class t ON t.oid = m.relation
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_class v ON v.oid = m.view
    WHERE n.nspname = ANY (nsps)
      AND (v.oid IS NULL
           OR EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = m.relation AND a.attnum > 0 AND NOT a.attisdropped
                        AND NOT steward.mask_is_stored_column(a.attrelid, a.attnum)
                        AND NOT EXISTS (SELECT FROM pg_attribute b WHERE b.attrelid = v.oid AND b.attname = a.attname)));

    -- masking: stored masks that nothing keeps current any more (their
    -- trigger dropped or disabled): new and changed rows show empty or stale
    -- masks in the view
    RETURN QUERY
    SELECT 'warning'::text, 'masking'::text, 'MSK003'::text, m.relation::text,
           format('the stored masks of %s are not kept: %s', m.relation, array_to_string(p.problems, '; ')),
           CASE WHEN array_to_string(p.problems, ' ') LIKE '%belongs to%'
                THEN format('As a superuser: ALTER FUNCTION ... OWNER TO the table''s owner (or REASSIGN OWNED); then, as the owner: SELECT steward.mask_refresh(%L);', m.relation::text)
                WHEN array_to_string(p.problems, ' ') LIKE '%inheritance%'
                THEN format('Stored masks are not kept across inheritance: SELECT steward.mask_apply(%L, stored => false);', m.relation::text)
                ELSE format('As the table''s owner: SELECT steward.mask_refresh(%L);', m.relation::text)
           END
    FROM steward.mask_views m
    JOIN pg_class k ON k.oid = m.relation
    JOIN pg_namespace n ON n.oid = k.relnamespace
    CROSS JOIN LATERAL (SELECT steward.mask_stored_problems(m.relation) AS problems) p
    WHERE n.nspname = ANY (nsps) AND m.stored
      AND EXISTS (SELECT FROM steward.mask_config c WHERE c.relation = m.relation)
      AND p.problems <> '{}';

    -- privacy: the columns by which export and erasure reach a subject's
    -- rows (every edge of every subject's map: foreign key columns, declared
    -- link columns, the key of the root and of referenced tables) need an
    -- index that starts with them: a valid, non-partial b-tree or hash
    -- index of the table itself (of the partitioned table, for a
    -- partitioned one) whose first key columns are those columns, in any
    -- order; for a link to a field of a jsonb column, an expression index
    -- whose first column is (column #>> path), the expression the look-up
    -- uses.  subject_map() runs once per subject.
    RETURN QUERY
    WITH edge AS (
        SELECT m.relation, m.columns, m.json_path,
               string_agg(DISTINCT s.name, ', ' ORDER BY s.name) AS subjects
        FROM steward.subjects s
        CROSS JOIN LATERAL steward.subject_map(s.name) m
        GROUP BY m.relation, m.columns, m.json_path
    )
    SELECT 'warning'::text, 'privacy'::text, 'PRV001'::text, e.relation::text,
           CASE WHEN e.json_path IS NOT NULL
                THEN format('field %s of column %s of table %s leads no index, yet export and erasure (subject %s) look up rows by it: each one reads the whole table',
                            e.json_path::text, quote_ident(e.columns[1]), e.relation, e.subjects)
                WHEN cardinality(e.columns) = 1
                THEN format('column %s of table %s leads no index, yet export and erasure (subject %s) look up rows by it: each one reads the whole table',
                            quote_ident(e.columns[1]), e.relation, e.subjects)
                ELSE format('columns (%s) of table %s lead no index, yet export and erasure (subject %s) look up rows by them: each one reads the whole table',
                            x.list, e.relation, e.subjects)
           END,
           CASE WHEN e.json_path IS NOT NULL
                THEN format('CREATE INDEX ON %s ((%I #>> %L));', e.relation, e.columns[1], e.json_path::text)
                ELSE format('CREATE INDEX ON %s (%s);', e.relation, x.list) END
    FROM edge e
    JOIN pg_class c ON c.oid = e.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT a.attnum FROM unnest(e.columns) WITH ORDINALITY u(col, o)
                     JOIN pg_attribute a ON a.attrelid = e.relation AND a.attname = u.col
                                        AND a.attnum > 0 AND NOT a.attisdropped
                     ORDER BY u.o) AS attnums,
               (SELECT string_agg(quote_ident(u.col), ', ' ORDER BY u.o)
                FROM unnest(e.columns) WITH ORDINALITY u(col, o)) AS list) x
    WHERE n.nspname = ANY (nsps)
      -- a column that is gone is the link's problem, not an index's
      AND cardinality(x.attnums) = cardinality(e.columns)
      AND NOT CASE
          WHEN e.json_path IS NULL THEN steward.index_leads(e.relation, x.attnums, false)
          ELSE EXISTS (
              SELECT FROM pg_index i
              JOIN pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_am am ON am.oid = ic.relam
              WHERE i.indrelid = e.relation AND i.indisvalid AND i.indpred IS NULL
                AND am.amname IN ('btree', 'hash') AND i.indkey[0] = 0
                AND pg_get_indexdef(i.indexrelid, 1, true)
                    IN (format('(%I #>> %L::text[])', e.columns[1], e.json_path::text),
                        format('(%I #>> ARRAY[%s])', e.columns[1],
                               (SELECT string_agg(quote_literal(k) || '::text', ', ' ORDER BY o)
                                FROM unnest(e.json_path) WITH ORDINALITY p(k, o)))))
      END;

    -- privacy: tables with declared personal data and no protection at all:
    -- not audited, no masking rule on a personal column, no row-level
    -- security
    RETURN QUERY
    SELECT 'warning'::text, 'privacy'::text, 'PRV002'::text, p.relation::text,
           format('table %s holds declared personal data (%s) but is neither audited, nor masked, nor protected by row-level security: its readers see the data and its changes are not recorded',
                  p.relation, p.list),
           format('Audit it: SELECT steward.audit_enable(%L);  -- or mask its personal columns (steward.mask_column), or protect its rows with row-level security',
                  p.relation::text)
    FROM (SELECT q.relation, string_agg(quote_ident(q.column_name), ', ' ORDER BY q.column_name) AS list
          FROM steward.personal_columns q
          GROUP BY q.relation) p
    JOIN pg_class c ON c.oid = p.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (nsps) AND NOT c.relrowsecurity
      AND NOT EXISTS (SELECT FROM steward.audit_tables a WHERE a.relation = p.relation)
      AND NOT EXISTS (SELECT FROM steward.mask_config m
                      JOIN steward.personal_columns q ON q.relation = m.relation AND q.column_name = m.column_name
                      WHERE m.relation = p.relation);

    -- privacy: retention policies that do not run as scheduled.  The gap
    -- expected between runs: a day, or the worker's interval if longer
    -- (other databases run retention_run from cron, daily at least).
    -- Failed last run: error; never run although defined more than one
    -- gap ago, last successful run more than two gaps ago, a run started
    -- more than two gaps ago that never finished (interrupted): warning.
    gap := greatest(interval '1 day',
                    coalesce((SELECT s.setting::int FROM pg_settings s
                              WHERE s.name = 'steward.retention_interval'), 0) * interval '1 second');
    RETURN QUERY
    SELECT CASE WHEN r.status = 'failed' THEN 'error' ELSE 'warning' END,
           'privacy'::text, 'PRV003'::text, r.relation::text,
           CASE r.status
               WHEN 'failed' THEN format('the last retention run of table %s failed: its expired rows may still be there', r.relation)
               WHEN 'done' THEN format('the retention policy of table %s last ran %s ago: expired rows are kept past their time',
                                       r.relation, d.ago)
               WHEN 'running' THEN format('a retention run of table %s started %s ago and never finished (interrupted, or stuck): expired rows are kept past their time',
                                          r.relation, d.ago)
               ELSE format('the retention policy of table %s was defined %s ago and has never run: expired rows are kept past their time',
                           r.relation, d.ago)
           END,
           CASE r.status
               WHEN 'failed' THEN format('SELECT error FROM steward.retention_status WHERE relation = %L::regclass;  -- fix the cause, then CALL steward.retention_run(%L);',
                                         r.relation::text, r.relation::text)
               WHEN 'running' THEN format('If no retention run is active (pg_stat_activity), run it again: CALL steward.retention_run(%L);',
                                          r.relation::text)
               ELSE format('CALL steward.retention_run(%L);  -- and schedule it (the retention worker, or cron): see docs/privacy.md',
                           r.relation::text)
           END
    FROM steward.retention_status r
    JOIN steward.retention_policies p ON p.relation = r.relation
    JOIN pg_class c ON c.oid = r.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (
        SELECT CASE r.status WHEN 'done' THEN r.finished_at WHEN 'running' THEN r.started_at
                             WHEN 'failed' THEN r.finished_at ELSE p.defined_at END AS since) t
    CROSS JOIN LATERAL (
        SELECT floor(extract(epoch FROM now() - t.since) / 86400)::bigint AS days) dd
    CROSS JOIN LATERAL (
        SELECT dd.days || CASE WHEN dd.days = 1 THEN ' day' ELSE ' days' END AS ago) d
    WHERE n.nspname = ANY (nsps)
      AND CASE r.status
              WHEN 'failed' THEN true
              WHEN 'done' THEN t.since < now() - 2 * gap
              WHEN 'running' THEN t.since < now() - 2 * gap
              ELSE t.since < now() - gap
          END;

    -- operations: a foreign key without an index that starts with its
    -- columns (any order; valid, non-partial b-tree or hash): deleting or
    -- changing a referenced row scans the referencing table, with its lock
    -- held.  Tables with row-level security are RLS010's, and keys that a
    -- subject's map follows PRV001's: each key is reported once.
    RETURN QUERY
    WITH mapped AS (
        SELECT DISTINCT m.relation, m.columns
        FROM steward.subjects s
        CROSS JOIN LATERAL steward.subject_map(s.name) m
        WHERE m.link = 'foreign key')
    SELECT 'info'::text, 'operations'::text, 'OPS001'::text,
           format('constraint %s on %s', quote_ident(k.conname), k.conrelid::regclass),
           format('foreign key %s of table %s (%s) has no index that starts with its columns: deleting or updating a row of %s scans the table',
                  quote_ident(k.conname), k.conrelid::regclass, x.list, k.confrelid::regclass),
           format('CREATE INDEX ON %s (%s);', k.conrelid::regclass, x.list)
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.o) AS list,
               array_agg(a.attname ORDER BY u.o) AS names
        FROM unnest(k.conkey) WITH ORDINALITY u(attnum, o)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) x
    WHERE k.contype = 'f' AND k.conparentid = 0
      AND n.nspname = ANY (nsps)
      AND NOT c.relrowsecurity
      AND NOT EXISTS (SELECT FROM mapped m
                      WHERE m.relation = coalesce(pg_partition_root(k.conrelid), k.conrelid)
                        AND m.columns::text[] @> x.names::text[] AND x.names::text[] @> m.columns::text[])
      AND NOT steward.index_leads(k.conrelid, k.conkey, false);

    -- existing rows: the first 1,000 of each table with rules, within a
    -- budget of 2 seconds in all (the tables left are named, VAL005);
    -- tables the caller cannot read are left out
    started := clock_timestamp();
    FOR rel IN
        SELECT DISTINCT c.relation
        FROM steward.validation_config c
        JOIN pg_class k ON k.oid = c.relation
        JOIN pg_namespace n ON n.oid = k.relnamespace
        WHERE n.nspname = ANY (nsps)
          AND has_table_privilege(c.relation, 'SELECT')
        ORDER BY 1
    LOOP
        IF clock_timestamp() - started > interval '2 seconds' THEN
            RETURN QUERY
            SELECT 'info'::text, 'validation'::text, 'VAL005'::text, rel::text,
                   format('the rows of table %s were not sampled (the health check''s time budget was spent)', rel),
                   format('SELECT * FROM steward.validate_report(%L, 1000);', rel::text);
            CONTINUE;
        END IF;
        SELECT count(DISTINCT v.row_key) INTO bad FROM steward.validate_report(rel, 1000) v;
        IF bad > 0 THEN
            RETURN QUERY
            SELECT 'warning'::text, 'validation'::text, 'VAL004'::text, rel::text,
                   format('%s of the first 1000 rows of table %s break its validation rules (rows written before the rules, or while the trigger was off)',
                          bad, rel),
                   format('SELECT * FROM steward.validate_report(%L);  -- lists them, with the errors', rel::text);
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.health_check(name[]) IS
  'One row per finding (severity error/warning/info, area, code, object, message, hint) of every capability''s checks, for the given schemas (default: all but system schemas); see docs/operations.md';
