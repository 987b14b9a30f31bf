name = pf-aggressive
description = pf with set optimization aggressive: established 5h, closing 1m, short opening and close
source = pfvar.h, pf.conf(5), pfctl.c (timeouts.md, pf section, aggressive column): tcp.first 30, tcp.opening 5, tcp.established 18000, tcp.closing 60, tcp.finwait 30, tcp.closed 30. State mapping as in pf-normal.
inherit = pf-normal

timeout.syn_sent = 30s
timeout.syn_recv = 5s
timeout.syn_sent2 = 5s
timeout.established = 5h
timeout.half_closed = 1m
timeout.last_ack = 30s
timeout.time_wait = 30s
timeout.close = 30s

# UDP, ICMP, other: nothing to add. set optimization aggressive only changes
# tcp.* timers: pfctl.c pf_hint_aggressive[] = { tcp.first 30, tcp.opening 5,
# tcp.established 5*60*60, tcp.closing 60, tcp.finwait 30, tcp.closed 30,
# tcp.tsdiff 10 } has no udp, icmp or other entries, so pf-normal's values
# stand.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nothing to add: `set optimization aggressive` changes tcp.* timers only; NAT allocation is pf-normal's
