--
-- versioning: optimistic concurrency (row versions)
--
\set SHOW_CONTEXT never
CREATE ROLE ver_owner;
CREATE ROLE ver_app;
CREATE ROLE ver_other;
GRANT CREATE ON SCHEMA public TO ver_owner;

SET ROLE ver_owner;
CREATE TABLE docs (id int PRIMARY KEY, title text, version bigint NOT NULL DEFAULT 1);
INSERT INTO docs (id, title) VALUES (1, 'one'), (2, 'two');
GRANT SELECT, INSERT, UPDATE ON docs TO ver_app;
SELECT steward.versioning_enable('docs');
SELECT relation, column_name, mode, enabled FROM steward.versioned_tables;

-- an update that carries the version it read is applied, and bumps it
SET ROLE ver_app;
UPDATE docs SET title = 'one!', version = 1 WHERE id = 1;
SELECT id, title, version FROM docs ORDER BY id;
-- one that leaves the version as it is carries the current one too
UPDATE docs SET title = 'one!!' WHERE id = 1;
SELECT id, title, version FROM docs WHERE id = 1;

-- a stale write is refused with 40001, naming the table and the row
UPDATE docs SET title = 'stale', version = 1 WHERE id = 1;
DO $$
BEGIN
  UPDATE docs SET title = 'stale', version = 1 WHERE id = 1;
EXCEPTION WHEN serialization_failure THEN
  RAISE NOTICE 'refused with SQLSTATE %', SQLSTATE;
END $$;
UPDATE docs SET title = 'no version', version = NULL WHERE id = 1;
-- all or nothing: one stale row refuses the whole statement
UPDATE docs SET title = title || '?', version = 1;
SELECT id, title, version FROM docs ORDER BY id;
-- the version cannot be forged forward either
UPDATE docs SET version = 100 WHERE id = 2;
SELECT id, version FROM docs WHERE id = 2;

-- last write wins: the version is bumped whatever the client sent
RESET ROLE;
SET ROLE ver_owner;
SELECT steward.versioning_enable('docs', mode => 'last_write_wins');
SELECT relation, column_name, mode FROM steward.versioned_tables;
SET ROLE ver_app;
UPDATE docs SET title = 'wins', version = 1 WHERE id = 1;
SELECT id, title, version FROM docs WHERE id = 1;
RESET ROLE;

-- rows written before versioning (a NULL version) start at 1
SET ROLE ver_owner;
CREATE TABLE "odd ""name""" ("Row Id" int PRIMARY KEY, "the version" int);
INSERT INTO "odd ""name""" VALUES (1, NULL);
SELECT steward.versioning_enable('"odd ""name"""', column_name => 'the version');
UPDATE "odd ""name""" SET "Row Id" = 1 WHERE "Row Id" = 1;
SELECT * FROM "odd ""name""";
UPDATE "odd ""name""" SET "the version" = 7 WHERE "Row Id" = 1;
-- integer versions stop at their maximum
UPDATE "odd ""name""" SET "the version" = 2147483647;
ALTER TABLE "odd ""name""" DISABLE TRIGGER steward_versioning;
UPDATE "odd ""name""" SET "the version" = 2147483647;
ALTER TABLE "odd ""name""" ENABLE TRIGGER steward_versioning;
UPDATE "odd ""name""" SET "Row Id" = 1;
SELECT relation, column_name, mode FROM steward.versioned_tables ORDER BY 1::text;

-- a table without a key: the error cannot name the row
CREATE TABLE nokey (v int DEFAULT 1, note text);
INSERT INTO nokey VALUES (1, 'x');
SELECT steward.versioning_enable('nokey', 'v');
UPDATE nokey SET v = 0;

