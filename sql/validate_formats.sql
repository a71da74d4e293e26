--
-- validate_formats: the format validators steward.is_*() from SQL, their
-- options, and the domains built on them
--
\set SHOW_CONTEXT never

-- every validator is IMMUTABLE, STRICT and PARALLEL SAFE (expect no rows)
SELECT p.oid::regprocedure AS not_immutable_strict_safe
FROM pg_proc p
WHERE p.pronamespace = 'steward'::regnamespace AND p.proname LIKE 'is\_%'
  AND p.prorettype = 'boolean'::regtype
  AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's')
ORDER BY 1;

-- ---------------------------------------------------------------- e-mail
-- default: dot-atom local part, a host name of two or more labels, ASCII
SELECT v, steward.is_email(v) AS email,
       steward.is_email(v, ARRAY['quoted']) AS quoted,
       steward.is_email(v, ARRAY['ip-literal']) AS ip_literal,
       steward.is_email(v, ARRAY['idn']) AS idn,
       steward.is_email(v, ARRAY['single-label']) AS single_label
FROM (VALUES
  ('user@example.com'),
  ('first.last+tag@sub.example.co.uk'),
  ('a@b.c'),
  ('!#$%&''*+-/=?^_`{|}~@example.org'),
  ('"john doe"@example.com'),
  ('"a\"b"@example.com'),
  ('"unterminated@example.com'),
  ('user@[192.0.2.1]'),
  ('user@[192.0.2.01]'),
  ('user@[IPv6:2001:db8::1]'),
  ('user@[ipv6:::1]'),
  ('user@[2001:db8::1]'),
  ('user@[300.0.0.1]'),
  ('postmaster@localhost'),
  ('üser@example.com'),
  ('user@bücher.de'),
  ('user@example.com.'),
  ('.user@example.com'),
  ('user.@example.com'),
  ('us..er@example.com'),
  ('user@-example.com'),
  ('user@example-.com'),
  ('user@exa_mple.com'),
  ('user@example..com'),
  ('a"b@example.com'),
  ('user @example.com'),
  ('user@example.com '),
  ('user'),
  ('@example.com'),
  ('user@'),
  ('user@@example.com'),
  ('')) AS t(v);

-- lengths: local part at most 64 octets, labels at most 63, the whole
-- address at most 254
SELECT label, steward.is_email(v) AS valid, octet_length(v) AS octets
FROM (VALUES
  ('local part of 64', repeat('l', 64) || '@example.com'),
  ('local part of 65', repeat('l', 65) || '@example.com'),
  ('label of 63', 'u@' || repeat('d', 63) || '.com'),
  ('label of 64', 'u@' || repeat('d', 64) || '.com'),
  ('address of 254', repeat('l', 64) || '@' || repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 61)),
  ('address of 255', repeat('l', 64) || '@' || repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 62)),
  ('quoted local part of 64', '"' || repeat('q', 62) || '"@example.com'),
  ('quoted local part of 65', '"' || repeat('q', 63) || '"@example.com')) AS t(label, v);
SELECT steward.is_email('"' || repeat('q', 62) || '"@example.com', ARRAY['quoted']) AS quoted_64,
       steward.is_email('"' || repeat('q', 63) || '"@example.com', ARRAY['quoted']) AS quoted_65;
-- non-ASCII counts octets: 32 two-octet letters are 64 octets
SELECT steward.is_email(repeat('é', 32) || '@example.com', ARRAY['idn']) AS local_64_octets,
       steward.is_email(repeat('é', 33) || '@example.com', ARRAY['idn']) AS local_66_octets;
-- idn takes any well-formed UTF-8 (text always is): a letter outside the
-- BMP, a combining accent
SELECT steward.is_email(E'\U0001F600@example.com', ARRAY['idn']) AS emoji_local,
       steward.is_email(E'e\u0301@example.com', ARRAY['idn']) AS combining_local,
       steward.is_hostname(E'\U0001F600.example', ARRAY['idn']) AS emoji_label;

