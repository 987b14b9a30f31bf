name = full-cone
description = RFC 3489 full cone: endpoint-independent mapping and filtering
source = RFC 3489 section 5 (Full Cone); RFC 4787 sections 4.1 and 5 (EIM, EIF)
# Timers: the RFCs' (RFC 4787 / RFC 5382 / RFC 5508), from rfc4787.
inherit = rfc4787
# nat.mapping = endpoint-independent (as inherited) # RFC 3489 §5 "mapped to the same external IP address and port"; RFC 4787 §4.1 EIM
# nat.filtering = endpoint-independent (as inherited) # RFC 3489 §5 "any external host can send a packet to the internal host"; RFC 4787 §5 EIF
# nat.ports = preserve (as inherited) # choice: RFC 3489 is silent; matches the Linux-derived full-cone modules (Chion82/llccd FULLCONENAT)
nat.unsolicited = drop                      # choice: with EIF only packets to an unmapped port are unsolicited; RFC 3489 is silent
