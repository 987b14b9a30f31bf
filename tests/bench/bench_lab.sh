#!/bin/sh
# shellcheck disable=SC2317 # trap handlers and wait_for predicates are called indirectly
# bench_lab.sh -- what sitting inline on the router's NFQUEUE costs: the same
# TCP workloads through the lab (tests/lab.sh) under three configurations,
#
#   no-queue   the router forwards on its own (LAB_NOQUEUE=1)
#   nfq-ex     libnetfilter_queue's example program (examples/nf-queue.c of
#              libnetfilter-queue-dev, built here, stdout to /dev/null):
#              the reference for "a trivial NFQUEUE consumer"
#   natbox     natbox run --queue N --policy rfc5382
#   natbox-nat the same, translating: the lab's NAT set-up (LAB_NAT=1, the
#              recipe natbox rules --nat prints), the client behind the
#              pool 203.0.113.100-101, every packet rewritten
#
# and for each one measures
#
#   (a) bulk throughput: iperf3, client -> server, IPv4, BENCH_SECS seconds
#       (plus 1 s not counted, -O 1), receiver's rate and sender's retransmits
#   (b) request/response: txload rr, BENCH_CONNS (50) connections each doing
#       64-byte request / 64-byte echo in a loop: transactions per second and
#       each transaction's round trip p50/p99
#   (c) new connections: txload crr, BENCH_WORKERS (4) threads each looping
#       connect / 64-byte request / echo / close: connections per second
#   (d) round-trip latency: txload rr with one connection and 1-byte
#       ping-pong for BENCH_PING_SECS; p50/p99, and what the queue adds
#       compared with no-queue
#
# then prints one table (metric x configuration) and the ratios natbox /
# no-queue for (a) and natbox / nfq-ex for (b) and (c), against the goals
# (>= 0.80 and >= 1.5). Figures only: it never fails on a time, it exits 0
# unless the setup fails (1), or 2 when not root.
#
# Environment: LAB=nbbench QUEUE=3 BENCH_SECS=5 BENCH_PING_SECS=3
#   BENCH_CONNS=50 BENCH_WORKERS=4 BENCH_SIZE=64 NATBOX=./natbox
#   BENCH_KEEP=1 (keep the temp dir with every program's output)
#
# Traffic stays between the lab's namespaces (RFC 5737 addresses only); every
# process started here is stopped by PID, the lab is taken down and the temp
# dir removed by the EXIT trap, on failure and on INT/TERM too. A full run
# takes about 80-90 s.

set -u

prog=${0##*/}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
LAB_SH=$ROOT/tests/lab.sh

LAB=${LAB:-nbbench}
QUEUE=${QUEUE:-3}
SECS=${BENCH_SECS:-5}
PING_SECS=${BENCH_PING_SECS:-3}
CONNS=${BENCH_CONNS:-50}
WORKERS=${BENCH_WORKERS:-4}
SIZE=${BENCH_SIZE:-64}
NATBOX=${NATBOX:-$ROOT/natbox}
export LAB QUEUE

SERVER4=203.0.113.2
RR_PORT=5300
IPERF_PORT=5201

NS_CLIENT=$LAB-client
NS_ROUTER=$LAB-router
NS_SERVER=$LAB-server

TMP=
PIDS=
LAB_UP=0
CLEANED=0

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	say "$*"
	exit 1
}

# --- cleanup ----------------------------------------------------------------

# forget_pid PID: drop a reaped child from PIDS. Once waited for, its PID
# may be reused by some other process, which cleanup must never signal.
forget_pid() {
	_keep=
	for _q in $PIDS; do
		[ "$_q" = "$1" ] || _keep="$_keep $_q"
	done
	PIDS=$_keep
}

# stop_pid PID: TERM, KILL after 2 s (bounded), reap, forget. Only for our
# own children not yet waited for (a zombie keeps its PID reserved).
stop_pid() {
	if pid_alive "$1"; then
		kill -TERM "$1" 2>/dev/null
		_i=0
		while [ $_i -lt 20 ] && pid_alive "$1"; do
			sleep 0.1
			_i=$((_i + 1))
		done
		pid_alive "$1" && kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	forget_pid "$1"
	return 0
}

# A finished child stays a zombie until waited for: count that as gone.
pid_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	case $_st in '' | Z | X) return 1 ;; esac
	return 0
}

