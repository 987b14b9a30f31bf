# shellcheck shell=sh
# whatif.sh -- the facts behind the what-if goldens: the seed against
# tcpdump, NAT behaviours on an inside capture, rfc5382 breaks nothing.
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

# ---- the seed: under fin-kills-mapping the half-closed flow breaks at the
# first packet 2 s (its T) after the client's FIN, for that reason ----

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
