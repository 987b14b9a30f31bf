#!/bin/sh
# s15_kernel_diff.sh -- natbox's linux-conntrack against the kernel's own
# nf_conntrack on crafted TCP flows: both see every packet, and per flow
# the state sequences and the sets of packets called INVALID must agree.
#
# ktcpgen (tests/e2e/ktcpgen.c) generates seeded random flows of both
# directions (IPv4 and IPv6: handshakes, retransmissions, old and
# out-of-window data, exact and inexact RSTs, SYNs on live tuples,
# simultaneous open, odd flags, SACK blocks, window scaling, zero
# windows, pickups), and sends them from raw sockets in the client's and
# the server's namespaces, whose stacks never answer (INPUT drops TCP).
# The router's kernel tracks them (sysctls at their defaults: tcp_loose 1,
# be_liberal 0, max_retrans 3, ignore_invalid_rst 0); `conntrack -E`
# records its states, an NFLOG rule on --ctstate INVALID (mangle FORWARD,
# before the NFQUEUE rule) its INVALID marks, each packet numbered in its
# urgent pointer. natbox, on the lab's FORWARD queue, accepts everything
# (else the kernel would never confirm a flow) and reports its states and
# [INVALID] events. Packets go out KDIFF_GAP_US apart, so each is through
# both before the next.
#
# KDIFF_SEEDS (default "1 2"), KDIFF_FLOWS per seed (100), KDIFF_GAP_US
# (300, after each packet is seen arriving at the far end), KDIFF_SHOW (disagreeing flows printed per seed, as replayable
# packet lists, 3), KDIFF_WAIT_MS (how long a packet may take to arrive,
# 200; a natbox that drops packets makes every drop wait it out), KDIFF_LIST (a packet list to replay), KDIFF_NATBOX_ARGS (more for natbox run; an older
# natbox without [INVALID] events: --set invalid.action=drop, whose drops
# count as its INVALID marks). KDIFF_EXAMPLES=path/kernel-repro.json adds the
# fidelity examples as one more group. `make kernel-diff` runs thousands.
# The timers are compared too (KDIFF_TIMERS=0 turns it off): the
# router's TCP timeouts are shortened by sysctl, and natbox's the same by
# --set, to values 2 s apart (CLOSE 3 s, SYN_SENT 5, SYN_RECV 7,
# TIME_WAIT 9, LAST_ACK 11, CLOSE_WAIT 13, FIN_WAIT 15, max_retrans 17,
# unacknowledged 19; ESTABLISHED 300 s, over the kernel's 120 s mark for
# shortening a flow on an out-of-window FIN or RST), so the delay from a
# flow's last packet to its expiry names the timer each chose; they must
# agree within KDIFF_TOL_MS (1000). A reaper (`conntrack -L` every
# 0.25 s) makes the kernel's expiries prompt; each group waits 23 s for
# them. The timer classes (tests/e2e/kdiff-timers.list) and the malformed
# headers (kdiff-malformed.list) run after the seeds (KDIFF_CLASSES=0: not).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-kx}
QUEUE=${QUEUE:-10}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

SEEDS=${KDIFF_SEEDS:-1 2}
FLOWS=${KDIFF_FLOWS:-100}
GAP=${KDIFF_GAP_US:-300}
SHOW=${KDIFF_SHOW:-3}
NFGROUP=10

e2e_init "${1:-}"
GEN=$E2E_BIN/ktcpgen
if [ ! -x "$GEN" ]; then
	fail "ktcpgen built ($GEN)"
	e2e_finish
fi
for t in conntrack tcpdump; do
	if ! command -v $t >/dev/null 2>&1; then
		fail "$t available (apt-get install -y $t)"
		e2e_finish
	fi
done

lab_up

for role in client server; do
	for ipt in iptables ip6tables; do
		run_in $role $ipt -w -A INPUT -p tcp -j DROP ||
			fail "$role: $ipt drops incoming TCP (its stack must not answer)"
	done
done
for s in tcp_loose=1 tcp_be_liberal=0 tcp_max_retrans=3 tcp_ignore_invalid_rst=0; do
	run_in router sysctl -qw "net.netfilter.nf_conntrack_$s" >/dev/null 2>&1 ||
		e2e_log "router: sysctl nf_conntrack_$s not set"