-- options combine; each is named once or more, in any order; none is none
SELECT steward.is_email('"a b"@[IPv6:::1]', ARRAY['quoted', 'ip-literal']) AS quoted_ip,
       steward.is_email('"é"@localhost', ARRAY['single-label', 'idn', 'quoted']) AS all_three,
       steward.is_email('"é"@localhost', ARRAY['single-label', 'idn', 'quoted', 'ip-literal', 'quoted']) AS repeated,
       steward.is_email('"a b"@example.com', ARRAY[]::text[]) AS no_option,
       steward.is_email('"a b"@example.com', '{{quoted}}') AS two_dimensional;
-- an unrecognized option, with the list of options; a NULL element
SELECT steward.is_email('a@example.com', ARRAY['quotes']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.is_email('a@example.com', ARRAY['QUOTED']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.is_email('a@example.com', ARRAY['quoted', NULL]);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- host names
SELECT v, steward.is_hostname(v) AS hostname,
       steward.is_hostname(v, ARRAY['trailing-dot']) AS trailing_dot,
       steward.is_hostname(v, ARRAY['idn']) AS idn
FROM (VALUES
  ('example.com'),
  ('localhost'),
  ('a'),
  ('1.2.3.4'),
  ('123.example'),
  ('xn--bcher-kva.de'),
  ('a--b.example'),
  ('example.com.'),
  ('.'),
  ('example.com..'),
  ('.example.com'),
  ('-example.com'),
  ('example-.com'),
  ('exa_mple.com'),
  ('a..b'),
  ('bücher.de'),
  ('exa mple.com'),
  ('')) AS t(v);
SELECT label, steward.is_hostname(v) AS valid,
       steward.is_hostname(v, ARRAY['trailing-dot']) AS trailing_dot, octet_length(v) AS octets
FROM (VALUES
  ('label of 63', repeat('a', 63) || '.com'),
  ('label of 64', repeat('a', 64) || '.com'),
  ('name of 253', repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 61)),
  ('name of 254', repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 62)),
  ('253 and a dot', repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 61) || '.'),
  ('254 and a dot', repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 62) || '.')) AS t(label, v);
-- with idn, labels count octets: 31 two-octet letters and one more octet
-- make 63
SELECT steward.is_hostname(repeat('é', 31) || 'a.de', ARRAY['idn']) AS label_63_octets,
       steward.is_hostname(repeat('é', 32) || '.de', ARRAY['idn']) AS label_64_octets,
       steward.is_hostname('bücher.de.', ARRAY['idn', 'trailing-dot']) AS both;
SELECT steward.is_hostname('example.com', ARRAY['trailing_dot']);
\echo :LAST_ERROR_SQLSTATE
SELECT steward.is_hostname('example.com', ARRAY[NULL]::text[]);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- URLs and URIs
SELECT v, steward.is_url(v) AS url, steward.is_url(v, ARRAY['any-scheme']) AS any_scheme,
       steward.is_uri(v) AS uri
FROM (VALUES
  ('https://example.com'),
  ('http://example.com:8080/path/to?q=1&r=%C3%A9#frag'),
  ('HTTPS://EXAMPLE.COM/'),
  ('https://user:pw@example.com/'),
  ('https://[2001:db8::1]:443/'),
  ('https://[v1.fe]/'),
  ('https://192.0.2.1/'),
  ('https://999.1.1.1/'),
  ('https://example.com:/'),
  ('ftp://example.com/file'),
  ('file:///etc/hosts'),
  ('mailto:user@example.com'),
  ('urn:isbn:0451450523'),
  ('https://'),
  ('https:///path'),
  ('https:example.com'),
  ('//example.com/path'),
  ('/just/a/path'),
  ('relative/path'),
  ('https://exa mple.com/'),
  ('https://example.com/a b'),
  ('https://example.com/%zz'),
  ('https://example.com/%4'),
  ('https://example.com/é'),
  ('https://[::1/'),
  ('https://example.com:80a/'),
  ('1http://example.com/'),
  ('')) AS t(v);
