#!/bin/sh
# lab.sh -- the natbox test lab: three network namespaces (client, router,
# server) joined by veth pairs, documentation addresses only, TCP (and, on
# request, UDP and ICMP) forwarded through the router's NFQUEUE so natbox can
# sit inline.
#
#   client 198.51.100.2/24   2001:db8:1::2/64
#      |  to-router <-> to-client
#   router 198.51.100.1/24   2001:db8:1::1/64    (forwarding, NFQUEUE rules)
#          203.0.113.1/24    2001:db8:2::1/64
#      |  to-server <-> to-router
#   server 203.0.113.2/24    2001:db8:2::2/64
#
# Usage: tests/lab.sh up | down | status | exec ROLE|NAMESPACE CMD [ARG...]
#
# Environment:
#   LAB=nb           namespace prefix (nb-client, nb-router, nb-server)
#   QUEUE=0          NFQUEUE number, or a range N-M / N:M (--queue-balance)
#   LAB_PROTO=tcp    protocols queued, a space-separated list of tcp, udp,
#                    icmp (icmp: ICMP for IPv4, ICMPv6 for IPv6 except
#                    neighbour discovery, which is never forwarded anyway)
#   LAB_NOQUEUE=1    install no NFQUEUE rule (plain router)
#   LAB_NAT=1        translation: instead of the FORWARD rules, exactly the
#                    recipe `natbox rules --nat --inside to-client --outside
#                    to-server --queue QUEUE --set nat.outside=LAB_NAT_POOL`
#                    prints, run in the router (and its --delete at down);
#                    the client gets a second address, 198.51.100.3
#   LAB_NAT_POOL=203.0.113.100-203.0.113.101   the pool (nat.outside)
#   LAB_ACCT=1       the queue rules carry the counter `natbox rules` puts in
#                    them (-m nfacct --nfacct-name natbox-qN, made with
#                    `natbox nfacct add`), which natbox run reads to count
#                    what bypasses it; the translation recipe always has it
#   NATBOX=./natbox  the binary that prints the recipe (LAB_NAT=1) and makes
#                    the counter (LAB_ACCT=1)
#   LAB_OFFLOAD=1    leave the veths' offloads (TSO/GSO/GRO, checksum) as they are
#   LAB_QUIET=1      print nothing on success
#
# Only RFC 5737 (198.51.100.0/24, 203.0.113.0/24) and RFC 3849 (2001:db8::/32)
# addresses are used; the namespaces have no link to the host, so no packet
# can leave them. Exit codes: 0 ok, 1 failure, 2 usage or not root.

set -u

LAB=${LAB:-nb}
QUEUE=${QUEUE:-0}
LAB_PROTO=${LAB_PROTO:-tcp}
LAB_NOQUEUE=${LAB_NOQUEUE:-0}
LAB_OFFLOAD=${LAB_OFFLOAD:-0}
LAB_QUIET=${LAB_QUIET:-0}
LAB_NAT=${LAB_NAT:-0}
LAB_ACCT=${LAB_ACCT:-0}
LAB_NAT_POOL=${LAB_NAT_POOL:-203.0.113.100-203.0.113.101}
NATBOX=${NATBOX:-$(cd "$(dirname "$0")/.." && pwd)/natbox}

NS_CLIENT="$LAB-client"
NS_ROUTER="$LAB-router"
NS_SERVER="$LAB-server"

CLIENT4=198.51.100.2
ROUTER4C=198.51.100.1
ROUTER4S=203.0.113.1
SERVER4=203.0.113.2
CLIENT4B=198.51.100.3
CLIENT6=2001:db8:1::2
ROUTER6C=2001:db8:1::1
ROUTER6S=2001:db8:2::1
SERVER6=2001:db8:2::2

