# shellcheck shell=sh
# framing.sh -- link layers, file formats and capture quirks change no flow;
# packet counts agree with tcpdump.
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

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
