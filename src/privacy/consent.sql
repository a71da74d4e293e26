-- ---------------------------------------------------------------------
-- Privacy: consent and data-subject requests
--
-- Consent is data, not configuration: an append-only history of grants
-- and withdrawals, and the current state per (subject, key, purpose) that
-- steward.has_consent() reads with one index look-up.  Recording consent
-- needs EXECUTE on consent_grant/consent_withdraw (PUBLIC has none); the
-- tables themselves are readable only through the functions and views.
-- ---------------------------------------------------------------------

CREATE TABLE steward.consent_history (
    id           bigserial   PRIMARY KEY,
    subject      text        NOT NULL,
    subject_key  text        NOT NULL,
    purpose      text        NOT NULL,
    action       text        NOT NULL CHECK (action IN ('grant', 'withdraw')),
    source       text,
    expires_at   timestamptz,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  name        NOT NULL DEFAULT session_user,
    actor_user   text
);

CREATE INDEX consent_history_subject ON steward.consent_history (subject, subject_key, purpose, id);

COMMENT ON TABLE steward.consent_history IS
  'Every consent granted or withdrawn, append-only (steward.consent_grant, steward.consent_withdraw); kept by pg_dump';
COMMENT ON COLUMN steward.consent_history.source IS 'Where the consent was given (e.g. signup form v3, support call)';
COMMENT ON COLUMN steward.consent_history.actor_user IS 'steward.current_user_id() of the session that recorded it';

SELECT pg_catalog.pg_extension_config_dump('steward.consent_history', '');
SELECT pg_catalog.pg_extension_config_dump('steward.consent_history_id_seq', '');
COMMENT ON SEQUENCE steward.consent_history_id_seq IS 'Ids of consent records';
REVOKE ALL ON steward.consent_history FROM PUBLIC;

CREATE TABLE steward.consents (
    subject      text        NOT NULL,
    subject_key  text        NOT NULL,
    purpose      text        NOT NULL,
    granted      boolean     NOT NULL,
    source       text,
    changed_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    PRIMARY KEY (subject, subject_key, purpose)
);

COMMENT ON TABLE steward.consents IS
  'The current consent of each person for each purpose (derived from steward.consent_history); kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.consents', '');
REVOKE ALL ON steward.consents FROM PUBLIC;

