#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s11_udp_icmp.sh -- UDP, ICMP echo and ICMP errors through natbox, with
# the lab queueing TCP, UDP and ICMP (LAB_PROTO). UDP timeouts are scaled
# down to TU s (timeout.udp_unreplied) and TS s (timeout.udp), ICMP's to TI s.
# natbox's text events and udpka's own lines carry times on the same clock
# (CLOCK_MONOTONIC), so "the flow expired 4 s after its last packet" is
# checked as: the [EXPIRE] time minus 4 s lies between the moment udpka sent
# that packet and the moment it got the echo, whatever the scheduler did.
#
#   a. keepalives (gcp-cloudnat: expire.later = drop): every 1 s (< TU) all
#      echoes come back and the flow lives on; every 5 s (> TU) the flow
#      expires (expired:udp_unreplied: the first reply is still timed
#      unreplied) and each later keepalive makes the mapping again (a new
#      [NEW], as a NAT does for the inside's next packet); a stream
#      (replied after 2 s) paused 7 s expires as expired:udp and is made
#      again. Server keepalives to a silent client keep the flow alive
#      under refresh.udp = any.
#   b. refresh.udp = orig: the server's keepalives (reply direction) do not
#      restart the timer: the flow expires exactly TS s after it became
#      UDP_REPLIED and the later keepalives are dropped; the client's own
#      keepalives still keep a flow alive.
#   c. ping through natbox, IPv4 and IPv6: replies arrive, [NEW] proto=icmp /
#      icmpv6 with timer icmp, expiry (expired:icmp) TI s after the last
#      echo; a ping paused longer than TI expires and its next echo starts
#      a new session.
#   d. ICMP port unreachable (no listener on the server): it reaches the
#      client's connected socket and neither refreshes nor ends the flow
#      nor counts as its reply (one [NEW], no [UPDATE], [EXPIRE] exactly
#      TU s after the one datagram); with icmp.errors = drop it does not
#      reach the client ([DROP] reason=icmp_error).
#   e. the kernel's conntrack on the router beside natbox (linux-conntrack),
#      its UDP timeouts set to the same TU/TS by sysctl: NEW, ASSURED and
#      DESTROY against natbox's [NEW], [UPDATE] UDP_REPLIED, [DESTROY], for a
#      replied stream and an unreplied flow: the same moments within 1 s.
#      (The kernel also reports the first reply, an [UPDATE] without a
#      state change: natbox's state, UDP_UNREPLIED, does not change then.)
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-udp}
QUEUE=${QUEUE:-11}
LAB_PROTO="tcp udp icmp"
export LAB_PROTO
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"

UDPKA=$E2E_BIN/udpka
if [ ! -x "$UDPKA" ]; then
	make -C "$E2E_ROOT" -s BUILD="$(dirname "$E2E_BIN")" "$UDPKA" >/dev/null 2>&1 ||
		e2e_log "cannot build $UDPKA"
fi
if [ ! -x "$UDPKA" ]; then
	fail "udpka built (make build/e2e/udpka)"
	e2e_finish
fi

# conntrack(8) is needed for part e only.
if ! command -v conntrack >/dev/null 2>&1; then
	e2e_log "installing conntrack"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq conntrack >/dev/null 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq conntrack >/dev/null 2>&1; }
fi

lab_up

TU=3    # timeout.udp_unreplied, s
TS=4    # timeout.udp (the stream timer), s
TI=3    # timeout.icmp, s
SET_UDP="--set timeout.udp_unreplied=${TU}s --set timeout.udp=${TS}s"

# --- helpers ----------------------------------------------------------------

# nb_start TAG ARG...: natbox on $QUEUE in the router as process nb_TAG,
# events (text) in $EV = ev_TAG.out. 0 once it has bound the queue.
nb_start() {
	_tag=$1
	shift
	EV=$E2E_TMP/ev_$_tag.out
	bg_in router "nb_$_tag" "$NATBOX" run --queue "$QUEUE" --no-ctl --events "$EV" "$@"
	wait_for 5 queue_bound && return 0
	fail "$_tag: natbox bound queue $QUEUE"
	bg_stop "nb_$_tag"
	return 1
}

nb_stop() {
	e2e_sleep 0.3   # the last timer events
	bg_stop "nb_$1"
}

# ev FILE TYPE [KEY=VALUE...]: natbox's event lines [TYPE] having every
# KEY=VALUE token given.
ev() {
	_f=$1
	_t=$2
	shift 2
	[ -r "$_f" ] || return 0
	awk -v t="[$_t]" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$1 != t { next }
		{
			for (i = 1; i <= n; i++) {
				hit = 0
				for (j = 2; j <= NF; j++) if ($j == w[i]) { hit = 1; break }
				if (!hit) next
			}
			print
		}' "$_f"
}

ev_n() {
	ev "$@" | awk 'END { print NR }'
}

ev_has() {
	[ "$(ev_n "$@")" -gt 0 ]
}

