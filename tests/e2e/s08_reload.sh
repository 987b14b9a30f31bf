#!/bin/sh
# s08_reload.sh -- SIGHUP under traffic. natbox runs a profile FILE that
# starts as Linux conntrack (ESTABLISHED 5 days); four connections through
# it, each to its own echo server port so natbox's events tell them apart:
#
#   B 5001  chatty: one request/echo every 0.5 s from start to end
#   A 5002  one exchange at the start, idle across the reload, one at the end
#   D 5003  the idle-cycler: exchanges at chosen moments
#   E 5004  opened after the bad reload
#
#   1. long profile: D idle 5 s, then an exchange: fine (control).
#   2. The file is rewritten (ESTABLISHED 3 s, expire.later = drop) and
#      natbox gets SIGHUP. D exchanges (its flow now runs on the 3 s timer),
#      idles 5 s: its next request is dropped, natbox says expired:idle.
#      B, never idle for more than 0.5 s, keeps working.
#   3. The file is rewritten with syntax errors (and a valid line setting
#      ESTABLISHED to 1 h) and natbox gets SIGHUP: natbox reports every
#      error as file:line: message on stderr, keeps running and keeps the
#      3 s profile: E, opened after it, exchanges, idles 5 s, is dropped.
#
# A, idle since before the first reload, shows what happens to a flow that
# sends nothing across a reload: natbox re-times every live flow under the
# new profile from its last packet, so A (idle longer than the new 3 s)
# expires at the reload and its next request is dropped. (The kernel, when
# a conntrack timeout sysctl changes, would keep A's old deadline until
# its next packet; natbox applies a change at once, which is what a user
# turning a knob to reproduce a bug expects.)
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-s08}
QUEUE=${QUEUE:-8}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

SHORT=3           # the reloaded ESTABLISHED timeout, seconds
IDLE=5            # idle periods (> SHORT, far below the long profile's)
RT=2.5            # reply timeout of one exchange
P=$E2E_TMP/s08.profile
EV=$E2E_TMP/natbox_events.out
ERR=$E2E_TMP/natbox.err

# --- the endpoint: one TCP connection, request/echo exchanges ---------------
# talker.sh ADDR PORT every INTERVAL MAX STOPFILE
#   an exchange every INTERVAL s until STOPFILE exists or the first failure
#   (at most MAX exchanges), then "talk result=... exchanges=N ok=N ..."
# talker.sh ADDR PORT fifo FIFO MAX
#   one exchange per "x" line read from FIFO, until "q" (at most MAX)
# Each exchange: "x n=N t=SECS result=ok|timeout|eof|mismatch|error rtt_ms=MS".
cat >"$E2E_TMP/talker.sh" <<'EOF'
#!/bin/bash
addr=$1 port=$2 mode=$3 arg=$4 max=$5 rt=${RT:-2.5}
trap '' PIPE
us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
t0=$(us)
secs() { local d=$(( $1 - t0 )); printf '%d.%03d' $((d / 1000000)) $((d % 1000000 / 1000)); }
if ! exec 3<>"/dev/tcp/$addr/$port"; then
	echo "talk result=connect_error"
	exit 1
fi
echo "connected t=$(secs "$(us)")"
n=0 ok=0 maxrtt=0 res=none
xchg() {
	local s e line
	n=$((n + 1))
	s=$(us)
	if ! printf 'ping %d\n' "$n" >&3 2>/dev/null; then
		res=error
	elif IFS= read -r -t "$rt" line <&3; then
		if [ "$line" = "ping $n" ]; then res=ok; else res=mismatch; fi
	elif [ $? -gt 128 ]; then
		res=timeout
	else
		res=eof
	fi
	e=$(us)
	[ "$res" = ok ] && ok=$((ok + 1))
	[ $(((e - s) / 1000)) -gt "$maxrtt" ] && maxrtt=$(((e - s) / 1000))
	echo "x n=$n t=$(secs "$e") result=$res rtt_ms=$(((e - s) / 1000))"
}
case $mode in
every)
	while [ "$n" -lt "$max" ] && [ ! -e "$6" ]; do
		xchg
		[ "$res" = ok ] || break
		sleep "$arg"
	done
	;;
