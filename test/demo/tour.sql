--
-- test/demo/tour.sql: the guided tour that "make run" prints.
--
-- One section per capability, each runnable on its own against the demo
-- schema (schema.sql).  The tour changes nothing it does not undo, so it
-- can run any number of times.  Add your capability's section at the end.
--
\set ON_ERROR_STOP on
\set QUIET on
\pset footer off

\echo
\echo '================================================================'
\echo ' pg_steward tour'
\echo '================================================================'
SELECT steward.version() AS pg_steward_version;

\echo
\echo '---- 1. Session context ----------------------------------------'
\echo 'The application says once per transaction who is acting; policies,'
\echo 'audit and privacy functions read it back. Nobody can forge it with SET.'
\echo
\set ECHO queries
BEGIN;
SELECT steward.context_set(
         user_id   => (SELECT id::text FROM users WHERE email LIKE 'ann.%' ORDER BY id LIMIT 1),
         tenant_id => (SELECT id::text FROM tenants WHERE slug = 'acme'),
         roles     => ARRAY['member', 'editor'],
         claims    => '{"plan": "pro", "locale": "en"}');
SELECT steward.current_user_id(), steward.current_tenant(),
       steward.has_role('editor') AS is_editor, steward.claim('plan') AS plan;

-- the context in a query: this user's own orders
SELECT o.id, o.status, o.total
FROM orders o
WHERE o.user_id = steward.current_user_id()::bigint
ORDER BY o.id LIMIT 5;

-- lock it: nothing later in the transaction can change it
SELECT steward.context_lock();
DO $$
BEGIN
  PERFORM steward.context_set(user_id => '1');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'refused as expected: %', SQLERRM;
END $$;
COMMIT;

-- transaction-scoped by default: after COMMIT the connection is clean again
SELECT steward.context() IS NULL AS clean_after_commit;
\set ECHO none

\echo
\echo '---- 2. Row-level security -------------------------------------'
\echo 'Policy templates write correct, index-friendly policies; the app'
\echo 'role then sees only its tenant, whatever query it runs.'
\echo
\set ECHO queries
BEGIN;   -- the whole section is rolled back at the end
CREATE ROLE tour_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO tour_app;
SELECT steward.policy_tenant('orders', force => true);
SELECT steward.policy_roles('orders', '{"select": ["member", "admin"], "all": ["admin"]}');
SELECT relation, template, policies FROM steward.policies;

-- what each identity could do, without changing anything
SELECT * FROM steward.policy_check('orders', '{"tenant_id": "1", "roles": ["member"]}', 'tour_app');
SELECT * FROM steward.policy_check('orders', '{"tenant_id": "1", "roles": ["admin"]}', 'tour_app');

-- the application connects as tour_app; the context decides what it sees
SET LOCAL ROLE tour_app;
SELECT steward.context_set(tenant_id => '2', roles => ARRAY['member']);
SELECT tenant_id, count(*) AS orders_visible FROM orders GROUP BY tenant_id;
EXPLAIN (COSTS OFF) SELECT * FROM orders WHERE status = 'paid';
-- a member of tenant 2 cannot touch tenant 1's orders
UPDATE orders SET status = 'cancelled' WHERE tenant_id = 1 RETURNING id;
ROLLBACK;
\set ECHO none

\echo
\echo '---- 3. Audit logging ------------------------------------------'
\echo 'Every change to an audited table is recorded in the same transaction,'
\echo 'with who (the context user, not just the database role) and what changed.'
\echo
\set ECHO queries
BEGIN;   -- rolled back at the end, log records included
SELECT steward.audit_enable('products', exclude_columns => ARRAY['description']);
SELECT steward.context_set(user_id => '7', tenant_id => '1');
UPDATE products SET price = price * 1.10, stock = stock - 1 WHERE id = 1;
UPDATE products SET name = 'Renamed item' WHERE id = 1;
DELETE FROM order_items WHERE product_id = 2;
DELETE FROM products WHERE id = 2;

