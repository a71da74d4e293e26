-- ---------------------------------------------------------------------
-- Operations: the compliance report
--
-- steward.report() renders, as one Markdown page a DBA can mail, what is
-- protected and recorded table by table and what the health check found.
-- Each capability adds its part: masking and declared personal data per
-- table, and the privacy section (subjects, consent, erasures, requests,
-- retention).
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
               audited boolean, versioned boolean, notified boolean,
               masked boolean, personal text, retention text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, c.relrowsecurity, c.relforcerowsecurity,
           (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int,
           EXISTS (SELECT FROM steward.audit_tables a WHERE a.relation = c.oid),
           EXISTS (SELECT FROM steward.versioned_tables v WHERE v.relation = c.oid),
           EXISTS (SELECT FROM steward.notified_tables t WHERE t.relation = c.oid),
           EXISTS (SELECT FROM steward.mask_config m WHERE m.relation = c.oid),
           (SELECT string_agg(DISTINCT p.category, ', ' ORDER BY p.category)
            FROM steward.personal_columns p WHERE p.relation = c.oid),
           (SELECT format('%s, then %s', r.keep, r.action)
            FROM steward.retention_policies r WHERE r.relation = c.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (schemas) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
$$;

COMMENT ON FUNCTION steward.report_tables(name[]) IS
  'Internal: per-table protection for steward.report(): row-level security, policies, audit, row versions, notifications, masking, declared personal data (categories), retention';

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
    n_masked int;
    n_personal int;
    n_retained int;
    privacy text;
    part text;
    n_error int;
    n_warning int;
    n_info int;
    activity text;
BEGIN
    nsps := steward.ops_schemas(schemas);

    SELECT count(*), count(*) FILTER (WHERE rls), count(*) FILTER (WHERE audited),
           count(*) FILTER (WHERE versioned), count(*) FILTER (WHERE notified),
           count(*) FILTER (WHERE masked), count(*) FILTER (WHERE personal IS NOT NULL),
           count(*) FILTER (WHERE retention IS NOT NULL)
    INTO n_tables, n_rls, n_audited, n_versioned, n_notified, n_masked, n_personal, n_retained
    FROM steward.report_tables(nsps);

    SELECT string_agg(format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |',
                             steward.markdown_cell(relation::text),
                             CASE WHEN rls AND forced THEN 'yes (forced)' WHEN rls THEN 'yes' ELSE 'no' END,
                             policies,
                             CASE WHEN audited THEN 'yes' ELSE 'no' END,
                             CASE WHEN versioned THEN 'yes' ELSE 'no' END,
                             CASE WHEN notified THEN 'yes' ELSE 'no' END,
                             CASE WHEN masked THEN 'yes' ELSE 'no' END,
                             coalesce(steward.markdown_cell(personal), ''),
                             coalesce(steward.markdown_cell(retention), '')),
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
        SELECT string_agg(format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |',
                                 coalesce(steward.markdown_cell(s.table_name::text), '(other tables)'),
                                 s.audit_rows, s.audit_reads, s.notifications, s.version_conflicts,
                                 s.validation_failures, s.erased_rows, s.retention_rows,
                                 to_char(s.since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')),
                          E'\n' ORDER BY s.table_name::text NULLS LAST)
        INTO activity
        FROM steward.status() s
        WHERE s.table_name IS NULL
           OR s.table_name IN (SELECT t.relation FROM steward.report_tables(nsps) t);
        activity := CASE WHEN activity IS NULL THEN E'No activity counted since the server started or the counters were reset.\n'
                         ELSE E'| table | audit records | read records | notifications | stale versions refused | rows refused by validation | rows erased | rows expired (retention) | since (UTC) |\n'
                              || E'|---|---:|---:|---:|---:|---:|---:|---:|---|\n' || activity || E'\n'
                    END;
    ELSE
        activity := E'Not available: the counters need pg_steward in shared_preload_libraries.\n';
    END IF;

    -- privacy: subjects, then what the reader may see of consents,
    -- erasures and requests, then retention
    SELECT string_agg(format('| %s | %s | %s | %s |', steward.markdown_cell(x.name),
                             steward.markdown_cell(x.root_table::text),
                             (SELECT count(DISTINCT m.relation) FROM steward.subject_map(x.name) m),
                             (SELECT count(*) FROM steward.subject_links l WHERE l.subject = x.name)),
                      E'\n' ORDER BY x.name)
    INTO part
    FROM steward.subjects x
    JOIN pg_class c ON c.oid = x.root_table JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (nsps);
    privacy := CASE WHEN part IS NULL THEN E'No data subject is defined (steward.subject_define).\n'
                    ELSE E'| subject | root table | tables holding its data | declared links |\n|---|---|---:|---:|\n' || part || E'\n'
               END;
    IF has_table_privilege('steward.consent_state', 'SELECT') THEN
        SELECT string_agg(format('| %s | %s | %s | %s |', steward.markdown_cell(g.subject), steward.markdown_cell(g.purpose),
                                 g.active, g.inactive),
                          E'\n' ORDER BY g.subject, g.purpose)
        INTO part
        FROM (SELECT c.subject, c.purpose, count(*) FILTER (WHERE c.active) AS active,
                     count(*) FILTER (WHERE NOT c.active) AS inactive
              FROM steward.consent_state c GROUP BY c.subject, c.purpose) g;
        privacy := privacy || E'\n### Consent\n\n'
                   || CASE WHEN part IS NULL THEN E'No consent recorded.\n'
                           ELSE E'| subject | purpose | consenting now | withdrawn or expired |\n|---|---|---:|---:|\n' || part || E'\n' END;
    ELSE
        privacy := privacy || format(E'\n### Consent\n\nNot shown: %s may not read consents (steward.privacy_grant).\n',
                                     steward.markdown_cell(current_user::text));
    END IF;
    IF has_table_privilege('steward.erasure_log', 'SELECT') AND has_table_privilege('steward.requests', 'SELECT') THEN
        SELECT format(E'- Erasures: %s, %s in the last 30 days (receipts in steward.erasure_log).\n',
                      count(*), count(*) FILTER (WHERE l.erased_at > now() - interval '30 days'))
        INTO part FROM steward.erasure_log l;
        SELECT part || format(E'- Data-subject requests: %s open, %s overdue, %s completed (%s late).\n',
                              count(*) FILTER (WHERE r.status = 'open'), count(*) FILTER (WHERE r.status = 'overdue'),
                              count(*) FILTER (WHERE r.status IN ('completed', 'completed late')),
                              count(*) FILTER (WHERE r.status = 'completed late'))
        INTO part FROM steward.requests r;
        privacy := privacy || E'\n### Erasures and requests\n\n' || part;
    ELSE
        privacy := privacy || format(E'\n### Erasures and requests\n\nNot shown: %s may not read receipts and requests (steward.privacy_grant).\n',
                                     steward.markdown_cell(current_user::text));
    END IF;
    SELECT string_agg(format('| %s | %s | %s | %s | %s | %s |', steward.markdown_cell(r.relation::text),
                             r.keep, r.action, steward.markdown_cell(coalesce(r.status, 'never run')),
                             coalesce(to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), ''),
                             coalesce(r.last_rows::text, '')),
                      E'\n' ORDER BY r.relation::text)
    INTO part
    FROM steward.retention_status r
    WHERE r.relation IN (SELECT t.relation FROM steward.report_tables(nsps) t);
    privacy := privacy || E'\n### Retention\n\n'
               || CASE WHEN part IS NULL THEN E'No retention policy (steward.retention_set).\n'
                       ELSE E'| table | keep | then | last run | finished (UTC) | rows |\n|---|---|---|---|---|---:|\n' || part || E'\n' END;

    out := format(E'# pg_steward report: database %s\n\n', steward.markdown_cell(current_database()))
        || format(E'Generated %s UTC by %s, pg_steward %s; schemas: %s.\n\n',
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                  steward.markdown_cell(current_user::text), steward.version(),
                  steward.markdown_cell(array_to_string(nsps, ', ')))
        || E'## Summary\n\n'
        || format(E'- %s tables: %s with row-level security, %s audited, %s with row versions, %s with change notifications.\n',
                  n_tables, n_rls, n_audited, n_versioned, n_notified)
        || format(E'- %s with masked columns, %s with declared personal data, %s with a retention policy.\n',
                  n_masked, n_personal, n_retained)
        || format(E'- Health check findings: errors %s, warnings %s, notes %s.\n\n', n_error, n_warning, n_info)
        || E'## Tables\n\n'
        || E'| table | row-level security | policies | audited | row versions | notifications | masked | personal data | retention |\n'
        || E'|---|---|---:|---|---|---|---|---|---|\n'
        || coalesce(tables || E'\n', '')
        || E'\n## Activity (committed work since the server started or the counters were reset)\n\n'
        || activity
        || E'\n## Privacy\n\n'
        || privacy
        || E'\n## Health findings\n\n'
        || CASE WHEN findings IS NULL THEN E'None.\n'
                ELSE E'| severity | code | object | message | hint |\n|---|---|---|---|---|\n' || findings || E'\n'
           END;
    RETURN out;
END
$$;

COMMENT ON FUNCTION steward.report(name[]) IS
  'A Markdown compliance page for the given schemas (default: all but system schemas): per-table protection (RLS, audit, row versions, notifications, masking, personal data, retention), activity counters (when preloaded), privacy (subjects, consent, erasures, requests, retention; what the reader may see) and the health findings';
