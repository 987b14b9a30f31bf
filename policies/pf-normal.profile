# pf's "normal" optimization. pf's timeout classes map onto tracker states:
#   tcp.first       -> SYN_SENT              (after the first packet)
#   tcp.opening     -> SYN_RECV, SYN_SENT2   (before both ends acknowledged)
#   tcp.established -> ESTABLISHED
#   tcp.closing     -> FIN_WAIT, CLOSE_WAIT  (after the first FIN: half-closed)
#   tcp.finwait     -> LAST_ACK, TIME_WAIT   (after both FINs)
#   tcp.closed      -> CLOSE                 (after RST)
# natbox's group names differ from pf's words: pf's tcp.closing is our
# timeout.half_closed, and our timeout.closing is LAST_ACK alone.
#
# pf checks sequence windows unless a rule says `sloppy`, so window
# tracking is on, and an out-of-window packet, matching no state, falls to
# the default block (invalid.action = drop). pf never picks up a flow
# mid-stream, so the Linux 300s cap before a reply never applies.
name = pf-normal
description = OpenBSD/FreeBSD pf, optimization normal: established 24h, closing 15m, adaptive 60%..120% of 100000
source = pfvar.h, pf.conf(5), pfctl.c (timeouts.md, pf section): tcp.first 120, tcp.opening 30, tcp.established 86400, tcp.closing 900, tcp.finwait 45, tcp.closed 90, refreshed by every packet; adaptive 60% to 120% of the default 100000-state limit; expired or unknown packets match no state and the default block drops them (NAT states never resync). Not in timeouts.md: pf checks sequence windows unless sloppy (pf.conf(5)). pfvar.h udp.multiple 60, icmp.error 10, other 60 (see the comments).

# tcp.first 120s = SYN_SENT: the Linux value already.
timeout.syn_recv = 30s
timeout.syn_sent2 = 30s
timeout.established = 1d
timeout.half_closed = 15m
timeout.last_ack = 45s
timeout.time_wait = 45s
timeout.close = 90s
expire.later = drop
unknown.action = drop
invalid.action = drop
tracking.window = on
table.max_flows = 100000
table.adaptive = 60%..120%

