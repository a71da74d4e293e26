# Upgrades: a database that uses every capability at once goes through
#
#   1. pg_upgrade (PostgreSQL 15 to a second, freshly initialized
#      PostgreSQL 15 cluster: the same major version is all one installed
#      PostgreSQL allows, and it exercises what a major upgrade does to the
#      extension: a --binary-upgrade schema dump restored into the new
#      cluster, the data files carried over);
#   2. pg_dump / pg_restore into a fresh cluster (roles first, from
#      pg_dumpall --globals-only);
#   3. ALTER EXTENSION pg_steward UPDATE from every released version.
#
# After 1 and 2 the configuration tables, the audit log and its seals, the
# policies, triggers, views, functions, grants and comments are the same as
# in the source, the extension's member objects are those of a fresh
# CREATE EXTENSION, and everything still works.  The status counters live
# in shared memory and start at zero in every new cluster (not dumped, not
# upgraded); they count again afterwards.
use strict;
use warnings;

use Cwd;
use File::Path qw(make_path);
use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

# Released versions of pg_steward that can be upgraded from.  When a new
# version is released, add the old one here (its full install script must
# stay installable, so that CREATE EXTENSION ... VERSION can make it) and
# the update path from it is compared with a fresh install below.
my @released = ('0.1.0');

my $bindir = '/usr/lib/postgresql/15/bin';
my $pg_config = "$bindir/pg_config";
$bindir = `$pg_config --bindir` =~ s/\s+$//r if -x $pg_config;

# the same secrets and settings on every cluster (the audit digests and
# seals are keyed with steward.audit_key, receipts with privacy_key)
my $settings = <<'CONF';
max_prepared_transactions = 4
steward.status_max_tables = 100
steward.retention_interval = 0
steward.audit_seal_interval = 0
steward.audit_key = 'tap upgrade audit key: 0123456789abcdef'
steward.privacy_key = 'tap upgrade privacy key: 0123456789abcdef'
steward.mask_key = 'tap upgrade mask key: 0123456789abcdef'
CONF

sub new_cluster
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--no-locale' ]);
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_steward'\n$settings");
	return $node;
}

