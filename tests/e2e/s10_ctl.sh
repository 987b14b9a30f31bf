#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check/wait_for; lab_up takes no arguments
# s10_ctl.sh -- natbox ctl against a running natbox, and installing natbox.
# The half-close flow shows in `flows` with its timer running down; `set`
# changes the half-close timeout and the next flow follows it; `--for`
# reverts by itself; `stats` counts the half-close drops exactly as the
# event stream does; explain tells the flow's story; many control clients
# at once, one that never reads and one that never speaks leave traffic
# alone; top quits on q and ^C; `natbox rules` prints the lab's own rule;
# make install puts a binary that finds its profiles, the man pages and the
# unit in place; both man pages render without a warning.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-ctl}
QUEUE=${QUEUE:-10}
# the lab's rule carries the counter `natbox rules` prints (checked below)
LAB_ACCT=1
export LAB_ACCT
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"

CTLHOG=$E2E_BIN/ctlhog
if [ ! -x "$CTLHOG" ]; then
	make -C "$E2E_ROOT" -s BUILD="$(dirname "$E2E_BIN")" "$CTLHOG" >/dev/null 2>&1 ||
		e2e_log "cannot build $CTLHOG"
fi
lab_up

CTL=$E2E_TMP/ctl.sock
EV=$E2E_TMP/natbox_events.out
ctl() {
	"$NATBOX" ctl --ctl "$CTL" "$@"
}
# ctl_to NAME ARGS...: ctl's stdout in $(out NAME), stderr in NAME.err; status.
ctl_to() {
	_n=$1
	shift
	ctl "$@" >"$(out "$_n")" 2>"$E2E_TMP/$_n.err"
}
# json_check FILE PYEXPR [ARG]: FILE parses as JSON and PYEXPR (over d, and
# a = ARG) holds; without python3, only that it looks like JSON.
json_check() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); a=sys.argv[2]; assert $2" \
			"$1" "${3:-}"
	else
		grep -q '^[[{]' "$1" && tail -c 2 "$1" | grep -q '[]}]'
	fi
}
# col FILE N: field N of the first line of a tab-separated dump.
col() {
	awk -F '\t' -v n="$2" 'NR == 1 { print $n; exit }' "$1"
}
rows() {
	awk 'END { print NR }' "$1"
}
count_lines() {
	grep -c -- "$2" "$1" 2>/dev/null || true
}

# halfclose TAG [IDLE]: one half-close transfer, the server streaming 8 s
# after the client's FIN; leaves cli_TAG and srv_TAG.
halfclose_start() {
	bg_in server "srv_$1" "$TCPSRV" --addr "$SERVER4" --port 5001 --mode stream-after-fin \
		--stream-secs 8 --rate 65536 --once --user-timeout 4000 --timeout 30
	wait_listen server 5001 || fail "$1: server listening"
	bg_in client "cli_$1" "$TCPCLI" --addr "$SERVER4" --port 5001 --mode half-close \
		--idle-limit "${2:-3}" --timeout 30
}
halfclose_wait() {
	bg_wait "cli_$1" 30
	bg_wait "srv_$1" 20
}
has_halfclosed_flow() {
	ctl flows half-closed >"$E2E_TMP/hc.probe" 2>/dev/null && [ -s "$E2E_TMP/hc.probe" ]
}

# --- a natbox with a control socket ------------------------------------------
bg_in router natbox "$NATBOX" run --queue "$QUEUE" --policy fin-kills-mapping \
	--set timeout.half_closed=4s --ctl "$CTL" --events "$EV" -v
NB_PID=$BG_PID
if ! wait_for 5 queue_bound || ! wait_for 5 test -S "$CTL"; then
	fail "natbox bound queue $QUEUE and made $CTL"
	e2e_finish
fi
assert_eq "control socket is mode 0600" 600 "$(stat -c %a "$CTL")"
check "ctl stats answers" ctl_to st0 stats
assert_eq "stats: the profile" fin-kills-mapping "$(kv "$(out st0)" profile)"
assert_eq "stats: queue" "$QUEUE" "$(kv "$(out st0)" queues)"

