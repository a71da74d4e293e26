# Hostile input, generated: every function and procedure of schema
# steward (read from pg_proc, so a new function is covered without
# touching this file) is called with NULL in each argument and in all of
# them, hostile identifiers, injection attempts, empty and 10 MB values,
# extreme numbers and dates, malformed jsonb, malformed and validly signed
# but hostile tokens, odd node trees, relations of every kind and OIDs of
# nothing, and values of the wrong type; the other arguments keep ordinary
# values, so that each call gets as far as one bad argument lets it.  Each
# call runs as an ordinary role and as a superuser, in a transaction of its
# own that is rolled back (procedures also outside any transaction block,
# where they commit).  A table whose schema, name and columns are
# injection attempts is put under every capability and worked on.
#
# What must hold: the server never crashes; no error is internal
# (SQLSTATE class XX: internal_error, data_corrupted, index_corrupted); no
# statement ends with a resource still held; no injected SQL ever runs (it
# would bump a sequence, which a rollback does not undo), the probe table
# and role are untouched and no relation or role appears; and no message
# sent to the client (error, detail, hint, context, notice) contains the
# personal data planted in the tables the functions work on.  Controls
# first show that a lost connection, an internal error, a message quoting
# the data and a pasted call are each seen.
#
# Left out: internal functions that PUBLIC cannot execute (a superuser
# calling them is the extension itself; the ones PUBLIC can execute are
# called like the rest).  Values of 1 GB: each of the ~200 text-like
# argument positions would build one and copy it several times
# (text_to_cstring, jsonb, detoasting), a few GB of memory and seconds per
# call, twice, which is far beyond the test's few minutes; the 10 MB
# values (plain and multibyte text, inside jsonb, bytea and arrays) take
# the same size-dependent paths, and the 1 GB limit checks are
# PostgreSQL's own.  Nothing in the schema sleeps or waits by design; a
# statement_timeout turns a hang into a reported failure rather than a
# stuck test.
use strict;
use warnings;

use Digest::SHA qw(hmac_sha256);
use MIME::Base64;
use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

my $marker = 'secret-PII-7f3a';
my $db = 'postgres';

my $jwt_secret = 'hostile input test jwt secret 0123456789';

my $node = steward_node('hostile');
$node->append_conf('postgresql.conf', qq{
steward.privacy_key = 'hostile input test privacy key 0123456789'
steward.mask_key = 'hostile input test mask key 0123456789'
steward.audit_key = 'hostile input test audit key 0123456789'
steward.jwt_secret = '$jwt_secret'
steward.retention_interval = 0
steward.audit_seal_interval = 0
restart_after_crash = on
# the ERRORs are read from the client; in the server log, those that quote
# a 10 MB argument would add up to a gigabyte, and 36,000 statements to
# more (crash reports are LOG)
log_min_messages = log
log_statement = none
});
$node->restart;
my $postmaster_pid = slurp_pid();

# the postmaster's pid, from postmaster.pid
sub slurp_pid
{
	my ($line) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
	return $line;
}

# ---- the world the functions work on: personal data (the marker) in
# audited, masked, validated, versioned tables that belong to a subject,
# owned by the superuser and by the ordinary role; relations of every
# kind, and tables, columns and a schema with hostile names.
$node->safe_psql($db, qq{
	CREATE EXTENSION pg_steward;
	-- anonymization runs for real (and is rolled back)
	ALTER DATABASE $db SET steward.database_is_copy = on;
	CREATE ROLE hx_user LOGIN;
	CREATE ROLE probe_role NOLOGIN;
	CREATE TABLE public.probe (x int);
	INSERT INTO public.probe VALUES (42);
	CREATE SCHEMA hx;
	GRANT USAGE ON SCHEMA hx TO PUBLIC;
	-- injected SQL would call nextval: a rollback does not undo it
	CREATE SEQUENCE hx.injected;
	GRANT USAGE, UPDATE ON SEQUENCE hx.injected TO PUBLIC;

	CREATE TABLE hx.customers (id int PRIMARY KEY, email text NOT NULL, name text,
		tenant_id text, user_id text, profile jsonb, born date,
		created_at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1);
	INSERT INTO hx.customers VALUES
		(1, 'ann.$marker\@example.com', 'Ann $marker', 'acme', '1', '{"note": "$marker", "n": 1}', '1980-01-02'),
		(2, 'bob.$marker\@example.com', '$marker Bob', 'acme', '2', '{"note": ["$marker"]}', '1990-03-04'),
		(3, 'cy.$marker\@example.com', '$marker', 'other', '3', '"$marker"', NULL);
	CREATE TABLE hx.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES hx.customers,
		note text, at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1);
	CREATE INDEX ON hx.orders (customer_id);
	INSERT INTO hx.orders VALUES (10, 1, 'ship to $marker', now() - interval '2 years'),
		(11, 2, repeat('$marker ', 20), now()), (12, 3, NULL, now());
	GRANT SELECT ON hx.customers TO hx_user;

	CREATE TABLE hx.owned (id int PRIMARY KEY, email text, tenant_id text, user_id text,
		profile jsonb, created_at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1);
	INSERT INTO hx.owned VALUES (1, '$marker\@example.com', 'acme', '1', '{"k": "$marker"}');
	ALTER TABLE hx.owned OWNER TO hx_user;

	CREATE TABLE hx."We""ird ; --" ("col ""q""" text, "é表" text, "MixedCase" text);
	INSERT INTO hx."We""ird ; --" VALUES ('$marker', '$marker', '$marker');
	CREATE TABLE hx."é表" (id int PRIMARY KEY, "é表" text);
	INSERT INTO hx."é表" VALUES (1, '$marker');
	CREATE TABLE hx."MixedCase" ("Id" int PRIMARY KEY, "Email" text);
	CREATE TABLE hx.${\ ('n' x 63)} (id int);
	CREATE TABLE hx."t'; SELECT nextval('hx.injected'); --" (id int PRIMARY KEY,
		"c'; SELECT nextval('hx.injected'); --" text);
	INSERT INTO hx."t'; SELECT nextval('hx.injected'); --" VALUES (1, '$marker');
	CREATE TABLE hx."t""; SELECT nextval('hx.injected'); --" (id int PRIMARY KEY,
		"c""; SELECT nextval('hx.injected'); --" text);
	CREATE SCHEMA "sch ema""'; --";
	CREATE TABLE "sch ema""'; --"."t ""x""" (id int PRIMARY KEY, email text);
	INSERT INTO "sch ema""'; --"."t ""x""" VALUES (1, '$marker');

	CREATE TABLE hx.nopk (a text, b jsonb);
	INSERT INTO hx.nopk VALUES ('$marker', '{"a": "$marker"}');
	CREATE TABLE hx.nocols ();
	CREATE TABLE hx.dropped (id int PRIMARY KEY, gone text, email text);
	ALTER TABLE hx.dropped DROP COLUMN gone;
	CREATE TABLE hx.gen (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED,
		CHECK (a > 0));
	CREATE UNLOGGED TABLE hx.unlogged (id int);
	CREATE TABLE hx.wide (id int PRIMARY KEY);
	DO \$\$ BEGIN FOR i IN 1..400 LOOP
		EXECUTE format('ALTER TABLE hx.wide ADD COLUMN c%s text', i); END LOOP; END \$\$;
	CREATE TABLE hx.parted (id int, at date NOT NULL, email text) PARTITION BY RANGE (at);
	CREATE TABLE hx.parted_1 PARTITION OF hx.parted FOR VALUES FROM ('2000-01-01') TO ('2100-01-01');
	INSERT INTO hx.parted VALUES (1, '2020-01-01', '$marker');
	CREATE VIEW hx.v AS SELECT id, email FROM hx.customers;
	CREATE MATERIALIZED VIEW hx.mv AS SELECT id FROM hx.customers;
	CREATE TYPE hx.comp AS (a int, b text);
	CREATE DOMAIN hx.dom AS text CHECK (VALUE <> 'x');
	CREATE TYPE hx.mood AS ENUM ('sad', 'ok');
	CREATE FOREIGN DATA WRAPPER hx_fdw;
	CREATE SERVER hx_server FOREIGN DATA WRAPPER hx_fdw;
	CREATE FOREIGN TABLE hx.ft (id int, email text) SERVER hx_server;
	CREATE INDEX customers_email ON hx.customers (lower(email)) WHERE id > 0;
	CREATE STATISTICS hx.st ON (lower(email)), id FROM hx.customers;
	CREATE POLICY p ON hx.nopk USING (a IS NOT NULL AND length(a) > 0);
	CREATE FUNCTION hx.tg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
	CREATE TRIGGER tg BEFORE UPDATE ON hx.nopk FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a)
		EXECUTE FUNCTION hx.tg();
	CREATE TABLE hx.consented (id int PRIMARY KEY, customer_id int, secret text);
	INSERT INTO hx.consented VALUES (1, 1, '$marker');

	-- a column whose name is a call: pasted unquoted, it would run
	ALTER TABLE hx.customers ADD COLUMN "nextval('hx.injected')" text DEFAULT '$marker';
	ALTER TABLE hx.owned ADD COLUMN "nextval('hx.injected')" text DEFAULT '$marker';

	-- the library at work on them
	SELECT steward.audit_enable('hx.customers');
	SELECT steward.audit_enable('hx.orders', full_rows => true);
	SELECT steward.audit_enable('hx."We""ird ; --"');
	UPDATE hx.customers SET name = name || ' ' || '$marker' WHERE id = 1;
	UPDATE hx.orders SET note = note || '!';
	DELETE FROM hx.orders WHERE id = 12;
	SELECT steward.audit_reads('hx.nopk');
	SELECT steward.subject_define('customer', 'hx.customers');
	SELECT steward.personal_data('hx.customers', 'email', 'contact');
	SELECT steward.personal_data('hx.customers', 'name', 'identity', 'anonymize');
	SELECT steward.personal_data('hx.orders', 'note', 'other', 'anonymize');
	SELECT steward.subject_link('customer', 'hx.consented', 'customer_id', 'hx.customers', 'id');
	SELECT steward.subject_hold('hx.orders', 'tax law', keep => '10 years', age_column => 'at');
	SELECT steward.consent_grant('customer', '1', 'marketing', 'form');
	SELECT steward.consent_grant('customer', '2', 'marketing');
	SELECT steward.consent_withdraw('customer', '2', 'marketing');
	SELECT steward.request_open('customer', '1', 'access');
	SELECT steward.mask_column('hx.customers', 'email', 'steward.mask_email');
	SELECT steward.mask_column('hx.customers', 'name', 'steward.pseudo_first_name');
	SELECT steward.mask_column('hx.customers', 'profile', 'steward.mask_redact');
	SELECT steward.mask_apply('hx.customers');
	SELECT steward.validate_column('hx.customers', 'email', 'email');
	SELECT steward.validate_attach('hx.orders', '{"type": "object", "properties": {"note": {"type": "string", "maxLength": 100}}}');
	SELECT steward.jsonschema_register('urn:hx:person', '{"type": "object", "required": ["id"]}');
	SELECT steward.versioning_enable('hx.orders');
	SELECT steward.notify_enable('hx.orders');
	SELECT steward.policy_tenant('hx.customers');
	SELECT steward.policy_consent('hx.consented', 'customer_id', 'marketing', 'customer');
	SELECT steward.retention_set('hx.orders', 'at', '100 years');
	SELECT steward.audit_seal();
});
$node->safe_psql($db, q{
	SET ROLE hx_user;
	SELECT steward.audit_enable('hx.owned');
	UPDATE hx.owned SET email = email || '.x';
	SELECT steward.mask_column('hx.owned', 'email', 'steward.mask_email');
	SELECT steward.versioning_enable('hx.owned');
	SELECT steward.policy_owner('hx.owned');
});