# Lines only in one of two texts, for readable failures of long listings.
sub same_lines
{
	my ($got, $expected, $name) = @_;
	my (%g, %e);
	$g{$_}++ for split /\n/, $got;
	$e{$_}++ for split /\n/, $expected;
	my @diff;
	for my $l (sort keys %{ { %g, %e } })
	{
		my $d = ($g{$l} // 0) - ($e{$l} // 0);
		push @diff, ($d > 0 ? '+ ' : '- ') . $l if $d;
	}
	my $ok = is(join("\n", @diff), '', $name);
	diag("expected (- lines) vs got (+ lines)") unless $ok;
	return $ok;
}

# ---------------------------------------------------------------------------
# The source: every capability at once
# ---------------------------------------------------------------------------

my $old = new_cluster('old');
$old->start;
$old->safe_psql(
	'postgres', q{
	CREATE ROLE up_owner;
	CREATE ROLE up_app;
	CREATE ROLE up_analyst LOGIN;
	CREATE ROLE up_officer;
	CREATE DATABASE app OWNER up_owner;
});
$old->safe_psql(
	'app', q{
	CREATE EXTENSION pg_steward;
	CREATE SCHEMA app AUTHORIZATION up_owner;
	GRANT USAGE ON SCHEMA app TO up_app, up_analyst;
	SELECT steward.privacy_grant('up_officer');
	SELECT steward.jsonschema_register('https://example.com/owner.json',
	                                   '{"type": "string", "minLength": 2}');
});

# the application's tables, owned by an ordinary role that configures them
$old->safe_psql(
	'app', q{
	SET ROLE up_owner;
	CREATE TABLE app.customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text);
	CREATE TABLE app.orders (id int PRIMARY KEY, tenant_id bigint NOT NULL, owner text NOT NULL,
	                         customer_id int REFERENCES app.customers, status text NOT NULL DEFAULT 'new',
	                         total numeric, placed_at date NOT NULL DEFAULT '2026-01-15',
	                         version bigint NOT NULL DEFAULT 1);
	CREATE INDEX ON app.orders (tenant_id);
	CREATE INDEX ON app.orders (customer_id);
	CREATE TABLE app.events (id int PRIMARY KEY, customer_id int REFERENCES app.customers,
	                         at timestamptz NOT NULL, kind text);
	CREATE INDEX ON app.events (customer_id);
	CREATE TABLE app.mailings (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES app.customers,
	                           subject text);
	CREATE INDEX ON app.mailings (customer_id);
	CREATE TABLE app.staff (id int PRIMARY KEY, name text, email text, pay numeric);
	CREATE TABLE app.notes (id int PRIMARY KEY, author int, body text);
	CREATE INDEX ON app.notes (author);
	GRANT SELECT, INSERT, UPDATE, DELETE ON app.orders TO up_app;
	GRANT SELECT ON app.mailings TO up_app;
	GRANT SELECT ON app.staff TO up_analyst;

	INSERT INTO app.customers VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', 'Bob'),
	                                 (3, 'cy@example.com', 'Cy');
	INSERT INTO app.orders (id, tenant_id, owner, customer_id, total)
	VALUES (1, 1, 'ann', 1, 10), (2, 1, 'bob', 2, 20), (3, 2, 'cy', 3, 30);
	INSERT INTO app.events VALUES (1, 1, now() - interval '3 years', 'login'),
	                              (2, 1, now() - interval '1 day', 'login'),
	                              (3, 2, now() - interval '2 days', 'purchase');
	INSERT INTO app.mailings VALUES (1, 1, 'spring sale'), (2, 2, 'spring sale'), (3, 3, 'spring sale');
	INSERT INTO app.staff VALUES (1, 'Ann', 'ann@example.com', 5100), (2, 'Bob', 'bob@example.org', 6200);
	INSERT INTO app.notes VALUES (1, 1, 'call back'), (2, 3, 'prefers e-mail');

	-- row-level security from the session context
	SELECT steward.policy_tenant('app.orders', force => true);
	SELECT steward.policy_owner('app.orders', 'owner', commands => ARRAY['update', 'delete']);
	SELECT steward.policy_roles('app.orders', '{"select": ["member"], "all": ["admin"]}');
	-- consent as a policy
	SELECT steward.subject_define('customer', 'app.customers');
	SELECT steward.subject_link('customer', 'app.notes', 'author');
	SELECT steward.policy_consent('app.mailings', 'customer_id', 'marketing', 'customer');

	-- audit, reads included
	SELECT steward.audit_enable('app.orders');
	SELECT steward.audit_enable('app.customers');
	SELECT steward.audit_reads('app.orders');
	-- row versions and change notifications
	SELECT steward.versioning_enable('app.orders');
	SELECT steward.notify_enable('app.orders', columns => ARRAY['status']);
	-- validation: column rules (one referring to the registered schema) and a row schema
	SELECT steward.validate_column('app.orders', 'owner', 'schema', '{"$ref": "https://example.com/owner.json"}');
	SELECT steward.validate_column('app.orders', 'tenant_id', 'range', '{"min": 1}');
	SELECT steward.validate_attach('app.orders', '{"required": ["id", "status"]}', 'whole row');
	-- masks computed at read time, for a role that does not log in
	SELECT steward.mask_column('app.orders', 'owner', 'steward.mask_partial(owner, 1, 0)');
	SELECT steward.mask_apply('app.orders');
	SELECT steward.mask_role('up_app');
	-- stored masks, for a role that logs in
	SELECT steward.mask_column('app.staff', 'email', 'steward.mask_email', unmasked_for => ARRAY['up_app']);
	SELECT steward.mask_column('app.staff', 'pay', 'steward.mask_number(pay, 1000)');
	SELECT steward.mask_apply('app.staff', stored => true);
	SELECT steward.mask_role('up_analyst');
});

# privacy (as a superuser): personal data (one with a mask function), a
# hold, a retention policy, consents, a request, an erasure
$old->safe_psql(
	'app', q{
	SELECT steward.personal_data('app.customers', 'email', 'contact', mask => 'steward.mask_email');
	SELECT steward.personal_data('app.customers', 'name', 'identity');
	SELECT steward.personal_data('app.orders', 'owner', 'identity', 'anonymize');
	SELECT steward.personal_data('app.events', 'kind', 'behaviour', 'keep');
	SELECT steward.personal_data('app.notes', 'body', 'free text', 'delete');
	SELECT steward.subject_hold('app.orders', 'bookkeeping: 10 years', keep => '10 years', age_column => 'placed_at');
	SELECT steward.retention_set('app.events', 'at', '2 years', batch_size => 100);
	SELECT steward.consent_grant('customer', '1', 'marketing', 'signup form');
	SELECT steward.consent_grant('customer', '2', 'marketing', 'signup form');
	SELECT steward.consent_withdraw('customer', '2', 'marketing', 'unsubscribe link');
	SELECT steward.consent_grant('customer', '3', 'analytics', 'cookie banner',
	                             expires => now() + interval '1 year');
	SELECT steward.request_open('customer', '2', 'access', 'letter of 2026-11-30');
});
$old->safe_psql('app', 'CALL steward.retention_run()');

# audit records, a seal, and records after it
$old->safe_psql(
	'app', q{
	BEGIN;
	SELECT steward.context_set('ann', '1', ARRAY['member']);
	UPDATE app.orders SET status = 'paid', version = 1 WHERE id = 1;
	COMMIT;
	SELECT steward.audit_seal();
	UPDATE app.orders SET total = 21 WHERE id = 2;
	SELECT count(*) FROM app.orders;
});
# a person erased: an erasure log receipt, anonymized rows, scrubbed records
$old->safe_psql('app',
	q{SELECT count(*) FROM steward.subject_erase('customer', '3', dry_run => false)});