fifo)
	exec 4<>"$arg"
	while [ "$n" -lt "$max" ] && IFS= read -r -t 60 cmd <&4; do
		[ "$cmd" = q ] && break
		xchg
	done
	;;
esac
echo "talk result=$res exchanges=$n ok=$ok max_rtt_ms=$maxrtt t=$(secs "$(us)")"
exec 3>&-
EOF
export RT

# xchg NAME: one exchange on fifo talker NAME; its result in XRES (empty if
# none within the bound). The fifo is opened read-write: that never blocks,
# even if the talker is gone.
# shellcheck disable=SC2034 # counters used through eval
XN_a=0 XN_d=0 XN_e=0
xchg() {
	_xn=0
	eval "XN_$1=\$((XN_$1 + 1)); _xn=\$XN_$1"
	XRES=
	echo x 1<>"$E2E_TMP/fifo_$1"
	if wait_line "$(out "talk_$1")" "^x n=$_xn " 10; then
		XRES=$(kv "$(out "talk_$1")" result "^x n=$_xn ")
	fi
}

# start_talker NAME PORT: echo server on PORT, fifo talker NAME to it.
start_talker() {
	bg_in server "srv_$1" "$TCPSRV" --addr "$SERVER4" --port "$2" --mode echo --once \
		--timeout 60
	wait_listen server "$2" || fail "$1: server listening on $2"
	mkfifo "$E2E_TMP/fifo_$1"
	bg_in client "talk_$1" bash "$E2E_TMP/talker.sh" "$SERVER4" "$2" fifo \
		"$E2E_TMP/fifo_$1" 20
	wait_line "$(out "talk_$1")" '^connected' 5 || fail "$1: connected to $2"
}

# flow_event EVENT DPORT [REASON]: natbox reported EVENT for that flow.
flow_event() {
	if [ -n "${3:-}" ]; then
		grep -E "\"event\":\"$1\".*\"dport\":$2,.*\"reason\":\"$3\"" "$EV" >/dev/null
	else
		grep -E "\"event\":\"$1\".*\"dport\":$2," "$EV" >/dev/null
	fi
}

# shellcheck disable=SC2317 # called through check
nb_alive() {
	bg_running natbox && queue_bound "$QUEUE"
}

# --- 1. the long profile ------------------------------------------------------
cat >"$P" <<EOF
# s08, phase 1: Linux conntrack as it is (ESTABLISHED 5 days)
inherit = linux-conntrack
name = s08-long
EOF
natbox_start --policy "$P" --format json -v || fail "natbox bound queue $QUEUE"
check "natbox runs the file's profile" wait_line "$ERR" 'profile s08-long' 5

bg_in server srv_b "$TCPSRV" --addr "$SERVER4" --port 5001 --mode echo --once --timeout 60
wait_listen server 5001 || fail "b: server listening on 5001"
bg_in client talk_b bash "$E2E_TMP/talker.sh" "$SERVER4" 5001 every 0.5 200 "$E2E_TMP/stop_b"
wait_line "$(out talk_b)" '^connected' 5 || fail "b: connected to 5001"
start_talker a 5002
start_talker d 5003

xchg a
assert_eq "long: A's first exchange" ok "$XRES"
xchg d
assert_eq "long: D's first exchange" ok "$XRES"
e2e_sleep "$IDLE"
xchg d
assert_eq "long: D idle ${IDLE}s, then an exchange: works under ESTABLISHED 5d" ok "$XRES"

# --- 2. reload to short timeouts ---------------------------------------------
cat >"$P" <<EOF
# s08, phase 2: ESTABLISHED ${SHORT}s; packets of an expired flow are dropped
inherit = linux-conntrack
name = s08-short
timeout.established = ${SHORT}s
expire.later = drop
EOF
kill -HUP "$(bg_pid natbox)"
check "SIGHUP: natbox reloaded the short profile" wait_line "$ERR" 'reloaded profile s08-short' 5
e2e_sleep 0.2 # the workers take the new profile between bursts (<= 10 ms)
xchg d
assert_eq "short: D exchanges just after the reload" ok "$XRES"
e2e_sleep "$IDLE"
xchg d
assert_eq "short: D idle ${IDLE}s (> ${SHORT}s), then its request is dropped" timeout "$XRES"
check "short: natbox expired D's flow (expired:idle)" flow_event expire 5003 expired:idle
check "short: natbox dropped D's later packets (expired:idle)" flow_event drop 5003 expired:idle
xchg a
a_res=$XRES
if flow_event expire 5002; then a_how="expired and dropped"; else a_how="kept"; fi
a_idle=$(awk -v a="$(kv "$(out talk_a)" t "^x n=1 ")" -v b="$(kv "$(out talk_a)" t "^x n=2 ")" \
	'BEGIN { printf "%.1f", b - a }')
