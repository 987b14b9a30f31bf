# shellcheck shell=sh
# lib.sh -- the replay tests' counters and helpers, and the captures and
# profiles more than one group of checks uses. Sourced by run.sh, which
# sets build, update, data, exp, helpers, tmp and, after it, NATBOX.

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

# the captures kept in tests/data: made by mkcap, recorded in the lab
HANDMADE="basic.pcap midstream.pcap simultaneous.pcap rst.pcap ipv6ext.pcap vlan.pcap
sll2.pcapng truncated.pcap corrupt.pcap snapcut.pcap gaps.pcap idle.pcap dgram.pcap
tunnels.pcap teredo.pcap nflog.pcap radiotap.pcap tso.pcap p2p.pcap zeek.pcap"
LAB="lab-halfclose-v4.pcap lab-halfclose-v6.pcap"

# the seed's profile: fin-kills-mapping with every closing timer at 2 s
FK2="fin-kills-mapping,timeout.half_closed=2s,timeout.closing=2s,timeout.time_wait=2s"
# UDP, ICMP, ICMPv6, a port unreachable, ESP (mkcap dgram): the profiles compared
DG="--policy rfc5382 --policy rfc4787 --policy linux-conntrack --policy panos --policy cisco-asa
--policy linux-conntrack,icmp.errors=drop"
# NAT what-ifs on a capture taken on the inside (mkcap p2p): every profile
# gets the --set; the profiles compared
NAT="--set nat.outside=203.0.113.100 --set nat.inside=198.51.100.0/24 --set timeout.established=60s"
P2P="--policy full-cone --policy port-restricted --policy symmetric"

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
