# Conformance: the required tests of the official JSON-Schema-Test-Suite
# (draft 7 and 2020-12) against steward.jsonschema_is_valid().
#
# The suite lives beside the project, not in it: $STEWARD_JSONSCHEMA_SUITE,
# or else ../shared/jsonschema-suite next to the source tree.  Without it the
# test skips.
#
# The documents under remotes/ are registered first under
# http://localhost:1234/<path>, where the suite's remote $refs expect them
# (nothing is ever fetched).  Then each suite file is sent to the server in
# one statement, as its original text in a json literal: the server cuts out
# each case's schema and data and casts them to jsonb itself, so numbers
# reach the validator exactly as written (a Perl round trip would turn 1.0
# into 1 and 9007199254740992.0 into 9.00719925474099e+15).  Perl's JSON::PP
# reads the same file for the descriptions, the expected results and the
# cases to skip: those holding \u0000, which jsonb cannot store.  One query
# per file evaluates every case, each in its own subtransaction, so an error
# is a result ('error: <sqlstate> <message>'), not the end of the file.
#
# One assertion per suite file: all its required tests pass, but for the
# cases in %known_exceptions.  A summary table goes to the TAP output
# (diag) and to tmp_check/jsonschema_suite.txt (test/tmp_check/ after
# test/run-tests).
use strict;
use utf8;
use warnings;

use File::Find;
use File::Spec;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use StewardTest;

# Cases that may fail without failing their file's assertion, keyed
# "file :: group description :: test description" (file as in the report,
# e.g. "draft2020-12/ref.json"), each with the reason.  They are still
# reported, as exceptions.
my %known_exceptions = (
);

my $suite = $ENV{STEWARD_JSONSCHEMA_SUITE}
  // File::Spec->catdir(steward_src(), '..', 'shared', 'jsonschema-suite');
plan skip_all =>
  "JSON-Schema-Test-Suite not found at $suite; set STEWARD_JSONSCHEMA_SUITE"
  unless -d "$suite/draft7" && -d "$suite/draft2020-12";

my @drafts = ([ 'draft7', '7' ], [ 'draft2020-12', '2020-12' ]);
my $file_timeout = 20;    # statement_timeout for one file's query (a case that loops)
my $max_crashes = 5;      # crashing or looping cases per file before giving up

my $json = JSON::PP->new->utf8;

# Text is handled as characters and printed as UTF-8 (the TAP handles are
# tied to the test's log and take no encoding layer).
sub utf8_bytes
{
	my ($s) = @_;
	utf8::encode($s);
	return $s;
}

sub tdiag
{
	diag(utf8_bytes(join('', @_)));
}

sub slurp
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "could not open $path: $!";
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

# Does this decoded JSON value hold a NUL, in a string or a key?
sub has_nul
{
	my ($v) = @_;
	if (ref $v eq 'HASH')
	{
		for my $k (keys %$v)
		{
			return 1 if $k =~ /\0/ || has_nul($v->{$k});
		}
		return 0;
	}
	if (ref $v eq 'ARRAY')
	{
		for (@$v) { return 1 if has_nul($_); }
		return 0;
	}
	return defined $v && !ref $v && $v =~ /\0/;
}

# A dollar-quoted SQL literal for the given bytes.
sub dollar_quote
{
	my ($text) = @_;
	my $tag = '$suite$';
	for (my $i = 1; index($text, $tag) >= 0; $i++) { $tag = "\$suite$i\$"; }
	return $tag . $text . $tag;
}

sub sql_string
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# one line for a diag: the server's error messages may span lines
sub one_line
{
	my ($s) = @_;
	$s =~ s/\s*\n\s*/ | /g;
	return $s;
}

my $node = steward_node('jsonschema_suite');
# a validator crash costs one case, not the rest of the run
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->reload;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_steward');

my $api = $node->safe_psql(
	'postgres', q{
	SELECT to_regprocedure('steward.jsonschema_is_valid(jsonb, jsonb, jsonb)') IS NOT NULL
	   AND to_regprocedure('steward.jsonschema_register(text, jsonb)') IS NOT NULL});
