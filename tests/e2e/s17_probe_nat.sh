#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s17_probe_nat.sh -- natbox probe through a translating device: what it
# finds of mapping, filtering, port choice, parity and pooling equals what
# the device does, and equals what coturn's RFC 5780 natdiscovery (an
# outside oracle) classifies on the same device; the timers are still
# measured through the translation (test flows known by their identifier).
# The probe server listens on three endpoints: 203.0.113.2:7445 and :7447,
# and 203.0.113.3:7445 (a second address, so address-dependent mapping is
# told from endpoint-independent).
#
#   a. natbox as a NAT (LAB_NAT=1, s12's recipe), profile symmetric with
#      its timers scaled down (established 4 s, UDP 4 s replied, 2 s
#      unreplied): the full probe; its figures hold the configured timers,
#      its profile says address-and-port-dependent mapping and filtering,
#      random ports, parity on, paired pooling, the pool address outside,
#      expire.later = pickup (the client's packet into an expired flow
#      takes a new mapping the server's stack resets), and refresh.udp =
#      orig (rfc4787's: outbound refreshes, inbound does not).
#   b. port-restricted, full-cone and rfc4787 with nat.ports=sequential
#      (--translation-only, seconds each): mapping, filtering and ports as
#      configured; coturn agrees on mapping and filtering.
#   c. the kernel's own MASQUERADE (a device none of us wrote) behind s13's
#      state rules (a TCP packet of an expired flow is NEW without SYN:
#      dropped, else loose pickup takes it up again on the same port and
#      no TCP timer shows), conntrack sysctls established 7 s, UDP 5 s
#      (stream) and 3 s: the probe
#      recovers the timers through the translation, any packet refreshing,
#      and its mapping and
#      filtering equal coturn's on the same router.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pn}
QUEUE=${QUEUE:-17}
LAB_NAT=1
LAB_PROTO="tcp udp"
POOL=203.0.113.100-203.0.113.101
LAB_NAT_POOL=$POOL
export LAB_NAT LAB_NAT_POOL LAB_PROTO
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"
export NATBOX

PORT=7445
SLACK=0.25
SERVER4B=203.0.113.3

for _t in turnserver turnutils_natdiscovery; do
	command -v "$_t" >/dev/null 2>&1 && continue
	e2e_log "installing coturn"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null 2>&1; }
	break
done
HAVE_TURN=0
command -v turnserver >/dev/null 2>&1 && command -v turnutils_natdiscovery >/dev/null 2>&1 &&
	HAVE_TURN=1

psrv_listens() {
	run_in server ss -ltn 2>/dev/null | grep -q "$SERVER4B:$PORT "
}

turn_listens() {
	run_in server ss -Hlun 'sport = :3478' 2>/dev/null | grep -q "$SERVER4B"
}

# servers_up: the probe server on three endpoints and coturn on two
# addresses, in the server namespace (the second address added first).
servers_up() {
	run_in server ip addr add "$SERVER4B/24" dev to-router
	bg_in server psrv "$NATBOX" probe server --listen "$SERVER4:$PORT" \
		--listen "$SERVER4:$((PORT + 2))" --listen "$SERVER4B:$PORT"
	wait_for 5 psrv_listens || fail "probe server listening"
	[ "$HAVE_TURN" = 1 ] || return 0
	mkdir -p "$E2E_TMP/turn"	# its SQLite user database, unused (--no-auth)
	bg_in server turn timeout 600 turnserver -n --no-auth --stun-only --no-tls --no-dtls \
		--listening-ip "$SERVER4" --listening-ip "$SERVER4B" --no-cli --log-file stdout \
		--simple-log --pidfile "$E2E_TMP/turn/pid" --db "$E2E_TMP/turn/db"
	wait_for 5 turn_listens || fail "turnserver listens on both addresses"
}

servers_down() {
	bg_stop psrv
	[ "$HAVE_TURN" = 1 ] && bg_stop turn
	return 0
}

# probe TAG ARG...: the probe client in the client namespace, JSON report
# in $(out TAG), the profile in $E2E_TMP/TAG.profile.
probe() {
	_tag=$1
	shift
	run_in client timeout 180 "$NATBOX" probe client --server "$SERVER4:$PORT" --json \
		-o "$E2E_TMP/$_tag.profile" "$@" >"$(out "$_tag")" 2>"$E2E_TMP/$_tag.err"
	_rc=$?
	check "$_tag: probe client exits 0 (got $_rc)" [ "$_rc" -eq 0 ]
	_ok=$("$NATBOX" policy check "$E2E_TMP/$_tag.profile" 2>&1)
	assert_eq "$_tag: the written profile loads" "configuration OK" "$_ok"
}