# UDP, ICMP and other protocols. sys/net/pfvar.h (OpenBSD; the same values
# in the FreeBSD, pfSense and OPNsense copies): PFTM_UDP_FIRST_PACKET_VAL 60,
# PFTM_UDP_SINGLE_VAL 30 /* Unidirectional */, PFTM_UDP_MULTIPLE_VAL 60
# /* Bidirectional */, PFTM_ICMP_FIRST_PACKET_VAL 20,
# PFTM_ICMP_ERROR_REPLY_VAL 10, PFTM_OTHER_FIRST_PACKET_VAL 60,
# PFTM_OTHER_SINGLE_VAL 30, PFTM_OTHER_MULTIPLE_VAL 60. pf keeps a state per
# peer (NO_TRAFFIC, SINGLE, MULTIPLE) and has more timers than natbox has
# keys, so one key stands for two or three pf timers:
#   udp.first, udp.single               -> udp_unreplied
#   udp.multiple                        -> udp
#   icmp.first, icmp.error              -> icmp
#   other.first, other.single, other.multiple -> other
#
# timeout.udp_unreplied 30s = udp.single, "source host sends more than one
# packet but the destination host has never sent one back" (pf.conf(5)); the
# Linux value already. It cannot also be udp.first: the very first packet
# gets 60s (pf.c pf_create_state: s->src.state = PFUDPS_SINGLE;
# s->dst.state = PFUDPS_NO_TRAFFIC; s->timeout = PFTM_UDP_FIRST_PACKET), so
# a lone outbound datagram lives 60s in pf, a repeating one-way stream 30s
# after its last packet. For the one-shot case:
#   --set timeout.udp_unreplied=60s
# udp 60s = udp.multiple, "both hosts have sent packets" (pf.conf(5)).
# pf_test_state_udp() (OpenBSD pf.c 1.734) uses it only once both peers are
# MULTIPLE: the first reply leaves the initiator MULTIPLE and the responder
# SINGLE (still udp.single 30s), and only the initiator's next packet makes
# both MULTIPLE. A request/reply pair with nothing after it expires 30s after
# the reply. natbox's stream rule (a later packet either way, once 2 s have
# passed) is the kernel's, not pf's.
timeout.udp = 60s
# icmp 10s = icmp.error, the effective idle timeout of an answered ping: pf
# creates a query state with icmp.first 20s (pf_create_state:
# s->timeout = PFTM_ICMP_FIRST_PACKET), then EVERY later packet matching it,
# the echo reply included, sets icmp.error 10s (pf_test_state_icmp, query
# branch: (*state)->expire = time_second; (*state)->timeout =
# PFTM_ICMP_ERROR_REPLY), despite pf.conf(5) describing icmp.error as "after
# an ICMP error came back in response to an ICMP packet". An unanswered
# request lives 20s in pf (not modelled: one key).
timeout.icmp = 10s
# other 60s: other.first 60 and other.multiple 60; other.single 30 after
# repeated one-way packets (the same SINGLE/MULTIPLE logic as UDP,
# pf_test_state_other) is not modelled.
timeout.other = 60s
# timeout.gre_unreplied, timeout.gre: no GRE timer of its own found in
# the sources above, so GRE is timed as other protocols (the built-in
# defaults are Linux's GRE timers, 30s / 180s).
timeout.gre_unreplied = 60s
timeout.gre = 60s
# refresh.udp any: pf_test_state_udp sets expire for packets in either
# direction (only the timeout class depends on the peers' states); the Linux
# value already.
# icmp.errors pass: pf_test_state_icmp's error branch looks up the state of
# the quoted TCP/UDP/ICMP packet and translates the error; errors do not
# update expire. The Linux value already. Not modelled: a TCP error must
# carry a sequence number inside the window unless the state is sloppy (else
# "BAD ICMP", dropped); FreeBSD also drops errors whose outer destination
# differs from the inner source (SA-19:06 pf.patch).

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # pf_get_sport() picks a fresh port for every new state; FreeBSD's review of EIM calls the existing behaviour "symmetric": https://reviews.freebsd.org/D11137
# nat.filtering = address-and-port-dependent (the built-in default) # "only if a Z:z was previously transmitted to by X:x, can it transmit back" (D11137); OPNsense "uses address and port-dependent filtering by default": https://github.com/opnsense/core/issues/8384
nat.ports = random                          # pf_get_sport(): cut = arc4random() % (1 + high - low) + low, then probe up, then down: https://github.com/freebsd/freebsd-src/blob/main/sys/netpfil/pf/pf_lb.c
nat.port_range = 50001-65535                # pfctl: with no port given on a nat rule, proxy_port = PF_NAT_PROXY_PORT_LOW/HIGH = 50001/65535 (sbin/pfctl/pfctl_parser.h, parse.y)
# nat.parity = off (the built-in default) # pf_get_sport(): no parity logic
# nat.pooling = arbitrary (the built-in default) # pool types random/round-robin pick per state; `sticky-address` or `source-hash` give paired (pf.conf(5) POOL OPTIONS)
# nat.port_reuse_delay = 0s (the built-in default) # a port is free once no state holds the (dst, nat addr, port) key: pf_find_state_all_exists()
# nat.ports_per_host: not applicable (max-src-states limits states per source per rule, not ports)
# nat.hairpin = off (the built-in default) # pf has no automatic reflection of nat states; pfSense/OPNsense "NAT reflection" is for port forwards and optional (inferred)
nat.unsolicited = drop                      # default block-policy drop: https://www.openbsd.org/faq/pf/options.html; pf-normal already has unknown.action = drop
