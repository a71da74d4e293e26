# The retention worker: with pg_steward preloaded, a background worker
# applies the retention policies of steward.retention_database every
# steward.retention_interval seconds, as each table's owner, and goes on
# after a restart (including a crash in the middle of a run).
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

my $node = steward_node('retention');
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->append_conf('postgresql.conf',
	"steward.retention_interval = 1\nsteward.retention_database = 'app'\n");
$node->restart;

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_steward retention' AND datname = 'app'"),
	'the retention worker is connected to steward.retention_database');

# the table belongs to an ordinary role; its trigger records who deletes
# (rows 100 days old and older go: 901 of 1000)
$node->safe_psql('app', q{
	CREATE EXTENSION pg_steward;
	CREATE ROLE app_owner;
	GRANT CREATE ON SCHEMA public TO app_owner;
	SET ROLE app_owner;
	CREATE TABLE sessions (id int PRIMARY KEY, at timestamptz NOT NULL, ip text);
	CREATE TABLE deleted_by (who name, n int);
	CREATE FUNCTION note_deleter() RETURNS trigger LANGUAGE plpgsql AS
	  $$ BEGIN INSERT INTO deleted_by VALUES (current_user, 1); RETURN OLD; END $$;
	CREATE TRIGGER note_deleter BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION note_deleter();
	INSERT INTO sessions SELECT i, now() - make_interval(days => i), '10.0.0.1' FROM generate_series(1, 1000) i;
	SELECT steward.retention_set('sessions', 'at', '100 days', batch_size => 50);
});
ok( $node->poll_query_until('app',
		"SELECT count(*) = 99 FROM sessions"),
	'the worker deletes the expired rows without anyone calling retention_run');
ok( $node->poll_query_until('app',
		"SELECT status = 'done' AND total_rows = 901 FROM steward.retention_status"),
	'the run is recorded: done, 901 rows, in batches');
is($node->safe_psql('app', 'SELECT string_agg(DISTINCT who, \',\') FROM deleted_by'),
	'app_owner', "the table owner's trigger ran as the table owner, not as a superuser");

# after a restart (a crash), the worker goes on with new expired rows
$node->safe_psql('app', q{
	INSERT INTO sessions SELECT i, now() - make_interval(days => i), '10.0.0.2' FROM generate_series(2001, 2500) i;
});
$node->stop('immediate');
$node->start;
ok( $node->poll_query_until('app', "SELECT count(*) = 99 FROM sessions"),
	'after a crash and restart the worker runs again');
ok( $node->poll_query_until('app',
		"SELECT status = 'done' AND total_rows >= 1401 FROM steward.retention_status"),
	'and records it');

# a policy that fails is recorded and logged, the worker goes on
$node->safe_psql('app', q{
	CREATE TABLE keep_forever (at timestamptz NOT NULL);
	INSERT INTO keep_forever VALUES (now() - interval '2 years');
	CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'never'; END $$;
	CREATE TRIGGER refuse BEFORE DELETE ON keep_forever FOR EACH ROW EXECUTE FUNCTION refuse();
	SELECT steward.retention_set('keep_forever', 'at', '1 year');
});
ok( $node->poll_query_until('app',
		"SELECT status = 'failed' AND error = 'never' FROM steward.retention_status WHERE relation = 'keep_forever'::regclass"),
	'a failing policy is marked failed with its error');
like(slurp_file($node->logfile), qr/pg_steward retention: table \d+ failed after 0 rows: never/,
	'and logged');
$node->safe_psql('app', "INSERT INTO sessions VALUES (9999, now() - interval '1000 days', 'x')");
ok( $node->poll_query_until('app', "SELECT count(*) = 0 FROM sessions WHERE id = 9999"),
	'the other policies still run');

# interval 0: off
$node->append_conf('postgresql.conf', "steward.retention_interval = 0\n");
$node->reload;
ok( $node->poll_query_until('app',
		"SELECT setting = '0' FROM pg_settings WHERE name = 'steward.retention_interval'"),
	'the new interval is read');
sleep(2);
$node->safe_psql('app', "INSERT INTO sessions VALUES (9998, now() - interval '1000 days', 'x')");
sleep(3);
is($node->safe_psql('app', 'SELECT count(*) FROM sessions WHERE id = 9998'), '1',
	'with interval 0 nothing more is deleted');

$node->stop;
done_testing();
