#!/bin/sh
# s03_rst_blackhole.sh -- the firewall that swallows RSTs (seed 003: "many
# firewalls block outgoing TCP reset messages", which leaves the other end
# holding a connection its peer has already thrown away).
#
#   srv-rst   rst-blackhole: the server aborts (tcpsrv --mode abort: a request,
#             then close() with SO_LINGER {1,0}, i.e. a RST). natbox drops the
#             RST (fault:drop_rst); the server's socket is gone, the client's
#             stays ESTAB and never hears of it, and natbox still has the flow
#             as ESTABLISHED (flow dump on SIGUSR1).
#   cli-rst   rst-blackhole, the other way: the client resets (tcpcli --mode
#             reset), the server (tcpsrv --mode hold) stays ESTAB.
#   ctl-srv   linux-conntrack, server aborts: the RST reaches the client
#   ctl-cli   and the other way: the server sees the reset. natbox moves the
#             flow to CLOSE, as conntrack does.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-rstbh}
QUEUE=${QUEUE:-3}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

HOLD=6          # how long the surviving end keeps its socket, seconds
SETTLE=1        # after the RST was sent: time it would have needed to arrive

# nb_up TAG PROFILE [--set ...]: natbox as background process nb_TAG.
nb_up() {
	_t=$1
	shift
	bg_in router "nb_$_t" "$NATBOX" run --queue "$QUEUE" --policy "$@" \
		--events "$E2E_TMP/ev_$_t.out" --format json
	if ! wait_for 5 queue_bound; then
		fail "$_t: natbox bound queue $QUEUE"
		return 1
	fi
}

# srv_up TAG PORT MODE [ARG...]: tcpsrv on PORT as srv_TAG.
srv_up() {
	_t=$1
	_p=$2
	_m=$3
	shift 3
	bg_in server "srv_$_t" "$TCPSRV" --addr "$SERVER4" --port "$_p" --mode "$_m" \
		--once --timeout 20 "$@"
	if ! wait_listen server "$_p"; then
		fail "$_t: server listening on $_p"
		return 1
	fi
}

# client_port TAG: the client's source port, from tcpcli's "connected" line.
client_port() {
	_cp=$(kv "$(out "cli_$1")" local '^connected')
	printf '%s\n' "${_cp##*:}"
}

# ev_has FILE EVENT CPORT [ERE...]: an event line of type EVENT for the flow
# whose client port is CPORT, matching every further ERE (the events' fields
# come in a fixed order).
ev_has() {
	_f=$1
	_re="\"event\":\"$2\".*\"sport\":$3,"
	shift 3
	for _x in "$@"; do _re="$_re.*$_x"; done
	grep -Eq -- "$_re" "$_f"
}

# dump_state TAG CPORT: natbox's state for the flow (client port CPORT), from a
# flow dump: SIGUSR1 makes natbox write every live flow to its event file as
# an "update" line with "old_state":"NONE" (a real state change never comes
# from NONE: a flow starts with a "new" event; a "dump" or "flow" event, should
# the dump get a type of its own, is taken too). Empty if not in the dump.
dump_state() {
	_ev=$E2E_TMP/ev_$1.out
	_dn=$(wc -l <"$_ev")    # not _n: wait_for uses that name
	kill -USR1 "$(bg_pid "nb_$1")" 2>/dev/null || return 0
	wait_for 3 dump_seen "$_ev" "$_dn" "$2" || return 0
	dump_lines "$_ev" "$_dn" "$2" | tail -n 1 |
		sed -n 's/.*,"state":"\([A-Z_0-9]*\)".*/\1/p'
}

# dump_lines FILE N CPORT: the dump lines for CPORT after line N of FILE.
dump_lines() {
	tail -n +"$(($2 + 1))" "$1" |
		grep -E "\"event\":\"(update|dump|flow)\".*\"sport\":$3," |
		grep -v '"old_state":"[^N]'
}

dump_seen() {
	[ -n "$(dump_lines "$@")" ]
}

# ss_none ROLE PORT: no socket on PORT in ROLE's namespace.
ss_none() {
	[ -z "$(ss_states "$1" "$2")" ]
}

# --- rst-blackhole: the server's RST never reaches the client ---------------
P=5031
if nb_up srvrst rst-blackhole && srv_up srvrst $P abort; then
	bg_in client cli_srvrst "$TCPCLI" --addr "$SERVER4" --port $P --mode hold \
		--request-bytes 64 --hold-secs "$HOLD" --timeout 20
	ev=$E2E_TMP/ev_srvrst.out
	# The server has read the request and reset the connection.
	if wait_line "$(out srv_srvrst)" '^conn=.*rst_sent=1' 5; then
		pass "srv-rst: the server aborted the connection (RST sent)"
	else
		fail "srv-rst: the server aborted the connection (RST sent)"
	fi
	wait_line "$(out cli_srvrst)" '^connected' 3
	cp=$(client_port srvrst)
	check "srv-rst: natbox dropped the server's RST (fault:drop_rst, reply side)" \
		wait_for 3 ev_has "$ev" fault "$cp" '"reason":"fault:drop_rst"' '"dir":"reply"'
	e2e_sleep "$SETTLE"
	check "srv-rst: the server's socket is gone" ss_none server $P
	assert_eq "srv-rst: the client's socket is still ESTAB (ss)" ESTAB \
		"$(ss_states client $P | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "srv-rst: natbox still has the flow ESTABLISHED (flow dump)" ESTABLISHED \
		"$(dump_state srvrst "$cp")"
	check_not "srv-rst: natbox did not end the flow" ev_has "$ev" end "$cp"
	bg_wait cli_srvrst 15
	c=$(out cli_srvrst)
	assert_eq "srv-rst: the client held to the end without an error" ok \
		"$(kv "$c" result '^mode=')"
	assert_eq "srv-rst: the client never saw a reset" none "$(kv "$c" err '^mode=')"
	assert_eq "srv-rst: the client was ESTABLISHED at the end of its hold" ESTABLISHED \
		"$(kv "$c" state_at_end '^mode=')"
	check_not "srv-rst: the client's socket never left ESTABLISHED while holding" \
		grep -Eq '^event=state .*state=[^E]' "$c"
	bg_stop nb_srvrst
