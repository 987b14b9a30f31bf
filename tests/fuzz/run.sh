#!/bin/sh
# run.sh BUILD SECS -- every libFuzzer target for SECS seconds from its seeds
# (tests/fuzz/corpus/T, read only; new inputs go to BUILD/fuzz/corpus/T).
# One line per target with its runs, runs/s and coverage (libFuzzer's
# cov: and ft:), then "N passed, N failed": a target that crashed, leaked
# or hung failed, and its reproducer is in BUILD/fuzz/.
build=${1:-build}
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	t=${bin##*/fuzz_}
	seeds=$here/corpus/$t
	work=$build/fuzz/corpus/$t
	log=$build/fuzz/$t.log
	mkdir -p "$work" "$seeds"
	maxlen=4096
	[ "$t" = pcap ] && maxlen=65536
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$maxlen \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/$t-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "fuzz $t: ok, ${runs:-?} runs, ${rate:-?} runs/s, ${cov:-cov: ?}"
	else
		failed=$((failed + 1))
		echo "fuzz $t: FAILED (exit $rc), ${runs:-?} runs; the end of $log:"
		tail -n 30 "$log"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
