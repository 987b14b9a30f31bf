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
source = FortiOS system global and session-ttl settings (timeouts.md, Fortinet section): tcp-halfopen-timer 10 s, tcp-halfclose-timer 120 s (one side sent FIN), tcp-timewait-timer 1 s, tcp-rst-timer 5 s, session-ttl 3600 s; packets of a removed session: no session matched, dropped; tcp-session-without-syn off by default. No figure found for LAST_ACK: Linux 30s kept. udp-idle-timer 180 s; other: session-ttl (inferred); ICMP timer and ICMP errors not found: Linux kept.

timeout.opening = 10s
timeout.established = 1h
timeout.half_closed = 2m
timeout.time_wait = 1s
timeout.close = 5s
expire.later = drop
unknown.action = drop

# UDP 180s, both keys: Fortinet community Technical Tip 191228 (Session
# timeout settings): "the global value set in the 'udp-idle-timer' variable
# of the 'config system global' command which is 180 seconds per default";
# config dumps show udp-idle-timer: 180. A custom service's udp-idle-timer
# overrides it. UDP sessions show proto_state 0 "reply not seen" / 1 "reply
# seen", but no separate timer per state was found.
timeout.udp_unreplied = 3m
timeout.udp = 3m
# timeout.icmp: not found. FortiOS has no ICMP-specific timer in config
# system global or session-ttl; KB 194357 only shows how to add a protocol-1
# port entry (whose timeout field defaults to 300, the entry default, not an
# ICMP default). Whether ICMP sessions use the session-ttl default 3600 was
# not confirmed. The Linux 30s is kept.
# timeout.other 1h, inferred: KB 194357 (Default session timeout value
# session-ttl): "The default value of session-ttl is 3600 seconds";
# session-ttl is the global catch-all (ESTABLISHED uses it above), inferred
# to apply to protocols without a timer of their own.
timeout.other = 1h
# refresh.udp any: FortiOS 7.4.3 CLI reference, config system session-ttl >
# config port: refresh-direction [both|outgoing|incoming], default both;
# the Hyperscale guide 6.4.8 describes the same option. Caveat: that is the
# per-port entry's default; the global behaviour is assumed the same. The
# Linux value already.
# icmp.errors: not found. The Linux pass is kept.