is( $old->safe_psql(
		'app', q{
	SELECT format('%s %s %s %s %s %s', (SELECT count(*) FROM steward.audit_seals),
	              (SELECT count(*) FROM steward.erasure_log), (SELECT count(*) FROM steward.consent_history),
	              (SELECT count(*) FROM steward.subject_requests), (SELECT count(*) FROM steward.retention_runs),
	              (SELECT count(*) FILTER (WHERE operation = 'SELECT') > 0 FROM steward.audit_log))}),
	'1 1 3 1 1 t',
	'the source has a seal, a receipt, consent history, a request, a retention run and read records');
is( $old->safe_psql(
		'app', q{SELECT format('%s %s', seals, coalesce(reason, 'intact')) FROM steward.audit_verify()}),
	'1 intact', 'the source log verifies');

# ---------------------------------------------------------------------------
# What must be the same after an upgrade or a restore
# ---------------------------------------------------------------------------

# The extension's member objects, each with its definition: the same after
# pg_upgrade, pg_restore and ALTER EXTENSION UPDATE as after a fresh
# CREATE EXTENSION.  A NULL ACL is written as the default it stands for: an
# explicit ACL equal to the default (what REVOKE ... FROM PUBLIC leaves on a
# table) is not dumped, so it comes back as NULL, which means the same.
my $members_query_template = q{
	WITH m AS (
	  SELECT d.classid, d.objid, d.objsubid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'pg_steward')
	SELECT string_agg(line, E'\n' ORDER BY line) FROM (
	  SELECT pg_describe_object(m.classid, m.objid, m.objsubid)
	         || coalesce(' | ' || obj_description(m.objid, m.classid::regclass::text), '')
	         || coalesce(' | ' || (
	            SELECT format('%s owner %s acl %s body %s', p.prokind, p.proowner::regrole,
	                          coalesce(p.proacl, acldefault('f', p.proowner)),
	                          md5(CASE WHEN p.prokind = 'a' THEN p.prosrc ELSE pg_get_functiondef(p.oid) END))
	            FROM pg_proc p WHERE m.classid = 'pg_proc'::regclass AND p.oid = m.objid), '')
	         || coalesce(' | ' || (
	            SELECT format('%s owner %s acl %s options %s rls %s/%s view %s columns %s', c.relkind, c.relowner::regrole,
	                          coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)), c.reloptions, c.relrowsecurity, c.relforcerowsecurity,
	                          md5(CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END),
	                          (SELECT string_agg(format('%s %s %s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
	                                                    a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attacl,
	                                                    col_description(c.oid, a.attnum)), ', ' ORDER BY a.attnum)
	                           FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	                           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
	                   || coalesce(' indexes ' || (SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY pg_get_indexdef(i.indexrelid))
	                                               FROM pg_index i WHERE i.indrelid = c.oid), '')
	                   || coalesce(' constraints ' || (SELECT string_agg(format('%s %s', co.conname, pg_get_constraintdef(co.oid)), '; ' ORDER BY co.conname)
	                                                   FROM pg_constraint co WHERE co.conrelid = c.oid), '')
	                   || coalesce(' policies ' || (SELECT string_agg(format('%s %s %s %s %s', po.polname, po.polcmd, po.polroles::regrole[],
	                                                                         pg_get_expr(po.polqual, po.polrelid),
	                                                                         pg_get_expr(po.polwithcheck, po.polrelid)), '; ' ORDER BY po.polname)
	                                                FROM pg_policy po WHERE po.polrelid = c.oid), '')
	                   || coalesce(' triggers ' || (SELECT string_agg(pg_get_triggerdef(t.oid), '; ' ORDER BY t.tgname)
	                                                FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
	            FROM pg_class c WHERE m.classid = 'pg_class'::regclass AND c.oid = m.objid), '')
	         || coalesce(' | ' || (
	            SELECT format('%s %s %s %s', t.evtevent, t.evtfoid::regproc, t.evtenabled, t.evttags)
	            FROM pg_event_trigger t WHERE m.classid = 'pg_event_trigger'::regclass AND t.oid = m.objid), '')
	         || coalesce(' | ' || (
	            SELECT format('owner %s acl %s', n.nspowner::regrole, coalesce(n.nspacl, acldefault('n', n.nspowner)))
	            FROM pg_namespace n WHERE m.classid = 'pg_namespace'::regclass AND n.oid = m.objid), '')
	         || coalesce(' | ' || (
	            SELECT format('owner %s acl %s', t.typowner::regrole, coalesce(t.typacl, acldefault('T', t.typowner)))
	            FROM pg_type t WHERE m.classid = 'pg_type'::regclass AND t.oid = m.objid), '') AS line
	  FROM m) x};
# as they are (the grants of steward.privacy_grant included) ...
my $members_query = $members_query_template;
# ... and without the grants to the application's roles, to compare with a
# fresh install
my $members_query_fresh = $members_query_template =~
  s/(coalesce\((?:p\.proacl|c\.relacl|n\.nspacl|t\.typacl), acldefault\([^()]*(?:\([^()]*\))?[^()]*\)\))/(SELECT array_agg(a ORDER BY a::text) FROM unnest($1) a WHERE a::text !~ '^up_')/gr;

# The audit log, every column of every record (digests included), up to a
# record, and its partitions.
sub audit_log_query
{
	my ($last_id) = @_;
	my $upto = defined $last_id ? "WHERE l.id <= $last_id" : '';
	return qq{
		SELECT format(E'partitions %s\\n', (SELECT string_agg(inhrelid::regclass::text, ',' ORDER BY inhrelid::regclass::text)
		                                  FROM pg_inherits WHERE inhparent = 'steward.audit_log'::regclass))
		       || coalesce(string_agg(l::text, E'\\n' ORDER BY l.id), '')
		FROM steward.audit_log l $upto};
}

# Everything of the application and of its configuration, as text, one
# listing per kind (values only: OIDs differ after a restore).
my %fingerprint_queries = (
	# every configuration table of the extension (pg_extension.extconfig:
	# a new one is covered without changing this test), row by row, and the
	# configuration sequences
	'configuration tables' => q{
		SELECT string_agg(line, E'\n' ORDER BY line) FROM (
		  SELECT format('%s: %s', c.oid::regclass,
		                CASE WHEN c.relkind = 'S' THEN (SELECT q FROM steward_fp_sequence(c.oid) q)
		                     ELSE (SELECT q FROM steward_fp_table(c.oid, r.condition) q) END) AS line
		  FROM pg_extension e, unnest(e.extconfig, e.extcondition) r(oid, condition) JOIN pg_class c ON c.oid = r.oid
		  WHERE e.extname = 'pg_steward') x},
	# the log, every column of every record (digests included), and its
	# partitions
	'audit log' => audit_log_query(),
	'audit verification' => q{SELECT row(v.*)::text FROM steward.audit_verify() v},
	# not dumped (run state): only the retention policies come along in a
	# restore; pg_upgrade carries the data files, so it keeps them too
	'retention runs' => q{
		SELECT coalesce(string_agg(format('%s %s %s %s', relation, status, rows, batches), E'\n' ORDER BY relation::text), '')
		FROM steward.retention_runs},
	# the configuration as the views show it
	'configuration views' => q{
		SELECT string_agg(line, E'\n' ORDER BY line) FROM (
		  SELECT 'policies ' || t::text AS line FROM steward.policies t UNION ALL
		  SELECT 'versioned ' || t::text FROM steward.versioned_tables t UNION ALL
		  SELECT 'notified ' || t::text FROM steward.notified_tables t UNION ALL
		  SELECT 'validation ' || t::text FROM steward.validation_rules t UNION ALL
		  SELECT 'masking ' || t::text FROM steward.masking_rules t UNION ALL
		  SELECT 'personal ' || t::text FROM steward.personal_data_map t UNION ALL
		  SELECT 'consent ' || t::text FROM steward.consent_state t UNION ALL
		  SELECT 'requests ' || t::text FROM steward.requests t UNION ALL
		  SELECT 'map ' || t::text FROM steward.subject_map('customer') t) x},
	# generated and other objects of the application schemas: policies,
	# triggers, views, functions (stored masks), tables with their row
	# security, owner, grants, column grants and comments (the marks of the
	# stored masks), indexes and constraints
	'policies' => q{
		SELECT string_agg(format('%s %s %s %s %s %s', polrelid::regclass, polname, polcmd, polroles::regrole[],
		                         pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)), E'\n'
		                  ORDER BY polrelid::regclass::text, polname)
		FROM pg_policy WHERE polrelid::regclass::text NOT LIKE 'steward.%'},
	'triggers' => q{
		SELECT string_agg(format('%s %s %s', tgrelid::regclass, pg_get_triggerdef(oid), tgenabled), E'\n'
		                  ORDER BY tgrelid::regclass::text, tgname)
		FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'steward.%'},
	'event triggers' => q{
		SELECT string_agg(format('%s %s %s %s %s', evtname, evtevent, evtfoid::regproc, evtenabled, evttags), E'\n' ORDER BY evtname)
		FROM pg_event_trigger},
	'relations' => q{
		SELECT string_agg(line, E'\n' ORDER BY line) FROM (
		  SELECT format('%s %s owner %s acl %s options %s rls %s/%s %s | %s | %s | %s | %s', c.oid::regclass, c.relkind,
		                c.relowner::regrole, coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)),
		                c.reloptions, c.relrowsecurity, c.relforcerowsecurity,
		                obj_description(c.oid, 'pg_class'),
		                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
		                (SELECT string_agg(format('%s %s %s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
		                                          a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attacl,
		                                          col_description(c.oid, a.attnum)), ', ' ORDER BY a.attnum)
		                 FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
		                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
		                (SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY pg_get_indexdef(i.indexrelid)) FROM pg_index i WHERE i.indrelid = c.oid),
		                (SELECT string_agg(format('%s %s', co.conname, pg_get_constraintdef(co.oid)), '; ' ORDER BY co.conname)
		                 FROM pg_constraint co WHERE co.conrelid = c.oid)) AS line
		  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'steward')
		    AND c.relkind IN ('r', 'p', 'v', 'm', 'S')) x},
	'functions' => q{
		SELECT string_agg(format('%s owner %s acl %s %s', p.oid::regprocedure, p.proowner::regrole,
		                         coalesce(p.proacl, acldefault('f', p.proowner)), pg_get_functiondef(p.oid)), E'\n'
		                  ORDER BY p.oid::regprocedure::text)
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'steward')},
	'schemas' => q{
		SELECT string_agg(format('%s owner %s acl %s', nspname, nspowner::regrole, coalesce(nspacl, acldefault('n', nspowner))),
		                  E'\n' ORDER BY nspname)
		FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'},
	'extension' => q{
		SELECT format('%s %s %s %s', extname, extversion, extnamespace::regnamespace, extrelocatable)
		FROM pg_extension WHERE extname = 'pg_steward'},
	'members' => $members_query,
	# the application's data (stored masks included)
	'data' => q{
		SELECT string_agg(line, E'\n' ORDER BY line) FROM (
		  SELECT 'customers ' || t::text AS line FROM app.customers t UNION ALL
		  SELECT 'orders ' || t::text FROM app.orders t UNION ALL
		  SELECT 'events ' || t::text FROM app.events t UNION ALL
		  SELECT 'mailings ' || t::text FROM app.mailings t UNION ALL
		  SELECT 'staff ' || t::text FROM app.staff t UNION ALL
		  SELECT 'notes ' || t::text FROM app.notes t) x},
);

