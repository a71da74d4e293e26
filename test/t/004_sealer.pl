# The sealer: with pg_steward preloaded, a background worker calls
# steward.audit_seal() in steward.audit_seal_database every
# steward.audit_seal_interval seconds; a database without the extension is
# skipped quietly, and the interval follows a reload.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

my $node = steward_node('sealer');
# the worker starts with the server: it follows the sealed database
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->append_conf('postgresql.conf',
	"steward.audit_seal_interval = 1\nsteward.audit_seal_database = 'app'\n");
$node->restart;

# no extension in "app" yet: nothing to seal, no error
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_steward sealer' AND datname = 'app'"),
	'the sealer is connected to steward.audit_seal_database');
sleep(2);

$node->safe_psql('app', q{
	CREATE EXTENSION pg_steward;
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT steward.audit_enable('t');
	INSERT INTO t VALUES (1, 'a'), (2, 'b');
});
ok( $node->poll_query_until('app',
		"SELECT coalesce(sum(records), 0) >= 3 FROM steward.audit_seals"),
	'the records are sealed without anyone calling audit_seal');
is($node->safe_psql('app',
		'SELECT first_broken IS NULL AND reason IS NULL FROM steward.audit_verify()'),
	't', 'and the log verifies');

# interval 0: the sealer stops sealing after a reload
$node->append_conf('postgresql.conf', "steward.audit_seal_interval = 0\n");
$node->reload;
ok( $node->poll_query_until('app',
		"SELECT setting = '0' FROM pg_settings WHERE name = 'steward.audit_seal_interval'"),
	'the new interval is read');
# let a round that was already under way finish, then count
sleep(2);
my $seals = $node->safe_psql('app', 'SELECT count(*) FROM steward.audit_seals');
$node->safe_psql('app', "INSERT INTO t VALUES (3, 'c')");
sleep(3);
is($node->safe_psql('app', 'SELECT count(*) FROM steward.audit_seals'),
	$seals, 'with interval 0 nothing more is sealed');

unlike(slurp_file($node->logfile), qr/sealing failed/, 'no round failed');

$node->stop;
done_testing();