printf 'FINDING: A, idle %ss across the reload, then an exchange: result=%s, flow %s\n' \
	"$a_idle" "$a_res" "$a_how"
assert_eq "short: A, idle across the reload, is re-timed and its request dropped" timeout "$a_res"
check "short: natbox expired A's flow at the reload (expired:idle)" flow_event expire 5002 expired:idle
check "short: natbox still runs" nb_alive

# --- 3. a broken file: reported, ignored ----------------------------------------
cat >"$P" <<EOF
# s08, phase 3: broken; the valid line below must not be applied either
inherit = linux-conntrack
name = s08-broken
timeout.established = 1h
timeout.fin_wait = 3 parsecs
this line has no equals sign
expire.later = sometimes
EOF
kill -HUP "$(bg_pid natbox)"
check "bad reload: natbox says it keeps the short profile" \
	wait_line "$ERR" 'reload of .* failed; keeping profile s08-short' 5
check "bad reload: file:line: message for line 5 (bad duration)" \
	grep -Eq "$P:5: .+" "$ERR"
check "bad reload: file:line: message for line 6 (no '=')" grep -Eq "$P:6: .+" "$ERR"
check "bad reload: file:line: message for line 7 (bad value)" grep -Eq "$P:7: .+" "$ERR"
check_not "bad reload: no error for the valid lines" grep -Eq "$P:[1-4]:" "$ERR"
check_not "bad reload: the broken profile was not loaded" grep -q 'reloaded profile s08-broken' "$ERR"
grep -E "$P:[0-9]+: |reload of" "$ERR" | sed "s|$E2E_TMP/|\$E2E_TMP/|; s/^/FINDING: bad reload, natbox stderr: /"
e2e_sleep 0.2
check "bad reload: natbox still runs and holds the queue" nb_alive

start_talker e 5004
xchg e
assert_eq "kept: E (opened after the bad reload) exchanges" ok "$XRES"
e2e_sleep "$IDLE"
xchg e
assert_eq "kept: E idle ${IDLE}s, then dropped (still ESTABLISHED ${SHORT}s, not the file's 1h)" \
	timeout "$XRES"
check "kept: natbox expired E's flow (expired:idle)" flow_event expire 5004 expired:idle

# --- B, the chatty one, all along -----------------------------------------------
touch "$E2E_TMP/stop_b"
bg_wait talk_b 10
b=$(out talk_b)
assert_eq "chatty B: every exchange answered through both reloads" ok \
	"$(kv "$b" result '^talk ')"
assert_ge "chatty B: kept talking the whole time (>= 30 exchanges)" 30 \
	"$(kv "$b" exchanges '^talk ')"
assert_eq "chatty B: all exchanges ok" "$(kv "$b" exchanges '^talk ')" "$(kv "$b" ok '^talk ')"
check_not "chatty B: natbox never expired its flow" flow_event expire 5001
check_not "chatty B: natbox never dropped its packets" flow_event drop 5001
printf 'FINDING: chatty B: %s exchanges every 0.5 s across both reloads, result=%s, max rtt %s ms\n' \
	"$(kv "$b" exchanges '^talk ')" "$(kv "$b" result '^talk ')" "$(kv "$b" max_rtt_ms '^talk ')"

# --- natbox ends as asked -----------------------------------------------------
for t in a d e; do
	echo q 1<>"$E2E_TMP/fifo_$t"
done
pid=$(bg_pid natbox)
kill -TERM "$pid"
if wait_for 5 e2e_pid_gone "$pid"; then
	wait "$pid"
	assert_eq "natbox exits 0 on SIGTERM after the reloads" 0 "$?"
else
	fail "natbox exits on SIGTERM"
fi

e2e_finish
