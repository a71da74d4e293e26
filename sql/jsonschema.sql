--
-- jsonschema: the JSON Schema engine (steward.jsonschema_is_valid,
-- jsonschema_errors, jsonschema_check) and the schema registry
--
\set SHOW_CONTEXT never

-- ---------------------------------------------------------------- type
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"type": "string"}', '"x"'),
  ('{"type": "string"}', '1'),
  ('{"type": "integer"}', '1'),
  ('{"type": "integer"}', '1.0'),
  ('{"type": "integer"}', '1.5'),
  ('{"type": "integer"}', '1e2'),
  ('{"type": "integer"}', '100000000000000000000000000000000000000'),
  ('{"type": "number"}', '1'),
  ('{"type": "number"}', '"1"'),
  ('{"type": "null"}', 'null'),
  ('{"type": "null"}', 'false'),
  ('{"type": "boolean"}', 'false'),
  ('{"type": "boolean"}', '0'),
  ('{"type": "array"}', '[]'),
  ('{"type": "array"}', '{}'),
  ('{"type": "object"}', '{}'),
  ('{"type": ["string", "null"]}', 'null'),
  ('{"type": ["string", "null"]}', '0'),
  ('true', '{"anything": [1]}'),
  ('false', 'null'),
  ('{}', '"anything"')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors('{"type": ["integer", "string"]}', '1.5');
SELECT * FROM steward.jsonschema_errors('false', '1');
SELECT * FROM steward.jsonschema_errors('{"properties": {"a": false}}', '{"a": 1}');

-- ---------------------------------------------------------------- const, enum
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"const": 1}', '1.0'),
  ('{"const": 1}', '"1"'),
  ('{"const": 1}', 'true'),
  ('{"const": false}', '0'),
  ('{"const": null}', 'null'),
  ('{"const": {"a": 1, "b": [1, 2]}}', '{"b": [1.0, 2], "a": 1}'),
  ('{"const": {"a": 1, "b": [1, 2]}}', '{"b": [2, 1], "a": 1}'),
  ('{"const": {"a": 1}}', '{"a": 1, "b": null}'),
  ('{"const": "é"}', '"é"'),
  ('{"enum": [1, "a", null, [1]]}', '"a"'),
  ('{"enum": [1, "a", null, [1]]}', '[1.00]'),
  ('{"enum": [1, "a", null, [1]]}', '"A"'),
  ('{"enum": []}', '1')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors('{"const": "secret@x"}', '"other@x"');
SELECT * FROM steward.jsonschema_errors('{"enum": ["a", "b"]}', '"secret@x"');

-- ---------------------------------------------------------------- numbers
-- compared exactly, as numeric: 19.99 is a multiple of 0.01
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"minimum": 5}', '5'),
  ('{"minimum": 5}', '4.9999999999999999999'),
  ('{"maximum": 5}', '5.0'),
  ('{"maximum": 5}', '5.0000000000000000001'),
  ('{"exclusiveMinimum": 5}', '5'),
  ('{"exclusiveMinimum": 5}', '5.0000000000000000001'),
  ('{"exclusiveMaximum": 5}', '5'),
  ('{"exclusiveMaximum": 5}', '4.9999999999999999999'),
  ('{"minimum": -1e400}', '-1e399'),
  ('{"multipleOf": 0.01}', '19.99'),
  ('{"multipleOf": 0.01}', '19.991'),
  ('{"multipleOf": 0.1}', '0.3'),
  ('{"multipleOf": 3}', '-9'),
  ('{"multipleOf": 3}', '0'),
  ('{"multipleOf": 1e-10}', '0.1234567891'),
  ('{"multipleOf": 1e308}', '1e308'),
  ('{"multipleOf": 1e308}', '2e308'),
  ('{"multipleOf": 1e308}', '1.5e308'),
  ('{"multipleOf": 0.0001}', '1e308'),
  ('{"multipleOf": 7}', '1e308'),
  ('{"minimum": 5}', '"4"'),
  ('{"multipleOf": 2}', '"3"')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors('{"minimum": 5, "maximum": 3, "exclusiveMinimum": 5, "exclusiveMaximum": 3, "multipleOf": 0.5}', '4.25');

-- ---------------------------------------------------------------- strings
-- lengths count characters, not octets; an emoji outside the BMP is one
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"minLength": 2}', '"é"'),
  ('{"maxLength": 1}', '"é"'),
  ('{"maxLength": 1}', '"😀"'),
  ('{"minLength": 2}', '"😀"'),
  ('{"maxLength": 2}', '"👍🏽"'),
  ('{"maxLength": 1}', '"e\u0301"'),
  ('{"minLength": 0}', '""'),
  ('{"maxLength": 0}', '""'),
  ('{"minLength": 1.0}', '"a"'),
  ('{"minLength": 5}', '12345'),
  -- patterns are not anchored; ECMA 262 syntax
  ('{"pattern": "b"}', '"abc"'),
  ('{"pattern": "^b"}', '"abc"'),
  ('{"pattern": "^[a-z]+$"}', '"abc"'),
  ('{"pattern": "^[a-z]+$"}', '"abC"'),
  ('{"pattern": "^\\d{3}$"}', '"123"'),
  ('{"pattern": "^\\d{3}$"}', '"١٢٣"'),
  ('{"pattern": "^\\w+$"}', '"é"'),
  ('{"pattern": "^(?:ab)+$"}', '"abab"'),
  ('{"pattern": "^a.c$"}', '"a😀c"'),
  ('{"pattern": "^\\p{Letter}+$"}', '"Éloïse"'),
  ('{"pattern": "^\\p{Letter}+$"}', '"日本語"'),
  ('{"pattern": "^\\p{L}+$"}', '"abc1"'),
  ('{"pattern": "^\\P{L}+$"}', '"123"'),
  ('{"pattern": "^\\P{L}+$"}', '"12é"'),
  ('{"pattern": "^[\\p{Lu}\\p{Nd}]+$"}', '"ÉA9"'),
  ('{"pattern": "^[\\p{Lu}\\p{Nd}]+$"}', '"éa9"'),
  ('{"pattern": "^\\p{Lu}\\p{Ll}+$"}', '"Ödön"'),
  -- \b and \B are word boundaries (ASCII word characters)
  ('{"pattern": "\\bcat\\b"}', '"a cat sat"'),
  ('{"pattern": "\\bcat\\b"}', '"concat"'),
  ('{"pattern": "\\Bcat"}', '"concat"'),
  ('{"pattern": "[\\b]"}', '"b"'),
  ('{"pattern": "x"}', '12')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors('{"minLength": 3, "maxLength": 1, "pattern": "^[0-9]+$"}', '"ab"');
