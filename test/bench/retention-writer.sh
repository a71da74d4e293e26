#!/usr/bin/env bash
#
# test/bench/retention-writer.sh: the concurrent-writer part of the privacy
# section.  For each of bench.logs_delete (one DELETE of the expired rows)
# and bench.logs_retention (CALL steward.retention_run), runs 2 pgbench
# clients doing single-row UPDATEs of random rows of that table, starts the
# statement a second later, and when both are done prints how long the
# statement took and the writer's transactions: how many, and the longest
# and 99.9th percentile latency while the statement ran (from pgbench's
# per-transaction log).  Connection settings come from the environment
# test/bench/run sets.
#
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
seconds=${STEWARD_WRITER_SECONDS:-20}
psql=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At)

printf ' %-34s | %11s | %7s | %13s | %14s | %11s\n' case statement_s batches writer_tx_during max_latency_ms p99.9_ms
printf '%s\n' '------------------------------------+-------------+---------+------------------+----------------+------------'
for v in delete retention; do
	cat >"$dir/$v.sql" <<SQL
\set id random(1, 2000000)
UPDATE bench.logs_$v SET agent = agent WHERE id = :id;
SQL
	"$PG_BINDIR/pgbench" -n -c 2 -j 2 -T "$seconds" -l --log-prefix="$dir/log_$v" -f "$dir/$v.sql" \
		>"$dir/pgbench_$v.out" 2>&1 &
	pid=$!
	sleep 1
	if [ "$v" = delete ]; then
		stmt="DELETE FROM bench.logs_delete WHERE at < now() - interval '30 days'"
		name='one DELETE'
	else
		stmt="CALL steward.retention_run('bench.logs_retention')"
		name='retention_run, batches of 10,000'
	fi
	start=$(date +%s.%N)
	"${psql[@]}" -c "$stmt" >/dev/null
	end=$(date +%s.%N)
	wait "$pid"
	batches=$("${psql[@]}" -c "SELECT CASE WHEN '$v' = 'delete' THEN 1 ELSE last_batches END
		FROM steward.retention_status WHERE relation = 'bench.logs_retention'::regclass")
	# log lines: client tx_no latency_us script_no epoch_s epoch_us (the
	# end of the transaction); keep those that overlap the statement
	cat "$dir"/log_"$v".* | awk -v s="$start" -v e="$end" '
		{ fin = $5 + $6 / 1e6; beg = fin - $3 / 1e6
		  if (fin >= s && beg <= e) print $3 / 1000 }' | sort -g >"$dir/lat_$v"
	n=$(wc -l <"$dir/lat_$v")
	if [ "$n" -eq 0 ]; then
		echo "0 0 0" >"$dir/stats_$v"
	else
		awk -v n="$n" '{ v[NR] = $1 } END { k = int(n * 0.999); if (k < 1) k = 1
			printf "%d %.1f %.1f\n", n, v[n], v[k] }' "$dir/lat_$v" >"$dir/stats_$v"
	fi
	read -r n max p999 <"$dir/stats_$v"
	printf ' %-34s | %11.2f | %7s | %16s | %14s | %11s\n' "$name" "$(echo "$end - $start" | bc)" \
		"$batches" "$n" "$max" "$p999"
done