# --- flows: the half-closed flow, its timer running down ---------------------
halfclose_start f1
if wait_for 5 has_halfclosed_flow; then
	# when each answer was taken: the shrink is checked against the time
	# that really passed between them, not against the sleep alone
	t1=$(date +%s.%N)
	ctl_to fl1 flows half-closed
	t1e=$(date +%s.%N)
	e2e_sleep 1
	t2=$(date +%s.%N)
	ctl_to fl2 flows half-closed
	t2e=$(date +%s.%N)
	assert_eq "flows: one half-closed flow" 1 "$(rows "$(out fl1)")"
	assert_in "flows: tracker state" "$(col "$(out fl1)" 7)" FIN_WAIT CLOSE_WAIT
	assert_in "flows: the half-close timer runs" "$(col "$(out fl1)" 8)" fin_wait close_wait
	assert_eq "flows: timer set to the --set value" 4 "$(col "$(out fl1)" 10)"
	assert_eq "flows: absolute timer (refresh none)" none "$(col "$(out fl1)" 11)"
	assert_in "flows: the client's FIN is a fact" "$(col "$(out fl1)" 12)" sent acked
	assert_eq "flows: the server sent no FIN" none "$(col "$(out fl1)" 13)"
	l1=$(col "$(out fl1)" 9)
	l2=$(col "$(out fl2)" 9)
	assert_between "flows: time left at the first look" 1.5 4 "$l1"
	assert_between "flows: a second later the timer shrank by the time between the looks" \
		"$(awk -v a="$t2" -v b="$t1e" 'BEGIN { print a - b - 0.2 }')" \
		"$(awk -v a="$t2e" -v b="$t1" 'BEGIN { print a - b + 0.2 }')" \
		"$(awk -v a="$l1" -v b="$l2" 'BEGIN { print a - b }')"
	assert_gt "flows: reply bytes grow while half-closed" "$(col "$(out fl1)" 17)" \
		"$(col "$(out fl2)" 17)"
	assert_eq "flows: the profile column" fin-kills-mapping "$(col "$(out fl1)" 23)"
	ctl_to fl_json flows --json
	check "flows --json is JSON" json_check "$(out fl_json)" \
		"d[0]['timer'] in ('fin_wait', 'close_wait')"
	ctl_to fl_pretty flows --pretty
	check "flows --pretty: a table with the timer" grep -q 'close_wait\|fin_wait' "$(out fl_pretty)"
	ctl_to fl_none flows dport 5999
	assert_eq "flows: a filter that matches nothing" 0 "$(rows "$(out fl_none)")"
else
	fail "flows: a half-closed flow showed up"
fi
halfclose_wait f1
assert_eq "flow 1 stalls (fin-kills-mapping)" stalled "$(kv "$(out cli_f1)" result '^mode=')"
assert_between "flow 1: last byte ~4 s after the FIN" 3.4 4.7 \
	"$(kv "$(out cli_f1)" last_byte_at '^mode=')"

# --- stats counts the half-close drops ---------------------------------------
ctl_to st1 stats
ev_drops=$(count_lines "$EV" '^\[DROP\].*reason=expired:half_closed')
st_drops=$(kv "$(out st1)" 'drop.expired:half_closed')
assert_gt "stats: half-close drops counted" 0 "$st_drops"
assert_eq "stats: as many drops as [DROP] events" "$ev_drops" "$st_drops"
assert_eq "stats: one flow ended by the half-close timer" 1 \
	"$(kv "$(out st1)" 'end.expired:half_closed')"
assert_eq "stats: per queue too" "$st_drops" "$(kv "$(out st1)" "queue.$QUEUE.drop.expired:half_closed")"
check "stats: the kernel's queue counters" grep -q "^queue.$QUEUE.kernel.id_sequence=[1-9]" "$(out st1)"
check "stats: enobufs and id gaps" grep -q "^queue.$QUEUE.enobufs=0" "$(out st1)"
ctl_to st_prom stats --prom
check "stats --prom: the drop counter" grep -q \
	"^natbox_drops_total{queue=\"$QUEUE\",reason=\"expired:half_closed\"} $st_drops\$" "$(out st_prom)"
ctl_to st_json stats --json
check "stats --json is JSON with the drop" json_check "$(out st_json)" \
	"d['drops']['expired:half_closed'] == int(a)" "$st_drops"
ctl_to fl_dead flows expired
assert_eq "flows expired: the dead flow is remembered" expired:half_closed "$(col "$(out fl_dead)" 21)"
assert_eq "flows expired: its drops" "$st_drops" "$(col "$(out fl_dead)" 18)"

