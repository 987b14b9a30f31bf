#!/bin/sh
# s14_privs.sh -- what `natbox run` keeps once its queue, raw sockets and
# control socket are open (src/live/privdrop.c), read from /proc/PID:
#
#   1. as root: CapEff = CapPrm = CapBnd = CAP_NET_ADMIN only, NoNewPrivs 1,
#      no descriptor the shell handed it (an fd 7 opened on a file before
#      the start); traffic flows (verdicts need CAP_NET_ADMIN: kept), RSTs
#      go out of the raw socket without CAP_NET_RAW, SIGHUP reloads the
#      profile file;
#      --ctl-group natbox-test: the socket is 0660 for that group; a member
#      (by its gid, or a supplementary group) reads (stats, flows, policy)
#      and is refused every change with "permission denied"; nobody else
#      gets in;
#   2. --user natbox-test (a throwaway system user, removed at the end):
#      the same, with Uid/Gid the user's on every thread; the profile file
#      it reloads is readable by the user, the events file was given to it.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-s14}
QUEUE=${QUEUE:-9}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
TUSER=natbox-test
T_CREATED=0
s14_cleanup() {
	[ "$T_CREATED" = 1 ] && userdel "$TUSER" 2>/dev/null
	T_CREATED=0
}
trap 's14_cleanup; e2e_on_exit' EXIT
lab_up

# The user reads the profile file, natbox's binary and its profiles: the
# temp dir is searchable, the profile world-readable.
chmod 0711 "$E2E_TMP"
P=$E2E_TMP/s14.profile
CTL=$E2E_TMP/ctl.sock
CAP_NET_ADMIN_ONLY=0000000000001000	# bit 12

ctl() {
	"$NATBOX" ctl --ctl "$CTL" "$@"
}

write_profile() {
	cat >"$P" <<EOT
inherit = linux-conntrack
name = $1
timeout.established = 2s
expire.action = reset
EOT
	chmod 0644 "$P"
}

status_field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status"
}