# ev_ts FILE TYPE [KEY=VALUE...]: ts of the first such event ('' if none).
ev_ts() {
	ev "$@" | head -n 1 | tr ' ' '\n' | sed -n 's/^ts=//p'
}

# tdiff A B: A - B in seconds ('' when either is missing).
tdiff() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		num = "^[0-9]+([.][0-9]+)?$"
		if (a !~ num || b !~ num) exit
		printf "%.6f\n", a - b
	}'
}

# us_diff A B: A - B in whole microseconds, exact for natbox's timestamps
# (seconds with up to six decimals).
us_diff() {
	awk -v a="$1" -v b="$2" '
		function us(s,  p, n, f) {
			n = split(s, p, ".")
			f = n > 1 ? p[2] : ""
			while (length(f) < 6) f = f "0"
			return p[1] * 1000000 + substr(f, 1, 6)
		}
		BEGIN {
			num = "^[0-9]+([.][0-9]+)?$"
			if (a !~ num || b !~ num) exit
			printf "%d\n", us(a) - us(b)
		}'
}

# in_window T LO HI: LO - 1 ms <= T <= HI + 1 ms (the ms for the six
# decimals both sides print).
in_window() {
	awk -v t="$1" -v lo="$2" -v hi="$3" 'BEGIN {
		num = "^-?[0-9]+([.][0-9]+)?$"
		if (t !~ num || lo !~ num || hi !~ num) exit 1
		exit !(t >= lo - 0.001 && t <= hi + 0.001)
	}'
}

# cport NAME: udpka client NAME's local port.
cport() {
	_l=$(kv "$(out "$1")" local '^start ')
	printf '%s\n' "${_l##*:}"
}

# ukv NAME KEY: KEY from udpka NAME's closing line.
ukv() {
	kv "$(out "$1")" "$2" '^done '
}

# line_mono NAME ERE: mono= of the first line of NAME matching ERE.
line_mono() {
	grep -E -m 1 -- "$2" "$(out "$1")" | tr ' ' '\n' | sed -n 's/^mono=//p'
}

# is_udp_listening ROLE PORT
is_udp_listening() {
	[ -n "$(run_in "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]
}

wait_udp() {
	wait_for 5 is_udp_listening "$1" "$2"
}

# expire_window TAG NAME PORT SEQ SECS REASON: the flow of client NAME
# (port PORT) expired with REASON exactly SECS after its last packet: the
# [EXPIRE] time minus SECS lies between udpka's sending datagram SEQ and
# its getting that datagram's echo (natbox saw the last packet in between).
expire_window() {
	_x=$(ev_ts "$EV" EXPIRE "sport=$3" "reason=$6")
	_lo=$(line_mono "$2" "^sent seq=$4 ")
	_hi=$(line_mono "$2" "^reply seq=$4 ")
	_rel=$(tdiff "$_x" "$5")
	if in_window "$_rel" "$_lo" "$_hi"; then
		pass "$1: [EXPIRE] $6 came ${5}s after the flow's last packet (datagram $4 and its echo)"
	else
		fail "$1: [EXPIRE] $6 ${5}s after the last packet: expire=$_x - $5 = '$_rel' not in [$_lo, $_hi]"
	fi
}

# none_before FILE TYPE T KEY=VALUE...: no such event with ts <= T.
none_before() {
	_f=$1
	_ty=$2
	_lim=$3
	shift 3
	[ -n "$_lim" ] || return 1
	ev "$_f" "$_ty" "$@" | tr ' ' '\n' | sed -n 's/^ts=//p' |
		awk -v lim="$_lim" '$1 <= lim { bad = 1 } END { exit bad }'
}

PHASES=

