# shellcheck shell=sh
# dgram.sh -- UDP, ICMP and other flows: what the dgram goldens say, asserted.
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

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
