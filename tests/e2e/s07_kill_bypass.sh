#!/bin/sh
# s07_kill_bypass.sh -- natbox is killed with SIGKILL in the middle of a
# transfer (the server streams to a half-closed client, as in s01).
#
#  1. The lab's rule (`-j NFQUEUE --queue-num N --queue-bypass`): once no
#     process is bound to the queue, the kernel accepts the packets itself,
#     so the transfer completes and every byte arrives (the packets natbox
#     held when it died are dropped with its queue and retransmitted).
#  2. The same rule without --queue-bypass: with nobody on the queue the
#     kernel drops every packet the rule matches, so the transfer stalls;
#     the rule's counter keeps counting the endpoints' retransmissions.
#     The lab's rule is put back afterwards (and the namespace, rules and
#     all, goes at teardown whatever happens).
# Each case prints a one-line FINDING.
# shellcheck disable=SC2086 # $rule_bypass, $rule_nobypass: several words on purpose
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-s07}
QUEUE=${QUEUE:-7}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

STREAM=6          # seconds the server streams
RATE=65536        # bytes per second
KILL_AT=2         # natbox is killed this long after the client's FIN
# tcpsrv writes RATE/100 bytes every 10 ms
TOTAL=$((RATE / 100 * 100 * STREAM))

rule_bypass="FORWARD -p tcp -j NFQUEUE --queue-num $QUEUE --queue-bypass"
rule_nobypass="FORWARD -p tcp -j NFQUEUE --queue-num $QUEUE"

ipt() {
	run_in router iptables -w "$@"
}

# queue_free: nobody is bound to our queue.
# shellcheck disable=SC2317 # called through wait_for
queue_free() {
	! queue_bound "$QUEUE"
}

# one_transfer TAG PORT: natbox on the queue, a half-close transfer of
# $STREAM s from the server, natbox SIGKILLed $KILL_AT s after the client's
# FIN; leaves cli_TAG, srv_TAG, ev_TAG, and in KILLED_RC natbox's wait status,
# in BYTES_AT_KILL and T_AT_KILL the last progress tick before the kill,
# in PKTS_AT_KILL the rule's packet counter just after the kill.
one_transfer() {
	_tag=$1
	_port=$2
	KILLED_RC=
	PKTS_AT_KILL=
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy linux-conntrack \
		--events "$E2E_TMP/ev_$_tag.out" --format json
	if ! wait_for 5 queue_bound "$QUEUE"; then
		fail "$_tag: natbox bound queue $QUEUE"
		return 1
	fi
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port "$_port" \
		--mode stream-after-fin --stream-secs "$STREAM" --rate "$RATE" --once \
		--user-timeout 4000 --timeout 30
	if ! wait_listen server "$_port"; then
		fail "$_tag: server listening"
		return 1
	fi
	bg_in client "cli_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$_port" \
		--mode half-close --idle-limit 3 --progress --timeout 30
	# The stream runs: natbox is killed while data flows.
	if ! wait_line "$(out "cli_$_tag")" "^progress t=$KILL_AT\\." 10; then
		fail "$_tag: the transfer was running ${KILL_AT}s after the FIN"
		return 1
	fi
	# The last progress tick before the kill (less than 1 s before it),
	# then the kill at once: the stream flows on meanwhile, and the checks
	# allow only a second of it. The slower reads (kv, iptables, which may
	# wait for the xtables lock) come after.
	_pid=$(bg_pid "nb_$_tag")
	grep "^progress" "$(out "cli_$_tag")" | tail -n 1 >"$E2E_TMP/tick_$_tag"
	kill -KILL "$_pid"
	PKTS_AT_KILL=$(rule_packets 4)
	wait "$_pid" 2>/dev/null
	KILLED_RC=$?
	BYTES_AT_KILL=$(kv "$E2E_TMP/tick_$_tag" bytes_so_far)
	T_AT_KILL=$(kv "$E2E_TMP/tick_$_tag" t)
	bg_wait "cli_$_tag" 20
	bg_wait "srv_$_tag" 20
	return 0
}

