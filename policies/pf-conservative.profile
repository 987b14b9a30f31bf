name = pf-conservative
description = pf with set optimization conservative: established 5d, closing 1h, opening 15m
source = pfvar.h, pf.conf(5), pfctl.c (timeouts.md, pf section, conservative column): tcp.first 3600, tcp.opening 900, tcp.established 432000, tcp.closing 3600, tcp.finwait 600, tcp.closed 180. State mapping as in pf-normal.
inherit = pf-normal

timeout.syn_sent = 1h
timeout.syn_recv = 15m
timeout.syn_sent2 = 15m
timeout.established = 5d
timeout.half_closed = 1h
timeout.last_ack = 10m
timeout.time_wait = 10m
timeout.close = 3m

# UDP, ICMP, other: nothing to add. pfctl.c pf_hint_conservative[] likewise
# lists tcp.* (and tcp.tsdiff) only, so pf-normal's values stand.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nothing to add (as pf-aggressive)
