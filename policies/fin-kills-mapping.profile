# The NAT of seed 000 (ByteBlower): it deletes the mapping a fixed time
# after the FIRST FIN, whatever follows: data still flowing the other way,
# the FIN being acked, the second FIN. refresh none makes every closing
# state absolute, and the engine keeps one deadline across moves between
# `none` states, so the mapping dies T after the first FIN.
# Vary T (the reports say 10 to 30 s, or at once) with e.g.
#   --set timeout.half_closed=30s --set timeout.closing=30s --set timeout.time_wait=30s
name = fin-kills-mapping
description = Buggy NAT of seed 000: mapping deleted 10s after the first FIN even while data still flows
source = Seed 000 (ByteBlower, TCP half-close behind NAT): flows stopped 10 to 30 s after one side's FIN, or at once; not allowed by RFC 5382, whose closing phase needs both FINs. T = 10 s is the low end of the reports. Everything else is the Linux baseline; packets after the deletion are dropped (the flows stopped).

# half_closed.start = first_fin and every refresh before the FIN = any
# are the baseline already.
timeout.half_closed = 10s
timeout.closing = 10s
timeout.time_wait = 10s
refresh.half_closed = none
refresh.closing = none
refresh.time_wait = none
# A RST after the FIN does not buy time either (CLOSE keeps the 10s baseline).
refresh.close = none
expire.later = drop
unknown.action = drop

# UDP, ICMP, other: nothing to add. Seed 000 (ByteBlower) is about TCP
# half-close only and says nothing of them; the Linux baseline stands.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nothing to add: seed 000 (ByteBlower) concerns TCP half-close only and says nothing about
# mapping, filtering or ports; the built-in (Linux) NAT behaviour stands
