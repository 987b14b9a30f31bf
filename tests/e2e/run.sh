#!/bin/sh
# run.sh BUILD -- every namespace scenario (tests/e2e/s*.sh, then the lab's
# own selftest), one after the other; sums their "N passed, N failed" lines.
build=${1:-build}
dir=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
log=$(mktemp)
before=$(mktemp)
trap 'rm -f "$log" "$before"' EXIT
ip netns list 2>/dev/null | awk '{ print $1 }' | sort >"$before"

for s in "$dir"/selftest.sh "$dir"/s[0-9]*.sh; do
	[ -f "$s" ] || continue
	echo "-- $(basename "$s")"
	sh "$s" "$build" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run.sh: $(basename "$s") printed no summary (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "run.sh: $(basename "$s") exited $rc"
		failed=$((failed + 1))
	fi
done
# nothing may be left behind, whatever happened above (namespaces that
# were there before this run are not ours)
left=$(ip netns list 2>/dev/null | awk '{ print $1 }' | sort | comm -13 "$before" - | tr '\n' ' ')
if [ -n "$left" ]; then
	echo "run.sh: namespaces left behind: $left"
	failed=$((failed + 1))
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
