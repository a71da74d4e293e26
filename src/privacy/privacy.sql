-- ---------------------------------------------------------------------
-- Privacy (GDPR): subjects, the subject map, personal-data declarations,
-- legal holds, export, erasure with receipts, replay after a restore, and
-- the log of data-subject requests.  See docs/privacy.md.
--
-- Export and erasure run with the caller's rights (SECURITY INVOKER): the
-- caller needs EXECUTE on them (PUBLIC has none; steward.privacy_grant()
-- grants it) and the table privileges the work needs, and row-level
-- security applies to the caller.  Running them as a superuser would run
-- every table owner's triggers as a superuser.  What the caller cannot
-- write directly (receipts, the audit log, consents) goes through small
-- SECURITY DEFINER functions that privacy_grant() also grants.
-- ---------------------------------------------------------------------

-- ---- configuration (kept by pg_dump; written through the *_write
-- ---- functions, which check that the caller owns the table concerned)

CREATE TABLE steward.subjects (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    root_table  regclass    NOT NULL,
    key_column  name        NOT NULL,
    defined_by  name        NOT NULL,
    defined_at  timestamptz NOT NULL
);

COMMENT ON TABLE steward.subjects IS
  'Kinds of data subject (steward.subject_define): the table that holds one row per person and its key column; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.subjects', '');
REVOKE ALL ON steward.subjects FROM PUBLIC;
GRANT SELECT ON steward.subjects TO PUBLIC;

CREATE TABLE steward.subject_links (
    subject     text        NOT NULL,
    relation    regclass    NOT NULL,
    column_name name        NOT NULL,
    via         regclass    NOT NULL,
    via_column  name        NOT NULL,
    json_path   text[],
    defined_by  name        NOT NULL,
    defined_at  timestamptz NOT NULL,
    PRIMARY KEY (subject, relation, column_name)
);

COMMENT ON TABLE steward.subject_links IS
  'Links without a foreign key (steward.subject_link): relation.column_name (or a field of it, json_path) holds via.via_column; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.subject_links', '');
REVOKE ALL ON steward.subject_links FROM PUBLIC;
GRANT SELECT ON steward.subject_links TO PUBLIC;

CREATE TABLE steward.personal_columns (
    relation    regclass    NOT NULL,
    column_name name        NOT NULL,
    category    text        NOT NULL,
    on_erase    text        NOT NULL CHECK (on_erase IN ('delete', 'anonymize', 'keep')),
    -- the mask function's qualified name, not a regproc: pg_upgrade refuses
    -- any table with a regproc column (function OIDs are not kept), so a
    -- regproc here would block the upgrade of every database with the
    -- extension.  Only pg_steward's own masks; privacy_anonymizer() puts
    -- it into SQL, hence the strict form.
    mask        text        CHECK (mask IN ('steward.mask_email', 'steward.mask_phone', 'steward.mask_card',
                                            'steward.mask_iban', 'steward.mask_redact', 'steward.mask_hash',
                                            'steward.pseudo_email', 'steward.pseudo_first_name',
                                            'steward.pseudo_last_name', 'steward.pseudo_city')),
    declared_by name        NOT NULL,
    declared_at timestamptz NOT NULL,
    PRIMARY KEY (relation, column_name)
);

COMMENT ON TABLE steward.personal_columns IS
  'Columns declared as personal data (steward.personal_data): category and what erasure does; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.personal_columns', '');
REVOKE ALL ON steward.personal_columns FROM PUBLIC;
GRANT SELECT ON steward.personal_columns TO PUBLIC;

CREATE TABLE steward.subject_holds (
    relation     regclass    PRIMARY KEY,
    reason       text        NOT NULL,
    keep         interval,
    age_column   name,
    until_column name,
    action       text        NOT NULL CHECK (action IN ('anonymize', 'refuse')),
    declared_by  name        NOT NULL,
    declared_at  timestamptz NOT NULL
);

COMMENT ON TABLE steward.subject_holds IS
  'Legal holds (steward.subject_hold): rows of the table kept (anonymized) or the erasure refused while the hold lasts; kept by pg_dump';

SELECT pg_catalog.pg_extension_config_dump('steward.subject_holds', '');
REVOKE ALL ON steward.subject_holds FROM PUBLIC;
GRANT SELECT ON steward.subject_holds TO PUBLIC;

CREATE FUNCTION steward.subject_write(root_table regclass, name text, key_column name)
RETURNS void LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'steward_subject_write';
COMMENT ON FUNCTION steward.subject_write(regclass, text, name) IS
  'Internal: record a subject (NULL key_column: forget it and its links); the caller must own the root table';

CREATE FUNCTION steward.subject_link_write(relation regclass, subject text, column_name name,
                                           via regclass, via_column name, json_path text[])
RETURNS void LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'steward_subject_link_write';
COMMENT ON FUNCTION steward.subject_link_write(regclass, text, name, regclass, name, text[]) IS
  'Internal: record a declared link (NULL via: forget it); the caller must own the table';

CREATE FUNCTION steward.personal_data_write(relation regclass, column_name name, category text,
                                            on_erase text, mask regproc)
RETURNS void LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'steward_personal_data_write';
COMMENT ON FUNCTION steward.personal_data_write(regclass, name, text, text, regproc) IS
  'Internal: record a personal-data declaration (NULL category: forget it); the caller must own the table';

CREATE FUNCTION steward.subject_hold_write(relation regclass, reason text, keep interval,
                                           age_column name, until_column name, action text)
RETURNS void LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'steward_subject_hold_write';
COMMENT ON FUNCTION steward.subject_hold_write(regclass, text, interval, name, name, text) IS
  'Internal: record a legal hold (NULL reason: lift it); the caller must own the table';

CREATE FUNCTION steward.privacy_key_hash(subject text, key text)
RETURNS text
LANGUAGE c STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_privacy_key_hash';

COMMENT ON FUNCTION steward.privacy_key_hash(text, text) IS
  'HMAC-SHA256 of a subject''s key under steward.privacy_key (hex): how receipts and requests name a person without holding the key';
REVOKE EXECUTE ON FUNCTION steward.privacy_key_hash(text, text) FROM PUBLIC;

