#!/bin/sh
# s15_grace.sh -- a restart under a profile that drops unknown flows
# (pf-normal: unknown.action = drop). A TCP connection is open through
# natbox; natbox is SIGKILLed while the connection idles and a new natbox
# takes the queue; the client then sends again:
#
#   - without --grace the new natbox has never seen the flow: the packet is
#     dropped as no_flow and the connection is dead (the issue's finding);
#   - with --grace 30s the mid-stream packet is picked up (tracked as
#     established) and the echo comes back; ctl stats counts it in
#     grace_pickups.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-s15}
QUEUE=${QUEUE:-9}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
lab_up

IDLE=4
CTL=$E2E_TMP/ctl.sock

# one_run TAG PORT [ARG...]: natbox A, a connection, A killed mid-idle,
# natbox B (with ARG...) on the queue, the client's second request.
one_run() {
	_tag=$1 _port=$2
	shift 2
	bg_in router "nba_$_tag" "$NATBOX" run --queue "$QUEUE" --policy pf-normal --no-ctl \
		--events "$E2E_TMP/eva_$_tag.out" --format json
	wait_for 5 queue_bound || fail "$_tag: natbox A bound queue $QUEUE"
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port "$_port" --mode echo \
		--once --timeout 25
	wait_listen server "$_port" || fail "$_tag: server listening"
	bg_in client "cli_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$_port" --mode idle \
		--idle-secs "$IDLE" --reply-timeout 2 --timeout 15
	wait_line "$(out "cli_$_tag")" '^connected' 5 || fail "$_tag: connected"
	e2e_sleep 1
	kill -KILL "$(bg_pid "nba_$_tag")"
	wait_for 3 e2e_pid_gone "$(bg_pid "nba_$_tag")" || fail "$_tag: natbox A killed"
	rm -f "$CTL"
	bg_in router "nbb_$_tag" "$NATBOX" run --queue "$QUEUE" --policy pf-normal --ctl "$CTL" \
		--events "$E2E_TMP/evb_$_tag.out" --format json "$@"
	wait_for 5 queue_bound || fail "$_tag: natbox B bound queue $QUEUE"
	bg_wait "cli_$_tag" 15 >/dev/null
	"$NATBOX" ctl --ctl "$CTL" stats >"$(out "st_$_tag")" 2>&1
	bg_wait "srv_$_tag" 2 >/dev/null 2>&1 || bg_stop "srv_$_tag"
	bg_stop "nbb_$_tag"
}

# --- without a grace period: the restart kills the connection -------------------
one_run nograce 5151
assert_eq "no grace: after natbox's restart the request gets no echo" timeout \
	"$(kv "$(out cli_nograce)" result '^mode=')"
check "no grace: the new natbox dropped it as no_flow" \
	grep -q '"reason":"no_flow"' "$E2E_TMP/evb_nograce.out"

# --- --grace 30s: the connection is adopted ----------------------------------------
one_run grace 5152 --grace 30s
assert_eq "grace: after natbox's restart the request is echoed" echo \
	"$(kv "$(out cli_grace)" result '^mode=')"
check_not "grace: nothing dropped as no_flow" \
	grep -q '"reason":"no_flow"' "$E2E_TMP/evb_grace.out"
check "grace: the new natbox tracks the flow (a new event, mid-stream)" \
	grep -q '"event":"new".*"dport":5152' "$E2E_TMP/evb_grace.out"
assert_ge "grace: ctl stats counts the pickup" 1 \
	"$(kv "$(out st_grace)" grace_pickups)"

e2e_finish