SELECT steward.is_url('https://example.com', ARRAY['any']);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- IP addresses
SELECT v, steward.is_ipv4(v) AS ipv4
FROM (VALUES
  ('192.0.2.1'), ('0.0.0.0'), ('255.255.255.255'), ('10.0.0.0'),
  ('256.0.0.1'), ('1.2.3.256'), ('01.2.3.4'), ('1.02.3.4'), ('1.2.3.00'), ('00.0.0.0'),
  ('1.2.3'), ('1.2.3.4.5'), ('1.2.3.'), ('.1.2.3'), ('1..2.3'), ('1.2.3.4/24'),
  (' 1.2.3.4'), ('1.2.3.4 '), ('0x7f.0.0.1'), ('2130706433'), ('1234.1.1.1'), ('')) AS t(v);
SELECT v, steward.is_ipv6(v) AS ipv6
FROM (VALUES
  ('::'), ('::1'), ('1::'), ('2001:db8::8a2e:370:7334'), ('2001:DB8::8A2E:370:7334'),
  ('1:2:3:4:5:6:7:8'), ('1:2:3:4:5:6:7::'), ('::2:3:4:5:6:7:8'), ('1::8'),
  ('::ffff:192.0.2.1'), ('1:2:3:4:5:6:192.0.2.1'), ('::192.0.2.1'),
  ('1:2:3:4:5:6:7:8:9'), ('1:2:3:4:5:6:7'), ('1::2::3'), (':::'), (':1:2:3:4:5:6:7'),
  ('1:2:3:4:5:6:7:'), ('1:2:3:4:5:6:7:192.0.2.1'), ('::ffff:192.0.2.01'),
  ('::ffff:192.0.2'), ('12345::'), ('g::'), ('fe80::1%eth0'), ('[::1]'), ('::1/128'),
  ('1:2:3:4:5:6:7:8::'), ('')) AS t(v);

-- ---------------------------------------------------------------- UUIDs
SELECT v, steward.is_uuid(v) AS uuid
FROM (VALUES
  ('123e4567-e89b-12d3-a456-426614174000'),
  ('123E4567-E89B-12D3-A456-426614174000'),
  ('00000000-0000-0000-0000-000000000000'),
  ('ffffffff-ffff-ffff-ffff-ffffffffffff'),
  ('{123e4567-e89b-12d3-a456-426614174000}'),
  ('urn:uuid:123e4567-e89b-12d3-a456-426614174000'),
  ('123e4567e89b12d3a456426614174000'),
  ('123e4567-e89b-12d3-a456-42661417400'),
  ('123e4567-e89b-12d3-a456-4266141740000'),
  ('123e4567-e89b-12d3-a456_426614174000'),
  ('g23e4567-e89b-12d3-a456-426614174000')) AS t(v);

-- ---------------------------------------------------------------- E.164
SELECT v, steward.is_e164(v) AS e164
FROM (VALUES
  ('+14155552671'), ('+12'), ('+123456789012345'), ('+1234567890123456'), ('+1'),
  ('+0123456'), ('14155552671'), ('+1 415 555 2671'), ('+1-415-555-2671'), ('++14155552671'),
  ('+')) AS t(v);

-- ---------------------------------------------------------------- IBAN
SELECT v, steward.is_iban(v) AS iban
FROM (VALUES
  ('DE89370400440532013000'),
  ('GB82WEST12345698765432'),
  ('NO9386011117947'),
  ('BE68539007547034'),
  ('FR1420041010050500013M02606'),
  ('MT84MALT011000012345MTLCAST001S'),
  ('LC55HEMM000100010012001200023015'),
  ('XK051212012345678906'),
  -- one digit changed (in the BBAN, in the check digits)
  ('DE89370400440532013001'),
  ('DE88370400440532013000'),
  ('GB82WEST12345698765431'),
  -- two digits swapped
  ('DE89370400440532031000'),
  ('de89370400440532013000'),
  ('DE89 3704 0044 0532 0130 00'),
  ('DE8937040044053201300'),
  ('DE893704004405320130000'),
  ('XX89370400440532013000'),
  ('DE00370400440532013000'),
  ('DE99370400440532013000'),
  ('DE8937040044053201300-')) AS t(v);

