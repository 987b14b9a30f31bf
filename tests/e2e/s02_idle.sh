#!/bin/sh
# s02_idle.sh -- the idle timeout. A client exchanges one request/echo with
# the server, stays idle, then sends again. natbox's established timer is
# scaled down to TMO seconds with --set:
#
#   control      linux-conntrack, idle 1 s (< TMO): the second echo arrives.
#   silent       linux-conntrack, expire.later=drop, idle > TMO: natbox forgot
#                the flow; the next send is dropped (expired:idle), no echo,
#                the client times out.
#   asa-reset    cisco-asa-reset (expire.action=reset): at expiry natbox sends
#                a RST to both ends, so the client's socket is reset while it
#                is still idle, before it sends anything.
#   aws          aws-natgw (expire drop, later reset-sender): nothing happens
#                at expiry, the client's next send is answered with a RST.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-idle}
QUEUE=${QUEUE:-2}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

TMO=3           # established timeout given to natbox, seconds
IDLE_SHORT=1    # control: well below TMO
IDLE_LONG=6     # well past TMO, with slack for a loaded machine
REPLY=3         # how long the client waits for the second echo

# one_run TAG PORT IDLE PROFILE [--set ...]: natbox with PROFILE on $QUEUE, an
# echo server on PORT, one idle client; natbox stopped at the end. Outputs
# cli_TAG, srv_TAG, events in $E2E_TMP/ev_TAG.out; CPORT is the client's port.
# Each run has its own server port: a socket of an earlier run that still
# retransmits (its FIN, dropped by that run's natbox) never looks like this
# run's flow, and the event checks below only look at this run's flow.
one_run() {
	_tag=$1
	PORT=$2
	_idle=$3
	shift 3
	CPORT=none
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy "$@" \
		--events "$E2E_TMP/ev_$_tag.out" --format json
	if ! wait_for 5 queue_bound; then
		fail "$_tag: natbox bound queue $QUEUE"
		bg_stop "nb_$_tag"
		return 1
	fi
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port "$PORT" --mode echo \
		--once --timeout 25
	if ! wait_listen server "$PORT"; then
		fail "$_tag: server listening"
		bg_stop "srv_$_tag"
		bg_stop "nb_$_tag"
		return 1
	fi
	run_out client "cli_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$PORT" --mode idle \
		--idle-secs "$_idle" --reply-timeout "$REPLY" --timeout 20
	# The echo server ends on the client's FIN or a RST; when natbox ate
	# both it would wait for its --timeout: stop it.
	bg_wait "srv_$_tag" 2 >/dev/null 2>&1 || bg_stop "srv_$_tag"
	CPORT=$(kv "$(out "cli_$_tag")" local '^connected')
	CPORT=${CPORT##*:}
	e2e_sleep 0.3   # let natbox write the last events
	bg_stop "nb_$_tag"
	return 0
}

# ev_has FILE EVENT [ERE...]: FILE has an event line of type EVENT for this
# run's flow (source port $CPORT as the client sent it) matching every
# further ERE, in the events' fixed field order.
ev_has() {
	_f=$1
	_re="\"event\":\"$2\".*\"sport\":$CPORT,"
	shift 2
	for _x in "$@"; do _re="$_re.*$_x"; done
	grep -Eq -- "$_re" "$_f"
}

SET_TMO="--set timeout.established=${TMO}s"

# --- control: idle below the timeout, the echo comes back --------------------
# shellcheck disable=SC2086 # $SET_TMO is two words on purpose
if one_run ctl 5021 "$IDLE_SHORT" linux-conntrack $SET_TMO --set expire.later=drop; then
	c=$(out cli_ctl)
	ev=$E2E_TMP/ev_ctl.out
	assert_eq "control (idle ${IDLE_SHORT}s < ${TMO}s): second request echoed" echo \
		"$(kv "$c" result '^mode=')"
	assert_eq "control: nothing happened while idle" none "$(kv "$c" idle_event '^mode=')"
	check "control: natbox saw the flow established" \
		ev_has "$ev" update '"state":"ESTABLISHED"'
	check_not "control: no expiry" ev_has "$ev" expire
	check_not "control: no drop" ev_has "$ev" drop
fi

# --- silent expiry: the next send vanishes ----------------------------------
# shellcheck disable=SC2086
if one_run silent 5022 "$IDLE_LONG" linux-conntrack $SET_TMO --set expire.later=drop; then
	c=$(out cli_silent)
	ev=$E2E_TMP/ev_silent.out
	assert_eq "silent (idle ${IDLE_LONG}s > ${TMO}s): no echo, the client times out" timeout \
		"$(kv "$c" result '^mode=')"
	assert_eq "silent: nothing reached the client while idle" none \
		"$(kv "$c" idle_event '^mode=')"
	assert_eq "silent: the server got only the first request" 1 \
		"$(grep -c '^conn=.*req_bytes=64 ' "$(out srv_silent)")"
	check "silent: natbox expired the flow (expired:idle, from ESTABLISHED)" \
		ev_has "$ev" expire '"state":"ESTABLISHED"' '"reason":"expired:idle"'
	check "silent: the late request was dropped as expired:idle (client side)" \
		ev_has "$ev" drop '"reason":"expired:idle"' '"dir":"orig"'
	check_not "silent: natbox sent no RST" ev_has "$ev" reset
	check "silent: end event for the expiry" ev_has "$ev" end '"reason":"expired:idle"'
fi

# --- cisco-asa-reset: RST to both ends at expiry -----------------------------
# shellcheck disable=SC2086
if one_run asa 5023 "$IDLE_LONG" cisco-asa-reset $SET_TMO; then
	c=$(out cli_asa)
	s=$(out srv_asa)
	ev=$E2E_TMP/ev_asa.out
	# The RST comes while the client is still idle: it never gets to send.
	assert_eq "asa-reset: the client's socket is reset" reset "$(kv "$c" result '^mode=')"
	assert_eq "asa-reset: reset while idle, before the next send" reset \
		"$(kv "$c" idle_event '^mode=')"
	assert_eq "asa-reset: ECONNRESET" ECONNRESET "$(kv "$c" err '^mode=')"
	assert_between "asa-reset: reset ~${TMO}s into the idle period" \
		$((TMO - 1)) $((TMO + 2)) "$(kv "$c" idle_event_at '^mode=')"
	assert_eq "asa-reset: the server is reset too" reset "$(kv "$s" result '^conn=')"
	check "asa-reset: natbox expired the flow (expired:idle)" \
		ev_has "$ev" expire '"state":"ESTABLISHED"' '"reason":"expired:idle"'
	check "asa-reset: natbox reset both ends (reset event, expired:idle)" \
		ev_has "$ev" reset '"reason":"expired:idle"'
	check_not "asa-reset: no packet of the flow had to be dropped" ev_has "$ev" drop
fi

# --- aws-natgw: the next send is answered with a RST -------------------------
# shellcheck disable=SC2086
if one_run aws 5024 "$IDLE_LONG" aws-natgw $SET_TMO; then
	c=$(out cli_aws)
	ev=$E2E_TMP/ev_aws.out
	assert_eq "aws-natgw: nothing reached the client while idle" none \
		"$(kv "$c" idle_event '^mode=')"
	assert_eq "aws-natgw: the client's next send gets a RST" reset \
		"$(kv "$c" result '^mode=')"
	assert_eq "aws-natgw: ECONNRESET" ECONNRESET "$(kv "$c" err '^mode=')"
	check "aws-natgw: natbox expired the flow (expired:idle)" \
		ev_has "$ev" expire '"state":"ESTABLISHED"' '"reason":"expired:idle"'
	check "aws-natgw: the late request was dropped as expired:idle" \
		ev_has "$ev" drop '"reason":"expired:idle"' '"dir":"orig"'
	check "aws-natgw: and answered with a RST to the sender" \
		ev_has "$ev" reset '"reason":"expired:idle"' '"dir":"orig"'
fi

e2e_finish