# --- a. keepalive interval under and over the timeout -----------------------
# shellcheck disable=SC2086 # $SET_UDP is several words on purpose
if nb_start a --policy gcp-cloudnat $SET_UDP; then
	PHASES="$PHASES a"
	bg_in server srv_a "$UDPKA" server --listen "$SERVER4:5101" --echo --timeout 60
	bg_in server srv_any "$UDPKA" server --listen "$SERVER4:5102" --echo --keepalive 1 \
		--to "$CLIENT4:5202" --count 10 --timeout 40
	{ wait_udp server 5101 && wait_udp server 5102; } || fail "a: udpka servers listening"
	# a1: every 1 s for 12 s; a2: every 5 s; a3: every 1 s, then 7 s of
	# silence after the 4th; any: one exchange, then only the server speaks.
	bg_in client cli_a1 "$UDPKA" client --to "$SERVER4:5101" --every 1000 --count 12 \
		--wait-replies --reply-timeout 2 --timeout 40
	bg_in client cli_a2 "$UDPKA" client --to "$SERVER4:5101" --every 5000 --count 3 \
		--wait-replies --reply-timeout 2 --timeout 40
	bg_in client cli_a3 "$UDPKA" client --to "$SERVER4:5101" --every 1000 --count 6 \
		--pause-after 4 --pause 7000 --wait-replies --reply-timeout 2 --timeout 40
	bg_in client cli_any "$UDPKA" client --to "$SERVER4:5102" --from "$CLIENT4:5202" \
		--every 1000 --count 1 --wait-replies --reply-timeout 2 --hold 11 --timeout 40
	for c in cli_a1 cli_a2 cli_a3 cli_any; do
		bg_wait "$c" 40 || fail "a: $c ended by itself"
	done
	P1=$(cport cli_a1)
	P2=$(cport cli_a2)
	P3=$(cport cli_a3)
	# a1's flow is left to expire TS s after its last packet.
	wait_for $((TS + 3)) ev_has "$EV" EXPIRE "sport=$P1" ||
		e2e_log "a1: no [EXPIRE] within $((TS + 3))s of the client's end"
	nb_stop a
	bg_stop srv_a
	bg_stop srv_any

	# a1: under the timeout
	assert_eq "a1 (every 1s < ${TU}s/${TS}s): all 12 echoes came back" all_replies \
		"$(ukv cli_a1 result)"
	assert_eq "a1: 12 replies" 12 "$(ukv cli_a1 replies)"
	check "a1: natbox [NEW] proto=udp UDP_UNREPLIED timer=udp_unreplied timeout=$TU" \
		ev_has "$EV" NEW "sport=$P1" dport=5101 proto=udp state=UDP_UNREPLIED \
		timer=udp_unreplied "timeout=$TU"
	check "a1: [UPDATE] to UDP_REPLIED, timer=udp timeout=$TS" \
		ev_has "$EV" UPDATE "sport=$P1" proto=udp state=UDP_REPLIED old_state=UDP_UNREPLIED \
		timer=udp "timeout=$TS"
	a1_up=$(tdiff "$(ev_ts "$EV" UPDATE "sport=$P1")" "$(ev_ts "$EV" NEW "sport=$P1")")
	assert_between "a1: UDP_REPLIED at the first packet after the flow's first 2 s (+s)" \
		2.000001 5 "$a1_up"
	check "a1: no [EXPIRE] and no [DROP] while the keepalives ran" \
		none_before "$EV" EXPIRE "$(ukv cli_a1 last_reply_mono)" "sport=$P1"
	check_not "a1: natbox dropped none of its datagrams" ev_has "$EV" DROP "sport=$P1"
	expire_window "a1" cli_a1 "$P1" 12 "$TS" expired:udp

	# a2: over the timeout, never a stream. Each keepalive finds the
	# mapping gone and makes it again (RFC 4787 4.3: the inside's packet
	# creates a mapping), so its echo comes back; what a lost mapping
	# costs is seen from the other side (b: the server's packets into it
	# are dropped) and, once natbox translates, in a new outside port.
	assert_eq "a2 (every 5s > ${TU}s): each keepalive made the mapping again, its echo came back" \
		all_replies "$(ukv cli_a2 result)"
	assert_eq "a2: 3 replies, no timeout" "3/0" "$(ukv cli_a2 replies)/$(ukv cli_a2 timeouts)"
	check_not "a2: the flow never became UDP_REPLIED (no packet after 2 s before expiry)" \
		ev_has "$EV" UPDATE "sport=$P2"
	check "a2: [EXPIRE] state=UDP_UNREPLIED reason=expired:udp_unreplied" \
		ev_has "$EV" EXPIRE "sport=$P2" state=UDP_UNREPLIED reason=expired:udp_unreplied
	# the echo was the flow's first reply: still timed udp_unreplied (TU)
	expire_window "a2" cli_a2 "$P2" 1 "$TU" expired:udp_unreplied
	assert_eq "a2: a [NEW] flow for each of the 3 keepalives (the mapping made again)" 3 \
		"$(ev_n "$EV" NEW "sport=$P2")"
	assert_eq "a2: an [EXPIRE] expired:udp_unreplied between them" 3 \
		"$(ev_n "$EV" EXPIRE "sport=$P2" reason=expired:udp_unreplied)"
	check_not "a2: natbox dropped none of the client's datagrams" ev_has "$EV" DROP "sport=$P2"
	assert_eq "a2: the server got all 3 datagrams" 3 \
		"$(grep -c "^got from=$CLIENT4:$P2 " "$(out srv_a)")"

	# a3: a stream, then a pause over the stream timeout
	assert_eq "a3 (4 x 1s, then 7s > ${TS}s): after the pause the mapping was made again" \
		all_replies "$(ukv cli_a3 result)"
	assert_eq "a3: 6 replies, no timeout" "6/0" "$(ukv cli_a3 replies)/$(ukv cli_a3 timeouts)"
	check "a3: [UPDATE] to UDP_REPLIED" ev_has "$EV" UPDATE "sport=$P3" state=UDP_REPLIED
	check "a3: [EXPIRE] state=UDP_REPLIED timer=udp reason=expired:udp" \
		ev_has "$EV" EXPIRE "sport=$P3" state=UDP_REPLIED timer=udp reason=expired:udp
	expire_window "a3" cli_a3 "$P3" 4 "$TS" expired:udp
	assert_eq "a3: two [NEW]s: the stream, then the mapping made again after the pause" 2 \
		"$(ev_n "$EV" NEW "sport=$P3")"
	check_not "a3: natbox dropped none of the client's datagrams" ev_has "$EV" DROP "sport=$P3"

	# any: the server's keepalives alone, refresh.udp = any
	assert_eq "a-any (refresh.udp=any): the client's one datagram was echoed" 1 \
		"$(ukv cli_any replies)"
	assert_eq "a-any: all 10 server keepalives reached the silent client" 10 \
		"$(ukv cli_any peer)"
	check "a-any: the server's keepalives made the flow UDP_REPLIED" \
		ev_has "$EV" UPDATE sport=5202 state=UDP_REPLIED
	check "a-any: no [EXPIRE] while the server's keepalives ran" \
		none_before "$EV" EXPIRE "$(ukv cli_any last_peer_mono)" sport=5202
