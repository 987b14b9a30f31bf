#!/bin/sh
# run-all.sh BUILD -- make check: the unit suites always, the namespace
# scenarios when root; ends with one "N passed, N failed" line.
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

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

if [ "$(id -u)" = 0 ] && [ "${NATBOX_SKIP_E2E:-0}" != 1 ]; then
	echo "== end-to-end scenarios (network namespaces)"
	sh "$here/tests/e2e/run.sh" "$build" 2>&1 | tee "$log"
	line=$(grep -E '^(e2e: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run-all: the scenarios printed no summary" >&2
		failed=$((failed + 1))
	else
		p=$(echo "$line" | sed -E 's/^(e2e: )?([0-9]+) passed.*/\2/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		passed=$((passed + p))
		failed=$((failed + f))
	fi
else
	echo "== end-to-end scenarios skipped: they need root (network namespaces, iptables)"
fi

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