-- partitioned tables: the trigger is cloned to every partition
CREATE TABLE parts (id int, version int NOT NULL DEFAULT 1, PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (100);
INSERT INTO parts VALUES (5);
SELECT steward.versioning_enable('parts');
UPDATE parts SET version = 1 WHERE id = 5;
UPDATE parts SET version = 1 WHERE id = 5;
SELECT * FROM parts;
SELECT relation FROM steward.versioned_tables WHERE relation::text LIKE 'parts%';
RESET ROLE;

-- a NULL version is version 0: an update may carry 0 for it
SET ROLE ver_owner;
CREATE TABLE nullver (id int PRIMARY KEY, "v\000" smallint);
INSERT INTO nullver VALUES (1, NULL);
SELECT steward.versioning_enable('nullver', 'v\000');
UPDATE nullver SET "v\000" = 0 WHERE id = 1;
SELECT * FROM nullver;
-- (a column name with a backslash and zeros reads back whole)
SELECT relation, column_name, mode FROM steward.versioned_tables WHERE relation = 'nullver'::regclass;
-- smallint stops at its maximum
ALTER TABLE nullver DISABLE TRIGGER steward_versioning;
UPDATE nullver SET "v\000" = 32767;
ALTER TABLE nullver ENABLE TRIGGER steward_versioning;
UPDATE nullver SET id = 1;
-- the row's version is not shown to a role that may update the column but not read it
GRANT UPDATE ("v\000") ON nullver TO ver_other;
SET ROLE ver_other;
UPDATE nullver SET "v\000" = 1;
RESET ROLE;
-- inheritance children would not be covered: refused
SET ROLE ver_owner;
CREATE TABLE iparent (id int, version int);
CREATE TABLE ichild () INHERITS (iparent);
SELECT steward.versioning_enable('iparent');
DROP TABLE nullver, iparent, ichild;
RESET ROLE;

-- bad input
SELECT steward.versioning_enable(NULL);
SELECT steward.versioning_enable('docs', NULL);
SELECT steward.versioning_enable('docs', mode => 'first_write_wins');
SELECT steward.versioning_enable('docs', 'nope');
SELECT steward.versioning_enable('docs', 'title');
SELECT steward.versioning_enable('pg_class');
CREATE VIEW docs_view AS SELECT * FROM docs;
SELECT steward.versioning_enable('docs_view');
DROP VIEW docs_view;
CREATE TABLE gen (id int PRIMARY KEY, v int GENERATED ALWAYS AS (id) STORED);
SELECT steward.versioning_enable('gen', 'v');
DROP TABLE gen;
-- only the owner may enable or disable
SET ROLE ver_other;
SELECT steward.versioning_enable('docs');
SELECT steward.versioning_disable('docs');
RESET ROLE;
-- the trigger refuses other uses
CREATE TABLE misuse (id int, version int);
CREATE TRIGGER t AFTER UPDATE ON misuse FOR EACH ROW EXECUTE FUNCTION steward.versioning_trigger('version', 'reject');
INSERT INTO misuse VALUES (1, 1);
UPDATE misuse SET id = 2;
DROP TRIGGER t ON misuse;
CREATE TRIGGER t BEFORE UPDATE ON misuse FOR EACH ROW EXECUTE FUNCTION steward.versioning_trigger();
UPDATE misuse SET id = 2;
DROP TRIGGER t ON misuse;
CREATE TRIGGER t BEFORE UPDATE ON misuse FOR EACH ROW EXECUTE FUNCTION steward.versioning_trigger('gone', 'reject');
UPDATE misuse SET id = 2;
DROP TABLE misuse;
SELECT steward.versioning_trigger();

-- disabling removes the trigger and keeps the column
SET ROLE ver_owner;
SELECT steward.versioning_disable('docs');
UPDATE docs SET version = 1 WHERE id = 1;
SELECT id, version FROM docs WHERE id = 1;
SELECT relation FROM steward.versioned_tables WHERE relation = 'docs'::regclass;
RESET ROLE;

-- clean up
DROP TABLE docs, "odd ""name""", nokey, parts;
REVOKE CREATE ON SCHEMA public FROM ver_owner;
DROP ROLE ver_owner;
DROP ROLE ver_app;
DROP ROLE ver_other;
