#!/bin/sh
# s09_kernel_crosscheck.sh -- natbox under linux-conntrack against the
# kernel's own conntrack, on the same packets. The router's conntrack is
# switched on (a match-only mangle rule needs it) and `conntrack -E -p tcp`
# records its events while natbox, on the NFQUEUE, records its own. For
#   (a) a normal connection: handshake, data both ways, the client closes,
#   (b) a half-close: the client's FIN, then the server streams 1 s, closes,
#   (c) a reset by the client after data,
#   (d) a reset by the server after data,
#   (e) a close the server starts (its FIN first),
#   (f) a refused connection (the SYN answered by a RST),
# the sequence of states per flow (kernel: [NEW] and [UPDATE] lines; natbox:
# "new" and "update" events; both: a removal at once, [DESTROY] / "end")
# is compared. Each sequence is printed as a FINDING line.
#
# Where the queue sits matters to what `conntrack -E` can show:
#
#  1. The queue before conntrack (raw PREROUTING, priority -300; conntrack
#     is -200). natbox's verdict reinjects a packet, which then runs through
#     conntrack, forwarding and POSTROUTING, where its events are sent,
#     before the next packet's verdict is handled: one packet, one event.
#     The sequences must be equal.
#  2. The lab's placement (filter FORWARD). Conntrack has already seen a
#     packet when it is queued, and sends its events only at POSTROUTING,
#     after natbox's verdict. A second packet of the flow that arrives
#     while the first waits in the queue changes the state again; the
#     events cached for the flow then go out once, with the state as it is
#     by then. The kernel passed through the state, `conntrack -E` never
#     reported it (seen: a half-close's ESTABLISHED, when the handshake's
#     last ACK is still queued as the request and FIN arrive). There the
#     kernel's sequence must be natbox's with states possibly left out
#     (same first and last state); what was left out is reported.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nb-s09}
QUEUE=${QUEUE:-9}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"

if ! command -v conntrack >/dev/null 2>&1; then
	e2e_log "installing conntrack"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq conntrack >/dev/null 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq conntrack >/dev/null 2>&1; }
fi
if ! command -v conntrack >/dev/null 2>&1; then
	fail "conntrack(8) available (apt-get install -y conntrack)"
	e2e_finish
fi

lab_up

CT=$E2E_TMP/ct.out
EV=$E2E_TMP/natbox_events.out
RULE_FWD="FORWARD -p tcp -j NFQUEUE --queue-num $QUEUE --queue-bypass"
RULE_RAW="PREROUTING -p tcp -j NFQUEUE --queue-num $QUEUE --queue-bypass"

ipt() {
	run_in router iptables -w "$@"
}

# Conntrack hooks run in a namespace only once a rule there needs them. A
# mangle rule with a conntrack match and no target only counts packets: it
# loads conntrack for the router without deciding anything, so the NFQUEUE
# rule still sees every forwarded TCP packet. Rules go with the namespace.
if ipt -t mangle -A PREROUTING -p tcp -m conntrack \
	--ctstate NEW,ESTABLISHED,RELATED,INVALID,UNTRACKED; then
	pass "router: conntrack switched on (match-only mangle rule)"
else
	fail "router: conntrack switched on (match-only mangle rule)"
	e2e_finish
fi

# Placement 1 first: the lab's FORWARD rule is swapped for a raw one.
# shellcheck disable=SC2086 # the rules are several words on purpose
if ipt -D $RULE_FWD && ipt -t raw -A $RULE_RAW; then
	pass "router: NFQUEUE moved to raw PREROUTING (before conntrack)"
else
	fail "router: NFQUEUE moved to raw PREROUTING (before conntrack)"
	e2e_finish
fi

# Line-buffered, so what is on disk is what conntrack has reported.
bg_in router ct stdbuf -oL conntrack -E -p tcp
natbox_start --policy linux-conntrack --format json || fail "natbox bound queue $QUEUE"

bg_in server srv_echo "$TCPSRV" --addr "$SERVER4" --port 5001 --mode echo --timeout 50
bg_in server srv_stream "$TCPSRV" --addr "$SERVER4" --port 5002 --mode stream-after-fin \
	--stream-secs 1 --rate 65536 --timeout 50
bg_in server srv_abort "$TCPSRV" --addr "$SERVER4" --port 5003 --mode abort --timeout 50
bg_in server srv_hold "$TCPSRV" --addr "$SERVER4" --port 5004 --mode hold --hold-secs 0.3 \
	--timeout 50
for p in 5001 5002 5003 5004; do
	wait_listen server $p || fail "server listening on $p"
done