# --- explain -----------------------------------------------------------------
slot=$(col "$(out fl_dead)" 2)
ctl_to ex1 explain "$slot"
check "explain: the flow's creation" grep -q '^\[NEW\].*state=SYN_SENT' "$(out ex1)"
check "explain: the half-close" grep -q '^\[UPDATE\].*state=FIN_WAIT.*timer=fin_wait timeout=4 ' "$(out ex1)"
check "explain: the expiry and why" grep -q '^\[EXPIRE\].*reason=expired:half_closed' "$(out ex1)"
assert_eq "explain: every drop" "$st_drops" "$(count_lines "$(out ex1)" '^\[DROP\].*reason=expired:half_closed')"
check "explain: the flow now" grep -q '^\[FLOW\].*status=expired:half_closed' "$(out ex1)"
ctl_to ex1p explain "$slot" --pretty
check "explain --pretty: the story" grep -q 'timer ran out (expired:half_closed)' "$(out ex1p)"
ctl_to ex1f explain sport "$(col "$(out fl_dead)" 4)" dport 5001
check "explain by filter" grep -q '^\[EXPIRE\]' "$(out ex1f)"
check_not "explain: a flow that never was" ctl_to ex_none explain 4242
check "explain: says so" grep -q 'no such flow' "$E2E_TMP/ex_none.err"

# --- set: the next flow follows ----------------------------------------------
ctl_to set1 set timeout.half_closed=1s
check "set: answers with what changed" grep -q 'timeout.fin_wait 4s -> 1s' "$(out set1)"
check "set: logged in the event stream" grep -q \
	'^\[CONTROL\].*change=set key=timeout.half_closed value=1s' "$EV"
halfclose_start f2
halfclose_wait f2
assert_eq "flow 2 stalls" stalled "$(kv "$(out cli_f2)" result '^mode=')"
assert_between "flow 2 follows set: last byte ~1 s after the FIN" 0.5 2.5 \
	"$(kv "$(out cli_f2)" last_byte_at '^mode=')"
p2=$(kv "$(out cli_f2)" local '^mode=')
ctl_to ex2 explain sport "${p2##*:}"
check "flow 2's half-close timer was 1 s" grep -q '^\[UPDATE\].*state=FIN_WAIT.*timeout=1 ' "$(out ex2)"

# --- set --for reverts by itself ---------------------------------------------
ctl_to set2 set timeout.half_closed=6s --for 2s
check "set --for: says when it reverts" grep -q 'reverts in 2s' "$(out set2)"
ctl_to pol1 policy
check "policy: the timed setting is in force" grep -qx 'timeout.fin_wait = 6s' "$(out pol1)"
check "policy: lists where it comes from" grep -q '^# ctl set timeout.half_closed=6s (reverts in' "$(out pol1)"
policy_has_1s() {
	ctl policy 2>/dev/null | grep -qx 'timeout.fin_wait = 1s'
}
check "--for: back to 1s by itself" wait_for 5 policy_has_1s
check "--for: the revert is logged" grep -q \
	'^\[CONTROL\].*change=revert key=timeout.half_closed value=6s' "$EV"
halfclose_start f3
halfclose_wait f3
assert_between "flow 3 after the revert: last byte ~1 s after the FIN" 0.5 2.5 \
	"$(kv "$(out cli_f3)" last_byte_at '^mode=')"
ctl_to uns unset timeout.half_closed
check "unset: back to the command line's 4s" grep -q 'timeout.fin_wait 1s -> 4s' "$(out uns)"
check_not "unset: nothing left to unset" ctl_to uns2 unset timeout.half_closed

# --- bad requests get clear errors -------------------------------------------
check_not "set: unknown key refused" ctl_to e1 set no.such.key=1
check "set: says the key is unknown" grep -q "unknown key 'no.such.key'" "$E2E_TMP/e1.err"
check_not "set: a duration without unit refused" ctl_to e2 set timeout.half_closed=5
check "set: says what is wrong" grep -q 'duration' "$E2E_TMP/e2.err"
check_not "set: table.max_flows refused" ctl_to e3 set table.max_flows=100
check_not "policy: unknown profile refused" ctl_to e4 policy no-such-profile
check "policy: says so" grep -q "unknown profile 'no-such-profile'" "$E2E_TMP/e4.err"
check_not "flows: a bad filter refused" ctl_to e5 flows state sideways
ctl_to e6 frobnicate
assert_eq "ctl: an unknown command is a usage error" 2 $?
check_not "ctl: no socket there" "$NATBOX" ctl --ctl "$E2E_TMP/none.sock" stats
check "the profile survived the bad requests" sh -c \
	"'$NATBOX' ctl --ctl '$CTL' policy | grep -qx 'timeout.fin_wait = 4s'"

