# Cisco ASA / FTD defaults.
#
# Inside and outside: `service resetoutbound` answers only an *inside* host
# with a RST; a packet from outside that matches no conn is dropped (and
# logged, 106015). A profile has no notion of interfaces or zones, so
# reset-sender below answers whichever side sent the packet. In the lab
# the client (originator) side is the inside, which is the case that
# matters; packets from the server side get a RST here where an ASA would
# drop them silently. Use --set unknown.action=drop to model the outside.
#
# LAST_ACK, TIME_WAIT and CLOSE: the reference gives no ASA figure for
# them; the Linux values (30s, 120s, 10s) are kept.
name = cisco-asa
description = Cisco ASA/FTD: conn idle 1h, embryonic 30s, half-closed 10m from FIN+ACK, resetoutbound
source = ASA CLI configuration guide and FTD platform settings (timeouts.md, Cisco section): conn 1h, embryonic 30s, half-closed 10m counted once the FIN and its ACK are seen (the conn timer until then), no reset at expiry by default, a non-SYN without a conn is dropped and service resetoutbound (on by default) answers the inside host with RST. No figure found for LAST_ACK, TIME_WAIT, CLOSE: Linux values kept.

timeout.established = 1h
timeout.opening = 30s
timeout.half_closed = 10m
half_closed.start = fin_acked
# A dead conn is no conn: later packets get what unknown ones get.
expire.later = reset-sender
unknown.action = reset-sender