if ($api ne 't')
{
	fail('steward.jsonschema_is_valid(jsonb, jsonb, jsonb) and '
		  . 'steward.jsonschema_register(text, jsonb) exist');
	$node->stop('immediate');
	done_testing();
	exit 0;
}

# The test's own helpers: one case, or one remote, per call, with the
# error caught.  The NOTICE before each case tells which case a backend was
# on when it crashed or looped (a notice is flushed to the client at once).
$node->safe_psql(
	'postgres', q{
	CREATE SCHEMA suite;
	CREATE FUNCTION suite.eval_case(gi bigint, ti bigint, sch json, dat json, opts jsonb)
	RETURNS text LANGUAGE plpgsql AS $f$
	DECLARE
		r boolean;
	BEGIN
		RAISE NOTICE 'suite case %:%', gi, ti;
		r := steward.jsonschema_is_valid(sch::jsonb, dat::jsonb, opts);
		RETURN CASE WHEN r THEN 'valid' WHEN NOT r THEN 'invalid' ELSE 'null' END;
	EXCEPTION WHEN OTHERS THEN
		RETURN 'error: ' || SQLSTATE || ' ' || SQLERRM;
	END $f$;
	CREATE FUNCTION suite.register(uri text, doc text)
	RETURNS text LANGUAGE plpgsql AS $f$
	BEGIN
		PERFORM steward.jsonschema_register(uri, doc::jsonb);
		RETURN 'ok';
	EXCEPTION WHEN OTHERS THEN
		RETURN 'error: ' || SQLSTATE || ' ' || SQLERRM;
	END $f$;
});

# ---- remotes
my %remotes;
if (-d "$suite/remotes")
{
	find(
		{
			no_chdir => 1,
			wanted => sub {
				return unless -f $_ && /\.json$/;
				my $rel = File::Spec->abs2rel($_, "$suite/remotes");
				$rel =~ s{\\}{/}g;
				$remotes{"http://localhost:1234/$rel"} = slurp($_);
			}
		},
		"$suite/remotes");
}
else
{
	tdiag("no remotes/ in $suite: remote \$refs will not resolve");
}