prog=${0##*/}

say() {
	[ "$LAB_QUIET" = 1 ] || printf '%s: %s\n' "$prog" "$*"
}

warn() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

die() {
	warn "$*"
	exit 1
}

usage() {
	cat >&2 <<EOF
usage: $prog up | down | status | exec ROLE|NAMESPACE CMD [ARG...]
  ROLE is client, router or server (namespace \$LAB-ROLE, LAB=$LAB)
  env: LAB=nb QUEUE=0 (or N-M) LAB_PROTO="tcp udp icmp" (default tcp)
       LAB_NOQUEUE=1 LAB_OFFLOAD=1 LAB_QUIET=1
       LAB_NAT=1 LAB_NAT_POOL=A-B NATBOX=PATH (translation: natbox rules --nat)
       LAB_ACCT=1 (the rules count what reaches them: natbox nfacct)
EOF
	exit 2
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		warn "must be run as root (network namespaces, veths and iptables need it)"
		exit 2
	fi
}

check_lab_name() {
	# The prefix ends up in /run/netns file names: keep it to a safe set.
	case $LAB in
	'' | *[!A-Za-z0-9_.-]* | .* | -*)
		warn "LAB='$LAB': use letters, digits, '_', '-', '.' (not first)"
		exit 2
		;;
	esac
}

apt_install() {
	command -v apt-get >/dev/null 2>&1 || return 1
	say "installing $*"
	if [ -z "${LAB_APT_UPDATED:-}" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
		LAB_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

ensure_tools() {
	missing=
	command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
	command -v ss >/dev/null 2>&1 || missing="$missing iproute2"
	if ! command -v iptables >/dev/null 2>&1 || ! command -v ip6tables >/dev/null 2>&1; then
		missing="$missing iptables"
	fi
	command -v ping >/dev/null 2>&1 || missing="$missing iputils-ping"
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086 # word splitting of the package list is wanted
		apt_install $missing || die "missing$missing and apt-get install failed"
	fi
	if [ "$LAB_OFFLOAD" != 1 ] && ! command -v ethtool >/dev/null 2>&1; then
		apt_install ethtool ||
			warn "ethtool missing and not installable: offloads left on (the kernel still segments GSO packets before NFQUEUE)"
	fi
}

ns_exists() {
	[ -e "/run/netns/$1" ]
}

# Map a role (client/router/server) or a full namespace name to a namespace.
ns_of() {
	case $1 in
	client | router | server) printf '%s\n' "$LAB-$1" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

nsx() {
	_nsx=$1
	shift
	ip netns exec "$_nsx" "$@"
}

# End whatever still runs inside a lab namespace: a namespace with a live
# process outlives `ip netns del` and keeps its veths and rules.
kill_ns_procs() {
	ns=$1
	pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one argument per pid
	kill -TERM $pids 2>/dev/null
	i=0
	while [ $i -lt 20 ]; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	sleep 0.1
}

# The translation recipe, as natbox prints it (DEL=--delete: its teardown).
nat_recipe() {
	"$NATBOX" rules --nat --inside to-client --outside to-server --queue "$QUEUE" \
		--set "nat.outside=$LAB_NAT_POOL" ${1:+"$1"}
}

nat_rules() {
	[ -x "$NATBOX" ] || die "LAB_NAT=1: no natbox at $NATBOX (make, or set NATBOX)"
	_recipe=$(nat_recipe) || die "natbox rules --nat failed"
	printf '%s\n' "$_recipe" | nsx "$NS_ROUTER" sh -e ||
		die "the translation recipe failed in $NS_ROUTER"
}

lab_down() {
	if [ "$LAB_NAT" = 1 ] && ns_exists "$NS_ROUTER" && [ -x "$NATBOX" ]; then
		# its rules and addresses go with the namespace; removed first all
		# the same, so the recipe's teardown is what is exercised
		nat_recipe --delete 2>/dev/null | nsx "$NS_ROUTER" sh >/dev/null 2>&1
	fi
	for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_SERVER"; do
		ns_exists "$ns" || continue
		kill_ns_procs "$ns"
		ip netns del "$ns" 2>/dev/null || warn "could not delete namespace $ns"
	done
	for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_SERVER"; do
		if ns_exists "$ns"; then
			die "namespace $ns still present after down"
		fi
	done
	return 0
}

# Settings every interface needs before it comes up: no duplicate address
# detection (addresses are usable at once, not "tentative" for ~2 s) and no
# router advertisements or autoconfiguration to add addresses we did not ask for.
prep_if() {
	ns=$1
	dev=$2
	nsx "$ns" sysctl -qw "net.ipv6.conf.$dev.accept_dad=0" \
		"net.ipv6.conf.$dev.dad_transmits=0" \
		"net.ipv6.conf.$dev.accept_ra=0" \
		"net.ipv6.conf.$dev.autoconf=0" >/dev/null
}

# Veth offloads: with TSO/GSO on, a sender hands the veth 64 KB "super
# packets" that cross the router as one skb. nfnetlink_queue does segment a
# GSO skb before queueing it (unless the consumer asks for NFQA_CFG_F_GSO), but
# checksum offload still leaves CHECKSUM_PARTIAL packets whose TCP checksum
# field is only the pseudo-header sum, and GRO on the router's ingress would
# merge segments again. Turning it all off gives natbox real, MTU-sized
# segments with valid checksums, as on a physical link, at a small CPU cost.
offloads_off() {
	[ "$LAB_OFFLOAD" = 1 ] && return 0
	command -v ethtool >/dev/null 2>&1 || return 0
	ns=$1
	dev=$2
	nsx "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
		nsx "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1 ||
		warn "ethtool -K $dev failed in $ns: offloads left on"
}

queue_args() {
	case $QUEUE in
	*[!0-9:-]* | '' | [:-]* | *[:-])
		die "QUEUE='$QUEUE': expected N or N-M"
		;;
	*-* | *:*)
		lo=${QUEUE%%[:-]*}
		hi=${QUEUE#*[:-]}
		printf -- '--queue-balance %s:%s\n' "$lo" "$hi"
		;;
	*)
		printf -- '--queue-num %s\n' "$QUEUE"
		;;
	esac
}