fi

# --- rst-blackhole: the client's RST never reaches the server ---------------
P=5032
if nb_up clirst rst-blackhole && srv_up clirst $P hold --hold-secs "$HOLD"; then
	run_out client cli_clirst "$TCPCLI" --addr "$SERVER4" --port $P --mode reset \
		--request-bytes 64 --hold-secs 0.5 --timeout 10
	ev=$E2E_TMP/ev_clirst.out
	c=$(out cli_clirst)
	cp=$(client_port clirst)
	assert_eq "cli-rst: the client reset the connection" rst "$(kv "$c" close '^mode=')"
	check "cli-rst: natbox dropped the client's RST (fault:drop_rst, orig side)" \
		wait_for 3 ev_has "$ev" fault "$cp" '"reason":"fault:drop_rst"' '"dir":"orig"'
	e2e_sleep "$SETTLE"
	check "cli-rst: the client's socket is gone" ss_none client $P
	assert_eq "cli-rst: the server's socket is still ESTAB (ss)" ESTAB \
		"$(ss_states server $P | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "cli-rst: natbox still has the flow ESTABLISHED (flow dump)" ESTABLISHED \
		"$(dump_state clirst "$cp")"
	bg_wait srv_clirst 15
	s=$(out srv_clirst)
	assert_eq "cli-rst: the server held to the end without an error" ok \
		"$(kv "$s" result '^conn=')"
	assert_eq "cli-rst: the server was ESTABLISHED at the end of its hold" ESTABLISHED \
		"$(kv "$s" state_at_end '^conn=')"
	check_not "cli-rst: the server's socket never left ESTABLISHED while holding" \
		grep -Eq '^event=state .*state=[^E]' "$s"
	bg_stop nb_clirst
fi

# --- control, linux-conntrack: the server's RST reaches the client ----------
P=5033
if nb_up ctlsrv linux-conntrack && srv_up ctlsrv $P abort; then
	run_out client cli_ctlsrv "$TCPCLI" --addr "$SERVER4" --port $P --mode hold \
		--request-bytes 64 --hold-secs "$HOLD" --timeout 20
	ev=$E2E_TMP/ev_ctlsrv.out
	c=$(out cli_ctlsrv)
	cp=$(client_port ctlsrv)
	assert_eq "ctl-srv: the client's socket is reset" reset "$(kv "$c" result '^mode=')"
	assert_eq "ctl-srv: ECONNRESET" ECONNRESET "$(kv "$c" err '^mode=')"
	check "ctl-srv: no socket left on the client side" ss_none client $P
	check "ctl-srv: nor on the server side" ss_none server $P
	# As in Linux conntrack, a RST moves the flow to CLOSE (a 10 s timer).
	check "ctl-srv: natbox saw the RST: ESTABLISHED -> CLOSE" \
		wait_for 3 ev_has "$ev" update "$cp" '"state":"CLOSE"' '"old_state":"ESTABLISHED"'
	check_not "ctl-srv: no fault" ev_has "$ev" fault "$cp"
	bg_wait srv_ctlsrv 5
	bg_stop nb_ctlsrv
fi

# --- control, linux-conntrack: the client's RST reaches the server ----------
P=5034
if nb_up ctlcli linux-conntrack && srv_up ctlcli $P hold --hold-secs 2; then
	run_out client cli_ctlcli "$TCPCLI" --addr "$SERVER4" --port $P --mode reset \
		--request-bytes 64 --hold-secs 0.5 --timeout 10
	ev=$E2E_TMP/ev_ctlcli.out
	cp=$(client_port ctlcli)
	check "ctl-cli: the server's socket is gone after the client's RST" \
		wait_for 3 ss_none server $P
	bg_wait srv_ctlcli 10
	s=$(out srv_ctlcli)
	assert_eq "ctl-cli: the server saw the reset" reset "$(kv "$s" result '^conn=')"
	check "ctl-cli: the server's socket went to CLOSE while held" \
		grep -q '^event=state .*state=CLOSE$' "$s"
	check "ctl-cli: natbox saw the RST: ESTABLISHED -> CLOSE" \
		ev_has "$ev" update "$cp" '"state":"CLOSE"' '"old_state":"ESTABLISHED"'
	check_not "ctl-cli: no fault" ev_has "$ev" fault "$cp"
	bg_stop nb_ctlcli
fi

e2e_finish
