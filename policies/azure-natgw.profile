# Azure documents one TCP idle timeout (default 4 min, settable 4..120 min,
# e.g. --set timeout.established=2h) and no per-state timers, so the one
# figure applies to every state here.
name = azure-natgw
description = Azure NAT Gateway: 4m idle timeout refreshed by traffic, silent expiry, then a RST to the next sender
source = Azure NAT Gateway docs (timeouts.md, cloud NAT gateways): TCP idle timeout 4 min by default (4 to 120 min), refreshed by traffic; expiry is silent and the next packet of the flow gets a one-way RST. Per-state timers: none documented, 4 min used for all. Unknown non-SYN flows: not documented; treated like expired ones.

timeout.opening = 4m
timeout.established = 4m
timeout.half_closed = 4m
timeout.closing = 4m
timeout.time_wait = 4m
timeout.close = 4m
expire.later = reset-sender
unknown.action = reset-sender
