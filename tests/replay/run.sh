#!/bin/sh
# run.sh -- natbox's offline tests: golden outputs of replay, compare and
# suggest over the captures in tests/data, checked line by line, plus the
# properties behind them (suggest's profile breaks nothing and a second less
# breaks something, link layers do not matter, damaged files are read up to
# the damage, random damage never crashes). No root needed.
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

passed=0
failed=0
# checks not run for want of tcpdump or python3
skip_tcpdump=0
skip_python3=0
ok() {
	passed=$((passed + 1))
}
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
# check NAME CMD...: passes if CMD succeeds
check() {
	_n=$1
	shift
	if "$@" >/dev/null 2>&1; then ok; else bad "$_n"; fi
}

WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla"
CC=${CC:-cc}

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

# ---- the hand-made captures: one recipe each, kept in tests/data ----

gen_all() {
	d=$1
	"$MKCAP" basic "$d/basic.pcap" &&
	"$MKCAP" midstream "$d/midstream.pcap" &&
	"$MKCAP" simultaneous "$d/simultaneous.pcap" &&
	"$MKCAP" rst "$d/rst.pcap" &&
	"$MKCAP" --link ipv6 ipv6ext "$d/ipv6ext.pcap" &&
	"$MKCAP" --link vlan basic "$d/vlan.pcap" &&
	"$MKCAP" --link sll2 --pcapng basic "$d/sll2.pcapng" &&
	"$MKCAP" --cut 30 basic "$d/truncated.pcap" &&
	"$MKCAP" --cut -20 basic "$d/corrupt.pcap" &&
	"$MKCAP" --snap 60 basic "$d/snapcut.pcap" &&
	"$MKCAP" gaps "$d/gaps.pcap" &&
	"$MKCAP" idle "$d/idle.pcap" &&
	"$MKCAP" dgram "$d/dgram.pcap" &&
	"$MKCAP" --link vxlan-gre rst "$d/tunnels.pcap" &&
	"$MKCAP" --link teredo ipv6ext "$d/teredo.pcap" &&
	"$MKCAP" --link nflog dgram "$d/nflog.pcap" &&
	"$MKCAP" --link radiotap rst "$d/radiotap.pcap" &&
	"$MKCAP" --link tso basic "$d/tso.pcap" &&
	"$MKCAP" p2p "$d/p2p.pcap" &&
	"$MKCAP" zeek "$d/zeek.pcap"
}
HANDMADE="basic.pcap midstream.pcap simultaneous.pcap rst.pcap ipv6ext.pcap vlan.pcap
sll2.pcapng truncated.pcap corrupt.pcap snapcut.pcap gaps.pcap idle.pcap dgram.pcap
tunnels.pcap teredo.pcap nflog.pcap radiotap.pcap tso.pcap p2p.pcap zeek.pcap"
LAB="lab-halfclose-v4.pcap lab-halfclose-v6.pcap"

echo "== hand-made captures"
mkdir -p "$tmp/gen"
if gen_all "$tmp/gen"; then ok; else bad "mkcap"; fi
if [ $update = 1 ]; then
	for f in $HANDMADE; do cp "$tmp/gen/$f" "$data/$f"; done
fi
for f in $HANDMADE; do
	check "tests/data/$f is what mkcap writes" cmp "$tmp/gen/$f" "$data/$f"
done
for f in $HANDMADE $LAB; do
	sz=$(wc -c <"$data/$f")
	check "$f under 200 KB" test "$sz" -lt 204800
done

# ---- golden outputs ----

# golden NAME natbox-args...: stdout, stderr (prefixed) and the exit status,
# compared line by line with tests/data/expected/NAME.out
golden() {
	_name=$1
	shift
	"$NATBOX" "$@" >"$tmp/out" 2>"$tmp/err"
	_rc=$?
	{
		cat "$tmp/out"
		sed 's/^/stderr: /' "$tmp/err"
		echo "exit: $_rc"
	} >"$tmp/$_name.out"
	if [ $update = 1 ]; then
		cp "$tmp/$_name.out" "$exp/$_name.out"
	fi
	if [ ! -f "$exp/$_name.out" ]; then
		bad "golden $_name: no $exp/$_name.out (run with --update)"
	elif diff -u "$exp/$_name.out" "$tmp/$_name.out" >"$tmp/diff"; then
		ok
	else
		bad "golden $_name (natbox $*)"
		head -40 "$tmp/diff"
	fi
}

FK2="fin-kills-mapping,timeout.half_closed=2s,timeout.closing=2s,timeout.time_wait=2s"
echo "== golden outputs"
golden basic.rfc5382 replay $data/basic.pcap --policy rfc5382
golden basic.finkill1s replay $data/basic.pcap --policy fin-kills-mapping \
    --set timeout.half_closed=1s --set timeout.closing=1s --set timeout.time_wait=1s --events -
golden basic.json replay $data/basic.pcap --policy "fin-kills-mapping,timeout.half_closed=1s" --format json
# a Zeek conn.log: every Zeek column, natbox's verdict after them
golden basic.zeek replay $data/basic.pcap --policy "fin-kills-mapping,timeout.half_closed=1s" --format zeek
golden dgram.zeek replay $data/dgram.pcap --policy panos --format zeek
# every Zeek history letter and conn_state value, one connection each
# (mkcap_zeek.c says which and by what rule)
golden zeek.zeek replay $data/zeek.pcap --policy rfc5382 --format zeek
# read as zeek-cut does, by the names on #fields: every line has as many
# columns as #fields and #types, and the columns named hold what they say
"$NATBOX" replay $data/basic.pcap --policy "fin-kills-mapping,timeout.half_closed=1s" \
    --format zeek >"$tmp/conn.log" 2>/dev/null
zeek_cut() {
	awk -F '\t' -v want="$*" '
	/^#fields/ { nf = NF; for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
	/^#types/ { if (NF != nf) { print "types"; exit 1 } next }
	/^#/ { next }
	{
		if (NF != nf - 1) { print "columns"; exit 1 }
		n = split(want, w, " "); line = ""
		for (i = 1; i <= n; i++) line = line (i > 1 ? " " : "") $(col[w[i]])
		print line
	}' "$tmp/conn.log"
}
check "zeek-cut: columns by name" test "$(zeek_cut id.resp_p proto conn_state natbox_verdict natbox_reason | sed -n 3p)" = "5001 tcp SF broken expired:half_closed"
check "zeek-cut: every line complete" test "$(zeek_cut uid | grep -c '^C[0-9A-Za-z]*$')" = 4
check "zeek-cut: header" test "$(sed -n '1p;5p' "$tmp/conn.log" | tr '\t' ' ')" = "#separator \\x09
#path conn"
golden midstream.linux replay $data/midstream.pcap --policy linux-conntrack
golden midstream.srx replay $data/midstream.pcap --policy juniper-srx
golden simultaneous.rfc5382 replay $data/simultaneous.pcap --policy rfc5382 --events -
golden rst.rfc5382 replay $data/rst.pcap --policy rfc5382
golden rst.blackhole replay $data/rst.pcap --policy rst-blackhole --format json
golden ipv6ext.rfc5382 replay $data/ipv6ext.pcap --policy rfc5382
golden vlan.rfc5382 replay $data/vlan.pcap --policy rfc5382
golden sll2.rfc5382 replay $data/sll2.pcapng --policy rfc5382
golden truncated.rfc5382 replay $data/truncated.pcap --policy rfc5382
golden corrupt.compare compare $data/corrupt.pcap --policy rfc5382 --policy fin-kills-mapping --json
golden snapcut.rfc5382 replay $data/snapcut.pcap --policy rfc5382
golden idle.compare compare $data/idle.pcap --all --flows
golden idle.compare-json compare $data/idle.pcap --policy rfc5382 --policy aws-natgw \
    --policy linux-conntrack --policy "rfc5382,timewait.reopen=drop" --json --flows
golden gaps.suggest suggest $data/gaps.pcap
golden gaps.suggest-json suggest $data/gaps.pcap --json --name gaps
golden lab-v4.rfc5382 replay $data/lab-halfclose-v4.pcap --policy rfc5382
golden lab-v4.finkill2s replay $data/lab-halfclose-v4.pcap --policy "$FK2"
golden lab-v6.finkill2s replay $data/lab-halfclose-v6.pcap --policy "$FK2" --format json
golden lab-v4.compare compare $data/lab-halfclose-v4.pcap --policy rfc5382 \
    --policy fin-kills-mapping --policy "$FK2" --policy panos --flows
golden lab-v4.suggest suggest $data/lab-halfclose-v4.pcap
golden lab-v4.svg compare $data/lab-halfclose-v4.pcap --policy rfc5382 --policy "$FK2" \
    --svg "$tmp/lab.svg"