# --- reload (ctl and SIGHUP), switch, flush ----------------------------------
check "ctl reload" ctl_to rl reload
kill -HUP "$NB_PID"
reloaded_twice() {
	[ "$(count_lines "$EV" '^\[CONTROL\].*change=reload')" -ge 2 ]
}
check "SIGHUP still reloads, logged like ctl reload" wait_for 3 reloaded_twice
ctl_to fl_all flows all
assert_ge "flows all: the dead flows are remembered" 3 "$(rows "$(out fl_all)")"
ctl_to fl_flush flush expired
check "flush: says how many" grep -q '^flushed [3-9] flows' "$(out fl_flush)"
ctl_to fl_after flows all
assert_eq "flush: the table is empty" 0 "$(rows "$(out fl_after)")"
check "flush: logged" grep -q '^\[CONTROL\].*change=flush filter=expired flows=' "$EV"
printf 'name = mine\ninherit = rfc5382\ntimeout.time_wait = 7s\n' >"$E2E_TMP/mine.profile"
(cd "$E2E_TMP" && ctl_to swf policy ./mine.profile)
check "policy FILE: switch by a relative path" grep -q '^mine, generation' "$(out swf)"
printf 'timeout.no_such_state = 1s\n' >>"$E2E_TMP/mine.profile"
check_not "reload: a broken profile is refused" ctl_to rlbad reload
check "reload: says file:line" grep -q 'mine.profile:4: ' "$E2E_TMP/rlbad.err"
check "reload: the profile in force is kept" sh -c \
	"'$NATBOX' ctl --ctl '$CTL' policy | grep -qx 'timeout.time_wait = 7s'"
kill -HUP "$NB_PID"
check "SIGHUP: a broken profile is logged, file:line" \
	wait_line "$E2E_TMP/natbox.err" 'SIGHUP: .*mine.profile:4: ' 3
ctl_to sw policy rfc5382
check "policy: switch to rfc5382" grep -q '^rfc5382, generation' "$(out sw)"
ctl_to pol_json policy --json
check "policy --json is JSON" json_check "$(out pol_json)" "d['profile']['name'] == 'rfc5382'"

# --- many clients, one that never reads, one that never speaks ---------------
# rfc5382 keeps the half-closed flow: any stall now would be natbox's fault.
if [ -x "$CTLHOG" ]; then
	bg_in router hog_hammer "$CTLHOG" --ctl "$CTL" --mode hammer --clients 40 --requests 25
	bg_in router hog_flows "$CTLHOG" --ctl "$CTL" --mode hammer --clients 8 --requests 40 \
		--request "flows all"
	bg_in router hog_noread "$CTLHOG" --ctl "$CTL" --mode noread --requests 100000 --secs 12
	bg_in router hog_silent "$CTLHOG" --ctl "$CTL" --mode silent --secs 13
	halfclose_start f4 2
	e2e_sleep 2
	t0=$(date +%s.%N)
	check "ctl stats answers while the hogs run" ctl_to st_busy stats
	t1=$(date +%s.%N)
	assert_lt "ctl stats answered within 1 s" 1 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	bg_in router hog_crowd "$CTLHOG" --ctl "$CTL" --mode crowd --clients 80 --secs 1
	halfclose_wait f4
	c4=$(out cli_f4)
	assert_eq "traffic under the hogs: the client reads to eof" eof "$(kv "$c4" result '^mode=')"
	assert_eq "traffic under the hogs: every byte arrived" \
		"$(kv "$(out srv_f4)" bytes_sent '^conn=')" "$(kv "$c4" bytes '^mode=')"
	assert_between "traffic under the hogs: no stall (last byte ~8 s)" 7 9 \
		"$(kv "$c4" last_byte_at '^mode=')"
	for h in hog_hammer hog_flows hog_noread hog_silent hog_crowd; do
		bg_wait "$h" 30 >/dev/null
	done
	assert_eq "40 clients at once: all 1000 answered" 1000 "$(kv "$(out hog_hammer)" answered)"
	assert_eq "40 clients at once: none failed" 0 "$(kv "$(out hog_hammer)" failed)"
	assert_eq "flows asked 320 times at once: all answered" 320 "$(kv "$(out hog_flows)" answered)"
	assert_eq "a client that never reads is dropped" 1 "$(kv "$(out hog_noread)" closed)"
	assert_eq "a client that never speaks is dropped" 1 "$(kv "$(out hog_silent)" closed)"
	assert_ge "past 64 clients: told so" 1 "$(kv "$(out hog_crowd)" rejected)"
	ctl_to st_after stats
	assert_ge "stats: dropped clients counted" 3 "$(kv "$(out st_after)" ctl.dropped)"
	check "natbox is still running" kill -0 "$NB_PID"
