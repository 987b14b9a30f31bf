# shellcheck shell=sh disable=SC2034 # the variables set here are for the scripts that source it
# lib.sh -- helpers for natbox's namespace scenarios (POSIX sh; source it).
#
#   #!/bin/sh
#   E2E_DIR=$(cd "$(dirname "$0")" && pwd)
#   . "$E2E_DIR/lib.sh"
#   e2e_init "$@"               # root check, binaries, temp dir, cleanup trap
#   lab_up                      # tests/lab.sh up (LAB, QUEUE honoured; lab_up noqueue)
#   bg_in server srv "$TCPSRV" --port 5001 --mode echo --once --timeout 20
#   wait_listen server 5001 || fail "server did not listen"
#   run_out client cli "$TCPCLI" --addr "$SERVER4" --port 5001 --mode idle
#   assert_eq "idle flow still works" echo "$(kv "$(out cli)" result)"
#   e2e_finish                  # prints "N passed, N failed", exits 0 or 1
#
# The EXIT/INT/TERM trap stops every process started with bg_in (by PID),
# takes the lab down and removes the temp dir, even when the script fails.
# Scenario scripts run in parallel only with distinct LAB prefixes.
#
# Not root: e2e_init prints a SKIP line and exits 77 (the automake code).
# Output: PASS:/FAIL: lines, endpoint outputs in $(out NAME), shown on failure.
#
# Names used: functions e2e_* lab_* bg_* wait_* assert_* check check_not pass
# fail kv out run_in run_out ss_* natbox_start queue_bound rule_packets;
# variables E2E_*, TCPSRV TCPCLI NATBOX, CLIENT4 SERVER4 CLIENT6 SERVER6 and
# the router's ROUTER4C ROUTER4S ROUTER6C ROUTER6S.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "$0")" && pwd)}
E2E_ROOT=${E2E_ROOT:-$(cd "$E2E_DIR/../.." && pwd)}
LAB_SH=${LAB_SH:-$E2E_ROOT/tests/lab.sh}

LAB=${LAB:-nb}
QUEUE=${QUEUE:-0}
export LAB QUEUE

# The lab's addresses (RFC 5737 and RFC 3849 documentation prefixes only).
CLIENT4=198.51.100.2
ROUTER4C=198.51.100.1
ROUTER4S=203.0.113.1
SERVER4=203.0.113.2
CLIENT6=2001:db8:1::2
ROUTER6C=2001:db8:1::1
ROUTER6S=2001:db8:2::1
SERVER6=2001:db8:2::2

E2E_PASSED=0
E2E_FAILED=0
E2E_PIDS=
E2E_TMP=
E2E_LAB_IS_UP=0
E2E_CLEANED=0
E2E_SUMMARY_DONE=0
E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}

e2e_log() {
	printf '%s: %s\n' "$E2E_NAME" "$*" >&2
}

# --- reporting --------------------------------------------------------------

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	printf 'PASS: %s\n' "$*"
}

fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	printf 'FAIL: %s\n' "$*"
}

# check MSG CMD [ARG...]: pass if the command succeeds.
check() {
	_chk_msg=$1
	shift
	if "$@"; then pass "$_chk_msg"; else fail "$_chk_msg (command failed: $*)"; fi
}

# check_not MSG CMD [ARG...]: pass if the command fails.
check_not() {
	_chk_msg=$1
	shift
	if "$@"; then fail "$_chk_msg (command succeeded: $*)"; else pass "$_chk_msg"; fi
}

assert_eq() {
	if [ "$3" = "$2" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

assert_ne() {
	if [ "$3" != "$2" ]; then pass "$1"; else fail "$1: did not expect '$2'"; fi
}

# assert_match MSG GLOB VALUE (shell pattern, e.g. 'reset|eof' is not a glob:
# use assert_in for alternatives).
assert_match() {
	# shellcheck disable=SC2254 # the pattern is meant to be a pattern
	case $3 in
	$2) pass "$1" ;;
	*) fail "$1: '$3' does not match '$2'" ;;
	esac
}

# assert_in MSG VALUE WORD...: VALUE is one of the words.
assert_in() {
	_msg=$1
	_val=$2
	shift 2
	for _w in "$@"; do
		if [ "$_val" = "$_w" ]; then
			pass "$_msg"
			return 0
		fi
	done
	fail "$_msg: '$_val' not in {$*}"
}

# Numeric comparisons accept integers and decimals; '-' or '' fails.
e2e_num_cmp() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		num = "^-?[0-9]+([.][0-9]+)?$"
		if (a !~ num || b !~ num) exit 2
		a += 0; b += 0
		if (op == "ge") exit !(a >= b)
		if (op == "le") exit !(a <= b)
		if (op == "gt") exit !(a > b)
		if (op == "lt") exit !(a < b)
		exit 2
	}'
}