-- A table's column, checked: returns its number, type and NOT NULL.
CREATE FUNCTION steward.privacy_column(relation regclass, column_name name,
                                       OUT attnum smallint, OUT atttypid oid, OUT attnotnull boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF relation IS NULL OR column_name IS NULL THEN
        RAISE EXCEPTION 'table and column must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = relation AND c.relkind IN ('r', 'p')) THEN
        RAISE EXCEPTION '% is not a table', relation USING ERRCODE = 'wrong_object_type';
    END IF;
    IF EXISTS (SELECT FROM pg_class c WHERE c.oid = relation AND c.relispartition) THEN
        RAISE EXCEPTION '% is a partition', relation USING ERRCODE = 'wrong_object_type',
            HINT = 'Declare it on the partitioned table: its partitions are one unit.';
    END IF;
    SELECT a.attnum, a.atttypid, a.attnotnull INTO attnum, atttypid, attnotnull
    FROM pg_attribute a
    WHERE a.attrelid = relation AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of % does not exist', column_name, relation USING ERRCODE = 'undefined_column';
    END IF;
END
$$;

COMMENT ON FUNCTION steward.privacy_column(regclass, name) IS
  'Internal: a column of a (non-partition) table, checked, with its number, type and NOT NULL';

-- The statements that read or change the user's tables run with the
-- caller's search_path (user_path), as if the caller ran them: the tables'
-- triggers, defaults and policies may name objects unqualified.  The rest
-- of pg_steward's code runs with search_path pinned; a NULL path pins it.
CREATE FUNCTION steward.privacy_use_path(user_path text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  SELECT pg_catalog.set_config('search_path', coalesce(user_path, 'pg_catalog, pg_temp'), true)
$$;

COMMENT ON FUNCTION steward.privacy_use_path(text) IS
  'Internal: switch search_path (transaction-local, undone when the calling function returns) to the caller''s for statements on user tables, or back to pg_catalog, pg_temp';

-- ---- subjects and links

CREATE FUNCTION steward.subject_define(name text, root_table regclass, key_column name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old regclass;
BEGIN
    IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid subject name %', coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A subject''s name is lower-case letters, digits and underscores, starting with a letter (e.g. customer).';
    END IF;
    IF root_table IS NULL THEN
        RAISE EXCEPTION 'root_table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- the key defaults to the single-column primary key
    IF key_column IS NULL THEN
        SELECT a.attname INTO key_column
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = root_table AND i.indisprimary AND i.indnkeyatts = 1;
        IF key_column IS NULL THEN
            RAISE EXCEPTION '% has no single-column primary key', root_table
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Name the key column.';
        END IF;
    END IF;
    PERFORM steward.privacy_column(root_table, key_column);
    IF NOT EXISTS (SELECT FROM pg_index i
                   WHERE i.indrelid = root_table AND i.indisunique AND i.indnkeyatts = 1
                     AND i.indkey[0] = (steward.privacy_column(root_table, key_column)).attnum
                     AND i.indpred IS NULL) THEN
        RAISE EXCEPTION 'column "%" of % is not unique', key_column, root_table
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A subject''s key names one row of its root table.',
                  HINT = 'Use the primary key, or add a unique index on the column.';
    END IF;
    -- redefining a subject rooted elsewhere needs that table's owner too
    SELECT s.root_table INTO old FROM steward.subjects s WHERE s.name = subject_define.name;
    IF old IS NOT NULL AND old <> root_table THEN
        PERFORM steward.subject_write(old, name, NULL);
    END IF;
    PERFORM steward.subject_write(root_table, name, key_column);
END
$$;

COMMENT ON FUNCTION steward.subject_define(text, regclass, name) IS
  'Define a kind of data subject: the table with one row per person and its unique key column (default: the primary key)';

CREATE FUNCTION steward.subject_drop(name text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    root regclass;
BEGIN
    SELECT s.root_table INTO root FROM steward.subjects s WHERE s.name = subject_drop.name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM steward.subject_write(root, name, NULL);
    RETURN true;
END
$$;

COMMENT ON FUNCTION steward.subject_drop(text) IS
  'Forget a subject and its declared links (false if there was none); needs the root table''s owner';

CREATE FUNCTION steward.subject_get(name text)
RETURNS steward.subjects
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'subject must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO s FROM steward.subjects x WHERE x.name = subject_get.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'subject "%" does not exist', name USING ERRCODE = 'undefined_object',
            HINT = 'Define it with steward.subject_define().';
    END IF;
    RETURN s;
END
$$;

COMMENT ON FUNCTION steward.subject_get(text) IS 'Internal: a subject''s definition, or an error naming it';

CREATE FUNCTION steward.subject_link(name text, relation regclass, column_name name,
                                     via regclass DEFAULT NULL, via_column name DEFAULT NULL,
                                     json_path text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects := steward.subject_get(name);
    col record;
BEGIN
    via := coalesce(via, s.root_table);
    IF via_column IS NULL THEN
        via_column := CASE WHEN via = s.root_table THEN s.key_column END;
        IF via_column IS NULL THEN
            SELECT a.attname INTO via_column
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = via AND i.indisprimary AND i.indnkeyatts = 1;
        END IF;
        IF via_column IS NULL THEN
            RAISE EXCEPTION '% has no single-column primary key', via
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Name via_column.';
        END IF;
    END IF;
    col := steward.privacy_column(relation, column_name);
    PERFORM steward.privacy_column(via, via_column);
    -- a table joins the map only with the consent of the root's owner (an
    -- erasure runs its triggers as whoever erases)
    PERFORM steward.require_own_table(s.root_table);
    IF json_path IS NOT NULL THEN
        IF col.atttypid <> 'jsonb'::regtype THEN
            RAISE EXCEPTION 'column "%" of % is not jsonb, so it has no json_path', column_name, relation
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        IF cardinality(json_path) = 0 OR array_position(json_path, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'json_path must be a non-empty array of keys' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    IF relation = via THEN
        RAISE EXCEPTION 'a link joins two different tables' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM steward.subject_link_write(relation, name, column_name, via, via_column, json_path);
END
$$;

COMMENT ON FUNCTION steward.subject_link(text, regclass, name, regclass, name, text[]) IS
  'Declare a link without a foreign key: relation.column_name (or the field json_path of a jsonb column) holds via.via_column (default: the subject''s key)';

CREATE FUNCTION steward.subject_unlink(name text, relation regclass, column_name name)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT steward.subject_link_write(relation, name, column_name, NULL, NULL, NULL)
$$;

COMMENT ON FUNCTION steward.subject_unlink(text, regclass, name) IS 'Forget a declared link';

-- ---- personal data and holds

CREATE FUNCTION steward.personal_data(relation regclass, column_name name, category text,
                                      on_erase text DEFAULT 'delete', mask regproc DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col record;
    fn record;
    notified record;
BEGIN
    col := steward.privacy_column(relation, column_name);
    IF category IS NULL OR btrim(category) = '' THEN
        RAISE EXCEPTION 'category must not be empty' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example identity, contact, financial, location, online identifier, health.';
    END IF;
    IF on_erase IS NULL OR on_erase NOT IN ('delete', 'anonymize', 'keep') THEN
        RAISE EXCEPTION 'on_erase must be delete, anonymize or keep' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- an erasure runs the mask with the rights of whoever erases: only
    -- pg_steward's own masking functions, never code a table owner wrote
    IF mask IS NOT NULL THEN
        SELECT p.pronargs, p.proargtypes[0] AS argtype, p.prorettype, n.nspname INTO fn
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = mask;
        IF fn.nspname <> 'steward' OR NOT (mask::text ~ '^steward\.(mask_|pseudo_)') THEN
            RAISE EXCEPTION 'mask must be one of pg_steward''s masking functions (steward.mask_* or steward.pseudo_*)'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- not every steward.mask_* function is a mask (mask_role grants,
        -- mask_refresh rewrites a table): the masking functions by name
        IF mask::text NOT IN ('steward.mask_email', 'steward.mask_phone', 'steward.mask_card', 'steward.mask_iban',
                              'steward.mask_redact', 'steward.mask_hash', 'steward.pseudo_email',
                              'steward.pseudo_first_name', 'steward.pseudo_last_name', 'steward.pseudo_city')
           AND fn.pronargs = 1 THEN
            RAISE EXCEPTION 'mask % is not a masking function', mask
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use one of mask_email, mask_phone, mask_card, mask_iban, mask_redact, mask_hash, pseudo_email, pseudo_first_name, pseudo_last_name, pseudo_city.';
        END IF;
        IF fn.pronargs <> 1 THEN
            RAISE EXCEPTION 'mask % takes % arguments; an erasure calls it with the column alone', mask, fn.pronargs
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use a one-argument mask such as steward.mask_email or steward.pseudo_email.';
        END IF;
    END IF;
    PERFORM steward.personal_data_write(relation, column_name, category, on_erase, mask);
    -- personal data never travels in a notification: a column whose values
    -- the table's notifications carry is taken out of them
    FOR notified IN SELECT * FROM steward.notified_tables t
                    WHERE t.relation = personal_data.relation AND personal_data.column_name = ANY (t.columns)
    LOOP
        PERFORM steward.notify_enable(relation, notified.channel, array_remove(notified.columns, personal_data.column_name));
        RAISE NOTICE 'the notifications of % no longer carry the values of column "%"', relation, column_name;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.personal_data(regclass, name, text, text, regproc) IS
  'Declare a column as personal data: its category and what an erasure does to it (delete the row, anonymize the value, keep it); mask: a one-argument steward.mask_*/pseudo_* function for anonymizing';

CREATE FUNCTION steward.personal_data_drop(relation regclass, column_name name)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT steward.personal_data_write(relation, column_name, NULL, NULL, NULL)
$$;

COMMENT ON FUNCTION steward.personal_data_drop(regclass, name) IS 'Forget a personal-data declaration';

CREATE FUNCTION steward.subject_hold(relation regclass, reason text, keep interval DEFAULT NULL,
                                     age_column name DEFAULT NULL, until_column name DEFAULT NULL,
                                     action text DEFAULT 'anonymize')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t oid;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a hold needs a reason' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example: invoices are kept 10 years (tax law).';
    END IF;
    IF action IS NULL OR action NOT IN ('anonymize', 'refuse') THEN
        RAISE EXCEPTION 'action must be anonymize or refuse' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (keep IS NULL) <> (age_column IS NULL) THEN
        RAISE EXCEPTION 'keep and age_column go together' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'keep => ''10 years'', age_column => ''issued_at'': a row is held until issued_at + 10 years.';
    END IF;
    IF keep IS NOT NULL AND until_column IS NOT NULL THEN
        RAISE EXCEPTION 'a hold lasts either keep after age_column or until until_column' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF keep IS NOT NULL AND keep < interval '0' THEN
        RAISE EXCEPTION 'keep must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH t IN ARRAY ARRAY[(steward.privacy_column(relation, coalesce(age_column, until_column))).atttypid]
    LOOP
        IF coalesce(age_column, until_column) IS NOT NULL
           AND t NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
            RAISE EXCEPTION 'column "%" of % is not a date or timestamp', coalesce(age_column, until_column), relation
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END LOOP;
    PERFORM steward.subject_hold_write(relation, reason, keep, age_column, until_column, action);
EXCEPTION WHEN null_value_not_allowed THEN
    -- neither column given: a hold on every row, for good
    IF age_column IS NULL AND until_column IS NULL THEN
        PERFORM steward.privacy_column(relation, (SELECT a.attname FROM pg_attribute a
                                                  WHERE a.attrelid = relation AND a.attnum > 0
                                                    AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1));
        PERFORM steward.subject_hold_write(relation, reason, keep, age_column, until_column, action);
    ELSE
        RAISE;
    END IF;
END
$$;

COMMENT ON FUNCTION steward.subject_hold(regclass, text, interval, name, name, text) IS
  'Legal hold on a table''s rows (e.g. invoices kept 10 years): for good, keep after age_column, or until until_column; erasure anonymizes held rows instead of deleting them (action anonymize) or is refused (action refuse)';

CREATE FUNCTION steward.subject_hold_drop(relation regclass)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT steward.subject_hold_write(relation, NULL, NULL, NULL, NULL, NULL)
$$;

COMMENT ON FUNCTION steward.subject_hold_drop(regclass) IS 'Lift a table''s legal hold';

-- The condition under which a row of a held table is held (SQL over the
-- table's columns, alias t), or NULL when the table has no hold.
CREATE FUNCTION steward.privacy_hold_condition(relation regclass)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN h.until_column IS NOT NULL
              THEN format('coalesce(t.%I OPERATOR(pg_catalog.>=) pg_catalog.now(), false)', h.until_column)
              WHEN h.age_column IS NOT NULL
              THEN format('coalesce((t.%I OPERATOR(pg_catalog.+) %L::pg_catalog.interval) OPERATOR(pg_catalog.>=) pg_catalog.now(), false)',
                          h.age_column, h.keep)
              ELSE 'true' END
  FROM steward.subject_holds h WHERE h.relation = privacy_hold_condition.relation
$$;

COMMENT ON FUNCTION steward.privacy_hold_condition(regclass) IS
  'Internal: the SQL condition (over alias t) under which a row of the table is held, NULL without a hold';

-- What an erasure writes into a column it anonymizes: the declared mask,
-- else NULL, else a constant of the type (steward.mask_redact), else for a
-- unique text column a random marker (two erased rows must not collide).
CREATE FUNCTION steward.privacy_anonymizer(relation regclass, column_name name)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
           WHEN p.mask IS NOT NULL THEN format('%s(t.%I)', p.mask, a.attname)
           WHEN NOT a.attnotnull THEN 'NULL'
           WHEN ty.typcategory = 'S' AND EXISTS (SELECT FROM pg_index i
                                                  WHERE i.indrelid = a.attrelid AND i.indisunique
                                                    AND a.attnum = ANY (i.indkey::int2[]))
             THEN format('(%L::pg_catalog.text OPERATOR(pg_catalog.||) pg_catalog.md5(pg_catalog.random()::pg_catalog.text))::%s', 'erased-', format_type(a.atttypid, a.atttypmod))
           ELSE format('steward.mask_redact(t.%I)', a.attname)
         END
  FROM pg_attribute a
  JOIN pg_type ty ON ty.oid = a.atttypid
  LEFT JOIN steward.personal_columns p ON p.relation = a.attrelid AND p.column_name = a.attname
  WHERE a.attrelid = privacy_anonymizer.relation AND a.attname = privacy_anonymizer.column_name
    AND NOT a.attisdropped
$$;

COMMENT ON FUNCTION steward.privacy_anonymizer(regclass, name) IS
  'Internal: the SQL expression (over alias t) an erasure writes into an anonymized column';

-- Whether a column still needs anonymizing (SQL over alias t): anonymizing
-- twice changes nothing, so erasing again or a second retention run is a
-- no-op.  A mask function is taken as done when applying it again gives
-- the same value: "distinct" with the equality of the column's type,
-- schema-qualified (the condition runs with the caller's search_path), the
-- mask's value cast to the type that equality takes; as text for a type
-- without one.
CREATE FUNCTION steward.privacy_pending(relation regclass, column_name name)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN e = 'NULL' THEN format('t.%I IS NOT NULL', column_name)
              WHEN e LIKE '(''erased-''%'
              THEN format('NOT (t.%I::pg_catalog.text OPERATOR(pg_catalog.~~) %L::pg_catalog.text)', column_name, 'erased-%')
              WHEN eq.op IS NULL
              THEN format('NOT COALESCE(t.%1$I::pg_catalog.text OPERATOR(pg_catalog.=) (%2$s)::pg_catalog.text, t.%1$I IS NULL AND (%2$s) IS NULL)',
                          column_name, e)
              ELSE format('NOT COALESCE(t.%1$I %3$s (%2$s)::%4$s, t.%1$I IS NULL AND (%2$s) IS NULL)',
                          column_name, e, eq.op, eq.arg) END
  FROM (SELECT steward.privacy_anonymizer(relation, column_name) AS e) x
  LEFT JOIN LATERAL (
      SELECT format('OPERATOR(%I.%s)', ns.nspname, op.oprname) AS op,
             format_type(CASE WHEN rt.typtype = 'p' THEN a.atttypid ELSE op.oprright END, NULL) AS arg
      FROM pg_attribute a
      JOIN pg_operator op ON op.oid = steward.type_equality(a.atttypid::regtype)
      JOIN pg_namespace ns ON ns.oid = op.oprnamespace
      JOIN pg_type rt ON rt.oid = op.oprright
      WHERE a.attrelid = privacy_pending.relation AND a.attname = privacy_pending.column_name
        AND NOT a.attisdropped) eq ON true
$$;

COMMENT ON FUNCTION steward.privacy_pending(regclass, name) IS
  'Internal: the SQL condition (over alias t) under which a column of a row is not yet anonymized';

CREATE VIEW steward.personal_data_map AS
  SELECT p.relation, p.column_name, p.category, p.on_erase, p.mask::pg_catalog.regproc AS mask,
         h.reason AS hold_reason, p.declared_by, p.declared_at
  FROM steward.personal_columns p
  LEFT JOIN steward.subject_holds h ON h.relation = p.relation;

COMMENT ON VIEW steward.personal_data_map IS
  'Declared personal data: each column, its category, what erasure does to it, and its table''s legal hold';
GRANT SELECT ON steward.personal_data_map TO PUBLIC;

-- ---- the subject map

CREATE TYPE steward.subject_edge AS (
    node           integer,
    depth          integer,
    relation       regclass,
    parent_node    integer,
    parent         regclass,
    link           text,
    columns        name[],
    parent_columns name[],
    json_path      text[]
);

COMMENT ON TYPE steward.subject_edge IS
  'One way to reach a table of a subject''s data: from parent (node parent_node), rows of relation whose columns match the parent rows'' parent_columns';

-- Walks the foreign keys from the root, breadth first, level by level:
-- tables that reference a table of the map (their rows are the subject's),
-- declared links, then tables that a table of the map references and that
-- hold declared personal data (an address; their rows are the subject's
-- only when nobody else references them, which erasure checks).  A
-- partition's foreign key counts for its partitioned table: the table is
-- one unit even when only some partitions carry the key.  A table comes
-- once, at the first level that reaches it; edges from the same level
-- above are all kept (each adds rows), edges back up are not followed.
CREATE FUNCTION steward.subject_map(name text)
RETURNS SETOF steward.subject_edge
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects := steward.subject_get(name);
    nodes regclass[] := ARRAY[s.root_table];
    depths integer[] := ARRAY[0];
    kinds text[] := ARRAY['root'];
    d integer := 0;
    j integer;
    e steward.subject_edge;
    r record;
    pass integer;
    front integer[];
    m_node integer[];
    m_rel oid[];
BEGIN
    e := ROW(1, 0, s.root_table, NULL, NULL, 'root', ARRAY[s.key_column], NULL, NULL);
    RETURN NEXT e;
    LOOP
        -- one level at a time: the tables found at depth d (but referenced
        -- tables, which the map does not go beyond), each with its
        -- partitions, whose foreign keys count for it
        front := ARRAY(SELECT k FROM generate_subscripts(nodes, 1) k
                       WHERE depths[k] = d AND kinds[k] <> 'referenced' ORDER BY k);
        EXIT WHEN cardinality(front) = 0;
        SELECT array_agg(x.k ORDER BY x.k, x.rel), array_agg(x.rel ORDER BY x.k, x.rel) INTO m_node, m_rel
        FROM (SELECT k, nodes[k]::oid AS rel FROM unnest(front) k
              UNION
              SELECT k, t.relid::oid FROM unnest(front) k, pg_partition_tree(nodes[k]) t) x;
        FOR pass IN 1..2 LOOP
            -- every look-up goes through a catalog index (pg_depend by the
            -- referenced table, pg_constraint by the referencing one): the
            -- map costs what its own tables cost, whatever else the
            -- database holds
            FOR r IN
                SELECT * FROM (
                    -- pass 1: foreign keys to the level's tables, and declared links
                    SELECT DISTINCT m.k AS i, coalesce(pg_partition_root(c.conrelid), c.conrelid)::regclass AS rel,
                           'foreign key' AS link,
                           ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY q(n, o)
                                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = q.n ORDER BY q.o) AS cols,
                           ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY q(n, o)
                                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = q.n ORDER BY q.o) AS pcols,
                           NULL::text[] AS path
                    FROM unnest(m_node, m_rel) m(k, relid)
                    JOIN pg_depend dep ON dep.refclassid = 'pg_class'::regclass AND dep.refobjid = m.relid
                                      AND dep.classid = 'pg_constraint'::regclass
                    JOIN pg_constraint c ON c.oid = dep.objid
                    WHERE pass = 1 AND c.contype = 'f' AND c.conparentid = 0 AND c.confrelid = m.relid
                    UNION ALL
                    SELECT k, l.relation, 'declared', ARRAY[l.column_name], ARRAY[l.via_column], l.json_path
                    FROM unnest(front) k
                    JOIN steward.subject_links l ON l.subject = s.name AND l.via = nodes[k]
                    WHERE pass = 1
                    UNION ALL
                    -- pass 2: tables with personal data the level's tables reference
                    SELECT DISTINCT m.k, coalesce(pg_partition_root(c.confrelid), c.confrelid)::regclass,
                           'referenced',
                           ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY q(n, o)
                                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = q.n ORDER BY q.o),
                           ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY q(n, o)
                                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = q.n ORDER BY q.o),
                           NULL::text[]
                    FROM unnest(m_node, m_rel) m(k, relid)
                    JOIN pg_constraint c ON c.conrelid = m.relid
                    WHERE pass = 2 AND c.contype = 'f' AND c.conparentid = 0
                      AND EXISTS (SELECT FROM steward.personal_columns p
                                  WHERE p.relation = coalesce(pg_partition_root(c.confrelid), c.confrelid))
                ) x
                ORDER BY x.i, x.rel::text, x.link, x.cols::text
            LOOP
                CONTINUE WHEN r.rel = nodes[r.i];
                j := array_position(nodes, r.rel);
                IF j IS NULL THEN
                    nodes := nodes || r.rel;
                    depths := depths || (d + 1);
                    kinds := kinds || CASE WHEN r.link = 'referenced' THEN 'referenced' ELSE 'child' END;
                    j := cardinality(nodes);
                ELSIF depths[j] <> d + 1 OR (kinds[j] = 'referenced') <> (r.link = 'referenced') THEN
                    CONTINUE;
                END IF;
                e := ROW(j, d + 1, r.rel, r.i, nodes[r.i], r.link, r.cols, r.pcols, r.path);
                RETURN NEXT e;
            END LOOP;
        END LOOP;
        d := d + 1;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.subject_map(text) IS
  'Every table that holds data of a subject and how it is reached from the root: foreign keys (partitioned tables as one unit), declared links, and referenced tables with personal data';

CREATE FUNCTION steward.subject_discover(name text)
RETURNS TABLE (relation regclass, column_name name, via regclass, via_column name, reason text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects := steward.subject_get(name);
    keytype oid := (steward.privacy_column(s.root_table, s.key_column)).atttypid;
    mapped regclass[] := ARRAY(SELECT DISTINCT m.relation FROM steward.subject_map(name) m);
    base text := regexp_replace(s.root_table::regclass::text, '^.*\.', '');
BEGIN
    base := trim(both '"' from base);
    -- columns named like the key (customer_id, customers_id, customer) with
    -- a type that compares with it, outside the map and without a link
    RETURN QUERY
    SELECT c.oid::regclass, a.attname, s.root_table, s.key_column,
           format('named like the key of %s and of a comparable type (%s), but no foreign key or link',
                  s.root_table, format_type(a.atttypid, NULL))
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'steward') AND n.nspname !~ '^pg_'
      AND c.oid <> s.root_table AND NOT c.oid = ANY (mapped)
      AND a.attname IN (SELECT stem || suffix
                        FROM unnest(ARRAY[s.name, base, rtrim(base, 's')]) stem,
                             unnest(ARRAY['', '_' || s.key_column, '_id', '_ref', '_key', '_no', '_number']) suffix)
      AND (a.atttypid = keytype
           OR (SELECT t.typcategory FROM pg_type t WHERE t.oid = a.atttypid)
              = (SELECT t.typcategory FROM pg_type t WHERE t.oid = keytype))
      AND NOT EXISTS (SELECT FROM steward.subject_links l
                      WHERE l.subject = s.name AND l.relation = c.oid AND l.column_name = a.attname)
    ORDER BY 1::text, 2;
END
$$;

COMMENT ON FUNCTION steward.subject_discover(text) IS
  'Suggest links the map lacks: columns outside it named like the subject''s key with a comparable type; it only suggests, never declares';

-- ---- the foreign keys of a map's tables

CREATE TYPE steward.privacy_fk AS (
    parent   regclass,
    rel      regclass,
    cols     text[],
    pcols    text[],
    nullable boolean
);

COMMENT ON TYPE steward.privacy_fk IS
  'A foreign key that references a table of a subject''s map: rel (cols) references parent (pcols); nullable: every referencing column may be NULL';

-- Every foreign key that references one of the tables (or one of their
-- partitions), from any table, found through the catalog's indexes
-- (pg_depend by referenced table): what an erasure needs to know about
-- who references the rows it deletes, at a cost that does not grow with
-- the number of other tables in the database.
CREATE FUNCTION steward.privacy_fks(tables regclass[])
RETURNS SETOF steward.privacy_fk
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT DISTINCT m.node,
         coalesce(pg_partition_root(c.conrelid), c.conrelid)::regclass,
         ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY q(n, o)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = q.n ORDER BY q.o),
         ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY q(n, o)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = q.n ORDER BY q.o),
         (SELECT bool_and(NOT a.attnotnull) FROM unnest(c.conkey) q(n)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = q.n)
  FROM (SELECT t AS node, t::oid AS relid FROM unnest(tables) t
        UNION
        SELECT t, p.relid::oid FROM unnest(tables) t, pg_partition_tree(t) p) m
  JOIN pg_depend dep ON dep.refclassid = 'pg_class'::regclass AND dep.refobjid = m.relid
                    AND dep.classid = 'pg_constraint'::regclass
  JOIN pg_constraint c ON c.oid = dep.objid
  WHERE c.contype = 'f' AND c.conparentid = 0 AND c.confrelid = m.relid
$$;

COMMENT ON FUNCTION steward.privacy_fks(regclass[]) IS
  'Internal: the foreign keys that reference the tables (partitioned tables as one unit), found through catalog indexes';

-- The rows of node, among locs ("tableoid:ctid"), that rows of rel
-- reference through the foreign key rel (cols) -> node (pcols), leaving
-- out the referencing rows in exclude; NULL when none.  Run with the
-- eraser's search_path and rights, as the erasure's other statements.
CREATE FUNCTION steward.privacy_referenced(node regclass, locs text[], rel regclass, cols text[], pcols text[],
                                           exclude text[], user_path text)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found text[];
    stmt text;
    tids tid[] := steward.privacy_tids(locs);
    left_out text[] := coalesce(exclude, '{}');
BEGIN
    -- built here, run with the caller's search_path below: operators are
    -- schema-qualified (the key's own equality, see privacy_edge_condition)
    stmt := format('SELECT pg_catalog.array_agg(pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid)) FROM %1$s t
                 WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)
                   AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($2)
                   AND EXISTS (SELECT FROM %2$s r WHERE %3$s
                                 AND NOT pg_catalog.concat(r.tableoid::pg_catalog.oid, '':'', r.ctid) OPERATOR(pg_catalog.=) ANY ($3))',
                node, rel,
                (SELECT string_agg(format('r.%I %s t.%I', x,
                                          coalesce((SELECT format('OPERATOR(%I.%s)', ns.nspname, op.oprname)
                                                    FROM pg_attribute a
                                                    JOIN pg_operator op ON op.oid = steward.type_equality(a.atttypid::regtype)
                                                    JOIN pg_namespace ns ON ns.oid = op.oprnamespace
                                                    WHERE a.attrelid = rel AND a.attname = x AND NOT a.attisdropped),
                                                   'OPERATOR(pg_catalog.=)'),
                                          pcols[o]), ' AND ' ORDER BY o)
                 FROM unnest(cols) WITH ORDINALITY u(x, o)));
    PERFORM steward.privacy_use_path(user_path);
    EXECUTE stmt INTO found USING tids, locs, left_out;
    PERFORM steward.privacy_use_path(NULL);
    RETURN found;
END
$$;

COMMENT ON FUNCTION steward.privacy_referenced(regclass, text[], regclass, text[], text[], text[], text) IS
  'Internal: the rows of a table (by location) that rows of another table reference through a foreign key, leaving out some referencing rows';

-- ---- reading a subject's rows

-- The SQL condition selecting the rows of edge e's table reached from the
-- parent rows (a jsonb array of them, the SQL expression parent_rows), over
-- alias t.
CREATE FUNCTION steward.privacy_edge_condition(e steward.subject_edge, parent_rows text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    eq text[];
BEGIN
    -- the condition runs with the caller's search_path: every operator is
    -- schema-qualified, and columns compare with the equality operator of
    -- t's column type (the one an index on it supports, citext's own =)
    eq := ARRAY(SELECT coalesce((SELECT format('OPERATOR(%I.%s)', n.nspname, op.oprname)
                                 FROM pg_attribute a
                                 JOIN pg_operator op ON op.oid = steward.type_equality(a.atttypid::regtype)
                                 JOIN pg_namespace n ON n.oid = op.oprnamespace
                                 WHERE a.attrelid = e.relation AND a.attname = c AND NOT a.attisdropped),
                                'OPERATOR(pg_catalog.=)')
                FROM unnest(e.columns) WITH ORDINALITY x(c, o) ORDER BY o);
    IF e.link = 'declared' THEN
        IF e.json_path IS NOT NULL THEN
            RETURN format('(t.%I OPERATOR(pg_catalog.#>>) %L::pg_catalog.text[]) OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT (p.%I)::pg_catalog.text FROM pg_catalog.jsonb_populate_recordset(NULL::%s, %s) p))',
                          e.columns[1], e.json_path, e.parent_columns[1], e.parent, parent_rows);
        END IF;
        RETURN format('t.%I %s ANY (ARRAY(SELECT (p.%I)::%s FROM pg_catalog.jsonb_populate_recordset(NULL::%s, %s) p))',
                      e.columns[1], eq[1], e.parent_columns[1],
                      (SELECT format_type(a.atttypid, NULL) FROM pg_attribute a
                       WHERE a.attrelid = e.relation AND a.attname = e.columns[1]),
                      e.parent, parent_rows);
    END IF;
    IF cardinality(e.columns) = 1 THEN
        RETURN format('t.%I %s ANY (ARRAY(SELECT p.%I FROM pg_catalog.jsonb_populate_recordset(NULL::%s, %s) p))',
                      e.columns[1], eq[1], e.parent_columns[1], e.parent, parent_rows);
    END IF;
    RETURN format('EXISTS (SELECT FROM pg_catalog.jsonb_populate_recordset(NULL::%s, %s) p WHERE %s)',
                  e.parent, parent_rows,
                  (SELECT string_agg(format('t.%I %s p.%I', c, eq[o], e.parent_columns[o]), ' AND ' ORDER BY o)
                   FROM unnest(e.columns) WITH ORDINALITY x(c, o)));
END
$$;

COMMENT ON FUNCTION steward.privacy_edge_condition(steward.subject_edge, text) IS
  'Internal: the condition (over alias t, parent rows as a jsonb array given by an SQL expression) that selects the rows an edge of the subject map reaches';

-- The subject's rows, table by table, in map order: node, table, the rows
-- (jsonb array) and where they are ("tableoid:ctid" of each).  lock: FOR
-- UPDATE, so that no row changes between reading and erasing it.
CREATE FUNCTION steward.privacy_collect(name text, key text, lock boolean, user_path text,
                                        OUT nodes regclass[], OUT kinds text[],
                                        OUT row_sets jsonb[], OUT locations text[],
                                        OUT edges steward.subject_edge[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects := steward.subject_get(name);
    n integer;
    cond text;
    found_rows jsonb;
    locs text[];
    keytype text;
    keyeq text;
    plaintype text;
    stmt text;
    parents jsonb;
    fits boolean;
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'key must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    edges := ARRAY(SELECT m FROM steward.subject_map(name) m);
    nodes := ARRAY(SELECT DISTINCT ON (m.node) m.relation FROM unnest(edges) m ORDER BY m.node);
    kinds := ARRAY(SELECT DISTINCT ON (m.node) m.link FROM unnest(edges) m ORDER BY m.node);
    -- the key compares with its type's own equality, schema-qualified: the
    -- statement below runs with the caller's search_path
    SELECT format_type(a.atttypid, a.atttypmod),
           coalesce((SELECT format('OPERATOR(%I.%s)', ns.nspname, op.oprname)
                     FROM pg_operator op JOIN pg_namespace ns ON ns.oid = op.oprnamespace
                     WHERE op.oid = steward.type_equality(a.atttypid::regtype)),
                    'OPERATOR(pg_catalog.=)'),
           format_type(a.atttypid, NULL)
    INTO keytype, keyeq, plaintype FROM pg_attribute a
    WHERE a.attrelid = s.root_table AND a.attname = s.key_column;
    -- a key that the column's size would cut or round names someone else
    EXECUTE format('SELECT $1::%s %s $1::%s', plaintype, keyeq, keytype) INTO fits USING key;
    IF NOT coalesce(fits, false) THEN
        RAISE EXCEPTION 'the key does not fit column % of %', s.key_column, s.root_table
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('As a value of type %s it would be cut or rounded, and name another %s.', keytype, s.name);
    END IF;
    row_sets := array_fill(NULL::jsonb, ARRAY[cardinality(nodes)]);
    locations := array_fill(NULL::text, ARRAY[cardinality(nodes)]);
    FOR n IN 1..cardinality(nodes) LOOP
        IF n = 1 THEN
            cond := format('t.%I %s $2::%s', s.key_column, keyeq, keytype);
        ELSE
            -- each parent's rows are $1 -> its node number
            SELECT string_agg(steward.privacy_edge_condition(m, format('($1 OPERATOR(pg_catalog.->) %L::pg_catalog.text)', m.parent_node::text)),
                              ' OR ' ORDER BY m.parent_node) INTO cond
            FROM unnest(edges) m
            WHERE m.node = n AND jsonb_array_length(coalesce(row_sets[m.parent_node], '[]')) > 0;
            CONTINUE WHEN cond IS NULL;
        END IF;
        -- (t.*: a column named t would otherwise stand for the row)
        stmt := format('SELECT pg_catalog.jsonb_agg(x.r ORDER BY x.loc), pg_catalog.array_agg(x.loc ORDER BY x.loc)
                     FROM (SELECT pg_catalog.to_jsonb(t.*) AS r, pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) AS loc
                           FROM %s t WHERE %s %s) x',
                    nodes[n], cond, CASE WHEN lock THEN 'FOR UPDATE OF t' ELSE '' END);
        parents := (SELECT jsonb_object_agg(m.parent_node::text, row_sets[m.parent_node])
                    FROM unnest(edges) m
                    WHERE m.node = n AND row_sets[m.parent_node] IS NOT NULL);
        -- only the statement runs with the caller's search_path (plpgsql
        -- parses an expression when it first runs: none may run meanwhile)
        PERFORM steward.privacy_use_path(user_path);
        EXECUTE stmt INTO found_rows, locs USING parents, key;
        PERFORM steward.privacy_use_path(NULL);
        row_sets[n] := coalesce(found_rows, '[]');
        locations[n] := coalesce(locs, '{}')::text;
        EXIT WHEN n = 1 AND found_rows IS NULL;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.privacy_collect(text, text, boolean, text) IS
  'Internal: a subject''s rows, table by table in map order, as jsonb with their locations (optionally locked FOR UPDATE), and the map''s edges';

-- ---- export (Art. 15 and 20)

CREATE FUNCTION steward.privacy_export(name text, key text, request_id bigint, user_path text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
    tables jsonb := '{}';
    counts jsonb := '{}';
    n integer;
    consents jsonb;
BEGIN
    c := steward.privacy_collect(name, key, false, user_path);
    FOR n IN 1..cardinality(c.nodes) LOOP
        CONTINUE WHEN c.row_sets[n] IS NULL OR jsonb_array_length(c.row_sets[n]) = 0;
        tables := tables || jsonb_build_object(c.nodes[n]::text, jsonb_build_object(
                    'link', c.kinds[n],
                    'categories', coalesce((SELECT jsonb_agg(DISTINCT p.category ORDER BY p.category)
                                            FROM steward.personal_columns p WHERE p.relation = c.nodes[n]), '[]'),
                    'rows', c.row_sets[n]));
        counts := counts || jsonb_build_object(c.nodes[n]::text, jsonb_array_length(c.row_sets[n]));
    END LOOP;
    consents := steward.consent_of(name, key);
    IF request_id IS NOT NULL THEN
        PERFORM steward.request_complete(request_id, format('exported %s rows from %s tables',
                  (SELECT coalesce(sum(v::bigint), 0) FROM jsonb_each_text(counts) x(k, v)),
                  (SELECT count(*) FROM jsonb_object_keys(counts))));
    END IF;
    RETURN jsonb_build_object(
        'subject', name,
        'key', key,
        'generated_at', now(),
        'generated_by', current_user,
        'found', counts <> '{}',
        'row_counts', counts,
        'categories', coalesce((SELECT jsonb_agg(DISTINCT p.category ORDER BY p.category)
                                FROM steward.personal_columns p
                                WHERE p.relation = ANY (SELECT c.nodes[k] FROM generate_subscripts(c.nodes, 1) k
                                                        WHERE jsonb_array_length(coalesce(c.row_sets[k], '[]')) > 0)), '[]'),
        'tables', tables,
        'consents', consents);
END
$$;

COMMENT ON FUNCTION steward.privacy_export(text, text, bigint, text) IS
  'Internal: the work of steward.subject_export';
REVOKE EXECUTE ON FUNCTION steward.privacy_export(text, text, bigint, text) FROM PUBLIC;

-- The entry points have no SET clause: they pass the caller's search_path on.
CREATE FUNCTION steward.subject_export(name text, key text, request_id bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql
AS $$
  SELECT steward.privacy_export(name, key, request_id, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION steward.subject_export(text, text, bigint) IS
  'Everything held about one person as one jsonb document: every row of the subject, by table, with counts and categories, and their consents (Art. 15/20); runs with the caller''s rights; completes request_id';
REVOKE EXECUTE ON FUNCTION steward.subject_export(text, text, bigint) FROM PUBLIC;

CREATE FUNCTION steward.privacy_export_csv(name text, key text, user_path text)
RETURNS TABLE (relation regclass, csv text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
    n integer;
    cols name[];
BEGIN
    c := steward.privacy_collect(name, key, false, user_path);
    FOR n IN 1..cardinality(c.nodes) LOOP
        CONTINUE WHEN c.row_sets[n] IS NULL OR jsonb_array_length(c.row_sets[n]) = 0;
        cols := ARRAY(SELECT a.attname FROM pg_attribute a
                      WHERE a.attrelid = c.nodes[n] AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum);
        relation := c.nodes[n];
        -- RFC 4180: a field with a comma, quote or line break is quoted
        SELECT string_agg(line, E'\r\n' ORDER BY o) || E'\r\n' INTO csv
        FROM (SELECT 0 AS o, string_agg(steward.privacy_csv_field(x::text), ',' ORDER BY k) AS line
              FROM unnest(cols) WITH ORDINALITY u(x, k)
              UNION ALL
              SELECT r.o, string_agg(steward.privacy_csv_field(r.row ->> col), ',' ORDER BY k)
              FROM jsonb_array_elements(c.row_sets[n]) WITH ORDINALITY r(row, o),
                   unnest(cols) WITH ORDINALITY u(col, k)
              GROUP BY r.o) lines;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.privacy_export_csv(text, text, text) IS
  'Internal: the work of steward.subject_export_csv';
REVOKE EXECUTE ON FUNCTION steward.privacy_export_csv(text, text, text) FROM PUBLIC;

CREATE FUNCTION steward.subject_export_csv(name text, key text)
RETURNS TABLE (relation regclass, csv text)
LANGUAGE sql
AS $$
  SELECT * FROM steward.privacy_export_csv(name, key, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION steward.subject_export_csv(text, text) IS
  'The subject''s rows as one CSV document (RFC 4180, with a header) per table; runs with the caller''s rights';
REVOKE EXECUTE ON FUNCTION steward.subject_export_csv(text, text) FROM PUBLIC;

CREATE FUNCTION steward.privacy_csv_field(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN value IS NULL THEN ''
              WHEN value ~ '[",\r\n]' OR value <> btrim(value) THEN '"' || replace(value, '"', '""') || '"'
              ELSE value END
$$;

COMMENT ON FUNCTION steward.privacy_csv_field(text) IS 'Internal: a CSV field (RFC 4180 quoting; NULL is empty)';

-- ---- erasure (Art. 17)

CREATE TABLE steward.erasure_log (
    id          bigserial   PRIMARY KEY,
    subject     text        NOT NULL,
    key_hash    text        NOT NULL,
    erased_by   name        NOT NULL,
    erased_at   timestamptz NOT NULL DEFAULT now(),
    counts      jsonb       NOT NULL,
    rules       jsonb       NOT NULL,
    request_id  bigint
);

CREATE INDEX erasure_log_subject ON steward.erasure_log (subject, key_hash);

COMMENT ON TABLE steward.erasure_log IS
  'Erasure receipts: subject, keyed hash of the key (never the key), who, when, per-table counts and the rules applied; append-only, kept by pg_dump';
COMMENT ON COLUMN steward.erasure_log.key_hash IS 'steward.privacy_key_hash(subject, key): erasure_replay() finds the person again in a restored backup';
COMMENT ON COLUMN steward.erasure_log.counts IS 'Per table: rows deleted, anonymized, kept (shared), detached; audit records scrubbed; consents removed';
COMMENT ON COLUMN steward.erasure_log.rules IS 'The holds and anonymizations that applied';

SELECT pg_catalog.pg_extension_config_dump('steward.erasure_log', '');
SELECT pg_catalog.pg_extension_config_dump('steward.erasure_log_id_seq', '');
COMMENT ON SEQUENCE steward.erasure_log_id_seq IS 'Ids of erasure receipts';
REVOKE ALL ON steward.erasure_log FROM PUBLIC;

CREATE FUNCTION steward.erasure_log_write(subject text, key_hash text, counts jsonb, rules jsonb, request_id bigint)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO steward.erasure_log (subject, key_hash, erased_by, counts, rules, request_id)
  VALUES (subject, key_hash, session_user, counts, rules, request_id)
  RETURNING id
$$;

COMMENT ON FUNCTION steward.erasure_log_write(text, text, jsonb, jsonb, bigint) IS
  'Internal: write an erasure receipt (called by steward.subject_erase; granted by steward.privacy_grant)';
REVOKE EXECUTE ON FUNCTION steward.erasure_log_write(text, text, jsonb, jsonb, bigint) FROM PUBLIC;

-- Replace the declared personal columns in the audit records of erased
-- rows.  The digest keeps covering the originals through their hashes, as
-- with steward.audit_redact, and the scrub is itself recorded.
CREATE FUNCTION steward.privacy_audit_scrub(relation regclass, keys jsonb[], columns text[], reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    sch text;
    tab text;
    k jsonb;
    ids bigint[] := '{}';
    erased CONSTANT jsonb := to_jsonb('[erased]'::text);
BEGIN
    SELECT ns.nspname, c.relname INTO sch, tab
    FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = relation;
    IF tab IS NULL OR columns IS NULL OR cardinality(columns) = 0 OR keys IS NULL THEN
        RETURN 0;
    END IF;
    FOREACH k IN ARRAY keys LOOP
        WITH changed AS (
            UPDATE steward.audit_log l
            SET old_values = CASE WHEN l.old_values ?| columns
                                  THEN l.old_values || (SELECT jsonb_object_agg(c, erased)
                                                        FROM unnest(columns) c WHERE l.old_values ? c)
                                  ELSE l.old_values END,
                new_values = CASE WHEN l.new_values ?| columns
                                  THEN l.new_values || (SELECT jsonb_object_agg(c, erased)
                                                        FROM unnest(columns) c WHERE l.new_values ? c)
                                  ELSE l.new_values END,
                redacted = coalesce(l.redacted, '{}')
                           || CASE WHEN l.old_values ?| columns AND NOT coalesce(l.redacted ? 'old_values', false)
                                   THEN jsonb_build_object('old_values', steward.audit_value_hash(l.old_values))
                                   ELSE '{}' END
                           || CASE WHEN l.new_values ?| columns AND NOT coalesce(l.redacted ? 'new_values', false)
                                   THEN jsonb_build_object('new_values', steward.audit_value_hash(l.new_values))
                                   ELSE '{}' END
            WHERE l.row_hash = (SELECT steward.audit_row_hash(sch, tab, k))
              AND l.schema_name = sch AND l.table_name = tab AND l.row_key = k
              -- a value not yet replaced
              AND EXISTS (SELECT FROM unnest(columns) c
                          WHERE (l.old_values ? c AND l.old_values -> c <> erased)
                             OR (l.new_values ? c AND l.new_values -> c <> erased))
            RETURNING l.id)
        SELECT ids || coalesce(array_agg(changed.id), '{}') INTO ids FROM changed;
    END LOOP;
    IF cardinality(ids) > 0 THEN
        -- one record of the redaction, naming every record it changed
        -- (steward.audit_verify looks for it)
        PERFORM steward.audit_event('AUDIT REDACT', sch, tab,
                                    jsonb_build_object('reason', reason, 'event_ids', to_jsonb(ids),
                                                       'columns', to_jsonb(columns)));
    END IF;
    RETURN cardinality(ids);
END
$$;

COMMENT ON FUNCTION steward.privacy_audit_scrub(regclass, jsonb[], text[], text) IS
  'Internal: replace the given columns in the audit records of the given rows (called by steward.subject_erase; granted by steward.privacy_grant)';
REVOKE EXECUTE ON FUNCTION steward.privacy_audit_scrub(regclass, jsonb[], text[], text) FROM PUBLIC;

-- The work of subject_erase and erasure_replay.  A dry run does the same
-- work and rolls it back (an exception caught below), so it reports the
-- very counts a real run would have.
CREATE FUNCTION steward.privacy_erase(name text, key text, dry_run boolean, request_id bigint, receipt boolean,
                                      user_path text)
RETURNS TABLE (relation regclass, action text, rows bigint, detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects := steward.subject_get(name);
    keytype text;
    canon text;
    hashed_key text;
    c record;
    nn integer;
    n integer;
    i integer;
    res_rel regclass[] := '{}';
    res_act text[] := '{}';
    res_rows bigint[] := '{}';
    res_detail text[] := '{}';
    del text[];
    anon text[];
    anon_why text[];
    held text[];
    dels text[];
    anons text[];
    done boolean[];
    dep_from integer[];
    dep_to integer[];
    hold steward.subject_holds;
    hcond text;
    f record;
    refd text[];
    k bigint;
    cols text[];
    sets text;
    pk name[];
    keys jsonb[];
    counts jsonb := '{}';
    rules jsonb := '[]';
    receipt_id bigint;
    refusal text;
    nothing boolean := false;
    edges steward.subject_edge[];
    own_now text[];
    prev_dels text[];
    pass_no integer;
    olds text[];
    news text[];
    jj integer;
    fks steward.privacy_fk[];
    e steward.subject_edge;
    mine text[];
    others text[];
    unlink text[];
    -- a statement on the user's tables, built before it runs with the
    -- caller's search_path (nothing else may be parsed meanwhile), and its
    -- arguments
    stmt text;
    tids tid[];
    parents jsonb;
    plaintype text;
    keyeq text;
    fits boolean;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF key IS NULL THEN
        RAISE EXCEPTION 'key must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT format_type(a.atttypid, a.atttypmod), format_type(a.atttypid, NULL),
           coalesce((SELECT format('OPERATOR(%I.%s)', ns.nspname, op.oprname)
                     FROM pg_operator op JOIN pg_namespace ns ON ns.oid = op.oprnamespace
                     WHERE op.oid = steward.type_equality(a.atttypid::regtype)),
                    'OPERATOR(pg_catalog.=)')
    INTO keytype, plaintype, keyeq FROM pg_attribute a
    WHERE a.attrelid = s.root_table AND a.attname = s.key_column AND NOT a.attisdropped;
    -- a key that the column's size would cut or round names someone else
    EXECUTE format('SELECT $1::%s %s $1::%s', plaintype, keyeq, keytype) INTO fits USING key;
    IF NOT coalesce(fits, false) THEN
        RAISE EXCEPTION 'the key does not fit column % of %', s.key_column, s.root_table
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('As a value of type %s it would be cut or rounded, and name another %s.', keytype, s.name);
    END IF;
    -- the key in its canonical form: receipts must match it after a restore
    EXECUTE format('SELECT ($1::%s)::text', keytype) INTO canon USING key;
    IF NOT dry_run AND receipt THEN
        hashed_key := steward.privacy_key_hash(s.name, canon);
    ELSE
        BEGIN
            hashed_key := steward.privacy_key_hash(s.name, canon);
        EXCEPTION WHEN object_not_in_prerequisite_state OR insufficient_privilege THEN
            hashed_key := NULL;
        END;
    END IF;

    BEGIN
        c := steward.privacy_collect(s.name, canon, true, user_path);
        nn := cardinality(c.nodes);
        fks := ARRAY(SELECT pfk FROM steward.privacy_fks(c.nodes) pfk);
        -- what row-level security hides from the eraser is not seen as
        -- shared: say so (a referenced row looks unshared, and a cascade
        -- may take hidden rows along)
        FOR f IN SELECT DISTINCT x.rel FROM unnest(fks) x
                 WHERE row_security_active(x.rel) ORDER BY 1
        LOOP
            RAISE WARNING 'row-level security applies to % on %, which references the tables of this erasure', current_user, f.rel
                USING DETAIL = 'Rows it cannot see are not taken into account: a row they reference may be deleted as unshared.',
                      HINT = 'Erase as a role that sees every row (BYPASSRLS, or a policy for the privacy officer).';
        END LOOP;
        IF jsonb_array_length(c.row_sets[1]) = 0 THEN
            res_rel := ARRAY[s.root_table]; res_act := ARRAY['none']; res_rows := ARRAY[0::bigint];
            res_detail := ARRAY[concat(format('no %s with %s = %s: nothing to erase', s.name, s.key_column, canon),
                                       (SELECT format(' (erased before: receipt %s)', l.id)
                                        FROM steward.erasure_log l
                                        WHERE l.subject = s.name AND l.key_hash = hashed_key
                                        ORDER BY l.id DESC LIMIT 1))];
            nothing := true;
            RAISE SQLSTATE 'SD001';
        END IF;

        -- what happens to each table's rows.  Planned again until nothing
        -- changes: a row of the person that stays (anonymized, held) keeps
        -- the rows it references through a NOT NULL key, which is known
        -- only once the table below has been planned; each round only moves
        -- rows from "delete" to "stay", so it ends within nn + 1 rounds.
        edges := c.edges;
        prev_dels := NULL;
        FOR pass_no IN 1..nn + 1 LOOP
            dels := array_fill(NULL::text, ARRAY[nn]);
            anons := array_fill(NULL::text, ARRAY[nn]);
            anon_why := array_fill(NULL::text, ARRAY[nn]);
            rules := '[]';
            res_rel := '{}'; res_act := '{}'; res_rows := '{}'; res_detail := '{}';
            FOR n IN 1..nn LOOP
                del := coalesce(c.locations[n], '{}')::text[];
                anon := '{}';
                CONTINUE WHEN cardinality(del) = 0;
                SELECT * INTO hold FROM steward.subject_holds h WHERE h.relation = c.nodes[n];
                IF FOUND AND c.kinds[n] <> 'referenced' THEN
                    hcond := steward.privacy_hold_condition(c.nodes[n]);
                    stmt := format('SELECT pg_catalog.array_agg(pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid)) FROM %s t
                                 WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)
                                   AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($2)
                                   AND (%s)', c.nodes[n], hcond);
                    tids := steward.privacy_tids(del);
                    PERFORM steward.privacy_use_path(user_path);
                    EXECUTE stmt INTO held USING tids, del;
                    PERFORM steward.privacy_use_path(NULL);
                    IF cardinality(held) > 0 THEN
                        IF hold.action = 'refuse' THEN
                            refusal := format('%s has %s row(s) of this %s under a legal hold: %s',
                                              c.nodes[n], cardinality(held), s.name, hold.reason);
                            IF NOT dry_run THEN
                                RAISE EXCEPTION 'erasure of % % refused', s.name, canon
                                    USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = refusal,
                                          HINT = 'Erase when the hold has ended, or change the hold''s action to anonymize.';
                            END IF;
                            res_rel := res_rel || c.nodes[n]; res_act := res_act || 'refuse'::text;
                            res_rows := res_rows || cardinality(held)::bigint; res_detail := res_detail || refusal;
                        END IF;
                        anon := held;
                        del := ARRAY(SELECT x FROM unnest(del) x WHERE NOT x = ANY (held));
                        anon_why[n] := 'held: ' || hold.reason;
                        rules := rules || jsonb_build_object('table', c.nodes[n]::text, 'hold', hold.reason,
                                                             'action', hold.action, 'rows', cardinality(held));
                    END IF;
                END IF;
                -- a table whose personal columns are all anonymized or kept keeps its rows
                IF c.kinds[n] <> 'referenced'
                   AND EXISTS (SELECT FROM steward.personal_columns p WHERE p.relation = c.nodes[n])
                   AND NOT EXISTS (SELECT FROM steward.personal_columns p
                                   WHERE p.relation = c.nodes[n] AND p.on_erase = 'delete') THEN
                    anon := anon || del;
                    del := '{}';
                    anon_why[n] := concat_ws('; ', anon_why[n], 'on_erase: anonymize');
                -- rows without personal data that belong to rows that stay (an
                -- order's lines, when orders are anonymized; a post's tags, when
                -- others' comments keep the post) stay with them
                ELSIF c.kinds[n] NOT IN ('root', 'referenced') AND cardinality(del) > 0
                   AND NOT EXISTS (SELECT FROM steward.personal_columns p WHERE p.relation = c.nodes[n]) THEN
                    FOR e IN SELECT m.* FROM unnest(edges) m
                             WHERE m.node = n AND c.kinds[m.parent_node] <> 'root'
                               AND cardinality(coalesce(anons[m.parent_node], '{}')::text[]) > 0
                             ORDER BY m.parent_node
                    LOOP
                        EXIT WHEN cardinality(del) = 0;
                        stmt := format('SELECT pg_catalog.array_agg(pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid)) FROM %s t
                                     WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($2)
                                       AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($3)
                                       AND (%s)',
                                    c.nodes[n], steward.privacy_edge_condition(e, '$1'));
                        parents := (SELECT pg_catalog.jsonb_agg(r.row ORDER BY r.o)
                                    FROM jsonb_array_elements(c.row_sets[e.parent_node]) WITH ORDINALITY r(row, o)
                                    WHERE (c.locations[e.parent_node]::text[])[r.o] = ANY (anons[e.parent_node]::text[]));
                        tids := steward.privacy_tids(del);
                        PERFORM steward.privacy_use_path(user_path);
                        EXECUTE stmt INTO refd USING parents, tids, del;
                        PERFORM steward.privacy_use_path(NULL);
                        CONTINUE WHEN refd IS NULL;
                        anon := anon || refd;
                        del := ARRAY(SELECT x FROM unnest(del) x WHERE NOT x = ANY (refd));
                        IF NOT coalesce(anon_why[n] LIKE '%their rows in the parent table are kept%', false) THEN
                            anon_why[n] := concat_ws('; ', anon_why[n], 'their rows in the parent table are kept');
                        END IF;
                    END LOOP;
                END IF;
                -- rows that other people's rows still need (through a NOT NULL
                -- key, or from a held table) stay; the tables below them learn it
                -- here, before anything is deleted
                IF c.kinds[n] NOT IN ('root', 'referenced') AND cardinality(del) > 0 THEN
                    FOR f IN
                        SELECT x.rel, x.cols, x.pcols FROM unnest(fks) x
                        WHERE x.parent = c.nodes[n]
                          AND (NOT x.nullable OR EXISTS (SELECT FROM steward.subject_holds h WHERE h.relation = x.rel))
                        ORDER BY x.rel, x.cols
                    LOOP
                        EXIT WHEN cardinality(del) = 0;
                        -- the person's rows of that table that go (all of them
                        -- the first time round; always all of them for a table
                        -- without personal data, whose rows stay only with their
                        -- parent row, never for it): the other rows need this one
                        jj := array_position(c.nodes, f.rel);
                        mine := coalesce(CASE WHEN prev_dels IS NULL
                                                OR NOT EXISTS (SELECT FROM steward.personal_columns p WHERE p.relation = f.rel)
                                              THEN c.locations[jj] ELSE prev_dels[jj] END, '{}')::text[];
                        refd := steward.privacy_referenced(c.nodes[n], del, f.rel, f.cols, f.pcols, mine, user_path);
                        CONTINUE WHEN refd IS NULL;
                        anon := anon || refd;
                        del := ARRAY(SELECT x FROM unnest(del) x WHERE NOT x = ANY (refd));
                        anon_why[n] := concat_ws('; ', anon_why[n],
                                                 format('still referenced by rows of %s that stay (%s)', f.rel, array_to_string(f.cols, ', ')));
                    END LOOP;
                END IF;

                dels[n] := del::text;
                anons[n] := anon::text;
            END LOOP;
            EXIT WHEN dels IS NOT DISTINCT FROM prev_dels;
            prev_dels := dels;
        END LOOP;

        -- an order that keeps foreign keys valid: a table after every
        -- table of the map that references it (in a cycle: deepest first)
        SELECT array_agg(array_position(c.nodes, x.rel)), array_agg(array_position(c.nodes, x.parent))
        INTO dep_from, dep_to
        FROM unnest(fks) x
        WHERE x.rel = ANY (c.nodes) AND x.rel <> x.parent;
        done := array_fill(false, ARRAY[nn]);
        own_now := array_fill(NULL::text, ARRAY[nn]);
        FOR i IN 1..nn LOOP
            SELECT m INTO n FROM generate_series(nn, 1, -1) m
            WHERE NOT done[m]
              AND NOT EXISTS (SELECT FROM generate_subscripts(coalesce(dep_to, '{}'), 1) q
                              WHERE dep_to[q] = m AND NOT done[dep_from[q]])
            LIMIT 1;
            IF n IS NULL THEN
                SELECT m INTO n FROM generate_series(nn, 1, -1) m WHERE NOT done[m] LIMIT 1;
            END IF;
            done[n] := true;
            del := coalesce(dels[n], '{}')::text[];
            anon := coalesce(anons[n], '{}')::text[];
            CONTINUE WHEN cardinality(del) + cardinality(anon) = 0;

            -- rows still referenced by rows that stay
            FOR f IN
                SELECT x.rel, x.cols, x.pcols, x.nullable FROM unnest(fks) x
                WHERE x.parent = c.nodes[n]
                -- links that keep rows first: a row kept anyway is not detached from others
                ORDER BY x.nullable AND NOT EXISTS (SELECT FROM steward.subject_holds h WHERE h.relation = x.rel),
                         x.rel::text, x.cols::text
            LOOP
                EXIT WHEN cardinality(del) = 0;
                -- (a self-reference: the table's rows that go do not count)
                refd := steward.privacy_referenced(c.nodes[n], del, f.rel, f.cols, f.pcols,
                                                   CASE WHEN f.rel = c.nodes[n] THEN del END, user_path);
                CONTINUE WHEN refd IS NULL;
                IF c.kinds[n] = 'referenced' THEN
                    -- referenced by rows of others: shared, neither deleted
                    -- nor changed, reported; referenced only by the person's
                    -- own rows that stay (through a key that cannot be set
                    -- to NULL, or held): the person's data, anonymized
                    mine := coalesce(own_now[array_position(c.nodes, f.rel)], '{}')::text[];
                    others := refd;
                    IF cardinality(mine) > 0 THEN
                        others := coalesce(steward.privacy_referenced(c.nodes[n], refd, f.rel, f.cols, f.pcols,
                                                                      mine, user_path), '{}');
                    END IF;
                    IF cardinality(others) > 0 THEN
                        res_rel := res_rel || c.nodes[n]; res_act := res_act || 'keep'::text;
                        res_rows := res_rows || cardinality(others)::bigint;
                        res_detail := res_detail || format('shared: also referenced by %s (%s)', f.rel, array_to_string(f.cols, ', '));
                    END IF;
                    IF cardinality(refd) > cardinality(others) THEN
                        anon := anon || ARRAY(SELECT x FROM unnest(refd) x WHERE NOT x = ANY (others));
                        anon_why[n] := concat_ws('; ', anon_why[n],
                                                 format('still referenced by this %s''s rows of %s (%s)', s.name, f.rel, array_to_string(f.cols, ', ')));
                    END IF;
                    del := ARRAY(SELECT x FROM unnest(del) x WHERE NOT x = ANY (refd));
                ELSIF f.nullable AND NOT EXISTS (SELECT FROM steward.subject_holds h WHERE h.relation = f.rel) THEN
                    -- the UPDATE moves the rows it changes: it says where each
                    -- went, for the person's own rows among them (own_now)
                    stmt := format('WITH u AS (UPDATE %1$s r SET %2$s
                                            FROM (SELECT r2.tableoid AS old_tab, r2.ctid AS old_ctid FROM %1$s r2
                                                  WHERE EXISTS (SELECT FROM %4$s t
                                                                WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)
                                                                  AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($2)
                                                                  AND %3$s) %5$s) o
                                            WHERE r.tableoid OPERATOR(pg_catalog.=) o.old_tab AND r.ctid OPERATOR(pg_catalog.=) o.old_ctid
                                            RETURNING pg_catalog.concat(o.old_tab::pg_catalog.oid, '':'', o.old_ctid) AS old_loc,
                                                      pg_catalog.concat(r.tableoid::pg_catalog.oid, '':'', r.ctid) AS new_loc)
                                 SELECT pg_catalog.count(*), pg_catalog.array_agg(u.old_loc), pg_catalog.array_agg(u.new_loc) FROM u',
                                f.rel,
                                (SELECT string_agg(format('%I = NULL', x), ', ') FROM unnest(f.cols) x),
                                -- the foreign key's columns, each with the equality of its type (schema-qualified)
                                (SELECT string_agg(format('r2.%I %s t.%I', x,
                                                          coalesce((SELECT format('OPERATOR(%I.%s)', ns.nspname, op.oprname)
                                                                    FROM pg_attribute a
                                                                    JOIN pg_operator op ON op.oid = steward.type_equality(a.atttypid::regtype)
                                                                    JOIN pg_namespace ns ON ns.oid = op.oprnamespace
                                                                    WHERE a.attrelid = f.rel AND a.attname = x AND NOT a.attisdropped),
                                                                   'OPERATOR(pg_catalog.=)'),
                                                          f.pcols[o]), ' AND ' ORDER BY o)
                                 FROM unnest(f.cols) WITH ORDINALITY u(x, o)),
                                c.nodes[n],
                                CASE WHEN f.rel = c.nodes[n]
                                     THEN 'AND NOT (pg_catalog.concat(r2.tableoid::pg_catalog.oid, '':'', r2.ctid) OPERATOR(pg_catalog.=) ANY ($2))' ELSE '' END);
                    tids := steward.privacy_tids(refd);
                    PERFORM steward.privacy_use_path(user_path);
                    EXECUTE stmt INTO k, olds, news USING tids, refd;
                    PERFORM steward.privacy_use_path(NULL);
                    jj := array_position(c.nodes, f.rel);
                    IF jj IS NOT NULL AND k > 0 AND own_now[jj] IS NOT NULL THEN
                        own_now[jj] := ARRAY(SELECT coalesce(m.nw, x) FROM unnest(own_now[jj]::text[]) x
                                             LEFT JOIN unnest(olds, news) m(o, nw) ON m.o = x)::text;
                    END IF;
                    res_rel := res_rel || f.rel; res_act := res_act || 'detach'::text; res_rows := res_rows || k;
                    res_detail := res_detail || format('%s set to NULL: they referenced erased rows of %s',
                                                       array_to_string(f.cols, ', '), c.nodes[n]);
                ELSE
                    anon := anon || refd;
                    del := ARRAY(SELECT x FROM unnest(del) x WHERE NOT x = ANY (refd));
                    anon_why[n] := concat_ws('; ', anon_why[n], format('still referenced by %s (%s)', f.rel, array_to_string(f.cols, ', ')));
                END IF;
            END LOOP;

            -- anonymize what stays, then delete the rest.  Rows that stay
            -- lose their links to the person's other data (nullable keys
            -- to the map's referenced tables, e.g. an address), unless the
            -- table is held: an anonymized row must not point at them.
            own_now[n] := anon::text;
            IF cardinality(anon) > 0 THEN
                SELECT array_agg(p.column_name::text ORDER BY p.column_name) INTO cols
                FROM steward.personal_columns p
                WHERE p.relation = c.nodes[n] AND p.on_erase <> 'keep'
                  -- keys stay: they hold the rows together
                  AND NOT EXISTS (SELECT FROM pg_constraint x
                                  JOIN pg_attribute a ON a.attrelid = x.conrelid AND a.attnum = ANY (x.conkey)
                                  WHERE x.conrelid = c.nodes[n] AND x.contype IN ('p', 'f') AND a.attname = p.column_name)
                  AND NOT EXISTS (SELECT FROM unnest(fks) y
                                  WHERE y.parent = c.nodes[n] AND p.column_name::text = ANY (y.pcols));
                unlink := ARRAY(SELECT DISTINCT a.attname::text
                                FROM pg_constraint x
                                JOIN pg_attribute a ON a.attrelid = x.conrelid AND a.attnum = ANY (x.conkey)
                                WHERE x.contype = 'f' AND x.conrelid = c.nodes[n]
                                  AND c.kinds[n] <> 'referenced'
                                  AND coalesce(pg_partition_root(x.confrelid), x.confrelid) <> c.nodes[n]
                                  AND EXISTS (SELECT FROM generate_subscripts(c.nodes, 1) q
                                              WHERE c.nodes[q] = coalesce(pg_partition_root(x.confrelid), x.confrelid)
                                                AND c.kinds[q] = 'referenced')
                                  AND NOT EXISTS (SELECT FROM pg_attribute b
                                                  WHERE b.attrelid = x.conrelid AND b.attnum = ANY (x.conkey) AND b.attnotnull)
                                  AND NOT EXISTS (SELECT FROM steward.subject_holds h WHERE h.relation = c.nodes[n])
                                ORDER BY 1);
                IF cols IS NULL AND cardinality(unlink) = 0 THEN
                    res_rel := res_rel || c.nodes[n]; res_act := res_act || 'keep'::text;
                    res_rows := res_rows || cardinality(anon)::bigint;
                    res_detail := res_detail || concat_ws('; ', anon_why[n], 'no personal column to anonymize');
                ELSE
                    stmt := format('WITH u AS (UPDATE %s t SET %s WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)
                                              AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($2)
                                              AND (%s)
                                            RETURNING pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) AS loc)
                                 SELECT pg_catalog.count(*), pg_catalog.array_agg(u.loc) FROM u',
                                c.nodes[n],
                                (SELECT string_agg(z, ', ')
                                 FROM (SELECT format('%I = %s', x, steward.privacy_anonymizer(c.nodes[n], x)) FROM unnest(cols) x
                                       UNION ALL SELECT format('%I = NULL', x) FROM unnest(unlink) x) w(z)),
                                (SELECT string_agg(z, ' OR ')
                                 FROM (SELECT steward.privacy_pending(c.nodes[n], x) FROM unnest(cols) x
                                       UNION ALL SELECT format('t.%I IS NOT NULL', x) FROM unnest(unlink) x) w(z)));
                    tids := steward.privacy_tids(anon);
                    PERFORM steward.privacy_use_path(user_path);
                    EXECUTE stmt INTO k, mine USING tids, anon;
                    PERFORM steward.privacy_use_path(NULL);
                    -- where the rows that stay are now (an UPDATE moves them)
                    IF k > 0 THEN
                        stmt := format('SELECT pg_catalog.array_agg(pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid)) FROM %s t
                                     WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)
                                       AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($2)',
                                    c.nodes[n]);
                        PERFORM steward.privacy_use_path(user_path);
                        EXECUTE stmt INTO others USING tids, anon;
                        PERFORM steward.privacy_use_path(NULL);
                        own_now[n] := (coalesce(others, '{}') || mine)::text;
                    END IF;
                    PERFORM steward.status_note(c.nodes[n], 'erasure', k);
                    CONTINUE WHEN k = 0 AND cardinality(del) = 0;
                    IF k > 0 THEN
                        res_rel := res_rel || c.nodes[n]; res_act := res_act || 'anonymize'::text;
                        res_rows := res_rows || k;
                        res_detail := res_detail || format('%s (%s)', anon_why[n],
                                                           array_to_string(coalesce(cols, '{}') || unlink, ', '));
                    END IF;
                END IF;
            END IF;
            IF cardinality(del) > 0 THEN
                stmt := format('DELETE FROM %s t WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)
                               AND pg_catalog.concat(t.tableoid::pg_catalog.oid, '':'', t.ctid) OPERATOR(pg_catalog.=) ANY ($2)',
                            c.nodes[n]);
                tids := steward.privacy_tids(del);
                PERFORM steward.privacy_use_path(user_path);
                EXECUTE stmt USING tids, del;
                GET DIAGNOSTICS k = ROW_COUNT;
                PERFORM steward.privacy_use_path(NULL);
                -- rows are found by where they were read; a row that moved
                -- meanwhile (a trigger of this erasure updated it) would be
                -- left behind: never write a receipt for a partial erasure
                IF k <> cardinality(del) THEN
                    RAISE EXCEPTION 'erasure of % % stopped: % of % rows of % could not be deleted', s.name, canon,
                                    cardinality(del) - k, cardinality(del), c.nodes[n]
                        USING ERRCODE = 'object_not_in_prerequisite_state',
                              DETAIL = 'The rows were changed during the erasure, by a trigger or by a foreign-key action of another table of the map.',
                              HINT = 'Nothing was erased. Find the trigger that updates these rows and disable it for the erasure, or erase them by hand.';
                END IF;
                PERFORM steward.status_note(c.nodes[n], 'erasure', k);
                res_rel := res_rel || c.nodes[n]; res_act := res_act || 'delete'::text;
                res_rows := res_rows || k; res_detail := res_detail || NULL::text;
            END IF;
            dels[n] := del::text;
            anons[n] := anon::text;
        END LOOP;

        -- the audit log: the erased rows' personal columns
        FOR n IN 1..nn LOOP
            CONTINUE WHEN NOT EXISTS (SELECT FROM steward.audit_tables a WHERE a.relation = c.nodes[n]);
            SELECT array_agg(p.column_name::text ORDER BY p.column_name) INTO cols
            FROM steward.personal_columns p WHERE p.relation = c.nodes[n] AND p.on_erase <> 'keep';
            CONTINUE WHEN cols IS NULL;
            pk := ARRAY(SELECT a.attname FROM pg_index x
                        JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY q(a1, o) ON true
                        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = q.a1
                        WHERE x.indrelid = c.nodes[n] AND x.indisprimary ORDER BY q.o);
            IF cardinality(pk) = 0 THEN
                res_rel := res_rel || c.nodes[n]; res_act := res_act || 'audit not scrubbed'::text;
                res_rows := res_rows || 0::bigint;
                res_detail := res_detail || 'the table has no primary key to find its audit records by'::text;
                CONTINUE;
            END IF;
            keys := ARRAY(SELECT (SELECT jsonb_object_agg(pc, r.row -> pc) FROM unnest(pk) pc)
                          FROM jsonb_array_elements(c.row_sets[n]) WITH ORDINALITY r(row, o)
                          WHERE (coalesce(c.locations[n], '{}')::text[])[r.o] = ANY (coalesce(dels[n], '{}')::text[] || coalesce(anons[n], '{}')::text[]));
            k := steward.privacy_audit_scrub(c.nodes[n], keys, cols, 'erasure of a ' || s.name);
            CONTINUE WHEN k = 0;
            res_rel := res_rel || 'steward.audit_log'::regclass; res_act := res_act || 'scrub'::text;
            res_rows := res_rows || k;
            res_detail := res_detail || format('records of %s: %s replaced', c.nodes[n], array_to_string(cols, ', '));
        END LOOP;

        -- consents
        k := steward.consent_forget(s.name, canon);
        IF k > 0 THEN
            res_rel := res_rel || 'steward.consent_history'::regclass; res_act := res_act || 'delete'::text;
            res_rows := res_rows || k; res_detail := res_detail || 'consent records'::text;
        END IF;

        -- nothing changed (erased before): a no-op, no receipt
        IF NOT EXISTS (SELECT FROM unnest(res_act, res_rows) u(a, x)
                       WHERE a IN ('delete', 'anonymize', 'detach', 'scrub') AND x > 0)
           AND NOT 'refuse' = ANY (res_act) THEN
            res_rel := ARRAY[s.root_table]; res_act := ARRAY['none']; res_rows := ARRAY[0::bigint];
            res_detail := ARRAY[concat('nothing left to erase',
                                       (SELECT format(' (erased before: receipt %s)', l.id)
                                        FROM steward.erasure_log l
                                        WHERE l.subject = s.name AND l.key_hash = hashed_key
                                        ORDER BY l.id DESC LIMIT 1))];
            nothing := true;
            RAISE SQLSTATE 'SD001';
        END IF;
        IF dry_run THEN
            RAISE SQLSTATE 'SD001';
        END IF;
        IF receipt THEN
            SELECT jsonb_object_agg(t, v) INTO counts
            FROM (SELECT r::text AS t, jsonb_object_agg(a, sum_rows) AS v
                  FROM (SELECT r, a, sum(x) AS sum_rows
                        FROM unnest(res_rel, res_act, res_rows) u(r, a, x) GROUP BY r, a) g
                  GROUP BY r) per_table;
            receipt_id := steward.erasure_log_write(s.name, hashed_key, coalesce(counts, '{}'), rules, request_id);
            res_rel := res_rel || 'steward.erasure_log'::regclass; res_act := res_act || 'receipt'::text;
            res_rows := res_rows || receipt_id; res_detail := res_detail || 'id of the erasure receipt'::text;
            IF request_id IS NOT NULL THEN
                PERFORM steward.request_complete(request_id, format('erased (receipt %s)', receipt_id));
            END IF;
        END IF;
    EXCEPTION WHEN SQLSTATE 'SD001' THEN
        NULL;
    END;
    IF nothing AND NOT dry_run AND request_id IS NOT NULL THEN
        PERFORM steward.request_complete(request_id, 'nothing to erase: no data held');
    END IF;
    RETURN QUERY SELECT * FROM unnest(res_rel, res_act, res_rows, res_detail);
END
$$;

COMMENT ON FUNCTION steward.privacy_erase(text, text, boolean, bigint, boolean, text) IS
  'Internal: the work of steward.subject_erase and steward.erasure_replay';
REVOKE EXECUTE ON FUNCTION steward.privacy_erase(text, text, boolean, bigint, boolean, text) FROM PUBLIC;

CREATE FUNCTION steward.privacy_tids(locations text[])
RETURNS tid[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT ARRAY(SELECT DISTINCT split_part(l, ':', 2)::tid FROM unnest(locations) l)
$$;

COMMENT ON FUNCTION steward.privacy_tids(text[]) IS 'Internal: the tuple ids of "tableoid:ctid" locations';

CREATE FUNCTION steward.subject_erase(name text, key text, dry_run boolean DEFAULT true, request_id bigint DEFAULT NULL)
RETURNS TABLE (relation regclass, action text, rows bigint, detail text)
LANGUAGE sql
AS $$
  SELECT * FROM steward.privacy_erase(name, key, dry_run, request_id, true, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION steward.subject_erase(text, text, boolean, bigint) IS
  'Erase one person (Art. 17) in one transaction: delete or anonymize every row of the subject in an order that keeps foreign keys valid, honour legal holds, keep shared rows, scrub the audit log, remove consents, write a receipt; a dry run (the default) reports the same without changing anything; runs with the caller''s rights';
REVOKE EXECUTE ON FUNCTION steward.subject_erase(text, text, boolean, bigint) FROM PUBLIC;

CREATE FUNCTION steward.privacy_replay(dry_run boolean, user_path text)
RETURNS TABLE (erasure_id bigint, subject text, relation regclass, action text, rows bigint, detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s steward.subjects;
    k text;
    hashes text[];
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR s IN SELECT * FROM steward.subjects x
             WHERE EXISTS (SELECT FROM steward.erasure_log l WHERE l.subject = x.name)
             ORDER BY x.name
    LOOP
        hashes := ARRAY(SELECT DISTINCT l.key_hash FROM steward.erasure_log l WHERE l.subject = s.name);
        -- a restored backup brings erased people back: find them by the
        -- keyed hash of every key of the root table
        FOR k IN EXECUTE format('SELECT t.%I::text FROM %s t WHERE steward.privacy_key_hash(%L, t.%I::text) = ANY ($1) ORDER BY 1',
                                s.key_column, s.root_table, s.name, s.key_column)
                 USING hashes
        LOOP
            erasure_id := (SELECT max(l.id) FROM steward.erasure_log l
                           WHERE l.subject = s.name AND l.key_hash = steward.privacy_key_hash(s.name, k));
            subject := s.name;
            FOR relation, action, rows, detail IN
                SELECT * FROM steward.privacy_erase(s.name, k, dry_run, NULL, false, user_path) e WHERE e.action <> 'none'
            LOOP
                RETURN NEXT;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.privacy_replay(boolean, text) IS 'Internal: the work of steward.erasure_replay';
REVOKE EXECUTE ON FUNCTION steward.privacy_replay(boolean, text) FROM PUBLIC;

CREATE FUNCTION steward.erasure_replay(dry_run boolean DEFAULT false)
RETURNS TABLE (erasure_id bigint, subject text, relation regclass, action text, rows bigint, detail text)
LANGUAGE sql
AS $$
  SELECT * FROM steward.privacy_replay(dry_run, pg_catalog.current_setting('search_path'))
$$;

COMMENT ON FUNCTION steward.erasure_replay(boolean) IS
  'After restoring an old backup: erase again every person the erasure log says was erased (found by the keyed hash of the root table''s keys); no new receipts; needs the same steward.privacy_key';
REVOKE EXECUTE ON FUNCTION steward.erasure_replay(boolean) FROM PUBLIC;