stop_all() {
	for _p in $PIDS; do
		stop_pid "$_p"
	done
	PIDS=
}

lab_down() {
	if [ "$LAB_UP" = 1 ]; then
		LAB_QUIET=1 sh "$LAB_SH" down >/dev/null || say "lab down failed ($LAB)"
		LAB_UP=0
	fi
}

cleanup() {
	[ "$CLEANED" = 1 ] && return 0
	CLEANED=1
	stop_all
	lab_down
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			say "outputs kept in $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
}

on_exit() {
	_rc=$?
	cleanup
	exit "$_rc"
}

on_signal() {
	say "interrupted (SIG$1), cleaning up"
	trap - EXIT INT TERM
	cleanup
	exit "$2"
}

# --- helpers ----------------------------------------------------------------

# start_bg NS NAME CMD...: start in namespace NS, stdout/stderr to $TMP/NAME.out/.err;
# its PID (ip netns exec execs the command: the same process) in BG_PID.
start_bg() {
	_ns=$1
	_name=$2
	shift 2
	ip netns exec "$_ns" "$@" >"$TMP/$_name.out" 2>"$TMP/$_name.err" &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

# run_fg NS NAME SECS CMD...: run in NS bounded by SECS (killed after), in the
# background and waited for so INT/TERM interrupt at once. Its status.
run_fg() {
	_ns=$1
	_name=$2
	_secs=$3
	shift 3
	timeout -k 2 "$_secs" ip netns exec "$_ns" "$@" \
		>"$TMP/$_name.out" 2>"$TMP/$_name.err" &
	_pid=$!
	PIDS="$PIDS $_pid"
	wait "$_pid"
	_rc=$?
	# Interrupted by a trapped signal, the trap exits before this point.
	forget_pid "$_pid"
	return $_rc
}

# wait_for TENTHS CMD...: retry every 0.1 s, at most TENTHS times.
wait_for() {
	_n=$1
	shift
	_k=0
	while [ $_k -lt "$_n" ]; do
		"$@" && return 0
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}

listening() {
	[ -n "$(ip netns exec "$NS_SERVER" ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# queue_line: the router's /proc line for our queue (nfnetlink_queue is per
# namespace): queue portid waiting copy_mode copy_range q_dropped
# user_dropped id_sequence 1
queue_line() {
	ip netns exec "$NS_ROUTER" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk -v q="$QUEUE" '$1 == q { print; exit }'
}

queue_bound() {
	[ -n "$(queue_line)" ]
}

# kv FILE KEY: the value of KEY=value on FILE's last line that has it.
kv() {
	[ -r "$1" ] || return 0
	tr '[:blank:]' '\n' <"$1" | sed -n "s/^$2=//p" | tail -n 1
}

# put CONFIG METRIC VALUE: remember a figure (as a shell variable).
put() {
	eval "R_$1_$2=\${3:--}"
}

get() {
	eval "printf '%s' \"\${R_$1_$2:--}\""
}

# --- setup ------------------------------------------------------------------

if [ "$(id -u)" != 0 ]; then
	say "must be run as root (network namespaces, iptables, NFQUEUE)"
	exit 2
fi
case $QUEUE in '' | *[!0-9]*) say "QUEUE='$QUEUE': one queue number"; exit 2 ;; esac
for _v in "$SECS" "$PING_SECS" "$CONNS" "$WORKERS" "$SIZE"; do
	case $_v in '' | *[!0-9]* | 0) say "BENCH_* values are positive integers"; exit 2 ;; esac
done

trap on_exit EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/natbox-bench.XXXXXX") || die "mktemp failed"

command -v cc >/dev/null 2>&1 || die "no C compiler (cc)"
command -v pkg-config >/dev/null 2>&1 || die "no pkg-config"
if ! command -v iperf3 >/dev/null 2>&1; then
	say "installing iperf3"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null 2>&1 ||
		die "iperf3 missing and apt-get install -y iperf3 failed"
fi
[ -x "$NATBOX" ] || die "$NATBOX not built (run make)"

# The load generator.
cc -O2 -pthread -o "$TMP/txload" "$BENCH_DIR/txload.c" 2>"$TMP/cc-txload.err" ||
	die "building txload failed: $(cat "$TMP/cc-txload.err")"

# libnetfilter_queue's example, as packaged (maybe gzipped).
EX_SRC=
for _f in /usr/share/doc/libnetfilter-queue-dev/examples/nf-queue.c \
	/usr/share/doc/libnetfilter-queue-dev/examples/nf-queue.c.gz; do
	[ -r "$_f" ] && EX_SRC=$_f && break
done
[ -n "$EX_SRC" ] || die "no examples/nf-queue.c under /usr/share/doc/libnetfilter-queue-dev (apt-get install libnetfilter-queue-dev)"
case $EX_SRC in
*.gz) gzip -dc "$EX_SRC" >"$TMP/nf-queue.c" || die "gunzip $EX_SRC failed" ;;
*) cp "$EX_SRC" "$TMP/nf-queue.c" ;;
esac
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$TMP/nf-queue" "$TMP/nf-queue.c" \
	$(pkg-config --cflags --libs libnetfilter_queue libmnl) 2>"$TMP/cc-nfq.err" ||
	die "building nf-queue.c failed: $(cat "$TMP/cc-nfq.err")"

