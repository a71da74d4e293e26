# pg_dump / pg_restore keep pg_steward's configuration: the policy
# templates (an extension configuration table), the policies they
# generated, and both keep working after the restore.  The privacy
# configuration (subjects, links, personal data, holds, retention, consent,
# requests, erasure receipts) too; and an old backup restored into another
# cluster with the same steward.privacy_key gets its erasures replayed.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

# the same secret on every cluster: receipts name people by a keyed hash
my $privacy_key = 'tap dump/restore privacy key: 0123456789abcdef';
my $node = steward_node('dump');
$node->append_conf('postgresql.conf', "steward.privacy_key = '$privacy_key'\n");
$node->reload;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->safe_psql(
	'src', q{
	CREATE EXTENSION pg_steward;
	CREATE ROLE dump_app;
	CREATE TABLE orders (id int PRIMARY KEY, tenant_id bigint NOT NULL, owner text NOT NULL);
	CREATE INDEX ON orders (tenant_id);
	INSERT INTO orders VALUES (1, 1, 'ann'), (2, 1, 'bob'), (3, 2, 'cy');
	GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO dump_app;
	SELECT steward.policy_tenant('orders', force => true);
	SELECT steward.policy_owner('orders', 'owner', commands => ARRAY['update', 'delete']);
	SELECT steward.policy_roles('orders', '{"select": ["member"], "all": ["admin"]}');
});

# an audited table, with records from before the dump
$node->safe_psql(
	'src', q{
	SELECT steward.audit_enable('orders');
	UPDATE orders SET owner = 'ann2' WHERE id = 1;
	SELECT steward.audit_reads('orders');
});
$node->safe_psql('src', 'SELECT steward.audit_seal()');

# validation rules, with a schema in the registry that a rule refers to
$node->safe_psql(
	'src', q{
	SELECT steward.jsonschema_register('https://example.com/owner.json',
	                                   '{"type": "string", "minLength": 2}');
	SELECT steward.validate_column('orders', 'owner', 'schema', '{"$ref": "https://example.com/owner.json"}');
	SELECT steward.validate_column('orders', 'tenant_id', 'range', '{"min": 1}');
	SELECT steward.validate_attach('orders', '{"required": ["id"]}', 'whole row');
});

# masking rules and the masked view, readable by dump_app
$node->safe_psql(
	'src', q{
	SELECT steward.mask_column('orders', 'owner', 'steward.mask_partial(owner, 1, 0)');
	SELECT steward.mask_apply('orders');
	SELECT steward.mask_role('dump_app');
});

# stored masks: a role that logs in reads the masked view of staff, and
# none of its raw masked columns
$node->safe_psql(
	'src', q{
	CREATE ROLE dump_analyst;
	CREATE TABLE staff (id int PRIMARY KEY, name text, email text, pay numeric);
	INSERT INTO staff VALUES (1, 'Ann', 'ann@example.com', 5100), (2, 'Bob', 'bob@example.org', 6200);
	GRANT SELECT ON staff TO dump_analyst;
	SELECT steward.mask_column('staff', 'email', 'steward.mask_email', unmasked_for => ARRAY['dump_app']);
	SELECT steward.mask_column('staff', 'pay', 'steward.mask_number(pay, 1000)');
	SELECT steward.mask_apply('staff', stored => true);
	SELECT steward.mask_role('dump_analyst');
});

