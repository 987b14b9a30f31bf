# The floor RFC 5382 (BCP 142) sets for a compliant NAT: nothing may time
# out sooner than this. RFC 5382 is TCP-only; the UDP and ICMP floors come
# from its companions RFC 4787 (BCP 127, UDP) and RFC 5508 (BCP 148, ICMP),
# all three updated by RFC 7857. Everything they leave open stays at the
# Linux baseline. rfc4787.profile uses RFC 4787's recommended UDP timer
# instead of the floor.
name = rfc5382
description = RFC 5382 compliant floor: established 2h4m, transitory 4m, closing only after both FINs; UDP 2m, ICMP 60s
source = RFC 5382 section 5 REQ-5: the established idle timeout must not be below 2 hours 4 minutes, the transitory (partially open or closing) idle timeout must not be below 4 minutes; the closing phase begins when both endpoints have sent a FIN (quoted in seed 000). RFC 5382 gives no figure after a RST: the Linux 10s CLOSE is kept. The 300s cap before any reply (Linux) is above the 4m floor and kept. UDP: RFC 4787 REQ-5, REQ-6; ICMP: RFC 5508 REQ-2; other: no RFC figure, Linux kept.

timeout.established = 2h4m
# Transitory: partially open ...
timeout.opening = 4m
# ... or closing. With half_closed.start = both_fins the FIN_WAIT and
# CLOSE_WAIT timers never run (the established one does); set anyway.
timeout.half_closed = 4m
timeout.closing = 4m
timeout.time_wait = 4m
half_closed.start = both_fins

# UDP: RFC 4787 section 4.3 REQ-5: "A NAT UDP mapping timer MUST NOT expire
# in less than two minutes, unless REQ-5a applies" (REQ-5a: shorter timers
# MAY be used for specific well-known destination ports 0-1023; REQ-5c: a
# default of five minutes or more is RECOMMENDED, see rfc4787.profile). The
# RFC has no unreplied/replied split, so the floor holds for a mapping that
# never saw a reply too (Linux's 30s is below it).
timeout.udp_unreplied = 2m
# timeout.udp (replied) 2m: REQ-5 as above; the Linux value already.
# RFC 4787 section 4.3 REQ-6: "The NAT mapping Refresh Direction MUST have a
# 'NAT Outbound refresh behavior' of 'True'"; REQ-6a: inbound refresh MAY be
# True. orig is the least a compliant NAT does (any is compliant too).
refresh.udp = orig
# ICMP: RFC 5508 section 3.2 REQ-2: "An ICMP Query session timer MUST NOT
# expire in less than 60 seconds" (REQ-2a: RECOMMENDED configurable).
timeout.icmp = 60s
# timeout.other: not found; none of RFC 4787, 5382, 5508, 7857 or 6888 sets
# a timer for other IP protocols. The Linux 600s is kept.
# icmp.errors pass: RFC 5508 REQ-4/REQ-5: with an active mapping for the
# embedded payload the NAT MUST translate and forward the error (without one
# it SHOULD drop it); RFC 5382 REQ-9: a NAT that translates TCP SHOULD
# translate ICMP Destination Unreachable. The Linux value already. What the
# engine does anyway: RFC 4787 REQ-12 / RFC 5382 REQ-10, no ICMP message
# terminates a mapping; RFC 5508 REQ-6, an error about a query session
# neither refreshes nor deletes it; RFC 7857, errors sent outbound in
# response to inbound packets SHOULD NOT refresh the mapping.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nat.mapping = endpoint-independent (the built-in default) # RFC 5382 REQ-1 "A NAT MUST have an 'Endpoint-Independent Mapping' behavior for TCP"; RFC 4787 REQ-1 for UDP: https://www.rfc-editor.org/rfc/rfc5382#section-4.1
# nat.filtering: left at the built-in (address-and-port-dependent); RFC 5382 REQ-3 / RFC 4787 REQ-8 only RECOMMEND EIF or ADF, so APDF is not forbidden
# nat.ports: built-in, BUT RFC 5382 REQ-7 / RFC 4787 REQ-3: "MUST NOT have a 'Port assignment' behavior of 'Port overloading'" (see note)
nat.hairpin = on                            # RFC 5382 REQ-8 "A NAT MUST support 'hairpinning' for TCP"; RFC 4787 REQ-9 for UDP
nat.unsolicited = icmp                      # RFC 5382 REQ-4: hold an unsolicited SYN >= 6 s; if no outbound SYN matches, SHOULD send ICMP Port Unreachable (type 3 code 3); REQ-4a: drop if that violates policy