# --- one configuration --------------------------------------------------------

# run_config NAME: fresh lab, the queue consumer (if any), the four
# measurements, then everything stopped and the lab taken down.
run_config() {
	cfg=$1
	say "[$cfg] lab up"
	LAB_UP=1
	if [ "$cfg" = noq ]; then
		LAB_NOQUEUE=1 LAB_QUIET=1 sh "$LAB_SH" up || die "lab up failed"
	elif [ "$cfg" = natnat ]; then
		LAB_NAT=1 NATBOX=$NATBOX LAB_QUIET=1 sh "$LAB_SH" up || die "lab up (NAT) failed"
	else
		LAB_NOQUEUE=0 LAB_QUIET=1 sh "$LAB_SH" up || die "lab up failed"
	fi
	# crr opens ~10^4 connections a second, each leaving a TIME_WAIT socket
	# on the client: the widest port range, and reuse of TIME_WAIT ports
	# older than 1 s, keep connect() from running out of ports.
	ip netns exec "$NS_CLIENT" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
		net.ipv4.tcp_tw_reuse=1 >/dev/null || die "client sysctl failed"

	cons_pid=
	case $cfg in
	nfqex)
		start_bg "$NS_ROUTER" nfqex "$TMP/nf-queue" "$QUEUE"
		cons_pid=$BG_PID
		# its per-packet lines go nowhere: only the verdict loop is measured
		: >"$TMP/nfqex.out"
		;;
	natbox)
		# -v: only its start and closing lines (packets, bursts, verdict
		# messages), nothing per packet.
		start_bg "$NS_ROUTER" natbox "$NATBOX" run --queue "$QUEUE" --policy rfc5382 -v
		cons_pid=$BG_PID
		;;
	natnat)
		start_bg "$NS_ROUTER" natnat "$NATBOX" run --queue "$QUEUE" --policy rfc5382 -v \
			--set nat.outside=203.0.113.100-203.0.113.101 --set nat.inside=198.51.100.0/24
		cons_pid=$BG_PID
		;;
	esac
	if [ -n "$cons_pid" ]; then
		wait_for 50 queue_bound || die "[$cfg] nothing bound queue $QUEUE: $(cat "$TMP/$cfg.err")"
	fi

	start_bg "$NS_SERVER" txsrv "$TMP/txload" server --addr "$SERVER4" --port "$RR_PORT" \
		--threads 2 --timeout 120
	srv_pid=$BG_PID
	wait_for 50 listening "$RR_PORT" || die "[$cfg] txload server did not listen"

	# (d) latency first, on a quiet lab.
	say "[$cfg] (d) ping-pong latency, ${PING_SECS}s"
	run_fg "$NS_CLIENT" "$cfg-pp" $((PING_SECS + 15)) "$TMP/txload" rr --addr "$SERVER4" \
		--port "$RR_PORT" --conns 1 --size 1 --duration "$PING_SECS" --warmup 0.5 ||
		say "[$cfg] ping-pong failed: $(cat "$TMP/$cfg-pp.err")"
	put "$cfg" pp50 "$(kv "$TMP/$cfg-pp.out" p50_us)"
	put "$cfg" pp99 "$(kv "$TMP/$cfg-pp.out" p99_us)"

	# (b) many connections, request/response.
	say "[$cfg] (b) request/response, $CONNS connections, ${SECS}s"
	run_fg "$NS_CLIENT" "$cfg-rr" $((SECS + 20)) "$TMP/txload" rr --addr "$SERVER4" \
		--port "$RR_PORT" --conns "$CONNS" --size "$SIZE" --duration "$SECS" --warmup 0.5 ||
		say "[$cfg] rr failed: $(cat "$TMP/$cfg-rr.err")"
	put "$cfg" rr "$(kv "$TMP/$cfg-rr.out" tps)"
	put "$cfg" rr50 "$(kv "$TMP/$cfg-rr.out" p50_us)"
	put "$cfg" rr99 "$(kv "$TMP/$cfg-rr.out" p99_us)"
	put "$cfg" rrerr "$(kv "$TMP/$cfg-rr.out" errors)"

	# (c) new connections.
	say "[$cfg] (c) connect/request/response/close, $WORKERS workers, ${SECS}s"
	run_fg "$NS_CLIENT" "$cfg-crr" $((SECS + 20)) "$TMP/txload" crr --addr "$SERVER4" \
		--port "$RR_PORT" --workers "$WORKERS" --size "$SIZE" --duration "$SECS" --warmup 0.5 ||
		say "[$cfg] crr failed: $(cat "$TMP/$cfg-crr.err")"
	put "$cfg" crr "$(kv "$TMP/$cfg-crr.out" tps)"
	put "$cfg" crr50 "$(kv "$TMP/$cfg-crr.out" p50_us)"
	put "$cfg" crr99 "$(kv "$TMP/$cfg-crr.out" p99_us)"
	put "$cfg" crrmean "$(kv "$TMP/$cfg-crr.out" mean_us)"
	put "$cfg" crrerr "$(kv "$TMP/$cfg-crr.out" errors)"
	stop_pid "$srv_pid"

	# (a) bulk throughput.
	say "[$cfg] (a) iperf3, ${SECS}s"
	start_bg "$NS_SERVER" iperfsrv iperf3 -s -1 -4 -B "$SERVER4" -p "$IPERF_PORT"
	ipsrv_pid=$BG_PID
	if wait_for 50 listening "$IPERF_PORT"; then
		run_fg "$NS_CLIENT" "$cfg-iperf" $((SECS + 20)) iperf3 -4 -c "$SERVER4" \
			-p "$IPERF_PORT" -t "$SECS" -O 1 -f m ||
			say "[$cfg] iperf3 failed: $(cat "$TMP/$cfg-iperf.err")"
		put "$cfg" bulk "$(awk '/receiver/ { for (i = 2; i <= NF; i++)
			if ($i == "Mbits/sec") v = $(i - 1) } END { print v }' "$TMP/$cfg-iperf.out")"
		put "$cfg" retr "$(awk '/sender/ { for (i = 2; i <= NF; i++)
			if ($i == "Mbits/sec") v = $(i + 1) } END { print v }' "$TMP/$cfg-iperf.out")"
	else
		say "[$cfg] iperf3 server did not listen"
	fi
	stop_pid "$ipsrv_pid"

	# The consumer must have seen the traffic: with --queue-bypass a dead
	# consumer would silently turn this into a no-queue run.
	if [ -n "$cons_pid" ]; then
		ql=$(queue_line)
		put "$cfg" qpkts "$(printf '%s\n' "$ql" | awk '{ print $8 }')"
		put "$cfg" qdrop "$(printf '%s\n' "$ql" | awk '{ print $6 "/" $7 }')"
		pid_alive "$cons_pid" || say "[$cfg] WARNING: the queue consumer died during the run: $(tail -n 3 "$TMP/$cfg.err")"
		stop_pid "$cons_pid"
	fi
	if [ "$cfg" = natbox ] || [ "$cfg" = natnat ]; then
		# natbox's closing line: packets, bursts, max burst
		put "$cfg" stats "$(grep -E 'packets in [0-9]+ bursts' "$TMP/$cfg.err" | tail -n 1 |
			sed 's/^[^:]*: *//')"
	fi
	stop_all
	lab_down
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "load: $LOAD0 on $(nproc) CPUs; lab $LAB, queue $QUEUE; veth offloads $( [ "${LAB_OFFLOAD:-0}" = 1 ] && echo on || echo off) (LAB_OFFLOAD=1 turns them on)"
for c in noq nfqex natbox natnat; do
	run_config "$c"