SELECT * FROM steward.jsonschema_errors('{"minLength": 1, "maxLength": 1}', '"abc"');

-- ---------------------------------------------------------------- format
-- asserted by default; {"format": "annotate"} makes it an annotation;
-- unknown formats are ignored
SELECT f AS format, i AS instance,
       steward.jsonschema_is_valid(jsonb_build_object('format', f), i::jsonb) AS valid,
       steward.jsonschema_is_valid(jsonb_build_object('format', f), i::jsonb, '{"format": "annotate"}') AS annotated
FROM (VALUES
  ('email', '"user@example.com"'), ('email', '"user@"'), ('email', '"postmaster@localhost"'),
  ('email', '"\"a b\"@example.com"'), ('email', '"a@[192.0.2.1]"'), ('email', '"é@example.com"'),
  ('idn-email', '"é@bücher.de"'),
  ('hostname', '"example.com"'), ('hostname', '"-x.com"'), ('idn-hostname', '"bücher.de"'),
  ('ipv4', '"192.0.2.1"'), ('ipv4', '"192.0.2.01"'),
  ('ipv6', '"::1"'), ('ipv6', '"1::2::3"'),
  ('uri', '"https://example.com/a?b#c"'), ('uri', '"relative/path"'),
  ('uri-reference', '"relative/path"'), ('uri-reference', '"a b"'),
  ('iri', '"https://example.com/"'), ('iri', '"https://bücher.example/straße"'), ('uri', '"https://bücher.example/straße"'),
  ('iri-reference', '"straße?q=é"'), ('iri', '"é:x"'),
  ('url', '"https://example.com/"'), ('url', '"mailto:a@b.c"'),
  ('uuid', '"123e4567-e89b-12d3-a456-426614174000"'), ('uuid', '"123e4567"'),
  ('date', '"2000-02-29"'), ('date', '"1900-02-29"'),
  ('time', '"23:59:60Z"'), ('time', '"12:00:60Z"'),
  ('date-time', '"2016-12-31T23:59:60Z"'), ('date-time', '"2016-12-31 23:59:59Z"'),
  ('duration', '"P2W"'), ('duration', '"P1W2D"'),
  ('json-pointer', '"/a~1b/0"'), ('json-pointer', '"/a~2"'), ('json-pointer', '"a"'),
  ('relative-json-pointer', '"1/a"'), ('relative-json-pointer', '"0#"'),
  ('relative-json-pointer', '"/a"'),
  ('regex', '"^a+$"'), ('regex', '"(unclosed"'),
  ('e164', '"+14155552671"'), ('phone', '"4155552671"'),
  ('iban', '"DE89370400440532013000"'), ('iban', '"DE89370400440532013001"'),
  ('luhn', '"79927398713"'), ('card', '"4111 1111 1111 1111"'), ('card', '"4111 1111 1111 1112"'),
  ('iso-country', '"FR"'), ('iso-country', '"FX"'), ('iso-currency', '"EUR"'), ('iso-currency', '"EUX"'),
  ('slug', '"a-b"'), ('slug', '"A-b"'), ('semver', '"1.2.3"'), ('semver', '"1.2"'),
  ('no-such-format', '"anything"'),
  ('email', '42')) AS t(f, i);
SELECT * FROM steward.jsonschema_errors('{"format": "email"}', '"secret@x"');
SELECT * FROM steward.jsonschema_errors('{"properties": {"ip": {"format": "ipv4"}, "at": {"format": "date-time"}}}',
                                        '{"ip": "300.1.1.1", "at": "yesterday"}');
-- a metaschema with the format-assertion vocabulary; the draft-07 default
SELECT steward.jsonschema_is_valid('{"$schema": "http://json-schema.org/draft-07/schema#", "format": "ipv4"}', '"x"') AS draft7_asserts,
       steward.jsonschema_is_valid('{"format": "ipv4"}', '"x"', '{"draft": "7", "format": "annotate"}') AS draft7_annotated;