# helpers the fingerprint needs (temporary: nothing is left behind)
my $fingerprint_helpers = q{
	CREATE FUNCTION pg_temp.steward_fp_table(rel oid, condition text) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE r text;
	BEGIN
	    EXECUTE format($q$SELECT count(*) || E'\n  ' || coalesce(string_agg(t::text, E'\n  ' ORDER BY t::text), '')
	                      FROM ONLY %s t %s$q$, rel::regclass, condition) INTO r;
	    RETURN r;
	END $$;
	CREATE FUNCTION pg_temp.steward_fp_sequence(rel oid) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE r text;
	BEGIN
	    EXECUTE format('SELECT format(%L, last_value, is_called) FROM %s', 'last_value %s called %s', rel::regclass) INTO r;
	    RETURN r;
	END $$;
};

sub fingerprint
{
	my ($node, $db) = @_;
	my %fp;
	for my $k (sort keys %fingerprint_queries)
	{
		my $q = $fingerprint_queries{$k} =~ s/steward_fp_/pg_temp.steward_fp_/gr;
		$fp{$k} = $node->safe_psql($db,
			"SET client_min_messages = warning; $fingerprint_helpers SET default_transaction_read_only = on; $q");
	}
	return \%fp;
}

# The fingerprint of another database is the source's, listing by listing.
sub compare_fingerprints
{
	my ($got, $expected, $how, %skip) = @_;
	for my $k (sort keys %$expected)
	{
		next if $skip{$k};
		same_lines($got->{$k}, $expected->{$k}, "$how: $k the same as in the source");
	}
}

