# Crashes in the middle of an erasure and of a retention run: the backend
# doing the work is killed with SIGKILL (the postmaster then resets every
# backend and recovers, as after any crash).  An erasure is one
# transaction: after the crash the person is there whole, with no
# receipt, and erasing again works.  A retention run commits per batch:
# the batches committed before the crash stay done, the rest stays, the
# run shows as interrupted ('running'), and the next run finishes it.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

my $node = steward_node('privacy_crash');
$node->append_conf('postgresql.conf',
	"steward.privacy_key = 'crash test key 0123456789'\nsteward.retention_interval = 0\nrestart_after_crash = on\n");
$node->restart;

$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_steward;
	CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
	CREATE TABLE events (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, kind text);
	CREATE INDEX ON events (customer_id);
	INSERT INTO customers VALUES (1, 'ann@example.com'), (2, 'bob@example.com');
	INSERT INTO events SELECT g, 1 + (g > 20000)::int, 'login' FROM generate_series(1, 20100) g;
	SELECT steward.subject_define('customer', 'customers');
	SELECT steward.personal_data('customers', 'email', 'contact');
	SELECT steward.audit_enable('customers');
	-- every deleted event takes a millisecond: the erasure runs for seconds
	CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
	  $$ BEGIN PERFORM pg_sleep(0.001); RETURN OLD; END $$;
	CREATE TRIGGER slow BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION slow();
});

# kill_during(sql, ready): run sql in a session, wait until ready (a query
# that returns t) holds, then kill that session's backend and wait for the
# server to come back
sub kill_during
{
	my ($sql, $ready) = @_;
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_until(qr/started/, "\\echo started\n$sql\n");
	ok($node->poll_query_until('postgres', $ready), "the work is under way ($pid)");
	kill 'KILL', $pid;
	eval { $bg->quit; };
	ok($node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
		'the server is back after the crash');
}

# ---- an erasure
kill_during("SELECT count(*) FROM steward.subject_erase('customer', '1', dry_run => false);",
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%subject_erase%' AND state = 'active' AND pid <> pg_backend_pid() AND now() - query_start > interval '2 seconds'");
like(slurp_file($node->logfile), qr/terminated by signal 9/, 'the backend was killed');
is($node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM customers WHERE id = 1) || ',' || (SELECT count(*) FROM events WHERE customer_id = 1) || ',' || (SELECT count(*) FROM steward.erasure_log)"),
	'1,20000,0', 'after the crash the person is there whole, with no receipt');
is($node->safe_psql('postgres', "SELECT first_broken IS NULL FROM steward.audit_verify()"), 't',
	'the audit log verifies');
$node->safe_psql('postgres', 'DROP TRIGGER slow ON events');
is($node->safe_psql('postgres',
		"SELECT string_agg(relation || ' ' || action || ' ' || rows, ', ' ORDER BY relation::text, action) FROM steward.subject_erase('customer', '1', dry_run => false)"),
	'customers delete 1, events delete 20000, steward.audit_log scrub 1, steward.erasure_log receipt 1',
	'erasing again works: every row, its own audit record scrubbed, one receipt');

# ---- a retention run: 50,000 expired rows in batches of 1,000
$node->safe_psql('postgres', q{
	CREATE TABLE logs (id int PRIMARY KEY, at timestamptz NOT NULL, ip text);
	INSERT INTO logs SELECT g, now() - make_interval(days => 100 + g % 50), '10.0.0.1' FROM generate_series(1, 50000) g;
	INSERT INTO logs SELECT g, now(), '10.0.0.2' FROM generate_series(50001, 50100) g;
	ANALYZE logs;
	SELECT steward.retention_set('logs', 'at', '30 days', batch_size => 1000);
	CREATE TRIGGER slow BEFORE DELETE ON logs FOR EACH ROW EXECUTE FUNCTION slow();
});
kill_during("CALL steward.retention_run('logs');",
	"SELECT batches >= 3 FROM steward.retention_runs WHERE relation = 'logs'::regclass");
my ($left, $batches, $status) = split /\|/, $node->safe_psql('postgres',
	"SELECT (SELECT count(*) FROM logs), batches, status FROM steward.retention_runs WHERE relation = 'logs'::regclass");
ok($left <= 50100 - 3000 && $left > 100, "the committed batches stay done ($left rows left)");
is($status, 'running', 'the interrupted run shows as running');
is($node->safe_psql('postgres', "SELECT count(*) FROM logs WHERE at > now() - interval '30 days'"), '100',
	'no row that is not expired was deleted');
$node->safe_psql('postgres', 'DROP TRIGGER slow ON logs');
$node->safe_psql('postgres', "CALL steward.retention_run('logs')");
is($node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM logs) || ',' || status FROM steward.retention_runs WHERE relation = 'logs'::regclass"),
	'100,done', 'the next run finishes it');

$node->stop;
done_testing();
