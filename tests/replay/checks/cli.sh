# shellcheck shell=sh
# cli.sh -- suggest fed back to compare, --write-dropped, machine-readable
# output, exit statuses and messages.
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

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
# GRE (mkcap gre): its waits count in the other-protocol phase, and the
# profile times GRE's two timers (30 s and 180 s by default) the same
"$MKCAP" gre "$tmp/gre.pcap" >/dev/null 2>&1 || bad "mkcap gre"
"$NATBOX" suggest "$tmp/gre.pcap" --name s >"$tmp/g.profile" 2>/dev/null
for kv in other=200s gre_unreplied=200s gre=200s; do
	check "gre: suggests timeout.${kv%%=*} = ${kv#*=}" grep -q "^timeout.${kv%%=*} = ${kv#*=}\$" "$tmp/g.profile"
done
"$NATBOX" compare "$tmp/gre.pcap" --policy "$tmp/g.profile" --json >"$tmp/c.json" 2>/dev/null
check "gre: the suggested profile breaks no flow and keeps every mapping" \
    grep -q '"type":"profile".*"broken":0,.*"picked_up":0,' "$tmp/c.json"
for k in gre_unreplied=39s gre=199s; do
	"$NATBOX" compare "$tmp/gre.pcap" --policy "$tmp/g.profile" --set "timeout.$k" --json \
	    >"$tmp/c.json" 2>/dev/null
	check "gre: timeout.$k (under the tunnel's wait) loses its state" \
	    grep -q '"type":"profile".*"picked_up":1,' "$tmp/c.json"
done
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
