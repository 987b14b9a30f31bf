# Seed 003: firewalls that block RSTs (seen as port-scan answers). A crashed
# client's RST never reaches the server, which sits in LAST_ACK or
# CLOSE_WAIT. Both directions here; for one side only use e.g.
#   --set fault.drop_rst_reply=0
name = rst-blackhole
description = Linux conntrack behind a firewall that drops every RST, both directions
source = Seed 003 (Experiential Learning of Networking Technologies, TCP states part 2): many firewalls block TCP resets, leaving servers in LAST_ACK or CLOSE_WAIT. Probability 1 (every RST) is our choice; the seed gives no rate. Tracking otherwise as linux-conntrack.
inherit = linux-conntrack

fault.drop_rst_orig = 1
fault.drop_rst_reply = 1

# UDP, ICMP, other: nothing to add; seed 003 concerns TCP RSTs only, so the
# linux-conntrack values stand.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nothing to add: inherits linux-conntrack; seed 003 concerns dropped RSTs only