# The LAB_PROTO list, checked, without repeats, in its order ("tcp" by default).
check_protos() {
	_ps=
	for _p in $LAB_PROTO; do
		case $_p in
		tcp | udp | icmp) ;;
		*)
			warn "LAB_PROTO: '$_p' is not one of tcp, udp, icmp"
			return 1
			;;
		esac
		case " $_ps " in *" $_p "*) continue ;; esac
		_ps="${_ps:+$_ps }$_p"
	done
	if [ -z "$_ps" ]; then
		warn "LAB_PROTO is empty (LAB_NOQUEUE=1 for a router without NFQUEUE rules)"
		return 1
	fi
	printf '%s\n' "$_ps"
}

# One NFQUEUE rule per protocol and family in the router's FORWARD chain.
# The TCP rule is the lab's original one, word for word (scenarios delete
# it by its spec). ICMPv6 is queued except neighbour discovery (RFC 4861:
# router and neighbour solicitations and advertisements, redirects): those
# are link-local and never forwarded, but if one were, natbox has no
# business with it, so a RETURN rule ahead of the queue rule lets the
# chain's policy take it.
queue_rules() {
	acct=
	if [ "$LAB_ACCT" = 1 ]; then
		[ -x "$NATBOX" ] || die "LAB_ACCT=1: no natbox at $NATBOX (make, or set NATBOX)"
		_name=natbox-q$(printf '%s' "$QUEUE" | tr : -)
		nsx "$NS_ROUTER" "$NATBOX" nfacct add "$_name" || die "natbox nfacct add $_name failed"
		acct="-m nfacct --nfacct-name $_name"
	fi
	for _p in $protos; do
		case $_p in
		tcp | udp)
			# shellcheck disable=SC2086 # $qa is two words on purpose
			nsx "$NS_ROUTER" iptables -A FORWARD -p "$_p" $acct -j NFQUEUE $qa --queue-bypass ||
				die "iptables NFQUEUE rule ($_p) failed"
			# shellcheck disable=SC2086
			nsx "$NS_ROUTER" ip6tables -A FORWARD -p "$_p" $acct -j NFQUEUE $qa --queue-bypass ||
				die "ip6tables NFQUEUE rule ($_p) failed"
			;;
		icmp)
			# shellcheck disable=SC2086
			nsx "$NS_ROUTER" iptables -A FORWARD -p icmp $acct -j NFQUEUE $qa --queue-bypass ||
				die "iptables NFQUEUE rule (icmp) failed"
			for _t in router-solicitation router-advertisement \
				neighbour-solicitation neighbour-advertisement redirect; do
				nsx "$NS_ROUTER" ip6tables -A FORWARD -p ipv6-icmp -m icmp6 \
					--icmpv6-type "$_t" -j RETURN ||
					die "ip6tables rule keeping $_t out of the queue failed"
			done
			# shellcheck disable=SC2086
			nsx "$NS_ROUTER" ip6tables -A FORWARD -p ipv6-icmp $acct -j NFQUEUE $qa --queue-bypass ||
				die "ip6tables NFQUEUE rule (ipv6-icmp) failed"
			;;
		esac
	done
}

