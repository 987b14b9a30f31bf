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
source = pfvar.h, pf.conf(5), pfctl.c (timeouts.md, pf section): tcp.first 120, tcp.opening 30, tcp.established 86400, tcp.closing 900, tcp.finwait 45, tcp.closed 90, refreshed by every packet; adaptive 60% to 120% of the default 100000-state limit; expired or unknown packets match no state and the default block drops them (NAT states never resync). Not in timeouts.md: pf checks sequence windows unless sloppy (pf.conf(5)).

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