# every thread's FIELD: distinct values, one per line
threads_field() {
	for _t in /proc/"$1"/task/*; do
		awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$_t/status"
	done | sort -u
}

# one_run TAG PORT [--user NAME]
one_run() {
	_tag=$1 _port=$2
	shift 2
	write_profile "s14-$_tag-a"
	rm -f "$CTL"
	exec 7>"$E2E_TMP/inherited.$_tag"
	natbox_start --policy "$P" --ctl "$CTL" -v "$@" || fail "$_tag: natbox bound queue $QUEUE"
	exec 7>&-
	pid=$(bg_pid natbox)
	wait_line "$E2E_TMP/natbox.err" 'privileges dropped' 5 ||
		fail "$_tag: natbox says it dropped its privileges"
	e2e_sleep 0.3	# the threads are started after the drop

	assert_eq "$_tag: CapEff is CAP_NET_ADMIN only (every thread)" "$CAP_NET_ADMIN_ONLY" \
		"$(threads_field "$pid" CapEff)"
	assert_eq "$_tag: CapPrm is CAP_NET_ADMIN only (every thread)" "$CAP_NET_ADMIN_ONLY" \
		"$(threads_field "$pid" CapPrm)"
	assert_eq "$_tag: CapBnd is CAP_NET_ADMIN only" "$CAP_NET_ADMIN_ONLY" \
		"$(status_field "$pid" CapBnd)"
	assert_eq "$_tag: CapInh and CapAmb empty" "0000000000000000 0000000000000000" \
		"$(status_field "$pid" CapInh) $(status_field "$pid" CapAmb)"
	assert_eq "$_tag: NoNewPrivs (every thread)" 1 "$(threads_field "$pid" NoNewPrivs)"
	assert_eq "$_tag: Uid (every thread)" "$UIDS" "$(threads_field "$pid" Uid)"
	assert_eq "$_tag: Gid (every thread)" "$GIDS" "$(threads_field "$pid" Gid)"
	fds=$(ls -l "/proc/$pid/fd" 2>/dev/null | awk 'NR > 1 { print $NF }')
	check_not "$_tag: the inherited fd 7 was closed" \
		sh -c "ls -l /proc/$pid/fd | grep -q inherited.$_tag"
	printf 'FINDING: %s: fds open after start: %s\n' "$_tag" "$(echo "$fds" | sort | uniq -c |
		awk '{ printf "%s%sx %s", (NR > 1 ? ", " : ""), $1, $2 }')"

	# traffic through the verdicts, then a RST from the raw socket at expiry
	bg_in server "srv_$_tag" "$TCPSRV" --addr "$SERVER4" --port "$_port" --mode echo \
		--once --timeout 20
	wait_listen server "$_port" || fail "$_tag: server listening"
	run_out client "cli_$_tag" "$TCPCLI" --addr "$SERVER4" --port "$_port" --mode idle \
		--idle-secs 0.5 --reply-timeout 2 --timeout 10
	assert_eq "$_tag: traffic flows after the drop (echo)" echo \
		"$(kv "$(out "cli_$_tag")" result '^mode=')"
	bg_stop "srv_$_tag"
	bg_in server "srv2_$_tag" "$TCPSRV" --addr "$SERVER4" --port $((_port + 1)) --mode echo \
		--once --timeout 20
	wait_listen server $((_port + 1)) || fail "$_tag: server listening"
	run_out client "cli2_$_tag" "$TCPCLI" --addr "$SERVER4" --port $((_port + 1)) \
		--mode idle --idle-secs 4 --reply-timeout 2 --timeout 12
	assert_eq "$_tag: expiry RST reached the client (raw socket, no CAP_NET_RAW)" reset \
		"$(kv "$(out "cli2_$_tag")" idle_event '^mode=')"
	ctl stats >"$(out "st_$_tag")" 2>&1
	assert_ge "$_tag: ctl stats: RSTs sent" 1 "$(kv "$(out "st_$_tag")" "queue.$QUEUE.rsts_sent")"
	assert_eq "$_tag: ctl stats: no RST failed" 0 "$(kv "$(out "st_$_tag")" "queue.$QUEUE.rst_errors")"
	bg_stop "srv2_$_tag"
	$AFTER_START

	# SIGHUP reads the profile file again, with what is left
	write_profile "s14-$_tag-b"
	kill -HUP "$pid"
	check "$_tag: SIGHUP after the drop reloads the profile" \
		wait_line "$E2E_TMP/natbox.err" "reloaded profile s14-$_tag-b" 5
	check "$_tag: ctl policy answers the reloaded profile" \
		sh -c "'$NATBOX' ctl --ctl '$CTL' policy | grep -q 's14-$_tag-b'"
	kill -TERM "$pid"
	if wait_for 5 e2e_pid_gone "$pid"; then
		wait "$pid"
		assert_eq "$_tag: natbox exits 0 on SIGTERM" 0 "$?"
	else
		fail "$_tag: natbox exits on SIGTERM"
	fi
	cp "$E2E_TMP/natbox.err" "$E2E_TMP/natbox_$_tag.log"
}

if id "$TUSER" >/dev/null 2>&1; then
	fail "user $TUSER exists already: not ours to use"
	e2e_finish
fi
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$TUSER" && T_CREATED=1
u=$(id -u "$TUSER") g=$(id -g "$TUSER")

# as_peer HOW CMD...: natbox ctl as the member (gid), a supplementary
# member, or nobody; its output in $(out peer)
as_peer() {
	case $1 in
	member) _p="--reuid=$u --regid=$g --clear-groups" ;;
	supp) _p="--reuid=nobody --regid=nogroup --groups=$g" ;;
	*) _p="--reuid=nobody --regid=nogroup --clear-groups" ;;
	esac
	shift
	# shellcheck disable=SC2086 # $_p is several options
	setpriv $_p "$NATBOX" ctl --ctl "$CTL" "$@" >"$(out peer)" 2>&1
}

ctl_group_checks() {
	assert_eq "ctl-group: the socket is 0660 root:$TUSER" "660 root $TUSER" \
		"$(stat -c '%a %U %G' "$CTL")"
	check "ctl-group: a member (gid) reads stats" as_peer member stats
	check "ctl-group: a member reads flows" as_peer member flows
	check "ctl-group: a member reads the profile" as_peer member policy
	check "ctl-group: a supplementary member reads stats" as_peer supp stats
	for req in "set timeout.established=1h" "unset --all" "reload" "flush" \
		"policy rfc5382" "rebind all"; do
		# shellcheck disable=SC2086 # the request is words
		as_peer member $req
		check "ctl-group: a member may not '$req' (permission denied)" \
			grep -q 'permission denied' "$(out peer)"
	done
	check "ctl-group: the profile is unchanged" \
		sh -c "'$NATBOX' ctl --ctl '$CTL' policy | grep -q 's14-root-a'"
	check_not "ctl-group: nobody else gets in" as_peer other stats
	check "ctl-group: ... and is told permission denied" \
		grep -q 'permission denied' "$(out peer)"
	# natbox top reads through the same socket: a frame for a member,
	# "permission denied" (not "not answering") for anyone else.
	setpriv --reuid="$u" --regid="$g" --clear-groups "$NATBOX" top --ctl "$CTL" \
		--count 1 --interval 0.2 >"$(out top_member)" 2>&1
	check "ctl-group: a member's natbox top draws a frame (the flow)" \
		grep -q '203.0.113.2' "$(out top_member)"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$NATBOX" top --ctl "$CTL" \
		--count 1 --interval 0.2 >"$(out top_other)" 2>&1
	check "ctl-group: natbox top as nobody says permission denied" \
		grep -q 'permission denied' "$(out top_other)"
	check_not "ctl-group: ... not 'not answering'" grep -q 'not answering' "$(out top_other)"
}

# --- 1. root, capabilities trimmed, a read group ----------------------------------
UIDS="0 0 0 0" GIDS="0 0 0 0"
AFTER_START=ctl_group_checks
one_run root 5141 --ctl-group "$TUSER"

# --- 2. --user ------------------------------------------------------------------
AFTER_START=:
UIDS="$u $u $u $u" GIDS="$g $g $g $g"
if true; then
	one_run user 5143 --user "$TUSER"
	check "user: the events file belongs to $TUSER" \
		test "$(stat -c %U "$E2E_TMP/natbox_events.out")" = "$TUSER"
	check_not "unknown user: refused" run_in router "$NATBOX" run --queue "$QUEUE" \
		--policy "$P" --no-ctl --user no-such-user-s14
fi

s14_cleanup
e2e_finish
