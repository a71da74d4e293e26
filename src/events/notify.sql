-- ---------------------------------------------------------------------
-- Change events: notifications
--
-- notify_enable() installs a C AFTER trigger that sends a JSON payload with
-- NOTIFY for every change (delivered when, and if, the transaction
-- commits).  As for versioning, the triggers are the configuration, and
-- steward.notified_tables reads them back.
-- ---------------------------------------------------------------------

CREATE FUNCTION steward.notify_trigger()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'steward_notify_trigger';

COMMENT ON FUNCTION steward.notify_trigger() IS
  'AFTER row trigger (and TRUNCATE statement trigger) installed by steward.notify_enable(); arguments: the channel, then the columns whose new values are sent';

CREATE FUNCTION steward.notify_enable(
    relation regclass,
    channel  text   DEFAULT 'steward_changes',
    columns  name[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col name;
    args text;
BEGIN
    IF relation IS NULL OR channel IS NULL THEN
        RAISE EXCEPTION 'table and channel must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF channel = '' OR octet_length(channel) >= 64 THEN
        RAISE EXCEPTION 'channel must be 1 to 63 bytes long'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM steward.require_own_table(relation);
    args := quote_literal(channel);
    FOREACH col IN ARRAY coalesce(columns, '{}') LOOP
        IF col IS NULL OR NOT EXISTS (
            SELECT FROM pg_attribute a
            WHERE a.attrelid = relation AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, relation
                USING ERRCODE = 'undefined_column';
        END IF;
        -- personal data never travels in a notification (anyone may LISTEN)
        IF EXISTS (SELECT FROM steward.personal_columns p WHERE p.relation = notify_enable.relation AND p.column_name = col) THEN
            RAISE EXCEPTION 'column "%" of % is declared personal data', col, relation
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'Any role that can connect may LISTEN: notifications never carry personal data.',
                      HINT = 'A notification names the changed columns and the key; read the value from the table.';
        END IF;
        args := args || ', ' || quote_literal(col);
    END LOOP;
    -- enabling again changes the channel or the columns
    PERFORM steward.notify_disable(relation);
    EXECUTE format('CREATE TRIGGER steward_notify AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION steward.notify_trigger(%s)', relation, args);
    EXECUTE format('CREATE TRIGGER steward_notify_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION steward.notify_trigger(%s)', relation, args);
END
$$;

COMMENT ON FUNCTION steward.notify_enable(regclass, text, name[]) IS
  'Send a JSON notification on channel for every committed change of a table: operation, table, key, changed column names, and the new values of columns';

CREATE FUNCTION steward.notify_disable(relation regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t name;
BEGIN
    PERFORM steward.require_own_table(relation);
    FOR t IN SELECT tg.tgname FROM pg_trigger tg
             WHERE tg.tgrelid = relation AND tg.tgname IN ('steward_notify', 'steward_notify_truncate')
               AND tg.tgparentid = 0 LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t, relation);
    END LOOP;
END
$$;

COMMENT ON FUNCTION steward.notify_disable(regclass) IS
  'Stop the change notifications of a table';

CREATE VIEW steward.notified_tables AS
SELECT t.tgrelid::regclass AS relation,
       a.args[1] AS channel,
       a.args[2:]::name[] AS columns,
       t.tgenabled IN ('O', 'A') AS enabled
FROM pg_catalog.pg_trigger t,
     LATERAL (SELECT steward.trigger_arguments(t.tgargs, t.tgnargs) AS args) a
WHERE t.tgname = 'steward_notify'
  AND t.tgfoid = 'steward.notify_trigger()'::regprocedure
  AND NOT t.tgisinternal
  AND t.tgparentid = 0;

COMMENT ON VIEW steward.notified_tables IS
  'Tables whose changes are notified (steward.notify_enable): the channel and the columns whose values are sent, read from their trigger';
GRANT SELECT ON steward.notified_tables TO PUBLIC;
