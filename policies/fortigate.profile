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
# timeout.gre_unreplied, timeout.gre: no GRE timer of its own found in
# the sources above, so GRE is timed as other protocols (the built-in
# defaults are Linux's GRE timers, 30s / 180s).
timeout.gre_unreplied = 1h
timeout.gre = 1h
# refresh.udp any: FortiOS 7.4.3 CLI reference, config system session-ttl >
# config port: refresh-direction [both|outgoing|incoming], default both;
# the Hyperscale guide 6.4.8 describes the same option. Caveat: that is the
# per-port entry's default; the global behaviour is assumed the same. The
# Linux value already.
# icmp.errors: not found. The Linux pass is kept.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # FortiOS allocates from a port pool "per NAT IP, destination IP, port, and protocol"; no endpoint-independent binding is documented (FortiGate 4.0 MR1 Admin Guide, "How FortiOS selects unused NAT ports": https://easymanua.ls/fortinet/fortigate-series/manual/738445?p=412)
# nat.filtering = address-and-port-dependent (the built-in default) # session-based; "Full cone NAT is also known as Endpoint Independent Filtering" is an opt-in for fixed-port-range pools, UDP only: https://docs.fortinet.com/document/fortigate/7.6.6/administration-guide/949754
# nat.ports = preserve (the built-in default) # KB 380483: with port-preserve enabled "the original port will be attempted for a re-use. If this clashes with another session, a new NAT port will be selected sequentially": https://community.fortinet.com/t5/FortiGate/Technical-Tip-NAT-Port-selection-process-criteria/ta-p/380483
nat.port_range = 5117-65533                 # KB 192079: "Each IP address provides 60,416 source ports [5117;65533]": https://community.fortinet.com/t5/FortiGate/Technical-Tip-Mixed-NAT-pools-for-single-IP-policy/ta-p/192079
# nat.parity: not found
# nat.pooling = arbitrary (the built-in default) # ippool: "translate source addresses to addresses randomly selected from the IP pool" (CLI reference 6.0 firewall ippool: https://docs.fortinet.com/document/fortigate/6.0.0/cli-reference/438955); Handbook 6.0 fixed port: "randomly selects an IP address from the IP pool and assigns it to each connection"
# nat.port_reuse_delay: not found
# nat.ports_per_host: not applicable to overload pools (port-per-user / block settings exist only for fixed-port-range and port-block-allocation pools)
# nat.hairpin: not found
nat.unsolicited = drop                      # existing profile / timeouts.md: "no session matched", dropped
