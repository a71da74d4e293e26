-- ---------------------------------------------------------------------
-- Validation: declarative table rules (src/validate/rules.c)
--
-- A rule is a JSON Schema for a row seen as a JSON object of its columns
-- (as to_jsonb(row) shows it; generated columns are left out).  The C
-- trigger steward_validate checks each inserted or updated row against
-- every rule of its table and refuses it with 23514, listing every
-- failing field.
-- ---------------------------------------------------------------------

CREATE TABLE steward.validation_config (
    id bigint GENERATED ALWAYS AS IDENTITY,
    relation regclass NOT NULL,
    column_name name,
    rule text NOT NULL,
    args jsonb,
    schema jsonb NOT NULL,
    created_by name NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT validation_config_rule UNIQUE NULLS NOT DISTINCT (relation, column_name, rule)
);

COMMENT ON TABLE steward.validation_config IS
  'Validation rules of tables (steward.validate_attach, validate_column): a JSON Schema per rule for the row as a JSON object; kept by pg_dump';

COMMENT ON SEQUENCE steward.validation_config_id_seq IS 'Ids of validation rules: their order';

SELECT pg_catalog.pg_extension_config_dump('steward.validation_config', '');
SELECT pg_catalog.pg_extension_config_dump('steward.validation_config_id_seq', '');
REVOKE ALL ON steward.validation_config FROM PUBLIC;
GRANT SELECT ON steward.validation_config TO PUBLIC;

CREATE FUNCTION steward.validate_trigger()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_validate_trigger';

COMMENT ON FUNCTION steward.validate_trigger() IS
  'BEFORE INSERT OR UPDATE row trigger installed by steward.validate_attach() and validate_column(): the row must satisfy every rule of its table (23514 otherwise)';

CREATE FUNCTION steward.validation_rule_write(
    relation regclass, column_name name, rule text, args jsonb, schema jsonb)
RETURNS void
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'steward_validation_rule_write';

COMMENT ON FUNCTION steward.validation_rule_write(regclass, name, text, jsonb, jsonb) IS
  'Internal: store a validation rule (NULL schema: remove rules; rule ''*'': all of them); the caller must own the table';

CREATE FUNCTION steward.validation_trigger_sync(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    has_rules boolean := EXISTS (SELECT FROM steward.validation_config c WHERE c.relation = validation_trigger_sync.relation);
    has_trigger boolean := EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = validation_trigger_sync.relation
                                     AND t.tgname = 'steward_validate' AND t.tgparentid = 0);
BEGIN
    IF has_rules AND NOT has_trigger THEN
        EXECUTE format('CREATE TRIGGER steward_validate BEFORE INSERT OR UPDATE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION steward.validate_trigger()', relation);
    ELSIF NOT has_rules AND has_trigger THEN
        EXECUTE format('DROP TRIGGER steward_validate ON %s', relation);
    END IF;
END
$$;

COMMENT ON FUNCTION steward.validation_trigger_sync(regclass) IS
  'Internal: install the validation trigger on a table that has rules, remove it from one that has none';

