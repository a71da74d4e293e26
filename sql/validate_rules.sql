--
-- validate_rules: declarative table rules (steward.validate_column,
-- validate_attach, validate_detach, validate_row, validate_report, the
-- steward.validation_rules view and the trigger steward_validate)
--
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SET IntervalStyle = 'postgres';
CREATE ROLE vr_owner;
CREATE ROLE vr_other;
GRANT CREATE ON SCHEMA public TO vr_owner;

-- ---------------------------------------------------------------- shorthands
SET ROLE vr_owner;
CREATE TABLE vr_customers (
    id int PRIMARY KEY,
    email text,
    website text,
    name varchar(100),
    age int,
    score numeric,
    code text,
    tier text,
    prefs jsonb,
    country text,
    phone text,
    born text
);
SELECT steward.validate_column('vr_customers', 'email', 'email');
SELECT steward.validate_column('vr_customers', 'website', 'url');
SELECT steward.validate_column('vr_customers', 'name', 'length', '{"min": 1, "max": 20}');
SELECT steward.validate_column('vr_customers', 'age', 'range', '{"min": 0, "max": 150}');
SELECT steward.validate_column('vr_customers', 'score', 'range', '{"exclusive_min": 0, "exclusive_max": 10}');
SELECT steward.validate_column('vr_customers', 'code', 'pattern', '"^[A-Z]{3}-[0-9]{4}$"');
SELECT steward.validate_column('vr_customers', 'tier', 'one_of', '["free", "pro"]');
SELECT steward.validate_column('vr_customers', 'prefs', 'schema', '{"properties": {"theme": {"enum": ["dark", "light"]}}, "additionalProperties": false}');
SELECT steward.validate_column('vr_customers', 'country', 'iso-country');
SELECT steward.validate_column('vr_customers', 'phone', 'e164');
SELECT steward.validate_column('vr_customers', 'born', 'date');
SELECT relation, column_name, rule, args, schema, enabled, created_by
FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass
ORDER BY column_name, rule;
-- one trigger carries them all
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'vr_customers'::regclass;

-- rows that satisfy the rules; NULL passes every shorthand
INSERT INTO vr_customers VALUES
  (1, 'ann@example.com', 'https://ann.example.com/', 'Ann', 34, 9.99, 'ABC-1234', 'pro',
   '{"theme": "dark"}', 'GB', '+441632960961', '1990-02-28'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, 'bo@example.org', NULL, 'B', 0, 0.001, NULL, 'free', '{}', 'DEU', NULL, '2000-02-29');
-- a row that fails several rules: one error, every failing field with its
-- path and message, never the values
INSERT INTO vr_customers VALUES
  (4, 'secret@x', 'ftp://secret.example/', '', 151, 10, 'secret-1234', 'secret',
   '{"theme": "secret"}', 'UK', '0044', '1900-02-29');
\echo :LAST_ERROR_SQLSTATE
DO $$
DECLARE
  msg text; detail text; hint text;
BEGIN
  INSERT INTO vr_customers VALUES
    (4, 'secret@x', 'ftp://secret.example/', '', 151, 10, 'secret-1234', 'secret',
     '{"theme": "secret"}', 'UK', '0044', '1900-02-29');
EXCEPTION WHEN check_violation THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RAISE NOTICE 'values quoted: %', concat(msg, detail, hint) LIKE '%secret%';
END $$;
-- each bound, exclusive or not
INSERT INTO vr_customers (id, age) VALUES (5, -1);
INSERT INTO vr_customers (id, age, score) VALUES (5, 150, 0);
INSERT INTO vr_customers (id, score) VALUES (5, 9.9999999999);
INSERT INTO vr_customers (id, name) VALUES (7, repeat('é', 20));
INSERT INTO vr_customers (id, name) VALUES (8, repeat('é', 21));
-- a range needs a number: NaN (a string in JSON) fails
INSERT INTO vr_customers (id, score) VALUES (6, 'NaN');
SELECT id FROM vr_customers ORDER BY id;
-- UPDATE is checked too
UPDATE vr_customers SET email = 'not an address' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE vr_customers SET tier = 'free' WHERE id = 1;
UPDATE vr_customers SET tier = NULL, age = age + 1 WHERE id IN (1, 3);
SELECT id, tier, age FROM vr_customers ORDER BY id;
-- INSERT ... SELECT of many rows: all or nothing
INSERT INTO vr_customers (id, email, age)
SELECT g, 'user' || g || '@example.com', g % 100 FROM generate_series(100, 2099) g;
INSERT INTO vr_customers (id, email, age)
SELECT g, 'user' || g || '@example.com', CASE WHEN g = 2500 THEN 200 ELSE 1 END
FROM generate_series(2100, 2999) g;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM vr_customers;
-- COPY
COPY vr_customers (id, email, tier) FROM STDIN;
3000	copy1@example.com	pro
3001	\N	free
\.
COPY vr_customers (id, email, tier) FROM STDIN;
3002	copy2@example.com	pro
3003	copy3@example.com	platinum
\.
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM vr_customers WHERE id >= 3000;
RESET ROLE;

