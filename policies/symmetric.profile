name = symmetric
description = RFC 3489 symmetric: address-and-port-dependent mapping and filtering, random ports
source = RFC 3489 section 5 (Symmetric); RFC 4787 sections 4.1 and 5 (APDM, APDF)
# Timers: the RFCs' (RFC 4787 / RFC 5382 / RFC 5508), from rfc4787.
inherit = rfc4787
nat.mapping = address-and-port-dependent    # RFC 3489 §5 "to a different destination, a different mapping is used"; RFC 4787 §4.1 APDM
nat.filtering = address-and-port-dependent  # RFC 3489 §5 "only the external host that receives a packet can send a UDP packet back"; RFC 4787 §5 APDF
nat.ports = random                          # choice per the brief; RFC 3489 does not specify; cloud NATs described as symmetric use random ports (Tailscale, Azure docs)
# nat.port_range = 1024-65535 (as inherited) # choice; RFC 4787 REQ-3a range
nat.hairpin = off                           # choice
nat.unsolicited = drop                      # choice
