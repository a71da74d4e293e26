# StewardTest: helpers shared by pg_steward's TAP tests (test/t/*.pl).
#
# Run through test/run-tests (make test), which sets PERL5LIB, PATH,
# PG_REGRESS, TESTDIR and STEWARD_SRC (the copied source tree).
package StewardTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use Exporter 'import';

our @EXPORT = qw(steward_node steward_src last_line);

# The source tree the tests were copied from (demo scripts and so on).
sub steward_src
{
	return $ENV{STEWARD_SRC} // '.';
}

# A new cluster, UTF8 without locale like the regress instances, started.
# preload => 1 (the default) puts pg_steward in shared_preload_libraries.
sub steward_node
{
	my ($name, %opts) = @_;
	my $preload = exists $opts{preload} ? $opts{preload} : 1;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init(extra => [ '--encoding=UTF8', '--no-locale' ]);
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'pg_steward'\n")
	  if $preload;
	$node->start;
	return $node;
}

# The last line of psql output (the statements before it print their own
# lines, such as the empty result of a void function).
sub last_line
{
	my ($out) = @_;
	my @lines = split /\n/, $out;
	return @lines ? $lines[-1] : '';
}

1;