# A schema, tables and columns named for injection, under every
# capability at once: its triggers and the functions that build SQL from
# its names run on it below, and it is one more relation for the calls.
my $hs_schema = q{"sch'; SELECT nextval('hx.injected'); --"};
my $hs_table = qq{$hs_schema."t""; SELECT nextval('hx.injected'); --"};
my $hs_child = qq{$hs_schema."c""hild"};
(my $hs_reg = $hs_table) =~ s/'/''/g;
$hs_reg = "'$hs_reg'::regclass";
(my $hs_child_reg = $hs_child) =~ s/'/''/g;
$hs_child_reg = "'$hs_child_reg'::regclass";
$node->safe_psql($db, qq{
	CREATE SCHEMA $hs_schema;
	CREATE TABLE $hs_table ("id ""k""" int PRIMARY KEY, "é表 nextval('hx.injected')" text,
		v int NOT NULL DEFAULT 1, "MixedCase" jsonb, "t'x" text, "at """ timestamptz NOT NULL DEFAULT now());
	CREATE TABLE $hs_child (id int PRIMARY KEY, "p""id" int REFERENCES $hs_table, "n'ote" text);
	GRANT USAGE ON SCHEMA $hs_schema TO PUBLIC;
	GRANT SELECT, INSERT, UPDATE, DELETE ON $hs_table TO hx_user;
	INSERT INTO $hs_table VALUES (1, 'a.$marker\@example.com', 1, '{"k": "$marker"}', '$marker');
	INSERT INTO $hs_child VALUES (1, 1, '$marker');
	SELECT steward.audit_enable($hs_reg, full_rows => true, hash_columns => ARRAY['t''x'], capture_query => true);
	SELECT steward.audit_enable($hs_child_reg);
	SELECT steward.versioning_enable($hs_reg, 'v');
	SELECT steward.notify_enable($hs_reg, 'chan"''; --', ARRAY['MixedCase']::name[]);
	SELECT steward.validate_column($hs_reg, 'é表 nextval(''hx.injected'')', 'length', '{"max": 50}');
	SELECT steward.validate_attach($hs_reg, '{"properties": {"MixedCase": {"type": "object"}}}');
	SELECT steward.mask_column($hs_reg, 'é表 nextval(''hx.injected'')', 'steward.mask_email');
	SELECT steward.mask_apply($hs_reg);
	SELECT steward.audit_reads($hs_reg);
	SELECT steward.policy_tenant($hs_reg, 't''x');
	SELECT steward.retention_set($hs_reg, 'at "', '100 years');
	SELECT steward.subject_define('person2', $hs_reg);
	SELECT steward.personal_data($hs_reg, 'é表 nextval(''hx.injected'')', 'contact');
	SELECT steward.personal_data($hs_child_reg, 'n''ote', 'other', 'anonymize');
	SELECT steward.consent_grant('person2', '1', 'marketing');
});
my ($rc, $out, $err) = $node->psql($db, qq{
	\\set VERBOSITY verbose
	BEGIN;
	INSERT INTO $hs_table VALUES (2, 'b\@example.com', 1, '{}', 'x');
	INSERT INTO $hs_child VALUES (2, 2, 'n');
	UPDATE $hs_table SET "é表 nextval('hx.injected')" = 'c.$marker\@example.com', v = 1 WHERE "id ""k""" = 1;
	SELECT count(*) FROM $hs_table;
	COPY (SELECT * FROM $hs_table) TO STDOUT;
	SELECT count(*) FROM steward.subject_map('person2');
	SELECT length(steward.subject_export('person2', '1')::text);
	SELECT count(*) FROM steward.subject_export_csv('person2', '1');
	SELECT count(*) FROM steward.subject_erase('person2', '1', dry_run => false);
	SELECT count(*) FROM steward.audit_history($hs_child_reg, '{"id": 1}');
	SELECT count(*) FROM steward.anonymize_table($hs_reg, dry_run => true);
	SELECT count(*) FROM steward.validate_report($hs_reg);
	SELECT count(*) FROM steward.policy_check($hs_reg, '{"user_id": "1"}', 'hx_user');
	DELETE FROM $hs_child;
	DELETE FROM $hs_table;
	TRUNCATE $hs_table CASCADE;
	SELECT count(*) FROM steward.health_check(ARRAY['sch''; SELECT nextval(''hx.injected''); --']);
	SELECT length(steward.report(ARRAY['sch''; SELECT nextval(''hx.injected''); --']));
	SELECT count(*) FROM steward.rls_lint(ARRAY['sch''; SELECT nextval(''hx.injected''); --']::name[]);
	SELECT count(*) FROM steward.audit_transaction(pg_current_xact_id());
	SELECT count(*) FROM steward.audit_undo(pg_current_xact_id());
	ROLLBACK;
	SELECT is_called FROM hx.injected;});