-- ---------------------------------------------------------------- argument errors
SET ROLE vr_owner;
SELECT steward.validate_column('vr_customers', 'email', 'email', '{"quoted": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'name', 'length');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'name', 'length', '{"minimum": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'name', 'length', '[1, 5]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'name', 'length', '{"min": -1}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'name', 'length', '{"max": "ten"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'age', 'range', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'age', 'range', '{"min": 0, "step": 2}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'age', 'range', '{"min": "0"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'code', 'pattern', '"(unclosed"');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'code', 'pattern', '["^a"]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'tier', 'one_of', '[]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'tier', 'one_of', '"free"');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'prefs', 'schema');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'prefs', 'schema', '{"type": "strnig"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'email', 'emial');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'email', 'EMAIL');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', NULL, 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'email', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column(NULL, 'email', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'e_mail', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'ctid', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_nowhere', 'email', 'email');
\echo :LAST_ERROR_SQLSTATE
-- not a table (only the SQLSTATE is shown)
CREATE VIEW vr_customer_view AS SELECT * FROM vr_customers;
\set VERBOSITY sqlstate
SELECT steward.validate_column('vr_customer_view', 'email', 'email');
SELECT steward.validate_attach('vr_customer_view', '{}');
SELECT steward.validate_detach('vr_customer_view');
\set VERBOSITY default
-- a rule that checks text on a column of another type, or numbers
SELECT steward.validate_column('vr_customers', 'age', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'prefs', 'length', '{"max": 10}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_column('vr_customers', 'email', 'range', '{"max": 10}');
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE vr_temp (email text);
SELECT steward.validate_column('vr_temp', 'email', 'email');
\echo :LAST_ERROR_SQLSTATE
-- nothing was stored by any of these
SELECT count(*) FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass;
RESET ROLE;
-- only the owner (or a member of the owning role) may change the rules
SET ROLE vr_other;
SELECT steward.validate_column('vr_customers', 'email', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_attach('vr_customers', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_detach('vr_customers');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validation_rule_write('vr_customers', NULL, 'x', NULL, '{}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO steward.validation_config (relation, rule, schema) VALUES ('vr_customers', 'x', 'false');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM steward.validation_config;
\echo :LAST_ERROR_SQLSTATE
-- but anyone may read the rules
SELECT count(*) FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass;
RESET ROLE;
GRANT vr_owner TO vr_other;
SET ROLE vr_other;
SELECT steward.validate_column('vr_customers', 'email', 'email');
RESET ROLE;
REVOKE vr_owner FROM vr_other;

-- ---------------------------------------------------------------- validate_attach
SET ROLE vr_owner;
CREATE TABLE vr_orders (id int PRIMARY KEY, status text NOT NULL, total numeric, shipped_at timestamptz, items jsonb);
SELECT steward.validate_attach('vr_orders', '{
  "required": ["total"],
  "properties": {"total": {"type": "number", "minimum": 0},
                 "items": {"type": "array", "minItems": 1,
                           "items": {"type": "object", "required": ["sku", "qty"],
                                     "properties": {"qty": {"type": "integer", "minimum": 1}}}}},
  "if": {"properties": {"status": {"const": "shipped"}}},
  "then": {"properties": {"shipped_at": {"type": "string"}}}
}', 'order');
SELECT relation, column_name, rule, args, enabled FROM steward.validation_rules WHERE relation = 'vr_orders'::regclass;
INSERT INTO vr_orders VALUES (1, 'new', 10, NULL, '[{"sku": "A", "qty": 1}]');
INSERT INTO vr_orders VALUES (2, 'shipped', 10, NULL, '[{"sku": "A", "qty": 0}, {"qty": 2}]');
\echo :LAST_ERROR_SQLSTATE
-- "required": the column is always there; NULL is a value (JSON null)
INSERT INTO vr_orders VALUES (2, 'new', NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO vr_orders VALUES (2, 'shipped', 0, '2024-01-01 10:00+00', '[{"sku": "B", "qty": 5}]');
-- attaching again under the same name replaces the rule
SELECT steward.validate_attach('vr_orders', '{"properties": {"status": {"enum": ["new", "shipped", "cancelled"]}}}', 'order');
SELECT rule, schema FROM steward.validation_rules WHERE relation = 'vr_orders'::regclass;
INSERT INTO vr_orders VALUES (3, 'new', -1, NULL, '[]');
INSERT INTO vr_orders VALUES (4, 'lost', 1, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
-- a second rule under another name; rules apply in the order they were made
SELECT steward.validate_attach('vr_orders', '{"properties": {"total": {"maximum": 1000}}}', 'limits');
INSERT INTO vr_orders VALUES (4, 'lost', 1001, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
-- an invalid schema is refused before anything is stored
SELECT steward.validate_attach('vr_orders', '{"properties": {"total": {"maximum": "1000"}}}', 'limits');
\echo :LAST_ERROR_SQLSTATE
SELECT rule, schema FROM steward.validation_rules WHERE relation = 'vr_orders'::regclass ORDER BY rule;
CREATE TABLE vr_fresh (id int);
SELECT steward.validate_attach('vr_fresh', '{"type": "strnig"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS rules, (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'vr_fresh'::regclass) AS triggers
FROM steward.validation_config WHERE relation = 'vr_fresh'::regclass;
SELECT steward.validate_attach('vr_fresh', '{"$ref": "https://example.com/vr/unknown"}');
\echo :LAST_ERROR_SQLSTATE
-- an error about the whole row
SELECT steward.validate_attach('vr_fresh', '{"minProperties": 2}', 'wide');
INSERT INTO vr_fresh VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_detach('vr_fresh');
-- bad names and NULLs
SELECT steward.validate_attach('vr_orders', '{}', '*');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_attach('vr_orders', '{}', 'column:total');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_attach('vr_orders', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_attach('vr_orders', '{}', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_attach(NULL, '{}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a rule that refers to a registered schema sees its changes at once
SELECT steward.jsonschema_register('https://example.com/vr/sku', '{"type": "string", "pattern": "^[A-Z]$"}');
SET ROLE vr_owner;
SELECT steward.validate_attach('vr_orders', '{"properties": {"items": {"items": {"properties": {"sku": {"$ref": "https://example.com/vr/sku"}}}}}}', 'sku');
INSERT INTO vr_orders VALUES (5, 'new', 1, NULL, '[{"sku": "AB", "qty": 1}]');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT steward.jsonschema_register('https://example.com/vr/sku', '{"type": "string", "pattern": "^[A-Z]+$"}');
SET ROLE vr_owner;
INSERT INTO vr_orders VALUES (5, 'new', 1, NULL, '[{"sku": "AB", "qty": 1}]');
RESET ROLE;

-- ---------------------------------------------------------------- column types
-- each column is seen as to_jsonb() sees it: a rule pinning every column
-- to to_jsonb()'s value of the same row accepts that row
CREATE TYPE vr_pair AS (a int, b text);
CREATE TYPE vr_mood AS ENUM ('sad', 'happy');
CREATE TABLE vr_types (
    i2 smallint, i4 int, i8 bigint, n numeric, n_nan numeric, n_inf numeric,
    f4 real, f8 double precision, f8_nan double precision, f8_inf double precision,
    b bool, t text, vc varchar(10), bp char(5),
    d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval,
    j jsonb, j_null jsonb, js json, arr int[], arr2 text[][], tsarr timestamptz[],
    u uuid, ip inet, pair vr_pair, mood vr_mood, mail steward.email, by bytea,
    g int GENERATED ALWAYS AS (i4 * 2) STORED
);
CREATE TEMP TABLE vr_sample AS
SELECT (-32768)::smallint AS i2, 1073741823 AS i4, 9007199254740993::bigint AS i8,
       123456789012345678901234567890.000001::numeric AS n, 'NaN'::numeric AS n_nan,
       '-Infinity'::numeric AS n_inf, 0.5::real AS f4, 1.25::double precision AS f8,
       'NaN'::double precision AS f8_nan, 'Infinity'::double precision AS f8_inf,
       true AS b, E'tab\there "quoted" é 😀' AS t, 'short' AS vc, 'ab'::char(5) AS bp,
       '2024-02-29'::date AS d, '2024-02-29 13:45:56.789'::timestamp AS ts,
       '2024-02-29 13:45:56+02'::timestamptz AS tstz, '13:45:56'::time AS tm,
       '13:45:56+05:30'::timetz AS tmtz, '1 day 02:03:04'::interval AS iv,
       '{"b": [1, 2.50, {"c": null}], "a": true}'::jsonb AS j, 'null'::jsonb AS j_null,
       '{"k": 1, "k": 2}'::json AS js, ARRAY[1, NULL, 3] AS arr,
       ARRAY[['a', 'b'], ['c', NULL]] AS arr2,
       ARRAY['2024-01-01 00:00:00+00'::timestamptz] AS tsarr,
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '192.0.2.1/24'::inet AS ip,
       ROW(1, 'x')::vr_pair AS pair, 'happy'::vr_mood AS mood,
       'ann@example.com'::steward.email AS mail, '\xdeadbeef'::bytea AS by;
SELECT key, value FROM vr_sample s, jsonb_each(to_jsonb(s)) ORDER BY key;
SELECT steward.validate_attach('vr_types',
  jsonb_build_object('properties',
    (SELECT jsonb_object_agg(key, jsonb_build_object('const', value)) FROM vr_sample s, jsonb_each(to_jsonb(s)))),
  'as_to_jsonb');
INSERT INTO vr_types SELECT * FROM vr_sample;
-- a change of a column breaks the pin
CREATE TEMP TABLE vr_sample2 AS SELECT * FROM vr_sample;
UPDATE vr_sample2 SET i8 = i8 + 1, n = n + 0.000001, tstz = tstz + interval '1 second',
  j = j || '{"a": false}', arr = arr || 4, bp = 'ab ', pair = ROW(1, 'y');
INSERT INTO vr_types SELECT * FROM vr_sample2;
\echo :LAST_ERROR_SQLSTATE
-- the generated column is left out: a rule on it never sees a key
SELECT steward.validate_attach('vr_types', '{"properties": {"g": false}}', 'generated');
INSERT INTO vr_types SELECT * FROM vr_sample;
SELECT steward.validate_attach('vr_types', '{"required": ["g"]}', 'generated');
INSERT INTO vr_types SELECT * FROM vr_sample;
\echo :LAST_ERROR_SQLSTATE
-- validate_row takes no value for it
SELECT * FROM steward.validate_row('vr_types', '{"g": 2, "i4": 1}');
SELECT steward.validate_detach('vr_types');
-- types and formats as a schema sees them
SELECT steward.validate_attach('vr_types', '{"properties": {
  "i8": {"type": "integer"}, "n": {"type": "number"}, "f8_nan": {"type": "string"},
  "b": {"type": "boolean"}, "d": {"format": "date"}, "tstz": {"format": "date-time"},
  "tmtz": {"format": "time"}, "u": {"format": "uuid"}, "ip": {"type": "string"},
  "pair": {"type": "object", "required": ["a", "b"]}, "arr": {"type": "array", "maxItems": 3},
  "arr2": {"items": {"type": "array"}}, "j": {"properties": {"b": {"type": "array"}}}}}', 'types');
INSERT INTO vr_types SELECT * FROM vr_sample;
-- a timestamp without time zone has no offset, so it is no RFC 3339
-- date-time; a time without time zone is no full-time either
SELECT steward.validate_attach('vr_types', '{"properties": {"ts": {"format": "date-time"}, "tm": {"format": "time"}}}', 'no_offset');
INSERT INTO vr_types SELECT * FROM vr_sample;
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_detach('vr_types');

-- the trigger function is only for the trigger validate_attach makes
CREATE TABLE vr_misuse (v int);
CREATE TRIGGER t AFTER INSERT ON vr_misuse FOR EACH ROW EXECUTE FUNCTION steward.validate_trigger();
INSERT INTO vr_misuse VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER t ON vr_misuse;
CREATE TRIGGER t BEFORE DELETE ON vr_misuse FOR EACH ROW EXECUTE FUNCTION steward.validate_trigger();
INSERT INTO vr_misuse VALUES (1);
DELETE FROM vr_misuse;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE vr_misuse;
SELECT steward.validate_trigger();
\echo :LAST_ERROR_SQLSTATE
-- a table with the trigger but no rules lets everything through
CREATE TABLE vr_bare (v int);
CREATE TRIGGER steward_validate BEFORE INSERT ON vr_bare FOR EACH ROW EXECUTE FUNCTION steward.validate_trigger();
INSERT INTO vr_bare VALUES (1);
DROP TABLE vr_bare;

-- ---------------------------------------------------------------- ADD and DROP COLUMN
SET ROLE vr_owner;
CREATE TABLE vr_evolve (id int PRIMARY KEY, note text, legacy int);
SELECT steward.validate_column('vr_evolve', 'note', 'length', '{"max": 3}');
SELECT steward.validate_attach('vr_evolve', '{"properties": {"legacy": {"type": "integer", "maximum": 10}}, "required": ["extra"]}', 'whole_row');
-- "extra" is no column yet: every row fails
INSERT INTO vr_evolve VALUES (1, 'abc', 1);
\echo :LAST_ERROR_SQLSTATE
-- once it is, its key is there (null)
ALTER TABLE vr_evolve ADD COLUMN extra int;
INSERT INTO vr_evolve VALUES (1, 'abc', 1);
INSERT INTO vr_evolve VALUES (2, 'abcd', 11);
\echo :LAST_ERROR_SQLSTATE
-- dropping a column: its validate_column rules go with it; a whole-row
-- rule that names it stays and no longer sees the key
ALTER TABLE vr_evolve DROP COLUMN note;
ALTER TABLE vr_evolve DROP COLUMN legacy;
SELECT column_name, rule FROM steward.validation_rules WHERE relation = 'vr_evolve'::regclass ORDER BY rule;
INSERT INTO vr_evolve VALUES (2, 5);
ALTER TABLE vr_evolve ADD COLUMN note text;
INSERT INTO vr_evolve (id, extra, note) VALUES (3, 5, 'a long note');
ALTER TABLE vr_evolve ADD COLUMN legacy int;
INSERT INTO vr_evolve (id, legacy) VALUES (4, 11);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM vr_evolve ORDER BY id;
RESET ROLE;

-- ---------------------------------------------------------------- partitions
SET ROLE vr_owner;
CREATE TABLE vr_events (id int, region text, amount numeric) PARTITION BY LIST (region);
CREATE TABLE vr_events_eu PARTITION OF vr_events FOR VALUES IN ('eu');
SELECT steward.validate_column('vr_events', 'amount', 'range', '{"min": 0}');
SELECT c.relname, t.tgname, t.tgparentid <> 0 AS cloned
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relname LIKE 'vr\_events%' ORDER BY 1;
INSERT INTO vr_events VALUES (1, 'eu', 5);
INSERT INTO vr_events VALUES (2, 'eu', -5);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO vr_events_eu VALUES (2, 'eu', -5);
\echo :LAST_ERROR_SQLSTATE
-- a partition attached later, with its columns in another order and a
-- dropped column
CREATE TABLE vr_events_us (junk int, amount numeric, region text, id int);
ALTER TABLE vr_events_us DROP COLUMN junk;
ALTER TABLE vr_events ATTACH PARTITION vr_events_us FOR VALUES IN ('us');
INSERT INTO vr_events VALUES (3, 'us', 7);
INSERT INTO vr_events VALUES (4, 'us', -7);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO vr_events_us (id, region, amount) VALUES (4, 'us', -7);
\echo :LAST_ERROR_SQLSTATE
-- a row moved to another partition by an UPDATE is checked
UPDATE vr_events SET region = 'us', amount = -1 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE vr_events SET region = 'us' WHERE id = 1;
SELECT tableoid::regclass, * FROM vr_events ORDER BY id;
-- rules belong to the partitioned table, not to a partition
SELECT steward.validate_column('vr_events_eu', 'amount', 'range', '{"max": 10}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.validate_attach('vr_events_us', '{}');
\echo :LAST_ERROR_SQLSTATE
-- a rule added to the parent later reaches the partitions at once
SELECT steward.validate_attach('vr_events', '{"properties": {"id": {"maximum": 100}}}', 'ids');
INSERT INTO vr_events VALUES (101, 'eu', 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- ---------------------------------------------------------------- odd identifiers
SET ROLE vr_owner;
CREATE TABLE "Odd ""Table"" name" ("E-Mail Address" text, "MixedCase" int, "a/b~c" text,
    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" text);
SELECT steward.validate_column('"Odd ""Table"" name"', 'E-Mail Address', 'email');
SELECT steward.validate_column('"Odd ""Table"" name"', 'MixedCase', 'range', '{"max": 9}');
SELECT steward.validate_column('"Odd ""Table"" name"', 'a/b~c', 'one_of', '["x"]');
SELECT steward.validate_column('"Odd ""Table"" name"', repeat('c', 63), 'slug');
SELECT steward.validate_column('"Odd ""Table"" name"', 'mixedcase', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT relation, column_name, rule FROM steward.validation_rules
WHERE relation = '"Odd ""Table"" name"'::regclass ORDER BY column_name;
INSERT INTO "Odd ""Table"" name" VALUES ('a@example.com', 9, 'x', 'a-slug');
INSERT INTO "Odd ""Table"" name" VALUES ('a@', 10, 'y', 'Not A Slug');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt (v text);
SELECT steward.validate_column(repeat('t', 63), 'v', 'uuid');
INSERT INTO ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt VALUES ('x');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE SCHEMA "vr schema" AUTHORIZATION vr_owner;
SET ROLE vr_owner;
CREATE TABLE "vr schema"."T" (v int);
SELECT steward.validate_column('"vr schema"."T"', 'v', 'range', '{"min": 1}');
INSERT INTO "vr schema"."T" VALUES (0);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- ---------------------------------------------------------------- validate_detach
SET ROLE vr_owner;
SELECT count(*) FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass;
-- one rule of one column
SELECT steward.validate_detach('vr_customers', 'age', 'range');
SELECT count(*) FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass AND column_name = 'age';
INSERT INTO vr_customers (id, age) VALUES (5000, 500);
-- every rule of one column
SELECT steward.validate_column('vr_customers', 'code', 'length', '{"max": 8}');
SELECT steward.validate_detach('vr_customers', 'code');
SELECT count(*) FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass AND column_name = 'code';
-- a rule that does not exist: nothing happens
SELECT steward.validate_detach('vr_customers', 'email', 'url');
SELECT steward.validate_detach('vr_customers', 'no_such_column');
SELECT count(*) FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass;
-- everything: the trigger goes with the last rule
SELECT steward.validate_detach('vr_customers');
SELECT count(*) AS rules, (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'vr_customers'::regclass) AS triggers
FROM steward.validation_rules WHERE relation = 'vr_customers'::regclass;
INSERT INTO vr_customers (id, email) VALUES (5001, 'anything goes');
-- detaching from a table without rules is harmless
SELECT steward.validate_detach('vr_customers');
SELECT steward.validate_detach(NULL);
\echo :LAST_ERROR_SQLSTATE
-- a whole-row rule by its name; a partition's rules through its parent
SELECT steward.validate_detach('vr_orders', rule => 'limits');
SELECT rule FROM steward.validation_rules WHERE relation = 'vr_orders'::regclass ORDER BY rule;
SELECT steward.validate_detach('vr_events');
SELECT count(*) AS triggers FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname LIKE 'vr\_events%';
INSERT INTO vr_events VALUES (102, 'us', -1);
RESET ROLE;

-- ---------------------------------------------------------------- validate_row
SET ROLE vr_owner;
CREATE TABLE vr_people (id int PRIMARY KEY, email text, age int, born date, tags text[], meta jsonb);
SELECT steward.validate_column('vr_people', 'email', 'email');
SELECT steward.validate_column('vr_people', 'age', 'range', '{"min": 18}');
SELECT steward.validate_attach('vr_people', '{"properties": {"meta": {"required": ["src"]}, "tags": {"maxItems": 2}}}', 'extra');
-- errors as rows, in the order of the rules
SELECT * FROM steward.validate_row('vr_people', '{"id": 1, "email": "secret@x", "age": 17, "tags": "{a,b,c}", "meta": {}}');
-- valid: no rows
SELECT count(*) FROM steward.validate_row('vr_people', '{"id": 1, "email": "ann@example.com", "age": 18, "born": "2000-02-29", "meta": {"src": "web"}}');
-- columns left out are not checked; JSON null is SQL NULL
SELECT count(*) FROM steward.validate_row('vr_people', '{}');
SELECT count(*) FROM steward.validate_row('vr_people', '{"email": null, "age": null}');
-- a key that is no column, values the column type does not take: error
-- rows that do not quote the value
SELECT * FROM steward.validate_row('vr_people', '{"id": 1, "emial": "ann@example.com", "age": "secret@x", "born": "2023-02-29", "tags": "secret@x", "meta": "{"}');
SELECT * FROM steward.validate_row('vr_people', '{"age": 17.5, "id": true}');
-- values are converted as an INSERT would: a number as text, an array
-- literal, JSON text for jsonb
SELECT * FROM steward.validate_row('vr_people', '{"id": "7", "age": "17", "tags": "{a,b,c}", "email": 42}');
-- bad arguments
SELECT * FROM steward.validate_row('vr_people', '[{"id": 1}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.validate_row('vr_people', '"x"');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.validate_row('vr_people', 'null');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.validate_row('vr_people', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.validate_row(NULL, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.validate_row('vr_customer_view', '{}');
\echo :LAST_ERROR_SQLSTATE
-- a table without rules: no rows (but still the column checks)
SELECT * FROM steward.validate_row('vr_fresh', '{"id": "x", "other": 1}');
RESET ROLE;
-- privileges: some privilege on the table is needed
SET ROLE vr_other;
SELECT * FROM steward.validate_row('vr_people', '{"age": 1}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT INSERT ON vr_people TO vr_other;
SET ROLE vr_other;
SELECT * FROM steward.validate_row('vr_people', '{"age": 1}');
RESET ROLE;
REVOKE INSERT ON vr_people FROM vr_other;

-- ---------------------------------------------------------------- validate_report
SET ROLE vr_owner;
-- rows written before the rules, or while the trigger was disabled
INSERT INTO vr_people VALUES (1, 'ann@example.com', 30, NULL, NULL, '{"src": "a"}'),
                             (2, 'secret@x', 30, NULL, NULL, '{"src": "b"}'),
                             (3, 'cy@example.com', 12, NULL, NULL, '{"src": "c"}');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE vr_people DISABLE TRIGGER steward_validate;
SELECT rule, enabled FROM steward.validation_rules WHERE relation = 'vr_people'::regclass ORDER BY rule;
INSERT INTO vr_people VALUES (1, 'ann@example.com', 30, NULL, NULL, '{"src": "a"}'),
                             (2, 'secret@x', 30, NULL, NULL, '{"src": "b"}'),
                             (3, 'cy@example.com', 12, NULL, ARRAY['a', 'b', 'c'], '{}'),
                             (4, 'dee@example.com', 40, NULL, NULL, '{"src": "d"}');
ALTER TABLE vr_people ENABLE TRIGGER steward_validate;
SELECT * FROM steward.validate_report('vr_people') ORDER BY row_key->>'id', schema_path;
SELECT * FROM steward.validate_report('vr_people', max_rows => 2) ORDER BY row_key->>'id', schema_path;
SELECT count(*) FROM steward.validate_report('vr_people', max_rows => 0);
SELECT * FROM steward.validate_report('vr_people', max_rows => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.validate_report(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM steward.validate_report('vr_fresh');
SELECT * FROM steward.validate_report('vr_customer_view');
\echo :LAST_ERROR_SQLSTATE
-- a composite primary key; a table without one is keyed by ctid
CREATE TABLE vr_pairs (a text, b int, v int, PRIMARY KEY (b, a));
CREATE TABLE vr_nokey (v int);
INSERT INTO vr_pairs VALUES ('x', 1, 5), ('y"z', 2, 50);
INSERT INTO vr_nokey VALUES (5), (50), (6), (60);
SELECT steward.validate_column('vr_pairs', 'v', 'range', '{"max": 10}');
SELECT steward.validate_column('vr_nokey', 'v', 'range', '{"max": 10}');
SELECT row_key, instance_path, keyword FROM steward.validate_report('vr_pairs');
SELECT row_key, instance_path, keyword FROM steward.validate_report('vr_nokey') ORDER BY row_key->>'ctid';
RESET ROLE;
-- under the caller's privileges and row-level security
SET ROLE vr_other;
SELECT * FROM steward.validate_report('vr_people');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE vr_owner;
ALTER TABLE vr_people ENABLE ROW LEVEL SECURITY;
CREATE POLICY vr_people_small ON vr_people FOR SELECT TO vr_other USING (id <= 2);
GRANT SELECT ON vr_people TO vr_other;
RESET ROLE;
SET ROLE vr_other;
SELECT row_key, instance_path, keyword FROM steward.validate_report('vr_people') ORDER BY row_key->>'id', schema_path;
RESET ROLE;
-- the owner is not subject to the policy
SET ROLE vr_owner;
SELECT count(*) FROM steward.validate_report('vr_people');
RESET ROLE;

-- ---------------------------------------------------------------- the failure counter
-- one per refused row (the test instances preload the library)
SET ROLE vr_owner;
CREATE TABLE vr_counted (id int PRIMARY KEY, v int);
SELECT steward.validate_column('vr_counted', 'v', 'range', '{"max": 10}');
RESET ROLE;
SELECT coalesce((SELECT validation_failures FROM steward.status() WHERE table_name = 'vr_counted'::regclass), 0) AS validation_failures;
SET ROLE vr_owner;
INSERT INTO vr_counted VALUES (1, 11);
INSERT INTO vr_counted VALUES (1, 1), (2, 2);
UPDATE vr_counted SET v = 20;
INSERT INTO vr_counted SELECT g, 100 FROM generate_series(3, 10) g;
DO $$
BEGIN
  INSERT INTO vr_counted VALUES (11, 11);
EXCEPTION WHEN check_violation THEN
  RAISE NOTICE 'refused: %', SQLERRM;
END $$;
-- a partition's refusals count for its partitioned table
INSERT INTO vr_events VALUES (103, 'us', 1);
SELECT steward.validate_column('vr_events', 'amount', 'range', '{"min": 0}');
INSERT INTO vr_events_us (id, region, amount) VALUES (104, 'us', -1);
RESET ROLE;
SELECT table_name, validation_failures FROM steward.status()
WHERE table_name IN ('vr_counted'::regclass, 'vr_events'::regclass, 'vr_events_us'::regclass)
ORDER BY table_name::text;
-- a partitioned table without a key: the report names the partition and
-- the ctid of the row that was written before the rule
SELECT row_key, instance_path, keyword FROM steward.validate_report('vr_events');

-- ---------------------------------------------------------------- DROP TABLE
SELECT 'vr_orders'::regclass::oid AS orders_oid \gset
SELECT count(*) AS rules_before FROM steward.validation_config WHERE relation = :orders_oid;
DROP TABLE vr_orders;
SELECT count(*) AS rules_after FROM steward.validation_config WHERE relation = :orders_oid;
SELECT count(*) AS dangling FROM steward.validation_config c
WHERE NOT EXISTS (SELECT FROM pg_class r WHERE r.oid = c.relation);

-- ---------------------------------------------------------------- review fixes
-- a rule follows its column when the column is renamed
CREATE TABLE vr_renamed (id int, a text, b text);
SELECT steward.validate_column('vr_renamed', 'a', 'email');
SELECT steward.validate_column('vr_renamed', 'b', 'length', '{"max": 3}');
ALTER TABLE vr_renamed RENAME COLUMN a TO contact;
SELECT column_name, rule, schema FROM steward.validation_rules
 WHERE relation = 'vr_renamed'::regclass ORDER BY column_name;
INSERT INTO vr_renamed VALUES (1, 'not an address', 'ok');
-- a generated column cannot carry a rule (it is computed after the trigger)
CREATE TABLE vr_generated (a int, g int GENERATED ALWAYS AS (a * 2) STORED);
SELECT steward.validate_column('vr_generated', 'g', 'range', '{"max": 1}');
-- keys that come from the data (they may be personal) show as "*" in the
-- error; validate_row and jsonschema_errors, for the caller's own data,
-- give the full path
CREATE TABLE vr_keys (id int, data jsonb);
SELECT steward.validate_column('vr_keys', 'data', 'schema',
  '{"properties": {"plan": {"enum": ["free", "pro"]}}, "additionalProperties": {"type": "number"}, "propertyNames": {"maxLength": 10}}');
INSERT INTO vr_keys VALUES (1, '{"plan": "gold", "ann.smith@example.com": "x"}');
SELECT instance_path, keyword, message FROM steward.validate_row('vr_keys', '{"data": {"ann.smith@example.com": "x"}}') ORDER BY 1, 2;
-- an array column takes a JSON array in validate_row (as to_jsonb shows it)
CREATE TABLE vr_arrays (id int, tags text[]);
SELECT steward.validate_attach('vr_arrays', '{"properties": {"tags": {"maxItems": 1}}}');
SELECT instance_path, message FROM steward.validate_row('vr_arrays', to_jsonb(ROW(1, ARRAY['a', 'b'])::vr_arrays));
-- a cycle is refused when the rule is attached, not at the first write
SELECT steward.validate_attach('vr_arrays', '{"$ref": "#"}', 'cyclic');
SELECT count(*) AS rules FROM steward.validation_rules WHERE relation = 'vr_arrays'::regclass;
DROP TABLE vr_renamed, vr_generated, vr_keys, vr_arrays;

-- ---------------------------------------------------------------- clean up
DROP TABLE vr_customers, vr_fresh, vr_types, vr_evolve, vr_events, vr_people, vr_pairs,
  vr_nokey, vr_counted, "Odd ""Table"" name",
  ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt CASCADE;
DROP TABLE vr_temp;
DROP SCHEMA "vr schema" CASCADE;
DROP TABLE vr_sample, vr_sample2;
DROP TYPE vr_pair, vr_mood;
-- no rule is left of the dropped tables
SELECT count(*) AS dangling FROM steward.validation_config c
WHERE NOT EXISTS (SELECT FROM pg_class r WHERE r.oid = c.relation);
SELECT steward.jsonschema_unregister('https://example.com/vr/sku');
REVOKE CREATE ON SCHEMA public FROM vr_owner;
DROP ROLE vr_owner;
DROP ROLE vr_other;