# Is `conntrack -E` listening yet? It has no ready signal: a warm-up
# connection must show up in its output. A fresh one each try (client
# ports 40090..): one that came before conntrack listened would show only
# its DESTROY, after the CLOSE timeout.
CT_TRY=0
ct_warm() {
	_wp=$((40090 + CT_TRY))
	CT_TRY=$((CT_TRY + 1))
	run_out client warmup "$TCPCLI" --addr "$SERVER4" --port 5001 --mode connect \
		--bind-port "$_wp" --close rst
	wait_line "$CT" "sport=$_wp " 1
}
check "conntrack -E reports events" wait_for 10 ct_warm

STATES='NONE|SYN_SENT|SYN_SENT2|SYN_RECV|ESTABLISHED|FIN_WAIT|CLOSE_WAIT|LAST_ACK|TIME_WAIT|CLOSE'

# ct_seq PORT: the kernel's states for the flow from client port PORT, in
# event order, then DESTROY if the entry is gone. An [UPDATE] is not always
# a state change (the ASSURED bit, for one, is an event of its own when it
# does not come with one), so repeats of the previous state are collapsed;
# natbox emits only changes.
ct_seq() {
	awk -v p="sport=$1" -v states="^($STATES)\$" '
		$1 != "[NEW]" && $1 != "[UPDATE]" && $1 != "[DESTROY]" { next }
		{
			hit = 0
			for (i = 2; i <= NF; i++) if ($i ~ /^sport=/) { hit = ($i == p); break }
			if (!hit) next
			if ($1 == "[DESTROY]") { s = "DESTROY" }
			else {
				s = ""
				for (i = 2; i <= NF; i++) if ($i ~ states) { s = $i; break }
			}
			if (s != "" && s != last) { printf "%s%s", sep, s; sep = " " }
			last = s
		}
		END { print "" }' "$CT"
}

# nb_seq PORT: natbox's states for that flow ("new" and "update" events),
# then DESTROY for its "end" event (natbox is stopped only at the end, so
# an "end" here is a flow removed by a packet or a timer, not a flush).
nb_seq() {
	grep -E '"event":"(new|update|end)"' "$EV" | grep -F "\"sport\":$1," |
		sed -n -e 's/.*"event":"end".*/DESTROY/p' \
			-e 's/.*"state":"\([A-Z_0-9]*\)".*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# is_subseq SHORT LONG: SHORT is LONG with words left out, the first and
# last words kept. Prints the words left out.
is_subseq() {
	awk -v s="$1" -v l="$2" 'BEGIN {
		ns = split(s, a, " "); nl = split(l, b, " ")
		if (ns == 0 || a[1] != b[1] || a[ns] != b[nl]) exit 1
		j = 1
		for (i = 1; i <= nl; i++) {
			if (j <= ns && b[i] == a[j]) j++
			else { printf "%s%s", sep, b[i]; sep = " " }
		}
		print ""
		exit !(j > ns)
	}'
}

# has_word LIST WORD: WORD is one of the words of LIST.
# shellcheck disable=SC2317 # called through check
has_word() {
	case " $1 " in *" $2 "*) return 0 ;; esac
	return 1
}

# reached PORT STATE: both have reported STATE for the flow.
# shellcheck disable=SC2317 # called through wait_for
reached() {
	has_word "$(ct_seq "$1")" "$2" && has_word "$(nb_seq "$1")" "$2"
}

# quiet PORT: neither sequence changed over the last 0.3 s. (A late packet
# can still move a flow on, e.g. a RST after TIME_WAIT: compare what both
# saw once the flow is quiet, not a snapshot taken halfway.)
# shellcheck disable=SC2317 # called through wait_for
quiet() {
	_q1="$(ct_seq "$1")/$(nb_seq "$1")"
	sleep 0.3
	[ "$_q1" = "$(ct_seq "$1")/$(nb_seq "$1")" ]
}

# compare exact|subseq TAG PORT STATE: wait (bounded) for both to reach the
# flow's expected final STATE and then go quiet; compare the sequences.
compare() {
	_how=$1
	_tag=$2
	_port=$3
	wait_for 5 reached "$_port" "$4"
	wait_for 5 quiet "$_port"
	_k=$(ct_seq "$_port")
	_n=$(nb_seq "$_port")
	printf 'FINDING: %s: kernel conntrack -E: %s\n' "$_tag" "$_k"
	printf 'FINDING: %s: natbox events:      %s\n' "$_tag" "$_n"
	check "$_tag: the kernel's sequence reaches $4" has_word "$_k" "$4"
	if [ "$_how" = exact ]; then
		assert_eq "$_tag: natbox's state sequence equals the kernel's" "$_k" "$_n"
	elif _lost=$(is_subseq "$_k" "$_n"); then
		pass "$_tag: the kernel's events are natbox's sequence with states left out"
		if [ -n "$_lost" ]; then
			printf 'FINDING: %s: conntrack -E did not report: %s (coalesced while a packet was queued)\n' \
				"$_tag" "$_lost"
			COALESCED=$((COALESCED + 1))
		fi
	else
		fail "$_tag: the kernel's events ($_k) are natbox's sequence ($_n) with states left out"
	fi
}

