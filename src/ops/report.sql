-- ---------------------------------------------------------------------
-- Operations: the compliance report
--
-- steward.report() renders, as one Markdown page a DBA can mail, what is
-- protected and recorded table by table and what the health check found.
-- It grows with the capabilities (masking, consent, erasure figures).
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.markdown_cell(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(replace(replace(coalesce(value, ''), '\', '\\'), '|', '\|'), E'\n', ' ')
$$;

COMMENT ON FUNCTION steward.markdown_cell(text) IS
  'Internal: a value made safe for a Markdown table cell (backslashes, pipes and newlines escaped)';

CREATE FUNCTION steward.report_tables(schemas name[])
RETURNS TABLE (relation regclass, rls boolean, forced boolean, policies int,
               audited boolean, versioned boolean, notified boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, c.relrowsecurity, c.relforcerowsecurity,
           (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int,
           EXISTS (SELECT FROM steward.audit_tables a WHERE a.relation = c.oid),
           EXISTS (SELECT FROM steward.versioned_tables v WHERE v.relation = c.oid),
           EXISTS (SELECT FROM steward.notified_tables t WHERE t.relation = c.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (schemas) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
$$;

COMMENT ON FUNCTION steward.report_tables(name[]) IS
  'Internal: per-table protection for steward.report(): row-level security, policies, audit, row versions, notifications';

CREATE FUNCTION steward.report(schemas name[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsps name[];
    out text;
    tables text;
    findings text;
    n_tables int;
    n_rls int;
    n_audited int;
    n_versioned int;
    n_notified int;
    n_error int;
    n_warning int;
    n_info int;
    activity text;
BEGIN
    nsps := steward.ops_schemas(schemas);

    SELECT count(*), count(*) FILTER (WHERE rls), count(*) FILTER (WHERE audited),
           count(*) FILTER (WHERE versioned), count(*) FILTER (WHERE notified)
    INTO n_tables, n_rls, n_audited, n_versioned, n_notified
    FROM steward.report_tables(nsps);

    SELECT string_agg(format('| %s | %s | %s | %s | %s | %s |',
                             steward.markdown_cell(relation::text),
                             CASE WHEN rls AND forced THEN 'yes (forced)' WHEN rls THEN 'yes' ELSE 'no' END,
                             policies,
                             CASE WHEN audited THEN 'yes' ELSE 'no' END,
                             CASE WHEN versioned THEN 'yes' ELSE 'no' END,
                             CASE WHEN notified THEN 'yes' ELSE 'no' END),
                      E'\n' ORDER BY relation::text)
    INTO tables
    FROM steward.report_tables(nsps);

    SELECT string_agg(format('| %s | %s | %s | %s | %s |',
                             h.severity, h.code, steward.markdown_cell(h.object),
                             steward.markdown_cell(h.message), steward.markdown_cell(h.hint)),
                      E'\n' ORDER BY CASE h.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END,
                                     h.code, h.object, h.message),
           count(*) FILTER (WHERE h.severity = 'error'), count(*) FILTER (WHERE h.severity = 'warning'),
           count(*) FILTER (WHERE h.severity = 'info')
    INTO findings, n_error, n_warning, n_info
    FROM steward.health_check(nsps) h;

    -- the status counters, when the library keeps them
    IF steward.status_available() THEN
        SELECT string_agg(format('| %s | %s | %s | %s | %s | %s | %s |',
                                 coalesce(steward.markdown_cell(s.table_name::text), '(other tables)'),
                                 s.audit_rows, s.audit_reads, s.notifications, s.version_conflicts,
                                 s.validation_failures,
                                 to_char(s.since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')),
                          E'\n' ORDER BY s.table_name::text NULLS LAST)
        INTO activity
        FROM steward.status() s
        WHERE s.table_name IS NULL
           OR s.table_name IN (SELECT t.relation FROM steward.report_tables(nsps) t);
        activity := CASE WHEN activity IS NULL THEN E'No activity counted since the server started or the counters were reset.\n'
                         ELSE E'| table | audit records | read records | notifications | stale versions refused | rows refused by validation | since (UTC) |\n'
                              || E'|---|---:|---:|---:|---:|---:|---|\n' || activity || E'\n'
                    END;
    ELSE
        activity := E'Not available: the counters need pg_steward in shared_preload_libraries.\n';
    END IF;

    out := format(E'# pg_steward report: database %s\n\n', steward.markdown_cell(current_database()))
        || format(E'Generated %s UTC by %s, pg_steward %s; schemas: %s.\n\n',
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                  steward.markdown_cell(current_user::text), steward.version(),
                  steward.markdown_cell(array_to_string(nsps, ', ')))
        || E'## Summary\n\n'
        || format(E'- %s tables: %s with row-level security, %s audited, %s with row versions, %s with change notifications.\n',
                  n_tables, n_rls, n_audited, n_versioned, n_notified)
        || format(E'- Health check findings: errors %s, warnings %s, notes %s.\n\n', n_error, n_warning, n_info)
        || E'## Tables\n\n'
        || E'| table | row-level security | policies | audited | row versions | notifications |\n'
        || E'|---|---|---:|---|---|---|\n'
        || coalesce(tables || E'\n', '')
        || E'\n## Activity (committed work since the server started or the counters were reset)\n\n'
        || activity
        || E'\n## Health findings\n\n'
        || CASE WHEN findings IS NULL THEN E'None.\n'
                ELSE E'| severity | code | object | message | hint |\n|---|---|---|---|---|\n' || findings || E'\n'
           END;
    RETURN out;
END
$$;

COMMENT ON FUNCTION steward.report(name[]) IS
  'A Markdown compliance page for the given schemas (default: all but system schemas): per-table protection (RLS, audit, row versions, notifications), activity counters (when preloaded) and the health findings';
