--
-- Validation: format validators against regular expressions, JSON Schema
-- against the same checks written as a SQL CHECK expression, and table
-- rules against a CHECK constraint on INSERT.
--
-- Data: 100,000 jsonb documents of 10 properties (strings with length
-- limits, a pattern, an email format, integer ranges, an enum, a nested
-- object with a pattern, an array of strings, a boolean), 5% of them
-- invalid in one property or another.
--
\echo '== validate: 100,000 documents of 10 properties, 5% invalid (best of 5)'
CREATE TABLE bench.vdocs AS
SELECT g AS id,
       jsonb_build_object(
           'name', 'User ' || g,
           'username', 'user_' || g,
           'email', CASE WHEN g % 100 = 1 THEN 'user' || g || '@example' ELSE 'user' || g || '@example.com' END,
           'age', CASE WHEN g % 100 = 2 THEN 7 ELSE 13 + g % 100 END,
           'score', CASE WHEN g % 100 = 3 THEN 100.5 ELSE g % 101 END,
           'status', CASE WHEN g % 100 = 4 THEN 'deleted' ELSE (ARRAY['active', 'inactive', 'banned'])[1 + g % 3] END,
           'country', 'DE',
           'address', jsonb_build_object('street', 'Main Street ' || g % 500,
                                         'city', 'Springfield',
                                         'zip', lpad((g % 99999)::text, 5, '0')),
           'tags', CASE WHEN g % 100 = 5 THEN '["a", 1]'::jsonb ELSE '["news", "offers"]'::jsonb END,
           'newsletter', g % 2 = 0) AS doc
FROM generate_series(1, 100000) g;
VACUUM ANALYZE bench.vdocs;

\set schema '{"type": "object", "required": ["name", "username", "email", "age", "status"], "properties": {"name": {"type": "string", "minLength": 2, "maxLength": 50}, "username": {"type": "string", "pattern": "^[a-z0-9_]{3,20}$"}, "email": {"type": "string", "format": "email"}, "age": {"type": "integer", "minimum": 13, "maximum": 120}, "score": {"type": "integer", "minimum": 0, "maximum": 100}, "status": {"enum": ["active", "inactive", "banned"]}, "country": {"type": "string", "minLength": 2, "maxLength": 2}, "address": {"type": "object", "required": ["street", "city", "zip"], "properties": {"street": {"type": "string", "maxLength": 100}, "city": {"type": "string", "maxLength": 100}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}, "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 20}}, "newsletter": {"type": "boolean"}}}'

