--
-- notify: change notifications (configuration and errors; what listeners
-- receive is shown by the isolation spec notify_listen)
--
\set SHOW_CONTEXT never
CREATE ROLE notify_owner;
CREATE ROLE notify_other;
GRANT CREATE ON SCHEMA public TO notify_owner;
SET ROLE notify_owner;
CREATE TABLE "Odd Table" (id int PRIMARY KEY, "Title" text, c10 int);
SELECT steward.notify_enable('"Odd Table"', channel => 'my channel', columns => ARRAY['Title', 'c10']);
SELECT relation, channel, columns, enabled FROM steward.notified_tables;
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = '"Odd Table"'::regclass ORDER BY 1;
-- enabling again replaces the configuration
SELECT steward.notify_enable('"Odd Table"');
SELECT relation, channel, columns FROM steward.notified_tables;
-- changes still work (the payloads are checked by notify_listen)
INSERT INTO "Odd Table" VALUES (1, 'one', 10);
UPDATE "Odd Table" SET "Title" = 'One';
DELETE FROM "Odd Table";
RESET ROLE;

-- bad input
SELECT steward.notify_enable(NULL);
SELECT steward.notify_enable('"Odd Table"', channel => NULL);
SELECT steward.notify_enable('"Odd Table"', channel => '');
SELECT steward.notify_enable('"Odd Table"', channel => repeat('c', 64));
SELECT steward.notify_enable('"Odd Table"', columns => ARRAY['nope']);
SELECT steward.notify_enable('"Odd Table"', columns => ARRAY[NULL]::name[]);
CREATE VIEW odd_view AS SELECT * FROM "Odd Table";
SELECT steward.notify_enable('odd_view');
DROP VIEW odd_view;
SET ROLE notify_other;
SELECT steward.notify_enable('"Odd Table"');
SELECT steward.notify_disable('"Odd Table"');
RESET ROLE;
CREATE TABLE misuse (id int);
CREATE TRIGGER t BEFORE INSERT ON misuse FOR EACH ROW EXECUTE FUNCTION steward.notify_trigger('c');
INSERT INTO misuse VALUES (1);
DROP TRIGGER t ON misuse;
CREATE TRIGGER t AFTER INSERT ON misuse FOR EACH ROW EXECUTE FUNCTION steward.notify_trigger();
INSERT INTO misuse VALUES (1);
DROP TABLE misuse;
SELECT steward.notify_trigger();

-- a listed column dropped since is sent as null, not an error
SET ROLE notify_owner;
SELECT steward.notify_enable('"Odd Table"', columns => ARRAY['c10']);
ALTER TABLE "Odd Table" DROP COLUMN c10;
INSERT INTO "Odd Table" VALUES (2, 'two');
-- disabling removes both triggers
SELECT steward.notify_disable('"Odd Table"');
SELECT count(*) FROM pg_trigger WHERE tgrelid = '"Odd Table"'::regclass;
SELECT count(*) FROM steward.notified_tables;
-- personal data is never sent: a declared column cannot be listed, and
-- declaring a listed column takes it out of the notifications
SELECT steward.notify_enable('"Odd Table"', columns => ARRAY['Title']);
SELECT steward.personal_data('"Odd Table"', 'Title', 'identity');
SELECT relation, channel, columns FROM steward.notified_tables;
SELECT steward.notify_enable('"Odd Table"', columns => ARRAY['Title']);
SELECT steward.personal_data_drop('"Odd Table"', 'Title');
SELECT steward.notify_disable('"Odd Table"');
RESET ROLE;

DROP TABLE "Odd Table";
REVOKE CREATE ON SCHEMA public FROM notify_owner;
DROP ROLE notify_owner;
DROP ROLE notify_other;