# A registration may fail because of another document not registered yet:
# retry the failures while that makes progress.
my %reg_error;
my @pending = sort keys %remotes;
while (@pending)
{
	my $values = join(",\n",
		map { '(' . sql_string($_) . ', ' . dollar_quote($remotes{$_}) . ')' }
		  @pending);
	my ($rc, $out, $err) = $node->psql('postgres',
		"SELECT r.uri, replace(suite.register(r.uri, r.doc), E'\\n', ' | ')
		 FROM (VALUES $values) r(uri, doc)");
	utf8::decode($out);
	utf8::decode($err);
	if ($rc != 0)
	{
		$reg_error{$_} = 'registration query failed: ' . one_line($err) for @pending;
		last;
	}
	my @failed;
	for my $line (split /\n/, $out)
	{
		my ($uri, $result) = split /\|/, $line, 2;
		if ($result eq 'ok') { delete $reg_error{$uri}; }
		else { $reg_error{$uri} = $result; push @failed, $uri; }
	}
	last if @failed == @pending;
	@pending = @failed;
}
tdiag(sprintf('registered %d of %d remotes', scalar(keys %remotes) - scalar(keys %reg_error),
		scalar(keys %remotes)));
tdiag("remote not registered: $_: " . one_line($reg_error{$_})) for sort keys %reg_error;

# ---- the suite files

# Wait for the server after a crash (restart_after_crash is on) and end a
# backend still working on a timed-out file.
sub recover
{
	$node->poll_query_until('postgres', 'SELECT true')
	  or BAIL_OUT('the server did not come back after a crash');
	$node->psql('postgres', q{
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'jsonschema_suite' AND pid <> pg_backend_pid()});
}

# The file's text with each \u0000 escape made \u0001: PostgreSQL's json
# functions reject \u0000 wherever they de-escape a string (json -> key
# does), which would fail the whole file; the cases that hold one are
# skipped anyway.  An escaped backslash before "u0000" is left alone.
sub without_nul
{
	my ($text) = @_;
	$text =~ s/(?<!\\)((?:\\\\)*)\\u0000/$1\\u0001/g;
	return $text;
}

# Evaluate the cases of one file: $keys, every case's "gi:ti" (group and
# test numbers, from 1), $skip, those not to evaluate.  Returns
# { "gi:ti" => 'valid' | 'invalid' | 'null' | 'error: ...' } and the number
# of crashes, timeouts or failed queries it went through.  A case that
# crashes the server or loops is an error, and the file is evaluated again
# without it.
sub run_file
{
	my ($rel, $text, $draft, $keys, $skip) = @_;
	my %result;
	my %exclude = %$skip;
	my $options = sql_string($json->encode({ draft => $draft, format => 'annotate' }));
	my $incidents = 0;

	for (;;)
	{
		my $excluded = sql_string('{' . join(',', map { "\"$_\"" } sort keys %exclude) . '}');
		my $sql = qq{
			SET application_name = 'jsonschema_suite';
			SET statement_timeout = '${file_timeout}s';
			SELECT g.gi, t.ti,
			       replace(replace(suite.eval_case(g.gi, t.ti, g.grp -> 'schema', t.tst -> 'data', $options),
			                       E'\\n', ' | '), E'\\r', '')
			FROM json_array_elements(${\ dollar_quote(without_nul($text))}::json) WITH ORDINALITY g(grp, gi),
			     json_array_elements(g.grp -> 'tests') WITH ORDINALITY t(tst, ti)
			WHERE NOT (g.gi || ':' || t.ti) = ANY (${excluded}::text[])};
		my ($stdout, $stderr, $timed_out) = ('', '', 0);
		my $rc = $node->psql(
			'postgres', $sql,
			stdout => \$stdout,
			stderr => \$stderr,
			timeout => $file_timeout + 30,
			timed_out => \$timed_out);
		utf8::decode($stdout);
		utf8::decode($stderr);

		if (!$timed_out && defined $rc && $rc == 0)
		{
			for my $line (split /\n/, $stdout)
			{
				my ($gi, $ti, $r) = split /\|/, $line, 3;
				$result{"$gi:$ti"} = $r;
			}
			return (\%result, $incidents);
		}

		# A crash or a timeout: the last notice names the case the backend
		# was in.  Any other error of the whole query (the helper catches
		# the validator's errors) is the file's.
		my @cases = $stderr =~ /NOTICE:\s+suite case (\d+:\d+)/g;
		my $crashed = (defined $rc && $rc == 2)
		  || $stderr =~ /server closed the connection|terminated abnormally|connection to server was lost|no connection to the server/;
		my $stopped = !$timed_out && !$crashed && $stderr =~ /canceling statement due to statement timeout/;
		my $what =
		    $timed_out ? "psql timed out after ${\ ($file_timeout + 30)}s"
		  : $crashed ? 'the server crashed'
		  : $stopped ? "statement timeout (${file_timeout}s)"
		  :   'query failed: ' . one_line(join("\n", grep { !/NOTICE:/ } split /\n/, $stderr));
		my $case = ($timed_out || $crashed || $stopped) && @cases ? $cases[-1] : undef;
		$incidents++;
		tdiag("$rel: $what" . (defined $case ? " in case $case" : ''));
		recover() if $timed_out || $crashed;

		if (!defined $case || $incidents > $max_crashes)
		{
			# nothing to pin it on, or too many: the rest of the file errs
			for my $key (@$keys)
			{
				$result{$key} //= "error: $what" unless $exclude{$key};
			}
			return (\%result, $incidents);
		}
		$result{$case} = "error: $what";
		$exclude{$case} = 1;
	}
}

my $any_incident = 0;
my %totals;     # draft => { total, passed, ... }
my @rows;       # the summary table
my @report;     # failing cases, for the file
my @columns = qw(total passed failed errored skipped excepted);

for my $d (@drafts)
{
	my ($dir, $draft) = @$d;
	opendir my $dh, "$suite/$dir" or die "could not open $suite/$dir: $!";
	my @files = sort grep { /\.json$/ && -f "$suite/$dir/$_" } readdir $dh;
	closedir $dh;

	for my $file (@files)
	{
		my $rel = "$dir/$file";
		my $text = slurp("$suite/$rel");
		my $groups = eval { $json->decode($text) };
		if (!defined $groups || ref $groups ne 'ARRAY')
		{
			fail("$rel: could not be read: " . ($@ || 'not an array of groups'));
			next;
		}

		# the cases, numbered from 1 as WITH ORDINALITY does
		my (@cases, %skip);
		for my $gi (1 .. @$groups)
		{
			my $g = $groups->[ $gi - 1 ];
			my $schema_nul = has_nul($g->{schema});
			my @tests = @{ $g->{tests} // [] };
			for my $ti (1 .. @tests)
			{
				my $t = $tests[ $ti - 1 ];
				my $key = "$gi:$ti";
				push @cases,
				  {
					key => $key,
					name => "$rel :: $g->{description} :: $t->{description}",
					expect => $t->{valid} ? 'valid' : 'invalid'
				  };
				$skip{$key} = 1 if $schema_nul || has_nul($t->{data});
			}
		}
		my ($result, $incidents) =
		  run_file($rel, $text, $draft, [ map { $_->{key} } @cases ], \%skip);
		$any_incident ||= $incidents;

		my %n = map { $_ => 0 } @columns;
		my @failures;
		for my $c (@cases)
		{
			$n{total}++;
			if ($skip{ $c->{key} })
			{
				$n{skipped}++;
				next;
			}
			my $got = $result->{ $c->{key} } // 'error: no result';
			my $exception = $known_exceptions{ $c->{name} };
			if ($got eq $c->{expect})
			{
				$n{passed}++;
				tdiag("known exception passes now, remove it: $c->{name}")
				  if defined $exception;
				next;
			}
			my $line = "$c->{name} :: expected $c->{expect}, got $got";
			if (defined $exception)
			{
				$n{excepted}++;
				push @report, "exception: $line ($exception)";
				tdiag("known exception: $line ($exception)");
				next;
			}
			$n{ $got =~ /^(valid|invalid)$/ ? 'failed' : 'errored' }++;
			push @failures, $line;
		}
		push @report, map { "FAILED: $_" } @failures;

		my $run = $n{total} - $n{skipped};
		my $note = join(', ',
			($n{skipped} ? "$n{skipped} skipped for \\u0000" : ()),
			($n{excepted} ? "$n{excepted} known exceptions" : ()));
		ok(!@failures,
			utf8_bytes("$rel: all $run required tests pass" . ($note ? " ($note)" : '')))
		  or tdiag(join("\n", @failures));

		push @rows, [ $rel, @n{@columns} ];
		$totals{$dir}{$_} += $n{$_} for @columns;
		$totals{all}{$_} += $n{$_} for @columns;
	}
}

# ---- the summary
my @table;
my $fmt = "%-50s" . (" %8s" x @columns);
push @table, sprintf($fmt, 'file', @columns);
push @table, sprintf($fmt, @$_) for @rows;
push @table, '';
push @table, sprintf($fmt, $_->[0], @{ $totals{ $_->[0] } }{@columns})
  for grep { $totals{ $_->[0] } } @drafts;
push @table, sprintf($fmt, 'all', @{ $totals{all} }{@columns}) if $totals{all};
tdiag($_) for @table;

my $summary = "$PostgreSQL::Test::Utils::tmp_check/jsonschema_suite.txt";
if (open my $fh, '>:encoding(UTF-8)', $summary)
{
	print $fh "JSON-Schema-Test-Suite ($suite), required tests, format as an annotation\n\n";
	print $fh "$_\n" for @table;
	print $fh "\nremote not registered: $_: $reg_error{$_}\n" for sort keys %reg_error;
	print $fh "\n" if @report;
	print $fh "$_\n" for @report;
	close $fh;
	tdiag("summary written to $summary");
}
else
{
	tdiag("could not write $summary: $!");
}

# a backend still looping would hold up a fast shutdown
$node->stop($any_incident ? 'immediate' : 'fast');
done_testing();