is($rc, 0, 'a table named for injection: changes, reads, export, erasure, undo, lint and report work on it')
  or diag(substr($err, 0, 3000));
is(last_line($out), 'f', 'and nothing pasted its names into SQL');
unlike($err, qr/\Q$marker\E/, 'and no message quotes its data');

# ---- values, as SQL expressions of the argument's type

# ordinary values by argument name, then by type: a call gets these in
# every position but the one under test, so it reaches the function's
# deeper paths with one bad argument at a time
my %base_by_name = (
	'relation regclass' => q{'hx.customers'},
	'root_table regclass' => q{'hx.customers'},
	'via regclass' => q{'hx.orders'},
	'column_name name' => q{'email'},
	'key_column name' => q{'id'},
	'age_column name' => q{'created_at'},
	'until_column name' => q{'created_at'},
	'subject_column name' => q{'id'},
	'via_column name' => q{'customer_id'},
	'name text' => q{'customer'},
	'subject text' => q{'customer'},
	'key text' => q{'1'},
	'key jsonb' => q{'{"id": 1}'},
	'purpose text' => q{'marketing'},
	'kind text' => q{'access'},
	'category text' => q{'contact'},
	'on_erase text' => q{'delete'},
	'action text' => q{'delete'},
	'mode text' => q{'reject'},
	'unit text' => q{'year'},
	'scope text' => q{'transaction'},
	'channel text' => q{'hx_changes'},
	'template text' => q{'tenant'},
	'mask text' => q{'steward.mask_email'},
	'rule text' => q{'email'},
	'query text' => q{'SELECT id FROM hx.customers'},
	'token text' => q{'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'},
	'confirm text' => "'$db'",
	'uri text' => q{'urn:hx:other'},
	'schema_name text' => q{'hx'},
	'table_name text' => q{'customers'},
	'user_id text' => q{'1'},
	'tenant_id text' => q{'acme'},
	'value text' => q{'ann@example.com'},
	'role name' => q{'hx_user'},
	'role text' => q{'admin'},
	'schema_name name' => q{'hx'},
	'view_schema name' => q{'hx'},
	'schemas name[]' => q{'{hx}'},
	'commands text[]' => q{'{select}'},
	'operations text[]' => q{'{INSERT,UPDATE}'},
	'schema jsonb' => q{'{"type": "object", "properties": {"id": {"type": "integer"}}}'},
	'instance jsonb' => q{'{"id": 1}'},
	'context jsonb' => q{'{"user_id": "1", "tenant_id": "acme", "roles": ["admin"]}'},
	'roles jsonb' => q{'{"admin": ["select", "update"]}'},
	'candidate jsonb' => q{'{"id": 9, "email": "x@example.com"}'},
	'keep interval' => q{'30 days'},
	'due interval' => q{'30 days'},
	'spread interval' => q{'10 days'},
	'txid xid8' => q{pg_current_xact_id()},
	'expr pg_node_tree' => q{(SELECT polqual FROM pg_policy WHERE polname = 'p')},
	'mask regproc' => q{'steward.mask_email'},
	'type regtype' => q{'int4'},
	'step integer' => q{10},
	'step numeric' => q{10},
	'batch_size integer' => q{100},
	'ratio double precision' => q{0.1},
);
my %base_by_type = (
	'text' => q{'x'},
	'name' => q{'email'},
	'regclass' => q{'hx.customers'},
	'jsonb' => q{'{}'},
	'boolean' => q{true},
	'text[]' => q{'{}'},
	'name[]' => q{'{}'},
	'bigint' => q{1},
	'integer' => q{1},
	'smallint' => q{1},
	'numeric' => q{1.5},
	'double precision' => q{0.5},
	'timestamp with time zone' => q{now()},
	'date' => q{'2020-02-29'},
	'interval' => q{'1 day'},
	'bytea' => q{'\x0102'},
	'bigint[]' => q{'{1}'},
	'smallint[]' => q{'{1}'},
	'regclass[]' => q{ARRAY['hx.customers'::regclass]},
	'jsonb[]' => q{ARRAY['{"id": 1}'::jsonb]},
	'regproc' => q{'pg_catalog.upper'},
	'regtype' => q{'text'},
	'oid' => q{'hx.customers'::regclass::oid},
	'tid' => q{'(0,1)'},
	'xid8' => q{'3'},
	'aclitem[]' => q{'{}'},
	'pg_node_tree' => q{(SELECT polqual FROM pg_policy WHERE polname = 'p')},
	'anyelement' => q{'x'::text},
	'steward.audit_log' => q{(SELECT l FROM steward.audit_log l ORDER BY id LIMIT 1)},
	'steward.audit_seals' => q{(SELECT s FROM steward.audit_seals s LIMIT 1)},
	'steward.subject_edge' => q{jsonb_populate_record(NULL::steward.subject_edge, '{}')},
);

# ordinary values of one function's argument, where the name and type do
# not say enough
my %base_by_function = (
	'versioning_enable column_name' => q{'version'},
	'subject_link relation' => q{'hx.nopk'},
	'subject_link column_name' => q{'b'},
	'subject_link via' => q{NULL},
	'subject_link via_column' => q{NULL},
	'subject_hold action' => q{'anonymize'},
	'subject_hold_write action' => q{'anonymize'},
	'validate_column args' => q{NULL},
	'policy_roles roles' => q{'{"select": ["admin"], "update": ["admin"]}'},
	'policy_check role' => q{NULL},
	'rls_template_prepare options' => q{'{"column": "tenant_id"}'},
	'rls_template_store options' => q{'{"column": "tenant_id"}'},
	'status_note counter' => q{'erasure'},
	'retention_note status' => q{'done'},
	'mask_apply view_schema' => q{NULL},
	'mask_type expression' => q{'steward.mask_email(email)'},
	'consent_grant expires' => q{now() + interval '1 year'},
	'audit_redact event_id' => q{(SELECT max(id) FROM steward.audit_log)},
	'audit_redact old_values' => q{'{"name": "x"}'},
	'audit_redact new_values' => q{'{"name": "x"}'},
	'audit_redact reason' => q{'test'},
);