else
	fail "ctlhog not built: no concurrency checks"
fi

# --- natbox top: q and ^C quit cleanly ---------------------------------------
# Type KEY once top has drawn its first frame into FILE (at most 8 s).
key_when_drawn() {
	i=0
	while [ $i -lt 80 ] && ! grep -q 'natbox top' "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2
	printf "$2"
}
if command -v script >/dev/null 2>&1; then
	# exec: natbox itself is the pty's foreground process. Without it a
	# shell sits in between, and dash (SHELL=/bin/sh) dies of the ^C itself.
	: >"$(out top_q)"
	(key_when_drawn "$(out top_q)" q) | SHELL=/bin/sh timeout -k 2 10 script -qfec \
		"exec '$NATBOX' top --ctl '$CTL'" /dev/null >>"$(out top_q)" 2>&1
	assert_eq "top: q quits, status 0" 0 "$?"
	check "top: drew its header" grep -q 'natbox top' "$(out top_q)"
	check "top: gave the screen back" grep -q "$(printf '\033\\[?1049l')" "$(out top_q)"
	: >"$(out top_c)"
	(key_when_drawn "$(out top_c)" '\003') | SHELL=/bin/sh timeout -k 2 10 script -qfec \
		"exec '$NATBOX' top --ctl '$CTL'" /dev/null >>"$(out top_c)" 2>&1
	assert_eq "top: ^C quits, status 0" 0 "$?"
	check "top: ^C gave the screen back" grep -q "$(printf '\033\\[?1049l')" "$(out top_c)"
else
	fail "script(1) missing: top not tested"
fi
ctl_to watch flows all --watch --count 2 --interval 0.2
assert_eq "flows --watch off a terminal: one dump per refresh" 2 \
	"$(awk '/^$/ { n++ } END { print n + 0 }' "$(out watch)")"

# --- natbox rules ------------------------------------------------------------
"$NATBOX" rules --queue "$QUEUE" --proto tcp -4 >"$(out rules4)"
assert_eq "rules: the counter first, then the lab's own rule" \
	"$(readlink -f "$NATBOX") nfacct add natbox-q$QUEUE
iptables -w -A FORWARD -p tcp -m nfacct --nfacct-name natbox-q$QUEUE -j NFQUEUE --queue-num $QUEUE --queue-bypass" \
	"$(grep -v '^#' "$(out rules4)")"
"$NATBOX" rules --queue "$QUEUE" --delete | run_in router sh
v4rules=$(run_in router iptables -S FORWARD | grep -c NFQUEUE)
v6rules=$(run_in router ip6tables -S FORWARD | grep -c NFQUEUE)
assert_eq "rules --delete | sh removes both families' rules" "0 0" "$v4rules $v6rules"
check_not "rules --delete | sh removes the counter" run_in router "$NATBOX" nfacct get "natbox-q$QUEUE"
"$NATBOX" rules --queue "$QUEUE" --proto tcp | run_in router sh
assert_eq "rules | sh puts them back" \
	"-A FORWARD -p tcp -m nfacct --nfacct-name natbox-q$QUEUE -j NFQUEUE --queue-num $QUEUE --queue-bypass" \
	"$(run_in router iptables -S FORWARD | grep NFQUEUE | tr -s ' ')"
assert_eq "rules | sh: the counter, used by both families' rules" "natbox-q$QUEUE rules=2" \
	"$(run_in router "$NATBOX" nfacct get "natbox-q$QUEUE" | awk '{ print $1, $4 }')"
check "rules: the balanced form" sh -c \
	"'$NATBOX' rules --queue 10-13 -6 | grep -qx 'ip6tables -w -A FORWARD -p tcp -m nfacct --nfacct-name natbox-q10-13 -j NFQUEUE --queue-balance 10:13 --queue-bypass'"
check_not "rules: --queue is required" "$NATBOX" rules -4
assert_eq "rules: TCP, UDP and ICMP by default, ICMPv6 for ip6tables" \
	"-p tcp -p tcp -p udp -p udp -p icmp -p ipv6-icmp" \
	"$("$NATBOX" rules --queue 5 | grep '^ip' | awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $5, $6 }')"
check_not "rules: --proto refuses an unknown word" "$NATBOX" rules --queue 5 --proto tcp,sctp