-- one row's history: only the changed columns, and who changed them
SELECT operation, old_values, new_values, actor_user, effective_role
FROM steward.audit_history('products', '{"id": 1}');
-- the deleted row is kept whole
SELECT operation, old_values ->> 'name' AS name, old_values ->> 'price' AS price
FROM steward.audit_history('products', '{"id": 2}');

-- undo the last transaction's change of product 1 (plan first, then apply)
SELECT id AS last_change FROM steward.audit_log
WHERE table_name = 'products' AND row_key = '{"id": 1}' ORDER BY id DESC LIMIT 1 \gset
SELECT operation, status FROM steward.audit_undo(:last_change);
SELECT operation, status FROM steward.audit_undo(:last_change, dry_run => false);
SELECT name FROM products WHERE id = 1;

-- who read the customers' profiles? (reads of marked tables are recorded)
SELECT steward.audit_reads('user_profiles');
SELECT count(*) FROM user_profiles WHERE phone LIKE '+4420%';
SELECT operation, table_name, detail, query FROM steward.audit_log
WHERE operation = 'SELECT' ORDER BY id DESC LIMIT 1;

-- and DDL is recorded as well
CREATE INDEX ON products (name);
SELECT detail ->> 'command_tag' AS tag, detail ->> 'object_identity' AS object
FROM steward.audit_log WHERE operation = 'DDL' ORDER BY id DESC LIMIT 1;

-- tamper evidence: every record carries a keyed digest, so an edit made
-- directly in the log - even by a superuser - is found and named
SELECT first_broken IS NULL AS intact FROM steward.audit_verify();
UPDATE steward.audit_log SET actor_user = '99' WHERE id = :last_change;
SELECT first_broken = :last_change AS names_the_record, reason FROM steward.audit_verify();
ROLLBACK;
\set ECHO none

\echo
\echo '---- 4. Change events ------------------------------------------'
\echo 'Two people edit the same order from the same read: the second save is'
\echo 'refused (SQLSTATE 40001, retry) instead of silently overwriting the first;'
\echo 'and every committed change can announce itself to listeners.'
\echo
\set ECHO queries
BEGIN;   -- rolled back at the end
ALTER TABLE orders ADD COLUMN version bigint NOT NULL DEFAULT 1;
SELECT steward.versioning_enable('orders');
SELECT id, status, version FROM orders WHERE id = 1;
-- the first save carries the version it read, and bumps it
UPDATE orders SET status = 'shipped', version = 1 WHERE id = 1;
SELECT id, status, version FROM orders WHERE id = 1;
-- the second save, from the same read, is refused
DO $$
BEGIN
  UPDATE orders SET status = 'cancelled', version = 1 WHERE id = 1;
EXCEPTION WHEN serialization_failure THEN
  RAISE NOTICE 'refused (SQLSTATE %): %', SQLSTATE, SQLERRM;
END $$;
SELECT id, status, version FROM orders WHERE id = 1;
ROLLBACK;

-- every committed change can also announce itself to listeners (NOTIFY):
-- a cache or a search index hears the key and what changed
SELECT steward.notify_enable('orders', columns => ARRAY['status']);
LISTEN steward_changes;
UPDATE orders SET status = CASE status WHEN 'paid' THEN 'shipped' ELSE 'paid' END WHERE id = 2;
SELECT steward.notify_disable('orders');
UNLISTEN steward_changes;
\set ECHO none

\echo
\echo '---- 5. Validation ---------------------------------------------'
\echo 'The rules live in the database, so a script, a second service or a bulk'
\echo 'import cannot skip them; a bad row is refused with every field error at'
\echo 'once (like a form library''s issue list), and the values are not echoed.'
\echo
\set ECHO queries
BEGIN;   -- rolled back at the end
SELECT steward.validate_column('user_profiles', 'phone', 'e164'),
       steward.validate_column('user_profiles', 'avatar_url', 'url'),
       steward.validate_column('user_profiles', 'bio', 'length', '{"max": 280}'),
       steward.validate_attach('user_profiles', '{"properties": {"preferences": {"type": "object", "properties": {"theme": {"enum": ["light", "dark"]}, "page_size": {"type": "integer", "minimum": 10, "maximum": 100}}}}}');