done

# --- report -----------------------------------------------------------------

row() {
	printf '%-40s %12s %12s %12s %12s\n' "$1" "$(get noq "$2")" "$(get nfqex "$2")" \
	    "$(get natbox "$2")" "$(get natnat "$2")"
}

# added LABEL METRIC: "config - no-queue" for every configuration, as a row.
added() {
	_base=$(get noq "$2")
	_a=$(awk -v b="$_base" -v v="$(get nfqex "$2")" 'BEGIN { if (b ~ /^[0-9.]+$/ && v ~ /^[0-9.]+$/) print v - b; else print "-" }')
	_n=$(awk -v b="$_base" -v v="$(get natbox "$2")" 'BEGIN { if (b ~ /^[0-9.]+$/ && v ~ /^[0-9.]+$/) print v - b; else print "-" }')
	_t=$(awk -v b="$_base" -v v="$(get natnat "$2")" 'BEGIN { if (b ~ /^[0-9.]+$/ && v ~ /^[0-9.]+$/) print v - b; else print "-" }')
	printf '%-40s %12s %12s %12s %12s\n' "$1" 0 "$_a" "$_n" "$_t"
}

ratio() {
	awk -v a="$2" -v b="$3" -v goal="$4" -v what="$1" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) {
			printf "%-40s %12s   (goal >= %s: no figure)\n", what, "-", goal
			exit
		}
		r = a / b
		printf("%-40s %12.2f   (goal >= %s: %s)\n", what, r, goal, (r >= goal) ? "met" : "NOT met")
	}'
}