-- ---------------------------------------------------------------- Luhn and cards
SELECT v, steward.is_luhn(v) AS luhn, steward.is_card(v) AS card
FROM (VALUES
  ('79927398713'), ('79927398710'), ('00'), ('0'), ('18'),
  ('4111111111111111'), ('4111111111111112'), ('378282246310005'),
  ('4111 1111 1111 1111'), ('4111-1111-1111-1111'), ('3782-822463-10005'),
  ('4111 1111-1111 1111'), ('4111  1111 1111 1111'), (' 4111111111111111'),
  ('4111111111111111 '), ('4111-1111-1111-1111-'),
  ('424242424242'), ('42424242420'), ('4242424242424242428'), ('42424242424242424242'),
  ('4111111111111111a'), ('')) AS t(v);

-- ---------------------------------------------------------------- ISO codes
SELECT v, steward.is_iso_country(v) AS country, steward.is_iso_currency(v) AS currency
FROM (VALUES
  ('DE'), ('DEU'), ('GB'), ('GBR'), ('US'), ('USA'), ('AX'), ('ALA'),
  ('de'), ('Deu'), ('UK'), ('EU'), ('XK'), ('ZZ'), ('AA'), ('D'), ('DEUT'),
  ('EUR'), ('USD'), ('CHF'), ('XTS'), ('XXX'), ('XAU'), ('ZWG'), ('XCG'), ('CHE'),
  ('eur'), ('DEM'), ('HRK'), ('ZWL'), ('EURO'), ('')) AS t(v);

-- ---------------------------------------------------------------- dates and times
SELECT v, steward.is_date(v) AS date
FROM (VALUES
  ('2024-02-29'), ('2023-02-29'), ('2000-02-29'), ('1900-02-29'), ('2100-02-29'), ('2400-02-29'),
  ('2024-04-30'), ('2024-04-31'), ('2024-12-31'), ('2024-13-01'), ('2024-00-10'),
  ('2024-01-00'), ('2024-01-32'), ('0000-01-01'), ('9999-12-31'), ('2024-1-01'),
  ('24-01-01'), ('20240101'), ('2024/01/01'), ('2024-01-01T00:00:00Z'), ('+2024-01-01'),
  ('')) AS t(v);
SELECT v, steward.is_time(v) AS time
FROM (VALUES
  ('08:30:06Z'), ('08:30:06z'), ('08:30:06.123456+02:00'), ('00:00:00-00:00'),
  ('23:59:59+23:59'),
  -- a leap second is 23:59:60 in UTC only
  ('23:59:60Z'), ('23:59:60.5+00:00'), ('15:59:60-08:00'), ('00:59:60+01:00'),
  ('23:59:60+01:00'), ('12:00:60Z'), ('23:59:61Z'),
  ('24:00:00Z'), ('08:60:00Z'), ('08:30:06'), ('08:30:06.Z'), ('08:30:06.+01:00'),
  ('08:30:06+2:00'), ('08:30:06+0200'), ('08:30:06+24:00'), ('08:30:06+01:60'),
  ('8:30:06Z'), ('08:30Z'), ('08:30:06 Z'), ('')) AS t(v);
SELECT v, steward.is_datetime(v) AS datetime
FROM (VALUES
  ('2024-02-29T12:00:00Z'), ('2024-02-29t12:00:00z'), ('1985-04-12T23:20:50.52Z'),
  ('1996-12-19T16:39:57-08:00'), ('2016-12-31T23:59:60Z'), ('2016-12-31T15:59:60-08:00'),
  ('2016-12-31T23:59:60+01:00'),
  ('2024-02-29 12:00:00Z'), ('2023-02-29T12:00:00Z'), ('1900-02-29T00:00:00Z'),
  ('2024-01-01T00:00:00'), ('2024-01-01T24:00:00Z'), ('2024-01-01'), ('2024-01-01T'),
  ('')) AS t(v);
SELECT v, steward.is_duration(v) AS duration
FROM (VALUES
  ('P1Y2M3DT4H5M6S'), ('P2W'), ('P1D'), ('PT1H'), ('PT36H'), ('P1Y1D'), ('PT1H5S'), ('P0D'),
  ('P1M'), ('PT1M'),
  ('P'), ('PT'), ('P1DT'), ('P1W2D'), ('P1DT1W'), ('P1M1Y'), ('PT1S1M'), ('P1D1D'),
  ('PT1.5S'), ('P1,5D'), ('p1d'), ('P1d'), ('P-1D'), ('1D'), ('PT1H1D'), ('P1H'), ('')) AS t(v);

