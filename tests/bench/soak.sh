#!/bin/sh
# soak.sh [BUILD] -- natbox under hours-like churn, condensed: SOAK_MINS (10)
# minutes of new connections (txload crr, SOAK_WORKERS (2) threads each
# looping connect/request/echo/close) through natbox in the lab, while a
# ctl client asks for flows and stats in a loop. Prints natbox's VmRSS and
# open fds at the start (after warm-up) and at the end, and the figures
# the load and ctl got. Figures only: nothing passes or fails on time.
# Root (namespaces); LAB (nb-soak) and QUEUE (9) as for the scenarios.
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
E2E_DIR=$BENCH_DIR/../e2e
E2E_NAME=soak
LAB=${LAB:-nb-soak}
QUEUE=${QUEUE:-9}
MINS=${SOAK_MINS:-10}
WORKERS=${SOAK_WORKERS:-2}
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
cc -O2 -pthread -o "$E2E_TMP/txload" "$BENCH_DIR/txload.c" || { echo "soak: txload build failed"; exit 1; }
lab_up
run_in client sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
CTL=$E2E_TMP/ctl.sock
natbox_start --policy rfc5382 --ctl "$CTL" || { echo "soak: natbox did not bind"; exit 1; }
pid=$(bg_pid natbox)
bg_in server txsrv "$E2E_TMP/txload" server --addr "$SERVER4" --port 5300 --threads 2 \
	--timeout $((MINS * 60 + 60))
wait_listen server 5300 || { echo "soak: txload server did not listen"; exit 1; }

figures() {
	printf 'soak: %s: VmRSS %s kB, fds %s, flows %s\n' "$1" \
		"$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")" \
		"$(ls "/proc/$pid/fd" | wc -l)" \
		"$("$NATBOX" ctl --ctl "$CTL" stats 2>/dev/null | sed -n 's/^flows=//p')"
}

# the ctl client: flows and stats in a loop until the stop file
cat >"$E2E_TMP/ctlloop.sh" <<EOS
n=0 err=0
while [ ! -e "$E2E_TMP/stop" ]; do
	"$NATBOX" ctl --ctl "$CTL" flows >/dev/null 2>&1 || err=\$((err + 1))
	"$NATBOX" ctl --ctl "$CTL" stats >/dev/null 2>&1 || err=\$((err + 1))
	n=\$((n + 2))
done
echo "ctl requests=\$n errors=\$err"
EOS
bg_in client crr "$E2E_TMP/txload" crr --addr "$SERVER4" --port 5300 --workers "$WORKERS" \
	--size 64 --duration $((MINS * 60)) --warmup 0.5
e2e_sleep 5
figures "start (5 s in)"
sh "$E2E_TMP/ctlloop.sh" >"$(out ctlloop)" 2>&1 &
ctlpid=$!
E2E_PIDS="$E2E_PIDS $ctlpid"
bg_wait crr $((MINS * 60 + 60)) >/dev/null
touch "$E2E_TMP/stop"
wait "$ctlpid"
figures "end ($MINS min)"
printf 'soak: load: %s\n' "$(grep -E 'tps=' "$(out crr)" | tail -n 1)"
printf 'soak: %s\n' "$(cat "$(out ctlloop)")"
"$NATBOX" ctl --ctl "$CTL" stats 2>/dev/null | grep -E '^(packets|dropped|drop\.[a-z_:]+|ctl\.[a-z]+)=' |
	grep -v '=0$' | sed 's/^/soak: stats: /'
e2e_cleanup
trap - EXIT INT TERM	# figures only: no pass/fail summary
exit 0
