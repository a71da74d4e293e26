--
-- mask_anonymize: static anonymization (the masking rules applied in
-- place, refused on a database not marked as a copy) and detection
--
\set SHOW_CONTEXT never
CREATE TABLE ma_people (id int PRIMARY KEY, email text UNIQUE, phone text, born date,
                        notes text, contact text, ip inet, salary numeric, acct text);
INSERT INTO ma_people
SELECT g, 'p' || g || '@example.com', '+49 30 1234 5' || g, date '1980-01-01' + g * 40, 'note ' || g,
       'c' || g || '@example.org', ('10.0.0.' || g)::inet, g * 10, 'DE89370400440532013000'
FROM generate_series(1, 20) g;
CREATE TABLE ma_orders (id int PRIMARY KEY, person int REFERENCES ma_people, total numeric);
INSERT INTO ma_orders SELECT g, 1 + g % 20, g FROM generate_series(1, 40) g;

-- detection: by name, by values, both; nothing is applied
SELECT relation, column_name, category, confidence, reason, suggested_mask
  FROM steward.detect_personal_data('public') WHERE relation::text LIKE 'ma\_%' ORDER BY relation::text, column_name;
SELECT count(*) AS rules FROM steward.masking_rules WHERE relation = 'ma_people'::regclass;
SELECT count(*) FROM steward.detect_personal_data('public', 0) WHERE reason LIKE 'values%';
SELECT * FROM steward.detect_personal_data(NULL);

-- a dry run reports and changes nothing
SELECT steward.mask_column('ma_people', 'email', 'steward.pseudo_email'),
       steward.mask_column('ma_people', 'phone', 'steward.mask_phone'),
       steward.mask_column('ma_people', 'born', 'steward.mask_date'),
       steward.mask_column('ma_people', 'salary', 'steward.mask_int_range(salary::int, 100)');
SET steward.mask_key = 'the anonymization test key......';
SELECT * FROM steward.anonymize_table('ma_people');
SELECT count(*) AS unchanged FROM ma_people WHERE email LIKE 'p%@example.com';

-- refused for real unless the database is marked as a copy or named
SELECT * FROM steward.anonymize_table('ma_people', dry_run => false);
SELECT * FROM steward.anonymize_table('ma_people', dry_run => false, confirm => 'production');
SELECT * FROM steward.anonymize_table('ma_people', dry_run => false, confirm => current_database());
-- what the rows now hold; the foreign keys are untouched and valid
SELECT id, email, phone, born, salary FROM ma_people ORDER BY id LIMIT 3;
SELECT count(*) AS orders_still_joined FROM ma_orders o JOIN ma_people p ON p.id = o.person;
SELECT count(DISTINCT email) AS distinct_emails FROM ma_people;
-- marked as a copy (a superuser's setting), no confirmation needed
SET steward.database_is_copy = on;
SELECT relation, column_name, rows_changed, note FROM steward.anonymize_all(dry_run => false)
 WHERE relation = 'ma_people'::regclass ORDER BY column_name;
RESET steward.database_is_copy;
-- a mask that would break a unique column is refused before anything changes
SELECT steward.mask_column('ma_people', 'email', 'steward.mask_redact');
SELECT * FROM steward.anonymize_table('ma_people');
-- an ordinary role can neither anonymize another's table nor mark a copy
CREATE ROLE ma_other;
SET ROLE ma_other;
SELECT * FROM steward.anonymize_table('ma_people');
SET steward.database_is_copy = on;
RESET ROLE;
DROP ROLE ma_other;
SELECT * FROM steward.anonymize_table('ma_people', NULL);
-- a large table in batches along the primary key, each row masked once
CREATE TABLE ma_big (id int PRIMARY KEY, email text UNIQUE, phone text);
INSERT INTO ma_big SELECT g, 'u' || g || '@example.com', '+4930' || g FROM generate_series(1, 25) g;
SELECT steward.mask_column('ma_big', 'email', 'steward.pseudo_email'), steward.mask_column('ma_big', 'phone', 'steward.mask_phone');
CALL steward.anonymize_in_batches('ma_big', 10);
CALL steward.anonymize_in_batches('ma_big', 10, confirm => current_database());
SELECT count(*) FILTER (WHERE email LIKE 'u%') AS unmasked_left, count(DISTINCT email) AS distinct_emails,
       count(*) FILTER (WHERE phone ~ '^\+\*+[0-9]{2}$') AS phones_masked FROM ma_big;
CALL steward.anonymize_in_batches('ma_big', 0);
BEGIN;
CALL steward.anonymize_in_batches('ma_big', 10, confirm => current_database());
ROLLBACK;
CREATE TABLE ma_nokey (email text);
SELECT steward.mask_column('ma_nokey', 'email', 'steward.mask_email');
CALL steward.anonymize_in_batches('ma_nokey', 10, confirm => current_database());
DROP TABLE ma_big, ma_nokey;
RESET steward.mask_key;
DROP TABLE ma_orders, ma_people;
