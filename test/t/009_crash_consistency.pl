# Crash consistency under a write workload: pgbench clients write to tables
# that are audited, validated and versioned, the sealer seals every second,
# and the postmaster is killed with SIGKILL in the middle of it (twice, the
# second time with a large uncommitted transaction whose audit records are
# already in the log's pages).  After each restart:
#
#   - every committed change has exactly one audit record, and nothing else
#     has one: each workload transaction writes, in the same statement as
#     its change, a ledger entry with the change's token (a uuid that the
#     changed row carries), and the records and the ledger must match one
#     to one;
#   - the records agree with the tables: each row's current version is the
#     new row of exactly one record, each recorded UPDATE or DELETE starts
#     from the version an earlier record wrote (with the version number one
#     lower), no version is superseded twice, and every version no record
#     supersedes is in the table;
#   - steward.audit_verify() finds the log and its seals intact;
#   - the configuration (audited tables, validation rules, versioned
#     tables, the triggers) is what it was before the crash;
#   - validation still refuses bad rows and versioning stale versions;
#   - the workload goes on, and a last round without a crash ends with no
#     failed transaction.
#
# Last, a writer whose session has track_activities off (no transaction
# start in pg_stat_activity): the sealer must not seal past it either.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use StewardTest;

my $node = steward_node('crash_consistency');
$node->append_conf('postgresql.conf', q{
steward.audit_key = 'crash consistency key 0123456789'
steward.audit_seal_interval = 1
steward.audit_seal_database = 'postgres'
max_connections = 40
log_statement = none
});
$node->restart;