# oracle TAG MAPPING FILTERING: coturn's natdiscovery on the same device
# says the same (and so, by the caller's checks, does the probe).
oracle() {
	if [ "$HAVE_TURN" != 1 ]; then
		fail "$1: coturn installed (turnserver, turnutils_natdiscovery: apt-get install coturn)"
		return
	fi
	run_out client "disc_$1" timeout 60 turnutils_natdiscovery -m -f "$SERVER4"
	_got=$(grep -E '^NAT with .* (Mapping|Filtering)!' "$(out "disc_$1")" |
		sed 's/^NAT with //; s/!$//' | tr '\n' ';')
	_want=$(printf '%s\n' "$2 Mapping" "$3 Filtering" |
		sed 's/^endpoint-independent/Endpoint Independent/;
		     s/^address-and-port-dependent/Address and Port Dependent/;
		     s/^address-dependent/Address Dependent/' | tr '\n' ';')
	assert_eq "$1: coturn's natdiscovery agrees with the probe ($2 mapping, $3 filtering)" \
		"$_want" "$_got"
}

# nat_judge TAG MAPPING FILTERING PORTS: the probe's translation findings.
nat_judge() {
	_r=$(out "$1")
	assert_eq "$1: mapping" "$2" "$(natf "$_r" mapping)"
	assert_eq "$1: filtering" "$3" "$(natf "$_r" filtering)"
	assert_eq "$1: port choice" "$4" "$(natf "$_r" ports)"
	assert_match "$1: the profile says nat.mapping with its evidence" \
		"*nat.mapping = $2*# UDP, through 3 server endpoints*" "$(cat "$E2E_TMP/$1.profile")"
	oracle "$1" "$(natf "$_r" mapping)" "$(natf "$_r" filtering)"
}

# nat_start PROFILE [--set ...]: natbox translating with the lab's pool.
nat_start() {
	_prof=$1
	shift
	natbox_start --policy "$_prof" --set "nat.outside=$POOL" \
		--set nat.inside=198.51.100.0/24 --no-ctl "$@" || fail "natbox $_prof bound queue $QUEUE"
}

queue_free() {
	! queue_bound
}

nat_stop() {
	bg_stop natbox
	wait_for 5 queue_free
}

# ---- a. natbox symmetric, the full probe -----------------------------------
lab_up
servers_up
nat_start symmetric --set timeout.established=4s --set timeout.udp=4s \
	--set timeout.udp_unreplied=2s
probe sym --max-wait 6s --resolution 300ms
timers "$(out sym)" sym 4 4 2
nat_judge sym address-and-port-dependent address-and-port-dependent random
_p=$(cat "$E2E_TMP/sym.profile")
assert_match "sym: parity kept (nat.parity = on)" "*nat.parity = on*" "$_p"
assert_match "sym: paired pooling" "*nat.pooling = paired*" "$_p"
assert_match "sym: the outside address is a pool address" "*nat.outside = 203.0.113.10[01]*" "$_p"
assert_match "sym: expired flows' packets picked up (a new mapping)" "*expire.later = pickup*" "$_p"
assert_eq "sym: UDP refreshed by outbound datagrams only (rfc4787's orig)" orig \
	"$(refresh "$(out sym)" udp)"
nat_stop

# ---- b. the other profiles, translation only --------------------------------
for _case in "port-restricted endpoint-independent address-and-port-dependent preserve" \
	"full-cone endpoint-independent endpoint-independent preserve" \
	"rfc4787 endpoint-independent endpoint-independent sequential"; do
	# shellcheck disable=SC2086 # the case's four words
	set -- $_case
	_extra=
	[ "$4" = sequential ] && _extra="--set nat.ports=sequential"
	_tag=$(printf '%s' "$1" | tr -c 'a-z0-9\n' _)
	# shellcheck disable=SC2086 # _extra is two words or none
	nat_start "$1" $_extra
	probe "$_tag" --translation-only
	nat_judge "$_tag" "$2" "$3" "$4"
	nat_stop
done
servers_down
lab_down

# ---- c. the kernel's MASQUERADE --------------------------------------------
LAB_NAT=0
lab_up noqueue
servers_up
run_in router iptables -w -t nat -A POSTROUTING -o to-server -j MASQUERADE ||
	fail "kernel: MASQUERADE in the router"
if ! { run_in router iptables -w -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED \
	-j ACCEPT &&
	run_in router iptables -w -A FORWARD -i to-client -p tcp --syn -m conntrack --ctstate NEW \
		-j ACCEPT &&
	run_in router iptables -w -A FORWARD -i to-client -p udp -m conntrack --ctstate NEW \
		-j ACCEPT &&
	run_in router iptables -w -A FORWARD -j DROP; }; then
	fail "kernel: state rules in the router"
fi
run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=7 \
	net.netfilter.nf_conntrack_udp_timeout=3 net.netfilter.nf_conntrack_udp_timeout_stream=5 \
	>/dev/null || fail "kernel: conntrack sysctls in the router namespace"
probe masq --max-wait 9s --resolution 300ms
timers "$(out masq)" masq 7 5 3
assert_eq "masq: UDP refreshed by either side" any "$(refresh "$(out masq)" udp)"
assert_eq "masq: echoed data refreshes an established flow" any \
	"$(refresh "$(out masq)" tcp_established)"
nat_judge masq endpoint-independent address-and-port-dependent preserve
assert_match "masq: the outside address is the router's" "*nat.outside = 203.0.113.1	*" \
	"$(cat "$E2E_TMP/masq.profile")"
servers_down
lab_down

e2e_finish
