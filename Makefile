# Makefile for pg_steward (PGXS)
#
#   make run      build, install, start the demo sandbox and take the tour
#   make test     build, install, run every test on a throw-away cluster
#   make bench    benchmarks, printed as ratios against an in-run baseline
#   make load     a 5-minute pgbench load (16 clients): errors and backend memory
#   make valgrind the regress suites on a server under valgrind memcheck
#   make fuzz     libFuzzer on the format parsers (FUZZ_TIME seconds)
#   make psql     psql on the sandbox   (make psql SQL='select 1')
#   make stop     stop the sandbox
#
# run, test and bench install PostgreSQL 15 and the build dependencies with
# apt first when they are missing (test/bootstrap).

EXTENSION = pg_steward

# The version lives once, in the control file.
EXTVERSION := $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = pg_steward
OBJS = \
	src/pg_steward.o \
	src/common/config.o \
	src/context/context.o \
	src/rls/expr.o \
	src/rls/token.o \
	src/rls/templates.o \
	src/audit/audit.o \
	src/audit/ddl.o \
	src/audit/reads.o \
	src/audit/sealer.o \
	src/events/versioning.o \
	src/events/notify.o \
	src/ops/status.o \
	src/validate/formats.o \
	src/validate/formats_sql.o \
	src/validate/jsonschema.o \
	src/validate/rules.o \
	src/mask/mask.o \
	src/privacy/privacy.o \
	src/privacy/consent.o \
	src/privacy/retention.o

# The install script is generated from the per-capability SQL pieces, in
# this order (a later piece may use what an earlier one created).
SQL_PIECES = \
	src/common/common.sql \
	src/context/context.sql \
	src/rls/rls.sql \
	src/rls/lint.sql \
	src/audit/audit.sql \
	src/events/versioning.sql \
	src/events/notify.sql \
	src/validate/formats.sql \
	src/validate/validate.sql \
	src/validate/metaschemas.sql \
	src/validate/rules.sql \
	src/mask/mask.sql \
	src/mask/rules.sql \
	src/privacy/privacy.sql \
	src/privacy/consent.sql \
	src/privacy/retention.sql \
	src/ops/status.sql \
	src/ops/health.sql \
	src/ops/report.sql

DATA_built = $(EXTENSION)--$(EXTVERSION).sql

# pg_regress suites (sql/NAME.sql, expected/NAME.out), in order.
REGRESS = install context context_privileges rls_token rls_templates rls_lint audit audit_tamper audit_purge versioning notify health report validate_formats jsonschema validate_rules jsonschema_random mask_functions mask_rules mask_anonymize mask_stored privacy_erase privacy_consent privacy_retention status security_escalation
# isolation specs (test/isolation/specs/NAME.spec)
ISOLATION = context_sessions rls_tenants audit_concurrency versioning_race notify_listen validate_sessions privacy_erase_race audit_toggle retention_writers mask_regenerate
ISOLATION_OPTS = --inputdir=test/isolation

EXTRA_CLEAN = $(DATA_built) results/ regression.diffs regression.out test/fuzz/fuzz_formats \
	test/isolation/output_iso test/tmp_check

PG_CPPFLAGS = -I$(srcdir)/src -DPG_STEWARD_VERSION=\"$(EXTVERSION)\"
# RS256/ES256 token signatures: OpenSSL's libcrypto, which PostgreSQL itself
# links (Debian: libssl-dev)
SHLIB_LINK = -lcrypto
PG_CFLAGS = -Werror

# Prefer the PostgreSQL 15 that Debian installs; PG_CONFIG=... overrides.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
PG_INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)

ifneq ($(wildcard $(PG_INCLUDEDIR_SERVER)/postgres.h),)
include $(PGXS)

# Debian's PostgreSQL is built with gcc, and pg_config's CFLAGS carry
# gcc-only options that clang rejects under -Werror: drop them for clang.
# The headers declare printf-like functions with gnu_printf, which clang
# does not know (PostgreSQL compiles its own clang bitcode with the same
# -Wno-ignored-attributes).
ifneq ($(findstring clang,$(notdir $(CC))),)
override CFLAGS := $(filter-out -fexcess-precision=standard -Wimplicit-fallthrough=3 \
	-Wno-format-truncation -Wno-stringop-truncation -Wcast-function-type,$(CFLAGS)) \
	-Wimplicit-fallthrough -Wno-ignored-attributes
endif
else
# No server headers yet: the bootstrap has not run.  Only the targets below
# that bootstrap themselves can work; plain "make" says what to do.
all install installcheck:
	@echo "PostgreSQL 15 server development files were not found (pg_config: $(PG_CONFIG))." >&2
	@echo "Run 'make bootstrap' (or 'make run' / 'make test', which bootstrap themselves)," >&2
	@echo "or set PG_CONFIG to the pg_config of the PostgreSQL to build against." >&2
	@exit 1
clean:
	rm -rf $(EXTRA_CLEAN) src/*.o src/*/*.o $(MODULE_big).so
endif

# PGXS does not track header dependencies: rebuild every object when any
# of the project's headers changes (they are few, and a stale object that
# disagrees on a struct or an enum is far worse than a full rebuild).
$(OBJS): $(wildcard src/*.h src/*/*.h)

$(DATA_built): $(SQL_PIECES) $(EXTENSION).control Makefile
	@{ printf '%s\n' '-- pg_steward $(EXTVERSION): generated from src/*/*.sql by the Makefile; do not edit.' \
	     '\echo Use "CREATE EXTENSION pg_steward" to load this file. \quit'; \
	   for f in $(SQL_PIECES); do printf '\n-- ---- %s\n' "$$f"; cat $$f; done; } > $@

.PHONY: bootstrap run test bench psql stop

bootstrap:
	@test/bootstrap

run: bootstrap
	@$(MAKE) --no-print-directory install-quietly
	@test/sandbox start

test: bootstrap
	@$(MAKE) --no-print-directory install-quietly
	@test/run-tests --regress "$(REGRESS)" --isolation "$(ISOLATION)"

bench: bootstrap
	@$(MAKE) --no-print-directory install-quietly
	@test/bench/run

# the 5-minute load run (not part of "make test"): LOAD_SECONDS, LOAD_CLIENTS
.PHONY: load
load: bootstrap
	@$(MAKE) --no-print-directory install-quietly
	@test/load/run

# the regress suites on a server run under valgrind memcheck (not part of
# "make test"; slow): VALGRIND_SUITES
.PHONY: valgrind
valgrind: bootstrap
	@$(MAKE) --no-print-directory install-quietly
	@test/valgrind/run

# libFuzzer on the format parsers (pure C): make fuzz FUZZ_TIME=600
FUZZ_TIME ?= 120
.PHONY: fuzz
fuzz:
	@command -v clang >/dev/null || apt-get install -y -q clang >/dev/null
	@mkdir -p test/fuzz/corpus
	clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/validate \
		src/validate/formats.c test/fuzz/fuzz_formats.c -o test/fuzz/fuzz_formats
	test/fuzz/fuzz_formats -max_total_time=$(FUZZ_TIME) -print_final_stats=1 test/fuzz/corpus

psql:
	@test/sandbox psql $(if $(SQL),-c "$(SQL)")

stop:
	@test/sandbox stop

# Build, then install as root (sudo when not root).
.PHONY: install-quietly
install-quietly:
	@$(MAKE) --no-print-directory all >/dev/null
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) --no-print-directory install >/dev/null; \
	 else sudo $(MAKE) --no-print-directory install >/dev/null; fi