# cases HOW PORTBASE LABEL: the six connections, client ports PORTBASE+1..6.
cases() {
	_h=$1
	_b=$2
	_l=$3
	# (a) handshake, request/echo, 0.3 s idle, request/echo, the client
	#     closes (FIN), the echo server closes after it.
	run_out client "cli_a$_b" "$TCPCLI" --addr "$SERVER4" --port 5001 --mode idle \
		--idle-secs 0.3 --bind-port $((_b + 1))
	assert_eq "$_l (a) normal: the echo came back" echo \
		"$(kv "$(out "cli_a$_b")" result '^mode=')"
	compare "$_h" "$_l (a) normal connection" $((_b + 1)) TIME_WAIT

	# (b) the client's request and FIN, the server streams 1 s, closes.
	run_out client "cli_b$_b" "$TCPCLI" --addr "$SERVER4" --port 5002 --mode half-close \
		--idle-limit 3 --bind-port $((_b + 2))
	assert_eq "$_l (b) half-close: the client reads to eof" eof \
		"$(kv "$(out "cli_b$_b")" result '^mode=')"
	compare "$_h" "$_l (b) half-close" $((_b + 2)) TIME_WAIT

	# (c) the client sends 100 bytes, waits 0.2 s, resets (SO_LINGER 0).
	run_out client "cli_c$_b" "$TCPCLI" --addr "$SERVER4" --port 5001 --mode reset \
		--request-bytes 100 --hold-secs 0.2 --bind-port $((_b + 3))
	assert_eq "$_l (c) client reset: sent" ok "$(kv "$(out "cli_c$_b")" result '^mode=')"
	compare "$_h" "$_l (c) reset by the client" $((_b + 3)) CLOSE

	# (d) the server reads the request and resets.
	run_out client "cli_d$_b" "$TCPCLI" --addr "$SERVER4" --port 5003 --mode hold \
		--request-bytes 100 --hold-secs 1 --bind-port $((_b + 4))
	assert_eq "$_l (d) server reset: the client saw it" reset \
		"$(kv "$(out "cli_d$_b")" result '^mode=')"
	compare "$_h" "$_l (d) reset by the server" $((_b + 4)) CLOSE

	# (e) the server closes first: its FIN after 0.3 s, the client's
	#     0.7 s later.
	run_out client "cli_e$_b" "$TCPCLI" --addr "$SERVER4" --port 5004 --mode hold \
		--request-bytes 0 --hold-secs 1 --bind-port $((_b + 5))
	assert_eq "$_l (e) server closes first: the client saw its FIN" 1 \
		"$(kv "$(out "cli_e$_b")" peer_fin '^mode=')"
	compare "$_h" "$_l (e) the server closes first" $((_b + 5)) TIME_WAIT

	# (f) no listener: the server's stack answers the SYN with a RST, and
	#     both forget the flow at once (the kernel: "if only reply is a
	#     RST ... delete the conntrack immediately").
	run_out client "cli_f$_b" "$TCPCLI" --addr "$SERVER4" --port 5009 --mode connect \
		--bind-port $((_b + 6))
	assert_eq "$_l (f) refused: the client saw it" refused \
		"$(kv "$(out "cli_f$_b")" result '^mode=')"
	compare "$_h" "$_l (f) connection refused" $((_b + 6)) DESTROY
}

COALESCED=0

# --- 1. queue before conntrack: one event per packet, exact ----------------
cases exact 40000 "[raw]"

# --- 2. the lab's placement (FORWARD): events may coalesce ------------------
# shellcheck disable=SC2086
if ipt -t raw -D $RULE_RAW && ipt -A $RULE_FWD; then
	pass "router: NFQUEUE back in filter FORWARD (the lab's rule)"
	cases subseq 40010 "[forward]"
	printf 'FINDING: [forward]: %s of 6 flows had states conntrack -E did not report\n' \
		"$COALESCED"
else
	fail "router: NFQUEUE back in filter FORWARD (the lab's rule)"
fi

bg_stop ct
bg_stop natbox
check_not "conntrack -E lost no events (ENOBUFS)" grep -qi 'enobufs' "$E2E_TMP/ct.err"

e2e_finish