# privacy: a subject whose map has foreign keys, a declared plain link
# (notes.author) and a declared jsonb link (tickets.data -> customer);
# personal data with each on_erase mode and a mask; a legal hold; a
# retention policy; consents granted and withdrawn; requests.  The root
# table is audited, so erasures scrub the audit log.
$node->safe_psql(
	'src', q{
	CREATE SCHEMA shop;
	CREATE TABLE shop.addresses (id int PRIMARY KEY, street text NOT NULL, city text);
	CREATE TABLE shop.customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text,
	                             address_id int REFERENCES shop.addresses);
	CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers,
	                          total numeric, ship_name text);
	CREATE TABLE shop.invoices (id int PRIMARY KEY, customer_id int REFERENCES shop.customers,
	                            issued_at date NOT NULL, billing_name text);
	CREATE TABLE shop.events (id int PRIMARY KEY, customer_id int REFERENCES shop.customers,
	                          at timestamptz NOT NULL, kind text);
	CREATE TABLE shop.notes (id int PRIMARY KEY, author int, body text);
	CREATE TABLE shop.tickets (id int PRIMARY KEY, data jsonb);
	CREATE INDEX ON shop.orders (customer_id);
	CREATE INDEX ON shop.invoices (customer_id);
	CREATE INDEX ON shop.events (customer_id);
	CREATE INDEX ON shop.notes (author);
	CREATE INDEX ON shop.tickets ((data #>> '{customer}'));
	SELECT steward.audit_enable('shop.customers');
	INSERT INTO shop.addresses VALUES (1, '1 Main St', 'Springfield'), (2, '2 Oak Ave', 'Shelbyville'),
	                                  (3, '3 Elm Rd', 'Ogdenville');
	INSERT INTO shop.customers VALUES (1, 'ann@example.com', 'Ann', 1), (2, 'bob@example.com', 'Bob', 1),
	                                  (3, 'cy@example.com', 'Cy', 2), (4, 'dan@example.com', 'Dan', 3);
	UPDATE shop.customers SET name = 'Dan D' WHERE id = 4;
	INSERT INTO shop.orders VALUES (10, 1, 99.5, 'Ann A'), (11, 2, 5, 'Bob B'), (12, 3, 7, 'Cy C');
	INSERT INTO shop.invoices VALUES (100, 1, '2024-03-01', 'Ann A');
	INSERT INTO shop.events VALUES (1, 1, '2025-05-01', 'login'), (2, 4, '2026-05-01', 'login'),
	                               (3, 4, '2026-06-01', 'purchase');
	INSERT INTO shop.notes VALUES (1, 1, 'call back'), (2, 4, 'prefers e-mail');
	INSERT INTO shop.tickets VALUES (1, '{"customer": 4, "text": "delete my account"}'),
	                                (2, '{"customer": 1}'), (3, '{"other": 4}');

	SELECT steward.subject_define('customer', 'shop.customers');
	SELECT steward.subject_link('customer', 'shop.notes', 'author');
	SELECT steward.subject_link('customer', 'shop.tickets', 'data', json_path => '{customer}');
	SELECT steward.personal_data('shop.customers', 'email', 'contact', mask => 'steward.mask_email');
	SELECT steward.personal_data('shop.customers', 'name', 'identity');
	SELECT steward.personal_data('shop.addresses', 'street', 'location');
	SELECT steward.personal_data('shop.orders', 'ship_name', 'identity', 'anonymize');
	SELECT steward.personal_data('shop.invoices', 'billing_name', 'identity', 'anonymize');
	SELECT steward.personal_data('shop.events', 'kind', 'behaviour', 'keep');
	SELECT steward.personal_data('shop.notes', 'body', 'free text', 'delete');
	SELECT steward.subject_hold('shop.invoices', 'tax law: 10 years', keep => '10 years', age_column => 'issued_at');
	SELECT steward.retention_set('shop.events', 'at', '10 years', batch_size => 500);

	SELECT steward.consent_grant('customer', '1', 'marketing', 'signup form v3');
	SELECT steward.consent_grant('customer', '1', 'analytics', 'cookie banner');
	SELECT steward.consent_withdraw('customer', '1', 'marketing', 'unsubscribe link');
	SELECT steward.consent_grant('customer', '2', 'newsletter', 'support call', expires => now() + interval '1 year');
	SELECT steward.consent_grant('customer', '4', 'marketing', 'signup form v3');
});
# Bob's request stays open (the restored copy completes it); Dan's is
# completed by his erasure
my $bob_request = $node->safe_psql('src',
	q{SELECT steward.request_open('customer', '2', 'erasure', 'letter of 2026-11-30')});
my $dan_request = $node->safe_psql('src',
	q{SELECT steward.request_open('customer', '4', 'erasure', 'e-mail of 2026-12-01')});
