#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s25_probe_refresh.sh -- natbox probe tells which direction alone
# refreshes an established TCP flow (refresh.established), with pure ACKs
# from raw sockets (root, both ends): flows kept every T/4 for 2 T by the
# client's pure ACKs alone, or the server's alone, then idle T_lo/4 and
# probed with a byte.
#
#   a. natbox, fortigate (dead flows are not picked up) with
#      timeout.established = 2 s and refresh.established = reply: only
#      the server's pure ACKs keep a flow; the probe writes reply.
#   b. the same with refresh.established = orig: the probe writes orig.
#   c. the kernel's own conntrack (state rules, established timer 2 s):
#      every packet refreshes; the probe writes any.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pk}
QUEUE=${QUEUE:-56}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445

# refresh_is TAG VALUE: the report and the profile say refresh.established = VALUE.
refresh_is() {
	assert_eq "$1: the report's tcp_established refresh" "$2" \
		"$(refresh "$(out "${1}_report")" tcp_established)"
	assert_eq "$1: the profile's refresh.established" "$2" \
		"$(key "$E2E_TMP/$1.profile" refresh.established)"
	assert_match "$1: the profile says it was pure ACKs" "*by pure ACKs every T/4*" \
		"$(grep '^refresh.established' "$E2E_TMP/$1.profile")"
}

for dir in reply orig; do
	lab_up
	natbox_start --policy fortigate --set timeout.established=2s \
		--set refresh.established=$dir || fail "$dir: natbox bound the queue"
	probe_once "$dir" 4s
	bg_stop natbox
	lab_down
	timer_is "$(out "${dir}_report")" "$dir" tcp_established 2
	refresh_is "$dir" "$dir"
done

# ---- c. the kernel's conntrack ----
LAB_NOQUEUE=1 lab_up noqueue
kernel_state_rules || fail "kernel: state rules in the router"
run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=2 >/dev/null ||
	fail "kernel: the established sysctl in the router namespace"
probe_once kernel 4s
lab_down
timer_is "$(out kernel_report)" kernel tcp_established 2
refresh_is kernel any

e2e_finish