-- the same checks as one SQL expression (what a hand-written CHECK holds)
CREATE FUNCTION bench.doc_check_sql(d jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_typeof(d) = 'object'
   AND d ?& ARRAY['name', 'username', 'email', 'age', 'status']
   AND jsonb_typeof(d->'name') = 'string' AND length(d->>'name') BETWEEN 2 AND 50
   AND jsonb_typeof(d->'username') = 'string' AND (d->>'username') ~ '^[a-z0-9_]{3,20}$'
   AND jsonb_typeof(d->'email') = 'string'
   AND (d->>'email') ~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$'
   AND jsonb_typeof(d->'age') = 'number' AND (d->>'age')::numeric BETWEEN 13 AND 120
   AND (d->>'age')::numeric = trunc((d->>'age')::numeric)
   AND (NOT d ? 'score' OR (jsonb_typeof(d->'score') = 'number' AND (d->>'score')::numeric BETWEEN 0 AND 100
                            AND (d->>'score')::numeric = trunc((d->>'score')::numeric)))
   AND d->'status' IN ('"active"', '"inactive"', '"banned"')
   AND (NOT d ? 'country' OR (jsonb_typeof(d->'country') = 'string' AND length(d->>'country') = 2))
   AND (NOT d ? 'address' OR (jsonb_typeof(d->'address') = 'object'
        AND d->'address' ?& ARRAY['street', 'city', 'zip']
        AND jsonb_typeof(d->'address'->'street') = 'string' AND length(d->'address'->>'street') <= 100
        AND jsonb_typeof(d->'address'->'city') = 'string' AND length(d->'address'->>'city') <= 100
        AND jsonb_typeof(d->'address'->'zip') = 'string' AND (d->'address'->>'zip') ~ '^[0-9]{5}$'))
   AND (NOT d ? 'tags' OR (jsonb_typeof(d->'tags') = 'array' AND jsonb_array_length(d->'tags') <= 10
        AND NOT jsonb_path_exists(d->'tags', '$[*] ? (@.type() != "string" || @ like_regex "^.{21}")')))
   AND (NOT d ? 'newsletter' OR jsonb_typeof(d->'newsletter') = 'boolean')
$$;

-- both agree on every document (and 5% are invalid)
SELECT count(*) AS documents,
       count(*) FILTER (WHERE NOT bench.doc_check_sql(doc)) AS invalid_by_sql,
       count(*) FILTER (WHERE NOT steward.jsonschema_is_valid(:'schema', doc)) AS invalid_by_schema,
       count(*) FILTER (WHERE bench.doc_check_sql(doc) IS DISTINCT FROM steward.jsonschema_is_valid(:'schema', doc)) AS disagreements
FROM bench.vdocs;

CALL bench.compare('validate_check', ARRAY[
    ['SQL CHECK expression (baseline)', 'SELECT count(*) FILTER (WHERE bench.doc_check_sql(doc)) FROM bench.vdocs'],
    ['steward.jsonschema_is_valid', format('SELECT count(*) FILTER (WHERE steward.jsonschema_is_valid(%L, doc)) FROM bench.vdocs', :'schema')],
    ['scan only (for reference)', 'SELECT count(*) FILTER (WHERE doc IS NOT NULL) FROM bench.vdocs']], 5);
SELECT * FROM bench.report('validate_check');

-- INSERT of the 95,000 valid documents: a CHECK constraint, table rules
CREATE TABLE bench.v_check (id int, doc jsonb CHECK (bench.doc_check_sql(doc)));
CREATE TABLE bench.v_rules (id int, doc jsonb);
SELECT steward.validate_attach('bench.v_rules', jsonb_build_object('properties', jsonb_build_object('doc', :'schema'::jsonb))) \gset
CREATE TABLE bench.v_plain (id int, doc jsonb);
CREATE TABLE bench.vvalid AS SELECT * FROM bench.vdocs WHERE bench.doc_check_sql(doc);

CALL bench.compare('validate_insert', ARRAY[
    ['CHECK constraint (baseline)', 'TRUNCATE bench.v_check; INSERT INTO bench.v_check SELECT * FROM bench.vvalid'],
    ['steward.validate_attach', 'TRUNCATE bench.v_rules; INSERT INTO bench.v_rules SELECT * FROM bench.vvalid'],
    ['no check (for reference)', 'TRUNCATE bench.v_plain; INSERT INTO bench.v_plain SELECT * FROM bench.vvalid']], 5);
SELECT * FROM bench.report('validate_insert');

-- Format validators against a regular expression of the same shape, on
-- 100,000 strings (a tenth invalid); a scan alone for reference.
\echo '== validate: format validators vs regular expressions, 500,000 strings (best of 5)'
CREATE TABLE bench.vstrings AS
SELECT g,
       CASE WHEN g % 10 = 0 THEN 'user' || g || '@@example.com' ELSE 'first.last' || g || '@mail.example.com' END AS email,
       CASE WHEN g % 10 = 0 THEN md5(g::text) ELSE (md5(g::text)::uuid)::text END AS uuid,
       CASE WHEN g % 10 = 0 THEN '300.1.2.3' ELSE (g % 256) || '.' || (g / 256 % 256) || '.1.' || (g % 200) END AS ipv4,
       CASE WHEN g % 10 = 0 THEN '2024-02-30' ELSE (date '2000-01-01' + g % 9000)::text END AS day,
       CASE WHEN g % 10 = 0 THEN '0049' || g ELSE '+4930' || lpad(g::text, 8, '0') END AS phone,
       CASE WHEN g % 10 = 0 THEN 'Bad Slug' ELSE 'post-number-' || g END AS slug,
       CASE WHEN g % 10 = 0 THEN '1.02.3' ELSE '1.' || g % 50 || '.' || g % 7 || '-rc.1' END AS version,
       CASE WHEN g % 10 = 0 THEN 'http://exa mple.com' ELSE 'https://www.example.com/path/' || g || '?q=' || g END AS url
FROM generate_series(1, 500000) g;
VACUUM ANALYZE bench.vstrings;

CALL bench.compare('formats', ARRAY[
    ['scan email', 'SELECT count(*) FILTER (WHERE email IS NOT NULL) FROM bench.vstrings'],
    ['regex email', $q$SELECT count(*) FILTER (WHERE email ~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$') FROM bench.vstrings$q$],
    ['steward.is_email', 'SELECT count(*) FILTER (WHERE steward.is_email(email)) FROM bench.vstrings'],
    ['scan uuid', 'SELECT count(*) FILTER (WHERE uuid IS NOT NULL) FROM bench.vstrings'],
    ['regex uuid', $q$SELECT count(*) FILTER (WHERE uuid ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$') FROM bench.vstrings$q$],
    ['steward.is_uuid', 'SELECT count(*) FILTER (WHERE steward.is_uuid(uuid)) FROM bench.vstrings'],
    ['scan ipv4', 'SELECT count(*) FILTER (WHERE ipv4 IS NOT NULL) FROM bench.vstrings'],
    ['regex ipv4', $q$SELECT count(*) FILTER (WHERE ipv4 ~ '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$') FROM bench.vstrings$q$],
    ['steward.is_ipv4', 'SELECT count(*) FILTER (WHERE steward.is_ipv4(ipv4)) FROM bench.vstrings'],
    ['scan date', 'SELECT count(*) FILTER (WHERE day IS NOT NULL) FROM bench.vstrings'],
    ['regex date (shape only)', $q$SELECT count(*) FILTER (WHERE day ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$') FROM bench.vstrings$q$],
    ['steward.is_date', 'SELECT count(*) FILTER (WHERE steward.is_date(day)) FROM bench.vstrings'],
    ['scan e164', 'SELECT count(*) FILTER (WHERE phone IS NOT NULL) FROM bench.vstrings'],
    ['regex e164', $q$SELECT count(*) FILTER (WHERE phone ~ '^\+[1-9][0-9]{1,14}$') FROM bench.vstrings$q$],
    ['steward.is_e164', 'SELECT count(*) FILTER (WHERE steward.is_e164(phone)) FROM bench.vstrings'],
    ['scan slug', 'SELECT count(*) FILTER (WHERE slug IS NOT NULL) FROM bench.vstrings'],
    ['regex slug', $q$SELECT count(*) FILTER (WHERE slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$') FROM bench.vstrings$q$],
    ['steward.is_slug', 'SELECT count(*) FILTER (WHERE steward.is_slug(slug)) FROM bench.vstrings'],
    ['scan semver', 'SELECT count(*) FILTER (WHERE version IS NOT NULL) FROM bench.vstrings'],
    ['regex semver', $q$SELECT count(*) FILTER (WHERE version ~ '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+([0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*))?$') FROM bench.vstrings$q$],
    ['steward.is_semver', 'SELECT count(*) FILTER (WHERE steward.is_semver(version)) FROM bench.vstrings'],
    ['scan url', 'SELECT count(*) FILTER (WHERE url IS NOT NULL) FROM bench.vstrings'],
    ['regex url', $q$SELECT count(*) FILTER (WHERE url ~ '^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~!$&''()*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&''()*+,;=:@%/?-]*)?(#[A-Za-z0-9._~!$&''()*+,;=:@%/?-]*)?$') FROM bench.vstrings$q$],
    ['steward.is_url', 'SELECT count(*) FILTER (WHERE steward.is_url(url)) FROM bench.vstrings']], 5);

-- each validator's cost and its regex's, net of a scan of the same column
-- (later columns cost more to reach), and how much faster the validator is
WITH r AS (SELECT case_name, best_ms FROM bench.report('formats'))
SELECT substr(f.case_name, 12) AS format,
       round(g.best_ms - scan.best_ms, 2) AS regex_net_ms,
       round(f.best_ms - scan.best_ms, 2) AS validator_net_ms,
       round((g.best_ms - scan.best_ms) / nullif(f.best_ms - scan.best_ms, 0), 1) AS times_faster
FROM r f
JOIN r g ON g.case_name LIKE 'regex ' || substr(f.case_name, 12) || '%'
JOIN r scan ON scan.case_name = 'scan ' || substr(f.case_name, 12)
WHERE f.case_name LIKE 'steward.is_%'
ORDER BY 1;

DROP TABLE bench.vdocs, bench.vvalid, bench.v_check, bench.v_rules, bench.v_plain, bench.vstrings;
DROP FUNCTION bench.doc_check_sql(jsonb);