# a retention run: its state (retention_runs) is not dumped
$node->safe_psql('src', 'CALL steward.retention_run()');

# a backup from before Dan's erasure, for the replay below
my $dump_before = "$PostgreSQL::Test::Utils::tmp_check/src_before.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump_before ],
	'pg_dump before the erasure');

# Dan is erased: his address (his own) and rows reached through the links
# go, his events (kept, on_erase keep) are detached, the audit log is
# scrubbed, his consents go, a receipt is written and his request completed
is( $node->safe_psql(
		'src', qq{
	SELECT string_agg(format('%s %s %s', relation, action, rows), E'\\n' ORDER BY relation::text, action)
	FROM steward.subject_erase('customer', '4', dry_run => false, request_id => $dan_request)
	WHERE action <> 'receipt'}),
	join("\n",
		'shop.addresses delete 1',
		'shop.customers delete 1',
		'shop.events detach 2',
		'shop.events keep 2',
		'shop.notes delete 1',
		'shop.tickets delete 1',
		'steward.audit_log scrub 3',
		'steward.consent_history delete 1'),
	'the source erases a person, through both declared links');
is( $node->safe_psql(
		'src', q{
	SELECT format('%s %s %s', (SELECT count(*) FROM shop.customers WHERE id = 4),
	              (SELECT count(*) FROM steward.erasure_log),
	              (SELECT outcome FROM steward.requests WHERE status = 'completed'))}),
	'0 1 erased (receipt 1)', 'the erasure wrote a receipt and completed its request');

my $policies = q{
	SELECT string_agg(format('%s %s %s', relation, template, options), E'\n' ORDER BY template)
	FROM steward.policies};
my $generated = q{
	SELECT string_agg(format('%s %s %s %s', polname, polcmd,
	                         pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)),
	                  E'\n' ORDER BY polname)
	FROM pg_policy WHERE polrelid = 'orders'::regclass};
my $visible = q{
	BEGIN;
	SET LOCAL ROLE dump_app;
	SELECT steward.context_set('ann', '1', ARRAY['member']);
	SELECT string_agg(id::text, ',' ORDER BY id) FROM orders;
	COMMIT;};

my $dump = "$PostgreSQL::Test::Utils::tmp_check/src.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ],
	'pg_dump');
