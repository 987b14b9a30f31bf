#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s22_probe_v6.sh -- natbox probe over IPv6: the server listens on
# [SERVER6]:PORT and [SERVER6]:PORT+1, the client reaches it by the
# bracketed spelling (a) and by the bare address (b: the default port).
# Control connection, TCP and UDP test flows, passage and TIME_WAIT all on
# kernel sockets; the raw-socket searches are IPv4 only and say so.
#
#   a. natbox as the device (its tracking covers IPv6; its NAT is NAT44
#      only, so a firewall profile): linux-conntrack with expire.later =
#      drop, established 6 s, UDP 5 s replied, 3 s unreplied, refresh.udp
#      = orig. The probe's intervals hold them; no translation is seen.
#   b. the kernel's conntrack over IPv6 (ip6tables state rules, no NFQUEUE),
#      nf_conntrack_tcp_loose = 0 and its sysctls set to established 7 s,
#      UDP 5 s (stream) and 3 s: the probe recovers them.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-p6}
QUEUE=${QUEUE:-36}
LAB_PROTO="tcp udp"
export LAB_PROTO
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445
SLACK=0.25

# probe6 TAG MAXWAIT SERVER: the server on [SERVER6]:PORT and PORT+1.
probe6() {
	probe_once "$1" "$2" "$3" "[$SERVER6]:$PORT" "[$SERVER6]:$((PORT + 1))"
}

# judge6 TAG EST UDP UNREPLIED: the timers, no translation, the raw
# searches skipped with their reason in the report and the profile.
judge6() {
	_r=$(out "${1}_report")
	_p=$(cat "$E2E_TMP/$1.profile")
	timers "$_r" "$1" "$2" "$3" "$4"
	assert_eq "$1: no translation seen over IPv6" false "$(field "$_r" translated)"
	assert_match "$1: the profile cites the IPv6 server" "*source = measured by natbox probe on*2001:db8:2::2*" "$_p"
	assert_match "$1: the report says why the raw searches are missing" \
		'*not measured on IPv6 (raw searches are IPv4 only)*' "$(cat "$_r")"
	assert_match "$1: so does the profile" \
		'*# *not measured on IPv6 (raw searches are IPv4 only)*' "$_p"
	assert_eq "$1: the report says IPv6" ipv6 "$(field "$_r" family)"
	assert_match "$1: passage and TIME_WAIT measured over IPv6" \
		'*"passes":{"rst_orig":{"passed":4,"tried":4}*"timewait_reopen":{"passed":3,"tried":3}}*' \
		"$(cat "$_r")"
}

# ---- a. natbox as the device ----
lab_up
natbox_start --policy linux-conntrack --set expire.later=drop \
	--set timeout.established=6s --set timeout.udp=5s --set timeout.udp_unreplied=3s \
	--set refresh.udp=orig || fail "natbox: bound the queue"
probe6 natbox 8s "[$SERVER6]:$PORT"
judge6 natbox 6 5 3
assert_eq "natbox: UDP refreshed by the client's datagrams only" orig \
	"$(refresh "$(out natbox_report)" udp)"
check "natbox: the IPv6 flows went through the queue" [ "$(rule_packets 6)" -gt 0 ]
bg_stop natbox
lab_down

# ---- b. the kernel's conntrack over IPv6 ----
LAB_NOQUEUE=1 lab_up noqueue
# the sysctls appear once conntrack is loaded: the INVALID rule first
run_in router ip6tables -w -A FORWARD -m conntrack --ctstate INVALID -j DROP &&
	run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=7 \
		net.netfilter.nf_conntrack_udp_timeout=3 \
		net.netfilter.nf_conntrack_udp_timeout_stream=5 \
		net.netfilter.nf_conntrack_tcp_loose=0 >/dev/null ||
	fail "kernel: conntrack sysctls in the router namespace"
run_in router ip6tables -w -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
	run_in router ip6tables -w -A FORWARD -s 2001:db8:1::/64 -p tcp --syn \
		-m conntrack --ctstate NEW -j ACCEPT &&
	run_in router ip6tables -w -A FORWARD -s 2001:db8:1::/64 -p udp \
		-m conntrack --ctstate NEW -j ACCEPT &&
	run_in router ip6tables -w -A FORWARD -p ipv6-icmp -j ACCEPT &&
	run_in router ip6tables -w -A FORWARD -j DROP ||
	fail "kernel: IPv6 state rules in the router"
probe6 kernel 9s "$SERVER6"
judge6 kernel 7 5 3
assert_eq "kernel: UDP refreshed by either side" any "$(refresh "$(out kernel_report)" udp)"
lab_down

e2e_finish
