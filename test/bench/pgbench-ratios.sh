#!/usr/bin/env bash
#
# test/bench/pgbench-ratios.sh: the pgbench part of the audit section.
# Runs 2 clients of single-row UPDATEs by random id against each of the
# three item tables and prints the throughput ratios (baseline / case, so
# that like the other sections a higher ratio means slower).  Like the
# other sections it takes turns: 4 rounds of 5 s per table, round-robin, so
# that a change in machine load (a checkpoint, autovacuum, another process)
# hits every case alike, and reports each case's best round and median.
# Connection settings come from the environment test/bench/run sets.
#
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
seconds=${STEWARD_PGBENCH_SECONDS:-5}
rounds=${STEWARD_PGBENCH_ROUNDS:-4}

cat >"$dir/base.sql" <<'SQL'
\set id random(1, 100000)
UPDATE bench.items_base SET name = name, updated_at = now() WHERE id = :id;
SQL
cat >"$dir/lb.sql" <<'SQL'
\set id random(1, 100000)
WITH w AS (UPDATE bench.items_lb SET name = name, updated_at = now() WHERE id = :id RETURNING *)
INSERT INTO bench.log_lb (op, data) SELECT 'UPDATE', to_jsonb(w) FROM w;
SQL
cat >"$dir/audit.sql" <<'SQL'
\set id random(1, 100000)
UPDATE bench.items_audit SET name = name, updated_at = now() WHERE id = :id;
SQL

declare -A runs
for r in $(seq "$rounds"); do
	for v in base lb audit; do
		t=$("$PG_BINDIR/pgbench" -n -c 2 -j 2 -T "$seconds" -f "$dir/$v.sql" 2>/dev/null |
			sed -n 's/^tps = \([0-9.]*\).*/\1/p')
		runs[$v]="${runs[$v]:-} $t"
	done
done
# best and median of a case's rounds
best() { tr ' ' '\n' <<<"${runs[$1]}" | sed '/^$/d' | sort -g | tail -1; }
median() { tr ' ' '\n' <<<"${runs[$1]}" | sed '/^$/d' | sort -g |
	awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf ' %-38s | %10s | %10s | %5s\n' case best_tps median_tps ratio
printf '%s\n' '----------------------------------------+------------+------------+-------'
for v in base lb audit; do
	case $v in
		base) name='no audit (baseline)' ;;
		lb) name='lower bound: writable CTE + to_jsonb' ;;
		audit) name='steward.audit_enable' ;;
	esac
	printf ' %-38s | %10.0f | %10.0f | %5.2f\n' "$name" "$(best $v)" "$(median $v)" \
		"$(awk -v a="$(best base)" -v b="$(best $v)" 'BEGIN { print a / b }')"
done
