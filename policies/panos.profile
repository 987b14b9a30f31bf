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
source = PAN-OS session timeout documentation and KBs (timeouts.md, PAN-OS section): tcp 3600 s, tcp-init 5 s, tcp-handshake 10 s, tcp-half-closed 120 s from the first FIN, tcp-time-wait 15 s after the second FIN or an exact RST, unverified RST 30 s (not modelled). Expired sessions: later data discarded; no source says a RST is sent. Unknown flows: not in the reference; treated like expired ones (drop). UDP 30 s, ICMP 6 s, other 30 s (Session Timeouts page); UDP refresh, ICMP errors not found.

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

# UDP, ICMP, other: PAN-OS Web Interface Help, Device > Setup > Session >
# Session Timeouts (11.1; the same in 8.0, 9.1 and 12.1):
#   "UDP - Maximum length of time, in seconds, that a UDP session remains
#   open without a UDP response (range is 1 to 1,599,999; default is 30)"
#   "ICMP - ... without an ICMP response (range 1 to 15,999,999; default
#   is 6)"
#   "Default - ... a non-TCP/UDP, non-SCTP, or non-ICMP session can be open
#   without a response (...; default is 30)"
# Per-application timeouts (Objects > Applications, e.g. App-ID dns)
# override the UDP value for sessions in Established state; not modelled.
# timeout.udp_unreplied 30s: the one UDP timer; the Linux value already.
# timeout.udp 30s: the same UDP timer.
timeout.udp = 30s
# timeout.icmp 6s: ICMP.
timeout.icmp = 6s
# timeout.other 30s: Default.
timeout.other = 30s
# timeout.gre_unreplied, timeout.gre: no GRE timer of its own found in
# the sources above, so GRE is timed as other protocols (the built-in
# defaults are Linux's GRE timers, 30s / 180s; the first is 30s already).
timeout.gre = 30s
# refresh.udp: not found; the page says the timeouts apply "after inactivity
# in the session", no direction stated. The Linux any is kept.
# icmp.errors: not found. A zone protection option discards "ICMP embedded
# with error message" (discard_icmp_error in the PAN-OS Terraform/Pulumi
# provider), which suggests errors pass unless so configured, but no page
# states the default. The Linux pass is kept.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # "DIPP NAT uses symmetric NAT, which may have compatibility issues with applications that use STUN"; Persistent DIPP (11.1.1+) makes the binding persist per source ip:port: https://docs.paloaltonetworks.com/ngfw/help/11-2/policies/policies-nat/nat-translated-packet-tab
# nat.filtering = address-and-port-dependent (the built-in default) # inferred: session-based; inbound needs a DNAT rule plus a security rule; filtering for persistent DIPP not documented
# nat.ports: not found (port choice within DIPP not documented)
# nat.port_range: not found
# nat.parity: not found
nat.pooling = paired                        # "Dynamic IP and Port—Address selection is based on a hash of the source IP address. For a given source IP address, the firewall uses the same translated source address for all sessions" (same page)
# nat.port_reuse_delay: not found
# nat.ports_per_host: not found
# nat.hairpin: not found (U-turn NAT needs explicit rules)
nat.unsolicited = drop                      # existing profile: no session, discarded
