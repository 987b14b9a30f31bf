#!/bin/sh
# record-lab.sh -- records the lab captures kept in tests/data (needs root):
# the seed's half-close (the client sends a request and shuts down its write
# side, the server streams for 4 s after that FIN) over IPv4 and IPv6, plus
# an echo exchange with an idle second, through a plain router (no NFQUEUE),
# captured with tcpdump on the router's server-side veth.
#
# usage: tests/replay/record-lab.sh OUTDIR
#
# Only the lab's documentation addresses are used, every wait is bounded, and
# the trap tears the lab down and ends what this script started, whatever
# happens. The captures are inputs of the golden tests: re-record only on
# purpose, then refresh the expected outputs (tests/replay/run.sh --update).
set -u

out=${1:?usage: record-lab.sh OUTDIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
LAB=${LAB:-nbr}
export LAB LAB_NOQUEUE=1 LAB_QUIET=1
NS_C="$LAB-client"
NS_R="$LAB-router"
NS_S="$LAB-server"
tmp=$(mktemp -d)
pids=""

cleanup() {
	for p in $pids; do
		kill -INT "$p" 2>/dev/null
	done
	sleep 0.5
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	"$here/tests/lab.sh" down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ "$(id -u)" = 0 ] || { echo "record-lab: needs root (namespaces)" >&2; exit 2; }
mkdir -p "$out" || exit 1
for p in tcpsrv tcpcli; do
	cc -std=gnu11 -O1 -g -I"$here/include" -D_GNU_SOURCE -o "$tmp/$p" \
	    "$here/tests/e2e/$p.c" -lpthread || exit 1
done
"$here/tests/lab.sh" up || exit 1

# record NAME: tcpdump on the router until stop_record
record() {
	ip netns exec "$NS_R" tcpdump -i to-server -s 96 -U -w "$out/$1" tcp \
	    2>"$tmp/tcpdump.$1" &
	rec=$!
	pids="$pids $rec"
	sleep 1.5
}

stop_record() {
	sleep 1
	kill -INT "$rec" 2>/dev/null
	wait "$rec" 2>/dev/null
}

server() {
	ip netns exec "$NS_S" "$tmp/tcpsrv" "$@" >>"$tmp/srv.log" 2>&1 &
	pids="$pids $!"
	sleep 0.3
}

# IPv4: an echo with a 1 s idle wait, then the seed's half-close.
record lab-halfclose-v4.pcap
server --addr 203.0.113.2 --port 5002 --mode echo --once --timeout 15
server --addr 203.0.113.2 --port 5001 --mode stream-after-fin --stream-secs 4 \
    --rate 4000 --once --timeout 20
ip netns exec "$NS_C" "$tmp/tcpcli" --addr 203.0.113.2 --port 5002 --mode idle \
    --idle-secs 1 --reply-timeout 3 --timeout 10 >>"$tmp/cli.log" 2>&1
ip netns exec "$NS_C" "$tmp/tcpcli" --addr 203.0.113.2 --port 5001 --mode half-close \
    --request-bytes 64 --idle-limit 3 --timeout 15 >>"$tmp/cli.log" 2>&1
stop_record

# IPv6: the half-close alone.
record lab-halfclose-v6.pcap
server --addr 2001:db8:2::2 --port 5003 --mode stream-after-fin --stream-secs 4 \
    --rate 4000 --once --timeout 20
ip netns exec "$NS_C" "$tmp/tcpcli" --addr 2001:db8:2::2 --port 5003 --mode half-close \
    --request-bytes 64 --idle-limit 3 --timeout 15 >>"$tmp/cli.log" 2>&1
stop_record

cat "$tmp/cli.log"
ls -l "$out"/lab-halfclose-v4.pcap "$out"/lab-halfclose-v6.pcap
