#!/usr/bin/env bash
#
# test/bench/pgbench-ratios.sh: the pgbench part of the audit section.
# Runs 2 clients of single-row UPDATEs by random id for 20 s against each
# of the three item tables and prints the throughput ratios (baseline /
# case, so that like the other sections a higher ratio means slower).
# Connection settings come from the environment test/bench/run sets.
#
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
seconds=${STEWARD_PGBENCH_SECONDS:-20}

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

declare -A tps
for v in base lb audit; do
	tps[$v]=$("$PG_BINDIR/pgbench" -n -c 2 -j 2 -T "$seconds" -f "$dir/$v.sql" 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p')
done
printf ' %-38s | %10s | %5s\n' case tps ratio
printf '%s\n' '----------------------------------------+------------+-------'
printf ' %-38s | %10.0f | %5.2f\n' 'no audit (baseline)' "${tps[base]}" 1
printf ' %-38s | %10.0f | %5.2f\n' 'lower bound: writable CTE + to_jsonb' "${tps[lb]}" \
	"$(awk -v a="${tps[base]}" -v b="${tps[lb]}" 'BEGIN { print a / b }')"
printf ' %-38s | %10.0f | %5.2f\n' 'steward.audit_enable' "${tps[audit]}" \
	"$(awk -v a="${tps[base]}" -v b="${tps[audit]}" 'BEGIN { print a / b }')"