# --- stop: the socket goes; the default socket ------------------------------
bg_stop natbox
check "natbox removed its socket" test ! -e "$CTL"
bg_in router natbox2 "$NATBOX" run --queue "$QUEUE" --policy rfc5382
DEF=/run/natbox/natbox-$QUEUE.sock
if wait_for 5 queue_bound && wait_for 5 test -S "$DEF"; then
	check "default socket: natbox ctl --queue finds it" sh -c \
		"'$NATBOX' ctl --queue $QUEUE stats | grep -qx 'profile=rfc5382'"
else
	fail "default socket $DEF"
fi
bg_stop natbox2
check "default socket removed at stop" test ! -e "$DEF"

# --- make install, and the installed binary finds its profiles --------------
dir=$("$NATBOX" policy --help | sed -n 's/.*then \(.*\)\/share\/natbox\/policies\.$/\1/p')
root=$E2E_TMP/root
if [ -n "$dir" ] && [ -d "$dir" ] && command -v unshare >/dev/null 2>&1; then
	if make -C "$E2E_ROOT" -s BIN="$NATBOX" -o "$NATBOX" install DESTDIR="$root" \
		PREFIX="$dir" >"$(out install)" 2>&1; then
		pass "make install DESTDIR=... PREFIX=$dir"
		for f in bin/natbox share/natbox/policies/rfc5382.profile share/man/man8/natbox.8 \
			share/man/man5/natbox-policy.5 lib/systemd/system/natbox@.service; do
			check "installed $f" test -f "$root$dir/$f"
		done
		check "the unit runs the installed binary" grep -q \
			"^ExecStart=$dir/bin/natbox run --queue %i " "$root$dir/lib/systemd/system/natbox@.service"
		check "the unit restarts always" grep -qx 'Restart=always' \
			"$root$dir/lib/systemd/system/natbox@.service"
		# The installed tree at its real path, in a private mount namespace:
		# no NATBOX_POLICY_PATH, no policies/ next to the binary.
		unshare -m sh -c "mount --bind '$root$dir' '$dir' && cd / &&
			env -u NATBOX_POLICY_PATH '$dir/bin/natbox' policy list &&
			env -u NATBOX_POLICY_PATH '$dir/bin/natbox' policy show rfc5382" \
			>"$(out installed)" 2>&1
		assert_eq "installed natbox finds its profiles by name" 0 "$?"
		assert_ge "installed natbox lists the library" 17 \
			"$(grep -c 'rfc5382\|fin-kills-mapping\|cisco-asa\|pf-\|linux-conntrack\|openwrt\|k8s-node\|panos\|fortigate\|juniper\|aws-\|azure-\|gcp-\|rst-blackhole' "$(out installed)")"
		check "installed natbox resolves a profile" grep -q '^timeout.established = 2h4m' "$(out installed)"
		make -C "$E2E_ROOT" -s BIN="$NATBOX" -o "$NATBOX" uninstall DESTDIR="$root" \
			PREFIX="$dir" >/dev/null 2>&1
		assert_eq "make uninstall leaves no file" 0 "$(find "$root" -type f | wc -l)"
	else
		fail "make install DESTDIR=... PREFIX=$dir"
	fi
else
	fail "install: compiled-in prefix '$dir' is not a directory here (or no unshare)"
fi

# --- man pages render without warnings --------------------------------------
if ! command -v man >/dev/null 2>&1 || ! command -v groff >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db groff-base >/dev/null 2>&1
fi
for page in natbox.8 natbox-policy.5; do
	MANWIDTH=80 MANPAGER=cat man --warnings -l "$E2E_ROOT/man/$page" >"$(out "man_${page%%.*}")" \
		2>"$E2E_TMP/man_${page%%.*}.err"
	assert_eq "man -l $page renders" 0 "$?"
	check "man -l $page: no warnings" test ! -s "$E2E_TMP/man_${page%%.*}.err"
done
check "natbox(8) documents the flows fields" grep -q '24 serial' "$(out man_natbox)"
check "natbox-policy(5) documents every key" sh -c \
	"for k in timeout.unacknowledged timeout.tombstone refresh. half_closed.start expire.action \
	expire.later unknown.action timewait.reopen invalid.action malformed.action tracking.window \
	fault.drop_rst_orig fault.drop_fin_ack fault.seed table.max_flows table.full table.adaptive inherit; do \
	grep -q \"\$k\" '$(out man_natbox-policy)' || exit 1; done"

e2e_finish