$node->command_ok(
	[ 'pg_restore', '--single-transaction', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
	'pg_restore in one transaction, without an error');

is($node->safe_psql('dst', $policies), $node->safe_psql('src', $policies),
	'template configuration restored');
is($node->safe_psql('dst', $generated), $node->safe_psql('src', $generated),
	'generated policies restored');
is(last_line($node->safe_psql('dst', $visible)), '1,2',
	'tenant and roles policies work after the restore');

# the audit log, its configuration and its sequence came along, and
# auditing goes on
my $log = q{
	SELECT string_agg(format('%s %s %s', operation, row_key, new_values), E'\n' ORDER BY id)
	FROM steward.audit_log WHERE table_name = 'orders' AND operation IN ('INSERT', 'UPDATE', 'DELETE')};
is($node->safe_psql('dst', $log), $node->safe_psql('src', $log), 'audit records restored');
is( $node->safe_psql(
		'dst', q{SELECT string_agg(relation::text, ',' ORDER BY relation::text) FROM steward.audit_tables}),
	'orders,shop.customers', 'audited tables restored');
is( $node->safe_psql(
		'dst', q{SELECT string_agg(relation::text, ',') FROM steward.audit_read_tables}),
	'orders', 'read-audited tables restored');
$node->safe_psql('dst', q{UPDATE orders SET owner = 'bob2' WHERE id = 2});
is( $node->safe_psql(
		'dst', q{
	SELECT count(*) = count(DISTINCT id) FROM steward.audit_log}),
	't', 'event ids stay unique after the restore');
is( $node->safe_psql(
		'dst', q{
	SELECT new_values ->> 'owner' FROM steward.audit_history('orders', '{"id": 2}') ORDER BY id DESC LIMIT 1}),
	'bob2', 'auditing goes on after the restore');
# the restored log still verifies, seals included, and can be sealed on
# (transaction ids restart in the new cluster; seals do not depend on them)
$node->safe_psql('dst', 'SELECT steward.audit_seal()');
is( $node->safe_psql(
		'dst', q{SELECT format('%s %s', seals >= 1, coalesce(reason, 'intact')) FROM steward.audit_verify()}),
	't intact', 'the restored log verifies, old and new seals');

# validation rules and the registry came along (not the built-in
# metaschemas twice), and the trigger enforces them
my $rules = q{
	SELECT string_agg(format('%s %s %s %s %s', relation, column_name, rule, args, schema), E'\n'
	                  ORDER BY relation::text, column_name, rule)
	FROM steward.validation_rules};
is($node->safe_psql('dst', $rules), $node->safe_psql('src', $rules), 'validation rules restored');
is( $node->safe_psql(
		'dst', q{SELECT format('%s %s', count(*) FILTER (WHERE builtin), string_agg(uri, ',') FILTER (WHERE NOT builtin)) FROM steward.jsonschema_registry}),
	'9 https://example.com/owner.json',
	'registered schemas restored, built-in metaschemas once');
my ($rc, $out, $err) = $node->psql('dst', q{INSERT INTO orders VALUES (9, 0, 'x')});
like($err, qr/row of table public\.orders violates its validation rules \(2 errors\)\nDETAIL:  \/owner: must be at least 2 characters long; \/tenant_id: must be greater than or equal to 1/,
	'restored rules are enforced, the registered schema included');

# masking rules, the view with its options and grant, and masking itself
my $masking = q{
	SELECT string_agg(format('%s %s %s %s', relation, column_name, mask, masked_view), E'\n')
	FROM steward.masking_rules};
is($node->safe_psql('dst', $masking), $node->safe_psql('src', $masking), 'masking rules restored');
is( $node->safe_psql(
		'dst', q{SELECT format('%s %s', reloptions, has_table_privilege('dump_app', oid, 'SELECT')) FROM pg_class WHERE oid = 'public_masked.orders'::regclass}),
	'{security_invoker=true,security_barrier=true} t',
	'the masked view keeps its options and grant');
is( last_line($node->safe_psql(
		'dst', q{
	BEGIN;
	SET LOCAL ROLE dump_app;
	SELECT steward.context_set('ann', '1', ARRAY['member']);
	SELECT string_agg(owner, ',' ORDER BY id) FROM public_masked.orders;
	COMMIT;})),
	'a***,b***',
	'the restored view masks, and RLS applies through it');
$node->safe_psql('dst', 'ALTER TABLE orders ADD COLUMN note text');
is( $node->safe_psql(
		'dst', q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'public_masked.orders'::regclass AND attname = 'note'}),
	'1', 'the restored view follows its table');

# stored masks: the columns, their trigger and its function, the column
# privileges and the configuration came along, and keep working
my $stored = q{
	SELECT format('%s | %s | %s | %s | %s',
	  (SELECT stored FROM steward.mask_views WHERE relation = 'staff'::regclass),
	  (SELECT string_agg(attname || ' ' || has_column_privilege('dump_analyst', 'staff', attname, 'SELECT'), ',' ORDER BY attnum)
	     FROM pg_attribute WHERE attrelid = 'staff'::regclass AND attnum > 0 AND NOT attisdropped),
	  (SELECT string_agg(format('%s %s %s', tgname, tgfoid::regprocedure, tgenabled), ',') FROM pg_trigger WHERE tgrelid = 'staff'::regclass),
	  (SELECT unmasked_roles::text FROM steward.masking_rules WHERE relation = 'staff'::regclass AND column_name = 'email'),
	  (SELECT string_agg(format('%s %s %s', id, email__masked, pay__masked), ',' ORDER BY id) FROM staff))};
is($node->safe_psql('dst', $stored), $node->safe_psql('src', $stored),
	'stored masks restored: columns, trigger, column privileges, rules');