-- ---------------------------------------------------------------- slugs, semver
SELECT v, steward.is_slug(v) AS slug
FROM (VALUES
  ('my-post-2'), ('a'), ('2024'), ('hello-world'),
  ('My-post'), ('a--b'), ('-a'), ('a-'), ('-'), ('a_b'), ('a b'), ('é'), ('')) AS t(v);
SELECT v, steward.is_semver(v) AS semver
FROM (VALUES
  ('1.0.0'), ('0.0.0'), ('1.0.0-rc.1+build.5'), ('1.0.0-alpha'), ('1.0.0+001'),
  ('1.0.0-0A'), ('1.0.0-x-y-z.--'), ('99999999999999999999.0.0'),
  ('01.0.0'), ('1.00.0'), ('1.0'), ('1.0.0.0'), ('v1.0.0'), ('1.0.0-01'), ('1.0.0-'),
  ('1.0.0+'), ('1.0.0-alpha..1'), ('1.0.0-alpha_1'), (' 1.0.0'), ('')) AS t(v);

-- ---------------------------------------------------------------- NULL and long input
-- STRICT: NULL in, NULL out (a NULL options array too)
SELECT steward.is_email(NULL) IS NULL AS email,
       steward.is_email(NULL, ARRAY['quoted']) IS NULL AS email_opts,
       steward.is_email('a@example.com', NULL) IS NULL AS null_options,
       steward.is_hostname(NULL) IS NULL AS hostname,
       steward.is_url(NULL, ARRAY['any-scheme']) IS NULL AS url,
       steward.is_ipv4(NULL) IS NULL AS ipv4, steward.is_ipv6(NULL) IS NULL AS ipv6,
       steward.is_uri(NULL) IS NULL AS uri, steward.is_uuid(NULL) IS NULL AS uuid,
       steward.is_e164(NULL) IS NULL AS e164, steward.is_iban(NULL) IS NULL AS iban,
       steward.is_luhn(NULL) IS NULL AS luhn, steward.is_card(NULL) IS NULL AS card,
       steward.is_iso_country(NULL) IS NULL AS country,
       steward.is_iso_currency(NULL) IS NULL AS currency,
       steward.is_date(NULL) IS NULL AS date, steward.is_time(NULL) IS NULL AS time,
       steward.is_datetime(NULL) IS NULL AS datetime,
       steward.is_duration(NULL) IS NULL AS duration,
       steward.is_slug(NULL) IS NULL AS slug, steward.is_semver(NULL) IS NULL AS semver;
-- very long values are answered (false where the format has a maximum)
SELECT steward.is_email(repeat('a', 1000000) || '@example.com') AS email,
       steward.is_hostname(repeat('a.', 500000) || 'a') AS hostname,
       steward.is_url('https://example.com/' || repeat('a', 1000000)) AS url,
       steward.is_uri('urn:' || repeat('%41', 300000)) AS uri,
       steward.is_luhn(repeat('0', 1000000)) AS luhn,
       steward.is_slug(repeat('ab-', 300000) || 'c') AS slug,
       steward.is_semver('1.0.0-' || repeat('a.', 300000) || 'b') AS semver,
       steward.is_duration('P' || repeat('9', 1000000) || 'D') AS duration;

-- ---------------------------------------------------------------- domains
SELECT t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base,
       pg_get_constraintdef(c.oid) AS check
FROM pg_type t JOIN pg_constraint c ON c.contypid = t.oid
WHERE t.typnamespace = 'steward'::regnamespace AND t.typtype = 'd'
  AND t.typname IN ('email', 'url', 'hostname', 'phone_e164', 'iban', 'card_number',
                    'country_code', 'currency_code', 'slug', 'semver')
ORDER BY 1;
SELECT 'user@example.com'::steward.email, 'https://example.com/'::steward.url,
       'db.example.com'::steward.hostname, '+14155552671'::steward.phone_e164,
       'DE89370400440532013000'::steward.iban, '4111 1111 1111 1111'::steward.card_number,
       'DE'::steward.country_code, 'EUR'::steward.currency_code, 'my-post'::steward.slug,
       '1.2.3-rc.1'::steward.semver;
