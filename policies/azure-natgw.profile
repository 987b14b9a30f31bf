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
