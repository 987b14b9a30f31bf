#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s12_nat.sh -- natbox as a real NAT: the lab set up with the recipe
# `natbox rules --nat` prints (LAB_NAT=1: pool 203.0.113.100-101 on the
# server's side, nat.inside 198.51.100.0/24, a second client address
# 198.51.100.3), natbox restarted with the settings each part needs.
#
#   a. TCP: the server's accept() reports a pool address and, under
#      nat.ports = preserve, the client's own port; ping through the NAT.
#   b. nat.ports = sequential: three connections leave from consecutive ports.
#   c. nat.ports = random, nat.parity = on, nat.port_range = 50000-50999:
#      every port in the range, of the internal port's parity, not a
#      sequence; ping's identifier translated too (and the replies arrive).
#   d. expiry (timeout.established = 2s, expire.later = pickup, random
#      ports): after 4 s idle the client's next segment takes a new mapping,
#      leaves from a new port, the server's own stack answers with a RST
#      (seen by tcpdump in the server namespace) and the client's socket
#      is reset.
#   e. nat.port_reuse_delay = 4s over a 2-port range, ports handed out in
#      turn: a port freed is not handed out again within the delay (the
#      other one is), and is once it is over.
#   f. nat.ports_per_host = 2: a host's third connection is dropped (its
#      connect times out; drop.nat:host_quota in ctl stats); another host
#      still connects.
#   g. hairpinning (UDP, endpoint-independent mapping): a second inside host
#      reaches the first through its pool address and port and is seen from
#      its own pool address (RFC 4787 REQ-9); with nat.hairpin = off it is
#      not (drop.nat:hairpin_off).
#   h. unsolicited inbound packets: drop (no answer), reset (a SYN to a pool
#      port gets a RST), icmp (a UDP datagram to an unmapped pool port gets
#      a port unreachable).
#   i. an ICMP port unreachable the server sends about a translated UDP
#      flow reaches the client's connected socket (ECONNREFUSED), and the
#      flow and its mapping outlive it: once a server listens, the same
#      external address and port arrive, one [NEW] for the flow.
#   j. RFC 5780 behaviour discovery as the outside oracle: coturn's
#      turnserver on two server addresses, turnutils_natdiscovery behind
#      natbox: its mapping and filtering classification equal the
#      profile's, for all nine combinations.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-nt}
QUEUE=${QUEUE:-12}
LAB_NAT=1
POOL=203.0.113.100-203.0.113.101
LAB_NAT_POOL=$POOL
export LAB_NAT LAB_NAT_POOL
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"

e2e_init "${1:-}"
export NATBOX

UDPKA=$E2E_BIN/udpka
if [ ! -x "$UDPKA" ]; then
	fail "udpka built (make build/e2e/udpka)"
	e2e_finish
fi
for _t in tcpdump turnserver turnutils_natdiscovery; do
	command -v "$_t" >/dev/null 2>&1 && continue
	e2e_log "installing coturn and tcpdump"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn tcpdump >/dev/null 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn tcpdump >/dev/null 2>&1; }
	break
done

lab_up
CLIENT4B=198.51.100.3
CTL=$E2E_TMP/ctl.sock
run_in server sysctl -qw net.ipv4.icmp_ratelimit=0 >/dev/null

# nat_start TAG [--set ...]: natbox (rfc4787, the lab's pool and inside)
# as background process "nb", events to ev_TAG.out.
nat_start() {
	_tag=$1
	shift
	EV=$E2E_TMP/ev_$_tag.out
	bg_in router nb "$NATBOX" run --queue "$QUEUE" --policy rfc4787 \
		--set "nat.outside=$POOL" --set nat.inside=198.51.100.0/24 \
		--ctl "$CTL" --events "$EV" "$@"
	if ! wait_for 5 queue_bound; then
		fail "natbox ($_tag) bound queue $QUEUE"
		return 1
	fi
}

queue_free() {
	! queue_bound
}

nat_stop() {
	bg_stop nb
	wait_for 5 queue_free
}

stat_of() {
	"$NATBOX" ctl --ctl "$CTL" stats 2>/dev/null | sed -n "s/^$1=//p" | head -n 1
}

