#!/bin/sh
# deps.sh [--list] GROUP... -- what natbox's build and tests need on Debian 12,
# checked, and installed when missing.
#
#   build   make: the compiler and the libraries
#   check   make check: build, the Check library and the tools the offline
#           tests use; as root (and without NATBOX_SKIP_E2E=1) also the
#           namespace lab's and scenarios' tools, since they run then
#   unit    make unit: build, the Check library and the offline tools
#   e2e     make e2e: build, check, and the lab's and scenarios' tools
#   demo    make demo: build and the lab's tools
#   bench   make bench: build, the lab's tools and iperf3
#   fuzz    make fuzz: clang with libFuzzer
#   ci      .ci/run: check and e2e in full, and clang for the second build
#
# Everything present (probed with command -v and pkg-config; no apt call,
# so `make` stays fast): nothing printed, exit 0. Something missing: as
# root with apt-get, installed (apt-get update once, noninteractive, quiet);
# otherwise the exact apt-get command is printed and the exit status is 1.
# --list prints the Debian packages of the groups and checks nothing.
# A probe is cmd:COMMAND (on PATH), pc:MODULE (pkg-config knows it) or
# glob:PATTERN (a file matches).
set -u
PATH=$PATH:/usr/sbin:/sbin		# iptables, ethtool, conntrack, sysctl

# package              tag     probes (all must hold)      used by
TABLE='
build-essential         build   cmd:cc,cmd:make,cmd:nm      the build; nm: tests/check-core.sh
pkg-config              build   cmd:pkg-config              the build
libnetfilter-queue-dev  build   pc:libnetfilter_queue       the live path
libmnl-dev              build   pc:libmnl                   the live path, rules
libpcap-dev             build   pc:libpcap                  captures
check                   check   pc:check                    the unit suites
tcpdump                 check   cmd:tcpdump                 tests/replay: checks against tcpdump; s15: NFLOG capture
python3                 check   cmd:python3                 tests/replay, s10: JSON and SVG parse
coreutils               check   cmd:timeout,cmd:stdbuf      tests/replay, the scenarios
iproute2                lab     cmd:ip,cmd:ss               tests/lab.sh, the scenarios
iptables                lab     cmd:iptables,cmd:ip6tables  tests/lab.sh, the scenarios
iputils-ping            lab     cmd:ping                    tests/lab.sh
ethtool                 lab     cmd:ethtool                 tests/lab.sh: offloads off
procps                  lab     cmd:sysctl                  tests/lab.sh, s05
conntrack               e2e     cmd:conntrack               s09, s15: kernel events, conntrack -E
util-linux              e2e     cmd:unshare,cmd:mount       s10: the installed tree
bsdutils                e2e     cmd:script                  s10: natbox top on a pty
man-db                  e2e     cmd:man                     s10: the man pages render
groff-base              e2e     cmd:groff                   s10: the man pages render
coturn                  e2e     cmd:turnserver,cmd:turnutils_natdiscovery  s12: RFC 5780 discovery, the oracle of nat.mapping/filtering
iperf3                  bench   cmd:iperf3                  tests/bench/bench_lab.sh
clang                   clang   cmd:clang                   make fuzz, the clang build in CI
libclang-rt-dev         clang   glob:/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a  libFuzzer, the sanitizers under clang
'

usage() {
	echo "usage: $0 [--list] build|check|unit|e2e|demo|bench|fuzz|ci ..." >&2
	exit 2
}

list=0
[ "${1:-}" = --list ] && { list=1; shift; }
tags=
# the scenarios run under make check only as root and without NATBOX_SKIP_E2E=1
e2e_runs=0
[ "$(id -u)" = 0 ] && [ "${NATBOX_SKIP_E2E:-0}" != 1 ] && e2e_runs=1
for g in "$@"; do
	case $g in
	build) tags="$tags build" ;;
	check)
		tags="$tags build check"
		[ $e2e_runs = 1 ] || [ $list = 1 ] && tags="$tags lab e2e"
		;;
	unit) tags="$tags build check" ;;
	e2e) tags="$tags build check lab e2e" ;;
	demo) tags="$tags build lab" ;;
	bench) tags="$tags build lab bench" ;;
	fuzz) tags="$tags clang" ;;		# clang and its libFuzzer and sanitizer runtimes
	ci) tags="$tags build check lab e2e clang" ;;
	*) usage ;;
	esac
done
[ -n "$tags" ] || usage

# wanted TAG: is a package with TAG in the groups asked for?
wanted() {
	case " $tags " in *" $1 "*) return 0 ;; esac
	return 1
}

# probe PROBES: 0 if every probe (comma-separated) finds its thing
probe() {
	_old_ifs=$IFS
	IFS=,
	# shellcheck disable=SC2086 # split on commas
	set -- $1
	IFS=$_old_ifs
	for _p in "$@"; do
		case $_p in
		cmd:*) command -v "${_p#cmd:}" >/dev/null 2>&1 || return 1 ;;
		pc:*) pkg-config --exists "${_p#pc:}" 2>/dev/null || return 1 ;;
		glob:*)
			# shellcheck disable=SC2086 # the pattern is expanded
			set -- ${_p#glob:}
			[ -e "$1" ] || return 1
			;;
		esac
	done
	return 0
}

pkgs=
missing=
while read -r pkg tag probes _; do
	[ -n "$pkg" ] || continue
	wanted "$tag" || continue
	pkgs="$pkgs $pkg"
	[ $list = 1 ] && continue
	probe "$probes" || missing="$missing $pkg"
done <<EOF
$TABLE
EOF

if [ $list = 1 ]; then
	echo "${pkgs# }"
	exit 0
fi
[ -n "$missing" ] || exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "natbox: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || { echo "natbox: apt-get update failed" >&2; exit 1; }
	# shellcheck disable=SC2086 # one word per package
	if ! apt-get install -y -qq $missing >/dev/null; then
		echo "natbox: apt-get install -y$missing failed" >&2
		exit 1
	fi
	still=
	while read -r pkg tag probes _; do
		[ -n "$pkg" ] || continue
		case " $missing " in *" $pkg "*) probe "$probes" || still="$still $pkg" ;; esac
	done <<EOF
$TABLE
EOF
	if [ -n "$still" ]; then
		echo "natbox: installed, but still not found:$still" >&2
		exit 1
	fi
	# The tests run their own turnserver in a namespace; the package's
	# system service (which apt enables and starts) is not wanted here.
	case " $missing " in
	*" coturn "*)
		if command -v systemctl >/dev/null 2>&1; then
			systemctl disable --now coturn.service >/dev/null 2>&1
			echo "natbox: coturn's system service disabled and stopped (the tests start their own)"
		fi ;;
	esac
	exit 0
fi
echo "natbox: missing:$missing (for: $*)" >&2
echo "natbox: run as root:  apt-get install -y$missing" >&2
exit 1
