--
-- privacy_erase: subjects, the subject map, export, erasure (each on_erase
-- mode, holds, shared rows, audit scrubbing, atomicity), receipts, replay
-- after a restore, requests, privileges
--
\set SHOW_CONTEXT never
SET steward.privacy_key = 'privacy test key: 0123456789abcdef';
SET timezone = 'UTC';

CREATE SCHEMA shop;
CREATE TABLE shop.addresses (id int PRIMARY KEY, street text NOT NULL, city text);
CREATE TABLE shop.customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text,
                             address_id int REFERENCES shop.addresses,
                             referred_by int REFERENCES shop.customers);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers,
                          total numeric, ship_name text);
CREATE TABLE shop.order_lines (order_id int REFERENCES shop.orders, line int, product text,
                               PRIMARY KEY (order_id, line));
CREATE TABLE shop.invoices (id int PRIMARY KEY, customer_id int REFERENCES shop.customers,
                            issued_at date NOT NULL, billing_name text);
-- a link without a foreign key, inside jsonb
CREATE TABLE shop.tickets (id int PRIMARY KEY, data jsonb);
-- a partitioned table whose foreign key is on one partition only
CREATE TABLE shop.events (id bigint, customer_id int, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE shop.events_2026 ADD FOREIGN KEY (customer_id) REFERENCES shop.customers;
-- many-to-many
CREATE TABLE shop.groups (id int PRIMARY KEY, title text);
CREATE TABLE shop.group_members (group_id int REFERENCES shop.groups, customer_id int REFERENCES shop.customers,
                                 PRIMARY KEY (group_id, customer_id));
-- an undeclared link (subject_discover finds it)
CREATE TABLE shop.newsletter (address text, customer_ref int);

INSERT INTO shop.addresses VALUES (1, '1 Main St', 'Springfield'), (2, '2 Oak Ave', 'Shelbyville'), (3, '3 Elm Rd', 'Ogdenville');
INSERT INTO shop.customers VALUES (1, 'ann@example.com', 'Ann', 1, NULL), (2, 'bob@example.com', 'Bob', 1, 1),
                                  (3, 'cy@example.com', 'Cy', 2, NULL), (4, 'di@example.com', 'Di', 3, 3);
INSERT INTO shop.orders VALUES (10, 1, 99.5, 'Ann A'), (11, 1, 10, 'Ann A'), (12, 2, 5, 'Bob B'), (13, 3, 7, 'Cy C');
INSERT INTO shop.order_lines VALUES (10, 1, 'lamp'), (10, 2, 'bulb'), (11, 1, 'pen'), (12, 1, 'cup'), (13, 1, 'mug');
-- held for 10 years: 100 and 102 until 2034 and 2035, 101 no longer
INSERT INTO shop.invoices VALUES (100, 1, '2024-03-01', 'Ann A'), (101, 1, '2010-01-01', 'Ann A'),
                                 (102, 3, '2025-06-01', 'Cy C');
INSERT INTO shop.tickets VALUES (1, '{"customer": 1, "text": "help"}'), (2, '{"customer": 3}'), (3, '{"other": 1}');
INSERT INTO shop.events VALUES (1, 1, '2025-05-01', 'login'), (2, 1, '2026-05-01', 'login'), (3, 2, '2026-06-01', 'login');
INSERT INTO shop.groups VALUES (1, 'vip');
INSERT INTO shop.group_members VALUES (1, 1), (1, 2);

-- ---- definitions and their errors
SELECT steward.subject_define('customer', 'shop.customers');
SELECT name, root_table, key_column FROM steward.subjects;
SELECT steward.subject_define('Customer', 'shop.customers');
SELECT steward.subject_define('x', 'shop.customers', 'name');
SELECT steward.subject_define('x', 'shop.customers', 'nope');
SELECT steward.subject_define('x', 'shop.order_lines');
SELECT steward.subject_define('x', NULL);
SELECT steward.subject_link('nobody', 'shop.tickets', 'data');
SELECT steward.subject_link('customer', 'shop.tickets', 'id', json_path => '{customer}');
SELECT steward.subject_link('customer', 'shop.tickets', 'data', json_path => '{}');
SELECT steward.subject_link('customer', 'shop.tickets', 'data', json_path => '{customer}');
SELECT steward.personal_data('shop.customers', 'email', 'contact');
SELECT steward.personal_data('shop.customers', 'name', 'identity');
SELECT steward.personal_data('shop.addresses', 'street', 'location');
SELECT steward.personal_data('shop.orders', 'ship_name', 'identity', 'anonymize');
SELECT steward.personal_data('shop.invoices', 'billing_name', 'identity', 'anonymize');
SELECT steward.personal_data('shop.orders', 'total', '');
SELECT steward.personal_data('shop.orders', 'total', 'financial', 'shred');
SELECT steward.personal_data('shop.orders', 'total', 'financial', 'anonymize', 'pg_catalog.initcap');
SELECT steward.personal_data('shop.orders', 'total', 'financial', 'anonymize', 'steward.mask_partial');
-- a steward.mask_* function that is no mask (it grants, or rewrites a table)
SELECT steward.personal_data('shop.orders', 'total', 'financial', 'anonymize', 'steward.mask_role');
SELECT steward.personal_data('shop.orders', 'total', 'financial', 'anonymize', 'steward.mask_refresh');
SELECT steward.personal_data('shop.events_2025', 'kind', 'behaviour');
SELECT steward.subject_hold('shop.invoices', 'tax law: 10 years', keep => '10 years', age_column => 'issued_at');
SELECT steward.subject_hold('shop.invoices', '', keep => '10 years', age_column => 'issued_at');
SELECT steward.subject_hold('shop.invoices', 'x', keep => '10 years');
SELECT steward.subject_hold('shop.invoices', 'x', age_column => 'billing_name', keep => '1 year');
SELECT relation, column_name, category, on_erase, mask, hold_reason FROM steward.personal_data_map ORDER BY 1::text, 2;

-- ---- the map: foreign keys both ways, the partitioned table as one unit,
-- the declared jsonb link, the many-to-many link table; the
-- self-reference is not followed; groups (no personal data) are not in it
SELECT node, depth, relation, parent_node, link, columns, parent_columns, json_path
  FROM steward.subject_map('customer') ORDER BY node, parent_node;
SELECT * FROM steward.subject_discover('customer');
SELECT * FROM steward.subject_map('nobody');

-- ---- export
SELECT e -> 'row_counts' AS counts, e -> 'categories' AS categories, e ->> 'found' AS found,
       e -> 'tables' -> 'shop.customers' -> 'rows' AS customer,
       e -> 'tables' -> 'shop.tickets' -> 'rows' AS tickets,
       e -> 'tables' -> 'shop.addresses' AS address
  FROM steward.subject_export('customer', '1') e;
SELECT e -> 'tables' -> 'shop.events' -> 'rows' AS events_both_partitions
  FROM steward.subject_export('customer', '1') e;
SELECT e ->> 'found' AS found, e -> 'tables' AS tables FROM steward.subject_export('customer', '999') e;
SELECT steward.subject_export('customer', 'not a number');
SELECT steward.subject_export('customer', NULL);
SELECT relation, csv FROM steward.subject_export_csv('customer', '3') ORDER BY 1::text;

-- ---- erasure: a dry run reports and changes nothing
SELECT steward.audit_enable('shop.customers'), steward.audit_enable('shop.orders');
UPDATE shop.customers SET name = 'Ann X' WHERE id = 1;
UPDATE shop.orders SET ship_name = 'Ann X' WHERE id = 10;
CREATE TEMP TABLE before_erase AS
  SELECT 'customers' AS t, count(*) AS n, md5(string_agg(c::text, ',' ORDER BY id)) AS h FROM shop.customers c
  UNION ALL SELECT 'orders', count(*), md5(string_agg(o::text, ',' ORDER BY id)) FROM shop.orders o
  UNION ALL SELECT 'audit', count(*), md5(string_agg(l.old_values::text || l.new_values::text, ',' ORDER BY id))
            FROM steward.audit_log l WHERE l.schema_name = 'shop';
SELECT * FROM steward.subject_erase('customer', '1');
SELECT b.t, b.n = a.n AND b.h = a.h AS unchanged
  FROM before_erase b
  JOIN (SELECT 'customers' AS t, count(*) AS n, md5(string_agg(c::text, ',' ORDER BY id)) AS h FROM shop.customers c
        UNION ALL SELECT 'orders', count(*), md5(string_agg(o::text, ',' ORDER BY id)) FROM shop.orders o
        UNION ALL SELECT 'audit', count(*), md5(string_agg(l.old_values::text || l.new_values::text, ',' ORDER BY id))
                  FROM steward.audit_log l WHERE l.schema_name = 'shop') a USING (t)
  ORDER BY 1;
SELECT count(*) AS receipts FROM steward.erasure_log;

-- ---- the real thing: Ann has a held invoice (so her row stays, anonymized,
-- and Bob's referral of her stays too), anonymized orders (their lines
-- stay with them), a shared address (kept: Bob lives there too)
SELECT * FROM steward.subject_erase('customer', '1', dry_run => false);
SELECT id, email LIKE 'erased-%' AS email_erased, name, address_id, referred_by FROM shop.customers ORDER BY id;
SELECT * FROM shop.orders ORDER BY id;
SELECT count(*) AS lines_kept FROM shop.order_lines WHERE order_id IN (10, 11);
SELECT id, customer_id, billing_name FROM shop.invoices ORDER BY id;
SELECT * FROM shop.addresses ORDER BY id;
SELECT id, data FROM shop.tickets ORDER BY id;
SELECT id, customer_id FROM shop.events ORDER BY id;
SELECT * FROM shop.group_members;
-- the audit log no longer holds her name or e-mail, and still verifies
SELECT operation, table_name, row_key, old_values, new_values, redacted IS NOT NULL AS redacted
  FROM steward.audit_log WHERE schema_name = 'shop' AND operation IN ('INSERT', 'UPDATE', 'DELETE') ORDER BY id;
SELECT operation, table_name, detail - 'event_ids' AS detail, jsonb_array_length(detail -> 'event_ids') AS records
  FROM steward.audit_log WHERE operation = 'AUDIT REDACT' ORDER BY id;
SELECT records > 0 AS checked, first_broken, reason FROM steward.audit_verify();
-- the receipt: no key, a keyed hash of it
SELECT id, subject, key_hash = steward.privacy_key_hash('customer', '1') AS hash_matches,
       key_hash !~ '1' OR length(key_hash) = 64 AS no_key, erased_by, counts, rules
  FROM steward.erasure_log;
-- erasing again, or an unknown key: a no-op, no receipt
SELECT * FROM steward.subject_erase('customer', '1', dry_run => false);
SELECT * FROM steward.subject_erase('customer', '999', dry_run => false);
SELECT count(*) AS receipts FROM steward.erasure_log;

-- ---- Cy: a hold with action refuse refuses the erasure; without it, his
-- row stays anonymized (his anonymized order references it, NOT NULL)
SELECT steward.subject_hold('shop.invoices', 'open dispute', action => 'refuse');
SELECT * FROM steward.subject_erase('customer', '3');
SELECT * FROM steward.subject_erase('customer', '3', dry_run => false);
SELECT steward.subject_hold_drop('shop.invoices');
DELETE FROM shop.invoices WHERE id = 102;
SELECT * FROM steward.subject_erase('customer', '3', dry_run => false);
SELECT id, email LIKE 'erased-%' AS email_erased, name, referred_by FROM shop.customers ORDER BY id;

-- ---- Di: deleted outright, with her own address; the link from her
-- referrer is hers, Cy's row is not touched
SELECT * FROM steward.subject_erase('customer', '4', dry_run => false);
SELECT id, referred_by FROM shop.customers ORDER BY id;
SELECT * FROM shop.addresses ORDER BY id;

-- ---- an erasure that fails halfway leaves nothing changed
CREATE FUNCTION shop.no_delete() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'group members are never deleted'; END $$;
CREATE TRIGGER no_delete BEFORE DELETE ON shop.group_members FOR EACH ROW EXECUTE FUNCTION shop.no_delete();
SELECT count(*) AS customers, (SELECT count(*) FROM shop.orders) AS orders,
       (SELECT count(*) FROM steward.erasure_log) AS receipts FROM shop.customers;
SELECT * FROM steward.subject_erase('customer', '2', dry_run => false);
SELECT count(*) AS customers, (SELECT count(*) FROM shop.orders) AS orders,
       (SELECT count(*) FROM steward.erasure_log) AS receipts FROM shop.customers;
DROP TRIGGER no_delete ON shop.group_members;

-- ---- replay after a restore: Di comes back from a backup, and Cy's
-- ticket and name
INSERT INTO shop.addresses VALUES (3, '3 Elm Rd', 'Ogdenville');
INSERT INTO shop.customers VALUES (4, 'di@example.com', 'Di', 3, 3);
UPDATE shop.customers SET name = 'Cy' WHERE id = 3;
INSERT INTO shop.tickets VALUES (2, '{"customer": 3}');
SELECT erasure_id, subject, relation, action, rows FROM steward.erasure_replay(dry_run => true);
SELECT count(*) AS di_is_back FROM shop.customers WHERE id = 4;
SELECT erasure_id, subject, relation, action, rows FROM steward.erasure_replay();
SELECT count(*) AS di_is_gone FROM shop.customers WHERE id = 4;
SELECT id, name FROM shop.customers ORDER BY id;
SELECT * FROM steward.erasure_replay();
SELECT count(*) AS receipts FROM steward.erasure_log;
-- without the key, no replay (and no erasure)
SET steward.privacy_key = '';
SELECT * FROM steward.erasure_replay();
SELECT * FROM steward.subject_erase('customer', '2', dry_run => false);
SET steward.privacy_key = 'too short';
SET steward.privacy_key = 'privacy test key: 0123456789abcdef';

-- ---- requests: received, due, completed by the export or erasure
SELECT steward.request_open('customer', '2', 'access', 'ticket 77') AS access_request \gset
SELECT steward.request_open('customer', '4', 'erasure', received_at => now() - interval '40 days') AS late_request \gset
SELECT steward.request_open('customer', '2', 'erasure', received_at => now() - interval '40 days') AS done_late \gset
SELECT steward.request_complete(:done_late, 'done late');
SELECT steward.request_open('customer', '4', 'forget me');
SELECT steward.request_open('nobody', '4', 'access');
SELECT (steward.subject_export('customer', '2', request_id => :access_request)) ->> 'found' AS found;
SELECT kind, reference, status, outcome, due_at - received_at AS due FROM steward.requests ORDER BY id;
-- (the error names the request's id, which depends on earlier suites)
\set VERBOSITY sqlstate
SELECT steward.request_complete(:access_request);
\set VERBOSITY default
SELECT steward.request_complete(12345);

-- ---- privileges: export and erasure need EXECUTE (privacy_grant) and run
-- with the caller's rights; declarations need the table's owner
CREATE ROLE pv_app;
CREATE ROLE pv_officer;
GRANT USAGE ON SCHEMA shop TO pv_app, pv_officer;
GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop TO pv_officer;
SET ROLE pv_app;
SELECT steward.subject_export('customer', '2');
SELECT * FROM steward.subject_erase('customer', '2');
SELECT * FROM steward.erasure_log;
SELECT steward.personal_data('shop.orders', 'total', 'financial');
SELECT steward.subject_define('evil', 'shop.orders');
SELECT steward.subject_drop('customer');
SELECT steward.subject_hold_drop('shop.invoices');
SELECT steward.privacy_key_hash('customer', '2');
SELECT current_setting('steward.privacy_key');
INSERT INTO steward.personal_columns VALUES ('shop.orders', 'total', 'x', 'delete', NULL, 'me', now());
RESET ROLE;
-- the writers behind the declaring functions can be called directly: they
-- refuse what the functions would (an owner of some table must not take
-- over a subject, join another owner's map, or declare a foreign mask)
CREATE TABLE public.pv_evil (id int PRIMARY KEY, at date, t text);
ALTER TABLE public.pv_evil OWNER TO pv_app;
SET ROLE pv_app;
SELECT steward.subject_write('public.pv_evil', 'customer', 'id');
SELECT steward.subject_link('customer', 'public.pv_evil', 'id');
SELECT steward.subject_link_write('public.pv_evil', 'customer', 'id', 'shop.customers', 'id', NULL);
SELECT steward.personal_data_write('public.pv_evil', 't', 'identity', 'anonymize', 'pg_catalog.upper(text)'::regprocedure::regproc);
SELECT steward.personal_data_write('public.pv_evil', 'nope', 'identity', 'delete', NULL);
SELECT steward.retention_write('public.pv_evil', 't', '1 day', 'delete', 10);
SELECT steward.retention_write('public.pv_evil', 'at', '-1 day', 'delete', 10);
SELECT steward.subject_hold_write('public.pv_evil', 'x', NULL, 't', NULL, 'refuse');
-- what the functions accept, the writers accept
SELECT steward.personal_data_write('public.pv_evil', 't', 'identity', 'anonymize', 'steward.mask_email');
SELECT steward.retention_write('public.pv_evil', 'at', '1 day', 'delete', 10);
SELECT * FROM steward.retention_batch('public.pv_evil', 'shop.orders', '(0,0)', 'public');
RESET ROLE;
SELECT name, root_table FROM steward.subjects;
SELECT count(*) AS evil_links FROM steward.subject_links WHERE relation = 'public.pv_evil'::regclass;
DROP TABLE public.pv_evil;
SELECT steward.privacy_grant('pv_officer');
SELECT steward.privacy_grant('no_such_role');
SET ROLE pv_officer;
SELECT (steward.subject_export('customer', '2')) -> 'row_counts' AS counts;
SELECT relation, action, rows FROM steward.subject_erase('customer', '2');
SELECT count(*) AS receipts FROM steward.erasure_log;
RESET ROLE;
-- without privileges on a table of the map, the officer's export fails
REVOKE SELECT ON shop.events FROM pv_officer;
SET ROLE pv_officer;
SELECT steward.subject_export('customer', '2');
RESET ROLE;

-- ---- a row that a trigger moves during the erasure: the erasure stops,
-- nothing is erased and no receipt is written
INSERT INTO shop.customers VALUES (5, 'eve@example.com', 'Eve', NULL, NULL);
CREATE TABLE shop.notes (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers, body text);
INSERT INTO shop.notes VALUES (1, 5, 'call back');
CREATE FUNCTION shop.touch_customer() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN UPDATE shop.customers SET name = name WHERE id = OLD.customer_id; RETURN OLD; END $$;
CREATE TRIGGER touch_customer AFTER DELETE ON shop.notes FOR EACH ROW EXECUTE FUNCTION shop.touch_customer();
SELECT * FROM steward.subject_erase('customer', '5', dry_run => false);
SELECT (SELECT count(*) FROM shop.customers WHERE id = 5) AS eve, (SELECT count(*) FROM shop.notes) AS notes,
       (SELECT count(*) FROM steward.erasure_log) AS receipts;
DROP TRIGGER touch_customer ON shop.notes;
SELECT relation, action, rows FROM steward.subject_erase('customer', '5', dry_run => false);

-- ---- rows that others' rows need stay, and so do the rows below them:
-- Fay's first review stays (Gus replied to it), with its tags; her second
-- review and its tag go
INSERT INTO shop.customers VALUES (6, 'fay@example.com', 'Fay', NULL, NULL), (7, 'gus@example.com', 'Gus', NULL, NULL);
CREATE TABLE shop.reviews (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers, product text);
CREATE TABLE shop.review_tags (review_id int REFERENCES shop.reviews, tag text, PRIMARY KEY (review_id, tag));
CREATE TABLE shop.review_replies (id int PRIMARY KEY, review_id int NOT NULL REFERENCES shop.reviews,
                                  customer_id int NOT NULL REFERENCES shop.customers, body text);
INSERT INTO shop.reviews VALUES (1, 6, 'lamp'), (2, 6, 'mug');
INSERT INTO shop.review_tags VALUES (1, 'good'), (1, 'bright'), (2, 'meh');
INSERT INTO shop.review_replies VALUES (1, 1, 7, 'agreed');
SELECT * FROM steward.subject_erase('customer', '6', dry_run => false);
SELECT * FROM shop.reviews ORDER BY id;
SELECT * FROM shop.review_tags ORDER BY 1, 2;
SELECT id, email LIKE 'erased-%' AS email_erased, name FROM shop.customers WHERE id IN (6, 7) ORDER BY id;

-- ---- on_erase keep: the column stays as it is; a row whose declared
-- columns are all anonymize or keep stays (Gus's survey: his answer is
-- anonymized, his age band kept); his reply to Fay's review is his and goes
CREATE TABLE shop.surveys (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers,
                           answer text, age_band text);
INSERT INTO shop.surveys VALUES (1, 7, 'love the lamp', '30-39');
SELECT steward.personal_data('shop.surveys', 'answer', 'opinion', 'anonymize');
SELECT steward.personal_data('shop.surveys', 'age_band', 'demographic', 'keep');
SELECT * FROM steward.subject_erase('customer', '7', dry_run => false);
SELECT * FROM shop.surveys;
SELECT count(*) AS replies FROM shop.review_replies;
SELECT id, email LIKE 'erased-%' AS email_erased, name FROM shop.customers WHERE id = 7;

-- ---- the person's own rows that stay, moved by a detach: still the
-- person's (the invoice's voucher is detached when the voucher goes; the
-- invoice still names her address through a NOT NULL key: the address is
-- hers, anonymized, not "shared")
CREATE SCHEMA shop2;
CREATE TABLE shop2.customers (id int PRIMARY KEY, email text);
CREATE TABLE shop2.addresses (id int PRIMARY KEY, street text);
-- (the voucher names the address too, so that the address comes after it)
CREATE TABLE shop2.vouchers (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop2.customers,
                             address_id int REFERENCES shop2.addresses);
CREATE TABLE shop2.invoices (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop2.customers,
                             address_id int NOT NULL REFERENCES shop2.addresses,
                             voucher_id int REFERENCES shop2.vouchers, billing_name text);
INSERT INTO shop2.customers VALUES (1, 'ann@example.com');
INSERT INTO shop2.addresses VALUES (10, '1 Main St');
INSERT INTO shop2.vouchers VALUES (5, 1, 10);
INSERT INTO shop2.invoices VALUES (100, 1, 10, 5, 'Ann A');
SELECT steward.subject_define('buyer', 'shop2.customers');
SELECT steward.personal_data('shop2.customers', 'email', 'contact');
SELECT steward.personal_data('shop2.addresses', 'street', 'location');
SELECT steward.personal_data('shop2.invoices', 'billing_name', 'identity', 'anonymize');
SELECT * FROM steward.subject_erase('buyer', '1', dry_run => false);
SELECT * FROM shop2.addresses;
SELECT * FROM shop2.invoices;
SELECT steward.subject_drop('buyer');
DROP SCHEMA shop2 CASCADE;

-- ---- a row of the person that stays keeps what it references, and what
-- hangs below that: the invoice (anonymized, kept) needs the order, so the
-- order stays, anonymized, with its lines
CREATE SCHEMA shop3;
CREATE TABLE shop3.customers (id int PRIMARY KEY, email text);
CREATE TABLE shop3.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop3.customers, note text);
CREATE TABLE shop3.order_lines (order_id int REFERENCES shop3.orders, line int, PRIMARY KEY (order_id, line));
CREATE TABLE shop3.invoices (id int PRIMARY KEY, order_id int NOT NULL REFERENCES shop3.orders, billing_name text);
INSERT INTO shop3.customers VALUES (1, 'ann@example.com');
INSERT INTO shop3.orders VALUES (10, 1, 'leave at the door'), (11, 1, 'gift');
INSERT INTO shop3.order_lines VALUES (10, 1), (10, 2), (11, 1);
INSERT INTO shop3.invoices VALUES (100, 10, 'Ann A');
SELECT steward.subject_define('buyer3', 'shop3.customers');
SELECT steward.personal_data('shop3.customers', 'email', 'contact');
SELECT steward.personal_data('shop3.orders', 'note', 'preference');
SELECT steward.personal_data('shop3.invoices', 'billing_name', 'identity', 'anonymize');
SELECT * FROM steward.subject_erase('buyer3', '1', dry_run => false);
SELECT * FROM shop3.orders;
SELECT * FROM shop3.order_lines;
-- an eraser under row-level security is warned that hidden rows do not
-- count (here the anonymized invoice, hidden by the policy, still needs the
-- order: the foreign key stops the erasure, and nothing is erased)
CREATE ROLE pv_rls_officer;
SELECT steward.privacy_grant('pv_rls_officer');
GRANT USAGE ON SCHEMA shop3 TO pv_rls_officer;
GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop3 TO pv_rls_officer;
ALTER TABLE shop3.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON shop3.invoices USING (billing_name IS NOT NULL);
SET ROLE pv_rls_officer;
SELECT relation, action, rows FROM steward.subject_erase('buyer3', '1');
RESET ROLE;
DROP OWNED BY pv_rls_officer;
DROP ROLE pv_rls_officer;
SELECT steward.subject_drop('buyer3');
DROP SCHEMA shop3 CASCADE;

-- ---- dropped tables and columns take their declarations along
ALTER TABLE shop.orders DROP COLUMN ship_name;
SELECT count(*) AS orders_declarations FROM steward.personal_columns WHERE relation = 'shop.orders'::regclass;
DROP TABLE shop.tickets;
SELECT count(*) AS links FROM steward.subject_links;
SELECT steward.subject_drop('customer'), steward.subject_drop('customer');
SELECT count(*) FROM steward.subjects;

DROP SCHEMA shop CASCADE;
DROP OWNED BY pv_app, pv_officer;
DROP ROLE pv_app, pv_officer;
