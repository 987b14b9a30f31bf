# PAN-OS session timers onto tracker states:
#   tcp-init 5        -> SYN_SENT, SYN_SENT2 (first SYN, handshake not done)
#   tcp-handshake 10  -> SYN_RECV            (SYN-ACK seen, waiting for ACK)
#   tcp 3600          -> ESTABLISHED
#   tcp-half-closed   -> FIN_WAIT, CLOSE_WAIT (from the first FIN)
#   tcp-time-wait 15  -> LAST_ACK, TIME_WAIT (second FIN) and CLOSE (RST)
# The 30s timer for an unverified (inexact) RST is not modelled: every RST
# gets the 15s CLOSE timer.
name = panos
description = Palo Alto PAN-OS: tcp 3600s, handshake 5s/10s, half-closed 120s from the first FIN, time-wait 15s
source = PAN-OS session timeout documentation and KBs (timeouts.md, PAN-OS section): tcp 3600 s, tcp-init 5 s, tcp-handshake 10 s, tcp-half-closed 120 s from the first FIN, tcp-time-wait 15 s after the second FIN or an exact RST, unverified RST 30 s (not modelled). Expired sessions: later data discarded; no source says a RST is sent. Unknown flows: not in the reference; treated like expired ones (drop).

timeout.syn_sent = 5s
timeout.syn_sent2 = 5s
timeout.syn_recv = 10s
timeout.established = 1h
timeout.half_closed = 2m
timeout.closing = 15s
timeout.time_wait = 15s
timeout.close = 15s
expire.later = drop
unknown.action = drop