if [ $update = 1 ]; then cp "$tmp/lab.svg" "$exp/lab-v4.compare.svg"; fi
check "svg golden lab-v4.compare.svg" cmp "$tmp/lab.svg" "$exp/lab-v4.compare.svg"
# UDP, ICMP, ICMPv6, a port unreachable, ESP (mkcap dgram)
DG="--policy rfc5382 --policy rfc4787 --policy linux-conntrack --policy panos --policy cisco-asa
--policy linux-conntrack,icmp.errors=drop"
golden dgram.linux replay $data/dgram.pcap --policy linux-conntrack
golden dgram.panos-json replay $data/dgram.pcap --policy panos --format json
golden dgram.asa-events replay $data/dgram.pcap --policy cisco-asa --events -
# shellcheck disable=SC2086 # DG is a list of options
golden dgram.compare compare $data/dgram.pcap $DG --flows
# shellcheck disable=SC2086
golden dgram.compare-json compare $data/dgram.pcap $DG --json --flows
golden dgram.suggest suggest $data/dgram.pcap
golden dgram.suggest-json suggest $data/dgram.pcap --json --name dgram
# link types and tunnels (mkcap_encap.c): VXLAN inside GRE, the outer
# tunnel named per flow; Teredo; NFLOG (what tcpdump -i nflog:N writes);
# 802.11 data frames under radiotap
golden tunnels.json replay $data/tunnels.pcap --policy rfc5382 --format json
golden tunnels.rfc5382 replay $data/tunnels.pcap --policy rfc5382
golden teredo.json replay $data/teredo.pcap --policy rfc5382 --format json
golden nflog.linux replay $data/nflog.pcap --policy linux-conntrack
golden radiotap.rfc5382 replay $data/radiotap.pcap --policy rfc5382
# a TSO sender's capture: IPv4 length 0, IPv6 length past the frame
golden tso.rfc5382 replay $data/tso.pcap --policy rfc5382
# NAT what-ifs on a capture taken on the inside (mkcap p2p): the external
# endpoint per flow, re-maps, and the inbound flows each mapping and
# filtering behaviour refuses; every profile gets the --set
NAT="--set nat.outside=203.0.113.100 --set nat.inside=198.51.100.0/24 --set timeout.established=60s"
P2P="--policy full-cone --policy port-restricted --policy symmetric"
# shellcheck disable=SC2086 # NAT and P2P are lists of options
{
golden p2p.full-cone replay $data/p2p.pcap --policy full-cone $NAT
golden p2p.port-restricted replay $data/p2p.pcap --policy port-restricted $NAT
golden p2p.symmetric-json replay $data/p2p.pcap --policy symmetric $NAT --format json
golden p2p.reuse-delay replay $data/p2p.pcap --policy port-restricted $NAT \
    --set nat.port_reuse_delay=2m
golden p2p.rebind replay $data/p2p.pcap --policy full-cone $NAT --set nat.rebind_every=50ms
golden p2p.compare compare $data/p2p.pcap $P2P $NAT --flows
golden p2p.compare-json compare $data/p2p.pcap $P2P $NAT --json --flows
golden p2p.untranslated replay $data/p2p.pcap --policy full-cone --set timeout.established=60s
}

# ---- a synthetic load (mkcap bench: 3000 flows, about 49k packets) under
# settings that make every profile expire, fill its table and pick flows up
# again: the per-profile results are pinned, so a faster path through the
# engine or the report has to give exactly the same answers ----

echo "== bench load under stress settings"
if "$MKCAP" --snap 96 --flows 3000 --packets 40000 --seconds 120 bench "$tmp/bench.pcap" 2>/dev/null; then
	ok
else
	bad "mkcap bench"
fi
stress() {
	_name=$1
	shift
	"$NATBOX" compare "$tmp/bench.pcap" --all --json "$@" 2>&1 | grep -v '"type":"capture"' \
	    >"$tmp/$_name.out"
	if [ $update = 1 ]; then
		cp "$tmp/$_name.out" "$exp/$_name.out"
	fi
	if diff -u "$exp/$_name.out" "$tmp/$_name.out" >"$tmp/diff"; then
		ok
	else
		bad "bench $_name (natbox compare --all $*)"
		head -20 "$tmp/diff"
	fi
}
stress bench.full --set timeout.established=20s --set table.max_flows=2000
stress bench.short --set timeout.established=20s --set timeout.fin_wait=3s \
    --set timeout.tombstone=5s
stress bench.evict --set table.max_flows=1500 --set table.full=evict \
    --set timeout.established=30s
check "bench.full: flows expired, refused and picked up" sh -c \
    "grep -q '\"expired:idle\":[1-9]' '$exp/bench.full.out' &&
     grep -q '\"table_full\":[1-9]' '$exp/bench.full.out' &&
     grep -q '\"picked_up\":[1-9]' '$exp/bench.full.out'"
check "bench.evict: flows evicted" grep -q '"evictions":[1-9]' "$exp/bench.evict.out"

# ---- shadows (report_shadow.c): compare and replay follow the reference's
# tracking and run a profile's engine only where the profile parts from it;
# NATBOX_SHADOW=0 runs every engine over every packet. The answers must be
# the same, byte for byte, whatever the profile does: expire, refuse or
# evict on a full table, keep tombstones, reset, track windows, drop
# invalid packets or reused ports; and when the reference's own table is
# small enough to forget flows ----

echo "== shadow profiles give the full engines' answers"
if "$MKCAP" --snap 96 --flows 8000 --packets 80000 --seconds 2400 bench "$tmp/bench2.pcap" 2>/dev/null; then
	ok
else
	bad "mkcap bench (8000 flows)"
fi
# same_as_full CAPTURE ARGS...: compare --all, --json and --flows, both ways
same_as_full() {
	_cap=$1
	shift
	NATBOX_SHADOW=0 "$NATBOX" compare "$_cap" --all --json --flows "$@" >"$tmp/full.out" 2>&1
	_rf=$?
	"$NATBOX" compare "$_cap" --all --json --flows "$@" >"$tmp/shadow.out" 2>&1
	_rs=$?
	if [ $_rf = $_rs ] && cmp -s "$tmp/full.out" "$tmp/shadow.out"; then
		ok
	else
		bad "shadow differs: compare $(basename "$_cap") --all $* (exit $_rf/$_rs)"
		diff "$tmp/full.out" "$tmp/shadow.out" | head -6
	fi
}
for f in basic.pcap gaps.pcap idle.pcap midstream.pcap rst.pcap simultaneous.pcap \
    ipv6ext.pcap vlan.pcap sll2.pcapng snapcut.pcap truncated.pcap dgram.pcap \
    lab-halfclose-v4.pcap lab-halfclose-v6.pcap; do
	same_as_full "$data/$f"
	same_as_full "$data/$f" --set timeout.established=2s --set timeout.fin_wait=1s \
	    --set timeout.tombstone=3s --set table.adaptive=off
done
for cap in "$tmp/bench.pcap" "$tmp/bench2.pcap"; do
	same_as_full "$cap"
	same_as_full "$cap" --set timeout.established=20s --set table.max_flows=2000
	same_as_full "$cap" --set timeout.established=20s --set timeout.fin_wait=3s \
	    --set timeout.tombstone=5s
	same_as_full "$cap" --set table.max_flows=1500 --set table.full=evict \
	    --set timeout.established=30s
	same_as_full "$cap" --max-flows 1024 --set timeout.established=30s
	same_as_full "$cap" --set expire.action=reset --set timeout.established=10s \
	    --set timeout.time_wait=1s
	same_as_full "$cap" --set timeout.established=15s --set table.max_flows=800 \
	    --set timeout.tombstone=1ms
	same_as_full "$cap" --set table.adaptive=off --set timewait.reopen=drop \
	    --set timeout.time_wait=30s --set table.max_flows=1800
	same_as_full "$cap" --set table.adaptive=off --set refresh.established=none \
	    --set timeout.established=25s --set refresh.fin_wait=orig --set timeout.fin_wait=5s
	same_as_full "$cap" --set table.adaptive=off --set expire.later=drop \
	    --set unknown.action=drop --set timeout.established=20s --set tracking.window=on \
	    --set invalid.action=drop
	same_as_full "$cap" --set table.adaptive=off --set expire.later=reset-sender \
	    --set unknown.action=reset-sender --set timeout.established=20s \
	    --set table.max_flows=1000 --set timeout.tombstone=30s
	same_as_full "$cap" --set table.adaptive=off --set half_closed.start=fin_acked \
	    --set timeout.fin_wait=2s --set timeout.unacknowledged=3s
done
# UDP, ICMP and ESP flows: the datagram trackers' timers cut, refresh one
# way or not at all, tombstones, full tables, ICMP errors passed or dropped;
# over dgram.pcap and a load with 40% datagram flows
if "$MKCAP" --snap 96 --flows 3000 --packets 40000 --seconds 120 --dgram 40 bench \
    "$tmp/bench3.pcap" 2>/dev/null; then
	ok
else
	bad "mkcap bench --dgram 40"