-- ---------------------------------------------------------------- arrays
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"items": {"type": "integer"}}', '[1, 2, 3]'),
  ('{"items": {"type": "integer"}}', '[1, "2", 3]'),
  ('{"items": {"type": "integer"}}', '"not an array"'),
  ('{"prefixItems": [{"type": "string"}, {"type": "integer"}]}', '["a", 1, null]'),
  ('{"prefixItems": [{"type": "string"}], "items": false}', '["a"]'),
  ('{"prefixItems": [{"type": "string"}], "items": false}', '["a", 1]'),
  ('{"minItems": 2, "maxItems": 3}', '[1]'),
  ('{"minItems": 2, "maxItems": 3}', '[1, 2, 3]'),
  ('{"minItems": 2, "maxItems": 3}', '[1, 2, 3, 4]'),
  ('{"contains": {"type": "string"}}', '[1, "a"]'),
  ('{"contains": {"type": "string"}}', '[1, 2]'),
  ('{"contains": {"type": "string"}}', '[]'),
  ('{"contains": {"type": "string"}, "minContains": 2}', '["a", 1, "b"]'),
  ('{"contains": {"type": "string"}, "minContains": 2}', '["a", 1]'),
  ('{"contains": {"type": "string"}, "maxContains": 1}', '["a", "b"]'),
  ('{"contains": {"type": "string"}, "minContains": 0}', '[1]'),
  ('{"uniqueItems": true}', '[1, 2, 3]'),
  ('{"uniqueItems": true}', '[1, 2, 1.0]'),
  ('{"uniqueItems": true}', '[{"a": 1, "b": 2}, {"b": 2, "a": 1}]'),
  ('{"uniqueItems": true}', '[[1, 2], [2, 1]]'),
  ('{"uniqueItems": true}', '[0, false, null, "0", [], {}]'),
  ('{"uniqueItems": false}', '[1, 1]'),
  ('{"unevaluatedItems": false, "prefixItems": [true]}', '[1]'),
  ('{"unevaluatedItems": false, "prefixItems": [true]}', '[1, 2]'),
  ('{"unevaluatedItems": false, "allOf": [{"prefixItems": [true, true]}]}', '[1, 2]')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors('{"items": {"type": "integer"}, "maxItems": 2, "uniqueItems": true}', '[1, "2", 1]');
SELECT * FROM steward.jsonschema_errors('{"prefixItems": [{"type": "string"}, true], "items": false}', '[1, 2, 3]');
SELECT * FROM steward.jsonschema_errors('{"contains": {"const": 1}, "minContains": 2, "maxContains": 3}', '[1, 2]');
SELECT * FROM steward.jsonschema_errors('{"contains": {"const": 1}, "maxContains": 1}', '[1, 1]');
SELECT * FROM steward.jsonschema_errors('{"prefixItems": [true], "unevaluatedItems": false}', '[1, 2, 3]');

-- ---------------------------------------------------------------- objects
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"properties": {"a": {"type": "string"}}}', '{"a": "x", "b": 1}'),
  ('{"properties": {"a": {"type": "string"}}}', '{"a": 1}'),
  ('{"properties": {"a": {"type": "string"}}}', '[1]'),
  ('{"required": ["a", "b"]}', '{"a": 1, "b": null}'),
  ('{"required": ["a", "b"]}', '{"a": 1}'),
  ('{"required": ["a"]}', '["a"]'),
  ('{"required": []}', '{}'),
  ('{"additionalProperties": false, "properties": {"a": true}}', '{"a": 1}'),
  ('{"additionalProperties": false, "properties": {"a": true}}', '{"a": 1, "b": 2}'),
  ('{"additionalProperties": {"type": "integer"}, "patternProperties": {"^s_": {"type": "string"}}}', '{"s_x": "a", "n": 1}'),
  ('{"additionalProperties": {"type": "integer"}, "patternProperties": {"^s_": {"type": "string"}}}', '{"s_x": 1}'),
  ('{"patternProperties": {"^\\p{Lu}": {"type": "integer"}}}', '{"Éa": "x"}'),
  ('{"patternProperties": {"^\\p{Lu}": {"type": "integer"}}}', '{"éa": "x"}'),
  ('{"propertyNames": {"maxLength": 3}}', '{"abc": 1}'),
  ('{"propertyNames": {"maxLength": 3}}', '{"abcd": 1}'),
  ('{"propertyNames": {"pattern": "^[a-z]+$"}}', '{"a1": 1}'),
  ('{"minProperties": 1, "maxProperties": 2}', '{}'),
  ('{"minProperties": 1, "maxProperties": 2}', '{"a": 1, "b": 2, "c": 3}'),
  ('{"dependentRequired": {"card": ["cvc"]}}', '{"card": 1}'),
  ('{"dependentRequired": {"card": ["cvc"]}}', '{"cvc": 1}'),
  ('{"dependentSchemas": {"card": {"required": ["cvc"]}}}', '{"card": 1}'),
  ('{"dependentSchemas": {"card": {"required": ["cvc"]}}}', '{"card": 1, "cvc": 2}'),
  ('{"unevaluatedProperties": false, "properties": {"a": true}, "allOf": [{"properties": {"b": true}}]}', '{"a": 1, "b": 2}'),
  ('{"unevaluatedProperties": false, "properties": {"a": true}, "allOf": [{"properties": {"b": true}}]}', '{"a": 1, "c": 2}'),
  ('{"unevaluatedProperties": false, "anyOf": [{"properties": {"a": true}}, {"properties": {"b": true}}]}', '{"a": 1, "b": 2}'),
  ('{"unevaluatedProperties": false, "if": {"properties": {"k": {"const": 1}}}, "then": {"properties": {"x": true}}}', '{"k": 1, "x": 2}'),
  ('{"unevaluatedProperties": false, "if": {"properties": {"k": {"const": 1}}}, "then": {"properties": {"x": true}}}', '{"k": 2, "x": 2}'),
  ('{"unevaluatedProperties": {"type": "integer"}}', '{"a": 1, "b": "x"}')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors(
  '{"type": "object", "required": ["name", "email"], "additionalProperties": false,
    "properties": {"name": {"type": "string", "minLength": 1}, "email": {"format": "email"},
                   "tags": {"type": "array", "items": {"type": "string"}}}}',
  '{"name": "", "tags": ["a", 2, "c", 4], "extra": "secret@x"}');
