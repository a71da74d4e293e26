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
like($err, qr/refused \(SQLSTATE 42501\): permission denied for table users/,
	'the tour shows the analyst refused the raw columns (stored masks)');
like($out, qr/^\s*(?:public\.)?orders\s*\|\s*\d+\s*\|\s*\d+\s*\|\s*[1-9]\d*\s*$/m,
	'the tour shows the status counters, with the refused save');

# privacy: Ann's consent, export, erasure and receipt
like($out, qr/^\s*7\s*\|\s*2\s*\|\s*order_items\s*\|\s*3\s*\|\s*foreign key\s*\|\s*\{order_id\}\s*$/m,
	'the tour shows the subject map, two foreign keys deep');
like($out, qr/AS analytics_never_asked;\n(?:.*\|.*\n[-+]+\n)?\s*t\s*\|\s*f\s*$/m,
	'the tour shows a consent granted, and none where never asked');
like($out, qr/^\s*public\.user_sessions\s*\|\s*2\s*$/m,
	'the tour\'s export counts the user\'s rows');
like($out, qr/^\s*true\s*\|\s*ann\.\S+\@example\.com\s*\|\s*\[[^]]*"online identifier"\]\s*\|\s*newsletter\s*$/m,
	'the tour\'s export finds the user, her categories and her consent');
like($out, qr/^\s*orders\s*\|\s*anonymize\s*\|\s*5\s*\|\s*held: tax law: 10 years; on_erase: anonymize \(shipping_address\)\s*$/m,
	'the tour\'s dry run keeps held orders, anonymized');
like($out, qr/^\s*users\s*\|\s*anonymize\s*\|\s*1\s*\|\s*still referenced by public\.orders \(user_id\) \(email, name\)\s*$/m,
	'the tour\'s dry run keeps the account her orders point to, anonymized');
like($out, qr/^\s*user_sessions\s*\|\s*delete\s*\|\s*2\s*\n(?:.*\n)*?\s*steward\.erasure_log\s*\|\s*receipt\s*\|\s*\d+\s*$/m,
	'the tour\'s erasure deletes and writes a receipt');
like($out, qr/^\s*user\s*\|\s*[0-9a-f]{64}\s*\|\s*t\s*\|\s*tax law: 10 years\s*\|\s*5\s*$/m,
	'the tour shows the receipt: a keyed hash of the key, and the hold');
like($out, qr/^\s*\d+\s*\|\s*erased-[0-9a-f]{32}\s*\|\s*REDACTED\s*$/m,
	'the tour shows the account anonymized');
like($out, qr/AS newsletter;\n(?:.*\|.*\n[-+]+\n)?\s*0\s*\|\s*0\s*\|\s*0\s*\|\s*f\s*$/m,
	'the tour shows the profile, sessions, e-mail address and consent gone');

# the tour undoes what it did: no subject, declaration, receipt or consent
# is left, and the erased user is back whole
is( $node->safe_psql(
		'steward_demo', q{
	SELECT (SELECT count(*) FROM steward.subjects), (SELECT count(*) FROM steward.personal_columns),
	       (SELECT count(*) FROM steward.erasure_log), (SELECT count(*) FROM steward.consent_history),
	       (SELECT count(*) FROM users WHERE email LIKE 'erased-%'),
	       (SELECT count(*) FROM user_sessions
	        WHERE user_id = (SELECT min(id) FROM users WHERE email LIKE 'ann.%'))}),
	'0|0|0|0|0|2',
	'the tour\'s erasure is rolled back');

# the compliance report renders on the demo database
($rc, $out, $err) = $node->psql('steward_demo', 'SELECT steward.report()');
is($rc, 0, 'the report renders on the demo database') or diag($err);
like($out, qr/^## Tables\n\n\| table \| row-level security .*^\| public\.orders \| (yes|no) /ms,
	'the report lists the demo tables and their protection');

$node->stop;
done_testing();
