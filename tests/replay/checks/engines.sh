# shellcheck shell=sh
# engines.sh -- a synthetic load under stress settings, pinned; the shadow
# engines give the full engines' answers.
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

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
