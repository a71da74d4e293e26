--
-- mask_functions: the masking functions (NULL in, NULL out; characters,
-- not bytes; keyed pseudonyms need steward.mask_key)
--
\set SHOW_CONTEXT never
-- partial masks
SELECT steward.mask_partial('john@example.com', 1, 4) AS keep_1_4,
       steward.mask_partial('john@example.com') AS defaults,
       steward.mask_partial('Zoë Ünal', 2, 1, '·') AS multibyte,
       steward.mask_partial('ab', 1, 1) AS never_all,
       steward.mask_partial('abc', 0, 0, '') AS empty_pad,
       steward.mask_partial('', 1, 1) AS empty;
SELECT steward.mask_partial('x', -1, 0);
SELECT steward.mask_partial('x', 0, 0, repeat('#', 17));
SELECT steward.mask_partial(NULL, 1, 1) IS NULL AS null_in_null_out;
-- a long value: the same length, characters not bytes
SELECT length(steward.mask_partial(repeat('é', 1000000), 1, 1)) AS chars,
       octet_length(steward.mask_partial(repeat('é', 1000000), 1, 1)) AS bytes;
SELECT steward.mask_email('john.doe@example.com') AS plain,
       steward.mask_email('"odd@local"@example.com') AS last_at,
       steward.mask_email('élodie@exemple.fr') AS multibyte,
       steward.mask_email('nobody') AS no_at,
       steward.mask_email('@example.com') AS empty_local,
       steward.mask_email('') AS empty,
       steward.mask_email('a@example.com') AS one_char_hidden,
       steward.mask_email('x') AS one_char_alone;
SELECT steward.mask_phone('+49 30 1234567') AS phone, steward.mask_phone('12') AS short,
       steward.mask_card('4111 1111 1111 1111') AS card, steward.mask_card('4111-1111-1111-1111') AS dashes,
       steward.mask_iban('DE89370400440532013000') AS iban, steward.mask_iban('GB82 WEST 1234 5698 7654 32') AS printed;
-- digits of other scripts and other non-ASCII characters are never kept
-- (one '*' per character), whatever they are
SELECT steward.mask_phone('+٤٩ ٣٠ ١٢٣٤٥٦٧') AS arabic_indic, steward.mask_phone('+49 30 123４５６７') AS fullwidth_tail,
       steward.mask_card('４１１１ １１１１ １１１１ １１１１') AS fullwidth_card,
       steward.mask_iban('DE８９ ３７０４ ００４４ ０５３２ ０１３０ ００') AS fullwidth_iban,
       steward.mask_phone('tél. 01 23 45 67 89') AS letters;

-- redaction keeps the type
SELECT steward.mask_redact('secret'::text) AS t, steward.mask_redact('x'::varchar(3)) AS v,
       steward.mask_redact(42) AS i, steward.mask_redact(4.2::numeric) AS n,
       steward.mask_redact(true) AS b, steward.mask_redact('2024-01-02'::date) AS d,
       steward.mask_redact('2024-01-02 03:04:05+00'::timestamptz) AS tz,
       steward.mask_redact('12:00'::time) AS tm, steward.mask_redact('1 day'::interval) AS iv;