SELECT * FROM steward.jsonschema_errors('{"dependentRequired": {"card": ["cvc", "expiry"]}}', '{"card": 1}');
SELECT * FROM steward.jsonschema_errors('{"propertyNames": {"pattern": "^[a-z]+$"}, "maxProperties": 2}', '{"a1": 1, "b": 2, "c": 3}');
SELECT * FROM steward.jsonschema_errors('{"properties": {"a/b": {"properties": {"c~d": {"type": "string"}}}}}', '{"a/b": {"c~d": 1}}');
SELECT * FROM steward.jsonschema_errors('{"unevaluatedProperties": false, "properties": {"a": true}}', '{"a": 1, "b": 2, "c": 3}');

-- ---------------------------------------------------------------- combinators
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"allOf": [{"type": "integer"}, {"minimum": 2}]}', '3'),
  ('{"allOf": [{"type": "integer"}, {"minimum": 2}]}', '1'),
  ('{"anyOf": [{"type": "integer"}, {"type": "string"}]}', '"a"'),
  ('{"anyOf": [{"type": "integer"}, {"type": "string"}]}', 'null'),
  ('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '1'),
  ('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '2.5'),
  ('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '3'),
  ('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '1.5'),
  ('{"not": {"type": "string"}}', '1'),
  ('{"not": {"type": "string"}}', '"a"'),
  ('{"not": true}', '1'),
  ('{"not": false}', '1'),
  ('{"if": {"minimum": 10}, "then": {"multipleOf": 5}, "else": {"multipleOf": 2}}', '15'),
  ('{"if": {"minimum": 10}, "then": {"multipleOf": 5}, "else": {"multipleOf": 2}}', '12'),
  ('{"if": {"minimum": 10}, "then": {"multipleOf": 5}, "else": {"multipleOf": 2}}', '4'),
  ('{"if": {"minimum": 10}, "then": {"multipleOf": 5}, "else": {"multipleOf": 2}}', '5'),
  ('{"if": {"minimum": 10}}', '5'),
  ('{"then": false}', '5'),
  ('{"else": false}', '5')) AS t(s, i);
-- the errors of the subschemas of anyOf, oneOf, not and if are not listed:
-- only the keyword that failed
SELECT * FROM steward.jsonschema_errors('{"anyOf": [{"type": "integer"}, {"minLength": 5}]}', '"abc"');
SELECT * FROM steward.jsonschema_errors('{"oneOf": [{"type": "string"}, {"maxLength": 5}]}', '"abc"');
SELECT * FROM steward.jsonschema_errors('{"oneOf": [{"type": "integer"}, {"type": "null"}]}', '"abc"');
SELECT * FROM steward.jsonschema_errors('{"not": {"type": "string"}}', '"abc"');
SELECT * FROM steward.jsonschema_errors('{"allOf": [{"type": "string"}, {"maxLength": 2}, {"pattern": "^x"}]}', '"abc"');
SELECT * FROM steward.jsonschema_errors('{"if": {"type": "string"}, "then": {"maxLength": 2}, "else": {"type": "null"}}', '"abc"');
SELECT * FROM steward.jsonschema_errors('{"if": {"type": "string"}, "then": {"maxLength": 2}, "else": {"type": "null"}}', '5');

-- ---------------------------------------------------------------- $ref, $defs, $anchor, $id
SELECT s AS schema, i AS instance, steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS valid
FROM (VALUES
  ('{"$defs": {"pos": {"minimum": 0}}, "$ref": "#/$defs/pos"}', '1'),
  ('{"$defs": {"pos": {"minimum": 0}}, "$ref": "#/$defs/pos"}', '-1'),
  ('{"$defs": {"pos": {"$anchor": "positive", "minimum": 0}}, "$ref": "#positive"}', '-1'),
  ('{"$defs": {"a b": {"type": "string"}}, "$ref": "#/$defs/a%20b"}', '1'),
  ('{"$defs": {"a/b": {"type": "string"}}, "$ref": "#/$defs/a~1b"}', '1'),
  ('{"prefixItems": [{"type": "string"}, {"$ref": "#/prefixItems/0"}]}', '["a", 1]'),
  -- recursion that moves in the instance is fine
  ('{"type": "object", "properties": {"child": {"$ref": "#"}}, "required": ["v"]}', '{"v": 1, "child": {"v": 2, "child": {"v": 3}}}'),
  ('{"type": "object", "properties": {"child": {"$ref": "#"}}, "required": ["v"]}', '{"v": 1, "child": {"v": 2, "child": {}}}'),
  -- an embedded resource with its own $id, referred to by that URI
  ('{"$id": "https://example.com/root", "$defs": {"x": {"$id": "item", "type": "integer"}}, "items": {"$ref": "item"}}', '[1, 2]'),
  ('{"$id": "https://example.com/root", "$defs": {"x": {"$id": "item", "type": "integer"}}, "items": {"$ref": "https://example.com/item"}}', '[1, "2"]'),
  -- 2020-12: the siblings of $ref apply
  ('{"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 2}', '"abc"'),
  -- $dynamicRef to a $dynamicAnchor
  ('{"$dynamicAnchor": "node", "type": "object", "properties": {"kids": {"type": "array", "items": {"$dynamicRef": "#node"}}}}', '{"kids": [{"kids": []}, {"kids": 1}]}')) AS t(s, i);
SELECT * FROM steward.jsonschema_errors('{"$defs": {"pos": {"minimum": 0}}, "properties": {"n": {"$ref": "#/$defs/pos"}}}', '{"n": -1}');

-- ---------------------------------------------------------------- draft 7
-- by $schema, or by the options; the differences from 2020-12
SELECT s AS schema, i AS instance,
       steward.jsonschema_is_valid(s::jsonb, i::jsonb) AS v2020,
       steward.jsonschema_is_valid(s::jsonb, i::jsonb, '{"draft": "7"}') AS v7
FROM (VALUES
  -- $ref's siblings are ignored in draft 7
  ('{"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 2}', '"abc"'),
  ('{"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 2}', '1'),
  -- dependencies (draft 7) vs dependentRequired/dependentSchemas (2020-12)
  ('{"dependencies": {"a": ["b"]}}', '{"a": 1}'),
  ('{"dependencies": {"a": {"required": ["b"]}}}', '{"a": 1}'),
  ('{"dependentRequired": {"a": ["b"]}}', '{"a": 1}'),
  ('{"dependentSchemas": {"a": {"required": ["b"]}}}', '{"a": 1}'),
  -- prefixItems, unevaluated*, minContains only in 2020-12
  ('{"prefixItems": [{"type": "string"}]}', '[1]'),
  ('{"unevaluatedProperties": false}', '{"a": 1}'),
  ('{"contains": {"type": "string"}, "minContains": 2}', '["a"]'),
  -- a JSON Pointer reaches any location, $defs in draft 7 too
  ('{"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s"}', '1'),
  -- what both drafts have behaves alike
  ('{"type": "object", "properties": {"a": {"enum": [1, 2]}}, "required": ["a"]}', '{"a": 3}'),
  ('{"type": "object", "properties": {"a": {"enum": [1, 2]}}, "required": ["a"]}', '{"a": 2}'),
  ('{"contains": {"type": "string"}}', '[1, 2]')) AS t(s, i);
-- draft 7: items as an array of schemas, and additionalItems
SELECT i AS instance,
       steward.jsonschema_is_valid('{"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}', i::jsonb, '{"draft": "7"}') AS tuple,
       steward.jsonschema_is_valid('{"items": [{"type": "string"}], "additionalItems": {"type": "boolean"}}', i::jsonb, '{"draft": "7"}') AS additional
FROM (VALUES ('["a", 1]'), ('["a"]'), ('["a", 1, true]'), ('["a", true]'), ('[1]'), ('[]')) AS t(i);
SELECT * FROM steward.jsonschema_errors('{"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}', '[1, 2, 3]', '{"draft": "7"}');
SELECT * FROM steward.jsonschema_errors('{"dependencies": {"a": ["b", "c"]}}', '{"a": 1, "c": 2}', '{"draft": "7"}');
-- the draft by $schema: draft 7 (with or without "#", http or https)
SELECT steward.jsonschema_is_valid('{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}', '[1]') AS http_with_hash,
       steward.jsonschema_is_valid('{"$schema": "https://json-schema.org/draft-07/schema", "items": [{"type": "string"}]}', '[1]') AS https_without_hash,
       steward.jsonschema_is_valid('{"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": [{"type": "string"}]}', '[1]', '{"draft": "7"}') AS schema_beats_option;
-- in 2020-12 an array is not a schema for items
SELECT steward.jsonschema_is_valid('{"items": [{"type": "string"}]}', '["a"]');
\echo :LAST_ERROR_SQLSTATE
-- a 2020-12 schema may embed a draft 7 resource: its $ref siblings are
-- ignored, its items arrays are tuples
SELECT steward.jsonschema_is_valid(
  '{"properties": {"old": {"$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://example.com/old",
                           "definitions": {"s": {"type": "string"}},
                           "items": [{"$ref": "#/definitions/s", "maxLength": 1}]}}}',
  i::jsonb) AS embedded_draft7
