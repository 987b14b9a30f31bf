#!/bin/sh
# shellcheck disable=SC2317,SC2119 # helpers run through check and wait_for; lab_up takes no arguments
# s26_probe_close.sh -- natbox probe measures the closing timers on fully
# raw flows (root at both ends, and the RST-dropping rules `natbox probe
# rules client|server` print, applied in the client and server
# namespaces): a FIN never acked (fin_wait) and one acked (close_wait),
# both FINs with the last unacked (last_ack) and all acked (time_wait),
# a SYN/ACK never acked (syn_recv); half_closed.start from the first two
# against the established timer.
#
#   a. the kernel's conntrack without the rules: the searches are skipped,
#      the report naming `natbox probe rules client`; with the client's
#      rules only, naming `natbox probe rules server`.
#   b. the kernel's conntrack (state rules, nf_conntrack_tcp_loose = 0)
#      with nf_conntrack_tcp_timeout_fin_wait 2, close_wait 3, last_ack 4,
#      time_wait 5, syn_recv 1: each within the probe's interval,
#      half_closed.start = first_fin, fin_wait and close_wait written apart.
#   c. natbox (linux-conntrack, unknown.action = drop: a dead flow is not
#      picked up again) with the same timers set per state.
#   d. natbox with half_closed.start = fin_acked (established 4 s,
#      half-closed 2 s): the probe writes fin_acked (a FIN never acked
#      lives 4 s, one acked 2 s).
#   e. natbox with half_closed.start = both_fins (established 4 s,
#      last_ack 3 s): one FIN, acked or not, lives 4 s; both_fins.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-pz}
QUEUE=${QUEUE:-57}
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$E2E_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=probelib.sh disable=SC1091
. "$E2E_DIR/probelib.sh"

e2e_init "${1:-}"

PORT=7445
MW=${S26_MAXWAIT:-6s}

# probe_close TAG RULES: probe_once (max-wait $MW), with the rules
# `natbox probe rules` prints applied at both ends when RULES is 1, on the
# client only when it is "client".
probe_close() {
	if [ "$2" = 1 ] || [ "$2" = client ]; then
		"$NATBOX" probe rules client --server "$SERVER4:$PORT" | run_in client sh ||
			fail "$1: the client's rules"
	fi
	if [ "$2" = 1 ]; then
		"$NATBOX" probe rules server --listen "$SERVER4:$PORT" | run_in server sh ||
			fail "$1: the server's rules"
	fi
	PROBE_TIMEOUT=400 probe_once "$1" "$MW"
}

# natbox_close TAG START ARG...: natbox (linux-conntrack, unknown.action
# = drop, then ARG...) as the device, the rules at both ends; the profile
# says half_closed.start = START.
natbox_close() {
	_t=$1 _s=$2
	shift 2
	lab_up
	natbox_start --policy linux-conntrack --set unknown.action=drop "$@" ||
		fail "$_t: natbox bound the queue"
	probe_close "$_t" 1
	bg_stop natbox
	lab_down
	assert_eq "$_t: half_closed.start" "$_s" "$(key "$E2E_TMP/$_t.profile" half_closed.start)"
}

# closing TAG FW CW LA TW SR: each timer within the probe's interval, and
# the profile's keys.
closing() {
	_r=$(out "${1}_report")
	timer_is "$_r" "$1" tcp_fin_wait "$2"
	timer_is "$_r" "$1" tcp_close_wait "$3"
	timer_is "$_r" "$1" tcp_last_ack "$4"
	timer_is "$_r" "$1" tcp_time_wait "$5"
	timer_is "$_r" "$1" tcp_syn_recv "$6"
	for _k in fin_wait close_wait last_ack time_wait syn_recv; do
		check "$1: the profile has timeout.$_k" \
			[ -n "$(key "$E2E_TMP/$1.profile" "timeout.$_k")" ]
	done
}

kernel_lab() {
	LAB_NOQUEUE=1 lab_up noqueue
	kernel_state_rules || fail "kernel: state rules in the router"
	run_in router sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 \
		net.netfilter.nf_conntrack_tcp_timeout_fin_wait=2 \
		net.netfilter.nf_conntrack_tcp_timeout_close_wait=3 \
		net.netfilter.nf_conntrack_tcp_timeout_last_ack=4 \
		net.netfilter.nf_conntrack_tcp_timeout_time_wait=5 \
		net.netfilter.nf_conntrack_tcp_timeout_syn_recv=1 >/dev/null ||
		fail "kernel: the sysctls in the router namespace"
}

# ---- a. the kernel's conntrack, no rules ----
if [ -z "${S26_ONLY:-}" ] || [ "${S26_ONLY:-}" = a ]; then
	kernel_lab
	probe_close norules 0
	lab_down
	assert_match "norules: the report says why, naming the command" \
		"*run \`natbox probe rules client --server $SERVER4:$PORT | sh\`*" \
		"$(cat "$(out norules_report)")"
	assert_match "norules: the profile says the closing timers were not measured" \
		"*# closing timers*not measured: *natbox probe rules client*" \
		"$(cat "$E2E_TMP/norules.profile")"
fi

# ---- a2. the kernel's conntrack, the client's rules only ----
if [ -z "${S26_ONLY:-}" ] || [ "${S26_ONLY:-}" = a ]; then
	kernel_lab
	probe_close cliruleonly client
	lab_down
	assert_match "cliruleonly: the report names the server's command" \
		"*run \`natbox probe rules server --listen $SERVER4:$PORT | sh\` on the server*" \
		"$(cat "$(out cliruleonly_report)")"
fi

# ---- b. the kernel's conntrack, the rules applied ----
if [ -z "${S26_ONLY:-}" ] || [ "${S26_ONLY:-}" = b ]; then
	kernel_lab
	probe_close kernel 1
	lab_down
	closing kernel 2 3 4 5 1
	assert_eq "kernel: half_closed.start" first_fin \
		"$(key "$E2E_TMP/kernel.profile" half_closed.start)"
fi

# ---- c. natbox, the same timers per state ----
if [ -z "${S26_ONLY:-}" ] || [ "${S26_ONLY:-}" = c ]; then
	natbox_close natbox first_fin --set timeout.fin_wait=2s --set timeout.close_wait=3s \
		--set timeout.last_ack=4s --set timeout.time_wait=5s --set timeout.syn_recv=1s
	closing natbox 2 3 4 5 1
fi

# ---- d. natbox, fin_acked ----
if [ -z "${S26_ONLY:-}" ] || [ "${S26_ONLY:-}" = d ]; then
	natbox_close finacked fin_acked --set half_closed.start=fin_acked \
		--set timeout.established=4s --set timeout.half_closed=2s
	# the FIN never acked keeps the established timer; the acked one starts 2 s
	timer_is "$(out finacked_report)" finacked tcp_fin_wait 4
	timer_is "$(out finacked_report)" finacked tcp_close_wait 2
fi

# ---- e. natbox, both_fins ----
if [ -z "${S26_ONLY:-}" ] || [ "${S26_ONLY:-}" = e ]; then
	natbox_close bothfins both_fins --set half_closed.start=both_fins \
		--set timeout.established=4s --set timeout.half_closed=2s --set timeout.last_ack=3s
	# one FIN, acked or not, keeps the established timer
	timer_is "$(out bothfins_report)" bothfins tcp_fin_wait 4
	timer_is "$(out bothfins_report)" bothfins tcp_close_wait 4
	timer_is "$(out bothfins_report)" bothfins tcp_last_ack 3
fi

e2e_finish
