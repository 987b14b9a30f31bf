#!/bin/sh
# s04_lost_fin.sh -- seed 003's two experiments, with natbox's faults in
# place of the article's iptables rules, and the endpoints' states read
# with ss. In the article H2 closes first (sends the first FIN) and H1 is
# the other end; here H2 is the client (tcpcli --mode half-close, no request
# bytes: connect, then at once shutdown(SHUT_WR), i.e. a bare FIN) and H1 is
# the server. Each run uses linux-conntrack plus the fault(s) under test.
#
# (a) Experiment 3, "CLOSE_WAIT (H1) and FIN_WAIT1 (H2)": --set
#     fault.drop_fin_ack=1. H1 (tcpsrv --mode hold: keeps the connection,
#     still "has data to send") acknowledges the FIN and sits in CLOSE-WAIT;
#     every ACK of the FIN (the first one and the ones answering H2's FIN
#     retransmissions) is dropped, so H2 stays in FIN-WAIT-1.
#
# (b) Experiment 4, "FIN_WAIT1 (H2) and LAST_ACK (H1)": --set
#     fault.drop_second_fin=1. H1 (tcpsrv --mode close-after-fin: closes as
#     soon as it reads EOF, as nc does) goes CLOSE-WAIT -> LAST-ACK. What
#     Linux really shows:
#       - On a FIN, Linux enters pingpong (delayed-ACK) mode: H1's ACK of the
#         FIN waits a little (~3 ms here) for the application. nc-like H1
#         usually closes within that time, so the ACK leaves piggybacked on
#         H1's FIN: one FIN|ACK segment. natbox drops it as the second FIN,
#         and the ACK with it: for a moment the article's FIN-WAIT-1 /
#         LAST-ACK. Then H2 retransmits its FIN (RTO, ~200 ms); H1, in
#         LAST-ACK, answers the duplicate FIN with a bare duplicate ACK. That
#         is not a FIN, so it passes, and H2 moves to FIN-WAIT-2.
#       - If H1 is slower than its delayed-ACK timer (a loaded machine), a
#         bare ACK goes first, passes, and H2 is in FIN-WAIT-2 at once.
#       - H1 retransmits its FIN, dropped every time: it stays in LAST-ACK.
#     Either way the steady state is FIN-WAIT-2 (H2) / LAST-ACK (H1): H2 got
#     the ACK, only the second FIN is lost. The article's FIN_WAIT1 (H2) is
#     the first moment above; it lasts only if H1's ACKs are lost too (its
#     netstat may also simply have run before H2's retransmission). Losing
#     them as well is case (c):
#
# (c) --set fault.drop_second_fin=1 --set fault.drop_fin_ack=1: the second
#     FIN and every ACK of the first FIN are lost: FIN-WAIT-1 (H2) / LAST-ACK
#     (H1), exactly the article's picture, and it lasts.
#
# natbox applies a fault before tracking the packet (a dropped packet never
# happened for the flow). Its own state therefore follows the packets it
# let through, as the kernel's conntrack table would: e.g. in (b) it sees
# one FIN, its retransmission (FIN_WAIT -> LAST_ACK) and H1's duplicate ACK
# (-> TIME_WAIT) while the endpoints sit in FIN-WAIT-2 / LAST-ACK. Only the
# fault events are checked here, not that state.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-lostfin}
QUEUE=${QUEUE:-4}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

SETTLE=2        # after H2's FIN: several of its retransmissions (0.2, 0.6, 1.4 s)
CLI_IDLE=4      # H2 (the client) reads this long after its FIN, then closes

