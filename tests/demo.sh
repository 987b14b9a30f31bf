#!/bin/sh
# demo.sh BUILD -- natbox's main job in a minute: the ByteBlower half-close
# (seed 000) through an RFC 5382 NAT and through the buggy NAT that deletes
# its mapping 2 s after the first FIN, side by side. Needs root.
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root: it builds network namespaces and iptables rules." >&2
	echo "run:  sudo make demo" >&2
	exit 2
fi
E2E_DIR=$(cd "$(dirname "$0")/e2e" && pwd)
LAB=${LAB:-nb-demo}
QUEUE=${QUEUE:-9}
# shellcheck source-path=SCRIPTDIR source=e2e/lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
e2e_init "${1:-build}"

STREAM=8
HALF=2
echo "natbox demo: TCP half-close through two NAT profiles (seed 000, the ByteBlower story)"
echo "  client $CLIENT4 sends a request, then shutdown(SHUT_WR): a FIN;"
echo "  server $SERVER4 keeps streaming for ${STREAM}s after that FIN."
echo "  setting up the lab (client, router, server namespaces)..."
lab_up

# jnum FILE EVENT_REGEX FIELD: a number field of the first matching event.
jnum() {
	grep -E "$2" "$1" 2>/dev/null | head -n 1 | sed -n "s/.*\"$3\":\([0-9.]*\).*/\1/p"
}

run_profile() {
	_tag=$1
	shift
	echo "  running under $*..."
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy "$@" \
		--events "$E2E_TMP/ev_$_tag.out" --format json
	wait_for 5 queue_bound || { echo "natbox did not bind queue $QUEUE"; return 1; }
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port 5001 \
		--mode stream-after-fin --stream-secs "$STREAM" --once --user-timeout 4000 --timeout 30
	wait_listen server 5001 || return 1
	run_out client "cli_$_tag" "$TCPCLI" --addr "$SERVER4" --port 5001 --mode half-close \
		--idle-limit 3 --timeout 30
	bg_wait "srv_$_tag" 20
	bg_stop "nb_$_tag"
}

# summary TAG: the figures of one run, as shell variables.
summary() {
	_c=$(out "cli_$1")
	_ev=$E2E_TMP/ev_$1.out
	bytes=$(kv "$_c" bytes '^mode=')
	result=$(kv "$_c" result '^mode=')
	last=$(kv "$_c" last_byte_at '^mode=')
	sent=$(kv "$(out "srv_$1")" bytes_sent '^conn=')
	fin_ts=$(jnum "$_ev" '"event":"update".*"state":"FIN_WAIT"' ts)
	exp_ts=$(jnum "$_ev" '"event":"expire"' ts)
	reason=$(grep '"event":"expire"' "$_ev" 2>/dev/null | head -n 1 | sed -n 's/.*"reason":"\([^"]*\)".*/\1/p')
	drops=$(grep -c '"event":"drop"' "$_ev" 2>/dev/null)
	if [ -n "$exp_ts" ] && [ -n "$fin_ts" ]; then
		died=$(awk -v a="$exp_ts" -v b="$fin_ts" 'BEGIN { printf "%.1fs after the FIN", a - b }')
	else
		died="never"
	fi
}

run_profile ok rfc5382 || fail "rfc5382 run"
run_profile bug fin-kills-mapping --set "timeout.half_closed=${HALF}s" || fail "fin-kills-mapping run"

summary ok
ok_bytes=$bytes ok_result="$result, last byte at ${last}s" ok_died=$died ok_reason=${reason:--} ok_drops=$drops ok_sent=$sent
summary bug
bug_bytes=$bytes bug_result="$result, last byte at ${last}s" bug_died=$died bug_reason=${reason:--} bug_drops=$drops bug_sent=$sent

echo
printf '  %-26s %-28s %s\n' "" "rfc5382" "fin-kills-mapping (${HALF}s)"
printf '  %-26s %-28s %s\n' "bytes the server wrote" "$ok_sent" "$bug_sent"
printf '  %-26s %-28s %s\n' "bytes received" "$ok_bytes" "$bug_bytes"
printf '  %-26s %-28s %s\n' "client saw" "$ok_result" "$bug_result"
printf '  %-26s %-28s %s\n' "natbox: flow died" "$ok_died" "$bug_died"
printf '  %-26s %-28s %s\n' "natbox: reason" "$ok_reason" "$bug_reason"
printf '  %-26s %-28s %s\n' "natbox: packets dropped" "$ok_drops" "$bug_drops"
echo
if [ "$ok_result" != "${ok_result#eof}" ] && [ "$bug_result" != "${bug_result#stalled}" ] &&
    [ "$bug_reason" = expired:half_closed ]; then
	echo "  RFC 5382 keeps the half-closed flow; the buggy NAT deletes the mapping"
	echo "  ${HALF}s after the first FIN while the server is still sending, and the"
	echo "  transfer silently stalls. To watch the events live on your own router:"
	echo "    natbox run --queue 0 --policy fin-kills-mapping --events - --format text"
	pass "demo"
else
	fail "demo: unexpected outcome (see above)"
fi
e2e_finish