# the errors of the health check (the source's: its tables left without
# row-level security)
my $health_errors = q{
	SELECT coalesce(string_agg(code || ' ' || object, ', ' ORDER BY code, object), 'none')
	FROM steward.health_check() WHERE severity = 'error'};
my $src_health_errors;

# Everything still works, with ordinary roles: RLS from the context, audit
# (writes and reads) and its seals, row versions, notifications,
# validation, masks at read time and stored, privacy (export, erasure dry
# run, consent, retention), the status counters, the health check.
sub still_works
{
	my ($node, $how) = @_;
	my ($rc, $out, $err);

	# the counters are kept in shared memory: a new cluster starts at zero
	is($node->safe_psql('app', 'SELECT count(*) FROM steward.status()'),
		'0', "$how: the status counters start at zero (not dumped, not upgraded)");

	# row-level security from the context
	is( last_line($node->safe_psql(
			'app', q{
		BEGIN;
		SET LOCAL ROLE up_app;
		SELECT steward.context_set('ann', '1', ARRAY['member']);
		SELECT string_agg(id::text, ',' ORDER BY id) FROM app.orders;
		COMMIT;})),
		'1,2', "$how: the tenant and roles policies filter by the context");

	# a write, with the version it read: audited and notified; then a stale one
	my $version = $node->safe_psql('app', 'SELECT version FROM app.orders WHERE id = 1');
	$out = $node->safe_psql(
		'app', qq{
		LISTEN steward_changes;
		BEGIN;
		SELECT steward.context_set('ann', '1', ARRAY['admin']);
		SET LOCAL ROLE up_app;
		UPDATE app.orders SET status = 'shipped', version = $version WHERE id = 1;
		COMMIT;});
	like($out, qr/Asynchronous notification "steward_changes" with payload "\{"op": "UPDATE", "schema": "app", "table": "orders", "key": \{"id": 1\}, "changed": \["status", "version"\], "values": \{"status": "shipped"\}\}"/,
		"$how: a change is notified");
	is( $node->safe_psql(
			'app', q{
		SELECT format('%s %s %s %s', operation, actor_user, effective_role, new_values)
		FROM steward.audit_history('app.orders', '{"id": 1}') ORDER BY id DESC LIMIT 1}),
		'UPDATE ann up_app {"status": "shipped", "version": ' . ($version + 1) . '}',
		"$how: the change is audited, with who made it");
	($rc, $out, $err) = $node->psql(
		'app', qq{
		BEGIN;
		SELECT steward.context_set('ann', '1', ARRAY['admin']);
		SET LOCAL ROLE up_app;
		UPDATE app.orders SET status = 'cancelled', version = $version WHERE id = 1;
		COMMIT;}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  40001: a row of table app\.orders was changed by another transaction/,
		"$how: a stale version is refused");

	# validation, the registered schema included
	($rc, $out, $err) = $node->psql('app', q{INSERT INTO app.orders (id, tenant_id, owner) VALUES (9, 0, 'x')});
	like($err, qr/row of table app\.orders violates its validation rules \(2 errors\)\nDETAIL:  \/owner: must be at least 2 characters long; \/tenant_id: must be greater than or equal to 1/,
		"$how: a bad row is refused by the validation rules");

	# masks at read time, through the view, with RLS
	is( last_line($node->safe_psql(
			'app', q{
		BEGIN;
		SET LOCAL ROLE up_app;
		SELECT steward.context_set('ann', '1', ARRAY['member']);
		SELECT string_agg(owner, ',' ORDER BY id) FROM app_masked.orders;
		COMMIT;})),
		'a**,b**', "$how: the masked view masks at read time");

	# stored masks: a new row gets its masks; the analyst reads masks only
	$node->safe_psql('app', q{INSERT INTO app.staff (id, name, email, pay) VALUES (3, 'Cy', 'cy@example.net', 7450)});
	is( $node->safe_psql(
			'app', q{
		SET ROLE up_analyst;
		SELECT string_agg(format('%s %s %s', id, email, pay), ',' ORDER BY id) FROM app_masked.staff}),
		'1 a***@example.com 5000,2 b***@example.org 6000,3 c***@example.net 7000',
		"$how: the masked role reads stored masks, a new row masked by the trigger");
	($rc, $out, $err) = $node->psql('app', q{SET ROLE up_analyst; SELECT email FROM app.staff});
	like($err, qr/permission denied for table staff/, "$how: the masked role cannot read the raw column");

	# reads are audited
	$node->safe_psql('app', q{SELECT count(*) FROM app.orders /* read after the upgrade */});
	is( $node->safe_psql(
			'app', q{
		SELECT count(*) FROM steward.audit_log
		WHERE operation = 'SELECT' AND query LIKE '%read after the upgrade%'}),
		'1', "$how: reads of a marked table are audited");

	# consent: the policy and the state
	is( last_line($node->safe_psql(
			'app', q{
		BEGIN;
		SET LOCAL ROLE up_app;
		SELECT string_agg(customer_id::text, ',' ORDER BY id) FROM app.mailings;
		COMMIT;})),
		'1', "$how: the consent policy shows the mailings of consenting people only");

	# privacy: export and an erasure dry run
	is( $node->safe_psql(
			'app', q{
		SELECT format('%s %s %s', e ->> 'found', e -> 'row_counts', jsonb_array_length(e -> 'consents'))
		FROM steward.subject_export('customer', '1') e}),
		'true {"app.notes": 1, "app.events": 1, "app.orders": 1, "app.mailings": 1, "app.customers": 1} 1',
		"$how: an export finds the person");
	is( $node->safe_psql(
			'app', q{
		SELECT string_agg(format('%s %s %s', relation, action, rows), ', ' ORDER BY relation::text, action)
		FROM steward.subject_erase('customer', '2')}),
		'app.customers anonymize 1, app.events keep 1, app.mailings delete 1, app.orders anonymize 1, '
		  . 'steward.audit_log scrub 1, steward.audit_log scrub 1, steward.consent_history delete 2',
		"$how: an erasure dry run plans the erasure");
	is($node->safe_psql('app', q{SELECT count(*) FROM app.customers WHERE id = 2}),
		'1', "$how: and changes nothing");

	# retention: an expired row goes
	$node->safe_psql('app',
		q{INSERT INTO app.events VALUES (10, 1, now() - interval '5 years', 'old login')});
	$node->safe_psql('app', 'CALL steward.retention_run()');
	is( $node->safe_psql(
			'app', q{
		SELECT format('%s %s %s', (SELECT count(*) FROM app.events WHERE id = 10), status, last_rows)
		FROM steward.retention_status WHERE relation = 'app.events'::regclass}),
		'0 done 1', "$how: the retention policy runs");

	# the counters count again (they start at zero in every cluster)
	is( $node->safe_psql(
			'app', q{
		SELECT format('%s %s %s %s %s', audit_rows >= 1, audit_reads >= 1, notifications >= 1,
		              version_conflicts, validation_failures)
		FROM steward.status() WHERE table_name = 'app.orders'::regclass}),
		't t t 1 1', "$how: the status counters count");

	# the log seals on and verifies, old and new records
	$node->safe_psql('app', 'SELECT steward.audit_seal()');
	is( $node->safe_psql(
			'app', q{SELECT format('%s %s', seals, coalesce(reason, 'intact')) FROM steward.audit_verify()}),
		'2 intact', "$how: the log seals on and verifies");

	is($node->safe_psql('app', $health_errors), $src_health_errors,
		"$how: the health check finds the source's errors, no other");
}