assert_ge() {
	if e2e_num_cmp "$3" ge "$2"; then pass "$1"; else fail "$1: expected >= $2, got '$3'"; fi
}

assert_le() {
	if e2e_num_cmp "$3" le "$2"; then pass "$1"; else fail "$1: expected <= $2, got '$3'"; fi
}

assert_gt() {
	if e2e_num_cmp "$3" gt "$2"; then pass "$1"; else fail "$1: expected > $2, got '$3'"; fi
}

assert_lt() {
	if e2e_num_cmp "$3" lt "$2"; then pass "$1"; else fail "$1: expected < $2, got '$3'"; fi
}

# assert_between MSG LO HI VALUE (inclusive)
assert_between() {
	if e2e_num_cmp "$4" ge "$2" && e2e_num_cmp "$4" le "$3"; then
		pass "$1"
	else
		fail "$1: expected $2..$3, got '$4'"
	fi
}

# kv FILE KEY [LINE_REGEX]: the value of the last KEY=value token in FILE
# (only on lines matching LINE_REGEX, an ERE, when given). Empty if absent.
kv() {
	[ -r "$1" ] || return 0
	if [ $# -ge 3 ]; then
		grep -E -- "$3" "$1"
	else
		cat "$1"
	fi | tr '[:blank:]' '\n' | sed -n "s/^$2=//p" | tail -n 1
}

# e2e_summary: the closing line, exactly "N passed, N failed".
e2e_summary() {
	printf '%d passed, %d failed\n' "$E2E_PASSED" "$E2E_FAILED"
}

# e2e_finish: clean up, print the summary, exit 1 if anything failed (or
# nothing was checked at all).
e2e_finish() {
	e2e_cleanup
	e2e_summary
	E2E_SUMMARY_DONE=1
	trap - EXIT INT TERM
	if [ "$E2E_FAILED" -eq 0 ] && [ "$E2E_PASSED" -gt 0 ]; then
		exit 0
	fi
	exit 1
}

# --- setup and cleanup ------------------------------------------------------

e2e_need_root() {
	if [ "$(id -u)" != 0 ]; then
		e2e_log "SKIP: needs root (network namespaces, iptables)"
		exit 77
	fi
}

# e2e_find_bins [BUILD]: TCPSRV and TCPCLI from BUILD/e2e or BUILD (the
# argument, else $E2E_BUILD, else build); NATBOX from $NATBOX or the tree.
e2e_find_bins() {
	_b=${1:-${E2E_BUILD:-build}}
	E2E_BIN=
	for _d in "$_b/e2e" "$_b" "$E2E_ROOT/$_b/e2e" "$E2E_ROOT/$_b"; do
		if [ -x "$_d/tcpsrv" ] && [ -x "$_d/tcpcli" ]; then
			E2E_BIN=$(cd "$_d" && pwd)
			break
		fi
	done
	if [ -z "$E2E_BIN" ]; then
		e2e_log "tcpsrv/tcpcli not found under '$_b' (build them: make $_b/e2e/tcpsrv $_b/e2e/tcpcli)"
		exit 2
	fi
	TCPSRV=$E2E_BIN/tcpsrv
	TCPCLI=$E2E_BIN/tcpcli
	NATBOX=${NATBOX:-$E2E_ROOT/natbox}
	# The endpoints are ASan builds; an exit with a report must be loud.
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:exitcode=86}
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}
	export ASAN_OPTIONS UBSAN_OPTIONS
}

# e2e_init [BUILD]: everything a scenario needs before lab_up.
e2e_init() {
	e2e_need_root
	e2e_find_bins "${1:-}"
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/natbox-e2e.XXXXXX") || exit 1
	trap 'e2e_on_exit' EXIT
	trap 'e2e_on_signal INT 130' INT
	trap 'e2e_on_signal TERM 143' TERM
}

# The script ended without e2e_finish (an early exit, set -e, a bug): still
# clean up and close with the summary, counting the early exit as a failure.
e2e_on_exit() {
	_rc=$?
	e2e_cleanup
	if [ "${E2E_SUMMARY_DONE:-0}" != 1 ]; then
		[ "$_rc" -ne 0 ] && fail "script exited early (status $_rc)"
		e2e_summary
	fi
	[ "$_rc" -eq 0 ] && [ "$E2E_FAILED" -gt 0 ] && _rc=1
	exit "$_rc"
}

e2e_on_signal() {
	e2e_log "interrupted (SIG$1), cleaning up"
	trap - EXIT INT TERM
	fail "interrupted by SIG$1"
	e2e_cleanup
	e2e_summary
	exit "$2"
}

