name = port-restricted
description = RFC 3489 port restricted cone: endpoint-independent mapping, address-and-port-dependent filtering
source = RFC 3489 section 5 (Port Restricted Cone); RFC 4787 sections 4.1 and 5 (EIM, APDF)
# Timers: the RFCs' (RFC 4787 / RFC 5382 / RFC 5508), from rfc4787.
inherit = rfc4787
# nat.mapping = endpoint-independent (as inherited) # RFC 3489 §5 (cone: same external ip:port for all requests from one ip:port); RFC 4787 §4.1 EIM
nat.filtering = address-and-port-dependent  # RFC 3489 §5 "the restriction includes port numbers"; RFC 4787 §5 APDF
# nat.ports = preserve (as inherited) # choice; this is what stock Linux/OpenWrt measures as (openwrt/openwrt#7021)
nat.unsolicited = drop                      # choice
