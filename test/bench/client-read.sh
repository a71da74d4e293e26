#!/usr/bin/env bash
#
# test/bench/client-read.sh ROLE LABEL1 QUERY1 LABEL2 QUERY2: the time a
# client takes to read every row of each query (psql, unaligned, to
# /dev/null), as ROLE, in turns, 5 rounds; prints each case's best and
# median and the ratio of the bests (the first case is the baseline).
# Connection settings come from the environment test/bench/run sets.
#
set -euo pipefail
role=$1
rounds=${STEWARD_CLIENT_ROUNDS:-5}
declare -a labels=("$2" "$4") queries=("$3" "$5")
declare -A runs
for r in $(seq "$rounds"); do
	for i in 0 1; do
		s=$(date +%s%N)
		"$PG_BINDIR/psql" -X -q -A -t -U "$role" -c "${queries[$i]}" -o /dev/null
		e=$(date +%s%N)
		runs[$i]="${runs[$i]:-} $(( (e - s) / 1000000 ))"
	done
done
stats() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)]}'; }
read -r b0 m0 < <(echo "${runs[0]}" | stats)
read -r b1 m1 < <(echo "${runs[1]}" | stats)
printf ' %-40s | %8s | %9s | %5s\n' case best_ms median_ms ratio
printf ' %-40s | %8d | %9d | %5.2f\n' "${labels[0]}" "$b0" "$m0" 1
printf ' %-40s | %8d | %9d | %5.2f\n' "${labels[1]}" "$b1" "$m1" "$(echo "$b1 / $b0" | bc -l)"
