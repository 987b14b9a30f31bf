#!/bin/sh
# s19_overload.sh -- overload made visible: the packets that reached natbox's
# queue rule but got no verdict from it are counted in ctl stats and logged.
#
# The lab queues UDP through rules that carry the counter `natbox rules`
# prints (LAB_ACCT=1: -m nfacct --nfacct-name natbox-qN). natbox runs with a
# 16-packet queue (--queue-maxlen 16) and is stopped (SIGSTOP) while a client
# sends N datagrams (a bounded count, one per ms), then continued:
#
#   - --fail-open: the kernel accepts what does not fit, unjudged, and counts
#     it nowhere; natbox's queue.bypassed counts it (from the rule's counter
#     against the queue's packet ids), and a line is logged;
#   - without it: the kernel drops what does not fit; queue.dropped (the
#     kernel's queue_dropped) counts it, and a line is logged;
#   - light load before the stop: every figure 0, no line;
#   - a queue whose rules carry no counter: said once in the log, and stats
#     shows queue.counter=- without queue.matched (never a guess).
#
# In both runs the balance is exact once the client has exited and the
# kernel queue is empty (kernel.queue_total=0): no packet is then between
# the rule and the queue or in it, so
#   queue.matched = packets + unseen + queue.bypassed + queue.dropped + queue.user_dropped
# with no tolerance. (qwatch.c: while packets flow, a reading can be short
# by the packets passing during it.)
#
# The counter is read over netlink after natbox dropped its privileges (it
# keeps CAP_NET_ADMIN only): every figure below is read that way, and once
# more as --user nobody.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-s19}
QUEUE=${QUEUE:-19}
LAB_PROTO=udp
LAB_ACCT=1
export LAB_PROTO LAB_ACCT
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
UDPKA=$E2E_BIN/udpka
if [ ! -x "$UDPKA" ]; then
	make -C "$E2E_ROOT" -s BUILD="$(dirname "$E2E_BIN")" "$UDPKA" >/dev/null 2>&1 ||
		fail "udpka missing and could not be built"
fi
lab_up

N=2000
MAXLEN=16
CTL=$E2E_TMP/ctl.sock

# stats TAG: ctl stats into $(out st_TAG).
stats() {
	"$NATBOX" ctl --ctl "$CTL" stats >"$(out "st_$1")" 2>&1
}

queue_empty() {
	stats drain
	[ "$(kv "$(out st_drain)" kernel.queue_total)" = 0 ]
}

# one_run TAG PORT [ARG...]: natbox (with ARG...) on the queue; light load,
# then the flood while natbox is stopped; stats after each.
one_run() {
	_tag=$1 _port=$2
	shift 2
	rm -f "$CTL"
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy rfc5382 \
		--queue-maxlen "$MAXLEN" --ctl "$CTL" -v "$@"
	wait_for 5 queue_bound || fail "$_tag: natbox bound queue $QUEUE"
	wait_for 5 test -S "$CTL" || fail "$_tag: control socket"
	bg_in server "srv_$_tag" "$UDPKA" server --listen "$SERVER4:$_port" --timeout 30
	e2e_sleep 0.3
	# light load: 20 datagrams, 10 ms apart; natbox keeps up
	run_out client "light_$_tag" "$UDPKA" client --to "$SERVER4:$_port" --every 10 \
		--count 20 --timeout 10
	wait_for 5 queue_empty || fail "$_tag: the queue emptied after the light load"
	stats "light_$_tag"
	e2e_sleep 1.5		# one overload-watch tick at least
	cp "$E2E_TMP/nb_$_tag.err" "$(out "log_light_$_tag")"
	# the flood, natbox stopped (bounded: N datagrams, --timeout 10)
	kill -STOP "$(bg_pid "nb_$_tag")"
	run_out client "flood_$_tag" "$UDPKA" client --to "$SERVER4:$_port" --every 1 \
		--count "$N" --timeout 10
	kill -CONT "$(bg_pid "nb_$_tag")"
	wait_for 5 queue_empty || fail "$_tag: the queue emptied after the flood"
	stats "flood_$_tag"
	"$NATBOX" ctl --ctl "$CTL" stats --json >"$(out "json_$_tag")" 2>&1
	"$NATBOX" ctl --ctl "$CTL" stats --prom >"$(out "prom_$_tag")" 2>&1
}

# balance TAG: matched - (packets + unseen + bypassed + dropped + user_dropped)
balance() {
	_f=$(out "st_flood_$1")
	echo $(($(kv "$_f" queue.matched) - $(kv "$_f" packets) - $(kv "$_f" "queue.$QUEUE.unseen") -
		$(kv "$_f" queue.bypassed) - $(kv "$_f" queue.dropped) - $(kv "$_f" queue.user_dropped)))
}

# --- --fail-open: bypassed ----------------------------------------------------
one_run open 5171 --fail-open
L=$(out st_light_open)
assert_eq "fail-open: the counter is read" "natbox-q$QUEUE" "$(kv "$L" queue.counter)"
assert_eq "light load: matched = the 20 datagrams" 20 "$(kv "$L" queue.matched)"
assert_eq "light load: nothing bypassed, nothing dropped" "0 0 0" \
	"$(kv "$L" queue.bypassed) $(kv "$L" queue.dropped) $(kv "$L" queue.user_dropped)"