# one_run TAG PORT SRVMODE NATBOX_ARG...: natbox (linux-conntrack + the
# arguments), tcpsrv in SRVMODE on PORT, the client's FIN; returns once the
# FIN has been sent and SETTLE has passed, with everything still running.
one_run() {
	_tag=$1
	PORT=$2
	_sm=$3
	shift 3
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy linux-conntrack "$@" \
		--events "$E2E_TMP/ev_$_tag.out" --format json
	if ! wait_for 5 queue_bound; then
		fail "$_tag: natbox bound queue $QUEUE"
		return 1
	fi
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port "$PORT" --mode "$_sm" \
		--hold-secs 10 --once --timeout 20
	if ! wait_listen server "$PORT"; then
		fail "$_tag: server listening on $PORT"
		return 1
	fi
	bg_in client "cli_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$PORT" --mode half-close \
		--request-bytes 0 --idle-limit "$CLI_IDLE" --timeout 20
	if ! wait_line "$(out "cli_$_tag")" '^connected' 5; then
		fail "$_tag: client connected"
		return 1
	fi
	CPORT=$(kv "$(out "cli_$_tag")" local '^connected')
	CPORT=${CPORT##*:}
	e2e_sleep "$SETTLE"
	return 0
}

# end_run TAG: wait for the client's summary, stop the rest.
end_run() {
	bg_wait "cli_$1" 15
	bg_stop "srv_$1"
	e2e_sleep 0.2
	bg_stop "nb_$1"
}

# states ROLE: the TCP state(s) on $PORT in ROLE's namespace, space-separated.
states() {
	ss_states "$1" "$PORT" | tr '\n' ' ' | sed 's/ $//'
}

# faults TAG REASON DIR: how many fault events of REASON (and DIR) natbox
# wrote for this run's flow.
faults() {
	grep -Ec -- "\"event\":\"fault\".*\"sport\":$CPORT,.*\"reason\":\"$2\",\"dir\":\"$3\"" \
		"$E2E_TMP/ev_$1.out"
}

# --- (a) the ACK of the FIN is lost -------------------------------------------
if one_run ack 5041 hold --set fault.drop_fin_ack=1; then
	assert_eq "(a) drop_fin_ack: H2 (client, sent the FIN) stays FIN-WAIT-1" FIN-WAIT-1 \
		"$(states client)"
	assert_eq "(a) drop_fin_ack: H1 (server, holding) is CLOSE-WAIT" CLOSE-WAIT \
		"$(states server)"
	check "(a) drop_fin_ack: H1 itself saw ESTABLISHED -> CLOSE_WAIT" \
		grep -q '^event=state .*state=CLOSE_WAIT$' "$(out srv_ack)"
	assert_ge "(a) drop_fin_ack: natbox dropped H1's ACKs of the FIN (first + answers to retransmissions)" \
		2 "$(faults ack fault:drop_fin_ack reply)"
	assert_eq "(a) drop_fin_ack: no other fault" 0 \
		"$(grep -c '"event":"fault".*"reason":"fault:drop_[rs]' "$E2E_TMP/ev_ack.out")"
	end_run ack
	c=$(out cli_ack)
	assert_eq "(a) drop_fin_ack: the client's own view at its end: FIN_WAIT1" FIN_WAIT1 \
		"$(kv "$c" state_at_end '^mode=')"
	assert_ge "(a) drop_fin_ack: the client retransmitted its FIN" 1 "$(kv "$c" retrans '^mode=')"
fi

# --- (b) the second FIN is lost -----------------------------------------------
if one_run fin2 5042 close-after-fin --set fault.drop_second_fin=1; then
	# H2's retransmitted FIN was answered with a bare ACK: FIN-WAIT-2.
	assert_eq "(b) drop_second_fin: H2 (client) got the ACK, not the FIN: FIN-WAIT-2" \
		FIN-WAIT-2 "$(states client)"
	assert_eq "(b) drop_second_fin: H1 (server, closed) waits in LAST-ACK" LAST-ACK \
		"$(states server)"
	assert_ge "(b) drop_second_fin: natbox dropped H1's FIN and its retransmissions" \
		2 "$(faults fin2 fault:drop_second_fin reply)"
	assert_eq "(b) drop_second_fin: no ACK was dropped" 0 \
		"$(faults fin2 fault:drop_fin_ack reply)"
	end_run fin2
	c=$(out cli_fin2)
	assert_eq "(b) drop_second_fin: the client never read EOF" stalled "$(kv "$c" result '^mode=')"
	assert_eq "(b) drop_second_fin: the client's own view at its end: FIN_WAIT2" FIN_WAIT2 \
		"$(kv "$c" state_at_end '^mode=')"
	# Which way H2 got its ACK is a race with H1's delayed-ACK timer (a few
	# ms here): not asserted, only told. retrans >= 1: the ACK rode on the
	# lost FIN|ACK and came back as the answer to H2's retransmitted FIN.
	if [ "$(kv "$c" retrans '^mode=')" -ge 1 ] 2>/dev/null; then
		e2e_log "(b): H1's ACK rode on its lost FIN (H2 was FIN-WAIT-1 until it retransmitted)"
	else
		e2e_log "(b): H1 sent a bare ACK before its FIN (H2 went FIN-WAIT-2 at once)"
	fi
fi

# --- (c) the second FIN and the ACK are lost: the article's states ------------
if one_run both 5043 close-after-fin --set fault.drop_second_fin=1 --set fault.drop_fin_ack=1; then
	assert_eq "(c) both: H2 (client) stays FIN-WAIT-1" FIN-WAIT-1 "$(states client)"
	assert_eq "(c) both: H1 (server) stays LAST-ACK" LAST-ACK "$(states server)"
	assert_ge "(c) both: natbox dropped H1's FIN (fault:drop_second_fin)" \
		1 "$(faults both fault:drop_second_fin reply)"
	assert_ge "(c) both: and H1's ACKs of H2's retransmitted FIN (fault:drop_fin_ack)" \
		1 "$(faults both fault:drop_fin_ack reply)"
	end_run both
	assert_eq "(c) both: the client's own view at its end: FIN_WAIT1" FIN_WAIT1 \
		"$(kv "$(out cli_both)" state_at_end '^mode=')"
fi

e2e_finish
