# Junos SRX flow timers onto tracker states:
#   tcp-initial-timeout 20 -> SYN_SENT, SYN_SENT2, SYN_RECV
#   inactivity 1800        -> ESTABLISHED, and FIN_WAIT/CLOSE_WAIT too:
#                             by default the time-wait timer waits for both
#                             FINs, so half_closed.start = both_fins keeps
#                             the established timer until then
#   time-wait-state 150    -> LAST_ACK, TIME_WAIT
# `set security flow tcp-session time-wait-state apply-to-half-close-state`
# starts it at the first FIN instead; model it with
#   --set half_closed.start=first_fin --set timeout.half_closed=150s
# A zone with `tcp-rst` answers non-SYN first packets with a RST:
#   --set unknown.action=reset-sender
name = juniper-srx
description = Juniper SRX: TCP inactivity 1800s, initial 20s, time-wait 150s after both FINs, SYN check
source = Junos flow documentation (timeouts.md, Juniper section): TCP inactivity 1800 s, tcp-initial-timeout 20 s, time-wait-state 150 s after both FINs by default (apply-to-half-close-state moves it to the first FIN); non-SYN first packets are dropped by the SYN check. No figure found after a RST: Linux 10s CLOSE kept. Expired flows: not in the reference; treated like unknown ones (drop). UDP 1 min, ICMP 1 min, other 30 min (Security Configuration Guide 10.2, Table 13); UDP refresh, ICMP errors: not found.

timeout.opening = 20s
timeout.established = 30m
timeout.closing = 150s
timeout.time_wait = 150s
half_closed.start = both_fins
expire.later = drop
unknown.action = drop

# UDP, ICMP, other: Junos Security Configuration Guide 10.2, "Understanding
# Policy Application Timeout Configuration and Lookup", Table 13
# Protocol-Based Default Timeout: TCP 30 min, UDP 1 min, ICMP 1 min, OSPF
# 1 min, Other 30 min. Lookup order: the timeout set on the application,
# then the predefined application's default, then this table. The current
# "Flow-Based Sessions" page (SRX): "the default timeout for TCP is 1800
# seconds. The default timeout for UDP is 60 seconds." Predefined junos-*
# applications can carry their own inactivity-timeout; not modelled.
# timeout.udp_unreplied, timeout.udp 60s: UDP 1 min, one timer.
timeout.udp_unreplied = 60s
timeout.udp = 60s
# timeout.icmp 60s: ICMP 1 min.
timeout.icmp = 60s
# timeout.other 30m: Other 30 min (OSPF, 1 min in the table, is timed as
# other here).
timeout.other = 30m
# timeout.gre_unreplied, timeout.gre: no GRE timer of its own found in
# the sources above, so GRE is timed as other protocols (the built-in
# defaults are Linux's GRE timers, 30s / 180s).
timeout.gre_unreplied = 30m
timeout.gre = 30m
# refresh.udp, icmp.errors: not found (looked at the Flow-Based Sessions and
# session characteristics pages). The Linux any and pass are kept.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # inferred default: persistent NAT (off by default) is what "ensures that all requests from the same internal transport address are mapped to the same reflexive transport address": https://juniper.net/documentation/software/junos-security/junos-security10.2/junos-security-swconfig-security/topic-42825.html
# nat.filtering = address-and-port-dependent (the built-in default) # flow/session based; persistent NAT types any-remote-host / target-host / target-host-port = EIF / ADF / APDF (same page)
nat.ports = random                          # SRX source NAT randomises ports by default; `set security nat source port-randomization disable` turns it off (knob cited in jeremmfr/terraform-provider-junos#458 "Disable Source NAT Port Randomization"; Juniper page not read)
# nat.port_range: not found
# nat.parity: not found for SRX (preserve-parity exists for MX `services nat pool ... port`, not security nat)
# nat.pooling: not found (an `address-persistent` source-NAT option exists; its default effect was not verified)
# nat.port_reuse_delay: not found
# nat.ports_per_host: not found (port block allocation is opt-in)
# nat.hairpin: not found
nat.unsolicited = drop                      # existing profile: non-SYN first packets dropped by the SYN check; zone `tcp-rst` gives reset-sender