fi

# --- b. refresh.udp = orig ---------------------------------------------------
# shellcheck disable=SC2086
if nb_start b --policy gcp-cloudnat $SET_UDP --set refresh.udp=orig; then
	PHASES="$PHASES b"
	bg_in server srv_b "$UDPKA" server --listen "$SERVER4:5103" --echo --keepalive 1 \
		--to "$CLIENT4:5203" --count 10 --timeout 40
	bg_in server srv_b2 "$UDPKA" server --listen "$SERVER4:5104" --echo --timeout 40
	{ wait_udp server 5103 && wait_udp server 5104; } || fail "b: udpka servers listening"
	bg_in client cli_b "$UDPKA" client --to "$SERVER4:5103" --from "$CLIENT4:5203" \
		--every 1000 --count 1 --wait-replies --reply-timeout 2 --hold 11 --timeout 40
	bg_in client cli_b2 "$UDPKA" client --to "$SERVER4:5104" --every 1000 --count 8 \
		--wait-replies --reply-timeout 2 --timeout 40
	bg_wait cli_b 40 || fail "b: cli_b ended by itself"
	bg_wait cli_b2 40 || fail "b: cli_b2 ended by itself"
	bg_wait srv_b 5 >/dev/null 2>&1 || bg_stop srv_b
	nb_stop b
	bg_stop srv_b2
	PB2=$(cport cli_b2)

	assert_eq "b (refresh.udp=orig): the client's one datagram was echoed" 1 \
		"$(ukv cli_b replies)"
	assert_eq "b: the server sent its 10 keepalives" 10 "$(kv "$(out srv_b)" keepalives '^done ')"
	check "b: the server's keepalives made the flow UDP_REPLIED (a state change restarts the timer)" \
		ev_has "$EV" UPDATE sport=5203 state=UDP_REPLIED timer=udp "timeout=$TS"
	check "b: [EXPIRE] reason=expired:udp" ev_has "$EV" EXPIRE sport=5203 reason=expired:udp
	b_up=$(ev_ts "$EV" UPDATE sport=5203 state=UDP_REPLIED)
	b_x=$(ev_ts "$EV" EXPIRE sport=5203)
	# Exact on natbox's clock: the timer set at the UPDATE ran out untouched,
	# though keepalives came every second after it.
	assert_eq "b: expiry exactly ${TS}s after UDP_REPLIED: the keepalives after it (reply direction) did not restart the timer" \
		$((TS * 1000000)) "$(us_diff "$b_x" "$b_up")"
	_drops=$(ev_n "$EV" DROP sport=5203 reason=expired:udp dir=reply)
	assert_ge "b: the server's later keepalives were [DROP]ped (expired:udp, dir=reply)" 1 \
		"$_drops"
	check "b: none before the expiry" none_before "$EV" DROP "$b_x" sport=5203
	_peer=$(ukv cli_b peer)
	assert_between "b: the client got some keepalives, not all 10 ($_peer)" 1 9 "$_peer"
	# Counted, not timed: which keepalive was the first past the deadline
	# is up to the scheduler; each one either reached the client or was
	# dropped after the expiry.
	assert_eq "b: each of the 10 keepalives reached the client or was dropped" 10 \
		"$((${_peer:-0} + _drops))"
	assert_eq "b2: the client's own keepalives (orig) keep a flow alive: 8 of 8 echoes" \
		all_replies "$(ukv cli_b2 result)"
	check "b2: no [EXPIRE] while they ran" \
		none_before "$EV" EXPIRE "$(ukv cli_b2 last_reply_mono)" "sport=$PB2"
fi