# Stop our background processes (TERM, then KILL after 2 s), take the lab
# down, remove the temp dir. Safe to call more than once.
e2e_cleanup() {
	[ "$E2E_CLEANED" = 1 ] && return 0
	E2E_CLEANED=1
	_live=
	for _p in $E2E_PIDS; do
		if kill -0 "$_p" 2>/dev/null; then
			kill -TERM "$_p" 2>/dev/null
			_live="$_live $_p"
		fi
	done
	_i=0
	while [ -n "$_live" ] && [ $_i -lt 20 ]; do
		_still=
		for _p in $_live; do
			kill -0 "$_p" 2>/dev/null && _still="$_still $_p"
		done
		_live=$_still
		[ -n "$_live" ] && sleep 0.1
		_i=$((_i + 1))
	done
	for _p in $_live; do
		kill -KILL "$_p" 2>/dev/null
	done
	for _p in $E2E_PIDS; do
		wait "$_p" 2>/dev/null
	done
	E2E_PIDS=
	if [ "$E2E_LAB_IS_UP" = 1 ]; then
		lab_down
	fi
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "$E2E_FAILED" -gt 0 ]; then
			e2e_dump_outputs
		fi
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			e2e_log "outputs kept in $E2E_TMP"
		else
			rm -rf "$E2E_TMP"
		fi
	fi
	return 0
}

# On failure, show the tail of every recorded output, for CI logs.
e2e_dump_outputs() {
	for _f in "$E2E_TMP"/*; do
		[ -f "$_f" ] && [ -s "$_f" ] || continue	# a directory holds a tool's state
		printf -- '--- %s (last 20 lines)\n' "${_f##*/}" >&2
		tail -n 20 "$_f" >&2
	done
}

# --- the lab ----------------------------------------------------------------

# lab_up [noqueue]: a fresh lab; with "noqueue" (or LAB_NOQUEUE=1 in the
# environment) the router has no NFQUEUE rule. Exits on failure.
lab_up() {
	_noq=${LAB_NOQUEUE:-0}
	[ "${1:-}" = noqueue ] && _noq=1
	E2E_LAB_IS_UP=1
	if ! LAB_QUIET=1 LAB_NOQUEUE=$_noq sh "$LAB_SH" up; then
		fail "lab up ($LAB)"
		e2e_finish
	fi
}

lab_down() {
	LAB_QUIET=1 sh "$LAB_SH" down || e2e_log "lab down failed ($LAB)"
	E2E_LAB_IS_UP=0
}

# e2e_ns ROLE: the namespace of client, router or server.
e2e_ns() {
	printf '%s-%s\n' "$LAB" "$1"
}

# run_in ROLE CMD [ARG...]: run a command in a lab namespace.
run_in() {
	_ns=$(e2e_ns "$1")
	shift
	ip netns exec "$_ns" "$@"
}

# out NAME: the file holding NAME's stdout (bg_in, run_out).
out() {
	printf '%s/%s.out\n' "$E2E_TMP" "$1"
}

e2e_check_name() {
	case $1 in
	'' | *[!A-Za-z0-9_]*)
		e2e_log "bad process name '$1' (letters, digits, _)"
		exit 2
		;;
	esac
}

# run_out ROLE NAME CMD [ARG...]: run in the foreground, bounded by
# E2E_CMD_TIMEOUT (120 s), stdout to $(out NAME), stderr to NAME.err;
# returns the command's status (124 if it had to be killed).
run_out() {
	_ns=$(e2e_ns "$1")
	e2e_check_name "$2"
	_name=$2
	shift 2
	# Started in the background and waited for: the shell runs a trap only
	# after a foreground command ends, but interrupts `wait` at once.
	timeout -k 2 "${E2E_CMD_TIMEOUT:-120}" ip netns exec "$_ns" "$@" \
		>"$E2E_TMP/$_name.out" 2>"$E2E_TMP/$_name.err" &
	_pid=$!
	E2E_PIDS="$E2E_PIDS $_pid"
	wait "$_pid"
}

# e2e_sleep SECS: a sleep that INT/TERM interrupt at once (see run_out).
e2e_sleep() {
	sleep "$1" &
	_pid=$!
	E2E_PIDS="$E2E_PIDS $_pid"
	wait "$_pid"
}

# bg_in ROLE NAME CMD [ARG...]: start in the background, record the PID for
# cleanup (and in E2E_PID_NAME), stdout to $(out NAME), stderr to NAME.err.
bg_in() {
	_ns=$(e2e_ns "$1")
	e2e_check_name "$2"
	_name=$2
	shift 2
	ip netns exec "$_ns" "$@" >"$E2E_TMP/$_name.out" 2>"$E2E_TMP/$_name.err" &
	_pid=$!
	E2E_PIDS="$E2E_PIDS $_pid"
	eval "E2E_PID_$_name=$_pid"
	BG_PID=$_pid
}