DO $$
DECLARE
  detail text;
BEGIN
  UPDATE user_profiles
     SET phone = '0049 30 1234', avatar_url = 'ftp://files', bio = repeat('x', 300),
         preferences = '{"theme": "neon", "page_size": 7}'
   WHERE user_id = (SELECT min(user_id) FROM user_profiles);
EXCEPTION WHEN check_violation THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RAISE NOTICE E'refused (SQLSTATE %): %\n%', SQLSTATE, SQLERRM, replace(detail, '; ', E'\n');
END $$;
-- an API can ask first, and show the errors next to the fields
SELECT instance_path, message
  FROM steward.validate_row('user_profiles', '{"phone": "+49301234567", "avatar_url": "https://cdn.example.com/a.png", "preferences": {"page_size": 500}}');
ROLLBACK;
\set ECHO none

\echo
\echo '---- 6. Masking ------------------------------------------------'
\echo 'Support staff see j***@example.com, not the address; the support lead'
\echo 'sees it. One application role, masked per end user by the session'
\echo 'context; the masked view keeps row-level security (security_invoker).'
\echo 'For a role that logs in itself, the masks are stored in the table and'
\echo 'the role gets the masked columns only.'
\echo
\set ECHO queries
BEGIN;   -- rolled back at the end
SELECT steward.mask_column('users', 'email', 'steward.mask_email', unmasked_context_roles => ARRAY['support_lead']),
       steward.mask_column('users', 'name', 'steward.mask_partial(name, 1, 0)', unmasked_context_roles => ARRAY['support_lead']);
SELECT steward.mask_apply('users');
SELECT steward.context_set('7', '1', ARRAY['support']);
SELECT id, name, email, role FROM public_masked.users ORDER BY id LIMIT 3;
SELECT steward.context_set('8', '1', ARRAY['support_lead']);
SELECT id, name, email, role FROM public_masked.users ORDER BY id LIMIT 3;
-- pseudonyms that still join (keyed; the key is a superuser-only secret)
SET LOCAL steward.mask_key = 'the demo key, never use it for real';
SELECT email, steward.pseudo_email(email), steward.pseudo_first_name(name) FROM users ORDER BY id LIMIT 2;
-- an analyst who logs in with psql: stored masks, kept by a trigger, so the
-- role reads the masked view and never the raw columns
CREATE ROLE demo_analyst;
SELECT steward.mask_apply('users', stored => true);
SELECT steward.mask_role('demo_analyst');
SET LOCAL ROLE demo_analyst;
SELECT steward.context_set('9', '1');
SELECT id, name, email, role FROM public_masked.users ORDER BY id LIMIT 2;
DO $$ BEGIN
  PERFORM email FROM users LIMIT 1;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'refused (SQLSTATE %): %', SQLSTATE, SQLERRM;
END $$;
RESET ROLE;
ROLLBACK;
\set ECHO none

\echo
\echo '---- 7. Operations ---------------------------------------------'
\echo 'What the server counted since it started (committed work; the refused'
\echo 'stale save above counts although its transaction rolled back), and what'
\echo 'a nightly health check finds. steward.report() renders both, with the'
\echo 'protection of every table, as a page for the compliance officer.'
\echo
\set ECHO queries
SELECT table_name, audit_rows, notifications, version_conflicts
  FROM steward.status() ORDER BY table_name::text;
SELECT severity, count(*) AS findings, string_agg(DISTINCT code, ', ') AS codes
  FROM steward.health_check() GROUP BY severity ORDER BY severity;
\set ECHO none

