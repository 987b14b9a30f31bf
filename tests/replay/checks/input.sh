# shellcheck shell=sh
# input.sh -- natbox's pcap reader against libpcap's; damaged input never
# crashes (sanitizers on).
# Sourced by tests/replay/run.sh (from the repository's top), after lib.sh.

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