like($node->safe_psql('dst', $stored),
	qr/^t \| id true,name true,email false,pay false,email__masked true,pay__masked true \| zz_steward_mask_store public_masked\.staff_mask_store\(\) A \| \{dump_app\} \| 1 a\*\*\*\@example\.com 5000,2 b\*\*\*\@example\.org 6000$/,
	'and they are what mask_apply made');
$node->safe_psql('dst', q{INSERT INTO staff VALUES (3, 'Cy', 'cy@example.net', 7450)});
is( $node->safe_psql(
		'dst', q{
	SET ROLE dump_analyst;
	SELECT string_agg(format('%s %s %s', id, email, pay), ',' ORDER BY id) FROM public_masked.staff}),
	'1 a***@example.com 5000,2 b***@example.org 6000,3 c***@example.net 7000',
	'the analyst reads the restored stored masks, a new row masked by the restored trigger');
($rc, $out, $err) = $node->psql('dst', q{SET ROLE dump_analyst; SELECT email FROM staff});
like($err, qr/permission denied for table staff/, 'and cannot read the raw column after the restore');

# the restored configuration can be changed and regenerates as before
$node->safe_psql('dst', q{SELECT steward.policy_drop('orders', 'roles')});
is( $node->safe_psql(
		'dst', q{SELECT string_agg(template, ',' ORDER BY template) FROM steward.policies}),
	'owner,tenant',
	'restored templates can be dropped');

# ---- privacy

# every privacy configuration table, row for row (the erasure log and its
# receipt, the consent history and state, the requests included), and the
# sequences of their ids
my @privacy_tables = qw(subjects subject_links personal_columns subject_holds retention_policies
  consents consent_history subject_requests erasure_log);
my %src_rows;
for my $t (@privacy_tables)
{
	my $q = qq{SELECT count(*) || E'\\n' || coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')
	           FROM steward.$t t};
	$src_rows{$t} = $node->safe_psql('src', $q);
	is($node->safe_psql('dst', $q), $src_rows{$t}, "steward.$t restored");
}
is( join(',', map { (split /\n/, $src_rows{$_})[0] } @privacy_tables),
	'1,2,7,1,1,3,4,2,1',
	'the source had rows in each of them');
my $sequences = q{
	SELECT format('%s %s %s', (SELECT last_value FROM steward.erasure_log_id_seq),
	              (SELECT last_value FROM steward.consent_history_id_seq),
	              (SELECT last_value FROM steward.subject_requests_id_seq))};
is($node->safe_psql('dst', $sequences), $node->safe_psql('src', $sequences),
	'the id sequences of receipts, consent records and requests restored');
is($node->safe_psql('dst', 'SELECT count(*) FROM steward.retention_runs'), '0',
	'the retention run state is not dumped');

# the map: the same edges, the declared links with their json_path
my $map = q{
	SELECT string_agg(format('%s %s %s %s %s %s %s %s', node, depth, relation, parent_node, link,
	                         columns, parent_columns, json_path), E'\n' ORDER BY node, parent_node)
	FROM steward.subject_map('customer')};
my $src_map = $node->safe_psql('src', $map);
is($node->safe_psql('dst', $map), $src_map, 'subject_map gives the same edges');
like($src_map, qr/^\d+ 1 shop\.tickets 1 declared \{data\} \{id\} \{customer\}$/m,
	'the map has the declared jsonb link');

# consent answers the same (Ann withdrew marketing, Dan's consent went with him)
my $consent = q{
	SELECT string_agg(format('%s:%s', k, p), ',' ORDER BY k, p)
	FROM unnest(ARRAY['1', '2', '3', '4']) k, unnest(ARRAY['analytics', 'marketing', 'newsletter']) p
	WHERE steward.has_consent('customer', k, p)};
is($node->safe_psql('dst', $consent), $node->safe_psql('src', $consent), 'has_consent answers the same');
is($node->safe_psql('dst', $consent), '1:analytics,2:newsletter', 'has_consent after the restore');

# the export of a remaining person: the same document
my $export = q{SELECT steward.subject_export('customer', '1') - 'generated_at'};
is($node->safe_psql('dst', $export), $node->safe_psql('src', $export),
	'subject_export of a remaining person gives the same document');
