# FortiOS timers onto tracker states:
#   tcp-halfopen-timer 10   -> SYN_SENT, SYN_SENT2, SYN_RECV
#   session-ttl 3600        -> ESTABLISHED
#   tcp-halfclose-timer 120 -> FIN_WAIT, CLOSE_WAIT (one side sent FIN)
#   tcp-timewait-timer 1    -> TIME_WAIT
#   tcp-rst-timer 5         -> CLOSE
# LAST_ACK (both FINs, the last not yet acked): no figure found; the Linux
# 30s is kept.
name = fortigate
description = Fortinet FortiOS: session-ttl 3600s, half-open 10s, half-close 120s, time-wait 1s, rst 5s
source = FortiOS system global and session-ttl settings (timeouts.md, Fortinet section): tcp-halfopen-timer 10 s, tcp-halfclose-timer 120 s (one side sent FIN), tcp-timewait-timer 1 s, tcp-rst-timer 5 s, session-ttl 3600 s; packets of a removed session: no session matched, dropped; tcp-session-without-syn off by default. No figure found for LAST_ACK: Linux 30s kept.

timeout.opening = 10s
timeout.established = 1h
timeout.half_closed = 2m
timeout.time_wait = 1s
timeout.close = 5s
expire.later = drop
unknown.action = drop
