#!/bin/sh
# selftest.sh -- proves the lab and the endpoints without natbox: a plain
# router first (LAB_NOQUEUE=1), then the NFQUEUE rules with nobody bound to
# the queue, where --queue-bypass must let traffic through.
#
# usage: tests/e2e/selftest.sh [BUILD_DIR]   (BUILD_DIR/e2e or BUILD_DIR holds
#        tcpsrv and tcpcli; default $E2E_BUILD or build). Needs root.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"

STREAM_SECS=2
RATE=65536
# 10 ms ticks of RATE/100 bytes: about 65500 bytes per second when nothing stalls.
MIN_BYTES=$((STREAM_SECS * RATE * 8 / 10))

# half_close_flow TAG SERVER_ADDR PORT: the ByteBlower pattern, request then
# FIN from the client, the server streams after it; checks both sides.
half_close_flow() {
	_tag=$1
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$2" --port "$3" --mode stream-after-fin \
		--stream-secs "$STREAM_SECS" --rate "$RATE" --once --timeout 20
	if ! wait_listen server "$3"; then
		fail "$_tag: server listening on port $3"
		return
	fi
	run_out client "cli_$_tag" "$TCPCLI" --addr "$2" --port "$3" --mode half-close \
		--idle-limit 3 --progress --timeout 20
	assert_eq "$_tag: tcpcli exit status" 0 "$?"
	_c=$(out "cli_$_tag")
	_s=$(out "srv_$_tag")
	assert_eq "$_tag: client ends with eof" eof "$(kv "$_c" result '^mode=')"
	assert_ge "$_tag: client got >= $MIN_BYTES bytes after its FIN" "$MIN_BYTES" "$(kv "$_c" bytes '^mode=')"
	assert_between "$_tag: last byte ~${STREAM_SECS}s after the FIN" \
		"$((STREAM_SECS - 1))" "$((STREAM_SECS + 1))" "$(kv "$_c" last_byte_at '^mode=')"
	check "$_tag: a progress line per second" grep -q '^progress t=1.000 ' "$_c"
	bg_wait "srv_$_tag" 10
	assert_eq "$_tag: tcpsrv exit status" 0 "$?"
	assert_eq "$_tag: server saw the client's FIN" 1 "$(kv "$_s" fin_seen '^conn=')"
	assert_eq "$_tag: server result" ok "$(kv "$_s" result '^conn=')"
	assert_eq "$_tag: every byte sent was received" \
		"$(kv "$_s" bytes_sent '^conn=')" "$(kv "$_c" bytes '^mode=')"
}

# More endpoint modes, briefly: idle/echo, RST from the server, and socket
# states read with ss while both ends hold a half-closed connection.
other_modes() {
	bg_in server srv_echo "$TCPSRV" --addr "$SERVER6" --port 5101 --mode echo --once --timeout 20
	wait_listen server 5101 || fail "echo server listening"
	run_out client cli_idle "$TCPCLI" --addr "$SERVER6" --port 5101 --mode idle \
		--idle-secs 1 --reply-timeout 2 --timeout 10
	assert_eq "idle: echo after 1 s idle" echo "$(kv "$(out cli_idle)" result '^mode=')"
	bg_wait srv_echo 5
	assert_eq "idle: server saw the FIN" 1 "$(kv "$(out srv_echo)" fin_seen '^conn=')"

	bg_in server srv_abort "$TCPSRV" --addr "$SERVER4" --port 5102 --mode abort --once --timeout 20
	wait_listen server 5102 || fail "abort server listening"
	run_out client cli_rst "$TCPCLI" --addr "$SERVER4" --port 5102 --mode half-close --timeout 10
	assert_eq "abort: client sees the server's RST" reset "$(kv "$(out cli_rst)" result '^mode=')"
	assert_eq "abort: as ECONNRESET" ECONNRESET "$(kv "$(out cli_rst)" err '^mode=')"
	bg_wait srv_abort 5
	assert_eq "abort: server sent RST" 1 "$(kv "$(out srv_abort)" rst_sent '^conn=')"

	# Client closes after 2 s, the server holds 5 s without closing:
	# client FIN-WAIT-2, server CLOSE-WAIT, as in the seed experiments.
	# (Two ESTAB polls in a row must fit before the client's close, each
	# an ip netns exec + ss under load: 2 s, not 1.)
	bg_in server srv_hold "$TCPSRV" --addr "$SERVER4" --port 5103 --mode hold --hold-secs 5 --once --timeout 20
	wait_listen server 5103 || fail "hold server listening"
	bg_in client cli_hold "$TCPCLI" --addr "$SERVER4" --port 5103 --mode hold --hold-secs 2 --timeout 10
	check "ss: ESTAB on the client" wait_state client 5103 ESTAB 3
	check "ss: ESTAB on the server" wait_state server 5103 ESTAB 3
	check "ss: FIN-WAIT-2 on the client after its close" wait_state client 5103 FIN-WAIT-2 4
	check "ss: CLOSE-WAIT on the server" wait_state server 5103 CLOSE-WAIT 4
	bg_wait cli_hold 5
	bg_wait srv_hold 8
	check "hold: server reported CLOSE_WAIT" grep -q 'state=CLOSE_WAIT' "$(out srv_hold)"
}

# --- 1: plain router ---------------------------------------------------------
lab_up noqueue
pass "lab up without NFQUEUE ($LAB)"
check "no NFQUEUE rule installed" sh -c "! ip netns exec $LAB-router iptables -S FORWARD | grep -q NFQUEUE"
half_close_flow v4 "$SERVER4" 5001
half_close_flow v6 "$SERVER6" 5002
other_modes
lab_down
check_not "no lab namespace left after down" sh -c "ip netns list | grep -qE '^$LAB-(client|router|server)( |$)'"

# --- 2: NFQUEUE rules, nobody on the queue: --queue-bypass must accept ------
lab_up
pass "lab up with NFQUEUE $QUEUE ($LAB)"
check "iptables NFQUEUE rule with bypass" sh -c \
	"ip netns exec $LAB-router iptables -S FORWARD | grep -q -- '-j NFQUEUE .*--queue-bypass'"
check "ip6tables NFQUEUE rule with bypass" sh -c \
	"ip netns exec $LAB-router ip6tables -S FORWARD | grep -q -- '-j NFQUEUE .*--queue-bypass'"
check_not "no process bound to queue $QUEUE" queue_bound
half_close_flow bypass_v4 "$SERVER4" 5011
half_close_flow bypass_v6 "$SERVER6" 5012
assert_gt "IPv4 packets went through the NFQUEUE rule" 0 "$(rule_packets 4)"
assert_gt "IPv6 packets went through the NFQUEUE rule" 0 "$(rule_packets 6)"
lab_down
check_not "no lab namespace left after down" sh -c "ip netns list | grep -qE '^$LAB-(client|router|server)( |$)'"

_left=
for _p in $E2E_PIDS; do
	kill -0 "$_p" 2>/dev/null && _left="$_left $_p"
done
assert_eq "no background process left" "" "$_left"
e2e_finish