\echo
\echo '---- 8. Privacy (GDPR) -----------------------------------------'
\echo 'A user asks what the shop holds about her, then to be forgotten. Declare'
\echo 'once which columns are personal data and which rows the law keeps; then'
\echo 'one call gathers everything about the person and one call erases it, in'
\echo 'one transaction, leaving a receipt that does not hold her key.'
\echo
\set ECHO queries
BEGIN;   -- rolled back at the end, declarations and receipt included
-- a data subject: one row of users per person, named by its key (id)
SELECT steward.subject_define('user', 'users');
-- the map: every table that holds a user's rows, found through the foreign keys
SELECT node, depth, relation, parent_node, link, columns FROM steward.subject_map('user') ORDER BY node;
-- the personal columns (declared once, by the tables' owner): an erasure
-- deletes their rows, or keeps the rows and anonymizes the values; and
-- orders are kept 10 years for the tax office
DO $$
BEGIN
  PERFORM steward.personal_data('users', 'email', 'contact'),
          steward.personal_data('users', 'name', 'identity'),
          steward.personal_data('user_profiles', 'phone', 'contact'),
          steward.personal_data('user_profiles', 'birth_date', 'identity'),
          steward.personal_data('user_profiles', 'bio', 'identity'),
          steward.personal_data('user_sessions', 'ip', 'online identifier'),
          steward.personal_data('user_sessions', 'user_agent', 'online identifier'),
          -- rows that stay, anonymized: orders (for the books) and posts
          -- (for the threads under them; the demo's titles name the author)
          steward.personal_data('orders', 'shipping_address', 'location', 'anonymize'),
          steward.personal_data('posts', 'title', 'identity', 'anonymize');
  PERFORM steward.subject_hold('orders', 'tax law: 10 years', keep => '10 years', age_column => 'created_at');
END $$;
SELECT relation, column_name, category, on_erase, hold_reason
  FROM steward.personal_data_map ORDER BY relation::text, column_name;

-- Ann (section 1) signed up for the newsletter; the mailer asks before sending
SELECT id AS ann, email AS ann_email FROM users WHERE email LIKE 'ann.%' ORDER BY id LIMIT 1 \gset
SELECT steward.consent_grant('user', :'ann', 'newsletter', source => 'signup form');
SELECT steward.has_consent('user', :'ann', 'newsletter') AS newsletter,
       steward.has_consent('user', :'ann', 'analytics') AS analytics_never_asked;

-- Ann asks for her data (Art. 15 and 20): one jsonb document; its contents ...
SELECT key AS "table", value AS rows
  FROM jsonb_each(steward.subject_export('user', :'ann') -> 'row_counts') ORDER BY key;
-- ... and a piece of it
SELECT e ->> 'found' AS found, e -> 'tables' -> 'public.users' -> 'rows' -> 0 ->> 'email' AS email,
       e -> 'categories' AS categories, e -> 'consents' -> 0 ->> 'purpose' AS consent
  FROM steward.subject_export('user', :'ann') e;

-- Ann asks to be erased (Art. 17). A dry run (the default) reports what would
-- happen and changes nothing: her sessions and profile go; her orders (held
-- for the tax office), her post and the account they point to stay, anonymized
SELECT * FROM steward.subject_erase('user', :'ann');
-- the erasure itself (for the receipt, rows is its id); the receipt names her
-- by a keyed hash, and the key is a superuser-only secret
SET LOCAL steward.privacy_key = 'the demo privacy key, never use it for real';
SELECT relation, action, rows FROM steward.subject_erase('user', :'ann', dry_run => false);

-- the receipt holds no key, and only the secret links the hash to Ann
SELECT subject, key_hash, key_hash = steward.privacy_key_hash('user', :'ann') AS is_ann,
       rules -> 0 ->> 'hold' AS hold, rules -> 0 ->> 'rows' AS held_rows
  FROM steward.erasure_log;
-- what is left of Ann: an anonymous account that her orders still point to
SELECT id, email, name FROM users WHERE id = :ann;
-- her orders, for the books, without the address they were shipped to
SELECT id, status, total, shipping_address FROM orders WHERE user_id = :ann ORDER BY id;
-- and the rest is gone, her consent with it
SELECT (SELECT count(*) FROM user_profiles WHERE user_id = :ann) AS profiles,
       (SELECT count(*) FROM user_sessions WHERE user_id = :ann) AS sessions,
       (SELECT count(*) FROM users WHERE email = :'ann_email') AS her_email,
       steward.has_consent('user', :'ann', 'newsletter') AS newsletter;
ROLLBACK;
\set ECHO none