$src_health_errors = $old->safe_psql('app', $health_errors);
is( $src_health_errors,
	'RLS001 table app.customers, RLS001 table app.events, RLS001 table app.notes, RLS001 table app.staff',
	'the source has the health errors of its tables without row-level security only');

my $src = fingerprint($old, 'app');
my $src_last_id = $old->safe_psql('app', 'SELECT max(id) FROM steward.audit_log');
# the listings are not empty: each has what the source was given
like($src->{members}, qr/^event trigger .*\n(?s:.*)^function steward\.audit_trigger\(\) /m,
	'the member listing has event triggers and functions');
like($src->{'configuration tables'}, qr/^steward\.personal_columns: 5\n(?s:.*)\(app\.customers,email,contact,delete,steward\.mask_email,/m,
	'the configuration listing has the privacy tables (a mask function by name)');
like($src->{'configuration views'}, qr/^masking \(app\.staff,pay,"steward\.mask_number\(pay, 1000\)"/m,
	'the configuration views listing has the masking rules');
like($src->{policies}, qr/^app\.mailings steward_select r /m, 'the policy listing has the consent policy');
like($src->{triggers}, qr/^app\.orders CREATE TRIGGER steward_versioning (?s:.*)^app\.staff CREATE TRIGGER zz_steward_mask_store /m,
	'the trigger listing has the versioning and stored-mask triggers');
like($src->{relations}, qr/^app_masked\.staff v owner up_owner acl \{up_owner=arwdDxt\/up_owner,up_analyst=r\/up_owner\}/m,
	'the relation listing has the masked views with their grants');
like($src->{functions}, qr/^app_masked\.staff_mask_store\(\) owner up_owner /m,
	'the function listing has the stored-mask function');

# the backup, taken from the running source, with the roles
my $tmp = $PostgreSQL::Test::Utils::tmp_check;
my $dump = "$tmp/app.dump";
my $globals = "$tmp/globals.sql";
$old->command_ok([ 'pg_dumpall', '--globals-only', '-d', $old->connstr('postgres'), '-f', $globals ],
	'pg_dumpall --globals-only');
$old->command_ok([ 'pg_dump', '-Fc', '-d', $old->connstr('app'), '-f', $dump ], 'pg_dump');
$old->stop;

# ---------------------------------------------------------------------------
# 1. pg_upgrade into a fresh cluster
# ---------------------------------------------------------------------------

my $new = new_cluster('new');
my $upgrade_dir = "$tmp/pg_upgrade";
make_path($upgrade_dir);
my $cwd = getcwd();
chdir $upgrade_dir or die "chdir $upgrade_dir: $!";
my @upgrade = (
	"$bindir/pg_upgrade", '--no-sync',
	'-d', $old->data_dir, '-D', $new->data_dir,
	'-b', $bindir, '-B', $bindir,
	'-s', $new->host, '-p', $old->port, '-P', $new->port);
# --check refuses, among others, a table with a column of a reg* type whose
# OIDs pg_upgrade does not keep (regproc, regprocedure, regoper, ...; the
# extension's regclass and regrole[] columns are allowed): the mask of
# steward.personal_columns was a regproc, which refused every database with
# the extension
command_ok([ @upgrade, '--check' ], 'pg_upgrade --check passes');
command_ok(\@upgrade, 'pg_upgrade succeeds (copying the files)');
chdir $cwd;
$new->start;
# the background workers stay out of pg_upgrade's servers (binary-upgrade
# mode), where the sealer's and the retention worker's connections to
# postgres made the restore of that database fail; they run again after it
ok( $new->poll_query_until(
		'postgres', q{
	SELECT count(*) = 2 FROM pg_stat_activity
	WHERE backend_type IN ('pg_steward sealer', 'pg_steward retention')}),
	'the background workers run in the upgraded cluster');

compare_fingerprints(fingerprint($new, 'app'), $src, 'pg_upgrade');
still_works($new, 'pg_upgrade');

# ---------------------------------------------------------------------------
# 2. pg_dump / pg_restore into a fresh cluster
# ---------------------------------------------------------------------------

my $restored = new_cluster('restored');
$restored->start;
# the roles first, as pg_dumpall --globals-only wrote them (the bootstrap
# superuser exists already: its CREATE ROLE fails, the rest goes on)
my ($rc, $out, $err) = $restored->psql('postgres', slurp_file($globals), on_error_stop => 0);
is( $restored->safe_psql(
		'postgres', q{SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'up\_%'}),
	'up_analyst,up_app,up_officer,up_owner', 'the roles restored from pg_dumpall --globals-only');
$restored->safe_psql('postgres', 'CREATE DATABASE app OWNER up_owner');
$restored->command_ok(
	[ 'pg_restore', '--single-transaction', '--exit-on-error', '-d', $restored->connstr('app'), $dump ],
	'pg_restore in one transaction, without an error');

# The retention runs are not dumped (a restored database has not run its
# retention).  The restore's own DDL (its post-data steps: indexes,
# constraints, triggers, policies, grants, comments; run once the log's
# partitions are back) is recorded like any other DDL, after the source's
# records: those are all there, unchanged, and the log verifies.
# Everything else is the same.
my $got = fingerprint($restored, 'app');
is($got->{'retention runs'}, '', 'pg_restore: the retention run state is not restored');
compare_fingerprints($got, $src, 'pg_restore',
	'retention runs' => 1, 'audit log' => 1, 'audit verification' => 1);
same_lines($restored->safe_psql('app', audit_log_query($src_last_id)), $src->{'audit log'},
	'pg_restore: the records of the source are restored unchanged');
is( $restored->safe_psql(
		'app', qq{
	SELECT format('%s %s %s', count(*) > 0, bool_and(operation = 'DDL' AND session_role = current_user),
	              count(DISTINCT txid))
	FROM steward.audit_log WHERE id > $src_last_id}),
	't t 1', "pg_restore: the records after them are the restore's DDL, in its one transaction");
is( $restored->safe_psql(
		'app', q{SELECT format('%s %s', seals, coalesce(reason, 'intact')) FROM steward.audit_verify()}),
	'1 intact', 'pg_restore: the restored log verifies, its seal included');

# restored with steward.audit_ddl off (PGOPTIONS), the log is the source's
$restored->safe_psql('postgres', 'CREATE DATABASE app_quiet OWNER up_owner');
{
	local $ENV{PGOPTIONS} = '-c steward.audit_ddl=off';
	$restored->command_ok(
		[ 'pg_restore', '--single-transaction', '--exit-on-error', '-d', $restored->connstr('app_quiet'), $dump ],
		'pg_restore with steward.audit_ddl off');
}
same_lines($restored->safe_psql('app_quiet', audit_log_query()), $src->{'audit log'},
	'pg_restore with steward.audit_ddl off: the audit log is the same as in the source');

still_works($restored, 'pg_restore');

# ---------------------------------------------------------------------------
# 3. ALTER EXTENSION pg_steward UPDATE from every released version
# ---------------------------------------------------------------------------

my $default_version = $restored->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'pg_steward'});
is( $restored->safe_psql(
		'postgres', q{
	SELECT string_agg(version, ',' ORDER BY version) FROM pg_available_extension_versions
	WHERE name = 'pg_steward'}),
	join(',', sort(@released, grep { my $d = $_; !grep { $_ eq $d } @released } ($default_version))),
	'every installable version is in the list of released versions');