FROM (VALUES ('{"old": ["abc"]}'), ('{"old": [1]}')) AS t(i);

-- ---------------------------------------------------------------- options
SELECT steward.jsonschema_is_valid('{"format": "email"}', '"x"', '{"draft": "2020-12", "format": "assert"}') AS explicit_defaults,
       steward.jsonschema_is_valid('{"format": "email"}', '"x"', 'null') AS json_null_options,
       steward.jsonschema_is_valid('{"format": "email"}', '"x"', NULL) AS sql_null_options,
       steward.jsonschema_is_valid('{"format": "email"}', '"x"', '{}') AS empty_options;
-- an unknown option, or a value an option does not take (only the
-- SQLSTATE is shown)
\set VERBOSITY sqlstate
SELECT steward.jsonschema_is_valid('{}', '1', '{"strict": true}');
SELECT steward.jsonschema_is_valid('{}', '1', '{"draft": "4"}');
SELECT steward.jsonschema_is_valid('{}', '1', '{"draft": 7}');
SELECT * FROM steward.jsonschema_errors('{}', '1', '{"format": "off"}');
SELECT steward.jsonschema_check('{}', '{"draft": "6"}');
\set VERBOSITY default
SELECT steward.jsonschema_is_valid('{}', '1', '"7"');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid('{}', '1', '["draft", "7"]');
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- NULL
SELECT steward.jsonschema_is_valid(NULL, '1') IS NULL AS null_schema,
       steward.jsonschema_is_valid('{}', NULL) IS NULL AS null_instance,
       steward.jsonschema_is_valid('{}', 'null') AS json_null_instance,
       steward.jsonschema_is_valid('{"type": "null"}', 'null') AS json_null_is_null;