# --- 1. with --queue-bypass (the lab's rule) -------------------------------
check "the lab's rule has --queue-bypass" ipt -C $rule_bypass
if one_transfer bypass 5001; then
	c=$(out cli_bypass)
	s=$(out srv_bypass)
	assert_eq "bypass: natbox died of SIGKILL" 137 "$KILLED_RC"
	check "bypass: the queue is unbound after the kill" wait_for 2 queue_free
	check "bypass: natbox tracked the flow before the kill" \
		grep -q '"event":"update".*"dport":5001.*"state":"ESTABLISHED"' "$E2E_TMP/ev_bypass.out"
	assert_eq "bypass: the client reads to eof" eof "$(kv "$c" result '^mode=')"
	sent=$(kv "$s" bytes_sent "^conn=")
	assert_ge "bypass: the server streamed for the whole ${STREAM}s" $((TOTAL * 99 / 100)) "$sent"
	assert_eq "bypass: every byte the server sent arrived" "$sent" "$(kv "$c" bytes "^mode=")"
	assert_eq "bypass: the server closes cleanly" ok "$(kv "$s" result '^conn=')"
	assert_gt "bypass: more bytes arrived after the kill" \
		"${BYTES_AT_KILL:-0}" "$(kv "$c" bytes '^mode=')"
	# the smallest one-second increment over the stream's full seconds
	min_tick=$(awk -v n="$STREAM" '/^progress/ { split($2, t, "="); split($3, b, "=");
		if (t[2] + 0 <= n) { d = b[2] - prev; if (min == "" || d < min) min = d }
		prev = b[2] } END { print min }' "$c")
	printf 'FINDING: with --queue-bypass, natbox SIGKILLed %ss into a %ss stream: transfer completed, %s/%s bytes, result=%s, last byte at %ss, server retransmissions %s, smallest 1 s progress tick %s bytes\n' \
		"$KILL_AT" "$STREAM" "$(kv "$c" bytes '^mode=')" "$TOTAL" \
		"$(kv "$c" result '^mode=')" "$(kv "$c" last_byte_at '^mode=')" \
		"$(kv "$s" retrans '^conn=')" "$min_tick"
fi

# --- 2. without --queue-bypass ----------------------------------------------
# Swap the lab's rule for one without the bypass flag (same queue).
if ipt -D $rule_bypass && ipt -A $rule_nobypass; then
	pass "rule without --queue-bypass installed"
	if one_transfer nobypass 5002; then
		c=$(out cli_nobypass)
		s=$(out srv_nobypass)
		pkts_after=$(rule_packets 4)
		assert_eq "no bypass: natbox died of SIGKILL" 137 "$KILLED_RC"
		check "no bypass: the queue is unbound after the kill" wait_for 2 queue_free
		assert_eq "no bypass: the client stalls" stalled "$(kv "$c" result '^mode=')"
		assert_lt "no bypass: the bytes stop (less than the stream)" \
			"$TOTAL" "$(kv "$c" bytes '^mode=')"
		# Nothing after the kill: what arrived between the last progress
		# tick and the kill (under 1 s) is at most RATE bytes.
		assert_le "no bypass: nothing arrives after the kill" \
			$((${BYTES_AT_KILL:-0} + RATE)) "$(kv "$c" bytes "^mode=")"
		assert_le "no bypass: last byte about when natbox died" \
			"$(awk -v t="${T_AT_KILL:-0}" "BEGIN { print t + 1.5 }")" "$(kv "$c" last_byte_at "^mode=")"
		assert_ne "no bypass: the server could not deliver its stream" ok \
			"$(kv "$s" result '^conn=')"
		assert_gt "no bypass: the rule still matched packets after the kill (dropped by the kernel)" \
			"${PKTS_AT_KILL:-0}" "$pkts_after"
		printf 'FINDING: without --queue-bypass, natbox SIGKILLed %ss into a %ss stream: transfer stalled at %s/%s bytes (last byte at %ss, client result=%s, server result=%s err=%s); the rule matched %s more packets after the kill, all dropped by the kernel (no queue listener)\n' \
			"$KILL_AT" "$STREAM" "$(kv "$c" bytes '^mode=')" "$TOTAL" \
			"$(kv "$c" last_byte_at '^mode=')" "$(kv "$c" result '^mode=')" \
			"$(kv "$s" result '^conn=')" "$(kv "$s" err '^conn=')" \
			$((pkts_after - ${PKTS_AT_KILL:-0}))
	fi
else
	fail "rule without --queue-bypass installed"
fi

# --- restore the lab's rule and show traffic flows again without natbox ----
ipt -D $rule_nobypass 2>/dev/null
if ! ipt -C $rule_bypass 2>/dev/null; then
	ipt -A $rule_bypass
fi
check "the lab's bypass rule is back" ipt -C $rule_bypass
check_not "the rule without bypass is gone" ipt -C $rule_nobypass 2>/dev/null
bg_in server srv_after "$TCPSRV" --addr "$SERVER4" --port 5003 --mode echo --once --timeout 15
if wait_listen server 5003; then
	run_out client cli_after "$TCPCLI" --addr "$SERVER4" --port 5003 --mode idle \
		--idle-secs 0.2 --reply-timeout 3
	assert_eq "restored: traffic flows with no natbox bound (bypass)" echo \
		"$(kv "$(out cli_after)" result '^mode=')"
else
	fail "restored: server listening"
fi
bg_wait srv_after 5

e2e_finish