$restored->safe_psql('postgres', 'CREATE DATABASE fresh');
$restored->safe_psql('fresh', 'CREATE EXTENSION pg_steward');
my $fresh_members = $restored->safe_psql('fresh', $members_query_fresh);
# the upgraded and the restored databases have the same member objects as a
# fresh install
same_lines($new->safe_psql('app', $members_query_fresh), $fresh_members,
	'pg_upgrade: the extension members are those of a fresh CREATE EXTENSION');
same_lines($restored->safe_psql('app', $members_query_fresh), $fresh_members,
	'pg_restore: the extension members are those of a fresh CREATE EXTENSION');

for my $v (@released)
{
	my $db = "update_from_$v" =~ s/\W/_/gr;
	$restored->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	$restored->safe_psql($db, qq{CREATE EXTENSION pg_steward VERSION '$v'});
	if ($v ne $default_version)
	{
		isnt( $restored->safe_psql(
				'postgres', qq{
			SELECT path FROM pg_extension_update_paths('pg_steward')
			WHERE source = '$v' AND target = '$default_version'}),
			'', "an update path from $v to $default_version exists");
	}
	($rc, $out, $err) = $restored->psql($db, 'ALTER EXTENSION pg_steward UPDATE');
	is($rc, 0, "ALTER EXTENSION pg_steward UPDATE from $v");
	if ($v eq $default_version)
	{
		like($err, qr/NOTICE:  version "\Q$v\E" of extension "pg_steward" is already installed/,
			"from $v (the current version) it is a no-op");
	}
	is( $restored->safe_psql(
			$db, q{SELECT format('%s %s', extversion, steward.version()) FROM pg_extension WHERE extname = 'pg_steward'}),
		"$default_version $default_version",
		"after the update from $v the extension and its library are at $default_version");
	same_lines($restored->safe_psql($db, $members_query_fresh), $fresh_members,
		"after the update from $v the extension members are those of a fresh CREATE EXTENSION");
}

$new->stop;
$restored->stop;
done_testing();