# --- c. ping, IPv4 and IPv6 --------------------------------------------------
if nb_start c --policy gcp-cloudnat --set "timeout.icmp=${TI}s"; then
	PHASES="$PHASES c"
	# identifiers fixed with -e: the flow key, shown as sport/dport
	bg_in client ping4 ping -n -c 3 -i 0.5 -W 2 -e 4101 "$SERVER4"
	bg_in client ping6 ping -6 -n -c 3 -i 0.5 -W 2 -e 4102 "$SERVER6"
	bg_in client pingp ping -n -c 2 -i 5 -W 2 -e 4103 "$SERVER4"
	for c in ping4 ping6 pingp; do
		bg_wait "$c" 20 >/dev/null 2>&1
	done
	wait_for $((TI + 3)) ev_has "$EV" EXPIRE sport=4101 ||
		e2e_log "c: no [EXPIRE] for the IPv4 ping"
	wait_for 3 ev_has "$EV" EXPIRE sport=4102 || e2e_log "c: no [EXPIRE] for the IPv6 ping"
	nb_stop c

	check "c v4: ping's 3 echoes came back through natbox" \
		grep -q '3 packets transmitted, 3 received' "$(out ping4)"
	check "c v6: ping -6's 3 echoes came back through natbox" \
		grep -q '3 packets transmitted, 3 received' "$(out ping6)"
	check "c v4: [NEW] proto=icmp state=ICMP timer=icmp timeout=$TI (identifier 4101)" \
		ev_has "$EV" NEW sport=4101 dport=4101 proto=icmp state=ICMP timer=icmp "timeout=$TI"
	check "c v6: [NEW] proto=icmpv6 state=ICMP timer=icmp timeout=$TI (identifier 4102)" \
		ev_has "$EV" NEW sport=4102 dport=4102 proto=icmpv6 state=ICMP timer=icmp "timeout=$TI"
	for id in 4101 4102; do
		check "c $id: [EXPIRE] reason=expired:icmp" \
			ev_has "$EV" EXPIRE "sport=$id" timer=icmp reason=expired:icmp
		# three echoes 0.5 s apart: the last about 1 s after the first
		assert_between "c $id: expired ${TI}s after the last echo (~1s after the first; s from [NEW])" \
			$((TI)).9 $((TI + 3)) \
			"$(tdiff "$(ev_ts "$EV" EXPIRE "sport=$id")" "$(ev_ts "$EV" NEW "sport=$id")")"
	done
	check "c pause: ping (2 echoes 5s apart) got both back: the second made a new session" \
		grep -q '2 packets transmitted, 2 received' "$(out pingp)"
	check "c pause: [EXPIRE] reason=expired:icmp during the pause" \
		ev_has "$EV" EXPIRE sport=4103 reason=expired:icmp
	assert_between "c pause: ${TI}s after the first echo (s from [NEW])" "$TI" $((TI + 1)) \
		"$(tdiff "$(ev_ts "$EV" EXPIRE sport=4103)" "$(ev_ts "$EV" NEW sport=4103)")"
	assert_eq "c pause: the second echo request started a new ICMP flow" 2 \
		"$(ev_n "$EV" NEW sport=4103 proto=icmp)"
	check_not "c pause: natbox dropped no echo" ev_has "$EV" DROP sport=4103
fi

# --- d. ICMP port unreachable ------------------------------------------------
# Nothing listens on 5109: the server's stack answers each datagram with a
# port unreachable. Its ICMP rate limits are lifted (per namespace) so that
# every datagram gets its own error.
run_in server sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 >/dev/null ||
	e2e_log "d: could not lift the server's ICMP rate limits"
