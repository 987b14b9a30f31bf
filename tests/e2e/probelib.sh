#!/bin/sh
# probelib.sh -- what the natbox probe scenarios (s13, s16-s18, s21-s25) read
# of the probe's JSON report and its profile. Sourced after lib.sh; SLACK
# (seconds) widens an interval for the wheel and the endpoints' delays.

# fig JSON NAME FIELD: a figure's field from the probe's JSON report.
fig() {
	grep -o "\"$2\":{[^}]*}" "$1" | grep -o "\"$3\":[0-9.]*" | head -n 1 | cut -d: -f2
}

# field JSON NAME: a top-level string or number of the report.
field() {
	grep -o "\"$2\":[^,}]*" "$1" | head -n 1 | cut -d: -f2 | tr -d '"'
}

# refresh JSON KEY: the report's refresh rule for KEY (udp, tcp_established).
refresh() {
	grep -o '"refresh":{[^}]*}' "$1" | grep -o "\"$2\":[^,}]*" | cut -d: -f2 | tr -d '"'
}

# natf JSON FIELD: a field of the report's "nat" object.
natf() {
	grep -o '"nat":{[^}]*}' "$1" | grep -o "\"$2\":\"[^\"]*\"" | head -n 1 | cut -d: -f2 |
		tr -d '"'
}

# key PROFILE KEY: a profile's value ("key = value # comment").
key() {
	sed -n "s/^$2 = \([^[:space:]#]*\).*/\1/p" "$1" | tail -n 1
}

# holds JSON NAME SECONDS: lo - SLACK < SECONDS <= hi + SLACK.
holds() {
	_lo=$(fig "$1" "$2" lo)
	_hi=$(fig "$1" "$2" hi)
	[ -n "$_lo" ] && [ -n "$_hi" ] &&
		awk -v lo="$_lo" -v hi="$_hi" -v t="$3" -v s="${SLACK:-0.25}" \
			'BEGIN { exit !(t > lo - s && t <= hi + s) }'
}

# probe_once TAG MAXWAIT [SERVER [LISTEN...]] (s13, s16, s21, s22, s24, s25): the
# probe server (on each LISTEN, default $SERVER4:$PORT) and the client
# (--server SERVER, the same default), the report in $(out TAG_report),
# the profile in TAG.profile, which must load; the client is given
# PROBE_TIMEOUT seconds (default 120).
probe_once() {
	_tag=$1 _mw=$2 _to=${3:-$SERVER4:$PORT}
	shift 2
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- "$SERVER4:$PORT"
	for _a; do
		set -- "$@" --listen "$_a"
		shift
	done
	bg_in server "${_tag}_srv" "$NATBOX" probe server "$@"
	wait_for 5 server_listens || fail "$_tag: probe server listening"
	set -- "$_tag" "$_mw"
	run_in client timeout "${PROBE_TIMEOUT:-120}" "$NATBOX" probe client --server "$_to" \
		--max-wait "$2" --resolution 300ms --json -o "$E2E_TMP/$1.profile" \
		>"$(out "${1}_report")" 2>"$E2E_TMP/${1}_report.err"
	_rc=$?
	bg_stop "${1}_srv"
	check "$1: probe client exits 0 (got $_rc)" [ "$_rc" -eq 0 ]
	_ok=$("$NATBOX" policy check "$E2E_TMP/$1.profile" 2>&1)
	assert_eq "$1: the written profile loads" "configuration OK" "$_ok"
}

# kernel_state_rules (s13, s21, s25): the router's own conntrack as the
# device: established and related pass, new flows only from the client's
# side and TCP only with a SYN (a dead flow's packets are not picked up
# again, loose or not), the rest dropped.
kernel_state_rules() {
	run_in router iptables -w -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT &&
		run_in router iptables -w -A FORWARD -s 198.51.100.0/24 -p tcp --syn \
			-m conntrack --ctstate NEW -j ACCEPT &&
		run_in router iptables -w -A FORWARD -s 198.51.100.0/24 -p udp \
			-m conntrack --ctstate NEW -j ACCEPT &&
		run_in router iptables -w -A FORWARD -j DROP
}

# server_listens: the probe server's TCP port $PORT listens.
server_listens() {
	run_in server ss -ltn 2>/dev/null | grep -q ":$PORT "
}

# timer_is JSON TAG NAME SECONDS: pass when the figure's interval holds it.
timer_is() {
	if holds "$1" "$3" "$4"; then
		pass "$2: $3 ${4}s within the probe's interval ($(fig "$1" "$3" lo)s, $(fig "$1" "$3" hi)s]"
	else
		fail "$2: $3 ${4}s not within ($(fig "$1" "$3" lo), $(fig "$1" "$3" hi)] (report: $(cat "$1"))"
	fi
}

# timers JSON TAG EST UDP UNREPLIED: the three timers' intervals hold them.
timers() {
	timer_is "$1" "$2" tcp_established "$3"
	timer_is "$1" "$2" udp_replied "$4"
	timer_is "$1" "$2" udp_unreplied "$5"
}