CREATE FUNCTION steward.validation_refuse_partition(relation regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    root regclass := pg_partition_root(relation);
BEGIN
    IF root IS NOT NULL AND root <> relation THEN
        RAISE EXCEPTION 'table % is a partition of %', relation, root
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Attach the rules to the partitioned table: they apply to the rows of every partition.';
    END IF;
END
$$;

COMMENT ON FUNCTION steward.validation_refuse_partition(regclass) IS
  'Internal: raise an error if relation is a partition (rules belong to the partitioned table)';

CREATE FUNCTION steward.validate_attach(relation regclass, schema jsonb, name text DEFAULT 'schema')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF schema IS NULL OR name IS NULL THEN
        RAISE EXCEPTION 'schema and name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF name = '*' OR name LIKE 'column:%' THEN
        RAISE EXCEPTION 'a rule name must not be "*" or start with "column:"' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM steward.require_own_table(relation);
    PERFORM steward.validation_refuse_partition(relation);
    PERFORM steward.validation_rule_write(relation, NULL, name, NULL, schema);
    PERFORM steward.validation_trigger_sync(relation);
END
$$;

COMMENT ON FUNCTION steward.validate_attach(regclass, jsonb, text) IS
  'Validate every inserted or updated row of a table against a JSON Schema (the row as a JSON object of its columns); attaching again under the same name replaces the rule; 22023 for an invalid schema';

CREATE FUNCTION steward.validate_column(relation regclass, column_name name, rule text, args jsonb DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    frag jsonb;
    col_type regtype;
    category "char";
    generated boolean;
    formats text[] := ARRAY['email', 'url', 'uri', 'uuid', 'hostname', 'ipv4', 'ipv6', 'e164',
                            'phone', 'iban', 'luhn', 'card', 'iso-country', 'iso-currency',
                            'date', 'time', 'date-time', 'duration', 'slug', 'semver'];
BEGIN
    IF column_name IS NULL OR rule IS NULL THEN
        RAISE EXCEPTION 'column_name and rule must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM steward.require_own_table(relation);
    PERFORM steward.validation_refuse_partition(relation);
    SELECT a.atttypid::regtype, a.attgenerated <> '' INTO col_type, generated
    FROM pg_attribute a
    WHERE a.attrelid = relation AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, relation
            USING ERRCODE = 'undefined_column';
    END IF;
    IF generated THEN
        RAISE EXCEPTION 'column "%" of relation % is a generated column', column_name, relation
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Generated columns are computed after the validation trigger runs.',
                  HINT = 'Validate the columns it is computed from.';
    END IF;
    -- a domain counts as its base type; of the numeric category, only the
    -- types JSON shows as numbers (not money, oid, regclass...)
    SELECT CASE WHEN t.typcategory = 'N' AND t.oid NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                                                            'numeric'::regtype, 'float4'::regtype, 'float8'::regtype)
                THEN 'X' ELSE t.typcategory END
    INTO category FROM pg_type t
    WHERE t.oid = (WITH RECURSIVE d AS (
                       SELECT col_type::oid AS oid
                       UNION ALL
                       SELECT b.typbasetype FROM d JOIN pg_type b ON b.oid = d.oid WHERE b.typtype = 'd')
                   SELECT d.oid FROM d JOIN pg_type x ON x.oid = d.oid WHERE x.typtype <> 'd');
    -- the shorthands check strings or numbers: a column of another kind
    -- would pass every value unchecked (or fail them all)
    IF (rule = ANY (formats) OR rule IN ('length', 'pattern')) AND category IS DISTINCT FROM 'S' THEN
        RAISE EXCEPTION 'rule % checks text, but column "%" of % is of type %', rule, column_name, relation, col_type
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Use rule schema with a JSON Schema for how the value looks as JSON (as to_jsonb shows it).';
    ELSIF rule = 'range' AND category IS DISTINCT FROM 'N' THEN
        RAISE EXCEPTION 'rule range checks numbers, but column "%" of % is of type %', column_name, relation, col_type
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Use rule schema with a JSON Schema for how the value looks as JSON (as to_jsonb shows it).';
    END IF;
    -- every shorthand lets NULL through: NOT NULL is the column's business
    CASE
        WHEN rule = ANY (formats) THEN
            IF args IS NOT NULL THEN
                RAISE EXCEPTION 'rule % takes no arguments', rule USING ERRCODE = 'invalid_parameter_value';
            END IF;
            frag := jsonb_build_object('type', jsonb_build_array('string', 'null'), 'format', rule);
        WHEN rule = 'length' THEN
            IF jsonb_typeof(args) IS DISTINCT FROM 'object' OR NOT (args ?| ARRAY['min', 'max'])
               OR EXISTS (SELECT FROM jsonb_object_keys(args) k WHERE k NOT IN ('min', 'max')) THEN
                RAISE EXCEPTION 'rule length takes {"min": n, "max": n} (either or both)'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            frag := jsonb_strip_nulls(jsonb_build_object('minLength', args->'min', 'maxLength', args->'max'));
        WHEN rule = 'range' THEN
            IF jsonb_typeof(args) IS DISTINCT FROM 'object' OR NOT (args ?| ARRAY['min', 'max', 'exclusive_min', 'exclusive_max'])
               OR EXISTS (SELECT FROM jsonb_object_keys(args) k WHERE k NOT IN ('min', 'max', 'exclusive_min', 'exclusive_max')) THEN
                RAISE EXCEPTION 'rule range takes {"min": x, "max": x, "exclusive_min": x, "exclusive_max": x} (any of them)'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            -- a number (NaN and Infinity, which JSON shows as strings, fail)
            frag := jsonb_build_object('type', jsonb_build_array('number', 'null'))
                    || jsonb_strip_nulls(jsonb_build_object('minimum', args->'min', 'maximum', args->'max',
                                                            'exclusiveMinimum', args->'exclusive_min',
                                                            'exclusiveMaximum', args->'exclusive_max'));
        WHEN rule = 'pattern' THEN
            IF jsonb_typeof(args) IS DISTINCT FROM 'string' THEN
                RAISE EXCEPTION 'rule pattern takes a regular expression as a JSON string'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            frag := jsonb_build_object('pattern', args);
        WHEN rule = 'one_of' THEN
            IF jsonb_typeof(args) IS DISTINCT FROM 'array' OR jsonb_array_length(args) = 0 THEN
                RAISE EXCEPTION 'rule one_of takes a non-empty JSON array of the allowed values'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            frag := jsonb_build_object('enum', args || 'null'::jsonb);
        WHEN rule = 'schema' THEN
            IF args IS NULL THEN
                RAISE EXCEPTION 'rule schema takes a JSON Schema for the column''s value'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            -- NULL passes, as with every shorthand
            frag := jsonb_build_object('if', jsonb_build_object('type', 'null'), 'else', args);
        ELSE
            RAISE EXCEPTION 'unrecognized validation rule "%"', rule
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Rules: length, range, pattern, one_of, schema, or a format: ' || array_to_string(formats, ', ') || '.';
    END CASE;
    PERFORM steward.validation_rule_write(relation, column_name, rule, args,
                                          jsonb_build_object('properties', jsonb_build_object(column_name, frag)));
    PERFORM steward.validation_trigger_sync(relation);
END
$$;

COMMENT ON FUNCTION steward.validate_column(regclass, name, text, jsonb) IS
  'A validation rule for one column: a format (email, url, uuid, e164, iban, ...), length {"min","max"}, range {"min","max",...}, pattern "regex", one_of [values], or schema {JSON Schema}; NULL always passes; the same mechanism as validate_attach';

CREATE FUNCTION steward.validate_detach(relation regclass, column_name name DEFAULT NULL, rule text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM steward.require_own_table(relation);
    PERFORM steward.validation_rule_write(relation, column_name, coalesce(rule, '*'), NULL, NULL);
    PERFORM steward.validation_trigger_sync(relation);
END
$$;

COMMENT ON FUNCTION steward.validate_detach(regclass, name, text) IS
  'Remove validation rules of a table: all of them, those of one column, or one rule by name; the trigger goes with the last rule';

CREATE FUNCTION steward.validate_row(relation regclass, candidate jsonb)
RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'steward_validate_row';

COMMENT ON FUNCTION steward.validate_row(regclass, jsonb) IS
  'The errors the validation rules of a table would raise for a candidate row (a JSON object of column values, converted to the column types; columns it leaves out are not checked), without writing it; no rows when valid';

CREATE FUNCTION steward.validate_report(relation regclass, max_rows bigint DEFAULT NULL)
RETURNS TABLE (row_key jsonb, instance_path text, schema_path text, keyword text, message text)
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'steward_validate_report';

COMMENT ON FUNCTION steward.validate_report(regclass, bigint) IS
  'Existing rows (the first max_rows read, or all) that the validation rules of a table refuse, with their key (primary key or ctid), one row per error; under the caller''s privileges and row-level security';

CREATE VIEW steward.validation_rules AS
SELECT c.relation, c.column_name, c.rule, c.args, c.schema,
       coalesce(t.tgenabled IN ('O', 'A'), false) AS enabled,
       c.created_by, c.created_at
FROM steward.validation_config c
LEFT JOIN pg_catalog.pg_trigger t
  ON t.tgrelid = c.relation AND t.tgname = 'steward_validate' AND t.tgparentid = 0;

COMMENT ON VIEW steward.validation_rules IS
  'Validation rules per table (steward.validate_attach, validate_column): the rule, its arguments, the JSON Schema it checks, and whether the trigger fires';
GRANT SELECT ON steward.validation_rules TO PUBLIC;

-- When a table (or a column a rule names) is dropped, so are its rules.
-- SECURITY DEFINER, like rls_on_drop: it deletes only rules of the objects
-- this very DROP removed.
CREATE FUNCTION steward.validation_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM steward.validation_config c
    USING pg_catalog.pg_event_trigger_dropped_objects() d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND c.relation = d.objid
      AND (d.objsubid = 0
           OR (d.object_type = 'table column'
               AND c.column_name = d.address_names[pg_catalog.array_length(d.address_names, 1)]));
END
$$;

COMMENT ON FUNCTION steward.validation_on_drop() IS
  'Internal: event trigger function that forgets the validation rules of dropped tables and columns';

REVOKE EXECUTE ON FUNCTION steward.validation_on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER steward_validation_on_drop ON sql_drop
  EXECUTE FUNCTION steward.validation_on_drop();

COMMENT ON EVENT TRIGGER steward_validation_on_drop IS
  'pg_steward: forget the validation rules of dropped tables and columns';

-- A column a rule names renamed: the rule follows it (ALTER TABLE ...
-- RENAME COLUMN renames one column per statement: the rule whose column is
-- gone belongs to the column that got the new name).
CREATE FUNCTION steward.validation_on_rename()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cmd record;
    new_name name;
    old_name name;
BEGIN
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands()
               WHERE command_tag = 'ALTER TABLE' AND object_type = 'table column'
                 AND classid = 'pg_catalog.pg_class'::regclass AND objsubid > 0
    LOOP
        SELECT a.attname INTO new_name FROM pg_attribute a
        WHERE a.attrelid = cmd.objid AND a.attnum = cmd.objsubid AND NOT a.attisdropped;
        CONTINUE WHEN new_name IS NULL;
        -- the one column name of a rule of this table that no longer exists
        SELECT min(c.column_name) INTO old_name
        FROM steward.validation_config c
        WHERE c.relation = cmd.objid AND c.column_name IS NOT NULL
          AND NOT EXISTS (SELECT FROM pg_attribute a
                          WHERE a.attrelid = c.relation AND a.attname = c.column_name
                            AND a.attnum > 0 AND NOT a.attisdropped)
        HAVING count(DISTINCT c.column_name) = 1;
        CONTINUE WHEN old_name IS NULL;
        UPDATE steward.validation_config c
        SET column_name = new_name,
            schema = jsonb_build_object('properties',
                                        jsonb_build_object(new_name, c.schema->'properties'->old_name))
        WHERE c.relation = cmd.objid AND c.column_name = old_name;
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.validation_on_rename() IS
  'Internal: event trigger function that makes validation rules follow a renamed column';

REVOKE EXECUTE ON FUNCTION steward.validation_on_rename() FROM PUBLIC;

CREATE EVENT TRIGGER steward_validation_on_rename ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION steward.validation_on_rename();

COMMENT ON EVENT TRIGGER steward_validation_on_rename IS
  'pg_steward: validation rules follow the columns they name when those are renamed';
