# The demo (make run) stays runnable: the demo schema loads and the tour
# runs to the end without an error, on a fresh cluster like the sandbox.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

my $src  = steward_src();
my $node = steward_node('demo');
$node->safe_psql('postgres', 'CREATE DATABASE steward_demo');
$node->safe_psql('steward_demo', 'CREATE EXTENSION pg_steward');

my ($rc, $out, $err) = $node->psql('steward_demo',
	"\\set ON_ERROR_STOP on\n\\i $src/test/demo/schema.sql\n");
is($rc, 0, 'demo schema loads') or diag($err);

# the demo holds a few thousand rows with working foreign keys
cmp_ok(
	$node->safe_psql(
		'steward_demo', q{
	SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM orders)
	     + (SELECT count(*) FROM order_items) + (SELECT count(*) FROM posts)
	     + (SELECT count(*) FROM comments)}),
	'>=', 3000,
	'demo data has a few thousand rows');
is( $node->safe_psql(
		'steward_demo', q{
	SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id
	WHERE p.post_id <> c.post_id}),
	'0',
	'comment threads stay within their post');
is( $node->safe_psql(
		'steward_demo', q{
	SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id
	WHERE u.tenant_id <> o.tenant_id}),
	'0',
	'orders belong to their user\'s tenant');

($rc, $out, $err) = $node->psql('steward_demo',
	"\\set ON_ERROR_STOP on\n\\i $src/test/demo/tour.sql\n");
is($rc, 0, 'the tour runs to the end') or diag($err);
like($out, qr/Session context/, 'the tour shows the session context');
like($err, qr/refused \(SQLSTATE 40001\): row \(id\)=\(1\) of table public\.orders was changed/,
	'the tour shows a stale save refused');
like($out, qr/Asynchronous notification "steward_changes" with payload "\{"op": "UPDATE", "schema": "public", "table": "orders", "key": \{"id": 2\}, "changed": \["status"\]/,
	'the tour shows a change notification');
like($err, qr/refused \(SQLSTATE 23514\): row of table public\.user_profiles violates its validation rules \(5 errors\)\n\/phone: must be a valid phone number.*\n\/avatar_url: .*\n\/bio: .*\n\/preferences\/theme: .*\n\/preferences\/page_size: /,
	'the tour shows a row refused with every field error');
like($out, qr/^\s*\/preferences\/page_size\s*\|\s*must be less than or equal to 100\s*$/m,
	'the tour shows validate_row');
like($out, qr/^\s*\d+\s*\|\s*[A-Z]\*+\s*\|\s*[a-z]\*\*\*\@example\.(?:org|com)\s*\|\s*\w+\s*$/m,
	'the tour shows masked names and e-mail addresses');
like($out, qr/^\s*(?:public\.)?orders\s*\|\s*\d+\s*\|\s*\d+\s*\|\s*[1-9]\d*\s*$/m,
	'the tour shows the status counters, with the refused save');

# the compliance report renders on the demo database
($rc, $out, $err) = $node->psql('steward_demo', 'SELECT steward.report()');
is($rc, 0, 'the report renders on the demo database') or diag($err);
like($out, qr/^## Tables\n\n\| table \| row-level security .*^\| public\.orders \| (yes|no) /ms,
	'the report lists the demo tables and their protection');

$node->stop;
done_testing();