$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_steward;
	SELECT steward.audit_maintain();
	CREATE SEQUENCE account_ids START 100001;
	CREATE TABLE accounts (
		id      bigint PRIMARY KEY,
		client  integer NOT NULL,
		email   text NOT NULL,
		status  text NOT NULL,
		balance integer NOT NULL,
		token   uuid NOT NULL,
		version bigint NOT NULL DEFAULT 1);
	CREATE SEQUENCE note_ids;
	CREATE TABLE notes (
		id         bigint PRIMARY KEY DEFAULT nextval('note_ids'),
		account_id bigint NOT NULL,
		body       jsonb NOT NULL,
		token      uuid NOT NULL,
		rev        integer NOT NULL DEFAULT 1);
	-- what the workload committed: one entry per change, written in the
	-- same statement as the change (tab, I/U/D, the token of the version
	-- written, or deleted)
	CREATE TABLE ledger (
		tab   text NOT NULL,
		op    char(1) NOT NULL,
		token uuid NOT NULL,
		id    bigint NOT NULL,
		PRIMARY KEY (tab, op, token));
	CREATE TABLE refusals (client integer NOT NULL, n integer NOT NULL);

	SELECT steward.audit_enable('accounts', full_rows => true);
	SELECT steward.audit_enable('notes', full_rows => true);
	SELECT steward.validate_column('accounts', 'email', 'email');
	SELECT steward.validate_column('accounts', 'status', 'one_of', '["new", "paid", "shipped"]');
	SELECT steward.validate_column('accounts', 'balance', 'range', '{"min": 0}');
	SELECT steward.validate_attach('notes', '{"properties": {"body": {"type": "object",
		"required": ["kind", "n"],
		"properties": {"kind": {"enum": ["welcome", "reminder"]},
		               "n": {"type": "integer", "minimum": 1}}}}}', name => 'body');
	SELECT steward.versioning_enable('accounts');
	SELECT steward.versioning_enable('notes', column_name => 'rev', mode => 'last_write_wins');

	WITH a AS (
		INSERT INTO accounts (id, client, email, status, balance, token)
		SELECT g, -1, 'seed' || g || '@example.com', 'new', 100, gen_random_uuid()
		FROM generate_series(1, 2000) g
		RETURNING id, token)
	INSERT INTO ledger SELECT 'accounts', 'I', token, id FROM a;
	-- rows only the large transaction of round 2 updates
	WITH a AS (
		INSERT INTO accounts (id, client, email, status, balance, token)
		SELECT g, -2, 'spare' || g || '@example.com', 'new', 100, gen_random_uuid()
		FROM generate_series(2001, 2500) g
		RETURNING id, token)
	INSERT INTO ledger SELECT 'accounts', 'I', token, id FROM a;
	CREATE INDEX ON accounts (client);

	-- writes that must leave no record: a valid row rolled back with its
	-- subtransaction, a row and an update that validation refuses
	CREATE FUNCTION refused_writes(c integer) RETURNS integer LANGUAGE plpgsql AS $$
	DECLARE
		n integer := 0;
	BEGIN
		BEGIN
			INSERT INTO accounts (id, client, email, status, balance, token)
			VALUES (nextval('account_ids'), c, 'rolled.back@example.com', 'new', 1, gen_random_uuid());
			RAISE EXCEPTION 'roll it back';
		EXCEPTION WHEN raise_exception THEN
			n := n + 1;
		END;
		BEGIN
			INSERT INTO accounts (id, client, email, status, balance, token)
			VALUES (nextval('account_ids'), c, 'not an address', 'lost', -5, gen_random_uuid());
		EXCEPTION WHEN check_violation THEN
			n := n + 1;
		END;
		BEGIN
			UPDATE accounts SET balance = -1, token = gen_random_uuid() WHERE id = 1000 + c;
		EXCEPTION WHEN check_violation THEN
			n := n + 1;
		END;
		RETURN n;
	END $$;

	-- the SQLSTATE of a statement, or 'ok'
	CREATE FUNCTION sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		EXECUTE sql;
		RETURN 'ok';
	EXCEPTION WHEN OTHERS THEN
		RETURN SQLSTATE;
	END $$;

	-- the records of the workload's tables, and what each is about
	CREATE VIEW recs AS
		SELECT a.table_name AS tab, left(a.operation, 1) AS op, a.old_values, a.new_values,
		       a.old_values ->> 'token' AS old_token, a.new_values ->> 'token' AS new_token,
		       CASE a.operation WHEN 'DELETE' THEN a.old_values ELSE a.new_values END ->> 'token' AS token
		FROM steward.audit_log a
		WHERE a.schema_name = 'public' AND a.operation IN ('INSERT', 'UPDATE', 'DELETE');
	CREATE VIEW current_rows AS
		SELECT 'accounts' AS tab, x.token::text AS token, to_jsonb(x) AS j FROM accounts x
		UNION ALL
		SELECT 'notes', y.token::text, to_jsonb(y) FROM notes y;

	-- one line per check; every count but the first two must be 0
	-- (hash joins: a nested loop over ~100,000 records would take minutes)
	CREATE FUNCTION consistency() RETURNS TABLE (what text, n bigint) LANGUAGE sql
	SET enable_nestloop = off AS $$
		WITH r AS MATERIALIZED (SELECT * FROM recs),
		     l AS MATERIALIZED (SELECT tab, op, token::text AS token FROM ledger),
		     c AS MATERIALIZED (SELECT * FROM current_rows),
		     rt AS (SELECT tab, op, token, count(*) AS k FROM r GROUP BY 1, 2, 3),
		     written AS (SELECT * FROM r WHERE op IN ('I', 'U')),
		     by_token AS (SELECT tab, new_token, count(*) AS k, (array_agg(new_values))[1] AS v
		                  FROM written GROUP BY 1, 2),
		     superseding AS (SELECT * FROM r WHERE op IN ('U', 'D'))
		SELECT 'ledger entries', (SELECT count(*) FROM l)
		UNION ALL
		SELECT 'records', (SELECT count(*) FROM r)
		UNION ALL
		SELECT 'ledger entries without exactly one record',
		       (SELECT count(*) FROM l LEFT JOIN rt USING (tab, op, token) WHERE rt.k IS DISTINCT FROM 1)
		UNION ALL
		SELECT 'records without a ledger entry',
		       (SELECT coalesce(sum(rt.k), 0) FROM rt LEFT JOIN l USING (tab, op, token) WHERE l.token IS NULL)
		UNION ALL
		SELECT 'rows not written by exactly one record equal to them',
		       (SELECT count(*) FROM c LEFT JOIN by_token b ON b.tab = c.tab AND b.new_token = c.token
		        WHERE b.k IS DISTINCT FROM 1 OR b.v IS DISTINCT FROM c.j)
		UNION ALL
		SELECT 'rows whose version a record supersedes',
		       (SELECT count(*) FROM c JOIN superseding s ON s.tab = c.tab AND s.old_token = c.token)
		UNION ALL
		SELECT 'updates and deletes not starting from a recorded version',
		       (SELECT count(*) FROM superseding s
		        WHERE NOT EXISTS (SELECT 1 FROM written w
		                          WHERE w.tab = s.tab AND w.new_token = s.old_token
		                            AND w.new_values = s.old_values))
		UNION ALL
		SELECT 'updates of accounts not bumping the version by one',
		       (SELECT count(*) FROM superseding s
		        WHERE s.op = 'U' AND s.tab = 'accounts'
		          AND (s.new_values ->> 'version')::bigint <> (s.old_values ->> 'version')::bigint + 1)
		UNION ALL
		SELECT 'versions superseded more than once',
		       (SELECT count(*) FROM (SELECT tab, old_token FROM superseding
		                              GROUP BY 1, 2 HAVING count(*) > 1) x)
		UNION ALL
		SELECT 'recorded versions neither superseded nor in the table',
		       (SELECT count(*) FROM written w
		        WHERE NOT EXISTS (SELECT 1 FROM superseding s WHERE s.tab = w.tab AND s.old_token = w.new_token)
		          AND NOT EXISTS (SELECT 1 FROM c WHERE c.tab = w.tab AND c.token = w.new_token))
		UNION ALL
		SELECT 'records of refused or rolled-back writes',
		       (SELECT count(*) FROM r WHERE r.new_values ->> 'email' IN ('rolled.back@example.com', 'not an address')
		                                  OR (r.new_values ->> 'balance')::int < 0)
	$$;
});

