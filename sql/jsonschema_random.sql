--
-- jsonschema_random: invariants of the JSON Schema engine on random
-- schemas and instances (a fixed seed: the same cases on every run)
--
-- Schemas combine type, minLength/maxLength, minimum/maximum (and the
-- exclusive forms), multipleOf, enum, const, pattern (from a small safe
-- list), properties, required, additionalProperties, propertyNames,
-- minProperties/maxProperties, items, minItems/maxItems, uniqueItems,
-- contains, allOf/anyOf/oneOf/not and if/then/else, nested up to depth 3,
-- and boolean schemas: all keywords that drafts 7 and 2020-12 share.
-- Instances are random JSON values, nested up to depth 3.  For every pair:
--
--   (a) a valid schema raises no error
--   (b) jsonschema_is_valid(s, i) = NOT EXISTS (jsonschema_errors(s, i))
--   (c) jsonschema_is_valid({"not": s}, i) = NOT jsonschema_is_valid(s, i)
--   (d) {"allOf": [s]}, {"anyOf": [s, false]}, {"oneOf": [s, false]} and
--       {"if": s, "then": true, "else": false} are equivalent to s
--   (e) drafts 7 and 2020-12 agree (validity and the number of errors)
--   (f) no error message quotes the instance (strings of the instances
--       carry the marker "zq", which no schema contains)
--
-- Only counts are printed; a disagreement prints its schema and instance.
--
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.rnd(n int) RETURNS int
LANGUAGE sql VOLATILE AS $$ SELECT floor(random() * n)::int $$;

CREATE FUNCTION pg_temp.pick(a text[]) RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;

-- a random JSON value, containers nested at most depth deep
CREATE FUNCTION pg_temp.gen_value(depth int) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  k int := pg_temp.rnd(CASE WHEN depth > 0 THEN 9 ELSE 6 END);
  s text := '';
  arr jsonb := '[]';
  obj jsonb := '{}';
  i int;
BEGIN
  CASE k
    WHEN 0 THEN RETURN 'null';
    WHEN 1 THEN RETURN to_jsonb(random() < 0.5);
    WHEN 2 THEN RETURN to_jsonb(pg_temp.rnd(13) - 6);
    WHEN 3 THEN RETURN to_jsonb((pg_temp.rnd(25) - 12) / 4.0);
    WHEN 4, 5 THEN
      FOR i IN 1 .. pg_temp.rnd(4) LOOP
        s := s || pg_temp.pick(ARRAY['a', 'b', 'c', '1', '2', 'é', 'zq']);
      END LOOP;
      RETURN to_jsonb(s);
    WHEN 6, 7 THEN
      FOR i IN 1 .. pg_temp.rnd(4) LOOP
        arr := arr || jsonb_build_array(pg_temp.gen_value(depth - 1));
      END LOOP;
      RETURN arr;
    ELSE
      FOR i IN 1 .. pg_temp.rnd(4) LOOP
        obj := obj || jsonb_build_object(pg_temp.pick(ARRAY['a', 'b', 'c', 'd']), pg_temp.gen_value(depth - 1));
      END LOOP;
      RETURN obj;
  END CASE;
END $$;

-- a random schema, subschemas nested at most depth deep
CREATE FUNCTION pg_temp.gen_schema(depth int) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s jsonb := '{}';
  groups int := 1 + pg_temp.rnd(3);
  g int;
  i int;
  n int;
  props jsonb;
  list jsonb;
  types text[] := ARRAY['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'];
  t1 text;
  t2 text;
