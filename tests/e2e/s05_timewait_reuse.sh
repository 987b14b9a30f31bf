#!/bin/sh
# s05_timewait_reuse.sh -- a client reconnects from the same source port
# while the old connection is in TIME_WAIT (RFC 1122 4.2.2.13: a SYN may
# reopen a connection from TIME-WAIT).
#
# The client closes first (tcpcli --mode connect --bind-port P: connect,
# then close() at once, a FIN), the server closes on EOF (tcpsrv --mode
# close-after-fin), the client ACKs the server's FIN: the client's socket
# and natbox's flow are both in TIME_WAIT, which is checked (ss, events)
# before the client connects again from port P to the same server.
#
#   allow   linux-conntrack (timewait.reopen = allow): the SYN reopens the
#           flow; natbox ends the old one with reason reopen and starts a new
#           flow for the same ports; the second connection works.
#   drop    --set timewait.reopen=drop: natbox drops the SYN (and its
#           retransmissions) as timewait_reuse; the connect times out.
#
# Linux itself refuses to connect() on a 4-tuple its own TIME-WAIT socket
# holds (EADDRNOTAVAIL) unless net.ipv4.tcp_tw_reuse=1 (then only once
# tcp_tw_reuse_delay has passed since the last timestamp received). The
# client namespace gets tcp_tw_reuse=1 and a 1 ms delay, so the kernel sends
# the SYN and natbox gets to decide.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-twreuse}
QUEUE=${QUEUE:-5}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

if ! run_in client sysctl -qw net.ipv4.tcp_tw_reuse=1 >/dev/null; then
	fail "client namespace: net.ipv4.tcp_tw_reuse=1"
	e2e_finish
fi
# Older kernels have no tcp_tw_reuse_delay (a fixed second): wait that out.
TW_WAIT=0
run_in client sysctl -qw net.ipv4.tcp_tw_reuse_delay=1 >/dev/null 2>&1 || TW_WAIT=2

# ev FILE CPORT EVENT [ERE...]: event lines of type EVENT for client port
# CPORT matching every ERE (the events' fields come in a fixed order).
ev() {
	_f=$1
	_re="\"event\":\"$3\".*\"sport\":$2,"
	shift 3
	for _x in "$@"; do _re="$_re.*$_x"; done
	grep -E -- "$_re" "$_f"
}

ev_has() {
	ev "$@" >/dev/null
}

# The flow's last state change (or new flow): its "state".
last_state() {
	grep -E -- "\"event\":\"(new|update)\".*\"sport\":$2," "$1" | tail -n 1 |
		sed -n 's/.*,"state":"\([A-Z_0-9]*\)".*/\1/p'
}

# one_run TAG SPORT CLIPORT NATBOX_ARG...: natbox with the arguments, a
# server on SPORT, a first connection from CLIPORT that ends in TIME_WAIT,
# then the reconnect from CLIPORT (outputs cli1_TAG, cli2_TAG). Returns 1
# if the first connection did not reach TIME_WAIT.
one_run() {
	_tag=$1
	_sp=$2
	_cp=$3
	shift 3
	_ev=$E2E_TMP/ev_$_tag.out
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" "$@" \
		--events "$_ev" --format json
	if ! wait_for 5 queue_bound; then
		fail "$_tag: natbox bound queue $QUEUE"
		return 1
	fi
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port "$_sp" \
		--mode close-after-fin --max-conns 2 --timeout 20
	if ! wait_listen server "$_sp"; then
		fail "$_tag: server listening on $_sp"
		return 1
	fi
	run_out client "cli1_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$_sp" --mode connect \
		--bind-port "$_cp" --request-bytes 0 --close fin --timeout 10
	assert_eq "$_tag: first connection from port $_cp" connected \
		"$(kv "$(out "cli1_$_tag")" result '^mode=')"
	# The client closed first; the server's FIN and the client's last ACK
	# complete the close: TIME-WAIT on the client, TIME_WAIT in natbox.
	check "$_tag: the client (active closer) is in TIME-WAIT (ss)" \
		wait_state client "$_sp" TIME-WAIT 5
	check "$_tag: natbox saw the whole close: FIN_WAIT, LAST_ACK, TIME_WAIT" \
		wait_for 5 ev_has "$_ev" "$_cp" update '"state":"TIME_WAIT","old_state":"LAST_ACK"'
	# The client's FIN may overtake its handshake ACK: the ACK leaves from
	# the softirq that took the SYN-ACK, the FIN from close() on whichever
	# CPU the client woke on, and two CPUs' backlogs reach the router in
	# either order. The FIN carries the same ACK, so natbox goes SYN_RECV ->
	# FIN_WAIT then (the kernel's table does the same); FIN_WAIT is what says
	# the client closed first (the server's FIN first would be CLOSE_WAIT).
	check "$_tag: natbox saw the client's FIN first (ESTABLISHED or SYN_RECV -> FIN_WAIT)" \
		ev_has "$_ev" "$_cp" update '"state":"FIN_WAIT","old_state":"(ESTABLISHED|SYN_RECV)"'
	assert_eq "$_tag: natbox's flow is in TIME_WAIT before the reconnect" TIME_WAIT \
		"$(last_state "$_ev" "$_cp")"
	if ! ss_has_state client "$_sp" TIME-WAIT; then
		return 1
	fi
	[ "$TW_WAIT" -gt 0 ] && e2e_sleep "$TW_WAIT"
	run_out client "cli2_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$_sp" --mode connect \
		--bind-port "$_cp" --request-bytes 0 --close fin --connect-timeout 3 --timeout 10
	return 0
}

