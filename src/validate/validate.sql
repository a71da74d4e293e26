-- ---------------------------------------------------------------------
-- Validation: JSON Schema for jsonb (src/validate/jsonschema.c)
-- ---------------------------------------------------------------------

CREATE TABLE steward.jsonschema_registry (
    uri text PRIMARY KEY
        CHECK (uri ~ '^[A-Za-z][A-Za-z0-9+.-]*:' AND position('#' IN uri) = 0),
    schema jsonb NOT NULL,
    builtin boolean NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by name NOT NULL DEFAULT session_user
);

COMMENT ON TABLE steward.jsonschema_registry IS
  'JSON Schema documents that $ref and $schema may name by URI (never fetched from the network); kept by pg_dump except the built-in metaschemas';

SELECT pg_catalog.pg_extension_config_dump('steward.jsonschema_registry', 'WHERE NOT builtin');
GRANT SELECT ON steward.jsonschema_registry TO PUBLIC;

CREATE FUNCTION steward.jsonschema_registry_changed()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_jsonschema_registry_changed';

COMMENT ON FUNCTION steward.jsonschema_registry_changed() IS
  'Internal: statement trigger on steward.jsonschema_registry; every session forgets the compiled schemas that read the registry';

CREATE TRIGGER jsonschema_registry_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON steward.jsonschema_registry
FOR EACH STATEMENT EXECUTE FUNCTION steward.jsonschema_registry_changed();

-- STABLE, not IMMUTABLE: a schema may refer to registered documents,
-- which can change.
CREATE FUNCTION steward.jsonschema_is_valid(schema jsonb, instance jsonb, options jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_jsonschema_is_valid';

COMMENT ON FUNCTION steward.jsonschema_is_valid(jsonb, jsonb, jsonb) IS
  'Whether instance is valid against the JSON Schema (draft 2020-12, or 7 by $schema or options {"draft": "7"}; "format" asserts unless options {"format": "annotate"}); NULL if schema or instance is NULL; 22023 for an invalid schema';

CREATE FUNCTION steward.jsonschema_errors(schema jsonb, instance jsonb, options jsonb DEFAULT NULL)
RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_jsonschema_errors';

COMMENT ON FUNCTION steward.jsonschema_errors(jsonb, jsonb, jsonb) IS
  'Every error of instance against the JSON Schema: instance path (JSON Pointer), schema path, keyword and message (which never quotes the instance''s values); no rows when valid';

CREATE FUNCTION steward.jsonschema_check(schema jsonb, options jsonb DEFAULT NULL)
RETURNS void
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'steward_jsonschema_check';

COMMENT ON FUNCTION steward.jsonschema_check(jsonb, jsonb) IS
  'Raise 22023 naming the keyword and its location if schema (or a schema it refers to) is not a valid JSON Schema';

-- SECURITY DEFINER: EXECUTE (granted by a superuser) is the privilege to
-- register; the table itself stays writable by its owner only, so the
-- built-in metaschemas cannot be replaced.
CREATE FUNCTION steward.jsonschema_register(uri text, schema jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF uri IS NULL OR schema IS NULL THEN
        RAISE EXCEPTION 'uri and schema must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF jsonb_typeof(schema) NOT IN ('object', 'boolean') THEN
        RAISE EXCEPTION 'a JSON Schema must be an object or a boolean, not %', jsonb_typeof(schema)
            USING ERRCODE = '22023';
    END IF;
    IF regexp_replace(uri, '#$', '') !~ '^[A-Za-z][A-Za-z0-9+.-]*:' OR position('#' IN regexp_replace(uri, '#$', '')) > 0 THEN
        RAISE EXCEPTION 'the URI of a registered schema must be absolute and without a fragment: "%"', uri
            USING ERRCODE = '22023';
    END IF;
    uri := regexp_replace(uri, '#$', '');
    IF EXISTS (SELECT FROM steward.jsonschema_registry r WHERE r.uri = jsonschema_register.uri AND r.builtin) THEN
        RAISE EXCEPTION 'the built-in schema % cannot be replaced', uri USING ERRCODE = '42501';
    END IF;
    INSERT INTO steward.jsonschema_registry AS r (uri, schema)
    VALUES (jsonschema_register.uri, jsonschema_register.schema)
    ON CONFLICT ON CONSTRAINT jsonschema_registry_pkey
    DO UPDATE SET schema = excluded.schema, registered_at = now(), registered_by = session_user;
END
$$;

COMMENT ON FUNCTION steward.jsonschema_register(text, jsonb) IS
  'Register (or replace) a JSON Schema document under an absolute URI, for $ref and $schema to name; every session sees the change';

REVOKE EXECUTE ON FUNCTION steward.jsonschema_register(text, jsonb) FROM PUBLIC;

CREATE FUNCTION steward.jsonschema_unregister(uri text)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (
        DELETE FROM steward.jsonschema_registry r
        WHERE r.uri = regexp_replace(jsonschema_unregister.uri, '#$', '') AND NOT r.builtin
        RETURNING 1)
    SELECT EXISTS (SELECT FROM d)
$$;

COMMENT ON FUNCTION steward.jsonschema_unregister(text) IS
  'Remove a registered JSON Schema document; false if there was none (built-in metaschemas stay)';

REVOKE EXECUTE ON FUNCTION steward.jsonschema_unregister(text) FROM PUBLIC;
