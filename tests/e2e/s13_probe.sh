#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s13_probe.sh -- natbox probe measures a device between the client and the
# server namespaces, and the profile it writes loads.
#
#   a. the device is natbox (linux-conntrack with expire.later = drop, so a
#      dead flow's packets are dropped rather than picked up again), its
#      timers scaled down: established 6 s, UDP 5 s replied, 3 s unreplied.
#      The probe's figures hold the configured ones within their stated
#      interval (plus 250 ms for the wheel and the endpoints' ACK delays);
#      the written profile passes `natbox policy check` and says
#      expire.later = drop.
#   b. the device is the kernel's own conntrack (no NFQUEUE), an outside
#      oracle: a state rule in the router (replies and the client's new
#      flows pass, everything else is dropped: a packet of an expired flow
#      is NEW without SYN) and its sysctls set to established 7 s, UDP 5 s
#      (stream) and 3 s: the probe recovers them the same way, and finds
#      that any packet refreshes (refresh.udp = any, established any).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pb}
QUEUE=${QUEUE:-7}
LAB_PROTO="tcp udp"
export LAB_PROTO
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445
SLACK=0.25

# probe_once TAG MAXWAIT: server in the server namespace, client in the
# client's; the report in $(out TAG_report), the profile in TAG.profile.
probe_once() {
	bg_in server "${1}_srv" "$NATBOX" probe server --listen "$SERVER4:$PORT" \
		--listen "$SERVER4:$((PORT + 2))"
	wait_for 5 server_listens || fail "$1: probe server listening"
	run_in client timeout 150 "$NATBOX" probe client --server "$SERVER4:$PORT" \
		--max-wait "$2" --resolution 300ms --json -o "$E2E_TMP/$1.profile" \
		>"$(out "${1}_report")" 2>"$E2E_TMP/${1}_report.err"
	_rc=$?
	bg_stop "${1}_srv"
	check "$1: probe client exits 0 (got $_rc)" [ "$_rc" -eq 0 ]
}

# judge TAG EST UDP UNREPLIED
judge() {
	_r=$(out "${1}_report")
	timers "$_r" "$1" "$2" "$3" "$4"
	_ok=$("$NATBOX" policy check "$E2E_TMP/$1.profile" 2>&1)
	assert_eq "$1: the written profile loads" "configuration OK" "$_ok"
	assert_match "$1: the profile cites its measurement" "*source = measured by natbox probe on*" \
		"$(cat "$E2E_TMP/$1.profile")"
	assert_match "$1: the report carries the conformance table" '*"requirements":\[*' "$(cat "$_r")"
}

# ---- a. natbox as the device ----
lab_up
natbox_start --policy linux-conntrack --set expire.later=drop \
	--set timeout.established=6s --set timeout.udp=5s --set timeout.udp_unreplied=3s \
	--set refresh.udp=orig
probe_once natbox 8s
judge natbox 6 5 3
assert_eq "natbox: UDP refreshed by the client's datagrams only" orig \
	"$(refresh "$(out natbox_report)" udp)"
assert_eq "natbox: echoed data refreshes an established flow" any \
	"$(refresh "$(out natbox_report)" tcp_established)"
assert_match "natbox: the profile says refresh.udp = orig" "*refresh.udp = orig*" \
	"$(cat "$E2E_TMP/natbox.profile")"
assert_match "natbox: expired flows' packets are dropped" "*expire.later = drop*" \
	"$(cat "$E2E_TMP/natbox.profile")"
bg_stop natbox
lab_down

# ---- b. the kernel's conntrack as the device ----
LAB_NOQUEUE=1 lab_up noqueue
if ! run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=7 \
	net.netfilter.nf_conntrack_udp_timeout=3 net.netfilter.nf_conntrack_udp_timeout_stream=5 \
	>/dev/null 2>&1; then
	# the sysctls appear once conntrack is loaded: a rule that needs it first
	run_in router iptables -w -A FORWARD -m conntrack --ctstate INVALID -j DROP
	run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=7 \
		net.netfilter.nf_conntrack_udp_timeout=3 \
		net.netfilter.nf_conntrack_udp_timeout_stream=5 >/dev/null ||
		fail "kernel: conntrack sysctls in the router namespace"
fi
kernel_state_rules || fail "kernel: state rules in the router"
probe_once kernel 9s
judge kernel 7 5 3
assert_eq "kernel: UDP refreshed by either side" any "$(refresh "$(out kernel_report)" udp)"
assert_eq "kernel: echoed data refreshes an established flow" any \
	"$(refresh "$(out kernel_report)" tcp_established)"
lab_down

e2e_finish
