#!/bin/sh
# run.sh -- natbox's offline tests: golden outputs of replay, compare and
# suggest over the captures in tests/data, checked line by line, plus the
# properties behind them (suggest's profile breaks nothing and a second less
# breaks something, link layers do not matter, damaged files are read up to
# the damage, random damage never crashes). No root needed. This file
# builds what the tests need; lib.sh holds the counters and helpers, and
# tests/replay/checks/ one file per group of checks, sourced in order.
#
# usage: tests/replay/run.sh [BUILD_DIR] [--update]
#   BUILD_DIR  where natbox was built (default build); helpers go to BUILD_DIR/replay
#   --update   rewrite tests/data's hand-made captures and expected outputs
#              (the lab captures are recorded by tests/replay/record-lab.sh)
# env: NATBOX=path to the binary (default BUILD_DIR/natbox, else ./natbox)
# Ends with one line "N passed, N failed, N skipped", the checks skipped for
# want of a tool listed on "skipped:" lines before it; exit 0 only if
# nothing failed.
set -u

build=build
update=0
for a in "$@"; do
	case $a in
	--update) update=1 ;;
	-*) echo "usage: $0 [BUILD_DIR] [--update]" >&2; exit 2 ;;
	*) build=$a ;;
	esac
done
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 2
data=tests/data
exp=$data/expected
helpers=$build/replay
mkdir -p "$helpers" "$exp" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NATBOX_POLICY_PATH="$here/policies"
unset NO_COLOR

# shellcheck source=tests/replay/lib.sh
. tests/replay/lib.sh

# ---- what the tests need ----

NATBOX=${NATBOX:-}
if [ -z "$NATBOX" ]; then
	if [ -x "$build/natbox" ]; then
		NATBOX=$build/natbox
	elif [ -x ./natbox ]; then
		NATBOX=./natbox
	else
		echo "== building natbox into $build"
		make -s BUILD="$build" BIN="$build/natbox" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
		NATBOX=$build/natbox
	fi
fi
echo "== natbox: $NATBOX"
MKCAP=$helpers/mkcap
# shellcheck disable=SC2086 # WARN is a list of flags
if ! $CC -std=gnu11 -O2 -g $WARN -Werror -D_GNU_SOURCE -o "$MKCAP" tests/replay/mkcap*.c; then
	echo "0 passed, 1 failed"
	exit 1
fi
# natbox again with ASan and UBSan, for the damaged-input tests.
ASAN=$helpers/natbox-asan
# shellcheck disable=SC2046,SC2086 # one word per flag
if ! $CC -std=gnu11 $WARN -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
    -fno-sanitize-recover=undefined $(for d in include/*/; do printf -- "-I%s " "$d"; done) -D_GNU_SOURCE \
    -DNATBOX_POLICY_DIR="\"$here/policies\"" -o "$ASAN" src/*/*.c \
    $(pkg-config --cflags --libs libnetfilter_queue libmnl libpcap 2>/dev/null || echo -lpcap) \
    -lpthread 2>"$tmp/asan.log"; then
	echo "note: no sanitizer build (see below); damaged-input tests use $NATBOX"
	head -5 "$tmp/asan.log"
	ASAN=$NATBOX
fi
have_tcpdump=0
command -v tcpdump >/dev/null 2>&1 && have_tcpdump=1

# the groups of checks, in this order (engines.sh writes $tmp/bench.pcap;
# the later groups read it)
# shellcheck source=tests/replay/checks/golden.sh
. tests/replay/checks/golden.sh
# shellcheck source=tests/replay/checks/engines.sh
. tests/replay/checks/engines.sh
# shellcheck source=tests/replay/checks/whatif.sh
. tests/replay/checks/whatif.sh
# shellcheck source=tests/replay/checks/framing.sh
. tests/replay/checks/framing.sh
# shellcheck source=tests/replay/checks/dgram.sh
. tests/replay/checks/dgram.sh
# shellcheck source=tests/replay/checks/cli.sh
. tests/replay/checks/cli.sh
# shellcheck source=tests/replay/checks/input.sh
. tests/replay/checks/input.sh

[ $skip_tcpdump = 0 ] || echo "skipped: $skip_tcpdump checks against tcpdump (tcpdump not installed)"
[ $skip_python3 = 0 ] || echo "skipped: $skip_python3 JSON and SVG parse checks (python3 not installed)"
echo "$passed passed, $failed failed, $((skip_tcpdump + skip_python3)) skipped"
[ "$failed" -eq 0 ]