is( $node->safe_psql(
		'dst', q{
	SELECT format('%s %s %s', e ->> 'found', e -> 'row_counts', jsonb_array_length(e -> 'consents'))
	FROM steward.subject_export('customer', '1') e}),
	'true {"shop.notes": 1, "shop.events": 1, "shop.orders": 1, "shop.tickets": 1, "shop.invoices": 1, "shop.addresses": 1, "shop.customers": 1} 3',
	'the export finds the person in every table of the map, with the consent history');

# nothing to replay: the erased person is not in the restored database
is($node->safe_psql('dst', q{SELECT count(*) FROM steward.erasure_replay(dry_run => true)}),
	'0', 'erasure_replay (dry run) finds nothing to do after restoring a backup taken after the erasure');
is($node->safe_psql('dst', q{SELECT count(*) FROM steward.erasure_replay()}),
	'0', 'erasure_replay finds nothing to do');

# a new erasure, completing the restored open request: Bob's row stays
# (his order references it), anonymized with the declared mask; the shared
# address stays; his audit records (the INSERT and the anonymizing UPDATE)
# are scrubbed; the receipt's id follows the restored sequence
is( $node->safe_psql(
		'dst', qq{
	SELECT string_agg(format('%s %s %s', relation, action, rows), E'\\n' ORDER BY relation::text, action)
	FROM steward.subject_erase('customer', '2', dry_run => false, request_id => $bob_request)}),
	join("\n",
		'shop.addresses keep 1',
		'shop.customers anonymize 1',
		'shop.orders anonymize 1',
		'steward.audit_log scrub 2',
		'steward.consent_history delete 1',
		'steward.erasure_log receipt 2'),
	'a new erasure works in the restored database');
is( $node->safe_psql(
		'dst', qq{
	SELECT format('%s|%s|%s|%s|%s', c.email, c.name, o.ship_name, r.status, r.outcome)
	FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id, steward.requests r
	WHERE c.id = 2 AND r.id = $bob_request}),
	'b***@example.com|||completed|erased (receipt 2)',
	'the person is anonymized with the restored mask, the restored request completed');
is( $node->safe_psql(
		'dst', q{
	SELECT format('%s %s %s', count(*), count(*) FILTER (WHERE key_hash = steward.privacy_key_hash('customer', '2')),
	              count(*) FILTER (WHERE key_hash = steward.privacy_key_hash('customer', '4')))
	FROM steward.erasure_log}),
	'2 1 1', 'the new receipt next to the restored one, both keyed by the same privacy key');
is( $node->safe_psql(
		'dst', q{SELECT format('%s %s', seals >= 1, coalesce(reason, 'intact')) FROM steward.audit_verify()}),
	't intact', 'the audit log still verifies after the erasure in the restored database');

# ---- an old backup restored: the backup taken before Dan's erasure goes
# into another cluster (same privacy key), gets the receipts kept outside
# the backups, and the replay erases Dan again
my $old = steward_node('replay');
$old->append_conf('postgresql.conf', "steward.privacy_key = '$privacy_key'\n");
$old->reload;
$old->safe_psql('postgres', 'CREATE ROLE dump_app; CREATE ROLE dump_analyst; CREATE DATABASE old');
$old->command_ok(
	[ 'pg_restore', '--single-transaction', '--exit-on-error', '-d', $old->connstr('old'), $dump_before ],
	'pg_restore of the backup taken before the erasure, into another cluster');
is( $old->safe_psql(
		'old', q{
	SELECT format('%s %s %s', (SELECT count(*) FROM shop.customers WHERE id = 4),
	              steward.has_consent('customer', '4', 'marketing'), (SELECT count(*) FROM steward.erasure_log))}),
	'1 t 0', 'the erased person is back, with his consent, and no receipt');