SELECT count(*) AS errors_null_schema FROM steward.jsonschema_errors(NULL, '1');
SELECT count(*) AS errors_null_instance FROM steward.jsonschema_errors('{"type": "string"}', NULL);
SELECT steward.jsonschema_check('{"type": "string"}') AS check_valid;
SELECT steward.jsonschema_check(NULL);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- no values in messages
-- whatever fails, the messages never quote the instance
WITH instance(i) AS (VALUES ('{"email": "secret@x", "n": "secret@x", "list": ["secret@x", "secret@x"], "o": {"k": "secret@x"}}'::jsonb)),
schema(s) AS (VALUES ('{
  "properties": {
    "email": {"pattern": "^[a-z]+$", "format": "ipv4", "maxLength": 3, "enum": ["a"], "const": "b",
              "type": "integer", "not": {"type": "string"}, "anyOf": [{"minLength": 100}], "oneOf": [false]},
    "n": {"minimum": 1, "multipleOf": 2},
    "list": {"uniqueItems": true, "maxItems": 0, "items": {"format": "email"}, "contains": {"const": 1}},
    "o": {"propertyNames": {"maxLength": 0}, "additionalProperties": {"type": "integer"}, "maxProperties": 0}
  }}'::jsonb))
SELECT e.instance_path, e.keyword, e.message, e.message LIKE '%secret%' AS quotes_value
FROM instance, schema, steward.jsonschema_errors(s, i) e
ORDER BY e.instance_path, e.keyword;

-- ---------------------------------------------------------------- invalid schemas
-- each raises 22023 naming the keyword and where it is
SELECT steward.jsonschema_check('{"minLength": -1}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"minLength": 1.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"minLength": 1e30}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"maxItems": "3"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"properties": {"a": {"maxLength": -5}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"type": "strnig"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"type": ["string", "string"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"type": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"type": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"pattern": "(unclosed"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"pattern": "a{2,1}"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"pattern": "\\p{Greek}"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"pattern": 5}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"pattern": null}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"patternProperties": {"(": true}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"required": ["a", "b", "a"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"required": "a"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"required": [1]}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"multipleOf": 0}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"multipleOf": -2}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"minimum": "0"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"enum": "a"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$ref": 5}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"uniqueItems": "yes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"allOf": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"anyOf": {}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"not": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"properties": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"properties": {"a": "string"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"format": 5}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"dependentRequired": {"a": "b"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$defs": {"x": {"type": "nope"}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$id": "https://example.com/s#frag"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$id": 5}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$anchor": "1bad"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$anchor": "has space"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$defs": {"a": {"$anchor": "x"}, "b": {"$anchor": "x"}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$id": "https://example.com/anchors", "$defs": {"a": {"$anchor": "x"}, "b": {"$anchor": "x"}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$schema": "http://json-schema.org/draft-04/schema#"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$schema": "https://json-schema.org/draft/2019-09/schema"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$schema": "https://example.com/no-such-metaschema"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$schema": 7}');
\echo :LAST_ERROR_SQLSTATE
-- a schema that is not an object or a boolean
SELECT steward.jsonschema_check('5');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('"{\"type\": \"string\"}"');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('[{"type": "string"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('null');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid('[]', '1');
\echo :LAST_ERROR_SQLSTATE
-- invalid schemas are refused by is_valid and errors too, whatever the instance
SELECT steward.jsonschema_is_valid('{"minLength": -1}', '5');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.jsonschema_errors('{"type": "strnig"}', '"a"');
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- unresolvable and cyclic $ref
SELECT steward.jsonschema_check('{"$ref": "https://example.com/nowhere"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$ref": "#/$defs/missing"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"$ref": "#nope"}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check('{"properties": {"a": {"$ref": "other.json"}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid('{"$ref": "#"}', '1');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid('{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM steward.jsonschema_errors('{"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "not": {"$ref": "#/$defs/a"}}', '[]');
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- the registry
SELECT uri FROM steward.jsonschema_registry WHERE builtin ORDER BY uri;
-- validate a schema against the 2020-12 metaschema, and draft 7's
SELECT s AS schema,
       steward.jsonschema_is_valid('{"$ref": "https://json-schema.org/draft/2020-12/schema"}', s::jsonb) AS v2020,
       steward.jsonschema_is_valid('{"$ref": "http://json-schema.org/draft-07/schema#"}', s::jsonb) AS v7
FROM (VALUES
  ('{"type": "string", "minLength": 1}'),
  ('{"type": "strnig"}'),
  ('{"minLength": -1}'),
  ('{"properties": {"a": {"required": "x"}}}'),
  ('{"items": [{"type": "string"}]}'),
  ('true'),
  ('5')) AS t(s);
SELECT * FROM steward.jsonschema_errors('{"$ref": "https://json-schema.org/draft/2020-12/schema"}', '{"type": "strnig", "minLength": -1}');
-- a schema registered under an absolute URI, referred to by $ref
SELECT steward.jsonschema_register('https://example.com/schemas/person', '{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "age": {"$ref": "#/$defs/age"}}, "$defs": {"age": {"type": "integer", "minimum": 0}}}');
SELECT uri, builtin, registered_by = session_user AS by_session_user FROM steward.jsonschema_registry WHERE uri LIKE 'https://example.com/%';
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{"name": "Ann", "age": 30}') AS valid,
       steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{"age": 30}') AS no_name,
       steward.jsonschema_is_valid('{"items": {"$ref": "https://example.com/schemas/person#/$defs/age"}}', '[1, -1]') AS by_pointer;
SELECT * FROM steward.jsonschema_errors('{"items": {"$ref": "https://example.com/schemas/person"}}', '[{"name": 1, "age": -1}]');
-- a relative $ref resolves against the registered document's URI
SELECT steward.jsonschema_register('https://example.com/schemas/team', '{"type": "array", "items": {"$ref": "person"}}');
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/team"}', '[{"name": "Ann"}, {"name": "Bob"}]') AS team_valid,
       steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/team"}', '[{"name": "Ann"}, {}]') AS team_invalid;
-- replacing the document takes effect at once in this session (the
-- compiled schemas that used it are forgotten)
SELECT steward.jsonschema_register('https://example.com/schemas/person', '{"type": "object", "required": ["name", "email"]}');
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{"name": "Ann", "age": 30}') AS valid_after_change,
       steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/team"}', '[{"name": "Ann"}]') AS team_after_change;
-- the functions are STABLE, not IMMUTABLE: a prepared statement sees the
-- change too
PREPARE js_prepared AS SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{"name": "Ann"}');
EXECUTE js_prepared;
SELECT steward.jsonschema_register('https://example.com/schemas/person', '{"required": ["name"]}');
EXECUTE js_prepared;
DEALLOCATE js_prepared;
SELECT p.oid::regprocedure, p.provolatile FROM pg_proc p
WHERE p.pronamespace = 'steward'::regnamespace AND p.proname LIKE 'jsonschema\_%' ORDER BY p.proname;
-- a trailing "#" is the same URI
SELECT steward.jsonschema_register('https://example.com/schemas/person#', '{"required": ["name"]}');
SELECT count(*) FROM steward.jsonschema_registry WHERE uri LIKE 'https://example.com/schemas/person%';
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person#"}', '{"name": "Ann"}') AS valid_again;
-- in a transaction that rolls back, the change goes with it
BEGIN;
SELECT steward.jsonschema_register('https://example.com/schemas/person', 'false');
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{"name": "Ann"}') AS in_transaction;
ROLLBACK;
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{"name": "Ann"}') AS after_rollback;
-- an invalid registered document is reported where it is used
SELECT steward.jsonschema_register('https://example.com/schemas/broken', '{"minLength": "x"}');
SELECT steward.jsonschema_check('{"$ref": "https://example.com/schemas/broken"}');
\echo :LAST_ERROR_SQLSTATE
-- a registered custom metaschema ($schema) with the validation vocabulary
SELECT steward.jsonschema_register('https://example.com/meta/strict',
  '{"$schema": "https://json-schema.org/draft/2020-12/schema",
    "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true,
                    "https://json-schema.org/draft/2020-12/vocab/applicator": true,
                    "https://json-schema.org/draft/2020-12/vocab/validation": true,
                    "https://json-schema.org/draft/2020-12/vocab/format-assertion": true}}');
SELECT steward.jsonschema_is_valid('{"$schema": "https://example.com/meta/strict", "format": "ipv4"}', '"x"', '{"format": "annotate"}') AS format_asserted_by_vocabulary;
-- unregistering: then the $ref is an error again
SELECT steward.jsonschema_unregister('https://example.com/schemas/person') AS removed,
       steward.jsonschema_unregister('https://example.com/schemas/person') AS removed_again;
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/person"}', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/team"}', '[]');
\echo :LAST_ERROR_SQLSTATE
-- bad registrations
SELECT steward.jsonschema_register('schemas/person', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_register('https://example.com/s#/frag', '{}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY sqlstate
SELECT steward.jsonschema_register('#', '{}');
\set VERBOSITY default
SELECT steward.jsonschema_register('https://example.com/x', '5');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_register('https://example.com/x', '[{"type": "string"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_register(NULL, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_register('https://example.com/x', NULL);
\echo :LAST_ERROR_SQLSTATE
-- the built-in metaschemas cannot be replaced or removed
SELECT steward.jsonschema_register('https://json-schema.org/draft/2020-12/schema', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_register('http://json-schema.org/draft-07/schema#', 'true');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_unregister('https://json-schema.org/draft/2020-12/schema') AS removed_builtin;
SELECT count(*) AS builtins FROM steward.jsonschema_registry WHERE builtin;

-- ---------------------------------------------------------------- privileges
CREATE ROLE js_user;
SET ROLE js_user;
-- an ordinary role validates, reads the registry ...
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/meta/strict"}', '{}') AS user_validates,
       steward.jsonschema_is_valid('{"$ref": "https://json-schema.org/draft/2020-12/schema"}', '{"type": "string"}') AS user_uses_metaschema;
SELECT count(*) > 0 AS user_reads_registry FROM steward.jsonschema_registry;
-- ... but cannot register, unregister or write the registry
SELECT steward.jsonschema_register('https://example.com/schemas/mine', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_unregister('https://example.com/schemas/team');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO steward.jsonschema_registry (uri, schema) VALUES ('https://example.com/schemas/mine', '{}');
\echo :LAST_ERROR_SQLSTATE
UPDATE steward.jsonschema_registry SET schema = 'false';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM steward.jsonschema_registry;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- EXECUTE is the privilege to register (the functions are SECURITY
-- DEFINER); the table stays closed, and the built-in metaschemas stay
GRANT EXECUTE ON FUNCTION steward.jsonschema_register(text, jsonb), steward.jsonschema_unregister(text) TO js_user;
SET ROLE js_user;
SELECT steward.jsonschema_register('https://example.com/schemas/mine', '{"type": "string"}');
SELECT steward.jsonschema_is_valid('{"$ref": "https://example.com/schemas/mine"}', '1') AS mine;
SELECT steward.jsonschema_register('https://json-schema.org/draft/2020-12/schema', 'true');
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_unregister('https://json-schema.org/draft/2020-12/schema') AS removed_builtin;
SELECT steward.jsonschema_unregister('https://example.com/schemas/mine') AS removed_mine;
INSERT INTO steward.jsonschema_registry (uri, schema) VALUES ('https://example.com/schemas/mine', '{}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION steward.jsonschema_register(text, jsonb), steward.jsonschema_unregister(text) FROM js_user;
DROP ROLE js_user;

-- ---------------------------------------------------------------- hostile input
-- deeply nested schemas and instances: an error (or a result), never a
-- crash (the hint of 54001 names a setting: only the message is shown).
-- 100,000 levels are more than jsonb's own parser takes (54001 before
-- the validator is reached)
\set VERBOSITY terse
SELECT (repeat('{"not": ', 100000) || '{}' || repeat('}', 100000))::jsonb IS NOT NULL;
\echo :LAST_ERROR_SQLSTATE
SELECT (repeat('[', 100000) || '1' || repeat(']', 100000))::jsonb IS NOT NULL;
\echo :LAST_ERROR_SQLSTATE
-- 10,000 levels parse; the schema's is refused by the compiler, the
-- instance's by the validator, each with 54001
CREATE TEMP TABLE js_deep AS
SELECT (repeat('{"not": ', 10000) || '{}' || repeat('}', 10000))::jsonb AS schema,
       (repeat('[', 10000) || '1' || repeat(']', 10000))::jsonb AS instance;
SELECT steward.jsonschema_is_valid(schema, '1') FROM js_deep;
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_check(schema) FROM js_deep;
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid('{"$defs": {"t": {"type": ["array", "integer"], "items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"}', instance) FROM js_deep;
\echo :LAST_ERROR_SQLSTATE
SELECT steward.jsonschema_is_valid((repeat('{"allOf": [', 10000) || '{}' || repeat(']}', 10000))::jsonb, '1');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- a schema that does not descend does not mind a deep instance
SELECT steward.jsonschema_is_valid('{"type": "array", "minItems": 1}', instance) AS shallow_schema
FROM js_deep;
-- 500 levels of each are validated
SELECT steward.jsonschema_is_valid((repeat('{"not": ', 500) || '{}' || repeat('}', 500))::jsonb, '1') AS not_500,
       steward.jsonschema_is_valid((repeat('{"not": ', 501) || '{}' || repeat('}', 501))::jsonb, '1') AS not_501;
SELECT steward.jsonschema_is_valid((repeat('{"items": ', 500) || '{"type": "integer"}' || repeat('}', 500))::jsonb,
                                   (repeat('[', 500) || '1' || repeat(']', 500))::jsonb) AS items_500,
       steward.jsonschema_is_valid('{"$defs": {"t": {"type": ["array", "integer"], "items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"}',
                                   (repeat('[', 500) || '"x"' || repeat(']', 500))::jsonb) AS recursive_500;
SELECT steward.jsonschema_is_valid('{"uniqueItems": true}', jsonb_build_array(d, d)) AS unique_deep,
       steward.jsonschema_is_valid('{"uniqueItems": true}', jsonb_build_array(d, d || '[2]')) AS unique_deep_differs,
       steward.jsonschema_is_valid(jsonb_build_object('const', d), d) AS const_deep
FROM (SELECT (repeat('[', 500) || '1' || repeat(']', 500))::jsonb AS d) t;
-- uniqueItems on 20,000 items (hashing, not 200 million comparisons)
SELECT steward.jsonschema_is_valid('{"uniqueItems": true}', (SELECT jsonb_agg(g) FROM generate_series(1, 20000) g)) AS unique_20000,
       steward.jsonschema_is_valid('{"uniqueItems": true}', (SELECT jsonb_agg(g % 19999) FROM generate_series(1, 20000) g)) AS one_duplicate,
       steward.jsonschema_is_valid('{"uniqueItems": true}', (SELECT jsonb_agg(jsonb_build_object('k', g, 'v', ARRAY[g, g])) FROM generate_series(1, 20000) g)) AS unique_objects;
SELECT * FROM steward.jsonschema_errors('{"uniqueItems": true}', (SELECT jsonb_agg(g % 19999) FROM generate_series(1, 20000) g));
-- a 10 MB string against maxLength and pattern
SELECT steward.jsonschema_is_valid('{"maxLength": 10485760}', to_jsonb(repeat('é', 5242880))) AS max_ok,
       steward.jsonschema_is_valid('{"maxLength": 10485759}', to_jsonb(repeat('a', 10485760))) AS max_exceeded,
       steward.jsonschema_is_valid('{"pattern": "^a+b$"}', to_jsonb(repeat('a', 10485760))) AS pattern_no_match,
       steward.jsonschema_is_valid('{"pattern": "^[a-z]*$"}', to_jsonb(repeat('a', 10485760))) AS pattern_match;
-- patternProperties on an object of 50,000 keys
SELECT steward.jsonschema_is_valid('{"patternProperties": {"^k[0-9]+$": {"type": "integer"}, "^x": false}, "additionalProperties": false}',
                                   (SELECT jsonb_object_agg('k' || g, g) FROM generate_series(1, 50000) g)) AS many_keys,
       steward.jsonschema_is_valid('{"patternProperties": {"^k[0-9]+$": {"type": "integer"}}, "additionalProperties": false}',
                                   (SELECT jsonb_object_agg('k' || g, g) FROM generate_series(1, 50000) g) || '{"z": 1}') AS one_extra;
-- many compiled schemas: more than the cache holds
SELECT count(*) FILTER (WHERE steward.jsonschema_is_valid(jsonb_build_object('minimum', g), to_jsonb(100))) AS valid_of_200
FROM generate_series(1, 200) g;

DELETE FROM steward.jsonschema_registry WHERE uri LIKE 'https://example.com/%';