lab_up() {
	lab_down
	trap 'warn "up failed, tearing down"; lab_down' EXIT
	for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_SERVER"; do
		ip netns add "$ns" || die "ip netns add $ns failed"
		# Settings for interfaces created from now on, then loopback.
		nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0 >/dev/null || die "sysctl in $ns failed"
		nsx "$ns" ip link set lo up || die "lo up in $ns failed"
	done

	# Both ends are created directly inside their namespaces, so nothing
	# appears in the host namespace and parallel labs never clash on names.
	ip link add to-router netns "$NS_CLIENT" type veth peer name to-client netns "$NS_ROUTER" ||
		die "veth client<->router failed"
	ip link add to-router netns "$NS_SERVER" type veth peer name to-server netns "$NS_ROUTER" ||
		die "veth router<->server failed"

	prep_if "$NS_CLIENT" to-router
	prep_if "$NS_ROUTER" to-client
	prep_if "$NS_ROUTER" to-server
	prep_if "$NS_SERVER" to-router

	nsx "$NS_CLIENT" ip addr add "$CLIENT4/24" dev to-router || die "address failed"
	nsx "$NS_CLIENT" ip addr add "$CLIENT6/64" dev to-router nodad || die "address failed"
	if [ "$LAB_NAT" = 1 ]; then
		nsx "$NS_CLIENT" ip addr add "$CLIENT4B/24" dev to-router || die "address failed"
	fi
	nsx "$NS_ROUTER" ip addr add "$ROUTER4C/24" dev to-client || die "address failed"
	nsx "$NS_ROUTER" ip addr add "$ROUTER6C/64" dev to-client nodad || die "address failed"
	nsx "$NS_ROUTER" ip addr add "$ROUTER4S/24" dev to-server || die "address failed"
	nsx "$NS_ROUTER" ip addr add "$ROUTER6S/64" dev to-server nodad || die "address failed"
	nsx "$NS_SERVER" ip addr add "$SERVER4/24" dev to-router || die "address failed"
	nsx "$NS_SERVER" ip addr add "$SERVER6/64" dev to-router nodad || die "address failed"

	offloads_off "$NS_CLIENT" to-router
	offloads_off "$NS_ROUTER" to-client
	offloads_off "$NS_ROUTER" to-server
	offloads_off "$NS_SERVER" to-router

	nsx "$NS_CLIENT" ip link set to-router up || die "link up failed"
	nsx "$NS_ROUTER" ip link set to-client up || die "link up failed"
	nsx "$NS_ROUTER" ip link set to-server up || die "link up failed"
	nsx "$NS_SERVER" ip link set to-router up || die "link up failed"

	nsx "$NS_CLIENT" ip route add default via "$ROUTER4C" || die "route failed"
	nsx "$NS_CLIENT" ip -6 route add default via "$ROUTER6C" || die "route failed"
	nsx "$NS_SERVER" ip route add default via "$ROUTER4S" || die "route failed"
	nsx "$NS_SERVER" ip -6 route add default via "$ROUTER6S" || die "route failed"

	nsx "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null || die "forwarding sysctl failed"

	if [ "$LAB_NAT" = 1 ]; then
		nat_rules
	elif [ "$LAB_NOQUEUE" != 1 ]; then
		queue_rules
	fi

	# Neighbour entries resolve on first use; one ping each way per family
	# also proves the path before anyone measures timing on it.
	ping_check || die "lab is up but client cannot reach server"
	trap - EXIT
	if [ "$LAB_NAT" = 1 ]; then
		say "up: $NS_CLIENT $NS_ROUTER $NS_SERVER (translation, pool $LAB_NAT_POOL, NFQUEUE $QUEUE, bypass)"
	elif [ "$LAB_NOQUEUE" = 1 ]; then
		say "up: $NS_CLIENT $NS_ROUTER $NS_SERVER (no NFQUEUE rule)"
	else
		say "up: $NS_CLIENT $NS_ROUTER $NS_SERVER ($(printf '%s' "$protos" | tr '[:lower:]' '[:upper:]') FORWARD -> NFQUEUE $QUEUE, bypass)"
	fi
}