# the receipts, kept outside the backups (\copy, as docs/privacy.md says)
my $receipts = "$PostgreSQL::Test::Utils::tmp_check/erasure_log.copy";
$node->safe_psql('src', "\\copy steward.erasure_log TO '$receipts'");
$old->safe_psql(
	'old', qq{
	\\copy steward.erasure_log FROM '$receipts'
	SELECT setval('steward.erasure_log_id_seq', max(id)) FROM steward.erasure_log;
});
is($old->safe_psql('old', q{SELECT count(*) || E'\n' || string_agg(t::text, E'\n' ORDER BY t::text) FROM steward.erasure_log t}),
	$src_rows{erasure_log}, 'the receipts copied in');

my $replay = q{
	SELECT string_agg(format('%s %s %s %s %s', erasure_id, subject, relation, action, rows), E'\n'
	                  ORDER BY relation::text, action)
	FROM steward.erasure_replay(dry_run => DRY_RUN)};
my $steps = join("\n",
	'1 customer shop.addresses delete 1',
	'1 customer shop.customers delete 1',
	'1 customer shop.events detach 2',
	'1 customer shop.events keep 2',
	'1 customer shop.notes delete 1',
	'1 customer shop.tickets delete 1',
	'1 customer steward.audit_log scrub 3',
	'1 customer steward.consent_history delete 1');
is($old->safe_psql('old', $replay =~ s/DRY_RUN/true/r), $steps, 'erasure_replay (dry run) finds the erased person');
is($old->safe_psql('old', 'SELECT count(*) FROM shop.customers WHERE id = 4'), '1', 'a dry run leaves him');
is($old->safe_psql('old', $replay =~ s/DRY_RUN/false/r), $steps, 'erasure_replay erases him again');

# the person is gone again: the shop's tables are as in the source after
# the erasure, his audit records are scrubbed alike, his consents are gone,
# no new receipt
my $shop = q{
	SELECT string_agg(r, E'\n' ORDER BY r) FROM (
	  SELECT 'addresses ' || t::text AS r FROM shop.addresses t UNION ALL
	  SELECT 'customers ' || t::text FROM shop.customers t UNION ALL
	  SELECT 'orders ' || t::text FROM shop.orders t UNION ALL
	  SELECT 'invoices ' || t::text FROM shop.invoices t UNION ALL
	  SELECT 'events ' || t::text FROM shop.events t UNION ALL
	  SELECT 'notes ' || t::text FROM shop.notes t UNION ALL
	  SELECT 'tickets ' || t::text FROM shop.tickets t) x};
is($old->safe_psql('old', $shop), $node->safe_psql('src', $shop),
	'after the replay the tables are as in the source after the erasure');
is($old->safe_psql('old', 'SELECT count(*) FROM shop.customers WHERE id = 4'), '0', 'the person is gone again');
my $customer_log = q{
	SELECT string_agg(format('%s %s %s %s', operation, row_key, old_values, new_values), E'\n' ORDER BY id)
	FROM steward.audit_log WHERE table_name = 'customers' AND operation IN ('INSERT', 'UPDATE', 'DELETE')};
is($old->safe_psql('old', $customer_log), $node->safe_psql('src', $customer_log),
	'the audit records are scrubbed as in the source');
unlike($old->safe_psql('old', q{SELECT string_agg(old_values::text || new_values::text, ' ') FROM steward.audit_log}),
	qr/dan\@example|Dan/, 'the audit log no longer holds his name or e-mail');
is( $old->safe_psql(
		'old', q{
	SELECT format('%s %s %s', steward.has_consent('customer', '4', 'marketing'),
	              (SELECT count(*) FROM steward.consent_history WHERE subject_key = '4'),
	              (SELECT count(*) FROM steward.erasure_log))}),
	'f 0 1', 'his consents are gone; the replay wrote no receipt');
is( $old->safe_psql(
		'old', q{SELECT format('%s %s', seals >= 1, coalesce(reason, 'intact')) FROM steward.audit_verify()}),
	't intact', 'the audit log verifies after the replay');
is($old->safe_psql('old', 'SELECT count(*) FROM steward.erasure_replay()'), '0',
	'a second replay finds nothing to do');
$old->stop;

$node->stop;
done_testing();
