# The library with and without shared_preload_libraries: the server starts
# and restarts with it preloaded, and loading it late (plain CREATE
# EXTENSION) cannot be used to slip a forged context in through a
# placeholder setting made before the library was loaded.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

# ---- preloaded
my $node = steward_node('preloaded');
is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'pg_steward', 'library is preloaded');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_steward');
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');

is( last_line($node->safe_psql(
		'postgres', q{
		BEGIN;
		SELECT steward.context_set('42', 'acme');
		SELECT steward.current_user_id() || '/' || steward.current_tenant();
		COMMIT;})),
	'42/acme',
	'context works with the library preloaded');

# Preloaded, the parameter is known from the first statement on: an
# ordinary role's SET fails at once.
my ($rc, $out, $err) = $node->psql('postgres',
	q{SET steward.context = '{"user_id": "666"}'},
	extra_params => [ '-U', 'app' ]);
isnt($rc, 0, 'preloaded: SET by an ordinary role fails');
like($err, qr/permission denied to set parameter "steward.context"/,
	'preloaded: the error says permission denied');

$node->restart;
is( last_line($node->safe_psql(
		'postgres', q{
		BEGIN;
		SELECT steward.context_set('43', scope => 'session');
		SELECT steward.current_user_id();
		COMMIT;})),
	'43',
	'context works after a restart');

# A session-scoped context does not survive into another connection.
is($node->safe_psql('postgres', 'SELECT steward.current_user_id() IS NULL'),
	't', 'a new connection starts without context');

# A default identity for every session from postgresql.conf is refused.
$node->append_conf('postgresql.conf',
	qq{steward.context = '{"user_id": "from_file"}'\n});
$node->restart;
is($node->safe_psql('postgres', 'SELECT steward.current_user_id() IS NULL'),
	't', 'a context in postgresql.conf is ignored');
ok( $node->log_contains(
		'session context cannot be set in the server configuration'),
	'and the server log says why');
$node->adjust_conf('postgresql.conf', 'steward.context', undef);

$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', 'SELECT steward.version()'),
	$node->safe_psql('postgres',
		q{SELECT extversion FROM pg_extension WHERE extname = 'pg_steward'}),
	'library and SQL versions agree after crash recovery');
$node->stop;

# ---- not preloaded: the library loads on first use
my $lazy = steward_node('lazy', preload => 0);
$lazy->safe_psql('postgres', 'CREATE EXTENSION pg_steward');
$lazy->safe_psql('postgres', 'CREATE ROLE app LOGIN');

# Before the library is loaded, steward.context is an unknown name and SET
# creates a placeholder.  When the library loads it must reject the
# placeholder's value, because an ordinary role set it.
($rc, $out, $err) = $lazy->psql(
	'postgres', q{
	SET steward.context = '{"user_id": "666"}';
	SET steward.user_id = '666';
	SELECT coalesce(steward.current_user_id(), 'nobody');},
	extra_params => [ '-U', 'app' ]);
is($rc, 0, 'lazy load: the session goes on');
is($out, 'nobody', 'lazy load: a forged placeholder value is not used');
like($err, qr/permission denied to set parameter "steward.context"/,
	'lazy load: the forged value is reported');
like($err, qr/invalid configuration parameter name "steward.user_id"/,
	'lazy load: look-alike placeholders are removed');

# A superuser's placeholder value is taken over when the library loads.
is( $lazy->safe_psql(
		'postgres', q{
	SET steward.context = '{"user_id": "7"}';
	SELECT steward.current_user_id();}),
	'7',
	'lazy load: a superuser placeholder value is kept');

# Context works when the library was loaded in the middle of a transaction.
is( last_line($lazy->safe_psql(
		'postgres', q{
	BEGIN;
	SELECT 1;
	SELECT steward.context_set('8');
	SELECT steward.context_lock();
	SELECT steward.current_user_id() || ':' || steward.context_locked();
	COMMIT;})),
	"8:true",
	'lazy load: set and lock in the loading transaction');

# Auditing reads needs the library preloaded: refused otherwise.
($rc, $out, $err) = $lazy->psql('postgres',
	q{CREATE TABLE secrets (a int); SELECT steward.audit_reads('secrets');});
isnt($rc, 0, 'lazy load: audit_reads is refused');
like($err, qr/auditing reads needs pg_steward in shared_preload_libraries/,
	'lazy load: and says why');

# Status counters live in shared memory: not available, and said so;
# the capabilities that count keep working.
is( last_line($lazy->safe_psql(
		'postgres', q{
	CREATE TABLE counted (id int PRIMARY KEY, version int);
	SELECT steward.audit_enable('counted');
	SELECT steward.notify_enable('counted');
	SELECT steward.versioning_enable('counted');
	INSERT INTO counted VALUES (1, 1);
	UPDATE counted SET id = 2;
	SELECT count(*) FROM steward.audit_log WHERE table_name = 'counted';
	SELECT steward.status_available();})),
	'f',
	'lazy load: status_available() is false, counting capabilities work');
($rc, $out, $err) = $lazy->psql('postgres', 'SELECT * FROM steward.status()');
isnt($rc, 0, 'lazy load: status() fails');
like($err, qr/ERROR:  pg_steward status counters are not available.*HINT:  Add pg_steward to shared_preload_libraries/s,
	'lazy load: status() says why and what to do');
($rc, $out, $err) = $lazy->psql('postgres', 'SELECT steward.status_reset()');
like($err, qr/pg_steward status counters are not available/,
	'lazy load: status_reset() too');

$lazy->stop;
done_testing();
