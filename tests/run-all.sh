#!/bin/sh
# run-all.sh BUILD -- make check: the core's purity check and the unit
# suites always, the capture replay tests, the fuzz targets briefly when
# clang built them, and the namespace scenarios when
# root (NATBOX_SKIP_E2E=1 leaves them out). Ends with one line
# "total: N passed, N failed, N skipped"; what was skipped, and why, is
# listed on the lines before it, so nothing is left out silently.
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
skipped=0
skips=
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# summarize LOG WHAT: add a runner's closing "N passed, N failed[, N
# skipped]" to the totals, and its "skipped: ..." lines to the list
summarize() {
	line=$(grep -E '^([a-z0-9]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run-all: $2 printed no summary" >&2
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([a-z0-9]+: )?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -n -E 's/.* ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		skips="$skips$2: ${l#skipped: }
"
	done <<EOF
$(grep '^skipped: ' "$1")
EOF
}

# skip N WHAT: N tests not run, listed at the end
skip() {
	skipped=$((skipped + $1))
	skips="$skips$2
"
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

# every libFuzzer target on its seeds for FUZZ_CHECK_SECS (3) seconds:
# a crash, leak or hang found since is a failure (make fuzz runs longer)
n_fuzz=$(ls "$here"/tests/fuzz/fuzz_*.c | wc -l)
if ls "$build"/fuzz/fuzz_* >/dev/null 2>&1; then
	echo "== fuzz targets, ${FUZZ_CHECK_SECS:-3} s each (libFuzzer)"
	NATBOX_POLICY_PATH=${NATBOX_POLICY_PATH:-$here/policies} \
		sh "$here/tests/fuzz/run.sh" "$build" "${FUZZ_CHECK_SECS:-3}" 2>&1 | tee "$log"
	summarize "$log" "the fuzz targets"
else
	echo "== fuzz targets skipped: no clang with libFuzzer (sh tests/deps.sh fuzz)"
	skip "$n_fuzz" "$n_fuzz fuzz targets (clang and libFuzzer not installed)"
fi

# the scenarios that would run: the lab's selftest and tests/e2e/s*.sh
n_e2e=0
for s in "$here"/tests/e2e/selftest.sh "$here"/tests/e2e/s[0-9]*.sh; do
	[ -f "$s" ] && n_e2e=$((n_e2e + 1))
done
if [ "${NATBOX_SKIP_E2E:-0}" = 1 ]; then
	echo "== end-to-end scenarios skipped: NATBOX_SKIP_E2E=1"
	skip "$n_e2e" "$n_e2e end-to-end scenarios (NATBOX_SKIP_E2E=1)"
elif [ "$(id -u)" != 0 ]; then
	echo "== end-to-end scenarios skipped: they need root (network namespaces, iptables)"
	skip "$n_e2e" "$n_e2e end-to-end scenarios (need root: network namespaces, iptables)"
else
	echo "== end-to-end scenarios (network namespaces)"
	sh "$here/tests/e2e/run.sh" "$build" 2>&1 | tee "$log"
	summarize "$log" "the scenarios"
fi

if [ -n "$skips" ]; then
	echo "== skipped"
	printf '%s' "$skips" | sed 's/^/skipped: /'
fi
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