fi
for cap in "$data/dgram.pcap" "$tmp/bench3.pcap"; do
	same_as_full "$cap" --set table.adaptive=off --set expire.later=drop \
	    --set unknown.action=drop --set timeout.udp=20s --set tracking.window=on \
	    --set icmp.errors=drop
	same_as_full "$cap" --set table.adaptive=off --set refresh.udp=orig --set refresh.icmp=reply \
	    --set timeout.udp=40s --set timeout.icmp=5s --set timeout.other=30s --set expire.later=drop
	same_as_full "$cap" --set table.adaptive=off --set refresh.udp=none --set refresh.other=none \
	    --set timeout.udp_unreplied=2s --set timeout.tombstone=30s --set table.max_flows=700
	same_as_full "$cap" --set table.adaptive=off --set expire.later=reset-sender \
	    --set unknown.action=reset-sender --set timeout.udp=10s --set table.max_flows=1000
	same_as_full "$cap" --set table.max_flows=1500 --set table.full=evict --set timeout.udp=30s
	same_as_full "$cap" --max-flows 1024 --set timeout.icmp=1s --set timeout.tombstone=1ms
done
# the kernel's tcp.* knobs away from their defaults: a window-tracking
# profile's own tracker runs with them (knobs.pcap, knobs_pcap.py: a first
# SYN+FIN, retransmissions, an inexact RST, a pickup, data over the window)
for k in "" "--set tcp.loose=off" "--set tcp.be_liberal=on" "--set tcp.ignore_invalid_rst=on" \
    "--set tcp.max_retrans=1 --set timeout.max_retrans=2s"; do
	# shellcheck disable=SC2086 # one word per option
	same_as_full "$data/knobs.pcap" --set invalid.action=drop --set timeout.established=3s $k
done
same_as_full "$tmp/bench2.pcap" --set tracking.window=on --set invalid.action=drop \
    --set tcp.be_liberal=on --set tcp.max_retrans=1 --set timeout.max_retrans=5s --set tcp.loose=off
# corners, by hand (mkcap shadow-*): each has a table full to its last
# slot in the very tick a tombstone or a flow leaves it, or ends oddly
shadow_case() {
	_sc=$1
	shift
	if "$MKCAP" "$_sc" "$tmp/$_sc.pcap"; then
		same_as_full "$tmp/$_sc.pcap" "$@"
	else
		bad "mkcap $_sc"
	fi
}
shadow_case shadow-evict --max-flows 1 --set table.max_flows=1 --set expire.later=drop \
    --set timeout.tombstone=1s --set timeout.established=2s
shadow_case shadow-lag --set table.max_flows=2 --set invalid.action=drop \
    --set expire.later=drop --set timeout.tombstone=1s --set timeout.syn_sent=10s \
    --set timeout.unacknowledged=0s
shadow_case shadow-short --set table.max_flows=1 --set expire.later=drop \
    --set timeout.tombstone=1ms --set timeout.established=2s --set timeout.unacknowledged=0s
shadow_case shadow-tail --set timeout.established=2s
for p in fin-kills-mapping aws-natgw linux-conntrack cisco-asa-reset juniper-srx; do
	NATBOX_SHADOW=0 "$NATBOX" replay "$tmp/bench.pcap" --policy "$p" --format json \
	    --set timeout.established=20s --set table.max_flows=900 >"$tmp/full.out" 2>&1
	"$NATBOX" replay "$tmp/bench.pcap" --policy "$p" --format json \
	    --set timeout.established=20s --set table.max_flows=900 >"$tmp/shadow.out" 2>&1
	check "shadow replay $p: same flow lines" cmp "$tmp/full.out" "$tmp/shadow.out"
done
# ... and the shadows did the work (NATBOX_SHADOW_DEBUG says how much):
# most packets in the shadow; a full table that evicts makes them give up
# and the profile is judged again with its engine (same answers, above)
NATBOX_SHADOW_DEBUG=1 "$NATBOX" compare "$tmp/bench.pcap" --all >/dev/null 2>"$tmp/shdbg"
check "shadows took the packets" awk '
	/^shadow rfc5382: ok, / { sh = $4; eng = $9 }
	END { exit !(sh > 40000 && eng == 0) }' "$tmp/shdbg"
check "fault and adaptive profiles run whole" sh -c \
    "! grep -q -e '^shadow rst-blackhole' -e '^shadow pf-normal' '$tmp/shdbg'"
check "window-tracking profiles shadowed too" grep -q '^shadow linux-conntrack: ok' "$tmp/shdbg"
NATBOX_SHADOW_DEBUG=1 "$NATBOX" compare "$tmp/bench.pcap" --policy linux-conntrack \
    --set table.max_flows=1500 --set table.full=evict --set timeout.established=30s \
    >/dev/null 2>"$tmp/shdbg"
check "a full table that evicts: the shadow gives up" grep -q 'gave up' "$tmp/shdbg"
# a full table that refuses: the refused flows' later packets skip the
# engine's lookup (the answers are the full engine's, above)
NATBOX_SHADOW_DEBUG=1 "$NATBOX" compare "$tmp/bench.pcap" --policy aws-natgw \
    --set timeout.established=20s --set table.max_flows=900 >/dev/null 2>"$tmp/shdbg"