check_not "light load: no overload line in the log" grep -q overloaded "$(out log_light_open)"
assert_eq "flood: every datagram sent" "$N" "$(kv "$(out flood_open)" sent '^done')"
F=$(out st_flood_open)
assert_eq "flood: matched = light + flood" $((20 + N)) "$(kv "$F" queue.matched)"
assert_gt "flood: packets bypassed natbox" 0 "$(kv "$F" queue.bypassed)"
assert_ge "flood: at least what did not fit the queue bypassed it" $((N - MAXLEN)) \
	"$(kv "$F" queue.bypassed)"
assert_eq "flood: the kernel dropped nothing (fail-open)" "0 0" \
	"$(kv "$F" queue.dropped) $(kv "$F" queue.user_dropped)"
assert_eq "fail-open: matched = judged + bypassed + dropped (queues empty)" 0 "$(balance open)"
check "fail-open: a line is logged" wait_line "$E2E_TMP/nb_open.err" \
	"queue $QUEUE overloaded: [0-9]+ passed unjudged"
check "fail-open: JSON has the queue object" grep -Eq \
	"\"queue\": *\\{\"counter\": *\"natbox-q$QUEUE\", *\"matched\": *$((20 + N)), *\"bypassed\": *[1-9]" \
	"$(out json_open)"
check "fail-open: Prometheus has natbox_queue_bypassed_total" grep -Eq \
	'^natbox_queue_bypassed_total [1-9]' "$(out prom_open)"
bg_stop nb_open
bg_stop srv_open
check "fail-open: the totals are logged at exit" grep -Eq \
	"queue $QUEUE: $((20 + N)) packets reached the rules, [1-9][0-9]* bypassed natbox" \
	"$E2E_TMP/nb_open.err"

# --- without --fail-open: dropped by the kernel -------------------------------
one_run closed 5172
L=$(out st_light_closed)
assert_eq "light load (no fail-open): nothing bypassed or dropped" "20 0 0 0" \
	"$(kv "$L" queue.matched) $(kv "$L" queue.bypassed) $(kv "$L" queue.dropped) $(kv "$L" queue.user_dropped)"
check_not "light load (no fail-open): no overload line" grep -q overloaded \
	"$(out log_light_closed)"
F=$(out st_flood_closed)
assert_gt "no fail-open: the kernel dropped packets (queue full)" 0 "$(kv "$F" queue.dropped)"
assert_eq "no fail-open: queue.dropped is the kernel's queue_dropped" \
	"$(kv "$F" kernel.dropped)" "$(kv "$F" queue.dropped)"
assert_eq "no fail-open: nothing bypassed" 0 "$(kv "$F" queue.bypassed)"
assert_eq "no fail-open: matched = judged + dropped (queues empty)" 0 "$(balance closed)"
check "no fail-open: a line is logged" wait_line "$E2E_TMP/nb_closed.err" \
	"queue $QUEUE overloaded: [0-9]+ dropped by the kernel \\(queue full\\)"
bg_stop nb_closed
bg_stop srv_closed

# --- --user: the counter is still read after the switch --------------------------
if id nobody >/dev/null 2>&1; then
	rm -f "$CTL"
	bg_in router nb_user "$NATBOX" run --queue "$QUEUE" --policy rfc5382 --fail-open \
		--ctl "$CTL" --user nobody
	wait_for 5 queue_bound || fail "--user: natbox bound queue $QUEUE"
	wait_for 5 test -S "$CTL" || fail "--user: control socket"
	bg_in server srv_user "$UDPKA" server --listen "$SERVER4:5173" --timeout 30
	e2e_sleep 0.3
	run_out client light_user "$UDPKA" client --to "$SERVER4:5173" --every 10 --count 20 \
		--timeout 10
	wait_for 5 queue_empty || fail "--user: the queue emptied"
	stats user
	assert_eq "--user nobody: the counter is read after the switch" "natbox-q$QUEUE 20 0" \
		"$(kv "$(out st_user)" queue.counter) $(kv "$(out st_user)" queue.matched) $(kv "$(out st_user)" queue.bypassed)"
	check "--user nobody: ctl stats still has the kernel's queue lines (a 0440 root file)" \
		grep -q "^queue.$QUEUE.kernel.id_sequence=" "$(out st_user)"
	bg_stop nb_user
	bg_stop srv_user
else
	e2e_log "no user nobody: the --user run is skipped"
fi

# --- a queue whose rules carry no counter --------------------------------------
Q2=$((QUEUE + 1))
rm -f "$CTL"
bg_in router nb_none "$NATBOX" run --queue "$Q2" --policy rfc5382 --fail-open --ctl "$CTL"
wait_for 5 queue_bound "$Q2" || fail "no counter: natbox bound queue $Q2"
wait_for 5 test -S "$CTL" || fail "no counter: control socket"
stats none
assert_eq "no counter: queue.counter=-" - "$(kv "$(out st_none)" queue.counter)"
check_not "no counter: no queue.matched (never a guess)" grep -q '^queue\.matched=' \
	"$(out st_none)"
check_not "no counter: no queue.bypassed" grep -q '^queue\.bypassed=' "$(out st_none)"
check "no counter: said in the log" grep -q "queue $Q2: no counter natbox-q$Q2" \
	"$E2E_TMP/nb_none.err"
e2e_sleep 1.5
assert_eq "no counter: said once" 1 "$(grep -c 'no counter' "$E2E_TMP/nb_none.err")"
bg_stop nb_none

e2e_finish