-- each refuses with 23514, naming the domain and never the value
SELECT 'not an address'::steward.email;
\echo :LAST_ERROR_SQLSTATE
SELECT 'ftp://example.com/'::steward.url;
\echo :LAST_ERROR_SQLSTATE
SELECT 'db_1.example.com'::steward.hostname;
\echo :LAST_ERROR_SQLSTATE
SELECT '004155552671'::steward.phone_e164;
\echo :LAST_ERROR_SQLSTATE
SELECT 'DE89370400440532013001'::steward.iban;
\echo :LAST_ERROR_SQLSTATE
SELECT '4111111111111112'::steward.card_number;
\echo :LAST_ERROR_SQLSTATE
SELECT 'UK'::steward.country_code;
\echo :LAST_ERROR_SQLSTATE
SELECT 'DEM'::steward.currency_code;
\echo :LAST_ERROR_SQLSTATE
SELECT 'My Post'::steward.slug;
\echo :LAST_ERROR_SQLSTATE
SELECT 'v1.0'::steward.semver;
\echo :LAST_ERROR_SQLSTATE
-- NULL is a value of every domain (NOT NULL is the column's business)
SELECT NULL::steward.email IS NULL AS null_email, NULL::steward.iban IS NULL AS null_iban;

-- in a table
CREATE TABLE vf_contacts (
    id int PRIMARY KEY,
    email steward.email,
    phone steward.phone_e164,
    country steward.country_code NOT NULL
);
INSERT INTO vf_contacts VALUES (1, 'ann@example.com', '+441632960961', 'GB'),
                               (2, NULL, NULL, 'DE');
INSERT INTO vf_contacts VALUES (3, 'ann@example', NULL, 'FR');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO vf_contacts VALUES (3, NULL, '+44 1632 960961', 'FR');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO vf_contacts VALUES (3, NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE vf_contacts SET email = 'bob@@example.com' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
UPDATE vf_contacts SET email = 'bob@example.com' WHERE id = 2;
COPY vf_contacts FROM STDIN;
4	cy@example.com	\N	SE
\.
COPY vf_contacts FROM STDIN;
5	cy@example.com	\N	XX
\.
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM vf_contacts ORDER BY id;

-- IMMUTABLE: usable in an index expression, a partial index and a CHECK
-- constraint
CREATE TABLE vf_accounts (id int PRIMARY KEY, iban text, login text);
CREATE INDEX vf_accounts_email ON vf_accounts ((steward.is_email(login)));
CREATE INDEX vf_accounts_valid ON vf_accounts (iban) WHERE steward.is_iban(iban);
ALTER TABLE vf_accounts ADD CONSTRAINT vf_accounts_iban CHECK (steward.is_iban(iban));
ALTER TABLE vf_accounts ADD CONSTRAINT vf_accounts_login
  CHECK (steward.is_email(login, ARRAY['quoted', 'single-label']));
INSERT INTO vf_accounts VALUES (1, 'GB82WEST12345698765432', 'root@localhost'),
                               (2, NULL, NULL),
                               (3, 'NO9386011117947', 'ann@example.com');
INSERT INTO vf_accounts VALUES (4, 'GB82WEST12345698765433', 'a@example.com');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO vf_accounts VALUES (4, 'GB82WEST12345698765432', 'a@[127.0.0.1]');
\echo :LAST_ERROR_SQLSTATE
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM vf_accounts WHERE steward.is_email(login);
SELECT id FROM vf_accounts WHERE steward.is_email(login);
EXPLAIN (COSTS OFF) SELECT id FROM vf_accounts WHERE steward.is_iban(iban) AND iban = 'GB82WEST12345698765432';
RESET enable_seqscan;
-- a constant call is folded when the query is planned
EXPLAIN (COSTS OFF, VERBOSE) SELECT steward.is_uuid('123e4567-e89b-12d3-a456-426614174000');

DROP TABLE vf_contacts, vf_accounts;