# the configuration, as text, to compare after each crash
my $config_sql = q{
	SELECT string_agg(x, E'\n' ORDER BY x) FROM (
		SELECT 'audit ' || to_jsonb(t)::text AS x FROM steward.audit_tables t
		UNION ALL SELECT 'rule ' || to_jsonb(v)::text FROM steward.validation_rules v
		UNION ALL SELECT 'versioned ' || to_jsonb(v)::text FROM steward.versioned_tables v
		UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text || ' '
		                 || pg_get_triggerdef(oid)
		          FROM pg_trigger WHERE tgrelid IN ('accounts'::regclass, 'notes'::regclass)) s};
my $config = $node->safe_psql('postgres', $config_sql);
like($config, qr/audit .*accounts.*\n(?s:.*)rule .*balance(?s:.*)versioned .*accounts/,
	'the configuration is in place');

# ---- the workload
my $dir = PostgreSQL::Test::Utils::tempdir;
my %scripts = (
	# an account and its note, in two statements of one transaction
	'insert.sql' => q{
BEGIN;
WITH a AS (INSERT INTO accounts (id, client, email, status, balance, token)
           VALUES (nextval('account_ids'), :client_id, 'c' || :client_id || '.' || currval('account_ids') || '@example.com', 'new', 100, gen_random_uuid())
           RETURNING id, token)
INSERT INTO ledger SELECT 'accounts', 'I', token, id FROM a;
WITH n AS (INSERT INTO notes (account_id, body, token)
           VALUES (currval('account_ids'), '{"kind": "welcome", "n": 1}', gen_random_uuid())
           RETURNING id, token)
INSERT INTO ledger SELECT 'notes', 'I', token, id FROM n;
COMMIT;
},
	# a save carrying the version read: a concurrent save makes it fail
	# with 40001, and pgbench retries it
	'save.sql' => q{
\set id random(1, 40)
BEGIN;
SELECT coalesce(max(version), 0) AS v FROM accounts WHERE id = :id \gset
WITH u AS (UPDATE accounts SET balance = balance + 1, token = gen_random_uuid(), version = :v,
                  status = (ARRAY['new', 'paid', 'shipped'])[1 + balance % 3]
           WHERE id = :id RETURNING id, token)
INSERT INTO ledger SELECT 'accounts', 'U', token, id FROM u;
COMMIT;
},
	# an update without the version (bumped by the trigger)
	'update.sql' => q{
\set id random(41, 2000)
WITH u AS (UPDATE accounts SET balance = balance + 2, token = gen_random_uuid()
           WHERE id = :id RETURNING id, token)
INSERT INTO ledger SELECT 'accounts', 'U', token, id FROM u;
},
	'note.sql' => q{
\set id random(1, 1000000)
WITH u AS (UPDATE notes SET body = jsonb_set(body, '{n}', to_jsonb((body ->> 'n')::int + 1)), token = gen_random_uuid()
           WHERE id = (SELECT max(id) FROM notes WHERE id <= :id) RETURNING id, token)
INSERT INTO ledger SELECT 'notes', 'U', token, id FROM u;
},
	# the client's oldest account
	'delete.sql' => q{
WITH d AS (DELETE FROM accounts
           WHERE id = (SELECT min(id) FROM accounts WHERE client = :client_id) RETURNING id, token)
INSERT INTO ledger SELECT 'accounts', 'D', token, id FROM d;
},
	'refused.sql' => q{
INSERT INTO refusals SELECT :client_id, refused_writes(:client_id);
BEGIN;
INSERT INTO accounts (id, client, email, status, balance, token)
VALUES (nextval('account_ids'), :client_id, 'rolled.back@example.com', 'new', 1, gen_random_uuid());
ROLLBACK;
},
	'read.sql' => q{
\set id random(1, 2000)
SELECT * FROM accounts WHERE id = :id;
},);
for my $f (keys %scripts)
{
	PostgreSQL::Test::Utils::append_to_file("$dir/$f", $scripts{$f});
}

