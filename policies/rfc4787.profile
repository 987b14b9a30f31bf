# The MUSTs and RECOMMENDEDs of RFC 4787 (BCP 127, NAT behavioral
# requirements for unicast UDP), with RFC 5508 (BCP 148) for ICMP and
# RFC 5382 (BCP 142) for TCP. rfc5382 holds the floors; this profile takes
# the RECOMMENDED value where an RFC gives one (the UDP mapping timer).
# TCP comes from rfc5382 unchanged: RFC 5382 REQ-5 gives only floors. So do
# the ICMP query timer, the UDP refresh direction and the ICMP errors, which
# rfc5382 already takes from RFC 4787 and RFC 5508: a key that would repeat
# the inherited value is left out, as in every profile, and the comments
# below cite it.
name = rfc4787
description = RFC 4787/5508 MUSTs and RECOMMENDEDs: UDP mapping 5m refreshed outbound, ICMP query 60s, ICMP errors pass; TCP as rfc5382
source = RFC 4787 section 4.3 REQ-5 (UDP mapping timer not below 2 min; REQ-5c: 5 min or more RECOMMENDED, used here), REQ-6 (outbound refresh MUST, inbound MAY: orig), REQ-12 (no ICMP ends a mapping); RFC 5508 section 3.2 REQ-2 (ICMP query timer not below 60 s), REQ-4/5 (errors translated), REQ-6 (an error never refreshes or ends a query session); TCP: RFC 5382 via rfc5382. No RFC timer for other protocols: Linux 600s kept.
inherit = rfc5382

# UDP timer: RFC 4787 section 4.3 REQ-5: "A NAT UDP mapping timer MUST NOT
# expire in less than two minutes, unless REQ-5a applies" (REQ-5a: shorter
# timers MAY be used for destination ports 0-1023, not modelled; REQ-5b: MAY
# be configurable). REQ-5c: "A default value of five minutes or more for the
# NAT UDP mapping timer is RECOMMENDED." This profile uses the RECOMMENDED
# 5 minutes, not the 2-minute floor (rfc5382 has the floor). The RFC has one
# mapping timer, no unreplied/replied split, so both keys are 5m.
timeout.udp_unreplied = 5m
timeout.udp = 5m
# refresh.udp orig, inherited from rfc5382. RFC 4787 section 4.3 REQ-6:
# "The NAT mapping Refresh Direction MUST have a 'NAT Outbound refresh
# behavior' of 'True'"; REQ-6a: it "MAY have a 'NAT Inbound refresh
# behavior' of 'True'". Outbound refresh is the MUST; inbound refresh is
# only a MAY, neither required nor RECOMMENDED, so a profile of the MUSTs
# and RECOMMENDEDs refreshes on outbound (originator) packets alone: orig.
# A mapping whose inside host only receives then expires 5m after its last
# outbound packet. --set refresh.udp=any (the Linux behaviour) is equally
# compliant.
# ICMP query timer 60s, inherited from rfc5382. RFC 5508 section 3.2 REQ-2:
# "An ICMP Query session timer MUST NOT expire in less than 60 seconds";
# REQ-2a: RECOMMENDED configurable. RFC 5508 RECOMMENDS no longer value, so
# the floor is the figure.
# icmp.errors pass, the Linux value. RFC 4787 REQ-12: "Receipt of any sort of
# ICMP message MUST NOT terminate the NAT mapping" (REQ-12b: RECOMMENDED to
# support ICMP Destination Unreachable). RFC 5508 REQ-4/REQ-5: with an active
# mapping for the embedded payload the NAT MUST translate and forward the
# error (without one it SHOULD drop it); REQ-6: an error about an ICMP query
# session MUST NOT refresh or delete that session. RFC 7857: errors sent
# outbound in response to inbound packets SHOULD NOT refresh the mapping. The
# engine never lets an ICMP error start, refresh or end a flow, so pass is
# all a profile has to say.
# timeout.other: not found; none of RFC 4787, 5382, 5508, 7857 or 6888 sets
# a timer for other IP protocols. The Linux 600s is kept (from rfc5382).

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nat.mapping: endpoint-independent, inherited from rfc5382 (RFC 4787 REQ-1 MUST)
nat.filtering = endpoint-independent        # RFC 4787 REQ-8: "If application transparency is most important, it is RECOMMENDED that a NAT have 'Endpoint-Independent Filtering' behavior" (the other RECOMMENDED branch is address-dependent): https://www.rfc-editor.org/rfc/rfc4787#section-5
# nat.port_range = 1024-65535 (as inherited) # RFC 4787 REQ-3a: a source port in 1024-65535 RECOMMENDED to stay in that range (0-1023 likewise, not modelled)
nat.parity = on                             # RFC 4787 REQ-4: "It is RECOMMENDED that a NAT have a 'Port parity preservation' behavior of 'Yes'"
nat.pooling = paired                        # RFC 4787 REQ-2: "It is RECOMMENDED that a NAT have an 'IP address pooling' behavior of 'Paired'"
# nat.hairpin: on, inherited from rfc5382 (RFC 4787 REQ-9 MUST)
# nat.unsolicited: icmp, inherited (RFC 5382 REQ-4 for TCP); RFC 4787 sets nothing for unsolicited UDP: not found
# nat.port_reuse_delay: not set by RFC 4787 (RFC 6888 REQ-8's 120 s is for CGNs only)