# shellcheck disable=SC2086
if nb_start d --policy gcp-cloudnat $SET_UDP; then
	PHASES="$PHASES d"
	bg_in client cli_d1 "$UDPKA" client --to "$SERVER4:5109" --every 1000 --count 1 \
		--wait-replies --reply-timeout 1 --timeout 20
	bg_in client cli_d2 "$UDPKA" client --to "[$SERVER6]:5109" --every 1000 --count 1 \
		--wait-replies --reply-timeout 1 --timeout 20
	bg_in client cli_d3 "$UDPKA" client --to "$SERVER4:5109" --every 1000 --count 3 \
		--wait-replies --reply-timeout 1 --timeout 20
	for c in cli_d1 cli_d2 cli_d3; do
		bg_wait "$c" 20 || fail "d: $c ended by itself"
	done
	PD3=$(cport cli_d3)
	wait_for $((TU + 2)) ev_has "$EV" EXPIRE "sport=$PD3" ||
		e2e_log "d3: no [EXPIRE] within $((TU + 2))s"
	nb_stop d

	for c in cli_d1 cli_d2; do
		if [ "$c" = cli_d1 ]; then fam=v4; else fam=v6; fi
		p=$(cport "$c")
		check "d $fam: the port unreachable reached the client (icmp port-unreachable)" \
			grep -q '^icmp port-unreachable ' "$(out "$c")"
		check "d $fam: natbox [NEW] for the datagram's flow" \
			ev_has "$EV" NEW "sport=$p" dport=5109 proto=udp state=UDP_UNREPLIED
		check_not "d $fam: the error is no reply: no [UPDATE]" ev_has "$EV" UPDATE "sport=$p"
		check "d $fam: [EXPIRE] reason=expired:udp_unreplied" \
			ev_has "$EV" EXPIRE "sport=$p" reason=expired:udp_unreplied
		_new=$(ev_ts "$EV" NEW "sport=$p")
		_x=$(ev_ts "$EV" EXPIRE "sport=$p")
		_icmp=$(line_mono "$c" '^icmp port-unreachable ')
		if [ -n "$_new" ] && in_window "$_icmp" "$_new" "$_x"; then
			pass "d $fam: the error came after the flow began, before its expiry"
		else
			fail "d $fam: the error came after the flow began, before its expiry (new $_new, icmp $_icmp, expire $_x)"
		fi
		# Exact on natbox's clock: the datagram at [NEW] set the timer and
		# the error natbox passed after it did not restart it.
		assert_eq "d $fam: expiry exactly ${TU}s after the datagram: the error did not refresh the flow" \
			$((TU * 1000000)) "$(us_diff "$_x" "$_new")"
		assert_eq "d $fam: the flow's only [DESTROY] is its expiry" "1 $_x" \
			"$(ev_n "$EV" DESTROY "sport=$p") $(ev_ts "$EV" DESTROY "sport=$p")"
	done
	assert_eq "d3: each of 3 datagrams got its port unreachable" 3 "$(ukv cli_d3 unreach)"
	assert_eq "d3: one [NEW] only: the errors did not end the flow" 1 \
		"$(ev_n "$EV" NEW "sport=$PD3")"
	check_not "d3: no [UPDATE]" ev_has "$EV" UPDATE "sport=$PD3"
	_x=$(ev_ts "$EV" EXPIRE "sport=$PD3" reason=expired:udp_unreplied)
	_lo=$(line_mono cli_d3 '^sent seq=3 ')
	_hi=$(line_mono cli_d3 '^icmp port-unreachable after_seq=3 ')
	if in_window "$(tdiff "$_x" "$TU")" "$_lo" "$_hi"; then
		pass "d3: [EXPIRE] expired:udp_unreplied ${TU}s after the last datagram"
	else
		fail "d3: [EXPIRE] expired:udp_unreplied ${TU}s after the last datagram ($_x - $TU not in [$_lo, $_hi])"
	fi
	check_not "d: natbox dropped nothing" ev_has "$EV" DROP
fi

# shellcheck disable=SC2086
if nb_start d_drop --policy gcp-cloudnat $SET_UDP --set icmp.errors=drop; then
	PHASES="$PHASES d-drop"
	bg_in client cli_e1 "$UDPKA" client --to "$SERVER4:5109" --every 1000 --count 2 \
		--wait-replies --reply-timeout 1 --timeout 20
	bg_in client cli_e2 "$UDPKA" client --to "[$SERVER6]:5109" --every 1000 --count 1 \
		--wait-replies --reply-timeout 1 --timeout 20
	bg_wait cli_e1 20 || fail "d-drop: cli_e1 ended by itself"
	bg_wait cli_e2 20 || fail "d-drop: cli_e2 ended by itself"
	nb_stop d_drop
	PE1=$(cport cli_e1)
	PE2=$(cport cli_e2)
	assert_eq "d-drop v4 (icmp.errors=drop): no ICMP error reached the client, both datagrams timed out" \
		"0/2" "$(ukv cli_e1 unreach)/$(ukv cli_e1 timeouts)"
	assert_eq "d-drop v4: both port unreachables [DROP]ped, reason=icmp_error dir=reply" 2 \
		"$(ev_n "$EV" DROP "sport=$PE1" proto=udp reason=icmp_error dir=reply)"
	assert_eq "d-drop v4: one [NEW] only" 1 "$(ev_n "$EV" NEW "sport=$PE1")"
	assert_eq "d-drop v6: no ICMPv6 error reached the client" 0 "$(ukv cli_e2 unreach)"
	check "d-drop v6: the port unreachable [DROP]ped, reason=icmp_error" \
		ev_has "$EV" DROP "sport=$PE2" proto=udp reason=icmp_error dir=reply
fi

