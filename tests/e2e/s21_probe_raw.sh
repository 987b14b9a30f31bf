#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s21_probe_raw.sh -- natbox probe measures, on raw sockets (root), what
# a RST does to the device's state (RFC 7857 section 2.2: held, natbox's
# timeout.close, or ended at once) and the opening timer (SYN_SENT,
# timeout.opening). The client's raw RST, in the window but not exact, is
# one the server's stack ignores; a byte d later is echoed while the
# device still holds the state. The client's raw SYN goes to the server's
# silent port (a full accept queue: its stack drops it), and the server's
# raw socket answers it with a SYN/ACK d later.
#
#   a. natbox, fortigate (unknown.action and expire.later drop) with
#      timeout.close = 2 s and timeout.opening = 3 s: the probe's
#      intervals hold them, the profile says both.
#   b. natbox, the same with timeout.close = 200 ms and timeout.opening =
#      1 s: a RST ends the flow at once as far as the probe's 300 ms
#      resolution tells (T within its first step).
#   c. the kernel's own conntrack (state rules, nf_conntrack_tcp_timeout_close
#      = 2, _syn_sent = 2): the opening timer is 2 s; the kernel keeps a
#      flow ESTABLISHED on a RST that is not the exact one (it waits for
#      the challenge ACK, nf_conntrack_proto_tcp.c), so no flow is lost
#      after it: the report says "over", the profile writes no
#      timeout.close.
#   d. the kernel's conntrack with a rule dropping TCP to the server's
#      silent port (its listen port + 1): the server never saw the SYNs
#      (ASEEN), so the opening timer is not measured and the profile says
#      why (before, the search read "at once": a timer of zero).
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pr}
QUEUE=${QUEUE:-48}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445

# ---- a. natbox, the state held 2 s after a RST ----
lab_up
natbox_start --policy fortigate --set timeout.close=2s --set timeout.opening=3s ||
	fail "a: natbox bound the queue"
probe_once held 4s
bg_stop natbox
lab_down
R=$(out held_report)
P=$(cat "$E2E_TMP/held.profile")
timer_is "$R" held rst_hold 2
assert_match "held: the profile says timeout.close" "*timeout.close = *after a RST*" "$P"
timer_is "$R" held tcp_opening 3
assert_match "held: the profile says timeout.opening" "*timeout.opening = *SYN_SENT*" "$P"

# ---- b. natbox, a RST ends the flow (200 ms) ----
lab_up
natbox_start --policy fortigate --set timeout.close=200ms --set timeout.opening=1s ||
	fail "b: natbox bound the queue"
probe_once ended 4s
bg_stop natbox
lab_down
R=$(out ended_report)
timer_is "$R" ended rst_hold 0.2
timer_is "$R" ended tcp_opening 1
assert_match "ended: the profile says at once" "*timeout.close = *ends the flow at once*" \
	"$(cat "$E2E_TMP/ended.profile")"

# ---- c. the kernel's conntrack ----
LAB_NOQUEUE=1 lab_up noqueue
kernel_state_rules || fail "kernel: state rules in the router"
run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=2 \
	net.netfilter.nf_conntrack_tcp_timeout_syn_sent=2 >/dev/null ||
	fail "kernel: the close and syn_sent sysctls in the router namespace"
probe_once kernel 4s
lab_down
R=$(out kernel_report)
timer_is "$R" kernel tcp_opening 2
assert_match "kernel: no flow lost after a RST that is not the exact one" \
	'*"rst_hold":{"over":*' "$(cat "$R")"
assert_match "kernel: the profile says why there is no timeout.close" \
	"*# timeout.close: no flow lost*" "$(cat "$E2E_TMP/kernel.profile")"

# ---- d. the kernel's conntrack, the silent port blocked ----
LAB_NOQUEUE=1 lab_up noqueue
if ! run_in router iptables -w -A FORWARD -p tcp --dport $((PORT + 1)) -j DROP ||
	! run_in router iptables -w -A FORWARD -j ACCEPT; then
	fail "blocked: a rule dropping the silent port in the router"
fi
probe_once blocked 2s
lab_down
assert_match "blocked: the profile says the silent port is blocked" \
	"*# timeout.opening (*) not measured: the device blocks SYNs to the server's silent port ($((PORT + 1))): * never reached the server*" \
	"$(cat "$E2E_TMP/blocked.profile")"
assert_match "blocked: the report has no opening figure" '*"tcp_opening":null*' \
	"$(cat "$(out blocked_report)")"

e2e_finish