# start_workload(seconds): pgbench in the background
sub start_workload
{
	my ($seconds) = @_;
	my %run = (out => '', err => '');
	$run{h} = IPC::Run::start(
		[
			'pgbench', '-n', '-c', '6', '-j', '2', '-T', $seconds,
			'--max-tries=100',
			'-h', $node->host, '-p', $node->port,
			'-f', "$dir/insert.sql\@4", '-f', "$dir/save.sql\@3",
			'-f', "$dir/update.sql\@3", '-f', "$dir/note.sql\@2",
			'-f', "$dir/delete.sql\@1", '-f', "$dir/refused.sql\@1",
			'-f', "$dir/read.sql\@2", 'postgres'
		],
		'>', \$run{out}, '2>', \$run{err},
		IPC::Run::timeout($seconds + $PostgreSQL::Test::Utils::timeout_default));
	return \%run;
}

sub finish_workload
{
	my ($run) = @_;
	$run->{h}->finish;
	return $run->{h}->result;
}

# The postmaster's shared memory segment (the data directory's interlock):
# its id is in postmaster.pid.  Killed with SIGKILL, the postmaster leaves
# its backends running until they notice; a new postmaster refuses to start
# while they are still attached.
sub shm_id
{
	my $lines = slurp_file($node->data_dir . '/postmaster.pid');
	my @l = split /\n/, $lines;
	my (undef, $id) = split ' ', $l[6];
	return $id;
}

sub shm_attached
{
	my ($id) = @_;
	open my $fh, '<', '/proc/sysvipc/shm' or return 0;
	while (<$fh>)
	{
		my @f = split ' ';
		return $f[6] if $f[1] eq $id;    # nattch
	}
	return 0;
}

# kill -9 the postmaster, wait until it is gone (a new postmaster refuses
# to start while the old pid exists, even as a zombie not yet reaped) and
# its old processes have let go of the shared memory, start again (crash
# recovery)
sub crash_and_restart
{
	my ($run) = @_;
	my $id = shm_id();
	my $pid = $node->{_pid};
	$node->kill9;
	finish_workload($run);
	my $waited = 0;
	while ((kill(0, $pid) || shm_attached($id) > 0)
		&& $waited < 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		usleep(100_000);
		$waited++;
	}
	ok(!kill(0, $pid) && shm_attached($id) == 0,
		'the killed postmaster and its processes are gone');
	$node->start;
}

sub check_consistency
{
	my ($when) = @_;
	my %c = map { split /\|/ } split /\n/,
	  $node->safe_psql('postgres',
		'ANALYZE ledger, accounts, notes, steward.audit_log; SELECT what, n FROM consistency()');
	ok($c{'ledger entries'} > 0 && $c{'records'} == $c{'ledger entries'},
		"$when: as many records as committed changes ($c{'ledger entries'})");
	for my $k (sort keys %c)
	{
		next if $k eq 'ledger entries' || $k eq 'records';
		is($c{$k}, 0, "$when: $k");
	}
	ok( $node->poll_query_until('postgres',
			'SELECT EXISTS (SELECT 1 FROM steward.audit_seals WHERE sealed_at > pg_postmaster_start_time())'),
		"$when: the sealer seals again");
	is($node->safe_psql('postgres', 'SELECT count(*) > 0 AND bool_and(n = 3) FROM refusals'),
		't', "$when: every refused_writes() call had its three writes refused or rolled back");
	# seal the rest, then check records and seals
	$node->safe_psql('postgres', 'SELECT steward.audit_seal()');
	is($node->safe_psql('postgres',
			"SELECT coalesce(first_broken::text, '') || coalesce(reason, '') || (seals > 0)::text FROM steward.audit_verify()"),
		'true', "$when: audit_verify finds the log and the seals intact");
	is($node->safe_psql('postgres', $config_sql), $config,
		"$when: the configuration is unchanged");
	is($node->safe_psql('postgres', q{
			SELECT sqlstate_of($$INSERT INTO accounts (id, client, email, status, balance, token)
			                    VALUES (99, 0, 'bad', 'new', 1, gen_random_uuid())$$)
			    || ' ' || sqlstate_of($$INSERT INTO notes (account_id, body, token)
			                    VALUES (1, '{"kind": "spam"}', gen_random_uuid())$$)
			    || ' ' || sqlstate_of($$UPDATE accounts SET version = version - 1 WHERE id = 7$$)
			    || ' ' || sqlstate_of($$UPDATE accounts SET balance = -1 WHERE id = 7$$)}),
		'23514 23514 40001 23514',
		"$when: validation refuses bad rows, versioning a stale version");
}