ping_one() {
	ns=$1
	dst=$2
	i=0
	# Bounded: at most 10 one-second attempts.
	while [ $i -lt 10 ]; do
		if nsx "$ns" ping -n -q -c 1 -W 1 "$dst" >/dev/null 2>&1; then
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

ping_check() {
	rc=0
	for pair in "$NS_CLIENT $SERVER4" "$NS_CLIENT $SERVER6" \
		"$NS_SERVER $CLIENT4" "$NS_SERVER $CLIENT6"; do
		# shellcheck disable=SC2086 # "ns addr" pairs
		set -- $pair
		if ping_one "$1" "$2"; then
			say "ping $1 -> $2 ok"
		else
			warn "ping $1 -> $2 FAILED"
			rc=1
		fi
	done
	return $rc
}

lab_status() {
	rc=0
	for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_SERVER"; do
		if ! ns_exists "$ns"; then
			printf '%s: absent\n' "$ns"
			rc=1
			continue
		fi
		printf '%s:\n' "$ns"
		nsx "$ns" ip -br addr show | sed 's/^/  /'
		pids=$(ip netns pids "$ns" | tr '\n' ' ')
		[ -n "$pids" ] && printf '  pids: %s\n' "$pids"
	done
	[ $rc = 0 ] || return 1
	printf '%s rules:\n' "$NS_ROUTER"
	{
		nsx "$NS_ROUTER" iptables -S FORWARD
		nsx "$NS_ROUTER" ip6tables -S FORWARD | sed 's/^/(v6) /'
		nsx "$NS_ROUTER" iptables -t raw -S PREROUTING | sed 's/^/(raw) /'
		nsx "$NS_ROUTER" iptables -t mangle -S POSTROUTING | sed 's/^/(mangle) /'
	} | sed 's/^/  /'
	if [ -r /proc/net/netfilter/nfnetlink_queue ]; then
		q=$(nsx "$NS_ROUTER" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null)
		printf '  queues bound: %s\n' "${q:-none}"
	fi
	ping_check
}

[ $# -ge 1 ] || usage
cmd=$1
shift
check_lab_name
case $cmd in
up)
	[ $# -eq 0 ] || usage
	need_root
	qa=$(queue_args) || exit 2
	protos=$(check_protos) || exit 2
	ensure_tools
	lab_up
	;;
down)
	[ $# -eq 0 ] || usage
	need_root
	lab_down
	say "down: $LAB"
	;;
status | check)
	[ $# -eq 0 ] || usage
	need_root
	lab_status
	;;
exec)
	[ $# -ge 2 ] || usage
	need_root
	ns=$(ns_of "$1")
	shift
	ns_exists "$ns" || die "no namespace $ns (run '$prog up' first)"
	exec ip netns exec "$ns" "$@"
	;;
-h | --help | help)
	usage
	;;
*)
	usage
	;;
esac