# --- e. the kernel's conntrack beside natbox ----------------------------------
# As in s09: a match-only mangle rule switches the router's conntrack on
# without deciding anything (the NFQUEUE rules still see every packet and
# natbox's verdicts are the only ones); the UDP timeouts are per namespace.
# The kernel sends [DESTROY] for a timed-out entry only when it reaps it:
# its gc worker (with a few short entries, up to a minute later), a packet
# of the tuple, or a table dump. A `conntrack -L` every 0.25 s reaps
# promptly; the kernel's times here are when `conntrack -E` read the
# events (wall clock), natbox's are its own: only spans are compared.
CT=$E2E_TMP/ct.out
ct_ts() {
	# ct_ts TYPE PORT [FLAG]: read time of the first kernel event [TYPE] of
	# the flow from client port PORT ([FLAG] among its words, if given).
	[ -r "$CT" ] || return 0
	awk -v t="[$1]" -v p="sport=$2" -v fl="${3:+[$3]}" '
		$2 != t { next }
		{
			s = ""
			for (i = 3; i <= NF; i++) if ($i ~ /^sport=/) { s = $i; break }
			if (s != p) next
			if (fl != "") {
				hit = 0
				for (i = 3; i <= NF; i++) if ($i == fl) hit = 1
				if (!hit) next
			}
			ts = $1
			gsub(/[][]/, "", ts)
			print ts
			exit
		}' "$CT"
}
ct_has() {
	[ -n "$(ct_ts "$@")" ]
}
# ct_seq PORT / nb_seq PORT: each side's events for the flow, in order
# (the kernel's [ASSURED] and [UNREPLIED] flags, natbox's states), for the
# FINDING lines.
ct_seq() {
	awk -v p="sport=$1" '
		$2 !~ /^\[(NEW|UPDATE|DESTROY)\]$/ { next }
		{
			s = ""
			for (i = 3; i <= NF; i++) if ($i ~ /^sport=/) { s = $i; break }
			if (s != p) next
			w = $2
			for (i = 3; i <= NF; i++) if ($i == "[ASSURED]" || $i == "[UNREPLIED]") w = w " " $i
			printf "%s%s", sep, w
			sep = ", "
		}
		END { print "" }' "$CT"
}
nb_seq() {
	[ -r "$EV" ] || return 0
	awk -v p="sport=$1" '
		{
			hit = 0
			for (i = 2; i <= NF; i++) if ($i == p) hit = 1
			if (!hit) next
			w = $1
			for (i = 2; i <= NF; i++) {
				if ($1 == "[UPDATE]" && $i ~ /^state=/) w = w " " substr($i, 7)
				if ($1 == "[EXPIRE]" && $i ~ /^reason=/) w = w " " substr($i, 8)
			}
			printf "%s%s", sep, w
			sep = ", "
		}
		END { print "" }' "$EV"
}
both_done() {
	ct_has DESTROY "$1" && ev_has "$EV" DESTROY "sport=$1"
}
# agree TAG WHAT KERNEL_SPAN NATBOX_SPAN: within 1 s of each other.
agree() {
	_d=$(tdiff "$3" "$4")
	printf 'FINDING: %s: %s: kernel %s s, natbox %s s\n' "$1" "$2" "${3:--}" "${4:--}"
	if [ -n "$_d" ] && awk -v d="$_d" 'BEGIN { exit !(d <= 1 && d >= -1) }'; then
		pass "$1: $2 agree within 1s (kernel $3 s, natbox $4 s)"
	else
		fail "$1: $2 agree within 1s (kernel '$3' s, natbox '$4' s)"
	fi
}

if ! command -v conntrack >/dev/null 2>&1; then
	fail "e: conntrack(8) available (apt-get install -y conntrack)"
elif ! run_in router iptables -w -t mangle -A PREROUTING -p udp -m conntrack \
	--ctstate NEW,ESTABLISHED,RELATED,INVALID,UNTRACKED; then
	fail "e: router: conntrack switched on (match-only mangle rule)"
elif ! run_in router sysctl -qw "net.netfilter.nf_conntrack_udp_timeout=$TU" \
	"net.netfilter.nf_conntrack_udp_timeout_stream=$TS" >/dev/null; then
	fail "e: router: nf_conntrack_udp_timeout=$TU, _udp_timeout_stream=$TS"
else
	pass "e: router: conntrack on, nf_conntrack_udp_timeout=$TU, _stream=$TS"
	E_READY=1
