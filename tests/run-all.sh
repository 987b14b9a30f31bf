#!/bin/sh
# run-all.sh BUILD -- make check: the core's purity check and the unit
# suites always, the capture replay tests, the namespace scenarios when
# root; ends with one "N passed, N failed" line.
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# summarize LOG: add a runner's closing "N passed, N failed" to the totals.
summarize() {
	line=$(grep -E '^([a-z0-9]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run-all: $2 printed no summary" >&2
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([a-z0-9]+: )?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
}

echo "== the core reads no clock and does no I/O"
sh "$here/tests/check-core.sh" 2>&1 | tee "$log"
summarize "$log" "the core check"

echo "== unit tests (Check, ASan+UBSan)"
NATBOX_POLICY_PATH="$here/policies" "$build/unit-tests" 2>&1 | tee "$log"
line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "run-all: the unit runner printed no summary (crashed?)" >&2
	failed=$((failed + 1))
else
	checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	errs=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	passed=$((passed + checks - fails - errs))
	failed=$((failed + fails + errs))
fi

echo "== capture replay: golden and property tests"
sh "$here/tests/replay/run.sh" "$build" 2>&1 | tee "$log"
summarize "$log" "the replay tests"

if [ "$(id -u)" = 0 ] && [ "${NATBOX_SKIP_E2E:-0}" != 1 ]; then
	echo "== end-to-end scenarios (network namespaces)"
	sh "$here/tests/e2e/run.sh" "$build" 2>&1 | tee "$log"
	summarize "$log" "the scenarios"
else
	echo "== end-to-end scenarios skipped: they need root (network namespaces, iptables)"
fi

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