SELECT steward.mask_redact('{"a": 1}'::jsonb) AS j, steward.mask_redact('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid) AS u,
       steward.mask_redact(ARRAY['a', 'b']) AS arr, steward.mask_redact('10.1.2.3'::inet) AS ip,
       steward.mask_redact('\xdeadbeef'::bytea) AS bytes, steward.mask_redact(point(1, 2)) IS NULL AS other_null;
SELECT pg_typeof(steward.mask_redact(42::smallint)) AS same_type;
-- the same constant whatever the session's time zone
SET TimeZone = 'Asia/Kolkata';
SELECT steward.mask_redact('12:00+05'::timetz) AS timetz;
RESET TimeZone;
CREATE DOMAIN mask_positive AS int CHECK (VALUE > 0);
SELECT steward.mask_redact(5::mask_positive);
DROP DOMAIN mask_positive;

-- keyed pseudonyms: refused without a key, deterministic with one
SELECT steward.mask_hash('x');
SET steward.mask_key = 'too short';
SELECT steward.pseudo_email('a@b.com');
SET steward.mask_key = 'a regression test key, 32 bytes!';
SELECT steward.mask_hash('x') = steward.mask_hash('x') AS deterministic,
       length(steward.mask_hash('x')) AS hex_length,
       steward.mask_hash('x') <> steward.mask_hash('y') AS distinct_values,
       steward.mask_hash('') IS NOT NULL AS empty_ok;
SELECT steward.pseudo_email('John@Example.COM') = steward.pseudo_email('John@example.com') AS domain_case_ignored,
       steward.pseudo_email('John@example.com') <> steward.pseudo_email('john@example.com') AS local_case_kept,
       steward.is_email(steward.pseudo_email('John@example.com')) AS valid_email,
       steward.pseudo_email('John@example.com') ~ '^[0-9a-f]{16}@example\.(com|net|org)$' AS shape,
       steward.pseudo_email('"A@B"@example.com') <> steward.pseudo_email('"A@b"@example.com') AS domain_after_last_at;
SELECT steward.pseudo_first_name('Ann') = steward.pseudo_first_name('Ann') AS same,
       steward.pseudo_last_name('Smith') ~ '^[A-Z][a-z]+$' AS a_name,
       steward.pseudo_city('Berlin') ~ '^[A-Z][a-z]+$' AS a_city;
-- another key gives other pseudonyms
SELECT steward.mask_hash('x') AS h1 \gset
SET steward.mask_key = 'another regression test key ....';
SELECT steward.mask_hash('x') <> :'h1' AS key_matters;
-- spread: 1,000 values over the first-name list
SELECT count(DISTINCT steward.pseudo_first_name(g::text)) > 50 AS spread FROM generate_series(1, 1000) g;
RESET steward.mask_key;

-- the key is a secret: ordinary roles can neither set nor read it, and it
-- cannot be stored where every role reads it
CREATE ROLE mask_user;
SET steward.mask_key = 'a regression test key, 32 bytes!';
SET ROLE mask_user;
SET steward.mask_key = 'i want to choose the key myself';
SHOW steward.mask_key;
-- nor use it, unless a superuser grants the keyed functions: whoever may
-- call them can test guesses against the pseudonyms it sees
SELECT steward.mask_hash('ann@example.com');
SELECT steward.pseudo_email('ann@example.com');
SELECT steward.pseudo_first_name('Ann'), steward.pseudo_last_name('Smith'), steward.pseudo_city('Berlin');
SELECT p.oid::regprocedure AS keyed_function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
  FROM pg_proc p WHERE p.pronamespace = 'steward'::regnamespace
   AND p.proname IN ('mask_hash', 'pseudo_email', 'pseudo_first_name', 'pseudo_last_name', 'pseudo_city')
 ORDER BY 1::text;
RESET ROLE;
GRANT EXECUTE ON FUNCTION steward.mask_hash(text) TO mask_user;
SET ROLE mask_user;
SELECT length(steward.mask_hash('ann@example.com')) AS granted;
RESET ROLE;
RESET steward.mask_key;
REVOKE EXECUTE ON FUNCTION steward.mask_hash(text) FROM mask_user;
ALTER ROLE mask_user SET steward.mask_key = 'stored in pg_db_role_setting';
DROP ROLE mask_user;

-- generalization
SELECT steward.mask_date('1985-07-23'::date) AS year, steward.mask_date('1985-07-23'::date, 'month') AS month,
       steward.mask_date('1985-07-23'::date, 'Decade') AS decade, steward.mask_date('infinity'::date) AS inf;
SET TimeZone = 'Europe/Berlin';
SELECT steward.mask_date('2024-05-05 00:30:00+02'::timestamptz, 'day') AS local_day;
RESET TimeZone;
SELECT steward.mask_date('1985-07-23'::date, 'hour');
SELECT steward.mask_number(1234.5, 100) AS bucket, steward.mask_number(-5, 10) AS negative,
       steward.mask_number(0.37, 0.1) AS fraction, steward.mask_number('NaN', 10) AS nan;
SELECT steward.mask_number(5, 0);
SELECT steward.mask_int_range(37, 10) AS r1, steward.mask_int_range(-3, 10) AS r2,
       steward.mask_int_range(2147483647, 10) AS top, steward.mask_int_range(-2147483648, 7) AS bottom;
SELECT steward.mask_int_range(1, -1);

-- noise stays within its bounds
SELECT bool_and(steward.mask_noise(100, 0.1) BETWEEN 90 AND 110) AS within,
       count(DISTINCT steward.mask_noise(100, 0.1)) > 1 AS varies
FROM generate_series(1, 200);
SELECT steward.mask_noise(1, 1.5);
SELECT bool_and(steward.mask_noise_date('2024-01-01 00:00+00', '1 day') BETWEEN '2023-12-31 00:00+00' AND '2024-01-02 00:00+00') AS within
FROM generate_series(1, 200);
SELECT steward.mask_noise_date(now(), '-1 day');
SELECT steward.mask_noise_date('infinity', '10 years') AS infinite;