fi
# shellcheck disable=SC2086
if [ "${E_READY:-0}" = 1 ] && nb_start e --policy linux-conntrack $SET_UDP; then
	PHASES="$PHASES e"
	bg_in router ct stdbuf -oL conntrack -E -p udp -o timestamp
	# shellcheck disable=SC2016 # the loop is the inner shell's
	bg_in router ctreap timeout 60 sh -c \
		'i=0; while [ $i -lt 200 ]; do conntrack -L -p udp >/dev/null 2>&1; sleep 0.25; i=$((i + 1)); done'
	bg_in server srv_e "$UDPKA" server --listen "$SERVER4:5105" --echo --timeout 60
	bg_in server srv_q "$UDPKA" server --listen "$SERVER4:5106" --timeout 60
	{ wait_udp server 5105 && wait_udp server 5106; } || fail "e: udpka servers listening"
	# Is `conntrack -E` listening yet? A fresh warm-up datagram each try
	# (client ports 40190..) must show up in its output.
	CT_TRY=0
	ct_warm() {
		_wp=$((40190 + CT_TRY))
		CT_TRY=$((CT_TRY + 1))
		run_out client warmup "$UDPKA" client --to "$SERVER4:5106" --from "$CLIENT4:$_wp" \
			--every 1000 --count 1 --timeout 5
		wait_line "$CT" "sport=$_wp " 1
	}
	check "e: conntrack -E reports events" wait_for 10 ct_warm
	# e1: a stream, datagrams 1.5 s apart (none near the 2 s mark, so the
	# kernel and natbox cannot pick different packets for it): ASSURED /
	# UDP_REPLIED at the 3rd, 3 s in; gone TS s after the 4th (4.5 s).
	# e2: one datagram to a server that never answers.
	bg_in client cli_e1x "$UDPKA" client --to "$SERVER4:5105" --every 1500 --count 4 \
		--wait-replies --reply-timeout 2 --timeout 30
	bg_in client cli_e2x "$UDPKA" client --to "$SERVER4:5106" --every 1000 --count 1 \
		--timeout 30
	bg_wait cli_e1x 30 || fail "e: cli_e1x ended by itself"
	bg_wait cli_e2x 30 || fail "e: cli_e2x ended by itself"
	K1=$(cport cli_e1x)
	K2=$(cport cli_e2x)
	wait_for $((TS + 4)) both_done "$K1" || e2e_log "e1: no [DESTROY] from both"
	wait_for 3 both_done "$K2" || e2e_log "e2: no [DESTROY] from both"
	nb_stop e
	bg_stop ctreap
	bg_stop ct
	bg_stop srv_e
	bg_stop srv_q

	for k in "e1 $K1" "e2 $K2"; do
		set -- $k
		printf 'FINDING: %s: kernel conntrack -E: %s\n' "$1" "$(ct_seq "$2")"
		printf 'FINDING: %s: natbox events:      %s\n' "$1" "$(nb_seq "$2")"
	done
	assert_eq "e1: the stream's 4 echoes came back" all_replies "$(ukv cli_e1x result)"
	check "e1: kernel [NEW]" ct_has NEW "$K1"
	check "e1: kernel [UPDATE] [ASSURED]" ct_has UPDATE "$K1" ASSURED
	check "e1: kernel [DESTROY]" ct_has DESTROY "$K1"
	check "e1: natbox [NEW] UDP_UNREPLIED" ev_has "$EV" NEW "sport=$K1" state=UDP_UNREPLIED
	check "e1: natbox [UPDATE] to UDP_REPLIED" ev_has "$EV" UPDATE "sport=$K1" state=UDP_REPLIED
	check "e1: natbox [EXPIRE] expired:udp" ev_has "$EV" EXPIRE "sport=$K1" reason=expired:udp
	check "e1: natbox [DESTROY] expired:udp" ev_has "$EV" DESTROY "sport=$K1" reason=expired:udp
	k_new=$(ct_ts NEW "$K1")
	n_new=$(ev_ts "$EV" NEW "sport=$K1")
	k_as=$(tdiff "$(ct_ts UPDATE "$K1" ASSURED)" "$k_new")
	n_as=$(tdiff "$(ev_ts "$EV" UPDATE "sport=$K1" state=UDP_REPLIED)" "$n_new")
	assert_gt "e1: natbox: UDP_REPLIED only past the flow's first 2 s" 2 "$n_as"
	# the kernel's are read times: 0.5 s of slack for the reader
	assert_ge "e1: kernel: ASSURED only past the flow's first 2 s (read times, 0.5s slack)" 1.5 "$k_as"
	agree "e1" "ASSURED / UDP_REPLIED moments (s after NEW)" "$k_as" "$n_as"
	agree "e1" "lifetimes (NEW to DESTROY)" \
		"$(tdiff "$(ct_ts DESTROY "$K1")" "$k_new")" \
		"$(tdiff "$(ev_ts "$EV" DESTROY "sport=$K1")" "$n_new")"

	check "e2: kernel [NEW] [UNREPLIED]" ct_has NEW "$K2" UNREPLIED
	check_not "e2: kernel: never ASSURED" ct_has UPDATE "$K2" ASSURED
	check "e2: kernel [DESTROY]" ct_has DESTROY "$K2"
	check_not "e2: natbox: no [UPDATE]" ev_has "$EV" UPDATE "sport=$K2"
	check "e2: natbox [EXPIRE] expired:udp_unreplied" \
		ev_has "$EV" EXPIRE "sport=$K2" reason=expired:udp_unreplied
	agree "e2" "lifetimes (NEW to DESTROY)" \
		"$(tdiff "$(ct_ts DESTROY "$K2")" "$(ct_ts NEW "$K2")")" \
		"$(tdiff "$(ev_ts "$EV" DESTROY "sport=$K2")" "$(ev_ts "$EV" NEW "sport=$K2")")"
	check_not "e: conntrack -E lost no events (ENOBUFS)" grep -qi 'enobufs' "$E2E_TMP/ct.err"
fi

e2e_log "parts run:$PHASES"
e2e_finish