check "a full table that refuses: refused flows skip the lookup" awk '
	/^shadow aws-natgw: ok, / { n = $13; sub(/^[(]/, "", n) }
	END { exit !(n + 0 > 1000) }' "$tmp/shdbg"

# ---- the seed: under fin-kills-mapping the half-closed flow breaks at the
# first packet 2 s (its T) after the client's FIN, for that reason ----

have_tcpdump=0
command -v tcpdump >/dev/null 2>&1 && have_tcpdump=1
[ $have_tcpdump = 1 ] || echo "== no tcpdump: the checks against it are skipped"
[ $have_tcpdump = 1 ] && echo "== seed scenario, checked against tcpdump"
for f in lab-halfclose-v4.pcap lab-halfclose-v6.pcap; do
	[ $have_tcpdump = 1 ] || { skip_tcpdump=$((skip_tcpdump + 4)); continue; }
	# natbox's broken flow, then from tcpdump: the first frame's time, that
	# flow's first FIN (the client's shutdown) and its first packet at or
	# after FIN + 2 s
	"$NATBOX" replay "$data/$f" --policy "$FK2" --format json --broken >"$tmp/seed.json" 2>/dev/null
	port=$(grep '"broken":true' "$tmp/seed.json" | sed 's/.*"sport":\([0-9]*\).*/\1/')
	want=$(tcpdump -tt -nn -r "$data/$f" 2>/dev/null | awk -v port="$port" '
		NR == 1 { t0 = $1 }
		!(index($0, "." port " ") || index($0, "." port ":")) { next }
		/Flags \[F/ && fin == 0 { fin = $1 }
		fin && $1 >= fin + 2 && !done { printf "%.6f\n", $1 - t0; done = 1 }')
	got=$(grep '"broken":true' "$tmp/seed.json" | sed 's/.*"broken_at":\([0-9.]*\).*/\1/')
	why=$(grep '"broken":true' "$tmp/seed.json" | sed 's/.*"reason":"\([^"]*\)".*/\1/')
	nb=$(grep -c '"broken":true' "$tmp/seed.json")
	check "$f: one flow broken under fin-kills-mapping (T=2s)" test "$nb" = 1
	check "$f: broken at $want (first packet >= FIN + 2s), got $got" \
	    awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 0.0000015 && d > -0.0000015) }'
	check "$f: reason expired:half_closed, got $why" test "$why" = "expired:half_closed"
	"$NATBOX" replay "$data/$f" --policy fin-kills-mapping --format json >"$tmp/seed10.json" 2>/dev/null
	check "$f: the default T=10s outlasts the 4 s stream" grep -q '"broken":0' "$tmp/seed10.json"
done

# ---- NAT what-ifs (mkcap p2p, times in seconds): the facts behind the
# goldens, one by one. The client 198.51.100.10 asked a STUN server from
# udp 40000 (0); a peer sends to that port (1); the server answers from
# port 3479 (2); a TCP from 40001 idles 60 s (lost at 65.12) and goes on
# (70.005); an unsolicited SYN to port 22 (80) ----

echo "== NAT what-ifs on an inside capture"
# nat_replay ARGS...: replay p2p.pcap translated, JSON lines
nat_replay() {
	# shellcheck disable=SC2086 # NAT is a list of options
	"$NATBOX" replay "$data/p2p.pcap" --format json $NAT "$@" 2>/dev/null
}
nat_replay --policy full-cone >"$tmp/fc.json"
nat_replay --policy port-restricted >"$tmp/pr.json"
nat_replay --policy port-restricted --set nat.filtering=address-dependent >"$tmp/ad.json"
nat_replay --policy symmetric >"$tmp/sy.json"
nat_replay --policy port-restricted --set nat.port_reuse_delay=2m >"$tmp/rd.json"
nat_replay --policy full-cone --set nat.rebind_every=50ms >"$tmp/rb.json"
peer='"sport":5000,"dport":40000'
alt='"sport":3479,"dport":40000'
stun='"sport":40000,"dport":3478'
tcp='"sport":40001,"dport":443'
syn='"sport":51000,"dport":22'
# has FILE FLOW PATTERN: the flow's line in FILE matches PATTERN
has() {
	grep -F "$2" "$1" | grep -q -e "$3"
}
check "full-cone: the STUN flow leaves from 203.0.113.100:40000 (ports preserved)" \
    has "$tmp/fc.json" "$stun" '"outside":"203.0.113.100:40000"'
check "full-cone (EIF): the peer's flow is let in, through 203.0.113.100:40000" \
    has "$tmp/fc.json" "$peer" '"broken":false,.*"outside":"203.0.113.100:40000"'
check "full-cone: the server's other port is let in" has "$tmp/fc.json" "$alt" '"broken":false'
check "port-restricted (APDF): the peer's flow refused at 1.000 (nat:filtered)" \
    has "$tmp/pr.json" "$peer" '"broken":true,"broken_at":1,"reason":"nat:filtered"'
check "port-restricted: the peer's flow goes on once the client sent to it (same port)" \
    has "$tmp/pr.json" "$peer" '"dropped_packets":1,.*"outside":"203.0.113.100:40000"'
check "port-restricted (APDF): the server's port 3479 refused at 2.000 (nat:filtered)" \
    has "$tmp/pr.json" "$alt" '"broken":true,"broken_at":2,"reason":"nat:filtered"'
check "address-dependent filtering: the server's port 3479 let in" \
    has "$tmp/ad.json" "$alt" '"broken":false'
check "address-dependent filtering: the peer's flow refused at 1.000 (nat:filtered)" \
    has "$tmp/ad.json" "$peer" '"broken_at":1,"reason":"nat:filtered"'
check "symmetric (APDM): no mapping for the peer (1.000) nor the server's port 3479 (2.000)" \
    sh -c "grep -F '$peer' '$tmp/sy.json' | grep -q '\"broken_at\":1,\"reason\":\"nat:no_mapping\"' &&
	grep -F '$alt' '$tmp/sy.json' | grep -q '\"broken_at\":2,\"reason\":\"nat:no_mapping\"'"
stun_port=$(grep -F "$stun" "$tmp/sy.json" | sed 's/.*"outside":"203.0.113.100:\([0-9]*\)".*/\1/')
peer_port=$(grep -F "$peer" "$tmp/sy.json" | sed 's/.*"outside":"203.0.113.100:\([0-9]*\)".*/\1/')
check "symmetric: the peer's flow gets another external port than the STUN flow ($peer_port, $stun_port)" \
    test -n "$stun_port" -a -n "$peer_port" -a "$stun_port" != "$peer_port" -a "$stun_port" != 40000
for f in fc pr sy; do
	check "$f: the unsolicited SYN finds no mapping at 80.000, both SYNs dropped" \
	    has "$tmp/$f.json" "$syn" '"broken_at":80,"reason":"nat:no_mapping",.*"dropped_packets":2,.*"outside":null'
	check "$f: the idle TCP is re-mapped at 70.005 (pickup), after its state was lost at 65.12" \
	    has "$tmp/$f.json" "$tcp" '"state_lost_at":65.12,.*"picked_up":true,.*"remaps":\[{"at":70.005,"outside":"203.0.113.100:[0-9]*","why":"pickup"}\]'
done
check "full-cone: re-mapped to the same port 40001 (no reuse delay)" \
    has "$tmp/fc.json" "$tcp" '"outside":"203.0.113.100:40001","remaps":\[{"at":70.005,"outside":"203.0.113.100:40001"'
check "nat.port_reuse_delay=2m: re-mapped to another port (40001 rests)" sh -c \
    "grep -F '$tcp' '$tmp/rd.json' | grep -q '\"outside\":\"203.0.113.100:40001\",\"remaps\":\[{\"at\":70.005,\"outside\":\"203.0.113.100:[0-9]*\"' &&
     ! grep -F '$tcp' '$tmp/rd.json' | grep -q '\"at\":70.005,\"outside\":\"203.0.113.100:40001\"'"
check "nat.rebind_every=50ms: the TCP rebound at 5.100, then re-mapped at 70.005" \
    has "$tmp/rb.json" "$tcp" '"remaps":\[{"at":5.1,"outside":"[0-9.:]*","why":"rebind"},{"at":70.005,[^]]*"why":"pickup"}\]'
check "summaries: translated and re-mapped flows counted" sh -c \
    "grep -q '\"translated\":4,\"remapped\":1' '$tmp/fc.json' &&
     grep -q '\"translated\":3,\"remapped\":1' '$tmp/pr.json'"
# compare: filtered / no_mapping per profile, every profile under the --set
# shellcheck disable=SC2086 # P2P and NAT are lists of options
"$NATBOX" compare "$data/p2p.pcap" $P2P $NAT --json >"$tmp/c.json" 2>/dev/null
check "compare: full-cone refuses 0 by filtering, 1 without mapping" \
    grep -q '"policy":"full-cone",.*"nat_filtered":0,"nat_no_mapping":1,' "$tmp/c.json"
check "compare: port-restricted refuses 2 by filtering, 1 without mapping" \
    grep -q '"policy":"port-restricted",.*"nat_filtered":2,"nat_no_mapping":1,' "$tmp/c.json"
check "compare: symmetric refuses 3 without mapping" \
    grep -q '"policy":"symmetric",.*"nat_filtered":0,"nat_no_mapping":3,' "$tmp/c.json"
for p in full-cone port-restricted symmetric; do
	nat_replay --policy "$p" | grep '"type":"summary"' |
	    sed 's/.*"broken":\([0-9]*\),.*"dropped_packets":\([0-9]*\),.*/\1 \2/' >"$tmp/a"
	grep "\"type\":\"profile\",\"policy\":\"$p\"" "$tmp/c.json" |
	    sed 's/.*"broken":\([0-9]*\),.*"dropped_packets":\([0-9]*\),.*/\1 \2/' >"$tmp/b"
	check "p2p: compare and replay agree under $p with translation" sh -c \
	    "test -s '$tmp/a' && cmp '$tmp/a' '$tmp/b'"
done
# shellcheck disable=SC2086
same_as_full "$data/p2p.pcap" $NAT
# untranslated: no outside column, no NAT fields or classes
"$NATBOX" replay "$data/p2p.pcap" --policy full-cone --format json >"$tmp/u.json" 2>/dev/null
"$NATBOX" compare "$data/p2p.pcap" $P2P --json >"$tmp/uc.json" 2>/dev/null
check "untranslated: no outside, remaps or nat classes" sh -c \
    "! grep -q -e '\"outside\"' -e '\"remaps\"' -e '\"translated\"' '$tmp/u.json' &&
     ! grep -q -e 'nat_filtered' -e 'nat_no_mapping' '$tmp/uc.json'"

# ---- nothing breaks under rfc5382; compare agrees with replay ----

echo "== rfc5382 breaks nothing; compare = replay per profile"
for f in $HANDMADE $LAB; do
	"$NATBOX" compare "$data/$f" --policy rfc5382 --json >"$tmp/c.json" 2>/dev/null
	check "$f: rfc5382 breaks no flow" grep -q '"policy":"rfc5382".*"broken":0,' "$tmp/c.json"
done
for f in idle.pcap lab-halfclose-v4.pcap rst.pcap midstream.pcap dgram.pcap; do
	"$NATBOX" compare "$data/$f" --policy rfc5382 --policy aws-natgw --policy "$FK2" \
	    --policy rst-blackhole --policy juniper-srx --json >"$tmp/c.json" 2>/dev/null
	for p in rfc5382 aws-natgw "$FK2" rst-blackhole juniper-srx; do
		"$NATBOX" replay "$data/$f" --policy "$p" --format json >"$tmp/r.json" 2>/dev/null
		a=$(grep '"type":"summary"' "$tmp/r.json" | sed 's/.*"broken":\([0-9]*\).*"dropped_packets":\([0-9]*\),.*/\1 \2/')
		b=$(grep "\"type\":\"profile\",\"policy\":\"$p\"" "$tmp/c.json" |
		    sed 's/.*"broken":\([0-9]*\),.*"dropped_packets":\([0-9]*\),.*/\1 \2/')
		check "$f: compare and replay agree under $p ($a / $b)" test -n "$a" -a "$a" = "$b"
	done
done

# ---- the same packets in every framing give the same flows ----

echo "== link layers and file formats"
"$NATBOX" replay "$data/basic.pcap" --policy "$FK2" | grep -v '^#' >"$tmp/ref.txt"
for v in "--link vlan" "--link qinq" "--link sll" "--link sll2" "--link raw" "--link null" \
    "--link pppoe" "--link mpls" "--pcapng" "--nano" "--pcapng --link sll" \
    "--link ppp" "--link ppp-hdlc" "--link chdlc" "--link ppp-ether" "--link nflog" \
    "--link nflog --swap" "--link wifi" "--link radiotap" "--link fddi" "--link null-be" \
    "--link loop" "--link gre" "--link erspan1" "--link erspan2" "--link erspan3" \
    "--link vxlan" "--link geneve" "--link gtpu" "--link ipip" "--link mpls2" "--link pbb" \
    "--link vntag" "--link vxlan-gre" "--pcapng --link nflog"; do
	# shellcheck disable=SC2086 # v is a list of options
	"$MKCAP" $v basic "$tmp/v.cap" || bad "mkcap $v"
	"$NATBOX" replay "$tmp/v.cap" --policy "$FK2" | grep -v '^#' >"$tmp/v.txt"
	check "basic with $v: same flow lines as Ethernet" cmp "$tmp/ref.txt" "$tmp/v.txt"
done
"$MKCAP" --link ipv4 rst "$tmp/v4.cap" && "$MKCAP" rst "$tmp/e4.cap"
"$NATBOX" replay "$tmp/v4.cap" --policy rst-blackhole | grep -v '^#' >"$tmp/a.txt"
"$NATBOX" replay "$tmp/e4.cap" --policy rst-blackhole | grep -v '^#' >"$tmp/b.txt"
check "rst with --link ipv4 (DLT_IPV4): same flow lines" cmp "$tmp/a.txt" "$tmp/b.txt"
# Teredo carries IPv6 only
"$MKCAP" --link teredo ipv6ext "$tmp/t6.cap" && "$MKCAP" ipv6ext "$tmp/e6.cap"
"$NATBOX" replay "$tmp/t6.cap" --policy rfc5382 | grep -v '^#' >"$tmp/a.txt"
"$NATBOX" replay "$tmp/e6.cap" --policy rfc5382 | grep -v '^#' >"$tmp/b.txt"
check "ipv6ext in Teredo: same flow lines" cmp "$tmp/a.txt" "$tmp/b.txt"
# every flow of a tunneled capture names its tunnel; none of Ethernet's
"$MKCAP" --link geneve dgram "$tmp/g.cap"
"$NATBOX" replay "$tmp/g.cap" --policy rfc5382 --format json >"$tmp/g.json"
check "geneve: every flow names its tunnel" sh -c "test \$(grep -c '\"type\":\"flow\"' '$tmp/g.json') = \
    \$(grep -c '\"tunnel\":\"geneve \\[2001:db8:ff::[12]\\]:50000->\\[2001:db8:ff::[12]\\]:6081\"' '$tmp/g.json')"
"$NATBOX" replay "$data/vlan.pcap" --policy rfc5382 | grep -q '89 VLAN-tagged'
check "vlan.pcap: every frame counted as tagged" test $? = 0

# ---- capture quirks: TSO, time going back, a damaged fraction of a second ----

echo "== capture quirks"
"$NATBOX" replay "$data/tso.pcap" --policy rfc5382 | grep -v '^#' >"$tmp/a.txt"
"$NATBOX" replay "$data/basic.pcap" --policy rfc5382 | grep -v '^#' >"$tmp/b.txt"
check "TSO segments: the flows of the same packets cut by the NIC" cmp "$tmp/a.txt" "$tmp/b.txt"
# two interfaces' captures one after the other (mergecap -a): the second
# starts 3 s before the first ends; replayed to the end, counted, no hang
cp "$data/basic.pcap" "$tmp/merged.pcap"
tail -c +25 "$data/midstream.pcap" >>"$tmp/merged.pcap"
check "a capture going back in time replays to the end" sh -c \
    "timeout 60 '$NATBOX' replay '$tmp/merged.pcap' --policy rfc5382 >'$tmp/m.txt'"
check "... saying how many packets were put back in order" \
    grep -q '^# 21 packets out of time order (two interfaces merged?): put back in order' "$tmp/m.txt"
check "... with the flows of both" grep -q '^# rfc5382: 6 flows' "$tmp/m.txt"
# every 3rd record stamped 3 ms early (two interfaces, clocks apart):
# sorted for the engines, counted; Zeek's labels read the file's order
"$MKCAP" --skew 3000 basic "$tmp/skew.pcap"
"$NATBOX" replay "$tmp/skew.pcap" --policy rfc5382 --format json >"$tmp/s.json"
check "reordered within the window: counted, none too late" \
    grep -q '"time_backwards":0,"time_reordered":18,' "$tmp/s.json"
"$NATBOX" replay "$tmp/skew.pcap" --policy rfc5382 --format zeek | grep -v '^#' | cut -f3-7,12,16-20 >"$tmp/l1"
"$NATBOX" replay "$data/basic.pcap" --policy rfc5382 --format zeek | grep -v '^#' | cut -f3-7,12,16-20 >"$tmp/l2"
check "... Zeek's labels as in the capture's own order" cmp "$tmp/l1" "$tmp/l2"
# a capture that goes back by far more than the window, past a chunk
# already handed on: the late packets are taken at the last time, counted
if [ -f "$tmp/bench.pcap" ]; then
	cp "$tmp/bench.pcap" "$tmp/late.pcap"
	tail -c +25 "$data/basic.pcap" >>"$tmp/late.pcap"
	check "too late to reorder: replayed to the end, counted" sh -c \
	    "timeout 120 '$NATBOX' replay '$tmp/late.pcap' --policy rfc5382 --format json |
	    grep -q '\"time_backwards\":88,'"
fi
# the first record's microseconds made -16 (0xfffffff0): counted, taken
# at the whole second, the same by both readers
cp "$data/basic.pcap" "$tmp/usec.pcap"
printf '\360\377\377\377' | dd of="$tmp/usec.pcap" bs=1 seek=28 conv=notrunc 2>/dev/null
"$NATBOX" replay "$tmp/usec.pcap" --policy rfc5382 >"$tmp/u.txt"
check "a fraction of a second out of range: reported" \
    grep -q '^# 1 records with a fraction of a second out of range' "$tmp/u.txt"
check "... and the capture starts at its whole second" grep -q 'from 2024-05-01 10:00:00.000000Z' "$tmp/u.txt"

# ---- packet counts agree with tcpdump ----

[ $have_tcpdump = 1 ] && echo "== packet counts against tcpdump"
for f in basic.pcap midstream.pcap simultaneous.pcap rst.pcap vlan.pcap sll2.pcapng \
    gaps.pcap idle.pcap $LAB; do
	[ $have_tcpdump = 1 ] || { skip_tcpdump=$((skip_tcpdump + 1)); continue; }
	flt=tcp
	[ "$f" = vlan.pcap ] && flt='vlan and tcp'
	want=$(tcpdump -nn -r "$data/$f" "$flt" 2>/dev/null | wc -l)
	got=$("$NATBOX" replay "$data/$f" --policy rfc5382 --format json 2>/dev/null |
	    sed -n 's/.*"tcp_packets":\([0-9]*\).*/\1/p')
	check "$f: $want TCP packets (tcpdump), natbox says $got" test "$want" = "$got"
done

# ---- UDP, ICMP and other flows: what the dgram goldens say, asserted ----

echo "== UDP, ICMP and other flows (dgram.pcap)"
# has FILE SPORT PROTO TEXT: the flow line of that source port (an ICMP
# query's identifier, another protocol's number) and protocol holds TEXT
has() {
	grep "\"type\":\"flow\".*\"sport\":$2,\"dport\":[0-9]*,\"natbox_proto\":\"$3\"" "$1" | grep -q -- "$4"
}
"$NATBOX" replay $data/dgram.pcap --policy linux-conntrack --format json >"$tmp/dl.json" 2>/dev/null
check "dgram: DNS is udp, SF, history Dd" has "$tmp/dl.json" 53001 udp '"conn_state":"SF","missed_bytes":0,"history":"Dd"'
check "dgram: DNS over IPv6 too" has "$tmp/dl.json" 53002 udp '"conn_state":"SF",.*"family":6,'
check "dgram: datagrams never answered: S0, history D" \
    has "$tmp/dl.json" 5060 udp '"conn_state":"S0",.*"history":"D",.*"resp_pkts":0,'
check "dgram: the keepalive is replied for more than 2 s: UDP_REPLIED" \
    has "$tmp/dl.json" 4500 udp '"conn_state":"SF",.*"state":"UDP_REPLIED"'
check "dgram: ping is icmp, OTH, no history" has "$tmp/dl.json" 1234 icmp '"conn_state":"OTH","missed_bytes":0,"orig_pkts"'
check "dgram: ping6 is icmpv6" has "$tmp/dl.json" 4321 icmpv6 '"conn_state":"OTH",.*"family":6,'
# Zeek's timeouts (60 s for UDP, ICMP and other protocols) split what
# natbox's flows keep whole: ESP's first Zeek connection has 6 of its 7
check "dgram: ESP is protocol 50 (Zeek's unknown_transport), OTH" has "$tmp/dl.json" 50 50 \
    '"proto":"unknown_transport",.*"conn_state":"OTH",.*"orig_pkts":6,'
# natbox's trackers count an ICMP error for the flow it quotes; Zeek makes
# it an ICMP connection of its own (type 3, code 3), so the UDP one is S0
check "dgram: the port unreachables are not the UDP flow's replies in Zeek's labels: S0" \
    has "$tmp/dl.json" 33434 udp '"conn_state":"S0",.*"resp_pkts":0,'
check "dgram: the unreachable quoting no flow is of no flow" grep -q '"stray_packets":1,' "$tmp/dl.json"
check "dgram: packets and flows by protocol" grep -q \
    '"udp_packets":17,"icmp_packets":21,"other_packets":14,.*"udp_flows":5,"icmp_flows":2,"other_flows":1,' \
    "$tmp/dl.json"
# linux-conntrack's 120 s stream timeout cuts the keepalive's 140 s waits;
# it picks the flow up again (a NAT would map it anew), breaking nothing
check "linux-conntrack: the keepalive's state lost at 123.95 (expired:udp), picked up" \
    has "$tmp/dl.json" 4500 udp '"broken":false,.*"state_lost_at":123.95,"state_lost_reason":"expired:udp","picked_up":true'
check "linux-conntrack: the unanswered datagrams' at 59.9 (expired:udp_unreplied)" \
    has "$tmp/dl.json" 5060 udp '"state_lost_at":59.9,"state_lost_reason":"expired:udp_unreplied","picked_up":true'
check "linux-conntrack: ping's at 34.91 (expired:icmp), ESP's at 709.92 (expired:other)" sh -c \
    "grep '\"natbox_proto\":\"icmp\"' '$tmp/dl.json' | grep -q '\"state_lost_at\":34.91,\"state_lost_reason\":\"expired:icmp\"' &&
     grep '\"natbox_proto\":\"50\"' '$tmp/dl.json' | grep -q '\"state_lost_at\":709.92,\"state_lost_reason\":\"expired:other\"'"
check "linux-conntrack: breaks no flow" grep -q '"type":"summary".*"broken":0,"broken_midstream":0,"picked_up":4,' \
    "$tmp/dl.json"
# panos (UDP 30 s, other 30 s, later packets dropped): the responder speaks
# first after the wait, into the tombstone: dropped, broken
"$NATBOX" replay $data/dgram.pcap --policy panos --format json >"$tmp/dp.json" 2>/dev/null
check "panos: the server's datagram after 140 s dropped: keepalive broken at 143.9 (expired:udp)" \
    has "$tmp/dp.json" 4500 udp '"broken":true,"broken_at":143.9,"reason":"expired:udp",.*"dropped_packets":1,'
check "panos: ESP's responder after 50 s dropped: broken at 109.9 (expired:other)" \
    has "$tmp/dp.json" 50 50 '"broken":true,"broken_at":109.9,"reason":"expired:other"'
check "panos: the unanswered datagrams' originator makes the mapping again: picked up" \
    has "$tmp/dp.json" 5060 udp '"broken":false,.*"picked_up":true'
# cisco-asa (ICMP 2 s): the echo reply 2.5 s late finds no session
"$NATBOX" replay $data/dgram.pcap --policy cisco-asa --format json >"$tmp/da.json" 2>/dev/null
check "cisco-asa: the late echo reply dropped, ping broken at 48.4 (expired:icmp)" \
    has "$tmp/da.json" 1234 icmp '"broken":true,"broken_at":48.4,"reason":"expired:icmp"'
check "cisco-asa: ping6's echoes a second apart pass" has "$tmp/da.json" 4321 icmpv6 '"broken":false,.*"picked_up":false'
"$NATBOX" replay $data/dgram.pcap --policy "linux-conntrack,icmp.errors=drop" --format json >"$tmp/de.json" 2>/dev/null
check "icmp.errors=drop: both port unreachables dropped, the UDP flow broken at 9.901" \
    has "$tmp/de.json" 33434 udp '"broken":true,"broken_at":9.901,"reason":"icmp_error",.*"dropped_packets":2,'
check "icmp.errors=pass (linux-conntrack): the port unreachables pass" \
    has "$tmp/dl.json" 33434 udp '"broken":false,.*"picked_up":false'
# shellcheck disable=SC2086 # DG is a list of options
"$NATBOX" compare $data/dgram.pcap $DG --json >"$tmp/dc.json" 2>/dev/null
check "compare: panos breaks a UDP flow and an ESP one (other_proto)" \
    grep -q '"policy":"panos",.*"broken":2,.*"other":0,"udp":1,"icmp":0,"other_proto":1,' "$tmp/dc.json"
check "compare: cisco-asa breaks a UDP flow and an ICMP one" \
    grep -q '"policy":"cisco-asa",.*"broken":2,.*"udp":1,"icmp":1,"other_proto":0,' "$tmp/dc.json"
check "compare: rfc4787's 5 min keep every mapping but ESP's after 700 s" \
    grep -q '"policy":"rfc4787",.*"broken":0,"broken_midstream":0,"picked_up":1,' "$tmp/dc.json"
"$NATBOX" compare $data/dgram.pcap --policy rfc5382 --policy panos --policy cisco-asa >"$tmp/dc.txt" 2>/dev/null
check "compare's table: panos, cisco-asa in the udp column; cisco-asa in icmp" awk '
	/^profile/ { for (i = 1; i <= NF; i++) col[$i] = i }
	$1 == "panos" { p = $col["udp"] == 1 && $col["icmp"] == 0 }
	$1 == "cisco-asa" { a = $col["udp"] == 1 && $col["icmp"] == 1 }
	$1 == "rfc5382" { r = $col["broken"] == 0 }
	END { exit !(p && a && r) }' "$tmp/dc.txt"
if [ $have_tcpdump = 1 ]; then
	for fk in "udp:udp" "icmp or icmp6:icmp" "ip proto 50:other"; do
		want=$(tcpdump -nn -r "$data/dgram.pcap" "${fk%:*}" 2>/dev/null | wc -l)
		got=$(sed -n "s/.*\"${fk#*:}_packets\":\([0-9]*\).*/\1/p" "$tmp/dl.json")
		check "dgram.pcap: $want packets for '${fk%:*}' (tcpdump), natbox's ${fk#*:} $got" \
		    test "$want" = "$got"
	done
else
	skip_tcpdump=$((skip_tcpdump + 3))
fi
for v in "--link raw" "--link sll2" "--link vlan" "--link null" "--pcapng"; do
	# shellcheck disable=SC2086 # v is a list of options
	"$MKCAP" $v dgram "$tmp/v.cap" || bad "mkcap $v dgram"
	"$NATBOX" replay "$tmp/v.cap" --policy panos | grep -v '^#' >"$tmp/v.txt"
	"$NATBOX" replay "$data/dgram.pcap" --policy panos | grep -v '^#' >"$tmp/ref.txt"
	check "dgram with $v: same flow lines as Ethernet" cmp "$tmp/ref.txt" "$tmp/v.txt"
done

# ---- suggest: its profile breaks nothing; a second less breaks something ----

echo "== suggest, fed back to compare"
for f in gaps.pcap idle.pcap basic.pcap rst.pcap midstream.pcap simultaneous.pcap dgram.pcap \
    $LAB; do
	"$NATBOX" suggest "$data/$f" --name s >"$tmp/s.profile" 2>/dev/null
	"$NATBOX" compare "$data/$f" --policy "$tmp/s.profile" --json >"$tmp/c.json" 2>/dev/null
	check "$f: the suggested profile breaks no flow" grep -q '"type":"profile".*"broken":0,' "$tmp/c.json"
	check "$f: ... and keeps every mapping" grep -q '"type":"profile".*"picked_up":0,' "$tmp/c.json"
	"$NATBOX" suggest "$data/$f" --json >"$tmp/s.json" 2>/dev/null
	for ph in opening:opening established:established half_closed:half_closed \
	    closing:closing time_wait:time_wait closed:close udp_unreplied:udp_unreplied \
	    udp:udp icmp:icmp other:other; do
		name=${ph%%:*}
		key=${ph#*:}
		need=$(sed -n "s/.*\"$name\":{\"needs\":\([0-9]*\),\"longest_wait\":\([0-9.]*\|null\).*/\1 \2/p" "$tmp/s.json")
		n=${need% *}
		w=${need#* }
		[ -n "$need" ] || { bad "$f: suggest --json has no $name"; continue; }
		[ "$w" = null ] && continue		# no flow waited in this phase
		[ "$n" -ge 2 ] || continue		# a timeout must stay above 0s
		# a retransmitted SYN in the wait: shorter may pass too (below)
		grep -q "\"$name\":{[^}]*\"syn_in_wait\":true" "$tmp/s.json" && continue
		"$NATBOX" compare "$data/$f" --policy "$tmp/s.profile" \
		    --set "timeout.$key=$((n - 1))s" --json >"$tmp/c.json" 2>/dev/null
		case $key in
		udp*|icmp|other)
			# a datagram flow's originator may end the wait: its
			# mapping is lost and made again, nothing dropped
			check "$f: timeout.$key $((n - 1))s (a second under ${n}s) breaks a flow or loses its mapping" \
			    grep -q -e '"type":"profile".*"broken":[1-9]' \
			    -e '"type":"profile".*"picked_up":[1-9]' "$tmp/c.json" ;;
		*)
			check "$f: timeout.$key $((n - 1))s (a second under ${n}s) breaks a flow" \
			    grep -q '"type":"profile".*"broken":[1-9]' "$tmp/c.json" ;;
		esac
	done
done
# dgram.pcap: the longest waits, by phase; the keepalive's 140 s wait ends
# with the server's datagram, so a second less breaks it
"$NATBOX" suggest "$data/dgram.pcap" --name s >"$tmp/d.profile" 2>/dev/null
for kv in udp_unreplied=41s udp=140s icmp=40s other=700s; do
	check "dgram.pcap: suggests timeout.${kv%%=*} = ${kv#*=}" grep -q "^timeout.${kv%%=*} = ${kv#*=}\$" "$tmp/d.profile"
done
"$NATBOX" replay "$data/dgram.pcap" --policy "$tmp/d.profile" --set timeout.udp=139s --format json \
    >"$tmp/r.json" 2>/dev/null
check "dgram.pcap: timeout.udp 139s breaks the keepalive at 143.85 (expired:udp)" \
    has "$tmp/r.json" 4500 udp '"broken":true,"broken_at":143.9,"reason":"expired:udp"'
check "the suggested dgram profile passes policy check" "$NATBOX" policy check "$tmp/d.profile"
# SYN retransmissions: 3.1 s from the first SYN to the SYN-ACK, flagged;
# 4s and 3.05s behave as the wait says, 3s passes by way of the SYN at 3 s
if [ $have_tcpdump = 1 ]; then
	tcpdump -r "$data/gaps.pcap" -w "$tmp/syn.pcap" port 45004 2>/dev/null
	"$NATBOX" suggest "$tmp/syn.pcap" --json >"$tmp/s.json" 2>/dev/null
	check "SYN retransmissions: opening needs 4s, flagged syn_in_wait" \
	    grep -q '"opening":{"needs":4,"longest_wait":3.1,[^}]*"syn_in_wait":true' "$tmp/s.json"
	"$NATBOX" suggest "$tmp/syn.pcap" >"$tmp/syn.profile" 2>/dev/null
	for tb in 4s:0 3050ms:1 3s:0 1s:0; do
		"$NATBOX" compare "$tmp/syn.pcap" --policy "$tmp/syn.profile" \
		    --set "timeout.opening=${tb%:*}" --json >"$tmp/c.json" 2>/dev/null
		check "SYN retransmissions: opening ${tb%:*} breaks ${tb#*:} flows" \
		    grep -q "\"type\":\"profile\".*\"broken\":${tb#*:}," "$tmp/c.json"
	done
else
	skip_tcpdump=$((skip_tcpdump + 5))
fi
"$NATBOX" suggest "$data/gaps.pcap" --name s >"$tmp/g.profile" 2>/dev/null
for kv in opening=4s established=8s half_closed=5s closing=3s time_wait=2s close=2s; do
	check "gaps.pcap: suggests timeout.${kv%%=*} = ${kv#*=}" grep -q "^timeout.${kv%%=*} = ${kv#*=}\$" "$tmp/g.profile"
done
check "the suggested profile passes policy check" "$NATBOX" policy check "$tmp/g.profile"

# ---- --write-dropped ----

echo "== --write-dropped"
"$NATBOX" replay "$data/lab-halfclose-v4.pcap" --policy "$FK2" --write-dropped "$tmp/d.pcap" \
    --format json >"$tmp/r.json" 2>/dev/null
want=$(sed -n 's/.*"type":"summary".*"dropped_packets":\([0-9]*\),.*/\1/p' "$tmp/r.json")
if [ $have_tcpdump = 1 ]; then
	got=$(tcpdump -r "$tmp/d.pcap" 2>/dev/null | wc -l)
else
	got=$(sed -n 's/.*"written_dropped":\([0-9]*\).*/\1/p' "$tmp/r.json")
fi
check "every dropped packet written ($want), tcpdump reads $got" test -n "$want" -a "$want" = "$got" -a "$got" -gt 0
check "the dropped capture replays" "$NATBOX" replay "$tmp/d.pcap" --policy rfc5382

# ---- machine-readable output parses ----

if command -v python3 >/dev/null 2>&1; then
	echo "== JSON and SVG parse"
	for a in "replay $data/lab-halfclose-v4.pcap --policy $FK2 --format json --events -" \
	    "compare $data/idle.pcap --all --json --flows" "suggest $data/gaps.pcap --json" \
	    "compare $data/corrupt.pcap --policy rfc5382 --json" \
	    "replay $data/dgram.pcap --policy cisco-asa --format json --events -" \
	    "compare $data/dgram.pcap --all --json --flows" "suggest $data/dgram.pcap --json"; do
		# shellcheck disable=SC2086 # a is an argument list
		"$NATBOX" $a >"$tmp/j" 2>/dev/null
		check "JSON lines: natbox $a" python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    json.loads(line); n += 1
sys.exit(0 if n else 1)' "$tmp/j"
	done
	"$NATBOX" replay "$data/basic.pcap" --policy "$FK2" --svg "$tmp/r.svg" >/dev/null 2>&1
	"$NATBOX" compare "$data/idle.pcap" --all --svg "$tmp/c.svg" --svg-flows 2 --svg-broken >/dev/null 2>&1
	for s in r.svg c.svg; do
		check "$s is well-formed XML" python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/$s"
	done
	check "the replay SVG marks the break" grep -q 'broke this flow at 2.224' "$tmp/r.svg"
	"$NATBOX" compare "$data/dgram.pcap" --policy linux-conntrack --policy cisco-asa \
	    --svg "$tmp/d.svg" >/dev/null 2>&1
	check "d.svg is well-formed XML" python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/d.svg"
	check "the dgram SVG names lanes by protocol" sh -c "grep -q '>udp 198.51.100.11:4500 &gt; 203.0.113.4:4500<' '$tmp/d.svg' &&
	    grep -q '>icmpv6 \[2001:db8:1::c\]:4321 &gt;' '$tmp/d.svg' && grep -q '>50 198.51.100.14 &gt; 203.0.113.14<' '$tmp/d.svg'"
	check "the dgram SVG colours the datagram states and marks cisco-asa's ping break" sh -c \
	    "grep -q '>UDP_REPLIED<' '$tmp/d.svg' && grep -q 'fill=\"#35978f\"><title>UDP_REPLIED from' '$tmp/d.svg' &&
	    grep -q 'cisco-asa broke this flow at 48.400 (expired:icmp)' '$tmp/d.svg'"
	nprof=$(ls policies/*.profile | wc -l)
	check "the compare SVG has 2 flows x $nprof profiles lanes" \
	    test "$(grep -c 'fill="#f4f4f4"' "$tmp/c.svg")" = $((2 * nprof))
else
	echo "== no python3: JSON and SVG parse checks skipped"
	skip_python3=14
fi

# ---- the command line ----

echo "== exit statuses and messages"
st() {
	"$NATBOX" "$@" >"$tmp/o" 2>"$tmp/e"
	echo $?
}
check "replay without --policy: 2" test "$(st replay $data/basic.pcap)" = 2
check "replay without a capture: 2" test "$(st replay --policy rfc5382)" = 2
check "replay --format xml: 2" test "$(st replay $data/basic.pcap --policy rfc5382 --format xml)" = 2
check "replay, unknown profile: 2" test "$(st replay $data/basic.pcap --policy nosuch)" = 2
check "replay, bad --set: 2" test "$(st replay $data/basic.pcap --policy rfc5382 --set timeout.bogus=1s)" = 2
check "compare without --policy: 2" test "$(st compare $data/basic.pcap)" = 2
check "compare --policy with --all: 2" test "$(st compare $data/basic.pcap --policy rfc5382 --all)" = 2
check "compare --policy with --all: says why" grep -q -- '--all or --policy, not both' "$tmp/e"
check "suggest, two captures: 2" test "$(st suggest $data/basic.pcap $data/rst.pcap)" = 2
check "replay --help: 0" test "$(st replay --help)" = 0
check "the help says it is a what-if" grep -q 'what-if' "$tmp/o"
check "missing capture: 1" test "$(st replay /nonexistent/x.pcap --policy rfc5382)" = 1
check "missing capture: file: message" grep -q '^natbox: /nonexistent/x.pcap: No such file or directory$' "$tmp/e"
check "not a capture: 1" test "$(st replay policies/rfc5382.profile --policy rfc5382)" = 1
check "truncated: 1" test "$(st replay $data/truncated.pcap --policy rfc5382)" = 1
check "truncated: the report is printed" grep -q '198.51.100.2:40002' "$tmp/o"
check "truncated: file: message" grep -q "^natbox: $data/truncated.pcap: truncated dump file" "$tmp/e"
check "corrupt: 1" test "$(st suggest $data/corrupt.pcap)" = 1
check "corrupt: still a profile" grep -q '^timeout.established = ' "$tmp/o"
head -c 10 "$data/basic.pcap" >"$tmp/h.pcap"
check "header cut: 1" test "$(st compare "$tmp/h.pcap" --policy rfc5382)" = 1
check "stdin works" sh -c "'$NATBOX' replay - --policy rfc5382 <$data/rst.pcap | grep -q '9 flows'"
# a FIFO nobody writes to (open(2) would wait for a writer for good) reads
# as an empty capture; one named as the events file is refused; timeout
# only ends a hang (the check then fails), it measures nothing
mkfifo "$tmp/fifo"
check "a FIFO with no writer as the capture: an error, not a hang" sh -c \
    "timeout 20 '$NATBOX' replay '$tmp/fifo' --policy rfc5382 >/dev/null 2>&1; test \$? = 1"
check "a FIFO as the events file: refused" sh -c \
    "timeout 20 '$NATBOX' replay $data/basic.pcap --policy rfc5382 --events '$tmp/fifo' 2>&1 >/dev/null | grep -q 'not a regular file'"
check "a directory as the capture: says so" sh -c \
    "'$NATBOX' replay '$tmp' --policy rfc5382 2>&1 | grep -q 'is a directory'"
rm -f "$tmp/fifo"

# ---- natbox's pcap record reader gives libpcap's answers ----

echo "== natbox's pcap record reader against libpcap's"
# agree ARGS...: natbox's reader and libpcap's (NATBOX_PCAP_READER=libpcap)
# print the same, byte for byte, and exit the same; 0 if so
agree() {
	"$NATBOX" "$@" >"$tmp/ra" 2>&1
	echo "exit $?" >>"$tmp/ra"
	NATBOX_PCAP_READER=libpcap "$NATBOX" "$@" >"$tmp/rb" 2>&1
	echo "exit $?" >>"$tmp/rb"
	cmp -s "$tmp/ra" "$tmp/rb" && return 0
	echo "differs: natbox $*"
	diff "$tmp/rb" "$tmp/ra" | head -5
	return 1
}
# reader FILE: who reads its records
reader() {
	NATBOX_PCAP_DEBUG=1 "$NATBOX" replay "$1" --policy rfc5382 2>&1 >/dev/null |
	    sed -n 's/.*: \([a-z]*\) reads the records$/\1/p'
}
check "reader: natbox reads a classic pcap file" test "$(reader $data/basic.pcap)" = natbox
check "reader: libpcap reads pcapng" test "$(reader $data/sll2.pcapng)" = libpcap
check "reader: NATBOX_PCAP_READER=libpcap is obeyed" \
    test "$(NATBOX_PCAP_READER=libpcap reader $data/basic.pcap)" = libpcap
check "reader: libpcap reads stdin" sh -c "NATBOX_PCAP_DEBUG=1 '$NATBOX' replay - --policy rfc5382 \
    <$data/basic.pcap 2>&1 >/dev/null | grep -q 'libpcap reads'"
# a swapped Linux cooked file: libpcap swaps CAN IDs in it, so it reads it
"$MKCAP" --link sll --swap basic "$tmp/v.pcap"
check "reader: libpcap reads a swapped SLL file" test "$(reader "$tmp/v.pcap")" = libpcap
# NFLOG's TLVs likewise
"$MKCAP" --link nflog --swap basic "$tmp/v.pcap"
check "reader: libpcap reads a swapped NFLOG file" test "$(reader "$tmp/v.pcap")" = libpcap
# a named pipe whose writer is done: read by libpcap, and no second open()
# that would wait for a writer forever
mkfifo "$tmp/fifo"
cat $data/basic.pcap >"$tmp/fifo" &
sleep 0.2
check "reader: a named pipe is read (no hang)" sh -c "timeout 20 '$NATBOX' replay '$tmp/fifo' \
    --policy rfc5382 >'$tmp/fifo.out' && '$NATBOX' replay $data/basic.pcap --policy rfc5382 | \
    sed 's|$data/basic.pcap|$tmp/fifo|' | cmp -s - '$tmp/fifo.out'"
wait
# the file header's variants: byte order, precision, link types, and a
# header whose snap length is shorter than its records (libpcap cuts them)
for v in "" "--nano" "--swap" "--swap --nano" "--link sll" "--link raw" "--link vlan --swap" \
    "--snap 200 --hsnap 64" "--swap --nano --snap 300 --hsnap 60" "--link ppp" "--link ppp-hdlc" \
    "--link chdlc" "--link nflog" "--link wifi" "--link radiotap --swap" "--link fddi" \
    "--link null-be" "--link loop" "--link vxlan-gre" "--link erspan3 --snap 90" "--link tso"; do
	# shellcheck disable=SC2086 # one word per option
	"$MKCAP" $v basic "$tmp/v.pcap"
	check "reader [$v]: natbox reads it" test "$(reader "$tmp/v.pcap")" = natbox
	check "reader [$v]: replay agrees" agree replay "$tmp/v.pcap" --policy fin-kills-mapping --format json
	check "reader [$v]: compare agrees" agree compare "$tmp/v.pcap" --policy rfc5382 --policy aws-natgw --flows
done
for f in $data/*.pcap; do
	check "reader: replay $(basename "$f") agrees" agree replay "$f" --policy fin-kills-mapping
done
check "reader: a fraction of a second out of range, read alike" agree replay "$tmp/usec.pcap" \
    --policy rfc5382
# a file cut anywhere, caplens made garbage, bytes flipped anywhere
runs=0
diffs=0
# shellcheck disable=SC2086 # one word per option
for v in "" "--swap --nano" "--snap 120 --hsnap 70"; do
	"$MKCAP" $v rst "$tmp/w.pcap"
	size=$(wc -c <"$tmp/w.pcap")
	off=0
	while [ $off -le "$size" ]; do
		head -c $off "$tmp/w.pcap" >"$tmp/cut.pcap"
		runs=$((runs + 1))
		agree replay "$tmp/cut.pcap" --policy rfc5382 || diffs=$((diffs + 1))
		off=$((off + 13))
	done
	for n in 0 1 5 20; do
		"$MKCAP" $v --cut -$n rst "$tmp/g.pcap"
		runs=$((runs + 1))
		agree replay "$tmp/g.pcap" --policy rfc5382 || diffs=$((diffs + 1))
	done
	seed=1
	while [ $seed -le 40 ]; do
		"$MKCAP" --from "$tmp/w.pcap" --flips 8 --seed $seed mutate "$tmp/m.pcap"
		runs=$((runs + 1))
		agree replay "$tmp/m.pcap" --policy rfc5382 || diffs=$((diffs + 1))
		seed=$((seed + 1))
	done
done
echo "  $runs damaged files, $diffs differ"
check "reader: $runs damaged files read the same by both" test $diffs = 0
check "reader: the damaged files were many" test $runs -gt 300

# ---- damage anywhere never crashes (sanitizers on) ----

echo "== damaged input under ASan/UBSan ($ASAN)"
crashes=0
runs=0
damaged_run() {
	runs=$((runs + 1))
	"$ASAN" "$@" >/dev/null 2>"$tmp/san"
	_rc=$?
	if [ $_rc -gt 2 ] || grep -q -E 'Sanitizer|runtime error' "$tmp/san"; then
		crashes=$((crashes + 1))
		echo "crash (exit $_rc): natbox $*"
		head -5 "$tmp/san"
		cp "$2" "$tmp/crash.$crashes" 2>/dev/null
	fi
}
for f in basic.pcap sll2.pcapng ipv6ext.pcap rst.pcap dgram.pcap tunnels.pcap teredo.pcap \
    nflog.pcap radiotap.pcap; do
	size=$(wc -c <"$data/$f")
	step=$((size / 40 + 1))
	off=0
	while [ $off -lt "$size" ]; do
		head -c $off "$data/$f" >"$tmp/cut.cap"
		damaged_run replay "$tmp/cut.cap" --policy fin-kills-mapping
		off=$((off + step))
	done
	seed=1
	while [ $seed -le 25 ]; do
		"$MKCAP" --from "$data/$f" --flips 12 --seed $seed mutate "$tmp/m.cap"
		damaged_run compare "$tmp/m.cap" --policy rfc5382 --policy rst-blackhole --svg "$tmp/m.svg"
		damaged_run suggest "$tmp/m.cap"
		seed=$((seed + 1))
	done
done
check "no crash in $runs runs on damaged captures" test $crashes = 0

[ $skip_tcpdump = 0 ] || echo "skipped: $skip_tcpdump checks against tcpdump (tcpdump not installed)"
[ $skip_python3 = 0 ] || echo "skipped: $skip_python3 JSON and SVG parse checks (python3 not installed)"
echo "$passed passed, $failed failed, $((skip_tcpdump + skip_python3)) skipped"
[ "$failed" -eq 0 ]
