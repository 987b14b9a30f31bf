#!/bin/sh
# s01_halfclose.sh -- the ByteBlower story (seed 000). The client sends a
# request and shuts down its sending side; the server streams for 8 s.
# Under rfc5382 every byte arrives and both sides close cleanly; under
# fin-kills-mapping with a 2 s timer the stream stops ~2 s after the FIN,
# and natbox's events say why. FAMILY=6 runs it over IPv6 (scenario 6).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
FAMILY=${FAMILY:-4}
LAB=${LAB:-nb-hc$FAMILY}
QUEUE=${QUEUE:-1}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

if [ "$FAMILY" = 6 ]; then SRV=$SERVER6; else SRV=$SERVER4; fi
STREAM=8
RATE=65536
HALF=2

# one_run TAG PROFILE [--set ...]: natbox with PROFILE, one half-close
# transfer, natbox stopped; leaves outputs cli_TAG, srv_TAG, ev_TAG.
one_run() {
	_tag=$1
	shift
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy "$@" \
		--events "$E2E_TMP/ev_$_tag.out" --format json
	if ! wait_for 5 queue_bound; then
		fail "$_tag: natbox bound queue $QUEUE"
		return 1
	fi
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SRV" --port 5001 --mode stream-after-fin \
		--stream-secs "$STREAM" --rate "$RATE" --once --user-timeout 4000 --timeout 30
	wait_listen server 5001 || fail "$_tag: server listening"
	run_out client "cli_$_tag" "$TCPCLI" --addr "$SRV" --port 5001 --mode half-close \
		--idle-limit 3 --progress --timeout 30
	bg_wait "srv_$_tag" 20
	bg_stop "nb_$_tag"
	return 0
}

# rfc5382: the half-close must survive.
if one_run ok rfc5382; then
	c=$(out cli_ok)
	s=$(out srv_ok)
	ev=$E2E_TMP/ev_ok.out
	assert_eq "rfc5382: client reads to eof" eof "$(kv "$c" result '^mode=')"
	assert_eq "rfc5382: every byte the server sent arrived" \
		"$(kv "$s" bytes_sent '^conn=')" "$(kv "$c" bytes '^mode=')"
	assert_between "rfc5382: last byte ~${STREAM}s after the FIN" \
		$((STREAM - 1)) $((STREAM + 1)) "$(kv "$c" last_byte_at '^mode=')"
	assert_eq "rfc5382: server closes cleanly" ok "$(kv "$s" result '^conn=')"
	check "rfc5382: natbox saw the flow" grep -q '"event":"new"' "$ev"
	check "rfc5382: natbox saw the half-close" grep -q '"state":"FIN_WAIT"' "$ev"
	check_not "rfc5382: no expiry" grep -q '"event":"expire"' "$ev"
	check_not "rfc5382: no drop" grep -q '"event":"drop"' "$ev"
fi

# fin-kills-mapping, 2 s: the stream stops ~2 s after the FIN.
if one_run bug fin-kills-mapping --set timeout.half_closed=${HALF}s; then
	c=$(out cli_bug)
	s=$(out srv_bug)
	ev=$E2E_TMP/ev_bug.out
	assert_eq "fin-kills-mapping: client stalls" stalled "$(kv "$c" result '^mode=')"
	assert_between "fin-kills-mapping: last byte ~${HALF}s after the FIN" \
		1.5 3.5 "$(kv "$c" last_byte_at '^mode=')"
	assert_lt "fin-kills-mapping: bytes stop growing (< half the stream)" \
		$((STREAM * RATE / 2)) "$(kv "$c" bytes '^mode=')"
	assert_ne "fin-kills-mapping: the server's data was not all delivered" ok \
		"$(kv "$s" result '^conn=')"
	check "fin-kills-mapping: natbox expired the flow in the half-closed state" \
		grep -q '"event":"expire".*"reason":"expired:half_closed"' "$ev"
	check "fin-kills-mapping: later packets dropped under that reason" \
		grep -q '"event":"drop".*"reason":"expired:half_closed"' "$ev"
	check "fin-kills-mapping: end event with Zeek conn_state S2" \
		grep -q '"event":"end".*"conn_state":"S2"' "$ev"
fi

e2e_finish
