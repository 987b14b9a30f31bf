#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s23_probe_hairpin.sh -- natbox probe measures hairpinning (RFC 4787
# REQ-9, UDP): a datagram from one inside socket to another's external
# endpoint, as the probe server saw it; and RFC 5382 REQ-8 (TCP): a
# connection to the external endpoint of an inside listener bound to an
# outbound flow's port. --translation-only runs (seconds).
#
#   a. natbox as a NAT (LAB_NAT=1, s12's recipe, nat.inside set), rfc4787
#      with nat.hairpin = on: both datagrams come back in, from the
#      sender's external endpoint; both connections come in, from an
#      external address; the profile says nat.hairpin = on and the
#      report's REQ-9 and REQ-8 rows pass.
#   b. the same with nat.hairpin = off: none does; nat.hairpin = off,
#      REQ-9 and REQ-8 fail.
#   c. the kernel's MASQUERADE (no hairpin rule): a datagram or a SYN to
#      the router's own address and a mapped port is not looped back:
#      nat.hairpin = off, REQ-8 fails.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-ph}
QUEUE=${QUEUE:-37}
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

# hair TAG: server and --translation-only client; the JSON report in
# $(out TAG), the profile in TAG.profile, which must load.
hair() {
	bg_in server "${1}_srv" "$NATBOX" probe server --listen "$SERVER4:$PORT" \
		--listen "$SERVER4:$((PORT + 2))"
	wait_for 5 server_listens || fail "$1: probe server listening"
	run_in client timeout 60 "$NATBOX" probe client --server "$SERVER4:$PORT" \
		--translation-only --json -o "$E2E_TMP/$1.profile" >"$(out "$1")" \
		2>"$E2E_TMP/$1.err"
	_rc=$?
	bg_stop "${1}_srv"
	check "$1: probe client exits 0 (got $_rc)" [ "$_rc" -eq 0 ]
	_ok=$("$NATBOX" policy check "$E2E_TMP/$1.profile" 2>&1)
	assert_eq "$1: the written profile loads" "configuration OK" "$_ok"
}

# hfig TAG FIELD: a field of the report's "hairpin" object.
hfig() {
	grep -o '"hairpin":{[^}]*}' "$(out "$1")" | grep -o "\"$2\":[0-9]*" | cut -d: -f2
}

# tfig TAG FIELD: a field of the report's "hairpin_tcp" object.
tfig() {
	grep -o '"hairpin_tcp":{[^}]*}' "$(out "$1")" | grep -o "\"$2\":[0-9]*" | cut -d: -f2
}

# row TAG [RFC REQ]: the result of the report's row (RFC 4787 REQ-9).
row() {
	grep -o "{\"rfc\":\"${2:-RFC 4787}\",\"req\":\"${3:-REQ-9}\",[^}]*}" "$(out "$1")" |
		grep -o '"result":"[^"]*"' | cut -d'"' -f4
}

# tcp_row TAG: the result of the report's RFC 5382 REQ-8 row.
tcp_row() {
	row "$1" "RFC 5382" REQ-8
}

nat_start() {
	natbox_start --policy rfc4787 --set "nat.outside=$POOL" \
		--set nat.inside=198.51.100.0/24 --no-ctl "$@" || fail "natbox bound queue $QUEUE"
}

queue_free() {
	! queue_bound
}

# ---- a. natbox, nat.hairpin = on ----
lab_up
nat_start --set nat.hairpin=on
hair on
assert_eq "on: both datagrams came back in" 2 "$(hfig on passed)"
assert_eq "on: from the sender's external endpoint (REQ-9b)" 2 "$(hfig on external_source)"
assert_match "on: the profile says nat.hairpin = on" "*nat.hairpin = on*# UDP: 2 of 2*" \
	"$(cat "$E2E_TMP/on.profile")"
assert_eq "on: RFC 4787 REQ-9 passes" pass "$(row on)"
assert_eq "on: both TCP connections came in" 2 "$(tfig on passed)"
assert_eq "on: TCP from an external address" 2 "$(tfig on external_source)"
assert_eq "on: RFC 5382 REQ-8 passes" pass "$(tcp_row on)"
bg_stop natbox
wait_for 5 queue_free

# ---- b. natbox, nat.hairpin = off ----
nat_start --set nat.hairpin=off
hair off
assert_eq "off: tried both ways" 2 "$(hfig off tried)"
assert_eq "off: none came back in" 0 "$(hfig off passed)"
assert_match "off: the profile says nat.hairpin = off" "*nat.hairpin = off*# UDP: 0 of 2*" \
	"$(cat "$E2E_TMP/off.profile")"
assert_eq "off: RFC 4787 REQ-9 fails" fail "$(row off)"
assert_eq "off: tried TCP twice" 2 "$(tfig off tried)"
assert_eq "off: no TCP connection came in" 0 "$(tfig off passed)"
assert_eq "off: RFC 5382 REQ-8 fails" fail "$(tcp_row off)"
bg_stop natbox
lab_down

# ---- c. the kernel's MASQUERADE ----
LAB_NAT=0
lab_up noqueue
run_in router iptables -w -t nat -A POSTROUTING -o to-server -j MASQUERADE ||
	fail "kernel: MASQUERADE in the router"
hair masq
assert_eq "masq: tried both ways" 2 "$(hfig masq tried)"
assert_eq "masq: no hairpinning" 0 "$(hfig masq passed)"
assert_eq "masq: tried TCP twice" 2 "$(tfig masq tried)"
assert_eq "masq: no TCP connection came in" 0 "$(tfig masq passed)"
assert_eq "masq: RFC 5382 REQ-8 fails" fail "$(tcp_row masq)"
assert_match "masq: the profile says nat.hairpin = off" "*nat.hairpin = off*" \
	"$(cat "$E2E_TMP/masq.profile")"
lab_down

e2e_finish