# signed tokens (HS256 under steward.jwt_secret): the base one verifies,
# the others carry hostile claims and headers past the signature check
sub b64url
{
	(my $b = encode_base64($_[0], '')) =~ tr{+/}{-_};
	$b =~ s/=+$//;
	return $b;
}
sub signed
{
	my ($header, $payload) = @_;
	my $data = b64url($header) . '.' . b64url($payload);
	return "'$data." . b64url(hmac_sha256($data, $jwt_secret)) . "'";
}
my $hs = '{"alg":"HS256","typ":"JWT"}';
my $later = 4102444800;    # 2100-01-01
$base_by_name{'token text'} = signed($hs, qq({"sub":"1","tenant_id":"acme","roles":["admin"],"exp":$later}));
my @signed_tokens = map { signed($hs, $_) } (
	qq({"sub":{"a":1},"tenant_id":[1],"roles":"admin","exp":$later}),
	qq({"sub":null,"tenant_id":null,"roles":null,"exp":$later}),
	qq({"sub":"1","roles":[null,1,{"a":1},"admin",""],"exp":$later}),
	q({"sub":"1","exp":1e300}), q({"sub":"1","exp":-1}), q({"sub":"1","exp":1e20}),
	qq({"sub":"1","exp":"$later"}), qq({"sub":"1","exp":$later.5}),
	qq({"sub":"1","exp":$later,"nbf":$later}), q({"sub":"1"}),
	qq({"sub":"1","sub":"2","exp":$later}),
	qq({"sub":"é表\\u00e9","tenant_id":"\\ud83d\\ude00","exp":$later}),
	qq({"sub":"a\\u0000b","exp":$later}), qq({"sub":"\\ud800","exp":$later}),
	qq({"sub":"1","exp":$later,"tenant_id":"'; DROP TABLE probe; --","roles":["nextval('hx.injected')"]}),
	qq({"sub":") . ('x' x 10000) . qq(","exp":$later}),
	qq({"sub":"1","exp":$later,"x":) . ('[' x 3000) . (']' x 3000) . '}',
	qq({"sub":"1","exp":$later,"x":) . ('{"a":' x 1500) . '1' . ('}' x 1500) . '}',
	q([]), q("x"), q(null), q(), q({), qq({"sub":"1","exp":$later}xyz), "ÿþ{}");
push @signed_tokens, map { signed($_, qq({"sub":"1","exp":$later})) } (
	q({"alg":"HS256","crit":["exp"]}), q({"alg":"HS256","kid":"../../etc/passwd"}),
	q({"alg":"HS512"}), q({"alg":"none"}), q({"alg":["HS256"]}), q({"alg":null}), q([]), q(),
	q({"alg":"HS256","alg":"none"}), q({"alg":"RS256"}));

my $ten_mb = 10 * 1024 * 1024;
my $inj = q{SELECT nextval(''hx.injected'')};
my @hostile_strings = (
	q{''}, q{' '}, q{'"'}, q{''''}, q{'\\'}, q{E'\\\\'}, q{'a"b''c'},
	q{E'\n\t\r\x01\x7f'}, q{'-'}, q{'.'}, q{'*'}, q{'%s%s%s%s%n%x'},
	q{'''; DROP TABLE probe; --'}, q{'; DROP TABLE probe; --'},
	"'''); $inj; --'", "'\"); $inj; --'", "'\"; $inj; --'", "'\$\$; $inj; --'",
	"'x'' || ($inj) || ''x'", "'1) OR ($inj) > 0 --'", "'\$1; $inj'",
	q{'nextval(''hx.injected'')'}, q{'1 OR nextval(''hx.injected'') > 0'},
	q{'é表'}, q{'É表Ş😀'}, q{'MixedCase'}, q{'EMAIL'},
	q{repeat('n', 63)}, q{repeat('m', 64)}, q{repeat('é', 100)}, q{repeat('x', 10000)},
	"repeat('x', $ten_mb)", "repeat('é', " . ($ten_mb / 2) . ")",
	q{'hx.customers'}, q{'"hx"."customers"'}, q{'public.probe'}, q{'probe'},
	q{'pg_catalog.pg_authid'}, q{'steward.audit_log'}, q{'hx."We""ird ; --"'},
	q{'a.b.c'}, q{'..'}, q{'eyJhbGciOiJub25lIn0.e30.'},
	q{'eyJhbGciOiJIUzI1NiJ9.eyJ.sig'}, q{'eyJ' || repeat('A', 100000) || '.eyJ.x'},
	q{'e30.e30.e30'}, q{'eyJhbGciOiJIUzI1NiIsImNyaXQiOlsieCJdfQ.e30.AAAA'},
	q{'eyJhbGciOiJSUzI1NiJ9.' || repeat('_-', 5000) || '.' || repeat('A', 5000)},
	q|'{'|, q|'{"a":'|, q{'null'}, q{'[]'}, q{'0'}, q{'-1'}, q{'NaN'},
	q{'now()'}, q{'NULL'}, q{'email'}, q{'1'}, q{'99999999999999999999999'},
	q{'$.a[*]'}, q{'(a+)+$'}, q{'\\u0000'}, q{'customer'}, q{'steward.mask_email'},
	q{'steward.mask_email(email'}, q{'steward.no_such'}, q{'(SELECT count(*) FROM probe)'},
);
my @hostile_names = (
	q{''}, q{' '}, q{'"'}, q{''''}, q{'a"b''c'}, q{'-'}, q{'%s%n'},
	q{'é表'}, q{'MixedCase'}, q{'Id'}, q{'EMAIL'}, q{'Email'}, q{'id'},
	q{repeat('n', 63)}, q{repeat('m', 64)}, q{repeat('é', 40)},
	q{'hx.customers'}, q{'hx'}, q{'public'}, q{'pg_catalog'}, q{'pg_toast'}, q{'steward'},
	q{'information_schema'}, q{'sch ema"''; --'}, q{'no_such'},
	q{'ctid'}, q{'xmin'}, q{'tableoid'}, q{'oid'}, q{'profile'}, q{'created_at'}, q{'version'},
	q{'col "q"'}, q{'c''; SELECT nextval(''hx.injected''); --'},
	q{'c"; SELECT nextval(''hx.injected''); --'},
	q{'''; DROP TABLE probe; --'}, "'\"); $inj; --'",
	q{'nextval(''hx.injected'')'}, q{'c" || nextval(''hx.injected'') || "c'},
	q{'hx_user'}, q{'probe_role'}, q{'postgres'}, q{'public'}, q{'pg_read_all_data'},
	q{'steward_privacy'}, q{'no_such_role'},
);
my @hostile_relations = (
	q{'hx.customers'}, q{'hx.orders'}, q{'hx.owned'}, q{'public.probe'},
	q{'hx."We""ird ; --"'}, q{'hx."é表"'}, q{'hx."MixedCase"'}, "'hx." . ('n' x 63) . "'",
	q{'hx."t''; SELECT nextval(''hx.injected''); --"'},
	q{'hx."t""; SELECT nextval(''hx.injected''); --"'},
	q{'"sch ema""''; --"."t ""x"""'}, $hs_reg, $hs_child_reg,
	q{'hx.nopk'}, q{'hx.nocols'}, q{'hx.dropped'}, q{'hx.gen'}, q{'hx.unlogged'}, q{'hx.wide'},
	q{'hx.parted'}, q{'hx.parted_1'}, q{'hx.v'}, q{'hx.mv'}, q{'hx.comp'}, q{'hx.ft'},
	q{'hx.injected'}, q{'hx.customers_pkey'}, q{'hx.customers_email'}, q{'hx.consented'},
	q{'pg_temp.tmp'}, q{'pg_class'}, q{'pg_authid'}, q{'information_schema.tables'},
	q{(SELECT reltoastrelid FROM pg_class WHERE oid = 'hx.customers'::regclass)},
	q{'steward.audit_log'}, q{'steward.audit_tables'}, q{'steward.subjects'},
	q{(SELECT min(c.oid) FROM pg_class c WHERE c.relname LIKE 'audit_log_%' AND c.relnamespace = 'steward'::regnamespace)},
	q{0}, q{4294967295::oid}, q{99999999::oid}, q{'pg_catalog.int4'::regtype::oid},
	q{('hx.customers'::regclass::oid::int8 + 1)::oid},
);
# pg_node_tree cannot be typed in: take them from the catalogs, of every kind
my @node_trees = map { "(SELECT $_ LIMIT 1)" } (
	q{polqual FROM pg_policy WHERE polname = 'p'},
	q{adbin FROM pg_attrdef},
	q{indexprs FROM pg_index WHERE indexprs IS NOT NULL},
	q{indpred FROM pg_index WHERE indpred IS NOT NULL},
	q{conbin FROM pg_constraint WHERE conbin IS NOT NULL},
	q{tgqual FROM pg_trigger WHERE tgqual IS NOT NULL},
	q{ev_action FROM pg_rewrite WHERE ev_class = 'hx.v'::regclass},
	q{relpartbound FROM pg_class WHERE relpartbound IS NOT NULL},
	q{partexprs FROM pg_partitioned_table WHERE partexprs IS NOT NULL},
	q{proargdefaults FROM pg_proc WHERE proargdefaults IS NOT NULL},
	q{stxexprs FROM pg_statistic_ext WHERE stxexprs IS NOT NULL},
);

# hostile values for one argument name and type, on top of its type's
my %hostile_by_name = ('token text' => \@signed_tokens);

my %hostile_by_type = (
	'text' => \@hostile_strings,
	'name' => \@hostile_names,
	'regclass' => \@hostile_relations,
	'jsonb' => [
		q{'null'}, q{'{}'}, q{'[]'}, q{'""'}, q{'0'}, q{'true'}, q{'"x"'},
		q{'{"id": null}'}, q{'{"": ""}'}, q{'{"id": 1, "id2": [1, {"a": null}]}'},
		q{'{"user_id": ["a"], "tenant_id": {"b": 1}, "roles": "admin", "exp": "soon"}'},
		q{'{"type": 7}'}, q{'{"$ref": "#"}'}, q{'{"$ref": "urn:hx:person"}'},
		q{'{"$ref": "urn:hx:none"}'}, q{'{"$ref": "http://example.com/x.json"}'},
		q{'{"type": "string", "pattern": "("}'}, q{'{"pattern": "\\\\p{Nope}"}'},
		q{'{"format": "nope"}'}, q{'{"minLength": -1}'}, q{'{"multipleOf": 0}'},
		q{'{"multipleOf": 1e-300}'}, q{'{"maximum": 1e300}'},
		q{'{"admin": "select"}'}, q{'{"admin": [1, null]}'},
		q{'{"''; DROP TABLE probe; --": 1, "a\"b": "c''d", "é表": ["é表"]}'},
		q{'{"id": 1, "nextval(''hx.injected'')": 1, "1 OR nextval(''hx.injected'') > 0": "nextval(''hx.injected'')"}'},
		q{'1e1000'}, q{'-1e-1000'}, q{'[1e1000, -0]'}, q{'"\\u00e9\\ud83d\\ude00"'},
		q{(repeat('[', 5000) || repeat(']', 5000))::jsonb},
		q<(repeat('{"a":', 3000) || '1' || repeat('}', 3000))::jsonb>,
		q{(SELECT jsonb_object_agg(g::text, g) FROM generate_series(1, 50000) g)},
		q{(SELECT jsonb_agg(g) FROM generate_series(1, 50000) g)},
		"jsonb_build_object('id', repeat('x', $ten_mb))",
		q|'{"a": '|, q|'{"id": 1'|,
	],
	'boolean' => [ q{true}, q{false} ],
	'integer' => [ q{0}, q{-1}, q{2147483647}, q{-2147483648} ],
	'bigint' => [ q{0}, q{-1}, q{9223372036854775807}, q{-9223372036854775808} ],
	'smallint' => [ q{0}, q{-1}, q{32767}, q{-32768} ],
	'numeric' => [ q{0}, q{-1}, q{'NaN'}, q{'Infinity'}, q{'-Infinity'}, q{1e100},
		q{1e-100}, q{'1e131071'}, q{'-123456789012345678901234567890.123456789'} ],
	'double precision' => [ q{0}, q{-1}, q{'NaN'}, q{'Infinity'}, q{'-Infinity'},
		q{1e308}, q{'-0'}, q{5e-324}, q{2} ],
	'timestamp with time zone' => [ q{'infinity'}, q{'-infinity'},
		q{'4714-11-24 00:00:00+00 BC'}, q{'294276-12-31 23:59:59+00'}, q{'epoch'} ],
	'date' => [ q{'infinity'}, q{'-infinity'}, q{'4714-11-24 BC'}, q{'5874897-12-31'} ],
	'interval' => [ q{'0'}, q{'-1 day'}, q{'1 microsecond'}, q{'178000000 years'},
		q{'-178000000 years'}, q{'1 mon -30 days'} ],
	'text[]' => [ q{'{}'}, q{'{NULL}'}, q{ARRAY['']}, q{'{{a,b},{c,d}}'},
		q{'[5:6]={a,b}'}, q{ARRAY['x', 'x']}, q{array_fill('x'::text, ARRAY[100000])},
		q{ARRAY['''; DROP TABLE probe; --', 'a"b', 'é表', 'select', 'SELECT', 'all', '*']},
		q{ARRAY['nextval(''hx.injected'')', 'id) OR nextval(''hx.injected'') > 0 --']},
		"ARRAY['\"); $inj; --']", "ARRAY[repeat('x', $ten_mb)]" ],
	'name[]' => [ q{'{}'}, q{'{NULL}'}, q{'{""}'}, q{'{{a,b},{c,d}}'}, q{'[0:1]={hx,public}'},
		q{ARRAY['pg_catalog', 'information_schema', 'pg_toast', 'steward']::name[]},
		q{ARRAY['hx', 'hx', 'sch ema"''; --']::name[]}, q{ARRAY['no_such']::name[]},
		q{ARRAY['id', 'ctid', 'é表', 'MixedCase', 'c''; SELECT nextval(''hx.injected''); --']::name[]},
		q{ARRAY['nextval(''hx.injected'')']::name[]},
		q{ARRAY[repeat('m', 64)]::name[]}, q{array_fill('hx'::name, ARRAY[10000])} ],
	'bigint[]' => [ q{'{}'}, q{'{NULL}'}, q{'{-1,0}'}, q{'{{1,2},{3,4}}'},
		q{'{9223372036854775807}'}, q{ARRAY(SELECT generate_series(1, 100000))} ],
	'smallint[]' => [ q{'{}'}, q{'{NULL}'}, q{'{-1,0,32767}'}, q{'{{1,2},{3,4}}'},
		q{'[3:4]={1,2}'} ],
	'regclass[]' => [ q{'{}'}, q{ARRAY[NULL::regclass]}, q{ARRAY[99999999::oid::regclass]},
		q{ARRAY['hx.customers', 'hx.customers', 'hx.orders', 'pg_class', 'hx.v']::regclass[]},
		q{ARRAY[ARRAY['hx.customers'::regclass], ARRAY['hx.orders'::regclass]]} ],
	'jsonb[]' => [ q{'{}'}, q{ARRAY[NULL::jsonb]}, q{ARRAY['[]', '1', 'null', '{"id": "''"}']::jsonb[]},
		q{ARRAY[ARRAY['{}'::jsonb], ARRAY['{}'::jsonb]]} ],
	'bytea' => [ q{'\x'}, q{'\x00'}, q{'\xffffffff'}, q{decode(repeat('ff', 1000), 'hex')},
		"convert_to(repeat('x', $ten_mb), 'UTF8')", q{'\x0500000001'} ],
	'oid' => [ q{0}, q{4294967295}, q{99999999}, q{'pg_class'::regclass::oid},
		q{'hx.v'::regclass::oid}, q{'int4'::regtype::oid} ],
	'tid' => [ q{'(0,0)'}, q{'(4294967295,65535)'}, q{'(1,0)'}, q{'(0,65535)'} ],
	'regproc' => [ q{'-'}, q{99999999::oid}, q{'pg_catalog.now'}, q{'pg_catalog.upper'},
		q{'steward.mask_redact'}, q{'steward.audit_trigger'}, q{'steward.mask_partial'},
		q{'hx.tg'}, q{'pg_catalog.int4in'} ],
	'regtype' => [ q{'-'}, q{99999999::oid}, q{'int4'}, q{'record'}, q{'anyelement'},
		q{'trigger'}, q{'void'}, q{'unknown'}, q{'cstring'}, q{'internal'}, q{'pg_node_tree'},
		q{'hx.comp'}, q{'hx.dom'}, q{'hx.mood'}, q{'int4[]'}, q{'point'}, q{'xml'},
		q{'hx.customers'}, q{'int4range'}, q{'aclitem'}, q{'tid'} ],
	'xid8' => [ q{'0'}, q{'1'}, q{'18446744073709551615'}, q{'4294967296'} ],
	'aclitem[]' => [ q{'{NULL}'}, q{'{=r/postgres}'},
		q{(SELECT relacl FROM pg_class WHERE relname = 'pg_authid')},
		q{ARRAY[makeaclitem('hx_user'::regrole, 'postgres'::regrole, 'SELECT,UPDATE', true)]} ],
	'pg_node_tree' => \@node_trees,
	'anyelement' => [ q{1}, q{'x'::text}, q{''::text}, q{now()}, q{'infinity'::date}, q{'{}'::jsonb},
		q{ARRAY[1, NULL]}, q{'{}'::int[]}, q{ROW(1, 'x')::hx.comp}, q{'\x00'::bytea}, q{true},
		q{'NaN'::numeric}, q{'-1 day'::interval}, q{'(1,2)'::point}, q{gen_random_uuid()},
		q{'::1'::inet}, q{'y'::hx.dom}, q{'ok'::hx.mood}, q{int4range(1, 5)}, q{'a:1'::tsvector},
		q{'1'::money}, q{B'101'}, q{'x'::name}, q{'x'::"char"}, q{'<a/>'::xml}, q{'ab'::char(5)},
		q{'x'::varchar(1)}, q{1::smallint}, q{2::bigint}, q{1.5::real}, q{'infinity'::float8},
		q{'hx.customers'::regclass}, q{'12:00'::time}, q{'12:00+02'::timetz},
		q{ARRAY[ROW(1, 'x')::hx.comp]}, q{(SELECT c FROM hx.customers c LIMIT 1)},
		q{'{"a": "b"}'::json}, q{'1/1'::pg_lsn}, q{'(0,1)'::tid}, q{'3'::xid8},
		q{'{1,2}'::int2vector}, q{'1'::oidvector}, q{'[1,2]'::int4multirange},
		"repeat('x', $ten_mb)", "convert_to(repeat('x', $ten_mb), 'UTF8')" ],
	'steward.audit_log' => [ q{jsonb_populate_record(NULL::steward.audit_log, '{}')},
		q{jsonb_populate_record(NULL::steward.audit_log, '{"id": -1, "operation": "DROP TABLE probe", "relation": 99999999, "old_values": {"x": 1}, "new_values": [1]}')},
		q{(SELECT l FROM steward.audit_log l ORDER BY id DESC LIMIT 1)} ],
	'steward.audit_seals' => [ q{jsonb_populate_record(NULL::steward.audit_seals, '{}')},
		q{(SELECT s FROM steward.audit_seals s ORDER BY 1 DESC LIMIT 1)} ],
	'steward.subject_edge' => [ q{jsonb_populate_record(NULL::steward.subject_edge, '{"relation": 99999999}')} ],
);

# A value of another type in place of each argument (most resolve to no
# function, 42883; an integer where a regclass is expected is an OID)
my @wrong_type = (q{42}, q{ROW(1, 2)}, q{'{"a": 1}'::json}, q{'x'::bytea});

# ---- the functions, from the catalog
my @functions;
for my $line (split /\n/, $node->safe_psql($db, q{
	SELECT p.oid, p.proname, p.prokind, p.pronargs, p.pronargdefaults, p.provariadic <> 0,
		coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY o)
			FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)), ''),
		coalesce((SELECT string_agg(coalesce(nullif(n, ''), '?'), ',' ORDER BY o)
			FROM unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs::int])))
			WITH ORDINALITY u(n, m, o) WHERE m IN ('i', 'b', 'v')), ''),
		coalesce(obj_description(p.oid, 'pg_proc'), '') LIKE 'Internal:%',
		has_function_privilege('public', p.oid, 'EXECUTE')
	FROM pg_proc p WHERE p.pronamespace = 'steward'::regnamespace ORDER BY p.proname, p.oid}))
{
	my ($oid, $name, $kind, $nargs, $ndefaults, $variadic, $types, $names, $internal, $public) =
	  split /\|/, $line;
	push @functions, {
		oid => $oid, name => $name, kind => $kind, nargs => $nargs, ndefaults => $ndefaults,
		variadic => $variadic eq 't', types => [ split /,/, $types, -1 ],
		names => [ split /,/, $names, -1 ], internal => $internal eq 't', public => $public eq 't' };
}
$_->{names} = [ ('?') x $_->{nargs} ] for grep { @{ $_->{names} } != $_->{nargs} } @functions;
my @skipped = grep { $_->{internal} && !$_->{public} } @functions;
@functions = grep { !($_->{internal} && !$_->{public}) } @functions;
# (HX_ONLY=regex: only the functions whose names match, for a quick run)
$ENV{HX_ONLY} and @functions = grep { $_->{name} =~ /^(?:$ENV{HX_ONLY})$/ } @functions;
cmp_ok(scalar(@functions), '>=', 150, scalar(@functions) . ' functions and procedures to call ('
	  . scalar(@skipped) . ' internal ones PUBLIC cannot execute left out)');

# arg(f, i, expr): the expression as argument i of f (cast to its type,
# VARIADIC before a variadic array)
sub arg
{
	my ($f, $i, $expr) = @_;
	my $type = $f->{types}[$i];
	my $v = $type eq 'anyelement' ? $expr : "($expr)::$type";
	$v = "VARIADIC $v" if $f->{variadic} && $i == $f->{nargs} - 1;
	return $v;
}

# base(f, i, role): the ordinary value of argument i; the ordinary role
# works on its own table where the superuser works on hx.customers
my %base_for_user = map { ("$_ regclass" => q{'hx.owned'}) } qw(relation root_table rel node leaf);
sub base
{
	my ($f, $i, $role) = @_;
	my $key = "$f->{names}[$i] $f->{types}[$i]";
	my $type = $f->{types}[$i];
	return $base_for_user{$key} if $role ne 'postgres' && defined $base_for_user{$key};
	return $base_by_function{"$f->{name} $f->{names}[$i]"}
	  if defined $base_by_function{"$f->{name} $f->{names}[$i]"};
	return $base_by_name{$key} // $base_by_type{$type} // 'NULL';
}

# Arguments that are SQL by design (the mask expression of mask_column and
# mask_type, as_user's query): they run what they are given with the
# caller's rights, so the injection sentinel is not passed to them.
sub sql_by_design
{
	my ($f, $i) = @_;
	return $f->{names}[$i] =~ /^(?:query|expression)$/
	  || ($f->{names}[$i] eq 'mask' && $f->{types}[$i] eq 'text');
}

sub call_sql
{
	my ($f, @args) = @_;
	my $call = "steward.\"$f->{name}\"(" . join(', ', @args) . ')';
	return $f->{kind} eq 'p' ? "CALL $call;" : "SELECT $call;";
}

# every call of f for a role, as [label, sql]
sub calls_of
{
	my ($f, $role) = @_;
	my $n = $f->{nargs};
	my @base = map { arg($f, $_, base($f, $_, $role)) } 0 .. $n - 1;
	my @calls = ([ 'ordinary values', call_sql($f, @base) ]);
	return @calls if $n == 0;
	push @calls, [ 'all NULL', call_sql($f, map { arg($f, $_, 'NULL') } 0 .. $n - 1) ];
	push @calls, [ 'no defaulted argument', call_sql($f, @base[ 0 .. $n - $f->{ndefaults} - 1 ]) ]
	  if $f->{ndefaults} > 0;
	for my $i (0 .. $n - 1)
	{
		my $type = $f->{types}[$i];
		my @values = ('NULL', @{ $hostile_by_type{$type} // [] },
			@{ $hostile_by_name{"$f->{names}[$i] $type"} // [] });
		push @values, "jsonb_populate_record(NULL::$type, '{}')" if $type =~ /^steward\./;
		@values = grep { !/hx\.injected/ } @values if sql_by_design($f, $i);
		for my $v (@values)
		{
			my @a = @base;
			$a[$i] = arg($f, $i, $v);
			push @calls, [ "argument " . ($i + 1) . " ($f->{names}[$i] $type) = $v", call_sql($f, @a) ];
		}
		for my $w (@wrong_type)
		{
			my @a = @base;
			$a[$i] = $w;
			push @calls, [ "argument " . ($i + 1) . " of the wrong type: $w", call_sql($f, @a) ];
		}
	}
	if ($f->{variadic})
	{
		(my $elem = $f->{types}[-1]) =~ s/\[\]$//;
		my @fixed = @base[ 0 .. $n - 2 ];
		for my $v (@{ $hostile_by_type{$elem} // [] }, 'NULL')
		{
			push @calls, [ "variadic element $v",
				call_sql($f, @fixed, "($v)::$elem", "($v)::$elem") ];
		}
	}
	return @calls;
}

my @roles = ('hx_user', 'postgres');
my @calls;
for my $role (@roles)
{
	for my $f (@functions)
	{
		push @calls, map { { f => $f, role => $role, label => $_->[0], sql => $_->[1] } }
		  calls_of($f, $role);
	}
}
note(scalar(@calls) . ' calls (both roles)');

# ---- running them

my %result;      # "role\tin transaction\tcall index" => SQLSTATE ('lost': connection lost)
my @messages;    # [role, call index, what the client was sent (cut at 4 kB),
                 #  whether all of it contains the marker, a leak warning]
my @lost;        # [role, call index, what the client was sent]

# A session's opening: a temporary table, messages with their SQLSTATE and
# context, no query output, and a timeout that turns a hang into a failure.
my $preamble = qq{
\\set VERBOSITY verbose
\\set SHOW_CONTEXT always
\\o /dev/null
SET statement_timeout = '60s';
SET client_min_messages = notice;
CREATE TEMP TABLE tmp (id int PRIMARY KEY, email text);
INSERT INTO tmp VALUES (1, 'temp $marker');
};

# Messages can quote a 10 MB argument: each is searched whole for the
# marker and for the warnings PostgreSQL gives when a statement ends with
# a resource still held (a reference, relation, snapshot or buffer pin),
# and kept short.
sub message
{
	my ($role, $i, $text) = @_;
	return [ $role, $i, substr($text, 0, 4096), index($text, $marker) >= 0,
		scalar($text =~ /WARNING: .*(?:leak|still referenced|not closed|still active)/) ];
}

# run_calls(role, in_transaction, indexes): the calls in one psql session,
# each in a transaction of its own that is rolled back (or, procedures,
# outside any), its SQLSTATE printed after it to the same stream as its
# messages.  After a lost connection the rest goes on in a new session
# from the call after the one that was running.
sub run_calls
{
	my ($role, $txn, @todo) = @_;
	while (@todo)
	{
		my $script = $preamble;
		for my $i (@todo)
		{
			my $sql = $calls[$i]{sql};
			$script .= $txn ? "BEGIN;\n$sql\n\\warn \@\@ $i :SQLSTATE\nROLLBACK;\n"
			  : "$sql\n\\warn \@\@ $i :SQLSTATE\n";
		}
		my ($out, $err) = ('', '');
		$node->psql($db, $script, stdout => \$out, stderr => \$err,
			on_error_stop => 0, extra_params => [ '-U', $role ]);
		my $done = 0;
		my $prev = 0;
		while ($err =~ /^\@\@ (\d+) (\S*)$/mg)
		{
			my ($i, $state) = ($1, $2);
			my $text = substr($err, $prev, $-[0] - $prev);
			$prev = $+[0];
			$result{"$role\t$txn\t$i"} = $state;
			push @messages, message($role, $i, $text) if $text =~ /\S/;
			$done++;
		}
		last if $done == @todo;
		# the call after the last one reported never finished
		my $i = $todo[$done];
		my $text = substr($err, $prev);
		$result{"$role\t$txn\t$i"} = 'lost';
		push @messages, message($role, $i, $text);
		push @lost, $messages[-1];
		note("connection lost during call $i as $role: $calls[$i]{sql}\n$messages[-1][2]");
		$node->poll_query_until($db, 'SELECT true') or die 'the server did not come back';
		splice @todo, 0, $done + 1;
	}
}

# ---- the detectors detect: a lost connection is seen and the calls go on
# after it, an internal error's SQLSTATE is seen, a message that quotes
# the data is caught, and a pasted sentinel shows even after a rollback
push @calls, { f => { kind => 'f' }, role => 'postgres', label => 'control', sql => $_ }
  for ('SELECT 1;', 'SELECT pg_terminate_backend(pg_backend_pid());', 'SELECT 2;',
	q{DO $$ BEGIN RAISE EXCEPTION 'internal' USING ERRCODE = 'XX000'; END $$;},
	'SELECT email::int FROM hx.customers;');
my @control = ($#calls - 4 .. $#calls);
run_calls('postgres', 1, @control);
is(join(',', map { $result{"postgres\t1\t$_"} } @control), '00000,lost,00000,XX000,22P02',
	'control: a lost connection is seen, the next call runs in a new session, SQLSTATEs are read');
ok((grep { $_->[1] == $control[4] && $_->[3] } @messages) == 1,
	'control: a message quoting the data is seen');
$node->safe_psql($db, q{
	BEGIN;
	DO $$ BEGIN EXECUTE format('SELECT %s', 'nextval(''hx.injected'')'); END $$;
	ROLLBACK;});
is($node->safe_psql($db, 'SELECT is_called FROM hx.injected'), 't',
	'control: the sentinel shows a pasted call after a rollback');
$node->safe_psql($db, 'ALTER SEQUENCE hx.injected RESTART');
splice @calls, $control[0];
%result = ();
@messages = @lost = ();

my $log_offset = -s $node->logfile;
my @function_calls = grep { $calls[$_]{f}{kind} eq 'f' } 0 .. $#calls;
my @procedure_calls = grep { $calls[$_]{f}{kind} eq 'p' } 0 .. $#calls;
my $batch = 400;

my $snapshot_sql = q{
	SELECT (SELECT string_agg(x::text, ',') FROM public.probe)
		|| ' / ' || (SELECT count(*) FROM public.probe)
		|| ' / ' || (SELECT last_value || ' ' || is_called FROM hx.injected)
		|| ' / ' || (SELECT string_agg(rolname || ':' || rolsuper || rolcreaterole || rolcreatedb || rolcanlogin || rolbypassrls, ',' ORDER BY rolname) FROM pg_roles)
		|| ' / ' || (SELECT count(*) FROM pg_auth_members)
		|| ' / ' || (SELECT string_agg(c.oid::regclass::text, ',' ORDER BY c.oid) FROM pg_class c
			WHERE c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg_temp%' OR nspname LIKE 'pg_toast_temp%'))
		|| ' / ' || (SELECT count(*) FROM pg_proc WHERE pronamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg_temp%'))
		-- a session on a backend slot not used before creates its pg_temp_N
		-- and pg_toast_temp_N schemas: not a change the calls made
		|| ' ' || (SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%')
		|| ' / ' || (SELECT coalesce(string_agg(relacl::text, ';' ORDER BY oid), '') FROM pg_class WHERE relnamespace IN ('hx'::regnamespace, 'public'::regnamespace))};
# the content of every table of schemas steward and hx, as one md5 each
my $steward_state_sql = q{
	SELECT string_agg(c.relname || ' ' || (xpath('/row/c/text()',
		query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) AS c FROM %s t', c.oid::regclass), false, false, '')))[1]::text, E'\n' ORDER BY c.relname)
	FROM pg_class c WHERE c.relnamespace IN ('steward'::regnamespace, 'hx'::regnamespace) AND c.relkind IN ('r', 'p')
		AND c.relname NOT LIKE 'audit_log_%'};
my $before = $node->safe_psql($db, $snapshot_sql);
my $steward_before = $node->safe_psql($db, $steward_state_sql);

for my $role (@roles)
{
	my @mine = grep { $calls[$_]{role} eq $role } @function_calls;
	for (my $k = 0; $k < @mine; $k += $batch)
	{
		my $end = $k + $batch - 1;
		$end = $#mine if $end > $#mine;
		run_calls($role, 1, @mine[ $k .. $end ]);
	}
	run_calls($role, 1, grep { $calls[$_]{role} eq $role } @procedure_calls);
}

is($node->safe_psql($db, $steward_state_sql), $steward_before,
	'the tables of schemas steward and hx are as before (every call rolled back)');

# Procedures with transaction control, outside a transaction block: they
# commit, so they run last (the checks below then include them).
for my $role (@roles)
{
	run_calls($role, 0, grep { $calls[$_]{role} eq $role } @procedure_calls);
}

# every call with its SQLSTATE and first message line, for whoever reads a
# failure (tmp_check/log/008_hostile_input_calls.txt)
{
	my %first;
	for my $m (@messages)
	{
		my ($line) = $m->[2] =~ /((?:ERROR|WARNING|NOTICE|FATAL|PANIC):.{0,300})/;
		$first{"$m->[0]\t$m->[1]"} //= $line // '';
	}
	open my $fh, '>', "$PostgreSQL::Test::Utils::log_path/008_hostile_input_calls.txt" or die $!;
	for my $key (sort { (split /\t/, $a)[2] <=> (split /\t/, $b)[2] || $a cmp $b } keys %result)
	{
		my ($role, $txn, $i) = split /\t/, $key;
		my $sql = length($calls[$i]{sql}) > 300 ? substr($calls[$i]{sql}, 0, 300) . '...' : $calls[$i]{sql};
		print $fh join("\t", $role, $txn ? 'rolled back' : 'outside', $result{$key},
			$calls[$i]{label}, $sql, $first{"$role\t$i"} // ''), "\n";
	}
	close $fh;
}

# ---- what must hold

my $log = slurp_file($node->logfile, $log_offset);
my @crash_lines = grep { /terminated by signal|was terminated by exception|server process .* exited with exit code|all server processes terminated|TRAP:|PANIC:/ } split /\n/, $log;
is(scalar(@lost) + scalar(@crash_lines), 0, 'no call crashed the server or lost its connection')
  or diag(join("\n", @crash_lines, map { "lost: $_->[0] $calls[$_->[1]]{sql}\n$_->[2]" } @lost));
ok(kill(0, $postmaster_pid) && slurp_pid() eq $postmaster_pid,
	'the postmaster that started is still running');
is($node->safe_psql($db, 'SELECT 1'), '1', 'the server answers');

my @internal = grep { $result{$_} =~ /^XX/ } sort keys %result;
is(scalar(@internal), 0, 'no error is internal (SQLSTATE XX000, XX001, XX002)')
  or diag(join("\n", map {
	my ($role, $txn, $i) = split /\t/;
	my ($m) = map { $_->[2] } grep { $_->[0] eq $role && $_->[1] == $i } @messages;
	"$role: $calls[$i]{sql}\n    $result{$_}: " . substr($m // '', 0, 600) } @internal[ 0 .. ($#internal < 40 ? $#internal : 39) ]));

my @timeouts = grep { $result{$_} eq '57014' } sort keys %result;
is(scalar(@timeouts), 0, 'no call ran into the statement timeout (a hang)')
  or diag(join("\n", map { (split /\t/)[0] . ': ' . $calls[ (split /\t/)[2] ]{sql} } @timeouts));

my @leaks = grep { $_->[3] } @messages;
is(scalar(@leaks), 0, 'no message sent to the client contains the personal data in the tables')
  or diag(join("\n", map { "$_->[0]: $calls[$_->[1]]{sql}\n" . substr($_->[2], 0, 800) } @leaks[ 0 .. ($#leaks < 20 ? $#leaks : 19) ]));

my @leak_warnings = grep { $_->[4] } @messages;
is(scalar(@leak_warnings), 0, 'no statement ends with a resource still held (leak warnings)')
  or diag(join("\n", map { "$_->[0]: $calls[$_->[1]]{sql}\n" . substr($_->[2], 0, 800) } @leak_warnings[ 0 .. ($#leak_warnings < 20 ? $#leak_warnings : 19) ]));

is($node->safe_psql($db, $snapshot_sql), $before,
	'probe table, probe role, roles, memberships, relations, grants as before; no injected SQL ran');
is($node->safe_psql($db, 'SELECT x FROM public.probe'), '42', 'the probe row is there');
is($node->safe_psql($db, q{SELECT rolsuper OR rolcreaterole OR rolcanlogin FROM pg_roles WHERE rolname = 'probe_role'}),
	'f', 'the probe role is as created');
is($node->safe_psql($db, 'SELECT is_called FROM hx.injected'), 'f', 'the injection sentinel was never called');

# ---- what this test found, checked directly
# A regtype can be any OID: type_equality of one that is no type was a
# cache lookup failure (XX000).
($rc, $out, $err) = $node->psql($db, 'SELECT steward.type_equality(99999999::oid::regtype)',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  42704: type with OID 99999999 does not exist/,
	'type_equality of an OID that is no type: 42704, not an internal error');
# An AFTER trigger on steward.audit_log (audit_enable, notify_enable or
# CREATE TRIGGER by its owner) made every DDL record fail with
# "AfterTriggerSaveEvent() called outside of query" (XX000): the record is
# written from an event trigger, outside any query.
($rc, $out, $err) = $node->psql($db, q{
	CREATE FUNCTION hx.seen() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN RAISE NOTICE 'seen %', NEW.operation; RETURN NULL; END $$;
	CREATE TRIGGER seen AFTER INSERT ON steward.audit_log FOR EACH ROW EXECUTE FUNCTION hx.seen();
	BEGIN;
	CREATE TABLE hx.after_trigger (a int);
	SELECT steward.notify_enable('steward.audit_log');
	ROLLBACK;
	DROP TRIGGER seen ON steward.audit_log;
	DROP FUNCTION hx.seen();});
is($rc, 0, 'DDL is recorded while steward.audit_log has an AFTER trigger');
cmp_ok(scalar(() = $err =~ /NOTICE:  seen DDL/g), '>=', 3,
	'and the trigger sees the DDL records (CREATE TRIGGER, CREATE TABLE, notify_enable)')
  or diag($err);
# Auditing the audit log records each record again, without end (it
# stopped at the 256 MB jsonb limit): refused.
($rc, $out, $err) = $node->psql($db, q{SELECT steward.audit_enable('steward.audit_log');
	SELECT steward.audit_enable('steward.audit_log_default');},
	on_error_stop => 0, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
is(scalar(() = $err =~ /ERROR:  0A000: cannot audit steward\.audit_log/g), 2,
	'the audit log and its partitions cannot be audited');

my %by_state;
$by_state{ $result{$_} }++ for keys %result;
my $ran = scalar(keys %result);
cmp_ok($ran, '==', @calls + @procedure_calls,
	"every call ran: $ran (" . join(', ', map { "$_ $by_state{$_}" } sort keys %by_state) . ')');
ok($by_state{'00000'} > 1000 && $by_state{'42501'} > 100,
	'many calls succeeded and many were refused for privileges (the base values reach real work)');

$node->stop;
done_testing();