sub seals { return $node->safe_psql('postgres', 'SELECT count(*) FROM steward.audit_seals'); }

# ---- round 1: the postmaster killed in the middle of the workload, while
# the sealer seals
my $seals = seals();
my $ledger = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger');
my $run = start_workload(120);
ok( $node->poll_query_until('postgres',
		"SELECT (SELECT count(*) FROM ledger) > $ledger + 2000 AND (SELECT count(*) FROM steward.audit_seals) > $seals + 2"),
	'the workload runs and the sealer seals it');
crash_and_restart($run);
like($run->{err} . $run->{out}, qr/aborted|terminat|closed the connection|could not/i,
	'the clients lost their connections');
check_consistency('after the first crash');

# ---- round 2: the same, with a large transaction under way whose records
# are in the log's pages but never commit (the sealer cannot seal past its
# start meanwhile)
$seals = seals();
$ledger = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger');
$run = start_workload(120);
ok( $node->poll_query_until('postgres',
		"SELECT (SELECT count(*) FROM ledger) > $ledger + 2000 AND (SELECT count(*) FROM steward.audit_seals) > $seals + 1"),
	'the workload runs again and the sealer seals it');
my $big = $node->background_psql('postgres', on_error_stop => 0);
$big->query_until(qr/started/, q{
\echo started
BEGIN;
WITH u AS (UPDATE accounts SET balance = balance + 1, token = gen_random_uuid()
           WHERE client = -2 RETURNING id, token)
INSERT INTO ledger SELECT 'accounts', 'U', token, id FROM u;
WITH n AS (INSERT INTO notes (account_id, body, token)
           SELECT 2001, '{"kind": "reminder", "n": 1}', gen_random_uuid() FROM generate_series(1, 5000)
           RETURNING id, token)
INSERT INTO ledger SELECT 'notes', 'I', token, id FROM n;
SELECT pg_sleep(600);
});
$ledger = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger');
ok( $node->poll_query_until('postgres',
		"SELECT (SELECT count(*) FROM ledger) > $ledger + 2000
		 AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep')"),
	'the large transaction waits, the workload goes on');
crash_and_restart($run);
eval { $big->quit; };
check_consistency('after the second crash');

# ---- round 3: the workload goes on to its end
$run = start_workload(8);
finish_workload($run);
like($run->{out}, qr/number of failed transactions: 0 /,
	'the workload goes on: no transaction failed');
unlike($run->{err}, qr/aborted/, 'no client aborted');
note($run->{out});
check_consistency('after a round without a crash');

# ---- a writer whose session does not report its activity
# (track_activities off: pg_stat_activity shows no transaction start):
# the sealer must not seal past its transaction either
my $quiet = $node->background_psql('postgres', on_error_stop => 1);
$quiet->query_safe(q{
	SET track_activities = off;
	BEGIN;
	SELECT pg_sleep(0.1);
	WITH a AS (
		INSERT INTO accounts (id, client, email, status, balance, token)
		VALUES (nextval('account_ids'), -3, 'quiet@example.com', 'new', 1, gen_random_uuid())
		RETURNING id, token)
	INSERT INTO ledger SELECT 'accounts', 'I', token, id FROM a;
});
$node->safe_psql('postgres', 'SELECT pg_sleep(0.1); SELECT steward.audit_seal()');
$quiet->query_safe('COMMIT');
$quiet->quit;
$node->safe_psql('postgres', 'SELECT steward.audit_seal()');
is($node->safe_psql('postgres',
		"SELECT coalesce(first_broken::text, '') || coalesce(reason, '') FROM steward.audit_verify()"),
	'', 'a transaction that does not report its start is not sealed before it ends');
unlike(slurp_file($node->logfile), qr/sealing failed|PANIC|TRAP:/,
	'no sealing round failed, no PANIC, no assertion');

$node->stop;
done_testing();