BEGIN
  IF random() < 0.08 THEN
    RETURN to_jsonb(random() < 0.7);
  END IF;
  FOR g IN 1 .. groups LOOP
    CASE pg_temp.rnd(CASE WHEN depth > 0 THEN 9 ELSE 4 END)
      WHEN 0 THEN
        t1 := pg_temp.pick(types);
        t2 := pg_temp.pick(types);
        IF random() < 0.6 OR t1 = t2 THEN
          s := s || jsonb_build_object('type', t1);
        ELSE
          s := s || jsonb_build_object('type', jsonb_build_array(t1, t2));
        END IF;
      WHEN 1 THEN
        IF random() < 0.5 THEN s := s || jsonb_build_object('minLength', pg_temp.rnd(4)); END IF;
        IF random() < 0.5 THEN s := s || jsonb_build_object('maxLength', pg_temp.rnd(5)); END IF;
        IF random() < 0.5 THEN
          s := s || jsonb_build_object('pattern', pg_temp.pick(ARRAY['^a', 'b$', '^[a-c]*$', '[0-9]', '^.{2}$', 'é', '^\p{L}+$', '^(ab|c)+']));
        END IF;
      WHEN 2 THEN
        IF random() < 0.4 THEN s := s || jsonb_build_object('minimum', pg_temp.rnd(9) - 4); END IF;
        IF random() < 0.4 THEN s := s || jsonb_build_object('maximum', pg_temp.rnd(9) - 4); END IF;
        IF random() < 0.3 THEN s := s || jsonb_build_object('exclusiveMinimum', (pg_temp.rnd(17) - 8) / 2.0); END IF;
        IF random() < 0.3 THEN s := s || jsonb_build_object('exclusiveMaximum', (pg_temp.rnd(17) - 8) / 2.0); END IF;
        IF random() < 0.4 THEN s := s || jsonb_build_object('multipleOf', pg_temp.pick(ARRAY['1', '2', '0.5', '0.25', '3'])::numeric); END IF;
      WHEN 3 THEN
        IF random() < 0.5 THEN
          list := '[]';
          FOR i IN 0 .. pg_temp.rnd(3) LOOP
            list := list || jsonb_build_array(pg_temp.gen_value(1));
          END LOOP;
          s := s || jsonb_build_object('enum', list);
        ELSE
          s := s || jsonb_build_object('const', pg_temp.gen_value(1));
        END IF;
      WHEN 4, 5 THEN
        props := '{}';
        FOR i IN 1 .. pg_temp.rnd(3) LOOP
          props := props || jsonb_build_object(pg_temp.pick(ARRAY['a', 'b', 'c']), pg_temp.gen_schema(depth - 1));
        END LOOP;
        IF props <> '{}' THEN s := s || jsonb_build_object('properties', props); END IF;
        IF random() < 0.4 THEN
          s := s || jsonb_build_object('required',
            (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]') FROM unnest(ARRAY['a', 'b', 'c', 'd']) k WHERE random() < 0.4));
        END IF;
        IF random() < 0.3 THEN
          s := s || jsonb_build_object('additionalProperties',
            CASE WHEN random() < 0.5 THEN to_jsonb(random() < 0.5) ELSE pg_temp.gen_schema(depth - 1) END);
        END IF;
        IF random() < 0.15 THEN s := s || jsonb_build_object('propertyNames', jsonb_build_object('pattern', '^[a-c]$')); END IF;
        IF random() < 0.2 THEN s := s || jsonb_build_object('minProperties', pg_temp.rnd(3)); END IF;
        IF random() < 0.2 THEN s := s || jsonb_build_object('maxProperties', pg_temp.rnd(3)); END IF;
      WHEN 6 THEN
        IF random() < 0.6 THEN s := s || jsonb_build_object('items', pg_temp.gen_schema(depth - 1)); END IF;
        IF random() < 0.3 THEN s := s || jsonb_build_object('minItems', pg_temp.rnd(3)); END IF;
        IF random() < 0.3 THEN s := s || jsonb_build_object('maxItems', pg_temp.rnd(4)); END IF;
        IF random() < 0.3 THEN s := s || jsonb_build_object('uniqueItems', random() < 0.7); END IF;
        IF random() < 0.3 THEN s := s || jsonb_build_object('contains', pg_temp.gen_schema(depth - 1)); END IF;
      WHEN 7 THEN
        n := 1 + pg_temp.rnd(3);
        list := '[]';
        FOR i IN 1 .. n LOOP
          list := list || jsonb_build_array(pg_temp.gen_schema(depth - 1));
        END LOOP;
        CASE pg_temp.rnd(4)
          WHEN 0 THEN s := s || jsonb_build_object('allOf', list);
          WHEN 1 THEN s := s || jsonb_build_object('anyOf', list);
          WHEN 2 THEN s := s || jsonb_build_object('oneOf', list);
          ELSE s := s || jsonb_build_object('not', list -> 0);
        END CASE;
      ELSE
        s := s || jsonb_build_object('if', pg_temp.gen_schema(depth - 1));
        IF random() < 0.8 THEN s := s || jsonb_build_object('then', pg_temp.gen_schema(depth - 1)); END IF;
        IF random() < 0.6 THEN s := s || jsonb_build_object('else', pg_temp.gen_schema(depth - 1)); END IF;
    END CASE;
  END LOOP;
  RETURN s;
END $$;

CREATE TEMP TABLE random_result (
  schemas int, instances int, valid int, invalid int, errors_raised int,
  b_errors int, c_not int, d_allof int, d_anyof int, d_oneof int, d_if int,
  e_draft7 int, f_quoted int);

DO $$
DECLARE
  nschemas constant int := 2000;
  per_schema constant int := 5;
  r random_result;
  s jsonb;
  inst jsonb;
  v boolean;
  nerr bigint;
  shown int := 0;
  k int;
  j int;

BEGIN
  PERFORM setseed(0.2024);
  r := ROW(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  FOR k IN 1 .. nschemas LOOP
    s := pg_temp.gen_schema(3);
    r.schemas := r.schemas + 1;
    BEGIN
      FOR j IN 1 .. per_schema LOOP
        inst := pg_temp.gen_value(3);
        r.instances := r.instances + 1;
        v := steward.jsonschema_is_valid(s, inst);
        IF v THEN r.valid := r.valid + 1; ELSE r.invalid := r.invalid + 1; END IF;
        SELECT count(*) INTO nerr FROM steward.jsonschema_errors(s, inst);
        IF v <> (nerr = 0) THEN
          r.b_errors := r.b_errors + 1;
          RAISE NOTICE '(b) is_valid % with % errors: schema %, instance %', v, nerr, s, inst;
        END IF;
        IF steward.jsonschema_is_valid(jsonb_build_object('not', s), inst) <> NOT v THEN
          r.c_not := r.c_not + 1;
          RAISE NOTICE '(c) not: schema %, instance %', s, inst;
        END IF;
        IF steward.jsonschema_is_valid(jsonb_build_object('allOf', jsonb_build_array(s)), inst) <> v THEN
          r.d_allof := r.d_allof + 1;
          RAISE NOTICE '(d) allOf: schema %, instance %', s, inst;
        END IF;
        IF steward.jsonschema_is_valid(jsonb_build_object('anyOf', jsonb_build_array(s, false)), inst) <> v THEN
          r.d_anyof := r.d_anyof + 1;
          RAISE NOTICE '(d) anyOf: schema %, instance %', s, inst;
        END IF;
        IF steward.jsonschema_is_valid(jsonb_build_object('oneOf', jsonb_build_array(s, false)), inst) <> v THEN
          r.d_oneof := r.d_oneof + 1;
          RAISE NOTICE '(d) oneOf: schema %, instance %', s, inst;
        END IF;
        IF steward.jsonschema_is_valid(jsonb_build_object('if', s, 'then', true, 'else', false), inst) <> v THEN
          r.d_if := r.d_if + 1;
          RAISE NOTICE '(d) if: schema %, instance %', s, inst;
        END IF;
        IF steward.jsonschema_is_valid(s, inst, '{"draft": "7"}') <> v
           OR (SELECT count(*) FROM steward.jsonschema_errors(s, inst, '{"draft": "7"}')) <> nerr THEN
          r.e_draft7 := r.e_draft7 + 1;
          RAISE NOTICE '(e) draft 7: schema %, instance %', s, inst;
        END IF;
        IF EXISTS (SELECT FROM steward.jsonschema_errors(s, inst) e WHERE e.message LIKE '%zq%') THEN
          r.f_quoted := r.f_quoted + 1;
          RAISE NOTICE '(f) quoted: schema %, instance %', s, inst;
        END IF;
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      r.errors_raised := r.errors_raised + 1;
      RAISE NOTICE '(a) % %: schema %, instance %', SQLSTATE, SQLERRM, s, inst;
    END;
  END LOOP;
  INSERT INTO random_result SELECT r.*;
END $$;

SELECT schemas, instances,
       valid > instances / 5 AND invalid > instances / 5 AS both_outcomes_common,
       errors_raised, b_errors, c_not, d_allof, d_anyof, d_oneof, d_if, e_draft7, f_quoted,
       errors_raised + b_errors + c_not + d_allof + d_anyof + d_oneof + d_if + e_draft7 + f_quoted AS disagreements
FROM random_result;
