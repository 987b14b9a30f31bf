#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s24_probe_icmp.sh -- natbox probe measures the ICMP query timer (RFC 5508
# REQ-2, natbox's timeout.icmp): echo requests the server's stack answers
# at once, and an echo reply the server sends by hand (raw socket) d after
# that: it arrives only while the device holds the echo's mapping.
#
#   a. natbox as the device (linux-conntrack, expire.later = drop, ICMP
#      queued) with timeout.icmp = 3 s; the client on a raw socket (root,
#      ping sockets not allowed): the probe's interval holds 3 s, the
#      profile says timeout.icmp.
#   b. the kernel's conntrack (state rules: replies and the client's new
#      flows and echo requests pass), nf_conntrack_icmp_timeout = 4; the
#      client on ping sockets (net.ipv4.ping_group_range opened in its
#      namespace): the interval holds 4 s.
#   c. the server without root for its raw socket is not simulated; the
#      IPv6 case says "not measured on IPv6" (s22).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pi}
QUEUE=${QUEUE:-38}
LAB_PROTO="tcp udp icmp"
export LAB_PROTO
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445
SLACK=0.25

# judge TAG SECONDS HOW: the ICMP figure, the profile line, the socket kind.
judge() {
	_r=$(out "${1}_report")
	timer_is "$_r" "$1" icmp_query "$2"
	assert_match "$1: the profile says timeout.icmp" "*timeout.icmp = *ICMP query (echo)*" \
		"$(cat "$E2E_TMP/$1.profile")"
	_row=$(grep -o '{"rfc":"RFC 5508","req":"REQ-2",[^}]*}' "$_r" |
		grep -o '"result":"[^"]*"' | cut -d'"' -f4)
	assert_eq "$1: RFC 5508 REQ-2 judged (a timer under 60 s fails)" fail "$_row"
	assert_match "$1: echoes on $3" "*timeout.icmp = *; $3)*" "$(cat "$E2E_TMP/$1.profile")"
}

# ---- a. natbox, timeout.icmp = 3 s ----
lab_up
natbox_start --policy linux-conntrack --set expire.later=drop --set timeout.icmp=3s ||
	fail "natbox: bound the queue"
probe_once natbox 6s
bg_stop natbox
lab_down
judge natbox 3 "raw socket"

# ---- b. the kernel's conntrack, nf_conntrack_icmp_timeout = 4 ----
LAB_NOQUEUE=1 lab_up noqueue
run_in router iptables -w -A FORWARD -m conntrack --ctstate INVALID -j DROP &&
	run_in router sysctl -qw net.netfilter.nf_conntrack_icmp_timeout=4 >/dev/null ||
	fail "kernel: conntrack sysctls in the router namespace"
run_in router iptables -w -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
	run_in router iptables -w -A FORWARD -s 198.51.100.0/24 -p tcp --syn \
		-m conntrack --ctstate NEW -j ACCEPT &&
	run_in router iptables -w -A FORWARD -s 198.51.100.0/24 -p udp \
		-m conntrack --ctstate NEW -j ACCEPT &&
	run_in router iptables -w -A FORWARD -s 198.51.100.0/24 -p icmp --icmp-type echo-request \
		-m conntrack --ctstate NEW -j ACCEPT &&
	run_in router iptables -w -A FORWARD -j DROP ||
	fail "kernel: state rules in the router"
run_in client sysctl -qw "net.ipv4.ping_group_range=0 2147483647" ||
	fail "kernel: ping sockets in the client namespace"
probe_once kernel 6s
lab_down
judge kernel 4 "ping sockets"

e2e_finish
