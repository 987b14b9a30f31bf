#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s18_probe_loop.sh -- the closed loop: natbox runs a library profile
# between the probe's client and server, its timers scaled down with --set
# (established 6 s, UDP 5 s replied, 3 s unreplied, half-closed 3 s), and
# the probe's profile has the same timers within the probe's interval
# (plus SLACK), the same refresh rules (refresh.established by direction:
# pure ACKs, raw sockets; refresh.udp of replied flows; the half-closed
# timer's refresh by the server's data), the same half_closed.start
# (fin_acked reads first_fin: the stacks ack a FIN at once), the same
# expiry actions (expire.later where expiry itself resets nothing), what
# a bare ACK of no flow gets (unknown.action: raw sockets, root),
# timewait.reopen, and
# whether RSTs pass (fault.drop_rst_*).
#
# A profile whose expire.later is pickup runs with expire.later = drop: a
# picked-up flow lives on unseen (no TCP timer shows; s17 checks pickup
# through a random-port NAT instead). The timers chosen are all the loop
# sets; what a profile says beyond them (tracking, tables) stays as it is.
#
# PROBE_LOOP="p1 p2 ..." picks the profiles (default: a representative
# few, for `make check`); PROBE_LOOP=all runs every library profile
# (`make probe-loop`, about a minute each).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pl}
QUEUE=${QUEUE:-18}
LAB_PROTO="tcp udp"
export LAB_PROTO
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445
SLACK=0.25
# fin_acked (read as first_fin), reset at expiry, later packets and
# unknown ones reset; a RST blackhole with pickup (run as drop). s16 has
# fin-kills-mapping (absolute) and rfc5382 (both_fins).
PROBE_LOOP=${PROBE_LOOP:-cisco-asa-reset rst-blackhole}
if [ "$PROBE_LOOP" = all ]; then
	PROBE_LOOP=
	for _f in "$E2E_ROOT"/policies/*.profile; do
		_f=${_f##*/}
		PROBE_LOOP="$PROBE_LOOP ${_f%.profile}"
	done
fi

queue_free() {
	! queue_bound
}

# loop_one PROFILE: run it, probe it, compare.
loop_one() {
	_t=$(printf '%s' "$1" | tr -c 'a-z0-9\n' _)
	"$NATBOX" policy show "$1" >"$E2E_TMP/$_t.want" 2>&1 || {
		fail "$_t: natbox policy show $1"
		return
	}
	_w=$E2E_TMP/$_t.want
	_later=$(key "$_w" expire.later)
	_set="--set timeout.established=6s --set timeout.udp=5s --set timeout.udp_unreplied=3s"
	_set="$_set --set timeout.half_closed=3s"
	[ "$_later" = pickup ] && _set="$_set --set expire.later=drop" && _later=drop
	# shellcheck disable=SC2086 # _set is a list of words
	natbox_start --policy "$1" --no-ctl $_set || fail "$_t: natbox bound queue $QUEUE"
	run_in client timeout 200 "$NATBOX" probe client --server "$SERVER4:$PORT" \
		--max-wait 8s --resolution 300ms --json -o "$E2E_TMP/$_t.profile" \
		>"$(out "$_t")" 2>"$E2E_TMP/$_t.err"
	check "$_t: probe client exits 0" [ $? -eq 0 ]
	bg_stop natbox
	wait_for 5 queue_free
	_g=$E2E_TMP/$_t.profile
	[ -s "$_g" ] || return
	_start=$(key "$_w" half_closed.start)
	[ "$_start" = fin_acked ] && _start=first_fin
	timers "$(out "$_t")" "$_t" 6 5 3
	assert_eq "$_t: half_closed.start" "$_start" "$(key "$_g" half_closed.start)"
	if [ "$_start" = first_fin ]; then
		timer_is "$(out "$_t")" "$_t" tcp_half_closed 3
		case $(key "$_w" refresh.fin_wait) in
		any | reply) _hr=any ;;
		*) _hr=none ;;
		esac
		assert_eq "$_t: refresh.half_closed (the server's data)" "$_hr" \
			"$(key "$_g" refresh.half_closed)"
	fi
	_er=$(key "$_w" refresh.established)
	assert_eq "$_t: refresh.established (pure ACKs by direction)" "${_er:-any}" \
		"$(key "$_g" refresh.established)"
	assert_eq "$_t: refresh.udp (replied flows)" "$(key "$_w" refresh.udp_replied)" \
		"$(key "$_g" refresh.udp)"
	assert_eq "$_t: expire.action" "$(key "$_w" expire.action)" "$(key "$_g" expire.action)"
	# a flow reset at expiry has no later packets to judge
	[ "$(key "$_w" expire.action)" = drop ] &&
		assert_eq "$_t: expire.later" "$_later" "$(key "$_g" expire.later)"
	assert_eq "$_t: unknown.action (a bare ACK of no flow)" "$(key "$_w" unknown.action)" \
		"$(key "$_g" unknown.action)"
	assert_eq "$_t: timewait.reopen" "$(key "$_w" timewait.reopen)" \
		"$(key "$_g" timewait.reopen)"
	for _f in drop_rst_orig drop_rst_reply; do
		case $(key "$_w" "fault.$_f") in
		0) _want=0% ;;
		1) _want=100% ;;
		*) continue ;;
		esac
		assert_eq "$_t: fault.$_f" "$_want" "$(key "$_g" "fault.$_f")"
	done
	printf '%s: %s\n' "$_t" "$(grep -o '"seconds":[0-9.]*' "$(out "$_t")" | head -n 1)" >&2
}

lab_up
bg_in server psrv "$NATBOX" probe server --listen "$SERVER4:$PORT" \
	--listen "$SERVER4:$((PORT + 2))"
wait_for 5 server_listens || fail "probe server listening"
for _p in $PROBE_LOOP; do
	loop_one "$_p"
done
bg_stop psrv
lab_down

e2e_finish