bg_pid() {
	e2e_check_name "$1"
	eval "printf '%s\n' \"\${E2E_PID_$1:-}\""
}

bg_running() {
	_pid=$(bg_pid "$1")
	[ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null
}

# bg_wait NAME [TIMEOUT=30]: wait for NAME to exit by itself; its exit status,
# or 124 after killing it when it outlived TIMEOUT seconds.
bg_wait() {
	_pid=$(bg_pid "$1")
	[ -n "$_pid" ] || return 127
	if ! wait_for "${2:-30}" e2e_pid_gone "$_pid"; then
		e2e_log "$1 (pid $_pid) still running after ${2:-30}s: killing it"
		bg_stop "$1"
		return 124
	fi
	wait "$_pid"
}

e2e_pid_gone() {
	kill -0 "$1" 2>/dev/null || return 0
	# A finished child stays a zombie until waited for: count that as gone.
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	case $_st in '' | Z | X) return 0 ;; esac
	return 1
}

# bg_stop NAME: TERM (the endpoints then print their summary), KILL after 2 s.
bg_stop() {
	_pid=$(bg_pid "$1")
	[ -n "$_pid" ] || return 0
	kill -TERM "$_pid" 2>/dev/null || return 0
	wait_for 2 e2e_pid_gone "$_pid" || kill -KILL "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	return 0
}

# --- bounded waits ----------------------------------------------------------

# wait_for SECS CMD [ARG...]: retry CMD every 0.1 s until it succeeds; 1 when
# SECS have passed (bounded by both an attempt count and the wall clock).
wait_for() {
	_secs=$1
	shift
	_end=$(($(date +%s) + ${_secs%.*} + 1))
	_n=$(awk -v s="$_secs" 'BEGIN { printf "%d", s * 10 + 1 }')
	_k=0
	while [ $_k -lt "$_n" ]; do
		"$@" && return 0
		[ "$(date +%s)" -gt "$_end" ] && return 1
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}

# wait_listen ROLE PORT [SECS=5]: a TCP listener on PORT in ROLE's namespace.
wait_listen() {
	wait_for "${3:-5}" e2e_is_listening "$1" "$2"
}

e2e_is_listening() {
	[ -n "$(run_in "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]
}

# wait_line FILE ERE [SECS=5]: FILE has a line matching ERE.
wait_line() {
	wait_for "${3:-5}" grep -Eq -- "$2" "$1"
}

# --- socket states ----------------------------------------------------------

# ss_states ROLE PORT: the state of each non-listening TCP socket in ROLE's
# namespace with PORT as source or destination port, one per line, in ss's
# spelling (ESTAB, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, LAST-ACK, TIME-WAIT,
# CLOSING, SYN-SENT, SYN-RECV).
ss_states() {
	run_in "$1" ss -Htan "( sport = :$2 or dport = :$2 )" 2>/dev/null |
		awk '$1 != "LISTEN" { print $1 }'
}

# ss_has_state ROLE PORT STATE
ss_has_state() {
	ss_states "$1" "$2" | grep -qx -- "$3"
}

# wait_state ROLE PORT STATE [SECS=5]
wait_state() {
	wait_for "${4:-5}" ss_has_state "$1" "$2" "$3"
}

# --- natbox in the router ---------------------------------------------------

# queue_bound [NUM=first of $QUEUE]: a process is bound to that NFQUEUE in
# the router (nfnetlink_queue is per network namespace).
queue_bound() {
	_q=${1:-${QUEUE%%[:-]*}}
	run_in router cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk -v q="$_q" '$1 == q { found = 1 } END { exit !found }'
}

# natbox_start ARG...: `natbox run --queue $QUEUE --events $(out natbox_events)
# ARG...` in the router, as background process "natbox"; waits up to 5 s for
# it to bind the queue. 0 if it did.
natbox_start() {
	bg_in router natbox "$NATBOX" run --queue "$QUEUE" \
		--events "$E2E_TMP/natbox_events.out" "$@"
	wait_for 5 queue_bound
}

# rule_packets FAMILY: packets counted by the router's NFQUEUE rule (4 or 6).
rule_packets() {
	if [ "$1" = 6 ]; then _ipt=ip6tables; else _ipt=iptables; fi
	run_in router "$_ipt" -w -L FORWARD -v -n -x 2>/dev/null |
		awk '/NFQUEUE/ { n += $1 } END { print n + 0 }'
}