in_pool() {
	case ${1%:*} in 203.0.113.100 | 203.0.113.101) return 0 ;; esac
	return 1
}

# srv_peer NAME N: the peer tcpsrv NAME's connection N came from (A:P).
srv_peer() {
	sed -n "s/^conn=$2 peer=\([^ ]*\) .*/\1/p" "$(out "$1")" | head -n 1
}

srv_start() {
	bg_in server "$1" "$TCPSRV" --port 5001 --mode echo --timeout 120
	wait_listen server 5001 || fail "tcpsrv $1 listens"
}

# connect_from NAME PORT [ADDR]: one connection to the server from PORT.
connect_from() {
	run_out client "$1" "$TCPCLI" --addr "$SERVER4" --port 5001 --mode connect \
		--bind-port "$2" ${3:+--bind-addr "$3"} --connect-timeout 3 --timeout 10
}

# ---- a. the pool address, preserved ports, ping ---------------------------
nat_start a --set nat.ports=preserve
srv_start srv_a
run_out client cli_a "$TCPCLI" --addr "$SERVER4" --port 5001 --mode idle --idle-secs 0.5 \
	--bind-port 40001 --timeout 10
assert_eq "a: echo through the NAT" echo "$(kv "$(out cli_a)" result)"
wait_line "$(out srv_a)" '^conn=1 ' 5
peer=$(srv_peer srv_a 1)
check "a: the server's accept() saw a pool address ($peer)" in_pool "$peer"
assert_eq "a: preserve keeps the client's port" 40001 "${peer#*:}"
check "a: the client's own address never reached the server" \
	sh -c "! grep -q 'peer=$CLIENT4' '$(out srv_a)'"
check "a: ping through the NAT" run_in client ping -n -q -c 3 -W 1 "$SERVER4"
check "a: [NEW] proto=icmp with a pool address outside" \
	grep -Eq 'NEW.*proto=icmp .*nat_src=203\.0\.113\.10[01] ' "$EV"
bg_stop srv_a
nat_stop

# ---- b. sequential ---------------------------------------------------------
nat_start b --set nat.ports=sequential
srv_start srv_b
for _p in 40011 40012 40013; do
	connect_from "cli_$_p" "$_p"
