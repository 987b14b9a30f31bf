# shellcheck shell=sh
# golden.sh -- the hand-made captures are what mkcap writes; natbox's outputs
# over them match tests/data/expected line by line.
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

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
