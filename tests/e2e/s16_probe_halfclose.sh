#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s16_probe_halfclose.sh -- natbox probe measures the half-closed timer,
# when it starts, whether data in the open direction keeps it, and what
# an expired flow's later packets get, through natbox as the device.
#
#   a. seed 000's NAT: fin-kills-mapping with its timer at 3 s (established
#      5d): one FIN, acked, starts a 3 s timer of its own (first_fin), data
#      the server keeps sending does not keep it (refresh none, absolute),
#      later packets are dropped.
#   b. RFC 5382 with its timers scaled down (established 6 s, half-closed
#      3 s) and expire.later = reset-sender: one FIN keeps the established
#      6 s timer (both_fins), data keeps it (refresh any), and the sender
#      of a packet into an expired flow gets a RST (the server, on a
#      half-closed flow: it tells the client over the control connection).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pc}
QUEUE=${QUEUE:-11}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445
SLACK=0.25

# timer TAG NAME SECONDS
timer() {
	_r=$(out "${1}_report")
	if holds "$_r" "$2" "$3"; then
		pass "$1: $2 ${3}s within the probe's interval ($(fig "$_r" "$2" lo)s, $(fig "$_r" "$2" hi)s]"
	else
		fail "$1: $2 ${3}s not within ($(fig "$_r" "$2" lo), $(fig "$_r" "$2" hi)] (report: $(cat "$_r"))"
	fi
}

# ---- a. seed 000's NAT ----
lab_up
natbox_start --policy fin-kills-mapping --set timeout.half_closed=3s ||
	fail "a: natbox bound the queue"
probe_once seed000 8s
bg_stop natbox
lab_down
R=$(out seed000_report)
P=$(cat "$E2E_TMP/seed000.profile")
timer seed000 tcp_half_closed 3
assert_eq "seed000: the timer starts at the FIN" first_fin "$(field "$R" half_closed_start)"
assert_eq "seed000: data does not keep it (absolute)" none "$(field "$R" half_closed_refresh)"
assert_match "seed000: the profile says first_fin" "*half_closed.start = first_fin*" "$P"
assert_match "seed000: the profile says refresh none" "*refresh.half_closed = none*" "$P"
assert_match "seed000: later packets dropped" "*expire.later = drop*" "$P"
assert_match "seed000: established over max-wait" '*"tcp_established":{"over"*' "$(cat "$R")"
assert_match "seed000: conformance judges the absolute timer" \
	'*absolute: ends despite data*' "$(cat "$R")"

# ---- b. RFC 5382, scaled down ----
lab_up
natbox_start --policy rfc5382 --set timeout.established=6s --set timeout.half_closed=3s \
	--set expire.later=reset-sender || fail "b: natbox bound the queue"
probe_once rfc5382 8s
bg_stop natbox
lab_down
R=$(out rfc5382_report)
P=$(cat "$E2E_TMP/rfc5382.profile")
timer rfc5382 tcp_established 6
timer rfc5382 tcp_half_closed 6
assert_eq "rfc5382: one FIN keeps the established timer" both_fins \
	"$(field "$R" half_closed_start)"
assert_eq "rfc5382: data keeps it (idle)" any "$(field "$R" half_closed_refresh)"
assert_match "rfc5382: the profile says both_fins" "*half_closed.start = both_fins*" "$P"
assert_match "rfc5382: later packets reset their sender" "*expire.later = reset-sender*" "$P"
assert_gt "rfc5382: the server, sending into expired half-closed flows, got RSTs" 0 \
	"$(field "$R" rst_to_server_sender)"
assert_gt "rfc5382: the client, sending into expired established flows, got RSTs" 0 \
	"$(field "$R" rst_to_client_sender)"

e2e_finish