# end_run TAG: stop the server and natbox.
end_run() {
	bg_wait "srv_$1" 2 >/dev/null 2>&1 || bg_stop "srv_$1"
	e2e_sleep 0.2
	bg_stop "nb_$1"
}

# --- allow: the SYN reopens the flow -------------------------------------------
CP=20051
if one_run allow 5051 $CP --policy linux-conntrack; then
	ev=$E2E_TMP/ev_allow.out
	c2=$(out cli2_allow)
	assert_eq "allow: the reconnect from port $CP succeeds" connected "$(kv "$c2" result '^mode=')"
	assert_eq "allow: from the same port" "$SERVER4:5051 $CLIENT4:$CP" \
		"$(kv "$c2" peer '^mode=') $(kv "$c2" local '^mode=')"
	check "allow: natbox ended the TIME_WAIT flow with reason reopen" \
		ev_has "$ev" $CP end '"state":"TIME_WAIT","reason":"reopen"'
	assert_eq "allow: and started a new flow for the same ports" 2 \
		"$(ev "$ev" $CP new '"state":"SYN_SENT"' | wc -l)"
	check "allow: the new flow came after the reopen" sh -c \
		"grep -E '\"sport\":$CP,' '$ev' | grep -A1 '\"reason\":\"reopen\"' | grep -q '\"event\":\"new\"'"
	# (established, or straight to FIN_WAIT when the FIN overtook the ACK;
	# the client may exit before natbox has had either packet: wait)
	check "allow: the new flow got through the handshake" \
		wait_for 3 sh -c "grep -E '\"sport\":$CP,' '$ev' | sed -n '/\"reason\":\"reopen\"/,\$p' |
			grep -Eq '\"state\":\"(ESTABLISHED|FIN_WAIT)\",\"old_state\":\"SYN_RECV\"'"
	check_not "allow: nothing dropped" ev_has "$ev" $CP drop
	end_run allow
	assert_eq "allow: the server served both connections" 2 \
		"$(kv "$(out srv_allow)" conns '^server=done')"
fi

# --- drop: the SYN is dropped as timewait_reuse ----------------------------------
CP=20052
if one_run drop 5052 $CP --policy linux-conntrack --set timewait.reopen=drop; then
	ev=$E2E_TMP/ev_drop.out
	c2=$(out cli2_drop)
	assert_eq "drop: the reconnect from port $CP times out" connect_timeout \
		"$(kv "$c2" result '^mode=')"
	check "drop: natbox dropped the SYN as timewait_reuse, the flow in TIME_WAIT" \
		ev_has "$ev" $CP drop '"state":"TIME_WAIT","reason":"timewait_reuse","dir":"orig"'
	assert_ge "drop: and the SYN's retransmissions too" 2 \
		"$(ev "$ev" $CP drop '"reason":"timewait_reuse"' | wc -l)"
	check_not "drop: the old flow was not ended" ev_has "$ev" $CP end
	assert_eq "drop: natbox started no new flow" 1 "$(ev "$ev" $CP new | wc -l)"
	end_run drop
	assert_eq "drop: the server served only the first connection" 1 \
		"$(kv "$(out srv_drop)" conns '^server=done')"
fi

e2e_finish
