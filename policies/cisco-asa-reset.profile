# Limitation: the ASA sends no reset when a *half-closed* conn times out,
# only at idle expiry; natbox's expire.action applies to every state, so
# half-closed expiry resets here too.
name = cisco-asa-reset
description = Cisco ASA with timeout conn ... reset: RST to both ends when an idle conn expires
source = ASA CLI configuration guide (timeouts.md, Cisco section): timeout conn with the reset keyword sends a RST to both ends at idle expiry (off by default). The ASA does not reset half-closed conns at expiry; natbox cannot tell the two apart (expire.action covers every state).
inherit = cisco-asa

expire.action = reset

# UDP, ICMP, other: nothing to add, cisco-asa's values stand. The reset
# keyword applies to TCP only ("For TCP traffic, the reset keyword sends a
# reset to TCP endpoints when the connection times out", CLI guide, set
# connection timeout); natbox sends no RST for a non-TCP flow either.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nothing to add: inherits cisco-asa; `timeout conn ... reset` changes idle expiry only, not NAT allocation