echo
printf 'natbox lab benchmark: %s CPUs, load average before %s, after %s; %ss windows, IPv4\n' \
	"$(nproc)" "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)" "$SECS"
printf '%-40s %12s %12s %12s %12s\n' metric no-queue nfq-example natbox natbox-nat
printf '%-40s %12s %12s %12s %12s\n' ---------------------------------------- ------------ ------------ ------------ ------------
row "(a) bulk throughput, Mbit/s" bulk
row "(a) sender retransmits" retr
row "(b) request/response, transactions/s" rr
row "(b) per-transaction RTT p50, us" rr50
row "(b) per-transaction RTT p99, us" rr99
row "(b) errors" rrerr
row "(c) new connections/s" crr
row "(c) per-connection time p50, us" crr50
row "(c) per-connection time p99, us" crr99
row "(c) per-connection time mean, us" crrmean
row "(c) errors" crrerr
row "(d) ping-pong RTT p50, us" pp50
row "(d) ping-pong RTT p99, us" pp99
added "(d) added RTT p50, us (vs no-queue)" pp50
added "(d) added RTT p99, us (vs no-queue)" pp99
row "packets through the queue" qpkts
row "queue drops (kernel/user)" qdrop
echo
ratio "(a) natbox / no-queue bulk" "$(get natbox bulk)" "$(get noq bulk)" 0.80
ratio "(b) natbox / nfq-example transactions" "$(get natbox rr)" "$(get nfqex rr)" 1.5
ratio "(c) natbox / nfq-example connections" "$(get natbox crr)" "$(get nfqex crr)" 1.5
ratio "(a) natbox-nat / nfq-example bulk" "$(get natnat bulk)" "$(get nfqex bulk)" 1.0
ratio "(b) natbox-nat / nfq-example transactions" "$(get natnat rr)" "$(get nfqex rr)" 1.5
ratio "(c) natbox-nat / nfq-example connections" "$(get natnat crr)" "$(get nfqex crr)" 1.5
[ "$(get natbox stats)" != - ] && printf 'natbox: %s\n' "$(get natbox stats)"
[ "$(get natnat stats)" != - ] && printf 'natbox-nat: %s\n' "$(get natnat stats)"
printf '(b) %s connections x %s-byte request/echo; (c) %s workers, %s-byte request/echo, client closes;\n' \
	"$CONNS" "$SIZE" "$WORKERS" "$SIZE"
printf '(d) one connection, 1-byte ping-pong for %ss. Figures only: goals are reported, never enforced.\n' "$PING_SECS"
exit 0
