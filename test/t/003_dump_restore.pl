# pg_dump / pg_restore keep pg_steward's configuration: the policy
# templates (an extension configuration table), the policies they
# generated, and both keep working after the restore.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

my $node = steward_node('dump');
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
		'dst', q{SELECT string_agg(relation::text, ',') FROM steward.audit_tables}),
	'orders', 'audited tables restored');
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

# the restored configuration can be changed and regenerates as before
$node->safe_psql('dst', q{SELECT steward.policy_drop('orders', 'roles')});
is( $node->safe_psql(
		'dst', q{SELECT string_agg(template, ',' ORDER BY template) FROM steward.policies}),
	'owner,tenant',
	'restored templates can be dropped');

$node->stop;
done_testing();