done
TIMER_SET=
TIMER_WAIT=1
if [ "${KDIFF_TIMERS:-1}" = 1 ]; then
	for kv in close=3 syn_sent=5 syn_recv=7 time_wait=9 last_ack=11 close_wait=13 \
	    fin_wait=15 max_retrans=17 unacknowledged=19 established=300; do
		k=${kv%=*}
		v=${kv#*=}
		if run_in router sysctl -qw "net.netfilter.nf_conntrack_tcp_timeout_$k=$v" \
		    >/dev/null 2>&1; then
			TIMER_SET="$TIMER_SET --set timeout.$k=${v}s"
		else
			fail "router: sysctl nf_conntrack_tcp_timeout_$k=$v"
		fi
	done
	KJ_TIMER_TOL_MS=${KDIFF_TOL_MS:-1000}
	export KJ_TIMER_TOL_MS
	TIMER_WAIT=23
fi
ok=1
for ipt in iptables ip6tables; do
	run_in router $ipt -w -t mangle -A FORWARD -p tcp -m conntrack --ctstate INVALID \
		-j NFLOG --nflog-group $NFGROUP || ok=0
done
if [ $ok = 1 ]; then
	pass "router: NFLOG on --ctstate INVALID before the queue (v4, v6)"
else
	fail "router: NFLOG on --ctstate INVALID before the queue (v4, v6)"
	e2e_finish
fi

CT=$E2E_TMP/ct.out
mkdir -p "$E2E_TMP/cap"	# binary: kept out of the failure dump
NFLOG=$E2E_TMP/cap/nflog.pcap
EV=$E2E_TMP/natbox_events.out
bg_in router ct stdbuf -oL conntrack -E -p tcp -o timestamp
bg_in router nflog tcpdump -q -U -i "nflog:$NFGROUP" -w "$NFLOG"
if [ -n "$TIMER_SET" ]; then
	bg_in router ctreap timeout 3000 sh -c \
		'i=0; while [ $i -lt 12000 ]; do conntrack -L >/dev/null 2>&1; sleep 0.25; i=$((i + 1)); done'
fi
# shellcheck disable=SC2086 # KDIFF_NATBOX_ARGS, TIMER_SET: more words for natbox run
natbox_start --policy linux-conntrack --format json $TIMER_SET ${KDIFF_NATBOX_ARGS:-} ||
	fail "natbox bound queue $QUEUE"

NSC=/var/run/netns/$(e2e_ns client)
NSS=/var/run/netns/$(e2e_ns server)

# A port range per group, so groups never share a tuple (the kernel keeps
# ESTABLISHED entries for days).
NEXT_PORT=10000

# send_group NAME LIST: send LIST's flows and judge them; FINDING lines.
send_group() {
	_name=$1
	_list=$2
	_n=$(grep -c '^flow ' "$_list")
	_log=$E2E_TMP/$_name.log
	"$GEN" send "$_list" "$_log" "$NSC" "$NSS" "$NEXT_PORT" "$GAP" "${KDIFF_WAIT_MS:-200}" ||
		{ fail "$_name: ktcpgen sent its flows"; return; }
	NEXT_PORT=$((NEXT_PORT + _n + 10))
	sleep "$TIMER_WAIT"
	"$GEN" judge "$_list" "$_log" "$EV" "$CT" "$NFLOG" "$SHOW" >"$E2E_TMP/$_name.judge"
	sed 's/^/  /' "$E2E_TMP/$_name.judge" | grep -v '^  flows ' | head -n 60
	_sum=$(grep '^flows ' "$E2E_TMP/$_name.judge")
	printf 'FINDING: %s: %s\n' "$_name" "$_sum"
	assert_match "$_name: every flow agrees (states, INVALID sets${TIMER_SET:+, timers})" \
		'*, both * (100.0%)' "$_sum"
}

# Is everything listening? A warm-up flow must show in conntrack -E, in
# NFLOG (its second packet, a bare FIN on a SYN_SENT flow, is INVALID) and
# in natbox's events.
WARM=$E2E_TMP/warm.list
printf 'flow warm 4\nC S 1000 0 1024 0\nC F 1001 0 1024 0\n\n' >"$WARM"
warm_try() {
	"$GEN" send "$WARM" "$E2E_TMP/warm.log" "$NSC" "$NSS" "$NEXT_PORT" 2000 >/dev/null 2>&1
	NEXT_PORT=$((NEXT_PORT + 1))
	[ -s "$NFLOG" ] && grep -q 'SYN_SENT' "$CT" && grep -q '"event":"invalid"' "$EV"
}
check "conntrack -E, NFLOG and natbox report the warm-up flow" wait_for 15 warm_try
NEXT_PORT=$((NEXT_PORT + 100))

for seed in $SEEDS; do
	"$GEN" gen "$seed" "$FLOWS" >"$E2E_TMP/seed$seed.list"
	send_group "seed $seed ($FLOWS flows)" "$E2E_TMP/seed$seed.list"
done

# The timer classes (minimal sequences, some idle past a timer), with the
# timers compared; KDIFF_CLASSES=0 leaves them out
if [ -n "$TIMER_SET" ] && [ "${KDIFF_CLASSES:-1}" = 1 ]; then
	send_group "timer classes" "$E2E_DIR/kdiff-timers.list"
fi
# The malformed headers (tcp_error()'s INVALID classes)
if [ "${KDIFF_CLASSES:-1}" = 1 ]; then
	send_group "malformed classes" "$E2E_DIR/kdiff-malformed.list"
fi

# KDIFF_LIST=FILE: a packet list of one's own (a disagreeing flow as
# printed above, replayed)
if [ -n "${KDIFF_LIST:-}" ] && [ -f "$KDIFF_LIST" ]; then
	send_group "list $(basename "$KDIFF_LIST")" "$KDIFF_LIST"
fi

if [ -n "${KDIFF_EXAMPLES:-}" ] && [ -f "$KDIFF_EXAMPLES" ] && command -v python3 >/dev/null 2>&1; then
	python3 - "$KDIFF_EXAMPLES" >"$E2E_TMP/examples.list" <<'EOF'
import json, sys
for f in json.load(open(sys.argv[1])):
    print("flow %s %d" % (f["name"].replace(" ", "_"), f["family"]))
    for p in f["pkts"]:
        o = []
        for k, v in p.get("opts") or []:
            if k == "MSS": o.append("mss=%d" % v)
            elif k == "WScale": o.append("ws=%d" % v)
            elif k == "SAckOK": o.append("sackok")
            elif k == "Timestamp": o.append("ts=%d,%d" % tuple(v))
            elif k == "SAck": o.append("sack=%d,%d" % tuple(v[:2]))
        print(" ".join([p["d"], p["f"] or "-", str(p["seq"]), str(p["ack"]), str(p["win"]), str(p["len"])] + o))
    print()
EOF
	send_group "fidelity examples" "$E2E_TMP/examples.list"
fi

e2e_finish
