# Azure documents one TCP idle timeout (default 4 min, settable 4..120 min,
# e.g. --set timeout.established=2h) and no per-state timers, so the one
# figure applies to every state here.
name = azure-natgw
description = Azure NAT Gateway: 4m idle timeout refreshed by traffic, silent expiry, then a RST to the next sender
source = Azure NAT Gateway docs (timeouts.md, cloud NAT gateways): TCP idle timeout 4 min by default (4 to 120 min), refreshed by traffic; expiry is silent and the next packet of the flow gets a one-way RST. Per-state timers: none documented, 4 min used for all. Unknown non-SYN flows: not documented; treated like expired ones. UDP idle timeout 4 min, not configurable, refreshed by traffic; ICMP and other protocols not supported.

timeout.opening = 4m
timeout.established = 4m
timeout.half_closed = 4m
timeout.closing = 4m
timeout.time_wait = 4m
timeout.close = 4m
expire.later = reset-sender
unknown.action = reset-sender

# UDP 4m, both keys: Azure NAT Gateway resource docs, Idle Timeout Timers
# table: "UDP idle timeout ... UDP idle timeout timers are 4 minutes and are
# not configurable. Traffic on the flow will reset the idle timeout timer."
# Troubleshoot page: "UDP idle timeout timers are set to 4 minutes and
# aren't configurable."
timeout.udp_unreplied = 4m
timeout.udp = 4m
# timeout.icmp, timeout.other: not applicable. NAT gateway resource docs:
# "NAT gateway supports TCP and UDP protocols only. ICMP isn't supported.";
# Limitations: "NAT gateway doesn't support ICMP". natbox has no key to drop
# a protocol, so the Linux 30s and 600s are kept and ICMP and other
# protocols pass here.
# refresh.udp any: the timer table, "Traffic on the flow will reset the idle
# timeout timer"; the Linux value already. Conflicting guidance on the same
# page: "Unlike TCP connections, a UDP keepalive enabled on one side of the
# connection only applies to traffic flow in one direction. UDP keepalives
# must be enabled on both sides of the traffic flow in order to keep the
# traffic flow alive", which suggests per-direction idle expiry; none of
# any, orig, reply, none expresses that exactly.
# icmp.errors: not applicable (no ICMP). The Linux pass is kept.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # "Each time a new connection is made to the same destination endpoint ... a new source port is used"; ports picked at random per new connection: https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource
# nat.filtering = address-and-port-dependent (the built-in default) # inferred: only return traffic of a known flow is translated; anything else is answered with a RST (below). Exact filter not documented
nat.ports = random                          # "NAT gateway selects a port at random out of the available inventory of ports" (nat-gateway-resource, SNAT section)
# nat.port_range = 1024-65535 (the built-in default) # "64,512 SNAT ports are available per public IP address" (nat-gateway-resource; 65536 - 1024), the range itself is inferred
# nat.parity: not found
# nat.pooling: not found ("the entire inventory of ports provided by those IPs is made available to any virtual machine")
nat.port_reuse_delay = 65s                  # Port Reuse Timers: TCP FIN 65 s, TCP RST 16 s, UDP 65 s, before a SNAT port is reused "to the same destination endpoint" (nat-gateway-resource; MicrosoftDocs/azure-docs copies)
# nat.ports_per_host: not applicable (no per-VM limit; the whole inventory is shared)
# nat.hairpin: not found
# nat.unsolicited = reset (the built-in default) # "NAT Gateway sends a TCP Reset (RST) packet for any connection flow that it doesn't recognize as an existing connection" (nat-gateway-resource, TCP reset); UDP: not found