CREATE FUNCTION steward.consent_check(subject text, key text, purpose text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF subject IS NULL OR key IS NULL OR purpose IS NULL THEN
        RAISE EXCEPTION 'subject, key and purpose must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF purpose !~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid purpose %', quote_literal(purpose) USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A purpose is a short lower-case name such as marketing, analytics or newsletter.';
    END IF;
END
$$;

COMMENT ON FUNCTION steward.consent_check(text, text, text) IS 'Internal: check consent arguments';

CREATE FUNCTION steward.consent_grant(subject text, key text, purpose text, source text DEFAULT NULL,
                                      expires timestamptz DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM steward.consent_check(subject, key, purpose);
    PERFORM steward.subject_get(subject);
    IF expires IS NOT NULL AND expires <= now() THEN
        RAISE EXCEPTION 'consent would expire before it is given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO steward.consent_history (subject, subject_key, purpose, action, source, expires_at, actor_user)
    VALUES (subject, key, purpose, 'grant', source, expires, steward.current_user_id());
    INSERT INTO steward.consents AS c (subject, subject_key, purpose, granted, source, changed_at, expires_at)
    VALUES (subject, key, purpose, true, source, now(), expires)
    ON CONFLICT ON CONSTRAINT consents_pkey DO UPDATE
    SET granted = true, source = excluded.source, changed_at = excluded.changed_at, expires_at = excluded.expires_at;
END
$$;

COMMENT ON FUNCTION steward.consent_grant(text, text, text, text, timestamptz) IS
  'Record that a person consents to a purpose (from a source, until an optional expiry); appended to the history';
REVOKE EXECUTE ON FUNCTION steward.consent_grant(text, text, text, text, timestamptz) FROM PUBLIC;

CREATE FUNCTION steward.consent_withdraw(subject text, key text, purpose text, source text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    was boolean;
BEGIN
    PERFORM steward.consent_check(subject, key, purpose);
    PERFORM steward.subject_get(subject);
    SELECT c.granted INTO was FROM steward.consents c
    WHERE c.subject = consent_withdraw.subject AND c.subject_key = key AND c.purpose = consent_withdraw.purpose
    FOR UPDATE;
    INSERT INTO steward.consent_history (subject, subject_key, purpose, action, source, actor_user)
    VALUES (subject, key, purpose, 'withdraw', source, steward.current_user_id());
    INSERT INTO steward.consents AS c (subject, subject_key, purpose, granted, source, changed_at)
    VALUES (subject, key, purpose, false, source, now())
    ON CONFLICT ON CONSTRAINT consents_pkey DO UPDATE
    SET granted = false, source = excluded.source, changed_at = excluded.changed_at, expires_at = NULL;
    RETURN coalesce(was, false);
END
$$;

COMMENT ON FUNCTION steward.consent_withdraw(text, text, text, text) IS
  'Record that a person withdraws a consent (true if it was granted); appended to the history';
REVOKE EXECUTE ON FUNCTION steward.consent_withdraw(text, text, text, text) FROM PUBLIC;

-- In C (src/privacy/consent.c): a direct look-up in the primary key, with
-- no privilege check on the private table (as a SECURITY DEFINER function
-- would read it): 1.5 µs a call, against 3.9 µs for the same in SQL.
CREATE FUNCTION steward.has_consent(subject text, key text, purpose text)
RETURNS boolean
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_has_consent';

COMMENT ON FUNCTION steward.has_consent(text, text, text) IS
  'Whether a person currently consents to a purpose (granted, not withdrawn, not expired); false when never asked. One index look-up; usable in queries and policies';

CREATE FUNCTION steward.consent_of(subject text, key text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('purpose', h.purpose, 'action', h.action, 'source', h.source,
                                                'expires_at', h.expires_at, 'recorded_at', h.recorded_at)
                            ORDER BY h.id), '[]')
  FROM steward.consent_history h
  WHERE h.subject = consent_of.subject AND h.subject_key = consent_of.key
$$;

COMMENT ON FUNCTION steward.consent_of(text, text) IS
  'Internal: a person''s consent history as jsonb (for steward.subject_export; granted by steward.privacy_grant)';
REVOKE EXECUTE ON FUNCTION steward.consent_of(text, text) FROM PUBLIC;

CREATE FUNCTION steward.consent_forget(subject text, key text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM steward.consents c WHERE c.subject = consent_forget.subject AND c.subject_key = key;
    DELETE FROM steward.consent_history h WHERE h.subject = consent_forget.subject AND h.subject_key = key;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

COMMENT ON FUNCTION steward.consent_forget(text, text) IS
  'Internal: remove a person''s consents and their history (for steward.subject_erase; granted by steward.privacy_grant)';
REVOKE EXECUTE ON FUNCTION steward.consent_forget(text, text) FROM PUBLIC;

CREATE VIEW steward.consent_state AS
  SELECT c.subject, c.subject_key, c.purpose,
         c.granted AND (c.expires_at IS NULL OR c.expires_at > now()) AS active,
         c.granted, c.source, c.changed_at, c.expires_at
  FROM steward.consents c;

COMMENT ON VIEW steward.consent_state IS
  'Current consent per person and purpose, with expiry applied; readable by those granted it (steward.privacy_grant)';
REVOKE ALL ON steward.consent_state FROM PUBLIC;

-- ---- consent-gated rows: a policy template

CREATE FUNCTION steward.policy_consent(relation regclass, subject_column name, purpose text,
                                       subject text DEFAULT NULL, commands text[] DEFAULT ARRAY['select'],
                                       force boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF subject IS NULL THEN
        IF (SELECT count(*) FROM steward.subjects) <> 1 THEN
            RAISE EXCEPTION 'name the subject: there are % subjects', (SELECT count(*) FROM steward.subjects)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT s.name INTO subject FROM steward.subjects s;
    END IF;
    PERFORM steward.subject_get(subject);
    PERFORM steward.consent_check(subject, '', purpose);
    PERFORM steward.rls_template_store(relation, 'consent',
              jsonb_strip_nulls(jsonb_build_object('column', subject_column, 'subject', subject, 'purpose', purpose,
                                                   'force', force, 'commands', to_jsonb(commands))));
END
$$;

COMMENT ON FUNCTION steward.policy_consent(regclass, name, text, text, text[], boolean) IS
  'Consent-gated rows: rows are visible (for the commands given, select by default) only while the person in subject_column consents to the purpose (steward.has_consent)';

-- ---- data-subject requests

CREATE TABLE steward.subject_requests (
    id            bigserial   PRIMARY KEY,
    subject       text        NOT NULL,
    key_hash      text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('access', 'portability', 'erasure', 'rectification',
                                                       'restriction', 'objection')),
    reference     text,
    received_at   timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    completed_at  timestamptz,
    outcome       text,
    opened_by     name        NOT NULL DEFAULT session_user,
    completed_by  name
);

COMMENT ON TABLE steward.subject_requests IS
  'Data-subject requests (access, erasure, ...): received, due (30 days by default), completed; the person is named by a keyed hash; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.subject_requests', '');
SELECT pg_catalog.pg_extension_config_dump('steward.subject_requests_id_seq', '');
COMMENT ON SEQUENCE steward.subject_requests_id_seq IS 'Ids of data-subject requests';
REVOKE ALL ON steward.subject_requests FROM PUBLIC;

CREATE FUNCTION steward.request_open(subject text, key text, kind text, reference text DEFAULT NULL,
                                     received_at timestamptz DEFAULT now(), due interval DEFAULT '30 days')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    PERFORM steward.subject_get(subject);
    IF key IS NULL OR kind IS NULL OR received_at IS NULL OR due IS NULL THEN
        RAISE EXCEPTION 'key, kind, received_at and due must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('access', 'portability', 'erasure', 'rectification', 'restriction', 'objection') THEN
        RAISE EXCEPTION 'unrecognized request kind %', quote_literal(kind) USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Kinds are access, portability, erasure, rectification, restriction and objection.';
    END IF;
    IF due < interval '0' THEN
        RAISE EXCEPTION 'due must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO steward.subject_requests (subject, key_hash, kind, reference, received_at, due_at)
    VALUES (subject, steward.privacy_key_hash(subject, key), kind, reference, received_at, received_at + due)
    RETURNING subject_requests.id INTO id;
    RETURN id;
END
$$;

COMMENT ON FUNCTION steward.request_open(text, text, text, text, timestamptz, interval) IS
  'Record a data-subject request (access, portability, erasure, rectification, restriction, objection), due 30 days after receipt by default; returns its id';
REVOKE EXECUTE ON FUNCTION steward.request_open(text, text, text, text, timestamptz, interval) FROM PUBLIC;

CREATE FUNCTION steward.request_complete(request_id bigint, outcome text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE steward.subject_requests r
    SET completed_at = now(), outcome = request_complete.outcome, completed_by = session_user
    WHERE r.id = request_id AND r.completed_at IS NULL;
    IF NOT FOUND THEN
        IF EXISTS (SELECT FROM steward.subject_requests r WHERE r.id = request_id) THEN
            RAISE EXCEPTION 'request % is already completed', request_id USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RAISE EXCEPTION 'request % does not exist', request_id USING ERRCODE = 'no_data_found';
    END IF;
END
$$;

COMMENT ON FUNCTION steward.request_complete(bigint, text) IS
  'Mark a data-subject request completed, with its outcome (subject_export and subject_erase do it when given request_id)';
REVOKE EXECUTE ON FUNCTION steward.request_complete(bigint, text) FROM PUBLIC;

CREATE VIEW steward.requests AS
  SELECT r.id, r.subject, r.kind, r.reference, r.received_at, r.due_at, r.completed_at, r.outcome,
         CASE WHEN r.completed_at IS NULL AND r.due_at < now() THEN 'overdue'
              WHEN r.completed_at IS NULL THEN 'open'
              WHEN r.completed_at > r.due_at THEN 'completed late'
              ELSE 'completed' END AS status,
         r.opened_by, r.completed_by
  FROM steward.subject_requests r;

COMMENT ON VIEW steward.requests IS
  'Data-subject requests with their status: open, overdue, completed, completed late';
REVOKE ALL ON steward.requests FROM PUBLIC;

-- ---- who may do what

CREATE FUNCTION steward.privacy_grant(role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = role) THEN
        RAISE EXCEPTION 'role % does not exist', coalesce(quote_ident(role), 'NULL') USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('GRANT EXECUTE ON FUNCTION steward.subject_export(text, text, bigint), '
                   'steward.subject_export_csv(text, text), '
                   'steward.subject_erase(text, text, boolean, bigint), steward.erasure_replay(boolean), '
                   'steward.privacy_export(text, text, bigint, text), steward.privacy_export_csv(text, text, text), '
                   'steward.privacy_erase(text, text, boolean, bigint, boolean, text), '
                   'steward.privacy_replay(boolean, text), '
                   'steward.erasure_log_write(text, text, jsonb, jsonb, bigint), '
                   'steward.privacy_audit_scrub(regclass, jsonb[], text[], text), '
                   'steward.privacy_key_hash(text, text), '
                   'steward.consent_of(text, text), steward.consent_forget(text, text), '
                   'steward.consent_grant(text, text, text, text, timestamptz), '
                   'steward.consent_withdraw(text, text, text, text), '
                   'steward.request_open(text, text, text, text, timestamptz, interval), '
                   'steward.request_complete(bigint, text) TO %I', role);
    EXECUTE format('GRANT SELECT ON steward.erasure_log, steward.requests, steward.consent_state, '
                   'steward.consent_history TO %I', role);
END
$$;

COMMENT ON FUNCTION steward.privacy_grant(name) IS
  'Make a role a privacy officer: EXECUTE on export, erasure, replay, consent and request functions and SELECT on receipts, requests and consents (it also needs privileges on the subject''s tables)';
REVOKE EXECUTE ON FUNCTION steward.privacy_grant(name) FROM PUBLIC;

-- ---- dropped tables and columns take their declarations along

CREATE FUNCTION steward.privacy_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM steward.personal_columns p
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND p.relation = d.objid
      AND (d.objsubid = 0 OR (d.object_type = 'table column'
                              AND p.column_name = d.address_names[array_length(d.address_names, 1)]));
    DELETE FROM steward.subject_links l
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND (l.relation = d.objid OR l.via = d.objid)
      AND (d.objsubid = 0 OR (d.object_type = 'table column'
                              AND d.address_names[array_length(d.address_names, 1)] IN (l.column_name, l.via_column)));
    DELETE FROM steward.subject_holds h
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND h.relation = d.objid;
    DELETE FROM steward.retention_policies r
    USING pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND r.relation = d.objid;
    WITH gone AS (
        DELETE FROM steward.subjects s
        USING pg_event_trigger_dropped_objects() d
        WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND s.root_table = d.objid
        RETURNING s.name)
    DELETE FROM steward.subject_links l USING gone WHERE l.subject = gone.name;
END
$$;

COMMENT ON FUNCTION steward.privacy_on_drop() IS
  'Internal: event trigger function that forgets subjects, links, personal-data declarations, holds and retention policies of dropped tables and columns';
REVOKE EXECUTE ON FUNCTION steward.privacy_on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER steward_privacy_on_drop ON sql_drop
  EXECUTE FUNCTION steward.privacy_on_drop();

COMMENT ON EVENT TRIGGER steward_privacy_on_drop IS
  'pg_steward: forget the privacy declarations of dropped tables and columns';