done
wait_line "$(out srv_b)" '^conn=3 ' 5
p1=$(srv_peer srv_b 1)
p2=$(srv_peer srv_b 2)
p3=$(srv_peer srv_b 3)
p1=${p1#*:} p2=${p2#*:} p3=${p3#*:}
if [ -n "$p1" ] && [ -n "$p2" ] && [ -n "$p3" ] && [ "$p2" -eq $((p1 + 1)) ] &&
	[ "$p3" -eq $((p2 + 1)) ]; then
	pass "b: sequential: external ports $p1 $p2 $p3 follow each other"
else
	fail "b: sequential: external ports '$p1' '$p2' '$p3' are not consecutive"
fi
bg_stop srv_b
nat_stop

# ---- c. random, parity, range; ping's identifier ---------------------------
nat_start c --set nat.ports=random --set nat.parity=on --set nat.port_range=50000-50999
srv_start srv_c
n=0
ports=
for _p in 40021 40022 40023 40024 40025 40026; do
	connect_from "cli_$_p" "$_p"
	n=$((n + 1))
	wait_line "$(out srv_c)" "^conn=$n " 5
	_x=$(srv_peer srv_c "$n")
	_x=${_x#*:}
	ports="$ports $_x"
	if [ -n "$_x" ] && [ "$_x" -ge 50000 ] && [ "$_x" -le 50999 ] &&
		[ $((_x % 2)) -eq $((_p % 2)) ]; then
		pass "c: port $_p left as $_x: in 50000-50999, same parity"
	else
		fail "c: port $_p left as '$_x': not in 50000-50999 with its parity"
	fi
done
# a sequence would step by 1 or 2 each time; six random picks in 500
# candidates do that with a probability below 1e-10
steps=$(printf '%s\n' $ports | awk 'NR > 1 { d = $1 - prev; if (d == 1 || d == 2) s++ } { prev = $1 } END { print s + 0 }')
assert_lt "c: random: the ports ($ports) are no sequence" 5 "$steps"
check "c: ping through the NAT" run_in client ping -n -q -c 2 -W 1 "$SERVER4"
idl=$(grep -E 'NEW.*proto=icmp' "$EV" | head -n 1)
isp=$(printf '%s\n' "$idl" | tr ' ' '\n' | sed -n 's/^sport=//p')
xsp=$(printf '%s\n' "$idl" | tr ' ' '\n' | sed -n 's/^nat_sport=//p')
if [ -n "$xsp" ] && [ "$xsp" != "$isp" ] && [ "$xsp" -ge 50000 ] && [ "$xsp" -le 50999 ]; then
	pass "c: ping's identifier $isp went out as $xsp"
else
	fail "c: ping's identifier '$isp' went out as '$xsp' (want another, in the range)"
fi
bg_stop srv_c
nat_stop

# ---- d. expiry: a new mapping, the server's RST ----------------------------
nat_start d --set nat.ports=random --set timeout.established=2s --set expire.later=pickup
srv_start srv_d
bg_in server td_d timeout 20 tcpdump -n -l -i to-router -c 1 \
	"src host $SERVER4 and tcp src port 5001 and tcp[tcpflags] & tcp-rst != 0"
e2e_sleep 1
run_out client cli_d "$TCPCLI" --addr "$SERVER4" --port 5001 --mode idle --idle-secs 4 \
	--reply-timeout 3 --bind-port 40031 --timeout 15
assert_eq "d: the client's socket is reset after the mapping expired" reset \
	"$(kv "$(out cli_d)" result)"
x1=$(grep -E 'NEW.* sport=40031 .*proto=tcp' "$EV" | sed -n 1p | tr ' ' '\n' | sed -n 's/^nat_sport=//p')
x2=$(grep -E 'NEW.* sport=40031 .*proto=tcp' "$EV" | sed -n 2p | tr ' ' '\n' | sed -n 's/^nat_sport=//p')
if [ -n "$x1" ] && [ -n "$x2" ] && [ "$x1" != "$x2" ]; then
	pass "d: the next segment left from a new port ($x1, then $x2)"
else
	fail "d: no new port after expiry ('$x1', '$x2')"
fi
check "d: [EXPIRE] expired:idle before the new mapping" grep -q 'EXPIRE.*reason=expired:idle' "$EV"
bg_wait td_d 5 >/dev/null 2>&1
check "d: the server's own stack sent the RST, to the new port ($x2)" \
	grep -Eq "$SERVER4\.5001 > 203\.0\.113\.10[01]\.$x2: Flags \[R" "$(out td_d)"
bg_stop srv_d
nat_stop

# ---- e. port reuse delay ---------------------------------------------------
nat_start e --set nat.ports=sequential --set nat.parity=off --set nat.port_range=50000-50001 \
	--set nat.port_reuse_delay=4s --set timeout.close=500ms --set timeout.time_wait=500ms
srv_start srv_e
run_out client cli_e1 "$TCPCLI" --addr "$SERVER4" --port 5001 --mode connect --close rst \
	--bind-port 40041 --timeout 10
wait_line "$(out srv_e)" '^conn=1 ' 5
e2e_sleep 1.5
run_out client cli_e2 "$TCPCLI" --addr "$SERVER4" --port 5001 --mode connect --close rst \
	--bind-port 40042 --timeout 10
wait_line "$(out srv_e)" '^conn=2 ' 5
e2e_sleep 4
run_out client cli_e3 "$TCPCLI" --addr "$SERVER4" --port 5001 --mode connect --close rst \
	--bind-port 40043 --timeout 10
wait_line "$(out srv_e)" '^conn=3 ' 5
e1=$(srv_peer srv_e 1)
e2=$(srv_peer srv_e 2)
e3=$(srv_peer srv_e 3)
e1=${e1#*:} e2=${e2#*:} e3=${e3#*:}
assert_eq "e: the first connection took the range's first port" 50000 "$e1"
assert_eq "e: 1.5 s after it ended, within the delay, its port is not reused" 50001 "$e2"
assert_eq "e: once the delay is over, it is" 50000 "$e3"
bg_stop srv_e
nat_stop

# ---- f. ports per host -----------------------------------------------------
nat_start f --set nat.ports_per_host=2
srv_start srv_f
bg_in client hold1 "$TCPCLI" --addr "$SERVER4" --port 5001 --mode hold --hold-secs 6 \
	--bind-port 40051 --timeout 15
bg_in client hold2 "$TCPCLI" --addr "$SERVER4" --port 5001 --mode hold --hold-secs 6 \
	--bind-port 40052 --timeout 15
wait_line "$(out hold1)" '^connected' 5
wait_line "$(out hold2)" '^connected' 5
run_out client cli_f3 "$TCPCLI" --addr "$SERVER4" --port 5001 --mode connect \
	--bind-port 40053 --connect-timeout 2 --timeout 5
assert_eq "f: the host's third mapping is refused (its connect times out)" connect_timeout \
	"$(kv "$(out cli_f3)" result)"
assert_ge "f: drop.nat:host_quota counted in ctl stats" 1 "$(stat_of 'drop.nat:host_quota')"
connect_from cli_f4 40054 "$CLIENT4B"
assert_eq "f: another inside host still connects" connected "$(kv "$(out cli_f4)" result)"
bg_stop hold1
bg_stop hold2
bg_stop srv_f
nat_stop

# ---- g. hairpinning --------------------------------------------------------
# hairpin_run TAG: A (198.51.100.2:6000) opens its mapping with a datagram
# to the server, then echoes; B (198.51.100.3:7000) sends to A's pool
# address and port.
hairpin_run() {
	bg_in client "ha_$1" "$UDPKA" server --listen "$CLIENT4:6000" --echo \
		--hello "$SERVER4:6999" --timeout 15
	wait_line "$EV" 'NEW.* sport=6000 .*proto=udp' 5
	hx=$(grep -E 'NEW.* sport=6000 .*proto=udp' "$EV" | head -n 1 | tr ' ' '\n' |
		sed -n 's/^nat_src=//p')
	hp=$(grep -E 'NEW.* sport=6000 .*proto=udp' "$EV" | head -n 1 | tr ' ' '\n' |
		sed -n 's/^nat_sport=//p')
	run_out client "hb_$1" "$UDPKA" client --from "$CLIENT4B:7000" --to "$hx:$hp" \
		--every 200 --count 5 --wait-replies --reply-timeout 0.5 --timeout 10
	bg_stop "ha_$1"
}
nat_start g --set nat.mapping=endpoint-independent --set nat.filtering=address-dependent \
	--set nat.hairpin=on
hairpin_run on
assert_eq "g: hairpin on: B reaches A through A's pool address ($hx:$hp)" all_replies \
	"$(kv "$(out hb_on)" result '^done')"
hf=$(sed -n 's/^got from=\([^ ]*\) .*/\1/p' "$(out ha_on)" | head -n 1)
check "g: A sees B from a pool address ($hf), not from $CLIENT4B" in_pool "$hf"
nat_stop
nat_start g2 --set nat.mapping=endpoint-independent --set nat.hairpin=off
hairpin_run off
assert_eq "g: hairpin off: B's datagrams do not reach A" no_replies \
	"$(kv "$(out hb_off)" result '^done')"
assert_ge "g: drop.nat:hairpin_off counted" 1 "$(stat_of 'drop.nat:hairpin_off')"
nat_stop

# ---- h. unsolicited inbound ------------------------------------------------
# h_probe TAG: from the server, a SYN and UDP datagrams to an unmapped pool port.
h_probe() {
	run_out server "hs_$1" "$TCPCLI" --addr 203.0.113.100 --port 5555 --mode connect \
		--connect-timeout 2 --timeout 5
	run_out server "hu_$1" "$UDPKA" client --to 203.0.113.100:5556 --every 200 --count 3 \
		--hold 0.5 --timeout 5
}
nat_start h1 --set nat.unsolicited=drop
h_probe drop
assert_eq "h: drop: an unsolicited SYN gets no answer" connect_timeout \
	"$(kv "$(out hs_drop)" result)"
check_not "h: drop: no ICMP error either" grep -q '^icmp' "$(out hu_drop)"
nat_stop
nat_start h2 --set nat.unsolicited=reset
h_probe reset
assert_eq "h: reset: an unsolicited SYN to a pool port gets a RST" refused \
	"$(kv "$(out hs_reset)" result)"
nat_stop
nat_start h3 --set nat.unsolicited=icmp
h_probe icmp
check "h: icmp: a datagram to an unmapped pool port gets a port unreachable" \
	grep -q '^icmp port-unreachable' "$(out hu_icmp)"
assert_eq "h: icmp: a SYN still gets nothing (RFC 5382 REQ-4)" connect_timeout \
	"$(kv "$(out hs_icmp)" result)"
assert_ge "h: icmp_sent counted in ctl stats" 1 "$(stat_of icmp_sent)"
nat_stop

# ---- i. an ICMP error about a translated flow ------------------------------
nat_start i --set nat.ports=random
bg_in client ui "$UDPKA" client --from "$CLIENT4:40061" --to "$SERVER4:6100" --every 300 \
	--count 14 --wait-replies --reply-timeout 0.25 --timeout 15
wait_line "$(out ui)" '^icmp port-unreachable' 5
bg_in server us "$UDPKA" server --listen "$SERVER4:6100" --echo --timeout 15
bg_wait ui 15 >/dev/null
check "i: the server's port unreachable reached the client's socket (ECONNREFUSED)" \
	grep -q '^icmp port-unreachable' "$(out ui)"
assert_ge "i: then the echoes came back" 3 "$(kv "$(out ui)" replies '^done')"
assert_eq "i: one flow: the error ended nothing" 1 \
	"$(grep -cE 'NEW.* sport=40061 .*proto=udp' "$EV")"
ix=$(grep -E 'NEW.* sport=40061 .*proto=udp' "$EV" | head -n 1 | tr ' ' '\n' |
	sed -n 's/^nat_src=//p')
ip_=$(grep -E 'NEW.* sport=40061 .*proto=udp' "$EV" | head -n 1 | tr ' ' '\n' |
	sed -n 's/^nat_sport=//p')
assert_eq "i: every datagram the server got came from the one mapping ($ix:$ip_)" \
	"$ix:$ip_" "$(sed -n 's/^got from=\([^ ]*\) .*/\1/p' "$(out us)" | sort -u | tr '\n' ' ' | sed 's/ $//')"
bg_stop us
nat_stop

# ---- j. RFC 5780 discovery, nine combinations ------------------------------
if ! command -v turnserver >/dev/null 2>&1 || ! command -v turnutils_natdiscovery >/dev/null 2>&1; then
	fail "j: coturn installed (turnserver, turnutils_natdiscovery: apt-get install coturn)"
else
	run_in server ip addr add 203.0.113.3/24 dev to-router
	mkdir -p "$E2E_TMP/turn"	# its SQLite user database, unused (--no-auth)
	bg_in server turn timeout 300 turnserver -n --no-auth --stun-only --no-tls --no-dtls \
		--listening-ip "$SERVER4" --listening-ip 203.0.113.3 --no-cli --log-file stdout \
		--simple-log --pidfile "$E2E_TMP/turn/pid" --db "$E2E_TMP/turn/db"
	wait_for 5 sh -c "ip netns exec $(e2e_ns server) ss -Hlun 'sport = :3478' | grep -q 203.0.113.3" ||
		fail "j: turnserver listens on both addresses"
	for m in endpoint-independent address-dependent address-and-port-dependent; do
		for f in endpoint-independent address-dependent address-and-port-dependent; do
			nat_start "j_$m.$f" --set "nat.mapping=$m" --set "nat.filtering=$f" || continue
			run_out client disc timeout 60 turnutils_natdiscovery -m -f "$SERVER4"
			got=$(grep -E '^NAT with .* (Mapping|Filtering)!' "$(out disc)" |
				sed 's/^NAT with //; s/!$//' | tr '\n' ';')
			want=$(printf '%s\n' "$m Mapping" "$f Filtering" |
				sed 's/^endpoint-independent/Endpoint Independent/;
				     s/^address-and-port-dependent/Address and Port Dependent/;
				     s/^address-dependent/Address Dependent/' | tr '\n' ';')
			assert_eq "j: natdiscovery classifies mapping=$m filtering=$f" "$want" "$got"
			nat_stop
		done
	done
	bg_stop turn
fi

e2e_finish
